"""An AbstractRecurrent nested in a Recurrence's or a Recurrent's step module (rnn's
examples/nested-recurrence-lstm.lua): the nested module is the same object in every step clone, so before each
step's backward the container shows it that step's output (setOutputStep, as Recursor.lua does), else the layer
after it differentiates at the last step's output. Recurrent's step 0 runs a copy of its input module, which
each new sequence restarts too."""
import numpy as np

import legonn as lg
from legonn import nn
from tests.checks import central_difference

rng = np.random.default_rng(11)


def test_gradients_through_a_fastlstm_nested_in_a_recurrence():
    """rnn's Recurrence.lua with a FastLSTM and a Linear after it in the step module, over 4 steps: every
    parameter's gradient against central differences of the sequence's loss (float64). Recurrence.lua itself
    omits the setOutputStep that Recursor.lua makes; without it the Linear's weight gradient is off by about 0.1
    here."""
    n, h = 3, 4
    rm = nn.Sequential().add(nn.ParallelTable().add(nn.Linear(n, h)).add(nn.Linear(h, h))).add(nn.CAddTable()) \
        .add(nn.Sigmoid()).add(nn.FastLSTM(h, h)).add(nn.Linear(h, h)).add(nn.Sigmoid())
    seq = nn.Sequencer(nn.Recurrence(rm, h, 1)).double()
    xs = [lg.from_numpy(rng.normal(size=(2, n))) for _ in range(4)]
    gos = [lg.from_numpy(rng.normal(size=(2, h))) for _ in range(4)]
    assert _worst_difference(seq, xs, gos) < 1e-7


def _worst_difference(seq, xs, gos):
    """The largest gap between backward's parameter gradients and central differences of the sequence's loss
    sum(output * gradOutput), each forward a new sequence."""
    def loss():
        return sum(float((o.numpy() * g.numpy()).sum()) for o, g in zip(seq.forward(xs), gos))

    seq.zeroGradParameters()
    seq.forward(xs)
    seq.backward(xs, gos)
    worst = 0.0
    for p, g in zip(*seq.parameters()):
        a, grad = p.numpy().reshape(-1), g.numpy().reshape(-1).copy()
        for k in range(a.size):
            worst = max(worst, abs(central_difference(loss, a, k) - grad[k]))
    return worst


def test_recurrent_forgets_the_input_module_copy_of_step_0():
    """rnn's Recurrent.lua runs step 0 on initialModule, which holds the input module's sharedClone (dpnn's
    Module.lua: a separate FastLSTM sharing the parameters, with its own steps); Recurrent.lua's forget does not
    reach it, so each new sequence's step 0 continued the last one's. Forwarding a sequence twice gives the same
    outputs, and the gradients agree with central differences (without the fix step 0 differed by 0.03 and the
    gradients by 3e3)."""
    seq = nn.Sequencer(nn.Recurrent(4, nn.FastLSTM(3, 4), nn.Linear(4, 4), nn.Sigmoid(), 9)).double()
    xs = [lg.from_numpy(rng.normal(size=(2, 3))) for _ in range(4)]
    gos = [lg.from_numpy(rng.normal(size=(2, 4))) for _ in range(4)]
    first = [o.numpy().copy() for o in seq.forward(xs)]
    second = seq.forward(xs)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b.numpy())
    assert _worst_difference(seq, xs, gos) < 1e-7


def test_recurrent_shows_each_step_its_nested_modules_output():
    """A FastLSTM followed by a Linear as Recurrent.lua's input module: the FastLSTM is one object in every step
    clone, so before each step's backward the Recurrent shows it that step's output (setOutputStep, as
    Recursor.lua does; Recurrent.lua does not, and the Linear's weight gradient was taken at the last step's
    output, off by 0.1 here against central differences)."""
    inp = nn.Sequential().add(nn.FastLSTM(3, 4)).add(nn.Linear(4, 4))
    seq = nn.Sequencer(nn.Recurrent(4, inp, nn.Linear(4, 4), nn.Sigmoid(), 9)).double()
    xs = [lg.from_numpy(rng.normal(size=(2, 3))) for _ in range(4)]
    gos = [lg.from_numpy(rng.normal(size=(2, 4))) for _ in range(4)]
    assert _worst_difference(seq, xs, gos) < 1e-7
