"""IndexLinear's updateParameters and accUpdateGradParameters against THNN's IndexLinear.c loops, written out
entry by entry in plain Python: the sparse weight decay (once per occurrence of a key, before its step), the
normalise mode's update scale weight[key][2] and offset weight[key][3], the outDim == 1 case's formulas."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import on_gpu

# keys repeat within a sample and across samples; with keysOffset 1 they are rows 1..6 of 7
KEYS = [[2, 0, 2], [4, 2], [2, 5, 0, 2]]
VALS = [[0.5, -1.5, 2.0], [1.0, -0.75], [3.0, 0.25, -2.0, 1.25]]
OFFSET = 1


def _input(layout, scale=1.0, cuda=False):
    vals = [[scale * v for v in vs] for vs in VALS]
    if layout == 'single':
        x = [lg.LongTensor(KEYS[0]), lg.DoubleTensor(vals[0])]
    elif layout == 'list':
        x = [[lg.LongTensor(k) for k in KEYS], [lg.DoubleTensor(v) for v in vals]]
    else:
        x = [lg.LongTensor(sum(KEYS, [])), lg.DoubleTensor(sum(vals, [])), lg.LongTensor([len(k) for k in KEYS])]
    if cuda:
        x = [[on_gpu(t) for t in part] if isinstance(part, list) else on_gpu(part) for part in x[:2]] + x[2:]
    return x


def _entries(layout):
    """(row of each entry, sample of each entry), in THNN's order."""
    keys = KEYS[:1] if layout == 'single' else KEYS
    return ([k + OFFSET for ks in keys for k in ks], [j for j, ks in enumerate(keys) for _ in ks])


def _module(normalize, n_out, cuda=False):
    m = nn.IndexLinear(7, n_out, False, OFFSET, normalize=normalize).reset().double()
    if normalize:
        m.weight.narrow(1, 3, 1).uniform(-0.5, 0.5)
    return m.cudaDouble() if cuda else m


def _grad_output(layout, n_out, seed):
    go = np.random.RandomState(seed).randn(1 if layout == 'single' else len(KEYS), n_out)
    return lg.DoubleTensor(go[0] if layout == 'single' else go)


def _host(t):
    return t.cpu().numpy().copy()


def _scales(m):
    """Update scales other than the 1 a training forward leaves, which THNN reads at update time."""
    if m.normalize:
        m.weight.narrow(1, 2, 1).copy(lg.DoubleTensor(np.linspace(0.5, 1.5, 7).reshape(7, 1)).type(m.weight.type()))


# --- IndexLinear.c, entry by entry -------------------------------------------------------------------------

def _thnn_acc_grad(rows, samples, vals, go, scale, nrm):
    """IndexLinear_accGradParameters' running gradWeight: per entry, (scale * gradOutput) then, in the
    normalise mode, (scale * value * gradOutput) -- one list of 2 * outDim (normalise) or outDim numbers."""
    gw = []
    for e, j in enumerate(samples):
        first = [scale * g for g in go[j]] if nrm else []
        gw.append(first + [vals[e] * scale * g for g in go[j]])
    return gw


def _thnn_update_parameters(w, b, grad_bias, rows, gw, wd, lr, nrm):
    n_out = b.size
    b -= lr * grad_bias
    if n_out == 1:
        if nrm:
            for j, k in enumerate(rows):
                lr_k = lr * w[k, 2]
                w[k, 3] -= w[k, 4] * gw[j][0] * lr_k
                w[k, 4] -= gw[j][1] * lr_k - wd * w[k, 2] * w[k, 4]
        else:
            for j, k in enumerate(rows):
                w[k, 0] -= gw[j][0] * lr + wd * w[k, 0]
        return
    for j, k in enumerate(rows):
        lr_k, wd_k, g = lr, wd, gw[j]
        if nrm:
            lr_k, wd_k = lr * w[k, 2], wd * w[k, 2]
            for c in range(n_out):
                w[k, 3] -= g[c] * w[k, 4 + c] * lr_k
            g = g[n_out:]
        for c in range(n_out):
            w[k, nrm + c] -= w[k, nrm + c] * wd_k
        for c in range(n_out):
            w[k, nrm + c] -= g[c] * lr_k


def _thnn_acc_update(w, b, rows, samples, vals, go, wd, scale, nrm):
    n_out = b.size
    for j in range(go.shape[0]):
        b -= scale * go[j]
    if n_out == 1 and nrm:
        for e, k in enumerate(rows):
            val = go[samples[e], 0] * scale
            w[k, 3] -= w[k, 4] * val * w[k, 2]
            w[k, 4] -= (val * vals[e] - wd * w[k, 4]) * w[k, 2]
        for k in rows:
            w[k, 2] = 0
        return
    if n_out == 1:
        for e, k in enumerate(rows):
            w[k, 0] -= go[samples[e], 0] * scale * vals[e] + w[k, 0] * wd
        return
    for e, k in enumerate(rows):
        val, wd_k, g = vals[e] * scale, wd, go[samples[e]]
        if nrm:
            val, wd_k = val * w[k, 2], wd * w[k, 2]
            for c in range(n_out):
                w[k, 3] -= w[k, 4 + c] * scale * g[c] * w[k, 2]
        for c in range(n_out):
            w[k, nrm + c] -= wd_k * w[k, nrm + c]
        for c in range(n_out):
            w[k, nrm + c] -= val * g[c]


CASES = [(layout, normalize, n_out, wd) for layout in ('single', 'list', 'flat') for normalize in (False, True)
         for n_out in (1, 3) for wd in (0, 0.1)]


def _check_update_parameters(layout, normalize, n_out, wd, cuda):
    m = _module(normalize, n_out, cuda)
    m.weightDecay = wd
    w, b = _host(m.weight), _host(m.bias)
    rows, samples = _entries(layout)
    nrm = m.normalize
    m.zeroGradParameters()
    gw, grad_bias = [], np.zeros(n_out)
    # two forward/backward rounds before one update: THNN's running buffers hold both, in order
    for call, (value_scale, scale) in enumerate([(1.0, 1.0), (0.5, 0.25)]):
        x = _input(layout, value_scale, cuda)
        go = _grad_output(layout, n_out, call)
        m.forward(x)
        m.backward(x, go.cudaDouble() if cuda else go, scale)
        vals = _host(m.normalizedValues) if nrm else [value_scale * v for vs in VALS for v in vs]
        go = go.numpy().reshape(-1, n_out)
        gw += _thnn_acc_grad(rows, samples, vals, go, scale, nrm)
        grad_bias += scale * go.sum(0)
    _scales(m)
    w = _host(m.weight)     # the forwards moved the maxima and set the update scales
    m.updateParameters(0.3)
    _thnn_update_parameters(w, b, grad_bias, rows + rows, gw, wd, 0.3, nrm)
    np.testing.assert_allclose(_host(m.weight), w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_host(m.bias), b, rtol=1e-12, atol=1e-14)
    return m


def _check_acc_update(layout, normalize, n_out, wd, cuda):
    m = _module(normalize, n_out, cuda)
    m.weightDecay = wd
    b = _host(m.bias)
    rows, samples = _entries(layout)
    x, go = _input(layout, 1.0, cuda), _grad_output(layout, n_out, 3)
    m.forward(x)
    _scales(m)
    w = _host(m.weight)
    vals = _host(m.normalizedValues) if m.normalize else [v for vs in VALS for v in vs]
    m.accUpdateGradParameters(x, go.cudaDouble() if cuda else go, 0.3)
    _thnn_acc_update(w, b, rows, samples, vals, go.numpy().reshape(-1, n_out), wd, 0.3, m.normalize)
    np.testing.assert_allclose(_host(m.weight), w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_host(m.bias), b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('layout,normalize,n_out,wd', CASES)
def test_update_parameters_as_thnn(layout, normalize, n_out, wd):
    _check_update_parameters(layout, normalize, n_out, wd, cuda=False)


@pytest.mark.parametrize('layout,normalize,n_out,wd', CASES)
def test_acc_update_gradParameters_as_thnn(layout, normalize, n_out, wd):
    _check_acc_update(layout, normalize, n_out, wd, cuda=False)


@pytest.mark.gpu
@pytest.mark.parametrize('layout,normalize,n_out,wd', [c for c in CASES if c[0] != 'list'])
def test_updates_as_thnn_gpu(layout, normalize, n_out, wd):
    _check_update_parameters(layout, normalize, n_out, wd, cuda=True)
    _check_acc_update(layout, normalize, n_out, wd, cuda=True)


def test_repeated_key_decays_once_per_occurrence():
    """Key 2 met five times with a zero gradOutput: its row is (1 - wd)^5 times what it was, the others
    untouched (a sparse decay), the dense gradWeight zero."""
    m = _module(False, 3)
    m.weightDecay = 0.1
    w = _host(m.weight)
    x = _input('flat')
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, lg.DoubleTensor(len(KEYS), 3).zero())
    m.updateParameters(1.0)
    expected = w.copy()
    for k in set(sum(KEYS, [])):
        expected[k + OFFSET] *= 0.9 ** sum(ks.count(k) for ks in KEYS)
    np.testing.assert_allclose(m.weight.numpy(), expected, rtol=1e-13)
    assert not m.gradWeight.numpy().any()


def test_update_reads_the_entries_since_zeroGradParameters():
    """IndexLinear.lua updates from its running buffers: nothing after zeroGradParameters (the bias neither,
    as its counter == 1), and the same step again on a second updateParameters without one."""
    m = _module(False, 3)
    x = _input('list')
    m.forward(x)
    m.backward(x, _grad_output('list', 3, 0))
    m.zeroGradParameters()
    w, b = _host(m.weight), _host(m.bias)
    m.updateParameters(0.5)
    np.testing.assert_array_equal(m.weight.numpy(), w)
    np.testing.assert_array_equal(m.bias.numpy(), b)
    m.backward(x, _grad_output('list', 3, 0))
    m.updateParameters(0.5)
    step = m.weight.numpy() - w
    assert np.abs(step).max() > 0
    m.updateParameters(0.5)
    np.testing.assert_allclose(m.weight.numpy() - w, 2 * step, rtol=1e-12)


def test_weightDecay_is_a_field_as_torch7():
    m = nn.IndexLinear(7, 3).double()
    assert m.weightDecay == 0
    m.weightDecay = 'a lot'
    x = _input('flat')
    m.forward(x)
    m.backward(x, lg.DoubleTensor(len(KEYS), 3).fill(1))
    with pytest.raises(TypeError, match=r"IndexLinear\(7 -> 3\): expected a number weightDecay, got 'a lot'"):
        m.updateParameters(0.1)
    # the dense L2 method stays reachable through the class that defines it
    m.weightDecay = 0
    m.zeroGradParameters()
    m.weight.fill(2)
    nn.Module.weightDecay(m, 0.5)
    np.testing.assert_allclose(m.gradWeight.numpy(), 1.0)
