"""Gradient checking (torch-autograd's gradcheck.lua): ``gradcheck = autograd.gradcheck.gradcheck(
{'randomizeInput': True})`` makes ``gradcheck(func, params, *args)``, True when autograd's gradients of
``func(params, *args)`` agree with two estimates for every leaf of ``params`` (sortedFlattenKeys' order):

- a step of random noise on one element, the loss it gives against ``loss + jacobian . noise`` (relative error
  below ``threshold``);
- central finite differences, element by element, against autograd's gradient (largest difference below
  ``threshold``).

With ``randomizeInput`` (the default) each leaf is first redrawn (uniform in [-10, 10] for the first check, in
[-1, 1] for the second; numbers likewise). Autograd's gradient must also come out the same twice. Lua's
``math.random`` is Python's ``random`` (docs/porting.md's row).

A step of 1e-6 is below float32's resolution, so a leaf held in another precision than float64 fails the checks
whatever its gradient; the Lua returns false silently there, legonn also warns (as torch.autograd.gradcheck does)
naming the leaf and its type.
"""
import random
import warnings

import numpy as np

import legonn as torch
from legonn.tensor import Tensor

from . import util

# Perturbation (finite diffs):
perturbation = 1e-6

# Threshold:
threshold = 1e-5


def _autograd():
    from legonn import autograd
    return autograd


def _loss(func, inputs):
    """``func(*inputs)``'s loss: its first return when it returns several (the Lua's ``local l = func(...)``
    keeps the first)."""
    out = func(*inputs)
    return out[0] if isinstance(out, tuple) else out


def jacobianFromAutograd(func, inputs, key):
    """Autograd's gradient of the leaf ``key`` of ``inputs[0]``, flat (a number for a number), computed twice and
    checked to be deterministic."""
    df = _autograd()(func)
    grads = df(*inputs)[0]
    gradsVerify = df(*inputs)[0]

    # Find grad:
    g = util.nestedGet(grads, key)
    gVerify = util.nestedGet(gradsVerify, key)
    if isinstance(g, Tensor):
        err = (g - gVerify).abs().max()
    else:
        err = abs(g - gVerify)

    if err != 0:
        raise RuntimeError("autograd gradient not deterministic")

    # Return grads:
    if isinstance(g, Tensor):
        return g.contiguous().view(-1).clone()
    return g


def jacobianFromFiniteDifferences(func, inputs, key):
    """Central differences of ``func`` for each element of the leaf ``key`` of ``inputs[0]`` (flat)."""
    var = util.nestedGet(inputs[0], key)

    if isinstance(var, Tensor):
        # Flat view:
        view = var.view(-1)

        # Grads:
        grads = view.clone().zero()

        # Finite diffs:
        for i in range(view.size(0)):
            # Initial val:
            val = view[i]

            # Perturbate:
            view[i] = val - perturbation / 2
            pred1 = _loss(func, inputs)
            view[i] = val + perturbation / 2
            pred2 = _loss(func, inputs)
            view[i] = val

            # Finite diff:
            grads[i] = (pred2 - pred1) / perturbation
        # Return grads:
        return grads

    # Initial val:
    val = var

    # Perturbate:
    util.nestedSet(inputs[0], key, val - perturbation / 2)
    pred1 = _loss(func, inputs)
    util.nestedSet(inputs[0], key, val + perturbation / 2)
    pred2 = _loss(func, inputs)
    util.nestedSet(inputs[0], key, val)

    # Finite diff:
    return (pred2 - pred1) / perturbation


def gradcheckvar2(func, inputs, key, randomizeInput):
    """The noise check of one leaf: ``(passed, relative error)``."""
    var = util.nestedGet(inputs[0], key)
    isTensorVar = isinstance(var, Tensor)

    # Random input:
    if randomizeInput:
        if isTensorVar:
            var.uniform(-10, 10)
        else:
            util.nestedSet(inputs[0], key, 20 * (random.random() - 0.5))
            var = util.nestedGet(inputs[0], key)

    # Estimate grads with fprop:
    jacobian = jacobianFromAutograd(func, inputs, key)
    originalLoss = _loss(func, inputs)

    if isTensorVar:
        noise = jacobian.view(-1).clone().zero()
        idx = random.randint(1, noise.size(0))
        originalVar = var.clone()
        noise.narrow(0, idx - 1, 1).uniform(-perturbation, perturbation)
        var.add(torch.view(noise, var.size()))

        perturbedLoss = _loss(func, inputs)
        approxPerturbed = originalLoss + torch.dot(jacobian, noise)
        var.copy(originalVar)
    else:
        noise = 2 * perturbation * (random.random() - 0.5)
        util.nestedSet(inputs[0], key, var + noise)

        perturbedLoss = _loss(func, inputs)
        approxPerturbed = originalLoss + jacobian * noise
        util.nestedSet(inputs[0], key, var)

    # Error:
    err = abs(perturbedLoss - approxPerturbed) / (max(abs(perturbedLoss), abs(originalLoss)) + perturbation)

    # Threhold?
    passed = err < threshold
    if not passed:
        print(f'original loss = {originalLoss}')
        print(f'perturbed loss = {perturbedLoss}')
        print(f'approximated perturbed loss = {approxPerturbed}')
        print(f'error = {err}')
    return passed, err


def gradcheckvar(func, inputs, key, randomizeInput):
    """The finite-difference check of one leaf."""
    var = util.nestedGet(inputs[0], key)
    isTensorVar = isinstance(var, Tensor)

    # Random input:
    if randomizeInput:
        if isTensorVar:
            var.uniform(-1, 1)
        else:
            util.nestedSet(inputs[0], key, 2 * random.random() - 1)

    # Estimate grads with fprop:
    jacobian1 = jacobianFromFiniteDifferences(func, inputs, key)

    # Coded grads:
    jacobian2 = jacobianFromAutograd(func, inputs, key)

    # Error:
    if isTensorVar:
        err = (jacobian1 - jacobian2).abs().max()
    else:
        err = abs(jacobian1 - jacobian2)

    # Threhold?
    passed = err < threshold
    if not passed:
        print(f'error = {err}')
    return passed


def _warn_below_double(leaves, keys):
    """Warn once per check for the tensor leaves whose type is not double (finite differences of 1e-6 drown in
    their rounding)."""
    low = [f"{'.'.join(map(str, key)) or '<params>'} ({leaf.type()})" for leaf, key in zip(leaves, keys)
           if isinstance(leaf, Tensor) and leaf.dtype != np.float64]
    if low:
        warnings.warn(f"autograd.gradcheck: parameters {', '.join(low)} are not double precision; the check "
                      f"(perturbation {perturbation}, threshold {threshold}) will likely fail unless every "
                      f"parameter is a DoubleTensor (call :double() first)", UserWarning, stacklevel=3)


def gradcheck(opt=None):
    """The checker for the options ``opt`` (``randomizeInput``, default True): ``check(func, params, *args)``."""
    randomizeInput = (opt or {}).get('randomizeInput')
    if randomizeInput is None:
        randomizeInput = True

    # Run grad check:
    def check(func, *args):
        # get all vars:
        leaves, keys = util.sortedFlattenKeys(args[0])
        _warn_below_double(leaves, keys)
        max_err = 0
        ok = True
        for key in keys:
            t, err = gradcheckvar2(func, args, key, randomizeInput)
            ok = ok and t
            if err > max_err:
                max_err = err
            ok = ok and gradcheckvar(func, args, key, randomizeInput)
        print(f'[gradcheck2] maximum error = {max_err}')
        return ok

    # Grad check fun:
    return check
