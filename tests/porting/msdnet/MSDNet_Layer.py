"""models/MSDNet_Layer.lua: the multi-scale dense layers. ``build`` makes a (bottleneck 1x1-BN-ReLU then) 3x3 conv
(stride 1 'normal', stride 2 'down', or a transposed 'up')-BN-ReLU; ``build_net_normal`` joins a scale's input with
its new features, ``build_net_down_normal`` also with features strided down from the finer scale.
``nn.MSDNet_Layer_first`` turns an image into ``nScales`` feature maps (each scale strided from the previous one);
``nn.MSDNet_Layer`` takes ``inScales`` maps and gives ``outScales`` (one fewer where the network drops its finest
scale), every output scale being ``[input, down(finer input), normal(input)]`` concatenated on the planes.

Edits beyond Lua syntax and 0-based indices: ``torch.CudaTensor()`` (the first layer's gradInput, which
msdnet.lua's ``model:type(opt.tensorType)`` converts at once) is ``lg.Tensor()``, so that the CPU tests build the
model without CuPy; the Lua tables that grow by index (``self.output[i] = ...``, ``self.gradInput[i] =
self.gradInput[i] or input[i].new()``) are lists that append where the index is one past their end;
``tostring(m):gsub(line, ...)`` is ``lg.tostring(m).replace(...)``, and the two classes' identical
``__tostring__`` bodies are one function ``_tostring`` (JointTrainContainer's too); ``opt.x`` is ``opt['x']``;
each forward builds ``real_input`` afresh; ``self.offset`` (never set: nil) is read with ``getattr``."""
import legonn as lg
from legonn import cudnn, nn


def build(nChannels, nOutChannels, type, bottleneck, bnWidth=None):
    net = nn.Sequential()
    innerChannels = nChannels
    bnWidth = bnWidth or 4
    if bottleneck == True:
        innerChannels = min(innerChannels, bnWidth * nOutChannels)
        net.add(cudnn.SpatialConvolution(nChannels, innerChannels, 1, 1, 1, 1, 0, 0))
        net.add(cudnn.SpatialBatchNormalization(innerChannels))
        net.add(cudnn.ReLU(True))
    if type == 'normal':
        net.add(cudnn.SpatialConvolution(innerChannels, nOutChannels, 3, 3, 1, 1, 1, 1))
    elif type == 'down':
        net.add(cudnn.SpatialConvolution(innerChannels, nOutChannels, 3, 3, 2, 2, 1, 1))
    elif type == 'up':
        net.add(cudnn.SpatialFullConvolution(innerChannels, nOutChannels, 3, 3, 2, 2, 1, 1, 1, 1))
    else:
        raise RuntimeError("Please implement me: " + type)
    net.add(cudnn.SpatialBatchNormalization(nOutChannels))
    net.add(cudnn.ReLU(True))
    return net


def build_net_normal(nChannels, nOutChannels, bottleneck, bnWidth):
    net_warp = nn.Sequential()
    net = nn.ParallelTable()
    net.add(nn.Identity())
    net.add(build(nChannels, nOutChannels, 'normal', bottleneck, bnWidth))
    net_warp.add(net).add(nn.JoinTable(1))
    return net_warp


def build_net_down_normal(nChannels1, nChannels2, nOutChannels, bottleneck, bnWidth1, bnWidth2):
    net_warpper = nn.Sequential()
    net = nn.ParallelTable()
    assert nOutChannels % 2 == 0, 'Growth rate invalid!'
    net.add(nn.Identity())
    net.add(build(nChannels1, nOutChannels // 2, 'down', bottleneck, bnWidth1))
    net.add(build(nChannels2, nOutChannels // 2, 'normal', bottleneck, bnWidth2))
    net_warpper.add(net).add(nn.JoinTable(1))
    return net_warpper


def _tostring(self, name):
    """The two classes' ``__tostring__`` (the same text but for the name)."""
    tab = '  '
    line = '\n'
    next = '  |`-> '
    lastNext = '   `-> '
    ext = '  |    '
    extlast = '       '
    last = '   ... -> '
    str_ = name
    str_ = str_ + ' {' + line + tab + '{input}'
    for i in range(len(self.modules)):
        if i == len(self.modules) - 1:
            str_ = str_ + line + tab + lastNext + '(' + str(i) + '): ' + \
                lg.tostring(self.modules[i]).replace(line, line + tab + extlast)
        else:
            str_ = str_ + line + tab + next + '(' + str(i) + '): ' + \
                lg.tostring(self.modules[i]).replace(line, line + tab + ext)
    str_ = str_ + line + tab + last + '{output}'
    str_ = str_ + line + '}'
    return str_


# --------------
# - MSDNet_Layer_first:
# -      the input layer of MSDNet
# - input: a tensor (orginal image)
# - output: a table of nScale tensors
# --------------

class MSDNet_Layer_first(nn.Container):

    def __init__(self, nChannels, nOutChannels, opt):
        nn.Container.__init__(self)

        self.train = True
        self.nChannels = nChannels
        self.nOutChannels = nOutChannels

        self.opt = opt

        self.modules = []
        # transform raw input to first layer
        self.modules.append(nn.Sequential())
        if opt['dataset'] == 'cifar10' or opt['dataset'] == 'cifar100':
            self.modules[0].add(cudnn.SpatialConvolution(nChannels, nOutChannels * opt['grFactor'][0],
                                                         3, 3, 1, 1, 1, 1))
            self.modules[0].add(cudnn.SpatialBatchNormalization(nOutChannels * opt['grFactor'][0]))
            self.modules[0].add(cudnn.ReLU(True))
        elif opt['dataset'] == 'imagenet':
            self.modules[0].add(cudnn.SpatialConvolution(nChannels, nOutChannels * opt['grFactor'][0],
                                                         7, 7, 2, 2, 3, 3))
            self.modules[0].add(nn.SpatialBatchNormalization(nOutChannels * opt['grFactor'][0]))
            self.modules[0].add(cudnn.ReLU(True))
            self.modules[0].add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))

        nIn = nOutChannels * opt['grFactor'][0]
        for i in range(1, opt['nScales']):
            self.modules.append(nn.Sequential())
            self.modules[i].add(cudnn.SpatialConvolution(nIn, nOutChannels * opt['grFactor'][i], 3, 3, 2, 2, 1, 1))
            self.modules[i].add(cudnn.SpatialBatchNormalization(nOutChannels * opt['grFactor'][i]))
            self.modules[i].add(cudnn.ReLU(True))
            nIn = nOutChannels * opt['grFactor'][i]

        self.gradInput = lg.Tensor()
        self.output = []

    def updateOutput(self, input):
        for i in range(self.opt['nScales']):
            if len(self.output) == i:
                self.output.append(input.new())
            tmp_input = input if (i == 0) else self.output[i - 1]
            tmp_output = self.rethrowErrors(self.modules[i], i, 'updateOutput', tmp_input)
            self.output[i].resizeAs(tmp_output).copy(tmp_output)
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:
            self.gradInput = input.new()
        self.gradInput.resizeAs(input).zero()
        for i in range(self.opt['nScales'] - 2, -1, -1):
            gradOutput[i].add(self.modules[i + 1].updateGradInput(self.output[i], gradOutput[i + 1]))
        self.gradInput.resizeAs(input).copy(self.modules[0].updateGradInput(input, gradOutput[0]))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale if scale is not None else 1
        for i in range(self.opt['nScales'] - 1, 0, -1):
            self.modules[i].accGradParameters(self.output[i - 1], gradOutput[i], scale)
        self.modules[0].accGradParameters(input, gradOutput[0], scale)

    def __tostring__(self):
        return _tostring(self, 'MSDNet_Layer_first')


# --------------
# - MSDNet_Layer (without upsampling):
# -      subsequent layers of MSDNet
# - input: a table of `nScales` tensors
# - output: a table of `nScales` tensors
# --------------


class MSDNet_Layer(nn.Container):

    def __init__(self, nChannels, nOutChannels, opt, inScales=None, outScales=None):
        nn.Container.__init__(self)

        self.train = True
        self.nChannels = nChannels
        self.nOutChannels = nOutChannels
        self.opt = opt
        self.inScales = inScales or opt['nScales']
        self.outScales = outScales or opt['nScales']
        self.nScales = opt['nScales']
        self.discard = self.inScales - self.outScales
        assert self.discard <= 1, 'Double check inScales' + str(self.inScales) + 'and outScales: ' + str(self.outScales)

        offset = self.nScales - self.outScales
        self.modules = []
        isTrans = self.outScales < self.inScales
        if isTrans:
            nIn1, nIn2, nOut = nChannels * opt['grFactor'][offset - 1], nChannels * opt['grFactor'][offset], \
                opt['grFactor'][offset] * nOutChannels
            self.modules.append(build_net_down_normal(nIn1, nIn2, nOut, opt['bottleneck'], opt['bnFactor'][offset - 1],
                                                      opt['bnFactor'][offset]))
        else:
            self.modules.append(build_net_normal(nChannels * opt['grFactor'][offset],
                                                 opt['grFactor'][offset] * nOutChannels,
                                                 opt['bottleneck'], opt['bnFactor'][offset]))
        for i in range(1, self.outScales):
            nIn1, nIn2, nOut = nChannels * opt['grFactor'][offset + i - 1], nChannels * opt['grFactor'][offset + i], \
                opt['grFactor'][offset + i] * nOutChannels
            self.modules.append(build_net_down_normal(nIn1, nIn2, nOut, opt['bottleneck'],
                                                      opt['bnFactor'][offset + i - 1], opt['bnFactor'][offset + i]))

        self.real_input = []
        self.gradInput = []
        self.gIn = []
        self.output = []

        self.modules = self.modules

    def updateOutput(self, input):

        discard = self.discard
        self.real_input = [None] * self.outScales
        if self.inScales == self.outScales:
            self.real_input[0] = [input[0], input[0]]
            for i in range(1, self.outScales):
                self.real_input[i] = [input[i], input[i - 1], input[i]]
        else:
            for i in range(self.outScales):  # !!!
                self.real_input[i] = [input[discard + i], input[discard + i - 1], input[discard + i]]

        for i in range(self.outScales):
            self.output[i:i + 1] = [self.rethrowErrors(self.modules[i], i, 'updateOutput', self.real_input[i])]

        return self.output

    def updateGradInput(self, input, gradOutput):

        # self.gradInput = self.gradInput or {}
        offset = getattr(self, 'offset', None)
        if self.gIn is None:
            self.gIn = []

        for i in range(self.inScales):
            if len(self.gradInput) == i:
                self.gradInput.append(input[i].new())

        for i in range(self.outScales):
            self.gIn[i:i + 1] = [self.modules[i].updateGradInput(self.real_input[i], gradOutput[i])]

        if self.inScales == self.outScales:
            if self.outScales == 1:
                self.gradInput[0].resizeAs(self.gIn[0][0]).copy(self.gIn[0][0]) \
                    .add(self.gIn[0][1])
            else:
                self.gradInput[0].resizeAs(self.gIn[0][0]).copy(self.gIn[0][0]) \
                    .add(self.gIn[0][1]).add(self.gIn[1][1])
            for i in range(1, self.inScales - 1):
                self.gradInput[i].resizeAs(self.gIn[i][0]).copy(self.gIn[i][0]) \
                    .add(self.gIn[i][2]).add(self.gIn[i + 1][1])

        else:
            self.gradInput[0].resizeAs(self.gIn[0][1]).copy(self.gIn[0][1])
            for i in range(1, self.inScales - 1):
                self.gradInput[i].resizeAs(self.gIn[i - 1][0]).copy(self.gIn[i - 1][0]) \
                    .add(self.gIn[i - 1][2]).add(self.gIn[i][1])
        if self.inScales > 1:
            self.gradInput[self.inScales - 1].resizeAs(self.gIn[self.outScales - 1][0]) \
                .copy(self.gIn[self.outScales - 1][0]).add(self.gIn[self.outScales - 1][2])

        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):

        scale = scale if scale is not None else 1
        for i in range(self.outScales):
            self.modules[i].accGradParameters(self.real_input[i], gradOutput[i], scale)

    def clearState(self):
        # don't call set because it might reset referenced tensors
        def clear(f):
            if getattr(self, f, None) is not None:
                if lg.isTensor(getattr(self, f)):
                    setattr(self, f, getattr(self, f).new())
                elif isinstance(getattr(self, f), list):
                    setattr(self, f, [])
                else:
                    setattr(self, f, None)
        clear('output')
        clear('gradInput')
        clear('real_input')
        clear('gIn')
        if self.modules:
            for i, module in enumerate(self.modules):
                module.clearState()
        return self

    def __tostring__(self):
        return _tostring(self, 'MSDNet_Layer')
