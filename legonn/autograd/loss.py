"""autograd.loss: standard losses written with legonn functions, so autograd differentiates them
(torch-autograd's loss/init.lua).

Each takes the raw output of a network (its last hidden layer) and the target; those that transform the
output first (a log-softmax, a sigmoid) return ``(loss, transformed output)``, as the Lua's two returns.
"""
import legonn as lg

from . import util


def logMultinomialLoss(out, target):
    """``-sum(out * target)``: ``out`` log-probabilities, ``target`` one-hot (or probabilities) of its size."""
    return -lg.sum(lg.cmul(out, target))


def logBCELoss(out, target, p=None):
    """Binary cross-entropy of probabilities ``out`` (plus ``p``, if given, against log(0)) and 0/1 ``target``."""
    if p:
        out = out + p
    return -lg.sum(lg.cmul(target, lg.log(out)) + lg.cmul(-target + 1, lg.log(-out + 1)))


def crossEntropy(out, target):
    """(``-sum(logSoftMax(out) * target)``, the log-softmax) over all of ``out`` (one sample)."""
    yhat = util.logSoftMax(out)
    return -lg.sum(lg.cmul(yhat, target)), yhat


def binaryCrossEntropy(out, target):
    """(binary cross-entropy of ``sigmoid(out)``, squeezed into [1e-6, 1 - 1e-6], against ``target``, that
    squeezed sigmoid)."""
    p = 1e-6
    yhat = util.sigmoid(out) * (1 - p * 2) + p
    return -lg.sum(lg.cmul(target, lg.log(yhat)) + lg.cmul(-target + 1, lg.log(-yhat + 1))), yhat


def leastSquares(out, target):
    """(``sum((out - target)^2)``, ``out``)."""
    yhat = out
    diffs = out - target
    sq = lg.cmul(diffs, diffs)
    return lg.sum(sq), yhat


def margin(out, target, margin=1):
    """(the ranking hinge: the sum over every pair of an ``out`` entry whose ``target`` is 1 and one whose
    ``target`` is 0 of ``max(0, margin - (out1 - out0))``, ``out``)."""
    preds1 = out[lg.eq(target, 1)]
    preds0 = out[lg.eq(target, 0)]
    np1 = preds1.size(0)
    np0 = preds0.size(0)
    diffs = lg.expand(lg.view(preds1, np1, 1), np1, np0) - lg.expand(lg.view(preds0, 1, np0), np1, np0)
    diffs = -diffs + margin
    max0s = diffs[lg.gt(diffs, 0)]
    loss = lg.sum(max0s)
    return loss, out
