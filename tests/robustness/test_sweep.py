"""The robustness sweep: every class in legonn.nn (from the registry, built by catalog.py) meets wrong
ranks, sizes, dtypes, empty batches, NaN/Inf, non-contiguous views and a wrong device. Each call must
either work (gradInput shaped like the input; a non-contiguous view gives the contiguous answer) or
raise ValueError/TypeError/IndexError naming the module with what was expected and what came, leaving
parameters and gradients untouched. Known findings in modules still being written are strict xfails
(tests/robustness/findings.py), so they show up the day they are fixed.

``LEGONN_SWEEP_DEVICE=cuda`` runs the same sweep on the GPU: every module, input and target is moved there
first (the cases are then marked ``gpu``, so they skip without CuPy and a device), a dtype perturbation keeps
the device, and the wrong-device input is a CPU tensor."""
import os
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import legonn as lg
from legonn import nn
from legonn.tensor import Tensor
from legonn.tensor.backend import to_module
from tests.robustness import catalog
from tests.robustness.findings import FINDINGS
from tests.robustness.perturb import KINDS, leaves, moved_to_gpu, paired_leaves, other_device, perturbed

CLEAN_ERRORS = (ValueError, TypeError, IndexError)
SECONDS = 20
DEVICE = os.environ.get('LEGONN_SWEEP_DEVICE', 'cpu')
if DEVICE not in ('cpu', 'cuda'):
    raise ValueError(f"tests/robustness/test_sweep.py: LEGONN_SWEEP_DEVICE must be 'cpu' or 'cuda', got {DEVICE!r}")
ON_GPU = DEVICE == 'cuda'
DEVICE_MARKS = [pytest.mark.gpu] if ON_GPU else []


def params(obj):
    p, g = obj.parameters() if hasattr(obj, 'parameters') else ([], [])
    return [t.clone() for t in p + g]


def same(before, obj):
    return all(a.type() == b.type() and a.size() == b.size() and
               np.array_equal(to_module(a.array, np), to_module(b.array, np), equal_nan=True)
               for a, b in zip(before, params(obj)))


def host(tree):
    return [np.array(to_module(t.array, np)) for t in leaves(tree)]


def on_sweep_device(obj, x, target):
    """(object, input, target) moved to the sweep's device."""
    if ON_GPU:
        obj.cuda()
        x, target = moved_to_gpu(x), moved_to_gpu(target)
    return obj, x, target


def built(name):
    """The catalog's (object, input, target), moved to the sweep's device."""
    return on_sweep_device(*catalog.build(name))


def built_from(case):
    """(object, input, target) of a sweep table's entry ``(make, input[, target])`` of factories (the tables of
    the packages outside nn.registry: cudnn, fbnn), moved to the sweep's device."""
    make, x, *target = case
    return on_sweep_device(make(), x(), target[0]() if target else None)


def call(obj, x, target):
    """forward (+ backward); returns (outputs, gradInput)."""
    if isinstance(obj, nn.Criterion):
        loss = obj.forward(x, target) if target is not None else obj.forward(x)
        grad = obj.backward(x, target) if target is not None else obj.backward(x)
        return [np.asarray(loss)], grad
    if isinstance(obj, nn.AbstractRecurrent):
        obj.forget()   # each forward is the next time step: every check starts a new sequence
    out = obj.forward(x)
    grad_out = catalog.grad_like(out)
    grad = obj.backward(x, moved_to_gpu(grad_out) if ON_GPU else grad_out)
    return host(out), grad


def check(name, obj, x, target, what):
    before = params(obj)
    try:
        outs, grad = call(obj, x, target)
    except CLEAN_ERRORS as err:
        msg = str(err)
        short = type(obj).__name__
        assert short in msg, f"{name} given {what}: {type(err).__name__} does not name the module: {msg}"
        assert 'expected' in msg, f"{name} given {what}: {type(err).__name__} without expected/got: {msg}"
        assert same(before, obj), f"{name} given {what}: the failed call changed parameters or gradients"
        return None
    except Exception as err:  # noqa: BLE001  (any other kind is the finding)
        raise AssertionError(f"{name} given {what}: crashed with {type(err).__name__}: {str(err)[:160]}") from None
    for x_leaf, g_leaf in paired_leaves(x, grad):
        if g_leaf.nElement() and x_leaf.dtype.kind == 'f':
            assert g_leaf.size() == x_leaf.size(), \
                f"{name} given {what}: gradInput of size {g_leaf.size()} for an input of size {x_leaf.size()}"
    return outs


@pytest.fixture(autouse=True)
def _no_hang():
    def hang(*_):
        raise TimeoutError(f"no answer within {SECONDS} s")
    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def sweep_cases():
    params_ = []
    for name in catalog.concrete_names():
        for kind in KINDS:
            reason = FINDINGS.get((name, kind)) or catalog.KNOWN_BROKEN.get(name)
            marks = DEVICE_MARKS + ([pytest.mark.xfail(reason=reason, strict=True)] if reason else [])
            params_.append(pytest.param(name, kind, id=f'{name}-{kind}', marks=marks))
    return params_


def _applies(kind, obj, x, target):
    if kind == 'device':
        # a parameter-free module follows its single input to the GPU, and DontCast with castin copies its
        # input to its module's device: no mismatch to detect there
        if getattr(obj, 'castin', False):
            return False
        # LookupTable copies indices to its weight's device (LookupTable.lua's makeInputContiguous); a
        # simulated CUDA tensor over host memory cannot be copied, a real one is (the GPU sweep runs it).
        # LookupRNN's step starts with one
        if isinstance(obj, (nn.LookupTable, nn.LookupRNN)) and not ON_GPU:
            return False
        return bool(params(obj)) or isinstance(x, list) or isinstance(target, Tensor)
    return True


# NaN inputs are fed on purpose: NumPy's "invalid value" warnings about them are expected noise
@pytest.mark.filterwarnings('ignore:invalid value encountered:RuntimeWarning')
@pytest.mark.parametrize('name,kind', sweep_cases())
def test_bad_input(name, kind):
    sweep(name, kind, *built(name))


def sweep(name, kind, obj, x, target):
    """Feed ``obj`` (built with its clean input ``x`` and ``target``) the perturbations of ``kind``; used for
    legonn.nn's classes here and for legonn.cudnn's in tests/robustness/test_sweep_cudnn.py."""
    if not _applies(kind, obj, x, target):
        pytest.skip(f'{kind} does not apply to {name}')
    lg.manualSeed(5)
    clean = check(name, obj, x, target, 'its catalog input')
    assert clean is not None, f"{name} rejects its own catalog input"

    @settings(max_examples=4, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(perturbed(kind, x))
    def bad_input(case):
        what, bad = case
        lg.manualSeed(5)
        outs = check(name, obj, bad, target, what)
        if kind == 'noncontiguous' and outs is not None:
            lg.manualSeed(5)
            again = check(name, obj, x, target, 'its catalog input again')
            for a, b in zip(outs, again):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6,
                                           err_msg=f"{name} given {what}: a different answer than for the "
                                                   "contiguous input")

    bad_input()


def target_cases():
    return [pytest.param(name, id=name, marks=DEVICE_MARKS + (
        [pytest.mark.xfail(reason=FINDINGS[(name, 'target-device')], strict=True)]
        if (name, 'target-device') in FINDINGS else []))
            for name in sorted(catalog.CRITERIONS) if name in nn.registry]


@pytest.mark.parametrize('name', target_cases())
def test_wrong_device_target(name):
    obj, x, target = built(name)
    if not isinstance(target, Tensor):
        pytest.skip('no tensor target')
    what = 'a target on the CPU for a GPU input' if ON_GPU else 'a target on the GPU (CudaTensor type) for a CPU input'
    check(name, obj, x, other_device(target), what)
