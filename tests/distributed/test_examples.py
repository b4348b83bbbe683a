"""examples/mnist.py --distributed under ``mpiexec -n 2``: the single-process run's losses (up to float
summation order), output and files from rank 0 only, and a checkpoint of 2 processes resumed by 1."""
import os
import re
import subprocess
import sys

import pytest

from tests.distributed.test_mpi import LIMIT_S, MPIEXEC

pytest.importorskip('mpi4py', reason="needs the 'mpi' extra (mpi4py and an MPI library)")

MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'examples', 'mnist.py')
EPOCH_LINE = re.compile(r'^epoch (\d+): train loss ([0-9.]+), held-out accuracy ([0-9.]+)%', re.M)


def mnist(tmp_path, name, *args, nprocs=None):
    """Run the logistic-regression example; returns its stdout and its epoch rows (epoch, loss, accuracy)."""
    command = [sys.executable, MNIST, '--model', 'logreg', '--log-dir', str(tmp_path / name), *args]
    if nprocs:
        if MPIEXEC is None:
            pytest.skip('no mpiexec next to this Python or on PATH')
        command = [MPIEXEC, '-n', str(nprocs)] + command + ['--distributed']
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1')
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=LIMIT_S, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, [(int(e), float(loss), float(acc)) for e, loss, acc in EPOCH_LINE.findall(done.stdout)]


def test_two_processes_follow_one_and_hand_over_to_one(tmp_path):
    _, single = mnist(tmp_path, 'single', '--epochs', '2')
    out, pair = mnist(tmp_path, 'pair', '--epochs', '1', nprocs=2)
    assert len(pair) == 1 and out.count('epoch 1:') == 1     # only rank 0 prints
    assert '2 processes' in out
    assert pair[0][1] == pytest.approx(single[0][1], rel=1e-3)
    assert abs(pair[0][2] - single[0][2]) <= 0.5
    # the 2-process checkpoint, resumed by one process, goes on like the single-process run
    checkpoint = str(tmp_path / 'pair' / 'checkpoint.lg')
    out, resumed = mnist(tmp_path, 'resumed', '--epochs', '2', '--resume', checkpoint, '--checkpoint', checkpoint)
    assert 'resumed from' in out and [e for e, _, _ in resumed] == [2]
    assert resumed[0][1] == pytest.approx(single[1][1], rel=1e-3)
    assert abs(resumed[0][2] - single[1][2]) <= 0.5
