"""The fused sequence modules' per-step gate kernels on the CPU, compiled by Numba (serial, ``nogil``,
cached on disk).

Called only through ``recurrent_kernels``' bound steps (``LSTMForwardSteps`` and the others), which
check every operand first: the kernels index without bounds checks. Layouts, formulas and argument
orders (inputs, outputs, then the step t) are those documented there; exp and tanh come from
``fast_math``, which LLVM vectorises, so each kernel is one pass over the step's memory.

Numba's disk cache (``__pycache__``) keys a kernel on this file's timestamp and the kernel's own code,
not on fast_math's: after editing fast_math.py, touch this file (or delete the cache) so that the
kernels compile again.
"""
from numba import njit

from . import fast_math

kernel = njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')


@kernel
def add_input_part(gates_t, projection, bias, t, rows, accumulate):
    """gates_t[r] (+)= projection[r, t] + bias[r] for r in ``rows``: the step's input part and bias, added to
    a recurrent product already there or (``accumulate`` False) written in its place."""
    for r in rows:
        b = bias[r]
        if accumulate:
            for n in range(gates_t.shape[1]):
                gates_t[r, n] += projection[r, t, n] + b
        else:
            for n in range(gates_t.shape[1]):
                gates_t[r, n] = projection[r, t, n] + b


@kernel
def to_rows(unit_major, rows):
    """rows (N, H) = unit_major (H, N) transposed."""
    H, N = unit_major.shape
    for n in range(N):
        for j in range(H):
            rows[n, j] = unit_major[j, n]


@kernel
def lstm_forward(projection, bias, c0, gates, c, tanh_c, hidden, output, t):
    H, N = c0.shape
    g_t = gates[t]
    add_input_part(g_t, projection, bias, t, range(4 * H), True)
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
    to_rows(hidden[t], output[t])   # while h is in cache


@kernel
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


@kernel
def gru_gates(projection, bias, h0, hidden, gates, reset_hidden, t):
    H, N = h0.shape
    g_t = gates[t]
    add_input_part(g_t, projection, bias, t, range(2 * H), True)
    add_input_part(g_t, projection, bias, t, range(2 * H, 3 * H), False)
    a = g_t.reshape(-1)
    for i in range(2 * H * N):
        a[i] = fast_math.sigmoid(a[i])
    h_prev, rh = hidden[t - 1] if t else h0, reset_hidden[t]
    for n in range(N):
        for j in range(H):
            rh[n, j] = g_t[j, n] * h_prev[j, n]


@kernel
def gru_candidate(h0, gates, hidden, output, t):
    H, N = h0.shape
    HN = H * N
    a, hp, hh = gates[t].reshape(-1), (hidden[t - 1] if t else h0).reshape(-1), hidden[t].reshape(-1)
    for i in range(HN):
        hc = fast_math.tanh(a[2 * HN + i])
        a[2 * HN + i] = hc
        hh[i] = hc + a[HN + i] * (hp[i] - hc)
    to_rows(hidden[t], output[t])


@kernel
def gru_backward_candidate(gates, h0, hidden, grad_h, grad_gates, t):
    H, N = h0.shape
    g_t, h_prev = gates[t], hidden[t - 1] if t else h0
    one = gates.dtype.type(1)
    for j in range(H):
        for n in range(N):
            u, hc, dh = g_t[H + j, n], g_t[2 * H + j, n], grad_h[j, n]
            grad_gates[H + j, t, n] = dh * (h_prev[j, n] - hc) * u * (one - u)
            grad_gates[2 * H + j, t, n] = dh * (one - u) * (one - hc * hc)


@kernel
def gru_backward_reset(gates, h0, hidden, grad_output, grad_rh, grad_gates, grad_h, t):
    H, N = h0.shape
    g_t, h_prev = gates[t], hidden[t - 1] if t else h0
    one = gates.dtype.type(1)
    for j in range(H):
        for n in range(N):
            r, u, drh = g_t[j, n], g_t[H + j, n], grad_rh[j, n]
            grad_gates[j, t, n] = drh * h_prev[j, n] * r * (one - r)
            grad_h[j, n] = grad_h[j, n] * u + drh * r
    if t:
        rows = grad_output[t - 1]
        for j in range(H):
            for n in range(N):
                grad_h[j, n] += rows[n, j]
