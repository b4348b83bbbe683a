"""batra-mlp-lab/visdial (Visual Dialog, CVPR 2017) ported line by line (the test file is
tests/porting/test_visdial.py): opts.lua's encoder flags (lines 54-67), utils.lua (rightAlign, idToWords, readJSON,
writeJSON, computeLhood, computeRanks, processRanks), model_utils/MaskTime.lua, MaskFuture.lua, ReplaceZero.lua,
MaskSoftMax.lua (the same file as HieCoAttenVQA's maskSoftmax.lua, whose port this one imports), optim_updates.lua's
adam, weight-init.lua (its xavier, opts.lua's default), all eleven encoders (the lines the files repeat are one
helper each, built in the Lua's order so the generator draws alike; hrea-ques-im-hist's MaskFuture indexes with a
float mask, as only cutorch's CudaTensor takes, so it runs in the GPU tests), decoders/gen.lua and disc.lua,
model.lua (all), dataloader.lua (all: the h5/json reads through legonn.hdf5 and legonn.cjson), train.lua's setup,
loop and checkpoints (lines 53-121), evaluate.lua (lines 40-107: the checkpoint reloaded, retrieve or predict, the
ranks' json), generate.lua (lines 40-104) and convert_gpu_to_cpu.lua (lines 11-45).

The data files are prepro.py's, small and written by the test, in the port's index rules: word ids from 0 with
-1 as padding (prepro.py's uint32 cannot hold the -1: they are int64), answer indices, option indices and image
positions from 0. The Lua's fixed sizes stay: 10 rounds per dialog (the mn encoder's 10 x 10 mask) and 100 options
per round (disc.lua, computeRanks).

The edits beyond the syntax and the 0-based indices:
- word padding -1 (docs/porting.md's LookupTableMaskZero row): model.lua:74 ``answer_out:gt(0)`` counts tokens with
  ``ge(0)``; utils.lua:90-93 computeLhood masks ``eq(-1)`` and sends the masked rows to word 0; MaskTime.lua:22
  masks ``eq(-1)``; utils.lua:8 rightAlign and dataloader.lua's decoder and history tensors (``:zero()``, lines
  165-166, 215-222, 290-291) fill with -1; <START> and <END> are ids count and count + 1 (dataloader.lua:18-19's
  count + 1, count + 2);
- dataloader.lua:77's ``img_pos + 1`` (the file's positions are 0-based) is left out;
- dataloader.lua:328's ``torch.LongTensor(size):random(1, n)`` (inclusive) is ``random(0, n)`` (legonn's bounds
  are Python's);
- model.lua:19-23's ``dofile('encoders/' .. name .. '.lua')`` is a lookup in ``ENCODERS``/``DECODERS``;
- xlua.progress takes the 0-based item (legonn's rule);
- the encoders set ``nn.FastLSTM.usenngraph = true`` (a class flag, process-wide as in Lua, unread by SeqLSTM):
  kept, and the test puts it back.
"""
import math
import re
import time
from types import SimpleNamespace

import legonn as lg
from legonn import cjson, cutorch, hdf5, nn, paths, xlua
from tests.porting.hiecoatten_vqa import maskSoftMax as MaskSoftMax   # model_utils/MaskSoftMax.lua is that file
from tests.porting.hiecoatten_vqa import write_json as writeJSON      # utils.lua's writeJSON is the same lines
from tests.porting.test_densecap_model import adam as karpathy_adam

runningLoss = 0   # train.lua's global, read and written by Model.trainIteration


# ---- opts.lua (lines 54-67: the flags the encoder's name sets) ---------------------------------------------
def encoderFlags(opts):
    if 'hist' in opts['encoder']:
        opts['useHistory'] = True
    if 'im' in opts['encoder']:
        opts['useIm'] = True
    # check if history is to be concatenated (only for late fusion encoder)
    if 'lf' in opts['encoder']:
        opts['concatHistory'] = True
    # attention is always on conv features, not fc7
    if 'att' in opts['encoder']:
        if opts['inputImg'] == 'data/data_img.h5':
            opts['inputImg'] = 'data/data_img_pool5.h5'
        opts['imgNorm'] = 0
    return opts


# ---- utils.lua ---------------------------------------------------------------------------------------------
def rightAlign(sequences, lengths):
    # clone the sequences (filled with the padding, -1 here where the Lua's is 0)
    rAligned = sequences.clone().fill(-1)
    numDims = sequences.dim()

    if numDims == 3:
        M = sequences.size(2)           # maximum length of question
        numImgs = sequences.size(0)     # number of images
        maxCount = sequences.size(1)    # number of questions / image

        for imId in range(numImgs):
            for quesId in range(maxCount):
                # do only for non zero sequence counts
                if lengths[imId][quesId] == 0:
                    break

                # copy based on the sequence length
                n = int(lengths[imId][quesId])
                rAligned[imId][quesId][M - n:M] = sequences[imId][quesId][0:n]
    elif numDims == 2:
        # handle 2 dimensional matrices as well
        M = sequences.size(1)
        numImgs = sequences.size(0)

        for imId in range(numImgs):
            if lengths[imId] > 0:
                n = int(lengths[imId])
                rAligned[imId][M - n:M] = sequences[imId][0:n]

    return rAligned


def idToWords(vector, ind2word):
    sentence = ''

    nextWord = None
    for wordId in range(vector.size(0)):
        if vector[wordId] >= 0:             # the Lua's > 0: padding is -1 here
            nextWord = ind2word[int(vector[wordId])]
            sentence = sentence + ' ' + nextWord

        # stop if end of token is attained
        if nextWord == '<END>':
            break

    return sentence


def readJSON(fileName):
    with open(fileName) as file:
        text = file.readline()
    # convert and save information
    return cjson.decode(text)


def computeLhood(words, predProbs):
    # compute the probabilities for each answer, based on its tokens
    # convert to 2d matrix
    predVec = predProbs.view(-1, predProbs.size(2))
    indices = words.contiguous().view(-1, 1)
    mask = indices.eq(-1)              # the Lua's eq(0): padding is -1 here
    # assign proxy values to avoid out-of-range indices
    indices[mask] = 0                  # the Lua's 1, its first word
    logProbs = predVec.gather(1, indices)
    # neutralize other values
    logProbs[mask] = 0
    logProbs = logProbs.viewAs(words)
    # sum up for each sentence
    logProbs = logProbs.sum(0).squeeze()

    return logProbs


def computeRanks(scores, gtPos):
    # sort in descending order - largest score gets highest rank
    sorted_, rankedIdx = scores.sort(1, True)

    # convert from ranked_idx to ranks (a rank is a count from 1, not an index)
    ranks = rankedIdx.clone().fill(0)
    for i in range(rankedIdx.size(0)):
        for j in range(100):
            ranks[i, rankedIdx[i, j]] = j + 1

    if gtPos is not None:
        gtPos = gtPos.view(-1)
        gtRanks = lg.LongTensor(gtPos.size(0))
        for i in range(gtPos.size(0)):
            gtRanks[i] = ranks[i, gtPos[i]]
        ranks = gtRanks

    return ranks.double()


def processRanks(ranks):
    # print the results
    numQues = ranks.size(0) * ranks.size(1)

    numOptions = 100

    # convert ranks to double, vector and remove zeros
    ranks = ranks.double().view(-1)
    # non of the values should be 0, there is gt in options
    if lg.sum(ranks.le(0)) > 0:
        numZero = lg.sum(ranks.le(0))
        print('Warning: some of ranks are zero : %d' % numZero)
        ranks = ranks[ranks.gt(0)]

    if lg.sum(ranks.ge(numOptions + 1)) > 0:
        numGreater = lg.sum(ranks.ge(numOptions + 1))
        print('Warning: some of ranks >100 : %d' % numGreater)
        ranks = ranks[ranks.le(numOptions + 1)]

    print('\tNo. questions: %d' % numQues)
    print('\tr@1: %f' % (lg.sum(lg.le(ranks, 1)) / numQues))
    print('\tr@5: %f' % (lg.sum(lg.le(ranks, 5)) / numQues))
    print('\tr@10: %f' % (lg.sum(lg.le(ranks, 10)) / numQues))
    print('\tmedianR: %f' % lg.median(ranks.view(-1))[0][0])
    print('\tmeanR: %f' % lg.mean(ranks))
    print('\tmeanRR: %f' % lg.mean(ranks.cinv()))


# ---- model_utils/MaskTime.lua --------------------------------------------------------------------------------
class MaskTime(nn.Module):
    """Repeats a (batch, featSize) feature over the time steps of a (seqLen, batch) index sequence, zero where
    the sequence is padding; the gradient sums back over time."""

    def __init__(self, featSize):
        super().__init__()
        self.mask = lg.Tensor()
        self.seqLen = None
        self.featSize = featSize
        self.gradInput = [lg.Tensor(), lg.Tensor()]

    def updateOutput(self, input):
        seqLen = input[0].size(0)
        batchSize = input[0].size(1)

        # expand the feature vector
        self.output.resizeAs(input[1]).copy(input[1])
        self.output = self.output.view(1, batchSize, self.featSize)
        self.output = self.output.repeatTensor(seqLen, 1, 1)

        # expand the word mask
        self.mask = input[0].eq(-1)          # the Lua's eq(0): padding is -1 here
        self.mask = self.mask.view(seqLen, batchSize, 1).expand(seqLen, batchSize, self.featSize)
        self.output[self.mask] = 0

        return self.output

    def updateGradInput(self, input, gradOutput):
        # the first component is zero gradients
        self.gradInput[0].resizeAs(input[0]).zero()
        # second component has zeroed out gradients, summed along the first dimension
        self.gradInput[1].resizeAs(gradOutput).copy(gradOutput)
        self.gradInput[1][self.mask] = 0
        self.gradInput[1] = self.gradInput[1].sum(0).squeeze()

        return self.gradInput


# ---- model_utils/MaskFuture.lua ------------------------------------------------------------------------------
class MaskFuture(nn.Module):
    """Zeroes the entries above the diagonal of each (numClasses, numClasses) slice of a (batch, n, n) input (a
    round's scores for later rounds), in the output and the gradient. Its mask is a float Tensor used as an index,
    which cutorch reads as a mask (the Lua runs on the GPU); Torch7's CPU tensors take only a ByteTensor mask."""

    def __init__(self, numClasses):
        super().__init__()
        self.mask = lg.Tensor(1, numClasses, numClasses).fill(1)
        # extract the upper diagonal matrix
        self.mask[0] = lg.triu(self.mask[0], 1)
        self.gradInput = lg.Tensor()
        self.output = lg.Tensor()

    def updateOutput(self, input):
        batchSize = input.size(0)  # noqa: F841  (read and unused, as in the Lua)

        self.output.resizeAs(input).copy(input)
        # expand mask based on input
        self.output[self.mask.expandAs(input)] = 0

        return self.output

    def updateGradInput(self, input, gradOutput):
        # zero out the gradients based on the mask
        self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        self.gradInput[self.mask.expandAs(input)] = 0

        return self.gradInput


# ---- model_utils/ReplaceZero.lua -----------------------------------------------------------------------------
class ReplaceZero(nn.Module):
    """Replaces the input's zeros by ``constant`` (hrea's -inf before a SoftMax); their gradient is zero."""

    def __init__(self, constant):
        super().__init__()
        if constant is None:      # the Lua's `not constant`: a nil (0 and -inf are constants)
            raise ValueError('<ReplaceZero> constant must be specified')
        self.constant = constant
        self.mask = lg.Tensor()

    def updateOutput(self, input):
        self.output.resizeAs(input).copy(input)
        self.mask = input.eq(0)
        self.output[self.mask] = self.constant
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        # remove the gradients at those points
        self.gradInput[self.mask] = 0
        return self.gradInput


# ---- model_utils/optim_updates.lua ---------------------------------------------------------------------------
def adam(x, dx, state):
    """optim_updates.lua's adam: Karpathy's update (densecap's optim_updates.lua, ported in
    tests/porting/test_densecap_model.py), with its settings read from ``state`` as this copy of the file does."""
    karpathy_adam(x, dx, state.get('learningRate', 1e-2), state.get('beta1'), state.get('beta2'),
                  state.get('epsilon'), state)


# ---- model_utils/weight-init.lua -----------------------------------------------------------------------------
def w_init_xavier(fan_in, fan_out):
    return math.sqrt(2 / (fan_in + fan_out))


def w_init(net, arg):
    # choose initialization method (the repo's opts.lua default is 'xavier', the one ported)
    if arg == 'xavier':
        method = w_init_xavier
    else:
        assert False

    # loop over the modules of the top container only, as the Lua does
    for i in range(len(net.modules)):
        m = net.modules[i]
        if m.__typename == 'nn.Linear':
            m.reset(method(m.weight.size(1), m.weight.size(0)))

        if m.bias is not None:
            m.bias.zero()
    return net


# ---- encoders/lf-ques.lua, lf-ques-im.lua, lf-ques-hist.lua -------------------------------------------------
def _lf_word_branch(enc, params):
    """The word branch lf-ques.lua, lf-ques-im.lua, lf-ques-hist.lua and lf-ques-im-hist.lua each build with the
    same lines: the embedding, then numLayers masked SeqLSTMs (``enc.rnnLayers``), then the last step."""
    enc.wordEmbed = nn.LookupTableMaskZero(params['vocabSize'], params['embedSize'])
    enc.rnnLayers = []
    return _lstm_stack_branch(enc.wordEmbed, 0, params, enc.rnnLayers)


def _hist_branch(enc, params, position):
    """The history branch the hist encoders build with the same lines: a clone of the embedding sharing its
    weights on input ``position``, numLayers masked SeqLSTMs (``enc.histLayers``), the last step."""
    hEmbedNet = enc.wordEmbed.clone('weight', 'bias', 'gradWeight', 'gradBias')
    enc.histLayers = []
    return _lstm_stack_branch(hEmbedNet, position, params, enc.histLayers)


def _lstm_stack_branch(embed, position, params, layers):
    """Input ``position`` through ``embed`` and numLayers masked SeqLSTMs (appended to ``layers``), its last step."""
    branch = nn.Sequential().add(nn.SelectTable(position)).add(embed)
    for layer in range(params['numLayers']):
        inputSize = params['embedSize'] if layer == 0 else params['rnnHiddenSize']
        layers.append(nn.SeqLSTM(inputSize, params['rnnHiddenSize']))
        layers[layer].maskZero()

        branch.add(layers[layer])
    branch.add(nn.Select(0, -1))
    return branch


def _lf_head(enc, params, width):
    """The lines after the branches: dropout, a Linear to rnnHiddenSize, Tanh."""
    dropout = params.get('dropout', 0.5)
    if dropout > 0:
        enc.add(nn.Dropout(dropout))
    enc.add(nn.Linear(width, params['rnnHiddenSize']))
    enc.add(nn.Tanh())
    return enc


def lf_ques(params):
    nn.FastLSTM.usenngraph = True
    enc = nn.Sequential()
    enc.add(_lf_word_branch(enc, params))
    return _lf_head(enc, params, params['rnnHiddenSize'])


def lf_ques_im(params):
    nn.FastLSTM.usenngraph = True
    enc = nn.Sequential()
    concat = nn.ConcatTable()
    concat.add(_lf_word_branch(enc, params))
    concat.add(nn.SelectTable(1))
    enc.add(concat)
    enc.add(nn.JoinTable(1))
    return _lf_head(enc, params, params['rnnHiddenSize'] + params['imgFeatureSize'])


def lf_ques_hist(params):
    nn.FastLSTM.usenngraph = True
    enc = nn.Sequential()
    concat = nn.ConcatTable()
    wordBranch = _lf_word_branch(enc, params)
    histBranch = _hist_branch(enc, params, 1)
    concat.add(wordBranch)
    concat.add(histBranch)
    enc.add(concat)
    enc.add(nn.JoinTable(1))
    return _lf_head(enc, params, 2 * params['rnnHiddenSize'])


# ---- encoders/hre-ques-hist.lua -----------------------------------------------------------------------------
def hre_ques_hist(params):
    nn.FastLSTM.usenngraph = True
    enc = nn.Sequential()
    concat = nn.ConcatTable()
    wordBranch = _lf_word_branch(enc, params)
    # make clones for embed layer (qEmbedNet made and never used, as in the Lua)
    qEmbedNet = enc.wordEmbed.clone('weight', 'bias', 'gradWeight', 'gradBias')  # noqa: F841
    histBranch = _hist_branch(enc, params, 1)

    concat.add(wordBranch)
    concat.add(histBranch)
    enc.add(concat)

    # another concat table (made and never used, as in the Lua)
    concat2 = nn.ConcatTable()  # noqa: F841
    enc.add(nn.JoinTable(0, 1))

    # change the view of the data: split it back wrt batch size and then transpose
    enc.add(nn.View(-1, params['maxQuesCount'], 2 * params['rnnHiddenSize']))
    enc.add(nn.Transpose([0, 1]))
    enc.add(nn.View(params['maxQuesCount'], -1, 2 * params['rnnHiddenSize']))
    enc.add(nn.SeqLSTM(2 * params['rnnHiddenSize'], params['rnnHiddenSize']))
    enc.add(nn.Transpose([0, 1]))
    enc.add(nn.View(-1, params['rnnHiddenSize']))

    return enc


# ---- encoders/lf-ques-im-hist.lua ----------------------------------------------------------------------------
def lf_ques_im_hist(params):
    nn.FastLSTM.usenngraph = True
    enc = nn.Sequential()
    concat = nn.ConcatTable()
    wordBranch = _lf_word_branch(enc, params)
    histBranch = _hist_branch(enc, params, 2)
    concat.add(wordBranch)
    concat.add(nn.SelectTable(1))
    concat.add(histBranch)
    enc.add(concat)
    enc.add(nn.JoinTable(1))
    return _lf_head(enc, params, 2 * params['rnnHiddenSize'] + params['imgFeatureSize'])


# ---- encoders/hre-ques-im-hist.lua ---------------------------------------------------------------------------
def _hre_im_front(params, imgDropout):
    """hre-ques-im-hist.lua's and hrea-ques-im-hist.lua's lines up to the second ConcatTable (the same but for
    hrea's Dropout(0.5) before the image's Linear): words with the image (MaskTime) through numLayers SeqLSTMs,
    beside the history's encoding."""
    nn.FastLSTM.usenngraph = True

    enc = nn.Sequential()
    concat = nn.ConcatTable()

    enc.wordEmbed = nn.LookupTableMaskZero(params['vocabSize'], params['embedSize'])
    wordBranch = nn.Sequential().add(nn.SelectTable(0)).add(enc.wordEmbed)

    # make clones for embed layer (qEmbedNet is made and never used, as in the Lua)
    qEmbedNet = enc.wordEmbed.clone('weight', 'bias', 'gradWeight', 'gradBias')  # noqa: F841
    histBranch = _hist_branch(enc, params, 2)

    # image branch: embedding for images
    imgEmbed = nn.Sequential()
    if imgDropout:
        imgEmbed.add(nn.Dropout(0.5))
    imgEmbed.add(nn.Linear(params['imgFeatureSize'], params['imgEmbedSize']))
    imgPar = nn.ParallelTable().add(nn.Identity()).add(imgEmbed)
    # select words and image only
    imageBranch = nn.Sequential() \
        .add(nn.NarrowTable(0, 2)) \
        .add(imgPar) \
        .add(MaskTime(params['imgEmbedSize']))

    concat.add(wordBranch)
    concat.add(imageBranch)
    concat.add(histBranch)
    enc.add(concat)

    concat2 = nn.ConcatTable()

    # select words + image, and history
    wordImageBranch = nn.Sequential().add(nn.NarrowTable(0, 2)).add(nn.JoinTable(-1))

    # language model
    enc.rnnLayers = []
    for layer in range(params['numLayers']):
        inputSize = params['imgEmbedSize'] + params['embedSize'] if layer == 0 else params['rnnHiddenSize']
        enc.rnnLayers.append(nn.SeqLSTM(inputSize, params['rnnHiddenSize']))
        enc.rnnLayers[layer].maskZero()

        wordImageBranch.add(enc.rnnLayers[layer])
    wordImageBranch.add(nn.Select(0, -1))

    concat2.add(wordImageBranch).add(nn.SelectTable(2))
    enc.add(concat2)

    return enc


def hre_ques_im_hist(params):
    return _dialog_lstm(_hre_im_front(params, False), params)


def _dialog_lstm(enc, params):
    """hre-ques-im-hist.lua's and hrea-ques-im-hist.lua's last lines: join each round's two encodings, split
    them back by dialog and run the rounds through the dialog-level SeqLSTM as time steps."""
    # join both the tensors
    enc.add(nn.JoinTable(-1))

    # split back wrt batch size, then rounds as time for the dialog-level LSTM
    enc.add(nn.View(-1, params['maxQuesCount'], 2 * params['rnnHiddenSize']))
    enc.add(nn.Transpose([0, 1]))
    enc.add(nn.SeqLSTM(2 * params['rnnHiddenSize'], params['rnnHiddenSize']))
    enc.add(nn.Transpose([0, 1]))
    enc.add(nn.View(-1, params['rnnHiddenSize']))

    return enc


# ---- encoders/hrea-ques-im-hist.lua -------------------------------------------------------------------------
def hrea_ques_im_hist(params):
    enc = _hre_im_front(params, True)

    # single layer neural network: create attention based history
    prepare = nn.Sequential() \
        .add(nn.Linear(params['rnnHiddenSize'], 1)) \
        .add(nn.View(-1, params['maxQuesCount']))
    wordHistBranch = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(prepare.clone())
             .add(prepare.clone())) \
        .add(nn.ParallelTable()
             .add(nn.Replicate(10, 2))
             .add(nn.Replicate(10, 1))) \
        .add(nn.CAddTable()) \
        .add(MaskFuture(params['maxQuesCount'])) \
        .add(nn.View(-1, params['maxQuesCount'])) \
        .add(ReplaceZero(-1 * math.inf)) \
        .add(nn.SoftMax()) \
        .add(nn.View(-1, params['maxQuesCount'], params['maxQuesCount'])) \
        .add(nn.Replicate(params['rnnHiddenSize'], 3))

    histOnlyBranch = nn.Sequential() \
        .add(nn.SelectTable(1)) \
        .add(nn.View(-1, params['maxQuesCount'], params['rnnHiddenSize'])) \
        .add(nn.Replicate(params['maxQuesCount'], 1))

    # another concatTable to create attention over history
    concat3 = nn.ConcatTable() \
        .add(wordHistBranch) \
        .add(histOnlyBranch) \
        .add(nn.SelectTable(0))   # append attended history with question
    enc.add(concat3)

    # multiply the first two tables, and leave the third one untouched
    multiplier = nn.Sequential() \
        .add(nn.NarrowTable(0, 2)) \
        .add(nn.CMulTable()) \
        .add(nn.Sum(2)) \
        .add(nn.View(-1, params['rnnHiddenSize']))
    concat4 = nn.ConcatTable() \
        .add(multiplier) \
        .add(nn.SelectTable(2))
    enc.add(concat4)

    # join both the tensors (att over history and encoded question), the dialog-level LSTM
    return _dialog_lstm(enc, params)


# ---- encoders/mn-ques-im-hist.lua ---------------------------------------------------------------------------
def mn_ques_im_hist(params):
    inputs = [nn.Identity()(), nn.Identity()(), nn.Identity()(), nn.Identity()()]   # question, img, history, mask
    ques, img_feats, hist, mask = inputs

    wordEmbed, q3, h3 = _question_and_history(params, ques, hist)
    qi = nn.JoinTable(0, 1)([q3, img_feats])
    qi_proj = nn.Tanh()(nn.Linear(params['imgFeatureSize'] + params['rnnHiddenSize'], params['rnnHiddenSize'])(qi))

    enc = nn.gModule(inputs, [_history_attention(params, qi_proj, h3, mask)])
    enc.wordEmbed = wordEmbed
    return enc


def _question_and_history(params, ques, hist):
    """The lines the mn and att encoders open with alike: one embedding (a global in the Lua) shared by dropout
    branches for the question and the history, two masked SeqLSTMs over each, their last steps."""
    wordEmbed = nn.LookupTableMaskZero(params['vocabSize'], params['embedSize'])

    qEmbed = nn.Dropout(0.5)(wordEmbed.clone('weight', 'bias', 'gradWeight', 'gradBias')(ques))
    hEmbed = nn.Dropout(0.5)(wordEmbed.clone('weight', 'bias', 'gradWeight', 'gradBias')(hist))

    lst1 = nn.SeqLSTM(params['embedSize'], params['rnnHiddenSize'])
    lst1.maskZero()
    lst2 = nn.SeqLSTM(params['rnnHiddenSize'], params['rnnHiddenSize'])
    lst2.maskZero()

    h1 = lst1(hEmbed)
    h2 = lst2(h1)
    h3 = nn.Select(0, -1)(h2)

    lst3 = nn.SeqLSTM(params['embedSize'], params['rnnHiddenSize'])
    lst3.maskZero()
    lst4 = nn.SeqLSTM(params['rnnHiddenSize'], params['rnnHiddenSize'])
    lst4.maskZero()

    q1 = lst3(qEmbed)
    q2 = lst4(q1)
    q3 = nn.Select(0, -1)(q2)
    return wordEmbed, q3, h3


def _history_attention(params, q, h3, mask):
    """The mn encoders' memory network: each round's question ``q`` attends over the rounds' history encodings
    through the 10 x 10 mask (MaskSoftMax), the attended history joins the question; the node of the last Tanh."""
    # View as batch x rounds
    qEmbedView = nn.View(-1, params['maxQuesCount'], params['rnnHiddenSize'])(q)
    hEmbedView = nn.View(-1, params['maxQuesCount'], params['rnnHiddenSize'])(h3)

    # Inner product: qh is Bx10x10, rows questions, columns facts
    qh = nn.MM(False, True)([qEmbedView, hEmbedView])
    qhView = nn.View(-1, params['maxQuesCount'])(qh)
    qhprobs = MaskSoftMax()([qhView, mask])
    qhView2 = nn.View(-1, params['maxQuesCount'], params['maxQuesCount'])(qhprobs)

    # Weighted sum of h features
    hAtt = nn.MM()([qhView2, hEmbedView])
    hAttView = nn.View(-1, params['rnnHiddenSize'])(hAtt)

    hAttTr = nn.Tanh()(nn.Linear(params['rnnHiddenSize'], params['rnnHiddenSize'])(nn.Dropout(0.5)(hAttView)))
    return nn.Tanh()(nn.Linear(params['rnnHiddenSize'], params['rnnHiddenSize'])(
        nn.CAddTable()([hAttTr, nn.View(-1, params['rnnHiddenSize'])(qEmbedView)])))


# ---- encoders/mn-ques-hist.lua ------------------------------------------------------------------------------
def mn_ques_hist(params):
    inputs = [nn.Identity()(), nn.Identity()(), nn.Identity()()]   # question, history, 10x10 mask
    ques, hist, mask = inputs

    wordEmbed, q3, h3 = _question_and_history(params, ques, hist)
    enc = nn.gModule(inputs, [_history_attention(params, q3, h3, mask)])
    enc.wordEmbed = wordEmbed
    return enc


# ---- encoders/lf-att-ques-im-hist.lua (and the SAN attention mn-att-ques-im-hist.lua repeats) ---------
def _san_attention(params, u, img_feats, common_embedding_size, num_attention_layer):
    """The image attention lf-att-ques-im-hist.lua and mn-att-ques-im-hist.lua write alike (inspired by SAN,
    Yang et al., CVPR16): ``u`` attends over the (S, S, F) map's S * S places ``num_attention_layer`` times; the
    node of the last Tanh."""
    img_tr_size = params['rnnHiddenSize']
    rnn_size = params['rnnHiddenSize']
    S2 = params['imgSpatialSize'] * params['imgSpatialSize']

    img_tr = nn.Dropout(0.5)(
        nn.Tanh()(
            nn.View(-1, S2, img_tr_size)(
                nn.Linear(params['imgFeatureSize'], img_tr_size)(
                    nn.View(params['imgFeatureSize']).setNumInputDims(2)(img_feats)))))

    for i in range(num_attention_layer):
        # linear layer: 14x14x1024 -> 14x14x512
        img_common = nn.View(-1, S2, common_embedding_size)(
            nn.Linear(img_tr_size, common_embedding_size)(nn.View(-1, img_tr_size)(img_tr)))

        # replicate lstm state 196 times
        ques_common = nn.Linear(rnn_size, common_embedding_size)(u)
        ques_repl = nn.Replicate(S2, 1)(ques_common)

        # add image and question features (both 196x512)
        img_ques_common = nn.Dropout(0.5)(nn.Tanh()(nn.CAddTable()([img_common, ques_repl])))
        h = nn.Linear(common_embedding_size, 1)(nn.View(-1, common_embedding_size)(img_ques_common))
        p = nn.SoftMax()(nn.View(-1, S2)(h))

        # weighted sum of image features
        p_att = nn.View(1, -1).setNumInputDims(1)(p)
        img_tr_att = nn.MM(False, False)([p_att, img_tr])
        img_tr_att_feat = nn.View(-1, img_tr_size)(img_tr_att)

        # add image feature vector and question vector
        u = nn.CAddTable()([img_tr_att_feat, u])

    return nn.Tanh()(nn.Linear(rnn_size, rnn_size)(nn.Dropout(0.5)(u)))


def lf_att_ques_im_hist(params):
    inputs = [nn.Identity()(), nn.Identity()(), nn.Identity()()]   # question, img feats, history
    ques, img_feats, hist = inputs

    wordEmbed, q3, h3 = _question_and_history(params, ques, hist)
    qh = nn.Tanh()(nn.Linear(2 * params['rnnHiddenSize'], params['rnnHiddenSize'])(nn.JoinTable(0, 1)([q3, h3])))

    o = _san_attention(params, qh, img_feats, params['commonEmbeddingSize'], 1)

    enc = nn.gModule(inputs, [o])
    enc.wordEmbed = wordEmbed
    return enc


# ---- encoders/mn-att-ques-im-hist.lua -----------------------------------------------------------------------
def mn_att_ques_im_hist(params):
    inputs = [nn.Identity()(), nn.Identity()(), nn.Identity()(), nn.Identity()()]   # question, img, history, mask
    ques, img_feats, hist, mask = inputs

    wordEmbed, q3, h3 = _question_and_history(params, ques, hist)
    qh2 = _history_attention(params, q3, h3, mask)

    common = params.get('commonEmbeddingSize') or 512       # the Lua's `or`: these options may be nil
    o = _san_attention(params, qh2, img_feats, common, params.get('numAttentionLayers') or 1)

    enc = nn.gModule(inputs, [o])
    enc.wordEmbed = wordEmbed
    return enc


# ---- decoders/gen.lua ----------------------------------------------------------------------------------------
def gen_model(params, enc):
    nn.FastLSTM.usenngraph = True

    dec = nn.Sequential()
    # use the same embedding for both encoder and decoder lstm
    embedNet = enc.wordEmbed.clone('weight', 'bias', 'gradWeight', 'gradBias')
    dec.add(embedNet)

    dec.rnnLayers = []
    # check if decoder has different hidden size
    hiddenSize = params['ansHiddenSize'] if params['ansHiddenSize'] != 0 else params['rnnHiddenSize']
    for layer in range(params['numLayers']):
        inputSize = params['embedSize'] if layer == 0 else hiddenSize
        dec.rnnLayers.append(nn.SeqLSTM(inputSize, hiddenSize))
        dec.rnnLayers[layer].maskZero()
        dec.add(dec.rnnLayers[layer])
    dec.add(nn.Sequencer(nn.MaskZero(nn.Linear(hiddenSize, params['vocabSize']), 1)))
    dec.add(nn.Sequencer(nn.MaskZero(nn.LogSoftMax(), 1)))

    return dec


def gen_forwardConnect(enc, dec, encOut, seqLen):
    # transfer the hidden state from encoder to decoder
    if getattr(enc, 'rnnLayers', None) is not None:
        for ii in range(len(enc.rnnLayers)):
            dec.rnnLayers[ii].userPrevOutput = enc.rnnLayers[ii].output[seqLen - 1]
            dec.rnnLayers[ii].userPrevCell = enc.rnnLayers[ii].cell[seqLen - 1]

        # last layer gets output gradients
        dec.rnnLayers[len(enc.rnnLayers) - 1].userPrevOutput = encOut
    else:
        dec.rnnLayers[len(dec.rnnLayers) - 1].userPrevOutput = encOut


def gen_backwardConnect(enc, dec):
    # transfer gradients from decoder to encoder
    if getattr(enc, 'rnnLayers', None) is not None:
        for ii in range(len(dec.rnnLayers)):
            enc.rnnLayers[ii].userNextGradCell = dec.rnnLayers[ii].userGradPrevCell
            if ii != len(dec.rnnLayers) - 1:
                enc.rnnLayers[ii].gradPrevOutput = dec.rnnLayers[ii].userGradPrevOutput

        # return the gradients for the last layer
        return dec.rnnLayers[len(enc.rnnLayers) - 1].userGradPrevOutput
    else:
        return dec.rnnLayers[len(dec.rnnLayers) - 1].userGradPrevOutput


def gen_decoderConnect(dec):
    # connecting decoder to itself; useful while sampling
    for ii in range(len(dec.rnnLayers)):
        dec.rnnLayers[ii].userPrevCell = dec.rnnLayers[ii].cell[0]
        dec.rnnLayers[ii].userPrevOutput = dec.rnnLayers[ii].output[0]


# ---- decoders/disc.lua ---------------------------------------------------------------------------------------
def disc_model(params, enc):
    optionLSTM = nn.SeqLSTM(params['embedSize'], params['rnnHiddenSize'])
    optionLSTM.batchfirst = True

    optionEnc = []
    numOptions = 100
    for i in range(numOptions):
        optionEnc.append(nn.Sequential())
        optionEnc[i].add(nn.Select(1, i))
        optionEnc[i].add(enc.wordEmbed.clone('weight', 'bias', 'gradWeight', 'gradBias'))
        optionEnc[i].add(optionLSTM.clone('weight', 'bias', 'gradWeight', 'gradBias'))
        optionEnc[i].add(nn.Select(1, -1))
        optionEnc[i].add(nn.Reshape(1, params['rnnHiddenSize'], True))   # True keeps the batch dimension
    optionEncConcat = nn.Concat(1)
    for i in range(numOptions):
        optionEncConcat.add(optionEnc[i])

    jointModel = nn.ParallelTable()
    jointModel.add(optionEncConcat)
    jointModel.add(nn.Reshape(params['rnnHiddenSize'], 1, True))

    dec = nn.Sequential()
    dec.add(jointModel)
    dec.add(nn.MM())
    dec.add(nn.Squeeze())

    return dec


def _no_connect(*args):
    """disc.lua's dummy forwardConnect / backwardConnect."""


ENCODERS = {name: SimpleNamespace(model=model) for name, model in [
    ('lf-ques', lf_ques), ('lf-ques-im', lf_ques_im), ('lf-ques-hist', lf_ques_hist),
    ('lf-ques-im-hist', lf_ques_im_hist), ('hre-ques-hist', hre_ques_hist), ('hre-ques-im-hist', hre_ques_im_hist),
    ('mn-ques-hist', mn_ques_hist), ('mn-ques-im-hist', mn_ques_im_hist),
    ('lf-att-ques-im-hist', lf_att_ques_im_hist), ('hrea-ques-im-hist', hrea_ques_im_hist),
    ('mn-att-ques-im-hist', mn_att_ques_im_hist)]}
DECODERS = {'gen': SimpleNamespace(model=gen_model, forwardConnect=gen_forwardConnect,
                                   backwardConnect=gen_backwardConnect, decoderConnect=gen_decoderConnect),
            'disc': SimpleNamespace(model=disc_model, forwardConnect=_no_connect, backwardConnect=_no_connect,
                                    decoderConnect=None)}


# ---- model.lua -----------------------------------------------------------------------------------------------
class Model:
    def __init__(self, params):
        print('Setting up model..')
        self.params = params

        print('Encoder: ', params['encoder'])
        print('Decoder: ', params['decoder'])

        # build the model - encoder, decoder (the Lua's dofile of encoders/<name>.lua)
        encoder = ENCODERS[params['encoder']]
        decoder = DECODERS[params['decoder']]

        enc = encoder.model(params)
        dec = decoder.model(params, enc)

        decMethods = ['forwardConnect', 'backwardConnect', 'decoderConnect']
        for value in decMethods:
            setattr(self, value, getattr(decoder, value))

        # criterion
        if params['decoder'] == 'gen':
            self.criterion = nn.ClassNLLCriterion()
            self.criterion.sizeAverage = False
            self.criterion = nn.SequencerCriterion(nn.MaskZeroCriterion(self.criterion, 1))
        elif params['decoder'] == 'disc':
            self.criterion = nn.CrossEntropyCriterion()

        # wrap the models
        self.wrapper = nn.Sequential().add(enc).add(dec)

        # initialize weights
        self.wrapper = w_init(self.wrapper, params['weightInit'])

        # ship to gpu if necessary
        if params['gpuid'] >= 0:
            self.wrapper = self.wrapper.cuda()
            self.criterion = self.criterion.cuda()

        self.encoder = self.wrapper.get(0)
        self.decoder = self.wrapper.get(1)
        self.wrapperW, self.wrapperdW = self.wrapper.getParameters()

        self.wrapper.training()

        # setup the optimizer
        self.optims = {}
        self.optims['learningRate'] = params['learningRate']

    def trainIteration(self, dataloader):
        global runningLoss
        # clear the gradients
        self.wrapper.zeroGradParameters()

        # grab a training batch
        batch = dataloader.getTrainBatch(self.params)

        # call the internal function for model specific actions
        curLoss = self.forwardBackward(batch)

        if self.params['decoder'] == 'gen':
            # count the number of tokens (the Lua's gt(0): padding is -1 here)
            numTokens = lg.sum(batch['answer_out'].ge(0))

            # update the running average of loss
            if runningLoss > 0:
                runningLoss = 0.95 * runningLoss + 0.05 * curLoss / numTokens
            else:
                runningLoss = curLoss / numTokens
        elif self.params['decoder'] == 'disc':
            if runningLoss > 0:
                runningLoss = 0.95 * runningLoss + 0.05 * curLoss
            else:
                runningLoss = curLoss

        # clamp gradients
        self.wrapperdW.clamp(-5.0, 5.0)

        # update parameters
        adam(self.wrapperW, self.wrapperdW, self.optims)

        # decay learning rate, if needed
        if self.optims['learningRate'] > self.params['minLRate']:
            self.optims['learningRate'] = self.optims['learningRate'] * self.params['lrDecayRate']

    def evaluate(self, dataloader, dtype):
        # change to evaluate mode
        self.wrapper.evaluate()

        curLoss = 0
        startId = 0
        numThreads = dataloader.numThreads[dtype]

        numTokens = 0
        while startId < numThreads:
            xlua.progress(startId, numThreads)

            # grab a validation batch
            batch, nextStartId = dataloader.getTestBatch(startId, self.params, dtype)
            # count the number of tokens (the Lua's gt(0): padding is -1 here)
            numTokens = numTokens + lg.sum(batch['answer_out'].ge(0))
            # forward pass to compute loss
            curLoss = curLoss + self.forwardBackward(batch, True)
            startId = nextStartId

        # print the results
        curLoss = curLoss / numTokens
        print('\n%s\tLoss: %f\t Perplexity: %f\n' % (dtype, curLoss, math.exp(curLoss)))

        # change back to training
        self.wrapper.training()
        return curLoss   # the Lua prints it only: returned for the caller to read

    def retrieve(self, dataloader, dtype):
        # change to evaluate mode
        self.wrapper.evaluate()

        startId = 0
        self.params['numOptions'] = 100
        numThreads = dataloader.numThreads[dtype]
        print('numThreads', numThreads)

        ranks = lg.Tensor(numThreads, self.params['maxQuesCount'])
        ranks.fill(self.params['numOptions'] + 1)

        while startId < numThreads:
            xlua.progress(startId, numThreads)

            # grab a batch
            batch, nextStartId = dataloader.getTestBatch(startId, self.params, dtype)

            # Call retrieve function for specific model, and store ranks
            ranks[startId:nextStartId, :] = self.retrieveBatch(batch)
            startId = nextStartId

        print('\n%s - Retrieval:' % dtype)
        processRanks(ranks)

        # change back to training
        self.wrapper.training()

        retrieval = []
        ranks = ranks.double().totable()
        for i in range(len(dataloader['unique_img_' + dtype])):
            for j in range(int(dataloader[dtype + '_num_rounds'][i])):
                retrieval.append({'image_id': dataloader['unique_img_' + dtype][i],
                                  'round_id': j + 1,    # a field of the json the Lua writes: its 1-based round
                                  'ranks': ranks[i][j]})
        return retrieval

    def predict(self, dataloader, dtype):
        # change to evaluate mode
        self.wrapper.evaluate()

        startId = 0
        numThreads = dataloader.numThreads[dtype]
        self.params['numOptions'] = 100
        print('numThreads', numThreads)

        ranks = lg.Tensor(numThreads, 10, self.params['numOptions'])
        ranks.fill(self.params['numOptions'] + 1)

        while startId < numThreads:
            xlua.progress(startId, numThreads)

            batch, nextStartId = dataloader.getTestBatch(startId, self.params, dtype)

            # Call retrieve function for specific model, and store ranks
            ranks[startId:nextStartId, :] = self.retrieveBatch(batch).view(
                nextStartId - startId, -1, self.params['numOptions'])
            startId = nextStartId

        # change back to training
        self.wrapper.training()

        prediction = []
        ranks = ranks.double().totable()
        for i in range(len(dataloader['unique_img_' + dtype])):
            # rank list for all rounds in val split and last round in test split
            if dtype == 'test':
                last = int(dataloader[dtype + '_num_rounds'][i])
                prediction.append({'image_id': dataloader['unique_img_' + dtype][i],
                                   'round_id': last,          # the json's 1-based round
                                   'ranks': ranks[i][last - 1]})
            else:
                for j in range(int(dataloader[dtype + '_num_rounds'][i])):
                    prediction.append({'image_id': dataloader['unique_img_' + dtype][i],
                                       'round_id': j + 1,
                                       'ranks': ranks[i][j]})
        return prediction

    def generateAnswers(self, dataloader, dtype, params=None):
        # check decoder
        if self.params['decoder'] == 'disc':
            print('Sampling/beam search only for generative model')
            raise SystemExit()   # the Lua's os.exit()

        # setting the options for beam search / sampling
        params = params or {}

        # sample or take max
        sampleWords = params.get('sampleWords') == 1
        temperature = params.get('temperature', 1.0)
        beamSize = params.get('beamSize', 5)
        beamLen = params.get('beamLen', 20)

        print('Beam size', beamSize)
        print('Beam length', beamLen)

        startToken = dataloader.word2ind['<START>']
        endToken = dataloader.word2ind['<END>']
        numThreads = params.get('maxThreads') or dataloader.numThreads[dtype]
        print('No. of threads', numThreads)

        answerTable = []
        for convId in range(numThreads):
            xlua.progress(convId, numThreads)
            self.wrapper.evaluate()

            inds = lg.LongTensor(1).fill(convId)
            batch = dataloader.getIndexData(inds, self.params, dtype)
            numQues = batch['ques_fwd'].size(0) * batch['ques_fwd'].size(1)

            encOut = self.forwardBackward(batch, True, True)
            threadAnswers = []

            if sampleWords is False:
                # do beam search for each example now
                for it in range(10):
                    encInSeq = batch['ques_fwd'].view(-1, batch['ques_fwd'].size(2)).t()
                    encInSeq = encInSeq[:, it:it + 1].squeeze().float()

                    # beams
                    beams = lg.LongTensor(beamLen, beamSize).zero()

                    # initial hidden states for the beam at current round of dialog
                    hiddenBeams = []
                    rnnLayers = getattr(self.encoder, 'rnnLayers', None)
                    if rnnLayers is not None:
                        for level in range(len(rnnLayers)):
                            hiddenBeams.append({})
                            last = batch['ques_fwd'].size(2) - 1
                            hiddenBeams[level]['output'] = rnnLayers[level].output[last][it]
                            hiddenBeams[level]['cell'] = rnnLayers[level].cell[last][it]
                            if level == len(rnnLayers) - 1:
                                hiddenBeams[level]['output'] = encOut[it]
                            hiddenBeams[level]['output'] = lg.repeatTensor(hiddenBeams[level]['output'], beamSize, 1)
                            hiddenBeams[level]['cell'] = lg.repeatTensor(hiddenBeams[level]['cell'], beamSize, 1)
                    else:
                        for level in range(len(self.decoder.rnnLayers)):
                            hiddenBeams.append({})
                            if level == len(self.decoder.rnnLayers) - 1:
                                hiddenBeams[level]['output'] = lg.repeatTensor(encOut[it], beamSize, 1)
                            else:
                                hiddenBeams[level]['output'] = lg.Tensor(beamSize, encOut.size(1)).zero()
                            hiddenBeams[level]['cell'] = hiddenBeams[level]['output'].clone().zero()

                    # for first step, initialize with start symbols
                    beams[0] = dataloader.word2ind['<START>']
                    scores = lg.DoubleTensor(beamSize).zero()
                    finishBeams = []   # accumulate beams that are done

                    for step in range(1, beamLen):
                        # candidates for the current iteration
                        cands = []

                        # if step == 1 (the Lua's 2), explore only one beam (all are <START>)
                        exploreSize = 1 if step == 1 else beamSize

                        # first copy the hidden states to the decoder
                        for level in range(len(self.decoder.rnnLayers)):
                            self.decoder.rnnLayers[level].userPrevOutput = hiddenBeams[level]['output']
                            self.decoder.rnnLayers[level].userPrevCell = hiddenBeams[level]['cell']

                        # decoder forward pass
                        decOut = self.decoder.forward(beams[step - 1:step])
                        decOut = decOut.squeeze()   # beam_nums x vocab_size

                        # iterate separately for each possible word of beam
                        for wordId in range(exploreSize):
                            curHidden = []
                            for level in range(len(self.decoder.rnnLayers)):
                                layer = self.decoder.rnnLayers[level]
                                curHidden.append({'output': layer.output[0:1, wordId:wordId + 1].clone().squeeze(),
                                                  'cell': layer.cell[0:1, wordId:wordId + 1].clone().squeeze()})

                            # sort and get the top probabilities
                            if beamSize == 1:
                                topProb, topInd = lg.topk(decOut, beamSize, True)
                            else:
                                topProb, topInd = lg.topk(decOut[wordId], beamSize, True)

                            for candId in range(beamSize):
                                candBeam = beams[:, wordId:wordId + 1].clone()
                                # get the updated cost for each explored candidate, pool
                                candBeam[step] = topInd[candId]
                                if topInd[candId] == endToken:
                                    finishBeams.append({'beam': candBeam.double().squeeze(), 'length': step + 1,
                                                        'score': scores[wordId] + topProb[candId]})
                                else:
                                    cands.append({'score': scores[wordId] + topProb[candId], 'beam': candBeam,
                                                  'hidden': curHidden})

                        # sort the candidates and stick to beam size (Lua's table.sort is not stable, Python's
                        # sort is: candidates of equal scores may come in another order)
                        cands.sort(key=lambda c: c['score'], reverse=True)

                        for candId in range(min(len(cands), beamSize)):
                            beams[:, candId:candId + 1] = cands[candId]['beam']

                            # recursive copy
                            for level in range(len(self.decoder.rnnLayers)):
                                hiddenBeams[level]['output'][candId] = cands[candId]['hidden'][level]['output'].clone()
                                hiddenBeams[level]['cell'][candId] = cands[candId]['hidden'][level]['cell'].clone()

                            scores[candId] = cands[candId]['score']

                    finishBeams.sort(key=lambda b: b['score'], reverse=True)

                    quesWords = encInSeq.double().squeeze()
                    ansWords = finishBeams[0]['beam'].squeeze()

                    quesText = idToWords(quesWords, dataloader.ind2word)
                    ansText = idToWords(ansWords, dataloader.ind2word)

                    threadAnswers.append({'question': quesText, 'answer': ansText})
            else:
                answerIn = lg.Tensor(1, numQues).fill(startToken)
                answer = [answerIn.t().double()]
                for timeStep in range(beamLen):
                    # one pass through decoder
                    decOut = self.decoder.forward(answerIn).squeeze()
                    # connect decoder to itself
                    self.decoderConnect(self.decoder)

                    nextToken = lg.multinomial(lg.exp(decOut / temperature), 1)
                    answer.append(nextToken.double())
                    answerIn.copy(nextToken)
                answer = nn.JoinTable(-1).forward(answer)

                for it in range(10):
                    quesWords = batch['ques_fwd'][0:1, it:it + 1, :].squeeze().double()
                    ansWords = answer[it:it + 1, :].squeeze()

                    quesText = idToWords(quesWords, dataloader.ind2word)
                    ansText = idToWords(ansWords, dataloader.ind2word)

                    threadAnswers.append({'question': quesText, 'answer': ansText})
            self.wrapper.training()
            answerTable.append({'image_id': dataloader['unique_img_' + dtype][convId], 'dialog': threadAnswers})
        return answerTable

    def _encoderInputs(self, batch):
        """The input table forwardBackward (model.lua:235-279) and retrieveBatch (:335-375) both build, line for
        line the same in the Lua."""
        inputs = []

        # transpose for timestep first
        batchQues = batch['ques_fwd']
        batchQues = batchQues.view(-1, batchQues.size(2)).t()
        inputs.append(batchQues)

        if self.params.get('useIm') is True:    # nil in the Lua for an encoder without 'im'
            imgFeats = batch['img_feat']
            # if attention, then conv layer features
            if 'att' in self.params['encoder']:
                p = self.params
                imgFeats = imgFeats.view(-1, 1, p['imgSpatialSize'], p['imgSpatialSize'], p['imgFeatureSize'])
                imgFeats = imgFeats.repeatTensor(1, p['maxQuesCount'], 1, 1, 1)
                imgFeats = imgFeats.view(-1, p['imgSpatialSize'], p['imgSpatialSize'], p['imgFeatureSize'])
            else:
                imgFeats = imgFeats.view(-1, 1, self.params['imgFeatureSize'])
                imgFeats = imgFeats.repeatTensor(1, self.params['maxQuesCount'], 1)
                imgFeats = imgFeats.view(-1, self.params['imgFeatureSize'])
            inputs.append(imgFeats)

        if self.params.get('useHistory') is True:
            batchHist = batch['hist']
            batchHist = batchHist.view(-1, batchHist.size(2)).t()
            inputs.append(batchHist)

        if 'mn' in self.params['encoder']:
            mask = lg.ones(10, 10).byte()
            for i in range(10):
                for j in range(10):
                    if j <= i:
                        mask[i][j] = 0
            if self.params['gpuid'] >= 0:
                mask = mask.cuda()
            maskRepeat = lg.repeatTensor(mask, batch['hist'].size(0), 1)
            inputs.append(maskRepeat)
        return inputs, batchQues

    def forwardBackward(self, batch, onlyForward=False, encOutOnly=False):
        inputs, batchQues = self._encoderInputs(batch)

        # encoder forward pass
        encOut = self.encoder.forward(inputs)

        # coupled enc-dec (only for gen)
        self.forwardConnect(self.encoder, self.decoder, encOut, batchQues.size(0))

        if encOutOnly is True:
            return encOut

        # decoder forward pass
        curLoss = 0
        if self.params['decoder'] == 'gen':
            answerIn = batch['answer_in']
            answerIn = answerIn.view(-1, answerIn.size(2)).t()

            answerOut = batch['answer_out']
            answerOut = answerOut.view(-1, answerOut.size(2)).t()

            decOut = self.decoder.forward(answerIn)
            curLoss = self.criterion.forward(decOut, answerOut)

            if onlyForward is False:
                gradCriterionOut = self.criterion.backward(decOut, answerOut)
                self.decoder.backward(answerIn, gradCriterionOut)

                # backward connect decoder and encoder (only for gen)
                gradDecOut = self.backwardConnect(self.encoder, self.decoder)
                self.encoder.backward(inputs, gradDecOut)
        elif self.params['decoder'] == 'disc':
            options = batch['options']
            answerInd = batch['answer_ind']

            decOut = self.decoder.forward([options, encOut])
            curLoss = self.criterion.forward(decOut, answerInd)

            if onlyForward is False:
                gradCriterionOut = self.criterion.backward(decOut, answerInd)
                t = self.decoder.backward([options, encOut], gradCriterionOut)

                self.encoder.backward(inputs, t[1])

        return curLoss

    def retrieveBatch(self, batch):
        inputs, batchQues = self._encoderInputs(batch)

        # forward pass
        encOut = self.encoder.forward(inputs)
        batchSize = batchQues.size(1)

        if self.params['decoder'] == 'gen':
            optionIn = batch['option_in']
            optionIn = optionIn.view(-1, optionIn.size(2), optionIn.size(3))

            optionOut = batch['option_out']
            optionOut = optionOut.view(-1, optionOut.size(2), optionOut.size(3))
            optionIn = optionIn.transpose(0, 1).transpose(1, 2)
            optionOut = optionOut.transpose(0, 1).transpose(1, 2)

            # tensor holds the likelihood for all the options
            optionLhood = lg.Tensor(self.params['numOptions'], batchSize)

            # repeat for each option and get gt rank
            for opId in range(self.params['numOptions']):
                # forward connect encoder and decoder
                self.forwardConnect(self.encoder, self.decoder, encOut, batchQues.size(0))

                curOptIn = optionIn[opId]
                curOptOut = optionOut[opId]
                decOut = self.decoder.forward(curOptIn)

                # compute the probabilities for each answer, based on its tokens
                optionLhood[opId] = computeLhood(curOptOut, decOut)
            # gtPosition can be nil if ground truth does not exist
            gtPosition = batch['answer_ind'] if self.params['useGt'] else None

            return computeRanks(optionLhood.t(), gtPosition)
        elif self.params['decoder'] == 'disc':
            options = batch['options']
            decOut = self.decoder.forward([options, encOut])
            gtPosition = batch['answer_ind'] if self.params['useGt'] else None

            return computeRanks(decOut, gtPosition)


# ---- dataloader.lua (all) -----------------------------------------------------------------------------------
class DataLoader(dict):
    """dataloader.lua's table: its fields are read both as ``self.useIm`` and as ``self[dtype .. '_ques_len']``,
    so the port is a dict whose keys are attributes too."""

    __getattr__ = dict.__getitem__
    __setattr__ = dict.__setitem__

    def initialize(self, opt, subsets):
        # read additional info like dictionary, etc
        print('DataLoader loading json file: ', opt['inputJson'])
        info = readJSON(opt['inputJson'])
        for key, value in info.items():
            self[key] = value

        # add <START> and <END> to vocabulary (ids from 0: the Lua's count + 1, count + 2 are count, count + 1)
        count = len(self['word2ind'])
        self['word2ind']['<START>'] = count
        self['word2ind']['<END>'] = count + 1
        count = count + 2
        self.vocabSize = count
        print('Vocabulary size (with <START>,<END>): %d\n' % count)

        # construct ind2word
        ind2word = {}
        for word, ind in self['word2ind'].items():
            ind2word[ind] = word
        self['ind2word'] = ind2word

        # read questions, answers and options
        print('DataLoader loading h5 file: ', opt['inputQues'])
        quesFile = hdf5.open(opt['inputQues'], 'r')

        print('DataLoader loading h5 file: ', opt['inputImg'])
        imgFile = hdf5.open(opt['inputImg'], 'r')
        self.numThreads = {}

        for dtype in subsets:
            # convert image ids to numbers
            for k, v in enumerate(self['unique_img_' + dtype]):
                self['unique_img_' + dtype][k] = int(re.search(r'000\d+', v).group())

            # read question related information
            self[dtype + '_ques'] = quesFile.read('ques_' + dtype).all()
            self[dtype + '_ques_len'] = quesFile.read('ques_length_' + dtype).all()

            # read answer related information
            self[dtype + '_ans'] = quesFile.read('ans_' + dtype).all()
            self[dtype + '_ans_len'] = quesFile.read('ans_length_' + dtype).all()
            if dtype != 'test':
                self[dtype + '_ans_ind'] = quesFile.read('ans_index_' + dtype).all().long()

            # read image list, if image features are needed
            if opt.get('useIm'):
                print('Reading image features..')
                imgFeats = imgFile.read('/images_' + dtype).all()

                # Normalize the image features (if needed)
                if opt['imgNorm'] == 1:
                    print('Normalizing image features..')
                    nm = lg.sqrt(lg.sum(lg.cmul(imgFeats, imgFeats), 1))
                    imgFeats = lg.cdiv(imgFeats, nm.expandAs(imgFeats)).float()
                # Transpose from N x 512 x 14 x 14 to N x 14 x 14 x 512
                if 'att' in opt['encoder']:
                    imgFeats = imgFeats.permute(0, 2, 3, 1)
                self[dtype + '_img_fv'] = imgFeats
                # the file's positions are 0-based: the Lua's "+ 1" is left out
                self[dtype + '_img_pos'] = quesFile.read('img_pos_' + dtype).all().long()

            # print information for data type
            print(('%s:\n\tNo. of threads: %d\n\tNo. of rounds: %d' + '\n\tMax ques len: %d' +
                   '\n\tMax ans len: %d\n') % (dtype, self[dtype + '_ques'].size(0), self[dtype + '_ques'].size(1),
                                              self[dtype + '_ques'].size(2), self[dtype + '_ans'].size(2)))

            # record some stats
            if dtype == 'train':
                self.numTrainThreads = self['train_ques'].size(0)
                self.numThreads['train'] = self.numTrainThreads
            if dtype == 'test':
                self.numTestThreads = self['test_ques'].size(0)
                self.numThreads['test'] = self.numTestThreads
            if dtype == 'val':
                self.numValThreads = self['val_ques'].size(0)
                self.numThreads['val'] = self.numValThreads

            # record the options
            if dtype == 'train' or dtype == 'val' or dtype == 'test':
                self[dtype + '_opt'] = quesFile.read('opt_' + dtype).all().long()
                self[dtype + '_opt_len'] = quesFile.read('opt_length_' + dtype).all()
                self[dtype + '_opt_list'] = quesFile.read('opt_list_' + dtype).all()
                self.numOptions = self[dtype + '_opt'].size(2)

            self[dtype + '_num_rounds'] = quesFile.read('num_rounds_' + dtype).all()

            # assume similar stats across multiple data subsets
            self.maxQuesCount = self[dtype + '_ques'].size(1)
            self.maxQuesLen = self[dtype + '_ques'].size(2)
            self.maxAnsLen = self[dtype + '_ans'].size(2)

            # if history is needed
            if opt.get('useHistory'):
                self[dtype + '_cap'] = quesFile.read('cap_' + dtype).all().long()
                self[dtype + '_cap_len'] = quesFile.read('cap_length_' + dtype).all()
        # done reading, close files
        quesFile.close()
        imgFile.close()

        # take desired flags/values from opt
        self.useHistory = opt.get('useHistory')       # nil in the Lua when the encoder's name leaves it unset
        self.concatHistory = opt.get('concatHistory')
        self.useIm = opt.get('useIm')
        self.maxHistoryLen = opt.get('maxHistoryLen', 60)

        # prepareDataset for training
        for dtype in subsets:
            self.prepareDataset(dtype)

    def prepareDataset(self, dtype):
        # right align the questions
        print('Right aligning questions: ' + dtype)
        self[dtype + '_ques_fwd'] = rightAlign(self[dtype + '_ques'], self[dtype + '_ques_len'])

        # if separate captions are needed
        if self.useHistory:
            self.processHistory(dtype)
        # prefix options with <START> and <END>
        self.processOptions(dtype)
        # process answers
        self.processAnswers(dtype)

    def processAnswers(self, dtype):
        # prefix answers with <START>, <END>; adjust answer lengths
        answers = self[dtype + '_ans']
        ansLen = self[dtype + '_ans_len']

        numConvs = answers.size(0)
        numRounds = answers.size(1)
        maxAnsLen = answers.size(2)

        # the Lua's zero() is its padding: fill(-1) here
        decodeIn = lg.LongTensor(numConvs, numRounds, maxAnsLen + 1).fill(-1)
        decodeOut = lg.LongTensor(numConvs, numRounds, maxAnsLen + 1).fill(-1)

        # decodeIn begins with <START>
        decodeIn[:, :, 0] = self.word2ind['<START>']

        # go over each answer and modify
        endTokenId = self.word2ind['<END>']
        for thId in range(numConvs):
            for roundId in range(numRounds):
                length = int(ansLen[thId][roundId])

                # only if nonzero
                if length > 0:
                    decodeIn[thId][roundId][1:length + 1] = answers[thId][roundId][0:length]
                    decodeOut[thId][roundId][0:length] = answers[thId][roundId][0:length]
                else:
                    if dtype != 'test':
                        print('Warning: empty answer at (%d %d %d)' % (thId + 1, roundId + 1, length))
                decodeOut[thId][roundId][length] = endTokenId

        self[dtype + '_ans_len'] = self[dtype + '_ans_len'] + 1
        self[dtype + '_ans_in'] = decodeIn
        self[dtype + '_ans_out'] = decodeOut

    def processHistory(self, dtype):
        captions = self[dtype + '_cap']
        questions = self[dtype + '_ques']
        quesLen = self[dtype + '_ques_len']
        capLen = self[dtype + '_cap_len']
        maxQuesLen = questions.size(2)

        answers = self[dtype + '_ans']
        ansLen = self[dtype + '_ans_len']
        numConvs = answers.size(0)
        numRounds = answers.size(1)
        maxAnsLen = answers.size(2)

        if self.concatHistory is True:
            self.maxHistoryLen = min(numRounds * (maxQuesLen + maxAnsLen), 300)
            history = lg.LongTensor(numConvs, numRounds, self.maxHistoryLen).fill(-1)
            histLen = lg.LongTensor(numConvs, numRounds).zero()
        else:
            history = lg.LongTensor(numConvs, numRounds, maxQuesLen + maxAnsLen).fill(-1)
            histLen = lg.LongTensor(numConvs, numRounds).zero()

        # go over each question and append it with answer
        for thId in range(numConvs):
            lenC = int(capLen[thId])
            lenH = None   # length of history
            for roundId in range(numRounds):
                if roundId == 0:
                    # first round has caption as history
                    history[thId][roundId][0:maxQuesLen + maxAnsLen] = captions[thId][0:maxQuesLen + maxAnsLen]
                    lenH = min(lenC, maxQuesLen + maxAnsLen)
                else:
                    lenQ = int(quesLen[thId][roundId - 1])
                    lenA = int(ansLen[thId][roundId - 1])
                    # if concatHistory, string together all previous QAs
                    if self.concatHistory is True:
                        history[thId][roundId][0:lenH] = history[thId][roundId - 1][0:lenH]
                        history[thId][roundId][lenH:lenH + 1] = self.word2ind['<END>']
                        if lenQ > 0:
                            history[thId][roundId][lenH + 1:lenH + 1 + lenQ] = questions[thId][roundId - 1][0:lenQ]
                        if lenA > 0:
                            history[thId][roundId][lenH + 1 + lenQ:lenH + 1 + lenQ + lenA] = \
                                answers[thId][roundId - 1][0:lenA]
                        lenH = lenH + lenQ + lenA + 1
                    # else, history is just previous round QA
                    else:
                        if lenQ > 0:
                            history[thId][roundId][0:lenQ] = questions[thId][roundId - 1][0:lenQ]
                        if lenA > 0:
                            history[thId][roundId][lenQ:lenQ + lenA] = answers[thId][roundId - 1][0:lenA]
                        lenH = lenA + lenQ
                # save the history length
                histLen[thId][roundId] = lenH

        # right align history and then save
        print('Right aligning history: ' + dtype)
        self[dtype + '_hist'] = rightAlign(history, histLen)
        self[dtype + '_hist_len'] = histLen

    def processOptions(self, dtype):
        lengths = self[dtype + '_opt_len']
        answers = self[dtype + '_ans']
        maxAnsLen = answers.size(2)
        answers = self[dtype + '_opt_list']
        numConvs = answers.size(0)

        ansListLen = answers.size(0)
        decodeIn = lg.LongTensor(ansListLen, maxAnsLen + 1).fill(-1)
        decodeOut = lg.LongTensor(ansListLen, maxAnsLen + 1).fill(-1)

        # decodeIn begins with <START>
        decodeIn[:, 0] = self.word2ind['<START>']

        # go over each answer and modify
        endTokenId = self.word2ind['<END>']
        for id in range(ansListLen):
            # print progress for number of images
            if (id + 1) % 100 == 0:
                xlua.progress(id, numConvs)
            length = int(lengths[id])

            # only if nonzero
            if length > 0:
                decodeIn[id][1:length + 1] = answers[id][0:length]

                decodeOut[id][0:length] = answers[id][0:length]
                decodeOut[id][length] = endTokenId
            else:
                print('Warning: empty answer for %s at %d' % (dtype, id + 1))

        self[dtype + '_opt_len'] = self[dtype + '_opt_len'] + 1
        self[dtype + '_opt_in'] = decodeIn
        self[dtype + '_opt_out'] = decodeOut

    def getTrainBatch(self, params, batchSize=None):
        size = batchSize or params['batchSize']
        inds = lg.LongTensor(size).random(0, params['numTrainThreads'])   # the Lua's random(1, n), inclusive

        # Index question, answers, image features for batch
        batchOutput = self.getIndexData(inds, params, 'train')
        if params['decoder'] == 'disc':
            optionOutput = self.getIndexOption(inds, params, 'train')
            batchOutput['options'] = optionOutput.view(optionOutput.size(0) * optionOutput.size(1),
                                                       optionOutput.size(2), -1)
            batchOutput['answer_ind'] = batchOutput['answer_ind'].view(
                batchOutput['answer_ind'].size(0) * batchOutput['answer_ind'].size(1))

        return batchOutput

    def getTestBatch(self, startId, params, dtype):
        batchSize = params['batchSize']
        # get the next start id and fill up current indices till then
        if dtype == 'val':
            nextStartId = min(self.numValThreads, startId + batchSize)
        if dtype == 'test':
            nextStartId = min(self.numTestThreads, startId + batchSize)

        inds = lg.LongTensor(nextStartId - startId)
        for ii in range(startId, nextStartId):
            inds[ii - startId] = ii

        batchOutput = self.getIndexData(inds, params, dtype)
        optionOutput = self.getIndexOption(inds, params, dtype)

        if params['decoder'] == 'disc':
            batchOutput['options'] = optionOutput.view(optionOutput.size(0) * optionOutput.size(1),
                                                       optionOutput.size(2), -1)
            if dtype != 'test':
                batchOutput['answer_ind'] = batchOutput['answer_ind'].view(
                    batchOutput['answer_ind'].size(0) * batchOutput['answer_ind'].size(1))
        elif params['decoder'] == 'gen':
            # merge both the tables and return
            for key, value in optionOutput.items():
                batchOutput[key] = value
        batchOutput['num_rounds'] = self[dtype + '_num_rounds'].index(0, inds).long()

        return batchOutput, nextStartId

    def getIndexData(self, inds, params, dtype):
        # get the question lengths
        batchQuesLen = self[dtype + '_ques_len'].index(0, inds)
        maxQuesLen = int(lg.max(batchQuesLen))
        # get questions (right-aligned: the last maxQuesLen columns)
        quesFwd = self[dtype + '_ques_fwd'].index(0, inds)[:, :, -maxQuesLen:]

        history = None
        if self.useHistory:
            batchHistLen = self[dtype + '_hist_len'].index(0, inds)
            maxHistLen = min(int(lg.max(batchHistLen)), self.maxHistoryLen)
            history = self[dtype + '_hist'].index(0, inds)[:, :, -maxHistLen:]

        imgFeats = None
        if self.useIm:
            imgInds = self[dtype + '_img_pos'].index(0, inds)
            imgFeats = self[dtype + '_img_fv'].index(0, imgInds)

        # get the answer lengths
        batchAnsLen = self[dtype + '_ans_len'].index(0, inds)
        maxAnsLen = int(lg.max(batchAnsLen))
        # answer labels (decode input and output)
        answerIn = self[dtype + '_ans_in'].index(0, inds)[:, :, 0:maxAnsLen]
        answerOut = self[dtype + '_ans_out'].index(0, inds)[:, :, 0:maxAnsLen]

        output = {}
        if params['gpuid'] >= 0:
            output['ques_fwd'] = quesFwd.cuda()
            output['answer_in'] = answerIn.cuda()
            output['answer_out'] = answerOut.cuda()
            if history is not None:
                output['hist'] = history.cuda()
            if imgFeats is not None:
                output['img_feat'] = imgFeats.cuda()
        else:
            output['ques_fwd'] = quesFwd.contiguous()
            output['answer_in'] = answerIn.contiguous()
            output['answer_out'] = answerOut.contiguous()
            if history is not None:
                output['hist'] = history.contiguous()
            if imgFeats is not None:
                output['img_feat'] = imgFeats.contiguous()

        if dtype != 'test':
            answerInd = self[dtype + '_ans_ind'].index(0, inds)
            output['answer_ind'] = answerInd.cuda() if params['gpuid'] >= 0 else answerInd.contiguous()

        return output

    def getIndexOption(self, inds, params, dtype):
        output = {}
        if params['decoder'] == 'gen':
            optInds = self[dtype + '_opt'].index(0, inds)
            indVector = optInds.view(-1)

            batchOptLen = self[dtype + '_opt_len'].index(0, indVector)
            maxOptLen = int(lg.max(batchOptLen))

            optionIn = self[dtype + '_opt_in'].index(0, indVector)
            optionIn = optionIn.view(optInds.size(0), optInds.size(1), optInds.size(2), -1)
            optionIn = optionIn[:, :, :, 0:maxOptLen]

            optionOut = self[dtype + '_opt_out'].index(0, indVector)
            optionOut = optionOut.view(optInds.size(0), optInds.size(1), optInds.size(2), -1)
            optionOut = optionOut[:, :, :, 0:maxOptLen]

            if params['gpuid'] >= 0:
                output['option_in'] = optionIn.cuda()
                output['option_out'] = optionOut.cuda()
            else:
                output['option_in'] = optionIn.contiguous()
                output['option_out'] = optionOut.contiguous()
        elif params['decoder'] == 'disc':
            optInds = self[dtype + '_opt'].index(0, inds)
            indVector = optInds.view(-1)

            optionIn = self[dtype + '_opt_list'].index(0, indVector)

            optionIn = optionIn.view(optInds.size(0), optInds.size(1), optInds.size(2), -1)
            output = optionIn

            if params['gpuid'] >= 0:
                output = output.cuda()

        return output


# ---- train.lua (lines 53-121: the model's parameters, the loop, the final checkpoint) ---------------------
def train(opt, dataloader):
    global runningLoss
    modelParams = opt
    # transfer parameters from dataloader to model
    paramNames = ['numTrainThreads', 'numTestThreads', 'numValThreads', 'vocabSize', 'maxQuesCount', 'maxQuesLen',
                  'maxAnsLen']
    for value in paramNames:
        modelParams[value] = dataloader.get(value)   # a field the loader never set is nil in the Lua

    # Iterations per epoch
    modelParams['numIterPerEpoch'] = math.ceil(modelParams['numTrainThreads'] / modelParams['batchSize'])
    print('\n%d iter per epoch.' % modelParams['numIterPerEpoch'])

    # path to save the model
    modelPath = opt['savePath']
    paths.mkdir(modelPath)

    model = Model(modelParams)

    print('Training..')
    runningLoss = 0
    losses = []
    for it in range(modelParams['numEpochs'] * modelParams['numIterPerEpoch']):
        # forward and backward propagation
        model.trainIteration(dataloader)
        losses.append(runningLoss)

        # save the model every saveIter epochs (the Lua's 1-based iter is it + 1 in these counts)
        if (it + 1) % (modelParams['saveIter'] * modelParams['numIterPerEpoch']) == 0:
            currentEpoch = (it + 1) / modelParams['numIterPerEpoch']
            lg.save(modelPath + 'model_epoch_%d.t7' % currentEpoch,
                    {'modelW': model.wrapperW, 'optims': model.optims, 'modelParams': modelParams})

        # print after every few iterations
        if (it + 1) % 100 == 0:
            currentEpoch = (it + 1) / modelParams['numIterPerEpoch']
            print('[%s][Epoch:%.02f][Iter:%d][Loss:%.05f][lr:%f]' % (
                time.ctime(), currentEpoch, it + 1, runningLoss, model.optims['learningRate']))

    # Saving the final model
    lg.save(modelParams['savePath'] + 'model_final.t7', {'modelW': model.wrapperW.float(),
                                                         'modelParams': modelParams})
    return model, losses


# ---- evaluate.lua:57-91 and generate.lua:53-87: the lines both scripts write alike ------------------------------
def reloadModel(opt, split, moreParams, concatHistory):
    """The saved model's parameters and options, the flags its encoder's name sets, a loader of ``split`` and
    the Model with the saved weights. ``moreParams`` are the options evaluate.lua passes on to the model
    (batchSize, useGt); ``concatHistory``: whether the script sets that flag for lf encoders."""
    # Read saved model and parameters
    savedModel = lg.load(opt['loadPath'])

    # transfer all options to model
    modelParams = savedModel['modelParams']
    opt['imgNorm'] = modelParams['imgNorm']
    opt['encoder'] = modelParams['encoder']
    opt['decoder'] = modelParams['decoder']
    modelParams['gpuid'] = opt['gpuid']
    modelParams.update(moreParams)

    # add flags for various configurations
    if 'hist' in opt['encoder']:
        opt['useHistory'] = True
    if 'im' in opt['encoder']:
        opt['useIm'] = True
    # check if history is to be concatenated (only for late fusion encoder)
    if concatHistory and 'lf' in opt['encoder']:
        opt['concatHistory'] = True

    # Loading dataset
    dataloader = DataLoader()
    dataloader.initialize(opt, [split])

    # Setup the model
    model = Model(modelParams)

    # copy the weights from loaded model
    model.wrapperW.copy(savedModel['modelW'])
    return model, dataloader


# ---- evaluate.lua (lines 40-107: the options as its CmdLine gives them) --------------------------------------
def evaluate(opt):
    if opt['useGt'] and opt['split'] == 'test':
        print('Warning: No ground truth avaiilable in test split, changing useGt to false.')
        opt['useGt'] = False

    # seed for reproducibility
    lg.manualSeed(1234)

    model, dataloader = reloadModel(opt, opt['split'], {'batchSize': opt['batchSize'], 'useGt': opt['useGt']},
                                    concatHistory=True)

    print('Evaluating..')
    if opt['useGt']:
        ranks = model.retrieve(dataloader, opt['split'])
    else:
        ranks = model.predict(dataloader, opt['split'])

    if opt['saveRanks'] is True:
        print('Writing ranks to %s' % opt['saveRankPath'])
        writeJSON(opt['saveRankPath'], ranks)
    return ranks


# ---- generate.lua (lines 40-104: the options as its CmdLine gives them) --------------------------------------
def generate(opt):
    if opt['gpuid'] >= 0:
        cutorch.setDevice(opt['gpuid'])        # the Lua's gpuid + 1: devices are 0-based
        cutorch.manualSeed(1234)
        # torch.setdefaulttensortype('torch.CudaTensor'): legonn's default is a CPU type (docs/porting.md); the
        # model and batches are shipped by cuda() as in the Lua

    # (concatHistory is not set here, unlike evaluate.lua and opts.lua: an lf model generates over the last
    # round's history only, as in the Lua)
    model, dataloader = reloadModel(opt, 'val', {}, concatHistory=False)

    # Generating
    sampleParams = {'beamSize': opt.get('beamSize'), 'beamLen': opt.get('beamLen'),
                    'maxThreads': opt.get('maxThreads'), 'sampleWords': opt.get('sampleWords'),
                    'temperature': opt.get('temperature')}
    # a nil field is absent from a Lua table, so generateAnswers' `params.x or default` takes its default
    sampleParams = {k: v for k, v in sampleParams.items() if v is not None}

    answers = model.generateAnswers(dataloader, 'val', sampleParams)
    output = {'opts': opt, 'data': answers}

    # save the file to json
    savePath = '%s/results.json' % opt['resultPath']
    paths.mkdir(opt['resultPath'])
    writeJSON(savePath, output)
    print('Writing the results to ' + savePath)
    return output


# ---- convert_gpu_to_cpu.lua (lines 11-45) --------------------------------------------------------------------
def convert_gpu_to_cpu(opt):
    # check for new save path
    if opt['savePath'] == 'checkpoints/model_cpu.t7':
        opt['savePath'] = opt['loadPath'] + '.cpu.t7'

    if opt['gpuid'] >= 0:
        cutorch.setDevice(opt['gpuid'])
    else:
        print('Gotta have a GPU to convert to CPU :(')
        raise SystemExit()   # the Lua's os.exit()

    print('Loading model')
    model = lg.load(opt['loadPath'])

    # convert modelW and optims to cpu
    print('Shipping params to CPU')
    if model['modelW'].type() == 'torch.CudaTensor':
        model['modelW'] = model['modelW'].float()

    for k, v in model['optims'].items():
        if lg.type(v) != 'number' and v.type() == 'torch.CudaTensor':
            model['optims'][k] = v.float()

    print('Saving to ' + opt['savePath'])
    lg.save(opt['savePath'], model)
    return model
