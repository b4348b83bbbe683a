"""eladhoffer/recurrent.torch run through its port, tests/porting/recurrent_torch/ (init.lua, Recurrent.lua,
TemporalModule.lua, TemporalCriterion.lua, MaskPaddingCriterion.lua, Reverse.lua, Attention.lua and the models;
the package docstring lists the edits). Numbers are checked in DoubleTensor (Torch7's default) against NumPy,
central differences and single-step runs; the README's LookupTable + LSTM + TemporalModule + TemporalCriterion
model is trained on a synthetic "repeat the previous token" task. examples/language's charRNN.lua and wordRNN.lua run
on small synthetic texts written into tmp_path (a character text of three repeated words; a word corpus of four
short sentences as ./data/ptb.{train,valid,test}.txt), 3 epochs each with a one-layer 16/32-wide model."""
import builtins
import os
import random

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim

from . import recurrent_torch as recurrent
from .recurrent_torch.examples.language import charRNN, wordRNN
from .recurrent_torch.examples.language.utils.textDataProvider import loadTextFileChars, loadTextFileWords


@pytest.fixture(autouse=True)
def double_default():
    old = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(123)
    yield
    lg.setdefaulttensortype(old)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_rnn_sequence_matches_numpy_recurrence():
    """models/RNN.lua: h_t = tanh(W [x_t, h_{t-1}] + b) from a zero initState, over batch x T x input."""
    rnn = recurrent.RNN(3, 4).sequence()
    x = lg.randn(2, 5, 3)
    y = rnn.forward(x)
    lin = rnn.modules[0].modules[0].modules[1]
    W, b = lin.weight.numpy(), lin.bias.numpy()
    h = np.zeros((2, 4))
    for t in range(5):
        h = np.tanh(np.concatenate([x.numpy()[:, t], h], 1) @ W.T + b)
        np.testing.assert_allclose(y.numpy()[:, t], h, rtol=1e-12, atol=1e-12)
    assert rnn.currentIteration == 6 and len(rnn.modules) == 5   # one clone per step
    assert lg.tostring(rnn) == 'nn.RNN(3 -> 4, 4)'


def test_lstm_matches_numpy_and_forget_bias():
    """models/LSTM.lua (char-rnn's cell, gates in, forget, out, transform); forgetBias defaults to 1, and a 0 given
    stays 0 (Lua's `forgetBias or 1`)."""
    lstm = recurrent.LSTM(3, 4).sequence()
    gm = lstm.modules[0].modules[0]
    lin = [m for m in gm.modules if lg.typename(m) == 'nn.Linear'][0]
    assert np.all(lin.bias.numpy()[4:8] == 1)
    assert np.all(np.abs(lin.weight.numpy()) <= 0.08)
    x = lg.randn(2, 3, 3)
    y = lstm.forward(x)
    W, b = lin.weight.numpy(), lin.bias.numpy()
    c = np.zeros((2, 4)); h = np.zeros((2, 4))
    for t in range(3):
        s = np.concatenate([x.numpy()[:, t], h], 1) @ W.T + b
        i, f, o, g = sigmoid(s[:, :4]), sigmoid(s[:, 4:8]), sigmoid(s[:, 8:12]), np.tanh(s[:, 12:])
        c = f * c + i * g
        h = o * np.tanh(c)
        np.testing.assert_allclose(y.numpy()[:, t], h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lstm.getState().numpy(), np.concatenate([c, h], 1), rtol=1e-10, atol=1e-12)
    zero = recurrent.LSTM(3, 4, 0.1, 0).modules[0].modules[0]
    lin0 = [m for m in zero.modules if lg.typename(m) == 'nn.Linear'][0]
    assert np.all(lin0.bias.numpy()[4:8] == 0)


def test_gru_matches_numpy():
    gru = recurrent.GRU(3, 4).sequence()
    gm = gru.modules[0].modules[0]
    gates, cand = [m for m in gm.modules if lg.typename(m) == 'nn.Linear']
    x = lg.randn(2, 3, 3)
    y = gru.forward(x)
    h = np.zeros((2, 4))
    for t in range(3):
        xt = x.numpy()[:, t]
        gz = sigmoid(np.concatenate([xt, h], 1) @ gates.weight.numpy().T + gates.bias.numpy())
        z, r = gz[:, :4], gz[:, 4:]
        hc = np.tanh(np.concatenate([xt, r * h], 1) @ cand.weight.numpy().T + cand.bias.numpy())
        h = z * hc + (1 - z) * h
        np.testing.assert_allclose(y.numpy()[:, t], h, rtol=1e-10, atol=1e-12)


def test_irnn_starts_from_identity_recurrence():
    irnn = recurrent.iRNN(3, 4)
    lin = irnn.modules[0].modules[0].modules[1]
    np.testing.assert_array_equal(lin.weight.numpy()[:, 3:], np.eye(4))
    assert np.all(lin.bias.numpy() == 0)


@pytest.mark.parametrize('name', ['RNN', 'iRNN', 'LSTM', 'GRU'])
def test_single_steps_equal_the_sequence(name):
    """Recurrent.lua's two modes: T single-step forwards give the sequence's outputs (the state carried over)."""
    lg.manualSeed(5)
    seq = getattr(recurrent, name)(3, 4).sequence()
    single = seq.clone().single()
    x = lg.randn(2, 4, 3)
    y = seq.forward(x).clone()
    for t in range(4):
        np.testing.assert_allclose(single.forward(x.select(1, t)).numpy(), y.numpy()[:, t], rtol=1e-12)


@pytest.mark.parametrize('name', ['RNN', 'LSTM', 'GRU'])
def test_bptt_gradients_match_central_differences(name):
    """Recurrent:backward runs backprop through time over the clones: d(sum(w * y))/dx and d/dweights agree with
    central differences of the whole sequence's forward."""
    lg.manualSeed(9)
    rnn = getattr(recurrent, name)(2, 3).sequence()
    x = lg.randn(2, 3, 2)
    w = lg.randn(2, 3, 3)

    def loss(inp):
        rnn.forget()
        rnn.zeroState()
        return float((rnn.forward(inp) * w).sum())

    loss(x)
    rnn.zeroGradParameters()
    gi = rnn.backward(x, w).clone()
    params, grads = rnn.parameters()
    eps = 1e-6
    num = np.zeros(x.nElement())
    flat = x.view(-1)
    for k in range(x.nElement()):
        v = float(flat[k])
        flat[k] = v + eps; lp = loss(x)
        flat[k] = v - eps; lm = loss(x)
        flat[k] = v
        num[k] = (lp - lm) / (2 * eps)
    np.testing.assert_allclose(gi.numpy().ravel(), num, rtol=1e-5, atol=1e-7)
    p, g = params[0].view(-1), grads[0].view(-1)
    for k in range(0, p.nElement(), 5):
        v = float(p[k])
        p[k] = v + eps; lp = loss(x)
        p[k] = v - eps; lm = loss(x)
        p[k] = v
        assert abs(float(g[k]) - (lp - lm) / (2 * eps)) < 1e-6


def test_step_gradoutput_of_another_shape_is_refused():
    """docs/porting.md's row: Recurrent.lua hands each step ``gradOutput:split(1, 2)``'s batch x 1 x H slice for a
    batch x H output; Torch7's ConcatTable copies and adds it by element count, legonn refuses it, naming the
    module. The port views each slice as the step's output, which gives the same numbers."""
    step = recurrent.rnnModules['RNN'](2, 3)['rnnModule']
    x, h = lg.randn(4, 2), lg.zeros(4, 3)
    step.forward([x, h])
    g = lg.randn(4, 1, 3)
    with pytest.raises(ValueError, match=r'ConcatTable: expected gradOutput\[0\] to be a legonn.DoubleTensor of '
                                         r'size \(4, 3\), got legonn.DoubleTensor of size \(4, 1, 3\)'):
        step.backward([x, h], [g, lg.zeros(4, 3)])
    gi = step.backward([x, h], [g.view(4, 3), lg.zeros(4, 3)])
    assert gi[0].size() == (4, 2)


def test_multilayer_lstm_fails_on_its_unset_global_as_in_torch7():
    """models/MultiLayerLSTM.lua names its module with the global ``outputSize`` nothing sets: Lua's `..` of nil
    raises, Python's unset name too, after the graph is built."""
    with pytest.raises(NameError, match='outputSize'):
        recurrent.rnnModules['MultiLayerLSTM'](3, 4, 2)


def test_attentive_recurrent_fails_on_unpack_of_a_node():
    """Attention.lua's ``unpack(attentionModule({attnInput, rnnState}))``: a nngraph node holds no array part, so
    Lua's unpack gives nils and the gModule then refuses the dangling attention node ("does not connect to gmodule
    output", nngraph gmodule.lua:158-170); Python refuses to unpack the node. Either way no AttentiveGRU is built;
    the attention module alone works."""
    with pytest.raises(TypeError, match='cannot unpack'):
        recurrent.AttentiveGRU(3, 4, 5, 6)
    from .recurrent_torch import Attention
    att = Attention.attention(6, 5, 4)
    h, dt = lg.randn(2, 6, 5), lg.randn(2, 4)
    ctx, a = att.forward([h, dt])
    np.testing.assert_allclose(a.numpy().sum(1), 1, rtol=1e-12)
    np.testing.assert_allclose(ctx.numpy(), np.einsum('bt,bte->be', a.numpy(), h.numpy()), rtol=1e-10)


def test_container_functions_reach_every_recurrent_container():
    """init.lua's Container:applyRecurrent and its named wrappers, plain functions here: sequence(model) sets both
    layers' mode, getState returns each state, zeroState zeroes them, forget rewinds them."""
    model = nn.Sequential().add(recurrent.GRU(3, 4)).add(recurrent.LSTM(4, 5))
    rets = recurrent.sequence(model)
    assert len(rets) == 2 and all(m.seqMode for m in rets)
    model.forward(lg.randn(2, 3, 3))
    states = recurrent.getState(model)
    assert [tuple(s.size()) for s in states] == [(2, 4), (2, 10)]
    assert all(float(s.abs().sum()) > 0 for s in states)
    recurrent.zeroState(model)
    assert all(float(s.abs().sum()) == 0 for s in recurrent.getState(model))
    recurrent.forget(model)
    assert [m.currentIteration for m in model.modules] == [1, 1]


def test_set_state_expands_a_batch_and_clone_keeps_it():
    rnn = recurrent.RNN(2, 3)
    init = lg.Tensor([[1, 2, 3]])
    rnn.setState(init, 4)
    np.testing.assert_array_equal(rnn.getState().numpy(), np.tile([[1, 2, 3]], (4, 1)))
    other = rnn.clone()
    np.testing.assert_array_equal(other.getState().numpy(), rnn.getState().numpy())
    assert other.name == 'nn.RNN(2 -> 3, 3)'


def test_temporal_module_and_criterion():
    """TemporalModule views time as batch; TemporalCriterion (evalAsBatch) is the criterion of the flattened batch
    times T, and the per-step loop (evalAsBatch false, a tensor input) sums the steps' losses, the same here."""
    lin = nn.Linear(3, 5)
    tm = recurrent.TemporalModule(lin)
    x = lg.randn(2, 4, 3)
    y = tm.forward(x)
    np.testing.assert_allclose(y.numpy(), x.numpy() @ lin.weight.numpy().T + lin.bias.numpy(), rtol=1e-12)
    assert tm.backward(x, lg.ones(2, 4, 5)).size() == (2, 4, 3)
    target = lg.LongTensor([[0, 1, 2, 3], [4, 3, 2, 1]])
    crit = recurrent.TemporalCriterion(nn.CrossEntropyCriterion())
    loss = crit.forward(y, target)
    logp = y.numpy() - np.log(np.exp(y.numpy()).sum(2, keepdims=True))
    expected = -np.mean(np.take_along_axis(logp, target.numpy()[..., None], 2)) * 4
    assert abs(loss - expected) < 1e-10
    loop = recurrent.TemporalCriterion(nn.CrossEntropyCriterion(), False, False)
    assert abs(loop.forward(y, target) - loss) < 1e-10
    np.testing.assert_allclose(loop.backward(y, target).numpy(), crit.backward(y, target).numpy(), rtol=1e-10)


def test_mask_padding_criterion_skips_padded_rows():
    crit = recurrent.MaskPaddingCriterion(nn.CrossEntropyCriterion(), 0)
    x = lg.randn(2, 3, 4)
    t = lg.LongTensor([[1, 2, 0], [3, 0, 0]])
    loss = crit.forward(x, t)
    rows = x.numpy().reshape(-1, 4)[[0, 1, 3]]
    logp = rows - np.log(np.exp(rows).sum(1, keepdims=True))
    assert abs(loss + np.mean(logp[[0, 1, 2], [1, 2, 3]])) < 1e-10
    g = crit.backward(x, t).numpy().reshape(-1, 4)
    assert np.all(g[[2, 4, 5]] == 0) and np.all(g[[0, 1, 3]] != 0)


def test_reverse_flips_time_and_its_gradient():
    r = recurrent.Reverse()
    x = lg.randn(2, 5, 3)
    np.testing.assert_array_equal(r.forward(x).numpy(), x.numpy()[:, ::-1])
    g = lg.randn(2, 5, 3)
    np.testing.assert_array_equal(r.backward(x, g).numpy(), g.numpy()[:, ::-1])


def test_readme_model_learns_to_repeat_the_previous_token():
    """The README's model: LookupTable -> LSTM (sequence) -> TemporalModule(Linear), TemporalCriterion of
    CrossEntropy, trained with adam on "output the previous token": the loss falls well below chance."""
    lg.manualSeed(1)
    rng = np.random.RandomState(0)
    V, T, B = 6, 8, 16
    model = nn.Sequential()
    model.add(nn.LookupTable(V, 8))
    model.add(recurrent.LSTM(8, 16).sequence())
    model.add(recurrent.TemporalModule(nn.Linear(16, V)))
    criterion = recurrent.TemporalCriterion(nn.CrossEntropyCriterion())
    w, dw = model.getParameters()
    state = {'learningRate': 0.02}
    losses = []
    for it in range(60):
        seq = rng.randint(0, V, size=(B, T + 1))
        x = lg.LongTensor(seq[:, 1:].copy())
        yt = lg.LongTensor(seq[:, :-1].copy())
        recurrent.zeroState(model)

        def feval(_):
            dw.zero()
            y = model.forward(x)
            loss = criterion.forward(y, yt)
            model.backward(x, criterion.backward(y, yt))
            return loss, dw
        losses.append(optim.adam(feval, w, state)[1][0] / T)
    assert np.mean(losses[:5]) > 1.6
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5])


@pytest.mark.gpu
def test_lstm_on_cuda_matches_the_cpu():
    lstm = recurrent.LSTM(3, 4).sequence()
    x = lg.randn(2, 3, 3)
    y = lstm.forward(x).clone()
    g = lstm.backward(x, lg.ones(2, 3, 4)).clone()
    gpu = lstm.clone().sequence()   # Recurrent:clone builds a fresh container, in single mode
    gpu.cuda()
    gpu.forget()
    gpu.zeroState()
    yc = gpu.forward(x.cuda())
    assert yc.type() == 'torch.CudaTensor'   # cuda() converts to float32, as cutorch does
    np.testing.assert_allclose(yc.double().numpy(), y.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gpu.backward(x.cuda(), lg.ones(2, 3, 4).cuda()).double().numpy(), g.numpy(), atol=1e-6,
                               rtol=1e-6)


def test_registered_names_stay_in_the_package():
    """docs/porting.md's row on init.lua's ``nn[name] = ...`` and ``Container:applyRecurrent``: the port's LSTM is
    the package's; legonn's nn.LSTM stays rnn's, and nn.Container gains no methods."""
    assert lg.typename(recurrent.LSTM(3, 4)) == 'nn.RecurrentContainer'
    assert lg.typename(nn.LSTM(3, 4)) != 'nn.RecurrentContainer'
    assert not hasattr(nn.Container, 'applyRecurrent') and not hasattr(nn.Sequential(), 'zeroState')
    assert recurrent.zeroState(nn.Sequential().add(nn.Linear(2, 2))) == []


@pytest.fixture
def script_dir(tmp_path, monkeypatch):
    """The examples write ./Results/<save>/ under the working directory, set the default tensor type (the autouse
    fixture puts it back) and replace print through cmd:log."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(builtins, 'print', builtins.print)
    return tmp_path


def test_text_data_provider_ids_from_zero(script_dir):
    """loadTextFileChars: every byte of the file (sized by DiskFile's seekEnd/position) as its id in order of
    appearance, from 0; the decoder gives the characters back. loadTextFileWords: the newline is word 0."""
    (script_dir / 'c.txt').write_text('abca\n')
    vec, vocab, decoder = loadTextFileChars('c.txt')
    assert vec.tolist() == [0, 1, 2, 0, 3]
    assert ''.join(decoder[i] for i in vec.tolist()) == 'abca\n'
    (script_dir / 'w.txt').write_text('x y x')
    words, wv, wd = loadTextFileWords('w.txt')
    assert words.tolist() == [1, 2, 1] and wv['\n'] == 0 and wd[2] == 'y'


def test_char_rnn_example_trains_samples_and_resumes(script_dir):
    """charRNN.lua (OneHot -> LSTM -> Linear, eladtools' Optimizer with rmsprop, EarlyStop for 3 epochs): the
    training and validation losses fall, the 400 sampled characters come from the text's alphabet and mostly make
    its words; each epoch's net is saved and loads back. ``-load`` reads it, but trainRecurrent.lua then draws every
    weight afresh (``Weights:uniform(-opt.initWeight, opt.initWeight)`` after getParameters), so the resumed run
    starts from the loss of a new model, in Torch7 as here."""
    rng = random.Random(0)
    (script_dir / 'in.txt').write_text(''.join(rng.choice(['abcd ', 'efg ', 'hij. ']) for _ in range(2000)))
    arg = ['-input', 'in.txt', '-type', 'float', '-rnnSize', '32', '-numLayers', '1', '-batchSize', '10',
           '-seqLength', '20', '-epoch', '3', '-threads', '1', '-save', 'r']
    h = charRNN.main(arg)
    assert h['train'][-1] < 0.35 * h['train'][0] and h['val'][-1] < 0.5 * h['val'][0]
    text = h['sample']
    assert len(text) == 400 and set(text) <= set('abcdefghij. ')
    words = text.split()
    assert sum(w in ('abcd', 'efg', 'hij.') for w in words) > 0.5 * len(words)
    assert os.path.exists('Results/r/Net_3.t7') and os.path.exists('Results/r/LossRate.log')
    saved = lg.load('Results/r/Net_3.t7')
    assert lg.typename(saved['recurrent'].modules[0]) == 'nn.RecurrentContainer'
    again = charRNN.main(arg[:-4] + ['-epoch', '1', '-save', 'r2', '-load', 'Results/r/Net_3.t7'])
    assert again['train'][0] > 0.8 * h['train'][0]


def test_word_rnn_example_perplexity_falls(script_dir):
    """wordRNN.lua (LookupTable -> LSTM -> Linear sharing the LookupTable's weight, 3 epochs of adam): the
    validation and test perplexities fall to under 2 on a corpus of four sentences. A corpus whose length is a
    multiple of batchSize x seqLength stops in reshapeData, one index past the end, as in Torch7."""
    rng = random.Random(0)
    sents = ['the cat sat', 'a dog ran', 'the dog sat', 'a cat ran']
    os.makedirs('data')

    def write(sizes):
        for name, n in sizes:
            with open(f'data/ptb.{name}.txt', 'w') as f:
                f.write(' ' + ' \n '.join(rng.choice(sents) for _ in range(n)) + ' \n')

    arg = ['-type', 'float', '-rnnSize', '16', '-numLayers', '1', '-batchSize', '4', '-seqLength', '10',
           '-epoch', '3', '-threads', '1', '-save', 'w', '-dropout', '0', '-optimization', 'adam', '-LR', '0.01']
    write([('train', 403), ('valid', 61), ('test', 61)])
    h = wordRNN.main(arg)
    assert np.exp(h['val'][-1]) < 2 and np.exp(h['test'][-1]) < 2 and h['val'][-1] < 0.7 * h['val'][0]
    write([('train', 400), ('valid', 61), ('test', 61)])   # 1600 words: 40 batches of 4 x 10 exactly
    with pytest.raises(IndexError, match='index out of range'):
        wordRNN.main(arg)
