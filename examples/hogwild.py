"""Hogwild training: N workers update the shared parameters of one model at
the same time, each on its own shard of MNIST, with plain ``optim.sgd`` and no
locks (Niu, Recht, Re and Wright, 2011), through ``legonn.threads``.

    python examples/hogwild.py                        # 2 worker processes
    python examples/hogwild.py --workers 1            # the single-worker baseline
    python examples/hogwild.py --backend thread       # threads (serialised by the GIL on a standard CPython)

With ``--backend process`` the model's ``getParameters()`` storage and the
training images are put in shared memory (``threads.share_memory``) and reach
the workers by name, not by copy: every worker's SGD step writes straight
into the one parameter vector. Each worker trains a replica whose weights and
biases are those shared parameters and whose gradients and buffers are its own.
"""
import argparse
import functools
import time

import legonn as lg  # before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py
import numpy as np
from legonn import nn, optim, threads

import mnist_data

_workers = {}   # thread id -> that worker's replica and data (set by setup; threads share this dict)


def mlp(hidden=128):
    model = nn.Sequential().add(nn.View(28 * 28))
    model.add(nn.Linear(28 * 28, hidden)).add(nn.ReLU()).add(nn.Linear(hidden, 10)).add(nn.LogSoftMax())
    return model


def setup(model, x, y, tid):
    """Init function: a replica of ``model`` sharing its weights and biases, private gradients and buffers."""
    replica = model.clone('weight', 'bias')
    _workers[tid] = dict(model=replica, flat=replica.getParameters(), x=x, y=y, criterion=nn.ClassNLLCriterion())


def train_shard(shard, epochs, batch_size, lr, seed):
    """Train on the images ``shard`` (indices) for ``epochs`` passes; returns (samples, mean loss)."""
    mine = _workers[threads.threadid()]
    model, (params, grads), criterion = mine['model'], mine['flat'], mine['criterion']
    x, y = mine['x'].array, mine['y'].array
    rng = np.random.default_rng(seed)
    config = {'learningRate': lr}
    seen, total = 0, 0.0
    for _ in range(epochs):
        order = rng.permutation(shard)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            inputs, targets = x[idx], y[idx]

            def feval(_):
                grads.zero()
                output = model.forward(inputs)
                loss = criterion.forward(output, targets)
                model.backward(inputs, criterion.backward(output, targets))
                return loss, grads

            total += optim.sgd(feval, params, config)[1][0] * len(idx)
            seen += len(idx)
    return seen, total / max(seen, 1)


def accuracy(model, x, y):
    model.evaluate()
    right = int((model.forward(x).array.argmax(1) == y).sum())
    model.training()
    return right / len(y)


def run(workers=2, backend='process', epochs=3, batch_size=32, lr=0.05, hidden=128, seed=1, verbose=True):
    """Train with ``workers`` hogwild workers; returns (samples per second, held-out accuracy, seconds)."""
    threads.set_blas_threads(1)     # one BLAS thread per worker: the workers have the cores
    lg.manualSeed(seed)
    x_train, y_train, x_test, y_test = mnist_data.load(seed=seed)
    model = mlp(hidden)
    model.getParameters()
    x_shared, y_shared = lg.from_numpy(x_train), lg.from_numpy(y_train)
    if backend == 'process':
        threads.share_memory(model)           # the parameters every worker writes
        threads.share_memory(x_shared)        # the images: sent by name, never copied
        threads.share_memory(y_shared)
    pool = threads.Threads(workers, functools.partial(setup, model, x_shared, y_shared), backend=backend)
    shards = np.array_split(np.random.default_rng(seed).permutation(len(y_train)), workers)
    results = []
    start = time.perf_counter()
    for tid, shard in enumerate(shards):
        pool.addjob(train_shard, lambda n, loss: results.append((n, loss)), shard, epochs, batch_size, lr,
                    seed + tid)
    pool.synchronize()
    seconds = time.perf_counter() - start
    pool.terminate()
    samples = sum(n for n, _ in results)
    acc = accuracy(model, x_test, y_test)
    if verbose:
        print(f"{workers} {backend} workers, {epochs} epochs of their shards: {samples} samples in {seconds:.2f}s "
              f"= {samples / seconds:.0f} samples/s; mean train loss "
              f"{sum(n * l for n, l in results) / samples:.4f}; held-out accuracy {acc * 100:.2f}%")
    return samples / seconds, acc, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--workers', type=int, default=2, help='workers training the shared parameters')
    parser.add_argument('--backend', choices=('process', 'thread'), default='process',
                        help='workers as processes or threads')
    parser.add_argument('--epochs', type=int, default=3, help='passes of each worker over its shard')
    parser.add_argument('--batch-size', type=int, default=32, help='digits per mini-batch')
    parser.add_argument('--lr', type=float, default=0.05, help='SGD learning rate')
    parser.add_argument('--hidden', type=int, default=128, help='hidden units of the MLP')
    parser.add_argument('--seed', type=int, default=1, help='random seed')
    args = parser.parse_args(argv)
    return run(args.workers, args.backend, args.epochs, args.batch_size, args.lr, args.hidden, args.seed)


if __name__ == '__main__':
    main()
