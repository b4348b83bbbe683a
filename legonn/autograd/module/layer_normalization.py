"""LayerNormalization of Ba, Kiros and Hinton (https://arxiv.org/abs/1607.06450), written with legonn functions
(torch-autograd's module/LayerNormalization.lua)."""
import legonn as lg

from .. import support
from ..model.common import option
from ..model.recurrent_network import first_params


def LayerNormalization(opt=None, params=None):
    """``(f, params)``: ``f(params, x, eps=1e-5)`` normalizes each row of ``x`` ([batch x] nOutputs) by its
    mean and standard deviation (``sqrt(var + eps)``, the variance over nOutputs), then scales by ``gain`` and
    shifts by ``bias``; the result has ``x``'s shape. ``params`` gets ``{'gain': ones, 'bias': zeros}``, each
    1 x nOutputs (default 10)."""
    opt = opt or {}
    params = [] if params is None else params
    nOutputs = option(opt, 'nOutputs', 10)
    params.append({'gain': lg.ones(1, nOutputs), 'bias': lg.zeros(1, nOutputs)})

    def layer_norm(params, x, eps=None):
        p = first_params(params)
        eps = eps or 1e-5
        x_in = x
        if support.nDimension(x) == 1:
            x_in = lg.view(x, 1, support.size(x, 0))
        n = support.size(x_in, 1)
        mean = lg.expand(lg.mean(x_in, 1), support.size(x_in))
        x_centered = x_in - mean
        std = lg.expand(lg.sqrt(lg.sum(lg.cmul(x_centered, x_centered) / n, 1) + eps), support.size(x_in))
        x_normed = lg.cdiv(x_centered, std)
        gain = lg.expand(p['gain'], support.size(x_in))
        bias = lg.expand(p['bias'], support.size(x_in))
        return lg.view(lg.cmul(x_normed, gain) + bias, support.size(x))

    return layer_norm, params
