"""An AbstractRecurrent nested in a Recurrence's step module (rnn's examples/nested-recurrence-lstm.lua): the
nested module is the same object in every step clone, so before each step's backward the Recurrence shows it
that step's output (setOutputStep, as Recursor.lua does), else the layer after it differentiates at the last
step's output."""
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
    assert worst < 1e-7
