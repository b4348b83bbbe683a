"""What torch/rnn's one-step modules (StepLSTM, StepGRU) share: the ``{x[t], state[t-1]...}`` table input checked
against their widths, and the zero mask of torch/rnn's ``maskZero()`` / ``setZeroMask(zeroMask)``, which zeroes
the step's outputs (so the next step starts from a zero state) and their gradients for the masked rows.

The steps compute with the fused sequence modules' gate kernels (``legonn.tensor.recurrent_kernels``) over a
sequence of one step, unit-major inside, as SeqLSTM and SeqGRU do."""
from ...tensor.backend import array_module
from .errors import input_error
from .module import Module


def check_zero_mask(module, zeroMask):
    """``zeroMask`` as torch/rnn's setZeroMask takes it (MaskZero.lua): False, or a contiguous ByteTensor."""
    if zeroMask is not False:
        if getattr(zeroMask, '_dtype', None) is None or zeroMask._dtype.kind not in 'ub' or \
                zeroMask._dtype.itemsize != 1:
            raise input_error(module, "a ByteTensor zeroMask (or false)", type(zeroMask).__name__, TypeError)
        if not zeroMask.isContiguous():
            raise input_error(module, "a contiguous zeroMask", "a strided one")
    return zeroMask


def zero_masked(arr, keep):
    """Zeroes ``arr`` in place where ``keep`` (a ``keep_array``, broadcast to ``arr``) is 0: torch/rnn's
    recursiveZeroMask, a maskedFill (a select: an inf or NaN in a masked row gives 0, where a product with the
    0/1 keep gave NaN)."""
    array_module(arr).copyto(arr, 0, where=keep == 0)


def keep_array(module, zeroMask, x, sizes):
    """An array of x's type and device, of ``sizes``, 0 where ``zeroMask`` (of as many elements) is 1, 1 elsewhere;
    a zeroMask not set (None) or of another size is refused, naming ``module``."""
    if zeroMask is None:
        raise input_error(module, "a zeroMask tensor or false (setZeroMask) before a forward with maskZero()", "none")
    count = 1
    for n in sizes:
        count *= n
    if zeroMask.nElement() != count:
        raise input_error(module, f"a zeroMask of {count} elements ({' x '.join(map(str, sizes[:-1]))})",
                          f"size {tuple(zeroMask.size())}")
    mask = zeroMask.array.reshape(sizes)
    if x._cuda != zeroMask._cuda:
        mask = x.xp.asarray(mask) if x._cuda else mask.get()
    return (mask == 0).astype(x.array.dtype)


class StepRecurrent(Module, abstract=True):
    """Base of StepLSTM and StepGRU. ``state_widths()`` names the widths of the state tensors that follow x in
    the input table. ``updateGradInput`` computes gradInput and keeps the gates' gradients, which
    ``accGradParameters`` turns into the parameter gradients (torch/rnn's Lua computes both in its
    ``updateGradInput``, with scale 1: docs/porting.md's StepLSTM row)."""

    input_kind = 'table'

    def __init__(self):
        super().__init__()
        # torch/rnn's maskzero flag and its v2 mode (the mask comes from setZeroMask)
        self.maskzero = False
        self.v2 = True
        self.zeroMask = None

    def state_widths(self):
        raise NotImplementedError

    def _check_step(self, input):
        """(x, states...) of a ``{x (batch, inputsize), state (batch, width)...}`` input, each checked."""
        widths = self.state_widths()
        self.checkTable(input, length=1 + len(widths))
        x = input[0]
        self.checkTensor(x, (2,), 'input[0] (batch x inputsize)', floating=True)
        if x.size(1) != self.inputsize:
            raise input_error(self, f"input[0] of {self.inputsize} features (inputsize)", f"size {tuple(x.size())}")
        self.checkSameType(x, self.weight)
        N = x.size(0)
        for k, (name, width) in enumerate(widths, 1):
            s = input[k]
            self.checkTensor(s, (2,), f"input[{k}] ({name})", floating=True)
            if tuple(s.size()) != (N, width):
                raise input_error(self, f"input[{k}] ({name}) of size ({N}, {width})", f"size {tuple(s.size())}")
            self.checkSameType(s, self.weight)
        return input

    # --- torch/rnn's zero mask ---------------------------------------------------------------------------
    def maskZero(self, v1=False):
        """Zero the outputs (and their gradients) of the rows that ``setZeroMask`` marks with 1. ``v1``
        (torch/rnn's backward-compatible mode, the mask taken from x's all-zero rows) is not provided: the
        Element-Research modules' ``maskZero`` covers that. Returns this module."""
        if v1:
            raise ValueError(f"{self.shortName()}: maskZero(v1=true) (the mask from the input's zero rows) is not "
                             "provided; use setZeroMask, or the Element-Research MaskZero decorator")
        self.maskzero = True
        self.v2 = True
        return self

    def setZeroMask(self, zeroMask):
        """The mask of the next steps: a contiguous ByteTensor of the batch size, 1 where a row is masked, or
        False (no masking) (MaskZero.lua's setZeroMask)."""
        self.zeroMask = check_zero_mask(self, zeroMask)

    def _keep_rows(self, x):
        """(batch, 1) array of x's type, 0 for the masked rows, or None when nothing is masked."""
        if not self.maskzero or self.zeroMask is False:
            return None
        return keep_array(self, self.zeroMask, x, (x.size(0), 1))

    def _gate_gradients(self, input, gradOutput):
        """The (gates x H, N) gate gradients of ``gradOutput``: the last updateGradInput's when it was given this
        gradOutput (its very tensors) since the last forward, else computed now."""
        done = self.__dict__.get('_grad_gates_for')
        same = done is not None and (done is gradOutput or isinstance(gradOutput, list) and len(done) == len(gradOutput)
                                     and all(a is b for a, b in zip(done, gradOutput)))
        if not same:
            self.updateGradInput(input, gradOutput)
        return self.grad_gates_by_unit.array[:, 0]

    def clearState(self, *names):
        self._grad_gates_for = None
        return super().clearState('_keep', *names)
