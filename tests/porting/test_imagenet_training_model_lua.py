"""eladhoffer/ImageNet-Training's Models/Model.lua (ported in tests/porting/imagenet_training_models.py): the
OverFeat-style net of SpatialConvolutionMM layers whose flat weights the file reads with ``torch.load('weights')``,
its ``SizeMap`` (Lua's ``math.floor(math.ceil(a / b) / c)`` per layer) and the batch of one that nn.Reshape keeps."""
import numpy as np

import legonn as lg
from tests.porting import imagenet_training_models as models


def test_model_lua_reads_its_flat_weights():
    """Model.lua copies ``torch.load('weights')`` into ``getParameters()``'s vector (a stand-in returns one, of
    the count the layers give (conv 3*96*49+96, 96*256*49+256, 256*512*9+512, 512*512*9+512, 512*1024*9+1024,
    1024*1024*9+1024; linear 25600*4096+4096, 4096*4096+4096, 4096*1000+1000)."""
    n = (3 * 96 * 49 + 96 + 96 * 256 * 49 + 256 + 256 * 512 * 9 + 512 + 512 * 512 * 9 + 512 + 512 * 1024 * 9 + 1024
         + 1024 * 1024 * 9 + 1024 + 25600 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000)
    lg.manualSeed(6)
    weights = lg.randn(n).mul(0.01)
    asked = []
    r = models.Model(lambda name: asked.append(name) or weights, {'type': 'float', 'net': 'new'})
    assert asked == ['weights'] and r['SizeMap'] == [221, 36, 15, 15, 15, 15, 5, 5, 5, 5]
    np.testing.assert_array_equal(r['Model'].get(0).weight.numpy().ravel(), weights.numpy()[:3 * 96 * 49])
    assert r['Grads'].nElement() == n
    r['Model'].evaluate()
    y = r['Model'].forward(lg.randn(1, 3, 221, 221))
    assert y.size() == (1, 1000)          # nn.Reshape takes a first size of 1 as the batch (OverFeat's View does not)
    assert np.isfinite(r['loss'].forward(y, lg.Tensor([3])))
