"""models/model_utils.lua (the parts the FastRCNN models and train.lua use): ``makeDataParallel``,
``disableFeatureBackprop``, ``classAndBBoxLinear``, ``testModel``, the transformers, ``addBBoxNorm``,
``normalizeBBoxRegr``, ``removeDropouts``, ``safe_unpack``, ``load``, ``integral``, ``conv345Combine``.
``vggSetPhase2``, ``vggSetPhase2_outer`` (multipathnet.lua's phase 2: ``model.phase = phase`` reads a global
the Lua never sets, None). Not ported: ``compress``/``SVDlinear`` (SVD surgery never called by the training
code), ``makeDPParallelTable`` (nn.DPParallelTable, absent from torch/cunn).
``opt`` (the Lua's global) is an argument. ``testModel``'s input rois ``{i, 1, 1, 100, 100}`` are 0-based:
``{i - 1, 0, 0, 99, 99}``. The Lua's ``require 'optnet.graphgen'`` only serves a commented-out line."""
import legonn as lg
from legonn import nn, cutorch, cudnn, inn

from ..modules.ImageTransformer import ImageTransformer
from ..modules.ModeSwitch import ModeSwitch
from ..modules.NoBackprop import NoBackprop
from ..modules.BBoxNorm import BBoxNorm


def makeDataParallel(module, nGPU=None, opt=None):
    nGPU = nGPU or ((opt and opt['train_nGPU']) or 1)
    if nGPU > 1:
        dpt = nn.DataParallelTable(0)  # true?
        cur_dev = cutorch.getDevice()
        for i in range(nGPU):
            cutorch.setDevice(i)
            dpt.add(module.clone().cuda(), i)
        cutorch.setDevice(cur_dev)
        return dpt
    else:
        return nn.Sequential().add(module)


def testSurgery(input, f, net, *args):
    output1 = net.forward(input).clone()
    f(net, *args)
    output2 = net.forward(input).clone()
    print((output1 - output2).abs().max())
    assert (output1 - output2).abs().max() < 1e-5


def removeDropouts(net):
    net.replace(lambda x: nn.Identity() if 'nn.Dropout' in lg.typename(x) else x)


def disableFeatureBackprop(features, maxLayer):
    noBackpropModules = nn.Sequential()
    for i in range(maxLayer):
        noBackpropModules.add(features.modules[0])
        features.remove(0)
    features.insert(NoBackprop(noBackpropModules).cuda(), 0)


def classAndBBoxLinear(N, N2=None, opt=None):
    class_linear = nn.Linear(N, opt and opt['num_classes'] or 21).cuda()
    class_linear.weight.normal(0, 0.01)
    class_linear.bias.zero()

    bbox_linear = nn.Linear(N2 or N, (opt and opt['num_classes'] or 21) * 4).cuda()
    bbox_linear.weight.normal(0, 0.001)
    bbox_linear.bias.zero()

    if N2:
        return nn.ParallelTable().add(class_linear).add(bbox_linear).cuda()
    else:
        return nn.ConcatTable().add(class_linear).add(bbox_linear).cuda()


def testModel(model, opt=None):
    input_size = getattr(model, 'input_size', None) or 224
    print(model)
    model.training()
    batchSz = opt and opt['images_per_batch'] or 2
    boxes = lg.Tensor(batchSz, 5)
    for i in range(batchSz):
        boxes[i].copy(lg.Tensor([i, 0, 0, 99, 99]))
    input = [lg.CudaTensor(batchSz, 3, input_size, input_size), boxes.cuda()]
    output = model.forward(input)
    print([output])
    print([model.backward(input, output)])


# used in AlexNet and VGG models trained by Ross
def RossTransformer():
    return ImageTransformer([102.9801, 115.9465, 122.7717], None, 255, [2, 1, 0])


# used in ResNet and facebook inceptions
def ImagenetTransformer():
    return ImageTransformer(
        [  # mean
            0.48462227599918,
            0.45624044862054,
            0.40588363755159,
        ],
        [  # std
            0.22889466674951,
            0.22446679341259,
            0.22495548344775,
        ])


def normalizeBBoxRegr(model, meanstd, opt):
    if len(model.findModules('nn.BBoxNorm')[0]) == 0:
        # normalize the bbox regression
        regression_layer = model.get(len(model.modules) - 1).get(1)
        if lg.type(regression_layer) == 'nn.Sequential':
            regression_layer = regression_layer.get(len(regression_layer.modules) - 1)
        assert lg.type(regression_layer) == 'nn.Linear'

        mean_hat = lg.repeatTensor(meanstd['mean'], 1, opt['num_classes']).cuda()
        sigma_hat = lg.repeatTensor(meanstd['std'], 1, opt['num_classes']).cuda()

        regression_layer.weight.cdiv(sigma_hat.t().expandAs(regression_layer.weight))
        regression_layer.bias.add(-mean_hat).cdiv(sigma_hat)

        addBBoxNorm(model, meanstd)


def addBBoxNorm(model, meanstd):
    if len(model.findModules('nn.BBoxNorm')[0]) == 0:
        model.add(nn.ParallelTable()
                  .add(nn.Identity())
                  .add(BBoxNorm(meanstd['mean'], meanstd['std'])).cuda())


def vggSetPhase2(model):
    assert model.phase == 1
    dpt = model.modules[0].modules[0]
    for i in range(len(dpt.modules)):
        assert lg.type(dpt.modules[i]) == 'nn.NoBackprop'
        dpt.modules[i] = dpt.modules[i].modules[0]
        disableFeatureBackprop(dpt.modules[i], 10)
    model.phase = None  # the Lua's ``phase``, a global never set
    print("Switched model to phase 2")
    print(model)


def vggSetPhase2_outer(model):
    assert model.phase == 1
    model.modules[0].modules[0] = model.modules[0].modules[0].modules[0]
    dpt = model.modules[0].modules[0]
    for i in range(len(dpt.modules)):
        disableFeatureBackprop(dpt.modules[i], 10)
    model.phase = None  # the Lua's ``phase``, a global never set
    print("Switched model to phase 2")
    print(model)


def conv345Combine(isNormalized, useConv3, useConv4, initCopyConv5):
    totalFeat = 0

    def make1PoolingLayer(idx, nFeat, spatialScale, normFactor):
        nonlocal totalFeat
        pool1 = (nn.Sequential()
                 .add(nn.ParallelTable().add(nn.SelectTable(idx)).add(nn.Identity()))
                 .add(inn.ROIPooling(7, 7, spatialScale)))
        if isNormalized:
            (pool1.add(nn.View(-1, nFeat * 7 * 7))
                  .add(nn.Normalize(2))
                  .add(nn.Contiguous())
                  .add(nn.View(-1, nFeat, 7, 7)))
        else:
            pool1.add(nn.MulConstant(normFactor))
        totalFeat = totalFeat + nFeat
        return pool1

    pooling_layer = nn.ConcatTable()
    pooling_layer.add(make1PoolingLayer(0, 512, 1 / 16, 1))  # conv5
    if useConv4:
        pooling_layer.add(make1PoolingLayer(1, 512, 1 / 8, 1 / 30))  # conv4
    if useConv3:
        pooling_layer.add(make1PoolingLayer(2, 256, 1 / 4, 1 / 200))  # conv3
    pooling_join = (nn.Sequential()
                    .add(pooling_layer)
                    .add(nn.JoinTable(1)))
    if isNormalized:
        pooling_join.add(nn.MulConstant(1000))
    conv_mix = cudnn.SpatialConvolution(totalFeat, 512, 1, 1, 1, 1)
    if initCopyConv5:
        conv_mix.weight.zero()
        conv_mix.weight.narrow(1, 0, 512).copy(lg.eye(512))  # initialize to just copy conv5
    pooling_join.add(conv_mix)
    pooling_join.add(nn.View(-1).setNumInputDims(3))

    return pooling_join


# workaround for bytecode incompat functions
def safe_unpack(self):
    if getattr(self, 'unpack', None) is not None and getattr(self, 'model', None) is not None:
        return self.unpack()
    else:
        model = self['model']
        for v in model.listModules():
            if getattr(v, 'weight', None) is not None and getattr(v, 'gradWeight', None) is None:
                v.gradWeight = v.weight.clone()
                v.gradBias = v.bias.clone()
        return model


def load(path):
    data = lg.load(path)
    return data.unpack() if getattr(data, 'unpack', None) is not None else data


# takes a model, removes last classification layer and inserts integral loss
def integral(model, opt):
    top_cat = model.get(len(model.modules) - 1)
    model.remove(len(model.modules) - 1)

    assert lg.type(top_cat) == 'nn.ConcatTable' or lg.type(top_cat) == 'nn.ParallelTable'
    is_parallel = lg.type(top_cat) == 'nn.ParallelTable'

    new_cl = nn.ConcatTable()
    for i in range(opt['nDonkeys']):
        new_cl.add(top_cat.get(0).clone())
    new_top = nn.ParallelTable() if is_parallel else nn.ConcatTable()
    new_top.add(new_cl).add(top_cat.get(1))
    model.add(new_top)

    integral_selector = nn.SelectTable(0)
    train_branch = (nn.ParallelTable()
                    .add(integral_selector)
                    .add(nn.Identity()))

    softmaxes = nn.ParallelTable()
    for i in range(opt['nDonkeys']):
        softmaxes.add(
            nn.Sequential()
            .add(nn.SoftMax())
            .add(nn.View(1, -1, opt['num_classes']))
        )

    eval_branch = (nn.Sequential()
                   .add(nn.ParallelTable()
                        .add(nn.Sequential()
                             .add(softmaxes)
                             .add(nn.JoinTable(0))
                             .add(nn.Mean(0)))
                        .add(nn.Identity())))
    model.noSoftMax = True
    model.add(ModeSwitch(train_branch, eval_branch))
    return [integral_selector]
