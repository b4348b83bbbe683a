"""The captured training step (``lg.cuda.capture``) against the same step run eagerly and PyTorch eager, on the
GPU: W2 LeNet-5 batch 64 and W3 char-LSTM (examples/char_lstm.py's gModule time step cloned over 50 steps,
hidden 256, vocabulary 65, batch 32); W2T is W2 as Torch7 code writes it (a feval with ClassNLLCriterion,
then optim.sgd), captured unchanged.

W2 and W3 keep everything on the GPU by hand: the NLL and its gradient written into kept buffers, then SGD
with momentum 0.9 on the flat parameters (Torch7's sgd with dampening 0). W2T's eager step reads its loss on
the host, as Torch7's does; while recorded, ClassNLLCriterion and optim.sgd keep it on the GPU.
Before timing, the captured step's losses are checked against the eager step's over a few steps from the same
initial parameters. Each column's figure is the median block's time per step (the device synchronised around
each block). Without a usable GPU it says so and exits 0.

    python bench/gpu_capture.py [--workloads W2,W2T,W3] [--steps 20] [--repeats 5]
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, '..'), os.path.join(HERE, '..', 'examples'), HERE]

import legonn as lg  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from gpu_start import chosen_workloads, cupy_or_skip, torch_cuda  # noqa: E402
from legonn import nn, optim  # noqa: E402

LR, MOMENTUM = 0.05, 0.9
VOCAB, HIDDEN, SEQ, BATCH3 = 65, 256, 50, 32


class DeviceLoss:
    """The mean NLL of log-probabilities at integer labels over ``terms`` batches (time steps), and its gradient,
    written into buffers kept where ``like`` lives (``loss``: a 0-d array), so that a step never reads a value on
    the host."""

    def __init__(self, like, batch, classes, terms=1):
        self.xp, self.scale = like.xp, 1.0 / (batch * terms)
        self.rows = self.xp.arange(batch)
        self.loss = self.xp.zeros((), like.dtype)
        self.grads = [like.new(batch, classes).zero() for _ in range(terms)]

    def add(self, logp, labels, term=0):
        """loss += the term's share; the term's gradient buffer = d loss / d logp."""
        picked = logp.array[self.rows, labels]
        self.xp.subtract(self.loss, picked.sum() * self.scale, out=self.loss)
        grad = self.grads[term].array
        grad.fill(0)
        grad[self.rows, labels] = -self.scale
        return self.grads[term]


def momentum_update(params, grads):
    """SGD with momentum on the flat vectors: v = MOMENTUM v + g, p -= LR v (v starts at zero, so the first step
    is plain SGD, as Torch7's sgd with dampening 0)."""
    xp = params.xp
    velocity, step = xp.zeros_like(params.array), xp.empty_like(params.array)   # kept: no allocation per update

    def update():
        xp.multiply(velocity, MOMENTUM, out=velocity)
        xp.add(velocity, grads.array, out=velocity)
        xp.multiply(velocity, LR, out=step)
        xp.subtract(params.array, step, out=params.array)
    return update


def classifier_step(model, batch, classes):
    """``step(x, y)``: one training step of a classifier ending in LogSoftMax, loss returned as a 0-d array."""
    params, grads = model.getParameters()
    nll, update = DeviceLoss(params, batch, classes), momentum_update(params, grads)

    def step(x, y):
        grads.zero()
        nll.loss.fill(0)
        out = model.forward(x)
        model.backward(x, nll.add(out, y.array))
        update()
        return nll.loss
    return step


def lenet_workload(batch=64):
    from lenet import lenet   # examples/lenet.py
    rng = np.random.default_rng(0)
    x = lg.from_numpy(rng.random((batch, 1, 28, 28), dtype=np.float32)).cuda()
    y = lg.from_numpy(rng.integers(0, 10, batch)).cudaLong()

    def build():
        lg.manualSeed(1)
        return classifier_step(lenet().cuda(), batch, 10)
    return build, (x, y)


def char_lstm_workload():
    from char_lstm import CharLSTM
    rng = np.random.default_rng(0)
    ids = rng.integers(0, VOCAB, (BATCH3, SEQ + 1))
    x, y = (lg.from_numpy(np.ascontiguousarray(a)).cudaLong() for a in (ids[:, :SEQ], ids[:, 1:]))

    def build():
        lg.manualSeed(1)
        m = CharLSTM(VOCAB, VOCAB, HIDDEN, 1, SEQ, cuda=True)
        nll, update = DeviceLoss(m.params, BATCH3, VOCAB, SEQ), momentum_update(m.params, m.grads)
        zeros = m.zero_state(BATCH3)
        dzeros = m.zero_state(BATCH3)
        emb_grad = lg.zeros(BATCH3, SEQ, VOCAB).cuda()

        def step(x, y):
            m.grads.zero()
            nll.loss.fill(0)
            emb = m.embedding.forward(x)
            state, inputs = zeros, []
            for t in range(SEQ):
                inputs.append([emb.select(1, t)] + state)
                out = m.clones[t].forward(inputs[-1])
                state = out[:-1]
                nll.add(out[-1], y.array[:, t], t)
            dstate = dzeros
            for t in range(SEQ - 1, -1, -1):
                grads = m.clones[t].backward(inputs[t], dstate + [nll.grads[t]])
                emb_grad.select(1, t).copy(grads[0])
                dstate = grads[1:]
            m.embedding.backward(x, emb_grad)
            update()
            return nll.loss
        return step
    return build, (x, y)


def torch_lenet(batch=64):
    torch = torch_cuda()
    t = torch.nn
    model = t.Sequential(t.Conv2d(1, 20, 5), t.ReLU(), t.MaxPool2d(2), t.Conv2d(20, 50, 5), t.ReLU(), t.MaxPool2d(2),
                         t.Flatten(), t.Linear(800, 500), t.ReLU(), t.Linear(500, 10), t.LogSoftmax(1)).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = torch.rand(batch, 1, 28, 28, device='cuda'), torch.randint(0, 10, (batch,), device='cuda')

    def step():
        opt.zero_grad()
        t.functional.nll_loss(model(x), y).backward()
        opt.step()
    return step


def torch_char_lstm():
    torch = torch_cuda()
    F = torch.nn.functional
    embed, cell = torch.nn.Embedding(VOCAB, VOCAB).cuda(), torch.nn.LSTMCell(VOCAB, HIDDEN).cuda()
    dec = torch.nn.Linear(HIDDEN, VOCAB).cuda()
    params = [*embed.parameters(), *cell.parameters(), *dec.parameters()]
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM)
    ids = torch.randint(0, VOCAB, (BATCH3, SEQ + 1), device='cuda')
    zeros = torch.zeros(BATCH3, HIDDEN, device='cuda')

    def step():
        opt.zero_grad()
        emb, h, c, loss = embed(ids[:, :SEQ]), zeros, zeros, 0.0
        for t in range(SEQ):
            h, c = cell(emb[:, t], (h, c))
            loss = loss + F.nll_loss(F.log_softmax(dec(h), 1), ids[:, t + 1])
        (loss / SEQ).backward()
        opt.step()
    return step


def torch7_step(model):
    """``step(x, y)``: the Torch7 training step as written: a feval with ClassNLLCriterion, then optim.sgd
    (momentum 0.9, dampening 0), on ``model``'s device; returns the loss (a number eagerly, a device array while
    recorded)."""
    params, grads = model.getParameters()
    criterion = nn.ClassNLLCriterion().type(params.type())
    config = {'learningRate': LR, 'momentum': MOMENTUM, 'dampening': 0}

    def step(x, y):
        def feval(_):
            grads.zero()
            out = model.forward(x)
            loss = criterion.forward(out, y)
            model.backward(x, criterion.backward(out, y))
            return loss, grads
        return optim.sgd(feval, params, config)[1][0]
    return step


def torch7_lenet_workload(batch=64):
    """W2 as Torch7 code writes it (``torch7_step``)."""
    from lenet import lenet
    _, data = lenet_workload(batch)

    def build():
        lg.manualSeed(1)
        return torch7_step(lenet().cuda())
    return build, data


WORKLOADS = {'W2': ('LeNet-5 b64', lenet_workload, torch_lenet),
             'W2T': ('LeNet-5 b64, Torch7 feval + optim.sgd', torch7_lenet_workload, torch_lenet),
             'W3': ('char-LSTM gModule h256 seq50 b32', char_lstm_workload, torch_char_lstm)}


def median_ms(step, sync, steps, repeats):
    for _ in range(3):
        step()
    blocks = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        blocks.append((time.perf_counter() - start) / steps)
    return statistics.median(blocks) * 1e3


def checked_capture(build, data, checked=3):
    """The captured step, checked against an eager run from the same initial parameters: (captured step, their
    losses agree, the largest relative difference). The capture's 2 warm-up steps are eager steps on ``data``,
    then both run ``checked`` more."""
    eager_step = build()
    eager = [float(eager_step(*data)) for _ in range(2 + checked)][2:]
    captured_step = lg.cuda.capture(build(), *data, warmup=2)
    captured = [float(captured_step()) for _ in range(checked)]
    diff = max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(eager, captured))
    return captured_step, diff <= 1e-6, diff


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--workloads', default='W2,W2T,W3', help='comma-separated subset of W2,W2T,W3')
    parser.add_argument('--steps', type=int, default=20, help='steps per timed block')
    parser.add_argument('--repeats', type=int, default=5, help='timed blocks per column (median reported)')
    args = parser.parse_args(argv)
    names = chosen_workloads(parser, args.workloads, WORKLOADS)
    if args.steps < 1 or args.repeats < 1:
        parser.error('--steps and --repeats must be >= 1')
    cp = cupy_or_skip('gpu_capture.py')
    if cp is None:
        return 0
    sync = cp.cuda.Device().synchronize
    print(f'captured vs eager training step, median of {args.repeats} blocks of {args.steps} steps')
    for name in names:
        label, workload, torch_step = WORKLOADS[name]
        build, data = workload()
        eager_step = build()
        row = {'legonn eager': median_ms(lambda: eager_step(*data), sync, args.steps, args.repeats)}
        try:
            captured, ok, diff = checked_capture(build, data)   # the step checked is the step timed
        except lg.cuda.CaptureError as err:
            print(f'{name} {label}: the step cannot be captured: {err}')
            ok, captured = None, None
        else:
            row['legonn captured'] = median_ms(captured, sync, args.steps, args.repeats)
        try:
            row['torch eager'] = median_ms(torch_step(), sync, args.steps, args.repeats)
        except ImportError as err:
            print(f'  {name}: PyTorch unavailable ({err}); no torch column')
        cells = '  '.join(f'{k} {v:.3f} ms' for k, v in row.items())
        if captured is None:
            print(f'{name} {label}: {cells}')
            continue
        ratio = (f"  captured/torch {row['legonn captured'] / row['torch eager']:.3f} (target < 1.0)"
                 if 'torch eager' in row else '')
        print(f'{name} {label}: {cells}{ratio}  losses captured == eager: {"yes" if ok else "NO"} '
              f'(max rel diff {diff:.1e}); {len(captured.allocations)} allocations in the step')
    return 0


if __name__ == '__main__':
    sys.exit(main())
