"""seq2seq.torch's seqProvider.lua: serves batches of encoded lines (batch x length, padded with <PAD>, optionally
framed by <GO> ... <EOS>) from a text file, read once into a tds.Vec (``preprocess``) or line by line.

Line positions are 0-based: ``firstIndex`` is ``offsetStart`` (the Lua's ``1 + offsetStart``), ``lastIndex`` the
last line's position (the Lua's ``#data + offsetEnd``, less one), so ``size()`` and ``getBatch``'s tests are the
Lua's. ``reduceNumWords`` replaces the ids from ``num`` up (the Lua's ``> num`` of 1-based ids)."""
import os

import legonn as lg
from legonn import dok, paths, tds
from legonn import sys as tsys

from .vocabulary import vocabulary


def reduceNumWords(sentences, num, replaceWith):
    for v in sentences:
        for i in range(v.size(0)):
            if v[i] > num - 1:
                v[i] = replaceWith
    return sentences


class seqProvider:
    typename = 'seqProvider'

    def __init__(self, *args, **kwargs):
        args = dok.unpack(
            args or kwargs,
            'seqProvider',
            'Sequence feeder',
            {'arg': 'source', 'type': 'text', 'help': 'data source filename', 'required': True},
            {'arg': 'vocab', 'type': 'userdata', 'help': 'vocabulary class object'},
            {'arg': 'tokenizer', 'type': 'function', 'help': 'tokenizing function'},
            {'arg': 'padStart', 'type': 'boolean', 'help': 'token at start of eache sequence (optional)'},
            {'arg': 'padEnd', 'type': 'boolean', 'help': 'token at start of eache sequence (optional)'},
            {'arg': 'minLength', 'type': 'number', 'help': 'minimum sequence length', 'default': 1},
            {'arg': 'maxLength', 'type': 'number', 'help': 'maximum sequence length', 'default': 50},
            {'arg': 'offsetStart', 'type': 'number', 'help': 'start relative location in source', 'default': 0},
            {'arg': 'offsetEnd', 'type': 'number', 'help': 'end relative location in source', 'default': 0},
            {'arg': 'type', 'type': 'string', 'help': 'type of output tensor', 'default': 'torch.IntTensor'},
            {'arg': 'cacheFolder', 'type': 'text', 'help': 'cache folder', 'default': './cache/'},
            {'arg': 'preprocess', 'type': 'boolean', 'help': 'save a preprocessed file', 'default': True},
            {'arg': 'limitVocab', 'type': 'number', 'help': 'size limit for vocabulary'}
        )[0]
        self.maxLength = args['maxLength']
        self.minLength = args['minLength']
        self.padStart = args.get('padStart')
        self.padEnd = args.get('padEnd')
        self.buffer = lg.Tensor().type(args['type'])
        self.preprocess = args['preprocess']
        self.currentIndex = 0
        self.limitVocab = args.get('limitVocab')
        self.vocab = args.get('vocab')
        self.vocabSize = 0
        self.firstIndex = 0 + args['offsetStart']

        assert args['offsetStart'] >= 0
        assert args['offsetEnd'] <= 0

        tsys.execute('mkdir -p ' + args['cacheFolder'])

        filename = paths.basename(args['source'])
        cacheFilename = args['cacheFolder'] + filename + '_cached.t7'
        vocabFilename = args['cacheFolder'] + filename + '_vocab.t7'

        if self.vocab is None:
            if paths.filep(vocabFilename):
                self.vocab = lg.load(vocabFilename)
            else:
                self.vocab = vocabulary({'source': args['source'], 'tokenizer': args.get('tokenizer')})
                lg.save(vocabFilename, self.vocab)

        if self.limitVocab:
            self.vocab.reduceFrequent(self.limitVocab)
            self.limitVocab = min(self.limitVocab, self.vocab.size())

        if self.preprocess:
            if paths.filep(cacheFilename):
                self.data = lg.load(cacheFilename)
            else:
                self.data = self.__loadTextLinesVec(args['source'])   # the Lua passes 4 more, never read
                lg.save(cacheFilename, self.data)
            self.lastIndex = len(self.data) + args['offsetEnd'] - 1
            self.getItemFunc = lambda idx: self.data[idx]
            if self.limitVocab:
                self.data = reduceNumWords(self.data, self.limitVocab, self.vocab.unk())
        else:
            self.data = open(args['source'], 'r')
            self.lastIndex = args['offsetEnd'] + int(tsys.execute('wc -l ' + args['source'] + " | cut -d ' ' -f 1")) - 1
            self.reset()

            def getItemFunc(idx):
                line = self.data.readline()
                # Lua's file:read() drops the newline and gives nil at the end of the file
                line = (line[:-1] if line.endswith('\n') else line) if line else None
                return self.encode(line)
            self.getItemFunc = getItemFunc

    def encode(self, str):
        return self.vocab.encode(str, self.minLength, self.maxLength)

    def decode(self, vector):
        return self.vocab.decode(vector)

    def type(self, t):
        self.buffer = self.buffer.type(t)
        return self

    def size(self):
        return self.lastIndex - self.firstIndex + 1

    def __loadTextLinesVec(self, filename):
        file = open(filename, 'r')
        vector = tds.Vec()

        for line in file:
            line = line[:-1] if line.endswith('\n') else line   # Lua's file:lines() drops the newline
            wordsVec = self.encode(line)
            if wordsVec is not None:
                vector.insert(wordsVec)
        return vector

    def getIndexes(self, indexes):
        numSeqs = None
        byOrder = False
        if lg.type(indexes) == 'number':
            numSeqs = indexes
            byOrder = True
        else:
            numSeqs = indexes.size(0)
        startSeq = 0
        addedLength = 0
        currMaxLength = 0

        if self.padStart:
            startSeq = 1
            addedLength = 1
        if self.padEnd:
            addedLength = addedLength + 1
        bufferLength = self.maxLength + addedLength
        self.buffer.resize(numSeqs, bufferLength).fill(self.vocab.pad())
        if self.padStart:
            self.buffer.select(1, 0).fill(self.vocab.go())

        for i in range(numSeqs):
            idx = (indexes[i] if not byOrder else None)
            if idx is None:    # Lua's `(not byOrder and indexes[i]) or ...`: the position 0 is a number, not nil
                idx = self.currentIndex + i
            currSeq = self.getItemFunc(idx)
            if currSeq is not None:
                currLength = min(currSeq.nElement(), self.maxLength)
                currSeq = currSeq.narrow(0, 0, currLength)
                currMaxLength = max(currMaxLength, currLength)
                self.buffer[i].narrow(0, startSeq, currLength).copy(currSeq)
                if self.padEnd:
                    self.buffer[i][currLength + addedLength - 1] = self.vocab.eos()
        return self.buffer.narrow(1, 0, currMaxLength + addedLength)

    def getBatch(self, size):
        if self.currentIndex >= self.lastIndex:
            return None
        size = min(size, self.lastIndex - self.currentIndex + 1)
        batch = self.getIndexes(size)
        self.currentIndex = self.currentIndex + size
        return batch

    def reset(self):
        self.currentIndex = self.firstIndex
        if not self.preprocess:
            self.data.seek(0)
            for i in range(self.firstIndex):
                self.data.readline()

    def getVocab(self):
        return vocab  # noqa: F821  (a global nothing sets: the Lua returns nil, Python raises NameError)
