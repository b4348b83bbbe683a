"""A stand-in for twitter-archive/torch-dataset's ``Dataset`` (not part of distlearn, not ported): the few calls
distlearn's examples make, over the 5,000 MNIST digits shipped in examples/data/mnist_5k.npz (CC BY-SA 3.0,
Y. LeCun, C. Cortes and C. Burges) instead of the URL's 60,000, padded to 32x32 as torch.data's mnist.t7 holds
them. ``Dataset(url, {'partition': p, 'partitions': n})`` keeps every n-th digit from the p-th (0-based) of the
first ``DIGITS`` of a seeded shuffle; ``sampledBatcher({...})`` gives ``(getBatch, numBatches)`` as torch-dataset:
``getBatch()`` a dict with ``input`` (batchSize x inputDims, filled by the ``processor``), ``target`` (0-based
labels) and ``batchSize``, drawing a fresh permutation each pass."""
import os

import numpy as np

import legonn as torch

DIGITS = 5000
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'examples', 'data', 'mnist_5k.npz')


def Dataset(url, opt):
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
