"""Which samples of an input are padding: the rows of zeros that rnn's MaskZero, TrimZero, MaskZeroCriterion
and the masking SeqLSTM/SeqGRU skip."""
import numpy as np

from ...tensor import Tensor
from .errors import input_error
from .table_buffers import describe


def first_tensor(tree):
    """The first tensor of a tensor or (nested) table, depth first; None when it holds none."""
    if isinstance(tree, list):
        for entry in tree:
            found = first_tensor(entry)
            if found is not None:
                return found
        return None
    return tree if isinstance(tree, Tensor) else None


def zero_rows(owner, input, nInputDim):
    """(batch, zero): whether the first tensor of ``input`` (depth first) is a batch, having ``nInputDim`` + 1
    dimensions rather than ``nInputDim``, and a boolean array of its rows (one for a single sample) that are all
    zeros. A row is zero when its L2 norm is, as the Lua files test it (``zero_norm``). The tensor must be on
    ``owner``'s device; errors name ``owner``."""
    x = first_tensor(input)
    if x is None:
        raise input_error(owner, "a tensor input or a table holding one", describe(input), TypeError)
    if x._cuda != owner._type.startswith('legonn.Cuda'):
        raise input_error(owner, f"a first input tensor on the module's device ({owner._type})", x._typename, TypeError)
    if x.dim() == nInputDim:
        batch, rows = False, x.array.reshape(1, -1)
    elif x.dim() == nInputDim + 1:
        batch, rows = True, x.array.reshape(x.size(0), -1)
    else:
        raise input_error(owner, f"a first input tensor of {nInputDim} dimensions, or {nInputDim + 1} for a batch "
                          f"(nInputDim {nInputDim})", f"{x.dim()}-D of size {tuple(x.size())}")
    return batch, zero_norm(rows)


def zero_norm(rows):
    """A boolean array over the rows of the 2-D array ``rows``: true where the row's L2 norm is 0, the squares
    summed in double precision as TH's norm does (so a float64 square that underflows counts as zero)."""
    square = rows.astype(np.float64, copy=False) ** 2
    return square.sum(axis=1) == 0
