"""eladhoffer/ImageNet-Training's Inception_v3.lua and Inception_ResNet_v2.lua (ported in
tests/porting/imagenet_training_models.py; Inception_v4.lua is test_imagenet_training_inception_v4.py). Each full
net runs one 299 x 299 image forward (the 8 x 8 average pooling at the end fixes that size); each kind of block
(stem, Inception A/B/C, reductions, residual blocks) runs forward and backward on a small map of its input planes,
its output planes checked against the widths the Lua concatenates, the residual blocks' identity path checked, and
the gradients compared with finite differences along one direction in double precision."""
import numpy as np
import pytest

import legonn as lg
from tests.porting import imagenet_training_models as models


def _full_forward(r):
    model = r['model']
    model.evaluate()
    lg.manualSeed(1)
    y = model.forward(lg.randn(1, 3, 299, 299))
    assert y.size() == (1, 1000)
    np.testing.assert_allclose(np.exp(y.numpy()).sum(), 1, rtol=1e-4)
    assert r['InputSize'] == [3, 299, 299] and r['rescaleImgSize'] == 384 and 'inputSize' not in r
    return model


def _block_check(block, planes, size, out_planes, out_size, residual=False):
    """Forward and backward of one block on a random batch of 2; the directional derivative of <out, g> along a
    random input direction matches <gradInput, d> (double precision, central differences).

    ``residual``: Inception_ResNet_v2.lua's blocks start their branch with ReLU(true), which rewrites the input the
    Identity path passes on, so the block computes relu(x) + branch(relu(x)); but the Identity's backward, which
    never saw the ReLU, hands back gradOutput unmasked. Torch7 computes that gradient, legonn too: it exceeds the
    true one by gradOutput where x < 0."""
    block = block.clone().double()
    block.evaluate()            # BN from its running estimates: a smooth function of the input
    lg.manualSeed(2)
    x = lg.randn(2, planes, size, size).double()
    y = block.forward(x.clone()).clone()     # a clone: the residual blocks' ReLU(true) rewrites their input
    assert y.size() == (2, out_planes, out_size, out_size)
    g = lg.randn(*y.size()).double()
    block.forward(x.clone())
    gradInput = block.backward(x.clone(), g).clone()
    d = lg.randn(*x.size()).double()
    eps = 1e-6
    up = (block.forward(x + d * eps).clone() * g).sum()
    down = (block.forward(x - d * eps).clone() * g).sum()
    numeric = float(up - down) / (2 * eps)
    if residual:
        numeric += float((g.numpy() * d.numpy())[x.numpy() < 0].sum())
    assert numeric == pytest.approx(float((gradInput * d).sum()), rel=1e-5)


def test_inception_v3_full_size_and_blocks():
    model = _full_forward(models.Inception_v3())
    sizes = [(m.output.size(1), m.output.size(2)) for m in model.modules if lg.typename(m) == 'nn.Concat']
    assert sizes == [(256, 35), (288, 35), (288, 35), (768, 17), (768, 17), (768, 17), (768, 17), (768, 17),
                     (1280, 8), (2048, 8), (2048, 8)]
    _block_check(model.get(7), 192, 5, 256, 5)          # 64 + 64 + 96 + 32
    _block_check(model.get(10), 288, 7, 768, 3)         # the grid reduction: 384 + 96 + 288 pooled
    _block_check(model.get(11), 768, 5, 768, 5)         # the 7x1 / 1x7 factorised block
    _block_check(model.get(16), 1280, 3, 2048, 3)       # 320 + 768 + 768 + 192, with nested Concats


def test_inception_resnet_v2_full_size_and_residuals():
    model = _full_forward(models.Inception_ResNet_v2())
    residual = model.get(7)                             # the first Inception_ResNet_A
    x = model.get(6).output
    branch = residual.get(0).get(1).output
    # preActivation's ReLU(true) rewrites the block's input, which the Identity path passes on, and the next
    # block's rewrites this block's sum: in Torch7 as here, the block computes relu(relu(x) + branch(relu(x)))
    assert x.min() >= 0
    np.testing.assert_allclose(residual.output.numpy(), np.maximum(x.numpy() + branch.numpy(), 0),
                               rtol=1e-5, atol=1e-5)
    _block_check(residual, 256, 4, 256, 4, residual=True)
    _block_check(model.get(13), 896, 3, 896, 3, residual=True)   # Inception_ResNet_B: 384 -> 896 by a 1x1 convolution
    _block_check(model.get(23), 896, 7, 1792, 3)        # Reduction_B: 896 + 384 + 256 + 256
