"""The checks every criterion test makes: d loss / d input against central differences (float64),
float/double round trips, and GPU-vs-CPU agreement. Reusable by any criterion test."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import _tree, assert_close_trees, on_gpu


def _floating(x, convert):
    """Floating tensors converted; labels, numbers and None left as given (criterions read them as such)."""
    return _tree(x, lambda t: convert(t) if hasattr(t, 'dtype') and t.dtype.kind == 'f' else t)


def as_double(x):
    return _floating(x, lambda t: t.double())


def _float(x):
    return _floating(x, lambda t: t.float())


def _cuda(x):
    return _tree(x, lambda t: on_gpu(t) if isinstance(t, lg.Tensor) else t)


def summing(crit):
    """``crit`` set to sum: Torch7's constructor takes no sizeAverage, a sum is asked for after it."""
    crit.sizeAverage = False
    return crit


def assert_criterion_gradient(criterion, input, target, tol=1e-6):
    """backward agrees with central differences of forward, in float64."""
    criterion.double()
    err = nn.Jacobian.testCriterion(criterion, as_double(input), as_double(target))
    assert err < tol, f"{criterion!r}: gradient error {err}"


def assert_criterion_type_roundtrip(criterion, input, target, rtol=1e-4):
    """The loss agrees in float32 and float64, and gradInput takes the criterion's type."""
    loss32 = criterion.float().forward(_float(input), _float(target))
    grad = criterion.backward(_float(input), _float(target))
    for g in _tree(grad, lambda t: t) if isinstance(grad, list) else [grad]:
        if g is not None:
            assert g.type() == 'legonn.FloatTensor'
    loss64 = criterion.double().forward(as_double(input), as_double(target))
    np.testing.assert_allclose(loss32, loss64, rtol=rtol, atol=1e-6)
    assert criterion.type() == 'legonn.DoubleTensor'


def assert_criterion_gpu(criterion, input, target, rtol=1e-6):
    """A cuda() twin gives the CPU criterion's loss and gradInput (float64)."""
    criterion.double()
    x, t = as_double(input), as_double(target)
    gpu = criterion.clone().cudaDouble()
    np.testing.assert_allclose(gpu.forward(_cuda(x), _cuda(t)), criterion.forward(x, t), rtol=rtol)
    assert_close_trees(criterion.backward(x, t), gpu.backward(_cuda(x), _cuda(t)), rtol=rtol)


def as_tensors(v):
    """NumPy data of a case table as tensors: float arrays as DoubleTensor, integer arrays as
    LongTensor (labels), lists element by element; numbers and None as given."""
    if isinstance(v, list):
        return [as_tensors(a) for a in v]
    if isinstance(v, np.ndarray):
        return lg.LongTensor(v) if v.dtype.kind == 'i' else lg.DoubleTensor(v)
    return v


def case_tests(cases):
    """The four standard tests over a table {name: (factory, input, target, NumPy loss)} of NumPy data:
    finite-difference gradient, loss against the NumPy value, float/double round trip, GPU agreement.
    Bind them in the test file (`test_gradient, ... = case_tests(CASES)`) so pytest collects them."""
    ids = sorted(cases)

    def case(name):
        make, x, t, ref = cases[name]
        return make, as_tensors(x), as_tensors(t), ref

    @pytest.mark.parametrize('name', ids)
    def test_gradient(name):
        make, x, t, _ = case(name)
        assert_criterion_gradient(make(), x, t)

    @pytest.mark.parametrize('name', ids)
    def test_loss_matches_numpy(name):
        make, x, t, ref = case(name)
        np.testing.assert_allclose(make().double().forward(x, t), ref, rtol=1e-12)

    @pytest.mark.parametrize('name', ids)
    def test_type_roundtrip(name):
        make, x, t, _ = case(name)
        assert_criterion_type_roundtrip(make(), x, t)

    @pytest.mark.gpu
    @pytest.mark.parametrize('name', ids)
    def test_gpu(name):
        make, x, t, _ = case(name)
        assert_criterion_gpu(make(), x, t)

    return test_gradient, test_loss_matches_numpy, test_type_roundtrip, test_gpu
