"""Module.validateState: the state a constructor could have made (declared hyper-parameters in range,
parameters of the sizes they imply, gradients like their parameters, everything of the module's type),
checked by lg.load so a malformed file is refused with FormatError; accGradParameters's own checks."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.serialization import FormatError
from tests.checks import assert_rejected, with_fields
from tests.robustness import catalog
from tests.robustness.perturb import fake_cuda

MODULE_NAMES = [n for n in catalog.concrete_names() if n not in catalog.CRITERIONS]


@pytest.mark.parametrize('name', MODULE_NAMES)
def test_every_module_is_valid_as_built_used_and_converted(name):
    obj, x, _ = catalog.build(name)
    assert obj.validateState() is obj
    catalog.refresh(name, obj)
    catalog.run(obj, x, None)
    obj.validateState()
    obj.double().validateState()


def test_linear_with_a_1x1_grad_weight_is_malformed_and_backward_refuses_it():
    m = nn.Linear(64, 64)
    m.gradWeight = lg.FloatTensor(1, 1).zero()
    with pytest.raises(ValueError, match=r"Linear\(64 -> 64\): expected gradient 0 to be a legonn.FloatTensor "
                                         r"of size \(64, 64\) like its parameter, got legonn.FloatTensor of size "
                                         r"\(1, 1\)"):
        m.validateState()
    x = lg.FloatTensor(8, 64).uniform()
    out = m.forward(x)
    assert_rejected(m, ValueError, r"Linear\(64 -> 64\): expected gradient 0", 'backward', x, out.clone())
    assert_rejected(m, ValueError, r"Linear\(64 -> 64\): expected gradient 0", 'accGradParameters', x, out.clone())


def test_acc_grad_parameters_checks_grad_output_and_input_like_update_grad_input():
    m = nn.Linear(3, 2)
    x = lg.FloatTensor(4, 3).uniform()
    m.forward(x)
    assert_rejected(m, ValueError, r"Linear\(3 -> 2\): expected gradOutput to be a legonn.FloatTensor of size "
                                   r"\(4, 2\), got legonn.FloatTensor of size \(4, 5\)",
                    'accGradParameters', x, lg.FloatTensor(4, 5).uniform())
    assert_rejected(m, ValueError, r"Linear\(3 -> 2\): expected the input types and sizes of the last forward",
                    'accGradParameters', lg.FloatTensor(5, 3).uniform(), lg.FloatTensor(4, 2).uniform())
    # before any forward the module's own checks decide: gradOutput must be (input rows x outputSize)
    fresh = nn.Linear(3, 2)
    assert_rejected(fresh, ValueError, r"Linear\(3 -> 2\): expected gradOutput of size \(4, 2\), got \(4, 5\)",
                    'accGradParameters', x, lg.FloatTensor(4, 5).uniform())


def test_acc_grad_parameters_checks_grad_output_against_the_output_forward_made():
    """seq2seq-attn's s2sa/memory.lua (reuseMem/setReuse) sets ``m.gradInput = m.output`` on the LSTM's i2h and
    h2h Linears; updateGradInput then resizes that one tensor to the input's size before accGradParameters.
    nn/Linear.lua's accGradParameters reads only input and gradOutput, so Torch7 accumulates the true
    gradient; legonn compared gradOutput with the (resized) output tensor and refused it."""
    lg.manualSeed(2)
    x, go = lg.DoubleTensor(4, 3).uniform(), lg.DoubleTensor(4, 6).uniform()
    ref = nn.Linear(3, 6).double()
    ref.forward(x)
    expected = ref.backward(x, go).clone()
    m = ref.clone()
    m.zeroGradParameters()
    m.gradInput = m.output
    m.forward(x)
    got = m.backward(x, go)
    assert got is m.output and tuple(got.size()) == (4, 3)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.gradWeight.numpy(), ref.gradWeight.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), ref.gradBias.numpy(), rtol=1e-12)
    # the check itself stays: a gradOutput unlike the output forward made is refused, nothing accumulated
    m.forward(x)
    assert_rejected(m, ValueError, r"Linear\(3 -> 6\): expected gradOutput to be a legonn.DoubleTensor of size "
                                   r"\(4, 6\), got legonn.DoubleTensor of size \(4, 5\)",
                    'accGradParameters', x, lg.DoubleTensor(4, 5).uniform())


@pytest.mark.parametrize('make,x', [
    (lambda: nn.SpatialConvolution(2, 3, 3, 3), (2, 2, 5, 5)),
    (lambda: nn.SpatialFullConvolution(2, 3, 3, 3), (2, 2, 3, 3)),
    (lambda: nn.VolumetricConvolution(2, 2, 2, 2, 2), (1, 2, 3, 3, 3)),
])
def test_convolutions_refuse_a_grad_weight_unlike_the_weight(make, x):
    m = make()
    x = lg.FloatTensor(*x).uniform()
    out = m.forward(x)
    m.gradWeight = m.gradWeight.new(m.gradWeight.nElement() + 1).zero()
    name = type(m).__name__
    with pytest.raises(ValueError, match=rf"{name}\(.*\): expected gradient 0 to be a legonn.FloatTensor of size"):
        m.validateState()
    assert_rejected(m, ValueError, rf"{name}\(.*\): expected gradient 0", 'backward', x, out.clone())
    assert_rejected(m, ValueError, rf"{name}\(.*\): expected gradient 0", 'accGradParameters', x, out.clone())


@pytest.mark.parametrize('attr,value,match', [
    ('kW', -3, r"SpatialAveragePooling: kW must be a positive integer, got -3"),
    ('dH', 0, r"SpatialAveragePooling: dH must be a positive integer, got 0"),
    ('padW', -1, r"SpatialAveragePooling: padW must be a non-negative integer, got -1"),
    ('kH', 2.5, r"SpatialAveragePooling: kH must be a positive integer, got 2.5"),
])
def test_hostile_hyper_parameters_are_refused(attr, value, match):
    m = nn.SpatialAveragePooling(2, 2)
    setattr(m, attr, value)
    with pytest.raises(ValueError, match=match):
        m.validateState()


def test_parameter_sizes_follow_the_hyper_parameters():
    m = nn.SpatialConvolution(2, 3, 3, 3)
    m.nOutputPlane = 4
    with pytest.raises(ValueError, match=r"SpatialConvolution: weight must be of size 4x2x3x3, got \(3, 2, 3, 3\)"):
        m.validateState()
    bn = nn.BatchNormalization(3)
    bn.running_var = lg.FloatTensor(5)
    with pytest.raises(ValueError, match=r"BatchNormalization: running_var must be of size 3, got \(5,\)"):
        bn.validateState()
    bn.running_mean = 'not a tensor'
    with pytest.raises(ValueError, match=r"BatchNormalization: malformed state"):
        bn.validateState()


def test_parameters_must_have_the_module_type_and_device():
    m = nn.Linear(3, 2)
    m.bias = m.bias.double()
    with pytest.raises(TypeError, match=r"Linear: parameter 1 must be a legonn.FloatTensor \(the module's type\), "
                                        r"got legonn.DoubleTensor"):
        m.validateState()
    m = nn.Linear(3, 2)
    m.gradWeight = fake_cuda(m.gradWeight)
    with pytest.raises(TypeError, match=r"Linear: gradient 0 must be a legonn.FloatTensor .*got legonn.CudaTensor"):
        m.validateState()


def test_containers_name_the_malformed_child():
    seq = nn.Sequential().add(nn.Tanh()).add(nn.Concat(1).add(nn.Linear(3, 2)).add(nn.Linear(3, 4)))
    seq.get(1).get(1).gradBias = lg.FloatTensor(7)
    with pytest.raises(ValueError, match=r"Sequential\[1\] Concat\[1\] Linear\(3 -> 4\): expected gradient 1"):
        seq.validateState()


@pytest.mark.parametrize('corrupt', [
    lambda: with_fields(nn.Linear(64, 64), gradWeight=lg.FloatTensor(1, 1)),
    lambda: with_fields(nn.SpatialAveragePooling(2, 2), kW=-3),
    lambda: with_fields(nn.SpatialMaxPooling(2, 2), dW=0),
    lambda: with_fields(nn.SpatialConvolution(2, 3, 3, 3), gradWeight=lg.FloatTensor(3, 2, 3, 2)),
    lambda: nn.Sequential().add(nn.Linear(3, 2)).add(with_fields(nn.TemporalConvolution(2, 2, 2), kW=-1)),
], ids=['linear-1x1-gradWeight', 'avgpool-negative-kW', 'maxpool-zero-stride', 'conv-gradWeight', 'nested'])
def test_load_refuses_a_malformed_module_with_format_error(tmp_path, corrupt):
    path = str(tmp_path / 'bad.lg')
    lg.save(path, corrupt())
    with pytest.raises(FormatError, match=r"object \d+ \(\w+\) has an invalid state: "):
        lg.load(path)


def test_load_still_accepts_well_formed_modules(tmp_path):
    model = nn.Sequential().add(nn.SpatialConvolution(1, 2, 3, 3)).add(nn.SpatialAveragePooling(2, 2))
    path = str(tmp_path / 'good.lg')
    lg.save(path, model)
    loaded = lg.load(path)
    x = lg.FloatTensor(1, 1, 6, 6).uniform()
    np.testing.assert_array_equal(loaded.forward(x).numpy(), model.forward(x).numpy())


@pytest.mark.parametrize('make,seen,other', [
    (lambda: nn.SpatialAdaptiveMaxPooling(2, 2), (1, 2, 5, 5), (1, 2, 4, 4)),
    (lambda: nn.TemporalDynamicKMaxPooling(2), (5, 3), (4, 3)),
])
def test_poolings_with_saved_indices_refuse_backward_on_another_input(make, seen, other):
    m = make()
    out = m.forward(lg.FloatTensor(*seen).uniform())
    go = out.clone().fill(1)
    with pytest.raises(ValueError, match=rf"{type(m).__name__}.*: expected the input types and sizes of the last "
                                         r"forward"):
        m.backward(lg.FloatTensor(*other).uniform(), go)
    fresh = make()
    with pytest.raises(ValueError, match=r"expected a forward\(\) on this input before backward\(\)"):
        fresh.backward(lg.FloatTensor(*seen).uniform(), go)
    # the input forward saw still works, and its gradient lands on the maxima it picked
    x = lg.FloatTensor(*seen).uniform()
    out = m.forward(x)
    gi = m.backward(x, out.clone().fill(1))
    assert gi.sum() == out.nElement()
    assert np.all(np.isin(out.numpy(), x.numpy()[gi.numpy() > 0]))   # windows may overlap: > 0


class _UserScale(nn.Module):
    """A user's module, written the Torch7 way without any checks of its own: y = w * x for 1-D x."""

    def __init__(self, n):
        super().__init__()
        self.weight = lg.FloatTensor(n).fill(2)
        self.gradWeight = lg.FloatTensor(n).zero()

    def updateOutput(self, input):
        self.output = input.clone().cmul(self.weight)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput.clone().cmul(self.weight)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.gradWeight.array += scale * gradOutput.array * input.array   # would broadcast a 1-element gradOutput


def test_a_users_module_gets_the_accumulation_checks_without_writing_them():
    m = _UserScale(3)
    x = lg.FloatTensor(3).uniform()
    m.forward(x)
    assert_rejected(m, ValueError, r"_UserScale: expected gradOutput to be a legonn.FloatTensor of size \(3,\), got "
                                   r"legonn.FloatTensor of size \(1,\)", 'accGradParameters', x, lg.FloatTensor(1))
    m.gradWeight = lg.FloatTensor(1).zero()
    with pytest.raises(ValueError, match=r"_UserScale: expected gradient 0 to be a legonn.FloatTensor of size \(3,\)"):
        m.accGradParameters(x, x.clone())
    m.gradWeight = lg.FloatTensor(3).zero()
    m.accGradParameters(x, x.clone().fill(1), 0.5)
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * x.numpy())


def _declared_cases():
    cases = []
    for name in MODULE_NAMES:
        cls = nn.registry[name]
        cases += [pytest.param(name, attr, bad, id=f"{name}-{attr}={bad}")
                  for attr in cls.positive_ints for bad in (0, -3, 1.5)]
        cases += [pytest.param(name, attr, bad, id=f"{name}-{attr}={bad}")
                  for attr in cls.nonnegative_ints for bad in (-1, '2')]
    return cases


@pytest.mark.parametrize('name,attr,bad', _declared_cases())
def test_every_declared_hyper_parameter_refuses_hostile_values(name, attr, bad):
    obj, _, _ = catalog.build(name)
    setattr(obj, attr, bad)
    with pytest.raises(ValueError, match=rf"{name}: {attr} must be a (positive|non-negative) integer, got {bad!r}"):
        obj.validateState()
    delattr(obj, attr)
    if attr not in type(obj).__dict__ and not any(attr in vars(k) for k in type(obj).__mro__):
        with pytest.raises(ValueError, match=rf"{name}: hyper-parameter {attr} is missing"):
            obj.validateState()


def test_hyper_parameters_are_declared_for_the_geometry_modules():
    declared = {n for n in MODULE_NAMES if nn.registry[n].positive_ints}
    geometry = {n for n in MODULE_NAMES if n.startswith(('Spatial', 'Volumetric', 'Temporal'))
                and ('Convolution' in n or 'Pooling' in n)}
    assert geometry - declared == set()
