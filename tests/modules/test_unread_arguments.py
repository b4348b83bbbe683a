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


# (module, the arguments its Lua constructor reads, one it drops, a word of the class's own advice)
MODULES_DROPPING = [
    # Mean.lua's __init(dimension, nInputDims): squeeze is Sum's, never Mean's
    ('Mean', (0, 1), False, 'nn.Sum(dimension, nInputDims, true, false)'),
    # SoftPlus.lua's __init(beta): threshold is set to 20 whatever follows
    ('SoftPlus', (2,), 5, 'set m.threshold'),
    # VolumetricAveragePooling.lua's __init(kT, kW, kH, dT, dW, dH): it hands THNN pads of 0
    ('VolumetricAveragePooling', (2, 2, 2, 1, 1, 1), 1, 'cudnn.VolumetricAveragePooling takes'),
    # SpatialUpSamplingBilinear.lua's __init(params): a number or a table {oheight=, owidth=}
    ('SpatialUpSamplingBilinear', (2,), 9, "pass {'oheight': oh, 'owidth': ow}"),
]


@pytest.mark.parametrize('name, args, extra, advice', MODULES_DROPPING, ids=[c[0] for c in MODULES_DROPPING])
def test_a_module_argument_torch7_never_reads_is_refused_with_the_class_advice(name, args, extra, advice):
    cls = getattr(nn, name)
    shown = ', '.join(repr(a) for a in args + (extra,))
    with pytest.raises(TypeError) as err:
        cls(*args, extra)
    message = str(err.value)
    assert message.startswith(f"nn.{name}({shown}): its constructor takes ")
    assert advice in message and "nn.ConcatTable(2)" not in message
    cls(*args)   # what the Lua constructor reads is still taken


def test_what_the_lua_constructors_fix_is_what_the_modules_compute():
    """Lua's nn.Mean(1, nil, false) squeezes, nn.SoftPlus(1, 5) thresholds at 20, nn.VolumetricAveragePooling
    never pads: the fields legonn sets are those, and changing one after construction (as a Lua program can)
    changes what is computed."""
    x = lg.DoubleTensor([[1.0, 2.0], [3.0, 5.0]])
    mean = nn.Mean(0).double()
    assert mean.squeeze is True and tuple(mean.forward(x).size()) == (2,)
    mean.squeeze = False
    assert tuple(mean.forward(x).size()) == (1, 2)
    softplus = nn.SoftPlus().double()
    assert softplus.threshold == 20
    big = lg.DoubleTensor([6.0])
    assert softplus.forward(big).item() == pytest.approx(6.0 + 2.4726e-3, rel=1e-4)   # log(1 + e^6): below 20
    softplus.threshold = 5
    assert softplus.forward(big).item() == 6.0                                          # beta x > threshold: x
    pool = nn.VolumetricAveragePooling(2, 2, 2)
    assert (pool.padT, pool.padW, pool.padH) == (0, 0, 0)
    assert tuple(pool.forward(lg.randn(1, 4, 4, 4)).size()) == (1, 2, 2, 2)
    padded = cudnn.VolumetricAveragePooling(2, 2, 2, 2, 2, 2, 1, 1, 1)   # cudnn's constructor reads padding
    assert tuple(padded.forward(lg.randn(1, 4, 4, 4)).size()) == (1, 3, 3, 3)
    up = nn.SpatialUpSamplingBilinear({'oheight': 5, 'owidth': 3})
    assert tuple(up.forward(lg.randn(1, 2, 2)).size()) == (1, 5, 3)
    with pytest.raises(TypeError, match=r"^nn\.SpatialUpSamplingBilinear\(oheight=5, owidth=3\)"):
        nn.SpatialUpSamplingBilinear(oheight=5, owidth=3)


def test_maxout_refuses_the_preprocess_it_lacks_and_names_the_sequential_that_has_it():
    """Maxout.lua reads preprocess (a module between its View and its Max); legonn's fused Maxout has none, so
    it refuses one, saying so (not that Torch7 drops it), and names Maxout.lua's Sequential, which computes the
    same: checked here with an Identity as the preprocess and the Maxout's own parameters."""
    with pytest.raises(TypeError) as err:
        nn.Maxout(3, 2, 4, nn.Dropout(0.5))
    message = str(err.value)
    assert message.startswith("nn.Maxout(3, 2, 4, ") and "takes a fourth argument, preprocess" in message
    assert "Torch7 drops" not in message
    fused = nn.Maxout(3, 2, 4).double()
    linear = nn.Linear(3, 8).double()
    linear.weight.copy(fused.weight)
    linear.bias.copy(fused.bias)
    spelled = (nn.Sequential().add(linear).add(nn.View(4, 2).setNumInputDims(1)).add(nn.Identity())
               .add(nn.Max(0, 2)))
    for x in (lg.randn(5, 3).double(), lg.randn(3).double()):
        assert spelled.forward(x).equal(fused.forward(x))
