"""Container: a module holding child modules in ``self.modules``.

Parameters, getParameters, type/cuda, clone/share, training/evaluate,
clearState and the repr walk through any nesting. Errors raised inside a
child are re-raised with this container's step prepended to the module path.
"""
import time

from ..modules.base.contract_inputs import as_module_input
from ..modules.base.errors import CAUGHT, add_path
from ..modules.base.module import Module
from ..modules.base.training import padded_sparse_parameters, parameters_of
from ..tensor import Tensor, backend
from ..tensor.introspection import typename as lua_typename


def _timed(module, method, args):
    """``module.method(*args)``, printing its wall time as dpnn's profiled Sequential does (after waiting for the
    GPU, when the result is on it)."""
    start = time.perf_counter()
    result = getattr(module, method)(*args)
    if isinstance(result, Tensor) and result.is_cuda:
        backend.cupy().cuda.Device().synchronize()
    print(f"nn.{type(module).__name__} {method}: {time.perf_counter() - start} s")
    return result


def _accumulates_nothing(module):
    """Whether ``module``'s backward surely adds nothing to its parameters' gradients: a module (not a container)
    whose class keeps Module's accGradParameters and backward, as Module.lua's empty accGradParameters."""
    cls = type(module)
    return (isinstance(module, Module) and not isinstance(module, Container)
            and cls.accGradParameters is Module.accGradParameters and cls.backward is Module.backward)


class Container(Module):
    """Base of every container; ``modules`` is the list of children."""
    # each child checks what it is given, so errors name the child's path
    input_dtypes = 'any'
    any_device = True
    empty_inputs = True

    def __init__(self):
        super().__init__()
        self.modules = []

    @property
    def hands_input_on(self):
        """Whether a forward input no tensor can be made of (a string) goes on to the children as it came, so
        the child that would take it names itself (contract_inputs.as_module_input): with ``keeps_numbers``
        run_module has each child convert what it is handed; an empty container names itself."""
        return self.keeps_numbers and bool(self.modules)

    def add(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"{self.shortName()}.add: expected an nn module, got {type(module).__name__}")
        self.modules.append(module)
        return self

    def extend(self, *modules):
        """``add`` each module in turn (dpnn's multi-add); returns the container."""
        for m in modules:
            self.add(m)
        return self

    def get(self, index):
        return self.modules[index]

    def size(self):
        return len(self.modules)

    def __len__(self):
        return len(self.modules)

    def __bool__(self):
        # true however many children, as every Lua table: `if self.rnnModule then` (recurrent.torch) tests for
        # nil, and an empty nn.Sequential() would read false through __len__
        return True

    def __getitem__(self, index):
        return self.modules[index]

    def children(self):
        return list(self.modules)

    def run_child(self, index, method, *args):
        """``self.modules[index].method(*args)``, naming this step of the path if it raises."""
        return self.run_module(self.modules[index], index, method, *args)

    def rethrowErrors(self, module, moduleIndex, funcName, *args):
        """Container.lua:28-69: ``module[funcName](module, ...)`` for a user container's own forward and backward
        (MSDNet's MSDNet_Layer and JointTrainModule call ``self:rethrowErrors(self.modules[i], i, 'updateOutput',
        x)``); ``module`` must be ``self.modules[moduleIndex]``, as the Lua asserts. An error comes back with this
        step added to its module path, as run_module's do (the Lua prefixes ``In i module of nn.X:``)."""
        if not (0 <= moduleIndex < len(self.modules) and self.modules[moduleIndex] is module):
            raise AssertionError(f"{self.shortName()}: mismatch between moduleIndex and self.modules in "
                                 f"rethrowErrors (moduleIndex {moduleIndex})")
        return self.run_module(module, moduleIndex, funcName, *args)

    def _child_step(self, index):
        """The path's step to child ``index``, as ``print`` shows the tree: ``Sequential[2]`` for its ``(2):``
        line; where this container's repr reads ``<own> @ <the child>`` (a decorator: ``Sequencer @ Recursor @
        JoinTable(0)``), ``<own> @``, so that a path inside it reads as that line does."""
        own, child = self.shortName(), self.modules[index].shortName()
        if own.endswith(' @ ' + child):
            return own[:-len(child)].rstrip()
        return f"{type(self).__name__}[{index}]"

    def run_module(self, module, step, method, *args):
        """``module.method(*args)`` (its input contract checked first for updateOutput), adding ``step``
        (e.g. ``Sequential[2]``; a child's index: ``_child_step``'s, worded only on an error) to the path of an
        error it raises. Inside this container's accUpdateGradParameters an accGradParameters call is the child's
        accUpdateGradParameters."""
        if method == 'accGradParameters' and self.__dict__.get('_updating'):
            method = 'accUpdateGradParameters'
        try:
            if method == 'updateOutput':
                if self.keeps_numbers and not isinstance(args[0], Tensor):
                    # the table came as the caller gave it (keeps_numbers): the child takes it as its forward would
                    args = (as_module_input(module, args[0], forward=True),) + args[1:]
                module.checkContract(args[0])
            if self.__dict__.get('dpnn_profile'):
                return _timed(module, method, args)
            return getattr(module, method)(*args)
        except CAUGHT as err:
            add_path(err, self._child_step(step) if type(step) is int else step, module)
            raise

    def accUpdateGradParameters(self, input, gradOutput, lr):
        """Each child's accUpdateGradParameters with the input and gradOutput it gets in accGradParameters, as
        every Torch7 container passes the call on: the container's own accGradParameters routes them, its
        children's calls turned into accUpdateGradParameters(..., lr) (see run_module)."""
        self._updating = True
        try:
            self.accGradParameters(input, gradOutput, lr)
        finally:
            del self._updating

    # --- the tree ------------------------------------------------------------
    def parameters(self):
        params, grads = [], []
        for m in self.modules:
            if Module._holds_no_parameters(m):
                # skipped without a call: a graph's backward asks this of every child (Identity, Sigmoid, ...)
                continue
            p, g = parameters_of(m)   # nothing for a child whose parameters() answers nil (Container.lua:120)
            params.extend(p)
            grads.extend(g)
        return params, grads

    def _accumulated_parameters(self):
        """The tree's (params, grads) that a backward accumulates into: a child whose accGradParameters was
        replaced on the object is left out, with its gradients, which it may have dropped (AdaIN-style freezes
        its encoder so, lib/ArtisticStyleLossCriterion.lua:49-53; Torch7's containers only call each child's
        accGradParameters). So is a child whose class keeps Module's empty accGradParameters and backward
        (nn/Module.lua:29-47): nothing accumulates into its gradients, which it may never have made (CNNMRF's
        nn.MRFMM keeps its patch matrix in ``weight`` and a zero ``bias`` for THNN's convolution). A
        container answering parameters() itself (OpenNMT's frozen WordEmbedding) is taken at its word."""
        if type(self).parameters is not Container.parameters or 'parameters' in self.__dict__:
            return parameters_of(self)
        params, grads = [], []
        for m in self.modules:
            if Module._holds_no_parameters(m) or 'accGradParameters' in m.__dict__ or _accumulates_nothing(m):
                continue
            p, g = m._accumulated_parameters() if isinstance(m, Module) else parameters_of(m)
            params.extend(p)
            grads.extend(g)
        return params, grads

    def sparseParameters(self):
        """The children's sparse parameters in one table (dpnn's Container.lua): (params, gradParams, scales,
        size), each child's entries keyed after the ``size`` positions of the children before it."""
        params, grads, scales, size = {}, {}, {}, 0
        for m in self.modules:
            p, g, s, n = padded_sparse_parameters(m)
            if p:
                keys = p.keys() if isinstance(p, dict) else range(len(p))
                for k in keys:
                    params[size + k], grads[size + k] = p[k], g[k]
                    scales[size + k] = None if s is None else s[k]
                size += len(p) if n is None else n
        return params, grads, scales, size

    def validateState(self):
        """Every child's ``validateState`` (errors name the child's path); the children must be modules."""
        for i, m in enumerate(self.modules):
            if not isinstance(m, Module):
                raise TypeError(f"{type(self).__name__}[{i}]: expected an nn module, got a {type(m).__name__}")
            self.run_child(i, 'validateState')
        return self

    def applyToModules(self, func):
        """``func(child)`` for each direct child, in order (Container.lua's applyToModules; ``apply`` walks the
        whole tree, this container included)."""
        for m in self.modules:
            func(m)

    def zeroGradParameters(self):
        for m in self.modules:
            m.zeroGradParameters()

    def updateParameters(self, learningRate):
        for m in self.modules:
            m.updateParameters(learningRate)

    def training(self):
        super().training()
        for m in self.modules:
            m.training()
        return self

    def evaluate(self):
        super().evaluate()
        for m in self.modules:
            m.evaluate()
        return self

    def share(self, mlp, *names):
        for mine, theirs in zip(self.modules, mlp.modules):
            mine.share(theirs, *names)
        return self

    def reset(self, stdv=None):
        for m in self.modules:
            m.reset(stdv)
        return self

    def clearState(self, *names):
        super().clearState(*names)
        for m in self.modules:
            m.clearState()
        return self

    def getHiddenState(self, step, input=None):
        return [m.getHiddenState(step) for m in self.modules]

    def setHiddenState(self, step, hiddenState):
        self._check_state_table('setHiddenState', hiddenState)
        for m, state in zip(self.modules, hiddenState):
            m.setHiddenState(step, state)

    def getGradHiddenState(self, step, input=None):
        return [m.getGradHiddenState(step) for m in self.modules]

    def setGradHiddenState(self, step, gradHiddenState):
        self._check_state_table('setGradHiddenState', gradHiddenState)
        for m, state in zip(self.modules, gradHiddenState):
            m.setGradHiddenState(step, state)

    def _check_state_table(self, method, states):
        # rnn's Module.lua asserts a table: one entry per child
        if not isinstance(states, (list, tuple)):
            raise TypeError(f"{self.shortName()}.{method}: expected a table (list) with one entry per child, "
                            f"got a {type(states).__name__}")

    def replace(self, callback):
        out = callback(self)
        for i, m in enumerate(self.modules):
            self.modules[i] = m.replace(callback)
        return out

    def apply(self, fn):
        fn(self)
        for m in self.modules:
            m.apply(fn)
        return self

    def __repr__(self):
        """Container.lua defines no ``__tostring__``, so Torch7 prints a Container subclass that has none of its
        own as its bare class name (luaT.c's ``__tostring`` pushes ``luaT_typename``): Stochastic_Depth's main.lua
        finds its blocks with ``tostring(model:get(i)) == 'nn.ResidualDrop'``. Sequential, Concat and the other
        containers print their children through their own ``__tostring__``."""
        return lua_typename(self)
