"""Which classes a file may name: legonn's own and those the user registered.

Loading looks a class up by the name the manifest gives and never imports
anything, so a file can only ever rebuild objects of these classes; their
state is restored into ``__dict__`` without calling any of their code.

Serialization sits just above ``tensor`` and never imports the packages above it:
they register into it. Every Module and Criterion class is in ``modules.base.typed.registry`` (nn's) or
``other_packages`` (cudnn's), in the module contract below serialization; graph and optim register their other
plain-state classes with ``register_builtin`` when imported; and the top-level package
registers, with ``register_importer``, the function that imports those packages, so a
file can be loaded before the user has imported ``legonn.nn``.
"""
_importers = []   # called before each lookup table is built; import what registers classes
_packages = {}    # legonn's own classes outside the Module/Criterion registry, whose objects are plain state
_user = {}


def register_importer(importer):
    """Call ``importer()`` before any class lookup (legonn/__init__.py: it imports nn and graph and registers
    optim's class)."""
    _importers.append(importer)


def register_builtin(name, cls):
    """Let files name legonn's own plain-state class ``cls`` as ``name`` (graph calls this on import;
    legonn/__init__.py for optim)."""
    _packages[name] = cls


def builtin_class(name):
    """legonn's plain-state class registered as ``name`` (the .t7 reader finds legonn.tds's containers so), once
    the registered importers have run."""
    for importer in _importers:
        importer()
    return _packages[name]


def module_classes():
    """{name: class} of every Module and Criterion, once the registered importers have run."""
    for importer in _importers:
        importer()
    from ..modules.base.typed import other_packages, registry
    return {**registry, **other_packages}


def _builtin():
    """{name: class} for legonn's own classes (every Module and Criterion, and those of register_builtin)."""
    table = {name: cls for name, cls in module_classes().items() if cls.__module__.startswith('legonn.')}
    table.update(_packages)
    return table


def _default_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def register(cls, name=None):
    """Allow ``legonn.load`` to rebuild objects of ``cls`` (your own Module, Criterion or plain class).

    ``name`` (default ``'<module>.<qualname>'``) is what the file records; it is a
    label, never imported. Instances must keep their state in ``__dict__``.
    A Torch7 class name (``register(InstanceNormalization, 'nn.InstanceNormalization')``) also lets
    ``load_lua`` rebuild that class's objects from a Torch7 file and ``save_lua`` write them (docs/t7.md).
    Returns ``cls``, so it works as a decorator.
    """
    if not isinstance(cls, type):
        raise TypeError(f"legonn.register: expected a class, got {type(cls).__name__}")
    if not cls.__dictoffset__:
        raise TypeError(f"legonn.register: {cls.__qualname__} instances have no __dict__ to save")
    name = _default_name(cls) if name is None else name
    if not isinstance(name, str) or not name:
        raise TypeError(f"legonn.register: name must be a non-empty string, got {name!r}")
    builtin = _builtin()
    # 'nn.X' is Torch7's name of legonn's own nn.X (its registry says 'X'): luaT refuses a class defined again
    # ("class %s has been already assigned a parent class"), and taking it would hand load_lua's every nn.X
    # to the user's class
    taken = (builtin.get(name) or _user.get(name)
             or (builtin.get(name[len('nn.'):]) if name.startswith('nn.') else None))
    if taken is not None and taken is not cls:
        raise ValueError(f"legonn.register: the name {name!r} already stands for {taken.__module__}."
                         f"{taken.__qualname__}; pass another name")
    _user[name] = cls
    return cls


def torch_class(name):
    """The class registered under ``name``, a Torch7 class name read from a .t7 file; None if none is."""
    return _user.get(name)


def torch_name(cls):
    """The name ``cls`` was registered under other than the default ``'<module>.<qualname>'`` (the Torch7 class
    name save_lua writes its objects under), or None."""
    return next((name for name, c in _user.items() if c is cls and name != _default_name(cls)), None)


def factory(name):
    """Torch7's ``torch.factory(name)``: a function making a bare object of the class ``name`` names, its
    constructor not run (OpenNMT's Encoder.load: ``local self = torch.factory('onmt.Encoder')()``, then the
    parent's ``__init`` by hand); for a tensor or storage type, an empty one. None for a name no class has, as
    Torch7's nil. ``name`` is a Torch7 name ('nn.Linear', 'torch.FloatTensor', 'legonn.FloatStorage', or the
    ``lg.typename`` of a class passed to ``legonn.register``) or the name a class was registered under. A module
    made so has a module's base state (``output``, ``gradInput``, ``train``), which Torch7's parent ``__init``
    would set."""
    from ..tensor import TENSOR_CLASSES
    from ..tensor.introspection import typename
    from ..tensor.storage import TYPED_STORAGES
    if not isinstance(name, str):
        raise TypeError(f"legonn.factory: expected a class name (a string), got {type(name).__name__}")
    short = name.split('.', 1)[1] if name.startswith(('torch.', 'legonn.')) else None
    cls = TENSOR_CLASSES.get(short) or next((s for s in TYPED_STORAGES if s.__name__ == short), None)
    if cls is not None:
        return lambda *_: cls()
    classes = module_classes()   # nn's keyed by the bare class name, other packages' by 'cudnn.X'
    key = name[len('nn.'):] if name.startswith('nn.') else name if '.' in name else None
    cls = _user.get(name) or classes.get(key) or _packages.get(name)   # _packages: 'optim.ConfusionMatrix', 'tds.Hash'
    if cls is None:   # a registered class under its Torch7 typename ('onmt.Encoder' for lua_package = 'onmt')
        cls = next((c for c in _user.values() if typename(c.__new__(c)) == name), None)
    if cls is None:
        return None
    return lambda *_: cls.__new__(cls)


class ClassTable:
    """Name <-> class lookups for one save or load (built once per call)."""

    def __init__(self):
        self.by_name = _builtin()
        self.by_name.update(_user)
        self.by_class = {cls: name for name, cls in self.by_name.items()}

    def name_of(self, cls, where):
        name = self.by_class.get(cls)
        if name is None and cls.__module__ == 'builtins':
            raise TypeError(f"legonn.save: {where} is a {cls.__name__}, which cannot be saved (numbers, strings, "
                            "None, lists, tuples, dicts, sets, tensors, arrays, modules and registered classes can)")
        if name is None:
            raise TypeError(f"legonn.save: {where} is a {cls.__module__}.{cls.__qualname__}, a class legonn cannot "
                            f"save; register it first with legonn.register({cls.__qualname__})")
        return name

    def lookup(self, name, error):
        cls = self.by_name.get(name) if isinstance(name, str) else None
        if cls is None:
            raise error(f"unknown class {name!r:.80}: a file may only name legonn's classes and those passed to "
                        "legonn.register() (nothing is imported while loading)")
        return cls


def setmetatable(tbl, name):
    """Torch7's ``torch.setmetatable(table, name)`` (lib/luaT/luaT.c, luaT_lua_setmetatable: a table and a known
    class name, else an error): the object of the class ``name`` names whose fields are the entries of the dict
    ``tbl``, its constructor not run. Lua turns the table itself into the object; a Python dict cannot change its
    class, so the object is returned (``copy = lg.setmetatable(copy, name)``), holding the dict's values
    themselves, not copies. fb.resnet.torch's and ResNeXt's checkpoints.lua (and texture_nets' utils.lua) rebuild
    a module so in their ``deepCopy`` (new modules, the same tensors). An object passed instead keeps its fields
    and changes class in place. ``name`` is read as ``legonn.factory`` reads it."""
    if not isinstance(tbl, dict) and (not hasattr(tbl, '__dict__') or isinstance(tbl, type)):
        raise TypeError(f"legonn.setmetatable: expected a table of fields (a dict, or an object), got "
                        f"{type(tbl).__name__}")
    make = factory(name)
    if make is None:
        raise ValueError(f"legonn.setmetatable: no class is named {name!r} (luaT's unknown typename {name!r}): a "
                         "Torch7 name such as 'nn.Linear', or one passed to legonn.register")
    fields = tbl if isinstance(tbl, dict) else vars(tbl)
    bad = [k for k in fields if not isinstance(k, str)]
    if bad:
        raise TypeError(f"legonn.setmetatable: an object's fields are named by strings, got the key {bad[0]!r}")
    from ..tensor import Tensor
    from ..tensor.storage import TYPED_STORAGES
    obj = make()
    if isinstance(obj, (Tensor, *TYPED_STORAGES)):
        raise TypeError(f"legonn.setmetatable: {name!r} is not a class of table objects (a tensor or storage type "
                        "is not a Lua table)")
    if not isinstance(tbl, dict):
        tbl.__class__ = type(obj)
        return tbl
    vars(obj).clear()          # the fields are the table's alone, as Lua's object is the table
    vars(obj).update(tbl)
    return obj
