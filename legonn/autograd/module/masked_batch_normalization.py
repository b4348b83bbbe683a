"""MaskedBatchNormalization: batch normalization of minibatches of variable-length sequences, counting only
the entries a mask marks (sequence batch norm of Laurent et al., http://arxiv.org/abs/1510.01378), written with
legonn functions (torch-autograd's module/MaskedBatchNormalization.lua)."""
import legonn as lg

from .. import support
from ..runtime.direct.node import raw
from ..model.common import option
from ..model.recurrent_network import first_params


def MaskedBatchNormalization(opt=None, params=None):
    """``(f, params, state)``: ``f(params, x, mask, state, eps=1e-5)`` normalizes ``x`` ([batch x [time x]]
    nOutputs; ``mask`` of its size, 1 where an entry counts) per feature: the masked mean and standard
    deviation over the counted entries update ``state``'s ``running_mean`` and ``running_std`` (momentum
    ``state['momentum']`` times ``state['train']``: ``train`` 0 leaves them as they are), ``x`` is centred on
    ``running_mean``, divided by ``running_std``, scaled by ``gain``, shifted by ``bias`` and masked; the
    result has ``x``'s shape. ``params`` gets ``{'gain': 0.1s, 'bias': zeros}`` (1 x nOutputs, default 10);
    ``state`` starts as ``{'momentum': 0.1, 'train': 1, 'running_mean': zeros, 'running_std': ones}``."""
    opt = opt or {}
    params = [] if params is None else params
    nOutputs = option(opt, 'nOutputs', 10)
    momentum = option(opt, 'momentum', 0.1)

    batchNormState = {'momentum': momentum, 'train': 1,
                      'running_mean': lg.zeros(1, nOutputs),
                      'running_std': lg.ones(1, nOutputs)}

    # initializing gain to < 1 is recommended for LSTM batch norm.
    params.append({'gain': lg.zeros(1, nOutputs).fill(0.1), 'bias': lg.zeros(1, nOutputs)})

    def masked_batch_norm(params, x, mask, state, eps=None):
        p = first_params(params)
        eps = eps or 1e-5
        train = option(state, 'train', 1)
        momentum = option(state, 'momentum', 0.1) * train   # kill state updates during evaluation
        x_in = x
        mask_in = mask
        if support.nDimension(x) == 3:   # collapse batch and time dimensions
            x_in = lg.view(x, -1, support.size(x, 2))
            mask_in = lg.view(mask, -1, support.size(mask, 2))
        elif support.nDimension(x) == 1:   # expand batch dimension
            x_in = lg.view(x, 1, support.size(x, 0))
            mask_in = lg.view(mask, 1, support.size(mask, 0))
        n = lg.sum(mask)
        mask_in = lg.expand(mask_in, support.size(x_in))
        x_masked = lg.cmul(x_in, mask_in)
        mean = lg.sum(x_masked / n, 0)
        running_mean = momentum * mean + (1 - momentum) * state['running_mean']
        # centred on the running mean: the Lua subtracted running_std here (docs/autograd.md)
        x_centered = lg.cmul(x_masked - lg.expand(running_mean, support.size(x_in)), mask_in)
        var = lg.sum(lg.cmul(x_centered, x_centered) / n, 0) + eps
        std = lg.sqrt(var)
        running_std = momentum * std + (1 - momentum) * state['running_std']
        # the state keeps values: a traced value must not outlive its trace
        state['running_mean'] = raw(running_mean)
        state['running_std'] = raw(running_std)
        x_normed = lg.cdiv(x_centered, lg.expand(running_std, support.size(x_in)))
        gain = lg.expand(p['gain'], support.size(x_in))
        bias = lg.expand(p['bias'], support.size(x_in))
        return lg.view(lg.cmul(x_normed, gain) + bias, support.size(x))

    return masked_batch_norm, params, batchNormState
