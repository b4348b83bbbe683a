"""IEEE results are silent in legonn, as in Torch7 and CuPy (legonn.tensor.float_errors): the whole program run in
a fresh interpreter, since pytest resets warning filters around each test; the reductions in this one, with the
filter set again for each call."""
import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import legonn as lg
from legonn.tensor.float_errors import IEEE_MESSAGES

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


INF, BIG = float('inf'), 1e308


def D(*values):
    return lg.DoubleTensor(list(values))


# each reduction on data whose IEEE result warns in NumPy: inf - inf (invalid), inf * 0, a sum past the largest double
REDUCTIONS = {
    'sum': lambda: D(INF, -INF).sum(), 'sum(0)': lambda: D(INF, -INF).sum(0), 'sum past max': lambda: D(BIG, BIG).sum(),
    'float sum(0)': lambda: lg.FloatTensor([3e38, 3e38]).sum(0), 'prod': lambda: D(INF, 0).prod(),
    'prod(0)': lambda: D(INF, 0).prod(0), 'mean': lambda: D(INF, -INF).mean(), 'mean(0)': lambda: D(INF, -INF).mean(0),
    'cumsum': lambda: D(INF, -INF).cumsum(0), 'cumprod': lambda: D(INF, 0).cumprod(0),
    'var': lambda: D(1e154, -1e154, 1e154).var(), 'std(0)': lambda: D(1e154, -1e154, 1e154).std(0),
    'norm(1)': lambda: D(BIG, BIG).norm(1), 'norm(3, 0)': lambda: D(1e200, 1).norm(3, 0),
    'dist': lambda: D(BIG, -BIG).dist(D(-BIG, BIG), 3), 'trace': lambda: lg.DoubleTensor([[INF, 0], [0, -INF]]).trace(),
    'renorm': lambda: lg.DoubleTensor([[BIG, BIG]]).renorm(1, 0, 1.0),
    'addbmm': lambda: lg.DoubleTensor(1, 1).zero().addbmm(lg.DoubleTensor([[[INF]], [[-INF]]]),
                                                         lg.DoubleTensor([[[1]], [[1]]])),
    'match': lambda: lg.DoubleTensor(1, 1).match(lg.DoubleTensor([[BIG, BIG]]), lg.DoubleTensor([[-BIG, -BIG]])),
    'lg.sum': lambda: lg.sum(D(INF, -INF), 0), 'lg.cumsum': lambda: lg.cumsum(D(INF, -INF), 0),
}


def _warned(fn):
    """The RuntimeWarnings ``fn()`` raises under legonn's filter (pytest resets the filters, so it is set here)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        warnings.filterwarnings('ignore', message=IEEE_MESSAGES, category=RuntimeWarning, module=r'legonn\.')
        result = fn()
    return result, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize('name', sorted(REDUCTIONS))
def test_every_reduction_is_silent_on_ieee_results(name):
    """A reduction's inf - inf, inf * 0 or overflow gives NaN or inf without a word, as TH's C loops do: the
    warning NumPy's ufunc raises inside its own Python wrappers (np.sum, ndarray.sum) is out of the filter's
    reach, so legonn calls the ufuncs' reduce/accumulate itself."""
    result, warned = _warned(REDUCTIONS[name])
    assert warned == []
    if name == 'sum':
        assert math.isnan(result)


def test_numpy_own_reductions_still_warn():
    """The same data in the user's own np.sum warns: the filter covers legonn only (and the check above can fail)."""
    _, warned = _warned(lambda: np.sum(np.array([INF, -INF])))
    assert warned == ['invalid value encountered in reduce']
