"""The fuzz run (tests/robustness/fuzz.py) over every module and criterion, in a child process: a crash
(segfault, abort) or a hang fails this test and names the case that was running; every case must end
``ok`` or ``clean`` (fuzz.py defines the outcomes; a raw internal error, a changed parameter after a failed
call, a gradInput unlike its input or a watchdog timeout is a failure)."""
import json
import pathlib
import subprocess
import sys

from tests.robustness import catalog

ROOT = pathlib.Path(__file__).resolve().parents[2]
# the whole run takes about 10 s on one core; the limit only turns a hang in native code into a failure
TIMEOUT = 600


def _started_not_finished(lines):
    started = [r for r in lines if 'start' in r]
    return started[-1] if started and len(started) > sum('outcome' in r for r in lines) else None


def test_fuzz_every_module_and_criterion():
    try:
        proc = subprocess.run([sys.executable, '-m', 'tests.robustness.fuzz'], cwd=ROOT, capture_output=True,
                              text=True, timeout=TIMEOUT)
        stdout, stderr, returncode = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as err:
        stdout = err.stdout.decode() if isinstance(err.stdout, bytes) else (err.stdout or '')
        stderr, returncode = '', f'no answer within {TIMEOUT} s'
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith('{')]
    assert returncode == 0, (f"the fuzz process ended with {returncode} (negative: killed by that signal) "
                             f"during {_started_not_finished(lines)}:\n{stderr[-3000:]}")
    results = [r for r in lines if 'outcome' in r]
    failures = [f"{r['name']} | {r['case']} | {r['outcome']}: {r['detail']}" for r in results
                if r['outcome'] not in ('ok', 'clean')]
    assert not failures, f"{len(failures)} of {len(results)} cases failed:\n" + '\n'.join(failures[:60])
    covered = {r['name'] for r in results}
    assert covered == set(catalog.concrete_names())
    # the bad calls must mostly be refused, not all quietly accepted (a fuzz that never fails checks nothing)
    clean = sum(r['outcome'] == 'clean' for r in results)
    assert clean > len(results) // 4, f"only {clean} of {len(results)} bad calls were refused"
