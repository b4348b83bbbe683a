"""The checks every module test makes (DESIGN.md, Style): finite-difference
Jacobians in float64, float/double round trips, and GPU-vs-CPU agreement.

Each takes a module and an input (tensor or nested list of tensors) and asserts.
"""
import numpy as np

import legonn as lg
from legonn import nn


def _tree(x, fn):
    if isinstance(x, (list, tuple)):
        return [_tree(v, fn) for v in x]
    return fn(x)


def _host(x):
    """A tree of tensors as a tree of float64 NumPy arrays."""
    def host(t):
        if isinstance(t, np.ndarray):
            return t.astype(np.float64)
        return np.asarray(t.array.get() if t.is_cuda else t.array, dtype=np.float64)
    return _tree(x, host)


def assert_close_trees(a, b, rtol=1e-6, atol=1e-8):
    a, b = _host(a), _host(b)
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_close_trees(x, y, rtol, atol)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def as_double(x):
    return _tree(lg.as_tensor_tree(x), lambda t: t.double() if t.dtype.kind == 'f' else t)


def assert_jacobian(module, input, tol=1e-5, minval=-2, maxval=2, params=True, perturbation=1e-6):
    """d output / d input and d output / d each parameter agree with central differences (float64)."""
    module.double()
    input = as_double(input)
    err = nn.Jacobian.testJacobian(module, input, minval, maxval, perturbation)
    assert err < tol, f"{module!r}: input Jacobian error {err}"
    if params:
        for p, g in zip(*module.parameters()):
            err = nn.Jacobian.testJacobianParameters(module, input, p, g, minval, maxval, perturbation)
            assert err < tol, f"{module!r}: parameter Jacobian error {err} (parameter of size {p.size()})"


def assert_type_roundtrip(module, input, rtol=1e-4, atol=1e-5):
    """float() and double() convert every tensor, outputs agree, and converting back restores float."""
    module.float()
    x = lg.as_tensor_tree(input)
    out32 = _host(module.forward(_tree(x, lambda t: t.float() if t.dtype.kind == 'f' else t)))
    module.double()
    assert module.type() == 'legonn.DoubleTensor'
    for p in module.parameters()[0]:
        assert p.type() == 'legonn.DoubleTensor'
    out64 = module.forward(as_double(x))
    for t in _tree(out64, lambda t: t) if isinstance(out64, list) else [out64]:
        if hasattr(t, 'type') and t.dtype.kind == 'f':
            assert t.type() == 'legonn.DoubleTensor'
    assert_close_trees(out32, out64, rtol, atol)
    module.float()
    assert module.type() == 'legonn.FloatTensor'
    for p in module.parameters()[0]:
        assert p.type() == 'legonn.FloatTensor'


def assert_gpu_matches_cpu(module, input, grad_output=None, rtol=1e-6, atol=1e-8):
    """The module's cuda() twin gives the CPU module's output, gradInput and parameter gradients (float64)."""
    module.double()
    x = as_double(input)
    gpu = module.clone().cuda()
    assert gpu.type() == 'legonn.CudaDoubleTensor'
    out = module.forward(x)
    gout = gpu.forward(_tree(x, lambda t: t.cuda()))
    assert_close_trees(out, gout, rtol, atol)
    if grad_output is None:
        grad_output = _tree(out, lambda t: t.clone().normal() if t.dtype.kind == 'f' else t)
    grad_output = as_double(grad_output)
    module.zeroGradParameters()
    gpu.zeroGradParameters()
    gi = module.backward(x, grad_output)
    ggi = gpu.backward(_tree(x, lambda t: t.cuda()), _tree(grad_output, lambda t: t.cuda()))
    assert_close_trees(gi, ggi, rtol, atol)
    for g, gg in zip(module.parameters()[1], gpu.parameters()[1]):
        assert_close_trees(g, gg, rtol, atol)
