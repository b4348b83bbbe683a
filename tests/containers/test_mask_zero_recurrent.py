"""AbstractRecurrent.maskZero and trimZero (rnn's AbstractRecurrent.lua) on a Recursor (driven by hand) and a
Recurrence (in a Sequencer) over sequences left-padded with zero rows, as rnn's examples pad them; ports of
test/test.lua's AbstractRecurrent_maskZero and AbstractRecurrent_trimZero."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.containers.container import Container
from tests.checks import (assert_close_trees, assert_gpu_matches_cpu, assert_parameter_jacobians,
                          assert_type_roundtrip)
from tests.containers.recurrent_cells import assert_lua_mask_zero_outputs, lua_mask_zero_sequences

rng = np.random.default_rng(0)
METHODS = ['maskZero', 'trimZero']


def step_module(n_in=4, n_hid=3):
    """{x, h} -> sigmoid(W x + b + U h + c): the step of test.lua's Recurrence(rm, 10, 1)."""
    return (nn.Sequential().add(nn.ParallelTable().add(nn.Linear(n_in, n_hid)).add(nn.Linear(n_hid, n_hid)))
            .add(nn.CAddTable()).add(nn.Sigmoid()))


class Recur(Container):
    """Test driver: a ``seqlen x batch x n`` tensor through a step-by-step recurrent module whose step takes
    {x_t, h_(t-1)} and returns h_t, with h_(-1) zeros (what rnn's Recurrence does), stacked into ``seqlen x
    batch x hidden``. updateGradInput forwards the sequence again (nn.Jacobian calls it once per output
    element after one forward) and back-propagates through time, each step's gradOutput plus the gradient of
    the hidden state the next step handed back; accGradParameters reuses those gradOutputs."""

    def __init__(self, module, hidden):
        super().__init__()
        self.add(module)
        self.hidden = hidden

    def _inputs(self, input):
        m = self.modules[0]
        m.forget()
        h = input.new(input.size(1), self.hidden).zero()
        steps = []
        for t in range(input.size(0)):
            steps.append([input[t], h])
            h = m.forward(steps[-1])
        return steps

    def updateOutput(self, input):
        steps = self._inputs(input)
        m = self.modules[0]
        self.output = lg.stack([m.outputs[t].clone() for t in range(len(steps))])
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._steps = self._inputs(input)
        m = self.modules[0]
        self._grads = [None] * len(self._steps)
        grads = [None] * len(self._steps)
        carry = gradOutput[0].new(gradOutput.size(1), self.hidden).zero()
        for t in reversed(range(len(self._steps))):
            self._grads[t] = gradOutput[t] + carry
            gx, carry = m.updateGradInput(self._steps[t], self._grads[t])
            grads[t] = gx.clone()
            carry = carry.clone()
        self.gradInput = lg.stack(grads)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        m = self.modules[0]
        for t in reversed(range(len(self._steps))):
            m.accGradParameters(self._steps[t], self._grads[t], scale)


def left_padded(lengths=(4, 2, 1, 3), n_in=4):
    """``seqlen x batch x n_in``: sample j's sequence of lengths[j] steps at the end, zero rows before it."""
    x = np.zeros((max(lengths), len(lengths), n_in))
    for j, n in enumerate(lengths):
        x[len(x) - n:, j] = rng.normal(size=(n, n_in))
    return x


def assert_jacobian_outside_padding(module, x):
    """nn.Jacobian (float64) of ``module`` at the padded input ``x``: finite differences agree with backward
    for the input elements outside the padding, whose gradient must be zero, and for every parameter."""
    est, exact = nn.Jacobian.forward(module, x).numpy(), nn.Jacobian.backward(module, x).numpy()
    pad = (x.numpy() == 0).reshape(-1)
    assert np.abs(est[~pad] - exact[~pad]).max() < 1e-6 and not exact[pad].any()
    assert_parameter_jacobians(module, x)


def reference(rec, x, go):
    """NumPy float64 of the masked recurrence: outputs, gradient of the input, parameter gradients."""
    lin_x, lin_h = rec.module.get(0).get(0), rec.module.get(0).get(1)
    w, b, u, c = (t.numpy().astype(np.float64) for t in (lin_x.weight, lin_x.bias, lin_h.weight, lin_h.bias))
    keep = (np.abs(x).sum(axis=2) != 0)[..., None]
    hs, h = [], np.zeros((x.shape[1], u.shape[0]))
    for t in range(len(x)):
        h = keep[t] * (1 / (1 + np.exp(-(x[t] @ w.T + b + h @ u.T + c))))
        hs.append(h)
    gx, gw, gb, gu, gc = np.zeros_like(x), np.zeros_like(w), np.zeros_like(b), np.zeros_like(u), np.zeros_like(c)
    carry = np.zeros_like(hs[0])
    for t in reversed(range(len(x))):
        prev = hs[t - 1] if t else np.zeros_like(hs[0])
        dz = keep[t] * (go[t] + carry) * hs[t] * (1 - hs[t])
        gx[t] = dz @ w
        carry = dz @ u
        gw += dz.T @ x[t]
        gb += dz.sum(0)
        gu += dz.T @ prev
        gc += dz.sum(0)
    return np.stack(hs), gx, [gw, gb, gu, gc]


@pytest.mark.parametrize('method', METHODS)
def test_matches_numpy_reference_over_a_padded_batch(method):
    """A padded step gives zeros and so resets the hidden state it hands on; no gradient reaches the padding
    or the parameters through it (AbstractRecurrent.lua's maskZero: MaskZero around the step module)."""
    rec = getattr(nn.Recursor(step_module()), method)(1)
    net = Recur(rec, 3).double()
    x, go = left_padded(), rng.normal(size=(4, 4, 3))
    out = net.forward(x)
    want, gx, pgrads = reference(rec, x, go)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-15)
    assert not out.numpy()[:2, 1].any() and not out.numpy()[:3, 2].any()
    net.zeroGradParameters()
    gi = net.backward(x, go)
    np.testing.assert_allclose(gi.numpy(), gx, rtol=1e-10, atol=1e-14)
    for got, w in zip(net.parameters()[1], pgrads):
        np.testing.assert_allclose(got.numpy(), w, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize('method', METHODS)
def test_jacobian_through_time(method):
    """Finite differences (float64) over the whole padded sequence agree with back-propagation through time,
    for the input elements outside the padding (whose gradient must be zero) and for every parameter."""
    net = Recur(getattr(nn.Recursor(step_module()), method)(1), 3).double()
    x = lg.from_numpy(left_padded((3, 1, 2)))
    assert_jacobian_outside_padding(net, x)


@pytest.mark.parametrize('method', METHODS)
def test_type_roundtrip(method):
    assert_type_roundtrip(Recur(getattr(nn.Recursor(step_module()), method)(1), 3), left_padded())


@pytest.mark.gpu
@pytest.mark.parametrize('method', METHODS)
def test_gpu(method):
    net = Recur(getattr(nn.Recursor(step_module()), method)(1), 3).double()
    x = lg.from_numpy(left_padded())
    gpu = net.clone().cudaDouble()
    out = net.forward(x)
    assert_close_trees(out, gpu.forward(x.cudaDouble()))
    go = lg.from_numpy(rng.normal(size=(4, 4, 3)))
    net.zeroGradParameters()
    gpu.zeroGradParameters()
    assert_close_trees(net.backward(x, go), gpu.backward(x.cudaDouble(), go.cudaDouble()))
    for g, gg in zip(net.parameters()[1], gpu.parameters()[1]):
        assert_close_trees(g, gg)


@pytest.mark.gpu
def test_gpu_single_step():
    assert_gpu_matches_cpu(nn.Recursor(step_module()).maskZero(1), [left_padded()[1], rng.normal(size=(4, 3))])


@pytest.mark.parametrize('method', METHODS)
def test_lua_abstract_recurrent_mask_zero(method):
    """test.lua rnntest.AbstractRecurrent_maskZero / _trimZero: four sequences of lengths 1 to 4, each ending at
    the last step (left-padded with zero rows): the padded steps' outputs are zero, and the outputs of the
    real steps are those of the same sequence in the other samples (the hidden state starts afresh after
    padding)."""
    x = lua_mask_zero_sequences(rng)
    rec = getattr(nn.Recursor(step_module(10, 10)), method)(1)
    out = Recur(rec, 10).double().forward(x).numpy()
    assert_lua_mask_zero_outputs(out)


def test_mask_zero_replaces_the_step_module():
    """AbstractRecurrent.lua: recurrentModule becomes the decorator, which is also modules[0] and the only
    shared clone; the call returns the module. Decorating a recurrent module itself warns (MaskZero.lua)."""
    step = step_module()
    rec = nn.Recursor(step)
    assert rec.maskZero(2) is rec
    assert type(rec.recurrentModule) is nn.MaskZero and rec.recurrentModule.module is step
    assert rec.modules[0] is rec.recurrentModule and rec.sharedClones == {0: rec.recurrentModule}
    assert rec.recurrentModule.nInputDim == 2
    assert type(nn.Recursor(step_module()).trimZero(1).recurrentModule) is nn.TrimZero
    with pytest.warns(UserWarning, match=r'MaskZero decorates the recurrent module Recursor .* itself: use its '
                                         r'maskZero\(1\)'):
        nn.MaskZero(nn.Recursor(step_module()), 1)
    with pytest.warns(UserWarning, match=r'use its trimZero\(1\)'):
        nn.TrimZero(nn.Recursor(step_module()), 1)
    nn.MaskZero(nn.Recursor(step_module()), 1, True)   # silent


def test_bad_arguments():
    with pytest.raises(ValueError, match='MaskZero: nInputDim must be a non-negative integer, got -1'):
        nn.Recursor(step_module()).maskZero(-1)
    rec = nn.Recursor(step_module())
    rec.p, rec.mono = 0.5, False   # a recurrent module with inner dropout (rnn's GRU, LSTM fields)
    with pytest.raises(ValueError, match=r'Recursor .*: trimZero with dropout \(p = 0.5\) needs the mono option'):
        rec.trimZero(1)
    rec.mono = True
    assert type(rec.trimZero(1).recurrentModule) is nn.TrimZero
    net = Recur(nn.Recursor(step_module()).maskZero(1), 3).double()
    with pytest.raises(ValueError, match=r'Recursor\[step 0\] MaskZero @ Sequential: expected a first input tensor '
                                         r'of 1 dimensions, or 2 for a batch'):
        net.forward(np.zeros((2, 4, 3, 4)))


# --- Recurrence in a Sequencer --------------------------------------------------------------------------------
@pytest.mark.parametrize('method', METHODS)
def test_recurrence_in_a_sequencer_matches_numpy(method):
    """nn.Sequencer(nn.Recurrence(step, 3, 1).maskZero(1)) over a ``seqlen x batch x n`` left-padded tensor: the
    masked recurrence of the NumPy reference, forward, gradInput and parameter gradients."""
    rec = getattr(nn.Recurrence(step_module(), 3, 1), method)(1)
    seq = nn.Sequencer(rec).double()
    x, go = left_padded(), rng.normal(size=(4, 4, 3))
    want, gx, pgrads = reference(rec, x, go)
    np.testing.assert_allclose(seq.forward(x).numpy(), want, rtol=1e-12, atol=1e-15)
    seq.zeroGradParameters()
    np.testing.assert_allclose(seq.backward(x, go).numpy(), gx, rtol=1e-10, atol=1e-14)
    for got, w in zip(seq.parameters()[1], pgrads):
        np.testing.assert_allclose(got.numpy(), w, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize('method', METHODS)
def test_recurrence_in_a_sequencer_jacobian(method):
    """nn.Jacobian over the Sequencer itself (float64): input elements outside the padding and every parameter."""
    seq = nn.Sequencer(getattr(nn.Recurrence(step_module(), 3, 1), method)(1)).double()
    x = lg.from_numpy(left_padded((3, 1, 2)))
    assert_jacobian_outside_padding(seq, x)


@pytest.mark.gpu
@pytest.mark.parametrize('method', METHODS)
def test_recurrence_in_a_sequencer_gpu(method):
    assert_gpu_matches_cpu(nn.Sequencer(getattr(nn.Recurrence(step_module(), 3, 1), method)(1)), left_padded())


@pytest.mark.parametrize('method', METHODS)
def test_lua_abstract_recurrent_mask_zero_recurrence(method):
    """test.lua rnntest.AbstractRecurrent_maskZero / _trimZero with its Recurrence(rm, 10, 1) in a Sequencer of
    a table of steps; and nn.Recurrent refuses maskZero and trimZero (Recurrent.lua)."""
    x = lua_mask_zero_sequences(rng)
    seq = nn.Sequencer(getattr(nn.Recurrence(step_module(10, 10), 10, 1), method)(1)).double()
    out = np.stack([o.numpy() for o in seq.forward(list(x))])
    assert_lua_mask_zero_outputs(out)
    with pytest.raises(TypeError, match=f'nn.Recurrent: {method} is not supported'):
        getattr(nn.Recurrent(10, nn.Linear(10, 10), nn.Linear(10, 10)), method)()


def test_decoder_tail_of_the_encoder_decoder_example():
    """rnn's examples/encoder-decoder-coupling.lua ends its decoder with Sequencer(MaskZero(Linear, 1)),
    Sequencer(MaskZero(LogSoftMax, 1)) and SequencerCriterion(MaskZeroCriterion(ClassNLLCriterion, 1)): the loss
    is the NLL of the real steps only (each step's average over its real rows), and the padding rows get no
    gradient, into the input or the Linear (whose gradOutput the LogSoftMax already zeroed there, so Decorator.lua's
    unmasked accGradParameters would give these numbers too)."""
    dec = (nn.Sequential().add(nn.Sequencer(nn.MaskZero(nn.Linear(4, 5), 1)))
           .add(nn.Sequencer(nn.MaskZero(nn.LogSoftMax(), 1)))).double()
    crit = nn.SequencerCriterion(nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1)).double()
    x = left_padded()
    labels = rng.integers(0, 5, size=(4, 4))
    labels[x[..., 0] == 0] = -1   # padding's labels: never read
    target = lg.LongTensor(labels)
    out = dec.forward(x)
    loss = crit.forward(out, target)
    lin = dec.get(0).module.module.module
    w, b = lin.weight.numpy(), lin.bias.numpy()
    want, grad_w = 0.0, np.zeros_like(w)
    for t in range(4):
        keep = np.abs(x[t]).sum(axis=1) != 0
        z = x[t][keep] @ w.T + b
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        rows = np.arange(keep.sum())
        want -= logp[rows, labels[t][keep]].mean()
        dz = np.exp(logp)
        dz[rows, labels[t][keep]] -= 1
        grad_w += (dz / keep.sum()).T @ x[t][keep]
    assert loss == pytest.approx(want, rel=1e-12)
    dec.zeroGradParameters()
    gi = dec.backward(x, crit.backward(out, target)).numpy()
    assert not gi[x == 0].any()
    np.testing.assert_allclose(lin.gradWeight.numpy(), grad_w, rtol=1e-10, atol=1e-14)
