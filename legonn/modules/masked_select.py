"""MaskedSelect: the elements of a tensor where a mask is set, as one 1-D tensor."""
from .base.errors import input_error
from .base.module import Module
from .base.table_buffers import check_table, check_tensor, describe


class MaskedSelect(Module):
    """{input, mask} -> the 1-D tensor of ``input``'s elements where ``mask`` is non-zero, in row-major order.

    ``mask`` is a ByteTensor (any integer or boolean tensor) of ``input``'s size, on its device.
    ``gradInput`` is the table {gradOutput scattered back to the selected places (zeros
    elsewhere), zeros of ``mask``'s size as a ByteTensor}: the mask gets no gradient.
    """
    input_dtypes = 'any'  # integer indices are part of its input

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def _check(self, input):
        """(input tensor, boolean mask array) after checking the table."""
        check_table(self, input, length=2)
        x = check_tensor(self, input[0], 'input[0]')
        mask = check_tensor(self, input[1], 'input[1]')
        if mask.dtype.kind not in 'biu':
            raise input_error(self, "input[1]: an integer (ByteTensor) mask", mask.type(), TypeError)
        if tuple(mask.size()) != tuple(x.size()):
            raise input_error(self, f"input[1]: a mask of input[0]'s size {tuple(x.size())}", describe(mask))
        if mask.is_cuda != x.is_cuda:
            raise input_error(self, f"input[1]: a mask on input[0]'s device ({x.type()})", mask.type(), TypeError)
        return x, mask.array != 0

    def updateOutput(self, input):
        x, m = self._check(input)
        selected = x.array[m]
        self.bufferLike('output', x, selected.shape)[...] = selected
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, m = self._check(input)
        n = int(m.sum())
        check_tensor(self, gradOutput, 'gradOutput')
        self.checkSameType(gradOutput, x, 'gradOutput')
        if tuple(gradOutput.size()) != (n,):
            raise input_error(self, f"gradOutput of size ({n},) (one value per selected element)",
                              tuple(gradOutput.size()))
        gi = self.bufferLike('_gradBuffer', x)
        gi[...] = 0
        gi[m] = gradOutput.array
        self.bufferLike('_gradMask', input[1], kind='Byte')[...] = 0
        self.gradInput = [self._gradBuffer, self._gradMask]
        return self.gradInput

    def clearState(self):
        return super().clearState('_gradBuffer', '_gradMask')
