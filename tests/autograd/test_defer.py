"""``tensor <op> traced value`` with the Tensor class left alone: legonn's Tensor operators return NotImplemented
for an operand whose class declares ``__legonn_defer__`` (DirectNode, Value), so Python calls the traced value's
reflected operator, which the trace swaps in. Other threads' tensor operators are legonn's own during a trace."""
import threading

import numpy as np
import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd.runtime.codegen.value import Value
from legonn.autograd.runtime.direct.node import DirectNode
from legonn.tensor.pointwise import DEFER_ATTRIBUTE, PointwiseMixin

OPERATORS = ('__add__', '__radd__', '__sub__', '__rsub__', '__mul__', '__rmul__', '__truediv__', '__rtruediv__',
             '__pow__', '__rpow__', '__matmul__', '__rmatmul__', '__neg__')


@pytest.fixture(params=['direct', 'optimized'])
def mode(request):
    before = autograd.optimizing()
    autograd.optimize(request.param == 'optimized')
    yield request.param
    autograd.optimize(before)


def _typed_classes():
    return [lg.Tensor] + sorted(lg.Tensor.__subclasses__(), key=lambda c: c.__name__)


def _tensor_operators_are_legonns():
    """No typed tensor class holds an operator of its own: each is PointwiseMixin's."""
    return all(name not in vars(cls) for cls in _typed_classes() for name in OPERATORS) and \
        all(getattr(lg.DoubleTensor, name) is getattr(PointwiseMixin, name) for name in OPERATORS)


def test_both_traced_value_types_declare_the_marker():
    assert getattr(DirectNode, DEFER_ATTRIBUTE) is True and getattr(Value, DEFER_ATTRIBUTE) is True


def _tensor_op_traced(c, seen):
    def f(p):
        seen.append(_tensor_operators_are_legonns())
        # every operator with the plain tensor c on the left, the traced p on the right
        return lg.sum(c + p) + lg.sum(c - p) + lg.sum(c * p) + lg.sum(c / p) + lg.sum(c ** p) + lg.sum(c @ p)
    return f


def _by_differences(f, p, eps=1e-6):
    out = np.zeros(p.nElement())
    for i in range(p.nElement()):
        up, down = p.clone(), p.clone()
        up[i] = up[i] + eps
        down[i] = down[i] - eps
        out[i] = (f(up) - f(down)) / (2 * eps)
    return out


def test_a_tensor_op_a_traced_value_without_a_class_swap(mode):
    c = lg.DoubleTensor([1.5, 2.0, 0.5])
    p = lg.DoubleTensor([0.7, 1.3, 2.1])
    seen = []
    f = _tensor_op_traced(c, seen)
    grads, loss = autograd(f)(p)
    assert seen and all(seen), "a Tensor class operator was swapped during the trace"
    assert loss == pytest.approx(f(p))
    cn, pn = c.numpy(), p.numpy()
    # d/dp of sum(c + p) + sum(c - p) + sum(c p) + sum(c / p) + sum(c^p) + c.p
    expected = 1 - 1 + cn - cn / pn ** 2 + np.log(cn) * cn ** pn + cn
    np.testing.assert_allclose(grads.numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(grads.numpy(), _by_differences(f, p), rtol=1e-6)


def test_gradient_of_a_gradient_through_a_tensor_operator():
    """In a nested trace the inner value's value is an outer one: ``c * q`` defers at both levels."""
    c = lg.DoubleTensor([1.5, 2.0, 0.5])
    p = lg.DoubleTensor([0.7, 1.3, 2.1])
    inner = autograd(lambda q: lg.sum(c * q ** 3))        # gradient 3 c q^2
    grads, loss = autograd(lambda q: lg.sum(c * inner(q)[0]))(p)     # gradient of sum(3 c^2 q^2): 6 c^2 q
    np.testing.assert_allclose(grads.numpy(), 6 * c.numpy() ** 2 * p.numpy(), rtol=1e-12)
    assert loss == pytest.approx(float(np.sum(3 * c.numpy() ** 2 * p.numpy() ** 2)))


def test_other_threads_operators_untouched_during_a_trace(mode):
    """While a trace is open in one thread, another thread's ``a + b`` runs legonn's own operator (no entry, no
    look-up of a runtime) and gives a plain tensor; the trace still differentiates its own ``tensor + p``."""
    inside, release = threading.Event(), threading.Event()
    c = lg.DoubleTensor([1.0, 2.0])
    result = {}

    def held(p):
        inside.set()
        assert release.wait(30)
        return lg.sum(c * p)

    def trace():
        result['grads'] = autograd(held)(lg.DoubleTensor([3.0, 4.0]))[0]
    tracer = threading.Thread(target=trace)
    tracer.start()
    try:
        assert inside.wait(30)
        assert lg.sum is not lg.tensor.sum, "no trace was open: the test would prove nothing"
        assert _tensor_operators_are_legonns()
        a, b = lg.DoubleTensor([1.0, 2.0]), lg.DoubleTensor([10.0, 20.0])
        total = a + b * 2 - 1
        assert type(total) is lg.DoubleTensor and total.tolist() == [20.0, 41.0]
    finally:
        release.set()
        tracer.join(30)
    assert result['grads'].tolist() == [1.0, 2.0]


def test_plain_tensor_methods_with_traced_arguments_still_traced(mode):
    """The named methods stay swapped: ``t.view(...)`` / ``t.cat(p)`` of a plain t with a traced argument."""
    t = lg.DoubleTensor([1.0, 2.0])
    grads, _ = autograd(lambda p: lg.sum(t.cat(p, 0) * 3))(lg.DoubleTensor([5.0, 6.0]))
    assert grads.tolist() == [3.0, 3.0]


def test_unsupported_in_place_method_named_as_an_operator(mode):
    """``p.add(1)`` writes into p: unsupported (the class's defaultUnsupported covers it now that the operators
    are not declared on the Tensor class)."""
    with pytest.raises(RuntimeError, match=r'function torch\.Tensor\.add not currently supported by autograd'):
        autograd(lambda p: lg.sum(p.add(1)))(lg.randn(3))


@pytest.mark.gpu
def test_a_cuda_tensor_op_a_traced_value(mode):
    """The same deferral with CUDA tensors: the gradients equal the CPU ones."""
    c = lg.DoubleTensor([1.5, 2.0, 0.5])
    p = lg.DoubleTensor([0.7, 1.3, 2.1])
    grads, loss = autograd(_tensor_op_traced(c, []))(p)
    seen = []
    grads_gpu, loss_gpu = autograd(_tensor_op_traced(c.cuda(), seen))(p.cuda())
    assert seen and all(seen) and grads_gpu.type() == 'legonn.CudaTensor'
    assert loss_gpu == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(grads_gpu.double().numpy(), grads.numpy(), rtol=1e-5)
