"""batra-mlp-lab/visdial: the port (tests/porting/visdial.py) run small. Synthetic dialogs stand in for
VisDial's h5/json files (dataloader.lua's ``initialize`` is replaced by ``make_loader``, which fills the fields
it would build: right-aligned questions and history, <START>/<END> answer tensors, an option pool), with word ids
0 .. V-1 and -1 as padding (docs/porting.md's LookupTableMaskZero row). The Lua's fixed 10 rounds and 100
options stay; the widths shrink (embed 6, hidden 8, image features 5). The retrieval metrics are checked against
hand-computed values, the encoders' shapes and gradients against finite differences in float64, and train.lua's
loop runs a few Adam steps for the three encoders and both decoders."""
import re

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting import visdial as vd

V, QL, HL, AL, F, E, H = 12, 4, 6, 3, 5, 6, 8
ROUNDS, OPTIONS, POOL = 10, 100, 120
START, END = V - 2, V - 1


@pytest.fixture(autouse=True)
def _restore_fastlstm_flag():
    """The encoders set the class flag nn.FastLSTM.usenngraph, as the Lua does: put it back."""
    saved = nn.FastLSTM.usenngraph
    yield
    nn.FastLSTM.usenngraph = saved


def right_aligned(rng, shape, maxlen):
    """(..., maxlen) word ids right-aligned with -1 before, and their lengths (utils.rightAlign's layout)."""
    lens = rng.randint(1, maxlen + 1, size=shape)
    seq = np.full(shape + (maxlen,), -1, np.int64)
    for idx in np.ndindex(*shape):
        seq[idx][maxlen - lens[idx]:] = rng.randint(0, V - 2, size=lens[idx])
    return seq, lens


def decoder_tensors(rng, n):
    """dataloader.lua's processOptions/processAnswers layout: in = <START> words, out = words <END>, left-aligned,
    -1 after; the length counts the <END> (dataloader.lua:316)."""
    lens = rng.randint(1, AL + 1, size=n)
    dec_in = np.full((n, AL + 1), -1, np.int64)
    dec_out = np.full((n, AL + 1), -1, np.int64)
    words = np.full((n, AL), -1, np.int64)
    for i, k in enumerate(lens):
        w = rng.randint(0, V - 2, size=k)
        words[i, :k] = w
        dec_in[i, 0], dec_in[i, 1:k + 1] = START, w
        dec_out[i, :k], dec_out[i, k] = w, END
    return dec_in, dec_out, lens + 1, words


def make_loader(seed=0, threads=3, encoder=None):
    """dataloader.lua's fields after ``initialize``. For hre-ques-im-hist the questions are of the default float
    type, as in the Lua's runs: on the GPU every batch tensor is a CudaTensor (getIndexData's ``:cuda()``), while
    on the CPU its ConcatTable's backward fails in Torch7 as in legonn (test_hre_on_the_cpu_path_fails_as_in_torch7)."""
    rng = np.random.RandomState(seed)
    L = lambda a: lg.from_numpy(np.ascontiguousarray(a))    # noqa: E731
    d = vd.DataLoader(useIm=True, useHistory=True, maxHistoryLen=HL, numTrainThreads=threads,
                      numValThreads=threads, numThreads={'train': threads, 'val': threads})
    opt_in, opt_out, opt_len, opt_list = decoder_tensors(rng, POOL)
    img = rng.randn(threads + 1, F)
    for dtype in ('train', 'val'):
        ques, qlen = right_aligned(rng, (threads, ROUNDS), QL)
        hist, hlen = right_aligned(rng, (threads, ROUNDS), HL)
        opts = np.stack([np.stack([rng.permutation(POOL)[:OPTIONS] for _ in range(ROUNDS)]) for _ in range(threads)])
        ans_ind = rng.randint(0, OPTIONS, size=(threads, ROUNDS))
        gt = opts[np.arange(threads)[:, None], np.arange(ROUNDS)[None, :], ans_ind]
        d.update({dtype + '_ques_fwd': L(ques), dtype + '_ques_len': L(qlen), dtype + '_hist': L(hist),
                  dtype + '_hist_len': L(hlen), dtype + '_img_fv': lg.from_numpy(img).type(lg.getdefaulttensortype()),
                  dtype + '_img_pos': L(rng.randint(0, threads + 1, size=threads)),
                  dtype + '_ans_in': L(opt_in[gt]), dtype + '_ans_out': L(opt_out[gt]), dtype + '_ans_len': L(opt_len[gt]),
                  dtype + '_ans_ind': L(ans_ind), dtype + '_opt': L(opts), dtype + '_opt_len': L(opt_len),
                  dtype + '_opt_in': L(opt_in), dtype + '_opt_out': L(opt_out), dtype + '_opt_list': L(opt_list),
                  dtype + '_num_rounds': L(np.full(threads, ROUNDS)), 'unique_img_' + dtype: list(range(threads))})
        if encoder == 'hre-ques-im-hist':
            d[dtype + '_ques_fwd'] = d[dtype + '_ques_fwd'].type(lg.getdefaulttensortype())
    return d


def make_params(encoder, decoder, **kw):
    p = dict(encoder=encoder, decoder=decoder, vocabSize=V, embedSize=E, rnnHiddenSize=H, ansHiddenSize=0,
             numLayers=2, imgFeatureSize=F, imgEmbedSize=4, maxQuesCount=ROUNDS, dropout=0.5, weightInit='xavier',
             gpuid=-1, learningRate=1e-3, minLRate=5e-5, lrDecayRate=0.9997592083, useIm=True, useHistory=True,
             batchSize=2, numTrainThreads=3, numEpochs=1, numIterPerEpoch=3, useGt=True, numOptions=OPTIONS)
    p.update(kw)
    return p


# ---- utils.lua ---------------------------------------------------------------------------------------------
def test_compute_ranks_by_hand():
    """computeRanks: the option with the largest score has rank 1; with gtPos, the rank of that option."""
    scores = lg.DoubleTensor(2, OPTIONS).zero()
    scores[0].copy(lg.range(0, OPTIONS - 1).double())         # option 99 best, option 0 worst
    scores[1].copy(lg.range(OPTIONS - 1, 0, -1).double())     # option 0 best
    ranks = vd.computeRanks(scores, None)
    assert ranks.size() == (2, OPTIONS)
    assert ranks[0, 99] == 1 and ranks[0, 0] == 100 and ranks[0, 90] == 10
    assert ranks[1, 0] == 1 and ranks[1, 4] == 5
    gt = vd.computeRanks(scores, lg.LongTensor([[90], [4]]))
    assert gt.totable() == [10.0, 5.0]


def test_process_ranks_prints_hand_computed_metrics(capsys):
    """processRanks over ranks 1, 2, 5, 10, a 0 and a 101: it warns of both but drops only the 0 (utils.lua:143's
    ``ranks[ranks:le(numOptions + 1)]`` keeps 101, as in the Lua); the recalls divide by all 6 questions, the
    median and means run over the 5 ranks kept."""
    vd.processRanks(lg.Tensor([[1, 2, 5], [10, 0, 101]]))
    out = capsys.readouterr().out
    got = dict(re.findall(r'\t(\S+): ([\d.]+)', out))
    assert 'some of ranks are zero : 1' in out and 'some of ranks >100 : 1' in out
    assert float(got['r@1']) == pytest.approx(1 / 6, abs=1e-6)
    assert float(got['r@5']) == pytest.approx(3 / 6, abs=1e-6)
    assert float(got['r@10']) == pytest.approx(4 / 6, abs=1e-6)
    assert float(got['medianR']) == 5
    assert float(got['meanR']) == pytest.approx(119 / 5, abs=1e-6)
    assert float(got['meanRR']) == pytest.approx((1 + 1 / 2 + 1 / 5 + 1 / 10 + 1 / 101) / 5, abs=1e-6)


def test_process_ranks_median_of_an_even_count_is_the_lower_middle(capsys):
    """torch.median of 4 values is the lower middle one (TH's kth-value), not their mean."""
    vd.processRanks(lg.Tensor([[1, 2], [5, 10]]))
    assert float(re.search(r'medianR: ([\d.]+)', capsys.readouterr().out).group(1)) == 2


def test_compute_lhood_sums_the_words_log_probabilities():
    rng = np.random.RandomState(1)
    logp = np.log(rng.dirichlet(np.ones(V), size=(3, 2)))          # (seqlen, batch, vocab)
    words = np.array([[3, 5], [7, -1], [-1, -1]])
    got = vd.computeLhood(lg.from_numpy(words.copy()), lg.from_numpy(logp)).numpy()
    want = [logp[0, 0, 3] + logp[1, 0, 7], logp[0, 1, 5]]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_right_align():
    seq = lg.LongTensor([[1, 2, 0, 0], [3, 4, 5, 0]])
    assert vd.rightAlign(seq, lg.LongTensor([2, 3])).totable() == [[0, 0, 1, 2], [0, 3, 4, 5]]


# ---- model_utils/MaskTime.lua --------------------------------------------------------------------------------
def test_mask_time_repeats_features_off_padding(double_default):
    words = lg.LongTensor([[-1, 2], [1, 3], [4, -1]])               # (seqlen 3, batch 2)
    feat = lg.randn(2, 4)
    m = vd.MaskTime(4)
    out = m.forward([words, feat])
    want = np.repeat(feat.numpy()[None], 3, 0) * (words.numpy() != -1)[:, :, None]
    np.testing.assert_allclose(out.numpy(), want)
    g = lg.randn(3, 2, 4)
    grad = m.backward([words, feat], g)[1]
    np.testing.assert_allclose(grad.numpy(), (g.numpy() * (words.numpy() != -1)[:, :, None]).sum(0))
    eps, num = 1e-6, np.zeros((2, 4))
    for idx in np.ndindex(2, 4):
        for s in (1, -1):
            f = feat.clone()
            f[idx] = f[idx] + s * eps
            num[idx] += s * float((m.forward([words, f]) * g).sum()) / (2 * eps)
    np.testing.assert_allclose(grad.numpy(), num, atol=1e-7)


# ---- encoders ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('encoder', ['lf-ques-im-hist', 'hre-ques-im-hist', 'mn-ques-im-hist'])
def test_encoder_shapes_and_image_gradient(encoder, double_default):
    """Each encoder maps 2 dialogs x 10 rounds to (20, rnnHiddenSize); its gradient for the image features
    (through model.lua's repeatTensor input) matches finite differences (evaluate(): no dropout)."""
    lg.manualSeed(3)
    model = vd.Model(make_params(encoder, 'disc'))
    batch = make_loader(encoder=encoder).getTrainBatch(model.params)
    inputs, ques = model._encoderInputs(batch)
    assert ques.size() == (batch['ques_fwd'].size(2), 2 * ROUNDS)
    model.encoder.evaluate()
    out = model.encoder.forward(inputs)
    assert out.size() == (2 * ROUNDS, H)
    g = lg.randn(2 * ROUNDS, H)
    model.encoder.zeroGradParameters()
    grad = model.encoder.backward(inputs, g)[1].clone()
    img = inputs[1]
    eps, num = 1e-6, np.zeros(img.size())
    for idx in [(0, 0), (3, 2), (11, 4), (19, 1)]:
        for s in (1, -1):
            img[idx] = img[idx] + s * eps
            num[idx] += s * float((model.encoder.forward(inputs) * g).sum()) / (2 * eps)
            img[idx] = img[idx] - s * eps
        assert grad[idx] == pytest.approx(num[idx], abs=1e-6)


def test_mn_encoder_attends_only_to_past_rounds(double_default):
    """model.lua's 10 x 10 mask (1 above the diagonal) through MaskSoftMax: round i's attention weights over
    rounds j > i are zero, so changing the last round's history leaves round 0's output as it was."""
    lg.manualSeed(4)
    model = vd.Model(make_params('mn-ques-im-hist', 'disc'))
    model.encoder.evaluate()
    batch = make_loader().getTrainBatch(model.params)
    inputs, _ = model._encoderInputs(batch)
    before = model.encoder.forward(inputs).clone()
    hist = inputs[2]
    hist[:, ROUNDS - 1].fill(3)                        # dialog 0's last round
    after = model.encoder.forward(inputs)
    np.testing.assert_allclose(after[0:ROUNDS - 1].numpy(), before[0:ROUNDS - 1].numpy(), rtol=1e-12)
    assert not np.allclose(after[ROUNDS - 1].numpy(), before[ROUNDS - 1].numpy())


def test_hre_on_the_cpu_path_fails_as_in_torch7():
    """hre-ques-im-hist with LongTensor questions (the CPU path, gpuid -1): its first ConcatTable sums the word
    branch's LongTensor zero gradient for the questions (LookupTable.lua) and MaskTime's float one, which Torch7's
    ``add`` refuses; legonn raises a TypeError naming the container."""
    lg.manualSeed(6)
    model = vd.Model(make_params('hre-ques-im-hist', 'disc'))
    batch = make_loader().getTrainBatch(model.params)
    with pytest.raises(TypeError, match=r"ConcatTable.*LongTensor.*got legonn.FloatTensor"):
        model.forwardBackward(batch)


# ---- model.lua: forwardBackward through gen.lua's connections ------------------------------------------------
@pytest.mark.parametrize('encoder', ['lf-ques-im-hist', 'hre-ques-im-hist', 'mn-ques-im-hist'])
def test_gen_forward_backward_gradient(encoder, double_default):
    """forwardBackward with the gen decoder hands the encoder's last states to the decoder (userPrevOutput,
    userPrevCell) and their gradients back (backwardConnect); the flat gradient matches finite differences of
    the loss for parameters of the encoder and the decoder. Training mode, as train.lua (the decoder's Sequencers
    keep their steps for backward only then, as rnn's do), with the generator reseeded before each pass so
    mn-ques-im-hist's fixed Dropout(0.5) draws the same masks."""
    lg.manualSeed(5)
    model = vd.Model(make_params(encoder, 'gen', dropout=0))
    batch = make_loader(encoder=encoder).getTrainBatch(model.params)

    def loss(onlyForward):
        lg.manualSeed(7)
        return model.forwardBackward(batch, onlyForward)

    model.wrapper.zeroGradParameters()
    loss(False)
    grad = model.wrapperdW.clone()
    W = model.wrapperW
    n = W.nElement()
    for i in [1, n // 7, n // 3, n // 2, (2 * n) // 3, n - 2, n - 1]:
        losses = []
        for s in (1, -1):
            W[i] = W[i] + s * 1e-6
            losses.append(loss(True))
            W[i] = W[i] - s * 1e-6
        assert grad[i] == pytest.approx((losses[0] - losses[1]) / 2e-6, abs=1e-6, rel=1e-5)
    assert float(grad.abs().sum()) > 0


# ---- train.lua and model.lua's retrieve ------------------------------------------------------------------------
@pytest.mark.parametrize('encoder,decoder', [('lf-ques-im-hist', 'gen'), ('hre-ques-im-hist', 'disc'),
                                             ('mn-ques-im-hist', 'gen'), ('lf-ques-im-hist', 'disc')])
def test_train_then_retrieve(encoder, decoder, capsys):
    lg.manualSeed(1234)
    params = make_params(encoder, decoder)
    loader = make_loader(encoder=encoder)
    model, losses = vd.train(params, loader)
    assert len(losses) == 3 and all(np.isfinite(losses)) and losses[0] > 0
    w0 = model.wrapperW.clone()
    model.trainIteration(loader)
    assert float((model.wrapperW - w0).abs().max()) > 0
    assert model.optims['learningRate'] == pytest.approx(1e-3 * 0.9997592083 ** 4)
    retrieval = model.retrieve(loader, 'val')
    assert len(retrieval) == 3 * ROUNDS
    ranks = [r['ranks'] for r in retrieval]
    assert all(1 <= r <= OPTIONS for r in ranks)
    out = capsys.readouterr().out
    mrr = float(re.search(r'meanRR: ([\d.]+)', out).group(1))
    assert mrr == pytest.approx(np.mean(1 / np.array(ranks)), abs=1e-6)
