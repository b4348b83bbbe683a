"""Every module's backward refuses a gradOutput of another type or on the other device (DESIGN.md rule 9):
a clear TypeError or ValueError naming the module, what it expected and what came, with parameters and
gradients left as they were. Every module whose output is one floating tensor is asked, but those that
declare ``reads_grad_output = False`` (Constant, ZeroGrad, ArgMax, the Reinforce family: their gradInput is
zeros or a reward's) and take whatever their caller hands them. Identity hands any type on, and a user's own
updateGradInput is not checked, as in Torch7 (the tests at the end)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor import Tensor
from tests.robustness import catalog
from tests.robustness.perturb import other_device
from tests.robustness.test_sweep import CLEAN_ERRORS, params, same

def _built_with_output(name):
    lg.manualSeed(1)
    obj, x, _ = catalog.build(name)
    catalog.refresh(name, obj)
    out = obj.forward(x)
    if not isinstance(out, Tensor) or out.dtype.kind != 'f':
        pytest.skip(f'{name} does not answer one floating tensor')
    if not type(obj).reads_grad_output:
        pytest.skip(f'{name} never reads its gradOutput')
    return obj, x, catalog.grad_like(out)


def _refused(name, obj, x, grad_output):
    before = params(obj)
    with pytest.raises(CLEAN_ERRORS) as caught:
        obj.backward(x, grad_output)
    message = str(caught.value)
    assert type(obj).__name__ in message and 'expected' in message, message
    assert same(before, obj), f'{name}: the refused backward changed parameters or gradients'


def _cases():
    return [name for name in catalog.concrete_names() if name not in catalog.CRITERIONS]


@pytest.mark.parametrize('name', _cases())
def test_grad_output_of_another_type_is_refused(name):
    obj, x, grad_output = _built_with_output(name)
    other = grad_output.double() if grad_output.dtype != np.float64 else grad_output.float()
    _refused(name, obj, x, other)


@pytest.mark.parametrize('name', _cases())
def test_grad_output_on_the_other_device_is_refused(name):
    obj, x, grad_output = _built_with_output(name)
    _refused(name, obj, x, other_device(grad_output))


class _Flip(nn.Module):
    """A user's module that defines only updateOutput, as cifar.torch's BatchFlip: Module's updateGradInput,
    which never reads gradOutput."""

    def updateOutput(self, input):
        self.output = input
        return self.output


def test_a_module_keeping_modules_update_grad_input_takes_any_grad_output():
    flip = _Flip().float()
    x = lg.FloatTensor(2, 3).fill(1)
    flip.forward(x)
    assert flip.backward(x, lg.DoubleTensor()) is flip.gradInput
    assert flip.backward(x, other_device(lg.FloatTensor(2, 3).zero())) is flip.gradInput


class _Sampler(nn.Module):
    """A user's module with its own updateGradInput reading numbers from gradOutput, as facebookresearch/MIXER's
    ReinforceSampler: a FloatTensor output whose gradient, in MIXER's double mode, is a DoubleTensor."""

    def updateOutput(self, input):
        self.output = lg.FloatTensor(input.size(0), 1).fill(1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        for i in range(input.size(0)):
            self.gradInput[i][1] = gradOutput[i][0]
        return self.gradInput


def test_a_users_update_grad_input_decides_what_it_reads():
    """Torch7 checks nothing at backward: a user's updateGradInput takes the gradOutput it is given (legonn's own
    modules still refuse another type, above)."""
    s = _Sampler()
    x = lg.DoubleTensor(2, 3).zero()
    s.forward(x)
    assert s.backward(x, lg.DoubleTensor([[2], [3]])).numpy().tolist() == [[0, 2, 0], [0, 3, 0]]


def test_identity_hands_on_a_grad_output_of_another_type():
    """Identity.lua passes gradOutput on as it comes: MIXER's step net ends in ``nn.Identity(){sample, logp,
    encoding}`` with a FloatTensor sample whose gradient is a DoubleTensor. Structure and sizes still count."""
    m = nn.Identity()
    x = [lg.FloatTensor(2, 1).zero(), lg.DoubleTensor(2, 3).zero()]
    m.forward(x)
    g = [lg.DoubleTensor(2, 1).fill(1), lg.DoubleTensor(2, 3).fill(2)]
    assert m.backward(x, g) is g
    with pytest.raises(ValueError, match=r'Identity.*gradOutput\[0\] to be a tensor of size \(2, 1\)'):
        m.backward(x, [lg.DoubleTensor(2, 2), g[1]])
