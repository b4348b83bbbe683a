"""CAddTable, CSubTable, CMulTable, CDivTable, CMaxTable, CMinTable."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import reference_test, standard_tests


def table(n, shape=(2, 3), low=0.5, high=2.0, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, shape) * rng.choice([-1, 1], shape) for _ in range(n)]


CASES = [
    (nn.CAddTable, 3, lambda t: t[0] + t[1] + t[2]),
    (nn.CSubTable, 2, lambda t: t[0] - t[1]),
    (nn.CMulTable, 3, lambda t: t[0] * t[1] * t[2]),
    (nn.CDivTable, 2, lambda t: t[0] / t[1]),
    (nn.CMaxTable, 3, lambda t: np.maximum(np.maximum(t[0], t[1]), t[2])),
    (nn.CMinTable, 3, lambda t: np.minimum(np.minimum(t[0], t[1]), t[2])),
]
IDS = [c[0].__name__ for c in CASES]


def _build(case):
    cls, n, _ = case
    return cls(), [lg.DoubleTensor(a) for a in table(n)]


# inputs kept away from 0 (CDivTable) and distinct (max/min kinks)
test_jacobian, test_type_roundtrip, test_gpu = standard_tests(CASES, _build, bounds=lambda case: (0.5, 2.0),
                                                              ids=IDS)
test_matches_numpy = reference_test(CASES, _build, lambda case, m, x: case[2]([a.numpy() for a in x]), ids=IDS)


def test_gradients_closed_form():
    a, b, c = table(3)
    g = np.random.default_rng(1).normal(size=a.shape)
    gi = nn.CMulTable().double().backward([a, b, c], g)
    np.testing.assert_allclose(gi[1].numpy(), g * a * c)
    gi = nn.CDivTable().double().backward([a, b], g)
    np.testing.assert_allclose(gi[1].numpy(), -g * a / b ** 2)
    m = nn.CMaxTable().double()
    m.forward([a, b, c])
    gi = m.backward([a, b, c], g)
    winner = np.argmax(np.stack([a, b, c]), axis=0)
    for i in range(3):
        np.testing.assert_allclose(gi[i].numpy(), g * (winner == i))


def test_max_tie_goes_to_first():
    x = [np.ones((2,)), np.ones((2,))]
    m = nn.CMaxTable().double()
    m.forward(x)
    gi = m.backward(x, np.ones(2))
    np.testing.assert_array_equal(gi[0].numpy(), [1, 1])
    np.testing.assert_array_equal(gi[1].numpy(), [0, 0])


def test_inplace_add_writes_first_input_and_shares_grad():
    a, b = lg.DoubleTensor(table(2)[0]), lg.DoubleTensor(table(2)[1])
    expected = a.numpy() + b.numpy()
    m = nn.CAddTable(True).double()
    out = m.forward([a, b])
    np.testing.assert_allclose(a.numpy(), expected)
    assert out.storage() is a.storage()
    g = lg.DoubleTensor(2, 3).fill(1)
    gi = m.backward([a, b], g)
    assert gi[0].storage() is g.storage() and gi[1].storage() is g.storage()


def test_output_buffer_and_grad_tensors_reused():
    m = nn.CAddTable().double()
    x = table(2)
    out = m.forward(x)
    gi = m.backward(x, np.ones((2, 3)))
    first = [t for t in gi]
    assert m.forward(table(2, seed=3)) is out
    gi2 = m.backward(x, np.ones((2, 3)))
    assert all(a is b for a, b in zip(first, gi2))
    # a shorter table drops the extra gradient
    m.forward(x[:1])
    assert len(m.backward(x[:1], np.ones((2, 3)))) == 1


def test_bad_tables_name_the_module():
    with pytest.raises(ValueError, match=r"CSubTable: expected an input table of 2 entries, got 3"):
        nn.CSubTable().forward(table(3))
    with pytest.raises(TypeError, match=r"CAddTable: expected a table"):
        nn.CAddTable().forward(np.ones(3))
    with pytest.raises(ValueError, match=r"input\[1\] of size \(2, 3\).*got \(3, 2\)"):
        nn.CMulTable().forward([np.ones((2, 3)), np.ones((3, 2))])
    seq = nn.Sequential().add(nn.CAddTable())
    with pytest.raises(ValueError, match=r"Sequential\[0\] CAddTable: expected gradOutput of size \(2, 3\)"):
        x = table(2)
        seq.forward(x)
        seq.backward(x, np.ones((3, 3)))
