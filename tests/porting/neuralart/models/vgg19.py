"""models/vgg19.lua: VGG-19's convolutions (through conv5_4) with average pooling in place of max pooling, the
ReLUs named after Caffe's conv layers, weights copied from a file holding ``{weight, bias}`` per
``listModules()`` position."""
import legonn as lg
from legonn import nn


def create_vgg(weights_file, backend):

    nnlib = None
    lrn = None  # local response normalization module  # noqa: F841
    if backend == 'cudnn':
        from legonn import cudnn
        print('using cudnn backend')
        nnlib = cudnn
    elif backend == 'cunn':
        print('using cunn backend')
        nnlib = nn
    else:
        raise RuntimeError('unrecognized backend: ' + backend)

    model = nn.Sequential() \
        .add(nnlib.SpatialConvolution(3, 64, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv1_1')) \
        .add(nnlib.SpatialConvolution(64, 64, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv1_2')) \
        .add(nnlib.SpatialAveragePooling(2, 2, 2, 2)) \
        .add(nnlib.SpatialConvolution(64, 128, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv2_1')) \
        .add(nnlib.SpatialConvolution(128, 128, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv2_2')) \
        .add(nnlib.SpatialAveragePooling(2, 2, 2, 2)) \
        .add(nnlib.SpatialConvolution(128, 256, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv3_1')) \
        .add(nnlib.SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv3_2')) \
        .add(nnlib.SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv3_3')) \
        .add(nnlib.SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv3_4')) \
        .add(nnlib.SpatialAveragePooling(2, 2, 2, 2)) \
        .add(nnlib.SpatialConvolution(256, 512, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv4_1')) \
        .add(nnlib.SpatialConvolution(512, 512, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv4_2')) \
        .add(nnlib.SpatialConvolution(512, 512, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv4_3')) \
        .add(nnlib.SpatialConvolution(512, 512, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv4_4')) \
        .add(nnlib.SpatialAveragePooling(2, 2, 2, 2)) \
        .add(nnlib.SpatialConvolution(512, 512, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv5_1')) \
        .add(nnlib.SpatialConvolution(512, 512, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv5_2')) \
        .add(nnlib.SpatialConvolution(512, 512, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv5_3')) \
        .add(nnlib.SpatialConvolution(512, 512, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv5_4'))

    weights = lg.load(weights_file)
    for i, module in enumerate(model.listModules()):
        if module.weight is not None:
            module.weight.copy(weights[i][0])
        if module.bias is not None:
            module.bias.copy(weights[i][1])

    return model
