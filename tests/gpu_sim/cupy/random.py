"""cupy.random on the host: CuPy's RandomState interface over NumPy's generator. The numbers differ from the
GPU's (cuRAND), as they may between any two generators; shapes, dtypes and ranges follow CuPy."""
import numpy as np

from ._array import device_call


class RandomState:
    """Draws device arrays; ``size`` as in NumPy, ``dtype`` float64 unless given (as in CuPy)."""

    def __init__(self, seed=None):
        self._gen = np.random.RandomState(self._legacy_seed(seed))

    def seed(self, seed=None):
        self._gen = np.random.RandomState(self._legacy_seed(seed))

    @staticmethod
    def _legacy_seed(seed):
        """CuPy's seeds: integers in [0, 2^64) (its RandomState.seed's check); NumPy's legacy generator takes
        32 bits, so a larger seed seeds an MT19937 from its SeedSequence."""
        if seed is None:
            return None
        seed = int(seed)
        if seed < 0 or seed >= 2 ** 64:
            raise ValueError('Seed must be an integer between 0 and 2**64 - 1')
        return seed if seed < 2 ** 32 else np.random.MT19937(seed)

    def _draw(self, name, *args, dtype=None, **kwargs):
        def draw():
            values = getattr(self._gen, name)(*args, **kwargs)
            return np.asarray(values, dtype=dtype) if dtype is not None else np.asarray(values)
        return device_call(draw, what=f'random.{name}')

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        return self._draw('uniform', low, high, size, dtype=dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        return self._draw('normal', loc, scale, size, dtype=dtype)

    def standard_normal(self, size=None, dtype=float):
        return self._draw('standard_normal', size, dtype=dtype)

    def random_sample(self, size=None, dtype=float):
        return self._draw('random_sample', size, dtype=dtype)

    def rand(self, *size, dtype=float):
        return self.random_sample(size or None, dtype=dtype)

    def randn(self, *size, dtype=float):
        return self.standard_normal(size or None, dtype=dtype)

    def randint(self, low, high=None, size=None, dtype=int):
        return self._draw('randint', low, high, size, dtype=dtype)

    def gamma(self, shape, scale=1.0, size=None, dtype=float):
        # the parameters may be device arrays (CuPy broadcasts them), so they go through device_call
        def draw(shape, scale):
            return np.asarray(self._gen.gamma(shape, scale, size), dtype=dtype)
        return device_call(draw, (shape, scale), what='random.gamma')

    def exponential(self, scale=1.0, size=None, dtype=float):
        return self._draw('exponential', scale, size, dtype=dtype)

    def geometric(self, p, size=None, dtype=int):
        return self._draw('geometric', p, size, dtype=dtype)

    def lognormal(self, mean=0.0, sigma=1.0, size=None, dtype=float):
        return self._draw('lognormal', mean, sigma, size, dtype=dtype)

    def permutation(self, num):
        return self._draw('permutation', num)

    def shuffle(self, a):
        device_call(self._gen.shuffle, (a,))


_default = RandomState()


def seed(seed=None):
    _default.seed(seed)


def get_random_state():
    return _default


for _name in ('uniform', 'normal', 'standard_normal', 'random_sample', 'rand', 'randn', 'randint', 'gamma',
              'exponential', 'geometric', 'lognormal', 'permutation', 'shuffle'):
    globals()[_name] = getattr(_default, _name)
