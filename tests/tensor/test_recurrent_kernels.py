"""The gate kernels of the fused sequence modules: the NumPy path against the formulas written plainly,
the CuPy ElementwiseKernel sources compiled by nvcc where it is installed (no GPU needed for that), and
run against the NumPy path on a GPU."""
import re
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
    return rng.normal(size=(N, 4 * H)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), rng.normal(size=(N, H))


def lstm_numpy(gates, c_prev, grad_h, grad_c, xp=np):
    """Both LSTM kernels through the module-level functions: activations, c, tanh c, h, grads."""
    c, tanh_c, h = (xp.empty((N, H)) for _ in range(3))
    gates = gates.copy()
    rk.lstm_forward_step(gates, c_prev, c, tanh_c, h, xp)
    grad_gates, grad_c = xp.empty((N, 4 * H)), grad_c.copy()
    rk.lstm_backward_step(gates, c_prev, tanh_c, grad_h, grad_c, grad_gates, xp)
    return gates, c, tanh_c, h, grad_gates, grad_c


def test_lstm_step_matches_the_formulas():
    a, c_prev, grad_h, grad_c_next = lstm_case(np.random.default_rng(0))
    gates, c, tanh_c, h, grad_gates, grad_c = lstm_numpy(a, c_prev, grad_h, grad_c_next)
    i, f, o, g = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    np.testing.assert_allclose(gates, np.hstack([i, f, o, g]), rtol=1e-12)
    np.testing.assert_allclose(c, f * c_prev + i * g, rtol=1e-12)
    np.testing.assert_allclose(h, o * np.tanh(c), rtol=1e-12)
    dc = grad_c_next + grad_h * o * (1 - np.tanh(c) ** 2)
    expected = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), grad_h * np.tanh(c) * o * (1 - o),
                          dc * i * (1 - g ** 2)])
    np.testing.assert_allclose(grad_gates, expected, rtol=1e-12)
    np.testing.assert_allclose(grad_c, dc * f, rtol=1e-12)


def gru_numpy(a, h_prev, grad_h, grad_rh, xp=np):
    gates, h = a.copy(), xp.empty((N, H))
    rk.sigmoid_(gates[:, :2 * H], xp)
    rk.gru_forward_step(gates, h_prev, h, xp)
    grad_gates, grad_h, grad_rh = xp.empty((N, 3 * H)), grad_h.copy(), grad_rh.copy()
    rk.gru_backward_candidate(gates, h_prev, grad_h, grad_gates, xp)
    rk.gru_backward_reset(gates, h_prev, grad_rh, grad_h, grad_gates, xp)
    return gates, h, grad_gates, grad_h


def test_gru_step_matches_the_formulas():
    rng = np.random.default_rng(1)
    a, h_prev, grad_h, grad_rh = rng.normal(size=(N, 3 * H)), *(rng.normal(size=(N, H)) for _ in range(3))
    gates, h, grad_gates, grad_h_prev = gru_numpy(a, h_prev, grad_h, grad_rh)
    r, u, hc = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:])
    np.testing.assert_allclose(gates, np.hstack([r, u, hc]), rtol=1e-12)
    np.testing.assert_allclose(h, (1 - u) * hc + u * h_prev, rtol=1e-12)
    expected = np.hstack([grad_rh * h_prev * r * (1 - r), grad_h * (h_prev - hc) * u * (1 - u),
                          grad_h * (1 - u) * (1 - hc ** 2)])
    np.testing.assert_allclose(grad_gates, expected, rtol=1e-12)
    np.testing.assert_allclose(grad_h_prev, grad_h * u + grad_rh * r, rtol=1e-12)


def standalone_cuda(name, in_params, out_params, body):
    """An ElementwiseKernel's parts as a plain CUDA kernel: raw parameters as pointers, the others as
    references to element i, one thread per element, as CuPy generates it."""
    params, refs = [], []
    for decl in (in_params + ',' + out_params).split(','):
        words = decl.split()
        if words[0] == 'raw':   # CuPy's raw arrays are writable, inputs included (the LSTM writes its gates)
            params.append(f"T* {words[2]}")
        elif words[0] == 'int32':
            params.append(f"int {words[1]}")
        else:
            params.append(f"T* {words[1]}_array")
            refs.append(f"T& {words[1]} = {words[1]}_array[i];")
    return (f"__global__ void {name}({', '.join(params)}, long long size) {{\n"
            f"  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;"
            f" i += (long long)blockDim.x * gridDim.x) {{\n    {' '.join(refs)}\n{body}\n  }}\n}}\n")


@pytest.mark.skipif(shutil.which('nvcc') is None, reason='nvcc is not installed')
def test_cuda_kernel_sources_compile_with_nvcc(tmp_path):
    src = ''.join(f"namespace {ns} {{\ntypedef {ctype} T;\n" +
                  ''.join(standalone_cuda(name, *parts) for name, parts in rk.KERNELS.items()) + "}\n"
                  for ns, ctype in (('f32', 'float'), ('f64', 'double')))
    path = tmp_path / 'recurrent_kernels.cu'
    path.write_text(src)
    done = subprocess.run(['nvcc', '-c', str(path), '-o', str(tmp_path / 'k.o')], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(re.findall(r'__global__', src)) == 2 * len(rk.KERNELS)


@pytest.mark.gpu
def test_cuda_kernels_match_numpy():
    import cupy as cp
    rng = np.random.default_rng(2)
    a, c_prev, grad_h, grad_c = lstm_case(rng)
    want = lstm_numpy(a, c_prev, grad_h, grad_c)
    got = lstm_numpy(*(cp.asarray(v) for v in (a, c_prev, grad_h, grad_c)), xp=cp)
    for w, g in zip(want, got):
        np.testing.assert_allclose(cp.asnumpy(g), w, rtol=1e-12, atol=1e-14)
    a, h_prev, grad_h, grad_rh = rng.normal(size=(N, 3 * H)), *(rng.normal(size=(N, H)) for _ in range(3))
    want = gru_numpy(a, h_prev, grad_h, grad_rh)
    got = gru_numpy(*(cp.asarray(v) for v in (a, h_prev, grad_h, grad_rh)), xp=cp)
    for w, g in zip(want, got):
        np.testing.assert_allclose(cp.asnumpy(g), w, rtol=1e-12, atol=1e-14)
    assert lg.gpu_available()
