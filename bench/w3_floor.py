"""compare.py's W3 step (char-rnn's LSTM, vocab 65, hidden 256, 50 steps, batch 32, ClassNLL at every step,
full backprop through time, Torch7 sgd with momentum) written by hand in NumPy: the floor that a Python
framework on NumPy could reach, next to legonn's step on the same initial parameters and batch.

The hand-written step keeps one buffer per time step for what backprop needs (the gates, the cells, the
hidden states, the log-probabilities) and computes only what the loss needs: unlike the gModule clones it
makes no gradient for the one-hot inputs and no per-module copies. Its losses must equal legonn's (the same
maths to float32 rounding), or the script says so and exits 1.

Prints each one's median ms per step over alternating blocks (both see the same load), and the ratio.

    PYTHONPATH=$PWD python bench/w3_floor.py [--blocks 5] [--steps 10]
"""
import argparse
import importlib.util
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, '..', 'shared', 'bench', 'compare.py')

import legonn  # noqa: E402,F401  before NumPy, as compare.py's legonn worker imports it
import numpy as np  # noqa: E402


def load_compare():
    spec = importlib.util.spec_from_file_location('compare', COMPARE)
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    return compare


def sigmoid_into(a):
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)


def floor_step(c, init, x, y):
    """A step function over copies of compare.py's W3 parameters; returns the mean loss per time step."""
    S, B, V, H = c.SEQ, c.BATCH3, c.VOCAB, c.HIDDEN
    f32 = np.float32
    W = {k: v.astype(f32).copy() for k, v in init.items()}
    G = {k: np.zeros_like(v) for k, v in W.items()}
    velocity = {}
    lr, mom = c.LR['W3'], c.MOMENTUM
    gates = np.zeros((S, B, 4 * H), f32)        # char-rnn's order: in, forget, out, transform
    cell = np.zeros((S + 1, B, H), f32)
    hidden = np.zeros((S + 1, B, H), f32)
    tanh_cell = np.zeros((S, B, H), f32)
    logp = np.zeros((S, B, V), f32)
    rows = np.arange(B)

    def step():
        for g in G.values():
            g[...] = 0
        bias = W['i2h_b'] + W['h2h_b']   # both Linears' biases in one add a time step
        loss = 0.0
        for t in range(S):
            g = gates[t]
            np.matmul(x[t], W['i2h_w'].T, out=g)
            g += hidden[t] @ W['h2h_w'].T
            g += bias
            sigmoid_into(g[:, :3 * H])
            np.tanh(g[:, 3 * H:], out=g[:, 3 * H:])
            np.multiply(g[:, H:2 * H], cell[t], out=cell[t + 1])
            cell[t + 1] += g[:, :H] * g[:, 3 * H:]
            np.tanh(cell[t + 1], out=tanh_cell[t])
            np.multiply(g[:, 2 * H:3 * H], tanh_cell[t], out=hidden[t + 1])
            lp = logp[t]
            np.matmul(hidden[t + 1], W['dec_w'].T, out=lp)
            lp += W['dec_b']
            lp -= lp.max(1, keepdims=True)
            lp -= np.log(np.exp(lp).sum(1, keepdims=True))
            loss -= lp[rows, y[t]].mean()
        dh = np.zeros((B, H), f32)
        dc = np.zeros((B, H), f32)
        dg = np.zeros((B, 4 * H), f32)
        for t in reversed(range(S)):
            dl = np.exp(logp[t])                 # ClassNLL (batch mean) through LogSoftMax
            dl[rows, y[t]] -= 1
            dl /= B
            G['dec_w'] += dl.T @ hidden[t + 1]
            G['dec_b'] += dl.sum(0)
            dh += dl @ W['dec_w']
            g = gates[t]
            i, fg, o, z = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            dc += dh * o * (1 - tanh_cell[t] * tanh_cell[t])
            np.multiply(dh * tanh_cell[t] * o, 1 - o, out=dg[:, 2 * H:3 * H])
            np.multiply(dc * z * i, 1 - i, out=dg[:, :H])
            np.multiply(dc * cell[t] * fg, 1 - fg, out=dg[:, H:2 * H])
            np.multiply(dc * i, 1 - z * z, out=dg[:, 3 * H:])
            dc *= fg
            G['i2h_w'] += dg.T @ x[t]
            G['h2h_w'] += dg.T @ hidden[t]
            bias_grad = dg.sum(0)
            G['i2h_b'] += bias_grad
            G['h2h_b'] += bias_grad
            dh = dg @ W['h2h_w']
        for k, w in W.items():              # optim.sgd: momentum with dampening = momentum
            if k in velocity:
                velocity[k] *= mom
                velocity[k] += (1 - mom) * G[k]
            else:
                velocity[k] = G[k].copy()
            w -= lr * velocity[k]
        return loss / S
    return step


def timed_blocks(steps, blocks, n):
    times = {name: [] for name in steps}
    losses = {name: [] for name in steps}
    for name, step in steps.items():   # warm-up
        losses[name].extend(step() for _ in range(2))
    for _ in range(blocks):
        for name, step in steps.items():
            t = time.perf_counter()
            losses[name].extend(step() for _ in range(n))
            times[name].append((time.perf_counter() - t) / n * 1e3)
    return times, losses


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--blocks', type=int, default=5)
    p.add_argument('--steps', type=int, default=10)
    args = p.parse_args(argv)
    c = load_compare()
    init = c.w3_init()
    x, y, _ = c.char_batch()
    steps = {'legonn': c.w3_legonn(init, x, y, False), 'numpy floor': floor_step(c, init, x, y)}
    times, losses = timed_blocks(steps, args.blocks, args.steps)
    ref = [float(v) for v in losses['legonn']]
    for name in steps:
        got = [float(v) for v in losses[name]]
        worst = max(abs(a - b) / abs(b) for a, b in zip(got, ref))
        print(f"{name:12s} {statistics.median(times[name]):7.2f} ms/step (blocks "
              f"{min(times[name]):.2f}-{max(times[name]):.2f}), loss {got[0]:.4f}->{got[-1]:.4f}, "
              f"largest relative difference from legonn's {worst:.1e}")
        if worst > 1e-4:
            print(f"the {name} step does not compute legonn's losses", file=sys.stderr)
            return 1
    ratio = statistics.median(times['legonn']) / statistics.median(times['numpy floor'])
    print(f"legonn / floor {ratio:.2f}x")
    return 0


if __name__ == '__main__':
    sys.exit(main())
