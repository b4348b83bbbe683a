"""rnnlib/recurrentnetwork.lua: ``rnnlib.setupRecurrent`` (the weight initialisation and the stateful part of a
recurrent network: ``initializeHidden``, ``saveLastHidden`` and the overridden ``updateOutput``,
``accGradParameters`` and ``backward`` that save the last hidden state), ``rnnlib.makeRecurrent`` (a SequenceTable
over depth of RecurrentTables over time) and ``rnnlib.makeCudnnRecurrent``.

Edits beyond syntax and indices:

* ``hids`` is Lua's table ``{[0] = inputsize, nhid1, nhid2, ...}``: its keys are layer numbers, 0 the input, so
  it is a dict with the Lua's keys (docs/porting.md's ``{[0] = init_state}`` row): callers pass ``{1: nhid1, 2:
  nhid2}``, and ``#hids`` (which does not count ``[0]``) is ``len(hids) - 1`` once ``hids[0]`` is set.
* Functions assigned into the network object (``network.initializeHidden = function(self, bsz)``, ``function
  network.updateOutput(self, ...)``) are bound to it with ``types.MethodType`` (docs/porting.md's row on a method
  overridden on one object); ``local uo = network.updateOutput`` is the bound method, called without ``self``.
* argcheck's defaults apply to a nil argument (nn.LSTM passes its nil ``winitfun`` on): the parameters
  default to None, replaced by the Lua's default inside.
* ``type(bsz) == 'number'`` is ``isinstance(bsz, numbers.Number)``.
"""
import numbers
import types

from . import mutils
from .env import rnnlib
from .nn.RecurrentTable import RecurrentTable
from .nn.SequenceTable import SequenceTable
from .nn.WrappedCudnnRnn import WrappedCudnnRnn


def setupRecurrent(network, initfs, winitfun=None, savehidden=None):
    """Setup the stateful part of a recurrent network.
    Take note that if you have a single layer recurrent network
    (nn.Recurrent Table) without an nn.SequenceTable wrapper, you may have to
    index into the hiddenbuffer like so: rnn.hiddenbuffer[0] since `initfs`
    is required to be a table of functions."""
    assert isinstance(network, SequenceTable), 'network: nn.SequenceTable expected'
    # argcheck's defaults: a nil argument takes them
    winitfun = mutils.defwinitfun if winitfun is None else winitfun
    savehidden = False if savehidden is None else savehidden
    # Initialize weights.
    winitfun(network)

    # Initialize hidden states.
    def initializeHidden(self, bsz):
        assert bsz and isinstance(bsz, numbers.Number)
        h = getattr(self, 'hiddenbuffer', None)
        h = [] if h is None else h
        for i in range(len(initfs)):
            if i == len(h):
                h.append(None)
            h[i] = initfs[i](bsz, self.type(), h[i])
        self.hiddenbuffer = h
        return h
    network.initializeHidden = types.MethodType(initializeHidden, network)

    network.saveHidden = savehidden
    network.saveLastHidden = types.MethodType(mutils.makeSaveLastHidden(), network)
    network.getLastHidden = types.MethodType(mutils.makeGetLastHidden(), network)

    # Save the hidden state when performing evaluation.
    uo = network.updateOutput

    def updateOutput(self, *args):
        output = uo(*args)
        if not self.train and self.saveHidden:
            self.saveLastHidden()
        return output
    network.updateOutput = types.MethodType(updateOutput, network)

    # Save the hidden state when accumulating the gradients wrt the
    # parameters.
    agp = network.accGradParameters

    def accGradParameters(self, *args):
        agp(*args)
        if self.train and self.saveHidden:
            self.saveLastHidden()
    network.accGradParameters = types.MethodType(accGradParameters, network)

    # SequenceTable has a separate backward that does not call
    # updateGradInput and accGradParameters.
    b = network.backward

    def backward(self, *args):
        gradInput = b(*args)
        if self.train and self.saveHidden:
            self.saveLastHidden()
        return gradInput
    network.backward = types.MethodType(backward, network)

    return network


rnnlib.setupRecurrent = setupRecurrent


def makeRecurrent(cellfn, inputsize, hids, hinitfun=None, winitfun=None, savehidden=None):
    """Given a cell function, e.g. from 'rnnlib.cell', `makeRecurrent` constructs an
    RNN whose outer layer is of type nn.SequenceTable and inner layers are of type
    nn.RecurrentTable.

    Be sure to call :training() or :evaluate() before performing training or
    evaluation, since the hidden state logic depends on this. If you would rather
    handle this manually, set .saveHidden = false."""
    winitfun = mutils.defwinitfun if winitfun is None else winitfun
    savehidden = True if savehidden is None else savehidden
    hids[0] = inputsize

    initfs = []
    nlayer = len(hids) - 1

    # If you wanted to unroll over depth first, you could do so by:
    # m = nn.SequenceTable(dim=0)
    # for i in range(1, nlayer + 1):
    #     c, f = cellfn(hids[i-1], hids[i])
    #     m.add(cell.gModule(c))
    #     initfs.append(f)
    # network = rnnlib.make(1, m, hinitfun)

    layers = []
    for i in range(1, nlayer + 1):
        c, f = cellfn(hids[i - 1], hids[i])
        layers.append(RecurrentTable(
            dim=1,
            module=rnnlib.cell.gModule(c),
        ))
        initfs.append(f)

    network = rnnlib.make(0, layers, hinitfun)
    return rnnlib.setupRecurrent(
        network=network,
        initfs=initfs,
        winitfun=winitfun,
        savehidden=savehidden,
    )


rnnlib.makeRecurrent = makeRecurrent


def makeCudnnRecurrent(cellstring, inputsize, hids, hinitfun=None, winitfun=None, savehidden=None):
    """Given a cell string, `makeCudnnRecurrent` constructs a RNN using Cudnn."""
    winitfun = mutils.defwinitfun if winitfun is None else winitfun
    savehidden = True if savehidden is None else savehidden
    hids[0] = inputsize
    rnn = rnnlib.makeRecurrent(
        cellfn=getattr(rnnlib.cell, cellstring),
        inputsize=inputsize,
        hids=hids,
        hinitfun=hinitfun,
        winitfun=winitfun,
    )

    return WrappedCudnnRnn(rnn, cellstring, hids, savehidden)


rnnlib.makeCudnnRecurrent = makeCudnnRecurrent
