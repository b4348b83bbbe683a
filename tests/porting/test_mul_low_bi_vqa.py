"""jnhwkim/MulLowBiVQA run through its port, tests/porting/mul_low_bi_vqa/ (netdef/MLB.lua, netdef/MCB.lua,
misc/mhdf5.lua, myutils.lua, train.lua, eval.lua; misc/RNNUtils.lua is VQA_LSTM_CNN's port, MCB's
CompactBilinearPooling jnhwkim/cbp's).

Stand-ins: data_prepro.h5 / .json and seconds.json as prepro writes them (1-based word ids with 0 after each
question's length, answers and image positions from 1), tiny: 7 words, 26-word questions as train.lua's fixed
``question_max_length``, the answer a function of the first word so the task is learnable; data_res.h5 holds one
random 2048 x 14 x 14 feature per image under its file name (train.lua's fixed ``nhimage``); the skip-thoughts
``lookup_fix.t7`` (``-num_output 1000`` picks it) and ``gru.t7`` are a LookupTableMaskZero and a GRU of the same
sizes with random weights (the real ones are a 2 GB download). Sizes: 8-d words, a 12-d GRU, 10-d joint space.
"""
import os

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, hdf5, nn

from .mul_low_bi_vqa import eval as mlb_eval
from .mul_low_bi_vqa import myutils, train
from .mul_low_bi_vqa.misc.mhdf5 import mhdf5
from .mul_low_bi_vqa.netdef import load as require_netdef

VOCAB, MAXLEN, NANS, NIMG, E, H = 7, 26, 1000, 3, 8, 12


def make_data(tmp_path, n=12):
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 6, size=n).astype(np.int64)
    ques = np.zeros((n, MAXLEN), np.int64)
    for i, k in enumerate(lengths):
        ques[i, :k] = rng.randint(1, VOCAB + 1, size=k)
    answers = (ques[:, 0] % 3) + 1                          # 1-based, three answers in use
    img_pos = np.arange(n) % NIMG + 1
    mc = np.zeros((n, 4), np.int64)
    mc[:, 0] = answers
    mc[:, 1] = answers % 3 + 1
    ques_h5 = str(tmp_path / 'data_prepro.h5')
    with hdf5.open(ques_h5, 'w') as f:
        for split in ('train', 'test'):
            f.write('/ques_' + split, lg.from_numpy(ques))
            f.write('/ques_length_' + split, lg.from_numpy(lengths))
            f.write('/img_pos_' + split, lg.from_numpy(img_pos))
            f.write('/question_id_' + split, lg.from_numpy(np.arange(n) + 100))
        f.write('/answers', lg.from_numpy(answers))
        f.write('/MC_ans_test', lg.from_numpy(mc))
    names = ['COCO_%d.jpg' % i for i in range(NIMG)]
    img_h5 = str(tmp_path / 'data_res.h5')
    with hdf5.open(img_h5, 'w') as f:
        for name in names:
            f.write(name, lg.from_numpy(rng.uniform(0, 1, (2048, 14, 14)).astype(np.float32)))
    json_path = str(tmp_path / 'data_prepro.json')
    with open(json_path, 'w') as f:
        f.write(cjson.encode({'ix_to_word': {str(i): 'w%d' % i for i in range(1, VOCAB + 1)},
                              'ix_to_ans': {str(i): 'a%d' % i for i in range(1, NANS + 1)},
                              'unique_img_train': ['train2014/' + x for x in names],
                              'unique_img_test': ['test2015/' + x for x in names]}))
    seconds = str(tmp_path / 'seconds.json')
    myutils.saveJson(seconds, {'100': {'p': 0.5, 'answer': 3}})
    skip = tmp_path / 'skipthoughts_model'
    skip.mkdir()
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.save(str(skip / 'lookup_fix.t7'), nn.LookupTableMaskZero(VOCAB, E))
    lg.save(str(skip / 'gru.t7'), nn.GRU(E, H))
    return ['-input_img_h5', img_h5, '-input_ques_h5', ques_h5, '-input_json', json_path]


def train_args(tmp_path, *extra):
    return make_data(tmp_path) + [
        '-input_skip', str(tmp_path / 'skipthoughts_model'), '-input_seconds', str(tmp_path / 'seconds.json'),
        '-mhdf5_size', '2', '-batch_size', '6', '-input_encoding_size', str(E), '-rnn_size', str(H),
        '-common_embedding_size', '10', '-num_output', str(NANS), '-learning_rate', '3e-3', '-max_iters', '40',
        '-save_checkpoint_every', '20', '-checkpoint_path', str(tmp_path / 'model') + '/', '-gpuid', '-1',
        '-backend', 'nn'] + list(extra)


def test_train_loss_falls_and_eval_writes_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = train.main(train_args(tmp_path))
    losses = out['record']['losses']
    assert len(losses) == 40 and np.all(np.isfinite(losses))
    assert np.mean(losses[-8:]) < np.mean(losses[:8]) - 1
    assert os.path.exists(tmp_path / 'model' / 'save' / 'MLB_L1_iter20.t7')
    saved = lg.load(str(tmp_path / 'model' / 'MLB_L1.t7'))
    np.testing.assert_array_equal(saved.numpy(), out['w'].numpy())
    eval_dir = tmp_path / 'e'
    eval_dir.mkdir()
    # eval.lua: 12 questions in batches of 5 (the last of 2 resizes the MLB's Reshapes: MLB_updateBatchSize)
    scores, pred, response, mc = mlb_eval.main(
        make_data(eval_dir) +
        ['-model_path', str(tmp_path / 'model' / 'MLB_L1.t7'), '-out_path', str(tmp_path / 'result') + '/',
         '-batch_size', '5', '-input_encoding_size', str(E), '-rnn_size', str(H), '-common_embedding_size', '10',
         '-num_output', str(NANS), '-gpuid', '-1', '-backend', 'nn'])
    assert tuple(scores.size()) == (12, NANS)
    assert [r['question_id'] for r in response] == list(range(100, 112))
    assert all(r['answer'] == 'a%d' % (int(p) + 1) for r, p in zip(response, pred[:, 0].tolist()))
    written = cjson.decode(open(tmp_path / 'result' / 'vqa_OpenEnded_mscoco_test-dev2015_MLB_L1_results.json').read())
    assert written == response
    # multiple choice: the better scored of each question's two candidates (MC_ans_test, 1-based, 0 for none)
    with hdf5.open(str(eval_dir / 'data_prepro.h5'), 'r') as f:
        candidates = f.read('/MC_ans_test').all().numpy()
    for i, r in enumerate(mc):
        two = candidates[i][candidates[i] != 0]
        best = two[np.argmax(scores.numpy()[i, two - 1])]
        assert r['answer'] == 'a%d' % best and r['question_id'] == 100 + i


def test_mlb_shapes_and_update_batch_size():
    lg.manualSeed(1)
    netdef = require_netdef('MLB')
    net = netdef.MLB(8, 6, 5, .5, 1, 4, 3, 2)
    q, v = lg.randn(3, 8), lg.randn(3, 6, 14, 14)
    assert tuple(net.forward([q, v]).size()) == (3, 4)
    g = net.backward([q, v], lg.randn(3, 4))
    assert tuple(g[0].size()) == (3, 8) and tuple(g[1].size()) == (3, 6, 14, 14)
    with pytest.raises(Exception):
        net.forward([q[0:2], v[0:2]])           # the Reshapes are built for a batch of 3
    netdef.MLB_updateBatchSize(net, 6, 5, 1, 2, 2)
    net.evaluate()
    a = net.forward([q[0:2], v[0:2]]).clone()
    netdef.MLB_updateBatchSize(net, 6, 5, 1, 3, 2)
    np.testing.assert_allclose(net.forward([q, v])[0:2].numpy(), a.numpy(), rtol=1e-5, atol=1e-6)


def test_mlb_attention_weights_sum_to_one():
    lg.manualSeed(2)
    net = require_netdef('MLB').MLB(8, 6, 5, .5, 1, 4, 2, 2)
    net.evaluate()
    net.forward([lg.randn(2, 8), lg.randn(2, 6, 14, 14)])
    softmaxes = net.get(1).output[2]              # the ConcatTable's attention: one softmax per glimpse
    assert len(softmaxes) == 2
    for s in softmaxes:
        assert tuple(s.size()) == (2, 196)
        np.testing.assert_allclose(s.sum(1).numpy(), 1, rtol=1e-5)


def test_mhdf5_caches_the_first_n(tmp_path):
    path = str(tmp_path / 'f.h5')
    with hdf5.open(path, 'w') as f:
        for k in ('a', 'b', 'c'):
            f.write(k, lg.Tensor(2, 1, 1).fill(ord(k)))
    cache = mhdf5(hdf5.open(path, 'r'), [2, 1, 1], 2)
    assert float(cache.get('a')[0, 0, 0]) == ord('a') and float(cache.get('b')[1, 0, 0]) == ord('b')
    assert cache.numCached == 2 and float(cache.get('c').sum()) == 2 * ord('c')   # missed, read through
    assert cache.numCached == 2 and cache.index == {'a': 1, 'b': 2}


def test_myutils_tables():
    assert myutils.intersect([1, 2, 3], [3, 1, 5]) == [3, 1]
    assert myutils.inverse({'1': 'yes'}) == {'yes': '1'}
    assert sorted(myutils.values({'a': 1, 'b': 1, 'c': 2}, True)) == [1, 2]
    assert myutils.merge([1], [2, 3]) == [1, 2, 3]
    assert myutils.trim('  a b ') == 'a b'


def test_documented_differences():
    """train.lua's ``nn.GRU(e, h, false, .25, true)``: Lua's false rho means the default, legonn refuses a
    boolean (write None); ``model:backward(fv_sorted_q, dscores)`` after a forward of ``{fv_sorted_q, fv_im}``:
    the Lua's modules read what their forward kept, legonn refuses another input (pass the forward's)."""
    with pytest.raises(ValueError, match='rho'):
        nn.GRU(4, 3, False, .25, True)
    assert nn.GRU(4, 3, None, .25, True).rho > 26
    model = nn.ParallelTable().add(nn.Sequential().add(nn.LookupTableMaskZero(5, 2)).add(nn.Sum(1))) \
        .add(nn.Identity())
    q, v = lg.LongTensor([[0, 1], [2, -1]]), lg.randn(2, 2)
    out = model.forward([q, v])
    with pytest.raises(TypeError, match='ParallelTable: expected a table'):
        model.backward(q, [lg.ones(2, 2), lg.ones(2, 2)])
    with pytest.raises(ValueError, match="backward's input to match forward's"):
        model.get(0).backward(q[0], lg.ones(2, 2))   # the questions' first row, which the lookup then gets
    model.backward([q, v], [lg.ones(2, 2), lg.ones(2, 2)])
    assert out[0].size(0) == 2


@pytest.mark.gpu
def test_train_on_cuda(tmp_path, monkeypatch):
    """train.lua as the Lua runs it, ``-gpuid 0``: the model, the batches and the labels on the GPU."""
    monkeypatch.chdir(tmp_path)
    out = train.main(train_args(tmp_path, '-max_iters', '4', '-gpuid', '0'))
    assert out['w'].type() == 'torch.CudaTensor'
    assert np.all(np.isfinite(out['record']['losses']))


@pytest.mark.gpu
def test_mcb_forward_backward_on_cuda():
    """netdef/MCB.lua on CUDA, as the Lua runs it (CompactBilinearPooling's CudaTensor buffers and indices):
    16000-d sketches of the replicated question and each grid cell, the attention, the second sketch."""
    lg.manualSeed(1)
    net, cbp1, cbp2 = require_netdef('MCB').MCB(6, 5, 10, .5, 1, 3, 1, 2)
    net = net.cuda()
    q, v = lg.randn(1, 6).cuda(), lg.randn(1, 5, 14, 14).cuda()
    out = net.forward([q, v])
    assert tuple(out.size()) == (1, 3) and cbp1.h1.type() == 'torch.CudaTensor'
    assert tuple(cbp1.output.size()) == (196, 16000) and cbp1.h1.nElement() == 6 and cbp1.h2.nElement() == 5
    g = net.backward([q, v], lg.ones(1, 3).cuda())
    assert tuple(g[1].size()) == (1, 5, 14, 14)
    assert np.isfinite(g[1].double().numpy()).all() and float(g[1].abs().sum()) > 0


def test_mcb_update_batch_size_reads_an_unset_global():
    """MCB_updateBatchSize's ``rnn_size_q`` is a global nothing sets: the Lua's Reshape of a nil size fails,
    and so does the port's."""
    net = require_netdef('MCB').MCB(6, 5, 10, .5, 1, 3, 2, 2)[0]
    with pytest.raises((TypeError, ValueError)):
        require_netdef('MCB').MCB_updateBatchSize(net, 5, 10, 1, 1, 2)
