"""Catch the first NaN or Inf and name the module that made it.

``with lg.debug.watch(model): ...`` (or ``w = lg.debug.watch(model)`` ... ``w.remove()``) checks,
after every leaf module's ``updateOutput``, its ``output``; after ``updateGradInput``, its
``gradInput``; after ``accGradParameters``, its parameter gradients. The first non-finite value
raises ``NonFiniteError`` naming the module's path in the tree (a gModule's node, its name and where
it was created), the phase, and the min, max and finite count of what the module was given.

Only the watched modules' instances are hooked (legonn.tools.instance_hooks), so an unwatched model
pays nothing; a watched one pays one sum per tensor (a NaN or Inf anywhere makes the sum non-finite;
only then is every element examined).
"""
import numpy as np

from . import instance_hooks
from .buffers import tensors_in
from .paths import module_paths

_PHASES = {'updateOutput': 'forward (output)', 'updateGradInput': 'backward (gradInput)',
           'accGradParameters': 'accGradParameters (parameter gradients)'}


class NonFiniteError(FloatingPointError):
    """A NaN or Inf appeared; ``path``, ``phase`` and ``module`` say where.

    The message is fixed when raised: it already names the whole path, so containers the error passes
    through do not prefix theirs again.
    """

    def __init__(self, message, module, path, phase):
        super().__init__(message)
        self.message, self.module, self.path, self.phase = message, module, path, phase

    def __str__(self):
        return self.message


def _all_finite(tensors):
    with np.errstate(invalid='ignore', over='ignore'):   # Inf - Inf in the sum is what we look for
        for t in tensors:
            a = t.array
            if a.dtype.kind == 'f' and a.size and not t.xp.isfinite(a.sum()):
                if not bool(t.xp.isfinite(a).all()):   # the sum may only have overflowed
                    return False
    return True


def _stats(name, tree):
    """'input: min -1.2, max 3.4, 60 of 60 finite' (one line per tensor of a table)."""
    lines, tensors = [], tensors_in(tree)
    for i, t in enumerate(tensors):
        a, xp = t.array, t.xp
        finite = xp.isfinite(a)
        count = int(finite.sum())
        label = name if len(tensors) == 1 else f"{name}[{i}]"
        if count:
            kept = a[finite]
            lines.append(f"{label}: min {float(kept.min()):.6g}, max {float(kept.max()):.6g}, "
                         f"{count} of {a.size} finite (size {tuple(t.size())})")
        else:
            lines.append(f"{label}: none of {a.size} finite (size {tuple(t.size())})")
    return lines


class Watch:
    """Hooks on the leaf modules of a model that raise ``NonFiniteError``; ``remove()`` takes them off."""

    def __init__(self, model):
        paths = module_paths(model)
        self.hooks = []
        for module in model.listModules():
            if module.children():
                continue   # a container's values are its children's, already checked
            for method in _PHASES:
                self.hooks.append(instance_hooks.install(module, method, self._checker(method, paths[id(module)])))

    @staticmethod
    def _checker(method, path):
        def check(module, call_next, *args):
            result = call_next(*args)
            produced = module.parameters()[1] if method == 'accGradParameters' else \
                (module.output if method == 'updateOutput' else module.gradInput)
            if not _all_finite(tensors_in(produced)):
                lines = [f"{path}: NaN or Inf in {_PHASES[method]}"] + _stats('input', args[0])
                if len(args) > 1:
                    lines += _stats('gradOutput', args[1])
                raise NonFiniteError('\n  '.join(lines), module, path, _PHASES[method].split(' ')[0])
            return result
        return check

    def remove(self):
        for hook in self.hooks:
            instance_hooks.uninstall(hook)
        self.hooks = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def watch(model):
    """Start watching ``model`` for NaN/Inf; use as a context manager or call ``.remove()`` to stop."""
    return Watch(model)
