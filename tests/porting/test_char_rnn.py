"""karpathy/char-rnn run end to end through its port, the package tests/porting/char_rnn/ (one Python file per
Lua file; its docstring lists every edit beyond syntax and 0-based indices). tests/porting/test_char_rnn_idioms.py
holds the idioms written anew, which this file does not repeat: here the repository's own scripts run.

Covered: text_to_tensor's vocab.t7/data.t7, the loader's batches, splits, pointers and stale-file check;
OneHot, clone_list, combine_all_parameters and clone_many_times; train.lua's whole loop for the LSTM, GRU and
RNN (the loss falls, the checkpoints at eval_val_every and at the end, the learning-rate decay, the LSTM's
initialisation, feval's state carried over and its gradient against central differences, -init_from and its
vocabulary check, the exploding-loss stop, the CPU fallbacks of -gpuid and -opencl); sample.lua from the
checkpoints (seeded sampling, priming, argmax, temperature), also from a checkpoint Torch7 wrote;
inspect_checkpoint.lua and convert_gpu_cpu_checkpoint.lua; the CUDA path on CuPy or its host simulator.

Stand-ins: data/tinyshakespeare/input.txt (1 MB) is replaced by a few thousand characters of a small seeded
grammar written into tmp_path; the model is 8 to 32 units wide and unrolled over 8 steps, so a training runs
68 iterations in a second or two. The scripts run in DoubleTensor, Torch7's default (sample.lua's state is
``torch.zeros(...):double()``), and with ``-gpuid -1`` on the CPU (the Lua's default 0 falls back to the CPU
when cunn is missing, as here without CuPy).
"""
import os
import random

import numpy as np
import pytest

import legonn as lg
from legonn import nn

from .char_rnn import convert_gpu_cpu_checkpoint, inspect_checkpoint, sample, train
from .char_rnn.util import model_utils
from .char_rnn.util.CharSplitLMMinibatchLoader import CharSplitLMMinibatchLoader
from .char_rnn.util.misc import clone_list
from .char_rnn.util.OneHot import OneHot

pytestmark = pytest.mark.usefixtures('double_default')

SUBJECTS = ['the cat', 'a dog', 'my bird', 'the fox']
VERBS = ['sat on', 'ran to', 'saw', 'ate']
OBJECTS = ['the mat.', 'a log.', 'the hill.', 'my hat.']


def write_text(data_dir, n_sentences=120, seed=0):
    """input.txt: sentences of a tiny grammar, one per line, seeded."""
    rng = random.Random(seed)
    os.makedirs(data_dir, exist_ok=True)
    lines = [' '.join((rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS))) for _ in range(n_sentences)]
    text = '\n'.join(lines) + '\n'
    with open(os.path.join(data_dir, 'input.txt'), 'w', newline='') as f:
        f.write(text)
    return text


def train_args(tmp_path, model='lstm', **extra):
    args = {'-data_dir': str(tmp_path / 'data'), '-model': model, '-rnn_size': 32, '-num_layers': 2,
            '-seq_length': 8, '-batch_size': 8, '-max_epochs': 2, '-learning_rate': 2e-2, '-eval_val_every': 25,
            '-print_every': 10, '-train_frac': 0.85, '-val_frac': 0.15, '-checkpoint_dir': str(tmp_path / 'cv'),
            '-savefile': model, '-gpuid': -1}
    args.update(extra)
    return [str(v) for kv in args.items() for v in kv]


def run_sample(capsys, checkpoint, *args):
    capsys.readouterr()
    sample.main([checkpoint, '-gpuid', '-1', '-verbose', '0', *[str(a) for a in args]])
    return capsys.readouterr().out


# ---------------------------------------------------------------- util/CharSplitLMMinibatchLoader.lua

def test_text_to_tensor_writes_vocab_and_data(tmp_path):
    """text_to_tensor: the vocabulary is the sorted set of bytes, numbered from 0 (Lua: from 1), saved to vocab.t7;
    data.t7 is a ByteTensor of the codes; a non-ASCII character is its bytes, as Lua's strings are."""
    (tmp_path / 'input.txt').write_bytes('ba\u00e9\r\nab'.encode('utf-8'))
    CharSplitLMMinibatchLoader.text_to_tensor(str(tmp_path / 'input.txt'), str(tmp_path / 'vocab.t7'),
                                              str(tmp_path / 'data.t7'))
    vocab = lg.load(str(tmp_path / 'vocab.t7'))
    data = lg.load(str(tmp_path / 'data.t7'))
    chars = sorted(set('ba\u00e9\r\nab'.encode('utf-8')))
    assert vocab == {chr(b): i for i, b in enumerate(chars)}          # \n, \r, a, b, 0xc3, 0xa9
    assert data.type() == 'torch.ByteTensor'
    np.testing.assert_array_equal(data.numpy(), [chars.index(b) for b in 'ba\u00e9\r\nab'.encode('utf-8')])


def test_loader_batches_splits_and_pointers(tmp_path):
    text = write_text(tmp_path, n_sentences=40)
    loader = CharSplitLMMinibatchLoader.create(str(tmp_path), 4, 5, [0.6, 0.2, 0.2])
    vocab = loader.vocab_mapping
    assert loader.vocab_size == len(set(text))
    codes = np.array([vocab[c] for c in text])
    n = 4 * 5 * (len(text) // 20)                    # the end cut off so that the batches divide evenly
    assert loader.nbatches == n // 20
    assert (loader.ntrain, loader.nval) == (int(loader.nbatches * 0.6), int(loader.nbatches * 0.2))
    assert loader.ntrain + loader.nval + loader.ntest == loader.nbatches
    rows = codes[:n].reshape(4, -1)
    targets = np.roll(codes[:n], -1).reshape(4, -1)   # y is x shifted by one, the last wrapping to the first
    for b in range(loader.nbatches):
        np.testing.assert_array_equal(loader.x_batches[b].numpy(), rows[:, 5 * b:5 * b + 5])
        np.testing.assert_array_equal(loader.y_batches[b].numpy(), targets[:, 5 * b:5 * b + 5])
    # next_batch cycles through its split; validation batches come after the training ones
    firsts = [loader.next_batch(0)[0] for _ in range(loader.ntrain + 1)]
    assert firsts[0] is loader.x_batches[0] and firsts[-1] is loader.x_batches[0]
    assert loader.next_batch(1)[0] is loader.x_batches[loader.ntrain]
    assert loader.next_batch(2)[0] is loader.x_batches[loader.ntrain + loader.nval]
    loader.reset_batch_pointer(1)
    assert loader.next_batch(1)[0] is loader.x_batches[loader.ntrain]
    # no test fraction: validation takes the rest
    loader = CharSplitLMMinibatchLoader.create(str(tmp_path), 4, 5, [0.7, 0.3, 0])
    assert loader.ntest == 0 and loader.nval == loader.nbatches - int(loader.nbatches * 0.7)
    with pytest.raises(SystemExit):
        loader.next_batch(2)
    with pytest.raises(AssertionError, match='bad split fraction 1.5 for train'):
        CharSplitLMMinibatchLoader.create(str(tmp_path), 4, 5, [1.5, 0.2, 0])


def test_loader_reruns_preprocessing_when_input_is_newer(tmp_path, capsys):
    write_text(tmp_path, n_sentences=30)
    CharSplitLMMinibatchLoader.create(str(tmp_path), 2, 5, [0.8, 0.2, 0])
    assert 'Running preprocessing' in capsys.readouterr().out
    CharSplitLMMinibatchLoader.create(str(tmp_path), 2, 5, [0.8, 0.2, 0])
    assert 'preprocessing' not in capsys.readouterr().out          # the saved files are used
    text = write_text(tmp_path, n_sentences=30, seed=1) + 'XYZ'
    with open(tmp_path / 'input.txt', 'a') as f:
        f.write('XYZ')
    later = os.path.getmtime(tmp_path / 'vocab.t7') + 10
    os.utime(tmp_path / 'input.txt', (later, later))
    loader = CharSplitLMMinibatchLoader.create(str(tmp_path), 2, 5, [0.8, 0.2, 0])
    assert 'detected as stale' in capsys.readouterr().out
    assert loader.vocab_size == len(set(text))


# ---------------------------------------------------------------- util/OneHot.lua, util/misc.lua, model_utils

def test_one_hot_rows_of_codes():
    m = OneHot(5)
    out = m.forward(lg.ByteTensor([4, 0, 2]))
    np.testing.assert_array_equal(out.numpy(), np.eye(5)[[4, 0, 2]])
    m._eye = None                                      # the Lua rebuilds a missing cache
    np.testing.assert_array_equal(m.forward(lg.Tensor([1])).numpy(), np.eye(5)[[1]])


def test_clone_list():
    a = [lg.Tensor([1, 2]), lg.Tensor([3])]
    b, z = clone_list(a), clone_list(a, True)
    assert b[0] is not a[0] and b[0].storage() is not a[0].storage()
    np.testing.assert_array_equal(b[0].numpy(), [1, 2])
    np.testing.assert_array_equal(z[0].numpy(), [0, 0])
    np.testing.assert_array_equal(a[0].numpy(), [1, 2])


def test_combine_all_parameters_and_clones_share_one_vector():
    """combine_all_parameters re-points every parameter of the LSTM into one vector (its values kept);
    clone_many_times' clones set() theirs onto the prototype's, so a step on the vector moves every clone,
    while each clone keeps its own output buffers."""
    from .char_rnn.model import LSTM
    proto = LSTM.lstm(6, 4, 2, 0)
    before = [p.clone() for p in proto.parameters()[0]]
    params, grad_params = model_utils.combine_all_parameters(proto)
    assert params.nElement() == sum(p.nElement() for p in before)
    for p, value in zip(proto.parameters()[0], before):
        assert p.storage() is params.storage()
        np.testing.assert_array_equal(p.numpy(), value.numpy())
    clones = model_utils.clone_many_times(proto, 3)
    for clone in clones:
        for p, q in zip(clone.parameters()[0], proto.parameters()[0]):
            assert p.storage() is params.storage() and p.storageOffset() == q.storageOffset()
        for g in clone.parameters()[1]:
            assert g.storage() is grad_params.storage()
    params.add(1)
    np.testing.assert_array_equal(clones[2].parameters()[0][0].numpy(), before[0].numpy() + 1)
    x, s = lg.ByteTensor([1, 5]), [lg.zeros(2, 4) for _ in range(4)]
    assert clones[0].forward([x, *s])[0] is not clones[1].forward([x, *s])[0]
    crit = model_utils.clone_many_times(nn.ClassNLLCriterion(), 2)       # no parameters: plain copies
    assert len(crit) == 2 and crit[0] is not crit[1]


# ---------------------------------------------------------------- train.lua, sample.lua

@pytest.mark.parametrize('model', ['lstm', 'gru', 'rnn'])
def test_train_then_sample(tmp_path, capsys, model):
    """train.lua's whole loop for each model type: the loss falls, a checkpoint is written at every
    eval_val_every and at the end with the protos, opt and vocab, and sample.lua loads it: sampling with a seed
    is reproducible, the prime text is echoed first, and a low temperature leaves next to no choice."""
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, model, **{'-learning_rate_decay_after': 1}))
    losses = [r['train_losses'][i] for i in sorted(r['train_losses'])]
    ntrain = r['loader'].ntrain
    assert ntrain == 34 and len(losses) == 2 * ntrain
    assert np.mean(losses[-5:]) < 0.4 * losses[0]
    vocab = r['loader'].vocab_mapping
    assert abs(losses[0] - np.log(len(vocab))) < 0.1          # starts near the uniform guess
    steps = sorted(r['val_losses'])
    assert steps == [25, 50, 68]                                # every eval_val_every and the last iteration
    assert r['val_losses'][68] < 0.75 * r['val_losses'][25] < np.log(len(vocab))
    assert [os.path.basename(f) for f in r['saved']] == ['lm_%s_epoch%.2f_%.4f.t7' % (model, i / ntrain,
                                                          r['val_losses'][i]) for i in steps]
    # decayed after each epoch from learning_rate_decay_after = 1 on
    assert r['optim_state']['learningRate'] == pytest.approx(2e-2 * 0.97 ** 2, rel=1e-12)
    checkpoint = lg.load(r['saved'][-1])
    assert checkpoint['vocab'] == vocab and checkpoint['opt']['model'] == model
    assert checkpoint['i'] == 68 and checkpoint['epoch'] == 2 and checkpoint['val_losses'] == r['val_losses']
    assert checkpoint['train_losses'] == r['train_losses']
    assert set(checkpoint['protos']) == {'rnn', 'criterion'}
    np.testing.assert_array_equal(checkpoint['protos']['rnn'].parameters()[0][0].numpy(),
                                  r['protos']['rnn'].parameters()[0][0].numpy())

    f = r['saved'][-1]
    first = run_sample(capsys, f, '-length', 80, '-seed', 7)
    assert run_sample(capsys, f, '-length', 80, '-seed', 7) == first
    assert run_sample(capsys, f, '-length', 80, '-seed', 8) != first
    assert len(first) == 81 and first.endswith('\n') and set(first) <= set(vocab)
    primed = run_sample(capsys, f, '-primetext', 'the cat ', '-length', 40, '-sample', 0)
    assert primed.startswith('the cat ') and len(primed) == len('the cat ') + 41
    cold = {run_sample(capsys, f, '-primetext', 'the cat ', '-length', 30, '-temperature', 0.02, '-seed', seed)
            for seed in range(6)}
    warm = {run_sample(capsys, f, '-primetext', 'the cat ', '-length', 30, '-seed', seed) for seed in range(6)}
    assert len(warm) == 6 and len(cold) <= 3     # a low temperature leaves next to no choice
    assert primed[:38] in {c[:38] for c in cold}          # the argmax's text among them
    words = primed[len('the cat '):].split()
    assert sum(w.strip('.') in ' '.join(SUBJECTS + VERBS + OBJECTS) for w in words) >= len(words) // 2


def test_train_lstm_initialisation_and_feval(tmp_path):
    """The LSTM's forget-gate biases start at 1 (found through the i2h_ annotations), the other parameters in
    [-0.08, 0.08]; feval returns the mean loss over seq_length and the element-wise clipped gradient, and
    rmsprop's first step is -lr * g / (sqrt((1 - alpha) g^2) + 1e-8)."""
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, 'lstm', **{'-max_epochs': 0, '-grad_clip': 0.01}))
    assert r['train_losses'] == {} and r['saved'] == []
    rnn_size = 32
    for layer in range(2):
        i2h = [n for n in r['protos']['rnn'].forwardnodes if n.data.annotations.get('name') == 'i2h_%d' % layer]
        bias = i2h[0].data.module.bias.numpy()
        np.testing.assert_array_equal(bias[rnn_size:2 * rnn_size], 1)
        assert np.abs(bias[:rnn_size]).max() <= 0.08
    params, grad_params = r['params'], r['grad_params']
    assert np.abs(params.numpy()).max() == 1
    x0 = params.clone()
    loss, g = r['feval'](params)
    assert g is grad_params and np.abs(g.numpy()).max() == pytest.approx(0.01)   # clipped at grad_clip
    assert 0 < loss < 2 * np.log(r['loader'].vocab_size)
    g = g.clone()
    lg.optim.rmsprop(lambda x: (loss, g), params, {'learningRate': 1e-2, 'alpha': 0.95})
    expected = x0.numpy() - 1e-2 * g.numpy() / (np.sqrt(0.05 * g.numpy() ** 2) + 1e-8)
    np.testing.assert_allclose(params.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_feval_carries_the_state_over(tmp_path, capsys):
    """init_state_global = rnn_state[#rnn_state]: the next feval starts from the last clone's state, not from
    zeros: its loss is the one the prototype gives from that state over the next batch. eval_split starts from
    init_state's zeros and, in evaluate mode, is deterministic with dropout on; its progress lines count the
    batches (the outer loop's ``i``, which the Lua's inner ``for i`` leaves alone: docs/porting.md)."""
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, 'lstm', **{'-max_epochs': 0}))
    loader, proto, crit = r['loader'], r['protos']['rnn'], r['protos']['criterion']
    r['feval'](r['params'])
    carried = [t.clone() for t in r['clones']['rnn'][-1].output[:4]]
    assert np.abs(carried[1].numpy()).sum() > 0
    x, y = loader.x_batches[1], loader.y_batches[1]           # the batch feval takes next

    def loss_from(state):
        loss = 0
        for t in range(8):
            out = proto.forward([x[:, t].contiguous(), *state])
            state = [s.clone() for s in out[:4]]
            loss += crit.forward(out[4], y[:, t].contiguous())
        return loss / 8
    expected, from_zeros = loss_from(carried), loss_from([lg.zeros(8, 32) for _ in range(4)])
    loss, _ = r['feval'](r['params'])
    assert loss == pytest.approx(expected, rel=1e-12) and loss != pytest.approx(from_zeros, rel=1e-6)

    r = train.main(train_args(tmp_path, 'lstm', **{'-max_epochs': 0, '-dropout': 0.3}))
    capsys.readouterr()
    v1, v2 = r['eval_split'](1), r['eval_split'](1)
    nval = r['loader'].nval
    assert capsys.readouterr().out.splitlines()[:nval + 1] == (['evaluating loss over split index 1'] +
                                                              ['%d/%d...' % (i, nval) for i in range(1, nval + 1)])
    assert v1 == v2 and v1 == pytest.approx(np.log(r['loader'].vocab_size), rel=0.05)
    assert all(not c.train for c in r['clones']['rnn'])


@pytest.mark.parametrize('model', ['lstm', 'gru', 'rnn'])
def test_feval_gradient_is_the_unrolled_losss(tmp_path, model):
    """feval's backward over the seq_length clones (drnn_state handed from step t to t-1, the clones'
    gradients summed in the one flat grad_params) is the derivative of its loss: central differences of the
    loss over the first batch from the zero state, at a dozen parameters (grad_clip high enough not to clip)."""
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, model, **{'-max_epochs': 0, '-grad_clip': 1e9, '-rnn_size': 8,
                                                  '-num_layers': 2}))
    params, proto, crit = r['params'], r['protos']['rnn'], r['protos']['criterion']
    x, y = r['loader'].x_batches[0], r['loader'].y_batches[0]
    n_state = len(r['init_state'])

    def loss():
        state, total = [lg.zeros(8, 8) for _ in range(n_state)], 0
        for t in range(8):
            out = proto.forward([x[:, t].contiguous(), *state])
            state = [s.clone() for s in out[:n_state]]
            total += crit.forward(out[-1], y[:, t].contiguous())
        return total / 8
    f, grad = r['feval'](params)
    assert f == pytest.approx(loss(), rel=1e-12)
    grad = grad.numpy().copy()
    # feval leaves grad_params:div(seq_length) out (rmsprop makes it moot): its gradient is seq_length times
    for i in np.random.RandomState(0).choice(params.nElement(), 12, replace=False):
        v = float(params[i])
        params[i] = v + 1e-6
        up = loss()
        params[i] = v - 1e-6
        down = loss()
        params[i] = v
        assert grad[i] / 8 == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-9)


def test_init_from_checkpoint(tmp_path):
    """-init_from: the checkpoint's protos are trained on, its rnn_size/num_layers/model override the options,
    and a data set with another vocabulary is refused."""
    write_text(tmp_path / 'data')
    first = train.main(train_args(tmp_path, 'gru'))
    more = train.main(train_args(tmp_path, 'lstm', **{'-rnn_size': 8, '-init_from': first['saved'][-1],
                                                     '-savefile': 'more'}))
    assert (more['opt']['model'], more['opt']['rnn_size']) == ('gru', 32)
    assert more['train_losses'][1] < 0.8 * first['train_losses'][1]         # starts trained
    np.testing.assert_array_equal(more['params'].numpy()[:10] != 0, True)
    other = tmp_path / 'other'
    write_text(other)
    with open(other / 'input.txt', 'a') as f:
        f.write('Q')
    with pytest.raises(AssertionError, match='character vocabulary'):
        train.main(train_args(tmp_path, 'gru', **{'-data_dir': str(other), '-init_from': first['saved'][-1]}))


def test_exploding_loss_stops_training(tmp_path, capsys):
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, 'rnn', **{'-learning_rate': 5, '-grad_clip': 100}))
    out = capsys.readouterr().out
    assert 'loss is exploding, aborting.' in out or 'loss is NaN' in out
    assert len(r['train_losses']) < r['loader'].ntrain


# ------------------------------------------------- inspect_checkpoint.lua, convert_gpu_cpu_checkpoint.lua

def test_inspect_and_convert_checkpoint(tmp_path, capsys):
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, 'rnn'))
    f = r['saved'][-1]
    capsys.readouterr()
    inspect_checkpoint.main([f, '-gpuid', '-1'])
    out = capsys.readouterr().out
    assert out.startswith('opt:\n') and "'model': 'rnn'" in out
    assert out.split('val losses:\n')[1].strip() == str(r['val_losses'])
    convert_gpu_cpu_checkpoint.main([f, '-gpuid', '-1'])
    converted = lg.load(f + '_cpu.t7')
    assert converted['protos']['rnn'].parameters()[0][0].type() == 'torch.DoubleTensor'
    assert run_sample(capsys, f + '_cpu.t7', '-length', 30) == run_sample(capsys, f, '-length', 30)


def test_sample_needs_torch7s_double_default(tmp_path, capsys):
    """sample.lua's state is ``torch.zeros(1, rnn_size):double()``, the type of Torch7's default DoubleTensor
    model. Trained under legonn's FloatTensor default, the model is Float and refuses the Double state, naming
    the module (docs/porting.md's default-type row: ``lg.setdefaulttensortype('torch.DoubleTensor')``, as
    every other test here runs)."""
    lg.setdefaulttensortype('torch.FloatTensor')
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, 'rnn', **{'-max_epochs': 1}))
    assert r['params'].type() == 'torch.FloatTensor'
    with pytest.raises(TypeError, match=r'Linear\(32 -> 32\): expected a legonn.FloatTensor input .* got '
                                        r'legonn.DoubleTensor'):
        run_sample(capsys, r['saved'][-1], '-length', 5)
    lg.setdefaulttensortype('torch.DoubleTensor')
    checkpoint = lg.load(r['saved'][-1])
    checkpoint['protos']['rnn'].double()
    lg.save(str(tmp_path / 'double.t7'), checkpoint)
    assert len(run_sample(capsys, str(tmp_path / 'double.t7'), '-length', 5)) == 6


def torch7_checkpoint(checkpoint, path, monkeypatch):
    """The file Torch7's train.lua writes for ``checkpoint``: the vocabulary from 1, char-rnn's OneHot under its
    Torch7 class name 'OneHot' (save_lua writes it under a name registered for this test, which the bytes then
    rename: legonn.register refuses 'OneHot', legonn's own nn.OneHot's name)."""
    import struct
    from legonn.serialization import classes
    checkpoint = dict(checkpoint, vocab={c: i + 1 for c, i in checkpoint['vocab'].items()})
    monkeypatch.setitem(classes._user, 'nn.CharRnnOneHot', OneHot)
    lg.save_lua(path, checkpoint)
    monkeypatch.delitem(classes._user, 'nn.CharRnnOneHot')
    data = open(path, 'rb').read()
    named = struct.pack('<i', 16) + b'nn.CharRnnOneHot'
    assert data.count(named) == 1
    with open(path, 'wb') as f:
        f.write(data.replace(named, struct.pack('<i', 6) + b'OneHot'))


def test_sample_from_a_torch7_checkpoint(tmp_path, capsys, monkeypatch):
    """A checkpoint Torch7's char-rnn wrote: lg.load refuses its OneHot (no nn class) naming converters;
    read with load_lua's converters and its vocabulary shifted to 0-based codes (docs/porting.md), saved
    once, it samples the same text as the port's own checkpoint of the same weights."""
    from legonn.serialization.archive import FormatError
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, 'lstm', **{'-max_epochs': 1}))
    ours = r['saved'][-1]
    t7 = str(tmp_path / 'lm_torch7.t7')
    torch7_checkpoint(lg.load(ours), t7, monkeypatch)
    with pytest.raises(FormatError, match="node .* holds a OneHot, which is no nn class; pass load_lua"):
        run_sample(capsys, t7)
    with pytest.raises(ValueError, match="the name 'OneHot' already stands for legonn.modules.misc.OneHot"):
        lg.register(OneHot, 'OneHot')
    checkpoint = lg.load_lua(t7, converters={'OneHot': lambda o: OneHot(o.outputSize)})
    assert sorted(checkpoint['vocab'].values()) == list(range(1, r['loader'].vocab_size + 1))
    checkpoint['vocab'] = {c: i - 1 for c, i in checkpoint['vocab'].items()}
    lg.save(str(tmp_path / 'converted.t7'), checkpoint)
    for args in (('-seed', 4, '-length', 60), ('-primetext', 'a dog ', '-sample', 0, '-length', 60)):
        assert run_sample(capsys, str(tmp_path / 'converted.t7'), *args) == run_sample(capsys, ours, *args)


@pytest.mark.skipif(lg.gpu_available(), reason='the CPU-only fallback')
def test_gpu_requests_fall_back_to_the_cpu(tmp_path, capsys):
    """-gpuid 0 (the default) without cunn: train.lua and sample.lua say so and go on on the CPU,
    convert_gpu_cpu_checkpoint.lua stops; -opencl 1 (no clnn in legonn) falls back too."""
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, 'rnn', **{'-gpuid': 0}))
    out = capsys.readouterr().out
    assert 'package cunn not found!' in out and 'Falling back on CPU mode' in out
    assert r['opt']['gpuid'] == -1 and r['params'].type() == 'torch.DoubleTensor'
    with pytest.raises(SystemExit):
        convert_gpu_cpu_checkpoint.main([r['saved'][-1]])
    r = train.main(train_args(tmp_path, 'rnn', **{'-gpuid': 0, '-opencl': 1, '-max_epochs': 0}))
    assert 'package clnn not found!' in capsys.readouterr().out and r['opt']['gpuid'] == -1


@pytest.mark.gpu
def test_train_on_the_gpu_convert_and_sample(tmp_path, capsys):
    """-gpuid 0: the protos, the initial state and the batches (x:float():cuda()) on the GPU, OneHot fed CUDA
    codes; the checkpoint's protos are CUDA modules. sample.lua samples from it on the GPU (its multinomial on
    probs:float(), the CPU) and convert_gpu_cpu_checkpoint.lua writes a DoubleTensor copy that samples on the CPU."""
    write_text(tmp_path / 'data')
    r = train.main(train_args(tmp_path, 'lstm', **{'-gpuid': 0}))
    assert r['opt']['gpuid'] == 0 and r['params'].type() == 'torch.CudaTensor'
    losses = [r['train_losses'][i] for i in sorted(r['train_losses'])]
    assert np.mean(losses[-5:]) < 0.4 * losses[0]
    f = r['saved'][-1]
    assert lg.load(f)['protos']['rnn'].parameters()[0][0].type() == 'torch.CudaTensor'
    capsys.readouterr()
    sample.main([f, '-verbose', '0', '-primetext', 'the cat ', '-length', '40', '-sample', '0'])
    on_gpu = capsys.readouterr().out
    convert_gpu_cpu_checkpoint.main([f])
    assert lg.load(f + '_cpu.t7')['protos']['rnn'].parameters()[0][0].type() == 'torch.DoubleTensor'
    on_cpu = run_sample(capsys, f + '_cpu.t7', '-primetext', 'the cat ', '-length', 40, '-sample', 0)
    assert on_gpu == on_cpu and on_gpu.startswith('the cat ')
    sample.main([f, '-verbose', '0', '-length', '40', '-seed', '3'])
    assert len(capsys.readouterr().out) == 41
