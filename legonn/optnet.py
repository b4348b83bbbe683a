"""``require 'optnet'``: fmassa's optimize-net over legonn's own memory tools (legonn.tools).

``optnet.optimizeMemory(net, input, opts)`` lets buffers whose lifetimes never overlap share storage
(``lg.optimizeMemory``: a traced pass, not optnet's module lists, decides, and results stay bitwise the
same); ``optnet.removeOptimization(net)`` undoes it; ``optnet.countUsedMemory(net)`` adds up bytes as optnet
does. ``opts`` is optnet's table, a dict or keywords: ``mode`` ('inference', the default, or 'training'),
``inplace`` (default True: modules legonn finds safe to run in place do), ``reuseBuffers`` (default True:
modules' own buffers (convolution columns, pooling indices) may share storage too), ``removeGradParams``
(default True, inference only: parameter gradients are emptied and ``getParameters`` refused until
``removeOptimization`` gives them storage again, shared as before).
"""
import weakref

from .modules.base.lua_arguments import options_table
from .tensor import Tensor
from .tensor.storage import Storage
from .tools import instance_hooks
from .tools.buffers import memory_block
from .tools.optimize_memory import optimizeMemory as _optimize, removeOptimization as _remove

__all__ = ['optimizeMemory', 'removeOptimization', 'countUsedMemory']

_OPTIONS = ('inplace', 'mode', 'reuseBuffers', 'removeGradParams')
_PARAMETER_OF = {'gradWeight': 'weight', 'gradBias': 'bias'}   # each parameter gradient's parameter
_PARAMETER_NAMES = (*_PARAMETER_OF.values(), *_PARAMETER_OF)
# net -> (mode, [(module, gradient name, storage key, storage size, offset, stride)], getParameters hooks)
_optimized = weakref.WeakKeyDictionary()


def _default(value, default):
    """optnet's defaultValue: nil takes the default, false stays false."""
    return default if value is None else value


def optimizeMemory(net, input, opts=None, **named):
    """Share ``net``'s buffers for inputs like ``input``, as optnet.optimizeMemory (see the module's
    docstring for the options). A net already optimised is left as it is, with optnet's message."""
    opts = options_table('optnet.optimizeMemory', 'opts', opts, named, _OPTIONS, "{'mode': 'training'}")
    if net in _optimized:
        print(f"Skipping memory optimization. Network is already optimized for {_optimized[net][0]} mode.")
        return
    mode = _default(opts.get('mode'), 'inference')
    _optimize(net, input, mode, inplace=_default(opts.get('inplace'), True),
              scratch=_default(opts.get('reuseBuffers'), True))
    removed, hooks = [], []
    if mode == 'inference' and _default(opts.get('removeGradParams'), True):
        removed, hooks = _remove_grad_params(net)
    _optimized[net] = (mode, removed, hooks)


def _refuse_get_parameters(module, call_next, *args):
    raise RuntimeError("getParameters was disabled by optnet (by option removeGradParams=true). Call "
                       "optnet.removeOptimization(net) to enable it back.")


def _remove_grad_params(net):
    """Empty every gradWeight and gradBias, noting where each lay so that the same sharing can be rebuilt;
    refuse getParameters meanwhile."""
    removed, modules = [], net.listModules()
    for m in modules:
        for name in _PARAMETER_OF:
            g = m.__dict__.get(name)
            if isinstance(g, Tensor):
                key, _ = memory_block(g.storage())
                removed.append((m, name, key, g.storage().size(), g.storageOffset(), g.stride()))
                g.set()
    return removed, [instance_hooks.install(m, 'getParameters', _refuse_get_parameters) for m in modules]


def _add_grad_params(removed):
    """Give each emptied gradient new storage of its old size, zeroed, one storage per old one (so gradients
    that shared a storage, as after getParameters or a clone sharing them, share again), at its old place,
    its parameter's sizes."""
    storages = {}
    for m, name, key, size, offset, stride in removed:
        g = m.__dict__[name]
        if key not in storages:
            storages[key] = Storage.allocate(size, g.storage().dtype, g.is_cuda)
            storages[key].data[...] = 0
        param = m.__dict__[_PARAMETER_OF[name]]
        g.set(storages[key], offset, param.size(), stride)


def removeOptimization(net):
    """Undo ``optimizeMemory``: every buffer gets storage of its own again, in-place switches are undone,
    backward works again and removed parameter gradients come back (zeroed). A net that was not optimised
    is left as it is, with optnet's message."""
    if net not in _optimized:
        print('Skipping memory optimization removal, as the network was not optimized.')
        return
    _, removed, hooks = _optimized.pop(net)
    _remove(net)
    for hook in hooks:
        instance_hooks.uninstall(hook)
    _add_grad_params(removed)


def _track(value, seen):
    """optnet's keepTrack: a tensor's storage once by its memory block, a list's entries in turn."""
    if isinstance(value, Tensor):
        key, size = memory_block(value.storage())
        seen.setdefault(key, size)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _track(v, seen)


def countUsedMemory(net):
    """Bytes ``net`` holds, by optnet's rules: ``{'outputs', 'gradInputs', 'buffers', 'params', 'total_size'}``.
    Each module's ``output`` and ``gradInput`` (tensors or lists of them), every other tensor attribute of
    a module (``buffers``) and its weight, bias, gradWeight and gradBias (``params``); a block of memory
    counts once in each field, and ``total_size`` is the sum of the four fields. Run a forward (and
    backward) first, as optnet says, so the buffers exist."""
    fields = {'outputs': {}, 'gradInputs': {}, 'buffers': {}, 'params': {}}
    for m in net.listModules():
        _track(m.__dict__.get('output'), fields['outputs'])
        _track(m.__dict__.get('gradInput'), fields['gradInputs'])
        for name, value in m.__dict__.items():
            if isinstance(value, Tensor) and name not in ('output', 'gradInput'):
                _track(value, fields['params' if name in _PARAMETER_NAMES else 'buffers'])
    sizes = {name: sum(seen.values()) for name, seen in fields.items()}
    sizes['total_size'] = sum(sizes.values())
    return sizes
