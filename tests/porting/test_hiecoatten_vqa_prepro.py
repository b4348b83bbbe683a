"""jiasenlu/HieCoAttenVQA's prepro/prepro_img_vgg.lua (ported in tests/porting/hiecoatten_vqa.py) run on a Caffe
stand-in of VGG-19's shape; its features are what DataLoaderDisk.lua reads (tests/porting/test_hiecoatten_vqa.py)."""
import numpy as np

import legonn as lg
from legonn import hdf5
from tests.porting import hiecoatten_vqa as hc
from tests.porting.hiecoatten_vqa import prepro_img_vgg


def test_prepro_img_vgg_features(tmp_path):
    """prepro_img_vgg.lua through a Caffe stand-in of VGG's shape (a 32x32 stride-32 convolution to 512 planes, so
    448 gives 14 x 14, then ReLUs to 46 modules): modules 38 to 46 are removed, and each image's h5 row is module
    37's output at the image scaled to 448, x255, BGR minus the means, permuted to (14, 14, 512); DataLoaderDisk
    reads it back with ``partial``."""
    from tests.test_loadcaffe import conv_param, rng_weights, v2_layer, write
    w, b = rng_weights(3, (512, 3, 32, 32), 512)
    w *= 1e-3
    layers = [v2_layer('data', 'Data'), v2_layer('conv1', 'Convolution', conv_param(106, 512, 32, stride=32),
                                                 blobs=(w, b))]
    layers += [v2_layer('relu%d' % k, 'ReLU') for k in range(45)]
    proto, model = write(tmp_path, b''.join(layers))
    rng = np.random.RandomState(6)
    for name, c in (('a.png', 3), ('b.png', 1)):
        hc.image.save(str(tmp_path / name), lg.from_numpy(rng.uniform(0, 1, (c, 20, 30)).astype(np.float32)))
    json_path = str(tmp_path / 'prepro.json')
    hc.write_json(json_path, {'unique_img_train': ['a.png', 'b.png'], 'uniuqe_img_test': ['b.png']})
    opt = {'cnn_proto': proto, 'cnn_model': model, 'backend': 'nn', 'gpuid': -1, 'image_root': str(tmp_path) + '/',
           'input_json': json_path, 'batch_size': 2, 'out_name_train': str(tmp_path / 'train.h5'),
           'out_name_test': str(tmp_path / 'test.h5')}
    net = prepro_img_vgg(opt)
    assert len(net.modules) == 37
    conv = net.modules[0]
    with hdf5.open(opt['out_name_train'], 'r') as f:
        rows = f.read('/images_train').partial([1, 1], [0, 13], [0, 13], [0, 511])
    im = hc.image.scale(hc.image.load(str(tmp_path / 'b.png')), 448, 448).numpy()
    bgr = np.repeat(im, 3, 0) * 255 - np.array([103.939, 116.779, 123.68], np.float32)[:, None, None]
    patches = bgr.reshape(3, 14, 32, 14, 32).transpose(1, 3, 0, 2, 4).reshape(14, 14, -1)
    ref = np.maximum(patches @ conv.weight.numpy().reshape(512, -1).T + conv.bias.numpy(), 0)
    assert tuple(rows.size()) == (1, 14, 14, 512)
    np.testing.assert_allclose(rows.numpy()[0], ref, rtol=1e-4, atol=1e-3)
