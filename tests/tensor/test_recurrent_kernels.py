"""The gate kernels of the fused sequence modules: the CPU (Numba) kernels against the formulas written plainly;
the CuPy ElementwiseKernel sources compiled by nvcc where it is installed, and their bodies compiled by g++
as C++ loops and run against the CPU kernels (no GPU needed for either); and the CuPy kernels themselves
against the CPU kernels on a GPU."""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

import legonn as lg
from legonn.tensor import recurrent_kernels as rk

N, H = 3, 5


def sig(a):
    return 1 / (1 + np.exp(-a))


def lstm_case(rng):
    """Two steps' pre-activations, c0, the output's gradient and a recurrent weight (transposed)."""
    return rng.normal(size=(2, N, 4 * H)), rng.normal(size=(N, H)), rng.normal(size=(2, N, H)), \
        rng.normal(size=(4 * H, H))


def unit_major(a):
    """(..., N, k H) -> (..., k H, N), the kernels' layout of gates and cells."""
    return a.swapaxes(-1, -2).copy()


def lstm_numpy(pre, c0, grad_out, Wh_t, xp=np):
    """Forward (the pre-activations given as the steps' input part: no recurrent product, no bias) and
    backward through two steps with the kernels, which work unit-major; the backward's recurrent products
    are made here, as SeqLSTM makes them. Returns activations, c, h, gate gradients, h0's and c0's
    gradients, back in (N, k H) rows."""
    T = pre.shape[0]
    projection = xp.ascontiguousarray(unit_major(pre).transpose(1, 0, 2))   # (4H, T, N)
    dt = pre.dtype
    bias = xp.zeros(4 * H, dt)
    gates, c, tanh_c, hidden = xp.zeros((T, 4 * H, N), dt), xp.empty((T, H, N), dt), xp.empty((T, H, N), dt), \
        xp.empty((T, H, N), dt)
    c0, output = xp.ascontiguousarray(c0.T), xp.empty((T, N, H), dt)
    forward = rk.LSTMForwardSteps(projection, bias, gates, c0, c, tanh_c, hidden, output)
    for t in range(T):
        forward.step(t)
    assert (output == hidden.swapaxes(1, 2)).all()
    grad_gates, grad_c = xp.empty((4 * H, T, N), dt), xp.zeros((H, N), dt)
    grad_h = xp.ascontiguousarray(grad_out[T - 1].T)
    backward = rk.LSTMBackwardSteps(gates, c0, c, tanh_c, xp.ascontiguousarray(grad_out), grad_h, grad_c, grad_gates)
    for t in range(T - 1, -1, -1):
        backward.step(t)
        grad_h += Wh_t.T @ grad_gates[:, t]
    return unit_major(gates), unit_major(c), unit_major(hidden), unit_major(grad_gates.transpose(1, 0, 2)), \
        grad_h.T, grad_c.T


def test_lstm_steps_match_the_formulas():
    a, c0, grad_out, Wh_t = lstm_case(np.random.default_rng(0))
    gates, c, h, grad_gates, grad_h0, grad_c0 = lstm_numpy(a, c0, grad_out, Wh_t)
    i, f, o, g = sig(a[..., :H]), sig(a[..., H:2 * H]), sig(a[..., 2 * H:3 * H]), np.tanh(a[..., 3 * H:])
    np.testing.assert_allclose(gates, np.concatenate([i, f, o, g], -1), rtol=1e-12)
    c_prev = np.stack([c0, c[0]])
    np.testing.assert_allclose(c, f * c_prev + i * g, rtol=1e-12)
    np.testing.assert_allclose(h, o * np.tanh(c), rtol=1e-12)
    grad_h, grad_c = grad_out[1], np.zeros((N, H))
    for t in (1, 0):
        dc = grad_c + grad_h * o[t] * (1 - np.tanh(c[t]) ** 2)
        expected = np.hstack([dc * g[t] * i[t] * (1 - i[t]), dc * c_prev[t] * f[t] * (1 - f[t]),
                              grad_h * np.tanh(c[t]) * o[t] * (1 - o[t]), dc * i[t] * (1 - g[t] ** 2)])
        np.testing.assert_allclose(grad_gates[t], expected, rtol=1e-12)
        grad_h, grad_c = expected @ Wh_t + (grad_out[0] if t else 0), dc * f[t]
    np.testing.assert_allclose(grad_h0, grad_h, rtol=1e-12)
    np.testing.assert_allclose(grad_c0, grad_c, rtol=1e-12)


def gru_numpy(a, h0, grad_out, grad_rh, xp=np):
    """Forward and backward through the steps of ``a`` (T, N, 3H) (the pre-activations' input parts: the
    recurrent weights are zero here) with the kernels; ``grad_rh`` (T, N, H) stands for each step's
    W_h[c] grad_gates[c], the gradient of r h_{t-1}. Returns activations, h, r h_prev, gate gradients and
    h0's gradient, in (N, k H) rows."""
    T, dt = a.shape[0], a.dtype
    projection = xp.ascontiguousarray(unit_major(a).transpose(1, 0, 2))   # (3H, T, N)
    gates, hidden = xp.zeros((T, 3 * H, N), dt), xp.empty((T, H, N), dt)
    rh, output, h0 = xp.empty((T, N, H), dt), xp.empty((T, N, H), dt), xp.ascontiguousarray(h0.T)
    forward = rk.GRUForwardSteps(projection, xp.zeros(3 * H, dt), gates, h0, hidden, rh, output)
    for t in range(T):
        forward.gates(t)
        forward.candidate(t)
    grad_gates, grad_h, drh = xp.empty((3 * H, T, N), dt), xp.ascontiguousarray(grad_out[T - 1].T), xp.empty((H, N), dt)
    backward = rk.GRUBackwardSteps(gates, h0, hidden, xp.ascontiguousarray(grad_out), grad_h, drh, grad_gates)
    for t in range(T - 1, -1, -1):
        backward.candidate(t)
        drh[...] = grad_rh[t].T
        backward.reset(t)
    return unit_major(gates), output, rh, unit_major(grad_gates.transpose(1, 0, 2)), grad_h.T


def gru_case(rng, T=2):
    return rng.normal(size=(T, N, 3 * H)), rng.normal(size=(N, H)), rng.normal(size=(T, N, H)), \
        rng.normal(size=(T, N, H))


def test_gru_steps_match_the_formulas():
    a, h0, grad_out, grad_rh = gru_case(np.random.default_rng(1))
    gates, h, rh, grad_gates, grad_h0 = gru_numpy(a, h0, grad_out, grad_rh)
    r, u, hc = sig(a[..., :H]), sig(a[..., H:2 * H]), np.tanh(a[..., 2 * H:])
    np.testing.assert_allclose(gates, np.concatenate([r, u, hc], -1), rtol=1e-12)
    h_prev = np.stack([h0, h[0]])
    np.testing.assert_allclose(h, (1 - u) * hc + u * h_prev, rtol=1e-12)
    np.testing.assert_allclose(rh, r * h_prev, rtol=1e-12)
    grad_h = grad_out[1]
    for t in (1, 0):
        expected = np.hstack([grad_rh[t] * h_prev[t] * r[t] * (1 - r[t]),
                              grad_h * (h_prev[t] - hc[t]) * u[t] * (1 - u[t]), grad_h * (1 - u[t]) * (1 - hc[t] ** 2)])
        np.testing.assert_allclose(grad_gates[t], expected, rtol=1e-12)
        grad_h = grad_h * u[t] + grad_rh[t] * r[t] + (grad_out[0] if t else 0)
    np.testing.assert_allclose(grad_h0, grad_h, rtol=1e-12)


def test_gru_float32_kernels_follow_float64():
    case = gru_case(np.random.default_rng(4))
    want = gru_numpy(*case)
    got = gru_numpy(*(v.astype(np.float32) for v in case))
    for w, g in zip(want, got):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)


def cpp_source():
    """Every CUDA body as a C++ function that loops over i (double precision), callable through ctypes:
    what a GPU thread computes, run here one i after another."""
    functions = []
    for name, (in_params, out_params, body) in rk.KERNELS.items():
        params = [f"T* {decl.split()[2]}" if decl.split()[0] == 'raw' else f"int {decl.split()[1]}"
                  for decl in (in_params + ',' + out_params).split(',')]
        functions.append(f'extern "C" void {name}({", ".join(params)}, long long size) {{\n'
                         f'  for (long long i = 0; i < size; ++i) {{\n{body}\n  }}\n}}\n')
    return '#include <cmath>\nusing std::exp; using std::tanh;\ntypedef double T;\n' + ''.join(functions)


@pytest.mark.skipif(shutil.which('g++') is None, reason='g++ is not installed')
def test_cuda_bodies_run_as_cpp_match_the_cpu_kernels(tmp_path, monkeypatch):
    """The CUDA kernels' index arithmetic, checked without a GPU: their bodies compiled as C++ loops and
    driven by the same bound-step classes (as if the arrays were CuPy's) give the Numba kernels' results."""
    source, library = tmp_path / 'bodies.cpp', tmp_path / 'bodies.so'
    source.write_text(cpp_source())
    done = subprocess.run(['g++', '-O1', '-shared', '-fPIC', str(source), '-o', str(library)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lib = ctypes.CDLL(str(library))

    def launcher(name):
        def launch(*args, size):
            converted = [ctypes.c_void_p(a.ctypes.data) if isinstance(a, np.ndarray) else ctypes.c_int(a)
                         for a in args]
            assert all(a.flags.c_contiguous for a in args if isinstance(a, np.ndarray))
            getattr(lib, name)(*converted, ctypes.c_longlong(size))
        return launch

    rng = np.random.default_rng(5)
    lstm, gru = lstm_case(rng), gru_case(rng, T=3)
    want = lstm_numpy(*lstm), gru_numpy(*gru)
    monkeypatch.setattr(rk, '_is_cupy', lambda array: True)
    monkeypatch.setattr(rk, '_kernel', launcher)
    got = lstm_numpy(*lstm), gru_numpy(*gru)
    for w, g in zip(want[0] + want[1], got[0] + got[1]):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


@pytest.mark.gpu
def test_cuda_kernels_match_numpy():
    import cupy as cp
    rng = np.random.default_rng(2)
    case = lstm_case(rng)
    want = lstm_numpy(*case)
    got = lstm_numpy(*(cp.asarray(v) for v in case), xp=cp)
    for w, g in zip(want, got):
        np.testing.assert_allclose(cp.asnumpy(g), w, rtol=1e-12, atol=1e-14)
    case = gru_case(rng)
    want = gru_numpy(*case)
    got = gru_numpy(*(cp.asarray(v) for v in case), xp=cp)
    for w, g in zip(want, got):
        np.testing.assert_allclose(cp.asnumpy(g), w, rtol=1e-12, atol=1e-14)
    assert lg.gpu_available()


def test_lstm_float32_kernels_follow_float64():
    a, c0, grad_out, Wh_t = lstm_case(np.random.default_rng(3))
    want = lstm_numpy(a, c0, grad_out, Wh_t)
    got = lstm_numpy(*(v.astype(np.float32) for v in (a, c0, grad_out, Wh_t)))
    for w, g in zip(want, got):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)


def lstm_forward_operands(dtype=np.float64, T=2):
    return dict(projection=np.zeros((4 * H, T, N), dtype), bias=np.zeros(4 * H, dtype),
                gates=np.zeros((T, 4 * H, N), dtype), c0=np.zeros((H, N), dtype), c=np.zeros((T, H, N), dtype),
                tanh_c=np.zeros((T, H, N), dtype), hidden=np.zeros((T, H, N), dtype),
                output=np.zeros((T, N, H), dtype))


def test_lstm_cpu_kernels_refuse_bad_operands_before_native_code():
    """The Numba kernels index without bounds checks: every operand is checked when they are bound, and
    every step index when it is called."""
    ops = lstm_forward_operands()
    steps = rk.LSTMForwardSteps(**ops)
    with pytest.raises(ValueError, match=r'LSTMForwardSteps: step 2 outside a sequence of 2'):
        steps.step(2)
    with pytest.raises(ValueError, match=r'LSTMForwardSteps: step -1 outside'):
        steps.step(-1)
    with pytest.raises(TypeError, match=r'compute in float32 or float64, got float16'):
        rk.LSTMForwardSteps(**lstm_forward_operands(np.float16))
    bad = dict(ops, bias=np.zeros(4 * H - 1))
    with pytest.raises(ValueError, match=r'LSTMForwardSteps: bias must have shape \(20,\), got \(19,\)'):
        rk.LSTMForwardSteps(**bad)
    bad = dict(ops, output=np.zeros((2, H, N)).swapaxes(1, 2))
    with pytest.raises(ValueError, match=r'LSTMForwardSteps: output must be contiguous'):
        rk.LSTMForwardSteps(**bad)
    bad = dict(ops, c0=np.zeros((H, N), np.float32))
    with pytest.raises(TypeError, match=r'LSTMForwardSteps: c0 must be float64, got float32'):
        rk.LSTMForwardSteps(**bad)
    grads = dict(grad_output=np.zeros((2, N, H)), grad_h=np.zeros((H, N)), grad_c=np.zeros((H, N)),
                 grad_gates=np.zeros((4 * H, 3, N)))
    with pytest.raises(ValueError, match=r'LSTMBackwardSteps: grad_gates must have shape \(20, 2, 3\)'):
        rk.LSTMBackwardSteps(ops['gates'], ops['c0'], ops['c'], ops['tanh_c'], **grads)


def test_bound_lstm_kernels_keep_their_own_views():
    """Reshaping the caller's array after binding does not change what the kernel indexes."""
    ops = lstm_forward_operands()
    steps = rk.LSTMForwardSteps(**ops)
    ops['hidden'].shape = (2 * H * N,)
    steps.step(1)
    assert steps.arrays['hidden'].shape == (2, H, N)
