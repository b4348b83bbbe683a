"""Forward and backward time of nn.TemporalConvolution and cudnn.TemporalConvolution on wide frames (a batch of
32 sequences of 26 frames, 512 -> 512 features, kW 3, float32: the text convolutions of char-level models),
against a floor written here in NumPy (the window copy and one GEMM per pass, the least any im2col code does)
and, when the .venv has it, torch.nn.functional.conv1d as a reference.

    PYTHONPATH=$PWD python bench/temporal_conv.py [--shape 32 26 512 512 3] [--repeats 5] [--cpu-time]

Each row: forward (updateOutput), backward (updateGradInput + accGradParameters), in milliseconds, the best of
``--repeats`` runs after one warm-up. ``--cpu-time`` times the process's CPU time, steadier than the wall's on a
loaded machine; run it with one BLAS thread (OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1), or every thread's time
is summed.
"""
import argparse
import time

import numpy as np

import legonn as lg
from index_linear import best_ms   # a sibling script: bench/ is on the path when run


def numpy_floor(x, weight, bias, grad_output, kw):
    """(forward, backward) closures of the im2col + GEMM floor: the (N*T_out, kW*F) window matrix, one GEMM
    forward; backward one GEMM for the windows' gradient and its scatter-add, one for gradWeight, a sum for
    gradBias."""
    n, t, f = x.shape
    t_out = t - kw + 1
    cols = np.empty((n, t_out, kw * f), np.float32)
    grad_input = np.empty_like(x)
    grad_weight, grad_bias = np.zeros_like(weight), np.zeros_like(bias)

    def forward():
        for k in range(kw):
            cols[:, :, k * f:(k + 1) * f] = x[:, k:k + t_out]
        out = cols.reshape(-1, kw * f) @ weight.T
        out += bias
        return out

    def backward():
        go = grad_output.reshape(-1, weight.shape[0])
        gcols = (go @ weight).reshape(n, t_out, kw * f)
        grad_input.fill(0)
        for k in range(kw):
            grad_input[:, k:k + t_out] += gcols[:, :, k * f:(k + 1) * f]
        grad_weight[...] += go.T @ cols.reshape(-1, kw * f)
        grad_bias[...] += go.sum(0)

    return forward, backward


def torch_reference(x, weight, bias, grad_output, kw):
    """(forward, backward) closures of torch.nn.functional.conv1d on the same numbers; None without torch."""
    try:
        import torch
    except ImportError:
        return None
    n, t, f = x.shape
    xt = torch.from_numpy(x.transpose(0, 2, 1).copy()).requires_grad_()
    wt = torch.from_numpy(weight.reshape(-1, kw, f).transpose(0, 2, 1).copy()).requires_grad_()
    bt = torch.from_numpy(bias.copy()).requires_grad_()
    got = torch.from_numpy(grad_output.transpose(0, 2, 1).copy())
    state = {}

    def forward():
        state['y'] = torch.nn.functional.conv1d(xt, wt, bt)

    def backward():
        state['y'].backward(got, retain_graph=True)

    return forward, backward


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shape', type=int, nargs=5, default=[32, 26, 512, 512, 3],
                        metavar=('BATCH', 'FRAMES', 'IN', 'OUT', 'KW'))
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--cpu-time', action='store_true', help="time the process's CPU time, not the wall's")
    args = parser.parse_args()
    n, t, f_in, f_out, kw = args.shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, t, f_in), dtype=np.float32)
    grad_output = rng.standard_normal((n, t - kw + 1, f_out), dtype=np.float32)
    modules = {'nn.TemporalConvolution': lg.nn.TemporalConvolution(f_in, f_out, kw),
               'cudnn.TemporalConvolution': lg.cudnn.TemporalConvolution(f_in, f_out, kw)}
    weight, bias = modules['nn.TemporalConvolution'].weight.numpy(), modules['nn.TemporalConvolution'].bias.numpy()
    rows = {}
    for name, module in modules.items():
        xin, gout = lg.Tensor(x), lg.Tensor(grad_output)
        module.forward(xin)

        def backward(module=module, xin=xin, gout=gout):
            module.updateGradInput(xin, gout)
            module.accGradParameters(xin, gout)
        rows[name] = (lambda module=module, xin=xin: module.forward(xin), backward)
    rows['NumPy im2col + GEMM floor'] = numpy_floor(x, weight, bias, grad_output, kw)
    reference = torch_reference(x, weight, bias, grad_output, kw)
    if reference is not None:
        rows['torch conv1d (reference)'] = reference
    clock = time.process_time if args.cpu_time else time.perf_counter
    print(f"batch {n}, {t} frames, {f_in} -> {f_out}, kW {kw}, float32, {'CPU' if args.cpu_time else 'wall'} time")
    for name, (forward, backward) in rows.items():
        forward()
        fwd = best_ms(forward, args.repeats, lambda: None, clock)
        bwd = best_ms(backward, args.repeats, lambda: None, clock)
        print(f"{name:28s} forward {fwd:8.2f} ms  backward {bwd:8.2f} ms")


if __name__ == '__main__':
    main()
