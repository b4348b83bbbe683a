"""dpnn's Module methods for training loops: parameter constraints and momentum applied to a whole tree.

``model.maxParamNorm(2)``, ``model.gradParamClip(5)``, ``model.weightDecay(1e-4)``,
``model.updateGradParameters(0.9)`` (momentum kept in each module's ``momGradParams``), the sparse parameter
protocol ``sparseParameters`` that ``updateParameters``/``zeroGradParameters`` go through, and the small
helpers ``checkParameters``, ``dontBackward``, ``contiguousInput``, ``outside`` and ``accept``; and nninit's
``init`` (``nn.Linear(10, 20).init('weight', nninit.kaiming, {'gain': 'relu'})``), whose initialisers live in
``legonn.nninit``.

A container passes each call on to its ``modules``; a leaf applies it to its own ``parameters()``. A
module's own attribute of the same name (``m.maxOutNorm``, ``m.cutoffNorm``, ``m.wdFactor``, ``m.momFactor``
...) overrides the argument for that module and everything under it, as in dpnn's Module.lua.
"""
from ...tensor import Tensor, randn
from ...tensor.introspection import pairs
from .errors import input_error


def parameters_of(module):
    """``module.parameters()``, two empty lists where it answers nothing: Lua's callers test ``if params then``
    (Module.lua's zeroGradParameters, updateParameters, getParameters; Container.lua's parameters; dpnn's), so
    an override returning nil hides a module's tensors. A class's own parameters() is wrapped so already
    (module.py's ``_parameters_or_empty``); a function assigned on one object is not (AdaIN-style's
    getPreprocessConv, lib/utils.lua:23: ``conv.parameters = function() end``)."""
    found = module.parameters()
    return ([], []) if found is None else found


def lua_or(*values):
    """The first value that is neither None nor False (Lua's ``a or b``: 0 counts as a value)."""
    for v in values:
        if v is not None and v is not False:
            return v
    return None


def padded_sparse_parameters(module):
    """``module.sparseParameters()`` as (params, gradParams, scales, size): a user's override may return only the
    first two or three (Lua's missing values are nil)."""
    found = tuple(module.sparseParameters()) + (None, None, None)
    return found[:4]


def _tree_modules(module):
    """The children a dpnn method recurses into: a container's ``modules`` list, None for a leaf."""
    modules = module.__dict__.get('modules')
    return modules if isinstance(modules, list) else None


class NoBackward:
    """A backward step that does nothing and returns None (dontBackward sets it on a module). A class rather
    than a function so that lg.save can store a frozen module (legonn/__init__.py registers it)."""

    def __call__(self, *args, **kwargs):
        return None


class TrainingMethods:
    """Mixed into Module: dpnn's methods for training loops (see the file's docstring)."""

    # --- the sparse parameter protocol ------------------------------------------------
    def sparseParameters(self):
        """(params, gradParams, scales, size): ``parameters()`` for a module (no scales, no size); params may
        be a dict keyed by 0-based position for a module that updates only some of them, and ``scales`` a
        matching per-parameter learning-rate scale (``updateParameters`` multiplies by it)."""
        params, grads = parameters_of(self)
        return params, grads, None, None

    def updateParameters(self, learningRate):
        """``param -= learningRate * scale * gradParam`` for each sparse parameter (scale 1 unless given)."""
        params, grads, scales, _ = padded_sparse_parameters(self)
        for i, p in pairs(params or []):
            scale = scales[i] if scales is not None and scales[i] is not None else 1
            p.add(-learningRate * scale, grads[i])

    def zeroGradParameters(self):
        grads = padded_sparse_parameters(self)[1]
        for _, g in pairs(grads or []):
            if g is not None:   # a gradient dropped (set to None) is absent from Module.lua's list: nothing to zero
                g.zero()

    # --- constraints on parameters and gradients ---------------------------------------
    def maxParamNorm(self, maxOutNorm=None, maxInNorm=None):
        """Renormalise each parameter of 2 or more dimensions: every slice along dimension 0 (what feeds one
        output neuron) to an L2 norm of at most ``maxOutNorm``, and every slice along the last dimension to at
        most ``maxInNorm``; a bound that is None or not positive is skipped. 1-D parameters (biases) are
        left alone."""
        maxOutNorm = lua_or(self.__dict__.get('maxOutNorm'), maxOutNorm)
        maxInNorm = lua_or(self.__dict__.get('maxInNorm'), maxInNorm)
        if maxOutNorm is None and maxInNorm is None:
            return
        modules = _tree_modules(self)
        if modules is not None:
            for m in modules:
                m.maxParamNorm(maxOutNorm, maxInNorm)
            return
        for _, p in pairs(parameters_of(self)[0] or []):
            if p.dim() > 1:
                if maxOutNorm is not None and maxOutNorm > 0:
                    p.renorm(2, 0, maxOutNorm)
                if maxInNorm is not None and maxInNorm > 0:
                    p.renorm(2, p.dim() - 1, maxInNorm)

    def gradParamClip(self, cutoffNorm, moduleLocal=False):
        """Scale the gradients down so that their joint L2 norm is at most ``cutoffNorm``; returns the norm
        before clipping (None when ``cutoffNorm`` is not positive). With ``moduleLocal`` each leaf module's
        gradients are clipped on their own and the result is the root of the sum of their squared norms."""
        cutoffNorm = lua_or(self.__dict__.get('cutoffNorm'), cutoffNorm)
        if cutoffNorm is None:
            raise TypeError(f"{self.shortName()}.gradParamClip: expected a cutoff norm, got None")
        if cutoffNorm <= 0:
            return None
        if self.__dict__.get('moduleLocal') is not None:
            moduleLocal = self.moduleLocal
        modules = _tree_modules(self)
        if moduleLocal and modules is not None:
            return sum(m.gradParamClip(cutoffNorm, moduleLocal) ** 2 for m in modules) ** 0.5
        grads = parameters_of(self)[1]
        if not grads:
            return 0.0
        norm = sum(g.norm() ** 2 for _, g in pairs(grads)) ** 0.5
        if norm > cutoffNorm:
            for _, g in pairs(grads):
                g.mul(cutoffNorm / norm)
        return norm

    def weightDecay(self, wdFactor, wdMinDim=None):
        """``gradParam += wdFactor * param`` for each parameter of at least ``wdMinDim`` (default 2)
        dimensions: L2 weight decay on the weights, not the biases. Nothing when ``wdFactor`` is not positive."""
        wdFactor = lua_or(self.__dict__.get('wdFactor'), wdFactor)
        if wdFactor is None:
            raise TypeError(f"{self.shortName()}.weightDecay: expected a decay factor, got None")
        if wdFactor <= 0:
            return
        wdMinDim = lua_or(self.__dict__.get('wdMinDim'), wdMinDim, 2)
        modules = _tree_modules(self)
        if modules is not None:
            for m in modules:
                m.weightDecay(wdFactor, wdMinDim)
            return
        params, grads = parameters_of(self)
        for i, p in pairs(params or []):
            if p.dim() >= wdMinDim:
                grads[i].add(wdFactor, p)

    # --- momentum -----------------------------------------------------------------------
    def momentumGradParameters(self):
        """This module's momentum buffers ``momGradParams`` (one per gradient), made on first use as copies
        of the gradients; None for a module without gradients."""
        mom = self.__dict__.get('momGradParams')
        if not mom:
            grads = parameters_of(self)[1]
            if not grads:
                return None
            mom = self.momGradParams = [g.clone() for _, g in pairs(grads)]
        return mom

    def updateGradParameters(self, momFactor, momDamp=None, momNesterov=False):
        """Momentum on the gradients: ``mom = momFactor * mom + (1 - momDamp) * grad``, then ``grad = mom``, or
        with ``momNesterov`` ``grad += momFactor * mom``. ``momDamp`` defaults to ``momFactor``; nothing when
        ``momFactor`` is not positive. Call it between backward and updateParameters."""
        momFactor = lua_or(self.__dict__.get('momFactor'), momFactor)
        if momFactor is None:
            raise TypeError(f"{self.shortName()}.updateGradParameters: expected a momentum factor, got None")
        if momFactor <= 0:
            return
        momDamp = lua_or(self.__dict__.get('momDamp'), momDamp, momFactor)
        if self.__dict__.get('momNesterov') is not None:
            momNesterov = self.momNesterov
        modules = _tree_modules(self)
        if modules is not None:
            for m in modules:
                m.updateGradParameters(momFactor, momDamp, momNesterov)
            return
        params, grads = parameters_of(self)
        if not params:
            return
        mom = self.momentumGradParameters()
        grads = [g for _, g in pairs(grads)]
        for m, g in zip(mom, grads):
            m.mul(momFactor).add(1 - momDamp, g)
        for m, g in zip(mom, grads):
            if momNesterov:
                g.add(momFactor, m)
            else:
                g.copy(m)

    # --- checks and helpers -------------------------------------------------------------
    def checkParameters(self):
        """Raise ValueError naming this module if a parameter's sum is NaN (index 0-based)."""
        for k, p in pairs(parameters_of(self)[0] or []):
            s = p.sum()
            if s != s:
                raise input_error(self, f"parameter {k} without NaN", 'NaN in its sum')

    def dontBackward(self):
        """Make backward, updateGradInput, accGradParameters and accUpdateGradParameters of this module do
        nothing (and return None, as dpnn's empty functions): a frozen front end. Returns the module."""
        for name in ('backward', 'updateGradInput', 'accGradParameters', 'accUpdateGradParameters'):
            setattr(self, name, NoBackward())
        return self

    def contiguousInput(self, input, backward=False):
        """``input``, or a contiguous copy of it kept in ``dpnn_cinput`` when it is not contiguous; with
        ``backward`` the copy forward made (or ``input`` when there was none)."""
        if backward:
            return lua_or(self.__dict__.get('dpnn_cinput'), input)
        if not input.isContiguous():
            if self.__dict__.get('dpnn_cinput') is None:
                self.dpnn_cinput = input.new()
            self.dpnn_cinput.resizeAs(input).copy(input)
            input = self.dpnn_cinput
        return input

    def outside(self, insize):
        """The size of the output for a standard-normal input of size ``insize`` (an int or a sequence)."""
        sizes = tuple(insize) if isinstance(insize, (list, tuple)) else (insize,)
        return self.updateOutput(randn(*sizes)).size()

    def profile(self):
        """Print the time of every call a container makes to its children, in this tree (dpnn's profile, which
        Sequential and ParallelTable honour; here every container does). Returns the module."""
        for m in _tree_modules(self) or []:
            m.profile()
        self.dpnn_profile = True
        return self

    def accept(self, visitor):
        """``visitor.visit(self)`` (the visitor pattern)."""
        visitor.visit(self)

    # --- nninit --------------------------------------------------------------------------
    def init(self, accessor, initialiser, *args, **kwargs):
        """nninit's ``module:init(accessor, initialiser, ...)``: call ``initialiser(self, tensor, *args, **kwargs)``
        on the tensor ``accessor`` names and return the module, so calls chain.

        ``accessor`` is an attribute name (``'weight'``), a pair ``(name, index)`` whose index picks a view of
        that attribute as ``[]`` does (``('bias', slice(4, 8))`` for Lua's ``{'bias', {{5, 8}}}``: 0-based,
        end excluded), or a function of the module returning the tensor. The initialisers are
        ``legonn.nninit``'s (any function of (module, tensor, ...) will do)."""
        if isinstance(accessor, str):
            tensor = getattr(self, accessor, None)
        elif isinstance(accessor, (list, tuple)) and len(accessor) == 2 and isinstance(accessor[0], str):
            tensor = getattr(self, accessor[0], None)
            if isinstance(tensor, Tensor):
                whole, tensor = tensor, tensor[accessor[1]]
                # nninit indexes with Lua ranges (`{'bias', {{5, 8}}}`), a view; a list index here is NumPy's fancy
                # indexing, a copy, which the initialiser would fill and drop: the module would keep its values
                if isinstance(tensor, Tensor) and tensor.storage() is not whole.storage():
                    raise input_error(self, f"an index of {accessor[0]!r} that gives a view (Lua's range "
                                            f"{{{{a, b}}}} is slice(a - 1, b))",
                                      f"{accessor[1]!r}, which copies the elements")
        elif callable(accessor):
            tensor = accessor(self)
        else:
            raise TypeError(f"init: the accessor must be an attribute name, a (name, index) pair or a function "
                            f"of the module, got {accessor!r}")
        if not isinstance(tensor, Tensor):
            raise ValueError(f"init: {self.shortName()} has no tensor at accessor {accessor!r} (got {tensor!r})")
        if not callable(initialiser):
            raise TypeError(f"init: the initialiser must be a function of (module, tensor, ...), such as "
                            f"nninit.kaiming, got {initialiser!r}")
        initialiser(self, tensor, *args, **kwargs)
        return self
