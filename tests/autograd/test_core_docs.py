"""Every Python example of docs/autograd.md runs as written (each block alone, in a fresh namespace, in a scratch
directory), and computes what the text around it says. A block added to the guide without a check here fails
test_every_example_has_a_check."""
import pathlib
import re

import numpy as np
import pytest

import legonn as lg
from legonn import autograd

GUIDE = pathlib.Path(__file__).resolve().parents[2] / 'docs' / 'autograd.md'


def _examples():
    return re.findall(r'```python\n(.*?)```', GUIDE.read_text(), re.S)


@pytest.fixture
def run_example(tmp_path, monkeypatch):
    """``run(i)``: the namespace example ``i`` leaves. The default tensor type and the optimized-mode default are
    put back after, and the AutoModule/AutoCriterion classes the guide names hold no function before it runs
    (test.lua's port binds other functions to the same names in this process)."""
    monkeypatch.chdir(tmp_path)
    default_type = lg.getdefaulttensortype()
    for cls in (autograd.nn.AutoModule('AutoLinearReLU'), autograd.nn.AutoCriterion('AutoMSE')):
        monkeypatch.setattr(cls, 'fn', None)
        monkeypatch.setattr(cls, '_differentiated', {}, raising=False)

    def run(i):
        namespace = {'__name__': f'docs_autograd_example_{i}'}
        exec(compile(_examples()[i], f'{GUIDE}:example {i}', 'exec'), namespace)
        return namespace
    yield run
    autograd.optimize(False)
    lg.setdefaulttensortype(default_type)


def _from_lua(ns):
    # the README's net: dparams mirrors params, and the loss is the net's
    params, dparams = ns['params'], ns['dparams']
    assert [g.size() for g in dparams['W']] == [(100, 50), (50, 10)]
    assert [g.size() for g in dparams['b']] == [(50,), (10,)]
    assert np.isfinite(ns['loss'])


def _short_examples(ns):
    W = ns['params']['W'].numpy()
    expected = 1 - np.tanh(W) ** 2
    np.testing.assert_allclose(ns['grads']['W'].numpy(), expected, rtol=1e-5)
    assert not autograd.optimizing()
    # d/dp sum(d/dp (y - p.x)^2) = 2 x sum(x)
    x = ns['x'].numpy()
    np.testing.assert_allclose(ns['hessian_sums'].numpy(), 2 * x * x.sum(), rtol=1e-4)


def _own_gradient(ns):
    x = ns['lg'].randn(5)
    grads, loss = autograd(lambda p: ns['mylib'].logsumexp(p['x']) * 2)({'x': x})
    a = x.numpy().astype(np.float64)
    softmax = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
    np.testing.assert_allclose(grads['x'].numpy(), 2 * softmax, rtol=1e-5)


def _nn_functions(ns):
    assert [g.size() for g in ns['grads']['linear']] == [(10, 100), (10,)]
    out = ns['modelf'](ns['mparams'], lg.randn(3, 10))
    assert out.size() == (3, 5)
    assert callable(ns['cudnn'].ReLU())


def _auto_module(ns):
    x = lg.randn(100)
    y = ns['weight'].numpy() @ x.numpy() + ns['bias'].numpy()
    np.testing.assert_allclose(ns['layer'].forward(x).numpy(), np.maximum(y, 0), rtol=1e-5, atol=1e-5)
    loaded = lg.load('model.lg')
    np.testing.assert_allclose(loaded.forward(x).numpy(), np.maximum(y, 0), rtol=1e-5, atol=1e-5)
    t = lg.randn(10)
    assert ns['crit'].forward(x[:10], t) == pytest.approx(float(((x[:10].numpy() - t.numpy()) ** 2).sum()),
                                                          rel=1e-5)


CHECKS = [_from_lua, _short_examples, _own_gradient, _nn_functions, _auto_module]


def test_every_example_has_a_check():
    assert len(_examples()) == len(CHECKS)


@pytest.mark.parametrize('i', range(len(CHECKS)), ids=[c.__name__.strip('_') for c in CHECKS])
def test_guide_example_runs(run_example, i):
    CHECKS[i](run_example(i))
