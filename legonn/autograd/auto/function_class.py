"""What AutoModule and AutoCriterion classes share: one class per name, holding the function its objects
compute, registered for lg.save/lg.load under the Lua's class name."""
import legonn

_classes = {}   # the Lua's class name ('autograd.nn.module.AutoLinear') -> the class made for it


def function_class(kind, name, base):
    """The class ``autograd.nn.<kind>.<name>`` (a subclass of ``base``), made and registered on first use."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"autograd.nn.{base.__name__}: you must provide a name (a non-empty string) for your "
                        f"auto-differentiated {kind}, got {name!r}")
    package = f'autograd.nn.{kind}'
    full = f'{package}.{name}'
    cls = _classes.get(full)
    if cls is None:
        # a user's class (its __module__ is no legonn package): it never joins nn's namespace, and its typename
        # is the Lua's, autograd.nn.module.<name>
        cls = type(base)(name, (base,), {'__module__': package, 'lua_package': package, 'fn': None,
                                         '__doc__': f"{full}: {base.__doc__}"})
        _classes[full] = legonn.register(cls, full)
    return cls


class HoldsFunction:
    """Class-side handling of the one function a class's objects compute."""

    @classmethod
    def bind(cls, fn):
        """Make ``fn`` the function of this class (and of every object of it, loaded ones included). A class
        keeps one function: binding one of other code raises (the Lua silently kept the first); the same
        code again (a script or test run twice) replaces it. Returns the class."""
        if not callable(fn):
            raise TypeError(f"{cls.lua_package}.{cls.__name__}: an autograd function must be given, got "
                            f"{type(fn).__name__}")
        held = cls.fn
        if held is not None and held is not fn and getattr(held, '__code__', None) is not getattr(fn, '__code__', 0):
            raise ValueError(f"{cls.lua_package}.{cls.__name__} already computes {held.__qualname__}: a class "
                             f"computes one function; give {fn.__qualname__} a class of its own name")
        cls.fn = staticmethod(fn)
        cls._differentiated = {}
        return cls

    def _function(self):
        fn = type(self).fn
        if fn is None:
            raise RuntimeError(f"{self.lua_package}.{type(self).__name__} has no function in this process (a "
                               f"loaded object's function is not in the file): bind it first, "
                               f"{type(self).__name__}.bind(fn)")
        return fn

    def _grad(self, key, **opt):
        """autograd.grad of the class's function with options ``opt``, made once per class (the Lua's mt.f,
        mt.b) and per mode: autograd.optimize() switches it, as it does a df made afterwards."""
        from ... import autograd   # the package above imports this one
        cache = type(self).__dict__.get('_differentiated')
        if cache is None:
            cache = type(self)._differentiated = {}
        key = key, autograd.optimizing()
        df = cache.get(key)
        if df is None:
            df = cache[key] = autograd.grad(type(self).call_function, opt)
        return df
