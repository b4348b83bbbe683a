"""CompactBilinearPooling.lua (jnhwkim/cbp, all of it). Edits beyond Lua syntax and 0-based indices:
``require 'spectralnet'`` is the port's cufft.py (NumPy's / CuPy's FFT: legonn has no spectral-lib binding), and
the Lua's ``torch.CudaTensor()`` buffers are ``CudaTensor()``, this module's name for lg.CudaTensor, which a
CPU test sets to lg.DoubleTensor (the Lua runs on CUDA only).

``0==#self.h1:size()`` (Torch7's empty tensor has no dimension; legonn's has one of size 0) is
``0 == self.h1.nElement()`` (docs/porting.md's ``list:dim() ~= 0`` row). The buffers the Lua creates on first use
(``self.x_ = self.x_ or torch.CudaTensor()``) are tested with ``getattr(self, name, None) is None``, a field never
set being an AttributeError in Python.

The Lua's ``sample`` draws 1-based bucket indices ``uniform(0, d):ceil()``; 0-based, the port subtracts one.

What the Lua computes (and so the port): ``conv`` multiplies the two spectra with ``cmul`` on their (real,
imaginary) pair tensors, an element-wise product of the real parts and of the imaginary parts, not the complex
product, so the output is not the count sketches' circular convolution (test.lua's testConv expects those values,
17.5 and 17.75 where the convolution has 15, 17, 20, ...); the operation is still bilinear and symmetric, and
updateGradInput's ``conv(gradOutput, y_other)`` is its exact gradient.
"""
import legonn as lg
from legonn import nn
from legonn import sys as tsys

from . import cufft

CudaTensor = lg.CudaTensor


class CompactBilinearPooling(nn.Module):
    # Reference:
    # Multimodal Compact Bilinear Pooling for Visual Question Answering and Visual Grounding
    # Fukui et al. (2016) http://arxiv.org/abs/1606.01847
    def __init__(self, outputSize, homogeneous=None):
        assert outputSize and outputSize >= 1, 'missing outputSize!'
        self.outputSize = outputSize
        self.homogeneous = homogeneous
        self.reset()
        self.debug = False

    def reset(self):
        self.h1 = lg.Tensor()
        self.h2 = lg.Tensor()
        self.s1 = lg.Tensor()
        self.s2 = lg.Tensor()
        self.y = lg.Tensor()
        self.gradInput = []
        self.tmp = lg.Tensor()

    def sample(self):
        self.h1.uniform(0, self.outputSize).ceil().add(-1)
        self.h2.uniform(0, self.outputSize).ceil().add(-1)
        self.s1.uniform(0, 2).floor().mul(2).add(-1)
        self.s2.uniform(0, 2).floor().mul(2).add(-1)

    def psi(self):
        self.y.zero()
        batchSize = self.input[0].size(0)
        for i in range(0, 2):
            if self.homogeneous:  # using the same samples
                self.y[i].indexAdd(1, self.h1, lg.cmul(self.s1.repeatTensor(batchSize, 1), self.input[i]))
            else:
                if i == 0:
                    self.y[i].indexAdd(1, self.h1, lg.cmul(self.s1.repeatTensor(batchSize, 1), self.input[i]))
                else:
                    self.y[i].indexAdd(1, self.h2, lg.cmul(self.s2.repeatTensor(batchSize, 1), self.input[i]))

    def conv(self, x, y):
        batchSize = x.size(0)
        dim = x.size(1)

        def makeComplex(x, y):
            if getattr(self, 'x_', None) is None:
                self.x_ = CudaTensor()
            self.x_.resize(x.size(0), 1, 1, x.size(1), 2).zero()
            self.x_[:, 0:1, 0:1, :, 0:1].copy(x)
            if getattr(self, 'y_', None) is None:
                self.y_ = CudaTensor()
            self.y_.resize(y.size(0), 1, 1, y.size(1), 2).zero()
            self.y_[:, 0:1, 0:1, :, 0:1].copy(y)
        makeComplex(x, y)
        if getattr(self, 'fft_x', None) is None:
            self.fft_x = CudaTensor(batchSize, 1, 1, dim, 2)
        if getattr(self, 'fft_y', None) is None:
            self.fft_y = CudaTensor(batchSize, 1, 1, dim, 2)
        if getattr(self, '_conv', None) is None:
            self._conv = CudaTensor()
        self._conv.resize(batchSize, 1, 1, dim * 2)
        cufft.fft1d(self.x_.view(x.size(0), 1, 1, -1), self.fft_x)
        cufft.fft1d(self.y_.view(y.size(0), 1, 1, -1), self.fft_y)
        cufft.ifft1d(self.fft_x.cmul(self.fft_y), self._conv)
        return self._conv.resize(batchSize, 1, 1, dim, 2).select(1, 0).select(1, 0).select(2, 0)

    def updateOutput(self, input):
        if self.debug:
            tsys.tic(1)
        self.input = input
        inputSizes1 = input[0].size()
        inputSizes2 = input[1].size()

        if 0 == self.h1.nElement():  # `0==#self.h1:size()`: docs/porting.md's `list:dim() ~= 0` row
            self.h1.resize(inputSizes1[len(inputSizes1) - 1])
            self.h2.resize(inputSizes2[len(inputSizes2) - 1])
            self.s1.resize(inputSizes1[len(inputSizes1) - 1])
            self.s2.resize(inputSizes2[len(inputSizes2) - 1])
            self.sample()  # samples are fixed

        if 2 > len(inputSizes1):  # no batch
            self.y.resize(2, self.outputSize)
        elif 2 == len(inputSizes1):  # batch
            batchSize = inputSizes1[0]
            self.y.resize(2, batchSize, self.outputSize)
        else:
            assert False, '# of dimensions > 2'
        if self.debug:
            print('pre:', tsys.toc(1))
        self.psi()
        if self.debug:
            print('psi:', tsys.toc(1))
        self.output = self.conv(self.y[0], self.y[1])
        if self.debug:
            print('conv:', tsys.toc(1))

        return self.output

    def updateGradInput(self, input, gradOutput):
        dim = input[0].size(1)
        batchSize = input[0].size(0)
        self.gradInput = self.gradInput or []

        for k in range(0, 2):
            if len(self.gradInput) <= k:
                self.gradInput.append(input[k].new())
            self.gradInput[k].resizeAs(input[k]).zero()
            if self.tmp is None:
                self.tmp = gradOutput.new()
            self.tmp.resizeAs(gradOutput)

            self.tmp = self.conv(gradOutput, self.y[(k + 1) % 2])
            if k == 0:
                self.gradInput[k].index(self.tmp, 1, self.h1)
                self.gradInput[k].cmul(self.s1.repeatTensor(batchSize, 1))
            else:
                self.gradInput[k].index(self.tmp, 1, self.h2)
                self.gradInput[k].cmul(self.s2.repeatTensor(batchSize, 1))

        return self.gradInput
