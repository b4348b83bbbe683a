"""Tests of the s2sa/beam.lua port (tests/porting/seq2seq_attn_beam.py) on a model that tests/porting/seq2seq_attn.py
builds and saves as train.lua's checkpoint: the beam against an exhaustive search over a tiny vocabulary, the
scores it reports against a separate teacher-forced scoring, score_gold, and the unk replacement through the
source-target dictionary. Stand-ins: randomly initialised models and *.dict files written here, since the
repository ships no trained model."""
import itertools
import types

import numpy as np
import pytest

import legonn as lg
from tests.porting import seq2seq_attn as T
from tests.porting import seq2seq_attn_beam as B
from tests.porting.test_seq2seq_attn import options, seq2seq_globals  # noqa: F401 (a fixture)

WORDS = ['<blank>', '<unk>', '<s>', '</s>', 'x', 'y']


@pytest.fixture(autouse=True)
def beam_globals(seq2seq_globals, monkeypatch):
    """beam.lua's globals, on top of the training port's (memory.lua's methods, DoubleTensor)."""
    monkeypatch.setattr(B, 'opt', None)
    monkeypatch.setattr(B, 'model_opt', None)


def saved_model(tmp_path, seed, words=WORDS, **kw):
    """train.lua's final checkpoint of a randomly initialised model, and the *.dict files preprocess.py writes."""
    lg.manualSeed(seed)
    T.opt = options(param_init=1.0, **kw)
    T.setup(types.SimpleNamespace(source_size=len(words), target_size=len(words), num_source_features=0,
                                  total_source_features_size=0))
    lg.save(str(tmp_path / 'model.t7'), [[T.encoder, T.decoder, T.generator], dict(T.opt.__dict__)])
    for name in ('src', 'targ'):
        (tmp_path / (name + '.dict')).write_text(''.join('%s %d\n' % (w, i + 1) for i, w in enumerate(words)))


def beam_options(tmp_path, **kw):
    o = dict(model=str(tmp_path / 'model.t7'), src_dict=str(tmp_path / 'src.dict'),
             targ_dict=str(tmp_path / 'targ.dict'), targ_file='', srctarg_dict=str(tmp_path / 'en-de.dict'),
             beam=5, max_sent_l=10, simple=0, replace_unk=0, score_gold=0, n_best=1)
    o.update(kw)
    return types.SimpleNamespace(**o)


def teacher_forced_score(source, hyp):
    """The summed log-probabilities of hyp's tokens after the start, one sentence, without the beam's batching."""
    enc, dec, gen = B.model
    state = [lg.zeros(1, B.model_opt.rnn_size) for _ in range(2)]
    context = lg.zeros(1, source.size(0), B.model_opt.rnn_size)
    for t in range(source.size(0)):
        state = enc.forward([source[t:t + 1], *state])
        context[:, t].copy(state[-1])
    state = [lg.zeros(1, B.model_opt.rnn_size), *(s.clone() for s in state)]
    total = 0.0
    for prev, word in zip(hyp[:-1], hyp[1:]):
        out = dec.forward([lg.LongTensor([prev]), context, *state])
        total += float(gen.forward(out[-1])[0][word])
        state = [out[-1].clone(), out[0].clone(), out[1].clone()]
    return total


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_beam_as_wide_as_the_vocabulary_finds_the_exhaustive_best(tmp_path, seed):
    """With max_sent_l 3 (two predicted tokens) and a beam as wide as the allowed tokens, every allowed first token
    stays in the beam, so generate_beam's answer is the best of: END alone, or any two allowed tokens (PAD and START are
    disallowed; the beam keeps extending past END)."""
    saved_model(tmp_path, seed)
    B.init(beam_options(tmp_path, beam=len(WORDS) - 2, max_sent_l=3))
    source = lg.LongTensor([4, 5, 5])
    hyp, score = B.generate_beam(B.model, B.State.initial(B.START), B.opt.beam, 3, source, [], None)[:2]
    allowed = [w for w in range(len(WORDS)) if w not in (B.PAD, B.START)]
    candidates = [[B.START, B.END]] + [[B.START, a, b] for a, b in itertools.product(allowed, allowed)]
    scored = {tuple(c): teacher_forced_score(source, c) for c in candidates}
    best = max(scored, key=scored.get)
    assert list(best) == hyp
    np.testing.assert_allclose(score, scored[best], rtol=1e-5)


def test_beam_scores_and_score_gold_match_teacher_forcing(tmp_path):
    saved_model(tmp_path, 5)
    (tmp_path / 'gold.txt').write_text('x y x\n')
    B.init(beam_options(tmp_path, beam=3, max_sent_l=6, score_gold=1, targ_file=str(tmp_path / 'gold.txt')))
    source = lg.LongTensor([4, 4, 5])
    gold, _ = B.sent2wordidx('x y x', B.word2idx_targ, 1)
    hyp, score, attn, gold_score, all_sents, all_scores, _ = B.generate_beam(
        B.model, B.State.initial(B.START), 3, 6, source, [], gold)
    np.testing.assert_allclose(score, teacher_forced_score(source, hyp), rtol=1e-5)
    np.testing.assert_allclose(gold_score, teacher_forced_score(source, gold.tolist()), rtol=1e-9)
    assert len(attn) == len(hyp) and all(0 <= a < 3 for a in attn[1:])
    for k in range(3):
        np.testing.assert_allclose(float(all_scores[k]), teacher_forced_score(source, all_sents[k]), rtol=1e-5)
    assert list(all_scores.numpy()) == sorted(all_scores.numpy(), reverse=True)


def test_search_replaces_unk_with_the_dictionary_entry_of_the_attended_source_word(tmp_path):
    saved_model(tmp_path, 6)
    (tmp_path / 'en-de.dict').write_text('zebra ||| Zebra\n')
    B.init(beam_options(tmp_path, replace_unk=1, beam=2, max_sent_l=5, n_best=2))
    assert B.phrase_table == {'zebra': ' Zebra'}   # the right-hand side keeps its space
    # wordidx2sent on a prediction whose second word is UNK, attending to source word 2
    assert B.wordidx2sent([B.START, 4, B.UNK, B.END], B.idx2word_targ, ['x', 'y', 'zebra'], [B.START, 0, 2, 1],
                          True) == 'x  Zebra'
    assert B.wordidx2sent([B.START, B.UNK, B.END], B.idx2word_targ, ['gnu'], [B.START, 0, 0], True) == 'gnu'
    pred_sent, nbests = B.search('x <unk> zebra-|-ignored y')
    assert set(pred_sent.split()) <= {'x', 'y', 'Zebra', 'zebra', '</s>'} and len(nbests) == 2
    assert nbests[0].startswith('1 ||| ') and nbests[1].startswith('2 ||| ')


def test_evaluate_decodes_a_source_file_and_convert_to_cpu_keeps_the_predictions(tmp_path, capsys):
    """evaluate.lua over a two-line source file, on the checkpoint and on convert_to_cpu.lua's double copy of it
    saved as float (the Lua converts a CUDA model; beam.lua's states are DoubleTensors on the CPU, so only the
    converted file decodes there): the same predictions and the perplexity line."""
    saved_model(tmp_path, 7)
    float_model, model_opt = lg.load(str(tmp_path / 'model.t7'))
    lg.save(str(tmp_path / 'float.t7'), [[m.float() for m in float_model], model_opt])
    B.convert_to_cpu_main(types.SimpleNamespace(gpu_file=str(tmp_path / 'float.t7'),
                                                cpu_file=str(tmp_path / 'cpu.t7'), gpuid=-1))
    (tmp_path / 'src.txt').write_text('x y y\ny x\n')
    outputs = []
    for name in ('model.t7', 'cpu.t7'):
        B.evaluate_main(beam_options(tmp_path, model=str(tmp_path / name), src_file=str(tmp_path / 'src.txt'),
                                     output_file=str(tmp_path / 'pred.txt'), beam=3, max_sent_l=6))
        outputs.append((tmp_path / 'pred.txt').read_text().splitlines())
        assert 'PRED AVG SCORE: ' in capsys.readouterr().out
    assert len(outputs[0]) == 2 and outputs[0] == outputs[1]
    cpu_model, _ = lg.load(str(tmp_path / 'cpu.t7'))
    assert all(p.type() == 'torch.DoubleTensor' for m in cpu_model for p in m.parameters()[0])
