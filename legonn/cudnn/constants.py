"""``cudnn.C``: the enumeration values of cuDNN's header that cudnn.torch's ffi.lua declares and scripts read
(``cudnn.C.CUDNN_POOLING_AVERAGE``): the pooling, activation and softmax modes, with cuDNN 5's numbers. The
rest of the FFI library (cuDNN's C functions) has no legonn counterpart: legonn computes with its own kernels."""
from types import SimpleNamespace

C = SimpleNamespace(
    CUDNN_SOFTMAX_FAST=0,
    CUDNN_SOFTMAX_ACCURATE=1,
    CUDNN_SOFTMAX_LOG=2,
    CUDNN_SOFTMAX_MODE_INSTANCE=0,
    CUDNN_SOFTMAX_MODE_CHANNEL=1,
    CUDNN_POOLING_MAX=0,
    CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING=1,
    CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING=2,
    CUDNN_POOLING_AVERAGE=1,   # ffi.lua's old name, kept "for backward compatibility"
    CUDNN_ACTIVATION_SIGMOID=0,
    CUDNN_ACTIVATION_RELU=1,
    CUDNN_ACTIVATION_TANH=2,
    CUDNN_ACTIVATION_CLIPPED_RELU=3,
)
