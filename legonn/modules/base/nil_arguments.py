"""``None`` for a defaulted constructor argument means the default, as Lua's ``nil`` does.

Torch7 constructors read their optional arguments as ``x or default`` (or
``x == nil and default``), so ported code passes ``nil`` to reach a later
argument: ``nn.BatchNormalization(m, nil, nil, false)``. Every constructor of the
contract's classes is wrapped when its class is defined: an argument given as
``None`` whose declared default is not ``None`` is replaced by that default
before the constructor runs.
"""
import functools
import inspect


def _declared_defaults(init):
    """(names of the positional parameters, {name: default} for defaults other than None)."""
    positional, defaults = [], {}
    for name, param in list(inspect.signature(init).parameters.items())[1:]:   # skip self
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            positional.append(name)
        if param.kind is not param.VAR_POSITIONAL and param.kind is not param.VAR_KEYWORD and \
                param.default is not param.empty and param.default is not None:
            defaults[name] = param.default
    return positional, defaults


def nil_means_default(cls):
    """Wrap ``cls.__init__`` (if ``cls`` defines one with non-None defaults) so ``None`` means the default."""
    init = cls.__dict__.get('__init__')
    if init is None or getattr(init, 'nil_defaults', None) is not None:
        return
    positional, defaults = _declared_defaults(init)
    if not defaults:
        return
    slots = [(i, name) for i, name in enumerate(positional) if name in defaults]

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if any(a is None for a in args):
            args = list(args)
            for i, name in slots:
                if i < len(args) and args[i] is None:
                    args[i] = defaults[name]
        for name, value in kwargs.items():
            if value is None and name in defaults:
                kwargs[name] = defaults[name]
        init(self, *args, **kwargs)

    __init__.nil_defaults = defaults
    cls.__init__ = __init__
