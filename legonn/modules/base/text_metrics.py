"""torch/rnn's text metrics (its measure.lua, and the n-gram helpers of its utils.lua): BLEU precision, ROUGE-N
recall and ROUGE-S skip-bigram F-score of a candidate sentence against one reference.

A sentence is a list of tokens (words, or word indices) or a 1-D tensor of indices. N-grams are keyed as the
Lua keys them, by the tokens' text joined with spaces (``table.concat``), so the index ``3`` and the double
``3.0`` of a tensor are the same token.
"""
import math

from ...tensor import Tensor
from ...tensor.introspection import tostring


def _sentence(name, sent):
    """``sent`` as a list of tokens (a 1-D tensor's ``totable()``), or a ValueError naming ``name``."""
    if isinstance(sent, Tensor):
        if sent.dim() != 1:
            raise ValueError(f"nn.{name}: expected a sentence as a list or a 1-D tensor, got a {sent.dim()}-D "
                             "tensor")
        return sent.totable()
    if not isinstance(sent, (list, tuple)):
        raise ValueError(f"nn.{name}: expected a sentence as a list or a 1-D tensor, got {type(sent).__name__}")
    return list(sent)


def get_ngrams(sent, n, count=None):
    """utils.lua: the n-grams of ``sent`` of 1 to ``n`` tokens. Without ``count`` a dict ``ngram -> 1``; with it
    ``ngram -> [occurrences, length]``."""
    ngrams = {}
    for beg in range(len(sent)):
        for last in range(beg, min(beg + n, len(sent))):
            ngram = ' '.join(tostring(w) for w in sent[beg:last + 1])
            length = last - beg + 1   # keep track of ngram length
            if not count:
                ngrams[ngram] = 1
            elif ngram not in ngrams:
                ngrams[ngram] = [1, length]
            else:
                ngrams[ngram][0] += 1
    return ngrams


def get_skip_bigrams(sent, ref, count=None, dskip=None):
    """utils.lua: the pairs of tokens of ``sent`` both found in the dict ``ref`` and fewer than ``dskip``
    positions apart, keyed by their texts joined without a separator, each counted once (the Lua's counting
    branch reads an undefined name, so it counts 1 too)."""
    skip_bigrams = {}
    for beg in range(len(sent)):
        if tostring(sent[beg]) in ref:
            for last in range(beg + 1, min(beg + dskip, len(sent))):
                if tostring(sent[last]) in ref:
                    skip_bigrams[tostring(sent[beg]) + tostring(sent[last])] = 1
    return skip_bigrams


def _ngram_matches(counted, against, n):
    """``[[total, matched], ...]`` per n-gram length 1..n (0-based list): the n-grams of the dict ``counted``
    and how many of them (clipped by their count) ``against`` holds."""
    results = [[0, 0] for _ in range(n)]
    for ngram, (freq, length) in counted.items():
        results[length - 1][0] += freq
        actual = against[ngram][0] if ngram in against else 0
        results[length - 1][1] += min(actual, freq)
    return results


def get_ngram_prec(cand, ref, n):
    """utils.lua: per n-gram length (index 0 for unigrams), ``[candidate n-grams, those in ref]``."""
    return _ngram_matches(get_ngrams(cand, n, 1), get_ngrams(ref, n, 1), n)


def get_ngram_recall(cand, ref, n):
    """utils.lua: per n-gram length (index 0 for unigrams), ``[reference n-grams, those in cand]``."""
    return _ngram_matches(get_ngrams(ref, n, 1), get_ngrams(cand, n, 1), n)


def get_bleu(cand, ref, n=4):
    """measure.lua: BLEU of ``cand`` against ``ref``, the geometric mean of the 1..n-gram precisions times the
    brevity penalty ``exp(1 - max(1, #ref / #cand))``; a length with no match counts a precision halved at each
    such length (1/2, 1/4, ...) over its total, a length the candidate lacks counts 1."""
    cand, ref = _sentence('get_bleu', cand), _sentence('get_bleu', ref)
    smooth = 1
    res = get_ngram_prec(cand, ref, n)
    brevPen = math.exp(1 - max(1, len(ref) / len(cand)))
    bleu = 1
    for total, matched in res:
        if total > 0:
            if matched == 0:
                smooth = smooth * 0.5
                matched = smooth
            bleu = bleu * (matched / total)
    return bleu ** (1 / n) * brevPen


def get_rougeN(cand, ref, n=4, weight=None):
    """measure.lua: ROUGE-N, the ``weight``-weighted mean over lengths 1..n (default: all on length n) of the
    recall of ``ref``'s n-grams in ``cand``."""
    cand, ref = _sentence('get_rougeN', cand), _sentence('get_rougeN', ref)
    if not weight:
        weight = [0] * n
        weight[n - 1] = 1
    res = get_ngram_recall(cand, ref, n)
    # a length with no reference n-gram is 0/0 in the Lua: NaN, as there
    rouge = sum((matched / total if total else math.nan) * w for (total, matched), w in zip(res, weight))
    return rouge / sum(weight[:n])


def get_rougeS(cand, ref, beta=1, dskip=None):
    """measure.lua: ROUGE-S, the F-score (``beta`` weighing recall) of the skip-bigrams (pairs of tokens fewer
    than ``dskip`` apart, default the candidate's length) shared by ``cand`` and ``ref``, over the counts
    ``(dskip - 1) * (2 * length - dskip) / 2`` of each sentence."""
    cand, ref = _sentence('get_rougeS', cand), _sentence('get_rougeS', ref)
    eps = 0.00000001
    beta = beta * beta
    dskip = min(dskip or len(cand), len(cand))
    cand_unigrams = get_ngrams(cand, 1)
    ref_unigrams = get_ngrams(ref, 1)
    cand_skip_bigrams = get_skip_bigrams(cand, ref_unigrams, 1, dskip)
    ref_skip_bigrams = get_skip_bigrams(ref, cand_unigrams, 1, dskip)
    correct = sum(min(cand_skip_bigrams.get(bigram, 0), freq) for bigram, freq in ref_skip_bigrams.items())
    total_skip_bigrams_ref = (dskip - 1) * (2 * len(ref) - dskip) / 2
    total_skip_bigrams_cand = (dskip - 1) * (2 * len(cand) - dskip) / 2
    rskip2 = correct / total_skip_bigrams_cand
    pskip2 = correct / total_skip_bigrams_ref
    return (1 + beta) * rskip2 * pskip2 / (rskip2 + beta * pskip2 + eps)
