"""examples/word-language-model/get_data.lua: tokenises the train, valid and test files (PTB's penn/*.txt by
default) into LongTensors of word ids, one dictionary for the three, ``<eos>`` after each line.

Edits beyond syntax and indices: the Lua file returns a function, here ``get_data(files, path)``; word ids are
0-based (``#dict.idx2word + 1`` is ``len(dict['idx2word'])``), as legonn's LookupTable and CrossEntropyCriterion
take them. ``io.lines(path)`` is ``open(path)`` read line by line without the newline.
"""
import re

import legonn as lg
from legonn import paths
from legonn.pl import stringx


# | Initialize a very basic dictionary object.
def initdictionary():
    return {
        'idx2word': [],
        'word2idx': {},
    }


def addword(dict_, word):
    if word not in dict_['word2idx']:
        id_ = len(dict_['idx2word'])
        dict_['word2idx'][word] = id_
        dict_['idx2word'].append(word)
        return id_
    return dict_['word2idx'][word]


def _lines(path):
    with open(path) as f:
        for line in f:
            yield line.rstrip('\n')


# | Tokenize a text file.
def loadfile(path, dict_):
    # Read words from file.
    assert paths.filep(path)
    tokens = 0
    for line in _lines(path):
        words = stringx.split(
            re.sub(r"\s*$", "", re.sub(r"^\s*", "", re.sub(r"\s+", " ", line))),
            " "
        )
        for word in words:
            addword(dict_, word)
            tokens = tokens + 1
        addword(dict_, "<eos>")
        tokens = tokens + 1

    ids = lg.LongTensor(tokens)
    token = 0
    for line in _lines(path):
        words = stringx.split(
            re.sub(r"\s*$", "", re.sub(r"^\s*", "", re.sub(r"\s+", " ", line))),
            " "
        )
        for word in words:
            ids[token] = dict_['word2idx'][word]
            token = token + 1
        ids[token] = dict_['word2idx']['<eos>']
        token = token + 1

    # Final dataset.
    return ids


def get_data(files, path=None):
    path = path or "."
    dict_ = initdictionary()
    return {
        'train': loadfile(
            files['train'] if files['train'] != '' else path + '/penn/train.txt',
            dict_),
        'valid': loadfile(
            files['valid'] if files['valid'] != '' else path + '/penn/valid.txt',
            dict_),
        'test': loadfile(
            files['test'] if files['test'] != '' else path + '/penn/test.txt',
            dict_),
        'dict': dict_,
    }
