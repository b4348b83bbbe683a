"""Per-instance method hooks: run code around one module's ``updateOutput`` (or any method) without
touching its class, so modules that are not hooked pay nothing.

``install(module, name, around)`` puts a function in ``module.__dict__`` that shadows the class's
method; ``around(call_next, *args)`` runs instead and calls ``call_next(*args)`` for the real work.
Hooks stack (a NaN watch on a memory-optimised model) and ``uninstall`` removes one from anywhere in
the stack. Containers call their children through ordinary attribute lookup, so a hooked child is
reached from any container. A clone or save of a hooked module copies the hook, so remove hooks first.
"""


def install(module, name, around):
    """Shadow ``module.<name>`` on this instance with ``around(call_next, *args)``; returns the hook."""
    def hook(*args):
        below = hook.below
        call_next = below if below is not None else getattr(type(module), name).__get__(module)
        return around(call_next, *args)

    hook.below = module.__dict__.get(name)
    hook.legonn_hook = True
    module.__dict__[name] = hook
    return hook


def uninstall(module, name, hook):
    """Take ``hook`` out of ``module.<name>``'s stack of hooks (nothing happens if it is not there)."""
    current = module.__dict__.get(name)
    if current is hook:
        if hook.below is None:
            del module.__dict__[name]
        else:
            module.__dict__[name] = hook.below
        return
    while current is not None and getattr(current, 'legonn_hook', False):
        if current.below is hook:
            current.below = hook.below
            return
        current = current.below
