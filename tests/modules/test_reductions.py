"""Sum, Mean, Max, Min, Normalize, MM, MV."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import named_case_tests

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


def pnorm_rows(x, p, eps=1e-10):
    x2 = np.atleast_2d(x)
    n = np.abs(x2).max(1, keepdims=True) + eps if math.isinf(p) else \
        ((np.abs(x2) ** p).sum(1, keepdims=True) + eps) ** (1 / p)
    return (x2 / n).reshape(x.shape)


CASES = [
    ('Sum', lambda: nn.Sum(1), lambda: r(2, 3, 2), lambda x: x.sum(1)),
    ('Sum-1d', lambda: nn.Sum(), lambda: r(4), lambda x: x.sum(0, keepdims=True)),
    ('Sum-batch', lambda: nn.Sum(0, 1), lambda: r(2, 3), lambda x: x.sum(1)),
    ('Sum-neg-avg-keep', lambda: nn.Sum(-1, None, True, False), lambda: r(2, 3), lambda x: x.mean(-1, keepdims=True)),
    ('Mean', lambda: nn.Mean(0), lambda: r(3, 2), lambda x: x.mean(0)),
    ('Mean-batch', lambda: nn.Mean(0, 1), lambda: r(3, 2), lambda x: x.mean(1)),
    ('Max', lambda: nn.Max(1), lambda: r(2, 4), lambda x: x.max(1)),
    ('Max-1d', lambda: nn.Max(0), lambda: r(4), lambda x: x.max(0, keepdims=True)),
    ('Max-batch', lambda: nn.Max(0, 2), lambda: r(2, 3, 2), lambda x: x.max(1)),
    ('Min', lambda: nn.Min(-1), lambda: r(2, 3, 2), lambda x: x.min(-1)),
    ('Normalize-2', lambda: nn.Normalize(2), lambda: r(3, 4), lambda x: pnorm_rows(x, 2)),
    ('Normalize-1', lambda: nn.Normalize(1), lambda: r(4), lambda x: pnorm_rows(x, 1)),
    ('Normalize-3', lambda: nn.Normalize(3), lambda: r(2, 4), lambda x: pnorm_rows(x, 3)),
    ('Normalize-1.5', lambda: nn.Normalize(1.5), lambda: r(2, 4), lambda x: pnorm_rows(x, 1.5)),
    ('Normalize-inf', lambda: nn.Normalize(math.inf), lambda: r(2, 4), lambda x: pnorm_rows(x, math.inf)),
    ('Normalize-0.5', lambda: nn.Normalize(0.5), lambda: r(2, 4), lambda x: pnorm_rows(x, 0.5)),
    ('MM', lambda: nn.MM(), lambda: [r(2, 3), r(3, 4)], lambda x: x[0] @ x[1]),
    ('MM-transA', lambda: nn.MM(True), lambda: [r(3, 2), r(3, 4)], lambda x: x[0].T @ x[1]),
    ('MM-batch-transB', lambda: nn.MM(False, True), lambda: [r(2, 2, 3), r(2, 4, 3)],
     lambda x: x[0] @ x[1].swapaxes(1, 2)),
    ('MM-batch-both', lambda: nn.MM(True, True), lambda: [r(2, 3, 2), r(2, 4, 3)],
     lambda x: x[0].swapaxes(1, 2) @ x[1].swapaxes(1, 2)),
    ('MV', lambda: nn.MV(), lambda: [r(2, 3), r(3)], lambda x: x[0] @ x[1]),
    ('MV-trans', lambda: nn.MV(True), lambda: [r(3, 2), r(3)], lambda x: x[0].T @ x[1]),
    ('MV-batch', lambda: nn.MV(), lambda: [r(2, 2, 3), r(2, 3)], lambda x: np.einsum('bij,bj->bi', *x)),
    ('MV-batch-trans', lambda: nn.MV(True), lambda: [r(2, 3, 2), r(2, 3)], lambda x: np.einsum('bji,bj->bi', *x)),
]
test_jacobian, test_type_roundtrip, test_gpu, test_matches_numpy = named_case_tests(CASES, rtol=1e-10)


def test_max_gradient_goes_to_argmax_and_indices_are_long():
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    m = nn.Max(1).double()
    np.testing.assert_array_equal(m.forward(x).numpy(), [5, 7])
    assert m._indices.type() == 'legonn.LongTensor'
    np.testing.assert_array_equal(m._indices.numpy(), [1, 0])
    np.testing.assert_array_equal(m.backward(x, np.array([2.0, 3.0])).numpy(), [[0, 2, 0], [3, 0, 0]])


def test_normalize_below_one_keeps_a_zero_input_finite():
    """Normalize.lua takes (|x| + eps)^(p-2) x for p < 1, where |x|^(p-1) sign(x) is NaN at an exact 0."""
    m = nn.Normalize(0.5).double()
    x = lg.DoubleTensor([1.0, 0.0, -2.0])
    m.forward(x)
    gi = m.backward(x, lg.DoubleTensor([1.0, 1.0, 1.0])).numpy()
    np.testing.assert_allclose(gi, [0.2426, 0.1716, 0.1213], atol=1e-4)



def normalize_lua_gradient(x, go, p, eps):
    """Normalize.lua's updateGradInput for a (n, d) input, step by step: (normp * go - buffer * sum(x * go)) /
    (normp * norm), buffer = (|x| + eps)^(p-2) x for p < 2 (|x|^(p-2) x above), and for p = inf norm * go less
    x[k] / norm * sum(x * go) at the first maximum k of |x|, over norm^2."""
    dot = (x * go).sum(1, keepdims=True)
    if math.isinf(p):
        norm = np.abs(x).max(1, keepdims=True) + eps
        buffer = np.zeros_like(x)
        rows = np.arange(x.shape[0])
        k = np.abs(x).argmax(1)
        buffer[rows, k] = x[rows, k] / norm[:, 0]
        return (norm * go - buffer * dot) / (norm * norm)
    normp = (np.abs(x) ** p).sum(1, keepdims=True) + eps
    norm = normp ** (1 / p)
    buffer = (np.abs(x) + eps) ** (p - 2) * x if p < 2 else np.abs(x) ** (p - 2) * x
    return (normp * go - buffer * dot) / (normp * norm)


@pytest.mark.parametrize('p', [1, 1.5, math.inf, 0.5, 3])
def test_normalize_gradient_is_normalize_lua_s(p):
    """With a large eps the gradient shows which formula runs: Normalize.lua takes (|x| + eps)^(p-2) x for every
    p < 2 (not only p < 1) and, for p = inf, x[k] / norm at the maximum (not sign(x[k]))."""
    rng = np.random.default_rng(3)
    x, go = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    m = nn.Normalize(p, 0.3).double()
    m.forward(x)
    np.testing.assert_allclose(m.backward(x, go).numpy(), normalize_lua_gradient(x, go, p, 0.3), rtol=1e-12)


@pytest.mark.parametrize('p', [2, math.inf])
def test_normalize_refuses_a_gradoutput_of_another_type(p):
    # a FloatTensor gradOutput for a DoubleTensor input was taken (and a CUDA one for a CPU input failed inside CuPy)
    m = nn.Normalize(p)
    x = lg.DoubleTensor(r(2, 3))
    m.forward(x)
    with pytest.raises(TypeError, match=r"Normalize\(.*\): expected a legonn.DoubleTensor gradOutput "
                                        r"\(the output's type\), got legonn.FloatTensor"):
        m.backward(x, lg.FloatTensor(r(2, 3)))


def test_sum_gradient_broadcasts():
    m = nn.Sum(0, None, True).double()
    m.forward(r(4, 2))
    np.testing.assert_allclose(m.backward(r(4, 2), np.array([4.0, 8.0])).numpy(), [[1, 2]] * 4)


def test_errors():
    with pytest.raises(ValueError, match=r"Sum\(2\): expected an input with dimension 2 \(nInputDims=None\), "
                                         r"got a 2-D input"):
        nn.Sum(2).forward(r(2, 3))
    with pytest.raises(ValueError, match=r"MM: expected matrices whose sizes multiply"):
        nn.MM().forward([r(2, 3), r(2, 3)])
    with pytest.raises(ValueError, match=r"MV: expected a 2-D matrix and 1-D vector"):
        nn.MV().forward([r(2, 3), r(2, 3)])
    with pytest.raises(ValueError, match=r"Max\(1\): expected gradOutput of size \(2,\), got \(3,\)"):
        m = nn.Max(1)
        m.forward(r(2, 3))
        m.backward(r(2, 3), r(3))
    with pytest.raises(ValueError):
        nn.Normalize(0)
    with pytest.raises(ValueError):
        nn.Sum(0, None, False, 'yes')


def th_sum_along(a, dim):
    """THTensor_(sum) (THTensorMath.c) of a float32 array along ``dim``: along a dimension of stride 1 an accreal
    (double) running sum rounded once; along another, the slices added in order, in float32."""
    if a.strides[dim] == a.itemsize:
        moved = np.moveaxis(a, dim, -1).astype(np.float64)
        total = np.zeros(moved.shape[:-1])
        for i in range(moved.shape[-1]):
            total += moved[..., i]
        return total.astype(np.float32)
    total = np.zeros(np.delete(a.shape, dim), dtype=np.float32)
    for i in range(a.shape[dim]):
        total += np.take(a, i, axis=dim)
    return total


@pytest.mark.parametrize('tensor', ['legonn.FloatTensor', pytest.param('legonn.CudaTensor', marks=pytest.mark.gpu)])
@pytest.mark.parametrize('module', [lambda: nn.Sum(1), lambda: nn.Mean(1), lambda: nn.Sum(0)])
def test_float_sums_accumulate_as_th_does(module, tensor):
    """nn.Sum/Mean call THTensor_(sum): a FloatTensor's rows (stride 1) are summed in double and rounded once, so
    their sums are Torch7's floats; NumPy's float32 pairwise sum missed most of these 16 by an ulp. Along
    dimension 0 (stride 8192) TH adds the rows in float32 in order, as NumPy does; Mean divides the rounded sum
    in float32."""
    rows = np.random.RandomState(0).randn(16, 8192).astype(np.float32)
    m = module().type(tensor)
    x = lg.from_numpy(rows).type(tensor)
    got = m.forward(x).float().numpy()
    d = m.dimension
    expected = th_sum_along(rows, d)
    if m.sizeAverage:
        expected = expected / np.float32(rows.shape[d])
    np.testing.assert_array_equal(got, expected)
    assert d == 0 or (np.add.reduce(rows, axis=1) != th_sum_along(rows, 1)).any()   # the float32 sum differs


@pytest.mark.parametrize('tensor', ['legonn.FloatTensor', pytest.param('legonn.CudaTensor', marks=pytest.mark.gpu)])
def test_float_sums_of_rows_longer_than_numpy_s_buffer_are_rounded_once(tensor):
    """Rows of 20000 floats, longer than NumPy's 8192-element cast buffer, still give THTensor_(sum)'s bits:
    the double sum is rounded to float32 once. Reducing into the float32 output directly
    (``np.add.reduce(x, 1, dtype=np.float64, out=out32)``) rounds the running sum at each buffer on NumPy 2.4
    (not on 2.0) and misses TH's float for some of these rows."""
    rows = np.random.RandomState(0).randn(6, 20000).astype(np.float32)
    got = nn.Sum(1).type(tensor).forward(lg.from_numpy(rows).type(tensor)).float().numpy()
    np.testing.assert_array_equal(got, th_sum_along(rows, 1))


def test_float_sum_needs_no_copy_of_the_input():
    """The double accumulation reduces the float32 input in NumPy's buffered chunks: Sum's forward on 10^6
    values allocates about its output, never a float64 copy of the input (8 MB)."""
    import tracemalloc
    m = nn.Sum(1).float()
    x = lg.FloatTensor(1, 10 ** 6).uniform(0, 1)
    m.forward(x)
    tracemalloc.start()
    m.forward(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 ** 6


@pytest.mark.parametrize('build', [lambda: nn.MM(), lambda: nn.MV()], ids=['MM', 'MV'])
def test_mm_mv_grad_input_is_two_tensors_from_construction(build):
    """MM.lua and MV.lua build ``gradInput = {torch.Tensor(), torch.Tensor()}`` in the constructor;
    facebookresearch/MIXER's make_cuda_mm converts ``mm.gradInput[1]`` and ``[2]`` right after ``nn.MM()``.
    They are empty tensors of the default type, and the first backward fills them."""
    m = build()
    assert [g.type() for g in m.gradInput] == ['torch.FloatTensor'] * 2
    assert [g.nElement() for g in m.gradInput] == [0, 0]
    a, b = (lg.randn(2, 3), lg.randn(3, 4)) if isinstance(m, nn.MM) else (lg.randn(2, 3), lg.randn(3))
    out = m.forward([a, b])
    ga, gb = m.backward([a, b], lg.randn(*out.size()))
    assert ga.size() == a.size() and gb.size() == b.size()
