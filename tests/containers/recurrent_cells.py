"""What the tests of the rnn package's cells (LSTM, FastLSTM, GRU, MuFuRu, NormStabilizer) share: running a
step-by-step module over a sequence and the finite-difference check of its back-propagation through time."""
import numpy as np

import legonn as lg
from legonn import nn


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
    numeric_inputs = []
    for x in xs:
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            x[i] += eps
            up = loss()
            x[i] -= 2 * eps
            down = loss()
            x[i] += eps
            grad[i] = (up - down) / (2 * eps)
        numeric_inputs.append(grad)
    params, grads = module.parameters()
    numeric_params = []
    for p in params:
        a = p.numpy()
        grad = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            a[i] += eps
            up = loss()
            a[i] -= 2 * eps
            down = loss()
            a[i] += eps
            grad[i] = (up - down) / (2 * eps)
        numeric_params.append(grad)
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
