"""tests/gpu_sim's RawKernels (CuPy's user kernels run on the host) launched from several Python threads at
once, as legonn.threads workers do with a CUDA model each (multipathnet's test_runner.lua runs one tester per
GPU so): each launch must compute what it computes alone."""
import os
import threading

import numpy as np
import pytest

SOURCE = r'''
extern "C" __global__ void position(float* out, long long n) {
  long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = (float)i;
}
'''


@pytest.fixture
def sim_cupy():
    """The simulator's cupy, which tests/conftest.py puts in place with ``LEGONN_GPU_SIM=1``."""
    if os.environ.get('LEGONN_GPU_SIM') != '1':
        pytest.skip('runs with LEGONN_GPU_SIM=1 (the host simulator of CuPy)')
    import cupy
    return cupy


def test_kernels_launched_from_several_threads_at_once_compute_as_alone(sim_cupy):
    """The simulator keeps ``blockIdx``, ``blockDim`` and ``gridDim`` in variables of the compiled library and
    ctypes lets threads run its launches side by side: unserialised, one launch's blocks read another's
    indices and write the wrong elements."""
    kernel = sim_cupy.RawModule(code=SOURCE).get_function('position')
    n, block = 1 << 18, 32
    expected = np.arange(n, dtype=np.float32)
    bad = []

    def work():
        for _ in range(8):
            out = sim_cupy.zeros(n, dtype=np.float32)
            kernel(((n + block - 1) // block,), (block,), (out, np.int64(n)))
            if not np.array_equal(sim_cupy.asnumpy(out), expected):
                bad.append(1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []
