"""CuPy's rules that legonn's GPU paths must follow, checked against whichever CuPy is present: the real one on
a device, the host simulator (tests/gpu_sim) under ``make test-gpu-sim``. On a device these tests also check
that the simulator claims nothing CuPy does not do."""
import numpy as np
import pytest

import legonn as lg

pytestmark = pytest.mark.gpu


@pytest.fixture
def cp():
    return lg.tensor.backend.cupy()


def test_no_implicit_conversion_and_no_numpy_operands(cp):
    x = cp.arange(3, dtype=cp.float32)
    with pytest.raises(TypeError):
        np.asarray(x)
    with pytest.raises(TypeError):
        x + np.ones(3, np.float32)
    with pytest.raises(TypeError):
        cp.add(x, np.ones(3, np.float32))
    assert (x + np.float32(1)).get().tolist() == [1, 2, 3]   # NumPy scalars are scalars
    assert np.exp(x).__class__ is cp.ndarray                 # a NumPy ufunc on a device array runs CuPy's


def test_assignment_takes_device_arrays_and_scalars(cp):
    x = cp.zeros(3)
    with pytest.raises(ValueError):
        x[...] = np.ones(3)            # a host array needs an explicit copy (cp.asarray)
    x[...] = cp.ones(3)
    x[1] = 5
    x[cp.asarray([0])] = np.asarray([7.0])   # advanced indexing copies host values
    assert x.get().tolist() == [7, 5, 1]


def test_indexing_and_reductions_give_0d_arrays(cp):
    x = cp.arange(4.0)
    assert isinstance(x[1], cp.ndarray) and x[1].shape == ()
    assert isinstance(x.sum(), cp.ndarray) and float(x.sum()) == 6
    with pytest.raises(TypeError):
        [10, 20, 30][cp.asarray(1)]    # no __index__: a device value is not a Python index
    assert cp.arange(3)[cp.asarray([1, 3])].get().tolist() == [1, 0]   # integer arrays wrap around


def test_views_at_an_offset_share_memory(cp):
    x = cp.arange(12, dtype=cp.float64)
    view = cp.ndarray((2, 3), cp.float64, memptr=x.data + 8 * 2, strides=(8 * 4, 8))
    view[1, 2] = -1
    assert x[2 + 4 + 2] == -1 and view[0, 0] == 2


def test_a_kernel_covers_only_its_launch_grid(cp):
    module = cp.RawModule(code='''
extern "C" __global__ void twice(const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = 2 * x[i];
}''')
    x, y = cp.arange(10, dtype=cp.float32), cp.zeros(10, dtype=cp.float32)
    module.get_function('twice')((2,), (4,), (x, y, np.int32(10)))
    assert y.get().tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 0, 0]
    add = cp.ElementwiseKernel('raw T x, int32 n', 'raw T y', 'y[i] = x[n - 1 - i] + 1', 'legonn_rules_reverse')
    add(x, 10, y, size=10)
    assert y.get().tolist() == list(range(10, 0, -1))


def test_a_capture_refuses_host_reads_and_replays_into_the_same_memory(cp):
    x = cp.ones(4, dtype=cp.float32)
    out = cp.zeros(4, dtype=cp.float32)
    cp.cuda.Device().synchronize()
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        stream.begin_capture()
        cp.multiply(x, 3, out=out)
        x += out
        graph = stream.end_capture()
    assert x.get().tolist() == [1] * 4 and out.get().tolist() == [0] * 4   # recording runs nothing
    graph.launch()
    stream.synchronize()
    assert out.get().tolist() == [3] * 4 and x.get().tolist() == [4] * 4
    graph.launch()
    stream.synchronize()
    assert out.get().tolist() == [12] * 4 and x.get().tolist() == [16] * 4
    with stream:
        stream.begin_capture()
        try:
            with pytest.raises(cp.cuda.runtime.CUDARuntimeError):
                float(x.sum())
        finally:
            with pytest.raises(cp.cuda.runtime.CUDARuntimeError):
                stream.end_capture()   # the host read invalidated the capture
    assert float(x.sum()) == 64       # and the device is usable after it


def test_the_simulator_refuses_views_beyond_their_memory(cp):
    if not getattr(cp, 'IS_HOST_SIMULATOR', False):
        pytest.skip('CuPy trusts the caller here; only the simulator checks')
    x = cp.arange(4, dtype=cp.float32)
    with pytest.raises(IndexError, match='reaches outside'):
        cp.ndarray((4,), cp.float32, memptr=x.data + 4)
