"""Recurrent (rnn's Recurrent.lua) and Recurrence (Recurrence.lua), step by step and in a Sequencer."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_rejected, assert_type_roundtrip

rng = np.random.default_rng(1)
N, D, H = 3, 4, 5


def r(*shape):
    return rng.normal(size=shape)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def simple_rnn(rho=None):
    return nn.Recurrent(H, nn.Linear(D, H), nn.Linear(H, H), nn.Sigmoid(), rho).double()


def simple_recurrence(rho=None):
    step = nn.Sequential().add(nn.ParallelTable().add(nn.Linear(D, H)).add(nn.Linear(H, H))) \
        .add(nn.CAddTable()).add(nn.Tanh())
    return nn.Recurrence(step, H, 1, rho).double()


def numpy_rnn(rnn, xs, gos):
    """Float64 reference of Recurrent.lua's maths: h[0] = sigmoid(W_i x[0] + b_i + s), h[t] = sigmoid(W_i x[t] +
    b_i + W_f h[t-1] + b_f); back-propagation through all steps. Returns (hs, gxs, {name: gradient})."""
    Wi, bi = rnn.inputModule.weight.numpy(), rnn.inputModule.bias.numpy()
    Wf, bf = rnn.feedbackModule.weight.numpy(), rnn.feedbackModule.bias.numpy()
    s = rnn.startModule.bias.numpy()
    hs = [sigmoid(xs[0] @ Wi.T + bi + s)]
    for x in xs[1:]:
        hs.append(sigmoid(x @ Wi.T + bi + hs[-1] @ Wf.T + bf))
    grads = dict(Wi=np.zeros_like(Wi), bi=np.zeros_like(bi), Wf=np.zeros_like(Wf), bf=np.zeros_like(bf),
                 s=np.zeros_like(s))
    gxs, gh = [None] * len(xs), np.zeros_like(hs[0])
    for t in reversed(range(len(xs))):
        gz = (gh + gos[t]) * hs[t] * (1 - hs[t])
        gxs[t] = gz @ Wi
        grads['Wi'] += gz.T @ xs[t]
        grads['bi'] += gz.sum(0)
        if t:
            grads['Wf'] += gz.T @ hs[t - 1]
            grads['bf'] += gz.sum(0)
            gh = gz @ Wf
        else:
            grads['s'] += gz.sum(0)
    return hs, gxs, grads


def run_steps(module, xs, gos):
    """Forward each step, then backward each in reverse: (outputs, gradInputs), cloned."""
    outs = [module.forward(x).clone() for x in xs]
    gis = [None] * len(xs)
    for t in reversed(range(len(xs))):
        gis[t] = module.backward(xs[t], gos[t]).clone()
    return outs, gis


# --- Recurrent ---------------------------------------------------------------------------------------------
def test_recurrent_matches_numpy():
    """Recurrent.lua: step 0 through initialModule (input, start, transfer), later steps through the
    recurrent module's step clones; BPTT one step per backward call, in reverse."""
    rnn = simple_rnn()
    xs, gos = [r(N, D) for _ in range(4)], [r(N, H) for _ in range(4)]
    rnn.zeroGradParameters()
    outs, gis = run_steps(rnn, [lg.from_numpy(x) for x in xs], [lg.from_numpy(g) for g in gos])
    hs, gxs, grads = numpy_rnn(rnn, xs, gos)
    for t in range(4):
        np.testing.assert_allclose(outs[t].numpy(), hs[t], rtol=1e-12)
        np.testing.assert_allclose(gis[t].numpy(), gxs[t], rtol=1e-10, atol=1e-14)
    for name, t in (('Wi', rnn.inputModule.gradWeight), ('bi', rnn.inputModule.gradBias),
                    ('Wf', rnn.feedbackModule.gradWeight), ('bf', rnn.feedbackModule.gradBias),
                    ('s', rnn.startModule.gradBias)):
        np.testing.assert_allclose(t.numpy(), grads[name], rtol=1e-10, atol=1e-14, err_msg=name)


def test_recurrent_jacobian_in_a_sequencer():
    """rnn test/test.lua Recurrent_checkgrad: the Jacobian of a 3-step sequence (input and every parameter);
    also with a transfer module ending in parameters (CMul), whose gradients read each step's gradOutput plus
    the gradient from the next step."""
    assert_jacobian(nn.Sequencer(simple_rnn()), r(3, N, D))
    scaled = nn.Recurrent(H, nn.Linear(D, H), nn.Linear(H, H), nn.Sequential().add(nn.Tanh()).add(nn.CMul(H)))
    assert_jacobian(nn.Sequencer(scaled), r(3, N, D))


def test_recurrent_type_roundtrip():
    seq = nn.Sequencer(simple_rnn())
    seq.forward(r(3, N, D))
    assert_type_roundtrip(seq, r(3, N, D))
    rnn = seq.module
    assert rnn.initialModule.get(0).weight.storage() is rnn.inputModule.weight.storage()


@pytest.mark.gpu
def test_recurrent_gpu():
    assert_gpu_matches_cpu(nn.Sequencer(simple_rnn()), r(3, N, D))


def test_recurrent_lua_port_evaluate_rho_forget():
    """rnn test/test.lua Recurrent: a LookupTable input module; an evaluate()d copy gives the training outputs;
    a copy with rho = nStep - 1 too; forget() then the same sequence gives the same outputs and first-step
    gradInput; after forget() a module with rho = 4 over 5 steps keeps 4 step clones."""
    dictSize, nStep = 20, 5
    rnn = nn.Recurrent(H, nn.LookupTable(dictSize, H), nn.Sequential().add(nn.Linear(H, 6)).add(nn.Sigmoid())
                       .add(nn.Linear(6, H)), nn.Sigmoid(), nStep).double()
    evaluating = rnn.clone().evaluate()
    shorter = rnn.clone()
    shorter.rho = nStep - 1
    rnn.zeroGradParameters()
    xs = [lg.LongTensor(rng.integers(0, dictSize, N)) for _ in range(nStep)]
    gos = [lg.DoubleTensor(N, H).zero() for _ in range(nStep - 1)] + [lg.from_numpy(r(N, H))]
    outs = []
    for x in xs:
        outs.append(rnn.forward(x).clone())
        np.testing.assert_allclose(evaluating.forward(x).numpy(), outs[-1].numpy(), rtol=1e-12)
        np.testing.assert_allclose(shorter.forward(x).numpy(), outs[-1].numpy(), rtol=1e-12)
    first = None
    for t in reversed(range(nStep)):
        first = rnn.backward(xs[t], gos[t]).clone()
        if t:
            shorter.backward(xs[t], gos[t])
    rnn.forget()
    rnn.zeroGradParameters()
    for t, x in enumerate(xs):
        np.testing.assert_allclose(rnn.forward(x).numpy(), outs[t].numpy(), rtol=1e-12)
    for t in reversed(range(nStep)):
        again = rnn.backward(xs[t], gos[t])
    np.testing.assert_allclose(again.numpy(), first.numpy(), rtol=1e-12)
    forgotten = shorter.clone().forget()
    assert forgotten.outputs == {} and len(forgotten.sharedClones) == 4


def test_recurrent_one_element_and_table_state():
    """rnn test/test.lua Recurrent_oneElement (a sequence of one unbatched step) and Recurrent_TestTable (a
    hidden state of two tensors through ParallelTables): they run forward and backward."""
    rnn = nn.Recurrent(8, nn.Linear(20, 8), nn.Linear(8, 8), nn.Sigmoid(), 5).double()
    seq = nn.Sequential().add(rnn).add(nn.Linear(8, 2)).double()
    crit = nn.MSECriterion().double()
    x, target = lg.DoubleTensor(20).uniform(), lg.DoubleTensor(2).uniform()
    out = seq.forward(x)
    crit.forward(out, target)
    assert seq.backward(x, crit.backward(out, target)).size() == (20,)
    seq.updateParameters(0.01)

    def pair(make):
        return nn.ParallelTable().add(make()).add(make())
    table_rnn = nn.Recurrent(pair(lambda: nn.Add(H)), pair(lambda: nn.Linear(D, H)),
                             pair(lambda: nn.Linear(H, H)), pair(nn.Sigmoid), 10,
                             pair(nn.CAddTable)).double()
    x, err = lg.from_numpy(r(N, D)), lg.from_numpy(r(N, H))
    for _ in range(10):
        out = table_rnn.forward([x, x.clone()])
    assert len(out) == 2 and out[1].size() == (N, H)
    for _ in range(10):
        gi = table_rnn.backward([x, x.clone()], [err, err.clone()])
    assert gi[0].size() == (N, D)


def test_recursor_of_a_sequential_holding_a_recurrent():
    """rnn test/test.lua Recursor, use case 1: Recursor(Sequential(inputModule, Recurrent(start, Identity,
    ...))) gives the outputs, gradInputs and parameter gradients of Recurrent(start, inputModule, ...): the step
    clones of the Sequential hold the Recurrent itself, and setOutputStep shows each step's output."""
    rho = 5
    inp = nn.Linear(D, H)
    feedback = nn.Sequential().add(nn.Linear(H, 6)).add(nn.Sigmoid()).add(nn.Linear(6, H))
    start = nn.Add(H)
    rnn = nn.Recurrent(start, nn.Identity(), feedback, nn.Sigmoid(), rho)
    re = nn.Recursor(nn.Sequential().add(inp).add(rnn), rho).double()
    re2 = nn.Recurrent(start.clone(), inp.clone(), feedback.clone(), nn.Sigmoid(), rho).double()
    re.zeroGradParameters()
    re2.zeroGradParameters()
    xs = [lg.from_numpy(r(N, D)) for _ in range(rho)]
    gos = [lg.from_numpy(r(N, H)) for _ in range(rho)]
    outs, gis = run_steps(re, xs, gos)
    outs2, gis2 = run_steps(re2, xs, gos)
    for t in range(rho):
        np.testing.assert_allclose(outs[t].numpy(), outs2[t].numpy(), rtol=1e-12)
        np.testing.assert_allclose(gis[t].numpy(), gis2[t].numpy(), rtol=1e-10)
    mine = nn.Container().add(rnn.feedbackModule).add(rnn.startModule).add(inp).parameters()[1]
    theirs = nn.Container().add(re2.feedbackModule).add(re2.startModule).add(re2.inputModule).parameters()[1]
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)


def test_recurrent_errors():
    """Recurrent.lua: start must be a module or a size; maskZero/trimZero refused; a bad step input names the
    step and changes nothing."""
    with pytest.raises(TypeError, match="start to be an nn module"):
        nn.Recurrent('x', nn.Linear(2, 2), nn.Linear(2, 2))
    with pytest.raises(TypeError, match="input and feedback"):
        nn.Recurrent(2, nn.Linear(2, 2), None)
    assert nn.Recurrent([2], nn.Linear(2, 2), nn.Linear(2, 2)).startModule.bias.size() == (2,)
    with pytest.raises(TypeError, match="use nn.Recurrence"):
        nn.Recurrent(2, nn.Linear(2, 2), nn.Linear(2, 2)).maskZero(1)
    rnn = simple_rnn()
    rnn.forward(r(N, D))
    assert_rejected(rnn, ValueError, r"Recurrent\[step 1\]", 'forward', r(N, D + 1))
    assert rnn.step == 1
    assert repr(rnn).startswith('nn.Recurrent {\n  [{input(t), output(t-1)} -> (0) -> (1) -> (2) -> output(t)]')
    rnn.clearState()
    assert rnn.step == 0 and rnn.initialModule.get(0).output.nElement() == 0
    # Recurrent.lua's includingSharedClones: evaluate() reaches step 0's clone of the input module too
    dropped = nn.Recurrent(2, nn.Sequential().add(nn.Linear(2, 2)).add(nn.Dropout(0.5)), nn.Linear(2, 2))
    dropped.evaluate()
    assert not dropped.initialModule.get(0).get(1).train and not dropped.inputModule.get(1).train


# --- Recurrence -----------------------------------------------------------------------------------------------
def test_recurrence_matches_recurrent():
    """rnn test/test.lua Recurrence, part 2: Recurrence({input(x), feedback(h)} -> CAddTable -> Sigmoid) from
    zeros equals Recurrent whose start module shares the feedback's bias, in a Sequencer with a LookupTable
    input, a Linear and a LogSoftMax after."""
    nIndex, rho = 10, 3
    inputLayer, feedback, outputLayer = nn.LookupTable(nIndex, H), nn.Linear(H, H), nn.Linear(H, 6)
    rnn = nn.Recurrent(H, inputLayer, feedback, nn.Sigmoid(), 99999)
    rnn.startModule.share(rnn.feedbackModule, 'bias')
    seq2 = nn.Sequencer(nn.Sequential().add(rnn).add(outputLayer).add(nn.LogSoftMax())).double()
    rm = nn.Sequential().add(nn.ParallelTable().add(inputLayer.clone()).add(feedback.clone())) \
        .add(nn.CAddTable()).add(nn.Sigmoid())
    seq = nn.Sequencer(nn.Sequential().add(nn.Recurrence(rm, H, 0)).add(outputLayer.clone())
                       .add(nn.LogSoftMax())).double()
    xs = [lg.LongTensor(rng.integers(0, nIndex, N)) for _ in range(rho)]
    gos = [lg.from_numpy(r(N, 6)) for _ in range(rho)]
    seq.zeroGradParameters()
    seq2.zeroGradParameters()
    outs, outs2 = seq.forward(xs), seq2.forward(xs)
    for a, b in zip(outs, outs2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    seq.backward(xs, gos)
    seq2.backward(xs, gos)
    mine = seq.parameters()[1]
    theirs = nn.Sequential().add(nn.ParallelTable().add(inputLayer).add(feedback)).add(outputLayer).parameters()[1]
    for i, (a, b) in enumerate(zip(mine, theirs)):
        if i != 2:   # the feedback's gradBias also gets the start module's (shared) gradient in Recurrent
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-14)


def test_recurrence_jacobian_type_and_hidden_state():
    """Recurrence.lua: Jacobian over 3 steps in a Sequencer; float/double; getHiddenState(-1) is the zeros
    before step 0 (0-based steps), getHiddenState(t) step t's output; setHiddenState(-1, ...) is the initial
    state of the next sequence; userPrevOutput replaces the zeros."""
    assert_jacobian(nn.Sequencer(simple_recurrence()), r(3, N, D))
    assert_type_roundtrip(nn.Sequencer(simple_recurrence()), r(3, N, D))
    rec = simple_recurrence()
    xs = [lg.from_numpy(r(N, D)) for _ in range(2)]
    outs = [rec.forward(x).clone() for x in xs]
    h = rec.getHiddenState(-1)
    # [initial output, the module's hidden states: Sequential[ParallelTable[Linear, Linear], CAddTable, Tanh]]
    assert h[0].size() == (N, H) and not h[0].numpy().any() and h[1] == [[[None, None], None, None]]
    np.testing.assert_array_equal(rec.getHiddenState(1)[0].numpy(), outs[1].numpy())
    rec.forget()
    rec.setHiddenState(-1, [outs[1]])
    again = rec.forward(xs[0]).clone()
    rec.forget()
    rec.userPrevOutput = outs[1]
    np.testing.assert_allclose(rec.forward(xs[0]).numpy(), again.numpy(), rtol=1e-12)
    lin_x, lin_h = rec.recurrentModule.get(0).get(0), rec.recurrentModule.get(0).get(1)
    expected = np.tanh(xs[0].numpy() @ lin_x.weight.numpy().T + lin_x.bias.numpy() +
                       outs[1].numpy() @ lin_h.weight.numpy().T + lin_h.bias.numpy())
    np.testing.assert_allclose(again.numpy(), expected, rtol=1e-12)


@pytest.mark.gpu
def test_recurrence_gpu():
    assert_gpu_matches_cpu(nn.Sequencer(simple_recurrence()), r(3, N, D))


def test_recurrence_grad_hidden_state_and_table_output():
    """Recurrence.lua: the gradient reaching step t's output from step t + 1 is getGradHiddenState(t) after
    backward; userNextGradOutput is the gradient after the last step; a table output (an LSTM-like state
    {h, c}) starts from a table of zeros of outputSize {{H}, {H}}."""
    rec = simple_recurrence()
    xs, gos = [lg.from_numpy(r(N, D)) for _ in range(2)], [lg.from_numpy(r(N, H)) for _ in range(2)]
    outs, gis = run_steps(rec, xs, gos)
    Wh = rec.recurrentModule.get(0).get(1).weight.numpy()
    g1 = gos[1].numpy() * (1 - outs[1].numpy() ** 2)
    np.testing.assert_allclose(rec.getGradHiddenState(0)[0].numpy(), g1 @ Wh, rtol=1e-12)
    rec.forget()
    rec.userNextGradOutput = lg.from_numpy(r(N, H))
    outs2, gis2 = run_steps(rec, xs, [gos[0], gos[1] * 0])
    g1 = rec.userNextGradOutput.numpy() * (1 - outs[1].numpy() ** 2)
    Wx = rec.recurrentModule.get(0).get(0).weight.numpy()
    np.testing.assert_allclose(gis2[1].numpy(), g1 @ Wx, rtol=1e-12)

    # {h, c} -> {h', c'}: h' = tanh(x W + h U) + c, c' = c (a table state of two tensors)
    cell = nn.ConcatTable() \
        .add(nn.Sequential().add(nn.ConcatTable()
                                 .add(nn.Sequential().add(nn.ParallelTable().add(nn.Linear(D, H))
                                                          .add(nn.Sequential().add(nn.SelectTable(0))
                                                               .add(nn.Linear(H, H))))
                                      .add(nn.CAddTable()).add(nn.Tanh()))
                                 .add(nn.Sequential().add(nn.SelectTable(1)).add(nn.SelectTable(1))))
             .add(nn.CAddTable())) \
        .add(nn.Sequential().add(nn.SelectTable(1)).add(nn.SelectTable(1)))
    state = nn.Recurrence(cell, [[H], [H]], 1).double()
    out = state.forward(xs[0])
    assert isinstance(out, list) and out[1].size() == (N, H) and not out[1].numpy().any()
    state.backward(xs[0], [gos[0], gos[0] * 0])


def test_recurrence_errors():
    """Recurrence.lua's asserts: outputSize a size or table of sizes, nInputDim a number, a module; an input
    of neither nInputDim nor nInputDim + 1 dimensions names the module."""
    with pytest.raises(TypeError, match="outputSize"):
        nn.Recurrence(nn.CAddTable(), 'x', 1)
    with pytest.raises(TypeError, match="nInputDim"):
        nn.Recurrence(nn.CAddTable(), 3, None)
    with pytest.raises(TypeError, match="nn module"):
        nn.Recurrence('m', 3, 1)
    rec = simple_recurrence()
    assert_rejected(rec, ValueError, r"Recurrence @ Sequential.*1 dimensions \(nInputDim\) or 2", 'forward',
                    r(2, N, D))
    assert rec.step == 0
    assert repr(rec).startswith('nn.Recurrence @ nn.Sequential')


def table_cell():
    """{x, {h, c}} -> {tanh(x W + h U) + c, c}: a Recurrence step of a two-tensor state."""
    hidden = nn.Sequential().add(nn.ParallelTable().add(nn.Linear(D, H))
                                 .add(nn.Sequential().add(nn.SelectTable(0)).add(nn.Linear(H, H)))) \
        .add(nn.CAddTable()).add(nn.Tanh())
    carried = nn.Sequential().add(nn.SelectTable(1)).add(nn.SelectTable(1))
    return nn.ConcatTable().add(nn.Sequential().add(nn.ConcatTable().add(hidden).add(carried)).add(nn.CAddTable())) \
        .add(carried.clone())


@pytest.mark.parametrize('make', [simple_recurrence,
                                  lambda: nn.Recursor(simple_recurrence()),
                                  lambda: nn.Sequential().add(nn.Recurrence(table_cell(), [[H], [H]], 1))
                                  .add(nn.SelectTable(0)).double()],
                         ids=['recurrence', 'recursor', 'sequential-table-state'])
def test_hidden_state_api(make):
    """rnn test/test.lua getHiddenState (0-based steps): a module given, step by step, the hidden state another
    copy had after each of its first 7 steps (setHiddenState(t - 1, getHiddenState(7 + t - 1))) gives that copy's
    next outputs; then, after both forwarded the first 7 steps, the gradient of the hidden state the copy had
    at each step (getGradHiddenState, after its backward through steps 13..7) set on the module
    (setGradHiddenState) gives the copy's gradInputs and parameter gradients."""
    seqlen = 7
    mod = make()
    mod2 = mod.clone()
    xs = [lg.from_numpy(r(N, D)) for _ in range(2 * seqlen)]
    gos = [lg.from_numpy(r(N, H)) for _ in range(2 * seqlen)]
    for t in range(seqlen):
        mod2.forward(xs[t])
    for t in range(seqlen):
        state = mod2.getHiddenState(seqlen + t - 1)
        assert isinstance(state, list) and len(state) >= 1
        mod.setHiddenState(t - 1, state)
        np.testing.assert_allclose(mod.forward(xs[seqlen + t]).numpy(), mod2.forward(xs[seqlen + t]).numpy(),
                                   rtol=1e-12, err_msg=f"step {t}")
    mod.zeroGradParameters()
    mod2.zeroGradParameters()
    mod.forget()
    for t in range(seqlen):
        mod.forward(xs[t])
        hs, hs2 = mod.getHiddenState(t), mod2.getHiddenState(t)
        first, first2 = hs[0], hs2[0]
        while isinstance(first, list):
            first, first2 = first[0], first2[0]
        np.testing.assert_array_equal(first.numpy(), first2.numpy())
    for t in reversed(range(seqlen, 2 * seqlen)):
        mod2.backward(xs[t], gos[t])
    mod2.zeroGradParameters()
    for t in reversed(range(seqlen)):
        grad_state = mod2.getGradHiddenState(t)
        assert isinstance(grad_state, list) and len(grad_state) >= 1
        mod.setGradHiddenState(t, grad_state)
        np.testing.assert_allclose(mod.backward(xs[t], gos[t]).numpy(), mod2.backward(xs[t], gos[t]).numpy(),
                                   rtol=1e-10, atol=1e-14, err_msg=f"step {t}")
    for g, g2 in zip(mod.parameters()[1], mod2.parameters()[1]):
        np.testing.assert_allclose(g.numpy(), g2.numpy(), rtol=1e-10, atol=1e-14)


def test_clear_state_keeps_the_step_clones():
    """rnn test/test.lua clearState (with a Recurrence for its LSTM): after clearState the step clones remain
    (nSharedClone counts them), emptied of their outputs, and the module still runs."""
    rec = simple_recurrence()
    seq = nn.Sequential().add(nn.Sequencer(rec))
    xs = [lg.from_numpy(r(N, D)) for _ in range(3)]
    for _ in range(4):
        seq.forward(xs)
    n = len(rec.sharedClones)
    seq.clearState()
    assert len(rec.sharedClones) == rec.nSharedClone == n == 3
    assert rec.outputs == {} and rec.gradOutputs == {}
    assert all(c.output.nElement() == 0 for c in rec.sharedClones.values())
    assert len(seq.forward(xs)) == 3


def test_abstract_recurrent_keeps_rnn_recursive_helpers():
    # AbstractRecurrent.lua's "backwards compatibility" aliases: rnn's test.lua calls lstm.recursiveCopy(nil, t)
    rnn = simple_rnn()
    t = [lg.DoubleTensor(r(2, 3)), {1: lg.DoubleTensor(r(4))}]
    copy = rnn.recursiveCopy(None, t)[0]
    assert copy[0] is not t[0] and np.array_equal(copy[0].numpy(), t[0].numpy())
    assert np.array_equal(copy[1][1].numpy(), t[1][1].numpy())
    assert nn.Recurrent.recursiveTensorEq(copy, t)
    assert nn.LSTM.recursiveAdd is nn.rnn.recursiveAdd and nn.GRU.recursiveSet is nn.rnn.recursiveSet
    assert nn.Recurrence.recursiveResizeAs is nn.rnn.recursiveResizeAs
    assert nn.Recursor.recursiveNormal is nn.rnn.recursiveNormal


def test_abstract_recurrent_takes_torch_rnn_step_module():
    """torch/rnn's AbstractRecurrent(stepmodule): the step module is recurrentModule, modules[0] and the clone of
    step 0, rho unbounded; a subclass stepping it (test.lua's NormStabilizerTest) runs each step on its clone."""
    class Doubler(nn.AbstractRecurrent):
        def updateOutput(self, input):
            self.recycle()
            self.output = self.getStepModule(self.step).updateOutput(input)
            self.outputs[self.step] = self.output
            self.step += 1
            return self.output

    step = nn.MulConstant(2)
    m = Doubler(step)
    assert m.recurrentModule is step and m.modules == [step] and m.sharedClones == {0: step}
    assert m.rho == 99999
    x0, x1 = lg.Tensor([1, 2]), lg.Tensor([3, 4])
    np.testing.assert_array_equal(m.forward(x0).numpy(), [2, 4])
    np.testing.assert_array_equal(m.forward(x1).numpy(), [6, 8])
    assert m.sharedClones[1] is not step and m.outputs[0].numpy().tolist() == [2, 4]
    # Element-Research's form keeps rho
    assert nn.AbstractRecurrent(5).rho == 5 and nn.AbstractRecurrent().modules == []
    with pytest.raises(ValueError, match=r"nn\.AbstractRecurrent: expected rho .* to be a positive integer, or "
                                         r"torch/rnn's step module, got 'x'"):
        nn.AbstractRecurrent('x')


def test_torch_rnn_set_start_state_on_recurrence_and_recursor():
    """torch/rnn's setStartState: the output before step 0 of a Recurrence (its userPrevOutput), reached through
    a Recursor; None goes back to zeros."""
    rnn = nn.LinearRNN(2, 3).double()
    x = lg.randn(4, 2).double()
    zero_start = rnn.forward(x).clone()
    rnn.forget()
    start = lg.randn(4, 3).double()
    nn.Recursor(rnn).setStartState(start)
    want = rnn.recurrentModule.clone().forward([x, start])   # the step module on {x, h[-1]}
    np.testing.assert_allclose(rnn.forward(x).numpy(), want.numpy(), rtol=1e-12)
    rnn.forget()
    assert rnn.setStartState() is rnn
    np.testing.assert_array_equal(rnn.forward(x).numpy(), zero_start.numpy())
