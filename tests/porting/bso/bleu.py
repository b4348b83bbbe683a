"""BSO's bleu.lua: n-gram precisions and a sentence BLEU with the "halve m" smoothing of zero counts."""
import math


def get_ngram_prec(cand, ref, n=None):
    # n = number of ngrams to consider
    n = n if n is not None else 4
    results = {}
    for i in range(1, n + 1):
        results[i] = [0, 0]   # total, correct
    cand_ngrams = get_ngrams(cand, n, 1)
    ref_ngrams = get_ngrams(ref, n, 1)
    for ngram, d in cand_ngrams.items():
        count = d[0]
        l = d[1]
        results[l][0] = results[l][0] + count
        if ref_ngrams.get(ngram) is None:
            actual = 0
        else:
            actual = ref_ngrams[ngram][0]
        results[l][1] = results[l][1] + min(actual, count)
    return results


def get_ngrams(s, n, count=None):
    ngrams = {} if count else []
    count = count if count is not None else 0
    for i in range(len(s)):
        for j in range(i, min(i + n - 1, len(s) - 1) + 1):
            ngram = ' '.join(str(w) for w in s[i:j + 1])
            l = j - i + 1   # keep track of ngram length
            if count == 0:
                ngrams.append(ngram)
            else:
                if ngrams.get(ngram) is None:
                    ngrams[ngram] = [1, l]
                else:
                    ngrams[ngram][0] = ngrams[ngram][0] + 1
    return ngrams


def get_bleu(cand, ref, n=None):
    n = n if n is not None else 4
    m = 1
    if not isinstance(cand, list):
        cand = cand.totable()
    if not isinstance(ref, list):
        ref = ref.totable()
    r = get_ngram_prec(cand, ref, n)
    bp = math.exp(1 - max(1, len(ref) / len(cand)))
    bleu = 1
    for i in range(1, n + 1):
        if r[i][0] > 0:
            if r[i][1] == 0:
                m = m * 0.5
                r[i][1] = m
            prec = r[i][1] / r[i][0]
            bleu = bleu * prec
    bleu = bleu ** (1 / n)
    return bleu * bp
