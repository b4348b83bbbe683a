"""DotProduct, CosineDistance, PairwiseDistance, MixtureTable."""
import math

import numpy as np
import pytest

from legonn import nn
from tests.checks import named_case_tests

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


def cosine(a, b):
    return (a * b).sum(-1) / np.sqrt((a * a).sum(-1) * (b * b).sum(-1))


CASES = [
    ('DotProduct', nn.DotProduct, lambda: [r(3, 4), r(3, 4)], lambda x: (x[0] * x[1]).sum(1)),
    ('DotProduct-1d', nn.DotProduct, lambda: [r(4), r(4)], lambda x: [(x[0] * x[1]).sum()]),
    ('CosineDistance', nn.CosineDistance, lambda: [r(3, 4), r(3, 4)], lambda x: cosine(*x)),
    ('CosineDistance-1d', nn.CosineDistance, lambda: [r(4), r(4)], lambda x: [cosine(*x)]),
    ('PairwiseDistance', lambda: nn.PairwiseDistance(2), lambda: [r(3, 4), r(3, 4)],
     lambda x: np.linalg.norm(x[0] - x[1], axis=1)),
    ('PairwiseDistance-p1', lambda: nn.PairwiseDistance(1), lambda: [r(4), r(4)],
     lambda x: [np.abs(x[0] - x[1]).sum()]),
    ('PairwiseDistance-p3', lambda: nn.PairwiseDistance(3), lambda: [r(2, 4), r(2, 4)],
     lambda x: (np.abs(x[0] - x[1]) ** 3).sum(1) ** (1 / 3)),
    ('MixtureTable-table', nn.MixtureTable, lambda: [r(2, 3), [r(2, 4), r(2, 4), r(2, 4)]],
     lambda x: sum(x[0][:, i:i + 1] * e for i, e in enumerate(x[1]))),
    ('MixtureTable-1d', nn.MixtureTable, lambda: [r(3), [r(4), r(4), r(4)]],
     lambda x: sum(x[0][i] * e for i, e in enumerate(x[1]))),
    ('MixtureTable-tensor', nn.MixtureTable, lambda: [r(2, 3), r(2, 3, 4)],
     lambda x: (x[0][:, :, None] * x[1]).sum(1)),
    ('MixtureTable-tensor-dim2', lambda: nn.MixtureTable(2), lambda: [r(2, 3), r(2, 4, 3)],
     lambda x: (x[0][:, None, :] * x[1]).sum(2)),
]
test_jacobian, test_type_roundtrip, test_gpu, test_matches_numpy = named_case_tests(CASES, rtol=1e-10)


def test_cosine_gradient_is_orthogonal_to_input():
    # cos(a, b) does not change when a is scaled, so d cos / d a is orthogonal to a
    a, b = r(4), r(4)
    m = nn.CosineDistance().double()
    m.forward([a, b])
    ga = m.backward([a, b], np.ones(1))[0].numpy()
    assert abs(ga @ a) < 1e-12 and np.abs(ga).max() > 1e-3
    assert math.isclose(m.output.numpy()[0], cosine(a, b), rel_tol=1e-12)


def test_pairwise_distance_of_equal_inputs_has_zero_gradient():
    a = r(2, 3)
    m = nn.PairwiseDistance().double()
    np.testing.assert_allclose(m.forward([a, a.copy()]).numpy(), 0)
    assert not np.isnan(m.backward([a, a.copy()], np.ones(2))[0].numpy()).any()


def test_errors():
    with pytest.raises(ValueError, match=r"DotProduct: expected input\[1\] of size \(3, 4\) \(like input\[0\]\), "
                                         r"got \(3, 5\)"):
        nn.DotProduct().forward([r(3, 4), r(3, 5)])
    with pytest.raises(ValueError, match=r"MixtureTable: expected an experts table of 3 entries, got 2"):
        nn.MixtureTable().forward([r(2, 3), [r(2, 4), r(2, 4)]])
    with pytest.raises(ValueError, match=r"PairwiseDistance\(2\): expected 1-D or 2-D"):
        nn.PairwiseDistance().forward([r(1, 2, 3), r(1, 2, 3)])
    with pytest.raises(ValueError, match="p must be >= 1"):
        nn.PairwiseDistance(0.5)


def lua_pairwise_distance_gradient(a, b, p, grad):
    """PairwiseDistance.lua's updateGradInput for a batch, p not 1, written out: d * |d|^(p-2) only when p > 2
    (lines 56-58), times (output + 1e-6)^-(p-1) and gradOutput."""
    d = a - b
    out = (np.abs(d) ** p).sum(1) ** (1 / p)
    g = d * np.abs(d) ** (p - 2) if p > 2 else d.copy()
    return g * ((out + 1e-6) ** -(p - 1))[:, None] * grad[:, None]


def test_pairwise_distance_gradient_is_exact_for_p_between_1_and_2():
    """For 1 < p < 2 PairwiseDistance.lua omits the factor |d_k|^(p-2) of the p-norm's derivative (a Torch7 bug,
    docs/porting.md's PairwiseDistance row): its gradient is not the forward's. legonn's is the derivative,
    checked by central differences, over the Lua's (distance + 1e-6)^(p-1); for p = 2 and 3 the two formulas
    agree."""
    a, b, grad = r(3, 4), r(3, 4), r(3)
    m = nn.PairwiseDistance(1.5).double()
    m.forward([a, b])
    got = m.backward([a, b], grad)[0].numpy()
    numeric = np.zeros_like(a)
    for k in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[k] = 1e-6
        up = m.forward([a + step, b]).numpy().copy()
        numeric[k] = (up - m.forward([a - step, b]).numpy()) @ grad / 2e-6
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9)
    d = a - b
    distance = (np.abs(d) ** 1.5).sum(1) ** (1 / 1.5)
    exact = np.abs(d) ** 0.5 * np.sign(d) * (distance + 1e-6)[:, None] ** -0.5 * grad[:, None]
    np.testing.assert_allclose(got, exact, rtol=1e-12)
    lua = lua_pairwise_distance_gradient(a, b, 1.5, grad)
    np.testing.assert_allclose(lua, exact * np.abs(d) ** 0.5, rtol=1e-12)   # the missing |d_k|^(p-2)
    assert np.abs(lua - got).max() > 0.1
    for p in (2, 3):
        m = nn.PairwiseDistance(p).double()
        m.forward([a, b])
        np.testing.assert_allclose(m.backward([a, b], grad)[0].numpy(), lua_pairwise_distance_gradient(a, b, p, grad),
                                   rtol=1e-12)


@pytest.mark.parametrize('p', [1, 2, 3])
@pytest.mark.parametrize('batch', [True, False], ids=['batch', 'single'])
def test_pairwise_distance_gradient_divides_by_the_distance_plus_1e_6(p, batch):
    """PairwiseDistance.lua:64 and :69 divide by (output + 1e-6)^(p-1), p > 1 ("prevent divide by zero"); p = 1 is
    the sign (:52). Small distances (0.01) make the epsilon show: 1e-4 relative for p = 2."""
    a = r(3, 4) if batch else r(4)
    b = a + 0.005 * r(*a.shape)
    grad = r(3) if batch else r(1)
    m = nn.PairwiseDistance(p).double()
    m.forward([a, b])
    got = m.backward([a, b], grad)
    rows = np.atleast_2d(a - b)
    if p == 1:
        want = np.sign(rows) * np.atleast_2d(grad).reshape(-1, 1)
    else:
        want = lua_pairwise_distance_gradient(np.atleast_2d(a), np.atleast_2d(b), p, np.atleast_1d(grad))
    np.testing.assert_allclose(got[0].numpy(), want.reshape(a.shape), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got[1].numpy(), -want.reshape(a.shape), rtol=1e-12, atol=1e-15)


def test_mixture_table_reads_each_calls_layout():
    """MixtureTable.lua fixes ``self.dim`` at its first call (1 for a 1-D gater, else 2) and ``self.table`` once a
    table is seen: a later call in the other layout errors in the Lua (its gater view or expandAs fails), but for
    experts (n, F) after a batch call with F = n it mixes along the wrong dimension, out[i] = sum_j g_j e[i, j].
    legonn takes the default dimension from each call's gater (docs/porting.md's MixtureTable row): the same
    numbers wherever the Lua's layout does not change."""
    m = nn.MixtureTable().double()
    gb, eb = r(2, 3), r(2, 3, 4)
    np.testing.assert_allclose(m.forward([gb, eb]).numpy(), np.einsum('bn,bnf->bf', gb, eb), rtol=1e-12)
    g, e = r(3), r(3, 3)
    np.testing.assert_allclose(m.forward([g, e]).numpy(), g @ e, rtol=1e-12)
    assert np.abs(m.output.numpy() - e @ g).max() > 1e-3   # the Lua's second call: dim 2 kept from the first
    np.testing.assert_allclose(m.forward([gb, eb]).numpy(), np.einsum('bn,bnf->bf', gb, eb), rtol=1e-12)
    tables = [r(4) for _ in range(3)]
    np.testing.assert_allclose(m.forward([g, tables]).numpy(), sum(gi * t for gi, t in zip(g, tables)), rtol=1e-12)
