"""add_rows_product: the Numba kernel adds the same products in the same order as the gather-then-scatter it
replaces (bit for bit), on any columns of any weight layout; the gateway refuses operands that would take the
kernel outside its arrays; the GPU kernel agrees."""
import numpy as np
import pytest

from legonn.tensor.backend import cupy
from legonn.tensor.sparse_kernels import add_rows_product

ROWS = np.array([3, 0, 3, 5, 1, 3, 3], dtype=np.int64)   # a row repeated within and across samples
ENDS = np.array([3, 3, 7], dtype=np.int64)               # the middle sample has no entry


def _operands(dtype, rng):
    vals = rng.standard_normal(ROWS.size).astype(dtype)
    weight = rng.standard_normal((6, 9)).astype(dtype)
    bias = rng.standard_normal(4).astype(dtype)
    return vals, weight, np.tile(bias, (ENDS.size, 1))


def _gather_then_scatter(out, vals, weight, first):
    """What IndexLinear's forward did: every entry's product made, then added in entry order (np.add.at)."""
    samples = np.searchsorted(ENDS, np.arange(ROWS.size), side='right')
    np.add.at(out, samples, weight[ROWS, first:first + out.shape[1]] * vals[:, None])
    return out


@pytest.mark.parametrize('dtype', [np.float16, np.float32, np.float64])
@pytest.mark.parametrize('first', [0, 5])
@pytest.mark.parametrize('layout', ['C', 'F'])
def test_the_same_sums_as_gather_then_scatter(dtype, first, layout):
    vals, weight, out = _operands(dtype, np.random.default_rng(0))
    weight = np.asarray(weight, order=layout)
    want = _gather_then_scatter(out.copy(), vals, weight, first)
    assert add_rows_product(out, ENDS, ROWS, vals, weight, first) is out
    np.testing.assert_array_equal(out, want)
    assert np.abs(out).max() > 0


def test_no_samples_and_no_entries():
    out = np.zeros((0, 4))
    add_rows_product(out, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.ones((6, 4)))
    out = np.ones((2, 4))
    add_rows_product(out, np.zeros(2, np.int64), np.zeros(0, np.int64), np.zeros(0), np.ones((6, 4)))
    np.testing.assert_array_equal(out, 1)


@pytest.mark.parametrize('change,error,match', [
    (dict(ends=np.array([3, 3, 6])), ValueError, r'ends must rise from 0 to the 7 entries'),
    (dict(ends=np.array([3, 2, 7])), ValueError, r'ends must rise from 0 to the 7 entries'),
    (dict(ends=np.array([-1, 3, 7])), ValueError, r'ends must rise from 0 to the 7 entries'),
    (dict(ends=np.array([3, 7])), ValueError, r'expected ends \(3,\)'),
    (dict(rows=np.array([3, 0, 3, 5, 1, 3, 6])), ValueError, r'rows must lie in \[0, 6\), got \[0, 6\]'),
    (dict(rows=np.array([3, 0, -1, 5, 1, 3, 3])), ValueError, r'rows must lie in \[0, 6\), got \[-1, 5\]'),
    (dict(rows=ROWS.astype(np.int32)), TypeError, r'add_rows_product: rows must be int64, got int32'),
    (dict(vals=np.zeros(7, np.float32)), TypeError, r'add_rows_product: vals must be float64, got float32'),
    (dict(vals=np.zeros(6)), ValueError, r'rows and vals of one length'),
    (dict(first=6), ValueError, r'columns 6 to 10 of a matrix'),
])
def test_the_gateway_refuses_what_would_leave_the_arrays(change, error, match):
    vals, weight, out = _operands(np.float64, np.random.default_rng(1))
    args = dict(out=out, ends=ENDS, rows=ROWS, vals=vals, weight=weight, first=0)
    args.update(change)
    before = out.copy()
    with pytest.raises(error, match=match):
        add_rows_product(**args)
    np.testing.assert_array_equal(out, before)


@pytest.mark.gpu
@pytest.mark.parametrize('generic', ['0', '1'])
def test_gpu_matches_the_cpu(monkeypatch, generic):
    """The ElementwiseKernel and, with LEGONN_GENERIC_KERNELS=1, the gather-then-scatter on the device."""
    monkeypatch.setenv('LEGONN_GENERIC_KERNELS', generic)
    cp = cupy()
    vals, weight, out = _operands(np.float64, np.random.default_rng(2))
    want = add_rows_product(out.copy(), ENDS, ROWS, vals, weight, 5)
    got = add_rows_product(cp.asarray(out), cp.asarray(ENDS), cp.asarray(ROWS), cp.asarray(vals),
                           cp.asarray(weight), 5)
    np.testing.assert_allclose(got.get(), want, rtol=1e-13)


def test_strided_operands_are_read_through():
    vals, weight, out = _operands(np.float64, np.random.default_rng(3))
    want = add_rows_product(out.copy(), ENDS, ROWS, vals, weight, 0)
    strided = [np.repeat(a, 2)[::2] for a in (ENDS, ROWS, vals)]
    assert not strided[2].flags.c_contiguous
    np.testing.assert_array_equal(add_rows_product(out, *strided, weight, 0), want)


@pytest.mark.gpu
def test_gpu_reads_a_strided_weight():
    cp = cupy()
    vals, weight, out = _operands(np.float64, np.random.default_rng(4))
    want = add_rows_product(out.copy(), ENDS, ROWS, vals, weight, 2)
    strided = cp.asarray(np.asfortranarray(weight))
    got = add_rows_product(cp.asarray(out), cp.asarray(ENDS), cp.asarray(ROWS), cp.asarray(vals), strided, 2)
    np.testing.assert_allclose(got.get(), want, rtol=1e-13)
