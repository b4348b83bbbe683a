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
