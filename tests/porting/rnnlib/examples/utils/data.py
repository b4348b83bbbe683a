"""examples/utils/data.lua: tokenisation utilities (a dictionary of words with their frequencies in tds containers,
pruning it by a frequency threshold or to the most frequent words, loading a file as one tensor of word ids or
one tensor per line, cutting a tensor into bptt x batch batches, padding a batch of sentences).

Edits beyond syntax and indices:

* Word ids are 0-based (``#dic.idx2word`` after the insert is ``len(dic['idx2word']) - 1``): ``</s>`` is 0,
  ``<unk>`` 1; ``dic.idx2freq[2]`` (``<unk>``'s count) is ``idx2freq[1]``. Two values the Lua writes as ids move
  with them: formatData's padding ``val`` defaults to 0 (the Lua's 1, ``</s>``), and loadFile's unfilled tail
  slots hold -1 (the Lua's 0, no word).
* ``dic.word2idx[w] or dic.word2idx['<unk>']`` tests for nil: with 0-based ids ``</s>`` is 0, which Python's
  ``or`` would skip, so it is ``is None`` (docs/porting.md's ``a or b`` row).
* Lua's patterns: ``s:gsub('%s*', '')`` and ``%s+`` are ``re.sub`` over Lua's ``%s`` (C's isspace: space, \\t, \\n,
  \\v, \\f, \\r); ``select(2, s:gsub('%s+', ''))`` (the count) is ``len(re.findall(...))``; ``trim`` strips that set.
* makedictionary's argcheck declares ``common_words`` but its ``call`` never reads it (initdictionary() takes the
  defaults): kept so. ``collectgarbage()`` calls are dropped.
* argcheck's named calls (``data.loadFile{filename = ..., dic = ..., preservelines = true}``) are keyword
  arguments; ``io.lines`` is ``open`` read line by line.
"""
import math
import re

import legonn as lg
from legonn import tds
from legonn.pl import stringx

_SPACE = ' \t\n\v\f\r'
_SPACES = '[' + re.escape(_SPACE) + ']'

# Setup timer.
timer = lg.Timer()


# | Start timing section.
def tic():
    timer.reset()


# | End timing section.
def toc():
    return timer.time()['real']


def _lines(filename):
    with open(filename) as f:
        for line in f:
            yield line.rstrip('\n')


# | Trim whitespace.
def trim(s):
    return s.strip(_SPACE)


# | Add a word to a dictionary.
def addword(dic, word):
    if dic['word2idx'][word] is None:
        dic['idx2word'].insert(word)
        dic['word2idx'][word] = len(dic['idx2word']) - 1
        dic['idx2freq'].append(1)
    else:
        dic['idx2freq'][dic['word2idx'][word]] = dic['idx2freq'][dic['word2idx'][word]] + 1
    return dic


# Words common to all corpuses.
# You can add <pad>.
default_words = [
    "</s>", "<unk>",
]


# | Initialize a dictionary as a table.
# dic.idx2freq will be fed into a tensor constructor.
def initdictionary(common_words=None):
    common_words = common_words or default_words
    dic = {
        'idx2word': tds.Vec(),
        'word2idx': tds.Hash(),
        'idx2freq': [],
    }

    for w in common_words:
        addword(dic, w)

    return dic


# | Create a dictionary from a file without filtering.
def makedictionary(filename, common_words=None):
    tic()
    dic = initdictionary()
    lines = 0
    for line in _lines(filename):
        sline = stringx.split(line, ' ')
        for w in sline:
            w = re.sub(_SPACES + '*', '', w)
            if w != '':
                addword(dic, w)
        lines = lines + 1
    dic['idx2freq'][dic['word2idx']['</s>']] = lines
    dic['idx2freq'][dic['word2idx']['<unk>']] = (dic['idx2freq'][1] if dic['idx2freq'][1] != 0
                                                 else 1)  # nonzero hack

    dic['idx2freq'] = lg.Tensor(dic['idx2freq'])
    print('| Dictionary size %d' % len(dic['idx2word']))
    print('* Dictionary took', toc(), 's')
    return dic


# | Rebuild a dictionary given the new indices and frequencies.
def remakedic(dic, idxs, freqs):
    new_dic = initdictionary()
    new_dic['idx2freq'] = freqs
    for i in range(idxs.size(0)):
        word = dic['idx2word'][int(idxs[i])]
        new_dic['idx2word'].insert(word)
        new_dic['word2idx'][word] = len(new_dic['idx2word']) - 1
    print('| Pruned dictionary size %d' % len(new_dic['idx2word']))
    return new_dic


# | Filter based on a frequency threshold.
def _threshold(idx2freq, value):
    # Seems like nonzero has a bug: 1d vector returns 2d.
    idxs = idx2freq.gt(value).nonzero().squeeze()
    freqs = idx2freq.index(0, idxs)
    return idxs, freqs


# | Take the top `value` occurring words.
def _histogram(idx2freq, value):
    freqs, idxs = lg.sort(idx2freq, True)
    return idxs.narrow(0, 0, value), freqs.narrow(0, 0, value)


# A table of functions with different strategies for pruning dictionaries.
prune = {
    'threshold': _threshold,
    'histogram': _histogram,
}


# | Prune a dictionary.
# Prune should be a function from the above data.prune table.
def prunedictionary(dic, prune, value, common_words=None):
    common_words = default_words if common_words is None else common_words
    word_store = {}
    for w in common_words:
        # zero these out since they will be added in remakedic
        word_store[w] = float(dic['idx2freq'][dic['word2idx'][w]])
        dic['idx2freq'][dic['word2idx'][w]] = 0

    newdic = remakedic(dic, *prune(dic['idx2freq'], value))

    for w in common_words:
        # reset back to original values
        newdic['idx2freq'][newdic['word2idx'][w]] = word_store[w]

    return newdic


# | Tokenize a file using a dictionary.
def loadFile(filename, dic, preservelines=False):
    tic()
    words = 0
    lines = 0

    # Count # of words in corpus.
    for line in _lines(filename):
        occurrences = len(re.findall(_SPACES + '+', trim(line)))
        # +1 because of undercounting of separaters.
        # +1 because of eos.
        words = words + occurrences + 2
        lines = lines + 1

    data = [] if preservelines is True else lg.LongTensor(words).fill(-1)

    words = 0
    lines = 0

    # Collect tokens.
    for line in _lines(filename):
        lines = lines + 1
        sline = stringx.split(re.sub(_SPACES + '+', ' ', trim(line)), ' ')
        linelen = len(sline)

        if preservelines:
            data.append(lg.LongTensor(linelen + 1))

        for i in range(linelen):
            w = re.sub(_SPACES + '*', '', sline[i])

            if w != '':
                words = words + 1
                idx = dic['word2idx'][w]
                idx = dic['word2idx']['<unk>'] if idx is None else idx
                if preservelines:
                    data[lines - 1][i] = idx
                else:
                    data[words - 1] = idx

        # Insert the eos </s> character.
        words = words + 1
        if preservelines:
            data[lines - 1][linelen] = dic['word2idx']['</s>']
        else:
            data[words - 1] = dic['word2idx']['</s>']

    if preservelines:
        numtokens = 0
        for i in range(len(data)):
            numtokens = numtokens + data[i].nElement()
    else:
        numtokens = data.size(0)

    print("| Load file %s: %d tokens" % (filename, len(data) if preservelines else data.size(0)))
    print('* Load file took: ', toc(), 's')

    return data


def formatData(data, bsz, bptt, val=None, policy=None):
    # Batches are of size bptt x batchsize.
    # The data needs to be transform into a tensor of
    # size nbatch x bptt x batchsize.

    val = 0 if val is None else val
    policy = policy or 'pad-back'
    ntoken = data.nElement()

    # Round the number of batches down if not padding.
    nbatch = (math.floor(ntoken / (bsz * bptt)) if policy == "pad-none"
              else math.ceil(ntoken / (bsz * bptt)))

    tsize = nbatch * bsz * bptt
    ndata = lg.Tensor(tsize).typeAs(data).fill(val)

    if policy == 'pad-back':
        ndata.narrow(0, 0, ntoken).copy(data)
    elif policy == 'pad-front':
        ndata.narrow(0, tsize - ntoken, ntoken).copy(data)
    elif policy == 'pad-none':
        ndata.copy(data.narrow(0, 0, tsize))
    else:
        raise ValueError('invalid padding policy')

    data = ndata.view(bsz, nbatch, bptt).permute(1, 2, 0)
    return data


# | Batched padding options.
# buffer    : torch.Tensor(batchsize, padlength) where the result will be placed.
# sentences : A table of the sentence sin torch.Tensor form.
# padlength : The length of the buffer's second dimension.
# padvalue  : The value of the padding token.
def _front(buffer, sentences, padlength, padvalue):
    # Place padding tokens in the front.
    buffer.resize(padlength, len(sentences)).fill(padvalue)
    for i in range(len(sentences)):
        len_ = sentences[i].size(0)
        (buffer
            .select(1, i)
            .narrow(0, padlength - len_, len_)
            .copy(sentences[i]))


def _back(buffer, sentences, padlength, padvalue):
    # Place padding tokens in the back.
    buffer.resize(padlength, len(sentences)).fill(padvalue)
    for i in range(len(sentences)):
        len_ = sentences[i].size(0)
        (buffer
            .select(1, i)
            .narrow(0, 0, len_)
            .copy(sentences[i]))


def _both(buffer, sentences, padlength, padvalue):
    # Place padding tokens so that each sentence is sort of in the middle.
    buffer.resize(padlength, len(sentences)).fill(padvalue)
    for i in range(len(sentences)):
        len_ = sentences[i].size(0)
        (buffer
            .select(1, i)
            .narrow(0, math.floor((padlength - len_) / 2), len_)
            .copy(sentences[i]))


batchpad = {
    'front': _front,
    'back': _back,
    'both': _both,
}
