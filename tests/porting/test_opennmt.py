"""OpenNMT/OpenNMT (Lua) ported: the modules, data, training step, optimiser and beam search of
tests/porting/onmt_port.py (which cites the Lua files and tag) on a tiny synthetic parallel corpus (reverse a
sentence of letters). Doubles throughout (``torch.setdefaulttensortype('torch.DoubleTensor')``)."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting import onmt_port as onmt
from tests.porting.onmt_port import Constants

WORDS = ['a', 'b', 'c', 'd', 'e', 'f']
# the corpus sorted by source length, as preprocess.lua leaves it for Dataset:setBatchSize
CORPUS = [('a b', 'b a'), ('c d', 'd c'), ('e f', 'f e'), ('a c e', 'e c a'), ('b d f', 'f d b'),
          ('f a b', 'b a f'), ('d e a c', 'c a e d'), ('b f c e', 'e c f b')]


@pytest.fixture(autouse=True)
def _double():
    before = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype(before)


def dicts():
    src = onmt.Dict([Constants.PAD_WORD, Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD])
    tgt = onmt.Dict([Constants.PAD_WORD, Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD])
    for s, t in CORPUS:
        for w in s.split():
            src.add(w)
        for w in t.split():
            tgt.add(w)
    return src, tgt


def dataset(maxBatchSize=3):
    src, tgt = dicts()
    srcData = {'words': [], 'features': []}
    tgtData = {'words': [], 'features': []}
    for s, t in CORPUS:
        srcData['words'].append(src.convertToIdx(s.split(), Constants.UNK_WORD).long())
        tgtData['words'].append(tgt.convertToIdx(t.split(), Constants.UNK_WORD, Constants.BOS_WORD,
                                                 Constants.EOS_WORD).long())
    data = onmt.Dataset(srcData, tgtData)
    data.setBatchSize(maxBatchSize)
    return data


def build(layers=2, rnn=6, wvec=5, inputFeed=True, attention='general', brnn=None, seed=1):
    """Factory.lua's buildWordEncoder / buildWordDecoder for a vocabulary of 10 words on each side."""
    lg.manualSeed(seed)
    vocab = 10
    if brnn is None:
        encoder = onmt.Encoder(onmt.WordEmbedding(vocab, wvec), onmt.LSTM(layers, wvec, rnn))
    else:   # Factory.buildEncoder: with concat the bidirectional rnn_size is halved
        size = rnn // 2 if brnn == 'concat' else rnn
        encoder = onmt.BiEncoder(onmt.WordEmbedding(vocab, wvec), onmt.LSTM(layers, wvec, size), brnn)
    inputSize = wvec + rnn if inputFeed else wvec
    decoder = onmt.Decoder(onmt.WordEmbedding(vocab, wvec), onmt.LSTM(layers, inputSize, rnn),
                           onmt.Generator(rnn, vocab), inputFeed, attention)
    models = {'encoder': encoder, 'decoder': decoder}
    params, gradParams = onmt.initParams(models, 0.1)
    for m in models.values():
        m.training()
    return models, params, gradParams, onmt.ParallelClassNLLCriterion([vocab])


def lstm_params(layers, inputSize, rnn):
    """LSTM.lua's _buildLayer: i2h and h2h, both with a bias, per layer; layers after the first read rnn."""
    first = inputSize * 4 * rnn + 4 * rnn + rnn * 4 * rnn + 4 * rnn
    other = rnn * 4 * rnn + 4 * rnn + rnn * 4 * rnn + 4 * rnn
    return first + (layers - 1) * other


def loss_of(models, criterion, batch):
    """Trainer.lua's eval (v0.5.0 lines 5-20) for one batch: the summed loss, in evaluation mode."""
    batch.totalSize = batch.size
    for m in models.values():
        m.evaluate()
    loss = onmt.forwardComputeLoss(models, criterion, batch)
    for m in models.values():
        m.training()
    return loss


# ---- data ----

def test_dict_keeps_the_special_tokens_first_and_maps_unknown_words():
    src, _ = dicts()
    assert [src.lookup(i) for i in range(4)] == ['<blank>', '<unk>', '<s>', '</s>']
    assert src.special == [Constants.PAD, Constants.UNK, Constants.BOS, Constants.EOS]
    assert src.size() == 4 + len(WORDS)
    ids = src.convertToIdx(['a', 'zz', 'b'], Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD)
    assert ids.tolist() == [Constants.BOS, src.lookup('a'), Constants.UNK, src.lookup('b'), Constants.EOS]
    assert src.convertToLabels([4, 5, Constants.EOS, 6], Constants.EOS) == ['a', 'b', '</s>']
    # prune keeps the specials and the most frequent words
    pruned = src.prune(2)
    assert pruned.size() >= 4 and [pruned.lookup(i) for i in range(4)] == ['<blank>', '<unk>', '<s>', '</s>']


def test_batch_left_pads_sources_and_right_pads_targets():
    src = [lg.LongTensor([4, 5]), lg.LongTensor([6, 7, 8])]
    tgt = [lg.LongTensor([2, 5, 4, 3]), lg.LongTensor([2, 8, 7, 6, 3])]
    batch = onmt.Batch(src, [], tgt, [])
    P = Constants.PAD
    assert (batch.size, batch.sourceLength, batch.targetLength) == (2, 3, 4)
    assert batch.sourceSize.tolist() == [2, 3] and batch.targetSize.tolist() == [3, 4]
    # timestep-major: column b is sentence b
    assert batch.sourceInput.t().tolist() == [[P, 4, 5], [6, 7, 8]]
    assert batch.sourceInputRev.t().tolist() == [[5, 4, P], [8, 7, 6]]
    assert batch.targetInput.t().tolist() == [[2, 5, 4, P], [2, 8, 7, 6]]
    assert batch.targetOutput.t().tolist() == [[5, 4, 3, P], [8, 7, 6, 3]]
    assert batch.getSourceInput(0).tolist() == [P, 6]
    assert batch.getTargetOutput(3)[0].tolist() == [P, 3]


def test_dataset_batches_sentences_of_one_source_length_up_to_the_batch_size():
    data = dataset(maxBatchSize=2)
    assert [(r['begin'], r['end']) for r in data.batchRange] == [(0, 1), (2, 2), (3, 4), (5, 5), (6, 7)]
    assert data.batchCount() == 5 and (data.maxSourceLength, data.maxTargetLength) == (4, 5)
    batch = data.getBatch(2)
    assert batch.size == 2 and batch.sourceLength == 3 and batch.targetLength == 4


# ---- modules ----

def test_lstm_has_the_parameters_and_shapes_the_lua_implies():
    lg.manualSeed(0)
    rnn = onmt.LSTM(2, 5, 6)
    assert rnn.numEffectiveLayers == 4
    assert rnn.getParameters()[0].nElement() == lstm_params(2, 5, 6) == 5 * 24 + 24 + 6 * 24 + 24 + 2 * (6 * 24 + 24)
    states = [lg.Tensor(3, 6).uniform(-1, 1) for _ in range(4)]
    out = rnn.forward(states + [lg.Tensor(3, 5).uniform(-1, 1)])
    assert [o.size() for o in out] == [(3, 6)] * 4
    # the first layer is a plain LSTM cell: c' = f*c + i*tanh(g), h' = o*tanh(c')
    x = lg.Tensor(3, 5).uniform(-1, 1)
    out = rnn.forward(states + [x])
    linears = rnn.findModules('nn.Linear')[0]
    i2h, h2h = linears[0], linears[1]
    z = x.numpy() @ i2h.weight.numpy().T + i2h.bias.numpy() + states[1].numpy() @ h2h.weight.numpy().T \
        + h2h.bias.numpy()
    z = z.reshape(3, 4, 6)
    sig = lambda v: 1 / (1 + np.exp(-v))
    c = sig(z[:, 1]) * states[0].numpy() + sig(z[:, 0]) * np.tanh(z[:, 3])
    np.testing.assert_allclose(out[0].numpy(), c, rtol=1e-12)
    np.testing.assert_allclose(out[1].numpy(), sig(z[:, 2]) * np.tanh(c), rtol=1e-12)


@pytest.mark.parametrize('kind, extra', [('dot', 0), ('general', 6 * 6), ('concat', 12 * 6 + 6 + 1)])
def test_global_attention_scores_against_numpy(kind, extra):
    lg.manualSeed(2)
    dim, batch, sourceL = 6, 2, 4
    attn = onmt.GlobalAttention({'global_attention': kind}, dim)
    # W_c of the output (2*dim -> dim, no bias) and the score's own parameters
    assert attn.getParameters()[0].nElement() == 2 * dim * dim + extra
    ht = lg.Tensor(batch, dim).uniform(-1, 1)
    context = lg.Tensor(batch, sourceL, dim).uniform(-1, 1)
    out = attn.forward([ht, context])
    h, H = ht.numpy(), context.numpy()
    lin = attn.findModules('nn.Linear')[0]
    if kind == 'dot':
        score = np.einsum('bsd,bd->bs', H, h)
    elif kind == 'general':
        score = np.einsum('bsd,bd->bs', H, h @ lin[0].weight.numpy().T)
    else:
        Wa, v = lin[0], lin[1]
        joined = np.concatenate([np.repeat(h[:, None], sourceL, 1), H], 2)
        score = (np.tanh(joined @ Wa.weight.numpy().T) @ v.weight.numpy().T + v.bias.numpy())[..., 0]
    a = np.exp(score - score.max(1, keepdims=True))
    a /= a.sum(1, keepdims=True)
    Wc = lin[len(lin) - 1].weight.numpy()
    expected = np.tanh(np.concatenate([np.einsum('bs,bsd->bd', a, H), h], 1) @ Wc.T)
    assert out.size() == (batch, dim)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    # the gModule's backward against finite differences of a fixed projection of the output
    w = np.random.RandomState(0).uniform(-1, 1, (batch, dim))
    gH = attn.backward([ht, context], lg.from_numpy(w.copy()))[1].numpy().copy()
    eps, flat = 1e-6, H.reshape(-1)
    for k in (0, 5, 17, flat.size - 1):
        keep = flat[k]
        flat[k] = keep + eps
        fp = (attn.forward([ht, lg.from_numpy(flat.reshape(H.shape).copy())]).numpy() * w).sum()
        flat[k] = keep - eps
        fm = (attn.forward([ht, lg.from_numpy(flat.reshape(H.shape).copy())]).numpy() * w).sum()
        flat[k] = keep
        assert gH.reshape(-1)[k] == pytest.approx((fp - fm) / (2 * eps), rel=1e-6, abs=1e-9)


def test_join_replicate_table_repeats_the_query_and_sums_its_gradient():
    lg.manualSeed(3)
    m = onmt.JoinReplicateTable(1, 2)
    q = lg.Tensor(2, 1, 3).uniform(-1, 1)
    H = lg.Tensor(2, 4, 5).uniform(-1, 1)
    out = m.forward([q, H])
    assert out.size() == (2, 4, 8)
    np.testing.assert_array_equal(out.numpy()[:, :, :3], np.repeat(q.numpy(), 4, 1))
    np.testing.assert_array_equal(out.numpy()[:, :, 3:], H.numpy())
    # the zero stride set on the input is undone after the join
    assert q.size() == (2, 1, 3) and q.stride() == (3, 3, 1)
    g = lg.Tensor(2, 4, 8).uniform(-1, 1)
    gq, gH = m.backward([q, H], g)
    assert gq.size() == (2, 1, 3)
    np.testing.assert_allclose(gq.numpy(), g.numpy()[:, :, :3].sum(1, keepdims=True), rtol=1e-14)
    np.testing.assert_array_equal(gH.numpy(), g.numpy()[:, :, 3:])


def test_masked_softmax_gives_the_left_padding_no_weight():
    sizes = lg.IntTensor([4, 2, 6])
    m = onmt.MaskedSoftmax(sizes, 6)
    x = lg.Tensor(3, 6).uniform(-2, 2)
    out = m.forward(x).numpy()
    for b, n in enumerate([4, 2, 6]):
        assert (out[b, :6 - n] == 0).all()
        soft = np.exp(x.numpy()[b]) / np.exp(x.numpy()[b]).sum()
        tail = soft[6 - n:]
        # nn.Normalize(1) divides by the 1-norm plus its eps, 1e-10 (Normalize.lua)
        np.testing.assert_allclose(out[b, 6 - n:], tail / (tail.sum() + 1e-10), rtol=1e-13)
    grad = m.backward(x, lg.Tensor(3, 6).uniform(-1, 1)).numpy()
    # the padded inputs reach the output only through Normalize's eps: d out_i / d x_j = -s_i s_j eps / (S+eps)^2
    assert np.abs(grad[1, :4]).max() < 1e-9 and np.abs(grad[1, 4:]).max() > 1e-3


def test_sequencer_clones_share_the_parameters_of_the_step_network():
    models, params, gradParams, criterion = build()
    data = dataset()
    batch = data.getBatch(2)
    loss_of(models, criterion, batch)
    onmt.trainNetwork(models, criterion, batch)
    enc = models['encoder']
    assert len(enc.networkClones) == 4   # one per source timestep
    w0 = enc.networkClones[0].findModules('nn.Linear')[0][0].weight
    w3 = enc.networkClones[3].findModules('nn.Linear')[0][0].weight
    assert w0.storage() is w3.storage() is enc.network.findModules('nn.Linear')[0][0].weight.storage()
    # the flat vector from initParams is the clones' storage: zeroing it zeroes them
    params[1].zero()   # initParams sorts the keys: decoder, encoder
    assert w3.abs().sum() == 0
    enc.evaluate()
    assert enc.net(2) is enc.networkClones[0]


def test_model_parameter_count_by_hand():
    models, params, _, _ = build(layers=2, rnn=6, wvec=5, inputFeed=True)
    emb = 10 * 5
    enc = emb + lstm_params(2, 5, 6)
    attention = 6 * 6 + 12 * 6   # general: W_a, then W_c
    dec = emb + lstm_params(2, 5 + 6, 6) + attention + (6 * 10 + 10)
    # initParams orders the keys: decoder first
    assert [p.nElement() for p in params] == [dec, enc]
    # -fix_word_vecs_enc: WordEmbedding's parameters() returns nil, so initParams leaves the vectors out
    models['encoder'] = onmt.Encoder(onmt.WordEmbedding(10, 5, None, True), onmt.LSTM(2, 5, 6))
    assert models['encoder'].getParameters()[0].nElement() == enc - emb
    models, params, _, _ = build(layers=1, rnn=6, wvec=5, inputFeed=False, brnn='concat')
    # two encoders of rnn_size 3 (the backward one's embedding shares the forward one's: counted once)
    assert params[1].nElement() == emb + 2 * lstm_params(1, 5, 3)


# ---- padding ----

def repad(batch, value):
    """The batch with every padding position of the source and target holding ``value``."""
    for t in (batch.sourceInput, batch.sourceInputRev, batch.targetInput, batch.targetOutput):
        t.maskedFill(t.eq(Constants.PAD), value)
    return batch


@pytest.mark.parametrize('brnn', [None, 'sum'])
def test_padding_tokens_change_nothing_once_masked(brnn):
    models, _, _, criterion = build(brnn=brnn)
    data = dataset(maxBatchSize=8)
    models['encoder'].maskPadding()
    batch = data.getBatch(None)   # all eight sentences, sources of lengths 2 to 4
    models['decoder'].maskPadding(batch.sourceSize, batch.sourceLength)
    ref = loss_of(models, criterion, batch)
    # the padded target outputs weigh 0 in the criterion; the padded inputs come after each sentence's end
    other = repad(data.getBatch(None), Constants.UNK)
    other.targetOutput.copy(batch.targetOutput)   # the criterion must still see PAD to skip those
    assert loss_of(models, criterion, other) == ref
    # the loss counts only the real target words: their number is the denominator of the perplexity
    assert batch.targetOutput.ne(Constants.PAD).sum() == sum(len(t.split()) + 1 for _, t in CORPUS)
    # without the encoder's mask the padded source steps move the states
    models2, _, _, _ = build(brnn=brnn)
    models2['decoder'].maskPadding(batch.sourceSize, batch.sourceLength)
    plain = loss_of(models2, criterion, data.getBatch(None))
    assert loss_of(models2, criterion, repad(data.getBatch(None), Constants.UNK)) != plain


def test_criterion_ignores_padding_and_sums():
    crit = onmt.ParallelClassNLLCriterion([5])
    pred = [nn.LogSoftMax().forward(lg.Tensor(4, 5).uniform(-1, 1))]
    target = [lg.LongTensor([3, Constants.PAD, 1, 4])]
    loss = crit.forward(pred, target)
    p = pred[0].numpy()
    assert loss == pytest.approx(-(p[0, 3] + p[2, 1] + p[3, 4]), rel=1e-14)
    g = crit.backward(pred, target)[0].numpy()
    assert (g[1] == 0).all() and g[0, 3] == -1


# ---- gradients ----

@pytest.mark.parametrize('brnn', [None, 'concat'])
def test_seq2seq_gradients_against_finite_differences(brnn):
    models, params, gradParams, criterion = build(layers=2, rnn=4, wvec=3, brnn=brnn)
    params, gradParams = onmt.initParams(models, 0.5)   # -param_init 0.5: gradients well above rounding
    models['encoder'].maskPadding()
    batch = dataset().getBatch(2)   # two sentences of three words
    batch.totalSize = batch.size
    for g in gradParams:
        g.zero()
    onmt.trainNetwork(models, criterion, batch)
    rng = np.random.RandomState(5)
    eps = 1e-5
    for p, g in zip(params, gradParams):
        analytic = g.clone()
        # coordinates the loss depends on (the embedding rows of absent words have none), drawn at random
        live = np.flatnonzero(np.abs(analytic.numpy()) > 1e-4)
        assert len(live) > 0.3 * p.nElement()
        for k in rng.choice(live, 12, replace=False):
            keep = float(p[int(k)])
            p[int(k)] = keep + eps
            fp = loss_of(models, criterion, batch)
            p[int(k)] = keep - eps
            fm = loss_of(models, criterion, batch)
            p[int(k)] = keep
            assert float(analytic[int(k)]) == pytest.approx((fp - fm) / (2 * eps) / batch.totalSize,
                                                            rel=1e-5, abs=1e-10)
    # the padding row of the target embedding never moves
    pad_row = models['decoder'].findModules('nn.LookupTable')[0][0].gradWeight[Constants.PAD]
    assert pad_row.abs().sum() == 0


# ---- training ----

def train(models, params, gradParams, criterion, optim, epochs):
    data = dataset()
    optim.setOptimStates(len(params))
    losses = []
    for _ in range(epochs):
        total, words = 0, 0
        for i in range(data.batchCount()):
            batch = data.getBatch(i)
            batch.totalSize = batch.size
            optim.zeroGrad(gradParams)
            total += onmt.trainNetwork(models, criterion, batch)
            words += int(batch.targetOutput.ne(Constants.PAD).sum())
            optim.prepareGrad(gradParams)
            optim.updateParams(params, gradParams)
        losses.append(total / words)
    return losses


@pytest.mark.parametrize('args, epochs, ratio', [({'optim': 'sgd', 'learning_rate': 1}, 10, 0.92),
                                                  ({'optim': 'adam', 'learning_rate': 0.1}, 12, 0.5)])
def test_the_loss_falls_on_the_toy_corpus(args, epochs, ratio):
    models, params, gradParams, criterion = build(layers=1, rnn=16, wvec=8)
    losses = train(models, params, gradParams, criterion, onmt.Optim(args), epochs)   # 3 updates an epoch
    assert losses[0] == pytest.approx(math.log(10), rel=0.06)   # near uniform over 10 words at init
    assert losses[-1] < ratio * losses[0]


def test_prepare_grad_clips_the_global_norm_then_steps():
    optim = onmt.Optim({'optim': 'sgd', 'learning_rate': 0.5, 'max_grad_norm': 2})
    grads = [lg.Tensor([3.0, 0.0]), lg.Tensor([0.0, 4.0, 0.0])]   # norm 5
    optim.prepareGrad(grads)
    assert grads[0].tolist() == pytest.approx([-0.5 * 3 * 2 / 5, 0]) and grads[1].tolist()[1] == pytest.approx(-0.8)
    small = [lg.Tensor([0.3, 0.4])]
    optim.prepareGrad(small)
    assert small[0].tolist() == pytest.approx([-0.15, -0.2])   # under the norm: unscaled
    adam = onmt.Optim({'optim': 'adam', 'learning_rate': 0.1, 'max_grad_norm': 100})
    adam.setOptimStates(1)
    g = [lg.Tensor([2.0, -0.5])]
    adam.prepareGrad(g)
    # the first Adam step is -lr * sign(g) up to eps
    assert g[0].tolist() == pytest.approx([-0.1, 0.1], rel=1e-6)


def test_learning_rate_decays_after_start_decay_at_or_a_worse_perplexity():
    optim = onmt.Optim({'optim': 'sgd', 'learning_rate': 1, 'learning_rate_decay': 0.5, 'start_decay_at': 3})
    optim.updateLearningRate(10, 1)
    optim.updateLearningRate(8, 2)
    assert optim.getLearningRate() == 1
    optim.updateLearningRate(7, 3)
    assert optim.getLearningRate() == 0.5
    optim.updateLearningRate(6, 4)   # once started, it decays every epoch
    assert optim.getLearningRate() == 0.25
    worse = onmt.Optim({'optim': 'sgd', 'learning_rate': 1, 'start_decay_at': 9})
    worse.updateLearningRate(5, 1)
    worse.updateLearningRate(6, 2)
    assert worse.getLearningRate() == 0.5


# ---- translation ----

@pytest.fixture(scope='module')
def trained():
    """The toy model trained with Adam for 36 updates (its loss per word falls from 2.3 to about 0.6)."""
    before = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    models, params, gradParams, criterion = build(layers=1, rnn=16, wvec=8)
    train(models, params, gradParams, criterion, onmt.Optim({'optim': 'adam', 'learning_rate': 0.1}), epochs=12)
    lg.setdefaulttensortype(before)
    return models


def greedy(models, batch, steps):
    """The decoder run step by step on its own argmax: the words and their summed log-probabilities."""
    models['encoder'].evaluate()
    models['decoder'].evaluate()
    states, context = models['encoder'].forward(batch)
    word, out, words, score = lg.IntTensor([Constants.BOS]), None, [], 0.0
    for _ in range(steps):
        out, states = models['decoder'].forwardOne(word, states, context, out)
        logp = models['decoder'].generator.forward(out)[0][0]
        best = int(logp.max(0)[1])
        words.append(best)
        score += float(logp[best])
        word = lg.IntTensor([best])
        if best == Constants.EOS:
            break
    return words, score


def one_sentence(text):
    src, _ = dicts()
    return onmt.Batch([src.convertToIdx(text.split(), Constants.UNK_WORD).long()])


def teacher_forced_score(models, batch, hyp):
    """Decoder:computeScore on the hypothesis as the gold target."""
    tgt = lg.LongTensor([Constants.BOS] + hyp)
    gold = onmt.Batch([batch.sourceInput[:, 0].clone()], [], [tgt], [])
    states, context = models['encoder'].forward(gold)
    return models['decoder'].computeScore(gold, states, context)[0]


def test_beam_of_one_is_the_greedy_decode(trained):
    models = trained
    for text in ('a c e', 'b f c e', 'd a'):
        batch = one_sentence(text)
        hyps, scores = onmt.translateBatch(models, batch, beam_size=1, max_sent_length=8)
        words, score = greedy(models, batch, steps=7)
        assert hyps[0][0] == words
        assert scores[0][0] == pytest.approx(score, rel=1e-6)   # the beam's scores are a FloatTensor


def test_beam_hypotheses_follow_their_back_pointers(trained):
    models = trained
    batch = one_sentence('b d f')
    hyps, scores = onmt.translateBatch(models, batch, beam_size=3, max_sent_length=8)
    assert scores[0] == sorted(scores[0], reverse=True)
    assert len({tuple(h) for h in hyps[0]}) == 3
    assert all(h[len(h) - 1] == Constants.EOS for h in hyps[0][:1])   # the search stops on the best's EOS
    for hyp, score in zip(hyps[0], scores[0]):
        # each hypothesis, walked back through prevKs, scores what the decoder gives its words
        assert teacher_forced_score(models, batch, hyp) == pytest.approx(score, rel=1e-5)


def test_checkpoint_round_trip_gives_identical_scores(trained, tmp_path):
    models = trained
    for cls in (onmt.Network, onmt.LSTM, onmt.GlobalAttention, onmt.MaskedSoftmax, onmt.WordEmbedding,
                onmt.Generator, onmt.Sequencer, onmt.Encoder, onmt.Decoder, onmt.JoinReplicateTable):
        lg.register(cls)
    batch = dataset().getBatch(2)
    before = [models['decoder'].computeScore(batch, *models['encoder'].forward(batch))[b] for b in range(2)]
    lg.save(str(tmp_path / 'model.t7'), {'models': models, 'options': {'rnn_size': 8}})
    loaded = lg.load(str(tmp_path / 'model.t7'))['models']
    assert type(loaded['decoder']) is onmt.Decoder
    after = [loaded['decoder'].computeScore(batch, *loaded['encoder'].forward(batch))[b] for b in range(2)]
    assert after == before
    hyps = [onmt.translateBatch(m, one_sentence('a c e'), 2, 8) for m in (models, loaded)]
    assert hyps[0] == hyps[1]
