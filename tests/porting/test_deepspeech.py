"""SeanNaren/deepspeech.torch ported line by line: DeepSpeechModel.lua (lines 1-68: the two convolutions with
SpatialBatchNormalization and Clamp(0, 20), the View/Transpose to ``seqLength x batch x features``, the stack of
bidirectional RNNs with sequence-wise BatchNormalization in a Bottle, the BatchNormalization + Linear head, and
calculateInputSizes), its three RNN modules (rnn's SeqBRNN on the CPU; BatchBRNN.lua and BatchBRNNReLU.lua, a
cudnn.RNN with CUDNN_SKIP_INPUT read in both directions after a Linear + BatchNormalization over every frame; and
the LSTM option's cudnn.BLSTM with a View + Sum of the two directions), UtilsMultiGPU.lua (makeDataParallel's
cudnn.convert with BatchNormalization excluded, saveDataParallel, loadDataParallel; not the nGPU > 1
DataParallelTable branches, which tests/porting/test_data_parallel_idioms.py's idioms cover), Mapper.lua, SequenceError.lua,
Loader.lua (the indexer and nextBatch; the LMDB that MakeLMDB.lua writes is a dict of generated spectrograms and
transcripts here), ModelEvaluator.lua (runEvaluation: greedy CTC decoding, WER and CER, the logs) and Network.lua's
trainNetwork (nnx's CTCCriterion with batchFirst, gradient-norm clipping at maxNorm, optim.sgd with Nesterov
momentum, learning-rate annealing, a loader thread, optim.Logger) and saveNetwork/loadNetwork; MakeLMDB.lua's
getData and Predict.lua (features from legonn.audio's spectrogram of a generated wave in place of the file
audio.load reads; tests/test_audio_wav.py tests legonn's audio.load of WAV files); tests/test.lua's three tests.
The CTC loss and gradient are checked against a hand-written NumPy forward-backward (Graves et al. 2006, in
probability space with per-frame rescaling, not the log-space recursions legonn runs). The spectrograms are
161 frequencies (16 kHz audio, 20 ms windows), which the model's ``rnnInputsize = 32 * 41`` needs; a few dozen
frames and hidden size 8 keep it fast.

Edits beyond syntax and 0-based indices: a Lua ``s:find(p)`` tested as a condition is ``p in s`` (Python's
``str.find`` answers -1, which is true, where Lua's answers nil: docs/porting.md); a float read from a tensor that
indexes a Python list is ``int()``-ed (docs/porting.md's ``for`` row); ``#indices`` of a tensor (its size) is
``indices.size()``."""
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import audio, cudnn, nn, optim, tds, threads

# --- the LMDB stand-in: MakeLMDB.lua stores, under keys 1 .. n, a normalised freq x frames spectrogram and its
# transcript; here keys 0 .. n-1 of a dict, and each character is a band of energy for a few frames -------------
ALPHABET = ['$'] + [chr(c) for c in range(ord('a'), ord('z') + 1)] + [' ', "'"]   # the repository's dictionary
FREQ = 161


def write_dictionary(path):
    with open(path, 'w') as f:
        f.write('\n'.join(ALPHABET))    # the file has no newline after its last line
    return str(path)


def make_lmdb(transcripts, frames_per_char=16, seed=0):
    """{'spect': {key: FloatTensor freq x frames}, 'trans': {key: transcript}} as MakeLMDB.lua would leave them
    (each spectrogram normalised by its own mean and std). Two characters already make 42 frames, 3 after the
    convolutions: DeepSpeech's decodeOutput cannot read a 1-frame prediction (its ``squeeze()`` gives a number, in
    Lua as here)."""
    rng = np.random.RandomState(seed)
    spect, trans = {}, {}
    for key, text in enumerate(transcripts):
        frames = frames_per_char * len(text) + 10
        s = rng.randn(FREQ, frames) * 0.1
        for i, ch in enumerate(text):
            band = 5 * ALPHABET.index(ch)
            s[band:band + 5, 5 + i * frames_per_char:5 + (i + 1) * frames_per_char] += 3
        s = lg.FloatTensor(s.astype(np.float32))
        mean, std = s.mean(), s.std()
        s.add(-mean)
        s.div(std)
        spect[key], trans[key] = s, text
    return {'spect': spect, 'trans': trans}


# --- MakeLMDB.lua's getData (lines 102-121) and Predict.lua (lines 22-46): audio.load (libsox) is a generated wave --
def getData(wave, opt):
    spect = audio.spectrogram(wave, opt['windowSize'] * opt['sampleRate'], 'hamming',
                              opt['stride'] * opt['sampleRate'])   # freq-by-frames tensor
    spect = spect.float()
    # normalize the data
    mean = spect.mean()
    std = spect.std()
    spect.add(-mean)
    spect.div(std)
    return spect


def predict(model, mapper, wave, opt):
    spect = getData(wave, opt)
    spect = spect.view(1, 1, spect.size(0), spect.size(1))
    model.evaluate()
    predictions = model.forward(spect)
    tokens = mapper.decodeOutput(predictions[0])
    return mapper.tokensToText(tokens), predictions


# --- Mapper.lua ------------------------------------------------------------------------------------------------
class Mapper:
    typename = 'Mapper'

    def __init__(self, dictPath):
        assert os.path.isfile(dictPath), dictPath + ' not found'
        self.alphabet2token = {}
        self.token2alphabet = {}
        cnt = 0
        for line in open(dictPath):
            line = line.rstrip('\n')
            self.alphabet2token[line] = cnt
            self.token2alphabet[cnt] = line
            cnt = cnt + 1

    def encodeString(self, line):
        line = line.lower()
        label = []
        for i in range(len(line)):
            character = line[i]
            label.append(self.alphabet2token[character])
        return label

    def decodeOutput(self, predictions):
        tokens = []
        blankToken = self.alphabet2token['$']
        preToken = blankToken
        _, maxIndices = lg.max(predictions, 1)
        maxIndices = maxIndices.float().squeeze()
        for i in range(maxIndices.size(0)):
            token = maxIndices[i]     # legonn's indices start from 0, as the tokens do: no "- 1"
            if token != blankToken and token != preToken:
                tokens.append(token)
            preToken = token
        return tokens

    def tokensToText(self, tokens):
        text = ""
        for i, t in enumerate(tokens):
            text = text + self.token2alphabet[tokens[i]]
        return text


# --- SequenceError.lua -------------------------------------------------------------------------------------------
class SequenceError:
    typename = 'SequenceError'

    def sequenceErrorRate(self, target, prediction):
        d = lg.Tensor(len(target) + 1, len(prediction) + 1).zero()
        for i in range(len(target) + 1):
            for j in range(len(prediction) + 1):
                if i == 0:
                    d[0][j] = j
                elif j == 0:
                    d[i][0] = i
        for i in range(1, len(target) + 1):
            for j in range(1, len(prediction) + 1):
                if target[i - 1] == prediction[j - 1]:
                    d[i][j] = d[i - 1][j - 1]
                else:
                    substitution = d[i - 1][j - 1] + 1
                    insertion = d[i][j - 1] + 1
                    deletion = d[i - 1][j] + 1
                    d[i][j] = lg.min(lg.Tensor([substitution, insertion, deletion]))
        errorRate = d[len(target)][len(prediction)] / len(target)
        return errorRate

    def calculateCER(self, targetTranscript, predictTranscript):
        return self.sequenceErrorRate(targetTranscript, predictTranscript)

    def calculateWER(self, targetTranscript, predictTranscript):
        targetWords = targetTranscript.split()             # gmatch("%S+")
        predictedWords = predictTranscript.split()
        return self.sequenceErrorRate(targetWords, predictedWords)


# --- BatchBRNN.lua, BatchBRNNReLU.lua ------------------------------------------------------------------------------
class BatchBRNN(nn.Sequential):
    """Sequence-wise batch normalisation before a bidirectional cudnn RNN: ``seqLength x batch x inputDim`` in,
    ``seqLength x batch x outputDim`` out (the two directions summed)."""
    lua_package = 'cudnn'

    def __init__(self, inputDim, outputDim):
        super().__init__()
        self.view_in = nn.View(1, 1, -1).setNumInputDims(3)
        self.view_out = nn.View(1, -1).setNumInputDims(2)
        self.rnn = cudnn.RNN(outputDim, outputDim, 1)
        rnn = self.rnn
        rnn.inputMode = 'CUDNN_SKIP_INPUT'
        rnn.bidirectional = 'CUDNN_BIDIRECTIONAL'
        rnn.numDirections = 2
        rnn.reset()
        self.add(self.view_in)
        self.add(nn.Linear(inputDim, outputDim, False))
        self.add(nn.BatchNormalization(outputDim))
        self.add(self.view_out)
        self.add(rnn)
        self.add(nn.View(-1, 2, outputDim).setNumInputDims(2))
        self.add(nn.Sum(2))

    def updateOutput(self, input):
        T, N = input.size(0), input.size(1)
        self.view_in.resetSize(T * N, -1)
        self.view_out.resetSize(T, N, -1)
        return nn.Sequential.updateOutput(self, input)

    def __tostring__(self):
        tab = '  '
        line = '\n'
        next = ' -> '
        str_ = 'BatchBRNN'
        str_ = str_ + ' {' + line + tab + '[input'
        for i in range(len(self.modules)):
            str_ = str_ + next + '(' + str(i) + ')'
        str_ = str_ + next + 'output]'
        for i in range(len(self.modules)):
            str_ = str_ + line + tab + '(' + str(i) + '): ' + repr(self.modules[i]).replace(line, line + tab)
        str_ = str_ + line + '}'
        return str_


class BatchBRNNReLU(BatchBRNN):
    """BatchBRNN with cuDNN's ReLU RNN and a Clamp(0, 20) after it."""
    lua_package = 'cudnn'

    def __init__(self, inputDim, outputDim):
        super().__init__(inputDim, outputDim)
        rnn = self.rnn
        rnn.mode = 'CUDNN_RNN_RELU'
        rnn.reset()
        self.insert(nn.Clamp(0, 20), 5)


lg.register(BatchBRNN, 'cudnn.BatchBRNN')
lg.register(BatchBRNNReLU, 'cudnn.BatchBRNNReLU')


# --- UtilsMultiGPU.lua ---------------------------------------------------------------------------------------------
def makeDataParallel(model, nGPU):
    if nGPU > 0:
        cudnn.fastest = True

        def BatchNorm(module):
            return 'BatchNormalization' in lg.typename(module)   # torch.type(module):find('BatchNormalization')
        model = cudnn.convert(model, cudnn, BatchNorm)
        model.cuda()
    return model


def saveDataParallel(modelPath, model):
    if lg.typename(model) == 'nn.Sequential':
        temp_model = nn.Sequential()
        for i, module in enumerate(model.modules):
            temp_model.add(module)
        lg.save(modelPath, temp_model)
    else:
        raise ValueError('This saving function only works with Sequential or DataParallelTable modules.')


def loadDataParallel(modelPath, nGPU):
    model = lg.load(modelPath)
    if lg.typename(model) == 'nn.Sequential':
        return model
    raise ValueError('The loaded model is not a Sequential or DataParallelTable module.')


# --- DeepSpeechModel.lua -------------------------------------------------------------------------------------------
def RNNModule(inputDim, hiddenDim, opt):
    if opt['nGPU'] > 0:
        if opt['LSTM']:
            blstm = nn.Sequential()
            blstm.add(cudnn.BLSTM(inputDim, hiddenDim, 1))
            blstm.add(nn.View(-1, 2, hiddenDim).setNumInputDims(2))   # have to sum activations
            blstm.add(nn.Sum(2))
            return blstm
        else:
            return BatchBRNNReLU(inputDim, hiddenDim)
    else:
        return nn.SeqBRNN(inputDim, hiddenDim)


def deepSpeech(opt):
    conv = nn.Sequential()
    # (nInputPlane, nOutputPlane, kW, kH, [dW], [dH], [padW], [padH]) conv layers.
    conv.add(nn.SpatialConvolution(1, 32, 11, 41, 2, 2))
    conv.add(nn.SpatialBatchNormalization(32))
    conv.add(nn.Clamp(0, 20))
    conv.add(nn.SpatialConvolution(32, 32, 11, 21, 2, 1))
    conv.add(nn.SpatialBatchNormalization(32))
    conv.add(nn.Clamp(0, 20))
    rnnInputsize = 32 * 41   # based on the above convolutions and 16khz audio.
    rnnHiddenSize = opt['hiddenSize']
    nbOfHiddenLayers = opt['nbOfHiddenLayers']

    conv.add(nn.View(rnnInputsize, -1).setNumInputDims(3))   # batch x features x seqLength
    conv.add(nn.Transpose([1, 2], [0, 1]))                   # seqLength x batch x features

    rnns = nn.Sequential()
    rnnModule = RNNModule(rnnInputsize, rnnHiddenSize, opt)
    rnns.add(rnnModule.clone())
    rnnModule = RNNModule(rnnHiddenSize, rnnHiddenSize, opt)

    for i in range(1, nbOfHiddenLayers):
        rnns.add(nn.Bottle(nn.BatchNormalization(rnnHiddenSize), 2))
        rnns.add(rnnModule.clone())

    fullyConnected = nn.Sequential()
    fullyConnected.add(nn.BatchNormalization(rnnHiddenSize))
    fullyConnected.add(nn.Linear(rnnHiddenSize, 29))

    model = nn.Sequential()
    model.add(conv)
    model.add(rnns)
    model.add(nn.Bottle(fullyConnected, 2))
    model.add(nn.Transpose([0, 1]))   # batch x seqLength x features
    model = makeDataParallel(model, opt['nGPU'])
    return model


def calculateInputSizes(sizes):
    sizes = lg.floor((sizes - 11) / 2 + 1)   # conv1
    sizes = lg.floor((sizes - 11) / 2 + 1)   # conv2
    return sizes


# --- Loader.lua ----------------------------------------------------------------------------------------------------
class indexer:
    typename = 'indexer'

    def __init__(self, db, batchSize):
        self.batchSize = batchSize
        self.count = 0
        audioLMDBSize = len(db['spect'])
        transcriptLMDBSize = len(db['trans'])
        self.size = audioLMDBSize
        self.nbOfBatches = math.ceil(self.size / self.batchSize)
        assert audioLMDBSize == transcriptLMDBSize, 'Audio and transcript LMDBs had different lengths!'
        assert self.size > self.batchSize, 'batchSize larger than lmdb size!'
        self.inds = lg.range(0, self.size - 1).split(batchSize)
        self.batchIndices = lg.range(0, self.nbOfBatches - 1)

    def nextIndices(self):
        if self.count >= len(self.inds):
            self.count = 0
        index = self.batchIndices[self.count]
        inds = self.inds[int(index)]
        self.count = self.count + 1
        return inds

    def permuteBatchOrder(self):
        self.batchIndices = lg.randperm(self.nbOfBatches)


class Loader:
    typename = 'Loader'

    def __init__(self, db, mapper):
        self.dbSpect, self.dbTrans = db['spect'], db['trans']
        self.size = len(self.dbSpect)
        self.mapper = mapper

    def nextBatch(self, indices):
        tensors = tds.Vec()
        targets = []
        transcripts = []
        maxLength = 0
        freq = 0
        size = indices.size(0)
        sizes = lg.Tensor(indices.size())
        permutedIndices = lg.randperm(size)   # batch tensor has different order each time
        for x in range(size):
            ind = int(indices[permutedIndices[x]])
            tensor = self.dbSpect[ind].float()
            transcript = self.dbTrans[ind]
            freq = tensor.size(0)
            sizes[x] = tensor.size(1)
            if maxLength < tensor.size(1):
                maxLength = tensor.size(1)   # find the max len in this batch
            tensors.insert(tensor)
            targets.append(self.mapper.encodeString(transcript))
            transcripts.append(transcript)
        inputs = lg.Tensor(size, 1, freq, maxLength).zero()
        for ind, tensor in enumerate(tensors):
            inputs[ind][0].narrow(1, 0, tensor.size(1)).copy(tensor)
        return inputs, targets, sizes, transcripts


# --- ModelEvaluator.lua --------------------------------------------------------------------------------------------
class ModelEvaluator:
    typename = 'ModelEvaluator'

    def __init__(self, isGPU, dataset, mapper, testBatchSize, logsPath):
        self.loader = Loader(dataset, mapper)
        self.testBatchSize = testBatchSize
        self.nbOfTestIterations = math.ceil(self.loader.size / testBatchSize)
        self.indexer = indexer(dataset, testBatchSize)
        self.pool = threads.Threads(1, lambda *_: None)
        self.mapper = mapper
        self.logsPath = logsPath
        self.suffix = '_test'
        self.sequenceError = SequenceError()
        self.input = lg.Tensor()
        self.isGPU = isGPU
        if isGPU:
            self.input = self.input.cuda()

    def runEvaluation(self, model, verbose, epoch):
        buf = {}
        loader = self.loader

        def keep(spect, label, sizes, *_):
            buf['spect'], buf['label'], buf['sizes'] = spect, label, sizes
        inds = self.indexer.nextIndices()
        self.pool.addjob(lambda: loader.nextBatch(inds), keep)
        if verbose:
            with open(self.logsPath + 'WER_Test' + self.suffix + '.log', 'a') as f:
                f.write('======================== BEGIN WER TEST EPOCH: ' + str(epoch) + ' =========================\n')
        evaluationPredictions = []
        cumCER = 0
        cumWER = 0
        numberOfSamples = 0
        for i in range(self.nbOfTestIterations):
            self.pool.synchronize()
            inputsCPU, targets, sizes_array = buf['spect'], buf['label'], buf['sizes']
            inds = self.indexer.nextIndices()
            self.pool.addjob(lambda inds=inds: loader.nextBatch(inds), keep)
            self.input.resize(inputsCPU.size()).copy(inputsCPU)
            predictions = model.forward(self.input)
            size = predictions.size(0)
            for j in range(size):
                prediction = predictions[j]
                predict_tokens = self.mapper.decodeOutput(prediction)
                targetTranscript = self.mapper.tokensToText(targets[j])
                predictTranscript = self.mapper.tokensToText(predict_tokens)
                CER = self.sequenceError.calculateCER(targetTranscript, predictTranscript)
                WER = self.sequenceError.calculateWER(targetTranscript, predictTranscript)
                cumCER = cumCER + CER
                cumWER = cumWER + WER
                evaluationPredictions.append({'wer': WER * 100, 'cer': CER * 100, 'target': targetTranscript,
                                              'prediction': predictTranscript})
            numberOfSamples = numberOfSamples + size
        evaluationPredictions.sort(key=lambda e: e['wer'])   # table.sort(t, function(a, b) return a.wer < b.wer end)
        if verbose:
            for index, eval_ in enumerate(evaluationPredictions):
                with open(self.logsPath + 'Evaluation_Test' + self.suffix + '.log', 'a') as f:
                    f.write("WER = %.2f | CER = %.2f | Text = \"%s\" | Predict = \"%s\"\n" % (
                        eval_['wer'], eval_['cer'], eval_['target'], eval_['prediction']))
        averageWER = cumWER / numberOfSamples
        averageCER = cumCER / numberOfSamples
        with open(self.logsPath + 'Evaluation_Test' + self.suffix + '.log', 'a') as f:
            f.write("Average WER = %.2f | CER = %.2f" % (averageWER * 100, averageCER * 100))
        self.pool.synchronize()   # end the last loading
        return averageWER, averageCER


# --- Network.lua ---------------------------------------------------------------------------------------------------
class Network:
    """Network.lua's init (the LMDB paths are the datasets themselves), testNetwork, trainNetwork, saveNetwork,
    loadNetwork."""

    def init(self, opt):
        self.fileName = opt['saveFileName']
        self.nGPU = opt['nGPU']
        self.gpu = self.nGPU > 0
        self.trainingSet = opt['trainingSet']
        self.modelTrainingPath = opt['modelTrainingPath']
        self.permuteBatch = opt.get('permuteBatch') or False
        self.mapper = Mapper(opt['dictionaryPath'])
        self.tester = ModelEvaluator(self.gpu, opt['validationSet'], self.mapper, opt['validationBatchSize'],
                                     opt['logsValidationPath'])
        self.epochSave = opt.get('epochSave') or False
        self.maxNorm = opt.get('maxNorm') or 400   # value chosen by Baidu for english speech.
        if opt.get('loadModel'):
            self.loadNetwork(opt['loadPath'])
        else:
            self.model = deepSpeech(opt)
            self.calSize = calculateInputSizes
        self.indexer = indexer(self.trainingSet, opt['batchSize'])
        self.pool = threads.Threads(1, lambda *_: None)
        self.logger = optim.Logger(opt['logsTrainPath'] + 'train' + '_test' + '.log')
        self.logger.setNames(['loss', 'WER', 'CER'])
        self.logger.style(['-', '-', '-'])
        return self

    def testNetwork(self, epoch=None):
        self.model.evaluate()
        wer, cer = self.tester.runEvaluation(self.model, True, epoch or 1)
        self.model.zeroGradParameters()
        self.model.training()
        return wer, cer

    def trainNetwork(self, epochs, optimizerParams):
        self.model.training()
        lossHistory = []
        validationHistory = []
        criterion = nn.CTCCriterion(True)
        x, gradParameters = self.model.getParameters()
        inputs = lg.Tensor()
        if self.gpu:
            criterion = criterion.cuda()
            inputs = inputs.cuda()
        loader = Loader(self.trainingSet, self.mapper)
        buf = {}

        def keep(spect, label, sizes, *_):
            buf['spect'], buf['label'], buf['sizes'] = spect, label, sizes
        inds = self.indexer.nextIndices()
        self.pool.addjob(lambda: loader.nextBatch(inds), keep)

        def feval(x_new):
            self.pool.synchronize()   # wait previous loading
            inputsCPU, sizes, targets = buf['spect'], buf['sizes'], buf['label']
            inds = self.indexer.nextIndices()   # load next batch whilst training
            self.pool.addjob(lambda: loader.nextBatch(inds), keep)
            inputs.resize(inputsCPU.size()).copy(inputsCPU)
            sizes = self.calSize(sizes)
            predictions = self.model.forward(inputs)
            loss = criterion.forward(predictions, targets, sizes)
            if loss == math.inf or loss == -math.inf:
                loss = 0
                print("Recieved an inf cost!")
            self.model.zeroGradParameters()
            gradOutput = criterion.backward(predictions, targets)
            self.model.backward(inputs, gradOutput)
            norm = gradParameters.norm()
            if norm > self.maxNorm:
                gradParameters.mul(self.maxNorm / norm)
            return loss, gradParameters

        for i in range(epochs):
            averageLoss = 0
            for j in range(self.indexer.nbOfBatches):
                currentLoss = 0
                _, fs = optim.sgd(feval, x, optimizerParams)
                currentLoss = currentLoss + fs[0]
                averageLoss = averageLoss + currentLoss
            if self.permuteBatch:
                self.indexer.permuteBatchOrder()
            averageLoss = averageLoss / self.indexer.nbOfBatches
            optimizerParams['learningRate'] = optimizerParams['learningRate'] / (
                optimizerParams.get('learningRateAnnealing') or 1)
            wer, cer = self.testNetwork(i + 1)
            lossHistory.append(averageLoss)
            validationHistory.append(100 * wer)
            self.logger.add([averageLoss, 100 * wer, 100 * cer])
            if self.epochSave:
                self.saveNetwork(self.modelTrainingPath + 'model_epoch_' + str(i + 1) + '_' + self.fileName)
        self.pool.synchronize()   # the Lua leaves the next batch's job queued; the test ends here
        self.saveNetwork(self.modelTrainingPath + 'final_model_' + self.fileName)
        return lossHistory, validationHistory

    def saveNetwork(self, saveName):
        self.model.clearState()
        saveDataParallel(saveName, self.model)

    def loadNetwork(self, saveName):
        self.model = loadDataParallel(saveName, self.nGPU)
        self.calSize = calculateInputSizes


# --- a hand-written CTC: Graves et al. (2006), probability space, each frame's alphas and betas rescaled --------------
def numpy_ctc(acts, labels):
    """(cost, d cost / d acts) of one sequence: ``acts`` (T, classes) activations (softmax taken here), ``labels``
    a list of classes 1.. (0 the blank)."""
    T, C = acts.shape
    e = np.exp(acts - acts.max(1, keepdims=True))
    y = e / e.sum(1, keepdims=True)
    ext = [0]
    for lab in labels:
        ext += [lab, 0]
    S = len(ext)

    def allowed_skip(s):
        return s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2]
    alpha, beta = np.zeros((T, S)), np.zeros((T, S))
    c, d = np.zeros(T), np.zeros(T)
    alpha[0, 0] = y[0, ext[0]]
    if S > 1:
        alpha[0, 1] = y[0, ext[1]]
    c[0] = alpha[0].sum()
    alpha[0] /= c[0]
    for t in range(1, T):
        for s in range(S):
            a = alpha[t - 1, s] + (alpha[t - 1, s - 1] if s >= 1 else 0)
            if allowed_skip(s):
                a += alpha[t - 1, s - 2]
            alpha[t, s] = a * y[t, ext[s]]
        c[t] = alpha[t].sum()
        alpha[t] /= c[t]
    beta[T - 1, S - 1] = y[T - 1, ext[S - 1]]
    if S > 1:
        beta[T - 1, S - 2] = y[T - 1, ext[S - 2]]
    d[T - 1] = beta[T - 1].sum()
    beta[T - 1] /= d[T - 1]
    for t in range(T - 2, -1, -1):
        for s in range(S):
            b = beta[t + 1, s] + (beta[t + 1, s + 1] if s + 1 < S else 0)
            if s + 2 < S and ext[s + 2] != 0 and ext[s + 2] != ext[s]:
                b += beta[t + 1, s + 2]
            beta[t, s] = b * y[t, ext[s]]
        d[t] = beta[t].sum()
        beta[t] /= d[t]
    # log p = sum log c (the last frame's alpha rescaled by c[T-1] sums over the two ends)
    end = alpha[T - 1, S - 1] + (alpha[T - 1, S - 2] if S > 1 else 0)
    logp = np.log(c).sum() + np.log(end)
    grad = y.copy()
    for t in range(T):
        ab = alpha[t] * beta[t] / y[t, ext]      # rescaled; normalised per frame below
        occupancy = np.zeros(C)
        for s in range(S):
            occupancy[ext[s]] += ab[s]
        grad[t] -= occupancy / ab.sum()
    return -logp, grad


def test_numpy_ctc_reference_gives_the_warp_ctc_tutorial_values():
    """warp-ctc torch_binding/TUTORIAL.md's three sequences (1.6094, 7.3557, 4.9389): the hand-written reference is
    right before it judges legonn."""
    cases = [(np.zeros((1, 5)), [1], 1.6094379425049), (np.arange(1, 16.).reshape(3, 5), [3, 3], 7.355742931366),
             (np.array([[-5, -4, -3, -2, -1], [-10, -9, -8, -7, -6], [-15, -14, -13, -12, -11.]]), [2, 3],
              4.938850402832)]
    for acts, labels, cost in cases:
        np.testing.assert_allclose(numpy_ctc(acts, labels)[0], cost, rtol=1e-6)


def test_ctc_of_the_model_output_matches_numpy_forward_backward():
    """Network.lua's ``criterion:forward(predictions, targets, sizes)`` with nnx's CTCCriterion(true) on the
    model's ``batch x seqLength x 29`` output and calculateInputSizes' lengths: the returned loss is the costs' sum
    over the batch size, ``criterion.output`` the sum, and ``backward`` d(sum)/d(predictions) (zero past each
    length), against the hand-written forward-backward, float64."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(10)
    model = deepSpeech({'hiddenSize': 8, 'nbOfHiddenLayers': 2, 'nGPU': 0})
    inputs = lg.randn(3, 1, FREQ, 52)
    sizes = calculateInputSizes(lg.Tensor([52, 48, 45]))
    assert sizes.totable() == [6, 5, 4]
    predictions = model.forward(inputs)
    assert predictions.size() == (3, 6, 29)
    mapper_targets = [[8, 9], [1, 1, 2], [27]]     # "hi", "aab", " ": the repeat needs a blank between
    criterion = nn.CTCCriterion(True)
    loss = criterion.forward(predictions, mapper_targets, sizes)
    grad = criterion.backward(predictions, mapper_targets)
    acts = predictions.numpy()
    costs, expected = [], np.zeros_like(acts)
    for b, labels in enumerate(mapper_targets):
        T = int(sizes[b])
        cost, g = numpy_ctc(acts[b, :T], labels)
        costs.append(cost)
        expected[b, :T] = g
    np.testing.assert_allclose(loss, sum(costs) / 3, rtol=1e-10)
    np.testing.assert_allclose(criterion.output, sum(costs), rtol=1e-10)
    assert grad.size() == predictions.size()
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-8, atol=1e-12)


# --- tests/test.lua ------------------------------------------------------------------------------------------------
def test_tests_lua_evaluator():
    sequenceError = SequenceError()
    target = "test a sentence"
    deletion = sequenceError.calculateWER(target, "a sentence")
    insertion = sequenceError.calculateWER(target, "test a sentence inserted")
    substitution = sequenceError.calculateWER(target, "test substituted sentence")
    oneMistakeWER = 1 / 3
    assert deletion == oneMistakeWER and insertion == oneMistakeWER and substitution == oneMistakeWER
    twoMistakeWER = 2 / 3
    assert sequenceError.calculateWER(target, "a") == twoMistakeWER
    assert sequenceError.calculateWER(target, "a wrong") == twoMistakeWER
    assert sequenceError.calculateWER(target, "wrong a sentence inserted") == twoMistakeWER
    # characters: kitten -> sitting is the textbook 3 edits
    assert sequenceError.calculateCER("kitten", "sitting") == 3 / 6


def test_tests_lua_mapper_and_decode(tmp_path):
    mapper = Mapper(write_dictionary(tmp_path / 'test_dictionary'))
    assert mapper.alphabet2token == {letter: index for index, letter in enumerate(ALPHABET)}
    predictions = lg.Tensor([[1, 2, 3], [2, 3, 1], [1, 2, 3]])
    tokens = mapper.decodeOutput(predictions)
    assert tokens == [2, 1, 2]
    assert mapper.tokensToText(tokens) == 'bab'
    # a blank between two equal tokens keeps both; a repeat without one merges them
    p = lg.zeros(5, 29)
    for t, k in enumerate([2, 2, 0, 2, 28]):
        p[t][k] = 1
    assert mapper.tokensToText(mapper.decodeOutput(p)) == "bb'"
    assert mapper.encodeString("Hi I'm") == [8, 9, 27, 9, 28, 13]


def test_find_as_a_condition_is_a_porting_rule():
    """UtilsMultiGPU.lua line 7, ``torch.type(module):find('BatchNormalization')`` as cudnn.convert's exclusion:
    the literal port ``lg.typename(module).find(...)`` is -1 (true) for every other module, so nothing would be
    converted; ``'BatchNormalization' in name`` is the Lua's test (docs/porting.md)."""
    conv, bn = nn.SpatialConvolution(1, 2, 3, 3), nn.SpatialBatchNormalization(2)
    literal = nn.Sequential().add(conv.clone()).add(bn.clone())
    cudnn.convert(literal, cudnn, lambda m: lg.typename(m).find('BatchNormalization'))
    assert lg.typename(literal.get(0)) == 'nn.SpatialConvolution'     # -1 is true: the convolution was excluded
    model = nn.Sequential().add(conv.clone()).add(bn.clone())
    cudnn.convert(model, cudnn, lambda m: 'BatchNormalization' in lg.typename(m))
    assert [lg.typename(m) for m in model.modules] == ['cudnn.SpatialConvolution', 'nn.SpatialBatchNormalization']


# --- the model -----------------------------------------------------------------------------------------------------
def test_model_shapes_and_calculate_input_sizes():
    """deepSpeech(opt) with nGPU = 0: rnn's SeqBRNNs (the first from 32 * 41 features), BatchNormalization in a
    Bottle between them, the head in a Bottle; ``batch x seqLength x 29`` out, seqLength = calculateInputSizes of the
    frames; the features the View reads are 32 channels x 41 frequencies of a 161-frequency spectrogram."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(10)
    model = deepSpeech({'hiddenSize': 6, 'nbOfHiddenLayers': 3, 'nGPU': 0})
    rnns = model.get(1)
    assert [lg.typename(m) for m in rnns.modules] == ['nn.SeqBRNN', 'nn.Bottle', 'nn.SeqBRNN', 'nn.Bottle',
                                                      'nn.SeqBRNN']
    assert rnns.get(0).forwardModule.inputsize == 32 * 41 and rnns.get(2).forwardModule.inputsize == 6
    for frames in (47, 60):
        out = model.forward(lg.randn(2, 1, FREQ, frames))
        assert out.size() == (2, int(calculateInputSizes(lg.Tensor([frames]))[0]), 29)
    # the clones of rnnModule are independent layers
    assert rnns.get(2).forwardModule.weight.storage() is not rnns.get(4).forwardModule.weight.storage()
    with pytest.raises(ValueError, match='View'):
        model.forward(lg.randn(2, 1, 120, 60))    # not 161 frequencies: the View cannot make 32 * 41 features


def batch_brnn_reference(m, x):
    """BatchBRNNReLU's maths in NumPy float64: Linear (no bias), BatchNormalization over all T * N frames (training
    statistics, biased variance), then each direction h_t = relu(z_t + bW + R h_{t-1} + bR) (CUDNN_SKIP_INPUT: no
    input matrix), Clamp(0, 20), the two directions summed."""
    T, N, _ = x.shape
    W = m.get(1).weight.numpy()
    bn = m.get(2)
    z = x.reshape(T * N, -1) @ W.T
    z = (z - z.mean(0)) / np.sqrt(z.var(0) + bn.eps) * bn.weight.numpy() + bn.bias.numpy()
    z = z.reshape(T, N, -1)
    H = z.shape[2]
    flat = m.rnn.weight.numpy()
    out = np.zeros((T, N, H))
    for d in range(2):
        # cuDNN's layout: both directions' recurrent matrices, then their biases (input, recurrent) in that order
        R = flat[d * H * H:(d + 1) * H * H].reshape(H, H)
        base = 2 * H * H + d * 2 * H
        bW, bR = flat[base:base + H], flat[base + H:base + 2 * H]
        h = np.zeros((N, H))
        for t in (range(T - 1, -1, -1) if d else range(T)):
            h = np.maximum(z[t] + bW + h @ R.T + bR, 0)
            out[t] += np.clip(h, 0, 20)
    return out


def test_batch_brnn_relu_matches_numpy_and_jacobian():
    """BatchBRNNReLU (cudnn.RNN with CUDNN_SKIP_INPUT, bidirectional, ReLU; runs on the CPU in legonn) against its
    NumPy maths, its weight size (no input matrices: 2 x (H^2 + 2H)), its repr (its own __tostring__) and finite
    differences of input and parameters, float64."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(3)
    m = BatchBRNNReLU(5, 4)
    assert m.rnn.weight.nElement() == 2 * (4 * 4 + 2 * 4)
    assert lg.typename(m.get(5)) == 'nn.Clamp' and lg.typename(m.get(4)) == 'cudnn.RNN'
    assert repr(m).startswith('BatchBRNN {\n  [input -> (0) -> (1)') and '(5): nn.Clamp' in repr(m)
    x = lg.randn(6, 3, 5)
    np.testing.assert_allclose(m.forward(x).numpy(), batch_brnn_reference(m, x.numpy()), rtol=1e-10, atol=1e-12)
    x2 = lg.randn(4, 2, 5)     # another T x N: updateOutput resets both Views
    assert m.forward(x2).size() == (4, 2, 4)
    err = nn.Jacobian.testJacobian(m, x2)
    assert err < 1e-6
    for p, dp in zip(*m.parameters()):
        assert nn.Jacobian.testJacobianParameters(m, x2, p, dp) < 1e-6


def test_blstm_module_sums_the_directions():
    """The LSTM option's RNNModule: cudnn.BLSTM then View(-1, 2, H) and Sum over the direction axis gives the
    forward half plus the backward half of the BLSTM's output."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = RNNModule(5, 4, {'nGPU': 1, 'LSTM': True})
    x = lg.randn(6, 3, 5)
    out = m.forward(x).numpy()
    both = m.get(0).output.numpy()
    np.testing.assert_allclose(out, both[..., :4] + both[..., 4:], rtol=1e-12)
    assert nn.Jacobian.testJacobian(m, x) < 1e-6


# --- training, evaluation, checkpoints ----------------------------------------------------------------------------
TRAIN = ['hi', 'ab', 'ba', 'ha', 'a b', 'hid']


def _network(tmp_path, nGPU=0, **extra):
    opt = {'saveFileName': 'deepspeech.t7', 'nGPU': nGPU, 'LSTM': False, 'hiddenSize': 8, 'nbOfHiddenLayers': 2,
           'trainingSet': make_lmdb(TRAIN[:4], seed=1), 'validationSet': make_lmdb(TRAIN[:3], seed=2),
           'dictionaryPath': write_dictionary(tmp_path / 'dictionary'), 'batchSize': 2, 'validationBatchSize': 2,
           'logsValidationPath': str(tmp_path) + '/', 'logsTrainPath': str(tmp_path) + '/',
           'modelTrainingPath': str(tmp_path) + '/', 'maxNorm': 400}
    opt.update(extra)
    return Network().init(opt)


def test_make_lmdb_features_and_predict(tmp_path):
    """MakeLMDB.lua's getData on a 16 kHz wave: audio.spectrogram with 20 ms Hamming windows every 10 ms gives the
    161 frequencies the model's View expects (Predict.lua's defaults), normalised to mean 0 and standard deviation
    1 in place through the transposed view; Predict.lua's forward and greedy decoding of it give text of the
    dictionary's characters, one output frame per calculateInputSizes step."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(10)
    opt = {'windowSize': 0.02, 'stride': 0.01, 'sampleRate': 16000}
    t = np.arange(8000) / 16000
    wave = lg.FloatTensor((np.sin(2 * np.pi * (300 + 900 * t) * t) * 3000).astype(np.float32)).view(-1, 1)
    spect = getData(wave, opt)
    assert spect.size() == (161, 49) and not spect.isContiguous()
    assert abs(spect.mean()) < 1e-5 and abs(spect.std() - 1) < 1e-5
    model = deepSpeech({'hiddenSize': 8, 'nbOfHiddenLayers': 2, 'nGPU': 0})
    mapper = Mapper(write_dictionary(tmp_path / 'dictionary'))
    text, predictions = predict(model, mapper, wave, opt)
    assert predictions.size() == (1, int(calculateInputSizes(lg.Tensor([49]))[0]), 29)
    assert set(text) <= set(ALPHABET[1:]) and not model.train


def test_loader_batches_pad_and_encode(tmp_path):
    """Loader.nextBatch: spectrograms zero-padded to the longest in ``batch x 1 x 161 x frames``, sizes the true
    frame counts, targets the Mapper's tokens, all in one random order; the indexer cycles through the batches."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(4)
    db = make_lmdb(TRAIN)
    mapper = Mapper(write_dictionary(tmp_path / 'dictionary'))
    idx = indexer(db, 4)
    assert idx.nbOfBatches == 2
    first, second, third = idx.nextIndices(), idx.nextIndices(), idx.nextIndices()
    assert first.totable() == [0, 1, 2, 3] and second.totable() == [4, 5] and third.totable() == first.totable()
    inputs, targets, sizes, transcripts = Loader(db, mapper).nextBatch(first)
    longest = max(db['spect'][k].size(1) for k in range(4))
    assert sorted(transcripts) == sorted(TRAIN[:4]) and inputs.size() == (4, 1, FREQ, longest)
    for b, text in enumerate(transcripts):
        n = int(sizes[b])
        key = TRAIN.index(text)
        assert n == db['spect'][key].size(1) and targets[b] == mapper.encodeString(text)
        assert lg.equal(inputs[b][0].narrow(1, 0, n), db['spect'][key])
        if n < longest:
            assert inputs[b][0].narrow(1, n, longest - n).abs().sum() == 0


# Loader:nextBatch draws each batch's order (torch.randperm) in the loading thread, whose generator Torch7 seeds
# from the OS's entropy: the fixture seeds it, so that the losses are the same on every run
@pytest.mark.usefixtures('reproducible_workers')
def test_train_evaluate_save_and_load(tmp_path):
    """Network:trainNetwork on the CPU path (nGPU 0): optim.sgd with Nesterov momentum through feval (the loader
    thread fetching the next batch, CTC with batchFirst, gradient norm clipped at maxNorm), the learning rate
    annealed each epoch, ModelEvaluator's WER/CER each epoch written to its logs, the final model saved by
    saveDataParallel (after clearState) and read back by loadDataParallel, which predicts as the trained one."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(10)
    net = _network(tmp_path, maxNorm=5)
    params = {'learningRate': 0.05, 'learningRateAnnealing': 1.1, 'momentum': 0.9, 'dampening': 0, 'nesterov': True}
    losses, wers = net.trainNetwork(3, params)
    assert len(losses) == 3 and all(np.isfinite(losses))
    assert losses[-1] < 0.85 * losses[0], losses
    assert math.isclose(params['learningRate'], 0.05 / 1.1 ** 3, rel_tol=1e-12)
    assert all(0 <= w for w in wers)
    log = open(str(tmp_path) + '/Evaluation_Test_test.log').read()
    assert log.count('Average WER') == 3 and log.count("| Text = \"") == 3 * 3    # a batch of 2 and one of 1
    assert open(str(tmp_path) + '/WER_Test_test.log').read().count('BEGIN WER TEST EPOCH') == 3
    rows = open(str(tmp_path) + '/train_test.log').read().split('\n')
    assert rows[0].split() == ['loss', 'WER', 'CER']
    assert [float(rows[k + 1].split()[0]) for k in range(3)] == pytest.approx(losses, rel=1e-4)
    assert [float(rows[k + 1].split()[1]) for k in range(3)] == pytest.approx(wers, rel=1e-4)
    # saved after clearState, loaded back by the repository's functions
    path = str(tmp_path) + '/final_model_deepspeech.t7'
    net.model.evaluate()
    batch = Loader(net.trainingSet, net.mapper).nextBatch(lg.range(0, 1))[0]
    before = net.model.forward(batch).clone()
    again = Network().init({**_opt_for_load(tmp_path, path)})
    again.model.evaluate()
    np.testing.assert_array_equal(again.model.forward(batch).numpy(), before.numpy())
    net.tester.indexer.count = again.tester.indexer.count = 0
    assert again.testNetwork() == net.testNetwork()


def _opt_for_load(tmp_path, path):
    return {'saveFileName': 'x.t7', 'nGPU': 0, 'trainingSet': make_lmdb(TRAIN[:4], seed=1),
            'validationSet': make_lmdb(TRAIN[:3], seed=2), 'dictionaryPath': str(tmp_path / 'dictionary'),
            'batchSize': 2, 'validationBatchSize': 2, 'logsValidationPath': str(tmp_path) + '/',
            'logsTrainPath': str(tmp_path) + '/', 'modelTrainingPath': str(tmp_path) + '/', 'loadModel': True,
            'loadPath': path}


def test_save_load_keeps_batch_brnn_views(tmp_path):
    """A saved BatchBRNNReLU (lg.register'ed under its Lua name) loads with ``view_in``/``view_out`` still the
    modules in its chain, so updateOutput's resetSize reaches them, and computes the same output."""
    lg.setdefaulttensortype('torch.FloatTensor')
    m = nn.Sequential().add(BatchBRNNReLU(5, 4))
    x = lg.randn(3, 2, 5)
    y = m.forward(x).clone()
    saveDataParallel(str(tmp_path / 'm.t7'), m)
    back = loadDataParallel(str(tmp_path / 'm.t7'), 0)
    inner = back.get(0)
    assert lg.typename(inner) == 'cudnn.BatchBRNNReLU' and inner.view_in is inner.get(0)
    assert inner.view_out is inner.get(3) and inner.rnn is inner.get(4)
    np.testing.assert_array_equal(back.forward(x).numpy(), y.numpy())
    assert back.forward(lg.randn(5, 3, 5)).size() == (5, 3, 4)


@pytest.mark.gpu
@pytest.mark.parametrize('lstm', [False, True])
def test_gpu_model_trains_like_the_cpu(lstm, tmp_path):
    """nGPU 1: makeDataParallel's cudnn.convert (BatchNormalization excluded, by the ``in`` test) and cuda(); the
    BatchBRNNReLU (or, with LSTM, cudnn.BLSTM) model's CTC loss and parameter gradient on CUDA tensors equal those
    of the same model on the CPU, and a few SGD steps lower the loss."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(10)
    opt = {'hiddenSize': 8, 'nbOfHiddenLayers': 2, 'nGPU': 1, 'LSTM': lstm}
    model = deepSpeech(opt)
    names = [lg.typename(m) for m in model.listModules()]
    assert 'cudnn.SpatialConvolution' in names and 'nn.SpatialBatchNormalization' in names
    assert 'cudnn.SpatialBatchNormalization' not in names
    assert ('cudnn.BLSTM' if lstm else 'cudnn.BatchBRNNReLU') in names
    cpu = model.clone().float()
    inputs = lg.randn(2, 1, FREQ, 60)
    sizes = calculateInputSizes(lg.Tensor([60, 50]))
    targets = [[8, 9], [1, 2]]
    results = []
    for m, x in ((model, inputs.cuda()), (cpu, inputs)):
        crit = nn.CTCCriterion(True)
        if x.is_cuda:
            crit = crit.cuda()
        params, grads = m.getParameters()
        grads.zero()
        out = m.forward(x)
        loss = crit.forward(out, targets, sizes)
        m.backward(x, crit.backward(out, targets))
        results.append((loss, lg.Tensor(grads.nElement()).copy(grads).numpy()))
    assert model.get(0).output.is_cuda
    # ModelEvaluator's decoding of a CUDA prediction (maxIndices:float() comes back to the host)
    mapper = Mapper(write_dictionary(tmp_path / 'dictionary'))
    on_gpu = mapper.decodeOutput(model.output[0])
    assert on_gpu == mapper.decodeOutput(model.output[0].float()) and len(on_gpu) > 0
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-3, atol=1e-4)
    params, grads = model.getParameters()
    crit = nn.CTCCriterion(True).cuda()
    x = inputs.cuda()

    def feval(_):
        grads.zero()
        out = model.forward(x)
        loss = crit.forward(out, targets, sizes)
        model.backward(x, crit.backward(out, targets))
        return loss, grads
    state = {'learningRate': 0.02, 'momentum': 0.9, 'dampening': 0, 'nesterov': True}
    first = feval(params)[0]
    for _ in range(3):
        optim.sgd(feval, params, state)
    assert feval(params)[0] < first
