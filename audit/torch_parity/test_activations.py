"""Parity audit: legonn's element-wise and softmax modules against PyTorch (CPU, float64).

Each case runs a legonn module and the PyTorch function of the same maths on one seeded input and compares
the output, the gradInput and (PReLU) the accumulated gradWeight, at rtol 1e-10. Inputs come contiguous and as
non-contiguous views, of 1 to 4 dimensions (1-element and odd sizes among them), with the points where a
formula branches (0, a threshold, the bounds, +-lambda) planted among random values. The in-place forms are
checked for what Torch7's in-place flag does: the input holds the output after forward, the gradOutput the
gradInput after backward (and MulConstant/AddConstant restore their input).

Where Torch7 and PyTorch compute different numbers, legonn follows Torch7 (torch/nn's Lua and THNN C files,
cited at each test) and the test asserts that the difference is exactly the documented one.
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip('torch')
F = torch.nn.functional

import legonn as lg  # noqa: E402
from legonn import nn  # noqa: E402

RTOL, ATOL = 1e-10, 1e-14


def _input(shape, seed, scale=2.0, specials=(), layout='contiguous', positive=False):
    """A float64 array of ``shape``: normal values times ``scale`` (|x| + 0.1 when ``positive``), the first
    elements replaced by ``specials``; 'transposed' and 'strided' layouts give a non-contiguous view."""
    rng = np.random.default_rng(seed)
    if layout == 'transposed':
        base = rng.standard_normal(shape[::-1]) * scale
    elif layout == 'strided':
        base = rng.standard_normal(shape[:-1] + (2 * shape[-1],)) * scale
    else:
        base = rng.standard_normal(shape) * scale
    if positive:
        base = np.abs(base) + 0.1
    flat = base.reshape(-1)
    flat[:len(specials)] = np.asarray(specials, dtype=np.float64)[:flat.size]
    if layout == 'transposed':
        return base.T
    if layout == 'strided':
        return base[..., ::2]
    return base


def _legonn(module, x, go):
    """(output, gradInput) of ``module`` for a copy-free float64 input, copied out of the module's buffers."""
    y = module.forward(lg.from_numpy(x)).numpy().copy()
    gi = module.backward(lg.from_numpy(x), lg.from_numpy(go)).numpy().copy()
    return y, gi


def _torch(fn, x, go):
    """(output, gradInput) of ``fn`` through PyTorch's autograd."""
    xt = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    y = fn(xt)
    y.backward(torch.tensor(np.ascontiguousarray(go)))
    return y.detach().numpy(), xt.grad.numpy()


def _close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


# name -> (legonn factory, PyTorch function, input options). Input options: scale, specials, positive.
ELEMENTWISE = {
    'ReLU': (lambda: nn.ReLU(), F.relu, dict(specials=(0.0, -0.0))),
    'ReLU6': (lambda: nn.ReLU6(), F.relu6, dict(scale=5, specials=(0.0, 6.0, 7.0, -1.0))),
    'Threshold-default': (lambda: nn.Threshold(), lambda t: F.threshold(t, 1e-6, 0.0),
                          dict(specials=(1e-6, 0.0))),
    'Threshold(0.3,-1.5)': (lambda: nn.Threshold(0.3, -1.5), lambda t: F.threshold(t, 0.3, -1.5),
                            dict(specials=(0.3,))),
    'Threshold(-0.5,2)': (lambda: nn.Threshold(-0.5, 2), lambda t: F.threshold(t, -0.5, 2.0),
                          dict(specials=(-0.5,))),
    'HardTanh': (lambda: nn.HardTanh(), F.hardtanh, dict(specials=(-1.0, 1.0, 0.0))),
    'HardTanh(-0.5,1.5)': (lambda: nn.HardTanh(-0.5, 1.5), lambda t: F.hardtanh(t, -0.5, 1.5),
                           dict(specials=(-0.5, 1.5))),
    'LeakyReLU': (lambda: nn.LeakyReLU(), F.leaky_relu, dict(specials=(0.0,))),
    'LeakyReLU(0.3)': (lambda: nn.LeakyReLU(0.3), lambda t: F.leaky_relu(t, 0.3), dict(specials=(0.0,))),
    'LeakyReLU(-0.2)': (lambda: nn.LeakyReLU(-0.2), lambda t: F.leaky_relu(t, -0.2), dict(specials=(0.0,))),
    'RReLU-evaluate': (lambda: nn.RReLU().evaluate(), lambda t: F.rrelu(t, 1 / 8, 1 / 3, training=False),
                       dict(specials=(0.0,))),
    'RReLU(0.1,0.4)-evaluate': (lambda: nn.RReLU(0.1, 0.4).evaluate(),
                                lambda t: F.rrelu(t, 0.1, 0.4, training=False), dict(specials=(0.0,))),
    'ELU': (lambda: nn.ELU(), F.elu, dict(specials=(0.0, -1e-9, -40.0))),
    'ELU(0.5)': (lambda: nn.ELU(0.5), lambda t: F.elu(t, 0.5), dict(specials=(0.0,))),
    'ELU(2)': (lambda: nn.ELU(2), lambda t: F.elu(t, 2.0), dict(specials=(0.0,))),
    'SoftPlus': (lambda: nn.SoftPlus(), F.softplus, dict(scale=12, specials=(0.0, 25.0, -30.0, 19.0))),
    'SoftPlus(2)': (lambda: nn.SoftPlus(2), lambda t: F.softplus(t, beta=2), dict(scale=8, specials=(11.0,))),
    'SoftPlus(0.5)': (lambda: nn.SoftPlus(0.5), lambda t: F.softplus(t, beta=0.5), dict(scale=30)),
    'SoftSign': (lambda: nn.SoftSign(), F.softsign, dict(specials=(0.0,))),
    'LogSigmoid': (lambda: nn.LogSigmoid(), F.logsigmoid, dict(scale=10, specials=(0.0, -40.0, 40.0, -800.0))),
    'Sigmoid': (lambda: nn.Sigmoid(), torch.sigmoid, dict(scale=10, specials=(0.0, -40.0, 40.0, -800.0))),
    'Tanh': (lambda: nn.Tanh(), torch.tanh, dict(scale=3, specials=(0.0, 30.0))),
    'TanhShrink': (lambda: nn.TanhShrink(), F.tanhshrink, dict()),
    'HardShrink': (lambda: nn.HardShrink(), F.hardshrink, dict(specials=(0.5, -0.5, 0.0))),
    'HardShrink(1.2)': (lambda: nn.HardShrink(1.2), lambda t: F.hardshrink(t, 1.2), dict(specials=(1.2, -1.2))),
    'HardShrink(0)': (lambda: nn.HardShrink(0), lambda t: F.hardshrink(t, 0.0), dict(specials=(0.0,))),
    'SoftShrink': (lambda: nn.SoftShrink(), F.softshrink, dict(specials=(0.5, -0.5, 0.0))),
    'SoftShrink(0.8)': (lambda: nn.SoftShrink(0.8), lambda t: F.softshrink(t, 0.8), dict(specials=(0.8, -0.8))),
    'Square': (lambda: nn.Square(), torch.square, dict(specials=(0.0,))),
    'Sqrt': (lambda: nn.Sqrt(), torch.sqrt, dict(positive=True)),
    'Exp': (lambda: nn.Exp(), torch.exp, dict(specials=(0.0, -800.0))),
    'Log': (lambda: nn.Log(), torch.log, dict(positive=True)),
    'Abs': (lambda: nn.Abs(), torch.abs, dict(specials=(-1e-300,))),
    'Power(2)': (lambda: nn.Power(2), lambda t: torch.pow(t, 2), dict(specials=(0.0,))),
    'Power(3)': (lambda: nn.Power(3), lambda t: torch.pow(t, 3), dict(specials=(0.0,))),
    'Power(-2)': (lambda: nn.Power(-2), lambda t: torch.pow(t, -2), dict()),
    'Power(0.5)': (lambda: nn.Power(0.5), lambda t: torch.pow(t, 0.5), dict(positive=True)),
    'Power(1.7)': (lambda: nn.Power(1.7), lambda t: torch.pow(t, 1.7), dict(positive=True)),
    'Clamp(-0.5,0.7)': (lambda: nn.Clamp(-0.5, 0.7), lambda t: torch.clamp(t, -0.5, 0.7), dict()),
    'MulConstant(2.5)': (lambda: nn.MulConstant(2.5), lambda t: t * 2.5, dict()),
    'MulConstant(-0.3)': (lambda: nn.MulConstant(-0.3), lambda t: t * -0.3, dict()),
    'AddConstant(1.7)': (lambda: nn.AddConstant(1.7), lambda t: t + 1.7, dict()),
    'Minus': (lambda: nn.Minus(), torch.neg, dict()),
}
SHAPES = [(1,), (7,), (3, 5), (2, 3, 4), (2, 3, 2, 5)]
LAYOUTS = ['contiguous', 'transposed', 'strided']


@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('shape', SHAPES, ids=str)
@pytest.mark.parametrize('name', sorted(ELEMENTWISE))
def test_elementwise(name, shape, layout):
    make, fn, options = ELEMENTWISE[name]
    x = _input(shape, 0, layout=layout, **options)
    go = _input(shape, 1, layout=layout)
    y, gi = _legonn(make(), x, go)
    ty, tgi = _torch(fn, x, go)
    _close(y, ty, f'{name} output')
    _close(gi, tgi, f'{name} gradInput')


# in-place forms: factory of the in-place module, of the same module out of place, and whether
# updateGradInput puts the input back (MulConstant, AddConstant) instead of leaving the output in it
INPLACE = {
    'ReLU': (lambda: nn.ReLU(True), lambda: nn.ReLU(), False),
    'Threshold(0.3,-1.5)': (lambda: nn.Threshold(0.3, -1.5, True), lambda: nn.Threshold(0.3, -1.5), False),
    'Threshold(0.3,0.3)': (lambda: nn.Threshold(0.3, 0.3, True), lambda: nn.Threshold(0.3, 0.3), False),
    'HardTanh(-0.5,1.5)': (lambda: nn.HardTanh(-0.5, 1.5, True), lambda: nn.HardTanh(-0.5, 1.5), False),
    'ReLU6': (lambda: nn.ReLU6(True), lambda: nn.ReLU6(), False),
    'LeakyReLU(0.3)': (lambda: nn.LeakyReLU(0.3, True), lambda: nn.LeakyReLU(0.3), False),
    'ELU(0.7)': (lambda: nn.ELU(0.7, True), lambda: nn.ELU(0.7), False),
    'RReLU-evaluate': (lambda: nn.RReLU(0.1, 0.4, True).evaluate(), lambda: nn.RReLU(0.1, 0.4).evaluate(),
                       False),
    'MulConstant(2.5)': (lambda: nn.MulConstant(2.5, True), lambda: nn.MulConstant(2.5), True),
    'AddConstant(1.7)': (lambda: nn.AddConstant(1.7, True), lambda: nn.AddConstant(1.7), True),
}
INPLACE_TORCH = {
    'ReLU': F.relu, 'Threshold(0.3,-1.5)': lambda t: F.threshold(t, 0.3, -1.5),
    'Threshold(0.3,0.3)': lambda t: F.threshold(t, 0.3, 0.3), 'HardTanh(-0.5,1.5)': lambda t: F.hardtanh(t, -0.5, 1.5),
    'ReLU6': F.relu6, 'LeakyReLU(0.3)': lambda t: F.leaky_relu(t, 0.3), 'ELU(0.7)': lambda t: F.elu(t, 0.7),
    'RReLU-evaluate': lambda t: F.rrelu(t, 0.1, 0.4, training=False), 'MulConstant(2.5)': lambda t: t * 2.5,
    'AddConstant(1.7)': lambda t: t + 1.7,
}


@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('shape', [(1,), (4, 5), (2, 3, 4)], ids=str)
@pytest.mark.parametrize('name', sorted(INPLACE))
def test_inplace(name, shape, layout):
    make, make_copying, restores = INPLACE[name]
    x0 = _input(shape, 2, specials=(0.0, 0.3, -0.5, 1.5), layout=layout)
    go0 = _input(shape, 3, layout=layout)
    ty, tgi = _torch(INPLACE_TORCH[name], x0, go0)
    x, go = x0.copy(), go0.copy()
    m = make()
    y = m.forward(lg.from_numpy(x))
    _close(y.numpy(), ty, f'{name} output')
    _close(x, ty, f'{name}: the input holds the output after forward')
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(go))
    _close(gi.numpy(), tgi, f'{name} gradInput')
    _close(go, tgi, f'{name}: the gradOutput holds the gradInput after backward')
    if restores:
        _close(x, x0, f'{name}: the input is restored by updateGradInput')
    # the out-of-place module gives the same numbers and leaves its arguments alone
    x, go = x0.copy(), go0.copy()
    y2, gi2 = _legonn(make_copying(), x, go)
    _close(y2, ty, f'{name} out of place')
    _close(gi2, tgi, f'{name} gradInput out of place')
    assert np.array_equal(x, x0) and np.array_equal(go, go0)


@pytest.mark.parametrize('shape', [(5,), (3, 5), (1, 5)], ids=str)
def test_add_constant_tensor(shape):
    """AddConstant with a 1-D tensor constant adds it to every row of a 1-D or 2-D input (AddConstant.lua)."""
    c = _input((5,), 26)
    x, go = _input(shape, 27), _input(shape, 28)
    y, gi = _legonn(nn.AddConstant(lg.from_numpy(c)), x, go)
    ty, tgi = _torch(lambda t: t + torch.tensor(c), x, go)
    _close(y, ty, 'output')
    _close(gi, tgi, 'gradInput')


def test_softplus_threshold_field():
    """SoftPlus.lua fixes threshold at 20 and reads the field at each call: a user's m.threshold = 5 is used
    by both directions (inputs kept off the band 5 - log1p(exp(-5)) < beta x <= 5, where the backward's test of
    the output and PyTorch's of the input disagree, see test_softplus_gradient_at_threshold)."""
    x = np.array([-3.0, 0.0, 1.0, 4.5, 5.5, 8.0, -30.0])
    go = _input(x.shape, 29)
    m = nn.SoftPlus(1)
    m.threshold = 5
    y, gi = _legonn(m, x, go)
    ty, tgi = _torch(lambda t: F.softplus(t, beta=1, threshold=5), x, go)
    _close(y, ty, 'output')
    _close(gi, tgi, 'gradInput')


# ---- PReLU: one shared slope, or one per channel (dimension 1 of an input of 2 or more dimensions)
PRELU_CASES = [(0, (7,)), (0, (3, 4)), (0, (2, 3, 4, 5)), (3, (5, 3)), (3, (2, 3, 4)), (3, (2, 3, 4, 5)),
               (1, (4, 1, 3)), (5, (1, 5))]


@pytest.mark.parametrize('layout', ['contiguous', 'transposed'])
@pytest.mark.parametrize('planes,shape', PRELU_CASES, ids=str)
def test_prelu(planes, shape, layout):
    x = _input(shape, 4, specials=(0.0,), layout=layout)
    go = _input(shape, 5, layout=layout)
    w = np.random.default_rng(6).uniform(-0.5, 0.8, max(planes, 1))
    m = nn.PReLU(planes).double()
    m.weight.copy(lg.from_numpy(w.copy()))
    m.zeroGradParameters()
    y = m.forward(lg.from_numpy(x)).numpy().copy()
    gi = m.updateGradInput(lg.from_numpy(x), lg.from_numpy(go)).numpy().copy()
    m.accGradParameters(lg.from_numpy(x), lg.from_numpy(go), 0.7)
    m.accGradParameters(lg.from_numpy(x), lg.from_numpy(go), -0.2)   # accumulates: 0.5 times the gradient

    xt = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    ty = F.prelu(xt, wt)
    ty.backward(torch.tensor(np.ascontiguousarray(go)))
    _close(y, ty.detach().numpy(), 'PReLU output')
    _close(gi, xt.grad.numpy(), 'PReLU gradInput')
    _close(m.gradWeight.numpy(), 0.5 * wt.grad.numpy(), 'PReLU gradWeight (scale 0.7 then -0.2)')


def test_prelu_vector_per_channel():
    """A 1-D input of nOutputPlane elements takes one slope per element (PReLU.c: the channel dimension is
    ``input_ndim > 1``, so 0 here); PyTorch's prelu sees no channel dimension in a 1-D input and needs one
    slope, so the reference is the (1, n) batch."""
    x, go = _input((4,), 7, specials=(0.0,)), _input((4,), 8)
    w = np.array([0.1, -0.3, 0.25, 0.9])
    m = nn.PReLU(4).double()
    m.weight.copy(lg.from_numpy(w.copy()))
    m.zeroGradParameters()
    y, gi = _legonn(m, x, go)   # backward accumulates the gradWeight once
    xt = torch.tensor(x[None], requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    ty = F.prelu(xt, wt)
    ty.backward(torch.tensor(go[None]))
    _close(y, ty.detach().numpy()[0], 'output')
    _close(gi, xt.grad.numpy()[0], 'gradInput')
    _close(m.gradWeight.numpy(), wt.grad.numpy(), 'gradWeight')
    with pytest.raises(RuntimeError):
        F.prelu(torch.tensor(x), torch.tensor(w))


# ---- RReLU in training: random slopes, compared by their bounds and statistics
@pytest.mark.parametrize('l,u', [(1 / 8, 1 / 3), (0.1, 0.9), (0.3, 0.3)])
@pytest.mark.parametrize('inplace', [False, True])
def test_rrelu_training_statistics(l, u, inplace):
    n = 20000
    x = -np.abs(_input((n,), 9)) - 0.01      # negative: each gets a slope
    x[:100] = np.abs(x[:100])                # positive: slope 1
    x0, go = x.copy(), _input((n,), 10)
    m = nn.RReLU(l, u, inplace)
    y = m.forward(lg.from_numpy(x)).numpy().copy()
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(go.copy())).numpy().copy()
    slope = y / x0
    torch.manual_seed(0)
    tslope = (F.rrelu(torch.tensor(x0), l, u, training=True) / torch.tensor(x0)).numpy()
    assert np.array_equal(slope[:100], np.ones(100)) and np.array_equal(tslope[:100], np.ones(100))
    neg, tneg = slope[100:], tslope[100:]
    assert l - 1e-12 <= neg.min() and neg.max() <= u + 1e-12
    assert tneg.min() >= l - 1e-12 and tneg.max() <= u + 1e-12
    spread = (u - l) / math.sqrt(12 * neg.size)   # standard error of a U(l, u) mean
    assert abs(neg.mean() - tneg.mean()) <= 8 * spread + 1e-12
    assert abs(neg.std() - tneg.std()) <= 8 * spread + 1e-12
    # the gradient is gradOutput times the slope each element was given, kept in noise (RReLU.c: 1 where x > 0,
    # a drawn slope where x <= 0)
    noise = m.noise.numpy()
    _close(noise, slope, 'RReLU training noise')
    _close(gi, go * slope, 'RReLU training gradInput')
    # x = 0 gets a drawn slope too (RReLU.c tests x <= 0)
    m.forward(lg.from_numpy(np.zeros(50)))
    assert l - 1e-12 <= m.noise.numpy().min() and m.noise.numpy().max() <= u + 1e-12
    if inplace:
        _close(x, y, 'RReLU training: the input holds the output')


# ---- softmax family: the normalised dimension is 0 for 1-D and 3-D inputs, 1 for 2-D and 4-D (SoftMax.c)
SOFTMAX = {
    'SoftMax': (nn.SoftMax, torch.softmax),
    'LogSoftMax': (nn.LogSoftMax, torch.log_softmax),
    'SoftMin': (nn.SoftMin, lambda t, d: F.softmin(t, d)),
    'SpatialSoftMax': (nn.SpatialSoftMax, torch.softmax),
    'SpatialLogSoftMax': (nn.SpatialLogSoftMax, torch.log_softmax),
}
SOFTMAX_SHAPES = [((1,), 0), ((9,), 0), ((1, 1), 1), ((4, 7), 1), ((5, 3, 2), 0), ((1, 1, 1), 0),
                  ((2, 5, 3, 4), 1), ((3, 1, 2, 2), 1)]


@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('shape,dim', SOFTMAX_SHAPES, ids=str)
@pytest.mark.parametrize('name', sorted(SOFTMAX))
def test_softmax_family(name, shape, dim, layout):
    make, fn = SOFTMAX[name]
    x = _input(shape, 11, scale=5, layout=layout)
    go = _input(shape, 12, layout=layout)
    y, gi = _legonn(make(), x, go)
    ty, tgi = _torch(lambda t: fn(t, dim), x, go)
    _close(y, ty, f'{name} output')
    _close(gi, tgi, f'{name} gradInput')


@pytest.mark.parametrize('name', sorted(SOFTMAX))
def test_softmax_family_huge_values(name):
    """Rows of +-700 and equal maxima: the max shift keeps exp finite in both."""
    make, fn = SOFTMAX[name]
    x = np.array([[700.0, 700.0, -700.0, 0.0], [-700.0, -699.0, -700.0, -705.0], [1e-300, 0.0, -0.0, 3.0]])
    go = _input(x.shape, 13)
    y, gi = _legonn(make(), x, go)
    ty, tgi = _torch(lambda t: fn(t, 1), x, go)
    _close(y, ty, f'{name} output')
    _close(gi, tgi, f'{name} gradInput')


@pytest.mark.parametrize('shape', [(4, 6), (2, 3, 5), (1, 1, 1)], ids=str)
def test_multi_softmax(shape):
    x, go = _input(shape, 14, scale=3), _input(shape, 15)
    y, gi = _legonn(nn.MultiSoftMax(), x, go)
    ty, tgi = _torch(lambda t: torch.softmax(t, -1), x, go)
    _close(y, ty, 'output')
    _close(gi, tgi, 'gradInput')


@pytest.mark.parametrize('shape,dim', [((6,), -1), ((4, 3), 0), ((3, 4), -1), ((2, 4, 3), 1), ((2, 2), 1)],
                         ids=str)
def test_gated_linear_unit(shape, dim):
    x, go_shape = _input(shape, 16, scale=3), list(shape)
    go_shape[dim] //= 2
    go = _input(tuple(go_shape), 17)
    y, gi = _legonn(nn.GatedLinearUnit(dim), x, go)
    ty, tgi = _torch(lambda t: F.glu(t, dim), x, go)
    _close(y, ty, 'output')
    _close(gi, tgi, 'gradInput')


@pytest.mark.parametrize('dims,shape,cat', [(1, (5,), 0), (1, (3, 5), 1), (3, (2, 3, 4), 0), (3, (2, 2, 3, 4), 1)],
                         ids=str)
def test_crelu(dims, shape, cat):
    x = _input(shape, 18, specials=(0.0,))
    go_shape = list(shape)
    go_shape[cat] *= 2
    go = _input(tuple(go_shape), 19)
    y, gi = _legonn(nn.CReLU(dims), x, go)
    ty, tgi = _torch(lambda t: torch.cat([F.relu(t), F.relu(-t)], cat), x, go)
    _close(y, ty, 'output')
    _close(gi, tgi, 'gradInput')


# ---- Normalize: y = x / (sum |x|^p + eps)^(1/p) along the last dimension (max |x| + eps for p = inf)
def _torch_normalize(p, eps):
    if math.isinf(p):
        return lambda t: t / (t.abs().amax(-1, keepdim=True) + eps)
    return lambda t: t / (t.abs().pow(p).sum(-1, keepdim=True) + eps).pow(1 / p)


@pytest.mark.parametrize('eps', [1e-10, 0.3])
@pytest.mark.parametrize('shape', [(6,), (4, 5), (1, 1), (3, 1)], ids=str)
@pytest.mark.parametrize('p', [2, 2.5, 3, 4, 7])
def test_normalize(p, shape, eps):
    x = _input(shape, 20, specials=(0.0,) if shape[-1] > 1 else ())
    go = _input(shape, 21)
    y, gi = _legonn(nn.Normalize(p, eps), x, go)
    ty, tgi = _torch(_torch_normalize(p, eps), x, go)
    _close(y, ty, 'output')
    _close(gi, tgi, 'gradInput')


# ---- where Torch7 and PyTorch differ: legonn computes Torch7's numbers
def test_abs_gradient_at_zero():
    """Abs.c's gradient is gradOutput * (x >= 0 ? 1 : -1), so x = 0 passes gradOutput; PyTorch's abs
    backward multiplies by sign(x), 0 there."""
    x, go = np.array([0.0, -0.0, 2.0, -3.0]), np.array([0.7, -1.3, 0.5, 0.25])
    _, gi = _legonn(nn.Abs(), x, go)
    _, tgi = _torch(torch.abs, x, go)
    assert np.array_equal(gi, [0.7, -1.3, 0.5, -0.25])
    assert np.array_equal(tgi, [0.0, 0.0, 0.5, -0.25])


def test_clamp_gradient_at_bounds():
    """Clamp.lua is a HardTanh, whose gradient (HardTanh.c: x <= min_val || x >= max_val gives 0) is 0 on the
    bounds; PyTorch's clamp passes the gradient where min <= x <= max, the bounds included."""
    x, go = np.array([-0.5, 0.7, 0.1, -2.0, 3.0]), np.array([1.5, -2.0, 0.3, 4.0, 5.0])
    y, gi = _legonn(nn.Clamp(-0.5, 0.7), x, go)
    ty, tgi = _torch(lambda t: torch.clamp(t, -0.5, 0.7), x, go)
    assert np.array_equal(y, ty)
    assert np.array_equal(gi, [0.0, 0.0, 0.3, 0.0, 0.0])
    assert np.array_equal(tgi, [1.5, -2.0, 0.3, 0.0, 0.0])


def test_sqrt_gradient_at_zero():
    """Sqrt.c's gradient is 0 where the output is 0 (the divide-by-zero guard of nn commit ab09f77);
    PyTorch's sqrt backward divides by 2 sqrt(0): inf."""
    x, go = np.array([0.0, 4.0]), np.array([0.8, 1.0])
    _, gi = _legonn(nn.Sqrt(), x, go)
    _, tgi = _torch(torch.sqrt, x, go)
    assert np.array_equal(gi, [0.0, 0.25]) and np.array_equal(tgi, [np.inf, 0.25])


def test_sqrt_bias_as_cunn():
    """``Sqrt(b)`` computes sqrt(x + b) as THCUNN's Sqrt.cu (sqrtupdateOutput_functor adds its bias) and nn's C
    code before nn commit 4daaae9; THNN's Sqrt.c at torch/nn HEAD passes the input to THTensor_(sqrt) and so
    ignores b on the CPU. legonn adds the bias on both devices, as cunn does; PyTorch has no bias argument, so
    the reference is sqrt(x + b)."""
    x, go = _input((3, 4), 22, positive=True), _input((3, 4), 23)
    y, gi = _legonn(nn.Sqrt(0.25), x, go)
    ty, tgi = _torch(lambda t: torch.sqrt(t + 0.25), x, go)
    _close(y, ty, 'output')
    _close(gi, tgi, 'gradInput')


@pytest.mark.parametrize('beta', [1, 2, 0.5])
def test_softplus_gradient_at_threshold(beta):
    """SoftPlus.c's backward tests the output, (y * beta) > threshold, where PyTorch's tests the input: at
    beta * x = threshold = 20, y * beta = 20 + log1p(exp(-20)) is above it, so Torch7 passes gradOutput
    unchanged while PyTorch multiplies it by sigmoid(20) = 1 - 2.06e-9. The forward (which tests beta * x in
    both) agrees."""
    x, go = np.array([20.0 / beta, 20.0 / beta - 1e-3]), np.array([3.0, 3.0])
    y, gi = _legonn(nn.SoftPlus(beta), x, go)
    ty, tgi = _torch(lambda t: F.softplus(t, beta=beta), x, go)
    _close(y, ty, 'output')
    assert gi[0] == 3.0
    np.testing.assert_allclose(tgi[0], 3.0 / (1 + math.exp(-20.0)), rtol=1e-15)
    assert tgi[0] < gi[0]
    _close(gi[1], tgi[1], 'below the threshold')


def test_power_zero_at_zero():
    """Power.lua's gradient is pow(x, p - 1) * gradOutput * p: for p = 0 at x = 0 that is inf * 0, NaN; PyTorch's
    pow backward gives 0 for an exponent of 0."""
    x, go = np.array([0.0, 2.0]), np.array([1.0, 1.0])
    with np.errstate(divide='ignore', invalid='ignore'):
        y, gi = _legonn(nn.Power(0), x, go)
    ty, tgi = _torch(lambda t: torch.pow(t, 0), x, go)
    assert np.array_equal(y, ty)
    assert np.isnan(gi[0]) and gi[1] == 0.0
    assert np.array_equal(tgi, [0.0, 0.0])


@pytest.mark.parametrize('eps', [1e-10, 0.3])
@pytest.mark.parametrize('p', [0.5, 1, 1.5, math.inf])
def test_normalize_gradient_carries_eps(p, eps):
    """Normalize.lua's gradient differs from the exact derivative of its own output by terms in eps: for p < 2
    it takes (|x| + eps)^(p-2) x where d|x|^p/dx / p is |x|^(p-2) x (Normalize.lua:83-85), and for p = inf
    x[k] / norm where d norm / d x[k] is sign(x[k]) at the maximum k (Normalize.lua:74-76). PyTorch's autograd
    of the same output gives the exact derivative; the two differ by exactly that substitution. The outputs
    agree."""
    x = _input((3, 6), 24)
    go = _input((3, 6), 25)
    y, gi = _legonn(nn.Normalize(p, eps), x, go)
    ty, tgi = _torch(_torch_normalize(p, eps), x, go)
    _close(y, ty, 'output')
    t = torch.tensor(x)
    dot = (t * torch.tensor(go)).sum(-1, keepdim=True)
    if math.isinf(p):
        norm = t.abs().amax(-1, keepdim=True) + eps
        at_max = F.one_hot(t.abs().argmax(-1), x.shape[-1]).double()
        substitution = at_max * (t / norm - torch.sign(t)) * dot / norm ** 2
    else:
        normp = t.abs().pow(p).sum(-1, keepdim=True) + eps
        exact = t.abs().pow(p - 2) * t
        substitution = ((t.abs() + eps).pow(p - 2) * t - exact) * dot / (normp * normp.pow(1 / p))
    _close(gi, tgi - substitution.numpy(), 'gradInput: the exact one less the documented substitution')
    if eps > 0.1:   # large enough an eps makes the two visibly different
        assert not np.allclose(gi, tgi, rtol=1e-3)


# gradOutputs with inf and NaN: the rectifiers and shrinkages select the gradient (x > th ? go : 0) in Torch7's
# C code and in PyTorch, so a blocked unit gives 0 whatever its gradOutput
NONFINITE = ['ReLU', 'Threshold(0.3,-1.5)', 'HardTanh(-0.5,1.5)', 'ReLU6', 'LeakyReLU(0.3)', 'ELU', 'SoftShrink',
             'HardShrink', 'RReLU-evaluate', 'Tanh', 'Sigmoid', 'SoftPlus', 'MulConstant(2.5)']


@pytest.mark.parametrize('name', NONFINITE)
def test_nonfinite_grad_output(name):
    make, fn, _ = ELEMENTWISE[name]
    x = np.array([[-2.0, 0.0, 0.3, 0.25, 0.7, 9.0], [-0.5, 1.5, 0.5, 4.0, -7.0, 0.1]])
    go = np.array([[np.inf, -np.inf, np.nan, np.inf, np.inf, -np.inf], [np.nan, np.inf, -np.inf, 2.0, 3.0, np.nan]])
    with np.errstate(invalid='ignore'):
        y, gi = _legonn(make(), x, go)
    ty, tgi = _torch(fn, x, go)
    _close(y, ty, f'{name} output')
    _close(gi, tgi, f'{name} gradInput')
