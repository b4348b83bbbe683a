"""Per-instance method hooks: run code around one module's ``updateOutput`` (or any method) without
touching its class, so modules that are not hooked pay nothing.

``install(module, name, around)`` puts a hook in ``module.__dict__`` that shadows the class's method;
the hook calls ``around(module, call_next, *args)``, which does the real work with
``call_next(*args)``. Hooks stack (a NaN watch on a memory-optimised model) and ``uninstall`` removes
one from anywhere in the stack. Containers call their children through ordinary attribute lookup, so
a hooked child is reached from any container. A clone (deep copy) of a hooked module gets hooks bound
to the clone; ``lg.save`` refuses hooked modules (take the watch or optimisation off first).
"""


class Hook:
    """Callable stored on the instance: ``around(module, next method in the stack, *args)``."""

    def __init__(self, module, name, around, below):
        self.module, self.name, self.around, self.below = module, name, around, below

    def __call__(self, *args):
        below = self.below
        call_next = below if below is not None else getattr(type(self.module), self.name).__get__(self.module)
        return self.around(self.module, call_next, *args)


def install(module, name, around):
    """Shadow ``module.<name>`` on this instance with ``around(module, call_next, *args)``; returns the hook."""
    hook = Hook(module, name, around, module.__dict__.get(name))
    module.__dict__[name] = hook
    return hook


def uninstall(hook):
    """Take ``hook`` out of its module's stack of hooks for its method (nothing happens if it is not there)."""
    module, name = hook.module, hook.name
    current = module.__dict__.get(name)
    if current is hook:
        if hook.below is None:
            del module.__dict__[name]
        else:
            module.__dict__[name] = hook.below
        return
    while isinstance(current, Hook):
        if current.below is hook:
            current.below = hook.below
            return
        current = current.below
