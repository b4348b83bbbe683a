"""Sequencer and AbstractSequencer (rnn's Sequencer.lua, AbstractSequencer.lua) driving AbstractRecurrent
modules and Recursor-wrapped ones."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_rejected, assert_type_roundtrip
from tests.containers.recurrent_cells import lua_remember_modes

rng = np.random.default_rng(2)
N, D, H = 4, 3, 7


def r(*shape):
    return lg.from_numpy(rng.normal(size=shape))


def recurrent(size_in=D, rho=5):
    return nn.Recurrent(H, nn.Linear(size_in, H), nn.Euclidean(H, H), nn.Sigmoid(), rho).double()


def clones(xs):
    return [x.clone() for x in xs]


def test_sequencer_of_a_recurrent_is_its_steps():
    """rnn test/test.lua Sequencer: a Sequencer of a Recurrent gives the outputs and gradInputs of the Recurrent
    driven step by step (backward in reverse), and leaves the gradOutputs as they were."""
    rnn = recurrent()
    rnn.zeroGradParameters()
    seq = nn.Sequencer(rnn.clone())
    xs, gos = [r(N, D) for _ in range(5)], [r(N, H) for _ in range(5)]
    outs = [rnn.forward(x).clone() for x in xs]
    gis = [None] * 5
    for t in reversed(range(5)):
        gis[t] = rnn.backward(xs[t], gos[t]).clone()
    kept = clones(gos)
    outs3 = seq.forward(xs)
    assert isinstance(outs3, list) and len(outs3) == 5
    gis3 = seq.backward(xs, gos)
    for t in range(5):
        np.testing.assert_allclose(outs3[t].numpy(), outs[t].numpy(), rtol=1e-12)
        np.testing.assert_allclose(gis3[t].numpy(), gis[t].numpy(), rtol=1e-12)
        np.testing.assert_array_equal(gos[t].numpy(), kept[t].numpy())
    for a, b in zip(rnn.parameters()[1], seq.parameters()[1]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_sequencer_remember_over_variable_length_chunks():
    """rnn test/test.lua Sequencer, testRemember: with remember('both') a Sequencer fed a long sequence in chunks
    of 5, 4, 5, 3, 7, 3 steps (backward and an update after each) matches the Recurrent driven by hand, and a
    Recursor of it, with maxBPTTstep(chunk length) for each chunk; without remember each chunk restarts."""
    chunks = [5, 4, 5, 3, 7, 3]
    base = recurrent(H, rho=max(chunks))
    base.zeroGradParameters()
    by_hand, in_recursor, in_seq = base.clone(), nn.Recursor(base.clone()), nn.Sequencer(base.clone())
    in_seq.remember('both')
    xs = [r(N, H) for _ in range(sum(chunks))]
    gos = [r(N, H) for _ in range(sum(chunks))]
    results = {}
    for name, m in (('hand', by_hand), ('recursor', in_recursor)):
        outs, gis, start = [], [], 0
        for n in chunks:
            # set before the chunk's forward, as the Sequencer does (the Lua test sets it after: recycle() then
            # drops the output a 7-step chunk after a 3-step one needs, by AbstractRecurrent.lua's rule)
            m.maxBPTTstep(n)
            outs += [m.forward(x).clone() for x in xs[start:start + n]]
            chunk = [m.backward(xs[t], gos[t]).clone() for t in reversed(range(start, start + n))]
            gis += chunk[::-1]
            m.updateParameters(1)
            m.zeroGradParameters()
            start += n
        results[name] = outs, gis
    outs, gis, start = [], [], 0
    for n in chunks:
        outs += clones(in_seq.forward(xs[start:start + n]))
        gis += clones(in_seq.backward(xs[start:start + n], gos[start:start + n]))
        in_seq.updateParameters(1)
        in_seq.zeroGradParameters()
        start += n
    results['sequencer'] = outs, gis
    for name in ('recursor', 'sequencer'):
        for t in range(sum(chunks)):
            np.testing.assert_allclose(results[name][0][t].numpy(), results['hand'][0][t].numpy(), rtol=1e-10,
                                       err_msg=f"{name} output {t}")
            np.testing.assert_allclose(results[name][1][t].numpy(), results['hand'][1][t].numpy(), rtol=1e-9,
                                       atol=1e-12, err_msg=f"{name} gradInput {t}")
    for a, b in zip(by_hand.parameters()[0], in_seq.parameters()[0]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9)
    # without remember, every forward is a new sequence from step 0
    fresh = nn.Sequencer(base.clone())
    first = clones(fresh.forward(xs[:3]))
    for a, b in zip(fresh.forward(xs[:3]), first):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_sequencer_evaluation_and_remember_in_evaluation():
    """rnn test/test.lua Sequencer: evaluate() gives the training outputs, a shorter sequence its prefix;
    with remember() a sequence fed as 3 + 2 steps gives the 5-step outputs; the evaluation outputs are the
    Sequencer's own copies (the module reuses one buffer in evaluation)."""
    seq = nn.Sequencer(recurrent())
    xs = [r(N, D) for _ in range(5)]
    outs = clones(seq.forward(xs))
    seq.evaluate()
    outs4 = seq.forward(xs)
    assert len({id(o) for o in outs4}) == 5
    for a, b in zip(outs4, outs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    outs4 = clones(outs4)
    outs5 = seq.forward(xs[:4])
    assert len(outs5) == 4
    for a, b in zip(outs5, outs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    seq.remember()
    seq.evaluate()
    seq.forget()
    both = clones(seq.forward(xs[:3])) + clones(seq.forward(xs[3:]))
    for a, b in zip(both, outs4):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_sequencer_tensor_input_in_training_and_evaluation():
    """rnn test/test.lua Sequencer_tensor and Sequencer_tensoreval: a seqlen x batch x size tensor gives the
    outputs of the table of its steps (SplitTable then Sequencer), in training and in evaluation, after
    forget, at other lengths and batch sizes, and with remember()."""
    rnn = recurrent(H)
    seq, seq2 = nn.Sequencer(rnn), nn.Sequential().add(nn.SplitTable(0)).add(nn.Sequencer(rnn.clone()))
    for mode in ('training', 'evaluate'):
        getattr(seq, mode)()
        getattr(seq2, mode)()
        for T, B in ((5, 3), (2, 6), (7, 2)):
            x = r(T, B, H)
            out, out2 = seq.forward(x), seq2.forward(x)
            assert out.size() == (T, B, H)
            for t in range(T):
                np.testing.assert_allclose(out[t].numpy(), out2[t].numpy(), rtol=1e-12)
        seq.remember()
        seq2.remember()
        for T in (3, 4):
            x = r(T, 2, H)
            out, out2 = seq.forward(x), seq2.forward(x)
            for t in range(T):
                np.testing.assert_allclose(out[t].numpy(), out2[t].numpy(), rtol=1e-12)
        seq.remember('neither')
        seq2.remember('neither')
    seq.training()
    x, go = r(3, 2, H), r(3, 2, H)
    seq.forward(x)
    gi = seq.backward(x, go)
    seq2.training()
    seq2.forward(x)
    gi2 = seq2.backward(x, [go[t] for t in range(3)])
    np.testing.assert_allclose(gi.numpy(), gi2.numpy(), rtol=1e-12)


def test_sequencer_of_a_plain_module():
    """rnn test/test.lua Sequencer (non-recurrent module): a Sequencer of a Euclidean gives each step's
    forward and backward, accumulates every step's gradients (the Recursor's step clones share them), and
    after getParameters zeroGradParameters zeroes them all; float() converts it."""
    lin = nn.Euclidean(10, H).double()
    xs, gos = [r(N, 10) for _ in range(5)], [r(N, H) for _ in range(5)]
    twin = lin.clone()
    lin.zeroGradParameters()
    outs, gis = [], []
    for x, go in zip(xs, gos):
        outs.append(lin.forward(x).clone())
        gis.append(lin.backward(x, go).clone())
    seq = nn.Sequencer(twin)
    seq.zeroGradParameters()
    outs2, gis2 = seq.forward(xs), seq.backward(xs, gos)
    for a, b, c, d in zip(outs2, outs, gis2, gis):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
        np.testing.assert_allclose(c.numpy(), d.numpy(), rtol=1e-12)
    np.testing.assert_allclose(twin.gradWeight.numpy(), lin.gradWeight.numpy(), rtol=1e-12)
    seq.float()
    assert seq.forward([x.float() for x in xs])[0].type() == 'legonn.FloatTensor'
    seq = nn.Sequencer(nn.Linear(10, H).double())
    seq.forward(xs)
    seq.backward(xs, gos)
    assert all(g.numpy().any() for g in seq.parameters()[1])
    _, grads = seq.getParameters()
    seq.zeroGradParameters()
    assert not grads.numpy().any()
    seq.forward(xs)
    seq.backward(xs, gos)   # the step clones accumulate into the flat gradients too
    np.testing.assert_allclose(grads.numpy()[:10 * H].reshape(H, 10),
                               sum(go.numpy().T @ x.numpy() for x, go in zip(xs, gos)), rtol=1e-12)


def test_sequencer_remember_modes_switching():
    """rnn test/test.lua Sequencer (remember modes 'both' and 'eval' across training(), evaluate(),
    training()) runs; AbstractSequencer.lua: hasMemory by mode, maxBPTTstep ignored, remember not passed down,
    an unknown mode refused; Sequencer.lua's training()/evaluate() forget when the mode changes."""
    seq = nn.Sequencer(nn.Recurrent(5, nn.Linear(5, 5), nn.Linear(5, 5)).double())
    train, evaluation = [r(5) for _ in range(3)], [r(5)]
    for _ in lua_remember_modes(seq, train, evaluation):
        pass
    seq.remember('train')
    assert seq.hasMemory()
    seq.evaluate()
    assert not seq.hasMemory() and seq.module.step == 0
    seq.maxBPTTstep(2)
    seq.forward(train)
    assert seq.module.rho == 3
    with pytest.raises(ValueError, match="remember: expected one of"):
        seq.remember('always')
    inner = nn.Sequencer(nn.Linear(2, 2))
    nn.Sequential().add(inner).remember('eval')
    assert inner._remember == 'eval'


def test_sequencer_jacobian_type_gpu():
    """Sequencer.lua over a Recursor-wrapped MLP and over a Recurrent: Jacobian (input and parameters), float and
    double, the GPU (simulator) against the CPU."""
    mlp = nn.Sequential().add(nn.Linear(D, H)).add(nn.Tanh())
    assert_jacobian(nn.Sequencer(mlp), r(3, 2, D))
    assert_jacobian(nn.Sequencer(mlp.clone()), [r(2, D), r(2, D)])
    assert_type_roundtrip(nn.Sequencer(recurrent()), r(3, 2, D))


@pytest.mark.gpu
def test_sequencer_gpu():
    assert_gpu_matches_cpu(nn.Sequencer(recurrent()), r(3, 2, D))
    assert_gpu_matches_cpu(nn.Sequencer(nn.Linear(D, H)), [r(2, D), r(2, D)])


def test_sequencer_errors_and_repr():
    """Sequencer.lua's asserts: a module at construction; a sequence (table or tensor); a gradOutput of the
    input's form and length. A bad step names the step's path."""
    with pytest.raises(TypeError, match="expected an nn module"):
        nn.Sequencer('lstm')
    seq = nn.Sequencer(nn.Linear(D, H).double())
    with pytest.raises(ValueError, match="non-empty sequence"):
        seq.forward([])
    xs = [r(2, D), r(2, D)]
    seq.forward(xs)
    assert_rejected(seq, ValueError, "gradOutput of 2 steps", 'backward', xs, [r(2, H)])
    assert_rejected(seq, TypeError, "input's form", 'updateGradInput', xs, r(2, 2, H))
    with pytest.raises(ValueError, match=r"^Sequencer @ Recursor\[step 1\] Linear"):
        seq.forward([r(2, D), r(2, D + 1)])
    assert repr(seq) == 'nn.Sequencer @ nn.Recursor @ nn.Linear(3 -> 7)'
    shared = seq.sharedClone()
    assert shared.module is not seq.module and shared.module.module.weight.storage() is \
        seq.module.module.weight.storage()


@pytest.mark.parametrize('make', [lambda: nn.FastLSTM(D, H), lambda: nn.Linear(D, H)])
def test_backward_over_fewer_steps_than_the_forward_is_refused(make):
    """The module back-propagates from the forward's last step down: a backward over 3 of a forward's 5 steps
    would pair its inputs with steps 2 to 4 (Sequencer.lua computes that silently); it is refused, table or
    tensor, before any step runs, and the full backward still works."""
    seq = nn.Sequencer(make().double())
    xs = [r(2, D) for _ in range(5)]
    seq.forward(xs)
    for backward_input, grad in ((xs[:3], [r(2, H) for _ in range(3)]), (lg.stack(xs[:3]), r(3, 2, H))):
        for method in ('backward', 'updateGradInput', 'accGradParameters'):
            assert_rejected(seq, ValueError, 'expected backward over the 5 steps of the last forward, got 3 steps',
                            method, backward_input, grad)
    assert len(seq.backward(xs, [r(2, H) for _ in range(5)])) == 5
    seq.forward(lg.stack(xs[:3]))
    assert tuple(seq.backward(lg.stack(xs[:3]), r(3, 2, H)).size()) == (3, 2, D)


def test_batch_normalization_in_a_sequencer_issue129():
    """rnn test/test.lua issue129: a SpatialBatchNormalization in a Sequencer (one step per forward) updates the
    running mean of the module its evaluation uses (sharedClones[0] is recurrentModule), as the module alone
    does, so evaluation gives the training output once the statistics settle."""
    x = lg.from_numpy(rng.normal(size=(4, 2, 64, 64)))
    alone = nn.Sequential().add(nn.SpatialBatchNormalization(2)).double()
    for _ in range(200):
        out = alone.forward(x).clone()
    alone.evaluate()
    np.testing.assert_allclose(alone.forward(x).numpy(), out.numpy(), atol=2e-4)
    model = nn.Sequential().add(nn.SplitTable(0)).add(nn.Sequencer(nn.Sequential().add(
        nn.SpatialBatchNormalization(2)))).add(nn.JoinTable(0)).double()
    seq_x = x.view(1, 4, 2, 64, 64)
    for _ in range(200):
        out = model.forward(seq_x).clone()
    rec = model.get(1).module
    assert rec.sharedClones[0] is rec.recurrentModule
    np.testing.assert_allclose(rec.recurrentModule.get(0).running_mean.numpy(), alone.get(0).running_mean.numpy(),
                               rtol=1e-6)
    model.evaluate()
    np.testing.assert_allclose(model.forward(seq_x).numpy(), out.numpy(), atol=2e-4)


@pytest.mark.parametrize('make', [
    lambda: nn.Repeater(nn.Recurrent(2, nn.Linear(3, 2), nn.Linear(2, 2)), 3),
    lambda: nn.Sequencer(nn.Recurrent(2, nn.Linear(3, 2), nn.Linear(2, 2))),
    lambda: nn.Sequencer(nn.Linear(3, 2)),
], ids=['repeater', 'sequencer-recurrent', 'sequencer-linear'])
def test_a_bad_gradient_tensor_is_refused_before_any_step_accumulates(make):
    """DESIGN rule 9, a failed call changes no parameters: with one gradient tensor resized behind the module's
    back, backward over several steps raises before the later steps (run first) accumulate into the others."""
    lg.manualSeed(1)
    seqr = make()
    x = lg.randn(2, 3) if isinstance(seqr, nn.Repeater) else lg.randn(3, 2, 3)
    out = seqr.forward(x)
    grad = [o.clone().fill(1) for o in out] if isinstance(out, list) else out.clone().fill(1)
    grads = seqr.parameters()[1]
    grads[0].set(grads[0].new(1, 1).zero())
    before = [g.clone() for g in grads]
    with pytest.raises(ValueError, match='expected gradient 0 to be a legonn.FloatTensor'):
        seqr.backward(x, grad)
    assert all(g.size() == b.size() and np.array_equal(g.numpy(), b.numpy()) for g, b in zip(grads, before))
