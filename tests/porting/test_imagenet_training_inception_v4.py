"""eladhoffer/ImageNet-Training's Inception_v4.lua (ported in tests/porting/imagenet_training_models.py): the full net
on one 299 x 299 image, and its stem, Inception_A and reduction blocks forward and backward on small maps, as
test_imagenet_training_inception.py checks Inception_v3.lua and Inception_ResNet_v2.lua."""
import legonn as lg
from tests.porting import imagenet_training_models as models
from tests.porting.test_imagenet_training_inception import _block_check, _full_forward


def test_inception_v4_full_size_and_blocks():
    model = _full_forward(models.Inception_v4())
    planes = [m.output.size(1) for m in model.modules if lg.typename(m) == 'nn.Concat']
    assert planes == [160, 192, 384] + [384] * 4 + [1024] + [1024] * 7 + [1536] + [1536] * 3
    _block_check(model.get(3), 64, 9, 160, 4)           # stem cat1: max pooling beside a stride-2 ConvBN
    _block_check(model.get(6), 384, 4, 384, 4)          # Inception_A
    _block_check(model.get(10), 384, 7, 1024, 3)        # Reduction_A(384, 192, 224, 256, 384)
    _block_check(model.get(18), 1024, 7, 1536, 3)       # Reduction_B
