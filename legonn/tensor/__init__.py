"""legonn.tensor: Storage, Tensor and its typed twins, the default type, the RNG,
NumPy/CuPy dispatch and the numeric kernels modules call."""
from .backend import gpu_available
from .storage import Storage
from .tensor import TENSOR_CLASSES, Tensor, contiguous_strides, default_class, tensor_class
from .types import TYPES, getdefaulttensortype, setdefaulttensortype
from .random import Generator, getRNGState, initialSeed, manualSeed, seed, setRNGState
from .functions import (FUNCTIONAL, arange, as_tensor, as_tensor_tree, cat, concat, eye, find, from_numpy, is_tensor,
                        linspace, logspace, ones, rand, randn, randperm, range, stack, zeros)
from .naming import snake_aliases
from .tensor_conv import conv2, conv3, xcorr2, xcorr3
from .linalg import (eig, gels, geqrf, gesv, inverse, orgqr, ormqr, potrf, potri, potrs, pstrf, qr, svd, symeig,
                     trtrs)
from .parallel import getnumthreads, setnumthreads
from .pointwise import AmbiguousBroadcastWarning
from .float_errors import silence_float_warnings

silence_float_warnings()

globals().update(TENSOR_CLASSES)
globals().update(FUNCTIONAL)
# manual_seed, index_select, repeat_tensor, ...: the same one mechanism as the method aliases
SNAKE = snake_aliases({name: globals()[name] for name in
                       ['manualSeed', 'initialSeed', 'getRNGState', 'setRNGState'] + list(FUNCTIONAL)})
globals().update(SNAKE)

__all__ = (['Storage', 'Tensor', 'TYPES', 'TENSOR_CLASSES', 'getdefaulttensortype', 'setdefaulttensortype',
            'Generator', 'manualSeed', 'seed', 'initialSeed', 'getRNGState', 'setRNGState', 'gpu_available',
            'tensor_class', 'setnumthreads', 'getnumthreads', 'AmbiguousBroadcastWarning',
            'default_class', 'contiguous_strides', 'zeros', 'ones', 'rand', 'randn', 'randperm', 'range', 'arange',
            'linspace', 'logspace', 'eye', 'from_numpy', 'is_tensor', 'as_tensor', 'as_tensor_tree', 'cat', 'concat',
            'find', 'stack',
            'conv2', 'xcorr2', 'conv3', 'xcorr3', 'gesv', 'inverse', 'trtrs',
            'potrf', 'potrs', 'potri', 'pstrf', 'gels', 'qr', 'geqrf', 'orgqr', 'ormqr', 'symeig', 'eig', 'svd']
           + list(TENSOR_CLASSES) + list(FUNCTIONAL) + list(SNAKE))
