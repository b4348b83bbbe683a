"""seq2seq.torch's vocabulary.lua: a word <-> id table built from a text file (tds.Hash), with the special tokens
<PAD>, <UNK>, <GO>, <EOS> put on top.

Ids are 0-based (docs/porting.md's Indices): the Lua's first id is 1 and each token added ``top`` takes id 1,
pushing the others up; here the first is 0, so after the four special tokens <PAD> is 0, <UNK> 1, <GO> 2, <EOS> 3
(the Lua's 1 to 4) and the words follow in the order they first appear. ``reduceFrequent(limit)`` keeps the ids
below ``limit`` (the Lua's ``1 .. limit``: as many words).

Lua's patterns in simpleTokenizer are written as Python regexes (``%s`` is C's isspace set, ``$`` the end of the
string); Lua's ``s:lower()`` lowers ASCII bytes only, Python's ``str.lower`` any letter: the same on ASCII text.
xlua's ``string.split`` (``line:split(' ')``) is legonn's ``sys.split`` (an empty first piece dropped), not
Python's ``str.split``."""
import re

import legonn as lg
from legonn import dok, tds
from legonn import sys as tsys

_LUA_SPACE = '[ \t\n\v\f\r]'


class SimpleTokenizer:
    """vocabulary.lua's local function simpleTokenizer, the vocabulary's default ``tokenizer`` field: seqProvider
    saves the vocabulary (torch.save writes the function's bytecode), and lg.save stores no code, so the function is
    an instance of a registered class (docs/porting.md's row on a replaced method in a saved model)."""
    typename = 'SimpleTokenizer'

    def __call__(self, sentence):
        removedSymbols = r'[\n,"?.!/\\<>():;]'
        line = re.sub(removedSymbols, '', sentence)
        line = re.sub(_LUA_SPACE + '+', ' ', line)
        line = re.sub(_LUA_SPACE + r'\Z', '', line).replace("'", " '").replace("’", "’ ").lower()
        words = tsys.split(line, ' ')
        return words


simpleTokenizer = SimpleTokenizer()
lg.register(SimpleTokenizer)


def createVocab(filename, tokenizer, vocab=None, *_):
    vocabSizeLimit = 2 ** 31 - 1  # integer limit
    vocabFreq = tds.Hash()
    vocab = vocab or tds.Hash()
    currentNum = 0
    for _ in vocab.items():
        currentNum = currentNum + 1

    file = open(filename, 'r')

    for line in file:
        line = line[:-1] if line.endswith('\n') else line   # Lua's file:lines() drops the newline
        words = tokenizer(line)
        length = len(words)
        for i in range(length):
            currWord = words[i]
            if currWord is not None:
                encodedNum = vocab[currWord]
                if encodedNum is None:
                    vocab[currWord] = currentNum
                    vocabFreq[currWord] = 0
                    currentNum = currentNum + 1
                vocabFreq[currWord] = vocabFreq[currWord] + 1
    file.close()
    return vocab, vocabFreq, currentNum


def sortFrequency(vocab, freq):
    currentNum = 0
    for _ in vocab.items():
        currentNum = currentNum + 1
    vocabFreq = lg.IntTensor(currentNum).zero()
    for word, num in vocab.items():
        vocabFreq[num] = freq[word]
    vocabFreq, sortedIdxs = vocabFreq.sort(0, True)
    newIdxs = lg.LongTensor(currentNum)
    for i in range(currentNum):
        newIdxs[sortedIdxs[i]] = i

    return vocab, vocabFreq


class vocabulary:
    typename = 'vocabulary'

    def __init__(self, *args, **kwargs):
        args = dok.unpack(
            args or kwargs,
            'vocabulary',
            'Sequence feeder',
            {'arg': 'source', 'type': 'text', 'help': 'data source filename', 'required': True},
            {'arg': 'tokenizer', 'type': 'function', 'help': 'tokenizing function', 'default': simpleTokenizer},
            {'arg': 'unkToken', 'type': 'string', 'help': 'unknown token', 'default': '<UNK>'},
            {'arg': 'padToken', 'type': 'string', 'help': 'unknown token', 'default': '<PAD>'},
            {'arg': 'startToken', 'type': 'string', 'help': 'token at start of eache sequence', 'default': '<GO>'},
            {'arg': 'endToken', 'type': 'string', 'help': 'token at start of eache sequence', 'default': '<EOS>'}
        )[0]
        self.unkToken = args['unkToken']
        self.tokenizer = args['tokenizer']
        self.limitVocab = args.get('limitVocab')
        self.startToken = args['startToken']
        self.endToken = args['endToken']
        self.padToken = args['padToken']
        self.unkToken = args['unkToken']
        self.decoder = None   # read as nil before createDecoder (docs/porting.md's `if x then` row)

        vocab, freq = createVocab(args['source'], self.tokenizer, None, True)[:2]
        self.vocab, self.vocabFreq = sortFrequency(vocab, freq)
        self.add(self.endToken, True)
        self.add(self.startToken, True)
        self.add(self.unkToken, True)
        self.add(self.padToken, True)

    def pad(self):
        return self.vocab[self.padToken]

    def go(self):
        return self.vocab[self.startToken]

    def unk(self):
        return self.vocab[self.unkToken]

    def eos(self):
        return self.vocab[self.endToken]

    def encode(self, str, minLength=None, maxLength=None):
        if str is None:
            return None

        minLength = minLength or 0
        maxLength = maxLength or 2 ** 31 - 1

        words = self.tokenizer(str)
        length = len(words)
        if length < minLength:
            return None
        length = min(length, maxLength)
        encoded = lg.IntTensor(length).zero()

        for i in range(length):
            currWord = words[i]
            encodedNum = self.vocab[currWord]
            if encodedNum is None:
                encodedNum = self.unk()
            encoded[i] = encodedNum
        return encoded

    def createDecoder(self):
        self.decoder = tds.Hash()
        for word, num in self.vocab.items():
            self.decoder[num] = word

    def decode(self, vec):
        if self.decoder is None:
            self.createDecoder()
        if vec is None:
            return None
        length = None
        if lg.type(vec) == 'number':
            vec = [vec]
        if lg.isTensor(vec):
            length = vec.size(0)
        else:
            length = len(vec)

        decoded = []
        for i in range(length):
            decoded.append(self.decoder[vec[i]])   # filled in order (docs/porting.md's t[#t + 1] row)
        return decoded

    def size(self):
        vocabSize = 0
        for word, num in self.vocab.items():
            vocabSize = vocabSize + 1
        return vocabSize

    def add(self, item, top=None):
        if item is None or self.vocab[item] is not None:
            return
        if top:
            for word, num in list(self.vocab.items()):   # a copy: Python refuses a dict changed while iterated
                self.vocab[word] = num + 1
            self.vocab[item] = 0
        else:
            self.vocab[item] = self.size()
        self.decoder = None

    def reduceFrequent(self, limit):
        if not limit:
            return
        for word, num in list(self.vocab.items()):
            if num > limit - 1:
                self.vocab[word] = None
        self.decoder = None

    def saveAsText(self, filename):
        file = open(filename, 'w')
        for w, n in self.vocab.items():
            if n != self.go() and n != self.eos() and n != self.unk():
                file.write(w + '\n')
        file.close()


lg.register(vocabulary)
