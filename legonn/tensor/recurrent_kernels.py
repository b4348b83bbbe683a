"""Gate arithmetic of one LSTM or GRU time step, forward and backward, for the fused sequence modules.

The modules (``legonn.modules.recurrent_lstm`` / ``recurrent_gru``) make the matrix products; these
functions do everything element-wise between them. On NumPy each is a short run of in-place ufunc
calls on whole gate blocks (no temporaries, one call per block where the gates share a formula);
on CuPy each is one ``ElementwiseKernel`` launch (one pass over memory per step). Gate orders
are those of Element-Research's rnn package: LSTM input, forget, output, cell candidate; GRU reset,
update, candidate. Both work unit-major: a step's gates are ``(4H, batch)`` or ``(3H, batch)`` (below).
"""
import functools

from .backend import cupy, is_cupy_array as _is_cupy
from .blas_kernels import addmm_into
from .pointwise import sigmoid_into


# --- LSTM ----------------------------------------------------------------------------------------
# The LSTM works unit-major: a step's gates are (4H, N) and its cell (H, N), batch along the rows, because
# OpenBLAS computes the recurrent product W_h^T h^T (4H x H by H x N) a quarter to a third faster than
# h W_h (N x H by H x 4H) when the batch is the small side (bench/lstm.md, "Unit-major SeqLSTM and
# SeqGRU"); h is written in the output's (N, H) rows by the same pass that computes it.

_LSTM_FORWARD = r'''
    const int j = i / N, n = i % N;   // unit j of batch row n; gate k's pre-activation is gates[k * H * N + i]
    const int HN = H * N;
    const T ig = 1 / (1 + exp(-gates[i])), fg = 1 / (1 + exp(-gates[HN + i])), og = 1 / (1 + exp(-gates[2 * HN + i]));
    const T g = tanh(gates[3 * HN + i]);
    gates[i] = ig; gates[HN + i] = fg; gates[2 * HN + i] = og; gates[3 * HN + i] = g;
    c = fg * c_prev + ig * g;
    tanh_c = tanh(c);
    h[n * H + j] = og * tanh_c;
'''

_LSTM_BACKWARD = r'''
    const int HN = H * N;
    const T ig = gates[i], fg = gates[HN + i], og = gates[2 * HN + i], g = gates[3 * HN + i];
    const T dc_total = grad_c + grad_h * og * (1 - tanh_c * tanh_c);
    grad_gates[i] = dc_total * g * ig * (1 - ig);
    grad_gates[HN + i] = dc_total * c_prev * fg * (1 - fg);
    grad_gates[2 * HN + i] = grad_h * tanh_c * og * (1 - og);
    grad_gates[3 * HN + i] = dc_total * ig * (1 - g * g);
    grad_c = dc_total * fg;
'''


@functools.lru_cache(maxsize=None)
def _kernel(name):
    in_params, out_params, body = KERNELS[name]
    return cupy().ElementwiseKernel(in_params, out_params, body, 'legonn_' + name)


def lstm_forward_step(gates, c_prev, c, tanh_c, h, xp):
    """One LSTM step after the products, unit-major: ``gates`` (4H, N) holds W^T [x, h_prev]^T + b (rows
    input, forget, output gate, cell candidate) and is overwritten with the activations (i, f, o, g);
    writes c = f c_prev + i g and tanh(c) into ``c`` and ``tanh_c`` ((H, N), like ``c_prev``) and
    h = o tanh(c) into ``h``, (N, H)."""
    H, N = c.shape
    if _is_cupy(gates):
        _kernel('lstm_forward')(gates, c_prev, H, N, c, tanh_c, h)
        return
    sigmoid_into(xp, gates[:3 * H], gates[:3 * H])
    i, f, o, g = gates[:H], gates[H:2 * H], gates[2 * H:3 * H], gates[3 * H:]
    xp.tanh(g, out=g)
    xp.multiply(f, c_prev, out=c)
    xp.multiply(i, g, out=tanh_c)   # tanh_c as scratch until its own value is due
    c += tanh_c
    xp.tanh(c, out=tanh_c)
    xp.multiply(o.T, tanh_c.T, out=h)


def lstm_backward_through_time(gates, c, c0, tanh_c, grad_output, Wh, grad_gates, grad_h, grad_c, cell_factor, xp):
    """Backpropagation through a whole LSTM sequence, unit-major: from the forward's activations ``gates``
    (T, 4H, N), cells ``c`` and ``tanh_c`` (T, H, N), the initial cell ``c0`` (H, N), the output's gradient
    ``grad_output`` (T, N, H) and the recurrent weight ``Wh`` (H, 4H), write the gate pre-activations'
    gradients ``grad_gates`` (T, 4H, N), and h0's and c0's into ``grad_h``, ``grad_c`` (H, N).
    ``cell_factor`` (T, H, N) is scratch for the CPU path.

    On the GPU each step is one kernel. On the CPU the factors that do not depend on the incoming
    gradients are computed for all steps at once (a dozen passes over whole arrays), so each step
    is six multiplications and the recurrent product."""
    T, H, N = c.shape
    cuda = _is_cupy(gates)
    if not cuda:
        _lstm_gradient_factors(gates, c, c0, tanh_c, grad_gates, cell_factor, xp)
    grad_h[...] = grad_output[T - 1].T
    grad_c[...] = 0
    for t in range(T - 1, -1, -1):
        if cuda:
            _kernel('lstm_backward')(gates[t], c[t - 1] if t else c0, tanh_c[t], grad_h, H, N, grad_gates[t], grad_c)
        else:
            by_gate = grad_gates[t].reshape(4, H, N)
            cell_factor[t] *= grad_h
            grad_c += cell_factor[t]
            by_gate[2] *= grad_h
            by_gate[:2] *= grad_c
            by_gate[3] *= grad_c
            grad_c *= gates[t, H:2 * H]
        if t:
            grad_h[...] = grad_output[t - 1].T
            addmm_into(grad_h, Wh, grad_gates[t])
        else:
            xp.matmul(Wh, grad_gates[0], out=grad_h)


def _lstm_gradient_factors(gates, c, c0, tanh_c, factors, cell_factor, xp):
    """For every step: ``factors`` = (g i(1-i), c_prev f(1-f), tanh(c) o(1-o), i (1-g^2)), what grad_c
    (grad_h for the output gate) multiplies into each gate's gradient, and ``cell_factor`` =
    o (1 - tanh(c)^2), what grad_h adds to grad_c through it. Unit-major, as lstm_backward_through_time."""
    H = c.shape[1]
    i, f, o, g = (gates[:, k * H:(k + 1) * H] for k in range(4))
    fi, ff, fo, fg = (factors[:, k * H:(k + 1) * H] for k in range(4))
    # sigmoid' = s (1 - s) for the three sigmoid gates in one block
    xp.subtract(1, gates[:, :3 * H], out=factors[:, :3 * H])
    factors[:, :3 * H] *= gates[:, :3 * H]
    fi *= g
    ff[0] *= c0
    ff[1:] *= c[:-1]
    fo *= tanh_c
    xp.multiply(g, g, out=fg)
    xp.subtract(1, fg, out=fg)
    fg *= i
    xp.multiply(tanh_c, tanh_c, out=cell_factor)
    xp.subtract(1, cell_factor, out=cell_factor)
    cell_factor *= o


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
    'lstm_forward': ('raw T gates, T c_prev, int32 H, int32 N', 'T c, T tanh_c, raw T h', _LSTM_FORWARD),
    'lstm_backward': ('raw T gates, T c_prev, T tanh_c, T grad_h, int32 H, int32 N', 'raw T grad_gates, T grad_c',
                      _LSTM_BACKWARD),
    'gru_forward': ('raw T gates, raw T h_prev, int32 H, int32 N', 'raw T h', _GRU_FORWARD),
    'gru_backward_candidate': ('raw T gates, raw T h_prev, T grad_h, int32 H, int32 N', 'raw T grad_gates',
                               _GRU_BACKWARD_CANDIDATE),
    'gru_backward_reset': ('raw T gates, raw T h_prev, T grad_rh, int32 H, int32 N', 'raw T grad_gates, T grad_h',
                           _GRU_BACKWARD_RESET),
}
