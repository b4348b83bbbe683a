"""macournoyer/neuralconvo (a seq2seq chatbot on Element-Research/rnn) ported line by line: seq2seq.lua (the
Seq2Seq class, 2-109: encoder and decoder Sequentials of LookupTableMaskZero, a FastLSTM.maskZero(1) in a
Sequencer, MaskZero'd Linear and LogSoftMax; forwardConnect/backwardConnect through userPrevOutput/userPrevCell
and get/setGradHiddenState; eval's greedy decoding with topk), dataset.lua (DataSet 13-265: the vocabulary, the
examples reversed and framed by <go>/<eos>, shuffled, streamed through a DiskFile, and ``batches``' left-padded
encoder and right-padded decoder tensors), cornell_movie_dialogs.lua (1-72), tokenizer.lua (1-55), train.lua
(options and the loop, 5-175: adam with gradient clamping, the average-length loss, the linear learning-rate
decay, the float model saved when the mean error improves; the OpenCL branch left out) and eval.lua's
``pred2sent``/``say`` (18-62), on a
generated Cornell-format corpus of a few exchanges.

Word ids are 0-based (<go> 0, <eos> 1, <unknown> 2) and LookupTableMaskZero's padding is -1, so the batches
are filled with -1 where the Lua fills 0. Edits beyond the mechanical ones, each a row of docs/porting.md:
train.lua's ``torch.sum(torch.sign(decoderInputs))``, its count of the real (non-zero) words, is
``decoderInputs.ne(-1).sum()`` (``sign`` of the shifted ids counts word 0 as padding and the padding as -1);
``for i = 1, n / bs`` with a fractional bound is ``range(math.floor(n / bs))``; pl.lexer.scan with the
tokenizer's Lua patterns becomes a regex scan (``%w`` is ``[A-Za-z0-9]``, ``%s`` Lua's white space);
``table.insert`` of a nil line is left out; the Seq2Seq class is a plain class with ``typename`` and
``lg.register``'d so ``lg.load`` rebuilds it (eval.lua's ``require 'neuralconvo'`` before ``torch.load``)."""
import math
import re

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim, xlua
from legonn.pl import path, stringx
from legonn.pl.List import List
from legonn.tensor.introspection import LUA_SPACE

neuralconvo = {}


# --- tokenizer.lua ------------------------------------------------------------------------------------------

class tokenizer:
    # lexer.scan's matches in order (the first that matches at the position wins), as Python regexes; space
    # and tag tokens are filtered out as the Lua's { [space]=true, [tag]=true }
    MATCHES = [(f'[{LUA_SPACE}]+', 'space'), ('[\'"]', 'quote'), ('[A-Za-z0-9]+', 'word'), ('-+', 'space'),
               ('[,:;-]', 'punct'), (r'\.+', 'endpunct'), (r'[.?!]', 'endpunct'), ('</?.*?>', 'tag'),
               ('.', 'unknown')]
    FILTER = ('space', 'tag')

    @staticmethod
    def tokenize(text):
        pos = 0
        while pos < len(text):
            for pattern, kind in tokenizer.MATCHES:
                m = re.compile(pattern, re.DOTALL).match(text, pos)
                if m:
                    pos = m.end()
                    if kind not in tokenizer.FILTER:
                        yield kind, m.group(0)
                    break

    @staticmethod
    def join(words):
        s = ' '.join(words)
        s = re.sub('^[a-z]', lambda m: m.group(0).upper(), s)
        s = re.sub(" (') ", r'\1', s)
        s = re.sub(r' ([,:;\-.?!])', r'\1', s)
        return s


# --- cornell_movie_dialogs.lua ------------------------------------------------------------------------------

def parsedLines(file, fields):
    with open(file, 'r') as f:
        for line in f:
            values = stringx.split(line.rstrip('\n'), " +++$+++ ")
            t = {}
            for i, field in enumerate(fields):
                t[field] = values[i] if i < len(values) else None
            yield t


class CornellMovieDialogs:
    typename = 'neuralconvo.CornellMovieDialogs'

    MOVIE_LINES_FIELDS = ["lineID", "characterID", "movieID", "character", "text"]
    MOVIE_CONVERSATIONS_FIELDS = ["character1ID", "character2ID", "movieID", "utteranceIDs"]
    TOTAL_LINES = 387810

    def __init__(self, dir):
        self.dir = dir

    @staticmethod
    def progress(c):
        if c % 10000 == 0:
            xlua.progress(c - 1, CornellMovieDialogs.TOTAL_LINES)   # c lines done: the 0-based index c - 1

    def load(self):
        lines = {}
        conversations = []
        count = 0

        print("-- Parsing Cornell movie dialogs data set ...")

        for line in parsedLines(self.dir + "/movie_lines.txt", self.MOVIE_LINES_FIELDS):
            lines[line['lineID']] = line
            del line['lineID']
            # Remove unused fields
            del line['characterID']
            del line['movieID']
            count = count + 1
            self.progress(count)

        for conv in parsedLines(self.dir + "/movie_conversations.txt", self.MOVIE_CONVERSATIONS_FIELDS):
            conversation = []
            lineIDs = stringx.split(conv['utteranceIDs'][2:-2], "', '")
            for i, lineID in enumerate(lineIDs):
                if lines.get(lineID) is not None:      # table.insert of a nil line adds nothing
                    conversation.append(lines[lineID])
            conversations.append(conversation)
            count = count + 1
            self.progress(count)

        xlua.progress(self.TOTAL_LINES, self.TOTAL_LINES)

        return conversations


# --- dataset.lua --------------------------------------------------------------------------------------------

class DataSet:
    typename = 'neuralconvo.DataSet'

    def __init__(self, loader=None, options=None):
        options = options if options is not None else {}

        self.examplesFilename = "data/examples.t7"

        # Reject words once vocab size reaches this threshold
        self.maxVocabSize = options.get('maxVocabSize') if options.get('maxVocabSize') is not None else 0

        # Maximum number of words in an example sentence
        self.maxExampleLen = options.get('maxExampleLen') if options.get('maxExampleLen') is not None else 25

        # Load only first fews examples (approximately)
        self.loadFirst = options.get('loadFirst')

        self.examples = []
        self.word2id = {}
        self.id2word = {}
        self.wordsCount = 0

        self.load(loader)

    def load(self, loader):
        filename = "data/vocab.t7"

        if path.exists(filename):
            print("Loading vocabulary from " + filename + " ...")
            data = lg.load(filename)
            self.word2id = data['word2id']
            self.id2word = data['id2word']
            self.wordsCount = data['wordsCount']
            self.goToken = data['goToken']
            self.eosToken = data['eosToken']
            self.unknownToken = data['unknownToken']
            self.examplesCount = data['examplesCount']
        else:
            print("" + filename + " not found")
            self.visit(loader.load())
            print("Writing " + filename + " ...")
            lg.save(filename, {
                'word2id': self.word2id,
                'id2word': self.id2word,
                'wordsCount': self.wordsCount,
                'goToken': self.goToken,
                'eosToken': self.eosToken,
                'unknownToken': self.unknownToken,
                'examplesCount': self.examplesCount,
            })

    def visit(self, conversations):
        self.examples = []

        # Add magic tokens
        self.goToken = self.makeWordId("<go>")  # Start of sequence
        self.eosToken = self.makeWordId("<eos>")  # End of sequence
        self.unknownToken = self.makeWordId("<unknown>")  # Word dropped from vocabulary

        print("-- Pre-processing data")

        total = self.loadFirst if self.loadFirst is not None else len(conversations) * 2

        for i, conversation in enumerate(conversations):
            if i >= total:
                break
            self.visitConversation(conversation)
            xlua.progress(i, total)

        # Revisit from the perspective of 2nd character
        for i, conversation in enumerate(conversations):
            if len(conversations) + i >= total:
                break
            self.visitConversation(conversation, 1)
            xlua.progress(len(conversations) + i, total)

        print("-- Shuffling ")
        newIdxs = lg.randperm(len(self.examples))
        sExamples = []
        for i, sample in enumerate(self.examples):
            sExamples.append(self.examples[newIdxs[i]])
        self.examples = sExamples

        self.examplesCount = len(self.examples)
        self.writeExamplesToFile()
        self.examples = None

    def writeExamplesToFile(self):
        print("Writing " + self.examplesFilename + " ...")
        file = lg.DiskFile(self.examplesFilename, "w")

        for i, example in enumerate(self.examples):
            file.writeObject(example)
            xlua.progress(i, len(self.examples))

        file.close()

    def batches(self, size):
        file = lg.DiskFile(self.examplesFilename, "r")
        file.quiet()
        done = False

        def nextBatch():
            nonlocal done
            if done:
                return None

            inputSeqs, targetSeqs = [], []
            maxInputSeqLen, maxTargetOutputSeqLen = 0, 0

            for i in range(size):
                example = file.readObject()
                if example is None:
                    done = True
                    file.close()
                    return None        # the Lua returns the global `examples`, never set: nil
                inputSeq, targetSeq = example
                if inputSeq.size(0) > maxInputSeqLen:
                    maxInputSeqLen = inputSeq.size(0)
                if targetSeq.size(0) > maxTargetOutputSeqLen:
                    maxTargetOutputSeqLen = targetSeq.size(0)
                inputSeqs.append(inputSeq)
                targetSeqs.append(targetSeq)

            # padding is LookupTableMaskZero's -1 (the Lua's 0)
            if size == 1:
                encoderInputs = lg.IntTensor(maxInputSeqLen).fill(-1)
                decoderInputs = lg.IntTensor(maxTargetOutputSeqLen - 1).fill(-1)
                decoderTargets = lg.IntTensor(maxTargetOutputSeqLen - 1).fill(-1)
            else:
                encoderInputs = lg.IntTensor(maxInputSeqLen, size).fill(-1)
                decoderInputs = lg.IntTensor(maxTargetOutputSeqLen - 1, size).fill(-1)
                decoderTargets = lg.IntTensor(maxTargetOutputSeqLen - 1, size).fill(-1)

            for samplenb in range(len(inputSeqs)):
                for word in range(inputSeqs[samplenb].size(0)):
                    eosOffset = maxInputSeqLen - inputSeqs[samplenb].size(0)  # for left padding
                    if size == 1:
                        encoderInputs[word] = inputSeqs[samplenb][word]
                    else:
                        encoderInputs[word + eosOffset][samplenb] = inputSeqs[samplenb][word]

            for samplenb in range(len(targetSeqs)):
                trimmedEosToken = targetSeqs[samplenb].sub(0, -2)
                for word in range(trimmedEosToken.size(0)):
                    if size == 1:
                        decoderInputs[word] = trimmedEosToken[word]
                    else:
                        decoderInputs[word][samplenb] = trimmedEosToken[word]

            for samplenb in range(len(targetSeqs)):
                trimmedGoToken = targetSeqs[samplenb].sub(1, -1)
                for word in range(trimmedGoToken.size(0)):
                    if size == 1:
                        decoderTargets[word] = trimmedGoToken[word]
                    else:
                        decoderTargets[word][samplenb] = trimmedGoToken[word]

            return encoderInputs, decoderInputs, decoderTargets
        return nextBatch

    def visitConversation(self, lines, start=None):
        start = start if start is not None else 0

        for i in range(start, len(lines), 2):
            input = lines[i]
            target = lines[i + 1] if i + 1 < len(lines) else None

            if target is not None:
                inputIds = self.visitText(input['text'])
                targetIds = self.visitText(target['text'], 2)

                if inputIds is not None and targetIds is not None:
                    # Revert inputs
                    inputIds = List(inputIds).reverse()

                    targetIds.insert(0, self.goToken)
                    targetIds.append(self.eosToken)

                    self.examples.append([lg.IntTensor(list(inputIds)), lg.IntTensor(targetIds)])

    def visitText(self, text, additionalTokens=None):
        words = []
        additionalTokens = additionalTokens if additionalTokens is not None else 0

        if text == "":
            return None

        for t, word in tokenizer.tokenize(text):
            words.append(self.makeWordId(word))
            # Only keep the first sentence
            if t == "endpunct" or len(words) >= self.maxExampleLen - additionalTokens:
                break

        if len(words) == 0:
            return None

        return words

    def makeWordId(self, word):
        if self.maxVocabSize > 0 and self.wordsCount >= self.maxVocabSize:
            # We've reached the maximum size for the vocab. Replace w/ unknown token
            return self.unknownToken

        word = word.lower()

        id = self.word2id.get(word)

        if id is None:
            id = self.wordsCount          # ids from 0
            self.wordsCount = self.wordsCount + 1
            self.id2word[id] = word
            self.word2id[word] = id

        return id


# --- seq2seq.lua --------------------------------------------------------------------------------------------

class Seq2Seq:
    # Based on https://github.com/Element-Research/rnn/blob/master/examples/encoder-decoder-coupling.lua
    typename = 'neuralconvo.Seq2Seq'

    MAX_OUTPUT_SIZE = 20

    def __init__(self, vocabSize, hiddenSize):
        assert vocabSize is not None, "vocabSize required at arg #1"
        assert hiddenSize is not None, "hiddenSize required at arg #2"
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.buildModel()

    def buildModel(self):
        self.encoder = nn.Sequential()
        self.encoder.add(nn.LookupTableMaskZero(self.vocabSize, self.hiddenSize))
        self.encoderLSTM = nn.FastLSTM(self.hiddenSize, self.hiddenSize).maskZero(1)
        self.encoder.add(nn.Sequencer(self.encoderLSTM))
        self.encoder.add(nn.Select(0, -1))

        self.decoder = nn.Sequential()
        self.decoder.add(nn.LookupTableMaskZero(self.vocabSize, self.hiddenSize))
        self.decoderLSTM = nn.FastLSTM(self.hiddenSize, self.hiddenSize).maskZero(1)
        self.decoder.add(nn.Sequencer(self.decoderLSTM))
        self.decoder.add(nn.Sequencer(nn.MaskZero(nn.Linear(self.hiddenSize, self.vocabSize), 1)))
        self.decoder.add(nn.Sequencer(nn.MaskZero(nn.LogSoftMax(), 1)))

        self.encoder.zeroGradParameters()
        self.decoder.zeroGradParameters()

    def cuda(self):
        self.encoder.cuda()
        self.decoder.cuda()

        if getattr(self, 'criterion', None) is not None:
            self.criterion.cuda()

    def float(self):
        self.encoder.float()
        self.decoder.float()

        if getattr(self, 'criterion', None) is not None:
            self.criterion.float()

    def getParameters(self):
        return nn.Container().add(self.encoder).add(self.decoder).getParameters()

    # Forward coupling: Copy encoder cell and output to decoder LSTM
    def forwardConnect(self, inputSeqLen):
        self.decoderLSTM.userPrevOutput = nn.rnn.recursiveCopy(
            self.decoderLSTM.userPrevOutput, self.encoderLSTM.outputs[inputSeqLen - 1])[0]
        self.decoderLSTM.userPrevCell = nn.rnn.recursiveCopy(
            self.decoderLSTM.userPrevCell, self.encoderLSTM.cells[inputSeqLen - 1])[0]

    # Backward coupling: Copy decoder gradients to encoder LSTM
    def backwardConnect(self, inputSeqLen):
        self.encoderLSTM.setGradHiddenState(inputSeqLen - 1, self.decoderLSTM.getGradHiddenState(-1))

    def eval(self, input):
        assert getattr(self, 'goToken', None) is not None, "No goToken specified"
        assert getattr(self, 'eosToken', None) is not None, "No eosToken specified"

        self.encoder.forward(input)
        self.forwardConnect(input.size(0))

        predictions = []
        probabilities = []

        # Forward <go> and all of it's output recursively back to the decoder
        output = [self.goToken]
        for i in range(self.MAX_OUTPUT_SIZE):
            prediction = self.decoder.forward(lg.Tensor(output))[len(output) - 1]
            # prediction contains the probabilities for each word IDs.
            # The index of the probability is the word ID.
            prob, wordIds = prediction.topk(5, 0, True, True)

            # First one is the most likely.
            next_output = wordIds[0]
            output.append(next_output)

            # Terminate on EOS token
            if next_output == self.eosToken:
                break

            predictions.append(wordIds)
            probabilities.append(prob)

        self.decoder.forget()
        self.encoder.forget()

        return predictions, probabilities


lg.register(Seq2Seq, 'neuralconvo.Seq2Seq')
neuralconvo.update(Seq2Seq=Seq2Seq, DataSet=DataSet, CornellMovieDialogs=CornellMovieDialogs)


# --- train.lua ----------------------------------------------------------------------------------------------

def make_cmd():
    cmd = lg.CmdLine()
    cmd.text('Options:')
    cmd.option('--dataset', 0, 'approximate size of dataset to use (0 = all)')
    cmd.option('--maxVocabSize', 0, 'max number of words in the vocab (0 = no limit)')
    cmd.option('--cuda', False, 'use CUDA')
    cmd.option('--opencl', False, 'use opencl')
    cmd.option('--hiddenSize', 300, 'number of hidden units in LSTM')
    cmd.option('--learningRate', 0.001, 'learning rate at t=0')
    cmd.option('--gradientClipping', 5, 'clip gradients at this value')
    cmd.option('--momentum', 0.9, 'momentum')
    cmd.option('--minLR', 0.00001, 'minimum learning rate')
    cmd.option('--saturateEpoch', 20, 'epoch at which linear decayed LR will reach minLR')
    cmd.option('--maxEpoch', 50, 'maximum number of epochs to run')
    cmd.option('--batchSize', 10, 'mini-batch size')
    cmd.option('--gpu', 0, 'Zero-indexed ID of the GPU to use. Optional.')
    cmd.text()
    return cmd


def train(arg):
    """train.lua as a function of its arguments; returns the model and each epoch's mean error."""
    cmd = make_cmd()
    options = cmd.parse(arg)

    if options['dataset'] == 0:
        options['dataset'] = None

    # Data
    print("-- Loading dataset")
    dataset = neuralconvo['DataSet'](neuralconvo['CornellMovieDialogs']("data/cornell_movie_dialogs"),
                                     {
                                         'loadFirst': options['dataset'],
                                         'maxVocabSize': options['maxVocabSize'],
                                     })

    print("\nDataset stats:")
    print("  Vocabulary size: " + str(dataset.wordsCount))
    print("         Examples: " + str(dataset.examplesCount))

    # Model
    model = neuralconvo['Seq2Seq'](dataset.wordsCount, options['hiddenSize'])
    model.goToken = dataset.goToken
    model.eosToken = dataset.eosToken

    # Training parameters
    if options['batchSize'] > 1:
        model.criterion = nn.SequencerCriterion(nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1))
    else:
        model.criterion = nn.SequencerCriterion(nn.ClassNLLCriterion())

    decayFactor = (options['minLR'] - options['learningRate']) / options['saturateEpoch']
    minMeanError = None

    # Enabled CUDA
    if options['cuda']:
        from legonn import cutorch
        cutorch.setDevice(options['gpu'])      # the Lua's options.gpu + 1: devices are 0-based
        model.cuda()

    # Run the experiment
    optimState = {'learningRate': options['learningRate'], 'momentum': options['momentum']}
    epoch_means = []
    for epoch in range(1, options['maxEpoch'] + 1):
        nextBatch = dataset.batches(options['batchSize'])
        params, gradParams = model.getParameters()

        # Define optimizer
        def feval(x):
            if x is not params:
                params.copy(x)

            gradParams.zero()
            encoderInputs, decoderInputs, decoderTargets = nextBatch()

            if options['cuda']:
                encoderInputs = encoderInputs.cuda()
                decoderInputs = decoderInputs.cuda()
                decoderTargets = decoderTargets.cuda()

            # Forward pass
            encoderOutput = model.encoder.forward(encoderInputs)
            model.forwardConnect(encoderInputs.size(0))
            decoderOutput = model.decoder.forward(decoderInputs)
            loss = model.criterion.forward(decoderOutput, decoderTargets)

            avgSeqLen = None
            if len(decoderInputs.size()) == 1:
                avgSeqLen = decoderInputs.size(0)
            else:
                # the real words: ids >= 0 (the Lua's sign of ids >= 1 counts them, padding 0 being 0)
                avgSeqLen = float(lg.sum(decoderInputs.ne(-1))) / decoderInputs.size(1)
            loss = loss / avgSeqLen

            # Backward pass
            dloss_doutput = model.criterion.backward(decoderOutput, decoderTargets)
            model.decoder.backward(decoderInputs, dloss_doutput)
            model.backwardConnect(encoderInputs.size(0))
            model.encoder.backward(encoderInputs, encoderOutput.zero())

            gradParams.clamp(-options['gradientClipping'], options['gradientClipping'])

            return loss, gradParams

        # run epoch

        print("\n-- Epoch " + str(epoch) + " / " + str(options['maxEpoch']) +
              "  (LR= " + str(optimState['learningRate']) + ")")
        print("")

        errors = []
        timer = lg.Timer()

        for i in range(math.floor(dataset.examplesCount / options['batchSize'])):
            _, tloss = optim.adam(feval, params, optimState)
            err = tloss[0]  # optim returns a list

            model.decoder.forget()
            model.encoder.forget()

            errors.append(err)
            xlua.progress((i + 1) * options['batchSize'] - 1, dataset.examplesCount)

        xlua.progress(dataset.examplesCount, dataset.examplesCount)
        timer.stop()

        errors = lg.Tensor(errors)
        print("\n\nFinished in " + xlua.formatTime(timer.time()['real']) +
              " " + str(dataset.examplesCount / timer.time()['real']) + ' examples/sec.')
        print("\nEpoch stats:")
        print("  Errors: min= " + str(errors.min()))
        print("          max= " + str(errors.max()))
        print("       median= " + str(errors.median()[0][0]))
        print("         mean= " + str(errors.mean()))
        print("          std= " + str(errors.std()))
        print("          ppl= " + str(lg.exp(errors.mean())))
        epoch_means.append(float(errors.mean()))

        # Save the model if it improved.
        if minMeanError is None or errors.mean() < minMeanError:
            print("\n(Saving model ...)")
            params, gradParams = None, None
            # Model is saved as CPU
            model.float()
            lg.save("data/model.t7", model)
            if options['cuda']:
                model.cuda()
            minMeanError = errors.mean()

        optimState['learningRate'] = optimState['learningRate'] + decayFactor
        optimState['learningRate'] = max(options['minLR'], optimState['learningRate'])

    return model, epoch_means


# --- eval.lua -----------------------------------------------------------------------------------------------

class Evaluator:
    """eval.lua's globals (the dataset and the loaded model) and its functions; the read-eval loop on stdin
    is left out."""

    def __init__(self, debug=False):
        self.options = {'debug': debug}
        # Data
        self.dataset = neuralconvo['DataSet']()
        print("-- Loading model")
        self.model = lg.load("data/model.t7")

    # Word IDs to sentence
    def pred2sent(self, wordIds, i=None):
        words = []
        i = i if i is not None else 0

        for wordId in wordIds:
            word = self.dataset.id2word[int(wordId[i])]
            words.append(word)

        return tokenizer.join(words)

    def printProbabilityTable(self, wordIds, probabilities, num):
        print("-" * (num * 22))

        for p, wordId in enumerate(wordIds):
            line = "| "
            for i in range(num):
                word = self.dataset.id2word[int(wordId[i])]
                line = line + "%-10s(%4d%%)" % (word, math.exp(probabilities[p][i]) * 100) + "  |  "
            print(line)

        print("-" * (num * 22))

    def say(self, text):
        wordIds = []

        for t, word in tokenizer.tokenize(text):
            id = self.dataset.word2id.get(word.lower(), self.dataset.unknownToken)
            wordIds.append(id)

        input = lg.Tensor(list(List(wordIds).reverse()))
        wordIds, probabilities = self.model.eval(input)

        print("neuralconvo> " + self.pred2sent(wordIds))

        if self.options['debug']:
            self.printProbabilityTable(wordIds, probabilities, 4)
        return self.pred2sent(wordIds)


# --- tests --------------------------------------------------------------------------------------------------

EXCHANGES = [("Hello.", "Hi!"), ("How are you?", "I am fine."), ("What is your name?", "My name is Bob."),
             ("Where do you live?", "In the city."), ("Bye.", "See you later.")]


def write_corpus(root, repeats=2):
    """data/cornell_movie_dialogs/movie_lines.txt and movie_conversations.txt in the Cornell format: each
    exchange ``repeats`` times as a two-line conversation, and one three-line conversation whose second and
    third lines make the second character's example."""
    d = root / 'data' / 'cornell_movie_dialogs'
    d.mkdir(parents=True)
    lines, convs, n = [], [], 0

    def line(text, who):
        nonlocal n
        n += 1
        lines.append(f"L{n} +++$+++ u{who} +++$+++ m0 +++$+++ {'AB'[who]} +++$+++ {text}")
        return f"L{n}"

    for r in range(repeats):
        for prompt, reply in EXCHANGES:
            ids = [line(prompt, 0), line(reply, 1)]
            convs.append("u0 +++$+++ u1 +++$+++ m0 +++$+++ ['" + "', '".join(ids) + "']")
    ids = [line("Is it late?", 0), line("Yes, very late.", 1), line("Good night.", 0), line("Missing", 1)]
    convs.append("u0 +++$+++ u1 +++$+++ m0 +++$+++ ['" + "', '".join(ids[:3] + ['L999']) + "']")
    (d / 'movie_lines.txt').write_text('\n'.join(lines) + '\n')
    (d / 'movie_conversations.txt').write_text('\n'.join(convs) + '\n')


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_corpus(tmp_path)
    return tmp_path


def test_tokenizer_scans_as_the_lexer_and_joins():
    """tokenizer.lua's lexer rules in order: blanks, dashes and tags dropped, quotes, words, punctuation, a run
    of dots one end token; join capitalises the first letter and glues the quote and punctuation back."""
    toks = list(tokenizer.tokenize("Hello, it's <i>well</i>-known... Right?!"))
    assert toks == [('word', 'Hello'), ('punct', ','), ('word', 'it'), ('quote', "'"), ('word', 's'),
                    ('word', 'well'), ('word', 'known'), ('endpunct', '...'), ('word', 'Right'),
                    ('endpunct', '?'), ('endpunct', '!')]
    assert tokenizer.join(['hello', ',', 'it', "'", 's', 'fine', '.']) == "Hello, it's fine."


def test_dataset_examples_vocabulary_and_batches(corpus):
    """DataSet.visit on the Cornell files: <go>, <eos>, <unknown> take ids 0, 1, 2; each example is the reversed
    first sentence of a line and the reply framed by <go>/<eos> (the second character's from a three-line
    conversation too; a missing line is skipped); they are written to data/examples.t7 through a DiskFile
    and ``batches`` reads them back into left-padded encoder inputs and right-padded decoder inputs/targets
    (-1 the padding). A second DataSet reads the vocabulary from data/vocab.t7."""
    lg.manualSeed(1)
    dataset = DataSet(CornellMovieDialogs("data/cornell_movie_dialogs"))
    assert (dataset.goToken, dataset.eosToken, dataset.unknownToken) == (0, 1, 2)
    assert dataset.examplesCount == 5 * 2 + 2
    ids = dataset.word2id
    f = lg.DiskFile('data/examples.t7', 'r').quiet()
    examples = []
    while (example := f.readObject()) is not None:
        examples.append([t.tolist() for t in example])
    assert len(examples) == 12
    hello = [ids['.'], ids['hello']], [0, ids['hi'], ids['!'], 1]
    second = [ids['.'], ids['late'], ids['very'], ids[','], ids['yes']], [0, ids['good'], ids['night'], ids['.'], 1]
    assert examples.count(list(hello)) == 2 and examples.count(list(second)) == 1

    next_batch = dataset.batches(3)
    enc, dec_in, dec_out = next_batch()
    assert enc.type() == 'torch.IntTensor'
    for b, (inp, tgt) in enumerate(examples[:3]):
        column = enc[:, b].tolist()
        assert column == [-1] * (enc.size(0) - len(inp)) + inp
        assert dec_in[:, b].tolist() == tgt[:-1] + [-1] * (dec_in.size(0) - len(tgt) + 1)
        assert dec_out[:, b].tolist() == tgt[1:] + [-1] * (dec_out.size(0) - len(tgt) + 1)
    batches = 1
    while next_batch() is not None:
        batches += 1
    assert batches == 4          # 12 examples: four full batches; the fifth call meets the end: nil

    again = DataSet()
    assert again.word2id == dataset.word2id and again.examplesCount == 12 and again.eosToken == 1


def test_seq2seq_coupled_gradients_against_finite_differences(corpus):
    """train.lua's feval on a batch: encoder forward, forwardConnect (the decoder LSTM starts from the encoder's
    last output and cell), decoder forward and the masked NLL; decoder backward, backwardConnect (the
    decoder's gradient at step -1 into the encoder's last step) and encoder backward with a zero gradOutput.
    The flat gradient equals central differences of the loss over every parameter."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    try:
        lg.manualSeed(2)
        model = Seq2Seq(7, 4)
        model.criterion = nn.SequencerCriterion(nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1))
        params, grads = model.getParameters()
        params.uniform(-0.5, 0.5)
        enc = lg.IntTensor([[-1, 3, 4], [5, 6, 2], [3, 4, 5]])
        dec_in = lg.IntTensor([[0, 0, 0], [4, 5, 6], [2, -1, 3]])
        dec_out = lg.IntTensor([[4, 5, 6], [2, 1, 3], [1, -1, 1]])

        def loss():
            model.encoder.forward(enc)
            model.forwardConnect(enc.size(0))
            value = model.criterion.forward(model.decoder.forward(dec_in), dec_out)
            model.decoder.forget()
            model.encoder.forget()
            return value

        grads.zero()
        encoderOutput = model.encoder.forward(enc)
        model.forwardConnect(enc.size(0))
        decoderOutput = model.decoder.forward(dec_in)
        model.criterion.forward(decoderOutput, dec_out)
        model.decoder.backward(dec_in, model.criterion.backward(decoderOutput, dec_out))
        model.backwardConnect(enc.size(0))
        model.encoder.backward(enc, encoderOutput.zero())
        analytic = grads.clone()
        model.decoder.forget()
        model.encoder.forget()
        from tests.checks import numeric_gradient
        numeric = numeric_gradient(loss, params.numpy())
        np.testing.assert_allclose(analytic.numpy(), numeric, atol=1e-7)
        assert np.abs(analytic.numpy()[:7 * 4 + 4 * 4 * 8 + 4 * 8]).sum() > 0    # the encoder's share is reached
    finally:
        lg.setdefaulttensortype('legonn.FloatTensor')


def np_fastlstm(x, mask, lstm, h, c):
    """rnn's FastLSTM over the steps of ``x`` (T x B x in): gates i, g, f, o from i2g(x) + o2g(h) (sigmoid, tanh,
    sigmoid, sigmoid), c = i g + f c, h = o tanh(c); maskZero(1) zeroes h and c of the rows ``mask`` marks.
    Returns the outputs and the last cell."""
    Wx, bx, Wh = lstm.i2g.weight.numpy(), lstm.i2g.bias.numpy(), lstm.o2g.weight.numpy()
    n = Wh.shape[1]
    out = []
    for t in range(x.shape[0]):
        z = x[t] @ Wx.T + bx + h @ Wh.T
        i, g, f, o = (1 / (1 + np.exp(-z[:, :n])), np.tanh(z[:, n:2 * n]), 1 / (1 + np.exp(-z[:, 2 * n:3 * n])),
                      1 / (1 + np.exp(-z[:, 3 * n:])))
        c = i * g + f * c
        h = o * np.tanh(c)
        h, c = np.where(mask[t][:, None], 0, h), np.where(mask[t][:, None], 0, c)
        out.append(h)
    return np.stack(out), c


def test_seq2seq_against_numpy(corpus):
    """Seq2Seq's encoder (LookupTableMaskZero, whose row 0 is the padding's zero row, then the masked FastLSTM,
    the last step selected) and the decoder started from the encoder's last output and cell (forwardConnect)
    then MaskZero'd Linear and LogSoftMax, against the formula; padded steps give zero rows. A left-padded
    sentence encodes as it does alone."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    try:
        lg.manualSeed(5)
        model = Seq2Seq(7, 4)
        model.getParameters()[0].uniform(-0.5, 0.5)
        enc = lg.IntTensor([[-1, 3], [5, 6], [3, 0]])
        dec = lg.IntTensor([[0, 0], [4, 5], [-1, 3]])
        encoded = model.encoder.forward(enc)
        model.forwardConnect(enc.size(0))
        logp = model.decoder.forward(dec)

        def embed(lookup, ids):
            return lookup.weight.numpy()[ids.numpy() + 1]
        zeros = np.zeros((2, 4))
        hs, c = np_fastlstm(embed(model.encoder.get(0), enc), enc.numpy() == -1, model.encoderLSTM, zeros, zeros)
        np.testing.assert_allclose(encoded.numpy(), hs[-1], rtol=1e-10)
        hd, _ = np_fastlstm(embed(model.decoder.get(0), dec), dec.numpy() == -1, model.decoderLSTM, hs[-1], c)
        lin = model.decoder.get(2).findModules('nn.Linear')[0][0]
        z = hd @ lin.weight.numpy().T + lin.bias.numpy()
        expected = z - np.log(np.exp(z).sum(2, keepdims=True))
        expected[dec.numpy() == -1] = 0
        np.testing.assert_allclose(np.stack([step.numpy() for step in logp]), expected, rtol=1e-10, atol=1e-12)

        model.decoder.forget()
        model.encoder.forget()
        alone = model.encoder.forward(lg.IntTensor([[5], [3]]))
        np.testing.assert_allclose(alone.numpy()[0], encoded.numpy()[0], rtol=1e-12)
    finally:
        lg.setdefaulttensortype('legonn.FloatTensor')


def test_average_length_counts_the_real_words():
    """train.lua divides the loss by ``torch.sum(torch.sign(decoderInputs)) / batch``: Torch7's ids are >= 1 and
    its padding 0, so the sign counts the words. With legonn's ids (<go> is 0) and padding -1 the literal
    line counts <go> as nothing and subtracts the padding; the port counts ``ne(-1)``."""
    dec_in = lg.IntTensor([[0, 0], [5, 6], [2, -1], [-1, -1]])
    assert float(lg.sum(dec_in.ne(-1))) / dec_in.size(1) == 2.5
    assert float(lg.sum(lg.sign(dec_in))) / dec_in.size(1) != 2.5
    torch7_ids = dec_in + 1            # the same batch as Torch7 holds it
    assert float(lg.sum(lg.sign(torch7_ids))) / dec_in.size(1) == 2.5


def test_train_learns_saves_and_eval_answers(corpus):
    """train.lua for 8 epochs on the corpus (hidden size 16, batch 2): adam with the learning rate decaying
    each epoch; the mean error falls to a fifth; the model saved when it improves loads back as a Seq2Seq
    whose LSTMs are still the ones inside its Sequencers, and eval.lua's ``say`` answers the prompts it
    learned by greedy decoding up to <eos>."""
    lg.manualSeed(3)
    model, means = train(['--hiddenSize', '16', '--batchSize', '2', '--maxEpoch', '8', '--learningRate', '0.05',
                          '--saturateEpoch', '8', '--minLR', '0.01'])
    assert means[-1] < means[0] / 5
    evaluator = Evaluator()
    saved = evaluator.model
    assert isinstance(saved, Seq2Seq) and saved.encoder.get(1).module is saved.encoderLSTM
    assert saved.decoder.get(1).module is saved.decoderLSTM
    assert saved.getParameters()[0].type() == 'torch.FloatTensor'
    replies = {prompt: evaluator.say(prompt) for prompt, _ in EXCHANGES}
    # the words were lower-cased into the vocabulary: join gives back the reply with only its first letter up
    learned = {p: tokenizer.join([w.lower() for _, w in tokenizer.tokenize(r)]) for p, r in EXCHANGES}
    assert learned['What is your name?'] == 'My name is bob.'
    assert sum(replies[p] == learned[p] for p, _ in EXCHANGES) >= 4, replies
    evaluator.options['debug'] = True           # eval.lua --debug: the table of the 4 likeliest words per step
    assert evaluator.say('Bye.') == replies['Bye.']
    wordIds, probabilities = saved.eval(lg.Tensor([evaluator.dataset.word2id['.'],
                                                   evaluator.dataset.word2id['hello']]))
    assert len(wordIds) == len(probabilities) == 2 and wordIds[0].size() == (5,)
    assert (probabilities[0][:-1] >= probabilities[0][1:]).all()


def test_train_one_example_per_batch(corpus):
    """train.lua's ``--batchSize 1`` branch: ``batches(1)`` gives 1-D sequences (no padding), the criterion is a
    plain SequencerCriterion(ClassNLLCriterion()) and the loss is divided by the sequence's length; two epochs
    lower the mean error."""
    lg.manualSeed(6)
    enc, dec_in, dec_out = DataSet(CornellMovieDialogs("data/cornell_movie_dialogs")).batches(1)()
    assert enc.dim() == dec_in.dim() == dec_out.dim() == 1 and int(enc.lt(0).sum()) == 0
    assert dec_in[0] == 0 and dec_out[-1] == 1 and dec_in.size(0) == dec_out.size(0)
    model, means = train(['--hiddenSize', '12', '--batchSize', '1', '--maxEpoch', '2', '--learningRate', '0.05'])
    assert lg.typename(model.criterion.criterion) == 'nn.ClassNLLCriterion'
    assert means[1] < means[0] * 0.8


@pytest.mark.gpu
def test_train_cuda(corpus):
    """train.lua with ``--cuda``: the model and criterion on the GPU, each batch moved with :cuda(); the error
    falls and the model is saved as float on the host."""
    lg.manualSeed(4)
    model, means = train(['--hiddenSize', '16', '--batchSize', '2', '--maxEpoch', '3', '--learningRate', '0.05',
                          '--cuda', '--gpu', '0'])
    assert model.encoder.getParameters()[0].type() == 'torch.CudaTensor'
    assert means[-1] < means[0]
    assert lg.load('data/model.t7').decoder.getParameters()[0].type() == 'torch.FloatTensor'
