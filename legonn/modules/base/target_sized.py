"""TargetSized: Torch7's ``{input, target}`` table input of the full (transposed) convolutions.

A transposed convolution of stride d maps d input sizes onto one output size, so Torch7 lets the caller
name the output size with a second tensor: SpatialFullConvolution and VolumetricFullConvolution take
``{input, target}`` and pick, along each spatial axis, ``adj = (target + 2 pad - k) mod d`` from the
target's trailing sizes (the module's own adj attributes stay as they are). The gradient is then the
table ``{gradInput, zeros shaped like target}``, the zeros a stride-0 view of one element as Torch7's
expanded zero scalar.
"""
from ...tensor import Tensor
from .errors import input_error
from .table_buffers import describe


class TargetSized:
    """Mixin for a transposed convolution; ``target_axes`` names, per spatial axis in the input's order,
    its (kernel, stride, pad, adj) attributes, e.g. ``(('kH', 'dH', 'padH', 'adjH'), ('kW', 'dW', 'padW', 'adjW'))``."""

    input_kind = None   # a tensor, or the table {input, target}
    target_axes = ()

    def splitTarget(self, input):
        """(the input tensor, the adj of each spatial axis): the module's own for a tensor input; for
        ``{input, target}`` those that make the output as large as the target's trailing sizes."""
        if not isinstance(input, list):
            return input, tuple(getattr(self, adj) for _, _, _, adj in self.target_axes)
        axes = len(self.target_axes)
        if len(input) != 2 or not all(isinstance(t, Tensor) for t in input) or input[1].dim() < axes:
            raise input_error(self, f"a tensor, or a table {{input, target}} of two tensors whose target has at "
                              f"least {axes} dimensions (its last ones size the output)",
                              describe(input) if len(input) != 2 else f"{{{describe(input[0])}, {describe(input[1])}}}")
        sizes = input[1]._size[-axes:]
        return input[0], tuple((size + 2 * getattr(self, pad) - getattr(self, k)) % getattr(self, d)
                               for size, (k, d, pad, _) in zip(sizes, self.target_axes))

    def gradBuffer(self, input, tensor):
        """The array to write the gradient with respect to ``tensor`` (``input``'s tensor) into: gradInput's for
        a tensor input; for a table one kept apart, since gradInput becomes the table holding it."""
        return self.bufferLike('gradInput' if tensor is input else '_gradTensor', tensor)

    def tableGradInput(self, input):
        """The gradInput to return once ``gradBuffer`` is written: itself for a tensor input; for a table,
        ``[the gradient, zeros like target]``."""
        if not isinstance(input, list):
            return self.gradInput
        target = input[1]
        zero = self.__dict__.get('_zeroScalar')
        if type(zero) is not type(target):
            zero = self._zeroScalar = target.new(1).zero()
        self.gradInput = [self._gradTensor, zero.view(*([1] * target.dim())).expandAs(target)]
        return self.gradInput

    def clearState(self, *names):
        self.__dict__.pop('_zeroScalar', None)   # dropped, not emptied: the zeros view one element of it
        return super().clearState('_gradTensor', *names)
