"""What the fused sequence modules (SeqLSTM, SeqGRU) share: Element-Research rnn's input forms, the
initial state (zeros, ``userPrevOutput``/``userPrevCell``, or the last state kept by ``remember()``),
the ``maskzero`` row mask, the input projection of all steps, gradInput's form and the parameter
gradients that are products over all steps.

A sequence is ``seqlen x batch x inputsize`` (``batch x seqlen x inputsize``, and the output and gradOutput
likewise, when ``batchfirst`` is set, as in the rnn package); the weight is
``(inputsize + outputsize, gates * outputsize)`` so that one step's gate pre-activations are
``[x, h_prev] @ weight + bias``.
"""
import math

from ...tensor import Tensor
from ...tensor.blas_kernels import addmm_into, transpose_into
from ...tensor.introspection import typename as lua_typename
from .errors import input_error
from .module import Module
from .recurrent_step import check_zero_mask, keep_array
from .typed import registry
from .zero_rows import zero_norm

REMEMBER_MODES = ('both', 'eval', 'train', 'neither')
# the names of the LSTM cell's initial state and of the user's cell state and gradient
CELL_STATES = frozenset(('c0', 'userPrevCell', 'userNextGradCell'))


def split_steps(owner, x, what):
    """The steps of a sequence in either of the rnn package's forms: a table of per-step tensors (as
    given), or a ``seqlen x ...`` tensor (its slices along dimension 0). Used by Sequencer and
    SequencerCriterion; ``owner`` and ``what`` name the error."""
    if isinstance(x, list):
        return x
    if not isinstance(x, Tensor) or x.dim() < 1:
        raise input_error(owner, f"a seqlen x ... tensor or a table of steps as {what}",
                          type(x).__name__ if not isinstance(x, Tensor) else "a 0-D tensor", TypeError)
    return [x.select(0, t) for t in range(x.size(0))]


class SeqRecurrent(Module, abstract=True):
    """Base of SeqLSTM and SeqGRU. A subclass sets ``gates``, ``state_names`` and ``buffer_names`` and writes
    ``updateOutput``, ``_backward_through_time`` (leaves the gates' gradients gate-major in ``gate_scratch``,
    and the gradients of x (``input_gradient``) and the initial states) and
    ``_accumulate_recurrent_gradients``.

    Inside a step the gates are unit-major, ``(gates * outputsize, batch)``: OpenBLAS computes the recurrent
    product as W_h^T h^T a quarter to a third faster than as h W_h when the batch is the small side
    (bench/lstm.md, "Unit-major SeqLSTM and SeqGRU")."""

    positive_ints = ('inputsize', 'outputsize')
    gates = 1
    # names of the initial-state buffers, in the order they come before x in a table input
    state_names = ('h0',)
    # per-call buffers (emptied by clearState), besides output and gradInput; sequence_output is the
    # (seqlen, batch, outputsize) output, which ``output`` is (or, batchfirst, a transposed view of)
    buffer_names = ('sequence_output',)

    def __init__(self, inputsize, outputsize, *, maskzero=False, hiddensize=None):
        # maskzero is keyword-only: rnn's third positional argument is SeqLSTMP's outputsize (SeqLSTM.lua's
        # (inputsize, hiddensize, outputsize)), which must not read as a mask flag
        super().__init__()
        self.checkHyper(inputsize=inputsize, outputsize=outputsize)
        self.inputsize, self.outputsize = inputsize, outputsize
        self.maskzero = bool(maskzero)
        # rnn's flag: input, output, gradOutput and gradInput are batch x seqlen x ... (SeqLSTM.lua's _prepare_size)
        self.batchfirst = False
        self._allocate_parameters(outputsize if hiddensize is None else hiddensize)
        self._remember = 'neither'
        self.userPrevOutput = None
        # a gradient for the last step's h, added once by the next backward (rnn's encoder-decoder coupling)
        self.gradPrevOutput = None
        self._grad_gates_for = None   # the gradOutput whose gate gradients gate_scratch holds
        for name in self.state_names + self.buffer_names:
            setattr(self, name, self.output.new())
        self.reset()

    def _allocate_parameters(self, H):
        """weight (inputsize + outputsize, gates * H) and bias (gates * H), with their gradients; H is the cell's
        width."""
        width = (self.inputsize + self.outputsize, self.gates * H)
        self.weight, self.gradWeight = self.output.new(*width), self.output.new(*width).zero()
        self.bias, self.gradBias = self.output.new(width[1]), self.output.new(width[1]).zero()

    @property
    def hiddensize(self):
        """The cell's width (SeqLSTM.lua's hiddensize): outputsize, but for SeqLSTMP, whose output projects it."""
        return self.outputsize

    def _width(self, name):
        """The width of the state or state gradient ``name``: the cell's ones are hiddensize wide, h's outputsize."""
        return self.hiddensize if name in CELL_STATES else self.outputsize

    def reset(self, stdv=None):
        """Weights normal(0, stdv), stdv = 1/sqrt(inputsize + outputsize) by default; biases zero except the
        second gate's (forget gate of the LSTM, update gate of the GRU), one: the rnn package's rule."""
        stdv = 1.0 / math.sqrt(self.inputsize + self.outputsize) if stdv is None else stdv
        H = self.outputsize
        self.weight.normal(0, stdv)
        self.bias.zero()
        self.bias.narrow(0, H, H).fill(1)
        return self

    # --- carrying the state across calls ---------------------------------------------------------
    def remember(self, mode='both'):
        """Start each forward from the last one's final state: in 'train'ing, in 'eval'uation, in 'both'
        or 'neither' (the default: every forward starts from zeros)."""
        if mode not in REMEMBER_MODES:
            raise ValueError(f"{type(self).__name__}.remember: expected one of {REMEMBER_MODES}, got {mode!r}")
        self._remember = mode
        return self

    def forget(self):
        """Drop the remembered state: the next forward starts from zeros."""
        for name in self.state_names:
            getattr(self, name).resize(0)
        return self

    def resetStates(self):
        """rnn's other name for dropping the initial states (SeqLSTM.lua, SeqGRU.lua): as ``forget()``."""
        return self.forget()

    def training(self):
        if not self.train:
            self.forget()
        return super().training()

    def evaluate(self):
        if self.train:
            self.forget()
        return super().evaluate()

    def maskZero(self, v1=False):
        """Steps whose input row is all zeros output zeros and restart the state from zeros; after
        ``setZeroMask(mask)`` the rows that mask marks instead. ``v1`` (torch/rnn's flag for the former) changes
        nothing: the mask is used when set."""
        self.maskzero = True
        return self

    zeroMask = None

    def setZeroMask(self, zeroMask):
        """torch/rnn's mask (SeqLSTM.lua's setZeroMask): a contiguous ByteTensor ``(seqlen, batch)``, 1 where a
        step's row is padding, used by the next forwards with ``maskzero`` in place of the input's all-zero
        rows; False masks nothing (as in torch/rnn), None goes back to the input's all-zero rows, as ``clearState``
        does (SeqLSTM.lua's forgets the mask). ``type()`` keeps it, converted with the module: SeqLSTM.lua's type
        calls clearState to drop buffers, which drops the mask incidentally (see MaskZero.setZeroMask)."""
        self.zeroMask = None if zeroMask is None else check_zero_mask(self, zeroMask)

    def _remembering(self):
        return self._remember in ('both', 'train' if self.train else 'eval')

    # --- input ---------------------------------------------------------------------------------------
    def _split_input(self, input):
        """(given initial states, x) from ``x`` or the table ``[*states, x]`` (any prefix-free tail of
        state_names: [h0, x] or, for the LSTM, [c0, h0, x]), every piece checked."""
        T_N_D = f"a {self._layout_name()} x {self.inputsize} tensor"
        if isinstance(input, list):
            if not 2 <= len(input) <= len(self.state_names) + 1:
                forms = ' or '.join('[' + ', '.join(self.state_names[-k:]) + ', x]'
                                    for k in range(1, len(self.state_names) + 1))
                raise input_error(self, f"{T_N_D} or a table {forms}", f"a table of {len(input)} entries")
            states, x = input[:-1], input[-1]
        else:
            states, x = [], input
        self.checkTensor(x, (3,))
        self.checkSameType(x, self.weight)
        if x._size[2] != self.inputsize:
            raise input_error(self, T_N_D, f"size {tuple(x.size())}")
        if self.batchfirst:
            # one copy in the seqlen-first layout every product below reads
            x = x.transpose(0, 1).contiguous()
        N = x._size[1]
        for name, s in zip(self.state_names[len(self.state_names) - len(states):], states):
            self._check_state(name, s, N)
        return states, x

    def _check_state(self, name, s, N):
        """``s``, the state or state gradient ``name``, checked: a (N, width) tensor of the weight's type."""
        self.checkTensor(s, (2,), name)
        self.checkSameType(s, self.weight, name)
        H = self._width(name)
        if s._size != (N, H):
            raise input_error(self, f"{name} of size ({N}, {H})", f"size {tuple(s.size())}")

    def _layout_name(self):
        return "batch x seqlen" if self.batchfirst else "seqlen x batch"

    def _in_user_layout(self, t):
        """A (seqlen, batch, ...) tensor as the user's layout: itself, or its transposed view (batchfirst)."""
        return t.transpose(0, 1) if self.batchfirst else t

    def _check_cpu_type(self, x):
        """The CPU gate kernels compute in float32 or float64: a HalfTensor sequence is refused there."""
        if not x._cuda and x.array.dtype.itemsize < 4:
            raise input_error(self, "a FloatTensor or DoubleTensor sequence on the CPU (its gate kernels compute in "
                              "float32 or float64)", type(x).__name__, TypeError)

    def _check_grad_output(self, x, gradOutput):
        """gradOutput checked against the sequence x (seqlen-first) in the user's layout; returned seqlen-first."""
        self.checkTensor(gradOutput, (3,), 'gradOutput')
        self.checkSameType(gradOutput, self.weight, 'gradOutput')
        T, N = x._size[:2]
        self.checkSize(gradOutput, (N, T, self.outputsize) if self.batchfirst else (T, N, self.outputsize))
        return self._in_user_layout(gradOutput)

    def _initial_state(self, name, given, user, last, N):
        """The array a sequence starts from: a state given in the input table, else the user's
        (``userPrevOutput``/``userPrevCell``, used once), else ``last`` (the last call's final state,
        (batch, width), None before any call) when remembering, else zeros. Copied into the buffer
        ``self.<name>`` unless given."""
        if given is not None:
            return given.array
        buf = getattr(self, name)
        if type(buf) is not type(self.weight):
            buf = self.weight.new()
            setattr(self, name, buf)
        H = self._width(name)
        if user is not None:
            self.checkTensor(user, (2,), 'user state (userPrevOutput/userPrevCell)')
            self.checkSameType(user, self.weight, 'user state')
            if user._size != (N, H):
                raise input_error(self, f"a user state of size ({N}, {H})", f"size {tuple(user.size())}")
            buf.resize(N, H).array[...] = user.array
        elif self._remembering() and buf.nElement() and last is not None:
            if last.shape[0] != N:
                raise input_error(self, f"a batch of {last.shape[0]} sequences (the remembered state's; "
                                  "forget() to start anew)", f"{N}")
            buf.array[...] = last
        else:
            buf.resize(N, H).zero()
        return buf.array

    def _take_user_gradient(self, name, N):
        """The array of ``self.<name>`` (a (batch, width) gradient the user set for the last step's state:
        ``gradPrevOutput``, ``userNextGradCell``), checked, or None; the attribute is reset to None (used once,
        as SeqLSTM.lua's backward does)."""
        user = getattr(self, name)
        if user is None:
            return None
        self._check_state(name, user, N)
        setattr(self, name, None)
        return user.array

    def _last_output(self):
        """The last call's final h, (batch, outputsize), or None before any call."""
        return self.sequence_output.array[-1] if self.sequence_output.nElement() else None

    def _input_projection_by_unit(self, x):
        """gate_scratch (gates * outputsize, seqlen, batch) = W_x^T x^T for all steps in one product (no bias):
        each step's slice [:, t] is its gates' input part, unit-major."""
        T, N, D = x._size
        projection = self.bufferLike('gate_scratch', x, (self.gates * self.hiddensize, T, N))
        x.xp.matmul(self.weight.array[:D].T, x.array.reshape(T * N, D).T, out=projection.reshape(-1, T * N))
        return projection

    def input_gradient(self, x):
        """grad_x = grad_gates W_x^T for all steps in one product, from the gate-major gradients in
        gate_scratch; nothing when gradInput is None (Torch7's idiom for a first layer: no gradient for
        the data)."""
        if self.gradInput is not None:
            T, N, D = x._size
            gx = self.bufferLike('grad_x', x)
            x.xp.matmul(self.gate_scratch.array.reshape(-1, T * N).T, self.weight.array[:D].T,
                        out=gx.reshape(T * N, D))

    def _keep_mask(self, x):
        """(seqlen, batch, 1) of 1 where a step's input row has a non-zero, 0 where it is all zeros
        (maskzero), in x's type; None without maskzero."""
        if not self.maskzero:
            return None
        xa = x.array
        T, N, D = xa.shape
        if self.zeroMask is False:
            return None
        if self.zeroMask is not None:
            return keep_array(self, self.zeroMask, x, (T, N, 1))
        # a padding row is one of L2 norm 0, as SeqLSTM.lua's norm finds it
        return (~zero_norm(xa.reshape(T * N, D))).reshape(T, N, 1).astype(xa.dtype)

    # --- gradients --------------------------------------------------------------------------------------
    def _backward_input(self, input, gradOutput):
        """(given states, x, gradOutput) of a backward call, checked against the last forward; x and
        gradOutput seqlen-first."""
        states, x = self._split_input(input)
        gradOutput = self._check_grad_output(x, gradOutput)
        sizes = self.gate_buffer._size   # (seqlen, gates * outputsize, batch) after a forward
        if (sizes[0], sizes[-1]) != x._size[:2]:
            raise input_error(self, "backward after a forward of this input",
                              f"an input of size {tuple(self._in_user_layout(x).size())}")
        return states, x, gradOutput

    def updateGradInput(self, input, gradOutput):
        states, _ = self._backward_through_time(input, gradOutput)
        if self.gradInput is not None:   # None: Torch7's idiom for a first layer, no gradient for the data
            # the input's form: grad x alone, or the table [grad states..., grad x]
            names = self.state_names[len(self.state_names) - len(states):]
            grad_x = self._in_user_layout(self.grad_x)
            self.gradInput = [getattr(self, 'grad_' + n) for n in names] + [grad_x] if states else grad_x
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        if self._grad_gates_for is not gradOutput:
            states, x = self._backward_through_time(input, gradOutput)
        else:
            states, x = self._split_input(input)
        self._accumulate_input_gradients(x, scale)
        self._accumulate_recurrent_gradients(states[-1].array if states else self.h0.array, x, scale)

    def _accumulate_hidden_gradients(self, h0, x, rows, scale):
        """gradWeight[inputsize:, rows] += scale h_prev^T grad_gates[rows] over all steps (``rows`` of the
        gate-major gradients in gate_scratch), h_prev being h0 then the output's first seqlen - 1 steps."""
        T, N, D = x._size
        by_gate = self.gate_scratch.array[rows]
        gW = self.gradWeight.array[D:, rows]
        addmm_into(gW, h0.T, by_gate[:, 0].T, scale, 1.0)
        if T > 1:
            addmm_into(gW, self.sequence_output.array[:-1].reshape((T - 1) * N, -1).T,
                       by_gate[:, 1:].reshape(by_gate.shape[0], (T - 1) * N).T, scale, 1.0)

    def transposed_recurrent_weight(self, D):
        """A contiguous copy of the recurrent weight W_h (rows D: of weight), transposed, (gates * outputsize,
        outputsize): BLAS multiplies by it faster than by the transposed view (measured 193 against 240 us for
        1024x256 by 256x32, one thread)."""
        Wh = self.weight.array[D:]
        return transpose_into(self.bufferLike('recurrent_weight_t', self.weight, Wh.shape[::-1]), Wh)

    def _accumulate_input_gradients(self, x, scale):
        """gradWeight[:inputsize] += scale x^T grad_gates and gradBias += scale sum(grad_gates), all steps in
        one product (from the gate-major gradients in gate_scratch)."""
        T, N, D = x._size
        by_gate = self.gate_scratch.array.reshape(-1, T * N)
        addmm_into(self.gradWeight.array[:D], x.array.reshape(T * N, D).T, by_gate.T, scale, 1.0)
        # a matrix-vector product with ones: BLAS gemv reads the rows about 6x faster than sum(1) does
        # (43 against 282 us for 1024 x 1600)
        ones = self.bufferLike('ones', x, (T * N,))
        ones.fill(1)
        gb = by_gate @ ones
        if scale != 1:
            gb *= scale
        self.gradBias.array += gb

    def clearState(self):
        # SeqLSTM.lua's and SeqGRU.lua's clearState forget setZeroMask's mask (None: the input's zero rows again)
        self.__dict__.pop('zeroMask', None)
        return super().clearState(*self.buffer_names)

    def _as_cell(self, name, pieces):
        """A new ``name`` (one of the rnn package's step-by-step cells: a container, found in the class registry
        since this package sits below the containers) whose parameters and gradients are ``pieces(weight,
        bias)`` of this layer's (arrays, in the cell's parameters() order), as SeqLSTM.lua's toFastLSTM and
        SeqGRU.lua's toGRU make them."""
        if self.hiddensize != self.outputsize:
            raise ValueError(f"{self.shortName()}: a cell of the rnn package has no output projection "
                             f"(hiddensize {self.hiddensize}, outputsize {self.outputsize})")
        cell = registry[name](self.inputsize, self.outputsize).type(self.type())
        ours = ((self.weight, self.bias), (self.gradWeight, self.gradBias))
        for mine, (weight, bias) in zip(cell.parameters(), ours):
            for target, source in zip(mine, pieces(weight.array, bias.array)):
                target.array[...] = source
        return cell

    def _as_rec(self, name):
        """torch/rnn's toRecLSTM / toRecGRU (SeqLSTM.lua, SeqGRU.lua): a new ``name`` (RecLSTM or RecGRU) whose
        step module holds copies of this layer's weight, bias and their gradients (the same layout), masking
        (``maskZero()``) when this layer does."""
        rec = self._as_cell(name, lambda weight, bias: (weight, bias))
        if self.maskzero:
            rec.maskZero()
        return rec

    def __repr__(self):
        return f"{lua_typename(self)}({self.inputsize} -> {self.outputsize})"
