"""Character-level LSTM language model built with legonn.graph (after Karpathy's char-rnn).

The LSTM cell is a gModule (x, prev_c, prev_h) -> (next_c, next_h); ``--layers``
cells and a softmax make one time step, itself a gModule; the step is cloned
``--seq-length`` times, every clone sharing the parameters
(``clone('weight', 'bias', 'gradWeight', 'gradBias')``), and trained with full
backprop through time over each chunk, gradient clipping and RMSprop (or Adam,
or SGD). The default corpus is the documentation text every CPython ships in
``pydoc_data.topics``, so it runs with no download:

    python3 examples/char_lstm.py                 # about 4 minutes in all of training on 2 CPU cores
    python3 examples/char_lstm.py --text FILE --minutes 30 --cuda

It prints the corpus's unigram entropy (the loss of a model that knows only
character frequencies) next to the validation loss, writes the cell's graph
to ``lstm_cell.svg`` and prints a sample.
"""
import argparse
import math
import os
import time

# The matrices here are small (batch 32): one BLAS thread is faster than several fighting over
# two shared cores. Set OPENBLAS_NUM_THREADS yourself to override.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import legonn as lg  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from legonn import graph, nn, optim  # noqa: E402


def load_text(path):
    if path:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    import pydoc_data.topics as topics
    return '\n'.join(topics.topics[k] for k in sorted(topics.topics))


def lstm_cell(input_size, rnn_size):
    """One LSTM cell: (x, prev_c, prev_h) -> (next_c, next_h), gates in the order input, forget, output."""
    x, prev_c, prev_h = nn.Identity()(), nn.Identity()(), nn.Identity()()
    # W [x, h] + b: the input-to-hidden and hidden-to-hidden maps as one matrix product
    sums = nn.Linear(input_size + rnn_size, 4 * rnn_size)(nn.JoinTable(1)([x, prev_h]))
    # one (batch, 4, rnn_size) block split into views: the four gradients land in one buffer, no summing
    n1, n2, n3, n4 = nn.SplitTable(1)(nn.Reshape(4, rnn_size)(sums)).split(4)
    in_gate, forget_gate, out_gate = nn.Sigmoid()(n1), nn.Sigmoid()(n2), nn.Sigmoid()(n3)
    in_transform = nn.Tanh()(n4)
    next_c = nn.CAddTable()([nn.CMulTable()([forget_gate, prev_c]), nn.CMulTable()([in_gate, in_transform])])
    next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])
    graph.annotateNodes()
    cell = nn.gModule([x, prev_c, prev_h], [next_c, next_h])
    cell.name = 'lstm_cell'
    return cell


def time_step(vocab, embed, rnn_size, layers):
    """One step: (x_t embedding, c_0, h_0, ..., c_L-1, h_L-1) -> (next states..., log-probabilities)."""
    x = nn.Identity()()
    prev = [nn.Identity()() for _ in range(2 * layers)]
    below, outputs = x, []
    for layer in range(layers):
        cell = lstm_cell(embed if layer == 0 else rnn_size, rnn_size)
        next_c, next_h = cell([below, prev[2 * layer], prev[2 * layer + 1]]).split(2)
        outputs += [next_c, next_h]
        below = next_h
    logprobs = nn.LogSoftMax()(nn.Linear(rnn_size, vocab)(below))
    return nn.gModule([x] + prev, outputs + [logprobs])


class CharLSTM:
    """The embedding, the unrolled clones and one flat parameter vector."""

    def __init__(self, vocab, embed, rnn_size, layers, seq_length, cuda):
        self.embedding = nn.LookupTable(vocab, embed)
        self.step = time_step(vocab, embed, rnn_size, layers)
        self.rnn_size, self.layers = rnn_size, layers
        container = nn.Sequential().add(self.embedding).add(self.step)
        if cuda:
            container.cuda()
        self.params, self.grads = container.getParameters()
        self.params.uniform(-0.08, 0.08)
        self.clones = [self.step] + [self.step.clone('weight', 'bias', 'gradWeight', 'gradBias')
                                     for _ in range(seq_length - 1)]
        self.criterion = nn.ClassNLLCriterion()
        if cuda:
            self.criterion.cuda()
        # backward's buffers, kept from chunk to chunk as Torch7 code keeps them (a CUDA graph needs their addresses)
        self.emb_grad = self.params.new()
        self.dstate = [self.params.new() for _ in range(2 * layers)]

    def zero_state(self, batch):
        return [self.params.new(batch, self.rnn_size).zero() for _ in range(2 * self.layers)]

    def forward(self, x, y, state):
        """Mean loss over the chunk ``x`` -> ``y`` (batch x steps); returns (loss, inputs per step, last state)."""
        emb = self.embedding.forward(x)
        loss, inputs = 0.0, []
        for t in range(x.size(1)):
            inputs.append([emb.select(1, t)] + state)
            out = self.clones[t].forward(inputs[-1])
            state = out[:-1]
            loss += self.criterion.forward(out[-1], y.select(1, t))
        return loss / x.size(1), inputs, state

    def backward(self, x, y, inputs):
        """Backprop through time over the chunk; gradients accumulate in ``self.grads``."""
        steps = x.size(1)
        emb_grad = self.emb_grad.resizeAs(self.embedding.output)
        dstate = [d.resizeAs(s).zero() for d, s in zip(self.dstate, inputs[0][1:])]
        for t in range(steps - 1, -1, -1):
            logprobs = self.clones[t].output[-1]
            # divided in place: the criterion's gradInput buffer is rewritten at each call anyway
            dlogprobs = self.criterion.backward(logprobs, y.select(1, t)).div(steps)
            grads = self.clones[t].backward(inputs[t], dstate + [dlogprobs])
            emb_grad.select(1, t).copy(grads[0])
            dstate = grads[1:]
        self.embedding.backward(x, emb_grad)

    def sample(self, chars, prime, length, temperature, rng):
        """Text continuing ``prime``, drawn from the softmax at ``temperature``."""
        step = self.clones[0]
        step.evaluate()
        state = self.zero_state(1)

        def next_logprobs(x):
            nonlocal state
            out = step.forward([self.embedding.forward(x).select(1, 0)] + state)
            state = [s.clone() for s in out[:-1]]
            return out[-1]
        text = sample_text(next_logprobs, chars, prime, length, temperature, rng, self.params.is_cuda)
        step.training()
        return text


def sample_text(next_logprobs, chars, prime, length, temperature, rng, cuda):
    """Text continuing ``prime``: ``next_logprobs(x)`` gives the log-probabilities (1 x vocab) of the
    character after the one in ``x`` (a 1x1 LongTensor), carrying the model's state; draws at ``temperature``."""
    index = {c: i for i, c in enumerate(chars)}
    seed = [index[c] for c in prime if c in index] or [0]
    x = lg.LongTensor(1, 1)
    if cuda:
        x = x.cudaLong()
    out_chars = []
    for i in range(len(seed) + length):
        x.fill(seed[i] if i < len(seed) else out_chars[-1])
        out = next_logprobs(x)
        if i >= len(seed) - 1:
            logits = np.asarray(out.float().cpu().numpy(), dtype=np.float64)[0] / temperature
            p = np.exp(logits - logits.max())
            out_chars.append(int(rng.choice(len(p), p=p / p.sum())))
    return prime + ''.join(chars[i] for i in out_chars)


class FusedCharLSTM:
    """The same model with the rnn package's SeqLSTM layers (``--fused``): the embedding of a whole chunk
    goes through each layer in one call; ``remember()`` carries the state from chunk to chunk."""

    def __init__(self, vocab, embed, rnn_size, layers, seq_length, cuda):
        self.layers = [nn.SeqLSTM(embed if i == 0 else rnn_size, rnn_size).remember() for i in range(layers)]
        self.net = nn.Sequential().add(nn.LookupTable(vocab, embed))
        for layer in self.layers:
            self.net.add(layer)
        self.net.add(nn.View(-1, rnn_size)).add(nn.Linear(rnn_size, vocab)).add(nn.LogSoftMax())
        self.criterion = nn.ClassNLLCriterion()
        if cuda:
            self.net.cuda()
            self.criterion.cuda()
        self.params, self.grads = self.net.getParameters()
        self.params.uniform(-0.08, 0.08)
        self.clones = [self.net]   # what training()/evaluate() switch

    def zero_state(self, batch):
        for layer in self.layers:
            layer.forget()
        return []

    def forward(self, x, y, state):
        """Mean loss over the chunk ``x`` -> ``y`` (batch x steps), time-major inside."""
        self.inputs = x.t()
        self.targets = y.t().contiguous().view(-1)
        loss = self.criterion.forward(self.net.forward(self.inputs), self.targets)
        return loss, None, []

    def backward(self, x, y, inputs):
        self.net.backward(self.inputs, self.criterion.backward(self.net.output, self.targets))

    def sample(self, chars, prime, length, temperature, rng):
        self.net.evaluate()   # SeqLSTM forgets on the switch, then remembers from character to character
        text = sample_text(self.net.forward, chars, prime, length, temperature, rng, self.params.is_cuda)
        self.net.training()
        return text


def batches(data, batch, steps):
    """(x, y) chunks of ``steps`` characters from ``batch`` parallel streams, in order (state carries over)."""
    n = (len(data) - 1) // (batch * steps) * batch * steps
    xs = data[:n].reshape(batch, -1)
    ys = data[1:n + 1].reshape(batch, -1)
    return [(xs[:, i:i + steps], ys[:, i:i + steps]) for i in range(0, xs.shape[1], steps)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--text', help="training text file; %(default)s: CPython's pydoc_data.topics")
    p.add_argument('--layers', type=int, default=2, help='stacked LSTM cells')
    p.add_argument('--rnn-size', type=int, default=128, help='hidden units per cell')
    p.add_argument('--embed', type=int, default=64, help='character embedding size')
    p.add_argument('--seq-length', type=int, default=50, help='BPTT steps per chunk')
    p.add_argument('--batch', type=int, default=32, help='parallel text streams')
    p.add_argument('--lr', type=float, default=2e-3, help='learning rate')
    p.add_argument('--clip', type=float, default=5.0, help='clip each gradient element to [-clip, clip]')
    p.add_argument('--minutes', type=float, default=3.5, help='training time budget')
    p.add_argument('--max-iters', type=int, default=100000, help='stop after this many chunks in all, if --minutes '
                   'has not run out before')
    p.add_argument('--eval-every', type=int, default=100, help='chunks between evaluations')
    p.add_argument('--val-chunks', type=int, default=20, help='validation chunks per evaluation')
    p.add_argument('--temperature', type=float, default=0.7, help='sampling temperature')
    p.add_argument('--sample-length', type=int, default=400, help='characters to sample')
    p.add_argument('--prime', default='The ', help='text the sample starts from')
    p.add_argument('--svg', default=os.path.join('out', 'char_lstm', 'lstm_cell'),
                   help='where to write the cell graph (.dot and .svg)')
    p.add_argument('--log-dir', default=os.path.join('out', 'char_lstm'),
                   help='where the loss log and its curve go')
    p.add_argument('--checkpoint', default=os.path.join('out', 'char_lstm', 'checkpoint.lg'),
                   help='checkpoint written at every evaluation and at the end')
    p.add_argument('--resume', help='a checkpoint to continue from (up to --max-iters chunks in all)')
    p.add_argument('--cuda', action='store_true', help='train on the GPU through CuPy')
    p.add_argument('--fused', action='store_true', help='SeqLSTM layers instead of the unrolled gModule cells')
    p.add_argument('--seed', type=int, default=123, help='random seed')
    args = p.parse_args(argv)
    from tqdm import tqdm

    lg.manualSeed(args.seed)
    text = load_text(args.text)
    chars = sorted(set(text))
    lookup = np.zeros(max(map(ord, chars)) + 1, dtype=np.int64)
    lookup[[ord(c) for c in chars]] = np.arange(len(chars))
    data = lookup[np.frombuffer(text.encode('utf-32-le'), dtype=np.uint32)]
    split = int(len(data) * 0.95)
    freq = np.bincount(data[:split], minlength=len(chars)) / split
    unigram = float(-(freq[freq > 0] * np.log(freq[freq > 0])).sum())
    print(f"corpus: {len(text)} characters, {len(chars)} distinct; unigram entropy {unigram:.3f} nats/char")

    model = (FusedCharLSTM if args.fused else CharLSTM)(len(chars), args.embed, args.rnn_size, args.layers,
                                                         args.seq_length, args.cuda)
    print(f"{model.params.nElement()} parameters")
    if not args.fused:
        graph.dot(_first_cell(model.step).fg, 'LSTM cell', args.svg)
        print(f"cell graph written to {args.svg}.svg")

    def to_device(a):
        t = lg.from_numpy(np.ascontiguousarray(a))
        return t.cudaLong() if args.cuda else t

    train = [(to_device(x), to_device(y)) for x, y in batches(data[:split], args.batch, args.seq_length)]
    val = [(to_device(x), to_device(y)) for x, y in batches(data[split:], args.batch, args.seq_length)]
    val = val[:args.val_chunks]

    def validation_loss():
        state, total = model.zero_state(args.batch), 0.0
        for c in model.clones:
            c.evaluate()
        for x, y in val:
            loss, _, state = model.forward(x, y, state)
            total += loss
        for c in model.clones:
            c.training()
        return total / len(val)

    method = getattr(optim, 'rmsprop', None) or getattr(optim, 'adam', None)
    config = {'learningRate': args.lr, 'alpha': 0.95} if method is getattr(optim, 'rmsprop', None) else \
        {'learningRate': args.lr}
    if method is None:
        method, config = optim.sgd, {'learningRate': 0.5}
    state = model.zero_state(args.batch)
    first = 0
    if args.resume:
        # parameters, the optimiser's state table (in config), the carried LSTM state, where training stood
        saved = lg.load(args.resume, device='cuda' if args.cuda else 'cpu')
        model.params.copy(saved['params'])
        config, state, first = saved['config'], saved['state'], saved['iterations']
        lg.setRNGState(saved['legonn_rng'])
        history = saved.get('history', [])
        print(f"resumed from {args.resume} after {first} chunks")
    else:
        history = []

    def save_checkpoint(iterations):
        lg.save(args.checkpoint, {'params': model.params, 'config': config, 'state': state,
                                  'iterations': iterations, 'legonn_rng': lg.getRNGState(), 'history': history})

    val_loss, train_loss = float('nan'), float('nan')
    logger = optim.Logger(os.path.join(args.log_dir, 'train.log'))
    logger.setNames(['train loss', 'validation loss']).setAxisLabels(f'evaluation (every {args.eval_every} chunks)')
    for row in history:     # a resumed run's log goes on from the checkpoint's rows, as mnist.py's does
        logger.add(row)
    # the run ends at --minutes (or --max-iters, when that comes first): the bar counts seconds; on a
    # stderr that is no terminal there is no bar (disable=None) and each evaluation prints a line instead
    budget = 60 * args.minutes
    bar = tqdm(total=budget, desc='training', unit='s', dynamic_ncols=True, disable=None,
               bar_format='{l_bar}{bar}| {n:.0f}/{total:.0f} s{postfix}')
    start = time.time()
    it = first - 1
    for it in range(first, args.max_iters):
        x, y = train[it % len(train)]
        if it % len(train) == 0:
            state = model.zero_state(args.batch)

        def feval(_):
            nonlocal state, train_loss
            model.grads.zero()
            loss, inputs, last = model.forward(x, y, state)
            model.backward(x, y, inputs)
            state = [s.clone() for s in last]
            arr = model.grads.array
            model.grads.xp.clip(arr, -args.clip, args.clip, out=arr)
            train_loss = loss
            return loss, model.grads

        method(feval, model.params, config)
        if (it + 1) % args.eval_every == 0:
            val_loss = validation_loss()
            history.append([train_loss, val_loss])
            logger.add(history[-1])
            save_checkpoint(it + 1)
            if bar.disable:
                print(f"{it + 1} chunks, {time.time() - start:.0f} s: train loss {train_loss:.3f}, "
                      f"validation loss {val_loss:.3f}")
        bar.set_postfix_str(f"chunk {it + 1}, train {train_loss:.3f}, val {val_loss:.3f}", refresh=False)
        bar.update(min(time.time() - start, budget) - bar.n)
        if time.time() - start > budget:
            break
    bar.close()
    save_checkpoint(it + 1)
    val_loss = validation_loss()
    print(f"validation loss {val_loss:.3f} nats/char ({val_loss / math.log(2):.3f} bits) after {it + 1} chunks; "
          f"unigram entropy {unigram:.3f} nats/char")
    curve = logger.plot()
    logger.close()
    if curve:    # None when no evaluation was logged
        print(f"loss curve: {curve}")
    rng = np.random.default_rng(args.seed)
    print('--- sample (temperature %.2f) ---' % args.temperature)
    print(model.sample(chars, args.prime, args.sample_length, args.temperature, rng))


def _first_cell(step):
    return next(m for m in step.modules if isinstance(m, nn.gModule))


if __name__ == '__main__':
    main()
