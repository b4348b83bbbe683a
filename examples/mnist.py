"""Train an MLP (or logistic regression) on MNIST the Torch7 way: getParameters,
a feval closure, optim.sgd, a hand-written loop.

    python examples/mnist.py                  # MLP on the bundled 5,000-digit subset
    python examples/mnist.py --model logreg
    python examples/mnist.py --data-dir ~/mnist --epochs 5   # the full IDX files
    python examples/mnist.py --cuda           # on the GPU (needs CuPy)
    python examples/mnist.py --resume out/mnist/checkpoint.lg --epochs 20   # go on from a checkpoint
    mpiexec -n 2 python examples/mnist.py --distributed   # data-parallel over 2 MPI processes (examples/data_parallel.py)

After every epoch the model, the optimiser state and the random generators'
states go to ``--checkpoint`` (lg.save writes it atomically); ``--resume``
continues from such a file exactly where it stopped: on the CPU with the same
seed, the resumed run's losses are bitwise those of an uninterrupted run.
"""
import argparse
import os
import time

from tqdm import tqdm

import legonn as lg  # before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py
import numpy as np
from legonn import nn, optim

import checkpoint as checkpoints
import data_parallel
import mnist_data


def build(kind, hidden):
    model = nn.Sequential()
    model.add(nn.View(28 * 28))
    if kind == 'logreg':
        model.add(nn.Linear(28 * 28, 10))
    else:
        model.add(nn.Linear(28 * 28, hidden)).add(nn.ReLU())
        model.add(nn.Linear(hidden, hidden)).add(nn.ReLU())
        model.add(nn.Linear(hidden, 10))
    model.add(nn.LogSoftMax())
    return model


def evaluate(model, x, y, batch_size, xp):
    """The held-out ConfusionMatrix (0-based classes)."""
    confusion = optim.ConfusionMatrix(10)
    model.evaluate()
    for start in range(0, len(y), batch_size):
        scores = model.forward(xp.asarray(x[start:start + batch_size]))
        confusion.batchAdd(scores, xp.asarray(y[start:start + batch_size]))
    model.training()
    confusion.updateValids()
    return confusion


def on_device(model, criterion, config, cuda):
    """Move the model, the criterion and sgd's state tensors in ``config`` to the GPU when ``cuda``;
    returns ``(config, xp)`` with ``xp`` the array module the data must then use."""
    if not cuda:
        return config, np
    model.cuda()
    criterion.cuda()
    return {k: v.cuda() if isinstance(v, lg.Tensor) else v for k, v in config.items()}, lg.tensor.backend.cupy()


def train_epoch(model, criterion, params, grad_params, config, batches, n_batches, xp, desc, replicas=None):
    """One pass over ``batches`` ((inputs, targets) host arrays) the Torch7 way: a feval closure that
    zeroes the flat gradient, runs forward and backward and returns (loss, gradParams), handed to
    optim.sgd. With ``replicas`` (data_parallel.Replicas) the gradient and loss become the global batch's
    before optim.sgd sees them. Returns the mean loss."""
    replicas = replicas or data_parallel.Replicas(distributed=False)
    total_loss, done = 0.0, 0
    # disable=None: no bar when stderr is not a terminal (a redirected log gets the per-epoch lines only);
    # under mpiexec only rank 0 draws one
    bar = tqdm(batches, total=n_batches, desc=desc, leave=False, unit='batch',
               disable=None if replicas.root else True)
    for host_inputs, host_targets in bar:
        inputs, targets = xp.asarray(host_inputs), xp.asarray(host_targets)

        def feval(_):
            grad_params.zero()
            loss = 0.0
            if len(host_targets):    # a rank's share of a global batch smaller than the world can be empty
                output = model.forward(inputs)
                loss = criterion.forward(output, targets)
                model.backward(inputs, criterion.backward(output, targets))
            return replicas.reduce(grad_params, loss, len(host_targets)), grad_params

        _, (loss,) = optim.sgd(feval, params, config)
        total_loss += loss
        done += 1
        bar.set_postfix(loss=f'{total_loss / done:.4f}')
    return total_loss / done


def add_training_args(parser, epochs, lr, log_dir):
    """The options mnist.py and lenet.py share, with each script's defaults."""
    parser.add_argument('--epochs', type=int, default=epochs, help='epochs in all (a resumed run included)')
    parser.add_argument('--batch-size', type=int, default=32, help='digits per mini-batch')
    parser.add_argument('--lr', type=float, default=lr, help='SGD learning rate')
    parser.add_argument('--momentum', type=float, default=0.9, help='SGD momentum')
    parser.add_argument('--seed', type=int, default=1, help='random seed')
    parser.add_argument('--data-dir', help='folder with the MNIST IDX files (%(default)s: the bundled subset)')
    parser.add_argument('--cuda', action='store_true', help='train on the GPU through CuPy')
    parser.add_argument('--log-dir', default=log_dir, help='where the training log and its curve go')
    parser.add_argument('--checkpoint',
                        help='checkpoint written after every epoch (%(default)s: LOG_DIR/checkpoint.lg)')
    parser.add_argument('--resume', help='a checkpoint to continue from (up to --epochs epochs in all)')


def fit(args, model, criterion, params, grad_params, config, xp, rng, history, first_epoch, batches, n_train,
        x_test, y_test, replicas, start_time):
    """The epochs from ``first_epoch`` to ``args.epochs`` on ``batches(epoch)``, each followed by a held-out
    evaluation and (rank 0) a log row and a checkpoint; the run that mnist.py and lenet.py share. Returns
    ``history`` with a row per epoch."""
    checkpoint = args.checkpoint or os.path.join(args.log_dir, 'checkpoint.lg')
    logger = replicas.logger(os.path.join(args.log_dir, 'train.log'), ['train loss', 'held-out error %'], history)
    n_batches = -(-n_train // args.batch_size)
    confusion = None
    for epoch in range(first_epoch, args.epochs):
        mean_loss = train_epoch(model, criterion, params, grad_params, config, batches(epoch), n_batches, xp,
                                f'epoch {epoch + 1}/{args.epochs}', replicas)
        confusion = evaluate(model, x_test, y_test, 500, xp)
        acc = confusion.totalValid
        history.append([mean_loss, 100 * (1 - acc)])
        if replicas.root:
            logger.add(history[-1])
            checkpoints.save(checkpoint, model, config, history, epoch + 1, rng)
        replicas.print(f"epoch {epoch + 1}: train loss {mean_loss:.4f}, held-out accuracy {acc * 100:.2f}%, "
                       f"{time.perf_counter() - start_time:.1f}s")
    if confusion is not None:
        replicas.print(confusion)
    if replicas.root:
        curve = logger.plot()   # None when this run logged no epoch (resumed at its last one)
        print((f"training curve: {curve}; " if curve else '') + f"checkpoint: {checkpoint}")
        logger.close()
    return history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--model', choices=('mlp', 'logreg'), default='mlp', help='network')
    parser.add_argument('--hidden', type=int, default=256, help='hidden units per MLP layer')
    add_training_args(parser, epochs=12, lr=0.05, log_dir='out/mnist')
    parser.add_argument('--distributed', action='store_true',
                        help='data-parallel under mpiexec -n N (legonn[mpi]); --batch-size stays the global batch')
    args = parser.parse_args(argv)
    replicas = data_parallel.Replicas(args.distributed)

    lg.manualSeed(args.seed)
    x_train, y_train, x_test, y_test = mnist_data.load(args.data_dir, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    config = {'learningRate': args.lr, 'momentum': args.momentum, 'dampening': 0, 'learningRateDecay': 1e-3}
    history, first_epoch = [], 0
    if args.resume:
        # the checkpoint holds the model, sgd's state table (in config) and where both generators stood
        model, config, history, first_epoch = checkpoints.resume(args.resume, rng)
    else:
        model = build(args.model, args.hidden)
    criterion = nn.ClassNLLCriterion()
    config, xp = on_device(model, criterion, config, args.cuda)
    replicas.print(model)
    params, grad_params = model.getParameters()
    replicas.synchronize(params)
    replicas.print(f"{params.nElement()} parameters; {len(y_train)} training and {len(y_test)} held-out digits"
                   f"{f'; {replicas.size} processes' if replicas.size > 1 else ''}")

    def batches(epoch):
        return replicas.batches(rng.permutation(len(y_train)), args.batch_size, x_train, y_train)
    return fit(args, model, criterion, params, grad_params, config, xp, rng, history, first_epoch, batches,
               len(y_train), x_test, y_test, replicas, time.perf_counter())


if __name__ == '__main__':
    main()
