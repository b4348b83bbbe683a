"""Tests of the harvardnlp/BSO port (tests/porting/bso/): bso_train.lua's beam-search optimisation on a synthetic
word-ordering task (the source a shuffled bag of words, the target the words in ascending id order), written in
the hdf5 form data_prep/preproc_pp.py gives (word ids from 1: PAD 1, UNK 2, BOS 3, EOS 4; targets
``<s> w.. </s>``, target_l_all the non-PAD count); margin_beam_searcher.lua's search against brute force over a
tiny vocabulary; bleu.lua against hand-computed values. Stand-ins: generated sentences, since the repository's
data (PTB word ordering, dependency parses, IWSLT German-English) is not shipped."""
import itertools
import math
import types

import numpy as np
import pytest

import legonn as lg
from legonn import hdf5, nn
from tests.porting import im2markup
from tests.porting.bso import bso_train as B
from tests.porting.bso import model_utils as MU
from tests.porting.bso.bleu import get_bleu, get_ngram_prec
from tests.porting.bso.margin_beam_searcher import MarginBatchBeamSearcher
from tests.porting.bso.SynchedDropout import SynchedDropout

PAD, BOS, EOS, FIRST_WORD = 1, 3, 4, 5   # preproc_pp.py's ids, from 1


@pytest.fixture(autouse=True)
def bso_globals(monkeypatch):
    """models.lua's `function nn.Module:reuseMem()` and `setReuse` (im2markup's port of the same two methods),
    bso_train.lua's globals reset, and DoubleTensor as the Lua's `torch.Tensor`."""
    for name, method in im2markup.MODULE_METHODS.items():
        monkeypatch.setattr(nn.Module, name, method, raising=False)
    for name in ('opt', 'word_vecs_enc', 'word_vecs_dec', 'decoder_attn', 'layers'):
        monkeypatch.setattr(B, name, None)
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype('torch.FloatTensor')


def options(**kw):
    opt = dict(data_file='', val_data_file='', savefile='', train_from='', num_layers=1, rnn_size=12,
               word_vec_size=8, reverse_src=0, start_symbol=0, init_dec=1, beam_size=2, max_beam_size=3,
               epochs_per_beam_size=2, con='', predcon='', ignore_eos=False, src_dict='', targ_dict='',
               extra_room=5, mt_delt_multiple=0, epochs=4, start_epoch=1, param_init=0.1, learning_rate=0.01,
               max_grad_norm=5, dropout=0.1, curriculum=0, fix_word_vecs_enc=0, fix_word_vecs_dec=0, adagrad=True,
               clip=False, layer_etas='0.1,0.1,0.1', gpuid=-1, save_every=1, print_every=50, seed=3435,
               save_after=100)
    opt.update(kw)
    return types.SimpleNamespace(**opt)


def write_order_task(path, rng, vocab, lengths, batch_l):
    """preproc_pp.py's file for word ordering: sources ``<s> shuffled </s>``, targets ``<s> sorted </s>`` (one
    column fewer in target_output, shifted), padded to the longest; batch_idx the first row of each batch."""
    n_rows = len(lengths) * batch_l
    width = max(lengths) + 2
    source = np.full((n_rows, width), PAD)
    target = np.full((n_rows, width), PAD)
    target_output = np.full_like(target, PAD)
    target_l_all = np.zeros(n_rows, dtype=np.int64)
    for b, n in enumerate(lengths):
        for r in range(b * batch_l, (b + 1) * batch_l):
            words = rng.choice(np.arange(FIRST_WORD, vocab + 1), n, replace=False)
            targ = [BOS, *sorted(words), EOS]
            source[r, :n + 2] = [BOS, *words, EOS]
            target[r, :n + 2] = targ
            target_output[r, :n + 1] = targ[1:]
            target_l_all[r] = n + 2   # the Lua subtracts 1
    f = hdf5.open(str(path), 'w')
    for name, value in [('source', source), ('target', target), ('target_output', target_output),
                        ('target_l', np.array(lengths) + 2), ('target_l_all', target_l_all),
                        ('batch_l', np.full(len(lengths), batch_l)), ('batch_w', np.array(lengths) + 2),
                        ('batch_idx', np.arange(len(lengths)) * batch_l + 1), ('target_size', [vocab]),
                        ('source_size', [vocab]), ('target_nonzeros', (np.array(lengths) + 1) * batch_l)]:
        f.write(name, lg.from_numpy(np.asarray(value, dtype=np.int64)))
    f.close()


def run_main(tmp_path, lengths, batch_l=3, vocab=10, **kw):
    rng = np.random.RandomState(0)
    write_order_task(tmp_path / 'train.hdf5', rng, vocab, lengths, batch_l)
    write_order_task(tmp_path / 'valid.hdf5', rng, vocab, lengths, batch_l)
    opt = options(data_file=str(tmp_path / 'train.hdf5'), val_data_file=str(tmp_path / 'valid.hdf5'),
                  savefile=str(tmp_path / 'bso'), **kw)
    B.main(opt)
    return opt


def test_bso_training_loss_falls_on_word_ordering(tmp_path):
    opt = run_main(tmp_path, [3, 4, 3, 4], epochs=12, layer_etas="0.2,0.2,0.2")
    print(opt.train_perf, opt.val_perf)
    assert opt.train_perf[-1] < 0.5 * opt.train_perf[0]


def test_beam_search_agrees_with_brute_force_over_a_tiny_vocabulary(tmp_path):
    """evalFixedLengthSearch with a beam as wide as the vocabulary keeps every first word, so after two steps its
    best is the best of all V*V continuations, and its beam the V best of them, scored as the Lua scores
    (the generator's last-step output, its LogSoftMax removed); brute force runs the beam decoder on each pair."""
    opt = run_main(tmp_path, [2, 3], batch_l=2, vocab=7, epochs=0)
    d = B.valid_data[1]
    target, source, batch_l, source_l = d[0], d[3], d[4], d[6]
    V, K = B.valid_data.target_size, B.valid_data.target_size
    rnn_state_enc, context = B.fwd_prop_enc(source, source_l, batch_l, False)
    beam_dec, beam_scorer = B.decoder_clones_g[-1], B.generator_clones_g[-1]
    beam_dec.evaluate()
    beam_scorer.evaluate()
    mbbs = MarginBatchBeamSearcher(opt.rnn_size, 2 * opt.num_layers + 1, False)
    mbbs.initSearch(K, batch_l, rnn_state_enc[source_l - 1], target, 2, opt.num_layers)
    beam_ctx = lg.zeros(K * batch_l, source_l, opt.rnn_size)
    inps = lg.LongTensor(K * batch_l).fill(0)
    for n in range(batch_l):
        lg.repeatTensor(beam_ctx.sub(n * K, (n + 1) * K - 1), context.sub(n, n), K, 1, 1)
        inps[n * K] = target[0][n]
    best = mbbs.evalFixedLengthSearch(inps, beam_ctx, beam_dec, beam_scorer, 2)
    beams = [[(p['prev']['val'], p['val']) for p in mbbs.pred_pfxs[n]] for n in range(batch_l)]

    for n in range(batch_l):
        start = [rnn_state_enc[source_l - 1][j][n:n + 1].clone() for j in range(2 * opt.num_layers)]
        start.append(lg.zeros(1, opt.rnn_size))   # the previous attention, zero as initSearch leaves it
        ctx = context[n:n + 1].clone()
        scores = {}
        for w1 in range(V):
            outs = beam_dec.forward([lg.LongTensor([int(target[0][n])]), ctx, *start])
            state = [o.clone() for o in outs]
            outs = beam_dec.forward([lg.LongTensor([w1]), ctx, *state])
            step2 = beam_scorer.forward(outs[-1]).clone()
            for w2 in range(V):
                scores[(w1, w2)] = step2[0][w2]
        ranked = sorted(scores, key=scores.get, reverse=True)
        pred = best[n]['pred']
        assert (pred['prev']['val'], pred['val']) == ranked[0]
        assert pred['prev']['prev']['val'] == BOS - 1
        assert best[n]['score'] == pytest.approx(scores[ranked[0]], abs=1e-9)
        assert set(beams[n]) == set(ranked[:K])


def test_bleu_matches_hand_computed_precisions():
    # cand 5 6 7 8 against ref 5 6 8: unigrams 3/4, bigrams 1/3, trigrams 0/2 (smoothed to 0.5/2), 4-grams 0/1
    # (smoothed to 0.25/1); brevity penalty 1 since the candidate is longer
    prec = get_ngram_prec([5, 6, 7, 8], [5, 6, 8], 4)
    assert prec == {1: [4, 3], 2: [3, 1], 3: [2, 0], 4: [1, 0]}
    expected = (3 / 4 * 1 / 3 * 0.5 / 2 * 0.25 / 1) ** 0.25
    assert get_bleu([5, 6, 7, 8], lg.LongTensor([5, 6, 8])) == pytest.approx(expected)
    assert get_bleu([5, 6], [5, 6, 7, 8]) == pytest.approx(math.exp(1 - 2) * (1 * 1) ** 0.25)


def test_synched_dropout_masks_with_the_shared_noise_and_its_gradient_is_the_jacobian():
    lg.manualSeed(3)
    noise = lg.Tensor(4, 5, 3).bernoulli(0.6).div(0.6)
    m = SynchedDropout(0.4, noise, 2)
    x = lg.Tensor(2, 3).uniform(-1, 1)
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() * noise[2].numpy()[:2])
    assert nn.Jacobian.testJacobian(m, x) < 1e-7
    m.evaluate()
    np.testing.assert_array_equal(m.forward(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match='illegal percentage'):
        SynchedDropout(1)


def test_a_tensor_compared_with_a_number_is_element_wise_where_lua_says_false():
    """margin_beam_searcher.lua's finalStep writes `finalind == 1 and resind[2] or resind[1]`: Lua never calls
    __eq for a userdata and a number, so the test is false and the Lua takes resind[1]; Python's == of a
    one-element tensor and a number is the element-wise comparison, true when the element equals it, so the
    literal port would pick another index (docs/porting.md's row on `t == n`)."""
    finalind = lg.LongTensor([0])
    assert bool(finalind == 0)        # the 0-based literal port of `finalind == 1` would take resind[2]
    assert not bool(finalind == 1)
    resind = lg.LongTensor([4, 9])
    assert (resind[1] if finalind == 0 else resind[0]) == 9   # where the Lua gives resind[1], 4


@pytest.mark.gpu
def test_bso_training_runs_on_cuda_as_the_lua_runs_with_gpuid(tmp_path):
    opt = run_main(tmp_path, [3, 4], epochs=3, gpuid=1, layer_etas='0.2,0.2,0.2')
    assert B.params[0].type() == 'torch.CudaTensor' and B.context_proto.type() == 'torch.CudaTensor'
    assert all(math.isfinite(x) for x in opt.train_perf)


def test_constrained_word_ordering_trains_and_its_search_only_permutes_the_source(tmp_path):
    """-con wo -predcon wo: ConMarginBatchBeamSearcher with WOStateDisqualifier in training and in eval (the
    fixed-length search); every prediction the constrained search makes uses exactly the source's words."""
    opt = run_main(tmp_path, [3, 4, 3, 4], epochs=8, con='wo', predcon='wo', layer_etas='0.2,0.2,0.2')
    assert opt.train_perf[-1] < 0.6 * opt.train_perf[0]
    assert all(math.isfinite(v) and v <= 0 for v in opt.val_perf) and min(opt.val_perf) < 0   # -bleu, some > 0

    from tests.porting.bso.con_margin_beam_searcher import ConMarginBatchBeamSearcher
    from tests.porting.bso.state_disq import WOStateDisqualifier
    d = B.valid_data[1]
    target, source, batch_l, source_l = d[0], d[3], d[4], d[6]
    K, V = 3, B.valid_data.target_size
    rnn_state_enc, context = B.fwd_prop_enc(source, source_l, batch_l, False)
    beam_dec, beam_scorer = B.decoder_clones_g[-1], B.generator_clones_g[-1]
    beam_dec.evaluate()
    beam_scorer.evaluate()
    mbbs = ConMarginBatchBeamSearcher(opt.rnn_size, 2 * opt.num_layers + 1, False)
    mbbs.initSearch(K, batch_l, rnn_state_enc[source_l - 1], target, 2, opt.num_layers)
    beam_ctx = lg.zeros(K * batch_l, source_l, opt.rnn_size)
    inps = lg.LongTensor(K * batch_l).fill(0)
    masks, idxs = lg.Tensor(batch_l * K * V), lg.LongTensor(batch_l * source_l)
    disqs = {}
    for n in range(batch_l):
        lg.repeatTensor(beam_ctx.sub(n * K, (n + 1) * K - 1), context.sub(n, n), K, 1, 1)
        inps[n * K] = target[0][n]
        disqs[n] = WOStateDisqualifier(source.select(1, n), K, V, masks.sub(n * K * V, (n + 1) * K * V - 1),
                                       idxs.sub(n * source_l, (n + 1) * source_l - 1))
    best = mbbs.evalFixedLengthSearch(inps, beam_ctx, beam_dec, beam_scorer, source_l, disqs)
    for n in range(batch_l):
        words, pred = [], best[n]
        while pred['prev'] is not None:
            words.append(pred['val'])
            pred = pred['prev']
        assert sorted(words) == sorted(source.select(1, n).totable())
        for hyp in mbbs.pred_pfxs[n]:   # the whole final beam, not only its best
            words, p = [], hyp
            while p['prev'] is not None:
                words.append(p['val'])
                p = p['prev']
            assert sorted(words) == sorted(source.select(1, n).totable())


def test_a_table_entry_cleared_while_pairs_walks_it_must_walk_a_copy_in_python():
    """state_disq.lua's updateStates sets `self.word_bag[w] = nil` inside `for w, b in pairs(self.word_bag)`:
    Lua allows clearing a field during traversal; Python's dict refuses to change size under its iterator."""
    bag = {5: True, 6: True, 7: True}
    with pytest.raises(RuntimeError, match='changed size during iteration'):
        for w in bag:
            if w == 5:
                del bag[w]
    bag = {5: True, 6: True, 7: True}
    for w in list(bag):
        if w != 6:
            del bag[w]
    assert bag == {6: True}


def write_dicts(tmp_path, vocab):
    names = ['<blank>', '<unk>', '<s>', '</s>'] + ['w%d' % w for w in range(FIRST_WORD, vocab + 1)]
    text = ''.join('%s %d\n' % (w, i + 1) for i, w in enumerate(names))
    for name in ('src', 'targ'):
        (tmp_path / ('wo.%s.dict' % name)).write_text(text)
    return names


@pytest.mark.gpu
@pytest.mark.parametrize('con', ['', 'wo'])
def test_predict_reads_the_checkpoint_and_writes_a_prediction_per_source_line(tmp_path, con):
    """predict.lua (GPU only, as the Lua: see predict.py) on the checkpoint bso_train.lua saves after its last
    epoch: with -con wo every prediction is a permutation of its source line's words."""
    from tests.porting.bso import predict
    run_main(tmp_path, [3, 4], epochs=2, save_after=2, gpuid=1, layer_etas='0.2,0.2,0.2')
    names = write_dicts(tmp_path, 10)
    lines = ['w9 w5 w7', 'w6 w10 w8 w5']
    (tmp_path / 'src.txt').write_text(''.join(line + '\n' for line in lines))
    model = next(tmp_path.glob('bso_epoch2_*.t7'))
    predict.main(types.SimpleNamespace(
        model=str(model), src_file=str(tmp_path / 'src.txt'), targ_file='', output_file=str(tmp_path / 'pred.txt'),
        val_data_file=str(tmp_path / 'valid.hdf5'), src_dict=str(tmp_path / 'wo.src.dict'),
        targ_dict=str(tmp_path / 'wo.targ.dict'), fixed=False, con=con, clean=False, beam_size=3, max_sent_l=12,
        gpuid=1))
    preds = (tmp_path / 'pred.txt').read_text().splitlines()
    assert len(preds) == 2
    for line, pred in zip(lines, preds):
        assert all(w in names for w in pred.split())
        if con == 'wo':
            assert sorted(pred.split()) == sorted(line.split())


def test_pretraining_lowers_perplexity_and_bso_starts_from_its_checkpoint(tmp_path):
    """README's pipeline: pretrain.lua (word-level cross-entropy over make_lstm/make_lstm2), then bso_train.lua
    -train_from its checkpoint (the LogSoftMax dropped, the flat parameters copied into the SynchedDropout
    decoder): the validation perplexity falls, BSO starts from exactly the saved parameters, and its margin
    loss falls from there."""
    from tests.porting.bso import pretrain
    rng = np.random.RandomState(0)
    write_order_task(tmp_path / 'train.hdf5', rng, 10, [3, 4, 3, 4], 3)
    write_order_task(tmp_path / 'valid.hdf5', rng, 10, [3, 4, 3, 4], 3)
    common = dict(data_file=str(tmp_path / 'train.hdf5'), val_data_file=str(tmp_path / 'valid.hdf5'),
                  pre_word_vecs_enc='', pre_word_vecs_dec='', layer_etas='0.2,0.2,0.2', dropout=0.1)
    popt = options(**common, savefile=str(tmp_path / 'pt'), epochs=6, save_after=6)
    pretrain.main(popt)
    assert popt.val_perf[-1] < 0.7 * popt.val_perf[0]
    checkpoint = next(tmp_path.glob('pt_epoch6_*.t7'))

    B.main(options(**common, savefile=str(tmp_path / 'a'), epochs=0, train_from=str(checkpoint)))
    saved = lg.load(str(checkpoint))[0]
    for j in range(3):
        np.testing.assert_array_equal(B.params[j].numpy(), saved[j].getParameters()[0].numpy())
    warm = options(**common, savefile=str(tmp_path / 'b'), epochs=6, train_from=str(checkpoint))
    B.main(warm)
    assert warm.train_perf[-1] < 0.6 * warm.train_perf[0]
