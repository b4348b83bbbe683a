"""NVIDIA/DIGITS's early digits/standard-networks/torch/alexnet.lua and googlenet.lua (ported in
tests/porting/digits_models.py): built as the files build them, googlenet's flat ``Weights`` file loaded into its
flattened Net, and each run forward."""
import numpy as np

import legonn as lg
from tests.porting import digits_models as dm


def _inception_params(nIn, n1, n3r, n3, n5r, n5, pp):
    """An early Inception's parameter count by hand: four 1x1 convolutions, a 3x3 and a 5x5, each with biases."""
    return (nIn * n1 + n1 + nIn * n3r + n3r + n3r * n3 * 9 + n3 + nIn * n5r + n5r + n5r * n5 * 25 + n5
            + nIn * pp + pp)


def test_early_alexnet_and_googlenet_files(tmp_path):
    """The early alexnet.lua (its 256*7*7 classifier reads 256 x 256 images) and googlenet.lua, which copies the
    flat tensor of its ``Weights`` file (written here, sized by a count made by hand) into the flattened Net;
    its DepthConcat centres the unpadded 3 x 3 max-pooling branch."""
    alex = dm.alexnet_early()
    alex.evaluate()
    assert alex.forward(lg.rand(1, 3, 256, 256)).size() == (20,)      # View(256*7*7) of one sample, as in Lua
    assert lg.typename(alex.get(0).get(2)) == 'cudnn.SpatialMaxPooling'
    incs = [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64), (480, 192, 96, 208, 16, 48, 64),
            (512, 160, 112, 224, 24, 64, 64), (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
            (528, 256, 160, 320, 32, 128, 128), (832, 256, 160, 320, 32, 128, 128),
            (832, 384, 192, 384, 48, 128, 128)]
    n = (3 * 64 * 49 + 64 + 64 * 64 + 64 + 64 * 192 * 9 + 192 + sum(_inception_params(*c) for c in incs)
         + 1024 * 1000 + 1000)
    weights = lg.randn(n).mul(0.01)
    lg.save(str(tmp_path / 'Weights'), weights)
    package = dm.googlenet_early({'type': 'float'}, str(tmp_path / 'Weights'))
    net = package['Net']
    assert package['Weights'].nElement() == n
    np.testing.assert_array_equal(package['Weights'].numpy(), weights.numpy())
    np.testing.assert_array_equal(net.get(len(net.modules) - 2).bias.numpy(), weights.numpy()[-1000:])
    net.evaluate()
    out = net.forward(lg.rand(1, 3, 224, 224))
    assert out.size() == (1, 1000)        # Reshape(1024) keeps a batch of one (Reshape.lua: input:size(1) ~= 1)
    np.testing.assert_allclose(float(out.exp().sum()), 1, rtol=1e-5)
