"""Kmeans: nearest-centroid assignment, loss, Torch7's centroid update, seeding."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_jacobian, assert_type_roundtrip

rng = np.random.default_rng(0)


def reference_update(x, w, scale):
    """Torch7's rule in a loop: gradWeight[c] = -scale / (n_c + 1e-7) * sum over c's samples of (x - c)."""
    d = ((x[None] - w[:, None]) ** 2).sum(-1)
    assign = d.argmin(0)
    grad = np.zeros_like(w)
    counts = np.bincount(assign, minlength=w.shape[0]).astype(float)
    for i, c in enumerate(assign):
        grad[c] += -scale * (x[i] - w[c])
    return assign, d.min(0).sum(), grad / (counts + 1e-7)[:, None], counts


@pytest.mark.parametrize('scale', [None, 0.5])
def test_assignment_loss_and_update_match_reference(scale):
    x = rng.normal(size=(7, 3))
    m = nn.Kmeans(3, 3, scale).double()
    m.weight.numpy()[2] = 50.0          # an empty cluster: its gradient stays zero
    w = m.weight.numpy().copy()
    out = m.forward(x)
    assign, loss, grad, counts = reference_update(x, w, 1.0 if scale is None else scale)
    np.testing.assert_array_equal(out.numpy(), assign)
    assert out.type() == 'legonn.DoubleTensor'
    assert m.loss == pytest.approx(loss, rel=1e-12)
    m.zeroGradParameters()
    gi = m.backward(x, np.zeros(7))
    assert tuple(gi.size()) == (7, 3) and not gi.numpy().any()
    np.testing.assert_allclose(m.gradWeight.numpy(), grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(m.clusterSampleCount.numpy(), counts)
    assert not m.gradWeight.numpy()[2].any()


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_an_inf_sample_moves_only_its_own_cluster(tensor):
    # Kmeans.lua index-adds each sample to its cluster: an inf sample leaves the other clusters' steps finite
    # (a one-hot matrix product made them NaN, 0 * inf)
    x = rng.normal(size=(6, 2))
    x[3, 1] = np.inf
    m = nn.Kmeans(3, 2, 0.5).type(tensor)
    w = m.weight.double().numpy().copy()
    assign = m.forward(lg.DoubleTensor(x).type(tensor)).double().numpy().astype(int)
    m.zeroGradParameters()
    m.backward(lg.DoubleTensor(x).type(tensor), lg.DoubleTensor(6).zero().type(tensor))
    want = np.zeros_like(w)
    for c in range(3):   # Kmeans.lua's loop over each cluster's samples
        mine = x[assign == c]
        want[c] = -0.5 * (mine - w[c]).sum(axis=0) / (len(mine) + 1e-7)
    assert np.isfinite(want).sum() == 5
    np.testing.assert_allclose(m.gradWeight.double().numpy(), want, rtol=1e-12, atol=1e-15)


def test_a_unit_gradient_step_moves_each_centroid_to_its_samples_mean():
    x = np.concatenate([rng.normal(-5, 1, size=(6, 2)), rng.normal(5, 1, size=(6, 2))])
    m = nn.Kmeans(2, 2).double()
    m.weight.copy(lg.DoubleTensor([[-4.0, -4.0], [4.0, 4.0]]))
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, np.zeros(12))
    m.updateParameters(1.0)
    np.testing.assert_allclose(m.weight.numpy(), [x[:6].mean(0), x[6:].mean(0)], rtol=1e-6)


def test_call_scale_is_used_when_the_constructor_gave_none():
    x = rng.normal(size=(5, 2))
    a = nn.Kmeans(2, 2).double()
    b = a.clone()
    for m in (a, b):
        m.zeroGradParameters()
        m.forward(x)
    a.accGradParameters(lg.DoubleTensor(x), None, 0.25)
    b.accGradParameters(lg.DoubleTensor(x), None, 1.0)
    np.testing.assert_allclose(a.gradWeight.numpy(), 0.25 * b.gradWeight.numpy(), rtol=1e-12)


def test_input_jacobian_is_zero():
    # the output is a piecewise-constant index: d output / d input is zero almost everywhere, and so is
    # gradInput. The parameter "gradient" is the k-means step, not d output / d weight, so only the input
    # Jacobian is checked (the update is checked against the reference above).
    assert_jacobian(nn.Kmeans(3, 2), lg.randn(4, 2), params=False)


def test_type_roundtrip():
    m = nn.Kmeans(3, 2)
    assert_type_roundtrip(m, lg.randn(5, 2))
    assert m.clusterSampleCount.type() == 'legonn.FloatTensor'


def test_init_random_picks_input_rows():
    x = rng.normal(size=(6, 2))
    m = nn.Kmeans(4, 2).double().initRandom(x)
    rows = {tuple(r) for r in x}
    assert all(tuple(c) in rows for c in m.weight.numpy())


def test_init_kmeans_plus_with_p_one_takes_the_farthest_points():
    # p = 1: ceil(0 * n) -> 1 candidate, the farthest from the chosen centroids
    x = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [0.0, -7.0], [0.2, 0.1]])
    m = nn.Kmeans(3, 2).double()
    lg.manualSeed(3)
    m.initKmeansPlus(x, 1)
    w = m.weight.numpy()
    first = w[0]
    assert any((first == r).all() for r in x)
    d = ((x - first) ** 2).sum(1)
    np.testing.assert_array_equal(w[1], x[d.argmax()])
    d = np.minimum(d, ((x - w[1]) ** 2).sum(1))
    np.testing.assert_array_equal(w[2], x[d.argmax()])
    assert m.p == 1
    with pytest.raises(ValueError, match=r'Kmeans\(3, 2\): initKmeansPlus p must be in \[0, 1\]'):
        m.initKmeansPlus(x, 1.5)


@pytest.mark.gpu
def test_gpu_matches_cpu():
    x = lg.DoubleTensor(rng.normal(size=(6, 3)))
    m = nn.Kmeans(3, 3).double()
    g = m.clone().cudaDouble()
    np.testing.assert_array_equal(g.forward(x.cudaDouble()).cpu().numpy(), m.forward(x).numpy())
    assert g.loss == pytest.approx(m.loss, rel=1e-10)
    for mod, inp in ((m, x), (g, x.cudaDouble())):
        mod.zeroGradParameters()
        mod.backward(inp, mod.output.clone().zero())
    np.testing.assert_allclose(g.gradWeight.cpu().numpy(), m.gradWeight.numpy(), rtol=1e-10)
    g.initKmeansPlus(x.cudaDouble())
    g.initRandom(x.cudaDouble())
    assert g.weight.is_cuda


def test_bad_input_and_constructor_errors():
    with pytest.raises(ValueError, match='Kmeans: k must be a positive integer'):
        nn.Kmeans(0, 2)
    with pytest.raises(ValueError, match='Kmeans: scale must be a positive number'):
        nn.Kmeans(2, 2, -1)
    m = nn.Kmeans(3, 2)
    with pytest.raises(ValueError, match=r'Kmeans\(3, 2\): expected input rows of dim=2 values, got size \(4, 3\)'):
        m.forward(lg.randn(4, 3))
    with pytest.raises(ValueError, match=r'Kmeans\(3, 2\): expected a 2-D input'):
        m.forward(lg.randn(4))
    with pytest.raises(ValueError, match=r'Kmeans\(3, 2\): expected at least k=3 samples'):
        m.initRandom(lg.randn(2, 2))
    before = m.gradWeight.clone()
    with pytest.raises(ValueError, match=r'Kmeans\(3, 2\): expected the input of the last forward call'):
        m.backward(lg.randn(4, 2), lg.zeros(4))
    m.forward(lg.randn(4, 2))
    with pytest.raises(ValueError, match=r'Kmeans\(3, 2\): expected a positive scale'):
        m.accGradParameters(lg.randn(4, 2), lg.zeros(4), -0.1)
    assert (m.gradWeight.numpy() == before.numpy()).all()
