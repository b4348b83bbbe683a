"""The rnn package's step-by-step cells against its fused sequence layers: forward and backward of
nn.Sequencer(nn.FastLSTM(H, H)) against nn.SeqLSTM(H, H), and of nn.Sequencer(nn.GRU(H, H)) against nn.SeqGRU(H, H).

Each model takes a float32 ``seq x batch x H`` tensor (default 50 x 32 x 256) and a gradOutput of the same
size; one timed step is zeroGradParameters, forward and backward. The models alternate, step by step, after
two warm-up steps each; the script prints each one's best and median step time and the ratios of the medians.
The cells run their step module (nn modules, as the Lua builds them) once per time step; SeqLSTM/SeqGRU
compute the input products of all steps in one product and fuse each step's gates. ``--torch`` adds PyTorch's
``LSTMCell``/``GRUCell`` unrolled step by step in eager mode and its fused ``nn.LSTM``/``nn.GRU``, on the same
data (PyTorch is needed for that option only).

    python3 bench/rnn_cells.py [--threads 1] [--repeats 9] [--hidden 256] [--seq 50] [--batch 32] [--torch]
"""
import argparse
import os
import statistics
import sys
import time

ARGS = argparse.ArgumentParser(description=__doc__.split('\n')[0])
ARGS.add_argument('--hidden', type=int, default=256)
ARGS.add_argument('--seq', type=int, default=50)
ARGS.add_argument('--batch', type=int, default=32)
ARGS.add_argument('--repeats', type=int, default=9, help='timed steps per model (median reported)')
ARGS.add_argument('--threads', type=int, default=None, help='BLAS and legonn threads (default: library default)')
ARGS.add_argument('--torch', action='store_true', help="also time PyTorch's cells unrolled and its fused layers")
OPTS = ARGS.parse_args()
if OPTS.threads:
    # before NumPy loads OpenBLAS
    os.environ['OPENBLAS_NUM_THREADS'] = os.environ['OMP_NUM_THREADS'] = str(OPTS.threads)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import legonn as lg  # noqa: E402  (legonn before NumPy, as the README asks)
import numpy as np  # noqa: E402
from legonn import nn  # noqa: E402


def main():
    if OPTS.threads:
        lg.setnumthreads(OPTS.threads)
    T, B, H = OPTS.seq, OPTS.batch, OPTS.hidden
    rng = np.random.default_rng(0)
    x = lg.FloatTensor(rng.standard_normal((T, B, H)).astype(np.float32))
    go = lg.FloatTensor(rng.standard_normal((T, B, H)).astype(np.float32))
    models = {'Sequencer(FastLSTM)': nn.Sequencer(nn.FastLSTM(H, H)), 'SeqLSTM': nn.SeqLSTM(H, H),
              'Sequencer(GRU)': nn.Sequencer(nn.GRU(H, H)), 'SeqGRU': nn.SeqGRU(H, H)}

    def step(model):
        model.zeroGradParameters()
        model.forward(x)
        model.backward(x, go)

    steps = {name: (lambda m=model: step(m)) for name, model in models.items()}
    if OPTS.torch:
        steps.update(torch_steps(x.numpy(), go.numpy()))
    for run in steps.values():
        run()
        run()
    times = {name: [] for name in steps}
    for _ in range(OPTS.repeats):
        for name, run in steps.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    print(f"{T} steps, batch {B}, {H} -> {H}, float32, threads {OPTS.threads or 'default'}")
    for name, ts in times.items():
        print(f"  {name:20s} best {min(ts) * 1e3:7.1f} ms, median {statistics.median(ts) * 1e3:7.1f} ms "
              f"({statistics.median(ts) / T * 1e3:.2f} ms per time step)")
    pairs = [('Sequencer(FastLSTM)', 'SeqLSTM'), ('Sequencer(GRU)', 'SeqGRU')]
    if OPTS.torch:
        pairs += [('Sequencer(FastLSTM)', 'torch LSTMCell'), ('Sequencer(GRU)', 'torch GRUCell'),
                  ('SeqLSTM', 'torch nn.LSTM'), ('SeqGRU', 'torch nn.GRU')]
    for a, b in pairs:
        print(f"  {a} / {b}: {statistics.median(times[a]) / statistics.median(times[b]):.2f}x")


def torch_steps(x, go):
    """PyTorch's timed steps on the same data: zero the gradients, forward, backward with ``go``."""
    import torch
    if OPTS.threads:
        torch.set_num_threads(OPTS.threads)
    H = OPTS.hidden
    x, go = torch.from_numpy(x), torch.from_numpy(go)
    cells = {'torch LSTMCell': torch.nn.LSTMCell(H, H), 'torch GRUCell': torch.nn.GRUCell(H, H)}
    fused = {'torch nn.LSTM': torch.nn.LSTM(H, H), 'torch nn.GRU': torch.nn.GRU(H, H)}

    def unrolled(cell):
        cell.zero_grad()
        h = torch.zeros(x.shape[1], H)
        state = (h, h) if isinstance(cell, torch.nn.LSTMCell) else h
        outs = []
        for t in range(x.shape[0]):
            state = cell(x[t], state)
            outs.append(state[0] if isinstance(state, tuple) else state)
        torch.stack(outs).backward(go)

    def whole(layer):
        layer.zero_grad()
        layer(x)[0].backward(go)

    steps = {name: (lambda c=cell: unrolled(c)) for name, cell in cells.items()}
    steps.update({name: (lambda m=layer: whole(m)) for name, layer in fused.items()})
    return steps


if __name__ == '__main__':
    main()
