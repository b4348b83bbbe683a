"""bench/gpu_launches.py on a machine without a GPU: its counting of profiler events, its three workloads (built
and stepped on the CPU), its clean skip; and its real count on a GPU."""
import importlib.util
import os

import numpy as np
import pytest

import legonn as lg

PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'bench', 'gpu_launches.py')
spec = importlib.util.spec_from_file_location('gpu_launches', PATH)
gpu_launches = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_launches)


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


@pytest.mark.skipif(lg.gpu_available(), reason='a GPU is present: the script would count')
def test_without_a_gpu_the_script_skips(capsys):
    assert gpu_launches.main(['--workloads', 'W2']) == 0
    assert 'skipped, no usable GPU' in capsys.readouterr().out


def test_bad_arguments_are_refused():
    with pytest.raises(SystemExit):
        gpu_launches.main(['--workloads', 'W4'])


@pytest.mark.gpu
def test_counts_launches_of_the_lenet_step_on_the_gpu(capsys):
    pytest.importorskip('torch.profiler')
    assert gpu_launches.main(['--workloads', 'W2', '--steps', '1', '--warmup', '1']) == 0
    out = capsys.readouterr().out
    line = next(s for s in out.splitlines() if s.startswith('W2 '))
    kernels = float(line.split('per step ')[1].split(' kernels')[0])
    assert kernels >= 20, line   # 10 layers forward and backward, the criterion and the update: dozens at least
