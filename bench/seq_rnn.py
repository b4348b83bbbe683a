"""Training step of a fused-sequence char model: legonn's SeqLSTM / SeqGRU against PyTorch's nn.LSTM / nn.GRU.

Model (both sides): one-hot inputs (vocab 65) -> recurrent layer (hidden 256) over 50 steps, batch 32 ->
Linear(256, 65) -> LogSoftMax -> ClassNLL averaged over all steps and rows, full backprop through time,
one SGD step (lr 0.1). Each framework runs in a process of its own (their thread pools slow each other
inside one), the two alternating block by block; the result is each side's median step time.

Before timing, both sides start from the same weights (drawn once in NumPy) and the first loss must
agree: SeqLSTM with nn.LSTM (gates reordered, bias_hh zero). The rnn package's GRU applies the reset
gate before the recurrent product, nn.GRU after it, so no weights make the two equal: SeqGRU's loss is
checked against the same cell written with PyTorch autograd ops, and nn.GRU (its own cell, the same
sizes and FLOPs but one fewer product per step) is what SeqGRU is timed against.

    python3 bench/seq_rnn.py [--cell lstm|gru] [--repeats 7] [--threads 1]

PyTorch is needed for this script only (``pip install torch==2.13.0``).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ARGS = argparse.ArgumentParser(description=__doc__.split('\n')[0])
ARGS.add_argument('--cell', choices=['lstm', 'gru'], default='lstm')
ARGS.add_argument('--vocab', type=int, default=65)
ARGS.add_argument('--hidden', type=int, default=256)
ARGS.add_argument('--seq', type=int, default=50)
ARGS.add_argument('--batch', type=int, default=32)
ARGS.add_argument('--repeats', type=int, default=7, help='timed blocks per framework (median reported)')
ARGS.add_argument('--steps', type=int, default=3, help='training steps per timed block')
ARGS.add_argument('--threads', type=int, default=None, help='BLAS / PyTorch threads (default: library default)')
ARGS.add_argument('--worker', choices=['legonn', 'torch', 'torch-reference'], help=argparse.SUPPRESS)
OPTS = ARGS.parse_args()
if OPTS.threads:
    # before NumPy loads OpenBLAS
    os.environ['OPENBLAS_NUM_THREADS'] = os.environ['OMP_NUM_THREADS'] = str(OPTS.threads)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, ROOT)
LR = 0.1


def data_and_weights(o):
    """One-hot inputs (seq, batch, vocab), targets (seq * batch,) and weights in the rnn package's layout."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.integers(0, o.vocab, (o.seq, o.batch))
    onehot = np.zeros((o.seq, o.batch, o.vocab), dtype=np.float32)
    onehot[np.arange(o.seq)[:, None], np.arange(o.batch)[None, :], x] = 1
    y = rng.integers(0, o.vocab, o.seq * o.batch)
    gates = 4 if o.cell == 'lstm' else 3
    u = lambda *s: rng.uniform(-0.08, 0.08, s).astype(np.float32)  # noqa: E731
    return onehot, y, {'W': u(o.vocab + o.hidden, gates * o.hidden), 'b': u(gates * o.hidden),
                       'out_W': u(o.vocab, o.hidden), 'out_b': u(o.vocab)}


def legonn_step(o):
    import legonn as lg
    from legonn import nn
    onehot, y, w = data_and_weights(o)
    rnn = nn.SeqLSTM(o.vocab, o.hidden) if o.cell == 'lstm' else nn.SeqGRU(o.vocab, o.hidden)
    rnn.gradInput = None   # the one-hot data needs no gradient (PyTorch does not compute it either)
    out = nn.Linear(o.hidden, o.vocab)
    model = nn.Sequential().add(rnn).add(nn.View(-1, o.hidden)).add(out).add(nn.LogSoftMax())
    params, grads = model.getParameters()
    rnn.weight.copy(lg.from_numpy(w['W']))
    rnn.bias.copy(lg.from_numpy(w['b']))
    out.weight.copy(lg.from_numpy(w['out_W']))
    out.bias.copy(lg.from_numpy(w['out_b']))
    crit = nn.ClassNLLCriterion()
    x, t = lg.from_numpy(onehot), lg.from_numpy(y)

    def step():
        grads.zero()
        logp = model.forward(x)
        loss = crit.forward(logp, t)
        model.backward(x, crit.backward(logp, t))
        params.add(-LR, grads)
        return float(loss)
    return step


def torch_step(o, reference):
    """nn.LSTM / nn.GRU (fused), or with ``reference`` the rnn package's GRU cell in autograd ops."""
    import numpy as np
    import torch
    if o.threads:
        torch.set_num_threads(o.threads)
    onehot, y, w = data_and_weights(o)
    H = o.hidden
    x, t = torch.from_numpy(onehot), torch.from_numpy(y)
    out = torch.nn.Linear(H, o.vocab)
    with torch.no_grad():
        out.weight.copy_(torch.from_numpy(w['out_W']))
        out.bias.copy_(torch.from_numpy(w['out_b']))
    W, b = w['W'], w['b']
    if reference:
        Wx, Wh, bias = (torch.tensor(a, requires_grad=True) for a in (W[:o.vocab], W[o.vocab:], b))
        params = [Wx, Wh, bias] + list(out.parameters())

        def hidden():
            a = (x.reshape(-1, o.vocab) @ Wx + bias).reshape(o.seq, o.batch, 3 * H)
            h, hs = torch.zeros(o.batch, H), []
            for s in range(o.seq):
                ru = torch.sigmoid(a[s, :, :2 * H] + h @ Wh[:, :2 * H])
                r, u = ru[:, :H], ru[:, H:]
                hc = torch.tanh(a[s, :, 2 * H:] + (r * h) @ Wh[:, 2 * H:])
                h = (1 - u) * hc + u * h
                hs.append(h)
            return torch.stack(hs)
    else:
        layer = (torch.nn.LSTM if o.cell == 'lstm' else torch.nn.GRU)(o.vocab, H)
        if o.cell == 'lstm':
            order = np.concatenate([np.arange(k * H, (k + 1) * H) for k in (0, 1, 3, 2)])  # i f o g -> i f g o
            with torch.no_grad():
                layer.weight_ih_l0.copy_(torch.from_numpy(W[:o.vocab, order].T.copy()))
                layer.weight_hh_l0.copy_(torch.from_numpy(W[o.vocab:, order].T.copy()))
                layer.bias_ih_l0.copy_(torch.from_numpy(b[order]))
                layer.bias_hh_l0.zero_()
        params = list(layer.parameters()) + list(out.parameters())

        def hidden():
            return layer(x)[0]

    def step():
        for p in params:
            p.grad = None
        logp = torch.log_softmax(out(hidden().reshape(-1, H)), 1)
        loss = torch.nn.functional.nll_loss(logp, t)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-LR)
        return float(loss.detach())
    return step


def worker(name):
    """Serve the parent over stdin/stdout: 'loss' -> first loss, 'time' -> one block's ms per step."""
    step = legonn_step(OPTS) if name == 'legonn' else torch_step(OPTS, name == 'torch-reference')
    for line in sys.stdin:
        if line.strip() == 'loss':
            print(json.dumps(step()), flush=True)
        else:
            start = time.perf_counter()
            for _ in range(OPTS.steps):
                step()
            print(json.dumps((time.perf_counter() - start) / OPTS.steps * 1e3), flush=True)


def start(name):
    argv = [sys.executable, os.path.abspath(__file__), '--worker', name] + sys.argv[1:]
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def ask(proc, what):
    proc.stdin.write(what + '\n')
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


def main():
    fused = 'nn.LSTM' if OPTS.cell == 'lstm' else 'nn.GRU'
    mine = 'SeqLSTM' if OPTS.cell == 'lstm' else 'SeqGRU'
    print(f"{mine} vs PyTorch {fused}: vocab {OPTS.vocab}, hidden {OPTS.hidden}, seq {OPTS.seq}, "
          f"batch {OPTS.batch}, threads {OPTS.threads or 'default'}; median of {OPTS.repeats} blocks "
          f"of {OPTS.steps} steps; load average {os.getloadavg()[0]:.1f}")
    procs = {'legonn': start('legonn'), 'torch': start('torch')}
    check = procs['torch'] if OPTS.cell == 'lstm' else start('torch-reference')
    losses = (ask(procs['legonn'], 'loss'), ask(check, 'loss'))
    same = abs(losses[0] - losses[1]) <= 1e-5 * abs(losses[1])
    print(f"  first loss: legonn {losses[0]:.7f}, PyTorch {'nn.LSTM' if OPTS.cell == 'lstm' else 'autograd cell'} "
          f"{losses[1]:.7f} -> {'equal' if same else 'DIFFERENT'} (rtol 1e-5)")
    if check is not procs['torch']:
        check.stdin.close()
        check.wait()
    times = {name: [] for name in procs}
    ask(procs['legonn'], 'time')   # warm-up block
    ask(procs['torch'], 'time')
    for _ in range(OPTS.repeats):
        for name, proc in procs.items():
            times[name].append(ask(proc, 'time'))
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()
    med = {name: statistics.median(v) for name, v in times.items()}
    print(f"  legonn {mine:8s} {med['legonn']:7.1f} ms/step")
    print(f"  torch  {fused:8s} {med['torch']:7.1f} ms/step")
    print(f"  ratio legonn/torch: {med['legonn'] / med['torch']:.2f}x")
    if not same:
        sys.exit(1)


if __name__ == '__main__':
    if OPTS.worker:
        worker(OPTS.worker)
    else:
        main()
