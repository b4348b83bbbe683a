"""The LSTM's per-step gate kernels on the CPU, compiled by Numba (serial, ``nogil``, cached on disk).

Called only through ``recurrent_kernels.LSTMForwardSteps`` / ``LSTMBackwardSteps``, which check every
operand first: the kernels index without bounds checks. Layouts and formulas are those documented there
(unit-major gates (4H, N) per step, gate gradients gate-major (4H, T, N)); exp and tanh come from
``fast_math``, which LLVM vectorises, so each kernel is one pass over the step's memory.
"""
from numba import njit

from . import fast_math


@njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')
def lstm_forward(projection, bias, gates, c0, c, tanh_c, hidden, output, t):
    H, N = c0.shape
    g_t = gates[t]
    for row in range(4 * H):   # the pre-activations: recurrent product (in gates[t]) + input part + bias
        b = bias[row]
        for n in range(N):
            g_t[row, n] += projection[row, t, n] + b
    c_prev = c[t - 1] if t else c0
    # one flat pass over the units: every array contiguous and indexed alike, so LLVM vectorises it
    a, cp, cc, tc, hh = g_t.reshape(-1), c_prev.reshape(-1), c[t].reshape(-1), tanh_c[t].reshape(-1), \
        hidden[t].reshape(-1)
    HN = H * N
    for i in range(HN):
        ig, fg, og = fast_math.sigmoid(a[i]), fast_math.sigmoid(a[HN + i]), fast_math.sigmoid(a[2 * HN + i])
        g = fast_math.tanh(a[3 * HN + i])
        a[i], a[HN + i], a[2 * HN + i], a[3 * HN + i] = ig, fg, og, g
        cell = fg * cp[i] + ig * g
        cc[i] = cell
        tcell = fast_math.tanh(cell)
        tc[i] = tcell
        hh[i] = og * tcell
    h_t, rows = hidden[t], output[t]
    for n in range(N):   # h in the output's (N, H) rows, while it is in cache
        for j in range(H):
            rows[n, j] = h_t[j, n]


@njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')
def lstm_backward(gates, c0, c, tanh_c, grad_output, grad_h, grad_c, grad_gates, t):
    H, N = c0.shape
    g_t, tc_t = gates[t], tanh_c[t]
    c_prev = c[t - 1] if t else c0
    one = gates.dtype.type(1)
    for j in range(H):
        for n in range(N):
            ig, fg, og, g = g_t[j, n], g_t[H + j, n], g_t[2 * H + j, n], g_t[3 * H + j, n]
            tcell, gh = tc_t[j, n], grad_h[j, n]
            dc = grad_c[j, n] + gh * og * (one - tcell * tcell)
            grad_gates[j, t, n] = dc * g * ig * (one - ig)
            grad_gates[H + j, t, n] = dc * c_prev[j, n] * fg * (one - fg)
            grad_gates[2 * H + j, t, n] = gh * tcell * og * (one - og)
            grad_gates[3 * H + j, t, n] = dc * ig * (one - g * g)
            grad_c[j, n] = dc * fg
    if t:   # h_{t-1}'s gradient from the output, unit-major; the caller adds the recurrent product's
        rows = grad_output[t - 1]
        for j in range(H):
            for n in range(N):
                grad_h[j, n] = rows[n, j]
    else:
        grad_h[...] = 0
