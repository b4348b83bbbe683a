"""Constructor arguments Torch7 reads as numbers refuse a boolean, naming the class and the argument.

Torch7 reads them as ``x or default`` and hands them to C or to arithmetic, where ``true`` fails (``nn.SoftPlus(true)``
at its first forward, ``nn.MultiMarginCriterion(true)`` at its assert); in Python ``True == 1``, so without the
check legonn built a module Torch7 never would (``nn.SoftShrink(True)`` shrank by 1)."""
import pytest

from legonn import nn

CASES = [
    (lambda v: nn.SoftPlus(v), 'SoftPlus: beta'),
    (lambda v: nn.SoftShrink(v), 'SoftShrink: lambda'),
    (lambda v: nn.HardShrink(v), 'HardShrink: lambda'),
    (lambda v: nn.Sqrt(v), 'Sqrt: b'),
    (lambda v: nn.Power(v), 'Power: the power p'),
    (lambda v: nn.Normalize(v), 'Normalize: p'),
    (lambda v: nn.Normalize(2, v), 'Normalize: eps'),
    (lambda v: nn.Threshold(v), 'Threshold: th'),
    (lambda v: nn.MarginCriterion(v), 'MarginCriterion: margin'),
    (lambda v: nn.MultiMarginCriterion(1, None, v), 'MultiMarginCriterion: margin'),
    (lambda v: nn.MarginRankingCriterion(v), 'MarginRankingCriterion: margin'),
    (lambda v: nn.HingeEmbeddingCriterion(v), 'HingeEmbeddingCriterion: margin'),
    (lambda v: nn.L1HingeEmbeddingCriterion(v), 'L1HingeEmbeddingCriterion: margin'),
    (lambda v: nn.CosineEmbeddingCriterion(v), 'CosineEmbeddingCriterion: margin'),
]


@pytest.mark.parametrize('make, named', CASES, ids=[named for _, named in CASES])
@pytest.mark.parametrize('flag', [True, False])
def test_a_boolean_where_a_number_is_read_is_refused(make, named, flag):
    with pytest.raises(ValueError, match=rf"^{named} must be a number, got {flag}$"):
        make(flag)


@pytest.mark.parametrize('make, named', CASES, ids=[named for _, named in CASES])
def test_the_same_arguments_as_numbers_still_build(make, named):
    assert make(1) is not None
    assert make(0.5) is not None


def test_multi_margin_p_true_is_refused_as_the_lua_assert():
    with pytest.raises(ValueError, match=r"^MultiMarginCriterion: only p = 1 and p = 2 are supported, got True$"):
        nn.MultiMarginCriterion(True)
    assert nn.MultiMarginCriterion(2).p == 2
