"""legonn.tensor.fast_math: the exp, expm1, tanh and sigmoid of the Numba kernels, against long-double
references, in ulps of the result's type, over the whole range and at the limits."""
import numpy as np
import pytest
from numba import njit

from legonn.tensor import fast_math

FUNCTIONS = ('exp', 'expm1', 'tanh', 'sigmoid')
# the most ulps each may be off (measured: 1.2, 4.4, 2.9, 2.4)
BOUNDS = {'exp': 1.5, 'expm1': 5, 'tanh': 3.5, 'sigmoid': 3}


@njit(error_model='numpy')
def _apply(x, out):
    for i in range(x.size):
        v = x[i]
        out[0, i] = fast_math.exp(v)
        out[1, i] = fast_math.expm1(v)
        out[2, i] = fast_math.tanh(v)
        out[3, i] = fast_math.sigmoid(v)


def apply(x):
    out = np.empty((4, x.size), x.dtype)
    _apply(x, out)
    return dict(zip(FUNCTIONS, out))


def references(x):
    xl = x.astype(np.longdouble)
    with np.errstate(over='ignore'):
        return {'exp': np.exp(xl), 'expm1': np.expm1(xl), 'tanh': np.tanh(xl), 'sigmoid': 1 / (1 + np.exp(-xl))}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_within_a_few_ulp_over_the_range(dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(20000) * scale for scale in (1e-7, 1e-3, 0.1, 0.35, 1, 3, 10, 80, 700)]
                       + [np.linspace(-760, 720, 20001)]).astype(dtype)
    got, want = apply(x), references(x)
    info = np.finfo(dtype)
    for name in FUNCTIONS:
        with np.errstate(over='ignore'):
            expected = want[name].astype(dtype)
        # normal results: ulps; overflow and underflow: checked in the test below
        normal = np.isfinite(expected) & (np.abs(expected) >= info.tiny)
        ulp = np.spacing(np.abs(expected[normal])).astype(np.longdouble)
        err = np.abs(got[name][normal].astype(np.longdouble) - want[name][normal]) / ulp
        assert err.max() <= BOUNDS[name], (name, float(err.max()), x[normal][np.argmax(err)])


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_limits_signs_and_nan(dtype):
    info = np.finfo(dtype)
    big = np.log(float(info.max))
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, big * 1.01, -big * 1.2, 1e-30], dtype)
    got = apply(x)
    for name in FUNCTIONS:
        assert np.isnan(got[name][0]), name
    np.testing.assert_array_equal(got['exp'][1:], np.array([np.inf, 0, 1, 1, np.inf, 0, 1], dtype))
    np.testing.assert_array_equal(got['expm1'][1:], np.array([np.inf, -1, 0, 0, np.inf, -1, 1e-30], dtype))
    np.testing.assert_array_equal(got['tanh'][1:], np.array([1, -1, 0, 0, 1, -1, 1e-30], dtype))
    assert np.signbit(got['tanh'][4]) and not np.signbit(got['tanh'][3])
    np.testing.assert_array_equal(got['sigmoid'][1:], np.array([1, 0, 0.5, 0.5, 1, 0, 0.5], dtype))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_subnormal_results_round_like_the_c_library(dtype):
    info = np.finfo(dtype)
    low = np.log(float(info.smallest_subnormal))
    x = np.linspace(low - 1.5, np.log(float(info.tiny)) + 0.5, 2001).astype(dtype)
    with np.errstate(under='ignore'):
        want = np.exp(x.astype(np.longdouble)).astype(dtype)
    got = apply(x)['exp']
    # below the normal range a result is a multiple of the smallest subnormal: off by at most one of those
    assert np.abs(got - want).max() <= info.smallest_subnormal
    assert (got == 0).any() and (got > 0).any()


def test_plain_python_calls_say_where_they_run():
    with pytest.raises(NotImplementedError, match='numba.njit'):
        fast_math.exp(1.0)
