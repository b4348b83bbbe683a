"""jiasenlu/AdaptiveAttention's port (tests/porting/adaptive_attention.py, whose docstring lists the files and
the edits) run on small stand-ins: random image features for the graphs and the language model (7 x 7 = 49
regions, as attention.lua fixes), and for train.lua synthetic captions over a 6-word vocabulary in an h5/json
pair written as prepro_coco.py lays them out (0-based, -1 padding), 3 x 256 x 256 random images, and a
10-module stand-in for the ResNet .t7 (average pooling to 7 x 7, 1x1 convolutions, a batch normalisation):
no COCO and no pretrained CNN in CI."""
import json

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, hdf5, nn
from tests.porting import adaptive_attention as aa

V, E, R, FC, CONV = 6, 5, 4, 3, 4   # vocabulary, input encoding, rnn, fc and conv feature sizes


def model(seq_length=4, num_layers=1, dropout=0):
    return aa.LanguageModel({'vocab_size': V, 'input_encoding_size': E, 'rnn_size': R, 'num_layers': num_layers,
                             'dropout': dropout, 'fc_size': FC, 'conv_size': CONV, 'seq_length': seq_length})


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def linear(m, x):
    return x @ m.weight.numpy().T + m.bias.numpy()


def test_sentinel_lstm_gate_and_jacobian(double_default):
    """LSTM.lua with one layer: next_c, next_h as an LSTM's, and the sentinel s_t = sigmoid(W_x x + W_v v +
    W_h h_{t-1}) * tanh(next_c) (the paper's g_t: lines 59-71), read from its own Linears; with two layers the
    sentinel's gate reads the first layer's h (lines 64-65); Jacobians by finite differences."""
    lg.manualSeed(1)
    core = aa.LSTM.lstm(E, R, 1, 0)
    x, v, c, h = lg.randn(2, E), lg.randn(2, E), lg.randn(2, R), lg.randn(2, R)
    next_c, next_h, top_h, fake = [o.numpy() for o in core.forward([x, v, c, h])]
    lin = {m: m for m in core.findModules('nn.Linear')[0]}
    gates = [m for m in lin if m.weight.size(0) == 4 * R]
    sent = [m for m in lin if m.weight.size(0) == R]
    assert len(gates) == 3 and len(sent) == 3
    # the two input Linears of each group take E columns, the recurrent one R (E != R tells them apart)
    sums = sum(linear(m, x.numpy() if m is gates[0] else v.numpy()) for m in gates[:2]) + linear(gates[2], h.numpy())
    i, f, o, g = np.split(sums, 4, axis=1)
    want_c = sigmoid(f) * c.numpy() + sigmoid(i) * np.tanh(g)
    np.testing.assert_allclose(next_c, want_c, rtol=1e-10)
    np.testing.assert_allclose(next_h, sigmoid(o) * np.tanh(want_c), rtol=1e-10)
    np.testing.assert_array_equal(top_h, next_h)
    gate = sigmoid(linear(sent[0], x.numpy()) + linear(sent[1], v.numpy()) + linear(sent[2], h.numpy()))
    np.testing.assert_allclose(fake, gate * np.tanh(want_c), rtol=1e-10)
    assert nn.Jacobian.testJacobian(core, [x, v, c, h]) < 1e-6
    two = aa.LSTM.lstm(E, R, 2, 0)
    assert len(two.forward([x, v, c, h, c, h])) == 6
    assert nn.Jacobian.testJacobian(two, [x, v, c, h, c.clone(), h.clone()]) < 1e-6


def test_attention_weights_sum_to_one_over_sentinel_and_regions(double_default):
    """attention.lua: its SoftMax gives 50 weights per sample (the sentinel first, then the 49 regions) that
    sum to one; the output is log_softmax(W_p tanh(W (sum_i a_i [s; V]_i + tanh(W_h h)))), recomputed in NumPy
    from the graph's own Linears; a sentinel weight near one leaves the image regions out of the context."""
    lg.manualSeed(2)
    att = aa.attention.attention(E, R, V + 1, 0)
    h, s = lg.randn(3, R), lg.randn(3, R)
    conv, conv_embed = lg.randn(3, 49, E), lg.randn(3, 49, E)
    out = att.forward([h, s, conv, conv_embed]).numpy()
    pi = att.findModules('nn.SoftMax')[0][0].output.numpy()
    assert pi.shape == (3, 50) and (pi > 0).all()
    np.testing.assert_allclose(pi.sum(1), 1, rtol=1e-12)
    lins = att.findModules('nn.Linear')[0]
    by_shape = {}
    for m in lins:
        by_shape.setdefault(tuple(m.weight.size()), []).append(m)
    s_lin, h_lin = by_shape[(E, R)]   # created in this order: fake_region's, then h_out's
    s_embed, h_embed, out_lin = by_shape[(E, E)]
    score, proj = by_shape[(1, E)][0], by_shape[(V + 1, E)][0]
    s_feat = np.maximum(linear(s_lin, s.numpy()), 0)
    h_lin_out = np.tanh(linear(h_lin, h.numpy()))
    img_all = np.concatenate([s_feat[:, None], conv.numpy()], 1)
    img_embed = np.concatenate([linear(s_embed, s_feat)[:, None], conv_embed.numpy()], 1)
    logits = linear(score, np.tanh(img_embed + linear(h_embed, h_lin_out)[:, None]))[..., 0]
    want_pi = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(pi, want_pi, rtol=1e-10)
    context = np.einsum('bk,bke->be', want_pi, img_all)
    z = linear(proj, np.tanh(linear(out_lin, context + h_lin_out)))
    np.testing.assert_allclose(out, z - np.log(np.exp(z).sum(1, keepdims=True)), rtol=1e-10)
    # the sentinel's role: scores that favour it (its embedding along the score's weight, the regions'
    # against it) put beta = pi[:, 0] near one, and the output no longer depends on the image regions
    w = lg.sign(score.weight[0])
    score.weight[0].copy(lg.mul(w, 10.0))
    s_embed.bias.add(lg.mul(w, 50.0))
    away = lg.mul(w.view(1, 1, E).expand(3, 49, E), -50.0).contiguous()
    out = att.forward([h, s, conv, away]).clone()
    pi = att.findModules('nn.SoftMax')[0][0].output.numpy()
    assert (pi[:, 0] > 1 - 1e-6).all()
    np.testing.assert_allclose(att.forward([h, s, lg.randn(3, 49, E), away]).numpy(), out.numpy(), atol=1e-6)
    assert nn.Jacobian.testJacobian(att, [h, s, conv, conv_embed]) < 1e-6


def test_img_embedding_shapes_and_jacobian(double_default):
    lg.manualSeed(3)
    emb = aa.img_embedding.img_embedding(E, FC, CONV, 49, 0)
    conv, fc = lg.randn(2, 49, CONV), lg.randn(2, FC)
    conv_back, embed, fc_out = emb.forward([conv, fc])
    assert conv_back.size() == (2, 49, E) and embed.size() == (2, 49, E) and fc_out.size() == (2, E)
    assert (conv_back.numpy() >= 0).all() and (fc_out.numpy() >= 0).all()
    assert nn.Jacobian.testJacobian(emb, [conv, fc]) < 1e-6


def lm_loss_and_grads(lm, crit, conv, fc, seq):
    out = lm.forward([conv, fc, seq])
    loss = crit.forward([out, seq])
    _, grads = lm.parameters()
    for g in grads:
        g.zero()
    dconv, dfc = lm.backward([], crit.backward([]))
    return loss, dconv.clone(), dfc.clone()


def test_language_model_gradients_over_time_by_finite_differences(double_default):
    """LanguageModel.lua's updateOutput/updateGradInput through its clones (shared weights, lines 70-81) and
    LanguageModelCriterion: the loss's gradients in the image features and in parameters of the core, the
    lookup table, img_embedding and attention agree with central differences; padded steps after every
    sequence ended are skipped (tmax)."""
    from tests.checks import central_difference
    lg.manualSeed(4)
    lm, crit = model(seq_length=4), aa.LanguageModelCriterion()
    lm.createClones()
    conv, fc = lg.randn(3, 49, CONV), lg.randn(3, FC)
    seq = lg.LongTensor([[0, 1, 2], [3, -1, 4], [-1, -1, 5], [-1, -1, -1]])
    loss, dconv, dfc = lm_loss_and_grads(lm, crit, conv, fc, seq)
    assert lm.tmax == 4   # the fifth step (every sequence padded) is skipped
    np.testing.assert_array_equal(lm.output[4].numpy(), 0)

    def f():
        return crit.forward([lm.forward([conv, fc, seq]), seq])

    rng = np.random.RandomState(0)
    for tensor, grad in [(conv, dconv), (fc, dfc)]:
        arr = tensor.numpy()
        for index in [tuple(rng.randint(0, n) for n in arr.shape) for _ in range(4)]:
            assert abs(central_difference(f, arr, index) - grad.numpy()[index]) < 1e-7
    params, grads = lm.parameters()
    lm_loss_and_grads(lm, crit, conv, fc, seq)
    grads = [g.clone() for g in grads]
    assert len(params) == 12 + 1 + 6 + 14   # core, lookup table, img_embedding, attention (weights, biases)
    for p, g in zip(params, grads):
        arr = p.numpy()
        index = tuple(rng.randint(0, n) for n in arr.shape)
        if p.size(0) == V + 2 and p.dim() == 2 and index[0] == 0:
            index = (1,) + index[1:]   # the padding row, zeroed at every forward
        assert abs(central_difference(f, arr, index) - g.numpy()[index]) < 1e-7, p.size()


def test_clones_made_after_get_parameters_write_the_flat_gradient(double_default):
    """train.lua flattens the language model (line 152) and only then makes the clones over time (line 165,
    LanguageModel.lua lines 76-80: clone('weight', 'bias', 'gradWeight', 'gradBias')): every clone's
    gradients must land in the flat grad_params adam steps, as a model never flattened computes them, and an
    update of the flat params must reach every clone."""
    lg.manualSeed(14)
    flat_lm = model(seq_length=3)
    plain_lm = flat_lm.clone()
    params, grad_params = flat_lm.getParameters()
    flat_lm.createClones()
    plain_lm.createClones()
    conv, fc = lg.randn(2, 49, CONV), lg.randn(2, FC)
    seq = lg.LongTensor([[0, 4], [2, 3], [-1, 1]])
    crit = aa.LanguageModelCriterion()
    grad_params.zero()
    lm_loss_and_grads(flat_lm, crit, conv, fc, seq)
    lm_loss_and_grads(plain_lm, crit, conv, fc, seq)
    expect = np.concatenate([g.numpy().ravel() for g in plain_lm.parameters()[1]])
    np.testing.assert_allclose(grad_params.numpy(), expect, rtol=1e-10, atol=1e-14)
    assert np.abs(expect).sum() > 0
    params.add(-0.1, grad_params)
    for clone in flat_lm.clones[1:]:
        for p, q in zip(clone.parameters()[0], flat_lm.core.parameters()[0]):
            np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert not np.array_equal(flat_lm.clones[2].parameters()[0][0].numpy(), plain_lm.core.parameters()[0][0].numpy())


def test_all_padding_test_of_a_step_counts_words_not_their_sum():
    """LanguageModel.lua line 368 skips a step where ``torch.sum(it) == 0``: with 1-based words and 0 padding
    only an all-padding step sums to 0. With legonn's -1 padding a step holding -1 and word 1 sums to 0 too,
    so the literal test would skip a step that has a word: the port counts the non-padding entries."""
    lg.manualSeed(5)
    lm, crit = model(seq_length=3), aa.LanguageModelCriterion()
    lm.createClones()
    seq = lg.LongTensor([[0, 2], [-1, 1], [-1, -1]])
    assert lg.sum(seq[1]) == 0   # what the Lua's test would read as "every sequence has ended"
    out = lm.forward([lg.randn(2, 49, CONV), lg.randn(2, FC), seq])
    assert lm.tmax == 3
    assert out[2].abs().sum() > 0   # the step after word 1 was computed: its END is predicted there
    assert crit.forward([out, seq]) > 0 and crit.gradInput[2, 1, V] != 0


def test_criterion_targets_words_then_end_once():
    """LanguageModelCriterion (LanguageModel.lua lines 448-489): each word is the target of the step before it
    and END (the Lua's Mp1, here index V) the target at the first padding, then nothing."""
    lg.manualSeed(12)
    logp = lg.Tensor(4, 2, V + 1).uniform(-3, -1)
    seq = lg.LongTensor([[2, 0], [-1, 5], [-1, 1]])
    crit = aa.LanguageModelCriterion()
    loss = crit.forward([logp, seq])
    picks = [(0, 0, 2), (1, 0, V), (0, 1, 0), (1, 1, 5), (2, 1, 1), (3, 1, V)]
    assert loss == pytest.approx(-sum(float(logp[p]) for p in picks) / 6, rel=1e-6)
    assert (crit.backward([]).numpy() != 0).sum() == 6


def teacher_forced(lm, conv, fc, seq):
    return lm.forward([conv, fc, seq]).numpy()


def test_sampling_and_beam_search_shapes_and_scores(double_default):
    """sample (argmax, and multinomial with a temperature) and sample_beam: (seq_length, batch) words in
    0 .. V; the argmax log-probabilities are the model's own on that sequence fed back (teacher forcing); the
    best beam's summed log-probability is the model's on its words up to END."""
    lg.manualSeed(6)
    lm = model(seq_length=5)
    lm.createClones()
    lm.evaluate()
    conv, fc = lg.randn(2, 49, CONV), lg.randn(2, FC)
    seq, logps = lm.sample([conv, fc, None])
    assert seq.size() == (5, 2) and logps.size() == (5, 2)
    assert seq.min() >= 0 and seq.max() <= V
    out = teacher_forced(lm, conv, fc, seq)
    for t in range(5):
        for b in range(2):
            assert logps[t, b] == pytest.approx(out[t, b, seq[t, b]], abs=1e-5)
    drawn, drawn_logps = lm.sample([conv, fc, None], {'sample_max': 0, 'temperature': 0.7})
    assert drawn.size() == (5, 2) and (drawn_logps.numpy() <= 0).all()

    def score_to_end(words, b):
        fed = words.clone()
        total, ended = 0.0, False
        for t in range(words.size(0)):
            if ended:
                fed[t] = -1
            elif words[t] == V:
                ended = True
                fed[t] = -1
        # a pair of copies: a batch of one fails in attention.lua, in Torch7 too (the next test)
        pair = lg.LongTensor([b, b])
        out = teacher_forced(lm, conv.index(0, pair), fc.index(0, pair), fed.view(-1, 1).expand(fed.size(0), 2))
        for t in range(words.size(0)):
            total += out[t, 0, words[t]]
            if words[t] == V:
                break
        return total

    beams, beam_sums = lm.sample([conv, fc, None], {'beam_size': 3})
    assert beams.size() == (5, 2) and beam_sums.size() == (2,)
    for b in range(2):
        assert beam_sums[b] == pytest.approx(score_to_end(beams[:, b], b), abs=1e-5)


def test_a_batch_of_one_fails_in_attention_as_in_torch7():
    """attention.lua's ``nn.View(50):setNumInputDims(2)`` on the (50, 1) scores of one sample gives a 50-vector
    (nn's View.lua line 70 drops a batch of 1 when the input has no more dimensions than numInputDims), so
    ``probs3dim`` is 1 x 50 against the 1 x 50 x E regions, which MM.lua refuses (line 25: 'second input tensor
    must be 2D'): the Lua cannot caption one image alone (train.lua's batches hold several), nor legonn."""
    lg.manualSeed(10)
    att = aa.attention.attention(E, R, V + 1, 0)
    with pytest.raises(ValueError, match='MM: expected two 2-D matrices or two 3-D batches, got 2-D and 3-D'):
        att.forward([lg.randn(1, R), lg.randn(1, R), lg.randn(1, 49, E), lg.randn(1, 49, E)])
    assert att.forward([lg.randn(2, R), lg.randn(2, R), lg.randn(2, 49, E), lg.randn(2, 49, E)]).size() == (2, V + 1)


def test_feature_expanders_copy_and_sum_back():
    """net_utils.lua's FeatExpander and FeatExpanderConv: n copies of each row in order, gradients summed."""
    lg.manualSeed(13)
    x = lg.randn(2, 3)
    e = aa.FeatExpander(3)
    y = e.forward(x)
    np.testing.assert_array_equal(y.numpy(), np.repeat(x.numpy(), 3, 0))
    go = lg.randn(6, 3)
    np.testing.assert_allclose(e.backward(x, go).numpy(), go.numpy().reshape(2, 3, 3).sum(1), rtol=1e-6)
    xc = lg.randn(2, 4, 3)
    ec = aa.FeatExpanderConv(2)
    np.testing.assert_array_equal(ec.forward(xc).numpy(), np.repeat(xc.numpy(), 2, 0))
    goc = lg.randn(4, 4, 3)
    np.testing.assert_allclose(ec.backward(xc, goc).numpy(), goc.numpy().reshape(2, 2, 4, 3).sum(1), rtol=1e-6)


def test_decode_sequence_stops_at_end_or_padding():
    vocab = {str(i): w for i, w in enumerate(['a', 'man', 'riding', 'horse', 'on', 'beach'])}
    seq = lg.LongTensor([[0, 1], [1, V], [3, 2], [-1, 2]])
    sents, counts = aa.net_utils.decode_sequence(vocab, seq)
    assert sents == ['a man horse', 'man'] and counts == [3, 1]


def write_standin_data(tmp_path, n_images=5, seq_length=4, captions=(2, 1, 3, 2, 1)):
    rng = np.random.RandomState(0)
    ix_to_word = {str(i): w for i, w in enumerate(['a', 'dog', 'cat', 'on', 'grass', 'sofa'])}
    labels, start, end = [], [], []
    for i, k in enumerate(captions):
        start.append(len(labels))
        for _ in range(k):
            n = rng.randint(1, seq_length + 1)
            row = np.full(seq_length, -1)
            row[:n] = rng.randint(0, V, n)
            labels.append(row)
        end.append(len(labels) - 1)
    f = hdf5.open(str(tmp_path / 'data.h5'), 'w')
    f.write('/images', lg.from_numpy(rng.randint(0, 256, (n_images, 3, 256, 256)).astype(np.uint8)))
    f.write('/labels', lg.from_numpy(np.array(labels, dtype=np.int64)))
    f.write('/label_start_ix', lg.from_numpy(np.array(start, dtype=np.int64)))
    f.write('/label_end_ix', lg.from_numpy(np.array(end, dtype=np.int64)))
    f.write('/label_length', lg.from_numpy((np.array(labels) >= 0).sum(1).astype(np.int64)))
    f.close()
    images = [{'id': 100 + i, 'split': 'train' if i < 3 else 'val'} for i in range(n_images)]
    with open(tmp_path / 'data.json', 'w') as file:
        json.dump({'ix_to_word': ix_to_word, 'images': images}, file)
    return labels, start, end


def test_data_loader_batches(tmp_path):
    """DataLoaderResNet.lua: a batch of images cropped to 224 and colour-normalised, seq_per_img captions per
    image drawn from that image's own (0-based, inclusive) label range, transposed to (seq_length, batch);
    the last, short batch keeps -1 rows (the Lua's zero rows); val's torch.range perm gives floats, which the
    Lua indexes a table with and Python's list refuses."""
    labels, start, end = write_standin_data(tmp_path)
    lg.manualSeed(7)
    loader = aa.DataLoader({'h5_file': str(tmp_path / 'data.h5'), 'json_file': str(tmp_path / 'data.json'),
                            'batch_size': 2, 'seq_per_img': 3})
    assert loader.getVocabSize() == V and loader.getSeqLength() == 4 and loader.getnBatch('train') == 2
    loader.init_rand('train')
    batch = loader.run({'split': 'train'})
    assert batch['images'].size() == (2, 3, 224, 224) and batch['labels'].size() == (4, 6)
    order = [int(i) for i in loader.perm.narrow(0, 0, 2)]
    for i, ix in enumerate(order):
        assert int(batch['img_id'][i]) == 100 + ix
        ours = {tuple(labels[r]) for r in range(start[ix], end[ix] + 1)}
        for q in range(3):
            assert tuple(batch['labels'][:, i * 3 + q].tolist()) in ours
    last = loader.run({'split': 'train'})
    np.testing.assert_array_equal(last['labels'][:, 3:].numpy(), -1)
    assert loader.run({'split': 'train'}) is None
    loader.init_rand('val')
    assert loader.perm.type() == 'torch.FloatTensor'
    with pytest.raises(TypeError):
        loader.split_ix['val'][loader.perm.totable()[0]]
    val = loader.run({'split': 'val'})
    raw = loader.imgs[3][:, 15:239, 15:239].float().div(255).numpy()   # the centre crop, 0-based
    want = (raw[0] - 0.485) / 0.229
    np.testing.assert_allclose(val['images'][0, 0].numpy(), want, rtol=1e-5, atol=1e-6)


def standin_resnet():
    """The ResNet .t7's top level as train.lua's surgery reads it: modules 1-5 fixed, 6-8 finetuned (a
    batch normalisation among them, for setBNGradient0), 9-10 the average pooling and View to the fc feature."""
    net = nn.Sequential()
    net.add(nn.SpatialAveragePooling(8, 8, 8, 8))            # 224 -> 28
    net.add(nn.SpatialConvolution(3, 4, 1, 1))
    net.add(nn.ReLU())
    net.add(nn.SpatialAveragePooling(4, 4, 4, 4))            # 28 -> 7
    net.add(nn.Identity())
    net.add(nn.SpatialConvolution(4, CONV, 1, 1))            # finetune_start_layer 6
    net.add(nn.SpatialBatchNormalization(CONV))
    net.add(nn.ReLU())
    net.add(nn.SpatialAveragePooling(7, 7, 1, 1))
    net.add(nn.View(CONV))
    return net


def run_train(tmp_path, gpuid):
    """train.lua's loop: two epochs on the stand-in data with the CNN finetuned from the start, a validation
    pass with greedy captions and the checkpoint at epoch 2 (finetune_cnn_after 0: the CNN's backward and its
    adam steps run). Its JSON's loss_history is an object keyed "2"
    (lua-cjson would write the sparse array [null,2.3]: porting.md's cjson row), and the .t7 holds the CNN
    parts and the language model's flat parameters, which training changed and -start_from loads back."""
    write_standin_data(tmp_path)
    lg.manualSeed(8)
    lg.save(str(tmp_path / 'resnet.t7'), standin_resnet())
    args = ['-input_h5', str(tmp_path / 'data.h5'), '-input_json', str(tmp_path / 'data.json'),
            '-cnn_model', str(tmp_path / 'resnet.t7'), '-checkpoint_path', str(tmp_path / 'save'),
            '-rnn_size', str(R), '-input_encoding_size', str(E), '-batch_size', '2', '-seq_per_img', '2',
            '-nEpochs', '2', '-finetune_cnn_after', '0', '-fc_size', str(CONV), '-conv_size', str(CONV),
            '-drop_prob_lm', '0.2', '-save_checkpoint_every', '2', '-language_eval', '0', '-gpuid', str(gpuid)]
    lg.manualSeed(9)
    before = lg.load(str(tmp_path / 'resnet.t7')).get(5).weight.clone()
    result = aa.main(args)
    assert cjson._settings['sparse'] == (True, 2, 10)
    assert sorted(result['loss_history']) == [2] and np.isfinite(result['loss_history'][2])
    saved = json.loads((tmp_path / 'save' / 'model_id1.json').read_text())
    assert list(saved['loss_history']) == ['2'] and len(saved['val_predictions']) == 2
    assert {p['image_id'] for p in saved['val_predictions']} == {103, 104}
    ckpt = lg.load(str(tmp_path / 'save' / 'model_id1_2.t7'))
    assert ckpt['lmparam'].nElement() == result['params'].nElement()
    np.testing.assert_array_equal(ckpt['lmparam'].numpy(), result['params'].float().numpy())
    assert ckpt['protos']['cnn_conv'].get(0).weight.size() == (CONV, 4, 1, 1)
    # train.lua calls setBNGradient0 (line 303) before cnn_conv's backward (line 310), which then fills the
    # batch normalisation's gradients again: its weights are finetuned too, in the Lua as here
    bn = ckpt['protos']['cnn_conv'].get(1)
    assert bn.gradWeight.abs().sum() > 0 and not np.array_equal(bn.weight.numpy(), np.ones(CONV))
    assert not np.array_equal(ckpt['protos']['cnn_conv'].get(0).weight.numpy(), before.numpy())
    # -start_from (lines 120-123, 130-133, 161-163): the checkpoint's CNN parts and flat LM parameters come back
    resumed = aa.main(args + ['-start_from', 'model_id1_2.t7', '-startEpoch', '3'])
    np.testing.assert_array_equal(resumed['params'].float().numpy(), ckpt['lmparam'].numpy())
    np.testing.assert_array_equal(resumed['protos']['cnn_conv'].get(0).weight.float().numpy(),
                                  ckpt['protos']['cnn_conv'].get(0).weight.numpy())


def test_train_lua_loop_with_a_standin_cnn(tmp_path, monkeypatch):
    monkeypatch.setitem(cjson._settings, 'sparse', cjson._settings['sparse'])   # write_json sets it
    run_train(tmp_path, -1)


@pytest.mark.gpu
def test_language_model_on_cuda_matches_the_cpu():
    """LanguageModel:cuda() as train.lua makes it (line 128, then getParameters and createClones): the loss and
    the flat gradient of a forward/backward on CUDA tensors match the CPU model's, and greedy sampling and beam
    search (which goes to the CPU for its sort, LanguageModel.lua line 254) give the CPU's words; multinomial
    sampling (torch.multinomial, then gather with its indices) runs on CUDA."""
    lg.manualSeed(11)
    cpu = model(seq_length=4)
    gpu = cpu.clone().cuda()
    conv, fc = lg.randn(3, 49, CONV), lg.randn(3, FC)
    seq = lg.LongTensor([[0, 1, 2], [3, -1, 4], [-1, -1, 5], [-1, -1, -1]])
    results = []
    for lm, to in [(cpu, lambda x: x), (gpu, lambda x: x.cuda())]:
        crit = to(aa.LanguageModelCriterion())
        params, grads = lm.getParameters()
        lm.createClones()
        out = lm.forward([to(conv), to(fc), to(seq)])
        loss = crit.forward([out, to(seq)])
        grads.zero()
        dconv, dfc = lm.backward([], crit.backward([]))
        lm.evaluate()
        greedy = lm.sample([to(conv), to(fc), None])[0]
        beams = lm.sample([to(conv), to(fc), None], {'beam_size': 3})[0]
        drawn, drawn_logps = lm.sample([to(conv), to(fc), None], {'sample_max': 0, 'temperature': 0.5})
        assert drawn.size() == (4, 3) and drawn.min() >= 0 and drawn.max() <= V and drawn_logps.max() <= 0
        results.append((loss, grads.float().numpy(), dconv.float().numpy(), greedy.numpy(), beams.numpy()))
        assert out.type() == ('torch.CudaTensor' if lm is gpu else 'torch.FloatTensor')
    (l0, g0, d0, s0, b0), (l1, g1, d1, s1, b1) = results
    assert l1 == pytest.approx(l0, rel=1e-5)
    np.testing.assert_allclose(g1, g0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(d1, d0, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(s1, s0)
    np.testing.assert_array_equal(b1, b0)


@pytest.mark.gpu
def test_train_lua_loop_on_cuda(tmp_path, monkeypatch):
    """train.lua with -gpuid 0: the protos, images and labels on CUDA (labels:cuda() gives float labels, which
    the LookupTable and the criterion read as indices, as cutorch's)."""
    monkeypatch.setitem(cjson._settings, 'sparse', cjson._settings['sparse'])
    run_train(tmp_path, 0)
