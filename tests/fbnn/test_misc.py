"""fbnn's Constant (fbnn/Constant.lua), LeakyReLU (fbnn/LeakyReLU.lua), L2Normalize (fbnn/L2Normalize.lua) and
ProjectiveGradientNormalization (fbnn/ProjectiveGradientNormalization.lua).

Each class: finite-difference Jacobians in float64 (not ProjectiveGradientNormalization, whose backward is
by design not the gradient), float() / double(), the GPU twin, the Lua's maths transcribed in float64 NumPy,
fbnn/test.lua's testConstantLayer, bad input naming the module, and its typename 'fbnn.X'."""
import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn
from tests.checks import assert_jacobian, assert_rejected, standard_tests

CASES = {
    'constant_number': (lambda: fbnn.Constant(0.5), (4, 3)),
    'constant_tensor': (lambda: fbnn.Constant(lg.Tensor([[1, 2], [3, 4]])), (3, 5)),
    'leaky': (lambda: fbnn.LeakyReLU(0.1), (3, 4)),
    'l2_single': (fbnn.L2Normalize, (5,)),
    'l2_batch': (fbnn.L2Normalize, (3, 5)),
    'pgn': (fbnn.ProjectiveGradientNormalization, (2, 3, 4)),
}


def _build(name):
    make, size = CASES[name]
    return make(), lg.from_numpy(np.random.default_rng(0).uniform(0.2, 1.5, size) * np.where(
        np.arange(int(np.prod(size))).reshape(size) % 2, 1, -1))


# LeakyReLU's slope and ProjectiveGradientNormalization's backward are not true gradients: their own tests below
test_jacobian, _, _ = standard_tests(['constant_number', 'constant_tensor', 'l2_single', 'l2_batch'], _build)
_, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), _build)


def test_leaky_relu_jacobian_of_the_input_only():
    """LeakyReLU.lua: the slope never learns (accGradParameters is empty), so only the input's Jacobian holds."""
    assert_jacobian(*_build('leaky'), params=False)


def test_typenames_are_fbnn():
    """torch.class('fbnn.Constant'), ('fbnn.LeakyReLU'), ('fbnn.L2Normalize'),
    ('fbnn.ProjectiveGradientNormalization'): beside nn's classes, never over them."""
    for name in ('Constant', 'LeakyReLU', 'L2Normalize', 'ProjectiveGradientNormalization'):
        assert lg.typename(getattr(fbnn, name).__new__(getattr(fbnn, name))) == f'fbnn.{name}'
    assert nn.LeakyReLU is not fbnn.LeakyReLU


def test_constant_layer_of_fbnn_test_lua():
    """fbnn/test.lua testConstantLayer: Linear(2, 3) then Constant(c) on a 2-vector gives (3, 1) filled with
    c (the Linear's 3 outputs taken as the batch); gradInput is zero."""
    c = 0.3125
    net = nn.Sequential().add(nn.Linear(2, 3)).add(fbnn.Constant(c))
    out = net.forward(lg.randn(2))
    assert tuple(out.size()) == (3, 1)
    assert (out.numpy() == np.float32(c)).all()
    gi = net.get(1).backward(net.get(0).output, out.clone().fill(1))
    assert not gi.numpy().any()


def test_leaky_relu_matches_lua():
    """LeakyReLU.lua on nn.PReLU: y = x (x > 0), p x otherwise; gradWeight stays 0 after backward and
    zeroGradParameters/updateParameters change nothing."""
    m = fbnn.LeakyReLU(0.2).double()
    x = np.array([[-2.0, -0.5, 0.0, 1.5]])
    out = m.forward(lg.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, np.where(x > 0, x, 0.2 * x))
    g = np.array([[1.0, 2.0, 3.0, 4.0]])
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy()
    np.testing.assert_allclose(gi, np.where(x > 0, g, 0.2 * g))
    m.updateParameters(1.0)
    assert float(m.weight[0]) == np.float32(0.2) and float(m.gradWeight[0]) == 0
    assert repr(m) == 'fbnn.LeakyReLU(0.2)'


def test_l2_normalize_matches_lua():
    """L2Normalize.lua: y = x / ||x|| (last dimension), gradInput = (g - y (y . g)) / ||x||, row by row."""
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    m = fbnn.L2Normalize().double()
    out = m.forward(lg.from_numpy(x)).numpy()
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy()
    for r in range(3):
        norm = sum(v * v for v in x[r]) ** 0.5
        y = x[r] / norm
        np.testing.assert_allclose(out[r], y, rtol=1e-12)
        dot = sum(y[i] * g[r, i] for i in range(4))
        np.testing.assert_allclose(gi[r], (g[r] - y * dot) / norm, rtol=1e-12)


def test_projective_gradient_normalization_matches_lua():
    """ProjectiveGradientNormalization.lua: identity forward; gradInput = g - u (u . g), u = x / ||x|| over
    the whole tensor; gradOutput itself for an all-zero input."""
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    m = fbnn.ProjectiveGradientNormalization().double()
    np.testing.assert_array_equal(m.forward(lg.from_numpy(x)).numpy(), x)
    u = x / np.sqrt((x ** 2).sum())
    np.testing.assert_allclose(m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy(), g - u * (u * g).sum(),
                               rtol=1e-12)
    zero = np.zeros((2, 3))
    np.testing.assert_array_equal(m.backward(lg.from_numpy(zero), lg.from_numpy(g)).numpy(), g)


def test_bad_input_names_the_module():
    """The Lua's asserts (L2Normalize: 1-D or 2-D; Constant: a number or a tensor) as errors naming the class."""
    assert_rejected(fbnn.L2Normalize(), ValueError, 'L2Normalize', 'forward', lg.zeros(2, 2, 2))
    assert_rejected(fbnn.ProjectiveGradientNormalization(), ValueError, 'ProjectiveGradientNormalization',
                    'backward', lg.ones(2, 3), lg.ones(3, 2))
    with pytest.raises(TypeError, match='fbnn.Constant'):
        fbnn.Constant('x')
    with pytest.raises(TypeError, match='fbnn.LeakyReLU'):
        fbnn.LeakyReLU(None)


def test_save_load_keeps_the_fbnn_class(tmp_path):
    """A saved fbnn class loads back as fbnn's, not nn's class of the same name."""
    path = str(tmp_path / 'leaky.t7')
    lg.save(path, fbnn.LeakyReLU(0.3))
    back = lg.load(path)
    assert type(back) is fbnn.LeakyReLU and float(back.weight[0]) == pytest.approx(0.3)
