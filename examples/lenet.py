"""Train LeNet-5 on MNIST the Torch7 way: getParameters, a feval closure, optim.sgd.

    python examples/lenet.py                    # bundled 5,000-digit subset, 1,000 held out
    python examples/lenet.py --data-dir ~/mnist --epochs 3   # the full IDX files
    python examples/lenet.py --cuda             # on the GPU (needs CuPy)
    python examples/lenet.py --donkeys 2        # 2 data-loading donkeys read augmented digits from disk
    python examples/lenet.py --resume out/lenet/checkpoint.lg --epochs 8   # go on from a checkpoint
    mpiexec -n 2 python examples/lenet.py --distributed   # data-parallel over 2 MPI processes (examples/data_parallel.py)

conv 1->20 5x5, ReLU, max-pool 2, conv 20->50 5x5, ReLU, max-pool 2,
Linear 800->500, ReLU, Linear 500->10, LogSoftMax; ClassNLLCriterion.
The model structure is printed and written to ``--structure`` (text).
"""
import argparse
import os
import time

import legonn as lg  # before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py
import numpy as np
from legonn import nn

import checkpoint as checkpoints
import data_parallel
import mnist_data
from mnist import add_training_args, fit, on_device  # the Torch7 loop


def lenet():
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(1, 20, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.SpatialConvolution(20, 50, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.View(50 * 4 * 4))
    model.add(nn.Linear(800, 500)).add(nn.ReLU())
    model.add(nn.Linear(500, 10)).add(nn.LogSoftMax())
    # the first layer needs no gradient with respect to the images (Torch7's `gradInput = nil` idiom)
    model.modules[0].gradInput = None
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_training_args(parser, epochs=5, lr=0.1, log_dir='out/lenet')
    parser.add_argument('--structure', default=os.path.join('out', 'lenet_structure.txt'),
                        help='text file to write the model structure to')
    parser.add_argument('--donkeys', type=int, default=None,
                        help='load augmented mini-batches from image files with N donkey processes '
                             '(examples/donkeys.py; 0 loads them inline; the bundled subset only)')
    parser.add_argument('--distributed', action='store_true',
                        help='data-parallel under mpiexec -n N (legonn[mpi]), N donkey pools with --donkeys; '
                             '--batch-size stays the global batch')
    args = parser.parse_args(argv)
    replicas = data_parallel.Replicas(args.distributed)
    if args.donkeys is not None and args.data_dir:
        parser.error('--donkeys reads the bundled subset written out as image files; drop --data-dir')

    lg.manualSeed(args.seed)
    x_train, y_train, x_test, y_test = mnist_data.load(args.data_dir, seed=args.seed)
    x_train, x_test = x_train[:, None], x_test[:, None]   # one input plane
    rng = np.random.default_rng(args.seed)
    config = {'learningRate': args.lr, 'momentum': args.momentum, 'learningRateDecay': 1e-4}
    history, first_epoch = [], 0
    if args.resume:
        model, config, history, first_epoch = checkpoints.resume(args.resume, rng)
    else:
        model = lenet()
    criterion = nn.ClassNLLCriterion()
    config, xp = on_device(model, criterion, config, args.cuda)
    replicas.print(model)
    if replicas.root:
        os.makedirs(os.path.dirname(args.structure) or '.', exist_ok=True)
        with open(args.structure, 'w') as f:
            f.write(repr(model) + '\n')
    params, grad_params = model.getParameters()
    replicas.synchronize(params)
    replicas.print(f"{params.nElement()} parameters; {len(y_train)} training and {len(y_test)} held-out digits"
                   f"{f'; {replicas.size} processes' if replicas.size > 1 else ''}")

    start_time = time.perf_counter()
    loader = None
    if args.donkeys is not None:
        import donkeys
        paths, labels, x_test, y_test = replicas.root_first(donkeys.prepare_cache, seed=args.seed)
        x_test = x_test[:, None]
        loader = donkeys.DonkeyLoader(paths, labels, args.batch_size, args.donkeys, seed=args.seed,
                                      rank=replicas.rank, size=replicas.size)

    def batches(epoch):
        """(inputs, targets) mini-batches: from the donkeys, or sliced from the arrays in memory."""
        if loader is not None:
            yield from loader.batches(epoch)
            return
        yield from replicas.batches(rng.permutation(len(y_train)), args.batch_size, x_train, y_train)

    history = fit(args, model, criterion, params, grad_params, config, xp, rng, history, first_epoch, batches,
                  len(y_train), x_test, y_test, replicas, start_time)
    if loader is not None:
        loader.close()
    return history


if __name__ == '__main__':
    main()
