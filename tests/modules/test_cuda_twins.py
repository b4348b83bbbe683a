"""The CUDA twins of element-wise modules (Elementwise.cuda_forward/cuda_backward): one kernel each way.

Every twin is declared in cuda_kernels.ELEMENTWISE, whose sources tests/test_gpu_kernel_sources.py compiles
with nvcc. On a GPU (or the CuPy simulator): the twins run instead of the array code, give what it gives (NaN
and in place included), and LEGONN_GENERIC_KERNELS=1 turns them off."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules.base.elementwise import Elementwise
from legonn.tensor import cuda_kernels
from tests.checks import on_gpu


def twinned_classes():
    found, todo = [], [Elementwise]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__dict__.get('cuda_forward') or cls.__dict__.get('cuda_backward'):
            found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


def test_the_twinned_modules_are_those_of_the_workloads_and_nnx_minus():
    assert [c.__name__ for c in twinned_classes()] == ['Minus', 'Sigmoid', 'Tanh', 'Threshold']
    for name in ('Sigmoid_forward', 'Sigmoid_backward', 'ReLU_forward', 'Threshold_backward', 'Minus_forward'):
        assert name in cuda_kernels.ELEMENTWISE


CASES = [pytest.param(nn.Sigmoid, id='Sigmoid'), pytest.param(nn.Tanh, id='Tanh'),
         pytest.param(nn.ReLU, id='ReLU'), pytest.param(lambda: nn.Threshold(0.1, -2), id='Threshold'),
         pytest.param(lambda: nn.ReLU(True), id='ReLU-inplace'), pytest.param(nn.Minus, id='Minus')]


@pytest.mark.gpu
@pytest.mark.parametrize('make', CASES)
@pytest.mark.parametrize('dtype', ['float', 'double'])
def test_the_twin_runs_and_equals_the_array_code(monkeypatch, make, dtype):
    built = []
    monkeypatch.setattr(cuda_kernels, 'elementwise', _recording(cuda_kernels.elementwise, built))
    x = lg.randn(3, 5).type(f'legonn.{dtype.capitalize()}Tensor')
    x[0][1], x[1][2] = float('nan'), 0.1    # NaN, and a value at Threshold's threshold
    go = lg.randn(3, 5).type(x.type())
    twin = on_gpu(make().type(x.type()))
    out = twin.forward(on_gpu(x)).cpu()
    grad = twin.backward(on_gpu(x), on_gpu(go)).cpu()
    assert sorted(set(built)) == sorted({f'{type(twin).__name__}_forward', f'{type(twin).__name__}_backward'})
    monkeypatch.setenv('LEGONN_GENERIC_KERNELS', '1')
    generic = on_gpu(make().type(x.type()))
    built.clear()
    np.testing.assert_allclose(out.numpy(), generic.forward(on_gpu(x)).cpu().numpy(), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(grad.numpy(), generic.backward(on_gpu(x), on_gpu(go)).cpu().numpy(), rtol=1e-6,
                               equal_nan=True)
    assert built == []


def _recording(factory, names):
    def build(name, *parts):
        names.append(name)
        return factory(name, *parts)
    return build
