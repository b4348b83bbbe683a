"""Gate arithmetic of one LSTM or GRU time step, forward and backward, for the fused sequence modules.

The modules (``legonn.modules.recurrent_lstm`` / ``recurrent_gru``) make the matrix products; these
functions do everything element-wise between them. The LSTM's are one Numba kernel per step on the
CPU (their operands checked by ``blas_kernels.check_operands`` first: the kernels index without bounds
checks); the GRU's a short run of in-place NumPy ufunc calls on whole gate blocks. On CuPy each is one
``ElementwiseKernel`` launch (one pass over memory per step). Gate orders
are those of Element-Research's rnn package: LSTM input, forget, output, cell candidate; GRU reset,
update, candidate. Both work unit-major: a step's gates are ``(4H, batch)`` or ``(3H, batch)`` (below).
"""
import functools

import importlib

import numpy as np

from .backend import cupy, is_cupy_array as _is_cupy
from .blas_kernels import check_operands


# --- LSTM ----------------------------------------------------------------------------------------
# The LSTM works unit-major: a step's gates are (4H, N) and its cell and hidden state (H, N), batch along
# the rows, because OpenBLAS computes the recurrent product W_h^T h^T (4H x H by H x N) a quarter to a
# third faster than h W_h (N x H by H x 4H) when the batch is the small side (bench/lstm.md, "Unit-major
# SeqLSTM and SeqGRU"). The input projections of all steps are one (4H, T, N) array (gate-major), and the
# backward writes the gate gradients into the same layout, where the parameter gradients are one product
# each. On the CPU each step's gate arithmetic is one Numba kernel (one pass over memory, its exp and tanh
# from fast_math), on the GPU one ElementwiseKernel.

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


@functools.lru_cache(maxsize=None)
def _kernel(name):
    in_params, out_params, body = KERNELS[name]
    return cupy().ElementwiseKernel(in_params, out_params, body, 'legonn_' + name)


class _BoundSteps:
    """A sequence's per-step kernel bound to its arrays once. On the CPU the arrays are checked by the
    gateway (``blas_kernels.check_operands``) when bound, and the kernel gets views only this object holds
    (so nothing can reshape them afterwards); each step then checks only its index."""

    def __init__(self, routine, steps, **operands):
        """``operands``: name -> (array, shape), in the kernel's argument order."""
        first = next(iter(operands.values()))[0]
        self.cuda = _is_cupy(first)
        self.routine, self.steps = routine, steps
        if not self.cuda:
            dtype = first.dtype
            if dtype not in (np.float32, np.float64):
                raise TypeError(f"recurrent_kernels.{routine}: the CPU kernels compute in float32 or float64, "
                                f"got {dtype}")
            check_operands(f"recurrent_kernels.{routine}", dtype,
                           *((name, arr, shape, None) for name, (arr, shape) in operands.items()))
            # imported on first use: Numba's import costs about 0.1 s that only CPU recurrent nets need
            self.cpu = importlib.import_module('.recurrent_cpu', __package__)
        self.arrays = {name: arr.view() for name, (arr, _) in operands.items()}

    def _index(self, t):
        if not 0 <= t < self.steps:
            raise ValueError(f"recurrent_kernels.{self.routine}: step {t} outside a sequence of {self.steps}")
        return t


class LSTMForwardSteps(_BoundSteps):
    """The LSTM's forward gate arithmetic over one sequence, unit-major. ``projection`` (4H, T, N) holds the
    input part of every step's pre-activations, ``bias`` is (4H,), ``c0`` (H, N) the initial cell; ``step(t)``
    adds those to the recurrent product W_h^T h_{t-1}^T that ``gates[t]`` ((T, 4H, N)) holds, overwrites
    it with the activations (rows input, forget, output gate, cell candidate), and writes
    c = f c_prev + i g, tanh(c) and h = o tanh(c) into ``c[t]``, ``tanh_c[t]``, ``hidden[t]`` ((T, H, N))
    and h again into ``output[t]`` ((T, N, H), the module's rows). All of one float type, C-contiguous."""

    def __init__(self, projection, bias, gates, c0, c, tanh_c, hidden, output):
        T, H, N = c.shape
        super().__init__('LSTMForwardSteps', T, projection=(projection, (4 * H, T, N)), bias=(bias, (4 * H,)),
                         gates=(gates, (T, 4 * H, N)), c0=(c0, (H, N)), c=(c, (T, H, N)),
                         tanh_c=(tanh_c, (T, H, N)), hidden=(hidden, (T, H, N)), output=(output, (T, N, H)))

    def step(self, t):
        t = self._index(t)
        a = self.arrays
        if self.cuda:
            H, N = a['c0'].shape
            _kernel('lstm_forward')(a['projection'], a['bias'], a['c0'], H, N, t, self.steps, a['gates'], a['c'],
                                    a['tanh_c'], a['hidden'], a['output'], size=H * N)
        else:
            self.cpu.lstm_forward(*a.values(), t)


class LSTMBackwardSteps(_BoundSteps):
    """The LSTM's backward gate arithmetic over one sequence, unit-major, from the forward's ``gates``
    (activations), ``c0``, ``c`` and ``tanh_c`` and the output's gradient ``grad_output`` (T, N, H).
    ``step(t)`` takes the gradients of h_t and c_t in ``grad_h`` and ``grad_c`` ((H, N)), writes the gate
    pre-activations' gradients into ``grad_gates[:, t]`` ((4H, T, N), gate-major), c_{t-1}'s gradient
    into ``grad_c`` and the output's part of h_{t-1}'s into ``grad_h`` (zero for t = 0): the caller adds
    the recurrent product W_h grad_gates[:, t]."""

    def __init__(self, gates, c0, c, tanh_c, grad_output, grad_h, grad_c, grad_gates):
        T, H, N = c.shape
        super().__init__('LSTMBackwardSteps', T, gates=(gates, (T, 4 * H, N)), c0=(c0, (H, N)), c=(c, (T, H, N)),
                         tanh_c=(tanh_c, (T, H, N)), grad_output=(grad_output, (T, N, H)), grad_h=(grad_h, (H, N)),
                         grad_c=(grad_c, (H, N)), grad_gates=(grad_gates, (4 * H, T, N)))

    def step(self, t):
        t = self._index(t)
        a = self.arrays
        if self.cuda:
            H, N = a['c0'].shape
            _kernel('lstm_backward')(a['gates'], a['c0'], a['c'], a['tanh_c'], a['grad_output'], H, N, t, self.steps,
                                     a['grad_h'], a['grad_c'], a['grad_gates'], size=H * N)
        else:
            self.cpu.lstm_backward(*a.values(), t)


# --- GRU -----------------------------------------------------------------------------------------
# Unit-major like the LSTM: a step's gates are (3H, N); h_prev and h stay in the output's (N, H) rows.

_GRU_FORWARD = r'''
    const int j = i / N, n = i % N, HN = H * N;
    const T hc = tanh(gates[2 * HN + i]);
    gates[2 * HN + i] = hc;
    h[n * H + j] = hc + gates[HN + i] * (h_prev[n * H + j] - hc);
'''

_GRU_BACKWARD_CANDIDATE = r'''
    const int j = i / N, n = i % N, HN = H * N;
    const T u = gates[HN + i], hc = gates[2 * HN + i];
    grad_gates[HN + i] = grad_h * (h_prev[n * H + j] - hc) * u * (1 - u);
    grad_gates[2 * HN + i] = grad_h * (1 - u) * (1 - hc * hc);
'''

_GRU_BACKWARD_RESET = r'''
    const int j = i / N, n = i % N, HN = H * N;
    const T r = gates[i], u = gates[HN + i];
    grad_gates[i] = grad_rh * h_prev[n * H + j] * r * (1 - r);
    grad_h = grad_h * u + grad_rh * r;
'''


def _rows(h_prev):
    """h_prev as the kernels index it, n * H + j: a given initial state may be a strided view."""
    return cupy().ascontiguousarray(h_prev)


def gru_forward_step(gates, h_prev, h, xp):
    """One GRU step after the products, unit-major: ``gates`` (3H, N) holds the activated reset and update
    gates and the candidate's pre-activation W_x x + b + W_h (r h_prev); the candidate is overwritten with
    its tanh hc, and h = (1 - u) hc + u h_prev written into ``h``, (N, H) like ``h_prev``."""
    N, H = h.shape
    if _is_cupy(gates):
        _kernel('gru_forward')(gates, _rows(h_prev), H, N, h, size=H * N)
        return
    u, hc = gates[H:2 * H], gates[2 * H:]
    xp.tanh(hc, out=hc)
    xp.subtract(h_prev, hc.T, out=h)
    h *= u.T
    h += hc.T


def gru_backward_candidate(gates, h_prev, grad_h, grad_gates, xp):
    """First half of a GRU step's backward, unit-major: from the activations (r, u, hc) in ``gates`` (3H, N),
    ``h_prev`` (N, H) and the gradient ``grad_h`` (H, N) of h, write the update gate's and the candidate's
    pre-activation gradients into ``grad_gates[H:]``."""
    H, N = grad_h.shape
    if _is_cupy(gates):
        _kernel('gru_backward_candidate')(gates, _rows(h_prev), grad_h, H, N, grad_gates)
        return
    u, hc = gates[H:2 * H], gates[2 * H:]
    du, dhc = grad_gates[H:2 * H], grad_gates[2 * H:]
    xp.multiply(hc, hc, out=dhc)
    xp.subtract(1, dhc, out=dhc)
    xp.subtract(1, u, out=du)
    dhc *= du
    dhc *= grad_h
    du *= u
    du *= grad_h
    dr = grad_gates[:H]   # the reset gate's slot as scratch until gru_backward_reset fills it
    xp.subtract(h_prev.T, hc, out=dr)
    du *= dr


def gru_backward_reset(gates, h_prev, grad_rh, grad_h, grad_gates, xp):
    """Second half: from the gradient ``grad_rh`` (H, N) of r h_prev, write the reset gate's pre-activation
    gradient into ``grad_gates[:H]`` and overwrite ``grad_h`` (H, N) with the part of h_prev's gradient that
    does not pass through the gates' recurrent product: grad_h u + grad_rh r."""
    H, N = grad_h.shape
    if _is_cupy(gates):
        _kernel('gru_backward_reset')(gates, _rows(h_prev), grad_rh, H, N, grad_gates, grad_h)
        return
    r, u = gates[:H], gates[H:2 * H]
    dr = grad_gates[:H]
    xp.subtract(1, r, out=dr)
    dr *= r
    dr *= h_prev.T
    dr *= grad_rh
    grad_h *= u
    grad_rh *= r   # the caller's scratch: its value is not needed after this step
    grad_h += grad_rh


# name -> (input parameters, output parameters, body) of each CuPy ElementwiseKernel; one thread per
# (hidden unit, batch row), ``i`` its unit-major index; ``raw`` arrays (the gates, the (N, H) hidden
# states) are indexed by hand
KERNELS = {
    'lstm_forward': ('raw T projection, raw T bias, raw T c0, int32 H, int32 N, int32 t, int32 S',
                     'raw T gates, raw T c, raw T tanh_c, raw T hidden, raw T output', _LSTM_FORWARD),
    'lstm_backward': ('raw T gates, raw T c0, raw T c, raw T tanh_c, raw T grad_output, int32 H, int32 N, int32 t, '
                      'int32 S', 'raw T grad_h, raw T grad_c, raw T grad_gates', _LSTM_BACKWARD),
    'gru_forward': ('raw T gates, raw T h_prev, int32 H, int32 N', 'raw T h', _GRU_FORWARD),
    'gru_backward_candidate': ('raw T gates, raw T h_prev, T grad_h, int32 H, int32 N', 'raw T grad_gates',
                               _GRU_BACKWARD_CANDIDATE),
    'gru_backward_reset': ('raw T gates, raw T h_prev, T grad_rh, int32 H, int32 N', 'raw T grad_gates, T grad_h',
                           _GRU_BACKWARD_RESET),
}
