"""The idioms karpathy/char-rnn's sources rely on, written anew: LSTM, GRU and RNN cells built from
``nn.Identity()()`` nodes with ``split`` (model/LSTM.lua, model/GRU.lua, model/RNN.lua), a one-hot module
subclassed from nn.Module fed ByteTensor codes (util/OneHot.lua), and several models' parameters flattened
by hand through storage()/set()/storageOffset() (util/model_utils.lua combine_all_parameters).
(model_utils.clone_many_times, cloning through lg.serialize/lg.deserialize, is ported in
tests/porting/test_lstm_char_cnn.py, whose util/model_utils.lua is char-rnn's.)"""
import numpy as np
import pytest

import legonn as lg
from legonn import graph, nn  # noqa: F401  (graph: nngraph's node building)
from tests.checks import assert_jacobian


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _linear(module, x):
    return x @ module.weight.numpy().T + module.bias.numpy()


def lstm_cell(input_size, rnn_size):
    """One LSTM layer as model/LSTM.lua builds it: gates from one (batch, 4, rnn_size) reshape, split in
    four along dimension 1 (Torch7's SplitTable(2))."""
    x, prev_c, prev_h = nn.Identity()(), nn.Identity()(), nn.Identity()()
    i2h = nn.Linear(input_size, 4 * rnn_size)(x)
    h2h = nn.Linear(rnn_size, 4 * rnn_size)(prev_h)
    sums = nn.CAddTable()([i2h, h2h])
    reshaped = nn.Reshape(4, rnn_size)(sums)
    n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
    in_gate, forget_gate = nn.Sigmoid()(n1), nn.Sigmoid()(n2)
    out_gate, in_transform = nn.Sigmoid()(n3), nn.Tanh()(n4)
    next_c = nn.CAddTable()([nn.CMulTable()([forget_gate, prev_c]), nn.CMulTable()([in_gate, in_transform])])
    next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])
    return nn.gModule([x, prev_c, prev_h], [next_c, next_h]), (i2h.data.module, h2h.data.module)


def gru_cell(input_size, rnn_size):
    """One GRU layer as model/GRU.lua builds it: 1 - z through MulConstant(-1) and AddConstant(1)."""
    x, prev_h = nn.Identity()(), nn.Identity()()

    linears = [nn.Linear(n, rnn_size) for n in (input_size, rnn_size) * 3]

    def input_sum(k, xv, hv):
        return nn.CAddTable()([linears[k](xv), linears[k + 1](hv)])
    update_gate = nn.Sigmoid()(input_sum(0, x, prev_h))
    reset_gate = nn.Sigmoid()(input_sum(2, x, prev_h))
    gated_hidden = nn.CMulTable()([reset_gate, prev_h])
    candidate = nn.Tanh()(input_sum(4, x, gated_hidden))
    zh = nn.CMulTable()([update_gate, candidate])
    zhm1 = nn.CMulTable()([nn.AddConstant(1, False)(nn.MulConstant(-1, False)(update_gate)), prev_h])
    next_h = nn.CAddTable()([zh, zhm1])
    return nn.gModule([x, prev_h], [next_h]), linears


def rnn_cell(input_size, rnn_size):
    """model/RNN.lua: h = tanh(W x + U h_prev)."""
    x, prev_h = nn.Identity()(), nn.Identity()()
    i2h, h2h = nn.Linear(input_size, rnn_size), nn.Linear(rnn_size, rnn_size)
    next_h = nn.Tanh()(nn.CAddTable()([i2h(x), h2h(prev_h)]))
    return nn.gModule([x, prev_h], [next_h]), (i2h, h2h)


def test_lstm_cell_from_identity_nodes_and_split():
    cell, (i2h, h2h) = lstm_cell(3, 2)
    cell = cell.double()
    rng = np.random.RandomState(0)
    x, c, h = rng.randn(4, 3), rng.randn(4, 2), rng.randn(4, 2)
    next_c, next_h = cell.forward([x, c, h])
    z = (_linear(i2h, x) + _linear(h2h, h)).reshape(4, 4, 2)
    i, f, o, g = _sigmoid(z[:, 0]), _sigmoid(z[:, 1]), _sigmoid(z[:, 2]), np.tanh(z[:, 3])
    np.testing.assert_allclose(next_c.numpy(), f * c + i * g, rtol=1e-12)
    np.testing.assert_allclose(next_h.numpy(), o * np.tanh(f * c + i * g), rtol=1e-12)
    assert_jacobian(cell, [lg.DoubleTensor(x), lg.DoubleTensor(c), lg.DoubleTensor(h)])


def test_gru_cell():
    cell, lin = gru_cell(3, 2)
    cell = cell.double()
    rng = np.random.RandomState(1)
    x, h = rng.randn(4, 3), rng.randn(4, 2)
    out = cell.forward([x, h]).numpy()
    update, reset = _sigmoid(_linear(lin[0], x) + _linear(lin[1], h)), _sigmoid(_linear(lin[2], x) + _linear(lin[3], h))
    candidate = np.tanh(_linear(lin[4], x) + _linear(lin[5], reset * h))
    np.testing.assert_allclose(out, update * candidate + (1 - update) * h, rtol=1e-12)
    assert_jacobian(cell, [lg.DoubleTensor(x), lg.DoubleTensor(h)])


def test_rnn_cell():
    cell, (i2h, h2h) = rnn_cell(3, 2)
    cell = cell.double()
    rng = np.random.RandomState(2)
    x, h = rng.randn(4, 3), rng.randn(4, 2)
    np.testing.assert_allclose(cell.forward([x, h]).numpy(), np.tanh(_linear(i2h, x) + _linear(h2h, h)), rtol=1e-12)
    assert_jacobian(cell, [lg.DoubleTensor(x), lg.DoubleTensor(h)])


class OneHot(nn.Module):
    """util/OneHot.lua written anew: character codes (any integer tensor) to one-hot rows."""

    def __init__(self, outputSize):
        super().__init__()
        self.outputSize = outputSize
        self._eye = lg.eye(outputSize)

    def updateOutput(self, input):
        self._eye = self._eye.type(self.output.type())
        self.output.resize(input.size(0), self.outputSize).copy(self._eye.index(0, input.long()))
        return self.output


def test_one_hot_module_on_byte_codes_feeds_an_lstm():
    """char-rnn feeds ByteTensor character codes to OneHot, its first graph node; the LSTM then runs on
    floats, and backward reaches the weights (OneHot has no gradient to give, as in Lua)."""
    vocab, rnn_size = 5, 3
    codes = nn.Identity()()
    c, h = nn.Identity()(), nn.Identity()()
    cell, (i2h, h2h) = lstm_cell(vocab, rnn_size)
    outputs = cell([OneHot(vocab)(codes), c, h])
    next_c, next_h = outputs.split(2)
    model = nn.gModule([codes, c, h], [next_c, next_h]).double()
    x = lg.ByteTensor([4, 0, 2])
    zeros = lg.zeros(3, rnn_size).double()
    out_c, out_h = model.forward([x, zeros, zeros])
    gates = _linear(i2h, np.eye(vocab)[[4, 0, 2]]) + h2h.bias.numpy()      # prev_h is zero
    z = gates.reshape(3, 4, rnn_size)
    np.testing.assert_allclose(out_c.numpy(), _sigmoid(z[:, 0]) * np.tanh(z[:, 3]), rtol=1e-12)
    model.zeroGradParameters()
    model.backward([x, zeros, zeros], [lg.ones(3, rnn_size).double(), lg.ones(3, rnn_size).double()])
    assert np.abs(i2h.gradWeight.numpy()[:, [0, 2, 4]]).sum(axis=0).all()   # every code seen gets a gradient
    np.testing.assert_array_equal(i2h.gradWeight.numpy()[:, [1, 3]], 0)   # codes 1 and 3 never appeared


def combine_all_parameters(*networks):
    """util/model_utils.lua's idiom, written anew: every parameter (and gradient) of ``networks`` re-pointed
    into one flat storage, shared storages once, with set(storage, offset, sizes, strides); returns the
    flat (params, gradParams) tensors."""
    def flatten(tensors):
        offsets, total = {}, 0
        for t in tensors:
            storage = t.storage()
            if id(storage) not in offsets:
                offsets[id(storage)] = (total, storage)
                total += storage.size()
        flat = lg.DoubleTensor(total).zero()
        for start, storage in offsets.values():
            flat.narrow(0, start, storage.size()).copy(lg.DoubleTensor(storage))
        for t in tensors:
            start, _ = offsets[id(t.storage())]
            t.set(flat.storage(), start + t.storageOffset(), t.size(), t.stride())
        return flat

    params, grads = [], []
    for net in networks:
        p, g = net.parameters()
        params += p
        grads += g
    return flatten(params), flatten(grads)


def test_flattening_several_models_by_hand():
    """util/model_utils.lua combine_all_parameters: an encoder and a decoder sharing a layer (clone with
    'weight', 'bias', 'gradWeight', 'gradBias') flattened into one vector; the views keep their values,
    the shared layer is stored once, and training through the modules moves the flat vectors."""
    encoder = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).double()
    shared = nn.Linear(4, 4).double()
    decoder = nn.Sequential().add(shared.clone('weight', 'bias', 'gradWeight', 'gradBias')).add(nn.Linear(4, 2))
    decoder = decoder.double()
    before = [p.numpy().copy() for p in encoder.parameters()[0] + shared.parameters()[0] + decoder.parameters()[0]]
    params, grads = combine_all_parameters(encoder, shared, decoder)
    assert params.nElement() == (3 * 4 + 4) + (4 * 4 + 4) + (4 * 2 + 2)       # the shared layer once
    after = encoder.parameters()[0] + shared.parameters()[0] + decoder.parameters()[0]
    for value, p in zip(before, after):
        np.testing.assert_array_equal(p.numpy(), value)
        assert p.storage() is params.storage()
    assert decoder.get(0).weight.storageOffset() == shared.weight.storageOffset()

    x = np.random.RandomState(3).randn(5, 3)
    grads.zero()
    out = decoder.forward(shared.forward(encoder.forward(x)))
    g = decoder.backward(shared.output, np.ones_like(out.numpy()))
    encoder.backward(x, shared.backward(encoder.output, g))
    assert np.abs(grads.numpy()).sum() > 0
    np.testing.assert_array_equal(grads.narrow(0, 0, 12).numpy().reshape(4, 3), encoder.get(0).gradWeight.numpy())
    params.add(-0.1, grads)             # an optim step on the flat vector moves the modules' weights
    np.testing.assert_allclose(encoder.get(0).weight.numpy(), before[0] - 0.1 * encoder.get(0).gradWeight.numpy())


@pytest.mark.parametrize('cell', [lambda: lstm_cell(3, 2)[0], lambda: gru_cell(3, 2)[0], lambda: rnn_cell(3, 2)[0]])
def test_cells_type_roundtrip(cell):
    from tests.checks import assert_type_roundtrip
    m = cell()
    n_inputs = len(m.inputnodes)
    inputs = [lg.randn(2, 3)] + [lg.randn(2, 2) for _ in range(n_inputs - 1)]
    assert_type_roundtrip(m, inputs)
