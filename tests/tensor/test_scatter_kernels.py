"""scatter_add: repeated indices accumulate, views are written through, same result on the GPU."""
import numpy as np
import pytest

from legonn.tensor.backend import cupy
from legonn.tensor.scatter_kernels import index_bounds, scatter_add
from tests.checks import launch_counting


def test_repeated_indices_accumulate():
    target = np.zeros(4)
    assert scatter_add(target, np.array([1, 3, 1, 1]), np.array([1.0, 2.0, 3.0, 4.0])) is target
    np.testing.assert_array_equal(target, [0, 8, 0, 2])


def test_rows_of_a_transposed_view_and_tuple_indices():
    base = np.zeros((3, 2))
    scatter_add(base.T, np.array([0, 0]), np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]))
    np.testing.assert_array_equal(base, [[11, 0], [22, 0], [33, 0]])
    scatter_add(base, (np.array([2, 2]), np.array([1, 1])), 0.5)
    assert base[2, 1] == 1.0


@pytest.mark.gpu
def test_gpu_matches_numpy():
    cp = cupy()
    rng = np.random.default_rng(0)
    idx, values = rng.integers(0, 5, 40), rng.normal(size=(40, 3))
    want = scatter_add(np.zeros((5, 3)), idx, values)
    got = scatter_add(cp.zeros((3, 5)).T, cp.asarray(idx), cp.asarray(values))
    np.testing.assert_allclose(got.get(), want, rtol=1e-12)


def test_index_bounds_are_python_ints():
    lo, hi = index_bounds(np.array([[3, -2], [7, 0]]))
    assert (lo, hi) == (-2, 7) and type(lo) is int and type(hi) is int


@pytest.mark.gpu
def test_index_bounds_on_the_gpu():
    """One kernel for int64 arrays up to INDEX_BOUNDS_MAX elements (a column of labels, a char-LSTM chunk's 32x50
    indices: several per thread of its block), one read; CuPy's min and max for longer ones."""
    counting = launch_counting()

    from legonn.tensor import cuda_kernels
    assert index_bounds(cupy().asarray([4, 1, 9])) == (1, 9)
    rng = np.random.default_rng(0)
    labels = rng.integers(-5, 50, (cuda_kernels.INDEX_BOUNDS_MAX // 4 + 3, 4))
    column, flat = cupy().asarray(labels)[:40, 1], cupy().asarray(labels).reshape(-1)
    assert cuda_kernels.index_bounds_applies(column) and not cuda_kernels.index_bounds_applies(flat)
    assert index_bounds(column) == (labels[:40, 1].min(), labels[:40, 1].max())
    assert index_bounds(flat) == (labels.min(), labels.max())
    chunk = rng.integers(0, 65, (32, 50))
    chunk[17, 33], chunk[30, 2] = -4, 71   # the extremes far from the first element, in different threads' shares
    chunk_on_device = cupy().asarray(chunk)
    with counting() as counts:
        assert index_bounds(chunk_on_device) == (-4, 71)
    assert counts['kernel index_bounds'] == 1 and sum(counts.values()) == 2, counts   # and one read
    assert index_bounds(cupy().asarray(labels[:3].astype(np.int32))) == (labels[:3].min(), labels[:3].max())


@pytest.mark.gpu
@pytest.mark.parametrize('dtype', [np.uint8, np.int8, np.int16, np.int64, np.int32, np.float16])
def test_gpu_element_types_without_an_atomic_add_wrap_as_numpy(dtype):
    """CUDA's atomicAdd has no 8-, 16- or signed 64-bit integer form (cupyx.scatter_add refuses them); the sums
    match np.add.at's, wrapping in the narrow types (a transposed view, repeated indices, negative values), as
    cutorch's indexAdd on a CudaByteTensor or CudaLongTensor gives (its test.lua indexAdd)."""
    cp = cupy()
    info = np.iinfo(dtype) if np.dtype(dtype).kind in 'iu' else None
    big = int(info.max) - 2 if info else 60000
    base = np.array([[big, 1, 2], [3, 4, 5]], dtype=dtype)
    values = np.array([[7, 1], [-3 if info is None or info.min < 0 else 3, 2], [5, 6]], dtype=dtype)
    expected = base.copy()
    np.add.at(expected.T, np.array([0, 0, 2]), values)
    got = cp.asarray(base)
    scatter_add(got.T, cp.asarray([0, 0, 2]), cp.asarray(values))
    assert got.dtype == dtype
    np.testing.assert_array_equal(cp.asnumpy(got), expected)
