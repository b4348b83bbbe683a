"""What docs/internals.md promises about CPU results and the thread count (setnumthreads): legonn's own
kernels split work into parts that never share a sum, so poolings, activations and the column copies give
bitwise the same numbers with 1 and 3 threads; products go through OpenBLAS, whose threaded GEMM may
round differently, so Linear and the convolutions agree to float32 rounding, not bitwise."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor import parallel

BITWISE = {
    'SpatialMaxPooling': (lambda: nn.SpatialMaxPooling(3, 3, 2, 2), (4, 6, 11, 11)),
    'SpatialAveragePooling': (lambda: nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1), (4, 6, 11, 11)),
    'VolumetricMaxPooling': (lambda: nn.VolumetricMaxPooling(2, 2, 2), (2, 3, 6, 6, 6)),
    'ReLU': (nn.ReLU, (16, 40)),
    'HardTanh': (nn.HardTanh, (16, 40)),
    'Threshold': (lambda: nn.Threshold(0.1, 0), (16, 40)),
}
ROUNDING = {
    'Linear': (lambda: nn.Linear(40, 30), (16, 40)),
    'SpatialConvolution': (lambda: nn.SpatialConvolution(6, 8, 3, 3, 1, 1, 1), (4, 6, 11, 11)),
    'SpatialFullConvolution': (lambda: nn.SpatialFullConvolution(6, 4, 3, 3, 2, 2), (4, 6, 7, 7)),
    'VolumetricConvolution': (lambda: nn.VolumetricConvolution(3, 4, 2, 2, 2), (2, 3, 6, 6, 6)),
    'TemporalConvolution': (lambda: nn.TemporalConvolution(8, 6, 3), (4, 20, 8)),
}


@pytest.fixture
def threads(monkeypatch):
    """Parts of at least 8 elements (so the small test arrays split); setnumthreads restored afterwards."""
    before = parallel.getnumthreads()
    monkeypatch.setattr(parallel, 'MIN_PART', 8)
    yield
    parallel.setnumthreads(before)


def results(make, size, n_threads):
    parallel.setnumthreads(n_threads)
    lg.manualSeed(4)
    m = make()
    x = lg.FloatTensor(*size).uniform(-1, 1)
    out = m.forward(x).clone()
    grad_in = m.backward(x, out.clone().uniform(-1, 1)).clone()
    return [out.numpy(), grad_in.numpy()] + [g.numpy().copy() for g in m.parameters()[1]]


@pytest.mark.parametrize('name', sorted(BITWISE))
def test_own_kernels_are_bitwise_independent_of_the_thread_count(threads, name):
    for one, three in zip(results(*BITWISE[name], 1), results(*BITWISE[name], 3)):
        np.testing.assert_array_equal(one, three)


@pytest.mark.parametrize('name', sorted(ROUNDING))
def test_blas_products_agree_to_rounding_across_thread_counts(threads, name):
    for one, three in zip(results(*ROUNDING[name], 1), results(*ROUNDING[name], 3)):
        np.testing.assert_allclose(one, three, rtol=1e-5, atol=1e-6 * np.abs(one).max())
