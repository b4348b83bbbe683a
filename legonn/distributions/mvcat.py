"""distributions.mvcat (mvcat.lua): categorical sampling for each row of a matrix of probabilities at once.
Indices are 0-based, as in distributions.cat."""
import numpy as np

from ..tensor.tensor import Tensor
from . import cat
from .values import is_number, is_tensor


def pdf(*args):
    """Not implemented in torch-distributions (mvcat.lua raises too)."""
    raise NotImplementedError("distributions.mvcat.pdf: not implemented (as in torch-distributions)")


def logpdf(*args):
    """Not implemented in torch-distributions (mvcat.lua raises too)."""
    raise NotImplementedError("distributions.mvcat.logpdf: not implemented (as in torch-distributions)")


def _index_result(x, p, options):
    if not is_tensor(p) or p.dim() != 2:
        raise TypeError('distributions.mvcat.rnd: requires a matrix of probabilities, got '
                        f'{p.type() + " of " + str(p.dim()) + "D" if is_tensor(p) else type(p).__name__}')
    if options and options.get('categories') is not None:
        raise ValueError('distributions.mvcat.rnd: does not support categories, can only return integers')
    rows = p.size(0)
    if is_number(x):
        return Tensor._from_array(p.xp.zeros((rows, int(x)), dtype=np.int64))
    if is_tensor(x):
        if x.dim() != 2:
            raise ValueError(f'distributions.mvcat.rnd: requires a matrix as a result tensor, got {x.dim()}D')
        if x.size(0) != rows:
            raise ValueError(f'distributions.mvcat.rnd: result tensor must match the number of rows of the '
                             f'probability matrix ({rows}), got {x.size(0)}')
        return x
    raise TypeError(f"distributions.mvcat.rnd: expected a number of samples or a result tensor, got "
                    f"{type(x).__name__}")


def rnd(*args):
    """``rnd([N | result,] p [, options])``: for each row r of the R x K matrix ``p``, N (default 1) categories
    drawn with probabilities proportional to ``p[r]``: an R x N LongTensor (or the R x N tensor ``result``)."""
    n, p, options = cat.arguments('mvcat.rnd', args)
    I = _index_result(n, p, options)
    for r in range(p.size(0)):
        cat.rnd(I.select(0, r), p.select(0, r), options)
    return I
