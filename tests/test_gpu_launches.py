"""The GPU benchmark scripts on a machine without a GPU: gpu_launches.py's counting of profiler events and its
three workloads (built and stepped on the CPU), gpu_memory.py's peak, every script's clean skip; and their real
runs on a GPU (gpu_capture.py's step is tested in test_gpu_capture.py)."""
import importlib.util
import os

import numpy as np
import pytest

import legonn as lg

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'bench')


def bench_script(name):
    """bench/<name>.py as a module (it puts bench/ and examples/ on sys.path itself)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(BENCH, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gpu_launches, gpu_memory = bench_script('gpu_launches'), bench_script('gpu_memory')


def torch_on_the_gpu():
    """Skip unless PyTorch sees this GPU (its profiler and allocator are the measuring sticks): a CPU build of
    PyTorch, or the host simulator of CuPy (tests/gpu_sim), has no CUDA work to show."""
    torch = pytest.importorskip('torch')
    if not torch.cuda.is_available():
        pytest.skip('needs PyTorch built with CUDA')
    if getattr(lg.tensor.backend.cupy(), 'IS_HOST_SIMULATOR', False):
        pytest.skip('the host simulator of CuPy launches nothing on the GPU')


def test_tally_counts_gpu_work_syncs_and_allocations_per_step():
    events = ([{'cat': 'kernel', 'name': 'cupy_add'}] * 6 + [{'cat': 'kernel', 'name': 'sgemm'}] * 2 +
              [{'cat': 'gpu_memcpy', 'name': 'Memcpy DtoH'}] * 2 + [{'cat': 'gpu_memset', 'name': 'Memset'}] +
              [{'cat': 'cuda_runtime', 'name': 'cudaStreamSynchronize'}] * 2 +
              [{'cat': 'cuda_driver', 'name': 'cuMemAlloc_v2'}] +
              [{'cat': 'cuda_driver', 'name': 'cuLaunchKernel'}] * 8 + [{'cat': 'cpu_op', 'name': 'aten::mm'}])
    per_step, table = gpu_launches.tally(events, steps=2)
    assert per_step == {'kernels': 4, 'copies': 1, 'memsets': 0.5, 'syncs': 1, 'allocations': 0.5}
    assert table[0] == (3, 'kernels', 'cupy_add')
    assert (1, 'syncs', 'cudaStreamSynchronize') in table
    assert (0.5, 'allocations', 'cuMemAlloc_v2') in table
    assert not any(name in ('cuLaunchKernel', 'aten::mm') for _, _, name in table)


@pytest.mark.parametrize('name', ['W1', 'W2', 'W3'])
def test_each_workload_is_a_training_step_on_the_cpu(name):
    step, params = gpu_launches.WORKLOADS[name][1](False)
    before = params.clone()
    step()
    assert params.nElement() > 10 ** 4
    assert np.isfinite(params.numpy()).all()
    assert not np.array_equal(params.numpy(), before.numpy()), 'the step left the parameters as they were'


@pytest.mark.skipif(lg.gpu_available(), reason='a GPU is present: the scripts would measure')
@pytest.mark.parametrize('name,workload,unknown', [('gpu_launches', 'W2', 'W4'), ('gpu_memory', 'W2', 'W1'),
                                                   ('gpu_capture', 'W3', 'W1')])
def test_without_a_gpu_each_script_skips_and_refuses_unknown_workloads(capsys, name, workload, unknown):
    script = bench_script(name)
    assert script.main(['--workloads', workload]) == 0
    assert f'{name}.py: skipped, no usable GPU' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        script.main(['--workloads', unknown])
    assert '--workloads must be a comma-separated subset of' in capsys.readouterr().err


@pytest.mark.gpu
def test_counts_launches_of_the_lenet_step_on_the_gpu(capsys):
    torch_on_the_gpu()
    assert gpu_launches.main(['--workloads', 'W2', '--steps', '1', '--warmup', '1']) == 0
    out = capsys.readouterr().out
    line = next(s for s in out.splitlines() if s.startswith('W2 '))
    kernels = float(line.split('per step ')[1].split(' kernels')[0])
    assert kernels >= 20, line   # 10 layers forward and backward, the criterion and the update: dozens at least


def test_the_peak_is_the_most_in_use_after_any_allocation():
    class Pool:   # in use: what was allocated minus what the step freed in between
        def __init__(self):
            self.in_use = 0

        def malloc(self, nbytes):
            self.in_use += nbytes
            return nbytes

        def used_bytes(self):
            return self.in_use

    pool = Pool()
    tracker = gpu_memory.PeakPool(pool)
    tracker.malloc(100)
    tracker.malloc(50)
    pool.in_use -= 120   # freed
    tracker.malloc(10)
    assert tracker.peak == 150 and pool.in_use == 40


@pytest.mark.gpu
def test_the_memory_script_measures_both_sides(capsys):
    assert gpu_memory.main(['--workloads', 'W2', '--steps', '1']) == 0
    line = next(s for s in capsys.readouterr().out.splitlines() if s.startswith('W2 '))
    ours = float(line.split('legonn (CuPy pool) ')[1].split()[0])
    assert ours >= 4.9   # LeNet-5's 431,080 parameters, their gradients and momentum alone take 4.93 MiB
