"""Tests of the harvardnlp/data2text port (tests/porting/data2text/): BoxBatch3's layout of a box-score table as
4-feature cells against a hand-built one, BoxTableEncoder's and the decoders' gradients (the default and the joint
copy model, with CIndexAddTo) against finite differences in float64, the truncated BPTT of box_train.lua (pieces
carry the decoder's states: their losses sum to the whole summary's), box_train.lua's main chunk over a tiny
synthetic dataset written in box_preprocess.lua's ``-train.t7`` form (the validation perplexity falls, checkpoints
are written, -train_from -just_gen writes beam-search summaries), BeamSearcher.lua against a brute-force search over
a 16-word vocabulary, MarginalNLLCriterion by hand and by finite differences, and extractor.lua over an
``roto-ie.h5`` in data_utils.py's form (CUDA only, as the Lua: on the simulator). Stand-in data: games of 13+13
players and two teams whose summary names the winner and its points."""
import copy
import re

import numpy as np
import pytest

import legonn as lg
from legonn import hdf5, nn
from tests.porting.data2text import G, Cuda, Models, box_train, extractor
from tests.porting.data2text.BoxDataset2 import BoxDataset2
from tests.porting.data2text.BoxTableEncoder import BoxTableEncoder
from tests.porting.data2text.CIndexAddTo import CIndexAddTo
from tests.porting.data2text.GlobalAttention import GlobalAttention
from tests.porting.data2text.LSTM import LSTM
from tests.porting.data2text.MarginalNLLCriterion import MarginalNLLCriterion
from tests.porting.data2text.Optim import Optim
from tests.porting.test_opennmt import Dict
from tests.porting.test_opennmt_modules import Constants

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs

N_PLAYERS, N_COLS = 13, 22
TEAMS = ['Hawks', 'Bulls', 'Nets', 'Suns']


def game(rng):
    """One game as box_preprocess.lua's makeData leaves it: 26 player rows (name, then 22 values) and two
    line-score rows (pre-padded, then values, the team name last); the summary names the team with more points."""
    home, vis = rng.choice(TEAMS, 2, replace=False)
    rows = []
    for p in range(2 * N_PLAYERS):
        rows.append(['P%d' % p] + [str(v) for v in rng.randint(0, 10, N_COLS)])
    pts = rng.randint(0, 10, 2)
    while pts[0] == pts[1]:
        pts = rng.randint(0, 10, 2)
    for team, p in ((home, pts[0]), (vis, pts[1])):
        rows.append([Constants.PAD_WORD] * 10 + [str(v) for v in rng.randint(0, 10, 11)] + [str(p), team])
    winner = home if pts[0] > pts[1] else vis
    return rows, [winner, 'won', 'with', str(max(pts)), '.']


def vocabulary():
    words = Dict([Constants.PAD_WORD, Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD])
    for w in TEAMS + ['won', 'with', '.'] + [str(v) for v in range(10)] + ['P%d' % p for p in range(26)]:
        words.add(w)
    return words


def make_data(games, words):
    srcs = [[] for _ in range(2 * N_PLAYERS + 2)]
    tgt = []
    triples = []   # (row, column, value) ids of box_preprocess.lua's rows/cols/cells dicts, read by -discrec only
    for rows, summary in games:
        triples.append(lg.IntTensor(4, 3).zero())
        for j, row in enumerate(rows):
            srcs[j].append(words.convertToIdx(row, Constants.UNK_WORD))
        tgt.append(words.convertToIdx(summary, Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD))
    return {'words': srcs, 'features': [], 'triples': triples}, {'words': tgt, 'features': []}


def write_dataset(path, ntrain=12, nvalid=4, seed=0):
    """box_preprocess.lua's ``torch.save(opt.save_data .. '-train.t7', data, 'binary', false)``, whose dicts.tgt is
    the same table as dicts.src: ``referenced`` false writes it twice, so box_train.lua loads two equal copies.
    legonn refuses ``referenced=False`` (docs/porting.md): save the copy it would have written."""
    rng = np.random.RandomState(seed)
    words = vocabulary()
    data = {'dicts': {}}
    data['dicts']['src'] = {'words': words, 'features': []}
    data['dicts']['tgt'] = copy.deepcopy(data['dicts']['src'])   # `data.dicts.tgt = data.dicts.src`, saved unreferenced
    for name, n in (('train', ntrain), ('valid', nvalid), ('test', nvalid)):
        data[name] = {}
        data[name]['src'], data[name]['tgt'] = make_data([game(rng) for _ in range(n)], words)
    lg.save(str(path), data, 'binary')
    return data


def set_globals():
    G.g_nRegRows, G.g_nCols, G.g_specPadding, G.g_nFeatures = 13, 22, 22, 4


# ---- data ----

def test_the_dataset_saved_unreferenced_holds_two_copies_of_the_dictionary(tmp_path):
    """docs/porting.md's row on ``torch.save(f, obj, 'binary', false)``: legonn refuses it; the stand-in saves the
    copy Torch7 would have written, and box_train.lua's additions to src and tgt then keep their sizes equal."""
    data = write_dataset(tmp_path / 'roto-train.t7')
    shared = dict(data, dicts={'src': data['dicts']['src'], 'tgt': data['dicts']['src']})
    with pytest.raises(ValueError, match='legonn.save'):
        lg.save(str(tmp_path / 'x.t7'), shared, 'binary', False)
    loaded = lg.load(str(tmp_path / 'roto-train.t7'), 'binary', False)
    src, tgt = loaded['dicts']['src']['words'], loaded['dicts']['tgt']['words']
    assert src is not tgt and src.labelToIdx == tgt.labelToIdx
    src.add('DOPEEXTRALABEL1')
    tgt.add('DOPEEXTRALABEL1')
    assert src.size() == tgt.size() == vocabulary().size() + 1


def test_box_batch3_lays_every_cell_out_with_its_row_column_and_side():
    set_globals()
    words = vocabulary()
    rng = np.random.RandomState(1)
    games = [game(rng), game(rng)]
    src, tgt = make_data(games, words)
    colStartIdx = words.size()
    batch = BoxDataset2(src, tgt, colStartIdx, 4, False)
    batch.setBatchSize(2)
    b = batch.getBatch(0)
    assert b.size == 2 and b.sourceLength == 22 and b.totalSourceLength == 28 * 22
    cells = b.getSource()
    assert list(cells.size()) == [2 * 28 * 22, 4]
    for ex, (rows, summary) in enumerate(games):
        for j, row in enumerate(rows):
            for c in range(22):
                got = [int(v) for v in cells[ex * 28 * 22 + j * 22 + c]]
                if j < 26:   # a player: its name, the regular columns, home for the first 13
                    want = [words.lookup(row[c + 1]), words.lookup(row[0]), colStartIdx + c,
                            colStartIdx + 44 + (0 if j < 13 else 1)]
                else:        # a team: its name (the last value), the line-score columns, home then away
                    want = [words.lookup(row[c + 1]), words.lookup(row[22]), colStartIdx + 22 + c,
                            colStartIdx + 44 + (0 if j == 26 else 1)]
                assert got == want
        ids = [words.lookup(w) for w in summary]
        assert [int(v) for v in b.targetInput[:, ex]] == [Constants.BOS] + ids
        assert [int(v) for v in b.targetOutput[:, ex]] == ids + [Constants.EOS]
    assert b.targetNonZeros == 12


def test_batches_cover_the_examples_in_order_and_cut_targets_into_bptt_pieces():
    set_globals()
    words = vocabulary()
    rng = np.random.RandomState(2)
    src, tgt = make_data([game(rng) for _ in range(5)], words)
    data = BoxDataset2(src, tgt, words.size(), 4, False)
    data.setBatchSize(2)
    assert data.batchCount() == 3 and [r['end'] - r['begin'] + 1 for r in data.batchRange] == [2, 2, 1]
    b = data.getBatch(2)
    assert b.splitIntoPieces(4) == 2 and b.targetLength == 4
    first = int(b.getTargetInput(0)[0])
    b.nextPiece()
    assert (b.targetOffset, b.targetLength, b.targetNonZeros) == (4, 2, 0)
    assert int(b.getTargetInput(0)[0]) == int(b.targetInput[4][0]) and first == Constants.BOS


# ---- modules ----

def small_encoder(feat_merge='concat', pool='mean', relu=False, nLayers=1, encDim=4, decDim=4):
    return BoxTableEncoder({'vocabSize': 9, 'encDim': encDim, 'decDim': decDim, 'feat_merge': feat_merge,
                            'nFeatures': 4, 'nLayers': nLayers, 'nRows': 3, 'nCols': 2, 'pool': pool,
                            'effectiveDecLayers': 4, 'dropout': 0, 'relu': relu,
                            'wordVecSize': 4 if feat_merge == 'sum' else 3})


@pytest.mark.parametrize('feat_merge, pool, nLayers, decDim', [('concat', 'mean', 1, 5), ('sum', 'max', 2, 4)])
def test_box_table_encoder_outputs_and_gradients(feat_merge, pool, nLayers, decDim):
    lg.manualSeed(3)
    enc = small_encoder(feat_merge, pool, nLayers=nLayers, decDim=decDim)
    enc.shareTranforms()
    # layers 3 and 4 share the weights of layers 1 and 2
    assert enc.transforms[2].weight.isSetTo(enc.transforms[0].weight)
    assert enc.transforms[3].bias.isSetTo(enc.transforms[1].bias)
    x = lg.LongTensor(np.random.RandomState(4).randint(0, 9, (12, 4)))   # 2 tables of 3 rows of 2 cells
    out = enc.network.forward(x)
    assert len(out) == 5 and list(out[4].size()) == [2, 6, decDim] and list(out[0].size()) == [2, decDim]
    # the context of the mean/max of each row's cells: check the pooled states by hand for the concat case
    if feat_merge == 'concat':
        emb = enc.lut.weight.numpy()[x.numpy()].reshape(12, 12)
        lin = enc.network.findModules('nn.Linear')[0][0]
        cell = np.tanh(emb @ lin.weight.numpy().T + lin.bias.numpy())
        rows = cell.reshape(6, 2, 4).mean(1).reshape(2, 12)
        t0 = enc.transforms[0]
        np.testing.assert_allclose(out[0].numpy(), rows @ t0.weight.numpy().T + t0.bias.numpy(), rtol=1e-10)
    # parameters' gradients by finite differences through the whole graph
    params, gradParams = enc.getParameters()
    rng = np.random.RandomState(5)
    weights = [lg.Tensor(rng.randn(*o.size())) for o in out]

    def loss():
        outs = enc.network.forward(x)
        return sum(float((o * w).sum()) for o, w in zip(outs, weights))
    gradParams.zero()
    enc.network.forward(x)
    enc.network.backward(x, weights)
    analytic = gradParams.clone()
    eps = 1e-6
    for k in rng.choice(params.nElement(), 25, replace=False):
        keep = float(params[int(k)])
        params[int(k)] = keep + eps
        fp = loss()
        params[int(k)] = keep - eps
        fm = loss()
        params[int(k)] = keep
        assert float(analytic[int(k)]) == pytest.approx((fp - fm) / (2 * eps), rel=1e-6, abs=1e-9)


def test_lstm_has_no_h2h_bias_and_sets_its_forget_gates_to_two():
    rnn = LSTM(2, 5, 3)
    linears, _ = rnn.findModules('nn.Linear')
    assert sorted(int(m.weight.size(1)) for m in linears) == [3, 3, 3, 5]
    assert sum(m.bias is not None for m in linears) == 2
    rnn.getParameters()[0].fill(0.5)
    rnn.apply(lambda m: m.postParametersInitialization()
              if getattr(m, 'postParametersInitialization', None) else None)
    for m in linears:
        if m.bias is not None:
            assert m.bias.numpy().tolist() == [0.5] * 3 + [2] * 3 + [0.5] * 6


@pytest.mark.parametrize('tanhQuery', [False, True])
def test_global_attention_against_numpy(tanhQuery):
    lg.manualSeed(6)
    att = GlobalAttention(4, True, tanhQuery)
    h = lg.randn(2, 4)
    H = lg.randn(2, 5, 4)
    out, scores = att.forward([h, H])
    lin_in, lin_out = att.net.findModules('nn.Linear')[0]
    q = h.numpy() @ lin_in.weight.numpy().T
    if tanhQuery:
        q = np.tanh(q)
    s = np.einsum('bnd,bd->bn', H.numpy(), q)
    a = np.exp(s - s.max(1, keepdims=True))
    a /= a.sum(1, keepdims=True)
    c = np.einsum('bn,bnd->bd', a, H.numpy())
    want = np.tanh(np.concatenate([c, h.numpy()], 1) @ lin_out.weight.numpy().T)
    np.testing.assert_allclose(scores.numpy(), s, rtol=1e-10)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10)


def test_mom_optim_keeps_a_moving_average_and_update2_decays_only_after_a_rise():
    optim = Optim({'method': 'mom', 'numModels': 1, 'learningRate': 0.5, 'learningRateDecay': 0.5,
                   'startDecayAt': 100, 'mom': 0.9})
    p, g = lg.zeros(2), lg.Tensor([3.0, 4.0])   # norm 5: clipped to 1
    optim.prepareGrad([g], 1)
    optim.updateParams([p], [g])
    np.testing.assert_allclose(p.numpy(), [-0.3, -0.4])   # v = the clipped gradient at first
    g.copy(lg.Tensor([0.6, 0.8]))
    optim.prepareGrad([g], 1)
    np.testing.assert_allclose(g.numpy(), [-0.3, -0.4])   # 0.9 v + 0.1 g, the same vector
    for ppl, lr in ((10, 0.5), (12, 0.25), (11, 0.25), (9, 0.25)):
        optim.updateLearningRate2(ppl, 1)
        assert optim.getLearningRate() == lr


# ---- box_train.lua ----

def small_args(data, save, *extra):
    return ['-data', str(data), '-save_model', str(save), '-rnn_size', '8', '-word_vec_size', '6',
            '-enc_emb_size', '8', '-layers', '1', '-max_batch_size', '4', '-dropout', '0', '-report_every', '1',
            '-seed', '1', *extra]


def test_box_train_main_chunk_trains_and_the_validation_perplexity_falls(tmp_path, capsys):
    write_dataset(tmp_path / 'roto-train.t7')
    box_train.main(small_args(tmp_path / 'roto-train.t7', tmp_path / 'roto', '-epochs', '10', '-learning_rate', '1'))
    out = capsys.readouterr().out
    ppl = [float(v) for v in re.findall(r'Validation perplexity: (\S+)', out)]
    train_ppl = [float(v) for v in re.findall(r'PPL (\S+) ;', out)]
    assert len(ppl) == 10 and len(train_ppl) == 10 * 3   # 12 games in batches of 4, a log line each
    vocab = 4 + 4 + 3 + 10 + 26 + 46   # specials, words, and the 46 DOPEEXTRALABELs main adds
    assert train_ppl[0] == pytest.approx(vocab, rel=0.3)   # near uniform at first
    assert ppl[-1] < 0.5 * ppl[0]
    assert 'regRows: 13; specPadding: 22; nCols: 22; nFeats: 4' in out
    # each better epoch replaced the last checkpoint
    saved = sorted(p.name for p in tmp_path.glob('roto_epoch*.t7'))
    assert len(saved) == 1
    checkpoint = lg.load(str(tmp_path / saved[0]))
    assert checkpoint['info']['validPpl'] == pytest.approx(min(ppl))
    assert checkpoint['dicts']['tgt']['words'].size() == vocab


def build(extra=(), seed=2):
    """box_train.lua's main chunk up to trainModel, on a fresh vocabulary, in doubles (no Cuda.convert): the
    model, its flat parameters and the criterion."""
    set_globals()
    box_train.opt = box_train.cmdline().parse(small_args('d', 's', *extra))
    words = vocabulary()
    colStartIdx = words.size()
    for i in range(1, 47):
        words.add("DOPEEXTRALABEL" + str(i))
    model = {}
    model['decoder'] = Models.buildDecoder(box_train.opt, {'words': words, 'features': []}, False, None)
    model['encoder'] = BoxTableEncoder({'vocabSize': words.size(), 'encDim': 8, 'decDim': 8, 'feat_merge': 'concat',
                                        'nFeatures': 4, 'nLayers': 1, 'nRows': 28, 'nCols': 22, 'pool': 'mean',
                                        'effectiveDecLayers': box_train.opt['layers'] * 2, 'dropout': 0, 'relu': False,
                                        'wordVecSize': 6})
    model['encoder'].lut.share(model['decoder'].inputNet.net, 'weight', 'gradWeight')
    model['encoder'].shareTranforms()
    lg.manualSeed(seed)
    params, gradParams = box_train.initParams(model, False)
    criterion = box_train.buildCriterion(words.size(), [])
    return model, params[0], gradParams[0], criterion, words, colStartIdx


def batch_of(words, colStartIdx, n=2, seed=3):
    rng = np.random.RandomState(seed)
    src, tgt = make_data([game(rng) for _ in range(n)], words)
    data = BoxDataset2(src, tgt, colStartIdx, 4, False)
    data.setBatchSize(n)
    batch = data.getBatch(0)
    batch.totalSize = batch.size
    return batch


def full_loss(model, criterion, batch):
    """box_train.lua's eval on one batch: the summed loss, in evaluation mode (dropout is 0 here)."""
    box_train.allEvaluate(model)
    model['decoder'].resetLastStates()
    aggEncStates, catCtx = box_train.allEncForward(model, batch)
    loss = model['decoder'].computeLoss(batch, aggEncStates, catCtx, criterion)
    box_train.allTraining(model)
    return loss


@pytest.mark.parametrize('extra', [(), ('-tanh_query', '-layers', '2'), ('-copy_generate', '-tanh_query')])
def test_model_gradients_against_finite_differences(extra):
    model, p, gp, criterion, words, colStartIdx = build(('-param_init', '0.5') + extra)
    batch = batch_of(words, colStartIdx)
    gp.zero()
    aggEncStates, catCtx = box_train.allEncForward(model, batch)
    decOutputs = model['decoder'].forward(batch, aggEncStates, catCtx)
    encGradStatesOut, gradContext, loss = model['decoder'].backward(batch, decOutputs, criterion, catCtx.size(1))
    box_train.allEncBackward(model, batch, encGradStatesOut, gradContext)
    assert loss == pytest.approx(full_loss(model, criterion, batch), rel=1e-12)
    analytic = gp.clone()
    rng = np.random.RandomState(5)
    live = np.flatnonzero(np.abs(analytic.numpy()) > 1e-5)
    assert len(live) > 0.3 * p.nElement()
    eps = 1e-5
    for k in rng.choice(live, 20, replace=False):
        keep = float(p[int(k)])
        p[int(k)] = keep + eps
        fp = full_loss(model, criterion, batch)
        p[int(k)] = keep - eps
        fm = full_loss(model, criterion, batch)
        p[int(k)] = keep
        assert float(analytic[int(k)]) == pytest.approx((fp - fm) / (2 * eps) / batch.totalSize, rel=1e-5, abs=1e-10)


def test_bptt_pieces_carry_the_decoder_states_so_their_losses_sum_to_the_whole():
    model, p, gp, criterion, words, colStartIdx = build()
    batch = batch_of(words, colStartIdx)   # targets of 6 steps
    whole = full_loss(model, criterion, batch)
    model['decoder'].remember()   # trainEpoch's
    model['decoder'].resetLastStates()
    assert batch.splitIntoPieces(4) == 2
    losses = []
    for j in range(2):
        aggEncStates, catCtx = box_train.allEncForward(model, batch)
        decOutputs = model['decoder'].forward(batch, aggEncStates, catCtx)
        encGradStatesOut, gradContext, loss = model['decoder'].backward(batch, decOutputs, criterion, catCtx.size(1))
        losses.append(loss)
        if j == 1:   # the second piece sends no gradient to the encoder's states, only to its context
            assert all(float(g.abs().sum()) == 0 for g in encGradStatesOut[:2])
            assert float(gradContext.abs().sum()) > 0
        batch.nextPiece()
    assert sum(losses) == pytest.approx(whole, rel=1e-12)
    # forgetting the states restarts the second piece from the encoder's: another loss
    model['decoder'].forget()
    batch = batch_of(words, colStartIdx)
    batch.splitIntoPieces(4)
    batch.nextPiece()
    box_train.allEvaluate(model)
    aggEncStates, catCtx = box_train.allEncForward(model, batch)
    restarted = model['decoder'].computeLoss(batch, aggEncStates, catCtx, criterion)
    assert restarted != pytest.approx(losses[1], rel=1e-6)


def test_cindex_add_to_adds_the_copy_probabilities_at_the_source_words_and_its_gradients():
    dst = lg.Tensor([[0.1, 0.2, 0.3, 0.4], [1, 2, 3, 4]])
    src = lg.Tensor([[10, 20, 30], [40, 50, 60]])
    idxs = lg.LongTensor([[3, 0, 3], [1, 1, 2]])   # repeated ids accumulate
    m = CIndexAddTo()
    out = m.forward([dst, src, idxs])
    np.testing.assert_allclose(out.numpy(), [[20.1, 0.2, 0.3, 40.4], [1, 92, 63, 4]])
    assert dst.numpy().tolist()[0] == [0.1, 0.2, 0.3, 0.4]   # not in place by default
    g = lg.Tensor([[1, 2, 3, 4], [5, 6, 7, 8]])
    gi = m.backward([dst, src, idxs], g)
    assert len(gi) == 2 and gi[0].numpy().tolist() == g.numpy().tolist()
    assert gi[1].numpy().tolist() == [[4, 1, 4], [6, 6, 7]]


# ---- beam search (BeamSearcher.lua, Beam.lua, Decoder2Advancer.lua) ----

def tiny_copy_model(seed=7):
    """A -copy_generate model over a table of 2 players and 2 teams of 2 columns (G set to match), 16 words."""
    G.g_nRegRows, G.g_nCols, G.g_specPadding, G.g_nFeatures = 1, 2, 2, 4
    box_train.opt = box_train.cmdline().parse(small_args('d', 's', '-copy_generate', '-tanh_query',
                                                         '-param_init', '0.6'))
    words = Dict([Constants.PAD_WORD, Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD])
    for w in ['a', 'b', 'x', 'y', 'T', 'U']:
        words.add(w)
    colStartIdx = words.size()
    for i in range(1, 7):
        words.add("DOPEEXTRALABEL" + str(i))
    model = {'decoder': Models.buildDecoder(box_train.opt, {'words': words, 'features': []}, False, None)}
    model['encoder'] = BoxTableEncoder({'vocabSize': words.size(), 'encDim': 8, 'decDim': 8, 'feat_merge': 'concat',
                                        'nFeatures': 4, 'nLayers': 1, 'nRows': 4, 'nCols': 2, 'pool': 'mean',
                                        'effectiveDecLayers': 2, 'dropout': 0, 'relu': False, 'wordVecSize': 6})
    model['encoder'].lut.share(model['decoder'].inputNet.net, 'weight', 'gradWeight')
    model['encoder'].shareTranforms()
    lg.manualSeed(seed)
    box_train.initParams(model, False)
    rows = [['x', 'a', 'b'], ['y', 'b', 'b'], [Constants.PAD_WORD, 'a', 'T'], [Constants.PAD_WORD, 'b', 'U']]
    src = {'words': [[words.convertToIdx(r, Constants.UNK_WORD)] for r in rows], 'features': [],
           'triples': [lg.IntTensor(1, 3).zero()]}
    tgt = {'words': [words.convertToIdx(['a'], Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD)],
           'features': []}
    data = BoxDataset2(src, tgt, colStartIdx, 4, True)
    data.setBatchSize(1)
    box_train.allEvaluate(model)
    return model, data.getBatch(0), words.size()


def brute_force(model, batch, vocab, max_len):
    """Every hypothesis the searcher may finish: a first token other than EOS, then tokens up to EOS or until
    max_len + 1 tokens; {tokens: summed log-probability}, each step scored by the decoder and generator."""
    aggEncStates, catCtx = box_train.allEncForward(model, batch)
    dec = model['decoder']
    sourceWords = batch.getSourceWords()
    found = {}

    def walk(prefix, states, prevOut, score):
        token = lg.IntTensor([prefix[-1] if prefix else Constants.BOS])
        out, states = dec.forwardOne(token, states, catCtx, prevOut)
        out, states = out.clone(), [x.clone() for x in states]   # the network's buffers, which deeper calls reuse
        logp = dec.generator.forward([out, catCtx, states[-1], sourceWords])[0][0].clone()
        for w in range(vocab):
            seq = prefix + [w]
            s = score + float(logp[w])
            if w == Constants.EOS and len(seq) == 1:
                continue   # Decoder2Advancer:filter prunes empty hypotheses
            if w == Constants.EOS or len(seq) == max_len + 1:
                found[tuple(seq)] = s
            else:
                walk(seq, states, out, s)
    walk([], aggEncStates, None, 0.0)
    return found


def beam_search(model, batch, beamSize, max_len):
    from tests.porting.data2text.BeamSearcher import BeamSearcher
    from tests.porting.data2text.Decoder2Advancer import Decoder2Advancer
    aggEncStates, catCtx = box_train.allEncForward(model, batch)
    advancer = Decoder2Advancer(model['decoder'], batch, catCtx, max_len, None, aggEncStates, None)
    results = BeamSearcher(advancer).search(beamSize, 1, 1, False)
    top = results[0][0]
    return tuple(int(v) for v in top['tokens']), float(top['score'])


def test_beam_search_finds_what_a_brute_force_search_finds():
    model, batch, vocab = tiny_copy_model()
    found = brute_force(model, batch, vocab, 2)
    assert len(found) == (vocab - 1) + (vocab - 1) * (vocab - 1) * vocab   # EOS second, or three tokens
    best = max(found, key=found.get)
    # a beam as wide as the hypotheses at the last step keeps them all: exact
    tokens, score = beam_search(model, batch, (vocab - 1) * vocab, 2)
    assert tokens == best and score == pytest.approx(found[best], abs=1e-9)
    # narrow beams return a hypothesis scored as the brute force scores it, no better than the best
    for beamSize in (1, 3):
        tokens, score = beam_search(model, batch, beamSize, 2)
        assert tokens in found and score == pytest.approx(found[tokens], abs=1e-9) and score <= found[best] + 1e-12
    # beam 1 (greedy) ends its hypothesis with the best last token after its prefix
    tokens, _ = beam_search(model, batch, 1, 2)
    assert found[tokens] == max(v for k, v in found.items() if k[0] == tokens[0] and (len(k) < 2 or k[1] == tokens[1]))


def test_box_train_copy_model_trains_then_just_gen_writes_beam_search_summaries(tmp_path, capsys):
    """README.md's flow: box_train.lua -copy_generate, then the same options with -train_from the best checkpoint,
    -just_gen and -gen_file."""
    write_dataset(tmp_path / 'roto-train.t7', ntrain=8, nvalid=3)
    args = small_args(tmp_path / 'roto-train.t7', tmp_path / 'roto_jc', '-copy_generate', '-tanh_query',
                      '-max_bptt', '4', '-optim', 'adam', '-learning_rate', '0.05')
    box_train.main(args + ['-epochs', '6'])
    out = capsys.readouterr().out
    ppl = [float(v) for v in re.findall(r'Validation perplexity: (\S+)', out)]
    assert len(ppl) == 6 and min(ppl) < 0.6 * ppl[0]
    best, = tmp_path.glob('roto_jc_epoch*.t7')
    box_train.main(args + ['-train_from', str(best), '-just_gen', '-beam_size', '3',
                           '-gen_file', str(tmp_path / 'gens.txt')])
    out = capsys.readouterr().out
    assert 'copying loaded params...' in out and 'using max len:' in out
    lines = (tmp_path / 'gens.txt').read_text().splitlines()
    assert len(lines) == 3   # one summary per validation game
    known = set(vocabulary().labelToIdx) | {'DOPEEXTRALABEL%d' % i for i in range(1, 47)}
    assert all(len(line.split()) > 0 and set(line.split()) <= known for line in lines)
    # -just_eval of the checkpoint gives back its validation perplexity
    box_train.main(args + ['-train_from', str(best), '-just_eval'])
    again = float(re.findall(r'Validation perplexity: (\S+)', capsys.readouterr().out)[0])
    assert again == pytest.approx(lg.load(str(best))['info']['validPpl'], rel=1e-5)


@pytest.mark.gpu
def test_box_train_on_the_gpu_trains_the_copy_model(tmp_path, capsys):
    """-gpuid 1: onmt.utils.Cuda.convert moves the model, criterion and batches to CUDA (LongTensors to
    CudaLongTensor), as the README runs it; -just_eval of the best checkpoint gives back its perplexity."""
    write_dataset(tmp_path / 'roto-train.t7', ntrain=8, nvalid=3)
    args = small_args(tmp_path / 'roto-train.t7', tmp_path / 'roto_jc', '-copy_generate', '-tanh_query',
                      '-max_bptt', '4', '-optim', 'adam', '-learning_rate', '0.05', '-gpuid', '1')
    try:
        box_train.main(args + ['-epochs', '4'])
        ppl = [float(v) for v in re.findall(r'Validation perplexity: (\S+)', capsys.readouterr().out)]
        assert len(ppl) == 4 and min(ppl) < 0.6 * ppl[0]
        best, = tmp_path.glob('roto_jc_epoch*.t7')
        box_train.main(args + ['-train_from', str(best), '-just_eval'])
        again = float(re.findall(r'Validation perplexity: (\S+)', capsys.readouterr().out)[0])
        assert again == pytest.approx(min(ppl), rel=1e-4)
    finally:
        Cuda.activated = False


@pytest.mark.gpu
def test_beam_search_on_the_gpu_finds_the_cpu_hypothesis():
    model, batch, vocab = tiny_copy_model()
    want = beam_search(model, batch, 3, 2)
    try:
        Cuda.activated = True   # Cuda.init with -gpuid 1
        Cuda.convert(model)
        Cuda.convert(batch)
        tokens, score = beam_search(model, batch, 3, 2)
    finally:
        Cuda.activated = False
    assert tokens == want[0] and score == pytest.approx(want[1], rel=1e-5)



# ---- extractor.lua (the information-extraction evaluation) ----

def test_marginal_nll_criterion_by_hand_and_its_gradient_by_finite_differences():
    p = nn.SoftMax().forward(lg.Tensor(np.random.RandomState(8).randn(3, 5)))
    t = lg.LongTensor([[1, 2, 2], [3, 0, 1], [0, 0, 0]])   # labels {1, 2}, {3}, none
    crit = MarginalNLLCriterion()
    P = p.numpy()
    want = -(np.log(P[0, 1] + P[0, 2]) + np.log(P[1, 3])) / 3
    assert crit.forward(p, t) == pytest.approx(want, rel=1e-12)
    g = crit.backward(p, t).clone()
    eps = 1e-6
    for i in range(3):
        for j in range(5):
            keep = float(p[i][j])
            p[i][j] = keep + eps
            fp = crit.forward(p, t)
            p[i][j] = keep - eps
            fm = crit.forward(p, t)
            p[i][j] = keep
            assert float(g[i][j]) == pytest.approx((fp - fm) / (2 * eps), rel=1e-6, abs=1e-12)
    crit.sizeAverage = False
    assert crit.forward(p, t) == pytest.approx(3 * want, rel=1e-12)


IE_WORDS = 12   # word ids 0..11; labels 0..3, 3 the NONE label


def ie_split(rng, n):
    """Candidate relations as data_utils.py's make_ie_data writes them: a sentence, each word's distance to the
    entity and to the number, and the correct labels (the last column their count). The label is the number's
    word modulo 4 (a second correct label when the word before the entity is 0)."""
    lens = rng.randint(4, 8, n)
    sents = np.zeros((n, 7), np.int64)
    ent, num = np.zeros((n, 7), np.int64), np.zeros((n, 7), np.int64)
    labels = np.zeros((n, 3), np.int64)
    for i, L in enumerate(lens):
        sents[i, :L] = rng.randint(0, IE_WORDS, L)
        e, m = rng.choice(L - 1, 2, replace=False)
        ent[i] = np.arange(7) - e
        num[i] = np.arange(7) - m
        labels[i, 0] = sents[i, m] % 4
        labels[i, 1] = (labels[i, 0] + 1) % 3
        labels[i, 2] = 2 if e > 0 and sents[i, e - 1] == 0 else 1
    return sents, lens, ent, num, labels


def write_ie_data(path, seed=0):
    rng = np.random.RandomState(seed)
    f = hdf5.open(str(path), 'w')
    for prefix, n in (('tr', 120), ('val', 40), ('test', 40)):
        sents, lens, ent, num, labels = ie_split(rng, n)
        for name, value in (('sents', sents), ('lens', lens), ('entdists', ent), ('numdists', num),
                            ('labels', labels)):
            f.write(prefix + name, lg.from_numpy(value))
    f.close()


def test_extractor_prep_data_shifts_distances_pads_batches_and_sizes_the_tables(tmp_path):
    write_ie_data(tmp_path / 'roto-ie.h5')
    extractor.opt = extractor.cmdline().parse(['-datafile', str(tmp_path / 'roto-ie.h5')])
    lg.manualSeed(1)
    tr, val, V_sizes, nlabels, pred, restarts = extractor.prep_data(32)
    assert nlabels == 4 and pred is None and restarts is None
    f = hdf5.open(str(tmp_path / 'roto-ie.h5'))
    ent = [f.read(k).all() for k in ('trentdists', 'valentdists')]
    f.close()
    assert extractor.min_entdist == min(int(e.min()) for e in ent)
    assert extractor.ent_dist_pad == int(ent[0].max()) - extractor.min_entdist + 1   # shifted to start at 0
    assert V_sizes == [IE_WORDS + 1, extractor.ent_dist_pad + 1, extractor.num_dist_pad + 1]
    assert [len(b['labels']) for b in tr] == [32, 32, 32, 24] and len(val) == 2
    b = val[0]
    lens = (b['ent_dists'] != extractor.ent_dist_pad).sum(1)
    for k in range(b['sent'].size(0)):
        n = int(lens[k])
        assert (b['sent'][k].sub(n, b['sent'].size(1) - 1) == extractor.word_pad).all() if n < b['sent'].size(1) \
            else True
        # the entity sits where its shifted distance is -min_entdist
        assert int(b['ent_dists'][k].eq(-extractor.min_entdist).sum()) == 1
    assert b['labelnums'] is not None and int(b['labelnums'][0]) in (1, 2)
    # the conv model reads the three id tables and gives a distribution over the labels (CPU here)
    extractor.opt.update({'embed_size': 6, 'num_filters': 4, 'conv_fc_layer_size': 5, 'dropout': 0})
    model = extractor.make_conv_model(V_sizes, [6, 3, 3], nlabels, extractor.opt)
    out = model.forward([b['sent'], b['ent_dists'], b['num_dists']])
    assert list(out.size()) == [32, 4] and np.allclose(out.numpy().sum(1), 1)


@pytest.mark.gpu
def test_extractor_trains_the_conv_model_and_evaluates_candidate_relations(tmp_path, capsys, monkeypatch):
    """extractor.lua's training run (README: -lr 0.7 -embed_size ... -savefile) on CUDA, then eval_gens over the
    validation relations as generated ones, with the trained model as a one-model ensemble."""
    write_ie_data(tmp_path / 'roto-ie.h5')
    monkeypatch.chdir(tmp_path)
    extractor.main(['-datafile', 'roto-ie.h5', '-num_filters', '16', '-conv_fc_layer_size', '32', '-dropout', '0',
                    '-epochs', '6', '-lr', '1', '-batchsize', '8', '-embed_size', '16', '-savefile', 'roto-convie',
                    '-ignore_idx', '3'])
    out = capsys.readouterr().out
    losses = [float(v) for v in re.findall(r'train loss:\s+(\S+)', out)]
    lrs = [float(v) for v in re.findall(r'lr:\s+(\S+)', out)]
    assert len(losses) == 6 and all(b < a for a, b in zip(losses[1:], losses[2:])) and losses[-1] < losses[0]
    assert lrs[0] == 1 and lrs[-1] < 1   # halved after an epoch whose accuracy did not improve
    saved = sorted(tmp_path.glob('roto-convie-ep*'))
    assert len(saved) == 6
    # -just_eval's eval_gens: the candidate relations' tuples, one line each for those not predicted NONE
    (tmp_path / 'roto-ie.dict').write_text(''.join('w%d %d\n' % (i, i) for i in range(IE_WORDS + 1)))
    (tmp_path / 'roto-ie.labels').write_text('A 0\nB 1\nC 2\nNONE 3\n')
    extractor.opt.update({'dict_pfx': 'roto-ie', 'preddata': 'gens.h5'})
    model = extractor.make_conv_model([IE_WORDS + 1, extractor.ent_dist_pad + 1, extractor.num_dist_pad + 1],
                                      [16, 8, 8], 4, extractor.opt).cuda()
    model.getParameters()[0].copy(lg.load(str(saved[-1])))
    _, val, _, _, _, _ = extractor.prep_data(16)
    acc = extractor.eval_gens(val, None, lg.LongTensor([0, 20]), [model], None)
    lines = (tmp_path / 'gens.h5-tuples.txt').read_text().split('\n')
    # a blank line where each table starts (candidates 0 and 20), then every candidate not predicted NONE
    assert lines[0] == '' and lines[21] == '' and len([x for x in lines if x]) == 40
    ent, num, label = lines[1].split('|')
    assert label in 'ABC' or label == 'NONE'
    assert 0 <= acc <= 1 and 'nodup prec' in capsys.readouterr().out
