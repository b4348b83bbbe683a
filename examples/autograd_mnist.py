"""Train an MLP on MNIST with legonn.autograd (torch-autograd's way): the model is a plain function of its
parameters, ``autograd(f)`` gives its gradient, ``autograd.optim`` steps the parameters.

    python examples/autograd_mnist.py                     # f written with legonn functions, optimized mode
    python examples/autograd_mnist.py --model nn          # the same net from autograd.nn's wrapped modules
    python examples/autograd_mnist.py --mode direct       # the tape-recording runtime, no generated code
    python examples/autograd_mnist.py --show-code         # print the Python optimized mode generates
    python examples/autograd_mnist.py --optimizer sgd --lr 0.1
    python examples/autograd_mnist.py --data-dir ~/mnist --epochs 3   # the full IDX files
    python examples/autograd_mnist.py --cuda              # on the GPU (needs CuPy)

The function and its gradient, in brief::

    def f(params, x, y):                       # y: one-hot rows
        h = lg.tanh(x @ params['W1'] + lg.expand(params['b1'], n, hidden))
        scores = h @ params['W2'] + lg.expand(params['b2'], n, 10)
        return -lg.sum(lg.cmul(log_softmax(scores), y)) / n

    df = autograd(f, optimize=True)
    grads, loss = df(params, x, y)             # grads mirrors params: {'W1': ..., 'b1': ..., ...}

docs/autograd.md is the guide.
"""
import argparse
import math
import time

import legonn as lg  # before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py
import numpy as np
from legonn import autograd
from legonn.autograd import util

import mnist_data


def log_softmax(scores):
    """Row-wise log-softmax of an N x C tensor, written with legonn functions so autograd differentiates it
    (autograd.util.logSoftMax normalises over the whole tensor: one sample at a time)."""
    n, c = scores.size(0), scores.size(1)
    shifted = scores - lg.expand(lg.max(scores, 1)[0], n, c)        # the largest score out, for exp's range
    return shifted - lg.expand(lg.log(lg.sum(lg.exp(shifted), 1)), n, c)


def cross_entropy(scores, y):
    """The mean over the batch of -log softmax(scores) at the one-hot targets y (N x 10)."""
    return -lg.sum(lg.cmul(log_softmax(scores), y)) / scores.size(0)


def mlp_function(hidden, n_in=28 * 28, n_out=10):
    """``(forward, params)``: forward(params, x) is the scores (N x 10) of a tanh MLP on a batch x (N x 784);
    params its weights, uniform in +-1/sqrt(fan-in), and biases, 1 x n rows expanded over the batch."""
    def forward(params, x):
        n = x.size(0)
        h = lg.tanh(x @ params['W1'] + lg.expand(params['b1'], n, hidden))
        return h @ params['W2'] + lg.expand(params['b2'], n, n_out)

    params = {'W1': lg.Tensor(n_in, hidden).uniform(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)),
              'b1': lg.Tensor(1, hidden).zero(),
              'W2': lg.Tensor(hidden, n_out).uniform(-1 / math.sqrt(hidden), 1 / math.sqrt(hidden)),
              'b2': lg.Tensor(1, n_out).zero()}
    return forward, params


def nn_function(hidden, n_in=28 * 28, n_out=10):
    """``(forward, params)`` as mlp_function's, from autograd.nn's wrappers of nn modules: a wrapped module
    with weights comes with its parameters (a list: weight, bias), the others are plain functions."""
    params = {}
    linear1, params['linear1'] = autograd.nn.Linear(n_in, hidden)
    tanh = autograd.nn.Tanh()
    linear2, params['linear2'] = autograd.nn.Linear(hidden, n_out)

    def forward(params, x):
        return linear2(params['linear2'], tanh(linear1(params['linear1'], x)))
    return forward, params


def accuracy(forward, params, x, y, batch_size, to_tensor):
    """The fraction of the digits ``x`` whose largest score is their label ``y``."""
    right = 0
    for start in range(0, len(y), batch_size):
        scores = forward(params, to_tensor(np.ascontiguousarray(x[start:start + batch_size])))
        predicted = scores.float().max(1)[1].view(-1)     # float(): on the host, as cutorch
        right += int((predicted.numpy() == y[start:start + batch_size]).sum())
    return right / len(y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--model', choices=('function', 'nn'), default='function',
                        help='the MLP as a function of legonn calls, or from autograd.nn wrappers')
    parser.add_argument('--mode', choices=('optimized', 'direct'), default='optimized',
                        help="autograd's runtime: generated code per input signature, or a tape per call")
    parser.add_argument('--show-code', action='store_true', help='print the code optimized mode generates')
    parser.add_argument('--optimizer', choices=('adam', 'sgd', 'adagrad', 'rmsprop'), default='adam',
                        help='the autograd.optim optimiser')
    parser.add_argument('--hidden', type=int, default=128, help='hidden units')
    parser.add_argument('--epochs', type=int, default=3, help='passes over the training digits')
    parser.add_argument('--batch-size', type=int, default=50, help='digits per mini-batch')
    parser.add_argument('--lr', type=float, default=2e-3, help='learning rate')
    parser.add_argument('--seed', type=int, default=1, help='random seed')
    parser.add_argument('--data-dir', help='folder with the MNIST IDX files (%(default)s: the bundled subset)')
    parser.add_argument('--cuda', action='store_true', help='train on the GPU through CuPy')
    args = parser.parse_args(argv)

    lg.manualSeed(args.seed)
    x_train, y_train, x_test, y_test = mnist_data.load(args.data_dir, seed=args.seed)
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    forward, params = (mlp_function if args.model == 'function' else nn_function)(args.hidden)
    if args.cuda:
        params = util.cast(params, 'cuda')
    to_tensor = lg.CudaTensor if args.cuda else lg.FloatTensor
    one_hot = np.eye(10, dtype=np.float32)

    def f(params, x, y):
        return cross_entropy(forward(params, x), y)

    # grad(f): f's gradient with respect to its first argument, params; autograd.optim steps each parameter
    df = autograd(f, optimize=args.mode == 'optimized', showCode=args.show_code)
    step, _ = getattr(autograd.optim, args.optimizer)(df, {'learningRate': args.lr}, params)

    print(f"{args.model} MLP, {sum(p.nElement() for p in util.sortedFlatten(params))} parameters, "
          f"{args.mode} mode, {args.optimizer}; {len(y_train)} training and {len(y_test)} held-out digits")
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        order = rng.permutation(len(y_train))
        total, batches = 0.0, 0
        for first in range(0, len(order), args.batch_size):
            idx = order[first:first + args.batch_size]
            _, loss = step(to_tensor(np.ascontiguousarray(x_train[idx])), to_tensor(one_hot[y_train[idx]]))[:2]
            total += loss
            batches += 1
        acc = accuracy(forward, params, x_test, y_test, 500, to_tensor)
        print(f"epoch {epoch + 1}: train loss {total / batches:.4f}, held-out accuracy {acc * 100:.2f}%, "
              f"{time.perf_counter() - start:.1f}s")
    return acc


if __name__ == '__main__':
    main()
