"""rnnlib/cell.lua: Elman RNN, LSTM and GRU cells as pairs of ``make`` (a function of graph nodes
``(state, input) -> (state, output)``) and ``init`` (the hidden state's zero tensors) functions.

Indices are 0-based: ``nn.SplitTable(2)`` is ``nn.SplitTable(1)``, ``nn.SelectTable(1..4)`` are ``0..3``,
``nn.Narrow(2, 1, 2*nhid)`` is ``nn.Narrow(1, 0, 2 * nhid)``. Tests for nil are ``is None`` (docs/porting.md's
``x = x or torch.Tensor()`` row: a tensor has no truth value): ``cache or torch.Tensor()`` is ``cache if cache is
not None else lg.Tensor()``, ``cache and cache[1]`` is ``cache[0] if cache is not None else None``. The Lua's
table ``cell`` is this module. ``{fn(state, input)}`` (both returned nodes) is ``[*fn(state, input)]``;
``annotate{name = ...}`` is ``annotate({'name': ...})``.
"""
import sys

import legonn as lg
from legonn import nn

from .env import rnnlib


# | A basic initialization function for hidden states.
# Reuses memory if available.
def _init(bsz, nhid, t=None, cache=None):
    t = t or 'torch.Tensor'
    tensor = cache if cache is not None else lg.Tensor()
    return tensor.resize(bsz, nhid).type(t).fill(0)


# | Takes a function (a,b) -> (a,b) and returns a function (b,a) -> (b,a).
def flip(f):
    def flipped(a, b):
        x, y = f(b, a)
        return y, x
    return flipped



# | Create a gModule from a cell function.
def gModule(fn):
    input = nn.Identity()()
    state = nn.Identity()()
    return nn.gModule([state, input], [*fn(state, input)])



# | Wrap the output of a cell with another module.
def wrapOutput(make, constructor, *args):
    module = constructor(*args)

    def wrapped(*args):
        nexth, output = make(*args)
        return nexth, module(output)
    return wrapped


# ------------------------------------------------------------------------------
# Cell definitions
# ------------------------------------------------------------------------------


def makeRnn(nin, nhid, nonlinearity):
    def make(prevh, input):
        i2h = nn.Linear(nin, nhid, False)(input).annotate({'name': "rnn_i2h"})
        h2h = nn.Linear(nhid, nhid, False)(prevh).annotate({'name': "rnn_h2h"})
        nexth = nonlinearity()(nn.CAddTable()([i2h, h2h])).annotate({'name': "rnn_nexth"})
        return nexth, nn.Identity()(nexth)

    def init(bsz, t=None, cache=None):
        return _init(bsz, nhid, t, cache)

    return make, init


def RNNSigmoid(nin, nhid):
    return makeRnn(nin, nhid, nn.Sigmoid)


def RNNTanh(nin, nhid):
    return makeRnn(nin, nhid, nn.Tanh)


def RNNReLU(nin, nhid):
    return makeRnn(nin, nhid, nn.ReLU)


def LSTM(nin, nhid):
    def make(prevch, input):
        # prevch : { prevc : node, prevh : node }
        # input : node
        split = [*prevch.split(2)]
        prevc = split[0]
        prevh = split[1]

        # the four gates are computed simulatenously
        i2h = nn.Linear(nin, 4 * nhid, False)(input).annotate({'name': "lstm_i2h"})
        h2h = nn.Linear(nhid, 4 * nhid, False)(prevh).annotate({'name': "lstm_h2h"})
        # the gates are separated
        gates = nn.CAddTable()([i2h, h2h])
        # assumes that input is of dimension nbatch x ngate * nhid
        gates = nn.SplitTable(1)(nn.Reshape(4, nhid)(gates))
        # apply nonlinearities:
        igate = nn.Sigmoid()(nn.SelectTable(0)(gates)).annotate({'name': "lstm_ig"})
        fgate = nn.Sigmoid()(nn.SelectTable(1)(gates)).annotate({'name': "lstm_fg"})
        cgate = nn.Tanh()(nn.SelectTable(2)(gates)).annotate({'name': "lstm_cg"})
        ogate = nn.Sigmoid()(nn.SelectTable(3)(gates)).annotate({'name': "lstm_og"})
        # c_{t+1} = fgate * c_t + igate * f(h_{t+1}, i_{t+1})
        nextc = nn.CAddTable()([
            nn.CMulTable()([fgate, prevc]),
            nn.CMulTable()([igate, cgate])
        ]).annotate({'name': "nextc"})
        # h_{t+1} = ogate * c_{t+1}
        nexth = nn.CMulTable()([ogate, nn.Tanh()(nextc)]).annotate({'name': "lstm_nexth"})
        nextch = nn.Identity()([nextc, nexth]).annotate({'name': "lstm_nextch"})
        return nextch, nexth

    # initialize function:
    def init(bsz, t=None, cache=None):
        return [
            _init(bsz, nhid, t, cache[0] if cache is not None else None),
            _init(bsz, nhid, t, cache[1] if cache is not None else None)
        ]

    return make, init


def GRU(nin, nhid):
    def make(prevh, input):
        # [ W_reset x, W_update x, W x ]
        i2h = nn.Linear(nin, 3 * nhid, False)(input).annotate({'name': "gru_i2h"})
        # [ U_reset prevh, U_update prevh, U prevh ]
        h2h = nn.Linear(nhid, 3 * nhid, False)(prevh).annotate({'name': "gru_h2h"})
        # [ W_reset x + U_reset prevh, W_update x + U_update prevh ]
        ru = nn.CAddTable()([
            nn.Narrow(1, 0, 2 * nhid)(i2h),
            nn.Narrow(1, 0, 2 * nhid)(h2h),
        ])
        # Assumes that input is of dimension nbatch x ngate * nhid.
        ru = nn.SplitTable(1)(nn.Reshape(2, nhid)(ru)).annotate({'name': "gru_ru"})
        rgate = nn.Sigmoid()(nn.SelectTable(0)(ru)).annotate({'name': "gru_rgate"})
        ugate = nn.Sigmoid()(nn.SelectTable(1)(ru)).annotate({'name': "gru_ugate"})
        # Use formulation in Cho et al 2014:
        # output = tanh(W x + rgate .* U prevh).
        output = nn.Tanh()(nn.CAddTable()([
            nn.Narrow(1, 2 * nhid, nhid)(i2h),
            nn.CMulTable()([
                rgate,
                nn.Narrow(1, 2 * nhid, nhid)(h2h),
            ])
        ])).annotate({'name': "gru_output"})
        # nexth = (1-ugate) output + ugate prevh
        nexth = nn.CAddTable()([
            output,
            nn.CMulTable()([
                ugate,
                nn.CSubTable()([
                    prevh,
                    output,
                ]),
            ]),
        ]).annotate({'name': "gru_nexth"})
        return nexth, nn.Identity()(nexth)

    def init(bsz, t=None, cache=None):
        return _init(bsz, nhid, t, cache)

    return make, init


# the Lua's table ``cell`` is this module: ``cell.LSTM``, and ``rnnlib.cell[cellstring]`` is
# ``getattr(rnnlib.cell, cellstring)``
rnnlib.cell = sys.modules[__name__]
