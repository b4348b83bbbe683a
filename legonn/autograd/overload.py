"""Which legonn functions a trace sees, and the swap that routes them to a runtime (torch-autograd's overload.lua).

``module(name, table, define)`` declares, for one table (the ``legonn`` namespace, a class such as ``Tensor`` or
``DirectNode``, ``legonn.autograd.util``), what each of its functions is to a trace; ``define(m)`` calls:

- ``m.gradient(name, [g1, g2, ...])``: differentiable; ``g_i(g, ans, *args)`` is the gradient of argument ``i``
  (``None`` = zero), written with legonn functions so that it is itself traced (gradients of gradients);
- ``m.dynamic(*names)``: captured and differentiable, its gradient found by the runtime (``split``);
- ``m.initializer(*names)``: captured, not differentiable (``zeros``, ``new``: their values start a tensor);
- ``m.static(*names)``: not captured: called on the values (``size``, ``isTensor``);
- ``m.unsupported(*names)``: an error when called on a traced value;
- ``m.ignore(*names)``: left alone;
- ``m.operator(op, [g1, g2])``: a Python operator, ``op`` one of ``add sub mul div unm pow matmul``
  (``matmul`` is ``@``, legonn's matrix product, where Lua's ``*`` of matrices was one);
- ``m.defaultUnsupported()``: every other function of the table is unsupported;
- ``m.class_(class_name, define)``: the same calls for the methods of the class ``table.<class_name>``.

``install(apply_fn)`` puts the declared entries in place of the originals while a trace runs; ``uninstall()`` puts
the originals back. Torch7's Lua swaps the table entries for the whole process, which suits its one thread; legonn
is called from many threads at once (donkey threads, hogwild), so here the swap is reference-counted under a lock
across threads and the runtime is thread-local: each entry asks its thread's runtime, and a thread that is not
tracing calls the original at the cost of that one look-up. No trace running, nothing is swapped and nothing costs.
"""
import importlib
import threading
import types

# the Python methods of each operator overload.lua knows (with ``matmul``): direct, reflected
OPERATORS = {
    'add': ('__add__', '__radd__'),
    'sub': ('__sub__', '__rsub__'),
    'mul': ('__mul__', '__rmul__'),
    'div': ('__truediv__', '__rtruediv__'),
    'pow': ('__pow__', '__rpow__'),
    'matmul': ('__matmul__', '__rmatmul__'),
    'unm': ('__neg__', None),
}


class FnDesc:
    """What a runtime knows of a traced function (overload.lua's fnDesc): ``name`` (``torch.sum``,
    ``torch.Tensor.view``, ``op.__add``), ``fn`` (the original, called on raw values), ``capture`` (a node records
    the call), ``differentiable``, ``unsupported``, ``operator`` (the Lua name of an operator, else None); nnwrapper's
    descriptions add ``object``, ``raw`` and ``method``."""
    __slots__ = ('name', 'fn', 'capture', 'differentiable', 'unsupported', 'operator', 'object', 'raw', 'method')

    def __init__(self, name, fn, capture=True, differentiable=True, unsupported=False, operator=None,
                 object=None, raw=None, method=None):
        self.name, self.fn, self.capture = name, fn, capture
        self.differentiable, self.unsupported, self.operator = differentiable, unsupported, operator
        self.object, self.raw, self.method = object, raw, method

    def __repr__(self):
        return f"FnDesc({self.name})"


class _ThreadState(threading.local):
    """How deep this thread's installs are nested."""
    depth = 0


_state = _ThreadState()
# thread id -> the runtime tracing in that thread: the entries' one look-up (a dict read keyed by get_ident costs
# less than a threading.local attribute, and each thread writes only its own key)
_applies = {}
_runtime_of = _applies.get
_ident = threading.get_ident
_lock = threading.Lock()
_to_register = []     # the define functions of module(), run at the first install (their tables exist by then)
_overloads = []       # [(table, [(name, new, old)])] once registered
_unsupported_methods = {}   # class -> {name: FnDesc} for the methods defaultUnsupported covers (see class_)
_installs = 0         # installs running in all threads: the entries are swapped while it is above zero


def current_apply():
    """The runtime tracing in this thread (the ``apply_fn`` its outermost ``install`` gave), or None."""
    return _runtime_of(_ident())


def _entry(desc, grad_fns, old):
    """The function that stands for ``old`` while installed: this thread's runtime, or the original."""
    def traced(*args, **kwargs):
        apply = _runtime_of(_ident())
        if apply is None:
            return old(*args, **kwargs)
        return apply(desc, grad_fns, *args, **kwargs)
    traced.__name__ = getattr(old, '__name__', desc.name)
    traced.__doc__ = getattr(old, '__doc__', None)
    traced.__wrapped__ = old
    return traced


class _Declarations:
    """The ``m`` a define function receives, for one table (a module, a class, a dict)."""

    def __init__(self, prefix, table, is_class):
        self.prefix, self.table, self.is_class = prefix, table, is_class
        self.entries = []     # (name, new, old)
        self.supported = set()
        self._by_value = None   # id(function) -> its names in the table, built at the first declaration

    def _get(self, name):
        if isinstance(self.table, dict):
            return self.table.get(name)
        return getattr(self.table, name, None)

    def _overload(self, name, grad_fns, capture, differentiable, unsupported):
        self.supported.add(name)
        old = self._get(name)
        if old is None:          # as the Lua: a name the table lacks is passed over
            return
        desc = FnDesc(f"{self.prefix}.{name}", old, capture, differentiable, unsupported)
        new = _entry(desc, grad_fns, old)
        # the same function under its other names (legonn's snake_case aliases: index_select for indexSelect)
        for alias in [name] + [n for n in self._names_of(old) if n != name]:
            self.supported.add(alias)
            self.entries.append((alias, new, old))

    def _names_of(self, value):
        if self._by_value is None:
            self._by_value = {}
            for key in (self.table.keys() if isinstance(self.table, dict) else dir(self.table)):
                self._by_value.setdefault(id(self._get(key)), []).append(key)
        return self._by_value.get(id(value), ())

    def gradient(self, name, grad_fns):
        self._overload(name, list(grad_fns), True, True, False)

    def dynamic(self, *names):
        for name in names:
            self._overload(name, None, True, True, False)

    def initializer(self, *names):
        for name in names:
            self._overload(name, None, True, False, False)

    def static(self, *names):
        for name in names:
            self._overload(name, None, False, False, False)

    def unsupported(self, *names):
        for name in names:
            self._overload(name, None, True, False, True)

    def ignore(self, *names):
        self.supported.update(names)

    def operator(self, op_name, grad_fns):
        """The operator's Python methods on this table (a class): ``__add__`` and the reflected ``__radd__``. Each
        FnDesc's ``fn`` is the table's original method taking the operands in the order the user wrote them, so a
        runtime calls it on raw values and gets the original arithmetic, never its own entry again."""
        if op_name not in OPERATORS:
            raise ValueError(f"overload.operator: unknown operator {op_name!r}, expected one of {sorted(OPERATORS)}")
        self.supported.add(op_name)
        direct, reflected = OPERATORS[op_name]
        old = self._get(direct)
        if old is not None:
            self.entries.append((direct, _entry(FnDesc('op.__' + op_name, old, operator=op_name), list(grad_fns),
                                                old), old))
        old = self._get(reflected) if reflected else None
        if old is not None:
            desc = FnDesc('op.__' + op_name, _swapped_operands(old), operator=op_name)
            self.entries.append((reflected, _reflected_entry(desc, list(grad_fns), old), old))

    def _callables(self):
        names = self.table.keys() if isinstance(self.table, dict) else dir(self.table)
        for name in names:
            value = self._get(name)
            if not name.startswith('__') and isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
                yield name, value

    def defaultUnsupported(self):
        """Every function of the table not declared yet is unsupported. On a class, the methods are not swapped
        (hundreds of class attributes per trace would cost every call in every thread): a traced value's attribute
        look-up (DirectNode) finds them here and raises the same error."""
        if self.is_class:
            found = _unsupported_methods.setdefault(self.table, {})
            for name, old in self._callables():
                if name not in self.supported:
                    found[name] = FnDesc(f"{self.prefix}.{name}", old, True, False, True)
            return
        for name, old in self._callables():
            if name not in self.supported:
                desc = FnDesc(f"{self.prefix}.{name}", old, True, False, True)
                self.entries.append((name, _entry(desc, None, old), old))

    def class_(self, class_name, define):
        cls = self._get(class_name)
        if cls is None:
            return
        declarations = _Declarations(f"{self.prefix}.{class_name}", cls, True)
        define(declarations)
        _overloads.append((cls, declarations.entries))


def _swapped_operands(reflected):
    """``left <op> right`` through the reflected method of ``right``."""
    def on_values(left, right):
        return reflected(right, left)
    return on_values


def _reflected_entry(desc, grad_fns, old):
    def traced(self, other):
        apply = _runtime_of(_ident())
        if apply is None:
            return old(self, other)
        return apply(desc, grad_fns, other, self)
    traced.__name__ = getattr(old, '__name__', desc.name)
    traced.__wrapped__ = old
    return traced


def module(name, table, define):
    """Declare what the functions of ``table`` are to a trace (see the module's docstring); the declarations run at
    the first install, as overload.lua's."""
    def register():
        declarations = _Declarations(name, table, isinstance(table, type))
        define(declarations)
        _overloads.append((table, declarations.entries))
    with _lock:
        _to_register.append(register)


def unsupported_method(cls, name):
    """The FnDesc of ``cls.name`` when ``class_``'s ``defaultUnsupported`` made it unsupported, else None."""
    for klass in cls.__mro__:
        found = _unsupported_methods.get(klass)
        if found is not None and name in found:
            return found[name]
    return None


def _plan():
    """For each declared table: ``(table, entries, originals, inherited)``, the names to set while swapped in, the
    values to put back, and the names a class inherits (removed again, not copied in). Built once, again only
    after new declarations, so that a swap is a few dict updates: it runs at every call of ``df``."""
    plan = []
    for table, declared in _overloads:
        entries, originals, inherited = {}, {}, []
        own = vars(table) if isinstance(table, type) else None
        for name, new, old in declared:
            entries[name] = new
            if own is None:
                originals.setdefault(name, old)
            elif name in own:
                # as it was stored: a classmethod stays one (getattr gave a bound method)
                originals.setdefault(name, own[name])
            elif name not in inherited:
                inherited.append(name)
        plan.append((table, entries, originals, inherited))
    return plan


def _put(table, values):
    if isinstance(table, type):      # a class's dict is read-only: one setattr each
        for name, value in values.items():
            setattr(table, name, value)
    else:
        (table if isinstance(table, dict) else vars(table)).update(values)


def _swap_in():
    global _swap_plan
    if _to_register or _swap_plan is None:
        while _to_register:
            _to_register.pop(0)()
        _swap_plan = _plan()
    for table, entries, _originals, _inherited in _swap_plan:
        _put(table, entries)
    _set_nnwrapper_apply(_thread_apply)


def _swap_out():
    _set_nnwrapper_apply(None)
    for table, _entries, originals, inherited in reversed(_swap_plan):
        _put(table, originals)
        for name in inherited:
            if name in vars(table):      # a class two declarations swap is put back once
                delattr(table, name)


_swap_plan = None


def _thread_apply(desc, grad_fns, *args, **kwargs):
    """The runtime nnwrapper calls: the calling thread's (the swap is process-wide, the runtime per thread)."""
    apply = _runtime_of(_ident())
    if apply is None:
        return desc.fn(*args, **kwargs)
    return apply(desc, grad_fns, *args, **kwargs)


def install(apply_fn):
    """Start tracing in this thread with ``apply_fn(desc, grad_fns, *args)``. Nested installs keep the outermost
    runtime (overload.lua's installDepth); the first install in the process swaps the entries in."""
    global _installs
    _state.depth += 1
    if _state.depth != 1:
        return
    with _lock:
        if _installs == 0:
            _swap_in()
        _installs += 1
    _applies[_ident()] = apply_fn


def uninstall():
    """End this thread's trace (the outermost of its nested installs); the last one in the process swaps the
    originals back."""
    global _installs
    _state.depth -= 1
    if _state.depth != 0:
        return
    del _applies[_ident()]
    with _lock:
        _installs -= 1
        if _installs == 0:
            _swap_out()


def _set_nnwrapper_apply(apply_fn):
    """nnwrapper (autograd.nn's functions) learns the runtime through its setApplyFn, as in the Lua (imported at the
    first swap: it imports legonn.nn)."""
    importlib.import_module(f'{__package__}.nnwrapper').setApplyFn(apply_fn)
