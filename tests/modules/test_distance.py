"""Euclidean, WeightedEuclidean, Cosine."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, reference_test, sized_build, standard_tests


def euclid(m, x):
    return np.linalg.norm(np.atleast_2d(x)[:, :, None] - m.weight.numpy()[None], axis=1).reshape(
        x.shape[:-1] + (m.weight.size(1),))


def weuclid(m, x):
    z = (np.atleast_2d(x)[:, :, None] - m.weight.numpy()[None]) * m.diagCov.numpy()[None]
    return np.linalg.norm(z, axis=1).reshape(x.shape[:-1] + (m.weight.size(1),))


def cosine(m, x):
    w = m.weight.numpy()
    return (x @ w.T) / np.linalg.norm(x, axis=-1, keepdims=True) / np.linalg.norm(w, axis=1)


def _weighted():
    m = nn.WeightedEuclidean(3, 2)
    m.diagCov.uniform(0.5, 2)
    return m


CASES = {
    'Euclidean-1d': (lambda: nn.Euclidean(3, 4), (3,), euclid),
    'Euclidean-batch': (lambda: nn.Euclidean(3, 4), (2, 3), euclid),
    'WeightedEuclidean-1d': (_weighted, (3,), weuclid),
    'WeightedEuclidean-batch': (_weighted, (2, 3), weuclid),
    'Cosine-1d': (lambda: nn.Cosine(3, 2), (3,), cosine),
    'Cosine-batch': (lambda: nn.Cosine(3, 4), (2, 3), cosine),
}
IDS = sorted(CASES)


def _input(size):
    return lg.DoubleTensor(np.random.default_rng(5).uniform(-2, 2, size))


_build = sized_build(CASES, _input)
test_jacobian, test_type_roundtrip, test_gpu = standard_tests(IDS, _build)
test_matches_numpy = reference_test(IDS, _build, lambda name, m, x: CASES[name][2](m, x.numpy()), rtol=1e-10)


def test_weighted_euclidean_exposes_both_parameters():
    m = nn.WeightedEuclidean(3, 2)
    params, grads = m.parameters()
    assert [p.size() for p in params] == [(3, 2), (3, 2)] and grads[1] is m.gradDiagCov
    assert (m.diagCov.numpy() == 1).all()


def test_euclidean_gradient_at_a_template_is_zero_not_nan():
    m = nn.Euclidean(2, 1).double()
    x = m.weight.select(1, 0).clone()
    m.forward(x)
    assert m.output.numpy()[0] == 0
    assert np.isfinite(m.backward(x, lg.DoubleTensor([1.0])).numpy()).all()


def test_wrong_feature_count_leaves_gradients_alone():
    m = nn.Cosine(3, 2)
    m.gradWeight.fill(2)
    assert_rejected(m, ValueError, r'Cosine\(3 -> 2\): expected 3 input features, got input of size \(2, 4\)',
                    'backward', lg.FloatTensor(2, 4), lg.FloatTensor(2, 2))
    with pytest.raises(ValueError):
        nn.Euclidean(0, 2)


@pytest.mark.parametrize('size', [(3,), (4, 3)])
def test_weighted_euclidean_acc_update_steps_weight_and_diag_cov(size):
    # WeightedEuclidean.lua's accUpdateGradParameters: weight and diagCov each step by -lr times the gradient
    # accGradParameters gives (both at the old values); the gradient buffers are left alone
    m = _weighted().double()
    x = _input(size)
    go = lg.DoubleTensor(np.random.default_rng(6).normal(size=size[:-1] + (2,)))
    ref = m.clone()
    ref.forward(x)
    ref.zeroGradParameters()
    ref.accGradParameters(x, go)
    m.forward(x)
    m.zeroGradParameters()
    m.accUpdateGradParameters(x, go, 0.1)
    for p, p0, g in ((m.weight, ref.weight, ref.gradWeight), (m.diagCov, ref.diagCov, ref.gradDiagCov)):
        np.testing.assert_allclose(p.numpy(), p0.numpy() - 0.1 * g.numpy(), rtol=1e-12)
        assert np.abs(g.numpy()).max() > 0
    assert not m.gradWeight.numpy().any() and not m.gradDiagCov.numpy().any()


def test_cosine_gradients_at_a_zero_input_and_a_zero_template_are_finite():
    # Cosine.lua divides by (|x| + 1e-12)^2 and (|w_j| + 1e-12)^2; the exact derivative's |x| (|x| + 1e-12) is 0 at a
    # zero input (or template), and gave 0/0 = NaN there
    m = nn.Cosine(3, 2).double()
    m.weight.select(0, 0).zero()
    x = _input((3, 3))
    x.select(0, 1).zero()
    go = lg.DoubleTensor(np.random.default_rng(7).normal(size=(3, 2)))
    m.zeroGradParameters()
    y = m.forward(x).numpy()
    gi = m.backward(x, go).numpy()
    xa, w, g = x.numpy(), m.weight.numpy(), go.numpy()
    xn = np.linalg.norm(xa, axis=1, keepdims=True) + 1e-12
    wn = np.linalg.norm(w, axis=1) + 1e-12
    # Cosine.lua's batch rules, written out
    np.testing.assert_allclose(gi, ((g / wn) @ w - (g * y).sum(axis=1, keepdims=True) * xa / xn) / xn, rtol=1e-10)
    np.testing.assert_allclose(m.gradWeight.numpy(),
                               ((g.T @ (xa / xn)) - (g * y).sum(axis=0)[:, None] * w / wn[:, None]) / wn[:, None],
                               rtol=1e-10)
    assert np.isfinite(gi).all() and np.isfinite(m.gradWeight.numpy()).all()


@pytest.mark.parametrize('weighted', [False, True], ids=['Euclidean', 'WeightedEuclidean'])
@pytest.mark.parametrize('size', [(3,), (2, 3)], ids=['1d', 'batch'])
def test_euclidean_gradients_divide_by_the_distance_plus_1e_7(weighted, size):
    """Euclidean.lua:114 and WeightedEuclidean.lua:114 divide gradOutput by y + 1e-7: with c the diagCov (1 for
    Euclidean), gradInput = sum_j go_j c_j^2 (x - w_j) / (y_j + 1e-7), gradWeight -= scale (the same, summed over
    the batch), gradDiagCov += scale sum go_j c_j (x - w_j)^2 / (y_j + 1e-7). Inputs near the templates (y of
    0.01) make the epsilon show (1e-5 relative)."""
    m = (_weighted() if weighted else nn.Euclidean(3, 2)).double()
    rng = np.random.default_rng(7)
    w = m.weight.numpy()
    x = w[:, 0] + 0.005 * rng.normal(size=size)
    go = rng.normal(size=size[:-1] + (2,))
    m.zeroGradParameters()
    m.forward(lg.DoubleTensor(x))
    gi = m.backward(lg.DoubleTensor(x), lg.DoubleTensor(go), 0.5).numpy()
    c = m.diagCov.numpy() if weighted else np.ones_like(w)
    diff = np.atleast_2d(x)[:, :, None] - w[None]                     # (batch, in, out)
    y = np.sqrt(((diff * c) ** 2).sum(1))                             # (batch, out)
    s = (np.atleast_2d(go) / (y + 1e-7))[:, None, :]
    np.testing.assert_allclose(gi, (s * c ** 2 * diff).sum(2).reshape(size), rtol=1e-12)
    np.testing.assert_allclose(m.gradWeight.numpy(), -0.5 * (s * c ** 2 * diff).sum(0), rtol=1e-12)
    if weighted:
        np.testing.assert_allclose(m.gradDiagCov.numpy(), 0.5 * (s * c * diff ** 2).sum(0), rtol=1e-12)


@pytest.mark.parametrize('make, shape', [(lambda: nn.Cosine(4, 3), (4,)), (lambda: nn.Cosine(4, 3), (2, 4)),
                                         (lambda: nn.WeightedEuclidean(4, 3), (4,)),
                                         (lambda: nn.Bilinear(4, 2, 3), None)])
def test_acc_grad_parameters_scales_the_whole_gradient(make, shape):
    """docs/porting.md's row: Torch7's Cosine.lua (:120 scaled, :127 and the batch's :146 not), WeightedEuclidean.lua
    (:183, a 1-D input's gradDiagCov) and Bilinear.lua (:140) leave ``scale`` out of part of the gradient; legonn
    scales all of it, so accGradParameters with scale s adds s times what scale 1 adds."""
    rng = np.random.default_rng(5)
    m = make().double()
    if shape is None:
        x = [lg.from_numpy(rng.standard_normal((2, 4))), lg.from_numpy(rng.standard_normal((2, 2)))]
    else:
        x = lg.from_numpy(rng.standard_normal(shape))
    y = m.forward(x)
    g = lg.from_numpy(rng.standard_normal(tuple(y.size())))
    added = []
    for scale in (1.0, 0.5):
        m.zeroGradParameters()
        m.accGradParameters(x, g, scale)
        added.append([grad.numpy().copy() for grad in m.parameters()[1]])
    for one, half in zip(*added):
        assert np.abs(one).max() > 0
        np.testing.assert_allclose(half, 0.5 * one, rtol=1e-13, atol=1e-15)
