"""nn modules and criterions as functions autograd differentiates (torch-autograd's nnwrapper.lua).

``functionalize(obj)`` wraps one object:

- a module with parameters gives ``(f, params)``: ``f(params, x)`` is ``obj.forward(x)`` run with ``params`` (a
  list of tensors shaped as ``obj.parameters()[0]``, which ``params`` starts as) in place of the module's own;
- a module without parameters gives ``f``, ``f(x)``;
- a criterion gives ``f``, ``f(x, y)``, the loss as a number.

``x`` is a tensor or a (nested) list of tensors (a table module's input). Each call converts the module to
the input's tensor type when that changes (a FloatTensor input makes a float module, a CudaTensor one a CUDA
module), as nnwrapper.lua does, so parameters must be of the input's type; an input of indices (a LookupTable's)
moves the module to its device only. The gradients are the module's own
``backward``. ``functionalize('nn')`` (or a package object, such as ``legonn.nn``) gives every module and
criterion class of the package as a constructor of such functions: ``linear, params =
autograd.nn.Linear(10, 5)``.

Two differences from the Lua, both where the Lua gives wrong values silently (docs/autograd.md): an output is
a copy, not the module's ``output`` buffer (a module called twice in one function overwrote the first call's
value), and a backward whose module last ran forward on other arguments runs forward on its own first (a
Tanh's backward reads its ``output``); a criterion's gradient is scaled by the gradient of its loss (the Lua
returned ``backward(x, y)`` whatever multiplied the loss).
"""
import importlib
import types

from ..criterions.criterion import Criterion
from ..modules.base.module import Module
from ..modules.base.nn_utils import utils
from ..modules.base.zero_rows import first_tensor
from ..tensor import Tensor
from ..tensor.types import device_twin
from .overload import FnDesc

_apply = None


def _direct_apply(desc, grad_fns, *args):
    """Outside any trace a wrapped function simply runs (nnwrapper.lua's directApply)."""
    return desc.fn(*args)


def setApplyFn(fn=None):
    """Route every wrapped call through ``fn(desc, grad_fns, *args)`` (the runtime's apply entry point); None
    puts back the untraced one."""
    global _apply
    _apply = fn or _direct_apply


setApplyFn()


def _apply_fn(desc, grad_fns, *args):
    return _apply(desc, grad_fns, *args)


def _clone_tree(value):
    """A copy of a tensor or (nested) list of them: a module's output and gradInput buffers are rewritten by its
    next call, so what a traced function keeps must be its own."""
    return utils.recursiveCopy(None, value)[0]


def _zeros_tree(value):
    """Zeros shaped like a tensor or (nested) list of them (the Lua's util.fillSameSizeAs(y, 0))."""
    return utils.recursiveFill(utils.recursiveResizeAs(None, value)[0], 0)


class Functional:
    """What ``functionalize`` returns for one nn object: callable (its ``entry``), with the wrapped object as
    ``module`` and its untraced ``forward`` and ``backward``."""

    name = 'model'

    def __init__(self, obj):
        self.module = obj
        self._last_type = None
        self._forwarded = None   # the arguments of the module's last forward, which its buffers belong to

    def __repr__(self):
        return f"autograd.nn functional {self.module.shortName()}"

    def __call__(self, *args):
        return self.entry(*args)

    def _follow_type(self, x):
        """Convert the module to ``x``'s tensor type when it changes (nnwrapper.lua's updateType)."""
        found = first_tensor(x)
        if found is None:
            raise TypeError(f"autograd.nn {self.module.shortName()}: expected a tensor or a table of tensors as "
                            f"input, got {type(x).__name__}")
        typename = found.type()
        if found.dtype.kind != 'f':
            # indices (a LookupTable's input): the module keeps its element type, moved to the input's device as
            # cuda() and float() move it (the Lua converted it to the indices' type: integer weights)
            current = self.module.type()
            moved = found.is_cuda != current.startswith('legonn.Cuda')
            typename = current if not moved else 'legonn.CudaTensor' if found.is_cuda else device_twin(current, False)
        if typename != self._last_type:
            self._last_type = typename
            self.module.type(typename)
            self._forwarded = None

    def _desc(self, method, fn):
        """The runtime's description of a call: ``object`` this wrapper, ``raw`` the nn object, ``method``
        'forward' or 'backward'."""
        return FnDesc(self.name, fn, object=self, raw=self.module, method=method)


class FunctionalCriterion(Functional):
    """``f(x, y)``: the criterion's loss; its gradient for ``x`` is ``backward(x, y)`` times the gradient of
    the loss, for ``y`` zero."""

    name = 'criterion'

    def forward(self, x, y):
        self._follow_type(x)
        return self.module.forward(x, y)

    def backward(self, g, x, y):
        self._follow_type(x)
        grad = _clone_tree(self.module.backward(x, y))
        return grad if isinstance(g, (int, float)) and g == 1 else _scaled(grad, g)

    def entry(self, x, y):
        back = self._desc('backward', self.backward)
        grad_fns = [lambda g, ans, x, y: _apply_fn(back, None, g, x, y),
                    lambda g, ans, x, y: _zeros_tree(y)]
        return _apply_fn(self._desc('forward', self.forward), grad_fns, x, y)


def _scaled(grad, g):
    """``grad`` (a tensor or list of them) times the loss's gradient ``g`` (a number or a one-element tensor)."""
    if isinstance(grad, list):
        return [_scaled(v, g) for v in grad]
    return grad.mul(g if isinstance(g, (int, float)) else g.view(-1)[0].item())


class FunctionalModule(Functional):
    """``f(x)`` of a module without parameters; its gradient is the module's ``backward(x, g)``."""

    def forward(self, x):
        self._follow_type(x)
        self._forwarded = (x,)
        return _clone_tree(self.module.forward(x))

    def backward(self, g, x):
        self._follow_type(x)
        if self._forwarded is None or self._forwarded[0] is not x:
            self.forward(x)
        self.module.zeroGradParameters()
        return _clone_tree(self.module.backward(x, g))

    def entry(self, x):
        back = self._desc('backward', self.backward)
        grad_fns = [lambda g, ans, x: _apply_fn(back, None, g, x)]
        return _apply_fn(self._desc('forward', self.forward), grad_fns, x)


class FunctionalModuleWithParams(Functional):
    """``f(params, x)`` of a module with parameters: ``params`` (a list like ``parameters()[0]``) become the
    module's parameters (each module tensor is made a view of the given one) before it runs; the gradients are
    the module's gradient tensors and ``gradInput`` after its ``backward(x, g)``."""

    def _bind(self, params):
        own = self.module.parameters()[0]
        if not isinstance(params, (list, tuple)) or len(params) != len(own):
            got = f"a list of {len(params)}" if isinstance(params, (list, tuple)) else type(params).__name__
            raise TypeError(f"autograd.nn {self.module.shortName()}: expected its {len(own)} parameters as a list "
                            f"of tensors, got {got}")
        for i, (p, given) in enumerate(zip(own, params)):
            if p is given:
                continue
            if not isinstance(given, Tensor) or given.type() != p.type() or given.size() != p.size():
                what = (f"a {given.type()} of size {tuple(given.size())}" if isinstance(given, Tensor)
                        else f"a {type(given).__name__}")
                raise TypeError(f"autograd.nn {self.module.shortName()}: parameter {i} must be a {p.type()} of "
                                f"size {tuple(p.size())} (the module follows its input's type), got {what}")
            p.view(given, given.size())

    def forward(self, params, x):
        self._follow_type(x)
        self._bind(params)
        self._forwarded = (x, *params)
        return _clone_tree(self.module.forward(x))

    def backward(self, g, params, x):
        self._follow_type(x)
        forwarded = (x, *params)
        if self._forwarded is None or len(forwarded) != len(self._forwarded) or \
                any(a is not b for a, b in zip(forwarded, self._forwarded)):
            self.forward(params, x)
        else:
            self._bind(params)
        self.module.zeroGradParameters()
        grad_input = _clone_tree(self.module.backward(x, g))
        return [_clone_tree(self.module.parameters()[1]), grad_input]

    def entry(self, params, x):
        back = self._desc('backward', self.backward)
        grads = []   # one backward serves both gradients

        def gradient(i):
            def grad_fn(g, ans, params, x):
                if not grads:
                    grads.append(_apply_fn(back, None, g, params, x))
                return grads[0][i]
            return grad_fn
        return _apply_fn(self._desc('forward', self.forward), [gradient(0), gradient(1)], params, x)


def functionalize(obj):
    """A module, a criterion or a package (a name such as 'nn', or the package object) as functions: see the
    module docstring. A module with parameters gives ``(f, params)``."""
    if isinstance(obj, str) or isinstance(obj, types.ModuleType):
        return functionalizePackage(obj)
    if isinstance(obj, Module):
        if obj.parameters()[0]:
            wrapped = FunctionalModuleWithParams(obj)
            return wrapped, obj.parameters()[0]
        return FunctionalModule(obj)
    if isinstance(obj, Criterion):
        return FunctionalCriterion(obj)
    raise TypeError(f"autograd.functionalize: expected an nn module, an nn criterion or a package name, got "
                    f"{type(obj).__name__}")


class FunctionalPackage(types.SimpleNamespace):
    """Every module and criterion class of a package as a constructor of functions (``pkg.Linear(10, 5)`` gives
    ``(f, params)``); ``pkg['Tanh']`` as the Lua's ``nn[name]``."""

    def __getitem__(self, name):
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None


def _constructor(cls):
    def make(*args, **kwargs):
        return functionalize(cls(*args, **kwargs))
    make.__name__ = make.__qualname__ = cls.__name__
    make.__doc__ = f"{cls.__name__}(...) as functionalize(nn.{cls.__name__}(...)) gives it."
    return make


def functionalizePackage(package):
    """``package`` (a name: legonn's own package of that name, else an importable module; or the module object)
    as a FunctionalPackage of its module and criterion classes."""
    if isinstance(package, str):
        for name in (f'legonn.{package}', package):
            try:
                package = importlib.import_module(name)
                break
            except ImportError:
                continue
        else:
            raise ValueError(f"autograd.functionalize: could not load package {package!r}")
    if not isinstance(package, types.ModuleType):
        raise TypeError(f"autograd.functionalizePackage: expected a package name or module, got "
                        f"{type(package).__name__}")
    found = {}
    for name, value in vars(package).items():
        if isinstance(value, type) and issubclass(value, (Module, Criterion)) and not name.startswith('_'):
            found[name] = _constructor(value)
    if package.__name__ == 'legonn.nn':
        # autograd.nn, functionalize('nn'), also makes new classes from functions (init.lua adds them to it)
        from .auto import AutoCriterion, AutoModule
        found.update(AutoModule=AutoModule, AutoCriterion=AutoCriterion)
    return FunctionalPackage(**found)
