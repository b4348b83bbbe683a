"""rnnlib/bidirectional.lua: ``rnnlib.makeBidirectionalLayer(layer, revlayer)`` (a gModule running one recurrent
layer over the sequence and another over it reversed, joining their outputs step by step) and
``rnnlib.makeBidirectional`` (a SequenceTable over depth of such layers, with setupRecurrent's hidden-state
methods).

Edits beyond syntax and indices: ``hids`` is recurrentnetwork.py's dict; the functions assigned into ``birnn``
are bound with ``types.MethodType`` (as in recurrentnetwork.py); ``nn.ReverseTable`` is rnnlib's own
(nn/ReverseTable.py), ``nn.ZipTable`` legonn's (nn/ZipTable.py says why); ``layer:clone(sharefields)`` passes
a table (or nil) where Module:clone takes the field names as arguments: Module.lua's share looks the table up as
one field name and shares nothing, so the reverse layer is always an unshared copy in Torch7; legonn refuses the
table (docs/porting.md's ``m:clone(tbl)`` row), and the port writes Torch7's result, ``layer.clone()``;
``nn.JoinTable(2)`` is ``nn.JoinTable(1)``; ``i == 1 and hids[i-1] or 2 * hids[i-1]`` stays keyed by
layer number.
"""
import numbers
import types

from legonn import nn

from . import mutils
from .env import rnnlib
from .nn.RecurrentTable import RecurrentTable
from .nn.ReverseTable import ReverseTable
from .nn.SequenceTable import SequenceTable


# | Construct a bidirectional layer where the hidden states are aligned.
def makeBidirectionalLayer(layer, revlayer):
    input = nn.Identity()()

    # Separate the forward and reverse initial hidden states
    # and process the input sequence.
    hids, fwdseq = input.split(2)
    fwdhid, revhid = hids.split(2)
    revseq = ReverseTable()(fwdseq)

    # Performs the computation synchronously for both directions.
    fwdouthid, fwdoutseq = layer([fwdhid, fwdseq]).split(2)
    revouthid, revoutseq = revlayer([revhid, revseq]).split(2)

    # Reverse the output of the reverse RNN.
    revoutseq = ReverseTable()(revoutseq)

    # Combine the output.
    outprezip = nn.ZipTable()([fwdoutseq, revoutseq])
    output = nn.MapTable(nn.JoinTable(1))(outprezip)

    return nn.gModule(
        [input],
        [nn.Identity()([fwdouthid, revouthid]), output]
    )


rnnlib.makeBidirectionalLayer = makeBidirectionalLayer


# | Construct a multi-level bidirectional network.
def makeBidirectional(cellfn, inputsize, hids, sharefields=None, savehidden=None):
    savehidden = False if savehidden is None else savehidden
    hids[0] = inputsize
    initfs = []
    birnn = SequenceTable(0)
    makeLayer = rnnlib.makeBidirectionalLayer
    for i in range(1, len(hids)):
        c, f = cellfn(
            hids[i - 1] if i == 1 else 2 * hids[i - 1],
            hids[i]
        )
        initfs.append(f)
        layer = RecurrentTable(
            dim=1,
            module=rnnlib.cell.gModule(c)
        )
        revlayer = layer.clone()   # Torch7's layer:clone(sharefields) shares nothing (see the docstring)
        birnn.add(makeLayer(layer, revlayer))

    def initializeHidden(self, bsz):
        assert bsz and isinstance(bsz, numbers.Number)
        h = getattr(self, 'hiddenbuffer', None)
        h = [] if h is None else h
        for i in range(len(initfs)):
            if i == len(h):
                h.append(None)
            h[i] = [
                # Forward hidden.
                initfs[i](bsz, self.type(), h[i][0] if h[i] is not None else None),
                # Reverse hidden.
                initfs[i](bsz, self.type(), h[i][1] if h[i] is not None else None),
            ]
        self.hiddenbuffer = h
        return h
    birnn.initializeHidden = types.MethodType(initializeHidden, birnn)

    birnn.saveHidden = savehidden
    birnn.saveLastHidden = types.MethodType(mutils.makeSaveLastHidden(), birnn)
    birnn.getLastHidden = types.MethodType(mutils.makeGetLastHidden(), birnn)

    # Save the hidden state when performing evaluation.
    uo = birnn.updateOutput

    def updateOutput(self, *args):
        output = uo(*args)
        if not self.train and self.saveHidden:
            self.saveLastHidden()
        return output
    birnn.updateOutput = types.MethodType(updateOutput, birnn)

    # Save the hidden state when accumulating the gradients wrt the
    # parameters.
    agp = birnn.accGradParameters

    def accGradParameters(self, *args):
        agp(*args)
        if self.train and self.saveHidden:
            self.saveLastHidden()
    birnn.accGradParameters = types.MethodType(accGradParameters, birnn)

    # SequenceTable has a separate backward that does not call
    # updateGradInput and accGradParameters.
    b = birnn.backward

    def backward(self, *args):
        gradInput = b(*args)
        if self.train and self.saveHidden:
            self.saveLastHidden()
        return gradInput
    birnn.backward = types.MethodType(backward, birnn)

    return birnn


rnnlib.makeBidirectional = makeBidirectional
