"""View and Reshape: the same elements seen with other sizes (no copy when the strides allow)."""
from ..tensor import Tensor
from ..tensor.storage import LongStorage
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module


def _sizes(owner, args):
    """Sizes given as ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(tensor_of_sizes)`` or ``f(LongStorage)``
    (View.lua's resetSize and Reshape.lua's constructor take one LongStorage: simple.md's
    ``nn.View(torch.LongStorage{8,2})``)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, LongStorage)):
        args = tuple(args[0])
    elif len(args) == 1 and isinstance(args[0], Tensor):
        args = tuple(int(v) for v in args[0].tolist())
    if not args or any(isinstance(n, bool) or not isinstance(n, int) for n in args):
        raise ValueError(f"{owner}: expected integer sizes, got {args!r}")
    return tuple(args)


def _reshaped(previous, source, sizes):
    """``source`` seen with ``sizes`` (a view when its strides allow, else a copy), or ``previous`` when it
    already is that view (a module reshapes the same buffer on every call: the check is a few reads, building the
    view is not)."""
    if type(previous) is type(source) and previous._storage is source._storage and \
            previous._offset == source._offset and previous._size == sizes and previous.isContiguous() and \
            source.isContiguous():
        return previous
    return source._view_or_copy(sizes)


class View(Module):
    """``View(*sizes)``: output = input viewed as ``sizes`` (one may be -1, inferred).

    An input holding more elements than ``sizes`` describe is a batch: the output
    gets a leading batch dimension (Torch7's rule). ``setNumInputDims(n)`` says
    how many trailing input dimensions one sample has, which settles inputs that
    are ambiguous (a batch of one).
    """

    input_kind = 'tensor'
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, *sizes):
        super().__init__()
        self.numInputDims = None
        self.resetSize(*sizes)

    def resetSize(self, *sizes):
        raw, sizes = sizes, _sizes('View', sizes)
        if any(n < -1 for n in sizes) or sizes.count(-1) > 1:
            raise ValueError(f"View: sizes must be non-negative with at most one -1, got {sizes}")
        # a LongStorage, as View.lua's (resetSize, lines 5-7), which Torch7 code edits in place between batches
        # (struct-attn's set_size_parser: `view.size[1] = n` with `view.numElements`); forward reads it each call.
        # One LongStorage given is kept itself, as View.lua's `self.size = select(1, ...)`: the caller's later edits
        # of it reach this View
        given = raw[0] if len(raw) == 1 and isinstance(raw[0], LongStorage) else None
        self.size = given if given is not None else LongStorage(list(sizes))
        self.numElements = 1
        for n in sizes:
            if n != -1:
                self.numElements *= n
        return self

    def setNumInputDims(self, numInputDims):
        self.numInputDims = numInputDims
        return self

    def _batchsize(self, input):
        """The batch size to prepend, or None for a non-batch input."""
        sizes = input._size
        n_dims = len(sizes) if self.numInputDims is None else self.numInputDims
        if n_dims > len(sizes):
            raise input_error(self, f"an input of at least {n_dims} dimensions (setNumInputDims)",
                              f"{len(sizes)}-D of size {sizes}")
        sample = 1
        for n in sizes[len(sizes) - n_dims:]:
            sample *= n
        if self.numElements == 0 or sample % self.numElements:
            raise input_error(self, f"an input whose elements fill views of size {self._size_text()}",
                              f"size {sizes}")
        batch = 1 if -1 in self.size else sample // self.numElements
        for n in sizes[:len(sizes) - n_dims]:
            batch *= n
        if batch == 1 and (self.numInputDims is None or len(sizes) <= self.numInputDims):
            return None
        return batch

    def updateOutput(self, input):
        batch = self._batchsize(input)
        sizes = tuple(self.size)
        self.output = _reshaped(self.output, input, sizes if batch is None else (batch,) + sizes)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkGradOutputCount(gradOutput, self.output)
        self.gradInput = _reshaped(self.gradInput, gradOutput, input._size)
        return self.gradInput

    def _size_text(self):
        return 'x'.join(str(n) for n in self.size)

    def __repr__(self):
        return f"{lua_typename(self)}({self._size_text()})"


class Reshape(Module):
    """``Reshape(*sizes, batchMode=None)``: output = input with sizes ``sizes``, or ``(batch,) + sizes``.

    As in Torch7, the last positional argument may be the ``batchMode`` bool. With
    ``batchMode`` unset an input is a batch unless it has exactly the elements of
    ``sizes`` and its first dimension is not 1; ``True``/``False`` force either reading.
    """

    input_kind = 'tensor'
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, *args, batchMode=None):
        super().__init__()
        if args and isinstance(args[-1], bool):
            batchMode, args = args[-1], args[:-1]
        sizes = _sizes('Reshape', args)
        if any(n <= 0 for n in sizes):
            raise ValueError(f"Reshape: sizes must be positive, got {sizes}")
        # LongStorages, as Reshape.lua's (lines 7-8, 24-28): ``size``, and ``batchsize`` (1 then the sizes) whose
        # first entry a batch's forward sets; Torch7 code reads and edits them in place, as View's ``size``
        self.size = LongStorage(list(sizes))
        self.batchsize = LongStorage([1] + list(sizes))
        self.batchMode = batchMode
        self.nelement = 1
        for n in sizes:
            self.nelement *= n

    def updateOutput(self, input):
        n = input.nElement()
        batch = self.batchMode is True or (self.batchMode is None and not (n == self.nelement and input.size(0) != 1))
        if batch and input.dim():
            self.batchsize[0] = input.size(0)
            sizes = tuple(self.batchsize)
        else:
            sizes = tuple(self.size)
        total = 1
        for s in sizes:
            total *= s
        if total != n:
            raise input_error(self, f"an input of {total} elements to reshape into {sizes}",
                              f"size {tuple(input.size())}")
        self.output = _reshaped(self.output, input, tuple(sizes))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkGradOutputCount(gradOutput, self.output)
        self.gradInput = _reshaped(self.gradInput, gradOutput, input._size)
        return self.gradInput

    def updateDiagHessianInput(self, input, diagHessianOutput):
        """hessian.lua: diagHessianOutput (contiguous) viewed with the input's sizes."""
        self.diagHessianInput = diagHessianOutput.contiguous().view(*input.size())
        return self.diagHessianInput

    def validateState(self):
        """``lg.load``'s check of the sizes: two LongStorages, ``batchsize`` one longer than ``size``. A Reshape
        saved by a legonn that kept its sizes as a tuple (and no ``batchsize``) gets them first."""
        state = self.__dict__
        if isinstance(state.get('size'), tuple):
            state['size'] = LongStorage(list(state['size']))
            state['batchsize'] = LongStorage([1] + list(state['size']))
        size, batchsize = state.get('size'), state.get('batchsize')
        if not (isinstance(size, LongStorage) and isinstance(batchsize, LongStorage)
                and len(batchsize) == len(size) + 1):
            raise ValueError(f"Reshape: size and batchsize must be LongStorages, batchsize one entry longer, got "
                             f"{size!r:.60} and {batchsize!r:.60}")
        return super().validateState()

    def __repr__(self):
        return f"{lua_typename(self)}({'x'.join(str(n) for n in self.size)})"
