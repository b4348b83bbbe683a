"""jnhwkim/cbp (Compact Bilinear Pooling) run through its port, tests/porting/cbp/ (CompactBilinearPooling.lua,
SignedSquareRoot.lua, init.lua, test/test.lua; cufft.py stands in for spectral-lib's CUDA FFT binding with
NumPy's / CuPy's FFT).

The Lua runs on CUDA only (its buffers are ``torch.CudaTensor()``, its test ``require 'cunn'``); the GPU tests run
test.lua's suite as it is. On the CPU the port's ``CudaTensor`` is set to DoubleTensor and the module's count
sketch indices ``h1``/``h2`` are sampled beforehand and made LongTensors: cutorch's indexAdd and index take a
CudaTensor's own type as indices (torch/generic/Tensor.c:507-540), Torch7's CPU ones only a LongTensor, as
legonn's (``test_cpu_index_functions_take_long_indices_only``).
"""
import importlib

import numpy as np
import pytest

import legonn as lg
from legonn import cutorch, nn

from . import cbp
from .cbp import test as cbp_test

cbp_module = importlib.import_module('tests.porting.cbp.CompactBilinearPooling')

pytestmark = pytest.mark.usefixtures('double_default')


@pytest.fixture(autouse=True)
def cpu_buffers(monkeypatch):
    """The port's ``torch.CudaTensor()`` buffers in DoubleTensor for the CPU tests."""
    monkeypatch.setattr(cbp_module, 'CudaTensor', lg.DoubleTensor)


def cpu_cbp(outputSize, d1, d2, homogeneous=None):
    """nn.CompactBilinearPooling with its samples drawn as updateOutput's first call draws them, indices Long."""
    c = cbp.CompactBilinearPooling(outputSize, homogeneous)
    c.h1.resize(d1)
    c.h2.resize(d2)
    c.s1.resize(d1)
    c.s2.resize(d2)
    c.sample()
    c.h1, c.h2 = c.h1.long(), c.h2.long()
    return c


def sketch_numpy(x, h, s, d):
    """The count sketch of each row of x: bucket h[j] receives s[j] * x[j]."""
    out = np.zeros((x.shape[0], d))
    for j in range(x.shape[1]):
        out[:, h[j]] += s[j] * x[:, j]
    return out


def cbp_numpy(a, b):
    """What CompactBilinearPooling.lua's conv computes: the spectra's real parts multiplied and their imaginary
    parts multiplied (cmul on the (re, im) pairs), then the real part of the normalised inverse FFT."""
    fa, fb = np.fft.fft(a, axis=1), np.fft.fft(b, axis=1)
    return np.fft.ifft(fa.real * fb.real + 1j * fa.imag * fb.imag, axis=1).real


def test_conv_gives_test_lua_values_which_are_not_the_circular_convolution():
    x = lg.DoubleTensor([[1, 2, 3, 1, 1], [2, 3, 4, 1, 1]])
    y = lg.DoubleTensor([[1, 1, 1, 1, 1], [2, 2, 2, 1, 1]])
    out = cbp.CompactBilinearPooling(5).conv(x, y).numpy()
    np.testing.assert_allclose(out, [[8, 8, 8, 8, 8], [17.5, 17.5, 17.75, 17.75, 17.5]], atol=1e-12)
    np.testing.assert_allclose(out, cbp_numpy(x.numpy(), y.numpy()), atol=1e-12)
    circular = np.fft.ifft(np.fft.fft(x.numpy(), axis=1) * np.fft.fft(y.numpy(), axis=1), axis=1).real
    np.testing.assert_allclose(circular[1], [15, 17, 20, 19, 17], atol=1e-12)
    assert np.abs(out - circular).max() > 2
    # where one spectrum is real (a constant row) both products agree: testConv's first case
    c = cbp.CompactBilinearPooling(3).conv(lg.DoubleTensor([[1, 2, 3], [2, 3, 4]]), lg.DoubleTensor([[1, 1, 1], [2, 2, 2]]))
    np.testing.assert_allclose(c.numpy(), [[6, 6, 6], [18, 18, 18]], atol=1e-12)


@pytest.mark.parametrize('homogeneous', [None, True])
def test_forward_is_the_count_sketches_combined(homogeneous):
    lg.manualSeed(3)
    d1, d2, D, B = 6, 6, 8, 4
    c = cpu_cbp(D, d1, d2, homogeneous)
    x, y = lg.randn(B, d1), lg.randn(B, d2)
    out = c.forward([x, y]).numpy().copy()
    h1, h2, s1, s2 = (t.numpy().astype(int) for t in (c.h1, c.h2, c.s1, c.s2))
    assert set(np.unique(s1)) <= {-1, 1} and h1.min() >= 0 and h1.max() < D
    if homogeneous:
        h2, s2 = h1, s1
    p1, p2 = sketch_numpy(x.numpy(), h1, s1, D), sketch_numpy(y.numpy(), h2, s2, D)
    np.testing.assert_allclose(c.y[0].numpy(), p1, atol=1e-12)
    np.testing.assert_allclose(c.y[1].numpy(), p2, atol=1e-12)
    np.testing.assert_allclose(out, cbp_numpy(p1, p2), atol=1e-12)


def test_gradients_match_finite_differences():
    lg.manualSeed(5)
    d1, d2, D, B = 5, 4, 6, 3
    c = cpu_cbp(D, d1, d2)
    x, y = lg.randn(B, d1), lg.randn(B, d2)
    g = lg.randn(B, D)
    c.forward([x, y])
    gx, gy = (t.numpy().copy() for t in c.backward([x, y], g))

    def loss(a, b):
        return float((c.forward([lg.from_numpy(a), lg.from_numpy(b)]).numpy() * g.numpy()).sum())

    eps = 1e-6
    for target, analytic, other in ((x.numpy(), gx, 'x'), (y.numpy(), gy, 'y')):
        numeric = np.zeros_like(target)
        for idx in np.ndindex(*target.shape):
            plus, minus = target.copy(), target.copy()
            plus[idx] += eps
            minus[idx] -= eps
            if other == 'x':
                numeric[idx] = (loss(plus, y.numpy()) - loss(minus, y.numpy())) / (2 * eps)
            else:
                numeric[idx] = (loss(x.numpy(), plus) - loss(x.numpy(), minus)) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, atol=1e-7)


def test_psi_inner_product_is_unbiased():
    """test.lua's testPsi: over fresh samples, E[<psi(x), psi(y)>] = <x, y> (homogeneous)."""
    lg.manualSeed(1)
    x, y = lg.rand(1, 5), lg.rand(1, 5)
    total = 0
    for _ in range(300):
        c = cpu_cbp(5, 5, 5, True)
        c.forward([x, y])
        total += c.y[0][0].dot(c.y[1][0])
    xy = x[0].dot(y[0])
    assert abs(total / 300 - xy) / xy < .1


def test_learning_a_bilinear_target():
    """test.lua's testLearning on the CPU: the MSE of Linear-Tanh pairs through CBP, SignedSquareRoot,
    Normalize and Linear falls below the Lua's 0.2 in its 20 steps."""
    lg.manualSeed(12)
    N, M, C = 1000, 2, 2
    x, y = lg.rand(N, M), lg.rand(N, M)
    t = lg.cmul(x[:, 1:2], y[:, 1:2]) + lg.cmul(x[:, 0:1], y[:, 0:1])
    model = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.Sequential().add(nn.Linear(M, M)).add(nn.Tanh()))
             .add(nn.Sequential().add(nn.Linear(M, M)).add(nn.Tanh()))) \
        .add(cpu_cbp(C, M, M)) \
        .add(cbp.SignedSquareRoot()) \
        .add(nn.Normalize(2)) \
        .add(nn.Linear(C, 1))
    criterion = nn.MSECriterion()
    model.getParameters()[0].uniform(-.08, .08)
    losses = []
    for _ in range(20):
        output = model.forward([x, y])
        losses.append(criterion.forward(output, t))
        model.zeroGradParameters()
        model.backward([x, y], criterion.backward(output, t))
        model.updateParameters(.05)
    assert losses[-1] < min(.2, losses[0])


def test_signed_square_root():
    m = cbp.SignedSquareRoot()
    x = lg.DoubleTensor([-4, 0.25, 9])
    np.testing.assert_allclose(m.forward(x).numpy(), [-2, 0.5, 3])
    g = m.backward(x, lg.DoubleTensor([1, 1, 1])).numpy()
    # the Lua's damped derivative, 1 / (2 (sqrt|x| + 0.1)), without the sign
    np.testing.assert_allclose(g, [1 / 4.2, 1 / 1.2, 1 / 6.2])


def test_empty_tensor_has_one_dimension():
    """`0==#self.h1:size()` is true for Torch7's empty tensor (no dimension); legonn's has one dimension of size
    0, so the port tests nElement (docs/porting.md's `list:dim() ~= 0` row)."""
    c = cbp.CompactBilinearPooling(4)
    assert len(c.h1.size()) == 1 and c.h1.nElement() == 0
    assert cbp.version == 1


def test_saved_module_keeps_its_sketches(tmp_path):
    """MCB's train.lua saves its two CompactBilinearPooling modules (netdef/cbp1.t7) so that a later run loads the
    same h and s: the registered class round-trips through lg.save / lg.load and computes the same output."""
    c = cpu_cbp(6, 4, 3)
    x, y = lg.randn(2, 4), lg.randn(2, 3)
    out = c.forward([x, y]).clone()
    lg.save(str(tmp_path / 'cbp1.t7'), c)
    back = lg.load(str(tmp_path / 'cbp1.t7'))
    assert type(back) is cbp.CompactBilinearPooling and lg.typename(back) == 'nn.CompactBilinearPooling'
    np.testing.assert_array_equal(back.h1.numpy(), c.h1.numpy())
    np.testing.assert_array_equal(back.forward([x, y]).numpy(), out.numpy())


def test_cpu_index_functions_take_long_indices_only():
    y = lg.DoubleTensor(2, 4).zero()
    with pytest.raises(TypeError, match='LongTensor'):
        y.indexAdd(1, lg.DoubleTensor([0, 1]), lg.DoubleTensor(2, 2).fill(1))
    y.indexAdd(1, lg.LongTensor([0, 0]), lg.DoubleTensor(2, 2).fill(1))
    assert y.numpy()[:, 0].tolist() == [2, 2]


@pytest.mark.gpu
def test_test_lua_suite_on_cuda(monkeypatch):
    """test/test.lua's three tests as the Lua runs them: CudaTensor buffers and a CudaTensor index. testPsi is a
    100-sample estimate that the Lua leaves unseeded; its 10% bound fails for some draws (seed 2 here): seeded."""
    monkeypatch.setattr(cbp_module, 'CudaTensor', lg.CudaTensor)
    lg.manualSeed(1)
    cutorch.manualSeed(1)
    cbp_test.test()
    assert sum(cbp_test.mytester.testError.values()) == 0 and len(cbp_test.mytester.testError) == 3
    assert cbp_test.J < .2


@pytest.mark.gpu
def test_cuda_forward_and_backward_match_cpu(monkeypatch):
    monkeypatch.setattr(cbp_module, 'CudaTensor', lg.CudaTensor)
    lg.manualSeed(4)
    c = cbp.CompactBilinearPooling(7).cuda()
    x, y, g = lg.randn(3, 5), lg.randn(3, 6), lg.randn(3, 7)
    out = c.forward([x.cuda(), y.cuda()]).double().numpy().copy()
    assert c.h1.type() == 'torch.CudaTensor'
    h1, h2, s1, s2 = (t.double().numpy().astype(int) for t in (c.h1, c.h2, c.s1, c.s2))
    p1, p2 = sketch_numpy(x.numpy(), h1, s1, 7), sketch_numpy(y.numpy(), h2, s2, 7)
    np.testing.assert_allclose(out, cbp_numpy(p1, p2), rtol=1e-4, atol=1e-4)
    gx, gy = c.backward([x.cuda(), y.cuda()], g.cuda())
    assert gx.type() == 'torch.CudaTensor'
    monkeypatch.setattr(cbp_module, 'CudaTensor', lg.DoubleTensor)
    cpu = cbp.CompactBilinearPooling(7)
    cpu.h1, cpu.h2 = c.h1.double().long(), c.h2.double().long()
    cpu.s1, cpu.s2 = c.s1.double(), c.s2.double()
    cpu.forward([x, y])
    cx, cy = cpu.backward([x, y], g)
    np.testing.assert_allclose(gx.double().numpy(), cx.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gy.double().numpy(), cy.numpy(), rtol=1e-4, atol=1e-4)
