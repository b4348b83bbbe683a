"""``require 'cudnn'``: the classes of soumith/cudnn.torch (R5) as legonn modules, ``cudnn.convert`` and the
global flags scripts set.

Each class computes the maths of its cuDNN routine with legonn's own kernels (on NumPy or CuPy: a model
built with them also runs on the CPU, where Torch7's needs CUDA tensors) and keeps cudnn.torch's
constructor arguments and defaults; most are subclasses of their nn twin, so ``isTypeOf(m,
'nn.SpatialConvolution')`` holds as in Lua. ``legonn.typename`` names them 'cudnn.ReLU', their repr starts
with ``cudnn.`` and ``lg.save``/``lg.load`` keep them cudnn's.

The flags are accepted and recorded; legonn has one algorithm per operation, so none changes a result or
the speed:

- ``benchmark`` (False): cuDNN's auto-tuner over convolution algorithms;
- ``fastest`` (False): the fastest convolution algorithm regardless of workspace;
- ``verbose`` (False): cuDNN's diagnostic printing;
- ``useFindEx`` (False): cudnnFind*Ex for the auto-tuner.

``configureMath(overrides)`` / ``configmap(tensortype)`` (cuDNN's compute type per CUDA tensor type) and
``find.verbose``, ``find.verboseError``, ``find.verboseFallback`` (the algorithm finder's printing) are recorded
the same way (legonn.cudnn.math_config).

``version`` is 5110, the cuDNN release (5.1.10) of the R5 bindings whose behaviour these classes follow, for
scripts that branch on ``cudnn.version``.

``cudnn.functional`` has functional.lua's stateless routines (bias, 2-D convolution, pooling, activations,
softmaxes), ``cudnn.getHandle()`` the handle they take (a token: legonn's kernels need none) and ``cudnn.C`` the
pooling, activation and softmax enumeration values of cuDNN's header.

Not provided: ``SpatialDivisiveNormalization``, whose file init.lua never loads (it is nil in Lua).
"""
from . import functional
from .activations import ClippedReLU, ReLU, Sigmoid, Tanh
from .constants import C
from .convert import convert
from .convolution import (SpatialConvolution, SpatialFullConvolution, TemporalConvolution, VolumetricConvolution,
                          VolumetricFullConvolution)
from .criterions import SpatialCrossEntropyCriterion, VolumetricCrossEntropyCriterion
from .handle import getHandle
from .math_config import configmap, configureMath, find
from .normalization import (BatchNormalization, SpatialBatchNormalization, SpatialCrossMapLRN,
                            VolumetricBatchNormalization)
from .pooling import SpatialAveragePooling, SpatialMaxPooling, VolumetricAveragePooling, VolumetricMaxPooling
from .recurrent import BGRU, BLSTM, GRU, LSTM, RNN, RNNReLU, RNNTanh
from .softmax import LogSoftMax, SoftMax, SpatialLogSoftMax, SpatialSoftMax, VolumetricLogSoftMax, VolumetricSoftMax

benchmark = False
fastest = False
verbose = False
useFindEx = False
version = 5110

__all__ = ['BGRU', 'BLSTM', 'BatchNormalization', 'C', 'ClippedReLU', 'GRU', 'LSTM', 'LogSoftMax', 'RNN', 'RNNReLU',
           'RNNTanh', 'ReLU', 'Sigmoid', 'SoftMax', 'SpatialAveragePooling', 'SpatialBatchNormalization',
           'SpatialConvolution', 'SpatialCrossEntropyCriterion', 'SpatialCrossMapLRN', 'SpatialFullConvolution',
           'SpatialLogSoftMax', 'SpatialMaxPooling', 'SpatialSoftMax', 'Tanh', 'TemporalConvolution',
           'VolumetricAveragePooling', 'VolumetricBatchNormalization', 'VolumetricConvolution',
           'VolumetricCrossEntropyCriterion', 'VolumetricFullConvolution', 'VolumetricLogSoftMax',
           'VolumetricMaxPooling', 'VolumetricSoftMax', 'benchmark', 'configmap', 'configureMath', 'convert',
           'fastest', 'find', 'functional', 'getHandle', 'useFindEx', 'verbose', 'version']
