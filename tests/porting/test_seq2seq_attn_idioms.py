"""The memory idiom of harvardnlp/seq2seq-attn, written anew: s2sa/memory.lua's reuseMem/setReuse make a
module's gradInput its output tensor (``m.gradInput = m.output``) on the LSTM's Linears, Sigmoids and Tanhs
of every clone made by s2sa/models.lua's clone_many_times (in-memory serialization, then
``cloneParams[i]:set(params[i])``), and train.lua backpropagates through the clones by hand. In Torch7 the
gradients are those of the same network without the aliasing: nn/Linear.lua's accGradParameters reads only
input and gradOutput, and THNN's pointwise kernels (lib/THNN/generic/Sigmoid.c, Tanh.c) read each output
element before writing its gradient."""
import numpy as np

import legonn as lg
from legonn import nn
from tests.porting.test_ptb_lstm_idioms import clone_many_times


def lstm(vocab, rnn_size):
    """One LSTM step as s2sa/models.lua's make_lstm builds it (an embedding, i2h with bias, h2h without)."""
    x, prev_c, prev_h = nn.Identity()(), nn.Identity()(), nn.Identity()()
    i2h = nn.Linear(rnn_size, 4 * rnn_size)(nn.LookupTable(vocab, rnn_size)(x))
    h2h = nn.Linear(rnn_size, 4 * rnn_size, False)(prev_h)
    gates = nn.SplitTable(1)(nn.Reshape(4, rnn_size)(nn.CAddTable()([i2h, h2h])))
    n1, n2, n3, n4 = gates.split(4)
    in_gate, forget_gate, out_gate = nn.Sigmoid()(n1), nn.Sigmoid()(n2), nn.Sigmoid()(n3)
    next_c = nn.CAddTable()([nn.CMulTable()([forget_gate, prev_c]), nn.CMulTable()([in_gate, nn.Tanh()(n4)])])
    next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])
    return nn.gModule([x, prev_c, prev_h], [next_c, next_h])


def bptt_gradients(reuse):
    lg.manualSeed(4)
    net = lstm(7, 5).double()
    params, grads = net.getParameters()
    params.uniform(-0.5, 0.5)
    steps, batch = 3, 2
    clones = clone_many_times(net, steps)
    if reuse:   # setReuse on the modules usePrealloc named '...-reuse'
        for clone in clones:
            clone.apply(lambda m: setattr(m, 'gradInput', m.output)
                        if type(m).__name__ in ('Linear', 'Sigmoid', 'Tanh') else None)
    tokens = lg.LongTensor([[1, 2], [3, 4], [5, 6]])
    states = {-1: [lg.DoubleTensor(batch, 5).zero(), lg.DoubleTensor(batch, 5).zero()]}
    for t in range(steps):
        states[t] = clones[t].forward([tokens[t], *states[t - 1]])
    target = lg.DoubleTensor(batch, 5).uniform(-1, 1)
    grads.zero()
    dstate = [lg.DoubleTensor(batch, 5).zero(), states[steps - 1][1] - target]   # d/dh of 0.5 * |h_T - target|^2
    for t in range(steps - 1, -1, -1):
        dlst = clones[t].backward([tokens[t], *states[t - 1]], dstate)
        dstate = [dlst[1].clone(), dlst[2].clone()]
    return grads.clone().numpy(), [d.numpy() for d in dstate]


def test_clones_whose_grad_input_is_their_output_give_the_gradients_without_it():
    plain, plain_state = bptt_gradients(False)
    reused, reused_state = bptt_gradients(True)
    assert np.abs(plain).max() > 1e-3
    np.testing.assert_allclose(reused, plain, rtol=1e-12, atol=1e-15)
    for a, b in zip(reused_state, plain_state):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
