"""soumith/inception.torch's googlenet.lua (the Inception-V1 cnn-benchmarks times: Google's TensorFlow
inception5h graph, 1008 classes, its weights read from ``dump/*.h5``) ported line by line.

Edits beyond Lua syntax and 0-based indices: ``require 'hdf5'``, ``'cudnn'`` are imports, ``'cunn'`` dropped
(docs/porting.md); ``if m.gname`` is ``getattr(m, 'gname', None)`` (a field never set reads nil in Lua);
``torch.type(lib[2]())``, which builds a max pooling with no kernel only to read its type, gives the
pooling a kernel, ``lib[1](1, 1)``: legonn's pooling constructors refuse a missing kernel (docs/porting.md);
``w:transpose(2,4):transpose(3,4)`` is ``w.transpose(1, 3).transpose(2, 3)``; ``nn.Concat(2)`` is
``nn.Concat(1)`` and ``nn.Narrow(2, 2, 1000)`` ``nn.Narrow(1, 1, 1000)`` (0-based dimensions and offsets).
"""
import legonn as lg
from legonn import cudnn, hdf5, nn, paths


def loadWeights(model, f):
    def loadWeight(m):
        if getattr(m, 'gname', None):
            w = paths.concat(f, m.gname + '_w.h5')
            myFile = hdf5.open(w, 'r')
            w = myFile.read(m.gname + '_w').all()
            myFile.close()

            b = paths.concat(f, m.gname + '_b.h5')
            myFile = hdf5.open(b, 'r')
            b = myFile.read(m.gname + '_b').all()
            myFile.close()

            # w and b are now tensors
            w = w.transpose(1, 3).transpose(2, 3).clone()
            w = w.typeAs(m.weight)
            if m.gname == 'softmax2':
                w = w.squeeze()

            assert w.isSameSizeAs(m.weight)
            m.weight.copy(w)

            b = b.typeAs(m.bias)
            assert b.isSameSizeAs(m.bias)
            m.bias.copy(b)
    model.apply(loadWeight)


def inception(depth_dim, input_size, config, lib, name):
    SpatialConvolution = lib[0]
    SpatialMaxPooling = lib[1]
    ReLU = lib[2]

    depth_concat = nn.Concat(depth_dim)
    conv1 = nn.Sequential()
    m = SpatialConvolution(input_size, config[0][0], 1, 1)
    m.gname = 'mixed' + name + '_' + '1x1'
    conv1.add(m).add(ReLU(True))
    depth_concat.add(conv1)

    conv3 = nn.Sequential()
    m = SpatialConvolution(input_size, config[1][0], 1, 1)
    m.gname = 'mixed' + name + '_' + '3x3_bottleneck'
    conv3.add(m).add(ReLU(True))
    m = SpatialConvolution(config[1][0], config[1][1], 3, 3, 1, 1, 1, 1)
    m.gname = 'mixed' + name + '_' + '3x3'
    conv3.add(m).add(ReLU(True))
    depth_concat.add(conv3)

    conv5 = nn.Sequential()
    m = SpatialConvolution(input_size, config[2][0], 1, 1)
    m.gname = 'mixed' + name + '_' + '5x5_bottleneck'
    conv5.add(m).add(ReLU(True))
    m = SpatialConvolution(config[2][0], config[2][1], 5, 5, 1, 1, 2, 2)
    m.gname = 'mixed' + name + '_' + '5x5'
    conv5.add(m).add(ReLU(True))
    depth_concat.add(conv5)

    pool = nn.Sequential()
    pool.add(SpatialMaxPooling(config[3][0], config[3][0], 1, 1, 1, 1))
    m = SpatialConvolution(input_size, config[3][1], 1, 1)
    m.gname = 'mixed' + name + '_' + 'pool_reduce'
    pool.add(m).add(ReLU(True))
    depth_concat.add(pool)

    return depth_concat


def googlenet(lib):
    SpatialConvolution = lib[0]
    SpatialMaxPooling = lib[1]
    SpatialAveragePooling = nn.SpatialAveragePooling if lg.type(lib[1](1, 1)) == 'nn.SpatialMaxPooling' \
        else cudnn.SpatialAveragePooling
    ReLU = lib[2]
    SpatialCrossMapLRN = lib[3]
    model = nn.Sequential()
    m = SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3)
    m.gname = 'conv2d0'
    model.add(m).add(ReLU(True))
    model.add(SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    model.add(SpatialCrossMapLRN(11, 0.00109999999404, 0.5, 2.0))
    m = SpatialConvolution(64, 64, 1, 1, 1, 1, 0, 0)
    m.gname = 'conv2d1'
    model.add(m).add(ReLU(True))
    m = SpatialConvolution(64, 192, 3, 3, 1, 1, 1, 1)
    m.gname = 'conv2d2'
    model.add(m).add(ReLU(True))
    model.add(SpatialCrossMapLRN(11, 0.00109999999404, 0.5, 2.0))
    model.add(SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    model.add(inception(1, 192, [[64], [96, 128], [16, 32], [3, 32]], lib, '3a'))  # 256
    model.add(inception(1, 256, [[128], [128, 192], [32, 96], [3, 64]], lib, '3b'))  # 480
    model.add(SpatialMaxPooling(3, 3, 2, 2))
    model.add(inception(1, 480, [[192], [96, 204], [16, 48], [3, 64]], lib, '4a'))  # 4(a)
    model.add(inception(1, 508, [[160], [112, 224], [24, 64], [3, 64]], lib, '4b'))  # 4(b)
    model.add(inception(1, 512, [[128], [128, 256], [24, 64], [3, 64]], lib, '4c'))  # 4(c)
    model.add(inception(1, 512, [[112], [144, 288], [32, 64], [3, 64]], lib, '4d'))  # 4(d)
    model.add(inception(1, 528, [[256], [160, 320], [32, 128], [3, 128]], lib, '4e'))  # 4(e) (14x14x832)
    model.add(SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    model.add(inception(1, 832, [[256], [160, 320], [48, 128], [3, 128]], lib, '5a'))  # 5(a)
    model.add(inception(1, 832, [[384], [192, 384], [48, 128], [3, 128]], lib, '5b'))  # 5(b)
    model.add(SpatialAveragePooling(7, 7, 1, 1))
    model.add(nn.View(1024).setNumInputDims(3))
    # model:add(nn.Dropout(0.4))
    m = nn.Linear(1024, 1008)
    m.gname = 'softmax2'
    model.add(m)
    model.add(nn.Narrow(1, 1, 1000))  # because google has 1008 classes, class 2 - 1001 are valid
    model.add(nn.SoftMax())

    loadWeights(model, 'dump/')

    return model, 'GoogleNet', [128, 3, 224, 224]
