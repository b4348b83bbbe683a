"""Value preprocessing: ``rescale`` and ``binarize`` (utils.lua) and ``fitImageNormalize`` (preprocess.lua)."""
import os
import time

from ..serialization import load, save
from ..tensor import DoubleTensor, Tensor
from ..tensor.functions import tensor_argument


def rescale(data, min, max, dmin=None, dmax=None):
    """Map ``data`` linearly, in place, from ``[dmin, dmax]`` (default: its own min and max) to ``[min, max]``;
    returns it. The steps are Torch7's: subtract ``dmin``, multiply by ``max - min``, multiply by
    ``1 / (dmax - dmin)``, add ``min``, each in ``data``'s type."""
    data = tensor_argument('dataload.rescale', 'data', data)
    dmin = data.min() if dmin is None else dmin
    dmax = data.max() if dmax is None else dmax
    if dmax == dmin:
        raise ValueError(f"dataload.rescale: the data range is empty (dmin = dmax = {dmin})")
    return data.add(-dmin).mul(max - min).mul(1 / (dmax - dmin)).add(min)


def binarize(x, threshold):
    """In place: values below ``threshold`` become 0, then values at or above it become 1; returns ``x``."""
    x = tensor_argument('dataload.binarize', 'x', x)
    x[x.lt(threshold)] = 0
    x[x.ge(threshold)] = 1
    return x


def fitImageNormalize(trainset, nsample=10000, cachepath=None, verbose=False, dim=1, iterator='sampleiter'):
    """A function normalising batches in place per channel: ``inputs.select(dim, c).add(-mean[c]).div(std[c])``
    (``dim`` 0-based: Torch7's default 2 is 1, the channels of ``batch x c x h x w``). ``mean``/``std`` are the
    per-batch channel means and (unbiased) deviations averaged over ``trainset``'s ``iterator`` (``'sampleiter'``
    or ``'subiter'``) with batches of ``min(32, nsample)``, ``nsample`` samples in all; as the Lua, the sums are
    scaled by ``32 / nsample`` (exact when ``nsample`` is a multiple of 32). When ``cachepath`` names a file,
    they are read from it (``legonn.load``); else they are estimated and saved there (``legonn.save``)."""
    if iterator not in ('sampleiter', 'subiter'):
        raise ValueError(f"dataload.fitImageNormalize: iterator must be 'sampleiter' or 'subiter', got {iterator!r}")
    if cachepath and os.path.isfile(cachepath):
        meanstd = load(cachepath)
        mean, std = meanstd['mean'], meanstd['std']
        if verbose:
            print('Loaded mean and std from cache.')
    else:
        began = time.time()
        if verbose:
            print(f'Estimating the mean,std (per-channel, shared for all pixels) over {nsample} randomly sampled '
                  'training images')
        mean = std = None
        for _, inputs, _ in getattr(trainset, iterator)(min(32, nsample), nsample):
            if not isinstance(inputs, Tensor):
                raise TypeError(f"dataload.fitImageNormalize: expected batches of inputs as one tensor, got "
                                f"{type(inputs).__name__}")
            if mean is None:
                mean, std = DoubleTensor(inputs.size(dim)).zero(), DoubleTensor(inputs.size(dim)).zero()
            for c in range(inputs.size(dim)):
                channel = inputs.select(dim, c)
                mean[c] = mean[c] + channel.mean()
                std[c] = std[c] + channel.std()
        mean.mul(32).div(nsample)
        std.mul(32).div(nsample)
        if cachepath:
            save(cachepath, {'mean': mean, 'std': std})
        if verbose:
            print('Time to estimate:', time.time() - began)
    if verbose:
        print('Mean: ', mean)
        print('Std:', std)

    def ppf(inputs):
        """``inputs`` normalised in place per channel along ``dim``; returns it."""
        for c in range(inputs.size(dim)):
            inputs.select(dim, c).add(-float(mean[c])).div(float(std[c]))
        return inputs

    if verbose:
        inputs = trainset.sub(0, 99)[0]
        ppf(inputs)
        print(f'Stats of 100 randomly sampled images after normalizing. Mean: {inputs.mean()} Std: {inputs.std()}')
    return ppf
