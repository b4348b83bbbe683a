"""``cudnn.functional``: cudnn.torch's stateless bindings (functional.lua), which write into tensors the caller
allocated, each routine as its cuDNN call computes it.

Every function takes cuDNN's handle first (``cudnn.getHandle()``; legonn's kernels need none, so it is accepted
and not read). A 3-D ``(C, H, W)`` tensor is taken as a batch of one, as the Lua's ``Batch2D``. The maths is
that of the matching legonn.cudnn module, built for the call and then dropped, so nothing is kept between calls:

- ``bias2D_updateOutput(handle, bias, output)``: output += bias per plane (cudnnAddTensor, both scalars 1);
- ``bias2D_accGradParameters(handle, gradOutput, gradBias, scale=1, alpha=1)``:
  gradBias = scale * (gradOutput summed over all but the plane axis) + alpha * gradBias;
- ``Convolution2D_updateOutput(handle, input, weight, output, strideH, strideW, padH, padW)``: output = the
  cross-correlation of input with the ``(nOut, nIn, kH, kW)`` weight, no bias; ``output`` must have its size;
- ``Convolution2D_updateGradInput(handle, input, weight, output, gradOutput, gradInput, strideH, strideW,
  padH, padW)``: gradInput = the gradient of that convolution with respect to its input;
- ``Convolution2D_accGradParameters(handle, input, gradWeight, gradOutput, strideH, strideW, padH, padW,
  scale=1, alpha=1)``: gradWeight = scale * (the weight's gradient) + alpha * gradWeight;
- ``Pooling_updateOutput(handle, mode, input, output, kH, kW, dH, dW, padH, padW, ceil_mode=False)`` and
  ``Pooling_updateGradInput(handle, mode, input, output, gradOutput, gradInput, kH, kW, dH, dW, padH, padW,
  ceil_mode=False)``, ``mode`` one of ``'CUDNN_POOLING_MAX'``, ``'CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING'``
  (or its old name ``'CUDNN_POOLING_AVERAGE'``), ``'CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING'`` or their
  ``cudnn.C`` numbers; ``MaxPooling2D_*`` and ``AveragePooling2D_*`` fix the mode. The max gradient goes to the
  window's maximum of ``input`` (cuDNN compares with ``output``: the same place when ``output`` is the forward's);
- ``ReLU``, ``Tanh``, ``Sigmoid``, ``SoftMax``, ``LogSoftMax`` ``_updateOutput(handle, input, output)`` (output
  resized as input) and ``_updateGradInput(handle, input, output, gradOutput, gradInput)``, whose gradient is
  taken from the given ``output`` as cuDNN's; the softmaxes normalise each sample over all its values (INSTANCE
  mode, as cudnn.SoftMax).
"""
from .. import nn
from ..modules.base.training import lua_or
from .activations import ReLU, Sigmoid, Tanh
from .constants import C
from .pooling import SpatialAveragePooling, SpatialMaxPooling
from .softmax import LogSoftMax, SoftMax


def _batch2d(t):
    """functional.lua's Batch2D: a (C, H, W) tensor viewed as (1, C, H, W)."""
    return t.view(1, t.size(0), t.size(1), t.size(2)) if t.dim() == 3 else t


def _check_size(fn, name, given, expected):
    if list(given.size()) != list(expected.size()):
        raise ValueError(f"cudnn.functional.{fn}: {name} is of wrong size: expected "
                         f"{'x'.join(map(str, expected.size()))}, got {'x'.join(map(str, given.size()))}")


def _convolution(weight, strideH, strideW, padH, padW, like):
    """A bias-free nn.SpatialConvolution holding ``weight`` (nOut, nIn, kH, kW), on ``like``'s type."""
    nOut, nIn, kH, kW = weight.size()
    conv = nn.SpatialConvolution(nIn, nOut, kW, kH, strideW, strideH, padW, padH).noBias().type(like.type())
    conv.weight.copy(weight)
    return conv


def bias2D_updateOutput(handle, bias, output):
    output = _batch2d(output)
    output.add(bias.view(1, bias.nElement(), 1, 1).expandAs(output))


def bias2D_accGradParameters(handle, gradOutput, gradBias, scale=None, alpha=None):
    gradOutput = _batch2d(gradOutput)
    planes = gradOutput.size(1)
    summed = gradOutput.transpose(0, 1).contiguous().view(planes, -1).sum(1).view(gradBias.size())
    gradBias.mul(lua_or(alpha, 1)).add(lua_or(scale, 1), summed)  # Lua's `scale or 1`: 0 stays 0


def Convolution2D_updateOutput(handle, input, weight, output, strideH, strideW, padH, padW, workspace=None):
    input, output = _batch2d(input), _batch2d(output)
    result = _convolution(weight, strideH, strideW, padH, padW, input).forward(input)
    _check_size('Convolution2D_updateOutput', 'output', output, result)
    output.copy(result)


def Convolution2D_updateGradInput(handle, input, weight, output, gradOutput, gradInput,
                                  strideH, strideW, padH, padW):
    input, gradOutput, gradInput = _batch2d(input), _batch2d(gradOutput), _batch2d(gradInput)
    conv = _convolution(weight, strideH, strideW, padH, padW, input)
    conv.forward(input)
    result = conv.updateGradInput(input, gradOutput)
    _check_size('Convolution2D_updateGradInput', 'gradInput', gradInput, result)
    gradInput.copy(result)


def Convolution2D_accGradParameters(handle, input, gradWeight, gradOutput, strideH, strideW, padH, padW,
                                    scale=None, alpha=None):
    input, gradOutput = _batch2d(input), _batch2d(gradOutput)
    conv = _convolution(gradWeight, strideH, strideW, padH, padW, input)
    conv.forward(input)
    conv.zeroGradParameters()
    conv.accGradParameters(input, gradOutput, 1)
    gradWeight.mul(lua_or(alpha, 1)).add(lua_or(scale, 1), conv.gradWeight)


_POOLING_MODES = {'CUDNN_POOLING_MAX': C.CUDNN_POOLING_MAX,
                  'CUDNN_POOLING_AVERAGE': C.CUDNN_POOLING_AVERAGE,
                  'CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING': C.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING,
                  'CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING': C.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING}


def _pooling(fn, mode, kH, kW, dH, dW, padH, padW, ceil_mode, like):
    number = _POOLING_MODES.get(mode, mode)
    if number == C.CUDNN_POOLING_MAX:
        pool = SpatialMaxPooling(kW, kH, dW, dH, padW, padH)
    elif number in (C.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, C.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING):
        pool = SpatialAveragePooling(kW, kH, dW, dH, padW, padH)
        pool.count_include_pad = number == C.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
    else:
        raise ValueError(f"cudnn.functional.{fn}: mode must be one of {', '.join(_POOLING_MODES)} or their "
                         f"cudnn.C numbers, got {mode!r}")
    if ceil_mode:
        pool.ceil()
    return pool.type(like.type())


def Pooling_updateOutput(handle, mode, input, output, kH, kW, dH, dW, padH, padW, ceil_mode=False):
    input, output = _batch2d(input), _batch2d(output)
    result = _pooling('Pooling_updateOutput', mode, kH, kW, dH, dW, padH, padW, ceil_mode, input).forward(input)
    _check_size('Pooling_updateOutput', 'output', output, result)
    output.copy(result)


def Pooling_updateGradInput(handle, mode, input, output, gradOutput, gradInput, kH, kW, dH, dW, padH, padW,
                            ceil_mode=False):
    input, gradOutput, gradInput = _batch2d(input), _batch2d(gradOutput), _batch2d(gradInput)
    pool = _pooling('Pooling_updateGradInput', mode, kH, kW, dH, dW, padH, padW, ceil_mode, input)
    pool.forward(input)
    result = pool.updateGradInput(input, gradOutput)
    _check_size('Pooling_updateGradInput', 'gradInput', gradInput, result)
    gradInput.copy(result)


def MaxPooling2D_updateOutput(handle, input, output, kH, kW, dH, dW, padH, padW, ceil_mode=False):
    Pooling_updateOutput(handle, 'CUDNN_POOLING_MAX', input, output, kH, kW, dH, dW, padH, padW, ceil_mode)


def AveragePooling2D_updateOutput(handle, input, output, kH, kW, dH, dW, padH, padW, ceil_mode=False):
    Pooling_updateOutput(handle, 'CUDNN_POOLING_AVERAGE', input, output, kH, kW, dH, dW, padH, padW, ceil_mode)


def MaxPooling2D_updateGradInput(handle, input, output, gradOutput, gradInput, kH, kW, dH, dW, padH, padW,
                                 ceil_mode=False):
    Pooling_updateGradInput(handle, 'CUDNN_POOLING_MAX', input, output, gradOutput, gradInput,
                            kH, kW, dH, dW, padH, padW, ceil_mode)


def AveragePooling2D_updateGradInput(handle, input, output, gradOutput, gradInput, kH, kW, dH, dW, padH, padW,
                                     ceil_mode=False):
    Pooling_updateGradInput(handle, 'CUDNN_POOLING_AVERAGE', input, output, gradOutput, gradInput,
                            kH, kW, dH, dW, padH, padW, ceil_mode)


def _pointwise(make):
    """The pair ``X_updateOutput``, ``X_updateGradInput`` of an activation or softmax module class."""

    def updateOutput(handle, input, output):
        output.resizeAs(input)
        output.copy(make().type(input.type()).forward(input))

    def updateGradInput(handle, input, output, gradOutput, gradInput):
        gradInput.resizeAs(input)
        module = make().type(input.type())
        module.output = output   # cuDNN's backward reads the given output, not a forward of its own
        gradInput.copy(module.updateGradInput(input, gradOutput))

    return updateOutput, updateGradInput


ReLU_updateOutput, ReLU_updateGradInput = _pointwise(ReLU)
Tanh_updateOutput, Tanh_updateGradInput = _pointwise(Tanh)
Sigmoid_updateOutput, Sigmoid_updateGradInput = _pointwise(Sigmoid)
SoftMax_updateOutput, SoftMax_updateGradInput = _pointwise(SoftMax)
LogSoftMax_updateOutput, LogSoftMax_updateGradInput = _pointwise(LogSoftMax)
