"""The checks every module test makes (DESIGN.md, Style): finite-difference
Jacobians in float64, float/double round trips, and GPU-vs-CPU agreement.

Each takes a module and an input (tensor or nested list of tensors) and asserts.
"""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor.conversion import on_gpu


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
    """The module's cudaDouble() twin gives the CPU module's output, gradInput and parameter gradients (float64)."""
    module.double()
    x = as_double(input)
    gpu = module.clone().cudaDouble()
    assert gpu.type() == 'legonn.CudaDoubleTensor'
    out = module.forward(x)
    gout = gpu.forward(_tree(x, on_gpu))
    assert_close_trees(out, gout, rtol, atol)
    if grad_output is None:
        grad_output = _tree(out, lambda t: t.clone().normal() if t.dtype.kind == 'f' else t)
    grad_output = as_double(grad_output)
    module.zeroGradParameters()
    gpu.zeroGradParameters()
    gi = module.backward(x, grad_output)
    ggi = gpu.backward(_tree(x, on_gpu), _tree(grad_output, on_gpu))
    assert_close_trees(gi, ggi, rtol, atol)
    for g, gg in zip(module.parameters()[1], gpu.parameters()[1]):
        assert_close_trees(g, gg, rtol, atol)


_PARAM = type(pytest.param())


def _case_params(cases):
    """Cases as one pytest parameter each: a pytest.param of several values becomes one tuple (id kept)."""
    return [pytest.param(tuple(c.values), id=c.id, marks=c.marks) if isinstance(c, _PARAM) else c
            for c in cases]


def standard_tests(cases, build, bounds=None, ids=None):
    """The three checks every module test makes, as tests parametrised over `cases` (names, tuples, or
    pytest.param of several values, whose ids are kept): `build(case)` returns a fresh (module, input),
    `bounds(case)` the (minval, maxval) of the Jacobian's random input (default -2, 2); `ids` names
    the cases where they are not named already.
    Returns (test_jacobian, test_type_roundtrip, test_gpu) for the test file to bind to names of its
    own, which is how pytest collects them."""
    params = pytest.mark.parametrize('case', _case_params(cases), ids=ids)

    @params
    def test_jacobian(case):
        module, input = build(case)
        minval, maxval = bounds(case) if bounds else (-2, 2)
        assert_jacobian(module, input, minval=minval, maxval=maxval)

    @params
    def test_type_roundtrip(case):
        assert_type_roundtrip(*build(case))

    @pytest.mark.gpu
    @params
    def test_gpu(case):
        assert_gpu_matches_cpu(*build(case))

    return test_jacobian, test_type_roundtrip, test_gpu


def assert_matches(out, expected, rtol=1e-12, atol=0.0):
    """A tree of output tensors equals a tree of NumPy references (a list standing for a tensor's values
    where the output is a tensor): same structure, same shapes, values within rtol/atol."""
    if isinstance(out, (list, tuple)):
        assert isinstance(expected, (list, tuple)) and len(out) == len(expected), f"{out!r} vs {expected!r}"
        for o, e in zip(out, expected):
            assert_matches(o, e, rtol, atol)
        return
    got = _host(out)
    assert got.shape == np.shape(expected), f"output of shape {got.shape}, expected {np.shape(expected)}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def reference_test(cases, build, reference, rtol=1e-12, atol=0.0, ids=None):
    """A test parametrised like standard_tests: the float64 module's forward output matches
    `reference(case, module, input)` (NumPy, a tree for table outputs) with the same shapes."""

    @pytest.mark.parametrize('case', _case_params(cases), ids=ids)
    def test_matches_numpy(case):
        module, input = build(case)
        module.double()
        out = module.forward(input)
        assert_matches(out, reference(case, module, input), rtol, atol)

    return test_matches_numpy


def named_case_tests(cases, rtol=1e-12, atol=0.0):
    """standard_tests and reference_test over a list of (name, module factory, input factory,
    reference(input)): returns (test_jacobian, test_type_roundtrip, test_gpu, test_matches_numpy)."""
    ids = [c[0] for c in cases]

    def build(case):
        return case[1](), case[2]()

    return (*standard_tests(cases, build, ids=ids),
            reference_test(cases, build, lambda case, m, x: case[3](x), rtol, atol, ids=ids))


def assert_parameter_jacobians(module, input, tol=1e-6):
    """d output / d each parameter agrees with central differences at this very input (for modules whose
    input cannot be drawn at random, such as sparse or index inputs)."""
    for p, g in zip(*module.parameters()):
        est = nn.Jacobian.forward(module, input, param=p)
        exact = nn.Jacobian.backward(module, input, param=p, dparam=g)
        err = np.abs(est - exact).max()
        assert err < tol, f"{module!r}: parameter Jacobian error {err} (parameter of size {p.size()})"


def assert_rejected(module, error, match, method, *args):
    """module.<method>(*args) raises `error` whose message matches `match`, and changes no parameter
    or accumulated gradient (DESIGN.md: a failed call changes nothing)."""
    params, grads = module.parameters()
    before = [_host(t).copy() for t in params + grads]
    with pytest.raises(error, match=match):
        getattr(module, method)(*args)
    for t, b in zip(params + grads, before):
        np.testing.assert_array_equal(_host(t), b)


def with_fields(module, **fields):
    """``module`` with ``fields`` set on it, as a Lua program sets a field after construction
    (``m.threshold = 5``)."""
    for k, v in fields.items():
        setattr(module, k, v)
    return module


def sized_build(cases, input):
    """The build function of standard_tests/reference_test for a table {name: (module factory, input
    size, ...)}: a fresh module and ``input(size)``."""
    def build(name):
        return cases[name][0](), input(cases[name][1])
    return build


def central_difference(loss, array, index, eps=1e-6):
    """(loss() with array[index] + eps - loss() with array[index] - eps) / (2 eps): the numeric derivative of
    ``loss`` (a function of no arguments that reads ``array``, a NumPy array or a view of a tensor's storage)
    with respect to that one element, which is restored afterwards."""
    keep = array[index]
    array[index] = keep + eps
    up = loss()
    array[index] = keep - eps
    down = loss()
    array[index] = keep
    return (up - down) / (2 * eps)


def numeric_gradient(loss, array, eps=1e-6):
    """The central differences of ``loss()`` with respect to every element of ``array`` (read by ``loss``), an
    array of ``array``'s shape."""
    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        grad[i] = central_difference(loss, array, i, eps)
    return grad


def launch_counting():
    """The host simulator's ``counting()`` (``with counting() as counts``: the CuPy operations a block runs, by
    name), or a skip on a real device, whose CuPy has none (there ``bench/gpu_launches.py`` counts the kernels
    with CUPTI)."""
    cupy = lg.tensor.backend.cupy()
    if not getattr(cupy, 'IS_HOST_SIMULATOR', False):
        pytest.skip('counts CuPy operations on the host simulator of CuPy (tests/gpu_sim); a device has no counter')
    from cupy.cuda.stream import counting
    return counting
