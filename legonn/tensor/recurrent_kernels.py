"""Gate arithmetic of the fused sequence modules' time steps, forward and backward.

The modules (``legonn.modules.recurrent_lstm`` / ``recurrent_gru``) make the matrix products; the
kernels here do everything element-wise between them, each one pass over a step's memory: a Numba
function (``recurrent_cpu``) on the CPU, a CuPy ``ElementwiseKernel`` (its CUDA source here) on the
GPU. A module binds a sequence's arrays once (``LSTMForwardSteps``, ``LSTMBackwardSteps``,
``GRUForwardSteps``, ``GRUBackwardSteps``); on the CPU they are checked then by
``blas_kernels.check_operands``, since the Numba kernels index without bounds checks.

Layouts, for hidden size H, batch N and T steps: unit-major, because OpenBLAS computes the recurrent
product W_h^T h^T (gates x H by H x N) a quarter to a third faster than h W_h when the batch is the
small side (bench/lstm.md, "Unit-major SeqLSTM and SeqGRU"). A step's gates are ``(k H, N)`` (``gates``
``(T, k H, N)``), its hidden state and cell ``(H, N)``; the input projections of all steps are one
gate-major array ``(k H, T, N)``, and the backward writes the gate gradients into the same layout,
where the parameter gradients are one product each. The module's output keeps Torch7's ``(T, N, H)``
rows; the forward kernels write h there too. Gate orders are those of Element-Research's rnn package:
LSTM input, forget, output, cell candidate; GRU reset, update, candidate.
"""
import importlib

import numpy as np

from .backend import is_cupy_array as _is_cupy
from .blas_kernels import check_operands
from .cuda_kernels import declare

# Each CUDA body runs for one (unit j, batch row n), i = j N + n its unit-major index; every array is raw
# (indexed by hand): a step's (H, N) slice starts at t H N, its (k H, N) gate slice at t k H N, and row r
# of a gate-major (k H, T, N) array at r T N + t N. S is the number of steps.

# --- LSTM ----------------------------------------------------------------------------------------

_LSTM_FORWARD = r"""
    const int j = i / N, n = i % N, HN = H * N;   // unit j of batch row n
    const long at = (long)t * HN, gt = 4 * at;    // step t's (H, N) and (4H, N) slices
    const long step = (long)t * N + n, row = (long)S * N;   // projection is (4H, S, N)
    const T ai = gates[gt + i] + projection[j * row + step] + bias[j];
    const T af = gates[gt + HN + i] + projection[(H + j) * row + step] + bias[H + j];
    const T ao = gates[gt + 2 * HN + i] + projection[(2 * H + j) * row + step] + bias[2 * H + j];
    const T ag = gates[gt + 3 * HN + i] + projection[(3 * H + j) * row + step] + bias[3 * H + j];
    const T ig = 1 / (1 + exp(-ai)), fg = 1 / (1 + exp(-af)), og = 1 / (1 + exp(-ao)), g = tanh(ag);
    gates[gt + i] = ig; gates[gt + HN + i] = fg; gates[gt + 2 * HN + i] = og; gates[gt + 3 * HN + i] = g;
    const T cell = fg * (t ? c[at - HN + i] : c0[i]) + ig * g, tcell = tanh(cell);
    c[at + i] = cell;
    tanh_c[at + i] = tcell;
    hidden[at + i] = og * tcell;
    output[at + n * H + j] = og * tcell;
"""

_LSTM_BACKWARD = r"""
    const int j = i / N, n = i % N, HN = H * N;
    const long at = (long)t * HN, gt = 4 * at;
    const long step = (long)t * N + n, row = (long)S * N;   // grad_gates is (4H, S, N)
    const T ig = gates[gt + i], fg = gates[gt + HN + i], og = gates[gt + 2 * HN + i], g = gates[gt + 3 * HN + i];
    const T tcell = tanh_c[at + i], gh = grad_h[i];
    const T dc = grad_c[i] + gh * og * (1 - tcell * tcell);
    grad_gates[j * row + step] = dc * g * ig * (1 - ig);
    grad_gates[(H + j) * row + step] = dc * (t ? c[at - HN + i] : c0[i]) * fg * (1 - fg);
    grad_gates[(2 * H + j) * row + step] = gh * tcell * og * (1 - og);
    grad_gates[(3 * H + j) * row + step] = dc * ig * (1 - g * g);
    grad_c[i] = dc * fg;
    grad_h[i] = t ? grad_output[at - HN + n * H + j] : 0;
"""


# --- GRU -----------------------------------------------------------------------------------------
# The rnn package's cell: r, u = sigmoid(...), hc = tanh(x W_x[c] + (r h_prev) W_h[c] + b_c),
# h = (1 - u) hc + u h_prev. A forward step is two kernels around the candidate's recurrent product,
# a backward step two around the product that carries the candidate's gradient back to r h_prev.

_GRU_GATES = r"""
    const int j = i / N, n = i % N, HN = H * N;
    const long at = (long)t * HN, gt = 3 * at;
    const long step = (long)t * N + n, row = (long)S * N;   // projection is (3H, S, N)
    const T r = 1 / (1 + exp(-(gates[gt + i] + projection[j * row + step] + bias[j])));
    const T u = 1 / (1 + exp(-(gates[gt + HN + i] + projection[(H + j) * row + step] + bias[H + j])));
    gates[gt + i] = r;
    gates[gt + HN + i] = u;
    gates[gt + 2 * HN + i] = projection[(2 * H + j) * row + step] + bias[2 * H + j];
    reset_hidden[at + n * H + j] = r * (t ? hidden[at - HN + i] : h0[i]);
"""

_GRU_CANDIDATE = r"""
    const int j = i / N, n = i % N, HN = H * N;
    const long at = (long)t * HN, gt = 3 * at;
    const T hc = tanh(gates[gt + 2 * HN + i]), u = gates[gt + HN + i];
    const T h_prev = t ? hidden[at - HN + i] : h0[i];
    gates[gt + 2 * HN + i] = hc;
    hidden[at + i] = hc + u * (h_prev - hc);
    output[at + n * H + j] = hc + u * (h_prev - hc);
"""

_GRU_BACKWARD_CANDIDATE = r"""
    const int j = i / N, n = i % N, HN = H * N;
    const long at = (long)t * HN, gt = 3 * at;
    const long step = (long)t * N + n, row = (long)S * N;   // grad_gates is (3H, S, N)
    const T u = gates[gt + HN + i], hc = gates[gt + 2 * HN + i], dh = grad_h[i];
    const T h_prev = t ? hidden[at - HN + i] : h0[i];
    grad_gates[(H + j) * row + step] = dh * (h_prev - hc) * u * (1 - u);
    grad_gates[(2 * H + j) * row + step] = dh * (1 - u) * (1 - hc * hc);
"""

_GRU_BACKWARD_RESET = r"""
    const int j = i / N, n = i % N, HN = H * N;
    const long at = (long)t * HN, gt = 3 * at;
    const long step = (long)t * N + n, row = (long)S * N;
    const T r = gates[gt + i], u = gates[gt + HN + i], drh = grad_rh[i];
    const T h_prev = t ? hidden[at - HN + i] : h0[i];
    grad_gates[j * row + step] = drh * h_prev * r * (1 - r);
    grad_h[i] = grad_h[i] * u + drh * r + (t ? grad_output[at - HN + n * H + j] : 0);
"""

# name -> (input arrays, output arrays, CUDA body). The CuPy kernel takes the inputs, then H, N, t, S,
# then the outputs; the Numba function of the same name (recurrent_cpu) the inputs, the outputs, then t.
_SIGNATURES = {
    'lstm_forward': (('projection', 'bias', 'c0'), ('gates', 'c', 'tanh_c', 'hidden', 'output'), _LSTM_FORWARD),
    'lstm_backward': (('gates', 'c0', 'c', 'tanh_c', 'grad_output'), ('grad_h', 'grad_c', 'grad_gates'),
                      _LSTM_BACKWARD),
    'gru_gates': (('projection', 'bias', 'h0', 'hidden'), ('gates', 'reset_hidden'), _GRU_GATES),
    'gru_candidate': (('h0',), ('gates', 'hidden', 'output'), _GRU_CANDIDATE),
    'gru_backward_candidate': (('gates', 'h0', 'hidden', 'grad_h'), ('grad_gates',), _GRU_BACKWARD_CANDIDATE),
    'gru_backward_reset': (('gates', 'h0', 'hidden', 'grad_output', 'grad_rh'), ('grad_gates', 'grad_h'),
                           _GRU_BACKWARD_RESET),
}

# name -> (input parameters, output parameters, body) of each CuPy ElementwiseKernel
KERNELS = {name: (', '.join(f'raw T {a}' for a in inputs) + ', int32 H, int32 N, int32 t, int32 S',
                  ', '.join(f'raw T {a}' for a in outputs), body)
           for name, (inputs, outputs, body) in _SIGNATURES.items()}


_LAUNCHERS = {name: declare(name, *parts) for name, parts in KERNELS.items()}


def _kernel(name):
    return _LAUNCHERS[name]


class _BoundSteps:
    """A sequence's per-step kernels (a subclass names them in ``kernels``) bound to its arrays once. On the
    CPU the arrays are checked by the gateway (``blas_kernels.check_operands``) when bound, and the kernels
    get views only this object holds (so nothing can reshape them afterwards); each step then checks only
    its index."""

    def __init__(self, steps, units, **operands):
        """``steps`` T and ``units`` (H, N) of the sequence; ``operands``: name -> (array, shape)."""
        routine = type(self).__name__
        first = next(iter(operands.values()))[0]
        self.cuda = _is_cupy(first)
        self.steps, self.units = steps, units
        if not self.cuda:
            dtype = first.dtype
            if dtype not in (np.float32, np.float64):
                raise TypeError(f"recurrent_kernels.{routine}: the CPU kernels compute in float32 or float64, "
                                f"got {dtype}")
            check_operands(f"recurrent_kernels.{routine}", dtype,
                           *((name, arr, shape, None) for name, (arr, shape) in operands.items()))
        self.arrays = {name: arr.view() for name, (arr, _) in operands.items()}
        # each kernel's function and arguments, looked up once: a step then only checks t and calls
        # (Numba's import, about 0.1 s, happens here, when a CPU recurrent net first runs)
        cpu = None if self.cuda else importlib.import_module('.recurrent_cpu', __package__)
        self._calls = {}
        for name in self.kernels:
            inputs, outputs, _ = _SIGNATURES[name]
            self._calls[name] = (_kernel(name) if self.cuda else getattr(cpu, name),
                                 [self.arrays[a] for a in inputs], [self.arrays[a] for a in outputs])

    def _run(self, name, t):
        if not 0 <= t < self.steps:
            raise ValueError(f"recurrent_kernels.{type(self).__name__}: step {t} outside a sequence of "
                             f"{self.steps}")
        function, ins, outs = self._calls[name]
        if self.cuda:
            H, N = self.units
            function(*ins, H, N, t, self.steps, *outs, size=H * N)
        else:
            function(*ins, *outs, t)


class LSTMForwardSteps(_BoundSteps):
    """The LSTM's forward gate arithmetic over one sequence. ``projection`` (4H, T, N) holds the input part
    of every step's pre-activations, ``bias`` is (4H,), ``c0`` (H, N) the initial cell; ``step(t)`` adds
    those to the recurrent product W_h^T h_{t-1}^T that ``gates[t]`` ((T, 4H, N)) holds, overwrites it with
    the activations (rows input, forget, output gate, cell candidate), and writes c = f c_prev + i g,
    tanh(c) and h = o tanh(c) into ``c[t]``, ``tanh_c[t]``, ``hidden[t]`` ((T, H, N)) and h again into
    ``output[t]`` ((T, N, H)). All of one float type, C-contiguous."""

    kernels = ('lstm_forward',)

    def __init__(self, projection, bias, gates, c0, c, tanh_c, hidden, output):
        T, H, N = c.shape
        super().__init__(T, (H, N), projection=(projection, (4 * H, T, N)), bias=(bias, (4 * H,)),
                         gates=(gates, (T, 4 * H, N)), c0=(c0, (H, N)), c=(c, (T, H, N)),
                         tanh_c=(tanh_c, (T, H, N)), hidden=(hidden, (T, H, N)), output=(output, (T, N, H)))

    def step(self, t):
        self._run('lstm_forward', t)


class LSTMBackwardSteps(_BoundSteps):
    """The LSTM's backward gate arithmetic over one sequence, from the forward's ``gates`` (activations),
    ``c0``, ``c`` and ``tanh_c`` and the output's gradient ``grad_output`` (T, N, H). ``step(t)`` takes the
    gradients of h_t and c_t in ``grad_h`` and ``grad_c`` ((H, N)), writes the gate pre-activations'
    gradients into ``grad_gates[:, t]`` ((4H, T, N)), c_{t-1}'s gradient into ``grad_c`` and the output's
    part of h_{t-1}'s into ``grad_h`` (zero for t = 0): the caller adds W_h grad_gates[:, t]."""

    kernels = ('lstm_backward',)

    def __init__(self, gates, c0, c, tanh_c, grad_output, grad_h, grad_c, grad_gates):
        T, H, N = c.shape
        super().__init__(T, (H, N), gates=(gates, (T, 4 * H, N)), c0=(c0, (H, N)), c=(c, (T, H, N)),
                         tanh_c=(tanh_c, (T, H, N)), grad_output=(grad_output, (T, N, H)), grad_h=(grad_h, (H, N)),
                         grad_c=(grad_c, (H, N)), grad_gates=(grad_gates, (4 * H, T, N)))

    def step(self, t):
        self._run('lstm_backward', t)


class GRUForwardSteps(_BoundSteps):
    """The GRU's forward gate arithmetic over one sequence. ``gates(t)``: to the recurrent product
    W_h[r|u]^T h_{t-1}^T in ``gates[t, :2H]`` ((T, 3H, N)) add the input part (``projection`` (3H, T, N))
    and ``bias`` (3H,), activate r and u in place, set ``gates[t, 2H:]`` to the candidate's input part
    and bias, and write r h_{t-1} into ``reset_hidden[t]`` ((T, N, H) rows, the candidate product's
    operand). ``candidate(t)``, once W_h[c]^T (r h_{t-1})^T is added to ``gates[t, 2H:]``: hc = tanh of it
    (kept there) and h = (1 - u) hc + u h_{t-1} into ``hidden[t]`` ((T, H, N)) and ``output[t]``
    ((T, N, H)). ``h0`` (H, N) is the initial state."""

    kernels = ('gru_gates', 'gru_candidate')

    def __init__(self, projection, bias, gates, h0, hidden, reset_hidden, output):
        T, H, N = hidden.shape
        super().__init__(T, (H, N), projection=(projection, (3 * H, T, N)), bias=(bias, (3 * H,)),
                         gates=(gates, (T, 3 * H, N)), h0=(h0, (H, N)), hidden=(hidden, (T, H, N)),
                         reset_hidden=(reset_hidden, (T, N, H)), output=(output, (T, N, H)))

    def gates(self, t):
        self._run('gru_gates', t)

    def candidate(self, t):
        self._run('gru_candidate', t)


class GRUBackwardSteps(_BoundSteps):
    """The GRU's backward gate arithmetic over one sequence, from the forward's ``gates`` (activations r, u,
    hc), ``h0`` and ``hidden``, and the output's gradient ``grad_output`` (T, N, H). ``candidate(t)``: from
    h_t's gradient ``grad_h`` (H, N), the update gate's and the candidate's pre-activation gradients into
    ``grad_gates[H:, t]`` ((3H, T, N)). ``reset(t)``, once the caller has put W_h[c] grad_gates[2H:, t]
    (the gradient of r h_{t-1}) into ``grad_rh`` (H, N): the reset gate's into ``grad_gates[:H, t]``, and
    into ``grad_h`` the part of h_{t-1}'s gradient that does not pass through W_h[r|u] (the caller adds
    that product): grad_h u + grad_rh r, plus the output's (t > 0)."""

    kernels = ('gru_backward_candidate', 'gru_backward_reset')

    def __init__(self, gates, h0, hidden, grad_output, grad_h, grad_rh, grad_gates):
        T, H, N = hidden.shape
        super().__init__(T, (H, N), gates=(gates, (T, 3 * H, N)), h0=(h0, (H, N)), hidden=(hidden, (T, H, N)),
                         grad_output=(grad_output, (T, N, H)), grad_h=(grad_h, (H, N)), grad_rh=(grad_rh, (H, N)),
                         grad_gates=(grad_gates, (3 * H, T, N)))

    def candidate(self, t):
        self._run('gru_backward_candidate', t)

    def reset(self, t):
        self._run('gru_backward_reset', t)
