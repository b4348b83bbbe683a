"""rnnlib/nn/WrappedCudnnRnn.lua: ``nn.WrappedCudnnRnn``, a Sequential of cuDNN RNN modules with rnnlib's API: input
``{hiddens, sequence}`` (hiddens ``{nmodules} x nlayer_i x bsz x hidden``, an LSTM's each ``{cell, hidden}``;
the sequence a table of ``bsz x emsize`` tensors), output ``{newHiddens, {sequence output}}`` (only the last
layer's outputs, wrapped in a one-entry table); ``initializeHidden``, ``saveLastHidden``, ``getLastHidden`` as
setupRecurrent's. Built from a list of cuDNN modules, or converted from an rnnlib SequenceTable of one cell kind
(``cellstring`` RNNTanh, RNNReLU, GRU or LSTM), whose weights it copies (biases zero).

Edits beyond syntax and indices:

* argcheck's two overloads of ``__init`` (``modules, savehidden`` and ``model, cellstring, hids, savehidden``) are
  one ``__init__`` choosing by the type of its first argument; the second's ``self.__init(self, {rnn},
  savehidden)`` calls the first, ``_initModules``.
* ``cudnn[cellstring]`` is ``getattr(cudnn, cellstring)``; ``hids`` is the dict of recurrentnetwork.py
  (``#hids`` is ``len(hids) - 1``); ``oldparams[2*l-1]``, ``oldparams[2*l]`` are ``oldparams[2*l-2]``,
  ``oldparams[2*l-1]``.
* ``modules[i].mode:find('LSTM')`` is ``'LSTM' in modules[i].mode``; ``parent.updateOutput(self, x)`` is
  ``nn.Sequential.updateOutput(self, x)``.
"""
import legonn as lg
from legonn import cudnn, nn

from .. import cudnnutils as cutils
from .SequenceTable import SequenceTable


class WrappedCudnnRnn(nn.Sequential):

    def __init__(self, *args):
        if isinstance(args[0], SequenceTable):
            self._initFromModel(*args)
        else:
            self._initModules(*args)

    # | Wrap a list of cudnn modules that form a chain.
    # The input to the wrapped module will be of type:
    #     { { hiddens : {nmodules} x nlayer_i x bsz x hidden },
    #       { input   : {bptt}     x bsz      x emsize }, }.
    # The output of the wrapped module will be of type:
    #     { { newHiddens : {nmodules} x nlayer_i x bsz x hidden },
    #       { output     : {1}        x {bptt}   x bsz x hidden }, }.
    # modules : A table of objects that are subtypes of cudnn.RNN.
    def _initModules(self, modules, savehidden):
        assert len(modules) >= 1, "There must be at least one cudnn module."
        nn.Sequential.__init__(self)
        nmodules = len(modules)

        # This joins the across the table dimension of the input
        # (which has dimension {bptt} x bsz x emsize)
        # to create a tensor of dimension bptt x bsz x emsize.
        (self
            .add(nn.MapTable(nn.View(1, -1, modules[0].inputSize)))
            .add(nn.JoinTable(0)))
        # Stack the cudnn modules on top of each other.
        for i in range(nmodules):
            self.add(modules[i])
        # Split the output from bptt x bsz x hidden to {bptt} x bsz x hidden.
        self.add(nn.SplitTable(0))

        self.rnns = modules
        self.nmodules = nmodules

        self.saveHidden = savehidden

    # | Convert an existing nn.SequenceTable model with a single type of cell
    # to Cudnn. The `cellstring` must be RNN{Tanh, ReLU}, GRU or LSTM.
    def _initFromModel(self, model, cellstring, hids, savehidden):
        oldparams = model.parameters()[0]
        nlayers = len(hids) - 1
        # If the network is homogeneous, i.e. that all hidden layers have the
        # same dimensionality.
        allsame = True
        for i in range(1, nlayers):
            allsame = hids[i] == hids[i + 1] and allsame

        if allsame:
            rnn = getattr(cudnn, cellstring)(hids[0], hids[1], nlayers)
            for l in range(1, nlayers + 1):
                # 2*l-2 = input  params for layer l
                # 2*l-1 = hidden params for layer l
                cutils.copyParams(
                    rnn, cutils.offsets[cellstring],
                    oldparams[2 * l - 2], oldparams[2 * l - 1],
                    hids[l], l)
            # Create a singleton list, since wrapcudnnmodules
            # only takes a table of cudnn modules.
            rnn = self._initModules([rnn], savehidden)
        else:
            # The layers must be constructed individually because the Cudnn API
            # expects RNNs to all have the same dimension.
            rnn = []
            for l in range(1, nlayers + 1):
                layer = getattr(cudnn, cellstring)(hids[l - 1], hids[l], 1)
                cutils.copyParams(
                    layer, cutils.offsets[cellstring],
                    oldparams[2 * l - 2], oldparams[2 * l - 1],
                    hids[l], 1)
                rnn.append(layer)
            rnn = self._initModules(rnn, savehidden)
        return rnn

    # | Initialize the hidden state to zero.
    def initializeHidden(self, batchsize):
        nmodules = self.nmodules
        modules = self.rnns
        hiddenbuffer = getattr(self, 'hiddenbuffer', None)
        hiddenbuffer = [] if hiddenbuffer is None else hiddenbuffer
        for i in range(nmodules):
            dim = [
                modules[i].numLayers,
                batchsize,
                modules[i].hiddenSize,
            ]
            if i == len(hiddenbuffer):
                hiddenbuffer.append(None)
            if 'LSTM' in modules[i].mode:
                if hiddenbuffer[i] is None:
                    hiddenbuffer[i] = [
                        lg.CudaTensor(),
                        lg.CudaTensor(),
                    ]
                hiddenbuffer[i][0].resize(*dim).fill(0)
                hiddenbuffer[i][1].resize(*dim).fill(0)
            else:
                if hiddenbuffer[i] is None:
                    hiddenbuffer[i] = lg.CudaTensor()
                hiddenbuffer[i].resize(*dim).fill(0)
        self.hiddenbuffer = hiddenbuffer
        return hiddenbuffer

    # | Save hidden state.
    def saveLastHidden(self):
        nmodules = self.nmodules
        modules = self.rnns
        bsz = modules[0].hiddenOutput.size(1)
        hiddenbuffer = getattr(self, 'hiddenbuffer', None)
        if hiddenbuffer is None:
            hiddenbuffer = self.initializeHidden(bsz)
        for i in range(nmodules):
            if 'LSTM' in modules[i].mode:
                (hiddenbuffer[i][0]
                    .resizeAs(modules[i].cellOutput)
                    .copy(modules[i].cellOutput))
                (hiddenbuffer[i][1]
                    .resizeAs(modules[i].hiddenOutput)
                    .copy(modules[i].hiddenOutput))
            else:
                (hiddenbuffer[i]
                    .resizeAs(modules[i].hiddenOutput)
                    .copy(modules[i].hiddenOutput))
        return hiddenbuffer

    # | Get the last hidden state.
    def getLastHidden(self):
        return self.hiddenbuffer

    # | Overload updateOutput to set the hidden states.
    def updateOutput(self, input):
        nmodules = self.nmodules
        modules = self.rnns

        hidinput = input[0]
        seqinput = input[1]
        for i in range(nmodules):
            if 'LSTM' in modules[i].mode:
                modules[i].cellInput = hidinput[i][0]
                modules[i].hiddenInput = hidinput[i][1]
            else:
                modules[i].hiddenInput = hidinput[i]

        seqoutput = nn.Sequential.updateOutput(self, seqinput)
        hidoutput = getattr(self, 'hidoutput', None)
        hidoutput = [] if hidoutput is None else hidoutput
        for i in range(nmodules):
            if i == len(hidoutput):
                hidoutput.append(None)
            hidoutput[i] = ([
                modules[i].cellOutput, modules[i].hiddenOutput,
            ] if 'LSTM' in modules[i].mode
                else modules[i].hiddenOutput)
        del hidoutput[nmodules:]
        self.hidoutput = hidoutput
        if not self.train and self.saveHidden:
            self.saveLastHidden()
        # `seqoutput` is wrapped in another table because the Cudnn API only
        # returns the final layer's output. The Rnnlib API requires each layer
        # to output a table, so we treat the Cudnn API as a single layer.
        self.output = [hidoutput, [seqoutput]]
        return self.output

    def updateGradInput(self, input, gradOutput):
        nmodules = self.nmodules
        modules = self.rnns
        seqinput = input[1]
        hidgradoutput = gradOutput[0]
        # Recall the wrapping from above, where the sequence output is wrapped
        # in another table to conform with the Rnnlib standard of having there
        # be one table of outputs for each hidden layer. We treat a stack of
        # Cudnn modules as a single hidden layer since only the final output is
        # returned.
        seqgradoutput = gradOutput[1][0]
        for i in range(nmodules):
            if 'LSTM' in modules[i].mode:
                modules[i].gradCellOutput = hidgradoutput[i][0]
                modules[i].gradHiddenOutput = hidgradoutput[i][1]
            else:
                modules[i].gradHiddenOutput = hidgradoutput[i]

        seqgradinput = nn.Sequential.updateGradInput(self, seqinput, seqgradoutput)
        hidgradinput = []
        for i in range(nmodules):
            hidgradinput.append([
                modules[i].gradCellInput, modules[i].gradHiddenInput,
            ] if 'LSTM' in modules[i].mode
                else modules[i].gradHiddenInput)
        self.gradInput = [hidgradinput, seqgradinput]
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        nmodules = self.nmodules
        modules = self.rnns
        seqinput = input[1]
        hidgradoutput = gradOutput[0]
        seqgradoutput = gradOutput[1][0]
        for i in range(nmodules):
            if 'LSTM' in modules[i].mode:
                modules[i].gradCellOutput = hidgradoutput[i][0]
                modules[i].gradHiddenOutput = hidgradoutput[i][1]
            else:
                modules[i].gradHiddenOutput = hidgradoutput[i]
        nn.Sequential.accGradParameters(self, seqinput, seqgradoutput, scale)
        # Zero out gradBias to conform with Rnnlib standard which does
        # not use biases in linear projections.
        for i in range(len(modules)):
            cutils.zeroField(modules[i], 'gradBias')
        if self.train and self.saveHidden:
            self.saveLastHidden()

    # | The backward must be overloaded because nn.Sequential's backward does not
    # actually call updateGradInput or accGradParameters.
    def backward(self, input, gradOutput, scale=1):
        gradInput = self.updateGradInput(input, gradOutput)
        self.accGradParameters(input, gradOutput, scale)
        return gradInput


lg.register(WrappedCudnnRnn, 'nn.WrappedCudnnRnn')
