"""Shared pytest set-up: the `gpu` marker (skipped without CuPy and a GPU), a fixed seed per test,
``raw_launches``, the names of the RawKernels a test launches, and ``--shard I/N``, which keeps every N-th
selected test from the I-th (0-based): bench/gpu_shards.py runs N such processes side by side on a device.

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


def pytest_addoption(parser):
    parser.addoption('--shard', default=None, metavar='I/N',
                     help='run only the selected tests whose position modulo N is I (0-based), for N processes')


def pytest_configure(config):
    config.addinivalue_line('markers', 'gpu: needs CuPy and a CUDA device; skipped otherwise')


def _shard(value):
    """(I, N) of a ``--shard I/N`` value, refusing anything else."""
    try:
        index, count = (int(part) for part in value.split('/'))
    except ValueError:
        index = count = -1
    if not 0 <= index < count:
        raise pytest.UsageError(f"--shard expected I/N with 0 <= I < N, got {value!r}")
    return index, count


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # trylast: the shards split what `-m`/`-k` left, so that N shards together run each selected test once
    if config.getoption('shard') is not None:
        index, count = _shard(config.getoption('shard'))
        dropped = [item for position, item in enumerate(items) if position % count != index]
        items[:] = items[index::count]
        config.hook.pytest_deselected(items=dropped)
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


@pytest.fixture(autouse=True)
def _process_wide_choices():
    """Put back the process-wide switches a ported script sets as its Lua does (``cudnn.benchmark = true``,
    ``cudnn.find.verbose``, ``cudnn.configureMath(...)``, ``Threads.serialization('threads.sharedserialize')``)
    and the main thread's ``threads.local`` (a data.lua run with no donkeys keeps its ``opt`` there), so no later
    test starts with them."""
    from legonn import cudnn, threads
    flags = {name: getattr(cudnn, name) for name in ('benchmark', 'fastest', 'verbose', 'useFindEx')}
    find_flags = dict(vars(cudnn.find))
    maths = {name: cudnn.configmap(name) for name in ('torch.CudaHalfTensor', 'torch.CudaTensor',
                                                      'torch.CudaDoubleTensor')}
    serialization = threads.Threads.serialization()
    main_thread_globals = dict(vars(threads.local))
    yield
    vars(threads.local).clear()
    vars(threads.local).update(main_thread_globals)
    for name, value in flags.items():
        setattr(cudnn, name, value)
    vars(cudnn.find).clear()
    vars(cudnn.find).update(find_flags)
    cudnn.configureMath(maths)
    if threads.Threads.serialization() != serialization:
        threads.Threads.serialization(serialization)


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
