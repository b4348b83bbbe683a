"""eladhoffer/seq2seq.torch run through its port, tests/porting/seq2seq_torch/ (vocabulary.lua, seqProvider.lua,
Seq2Seq.lua, opt.lua, main.lua, thoughtVectors.lua, and eladtools' EarlyStop.lua; each file's docstring lists its
edits), on top of the recurrent.torch port.

Stand-in data: a tiny synthetic parallel corpus, an "English" of 8 words and a "French" that writes each word as
its capital plus 'x' (``a b`` -> ``Ax Bx``, lowercased by the tokenizer to ``ax bx``), 60 sentence pairs of 2 to 5
words, written into tmp_path. main.lua runs with a 32-wide GRU, batches of 8, for 12 epochs (its endless loop's
stand-in): the loss falls and the sampled translations are read."""
import builtins
import math
import os
import random

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim

from . import recurrent_torch as recurrent
from .seq2seq_torch import main as main_lua
from .seq2seq_torch import thoughtVectors
from .eladtools.EarlyStop import EarlyStop
from .seq2seq_torch.Seq2Seq import Seq2Seq
from .seq2seq_torch.seqProvider import seqProvider
from .seq2seq_torch.vocabulary import SimpleTokenizer, simpleTokenizer, vocabulary

WORDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """main.lua writes ./Results/<date>/ and seqProvider ./cache/ (the working directory); opt.lua sets the default
    tensor type and cmd:log replaces print: all put back afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(builtins, 'print', builtins.print)
    old = lg.getdefaulttensortype()
    yield
    lg.setdefaulttensortype(old)


def write_corpus(n=60, seed=0):
    rng = random.Random(seed)
    en, fr = [], []
    for _ in range(n):
        s = [rng.choice(WORDS) for _ in range(rng.randint(2, 5))]
        en.append(' '.join(s))
        fr.append(' '.join(w.upper() + 'x' for w in s))
    with open('en.txt', 'w') as f:
        f.write('\n'.join(en) + '\n')
    with open('fr.txt', 'w') as f:
        f.write('\n'.join(fr) + '\n')
    return en, fr


def test_tokenizer_and_vocabulary_ids():
    """simpleTokenizer drops punctuation, squeezes spaces, splits off an apostrophe and lowercases; the vocabulary
    puts <PAD>, <UNK>, <GO>, <EOS> at ids 0-3 (the Lua's 1-4) and the words after them in order of appearance."""
    assert simpleTokenizer("Hello,  world's (end)!\n") == ['hello', 'world', "'s", 'end']
    with open('t.txt', 'w') as f:
        f.write('b a b\nc a\n')
    v = vocabulary({'source': 't.txt'})
    assert [v.pad(), v.unk(), v.go(), v.eos()] == [0, 1, 2, 3]
    assert [v.vocab[w] for w in ('b', 'a', 'c')] == [4, 5, 6]
    assert v.size() == 7
    enc = v.encode('a zz c')
    assert enc.type() == 'torch.IntTensor' and enc.tolist() == [5, v.unk(), 6]
    assert v.decode(enc) == ['a', '<UNK>', 'c']
    assert v.encode('a b c', 4) is None            # shorter than minLength
    v.reduceFrequent(5)                             # the Lua's ids 1..5: the four tokens and 'b'
    assert v.vocab['b'] == 4 and v.vocab['a'] is None and v.size() == 5


def test_seq_provider_frames_and_pads_batches():
    """getBatch: batch x (longest + <GO> + <EOS>), padded with <PAD>; lines served in order; nil once the index
    reaches the last line (the Lua's ``>=``: the last line is never served alone)."""
    with open('s.txt', 'w') as f:
        f.write('a b c\nd\ne f\n')
    p = seqProvider({'source': 's.txt', 'padStart': True, 'padEnd': True, 'cacheFolder': './c/'})
    v = p.vocab
    assert p.size() == 3
    b = p.getBatch(2)
    ids = lambda ws: [v.vocab[w] for w in ws]
    assert b.tolist() == [[v.go()] + ids('abc') + [v.eos()], [v.go()] + ids('d') + [v.eos(), v.pad(), v.pad()]]
    assert p.getBatch(2) is None
    p.reset()
    plain = seqProvider({'source': 's.txt', 'cacheFolder': './c/', 'preprocess': False})
    assert plain.getBatch(3).tolist() == [ids('abc'), ids('d') + [v.pad(), v.pad()], ids('ef') + [v.pad()]]


def test_vocabulary_cache_round_trips_with_its_tokenizer():
    """seqProvider saves the vocabulary (and the preprocessed lines) in ./cache/ and a second provider loads them:
    the tokenizer field, a function Torch7 saves as bytecode, is the registered SimpleTokenizer here (lg.save refuses
    a function, docs/porting.md's row), and the loaded vocabulary encodes as the first."""
    with open('s.txt', 'w') as f:
        f.write('a b c\nd\ne f\n')
    first = seqProvider({'source': 's.txt'})
    assert os.path.exists('cache/s.txt_vocab.t7') and os.path.exists('cache/s.txt_cached.t7')
    with pytest.raises(TypeError, match='function'):
        lg.save('f.t7', {'tokenizer': lambda s: s.split(' ')})
    second = seqProvider({'source': 's.txt'})
    assert second.vocab is not first.vocab and isinstance(second.vocab.tokenizer, SimpleTokenizer)
    assert second.encode('c, b!').tolist() == first.encode('c b').tolist()
    assert [t.tolist() for t in second.data] == [t.tolist() for t in first.data]


def test_seq2seq_backward_passes_the_gradient_state_to_the_encoder():
    """Seq2Seq:backward hands the decoder's gradient state to the encoder (accGradState) and back-propagates the
    encoder from a zero gradOutput: the encoder's parameter gradients are the loss's, as central differences of
    the encoder-decoder forward say (DoubleTensor)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(3)
    enc = nn.Sequential().add(nn.LookupTable(6, 4)).add(recurrent.Reverse(1)).add(recurrent.GRU(4, 4))
    dec = nn.Sequential().add(nn.Sequential().add(nn.LookupTable(6, 4)).add(recurrent.GRU(4, 4))) \
        .add(recurrent.TemporalModule(nn.Linear(4, 6)))
    s2s = Seq2Seq({'encoder': enc, 'batchSize': 2})
    s2s.addDecoder(dec)
    recurrent.sequence(s2s)
    xe = lg.LongTensor([[1, 2, 3], [4, 5, 1]])
    xd = [lg.LongTensor([[2, 1, 4, 4], [2, 3, 3, 0]])]
    w = lg.randn(2, 4, 6)

    def loss():
        recurrent.forget(s2s)
        recurrent.zeroState(s2s)
        return float((s2s.forward(xe, xd)[0] * w).sum())

    loss()
    s2s.zeroGradParameters()
    recurrent.zeroGradState(s2s)
    s2s.backward(xe, xd, [w])
    gru_params, gru_grads = enc.modules[2].parameters()
    lookup = enc.modules[0]
    eps = 1e-6
    checked = 0
    for p, g in [(lookup.weight, lookup.gradWeight), (gru_params[0], gru_grads[0])]:
        pv, gv = p.view(-1), g.view(-1)
        for k in range(0, pv.nElement(), 7):
            v = float(pv[k])
            pv[k] = v + eps; lp = loss()
            pv[k] = v - eps; lm = loss()
            pv[k] = v
            assert abs(float(gv[k]) - (lp - lm) / (2 * eps)) < 1e-6
            checked += abs(float(gv[k])) > 1e-4
    assert checked > 3     # the encoder does receive gradient


def test_early_stop():
    """eladtools' EarlyStop: stops after allowedBadIters epochs without a new lowest, or at maxIterations."""
    es = EarlyStop(2, 10)
    assert [es.update(e) for e in (3, 2, 2.5, 2.1, 1)] == [False, False, False, True, False]
    assert es.lowest() == (1, 5)
    assert EarlyStop(5, 2).update(1) is False and EarlyStop(1, 1).update(1) is True


def test_main_trains_and_translates(tmp_path):
    """main.lua end to end on the synthetic corpus (-type float): the training loss (Seq2Seq:learn's masked
    cross-entropy) falls every few epochs to well under a fifth of the first; sampling the two-word sentences gives
    their translations; each epoch's Net_<epoch>.t7 is saved and ``-load`` resumes from it."""
    write_corpus()
    arg = ['-type', 'float', '-rnnSize', '32', '-batchSize', '8', '-seqLength', '8', '-LR', '0.01',
           '-threads', '1', '-save', 'run']
    losses, samples, s2s = main_lua.main(arg, 'en.txt', 'fr.txt', 12, ['d e', 'h g', 'b a'])
    assert len(losses) == 12 and all(np.isfinite(losses))
    assert losses[-1] < 0.2 * losses[0]
    assert losses[0] > 1.5 and math.exp(losses[-1]) < 1.5
    assert all(w.endswith('x') for s in samples for w in s.split(' '))
    assert sum(s == t for s, t in zip(samples, ['dx ex', 'hx gx', 'bx ax'])) >= 2
    saved = sorted(os.listdir('Results/run'))
    assert 'Net_12.t7' in saved and 'log.txt' in saved
    net = lg.load('Results/run/Net_12.t7')
    assert lg.typename(net['recurrentEncoder'].modules[2]) == 'nn.RecurrentContainer'
    assert net['vocabDecode'].vocab['ax'] is not None
    resumed, _, _ = main_lua.main(arg + ['-load', 'Results/run/Net_12.t7'], 'en.txt', 'fr.txt', 1, ['d e'])
    assert resumed[0] < 0.5 * losses[0]


@pytest.mark.gpu
def test_main_on_cuda(tmp_path):
    """opt.lua's default -type cuda (cutorch.setDevice(opt.devid), manualSeed, setHeapTracking): two epochs on the
    GPU train as on the CPU."""
    write_corpus(n=34)
    arg = ['-rnnSize', '16', '-batchSize', '8', '-seqLength', '8', '-LR', '0.01', '-threads', '1', '-save', 'g']
    losses, samples, s2s = main_lua.main(arg, 'en.txt', 'fr.txt', 2, ['d e'])
    assert s2s.params[0].type() == 'torch.CudaTensor'
    cpu, _, _ = main_lua.main(arg + ['-type', 'float', '-save', 'c'], 'en.txt', 'fr.txt', 2, ['d e'])
    np.testing.assert_allclose(losses, cpu, rtol=1e-3)


def test_thought_vectors_learns_the_next_line():
    """thoughtVectors.lua on a text whose lines cycle through four sentences: the encoder reads line k (from the
    second line) and the decoder writes line k + 1; the loss falls and, sampled after training, each sentence is
    followed by the next one of the cycle. The vocabulary, whose tokenizer is the registered LowerSplit, is cached
    and shared by both providers."""
    cycle = ['the cat sat', 'A dog ran', 'the bird flew', 'a fish swam']
    with open('books.txt', 'w') as f:
        f.write('\n'.join(cycle[k % 4] for k in range(66)) + '\n')
    arg = ['-type', 'float', '-rnnSize', '32', '-batchSize', '8', '-seqLength', '6', '-LR', '0.01',
           '-threads', '1', '-save', 'tv']
    losses, samples, _ = thoughtVectors.main(arg, 'books.txt', 10, cycle)
    assert losses[-1] < 0.2 * losses[0]
    assert os.path.exists('cache/books.txt_vocab.t7')
    assert isinstance(lg.load('cache/books.txt_vocab.t7').tokenizer, thoughtVectors.LowerSplit)
    assert sum(s == cycle[(k + 1) % 4].lower() for k, s in enumerate(samples)) >= 3
