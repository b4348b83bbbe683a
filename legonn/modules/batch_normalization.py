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
"""

from .base.errors import check_hyper, input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import in_acctype, silent_mean

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

    def _stats(self, xp, x3, batch_stats):
        """(mean, 1/sqrt(var + eps)) as (features, 1) arrays; batch ones update the running estimates."""
        # BatchNormalization.lua sizes save_mean and save_std on every forward; THNN fills them only from a batch
        # and leaves whatever memory held otherwise: here they hold the running estimates used instead
        self.save_mean.resize(self.running_mean.size(0))
        self.save_std.resize(self.running_mean.size(0))
        if not batch_stats:
            # in the sum type, as THCUNN's inference and backward kernels read the running estimates
            invstd = 1 / xp.sqrt(in_acctype(self.running_var.array) + self.eps)
            self.save_mean.array[...] = self.running_mean.array
            self.save_std.array[...] = invstd
            return in_acctype(self.running_mean.array)[:, None], invstd[:, None]
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
        self.save_mean.array[...] = mean
        self.save_std.array[...] = invstd
        return mean[:, None], invstd[:, None]

    def _saved(self, xp, batch_stats):
        """(mean, 1/sqrt(var + eps)) of the last forward as (features, 1) arrays in the sum type: THCUNN's backward
        reads save_mean and save_std as Acctype (a half invstd squared overflows from 256 on)."""
        if not batch_stats:
            return self._stats(xp, None, False)
        if self.save_mean.nElement() != self.running_mean.nElement():
            raise input_error(self, "a forward call before backward (no saved batch statistics)", "none")
        return in_acctype(self.save_mean.array)[:, None], in_acctype(self.save_std.array)[:, None]

    def updateOutput(self, input):
        x3, batch_stats = self._check(input)
        mean, invstd = self._stats(input.xp, x3, batch_stats)
        out = self.bufferLike('output', input)
        out3 = out.reshape(x3.shape)
        scale = invstd if self.weight is None else invstd * self.weight.array[:, None]
        input.xp.multiply(x3 - mean, scale, out=out3)
        if self.bias is not None:
            out3 += self.bias.array[:, None]
        return self.output

    def updateGradInput(self, input, gradOutput):
        x3, batch_stats = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        mean, invstd = self._saved(input.xp, batch_stats)
        go = in_acctype(gradOutput.array.reshape(x3.shape))
        w = invstd if self.weight is None else invstd * self.weight.array[:, None]
        gi = self.bufferLike('gradInput', input).reshape(x3.shape)
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
        if self.weight is None:
            return
        x3, batch_stats = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        mean, invstd = self._saved(input.xp, batch_stats)
        go = in_acctype(gradOutput.array.reshape(x3.shape))
        self.gradWeight.array += scale * ((go * (x3 - mean)).sum(axis=(0, 2)) * invstd[:, 0])
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
