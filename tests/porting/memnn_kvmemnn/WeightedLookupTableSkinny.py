"""KVmemnn/library/WeightedLookupTableSkinny.lua of facebookarchive/MemNN, ported line by line.

``ffi.load('libmemnn.so')`` with its ``ffi.cdef`` is the port's libmemnn (the C translated into Python).
Dictionary indices in the input's first column are 0-based (libmemnn's docstring).

Edit: ``parameters()`` returns None (no parameters; the port's method, marked below). The Lua's gradWeight is a
queue of the rows updated since zeroGradParameters (10000 x embDim, not the weight's nIndex x embDim) that its
own updateParameters applies; legonn checks every module's gradients against its parameters before
accGradParameters and refuses the queue (docs/porting.md's WeightedLookupTableSkinny row). And an
``updateGradInput`` giving zeros of the input's size: the Lua has none, so nn.Module's returns the empty
``self.gradInput``, which memnn_model's graphs hand to the nn.Identity of their memory input; legonn checks a
gradOutput against the output forward made and refuses the empty tensor (the same row).
"""
import legonn as lg
from legonn import nn

from . import libmemnn as C


class WeightedLookupTableSkinny(nn.Module):

    def __init__(self, nIndex=None, embDim=None):
        super().__init__()

        self.size = lg.LongStorage(2)
        self.size[0] = nIndex or 1
        self.size[1] = embDim or 1

        self._input = lg.Tensor()
        self.weight = lg.Tensor(self.size)
        self.gradWeight = None
        self.inputs = lg.LongStorage(1)
        self.inputWeights = lg.IntTensor(10000)

        # set initial max number of word updates to queue to 10000 or fewer
        self.gradWeight = lg.Tensor(10000, embDim)

        self.reset()

    def reset(self, stdv=None):
        stdv = stdv or 1
        if nn.oldSeed:
            self.weight.apply(lambda *_: lg.normal(0, stdv))
        else:
            self.weight.normal(0, stdv)

    def makeInputContiguous(self, input):
        # make sure input is a contiguous torch Tensor
        if not input.isContiguous():
            self.copiedInput = True
            self._input.resize(input.size()).copy(input)
            return self._input
        self.copiedInput = False
        return input

    def updateOutput(self, input):
        """Parameters:
        * `Input` should be an n x 2 tensor where the first column is dictionary indexes
        and the second column is weights."""
        if input is None:
            raise ValueError('Nil input to WeightedLookupTableSkinny.')
        output_size = lg.LongStorage(self.size.size()).copy(self.size)
        output_size[0] = input.size(0)
        self.output.resize(output_size)

        input_dim = input.dim()
        if input_dim > 2:
            raise ValueError('Input has unsupported dimensions.')
        input = self.makeInputContiguous(input)

        C.wlts_updateOutput(
            output_size.size(),
            lg.data(output_size),
            input_dim,
            lg.data(input),
            lg.data(self.weight),
            lg.data(self.output)
        )

        return self.output

    def updateGradInput(self, input, gradOutput):
        # the port's (see the module docstring): no gradient reaches the indices or their weights
        return self.gradInput.resizeAs(input).zero()

    def zeroGradParameters(self):
        self.inputs[0] = 0
        if getattr(self, 'queueResize', None):   # never set before the first accGradParameters (nil in Lua)
            self.queueResize = False
            grd_wgt_sz = lg.LongStorage(self.size.size()).copy(self.size)
            # double size or hit max size
            grd_wgt_sz[0] = self.gradWeight.size(0) * 2
            self.gradWeight.resize(grd_wgt_sz)
            self.inputWeights.resize(grd_wgt_sz[0])

    def accGradParameters(self, input, gradOutput, scale=None):
        if input is None:
            raise ValueError('Nil input to WeightedLookupTableSkinny.')
        if gradOutput is None:
            raise ValueError('Nil gradOutput to WeightedLookupTableSkinny.')
        scale = scale or 1

        input_dim = input.dim()
        if input_dim > 2:
            raise ValueError('Input has unsupported dimensions.')
        input = self._input if self.copiedInput else input
        if not gradOutput.isContiguous():
            self._gradOutput = getattr(self, '_gradOutput', None) or gradOutput.new()
            self._gradOutput.resizeAs(gradOutput).copy(gradOutput)
            gradOutput = self._gradOutput

        self.queueResize = 1 == C.wlts_accGradParameters(
            scale,
            input.size(0),
            self.gradWeight.size().size(),
            lg.data(self.gradWeight.size()),
            input_dim,
            lg.data(self.inputs),
            lg.data(input),
            lg.data(gradOutput),
            lg.data(self.gradWeight),
            lg.data(self.inputWeights)
        )

    def accUpdateGradParameters(self, input, gradOutput, lr=None):
        if input is None:
            raise ValueError('Nil input to WeightedLookupTableSkinny.')
        if gradOutput is None:
            raise ValueError('Nil gradOutput to WeightedLookupTableSkinny.')
        if input.size(0) != gradOutput.size(0) or self.weight.size(1) != gradOutput.size(1):
            raise ValueError('Bad dimensions for gradOutput in WeightedLookupTableSkinny.')
        lr = lr or 1
        if lr == 0:
            return

        input_dim = input.dim()
        if input_dim > 2:
            raise ValueError('Input has unsupported dimensions.')
        input = self._input if self.copiedInput else input
        if not gradOutput.isContiguous():
            self._gradOutput = getattr(self, '_gradOutput', None) or gradOutput.new()
            self._gradOutput.resizeAs(gradOutput).copy(gradOutput)
            gradOutput = self._gradOutput

        C.wlts_accUpdateGradParameters(
            lr,
            input.size(0),
            self.size.size(),
            lg.data(self.size),
            input_dim,
            lg.data(input),
            lg.data(gradOutput),
            lg.data(self.weight)
        )

    def parameters(self):
        # the port's (see the module docstring): the queue is no gradient of the weight's shape
        return None

    def updateParameters(self, learningRate=None):
        learningRate = learningRate or 1
        if learningRate == 0:
            return
        C.wlts_updateParameters(
            learningRate,
            self.inputs[0],
            self.weight.size().size(),
            lg.data(self.weight.size()),
            lg.data(self.weight),
            lg.data(self.gradWeight),
            lg.data(self.inputWeights)
        )


# WeightedLookupTableSkinny.__version = 1, set after the body: Python mangles a __version written inside it
setattr(WeightedLookupTableSkinny, '__version', 1)
lg.register(WeightedLookupTableSkinny, 'nn.WeightedLookupTableSkinny')
