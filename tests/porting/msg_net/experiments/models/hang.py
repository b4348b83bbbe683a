"""experiments/models/hang.lua: the MSG-Net generator (``createModel``: instance-normalised pre-activation
bottlenecks down to an Inspiration layer on 256 planes, ``opt.model_nres`` residual layers, upsampling
bottlenecks back, a 7x7 convolution and a TotalVariation) and the descriptive network (``createCNets``: the loss
network with a Calibrate after each style layer).

Edits: ``table.insert(model.cNetsNum, #model)`` stores the Inspiration layer's position, 1-based in Lua, so
``len(model) - 1`` here. ``function model:setTarget(feat, dtype)`` and ``function cnet:calibrate(input)`` (methods
added to one Sequential) are instances of the registered classes ``SetTarget`` and ``CalibrateNet`` here: main.lua
saves the model with ``torch.save``, which writes a Lua function's bytecode, and ``lg.save`` stores no code
(docs/porting.md's row on a method replaced on a saved module). ``opt.model_nres`` is the string ``'9'`` in
opts.lua, which Lua's numeric ``for`` reads as 9: ``int(...)`` (docs/porting.md's numeric strings row)."""
import legonn as lg
from legonn import nn

from tests.porting.msg_net import init as texture
from tests.porting.test_fast_neural_style_train import insert_after, trim_network

pad = nn.SpatialReflectionPadding
normalization = texture.InstanceNormalization


class SetTarget:
    """hang.lua's ``function model:setTarget(feat, dtype)``: the third style layer's Gram matrix becomes the
    Inspiration layer's target."""

    def __init__(self, model):
        self.model = model

    def __call__(self, feat, dtype):
        model = self.model
        model.modules[model.cNetsNum[0]].setTarget(feat[2].type(dtype))


class CalibrateNet:
    """hang.lua's ``function cnet:calibrate(input)``: the Gram matrices of the style layers for ``input``."""

    def __init__(self, cnet):
        self.cnet = cnet

    def __call__(self, input):
        cnet = self.cnet
        cnet.forward(input)
        feat = []
        for i, calibrator in enumerate(cnet.style_layers):
            feat.append(calibrator.getGram())
        return feat


lg.register(SetTarget, 'msg_net.SetTarget')
lg.register(CalibrateNet, 'msg_net.CalibrateNet')
lg.register(texture.Inspiration, 'nn.Inspiration')
lg.register(texture.Calibrate, 'nn.Calibrate')


def createModel(opt):
    # Global variable keeping track of the input channels
    iChannels = None

    # The shortcut layer is either identity or 1x1 convolution
    def shortcut(nInputPlane, nOutputPlane, stride):
        if nInputPlane != nOutputPlane:
            return nn.Sequential() \
                .add(nn.SpatialConvolution(nInputPlane, nOutputPlane, 1, 1, stride, stride))
        else:
            return nn.Identity()

    def full_shortcut(nInputPlane, nOutputPlane, stride):
        if nInputPlane != nOutputPlane or stride != 1:
            return nn.Sequential() \
                .add(nn.SpatialUpSamplingNearest(stride)) \
                .add(nn.SpatialConvolution(nInputPlane, nOutputPlane, 1, 1, 1, 1))
        else:
            return nn.Identity()

    def basic_block(n, stride=None):
        nonlocal iChannels
        stride = stride or 1
        nInputPlane = iChannels
        iChannels = n
        # Convolutions
        conv_block = nn.Sequential()

        conv_block.add(normalization(nInputPlane))
        conv_block.add(nn.ReLU(True))
        conv_block.add(pad(1, 1, 1, 1))
        conv_block.add(nn.SpatialConvolution(nInputPlane, n, 3, 3, stride, stride, 0, 0))

        conv_block.add(normalization(n))
        conv_block.add(nn.ReLU(True))
        conv_block.add(pad(1, 1, 1, 1))
        conv_block.add(nn.SpatialConvolution(n, n, 3, 3, 1, 1, 0, 0))

        concat = nn.ConcatTable().add(conv_block).add(shortcut(nInputPlane, n, stride))

        # Sum
        res_block = nn.Sequential()
        res_block.add(concat)
        res_block.add(nn.CAddTable())
        return res_block

    def bottleneck(n, stride=None):
        nonlocal iChannels
        stride = stride or 1
        nInputPlane = iChannels
        iChannels = 4 * n
        # Convolutions
        conv_block = nn.Sequential()

        conv_block.add(normalization(nInputPlane))
        conv_block.add(nn.ReLU(True))
        conv_block.add(nn.SpatialConvolution(nInputPlane, n, 1, 1, 1, 1, 0, 0))

        conv_block.add(normalization(n))
        conv_block.add(nn.ReLU(True))
        conv_block.add(pad(1, 1, 1, 1))
        conv_block.add(nn.SpatialConvolution(n, n, 3, 3, stride, stride, 0, 0))

        conv_block.add(normalization(n))
        conv_block.add(nn.ReLU(True))
        conv_block.add(nn.SpatialConvolution(n, n * 4, 1, 1, 1, 1, 0, 0))

        concat = nn.ConcatTable().add(conv_block).add(shortcut(nInputPlane, n * 4, stride))

        # Sum
        res_block = nn.Sequential()
        res_block.add(concat)
        res_block.add(nn.CAddTable())
        return res_block

    def full_bottleneck(n, stride=None):
        nonlocal iChannels
        stride = stride or 1
        nInputPlane = iChannels
        iChannels = 4 * n
        # Convolutions
        conv_block = nn.Sequential()

        conv_block.add(normalization(nInputPlane))
        conv_block.add(nn.ReLU(True))
        conv_block.add(nn.SpatialConvolution(nInputPlane, n, 1, 1, 1, 1, 0, 0))

        conv_block.add(normalization(n))
        conv_block.add(nn.ReLU(True))

        if stride != 1:
            conv_block.add(nn.SpatialUpSamplingNearest(stride))
            conv_block.add(pad(1, 1, 1, 1))
            conv_block.add(nn.SpatialConvolution(n, n, 3, 3, 1, 1, 0, 0))
        else:
            conv_block.add(pad(1, 1, 1, 1))
            conv_block.add(nn.SpatialConvolution(n, n, 3, 3, 1, 1, 0, 0))
        conv_block.add(normalization(n))
        conv_block.add(nn.ReLU(True))
        conv_block.add(nn.SpatialConvolution(n, n * 4, 1, 1, 1, 1, 0, 0))

        concat = nn.ConcatTable() \
            .add(conv_block) \
            .add(full_shortcut(nInputPlane, n * 4, stride))

        # Sum
        res_block = nn.Sequential()
        res_block.add(concat)
        res_block.add(nn.CAddTable())
        return res_block

    def layer(block, features, count, stride):
        s = nn.Sequential()
        for i in range(count):
            s.add(block(features, stride if i == 0 else 1))
        return s

    model = nn.Sequential()
    model.cNetsNum = []

    # 256x256
    model.add(normalization(3))
    model.add(pad(3, 3, 3, 3))
    model.add(nn.SpatialConvolution(3, 64, 7, 7, 1, 1, 0, 0))
    model.add(normalization(64))
    model.add(nn.ReLU(True))

    iChannels = 64
    block = bottleneck  # basic_block

    model.add(layer(block, 32, 1, 2))
    model.add(layer(block, 64, 1, 2))

    # 32x32x512
    model.add(texture.Inspiration(iChannels))
    model.cNetsNum.append(len(model) - 1)
    model.add(normalization(iChannels))
    model.add(nn.ReLU(True))

    for i in range(int(opt['model_nres'])):
        model.add(layer(block, 64, 1, 1))

    block = full_bottleneck
    model.add(layer(block, 32, 1, 2))
    model.add(layer(block, 16, 1, 2))

    model.add(normalization(64))
    model.add(nn.ReLU(True))

    model.add(pad(3, 3, 3, 3))
    model.add(nn.SpatialConvolution(64, 3, 7, 7, 1, 1, 0, 0))

    model.add(texture.TotalVariation(opt['tv_strength']))

    model.setTarget = SetTarget(model)
    return model


def createCNets(opt):
    # The descriptive network in the paper
    cnet = lg.load(opt['loss_network'])
    cnet.evaluate()
    cnet.style_layers = []

    # Set up calibrate layers
    for i, layer_string in enumerate(opt['style_layers']):
        calibrator = texture.Calibrate()
        insert_after(cnet, layer_string, calibrator)
        cnet.style_layers.append(calibrator)
    trim_network(cnet)

    cnet.calibrate = CalibrateNet(cnet)

    return cnet
