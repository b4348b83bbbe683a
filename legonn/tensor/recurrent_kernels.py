"""Gate arithmetic of one LSTM or GRU time step, forward and backward, for the fused sequence modules.

The modules (``legonn.modules.recurrent_lstm`` / ``recurrent_gru``) make the matrix products; these
functions do everything element-wise between them. On NumPy each is a short run of in-place ufunc
calls on whole gate blocks (no temporaries, one call per block where the gates share a formula);
on CuPy each is one ``ElementwiseKernel`` launch (one pass over memory per step). Layouts are
those of Element-Research's rnn package: LSTM gates ``(batch, 4H)`` in the order input, forget,
output, cell candidate; GRU gates ``(batch, 3H)`` in the order reset, update, candidate.
"""
import functools

from .backend import cupy, is_cupy_array as _is_cupy
from .blas_kernels import addmm_into
from .pointwise import sigmoid_into


# --- LSTM ----------------------------------------------------------------------------------------

_LSTM_FORWARD = r'''
    const int n = i / H, j = i % H;
    T* a = &gates[n * 4 * H];
    const T ig = 1 / (1 + exp(-a[j])), fg = 1 / (1 + exp(-a[H + j])), og = 1 / (1 + exp(-a[2 * H + j]));
    const T g = tanh(a[3 * H + j]);
    a[j] = ig; a[H + j] = fg; a[2 * H + j] = og; a[3 * H + j] = g;
    c = fg * c_prev + ig * g;
    tanh_c = tanh(c);
    h = og * tanh_c;
'''

_LSTM_BACKWARD = r'''
    const int n = i / H, j = i % H;
    const T* a = &gates[n * 4 * H];
    T* d = &grad_gates[n * 4 * H];
    const T ig = a[j], fg = a[H + j], og = a[2 * H + j], g = a[3 * H + j];
    const T dc_total = grad_c + grad_h * og * (1 - tanh_c * tanh_c);
    d[j] = dc_total * g * ig * (1 - ig);
    d[H + j] = dc_total * c_prev * fg * (1 - fg);
    d[2 * H + j] = grad_h * tanh_c * og * (1 - og);
    d[3 * H + j] = dc_total * ig * (1 - g * g);
    grad_c = dc_total * fg;
'''


@functools.lru_cache(maxsize=None)
def _kernel(name):
    in_params, out_params, body = KERNELS[name]
    return cupy().ElementwiseKernel(in_params, out_params, body, 'legonn_' + name)


def lstm_forward_step(gates, c_prev, c, tanh_c, h, xp):
    """One LSTM step after the products: ``gates`` (N, 4H) holds W [x, h_prev] + b and is overwritten with
    the activations (i, f, o, g); writes c = f c_prev + i g, tanh(c) and h = o tanh(c), each (N, H)."""
    H = c.shape[1]
    if _is_cupy(gates):
        _kernel('lstm_forward')(gates, c_prev, H, c, tanh_c, h)
        return
    sigmoid_into(xp, gates[:, :3 * H], gates[:, :3 * H])
    i, f, o, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    xp.tanh(g, out=g)
    xp.multiply(f, c_prev, out=c)
    xp.multiply(i, g, out=tanh_c)   # tanh_c as scratch until its own value is due
    c += tanh_c
    xp.tanh(c, out=tanh_c)
    xp.multiply(o, tanh_c, out=h)


def lstm_backward_through_time(gates, c, c0, tanh_c, grad_output, Wh_t, grad_gates, grad_h, grad_c, cell_factor,
                               xp):
    """Backpropagation through a whole LSTM sequence: from the forward's activations ``gates`` (T, N, 4H),
    cells ``c`` and ``tanh_c`` (T, N, H), the initial cell ``c0`` (N, H), the output's gradient
    ``grad_output`` (T, N, H) and the transposed recurrent weight ``Wh_t`` (4H, H), write the gate
    pre-activations' gradients ``grad_gates`` (T, N, 4H) and h0's and c0's into ``grad_h``, ``grad_c``.
    ``cell_factor`` (T, N, H) is scratch for the CPU path.

    On the GPU each step is one kernel. On the CPU the factors that do not depend on the incoming
    gradients are computed for all steps at once (a dozen passes over whole arrays), so each step
    is six multiplications and the recurrent product."""
    T, N, H = c.shape
    cuda = _is_cupy(gates)
    if not cuda:
        _lstm_gradient_factors(gates, c, c0, tanh_c, grad_gates, cell_factor, xp)
    grad_h[...] = grad_output[T - 1]
    grad_c[...] = 0
    for t in range(T - 1, -1, -1):
        if cuda:
            _kernel('lstm_backward')(gates[t], c[t - 1] if t else c0, tanh_c[t], grad_h, H, grad_gates[t], grad_c)
        else:
            by_gate = grad_gates[t].reshape(N, 4, H)
            cell_factor[t] *= grad_h
            grad_c += cell_factor[t]
            by_gate[:, 2] *= grad_h
            by_gate[:, :2] *= grad_c[:, None]
            by_gate[:, 3] *= grad_c
            grad_c *= gates[t, :, H:2 * H]
        if t:
            grad_h[...] = grad_output[t - 1]
            addmm_into(grad_h, grad_gates[t], Wh_t)
        else:
            xp.matmul(grad_gates[0], Wh_t, out=grad_h)


def _lstm_gradient_factors(gates, c, c0, tanh_c, factors, cell_factor, xp):
    """For every step: ``factors`` = (g i(1-i), c_prev f(1-f), tanh(c) o(1-o), i (1-g^2)), what grad_c
    (grad_h for the output gate) multiplies into each gate's gradient, and ``cell_factor`` =
    o (1 - tanh(c)^2), what grad_h adds to grad_c through it."""
    H = c.shape[2]
    i, f, o, g = (gates[..., k * H:(k + 1) * H] for k in range(4))
    fi, ff, fo, fg = (factors[..., k * H:(k + 1) * H] for k in range(4))
    # sigmoid' = s (1 - s) for the three sigmoid gates in one block
    xp.subtract(1, gates[..., :3 * H], out=factors[..., :3 * H])
    factors[..., :3 * H] *= gates[..., :3 * H]
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

_GRU_FORWARD = r'''
    const int n = i / H, j = i % H;
    T* a = &gates[n * 3 * H];
    const T hc = tanh(a[2 * H + j]);
    a[2 * H + j] = hc;
    h = hc + a[H + j] * (h_prev - hc);
'''

_GRU_BACKWARD_CANDIDATE = r'''
    const int n = i / H, j = i % H;
    const T* a = &gates[n * 3 * H];
    T* d = &grad_gates[n * 3 * H];
    const T u = a[H + j], hc = a[2 * H + j];
    d[H + j] = grad_h * (h_prev - hc) * u * (1 - u);
    d[2 * H + j] = grad_h * (1 - u) * (1 - hc * hc);
'''

_GRU_BACKWARD_RESET = r'''
    const int n = i / H, j = i % H;
    const T r = gates[n * 3 * H + j], u = gates[n * 3 * H + H + j];
    grad_gates[n * 3 * H + j] = grad_rh * h_prev * r * (1 - r);
    grad_h = grad_h * u + grad_rh * r;
'''


def gru_forward_step(gates, h_prev, h, xp):
    """One GRU step after the products: ``gates`` (N, 3H) holds the activated reset and update gates and
    the candidate's pre-activation W_x x + b + W_h (r h_prev); the candidate is overwritten with its tanh
    hc, and h = (1 - u) hc + u h_prev written (N, H)."""
    H = h.shape[1]
    if _is_cupy(gates):
        _kernel('gru_forward')(gates, h_prev, H, h)
        return
    u, hc = gates[:, H:2 * H], gates[:, 2 * H:]
    xp.tanh(hc, out=hc)
    xp.subtract(h_prev, hc, out=h)
    h *= u
    h += hc


def gru_backward_candidate(gates, h_prev, grad_h, grad_gates, xp):
    """First half of a GRU step's backward: from the activations (r, u, hc) in ``gates`` and the gradient
    ``grad_h`` of h, write the update gate's and the candidate's pre-activation gradients into
    ``grad_gates[:, H:]``."""
    H = h_prev.shape[1]
    if _is_cupy(gates):
        _kernel('gru_backward_candidate')(gates, h_prev, grad_h, H, grad_gates)
        return
    u, hc = gates[:, H:2 * H], gates[:, 2 * H:]
    du, dhc = grad_gates[:, H:2 * H], grad_gates[:, 2 * H:]
    xp.multiply(hc, hc, out=dhc)
    xp.subtract(1, dhc, out=dhc)
    xp.subtract(1, u, out=du)
    dhc *= du
    dhc *= grad_h
    du *= u
    du *= grad_h
    dr = grad_gates[:, :H]   # the reset gate's slot as scratch until gru_backward_reset fills it
    xp.subtract(h_prev, hc, out=dr)
    du *= dr


def gru_backward_reset(gates, h_prev, grad_rh, grad_h, grad_gates, xp):
    """Second half: from the gradient ``grad_rh`` of r h_prev, write the reset gate's pre-activation
    gradient into ``grad_gates[:, :H]`` and overwrite ``grad_h`` with the part of h_prev's gradient that
    does not pass through the gates' recurrent product: grad_h u + grad_rh r."""
    H = h_prev.shape[1]
    if _is_cupy(gates):
        _kernel('gru_backward_reset')(gates, h_prev, grad_rh, H, grad_gates, grad_h)
        return
    r, u = gates[:, :H], gates[:, H:2 * H]
    dr = grad_gates[:, :H]
    xp.subtract(1, r, out=dr)
    dr *= r
    dr *= h_prev
    dr *= grad_rh
    grad_h *= u
    grad_rh *= r   # the caller's scratch: its value is not needed after this step
    grad_h += grad_rh


# name -> (input parameters, output parameters, body) of each CuPy ElementwiseKernel; one thread per
# (row, hidden unit), ``i`` its index; ``raw`` arrays are the gate rows, indexed by hand
KERNELS = {
    'lstm_forward': ('raw T gates, T c_prev, int32 H', 'T c, T tanh_c, T h', _LSTM_FORWARD),
    'lstm_backward': ('raw T gates, T c_prev, T tanh_c, T grad_h, int32 H', 'raw T grad_gates, T grad_c',
                      _LSTM_BACKWARD),
    'gru_forward': ('raw T gates, T h_prev, int32 H', 'T h', _GRU_FORWARD),
    'gru_backward_candidate': ('raw T gates, T h_prev, T grad_h, int32 H', 'raw T grad_gates',
                               _GRU_BACKWARD_CANDIDATE),
    'gru_backward_reset': ('raw T gates, T h_prev, T grad_rh, int32 H', 'raw T grad_gates, T grad_h',
                           _GRU_BACKWARD_RESET),
}
