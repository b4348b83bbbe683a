"""Module: Torch7's module contract.

A module computes ``output = f(input)`` in ``updateOutput(input)``, the
gradient with respect to its input in ``updateGradInput(input, gradOutput)``
and accumulates parameter gradients (scaled by ``scale``) in
``accGradParameters(input, gradOutput, scale)``. ``forward``/``backward``
wrap them, accepting NumPy/CuPy arrays and nested lists without copying.
State lives in ``output``, ``gradInput``, ``weight``, ``bias``, ``gradWeight``,
``gradBias`` and ``train``; output buffers are reused across calls, so keep a
``clone()`` of an output you need later.

A subclass writes those three methods (and a constructor); parameters(),
type(), cuda(), clone(), share(), getParameters(), clearState(), repr and the
snake_case aliases then work without extra code.
"""
import copy

from ..tensor import as_tensor_tree, default_class
from .contract_inputs import CONTRACT_METHODS, accept_arrays, as_input_tree
from .errors import name_outer
from .flatten import flatten_parameters
from .typed import Typed

CAUGHT = (ValueError, TypeError, IndexError)


def is_graph_node_arg(arg):
    """True for a graph node, or a list meant as one: empty, or holding any node or module (nngraph then
    explains a forgotten second pair of parentheses instead of forward failing obscurely)."""
    if getattr(arg, 'is_graph_node', False):
        return True
    if not isinstance(arg, (list, tuple)):
        return False
    return not arg or any(getattr(a, 'is_graph_node', False) or isinstance(a, Module) for a in arg)


class Module(Typed):
    """Base class of every layer and container."""

    # nngraph installs its node builder here (graph sits above modules in the import graph)
    node_factory = None
    contract_base = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        accept_arrays(cls, CONTRACT_METHODS, lambda module, gradOutput: as_input_tree(gradOutput))

    def __init__(self):
        super().__init__()
        cls = default_class()
        self.gradInput = cls()
        self.output = cls()
        self.train = True

    # --- the contract -------------------------------------------------------
    def updateOutput(self, input):
        return self.output

    def updateGradInput(self, input, gradOutput):
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        pass

    def forward(self, input):
        """Compute and return ``output`` for ``input`` (tensor, array or nested list)."""
        input = as_tensor_tree(input)
        try:
            self.checkContract(input)
            return self.updateOutput(input)
        except CAUGHT as err:
            name_outer(self, err)
            raise

    def backward(self, input, gradOutput=None, scale=1):
        """``updateGradInput`` then ``accGradParameters``; returns ``gradInput``. ``gradOutput`` may be
        omitted (Lua's nil) for modules that ignore it: a CriterionTable, Kmeans."""
        input, gradOutput = as_tensor_tree(input), as_input_tree(gradOutput)
        try:
            self.updateGradInput(input, gradOutput)
            self.accGradParameters(input, gradOutput, scale)
        except CAUGHT as err:
            name_outer(self, err)
            raise
        return self.gradInput

    def accUpdateGradParameters(self, input, gradOutput, lr):
        """Update the weights directly with the gradient (no gradWeight kept), as Torch7."""
        grad_weight, grad_bias = getattr(self, 'gradWeight', None), getattr(self, 'gradBias', None)
        self.gradWeight, self.gradBias = getattr(self, 'weight', None), getattr(self, 'bias', None)
        try:
            self.accGradParameters(input, gradOutput, -lr)
        finally:
            self.gradWeight, self.gradBias = grad_weight, grad_bias

    # --- parameters ---------------------------------------------------------
    def parameters(self):
        """(list of parameter tensors, list of their gradient tensors): weight and bias by default."""
        params, grads = [], []
        for name, grad_name in (('weight', 'gradWeight'), ('bias', 'gradBias')):
            p = getattr(self, name, None)
            if p is not None and not callable(p):
                params.append(p)
                grads.append(getattr(self, grad_name))
        return params, grads

    def zeroGradParameters(self):
        for g in self.parameters()[1]:
            g.zero()

    def updateParameters(self, learningRate):
        params, grads = self.parameters()
        for p, g in zip(params, grads):
            p.add(-learningRate, g)

    def getParameters(self):
        """One flat (params, gradParams) pair viewing every parameter of the tree (shared ones once).

        Each module's tensors are rebound as views into the flat storages; a second
        call returns views of the same storages.
        """
        return flatten_parameters(*self.parameters(), owner=self)

    def reset(self, stdv=None):
        return self

    # --- modes ----------------------------------------------------------------
    def training(self):
        self.train = True
        return self

    def evaluate(self):
        self.train = False
        return self

    # --- copies and sharing ---------------------------------------------------------
    def share(self, mlp, *names):
        """Make this module's tensors ``names`` views of ``mlp``'s (e.g. 'weight', 'bias', 'gradWeight')."""
        for name in names:
            mine, theirs = self.__dict__.get(name), mlp.__dict__.get(name)
            if mine is not None and theirs is not None and hasattr(theirs, 'storage'):
                if type(mine) is not type(theirs):
                    self.__dict__[name] = mine = theirs.new()
                mine.set(theirs)
        return self

    def clone(self, *names):
        """A deep copy; with ``names`` its tensors of those names share this module's storage."""
        twin = copy.deepcopy(self)
        if names:
            twin.share(self, *names)
        return twin

    # --- state --------------------------------------------------------------------
    def clearState(self, *names):
        """Empty ``output``, ``gradInput`` and the named buffers (they refill on the next call)."""
        return self.clearBuffers('output', 'gradInput', *names)

    # --- tree walking ------------------------------------------------------------
    def apply(self, fn):
        """Call ``fn`` on this module and (in containers) every descendant."""
        fn(self)
        return self

    def children(self):
        return []

    def replace(self, callback):
        """``callback(m)`` for this module and (in containers) every descendant, each replaced by what the
        callback returns (Module.lua's ``replace``, e.g. swapping every Dropout for an Identity)."""
        return callback(self)

    def listModules(self):
        """This module and all its descendants, depth first."""
        out = [self]
        for child in self.children():
            out.extend(child.listModules())
        return out

    def findModules(self, typename, container=None):
        """(modules of class ``typename`` (a name such as 'nn.Linear', or the class itself), the container
        holding each). The type must match exactly, as Torch7's ``torch.typename`` comparison."""
        found, holders = [], []
        if type(self) is typename if isinstance(typename, type) else \
                type(self).__name__ == typename.replace('nn.', ''):
            found.append(self)
            holders.append(container)
        for child in self.children():
            f, h = child.findModules(typename, self)
            found.extend(f)
            holders.extend(h)
        return found, holders

    # --- presentation -------------------------------------------------------------
    def summary(self, input):
        """Run forward on ``input`` and tabulate each module's path, output size, parameters, FLOPs and
        buffer memory, with totals (legonn.tools.summary)."""
        from ..tools.summary import summary  # tools sits above modules: imported on call, never at import
        return summary(self, input)

    def __repr__(self):
        return 'nn.' + type(self).__name__

    # --- nngraph --------------------------------------------------------------------
    def __call__(self, *args):
        if not args or any(is_graph_node_arg(a) for a in args):
            if Module.node_factory is None:
                raise RuntimeError('nngraph is not loaded: import legonn.graph')
            return Module.node_factory(self, *args)
        if len(args) > 2:
            raise TypeError(f"{self.shortName()}: calling a module on data takes an input and optionally a "
                            f"gradOutput (use a list for a table), got {len(args)} arguments")
        output = self.forward(args[0])
        if len(args) == 1 or args[1] is None:
            return output
        # Module.lua's __call__: forward then backward, returning both results
        return output, self.backward(args[0], args[1])

    def __neg__(self):
        return self()
