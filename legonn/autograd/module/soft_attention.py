"""SoftAttention: the deterministic soft attention of "Show, Attend and Tell" (Xu et al.,
http://arxiv.org/abs/1502.03044), written with legonn functions (torch-autograd's module/SoftAttention.lua)."""
import legonn as lg

from .. import support
from ..model.common import option
from ..model.recurrent_network import first_params
from ..nnwrapper import functionalize
from .layer_normalization import LayerNormalization


def SoftAttention(opt=None, params=None):
    """``(f, params)``: ``f(params, subject, h)`` scores each of the ``subjectChoices`` columns of ``subject``
    ([batch x] subjectFeatures x subjectChoices) against the hidden state ``h`` ([batch x] hiddenFeatures):
    ``focus = softmax(W_att_subject . subject + h W_att_h + b_att)``, and returns ``(attention, focus)``:
    the focus-weighted sum of the columns ([batch x] subjectFeatures) and the focus ([batch x]
    subjectChoices). ``params`` gets ``W_att_subject`` (1 x 1 x subjectFeatures), ``W_att_h`` (hiddenFeatures
    x subjectChoices) and ``b_att`` (1 x subjectChoices), zeros; with ``layerNormalization`` the logits are
    layer-normalized (gain ``focus_ln_gain``, shift ``focus_ln_bias`` in place of ``b_att``). Defaults: 10
    hidden features, 15 subject features, 20 choices."""
    opt = opt or {}
    params = [] if params is None else params
    layerNormalization = option(opt, 'layerNormalization', False)
    hiddenFeatures = option(opt, 'hiddenFeatures', 10)
    subjectFeatures = option(opt, 'subjectFeatures', 15)
    subjectChoices = option(opt, 'subjectChoices', 20)
    softMax = functionalize('nn').SoftMax()

    p = {'W_att_subject': lg.zeros(1, 1, subjectFeatures),
         'W_att_h': lg.zeros(hiddenFeatures, subjectChoices),
         'b_att': lg.zeros(1, subjectChoices)}
    layer_norm = None
    if layerNormalization:
        # the Lua read the gain and shift off LayerNormalization's first return, the function, and called an
        # undefined layer_norm: its layerNormalization option always failed (docs/autograd.md)
        layer_norm, ln_params = LayerNormalization({'nOutputs': subjectChoices})
        p['focus_ln_gain'] = ln_params[0]['gain']
        p['focus_ln_bias'] = ln_params[0]['bias']
        del p['b_att']
    params.append(p)

    def soft_attention(params, subject, h):
        p = first_params(params)
        subject_in = subject
        h_in = h
        if support.nDimension(subject) == 2:
            subject_in = lg.view(subject, 1, support.size(subject, 0), support.size(subject, 1))
        if support.nDimension(h) == 1:
            h_in = lg.view(h, 1, support.size(h, 0))
        batchSize = support.size(subject_in, 0)
        subjectFeatures = support.size(subject_in, 1)
        subjectChoices = support.size(subject_in, 2)
        # Activations for each subject choice and hidden state.
        W_subject = lg.expand(p['W_att_subject'], batchSize, 1, subjectFeatures)
        subject_logit = lg.squeeze(lg.bmm(W_subject, subject_in), 1)
        hidden_logit = lg.mm(h_in, p['W_att_h'])
        # Focus distribution over subject choices.
        focus_logit = subject_logit + hidden_logit
        if layerNormalization:
            focus_logit = layer_norm({'gain': p['focus_ln_gain'], 'bias': p['focus_ln_bias']}, focus_logit)
        else:
            focus_logit = focus_logit + lg.expand(p['b_att'], batchSize, subjectChoices)
        focus = softMax(focus_logit)
        # Attend to choice in expectation.
        expanded_focus = lg.expand(lg.view(focus, batchSize, 1, subjectChoices), support.size(subject_in))
        attention = lg.squeeze(lg.sum(lg.cmul(subject_in, expanded_focus), 2), 2)
        if support.nDimension(subject) == 2:
            attention = lg.squeeze(attention, 0)
            focus = lg.squeeze(focus, 0)
        return attention, focus

    return soft_attention, params
