"""fbnn's Constant (fbnn/Constant.lua), LeakyReLU (fbnn/LeakyReLU.lua), L2Normalize (fbnn/L2Normalize.lua) and
ProjectiveGradientNormalization (fbnn/ProjectiveGradientNormalization.lua).

Each class: finite-difference Jacobians in float64 (not ProjectiveGradientNormalization, whose backward is
by design not the gradient), float() / double(), the GPU twin, the Lua's maths transcribed in float64 NumPy,
fbnn/test.lua's testConstantLayer, bad input naming the module, and its typename 'fbnn.X'."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_rejected, standard_tests

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


def test_dropout_matches_lua():
    """fbnn/Dropout.lua: training keeps each element with probability 1 - p, unscaled (noise 0/1), gradInput is
    gradOutput * noise; evaluation multiplies by 1 - p and backward there raises."""
    lg.manualSeed(1)
    m = fbnn.Dropout(0.3).double()
    x = lg.from_numpy(np.random.default_rng(3).standard_normal((200, 50)))
    out = m.forward(x).numpy()
    noise = m.noise.numpy()
    assert set(np.unique(noise)) <= {0.0, 1.0} and abs(noise.mean() - 0.7) < 0.02
    np.testing.assert_array_equal(out, x.numpy() * noise)
    g = np.random.default_rng(4).standard_normal((200, 50))
    np.testing.assert_array_equal(m.backward(x, lg.from_numpy(g)).numpy(), g * noise)
    m.evaluate()
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() * 0.7)
    with pytest.raises(RuntimeError, match=r'fbnn.Dropout.*training'):
        m.backward(x, lg.from_numpy(g))
    with pytest.raises(ValueError, match='fbnn.Dropout'):
        fbnn.Dropout(1)


def test_nested_dropout_matches_lua():
    """fbnn/NestedDropout.lua: per row b ~ geometric(1 - p) (b >= 1), units b.. (0-based) zeroed, unit j divided
    by 1 - sum_{i<=j} p (1-p)^i-1 (the Lua's cumsum, transcribed here), so P(unit j kept) = p^j."""
    lg.manualSeed(2)
    p, k = 0.5, 4
    m = fbnn.NestedDropout(p).double()
    x = lg.from_numpy(np.ones((20000, k)))
    out = m.forward(x).numpy()
    norm = 1 - np.cumsum([math.exp(math.log(p) + j * math.log(1 - p)) for j in range(k)])
    kept = out > 0
    assert kept[:, 0].all()
    assert (kept[:, 1:] <= kept[:, :-1]).all()   # a prefix of each row is kept
    np.testing.assert_allclose(out[kept], (1 / np.broadcast_to(norm, out.shape))[kept])
    np.testing.assert_allclose(kept.mean(axis=0), [p ** j for j in range(k)], atol=0.02)
    g = np.random.default_rng(5).standard_normal(out.shape)
    np.testing.assert_allclose(m.backward(x, lg.from_numpy(g)).numpy(), g * m.noise.numpy())
    m.evaluate()
    np.testing.assert_array_equal(m.forward(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match='fbnn.NestedDropout'):
        fbnn.NestedDropout(0)


@pytest.mark.gpu
def test_nested_dropout_on_cuda_draws_by_the_cpu_law():
    """NestedDropout.lua draws b with torch.geometric(1 - p), TH's CPU law, whatever the input's type, so on CUDA
    inputs too P(unit j kept) = (1 - p)^j (a CUDA tensor's geometric, cutorch's law, would keep p^j)."""
    lg.manualSeed(2)
    p, k = 0.1, 6
    out = fbnn.NestedDropout(p).cuda().forward(lg.CudaTensor(20000, k).fill(1)).float().numpy()
    np.testing.assert_allclose((out > 0).mean(axis=0), [(1 - p) ** j for j in range(k)], atol=0.02)


def test_individual_dropout_of_fbnn_test_lua():
    """fbnn/test.lua IndividualDropout: p = range(0, .8, .2) on ones(1024, 5) gives (1024, 5); per IndividualDropout.lua
    unit d is kept with probability 1 - p[d] and divided by it (self.p holds 1 - p); evaluation is the identity."""
    lg.manualSeed(3)
    p = np.arange(0, 0.81, 0.2)
    m = fbnn.IndividualDropout(lg.from_numpy(p)).double()
    np.testing.assert_allclose(m.p.numpy(), 1 - p, rtol=1e-6)
    x = lg.ones(20000, 5).double()
    out = m.forward(x).numpy()
    assert out.shape == (20000, 5)
    kept = out > 0
    np.testing.assert_allclose(kept.mean(axis=0), 1 - p, atol=0.02)
    np.testing.assert_allclose(out[kept], (1 / np.broadcast_to(m.p.numpy(), out.shape))[kept], rtol=1e-6)
    m.evaluate()
    np.testing.assert_array_equal(m.forward(x).numpy(), x.numpy())
    assert_rejected(fbnn.IndividualDropout([0.1, 0.2]), ValueError, 'IndividualDropout.*2 units', 'forward',
                    lg.ones(3, 4))
    with pytest.raises(ValueError, match='fbnn.IndividualDropout'):
        fbnn.IndividualDropout([0.5, 1.0])


@pytest.mark.parametrize('make', [lambda: fbnn.Dropout(0.4), lambda: fbnn.NestedDropout(0.3),
                                  lambda: fbnn.IndividualDropout([0.1, 0.2, 0.3])])
def test_dropouts_follow_type_and_device(make):
    """float()/double() convert the mask with the module; evaluation agrees across types."""
    m = make()
    x = np.random.default_rng(6).standard_normal((4, 3))
    m.double()
    assert m.forward(lg.from_numpy(x)).type() == 'legonn.DoubleTensor' and m.noise.type() == 'legonn.DoubleTensor'
    m.evaluate()
    out64 = m.forward(lg.from_numpy(x)).numpy()
    m.float()
    np.testing.assert_allclose(m.forward(lg.from_numpy(x.astype(np.float32))).numpy(), out64, rtol=1e-6)


@pytest.mark.gpu
@pytest.mark.parametrize('make', [lambda: fbnn.Dropout(0.4), lambda: fbnn.NestedDropout(0.3),
                                  lambda: fbnn.IndividualDropout([0.1, 0.2, 0.3])])
def test_dropouts_on_the_gpu(make):
    """cuda(): the mask is drawn on the device and masks output and gradInput alike."""
    m = make().cuda()
    x = lg.from_numpy(np.random.default_rng(7).standard_normal((6, 3))).float().cuda()
    out = m.forward(x)
    assert out.type() == 'legonn.CudaTensor' and m.noise.type() == 'legonn.CudaTensor'
    gi = m.backward(x, x)
    np.testing.assert_allclose(out.float().numpy(), gi.float().numpy())


def test_probe_runs_its_module_and_prints_moments(capsys):
    """fbnn/Probe.lua: forward/backward are the module's (parameters shared, Jacobians included), and each step
    prints a Start/End header with the name and the min, max, mean, std, sum of the input and the module's
    tensors (dumpModule, dumpTensorMoments)."""
    lin = nn.Linear(3, 2).double()
    probe = fbnn.Probe(lin, 'lin')
    x = lg.from_numpy(np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]]))
    out = probe.forward(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy() @ lin.weight.numpy().T + lin.bias.numpy())
    printed = capsys.readouterr().out
    assert 'Start UpdateOutput lin' in printed and 'End UpdateOutput lin' in printed
    a = x.numpy()
    expected = '\t'.join(f"{v:.14g}" for v in (a.min(), a.max(), a.mean(), a.std(ddof=1), a.sum()))
    assert f"module computation input\t{expected}" in printed
    probe.zeroGradParameters()
    probe.backward(x, out)
    printed = capsys.readouterr().out
    for step in ('UpdateGradInput', 'AccGradParameters'):
        assert f'Start {step} lin' in printed and f'End {step} lin' in printed
    assert probe.parameters()[0][0] is lin.weight and lg.typename(probe) == 'fbnn.Probe'
    assert_jacobian(fbnn.Probe(nn.Linear(3, 2)), lg.randn(2, 3))


@pytest.mark.gpu
def test_probe_on_the_gpu(capsys):
    """cuda() moves the probed module; the moments are read back from the device."""
    assert_gpu_matches_cpu(fbnn.Probe(nn.Linear(3, 2), 'gpu'), lg.randn(2, 3))
    assert 'End UpdateOutput gpu' in capsys.readouterr().out


def test_a_saved_fbnn_module_loads_in_a_fresh_process(tmp_path):
    """lg.load finds fbnn's classes without the program importing legonn.fbnn first, as Torch7's torch.load finds
    a class whose package was required when saving (legonn imports its saveable packages on loading)."""
    import subprocess
    import sys
    path = tmp_path / 'model.lg'
    lg.save(str(path), nn.Sequential().add(fbnn.KMaxPooling(2)).add(fbnn.L2Normalize()))
    code = f"import legonn as lg; m = lg.load({str(path)!r}); print(lg.typename(m.get(0)), lg.typename(m.get(1)))"
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ['nn.KMaxPooling', 'fbnn.L2Normalize']   # their torch.class names
