"""cudnn.torch's math-type settings (init.lua's ``configureMath`` / ``configmap``) and ``cudnn.find``'s printing
flags (find.lua): the choices a script makes of cuDNN's compute precision per tensor type and of the algorithm
finder's diagnostics. legonn has one kernel per operation and no algorithm finder, so they are recorded for the
scripts that set and read them and change no result."""
from types import SimpleNamespace

# what configureMath sets before its overrides: cuDNN's data type for each CUDA tensor type, the half one as on
# a device with fast half instructions (every GPU since Pascal)
_DEFAULT_MATH = {'torch.CudaHalfTensor': 'CUDNN_DATA_HALF', 'torch.CudaTensor': 'CUDNN_DATA_FLOAT',
                 'torch.CudaDoubleTensor': 'CUDNN_DATA_DOUBLE'}
_DATA_TYPES = ('CUDNN_DATA_HALF', 'CUDNN_DATA_FLOAT', 'CUDNN_DATA_DOUBLE')
_math = dict(_DEFAULT_MATH)

# find.lua's flags: verbose (every finder step), verboseError (failed calls), verboseFallback (a fallback taken)
find = SimpleNamespace(verbose=False, verboseError=True, verboseFallback=True)


def configureMath(overrides=None):
    """Set the math type of each CUDA tensor type back to the defaults, then apply ``overrides`` (a dict such
    as ``{'torch.CudaHalfTensor': 'CUDNN_DATA_FLOAT'}``, test/test.lua's)."""
    overrides = dict(overrides or {})
    for key, value in overrides.items():
        if key not in _DEFAULT_MATH or value not in _DATA_TYPES:
            raise ValueError(f"cudnn.configureMath: expected tensor types among {', '.join(_DEFAULT_MATH)} mapped "
                             f"to one of {', '.join(_DATA_TYPES)}, got {key!r}: {value!r}")
    _math.clear()
    _math.update(_DEFAULT_MATH, **overrides)


def configmap(tensortype):
    """The math type configured for ``tensortype`` (None for a type that is not a CUDA one, as the Lua's)."""
    return _math.get(tensortype)
