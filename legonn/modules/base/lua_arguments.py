"""Constructor arguments read as Lua reads them: ``None`` for a defaulted argument means the default,
and a whole-number float is an integer.

Torch7 constructors read their optional arguments as ``x or default`` (or
``x == nil and default``), so ported code passes ``nil`` to reach a later
argument: ``nn.BatchNormalization(m, nil, nil, false)``. An argument given as
``None`` whose declared default is not ``None`` is replaced by that default
before the constructor runs.

Lua has one number type, so a size computed by ``/`` or read from a tensor
(``nStages = torch.Tensor{16, 32}``; ``nn.SpatialConvolution(3, nStages[1], ...)``
in wide-residual-networks) is the same value as the literal ``16``; in Python it
is the float ``16.0``, which legonn's integer checks refuse. A float argument
whose value is a whole number is therefore passed on as an ``int``, for every
argument (no Torch7 constructor can tell 16 from 16.0); a non-integral float
stays as it is, so an integer check still refuses it. Every constructor of the
contract's classes is wrapped when its class is defined.

Lua also drops arguments a constructor never reads: e-lab/ENet's
``nn.ConcatTable(2)`` and waifu2x's ``nn.Sigmoid(true)`` build the plain module.
legonn refuses them (a number there is usually a misread dimension), with a
message naming the class, never only the ancestor whose ``__init__`` Python
reports. A class whose refused argument a reader may take for another meaning
(``nn.SoftMarginCriterion(false)`` still averages in Torch7) says what to
write instead in its ``unread_arguments_note``.
"""
import functools
import inspect

from ...tensor.indexing import lua_number
from ...tensor.introspection import lua_class_name


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


def lua_arguments(cls):
    """Wrap ``cls.__init__`` (if ``cls`` defines one) so ``None`` means the default and whole-number floats
    are integers."""
    init = cls.__dict__.get('__init__')
    if init is None or getattr(init, 'nil_defaults', None) is not None:
        return
    positional, defaults = _declared_defaults(init)
    slots = [(i, name) for i, name in enumerate(positional) if name in defaults]

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        args = [lua_number(a) for a in args]
        for i, name in slots:
            if i < len(args) and args[i] is None:
                args[i] = defaults[name]
        for name, value in kwargs.items():
            kwargs[name] = defaults[name] if value is None and name in defaults else lua_number(value)
        init(self, *args, **kwargs)

    __init__.nil_defaults = defaults
    cls.__init__ = __init__


@functools.lru_cache(maxsize=512)
def _constructor_signature(cls):
    return inspect.signature(cls.__init__)


def _unread_note(cls):
    """What to write instead, for the class whose ``__init__`` ``cls`` runs: its ``unread_arguments_note``
    (where dropping the argument changes what a Lua reader expects), else the general advice."""
    owner = next(klass for klass in cls.__mro__ if '__init__' in vars(klass))
    return vars(owner).get('unread_arguments_note') or (
        "Torch7 drops arguments a constructor never reads (nn.ConcatTable(2), nn.Sigmoid(true)), legonn "
        "refuses them: leave them out")


def refuse_unread_arguments(cls, args, kwargs):
    """Raise a TypeError naming ``cls`` (its Lua name, 'nn.Sigmoid') when its constructor is given arguments
    it has no parameter for; called before the object is made, so the message is the class's, not Python's
    about the first ancestor that defines ``__init__``. A missing argument is left to Python's own error."""
    if not args and not kwargs:
        return
    signature = _constructor_signature(cls)
    try:
        signature.bind_partial(None, *args, **kwargs)
    except TypeError as err:
        params = list(signature.parameters.values())[1:]
        takes = f"({', '.join(str(p) for p in params)})" if params else "no arguments"
        given = ', '.join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
        raise TypeError(f"{lua_class_name(cls)}({given}): its constructor takes "
                        f"{takes} ({err}); {_unread_note(cls)} (docs/porting.md)") from None


def table_arguments(owner, params, names, defaults):
    """The values of ``names`` in ``params``, the table of a Lua call ``Module{name=value, ...}`` (a missing
    name gives its entry of ``defaults``); an unknown name raises ValueError."""
    unknown = set(params) - set(names)
    if unknown:
        raise ValueError(f"{owner}: unknown argument {sorted(unknown)[0]!r} (expected {', '.join(names)})")
    return [params.get(name, default) for name, default in zip(names, defaults)]


def options_table(owner, argname, options, named, allowed, example):
    """A Lua call's options table (nninit's ``{gain = 'relu'}``, optnet's ``opts``) given as the dict ``options``
    and/or the keywords ``named`` (which win), merged and checked against the names ``allowed``: TypeError for
    ``options`` that is not a dict (``example`` shows one), ValueError naming unknown options."""
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"{owner}: {argname} must be a dict such as {example}, got {options!r}")
    merged = {**(options or {}), **named}
    unknown = sorted(set(merged) - set(allowed))
    if unknown:
        raise ValueError(f"{owner}: options are {', '.join(allowed)}, got {', '.join(map(str, unknown))}")
    return merged
