"""NVIDIA/DIGITS's digits/standard-networks/torch/ImageNet-Training/googlenet.lua (ported in
tests/porting/digits_models.py) built through the network-file protocol and run forward and backward at its
224 x 224 crop (croplen)."""

import legonn as lg
from tests.porting import digits_models as dm


def test_imagenet_googlenet_forward_backward():
    """ImageNet-Training/googlenet.lua (BN-Inception): 224 x 224 in, 1024 planes of 7 x 7 before the average
    pooling, the 'avg' pools of the nn backend without ceil; the gradient reaches the input."""
    network = dm.googlenet_imagenet({'nclasses': 4, 'ngpus': 1, 'inputShape': lg.LongTensor([3, 256, 256])})
    assert (network['croplen'], network['trainBatchSize'], network['validationBatchSize']) == (224, 32, 16)
    model = network['model']
    x = lg.rand(1, 3, 224, 224) * 255
    out = model.forward(x)
    assert out.size() == (1, 4)
    main_branch = model.get(1)
    assert main_branch.get(4).output.size() == (1, 1024, 7, 7)
    gin = model.backward(x, lg.ones(1, 4))
    assert gin.size() == x.size() and float(gin.abs().sum()) > 0
