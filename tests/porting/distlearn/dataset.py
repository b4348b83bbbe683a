"""A stand-in for twitter-archive/torch-dataset's ``Dataset`` (not part of distlearn, not ported): the few calls
distlearn's examples make, over the 5,000 MNIST digits shipped in examples/data/mnist_5k.npz (CC BY-SA 3.0,
Y. LeCun, C. Cortes and C. Burges) instead of the URL's 60,000, padded to 32x32 as torch.data's mnist.t7 holds
them. ``Dataset(url, {'partition': p, 'partitions': n})`` keeps every n-th digit from the p-th (0-based) of the
first ``DIGITS`` of a seeded shuffle; ``sampledBatcher({...})`` gives ``(getBatch, numBatches)`` as torch-dataset:
``getBatch()`` a dict with ``input`` (batchSize x inputDims, filled by the ``processor``), ``target`` (0-based
labels) and ``batchSize``, drawing a fresh permutation each pass.

A URL ending in ``.csv`` (examples/cifar10.lua's CIFAR-10 training.csv of PNG files) gives ``DIGITS`` synthetic
3x32x32 colour images of 10 classes (a class's colour plus noise), each handed to the ``processor`` as the PNG
file's bytes (``bytes``, as Lua's string of them), with ``samplerKind = 'label-uniform'`` drawing a class
uniformly (among those of the partition), then an image of it."""
import os

import numpy as np

import legonn as torch

DIGITS = 5000
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'examples', 'data', 'mnist_5k.npz')


def _cifar_standin(url, opt):
    rng = np.random.default_rng(0)
    y = np.arange(DIGITS) % 10
    colours = rng.uniform(0, 1, (10, 3, 1, 1))
    x = np.clip(colours[y] + rng.normal(0, 0.2, (DIGITS, 3, 32, 32)), 0, 1).astype(np.float32)
    part = slice(opt.get('partition', 0), None, opt.get('partitions', 1))
    x, y = x[part], y[part]

    class Set:
        @staticmethod
        def sampledBatcher(bopt):
            from legonn import image
            batchSize = bopt['batchSize']

            def getBatch():
                input = torch.FloatTensor(batchSize, *bopt['inputDims'])
                present = np.unique(y)   # the classes this partition holds
                labels = [present[int(torch.random(0, len(present)))] for _ in range(batchSize)]
                target = np.empty(batchSize, np.float32)
                for b, label in enumerate(labels):
                    of_class = np.flatnonzero(y == label)
                    i = of_class[int(torch.random(0, len(of_class)))]
                    png = image.compressPNG(torch.FloatTensor(x[i])).storage().tolist()
                    bopt['processor'](bytes(png), bopt, input[b])
                    target[b] = label
                out = {'input': input, 'target': torch.FloatTensor(target), 'batchSize': batchSize}
                return {k: (v.cuda() if bopt.get('cuda') and k != 'batchSize' else v) for k, v in out.items()}
            return getBatch, lambda: len(y) // batchSize
    return Set()


def Dataset(url, opt):
    if url.endswith('.csv'):
        return _cifar_standin(url, opt)
    with np.load(DATA) as data:
        order = np.random.default_rng(0).permutation(len(data['y']))[:DIGITS]
        x, y = data['x'][order], data['y'][order]
    part = slice(opt.get('partition', 0), None, opt.get('partitions', 1))
    x = np.pad(x[part], ((0, 0), (2, 2), (2, 2))).astype(np.float32) / 255
    y = y[part].astype(np.int64)

    class Set:
        @staticmethod
        def sampledBatcher(bopt):
            batchSize = bopt['batchSize']
            numBatches = len(y) // batchSize
            state = {'order': None, 'next': 0}

            def getBatch():
                if state['order'] is None or state['next'] + batchSize > len(y):
                    state['order'], state['next'] = torch.randperm(len(y)).long().numpy(), 0
                idx = state['order'][state['next']:state['next'] + batchSize]
                state['next'] += batchSize
                input = torch.FloatTensor(batchSize, *bopt['inputDims'])
                for b, i in enumerate(idx):
                    bopt['processor'](torch.FloatTensor(x[i]), bopt, input[b])
                return {'input': input, 'target': torch.FloatTensor(y[idx].astype(np.float32)), 'batchSize': batchSize}
            return getBatch, lambda: numBatches
    return Set()
