"""recurrent.torch's examples/language/utils/textDataProvider.lua: a text file as a vector of word or character
ids, with the vocabulary and decoder tables. Ids are 0-based (the Lua's 1-based; '\\n' is word 0).

``file:read("*all"):split(' ')`` is xlua's string.split (legonn's ``sys.split``). loadTextFileChars reads the
bytes through ``byteVec:data()``, an FFI pointer indexed from 0, as ``x.data()`` is (docs/porting.md's row); its
vocabulary is keyed by byte values and its decoder gives ``string.char`` of each. encodeFunc's ``str[i]`` (char
mode) is nil in Lua (a string indexed by a number reads the string library's field); the port keeps the nil, so
each character encodes as -1 (255 in the ByteTensor) as in Torch7."""
import legonn as lg
from legonn import sys as tsys


def loadTextFileWords(filename, vocab=None):

    file = open(filename, 'r')
    words = tsys.split(file.read(), ' ')
    length = len(words)
    wordsVec = lg.LongTensor(len(words)).zero()

    vocab = vocab if vocab is not None else {'\n': 0}   # Lua's `or`: an empty table is kept
    currentNum = 0
    # count num words (in case of existing vocab)
    for _ in vocab.items():
        currentNum = currentNum + 1

    for i in range(length):
        currWord = words[i]
        encodedNum = vocab.get(currWord)
        if encodedNum is None:
            vocab[currWord] = currentNum
            encodedNum = currentNum
            currentNum = currentNum + 1
        wordsVec[i] = encodedNum

    decoder = {}
    for word, num in vocab.items():
        decoder[num] = word
    return wordsVec, vocab, decoder


def loadTextFileChars(filename, vocab=None):
    file = lg.DiskFile(filename, 'r')
    file.seekEnd()
    length = file.position()   # positions from 0 (docs/porting.md's Indices row): the size
    file.seek(0)
    byteVec = lg.ByteTensor(length)
    file.readByte(byteVec.storage())

    vocab = vocab if vocab is not None else {}
    currentNum = 0
    data = byteVec.data()
    for i in range(0, length):
        encodedNum = vocab.get(int(data[i]))
        if encodedNum is None:
            vocab[int(data[i])] = currentNum
            encodedNum = currentNum
            currentNum = currentNum + 1
        data[i] = encodedNum
    decoder = {}
    for val, num in vocab.items():
        decoder[num] = chr(val)
    return byteVec, vocab, decoder


def decodeFunc(decoder, mode):
    space = ''
    if mode == 'word':
        space = ' '

    def func(vec):
        output = ''
        for i in range(vec.size(0)):
            output = output + space + decoder[vec[i]]
        return output
    return func


def encodeFunc(vocab, mode):
    func = None
    if mode == 'word':
        def func(str):
            words = tsys.split(str, ' ')
            length = len(words)
            encoded = lg.LongTensor(len(words)).zero()

            for i in range(length):
                currWord = words[i]
                encodedNum = vocab.get(currWord)
                if encodedNum is None:
                    encodedNum = -1
                encoded[i] = encodedNum
            return encoded
    elif mode == 'char':
        def func(str):
            length = len(str)
            encoded = lg.ByteTensor(length).zero()

            for i in range(length):
                encodedNum = vocab.get(None)   # str[i]: nil in Lua (see above)
                if encodedNum is None:
                    encodedNum = -1
                encoded[i] = encodedNum
            return encoded
    return func
