"""The distributed layer under ``mpiexec -n 2``: each test launches tests/distributed/ranks.py with one
scenario and a time limit, and reads the job's exit status and output."""
import os
import shutil
import subprocess
import sys
import time

import pytest

pytest.importorskip('mpi4py', reason="needs the 'mpi' extra (mpi4py and an MPI library)")

RANKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ranks.py')
LIMIT_S = 60
MPIEXEC = shutil.which('mpiexec', path=os.path.dirname(sys.executable)) or shutil.which('mpiexec')


def mpiexec(scenario, n=2):
    """Run ``scenario`` on ``n`` ranks; returns (exit status, output, seconds taken)."""
    if MPIEXEC is None:
        pytest.skip('no mpiexec next to this Python or on PATH')
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1')
    start = time.monotonic()
    done = subprocess.run([MPIEXEC, '-n', str(n), sys.executable, RANKS, scenario], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=LIMIT_S)
    return done.returncode, done.stdout, time.monotonic() - start


def passes(scenario, n=2):
    rc, out, _ = mpiexec(scenario, n)
    assert rc == 0, out
    assert all(f'ok rank {r}' in out for r in range(n)), out
    return out


def test_collectives_on_tensors_and_arrays():
    passes('collectives')


def test_allreduce_sgd_equals_single_process_sgd_on_the_whole_batch():
    passes('sgd_matches_single')


def test_allreduce_ea_center_fits_what_no_rank_sees_alone():
    passes('ea_converges')


def test_gradients_in_shared_memory_reduce_in_place_and_other_buffers_through_mpi():
    passes('shared_memory')


def test_two_machines_reduce_in_their_shared_memory_then_across_over_mpi():
    passes('two_machines', n=4)


def test_mismatched_models_fail_at_the_first_collective_naming_both():
    out = passes('mismatched_models')
    assert 'rank 0: 15 float32 values, rank 1: 10 float32 values' in out


SHARED = pytest.mark.parametrize('memory', ['', '_shared'], ids=['private', 'shared'])


@SHARED
def test_a_rank_that_raises_aborts_the_job_with_its_traceback(memory):
    rc, out, seconds = mpiexec(f'raise{memory}')
    assert rc != 0
    assert '[legonn.distributed rank 1 of 2] aborting the MPI job' in out
    assert 'RuntimeError: rank 1 fails on purpose at step 3' in out
    assert 'finished 100 steps' not in out
    assert seconds < 20


@SHARED
def test_a_killed_rank_ends_the_job_in_bounded_time(memory):
    rc, out, seconds = mpiexec(f'kill{memory}')
    assert rc != 0
    assert 'Killed (signal 9)' in out
    assert 'finished 100 steps' not in out
    assert seconds < 20


@SHARED
def test_a_hung_rank_times_the_others_out(memory):
    rc, out, seconds = mpiexec(f'hang{memory}')   # ranks.py sets a 2 s collective timeout for this scenario
    assert rc != 0, out
    assert 'DistributedError: legonn.distributed rank 0 of 2: allreduce(1000 float32 values)' in out, (rc, out)
    assert 'did not complete within 2s' in out, (rc, out)
    assert seconds < 20


@pytest.mark.gpu
def test_collectives_on_cuda_tensors_through_host_staging():
    passes('collectives_gpu')
