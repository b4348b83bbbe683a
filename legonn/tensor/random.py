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
import os
import threading
import time

import numpy as np

from . import backend

_main = {'seed': 0, 'cpu': np.random.Generator(np.random.PCG64(0)), 'gpu': None}
_worker = threading.local()   # .state: a threads worker's own generators


def _state():
    return getattr(_worker, 'state', None) or _main


def _seeded(seed):
    return {'seed': seed, 'cpu': np.random.Generator(np.random.PCG64(seed)), 'gpu': None}


def manualSeed(seed):
    """Seed the CPU generator (and the GPU one, when CuPy is in use) of this thread's stream."""
    _state().update(_seeded(int(seed)))


def own_generator():
    """Give the calling thread (a threads worker) generators of its own, seeded from the OS's entropy as
    Torch7 seeds each thread's (THRandom_seed reads /dev/urandom); returns the seed."""
    seed = int.from_bytes(os.urandom(8), 'little') >> 1
    _worker.state = _seeded(seed)
    return seed


def seed():
    """Seed from the clock, return the seed used."""
    s = time.time_ns() % (2 ** 63)
    manualSeed(s)
    return s


def initialSeed():
    """The seed legonn's CPU generator was last seeded with (``manualSeed`` or ``seed``)."""
    return _state()['seed']


def getRNGState():
    """The CPU generator's state, its initial seed included (a dict that ``setRNGState`` restores)."""
    current = _state()
    return dict(current['cpu'].bit_generator.state, initialSeed=current['seed'])


def setRNGState(state):
    """Restore the CPU generator to a state ``getRNGState`` returned (the initial seed too, as Torch7's
    THGenerator_copy; a state saved without it keeps the current one); returns ``state``."""
    generator_state = dict(state)
    seed = generator_state.pop('initialSeed', None)
    current = _state()
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


class RandomMixin:
    __slots__ = ()

    def _fill_with(self, values):
        self.array[...] = values
        return self

    def uniform(self, a=0.0, b=1.0):
        """Fill with samples from U[a, b)."""
        return self._fill_with(generator(self._cuda).uniform(a, b, size=self._size))

    def normal(self, mean=0.0, std=1.0):
        """Fill with samples from N(mean, std^2)."""
        return self._fill_with(generator(self._cuda).normal(mean, std, size=self._size))

    def bernoulli(self, p=0.5):
        """Fill with 1 with probability ``p`` (a number or a tensor of probabilities), else 0."""
        from .pointwise import operand
        p = operand(p)
        return self._fill_with(generator(self._cuda).uniform(size=self._size) < p)

    def random(self, a=None, b=None):
        """Integers: ``random(b)`` in [0, b), ``random(a, b)`` in [a, b) (0-based, like the Python range)."""
        if a is None:
            a, b = 0, 2 ** 24 if self.dtype.kind == 'f' else np.iinfo(self.dtype).max
        elif b is None:
            a, b = 0, a
        if b <= a:
            raise ValueError(f"{self._typename}.random: empty range [{a}, {b})")
        gen = generator(self._cuda)
        values = gen.integers(a, b, size=self._size) if not self._cuda else gen.randint(a, b, size=self._size)
        return self._fill_with(values)

    def exponential(self, lambd=1.0):
        """Fill in place with exponential samples of rate ``lambd``; returns self."""
        return self._fill_with(generator(self._cuda).exponential(1.0 / lambd, size=self._size))

    def geometric(self, p=0.5):
        """Fill in place with Torch7's geometric samples: P(i) = (1 - p) p^(i-1) for i = 1, 2, ... (THRandom's
        ``floor(log(1 - u) / log(p)) + 1``: ``p`` is the chance to go on, mean 1 / (1 - p)); returns self."""
        if not 0 < p < 1:
            raise ValueError(f"{self._typename}.geometric: p must lie in (0, 1), got {p!r}")
        # NumPy's and CuPy's parameter is the chance to stop
        return self._fill_with(generator(self._cuda).geometric(1 - p, size=self._size))

    def logNormal(self, mean=1.0, std=2.0):
        """Fill in place with samples whose logarithm is normal(``mean``, ``std``); returns self."""
        return self._fill_with(generator(self._cuda).lognormal(mean, std, size=self._size))

    def cauchy(self, median=0.0, sigma=1.0):
        """Fill in place with Cauchy samples of location ``median`` and scale ``sigma``; returns self."""
        u = generator(self._cuda).uniform(size=self._size)
        return self._fill_with(median + sigma * self.xp.tan(np.pi * (u - 0.5)))


def _scalar_draw(method, typename):
    def draw(*args):
        from .tensor import TENSOR_CLASSES
        return getattr(TENSOR_CLASSES[typename](1), method)(*args).array[0].item()
    draw.__name__ = method
    draw.__doc__ = (f"Torch7's ``torch.{method}(...)``: one number drawn as ``{typename}(1):{method}(...)`` draws "
                    f"it, from the CPU generator.")
    return draw


# torch.random/uniform/normal/...: one number from the CPU generator, with the tensor methods' arguments
SCALAR_DRAWS = {method: _scalar_draw(method, typename) for method, typename in (
    ('random', 'LongTensor'), ('uniform', 'DoubleTensor'), ('normal', 'DoubleTensor'),
    ('bernoulli', 'LongTensor'), ('exponential', 'DoubleTensor'), ('geometric', 'LongTensor'),
    ('cauchy', 'DoubleTensor'), ('logNormal', 'DoubleTensor'))}
