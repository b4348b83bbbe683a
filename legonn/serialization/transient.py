"""What a saved model leaves out: the buffers ``clearState()`` would empty.

A module declares its transient buffers the way it always does, by what its
``clearState`` empties (``output``, ``gradInput``, ``_columns``, noise masks,
graph nodes' activations...). ``cleared(root)`` runs ``clearState`` on every
module and criterion reachable from ``root``, lets the caller encode that
state, then puts every attribute, list, dict and tensor geometry back exactly
as it was, so saving never disturbs the model in memory.
"""
import contextlib

from ..tensor.tensor import Tensor


def _reachable(root):
    """Objects, lists, dicts and tensors reachable from ``root`` (iteratively: graphs can be long chains)."""
    seen, found, stack = set(), [], [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (bool, int, float, str)):
            continue
        seen.add(id(obj))
        found.append(obj)
        if isinstance(obj, Tensor):
            continue
        if isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif hasattr(obj, '__dict__') and not isinstance(obj, type):
            stack.extend(vars(obj).values())
    return found


def _snapshot(obj):
    if isinstance(obj, Tensor):
        return obj.storage(), obj.storageOffset(), obj.size(), obj.stride()
    if isinstance(obj, (list, dict, set)):
        return obj.copy()
    if hasattr(obj, '__dict__') and not isinstance(obj, type):
        return dict(vars(obj))
    return None


def _restore(obj, snap):
    if isinstance(obj, Tensor):
        if (obj.storage(), obj.storageOffset(), obj.size(), obj.stride()) != snap:
            obj._set(*snap)
    elif isinstance(obj, list):
        obj[:] = snap
    elif isinstance(obj, (dict, set)):
        obj.clear()
        obj.update(snap)
    elif snap is not None:
        state = vars(obj)
        state.clear()
        state.update(snap)


@contextlib.contextmanager
def cleared(root):
    """Within the block, every module/criterion under ``root`` is in its ``clearState()`` state."""
    from ..modules.base.typed import Typed
    objects = _reachable(root)
    snapshots = [(obj, _snapshot(obj)) for obj in objects]
    try:
        for obj in objects:
            if isinstance(obj, Typed):
                obj.clearState()
        yield
    finally:
        for obj, snap in snapshots:
            _restore(obj, snap)
