"""bench/gpu_check.sh, the one-command GPU check of issue 13, and the sweep's device switch, as far as a machine
without a GPU can see them: the dry run lists every stage, a real run stops at once with a clear message, and
``LEGONN_SWEEP_DEVICE=cuda`` turns the robustness sweep into GPU tests that skip cleanly."""
import os
import re
import shutil
import subprocess
import sys

import pytest

import legonn as lg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, 'bench', 'gpu_check.sh')
needs_bash = pytest.mark.skipif(shutil.which('bash') is None or shutil.which('timeout') is None,
                                reason='needs bash and coreutils timeout')


def run_script(out, *args, **env):
    return subprocess.run(['bash', SCRIPT, *args], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, 'OUT': str(out), 'PYTHON': sys.executable, **env})


@needs_bash
def test_dry_run_lists_every_stage_and_writes_the_summary(tmp_path):
    done = run_script(tmp_path, '--dry-run', COMPARE=SCRIPT)   # any existing file stands in for compare.py
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'Traceback' not in done.stdout + done.stderr
    out = done.stdout
    assert f"-m pytest -m gpu -q -x -o addopts= -p no:cacheprovider --junitxml={tmp_path}/gpu.xml tests" in out
    assert 'LEGONN_SWEEP_DEVICE=cuda' in out and 'tests/robustness/test_sweep.py' in out
    assert 'bench/gpu_launches.py' in out
    assert f'{SCRIPT} --cuda --steps 20 --repeats 3' in out
    assert 'bench/lenet.py --cuda' in out
    for stage in ('tests', 'sweep', 'launches', 'compare', 'bench'):
        assert f'  {stage}: dry run' in out
    assert (tmp_path / 'summary.txt').read_text().strip().endswith('bench: dry run')


@needs_bash
def test_stage_selection_and_a_missing_compare_script(tmp_path):
    done = run_script(tmp_path, '--dry-run', GPU_CHECK_STAGES='compare', COMPARE=str(tmp_path / 'absent.py'))
    assert done.returncode == 0, done.stderr
    assert 'compare: SKIPPED, compare.py not found' in done.stdout
    assert '[tests]' not in done.stdout and '[bench]' not in done.stdout


@needs_bash
def test_unknown_argument_is_refused(tmp_path):
    done = run_script(tmp_path, '--fast')
    assert done.returncode == 64
    assert "unknown argument '--fast'" in done.stderr


@needs_bash
@pytest.mark.skipif(lg.gpu_available(), reason='a GPU is present: the real run would start')
def test_without_a_gpu_a_real_run_says_so_and_stops(tmp_path):
    done = run_script(tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert 'NO USABLE GPU' in done.stdout
    assert 'Traceback' not in done.stdout + done.stderr
    assert not (tmp_path / 'gpu.xml').exists()
    assert 'NO USABLE GPU' in (tmp_path / 'summary.txt').read_text()


STAND_IN = """#!/usr/bin/env bash
# claims a GPU for gpu_check.sh's check, hangs in pytest when HANG is set, runs everything else with {python}
for a in "$@"; do
  case $a in
    *"legonn.tensor.backend as b"*) echo "ok Stand-in GPU"; exit 0 ;;
    pytest) [ -n "${{HANG:-}}" ] && sleep 60 ;;
  esac
done
exec {python} "$@"
"""


@needs_bash
def test_the_real_stages_run_timed_and_summarised_with_a_stand_in_gpu(tmp_path):
    python = tmp_path / 'python'
    python.write_text(STAND_IN.format(python=sys.executable))
    python.chmod(0o755)
    done = run_script(tmp_path, GPU_CHECK_STAGES='sweep,launches', PYTHON=str(python))
    assert done.returncode == 0, done.stdout + done.stderr
    summary = (tmp_path / 'summary.txt').read_text()
    assert 'legonn sees the GPU: Stand-in GPU' in summary
    # without CuPy every sweep case skips and the launch counter says it has nothing to count
    assert re.search(r'sweep: ok in \d+s -- 0 passed, 0 failed, 0 errors, \d+ skipped', summary), summary
    assert re.search(r'launches: ok in \d+s', summary), summary
    assert 'skipped, no usable GPU' in (tmp_path / 'launches.log').read_text()
    assert (tmp_path / 'sweep.xml').exists()
    hung = run_script(tmp_path, GPU_CHECK_STAGES='sweep', GPU_CHECK_T_SWEEP='1', PYTHON=str(python), HANG='1')
    assert hung.returncode == 0, hung.stdout + hung.stderr
    assert 'sweep: TIMED OUT after 1s' in hung.stdout


def sweep(device, *cases):
    return subprocess.run([sys.executable, '-m', 'pytest', '-q', '-o', 'addopts=', '-p', 'no:cacheprovider', '-rs',
                           *(f'tests/robustness/test_sweep.py::{case}' for case in cases)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=dict(os.environ, LEGONN_SWEEP_DEVICE=device))


@pytest.mark.skipif(lg.gpu_available(), reason='a GPU is present: the cases would run, not skip')
def test_sweep_on_cuda_skips_cleanly_without_a_gpu():
    done = sweep('cuda', 'test_bad_input[Linear-rank]', 'test_bad_input[Linear-device]',
                 'test_bad_input[ClassNLLCriterion-dtype]', 'test_wrong_device_target[ClassNLLCriterion]')
    assert done.returncode == 0, done.stdout[-2000:]
    assert 'passed' not in done.stdout and 'failed' not in done.stdout
    assert '4 skipped' in done.stdout and 'needs CuPy and a CUDA GPU' in done.stdout


def test_sweep_refuses_an_unknown_device():
    done = sweep('gpu', 'test_bad_input[Linear-rank]')
    assert done.returncode != 0
    assert "LEGONN_SWEEP_DEVICE must be 'cpu' or 'cuda', got 'gpu'" in done.stdout + done.stderr
