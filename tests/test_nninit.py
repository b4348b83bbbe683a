"""nninit (Kaixhin/nninit, nninit.lua): Module.init's accessors and chaining, fan in/out and gains, and every
initialiser's exact values or statistics against the Lua maths, transcribed here in float64 NumPy."""
import math
import sys

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn, nninit


def test_init_is_a_module_method_and_chains():
    """nninit.lua ``nn.Module.init``: a string accessor, a {name, index} pair (a sub-tensor view) and a function;
    the initialiser gets (module, tensor, ...) and init returns the module, so calls chain. In legonn the
    method belongs to Module itself (legonn.modules.base.training), not added by importing nninit."""
    assert nn.Module.init.__module__ == 'legonn.modules.base.training'
    m = nn.Linear(3, 8)
    out = (m.init('weight', nninit.constant, 2)
            .init(('bias', slice(0, 4)), nninit.constant, 1)             # Lua {'bias', {{1, 4}}}
            .init(lambda mod: mod.bias.narrow(0, 4, 4), nninit.constant, -1))
    assert out is m
    assert np.all(m.weight.numpy() == 2)
    assert m.bias.numpy().tolist() == [1, 1, 1, 1, -1, -1, -1, -1]
    m.init(('weight', (slice(0, 2), slice(None))), nninit.mulConstant, 3)   # {'weight', {{1, 2}, {}}}
    assert m.weight.numpy()[:2].tolist() == [[6, 6, 6]] * 2 and np.all(m.weight.numpy()[2:] == 2)
    seen = []
    m.init('weight', lambda mod, t, *args, **kw: seen.append((mod, t, args, kw)), 1, 2, dist='x')
    assert seen == [(m, m.weight, (1, 2), {'dist': 'x'})]


def test_init_refuses_what_is_not_a_tensor():
    """nninit.lua errors 'Unsupported accessor' for other accessor types; a name that is not a tensor fails
    in the initialiser there, here at once, naming the module."""
    m = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="init: Linear.*'gradient'"):
        m.init('gradient', nninit.constant, 0)
    with pytest.raises(TypeError, match='accessor'):
        m.init(3, nninit.constant, 0)
    with pytest.raises(TypeError, match='initialiser'):
        m.init('weight', 'kaiming')


def test_init_refuses_an_index_that_copies():
    """nninit.lua's ``self[accessor[1]][accessor[2]]`` is Lua indexing: Kaixhin/Atari's Model.lua writes
    ``lstm.i2g:init({'bias', {{3*h+1, 4*h}}}, nninit.constant, 1)``, a view of the forget gates' biases. Kept
    as the table (``['bias', [[3*h, 4*h - 1]]]``) the index is NumPy's fancy indexing, a copy that the
    initialiser filled and dropped, leaving the bias as it was: refused, naming the module and the slice to
    write; nothing changes."""
    m = nn.Linear(3, 8)
    before = m.bias.clone()
    with pytest.raises(ValueError, match=r"Linear.*slice\(a - 1, b\).*\[\[6, 7\]\], which copies"):
        m.init(['bias', [[6, 7]]], nninit.constant, 1)
    assert lg.equal(m.bias, before)
    m.init(['bias', slice(6, 8)], nninit.constant, 1)                 # the port of {'bias', {{7, 8}}}
    assert m.bias[6:].eq(1).all() and lg.equal(m.bias[:6], before[:6])


def test_fans_as_nninit_computes_them():
    """nninit.lua calcFan: weight:size(2), weight:size(1) for Linear, LinearNoBias, LookupTable and
    TemporalConvolution; planes times kernel area (volume) for the spatial and volumetric convolutions."""
    assert nninit.calcFan(nn.Linear(10, 20)) == (10, 20)
    assert nninit.calcFan(nn.LinearNoBias(7, 3)) == (7, 3)
    assert nninit.calcFan(nn.LookupTable(50, 8)) == (8, 50)
    assert nninit.calcFan(nn.TemporalConvolution(3, 4, 5)) == (15, 4)
    assert nninit.calcFan(nn.SpatialConvolution(2, 6, 5, 3)) == (2 * 15, 6 * 15)
    assert nninit.calcFan(nn.SpatialConvolutionMM(2, 6, 3, 3)) == (18, 54)
    assert nninit.calcFan(cudnn.SpatialConvolution(4, 2, 3, 1)) == (12, 6)
    assert nninit.calcFan(nn.SpatialFullConvolution(3, 5, 2, 4)) == (24, 40)
    assert nninit.calcFan(nn.VolumetricConvolution(2, 3, 3, 4, 5)) == (2 * 60, 3 * 60)
    with pytest.raises(ValueError, match='got nn.Tanh'):
        nninit.calcFan(nn.Tanh())


def test_gains():
    """nninit.lua calcGain and the README's table: a number as is, nil 1, linear/sigmoid 1, tanh 5/3, relu
    sqrt(2), lrelu sqrt(2 / (1 + leakiness^2)) with the leakiness given beside the name."""
    assert nninit.calcGain(None) == 1 and nninit.calcGain(1.1) == 1.1
    assert nninit.calcGain('linear') == nninit.calcGain('sigmoid') == 1
    assert nninit.calcGain('tanh') == 5 / 3
    assert nninit.calcGain('relu') == math.sqrt(2)
    assert nninit.calcGain(('lrelu', {'leakiness': 0.3})) == math.sqrt(2 / 1.09)
    with pytest.raises(ValueError, match='leakiness'):
        nninit.calcGain('lrelu')
    with pytest.raises(ValueError, match="got 'relU'"):
        nninit.calcGain('relU')


def test_constant_fills_exactly():
    """nninit.lua copy, constant, addConstant, mulConstant: tensor:copy / fill / add / mul."""
    m = nn.Linear(3, 2)
    init = np.arange(6, dtype=np.float64).reshape(2, 3)
    m.init('weight', nninit.copy, init).init('weight', nninit.addConstant, 0.5).init('weight', nninit.mulConstant, 2)
    np.testing.assert_array_equal(m.weight.numpy(), (init + 0.5) * 2)
    m.init('bias', nninit.constant, -3)
    assert m.bias.numpy().tolist() == [-3, -3]


def _moments(t):
    a = t.numpy().astype(np.float64).ravel()
    return a.mean(), a.std(), np.abs(a).max()


def test_random_fills_have_the_requested_moments():
    """nninit.lua normal / uniform (tensor:normal(mean, stdv), tensor:uniform(a, b)) and addNormal / addUniform
    (adding a tensor of such draws): mean and spread over 200x500 draws."""
    m = nn.Linear(500, 200).double()
    mean, std, _ = _moments(m.init('weight', nninit.normal, 1.5, 0.2).weight)
    assert abs(mean - 1.5) < 0.005 and abs(std - 0.2) < 0.005
    a = m.weight.numpy().copy()
    m.init('weight', nninit.addNormal, -1, 0.1)
    d = m.weight.numpy() - a
    assert abs(d.mean() + 1) < 0.005 and abs(d.std() - 0.1) < 0.005
    m.init('weight', nninit.uniform, -2, 4)
    w = m.weight.numpy()
    assert w.min() >= -2 and w.max() <= 4 and abs(w.mean() - 1) < 0.05 and abs(w.std() - 6 / math.sqrt(12)) < 0.02
    a = w.copy()
    m.init('weight', nninit.addUniform, 0, 1)
    d = m.weight.numpy() - a
    assert d.min() >= 0 and d.max() <= 1 and abs(d.mean() - 0.5) < 0.01


@pytest.mark.parametrize('module, fans', [(lambda: nn.Linear(300, 200), (300, 200)),
                                          (lambda: nn.SpatialConvolution(16, 32, 5, 3), (16 * 15, 32 * 15))])
def test_xavier_and_kaiming_scales(module, fans):
    """nninit.lua xavier: stdv = gain sqrt(2 / (fanIn + fanOut)), uniform on +-stdv sqrt(3) by default;
    kaiming: stdv = gain sqrt(1 / fanIn), normal by default; the other dist on request."""
    fan_in, fan_out = fans
    m = module().double()
    stdv = 1.1 * math.sqrt(2 / (fan_in + fan_out))
    _, std, top = _moments(m.init('weight', nninit.xavier, {'gain': 1.1}).weight)
    assert top <= stdv * math.sqrt(3) and top > 0.99 * stdv * math.sqrt(3) and abs(std / stdv - 1) < 0.03
    _, std, top = _moments(m.init('weight', nninit.xavier, dist='normal').weight)
    assert abs(std / math.sqrt(2 / (fan_in + fan_out)) - 1) < 0.03 and top > math.sqrt(3 * 2 / (fan_in + fan_out))
    stdv = math.sqrt(2 / 1.09) / math.sqrt(fan_in)
    _, std, top = _moments(m.init('weight', nninit.kaiming, {'dist': 'uniform', 'gain': ('lrelu', {'leakiness': 0.3})})
                           .weight)
    assert top <= stdv * math.sqrt(3) and top > 0.99 * stdv * math.sqrt(3) and abs(std / stdv - 1) < 0.03
    mean, std, _ = _moments(m.init('weight', nninit.kaiming, gain='relu').weight)
    assert abs(std / (math.sqrt(2) / math.sqrt(fan_in)) - 1) < 0.03 and abs(mean) < 0.01 * std * 10
    with pytest.raises(ValueError, match="dist must be 'uniform' or 'normal', got 'gauss'"):
        m.init('weight', nninit.kaiming, dist='gauss')
    with pytest.raises(ValueError, match='options are dist, gain, got std'):
        m.init('weight', nninit.xavier, std=1)


def _lua_eye_view(shape, view_sizes, centre, n_in):
    """nninit.lua eye for a convolution: zero the weight, view it as (nIn, nOut, kW, kH[, ...]) and set every
    [i][j][centre] to 1/nIn, the loops written out over the flat storage."""
    flat = np.zeros(int(np.prod(shape)))
    strides = [int(np.prod(view_sizes[k + 1:])) for k in range(len(view_sizes))]
    for i in range(view_sizes[0]):
        for j in range(view_sizes[1]):
            pos = i * strides[0] + j * strides[1] + sum(c * s for c, s in zip(centre, strides[2:]))
            flat[pos] = 1 / n_in
    return flat.reshape(shape)


def test_eye():
    """nninit.lua eye: torch.eye(rows, columns) for Linear/LookupTable; columns (i-1)kW + ceil(kW/2) (1-based) set
    to 1/inputFrameSize for TemporalConvolution; the (nIn, nOut, kW, kH) view's centre for spatial and
    volumetric convolutions, with a non-square kernel where that view is not the weight's own layout."""
    np.testing.assert_array_equal(nn.Linear(3, 5).init('weight', nninit.eye).weight.numpy(), np.eye(5, 3))
    np.testing.assert_array_equal(nn.LookupTable(4, 2).init('weight', nninit.eye).weight.numpy(), np.eye(4, 2))
    t = nn.TemporalConvolution(3, 2, 4).init('weight', nninit.eye).weight.numpy()
    expected = np.zeros((2, 12))
    for i in range(1, 4):                             # Lua's loop, 1-based
        expected[:, (i - 1) * 4 + math.ceil(4 / 2) - 1] = 1 / 3
    np.testing.assert_allclose(t, expected, rtol=1e-7)
    c = nn.SpatialConvolution(2, 3, 5, 3).init('weight', nninit.eye).weight.numpy()   # weight 3x2x3x5
    np.testing.assert_allclose(c, _lua_eye_view((3, 2, 3, 5), (2, 3, 5, 3), (2, 1), 2), rtol=1e-7)
    c = nn.SpatialConvolution(2, 3, 3, 3).init('weight', nninit.eye).weight.numpy()
    assert np.all(c[:, :, 1, 1] == np.float32(0.5)) and c.sum() == np.float32(3)
    v = nn.VolumetricConvolution(2, 2, 3, 3, 3).init('weight', nninit.eye).weight.numpy()
    np.testing.assert_allclose(v, _lua_eye_view(v.shape, (2, 2, 3, 3, 3), (1, 1, 1), 2), rtol=1e-7)
    with pytest.raises(ValueError, match="only the module's 'weight'"):
        nn.Linear(2, 2).init('bias', nninit.eye)
    with pytest.raises(ValueError, match='got nn.CMul'):
        nn.CMul(3).init('weight', nninit.eye)


def test_orthogonal():
    """nninit.lua orthogonal: U of svd(N(0, 1) fanOut x fanIn, 'S') when fanOut > fanIn, else V:narrow(1, 1, fanOut)
    resized to the tensor's sizes (V's storage row by row), times the gain. With the same seed the draw
    is the same, so the values are compared with NumPy's SVD (up to each singular vector's sign)."""
    m = nn.Linear(3, 8).double().init('weight', nninit.orthogonal, {'gain': 'relu'})
    w = m.weight.numpy()
    np.testing.assert_allclose(w.T @ w, 2 * np.eye(3), atol=1e-12)    # orthonormal columns, times sqrt(2)^2
    sq = nn.SpatialConvolution(2, 18, 3, 3).double().init('weight', nninit.orthogonal).weight.numpy().reshape(18, 18)
    np.testing.assert_allclose(sq @ sq.T, np.eye(18), atol=1e-12)
    for fan_out, fan_in in ((3, 3), (2, 5)):
        m = nn.Linear(fan_in, fan_out).double()
        lg.manualSeed(7)
        m.init('weight', nninit.orthogonal)
        lg.manualSeed(7)
        a = lg.DoubleTensor(fan_out, fan_in).normal(0, 1).numpy()
        u, _, vt = np.linalg.svd(a, full_matrices=False)
        v = vt.T                                           # fanIn x fanOut, Torch7's V
        expected = v[:fan_out].ravel() if fan_out == fan_in else v.ravel()
        np.testing.assert_allclose(np.abs(m.weight.numpy().ravel()), np.abs(expected[:fan_out * fan_in]),
                                   atol=1e-12)
    with pytest.raises(ValueError, match='2 or more dimensions, got 1'):
        nn.Linear(2, 2).init('bias', nninit.orthogonal)


def test_sparse_zeroes_floor_of_sparsity_times_n():
    """nninit.lua sparse: randperm(n), its first floor(sparsity * n) entries' elements set to 0 (the code zeroes
    that share, although the README describes the complement)."""
    m = nn.Linear(10, 7).init('weight', nninit.constant, 1).init('weight', nninit.sparse, 0.2)
    assert int((m.weight.numpy() == 0).sum()) == math.floor(0.2 * 70)
    m.init('weight', nninit.constant, 1).init('weight', nninit.sparse, 0)
    assert np.all(m.weight.numpy() == 1)
    with pytest.raises(ValueError, match=r'sparsity must be a number in \[0, 1\], got 2'):
        m.init('weight', nninit.sparse, 2)


def test_readme_example_ported():
    """nninit's README example, its CPU nn part line by line (Sequencer/FastLSTM from rnn left out)."""
    getBias = lambda module: module.bias   # noqa: E731  (the README's getBias)
    nChannels, nFilters, imgSize, batchSize, hiddenSize = 3, 8, 16, 5, 2
    cnn = nn.Sequential()
    cnn.add(cudnn.SpatialConvolution(nChannels, nFilters, 2, 2).init('weight', nninit.eye)
            .init('weight', nninit.mulConstant, 1 / 2)
            .init('weight', nninit.addNormal, 0, 0.01)
            .init(getBias, nninit.constant, 0))
    cnn.add(nn.View(nFilters * 15 * 15))
    cnn.add(nn.Linear(nFilters * 15 * 15, nFilters).init('weight', nninit.kaiming, {
        'dist': 'uniform', 'gain': ('lrelu', {'leakiness': 0.3})}))
    cnn.add(nn.RReLU(1 / 3, 1 / 3))
    cnn.add(nn.Linear(nFilters, 6).init('weight', nninit.orthogonal, {'gain': 'relu'}))
    cnn.add(cudnn.ReLU())
    cnn.add(nn.Linear(6, 4).init('weight', nninit.xavier, {'dist': 'normal', 'gain': 1.1}))
    cnn.add(nn.Linear(4, hiddenSize).init('weight', nninit.sparse, 0.2).init(getBias, nninit.constant, 0))
    out = cnn.forward(lg.ones(batchSize, nChannels, imgSize, imgSize))
    assert out.size() == (batchSize, hiddenSize) and np.isfinite(out.numpy()).all()
    assert np.all(cnn.get(0).bias.numpy() == 0)


def test_importing_nninit_changes_no_class():
    """DESIGN: no package patches another's classes; nninit only defines functions."""
    assert 'legonn.nninit' in sys.modules
    assert not [k for k in vars(nn.Module) if k.startswith('_nninit')]


@pytest.mark.gpu
def test_initialisers_on_cuda_tensors():
    """The same initialisers on a module moved to the GPU (draws on the device)."""
    m = nn.SpatialConvolution(2, 4, 3, 3).cuda()
    for f, args in ((nninit.eye, ()), (nninit.xavier, ()), (nninit.kaiming, ({'gain': 'relu'},)),
                    (nninit.orthogonal, ()), (nninit.sparse, (0.5,)), (nninit.addNormal, (0, 1))):
        m.init('weight', f, *args)
        assert m.weight.type() == 'legonn.CudaTensor'
        assert np.isfinite(m.weight.float().numpy()).all()
