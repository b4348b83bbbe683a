"""The closure interface every optimiser shares, and its input checks.

``x, fs = optim.<name>(opfunc, x, config, state)``: ``opfunc(x)`` returns
``(f, df/dx)`` at ``x``; ``x`` (a ``legonn.Tensor`` or a NumPy/CuPy array,
wrapped without copying) is updated in place; ``state`` defaults to
``config``, as in Torch7. The checks live here once, so every algorithm
rejects bad input the same way:

- a config key that looks like a typo of a known one warns (``difflib``); one that is
  itself a word of optim's vocabulary, or the name it resembles extended by further
  camelCase words, is deliberate and stays silent (see ``_misspelt``);
- a negative learning rate (or other non-negative hyper-parameter) raises
  ``ValueError``;
- a gradient of the wrong size raises ``ValueError``, of the wrong device or
  element type ``TypeError``;
- a NaN or infinite loss raises ``FloatingPointError``;

and in every case ``x`` is left exactly as it was before the failing call.
"""
import contextlib
import difflib
import functools
import math
import numbers
import sys
import threading
import warnings

from ..tensor import Tensor, as_tensor
from ..tensor import backend


@functools.cache
def _vocabulary():
    """Every config key some algorithm of this package reads: the ``DEFAULTS`` of its modules, all imported by
    ``legonn.optim`` before any algorithm can run."""
    prefix = __package__ + '.'
    return frozenset(key for name, module in list(sys.modules.items()) if name.startswith(prefix)
                     for key in getattr(module, 'DEFAULTS', ()))


def _misspelt(key, known):
    """The name of ``known`` that ``key`` reads as a misspelling of, or None.

    One rule: a key close to a known name is a typo unless it is a deliberate word, i.e. a name some algorithm
    of optim reads (Torch7 programs build one optimState for whichever algorithm an option names: pose-hg-train's
    ref.lua gives rmsprop sgd's ``learningRateDecay`` and ``momentum``) or the name it resembles followed by a
    further camelCase word (wide-residual-networks hands its whole ``opt``, ``learningRateDecayRatio``
    included, to sgd). ``maxIters`` and ``learningRateDecayratio`` are still typos; Torch7 ignores them all."""
    if key in _vocabulary():
        return None
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    if not close:
        return None
    name = close[0]
    extends = len(key) > len(name) and key.startswith(name) and key[len(name)].isupper()
    return None if extends else name


def settings(name, config, state, defaults, state_keys=(), nonnegative=()):
    """Resolve ``config`` against ``defaults`` and return ``(values, config, state)``.

    ``defaults`` maps every config key the algorithm reads to its Torch7 default
    (``None`` where Torch7's default depends on another key or means "absent");
    a key set to ``None`` by the user counts as absent, like a Lua ``nil``.
    """
    config = {} if config is None else config
    state = config if state is None else state
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise TypeError(f"optim.{name}: config and state must be dicts, got {type(config).__name__} "
                        f"and {type(state).__name__}")
    known = set(defaults) | set(state_keys)
    for key in config:
        if key in known or not isinstance(key, str):
            continue
        meant = _misspelt(key, known)
        if meant:
            warnings.warn(f"optim.{name}: unknown config key {key!r} is ignored; did you mean {meant!r}?",
                          stacklevel=3)
    values = dict(defaults)
    for key in defaults:
        if config.get(key) is not None:
            values[key] = config[key]
    for key in nonnegative:
        v = values.get(key)
        if isinstance(v, numbers.Real) and v < 0:
            raise ValueError(f"optim.{name}: config.{key} must be >= 0, got {v}")
    return values, config, state


def parameters(name, x):
    """``x`` as a floating-point ``legonn.Tensor`` (arrays wrapped without copying)."""
    try:
        x = as_tensor(x)
    except TypeError as err:
        raise TypeError(f"optim.{name}: x must be a legonn.Tensor or a NumPy/CuPy array, got "
                        f"{type(x).__name__}") from err
    if x.dtype.kind != 'f':
        raise TypeError(f"optim.{name}: x must be a floating-point tensor, got {x.type()}")
    return x


def loss_value(name, f, counter=None, handed_back=False):
    """``f`` as a Python float; a NaN or infinite loss raises ``FloatingPointError``. While lg.cuda.capture
    records a step, a device loss is returned as it is, unchecked: its value does not exist yet.

    ``handed_back``: the algorithm only returns the loss (Torch7's first-order methods return ``{fx}`` unread),
    so a tensor of several elements is accepted, checked finite and returned as a tensor, as Torch7 returns
    whatever ``opfunc`` gave (deepmask's TrainerDeepMask.lua hands sgd the trunk's output as its "loss")."""
    if isinstance(f, Tensor) or hasattr(f, 'shape'):
        if int(math.prod(f.shape)) != 1:
            if not handed_back:
                raise ValueError(f"optim.{name}: opfunc must return a scalar loss, got one of shape "
                                 f"{tuple(f.shape)}")
            f = as_tensor(f)
            if backend.recording() and f.is_cuda:
                return f
            if not bool(backend.array_module(f.array).isfinite(f.array).all()):
                raise FloatingPointError(f"optim.{name}: opfunc returned a loss with non-finite elements; x is "
                                         f"left as it was before this step")
            return f
        if backend.recording() and (getattr(f, 'is_cuda', False) or backend.is_cupy_array(f)):
            return f
        f = f.item()
    try:
        f = float(f)
    except (TypeError, ValueError) as err:
        raise TypeError(f"optim.{name}: opfunc must return a number as its loss, got {type(f).__name__}") from err
    if not math.isfinite(f):
        where = '' if counter is None else f" at evaluation {counter}"
        raise FloatingPointError(f"optim.{name}: opfunc returned a non-finite loss ({f}){where}; x is left as it "
                                 f"was before this step")
    return f


def gradient(name, x, g):
    """Check that ``g`` matches ``x`` (size, device, element type); returns it as a tensor shaped like ``x``."""
    try:
        g = as_tensor(g)
    except TypeError as err:
        raise TypeError(f"optim.{name}: opfunc must return (loss, gradient) with a tensor gradient, got "
                        f"{type(g).__name__}") from err
    if g.is_cuda != x.is_cuda:
        raise TypeError(f"optim.{name}: gradient is on the {'GPU' if g.is_cuda else 'CPU'} ({g.type()}) but x is on "
                        f"the {'GPU' if x.is_cuda else 'CPU'} ({x.type()})")
    if g.dtype != x.dtype:
        raise TypeError(f"optim.{name}: gradient is a {g.type()} but x is a {x.type()}")
    if g.nElement() != x.nElement():
        raise ValueError(f"optim.{name}: gradient has {g.nElement()} elements (sizes {tuple(g.size())}) but x has "
                         f"{x.nElement()} (sizes {tuple(x.size())})")
    if tuple(g.size()) != tuple(x.size()):
        g = Tensor._from_array(g.array.reshape(x.array.shape))
    return g


def evaluate(name, opfunc, x, counter=None, handed_back=False):
    """``(f, df/dx)`` from ``opfunc(x)``, both checked (``handed_back``: as ``loss_value``'s)."""
    out = opfunc(x)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"optim.{name}: opfunc(x) must return (loss, gradient), got {type(out).__name__}")
    f, g = out
    return loss_value(name, f, counter, handed_back), gradient(name, x, g)


def evaluate_loss(name, opfunc, x, counter=None):
    """The loss alone from ``opfunc(x)``, for methods that use no gradient (``opfunc`` may return ``f`` or
    ``(f, g)``)."""
    out = opfunc(x)
    if isinstance(out, (tuple, list)):
        out = out[0]
    return loss_value(name, out, counter)


def wrap(arr):
    """An array as a ``legonn.Tensor`` (no copy), for values kept in ``state`` or returned."""
    return Tensor._from_array(arr)


def buffer(name, state, key, like, copy=False, fill=0.0):
    """The state tensor ``state[key]`` shaped like ``like``; created (zeros, ``fill`` or a copy of ``like``) if absent.

    A buffer left from another run (other size or device) is an error, not a silent reallocation.
    """
    t = state.get(key)
    if t is None:
        xp = like.xp
        arr = xp.array(like.array, order='C', copy=True) if copy else xp.full(like.array.shape, fill, like.dtype)
        t = Tensor._from_array(arr)
        state[key] = t
        return t
    t = as_tensor(t)
    if t.nElement() != like.nElement() or t.is_cuda != like.is_cuda:
        raise ValueError(f"optim.{name}: state.{key} is a {t.type()} of {t.nElement()} elements but x is a "
                         f"{like.type()} of {like.nElement()}; start from a fresh state after moving or resizing x")
    if tuple(t.size()) != tuple(like.size()):
        t = Tensor._from_array(t.array.reshape(like.array.shape))
    return t


_scratch = threading.local()


def scratch(like):
    """A reusable array shaped like ``like`` for one update's intermediate products.

    NumPy has no in-place ``x += a*y``; multiplying into this array first keeps a
    step on millions of parameters free of fresh allocations. One per thread and
    (shape, dtype, device): optimisers running in parallel threads never share one.
    """
    arr = like.array
    key = (arr.shape, arr.dtype, like.is_cuda)
    cache = getattr(_scratch, 'arrays', None)
    if cache is None:
        cache = _scratch.arrays = {}
    buf = cache.get(key)
    if buf is None:
        if len(cache) > 4:   # a long session over many shapes keeps only recent ones
            cache.clear()
        buf = cache[key] = like.xp.empty(arr.shape, arr.dtype)
    return buf


def _addc_into(combine, r, value, t1, t2, tmp):
    """``r += combine(value * t1, t2)`` with ``tmp`` (a scratch array like ``r``, see ``scratch``) holding the term:
    TH's addcmul/addcdiv order. Scaling t1 first, not the product or quotient, gives Torch7's last bit, and an
    optimiser repeats a last-bit error at every step. The Tensor methods (tensor/pointwise.py ``_addc``) round
    alike but allocate their temporaries."""
    xp = backend.array_module(r)
    xp.multiply(t1, value, out=tmp)
    getattr(xp, combine)(tmp, t2, out=tmp)
    r += tmp
    return r


def addcmul_into(r, value, t1, t2, tmp):
    """``r += value * t1 * t2`` (arrays of one shape) rounded as TH's ``addcmul``: ``(value * t1) * t2``."""
    return _addc_into('multiply', r, value, t1, t2, tmp)


def add_weight_decay(g, x, wd, tmp):
    """``g += wd * x`` (arrays of one shape): the ``weightDecay`` term the optimisers add to the gradient (the
    Lua's ``dfdx:add(wd, x)``), its product held in ``tmp`` (see ``scratch``); nothing when ``wd`` is 0."""
    if wd != 0:
        backend.array_module(g).multiply(x, wd, out=tmp)
        g += tmp
    return g


def addcdiv_into(r, value, t1, t2, tmp):
    """``r += value * t1 / t2`` rounded as TH's ``addcdiv``: ``(value * t1) / t2``."""
    return _addc_into('divide', r, value, t1, t2, tmp)


@contextlib.contextmanager
def restoring(x, state, contents=()):
    """Put ``x`` and the top level of ``state`` back as they were if the block raises.

    For algorithms that move ``x`` between evaluations (line searches, lbfgs, cg, ...). ``contents``: the
    keys of state tensors the block writes in place before it can still fail (rprop's step sizes after its
    first of ``niter`` evaluations, lbfgs' ``d`` and ``g_old``); their values are copied and written back
    too, so a retried call starts from the state the failed one found.
    """
    saved_x = x.xp.array(x.array, copy=True)
    saved_state = dict(state)
    saved_contents = {key: as_tensor(state[key]).array.copy() for key in contents if state.get(key) is not None}
    try:
        yield
    except BaseException:
        x.array[...] = saved_x
        state.clear()
        state.update(saved_state)
        for key, values in saved_contents.items():
            as_tensor(state[key]).array[...] = values
        raise


def entries(name, key, value, like):
    """A per-element hyper-parameter (``learningRates``, ``weightDecays``) as an array on ``like``'s device."""
    t = as_tensor(value)
    if t.nElement() != like.nElement():
        raise ValueError(f"optim.{name}: config.{key} has {t.nElement()} elements but x has {like.nElement()}")
    if t.is_cuda != like.is_cuda:
        raise TypeError(f"optim.{name}: config.{key} is a {t.type()} but x is a {like.type()}")
    return t.array.reshape(like.array.shape)
