"""NVIDIA/DIGITS's digits/standard-networks/torch/ImageNet-Training/alexnet.lua (ported in
tests/porting/digits_models.py) built through the network-file protocol, run at its 224 x 224 crop (croplen), with
the sizes its comments give; its multi-GPU branch (DataParallelTable) against its single-GPU one."""
import numpy as np

import legonn as lg
from tests.porting import digits_models as dm


def test_imagenet_alexnet_single_and_data_parallel():
    """ImageNet-Training/alexnet.lua at 224 x 224 crops (croplen): 55 -> 27 -> 13 -> 6 through the features; one
    GPU drops the first layer's gradInput, two wrap the features in DataParallelTable, whose output is the
    features' own."""
    network = dm.alexnet_imagenet({'nclasses': 5, 'ngpus': 1, 'inputShape': lg.LongTensor([3, 256, 256])})
    assert network['croplen'] == 224 and network['disableAutoDataParallelism']
    model = network['model']
    features = model.get(0)
    assert features.get(0).gradInput is None
    x = lg.rand(2, 3, 224, 224)
    model.evaluate()
    out = model.forward(x)
    assert out.size() == (2, 5)
    assert [m.output.size()[2] for m in features.findModules('nn.SpatialMaxPooling')[0]] == [27, 13, 6]
    np.testing.assert_allclose(out.exp().sum(1).numpy(), 1, rtol=1e-5)
    parallel = dm.createModel_alexnet(2, 3, 5)
    dpt = parallel.get(0)
    assert lg.typename(dpt) == 'nn.DataParallelTable' and dpt.gradInput is None
    dpt.get(0).evaluate()
    np.testing.assert_allclose(dpt.forward(x).numpy(), dpt.get(0).forward(x).numpy(), rtol=1e-5, atol=1e-6)
