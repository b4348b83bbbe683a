"""BSO's model_utils.lua: clone_many_times (learning_to_execute's, ported in tests/porting/im2markup.py), adagradStep,
zero_table, reset_state, clean_layer, get_layer, idx2key, flip_table. The Lua's globals (``opt``,
``word_vecs_enc``, ``word_vecs_dec``, ``decoder_attn``) are bso_train.py's module globals, which get_layer sets."""
import re

import legonn as lg
from tests.porting.im2markup import clone_many_times  # noqa: F401
from . import bso_train as G


def adagradStep(x, dfdx, eta, state):
    if state.get('var') is None:
        state['var'] = lg.Tensor().typeAs(x).resizeAs(x).zero()
        state['std'] = lg.Tensor().typeAs(x).resizeAs(x)
    state['var'].addcmul(1, dfdx, dfdx)
    state['std'].sqrt(state['var'])
    x.addcdiv(-eta, dfdx, state['std'].add(1e-10))


def zero_table(t, opt):
    for i in range(len(t)):
        t[i].zero()


def reset_state(state, batch_l, t):
    """the time-step key t is 0-based: the Lua's 0 (the initial state, returned keyed) is -1 here."""
    u = {t: []}
    for i in range(len(state)):
        state[i].zero()
        u[t].append(state[i][0:batch_l])
    if t == -1:
        return u
    else:
        return u[t]


def clean_layer(layer):
    if G.opt.gpuid >= 0:
        layer.output = lg.CudaTensor()
        layer.gradInput = lg.CudaTensor()
    else:
        layer.output = lg.DoubleTensor()
        layer.gradInput = lg.DoubleTensor()
    if getattr(layer, 'modules', None):
        for i, mod in enumerate(layer.modules):
            clean_layer(mod)
    # the Lua's `elseif torch.type(self) == "nn.gModule"` reads the global self, nil there: never taken


def get_layer(layer):
    if getattr(layer, 'name', None) is not None:
        if layer.name == 'word_vecs_dec':
            G.word_vecs_dec = layer
        elif layer.name == 'word_vecs_enc':
            G.word_vecs_enc = layer
        elif layer.name == 'decoder_attn':
            G.decoder_attn = layer


def idx2key(file):
    t = {}
    with open(file) as f:
        for line in f:
            c = re.findall(r'[^\s]+', line)
            t[int(c[1]) - 1] = c[0]   # the dictionaries' ids count from 1, as the hdf5 file's
    return t


def flip_table(u):
    t = {}
    for key, value in u.items():
        t[value] = key
    return t
