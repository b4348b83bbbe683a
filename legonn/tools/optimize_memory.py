"""optnet-style memory sharing: modules whose buffers are never needed at the same time share storage.

``optimizeMemory(model, input, mode)`` runs one forward (``mode='inference'``) or forward and
backward (``'training'``) with every module's ``updateOutput``/``updateGradInput``/
``accGradParameters`` hooked, and notes for each storage the first and last step that touches it:

* a call reads its arguments (input, gradOutput) from its start to its end and writes its own
  ``output`` (forward) or ``gradInput`` (backward) over the same span;
* in backward every module is taken to read its own output too (Tanh, Sigmoid, LogSoftMax and
  in-place modules do), except those listed as never doing so (Linear, convolutions, ...);
* a leaf module without parameters reads nothing in ``accGradParameters`` (it has nothing to add);
* a container other than Sequential and gModule reads all its children's outputs (gradInputs) when
  it finishes (Concat joins them, ConcatTable returns them); a gModule node reads the gradients it
  sums just before its module's backward;
* in-place modules and views need no rule: storages, not tensors, are tracked;
* the model's output and gradInput stay alive after the pass (the caller reads them); its input,
  its gradOutput and every parameter are never shared;
* a convolution's forward (``Convolution2d.updateOutput`` in ``modules/base/convolution.py``) runs in three steps,
  each reading one buffer into the next: im2col copies the input into the columns (``finput``), a GEMM reads those into
  ``_gemm``, a transpose reads that into the output. Each step gets its own clock tick, so the input is
  free once the columns exist, the columns once the GEMM is done (in inference; in training the weight
  gradient reuses them in backward) and ``_gemm`` once the output is written. Its backward's column
  buffers (``fgradInput``, ``_gradInputT``, ``_gradOutputT``) live during its backward. A convolution
  whose plan runs kernels on a copy of the source instead (the plan's ``kernels`` on the CPU: the direct
  ones for few input planes, ``tensor/conv_direct.py``, the 1x1 GEMMs of ``tensor/conv_pointwise.py``, the
  blocked ones of ``tensor/conv_blocked.py`` or the chunked im2col + GEMM, ``tensor/conv_chunks.py``)
  reads its input (or the padded or subsampled copy in ``finput``) while it writes the output, with ``_gemm`` as
  scratch: one step in which all four live.

Before that, ReLU-like modules inside a Sequential whose input nothing else reads later are switched
to in place (optnet does the same), and the pass is traced again. Storages whose lifetimes do not
overlap are then packed into groups (the cheapest of three greedy orders), each group using its
largest member's storage (Torch7's storages grow in place, so a later, larger batch still works).
Every tensor any module or graph node holds on a regrouped storage is rebound, so the next pass
computes bitwise the same results. ``removeOptimization(model)`` gives each rebound tensor
storage of its own again. An inference-optimised model refuses backward until then.
"""
import weakref

from ..containers.sequential import Sequential
from ..graph.gmodule import gModule
from ..modules.base.convolution import Convolution2d, planes_input
from ..modules.base.module import Module
from ..modules.rectifiers import HardTanh, Threshold
from ..modules.linear import Linear
from ..modules.reshape import Reshape, View
from ..modules.spatial_convolution import SpatialConvolution
from ..modules.spatial_convolution_map import SpatialConvolutionMap
from ..modules.spatial_depthwise_convolution import SpatialDepthWiseConvolution
from ..modules.spatial_pooling import SpatialMaxPooling
from ..tensor import Tensor, as_tensor_tree
from ..tensor.storage import Storage
from . import instance_hooks
from .buffers import held_tensors, is_activation, tensors_in

_TRACED = ('updateOutput', 'updateGradInput', 'accGradParameters')
_FOREVER = float('inf')
CONVOLUTIONS = (SpatialConvolution, SpatialConvolutionMap, SpatialDepthWiseConvolution)
# modules whose backward needs only their input, gradOutput and private state, never their own output
_OUTPUT_UNREAD_IN_BACKWARD = CONVOLUTIONS + (Linear, SpatialMaxPooling, View, Reshape, Threshold, HardTanh)
# buffers a module rewrites before reading them: (classes, live during backward only, live from forward
# to backward in training); a convolution's forward buffers come from its steps below
_SCRATCH = ((CONVOLUTIONS, ('fgradInput', '_gradInputT', '_gradOutputT'), ('finput',)),)
# the buffers (attribute names; 'input' for the arguments) each step of a convolution's forward reads or
# writes, in order: within the call a buffer lives from the first step naming it to the last (all three
# convolutions inherit Convolution2d.updateOutput; a subclass with its own is traced as one step)
_GEMM_STEPS = (('input', 'finput'), ('finput', '_gemm'), ('_gemm', 'output'))
_DIRECT_STEPS = (('input', 'finput', '_gemm', 'output'),)
_MODES = ('inference', 'training')

# model -> ([(storage size, dtype, cuda, [tensors that viewed it])], modules made in place,
#           backward-blocking hooks)
_applied = weakref.WeakKeyDictionary()


class _Lifetimes:
    """First and last step at which each storage is touched, over one hooked pass."""

    def __init__(self, model):
        self.clock = 0
        self.spans = {}       # id(storage) -> [storage, first, last]; holding the storage keeps ids unique
        self.touches = {}     # id(storage) -> [(step, id(module) or None for the caller)]
        self.phases = {}      # (id(module), 'forward'|'backward') -> [first, last]
        self.grads_of = {}    # id(module) -> the gModule node whose summed gradients it reads
        for g in model.listModules():
            if isinstance(g, gModule):
                for node in g.forwardnodes:
                    if node.module is not None:
                        self.grads_of[id(node.module)] = node

    def touch(self, tree, times, module=None):
        for t in tensors_in(tree):
            s = t.storage()
            span = self.spans.get(id(s))
            if span is None:
                span = self.spans[id(s)] = [s, min(times), max(times)]
            span[1], span[2] = min(span[1], *times), max(span[2], *times)
            self.touches.setdefault(id(s), []).extend((time, id(module)) for time in times)

    def phase(self, module, name, start, end):
        span = self.phases.setdefault((id(module), name), [start, end])
        span[0], span[1] = min(span[0], start), max(span[1], end)

    def hook(self, module, method):
        forward = method == 'updateOutput'
        fan_in = module.children() and not isinstance(module, (Sequential, gModule))
        reads_output = not isinstance(module, _OUTPUT_UNREAD_IN_BACKWARD)
        if method == 'accGradParameters' and not module.children() and not module.parameters()[0]:
            return lambda _, call_next, *args: call_next(*args)   # nothing to accumulate: reads nothing

        stepped = forward and getattr(type(module), 'updateOutput', None) is Convolution2d.updateOutput

        def around(_, call_next, *args):
            self.clock += 1
            start = self.clock
            self.touch(args, (start,), module)
            steps = _forward_steps(module, args[0]) if stepped else None
            if steps:
                result = call_next(*args)
                for i, names in enumerate(steps):
                    for name in names:
                        self.touch(args if name == 'input' else module.__dict__.get(name), (start + i,), module)
                self.clock = start + len(steps) - 1
                self.phase(module, 'forward', start, self.clock)
                return result
            if not forward:
                if reads_output:
                    self.touch(module.output, (start,), module)
                node = self.grads_of.get(id(module))
                if node is not None:
                    self.touch(node.grads, (start,), module)
            result = call_next(*args)
            self.clock += 1
            end = self.clock
            self.touch(args, (end,), module)
            self.touch(module.output if forward else module.gradInput, (start, end), module)
            if fan_in:
                for child in module.children():
                    self.touch(child.output if forward else child.gradInput, (end,), module)
            self.phase(module, 'forward' if forward else 'backward', start, end)
            return result
        return around


def _forward_steps(module, input):
    """The steps of a convolution's inherited forward on ``input``: those of its plan's kernels."""
    return _GEMM_STEPS if module._plan(planes_input(module, input)).kernels is None else _DIRECT_STEPS


def _touch_scratch(model, lifetimes):
    """Extend ``lifetimes`` over the declared scratch buffers of the modules that ran."""
    for module in model.listModules():
        for classes, bwd_only, saved in _SCRATCH:
            if not isinstance(module, classes):
                continue
            fwd = lifetimes.phases.get((id(module), 'forward'))
            bwd = lifetimes.phases.get((id(module), 'backward'))
            whole = [fwd[0], bwd[1]] if fwd and bwd else None   # training only: inference has no backward
            for names, span in ((bwd_only, bwd), (saved, whole)):
                for name in names:
                    t = module.__dict__.get(name)
                    if span is not None and isinstance(t, Tensor):
                        lifetimes.touch(t, span)


def _pack(candidates):
    """Greedy packing of ``candidates`` in the order given: each storage joins the first group of its
    dtype and device none of whose spans overlaps its own; the first member is the group's storage."""
    groups = []
    for storage, first, last in candidates:
        key = (storage.dtype, storage.is_cuda)
        for group in groups:
            if group['key'] == key and all(last < a or b < first for a, b in group['spans']):
                group['members'].append(storage)
                group['spans'].append((first, last))
                break
        else:
            groups.append({'key': key, 'members': [storage], 'spans': [(first, last)]})
    for group in groups:  # the largest member's storage holds the group (Torch7's storages grow in place)
        group['members'].sort(key=lambda s: -s.size())
    return groups


def _plan(candidates):
    """The cheapest of a few greedy packings (largest first, earliest first, longest-lived first)."""
    orders = (lambda c: -c[0].size(), lambda c: (c[1], -c[0].size()), lambda c: (c[1] - c[2], -c[0].size()))
    plans = [_pack(sorted(candidates, key=order)) for order in orders]
    return min(plans, key=lambda groups: sum(g['members'][0].size() * g['members'][0].elementSize()
                                             for g in groups))


def _sample_grad(output):
    """A gradOutput shaped like ``output`` (its values do not matter to the lifetimes)."""
    if isinstance(output, (list, tuple)):
        return [_sample_grad(o) for o in output]
    return output.clone()


def _check(model, mode):
    if mode not in _MODES:
        raise ValueError(f"optimizeMemory: mode must be 'inference' or 'training', got {mode!r}")
    if model in _applied:
        raise ValueError(f"optimizeMemory: {model.shortName()} is already optimised; call "
                         f"lg.removeOptimization(model) first")


def _traced_methods(module):
    """The contract methods of ``module`` to trace, and ``backward`` where its class has its own: Sequential,
    Concat and ConcatTable run each child's whole backward (as their Lua classes do), never calling their own
    updateGradInput, so their backward is their backward phase."""
    return _TRACED + ('backward',) if type(module).backward is not Module.backward else _TRACED


def _trace(model, input, training):
    """Hook every module, run the pass, unhook; returns the lifetimes and the gradOutput used."""
    lifetimes = _Lifetimes(model)
    hooks = [instance_hooks.install(module, method, lifetimes.hook(module, method))
             for module in model.listModules() for method in _traced_methods(module)]
    grads = model.parameters()[1]
    saved_grads = [g.clone() for g in grads]
    grad_output = None
    try:
        output = model.forward(input)
        if training:
            grad_output = _sample_grad(output)
            model.backward(input, grad_output)
    finally:
        for hook in hooks:
            instance_hooks.uninstall(hook)
        for g, saved in zip(grads, saved_grads):
            g.copy(saved)   # the pass must not leave parameter gradients accumulated
    return lifetimes, grad_output


def optimizeMemory(model, input, mode='inference', inplace=True, scratch=True):
    """Let ``model``'s buffers share storage where their lifetimes (for inputs like ``input``) allow.

    ``mode='inference'``: outputs and forward scratch only; backward then raises until
    ``removeOptimization``. ``mode='training'``: outputs, gradInputs and all scratch, for
    forward + backward steps. Runs one such pass (parameter gradients are restored after it).
    ``inplace=False`` switches no module to in place; ``scratch=False`` shares only outputs and
    gradInputs, never a module's other buffers (optnet's ``inplace`` and ``reuseBuffers``).
    Returns ``model``.
    """
    _check(model, mode)
    training = mode == 'training'
    input = as_tensor_tree(input)   # wrapped once, so the storage modules see is the one excluded below
    lifetimes, grad_output = _trace(model, input, training)
    inplace = _make_in_place(model, lifetimes, training) if inplace else []
    if inplace:   # the in-place modules' outputs are now their inputs: trace the new storages
        try:
            lifetimes, grad_output = _trace(model, input, training)
        except Exception:
            _out_of_place(inplace)
            raise
    lifetimes.touch([model.output] + ([model.gradInput] if training else []), (_FOREVER,))
    _touch_scratch(model, lifetimes)
    viewers_of = {}   # id(storage) -> {id(tensor): tensor} over every tensor the model's modules and nodes hold
    params, grads = model.parameters()
    excluded = {id(t.storage()) for t in tensors_in([input, grad_output, params, grads])}
    for _, name, t in held_tensors(model):
        viewers_of.setdefault(id(t.storage()), {})[id(t)] = t
        if not scratch and not is_activation(name):
            excluded.add(id(t.storage()))
    candidates = [span for key, span in lifetimes.spans.items() if key in viewers_of and key not in excluded
                  and span[0].size() >= 2]
    record = []
    for group in _plan(candidates):
        target = group['members'][0]
        for storage in group['members'][1:]:
            viewers = list(viewers_of[id(storage)].values())
            for t in viewers:
                t.set(target, t.storageOffset(), t.size(), t.stride())
            record.append((storage.size(), storage.dtype, storage.is_cuda, viewers))
    blocks = [] if training else _block_backward(model)
    _applied[model] = (record, inplace, blocks)
    return model


def _make_in_place(model, lifetimes, training):
    """Switch to in place (optnet does too) each ReLU-like module inside a Sequential, neither first nor
    last, whose input nothing else touches after the module starts; returns the modules switched.

    Not first or last: the input is then a sibling's output and (in backward, where in place writes
    into gradOutput) the gradOutput a sibling's gradInput, never the caller's tensors.
    """
    switched = []
    for seq in model.listModules():
        if not isinstance(seq, Sequential):
            continue
        for i in range(1, len(seq.modules) - 1):
            m = seq.modules[i]
            if not isinstance(m, (Threshold, HardTanh)) or m.inplace or \
                    isinstance(m, Threshold) and m.val > m.threshold:
                continue
            start = lifetimes.phases.get((id(m), 'forward'), [None])[0]
            source = seq.modules[i - 1].output
            if start is None or not isinstance(source, Tensor):
                continue
            later = [who for time, who in lifetimes.touches.get(id(source.storage()), ()) if time > start]
            if all(who == id(m) for who in later):
                m.inplace = True
                switched.append(m)
    return switched


def _out_of_place(modules):
    for module in modules:
        module.inplace = False
        # in place, output and gradInput were the caller's tensors: give the module its own again
        module.output, module.gradInput = module.output.new(), module.gradInput.new()


def _block_backward(model):
    def refuse(_, call_next, *args):
        raise RuntimeError(f"{model.shortName()}: backward is disabled since lg.optimizeMemory(model, input, "
                           f"mode='inference') let buffers that backward needs share storage; call "
                           f"lg.removeOptimization(model) first, or optimise with mode='training'")
    return [instance_hooks.install(m, name, refuse) for m in model.listModules()
            for name in ('updateGradInput', 'accGradParameters')]


def removeOptimization(model):
    """Undo ``optimizeMemory``: every rebound tensor gets a storage of its own again (contents are
    refilled by the next pass), modules it made in place are not any more, and backward works again.
    Returns ``model``."""
    state = _applied.pop(model, None)
    if state is None:
        raise ValueError(f"removeOptimization: {model.shortName()} was not optimised with lg.optimizeMemory")
    record, inplace, blocks = state
    for size, dtype, cuda, viewers in record:
        storage = Storage.allocate(size, dtype, cuda)
        for t in viewers:
            t.set(storage, t.storageOffset(), t.size(), t.stride())
    _out_of_place(inplace)
    for hook in blocks:
        instance_hooks.uninstall(hook)
    return model
