"""eladhoffer/ImageNet-Training's OverFeat-style files (ported in tests/porting/imagenet_training_models.py):
OverFeat_Model.lua and NewModel.lua (the classifier made of 1x1 convolutions, biases set to 0.01, or a saved net
loaded when ``opt.net`` names one); Model.lua, as large as OverFeat's, is test_imagenet_training_model_lua.py.
The files compute ``SizeMap``, each layer's output width for a 221 x 221 input, with Lua's
``math.floor(math.ceil(a / b) / c)``; the tests check it against the sizes the nets produce, one 221 x 221 image
forward and backward."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting import imagenet_training_models as models
from tests.porting.imagenet_training_models import forward_backward


def _conv_sizes(model):
    """Each convolution's output width, and after it the pooling's when one follows."""
    return [m.output.size(3) for m in model.modules if 'Convolution' in lg.typename(m)
            or 'MaxPooling' in lg.typename(m)]


def test_overfeat_size_map_and_run():
    model = models.OverFeat_Model()
    x, y, gradInput = forward_backward(model, size=221, batch=1)
    # nn.View(25600) of a batch of one reads it as one sample, in Torch7 as here (Model.lua's Reshape keeps it)
    assert y.size() == (1000,)
    np.testing.assert_allclose(np.exp(y.numpy()).sum(), 1, rtol=1e-4)
    # conv 7x7/2: 108, pool 3: 36; conv 7x7: 30, pool 2: 15; three padded 3x3 convs: 15; conv, pool 3: 5
    assert _conv_sizes(model) == [108, 36, 30, 15, 15, 15, 15, 15, 5]
    assert model.get(20).weight.size() == (4096, 1024 * 5 * 5)      # nn.Linear(SizeMap[7]^2 * FeatMaps[7], 4096)
    assert gradInput.size() == x.size() and np.abs(gradInput.numpy()).sum() > 0


def test_new_model_biases_and_loading(tmp_path):
    r = models.NewModel({'type': 'float', 'net': 'new'})
    model = r['model']
    biased = [m for m in model.modules if m.bias is not None]
    assert len(biased) == 9 and all(np.all(m.bias.numpy() == np.float32(0.01)) for m in biased)
    x, y, gradInput = forward_backward(model, size=221, batch=1)
    assert y.size() == (1, 1000)
    assert model.get(-4).output.size() == (1, 1000, 5, 5) and model.get(-3).output.size() == (1, 1000, 1, 1)
    assert gradInput.size() == x.size() and np.abs(gradInput.numpy()).sum() > 0
    assert r['Weights'].nElement() == r['Grads'].nElement() == sum(p.nElement() for p in model.parameters()[0])


@pytest.mark.gpu
def test_new_model_loads_a_saved_net_onto_the_gpu(tmp_path):
    """``opt.net ~= 'new'``: NewModel.lua replaces the net by the one saved at that path, moved to the GPU."""
    path = str(tmp_path / 'new.t7')
    saved = nn.Sequential().add(nn.Linear(2, 3))
    lg.save(path, saved)
    loaded = models.NewModel({'type': 'float', 'net': path})['model']
    assert loaded.get(0).weight.type() == 'torch.CudaTensor'
    np.testing.assert_array_equal(loaded.get(0).weight.float().numpy(), saved.get(0).weight.numpy())
