"""The tensors a model holds and the memory behind them.

``held_tensors(model)`` walks every module's attributes (through nested lists, tuples and dicts) and
the state a gModule keeps on its graph nodes. ``memoryUsage(model)`` adds up the bytes behind them,
each block of memory once however many tensors, storages or NumPy views reach it.
"""
from ..graph.gmodule import gModule
from ..tensor import Tensor


def tensors_in(value, out=None):
    """Every tensor inside ``value`` (a tensor, or nested lists, tuples and dicts of them)."""
    out = [] if out is None else out
    if isinstance(value, Tensor):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            tensors_in(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            tensors_in(v, out)
    return out


def held_tensors(model):
    """(module, attribute name, tensor) for every tensor held by ``model``'s modules and graph nodes."""
    for module in model.listModules():
        for name, value in module.__dict__.items():
            for t in tensors_in(value):
                yield module, name, t
        if isinstance(module, gModule):
            for node in module.fg.nodes:
                for name, value in vars(node).items():
                    for t in tensors_in(value):
                        yield module, f"node {node.id} {name}", t


def memory_block(storage):
    """(identity, bytes) of the allocation behind ``storage``: the base array its data views."""
    block = storage.data
    while getattr(block, 'base', None) is not None and hasattr(block.base, 'nbytes'):
        block = block.base
    return id(block), int(block.nbytes)


def memory_blocks(tensors):
    """{identity: bytes} of the allocations behind ``tensors``, each once however many tensors reach it."""
    return dict(memory_block(t.storage()) for t in tensors)


def parameter_blocks(model):
    """{identity: bytes} of the memory blocks of ``model``'s parameters and their gradients."""
    params, grads = model.parameters()
    return memory_blocks(params + grads)


def memoryUsage(model):
    """Bytes ``model`` holds: ``{'parameters', 'activations', 'scratch', 'buffers'}``.

    ``parameters`` counts parameters and their gradients; ``activations`` the blocks behind modules'
    ``output`` and ``gradInput`` and the graph nodes' state; ``scratch`` every other buffer (convolution
    columns, pooling indices, ...); ``buffers`` is activations + scratch. Shared memory counts once.
    """
    params = parameter_blocks(model)
    seen, totals = set(params), {'parameters': sum(params.values()), 'activations': 0, 'scratch': 0}
    # activations first, so a block both an output and a scratch buffer reach counts as an activation;
    # ``seen`` already holds every parameter block, so none is counted again
    held = sorted(held_tensors(model), key=lambda item: not is_activation(item[1]))
    for _, name, t in held:
        key, size = memory_block(t.storage())
        if key not in seen:
            seen.add(key)
            totals['activations' if is_activation(name) else 'scratch'] += size
    totals['buffers'] = totals['activations'] + totals['scratch']
    return totals


def is_activation(name):
    """Whether the held tensor named ``name`` (as ``held_tensors`` names it) is an output, a gradInput or a graph
    node's state."""
    return name in ('output', 'gradInput') or name.startswith('node ')
