"""Tables (Python lists, nested) as module inputs, outputs and buffers.

Table modules keep their table-valued ``output``/``gradInput`` as lists
whose tensors are reused from call to call (``slot``, ``trim``), and build
gradients that mirror an input's nesting (``zero_mirror``).
"""
import numpy as np

from ...tensor import Tensor, cuda_kernels
from .errors import input_error

_COPIES_MAX = 8   # pieces one copy kernel takes (a kernel per count, each declared)
_copies = {n: cuda_kernels.declare(f'copy_{n}', ', '.join(f'T a{i}' for i in range(n)),
                                   ', '.join(f'T b{i}' for i in range(n)), ' '.join(f'b{i} = a{i};' for i in range(n)))
           for n in range(2, _COPIES_MAX + 1)}


def describe(x):
    """How an error message names a value: a tensor's size or a table's length."""
    if isinstance(x, list):
        return f"a table of {len(x)} entries"
    if hasattr(x, 'size') and hasattr(x, 'dim'):
        return f"a {x.dim()}-D tensor of size {tuple(x.size())}"
    return type(x).__name__


def table_list(module, name):
    """``module.<name>`` as a list (replacing a tensor placeholder)."""
    lst = module.__dict__.get(name)
    if not isinstance(lst, list):
        lst = module.__dict__[name] = []
    return lst


def slot(module, name, index, reference, sizes=None):
    """Tensor ``index`` of the list buffer ``module.<name>``, resized to ``sizes`` (default: ``reference``'s)
    with ``reference``'s type; the tensor already there is reused when its type fits."""
    return slot_in(table_list(module, name), index, reference, sizes)


def slot_in(lst, index, reference, sizes=None):
    """``slot`` for a plain list (e.g. a table nested inside gradInput)."""
    while len(lst) <= index:
        lst.append(None)
    buf = lst[index]
    if type(buf) is not type(reference):
        buf = lst[index] = reference.new()
    if sizes is None:
        if buf._size != reference._size:   # the common case (the sizes of the last call) skips resize's parsing
            buf.resize(reference._size)
        return buf
    return buf.resize(sizes)


def trim(module, name, length):
    """Drop entries of list buffer ``module.<name>`` past ``length``."""
    del table_list(module, name)[length:]


def view_buffer(module, name, source):
    """Make ``module.<name>`` a view of ``source`` (re-typed to ``source``'s type if needed)."""
    buf = module.__dict__.get(name)
    if type(buf) is not type(source):
        buf = module.__dict__[name] = source.new()
    return buf.set(source)


def copy_pieces(sources, targets):
    """``targets[i][...] = sources[i]`` for arrays of one shape: one CUDA launch for 2 to 8 pieces of CuPy floats
    (a table module's pieces of a gradient: a launch each costs a small model's step more than the copying), a
    copy each otherwise."""
    n = len(targets)
    if 2 <= n <= _COPIES_MAX and cuda_kernels.takes(*sources, *targets) and \
            all(a.shape == targets[0].shape for a in (*sources, *targets)):
        _copies[n](*sources, *targets)
        return
    for source, target in zip(sources, targets):
        target[...] = source


def zero_mirror(old, reference):
    """A zero-filled tree with ``reference``'s nesting and sizes, reusing ``old``'s tensors where types fit."""
    if isinstance(reference, list):
        old = old if isinstance(old, list) else []
        return [zero_mirror(old[i] if i < len(old) else None, r) for i, r in enumerate(reference)]
    buf = old if type(old) is type(reference) else reference.new()
    return buf.resizeAs(reference).zero()


def copy_tree(old, source):
    """A copy of tree ``source`` written into ``old``'s tensors where types fit."""
    if isinstance(source, list):
        old = old if isinstance(old, list) else []
        return [copy_tree(old[i] if i < len(old) else None, s) for i, s in enumerate(source)]
    buf = old if type(old) is type(source) else source.new()
    return buf.resizeAs(source).copy(source)


def map_tree(module, old, tree, fill, what):
    """``fill(buffer, tensor, what)`` for each tensor of ``tree``, into a tree of buffers shaped like it that
    reuses ``old``'s tensors where their types fit (the rnn package's recursive helpers over ipairs: MaskZero's,
    TrimZero's, MaskZeroCriterion's); a leaf that is no tensor raises a TypeError naming ``module``."""
    if isinstance(tree, list):
        old = old if isinstance(old, list) else []
        return [map_tree(module, old[i] if i < len(old) else None, t, fill, f"{what}[{i}]")
                for i, t in enumerate(tree)]
    if not isinstance(tree, Tensor):
        raise input_error(module, f"{what} to be a tensor or a table of them", describe(tree), TypeError)
    buf = old if type(old) is type(tree) else tree.new()
    fill(buf, tree, what)
    return buf


def same_nesting(a, b):
    """True when trees ``a`` and ``b`` nest alike and their tensors have equal sizes; a string or number of ``a``
    (which ZipTable and its kin move as their Lua does) pairs with whatever ``b`` holds there."""
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and \
            all(same_nesting(x, y) for x, y in zip(a, b))
    if not hasattr(a, 'size'):
        return True
    return hasattr(b, 'size') and tuple(a.size()) == tuple(b.size())


def add_tree(acc, source, module, what='gradInput'):
    """``acc += source`` tensor by tensor; the trees must nest alike."""
    if not same_nesting(acc, source):
        raise input_error(module, f"{what} trees of one shape ({describe(acc)})", describe(source))
    if isinstance(acc, list):
        for a, s in zip(acc, source):
            add_tree(a, s, module, what)
    else:
        # Torch7's t[k]:add(v) (ConcatTable.lua's retable) refuses two tensor types ("invalid arguments"): a
        # LookupTable's index-typed zero gradient beside a float one (visdial's hre-ques-im-hist on the CPU)
        if not np.can_cast(source.array.dtype, acc.array.dtype, 'same_kind'):
            raise input_error(module, f"{what} tensors of one type to sum ({acc.type()})", source.type(), TypeError)
        acc.array += source.array


def batch_dim(module, dimension, ndim, nInputDims):
    """Torch7's rule: a non-negative ``dimension`` shifts by one when the input has nInputDims + 1 dims."""
    if dimension < 0:
        d = ndim + dimension
    else:
        d = dimension + 1 if nInputDims is not None and ndim == nInputDims + 1 else dimension
    if not 0 <= d < ndim:
        raise input_error(module, f"an input with dimension {dimension} (nInputDims={nInputDims})",
                          f"a {ndim}-D input")
    return d
