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
import contextlib
import copy
import functools

from ...tensor import Tensor, default_class, tensor_class
from ...tensor.introspection import typename as lua_typename
from .batching import OnlineBatching
from .contract_inputs import CONTRACT_METHODS, accept_arrays, as_forward_input, as_module_input
from .errors import CAUGHT, check_hyper, input_error, name_outer
from .flatten import flatten_parameters, flatten_tensors
from .hessian import DiagHessianMethods
from .serial_modes import SerialModes
from .training import TrainingMethods, parameters_of
from .typed import FORWARD_RECORDS, Typed

# nngraph's node builders: legonn.graph sits above modules and criterions, so it registers them here
# (register_graph_builders) instead of patching Module or Criterion
_graph_builders = {}


def register_graph_builders(module_node, criterion_node):
    """Make ``module(node, ...)`` return ``module_node(module, node, ...)`` and ``criterion(node_a, node_b)``
    return ``criterion_node(criterion, node_a, node_b)`` (legonn.graph calls this when imported)."""
    _graph_builders.update(module=module_node, criterion=criterion_node)


def graph_builder(kind):
    """The registered node builder for ``'module'`` or ``'criterion'`` calls, None until legonn.graph is imported."""
    return _graph_builders.get(kind)


def is_graph_node_arg(arg):
    """True for a graph node, or a list meant as one: empty, or holding any node or module (nngraph then
    explains a forgotten second pair of parentheses instead of forward failing obscurely)."""
    if getattr(arg, 'is_graph_node', False):
        return True
    if not isinstance(arg, (list, tuple)):
        return False
    return not arg or any(getattr(a, 'is_graph_node', False) or isinstance(a, Module) for a in arg)


def _sizes(tree):
    """The type and size of each tensor of a tensor or (nested) table; None for anything else."""
    if isinstance(tree, Tensor):
        return tree._typename, tree._size
    if isinstance(tree, (list, tuple)):
        # a table's tensors read in place, without a call each: the recording forward asks this of every table
        return [(v._typename, v._size) if isinstance(v, Tensor) else _sizes(v) for v in tree]
    return None


def _cleared(grad):
    """A gradient a saved module was stripped of: None, or an empty tensor (``m.gradWeight = torch.Tensor()``).
    Torch7 loads either; such a module forwards but cannot accumulate until it has real gradients."""
    return grad is None or (isinstance(grad, Tensor) and grad.nElement() == 0)


def _grad_type_fits(grad, typename):
    """Whether a gradient tensor fits an output (or input) of ``typename``: of that type, or, where those are
    integers (a ByteTensor mask, LongTensor indices: nothing to differentiate), a tensor of any type on the same
    device, which Torch7's modules pass on unread. HieCoAttenVQA's maskSoftmax.lua hands back its mask's gradient
    as the mask after ``:cuda()``, a CudaTensor, to the Identity node that gave it the CudaByteTensor mask."""
    if grad._typename == typename:
        return True
    cls = tensor_class(typename)
    return cls._dtype.kind in 'iub' and cls._cuda == grad._cuda


def _contract_forward(update_output):
    """``update_output`` (a class's own updateOutput) taking what ``forward`` takes (contract_inputs'
    conversion, by the outermost call only) and remembering the sizes of the input it worked on and of the
    output it made (accGradParameters compares). One wrapper, not a converting one around a recording one:
    every module call through a graph or container pays each wrapper's frame."""
    @functools.wraps(update_output)
    def updateOutput(self, input):
        if not isinstance(input, Tensor) and getattr(type(self), 'updateOutput') is updateOutput:
            # arrays and tables of them become tensors; a super() call gets what its caller passed
            input = as_module_input(self, input, forward=True)
        output = update_output(self, input)
        # what _sizes gives, written out for a tensor: this runs on every forward of every module
        self._forward_sizes = (input._typename, input._size) if isinstance(input, Tensor) else _sizes(input)
        # the output's sizes are kept apart from the output tensor, which backward may since have rewritten:
        # Torch7 code may alias gradInput to output (seq2seq-attn's reuseMem: m.gradInput = m.output), and
        # updateGradInput then resizes that shared tensor to the input's size before accGradParameters runs
        self._forward_output_sizes = (output._typename, output._size) if isinstance(output, Tensor) else \
            _sizes(output)
        return output
    updateOutput.wrapped = updateOutput.accepts_arrays = True
    return updateOutput


def _contract_accumulation(acc):
    """``acc`` (a class's own accGradParameters) taking what ``backward`` takes (converted by the outermost
    call, as ``_contract_forward``), behind ``checkAccumulation``."""
    @functools.wraps(acc)
    def accGradParameters(self, input, gradOutput, scale=1):
        # Torch7's scale = scale or 1: a nil scale, passed on by a module's backward(input, gradOutput,
        # scale) override (torch-rnn's LanguageModel), is 1
        scale = 1 if scale is None else scale
        state = self.__dict__
        if '_accumulating' in state:
            # a super() call from a subclass's override, checked there against what forward made: it passes on
            # what it made of the gradOutput (eyescream's SpatialConvolutionUpsample views its (N, nOut, f h, f w)
            # gradOutput back to the (N, nOut f^2, h, w) its parent convolution computed)
            return acc(self, input, gradOutput, scale)
        # the outermost wrapped call (a mixin's unwrapped override, MapParameters', may come first and hand on
        # what it made of the input: that is what this checks)
        if not isinstance(input, Tensor):
            input = as_module_input(self, input)
        if not isinstance(gradOutput, Tensor):
            gradOutput = as_module_input(self, gradOutput)
        self.checkAccumulation(input, gradOutput)
        state['_accumulating'] = True
        try:
            return acc(self, input, gradOutput, scale)
        finally:
            del state['_accumulating']
    accGradParameters.wrapped = accGradParameters.accepts_arrays = True
    return accGradParameters


def _parameters_or_empty(params):
    """``params`` (a class's own parameters()) with a None result read as no parameters, ``([], [])``."""
    @functools.wraps(params)
    def parameters(self):
        # Torch7's `return nil` (OpenNMT's WordEmbedding with fixed vectors): Container.lua skips the child and
        # Module.lua's getParameters/zeroGradParameters/updateParameters see no parameters; every caller here
        # unpacks two lists
        found = params(self)
        return ([], []) if found is None else found
    parameters.wrapped = True
    return parameters


class Module(OnlineBatching, TrainingMethods, SerialModes, DiagHessianMethods, Typed):
    """Base class of every layer and container."""

    contract_base = True
    # a module without parameters reads them as None, as Torch7's nil fields: a ported
    # `model:apply(function(m) if m.weight then ... end end)` tests every module, ReLUs included
    weight = bias = gradWeight = gradBias = None
    # dpnn's flag: a module that a step clone holds as itself rather than copies (AbstractRecurrent sets it)
    dpnn_stepclone = False
    # dpnn's hook: a module with a method of this name is copied by it inside another's sharedClone
    dpnn_sharedClone = None
    # a table module that moves Lua numbers about (dpnn's ReverseTable), or a container that hands its input on
    # to its children, sets it: its tables of numbers stay lists (each child converts what it takes)
    keeps_numbers = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # wrapped here, once per class, so no module (a user's included) can accumulate into a gradient of
        # the wrong size, or from an input or gradOutput other than forward's: writes could go out of bounds
        # (updateOutput and accGradParameters convert arrays in the same wrapper, outermost, so those checks see
        # tensors)
        for name, wrap in (('updateOutput', _contract_forward), ('accGradParameters', _contract_accumulation),
                           ('parameters', _parameters_or_empty)):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, 'wrapped', False):
                setattr(cls, name, wrap(method))
        # the other contract methods: arrays become tensors, outermost
        accept_arrays(cls, CONTRACT_METHODS, as_module_input)
        if not cls.__module__.startswith('legonn.'):
            if 'empty_inputs' not in cls.__dict__:
                cls.empty_inputs = True   # a user's module gets what Torch7 gives it (checks.py)
            if 'updateOutput' in cls.__dict__:
                # a user's class that writes its own updateOutput takes what that code takes, as a Lua subclass
                # does: the parent's declared input kind and ranks describe the parent's updateOutput only
                # (fairseq's LinearizedConvolution, an nn.Linear, takes bsz x 1 x nin and hands Linear a view)
                if 'input_kind' not in cls.__dict__ and 'input_ranks' not in cls.__dict__:
                    cls.contract_checks_declared = False

    def __new__(cls, *args, **kwargs):
        # Torch7's torch.class makes the object before __init runs, and a module whose __init never calls
        # parent.__init (torch-rnn's LanguageModel and TemporalAdapter) still works: the base state is set here
        module = super().__new__(cls, *args, **kwargs)
        Module.__init__(module)
        return module

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
        input = as_module_input(self, input, as_forward_input, forward=True)
        try:
            self.checkContract(input)
            return self.updateOutput(input)
        except CAUGHT as err:
            name_outer(self, err)
            raise

    def backward(self, input, gradOutput=None, scale=1):
        """``updateGradInput`` then ``accGradParameters``; returns ``gradInput``. ``gradOutput`` may be
        omitted (Lua's nil) for modules that ignore it: a CriterionTable, Kmeans."""
        input, gradOutput = as_module_input(self, input, as_forward_input), as_module_input(self, gradOutput)
        try:
            # before any container hands gradOutput on (or a decorator reshapes it): named here, at the outermost.
            # A class that keeps Module's updateGradInput never reads it (cifar.torch's BatchFlip, handed the
            # empty CudaTensor of a Copy whose updateGradInput the script replaced by a no-op); a user's own
            # updateGradInput decides what it reads, as Torch7 checks nothing there (facebookresearch/MIXER's
            # ReinforceSampler, a FloatTensor output, reads numbers from a DoubleTensor gradOutput)
            method = type(self).updateGradInput
            if method is not Module.updateGradInput and method.__module__.startswith('legonn.'):
                self.checkGradOutputType(gradOutput)
            self.updateGradInput(input, gradOutput)
            self.accGradParameters(input, gradOutput, scale)
        except CAUGHT as err:
            name_outer(self, err)
            raise
        return self.gradInput

    @contextlib.contextmanager
    def _during_backward(self, **state):
        """A ``backward`` override's ``with`` block: ``state`` set as this module's attributes while it runs
        (removed after, even when it raises), so that updateGradInput and accGradParameters can tell they run as
        one call (the scale, a gradOutput already transposed or already summed) and, called apart, assume
        nothing."""
        self.__dict__.update(state)
        try:
            yield
        finally:
            for name in state:
                self.__dict__.pop(name, None)

    def backwardUpdate(self, input, gradOutput, lr):
        """``updateGradInput`` then ``accUpdateGradParameters(input, gradOutput, lr)`` (Module.lua); returns
        ``gradInput``."""
        self.updateGradInput(input, gradOutput)
        self.accUpdateGradParameters(input, gradOutput, lr)
        return self.gradInput

    def accUpdatePairs(self):
        """(holder, gradient name, parameter name) of each parameter ``accUpdateGradParameters`` steps: Torch7's
        gradWeight/weight and gradBias/bias; a module parameterised otherwise names its own."""
        return ((self, 'gradWeight', 'weight'), (self, 'gradBias', 'bias'))

    def accUpdateGradParameters(self, input, gradOutput, lr):
        """Update the weights directly with the gradient (no gradWeight kept), as Torch7: each gradient named by
        ``accUpdatePairs`` is its parameter while ``accGradParameters(input, gradOutput, -lr)`` runs."""
        pairs = self.accUpdatePairs()
        saved = [getattr(holder, grad, None) for holder, grad, _ in pairs]
        for holder, grad, param in pairs:
            setattr(holder, grad, getattr(holder, param, None))
        try:
            self.accGradParameters(input, gradOutput, -lr)
        finally:
            for (holder, grad, _), value in zip(pairs, saved):
                setattr(holder, grad, value)

    # --- well-formed state (what lg.load checks) ---------------------------------------
    # Declared per class: attributes that must be positive integers (kernel sizes, strides, plane counts) and
    # non-negative ones (paddings), as the constructor requires them; validateState checks them.
    positive_ints = ()
    nonnegative_ints = ()

    def checkHyper(self, **values):
        """Raise ValueError naming the class unless each value is an integer in the range the class declares for
        its name (``positive_ints``: at least 1, ``nonnegative_ints``: at least 0). Constructors call it on their
        arguments and validateState on the attributes, so both read the one declaration."""
        undeclared = [n for n in values if n not in self.positive_ints and n not in self.nonnegative_ints]
        if undeclared:
            raise TypeError(f"{type(self).__name__}: {undeclared[0]} is not a declared hyper-parameter")
        # nn's classes by their bare name, another Lua package's by its Lua name ('cudnn.LSTM')
        check_hyper(lua_typename(self).removeprefix('nn.'),
                    positive={n: v for n, v in values.items() if n in self.positive_ints},
                    nonnegative={n: v for n, v in values.items() if n in self.nonnegative_ints})

    def parameterSizes(self):
        """{parameter name: sizes its hyper-parameters imply (None: any size on that axis)}; a class with
        parameters states them here (checked by validateState; a parameter that is None is skipped)."""
        return {}

    def validateState(self):
        """Raise ValueError/TypeError naming this module unless its state is one its constructor could have
        made: declared integer hyper-parameters in range, parameters of the sizes ``parameterSizes``
        states, and every parameter and gradient a tensor of the module's type (so on its device) with the
        gradient sized like its parameter. ``lg.load`` calls it on every module it rebuilds."""
        name = type(self).__name__
        missing = [a for a in self.positive_ints + self.nonnegative_ints if a not in self.__dict__
                   and not hasattr(type(self), a)]
        if missing:
            raise ValueError(f"{name}: hyper-parameter {missing[0]} is missing")
        self.checkHyper(**{a: getattr(self, a) for a in self.positive_ints + self.nonnegative_ints})
        try:
            declared = self.parameterSizes()
        except (AttributeError, IndexError, TypeError) as err:   # a tensor it reads is missing or not one
            raise ValueError(f"{name}: malformed state ({type(err).__name__}: {err})") from None
        for attr, sizes in declared.items():
            t = self.__dict__.get(attr)
            if t is None:
                continue
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: {attr} must be a tensor, got a {type(t).__name__}")
            if len(t._size) != len(sizes) or any(e is not None and e != s for e, s in zip(sizes, t._size)):
                shown = 'x'.join('*' if e is None else str(e) for e in sizes)
                raise ValueError(f"{name}: {attr} must be of size {shown}, got {tuple(t._size)}")
        params, grads = parameters_of(self)
        for i, t in enumerate(params + grads):
            what = f"parameter {i}" if i < len(params) else f"gradient {i - len(params)}"
            if i >= len(params) and _cleared(t):
                continue   # a gradient dropped before saving (neuraltalk2's sanitize_gradients) or emptied
                # (Crepe's clearSequential sets torch.Tensor()): Torch7 loads either
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: {what} must be a tensor, got a {type(t).__name__}")
            if t._typename != self._type:
                raise TypeError(f"{name}: {what} must be a {self._type} (the module's type), got {t._typename}")
        self.checkParameterGradients(allow_missing=True)
        return self

    # --- checks before accumulating --------------------------------------------------
    def checkParameterGradients(self, allow_missing=False):
        """Raise an error naming this module unless each gradient of ``parameters()`` (the whole tree's,
        for a container) has its parameter's type and size; ``allow_missing`` lets a gradient be None or
        an empty tensor (a module saved without its gradients, which can be loaded but not trained)."""
        params, grads = self._accumulated_parameters()
        for i, (p, g) in enumerate(zip(params, grads)):
            if allow_missing and _cleared(g):
                continue
            if isinstance(p, Tensor) and (type(g) is not type(p) or g._size != p._size):
                got = f"{g.type()} of size {tuple(g.size())}" if isinstance(g, Tensor) else f"a {type(g).__name__}"
                raise input_error(self, f"gradient {i} to be a {p.type()} of size {tuple(p.size())} like its "
                                  "parameter", got)

    def _accumulated_parameters(self):
        """(params, grads) that accGradParameters accumulates into: ``parameters()``'s (a container leaves out
        the children it need not check)."""
        return parameters_of(self)

    def checkAccumulation(self, input, gradOutput):
        """What every accGradParameters checks first: ``checkParameterGradients`` and, once a forward has
        filled the output (Torch7's contract: forward ran on this input), an input of the sizes forward
        got and a gradOutput of the structure, types and sizes of the output forward made. Before any
        forward (or after clearState) the module's own input checks decide."""
        self.checkParameterGradients()
        made = self.__dict__.get('_forward_output_sizes')
        if made is None:
            if not self.checkGradTree(gradOutput, self.output, 'gradOutput'):
                return
        else:
            self._checkGradMade(gradOutput, made, 'gradOutput')
        if '_forward_sizes' in self.__dict__:
            self.checkForwardInput(input)

    def _checkGradMade(self, grad, made, where):
        """``checkGradTree`` against ``made``, the types and sizes (``_sizes``) of the output forward made."""
        if isinstance(made, tuple):
            typename, size = made
            if self.empty_inputs and isinstance(grad, Tensor) and 0 in grad._size:
                # an empty tensor is Torch7's "no gradient", what a module without updateGradInput gives back
                # (Module.lua:42-44; multipathnet's Foveal beside ParallelTable's Identity): a pass-through module (a
                # container, an Identity, as its updateGradInput does) takes it, as Torch7's hand it on
                # (ParallelTable.lua:24-29) or accumulate nothing (Module.lua:46-47); a computing child that needs
                # the gradient still refuses it
                return
            if not isinstance(grad, Tensor) or grad._size != size or not _grad_type_fits(grad, typename):
                raise self._gradTensorError(grad, typename, size, where)
        elif isinstance(made, list):
            if not isinstance(grad, (list, tuple)) or len(grad) != len(made):
                raise self._gradTableError(grad, len(made), where)
            for i, (g, m) in enumerate(zip(grad, made)):
                self._checkGradMade(g, m, f"{where}[{i}]")

    def _gradTensorError(self, grad, typename, size, where):
        """The error of ``checkGradTree`` and ``_checkGradMade`` for a ``grad`` that is not a ``typename`` of
        ``size``."""
        got = f"{grad.type()} of size {tuple(grad.size())}" if isinstance(grad, Tensor) else f"a {type(grad).__name__}"
        return input_error(self, f"{where} to be a {typename} of size {tuple(size)}", got)

    def _gradTableError(self, grad, length, where):
        """Their error for a ``grad`` that is not a table of ``length`` entries."""
        got = f"a table of {len(grad)}" if isinstance(grad, (list, tuple)) else f"a {type(grad).__name__}"
        return input_error(self, f"{where} to be a table of {length}", got)

    def checkForwardInput(self, input):
        """Raise an error naming this module unless ``input`` has the types and sizes of the input of the last
        forward (updateOutput) since construction, type() or clearState(): for a backward that reads what
        forward kept (argmax indices, ...). Sizes, not values: another input of the same sizes passes."""
        seen = self.__dict__.get('_forward_sizes')
        if seen is None:
            raise input_error(self, "a forward() on this input before backward()",
                              "no forward since construction, type() or clearState()")
        if _sizes(input) != seen:
            raise input_error(self, f"the input types and sizes of the last forward, {seen}", _sizes(input))

    def checkGradTree(self, grad, output, where='gradOutput', types=True, host_takes_cuda=False):
        """True when ``grad`` matches ``output`` (a tensor or table of them) in structure, types and sizes
        (without ``types``: structure, sizes and device, any element type; with ``host_takes_cuda`` a host
        tensor's gradient may also be a CUDA tensor); False when ``output`` is empty (no forward yet, or
        clearState since), nothing to compare; raises an error naming this module otherwise."""
        if isinstance(output, Tensor):
            if output._size == (0,):
                return False
            if not isinstance(grad, Tensor) or grad._size != output._size or \
                    not (_grad_type_fits(grad, output._typename) if types else
                         grad._cuda == output._cuda or host_takes_cuda and grad._cuda):
                kind = output.type() if types else ('CUDA tensor' if output._cuda else 'tensor')
                raise self._gradTensorError(grad, kind, output._size, where)
        elif isinstance(output, (list, tuple)):
            if not isinstance(grad, (list, tuple)) or len(grad) != len(output):
                raise self._gradTableError(grad, len(output), where)
            return all([self.checkGradTree(g, o, f"{where}[{i}]", types, host_takes_cuda)
                        for i, (g, o) in enumerate(zip(grad, output))])
        return True

    def type(self, typename=None, cache=None):
        if typename is not None:
            for key in FORWARD_RECORDS:   # the recorded input and output types no longer apply
                self.__dict__.pop(key, None)
        return super().type(typename, cache)

    # --- parameters ---------------------------------------------------------
    @staticmethod
    def _holds_no_parameters(module):
        """Whether ``module.parameters()`` is surely empty, read without calling it: the default below, on a
        module holding neither ``weight`` nor ``bias`` (as an instance or class field) nor a ``parameters`` of
        its own."""
        cls, own = type(module), module.__dict__
        return (cls.parameters is Module.parameters and cls.weight is None and cls.bias is None and
                'weight' not in own and 'bias' not in own and 'parameters' not in own)

    def parameters(self):
        """(list of parameter tensors, list of their gradient tensors): weight and bias by default."""
        params, grads = [], []
        for name, grad_name in (('weight', 'gradWeight'), ('bias', 'gradBias')):
            p = getattr(self, name, None)
            if p is not None and not callable(p):
                params.append(p)
                grads.append(getattr(self, grad_name))
        return params, grads

    def getParameters(self):
        """One flat (params, gradParams) pair viewing every parameter of the tree (shared ones once).

        Each module's tensors are rebound as views into the flat storages; a second
        call returns views of the same storages. As dpnn's Module.lua ("hidden modules ... must also be included
        in order to maintain shared storage"), the parameters of modules held anywhere else below this one (in
        attributes, lists, dicts: a sharedClone kept in a field) that view the tree's parameter storages are
        rebound with them, so they keep sharing instead of staying on the old storages. dpnn packs every hidden
        module's parameters; legonn leaves out those sharing nothing with the tree (WeightNorm's inner weight,
        recomputed from its ``v`` and ``g``), so the flat vector holds the tree's parameters only.
        """
        params, grads = parameters_of(self)
        params, grads, seen = list(params), list(grads), {id(p) for p in params}
        storages = {id(p.storage()) for p in params}
        # Lua code borrows this method for objects with a parameters() of their own (lstm-char-cnn's
        # HLogSoftMax criterion: HLogSoftMax.getParameters = nn.Module.getParameters); those hold no hidden modules
        hidden = self._nestedModules(everywhere=True) if isinstance(self, Module) else ()
        for module in hidden:
            for p, g in zip(*parameters_of(module)):
                if id(p) not in seen and id(p.storage()) in storages:
                    seen.add(id(p))
                    params.append(p)
                    grads.append(g)
        return flatten_parameters(params, grads, owner=self)

    @staticmethod
    def flatten(tensors):
        """``nn.Module.flatten(params)``: one new flat tensor viewed by every tensor of the list (each rebound to
        its place), as Module.lua's; code that combines several networks' parameters calls it."""
        return flatten_tensors(tensors)

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
    def _check_field_names(self, method, names):
        # Module.lua's share looks each argument up as a field (self[v]), so a table of names (torch-rnnlib's
        # bidirectional.lua: layer:clone(sharefields)) finds no field and shares nothing, silently
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"{self.shortName()}.{method}: expected field names ('weight', 'gradWeight', ...) as "
                                f"arguments, got a {type(name).__name__} ({name!r}); Torch7 looks a table up as one "
                                f"field name and shares nothing: pass the names themselves ({method}(*names)), or "
                                f"none for Torch7's result")

    def share(self, mlp, *names):
        """Make this module's tensors ``names`` views of ``mlp``'s (e.g. 'weight', 'bias', 'gradWeight')."""
        self._check_field_names('share', names)
        for name in names:
            mine, theirs = self.__dict__.get(name), mlp.__dict__.get(name)
            if mine is not None and theirs is not None and hasattr(theirs, 'storage'):
                if type(mine) is not type(theirs):
                    self.__dict__[name] = mine = theirs.new()
                mine.set(theirs)
        return self

    def clone(self, *names):
        """A deep copy; with ``names`` its tensors of those names then share this module's storage. Torch7's
        clone writes the module to a memory file and reads it back, so an ``nn.Serial`` anywhere in the tree
        is copied as its ``write`` leaves it (its serial modes, its ``tensortype``): the copy's is changed so."""
        self._check_field_names('clone', names)
        twin = copy.deepcopy(self)
        twin._as_read_back()
        if names:
            twin.share(self, *names)
        return twin

    # a module whose write() in Torch7 saves something other than its fields (nn.Serial) sets it and
    # writes _as_written(), which changes a fresh copy in place into what that write would have read back
    saves_as_tensortype = False

    def _as_read_back(self):
        """This fresh copy as Torch7's write-then-read would leave it: each module that writes itself
        (``saves_as_tensortype``) and is not inside another such, made ``_as_written()``; Serial.lua's write
        of an outer one takes the inner ones' state as plain modules."""
        tree = [self] + self._nestedModules(everywhere=True)
        writers = [m for m in tree if m.saves_as_tensortype]
        inner = {id(m) for w in writers for m in w._nestedModules(everywhere=True)}
        for w in writers:
            if id(w) not in inner:
                w._as_written()

    def sharedClone(self, shareParams=True, shareGradParams=True, stepClone=False):
        """A deep copy whose parameters (``shareParams``) and gradients (``shareGradParams``) share this
        module's storages, as dpnn's Module.lua: every tensor of the copy that views the storage of a parameter
        (or gradient) of the tree is a new tensor on that same storage, so ``getParameters`` flat views stay
        shared; everything else (buffers, running statistics, outputs) is copied. With ``stepClone`` a
        recurrent module (``dpnn_stepclone``: AbstractRecurrent) is not copied at all: the copy holds the very
        module, which keeps its own per-step clones; asked of such a module itself, the module is returned. A
        module held in the tree with its own ``dpnn_sharedClone()`` method is copied by that method. An ``nn.Serial``
        in the tree writes the rest of the copy as ``clone`` does (its serial mode, its ``tensortype``), the
        shared tensors and the modules taken whole excepted (``_read_back_without``)."""
        if stepClone and self.dpnn_stepclone:
            return self
        params, grads = parameters_of(self)
        shared = (params if shareParams else []) + (grads if shareGradParams else [])
        # deepcopy copies a tensor's storage once per memo (Tensor.__deepcopy__ keys it by the storage's id):
        # a storage entered here as itself is kept, so every tensor viewing it is re-made on it
        memo = {id(t._storage): t._storage for t in shared if isinstance(t, Tensor)}
        storages, whole = set(memo), set()
        for module in self._nestedModules():
            if stepClone and module.dpnn_stepclone:
                memo[id(module)] = module
            elif module.dpnn_sharedClone is not None:
                memo[id(module)] = module.dpnn_sharedClone()
            else:
                continue
            whole.add(id(memo[id(module)]))
        twin = copy.deepcopy(self, memo)
        twin._read_back_without(storages, whole)
        return twin

    def _read_back_without(self, storages, whole):
        """This fresh sharedClone as dpnn's leaves it: Module.lua removes the shared tensors and the modules taken
        whole, clones the rest (a write and a read: an ``nn.Serial`` in the tree applies its serial mode and
        ``tensortype``, as ``clone``'s ``_as_read_back``), then puts them back. Here the tensors of this copy's
        modules on the shared ``storages`` and the modules of ids ``whole`` step out while the copy is made
        as read back, so a Serial neither empties nor converts what stays shared with the original."""
        tree = [self] + self._nestedModules()
        if not any(m.saves_as_tensortype for m in tree):
            return
        stepped_out = []   # (module's state, attribute, index in its list or None, value) to put back
        for m in tree:
            if id(m) in whole:
                continue
            state = vars(m)
            for name, value in list(state.items()):
                if isinstance(value, Tensor) and id(value._storage) in storages or id(value) in whole:
                    stepped_out.append((state, name, None, value))
                    state[name] = None   # Lua's obj[paramName] = nil
                elif isinstance(value, list):   # a container's modules: a bare module holds the place
                    for i, v in enumerate(value):
                        if id(v) in whole:
                            stepped_out.append((state, name, i, v))
                            value[i] = Module()
        try:
            self._as_read_back()
        finally:
            # type() rebuilds lists: put back into the list the module holds now
            for state, name, i, value in stepped_out:
                if i is None:
                    state[name] = value
                else:
                    state[name][i] = value

    def stepClone(self, shareParams=True, shareGradParams=True):
        """``sharedClone(shareParams, shareGradParams, stepClone=True)``: the clone an AbstractRecurrent makes
        for each time step (rnn's Module.lua)."""
        return self.sharedClone(shareParams, shareGradParams, True)

    def _nestedModules(self, everywhere=False):
        """The modules held anywhere below this one (in attributes, lists, tuples and dicts: children, step
        clones, aliases), each once, this one excluded; the walk stops at a module sharedClone takes as a whole
        (a recurrent one or one with its own ``dpnn_sharedClone``) unless ``everywhere``."""
        found, seen = [], {id(self)}

        def walk(value):
            if isinstance(value, Module):
                if id(value) in seen:
                    return
                seen.add(id(value))
                found.append(value)
                if not everywhere and (value.dpnn_stepclone or value.dpnn_sharedClone is not None):
                    return
                value = value.__dict__
            if isinstance(value, dict):
                value = value.values()
            elif not isinstance(value, (list, tuple)):
                return
            for v in value:
                walk(v)

        walk(self.__dict__)
        return found

    # --- state --------------------------------------------------------------------
    def clearState(self, *names):
        """Empty ``output``, ``gradInput`` and the named buffers (they refill on the next call)."""
        for key in FORWARD_RECORDS:
            self.__dict__.pop(key, None)
        return self.clearBuffers('output', 'gradInput', *names)

    # --- recurrent state (the rnn package's Module.lua) -------------------------------
    def forget(self):
        """Drop the remembered state of every recurrent module in this tree (SeqLSTM, SeqGRU, ...); a
        no-op elsewhere. The rnn package gives every module this, so ``lm:forget()`` works on a Sequential."""
        for child in self.children():
            child.forget()
        return self

    def maskZero(self, v1=False):
        """torch/rnn's Module.lua: ``maskZero(v1)`` on every module of this tree (the recurrent ones mask); a
        no-op elsewhere. Returns this module."""
        for child in self.children():
            # v1 is passed only when set, so a module whose maskZero takes no argument is reached too
            if v1:
                child.maskZero(v1)
            else:
                child.maskZero()
        return self

    def setZeroMask(self, zeroMask):
        """Hand torch/rnn's zero mask (a ByteTensor, 1 where a row is padding, or False) to every module of this
        tree that uses one (torch/rnn's Module.lua); a no-op elsewhere."""
        for child in self.children():
            child.setZeroMask(zeroMask)
        return self

    def remember(self, mode='both'):
        """Set ``remember(mode)`` ('both', 'train', 'eval', 'neither') on every recurrent module in this tree;
        a no-op elsewhere (the rnn package's Module.lua: ``lm:remember('both')`` on a Sequential)."""
        for child in self.children():
            child.remember(mode)
        return self

    # --- REINFORCE (dpnn's Module.lua) ------------------------------------------------
    def reinforce(self, reward):
        """Hand ``reward`` (a 1-D tensor, one value per example) to every REINFORCE module of this tree
        (ReinforceNormal, ...), which uses it in its next backward; a reward criterion such as VRClassReward
        calls it. A no-op on other modules."""
        for child in self.children():
            child.reinforce(reward)
        return self

    def setOutputStep(self, step):
        """Make every recurrent module in this tree show the output of time step ``step`` (0-based) as its
        ``output`` (rnn's Module.lua: a Recursor calls it on a step's clone before that step's backward)."""
        for child in self.children():
            child.setOutputStep(step)

    def maxBPTTstep(self, rho):
        """Set the number of time steps back-propagated (``rho``) on every recurrent module in this tree."""
        for child in self.children():
            child.maxBPTTstep(rho)

    def getHiddenState(self, step, input=None):
        """The hidden state after time step ``step`` (0-based) of the recurrent modules in this tree: a
        container gives the list of its children's, a leaf module None (rnn's Module.lua)."""
        return None

    def setHiddenState(self, step, hiddenState):
        """Set the hidden state after time step ``step`` (0-based); a container passes ``hiddenState[i]`` to
        its child i, a leaf module has none."""

    def getGradHiddenState(self, step, input=None):
        """The gradient of the hidden state after time step ``step`` (0-based): as ``getHiddenState``."""
        return None

    def setGradHiddenState(self, step, gradHiddenState):
        """Set the gradient of the hidden state after time step ``step`` (0-based): as ``setHiddenState``."""

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
        """(modules of class ``typename`` (a name such as 'nn.Linear' or 'cudnn.ReLU', or the class itself), the
        container holding each; the module asked holds itself, as Module.lua's ``container or self``). The type must
        match exactly, as Torch7's ``torch.typename`` comparison."""
        container = self if container is None else container
        found, holders = [], []
        # a name without a package is an nn class ('Linear') or a class torch.class made global ('Embedding')
        if type(self) is typename if isinstance(typename, type) else \
                lua_typename(self) in ((typename,) if '.' in typename else (typename, 'nn.' + typename)):
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
        from ...tools.summary import summary  # tools sits above modules: imported on call, never at import
        return summary(self, input)

    def __repr__(self):
        return lua_typename(self)

    # --- nngraph --------------------------------------------------------------------
    def __call__(self, *args):
        if not args or any(is_graph_node_arg(a) for a in args):
            make_node = graph_builder('module')
            if make_node is None:
                raise RuntimeError('nngraph is not loaded: import legonn.graph')
            return make_node(self, *args)
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

    def __rsub__(self, prev):
        """``[node_a, node_b] - module`` (with legonn.graph imported): the list is the module's table input."""
        if graph_builder('module') is not None and isinstance(prev, (list, tuple)) and is_graph_node_arg(prev):
            return self(prev)
        return NotImplemented
