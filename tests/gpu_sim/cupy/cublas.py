"""cupy.cublas on the host: gemm and gemv as CuPy defines them (out = alpha op(a) op(b) + beta out, y = alpha
op(a) x + beta y), each one device operation, with CuPy's checks on shapes and types."""
import numpy as np

from ._array import device_call


def _op(a, trans):
    _check_trans(trans)
    return a if trans in 'Nn' else a.T.conj() if trans in 'Hh' else a.T


def _op_shape(a, trans):
    """The shape of op(a), worked out as CuPy's cublas module does, without making a view (CuPy makes none)."""
    _check_trans(trans)
    return a.shape if trans in 'Nn' else a.shape[::-1]


def _check_trans(trans):
    if trans not in ('N', 'T', 'H', 'n', 't', 'h'):
        raise TypeError(f'invalid transpose: {trans!r}')


def gemm(transa, transb, a, b, out=None, alpha=1.0, beta=0.0):
    assert a.ndim == b.ndim == 2
    assert a.dtype == b.dtype
    if a.dtype.char not in 'fdFD':
        raise TypeError('invalid dtype')
    if out is None:
        from ._namespace import empty
        m, n = _op_shape(a, transa)[0], _op_shape(b, transb)[1]
        out, beta = empty((m, n), dtype=a.dtype, order='F'), 0.0
    assert out.ndim == 2 and out.dtype == a.dtype

    def run(a, b, out):
        product = _op(a, transa) @ _op(b, transb)
        assert product.shape == out.shape
        np.copyto(out, alpha * product + beta * out if beta else alpha * product, casting='same_kind')
    device_call(run, (a, b, out), what='cublas.gemm')
    return out


def gemv(transa, alpha, a, x, beta, y):
    assert a.ndim == 2 and x.ndim == y.ndim == 1
    assert a.dtype == x.dtype == y.dtype
    if a.dtype.char not in 'fdFD':
        raise TypeError('invalid dtype')
    assert _op_shape(a, transa) == (y.shape[0], x.shape[0])

    def run(a, x, y):
        np.copyto(y, alpha * (_op(a, transa) @ x) + (beta * y if beta else 0), casting='same_kind')
    device_call(run, (a, x, y), what='cublas.gemv')
