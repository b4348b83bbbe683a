"""batra-mlp-lab/visdial: the port (tests/porting/visdial.py) run small. ``write_data`` writes prepro.py's
visdial_data.h5, data_img.h5 and visdial_params.json for 3 dialogs per split (int64 word ids from 0, -1 as padding,
indices from 0: the port's rules), which dataloader.lua's initialize reads. The Lua's fixed 10 rounds and 100
options stay; the widths shrink (embed 6, hidden 8, image features 5). The retrieval metrics are checked against
hand-computed values, the loader's tensors against the files, MaskTime, the encoders and the gen decoder's
encoder-decoder hand-over against finite differences in float64, and train.lua's loop runs a few Adam steps for the
three encoders and both decoders, then model.lua's retrieve."""
import math
import os
import re

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, hdf5, nn
from tests.porting import visdial as vd

V, QL, AL, F, E, H = 12, 4, 3, 5, 6, 8       # V counts the 10 words of the json and <START>, <END>
ROUNDS, OPTIONS, POOL = 10, 100, 120


@pytest.fixture(autouse=True)
def _restore_fastlstm_flag():
    """The encoders set the class flag nn.FastLSTM.usenngraph, as the Lua does: put it back."""
    saved = nn.FastLSTM.usenngraph
    yield
    nn.FastLSTM.usenngraph = saved


def left_aligned(rng, shape, maxlen, width=None):
    """(..., width) word ids from 0, left-aligned with -1 after their lengths (prepro.py's layout, with the
    port's padding), and the lengths."""
    lens = rng.randint(1, maxlen + 1, size=shape)
    seq = np.full(shape + (width or maxlen,), -1, np.int64)
    for idx in np.ndindex(*shape):
        seq[idx][:lens[idx]] = rng.randint(0, V - 2, size=lens[idx])
    return seq, lens


def write_data(tmp_path, seed=0, threads=3, spatial=None):
    """prepro.py's visdial_data.h5 / visdial_params.json and data_img.h5, tiny: signed 64-bit integers (the
    padding -1 does not fit prepro.py's uint32), answer indices, option indices and image positions from 0. With
    ``spatial``, the image features are conv maps (N, F, spatial, spatial), as prepro_img_vgg16.lua's pool5."""
    rng = np.random.RandomState(seed)
    L = lambda a: lg.from_numpy(np.ascontiguousarray(a, np.int64))    # noqa: E731
    ques_file, img_file, json_file = (str(tmp_path / n) for n in ('data.h5', 'img.h5', 'params.json'))
    info = {'word2ind': {'w%d' % i: i for i in range(V - 2)}}
    with hdf5.open(ques_file, 'w') as f, hdf5.open(img_file, 'w') as g:
        for dtype in ('train', 'val'):
            ques, qlen = left_aligned(rng, (threads, ROUNDS), QL)
            opt_list, opt_len = left_aligned(rng, (POOL,), AL)
            opts = np.stack([np.stack([rng.permutation(POOL)[:OPTIONS] for _ in range(ROUNDS)])
                             for _ in range(threads)])
            ans_ind = rng.randint(0, OPTIONS, size=(threads, ROUNDS))
            gt = opts[np.arange(threads)[:, None], np.arange(ROUNDS)[None, :], ans_ind]
            cap, cap_len = left_aligned(rng, (threads,), QL + AL, width=QL + AL + 2)
            for name, value in [('ques', ques), ('ques_length', qlen), ('ans', opt_list[gt]),
                                ('ans_length', opt_len[gt]), ('ans_index', ans_ind),
                                ('img_pos', rng.randint(0, threads + 1, size=threads)), ('opt', opts),
                                ('opt_length', opt_len), ('opt_list', opt_list),
                                ('num_rounds', np.full(threads, ROUNDS)), ('cap', cap), ('cap_length', cap_len)]:
                f.write(name + '_' + dtype, L(value))
            shape = (threads + 1, F) + ((spatial, spatial) if spatial else ())
            g.write('/images_' + dtype, lg.from_numpy(rng.rand(*shape).astype(np.float32)))
            info['unique_img_' + dtype] = ['COCO_%s2014_%012d.jpg' % (dtype, 100 + i) for i in range(threads)]
    with open(json_file, 'w') as file:
        file.write(cjson.encode(info))
    return ques_file, img_file, json_file


def make_opt(encoder, decoder, files, **kw):
    """opts.lua's options (train.lua passes them on as the model's), smaller, and its flags for the encoder."""
    ques_file, img_file, json_file = files
    opt = dict(encoder=encoder, decoder=decoder, inputQues=ques_file, inputImg=img_file, inputJson=json_file,
               imgNorm=1, embedSize=E, rnnHiddenSize=H, ansHiddenSize=0, numLayers=2, imgEmbedSize=4,
               imgFeatureSize=F, maxHistoryLen=60, dropout=0.5, weightInit='xavier', gpuid=-1, learningRate=1e-3,
               minLRate=5e-5, lrDecayRate=0.9997592083, batchSize=2, numEpochs=2, useGt=True, saveIter=1,
               savePath=os.path.dirname(ques_file) + '/checkpoints/')
    opt.update(kw)
    return vd.encoderFlags(opt)


def make_loader(opt, as_on_gpu=True):
    """dataloader.lua's initialize on the files. For hre-ques-im-hist the questions are then of the default float
    type (``as_on_gpu``), as in the Lua's runs: on the GPU every batch tensor is a CudaTensor (getIndexData's
    ``:cuda()``), while on the CPU its ConcatTable's backward fails in Torch7 as in legonn
    (test_hre_on_the_cpu_path_fails_as_in_torch7)."""
    d = vd.DataLoader()
    d.initialize(opt, ['train', 'val'])
    for dtype in ('train', 'val'):
        # initialize's imgNorm ends in :float(), train.lua's default type: the float64 checks take doubles
        if dtype + '_img_fv' in d:
            d[dtype + '_img_fv'] = d[dtype + '_img_fv'].type(lg.getdefaulttensortype())
    if as_on_gpu and opt['encoder'] == 'hre-ques-im-hist':
        for dtype in ('train', 'val'):
            d[dtype + '_ques_fwd'] = d[dtype + '_ques_fwd'].type(lg.getdefaulttensortype())
    return d


def setup(tmp_path, encoder, decoder, as_on_gpu=True, **kw):
    """train.lua up to the model: the loader, and the options with the loader's sizes (train.lua:56-60)."""
    spatial = 3 if 'att' in encoder else None
    opt = make_opt(encoder, decoder, write_data(tmp_path, spatial=spatial), imgSpatialSize=spatial,
                   commonEmbeddingSize=7, **kw)
    loader = make_loader(opt, as_on_gpu)
    for value in ['numTrainThreads', 'numValThreads', 'vocabSize', 'maxQuesCount', 'maxQuesLen', 'maxAnsLen']:
        opt[value] = loader[value]
    return opt, loader


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
    seq = lg.LongTensor([[1, 2, -1, -1], [3, 4, 5, -1]])
    assert vd.rightAlign(seq, lg.LongTensor([2, 3])).totable() == [[-1, -1, 1, 2], [-1, 3, 4, 5]]


# ---- dataloader.lua ------------------------------------------------------------------------------------------
@pytest.mark.parametrize('encoder', ['lf-ques-im-hist', 'hre-ques-im-hist'])
def test_dataloader_builds_the_decoder_and_history_tensors(encoder, tmp_path):
    """initialize on the h5/json files: <START>, <END> after the json's 10 words; image ids parsed from the
    names; unit-norm image rows (imgNorm); answers as decoder input/output; right-aligned questions; history from
    the caption, then (lf: concatHistory) the caption, <END>, the last question and answer, or (hre) the last
    question and answer alone."""
    files = write_data(tmp_path)
    opt = make_opt(encoder, 'gen', files)
    d = make_loader(opt, as_on_gpu=False)
    START, END = d.word2ind['<START>'], d.word2ind['<END>']
    assert (START, END, d.vocabSize) == (V - 2, V - 1, V)
    assert d.ind2word[END] == '<END>' and d.unique_img_val == [100, 101, 102]
    np.testing.assert_allclose(np.linalg.norm(d.train_img_fv.numpy(), axis=1), 1, rtol=1e-6)
    with hdf5.open(files[0], 'r') as f:
        ques, qlen = f.read('ques_train').all().numpy(), f.read('ques_length_train').all().numpy()
        ans, alen = f.read('ans_train').all().numpy(), f.read('ans_length_train').all().numpy()
        cap, clen = f.read('cap_train').all().numpy(), f.read('cap_length_train').all().numpy()
    t, r = 1, 3
    a, n = ans[t, r, :alen[t, r]], alen[t, r]
    assert d.train_ans_in[t, r].totable() == [START] + a.tolist() + [-1] * (AL - n)
    assert d.train_ans_out[t, r].totable() == a.tolist() + [END] + [-1] * (AL - n)
    assert d.train_ans_len[t, r] == n + 1
    q = ques[t, r, :qlen[t, r]].tolist()
    assert d.train_ques_fwd[t, r].totable() == [-1] * (QL - len(q)) + q
    width = d.train_hist.size(2)
    assert d.train_hist[t, 0].totable() == [-1] * (width - clen[t]) + cap[t, :clen[t]].tolist()
    last = ques[t, 0, :qlen[t, 0]].tolist() + ans[t, 0, :alen[t, 0]].tolist()
    want = (cap[t, :clen[t]].tolist() + [END] + last) if encoder.startswith('lf') else last
    assert d.train_hist_len[t, 1] == len(want)
    assert d.train_hist[t, 1].totable() == [-1] * (width - len(want)) + want
    assert width == (min(ROUNDS * (QL + AL), 300) if encoder.startswith('lf') else QL + AL)


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
def test_encoder_shapes_and_image_gradient(encoder, double_default, tmp_path):
    """Each encoder maps 2 dialogs x 10 rounds to (20, rnnHiddenSize); its gradient for the image features
    (through model.lua's repeatTensor input) matches finite differences (evaluate(): no dropout)."""
    lg.manualSeed(3)
    opt, loader = setup(tmp_path, encoder, 'disc')
    model = vd.Model(opt)
    batch = loader.getTrainBatch(model.params)
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


def test_mn_encoder_attends_only_to_past_rounds(double_default, tmp_path):
    """model.lua's 10 x 10 mask (1 above the diagonal) through MaskSoftMax: round i's attention weights over
    rounds j > i are zero, so changing the last round's history leaves round 0's output as it was."""
    lg.manualSeed(4)
    opt, loader = setup(tmp_path, 'mn-ques-im-hist', 'disc')
    model = vd.Model(opt)
    model.encoder.evaluate()
    batch = loader.getTrainBatch(model.params)
    inputs, _ = model._encoderInputs(batch)
    before = model.encoder.forward(inputs).clone()
    hist = inputs[2]
    hist[:, ROUNDS - 1].fill(3)                        # dialog 0's last round
    after = model.encoder.forward(inputs)
    np.testing.assert_allclose(after[0:ROUNDS - 1].numpy(), before[0:ROUNDS - 1].numpy(), rtol=1e-12)
    assert not np.allclose(after[ROUNDS - 1].numpy(), before[ROUNDS - 1].numpy())


def test_hre_on_the_cpu_path_fails_as_in_torch7(tmp_path):
    """hre-ques-im-hist with LongTensor questions (the CPU path, gpuid -1): its first ConcatTable sums the word
    branch's LongTensor zero gradient for the questions (LookupTable.lua) and MaskTime's float one, which Torch7's
    ``add`` refuses; legonn raises a TypeError naming the container."""
    lg.manualSeed(6)
    opt, loader = setup(tmp_path, 'hre-ques-im-hist', 'disc', as_on_gpu=False)
    model = vd.Model(opt)
    batch = loader.getTrainBatch(model.params)
    with pytest.raises(TypeError, match=r"ConcatTable.*LongTensor.*got legonn.FloatTensor"):
        model.forwardBackward(batch)


# ---- model.lua: forwardBackward through gen.lua's connections ------------------------------------------------
# hrea-ques-im-hist's MaskFuture indexes with a float mask, which only cutorch's CudaTensor takes: a GPU test
CPU_ENCODERS = sorted(set(vd.ENCODERS) - {'hrea-ques-im-hist'})


@pytest.mark.parametrize('encoder', CPU_ENCODERS)
def test_gen_forward_backward_gradient(encoder, double_default, tmp_path):
    """forwardBackward with the gen decoder hands the encoder's last states to the decoder (userPrevOutput,
    userPrevCell) and their gradients back (backwardConnect); the flat gradient matches finite differences of
    the loss for parameters of the encoder and the decoder. Training mode, as train.lua (the decoder's Sequencers
    keep their steps for backward only then, as rnn's do), with the generator reseeded before each pass so
    mn-ques-im-hist's fixed Dropout(0.5) draws the same masks."""
    lg.manualSeed(5)
    opt, loader = setup(tmp_path, encoder, 'gen', dropout=0)
    model = vd.Model(opt)
    batch = loader.getTrainBatch(model.params)

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
                                             ('mn-ques-im-hist', 'gen'), ('lf-ques-im-hist', 'disc'),
                                             ('lf-ques', 'gen'), ('lf-ques-im', 'disc'), ('lf-ques-hist', 'gen'),
                                             ('hre-ques-hist', 'disc'), ('mn-ques-hist', 'gen'),
                                             ('lf-att-ques-im-hist', 'disc'), ('mn-att-ques-im-hist', 'gen')])
def test_train_then_retrieve(encoder, decoder, capsys, tmp_path):
    """train.lua's loop (2 epochs of 2 iterations: 3 dialogs, batches of 2), one more Adam step, then model.lua's
    retrieve on val: every rank in 1 .. 100, and processRanks's MRR is that of the ranks returned."""
    lg.manualSeed(1234)
    opt, loader = setup(tmp_path, encoder, decoder)
    model, losses = vd.train(opt, loader)
    assert len(losses) == 4 and all(np.isfinite(losses)) and losses[0] > 0
    w0 = model.wrapperW.clone()
    model.trainIteration(loader)
    assert float((model.wrapperW - w0).abs().max()) > 0
    assert model.optims['learningRate'] == pytest.approx(1e-3 * 0.9997592083 ** 5)
    retrieval = model.retrieve(loader, 'val')
    assert len(retrieval) == 3 * ROUNDS
    ranks = [r['ranks'] for r in retrieval]
    assert all(1 <= r <= OPTIONS for r in ranks)
    out = capsys.readouterr().out
    mrr = float(re.search(r'meanRR: ([\d.]+)', out).group(1))
    assert mrr == pytest.approx(np.mean(1 / np.array(ranks)), abs=1e-6)


# ---- evaluate.lua ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize('encoder,decoder', [('lf-ques-im-hist', 'gen'), ('mn-ques-im-hist', 'disc')])
def test_checkpoints_then_evaluate(encoder, decoder, capsys, tmp_path):
    """train.lua saves model_epoch_1.t7, model_epoch_2.t7 and model_final.t7; evaluate.lua reloads the last into a
    new Model on a fresh loader: with useGt its ranks are the trained model's retrieve ranks, and its json is
    them; without, model.lua's predict ranks all 100 options of every round (a permutation of 1 .. 100) with
    the ground truth's rank where retrieve put it. Model.evaluate's perplexity is exp of the printed loss."""
    lg.manualSeed(1234)
    opt, loader = setup(tmp_path, encoder, decoder)
    model, _ = vd.train(opt, loader)
    assert sorted(os.listdir(opt['savePath'])) == ['model_epoch_1.t7', 'model_epoch_2.t7', 'model_final.t7']
    want = model.retrieve(loader, 'val')
    loss = model.evaluate(loader, 'val')
    printed = re.search(r'val\tLoss: ([\d.]+)\t Perplexity: ([\d.]+)', capsys.readouterr().out)
    assert float(printed.group(1)) == pytest.approx(loss, abs=1e-6) and np.isfinite(loss) and loss > 0
    assert float(printed.group(2)) == pytest.approx(np.exp(loss), rel=1e-5)

    ranks_json = str(tmp_path / 'ranks.json')
    ev = dict(inputQues=opt['inputQues'], inputImg=opt['inputImg'], inputJson=opt['inputJson'],
              loadPath=opt['savePath'] + 'model_final.t7', split='val', useGt=True, batchSize=2, gpuid=-1,
              saveRanks=True, saveRankPath=ranks_json)
    got = vd.evaluate(dict(ev))
    assert [r['ranks'] for r in got] == [r['ranks'] for r in want]
    with open(ranks_json) as f:
        assert cjson.decode(f.read()) == got
    assert [(r['image_id'], r['round_id']) for r in got][:2] == [(100, 1), (100, 2)]

    predicted = vd.evaluate(dict(ev, useGt=False, saveRanks=False))
    assert len(predicted) == 3 * ROUNDS
    gt = loader.val_ans_ind.view(-1).totable()
    for row, w, g in zip(predicted, want, gt):
        assert sorted(row['ranks']) == list(range(1, OPTIONS + 1))
        assert row['ranks'][g] == w['ranks']


# ---- the Lua's GPU path (gpuid 0) ------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize('encoder,decoder', [('hre-ques-im-hist', 'gen'), ('hrea-ques-im-hist', 'disc')])
def test_gpu_path_trains_and_retrieves(encoder, decoder, tmp_path):
    """gpuid 0, as the Lua's runs: Model ships the wrapper and criterion with ``cuda()`` and getIndexData makes
    every batch tensor a CudaTensor (floats, as cutorch's ``:cuda()``), so hre-ques-im-hist's ConcatTable sums
    float gradients and trains with LongTensor questions in the files (no conversion, unlike the CPU tests)."""
    lg.manualSeed(1234)
    opt, loader = setup(tmp_path, encoder, decoder, as_on_gpu=False, gpuid=0, numEpochs=1)
    model, losses = vd.train(opt, loader)
    assert model.wrapperW.type() == 'torch.CudaTensor'
    trained = model.wrapperW.float()   # before retrieve's forward zeroes LookupTableMaskZero's padding row again
    assert len(losses) == 2 and all(np.isfinite(losses)) and losses[0] > 0
    ranks = [r['ranks'] for r in model.retrieve(loader, 'val')]
    assert len(ranks) == 3 * ROUNDS and all(1 <= r <= OPTIONS for r in ranks)
    # convert_gpu_to_cpu.lua on the epoch checkpoint: modelW and Adam's state become FloatTensors
    saved = opt['savePath'] + 'model_epoch_1.t7'
    cpu = vd.convert_gpu_to_cpu({'loadPath': saved, 'savePath': 'checkpoints/model_cpu.t7', 'gpuid': 0})
    reloaded = lg.load(saved + '.cpu.t7')
    assert reloaded['modelW'].type() == 'torch.FloatTensor' and reloaded['optims']['m'].type() == 'torch.FloatTensor'
    np.testing.assert_array_equal(reloaded['modelW'].numpy(), trained.numpy())
    assert reloaded['optims']['t'] == cpu['optims']['t'] == 2


def test_the_luas_uint32_files_read_into_the_ports_form(tmp_path):
    """docs/porting.md's row for the Lua's data files: prepro.py's uint32 datasets (ids and indices from 1, 0 as
    padding) read as LongTensors, and ``add(-1)`` gives the 0-based, -1-padded tensors the port's files hold."""
    import h5py
    files = write_data(tmp_path)
    lua_file = str(tmp_path / 'lua.h5')
    with hdf5.open(files[0], 'r') as f, h5py.File(lua_file, 'w') as g:
        ported = {name: f.read(name).all() for name in ('ques_train', 'opt_train', 'ans_index_train')}
        for name, t in ported.items():
            g.create_dataset(name, dtype='uint32', data=t.numpy() + 1)   # prepro.py's form
    with hdf5.open(lua_file, 'r') as f:
        for name, t in ported.items():
            read = f.read(name).all()
            assert read.type() == 'torch.LongTensor' and int(read.min()) >= 0
            assert read.add(-1).totable() == t.totable()


def test_attention_encoder_reads_conv_maps_channels_last(tmp_path):
    """opts.lua:62-67 turns imgNorm off for 'att' encoders and dataloader.lua:68-70 permutes the pool5 maps
    (N, F, S, S) to (N, S, S, F); model.lua:250-253 repeats each dialog's map over its 10 rounds."""
    opt, loader = setup(tmp_path, 'lf-att-ques-im-hist', 'disc')
    assert opt['imgNorm'] == 0
    with hdf5.open(opt['inputImg'], 'r') as f:
        maps = f.read('/images_train').all().numpy()
    np.testing.assert_array_equal(loader.train_img_fv.numpy(), maps.transpose(0, 2, 3, 1))
    model = vd.Model(opt)
    batch = loader.getTrainBatch(model.params)
    img = model._encoderInputs(batch)[0][1]
    assert img.size() == (2 * ROUNDS, 3, 3, F)
    np.testing.assert_array_equal(img[ROUNDS].numpy(), batch['img_feat'][1].numpy())


@pytest.mark.gpu
def test_mask_future_and_replace_zero_on_the_gpu():
    """hrea's attention weights: MaskFuture zeroes each round's scores for later rounds (its float mask, shipped
    by cuda(), indexes as cutorch's mask), ReplaceZero makes them -inf, SoftMax then gives them weight 0; their
    gradients are zero there. Checked against NumPy."""
    lg.manualSeed(2)
    scores = lg.randn(2, ROUNDS, ROUNDS).add(3)            # no exact zeros
    mf, rz = vd.MaskFuture(ROUNDS).cuda(), vd.ReplaceZero(-math.inf).cuda()
    x = scores.cuda()
    masked = mf.forward(x)
    future = np.triu(np.ones((ROUNDS, ROUNDS)), 1).astype(bool)
    np.testing.assert_array_equal(masked.double().numpy(), np.where(future, 0, scores.numpy()))
    replaced = rz.forward(masked.view(-1, ROUNDS))
    weights = nn.SoftMax().cuda().forward(replaced).view(2, ROUNDS, ROUNDS).double().numpy()
    assert (weights[:, future] == 0).all()
    np.testing.assert_allclose(weights.sum(2), 1, rtol=1e-6)
    g = lg.ones(2, ROUNDS, ROUNDS).cuda()
    assert (mf.backward(x, g).double().numpy()[:, future] == 0).all()
    assert (rz.backward(masked.view(-1, ROUNDS), g.view(-1, ROUNDS)).double().numpy().reshape(2, ROUNDS, ROUNDS)
            [:, future] == 0).all()


# ---- model.lua's generateAnswers -------------------------------------------------------------------------------
def test_generate_answers_by_beam_search_and_sampling(tmp_path):
    """generateAnswers on the first val dialog of a briefly trained gen model. Beam search with a beam as wide
    as the vocabulary (so <END> is among each step's candidates) returns, for each of the 10 rounds, the question's
    words and an answer from <START> to <END>; with a beam too short for any beam to end, finishBeams[1] is nil
    and the Lua fails there as the port does. Sampling (sampleWords 1) returns beamLen sampled words after
    <START>, cut at an <END>."""
    lg.manualSeed(1)
    opt, loader = setup(tmp_path, 'lf-ques-im-hist', 'gen', numEpochs=1)
    model, _ = vd.train(opt, loader)
    beam = model.generateAnswers(loader, 'val', {'beamSize': V, 'beamLen': 3, 'maxThreads': 1})
    assert len(beam) == 1 and beam[0]['image_id'] == 100 and len(beam[0]['dialog']) == ROUNDS
    for r, qa in enumerate(beam[0]['dialog']):
        assert qa['question'] == vd.idToWords(loader.val_ques_fwd[0][r], loader.ind2word)
        words = qa['answer'].split()
        assert words[0] == '<START>' and words[-1] == '<END>' and len(words) <= 3
    with pytest.raises(IndexError):
        model.generateAnswers(loader, 'val', {'beamSize': 1, 'beamLen': 1, 'maxThreads': 1})
    sampled = model.generateAnswers(loader, 'val', {'sampleWords': 1, 'beamLen': 4, 'maxThreads': 1})
    for qa in sampled[0]['dialog']:
        words = qa['answer'].split()
        assert words[0] == '<START>' and 2 <= len(words) <= 5
        assert '<END>' not in words[:-1]
    (tmp_path / 'disc').mkdir()
    disc_opt, disc_loader = setup(tmp_path / 'disc', 'lf-ques-im-hist', 'disc', numEpochs=1)
    with pytest.raises(SystemExit):
        vd.Model(disc_opt).generateAnswers(disc_loader, 'val')


# ---- generate.lua and convert_gpu_to_cpu.lua -------------------------------------------------------------------
def test_generate_writes_the_answers_of_the_saved_model(tmp_path):
    """generate.lua reloads model_final.t7 into a new Model on a fresh val loader and writes {opts, data} to
    results.json; its answers are those the trained model gives. convert_gpu_to_cpu.lua without a GPU exits."""
    lg.manualSeed(1)
    opt, loader = setup(tmp_path, 'mn-ques-im-hist', 'gen', numEpochs=1)
    model, _ = vd.train(opt, loader)
    params = {'beamSize': V, 'beamLen': 3, 'maxThreads': 2}
    want = model.generateAnswers(loader, 'val', params)
    out = vd.generate(dict(params, inputQues=opt['inputQues'], inputImg=opt['inputImg'], inputJson=opt['inputJson'],
                           loadPath=opt['savePath'] + 'model_final.t7', gpuid=-1,
                           resultPath=str(tmp_path / 'results')))
    assert out['data'] == want and len(want) == 2
    with open(tmp_path / 'results' / 'results.json') as f:
        assert cjson.decode(f.read()) == out
    with pytest.raises(SystemExit):
        vd.convert_gpu_to_cpu({'loadPath': opt['savePath'] + 'model_epoch_1.t7', 'savePath': 'checkpoints/model_cpu.t7',
                               'gpuid': -1})
