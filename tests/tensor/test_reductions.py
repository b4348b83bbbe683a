"""Reductions: numbers without a dim, kept dims with one, 0-based LongTensor indices."""
import numpy as np
import pytest

import legonn as lg


@pytest.fixture
def data():
    a = np.array([[3.0, -1.0, 4.0, 1.0], [-5.0, 9.0, 2.0, 6.0], [5.0, 3.0, -5.0, 8.0]])
    return a, lg.DoubleTensor(a.copy())


def test_whole_tensor_reductions_are_numbers(data):
    a, x = data
    assert x.sum() == a.sum() and isinstance(x.sum(), float)
    assert x.mean() == pytest.approx(a.mean())
    assert x.prod() == pytest.approx(a.prod())
    assert x.max() == 9 and x.min() == -5
    assert x.var() == pytest.approx(a.var(ddof=1)) and x.var(None, True) == pytest.approx(a.var())
    assert x.std() == pytest.approx(a.std(ddof=1))
    # Torch7's x:var(true) / x:std(true): the flag alone asks for the biased whole-tensor figure
    assert x.var(True) == pytest.approx(a.var()) and x.std(True) == pytest.approx(a.std())
    assert x.std(False) == pytest.approx(a.std(ddof=1))
    assert x.norm() == pytest.approx(np.sqrt((a ** 2).sum()))
    assert x.norm(1) == pytest.approx(np.abs(a).sum())
    assert x.norm(3) == pytest.approx((np.abs(a) ** 3).sum() ** (1 / 3))
    assert x.norm(float('inf')) == 9 and x.norm(0) == 12
    assert x.dist(lg.DoubleTensor(np.zeros((3, 4)))) == pytest.approx(x.norm())
    assert x.trace() == 3 + 9 - 5
    assert lg.LongTensor([1, 2, 3]).sum() == 6


@pytest.mark.parametrize('dim', [0, 1, -1])
def test_dim_reductions_keep_the_dimension(data, dim):
    a, x = data
    for name, ref in (('sum', np.sum), ('mean', np.mean), ('prod', np.prod)):
        r = getattr(x, name)(dim)
        assert r.size() == np.expand_dims(ref(a, axis=dim), dim).shape
        assert np.allclose(r.array, ref(a, axis=dim, keepdims=True))
    assert np.allclose(x.var(dim).array, a.var(axis=dim, ddof=1, keepdims=True))
    assert np.allclose(x.std(dim, True).array, a.std(axis=dim, keepdims=True))
    assert np.allclose(x.norm(2, dim).array, np.sqrt((a ** 2).sum(axis=dim, keepdims=True)))


def test_max_min_values_and_zero_based_indices(data):
    a, x = data
    values, idx = x.max(1)
    assert values.size() == (3, 1) and idx.size() == (3, 1)
    assert values.tolist() == [[4], [9], [8]]
    assert idx.type() == 'legonn.LongTensor' and idx.tolist() == [[2], [1], [3]]
    values, idx = x.min(0)
    assert values.tolist() == [[-5, -1, -5, 1]] and idx.tolist() == [[1, 0, 2, 0]]
    # the indices select the values back
    assert x.gather(1, x.max(1)[1]).tolist() == [[4], [9], [8]]
    with pytest.raises(ValueError, match='empty'):
        lg.Tensor().max()
    with pytest.raises(IndexError, match='dimension 2 out of range'):
        x.max(2)


def test_cumulative_median_kthvalue(data):
    a, x = data
    assert np.allclose(x.cumsum(1).array, np.cumsum(a, 1))
    assert np.allclose(x.cumprod(0).array, np.cumprod(a, 0))
    v, i = x.kthvalue(1, 1)         # second smallest (0-based k) of each row
    assert v.tolist() == [[1], [2], [3]] and i.tolist() == [[3], [2], [1]]
    v, i = x.median(1)
    assert v.tolist() == [[1], [2], [3]]
    with pytest.raises(IndexError, match='kthvalue'):
        x.kthvalue(4, 1)


def test_integer_sums_along_a_dimension_keep_the_type_as_torch7():
    """THTensor_(sum/prod/cumsum/cumprod) write a tensor of the input's type; NumPy would widen a uint8 sum to a
    uint64 that legonn has no type for (counting a mask along a dimension failed)."""
    mask = lg.DoubleTensor([[1, -2, 3], [-4, 5, -6]]).lt(0)
    rows = mask.sum(1)
    assert rows.type() == 'legonn.ByteTensor' and rows.tolist() == [[1], [2]]
    assert mask.prod(0).tolist() == [[0, 0, 0]] and mask.prod(0).type() == 'legonn.ByteTensor'
    assert mask.cumsum(1).tolist() == [[0, 1, 1], [1, 1, 2]] and mask.cumprod(1).type() == 'legonn.ByteTensor'
    assert mask.sum() == 3   # a whole-tensor sum is a number
    ints = lg.IntTensor([[1, 2], [3, 4]])
    assert ints.sum(0).type() == 'legonn.IntTensor' and ints.cumsum(0).type() == 'legonn.IntTensor'
    ones = lg.ByteTensor(1, 300).fill(1)
    assert ones.sum() == 300 and ones.sum(1).tolist() == [[300 % 256]]   # wraps as Torch7's (real) cast


def test_all_any():
    assert lg.ByteTensor([1, 1]).all() and not lg.ByteTensor([1, 0]).all()
    assert lg.ByteTensor([0, 1]).any() and not lg.ByteTensor([0, 0]).any()


@pytest.mark.parametrize('name', ['all', 'any'])
def test_all_any_refuse_an_empty_tensor_as_th(name):
    """TH's logicalall / logicalany (THTensorMath.c's TENSOR_IMPLEMENT_LOGICAL_SUM) check ``nDimension > 0``,
    "empty Tensor". legonn answered True / False (NumPy's, and cutorch's reduction start)."""
    for empty in (lg.ByteTensor(), lg.ByteTensor(0, 3)):
        with pytest.raises(ValueError, match=rf'legonn.ByteTensor.{name}: empty Tensor'):
            getattr(empty, name)()


def test_reductions_on_views(data):
    a, x = data
    assert x.t().sum(0).tolist() == [[a[i].sum() for i in range(3)]]
    assert x.narrow(1, 1, 2).max() == a[:, 1:3].max()


def test_renorm_caps_slice_norms():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 5)) * 3
    x = lg.DoubleTensor(a.copy())
    assert x.renorm(2, 0, 1.5) is x
    norms = np.linalg.norm(a, axis=1)
    for i in range(4):
        expected = a[i] * 1.5 / (norms[i] + 1e-7) if norms[i] > 1.5 else a[i]
        assert np.allclose(x.array[i], expected)
    r = lg.DoubleTensor().renorm(lg.DoubleTensor(a.copy()), 1, 1, 2.0)     # columns, L1
    cols = np.abs(a).sum(0)
    assert np.allclose(r.array, a * np.where(cols > 2.0, 2.0 / (cols + 1e-7), 1.0))
    with pytest.raises(ValueError, match='2 dimensions'):
        lg.Tensor(3).renorm(2, 0, 1)
    with pytest.raises(ValueError, match='positive'):
        x.renorm(0, 0, 1)


def test_histc():
    x = lg.Tensor([1, 2, 1, 4, 2.5, 7])
    h = x.histc(3)                   # range [1, 7]: bins [1, 3), [3, 5), [5, 7]
    assert h.type() == 'legonn.FloatTensor' and h.tolist() == [4, 1, 1]
    assert lg.histc(x, 2, 0, 2).tolist() == [0, 3]       # values outside [0, 2] are ignored
    assert lg.Tensor([5, 5]).histc(2).tolist() == [0, 2]   # constant data: range [4, 6]
    assert lg.rand(100).histc().size() == (100,)
    with pytest.raises(ValueError, match='nbins'):
        x.histc(0)


def test_mode_is_the_smallest_most_frequent_value_at_its_last_position():
    """THTensor_(mode): walks the sorted slice, keeping the first value whose run is strictly longest."""
    x = lg.DoubleTensor([[3, 1, 3, 2, 1], [5, 5, 4, 4, 9], [7, 7, 7, 1, 1]])
    values, indices = x.mode()
    assert values.tolist() == [[1], [4], [7]] and indices.tolist() == [[4], [3], [2]]
    assert indices.type() == 'legonn.LongTensor'
    values, indices = lg.mode(x, 0)
    assert values.tolist() == [[3, 1, 3, 1, 1]] and indices.tolist() == [[0, 0, 0, 2, 2]]
    assert x.gather(0, indices).tolist() == values.tolist()


def test_result_form_writes_the_reduction_into_the_result(data):
    """torch7 TensorMath.lua ([res] torch.sum([res,] x, dim), likewise prod, mean, cumsum, cumprod): r:sum(x, d)
    resizes r to the reduction of x along d and fills it, returning r; torch-rnn's LSTM.lua sums its gate
    gradients so, into a (1, 4H) buffer: self.buffer3:resize(1, 4 * H):sum(grad_a, 1)."""
    a, x = data
    r = lg.DoubleTensor()
    assert r.sum(x, 0) is r and np.array_equal(r.numpy(), a.sum(0, keepdims=True))
    assert np.allclose(r.mean(x, 1).numpy(), a.mean(1, keepdims=True)) and r.size() == (3, 1)
    assert np.array_equal(r.prod(x, 0).numpy(), a.prod(0, keepdims=True))
    assert np.array_equal(r.cumsum(x, 1).numpy(), a.cumsum(1)) and np.array_equal(r.cumprod(x, 0).numpy(),
                                                                                   a.cumprod(0))
    # into a view of a bigger buffer: the buffer's own memory takes the sums
    buffer = lg.DoubleTensor(2, 4).zero()
    buffer.select(0, 1).resize(4).sum(x.t(), 1)
    assert np.array_equal(buffer.numpy()[1], a.sum(0)) and np.all(buffer.numpy()[0] == 0)
    assert np.array_equal(lg.sum(lg.DoubleTensor(), x, 1).numpy(), a.sum(1, keepdims=True))
    with pytest.raises(TypeError, match='one type'):
        lg.FloatTensor().sum(x, 0)


def test_an_indices_result_of_another_type_is_refused_naming_the_type_computed():
    """harvardnlp/BSO's margin_beam_searcher.lua hands topk `torch.LongTensor():cuda()` (a CudaTensor) for its
    indices, which cutorch's topk refuses (its indices are CudaLongTensors): the error names the type topk
    computes for that result, not a sentence about x."""
    values, indices = lg.FloatTensor(), lg.FloatTensor()
    with pytest.raises(TypeError, match=r'a legonn.FloatTensor result given where legonn.topk computes a '
                                        r'legonn.LongTensor'):
        lg.topk(values, indices, lg.FloatTensor([3, 1, 2]), 2, 0, True)
    assert lg.topk(values, lg.LongTensor(), lg.FloatTensor([3, 1, 2]), 2, 0, True)[0].tolist() == [3, 2]


def _float_reductions_accumulate_in_double(make):
    x = make([1e8, 1, -1e8])
    assert x.sum() == 1 and x.mean() == pytest.approx(1 / 3, rel=1e-15)
    assert x.var() == pytest.approx(((1e8 - 1 / 3) ** 2 + (2 / 3) ** 2 + (1e8 + 1 / 3) ** 2) / 2, rel=1e-15)
    rows = make([[1e8, 1, -1e8], [3, 4, 5]])
    s = rows.sum(1)
    assert s.type() == rows.type() and s.tolist() == [[1], [12]]
    assert rows.mean(1).tolist()[0][0] == np.float32(1 / 3)
    big = np.random.RandomState(0).randn(100003).astype(np.float32) * 3
    g = make(big.tolist())
    assert g.norm() == np.sqrt(np.sum(big.astype(np.float64) ** 2))
    assert g.norm(1) == pytest.approx(np.abs(big.astype(np.float64)).sum(), rel=1e-14)
    assert g.sum() == pytest.approx(big.astype(np.float64).sum(), rel=1e-14, abs=1e-9)
    assert rows.norm(2, 1).type() == rows.type()


def test_float_reductions_accumulate_in_double_whole_and_along_rows():
    """torch7 lib/TH/generic/THTensorMath.c: sumall, meanall, varall, normall (and sum/mean/norm along a
    dimension) accumulate a FloatTensor in accreal, a double, so a gradient's norm() or a loss vector's mean()
    is computed in double; along a dimension the result is rounded to float once."""
    _float_reductions_accumulate_in_double(lg.FloatTensor)


@pytest.mark.gpu
def test_float_reductions_accumulate_in_double_gpu():
    _float_reductions_accumulate_in_double(lambda values: lg.FloatTensor(values).cuda())


def test_float_reductions_accumulate_in_double_as_torch7():
    """torch7/lib/TH/generic/THTensorMath.c: sumall/meanall/prodall return the accreal (double) sum; sum/prod
    along a stride-1 dimension sum in accreal and round, along another add slices in the tensor's type;
    cumsum/cumprod round each double partial result; var/std along a dimension use the double sums of z and
    z*z; norm sums |x|**p in double; dist sums in the tensor's type."""
    rng = np.random.RandomState(0)
    a = rng.uniform(size=(100, 1000)).astype(np.float32)
    x = lg.FloatTensor(a)
    wide = a.astype(np.float64)
    sequential = np.cumsum(wide.ravel())[-1]          # Torch7's order; NumPy's pairwise double sum is as good
    assert x.sum() == pytest.approx(sequential, rel=1e-13) and x.mean() == pytest.approx(sequential / a.size,
                                                                                           rel=1e-13)
    assert abs(x.sum() - sequential) < abs(float(np.sum(a)) - sequential) / 100    # float32 NumPy: far off
    assert np.array_equal(x.sum(1).array[:, 0], wide.sum(1).astype(np.float32))
    rows = a[0].copy()
    for r in a[1:]:
        rows = rows + r                              # along dimension 0 (stride 1000): float32 slice by slice
    assert np.array_equal(x.sum(0).array[0], rows)
    assert np.array_equal(x.mean(1).array[:, 0], wide.sum(1).astype(np.float32) / np.float32(1000))
    assert np.array_equal(x.cumsum(1).array, np.cumsum(wide, 1).astype(np.float32))
    assert np.array_equal(x.t().sum(0).array[0], wide.sum(1).astype(np.float32))   # the stride-1 dim of a view
    n = 1000
    mean = wide.sum(1) / n
    var = np.maximum((a * a).sum(1, dtype=np.float64) / (n - 1) - np.float64(np.float32(n) / np.float32(n - 1))
                     * mean * mean, 0).astype(np.float32)
    assert np.array_equal(x.var(1).array[:, 0], var) and np.array_equal(x.std(1).array[:, 0], np.sqrt(var))
    assert x.norm() == pytest.approx(np.sqrt((wide * wide).sum()), rel=1e-13)
    p3 = np.power(np.power(np.abs(a), np.float32(3)).sum(1, dtype=np.float64).astype(np.float32),
                  np.float32(1 / 3))
    assert np.array_equal(x.norm(3, 1).array[:, 0], p3)
    b = rng.uniform(size=a.shape).astype(np.float32)
    assert x.dist(lg.FloatTensor(b)) == float(np.sqrt(np.cumsum((np.abs(a - b) ** 2).ravel())[-1]))


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_dist_pairs_elements_in_order_and_never_broadcasts(data, cuda):
    """THTensor_(dist) walks both tensors with TH_TENSOR_APPLY2, which asks only for as many elements: a 3x4
    against a 12-vector or a 2x6 pairs them in row-major order ("inconsistent tensor size" otherwise). legonn
    subtracted with NumPy: the 12-vector raised 'could not be broadcast', and a 1x4 broadcast silently."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = (lambda t: t.cudaDouble()) if cuda else (lambda t: t)
    a, x = data
    b = np.arange(12.0)[::-1].copy()
    x, flat = move(x), move(lg.DoubleTensor(b))
    want = float(np.sqrt(((a.ravel() - b) ** 2).sum()))
    assert x.dist(flat) == pytest.approx(want, rel=1e-15)
    assert lg.dist(x, flat.view(2, 6)) == pytest.approx(want, rel=1e-15)
    assert x.dist(flat, 1) == pytest.approx(float(np.abs(a.ravel() - b).sum()), rel=1e-15)
    for other in (x.narrow(0, 0, 1), move(lg.DoubleTensor(4))):
        with pytest.raises(ValueError, match=r'dist: expected an operand of 12 elements'):
            x.dist(other)


def test_bhistc_counts_each_row_over_one_range():
    """torch7/lib/TH/generic/THTensorMath.c THTensor_(bhistc) (doc/maths.md's example): per-row histograms of
    a matrix over [min, max], or over the whole matrix's range when min == max."""
    x = lg.DoubleTensor([[2, 4, 2, 2, 5, 4], [3, 5, 1, 5, 3, 5], [3, 4, 2, 5, 5, 1]])
    assert lg.bhistc(x, 5, 1, 5).tolist() == [[0, 3, 0, 2, 1], [1, 0, 2, 0, 3], [1, 1, 1, 1, 2]]
    assert x.bhistc(2).tolist() == [[3, 3], [1, 5], [2, 4]]
    r = lg.DoubleTensor()
    assert lg.bhistc(r, x, 5, 1, 5) is r and r.size() == (3, 5)
    assert x[0].histc(5, 1, 5).tolist() == [0, 3, 0, 2, 1]
    with pytest.raises(ValueError):
        x[0].bhistc(5)



def test_std_and_var_of_one_element_are_nan_without_a_warning():
    """THTensor_(varall) (torch7 lib/TH/generic/THTensorMath.c:3184) divides by nElement - 1 in C: one element gives
    0/0, NaN, silently (cnn-benchmarks' cnn_benchmark.lua prints the std of one timed pass so); the biased
    figure is 0."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for t in (lg.DoubleTensor([3.0]), lg.FloatTensor([3.0])):
            assert np.isnan(t.std()) and np.isnan(t.var())
            assert t.std(True) == 0 and t.var(True) == 0

def test_method_result_forms():
    """torch7/TensorMath.lua (cwrap gives a method its function's arguments): r:sum(x, 2) as nn/Sum.lua's
    self.output:sum(input, dim), values:max(indices, x, 2), r:gather(src, dim, index), r:nonzero(x),
    values:sort(indices, x, dim, true) write into the tensor the method is called on."""
    x = lg.DoubleTensor([[3, 1, 2], [6, 5, 4]])
    r = lg.DoubleTensor()
    assert r.sum(x, 1) is r and r.tolist() == [[6], [15]] and x.sum(1).tolist() == [[6], [15]]
    assert r.cumsum(x, 1).tolist() == [[3, 4, 6], [6, 11, 15]] and r.mean(x, 0).tolist() == [[4.5, 3, 3]]
    v, i = lg.DoubleTensor(), lg.LongTensor()
    assert v.max(i, x, 1) == (v, i) and v.tolist() == [[3], [6]] and i.tolist() == [[0], [0]]
    v.sort(i, x, 1, True)
    assert v.tolist() == [[3, 2, 1], [6, 5, 4]] and i.tolist() == [[0, 2, 1], [0, 1, 2]]
    assert r.gather(x, 1, lg.LongTensor([[0], [2]])).tolist() == [[3], [4]]
    assert r.index(x, 0, lg.LongTensor([1])).tolist() == [[6, 5, 4]]
    n = lg.LongTensor()
    assert n.nonzero(lg.DoubleTensor([0, 1, 0, 2])) is n and n.tolist() == [[1], [3]]
    assert x.max() == 6 and x.sum() == 21 and x.nonzero().size() == (6, 2)   # the plain forms are unchanged


def test_values_only_result_form_of_the_two_result_reductions():
    """torch7/TensorMath.lua:632-642 (and sort, topk, kthvalue, mode, median at 701-742): the values and the
    indices result tensors are both ``default=true``, so cwrap takes ``values:min(x, 2)`` with the indices
    defaulted (a fresh LongTensor, returned too). harvardnlp/lie-access-memory's InvNormalize.lua writes its row
    minima so: ``self.row_min_raw:resize(input:size(1), 1):min(input, 2)``."""
    x = lg.DoubleTensor([[3, 1, 2], [6, 5, 4]])
    v = lg.DoubleTensor()
    values, indices = v.resize(2, 1).min(x, 1)
    assert values is v and v.tolist() == [[1], [4]] and indices.tolist() == [[1], [2]]
    assert indices.type() == 'legonn.LongTensor'
    values, indices = lg.max(v, x, 0)
    assert values is v and v.tolist() == [[6, 5, 4]] and indices.tolist() == [[1, 1, 1]]
    v.sort(x, 1, True)
    assert v.tolist() == [[3, 2, 1], [6, 5, 4]]
    v.median(x, 1)
    assert v.tolist() == [[2], [5]]
    with pytest.raises(TypeError, match='one type'):
        lg.FloatTensor().min(x, 1)
