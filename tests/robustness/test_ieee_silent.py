"""Every class of legonn.nn (catalog.py's examples) on inputs holding inf, -inf and NaN: forward and backward
give IEEE results (inf, NaN) as Torch7's C loops do, without a RuntimeWarning from NumPy. legonn's filter
(legonn.tensor.float_errors) silences the warnings raised from legonn's own modules; a reduction written as
``a.sum()`` or ``np.mean`` raises its warning inside NumPy's Python wrapper, out of the filter's reach, so the
modules reduce through ``legonn.tensor.reductions.reducer`` (tests/tensor/test_float_errors.py checks the
tensor reductions). A call may also refuse such an input with a clean error; only warnings are checked here."""
import contextlib
import io
import traceback
import warnings

import pytest

import legonn as lg
from legonn.tensor.float_errors import IEEE_MESSAGES
from tests.robustness import catalog
from tests.robustness.perturb import leaves

INF, NAN = float('inf'), float('nan')
# (values, where): written over the first or the last entries of each floating tensor of the input and target, or
# filling them
POISONS = [(values, where) for values in ([INF, -INF], [NAN], [INF, INF], [-INF]) for where in ('first', 'last')] + \
    [([INF], 'all'), ([NAN], 'all')]

def _poisoned(name, values, where):
    """The catalog's object, input and target for ``name``, their floating entries (``where``: the first ones,
    the last ones, all) set to ``values``."""
    lg.manualSeed(1)
    obj, x, target = catalog.build(name)
    catalog.refresh(name, obj)
    for t in leaves(x) + (leaves(target) if target is not None else []):
        if hasattr(t, 'dtype') and t.dtype.kind == 'f' and t.nElement() and t.isContiguous():
            flat = t.view(-1)
            if where == 'all':
                flat.fill(values[0])
            for i, v in enumerate(values[:flat.nElement()] if where != 'all' else []):
                flat[i if where == 'first' else flat.nElement() - 1 - i] = v
    return obj, x, target


def _warnings_of(name):
    """The RuntimeWarnings (message and the legonn line that led to it) of ``name``'s runs on each poison."""
    seen = []

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, RuntimeWarning):
            ours = [f for f in traceback.extract_stack() if '/legonn/' in f.filename]
            where = f"{ours[-1].filename.split('/legonn/')[-1]}:{ours[-1].lineno}" if ours else filename
            seen.append(f"{message} ({where})")

    for values, where in POISONS:
        obj, x, target = _poisoned(name, values, where)
        with warnings.catch_warnings():
            # pytest resets the filters around each test: legonn's is set again, below an 'always'
            warnings.simplefilter('always')
            warnings.filterwarnings('ignore', message=IEEE_MESSAGES, category=RuntimeWarning, module=r'legonn\.')
            warnings.showwarning = show
            try:
                with contextlib.redirect_stdout(io.StringIO()):   # the printing modules (PrintSize, Profile)
                    catalog.run(obj, x, target)
            except (ValueError, TypeError, IndexError, ZeroDivisionError, OverflowError):
                pass   # a clean refusal of a non-finite input is allowed (the sweep checks its message)
    return seen


@pytest.mark.parametrize('name', catalog.concrete_names())
def test_non_finite_inputs_give_no_warning(name):
    assert _warnings_of(name) == []
