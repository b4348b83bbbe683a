"""facebookarchive/MemNN's KVmemnn run through its port, tests/porting/memnn_kvmemnn/ (its docstring lists what is
ported, every edit beyond syntax and indices, and what is left out).

The C helpers are checked against the formulas they implement (End-To-End Memory Networks' position encoding,
segment sums, weighted row lookups), the modules' gradients against central differences in float64, and a
small ranker made of the three modules, trained with memnn_model.lua's calls, against a synthetic corpus.
"""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import numeric_gradient

from .memnn_kvmemnn.PositionalEncoder import PositionalEncoder
from .memnn_kvmemnn.SumVecarr import SumVecarr
from .memnn_kvmemnn.WeightedLookupTableSkinny import WeightedLookupTableSkinny


def pe_reference(x, lens):
    """Position encoding l_kj = (1 - j/J) - (k/d)(1 - 2j/J), j and k counted from 1 (arXiv:1503.08895, p. 5),
    applied to each sentence's J rows of the concatenated ``x``."""
    out, start, d = np.empty_like(x), 0, x.shape[1]
    for J in lens:
        j = np.arange(1, J + 1)[:, None]
        k = np.arange(1, d + 1)[None, :]
        out[start:start + J] = x[start:start + J] * ((1 - j / J) - k / d * (1 - 2 * j / J))
        start += J
    return out


def segment_sums(x, lens):
    bounds = np.cumsum([0] + list(lens))
    return np.stack([x[a:b].sum(0) for a, b in zip(bounds[:-1], bounds[1:])])


@pytest.mark.parametrize('forwardLen', [False, True])
def test_positional_encoder_matches_the_papers_encoding(forwardLen):
    lg.manualSeed(0)
    x = lg.randn(7, 5)
    lens = lg.DoubleTensor([3, 4])          # a DoubleTensor len: the module's float conversion
    pe = PositionalEncoder(forwardLen)
    out = pe.forward([x, lens])
    got = out[0] if forwardLen else out
    np.testing.assert_allclose(got.numpy(), pe_reference(x.numpy().astype(np.float64), [3, 4]), rtol=1e-5)
    if forwardLen:
        assert out[1].type() == 'torch.FloatTensor' and out[1].numpy().tolist() == [3, 4]
    g = lg.randn(7, 5)
    gi = pe.backward([x, lens], [g, None] if forwardLen else g)
    np.testing.assert_allclose(gi[0].numpy(), pe_reference(g.numpy().astype(np.float64), [3, 4]), rtol=1e-5)
    assert gi[1].numpy().tolist() == [3, 4]


@pytest.mark.parametrize('dim', [1, 2, 5])       # sum_vecarr.c's three branches
def test_sum_vecarr_sums_each_example_and_copies_the_gradient_back(dim):
    lg.manualSeed(dim)
    lens = [2, 1, 4]
    x = lg.randn(7, dim)
    s = SumVecarr()
    out = s.forward([x, lg.FloatTensor(lens)])
    np.testing.assert_allclose(out.numpy(), segment_sums(x.numpy().astype(np.float64), lens), rtol=1e-5)
    g = lg.randn(3, dim)
    gi = s.backward([x, lg.FloatTensor(lens)], g)
    np.testing.assert_array_equal(gi[0].numpy(), np.repeat(g.numpy(), lens, axis=0))
    assert gi[1].numpy().tolist() == lens


def test_sum_vecarr_sums_floats_in_double_as_the_c_does():
    """sum_floats accumulates in ``double sum[dim]`` and rounds once: 1 + 2^-24 added 4 times to 1 in float32
    steps would stay 1, the C's double sum gives 1 + 2^-22."""
    x = lg.FloatTensor([[1.0]] + [[2.0 ** -24]] * 4)
    out = SumVecarr().forward([x, lg.FloatTensor([5])])
    assert out[0][0] == np.float32(1 + 2.0 ** -22) != np.float32(1)


def test_gradients_match_finite_differences_in_float64():
    lg.manualSeed(3)
    lens = lg.DoubleTensor([3, 2])
    for module in (PositionalEncoder(), SumVecarr()):
        module.double()
        x = lg.DoubleTensor(5, 4).uniform(-1, 1)
        w = lg.DoubleTensor(*module.forward([x, lens]).size()).uniform(-1, 1)
        a = lg.data(x)

        def loss():
            return float((module.forward([x, lens]) * w).sum())

        analytic = module.backward([x, lens], w)[0].numpy()
        np.testing.assert_allclose(analytic.reshape(-1), numeric_gradient(loss, a), atol=1e-8)

    # WeightedLookupTableSkinny: d loss / d weight, from the queue updateParameters(1) applies (weight -= grad)
    wlt = WeightedLookupTableSkinny(6, 3)
    wlt.weight = wlt.weight.double()
    wlt.gradWeight = wlt.gradWeight.double()
    wlt.output = wlt.output.double()
    inp = lg.DoubleTensor([[4, 0.5], [1, 2.0], [4, -1.5]])       # row 4 twice: the queue holds both
    w = lg.DoubleTensor(3, 3).uniform(-1, 1)

    def loss():
        return float((wlt.forward(inp) * w).sum())

    numeric = numeric_gradient(loss, wlt.weight.numpy())
    wlt.zeroGradParameters()
    wlt.forward(inp)
    wlt.backward(inp, w)
    assert wlt.inputs[0] == 3 and wlt.inputWeights.narrow(0, 0, 3).numpy().tolist() == [4, 1, 4]
    before = wlt.weight.clone()
    wlt.updateParameters(1)
    np.testing.assert_allclose((before - wlt.weight).numpy(), numeric, atol=1e-8)


def test_weighted_lookup_rows_updates_and_queue_growth():
    lg.manualSeed(4)
    wlt = WeightedLookupTableSkinny(5, 2)
    W = wlt.weight.clone().numpy()
    out = wlt.forward(lg.FloatTensor([[3, 2.0], [0, -1.0]]))
    np.testing.assert_allclose(out.numpy(), [2 * W[3], -W[0]], rtol=1e-6)
    out1 = wlt.forward(lg.FloatTensor([2, 2, 4]))                # 1-D input: no weights
    np.testing.assert_array_equal(out1.numpy(), W[[2, 2, 4]])
    # accUpdateGradParameters: weight[word] -= lr * coeff * gradOutput, at once
    wlt.accUpdateGradParameters(lg.FloatTensor([[1, 3.0]]), lg.FloatTensor([[1.0, -1.0]]), 0.5)
    np.testing.assert_allclose(wlt.weight.numpy()[1], W[1] - 1.5 * np.array([1.0, -1.0]), rtol=1e-6)
    # the queue is full after 2 rows: wlts_accGradParameters stops and asks for a resize, zeroGradParameters
    # doubles it
    wlt.gradWeight.resize(2, 2)
    wlt.inputWeights.resize(2)
    wlt.zeroGradParameters()
    x = lg.FloatTensor([[0, 1.0], [1, 1.0], [2, 1.0]])
    wlt.forward(x)
    wlt.backward(x, lg.ones(3, 2))
    assert wlt.queueResize is True and wlt.inputs[0] == 2
    wlt.zeroGradParameters()
    assert tuple(wlt.gradWeight.size()) == (4, 2) and wlt.inputWeights.size(0) == 4 and wlt.inputs[0] == 0
    wlt.backward(x, lg.ones(3, 2))
    assert wlt.queueResize is False and wlt.inputs[0] == 3


def test_a_gradient_queue_needs_parameters_none_in_legonn():
    """docs/porting.md's gradient-queue row: nn.Module's parameters() would give the weight with the queue as its
    gradient, of another size, which legonn's accGradParameters refuses; the port's parameters() returns None."""
    Raw = type('Raw', (WeightedLookupTableSkinny,), {'parameters': nn.Module.parameters})
    for cls, refused in ((Raw, True), (WeightedLookupTableSkinny, False)):
        wlt = cls(5, 3)
        x = lg.FloatTensor([[1, 1.0]])
        wlt.zeroGradParameters()
        wlt.forward(x)
        if refused:
            with pytest.raises(ValueError, match=r'gradient 0 to be a .* of size \(5, 3\) like its parameter, '
                                                 r'got .* of size \(10000, 3\)'):
                wlt.backward(x, lg.ones(1, 3))
        else:
            wlt.backward(x, lg.ones(1, 3))
            assert wlt.inputs[0] == 1
    # nn.Module's updateGradInput (the Lua's): the empty gradInput reaches the graph's input Identity, refused
    for ugi, refused in ((nn.Module.updateGradInput, True), (WeightedLookupTableSkinny.updateGradInput, False)):
        Lut = type('Lut', (WeightedLookupTableSkinny,), {'updateGradInput': ugi})
        inp = nn.Identity()()
        emb = nn.Sequential().add(nn.ParallelTable().add(Lut(5, 3)).add(nn.Identity())).add(SumVecarr())(inp)
        g = nn.gModule([inp], [emb])
        x = [lg.FloatTensor([[1, 1.0], [2, 1.0]]), lg.FloatTensor([2])]
        g.forward(x)
        if refused:
            with pytest.raises(ValueError, match=r'expected gradOutput\[0\] to be a .* of size \(2, 2\), got .* '
                                                 r'of size \(0,\)'):
                g.backward(x, lg.ones(1, 3))
        else:
            assert g.backward(x, lg.ones(1, 3))[0].equal(lg.zeros(2, 2))


def make_corpus(rng, n, vocab=12, n_answers=4):
    """bAbI-like stories: each holds one clue word per answer among noise words; the answer is the one whose
    clue appears. Words 0..7 are noise, 8..11 the clues of answers 0..3."""
    stories = []
    for _ in range(n):
        a = int(rng.integers(n_answers))
        words = list(rng.integers(0, vocab - n_answers, size=int(rng.integers(2, 5)))) + [vocab - n_answers + a]
        rng.shuffle(words)
        stories.append((words, a))
    return stories


def test_a_ranker_of_the_three_modules_trains_with_memnn_models_calls():
    """memnn_model.lua's step on its modules: mlp:zeroGradParameters(), forward, backward, then
    mlp:updateParameters(lr) and labelLT's the same; kvmemnn_model.lua's
    ``qemb:get(1).updateParameters = function (...) return; end`` freezes one table by an instance override."""
    lg.manualSeed(5)
    rng = np.random.default_rng(5)
    data = make_corpus(rng, 40)
    d = 8
    qemb = nn.Sequential()
    qemb.add(nn.ParallelTable().add(WeightedLookupTableSkinny(12, d)).add(nn.Identity()))
    qemb.add(PositionalEncoder(True))
    qemb.add(SumVecarr())
    labelLT = WeightedLookupTableSkinny(4, d)
    frozen = nn.Sequential().add(WeightedLookupTableSkinny(12, d))
    frozen.get(0).updateParameters = lambda *_: None
    frozen_before = frozen.get(0).weight.clone()
    crit = nn.CrossEntropyCriterion()
    cands = lg.FloatTensor([0, 1, 2, 3])

    def step(words, a, lr):
        x = lg.FloatTensor([[w, 1.0] for w in words])
        lens = lg.FloatTensor([len(words)])
        for m in (qemb, labelLT, frozen):
            m.zeroGradParameters()
        q = qemb.forward([x, lens])                               # 1 x d
        y = labelLT.forward(cands)                                # 4 x d
        frozen.forward(x)
        scores = lg.mm(q, y.t())
        err = crit.forward(scores, lg.LongTensor([a]))
        if lr:
            g = crit.backward(scores, lg.LongTensor([a]))
            qemb.backward([x, lens], lg.mm(g, y))
            labelLT.backward(cands, lg.mm(g.t(), q))
            frozen.backward(x, lg.ones(len(words), d))
            for m in (qemb, labelLT, frozen):
                m.updateParameters(lr)
        return err, int(scores[0].numpy().argmax()) == a

    def evaluate():
        res = [step(w, a, 0) for w, a in data]
        return np.mean([e for e, _ in res]), np.mean([c for _, c in res])

    loss0, acc0 = evaluate()
    for _ in range(8):
        for words, a in data:
            step(words, a, 0.05)
    loss1, acc1 = evaluate()
    assert loss1 < 0.5 * loss0 and acc1 > max(acc0, 0.9)
    assert frozen.get(0).weight.equal(frozen_before)


def test_vector_array_adds_grows_clips_and_round_trips(tmp_path, capsys):
    from .memnn_kvmemnn.vector_array import VectorArray
    va = VectorArray.new(2, 1, 2)
    rows = [lg.FloatTensor([[k, 0.5 * k]] * (k + 1)) for k in range(5)]
    for r in rows:
        assert va.add(r)
    assert va.size() == 5 and va.idx.numpy()[:5].tolist() == [0, 1, 3, 6, 10]
    phi = (1 + 5 ** 0.5) / 2
    assert va.idx.size(0) == 9 == int(np.ceil((int(np.ceil((1 + 1) * phi)) + 1) * phi))   # grown at adds 2 and 5
    for k in range(5):
        assert va.get(k).equal(rows[k])
    with pytest.raises(ValueError, match='expected torch.FloatTensor'):
        va.add(lg.DoubleTensor([[1, 1]]))
    va.clip()
    assert tuple(va.data.size()) == (15, 2) and va.idx.size(0) == 5
    other = VectorArray.new(1, 1, 2)
    other.add(lg.FloatTensor([[9, 9], [8, 8]]))
    va.add_vecarr(other)
    assert va.size() == 6 and va.get(5).equal(lg.FloatTensor([[9, 9], [8, 8]])) and va.idx[5] == 15
    # the data and lengths are SumVecarr's input
    s = SumVecarr().forward([va.data, va.len.narrow(0, 0, int(va.size()))])
    np.testing.assert_allclose(s.numpy()[:, 0], [k * (k + 1) for k in range(5)] + [17])
    va.save(str(tmp_path / 'va.t7'))
    back = VectorArray.load(str(tmp_path / 'va.t7'))
    assert back.size() == 6 and back.get(2).equal(rows[2]) and back.storage == 'FloatStorage*'
    assert '[saving VectorArray:' in capsys.readouterr().out


def test_vector_array_from_a_tds_hash_and_an_atomic_vector(tmp_path):
    from legonn import tds
    from .memnn_kvmemnn.vector_array import VectorArray
    h = tds.Hash()
    h[0] = lg.DoubleTensor([1, 2])
    h[2] = lg.DoubleTensor([3])
    va = VectorArray.create_from_tds_hash(h)
    assert va.useDoubles is True and va.size() == 3          # x.__typename of a DoubleTensor, as in Torch7
    assert va.get(0).numpy().tolist() == [1, 2] and va.get(1).numpy().tolist() == [0] and va.get(2)[0] == 3
    VectorArray.save_atomic_vector(str(tmp_path / 'a.t7'), [lg.FloatTensor([[4, 1.0]]), lg.FloatTensor()])
    a = VectorArray.load(str(tmp_path / 'a.t7'))
    assert a.useDoubles is False and a.get(0).numpy().tolist() == [[4, 1]] and a.get(1)[0][0] == 1


def write_dict(tmp_path):
    """A WikiMovies-style dictionary: ``symbol<TAB>frequency`` per line, multi-word entities included."""
    words = [('mary', 3), ('john', 2), ('went', 5), ('to', 9), ('the', 20), ('kitchen', 2), ('garden', 1),
             ('where', 4), ('is', 6), ('?', 4), ('the dark knight', 1), ('directed_by', 2),
             ('christopher nolan', 7)]
    path = tmp_path / 'dict.txt'
    path.write_text(''.join(f'{w}\t{f}\n' for w, f in words))
    return str(path), [w for w, _ in words]


def test_dict_loads_saves_and_converts(tmp_path, capsys):
    from .memnn_kvmemnn.dict import dict
    path, words = write_dict(tmp_path)
    opt = {'dictFile': path, 'dictFullLoading': True, 'allowSaving': True}
    d = dict.create(opt)
    assert d.num_symbols == len(words) and d.symbol_to_index('mary') == 0 and d.index_to_symbol(2) == 'went'
    assert d.index_to_freq[4] == 20
    assert d.v2t(lg.FloatTensor([[0, 1], [2, 1], [40, 1]])) == 'mary went <ind=40>'
    assert d.t2v_l('mary went nowhere') == [[0, 1], [2, 1]]
    labels = d.get_labels()
    assert len(labels) == len(words) and labels[3].numpy().tolist() == [[3, 1]]
    d.save(str(tmp_path / 'saved.txt'))
    assert (tmp_path / 'saved.txt').read_text() == open(path).read()
    assert '[num symbols: 13]' in capsys.readouterr().out
    small = dict.create({'dictFile': path})          # not fully loaded: the maps are dropped
    assert small.dictFullLoading is False and small._symbol_to_index is None and small.index_to_freq is None


def test_parser_reads_babi_and_wikimovies_lines(tmp_path):
    from .memnn_kvmemnn.dict import dict
    from .memnn_kvmemnn.parse import parser
    path, words = write_dict(tmp_path)
    opt = {'dictFile': path, 'dictFullLoading': True, 'dictWhiteSpace': '[ ]', 'preprocessText': True,
           'dictLowercaseData': True, 'dictMaxNGramSz': 100, 'dictRemoveWhiteSpace': ' ,', 'dictTFIDFPow': 1}
    d = dict.create(opt)
    p = parser.new(opt)
    ix = d.symbol_to_index
    # bAbI-style: "<index> <story or question>\t<answer>\t<supporting facts>\t<candidates>"
    in_vec, out_vec, sfs, cands = p.parse('3 Where is   Mary??\tkitchen\t1 2\tkitchen|garden|Kitchen', d)
    assert in_vec == [3.0, ix('where'), ix('is'), ix('mary'), ix('?')]
    assert out_vec == [ix('kitchen')] and sfs.numpy().tolist() == [1, 2]
    assert len(cands) == 2 and cands[1].numpy().tolist() == [ix('garden')]   # 'Kitchen' is a duplicate
    # WikiMovies-style: the longest n-gram of the dictionary wins
    in_vec = p.parse('1 the dark knight directed_by christopher nolan', d)[0]
    assert in_vec == [1.0, ix('the dark knight'), ix('directed_by'), ix('christopher nolan')]
    # test time: TF-IDF weights 1 / (freq + 10), normalised; the dictionary's last symbol keeps freq 1
    # (parse.lua reads index_to_freq only while its size exceeds the 1-based index)
    r = p.parse_test_time('Where is Mary the dark knight christopher nolan', d)
    assert r[:, 0].numpy().tolist() == [ix('where'), ix('is'), ix('mary'), ix('the dark knight'),
                                        ix('christopher nolan')]
    w = np.array([1 / (4 + 10), 1 / (6 + 10), 1 / (3 + 10), 1 / (1 + 10), 1 / (1 + 10)])
    np.testing.assert_allclose(r[:, 1].numpy(), w / np.linalg.norm(w), rtol=1e-6)
    assert d.t2v('Where is Mary').size(0) == 3
    # without dictRemoveWhiteSpace parse_internal_test_time rebinds its local out_vec, so parse_test_time's
    # vector stays empty and it returns nil, in Lua as here
    opt2 = {k: v for k, v in opt.items() if k != 'dictRemoveWhiteSpace'}
    assert parser.new(opt2).parse_test_time('where is mary', d) is None
    assert p.split('a-b c', '[ ]', ' ') == ['a-b', 'c'] and p.preprocess_word('--x-') == 'x'
    assert p.preprocess_word('-1') == '-1'


def test_cmd_parses_key_value_arguments(capsys):
    from .memnn_kvmemnn.cmd import cmd, tonumber
    c = cmd.new()
    c.option('learningRate', 0.01, 'lr', 'model')
    c.option('maxHops', 1, 'hops', 'model', True)
    c.option('dictWhiteSpace', '[ ]', 'ws', 'data')
    c.option('usePE', False, 'pe', 'model')
    c.reset_default('learningRate', 0.005)
    opt = c.parse(['-learningRate', '0.1', 'maxHops=3', '--usePE=true', 'dictWhiteSpace=nil'])
    assert opt == {'modelClass': 'library.base_model', 'dataClass': 'library.data', 'learningRate': 0.1,
                   'maxHops': 3, 'usePE': True, 'dictWhiteSpace': None}
    assert c.parse([]) ['learningRate'] == 0.005
    assert [tonumber(s) for s in ('12', '-1.5e2', ' 7 ', '0x10', '1a', '')] == [12, -150.0, 7, 16, None, None]
    with pytest.raises(ValueError, match='nothere does not exist as an option yet'):
        c.reset_default('nothere', 1)
    with pytest.raises(SystemExit):
        c.parse(['unknown=1'])
    assert 'Failure to parse argument: unknown=1' in capsys.readouterr().out
    c.print(dict(c.parse(['maxHops=1'])))
    printed = capsys.readouterr().out
    assert printed.index('--- data options ---') < printed.index('--- model options ---')
    assert 'maxHops' not in printed and '  learningRate\t0.005' in printed    # hidden at its default


def test_util_helpers(capsys):
    from .memnn_kvmemnn import util
    assert [util.shortFloat(t) for t in (3.0, 0.123456, 123.456)] == ['3', '0.1235', '123.456']
    for _ in range(3):
        util.log_first_n(2, 'here', 'msg')
    assert capsys.readouterr().out.count('[here|msg]') == 2
    assert util.same_tensor(lg.Tensor([[1, 9], [2, 9]]), lg.Tensor([[1, 0], [2, 0]]))   # first column only
    assert not util.same_tensor(lg.Tensor([1, 2]), lg.Tensor([1, 3]))
    assert util.basename('/a/b/c.lua') == 'c.lua' and util.basename('c.lua') == 'c.lua'
    util.log_progress(1, 4, 0 + int(__import__('time').time()), None, 'count facts:')
    assert 'count facts: Approx. 25.00 % done. Time passed: 0h 00m 00s.' in capsys.readouterr().out
    log = util.Log.new('memnn', 0)
    log.info('%d hops', 2)
    log.debug('not shown')
    out = capsys.readouterr().out
    assert out.startswith('memnn:util.py:') and out.endswith(':2 hops\n') and 'not shown' not in out


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.mark.parametrize('hops', [1, 2])
def test_key_value_graph_computes_attention_over_keys_and_reads_values(hops, tmp_path):
    from .memnn_kvmemnn.kvmemnn_model import kvmemNN
    lg.manualSeed(6)
    m = kvmemNN.create_mlp(base_options(tmp_path, embeddingDim=5, maxHops=hops, initWeights=0.3,
                                        numNegSamples=1, LTsharedWithResponse=True))
    W = m.wt[0].weight.numpy().astype(np.float64)
    q = lg.FloatTensor([[1, 0.5], [2, 1.0]])
    keys = [lg.FloatTensor([[1, 1], [3, 1], [4, 2], [5, 1], [6, 1]]), lg.FloatTensor([2, 1, 2])]
    vals = [lg.FloatTensor([[7, 1], [8, 1], [0, 0.5]]), lg.FloatTensor([1, 1, 1])]
    out = m.mlp.forward(m.build_input(q, [keys, vals]))
    emb = W[[1, 2]].T @ np.array([0.5, 1.0])
    K = np.stack([W[1] + W[3], W[4] * 2, W[5] + W[6]])
    V = np.stack([W[7], W[8], 0.5 * W[0]])
    o = emb + softmax(K @ emb) @ V
    for h in range(1, hops):
        R = m.lin_rotate[h - 1]
        qr = R.weight.numpy() @ o + R.bias.numpy()
        o = qr + softmax(K @ qr) @ V
    np.testing.assert_allclose(out.numpy(), o, rtol=1e-5, atol=1e-6)
    # LTsharedWithResponse: the label table, the response and the word table share one storage
    assert m.labelLT.get(0).weight.storage() is m.wt[0].weight.storage() is m.rlin.weight.storage()

WIKI_WORDS = ['<NULL>', 'who', 'directed', 'directed_by', 'm1', 'm2', 'm3', 'm4', 'd1', 'd2', 'd3', 'd4']


def base_options(tmp_path, **model):
    """The options as examples/WikiMovies/params.lua makes them: cmd.lua's parser, the model and data classes'
    add_cmdline_options (base_model.lua's, memnn_model.lua's, data.lua's), the example's defaults reset, then
    parsed."""
    from .memnn_kvmemnn.cmd import cmd as cmdline, _require
    path = tmp_path / 'dict.txt'
    path.write_text(''.join(f'{w}\t1\n' for w in WIKI_WORDS))
    cmd = cmdline.new()
    cmd.reset_default('modelClass', 'library.kvmemnn_model')
    cmd.reset_default('dataClass', 'library.data')
    arg = ['dictFile', str(path), 'logEveryNSecs=0.05', 'numThreads=1']
    opt = cmd.parse(arg, True)
    mlp = _require(opt['modelClass'])
    mlp.add_cmdline_options(cmd)
    data = _require(opt['dataClass'])
    data.add_cmdline_options(cmd)
    for k, v in model.items():
        cmd.reset_default(k, v)
    return cmd.parse(arg)


def wiki_examples(rng, n):
    """Examples as data.lua gives them to build_memory_vectors: ``m_i directed_by`` keys (memx) with their
    director as value (memy), the mapping drawn afresh, and the question ``who directed m_i``."""
    exs = []
    for _ in range(n):
        directors = rng.permutation([8, 9, 10, 11])
        i = int(rng.integers(4))
        exs.append({0: lg.Tensor([[1, 1], [2, 1], [4 + i, 1]]), 1: lg.Tensor([[int(directors[i]), 1]]),
                    'memx': [lg.Tensor([4 + j, 3]) for j in range(4)],
                    'memy': [lg.Tensor([[int(d), 1]]) for d in directors], 'memhx': []})
    return exs


def test_base_model_options_init_mlp_and_reset(tmp_path, capsys):
    """init_mlp without modelFilename creates the model (memnn_model.lua's create_mlp: dict, modules, reset);
    reset zeroes the NULL symbol's embedding and Tensor follows useDoubles."""
    from .memnn_kvmemnn.kvmemnn_model import kvmemNN
    lg.manualSeed(3)
    o = base_options(tmp_path, embeddingDim=6, maxHops=1, initWeights=0.3, numNegSamples=2,
                     LTsharedWithResponse=True, dictClass='library.dict')
    assert o['maxTrainEpochs'] == 60 * 24 * 30 and o['logEveryNSecs'] == 0.05 and o['saveEveryNSecs'] is None
    assert o['maxTrainTime'] == 1000 and o['usePE'] is False and o['dictTFIDF'] is True   # memnn's, data's
    m = kvmemNN.init_mlp(o)
    assert isinstance(m, kvmemNN) and m.dict.num_symbols == len(WIKI_WORDS) and m.dictSz == len(WIKI_WORDS)
    assert m.wt[0].weight[0].abs().sum() == 0 and m.wt[0].weight[1].abs().sum() > 0
    assert m.memLabel['x'] == len(WIKI_WORDS) and m.labelEmbeddings is None
    assert m.Tensor(2).type() == lg.FloatTensor(2).type()
    m.opt['useDoubles'] = True
    assert m.Tensor(2).type() == lg.DoubleTensor(2).type()
    with pytest.raises(NotImplementedError, match='not defined'):
        from .memnn_kvmemnn.base_model import baseNN
        baseNN.init_mlp(o)
    assert '[creating dict.]\n' in capsys.readouterr().out


def test_build_memory_vectors_reads_keys_values_and_clips(tmp_path):
    from .memnn_kvmemnn.kvmemnn_model import kvmemNN
    o = base_options(tmp_path, embeddingDim=4, maxHops=1, initWeights=0.3, numNegSamples=1, memSize=3,
                     sentenceSize=4, useMemLabelFeatures=True)
    m = kvmemNN.create_mlp(o)
    assert m.dictSz == len(WIKI_WORDS) + 4
    ex = wiki_examples(np.random.default_rng(0), 1)[0]
    (keys, klen), (vals, vlen), _q = m.build_memory_vectors(ex)[0]
    clipped = m.lastMemClipped
    n = len(WIKI_WORDS)
    # the memories are added from the last one back, each with its memory-label feature; 3 fit, the 4th clips
    assert clipped and klen.numpy().tolist() == [3, 3, 3] and vlen.numpy().tolist() == [2, 2, 2]
    assert keys.numpy()[:, 0].tolist() == [7, 3, n, 6, 3, n, 5, 3, n]
    w = 1 / np.sqrt(2)
    np.testing.assert_allclose(keys.numpy()[:3, 1], [w, w, 1], rtol=1e-6)
    assert vals.numpy()[:, 0].tolist()[:2] == [int(ex['memy'][3][0][0]), n + 1]


def test_a_float_gradient_for_a_double_length_is_refused_and_the_ports_edit_passes():
    """docs/porting.md's row: SumVecarr.lua hands back a FloatTensor copy of a DoubleTensor ``len``; legonn's
    ParallelTable(lookup, Identity) refuses that gradient; the port's SumVecarr gives the input's type."""
    lookup = WeightedLookupTableSkinny(6, 3)
    lens = lg.DoubleTensor([2, 1])
    mem = nn.Sequential().add(nn.ParallelTable().add(lookup).add(nn.Identity())).add(SumVecarr())
    x = [lg.FloatTensor([[1, 1], [2, 1], [3, 0.5]]), lens]
    out = mem.forward(x)
    W = lookup.weight.numpy()
    np.testing.assert_allclose(out.numpy(), [W[1] + W[2], 0.5 * W[3]], rtol=1e-6)
    gin = mem.backward(x, lg.FloatTensor(2, 3).fill(1))
    assert gin[1].type() == lens.type() and gin[1].numpy().tolist() == [2, 1]
    par = mem.get(0)
    with pytest.raises(ValueError, match=r'ParallelTable.*gradOutput\[1\] to be a legonn.DoubleTensor of size '
                                         r'\(2,\), got legonn.FloatTensor'):
        par.backward(x, [mem.get(1).gradInput[0], lens.float()])   # the Lua's len:clone() after :type()


def write_wiki_stories(tmp_path, rng, n):
    """What build_data.lua writes (not ported) for WikiMovies-style stories, as data.lua loads it: VectorArrays
    ``.x`` (each line's number in its story, then its words) and ``.y`` (its answer), ``.st`` (each story's first
    line, 0-based). A story: four statements ``m_j directed_by d_j`` (the directors drawn afresh per story, no
    answer), then the question ``who directed m_i`` answered by its director."""
    from .memnn_kvmemnn.vector_array import VectorArray
    xs, ys, st = [VectorArray.new(10, 10, 1) for _ in range(3)]
    for _ in range(n):
        directors = rng.permutation([8, 9, 10, 11])
        st.add(lg.Tensor([[xs.size()]]))
        for j in range(4):
            xs.add(lg.Tensor([[j + 1], [4 + j], [3], [int(directors[j])]]))
            ys.add(lg.Tensor([[0]]))   # no answer: a statement
        i = int(rng.integers(4))
        xs.add(lg.Tensor([[5], [1], [2], [4 + i]]))
        ys.add(lg.Tensor([[int(directors[i])]]))
    base = str(tmp_path / 'train.txt')
    for va, ext in ((xs, '.x'), (ys, '.y'), (st, '.st')):
        va.save(base + ext)
    return base


def test_data_reads_stories_into_examples_with_memories(tmp_path):
    """data.lua's create_data, get_next_example and get_current_example: each line an example, the story's
    earlier lines its memories (``memx``/``memy``), TF-IDF weights 1/sqrt(n) (dictTFIDFPow 0), a negative label
    other than the positive one."""
    import random
    from .memnn_kvmemnn.data import data
    from .memnn_kvmemnn.dict import dict
    random.seed(1)
    o = base_options(tmp_path, dictClass='library.dict')
    base = write_wiki_stories(tmp_path, np.random.default_rng(1), 3)
    d = data.create_data(base, None, o, dict.create(o))
    assert d.num_loaded_examples() == 15
    seen, mems = [], []
    while True:
        ex, finished = d.get_next_example()
        if ex is None:
            assert finished is True
            break
        seen.append(ex)
        mems.append(len(ex['memx']))   # the story's list, which later lines extend (as the Lua's table)
    assert len(seen) == 15 and [int(e['index']) for e in seen[:6]] == [1, 2, 3, 4, 5, 1]
    q = seen[4]
    np.testing.assert_allclose(q[0].numpy(), [[1, 3 ** -0.5], [2, 3 ** -0.5], [int(q[0][2][0]), 3 ** -0.5]],
                               rtol=1e-6)
    assert len(q['memx']) == 4 and q['memx'][1].numpy()[:, 0].tolist()[:2] == [5, 3]
    assert all(m is d.NULL for m in q['memy']) and d.get_positive_label(seen[0]) is None
    assert q['memhx'] == [] and q['cands'] == [] and mems == [0, 1, 2, 3, 4] * 3
    pos = d.get_positive_label(q)
    assert pos[0][0] == q[1][0][0]
    negs = {int(d.get_negative_label(q)[0][0]) for _ in range(40)}
    assert int(pos[0][0]) not in negs and negs <= set(range(len(WIKI_WORDS)))


def test_train_loop_reads_data_lua_and_hits_at_1_rises(tmp_path, capsys):
    """train.lua's path for one thread: init_mlp, then base_model.lua's train (data.lua's create_data of
    trainData, do_serial_train over get_random_example for maxTrainEpochs; memnn_model.lua's update builds the
    key-value memories and ranks by negsample_update); hits@1 on the questions rises."""
    import random
    from .memnn_kvmemnn.data import data
    from .memnn_kvmemnn.kvmemnn_model import kvmemNN
    lg.manualSeed(5)
    random.seed(5)
    base = write_wiki_stories(tmp_path, np.random.default_rng(5), 60)
    o = base_options(tmp_path, embeddingDim=32, maxHops=1, initWeights=0.3, numNegSamples=10, margin=0.1,
                     learningRate=0.1, LTsharedWithResponse=True, memSize=10, sentenceSize=4, rankLoss=True,
                     maxTrainEpochs=15, trainData=base, dataClass='library.data')
    m = kvmemNN.init_mlp(o)
    evaluation = data.create_data(base, None, o, m.dict)

    def hits_at_1():
        evaluation.reset()
        labels = lg.stack([m.labelLT.forward(lg.FloatTensor([[d, 1]])).clone() for d in range(8, 12)])
        right = total = 0
        while True:
            ex, finished = evaluation.get_next_example()
            if finished:
                return right / total
            if int(ex['index']) == 5:
                x = m.build_input(ex[0], m.build_memory_vectors(ex)[0])
                right += 8 + int(lg.mv(labels, m.mlp.forward(x)).numpy().argmax()) == int(ex[1][0][0])
                total += 1

    before = hits_at_1()
    ave = m.train()
    after = hits_at_1()
    assert before < 0.5 and after > 0.9, (before, after)
    # do_serial_train averages what was trained since the last log line (nothing when the last step logged)
    assert set(ave) <= {'rank_loss', 'mean_rank', 'mems'} and ave.get('mems', 4) == 4
    out = capsys.readouterr().out
    logs = [line for line in out.splitlines() if line.startswith('[exs:')]
    assert '[loaded examples[1]:300]' in out and logs and all(' data:300 mems:4' in line for line in logs
                                                              if ' mean_rank:' in line)


def test_tfidf_weights_and_rare_words_as_data_c_computes(tmp_path):
    """data.lua's addTFIDF through data.c (weights 1/(freq+10)^pow, L2-normalised; labels keep 1/sqrt(n)) and
    resolveUNK's dictMinOcc (words rarer than it become the UNK symbol, 0-based 2)."""
    from .memnn_kvmemnn.data import data
    d = data()
    d.opt = {'dictTFIDF': True, 'dictTFIDFPow': 1, 'dictMinOcc': 5}
    d.dict = lambda: None
    d.dict.index_to_freq = lg.DoubleTensor([0, 0, 0, 10, 30, 2])
    d.examples_x = []
    d.reset()
    out = d.addTFIDF(lg.FloatTensor([3, 4]))
    w = np.array([1 / 20, 1 / 40])
    np.testing.assert_allclose(out.numpy(), np.stack([[3, 4], w / np.linalg.norm(w)], 1), rtol=1e-6)
    np.testing.assert_allclose(d.addTFIDF(lg.FloatTensor([3, 4]), True).numpy()[:, 1], [0.5 ** 0.5] * 2, rtol=1e-6)
    assert d.addTFIDF(lg.FloatTensor([0])) is d.NULL and d.is_null(d.NULL)
    x = lg.FloatTensor([3, 5, 4])
    assert d.resolveUNK(x).numpy().tolist() == [3, 2, 4] and x.numpy().tolist() == [3, 5, 4]
