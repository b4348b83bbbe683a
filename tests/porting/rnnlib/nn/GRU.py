"""rnnlib/nn/GRU.lua: ``nn.GRU{inputsize, hidsize, nlayer, hinitfun, winitfun, usecudnn}``, a constructor for
homogeneous GRU networks (``rnnlib.makeRecurrent`` of ``cell.GRU``, wrapped in
WrappedCudnnRnn when ``usecudnn``).

The Lua assigns it to ``nn.GRU``, replacing whatever was there; the port keeps it here as ``GRU`` (legonn's nn.GRU
is Element-Research rnn's module: docs/porting.md's rnnlib row). The Lua's ``hids = {}`` is a dict (keyed by layer
number from 1, as makeRecurrent sets ``hids[0]``).
"""
from ..env import rnnlib
from .WrappedCudnnRnn import WrappedCudnnRnn


def GRU(inputsize, hidsize, nlayer, hinitfun=None, winitfun=None, usecudnn=False):
    hids = {}
    for i in range(1, nlayer + 1):
        hids[i] = hidsize
    model = rnnlib.makeRecurrent(
        cellfn=rnnlib.cell.GRU,
        inputsize=inputsize,
        hids=hids,
        hinitfun=hinitfun,
        winitfun=winitfun,
    )
    if usecudnn:
        return WrappedCudnnRnn(model, 'GRU', hids, model.saveHidden)
    return model
