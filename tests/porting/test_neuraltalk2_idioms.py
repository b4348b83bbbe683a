"""Idioms of karpathy/neuraltalk2's train.lua and eval.lua: checkpoints of 'thin' clones whose gradients
were dropped (net_utils.sanitize_gradients sets gradWeight/gradBias to nil), loaded and given fresh
gradients again (unsanitize_gradients) before training resumes."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


def sanitize(net):
    for m in net.listModules():
        if m.weight is not None and m.gradWeight is not None:
            m.gradWeight = None
        if m.bias is not None and m.gradBias is not None:
            m.gradBias = None


def unsanitize(net):
    for m in net.listModules():
        if m.weight is not None and m.gradWeight is None:
            m.gradWeight = m.weight.clone().zero()
        if m.bias is not None and m.gradBias is None:
            m.gradBias = m.bias.clone().zero()


def test_a_module_saved_without_its_gradients_loads_and_refuses_backward_until_they_return(tmp_path):
    """torch7's File.lua writes and reads a module whose gradWeight/gradBias are nil like any table, and
    nn/Module.lua's parameters() then has no gradients: lg.load must accept it, as eval.lua loads such a
    checkpoint to sample; backward still needs the gradients back."""
    net = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).add(nn.Linear(4, 2))
    sanitize(net)
    lg.save(str(tmp_path / 'thin.t7'), {'protos': {'cnn': net}, 'iter': 3})
    loaded = lg.load(str(tmp_path / 'thin.t7'))['protos']['cnn']
    assert loaded.get(0).gradWeight is None and loaded.get(2).gradBias is None
    x = lg.randn(5, 3)
    np.testing.assert_array_equal(loaded.forward(x).numpy(), net.forward(x).numpy())
    with pytest.raises(ValueError, match='gradient 0'):
        loaded.backward(x, lg.randn(5, 2))
    unsanitize(loaded)
    loaded.backward(x, lg.ones(5, 2))
    assert loaded.get(0).gradWeight.abs().sum() > 0


def test_get_parameters_of_a_clone_of_a_flattened_model_with_fresh_gradients_as_torch7(tmp_path):
    """train.lua's -start_from: the checkpoint holds a clone made after getParameters, so its parameters are
    views of one storage, while unsanitize_gradients gives each gradient its own. nn/Module.lua's
    getParameters flattens parameters and gradients separately and only asserts equal lengths and equal
    offsets, which hold here: the flat gradient must be the one backward fills."""
    model = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).add(nn.Linear(4, 2))
    model.getParameters()
    thin = model.clone()
    sanitize(thin)
    lg.save(str(tmp_path / 'ckpt.t7'), thin)
    resumed = lg.load(str(tmp_path / 'ckpt.t7'))
    unsanitize(resumed)
    params, grads = resumed.getParameters()
    assert params.nElement() == grads.nElement() == 3 * 4 + 4 + 4 * 2 + 2
    x = lg.randn(5, 3)
    resumed.forward(x)
    resumed.backward(x, lg.ones(5, 2))
    expect = np.concatenate([g.numpy().ravel() for g in resumed.parameters()[1]])
    np.testing.assert_array_equal(grads.numpy(), expect)
    first = resumed.get(0)
    assert first.weight.storage() is params.storage() and first.gradWeight.storage() is grads.storage()
    assert first.gradBias.storageOffset() == first.bias.storageOffset() == 12
    again = resumed.getParameters()
    assert again[0].storage() is params.storage() and again[1].storage() is grads.storage()


def test_a_model_without_its_gradients_zeroes_nothing_and_getparameters_says_why():
    """nn/Module.lua's zeroGradParameters zeroes the gradients parameters() lists, none for a module whose
    gradWeight and gradBias are nil; its getParameters asserts ('check that you are sharing parameters and
    gradParameters') since the flat gradient comes out shorter: legonn names the parameter."""
    net = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Linear(4, 2))
    sanitize(net)
    net.zeroGradParameters()
    with pytest.raises(ValueError, match=r"Sequential.getParameters: parameter 0 has no gradient"):
        net.getParameters()
    unsanitize(net)
    params, grads = net.getParameters()
    assert params.nElement() == grads.nElement() == 3 * 4 + 4 + 4 * 2 + 2
