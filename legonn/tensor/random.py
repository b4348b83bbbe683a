"""The random number generators behind ``uniform``, ``normal``, ``bernoulli`` ... .

One NumPy generator for CPU tensors and one CuPy generator for GPU tensors,
both seeded by ``manualSeed`` so a seeded run is reproducible.

Each worker of ``legonn.threads`` has generators of its own, as each Torch7
thread has (every thread's Lua state makes its own ``torch._gen``, random.lua,
seeded from /dev/urandom by THGenerator_new): ``manualSeed`` in a worker
seeds that worker's stream only (fb.resnet.torch's data loader seeds thread
``idx`` with ``manualSeed + idx``), and the main thread's stream is not
touched by the workers. Other threads use the main generators.
"""
import contextlib
import functools
import numbers
import os
import threading
import time
import weakref

import numpy as np

from . import backend

_main = {'seed': 0, 'cpu': np.random.Generator(np.random.PCG64(0)), 'gpu': None}
_worker = threading.local()   # .state: a threads worker's own generators


def _state():
    return getattr(_worker, 'using', None) or getattr(_worker, 'state', None) or _main


def _seeded(seed):
    # 'gpu_seed': the GPU stream's own seed once cutorch.manualSeed set one (None: it follows 'seed')
    return {'seed': seed, 'cpu': np.random.Generator(np.random.PCG64(seed)), 'gpu': None, 'gpu_seed': None}


def _entropy_seed():
    return int.from_bytes(os.urandom(8), 'little') >> 1


class Generator:
    """Torch7's ``torch.Generator()``: a random stream with a state of its own, seeded from the OS's entropy as
    THGenerator_new seeds it. Passed as the first argument of ``rand``, ``randn``, ``randperm``, the tensor
    methods ``uniform``, ``normal``, ``random``, ... and ``manualSeed``, ``seed``, ``initialSeed``,
    ``getRNGState``, ``setRNGState``, ``random``, ``uniform``, ..., it draws from (or seeds) this stream and leaves
    the global one alone: the same seed gives the same numbers in both.

    Like Torch7's, it can be saved (``lg.serialize``, ``lg.save``) and copied: its ``__dict__`` holds the
    stream's seed and position as plain values (``seed``, ``position``), brought up to date after each use,
    and the live NumPy generator is kept apart and rebuilt from them in a loaded or copied Generator."""

    _streams = weakref.WeakKeyDictionary()   # Generator -> its live stream (a dict as _seeded's)

    def __init__(self):
        Generator._streams[self] = _seeded(_entropy_seed())
        self._record()

    @property
    def _state(self):
        stream = Generator._streams.get(self)
        if stream is None:   # loaded or copied: the stream continues from the recorded position
            stream = _seeded(self.seed)
            stream['cpu'].bit_generator.state = self.position
            Generator._streams[self] = stream
        return stream

    def _record(self):
        """Copy the live stream's seed and position into the saved fields."""
        stream = self._state
        self.seed, self.position = stream['seed'], stream['cpu'].bit_generator.state

    @contextlib.contextmanager
    def _active(self):
        """Draws in this thread come from this generator until the block ends."""
        previous = getattr(_worker, 'using', None)
        _worker.using = self._state
        try:
            yield
        finally:
            _worker.using = previous
            self._record()

    def __repr__(self):
        return 'legonn.Generator'


def with_generator(fn):
    """Let ``fn`` take Torch7's optional leading Generator argument: the call then draws from it."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for i, a in enumerate(args[:2]):   # a method's generator follows self
            if isinstance(a, Generator):
                with a._active():
                    return fn(*args[:i], *args[i + 1:], **kwargs)
        return fn(*args, **kwargs)
    return wrapper


def _on(args, name, n):
    """(state, rest) for Torch7's ``f([gen,] ...)`` with ``n`` arguments after the optional generator."""
    if args and isinstance(args[0], Generator):
        state, args = args[0]._state, args[1:]
    else:
        state = _state()
    if len(args) != n:
        raise TypeError(f"legonn.{name}: expected ([generator,] {n} argument{'s' * (n != 1)}), got {len(args)}")
    return state, args


def _recorded(fn):
    """Let ``fn``, which may reseed or reset a Generator given first, record its new state afterwards."""
    @functools.wraps(fn)
    def wrapper(*args):
        result = fn(*args)
        if args and isinstance(args[0], Generator):
            args[0]._record()
        return result
    return wrapper


def torch_seed(seed):
    """The unsigned 64-bit seed Torch7's C gets for the Lua number ``seed``: the double lua_tonumber reads,
    truncated toward zero by C's (long) cast (cwrap types.lua's number read, torch.manualSeed's "long" argument),
    taken modulo 2^64 as THRandom_manualSeed's unsigned long parameter: -1 is 2^64 - 1, 1.5 is 1, 2^53 + 1 is
    2^53. A double outside the long range (inf and NaN too) gives what x86-64's conversion gives, 2^63 (C leaves
    it undefined)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Real):
        raise TypeError(f"legonn.manualSeed: expected a number seed, got {type(seed).__name__}")
    value = float(seed)
    as_long = int(value) if -2.0 ** 63 <= value < 2.0 ** 63 else -2 ** 63
    return as_long % 2 ** 64


def _as_long(seed):
    """An unsigned 64-bit seed as the C long torch.initialSeed returns it (THRandom_initialSeed's unsigned long
    through cwrap's (long))."""
    return seed - 2 ** 64 if seed >= 2 ** 63 else seed


@_recorded
def manualSeed(*args):
    """``manualSeed([gen,] seed)``: seed the CPU generator (and the GPU one, when CuPy is in use) of this thread's
    stream, or of ``gen``, with ``seed`` as Torch7's C receives it (``torch_seed``: -1 seeds as 2^64 - 1, and
    ``initialSeed()`` gives -1 back)."""
    state, (seed,) = _on(args, 'manualSeed', 1)
    state.update(_seeded(torch_seed(seed)))


def manualSeedCuda(seed):
    """cutorch's ``manualSeed(seed)``: seed the GPU generator of this thread's stream only (the CPU one stays),
    ``seed`` mapped as ``manualSeed`` maps it."""
    state = _state()
    state['gpu_seed'] = torch_seed(seed)
    state['gpu'] = backend.cupy().random.RandomState(state['gpu_seed'])


def initialSeedCuda():
    """cutorch's ``initialSeed()``: the seed of this thread's GPU generator: the last cutorch.manualSeed's, or else
    legonn.manualSeed's (which seeds both generators)."""
    state = _state()
    return state['seed'] if state.get('gpu_seed') is None else state['gpu_seed']


def getRNGStateCuda():
    """cutorch's ``getRNGState()``: the GPU generator's state, a dict ``setRNGStateCuda`` restores. CuPy's generator
    shows no state to copy, so the stream is re-seeded here from its own next number and the state keeps that seed
    (and the initial seed, which cutorch's state holds too): after a restore the same numbers come again."""
    state = _state()
    stream_seed = int(generator(True).randint(0, 2 ** 31 - 1))
    seed = initialSeedCuda()
    state['gpu'], state['gpu_seed'] = backend.cupy().random.RandomState(stream_seed), seed
    return {'streamSeed': stream_seed, 'initialSeed': seed}


def setRNGStateCuda(rng):
    """cutorch's ``setRNGState(state)``: put the GPU generator back where ``getRNGStateCuda`` found it, its initial
    seed included; returns ``rng``."""
    state = _state()
    state['gpu'], state['gpu_seed'] = backend.cupy().random.RandomState(rng['streamSeed']), rng['initialSeed']
    return rng


def own_generator():
    """Give the calling thread (a threads worker) generators of its own, seeded from the OS's entropy as
    Torch7 seeds each thread's (THRandom_seed reads /dev/urandom); returns the seed."""
    seed = _entropy_seed()
    _worker.state = _seeded(seed)
    return seed


@_recorded
def seed(*args):
    """``seed([gen])``: seed from the clock, return the seed used."""
    state, _ = _on(args, 'seed', 0)
    s = time.time_ns() % (2 ** 63)
    state.update(_seeded(s))
    return s


def initialSeed(*args):
    """``initialSeed([gen])``: the seed the CPU generator (or ``gen``) was last seeded with, as Torch7's C long
    (``manualSeed(-1)`` gives -1)."""
    return _as_long(_on(args, 'initialSeed', 0)[0]['seed'])


def getRNGState(*args):
    """``getRNGState([gen])``: the CPU generator's state, its initial seed included (a dict that ``setRNGState``
    restores)."""
    current = _on(args, 'getRNGState', 0)[0]
    return dict(current['cpu'].bit_generator.state, initialSeed=current['seed'])


@_recorded
def setRNGState(*args):
    """``setRNGState([gen,] state)``: restore the CPU generator (or ``gen``) to a state ``getRNGState`` returned
    (the initial seed too, as Torch7's THGenerator_copy; a state saved without it keeps the current one); returns
    ``state``."""
    current, (state,) = _on(args, 'setRNGState', 1)
    generator_state = dict(state)
    seed = generator_state.pop('initialSeed', None)
    current['cpu'].bit_generator.state = generator_state
    if seed is not None:
        current['seed'] = seed
    return state


def generator(cuda=False):
    """The NumPy Generator, or the CuPy RandomState for GPU tensors."""
    current = _state()
    if not cuda:
        return current['cpu']
    if current['gpu'] is None:
        current['gpu'] = backend.cupy().random.RandomState(current['seed'])
    return current['gpu']


def _random_bound(dtype):
    """The exclusive end of ``x.random()``: THTensor_(random) takes THRandom_random's 32 bits modulo the type's
    range, so [0, 2^32) for Long and Double tensors, [0, 2^24] for Float, [0, max] for the smaller integers."""
    if dtype.kind == 'f':
        return min(2 ** 32, 2 ** (np.finfo(dtype).nmant + 1) + 1)
    return min(2 ** 32, int(np.iinfo(dtype).max) + 1)


def _check_positive_std(tensor, name, std):
    if not std > 0:
        raise ValueError(f"{tensor._typename}.{name}: standard deviation must be strictly positive, got {std!r}")


class RandomMixin:
    __slots__ = ()

    def _fill_with(self, values):
        self.array[...] = values
        return self

    @with_generator
    def uniform(self, a=0.0, b=1.0):
        """Fill with samples a + (b - a) u, u from U[0, 1) (THRandom_uniform's formula: b < a is allowed)."""
        u = generator(self._cuda).uniform(size=self._size)
        u *= b - a   # in place: the same values as a + (b - a) * u without two more arrays of the tensor's size
        u += a
        return self._fill_with(u)

    @with_generator
    def normal(self, mean=0.0, std=1.0):
        """Fill with samples from N(mean, std^2); std must be positive, as THRandom_normal checks."""
        _check_positive_std(self, 'normal', std)
        return self._fill_with(generator(self._cuda).normal(mean, std, size=self._size))

    @with_generator
    def bernoulli(self, p=0.5):
        """Fill with 1 with probability ``p`` (a number or a tensor of probabilities), else 0."""
        from .pointwise import _broadcasts_into, operand
        p = operand(p)
        if hasattr(p, 'shape') and not (_broadcasts_into(p.shape, self._size)
                                        and backend.is_cupy_array(p) == self._cuda):
            # THTensor_(bernoulli_DoubleTensor) walks p and self together: as many elements pair in order (and
            # _same_count refuses probabilities on the other device by name)
            p = self._same_count(p, 'bernoulli')
        # THRandom_bernoulli checks each probability (the tensor form calls it per element)
        if not bool(self.xp.all((p >= 0) & (p <= 1))):
            raise ValueError(f"{self._typename}.bernoulli: the probability must be >= 0 and <= 1, got "
                             f"{p if isinstance(p, numbers.Number) else 'a tensor with values outside'}")
        return self._fill_with(generator(self._cuda).uniform(size=self._size) < p)

    @with_generator
    def random(self, a=None, b=None):
        """Integers: ``random(b)`` in [0, b), ``random(a, b)`` in [a, b) (0-based, like the Python range)."""
        if a is None:
            a, b = 0, _random_bound(self.dtype)
        elif b is None:
            a, b = 0, a
        a, b = int(a), int(b)   # TensorMath.lua reads the bounds as C longs: 2.5 is 2, -2.5 is -2
        if b <= a:
            raise ValueError(f"{self._typename}.random: empty range [{a}, {b})")
        gen = generator(self._cuda)
        values = gen.integers(a, b, size=self._size) if not self._cuda else gen.randint(a, b, size=self._size)
        return self._fill_with(values)

    @with_generator
    def exponential(self, lambd=1.0):
        """Fill in place with exponential samples of rate ``lambd`` (positive); returns self."""
        if not lambd > 0:   # THRandom_exponential has no check: its -1/lambda * log(1 - u) is no sample then
            raise ValueError(f"{self._typename}.exponential: the rate lambda must be positive, got {lambd!r}")
        return self._fill_with(generator(self._cuda).exponential(1.0 / lambd, size=self._size))

    @with_generator
    def geometric(self, p=0.5):
        """Fill in place with Torch7's geometric samples: on CPU tensors P(i) = (1 - p) p^(i-1) for i = 1, 2, ...
        (THRandom's ``floor(log(1 - u) / log(p)) + 1``: ``p`` is the chance to go on, mean 1 / (1 - p)); on CUDA
        tensors P(i) = p (1 - p)^(i-1), as cutorch's (THCTensorRandom.cu's ``ceil(log(u) / log(1 - p))``: ``p`` is
        the chance to stop, mean 1 / p); returns self."""
        if not 0 < p < 1:
            raise ValueError(f"{self._typename}.geometric: p must lie in (0, 1), got {p!r}")
        # NumPy's and CuPy's parameter is the chance to stop
        return self._fill_with(generator(self._cuda).geometric(p if self._cuda else 1 - p, size=self._size))

    @with_generator
    def logNormal(self, mean=1.0, std=2.0):
        """Fill in place with samples whose logarithm is normal(``mean``, ``std``), std positive as
        THRandom_logNormal checks; returns self."""
        _check_positive_std(self, 'logNormal', std)
        return self._fill_with(generator(self._cuda).lognormal(mean, std, size=self._size))

    def multinomial(self, *args):
        """``p.multinomial(n [, replacement])`` is ``legonn.multinomial(p, n, replacement)``; with a leading tensor,
        ``p.multinomial(res, p, n [, replacement])`` fills the LongTensor ``res``: the form maths.md gives for a
        result, since Lua's ``p.multinomial`` is the method table's function taking every argument."""
        from .sampling import multinomial
        if args and hasattr(args[0], 'storageOffset'):
            return multinomial(*args)
        return multinomial(self, *args)

    @with_generator
    def cauchy(self, median=0.0, sigma=1.0):
        """Fill in place with Cauchy samples of location ``median`` and scale ``sigma``; returns self."""
        u = generator(self._cuda).uniform(size=self._size)
        return self._fill_with(median + sigma * self.xp.tan(np.pi * (u - 0.5)))


def _scalar_draw(method, typename):
    def draw(*args):
        from .tensor import TENSOR_CLASSES, Tensor
        if args and isinstance(args[0], Tensor):
            # TensorMath.lua's other form, torch.bernoulli(x, p): x filled in place and returned
            return getattr(args[0], method)(*args[1:])
        return getattr(TENSOR_CLASSES[typename](1), method)(*args).array[0].item()
    draw.__name__ = method
    draw.__doc__ = (f"Torch7's ``torch.{method}(...)``: one number drawn as ``{typename}(1):{method}(...)`` draws "
                    f"it, from the CPU generator; ``torch.{method}(x, ...)`` fills the tensor ``x`` as "
                    f"``x:{method}(...)`` and returns it.")
    return draw


# torch.random/uniform/normal/...: one number from the CPU generator, with the tensor methods' arguments
SCALAR_DRAWS = {method: _scalar_draw(method, typename) for method, typename in (
    ('random', 'LongTensor'), ('uniform', 'DoubleTensor'), ('normal', 'DoubleTensor'),
    ('bernoulli', 'LongTensor'), ('exponential', 'DoubleTensor'), ('geometric', 'LongTensor'),
    ('cauchy', 'DoubleTensor'), ('logNormal', 'DoubleTensor'))}
