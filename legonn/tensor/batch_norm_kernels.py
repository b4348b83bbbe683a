"""Batch normalisation's arithmetic on NumPy float32 and float64 data: THNN's per-feature passes
(``batch_norm_cpu``'s Numba kernels), every operand checked by ``blas_kernels.check_operands`` first and the
features split over legonn's threads (``parallel``), as THNN's ``omp parallel for`` splits them.

The data is ``x`` (B, C, S) C-contiguous (the module's input seen as batch, features, values per sample);
per-feature arrays are (C,): ``mean`` and ``invstd`` in the data's type, the sums float64. A module without
``weight``/``bias`` passes None: THNN's w = 1 and b = 0 (exactly as in its arithmetic). CuPy data and CPU
half floats keep the module's array code: ``takes`` says which data comes here.
"""
import importlib

import numpy as np

from . import parallel
from .blas_kernels import check_operands

_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


def takes(x):
    """Whether these kernels compute batch normalisation of the array ``x``."""
    return type(x) is np.ndarray and x.dtype in _TYPES


def _cpu():
    """The Numba kernels, imported when first used (Numba's import is not legonn's)."""
    return importlib.import_module('.batch_norm_cpu', __package__)


def _per_feature(x, given, fill):
    """``given`` as the (C,) array of ``x``'s type the kernels read, or (None) C copies of ``fill``."""
    if given is None:
        return np.full(x.shape[1], fill, x.dtype)
    return np.ascontiguousarray(given, dtype=x.dtype)


def _over_features(call, x):
    """``call(first, stop)`` for each thread's share of ``x``'s features (one share when splitting would not pay)."""
    bounds = parallel.leading_ranges(x.transpose(1, 0, 2))
    parallel.run_parts(lambda i: call(*bounds[i]), range(len(bounds)))


def _check(routine, x, *operands):
    features = (x.shape[1],)
    check_operands(f"batch_norm_kernels.{routine}", x.dtype, ('input', x, x.shape, None),
                   *((name, arr, x.shape if whole else features, None) for name, arr, whole in operands))


def forward_train(x, weight, bias, eps, momentum, running_mean, running_var, out, mean, invstd):
    """``out`` = x normalised with the batch's own statistics, ``mean`` and ``invstd`` (C,) set to the batch mean
    and THNN's ``(real) (1 / sqrt(var + eps))`` per feature, and the running estimates moved by ``momentum``
    towards the mean and the unbiased variance (float64 arithmetic, rounded once into the (C,) arrays given)."""
    weight, bias = _per_feature(x, weight, 1), _per_feature(x, bias, 0)
    _check('forward_train', x, ('output', out, True), ('weight', weight, False), ('bias', bias, False),
           ('mean', mean, False), ('invstd', invstd, False), ('running_mean', running_mean, False),
           ('running_var', running_var, False))
    run, args = _cpu().forward_train, (float(eps), float(momentum), out, mean, invstd, running_mean, running_var)
    _over_features(lambda first, stop: run(x, weight, bias, *args, first, stop), x)
    return out


def normalize(x, mean, invstd, weight, bias, out):
    """``out`` = ((x - mean) * invstd) * weight + bias per feature, with given statistics (evaluation)."""
    mean, invstd = _per_feature(x, mean, 0), _per_feature(x, invstd, 1)
    weight, bias = _per_feature(x, weight, 1), _per_feature(x, bias, 0)
    _check('normalize', x, ('output', out, True), ('mean', mean, False), ('invstd', invstd, False),
           ('weight', weight, False), ('bias', bias, False))
    run = _cpu().normalize
    _over_features(lambda first, stop: run(x, mean, invstd, weight, bias, out, first, stop), x)
    return out


def backward(x, grad_out, mean, invstd, weight, train, grad_in=None, grad_weight=None, grad_bias=None, scale=1):
    """THNN's BatchNormalization_backward: fills ``grad_in`` unless None (batch statistics when ``train``, else
    given ones) and, unless ``grad_weight`` is None, adds ``scale`` times the parameter gradients to the (C,) arrays
    ``grad_weight`` and ``grad_bias`` (float64 arithmetic rounded once), from the same pass over gradOutput."""
    mean, invstd, weight = _per_feature(x, mean, 0), _per_feature(x, invstd, 1), _per_feature(x, weight, 1)
    grad_in = np.empty((0, 0, 0), x.dtype) if grad_in is None else grad_in
    params = (grad_weight, grad_bias) if grad_weight is not None else (np.empty(0, x.dtype),) * 2
    _check('backward', x, ('gradOutput', grad_out, True), ('mean', mean, False), ('invstd', invstd, False),
           ('weight', weight, False), *((('gradInput', grad_in, True),) if grad_in.size else ()),
           *((('gradWeight', params[0], False), ('gradBias', params[1], False)) if grad_weight is not None else ()))
    run, args = _cpu().backward, (bool(train), grad_in, *params, float(scale))
    _over_features(lambda first, stop: run(x, grad_out, mean, invstd, weight, *args, first, stop), x)
