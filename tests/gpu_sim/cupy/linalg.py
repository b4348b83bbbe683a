"""cupy.linalg on the host: NumPy's functions of the names CuPy has, on simulated arrays."""
import numpy as np

from ._namespace import _function

for _name in ('norm', 'eigh', 'eigvalsh', 'inv', 'pinv', 'solve', 'det', 'slogdet', 'qr', 'svd', 'cholesky',
              'lstsq', 'matrix_power', 'matrix_rank', 'tensorsolve', 'tensorinv'):
    globals()[_name] = _function(_name, getattr(np.linalg, _name))
