"""Train an MLP (or logistic regression) on MNIST the Torch7 way: getParameters,
a feval closure, optim.sgd, a hand-written loop.

    python examples/mnist.py                  # MLP on the bundled 5,000-digit subset
    python examples/mnist.py --model logreg
    python examples/mnist.py --data-dir ~/mnist --epochs 5   # the full IDX files
    python examples/mnist.py --cuda           # on the GPU (needs CuPy)
"""
import argparse
import os
import sys
import time

import numpy as np
from tqdm import tqdm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import legonn as lg  # noqa: E402
from legonn import nn, optim  # noqa: E402

import mnist_data  # noqa: E402


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', choices=('mlp', 'logreg'), default='mlp')
    parser.add_argument('--hidden', type=int, default=256)
    parser.add_argument('--epochs', type=int, default=12)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--lr', type=float, default=0.05)
    parser.add_argument('--momentum', type=float, default=0.9)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--data-dir', help='folder with the MNIST IDX files (default: the bundled subset)')
    parser.add_argument('--cuda', action='store_true', help='train on the GPU through CuPy')
    parser.add_argument('--log-dir', default='out/mnist', help='where the training log and its curve go')
    args = parser.parse_args(argv)

    lg.manualSeed(args.seed)
    x_train, y_train, x_test, y_test = mnist_data.load(args.data_dir, seed=args.seed)
    model = build(args.model, args.hidden)
    criterion = nn.ClassNLLCriterion()
    xp = np
    if args.cuda:
        model.cuda()
        criterion.cuda()
        xp = lg.tensor.backend.cupy()
    print(model)
    params, grad_params = model.getParameters()
    print(f"{params.nElement()} parameters; {len(y_train)} training and {len(y_test)} held-out digits")

    config = {'learningRate': args.lr, 'momentum': args.momentum, 'dampening': 0, 'learningRateDecay': 1e-3}
    logger = optim.Logger(os.path.join(args.log_dir, 'train.log'))
    logger.setNames(['train loss', 'held-out error %'])
    rng = np.random.default_rng(args.seed)
    start_time = time.perf_counter()
    for epoch in range(args.epochs):
        order = rng.permutation(len(y_train))
        total_loss, batches = 0.0, 0
        bar = tqdm(range(0, len(order), args.batch_size), desc=f'epoch {epoch + 1}/{args.epochs}',
                   leave=False, unit='batch')
        for start in bar:
            idx = order[start:start + args.batch_size]
            inputs, targets = xp.asarray(x_train[idx]), xp.asarray(y_train[idx])

            def feval(_):
                grad_params.zero()
                output = model.forward(inputs)
                loss = criterion.forward(output, targets)
                model.backward(inputs, criterion.backward(output, targets))
                return loss, grad_params

            _, (loss,) = optim.sgd(feval, params, config)
            total_loss += loss
            batches += 1
            bar.set_postfix(loss=f'{total_loss / batches:.4f}')
        confusion = evaluate(model, x_test, y_test, 500, xp)
        acc = confusion.totalValid
        logger.add([total_loss / batches, 100 * (1 - acc)])
        print(f"epoch {epoch + 1}: train loss {total_loss / batches:.4f}, held-out accuracy {acc * 100:.2f}%, "
              f"{time.perf_counter() - start_time:.1f}s")
    print(confusion)
    print(f"training curve: {logger.plot()}")
    return acc


if __name__ == '__main__':
    main()
