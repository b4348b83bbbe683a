"""sharedClone/stepClone (dpnn's Module.lua), rnn's Module.lua extras, AbstractRecurrent and Recursor."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_rejected, assert_type_roundtrip

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


def mlp():
    return nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).double()


# --- sharedClone ------------------------------------------------------------------------------------
def _check_shared_twin(mlp_, twin, name):
    """Both give the same outputs and gradients and stay equal through updates (dpnn's test/test.lua,
    Module_sharedClone's testrnn)."""
    for _ in range(2):
        x, go = r(2, 3), r(2, 4)
        mlp_.zeroGradParameters()
        out, gi = mlp_.forward(x).clone(), mlp_.backward(x, go).clone()
        twin.zeroGradParameters()
        out2, gi2 = twin.forward(x), twin.backward(x, go)
        np.testing.assert_allclose(out2.numpy(), out.numpy(), err_msg=name)
        np.testing.assert_allclose(gi2.numpy(), gi.numpy(), err_msg=name)
        mlp_.updateParameters(0.1)
        for p, p2 in zip(mlp_.parameters()[0], twin.parameters()[0]):
            np.testing.assert_array_equal(p.numpy(), p2.numpy())


@pytest.mark.parametrize('make', [lambda: nn.Linear(3, 4),
                                  lambda: nn.Sequential().add(nn.Linear(3, 7)).add(nn.Tanh())
                                  .add(nn.Euclidean(7, 4)).add(nn.LogSoftMax())], ids=['linear', 'sequential'])
def test_shared_clone_shares_parameters_and_gradients(make):
    """dpnn test/test.lua Module_sharedClone: a sharedClone's parameters and gradients are the original's
    storages, its other fields its own."""
    m = make().double()
    twin = m.sharedClone()
    params, grads = m.parameters()
    params2, grads2 = twin.parameters()
    assert len(params) == len(params2) and len(grads) == len(grads2)
    for p, p2 in zip(params + grads, params2 + grads2):
        assert p2 is not p and p2.storage() is p.storage()
    m.__test, twin.__test = 1, 2
    assert m.__test != twin.__test
    _check_shared_twin(m, twin, 'sharedClone')
    # an output buffer is the clone's own
    assert twin.output.storage() is not m.output.storage()


def test_shared_clone_flags_and_buffers():
    """dpnn Module.lua sharedClone(shareParams, shareGradParams): each kind shared only when asked; buffers
    that are no parameter (BatchNormalization's running mean) are copied."""
    lin = nn.Linear(3, 4)
    only_params = lin.sharedClone(True, False)
    assert only_params.weight.storage() is lin.weight.storage()
    assert only_params.gradWeight.storage() is not lin.gradWeight.storage()
    only_grads = lin.sharedClone(False, True)
    assert only_grads.weight.storage() is not lin.weight.storage()
    assert only_grads.gradBias.storage() is lin.gradBias.storage()
    bn = nn.BatchNormalization(4)
    twin = bn.sharedClone()
    assert twin.weight.storage() is bn.weight.storage()
    assert twin.running_mean.storage() is not bn.running_mean.storage()


def test_shared_clone_after_get_parameters_keeps_the_flat_storage():
    """dpnn test/test.lua (the nngraph case): after getParameters a sharedClone still views the flat storage,
    also through a gModule, and trains in step with the original."""
    lin1 = nn.Linear(10, 10).double()
    flat, _ = lin1.getParameters()
    x = nn.Identity()()
    g = nn.gModule([x], [lin1.clone()(x)])
    g2 = g.sharedClone()
    for p, p2 in zip(*[m.parameters()[0] for m in (g, g2)]):
        assert p2.storage() is p.storage()
    inp, go = r(4, 10), r(4, 10)
    g.zeroGradParameters()
    g.forward(inp)
    g.backward(inp, go)
    g.updateParameters(0.1)
    out3 = g2.forward(inp)
    np.testing.assert_allclose(out3.numpy(), g.forward(inp).numpy())
    for gp, gp2 in zip(g.parameters()[1], g2.parameters()[1]):
        np.testing.assert_array_equal(gp.numpy(), gp2.numpy())
    assert flat.storage() is lin1.weight.storage()


def test_step_clone_holds_recurrent_modules_as_themselves():
    """dpnn Module.lua with stepClone: an AbstractRecurrent (dpnn_stepclone) is the same object in a step
    clone, and is its own stepClone; a plain sharedClone copies it (its step clones' parameters still shared)."""
    rec = nn.Recursor(nn.Linear(3, 4))
    assert rec.stepClone() is rec
    seq = nn.Sequential().add(nn.Linear(2, 3)).add(rec)
    step = seq.stepClone()
    assert step.modules[1] is rec and step.modules[0] is not seq.modules[0]
    assert step.modules[0].weight.storage() is seq.modules[0].weight.storage()
    copy = seq.sharedClone()
    assert copy.modules[1] is not rec
    assert copy.modules[1].modules[0].weight.storage() is rec.modules[0].weight.storage()


def test_shared_clone_uses_a_module_own_dpnn_shared_clone():
    """dpnn Module.lua: a module held in the tree with a dpnn_sharedClone method is copied by that method."""
    class Custom(nn.Linear):
        def dpnn_sharedClone(self):
            twin = self.clone()
            twin.made_by_hook = True
            return twin

    seq = nn.Sequential().add(Custom(2, 2)).add(nn.Linear(2, 2))
    copy = seq.sharedClone()
    assert getattr(copy.get(0), 'made_by_hook', False) and not hasattr(seq.get(0), 'made_by_hook')
    assert copy.get(0).weight.storage() is not seq.get(0).weight.storage()
    assert copy.get(1).weight.storage() is seq.get(1).weight.storage()


# --- rnn's Module.lua extras on every module ---------------------------------------------------------------
def test_module_extras_pass_down_through_containers():
    """rnn Module.lua: setOutputStep and maxBPTTstep reach the recurrent modules of a tree; hidden-state
    getters give a container's list of its children's (None for a leaf), setters take one entry per child."""
    rec = nn.Recursor(nn.Linear(3, 4))
    seq = nn.Sequential().add(nn.Linear(3, 3)).add(rec).double()
    seq.maxBPTTstep(7)
    assert rec.rho == 7
    assert nn.Linear(2, 2).getHiddenState(0) is None
    assert nn.Sequential().add(nn.Tanh()).add(nn.ReLU()).getHiddenState(0) == [None, None]
    with pytest.raises(TypeError, match="Sequential.*setHiddenState: expected a table"):
        nn.Sequential().add(nn.Tanh()).setHiddenState(0, lg.zeros(2))
    x = r(2, 3)
    seq.forward(x)
    first = seq.output.clone()
    seq.forward(r(2, 3))
    seq.setOutputStep(0)
    np.testing.assert_array_equal(rec.output.numpy(), first.numpy())
    with pytest.raises(NotImplementedError):
        nn.AbstractRecurrent.getHiddenState(rec, 0)
    with pytest.raises(ValueError, match="step 5"):
        rec.setOutputStep(5)


# --- Recursor ---------------------------------------------------------------------------------------------
def test_recursor_runs_step_clones_and_matches_numpy():
    """rnn Recursor.lua: each forward is a step on its own clone sharing parameters; backward in reverse
    step order gives each step's gradInput and accumulates every step's parameter gradients (float64 NumPy
    reference of tanh(x W^T + b))."""
    inner = mlp().double()
    rec = nn.Recursor(inner)
    xs, gos = [r(2, 3) for _ in range(4)], [r(2, 4) for _ in range(4)]
    outs = [rec.forward(x).clone() for x in xs]
    assert rec.step == 4 and len(rec.sharedClones) == 4 and rec.sharedClones[0] is inner
    rec.zeroGradParameters()
    gis = {t: rec.backward(xs[t], gos[t]).clone() for t in reversed(range(4))}
    W, b = inner.get(0).weight.numpy(), inner.get(0).bias.numpy()
    gW, gb = np.zeros_like(W), np.zeros_like(b)
    for t, (x, go) in enumerate(zip(xs, gos)):
        y = np.tanh(x @ W.T + b)
        np.testing.assert_allclose(outs[t].numpy(), y, rtol=1e-12)
        g = go * (1 - y ** 2)
        np.testing.assert_allclose(gis[t].numpy(), g @ W, rtol=1e-12)
        gW += g.T @ x
        gb += g.sum(0)
    np.testing.assert_allclose(inner.get(0).gradWeight.numpy(), gW, rtol=1e-12)
    np.testing.assert_allclose(inner.get(0).gradBias.numpy(), gb, rtol=1e-12)
    assert repr(rec).startswith('nn.Recursor @ nn.Sequential')


def test_recursor_jacobian_over_a_sequence():
    """rnn Recursor.lua: the Jacobian (input and parameters) of a 3-step sequence, forward step by step,
    backward in reverse."""
    assert_jacobian(nn.Sequencer(nn.Recursor(mlp())), r(3, 2, 3))


def test_recursor_type_roundtrip_and_gpu():
    """AbstractRecurrent.lua type(): the step clones convert with the module and keep sharing its parameters."""
    rec = nn.Recursor(mlp())
    for x in (r(2, 3), r(2, 3)):
        rec.forward(x)
    assert_type_roundtrip(rec, r(2, 3))
    lin = rec.modules[0].get(0)
    for clone in rec.sharedClones.values():
        assert clone.get(0).weight.storage() is lin.weight.storage()
        assert clone.get(0).weight.type() == 'legonn.FloatTensor'


@pytest.mark.gpu
def test_recursor_gpu():
    assert_gpu_matches_cpu(nn.Sequencer(nn.Recursor(mlp())), r(3, 2, 3))


def test_recycle_keeps_rho_plus_one_clones():
    """AbstractRecurrent.lua recycle: with rho = 2, at most rho + 1 = 3 step clones exist; a step reuses the
    clone of the step rho + 1 before it, and the records older than that are dropped."""
    rec = nn.Recursor(mlp(), 2)
    made = []
    for t in range(6):
        rec.forward(r(2, 3))
        made.append(rec.sharedClones[t])
    assert len(rec.sharedClones) == 3 and sorted(rec.sharedClones) == [3, 4, 5]
    assert made[3] is made[0] and made[4] is made[1] and made[5] is made[2]
    assert sorted(rec.outputs) == [2, 3, 4, 5]
    # backward reaches back rho + 1 steps; forget renumbers the clones from 0, in step order
    for t in (5, 4, 3):
        rec.backward(r(2, 3) * 0 + 1, r(2, 4))
    rec.forget()
    assert rec.step == 0 and sorted(rec.sharedClones) == [0, 1, 2] and rec.sharedClones[0] is made[3]
    assert rec.outputs == {}


def test_evaluate_runs_the_module_itself_and_forget_keeps_clones():
    """Recursor.lua in evaluation: no clone, the module runs each step; AbstractRecurrent.lua forget()
    in evaluation keeps the records; training()/evaluate() reach the step clones."""
    inner = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Dropout(0.5)).double()
    rec = nn.Recursor(inner)
    rec.forward(r(2, 3))
    rec.forward(r(2, 3))
    rec.evaluate()
    assert all(not c.get(1).train for c in rec.sharedClones.values())
    rec.forget()
    rec.forward(r(2, 3))
    assert rec.output is inner.output and len(rec.sharedClones) == 2
    rec.training()
    assert all(c.get(1).train for c in rec.sharedClones.values())


def test_backward_order_errors_change_nothing():
    """AbstractRecurrent.lua asserts: accGradParameters needs its step's updateGradInput first; no backward
    step without a forward."""
    rec = nn.Recursor(nn.Linear(3, 4).double())
    assert_rejected(rec, ValueError, "a forward", 'updateGradInput', lg.DoubleTensor(2, 3), lg.DoubleTensor(2, 4))
    x, go = lg.from_numpy(r(2, 3)), lg.from_numpy(r(2, 4))
    rec.forward(x)
    assert_rejected(rec, ValueError, "updateGradInput before accGradParameters", 'accGradParameters', x, go)
    rec.updateGradInput(x, go)
    rec.accGradParameters(x, go)
    assert_rejected(rec, ValueError, r"a forward\(\) for each accGradParameters step", 'accGradParameters', x, go)
    with pytest.raises(ValueError, match=r"Recursor\[step 1\]"):
        rec.forward(r(2, 5))
    with pytest.raises(ValueError, match="rho"):
        nn.Recursor(nn.Linear(2, 2), 0)


def test_clear_state_forgets_and_empties_clones():
    """AbstractRecurrent.lua clearState: forget(), empty records, every step clone's buffers emptied."""
    rec = nn.Recursor(mlp())
    for _ in range(3):
        rec.forward(r(2, 3))
    rec.clearState()
    assert rec.step == 0 and rec.outputs == {}
    assert all(c.output.nElement() == 0 for c in rec.sharedClones.values())
    assert rec.forward(r(2, 3)).size() == (2, 4)
