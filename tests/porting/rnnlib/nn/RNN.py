"""rnnlib/nn/RNN.lua: ``nn.RNN{inputsize, hidsize, nlayer, hinitfun, winitfun, usecudnn}``, a constructor for
homogeneous Elman RNNs with Tanh nonlinearities (``rnnlib.makeRecurrent`` of ``cell.RNNTanh``, wrapped in
WrappedCudnnRnn when ``usecudnn``).

The Lua assigns it to ``nn.RNN``, replacing whatever was there; the port keeps it here as ``RNN`` (legonn's nn.RNN
is Element-Research rnn's module: docs/porting.md's rnnlib row). The Lua's ``hids = {}`` is a dict (keyed by layer
number from 1, as makeRecurrent sets ``hids[0]``).
"""
from ..env import rnnlib
from .WrappedCudnnRnn import WrappedCudnnRnn


def RNN(inputsize, hidsize, nlayer, hinitfun=None, winitfun=None, usecudnn=False):
    hids = {}
    for i in range(1, nlayer + 1):
        hids[i] = hidsize
    model = rnnlib.makeRecurrent(
        cellfn=rnnlib.cell.RNNTanh,
        inputsize=inputsize,
        hids=hids,
        hinitfun=hinitfun,
        winitfun=winitfun,
    )
    if usecudnn:
        return WrappedCudnnRnn(model, 'RNNTanh', hids, model.saveHidden)
    return model
