"""Data-loading donkeys, the Torch7 ImageNet-example pattern: N workers read
mini-batches of image files from disk, decode and augment them, and hand them
to the training loop through ``addjob`` ending callbacks while it trains.

    python examples/donkeys.py                      # 2 donkeys (processes), small convnet, 3 epochs
    python examples/donkeys.py --donkeys 0          # load inline in the training loop, for comparison
    python examples/donkeys.py --backend thread     # donkeys as threads of this process
    python examples/donkeys.py --mode load          # only load (no training): the loading cost alone
    python examples/donkeys.py --mode train         # only train on pre-loaded batches: the compute alone

The bundled MNIST subset is written once as one binary PGM file per digit in
``--cache`` (``<index>_<label>.pgm``, by ``image.savePGM``). A donkey job reads a
batch of files (``image.load``, as the Torch7 example's donkey.lua reads its
images), shifts each digit by up to 2 pixels and rotates it by up to 10
degrees (nearest neighbour, in NumPy over the whole batch: ``image.rotate`` and
``image.translate`` per 28x28 digit made loading 0.14 -> 0.56 s an epoch, as
long as training, which two donkeys on two cores could not hide). The progress
bar shows the time the training loop spent waiting for data against the time
it spent computing.

For other scripts: ``DonkeyLoader(files, labels, batch_size, ndonkeys).batches(epoch)``
yields ``(inputs, targets)`` mini-batches, loaded ahead by the donkeys.
"""
import argparse
import collections
import os
import time

from tqdm import tqdm

import legonn as lg  # before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py
import numpy as np
from legonn import image, nn, optim, paths, threads
from legonn.distributed import DistributedSampler

import mnist_data

DEFAULT_CACHE = os.path.join(os.environ.get('XDG_CACHE_HOME', os.path.expanduser('~/.cache')), 'legonn',
                             'mnist-pgm')


# --- files on disk -----------------------------------------------------------------------------
def prepare_cache(cache_dir=DEFAULT_CACHE, n_test=1000, seed=0):
    """Write the bundled training digits as PGM files once; (train paths, train labels, x_test, y_test)."""
    x_train, y_train, x_test, y_test = mnist_data.load(n_test=n_test, seed=seed)
    folder = paths.concat(cache_dir, f'seed{seed}-test{n_test}')
    files = [paths.concat(folder, f'{i:05d}_{int(label)}.pgm') for i, label in enumerate(y_train)]
    if not (paths.filep(files[0]) and paths.filep(files[-1])):
        os.makedirs(folder, exist_ok=True)
        for path, digit in zip(files, x_train):
            image.savePGM(path + '.part.pgm', lg.ByteTensor(np.rint(digit * 255).astype(np.uint8)))
            os.replace(path + '.part.pgm', path)     # a killed run leaves no half-written digit
    return files, y_train, x_test, y_test


# --- the donkey's job --------------------------------------------------------------------------
def augment(images, rng, max_shift=2, max_degrees=10.0):
    """Shift each image by up to ``max_shift`` pixels and rotate it by up to ``max_degrees`` (nearest neighbour)."""
    n, h, w = images.shape
    angle = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n))
    shift = rng.integers(-max_shift, max_shift + 1, (n, 2))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    # inverse mapping: where each output pixel comes from in the source image
    sy = cos * (yy - cy) - sin * (xx - cx) + cy - shift[:, 0, None, None]
    sx = sin * (yy - cy) + cos * (xx - cx) + cx - shift[:, 1, None, None]
    iy, ix = np.rint(sy).astype(np.intp), np.rint(sx).astype(np.intp)
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    n_idx = np.broadcast_to(np.arange(n)[:, None, None], iy.shape)
    out = np.zeros_like(images)
    out[inside] = images[n_idx[inside], iy[inside], ix[inside]]
    return out


def load_batch(files, labels, seed, augmented=True):
    """The donkey job: read and decode each file (image.load: floats in [0, 1]), (augment the batch); returns
    (inputs (B,1,28,28), targets) as arrays."""
    images = np.stack([image.load(path, 1, 'float').numpy()[0] for path in files])
    if augmented:
        images = augment(images, np.random.default_rng(seed))
    return images[:, None], np.asarray(labels, dtype=np.int64)


class DonkeyLoader:
    """Mini-batches of image files, loaded ahead by ``ndonkeys`` workers (0: inline in the caller).

    ``batches(epoch)`` yields ``(inputs, targets)`` in a fixed shuffled order
    per epoch; ``run_epoch(epoch, train_batch)`` is the Torch7 form, calling
    ``train_batch(inputs, targets)`` from the ending callbacks. As rank ``rank``
    of ``size`` data-parallel processes it loads only this rank's share of each
    mini-batch (legonn.distributed.DistributedSampler).
    """

    def __init__(self, files, labels, batch_size, ndonkeys=2, backend='process', augmented=True, seed=0,
                 rank=0, size=1):
        self.files, self.labels = list(files), np.asarray(labels)
        self.batch_size, self.augmented, self.seed = batch_size, augmented, seed
        self.sampler = DistributedSampler(len(self.files), batch_size, rank, size, seed)
        self.pool = threads.Threads(ndonkeys, backend=backend) if ndonkeys > 0 else None

    def __len__(self):
        return len(self.sampler)

    def _jobs(self, epoch):
        # the ranks' shares of a batch draw their augmentations from different streams
        rank = (self.sampler.rank,) if self.sampler.size > 1 else ()
        for b, (idx, _) in enumerate(self.sampler.batches(epoch)):
            yield ([self.files[i] for i in idx], self.labels[idx].tolist(), (self.seed, epoch, b) + rank,
                   self.augmented)

    def run_epoch(self, epoch, train_batch):
        for args in self._jobs(epoch):
            if self.pool is None:
                train_batch(*load_batch(*args))
            else:
                self.pool.addjob(load_batch, train_batch, *args)
        if self.pool is not None:
            self.pool.synchronize()

    def batches(self, epoch):
        if self.pool is None:
            for args in self._jobs(epoch):
                yield load_batch(*args)
            return
        ready = collections.deque()
        for args in self._jobs(epoch):
            self.pool.addjob(load_batch, lambda x, y: ready.append((x, y)), *args)
            while ready:
                yield ready.popleft()
        while self.pool.hasjob() or ready:
            if not ready:
                self.pool.dojob()
            while ready:
                yield ready.popleft()

    def close(self):
        if self.pool is not None:
            self.pool.terminate()


# --- training ------------------------------------------------------------------------------------
def convnet():
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(1, 8, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.SpatialConvolution(8, 16, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.View(16 * 4 * 4)).add(nn.Linear(16 * 4 * 4, 10)).add(nn.LogSoftMax())
    return model


def accuracy(model, x, y, batch_size=500):
    model.evaluate()
    correct = sum(int((model.forward(x[s:s + batch_size, None]).array.argmax(1) == y[s:s + batch_size]).sum())
                  for s in range(0, len(y), batch_size))
    model.training()
    return correct / len(y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--donkeys', type=int, default=2, help='loading workers (0: load inline)')
    parser.add_argument('--backend', choices=('process', 'thread'), default='process',
                        help='donkeys as processes or threads')
    parser.add_argument('--mode', choices=('both', 'load', 'train'), default='both',
                        help="'load': only load the batches; 'train': only train, on batches loaded beforehand")
    parser.add_argument('--epochs', type=int, default=3, help='passes over the training digits')
    parser.add_argument('--batch-size', type=int, default=32, help='digits per mini-batch')
    parser.add_argument('--lr', type=float, default=0.05, help='SGD learning rate')
    parser.add_argument('--seed', type=int, default=1, help='random seed')
    parser.add_argument('--cache', default=DEFAULT_CACHE, help='folder for the PGM files')
    parser.add_argument('--no-augment', action='store_true', help='load the digits without random shifts')
    args = parser.parse_args(argv)

    threads.set_blas_threads(1)    # the donkeys have the other core
    lg.manualSeed(args.seed)
    files, labels, x_test, y_test = prepare_cache(args.cache)
    loader = DonkeyLoader(files, labels, args.batch_size, args.donkeys if args.mode != 'train' else 0,
                          args.backend, not args.no_augment, args.seed)
    model, criterion = convnet(), nn.ClassNLLCriterion()
    params, grad_params = model.getParameters()
    config = {'learningRate': args.lr, 'momentum': 0.9, 'dampening': 0}
    print(f"{len(files)} training digits in {args.cache}; {args.donkeys} donkeys ({args.backend}); "
          f"mode {args.mode}; {params.nElement()} parameters")

    def train_batch(inputs, targets):
        def feval(_):
            grad_params.zero()
            output = model.forward(inputs)
            loss = criterion.forward(output, targets)
            model.backward(inputs, criterion.backward(output, targets))
            return loss, grad_params
        return optim.sgd(feval, params, config)[1][0]

    epoch_times = []
    try:
        for epoch in range(args.epochs):
            source = loader.batches(epoch)
            if args.mode == 'train':
                source = list(source)    # loaded before the clock starts
            start = time.perf_counter()
            wait = compute = loss = 0.0
            bar = tqdm(total=len(loader), desc=f'epoch {epoch + 1}/{args.epochs}', unit='batch', leave=False,
                       disable=None)   # no bar when stderr is not a terminal
            tick = time.perf_counter()
            for n, (inputs, targets) in enumerate(source, 1):
                got = time.perf_counter()
                wait += got - tick
                if args.mode != 'load':
                    loss += train_batch(inputs, targets)
                tick = time.perf_counter()
                compute += tick - got
                bar.update()
                bar.set_postfix_str(f'data wait {wait:.1f}s, compute {compute:.1f}s, loss {loss / n:.3f}')
            bar.close()
            epoch_times.append(time.perf_counter() - start)
            line = f"epoch {epoch + 1}: {epoch_times[-1]:.2f}s (data wait {wait:.2f}s, compute {compute:.2f}s)"
            if args.mode != 'load':
                line += f", train loss {loss / n:.4f}, held-out accuracy {accuracy(model, x_test, y_test) * 100:.2f}%"
            print(line)
    finally:
        loader.close()
    return epoch_times


if __name__ == '__main__':
    main()
