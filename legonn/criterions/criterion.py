"""Criterion: Torch7's loss contract.

``updateOutput(input, target)`` sets ``output`` (a Python number) and
``updateGradInput(input, target)`` sets ``gradInput`` (a tensor or list);
``forward``/``backward`` wrap them and accept arrays and nested lists.
Criterions that take class labels set ``takes_labels``: a Python int or a
list of ints is then a LongTensor of labels (0-based), not a float tensor.
"""
import numbers

import numpy as np

from ..modules.base.batching import OnlineBatching
from ..modules.base.contract_inputs import accept_arrays, as_input_tree
from ..modules.base.errors import CAUGHT, input_error, name_outer
from ..modules.base.module import graph_builder, is_graph_node_arg
from ..modules.base.typed import Typed
from ..tensor import TENSOR_CLASSES, Tensor, as_tensor, as_tensor_tree, default_class
from ..tensor import backend
from ..tensor.introspection import typename as lua_typename
from ..tensor.pointwise import _is_number
from ..tensor.scatter_kernels import index_bounds
from ..tensor.conversion import on_gpu


# the unread_arguments_note (modules/base/lua_arguments.py) of the criterions whose Torch7 constructor has no
# sizeAverage: Lua drops a sizeAverage passed there, so nn.SoftMarginCriterion(false) still averages
ALWAYS_AVERAGES = ("Torch7's constructor reads no sizeAverage and always averages, whatever is passed (a Lua "
                   "false there still averages): leave the argument out, and to sum set crit.sizeAverage = False")


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def loss_scalar(total, divisor=1, sign=1):
    """A criterion's loss, ``sign * total / divisor``, as a Python float (Torch7 returns a number); while
    lg.cuda.capture records a step, as a 0-d device array that each replay rewrites (the value does not exist
    yet, and a graph cannot read it on the host)."""
    if backend.recording() and backend.is_cupy_array(total):
        return total * (sign / divisor)
    return sign * float(total) / divisor


def as_labels(target):
    """A label target as a tensor: ints and lists of ints become a LongTensor, arrays are wrapped (no copy)."""
    if _is_int(target) or isinstance(target, (list, tuple)) and target and all(_is_int(v) for v in target):
        return TENSOR_CLASSES['LongTensor'](np.atleast_1d(np.asarray(target, dtype=np.int64)))
    return as_tensor_tree(target)


class Criterion(OnlineBatching, Typed):
    """Base class of every loss."""

    takes_labels = False
    contract_base = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        accept_arrays(cls, ('updateOutput', 'updateGradInput'), lambda criterion, target: criterion._targets(target),
                      convert_tensors=cls.takes_labels)

    def __new__(cls, *args, **kwargs):
        # as Module.__new__: a criterion whose __init never calls parent.__init still has the base state
        criterion = super().__new__(cls, *args, **kwargs)
        Criterion.__init__(criterion)
        return criterion

    def __init__(self):
        super().__init__()
        self.gradInput = default_class()()
        self.output = 0.0

    def updateOutput(self, input, target):
        return self.output

    def updateGradInput(self, input, target):
        return self.gradInput

    def updateDiagHessianInput(self, input, target):
        """hessian.lua's default: a criterion without a diagonal-Hessian rule raises, naming itself."""
        raise NotImplementedError(f"{self.shortName()}: updateDiagHessianInput() is undefined")

    def _targets(self, target):
        """The target as a tensor (tree); for label criterions integer labels, converted from floating
        values when they are whole numbers (Torch7 code holds labels in a FloatTensor and ``:long()``s them)."""
        if not self.takes_labels:
            return self._numbers_on_device(as_input_tree(target), target)
        if isinstance(target, Tensor) and target._dtype.kind in 'iu':
            return target
        labels = as_labels(target)
        if isinstance(labels, Tensor) and labels._dtype.kind == 'f':
            values = labels.array
            # a host read, which a CUDA graph cannot hold: skipped while lg.cuda.capture records, as the
            # label range check is (cutorch's labels:cuda() gives exactly these float labels)
            if not backend.recording() and not bool((values == values.round()).all()):
                raise input_error(self, "whole-number class labels", f"non-integral values in a {labels.type()}")
            labels = Tensor._from_array(values.astype('int64'))
        return self._numbers_on_device(labels, target)

    def _numbers_on_device(self, converted, given):
        """Numbers given as a target (a label, a list of them, a table's entries) become tensors on the
        criterion's device, as Torch7's ``input.new(1)`` puts them; tensors and arrays stay where they are."""
        if not self._type.startswith('legonn.Cuda'):
            return converted
        if _is_number(given) or isinstance(given, (list, tuple)) and given and all(map(_is_number, given)):
            return on_gpu(converted)   # element type kept, as input.new's
        if isinstance(given, (list, tuple)) and isinstance(converted, list):
            return [self._numbers_on_device(c, g) for c, g in zip(converted, given)]
        return converted

    def forward(self, input, target=None):
        """The loss (a Python number) for ``input`` against ``target``; ``target`` may be omitted (Lua's nil)
        for criterions that do not read it (NCECriterion)."""
        return self._checked_call('updateOutput', input, target)

    def backward(self, input, target=None):
        """d loss / d input, shaped like ``input``."""
        return self._checked_call('updateGradInput', input, target)

    def _checked_call(self, method, input, target):
        """``method(input, target)`` after converting both and checking their contract; errors name this
        criterion as the outermost step of their path."""
        try:
            input, target = as_tensor_tree(input), self._targets(target)
            self.checkContract(input)
            self.checkContract(target, 'target', floating=False, declared=False)
            return getattr(self, method)(input, target)
        except CAUGHT as err:
            name_outer(self, err)
            raise

    def __call__(self, *args):
        """``forward`` then ``backward`` of ``(input, target)``, returning ``(loss, gradInput)`` as Criterion.lua's
        ``__call__``; on graph nodes (with legonn.graph imported) nngraph's ModuleFromCriterion node of this
        criterion."""
        make_node = graph_builder('criterion')
        if make_node is not None and args and all(is_graph_node_arg(a) for a in args):
            return make_node(self, *args)
        # Criterion.lua's __call__: forward then backward, returning (output, gradInput)
        loss = Criterion.forward(self, *args)
        return loss, Criterion.backward(self, *args)

    def clearState(self, *names):
        """Empty ``gradInput`` and the named buffers (they refill on the next call)."""
        return self.clearBuffers('gradInput', *names)

    def setZeroMask(self, zeroMask):
        """torch/rnn's Criterion.lua: hand the zero mask (1 where a row is padding, or False) to the criteria
        this one decorates (``criterions``, ``criterion``), as MaskZeroCriterion uses it; a no-op elsewhere."""
        for criterion in self.__dict__.get('criterions') or []:
            criterion.setZeroMask(zeroMask)
        criterion = self.__dict__.get('criterion')
        if criterion is not None:
            criterion.setZeroMask(zeroMask)

    def __repr__(self):
        # the class's Lua name, as Module's: 'nn.MSECriterion', or 'onmt.X' / a package-less name for a ported one
        return lua_typename(self)

    # --- checks criterions use -------------------------------------------------
    def classWeights(self, weights, retype=True):
        """A constructor's ``weights`` (None, a tensor, array or list) as a 1-D floating tensor; a ValueError
        naming the criterion otherwise. A tensor is kept as given (Torch7's ``self.weights = weights``: the
        same tensor, its type and precision, so ``nn.ClassNLLCriterion(doubleWeights):double()`` keeps every
        digit); an array or list becomes a tensor of this criterion's type unless ``retype`` is false."""
        if weights is None:
            return None
        given = weights
        weights = as_tensor(weights)
        if weights.dim() != 1 or weights.dtype.kind != 'f':
            raise ValueError(f"{type(self).__name__}: weights must be a 1-D floating tensor, got "
                             f"{weights.type()} of size {tuple(weights.size())}")
        return weights.type(self.type()) if retype and not isinstance(given, Tensor) else weights

    def checkSameSize(self, input, target):
        """Raise unless ``target`` is a tensor of ``input``'s size."""
        if not isinstance(target, Tensor) or target._size != input._size:
            got = tuple(target.size()) if isinstance(target, Tensor) else f"a {type(target).__name__}"
            raise input_error(self, f"a target of the input's size {tuple(input.size())}", got)

    def checkSameCount(self, input, target):
        """Raise unless ``target`` is a tensor with as many elements as ``input`` (Torch7's rule for
        element-wise losses: shapes may differ, e.g. (n, 1) against (n,))."""
        if not isinstance(target, Tensor) or target.nElement() != input.nElement():
            got = f"size {tuple(target.size())}" if isinstance(target, Tensor) else f"a {type(target).__name__}"
            raise input_error(self, f"a target of {input.nElement()} elements (the input's size "
                              f"{tuple(input.size())})", got)

    def checkLabels(self, input, target, n_classes, ignoreIndex=None, ranged=True):
        """Integer class labels in [0, n_classes) (or ``ignoreIndex``), one per input row (or a single label).
        Returns whether some label may be ``ignoreIndex`` (False when none can be: the caller then skips
        looking for them). ``ranged=False`` leaves the range (a read from a GPU) to the caller, whose kernel
        finds it (``labelsOutOfRange`` then raises) and returns None."""
        # the tensors' fields read in place, not through dtype/is_cuda/dim/size: a call each, twice per step
        if not isinstance(target, Tensor) or target._dtype.kind not in 'iu':
            kind = target.type() if isinstance(target, Tensor) else type(target).__name__
            raise input_error(self, "integer class labels (e.g. a LongTensor or an int64 array)", kind, TypeError)
        if target._cuda != input._cuda:
            raise input_error(self, f"labels on the input's device ({'GPU' if input.is_cuda else 'CPU'})",
                              target.type(), TypeError)
        rows = input._size[0] if len(input._size) == 2 else 1
        if target.nElement() != rows or len(target._size) > 2:
            raise input_error(self, f"{rows} labels (one per input row)", f"labels of size {tuple(target.size())}")
        labels = target.array
        if not ranged:
            return None
        if labels.size == 0:
            return False
        if backend.recording():
            # a CUDA graph records: the labels cannot be read (see out_of_range), so an ignoreIndex outside
            # the classes (Torch7's -100) is taken to match none; one inside them still needs its rows masked
            return ignoreIndex is not None and 0 <= ignoreIndex < n_classes
        # the common case, every label a class, in two reductions (one read from a GPU); the ignored labels
        # are masked out only when the range says some may be ignoreIndex
        lo, hi = index_bounds(labels)
        may_ignore = ignoreIndex is not None and lo <= ignoreIndex <= hi
        if (lo < 0 or hi >= n_classes) and may_ignore:
            labels = labels[labels != ignoreIndex]
            if labels.size == 0:
                return True
            lo, hi = index_bounds(labels)
        if lo < 0 or hi >= n_classes:
            self.labelsOutOfRange(lo, hi, n_classes)
        return may_ignore

    def labelsOutOfRange(self, lo, hi, n_classes):
        """Raise the IndexError of labels ranging over [lo, hi] against ``n_classes`` classes."""
        raise input_error(self, f"labels in [0, {n_classes}) (0-based)", f"labels in [{lo}, {hi}]", IndexError)
