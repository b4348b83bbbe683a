"""Tests of the harvardnlp/struct-attn port (tests/porting/struct_attn/): the linear-chain CRF layers' log
marginals against brute-force enumeration, their hand-written log-space backward passes (nn.CRF's input and
weight, nn.CRFB's input) against finite differences in float64, Markov.viterbi against enumeration, and
train-nmt.lua's loop over a tiny synthetic reverse task with CRF attention (the loss falls). Stand-ins: generated
sentences in preprocess-nmt.py's hdf5 form (tests/porting/test_seq2seq_attn.py's writer: the same file layout)."""
import itertools
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting import im2markup
from tests.porting.struct_attn import CRFB as CRFB_file
from tests.porting.struct_attn import (data_entail, data_nmt, eisnercrf_testlua, models_entail, train_entail,
                                      train_nmt, train_qa)
from tests.porting.struct_attn.CRF import CRF
from tests.porting.struct_attn.CRFB import CRFB
from tests.porting.struct_attn.EisnerCRF import EisnerCRF
from tests.porting.struct_attn.Markov import Markov
from tests.porting.struct_attn.Util import Util
from tests.porting.test_seq2seq_attn import write_reverse_task


@pytest.fixture(autouse=True)
def struct_attn_globals(monkeypatch):
    """models/memory.lua's `function nn.Module:usePrealloc(...)` and friends (im2markup's copy of that file), the
    globals the scripts set, and DoubleTensor as the scripts' `torch.Tensor`."""
    for name, method in im2markup.MODULE_METHODS.items():
        monkeypatch.setattr(nn.Module, name, method, raising=False)
    monkeypatch.setattr(im2markup, 'preallocTable', None)
    for module in (train_nmt, data_nmt, train_entail, data_entail, models_entail, train_qa):
        monkeypatch.setattr(module, 'opt', None)
    for name in ('te_mask', 'theta0', 'theta12', 'theta3', 'bestHeldoutModel'):   # nil in a fresh Lua process
        monkeypatch.setattr(train_qa, name, None)
    monkeypatch.setattr(CRFB_file, 'nstates', None)
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype('torch.FloatTensor')


def chain_scores(node, edge, start, end):
    """Every labelling of an n-node chain with its score: node scores, edge scores between neighbours, and the
    start and end terms."""
    n, C = node.shape
    out = {}
    for ys in itertools.product(range(C), repeat=n):
        s = sum(node[i, ys[i]] for i in range(n)) + sum(edge[i][ys[i], ys[i + 1]] for i in range(n - 1))
        out[ys] = s + start[ys[0]] + end[ys[-1]]
    return out


def brute_log_marginals(scores, n):
    """log P(y_{i-1} = a, y_i = c) for i = 1 .. n-1 (the CRF's output rows 1 .. n-1)."""
    Z = np.logaddexp.reduce(list(scores.values()))
    C = max(ys[0] for ys in scores) + 1
    m = np.full((n - 1, C, C), -np.inf)
    for ys, s in scores.items():
        for i in range(1, n):
            m[i - 1, ys[i - 1], ys[i]] = np.logaddexp(m[i - 1, ys[i - 1], ys[i]], s - Z)
    return m


def test_crf_log_marginals_match_enumeration():
    lg.manualSeed(1)
    B, n, C = 2, 4, 3
    crf = CRF(C)
    crf.weight.uniform(-1, 1)
    x = lg.Tensor(B, n, C).uniform(-2, 2)
    out = crf.forward(x).numpy()
    assert out.shape == (B, n + 1, C, C)
    W = crf.weight.numpy()
    for b in range(B):
        # CRF.lua's start and end weights: the mean of W's columns and rows (its "geometric mean" comment)
        scores = chain_scores(x.numpy()[b], [W] * (n - 1), W.mean(0), W.mean(1))
        np.testing.assert_allclose(out[b, 1:n], brute_log_marginals(scores, n), rtol=1e-10, atol=1e-10)
        # the start row holds the first node's marginals in its state-0 row, the end row the last node's
        first = np.logaddexp.reduce(out[b, 1], axis=1)
        np.testing.assert_allclose(np.exp(out[b, 0, 0]), np.exp(first), rtol=1e-10)
        assert np.all(out[b, 0, 1:] == -np.inf) and np.all(out[b, n, :, 1:] == -np.inf)


def test_crf_backward_matches_finite_differences():
    """CRF.lua's updateGradInput and accGradParameters (gradient recursions in log space with signs) against
    central differences of the marginals (an Exp after the CRF: the log marginals hold -inf entries)."""
    lg.manualSeed(2)
    crf = CRF(3)
    crf.weight.uniform(-1, 1)
    m = nn.Sequential().add(crf).add(nn.Exp())
    x = lg.Tensor(1, 4, 3)
    assert nn.Jacobian.testJacobian(m, x, -1, 1, 1e-6) < 1e-7
    assert nn.Jacobian.testJacobianParameters(m, x, crf.weight, crf.gradWeight, -1, 1, 1e-6) < 1e-7


def test_crf_gradient_of_a_scalar_loss_matches_finite_differences_on_the_log_marginals():
    """The log marginals themselves, through a loss that weighs only finite entries (rows 1 .. n-1)."""
    lg.manualSeed(3)
    B, n, C = 1, 3, 2
    crf = CRF(C)
    crf.weight.uniform(-1, 1)
    x = lg.Tensor(B, n, C).uniform(-1, 1)
    g = lg.zeros(B, n + 1, C, C)
    g[:, 1:n].uniform(-1, 1)

    def loss(xv):
        return float((crf.forward(lg.from_numpy(xv)).numpy()[:, 1:n] * g.numpy()[:, 1:n]).sum())

    crf.forward(x)
    analytic = crf.backward(x, g).numpy().copy()
    eps = 1e-6
    xv = x.numpy().copy()
    numeric = np.zeros_like(xv)
    for idx in np.ndindex(xv.shape):
        xp, xm = xv.copy(), xv.copy()
        xp[idx] += eps
        xm[idx] -= eps
        numeric[idx] = (loss(xp) - loss(xm)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_crfb_marginals_sum_to_one_and_backward_matches_finite_differences():
    """nn.CRFB: edge potentials as input, no weight. Its constructor reads train-qa.lua's global nstates."""
    lg.manualSeed(4)
    CRFB_file.nstates = 3
    crfb = CRFB()
    x = lg.Tensor(2, 4, 3, 3).uniform(-1, 1)
    out = crfb.forward(x).clone()
    np.testing.assert_allclose(np.exp(out.numpy()[:, 1:3]).sum((2, 3)), 1.0, rtol=1e-12)
    # against enumeration: edge i-1 -> i scores are x[:, i]; the start row's state-0 row and the end column 0
    xv = x.numpy()[0]
    scores = chain_scores(np.zeros((3, 3)), [xv[i] for i in range(1, 3)], xv[0, 0], xv[3, :, 0])
    np.testing.assert_allclose(out.numpy()[0, 1:3], brute_log_marginals(scores, 3), rtol=1e-10, atol=1e-10)
    m = nn.Sequential().add(crfb).add(nn.Exp())
    assert nn.Jacobian.testJacobian(m, x, -1, 1, 1e-6) < 1e-7


def test_markov_viterbi_finds_the_best_labelling():
    lg.manualSeed(5)
    B, n, C = 2, 4, 3
    crf = CRF(C)
    crf.weight.uniform(-1, 1)
    x = lg.Tensor(B, n, C).uniform(-2, 2)
    score, paths = Markov.viterbi(crf.forward(x))
    W = crf.weight.numpy()
    for b in range(B):
        scores = chain_scores(x.numpy()[b], [W] * (n - 1), W.mean(0), W.mean(1))
        best = max(scores, key=scores.get)
        assert tuple(int(v) for v in paths[b]) == best


def nmt_files(tmp_path, seed=0):
    rng = np.random.RandomState(seed)
    for name, lengths in (('train', [3, 4] * 4), ('valid', [3, 4])):
        write_reverse_task(tmp_path / (name + '.hdf5'), rng, 7, lengths, 3)


def nmt_args(tmp_path, **kw):
    opts = dict(data_file=tmp_path / 'train.hdf5', val_data_file=tmp_path / 'valid.hdf5',
                savefile=tmp_path / 'nmt', num_layers=1, rnn_size=8, word_vec_size=6, attn='crf', epochs=6,
                learning_rate=1, max_grad_norm=5, dropout=0, max_batch_l=3, gpuid=-1, print_every=4,
                prealloc=0, seed=3435)
    opts.update(kw)
    arg = []
    for k, v in opts.items():
        arg += ['-' + k, str(v)]
    return arg


@pytest.mark.parametrize('attn,epochs', [('crf', 3), ('softmax', 6)])
def test_train_nmt_with_structured_attention_lowers_the_perplexity(tmp_path, attn, epochs):
    """train-nmt.lua's main() over a tiny reverse task: validation perplexity falls over a few epochs, the CRF's
    weight is trained through the attention, and the final checkpoint loads and computes the same."""
    nmt_files(tmp_path)
    train_nmt.main(nmt_args(tmp_path, attn=attn, epochs=epochs))
    opt = train_nmt.opt
    assert len(opt['val_perf']) == epochs
    assert opt['val_perf'][-1] < opt['val_perf'][0] and opt['train_perf'][-1] < opt['train_perf'][0], opt
    if attn == 'crf':
        assert lg.abs(train_nmt.all_layers['crf'].weight).sum() > 0   # zeros at the start: trained
    (encoder, decoder, generator), saved = lg.load(str(tmp_path / 'nmt_final.t7'))
    assert saved['attn'] == attn
    context, h = lg.randn(2, 3, 8), lg.randn(2, 8)
    loaded = generator.forward([context, h]).clone()
    np.testing.assert_allclose(loaded.numpy(), train_nmt.generator.forward([context, h]).numpy(), rtol=1e-12)


def test_eisnercrf_viterbi_partition_and_marginals_match_every_projective_tree():
    """models/test-eisnercrf.lua's test_unit: for n = 3 .. 5 words, the Viterbi tree and score, the partition
    function from the inside chart and from each outside entry, and every arc marginal, against enumeration."""
    lg.manualSeed(6)
    assert eisnercrf_testlua.test_unit(5, 3) == 3 * 3
    # projective trees over 4 words under a root: the ternary number (3*4)! / (4! (2*4+1)!)
    assert len(eisnercrf_testlua.parses) == math.factorial(12) // (math.factorial(4) * math.factorial(9))


def test_eisnercrf_backward_matches_finite_differences():
    """test-eisnercrf.lua's grad_check (an MSE loss on the marginals) and nn.Jacobian on every arc score."""
    lo, hi = eisnercrf_testlua.grad_check(4, 1)
    assert 0.999 < lo <= hi < 1.001
    lg.manualSeed(7)
    m = EisnerCRF()
    assert nn.Jacobian.testJacobian(m, lg.Tensor(1, 4, 4), -1, 1, 1e-6) < 1e-7
    out = m.forward(lg.randn(2, 4, 4))
    # each word but the root has exactly one head: the marginals of the arcs into a word sum to one
    np.testing.assert_allclose(out.sum(1).numpy()[:, 1:], 1.0, rtol=1e-12)


@pytest.mark.gpu
def test_cuda_crf_and_eisnercrf_follow_the_cpu():
    """`:cuda()` of the structured attention layers: the same marginals and gradients as on the CPU (Util.fixnan
    takes its apply branch on CUDA tensors: cuda-mod's kernel is not ported)."""
    lg.manualSeed(8)
    crf = CRF(2)
    crf.weight.uniform(-1, 1)
    x, g = lg.randn(2, 3, 2), lg.randn(2, 4, 2, 2)
    out = crf.forward(x).clone()
    grad = crf.backward(x, g).clone()
    gw = crf.gradWeight.clone()
    gpu = crf.clone().cuda()
    gpu.gradWeight.zero()
    out_gpu = gpu.forward(x.cuda())
    assert out_gpu.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(np.exp(out_gpu.double().numpy()), np.exp(out.numpy()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gpu.backward(x.cuda(), g.cuda()).double().numpy(), grad.numpy(), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(gpu.gradWeight.double().numpy(), gw.numpy(), rtol=1e-4, atol=1e-5)
    e = EisnerCRF()
    y, gy = lg.randn(2, 4, 4), lg.randn(2, 4, 4)
    e_out, e_grad = e.forward(y).clone(), e.backward(y, gy).clone()
    e_gpu = EisnerCRF().cuda()
    np.testing.assert_allclose(e_gpu.forward(y.cuda()).double().numpy(), e_out.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e_gpu.backward(y.cuda(), gy.cuda()).double().numpy(), e_grad.numpy(), rtol=1e-4,
                               atol=1e-5)


def write_entail_task(path, rng, vocab, batches, batch_l, labels=3):
    """preprocess-entail.py's file (ids, labels and batch_idx from 1): premise and hypothesis of random words;
    the label is the hypothesis' first word modulo 3 (learnable), each batch of one pair of lengths."""
    rows = len(batches) * batch_l
    width_s, width_t = max(b[0] for b in batches), max(b[1] for b in batches)
    source = np.ones((rows, width_s), dtype=np.int64)
    target = np.ones((rows, width_t), dtype=np.int64)
    label = np.zeros(rows, dtype=np.int64)
    for b, (ls, lt) in enumerate(batches):
        for r in range(b * batch_l, (b + 1) * batch_l):
            source[r, :ls] = rng.randint(2, vocab + 1, ls)
            target[r, :lt] = rng.randint(2, vocab + 1, lt)
            label[r] = target[r, 0] % labels + 1
    f = lg.hdf5.open(str(path), 'w')
    for name, value in [('source', source), ('target', target), ('label', label),
                        ('source_l', [b[0] for b in batches]), ('target_l', [b[1] for b in batches]),
                        ('batch_l', [batch_l] * len(batches)), ('batch_idx', np.arange(len(batches)) * batch_l + 1),
                        ('source_size', [vocab]), ('target_size', [vocab]), ('label_size', [labels])]:
        f.write(name, lg.from_numpy(np.asarray(value, dtype=np.int64)))
    f.close()


@pytest.mark.parametrize('attn', ['struct', 'simple'])
def test_train_entail_with_syntactic_attention_learns(tmp_path, attn):
    """train-entail.lua's main() with the EisnerCRF parser ('struct') or a softmax over heads ('simple') on a
    tiny learnable task: set_size_parser/set_size_encoder resize the Views for every batch of new lengths, the
    training loss falls, and the final checkpoint holds the layers."""
    rng = np.random.RandomState(1)
    write_entail_task(tmp_path / 'train.hdf5', rng, 9, [(3, 4), (4, 3), (3, 3)] * 2, 4)
    write_entail_task(tmp_path / 'valid.hdf5', rng, 9, [(3, 4), (4, 3)], 4)
    arg = []
    for k, v in dict(data_file=tmp_path / 'train.hdf5', val_data_file=tmp_path / 'valid.hdf5',
                     test_data_file=tmp_path / 'valid.hdf5', savefile=tmp_path / 'entail', hidden_size=8,
                     word_vec_size=6, attn=attn, rnn_size_parser=4, dropout=0, epochs=3, learning_rate=0.5,
                     pre_word_vecs='', fix_word_vecs=0, max_batch_l=4, print_every=9, param_init=0.3).items():
        arg += ['-' + k, str(v)]
    losses = []
    real_train_batch = train_entail.train_batch
    train_entail.train_batch = lambda data, epoch: losses.append(real_train_batch(data, epoch)) or losses[-1]
    try:
        train_entail.main(arg)
    finally:
        train_entail.train_batch = real_train_batch
    assert len(losses) == 3
    assert losses[-1][0] < 0.8 * losses[0][0], losses
    parser = train_entail.parser_layers1
    assert list(parser['parser_view'].size) == [4 * 4, 8]   # the last batch evaluated: 4 pairs of lengths (4, 3)
    layers, saved_opt, etas, states = lg.load(str(tmp_path / 'entail_final.t7'))
    assert len(layers) == 7 and saved_opt['attn'] == attn and 'var' in states[2]


def test_crfb_reads_the_nstates_global_of_its_own_module():
    """docs/porting.md's row on a global one file reads and another sets: CRFB.lua's `Markov(nstates, ...)` reads
    train-qa.lua's global. Unset in the port's module, the Markov tables are resized with a None size and the
    forward raises; set there (as a script sets it), the layer runs."""
    x = lg.Tensor(1, 3, 2, 2).uniform(-1, 1)
    with pytest.raises(TypeError, match='None'):
        CRFB().forward(x)
    CRFB_file.nstates = 2
    assert CRFB().forward(x).size() == (1, 3, 2, 2)


def test_logsumnumber_returns_both_results_and_the_port_keeps_the_first():
    """docs/porting.md's row on several results: `local factor = Util.logsumNumber(...)` keeps the sum in Lua;
    in Python the name holds the (sum, sign) pair, so the CRF port indexes [0]."""
    t = lg.Tensor(2, 1, 2, 2).uniform(-1, 1)
    sign = lg.ones(2, 1, 2, 2)
    result = Util.logsumNumber(t, sign)
    assert isinstance(result, tuple) and len(result) == 2
    with pytest.raises(AttributeError, match="'tuple' object has no attribute 'add'"):
        result.add(-1, lg.zeros(2))
    expected = np.logaddexp.reduce(t.numpy().reshape(2, -1), axis=1)
    np.testing.assert_allclose(result[0].numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(result[1].numpy(), [1, 1])


def test_markov_sample_draws_a_labelling_with_its_chain_probability():
    """Markov.sample: a labelling drawn from the conditional marginals (state by state from the start state) and
    the product of the conditionals along it."""
    lg.manualSeed(9)
    crf = CRF(3)
    crf.weight.uniform(-1, 1)
    marginals = crf.forward(lg.Tensor(1, 4, 3).uniform(-1, 1))
    prob, sample = Markov.sample(marginals)
    cond = np.exp(marginals.numpy()[0])
    cond = cond / cond.sum(2, keepdims=True)
    last, expected = 0, 1.0
    for i, tag in enumerate(int(v) for v in sample[0]):
        assert 0 <= tag < 3
        expected *= cond[i, last, tag]
        last = tag
    assert prob == pytest.approx(expected, rel=1e-12) and prob > 0


def write_qa_task(path, rng, n_train=40, n_test=6, history=3, sent_len=3, nwords=12):
    """preprocess-qa.py's file (word ids from 1: PAD 1, START 2, END 3, RARE 4): stories of `history` sentences,
    the first one empty (PAD) in some stories, two-word questions; the answer is the question's first word."""
    def split(n):
        stories = rng.randint(5, nwords + 1, (n, history, sent_len))
        stories[rng.rand(n) < 0.3, 0] = 1
        questions = rng.randint(5, nwords + 1, (n, 2))
        answers = questions[:, 0:1].copy()
        facts = np.full((n, 1), history)
        return stories, questions, answers, facts
    f = lg.hdf5.open(str(path), 'w')
    for prefix, n in (('train', n_train), ('test', n_test)):
        for name, value in zip(('stories', 'questions', 'answers', 'facts'), split(n)):
            f.write(prefix + '_' + name, lg.from_numpy(np.ascontiguousarray(value, dtype=np.int64)))
    for name, value in (('idx_pad', 1), ('idx_start', 2), ('idx_end', 3), ('idx_rare', 4), ('nwords', nwords)):
        f.write(name, lg.LongTensor([value]))
    f.close()


@pytest.mark.parametrize('classifier', ['binarycrf', 'unarycrf'])
def test_train_qa_crf_memory_network_lowers_its_loss(tmp_path, classifier, capsys):
    """train-qa.lua's main(): the two-hop CRF over a story's sentences (nn.CRFB on edge potentials built from the
    memories and the question, or nn.CRF on node potentials) runs its epochs on a tiny synthetic task, the summed
    training loss falls and the best held-out model is tested. On the CPU the chain's tables are NaN and its
    marginals zero, as in Torch7's CPU arithmetic: the nil state's potentials are all -inf, and Util.logsum2's
    `tensor - max` of an all -inf column is -inf - -inf (docs/porting.md's row on cutorch's max of such a column,
    which gave the authors' GPU runs finite tables); the answer is learnt through the question's path."""
    write_qa_task(tmp_path / 'qa.hdf5', np.random.RandomState(2))
    lg.manualSeed(3)
    train_qa.main(['-datafile', str(tmp_path / 'qa.hdf5'), '-classifier', classifier, '-N', '3', '-D0', '6',
                   '-eta', '0.05', '-max_history', '3', '-max_sent_len', '3'])
    loss = train_qa.trainLoss.numpy()
    assert loss[2] < 0.9 * loss[0], loss
    assert train_qa.bestHeldoutAccuracy > 0
    assert 'Accuracy on test set = ' in capsys.readouterr().out
    assert train_qa.get_module_output('CRF').abs().sum() == 0


def test_a_table_constructor_ends_at_its_last_non_nil_value():
    """docs/porting.md's trailing-nil row: train-qa.lua's unary model takes {x,q,te_mask,theta0,theta12,theta3}
    with the thetas nil, a 3-entry table; the Python list of 6 is refused, lua_table's 3 entries run."""
    x, q, te = nn.Identity()(), nn.Identity()(), nn.Identity()()
    g = nn.gModule([x, q, te], [nn.CAddTable()([x, q, te])])
    a = lg.ones(2)
    with pytest.raises(ValueError, match='3 inputs'):
        g.forward([a, a, a, None, None, None])
    np.testing.assert_array_equal(g.forward(train_qa.lua_table(a, a, a, None, None, None)).numpy(), [3, 3])


def all_minus_inf_max(tensortype):
    x = lg.Tensor(2, 3).fill(-math.inf).type(tensortype)
    x[1].fill(0.5)
    return x.max(1)[0].double().numpy().ravel()


def test_max_of_an_all_minus_inf_slice_is_minus_inf_and_logsum2_gives_nan():
    """docs/porting.md's row on cutorch's max: legonn's (as Torch7's CPU) is -inf, so Util.logsum2 of the all -inf
    row is NaN (-inf - -inf), the value train-qa's CRF tables get on the CPU."""
    np.testing.assert_array_equal(all_minus_inf_max('torch.DoubleTensor'), [-np.inf, 0.5])
    res = lg.Tensor(2, 1)
    Util.logsum2(res, None, lg.Tensor(2, 3).fill(-math.inf), 1, None, True)
    assert np.isnan(res.numpy()).all()


@pytest.mark.gpu
def test_cuda_max_of_an_all_minus_inf_slice_is_minus_inf_as_on_the_cpu():
    np.testing.assert_array_equal(all_minus_inf_max('torch.CudaTensor'), [-np.inf, 0.5])
