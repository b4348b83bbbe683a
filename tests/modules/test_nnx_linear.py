"""nnx's QDRiemaNNLinear (clementfarabet/lua---nnx QDRiemaNNLinear.lua)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def _qd_loops(weight_grad, bias_grad, metrics, x, go, gamma, qd, first):
    """QDRiemaNNLinear.lua's accGradParameters after Linear's, in float64 loops: the metrics' moving averages
    (set by the first batch), then the quasi-diagonal or diagonal preconditioning of the accumulated gradients.
    ``metrics`` = [Mii, M00, M0i] (updated in place); returns (gradWeight, gradBias)."""
    mii, m00, m0i = metrics
    out_n, in_n = weight_grad.shape
    gw, gb = weight_grad + go.T @ x, bias_grad + go.sum(axis=0)
    for o in range(out_n):
        s00 = sum(go[b, o] ** 2 for b in range(x.shape[0]))
        m00[o] = s00 if first else (1 - gamma) * m00[o] + gamma * s00
        for i in range(in_n):
            sii = sum(go[b, o] ** 2 * x[b, i] ** 2 for b in range(x.shape[0]))
            s0i = sum(go[b, o] ** 2 * x[b, i] for b in range(x.shape[0]))
            mii[o, i] = sii if first else (1 - gamma) * mii[o, i] + gamma * sii
            m0i[o, i] = s0i if first else (1 - gamma) * m0i[o, i] + gamma * s0i
    new_w, new_b = np.empty_like(gw), np.empty_like(gb)
    for o in range(out_n):
        if qd:
            for i in range(in_n):
                den = min(max(mii[o, i] * m00[o] - m0i[o, i] ** 2, 1e-12), 1e25)
                new_w[o, i] = (gw[o, i] * m00[o] - m0i[o, i] * gb[o]) / den
            new_b[o] = (gb[o] - sum(m0i[o, i] * new_w[o, i] for i in range(in_n))) / (m00[o] + 1e-12)
        else:
            for i in range(in_n):
                mii[o, i] += 1e-12
                new_w[o, i] = gw[o, i] / mii[o, i]
            m00[o] += 1e-12
            new_b[o] = gb[o] / m00[o]
    return new_w, new_b


@pytest.mark.parametrize('qd', [True, False], ids=['quasi-diagonal', 'diagonal'])
def test_acc_grad_parameters_matches_the_lua(qd):
    """QDRiemaNNLinear.lua: three backward passes (the first sets Mii, M00, M0i; the next two average with
    gamma=0.3) without zeroing in between, the gradients preconditioned each time, as the loops compute."""
    rs = np.random.RandomState(1)
    m = nn.QDRiemaNNLinear(4, 3, 0.3, qd).double()
    m.zeroGradParameters()
    gw, gb = np.zeros((3, 4)), np.zeros(3)
    metrics = [np.zeros((3, 4)), np.zeros(3), np.zeros((3, 4))]
    for step in range(3):
        x, go = rs.randn(5, 4), rs.randn(5, 3)
        m.forward(lg.DoubleTensor(x))
        m.backward(lg.DoubleTensor(x), lg.DoubleTensor(go))
        gw, gb = _qd_loops(gw, gb, metrics, x, go, 0.3, qd, step == 0)
        np.testing.assert_allclose(m.gradWeight.numpy(), gw, rtol=1e-9)
        np.testing.assert_allclose(m.gradBias.numpy(), gb, rtol=1e-9)
        np.testing.assert_allclose(m.Mii.numpy(), metrics[0], rtol=1e-12)
        np.testing.assert_allclose(m.M00.numpy(), metrics[1], rtol=1e-12)


def test_reset_and_linear_forward():
    """reset(): weight normal(0, 1/sqrt(inputSize)) (its std over a large layer), bias 0, metrics to be set
    anew; forward and updateGradInput are Linear's (input Jacobian by finite differences)."""
    lg.manualSeed(0)
    m = nn.QDRiemaNNLinear(400, 300)
    assert abs(m.weight.numpy().std() - 1 / 20) < 1e-3 and not m.bias.numpy().any() and m.initMetric
    assert_jacobian(nn.QDRiemaNNLinear(4, 3), lg.randn(5, 4), params=False)
    assert_type_roundtrip(nn.QDRiemaNNLinear(4, 3), lg.randn(5, 4))


@pytest.mark.gpu
def test_gpu_matches_cpu():
    """Forward, gradInput and the preconditioned gradients agree on the GPU."""
    m = nn.QDRiemaNNLinear(4, 3)
    m.zeroGradParameters()
    assert_gpu_matches_cpu(m, lg.randn(5, 4))


def test_bad_calls_name_the_module_and_change_nothing():
    """A 1-D input to accGradParameters (the Lua file's addBuffer exists for batches only) and a gamma outside
    [0, 1] fail naming QDRiemaNNLinear; the failed call leaves gradients and metrics as they were."""
    m = nn.QDRiemaNNLinear(4, 3).double()
    m.zeroGradParameters()
    before = m.gradWeight.numpy().copy()
    with pytest.raises(ValueError, match='QDRiemaNNLinear.*expected a batch'):
        m.accGradParameters(lg.randn(4).double(), lg.randn(3).double())
    np.testing.assert_array_equal(m.gradWeight.numpy(), before)
    assert m.initMetric
    with pytest.raises(ValueError, match='QDRiemaNNLinear: gamma must be'):
        nn.QDRiemaNNLinear(4, 3, 2)
