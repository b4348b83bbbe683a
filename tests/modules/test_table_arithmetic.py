"""CAddTable, CSubTable, CMulTable, CDivTable, CMaxTable, CMinTable."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, reference_test, standard_tests


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


@pytest.mark.parametrize('cls', [nn.CAddTable, nn.CMulTable], ids=['CAddTable', 'CMulTable'])
def test_grad_buffers_that_no_longer_fit_are_remade(cls):
    """The gradInput buffers are reused as they are only while each has its input's type and size: a batch of
    another size resizes them, a buffer of another type put in their place is replaced, and the gradients
    are those of the fresh module either way."""
    m = cls().double()
    small, big = table(2), table(2, shape=(4, 3), seed=1)
    m.forward(small)
    m.backward(small, np.ones((2, 3)))
    m.forward(big)
    gi = m.backward(big, np.full((4, 3), 2.0))
    fresh = cls().double()
    fresh.forward(big)
    expected = fresh.backward(big, np.full((4, 3), 2.0))
    assert [tuple(g.size()) for g in gi] == [(4, 3), (4, 3)]
    for got, want in zip(gi, expected):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    m.gradInput[1] = lg.FloatTensor(4, 3)
    gi = m.backward(big, np.full((4, 3), 2.0))
    assert [g.type() for g in gi] == ['legonn.DoubleTensor'] * 2
    np.testing.assert_array_equal(gi[1].numpy(), expected[1].numpy())


def test_bad_tables_name_the_module():
    with pytest.raises(ValueError, match=r"CSubTable: expected an input table of 2 entries, got 3"):
        nn.CSubTable().forward(table(3))
    with pytest.raises(TypeError, match=r"CAddTable: expected a table"):
        nn.CAddTable().forward(np.ones(3))
    # unequal element counts: TH's cmul raises "inconsistent tensor size" (equal counts pair, see below)
    with pytest.raises(ValueError,
                       match=r"input\[1\] of 6 elements \(like input\[0\], of size \(2, 3\)\).*got size \(4, 2\)"):
        nn.CMulTable().forward([np.ones((2, 3)), np.ones((4, 2))])
    seq = nn.Sequential().add(nn.CAddTable())
    with pytest.raises(ValueError, match=r"Sequential\[0\] CAddTable: expected gradOutput of 6 elements"):
        x = table(2)
        seq.forward(x)
        seq.backward(x, np.ones((3, 3)))


def _same_shape_reference(cls, xs, go):
    """The module's output and gradInput on the inputs and gradOutput viewed with input[0]'s sizes."""
    shape = xs[0].shape
    m = cls()
    out = m.forward([lg.DoubleTensor(x.reshape(shape)) for x in xs]).numpy().copy()
    grads = m.backward([lg.DoubleTensor(x.reshape(shape)) for x in xs], lg.DoubleTensor(go.reshape(shape)))
    return out, [g.numpy().reshape(x.shape) for g, x in zip(grads, xs)]


@pytest.mark.parametrize('case', CASES, ids=IDS)
@pytest.mark.parametrize('sizes', [((1, 3), (3,)), ((3, 1), (1, 3)), ((2, 3), (3, 2))], ids=str)
def test_equal_count_inputs_pair_in_order(case, sizes):
    """torch/nn's C*Table.lua compute with TH's add/cmul/cdiv/gt+maskedCopy, which need only equal nElement
    (TH_TENSOR_APPLY2/3 in torch7's lib/TH/generic/THTensorMath.c) and pair elements in order; the output is
    ``output:resizeAs(input[1])`` and each gradient ``gradInput[i]:resizeAs(input[i])``, filled by ``copy`` of
    a gradOutput of equal count. No broadcasting: (3,1) with (1,3) gives a (3,1) output, not (3,3)."""
    cls, n, _ = case
    rng = np.random.default_rng(4)
    shapes = [sizes[i % 2] for i in range(n)]
    xs = [rng.uniform(0.5, 2.0, s) * rng.choice([-1, 1], s) for s in shapes]
    go = rng.normal(size=sizes[1])   # of the second input's sizes, as many elements as the output
    want_out, want_grads = _same_shape_reference(cls, xs, go)
    m = cls()
    out = m.forward([lg.DoubleTensor(x) for x in xs])
    assert tuple(out.size()) == sizes[0]
    np.testing.assert_array_equal(out.numpy(), want_out)
    grads = m.backward([lg.DoubleTensor(x) for x in xs], lg.DoubleTensor(go))
    assert [tuple(g.size()) for g in grads] == shapes
    for g, want in zip(grads, want_grads):
        np.testing.assert_array_equal(g.numpy(), want)


def test_readme_snippet_step_sizes():
    """The case of rnn's README Recurrence snippet: a (1, 3) and a (3,) tensor added (torch/nn CAddTable.lua:
    ``output:resizeAs(input[1]):copy(input[1])``, then ``add``, which needs only equal nElement)."""
    out = nn.CAddTable().forward([lg.ones(1, 3), lg.ones(3)])
    assert tuple(out.size()) == (1, 3)
    assert out.numpy().tolist() == [[2, 2, 2]]


def test_inplace_add_of_equal_count_inputs():
    """CAddTable(true) (torch/nn CAddTable.lua): ``output:set(input[1])`` then ``add`` of each other input in
    element order; each gradient ``set(gradOutput)``, sharing it whatever the input's sizes."""
    a, b = lg.DoubleTensor([[1.0, 2.0, 3.0]]), lg.DoubleTensor([10.0, 20.0, 30.0])
    m = nn.CAddTable(True)
    out = m.forward([a, b])
    assert out.isSetTo(a) and a.numpy().tolist() == [[11, 22, 33]]
    go = lg.DoubleTensor([[1.0, 1.0, 1.0]])
    assert all(g.isSetTo(go) for g in m.backward([a, b], go))


@pytest.mark.parametrize('cls', [c[0] for c in CASES], ids=IDS)
def test_unequal_counts_never_broadcast(cls):
    """TH's element-wise ops raise on unequal nElement (THTensorApply.h "inconsistent tensor size") where NumPy
    would broadcast: (2, 3) with (3,), and (2, 1) with (2, 3)."""
    for a, b in (((2, 3), (3,)), ((2, 1), (2, 3))):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: expected input\[1\] of \d+ elements"):
            cls().forward([lg.ones(*a).double(), lg.ones(*b).double()])


@pytest.mark.gpu
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gpu_equal_count_inputs(case):
    """The pairing of equal-count inputs of other sizes on CuPy arrays too (cunn's THC pointwise ops, like TH's,
    check only nElement): output and gradInput of the CPU module's, gradOutput of the second input's sizes."""
    cls, n, _ = case
    rng = np.random.default_rng(5)
    shapes = [((1, 3), (3,))[i % 2] for i in range(n)]
    xs = [lg.DoubleTensor(rng.uniform(0.5, 2.0, s)) for s in shapes]
    assert_gpu_matches_cpu(cls(), xs, lg.DoubleTensor(rng.normal(size=3)))
