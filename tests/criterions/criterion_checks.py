"""The checks every criterion test makes: d loss / d input against central differences (float64),
float/double round trips, and GPU-vs-CPU agreement. Reusable by any criterion test."""
import numpy as np

from legonn import nn
from tests.checks import _tree, assert_close_trees


def _floating(x, convert):
    """Floating tensors converted; labels, numbers and None left as given (criterions read them as such)."""
    return _tree(x, lambda t: convert(t) if hasattr(t, 'dtype') and t.dtype.kind == 'f' else t)


def as_double(x):
    return _floating(x, lambda t: t.double())


def _float(x):
    return _floating(x, lambda t: t.float())


def _cuda(x):
    return _tree(x, lambda t: t.cuda() if hasattr(t, 'cuda') else t)


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
    gpu = criterion.clone().cuda()
    np.testing.assert_allclose(gpu.forward(_cuda(x), _cuda(t)), criterion.forward(x, t), rtol=rtol)
    assert_close_trees(criterion.backward(x, t), gpu.backward(_cuda(x), _cuda(t)), rtol=rtol)
