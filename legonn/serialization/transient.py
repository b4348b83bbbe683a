"""What a saved model leaves out: the buffers ``clearState()`` would empty (or, for a module given one of
dpnn's serial modes, what the mode names).

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


def _serial_emptied(module, names):
    """Empty ``module``'s attributes ``names`` (dpnn's serial modes, modules/base/serial_modes.py): ``output`` or
    ``gradInput`` among them empties every buffer its clearState does; a named tensor becomes an empty one (a
    parameter gradient None, which lg.load accepts), a list or dict an empty one."""
    if 'output' in names or 'gradInput' in names:
        module.clearState()
    grads = module.parameters()[1] if hasattr(module, 'parameters') else []
    state = vars(module)
    for name in names:
        value = state.get(name)
        if isinstance(value, Tensor):
            state[name] = None if any(value is g for g in grads) else value.new()
        elif isinstance(value, (list, dict)):
            state[name] = type(value)()


def serial_emptied(root):
    """dpnn's Serial.lua ``write`` without the file (its ``getSerialState``), in place: each module under ``root``
    given a serial mode leaves out what its mode names. ``nn.Serial``'s clone, a write and a read in Torch7,
    applies it to the copy."""
    from ..modules.base.typed import Typed
    for obj in _reachable(root):
        if isinstance(obj, Typed) and isinstance(vars(obj).get('dpnn_serialEmpty'), list):
            _serial_emptied(obj, obj.dpnn_serialEmpty)


def _clear_each_once(modules):
    """``clearState()`` on each of ``modules``, each module cleared once; returns the modules whose clearState
    raised. A container's clearState clears its subtree again, so calling it on every module clears a module
    once per ancestor: a 30-step Sequencer's clones made 9,000 calls for 1,200 modules. While the pass runs,
    each module's ``clearState`` is shadowed by an instance attribute that skips a module already cleared, so a
    container's recursion stops there.

    torch.save never calls clearState (torch7's File.lua writes an object's fields as they are), so a user
    module whose clearState cannot run yet (fast-neural-style's InstanceNormalization calls
    ``self.bn:clearState()``, and ``bn`` is made by the first forward) saves in Torch7: its error is caught
    here and the caller saves that module as it is."""
    done = set()
    shadowed = []
    failed = []

    def clear_once(module, own):
        def clearState(*names):
            # a call naming extra buffers is a module's own clearState at work: it always runs
            if names or id(module) not in done:
                done.add(id(module))
                try:
                    own(*names)
                except Exception:
                    failed.append(module)
            return module
        return clearState

    try:
        for module in modules:
            state = vars(module)
            had = 'clearState' in state
            shadowed.append((state, had, state.get('clearState')))
            state['clearState'] = clear_once(module, module.clearState)
        for module in modules:
            module.clearState()
    finally:
        for state, had, previous in shadowed:
            if had:
                state['clearState'] = previous
            else:
                del state['clearState']
    return failed


@contextlib.contextmanager
def cleared(root):
    """Within the block, every module/criterion under ``root`` is in its ``clearState()`` state, except those
    given a serial mode (``dpnn_serialEmpty``), which leave out what their mode names; a module saved through
    an ``nn.Serial`` with a ``tensortype`` is, in the block, converted to that type."""
    from ..modules.base.typed import Typed
    objects = _reachable(root)
    snapshots = [(obj, _snapshot(obj)) for obj in objects]
    try:
        moded = [(obj, snap) for obj, snap in snapshots
                 if isinstance(obj, Typed) and isinstance(vars(obj).get('dpnn_serialEmpty'), list)]
        failed = _clear_each_once([obj for obj in objects
                                   if isinstance(obj, Typed) and 'dpnn_serialEmpty' not in vars(obj)])
        # a module whose clearState raised keeps its fields and their tensors' geometry, as torch.save writes them
        kept = {id(obj) for module in failed for obj in (module, *vars(module).values())}
        for obj, snap in snapshots:
            if id(obj) in kept:
                _restore(obj, snap)
        # a container's clearState reaches its children: undo that for the modules that have a mode of their own
        for obj, snap in moded:
            _restore(obj, snap)
        for obj, _ in moded:
            _serial_emptied(obj, obj.dpnn_serialEmpty)
        for obj in objects:
            if getattr(type(obj), 'saves_as_tensortype', False) and vars(obj).get('tensortype'):
                obj.type(obj.tensortype)
        yield
    finally:
        for obj, snap in snapshots:
            _restore(obj, snap)
