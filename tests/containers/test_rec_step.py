"""RecLSTM and RecGRU (torch/rnn's RecLSTM.lua, RecGRU.lua): a StepLSTM or StepGRU stepped by AbstractRecurrent,
checked by finite differences through a Sequencer, against SeqLSTM/SeqLSTMP, with torch/rnn's setZeroMask, and on
bad input. Also the explicit mask torch/rnn gives SeqLSTM and SeqGRU (``setZeroMask``)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, standard_tests

T, N, D, H, R = 3, 2, 4, 5, 3


def r(*sizes):
    return lg.DoubleTensor(*sizes).uniform(-1, 1)


CASES = {
    'lstm': lambda: (nn.Sequencer(nn.RecLSTM(D, H)), r(T, N, D)),
    'lstmp': lambda: (nn.Sequencer(nn.RecLSTM(D, H, R)), r(T, N, D)),
    'gru': lambda: (nn.Sequencer(nn.RecGRU(D, H)), r(T, N, D)),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), lambda case: CASES[case]())


def mask(*rows):
    m = lg.ByteTensor(T, N).zero()
    for t, n in rows:
        m[t, n] = 1
    return m


def test_masked_step_restarts_the_state_from_zeros():
    """A row masked at step t outputs zeros there, and step t+1 continues from a zero state: its output is that
    of a fresh sequence started at t+1."""
    rec = nn.RecLSTM(D, H).double().maskZero()
    seq = nn.Sequencer(rec)
    x = r(T, N, D)
    seq.setZeroMask(mask((1, 0)))
    out = seq.forward(x).clone()
    assert out[1, 0].norm() == 0 and out[1, 1].norm() > 0
    fresh = nn.Sequencer(nn.RecLSTM(D, H).double())
    fresh.module.modules[0].weight.copy(rec.modules[0].weight)
    fresh.module.modules[0].bias.copy(rec.modules[0].bias)
    np.testing.assert_allclose(out[2, 0].numpy(), fresh.forward(x[2:3])[0, 0].numpy(), rtol=1e-12)


def test_mask_steps_are_counted():
    seq = nn.Sequencer(nn.RecLSTM(D, H).double().maskZero())
    seq.setZeroMask(mask())
    with pytest.raises(ValueError, match=r'RecLSTM.*at most 3 forwards'):
        seq.forward(r(T + 1, N, D))
    seq.setZeroMask(mask())
    rec = seq.module
    rec.forget()
    rec.forward(r(N, D))
    with pytest.raises(ValueError, match=r'RecLSTM.*3 forwards .* before a backward'):
        rec.backward(r(N, D), r(N, H))
    with pytest.raises(ValueError, match='zeroMask of 2 or more dimensions'):
        rec.setZeroMask(lg.ByteTensor(N).zero())


def test_setzeromask_is_refused_by_element_research_modules():
    """Their masking is maskZero(nInputDim): torch/rnn's mask would silently do nothing there."""
    with pytest.raises(TypeError, match=r'FastLSTM.*setZeroMask is torch/rnn'):
        nn.Sequencer(nn.FastLSTM(D, H)).setZeroMask(mask())


def test_start_state_and_hidden_state():
    rec = nn.RecLSTM(D, H).double()
    h0, c0 = r(N, H), r(N, H)
    rec.setHiddenState(-1, [h0, c0])
    x = r(N, D)
    out = rec.forward(x)
    step = nn.StepLSTM(D, H).double()
    step.weight.copy(rec.modules[0].weight)
    step.bias.copy(rec.modules[0].bias)
    h, c = step.forward([x, h0, c0])
    np.testing.assert_allclose(out.numpy(), h.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rec.getHiddenState(0)[1].numpy(), c.numpy(), rtol=1e-12)
    rec.forget()
    with pytest.raises(ValueError, match=r'start state of size \(4, 5\)'):
        rec.forward(r(4, D))


@pytest.mark.parametrize('bad, error, match', [
    (lambda: r(D), ValueError, r'RecLSTM.*2-D input'),
    (lambda: r(N, D + 1), ValueError, r'RecLSTM.*input\[0\] of 4 features'),
    (lambda: r(N, D).float(), TypeError, 'DoubleTensor'),
])
def test_bad_input_is_named(bad, error, match):
    assert_rejected(nn.RecLSTM(D, H).double(), error, match, 'forward', bad())


@pytest.mark.parametrize('make', [lambda: nn.SeqLSTM(D, H), lambda: nn.SeqGRU(D, H), lambda: nn.SeqLSTMP(D, H, R)],
                         ids=['lstm', 'gru', 'lstmp'])
def test_seq_modules_take_an_explicit_mask(make):
    """setZeroMask's rows are masked as the all-zero rows of Element-Research's maskZero are; False masks
    nothing; None goes back to the zero rows."""
    m = make().double().maskZero()
    x = r(T, N, D)
    zeroed = x.clone()
    zeroed[1, 0].zero()
    by_rows = m.forward(zeroed).clone()
    m.setZeroMask(mask((1, 0)))
    by_mask = m.forward(zeroed).clone()
    np.testing.assert_array_equal(by_rows.numpy(), by_mask.numpy())
    assert m.forward(x)[1, 0].norm() == 0
    m.setZeroMask(False)
    assert m.forward(zeroed)[1, 0].norm() > 0
    m.setZeroMask(None)
    assert m.forward(zeroed)[1, 0].norm() == 0
    m.setZeroMask(lg.ByteTensor(T, N + 1).zero())
    with pytest.raises(ValueError, match='zeroMask of 6 elements'):
        m.forward(x)
    # SeqLSTM.lua's and SeqGRU.lua's clearState forget the mask: the input's zero rows decide again
    m.setZeroMask(False)
    m.clearState()
    assert m.zeroMask is None and m.forward(zeroed)[1, 0].norm() == 0


def test_recgru_state_is_a_tensor():
    """RecGRU.lua's hidden state is h itself, not a table."""
    rec = nn.RecGRU(D, H).double()
    h0 = r(N, H)
    rec.setHiddenState(-1, h0)
    x = r(N, D)
    out = rec.forward(x)
    step = nn.StepGRU(D, H).double()
    step.weight.copy(rec.modules[0].weight)
    step.bias.copy(rec.modules[0].bias)
    np.testing.assert_allclose(out.numpy(), step.forward([x, h0]).numpy(), rtol=1e-12)
    assert rec.getHiddenState(0) is out
    rec.backward(x, r(N, H))
    assert tuple(rec.getGradHiddenState(-1).size()) == (N, H)


def test_evaluation_reuses_one_step_module():
    """In evaluate() every step runs on modules[0], its output buffer the next step's input (RecGRU.lua copies
    it first): the outputs equal training's."""
    for make in (lambda: nn.RecGRU(D, H), lambda: nn.RecLSTM(D, H, R)):
        seq = nn.Sequencer(make()).double()
        x = r(T, N, D)
        train = seq.forward(x).clone()
        seq.evaluate()
        np.testing.assert_allclose(seq.forward(x).numpy(), train.numpy(), rtol=1e-12)


def test_bisequencer_reverses_the_mask_for_its_backward_rnn():
    """BiSequencer.setZeroMask: step t's row is masked in both directions (the backward rnn reads step t at
    its own step seqlen-1-t), and only there."""
    brnn = nn.BiSequencer(nn.RecLSTM(D, H), nn.RecLSTM(D, H)).double().maskZero()
    brnn.setZeroMask(mask((0, 0)))
    x = r(T, N, D)
    out = brnn.forward([x[t] for t in range(T)])
    assert out[0][0].norm() == 0   # both halves, joined
    assert out[0][1].norm() > 0 and all(out[t][0, H:].norm() > 0 for t in range(1, T))


def test_sequencer_of_a_plain_module_takes_the_mask():
    """torch/rnn's Sequencer(nn.Linear(...)):maskZero() then setZeroMask: its Recursor masks each step's rows."""
    seq = nn.Sequencer(nn.Linear(D, H)).double().maskZero()
    seq.setZeroMask(mask((1, 0), (2, 1)))
    x = r(T, N, D)
    out = seq.forward(x)
    assert out[1, 0].norm() == 0 and out[2, 1].norm() == 0 and out[1, 1].norm() > 0
    gi = seq.backward(x, r(T, N, H))
    assert gi[1, 0].norm() == 0 and gi[2, 1].norm() == 0 and gi[0, 0].norm() > 0
    with pytest.raises(TypeError, match=r'GRU.*maskZero\(\) without nInputDim is torch/rnn'):
        nn.GRU(D, H).maskZero()


@pytest.mark.gpu
@pytest.mark.parametrize('make', [lambda: nn.SeqLSTM(D, H), lambda: nn.Sequencer(nn.RecLSTM(D, H)),
                                  lambda: nn.Sequencer(nn.RecGRU(D, H))], ids=['seqlstm', 'reclstm', 'recgru'])
def test_masked_on_the_gpu(make):
    """setZeroMask's mask, on the CPU or the GPU, masks a CUDA module's rows as the CPU module's."""
    cpu = make().double().maskZero()
    x, go, m = r(T, N, D), r(T, N, H), mask((1, 0), (2, 1))
    cpu.setZeroMask(m)
    out = cpu.forward(x).clone()
    gi = cpu.backward(x, go).clone()
    for gpu_mask in (m, m.cudaByte()):
        gpu = cpu.clone().cudaDouble()
        gpu.setZeroMask(gpu_mask)
        np.testing.assert_allclose(gpu.forward(x.cudaDouble()).double().numpy(), out.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gpu.backward(x.cudaDouble(), go.cudaDouble()).double().numpy(), gi.numpy(),
                                   rtol=1e-10, atol=1e-12)
