"""nninit's element-wise initialisers: fill, shift or scale a tensor by constants or random draws.

Each takes ``(module, tensor, ...)``, changes ``tensor`` in place and returns ``module``. The random ones
draw from legonn's generators on the tensor's own device and type.
"""
from ..tensor import as_tensor, randperm


def copy(module, tensor, init):
    """Copy ``init`` (a tensor or array of as many elements) into ``tensor``."""
    tensor.copy(as_tensor(init))
    return module


def constant(module, tensor, val):
    """Fill ``tensor`` with ``val``."""
    tensor.fill(val)
    return module


def addConstant(module, tensor, val):
    """Add ``val`` to every element of ``tensor``."""
    tensor.add(val)
    return module


def mulConstant(module, tensor, val):
    """Multiply every element of ``tensor`` by ``val``."""
    tensor.mul(val)
    return module


def normal(module, tensor, mean, stdv):
    """Fill ``tensor`` with draws of N(mean, stdv^2)."""
    tensor.normal(mean, stdv)
    return module


def addNormal(module, tensor, mean, stdv):
    """Add draws of N(mean, stdv^2) to ``tensor``."""
    tensor.add(tensor.new(tensor.size()).normal(mean, stdv))
    return module


def uniform(module, tensor, a, b):
    """Fill ``tensor`` with draws of U(a, b)."""
    tensor.uniform(a, b)
    return module


def addUniform(module, tensor, a, b):
    """Add draws of U(a, b) to ``tensor``."""
    tensor.add(tensor.new(tensor.size()).uniform(a, b))
    return module


def sparse(module, tensor, sparsity):
    """Zero ``floor(sparsity * n)`` of the ``n`` elements of ``tensor``, chosen at random (a contiguous tensor,
    as nninit views it flat). nninit's README says the opposite share is zeroed; its code, followed here,
    zeroes this one."""
    if not isinstance(sparsity, (int, float)) or not 0 <= sparsity <= 1:
        raise ValueError(f"nninit.sparse: sparsity must be a number in [0, 1], got {sparsity!r}")
    n = tensor.nElement()
    count = int(sparsity * n)
    if count:
        tensor.view(n).indexFill(0, randperm(n).narrow(0, 0, count), 0)
    return module
