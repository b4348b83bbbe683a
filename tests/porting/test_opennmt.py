"""OpenNMT/OpenNMT (Lua) ported line by line, the rest of its core around the modules of
tests/porting/test_opennmt_modules.py: at tag v0.5.0 (commit 8e0cb852) onmt/utils/Dict.lua, onmt/data/Batch.lua,
onmt/data/Dataset.lua, onmt/train/Optim.lua (its sgd and adam paths), Model.lua's initParams, Seq2Seq.lua's
trainNetwork and Trainer.lua's eval; the beam search of v0.3.0 (onmt/translate/Beam.lua and Translator.lua's
translateBatch), before v0.4.0 split it into BeamSearcher/Advancer. Run on a tiny synthetic parallel corpus
(reverse a sentence of letters). Word ids 0-based (PAD, UNK, BOS, EOS = 0, 1, 2, 3)."""
import math
import re

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting.test_opennmt_modules import (LSTM, BiEncoder, Constants, Decoder, Encoder, Generator,
                                                GlobalAttention, JoinReplicateTable, MaskedSoftmax, Network,
                                                ParallelClassNLLCriterion, Sequencer, WordEmbedding, lstm_params)

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs


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


# ---- onmt/Factory.lua (v0.5.0 lines 142-200): loadEncoder, loadDecoder ----

def loadEncoder(pretrained):
    if pretrained.get('name') == 'Encoder':
        return Encoder.load(pretrained)
    if pretrained.get('name') == 'BiEncoder':
        return BiEncoder.load(pretrained)
    # Keep for backward compatibility.
    brnn = len(pretrained['modules']) == 2
    return BiEncoder.load(pretrained) if brnn else Encoder.load(pretrained)


def loadDecoder(pretrained):
    return Decoder.load(pretrained)


# ---- onmt/utils/Cuda.lua (v0.5.0) convert, with the GPU activated ----

def convert(obj):
    """Recursively move all supported objects in ``obj`` on the GPU: LongTensors as CudaLongTensor, every other
    tensor and module as a (float) CudaTensor; tables, and the fields of other objects, converted in place."""
    objtype = lg.typename(obj)
    if objtype is not None and hasattr(obj, 'cuda'):
        # objtype:find('torch%..*LongTensor'): legonn spells its type names 'legonn.' (docs/porting.md)
        if re.search(r'(torch|legonn)\..*LongTensor', objtype):
            return obj.type('torch.CudaLongTensor')
        return obj.type('torch.CudaTensor')
    if isinstance(obj, list):   # `if objtype or type(obj) == 'table'`: the entries, or the fields
        for k in range(len(obj)):
            obj[k] = convert(obj[k])
    elif isinstance(obj, dict) or hasattr(obj, '__dict__'):
        fields = obj if isinstance(obj, dict) else vars(obj)
        for k, v in list(fields.items()):
            fields[k] = convert(v)
    return obj


# ---- tests ----

WORDS = ['a', 'b', 'c', 'd', 'e', 'f']
# the corpus sorted by source length, as preprocess.lua leaves it for Dataset:setBatchSize
CORPUS = [('a b', 'b a'), ('c d', 'd c'), ('e f', 'f e'), ('a c e', 'e c a'), ('b d f', 'f d b'),
          ('f a b', 'b a f'), ('d e a c', 'c a e d'), ('b f c e', 'e c f b')]


def dicts():
    src = Dict([Constants.PAD_WORD, Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD])
    tgt = Dict([Constants.PAD_WORD, Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD])
    for s, t in CORPUS:
        for w in s.split():
            src.add(w)
        for w in t.split():
            tgt.add(w)
    return src, tgt


def dataset(maxBatchSize=3):
    src, tgt = dicts()
    srcData = {'words': [], 'features': []}
    tgtData = {'words': [], 'features': []}
    for s, t in CORPUS:
        srcData['words'].append(src.convertToIdx(s.split(), Constants.UNK_WORD).long())
        tgtData['words'].append(tgt.convertToIdx(t.split(), Constants.UNK_WORD, Constants.BOS_WORD,
                                                 Constants.EOS_WORD).long())
    data = Dataset(srcData, tgtData)
    data.setBatchSize(maxBatchSize)
    return data


def build(layers=2, rnn=6, wvec=5, inputFeed=True, attention='general', brnn=None, seed=1):
    """Factory.lua's buildWordEncoder / buildWordDecoder for a vocabulary of 10 words on each side."""
    lg.manualSeed(seed)
    vocab = 10
    if brnn is None:
        encoder = Encoder(WordEmbedding(vocab, wvec), LSTM(layers, wvec, rnn))
    else:   # Factory.buildEncoder: with concat the bidirectional rnn_size is halved
        size = rnn // 2 if brnn == 'concat' else rnn
        encoder = BiEncoder(WordEmbedding(vocab, wvec), LSTM(layers, wvec, size), brnn)
    inputSize = wvec + rnn if inputFeed else wvec
    decoder = Decoder(WordEmbedding(vocab, wvec), LSTM(layers, inputSize, rnn),
                           Generator(rnn, vocab), inputFeed, attention)
    models = {'encoder': encoder, 'decoder': decoder}
    params, gradParams = initParams(models, 0.1)
    for m in models.values():
        m.training()
    return models, params, gradParams, ParallelClassNLLCriterion([vocab])


def loss_of(models, criterion, batch):
    """Trainer.lua's eval (v0.5.0 lines 5-20) for one batch: the summed loss, in evaluation mode."""
    batch.totalSize = batch.size
    for m in models.values():
        m.evaluate()
    loss = forwardComputeLoss(models, criterion, batch)
    for m in models.values():
        m.training()
    return loss


# ---- data ----

def test_dict_keeps_the_special_tokens_first_and_maps_unknown_words():
    src, _ = dicts()
    assert [src.lookup(i) for i in range(4)] == ['<blank>', '<unk>', '<s>', '</s>']
    assert src.special == [Constants.PAD, Constants.UNK, Constants.BOS, Constants.EOS]
    assert src.size() == 4 + len(WORDS)
    ids = src.convertToIdx(['a', 'zz', 'b'], Constants.UNK_WORD, Constants.BOS_WORD, Constants.EOS_WORD)
    assert ids.tolist() == [Constants.BOS, src.lookup('a'), Constants.UNK, src.lookup('b'), Constants.EOS]
    assert src.convertToLabels([4, 5, Constants.EOS, 6], Constants.EOS) == ['a', 'b', '</s>']
    # prune keeps the specials and the most frequent words
    pruned = src.prune(2)
    assert pruned.size() >= 4 and [pruned.lookup(i) for i in range(4)] == ['<blank>', '<unk>', '<s>', '</s>']


def test_batch_left_pads_sources_and_right_pads_targets():
    src = [lg.LongTensor([4, 5]), lg.LongTensor([6, 7, 8])]
    tgt = [lg.LongTensor([2, 5, 4, 3]), lg.LongTensor([2, 8, 7, 6, 3])]
    batch = Batch(src, [], tgt, [])
    P = Constants.PAD
    assert (batch.size, batch.sourceLength, batch.targetLength) == (2, 3, 4)
    assert batch.sourceSize.tolist() == [2, 3] and batch.targetSize.tolist() == [3, 4]
    # timestep-major: column b is sentence b
    assert batch.sourceInput.t().tolist() == [[P, 4, 5], [6, 7, 8]]
    assert batch.sourceInputRev.t().tolist() == [[5, 4, P], [8, 7, 6]]
    assert batch.targetInput.t().tolist() == [[2, 5, 4, P], [2, 8, 7, 6]]
    assert batch.targetOutput.t().tolist() == [[5, 4, 3, P], [8, 7, 6, 3]]
    assert batch.getSourceInput(0).tolist() == [P, 6]
    assert batch.getTargetOutput(3)[0].tolist() == [P, 3]


def test_dataset_batches_sentences_of_one_source_length_up_to_the_batch_size():
    data = dataset(maxBatchSize=2)
    assert [(r['begin'], r['end']) for r in data.batchRange] == [(0, 1), (2, 2), (3, 4), (5, 5), (6, 7)]
    assert data.batchCount() == 5 and (data.maxSourceLength, data.maxTargetLength) == (4, 5)
    batch = data.getBatch(2)
    assert batch.size == 2 and batch.sourceLength == 3 and batch.targetLength == 4


# ---- the model ----

def test_sequencer_clones_share_the_parameters_of_the_step_network():
    models, params, gradParams, criterion = build()
    data = dataset()
    batch = data.getBatch(2)
    loss_of(models, criterion, batch)
    trainNetwork(models, criterion, batch)
    enc = models['encoder']
    assert len(enc.networkClones) == 4   # one per source timestep
    w0 = enc.networkClones[0].findModules('nn.Linear')[0][0].weight
    w3 = enc.networkClones[3].findModules('nn.Linear')[0][0].weight
    assert w0.storage() is w3.storage() is enc.network.findModules('nn.Linear')[0][0].weight.storage()
    # the flat vector from initParams is the clones' storage: zeroing it zeroes them
    params[1].zero()   # initParams sorts the keys: decoder, encoder
    assert w3.abs().sum() == 0
    enc.evaluate()
    assert enc.net(2) is enc.networkClones[0]


def test_model_parameter_count_by_hand():
    models, params, _, _ = build(layers=2, rnn=6, wvec=5, inputFeed=True)
    emb = 10 * 5
    enc = emb + lstm_params(2, 5, 6)
    attention = 6 * 6 + 12 * 6   # general: W_a, then W_c
    dec = emb + lstm_params(2, 5 + 6, 6) + attention + (6 * 10 + 10)
    # initParams orders the keys: decoder first
    assert [p.nElement() for p in params] == [dec, enc]
    # -fix_word_vecs_enc: WordEmbedding's parameters() returns nil, so initParams leaves the vectors out
    models['encoder'] = Encoder(WordEmbedding(10, 5, None, True), LSTM(2, 5, 6))
    assert models['encoder'].getParameters()[0].nElement() == enc - emb
    models, params, _, _ = build(layers=1, rnn=6, wvec=5, inputFeed=False, brnn='concat')
    # two encoders of rnn_size 3 (the backward one's embedding shares the forward one's: counted once)
    assert params[1].nElement() == emb + 2 * lstm_params(1, 5, 3)


# ---- padding ----

def repad(batch, value):
    """The batch with every padding position of the source and target holding ``value``."""
    for t in (batch.sourceInput, batch.sourceInputRev, batch.targetInput, batch.targetOutput):
        t.maskedFill(t.eq(Constants.PAD), value)
    return batch


@pytest.mark.parametrize('brnn', [None, 'sum'])
def test_padding_tokens_change_nothing_once_masked(brnn):
    models, _, _, criterion = build(brnn=brnn)
    data = dataset(maxBatchSize=8)
    models['encoder'].maskPadding()
    batch = data.getBatch(None)   # all eight sentences, sources of lengths 2 to 4
    models['decoder'].maskPadding(batch.sourceSize, batch.sourceLength)
    ref = loss_of(models, criterion, batch)
    # the padded target outputs weigh 0 in the criterion; the padded inputs come after each sentence's end
    other = repad(data.getBatch(None), Constants.UNK)
    other.targetOutput.copy(batch.targetOutput)   # the criterion must still see PAD to skip those
    assert loss_of(models, criterion, other) == ref
    # the loss counts only the real target words: their number is the denominator of the perplexity
    assert batch.targetOutput.ne(Constants.PAD).sum() == sum(len(t.split()) + 1 for _, t in CORPUS)
    # without the encoder's mask the padded source steps move the states
    models2, _, _, _ = build(brnn=brnn)
    models2['decoder'].maskPadding(batch.sourceSize, batch.sourceLength)
    plain = loss_of(models2, criterion, data.getBatch(None))
    assert loss_of(models2, criterion, repad(data.getBatch(None), Constants.UNK)) != plain


# ---- gradients ----

@pytest.mark.parametrize('brnn', [None, 'concat'])
def test_seq2seq_gradients_against_finite_differences(brnn):
    models, params, gradParams, criterion = build(layers=2, rnn=4, wvec=3, brnn=brnn)
    params, gradParams = initParams(models, 0.5)   # -param_init 0.5: gradients well above rounding
    models['encoder'].maskPadding()
    batch = dataset().getBatch(2)   # two sentences of three words
    batch.totalSize = batch.size
    for g in gradParams:
        g.zero()
    trainNetwork(models, criterion, batch)
    rng = np.random.RandomState(5)
    eps = 1e-5
    for p, g in zip(params, gradParams):
        analytic = g.clone()
        # coordinates the loss depends on (the embedding rows of absent words have none), drawn at random
        live = np.flatnonzero(np.abs(analytic.numpy()) > 1e-4)
        assert len(live) > 0.3 * p.nElement()
        for k in rng.choice(live, 12, replace=False):
            keep = float(p[int(k)])
            p[int(k)] = keep + eps
            fp = loss_of(models, criterion, batch)
            p[int(k)] = keep - eps
            fm = loss_of(models, criterion, batch)
            p[int(k)] = keep
            assert float(analytic[int(k)]) == pytest.approx((fp - fm) / (2 * eps) / batch.totalSize,
                                                            rel=1e-5, abs=1e-10)
    # the padding row of the target embedding never moves
    pad_row = models['decoder'].findModules('nn.LookupTable')[0][0].gradWeight[Constants.PAD]
    assert pad_row.abs().sum() == 0


# ---- training ----

def train(models, params, gradParams, criterion, optim, epochs):
    """Trainer.lua's synchronous trainEpoch (v0.5.0 lines 93-187) on one thread: the batches in a random order,
    each step's loss summed; returns each epoch's loss per target word."""
    data = dataset()
    optim.setOptimStates(len(params))
    losses = []
    for _ in range(epochs):
        total, words = 0, 0
        # Shuffle mini batch order.
        batchOrder = lg.randperm(data.batchCount())
        for i in range(data.batchCount()):
            batch = data.getBatch(batchOrder[i])
            batch.totalSize = batch.size
            optim.zeroGrad(gradParams)
            total += trainNetwork(models, criterion, batch)
            words += int(batch.targetOutput.ne(Constants.PAD).sum())
            optim.prepareGrad(gradParams)
            optim.updateParams(params, gradParams)
        losses.append(total / words)
    return losses


@pytest.mark.parametrize('args, epochs, ratio', [({'optim': 'sgd', 'learning_rate': 1}, 10, 0.92),
                                                  ({'optim': 'adam', 'learning_rate': 0.1}, 12, 0.5)])
def test_the_loss_falls_on_the_toy_corpus(args, epochs, ratio):
    models, params, gradParams, criterion = build(layers=1, rnn=16, wvec=8)
    losses = train(models, params, gradParams, criterion, Optim(args), epochs)   # 3 updates an epoch
    assert losses[0] == pytest.approx(math.log(10), rel=0.06)   # near uniform over 10 words at init
    assert losses[-1] < ratio * losses[0]


def test_prepare_grad_clips_the_global_norm_then_steps():
    optim = Optim({'optim': 'sgd', 'learning_rate': 0.5, 'max_grad_norm': 2})
    grads = [lg.Tensor([3.0, 0.0]), lg.Tensor([0.0, 4.0, 0.0])]   # norm 5
    optim.prepareGrad(grads)
    assert grads[0].tolist() == pytest.approx([-0.5 * 3 * 2 / 5, 0]) and grads[1].tolist()[1] == pytest.approx(-0.8)
    small = [lg.Tensor([0.3, 0.4])]
    optim.prepareGrad(small)
    assert small[0].tolist() == pytest.approx([-0.15, -0.2])   # under the norm: unscaled
    adam = Optim({'optim': 'adam', 'learning_rate': 0.1, 'max_grad_norm': 100})
    adam.setOptimStates(1)
    g = [lg.Tensor([2.0, -0.5])]
    adam.prepareGrad(g)
    # the first Adam step is -lr * sign(g) up to eps
    assert g[0].tolist() == pytest.approx([-0.1, 0.1], rel=1e-6)


def test_learning_rate_decays_after_start_decay_at_or_a_worse_perplexity():
    optim = Optim({'optim': 'sgd', 'learning_rate': 1, 'learning_rate_decay': 0.5, 'start_decay_at': 3})
    optim.updateLearningRate(10, 1)
    optim.updateLearningRate(8, 2)
    assert optim.getLearningRate() == 1
    optim.updateLearningRate(7, 3)
    assert optim.getLearningRate() == 0.5
    optim.updateLearningRate(6, 4)   # once started, it decays every epoch
    assert optim.getLearningRate() == 0.25
    worse = Optim({'optim': 'sgd', 'learning_rate': 1, 'start_decay_at': 9})
    worse.updateLearningRate(5, 1)
    worse.updateLearningRate(6, 2)
    assert worse.getLearningRate() == 0.5


# ---- translation ----

@pytest.fixture(scope='module')
def trained():
    """The toy model trained with Adam for 36 updates (its loss per word falls from 2.3 to about 0.6)."""
    before = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    models, params, gradParams, criterion = build(layers=1, rnn=16, wvec=8)
    train(models, params, gradParams, criterion, Optim({'optim': 'adam', 'learning_rate': 0.1}), epochs=12)
    lg.setdefaulttensortype(before)
    return models


def greedy(models, batch, steps):
    """The decoder run step by step on its own argmax: the words and their summed log-probabilities."""
    models['encoder'].evaluate()
    models['decoder'].evaluate()
    states, context = models['encoder'].forward(batch)
    word, out, words, score = lg.IntTensor([Constants.BOS]), None, [], 0.0
    for _ in range(steps):
        out, states = models['decoder'].forwardOne(word, states, context, out)
        logp = models['decoder'].generator.forward(out)[0][0]
        best = int(logp.max(0)[1])
        words.append(best)
        score += float(logp[best])
        word = lg.IntTensor([best])
        if best == Constants.EOS:
            break
    return words, score


def one_sentence(text):
    src, _ = dicts()
    return Batch([src.convertToIdx(text.split(), Constants.UNK_WORD).long()])


def teacher_forced_score(models, batch, hyp):
    """Decoder:computeScore on the hypothesis as the gold target."""
    tgt = lg.LongTensor([Constants.BOS] + hyp)
    gold = Batch([batch.sourceInput[:, 0].clone()], [], [tgt], [])
    states, context = models['encoder'].forward(gold)
    return models['decoder'].computeScore(gold, states, context)[0]


def test_beam_of_one_is_the_greedy_decode(trained):
    models = trained
    for text in ('a c e', 'b f c e', 'd a'):
        batch = one_sentence(text)
        hyps, scores = translateBatch(models, batch, beam_size=1, max_sent_length=8)
        words, score = greedy(models, batch, steps=7)
        assert hyps[0][0] == words
        assert scores[0][0] == pytest.approx(score, rel=1e-6)   # the beam's scores are a FloatTensor


def test_beam_hypotheses_follow_their_back_pointers(trained):
    models = trained
    batch = one_sentence('b d f')
    hyps, scores = translateBatch(models, batch, beam_size=3, max_sent_length=8)
    assert scores[0] == sorted(scores[0], reverse=True)
    assert len({tuple(h) for h in hyps[0]}) == 3
    assert all(h[len(h) - 1] == Constants.EOS for h in hyps[0][:1])   # the search stops on the best's EOS
    for hyp, score in zip(hyps[0], scores[0]):
        # each hypothesis, walked back through prevKs, scores what the decoder gives its words
        assert teacher_forced_score(models, batch, hyp) == pytest.approx(score, rel=1e-5)


def test_checkpoint_round_trip_gives_identical_scores(trained, tmp_path):
    """Checkpoint.lua saves ``{models = {encoder = enc:serialize(), decoder = dec:serialize()}, options, dicts}``;
    Seq2Seq.load rebuilds each with Factory.loadEncoder / loadDecoder (``torch.factory``, then the parent's
    ``__init`` on the saved network). The loaded model scores and translates as the trained one."""
    models = trained
    for m in models.values():   # Translator.lua's __init: evaluate() on each model
        m.evaluate()
    batch = dataset().getBatch(2)
    before = [models['decoder'].computeScore(batch, *models['encoder'].forward(batch))[b] for b in range(2)]
    src, tgt = dicts()
    checkpoint = {'models': {key: models[key].serialize() for key in models}, 'options': {'rnn_size': 16},
                  'dicts': {'src': src.idxToLabel, 'tgt': tgt.idxToLabel}}
    lg.save(str(tmp_path / 'model_epoch12.t7'), checkpoint)
    saved = lg.load(str(tmp_path / 'model_epoch12.t7'))
    loaded = {'encoder': loadEncoder(saved['models']['encoder']), 'decoder': loadDecoder(saved['models']['decoder'])}
    for m in loaded.values():
        m.evaluate()
    assert type(loaded['decoder']) is Decoder and saved['dicts']['tgt'] == tgt.idxToLabel
    assert (loaded['decoder'].getParameters()[0].numpy().tolist()
            == models['decoder'].getParameters()[0].numpy().tolist())
    after = [loaded['decoder'].computeScore(batch, *loaded['encoder'].forward(batch))[b] for b in range(2)]
    assert after == before
    hyps = [translateBatch(m, one_sentence('a c e'), 2, 8) for m in (models, loaded)]
    assert hyps[0] == hyps[1]


def test_a_bidirectional_encoder_serializes_its_two_encoders(tmp_path):
    models, _, _, criterion = build(layers=1, rnn=6, wvec=5, brnn='concat')
    batch = dataset().getBatch(0)
    before = loss_of(models, criterion, batch)
    lg.save(str(tmp_path / 'enc.t7'), models['encoder'].serialize())
    models['encoder'] = loadEncoder(lg.load(str(tmp_path / 'enc.t7')))
    assert type(models['encoder']) is BiEncoder and models['encoder'].args['hiddenSize'] == 6
    assert loss_of(models, criterion, batch) == before


@pytest.mark.gpu
def test_a_training_step_on_the_gpu_matches_the_cpu():
    """train.lua converts the model and criterion with onmt.utils.Cuda.convert, Trainer.lua each batch; the loss
    and the flat gradients of one step agree with the CPU model's, to float32's precision."""
    batch = dataset().getBatch(1)
    batch.totalSize = batch.size
    models, _, gradParams, criterion = build(layers=1, rnn=8, wvec=6)
    models['encoder'].maskPadding()
    for g in gradParams:
        g.zero()
    cpu_loss = trainNetwork(models, criterion, batch)
    models, _, _, criterion = build(layers=1, rnn=8, wvec=6)
    models['encoder'].maskPadding()
    convert(models)
    convert(criterion)
    gpu_batch = convert(dataset().getBatch(1))
    gpu_batch.totalSize = gpu_batch.size
    assert gpu_batch.sourceInput.type() == 'torch.CudaLongTensor' and gpu_batch.sourceSize.type() == 'torch.CudaTensor'
    gpu_grads = [models[key].getParameters()[1].zero() for key in sorted(models)]
    assert gpu_grads[0].type() == 'torch.CudaTensor'
    gpu_loss = trainNetwork(models, criterion, gpu_batch)
    assert gpu_loss == pytest.approx(cpu_loss, rel=1e-5)
    for g, c in zip(gpu_grads, gradParams):
        np.testing.assert_allclose(g.double().numpy(), c.numpy(), rtol=1e-3, atol=1e-6)
