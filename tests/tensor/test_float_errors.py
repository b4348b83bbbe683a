"""IEEE results are silent in legonn, as in Torch7 and CuPy (legonn.tensor.float_errors): run in a fresh
interpreter, since pytest resets warning filters around each test."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAM = """
import numpy as np
import legonn as lg
from legonn import nn
x = lg.Tensor([-1.0, 0.0, 1.0])
print(lg.log(x), x.clone().log(), x / 0, lg.exp(lg.Tensor([1000.0])))
print(nn.Log().forward(x), nn.Sqrt().forward(x))
np.log(np.array([-1.0]))   # the user's own NumPy call keeps its warning
"""


def run(*flags):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop('PYTHONWARNINGS', None)
    return subprocess.run([sys.executable, *flags, '-c', PROGRAM], capture_output=True, text=True, env=env,
                          timeout=300)


def test_log_of_zero_and_negative_prints_no_warning_but_numpy_code_still_does():
    """``lg.log`` of 0 and -1, a division by zero, an overflowing exp and nn.Log / nn.Sqrt of them give
    -inf, NaN and inf as TH does, without the RuntimeWarnings NumPy prints; the user's own ``np.log(-1)`` in
    the same program still warns once."""
    done = run()
    assert done.returncode == 0, done.stderr
    assert 'nan' in done.stdout and 'inf' in done.stdout
    warned = [line for line in done.stderr.splitlines() if 'RuntimeWarning' in line]
    assert len(warned) == 1 and '<string>' in warned[0], done.stderr


def test_a_warning_filter_the_user_chose_is_left_alone():
    """With ``-W`` given, legonn installs nothing: the user's choice decides (here: every warning shown)."""
    done = run('-W', 'always::RuntimeWarning')
    assert done.returncode == 0, done.stderr
    assert done.stderr.count('RuntimeWarning') >= 3, done.stderr
