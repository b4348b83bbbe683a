"""The CUDA twins of element-wise modules (Elementwise.cuda_forward/cuda_backward): one kernel each way.

Without a GPU: every twin's body, written out as the CUDA kernel CuPy makes of it, compiles with nvcc in both
element types. On a GPU (or the CuPy simulator): the twins run instead of the array code, give what it gives
(NaN and in place included), and LEGONN_GENERIC_KERNELS=1 turns them off."""
import shutil
import subprocess

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules.base.elementwise import Elementwise
from legonn.tensor import cuda_kernels
from tests.cuda_sources import standalone_cuda


def twinned_classes():
    found, todo = [], [Elementwise]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__dict__.get('cuda_forward') or cls.__dict__.get('cuda_backward'):
            found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


def test_the_twinned_modules_are_those_of_the_workloads():
    assert [c.__name__ for c in twinned_classes()] == ['Sigmoid', 'Tanh', 'Threshold']


@pytest.mark.skipif(shutil.which('nvcc') is None, reason='nvcc is not installed')
def test_every_twin_compiles_with_nvcc(tmp_path):
    kernels = []
    for cls in twinned_classes():
        params = ''.join(f', T {p}' for p in cls.cuda_params)
        kernels.append(standalone_cuda(f'{cls.__name__}_forward', 'T x' + params, 'T y', cls.cuda_forward,
                                       cls.cuda_params))
        kernels.append(standalone_cuda(f'{cls.__name__}_backward', 'T x, T y, T go' + params, 'T gi',
                                       cls.cuda_backward, cls.cuda_params))
    src = ''.join(f'namespace {ns} {{\ntypedef {ctype} T;\n' + ''.join(kernels) + '}\n'
                  for ns, ctype in (('f32', 'float'), ('f64', 'double')))
    path = tmp_path / 'twins.cu'
    path.write_text(src)
    # no -Werror: a body that does not read one of its parameters (Sigmoid's backward reads no x) is normal,
    # and CuPy's generated code declares every parameter too
    done = subprocess.run(['nvcc', '-c', '-arch=sm_90', str(path), '-o', str(tmp_path / 'twins.o')],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


CASES = [pytest.param(nn.Sigmoid, id='Sigmoid'), pytest.param(nn.Tanh, id='Tanh'),
         pytest.param(nn.ReLU, id='ReLU'), pytest.param(lambda: nn.Threshold(0.1, -2), id='Threshold'),
         pytest.param(lambda: nn.ReLU(True), id='ReLU-inplace')]


@pytest.mark.gpu
@pytest.mark.parametrize('make', CASES)
@pytest.mark.parametrize('dtype', ['float', 'double'])
def test_the_twin_runs_and_equals_the_array_code(monkeypatch, make, dtype):
    built = []
    monkeypatch.setattr(cuda_kernels, 'elementwise', _recording(cuda_kernels.elementwise, built))
    x = lg.randn(3, 5).type(f'legonn.{dtype.capitalize()}Tensor')
    x[0][1], x[1][2] = float('nan'), 0.1    # NaN, and a value at Threshold's threshold
    go = lg.randn(3, 5).type(x.type())
    twin = make().type(x.type()).cuda()
    out = twin.forward(x.cuda()).cpu()
    grad = twin.backward(x.cuda(), go.cuda()).cpu()
    assert sorted(set(built)) == sorted({f'{type(twin).__name__}_forward', f'{type(twin).__name__}_backward'})
    monkeypatch.setenv('LEGONN_GENERIC_KERNELS', '1')
    generic = make().type(x.type()).cuda()
    built.clear()
    np.testing.assert_allclose(out.numpy(), generic.forward(x.cuda()).cpu().numpy(), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(grad.numpy(), generic.backward(x.cuda(), go.cuda()).cpu().numpy(), rtol=1e-6,
                               equal_nan=True)
    assert built == []


def _recording(factory, names):
    def build(name, *parts):
        names.append(name)
        return factory(name, *parts)
    return build
