"""models/inception.lua: GoogLeNet (Szegedy et al. 2015) up to inception_4e, average pooling throughout, with
the ReLUs and inception blocks named after Caffe's layers and weights copied from a file holding ``{weight,
bias}`` per ``listModules()`` position.

Edit: ``create_inception`` requires inn (backend 'cunn') or cudnn; both are legonn packages. The Lua's
``model:subnetwork('inception_4e')`` calls ``:cuda()`` (models/util.py's ``CUDA``)."""
import legonn as lg
from legonn import nn


def create_inception(weights_file, backend):

    nnlib = None
    lrn = None  # local response normalization module
    if backend == 'cudnn':
        from legonn import cudnn
        print('using cudnn backend')
        nnlib = cudnn
        lrn = cudnn.SpatialCrossMapLRN
    elif backend == 'cunn':
        from legonn import cudnn, inn
        print('using cunn backend')
        nnlib = nn
        lrn = inn.SpatialCrossResponseNormalization
    else:
        raise RuntimeError('unrecognized backend: ' + backend)

    def inception(name, input_size, config):
        concat = nn.Concat(1)
        conv1 = nn.Sequential()
        conv1.add(nnlib.SpatialConvolution(input_size, config[0], 1, 1, 1, 1)) \
            .add(nnlib.ReLU(True).name(name + '/1x1'))
        conv3 = nn.Sequential()
        conv3.add(nnlib.SpatialConvolution(input_size, config[1][0], 1, 1, 1, 1)) \
            .add(nnlib.ReLU(True).name(name + '/3x3_reduce')) \
            .add(nnlib.SpatialConvolution(config[1][0], config[1][1], 3, 3, 1, 1, 1, 1)) \
            .add(nnlib.ReLU(True).name(name + '/3x3'))
        conv5 = nn.Sequential()
        conv5.add(nnlib.SpatialConvolution(input_size, config[2][0], 1, 1, 1, 1)) \
            .add(nnlib.ReLU(True).name(name + '/5x5_reduce')) \
            .add(nnlib.SpatialConvolution(config[2][0], config[2][1], 5, 5, 1, 1, 2, 2)) \
            .add(nnlib.ReLU(True).name(name + '/5x5'))
        pool = nn.Sequential().name(name + '/pool')
        if nnlib == cudnn:
            pool.add(nnlib.SpatialAveragePooling(3, 3, 1, 1, 1, 1))
        else:
            pool.add(nnlib.SpatialAveragePooling(3, 3, 1, 1))
        pool.add(nnlib.SpatialConvolution(input_size, config[3], 1, 1, 1, 1)) \
            .add(nnlib.ReLU(True).name(name + '/pool_proj'))
        concat.add(conv1).add(conv3).add(conv5).add(pool) \
            .name(name)
        return concat

    model = nn.Sequential() \
        .add(nnlib.SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3)) \
        .add(nnlib.ReLU(True).name('conv1/7x7_s2')) \
        .add(nnlib.SpatialAveragePooling(3, 3, 2, 2)) \
        .add(lrn(5, 0.0001, 0.75, 1.0)) \
        .add(nnlib.SpatialConvolution(64, 64, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv2/3x3_reduce')) \
        .add(nnlib.SpatialConvolution(64, 192, 3, 3, 1, 1, 1, 1)) \
        .add(nnlib.ReLU(True).name('conv2/3x3')) \
        .add(lrn(5, 0.0001, 0.75, 1.0)) \
        .add(nnlib.SpatialAveragePooling(3, 3, 2, 2)) \
        .add(inception('inception_3a', 192, [64, [96, 128], [16, 32], 32])) \
        .add(inception('inception_3b', 256, [128, [128, 192], [32, 96], 64])) \
        .add(nnlib.SpatialAveragePooling(3, 3, 2, 2)) \
        .add(inception('inception_4a', 480, [192, [96, 208], [16, 48], 64])) \
        .add(inception('inception_4b', 512, [160, [112, 224], [24, 64], 64])) \
        .add(inception('inception_4c', 512, [128, [128, 256], [24, 64], 64])) \
        .add(inception('inception_4d', 512, [112, [144, 288], [32, 64], 64])) \
        .add(inception('inception_4e', 528, [256, [160, 320], [32, 128], 128])) \
        .add(nnlib.SpatialAveragePooling(3, 3, 2, 2)) \
        .add(inception('inception_5a', 832, [256, [160, 320], [32, 128], 128])) \
        .add(inception('inception_5b', 832, [384, [192, 384], [48, 128], 128])) \
        .add(nnlib.SpatialAveragePooling(7, 7, 1, 1)) \
        .add(nn.Dropout(0.4)) \
        .add(nn.View(1024).setNumInputDims(3)) \
        .add(nn.Linear(1024, 1000).name('loss3/classifier')) \
        .add(nn.LogSoftMax())

    weights = lg.load(weights_file)
    for i, module in enumerate(model.listModules()):
        if module.weight is not None:
            module.weight.copy(weights[i][0])
        if module.bias is not None:
            module.bias.copy(weights[i][1])

    inception_modules = [
        'inception_3a', 'inception_3b',
        'inception_4a', 'inception_4b', 'inception_4c', 'inception_4d', 'inception_4e',
        'inception_5a', 'inception_5b',
    ]

    if nnlib != cudnn:
        for i, name in enumerate(inception_modules):
            model.findByName(name + '/pool').insert(nn.SpatialZeroPadding(1, 1, 1, 1), 0)

    model = model.subnetwork('inception_4e')
    return model
