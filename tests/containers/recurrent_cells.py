"""What the tests of the rnn package's step-by-step modules (LSTM, FastLSTM, GRU, MuFuRu, NormStabilizer, their
maskZero and trimZero) share: running a step-by-step module over a sequence, unrolling a step module by hand,
test.lua's left-padded sequences for maskZero, and the finite-difference check of back-propagation through
time."""
import numpy as np

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, numeric_gradient


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def run_sequence(module, xs, gradOutputs=None):
    """forget(), one forward per step, then (with gradOutputs) one backward per step in reverse order, as rnn's
    Sequencer drives an AbstractRecurrent. Returns (outputs, gradInputs) as float64 arrays (gradInputs None
    without gradOutputs)."""
    module.forget()
    outputs = [module.forward(lg.as_tensor(x)).numpy().copy() for x in xs]
    if gradOutputs is None:
        return outputs, None
    gradInputs = [None] * len(xs)
    for t in reversed(range(len(xs))):
        gradInputs[t] = module.backward(lg.as_tensor(xs[t]), lg.as_tensor(gradOutputs[t])).numpy().copy()
    return outputs, gradInputs


def unrolled_by_hand(stepModule, xs, initialState):
    """test/test.lua's check of a cell against its step module: ``stepModule`` unrolled over the steps ``xs`` as
    clones sharing its parameters and gradients, each in a Sequential feeding it {xs[t], the previous step's
    output} flattened, the first fed {xs[0], *initialState}. Returns (unrolled, its nested input table)."""
    unrolled, inputs = None, None
    for t, x in enumerate(xs):
        step = stepModule.clone().share(stepModule, 'weight', 'gradWeight', 'bias', 'gradBias')
        if unrolled is None:
            unrolled, inputs = step, [x, *initialState]
        else:
            unrolled = (nn.Sequential().add(nn.ParallelTable().add(nn.Identity()).add(unrolled))
                        .add(nn.FlattenTable()).add(step))
            inputs = [x, inputs]
    return unrolled, inputs


def lua_mask_zero_sequences(rng):
    """test.lua's AbstractRecurrent_maskZero input, ``4 steps x 4 samples x 10``: sample j holds the first
    j + 1 steps of one random sequence, left-padded with zero rows so that every sample ends at the last step."""
    sequence = rng.normal(size=(4, 10))
    x = np.zeros((4, 4, 10))
    x[3, 0] = sequence[0]
    x[2:, 1] = sequence[:2]
    x[1:, 2] = sequence[:3]
    x[:, 3] = sequence
    return x


def assert_lua_mask_zero_outputs(out):
    """test.lua's AbstractRecurrent_maskZero checks on the outputs (``steps x samples x features``) for
    lua_mask_zero_sequences: the padded steps give zeros, and each real step the output the same sequence
    gives at that step in the other samples (the hidden state starts afresh after padding)."""
    assert abs(out[0, :3].sum()) < 1e-7 and abs(out[1, :2].sum()) < 1e-7 and abs(out[2, :1].sum()) < 1e-7
    for t0, j0, t1, j1 in [(0, 3, 1, 2), (0, 3, 2, 1), (0, 3, 3, 0), (1, 3, 2, 2), (1, 3, 3, 1), (2, 3, 3, 2)]:
        np.testing.assert_allclose(out[t0, j0], out[t1, j1], atol=1e-7)


def lua_remember_modes(seq, train, evaluation):
    """test/test.lua Sequencer's 'test remember modes' on the Sequencer ``seq``: for each of the modes 'both'
    and 'eval', a training forward and backward of the sequence ``train``, an evaluation forward of
    ``evaluation``, and a training forward and backward again. Yields (a copy of the evaluation's output
    steps, the last gradInput) after each mode, for the caller's checks."""
    for mode in ('both', 'eval'):
        seq.remember(mode)
        seq.training()
        seq.forward(train)
        seq.backward(train, train)
        seq.evaluate()
        output = [step.clone() for step in seq.forward(evaluation)]
        seq.training()
        seq.forward(train)
        yield output, seq.backward(train, train)


def assert_bptt_matches_finite_differences(module, xs, gradOutputs, eps=1e-6, tol=1e-7):
    """The gradients of loss = sum over t of <output[t], gradOutputs[t]> with respect to every input element
    and every parameter, from one backward through the whole sequence (the step clones sharing the
    parameters), agree with central differences. The backward runs last: a lazy Dropout keeps its masks
    through the forwards in between, so a module with Bayesian dropout is checked with fixed masks too."""
    module.double()
    xs = [np.array(x, dtype=np.float64) for x in xs]

    def loss():
        outputs, _ = run_sequence(module, xs)
        return sum(float((o * g).sum()) for o, g in zip(outputs, gradOutputs))

    loss()   # draws the dropout masks, if any, kept until the backward
    numeric_inputs = [numeric_gradient(loss, x, eps) for x in xs]
    params, grads = module.parameters()
    numeric_params = [numeric_gradient(loss, p.numpy(), eps) for p in params]
    module.zeroGradParameters()
    _, gradInputs = run_sequence(module, xs, gradOutputs)
    for t, (exact, est) in enumerate(zip(gradInputs, numeric_inputs)):
        np.testing.assert_allclose(exact, est, atol=tol, err_msg=f"gradInput of step {t}")
    for k, (g, est) in enumerate(zip(grads, numeric_params)):
        np.testing.assert_allclose(g.numpy(), est, atol=tol, err_msg=f"gradient of parameter {k}")


def assert_sequencer_equals_unrolled_step_module(cell, inputSize, stateSizes, seqlen=5, batch=2, lr=0.5):
    """Three training sequences of ``Sequencer(cell)``, an SGD step after each (``getParameters`` taken after
    the first, once the step clones exist, so they must follow the parameters into the flat storage), give
    exactly, bit for bit, the outputs, gradInputs and parameter gradients of the cell's step module cloned per
    step by hand (``Module.clone`` sharing the parameters, as AbstractRecurrent.lua's step clones do), run
    forward then backward in reverse step order from zero states. The step module maps [x] + states to the
    new states (a table; a single state is a tensor), the first being the output."""
    rng = np.random.default_rng(5)
    seq = nn.Sequencer(cell)
    ref = cell.recurrentModule.clone()
    steps = [ref.clone('weight', 'bias', 'gradWeight', 'gradBias') for _ in range(seqlen)]
    ref_params, ref_grads = ref.parameters()
    single = len(stateSizes) == 1
    params = grads = None
    for _ in range(3):
        xs = [lg.from_numpy(rng.normal(size=(batch, inputSize))) for _ in range(seqlen)]
        gos = [lg.from_numpy(rng.normal(size=(batch, stateSizes[0]))) for _ in range(seqlen)]
        seq.zeroGradParameters()
        ref.zeroGradParameters()
        outs = seq.forward(xs)
        gis = seq.backward(xs, gos)
        states = [[lg.zeros(batch, n).double() for n in stateSizes]]
        for t in range(seqlen):
            new = steps[t].forward([xs[t]] + states[t])
            states.append([v.clone() for v in ([new] if single else new)])
            np.testing.assert_array_equal(outs[t].numpy(), states[-1][0].numpy())
        grad_states = [lg.zeros(batch, n).double() for n in stateSizes]
        for t in reversed(range(seqlen)):
            grad_states[0] = grad_states[0].clone().add(gos[t])
            gradInput = steps[t].backward([xs[t]] + states[t], grad_states[0] if single else grad_states)
            gx, grad_states = gradInput[0], [g.clone() for g in gradInput[1:]]
            np.testing.assert_array_equal(gis[t].numpy(), gx.numpy())
        for g, want in zip(seq.parameters()[1], ref_grads):
            np.testing.assert_array_equal(g.numpy(), want.numpy())
        if params is None:
            params, grads = seq.getParameters()
        params.add(-lr, grads)
        for p, g in zip(ref_params, ref_grads):
            p.add(-lr, g)


def assert_cell_gpu_matches_cpu(makeCell):
    """A step of ``makeCell()`` and a 4-step sequence of it in a Sequencer match the CPU on the GPU."""
    assert_gpu_matches_cpu(makeCell(), lg.randn(3, 3))
    assert_gpu_matches_cpu(nn.Sequencer(makeCell()), lg.randn(4, 3, 3))
