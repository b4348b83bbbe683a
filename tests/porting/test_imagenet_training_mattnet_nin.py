"""eladhoffer/ImageNet-Training's Models/MattNet.lua, MattNet_BN.lua and NiN_Model.lua (ported in
tests/porting/imagenet_training_models.py; AlexNet.lua and AlexNet_BN.lua are in test_imagenet_training_alexnets.py):
each built, run forward and backward on a batch of two 224 x 224 images (their layers fix that size), the sizes the
files' comments give checked, the log-probabilities normalised, and the gradients reaching the first layer."""
import numpy as np
import pytest

from legonn import nn
from tests.porting import imagenet_training_models as models
from tests.porting.imagenet_training_models import check_alexnet_run, forward_backward


def test_mattnet_fills_biases_with_a_tenth():
    model = models.MattNet()
    biased = [m for m in model.listModules() if m.bias is not None]
    assert len(biased) == 8 and all(np.all(m.bias.numpy() == np.float32(0.1)) for m in biased)
    features = model.get(0)
    check_alexnet_run(model, features)
    assert features.get(0).output.size()[2:] == (111, 111)     # 224 -> 111
    assert features.get(3).output.size()[2:] == (27, 27)       # 55 -> 27


def test_mattnet_bn_zero_feature_count_is_the_affine_free_spelling():
    """MattNet_BN.lua's ``nn.SpatialBatchNormalization(0)``: legonn refuses 0 (docs/porting.md's row), and the port
    names the planes with affine false, which builds the same normalisation."""
    with pytest.raises(ValueError, match='BatchNormalization'):
        nn.SpatialBatchNormalization(0)
    model = models.MattNet_BN()
    bns = model.findModules('nn.SpatialBatchNormalization')[0]
    assert [bn.running_mean.nElement() for bn in bns] == [96, 256, 384, 256, 256]
    check_alexnet_run(model, model.get(0))


def test_nin_model_pools_with_ceil_and_averages_to_classes():
    model = models.NiN_Model()
    pools = model.findModules('cudnn.SpatialMaxPooling')[0]
    assert all(p.ceil_mode for p in pools)
    x, y, gradInput = forward_backward(model)
    assert y.size() == (2, 1000)
    np.testing.assert_allclose(np.exp(y.numpy()).sum(1), 1, rtol=1e-4)
    # 224 -> 54 (11x11 stride 4) -> 27 -> 13 -> 6 with ceil pooling: the 6 x 6 average pooling reduces to 1 x 1
    assert [p.output.size()[2] for p in pools] == [27, 13, 6]
    assert gradInput.size() == x.size() and np.abs(gradInput.numpy()).sum() > 0
