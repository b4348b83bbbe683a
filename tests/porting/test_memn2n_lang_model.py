"""facebookarchive/MemNN's MemN2N-lang-model (the end-to-end memory network of Sukhbaatar et al. on Penn
Treebank) ported line by line: LinearNB.lua (the user module nn.LinearNB, lines 8-99), data.lua's
``g_read_words`` (lines 13-38: the vocabulary of a tds.hash, ``<eos>`` after each line), model.lua's
``build_memory`` and ``g_build_model`` (lines 13-76: the embeddings A and C as LookupTables of words plus
LookupTables of memory positions joined by CAddTable, the hops of ``nn.MM`` and ``nn.SoftMax`` through
``nn.View``, the LinearNB map H between hops with the ReLU on all but ``lindim`` units by Narrow and
JoinTable, ClassNLLCriterion called on graph nodes, H shared across hops through the ``shareList`` of
nodes) and main.lua (lines 14-167: the memory context and time tensors of each batch, the gradient clipped
by ``maxgradnorm``, the step ``g_paramx:add(g_paramdx:mul(-dt))``, the annealing on validation cost, the
test perplexity, save and load). The MemN2N bAbI version of the repository is Matlab (MemN2N-babi-matlab);
its Lua bAbI program, EntNet-babi, is ported in test_entnet_babi.py.

Word ids and memory positions are 0-based (Lua's 1 .. n become 0 .. n-1). main.lua builds its batches as
``torch.CudaTensor`` and calls ``:cuda()`` on the model: here ``g_params.gpu`` (main.lua's ``--gpu``, a
1-based device) chooses, 0 keeping the batches and the model on the CPU in the default type. Sizes are
small: a vocabulary of ten words, edim 8, memsize 5."""
import math
import random

import numpy as np
import pytest

import legonn as lg
from legonn import cutorch, fbnn, nn, tds, xlua
from legonn.pl import file, stringx
from tests.checks import assert_jacobian, numeric_gradient


class LinearNB(nn.Module):
    """LinearNB.lua: y = W x without a bias, for a vector or a batch of rows."""

    def __init__(self, inputSize, outputSize):
        super().__init__()

        self.outputSize = outputSize
        self.inputSize = inputSize
        self.weight = lg.Tensor(outputSize, inputSize)
        self.gradWeight = lg.Tensor(outputSize, inputSize)

        self.reset()

    def reset(self, stdv=None):
        if stdv is not None:
            stdv = stdv * math.sqrt(3)
        else:
            stdv = 1. / math.sqrt(self.weight.size(1))
        if nn.oldSeed:
            for i in range(self.weight.size(0)):
                self.weight.select(0, i).apply(lambda *_: lg.uniform(-stdv, stdv))
        else:
            self.weight.uniform(-stdv, stdv)

    def updateOutput(self, input):
        if input.dim() == 1:
            self.output.resize(self.outputSize)
            self.output.zero()
            self.output.addmv(1, self.weight, input)
        elif input.dim() == 2:
            nframe = input.size(0)
            nunit = self.outputSize
            self.output.resize(nframe, nunit).zero()
            if getattr(self, 'addBuffer', None) is None or self.addBuffer.size(0) != nframe:
                self.addBuffer = input.new(nframe).fill(1)
            if nunit == 1:
                # Special case to fix output size of 1 bug:
                self.output.select(1, 0).addmv(1, input, self.weight.select(0, 0))
            else:
                self.output.addmm(1, input, self.weight.t())
        else:
            raise ValueError('input must be vector or matrix')

        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is not None:

            nElement = self.gradInput.nElement()
            self.gradInput.resizeAs(input)
            if self.gradInput.nElement() != nElement:
                self.gradInput.zero()
            if input.dim() == 1:
                self.gradInput.addmv(0, 1, self.weight.t(), gradOutput)
            elif input.dim() == 2:
                self.gradInput.addmm(0, 1, gradOutput, self.weight)

            return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale if scale is not None else 1   # Lua's `scale or 1` keeps a 0

        if input.dim() == 1:
            self.gradWeight.addr(scale, gradOutput, input)
        elif input.dim() == 2:
            nunit = self.outputSize
            if nunit == 1:
                # Special case to fix output size of 1 bug:
                self.gradWeight.select(0, 0).addmv(scale, input.t(), gradOutput.select(1, 0))
            else:
                self.gradWeight.addmm(scale, gradOutput.t(), input)


# --- data.lua ---------------------------------------------------------------------------------------------

def g_read_words(fname, vocab, ivocab):
    data = file.read(fname)
    lines = stringx.splitlines(data)
    c = 0
    for n in range(len(lines)):
        w = stringx.split(lines[n])
        c = c + len(w) + 1
    words = lg.Tensor(c, 1)
    c = 0
    for n in range(len(lines)):
        w = stringx.split(lines[n])
        for i in range(len(w)):
            c = c + 1
            if vocab[w[i]] is None:             # Lua's `not vocab[w[i]]`: <eos> is word 0 here
                ivocab[len(vocab)] = w[i]
                vocab[w[i]] = len(vocab)
            words[c - 1][0] = vocab[w[i]]
        c = c + 1
        words[c - 1][0] = vocab['<eos>']
    print('Read ' + str(c) + ' words from ' + fname)
    return words


# --- model.lua --------------------------------------------------------------------------------------------

def cuda(m, params):
    """model.lua's ``:cuda()``, for the runs with a GPU (``params.gpu`` > 0)."""
    return m.cuda() if params['gpu'] > 0 else m


def build_memory(params, input, context, time):
    hid = {}
    hid[0] = input
    shareList = {}
    shareList[0] = []

    Ain_c = nn.LookupTable(params['nwords'], params['edim'])(context)
    Ain_t = nn.LookupTable(params['memsize'], params['edim'])(time)
    Ain = nn.CAddTable()([Ain_c, Ain_t])

    Bin_c = nn.LookupTable(params['nwords'], params['edim'])(context)
    Bin_t = nn.LookupTable(params['memsize'], params['edim'])(time)
    Bin = nn.CAddTable()([Bin_c, Bin_t])

    for h in range(1, params['nhop'] + 1):
        hid3dim = nn.View(1, -1).setNumInputDims(1)(hid[h - 1])
        MMaout = cuda(nn.MM(False, True), params)
        Aout = MMaout([hid3dim, Ain])
        Aout2dim = nn.View(-1).setNumInputDims(2)(Aout)
        P = nn.SoftMax()(Aout2dim)
        probs3dim = nn.View(1, -1).setNumInputDims(1)(P)
        MMbout = cuda(nn.MM(False, False), params)
        Bout = MMbout([probs3dim, Bin])
        C = LinearNB(params['edim'], params['edim'])(hid[h - 1])
        shareList[0].append(C)
        D = nn.CAddTable()([C, Bout])
        if params['lindim'] == params['edim']:
            hid[h] = D
        elif params['lindim'] == 0:
            hid[h] = nn.ReLU()(D)
        else:
            F = nn.Narrow(1, 0, params['lindim'])(D)
            G = nn.Narrow(1, params['lindim'], params['edim'] - params['lindim'])(D)
            K = nn.ReLU()(G)
            hid[h] = nn.JoinTable(1)([F, K])

    return hid, shareList


def g_build_model(params):
    input = nn.Identity()()
    target = nn.Identity()()
    context = nn.Identity()()
    time = nn.Identity()()
    hid, shareList = build_memory(params, input, context, time)
    z = LinearNB(params['edim'], params['nwords'])(hid[len(hid) - 1])
    pred = nn.LogSoftMax()(z)
    costl = nn.ClassNLLCriterion()
    costl.sizeAverage = False
    cost = costl([pred, target])
    model = nn.gModule([input, target, context, time], [cost])
    cuda(model, params)
    # IMPORTANT! do weight sharing after model is in cuda
    for i in range(len(shareList)):
        m1 = shareList[i][0].data.module
        for j in range(1, len(shareList[i])):
            m2 = shareList[i][j].data.module
            m2.share(m1, 'weight', 'bias', 'gradWeight', 'gradBias')
    return model


# --- main.lua ---------------------------------------------------------------------------------------------

def CudaTensor(*sizes):
    """main.lua's ``torch.CudaTensor(...)``; the default type on the CPU runs (``g_params.gpu`` 0)."""
    return lg.CudaTensor(*sizes) if g_params['gpu'] > 0 else lg.Tensor(*sizes)


def train(words):
    N = math.ceil(words.size(0) / g_params['batchsize'])
    cost = 0
    y = lg.ones(1)
    input = CudaTensor(g_params['batchsize'], g_params['edim'])
    target = CudaTensor(g_params['batchsize'])
    context = CudaTensor(g_params['batchsize'], g_params['memsize'])
    time = CudaTensor(g_params['batchsize'], g_params['memsize'])
    input.fill(g_params['init_hid'])
    for t in range(g_params['memsize']):
        time.select(1, t).fill(t)
    for n in range(N):
        if g_params['show']:
            xlua.progress(n, N)
        for b in range(g_params['batchsize']):
            m = random.randint(g_params['memsize'], words.size(0) - 2)   # math.random(memsize + 1, size - 1)
            target[b] = words[m + 1]
            context[b].copy(
                words.narrow(0, m - g_params['memsize'] + 1, g_params['memsize']))
        x = [input, target, context, time]
        out = g_model.forward(x)
        cost = cost + out[0]
        g_paramdx.zero()
        g_model.backward(x, y)
        gn = g_paramdx.norm()
        if gn > g_params['maxgradnorm']:
            g_paramdx.mul(g_params['maxgradnorm'] / gn)
        g_paramx.add(g_paramdx.mul(-g_params['dt']))
    return cost / N / g_params['batchsize']


def test(words):
    N = math.ceil(words.size(0) / g_params['batchsize'])
    cost = 0
    input = CudaTensor(g_params['batchsize'], g_params['edim'])
    target = CudaTensor(g_params['batchsize'])
    context = CudaTensor(g_params['batchsize'], g_params['memsize'])
    time = CudaTensor(g_params['batchsize'], g_params['memsize'])
    input.fill(g_params['init_hid'])
    for t in range(g_params['memsize']):
        time.select(1, t).fill(t)
    m = g_params['memsize']
    for n in range(N):
        if g_params['show']:
            xlua.progress(n, N)
        for b in range(g_params['batchsize']):
            target[b] = words[m + 1]
            context[b].copy(
                words.narrow(0, m - g_params['memsize'] + 1, g_params['memsize']))
            m = m + 1
            if m > words.size(0) - 2:
                m = g_params['memsize']
        x = [input, target, context, time]
        out = g_model.forward(x)
        cost = cost + out[0]
    return cost / N / g_params['batchsize']


test.__test__ = False   # main.lua's function, not a pytest test


def run(epochs):
    for i in range(epochs):
        c = train(g_words_train)
        ct = test(g_words_valid)

        # Logging
        m = len(g_log_cost)
        g_log_cost.append([m, c, ct])
        g_log_perp.append([m, math.exp(c), math.exp(ct)])
        stat = {'perplexity': math.exp(c), 'epoch': m,
                'valid_perplexity': math.exp(ct), 'LR': g_params['dt']}
        if g_params['test']:
            ctt = test(g_words_test)
            g_log_cost[m].append(ctt)
            g_log_perp[m].append(math.exp(ctt))
            stat['test_perplexity'] = math.exp(ctt)
        print(stat)

        # Learning rate annealing
        if m > 0 and g_log_cost[m][2] > g_log_cost[m - 1][2] * 0.9999:
            g_params['dt'] = g_params['dt'] / 1.5
            if g_params['dt'] < 1e-5:
                break


def save(path):
    d = {}
    d['params'] = g_params
    d['paramx'] = g_paramx.float()
    d['log_cost'] = g_log_cost
    d['log_perp'] = g_log_perp
    lg.save(path, d)


def main(arg):
    global g_params, g_vocab, g_ivocab, g_words_train, g_words_valid, g_words_test
    global g_model, g_paramx, g_paramdx, g_log_cost, g_log_perp
    # model params:
    cmd = lg.CmdLine()
    cmd.option('--gpu', 1, 'GPU id to use')
    cmd.option('--edim', 150, 'internal state dimension')
    cmd.option('--lindim', 75, 'linear part of the state')
    cmd.option('--init_std', 0.05, 'weight initialization std')
    cmd.option('--init_hid', 0.1, 'initial internal state value')
    cmd.option('--sdt', 0.01, 'initial learning rate')
    cmd.option('--maxgradnorm', 50, 'maximum gradient norm')
    cmd.option('--memsize', 100, 'memory size')
    cmd.option('--nhop', 6, 'number of hops')
    cmd.option('--batchsize', 128)
    cmd.option('--show', False, 'print progress')
    cmd.option('--load', '', 'model file to load')
    cmd.option('--save', '', 'path to save model')
    cmd.option('--epochs', 100)
    cmd.option('--test', False, 'enable testing')
    g_params = cmd.parse(arg or [])

    print(g_params)
    if g_params['gpu'] > 0:
        cutorch.setDevice(g_params['gpu'] - 1)

    g_vocab = tds.Hash()
    g_ivocab = tds.Hash()
    g_ivocab[len(g_vocab)] = '<eos>'
    g_vocab['<eos>'] = len(g_vocab)

    g_words_train = g_read_words('data/ptb.train.txt', g_vocab, g_ivocab)
    g_words_valid = g_read_words('data/ptb.valid.txt', g_vocab, g_ivocab)
    g_words_test = g_read_words('data/ptb.test.txt', g_vocab, g_ivocab)
    g_params['nwords'] = len(g_vocab)
    print('vocabulary size ' + str(len(g_vocab)))

    g_model = g_build_model(g_params)
    g_paramx, g_paramdx = g_model.getParameters()
    g_paramx.normal(0, g_params['init_std'])
    if g_params['load'] != '':
        f = lg.load(g_params['load'])
        g_paramx.copy(f['paramx'])

    g_log_cost = []
    g_log_perp = []
    g_params['dt'] = g_params['sdt']

    print('starting to run....')
    run(g_params['epochs'])

    if g_params['save'] != '':
        save(g_params['save'])


# --- the tests --------------------------------------------------------------------------------------------

TRAIN = """the cat sat on the mat
the dog sat on the log
a cat saw a dog
the dog saw the cat on the mat
a dog sat on a log
"""
VALID = """the cat sat on the log
a dog saw the cat
"""
TEST = """the dog sat on the mat
a cat saw the dog
"""
TINY = ['--gpu', '0', '--edim', '8', '--lindim', '4', '--memsize', '5', '--nhop', '3', '--batchsize', '6',
        '--init_std', '0.3', '--sdt', '0.1']


@pytest.fixture
def ptb(tmp_path, monkeypatch):
    """data/ptb.{train,valid,test}.txt in a fresh working directory, as main.lua reads them."""
    (tmp_path / 'data').mkdir()
    for name, text in (('train', TRAIN), ('valid', VALID), ('test', TEST)):
        (tmp_path / 'data' / f'ptb.{name}.txt').write_text(text)
    monkeypatch.chdir(tmp_path)
    random.seed(0)
    lg.setdefaulttensortype('torch.DoubleTensor')
    return tmp_path


def _params(**sizes):
    p = {'gpu': 0, 'nwords': 7, 'edim': 6, 'lindim': 3, 'memsize': 4, 'nhop': 3}
    p.update(sizes)
    return p


def _batch(p, bs=3):
    """A batch as main.lua's train builds it: init_hid input, targets, word contexts, positions 0 .. memsize-1."""
    input = lg.Tensor(bs, p['edim']).fill(0.1)
    target = lg.Tensor(bs).random(0, p['nwords'])
    context = lg.Tensor(bs, p['memsize']).random(0, p['nwords'])
    time = lg.Tensor(bs, p['memsize'])
    for t in range(p['memsize']):
        time.select(1, t).fill(t)
    return [input, target, context, time]


def _memory_modules(model):
    """The modules of model.lua by role, found through the graph: A's and C's word and position
    LookupTables (the CAddTables feeding the MMs), the shared H and the output map W."""
    mms = [n for n in model.forwardnodes if lg.typename(n.module) == 'nn.MM']
    ain = next(n for n in mms if n.module.transB).inputs[1]
    bin = next(n for n in mms if not n.module.transB).inputs[1]
    logsoftmax = next(n for n in model.forwardnodes if lg.typename(n.module) == 'nn.LogSoftMax')
    hs = [n.module for n in model.forwardnodes if isinstance(n.module, LinearNB)]
    return {'A': ain.inputs[0].module, 'T_A': ain.inputs[1].module, 'C': bin.inputs[0].module,
            'T_C': bin.inputs[1].module, 'H': [m for m in hs if m is not logsoftmax.inputs[0].module],
            'W': logsoftmax.inputs[0].module}


def numpy_cost(model, p, x):
    """The summed NLL of a batch by MemN2N's equations in NumPy: memories m = A[ctx] + T_A[t] and
    c = C[ctx] + T_C[t]; per hop p = softmax(u . m), u' = H u + sum p c, ReLU on the units past lindim;
    a log-softmax of W u at the end."""
    mods = _memory_modules(model)
    w = {k: mods[k].weight.numpy() for k in ('A', 'T_A', 'C', 'T_C', 'W')}
    H = mods['H'][0].weight.numpy()
    input, target, context, time = (t.numpy() for t in x)
    ctx, t = context.astype(int), time.astype(int)
    mem_a = w['A'][ctx] + w['T_A'][t]
    mem_c = w['C'][ctx] + w['T_C'][t]
    u = input
    for _ in range(p['nhop']):
        s = np.einsum('bd,bmd->bm', u, mem_a)
        e = np.exp(s - s.max(1, keepdims=True))
        prob = e / e.sum(1, keepdims=True)
        d = u @ H.T + np.einsum('bm,bmd->bd', prob, mem_c)
        u = np.concatenate([d[:, :p['lindim']], np.maximum(d[:, p['lindim']:], 0)], 1)
    z = u @ w['W'].T
    logp = z - z.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    return -logp[np.arange(len(target)), target.astype(int)].sum()


def test_read_words_numbers_the_words_from_eos(ptb):
    """data.lua: every line's words then ``<eos>``; new words numbered in order of appearance after
    ``<eos>`` (0), the vocabulary carried from the training file to the validation file."""
    vocab, ivocab = tds.Hash(), tds.Hash()
    ivocab[len(vocab)] = '<eos>'
    vocab['<eos>'] = len(vocab)
    words = g_read_words('data/ptb.train.txt', vocab, ivocab)
    assert tuple(words.size()) == (sum(len(line.split()) + 1 for line in TRAIN.splitlines()), 1)
    first = [vocab[w] for w in 'the cat sat on the mat'.split()] + [0]
    assert words[:7, 0].tolist() == first == [1, 2, 3, 4, 1, 5, 0]
    assert [ivocab[i] for i in range(len(vocab))] == ['<eos>', 'the', 'cat', 'sat', 'on', 'mat', 'dog', 'log',
                                                      'a', 'saw']
    valid = g_read_words('data/ptb.valid.txt', vocab, ivocab)
    assert len(vocab) == 10                                 # no new word in the validation text
    assert ' '.join(ivocab[int(i)] for i in valid[:, 0].tolist()) == \
        'the cat sat on the log <eos> a dog saw the cat <eos>'


def test_parameters_count_shared_h_once():
    """getParameters: A, C (nwords x edim each), T_A, T_C (memsize x edim), W (nwords x edim) and one H
    (edim x edim) for all hops: the nhop LinearNBs share weight and gradWeight, before and after the
    flattening."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    p = _params()
    model = g_build_model(p)
    paramx, paramdx = model.getParameters()
    nwords, edim, memsize = p['nwords'], p['edim'], p['memsize']
    assert paramx.nElement() == 3 * nwords * edim + 2 * memsize * edim + edim * edim == 210
    assert paramdx.nElement() == paramx.nElement()
    hs = _memory_modules(model)['H']
    assert len(hs) == p['nhop'] == len(model.findModules('nn.LinearNB')[0]) - 1
    for h in hs[1:]:
        assert h.weight.storage() is hs[0].weight.storage() and h.weight.storageOffset() == \
            hs[0].weight.storageOffset()
        assert h.gradWeight.storage() is hs[0].gradWeight.storage()
    assert hs[0].weight.storage() is paramx.storage()
    # parameters() lists each module's weight, so H once per hop, as Module.lua's parameters
    params = model.parameters()[0]
    assert len(params) == 5 + p['nhop']
    assert sum(t.nElement() for t in params) == paramx.nElement() + (p['nhop'] - 1) * edim * edim


def test_hops_attend_with_rows_summing_to_one():
    """Each hop's SoftMax gives a (batch, memsize) attention summing to 1 over the memory; the MMs give
    (batch, 1, memsize) scores and (batch, 1, edim) readings; each hop's state keeps its first lindim units
    linear and clamps the others at 0; the cost is one number, the summed NLL (sizeAverage false)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    p = _params()
    model = g_build_model(p)
    model.getParameters()[0].normal(0, 0.5)
    x = _batch(p, bs=3)
    out = model.forward(x)
    assert tuple(out.size()) == (1,)
    softmaxes = model.findModules('nn.SoftMax')[0]
    assert len(softmaxes) == p['nhop']
    for sm in softmaxes:
        assert tuple(sm.output.size()) == (3, p['memsize'])
        np.testing.assert_allclose(sm.output.sum(1).numpy(), 1, rtol=1e-12)
        assert float(sm.output.min()) > 0
    mms = model.findModules('nn.MM')[0]
    scores = [tuple(m.output.size()) for m in mms if m.transB]
    readings = [tuple(m.output.size()) for m in mms if not m.transB]
    assert scores == [(3, 1, p['memsize'])] * p['nhop'] and readings == [(3, 1, p['edim'])] * p['nhop']
    joins = model.findModules('nn.JoinTable')[0]
    assert len(joins) == p['nhop']
    for j in joins:
        assert tuple(j.output.size()) == (3, p['edim'])
        assert float(j.output[:, p['lindim']:].min()) >= 0
    assert float(min(j.output[:, :p['lindim']].min() for j in joins)) < 0   # the linear half is not clamped
    np.testing.assert_allclose(float(out[0]), numpy_cost(model, p, x), rtol=1e-10)


@pytest.mark.parametrize('lindim', [0, 6])
def test_all_relu_and_all_linear_states(lindim):
    """model.lua's other two branches: lindim 0 (ReLU on every unit) and lindim == edim (no ReLU) give
    NumPy's cost too."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    p = _params(lindim=lindim)
    model = g_build_model(p)
    model.getParameters()[0].normal(0, 0.5)
    x = _batch(p)
    assert len(model.findModules('nn.ReLU')[0]) == (p['nhop'] if lindim == 0 else 0)
    np.testing.assert_allclose(float(model.forward(x)[0]), numpy_cost(model, p, x), rtol=1e-10)


def test_whole_graph_gradients_match_finite_differences():
    """In float64 on a tiny configuration: the flat gradient ``g_paramdx`` after ``g_model:backward(x, y)``
    with y = ones(1), the shared H included (its gradient summed over the hops), agrees with central
    differences of the cost; so does the gradient of the initial state (the input)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    p = _params(nwords=5, edim=4, lindim=2, memsize=3, nhop=2)
    model = g_build_model(p)
    paramx, paramdx = model.getParameters()
    paramx.normal(0, 0.5)
    x = _batch(p, bs=2)
    x[0].normal(0, 0.5)
    paramdx.zero()
    model.forward(x)
    gradInput = model.backward(x, lg.ones(1))
    analytic = paramdx.clone().numpy()

    def cost():
        return float(model.forward(x)[0])
    np.testing.assert_allclose(analytic, numeric_gradient(cost, paramx.numpy()), rtol=1e-6, atol=1e-8)
    h = _memory_modules(model)['H'][0]
    assert np.abs(h.gradWeight.numpy()).max() > 1e-3    # the shared H does receive gradient
    dinput = gradInput[0].clone().numpy()
    np.testing.assert_allclose(dinput, numeric_gradient(cost, x[0].numpy()), rtol=1e-6, atol=1e-8)
    assert float(gradInput[1].abs().sum()) == 0               # the target's gradient is zero


@pytest.mark.parametrize('shape,outputSize', [((4,), 3), ((5, 4), 3), ((5, 4), 1), ((4,), 1)])
def test_linear_nb_backward_and_fbnn_twin(shape, outputSize):
    """The user module LinearNB (its own updateGradInput and accGradParameters, the ``nunit == 1`` special
    case included) agrees with finite differences in float64 and computes what fbnn's LinearNB does."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = LinearNB(4, outputSize)
    assert lg.typename(m) == 'nn.LinearNB'
    x = lg.Tensor(*shape).normal(0, 1)
    assert_jacobian(m, x)
    twin = fbnn.LinearNB(4, outputSize)
    twin.weight.copy(m.weight)
    np.testing.assert_allclose(m.forward(x).numpy(), twin.forward(x).numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() @ m.weight.numpy().T, rtol=1e-12)
    g = lg.Tensor(m.output.size()).normal(0, 1)
    m.zeroGradParameters()
    m.accGradParameters(x, g, 0)                 # a zero scale accumulates nothing, as in Lua
    assert float(m.gradWeight.abs().sum()) == 0
    m.accGradParameters(x, g)
    assert float(m.gradWeight.abs().sum()) > 0


def test_linear_nb_old_seed_branch_draws_the_same_weights(monkeypatch):
    """LinearNB.lua's reset reads ``nn.oldSeed`` (nil in torch/nn); set, its row-by-row draws give the
    weights of the single draw, as in Torch7, both within [-1/sqrt(inputSize), 1/sqrt(inputSize)]."""
    lg.manualSeed(4)
    plain = LinearNB(9, 3)
    monkeypatch.setattr(nn, 'oldSeed', True)
    lg.manualSeed(4)
    rows = LinearNB(9, 3)
    np.testing.assert_array_equal(rows.weight.numpy(), plain.weight.numpy())
    assert np.abs(plain.weight.numpy()).max() <= 1 / 3 and float(plain.weight.std()) > 0


def test_training_lowers_perplexity_and_test_perplexity_is_numpy(ptb, capsys):
    """main.lua on the tiny corpus: the training and validation perplexities fall over the epochs, each
    epoch's log holds exp of its costs, the learning rate follows the annealing rule, and the test
    perplexity is exp of the mean NLL that NumPy computes over test()'s sliding batches."""
    main(TINY + ['--epochs', '20', '--test'])
    log = np.array(g_log_cost)
    assert log.shape == (20, 4)
    assert log[-3:, 1].mean() < 0.8 * log[:3, 1].mean() and log[-3:, 2].mean() < 0.85 * log[:3, 2].mean()
    np.testing.assert_allclose(np.array(g_log_perp)[:, 1:], np.exp(log[:, 1:]), rtol=1e-12)
    dt, cuts = 0.1, 0
    for m in range(1, 20):
        if log[m, 2] > log[m - 1, 2] * 0.9999:
            dt, cuts = dt / 1.5, cuts + 1
    assert g_params['dt'] == dt and cuts > 0
    out = capsys.readouterr().out
    assert 'vocabulary size 10' in out and 'Read 36 words from data/ptb.train.txt' in out   # 31 words, 5 <eos>
    # test(): batches of consecutive positions from memsize + 1 (Lua's), wrapping before the last word
    words, ms, bs = g_words_test[:, 0].numpy().astype(int), g_params['memsize'], g_params['batchsize']
    N, m, nll = math.ceil(len(words) / bs), ms, 0.0
    for _ in range(N):
        ctx, tgt = [], []
        for _ in range(bs):
            tgt.append(words[m + 1])
            ctx.append(words[m - ms + 1:m + 1])
            m = m + 1 if m + 1 <= len(words) - 2 else ms
        x = [lg.Tensor(bs, g_params['edim']).fill(g_params['init_hid']), lg.Tensor(tgt), lg.Tensor(ctx),
             lg.Tensor(bs, ms).copy(lg.range(0, ms - 1).view(1, ms).expand(bs, ms))]
        nll += numpy_cost(g_model, g_params, x)
    np.testing.assert_allclose(math.exp(test(g_words_test)), math.exp(nll / N / bs), rtol=1e-10)
    np.testing.assert_allclose(g_log_perp[-1][3], math.exp(nll / N / bs), rtol=1e-10)


def test_gradient_clipping_bounds_the_step(ptb):
    """train's clipping: with maxgradnorm far below the gradient's norm, each step moves g_paramx by
    exactly dt * maxgradnorm (one batch per epoch: a corpus shorter than batchsize)."""
    main(TINY + ['--epochs', '0', '--maxgradnorm', '0.001', '--batchsize', '64'])
    before = g_paramx.clone()
    train(g_words_valid)
    assert math.ceil(g_words_valid.size(0) / 64) == 1
    np.testing.assert_allclose(float((g_paramx - before).norm()), g_params['dt'] * 0.001, rtol=1e-9)


def test_save_then_load_restores_the_parameters(ptb, tmp_path):
    """save(): params, paramx as a FloatTensor and the logs, written with lg.save; ``--load`` copies paramx
    back into a fresh model, whose validation cost is the saved model's (to float precision); ``--show``
    draws xlua's bar."""
    path = str(tmp_path / 'memn2n.t7')
    main(TINY + ['--epochs', '2', '--save', path, '--show'])
    saved = lg.load(path)
    assert saved['paramx'].type() == 'legonn.FloatTensor' and saved['params']['edim'] == 8
    assert len(saved['log_cost']) == 2 and saved['log_cost'][1][2] == g_log_cost[1][2]
    cost = test(g_words_valid)
    main(TINY + ['--epochs', '0', '--load', path])
    np.testing.assert_allclose(test(g_words_valid), cost, rtol=1e-5)
    np.testing.assert_array_equal(g_paramx.float().numpy(), saved['paramx'].numpy())


@pytest.mark.gpu
def test_memn2n_on_cuda_matches_the_cpu(ptb):
    """main.lua as written, ``--gpu 1``: CudaTensor batches into the model after ``model:cuda()`` (float
    throughout, as Torch7's CudaTensor: the default type is set back to float); the summed cost and the flat
    gradient agree with the CPU model's."""
    lg.setdefaulttensortype('torch.FloatTensor')
    main(TINY + ['--gpu', '1', '--epochs', '2'])
    assert g_paramx.type() == 'legonn.CudaTensor'
    assert np.isfinite(np.array(g_log_cost)).all()
    p = dict(g_params, gpu=0)
    cpu = g_build_model(p)
    cx, cdx = cpu.getParameters()
    cx.copy(g_paramx)
    x = _batch(p, bs=4)
    gx = [t.cuda() for t in x]
    for m, batch, dx in ((cpu, x, cdx), (g_model, gx, g_paramdx)):
        dx.zero()
        m.forward(batch)
        m.backward(batch, lg.ones(1))
    np.testing.assert_allclose(float(g_model.output[0]), float(cpu.output[0]), rtol=1e-4)
    np.testing.assert_allclose(g_paramdx.float().numpy(), cdx.float().numpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.gpu
def test_cuda_gives_float_in_the_double_default_as_torch7():
    """In the DoubleTensor default, model.lua's ``model:cuda()`` gives CudaTensor (float) parameters, as
    cutorch's, so main.lua's ``torch.CudaTensor`` batches go through the first hop's MM unchanged."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    p = _params(gpu=1)
    model = g_build_model(p)
    assert model.getParameters()[0].type() == 'legonn.CudaTensor'
    x = [t.cuda() for t in _batch(p)]
    assert {t.type() for t in x} == {'legonn.CudaTensor'}
    assert np.isfinite(float(model.forward(x)[0]))
