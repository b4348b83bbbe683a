"""dpnn's Serial decorator and serial modes (dpnn's Serial.lua, Module.lua serialMode/heavySerial/mediumSerial/
lightSerial) through lg.save / lg.load."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


def _mlp():
    lg.manualSeed(0)
    return nn.Sequential().extend(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 5),
                                  nn.Sequential().extend(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 7))).double()


def _trained(m):
    x, g = lg.DoubleTensor(4, 3).normal(), lg.DoubleTensor(4, 7).normal()
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, g)
    return x, g


def test_serial_port():
    """dpnn test/test.lua Serial: a Serial computes what its module does; saved in medium mode as FloatTensors
    (Lua's clone goes through write/read: here lg.serialize/deserialize), the copy has empty outputs of the new
    type and trains to the same numbers in float."""
    mlp = _mlp()
    mlp2 = mlp.clone().Serial()
    x, g = _trained(mlp)
    out, gi = mlp.output.clone(), mlp.gradInput.clone()
    np.testing.assert_allclose(mlp2.forward(x).numpy(), out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(mlp2.backward(x, g).numpy(), gi.numpy(), rtol=1e-12)
    mlp2.mediumSerial()
    mlp2.tensortype = 'torch.FloatTensor'
    mlp3 = lg.deserialize(lg.serialize(mlp2))
    assert mlp3.modules[0].output.nElement() == 0
    assert mlp3.modules[0].output.type() == 'torch.FloatTensor'
    assert mlp2.modules[0].output.type() == 'legonn.DoubleTensor' and mlp2.modules[0].output.nElement() == 28
    mlp3.zeroGradParameters()
    out3 = mlp3.forward(x.float())
    gi3 = mlp3.backward(x.float(), g.float())
    mlp.zeroGradParameters()
    mlp.forward(x)
    mlp.backward(x, g)
    np.testing.assert_allclose(out3.numpy(), mlp.output.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gi3.numpy(), mlp.gradInput.numpy(), rtol=1e-4, atol=1e-6)
    for a, b in zip(mlp.parameters()[0] + mlp.parameters()[1], mlp3.parameters()[0] + mlp3.parameters()[1]):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-6)


def test_serial_clone_writes_as_serial_lua():
    """Torch7's ``clone`` writes and reads the module, so a Serial's clone goes through Serial.lua's write: in
    medium mode with a tensortype the copy has empty outputs of that type (dpnn test/test.lua Serial); in heavy
    mode it keeps them. The Serial cloned is untouched, and ``clone(names)`` still shares those tensors."""
    mlp2 = _mlp().Serial()
    _trained(mlp2)
    heavy = mlp2.clone()
    assert heavy.modules[0].output.nElement() == 28 and heavy.modules[0].output.type() == 'torch.DoubleTensor'
    mlp2.mediumSerial()
    mlp2.tensortype = 'torch.FloatTensor'
    mlp3 = mlp2.clone()
    assert mlp3.modules[0].output.nElement() == 0 and mlp3.modules[0].output.type() == 'torch.FloatTensor'
    assert mlp3.modules[0].modules[0].weight.type() == 'torch.FloatTensor'
    assert mlp2.modules[0].output.nElement() == 28 and mlp2.modules[0].output.type() == 'torch.DoubleTensor'
    mlp2.tensortype = None
    shared = mlp2.clone('weight')
    assert shared.modules[0].modules[0].weight.storage() is mlp2.modules[0].modules[0].weight.storage()


def test_what_each_mode_keeps():
    """heavy keeps buffers and gradients, medium drops buffers (output, gradInput, momGradParams, dpnn_input and
    the clearState buffers), light drops the gradients too (they load as None), serialMode(names) drops exactly
    names; the model in memory is untouched; a model without a mode is saved as clearState leaves it."""
    mlp = _mlp()
    _trained(mlp)
    mlp.updateGradParameters(0.9)
    lin = mlp.modules[0]
    s = nn.Serial(mlp)
    for mode, output_kept, grads_kept, mom_kept in (('heavySerial', True, True, True), ('mediumSerial', False, True,
                                                    False), ('lightSerial', False, False, False)):
        getattr(s, mode)()
        again = lg.deserialize(lg.serialize(s)).modules[0].modules[0]
        assert (again.output.nElement() == 16) == output_kept
        assert (again.gradWeight is not None) == grads_kept
        assert ('momGradParams' in vars(again) and len(again.momGradParams) == 2) == mom_kept
        if grads_kept:
            np.testing.assert_array_equal(again.gradWeight.numpy(), lin.gradWeight.numpy())
        np.testing.assert_array_equal(again.weight.numpy(), lin.weight.numpy())
    assert lin.output.nElement() == 16 and lin.gradWeight.size() == (4, 3) and len(lin.momGradParams) == 2
    s.serialMode(['momGradParams'])
    again = lg.deserialize(lg.serialize(s)).modules[0].modules[0]
    assert again.momGradParams == [] and again.output.nElement() == 16 and again.gradWeight is not None
    plain = lg.deserialize(lg.serialize(_trained(_mlp()) and _mlp()))
    assert plain.modules[0].output.nElement() == 0


def test_a_serial_inside_a_plain_model_keeps_its_mode():
    """The outer model (no mode) is cleared; the heavy Serial inside keeps its buffers."""
    inner = nn.Linear(3, 7).double()
    outer = nn.Sequential().add(nn.Serial(nn.Sequential().add(inner)).heavySerial()).add(nn.Tanh()).double()
    x = lg.DoubleTensor(2, 3).normal()
    outer.forward(x)
    again = lg.deserialize(lg.serialize(outer))
    assert again.output.nElement() == 0 and again.modules[1].output.nElement() == 0
    assert again.modules[0].modules[0].modules[0].output.nElement() == 14


@pytest.mark.parametrize('mode, output_kept, grads_kept, mom_kept', [
    ('heavySerial', True, True, True), ('mediumSerial', False, True, False), ('lightSerial', False, False, False)])
def test_clone_of_a_model_holding_a_serial_writes_it_as_serial_lua(mode, output_kept, grads_kept, mom_kept):
    """Module.lua's clone writes the whole model to a memory file and reads it back, so a Serial nested in a
    plain model goes through Serial.lua's write: its modules leave out what their mode names, its tensortype
    converts them; the plain modules around it are copied whole (a mode outside a Serial is not applied); the
    model cloned is untouched and ``clone(names)`` still shares."""
    lin = nn.Linear(3, 4)
    serial = getattr(nn.Serial(nn.Sequential().add(lin)), mode)()
    outer = nn.Sequential().add(serial).add(nn.Tanh()).add(nn.Linear(4, 2)).double()
    outer.modules[2].lightSerial()   # outside any Serial: Torch7 writes it whole
    x, g = lg.DoubleTensor(5, 3).normal(), lg.DoubleTensor(5, 2).normal()
    outer.zeroGradParameters()
    outer.forward(x)
    outer.backward(x, g)
    outer.updateGradParameters(0.9)
    twin = outer.clone()
    copy = twin.modules[0].modules[0].modules[0]
    assert (copy.output.nElement() == 20) == output_kept
    assert (copy.gradWeight is not None) == grads_kept
    assert ('momGradParams' in vars(copy) and len(copy.momGradParams) == 2) == mom_kept
    np.testing.assert_array_equal(copy.weight.numpy(), lin.weight.numpy())
    assert twin.modules[1].output.nElement() == 20 and twin.modules[2].output.nElement() == 10
    assert twin.modules[2].gradWeight is not None and len(twin.modules[2].momGradParams) == 2
    assert lin.output.nElement() == 20 and lin.gradWeight is not None and len(lin.momGradParams) == 2
    serial.tensortype = 'torch.FloatTensor'
    typed = outer.clone()
    assert typed.modules[0].modules[0].modules[0].weight.type() == 'torch.FloatTensor'
    assert typed.modules[2].weight.type() == 'torch.DoubleTensor' and lin.weight.type() == 'torch.DoubleTensor'
    serial.tensortype = None
    shared = outer.clone('weight')
    assert shared.modules[0].modules[0].modules[0].weight.storage() is lin.weight.storage()


def test_serial_bad_arguments():
    with pytest.raises(ValueError, match="Serial: expected a tensor type such as 'torch.FloatTensor'"):
        nn.Serial(nn.Linear(2, 2), 'float')
    with pytest.raises(TypeError, match='serialMode: expected a list'):
        nn.Linear(2, 2).serialMode('output')
    assert nn.Serial(nn.Linear(2, 2), 'legonn.DoubleTensor').tensortype == 'legonn.DoubleTensor'


def test_serial_forward_jacobian_and_types():
    from tests.checks import assert_jacobian, assert_type_roundtrip
    assert_jacobian(nn.Serial(nn.Linear(3, 2)), lg.randn(2, 3))
    assert_type_roundtrip(nn.Serial(nn.Linear(3, 2)), lg.randn(2, 3))


@pytest.mark.gpu
def test_serial_saves_a_gpu_model_as_float():
    """The use dpnn gives: a CUDA model saved as FloatTensors, the model staying on the GPU."""
    m = nn.Serial(nn.Linear(3, 2), 'torch.FloatTensor').cuda()
    again = lg.deserialize(lg.serialize(m))
    assert m.modules[0].weight.type() == 'legonn.CudaTensor'
    assert again.modules[0].weight.type() == 'legonn.FloatTensor'
    np.testing.assert_array_equal(again.modules[0].weight.numpy(), m.modules[0].weight.float().numpy())


@pytest.mark.gpu
def test_clone_of_a_gpu_model_holding_a_float_serial():
    """A CUDA model's clone has its nested Serial('torch.FloatTensor') as FloatTensors, the rest on the GPU."""
    m = nn.Sequential().add(nn.Serial(nn.Linear(3, 2), 'torch.FloatTensor').mediumSerial()).add(nn.Tanh()).cuda()
    m.forward(lg.randn(4, 3).cuda())
    twin = m.clone()
    assert twin.modules[0].modules[0].weight.type() == 'legonn.FloatTensor'
    assert twin.modules[0].modules[0].output.nElement() == 0 and twin.modules[1].output.nElement() == 8
    assert twin.modules[1].output.type() == 'legonn.CudaTensor' and m.modules[0].modules[0].output.nElement() == 8
    np.testing.assert_array_equal(twin.modules[0].modules[0].weight.numpy(),
                                  m.modules[0].modules[0].weight.float().numpy())


@pytest.mark.parametrize('mode, output_kept', [('heavySerial', True), ('mediumSerial', False), ('lightSerial', False)])
def test_shared_clone_of_a_model_holding_a_serial_writes_it_as_dpnn(mode, output_kept):
    """dpnn's sharedClone takes the shared parameters and gradients out, clones the rest (a write and a read,
    through a nested Serial's write) and puts them back: the copy's buffers under the Serial are emptied by its
    mode and converted to its tensortype, its parameters and gradients stay the original's (type included)."""
    lin = nn.Linear(3, 4)
    serial = getattr(nn.Serial(nn.Sequential().add(lin)), mode)()
    outer = nn.Sequential().add(serial).add(nn.Tanh()).double()
    x = lg.DoubleTensor(5, 3).normal()
    outer.forward(x)
    outer.backward(x, lg.DoubleTensor(5, 4).normal())
    twin = outer.sharedClone()
    copy = twin.modules[0].modules[0].modules[0]
    assert (copy.output.nElement() == 20) == output_kept
    assert copy.gradWeight.storage() is lin.gradWeight.storage()   # lightSerial's gradients are shared, not written
    assert copy.weight.storage() is lin.weight.storage() and copy.bias.storage() is lin.bias.storage()
    assert twin.modules[1].output.nElement() == 20 and lin.output.nElement() == 20
    serial.tensortype = 'torch.FloatTensor'
    typed = outer.sharedClone()
    copy = typed.modules[0].modules[0].modules[0]
    assert copy.output.type() == 'torch.FloatTensor' and copy.weight.type() == 'torch.DoubleTensor'
    assert copy.weight.storage() is lin.weight.storage() and copy.gradBias.storage() is lin.gradBias.storage()
    assert lin.output.type() == 'torch.DoubleTensor' and typed.modules[1].output.type() == 'torch.DoubleTensor'
    unshared = outer.sharedClone(False, False).modules[0].modules[0].modules[0]
    assert unshared.weight.type() == 'torch.FloatTensor' and unshared.weight.storage() is not lin.weight.storage()


def test_step_clone_keeps_a_recurrent_module_whole_under_a_serial():
    """A recurrent module stepClone keeps whole (the very module, as dpnn's) is not written by the Serial
    above it: it keeps its type and buffers."""
    lstm = nn.LSTM(3, 4)
    model = nn.Serial(nn.Sequential().add(nn.Linear(3, 3)).add(lstm), 'torch.FloatTensor').double()
    x = lg.DoubleTensor(2, 3).normal()
    model.forward(x)
    step = model.stepClone()
    assert step.modules[0].modules[1] is lstm and lstm.parameters()[0][0].type() == 'torch.DoubleTensor'
    assert lstm.output.type() == 'torch.DoubleTensor' and lstm.output.nElement() == 8
    assert step.modules[0].modules[0].output.type() == 'torch.FloatTensor'
    assert model.modules[0].modules[1] is lstm
