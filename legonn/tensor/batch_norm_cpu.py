"""Batch normalisation's per-feature passes on the CPU, compiled by Numba (serial, ``nogil``, cached on disk).

Called only through ``batch_norm_kernels``, which checks every operand first: the kernels index without
bounds checks. The data is ``x`` (B, C, S): batch, features, the values of one feature in one sample
(a plane's pixels; S = 1 for BatchNormalization's (B, C)). Each kernel handles the features
[first, stop), so the callers split the features over threads as THNN's ``omp parallel for`` does.

The arithmetic is THNN's (generic/BatchNormalization.c) in the data's type ``real`` (float32 or
float64) with its sums in ``accreal`` (float64): the mean is ``(real) sum / n``, the squares and the
centred products are ``real`` products summed in float64, the output ``((x - mean) * invstd) * w + b``
and the evaluation gradient ``go * invstd * w`` are ``real`` arithmetic, and the training gradient
``(go - gradMean - (x - mean) k) * invstd * w`` is float64 arithmetic rounded once. Only the sums'
order differs from THNN's one running sum (float64 partial sums, which LLVM may add in vector lanes:
``reassoc`` on the summing helpers alone, so that no ``real`` product is regrouped).

Locality: features go in blocks of at least ``BLOCK_VALUES`` values per sample (one feature of a
large plane, several of a small one), and every pass a block needs (sums, then writes) runs while
the block is in cache. With S = 1 a block is a few features side by side in each row, so a pass reads
whole cache lines instead of one value per row.
"""
import numpy as np
from numba import njit

kernel = njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')
summing = njit(nogil=True, cache=True, boundscheck=False, error_model='numpy', fastmath={'reassoc'})

# values of one sample a feature block spans at least (a block of B x 256 values stays in a core's L2 cache
# between its passes for batches up to about 1,000)
BLOCK_VALUES = 256

# Every inner loop runs from 0 over a C-contiguous 1-D slice, the form LLVM vectorises: a feature's values in
# one sample, ``rows(x)[b, c S:(c + 1) S]``, or with S = 1 a block's features side by side in one sample,
# ``rows(x)[b, c0:c1]``, with the per-feature arrays sliced alike.


@kernel
def _rows(x):
    """``x`` (B, C, S) as (B, C S)."""
    return x.reshape(x.shape[0], x.shape[1] * x.shape[2])


@summing
def _sum(row):
    total = 0.0
    for i in range(row.shape[0]):
        total += row[i]
    return total


@summing
def _centred_squares(row, mean):
    total = 0.0
    for i in range(row.shape[0]):
        d = row[i] - mean
        total += d * d
    return total


@summing
def _centred_dot(row, grad_row, mean):
    total = 0.0
    for i in range(row.shape[0]):
        total += (row[i] - mean) * grad_row[i]
    return total


# The element-wise helpers come in pairs: ``_plane`` for one feature's values (per-feature operands are scalars),
# ``_row`` for a block's features side by side (per-feature operands are arrays like the row).

@kernel
def _normalized_plane(row, mean, invstd, weight, bias, out):
    """out = ((row - mean) * invstd) * weight + bias, in ``real``."""
    for i in range(row.shape[0]):
        out[i] = ((row[i] - mean) * invstd) * weight + bias


@kernel
def _normalized_row(row, mean, invstd, weight, bias, out):
    for i in range(row.shape[0]):
        out[i] = ((row[i] - mean[i]) * invstd[i]) * weight[i] + bias[i]


@kernel
def _block(S, first, stop):
    """Features per block: at least ``BLOCK_VALUES`` values a sample, at least one feature."""
    return max(1, min(stop - first, BLOCK_VALUES // S if S < BLOCK_VALUES else 1))


@kernel
def _moments(x, mean, var_sum, c0, c1, acc):
    """mean[c] = (real) (sum of x[:, c]) / n and var_sum[c] = sum of (x[:, c] - mean[c])^2 (float64) for the
    block [c0, c1), n = B S, sample by sample; ``acc`` float64 scratch of the block's length."""
    B, S = x.shape[0], x.shape[2]
    real = x.dtype.type
    n = real(B * S)
    rows = _rows(x)
    acc[:] = 0.0
    for b in range(B):
        if S == 1:
            values = rows[b, c0:c1]
            for j in range(c1 - c0):
                acc[j] += values[j]
        else:
            for c in range(c0, c1):
                acc[c - c0] += _sum(rows[b, c * S:(c + 1) * S])
    for c in range(c0, c1):
        mean[c] = real(acc[c - c0]) / n
    acc[:] = 0.0
    means = mean[c0:c1]
    for b in range(B):
        if S == 1:
            values = rows[b, c0:c1]
            for j in range(c1 - c0):
                d = values[j] - means[j]
                acc[j] += d * d
        else:
            for c in range(c0, c1):
                acc[c - c0] += _centred_squares(rows[b, c * S:(c + 1) * S], mean[c])
    for c in range(c0, c1):
        var_sum[c] = acc[c - c0]


@kernel
def normalize(x, mean, invstd, weight, bias, out, first, stop):
    """out[:, c] = ((x[:, c] - mean[c]) * invstd[c]) * weight[c] + bias[c], in ``real``, for c in [first, stop)."""
    S = x.shape[2]
    rows, out_rows = _rows(x), _rows(out)
    for b in range(x.shape[0]):
        if S == 1:
            _normalized_row(rows[b, first:stop], mean[first:stop], invstd[first:stop], weight[first:stop],
                            bias[first:stop], out_rows[b, first:stop])
        else:
            for c in range(first, stop):
                _normalized_plane(rows[b, c * S:(c + 1) * S], mean[c], invstd[c], weight[c], bias[c],
                                  out_rows[b, c * S:(c + 1) * S])


@kernel
def forward_train(x, weight, bias, eps, momentum, out, mean, invstd, running_mean, running_var, first, stop):
    """The batch's mean, its sum of squared deviations (as ``_moments``) and invstd[c] = (real) (1 / sqrt(var_sum[c]
    / n + eps)) (0 for a constant feature when eps is 0, as THNN), then ``normalize`` with them, block by block;
    the running estimates move as BatchNormalization.c moves them, in float64 rounded once: ``running_mean =
    momentum * mean + (1 - momentum) * running_mean``, ``running_var`` likewise with ``var_sum / (n - 1)``."""
    B, S = x.shape[0], x.shape[2]
    real = x.dtype.type
    n = B * S
    keep = 1 - momentum
    block = _block(S, first, stop)
    acc = np.zeros(block)
    var_sum = np.empty(x.shape[1])
    for c0 in range(first, stop, block):
        c1 = min(c0 + block, stop)
        _moments(x, mean, var_sum, c0, c1, acc[:c1 - c0])
        for c in range(c0, c1):
            if var_sum[c] == 0 and eps == 0:
                invstd[c] = 0
            else:
                invstd[c] = real(1 / np.sqrt(var_sum[c] / n + eps))
            running_mean[c] = momentum * np.float64(mean[c]) + keep * np.float64(running_mean[c])
            running_var[c] = momentum * (var_sum[c] / (n - 1)) + keep * np.float64(running_var[c])
        normalize(x, mean, invstd, weight, bias, out, c0, c1)


@kernel
def _gradient_sums(x, grad_out, mean, grad_sum, dotp, c0, c1):
    """grad_sum[c] = sum of grad_out[:, c] and dotp[c] = sum of (x[:, c] - mean[c]) * grad_out[:, c] (float64)
    for the block [c0, c1), sample by sample."""
    S = x.shape[2]
    rows, grad_rows = _rows(x), _rows(grad_out)
    grad_sums, dots, means = grad_sum[c0:c1], dotp[c0:c1], mean[c0:c1]
    grad_sums[:] = 0.0
    dots[:] = 0.0
    for b in range(x.shape[0]):
        if S == 1:
            values, grads = rows[b, c0:c1], grad_rows[b, c0:c1]
            for j in range(c1 - c0):
                grad_sums[j] += grads[j]
                dots[j] += (values[j] - means[j]) * grads[j]
        else:
            for c in range(c0, c1):
                grads = grad_rows[b, c * S:(c + 1) * S]
                grad_sum[c] += _sum(grads)
                dotp[c] += _centred_dot(rows[b, c * S:(c + 1) * S], grads, mean[c])


@kernel
def _training_gradient_plane(row, grad_row, mean, proj, grad_mean, invstd, weight, out):
    """out = (grad_row - grad_mean - (row - mean) proj) * invstd * weight: THNN's float64 expression, its centred
    term a ``real`` product, rounded once."""
    scale = np.float64(invstd)
    w = np.float64(weight)
    for i in range(row.shape[0]):
        centred = (row[i] - mean) * proj
        out[i] = (np.float64(grad_row[i]) - grad_mean - np.float64(centred)) * scale * w


@kernel
def _training_gradient_row(row, grad_row, mean, proj, grad_mean, invstd, weight, out):
    for i in range(row.shape[0]):
        centred = (row[i] - mean[i]) * proj[i]
        out[i] = ((np.float64(grad_row[i]) - grad_mean[i] - np.float64(centred)) * np.float64(invstd[i])
                  * np.float64(weight[i]))


@kernel
def _evaluation_gradient_plane(grad_row, invstd, weight, out):
    """out = grad_row * invstd * weight, in ``real``."""
    for i in range(grad_row.shape[0]):
        out[i] = grad_row[i] * invstd * weight


@kernel
def _evaluation_gradient_row(grad_row, invstd, weight, out):
    for i in range(grad_row.shape[0]):
        out[i] = grad_row[i] * invstd[i] * weight[i]


@kernel
def backward(x, grad_out, mean, invstd, weight, train, grad_in, grad_weight, grad_bias, scale, first, stop):
    """With grad_sum[c] = sum of grad_out[:, c] and dotp[c] = sum of (x[:, c] - mean[c]) * grad_out[:, c] (float64):
    unless ``grad_in`` is empty, THNN's gradInput: in training ``(go - grad_mean - (x - mean) proj) * invstd * w``
    with ``grad_mean = grad_sum / n`` (float64) and ``proj = (real) dotp * invstd * invstd / n`` (``real``), in
    float64 rounded once; in evaluation ``go * invstd * w`` (``real``); unless ``grad_weight`` is empty,
    BatchNormalization.c's ``gradWeight += scale * dotp * invstd`` and ``gradBias += scale * grad_sum`` in float64
    rounded once."""
    B, S = x.shape[0], x.shape[2]
    real = x.dtype.type
    n = B * S
    C = x.shape[1]
    grad_sum, dotp, grad_mean, proj = np.empty(C), np.empty(C), np.empty(C), np.empty(C, x.dtype)
    rows, grad_rows, in_rows = _rows(x), _rows(grad_out), _rows(grad_in)
    block = _block(S, first, stop)
    for c0 in range(first, stop, block):
        c1 = min(c0 + block, stop)
        _gradient_sums(x, grad_out, mean, grad_sum, dotp, c0, c1)
        if grad_weight.size != 0:
            for c in range(c0, c1):
                grad_weight[c] = np.float64(grad_weight[c]) + scale * dotp[c] * np.float64(invstd[c])
                grad_bias[c] = np.float64(grad_bias[c]) + scale * grad_sum[c]
        if grad_in.size == 0:
            continue
        for c in range(c0, c1):
            proj[c] = real(dotp[c]) * invstd[c] * invstd[c] / real(n)
            grad_mean[c] = grad_sum[c] / n
        for b in range(B):
            if S == 1:
                if train:
                    _training_gradient_row(rows[b, c0:c1], grad_rows[b, c0:c1], mean[c0:c1], proj[c0:c1],
                                           grad_mean[c0:c1], invstd[c0:c1], weight[c0:c1], in_rows[b, c0:c1])
                else:
                    _evaluation_gradient_row(grad_rows[b, c0:c1], invstd[c0:c1], weight[c0:c1],
                                             in_rows[b, c0:c1])
                continue
            for c in range(c0, c1):
                lo, hi = c * S, (c + 1) * S
                if train:
                    _training_gradient_plane(rows[b, lo:hi], grad_rows[b, lo:hi], mean[c], proj[c], grad_mean[c],
                                             invstd[c], weight[c], in_rows[b, lo:hi])
                else:
                    _evaluation_gradient_plane(grad_rows[b, lo:hi], invstd[c], weight[c], in_rows[b, lo:hi])
