"""Batch normalisation (Ioffe and Szegedy, 2015): BatchNormalization, SpatialBatchNormalization,
VolumetricBatchNormalization, with Torch7's running statistics and modes.

In training each feature (dimension 1) is normalised with the mean and biased
variance of the mini-batch (over the batch and any spatial axes), and the
running estimates move towards them: ``running_mean = momentum * mean +
(1 - momentum) * running_mean``, likewise ``running_var`` with the unbiased
variance. That holds for a batch of one image too (THNN's
BatchNormalization.c counts nElement / nInput values per feature, whatever the
batch size: pix2pix trains its U-net so, and fast-neural-style's
InstanceNormalization is a SpatialBatchNormalization over a batch of one). With
one value per feature in training (a single sample of BatchNormalization, or of
1x1 planes) the running estimates are used and left unchanged, as torch/nn's
last BatchNormalization.lua does for a batch of one (it hands THNN ``train and
input:size(1) > 1``; the unbiased variance would be 0/0 there). In evaluate
mode (``evaluate()``) the running estimates are used and left unchanged.

On NumPy float32 and float64 data the arithmetic is THNN's CPU code, pass for pass (``tensor/batch_norm_kernels``:
per-feature sums in double, the running estimates moved in double, features split over threads); CuPy data and
half floats take the array code below, which sums in the data's (or THCUNN's accumulation) type as cunn does.
"""

import contextlib

import numpy as np

from .base.errors import check_hyper, input_error
from .base.module import Module
from ..tensor import batch_norm_kernels, cuda_kernels
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import in_acctype, silent_mean


@contextlib.contextmanager
def _contiguous(*arrays):
    """C-contiguous stand-ins for the (C,) ``arrays`` the CPU kernels write (the arrays themselves, as a module
    keeps them), copied back on success into any that is not: a failed call leaves them as they were."""
    given = [np.ascontiguousarray(a) for a in arrays]
    yield given
    for own, written in zip(arrays, given):
        if written is not own:
            own[...] = written


class BatchNormalization(Module):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias`` per feature, on ``(batch, nOutput)``.

    ``BatchNormalization(nOutput, eps=1e-5, momentum=0.1, affine=True)``; ``affine=False`` drops ``weight``
    and ``bias``. ``weight`` starts uniform in [0, 1), ``bias`` at 0, ``running_mean`` at 0 and
    ``running_var`` at 1. In evaluate mode an input without the batch axis is accepted too.
    """

    def parameterSizes(self):
        features = self.running_mean._size[:1]   # nOutput: every per-feature tensor follows running_mean
        return {'running_mean': (None,), 'running_var': features, 'weight': features, 'bias': features}

    nDim = 2

    def __init__(self, nOutput, eps=1e-5, momentum=0.1, affine=True):
        super().__init__()
        name = type(self).__name__
        if nOutput == 0 and not isinstance(nOutput, bool):
            # nn's first BatchNormalization.lua (2015, lstm-char-cnn's LSTMTDNN.lua) read 0 as "no affine
            # transform"; today's asserts nOutput ~= 0 and takes affine=false
            raise ValueError(f"{name}: nOutput 0 (the 2015 nn's way to drop the affine transform) is refused as by "
                             f"today's nn: give the feature count and affine=False, {name}(n, None, None, False)")
        check_hyper(name, positive=dict(nOutput=nOutput))
        if not isinstance(affine, bool):
            raise ValueError(f"{name}: affine must be True or False, got {affine!r}")
        for what, v in (('eps', eps), ('momentum', momentum)):
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ValueError(f"{name}: {what} must be a non-negative number, got {v!r}")
        self.eps, self.momentum, self.affine = float(eps), float(momentum), affine
        self.running_mean = self.output.new(nOutput)
        self.running_var = self.output.new(nOutput)
        self.save_mean = self.output.new()
        self.save_std = self.output.new()      # Torch7's name; it holds 1 / sqrt(var + eps)
        self.weight = self.output.new(nOutput) if affine else None
        self.bias = self.output.new(nOutput) if affine else None
        self.gradWeight = self.output.new(nOutput) if affine else None
        self.gradBias = self.output.new(nOutput) if affine else None
        self.reset()

    def reset(self, stdv=None):
        if self.weight is not None:
            self.weight.uniform()
            self.bias.zero()
        self.running_mean.zero()
        self.running_var.fill(1)
        return self

    def _check(self, input, what='input'):
        """(input as (batch, features, rest) view, whether batch statistics are used)."""
        self.checkTensor(input, (self.nDim - 1, self.nDim) if not self.train else (self.nDim,), what)
        self.checkSameType(input, self.running_mean, what)
        is_batch = input.dim() == self.nDim
        n_feat = self.running_mean.size(0)
        feat_dim = 1 if is_batch else 0
        if input.size(feat_dim) != n_feat:
            raise input_error(self, f"{n_feat} features (dimension {feat_dim})",
                              f"{input.size(feat_dim)} ({what} of size {tuple(input.size())})")
        x = input.array if is_batch else input.array[None]
        x3 = in_acctype(x.reshape(x.shape[0], n_feat, -1))
        # one value per feature has no batch variance: BatchNormalization.lua's batch of one takes the running
        # estimates then (a batch of one image with larger planes keeps its own statistics, as THNN computes them)
        return x3, self.train and x3.shape[0] * x3.shape[2] > 1

    def _running(self, xp, exact):
        """The running estimates as (mean, 1/sqrt(var + eps)), (features,) arrays. ``exact``: THNN's CPU
        arithmetic, ``1 / sqrt(var + eps)`` in double rounded once; else in the sum type, as THCUNN's inference and
        backward kernels read the running estimates."""
        var = self.running_var.array
        invstd = (1 / np.sqrt(var.astype(np.float64) + self.eps)).astype(var.dtype) if exact else \
            1 / xp.sqrt(in_acctype(var) + self.eps)
        return in_acctype(self.running_mean.array), invstd

    def _keep(self, mean=None, invstd=None):
        """save_mean and save_std sized for the last forward's statistics, and set to ``mean`` and ``invstd`` unless
        None (a kernel that writes them itself). BatchNormalization.lua sizes them on every forward; THNN fills them
        only from a batch and leaves whatever memory held otherwise: here they hold the running estimates used
        instead."""
        self.save_mean.resize(self.running_mean.size(0))
        self.save_std.resize(self.running_mean.size(0))
        if mean is not None:
            self.save_mean.array[...] = mean
            self.save_std.array[...] = invstd

    def _stats(self, xp, x3, batch_stats):
        """(mean, 1/sqrt(var + eps)) as (features, 1) arrays, by the array code; batch ones update the running
        estimates."""
        if not batch_stats:
            mean, invstd = self._running(xp, False)
            self._keep(mean, invstd)
            return mean[:, None], invstd[:, None]
        m = x3.shape[0] * x3.shape[2]
        mean = silent_mean(xp, x3, (0, 2))
        var_sum = ((x3 - mean[:, None]) ** 2).sum(axis=(0, 2))
        if self.eps == 0:   # THNN: a feature constant over the batch gets invstd 0 (its output is the bias), not inf
            spread = var_sum > 0
            invstd = xp.where(spread, 1 / xp.sqrt(xp.where(spread, var_sum, 1) / m), 0)
        else:
            invstd = 1 / xp.sqrt(var_sum / m + self.eps)
        self.running_mean.array[...] = self.momentum * mean + (1 - self.momentum) * self.running_mean.array
        unbiased = var_sum / (m - 1)
        self.running_var.array[...] = self.momentum * unbiased + (1 - self.momentum) * self.running_var.array
        self._keep(mean, invstd)
        return mean[:, None], invstd[:, None]

    def _saved(self, xp, batch_stats, exact=False):
        """(mean, 1/sqrt(var + eps)) of the last forward as (features,) arrays in the sum type: THCUNN's backward
        reads save_mean and save_std as Acctype (a half invstd squared overflows from 256 on); the running
        estimates outside training, as ``_running`` gives them."""
        if not batch_stats:
            return self._running(xp, exact)
        if self.save_mean.nElement() != self.running_mean.nElement():
            raise input_error(self, "a forward call before backward (no saved batch statistics)", "none")
        return in_acctype(self.save_mean.array), in_acctype(self.save_std.array)

    def _affine(self):
        return (None, None) if self.weight is None else (self.weight.array, self.bias.array)

    @staticmethod
    def _kernels(input):
        """Which kernels compute on the input's data: 'cpu' (``batch_norm_kernels``, NumPy float32/float64), 'cuda'
        (``cuda_kernels``' batch_norm RawKernels, CuPy float32/float64) or None (the array code: half floats, and
        CuPy with LEGONN_GENERIC_KERNELS=1)."""
        if batch_norm_kernels.takes(input.array):
            return 'cpu'
        return 'cuda' if cuda_kernels.batch_norm_applies(input.array) else None

    def updateOutput(self, input):
        x3, batch_stats = self._check(input)
        out3 = self.bufferLike('output', input).reshape(x3.shape)
        kernels = self._kernels(input)
        if kernels == 'cpu':
            self._cpu_forward(np.ascontiguousarray(x3), batch_stats, out3)
        elif kernels == 'cuda':
            self._keep()
            cuda_kernels.batch_norm_forward(x3, *self._affine(), batch_stats, self.eps, self.momentum,
                                            self.running_mean.array, self.running_var.array, self.save_mean.array,
                                            self.save_std.array, out3)
        else:
            mean, invstd = self._stats(input.xp, x3, batch_stats)
            scale = invstd if self.weight is None else invstd * self.weight.array[:, None]
            input.xp.multiply(x3 - mean, scale, out=out3)
            if self.bias is not None:
                out3 += self.bias.array[:, None]
        return self.output

    def _cpu_forward(self, x3, batch_stats, out3):
        """updateOutput on NumPy float32/float64 data: THNN's arithmetic (``batch_norm_kernels``), the running
        estimates moved in double as BatchNormalization.c moves them."""
        weight, bias = self._affine()
        if not batch_stats:
            mean, invstd = self._running(np, True)
            self._keep(mean, invstd)
            batch_norm_kernels.normalize(x3, mean, invstd, weight, bias, out3)
            return
        self._keep()
        with _contiguous(self.running_mean.array, self.running_var.array, self.save_mean.array,
                         self.save_std.array) as (running_mean, running_var, mean, invstd):
            batch_norm_kernels.forward_train(x3, weight, bias, self.eps, self.momentum, running_mean, running_var,
                                             out3, mean, invstd)

    def backward(self, input, gradOutput=None, scale=1):
        """``updateGradInput`` then ``accGradParameters``, as Module's; where kernels compute, updateGradInput adds
        the parameter gradients too, from the same pass over gradOutput (BatchNormalization.lua's backward makes one
        THNN call for the three gradients). During this call ``_jointScale`` is the scale they take, and
        ``_jointGradOutput`` the gradOutput whose parameter gradients were added (accGradParameters then adds
        nothing for it; called apart, each method does its own part)."""
        with self._during_backward(_jointScale=scale, _jointGradOutput=None):
            return super().backward(input, gradOutput, scale)

    def _kernel_backward(self, kernels, x3, batch_stats, gradOutput, grad_in, scale):
        """gradInput into ``grad_in`` unless None, and ``scale`` times the parameter gradients added unless
        ``scale`` is None, by the ``kernels`` ('cpu' or 'cuda')."""
        weight = self._affine()[0]
        if kernels == 'cpu':
            mean, invstd = self._saved(np, batch_stats, exact=True)
            go3 = np.ascontiguousarray(gradOutput.array.reshape(x3.shape))
            x3 = np.ascontiguousarray(x3)
            if scale is None:
                batch_norm_kernels.backward(x3, go3, mean, invstd, weight, batch_stats, grad_in)
                return
            with _contiguous(self.gradWeight.array, self.gradBias.array) as (grad_weight, grad_bias):
                batch_norm_kernels.backward(x3, go3, mean, invstd, weight, batch_stats, grad_in, grad_weight,
                                            grad_bias, scale)
            return
        if batch_stats:
            (mean, spread), spread_is_var = self._saved(cuda_kernels.cupy(), True), False
        else:   # the kernel works invstd out of the running variance itself
            mean, spread, spread_is_var = self.running_mean.array, self.running_var.array, True
        params = (None, None) if scale is None else (self.gradWeight.array, self.gradBias.array)
        cuda_kernels.batch_norm_backward(x3, gradOutput.array.reshape(x3.shape), mean, spread, spread_is_var,
                                         self.eps, weight, batch_stats, grad_in, 0 if scale is None else scale,
                                         *params)

    def updateGradInput(self, input, gradOutput):
        x3, batch_stats = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        gi = self.bufferLike('gradInput', input).reshape(x3.shape)
        kernels = self._kernels(input)
        if kernels is not None:
            joint = self.__dict__.get('_jointScale') if self.weight is not None else None
            if joint is not None:   # accGradParameters' own check, as its part now runs here
                self.checkParameterGradients()
            self._kernel_backward(kernels, x3, batch_stats, gradOutput, gi, joint)
            if joint is not None:
                self._jointGradOutput = gradOutput
            return self.gradInput
        mean, invstd = self._saved(input.xp, batch_stats)
        mean, invstd = mean[:, None], invstd[:, None]
        go = in_acctype(gradOutput.array.reshape(x3.shape))
        w = invstd if self.weight is None else invstd * self.weight.array[:, None]
        if batch_stats:
            m = x3.shape[0] * x3.shape[2]
            centred = x3 - mean
            dotp = (go * centred).sum(axis=(0, 2))[:, None]
            grad_mean = go.sum(axis=(0, 2))[:, None] / m
            gi[...] = (go - grad_mean - centred * (dotp * invstd ** 2 / m)) * w
        else:
            input.xp.multiply(go, w, out=gi)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        if self.weight is None or (gradOutput is not None and self.__dict__.get('_jointGradOutput') is gradOutput):
            return
        x3, batch_stats = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        kernels = self._kernels(input)
        if kernels is not None:
            self._kernel_backward(kernels, x3, batch_stats, gradOutput, None, scale)
            return
        mean, invstd = self._saved(input.xp, batch_stats)
        go = in_acctype(gradOutput.array.reshape(x3.shape))
        self.gradWeight.array += scale * ((go * (x3 - mean[:, None])).sum(axis=(0, 2)) * invstd)
        self.gradBias.array += scale * go.sum(axis=(0, 2))

    def clearState(self):
        return super().clearState('save_mean', 'save_std')

    def __repr__(self):
        return f"{lua_typename(self)} ({self.nDim}D) ({self.running_mean.nElement()})"

class SpatialBatchNormalization(BatchNormalization):
    """BatchNormalization per plane of ``(batch, nOutput, H, W)`` (statistics over batch, H and W)."""

    nDim = 4

class VolumetricBatchNormalization(BatchNormalization):
    """BatchNormalization per plane of ``(batch, nOutput, T, H, W)`` (statistics over batch, T, H and W)."""

    nDim = 5
