"""Test objectives for the optimisers: Rosenbrock (2-D and 10-D) and a random convex quadratic, float64.

Each ``opfunc(x)`` takes a legonn Tensor (or an array) and returns ``(f, df/dx)``
with a fresh NumPy gradient, as a user's closure would.
"""
import numpy as np


def _arr(x):
    return np.asarray(x.array if hasattr(x, 'array') else x)


def rosenbrock(x):
    a = _arr(x)
    f = float(np.sum(100 * (a[1:] - a[:-1] ** 2) ** 2 + (1 - a[:-1]) ** 2))
    g = np.zeros_like(a)
    g[:-1] = -400 * a[:-1] * (a[1:] - a[:-1] ** 2) - 2 * (1 - a[:-1])
    g[1:] += 200 * (a[1:] - a[:-1] ** 2)
    return f, g


def quadratic(n=6, seed=3):
    """``f(x) = 0.5 x'Ax - b'x`` with A symmetric positive definite; returns (opfunc, minimiser)."""
    rng = np.random.RandomState(seed)
    M = rng.randn(n, n)
    A = M @ M.T / n + np.eye(n)
    b = rng.randn(n)

    def opfunc(x):
        a = _arr(x)
        return float(0.5 * a @ A @ a - b @ a), A @ a - b
    return opfunc, np.linalg.solve(A, b)


# (name, opfunc, starting point)
PROBLEMS = [
    ('rosenbrock2', rosenbrock, np.array([-1.2, 1.0])),
    ('rosenbrock10', rosenbrock, np.linspace(-0.5, 0.8, 10)),
    ('quadratic', quadratic()[0], np.linspace(1.0, -1.0, 6)),
]
