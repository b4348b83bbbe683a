"""Tanh, Sigmoid, Threshold, ReLU, HardTanh: gradients, NumPy references, types, in-place forms, errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip, with_fields

# name -> (factory, NumPy reference of the output, NumPy reference of d output / d input)
CASES = {
    'Tanh': (nn.Tanh, np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    'Sigmoid': (nn.Sigmoid, lambda x: 1 / (1 + np.exp(-x)),
                lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    'ReLU': (nn.ReLU, lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
    'Threshold': (lambda: nn.Threshold(0.3, -1.5), lambda x: np.where(x > 0.3, x, -1.5),
                  lambda x: (x > 0.3) * 1.0),
    'HardTanh': (lambda: nn.HardTanh(-0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5),
                 lambda x: ((x > -0.5) & (x < 1.5)) * 1.0),
}
IDS = sorted(CASES)
SHAPES = [(4,), (3, 5), (2, 3, 2)]


def _x(shape, seed=0):
    return np.random.default_rng(seed).uniform(-3, 3, shape)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('name', IDS)
def test_jacobian(name, shape):
    assert_jacobian(CASES[name][0](), lg.DoubleTensor(*shape), minval=-3, maxval=3)


@pytest.mark.parametrize('shape', [(4,), (3, 5)])
@pytest.mark.parametrize('name', IDS)
def test_matches_numpy_reference(name, shape):
    make, ref, dref = CASES[name]
    m = make().double()
    x, go = _x(shape), _x(shape, 1)
    np.testing.assert_allclose(m.forward(x).numpy(), ref(x), rtol=1e-12)
    np.testing.assert_allclose(m.backward(x, go).numpy(), go * dref(x), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize('name', IDS)
def test_type_roundtrip(name):
    assert_type_roundtrip(CASES[name][0](), lg.rand(3, 4))


@pytest.mark.gpu
@pytest.mark.parametrize('shape', [(5,), (3, 4)])
@pytest.mark.parametrize('name', IDS)
def test_gpu_matches_cpu(name, shape):
    assert_gpu_matches_cpu(CASES[name][0](), lg.DoubleTensor(*shape).uniform(-3, 3))


@pytest.mark.gpu
@pytest.mark.parametrize('make', [lambda: nn.ReLU(True), lambda: nn.HardTanh(-1, 1, True),
                                  lambda: nn.Threshold(0.5, 0.1, True)])
def test_gpu_inplace_matches_cpu(make):
    cpu = make().double()
    gpu = make().cudaDouble()
    x, go = _x((3, 4)), _x((3, 4), 1)
    out = cpu.forward(x.copy()).numpy().copy()
    gi = cpu.backward(x, go.copy()).numpy()
    xg, gog = lg.DoubleTensor(x).cudaDouble(), lg.DoubleTensor(go).cudaDouble()
    np.testing.assert_allclose(gpu.forward(xg).array.get(), out)
    np.testing.assert_allclose(gpu.backward(xg, gog).array.get(), gi)


def test_outputs_follow_input_type_and_reuse_buffers():
    m = nn.ReLU()
    y32 = m.forward(np.ones((2, 3), np.float32))
    assert y32.type() == 'legonn.FloatTensor'
    data = y32.storage().data
    m.forward(-np.ones((2, 3), np.float32))
    assert m.output.storage().data is data  # same shape: the buffer is reused, not reallocated
    assert m.forward(np.ones((2, 3))).type() == 'legonn.DoubleTensor'


@pytest.mark.parametrize('make,ref', [
    (lambda: nn.ReLU(True), lambda x: np.maximum(x, 0)),
    (lambda: nn.Threshold(0.5, 0.1, True), lambda x: np.where(x > 0.5, x, 0.1)),
    (lambda: nn.HardTanh(-1, 2, True), lambda x: np.clip(x, -1, 2)),
])
def test_inplace_overwrites_input_and_gradoutput(make, ref):
    m = make().double()
    x, go = _x((3, 4)), _x((3, 4), 1)
    mask = ref(x) == x  # the elements that pass through
    original = x.copy()
    xt, got = lg.from_numpy(x), lg.from_numpy(go.copy())
    y = m.forward(xt)
    assert y is m.output and y.isSetTo(xt) and np.shares_memory(y.numpy(), x)   # THTensor_(set), as THNN
    np.testing.assert_array_equal(x, ref(original))
    gi = m.backward(xt, got)
    assert gi is m.gradInput and gi.isSetTo(got)
    np.testing.assert_array_equal(gi.numpy(), np.where(mask, go, 0))


def test_inplace_jacobian():
    # forward overwrites the input; with positive inputs it is left as it was, so finite differences apply
    m = nn.ReLU(True).double()
    x = lg.DoubleTensor(3, 4).uniform(0.5, 2)
    assert nn.Jacobian.testJacobian(m, x, 0.5, 2) < 1e-6


def test_torch7_constructors_and_defaults():
    t = nn.Threshold()
    assert (t.threshold, t.val, t.inplace) == (1e-6, 0, False)
    r = nn.ReLU(True)
    assert isinstance(r, nn.Threshold) and (r.threshold, r.val, r.inplace) == (0, 0, True)
    h = nn.HardTanh()
    assert (h.min_val, h.max_val, h.inplace) == (-1, 1, False)
    assert repr(nn.ReLU()) == 'nn.ReLU' and repr(nn.Tanh()) == 'nn.Tanh'


@pytest.mark.parametrize('make', [
    lambda: nn.Threshold('a'), lambda: nn.Threshold(0, 1, True), lambda: nn.ReLU('yes'),
    lambda: nn.HardTanh(1, 1), lambda: nn.HardTanh(2, -2), lambda: nn.HardTanh(-1, 1, 1)])
def test_bad_constructor_arguments(make):
    with pytest.raises(ValueError):
        make()


def _inplace_threshold_made_invalid(device):
    """An in-place Threshold given val > threshold after construction (a Lua program's ``m.val = 1``)."""
    m = nn.Threshold(0, 0, True).double()
    m = m.cudaDouble() if device == 'cuda' else m
    x = lg.DoubleTensor([[1.0, -1.0]])
    return m, (x.cudaDouble() if device == 'cuda' else x)


def _assert_inplace_threshold_refuses_val_above_threshold(device):
    # Threshold.lua validates at each forward and backward: val 1 over threshold 0 would make the overwritten
    # -1 read as passing (1 > 0), the in-place gradient then [go, go] instead of [go, 0]
    m, x = _inplace_threshold_made_invalid(device)
    with_fields(m, val=1)
    with pytest.raises(ValueError, match=r"Threshold: in-place processing needs value \(1\) <= threshold \(0\)"):
        m.forward(x.clone())
    m, x = _inplace_threshold_made_invalid(device)
    y = m.forward(x)
    with_fields(m, threshold=-2)
    with pytest.raises(ValueError, match=r"in-place processing needs value \(0\) <= threshold \(-2\)"):
        m.backward(x, y.clone().fill(1))


def test_inplace_threshold_refuses_val_above_threshold_set_after_construction():
    _assert_inplace_threshold_refuses_val_above_threshold('cpu')


@pytest.mark.gpu
def test_gpu_inplace_threshold_refuses_val_above_threshold_set_after_construction():
    _assert_inplace_threshold_refuses_val_above_threshold('cuda')


def test_subclass_keeps_constructor_compatible():
    class Clipped(nn.HardTanh):
        def __init__(self, ip=False):
            super().__init__(0, 6, ip)
    m = Clipped().double()
    np.testing.assert_array_equal(m.forward(np.array([-1.0, 3.0, 9.0])).numpy(), [0, 3, 6])


@pytest.mark.parametrize('name', IDS)
def test_bad_inputs_name_the_module(name):
    m = CASES[name][0]()
    with pytest.raises(TypeError, match=f'{name}: expected a tensor input, got a list'):
        m.forward([lg.rand(2), lg.rand(2)])
    m.forward(lg.rand(2, 3))
    with pytest.raises(ValueError, match=rf'{name}: expected gradOutput of size \(2, 3\), got \(3, 2\)'):
        m.backward(lg.rand(2, 3), lg.rand(3, 2))
    with pytest.raises(TypeError, match=f'{name}: expected a legonn.FloatTensor gradOutput'):
        m.backward(lg.rand(2, 3), lg.rand(2, 3).double())


def test_sigmoid_saturates_without_overflow():
    y = nn.Sigmoid().double().forward(np.array([-800.0, 0.0, 800.0]))
    np.testing.assert_allclose(y.numpy(), [0, 0.5, 1], atol=1e-300)


@pytest.mark.parametrize('make,value,slope', [(nn.HardTanh, 0.5, 1), (nn.HardTanh, 2.0, 0),
                                              (lambda: nn.Threshold(0.1, 0), 0.5, 1),
                                              (lambda: nn.Threshold(0.1, 0), 0.05, 0)])
def test_pass_mask_activations_take_0d_inputs_backward(make, value, slope):
    m = make()
    x = lg.DoubleTensor(1).fill(value).resize(())
    m.double().forward(x)
    grad = m.backward(x, lg.DoubleTensor(1).fill(3.0).resize(()))
    assert grad.dim() == 0 and float(grad.numpy()) == 3.0 * slope
