"""OpenNMT/OpenNMT (the Lua toolkit) ported line by line, at tag v0.5.0 (commit 8e0cb852, March 2017) unless a
class says otherwise: onmt/Constants.lua, onmt/utils/Tensor.lua (the preallocation helpers), onmt/utils/Dict.lua,
onmt/data/Batch.lua, onmt/data/Dataset.lua, onmt/modules/{Network, Sequencer, LSTM, Encoder, BiEncoder, Decoder,
Generator, WordEmbedding, MaskedSoftmax, ParallelClassNLLCriterion}.lua, onmt/train/Optim.lua, the training step
of onmt/Seq2Seq.lua (trainNetwork) and onmt/Model.lua (initParams), and the beam search of v0.3.0 (Beam.lua and
Translator.lua's translateBatch, lines 150-325). GlobalAttention.lua and JoinReplicateTable.lua are the newest
ones (HEAD 3ab15e92), whose ``-global_attention`` option adds the ``dot`` and ``concat`` scores to v0.5.0's
``general``. The tests are tests/porting/test_opennmt*.py; this file holds only the port.

Mechanical edits: word ids are 0-based (onmt.Constants' PAD, UNK, BOS, EOS = 1, 2, 3, 4 become 0, 1, 2, 3),
timesteps and batch positions 0-based, dimension arguments 0-based, ``torch.class('onmt.X', ...)`` a class with
``lua_package = 'onmt'``. Left out: word features, the GRU, pretrained embeddings, Cuda/Parallel/Memory
(``collectgarbage()`` calls dropped), logging."""
import math

import legonn as lg
from legonn import nn


class Constants:
    """onmt/Constants.lua, the ids 0-based."""
    PAD, UNK, BOS, EOS = 0, 1, 2, 3
    PAD_WORD, UNK_WORD, BOS_WORD, EOS_WORD = '<blank>', '<unk>', '<s>', '</s>'


# ---- onmt/utils/Tensor.lua (lines 1-162) ----

def recursiveApply(out, func, *args):
    if isinstance(out, (list, dict)):
        items = out.items() if isinstance(out, dict) else enumerate(out)
        res = {k: recursiveApply(v, func, *args) for k, v in items}
        return res if isinstance(out, dict) else [res[k] for k in range(len(out))]
    if lg.isTensor(out):
        return func(out, *args)
    return out


def recursiveClone(out):
    return recursiveApply(out, lambda h: h.clone())


def recursiveAdd(a, b):
    if lg.isTensor(a):
        a.add(b)
    else:
        for i in range(len(a)):
            recursiveAdd(a[i], b[i])
    return a


def reuseTensor(t, sizes):
    assert t is not None, 'tensor must not be nil for it to be reused'
    if isinstance(sizes, list):
        sizes = lg.LongStorage(sizes)
    return t.resize(sizes).zero()


def reuseTensorTable(tab, sizes):
    return [reuseTensor(tab[i], sizes) for i in range(len(tab))]


def initTensorTable(size, proto, sizes):
    base = reuseTensor(proto, sizes)
    return [base.clone() for _ in range(size)]


def copyTensorTable(proto, src):
    tab = reuseTensorTable(proto, src[0].size())
    for i in range(len(tab)):
        tab[i].copy(src[i])
    return tab


# ---- onmt/utils/Dict.lua (lines 1-192) ----

class Dict:
    def __init__(self, data=None):
        self.idxToLabel = {}
        self.labelToIdx = {}
        self.frequencies = {}
        self.special = []
        if data is not None:
            self.addSpecials(data)   # (a file name would be loadFile: not ported)

    def size(self):
        return len(self.idxToLabel)

    def lookup(self, key):
        if isinstance(key, str):
            return self.labelToIdx.get(key)
        return self.idxToLabel.get(key)

    def addSpecial(self, label, idx=None):
        idx = self.add(label, idx)
        self.special.append(idx)

    def addSpecials(self, labels):
        for i in range(len(labels)):
            self.addSpecial(labels[i])

    def add(self, label, idx=None):
        if idx is not None:
            self.idxToLabel[idx] = label
            self.labelToIdx[label] = idx
        else:
            idx = self.labelToIdx.get(label)
            if idx is None:
                idx = len(self.idxToLabel)   # #self.idxToLabel + 1, 0-based
                self.idxToLabel[idx] = label
                self.labelToIdx[label] = idx
        self.frequencies[idx] = self.frequencies.get(idx, 0) + 1
        return idx

    def prune(self, size):
        if size >= self.size():
            return self
        freq = lg.Tensor([self.frequencies[i] for i in range(self.size())])
        _, idx = lg.sort(freq, 0, True)
        newDict = Dict()
        for i in range(len(self.special)):
            newDict.addSpecial(self.idxToLabel[self.special[i]])
        for i in range(size):
            newDict.add(self.idxToLabel[int(idx[i])])
        return newDict

    def convertToIdx(self, labels, unkWord, bosWord=None, eosWord=None):
        vec = []
        if bosWord is not None:
            vec.append(self.lookup(bosWord))
        for i in range(len(labels)):
            idx = self.lookup(labels[i])
            if idx is None:
                idx = self.lookup(unkWord)
            vec.append(idx)
        if eosWord is not None:
            vec.append(self.lookup(eosWord))
        return lg.IntTensor(vec)

    def convertToLabels(self, idx, stop):
        labels = []
        for i in range(len(idx)):
            labels.append(self.lookup(idx[i]))
            if idx[i] == stop:
                break
        return labels


# ---- onmt/data/Batch.lua (lines 1-246) ----

def getLength(seq, ignore=None):
    sizes = lg.IntTensor(len(seq)).zero()
    max_ = 0
    sum_ = 0
    for i in range(len(seq)):
        len_ = seq[i].size(0)
        if ignore is not None:
            len_ = len_ - ignore
        max_ = max(max_, len_)
        sum_ = sum_ + len_
        sizes[i] = len_
    return max_, sizes, sum_


class Batch:
    """Sources left-padded (PPPABC), reversed sources right-padded (CBAPPP), targets right-padded: timestep-major
    LongTensors ``length x size``."""

    def __init__(self, src=None, srcFeatures=None, tgt=None, tgtFeatures=None):
        src = src if src is not None else []
        if tgt is not None:
            assert len(src) == len(tgt), "source and target must have the same batch size"
        self.size = len(src)
        self.sourceLength, self.sourceSize, _ = getLength(src)
        sourceSeq = lg.LongTensor(self.sourceLength, self.size).fill(Constants.PAD)
        self.sourceInput = sourceSeq.clone()
        self.sourceInputRev = sourceSeq.clone()
        self.sourceInputFeatures = []
        self.sourceInputRevFeatures = []
        if tgt is not None:
            self.targetLength, self.targetSize, _ = getLength(tgt, 1)
            targetSeq = lg.LongTensor(self.targetLength, self.size).fill(Constants.PAD)
            self.targetInput = targetSeq.clone()
            self.targetOutput = targetSeq.clone()
            self.targetInputFeatures = []
            self.targetOutputFeatures = []
        for b in range(self.size):
            sourceOffset = self.sourceLength - int(self.sourceSize[b]) + 1   # a 1-based position, as in Lua
            sourceInput = src[b]
            sourceInputRev = src[b].index(0, lg.linspace(int(self.sourceSize[b]) - 1, 0,
                                                          int(self.sourceSize[b])).long())
            # Source input is left padded [PPPPPPABCDE] .
            self.sourceInput[sourceOffset - 1:self.sourceLength, b].copy(sourceInput)
            self.sourceInputPadLeft = True
            # Rev source input is right padded [EDCBAPPPPPP] .
            self.sourceInputRev[0:int(self.sourceSize[b]), b].copy(sourceInputRev)
            self.sourceInputRevPadLeft = False
            if tgt is not None:
                # Input: [<s>ABCDE]
                # Ouput: [ABCDE</s>]
                targetLength = tgt[b].size(0) - 1
                targetInput = tgt[b].narrow(0, 0, targetLength)
                targetOutput = tgt[b].narrow(0, 1, targetLength)
                # Target is right padded [<S>ABCDEPPPPPP] .
                self.targetInput[0:targetLength, b].copy(targetInput)
                self.targetOutput[0:targetLength, b].copy(targetOutput)

    def getSourceInput(self, t):
        return self.sourceInput[t]

    def getTargetInput(self, t):
        return self.targetInput[t]

    def getTargetOutput(self, t):
        return [self.targetOutput[t]]


# ---- onmt/data/Dataset.lua (lines 1-95) ----

class Dataset:
    def __init__(self, srcData, tgtData=None):
        self.src = srcData['words']
        self.srcFeatures = srcData['features']
        self.tgt = None
        if tgtData is not None:
            self.tgt = tgtData['words']
            self.tgtFeatures = tgtData['features']
        self.batchRange = None

    def setBatchSize(self, maxBatchSize):
        """Cut the (length-sorted) corpus into batches of at most ``maxBatchSize`` sentences of one source length."""
        self.batchRange = []
        self.maxSourceLength = 0
        self.maxTargetLength = 0
        offset = 0
        batchSize = 1
        sourceLength = 0
        targetLength = 0
        for i in range(len(self.src)):
            if batchSize == maxBatchSize or self.src[i].size(0) != sourceLength:
                if i > 0:
                    self.batchRange.append({'begin': offset, 'end': i - 1})
                offset = i
                batchSize = 1
                sourceLength = self.src[i].size(0)
                targetLength = 0
            else:
                batchSize = batchSize + 1
            self.maxSourceLength = max(self.maxSourceLength, self.src[i].size(0))
            if self.tgt is not None:
                targetSeqLength = self.tgt[i].size(0) - 1
                targetLength = max(targetLength, targetSeqLength)
                self.maxTargetLength = max(self.maxTargetLength, targetSeqLength)
        self.batchRange.append({'begin': offset, 'end': len(self.src) - 1})

    def batchCount(self):
        if self.batchRange is None:
            return 1 if len(self.src) > 0 else 0
        return len(self.batchRange)

    def getBatch(self, idx=None):
        if len(self.src) == 0:
            return None
        if idx is None or self.batchRange is None:
            return Batch(self.src, self.srcFeatures, self.tgt, self.tgtFeatures)
        rangeStart = self.batchRange[idx]['begin']
        rangeEnd = self.batchRange[idx]['end']
        src = []
        tgt = [] if self.tgt is not None else None
        for i in range(rangeStart, rangeEnd + 1):
            src.append(self.src[i])
            if self.tgt is not None:
                tgt.append(self.tgt[i])
        return Batch(src, [], tgt, [])


# ---- onmt/modules/Network.lua ----

class Network(nn.Container):
    """Wrapper around a single network."""
    lua_package = 'onmt'

    def __init__(self, net=None):
        super().__init__()
        self.net = net
        self.add(net)

    def updateOutput(self, input):
        self.output = self.net.updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.net.updateGradInput(input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.net.accGradParameters(input, gradOutput, scale)


# ---- onmt/modules/LSTM.lua (lines 1-132) ----

class LSTM(Network):
    """A stack of ``layers`` LSTM cells, one step: (c^1, h^1, ..., c^L, h^L, x) -> (c^1, h^1, ..., c^L, h^L)."""

    def __init__(self, layers, inputSize, hiddenSize, dropout=None, residual=None):
        dropout = dropout if dropout is not None else 0
        self.dropout = dropout
        self.numEffectiveLayers = 2 * layers
        self.outputSize = hiddenSize
        super().__init__(self._buildModel(layers, inputSize, hiddenSize, dropout, residual))

    def _buildModel(self, layers, inputSize, hiddenSize, dropout, residual):
        inputs = []
        outputs = []
        for _ in range(layers):
            inputs.append(nn.Identity()())   # c0: batchSize x hiddenSize
            inputs.append(nn.Identity()())   # h0: batchSize x hiddenSize
        inputs.append(nn.Identity()())       # x: batchSize x inputSize
        x = inputs[len(inputs) - 1]
        prevInput = nextC = nextH = None
        for L in range(1, layers + 1):       # L is the layer number, kept 1-based: inputs[L*2 - 1] below
            if L == 1:
                # First layer input is x.
                input = x
                inputDim = inputSize
            else:
                inputDim = hiddenSize
                input = nextH
                if residual and (L > 2 or inputSize == hiddenSize):
                    input = nn.CAddTable()([input, prevInput])
                if dropout > 0:
                    input = nn.Dropout(dropout)(input)
            prevC = inputs[L * 2 - 2]
            prevH = inputs[L * 2 - 1]
            nextC, nextH = self._buildLayer(inputDim, hiddenSize)([prevC, prevH, input]).split(2)
            prevInput = input
            outputs.append(nextC)
            outputs.append(nextH)
        return nn.gModule(inputs, outputs)

    def _buildLayer(self, inputSize, hiddenSize):
        inputs = [nn.Identity()(), nn.Identity()(), nn.Identity()()]
        prevC, prevH, x = inputs[0], inputs[1], inputs[2]
        # Evaluate the input sums at once for efficiency.
        i2h = nn.Linear(inputSize, 4 * hiddenSize)(x)
        h2h = nn.Linear(hiddenSize, 4 * hiddenSize)(prevH)
        allInputSums = nn.CAddTable()([i2h, h2h])
        reshaped = nn.Reshape(4, hiddenSize)(allInputSums)
        n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
        # Decode the gates.
        inGate = nn.Sigmoid()(n1)
        forgetGate = nn.Sigmoid()(n2)
        outGate = nn.Sigmoid()(n3)
        # Decode the write inputs.
        inTransform = nn.Tanh()(n4)
        # Perform the LSTM update.
        nextC = nn.CAddTable()([nn.CMulTable()([forgetGate, prevC]), nn.CMulTable()([inGate, inTransform])])
        # Gated cells form the output.
        nextH = nn.CMulTable()([outGate, nn.Tanh()(nextC)])
        return nn.gModule(inputs, [nextC, nextH])


# ---- onmt/modules/JoinReplicateTable.lua (HEAD) ----

class JoinReplicateTable(nn.Module):
    """Join the tensors of a table along ``dimensionJoin`` after replicating, along ``dimensionReplicate``, those
    whose size there is 1 (a zero stride set on the input itself, undone after the join)."""
    lua_package = 'onmt'

    def __init__(self, dimensionReplicate, dimensionJoin, nInputDims=None):
        super().__init__()
        self.size = lg.LongStorage()
        self.dimensionReplicate = dimensionReplicate
        self.dimensionJoin = dimensionJoin
        self.gradInput = []
        self.nInputDims = nInputDims

    def _getPositiveDimensions(self, input):
        dimensionReplicate = self.dimensionReplicate
        dimensionJoin = self.dimensionJoin
        if dimensionReplicate < 0:
            dimensionReplicate = input[0].dim() + dimensionReplicate
        elif self.nInputDims is not None and input[0].dim() == (self.nInputDims + 1):
            dimensionReplicate = dimensionReplicate + 1
        if dimensionJoin < 0:
            dimensionJoin = input[0].dim() + dimensionJoin
        elif self.nInputDims is not None and input[0].dim() == (self.nInputDims + 1):
            dimensionJoin = dimensionJoin + 1
        return dimensionReplicate, dimensionJoin

    def _replicate(self, input, dim, dryRun=False):
        # first replicate along dimensionReplicate, we assert all dimensions are the same but some can be one
        maxSize = 0
        hasOne = []
        for i in range(len(input)):
            size = input[i].size(dim)
            assert maxSize == 0 or size == maxSize or size == 1 or maxSize == 1, \
                "incorrect tensor size for replicate dimension"
            if size > maxSize:
                maxSize = size
            if size == 1:
                hasOne.append(i)
        # remember strides to restore after joining operation
        memStrides = {}
        if maxSize > 1 and len(hasOne) > 0:
            for i in range(len(hasOne)):
                idx = hasOne[i]
                sz = list(input[idx].size())   # a LongStorage in Lua, which the code edits in place
                sz[dim] = maxSize
                st = list(input[idx].stride())
                memStrides[idx] = st[dim]
                if not dryRun:
                    st[dim] = 0
                    input[idx].set(input[idx].storage(), input[idx].storageOffset(), lg.LongStorage(sz),
                                   lg.LongStorage(st))
        return memStrides

    def _dereplicate(self, input, dim, memStrides):
        # ipairs in the Lua, which stops at the first input that was not replicated; here the replicated input
        # is the first one (GlobalAttention's query), where both loops visit the same entries
        for idx, stval in memStrides.items():
            sz = list(input[idx].size())
            sz[dim] = 1
            st = list(input[idx].stride())
            st[dim] = stval
            input[idx].set(input[idx].storage(), input[idx].storageOffset(), lg.LongStorage(sz),
                           lg.LongStorage(st))

    def updateOutput(self, input):
        dimensionReplicate, dimensionJoin = self._getPositiveDimensions(input)
        memStrides = self._replicate(input, dimensionReplicate)
        for i in range(len(input)):
            currentOutput = input[i]
            if i == 0:
                self.size.resize(currentOutput.dim()).copy(currentOutput.size())
            else:
                self.size[dimensionJoin] = self.size[dimensionJoin] + currentOutput.size(dimensionJoin)
        self.output.resize(self.size)
        offset = 0
        for i in range(len(input)):
            currentOutput = input[i]
            self.output.narrow(dimensionJoin, offset, currentOutput.size(dimensionJoin)).copy(currentOutput)
            offset = offset + currentOutput.size(dimensionJoin)
        self._dereplicate(input, dimensionReplicate, memStrides)
        return self.output

    def updateGradInput(self, input, gradOutput):
        dimensionReplicate, dimensionJoin = self._getPositiveDimensions(input)
        memStrides = self._replicate(input, dimensionReplicate, True)
        for i in range(len(input)):
            if i >= len(self.gradInput):
                self.gradInput.append(input[i].new())
            self.gradInput[i].resizeAs(input[i])
        # clear out invalid gradInputs
        del self.gradInput[len(input):]
        offset = 0
        for i in range(len(input)):
            currentOutput = input[i]
            currentGradInput = gradOutput.narrow(dimensionJoin, offset, currentOutput.size(dimensionJoin))
            if i in memStrides:
                # sum along the replicated dimension
                lg.sum(self.gradInput[i], currentGradInput, dimensionReplicate)
            else:
                self.gradInput[i].copy(currentGradInput)
            offset = offset + currentOutput.size(dimensionJoin)
        return self.gradInput

    def type(self, type=None, tensorCache=None):
        self.gradInput = []
        return super().type(type, tensorCache)


# ---- onmt/modules/GlobalAttention.lua (HEAD) ----

class GlobalAttention(Network):
    """(h_t: batch x dim, H: batch x sourceL x dim) -> tanh(W_c [softmax(score(h_t, H)) H; h_t]): batch x dim."""

    def __init__(self, opt, dim):
        self.args = {'global_attention': opt.get('global_attention', 'general')}   # getModuleOpts' default
        super().__init__(self._buildModel(dim, self.args['global_attention']))

    def _buildModel(self, dim, global_attention):
        inputs = [nn.Identity()(), nn.Identity()()]
        ht = inputs[0]
        context = inputs[1]   # batchL x sourceTimesteps x dim
        # Get attention.
        if global_attention != 'concat':
            if global_attention == 'general':
                ht = nn.Linear(dim, dim, False)(ht)   # batchL x dim
            score_ht_hs = nn.MM()([context, nn.Replicate(1, 2)(ht)])   # batchL x sourceL x 1
        else:
            ht2 = nn.Replicate(1, 1)(ht)   # batchL x 1 x dim
            ht_hs = JoinReplicateTable(1, 2)([ht2, context])
            Wa_ht_hs = nn.Bottle(nn.Linear(dim * 2, dim, False), 2)(ht_hs)
            tanh_Wa_ht_hs = nn.Tanh()(Wa_ht_hs)
            score_ht_hs = nn.Bottle(nn.Linear(dim, 1), 2)(tanh_Wa_ht_hs)
        attn = nn.Squeeze(2)(score_ht_hs)   # batchL x sourceL
        softmaxAttn = nn.SoftMax()
        softmaxAttn.name = 'softmaxAttn'
        attn = softmaxAttn(attn)
        attn = nn.Replicate(1, 1)(attn)   # batchL x 1 x sourceL
        # Apply attention to context.
        contextCombined = nn.MM()([attn, context])   # batchL x 1 x dim
        contextCombined = nn.Squeeze(1)(contextCombined)   # batchL x dim
        contextCombined = nn.JoinTable(1)([contextCombined, inputs[0]])   # batchL x dim*2
        contextOutput = nn.Tanh()(nn.Linear(dim * 2, dim, False)(contextCombined))
        return nn.gModule(inputs, [contextOutput])


# ---- onmt/modules/MaskedSoftmax.lua ----

class MaskedSoftmax(Network):
    """A softmax over each row of ``numSents x sourceLength`` that gives the left padding no weight."""

    def __init__(self, sourceSizes, sourceLength):
        super().__init__(self._buildModel(sourceSizes, sourceLength))

    def _buildModel(self, sourceSizes, sourceLength):
        numSents = sourceSizes.size(0)
        input = nn.Identity()()
        softmax = nn.SoftMax()(input)   # numSents x State.sourceLength
        # Now we are masking the part of the output we don't need
        tab = nn.SplitTable(0)(softmax)   # numSents x { State.sourceLength }
        par = nn.ParallelTable()
        for b in range(numSents):
            padLength = sourceLength - int(sourceSizes[b])
            seq = nn.Sequential()
            seq.add(nn.Narrow(0, padLength, int(sourceSizes[b])))
            seq.add(nn.Padding(0, -padLength, 1, 0))
            par.add(seq)
        outTab = par(tab)   # numSents x { State.sourceLength }
        output = nn.JoinTable(0)(outTab)   # numSents x State.sourceLength
        output = nn.View(numSents, sourceLength)(output)
        # Make sure the vector sums to 1 (softmax output)
        output = nn.Normalize(1)(output)
        return nn.gModule([input], [output])


# ---- onmt/modules/WordEmbedding.lua, Generator.lua, ParallelClassNLLCriterion.lua ----

class WordEmbedding(Network):
    def __init__(self, vocabSize, vecSize, preTrained=None, fix=None):
        self.vocabSize = vocabSize
        # nn.LookupTable(vocabSize, vecSize, onmt.Constants.PAD): legonn refuses paddingValue 0 (Torch7's "no
        # padding"), so the 0-based PAD row is set with setPadding (docs/porting.md)
        super().__init__(nn.LookupTable(vocabSize, vecSize).setPadding(Constants.PAD))
        self.preTrained = preTrained
        self.fix = fix
        if self.fix:
            self.net.gradWeight = None

    def postParametersInitialization(self):
        self.net.weight[Constants.PAD].zero()

    def accGradParameters(self, input, gradOutput, scale=1):
        if self.net.gradWeight is not None:
            self.net.accGradParameters(input, gradOutput, scale)
            self.net.gradWeight[Constants.PAD].zero()

    def parameters(self):
        if self.net.gradWeight is not None:
            return super().parameters()


class Generator(Network):
    """softmax(W h + b) as log-probabilities, in a table of one (the features generator has more)."""

    def __init__(self, rnnSize, outputSize):
        super().__init__(self._buildGenerator(rnnSize, outputSize))

    def _buildGenerator(self, rnnSize, outputSize):
        return nn.Sequential().add(nn.Linear(rnnSize, outputSize)).add(nn.LogSoftMax())   # `nn:LogSoftMax()`

    def updateOutput(self, input):
        self.output = [self.net.updateOutput(input)]
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.net.updateGradInput(input, gradOutput[0])
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.net.accGradParameters(input, gradOutput[0], scale)


class ParallelClassNLLCriterion(nn.ParallelCriterion):
    lua_package = 'onmt'

    def __init__(self, outputSizes):
        super().__init__(False)
        for i in range(len(outputSizes)):
            self._addCriterion(outputSizes[i])

    def _addCriterion(self, size):
        # Ignores padding value.
        w = lg.ones(size)
        w[Constants.PAD] = 0
        nll = nn.ClassNLLCriterion(w)
        # Let the training code manage loss normalization.
        nll.sizeAverage = False
        self.add(nll)


# ---- onmt/modules/Sequencer.lua (lines 1-98) ----

class Sequencer(nn.Container):
    """The recurrent step ``network`` and its clones over time, which share its parameters."""
    lua_package = 'onmt'

    def __init__(self, network=None):
        super().__init__()
        self.network = network
        self.add(self.network)
        self.networkClones = []

    def _sharedClone(self):
        clone = self.network.clone('weight', 'gradWeight', 'bias', 'gradBias')
        # Share intermediate tensors if defined.
        if len(self.networkClones) > 0:
            sharedTensors = {}

            def collect(m):
                if getattr(m, 'gradInputSharedIdx', None) is not None:
                    sharedTensors[m.gradInputSharedIdx] = m.gradInput
                if getattr(m, 'outputSharedIdx', None) is not None:
                    sharedTensors[m.outputSharedIdx] = m.output
            self.networkClones[0].apply(collect)

            def share(m):
                if getattr(m, 'gradInputSharedIdx', None) is not None:
                    m.gradInput = sharedTensors[m.gradInputSharedIdx]
                if getattr(m, 'outputSharedIdx', None) is not None:
                    m.output = sharedTensors[m.outputSharedIdx]
            clone.apply(share)
        return clone

    def net(self, t=None):
        """The clone of timestep ``t`` (0-based) in training; the first clone (or the network) in evaluation."""
        if self.train and t is not None:   # `if self.train and t`: a nil test, and t = 0 is a timestep
            # In train mode, the network has to be cloned to remember intermediate
            # outputs for each timestep and to allow backpropagation through time.
            while len(self.networkClones) < t + 1:
                self.networkClones.append(self._sharedClone())
            return self.networkClones[t]
        elif len(self.networkClones) > 0:
            return self.networkClones[0]
        else:
            return self.network

    def training(self):
        super().training()
        if len(self.networkClones) > 0:
            # Only first clone was used for evaluation.
            self.networkClones[0].training()

    def evaluate(self):
        super().evaluate()
        if len(self.networkClones) > 0:
            # We only use the first clone for evaluation.
            self.networkClones[0].evaluate()


# ---- onmt/modules/Encoder.lua (lines 1-243) ----

class Encoder(Sequencer):
    def __init__(self, inputNetwork, rnn):
        self.rnn = rnn
        self.inputNet = inputNetwork
        self.args = {}
        self.args['rnnSize'] = self.rnn.outputSize
        self.args['numEffectiveLayers'] = self.rnn.numEffectiveLayers
        super().__init__(self._buildModel())
        self.resetPreallocation()

    def resetPreallocation(self):
        # Prototype for preallocated hidden and cell states.
        self.stateProto = lg.Tensor()
        # Prototype for preallocated output gradients.
        self.gradOutputProto = lg.Tensor()
        # Prototype for preallocated context vector.
        self.contextProto = lg.Tensor()

    def maskPadding(self):
        self.maskPad = True

    def _buildModel(self):
        inputs = []
        states = []
        # Inputs are previous layers first.
        for _ in range(self.args['numEffectiveLayers']):
            h0 = nn.Identity()()   # batchSize x rnnSize
            inputs.append(h0)
            states.append(h0)
        # Input word.
        x = nn.Identity()()   # batchSize
        inputs.append(x)
        # Compute input network.
        input = self.inputNet(x)
        states.append(input)
        # Forward states and input into the RNN.
        outputs = self.rnn(states)
        return nn.gModule(inputs, [outputs])

    def forward(self, batch):
        """Returns the final states (numEffectiveLayers tensors batch x rnnSize) and the context
        batch x sourceLength x rnnSize."""
        finalStates = None
        outputSize = self.args['rnnSize']
        if getattr(self, 'statesProto', None) is None:
            self.statesProto = initTensorTable(self.args['numEffectiveLayers'], self.stateProto,
                                               [batch.size, outputSize])
        # Make initial states h_0.
        states = reuseTensorTable(self.statesProto, [batch.size, outputSize])
        # Preallocated output matrix.
        context = reuseTensor(self.contextProto, [batch.size, batch.sourceLength, outputSize])
        maskPad = getattr(self, 'maskPad', False)
        if maskPad and not batch.sourceInputPadLeft:
            finalStates = recursiveClone(states)
        if self.train:
            self.inputs = {}
        # Act like nn.Sequential and call each clone in a feed-forward fashion.
        for t in range(batch.sourceLength):
            # Construct "inputs". Prev states come first then source.
            inputs = []
            inputs.extend(states)
            inputs.append(batch.getSourceInput(t))
            if self.train:
                # Remember inputs for the backward pass.
                self.inputs[t] = inputs
            states = self.net(t).forward(inputs)
            # Make sure it always returns table.
            if not isinstance(states, list):
                states = [states]
            # Special case padding.
            if maskPad:
                for b in range(batch.size):
                    if batch.sourceInputPadLeft and t + 1 <= batch.sourceLength - int(batch.sourceSize[b]):
                        for j in range(len(states)):
                            states[j][b].zero()
                    elif not batch.sourceInputPadLeft and t + 1 == int(batch.sourceSize[b]):
                        for j in range(len(states)):
                            finalStates[j][b].copy(states[j][b])
            # Copy output (h^L_t = states[#states]) to context.
            context[:, t].copy(states[len(states) - 1])
        if finalStates is None:
            finalStates = states
        return finalStates, context

    def backward(self, batch, gradStatesOutput, gradContextOutput):
        outputSize = self.args['rnnSize']
        if getattr(self, 'gradOutputsProto', None) is None:
            self.gradOutputsProto = initTensorTable(self.args['numEffectiveLayers'], self.gradOutputProto,
                                                    [batch.size, outputSize])
        if gradStatesOutput is not None:
            gradStatesInput = copyTensorTable(self.gradOutputsProto, gradStatesOutput)
        else:
            # if gradStatesOutput is not defined - start with empty tensor
            gradStatesInput = reuseTensorTable(self.gradOutputsProto, [batch.size, outputSize])
        gradInputs = {}
        for t in range(batch.sourceLength - 1, -1, -1):
            # Add context gradients to last hidden states gradients.
            gradStatesInput[len(gradStatesInput) - 1].add(gradContextOutput[:, t])
            gradInput = self.net(t).backward(self.inputs[t], gradStatesInput)
            # Prepare next encoder output gradients.
            for i in range(len(gradStatesInput)):
                gradStatesInput[i].copy(gradInput[i])
            # Gather gradients of all user inputs.
            gradInputs[t] = [gradInput[i] for i in range(len(gradStatesInput), len(gradInput))]
            if len(gradInputs[t]) == 1:
                gradInputs[t] = gradInputs[t][0]
        return gradInputs


# ---- onmt/modules/BiEncoder.lua (lines 1-205) ----

def reverseInput(batch):
    batch.sourceInput, batch.sourceInputRev = batch.sourceInputRev, batch.sourceInput
    batch.sourceInputFeatures, batch.sourceInputRevFeatures = batch.sourceInputRevFeatures, batch.sourceInputFeatures
    batch.sourceInputPadLeft, batch.sourceInputRevPadLeft = batch.sourceInputRevPadLeft, batch.sourceInputPadLeft


class BiEncoder(nn.Container):
    """A forward Encoder over the source and a backward one over its reversal, merged by 'concat' or 'sum'."""
    lua_package = 'onmt'

    def __init__(self, input, rnn, merge):
        super().__init__()
        self.fwd = Encoder(input, rnn)
        self.bwd = Encoder(input.clone('weight', 'bias', 'gradWeight', 'gradBias'), rnn.clone())
        self.args = {}
        self.args['merge'] = merge
        self.args['rnnSize'] = rnn.outputSize
        self.args['numEffectiveLayers'] = rnn.numEffectiveLayers
        if self.args['merge'] == 'concat':
            self.args['hiddenSize'] = self.args['rnnSize'] * 2
        else:
            self.args['hiddenSize'] = self.args['rnnSize']
        self.add(self.fwd)
        self.add(self.bwd)
        self.resetPreallocation()

    def resetPreallocation(self):
        self.contextProto = lg.Tensor()
        self.stateProto = lg.Tensor()
        self.gradContextBwdProto = lg.Tensor()

    def maskPadding(self):
        self.fwd.maskPadding()
        self.bwd.maskPadding()

    def forward(self, batch):
        if getattr(self, 'statesProto', None) is None:
            self.statesProto = initTensorTable(self.args['numEffectiveLayers'], self.stateProto,
                                               [batch.size, self.args['hiddenSize']])
        states = reuseTensorTable(self.statesProto, [batch.size, self.args['hiddenSize']])
        context = reuseTensor(self.contextProto, [batch.size, batch.sourceLength, self.args['hiddenSize']])
        fwdStates, fwdContext = self.fwd.forward(batch)
        reverseInput(batch)
        bwdStates, bwdContext = self.bwd.forward(batch)
        reverseInput(batch)
        n = self.args['rnnSize']
        if self.args['merge'] == 'concat':
            for i in range(len(fwdStates)):
                states[i].narrow(1, 0, n).copy(fwdStates[i])
                states[i].narrow(1, n, n).copy(bwdStates[i])
            for t in range(batch.sourceLength):
                context[:, t].narrow(1, 0, n).copy(fwdContext[:, t])
                context[:, t].narrow(1, n, n).copy(bwdContext[:, batch.sourceLength - t - 1])
        elif self.args['merge'] == 'sum':
            for i in range(len(states)):
                states[i].copy(fwdStates[i])
                states[i].add(bwdStates[i])
            for t in range(batch.sourceLength):
                context[:, t].copy(fwdContext[:, t])
                context[:, t].add(bwdContext[:, batch.sourceLength - t - 1])
        return states, context

    def backward(self, batch, gradStatesOutput, gradContextOutput):
        if gradStatesOutput is None:
            gradStatesOutput = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                               [batch.size, self.args['hiddenSize']])
        gradStatesOutputFwd = []
        gradStatesOutputBwd = []
        if self.args['merge'] == 'concat':
            gradContextOutputSplit = gradContextOutput.chunk(2, 2)
            gradContextOutputFwd = gradContextOutputSplit[0]
            gradContextOutputBwd = gradContextOutputSplit[1]
            for i in range(len(gradStatesOutput)):
                statesSplit = gradStatesOutput[i].chunk(2, 1)
                gradStatesOutputFwd.append(statesSplit[0])
                gradStatesOutputBwd.append(statesSplit[1])
        elif self.args['merge'] == 'sum':
            gradContextOutputFwd = gradContextOutput
            gradContextOutputBwd = gradContextOutput
            gradStatesOutputFwd = gradStatesOutput
            gradStatesOutputBwd = gradStatesOutput
        gradInputFwd = self.fwd.backward(batch, gradStatesOutputFwd, gradContextOutputFwd)
        gradContextBwd = reuseTensor(self.gradContextBwdProto, [batch.size, batch.sourceLength, self.args['rnnSize']])
        for t in range(batch.sourceLength):
            gradContextBwd[:, t].copy(gradContextOutputBwd[:, batch.sourceLength - t - 1])
        # the backward encoder read the reversed source: its stored inputs are those, so no reverseInput here
        gradInputBwd = self.bwd.backward(batch, gradStatesOutputBwd, gradContextBwd)
        for t in range(batch.sourceLength):
            recursiveAdd(gradInputFwd[t], gradInputBwd[batch.sourceLength - t - 1])
        return gradInputFwd


# ---- onmt/modules/Decoder.lua (lines 1-451) ----

class Decoder(Sequencer):
    def __init__(self, inputNetwork, rnn, generator, inputFeed, global_attention='general'):
        self.rnn = rnn
        self.inputNet = inputNetwork
        self.args = {}
        self.args['rnnSize'] = self.rnn.outputSize
        self.args['numEffectiveLayers'] = self.rnn.numEffectiveLayers
        self.args['inputIndex'] = {}
        # Input feeding means the decoder takes an extra vector each time representing the attention at the
        # previous step.
        self.args['inputFeed'] = inputFeed
        self.args['global_attention'] = global_attention   # HEAD's option (v0.5.0: 'general' only)
        super().__init__(self._buildModel())
        # The generator use the output of the decoder sequencer to generate the likelihoods over the target
        # vocabulary.
        self.generator = generator
        self.add(self.generator)
        self.resetPreallocation()

    def resetPreallocation(self):
        if self.args['inputFeed']:
            self.inputFeedProto = lg.Tensor()
        # Prototype for preallocated hidden and cell states.
        self.stateProto = lg.Tensor()
        # Prototype for preallocated output gradients.
        self.gradOutputProto = lg.Tensor()
        # Prototype for preallocated context gradient.
        self.gradContextProto = lg.Tensor()

    def _buildModel(self):
        inputs = []
        states = []
        # Inputs are previous layers first.
        for _ in range(self.args['numEffectiveLayers']):
            h0 = nn.Identity()()   # batchSize x rnnSize
            inputs.append(h0)
            states.append(h0)
        x = nn.Identity()()   # batchSize
        inputs.append(x)
        self.args['inputIndex']['x'] = len(inputs) - 1
        context = nn.Identity()()   # batchSize x sourceLength x rnnSize
        inputs.append(context)
        self.args['inputIndex']['context'] = len(inputs) - 1
        inputFeed = None
        if self.args['inputFeed']:
            inputFeed = nn.Identity()()   # batchSize x rnnSize
            inputs.append(inputFeed)
            self.args['inputIndex']['inputFeed'] = len(inputs) - 1
        # Compute the input network.
        input = self.inputNet(x)
        # If set, concatenate previous decoder output.
        if self.args['inputFeed']:
            input = nn.JoinTable(1)([input, inputFeed])
        states.append(input)
        # Forward states and input into the RNN.
        outputs = self.rnn(states)
        # The output of a subgraph is a node: split it to access the last RNN output.
        outputs = list(outputs.split(self.args['numEffectiveLayers']))
        # Compute the attention here using h^L as query.
        attnLayer = GlobalAttention({'global_attention': self.args['global_attention']}, self.args['rnnSize'])
        attnLayer.name = 'decoderAttn'
        attnOutput = attnLayer([outputs[len(outputs) - 1], context])
        if self.rnn.dropout > 0:
            attnOutput = nn.Dropout(self.rnn.dropout)(attnOutput)
        outputs.append(attnOutput)
        return nn.gModule(inputs, outputs)

    def maskPadding(self, sourceSizes=None, sourceLength=None):
        """Give the padding of the sources no attention: swap the attention's softmax for a MaskedSoftmax."""
        if getattr(self, 'decoderAttn', None) is None:
            def find(layer):
                if getattr(layer, 'name', None) == 'decoderAttn':
                    self.decoderAttn = layer
            self.network.apply(find)

        def swap(module):
            if getattr(module, 'name', None) == 'softmaxAttn':
                if sourceSizes is not None:
                    mod = MaskedSoftmax(sourceSizes, sourceLength)
                else:
                    mod = nn.SoftMax()
                mod.name = 'softmaxAttn'
                mod.type(module._type)
                self.softmaxAttn = mod
                return mod
            return module
        self.decoderAttn.replace(swap)

    def forwardOne(self, input, prevStates, context, prevOut=None, t=None):
        inputs = []
        # Create RNN input (see sequencer.lua `buildNetwork('dec')`).
        inputs.extend(prevStates)
        inputs.append(input)
        inputs.append(context)
        inputSize = input[0].size(0) if isinstance(input, list) else input.size(0)
        if self.args['inputFeed']:
            if prevOut is None:
                inputs.append(reuseTensor(self.inputFeedProto, [inputSize, self.args['rnnSize']]))
            else:
                inputs.append(prevOut)
        # Remember inputs for the backward pass.
        if self.train:
            self.inputs[t] = inputs
        outputs = self.net(t).forward(inputs)
        # Make sure decoder always returns table.
        if not isinstance(outputs, list):
            outputs = [outputs]
        out = outputs[len(outputs) - 1]
        states = [outputs[i] for i in range(len(outputs) - 1)]
        return out, states

    def forwardAndApply(self, batch, encoderStates, context, func):
        if getattr(self, 'statesProto', None) is None:
            self.statesProto = initTensorTable(len(encoderStates), self.stateProto,
                                               [batch.size, self.args['rnnSize']])
        states = copyTensorTable(self.statesProto, encoderStates)
        prevOut = None
        for t in range(batch.targetLength):
            prevOut, states = self.forwardOne(batch.getTargetInput(t), states, context, prevOut, t)
            func(prevOut, t)

    def forward(self, batch, encoderStates=None, context=None):
        """The top hidden state (after attention) of each timestep: a list of batch x rnnSize."""
        if encoderStates is None:
            encoderStates = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                            [batch.size, self.args['rnnSize']])
        if self.train:
            self.inputs = {}
        outputs = []
        self.forwardAndApply(batch, encoderStates, context, lambda out, t: outputs.append(out))
        return outputs

    def backward(self, batch, outputs, criterion):
        """Criterion forward/backward over every step (gradients divided by batch.totalSize), then BPTT; returns
        the gradients of the initial states and of the context, and the summed loss."""
        if getattr(self, 'gradOutputsProto', None) is None:
            self.gradOutputsProto = initTensorTable(self.args['numEffectiveLayers'] + 1, self.gradOutputProto,
                                                    [batch.size, self.args['rnnSize']])
        gradStatesInput = reuseTensorTable(self.gradOutputsProto, [batch.size, self.args['rnnSize']])
        gradContextInput = reuseTensor(self.gradContextProto,
                                       [batch.size, batch.sourceLength, self.args['rnnSize']])
        loss = 0
        last = len(gradStatesInput) - 1
        for t in range(batch.targetLength - 1, -1, -1):
            # Compute decoder output gradients.
            # Note: This would typically be in the forward pass.
            pred = self.generator.forward(outputs[t])
            output = batch.getTargetOutput(t)
            loss = loss + criterion.forward(pred, output)
            # Compute the criterion gradient.
            genGradOut = criterion.backward(pred, output)
            for j in range(len(genGradOut)):
                genGradOut[j].div(batch.totalSize)
            # Compute the final layer gradient.
            decGradOut = self.generator.backward(outputs[t], genGradOut)
            gradStatesInput[last].add(decGradOut)
            # Compute the standard backward.
            gradInput = self.net(t).backward(self.inputs[t], gradStatesInput)
            # Accumulate encoder output gradients.
            gradContextInput.add(gradInput[self.args['inputIndex']['context']])
            gradStatesInput[last].zero()
            # Accumulate previous output gradients with input feeding gradients.
            if self.args['inputFeed'] and t > 0:
                gradStatesInput[last].add(gradInput[self.args['inputIndex']['inputFeed']])
            # Prepare next decoder output gradients.
            for i in range(len(self.statesProto)):
                gradStatesInput[i].copy(gradInput[i])
        return gradStatesInput, gradContextInput, loss

    def computeLoss(self, batch, encoderStates, context, criterion):
        if encoderStates is None:
            encoderStates = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                            [batch.size, self.args['rnnSize']])
        loss = 0

        def add(out, t):
            nonlocal loss
            pred = self.generator.forward(out)
            output = batch.getTargetOutput(t)
            loss = loss + criterion.forward(pred, output)
        self.forwardAndApply(batch, encoderStates, context, add)
        return loss

    def computeScore(self, batch, encoderStates, context):
        if encoderStates is None:
            encoderStates = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                            [batch.size, self.args['rnnSize']])
        score = {}

        def add(out, t):
            pred = self.generator.forward(out)
            for b in range(batch.size):
                if t + 1 <= int(batch.targetSize[b]):
                    score[b] = score.get(b, 0) + float(pred[0][b][int(batch.targetOutput[t][b])])
        self.forwardAndApply(batch, encoderStates, context, add)
        return score


# ---- onmt/train/Optim.lua (lines 1-171): sgd and adam ----

def adamStep(dfdx, lr, state):
    beta1 = state.get('beta1', 0.9)
    beta2 = state.get('beta2', 0.999)
    eps = state.get('eps', 1e-8)
    state['t'] = state.get('t', 0)
    state.setdefault('m', dfdx.new(dfdx.size()).zero())
    state.setdefault('v', dfdx.new(dfdx.size()).zero())
    state.setdefault('denom', dfdx.new(dfdx.size()).zero())
    state['t'] = state['t'] + 1
    state['m'].mul(beta1).add(1 - beta1, dfdx)
    state['v'].mul(beta2).addcmul(1 - beta2, dfdx, dfdx)
    state['denom'].copy(state['v']).sqrt().add(eps)
    bias1 = 1 - beta1 ** state['t']
    bias2 = 1 - beta2 ** state['t']
    stepSize = lr * math.sqrt(bias2) / bias1
    dfdx.copy(state['m']).cdiv(state['denom']).mul(-stepSize)


class Optim:
    defaults = {'max_batch_size': 64, 'optim': 'sgd', 'learning_rate': 1, 'max_grad_norm': 5,
                'learning_rate_decay': 0.5, 'start_decay_at': 9}

    def __init__(self, args, optimStates=None):
        self.args = {k: args.get(k, v) for k, v in self.defaults.items()}   # getModuleOpts
        self.valPerf = []
        if self.args['optim'] == 'sgd':
            self.args['start_decay_at'] = args.get('start_decay_at')
        else:
            self.optimStates = optimStates if optimStates is not None else {}

    def setOptimStates(self, num):
        if self.args['optim'] != 'sgd':
            for j in range(num):
                self.optimStates[j] = {}

    def zeroGrad(self, gradParams):
        for j in range(len(gradParams)):
            gradParams[j].zero()

    def prepareGrad(self, gradParams):
        """Clip the global gradient norm to max_grad_norm, then turn each gradient into its step."""
        gradNorm = 0
        for j in range(len(gradParams)):
            gradNorm = gradNorm + gradParams[j].norm() ** 2
        gradNorm = math.sqrt(gradNorm)
        shrinkage = self.args['max_grad_norm'] / gradNorm
        for j in range(len(gradParams)):
            if shrinkage < 1:
                gradParams[j].mul(shrinkage)
            if self.args['optim'] == 'adam':
                adamStep(gradParams[j], self.args['learning_rate'], self.optimStates[j])
            else:
                gradParams[j].mul(-self.args['learning_rate'])

    def updateParams(self, params, gradParams):
        for j in range(len(params)):
            params[j].add(gradParams[j])

    def updateLearningRate(self, score, epoch):
        if self.args['optim'] == 'sgd':
            self.valPerf.append(score)
            if epoch >= self.args['start_decay_at']:
                self.startDecay = True
            if len(self.valPerf) >= 2:   # valPerf[#valPerf] ~= nil and valPerf[#valPerf-1] ~= nil
                currPpl = self.valPerf[len(self.valPerf) - 1]
                prevPpl = self.valPerf[len(self.valPerf) - 2]
                if currPpl > prevPpl:
                    self.startDecay = True
            if getattr(self, 'startDecay', False):
                self.args['learning_rate'] = self.args['learning_rate'] * self.args['learning_rate_decay']

    def getLearningRate(self):
        return self.args['learning_rate']


# ---- onmt/Model.lua initParams and onmt/Seq2Seq.lua trainNetwork ----

def initParams(models, param_init):
    """Model:initParams: each model's flat parameters, uniform in +-param_init, in the sorted order of the keys."""
    params, gradParams = [], []
    for key in sorted(models):
        mod = models[key]
        p, gp = mod.getParameters()
        p.uniform(-param_init, param_init)
        mod.apply(lambda m: m.postParametersInitialization()
                  if hasattr(m, 'postParametersInitialization') else None)
        params.append(p)
        gradParams.append(gp)
    return params, gradParams


def trainNetwork(models, criterion, batch):
    encStates, context = models['encoder'].forward(batch)
    decOutputs = models['decoder'].forward(batch, encStates, context)
    encGradStatesOut, gradContext, loss = models['decoder'].backward(batch, decOutputs, criterion)
    models['encoder'].backward(batch, encGradStatesOut, gradContext)
    return loss


def forwardComputeLoss(models, criterion, batch):
    encoderStates, context = models['encoder'].forward(batch)
    return models['decoder'].computeLoss(batch, encoderStates, context, criterion)


# ---- onmt/translate/Beam.lua (v0.3.0, lines 1-190) ----

def flatToRc(v, flatIndex):
    """Row and column (0-based) of a 0-based flat index into the matrix ``v``."""
    row = flatIndex // v.size(1)
    return row, flatIndex % v.size(1)


class Beam:
    """One sentence's beam: scores, back pointers ``prevKs`` and the words ``nextYs`` of each step."""

    def __init__(self, size, numFeatures=0):
        self.size = size
        self.numFeatures = numFeatures
        self.done = False
        self.scores = lg.FloatTensor(size).zero()
        self.prevKs = [lg.LongTensor(size).fill(0)]   # fill(1): beam 1
        self.nextYs = [lg.LongTensor(size).fill(Constants.PAD)]
        self.nextYs[0][0] = Constants.BOS
        self.attn = []

    def getCurrentState(self):
        return self.nextYs[len(self.nextYs) - 1]

    def getCurrentOrigin(self):
        return self.prevKs[len(self.prevKs) - 1]

    def advance(self, wordLk, attnOut):
        """Extend the beam with the log-probabilities ``wordLk`` (K x words); True once the best ends in EOS."""
        if len(self.prevKs) > 1:
            for k in range(self.size):
                wordLk[k].add(float(self.scores[k]))
            flatWordLk = wordLk.view(-1)
        else:
            flatWordLk = wordLk[0].view(-1)
        prevK = lg.LongTensor(self.size)
        nextY = lg.LongTensor(self.size)
        attn = []
        bestScores, bestScoresId = flatWordLk.topk(self.size, 0, True, True)
        for k in range(self.size):
            self.scores[k] = bestScores[k]
            fromBeam, bestScoreId = flatToRc(wordLk, int(bestScoresId[k]))
            prevK[k] = fromBeam
            nextY[k] = bestScoreId
            attn.append(attnOut[fromBeam].clone())
        if nextY[0] == Constants.EOS:
            self.done = True
        self.prevKs.append(prevK)
        self.nextYs.append(nextY)
        self.attn.append(attn)
        return self.done

    def sortBest(self):
        return lg.sort(self.scores, 0, True)

    def getBest(self):
        scores, ids = self.sortBest()
        return scores[0], ids[0]

    def getHyp(self, k):
        hyp = [None] * (len(self.prevKs) - 1)
        attn = [None] * (len(self.prevKs) - 1)
        for j in range(len(self.prevKs) - 1, 0, -1):
            hyp[j - 1] = int(self.nextYs[j][k])
            attn[j - 1] = self.attn[j - 1][k]
            k = int(self.prevKs[j][k])
        return hyp, attn


def translateBatch(models, batch, beam_size, max_sent_length):
    """Translator.lua (v0.3.0) translateBatch, lines 119-325, for batches whose sentences finish together (the
    removal of finished sentences, lines 247-283, is left out): each sentence's hypotheses and scores, best
    first. One edit: the fed attention output ``decOut`` follows its hypothesis' origin as the states do, which
    v0.3.0 forgets (with input feeding and a beam over 1, a hypothesis would be fed another one's output)."""
    models['encoder'].maskPadding()
    models['decoder'].maskPadding()
    encStates, context = models['encoder'].forward(batch)
    rnn_size = models['decoder'].args['rnnSize']
    # Expand tensors for each beam.
    context = context.contiguous().view(1, batch.size, batch.sourceLength, rnn_size) \
        .expand(beam_size, batch.size, batch.sourceLength, rnn_size) \
        .contiguous().view(beam_size * batch.size, batch.sourceLength, rnn_size)
    for j in range(len(encStates)):
        encStates[j] = encStates[j].view(1, batch.size, rnn_size).expand(beam_size, batch.size, rnn_size) \
            .contiguous().view(beam_size * batch.size, rnn_size)
    remainingSents = batch.size
    # As finished sentences are removed from the batch, this table maps the batches to their index within the
    # remaining sentences.
    batchIdx = []
    beam = []
    for b in range(batch.size):
        beam.append(Beam(beam_size))
        batchIdx.append(b)
    i = 1
    decOut = None
    decStates = encStates
    while remainingSents > 0 and i < max_sent_length:
        i = i + 1
        # Prepare decoder input.
        input = lg.IntTensor(beam_size, remainingSents)
        for b in range(batch.size):
            if not beam[b].done:
                idx = batchIdx[b]
                # Get current state of the beam search.
                input[:, idx].copy(beam[b].getCurrentState())
        input = input.view(beam_size * remainingSents)
        decOut, decStates = models['decoder'].forwardOne(input, decStates, context, decOut)
        out = models['decoder'].generator.forward(decOut)
        for j in range(len(out)):
            out[j] = out[j].view(beam_size, remainingSents, out[j].size(1)).transpose(0, 1).contiguous()
        wordLk = out[0]
        softmaxOut = models['decoder'].softmaxAttn.output.view(beam_size, remainingSents, -1)
        newRemainingSents = remainingSents
        for b in range(batch.size):
            if not beam[b].done:
                idx = batchIdx[b]
                if beam[b].advance(wordLk[idx], softmaxOut[:, idx]):
                    newRemainingSents = newRemainingSents - 1
                    batchIdx[b] = -1   # 0 in the Lua: no position
                for j in range(len(decStates)):
                    view = decStates[j].view(beam_size, remainingSents, rnn_size)
                    view[:, idx] = view[:, idx].index(0, beam[b].getCurrentOrigin())
                view = decOut.view(beam_size, remainingSents, rnn_size)
                view[:, idx] = view[:, idx].index(0, beam[b].getCurrentOrigin())
        assert newRemainingSents in (0, remainingSents), 'the removal of finished sentences is not ported'
        remainingSents = newRemainingSents
    allHyp, allScores = [], []
    for b in range(batch.size):
        scores, ks = beam[b].sortBest()
        allHyp.append([beam[b].getHyp(int(ks[n]))[0] for n in range(beam_size)])
        allScores.append([float(scores[n]) for n in range(beam_size)])
    return allHyp, allScores
