"""facebookresearch/fairseq-lua's test/test_appendbias.lua, test_zipalong.lua, test_dictionary.lua and the parts of
test_tokenizer.lua that need no torchnet, on the port in tests/porting/fairseq.py; gradient checks of fairseq's
modules; text/bleu.lua's scorer; and a tiny fconv model trained for a few steps with fairseq's nag on a synthetic
copy task, whose fast (LinearizedConvolution, beam-sized BeamableMM) step-by-step decoding is checked against
the full forward pass, whose greedy search copies its sources and whose beam search's scores are the average
log-probabilities a teacher-forced pass gives its hypotheses.

Stand-ins: test_tokenizer.lua downloads IWSLT's tst2012.en; the tests write a five-line text instead (so the
counts are this text's, worked out by hand). test_topk.lua and test_logsoftmax.lua test the C++ clib, which
is not ported.
"""
import math
import random

import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn
from legonn import torchnet as tnt
from tests.porting import fairseq as F

pytestmark = pytest.mark.usefixtures('double_default')


def jacobian_ok(module, input, **kwargs):
    """nn's Jacobian test: the largest difference between backprop's and finite differences' Jacobians."""
    return nn.Jacobian.testJacobian(module, input, **kwargs)


# -------------------------------------------------------------------------------- test_appendbias.lua

def test_AppendBias_Forward():
    m = F.AppendBias()
    input = lg.Tensor([[2, 3], [4, 5]])
    output = lg.Tensor([[2, 3, 1], [4, 5, 1]])
    assert lg.all(lg.eq(m.forward(input), output))


def test_AppendBias_Backward():
    m = F.AppendBias()
    input = lg.Tensor([[2, 3], [4, 5]])
    gradOutput = lg.Tensor([[7, 8, 2], [9, 10, 2]])
    gradInput = lg.Tensor([[7, 8], [9, 10]])
    assert lg.all(lg.eq(m.backward(input, gradOutput), gradInput))


# --------------------------------------------------------------------------------- test_zipalong.lua

def test_ZipAlong_Simple():
    m = F.ZipAlong()
    assert m.forward([[1, 2, 3], 4]) == [[1, 4], [2, 4], [3, 4]]
    assert m.forward([[1, 2, 3], [4, 4]]) == [[1, [4, 4]], [2, [4, 4]], [3, [4, 4]]]


def toTable(t):
    if isinstance(t, list):
        return [toTable(v) for v in t]
    return t.totable()


def test_ZipAlong_Tensor():
    t = lg.Tensor([0, 1, 2])
    m = F.ZipAlong()
    assert toTable([[t, t], [t * 2, t], [t * 4, t]]) == toTable(m.forward([[t, t * 2, t * 4], t]))
    assert toTable([[t, t * 2, t * 4], t * 3]) == toTable(
        m.backward([[t, t * 2, t * 4], t], [[t, t], [t * 2, t], [t * 4, t]]))

    # Add table along
    assert (toTable([[t, [t, t * 2]], [t * 2, [t, t * 2]], [t * 4, [t, t * 2]]])
            == toTable(m.forward([[t, t * 2, t * 4], [t, t * 2]])))
    assert toTable([[t, t * 2, t * 4], [t * 3, t * 6]]) == toTable(
        m.backward([[t, t * 2, t * 4], [t, t * 2]],
                   [[t, [t, t * 2]], [t * 2, [t, t * 2]], [t * 4, [t, t * 2]]]))


def zip_and_add():
    """test_zipalong.lua's setup of its two last tests: ZipAlong then a CAddTable on each pair."""
    tensor = lg.Tensor([1, 2, 3, 4])
    add = lg.Tensor([3, 2, 2, 2])
    m = nn.Sequential()
    m.add(F.ZipAlong())
    m.add(nn.MapTable(nn.CAddTable()))
    return m, tensor, add, [[tensor, tensor * 2, tensor * 4], add]


def test_ZipAlong_UpdateOutputAdd():
    m, tensor, add, input = zip_and_add()
    result = [tensor + add, tensor * 2 + add, tensor * 4 + add]
    output = m.forward(input)
    for i in range(len(input[0])):
        assert result[i].totable() == output[i].totable()


def test_ZipAlong_UpdateGradInputAdd():
    m, tensor, add, input = zip_and_add()
    gradients = [lg.Tensor([1, 0, 0, 0]), lg.Tensor([0, 1, 0, 0]), lg.Tensor([0, 0, 1, 0])]

    m.forward(input)
    gradInput = m.backward(input, gradients)
    for i in range(len(input[0])):
        assert gradients[i].totable() == gradInput[0][i].totable()
        assert lg.add(gradients[0], gradients[1]).add(gradients[2]).totable() == gradInput[1].totable()


# ------------------------------------------------------------------------------- test_dictionary.lua

def test_Dictionary_Simple():
    dict = F.Dictionary()
    dict.addSymbol('foo')
    dict.addSymbol('bar')
    dict.addSymbol('baz')
    dict.addSymbol('foo')
    dict.finalize()
    assert dict.size() == 6  # 3 special tokens for unk/pad/eos
    assert dict.unk_index != dict.getIndex('foo')
    assert dict.getSymbol(dict.getIndex('foo')) == 'foo'
    assert dict.getIndex('???') == dict.unk_index
    assert dict.getSymbol(dict.getIndex('???')) == dict.unk
    assert dict.getString(lg.IntTensor([dict.getIndex('foo'), dict.getIndex('bar'), dict.eos_index])) \
        == 'foo bar </s>'
    # Dictionary is sorted by frequency
    assert dict.getIndex('foo') < dict.getIndex('bar')


def test_Dictionary_NoFinalize():
    dict = F.Dictionary()
    dict.addSymbol('foo')
    dict.addSymbol('bar')
    with pytest.raises(AssertionError, match='Dictionary not finalized'):
        dict.size()
    dict.finalize()
    assert dict.size() == 5


def test_Dictionary_Thresholding():
    dict = F.Dictionary(threshold=3)
    for s in ['baz', 'foo', 'foo', 'foo', 'bar', 'bar']:
        dict.addSymbol(s)
    dict.finalize()
    assert dict.getIndex(dict.unk) == dict.unk_index
    assert dict.getIndex(dict.pad) == dict.pad_index
    assert dict.getIndex(dict.eos) == dict.eos_index
    assert dict.size() == 4
    assert dict.getIndex('foo') == 3      # the Lua's 4: the first index after the three special ones
    assert dict.getIndex('baz') == dict.unk_index
    assert dict.getIndex('bar') == dict.unk_index

    dict2 = F.Dictionary(threshold=2)
    dict2.addSymbol('foo')
    dict2.addSymbol('bar')
    dict2.addSymbol('baz')
    dict2.finalize()
    assert dict2.size() == 3


def test_Dictionary_CustomSpecialSymbols():
    dict = F.Dictionary(unk='UNK', pad='PAD', eos='EOS')
    assert (dict.unk, dict.pad, dict.eos) == ('UNK', 'PAD', 'EOS')
    assert (dict.getIndex('UNK'), dict.getIndex('PAD'), dict.getIndex('EOS')) == (0, 1, 2)   # the Lua's 1, 2, 3


# -------------------------------------------------------------------------------- test_tokenizer.lua

CORPUS = ['How can I speak ?', '  He is my\tgrandfather .  ', 'He is my friend .', 'I speak .', 'How ?']


@pytest.fixture
def testdata(tmp_path):
    path = tmp_path / 'corpus.en'
    path.write_text('\n'.join(CORPUS) + '\n', encoding='utf-8')
    return str(path)


def test_Tokenizer_tokenize():
    # the tab is removed (not made a space), then runs of spaces collapse
    assert F.tokenizer.tokenize('  He is my\tgrandfather .  ') == ['He', 'is', 'mygrandfather', '.']
    assert F.tokenizer.tokenize('   ') == []


def test_Tokenizer_BuildDictionary(testdata):
    dict = F.tokenizer.buildDictionary(filename=testdata, threshold=0)
    # How can I speak ? He is mygrandfather . my friend: 11 distinct words, 3 special symbols
    assert dict.size() == 3 + 11
    assert dict.getIndex('NotInCorpus') == dict.unk_index
    # </s> stays at its place; the most frequent regular words come first
    assert dict.getIndex('.') == 3

    dict2 = F.tokenizer.buildDictionary(filename=testdata, threshold=2)
    # counts: . 3, How 2, I 2, speak 2, ? 2, He 2, is 2, my 1, ...: seven words reach 2
    assert dict2.size() == 3 + 7

    # Use a custom tokenizer that removes all 'is's
    dict3 = F.tokenizer.buildDictionary(
        filename=testdata, threshold=0,
        tokenize=lambda line: [w for w in F.tokenizer.tokenize(line) if w != 'is'])
    assert dict3.getIndex('is') == dict3.unk_index
    assert dict3.size() == dict.size() - 1


def test_Tokenizer_BuildDictionaryMultipleFiles(testdata):
    dict2 = F.tokenizer.buildDictionary(filenames=[testdata] * 4, threshold=2 * 4)
    assert dict2.size() == 3 + 7


def test_Tokenizer_Tensorize(testdata):
    dict = F.tokenizer.buildDictionary(filename=testdata, threshold=0)
    data, stats = F.tokenizer.tensorize(filename=testdata, dict=dict)
    smap, words = data['smap'], data['words']
    assert tuple(smap.size()) == (5, 2) and tuple(words.size()) == (24,)
    assert (stats['nseq'], stats['ntok'], stats['nunk']) == (5, 24, 0)
    # offsets are 0-based: the second sentence starts after the first's 5 words and </s>
    assert smap[1].totable() == [6, 5]
    assert dict.getString(words.narrow(0, int(smap[1][0]), int(smap[1][1]))) == 'He is mygrandfather . </s>'


def test_Tokenizer_TensorizeThresh(testdata):
    dict = F.tokenizer.buildDictionary(filename=testdata, threshold=2)
    data, stats = F.tokenizer.tensorize(filename=testdata, dict=dict)
    smap, words = data['smap'], data['words']
    # can, mygrandfather, my, friend are seen once
    assert (stats['nseq'], stats['ntok'], stats['nunk']) == (5, 24, 4)
    assert dict.getString(words.narrow(0, int(smap[1][0]), int(smap[1][1]))) == 'He is <unk> . </s>'
    assert stats['replaced']['my'] == 1


@pytest.mark.parametrize('threshold, nunk, line', [(0, 0, 'He is mygrandfather . </s>'),
                                                   (2, 4, 'He is <unk> . </s>')])
def test_Tokenizer_Binarize(testdata, tmp_path, threshold, nunk, line):
    dict = F.tokenizer.buildDictionary(filename=testdata, threshold=threshold)
    dest = str(tmp_path / 'corpus')        # the Lua's os.tmpname()
    res = F.tokenizer.binarize(filename=testdata, dict=dict, indexfilename=dest + '.idx',
                               datafilename=dest + '.bin')
    assert (res['nseq'], res['ntok'], res['nunk']) == (5, 24, nunk)
    ds = tnt.IndexedDataset(fields=['corpus'], path=str(tmp_path))
    assert ds.size() == 5
    assert dict.getString(ds.get(1)['corpus']) == line      # the Lua's ds:get(11): samples count from 0


def test_Tokenizer_BinarizeAlignment(tmp_path):
    def makeFile(name, line):
        filename = str(tmp_path / name)        # the Lua's os.tmpname()
        with open(filename, 'w', encoding='utf-8') as file:
            file.write(line + '\n')
        return filename

    srcfile = makeFile('src', 'a b c a')
    srcdict = F.tokenizer.buildDictionary(filename=srcfile, threshold=0)
    tgtfile = makeFile('tgt', 'x y z w x')
    tgtdict = F.tokenizer.buildDictionary(filename=tgtfile, threshold=0)
    alignfile = makeFile('align', '0-0 0-1 1-1 2-2 2-4 3-1 3-3')
    alignfreqmap = F.tokenizer.buildAlignFreqMap(alignfile=alignfile, srcfile=srcfile, tgtfile=tgtfile,
                                                 srcdict=srcdict, tgtdict=tgtdict)

    assert alignfreqmap[srcdict.getEosIndex()] is None
    assert alignfreqmap[srcdict.getPadIndex()] is None
    assert alignfreqmap[srcdict.getUnkIndex()] is None
    a, b, c = (alignfreqmap[srcdict.getIndex(w)] for w in 'abc')
    assert (a[tgtdict.getIndex('x')], a[tgtdict.getIndex('y')], a[tgtdict.getIndex('w')]) == (1, 2, 1)
    assert b[tgtdict.getIndex('y')] == 1
    assert (c[tgtdict.getIndex('x')], c[tgtdict.getIndex('z')]) == (1, 1)

    dest = str(tmp_path / 'align-freq')
    stats = F.tokenizer.binarizeAlignFreqMap(freqmap=alignfreqmap, srcdict=srcdict, indexfilename=dest + '.idx',
                                             datafilename=dest + '.bin', ncandidates=2)
    assert stats['npairs'] == 5

    reader = tnt.IndexedDatasetReader(indexfilename=dest + '.idx', datafilename=dest + '.bin')
    # the Lua's reader:get(i):dim() == 0: legonn's empty tensor is 1-D, so its element count
    for special in (srcdict.getEosIndex(), srcdict.getPadIndex(), srcdict.getUnkIndex()):
        assert reader.get(special).nElement() == 0
    assert reader.get(srcdict.getIndex('a')).totable() == [[tgtdict.getIndex('y'), 2], [tgtdict.getIndex('x'), 1]]
    assert reader.get(srcdict.getIndex('b')).totable() == [[tgtdict.getIndex('y'), 1]]
    assert reader.get(srcdict.getIndex('c')).totable() == [[tgtdict.getIndex('z'), 1], [tgtdict.getIndex('x'), 1]]


def test_Tokenizer_TensorizeString():
    dict = F.tokenizer.makeDictionary(threshold=0)
    for token in 'aa bb cc'.split(' '):
        dict.addSymbol(token)
    dict.finalize()
    text = 'aa cc'
    tensor = F.tokenizer.tensorizeString(text=text, dict=dict)
    for i, token in enumerate(text.split(' ')):
        assert tensor[i] == dict.getIndex(token)
    assert tensor[2] == dict.getEosIndex()


def test_Tokenizer_TensorizeAlignment():
    tensor = F.tokenizer.tensorizeAlignment(text='0-1 1-2 2-1')
    assert (tensor.size(0), tensor.size(1)) == (3, 2)
    # the file's 0-based positions, kept as they are (the Lua adds 1)
    assert tensor.totable() == [[0, 1], [1, 2], [2, 1]]


# ---------------------------------------------------------------------------------- fairseq's modules

def test_module_gradients():
    lg.manualSeed(3)
    assert jacobian_ok(F.AppendBias(), lg.randn(3, 4)) < 1e-8
    # CAddTableMulConstant and SeqMultiply take tables: a ConcatTable makes them from one tensor
    cat = nn.Sequential().add(nn.ConcatTable().add(nn.Tanh()).add(nn.Square())).add(F.CAddTableMulConstant(0.5))
    assert jacobian_ok(cat, lg.randn(3, 4)) < 1e-8
    seq = nn.Sequential().add(nn.ConcatTable().add(nn.Identity()).add(nn.Identity())).add(F.SeqMultiply())
    x = lg.randn(2, 4, 3)
    assert jacobian_ok(seq, x) < 1e-8
    assert seq.forward(x).totable() == (x * (4 * math.sqrt(1 / 4))).totable()
    zip_add = nn.Sequential().add(nn.ConcatTable().add(nn.ConcatTable().add(nn.Tanh()).add(nn.Sigmoid()))
                                  .add(nn.Square())).add(F.ZipAlong()).add(nn.MapTable(nn.CAddTable()))\
        .add(nn.JoinTable(0))
    assert jacobian_ok(zip_add, lg.randn(5)) < 1e-8
    # GradMultiply: the input gradient as the module's, the parameter gradients times the factor
    lin = nn.Linear(4, 3)
    gm = F.GradMultiply(lin, 0.25)
    assert jacobian_ok(gm, lg.randn(2, 4)) < 1e-8
    x, go = lg.randn(2, 4), lg.randn(2, 3)
    plain = nn.Linear(4, 3)
    plain.weight.copy(lin.weight)
    plain.bias.copy(lin.bias)
    grad_inputs = []
    for m in (gm, plain):
        m.zeroGradParameters()
        m.forward(x)
        grad_inputs.append(m.updateGradInput(x, go))
        m.accGradParameters(x, go)
    np.testing.assert_allclose(lin.gradWeight.numpy(), 0.25 * plain.gradWeight.numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad_inputs[0].numpy(), grad_inputs[1].numpy(), rtol=1e-12)
    # GradMultiply.lua returns its module's output and gradInput without keeping them: its own fields stay
    # empty, and backward (Module.lua's, which returns self.gradInput) gives the empty tensor, in Torch7 too
    assert gm.gradInput.nElement() == 0 and gm.backward(x, go).nElement() == 0


def test_TemporalConvolutionTBC_gradients():
    """tbc's nn.TemporalConvolutionTBC (fbnn's in legonn), as the fconv model wraps it in WeightNorm."""
    lg.manualSeed(4)
    conv = nn.WeightNorm(fbnn.TemporalConvolutionTBC(3, 4, 3, 2), 2)
    assert jacobian_ok(conv, lg.randn(5, 2, 3)) < 1e-7
    assert nn.Jacobian.testJacobianParameters(conv, lg.randn(5, 2, 3), conv.v, conv.gradV) < 1e-7


def test_TrainTestLayer_switches_modules():
    calls = []
    a, b = nn.MulConstant(2), nn.MulConstant(3)
    m = F.TrainTestLayer(a, b, lambda t, e: calls.append('train'), lambda t, e: calls.append('eval'))
    x = lg.Tensor([1.0, 2.0])
    assert m.forward(x).totable() == [2.0, 4.0]
    m.evaluate()
    assert m.forward(x).totable() == [3.0, 6.0]
    with pytest.raises(AssertionError, match='updateGradInput only in training mode'):
        m.updateGradInput(x, x)
    m.evaluate()          # already evaluating: onEvaluate is not run again
    m.training()
    assert calls == ['eval', 'train']
    assert 'nn.TrainTestLayer [' in m.__tostring__()


def test_BeamableMM_matches_MM_with_a_beam():
    lg.manualSeed(5)
    nsent, beam, srclen, nhu = 2, 3, 4, 5
    q = lg.randn(nsent * beam, 1, nhu)
    src = lg.randn(nsent, srclen, nhu).index(0, lg.LongTensor([0, 0, 0, 1, 1, 1]))   # replicated beam times
    expected = nn.MM(False, True).forward([q, src]).clone()
    m = F.BeamableMM(False, True)
    m.setBeamSize(beam)
    np.testing.assert_allclose(m.forward([q, src]).numpy(), expected.numpy(), rtol=1e-12)   # training: plain MM
    m.evaluate()
    np.testing.assert_allclose(m.forward([q, src]).numpy(), expected.numpy(), rtol=1e-12)
    assert tuple(m.output.size()) == (nsent * beam, 1, srclen)
    # bsz == beam: the non batched product
    np.testing.assert_allclose(m.forward([q.narrow(0, 0, beam), src.narrow(0, 0, beam)]).numpy(),
                               expected.narrow(0, 0, beam).numpy(), rtol=1e-12)


def test_LinearizedConvolution_steps_match_the_causal_convolution():
    lg.manualSeed(6)
    kw, nin, nout, bsz, T = 3, 4, 5, 2, 6
    conv = fbnn.TemporalConvolutionTBC(nin, nout, kw, kw - 1)
    x = lg.randn(T, bsz, nin)
    full = conv.forward(x).narrow(0, 0, T)            # fconv's Narrow(1, 0, -kwidth) drops the future steps
    lin = F.LinearizedConvolution()
    lin.setParameters(conv.weight.transpose(2, 0).transpose(1, 2), conv.bias)
    order = lg.LongTensor([1, 0])
    for t in range(T):
        step = lin.forward(x.select(0, t).contiguous().view(bsz, 1, nin))
        np.testing.assert_allclose(step.select(1, 0).numpy(), full.select(0, t).numpy(), rtol=1e-10)
        lin.shiftState()
    # shiftState(reorder) reorders the buffered hypotheses
    lin.resetState()
    lin.forward(x.select(0, 0).contiguous().view(bsz, 1, nin))
    before = lin.inputBuffer.clone()
    lin.shiftState(order)
    assert lin.inputBuffer.narrow(1, 0, kw - 1).totable() == before.narrow(1, 1, kw - 1).index(0, order).totable()
    with pytest.raises(RuntimeError, match='Not supported'):
        lin.updateGradInput(x, x)


def test_nag_steps():
    """optim/nag.lua: x += mom^2 v - (1 + mom) lr g; v = mom v - lr g (with l2 added to g)."""
    x = lg.Tensor([1.0, -2.0])
    config = {'learningRate': 0.1, 'momentum': 0.5, 'l2': 0.01}
    xs, v = x.numpy().copy(), np.zeros(2)
    for _ in range(3):
        F.nag(lambda p: (float((p * p).sum()), p * 2), x, config)
        g = 2 * xs + 0.01 * xs
        xs = xs + 0.25 * v - 1.5 * 0.1 * g
        v = 0.5 * v - 0.1 * g
    np.testing.assert_allclose(x.numpy(), xs, rtol=1e-12)
    assert config['evalCounter'] == 3


# ---------------------------------------------------------------------------------------- fconv model

def copy_batch(rng, dict, bsz, n):
    """A copy task: the source's n random words and </s>; the decoder reads </s> then the words (fairseq's
    inputs start with eos) and is trained to write the words then </s>."""
    words = lg.LongTensor(rng.integers(dict.nspecial, dict.size(), size=(bsz, n)))
    eos = lg.LongTensor(bsz, 1).fill(dict.getEosIndex())
    source = lg.cat(words, eos, 1)
    targetIn = lg.cat(eos, words, 1)
    target = lg.cat(words, eos, 1)
    pad = dict.getPadIndex()
    pos = lg.LongTensor([[pad + 1 + i for i in range(n + 1)]] * bsz)   # the Lua's pad + i, i from 1
    return [[targetIn, pos], [source, pos.clone()]], target


def make_model():
    """A tiny fconv model (fconv_model.lua's config fields) over an 11-symbol dictionary."""
    words = F.Dictionary()
    for w in 'abcdefgh':
        words.addSymbol(w)
    words.finalize()
    config = dict(nembed=16, nhids=[16, 16], kwidths=[3, 3], nlmhids=[16, 16], klmwidths=[3, 3], attnlayers='-1',
                  dropout_src=0, dropout_tgt=0, dropout_hid=0, dropout_out=0, noutembed=16, srcdict=words,
                  dict=words, beam=2)
    return F.FConvModel(config), config, words


def test_fconv_trains_and_decodes_step_by_step():
    lg.manualSeed(7)
    random.seed(7)
    rng = np.random.default_rng(7)
    model, config, dict = make_model()
    net = model.network()
    assert model.decoderContext == 1 + 2 + 2
    crit = nn.CrossEntropyCriterion()
    params, grads = net.getParameters()
    optconfig = {'learningRate': 0.05, 'momentum': 0.9}

    losses = []
    for _ in range(80):
        input, target = copy_batch(rng, dict, 8, 5)

        def feval(x):
            grads.zero()
            out = net.forward(input)
            loss = crit.forward(out, target.view(-1))
            net.backward(input, crit.backward(out, target.view(-1)))
            return loss, grads
        _, fs = F.nag(feval, params, optconfig)
        losses.append(fs[0])
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])

    # the full forward pass's next-word distributions, in evaluation mode
    input, target = copy_batch(rng, dict, 2, 5)
    net.evaluate()
    full = nn.SoftMax().forward(net.forward(input)).view(2, 6, -1).clone()

    # makeDecoderFast swaps the decoder's conv blocks for LinearizedConvolutions; generation runs one step at a
    # time on the beam-replicated source (2 hypotheses per sentence), and must give the same distributions
    model.makeDecoderFast()
    net.training()
    net.evaluate()       # ConvBlockTrainTestLayer.onEvaluate hands the conv weights to the LinearizedConvolutions
    beam = config['beam']
    rows = lg.LongTensor([0, 0, 1, 1])
    source = [input[1][0].index(0, rows), input[1][1].index(0, rows)]
    state = model.generationSetup(config, source)
    state['encoderOut'] = F.mutils.findAnnotatedNode(net, 'encoder').forward(state['sourceIn'])
    decode, update = model.generationDecode(config), model.generationUpdate()
    targetIn = input[0][0].index(0, rows)
    for t in range(6):
        probs = decode(state, targetIn.select(1, t).contiguous())
        np.testing.assert_allclose(probs.numpy(), full.select(1, t).index(0, rows).numpy(), rtol=1e-8,
                                   atol=1e-12)
        update(state, lg.LongTensor(list(range(2 * beam))))
    assert model.convStates and len(model.convStates) == 2

    # search.lua's greedy search driven by model.lua's generate loop copies the sources (with </s>)
    config['beam'] = 1
    config['minlen'] = 1
    config['maxlen'] = 8
    hypos, scores, attentions = F.generate(model, config, input[1], F.search.greedy('torch.DoubleTensor', dict, 8))
    correct = sum(int((h.narrow(0, 0, min(len(h), 6)) == target[i].narrow(0, 0, min(len(h), 6))).sum())
                  for i, h in enumerate(hypos))
    assert correct >= 0.8 * target.nElement()
    assert all(float(s) <= 0 for s in scores)
    assert tuple(attentions[0].size()) == (len(hypos[0]), 6)
    # each step's attention over the source sums to 1
    np.testing.assert_allclose(attentions[0].sum(1).view(-1).numpy(), np.ones(len(hypos[0])), rtol=1e-5)

    # updateMinMaxLenProb: eos only from step minlen + 1 on, and forced after maxlen steps
    config['minlen'], config['maxlen'] = 2, 2
    short, _, _ = F.generate(model, config, input[1], F.search.greedy('torch.DoubleTensor', dict, 2))
    assert [h.size(0) for h in short] == [3, 3] and all(int(h[2]) == dict.getEosIndex() for h in short)
    assert all(int(h[k]) != dict.getEosIndex() for h in short for k in range(2))
    config['minlen'], config['maxlen'] = 1, 8

    # search.lua's beam search (2 hypotheses per sentence, the source replicated per hypothesis): every
    # finished hypothesis' score is its average log-probability, which a full teacher-forced pass recomputes
    config['beam'] = 2
    rows = lg.LongTensor([0, 0, 1, 1])
    source = [input[1][0].index(0, rows), input[1][1].index(0, rows)]
    hypos, scores, attentions = F.generate(model, config, source,
                                           F.search.beam('torch.DoubleTensor', dict, dict, 2))
    assert len(hypos) == 4 and scores[0] >= scores[1] and scores[2] >= scores[3]
    net.training()           # the conv blocks' training path: the whole sequence at once (no dropout here)
    pad = dict.getPadIndex()
    for n, h in enumerate(hypos):
        length = h.size(0)
        assert h[length - 1] == dict.getEosIndex()
        tokens = lg.cat(lg.LongTensor([dict.getEosIndex()]), h.narrow(0, 0, length - 1), 0).view(1, -1)
        pos = lg.LongTensor([[pad + 1 + i for i in range(length)]])
        src = [input[1][0].narrow(0, n // 2, 1), input[1][1].narrow(0, n // 2, 1)]
        logp = nn.LogSoftMax().forward(net.forward([[tokens, pos], src]))
        total = sum(float(logp[t][int(h[t])]) for t in range(length))
        assert float(scores[n]) == pytest.approx(total / length, rel=1e-5, abs=1e-6)
    # the best hypothesis of each sentence copies its source as the greedy search did
    for i in range(2):
        best = hypos[2 * i]
        assert best.size(0) == 6 and int((best == target[i]).sum()) >= 4


def test_weight_norm_keeps_the_bias_where_torch7_zeroes_it():
    """docs/porting.md's WeightNorm row: legonn's WeightNorm changes nothing the module computes (Torch7's
    resetInit zeroes the bias), so fconv_model.lua's makeLinear zeroes it in the port."""
    lg.manualSeed(8)
    lin = nn.Linear(3, 2)
    bias = lin.bias.clone()
    x = lg.randn(4, 3)
    before = lin.forward(x).clone()
    np.testing.assert_allclose(nn.WeightNorm(lin).forward(x).numpy(), before.numpy(), rtol=1e-3)
    assert lin.bias.totable() == bias.totable() and lin.bias.abs().sum() > 0
    model, _, _ = make_model()
    biases = []
    F.mutils.forAllModules(model.network(), lambda m: biases.append(m.modules[0].bias)
                           if lg.isTypeOf(m, 'nn.WeightNorm') else None)
    assert len(biases) > 10 and all(b.abs().sum() == 0 for b in biases)



def test_bleu_scorer():
    """text/bleu.lua: n-gram precisions clipped by the reference's counts, the brevity penalty, BLEU."""
    scorer = F.bleu.scorer()
    scorer['update']([1, 2, 3, 4], [1, 2, 3, 4])
    assert scorer['results']()['bleu'] == pytest.approx(100)
    two = F.bleu.scorer(2)
    two['update']([1, 2, 3, 4], [1, 2, 3, 5])
    # unigrams 3/4, bigrams 2/3: sqrt(1/2)
    assert two['results']()['bleu'] == pytest.approx(100 * math.sqrt(0.5))
    short = F.bleu.scorer(2)
    short['update']([1, 2], [1, 2, 3, 4])
    assert short['results']()['brevPenalty'] == pytest.approx(math.exp(-1))
    assert short['resultString']() == 'BLEU2 = 36.79, 100.0/100.0 (BP=0.368, ratio=2.000, sys_len=2, ref_len=4)'
    # no 4-gram at all: a precision of 0, BLEU 0 (Lua's log(0) = -inf)
    three = F.bleu.scorer()
    three['update']([7, 8, 9], [7, 8, 9, 9])
    assert three['results']()['precision'][:3] == [1, 1, 1] and three['results']()['bleu'] == 0


@pytest.mark.gpu
def test_gpu_fconv_follows_the_cpu():
    """The fconv network and fairseq's modules on CUDA (fconv_model.lua's training runs there): the same weights
    give the CPU's outputs and gradients."""
    lg.manualSeed(9)
    rng = np.random.default_rng(9)
    model, config, dict = make_model()
    input, target = copy_batch(rng, dict, 2, 4)
    results = []
    for net, convert in ((model.network().clone().float(), lambda t: t),
                         (model.network().clone().cuda(), lambda t: t.cuda())):
        x = [[convert(t) for t in pair] for pair in input]
        out = net.forward(x)
        go = convert(lg.FloatTensor(*out.size()).fill(0.01))
        net.zeroGradParameters()
        net.backward(x, go)
        results.append((out.float().numpy().copy(), net.getParameters()[1].float().numpy().copy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-3, atol=1e-5)
