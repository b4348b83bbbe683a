"""Constructor arguments a Torch7 constructor never reads: Lua drops them (e-lab/ENet's encoder.lua builds its
initial block with ``nn.ConcatTable(2)``, waifu2x's srcnn.lua its attention with ``nn.Sigmoid(true)``);
legonn refuses them with a TypeError that names the class, where Python alone names the ancestor whose
``__init__`` it reached (``Module.__init__() takes 1 positional argument``)."""
import pytest

import legonn as lg
from legonn import cudnn, nn


@pytest.mark.parametrize('make, name, takes', [
    (lambda: nn.Sigmoid(True), 'nn.Sigmoid(True)', 'no arguments'),
    (lambda: nn.ConcatTable(2), 'nn.ConcatTable(2)', 'no arguments'),
    (lambda: nn.Linear(3, 4, True, 5), 'nn.Linear(3, 4, True, 5)', '(inputSize, outputSize, bias=True)'),
    (lambda: nn.Linear(3, 4, size=5), "nn.Linear(3, 4, size=5)", '(inputSize, outputSize, bias=True)'),
    (lambda: nn.MSECriterion(True, 1), 'nn.MSECriterion(True, 1)', '(sizeAverage=True)'),
    (lambda: cudnn.Sigmoid(True, 1), 'cudnn.Sigmoid(True, 1)', '(inplace=False)'),
])
def test_an_argument_the_constructor_has_no_parameter_for_is_refused_by_name(make, name, takes):
    with pytest.raises(TypeError) as err:
        make()
    message = str(err.value)
    assert message.startswith(f"{name}: its constructor takes {takes}")
    assert 'docs/porting.md' in message


# (criterion, the arguments its Lua constructor reads): none of them reads a sizeAverage
AVERAGING = [('SoftMarginCriterion', ()), ('DistKLDivCriterion', ()), ('MultiLabelMarginCriterion', ()),
             ('MarginCriterion', (0.5,)), ('HingeEmbeddingCriterion', (0.5,)), ('CosineEmbeddingCriterion', (0.5,)),
             ('MarginRankingCriterion', (0.5,)), ('MultiMarginCriterion', (2, None, 0.5)),
             ('WeightedMSECriterion', (lg.DoubleTensor([1.0, 2.0]),)), ('ClassSimplexCriterion', (3,))]


@pytest.mark.parametrize('name, args', AVERAGING, ids=[c[0] for c in AVERAGING])
def test_a_sizeaverage_torch7_never_reads_is_refused_saying_it_averages(name, args):
    """SoftMarginCriterion.lua's ``__init()``, MarginCriterion.lua's ``__init(margin)``, ... read no sizeAverage
    and set it true: torch/cunn's test.lua's ``nn.SoftMarginCriterion(sizeAverage == 1)`` averages for 0 too.
    legonn refuses the extra argument (read as sizeAverage, a false would sum) and says how to sum."""
    cls = getattr(nn, name)
    shown = ', '.join(repr(a) for a in args)
    for extra, kwargs, given in (((False,), {}, 'False'), ((), {'sizeAverage': True}, 'sizeAverage=True')):
        with pytest.raises(TypeError) as err:
            cls(*args, *extra, **kwargs)
        message = str(err.value)
        assert message.startswith(f"nn.{name}({shown}{', ' if shown else ''}{given}): its constructor takes ")
        assert "always averages" in message and "set crit.sizeAverage = False" in message
        assert "nn.ConcatTable(2)" not in message   # the class's own advice, not the general one
    assert cls(*args).sizeAverage is True


def test_a_sizeaverage_set_after_construction_sums():
    x, t = lg.DoubleTensor([[0.5, -1.0], [2.0, 0.25]]), lg.DoubleTensor([[1.0, 0.5], [-1.0, 0.25]])
    for crit in (nn.SoftMarginCriterion().double(), nn.DistKLDivCriterion().double()):
        mean = crit.forward(x, t)
        crit.sizeAverage = False
        assert crit.forward(x, t) == pytest.approx(4 * mean, rel=1e-12)


def test_a_user_module_without_its_own_constructor_is_named_too():
    class Clip01(nn.Module):
        def updateOutput(self, input):
            self.output = input.clamp(0, 1)
            return self.output

    with pytest.raises(TypeError, match=r"^nn\.Clip01\(0, 1\): its constructor takes no arguments"):
        Clip01(0, 1)
    assert Clip01().forward(lg.Tensor([2.0])).item() == 1


def test_calls_the_constructor_can_take_are_unchanged():
    assert nn.Linear(3, 4, None).bias is not None           # nil for a defaulted argument: the default
    assert nn.Linear(3, 4, bias=False).bias is None
    assert nn.Sigmoid().__class__ is nn.Sigmoid
    assert nn.ConcatTable().modules == []
    m = nn.Linear(3.0, 4.0)                                 # whole-number floats: integers
    assert tuple(m.weight.size()) == (4, 3)
    # a missing argument is Python's own error, which names the constructor that wants it
    with pytest.raises(TypeError, match=r"Linear.__init__\(\) missing 1 required positional argument"):
        nn.Linear(3)
