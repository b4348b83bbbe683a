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
