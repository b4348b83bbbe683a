"""Bad inputs for the sweep: each kind turns a valid input (tree) into a wrong one, drawn by hypothesis."""
from hypothesis import strategies as st

from legonn.serialization.decode import device_type_name
from legonn.tensor import TENSOR_CLASSES, Tensor
from legonn.tensor.types import device_twin
from tests.checks import on_gpu

KINDS = ('rank', 'size', 'dtype', 'empty', 'nan', 'noncontiguous', 'device', 'object')


def leaves(tree):
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in leaves(v)]
    return [tree] if isinstance(tree, Tensor) else []


def paired_leaves(x, grad):
    """The (input tensor, its gradient) pairs of the trees ``x`` and ``grad`` walked together: a string or number
    that a module moves (ZipTable and its kin, as their Lua) pairs with no gradient tensor."""
    if isinstance(x, (list, tuple)) and isinstance(grad, (list, tuple)):
        return [pair for a, b in zip(x, grad) for pair in paired_leaves(a, b)]
    return [(x, grad)] if isinstance(x, Tensor) and isinstance(grad, Tensor) else []


def replace_leaf(tree, index, fn):
    """``tree`` with its ``index``-th tensor (depth first) replaced by ``fn(tensor)``."""
    counter = [0]

    def walk(t):
        if isinstance(t, (list, tuple)):
            return [walk(v) for v in t]
        if not isinstance(t, Tensor):
            return t
        i = counter[0]
        counter[0] += 1
        return fn(t) if i == index else t
    return walk(tree)


def fresh(t, sizes):
    """A tensor of ``t``'s type with ``sizes``: random floats, or small non-negative integers (indices, masks)."""
    out = t.new(*sizes) if sizes else t.new(1).resize(())
    if t.dtype.kind == 'f':
        return out.uniform(-1, 1) if out.nElement() else out
    return out.random(0, 2) if out.nElement() else out


def fake_cuda(t):
    """A CUDA-typed tensor over host memory: how a GPU tensor meets a CPU module, on a machine without a GPU."""
    cls = TENSOR_CLASSES[device_type_name(t.type().replace('legonn.', ''), True)]
    f = object.__new__(cls)
    f._set(t.storage(), t.storageOffset(), t.size(), t.stride())
    return f


def other_device(t):
    """``t`` on the other side: a CPU tensor as a (fake) CUDA one, a CUDA tensor copied to the CPU."""
    return t.cpu() if t.is_cuda else fake_cuda(t)


def moved_to_gpu(tree):
    """``tree`` with every tensor copied to the GPU, its element type kept (``LEGONN_SWEEP_DEVICE=cuda``)."""
    if isinstance(tree, (list, tuple)):
        return [moved_to_gpu(v) for v in tree]
    return on_gpu(tree) if isinstance(tree, Tensor) else tree


def noncontiguous(t):
    """The same values in a strided (every other element of a wider buffer) view."""
    if t.dim() == 0 or t.nElement() == 0:
        return t
    wide = t.new(*t.size()[:-1], 2 * t.size(-1)).zero()
    view = wide.narrow(t.dim() - 1, 0, 2 * t.size(-1) - 1).unfold(t.dim() - 1, 1, 2).select(t.dim(), 0)
    view.copy(t)
    assert not view.isContiguous() or t.size(-1) == 1
    return view


@st.composite
def perturbed(draw, kind, x):
    """(description, bad input) for ``kind``; descriptions say what was done, for failure reports."""
    n = len(leaves(x))
    i = draw(st.integers(0, n - 1))
    leaf = leaves(x)[i]
    where = f"tensor {i} of the input table" if isinstance(x, (list, tuple)) else 'the input'
    sizes = list(leaf.size())
    if kind == 'rank':
        if sizes and draw(st.booleans()):
            new = sizes[1:]
            what = 'one dimension fewer'
        else:
            new = sizes + [draw(st.integers(1, 3))] if draw(st.booleans()) else [2] + sizes
            what = 'one dimension more'
        return f"{where} with {what}: {tuple(sizes)} -> {tuple(new)}", replace_leaf(x, i, lambda t: fresh(t, new))
    if kind == 'size':
        if not sizes:
            return 'unchanged (0-d)', x
        d = draw(st.integers(0, len(sizes) - 1))
        new = list(sizes)
        new[d] = draw(st.sampled_from([s for s in (1, 2, 3, 5, 7) if s != sizes[d]]))
        return f"{where} of size {tuple(new)} instead of {tuple(sizes)}", replace_leaf(x, i, lambda t: fresh(t, new))
    if kind == 'dtype':
        # the other element types on the leaf's own device
        others = [device_twin('legonn.' + s, leaf.is_cuda) for s in ('DoubleTensor', 'HalfTensor', 'IntTensor',
                                                                     'LongTensor', 'ByteTensor', 'FloatTensor')]
        target = draw(st.sampled_from([s for s in others if s != leaf.type()]))
        return f"{where} as a {target} (was {leaf.type()})", replace_leaf(x, i, lambda t: t.type(target))
    if kind == 'empty':
        if not sizes:
            return 'unchanged (0-d)', x
        new = [0] + sizes[1:]
        return f"{where} with an empty first dimension {tuple(new)}", replace_leaf(x, i, lambda t: fresh(t, new))
    if kind == 'nan':
        value = draw(st.sampled_from([float('nan'), float('inf'), float('-inf')]))
        if leaf.dtype.kind != 'f' or leaf.nElement() == 0:
            return 'unchanged (integer tensor)', x
        k = draw(st.integers(0, leaf.nElement() - 1))

        def poison(t):
            t = t.clone()
            t.view(-1)[k] = value
            return t
        return f"{where} with element {k} set to {value}", replace_leaf(x, i, poison)
    if kind == 'noncontiguous':
        return f"{where} as a non-contiguous view", replace_leaf(x, i, noncontiguous)
    if kind == 'device':
        what = 'on the CPU while the rest is on the GPU' if leaf.is_cuda else \
            'on the GPU (CudaTensor type) while the rest is on the CPU'
        return f"{where} {what}", replace_leaf(x, i, other_device)
    if kind == 'object':
        # what no tensor can be made of, where a tensor belongs (a file name, an image object, a dict entry)
        thing = draw(st.sampled_from(['input.png', object()]))
        return f"{where} replaced by a {type(thing).__name__}", replace_leaf(x, i, lambda t: thing)
    raise AssertionError(kind)
