"""bench/gpu_check.sh, the one-command GPU check of issue 13, and the sweep's device switch, as far as a machine
without a GPU can see them: the dry run lists every stage, a real run stops at once with a clear message, and
``LEGONN_SWEEP_DEVICE=cuda`` turns the robustness sweep into GPU tests that skip cleanly."""
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

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
    done = run_script(tmp_path, '--dry-run', COMPARE=SCRIPT,    # any existing file stands in for compare.py
                      GPU_CHECK_SHARDS='3')
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'Traceback' not in done.stdout + done.stderr
    out = done.stdout
    assert (f"bench/gpu_shards.py 3 --junitxml={tmp_path}/gpu.xml -- -m gpu -q -x -o addopts= "
            "-p no:cacheprovider tests") in out
    assert f'LEGONN_SWEEP_DEVICE=cuda {sys.executable} bench/gpu_shards.py 3 --junitxml={tmp_path}/sweep.xml' in out
    assert 'tests/robustness/test_sweep.py' in out
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


def run_shards(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'gpu_shards.py'), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def junit_cases(path):
    return sorted((case.get('classname'), case.get('name')) for case in ET.parse(path).getroot().iter('testcase'))


def test_shards_together_run_each_selected_test_once(tmp_path):
    selection = ['-q', '-o', 'addopts=', '-p', 'no:cacheprovider', 'tests/test_cjson.py', 'tests/test_csvigo.py']
    whole = subprocess.run([sys.executable, '-m', 'pytest', *selection, f'--junitxml={tmp_path}/whole.xml'],
                           capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert whole.returncode == 0, whole.stdout
    done = run_shards('3', f'--junitxml={tmp_path}/merged.xml', '--', *selection)
    assert done.returncode == 0, done.stdout + done.stderr
    for index in range(3):
        assert f'=== shard {index}/3: exit 0' in done.stdout
    assert '3 of 3 shard reports merged' in done.stdout
    merged = junit_cases(tmp_path / 'merged.xml')
    assert len(merged) > 6
    assert merged == junit_cases(tmp_path / 'whole.xml')


def test_a_failing_shard_sets_the_exit_status(tmp_path):
    failing = tmp_path / 'test_two.py'
    failing.write_text('def test_passes():\n    pass\n\n\ndef test_fails():\n    assert 1 == 2\n')
    # tmp_path is outside tests/: its conftest, which knows --shard, is loaded as a plugin
    done = run_shards('2', f'--junitxml={tmp_path}/merged.xml', '--', '-q', '-p', 'no:cacheprovider',
                      '-p', 'tests.conftest', str(failing))
    assert done.returncode == 1, done.stdout + done.stderr
    assert '=== shard 0/2: exit 0' in done.stdout and '=== shard 1/2: exit 1' in done.stdout
    assert [name for _, name in junit_cases(tmp_path / 'merged.xml')] == ['test_fails', 'test_passes']


@pytest.mark.parametrize('value', ['3/3', '1', 'a/b', '-1/2', '0/0'])
def test_a_bad_shard_value_is_refused(value):
    done = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', f'--shard={value}',
                           'tests/test_cjson.py'], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 4
    assert f"--shard expected I/N with 0 <= I < N, got '{value}'" in done.stderr


def test_shard_runner_refuses_no_processes(tmp_path):
    done = run_shards('0', f'--junitxml={tmp_path}/merged.xml', '--', 'tests/test_cjson.py')
    assert done.returncode == 2
    assert 'expected at least 1 process, got 0' in done.stderr
