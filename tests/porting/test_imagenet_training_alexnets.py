"""eladhoffer/ImageNet-Training's Models/AlexNet.lua and AlexNet_BN.lua (ported in
tests/porting/imagenet_training_models.py; MattNet.lua, MattNet_BN.lua and NiN_Model.lua are in
test_imagenet_training_mattnet_nin.py): each built, run forward and backward on a batch of two 224 x 224 images
(their layers fix that size), the sizes the files' comments give checked after the feature stack, the
log-probabilities normalised, and the gradients reaching the first layer."""
import numpy as np

import legonn as lg
from tests.porting import imagenet_training_models as models
from tests.porting.imagenet_training_models import check_alexnet_run


def test_alexnet_one_weird_trick_sizes_parameters_and_regime():
    """AlexNet.lua's parameter count, by hand: conv 3*64*121+64, 64*192*25+192, 192*384*9+384, 384*256*9+256,
    256*256*9+256; linear 9216*4096+4096, 4096*4096+4096, 4096*1000+1000: 61,100,840."""
    r = models.AlexNet()
    model = r['model']
    assert sum(p.nElement() for p in model.parameters()[0]) == 61100840
    assert r['regime']['epoch'] == [1, 19, 30, 44, 53]
    features = model.get(0)
    check_alexnet_run(model, features)
    sizes = [m.output.size()[2] for m in features.modules if lg.typename(m) == 'cudnn.SpatialMaxPooling']
    assert sizes == [27, 13, 6]
    thresholds = model.get(1).findModules('nn.Threshold')[0]
    assert [(t.threshold, t.val) for t in thresholds] == [(0, 1e-6)] * 2


def test_alexnet_bn_normalises_without_affine():
    model = models.AlexNet_BN()
    bns = model.findModules('nn.SpatialBatchNormalization')[0] + model.findModules('nn.BatchNormalization')[0]
    assert len(bns) == 7 and all(bn.weight is None and not bn.affine for bn in bns)
    check_alexnet_run(model, model.get(0))
    bn = model.get(0).get(3)                       # after the first pooling and ReLU: 64 planes of 27 x 27
    out = bn.output.numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-4)
