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
    opt = run_main(tmp_path, [3, 4, 3, 4], epochs=6)
    print(opt.train_perf, opt.val_perf)
    assert opt.train_perf[-1] < 0.5 * opt.train_perf[0]
