"""Shared pytest set-up: the `gpu` marker (skipped without CuPy and a GPU), a fixed seed per test, and
``raw_launches``, the names of the RawKernels a test launches.

With ``LEGONN_GPU_SIM=1`` the host simulator of CuPy (tests/gpu_sim) stands in for CuPy, in this process and in
the processes the tests start, so the GPU tests run without a GPU."""
import os
import sys

import pytest

if os.environ.get('LEGONN_GPU_SIM') == '1':
    _SIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'gpu_sim')
    sys.path.insert(0, _SIM)
    os.environ['PYTHONPATH'] = os.pathsep.join(p for p in (_SIM, os.environ.get('PYTHONPATH')) if p)

import legonn as lg


def pytest_configure(config):
    config.addinivalue_line('markers', 'gpu: needs CuPy and a CUDA device; skipped otherwise')


def pytest_collection_modifyitems(config, items):
    if lg.gpu_available():
        return
    skip = pytest.mark.skip(reason='needs CuPy and a CUDA GPU')
    for item in items:
        if 'gpu' in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seeded():
    lg.manualSeed(1234)
    yield
    lg.setdefaulttensortype('legonn.FloatTensor')


@pytest.fixture
def raw_launches(monkeypatch):
    """The names of the RawKernels of legonn.tensor.cuda_kernels launched, in order."""
    from legonn.tensor import cuda_kernels
    names, launch = [], cuda_kernels._launch

    def recording(name, *args, **kwargs):
        names.append(name)
        return launch(name, *args, **kwargs)
    monkeypatch.setattr(cuda_kernels, '_launch', recording)
    return names
