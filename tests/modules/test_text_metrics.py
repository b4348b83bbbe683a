"""torch/rnn's text metrics (legonn/modules/base/text_metrics.py): nn.get_bleu, nn.get_rougeN, nn.get_rougeS and
the n-gram helpers of nn.utils, on sentences small enough to count by hand. torch/rnn's own cases are ported in
tests/porting/test_torch_rnn_testlua_more.py."""
import math

import pytest

import legonn as lg
from legonn import nn


def test_ngrams_key_tokens_as_lua_text():
    # a tensor's doubles and a list's ints are the same tokens, as table.concat writes both as "3"
    assert nn.utils.get_ngrams([3, 4], 2) == {'3': 1, '3 4': 1, '4': 1}
    assert nn.utils.get_ngrams(lg.Tensor([3, 3]).totable(), 1, 1) == {'3': [2, 1]}


def test_bleu_by_hand():
    assert nn.get_bleu(['a', 'b'], ['a', 'b'], 2) == pytest.approx(1)
    # unigrams 2/3, bigrams 1/2, brevity penalty exp(1 - 4/3)
    expected = math.sqrt(2 / 3 * 1 / 2) * math.exp(1 - 4 / 3)
    assert nn.get_bleu(['a', 'b', 'c'], ['a', 'b', 'd', 'e'], 2) == pytest.approx(expected)
    # no bigram matches: the smoothed count 1/2 over 1 bigram
    assert nn.get_bleu(['a', 'c'], ['a', 'b'], 2) == pytest.approx(math.sqrt(1 / 2 * 1 / 2))


def test_bleu_takes_a_tensor_as_the_list_of_its_indices():
    cand, ref = [1, 2, 3, 5], [1, 2, 3, 4, 5]
    assert nn.get_bleu(lg.LongTensor(cand), lg.Tensor(ref), 3) == pytest.approx(nn.get_bleu(cand, ref, 3))


def test_rougeN_by_hand():
    assert nn.get_rougeN(['a', 'b'], ['a', 'b', 'c'], 1) == pytest.approx(2 / 3)
    assert nn.get_rougeN(['a', 'b'], ['a', 'b', 'c'], 2, [1, 1]) == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_rougeS_by_hand():
    # the same sentence: the 3 skip-bigrams ab, ac, bc shared, recall = precision = 1
    assert nn.get_rougeS(['a', 'b', 'c'], ['a', 'b', 'c'], 1, 3) == pytest.approx(1)
    # reversed: no skip-bigram in common
    assert nn.get_rougeS(['a', 'b', 'c'], ['c', 'b', 'a'], 1, 3) == 0


@pytest.mark.parametrize('metric', [nn.get_bleu, nn.get_rougeN, nn.get_rougeS])
def test_bad_sentences_name_the_metric(metric):
    with pytest.raises(ValueError, match=rf"nn\.{metric.__name__}: expected a sentence as a list or a 1-D "
                                         r"tensor, got a 2-D tensor"):
        metric(lg.zeros(2, 2), [1, 2])
    with pytest.raises(ValueError, match=rf"nn\.{metric.__name__}: .* got str"):
        metric('a b', ['a'])
