"""Tests of the harvardnlp/seq2seq-attn port (tests/porting/seq2seq_attn.py): an hdf5 file in preprocess.py's form
(word ids from 1: PAD 1, UNK 2, BOS 3, EOS 4) read by s2sa/data.lua's class, finite-difference gradients of
train.lua's hand-written backward over the clones, a few seeded epochs of the synthetic reverse task through
train(), decay_lr, and the checkpoint it saves. Stand-ins: generated sentences, since the repository's data/ is
English-German text that preprocess.py turns into the file written here."""
import random
import types

import numpy as np
import pytest

import legonn as lg
from legonn import hdf5, nn
from tests.porting import im2markup
from tests.porting import seq2seq_attn as M

PAD, BOS, EOS, FIRST_WORD = 1, 3, 4, 5   # preprocess.py's ids, from 1


@pytest.fixture(autouse=True)
def seq2seq_globals(monkeypatch):
    """s2sa/memory.lua's `function nn.Module:usePrealloc(...)` and friends (im2markup's copy of that file) and the
    globals train.lua sets; DoubleTensor as train.lua's `torch.Tensor`."""
    for name, method in im2markup.MODULE_METHODS.items():
        monkeypatch.setattr(nn.Module, name, method, raising=False)
    monkeypatch.setattr(im2markup, 'preallocTable', None)
    for name in ('opt', 'layers'):
        monkeypatch.setattr(M, name, None)
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype('torch.FloatTensor')


def options(**kw):
    opt = dict(num_layers=1, rnn_size=8, word_vec_size=6, dropout=0, attn=1, input_feed=1, res_net=0, multi_attn=0,
               use_chars_enc=0, use_chars_dec=0, init_dec=1, max_batch_l=4, max_sent_l=6, max_sent_l_src=6,
               max_sent_l_targ=7, param_init=0.1, train_from='', fix_word_vecs_enc=0, fix_word_vecs_dec=0,
               max_grad_norm=5, learning_rate=1.0, lr_decay=0.5, start_decay_at=100, curriculum=0, start_epoch=1,
               epochs=1, optim='sgd', save_every=1, prealloc=0, savefile='', start_symbol=0, reverse_src=0,
               feature_embeddings_dim_exponent=0.7)
    opt.update(kw)
    return types.SimpleNamespace(**opt)


def write_reverse_task(path, rng, vocab, lengths, batch_l):
    """preprocess.py's file for batches of sentences and their reversals: source `<s> w.. </s>` padded to the
    longest, target `<s> w_n .. w_1`, target_output `w_n .. w_1 </s>`, batch_idx the first row of each batch."""
    n_rows = len(lengths) * batch_l
    width = max(lengths) + 2
    source = np.full((n_rows, width), PAD)
    target = np.full((n_rows, max(lengths) + 1), PAD)
    target_output = np.full_like(target, PAD)
    target_l_all = np.zeros(n_rows, dtype=np.int64)
    for b, n in enumerate(lengths):
        for r in range(b * batch_l, (b + 1) * batch_l):
            words = rng.randint(FIRST_WORD, vocab + 1, n)
            source[r, :n + 2] = [BOS, *words, EOS]
            target[r, :n + 1] = [BOS, *words[::-1]]
            target_output[r, :n + 1] = [*words[::-1], EOS]
            target_l_all[r] = n + 2   # the Lua subtracts 1
    f = hdf5.open(str(path), 'w')
    for name, value in [('source', source), ('target', target), ('target_output', target_output),
                        ('target_l', np.array(lengths) + 1), ('target_l_all', target_l_all),
                        ('batch_l', np.full(len(lengths), batch_l)), ('batch_w', np.array(lengths) + 2),
                        ('batch_idx', np.arange(len(lengths)) * batch_l + 1), ('num_source_features', [0]),
                        ('target_size', [vocab]), ('source_size', [vocab]),
                        ('target_nonzeros', (np.array(lengths) + 1) * batch_l)]:
        f.write(name, lg.from_numpy(np.asarray(value, dtype=np.int64)))
    f.close()


def test_data_reads_preprocess_batches_time_major_with_ids_from_zero(tmp_path):
    rng = np.random.RandomState(0)
    write_reverse_task(tmp_path / 'train.hdf5', rng, 9, [2, 3], 2)
    for reverse_src in (0, 1):
        d = M.data(options(reverse_src=reverse_src), str(tmp_path / 'train.hdf5'))
        assert d.size() == 2 and d.target_size == 9
        target, target_out, nonzeros, source, batch_l, target_l, source_l = d[1][:7]
        assert (batch_l, target_l, source_l, nonzeros) == (2, 4, 3, 8)
        assert source.size() == (3, 2) and target.size() == (4, 2) and target_out.size() == (4, 2)
        words = source.numpy()[::-1] if reverse_src else source.numpy()
        assert (target.numpy()[0] == BOS - 1).all()
        np.testing.assert_array_equal(target.numpy()[1:], words[::-1])     # the reversal, ids from 0
        np.testing.assert_array_equal(target_out.numpy()[:3], words[::-1])
        assert (target_out.numpy()[3] == EOS - 1).all() and words.min() >= FIRST_WORD - 1


def build(tmp_path, lengths, batch_l=2, vocab=9, seed=1, **kw):
    rng = np.random.RandomState(seed)
    write_reverse_task(tmp_path / 'train.hdf5', rng, vocab, lengths, batch_l)
    write_reverse_task(tmp_path / 'valid.hdf5', rng, vocab, lengths, batch_l)
    lg.manualSeed(seed)
    random.seed(seed)
    M.opt = options(savefile=str(tmp_path / 'model'), **kw)
    train_data = M.data(M.opt, str(tmp_path / 'train.hdf5'))
    M.setup(train_data)
    return train_data, M.data(M.opt, str(tmp_path / 'valid.hdf5'))


@pytest.mark.parametrize('input_feed', [1, 0])
def test_backward_over_the_clones_matches_finite_differences(tmp_path, input_feed):
    """train_batch's hand-written BPTT through encoder, attention, input feeding and the generator, against
    central differences of the loss it returns (the renorm is off: the gradient norm stays below max_grad_norm)."""
    train_data, _ = build(tmp_path, [3], input_feed=input_feed, param_init=0.3)
    d = train_data[0]
    M.zero_table(M.grad_params)
    loss, grad_norm = M.forward_backward(d, 0)
    analytic = [g.clone().numpy() for g in M.grad_params]
    rng = np.random.RandomState(2)
    checked = 0
    for p, g in zip(M.params, analytic):
        for k in rng.choice(p.nElement(), 25, replace=False):
            old = float(p[k])
            p[k] = old + 1e-6
            plus, _ = M.forward_backward(d, 0)
            p[k] = old - 1e-6
            minus, _ = M.forward_backward(d, 0)
            p[k] = old
            np.testing.assert_allclose(g[k], (plus - minus) / 2e-6, rtol=1e-5, atol=1e-8)
            checked += abs(g[k]) > 1e-6
    assert checked > 40 and 0 < grad_norm < M.opt.max_grad_norm


def test_a_few_epochs_learn_to_reverse_and_the_checkpoint_loads(tmp_path):
    train_data, valid_data = build(tmp_path, [3, 4] * 6, batch_l=4, vocab=8, rnn_size=16, word_vec_size=8,
                                   epochs=10, learning_rate=1.0, max_sent_l_src=4, max_sent_l_targ=5)
    before = M.eval(valid_data)
    M.train(train_data, valid_data)
    assert len(M.opt.val_perf) == 10
    assert M.opt.val_perf[-1] < 0.6 * before, (before, M.opt.val_perf)
    checkpoint = lg.load(str(tmp_path / 'model_final.t7'))
    (encoder, decoder, generator), saved_opt = checkpoint
    assert saved_opt['rnn_size'] == 16 and generator.output.nElement() == 0   # clean_layer emptied it
    x = lg.randn(3, 16)
    np.testing.assert_array_equal(generator.forward(x).numpy(), M.generator.forward(x).numpy())
    assert (tmp_path / ('model_epoch10.00_%.2f.t7' % M.opt.val_perf[-1])).exists()


def test_preallocated_buffers_shared_by_every_clone_give_the_same_gradients(tmp_path):
    """memory.lua's -prealloc 1: every clone's modules named by usePrealloc share one gradInput (and output)
    tensor per name (the decoder's attention MMs, the LSTM's CAddTables and gates), and the gradients are those
    of the network without the sharing."""
    grads = []
    for prealloc in (0, 1):
        im2markup.preallocateMemory(prealloc)
        train_data, _ = build(tmp_path, [3], prealloc=prealloc)
        M.zero_table(M.grad_params)
        M.forward_backward(train_data[0], 0)
        grads.append([g.clone().numpy() for g in M.grad_params])
    shared = M.decoder_clones[0].findModules('nn.MM')[0][0].gradInput
    assert shared is M.decoder_clones[2].findModules('nn.MM')[0][0].gradInput   # one buffer for every clone
    assert np.abs(grads[0][1]).max() > 1e-3
    for plain, preallocated in zip(*grads):
        np.testing.assert_allclose(preallocated, plain, rtol=1e-12, atol=1e-15)


def test_decay_lr_halves_once_validation_worsens_or_at_start_decay_at():
    M.opt = options(learning_rate=1.0, lr_decay=0.5, start_decay_at=3)
    M.start_decay = 0
    M.opt.val_perf = [5.0]
    M.decay_lr(1)
    assert M.opt.learning_rate == 1.0
    M.opt.val_perf = [5.0, 4.0]
    M.decay_lr(2)
    assert M.opt.learning_rate == 1.0
    M.opt.val_perf = [5.0, 4.0, 4.5]   # worse: decay from now on, every epoch
    M.decay_lr(2)
    M.opt.val_perf.append(3.0)
    M.decay_lr(2)
    assert M.opt.learning_rate == 0.25


def test_char_cnn_encoder_with_highway_gives_the_top_state():
    """make_lstm's use_chars branch: a char LookupTable, make_cnn's TemporalConvolution, tanh and max over
    positions, then make_highway; each step reads batch x max_word_l characters."""
    lg.manualSeed(3)
    opt = options(use_chars_enc=1, char_vec_size=4, kernel_width=2, num_kernels=6, num_highway_layers=2)
    data = types.SimpleNamespace(char_size=11, num_source_features=0, total_source_features_size=0)
    enc = M.make_lstm(data, opt, 'enc', 1)
    chars = lg.LongTensor(3, 5).random(0, 11)
    c, h = enc.forward([chars, lg.zeros(3, 8), lg.zeros(3, 8)])
    assert c.size() == (3, 8) and h.size() == (3, 8)
    # make_highway's in-place AddConstants restore their input in backward (AddConstant.lua), so a second
    # backward without a forward (nn.Jacobian's way) reads the restored tensor: check one backward per forward
    hw = M.make_highway(5, 2)
    x, g = lg.randn(4, 5), lg.randn(4, 5)
    hw.forward(x)
    analytic = hw.backward(x, g).clone().numpy()
    numeric = np.zeros((4, 5))
    for i, j in np.ndindex(4, 5):
        for sign in (1, -1):
            xp = x.clone()
            xp[i][j] = float(x[i][j]) + sign * 1e-6
            numeric[i, j] += sign * float(lg.sum(hw.forward(xp).clone().cmul(g))) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    assert np.abs(analytic).max() > 1e-2


def test_make_highway_as_the_lua_writes_it_is_refused():
    """The literal make_highway: `local f = f or nn.ReLU()` called in both layers, one module on two nodes."""
    f = nn.ReLU()
    start = nn.Identity()()
    out = start
    for _ in range(2):
        out = f(nn.Linear(5, 5)(out))
    with pytest.raises(ValueError, match='use the same module object'):
        nn.gModule([start], [out])
