"""karpathy/neuraltalk2's port (tests/porting/neuraltalk2.py, whose docstring lists the files and the edits)
run on small stand-ins: random image features for the language model; for train.lua and eval.lua synthetic
captions over a 5-word vocabulary in an h5/json pair laid out as prepro.py writes it (0-based, -1 padding),
3 x 256 x 256 random images (DataLoader.lua hard-codes 256) and a 3-module stand-in for loadcaffe's VGG-16 (a
14x14 stride-14 convolution of the 224 crop to 16 x 16 x 16 = the 4096 features build_cnn's Linear takes):
no COCO, no Caffe model in CI. tests/porting/test_neuraltalk2_idioms.py covers the sanitize idioms alone."""
import itertools
import json

import numpy as np
import pytest

import legonn as lg
from legonn import hdf5, image, nn
from tests.checks import central_difference
from tests.porting import neuraltalk2 as nt

V, E, R = 4, 5, 6   # vocabulary, input encoding and rnn sizes


def language_model(seq_length=3, num_layers=1, dropout=0, vocab_size=V):
    return nt.LanguageModel({'vocab_size': vocab_size, 'input_encoding_size': E, 'rnn_size': R,
                             'num_layers': num_layers, 'dropout': dropout, 'seq_length': seq_length})


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_lstm_core_is_the_lua_cell_and_decoder(double_default):
    """misc/LSTM.lua: gates in the order in, forget, out, transform from one i2h + h2h sum, split along the
    second dimension (SplitTable(2) in the Lua); the decoder's LogSoftMax over output_size; with two layers
    the second reads the first's next_h (outputs[(L-1)*2] in the Lua)."""
    lg.manualSeed(1)
    core = nt.LSTM.lstm(E, V + 1, R, 2, 0)
    x, c1, h1, c2, h2 = (lg.randn(3, E), lg.randn(3, R), lg.randn(3, R), lg.randn(3, R), lg.randn(3, R))
    out = core.forward([x, c1, h1, c2, h2])
    assert len(out) == 5 and out[4].size() == (3, V + 1)
    named = {}
    for node in core.forwardnodes:
        if node.data.annotations.get('name'):
            named[node.data.annotations['name']] = node.data.module

    def cell(L, inp, c, h):
        z = (inp @ named['i2h_%d' % L].weight.numpy().T + named['i2h_%d' % L].bias.numpy()
             + h @ named['h2h_%d' % L].weight.numpy().T + named['h2h_%d' % L].bias.numpy())
        i, f, o, g = sigmoid(z[:, :R]), sigmoid(z[:, R:2 * R]), sigmoid(z[:, 2 * R:3 * R]), np.tanh(z[:, 3 * R:])
        c2_ = f * c + i * g
        return c2_, o * np.tanh(c2_)

    nc1, nh1 = cell(1, x.numpy(), c1.numpy(), h1.numpy())
    nc2, nh2 = cell(2, nh1, c2.numpy(), h2.numpy())
    dec = named['decoder']
    logits = nh2 @ dec.weight.numpy().T + dec.bias.numpy()
    want = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    for got, ref in zip(out, [nc1, nh1, nc2, nh2, want]):
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-12)


def test_language_model_gradients_by_finite_differences(double_default):
    """updateOutput over the clones and updateGradInput back through them: the criterion's loss against the
    image features and every parameter (the flat vector getParameters gives, which the clones share), by
    central differences. Sequences of lengths 2, 1 and 0 leave the last step all null (-1): it is skipped
    (tmax), as the Lua's torch.sum(it) == 0 shortcut does."""
    lg.manualSeed(2)
    lm = language_model(seq_length=3, num_layers=2)
    crit = nt.LanguageModelCriterion()
    params, grads = lm.getParameters()
    lm.createClones()
    imgs = lg.randn(3, E)
    seq = lg.LongTensor([[1, 3, -1], [0, -1, -1], [-1, -1, -1]])

    def loss_of():
        return crit.forward(lm.forward([imgs, seq]), seq)

    grads.zero()
    loss_of()
    assert lm.tmax == 4   # t = 5 (the third word row, all null) skipped
    dimgs, dseq = lm.backward([imgs, seq], crit.backward(lm.output, seq))
    assert dseq.nElement() == 0
    analytic = grads.clone()
    for flat, ours in ((params, analytic), (imgs.view(-1), dimgs.clone().view(-1))):
        picks = np.random.RandomState(0).choice(flat.nElement(), min(40, flat.nElement()), replace=False)
        for i in picks:
            assert abs(central_difference(loss_of, flat, int(i)) - ours[i]) < 1e-7


def test_criterion_predicts_each_word_then_end_once():
    """LanguageModelCriterion: step t (from the second) is scored on the caption's word t-1, then the END
    token (the last column, Mp1 - 1 here) at the first null token or past the sequence, then nothing; the loss
    is the mean over those predictions and the gradient -1/n at each."""
    lg.manualSeed(3)
    logp = lg.randn(5, 2, V + 1)
    seq = lg.LongTensor([[2, 0], [1, -1], [3, -1]])
    crit = nt.LanguageModelCriterion()
    loss = crit.forward(logp, seq)
    x = logp.numpy()
    picks = [(1, 0, 2), (2, 0, 1), (3, 0, 3), (4, 0, V), (1, 1, 0), (2, 1, V)]
    assert loss == pytest.approx(-sum(x[p] for p in picks) / 6, rel=1e-6)
    want = np.zeros_like(x)
    for p in picks:
        want[p] = -1 / 6
    np.testing.assert_allclose(crit.backward(logp, seq).numpy(), want, rtol=1e-6)
    with pytest.raises(AssertionError, match='2 larger in time'):
        crit.forward(lg.randn(4, 2, V + 1), seq)


def sequence_scores(lm, img, candidates):
    """log p of each candidate caption (a list of tokens, -1 padded) under lm, by teacher forcing."""
    seq = lg.LongTensor([list(c) for c in candidates]).t().contiguous()
    logp = lm.forward([img.expand(len(candidates), img.size(1)), seq]).numpy()
    scores = []
    for b, c in enumerate(candidates):
        scores.append(sum(logp[t + 1, b, tok] for t, tok in enumerate(c) if tok != -1))
    return np.array(scores)


def test_sample_beam_finds_the_best_caption_of_an_exhaustive_search(double_default):
    """sample_beam with beam_size = vocab_size + 1 over two steps keeps every first token and scores every
    continuation, so it is exact: its caption must be the best of all captions it can return (an END first,
    then null; or any two tokens, the Lua going on past an END), each scored by teacher forcing through
    updateOutput; its per-word log probabilities are those scores' terms. Greedy sample() never beats it."""
    lg.manualSeed(4)
    vocab = 2
    lm = language_model(seq_length=2, vocab_size=vocab)
    lm.evaluate()
    tokens = range(vocab + 1)
    candidates = [(vocab, -1)] + list(itertools.product(tokens, tokens))
    for k in range(3):
        imgs = lg.randn(2, E).mul(3)
        seq, logps = lm.sample(imgs, {'beam_size': vocab + 1})
        assert seq.size() == (2, 2) and seq.type() == 'torch.LongTensor'
        for b in range(2):
            scores = sequence_scores(lm, imgs[b:b + 1], candidates)
            best = candidates[int(np.argmax(scores))]
            assert tuple(seq[:, b].tolist()) == best
            assert logps[:, b].sum() == pytest.approx(scores.max(), abs=1e-5)
        greedy, greedy_logps = lm.sample(imgs)
        assert (greedy_logps.sum(0).numpy() <= logps.sum(0).numpy() + 1e-5).all()


def test_greedy_and_temperature_sampling(double_default):
    """sample(): argmax words (torch.max(logprobs, 2)'s indices, 0-based here) fed back step by step, their
    log probabilities recorded; sample_max = 0 draws from exp(logprobs / temperature) with the generator."""
    lg.manualSeed(5)
    lm = language_model(seq_length=4)
    lm.evaluate()
    imgs = lg.randn(3, E)
    seq, logps = lm.sample(imgs)
    assert seq.min() >= 0 and seq.max() <= V and logps.type() == 'torch.FloatTensor'
    for b in range(3):
        steps = [int(v) for v in seq[:, b]]
        scores = lm.forward([imgs[b:b + 1], lg.LongTensor([[s] for s in steps])]).numpy()
        for t, s in enumerate(steps):
            assert s == int(np.argmax(scores[t + 1, 0]))   # fed its own words, it picks them again
            assert logps[t, b] == pytest.approx(scores[t + 1, 0, s], abs=1e-5)
    lg.manualSeed(6)
    a = lm.sample(imgs, {'sample_max': 0, 'temperature': 0.5})[0]
    lg.manualSeed(6)
    np.testing.assert_array_equal(lm.sample(imgs, {'sample_max': 0, 'temperature': 0.5})[0].numpy(), a.numpy())
    assert a.min() >= 0 and a.max() <= V


def test_net_utils_prepro_build_cnn_and_decode_sequence():
    """prepro: the 224 crop (centre at the Lua's 1-based offset ceil(32/2) = 16, 15 here) minus the VGG mean;
    build_cnn: the first conv's B and R input planes swapped, Linear(4096, encoding) and ReLU appended;
    decode_sequence stops at the END token (no ix_to_word entry) or a null token."""
    lg.manualSeed(7)
    imgs = lg.ByteTensor(2, 3, 256, 256).random(0, 256)
    out = nt.net_utils.prepro(imgs, False, False)
    want = imgs.numpy()[:, :, 15:239, 15:239].astype(np.float32) - np.array(
        [123.68, 116.779, 103.939], dtype=np.float32).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(out.numpy(), want)
    assert out.type() == 'torch.FloatTensor' and imgs.type() == 'torch.ByteTensor'
    lg.manualSeed(8)
    aug = nt.net_utils.prepro(imgs, True, False)
    assert aug.size() == (2, 3, 224, 224)
    cnn = standin_vgg()
    w = cnn.get(0).weight.clone()
    built = nt.net_utils.build_cnn(cnn, {'layer_num': 3, 'backend': 'nn', 'encoding_size': E})
    np.testing.assert_array_equal(built.get(0).weight.numpy(), w.numpy()[:, ::-1])
    assert built.size() == 5 and lg.typename(built.get(4)) == 'nn.ReLU' and built.get(4).inplace
    assert built.forward(out).size() == (2, E)
    with pytest.raises(ValueError, match='Unrecognized backend "caffe"'):
        nt.net_utils.build_cnn(standin_vgg(), {'layer_num': 3, 'backend': 'caffe'})
    ix_to_word = {'0': 'a', '1': 'dog', '2': 'runs'}
    seq = lg.LongTensor([[0, 1, 3], [1, 3, 2], [2, 0, -1]])
    assert nt.net_utils.decode_sequence(ix_to_word, seq) == ['a dog runs', 'dog', '']
    with pytest.raises(NotImplementedError, match='coco-caption'):
        nt.net_utils.language_eval([], 'x')


def test_list_nngraph_modules_and_sanitize_a_language_models_core(tmp_path):
    """net_utils.listModules on the LSTM gModule lists its nodes' modules (forwardnodes' node.data.module), the
    gModule itself left out; sanitize_gradients drops every gradient there, the .t7 holds none, and
    unsanitize_gradients brings zeros back, so that the core trains again."""
    lm = language_model()
    mods = nt.net_utils.listModules(lm.core)
    assert lm.core not in mods and sum(m.weight is not None for m in mods) == 3
    nt.net_utils.sanitize_gradients(lm.core)
    assert all(m.gradWeight is None and m.gradBias is None for m in mods)
    lg.save(str(tmp_path / 'core.t7'), lm.core)
    core = lg.load(str(tmp_path / 'core.t7'))
    assert all(m.gradWeight is None for m in nt.net_utils.listModules(core))
    nt.net_utils.unsanitize_gradients(core)
    assert all(m.gradWeight.sum() == 0 for m in nt.net_utils.listModules(core) if m.weight is not None)
    assert core.getParameters()[1].nElement() == sum(p.nElement() for p in lm.core.parameters()[0])


def test_optim_updates_sgdmom_and_adagrad():
    """optim_updates.lua's sgdmom (Nesterov: x += -alpha m_old + (1 + alpha) m_new, m = alpha m - lr dx) and
    adagrad (x -= lr dx / (sqrt(sum dx^2) + eps)), two steps each against NumPy; utils' dict_average and
    average_values."""
    x0 = np.array([1.0, -2.0, 0.5])
    dxs = [np.array([0.3, -0.1, 0.2]), np.array([-0.2, 0.4, 0.1])]
    x, state = lg.DoubleTensor(x0.tolist()), {}
    xr, m = x0.copy(), np.zeros(3)
    for dx in dxs:
        nt.sgdmom(x, lg.DoubleTensor(dx.tolist()), 0.1, 0.9, state)
        old = m.copy()
        m = 0.9 * m - 0.1 * dx
        xr = xr - 0.9 * old + 1.9 * m
    np.testing.assert_allclose(x.numpy(), xr)
    x, state = lg.DoubleTensor(x0.tolist()), {}
    xr, acc = x0.copy(), np.zeros(3)
    for dx in dxs:
        nt.adagrad(x, lg.DoubleTensor(dx.tolist()), 0.1, 1e-8, state)
        acc += dx * dx
        xr = xr - 0.1 * dx / (np.sqrt(acc) + 1e-8)
    np.testing.assert_allclose(x.numpy(), xr)
    assert nt.dict_average([{'a': 1, 'b': 4}, {'a': 3, 'b': 0}]) == {'a': 2, 'b': 2}
    assert nt.average_values({'x': 1, 'y': 2, 'z': 6}) == 3


# ---- the data loader, train.lua and eval.lua ---------------------------------------------------------------------
WORDS = ['a', 'dog', 'cat', 'runs', 'sits']


def write_standin_data(tmp_path, seq_length=4, captions=(2, 1, 3, 2, 1, 2)):
    """prepro.py's layout: /images (N,3,256,256) uint8, /labels (captions x seq_length) word ids (0-based here,
    -1 padding), /label_start_ix and /label_end_ix (0-based, inclusive); the json's ix_to_word keyed '0' ..,
    images with split, id and file_path. Images 0-2 train, 3-4 val, 5 test."""
    rng = np.random.RandomState(0)
    labels, start, end = [], [], []
    for k in captions:
        start.append(len(labels))
        for _ in range(k):
            n = rng.randint(1, seq_length + 1)
            row = np.full(seq_length, -1)
            row[:n] = rng.randint(0, len(WORDS), n)
            labels.append(row)
        end.append(len(labels) - 1)
    f = hdf5.open(str(tmp_path / 'data.h5'), 'w')
    f.write('/images', lg.from_numpy(rng.randint(0, 256, (len(captions), 3, 256, 256)).astype(np.uint8)))
    f.write('/labels', lg.from_numpy(np.array(labels, dtype=np.int64)))
    f.write('/label_start_ix', lg.from_numpy(np.array(start, dtype=np.int64)))
    f.write('/label_end_ix', lg.from_numpy(np.array(end, dtype=np.int64)))
    f.close()
    splits = ['train'] * 3 + ['val'] * 2 + ['test']
    images = [{'id': 100 + i, 'split': s, 'file_path': 'img%d.jpg' % i} for i, s in enumerate(splits)]
    with open(tmp_path / 'data.json', 'w') as file:
        json.dump({'ix_to_word': {str(i): w for i, w in enumerate(WORDS)}, 'images': images}, file)
    return np.array(labels), start, end


def standin_vgg():
    """loadcaffe's VGG-16 as build_cnn reads it: a first conv on RGB planes, then modules up to a 4096-wide
    output (16 planes of 16 x 16 from the 224 crop)."""
    net = nn.Sequential()
    net.add(nn.SpatialConvolution(3, 16, 14, 14, 14, 14))
    net.add(nn.ReLU(True))
    net.add(nn.View(-1).setNumInputDims(3))
    return net


def test_data_loader_batches_wrap_and_draw_captions_of_each_image(tmp_path):
    """DataLoader.lua: images in split order, seq_per_img captions drawn from the image's own (inclusive)
    label rows (a contiguous chunk when it has enough, with replacement when not), transposed to
    (seq_length, batch * seq_per_img); the iterator wraps (bounds.wrapped) and resetIterator rewinds."""
    labels, start, end = write_standin_data(tmp_path)
    lg.manualSeed(9)
    loader = nt.DataLoader({'h5_file': str(tmp_path / 'data.h5'), 'json_file': str(tmp_path / 'data.json')})
    assert loader.getVocabSize() == 5 and loader.getSeqLength() == 4 and loader.split_ix['val'] == [3, 4]
    data = loader.getBatch({'split': 'train', 'batch_size': 2, 'seq_per_img': 2})
    assert data['images'].size() == (2, 3, 256, 256) and data['labels'].size() == (4, 4)
    assert [i['id'] for i in data['infos']] == [100, 101] and data['infos'][1]['file_path'] == 'img1.jpg'
    assert data['bounds'] == {'it_pos_now': 2, 'it_max': 3, 'wrapped': False}
    f = hdf5.open(str(tmp_path / 'data.h5'), 'r')
    np.testing.assert_array_equal(data['images'][1].numpy(), f.read('/images').all()[1].numpy())
    f.close()
    for i, ix in enumerate([0, 1]):
        ours = {tuple(labels[r]) for r in range(start[ix], end[ix] + 1)}
        for q in range(2):
            assert tuple(data['labels'][:, i * 2 + q].tolist()) in ours
    assert tuple(data['labels'][:, 0].tolist()) == tuple(labels[0])   # image 0 has exactly 2: rows 0, 1
    data = loader.getBatch({'split': 'train', 'batch_size': 2, 'seq_per_img': 2})
    assert [i['id'] for i in data['infos']] == [102, 100] and data['bounds']['wrapped']
    loader.resetIterator('train')
    assert loader.getBatch({'split': 'train', 'batch_size': 1, 'seq_per_img': 1})['infos'][0]['id'] == 100
    with pytest.raises(AssertionError, match='split nope not found'):
        loader.getBatch({'split': 'nope'})


def train_args(tmp_path, *more):
    return ['-input_h5', str(tmp_path / 'data.h5'), '-input_json', str(tmp_path / 'data.json'),
            '-cnn_model', str(tmp_path / 'vgg.t7'), '-cnn_layer_num', '3', '-checkpoint_path', str(tmp_path),
            '-rnn_size', str(R), '-input_encoding_size', str(E), '-batch_size', '2', '-seq_per_img', '2',
            '-max_iters', '3', '-finetune_cnn_after', '1', '-drop_prob_lm', '0.2', '-save_checkpoint_every', '2',
            '-losses_log_every', '2', '-val_images_use', '2', '-learning_rate', '1e-2',
            '-cnn_learning_rate', '1e-3', '-gpuid', '-1', *more]


def test_train_lua_then_eval_lua_on_its_checkpoint(tmp_path, monkeypatch):
    """train.lua's loop for 3 iterations: the CNN finetuned from iteration 1 (its first update after one LM-only
    step), validation with greedy captions at iterations 0 and 2, the json report each time and the .t7 at
    iteration 2 (never at 0) holding the thin clones: parameters shared with the trained model, no gradients
    (sanitize_gradients). eval.lua loads it, rebuilds the clones and beam-searches captions for the test
    split, then for a folder of images (DataLoaderRaw); -start_from resumes from the same parameters with fresh gradients."""
    from legonn import cjson
    monkeypatch.setitem(cjson._settings, 'sparse', cjson._settings['sparse'])   # write_json sets it
    write_standin_data(tmp_path)
    lg.manualSeed(10)
    vgg = standin_vgg()
    lg.save(str(tmp_path / 'vgg.t7'), vgg)
    result = nt.train(train_args(tmp_path))
    protos, thin_lm, thin_cnn = result['protos'], result['thin_lm'], result['thin_cnn']
    first = protos['cnn'].get(0)
    assert not np.array_equal(first.weight.numpy(), vgg.get(0).weight.numpy()[:, ::-1])   # finetuned
    assert sorted(result['loss_history']) == [0, 2] and sorted(result['val_loss_history']) == [0, 2]
    report = json.loads((tmp_path / 'model_id.json').read_text())
    assert report['iter'] == 2 and sorted(report['loss_history']) == ['0', '2']
    assert len(report['val_predictions']) == 2 and {p['image_id'] for p in report['val_predictions']} == {103, 104}
    assert all(set(p['caption'].split()) <= set(WORDS) for p in report['val_predictions'])
    # the thin clones share the trained parameters and hold no gradients
    for thin, full in ((thin_lm.core, protos['lm'].core), (thin_cnn, protos['cnn'])):
        for m, f in zip(nt.net_utils.listModules(thin), nt.net_utils.listModules(full)):
            if m.weight is not None:
                assert m.gradWeight is None and m.weight.storage() is f.weight.storage()
                assert m.weight.storageOffset() == f.weight.storageOffset()
    ckpt = lg.load(str(tmp_path / 'model_id.t7'))
    assert ckpt['iter'] == 2 and ckpt['vocab'] == {str(i): w for i, w in enumerate(WORDS)}
    assert getattr(ckpt['protos']['lm'], 'clones', None) is None   # thin_lm was cloned before createClones
    # saved at iteration 2 before its update: the parameters of a run stopped there (-max_iters 2; the Lua's
    # `iter == opt.max_iters` never holds where it is tested, so the last iteration is never saved)
    two = nt.train(train_args(tmp_path, '-max_iters', '2', '-id', 'two'))
    assert not (tmp_path / 'model_idtwo.t7').exists()
    lm_params = np.concatenate([p.numpy().ravel() for p in ckpt['protos']['lm'].parameters()[0]])
    np.testing.assert_array_equal(lm_params, two['params'].numpy())
    cnn_params = np.concatenate([p.numpy().ravel() for p in ckpt['protos']['cnn'].parameters()[0]])
    np.testing.assert_array_equal(cnn_params, two['cnn_params'].numpy())

    # eval.lua on the checkpoint, beam search of 2 over the test split (one image)
    (tmp_path / 'vis').mkdir()
    out = nt.evaluate(['-model', str(tmp_path / 'model_id.t7'), '-gpuid', '-1', '-dump_images', '0',
                       '-num_images', '-1', '-batch_size', '1'], vis_dir=str(tmp_path / 'vis'))
    assert [p['image_id'] for p in out['predictions']] == [105] and np.isfinite(out['loss'])
    assert json.loads((tmp_path / 'vis' / 'vis.json').read_text()) == out['predictions']
    with pytest.raises(NotImplementedError, match='-dump_images'):
        nt.evaluate(['-model', str(tmp_path / 'model_id.t7'), '-gpuid', '-1'], vis_dir=str(tmp_path / 'vis'))

    # eval.lua -image_folder: DataLoaderRaw over the folder's images, scaled to 256 x 256; no labels, so no loss
    folder = tmp_path / 'folder'
    folder.mkdir()
    rng = np.random.RandomState(1)
    for name, (h, w) in (('one.png', (240, 300)), ('two.PNG', (260, 256)), ('c.png.png', (256, 256))):
        image.save(str(folder / name), lg.from_numpy(rng.rand(3, h, w).astype(np.float32)))
    (folder / 'notes.txt').write_text('not an image')
    out = nt.evaluate(['-model', str(tmp_path / 'model_id.t7'), '-gpuid', '-1', '-dump_images', '0',
                       '-num_images', '-1', '-batch_size', '1', '-image_folder', str(folder)],
                      vis_dir=str(tmp_path / 'vis'))
    # isImage's f:find(ext) looks at the first match only: 'c.png.png' is left out, as in the Lua
    assert sorted(p['image_id'] for p in out['predictions']) == ['1', '2'] and np.isnan(out['loss'])
    raw = nt.DataLoaderRaw({'folder_path': str(folder), 'coco_json': ''})
    assert sorted(f.rsplit('/', 1)[1] for f in raw.files) == ['one.png', 'two.PNG']
    data = raw.getBatch({'batch_size': 3})
    assert data['images'].size() == (3, 3, 256, 256) and data['bounds']['wrapped']
    assert [i['id'] for i in data['infos']] == ['1', '2', '1']

    # -start_from: the checkpoint's parameters in the flat vectors, with gradients again (a step of sgd at
    # learning rate 0 leaves them as loaded)
    resumed = nt.train(train_args(tmp_path, '-start_from', str(tmp_path / 'model_id.t7'), '-max_iters', '1',
                                  '-id', 'resumed', '-optim', 'sgd', '-learning_rate', '0'))
    np.testing.assert_array_equal(resumed['params'].numpy(), lm_params)
    assert resumed['protos']['lm'].core.parameters()[1][0].abs().sum() > 0
    assert (tmp_path / 'model_idresumed.json').exists()


@pytest.mark.gpu
def test_language_model_on_cuda_matches_the_cpu():
    """lm:cuda() (train.lua line 133): the CPU LongTensors of start tokens and captions go to the CUDA lookup
    tables as the Lua hands them, the loss, gradients and both samplers give the CPU's numbers."""
    lg.manualSeed(11)
    cpu = language_model(seq_length=3)
    gpu = cpu.clone().cuda()
    imgs = lg.randn(2, E)
    seq = lg.LongTensor([[1, 2], [3, -1], [-1, -1]])
    results = []
    runs = ((cpu, imgs, nt.LanguageModelCriterion()), (gpu, imgs.cuda(), nt.LanguageModelCriterion().cuda()))
    for lm, x, crit in runs:
        lm.zeroGradParameters()
        logp = lm.forward([x, seq])
        loss = crit.forward(logp, seq)
        dimgs = lm.backward([x, seq], crit.backward(logp, seq))[0]
        lm.evaluate()
        greedy = lm.sample(x)[0]
        beam = lm.sample(x, {'beam_size': 3})[0]
        grad = lm.core.parameters()[1][0]
        results.append((loss, dimgs.float().numpy(), grad.float().numpy(), greedy.numpy(), beam.numpy()))
    (l0, d0, g0, s0, b0), (l1, d1, g1, s1, b1) = results
    assert l1 == pytest.approx(l0, rel=1e-5)
    np.testing.assert_allclose(d1, d0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(g1, g0, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(s1, s0)
    np.testing.assert_array_equal(b1, b0)


@pytest.mark.gpu
def test_train_lua_then_eval_lua_on_cuda(tmp_path, monkeypatch):
    """-gpuid 0: every proto :cuda(), prepro ships the images to the GPU; the checkpoint loads back to the GPU
    for eval.lua (its tensors were saved from there)."""
    from legonn import cjson
    monkeypatch.setitem(cjson._settings, 'sparse', cjson._settings['sparse'])   # write_json sets it
    write_standin_data(tmp_path)
    lg.manualSeed(12)
    lg.save(str(tmp_path / 'vgg.t7'), standin_vgg())
    args = train_args(tmp_path, '-gpuid', '0', '-backend', 'cudnn')
    result = nt.train(args)
    assert result['params'].type() == 'torch.CudaTensor' and np.isfinite(result['val_loss_history'][2])
    out = nt.evaluate(['-model', str(tmp_path / 'model_id.t7'), '-gpuid', '0', '-dump_images', '0',
                       '-num_images', '-1'], vis_dir=str(tmp_path))
    assert [p['image_id'] for p in out['predictions']] == [105]
    # eval.lua makes the clones (line 96) before :cuda() (line 97): they still share the core's parameters,
    # as Torch7's type conversion keeps shared storages shared
    lm = out['protos']['lm']
    assert lm.core.parameters()[0][0].type() == 'torch.CudaTensor'
    assert lm.clones[2].parameters()[0][0].storage() is lm.core.parameters()[0][0].storage()
    assert lm.lookup_tables[2].weight.storage() is lm.lookup_table.weight.storage()


def test_tied_beams_keep_their_order_as_pythons_sort_does(double_default):
    """sample_beam's `table.sort(candidates, compare)` with `compare(a, b) = a.p > b.p` is
    `candidates.sort(key=..., reverse=True)` (docs/porting.md's table.sort row): Lua's table.sort is not stable,
    so among tied candidates the Lua's pick is unspecified; Python's keeps the order they were inserted in
    (word rank c, then beam q), as lg.sort keeps tied words in index order. With every log probability equal
    (a zero decoder with equal biases) and 2 beams over words 0, 1 and END 2, the first beam takes word 0, the
    second word 1; both then add word 0 and tie again: the first, [0, 0], is the caption."""
    lm = language_model(seq_length=2, vocab_size=2)
    decoder = [n.data.module for n in lm.core.forwardnodes if n.data.annotations.get('name') == 'decoder'][0]
    decoder.weight.zero()
    decoder.bias.fill(0.5)
    lm.evaluate()
    seq, logps = lm.sample(lg.randn(1, E), {'beam_size': 2})
    assert seq[:, 0].tolist() == [0, 0]
    np.testing.assert_allclose(logps[:, 0].numpy(), -np.log(3))
    ranked = [{'p': 1.0, 'c': 0}, {'p': 2.0, 'c': 1}, {'p': 1.0, 'c': 2}, {'p': 2.0, 'c': 3}]
    ranked.sort(key=lambda a: a['p'], reverse=True)
    assert [a['c'] for a in ranked] == [1, 3, 0, 2]


# ---- test_language_model.lua, the repository's own tests ----------------------------------------------------------
def lm_opt(**kw):
    opt = {'vocab_size': 5, 'input_encoding_size': 4, 'rnn_size': 8, 'num_layers': 2, 'dropout': 0,
           'seq_length': 7, 'batch_size': 6}
    opt.update(kw)
    return opt


def padded_seq(opt, ends):
    """torch.LongTensor(seq_length, batch_size):random(vocab_size), then nulls from (1-based) step ends[col]"""
    seq = lg.LongTensor(opt['seq_length'], opt['batch_size']).random(opt['vocab_size'])   # words 0 .. V-1
    for col, first in ends.items():
        seq[first - 1:opt['seq_length'], col] = -1   # the Lua's seq[{ {first, 7}, col + 1 }] = 0
    return seq


@pytest.mark.parametrize('dtype', ['torch.DoubleTensor', 'torch.FloatTensor',
                                   pytest.param('torch.CudaTensor', marks=pytest.mark.gpu)])
def test_lua_forward_api(double_default, dtype):
    """forwardApiTestFactory (cudaApiForwardTest too: the CPU LongTensor seq to the CUDA lookup tables,
    criterion and output on the GPU): log probabilities < 0 of size (seq_length + 2, batch, vocab + 1), the
    criterion's gradient zero at the image step and past each caption's END, an empty gradient for seq."""
    lg.manualSeed(13)
    opt = lm_opt(input_encoding_size=11, batch_size=10)
    lm = nt.LanguageModel(opt)
    crit = nt.LanguageModelCriterion()
    lm.type(dtype)
    crit.type(dtype)
    seq = padded_seq(opt, {0: 4, 5: 5})
    imgs = lg.randn(opt['batch_size'], opt['input_encoding_size']).type(dtype)
    output = lm.forward([imgs, seq])
    assert lg.max(output.view(-1)) < 0   # log probs should be <0
    assert output.size() == (opt['seq_length'] + 2, opt['batch_size'], opt['vocab_size'] + 1)
    crit.forward(output, seq)
    gradOutput = crit.backward(output, seq)
    assert gradOutput.size() == output.size()
    gradAbs = lg.max(lg.abs(gradOutput), 2)[0].view(opt['seq_length'] + 2, opt['batch_size'])
    gradZeroMask = lg.eq(gradAbs, 0)
    expected = lg.ByteTensor(opt['seq_length'] + 2, opt['batch_size']).zero()
    expected[0:1, :].fill(1)   # first time step should be zero grad (img was passed in)
    expected[5:9, 0].fill(1)
    expected[6:9, 5].fill(1)
    np.testing.assert_array_equal(gradZeroMask.float().numpy(), expected.float().numpy())
    gradInput = lm.backward([imgs, seq], gradOutput)
    assert gradInput[0].size() == (opt['batch_size'], opt['input_encoding_size'])
    assert gradInput[1].nElement() == 0, 'grad on seq should be empty tensor'


@pytest.mark.parametrize('with_criterion', [False, True])
def test_lua_gradcheck_and_gradcheck_lm(double_default, with_criterion):
    """gradCheckLM (a random weighted sum of the outputs) and gradCheck (the criterion): the image gradient
    against gradcheck.numeric_gradient, within the Lua's 1e-4 and relative errors under 1e-4 / 5e-4."""
    lg.manualSeed(14)
    opt = lm_opt()
    lm = nt.LanguageModel(opt)
    crit = nt.LanguageModelCriterion()
    lm.type('torch.DoubleTensor')
    crit.type('torch.DoubleTensor')
    seq = padded_seq(opt, {0: 4, 3: 5})
    imgs = lg.randn(opt['batch_size'], opt['input_encoding_size']).type('torch.DoubleTensor')
    output = lm.forward([imgs, seq])
    w = lg.randn(output.size(0), output.size(1), output.size(2))

    def f(x):
        out = lm.forward([x, seq])
        return crit.forward(out, seq) if with_criterion else lg.sum(lg.cmul(out, w))

    if with_criterion:
        crit.forward(output, seq)
        gradOutput = crit.backward(output, seq)
    else:
        gradOutput = w
    gradInput, dummy = lm.backward([imgs, seq], gradOutput)
    gradInput = gradInput.clone()
    gradInput_num = nt.numeric_gradient(f, imgs, 1, 1e-6)
    assert (gradInput - gradInput_num).abs().max() < 1e-4
    assert nt.relative_error(gradInput, gradInput_num, 1e-8) < (5e-4 if with_criterion else 1e-4)


def test_lua_overfit(double_default):
    """overfit: the parameter count of one LSTM layer, decoder and table; the first loss near log(V + 1);
    30 adagrad steps bring the loss under 0.2 (a fixed seed: the run is deterministic)."""
    lg.manualSeed(15)
    opt = lm_opt(input_encoding_size=7, rnn_size=24, num_layers=1)
    lm = nt.LanguageModel(opt)
    crit = nt.LanguageModelCriterion()
    seq = padded_seq(opt, {0: 4, 3: 5})
    imgs = lg.randn(opt['batch_size'], opt['input_encoding_size'])
    params, grad_params = lm.getParameters()
    lstm_params = 4 * (opt['input_encoding_size'] + opt['rnn_size']) * opt['rnn_size'] + opt['rnn_size'] * 4 * 2
    output_params = opt['rnn_size'] * (opt['vocab_size'] + 1) + opt['vocab_size'] + 1
    table_params = (opt['vocab_size'] + 1) * opt['input_encoding_size']
    assert params.nElement() == grad_params.nElement() == lstm_params + output_params + table_params

    def lossFun():
        grad_params.zero()
        output = lm.forward([imgs, seq])
        loss = crit.forward(output, seq)
        lm.backward([imgs, seq], crit.backward(output, seq))
        return loss

    grad_cache = grad_params.clone().fill(1e-8)
    for t in range(1, 31):
        loss = lossFun()
        if t == 1:
            assert abs(np.log(opt['vocab_size'] + 1) - loss) < 0.1   # test that initial loss makes sense
        grad_cache.addcmul(1, grad_params, grad_params)
        params.addcdiv(-1e-1, grad_params, lg.sqrt(grad_cache))   # adagrad update
    assert loss < 0.2


def test_lua_sample_and_sample_beam(double_default):
    """sample: a (seq_length, batch) LongTensor of tokens 0 .. V (the Lua's 1 .. V+1); sample_beam: beam size 1
    is greedy sampling, exactly, and beam size 8 finds more likely captions (here by far: its beams end early)."""
    lg.manualSeed(1)
    opt = lm_opt(vocab_size=10, num_layers=1)
    lm = nt.LanguageModel(opt)
    imgs = lg.randn(opt['batch_size'], opt['input_encoding_size'])
    seq_vanilla, logprobs_vanilla = lm.sample(imgs)
    assert seq_vanilla.size() == (opt['seq_length'], opt['batch_size']) and seq_vanilla.type() == 'torch.LongTensor'
    assert lg.min(seq_vanilla) >= 0 and lg.max(seq_vanilla) <= opt['vocab_size']
    seq, logprobs = lm.sample(imgs, {'beam_size': 1})
    np.testing.assert_array_equal(seq.numpy(), seq_vanilla.numpy())
    np.testing.assert_allclose(logprobs.numpy(), logprobs_vanilla.numpy(), atol=1e-6)
    seq2, logprobs2 = lm.sample(imgs, {'beam_size': 8})
    logsum, logsum2 = lg.sum(logprobs, 0), lg.sum(logprobs2, 0)
    assert lg.all(lg.gt(logsum2, logsum))
