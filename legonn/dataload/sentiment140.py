"""loadSentiment140 and Sentiment140Loader (loadSentiment140.lua): tweets of Sentiment140 as left-padded rows
of word ids with binary polarity targets. Ids are 0-based: ``<OOV>`` is 0 and the padding -1 (legonn's
LookupTableMaskZero padding; Torch7's are 1 and 0); targets are 0 (negative) and 1 (positive) (Torch7: 1, 2)."""
import itertools
import os
import re
import time
import types

from ..tensor import LongTensor
from ..tensor.indexing import is_whole
from . import config
from .tensorloader import TensorLoader
from .vocab import OOV, count_words, split_words

SENTIMENT140_URL = 'http://cs.stanford.edu/people/alecmgo/trainingandtestdata.zip'
PADDING = -1
_FIELD = re.compile(r'[^",]+')   # the Lua's '[^",]+': fields are the runs between quotes and commas
_POLARITY = {0: 0, 4: 1}           # 2 (neutral) is left out


def tensor2text(loader, tensor):
    """The words of the 1-D ``tensor`` of word ids (padding left out), joined by spaces."""
    if tensor.dim() != 1:
        raise ValueError(f"tensor2text: expected a 1-D tensor of word ids, got sizes {tuple(tensor.size())}")
    return ' '.join(loader.ivocab[i] for i in tensor.tolist() if i >= 0)


def _read(filename):
    """``(polarities, texts)`` of the CSV file: fields 0 and 5 of each line."""
    polarities, texts = [], []
    # lines end at \n only, as Lua's io.lines: a CR stays in the line (white space to the words), where Python's
    # universal newlines cut a tweet holding one in two
    with open(filename, encoding='utf-8', errors='replace', newline='\n') as f:
        for number, line in enumerate(f, 1):
            fields = _FIELD.findall(line.rstrip('\n'))
            if len(fields) < 6:
                raise ValueError(f"dataload.Sentiment140Loader: {filename} line {number}: expected 6 fields "
                                 f"(polarity, id, date, query, user, text), got {len(fields)}")
            try:
                polarities.append(int(float(fields[0])))
            except (ValueError, OverflowError):   # not a number; nan; inf, or a number past a double ('1e999')
                raise ValueError(f"dataload.Sentiment140Loader: {filename} line {number}: polarity "
                                 f"{fields[0]!r} is not a number") from None
            texts.append(split_words(fields[5]))
    return polarities, texts


def _vocabulary(texts, minfreq):
    """``(vocab, ivocab, unigram)``: ``<OOV>`` is word 0, then the words seen at least ``minfreq`` times in
    sorted order; ``unigram`` counts each (``<OOV>``: the rarer words together)."""
    wordfreq, kept, _ = count_words(itertools.chain.from_iterable(texts), minfreq)
    ivocab = [OOV] + kept
    unigram = LongTensor([wordfreq.get(word, 0) for word in ivocab])
    return {word: i for i, word in enumerate(ivocab)}, ivocab, unigram


def Sentiment140Loader(filename, vocab, maxlen=50):
    """``(loader, maxlen)``: a TensorLoader of the tweets of the tokenised CSV ``filename`` that are negative
    (polarity 0, target 0) or positive (4, target 1); neutral ones (2) are left out. Inputs are
    ``n x maxlen`` LongTensors of word ids, right-aligned (left-padded with -1, longer tweets truncated).
    ``vocab``: a number builds the vocabulary from the file, keeping words seen at least that many times, and
    sets ``ivocab`` and ``unigram`` on the loader; a dict uses it. Words not in it are ``<OOV>`` (0)."""
    if not is_whole(maxlen) or maxlen <= 0:
        raise ValueError(f"dataload.Sentiment140Loader: maxlen must be a positive integer, got {maxlen!r}")
    maxlen = int(maxlen)
    polarities, texts = _read(filename)
    ivocab = unigram = None
    if isinstance(vocab, (int, float)) and not isinstance(vocab, bool):
        vocab, ivocab, unigram = _vocabulary(texts, vocab)
    elif not isinstance(vocab, dict):
        raise TypeError(f"dataload.Sentiment140Loader: vocab must be a minimum frequency or a dict, got "
                        f"{type(vocab).__name__}")
    kept = []
    for number, (polarity, words) in enumerate(zip(polarities, texts), 1):
        if polarity == 2:
            continue
        if polarity not in _POLARITY:
            raise ValueError(f"dataload.Sentiment140Loader: {filename} line {number}: unrecognised polarity "
                             f"{polarity} (expected 0, 2 or 4)")
        kept.append((polarity, words))
    if not kept:
        raise ValueError(f"dataload.Sentiment140Loader: {filename} holds no negative or positive tweet")
    inputs = LongTensor(len(kept), maxlen).fill(PADDING)
    rows = inputs.numpy()
    for row, (_, words) in zip(rows, kept):
        ids = [vocab.get(word, 0) for word in words[:maxlen]]
        row[maxlen - len(ids):] = ids
    loader = TensorLoader(inputs, LongTensor([_POLARITY[polarity] for polarity, _ in kept]))
    loader.vocab = vocab
    if ivocab is not None:
        loader.ivocab, loader.unigram = ivocab, unigram
    return loader, maxlen


def loadSentiment140(datapath=None, minfreq=3, seqlen=50, validratio=1 / 8, srcurl=SENTIMENT140_URL,
                     progress=True):
    """``(train, valid, test)`` loaders of Sentiment140's tokenised files in ``datapath`` (default
    ``DATA_PATH/Twitter``): ``traintokens.1600000.processed.noemoticon.csv`` and
    ``testtokens.manual.2009.06.14.csv``, the outputs of dataload's ``twitter/twokenize.py`` on the CSV files of
    ``srcurl`` (legonn neither downloads nor tokenises). The vocabulary is the training set's words seen at
    least ``minfreq`` times; tweets are ``seqlen`` ids (``Sentiment140Loader``). The training set is shuffled,
    then its last ``validratio`` is the validation set. Every loader has ``vocab``, ``ivocab``, ``unigram``
    and ``tensor2text(tensor)``. Unlike the Lua, nothing is cached to disk."""
    datapath = os.path.join(config.DATA_PATH, 'Twitter') if datapath is None else datapath
    trainfile, testfile = config.require_files(
        'loadSentiment140', datapath,
        ['traintokens.1600000.processed.noemoticon.csv', 'testtokens.manual.2009.06.14.csv'],
        srcurl + ' (then run dataload\'s twitter/twokenize.py -i <csv> -o <tokens csv> on both files)')
    if progress:
        print('Load & processing training data.')
    began = time.time()
    trainset, _ = Sentiment140Loader(trainfile, minfreq, seqlen)
    if progress:
        print(f'Number of tweets: {trainset.size()}')
        print(f'Vocabulary size: {len(trainset.ivocab)}')
        print(f'Number of occurences replaced with <OOV> token: {int(trainset.unigram[0])}')
        print(f'Tweet corpus size (in number of tokens): {int(trainset.unigram.sum())}')
    trainset.shuffle()
    if progress:
        print(f'trainset set processed in {time.time() - began}s')
    testset, _ = Sentiment140Loader(testfile, trainset.vocab, seqlen)
    vocab, ivocab, unigram = trainset.vocab, trainset.ivocab, trainset.unigram
    trainset, validset = trainset.split(1 - validratio)
    for loader in (trainset, validset, testset):
        loader.vocab, loader.ivocab, loader.unigram = vocab, ivocab, unigram
        loader.tensor2text = types.MethodType(tensor2text, loader)
    return trainset, validset, testset
