"""rnnlib/nn/LSTM.lua: ``nn.LSTM{inputsize, hidsize, nlayer, hinitfun, winitfun, usecudnn}``, a constructor for
homogeneous LSTM networks (``rnnlib.makeRecurrent`` of ``cell.LSTM``, wrapped in
WrappedCudnnRnn when ``usecudnn``).

The Lua assigns it to ``nn.LSTM``, replacing whatever was there; the port keeps it here as ``LSTM`` (legonn's
nn.LSTM is Element-Research rnn's module: docs/porting.md's rnnlib row). The Lua's ``hids = { [0] = inputsize }`` is
the dict ``{0: inputsize}``.
"""
from ..env import rnnlib
from .WrappedCudnnRnn import WrappedCudnnRnn


def LSTM(inputsize, hidsize, nlayer, hinitfun=None, winitfun=None, usecudnn=False):
    hids = {0: inputsize}
    for i in range(1, nlayer + 1):
        hids[i] = hidsize
    model = rnnlib.makeRecurrent(
        cellfn=rnnlib.cell.LSTM,
        inputsize=inputsize,
        hids=hids,
        hinitfun=hinitfun,
        winitfun=winitfun,
    )
    if usecudnn:
        return WrappedCudnnRnn(model, 'LSTM', hids, model.saveHidden)
    return model
