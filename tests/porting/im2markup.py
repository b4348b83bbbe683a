"""harvardnlp/im2markup ported line by line (the image-to-LaTeX attention model): src/model/cnn.lua (createCNNModel,
cudnn layers through legonn.cudnn), src/model/LSTM.lua (createLSTM, create_decoder_attn), src/model/criterion.lua,
src/model/output_projector.lua, src/utils/model_utils.lua (clone_many_times, nn.LinearNoBias), src/utils/memory.lua
(reuseMem, setReuse, usePrealloc, setPrealloc: methods the repository adds to nn.Module, which the tests install on
legonn's), src/utils/utils.lua (shuffle, reset_state, localize, path2numlist, evalHTMLErrRate with numlist2str and the
Levenshtein distance), src/data/data_gen.lua (DataGen), src/optim/optim_sgd.lua and optim_adadelta.lua (the per-layer
``_list`` optimisers), src/model/model.lua (create, load, _build, step, save), src/utils/logging.lua and src/train.lua
(options, train, main).

Not ported: the ``visualize`` branch (an HTML report with attention maps) and the trie-constrained beam (it needs a
dictionary file). Two loops of model.lua are named functions here, without other change: the row encoder, which
step writes out twice (forward, and again before the backward), is ``_encode_row`` (the forward copies each step's
top hidden state into the context after the row, not inside the loop: the clones' outputs hold them until the next
row), and the ``forward_only`` decoding is ``_beam_search``. Vocabulary ids move down by one: padding 0, GO 1, EOS 2,
UNK 3 (the Lua's 1 to 4), and position keys of the state tables by one (the Lua's ``[0]`` initial state is ``[-1]``).
Two quirks of the Lua stay as they are: on the CPU, ``raw_indices:fmod(V)`` works in place, so every beam's parent
becomes the first (the repository decodes only on CUDA, where ``:double()`` copies first, and the CPU index then
refuses its DoubleTensor of indices anyway); and reset_state hands both encoder directions the same initial
tensors. One goes with the shift: at the first step the Lua's parent ``raw / V + 1`` is 2 for the last word of the
vocabulary, the port's ``raw // V`` is always 0.
Tests live in tests/porting/test_im2markup.py."""
import math
import os
import random
import shutil
import time

import legonn as lg
from legonn import cudnn, cutorch, image, nn, paths

use_cuda = False   # the global train.lua sets from opt.gpu_id; localize reads it
id2vocab = []      # the global train.lua reads from the vocabulary file


# --- src/utils/memory.lua ------------------------------------------------------------------------------------

preallocTable = None


def reuseMem(self, name=None):
    self.reuse = True
    return self


def setReuse(self):
    if getattr(self, 'reuse', False):
        assert type(self.output) == type(self.gradInput), 'invalid use of reuseMem:'
        self.gradInput = self.output
    return self


def preallocateMemory(switch):
    global preallocTable
    if switch:
        preallocTable = {}
        print('Switching on memory preallocation')


def preallocateTensor(name, D):
    if len(D) > 1:
        return [preallocateTensor(name, [d]) for d in D]
    D = D[0]
    return localize(lg.zeros(lg.LongStorage(D)))


def usePrealloc(self, preallocName, inputDim=None, outputDim=None):
    if preallocTable is None:
        if 'reuse' in preallocName:
            self.reuseMem()
        return self
    self.prealloc = preallocName
    self.name = preallocName
    self.preallocInputDim = inputDim
    self.preallocOutputDim = outputDim
    return self


def setPrealloc(self):
    if getattr(self, 'prealloc', None) and (self.preallocInputDim is not None or self.preallocOutputDim is not None):
        if preallocTable.get(self.prealloc) is None:
            preallocTable[self.prealloc] = {}
            if self.preallocInputDim is not None:
                preallocTable[self.prealloc]['GI'] = preallocateTensor(self.prealloc, self.preallocInputDim)
            if self.preallocOutputDim is not None:
                preallocTable[self.prealloc]['O'] = preallocateTensor(self.prealloc, self.preallocOutputDim)
        memmap = preallocTable[self.prealloc]
        if memmap.get('GI') is not None:
            assert type(self.gradInput) == type(memmap['GI']), 'invalid use of usePrealloc [' + self.prealloc + ']/GI'
            self.gradInput = memmap['GI']
        if memmap.get('O') is not None:
            assert type(self.output) == type(memmap['O']), 'invalid use of usePrealloc [' + self.prealloc + ']/O'
            self.output = memmap['O']
    return self


MODULE_METHODS = {'reuseMem': reuseMem, 'setReuse': setReuse, 'usePrealloc': usePrealloc,
                  'setPrealloc': setPrealloc}   # `function nn.Module:name(...)`: installed by the tests' fixture


# --- src/utils/utils.lua -------------------------------------------------------------------------------------

def localize(thing):
    assert use_cuda is not None, 'use_cuda must be set!'
    if use_cuda:
        return thing.cuda()
    return thing


def reset_state(state, batch_l, t=None):
    if t is None:
        u = []
        for s in state:
            s.zero()
            u.append(s[0:batch_l])
        return u
    u = {t: []}
    for s in state:
        s.zero()
        u[t].append(s[0:batch_l])
    return u


def swap(array, index1, index2):
    array[index1], array[index2] = array[index2], array[index1]


def shuffle(array):
    counter = len(array)
    while counter > 1:
        index = random.randint(1, counter)    # Lua's math.random(counter): 1 .. counter
        swap(array, index - 1, counter - 1)
        counter = counter - 1


def split(str_):
    return str_.split()


vocab2id = None
label_lines = None


def path2numlist(file_path, label_path):
    """GO, the formula's token ids (UNK for unknown ones), EOS; ``file_path`` is the formula's line number
    (0-based, as the repository's data files give it)."""
    global vocab2id, label_lines
    if vocab2id is None:
        vocab2id = {}
        for i in range(len(id2vocab)):
            vocab2id[id2vocab[i]] = i + 4
    if label_lines is None:
        label_lines = []
        with open(label_path) as file:
            for line in file:
                label_lines.append(split(line.strip()))
    numlist = [1]
    strlist = label_lines[int(file_path)]     # the Lua's tonumber(file_path)+1, a 1-based table's
    for token in strlist:
        numlist.append(vocab2id[token] if vocab2id.get(token) is not None else 3)
    numlist.append(2)
    return numlist


def levenshtein(str1, str2):
    len1, len2 = len(str1), len(str2)
    if len1 == 0:
        return len2
    elif len2 == 0:
        return len1
    elif str1 == str2:
        return 0
    matrix = [[0] * (len2 + 1) for _ in range(len1 + 1)]
    for i in range(len1 + 1):
        matrix[i][0] = i
    for j in range(len2 + 1):
        matrix[0][j] = j
    for i in range(1, len1 + 1):
        for j in range(1, len2 + 1):
            cost = 0 if str1[i - 1] == str2[j - 1] else 1
            matrix[i][j] = min(matrix[i - 1][j] + 1, matrix[i][j - 1] + 1, matrix[i - 1][j - 1] + cost)
    return matrix[len1][len2]


def numlist2str(label_list):
    s = []
    for vocab_id in label_list:
        if vocab_id <= 2:        # padding, GO or EOS ends the string (the Lua's `vocab_id <= 3`)
            break
        l = 'UNK' if vocab_id == 3 else id2vocab[vocab_id - 4]
        s.extend(l)
        s.append(' ')
    return ''.join(s)


def evalHTMLErrRate(labels, target_labels):
    batch_size, target_l = labels.size(0), labels.size(1)
    assert batch_size == target_labels.size(0)
    assert target_l == target_labels.size(1)
    word_error_rate = 0.0
    for b in range(batch_size):
        label_list = []
        for t in range(target_l):
            label = int(labels[b][t])
            if label == 2:
                break
            label_list.append(label)
        target_label_list = []
        for t in range(target_l):
            label = int(target_labels[b][t])
            if label == 2:
                break
            target_label_list.append(label)
        label_str, target_label_str = numlist2str(label_list), numlist2str(target_label_list)
        word_error_rate += min(1, levenshtein(label_str, target_label_str) / len(target_label_str))
    return word_error_rate


# --- src/utils/model_utils.lua -------------------------------------------------------------------------------

def clone_many_times(net, T):
    params, gradParams = net.parameters()
    if params is None:
        params = []
    paramsNoGrad = net.parametersNoGrad() if hasattr(net, 'parametersNoGrad') else None
    blob = lg.serialize(net)                      # torch.MemoryFile("w"):binary():writeObject(net)
    clones = []
    for t in range(T):
        clone = lg.deserialize(blob)              # a new reader for each clone
        cloneParams, cloneGradParams = clone.parameters()
        for i in range(len(params)):
            cloneParams[i].set(params[i])
            cloneGradParams[i].set(gradParams[i])
        if paramsNoGrad:
            cloneParamsNoGrad = clone.parametersNoGrad()
            for i in range(len(paramsNoGrad)):
                cloneParamsNoGrad[i].set(paramsNoGrad[i])
        clones.append(clone)
    return clones


class LinearNoBias(nn.Linear):
    """Subclass of nn.Linear with no bias term: y = W x for x of n or b x n."""

    def __init__(self, inputSize, outputSize):
        nn.Module.__init__(self)
        self.weight = lg.Tensor(outputSize, inputSize)
        self.gradWeight = lg.Tensor(outputSize, inputSize)
        self.reset()

    def reset(self, stdv=None):
        if stdv is not None:
            stdv = stdv * math.sqrt(3)
        else:
            stdv = 1. / math.sqrt(self.weight.size(1))
        self.weight.uniform(-stdv, stdv)
        return self

    def updateOutput(self, input):
        if input.dim() == 1:
            self.output.resize(self.weight.size(0))
            self.output.mv(self.weight, input)
        elif input.dim() == 2:
            nframe = input.size(0)
            nElement = self.output.nElement()
            self.output.resize(nframe, self.weight.size(0))
            if self.output.nElement() != nElement:
                self.output.zero()
            if getattr(self, 'addBuffer', None) is None or self.addBuffer.nElement() != nframe:
                self.addBuffer = input.new(nframe).fill(1)
            self.output.addmm(0, self.output, 1, input, self.weight.t())
        else:
            raise ValueError('input must be vector or matrix')
        return self.output

    def accGradParameters(self, input, gradOutput, scale=None):
        if scale is None:
            scale = 1
        if input.dim() == 1:
            self.gradWeight.addr(scale, gradOutput, input)
        elif input.dim() == 2:
            self.gradWeight.addmm(scale, gradOutput.t(), input)


# torch.class('nn.LinearNoBias', 'nn.Linear'): legonn's nn has rnn's LinearNoBias already, whose name luaT would not
# give a second class ("already assigned a parent class"), so the port's is saved under a name of its own
lg.register(LinearNoBias, 'im2markup.LinearNoBias')


# --- src/model/cnn.lua ---------------------------------------------------------------------------------------

def createCNNModel(use_cuda=None):
    model = nn.Sequential()
    # input shape: (batch_size, 1, imgH, imgW)
    model.add(nn.AddConstant(-128.0))
    model.add(nn.MulConstant(1.0 / 128))
    model.add(cudnn.SpatialConvolution(1, 64, 3, 3, 1, 1, 1, 1))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(cudnn.SpatialConvolution(64, 128, 3, 3, 1, 1, 1, 1))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(cudnn.SpatialConvolution(128, 256, 3, 3, 1, 1, 1, 1))
    model.add(nn.SpatialBatchNormalization(256))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(1, 2, 1, 2, 0, 0))   # (batch_size, 256, imgH/2/2/2, imgW/2/2)
    model.add(cudnn.SpatialConvolution(256, 512, 3, 3, 1, 1, 1, 1))
    model.add(nn.SpatialBatchNormalization(512))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(2, 1, 2, 1, 0, 0))   # (batch_size, 512, imgH/2/2/2, imgW/2/2/2)
    model.add(cudnn.SpatialConvolution(512, 512, 3, 3, 1, 1, 1, 1))
    model.add(nn.SpatialBatchNormalization(512))
    model.add(cudnn.ReLU(True))
    model.add(nn.Transpose([1, 2], [2, 3]))   # (batch_size, H, W, 512)
    model.add(nn.SplitTable(0, 3))            # #H list of (batch_size, W, 512)
    return model


# --- src/model/LSTM.lua --------------------------------------------------------------------------------------

def createLSTM(input_size, num_hidden, num_layers, dropout, use_attention, input_feed, use_lookup, vocab_size,
               batch_size, max_encoder_l, model):
    """inputs: x, (context), (prev attention), [prev_c, prev_h]*L; outputs: [next_c, next_h]*L, (h_out)."""
    if dropout is None:
        dropout = 0
    inputs = [nn.Identity()()]   # x
    offset = 0
    if use_attention:
        inputs.append(nn.Identity()())    # all context (batch_size x source_l x num_hidden)
        offset = offset + 1
        if input_feed:
            inputs.append(nn.Identity()())   # prev context_attn (batch_size x num_hidden)
            offset = offset + 1
    for L in range(num_layers):
        inputs.append(nn.Identity()())   # prev_c[L]
        inputs.append(nn.Identity()())   # prev_h[L]

    outputs = []
    for L in range(num_layers):
        nameL = model + '_L' + str(L + 1) + '_'
        prev_h = inputs[L * 2 + 1 + offset + 1]
        prev_c = inputs[L * 2 + offset + 1]
        if L == 0:
            if use_lookup:
                embeddings = nn.LookupTable(vocab_size, input_size)
                x = embeddings(inputs[0])
            else:
                x = inputs[0]
            input_size_L = input_size
            if input_feed:
                x = nn.JoinTable(1).usePrealloc('dec_inputfeed_join',
                                                [[batch_size, input_size], [batch_size, num_hidden]])([x, inputs[offset]])
                input_size_L = input_size + num_hidden
        else:
            x = outputs[(L - 1) * 2 + 1]
            if dropout is not None:   # Lua's `if dropout then`: a number, 0 included, is true
                x = nn.Dropout(dropout).usePrealloc(nameL + 'dropout', [[batch_size, input_size_L]])(x)
            input_size_L = num_hidden
        i2h_name = 'i2h-reuse' if input_size_L <= 4 * num_hidden else 'i2h'
        i2h = nn.Linear(input_size_L, 4 * num_hidden).usePrealloc(
            nameL + i2h_name, [[batch_size, input_size_L]], [[batch_size, 4 * num_hidden]])(x)
        h2h = nn.Linear(num_hidden, 4 * num_hidden).usePrealloc(
            nameL + 'h2h-reuse', [[batch_size, num_hidden]], [[batch_size, 4 * num_hidden]])(prev_h)
        all_input_sums = nn.CAddTable().usePrealloc(
            nameL + 'allinput', [[batch_size, 4 * num_hidden], [batch_size, 4 * num_hidden]],
            [[batch_size, 4 * num_hidden]])([i2h, h2h])
        reshaped = nn.Reshape(4, num_hidden)(all_input_sums)
        n1, n2, n3, n4 = nn.SplitTable(1).usePrealloc(nameL + 'reshapesplit',
                                                      [[batch_size, 4, num_hidden]])(reshaped).split(4)
        in_gate = nn.Sigmoid().usePrealloc(nameL + 'G1-reuse', [[batch_size, num_hidden]])(n1)
        forget_gate = nn.Sigmoid().usePrealloc(nameL + 'G2-reuse', [[batch_size, num_hidden]])(n2)
        out_gate = nn.Sigmoid().usePrealloc(nameL + 'G3-reuse', [[batch_size, num_hidden]])(n3)
        in_transform = nn.Tanh().usePrealloc(nameL + 'G4-reuse', [[batch_size, num_hidden]])(n4)
        hh = [[batch_size, num_hidden], [batch_size, num_hidden]]
        next_c = nn.CAddTable().usePrealloc(nameL + 'G5a', hh)([
            nn.CMulTable().usePrealloc(nameL + 'G5b', hh)([forget_gate, prev_c]),
            nn.CMulTable().usePrealloc(nameL + 'G5c', hh)([in_gate, in_transform])])
        next_h = nn.CMulTable().usePrealloc(nameL + 'G5d', hh)(
            [out_gate, nn.Tanh().usePrealloc(nameL + 'G6-reuse', [[batch_size, num_hidden]])(next_c)])
        outputs.append(next_c)
        outputs.append(next_h)
    if use_attention:
        top_h = outputs[-1]
        decoder_attn = create_decoder_attn(num_hidden, 0, batch_size, max_encoder_l)
        decoder_attn.name = 'decoder_attn'
        decoder_out = decoder_attn([top_h, inputs[1]])
        if dropout is not None:
            decoder_out = nn.Dropout(dropout, None, False).usePrealloc('dec_dropout',
                                                                      [[batch_size, num_hidden]])(decoder_out)
        outputs.append(decoder_out)
    return nn.gModule(inputs, outputs)


def create_decoder_attn(num_hidden, simple, batch_size, max_encoder_l):
    """inputs[0]: target_t (batch_l x num_hidden); inputs[1]: context (batch_l x source_l x num_hidden)."""
    inputs = [nn.Identity()(), nn.Identity()()]
    target_t = LinearNoBias(num_hidden, num_hidden)(inputs[0])
    context = inputs[1]
    simple = simple or 0
    attn = nn.MM().usePrealloc('dec_attn_mm1', [[batch_size, max_encoder_l, num_hidden], [batch_size, num_hidden, 1]],
                               [[batch_size, max_encoder_l, 1]])([context, nn.Replicate(1, 2)(target_t)])
    attn = nn.Sum(2)(attn)
    softmax_attn = nn.SoftMax()
    softmax_attn.name = 'softmax_attn'
    attn = softmax_attn(attn)
    attn = nn.Replicate(1, 1)(attn)   # batch_l x 1 x source_l
    context_combined = nn.MM().usePrealloc('dec_attn_mm2',
                                           [[batch_size, 1, max_encoder_l], [batch_size, max_encoder_l, num_hidden]],
                                           [[batch_size, 1, num_hidden]])([attn, context])
    context_combined = nn.Sum(1).usePrealloc('dec_attn_sum', [[batch_size, 1, num_hidden]],
                                             [[batch_size, num_hidden]])(context_combined)
    if simple == 0:
        context_combined = nn.JoinTable(1).usePrealloc('dec_attn_jointable',
                                                       [[batch_size, num_hidden], [batch_size, num_hidden]])(
            [context_combined, inputs[0]])   # batch_l x num_hidden*2
        context_output = nn.Tanh().usePrealloc('dec_noattn_tanh', [[batch_size, num_hidden]])(
            LinearNoBias(num_hidden * 2, num_hidden).usePrealloc('dec_noattn_linear',
                                                                 [[batch_size, 2 * num_hidden]])(context_combined))
    else:
        context_output = nn.CAddTable().usePrealloc('dec_attn_caddtable1',
                                                    [[batch_size, num_hidden], [batch_size, num_hidden]])(
            [context_combined, inputs[0]])
    return nn.gModule(inputs, [context_output])


# --- src/model/criterion.lua, output_projector.lua -----------------------------------------------------------

def createCriterion(output_size):
    weights = lg.ones(output_size)
    weights[0] = 0
    criterion = nn.ClassNLLCriterion(weights)
    criterion.sizeAverage = False
    return criterion


def createOutputUnit(input_size, output_size):
    model = nn.Sequential()
    model.add(nn.Linear(input_size, output_size))
    model.add(nn.LogSoftMax())
    return model


# --- src/optim/optim_sgd.lua, optim_adadelta.lua -------------------------------------------------------------

def sgd_list(opfunc, x, config=None, state=None):
    config = config if config is not None else {}
    state = state if state is not None else config
    # `config.x or default` keeps a 0 in Lua (only nil and false are false): .get(key, default), never `or`
    lr = config.get('learningRate', 1e-3)
    lrd = config.get('learningRateDecay', 0)
    wd = config.get('weightDecay', 0)
    mom = config.get('momentum', 0)
    damp = config.get('dampening', mom)
    nesterov = config.get('nesterov', False)
    lrs = config.get('learningRates')
    wds = config.get('weightDecays')
    assert not nesterov or (mom > 0 and damp == 0), 'Nesterov momentum requires a momentum and zero dampening'
    fx, dfdx, stats = opfunc(x)
    for i in range(len(x)):
        if state.get(i) is None:
            state[i] = {}
        state[i]['evalCounter'] = state[i].get('evalCounter', 0)
        nevals = state[i]['evalCounter']
        y = x[i]
        dfdy = dfdx[i]
        if dfdy.norm() > 5:
            dfdy.mul(5.0 / dfdy.norm())
        if wd != 0:
            dfdy.add(wd, y)
        elif wds is not None:
            if state[i].get('decayParameters') is None:
                state[i]['decayParameters'] = lg.Tensor().typeAs(y).resizeAs(dfdy)
            state[i]['decayParameters'].copy(wds).cmul(y)
            dfdy.add(state[i]['decayParameters'])
        if mom != 0:
            if state[i].get('dfdy') is None:
                state[i]['dfdy'] = lg.Tensor().typeAs(dfdy).resizeAs(dfdy).copy(dfdy)
            else:
                state[i]['dfdy'].mul(mom).add(1 - damp, dfdy)
            if nesterov:
                dfdy.add(mom, state[i]['dfdy'])
            else:
                dfdy = state[i]['dfdy']
        clr = lr / (1 + nevals * lrd)
        if lrs is not None:
            if state[i].get('deltaParameters') is None:
                state[i]['deltaParameters'] = lg.Tensor().typeAs(y).resizeAs(dfdy)
            state[i]['deltaParameters'].copy(lrs).cmul(dfdy)
            y.add(-clr, state[i]['deltaParameters'])
        else:
            y.add(-clr, dfdy)
        state[i]['evalCounter'] = state[i]['evalCounter'] + 1
    return x, [fx], stats


def adadelta_list(opfunc, x, config=None, state=None):
    if config is None and state is None:
        print('no state table, ADADELTA initializing')
    config = config if config is not None else {}
    state = state if state is not None else config
    rho = config.get('rho', 0.9)
    eps = config.get('eps', 1e-6)
    wd = config.get('weightDecay', 0)
    fx, dfdx, stats = opfunc(x)
    for i in range(len(x)):
        y = x[i]
        dfdy = dfdx[i]
        if wd != 0:
            dfdy.add(wd, y)
        if state.get(i) is None:
            state[i] = {}
        s = state[i]
        s['evalCounter'] = state.get('evalCounter', 0)
        if s.get('paramVariance') is None:
            s['paramVariance'] = lg.Tensor().typeAs(y).resizeAs(dfdy).zero()
            s['paramStd'] = lg.Tensor().typeAs(y).resizeAs(dfdy).zero()
            s['delta'] = lg.Tensor().typeAs(y).resizeAs(dfdy).zero()
            s['accDelta'] = lg.Tensor().typeAs(y).resizeAs(dfdy).zero()
        s['paramVariance'].mul(rho).addcmul(1 - rho, dfdy, dfdy)
        s['paramStd'].resizeAs(s['paramVariance']).copy(s['paramVariance']).add(eps).sqrt()
        s['delta'].resizeAs(s['paramVariance']).copy(s['accDelta']).add(eps).sqrt().cdiv(s['paramStd']).cmul(dfdy)
        y.add(-0.01, s['delta'])
        s['accDelta'].mul(rho).addcmul(1 - rho, s['delta'], s['delta'])
        s['evalCounter'] = s['evalCounter'] + 1
    return x, [fx], stats


# --- src/data/data_gen.lua -----------------------------------------------------------------------------------

class DataGen:
    def __init__(self, data_base_dir, data_path, label_path, max_aspect_ratio=None, max_encoder_l_h=None,
                 max_encoder_l_w=None, max_decoder_l=None):
        self.data_base_dir = data_base_dir
        self.data_path = data_path
        self.label_path = label_path
        self.max_aspect_ratio = max_aspect_ratio if max_aspect_ratio is not None else math.inf
        self.max_encoder_l_h = max_encoder_l_h if max_encoder_l_h is not None else math.inf
        self.max_encoder_l_w = max_encoder_l_w if max_encoder_l_w is not None else math.inf
        self.max_decoder_l = max_decoder_l if max_decoder_l is not None else math.inf
        self.min_aspect_ratio = 0.5
        try:
            file = open(self.data_path)
        except OSError:
            file = open(paths.concat(self.data_base_dir, self.data_path))
        self.lines = []
        with file:
            for line in file:
                filename, label = split(line)[:2]
                self.lines.append([filename, label])
        self.cursor = 0
        self.buffer = {}

    def shuffle(self):
        shuffle(self.lines)

    def size(self):
        return len(self.lines)

    def _batch(self, entries):
        imgH, imgW = entries[0][0].size(1), entries[0][0].size(2)
        images = lg.Tensor(len(entries), 1, imgH, imgW)
        max_target_length = -math.inf
        img_paths = []
        for i, (img, label_list, img_path) in enumerate(entries):
            img_paths.append(img_path)
            images[i].copy(img)
            max_target_length = max(max_target_length, len(label_list))
        # targets: the decoder's inputs, GO, ch1, ..., chn; targets_eval: what it predicts, ch1, ..., chn, EOS
        targets = lg.IntTensor(len(entries), max_target_length - 1).fill(0)
        targets_eval = lg.IntTensor(len(entries), max_target_length - 1).fill(0)
        num_nonzeros = 0
        for i, (_, label_list, _) in enumerate(entries):
            num_nonzeros = num_nonzeros + len(label_list) - 1
            for j in range(len(label_list) - 1):
                targets[i][j] = label_list[j]
                targets_eval[i][j] = label_list[j + 1]
        return [images, targets, targets_eval, num_nonzeros, img_paths]

    def nextBatch(self, batch_size):
        while self.cursor < len(self.lines):
            img_path = self.lines[self.cursor][0]
            try:                                  # pcall(image.load, ...)
                img = image.load(paths.concat(self.data_base_dir, img_path))
            except Exception:
                self.cursor = self.cursor + 1
                print(img_path)
                continue
            label_list = path2numlist(self.lines[self.cursor][1], self.label_path)
            self.cursor = self.cursor + 1
            img = 255.0 * image.rgb2y(img)
            origH, origW = img.size()[1], img.size()[2]
            if len(label_list) - 1 > self.max_decoder_l:
                print("WARNING: %s's target sequence is too long, will be truncated." % img_path)
                label_list = label_list[:self.max_decoder_l + 1]
            if len(label_list) - 1 <= self.max_decoder_l and math.floor(origH / 8.0) <= self.max_encoder_l_h \
                    and math.floor(origW / 8.0) <= self.max_encoder_l_w:
                imgW, imgH = origW, origH
                bucket = self.buffer.setdefault(imgW, {}).setdefault(imgH, [])
                bucket.append([img.clone(), label_list, img_path])
                if len(bucket) == batch_size:
                    del self.buffer[imgW][imgH]
                    return self._batch(bucket)
            else:
                print('WARNING: %s is too large, will be ignored.' % img_path)
        # the data is used up: the partial buckets, one a call, then nil and back to the start
        for imgW in self.buffer:
            for imgH in self.buffer[imgW]:
                return self._batch(self.buffer[imgW].pop(imgH))
        self.buffer = {}
        self.cursor = 0
        return None


# --- src/model/model.lua -------------------------------------------------------------------------------------

class Model:
    """The encoder-decoder: a CNN, a row encoder (a forward and a backward LSTM over each row of CNN features,
    started from a learnt embedding of the row number), an attention decoder and an output projector."""

    def load(self, model_path, config=None):
        config = config if config is not None else {}
        checkpoint = lg.load(model_path)
        model, model_config = checkpoint[0], checkpoint[1]
        preallocateMemory(model_config['prealloc'])
        self.cnn_model = model[0].double()
        self.encoder_fw = model[1].double()
        self.encoder_bw = model[2].double()
        self.decoder = model[3].double()
        self.output_projector = model[4].double()
        self.pos_embedding_fw = model[5].double()
        self.pos_embedding_bw = model[6].double()
        self.global_step = checkpoint[2]
        self.optim_state = checkpoint[3]
        global id2vocab
        id2vocab = checkpoint[4]

        self.cnn_feature_size = 512
        self.dropout = model_config['dropout']
        self.encoder_num_hidden = model_config['encoder_num_hidden']
        self.encoder_num_layers = model_config['encoder_num_layers']
        self.decoder_num_hidden = self.encoder_num_hidden * 2
        self.decoder_num_layers = model_config['decoder_num_layers']
        self.target_vocab_size = len(id2vocab) + 4
        self.target_embedding_size = model_config['target_embedding_size']
        self.input_feed = model_config['input_feed']
        self.prealloc = model_config['prealloc']

        self.max_encoder_l_w = config.get('max_encoder_l_w', model_config['max_encoder_l_w'])
        self.max_encoder_l_h = config.get('max_encoder_l_h', model_config['max_encoder_l_h'])
        self.max_decoder_l = config.get('max_decoder_l', model_config['max_decoder_l'])
        self.batch_size = config.get('batch_size', model_config['batch_size'])

        if config['max_encoder_l_h'] > model_config['max_encoder_l_h']:
            size = self.encoder_num_layers * self.encoder_num_hidden * 2
            pos_embedding_fw = nn.Sequential().add(nn.LookupTable(self.max_encoder_l_h, size))
            pos_embedding_bw = nn.Sequential().add(nn.LookupTable(self.max_encoder_l_h, size))
            for i in range(self.max_encoder_l_h):
                j = min(i, model_config['max_encoder_l_h'] - 1)
                pos_embedding_fw.get(0).weight[i] = self.pos_embedding_fw.get(0).weight[j]
                pos_embedding_bw.get(0).weight[i] = self.pos_embedding_bw.get(0).weight[j]
            self.pos_embedding_fw = pos_embedding_fw
            self.pos_embedding_bw = pos_embedding_bw
        self._init = False
        self._build()

    def create(self, config):
        self.cnn_feature_size = 512
        self.dropout = config['dropout']
        self.encoder_num_hidden = config['encoder_num_hidden']
        self.encoder_num_layers = config['encoder_num_layers']
        self.decoder_num_hidden = config['encoder_num_hidden'] * 2
        self.decoder_num_layers = config['decoder_num_layers']
        self.target_vocab_size = config['target_vocab_size']
        self.target_embedding_size = config['target_embedding_size']
        self.max_encoder_l_w = config['max_encoder_l_w']
        self.max_encoder_l_h = config['max_encoder_l_h']
        self.max_decoder_l = config['max_decoder_l']
        self.input_feed = config['input_feed']
        self.batch_size = config['batch_size']
        self.prealloc = config['prealloc']
        preallocateMemory(config['prealloc'])

        size = self.encoder_num_layers * self.encoder_num_hidden * 2
        self.pos_embedding_fw = nn.Sequential().add(nn.LookupTable(self.max_encoder_l_h, size))
        self.pos_embedding_bw = nn.Sequential().add(nn.LookupTable(self.max_encoder_l_h, size))
        self.cnn_model = createCNNModel()
        # self.max_encoder_l is set nowhere in the repository: createLSTM gets nil, which only the preallocated sizes read
        max_encoder_l = getattr(self, 'max_encoder_l', None)
        self.encoder_fw = createLSTM(self.cnn_feature_size, self.encoder_num_hidden, self.encoder_num_layers,
                                     self.dropout, False, False, False, None, self.batch_size, max_encoder_l,
                                     'encoder-fw')
        self.encoder_bw = createLSTM(self.cnn_feature_size, self.encoder_num_hidden, self.encoder_num_layers,
                                     self.dropout, False, False, False, None, self.batch_size, max_encoder_l,
                                     'encoder-bw')
        self.decoder = createLSTM(self.target_embedding_size, self.decoder_num_hidden, self.decoder_num_layers,
                                  self.dropout, True, self.input_feed, True, self.target_vocab_size, self.batch_size,
                                  max_encoder_l, 'decoder')
        self.output_projector = createOutputUnit(self.decoder_num_hidden, self.target_vocab_size)
        self.global_step = 0
        self._init = True
        self.optim_state = {'learningRate': config['learning_rate']}
        self._build()

    def _build(self):
        self.config = {k: getattr(self, k) for k in (
            'dropout', 'encoder_num_hidden', 'encoder_num_layers', 'decoder_num_hidden', 'decoder_num_layers',
            'target_vocab_size', 'target_embedding_size', 'max_encoder_l_w', 'max_encoder_l_h', 'max_decoder_l',
            'input_feed', 'batch_size', 'prealloc')}
        if self.optim_state is None:
            self.optim_state = {}
        self.criterion = createCriterion(self.target_vocab_size)

        self.layers = [self.cnn_model, self.encoder_fw, self.encoder_bw, self.decoder, self.output_projector,
                       self.pos_embedding_fw, self.pos_embedding_bw]
        for layer in self.layers:
            localize(layer)
        localize(self.criterion)

        B, H = self.batch_size, self.encoder_num_hidden
        self.context_proto = localize(lg.zeros(B, self.max_encoder_l_w * self.max_encoder_l_h, 2 * H))
        self.encoder_fw_grad_proto = localize(lg.zeros(B, self.max_encoder_l_w * self.max_encoder_l_h, H))
        self.encoder_bw_grad_proto = localize(lg.zeros(B, self.max_encoder_l_w * self.max_encoder_l_h, H))
        self.cnn_grad_proto = localize(lg.zeros(self.max_encoder_l_h, B, self.max_encoder_l_w, self.cnn_feature_size))
        self.pos_embedding_grad_fw_proto = localize(lg.zeros(B, self.encoder_num_layers * H * 2))

        num_params = 0
        self.params, self.grad_params = [], []
        for layer in self.layers:
            p, gp = layer.getParameters()
            if self._init:
                p.uniform(-0.05, 0.05)
            num_params = num_params + p.size(0)
            self.params.append(p)
            self.grad_params.append(gp)
        self.num_params = num_params

        self.decoder_clones = clone_many_times(self.decoder, self.max_decoder_l)
        self.encoder_fw_clones = clone_many_times(self.encoder_fw, self.max_encoder_l_w)
        self.encoder_bw_clones = clone_many_times(self.encoder_bw, self.max_encoder_l_w)
        for clones in (self.encoder_fw_clones, self.encoder_bw_clones, self.decoder_clones):
            for clone in clones:
                clone.apply(lambda m: m.setReuse())
                if self.prealloc:
                    clone.apply(lambda m: m.setPrealloc())
        encoder_h_init = localize(lg.zeros(B, H))
        decoder_h_init = localize(lg.zeros(B, self.decoder_num_hidden))
        self.init_fwd_enc, self.init_bwd_enc, self.init_fwd_dec, self.init_bwd_dec = [], [], [], []
        for L in range(self.encoder_num_layers):
            self.init_fwd_enc += [encoder_h_init.clone(), encoder_h_init.clone()]
            self.init_bwd_enc += [encoder_h_init.clone(), encoder_h_init.clone()]
        if self.input_feed:
            self.init_fwd_dec.append(decoder_h_init.clone())
        self.init_bwd_dec.append(decoder_h_init.clone())
        for L in range(self.decoder_num_layers):
            self.init_fwd_dec += [decoder_h_init.clone(), decoder_h_init.clone()]   # memory cell, hidden state
            self.init_bwd_dec += [decoder_h_init.clone(), decoder_h_init.clone()]
        self.dec_offset = 2   # dlst[2:] are the state gradients (the Lua's 3), one later with input feeding
        if self.input_feed:
            self.dec_offset = self.dec_offset + 1
        self.init_beam = False

    def _encode_row(self, i, source, source_l, batch_size, forward_only, pos_embedding_fw, pos_embedding_bw):
        """One row's forward and backward encoders (the loop body model.lua writes out twice)."""
        H = self.encoder_num_hidden
        rnn_state_enc = reset_state(self.init_fwd_enc, batch_size, -1)
        for l in range(self.encoder_num_layers):
            rnn_state_enc[-1][l * 2].copy(pos_embedding_fw[:, (l * 2) * H:(l * 2 + 1) * H])
            rnn_state_enc[-1][l * 2 + 1].copy(pos_embedding_fw[:, (l * 2 + 1) * H:(l * 2 + 2) * H])
        for t in range(source_l):
            self.encoder_fw_clones[t].evaluate() if forward_only else self.encoder_fw_clones[t].training()
            rnn_state_enc[t] = self.encoder_fw_clones[t].forward([source[t], *rnn_state_enc[t - 1]])
        rnn_state_enc_bwd = reset_state(self.init_fwd_enc, batch_size, source_l)
        for l in range(self.encoder_num_layers):
            rnn_state_enc_bwd[source_l][l * 2].copy(pos_embedding_bw[:, (l * 2) * H:(l * 2 + 1) * H])
            rnn_state_enc_bwd[source_l][l * 2 + 1].copy(pos_embedding_bw[:, (l * 2 + 1) * H:(l * 2 + 2) * H])
        for t in range(source_l - 1, -1, -1):
            self.encoder_bw_clones[t].evaluate() if forward_only else self.encoder_bw_clones[t].training()
            rnn_state_enc_bwd[t] = self.encoder_bw_clones[t].forward([source[t], *rnn_state_enc_bwd[t + 1]])
        return rnn_state_enc, rnn_state_enc_bwd

    def step(self, batch, forward_only, beam_size=None, trie=None):
        assert trie is None, 'the trie-constrained beam is not ported'
        V = self.target_vocab_size
        if forward_only:
            self.val_batch_size = self.batch_size
            beam_size = 1 if beam_size is None else beam_size   # default argmax
            beam_size = min(beam_size, V)
            if not self.init_beam:
                self.init_beam = True
                beam_decoder_h_init = localize(lg.zeros(self.val_batch_size * beam_size, self.decoder_num_hidden))
                self.beam_scores = localize(lg.zeros(self.val_batch_size, beam_size))
                self.current_indices_history = []
                self.beam_parents_history = []
                self.beam_init_fwd_dec = []
                if self.input_feed:
                    self.beam_init_fwd_dec.append(beam_decoder_h_init.clone())
                for L in range(self.decoder_num_layers):
                    self.beam_init_fwd_dec += [beam_decoder_h_init.clone(), beam_decoder_h_init.clone()]
            else:
                self.beam_scores.zero()
                self.current_indices_history = []
                self.beam_parents_history = []
        elif self.init_beam:
            self.init_beam = False
            self.beam_init_fwd_dec = []
            self.current_indices_history = []
            self.beam_parents_history = []
            self.beam_scores = None
        input_batch = localize(batch[0])
        target_batch = localize(batch[1])
        target_eval_batch = localize(batch[2])
        num_nonzeros = batch[3]

        batch_size = input_batch.size()[0]
        target_l = target_batch.size()[1]
        assert target_l <= self.max_decoder_l, 'max_decoder_l (%d) < target_l (%d)!' % (self.max_decoder_l, target_l)
        if forward_only:   # re-generate the target batch, padded to max_decoder_l
            target_batch_new = localize(lg.IntTensor(batch_size, self.max_decoder_l)).fill(0)
            target_batch_new[0:batch_size, 0:target_l].copy(target_batch)
            target_batch = target_batch_new
            target_eval_batch_new = localize(lg.IntTensor(batch_size, self.max_decoder_l)).fill(0)
            target_eval_batch_new[0:batch_size, 0:target_l].copy(target_eval_batch)
            target_eval_batch = target_eval_batch_new
            target_l = self.max_decoder_l

        if not forward_only:
            self.cnn_model.training()
            self.output_projector.training()
        else:
            self.cnn_model.evaluate()
            self.output_projector.evaluate()

        def feval(p):
            target = target_batch.transpose(0, 1)
            target_eval = target_eval_batch.transpose(0, 1)
            cnn_output_list = self.cnn_model.forward(input_batch)   # list of (batch_size, W, 512)
            imgH = len(cnn_output_list)
            source_l = cnn_output_list[0].size()[1]
            context = self.context_proto[0:batch_size, 0:source_l * imgH]
            assert source_l <= self.max_encoder_l_w, 'max_encoder_l_w (%d) < source_l (%d)!' % (
                self.max_encoder_l_w, source_l)
            H = self.encoder_num_hidden
            for i in range(imgH):
                if forward_only:
                    self.pos_embedding_fw.evaluate()
                    self.pos_embedding_bw.evaluate()
                else:
                    self.pos_embedding_fw.training()
                    self.pos_embedding_bw.training()
                pos = localize(lg.zeros(batch_size)).fill(i)
                pos_embedding_fw = self.pos_embedding_fw.forward(pos)
                pos_embedding_bw = self.pos_embedding_bw.forward(pos)
                source = cnn_output_list[i].transpose(0, 1)   # imgW, batch, 512
                rnn_state_enc, rnn_state_enc_bwd = self._encode_row(i, source, source_l, batch_size, forward_only,
                                                                    pos_embedding_fw, pos_embedding_bw)
                for t in range(source_l):
                    counter = i * source_l + t
                    context[:, counter, 0:H].copy(rnn_state_enc[t][-1])
                    context[:, counter, H:2 * H].copy(rnn_state_enc_bwd[t][-1])
            preds = []
            if forward_only:
                self._beam_search(target, context, batch_size, target_l, beam_size)
            else:
                rnn_state_dec = reset_state(self.init_fwd_dec, batch_size, -1)
                for t in range(target_l):
                    self.decoder_clones[t].training()
                    out = self.decoder_clones[t].forward([target[t], context, *rnn_state_dec[t - 1]])
                    preds.append(out[-1])
                    next_state = []
                    if self.input_feed:
                        next_state.append(out[-1])
                    next_state += out[:-1]
                    rnn_state_dec[t] = next_state
            loss, accuracy = 0.0, 0.0
            if forward_only:
                # final decoding
                labels = localize(lg.zeros(batch_size, target_l)).fill(0)
                scores, indices = lg.max(self.beam_scores[0:batch_size], 1)
                indices = localize(indices.double())
                scores = scores.view(-1)
                indices = indices.view(-1)
                offsets = localize(lg.range(0, (batch_size - 1) * beam_size, beam_size).long())
                current_indices = self.current_indices_history[-1].view(-1).index(0, indices + offsets)
                for t in range(target_l - 1, -1, -1):
                    labels[0:batch_size, t].copy(current_indices)
                    indices = self.beam_parents_history[t].view(-1).index(0, indices + offsets)
                    if t > 0:
                        current_indices = self.current_indices_history[t - 1].view(-1).index(0, indices + offsets)
                self.labels = labels
                word_err = evalHTMLErrRate(labels, target_eval_batch)
                accuracy = batch_size - word_err
                # get gold score
                rnn_state_dec = reset_state(self.init_fwd_dec, batch_size, -1)
                for t in range(target_l):
                    self.decoder_clones[t].evaluate()
                    out = self.decoder_clones[t].forward([target[t], context, *rnn_state_dec[t - 1]])
                    pred = self.output_projector.forward(out[-1])
                    loss = loss + self.criterion.forward(pred, target_eval[t]) / batch_size
                    next_state = []
                    if self.input_feed:
                        next_state.append(out[-1])
                    next_state += out[:-1]
                    rnn_state_dec[t] = next_state
            else:
                encoder_fw_grads = self.encoder_fw_grad_proto[0:batch_size, 0:source_l * imgH]
                encoder_bw_grads = self.encoder_bw_grad_proto[0:batch_size, 0:source_l * imgH]
                for gp in self.grad_params:
                    gp.zero()
                encoder_fw_grads.zero()
                encoder_bw_grads.zero()
                drnn_state_dec = reset_state(self.init_bwd_dec, batch_size)
                for t in range(target_l - 1, -1, -1):
                    pred = self.output_projector.forward(preds[t])
                    loss = loss + self.criterion.forward(pred, target_eval[t]) / batch_size
                    dl_dpred = self.criterion.backward(pred, target_eval[t])
                    dl_dpred.div(batch_size)
                    dl_dtarget = self.output_projector.backward(preds[t], dl_dpred)
                    drnn_state_dec[-1].add(dl_dtarget)
                    decoder_input = [target[t], context, *rnn_state_dec[t - 1]]
                    dlst = self.decoder_clones[t].backward(decoder_input, drnn_state_dec)
                    encoder_fw_grads.add(dlst[1][:, :, 0:H])
                    encoder_bw_grads.add(dlst[1][:, :, H:2 * H])
                    drnn_state_dec[-1].zero()
                    if self.input_feed:
                        drnn_state_dec[-1].copy(dlst[2])
                    for j in range(self.dec_offset, len(dlst)):
                        drnn_state_dec[j - self.dec_offset].copy(dlst[j])
                cnn_grad = self.cnn_grad_proto[0:imgH, 0:batch_size, 0:source_l]
                for i in range(imgH):
                    source = cnn_output_list[i].transpose(0, 1)
                    assert source_l == cnn_output_list[i].size()[1]
                    pos = localize(lg.zeros(batch_size)).fill(i)
                    pos_embedding_fw = self.pos_embedding_fw.forward(pos)
                    pos_embedding_bw = self.pos_embedding_bw.forward(pos)
                    rnn_state_enc, rnn_state_enc_bwd = self._encode_row(i, source, source_l, batch_size, forward_only,
                                                                        pos_embedding_fw, pos_embedding_bw)
                    # forward directional encoder
                    drnn_state_enc = reset_state(self.init_bwd_enc, batch_size)
                    pos_embedding_grad = self.pos_embedding_grad_fw_proto[0:batch_size]
                    for t in range(source_l - 1, -1, -1):
                        counter = i * source_l + t
                        drnn_state_enc[-1].add(encoder_fw_grads[:, counter])
                        dlst = self.encoder_fw_clones[t].backward([source[t], *rnn_state_enc[t - 1]], drnn_state_enc)
                        for j in range(len(drnn_state_enc)):
                            drnn_state_enc[j].copy(dlst[j + 1])
                        cnn_grad[i, :, t, :].copy(dlst[0])
                    for l in range(self.encoder_num_layers):
                        pos_embedding_grad[:, (l * 2) * H:(l * 2 + 1) * H].copy(drnn_state_enc[l * 2])
                        pos_embedding_grad[:, (l * 2 + 1) * H:(l * 2 + 2) * H].copy(drnn_state_enc[l * 2 + 1])
                    self.pos_embedding_fw.backward(pos, pos_embedding_grad)
                    # backward directional encoder
                    drnn_state_enc = reset_state(self.init_bwd_enc, batch_size)
                    for t in range(source_l):
                        counter = i * source_l + t
                        drnn_state_enc[-1].add(encoder_bw_grads[:, counter])
                        dlst = self.encoder_bw_clones[t].backward([source[t], *rnn_state_enc_bwd[t + 1]],
                                                                  drnn_state_enc)
                        for j in range(len(drnn_state_enc)):
                            drnn_state_enc[j].copy(dlst[j + 1])
                        cnn_grad[i, :, t, :].add(dlst[0])
                    pos_embedding_grad = self.pos_embedding_grad_fw_proto[0:batch_size]
                    for l in range(self.encoder_num_layers):
                        pos_embedding_grad[:, (l * 2) * H:(l * 2 + 1) * H].copy(drnn_state_enc[l * 2])
                        pos_embedding_grad[:, (l * 2 + 1) * H:(l * 2 + 2) * H].copy(drnn_state_enc[l * 2 + 1])
                    self.pos_embedding_bw.backward(pos, pos_embedding_grad)
                cnn_final_grad = list(cnn_grad.split(1, 0))
                for i in range(len(cnn_final_grad)):
                    cnn_final_grad[i] = cnn_final_grad[i].contiguous().view(batch_size, source_l, -1)
                self.cnn_model.backward(input_batch, cnn_final_grad)
            return loss, self.grad_params, [num_nonzeros, accuracy]

        optim_state = self.optim_state
        if not forward_only:
            _, loss, stats = sgd_list(feval, self.params, optim_state)
            loss = loss[0]
            return loss * batch_size, stats
        loss, _, stats = feval(self.params)
        return loss * batch_size, stats

    def _beam_search(self, target, context, batch_size, target_l, beam_size):
        """model.lua's forward_only decoding without a trie: at each step every beam's log-probabilities plus its
        score, the best beam_size of beam_size x vocab, the parents and tokens kept for the back-tracking."""
        V = self.target_vocab_size

        def beam_replicate(hidden_state):
            if hidden_state.dim() == 1:
                n = hidden_state.size()[0]
                if not hidden_state.isContiguous():
                    hidden_state = hidden_state.contiguous()
                temp_state = hidden_state.view(n, 1).expand(n, beam_size)
                if not temp_state.isContiguous():
                    temp_state = temp_state.contiguous()
                return temp_state.view(-1)
            elif hidden_state.dim() == 2:
                n, num_hidden = hidden_state.size()[0], hidden_state.size()[1]
                if not hidden_state.isContiguous():
                    hidden_state = hidden_state.contiguous()
                temp_state = hidden_state.view(n, 1, num_hidden).expand(n, beam_size, num_hidden)
                if not temp_state.isContiguous():
                    temp_state = temp_state.contiguous()
                return temp_state.view(n * beam_size, num_hidden)
            elif hidden_state.dim() == 3:
                n, source_l, num_hidden = hidden_state.size()[0], hidden_state.size()[1], hidden_state.size()[2]
                if not hidden_state.isContiguous():
                    hidden_state = hidden_state.contiguous()
                temp_state = hidden_state.view(n, 1, source_l, num_hidden).expand(n, beam_size, source_l, num_hidden)
                if not temp_state.isContiguous():
                    temp_state = temp_state.contiguous()
                return temp_state.view(n * beam_size, source_l, num_hidden)
            raise AssertionError('does not support ndim except for 2 and 3')

        rnn_state_dec = reset_state(self.beam_init_fwd_dec, batch_size, -1)
        beam_context = beam_replicate(context)
        beam_input = None
        offsets = localize(lg.range(0, (batch_size - 1) * beam_size, beam_size).long())
        for t in range(target_l):
            self.decoder_clones[t].evaluate()
            if t == 0:
                beam_input = target[t]
                decoder_input = [beam_input, context, *rnn_state_dec[t - 1]]
            else:
                decoder_input = [beam_input, beam_context, *rnn_state_dec[t - 1]]
            out = self.decoder_clones[t].forward(decoder_input)
            next_state = []
            top_out = out[-1]
            probs = self.output_projector.forward(top_out)
            if t == 0:
                self.beam_scores, raw_indices = probs.topk(beam_size, True)
                raw_indices = localize(raw_indices.double())
                current_indices = raw_indices
            else:
                probs.select(1, 0).maskedFill(beam_input.eq(0), 0)   # once padding or EOS, stuck at that point
                probs.select(1, 0).maskedFill(beam_input.eq(2), 0)
                total_scores = (probs.view(batch_size, beam_size, V)
                                + self.beam_scores[0:batch_size].view(batch_size, beam_size, 1)
                                .expand(batch_size, beam_size, V)).view(batch_size, beam_size * V)
                self.beam_scores, raw_indices = total_scores.topk(beam_size, True)
                raw_indices = localize(raw_indices.double())
                if use_cuda:
                    current_indices = raw_indices.double().fmod(V).cuda()
                else:
                    current_indices = raw_indices.fmod(V)
            beam_parents = localize(raw_indices.int().div(V))   # `raw_indices:int() / V`: an integer division
            beam_input = current_indices.view(batch_size * beam_size)
            self.current_indices_history.append(current_indices.clone())
            self.beam_parents_history.append(beam_parents.clone())
            rows = beam_parents.view(-1) + offsets.contiguous().view(batch_size, 1).expand(
                batch_size, beam_size).contiguous().view(-1)
            if self.input_feed:
                top_out = out[-1]
                if t == 0:
                    top_out = beam_replicate(top_out)
                next_state.append(top_out.index(0, rows))
            for j in range(len(out) - 1):
                out_j = out[j]
                if t == 0:
                    out_j = beam_replicate(out_j)
                next_state.append(out_j.index(0, rows))
            rnn_state_dec[t] = next_state

    def save(self, model_path):
        for layer in self.layers:
            layer.clearState()
        lg.save(model_path, [[self.cnn_model, self.encoder_fw, self.encoder_bw, self.decoder, self.output_projector,
                              self.pos_embedding_fw, self.pos_embedding_bw], self.config, self.global_step,
                             self.optim_state, id2vocab])


# --- src/utils/logging.lua -----------------------------------------------------------------------------------

class logger:
    def __init__(self, log_path):
        # the Lua asks on the terminal whether to overwrite an existing file; the port appends, its default answer
        self.logger_file = open(log_path, 'a' if paths.filep(log_path) else 'w')

    def info(self, message, mute=False):
        msg_formatted = '[%s]  %s' % (time.strftime('%x %X'), message)
        if not mute:
            print(msg_formatted)
        if self.logger_file is not None:
            self.logger_file.write(msg_formatted + '\n')
            self.logger_file.flush()

    def shutdown(self):
        if self.logger_file is not None:
            self.logger_file.close()


logging = None
opt = None


# --- src/train.lua -------------------------------------------------------------------------------------------

def options():
    cmd = lg.CmdLine()
    cmd.option('-data_base_dir', '', 'The base directory of the image path in data-path')
    cmd.option('-data_path', '', 'The path containing data file names and labels')
    cmd.option('-label_path', '', 'The path containing the formulas, one a line')
    cmd.option('-val_data_path', '', 'The path containing validate data file names and labels')
    cmd.option('-model_dir', 'model', 'The directory for saving and loading model parameters')
    cmd.option('-log_path', 'log.txt', 'The path to put log')
    cmd.option('-output_dir', 'results', 'The path to put visualization results if visualize is set to True')
    cmd.option('-steps_per_checkpoint', 100, 'Checkpointing (print perplexity, save model) per how many steps')
    cmd.option('-num_batches_val', math.inf, 'Number of batches to evaluate.')
    cmd.option('-beam_size', 1, 'Beam size.')
    cmd.option('-use_dictionary', False, 'Use dictionary during decoding or not.')
    cmd.option('-num_epochs', 15, 'The number of whole data passes')
    cmd.option('-batch_size', 1, 'Batch size')
    cmd.option('-learning_rate', 0.1, 'Initial learning rate')
    cmd.option('-learning_rate_min', 0.00001, 'Initial learning rate')
    cmd.option('-lr_decay', 0.5, 'Decay learning rate by this much')
    cmd.option('-start_decay_at', 999, 'Start decay after this epoch')
    cmd.option('-dropout', 0.0, 'Dropout probability')
    cmd.option('-target_embedding_size', 80, 'Embedding dimension for each target')
    cmd.option('-input_feed', False, 'Whether or not use LSTM attention decoder cell')
    cmd.option('-encoder_num_hidden', 256, 'Number of hidden units in encoder cell')
    cmd.option('-encoder_num_layers', 1, 'Number of hidden layers in encoder cell')
    cmd.option('-decoder_num_layers', 1, 'Number of hidden units in decoder cell')
    cmd.option('-vocab_file', '', 'Vocabulary file. A token per line.')
    cmd.option('-phase', 'test', 'train or test')
    cmd.option('-gpu_id', 1, 'Which gpu to use. <=0 means use CPU')
    cmd.option('-load_model', False, 'Load model from model-dir or not')
    cmd.option('-visualize', False, 'Print results or not')
    cmd.option('-seed', 910820, 'Load model from model-dir or not')
    cmd.option('-max_num_tokens', 150, 'Maximum number of output tokens')
    cmd.option('-max_image_width', 500, 'Maximum length of input feature sequence along width direction')
    cmd.option('-max_image_height', 160, 'Maximum length of input feature sequence along width direction')
    cmd.option('-prealloc', False, 'Use memory preallocation and sharing between cloned encoder/decoders')
    return cmd


def train(model, phase, batch_size, num_epochs, train_data, val_data, model_dir, steps_per_checkpoint,
          num_batches_val, beam_size, visualize, output_dir, trie, learning_rate_init, lr_decay, start_decay_at):
    loss, num_seen, num_samples, num_nonzeros, accuracy = 0, 0, 0, 0, 0
    learning_rate = model.optim_state.get('learningRate', learning_rate_init)
    learning_rate = max(learning_rate, opt['learning_rate_min'])
    model.optim_state['learningRate'] = learning_rate
    logging.info('Lr: %f' % learning_rate)
    if phase == 'train':
        forward_only = False
    elif phase == 'test':
        assert not visualize, 'the visualize report is not ported'
        forward_only = True
        num_epochs = 1
        model.global_step = 0
    else:
        raise AssertionError('phase must be either train or test')

    def save(model_path):
        final_model_path_tmp = paths.concat(model_dir, '.final-model.tmp')
        final_model_path = paths.concat(model_dir, 'final-model')
        model.save(model_path)
        logging.info('Model saved to %s' % model_path)
        shutil.copy(model_path, final_model_path_tmp)     # os.execute('cp ...'), os.execute('mv ...')
        os.replace(final_model_path_tmp, final_model_path)

    val_losses = {}
    for epoch in range(1, num_epochs + 1):   # an epoch number, compared with start_decay_at
        if not forward_only:
            train_data.shuffle()
        if epoch >= start_decay_at and learning_rate > opt['learning_rate_min']:
            learning_rate = learning_rate * lr_decay
            model.optim_state['learningRate'] = max(learning_rate, opt['learning_rate_min'])
            logging.info('Decay lr, current lr: %f' % learning_rate)
        while True:
            train_batch = train_data.nextBatch(batch_size)
            if train_batch is None:
                break
            real_batch_size = train_batch[0].size()[0]
            step_loss, stats = model.step(train_batch, forward_only, beam_size, trie)
            logging.info('%f' % math.exp(step_loss / stats[0]))
            num_seen = num_seen + 1
            num_samples = num_samples + real_batch_size
            num_nonzeros = num_nonzeros + stats[0]
            if forward_only:
                accuracy = accuracy + stats[1]
            loss = loss + step_loss
            model.global_step = model.global_step + 1
            if model.global_step % steps_per_checkpoint == 0:
                if forward_only:
                    logging.info('Number of samples %d - Accuracy = %f' % (num_samples, accuracy / num_samples))
                else:
                    logging.info('Step %d - training perplexity = %f' % (model.global_step,
                                                                         math.exp(loss / num_nonzeros)))
                    logging.info('Saving model')
                    model_path = paths.concat(model_dir, 'model-%d' % model.global_step)
                    if model.global_step % 1000 != 0:
                        model_path = paths.concat(model_dir, 'final-model')
                    save(model_path)
                    num_seen, num_nonzeros, loss, accuracy = 0, 0, 0, 0
        if not forward_only:
            logging.info('Evaluating model on %s batches of validation data' % num_batches_val)
            val_loss, val_num_samples, val_num_nonzeros, val_accuracy = 0, 0, 0, 0
            b = 1
            while b <= num_batches_val:
                val_batch = val_data.nextBatch(batch_size)
                if val_batch is None:
                    if num_batches_val < math.inf:
                        val_data.shuffle()
                    else:
                        break
                else:
                    real_batch_size = val_batch[0].size()[0]
                    b = b + 1
                    step_loss, stats = model.step(val_batch, True, beam_size, trie)
                    val_loss = val_loss + step_loss
                    val_num_samples = val_num_samples + real_batch_size
                    val_num_nonzeros = val_num_nonzeros + stats[0]
                    val_accuracy = val_accuracy + stats[1]
            val_losses[epoch] = val_loss
            logging.info('Epoch: %d Step %d - Val Accuracy = %f Perp = %f' % (
                epoch, model.global_step, val_accuracy / val_num_samples, math.exp(val_loss / val_num_nonzeros)))
            if val_losses.get(epoch - 1) is not None and val_losses[epoch] > val_losses[epoch - 1] \
                    and learning_rate > opt['learning_rate_min']:
                learning_rate = learning_rate * lr_decay
                model.optim_state['learningRate'] = max(learning_rate, opt['learning_rate_min'])
                logging.info('Decay lr, current lr: %f' % learning_rate)
            logging.info('Saving model')
            save(paths.concat(model_dir, 'model-%d' % model.global_step))
        else:
            logging.info('Epoch: %d Number of samples %d - Accuracy = %f Perp = %f' % (
                epoch, num_samples, accuracy / num_samples, math.exp(loss / num_nonzeros)))
    return val_losses


def main(arg):
    global logging, opt, use_cuda, id2vocab
    opt = options().parse(arg)
    lg.manualSeed(opt['seed'])
    random.seed(opt['seed'])
    logging = logger(opt['log_path'])
    logging.info('Command Line Arguments:')
    logging.info(' '.join(arg))
    logging.info('End Command Line Arguments')
    opt['max_decoder_l'] = opt['max_num_tokens'] + 1
    opt['max_encoder_l_w'] = math.floor(opt['max_image_width'] / 8.0)
    opt['max_encoder_l_h'] = math.floor(opt['max_image_height'] / 8.0)
    if opt['gpu_id'] > 0:
        logging.info('Using CUDA on GPU %d' % opt['gpu_id'])
        cutorch.setDevice(opt['gpu_id'] - 1)
        cutorch.manualSeed(opt['seed'])
        use_cuda = True
    else:
        logging.info('Using CPU')
        use_cuda = False
    logging.info('Building model')
    model = Model()
    final_model = paths.concat(opt['model_dir'], 'final-model')
    if opt['load_model'] and paths.filep(final_model):
        logging.info('Loading model from %s' % final_model)
        model.load(final_model, opt)
    else:
        logging.info('Creating model with fresh parameters')
        id2vocab = []
        with open(opt['vocab_file']) as file:
            for line in file:
                vocab = line.strip()
                if len(vocab) == 0:
                    vocab = ' '
                id2vocab.append(vocab)
        opt['target_vocab_size'] = len(id2vocab) + 4
        model.create(opt)
    if not paths.dirp(opt['model_dir']):
        paths.mkdir(opt['model_dir'])
    train_data = DataGen(opt['data_base_dir'], opt['data_path'], opt['label_path'], 10.0, opt['max_encoder_l_h'],
                         opt['max_encoder_l_w'], opt['max_decoder_l'])
    val_data = None
    if opt['phase'] == 'train':
        val_data = DataGen(opt['data_base_dir'], opt['val_data_path'], opt['label_path'], 10.0,
                           opt['max_encoder_l_h'], opt['max_encoder_l_w'], opt['max_decoder_l'])
    val_losses = train(model, opt['phase'], opt['batch_size'], opt['num_epochs'], train_data, val_data,
                       opt['model_dir'], opt['steps_per_checkpoint'], opt['num_batches_val'], opt['beam_size'],
                       opt['visualize'], opt['output_dir'], None, opt['learning_rate'], opt['lr_decay'],
                       opt['start_decay_at'])
    logging.shutdown()
    return model, val_losses
