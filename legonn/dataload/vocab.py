"""Text helpers of utils.lua: vocabularies, tokens to word ids, string splitting, line counts. Word ids are
0-based (Torch7's start at 1)."""
import re

from ..tensor import IntTensor
from ..tensor.introspection import LUA_SPACE

OOV = '<OOV>'
# a word of the Lua's gmatch('[^%s]+') (and Penlight's '%s+' splits): Lua's %s is C's isspace, ASCII only, where
# str.split() also cuts at a no-break space, an em space or \x1c .. \x1f
_WORD = re.compile(f'[^{LUA_SPACE}]+')


def _tokens(where, tokens):
    if not isinstance(tokens, (list, tuple)) or not tokens or not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"dataload.{where}: expected a non-empty list of strings, got "
                        f"{type(tokens).__name__}{'' if not isinstance(tokens, (list, tuple)) else ' of other values'}")
    return tokens


def buildVocab(tokens, minfreq=-1):
    """``(vocab, ivocab, wordfreq)`` of the list of strings ``tokens``: ``wordfreq`` maps each word to its count,
    ``ivocab`` lists the words counted at least ``minfreq`` times in sorted order, then ``'<OOV>'`` (whose count
    is the rest's) when some were not, and ``vocab`` maps each to its 0-based index in ``ivocab``."""
    _tokens('buildVocab', tokens)
    wordfreq, ivocab, oov = count_words(tokens, minfreq)
    if oov > 0:
        ivocab.append(OOV)
    return {word: i for i, word in enumerate(ivocab)}, ivocab, wordfreq


def count_words(words, minfreq):
    """``(wordfreq, kept, oov)`` of the strings ``words``: each word's count, the words counted at least
    ``minfreq`` times in sorted order, and the count of the others together, which ``wordfreq`` also gives
    ``'<OOV>'`` when it is not 0."""
    wordfreq = {}
    for word in words:
        wordfreq[word] = wordfreq.get(word, 0) + 1
    kept = [word for word in sorted(wordfreq) if wordfreq[word] >= minfreq]
    oov = sum(freq for freq in wordfreq.values() if freq < minfreq)
    if oov > 0:
        wordfreq[OOV] = oov
    return wordfreq, kept, oov


def text2tensor(tokens, vocab):
    """An IntTensor of the word ids ``vocab`` gives ``tokens`` (a list of strings); words it lacks take the id
    of ``'<OOV>'``, which must then be in ``vocab``."""
    _tokens('text2tensor', tokens)
    oov = vocab.get(OOV)
    ids = []
    for word in tokens:
        wordid = vocab.get(word, oov)
        if wordid is None:
            raise ValueError(f"dataload.text2tensor: {word!r} is not in the vocabulary, which has no '<OOV>' word")
        ids.append(wordid)
    return IntTensor(ids)


def split_words(text):
    """The words of ``text``: its runs of characters other than Lua's white space (ASCII space, tab, newline,
    carriage return, form feed, vertical tab)."""
    return _WORD.findall(text)


def splitString(str, sep=':'):
    """The non-empty runs of ``str`` between any of the characters of ``sep`` (taken literally)."""
    return re.findall(f'[^{re.escape(sep)}]+', str)


def getNumberOfLines(filename):
    """The number of lines of the text file ``filename`` (a last line without a newline counts)."""
    with open(filename, 'rb') as f:
        return sum(1 for _ in f)
