"""Criterion: Torch7's loss contract.

``updateOutput(input, target)`` sets ``output`` (a Python number) and
``updateGradInput(input, target)`` sets ``gradInput`` (a tensor or list);
``forward``/``backward`` wrap them and accept arrays and nested lists.
"""
from ..modules.errors import input_error, name_error
from ..modules.module import CAUGHT
from ..modules.typed import Typed
from ..tensor import as_tensor_tree, default_class


class Criterion(Typed):
    """Base class of every loss."""

    def __init__(self):
        super().__init__()
        self.gradInput = default_class()()
        self.output = 0.0

    def updateOutput(self, input, target):
        return self.output

    def updateGradInput(self, input, target):
        return self.gradInput

    def forward(self, input, target):
        """The loss (a Python number) for ``input`` against ``target``."""
        try:
            return self.updateOutput(as_tensor_tree(input), as_tensor_tree(target))
        except CAUGHT as err:
            name_error(self, err)
            raise

    def backward(self, input, target):
        """d loss / d input, shaped like ``input``."""
        try:
            return self.updateGradInput(as_tensor_tree(input), as_tensor_tree(target))
        except CAUGHT as err:
            name_error(self, err)
            raise

    __call__ = forward

    def clearState(self):
        if hasattr(self.gradInput, 'set'):
            self.gradInput.set()
        return self

    def __repr__(self):
        return 'nn.' + type(self).__name__

    def shortName(self):
        return repr(self).split('\n', 1)[0].replace('nn.', '', 1)

    # --- checks criterions use -------------------------------------------------
    def checkSameSize(self, input, target):
        if not hasattr(target, 'size') or tuple(target.size()) != tuple(input.size()):
            got = tuple(target.size()) if hasattr(target, 'size') else type(target).__name__
            raise input_error(self, f"a target of the input's size {tuple(input.size())}", got)

    def checkLabels(self, input, target, n_classes):
        """Integer class labels in [0, n_classes), one per input row (or a single label)."""
        if not hasattr(target, 'dtype') or target.dtype.kind not in 'iu':
            kind = target.type() if hasattr(target, 'type') else type(target).__name__
            raise input_error(self, "integer class labels (e.g. a LongTensor or an int64 array)", kind, TypeError)
        rows = input.size(0) if input.dim() == 2 else 1
        if target.nElement() != rows:
            raise input_error(self, f"{rows} labels (one per input row)", f"{target.nElement()} labels")
        if rows and (target.min() < 0 or target.max() >= n_classes):
            raise input_error(self, f"labels in [0, {n_classes})",
                              f"labels in [{target.min()}, {target.max()}]", IndexError)
