"""No leaks: a bounded run of bench/memory.py's MLP training keeps a flat resident set size
(the 10,000-step figures are in bench/memory.md). It runs in a fresh process, with one BLAS thread
so that a loaded shared machine does not slow it tenfold."""
import os
import re
import subprocess
import sys

BENCH = os.path.join(os.path.dirname(__file__), '..', '..', 'bench', 'memory.py')


def test_training_memory_stays_flat():
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1')
    run = subprocess.run([sys.executable, BENCH, '--steps', '1000', '--every', '200', '--hidden', '64'],
                         capture_output=True, text=True, env=env, timeout=300, check=True)
    rss = [float(v) for v in re.findall(r'RSS\s+([0-9.]+) MiB', run.stdout)]
    assert len(rss) == 6, run.stdout
    growth = rss[-1] - rss[1]   # from step 200, when every buffer has reached its size, to step 1000
    # a leak of one 32x64 float32 buffer per step would add 800 * 8 KiB = 6.25 MiB here
    assert growth < 3.0, f"RSS grew {growth:.2f} MiB over 800 steps:\n{run.stdout}"
