"""Torch7 camelCase names with generated snake_case aliases.

Every public camelCase method of a class deriving from :class:`TorchNamed`
gets a snake_case twin (``getParameters`` -> ``get_parameters``). The alias
looks the camelCase name up on the instance at call time, so a subclass that
overrides ``updateOutput`` is reached through ``update_output`` too.
"""
import re
import types

# a capital after a lower-case letter or digit, or the last capital of an acronym before a lower-case letter
_CAMEL_BOUNDARY = re.compile(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])')


def snake_case(name):
    """``getParameters`` -> ``get_parameters``, ``getRNGState`` -> ``get_rng_state``; names without
    capitals map to themselves."""
    return _CAMEL_BOUNDARY.sub('_', name).lower()


def snake_aliases(namespace):
    """{snake_case name: object} for the camelCase names of a module-level namespace (``manualSeed``
    -> ``manual_seed``), skipping names the namespace already has."""
    return {snake_case(name): value for name, value in namespace.items()
            if not name.startswith('_') and snake_case(name) != name and snake_case(name) not in namespace}


class _Alias:
    __slots__ = ('target',)

    def __init__(self, target):
        self.target = target

    def __get__(self, obj, owner):
        return getattr(owner if obj is None else obj, self.target)


class TorchNamed:
    """Base that gives every public camelCase method a snake_case alias."""
    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # walk the whole MRO so methods that mixins contribute get aliases too
        names = {name: value for klass in reversed(cls.__mro__[:-1]) for name, value in vars(klass).items()}
        for name, value in names.items():
            if name.startswith('_') or not (callable(value) or isinstance(value, (staticmethod, classmethod))):
                continue
            alias = snake_case(name)
            if alias != name and alias not in names:
                setattr(cls, alias, _Alias(name))


class LuaTablePackage(types.ModuleType):
    """A package that reads as the Lua table it stands for: Lua indexes a table with a string as it reads a field,
    so Torch7 code picks an optimiser or a module by name, ``optim[opt.optimiser](feval, x, state)`` (Kaixhin's
    Autoencoders and Atari), ``nn[opt.activation]()``; ``package[name]`` is ``package.name`` here. A name the
    package lacks is a KeyError naming the package and the name (Lua's nil would fail later, at the call)."""

    def __getitem__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"{self.__name__}[{name!r}]: a field name (str) is expected, got {type(name).__name__}")
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(f"{self.__name__}[{name!r}]: {self.__name__} has no field {name!r}") from None
