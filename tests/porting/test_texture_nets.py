"""DmitryUlyanov/texture_nets ported line by line: src/utils.lua (``conv``, ``deepCopy`` from fb.resnet.torch,
``torch.FloatTensor:add_dummy``, the user modules DummyGradOutput, NoiseFill, GenNoise and TVLoss, and
``preprocess``/``preprocess_many``/``deprocess``), src/SpatialCircularPadding.lua, src/content_loss.lua,
src/texture_loss.lua (``GramMatrix()`` and TextureLoss), src/descriptor_net.lua (ArtisticCriterion and
``create_descriptor_net``), src/preprocess_criterion.lua, the three generators models/johnson.lua,
models/pyramid.lua and models/skip_unpool.lua, train.lua (its options, the globals ``backend``, ``pad``,
``normalization``, the ``nn.MultiCriterion:replace`` it adds, the pyramid loss, ``feval`` and the optim.adam loop
with its learning-rate decay and ``deepCopy(net):float():clearState()`` checkpoints) and test.lua (load,
``evaluate``, ``add_dummy``, deprocess). InstanceNormalization.lua is the file CycleGAN copies: its port is
tests/porting/test_cyclegan.py's, imported here.

Stand-ins: loadcaffe's VGG-19 is tests/porting/test_neural_style.py's ``tiny_vgg`` (VGG's layer types and Caffe
names, up to relu3_1), so the layers asked for are ``relu1_1,relu2_1`` (style) and ``relu2_2`` (content);
dataloader.lua's threads over an ImageNet folder are a loader of 16 x 16 crops of MNIST digits in three
channels (the fb.resnet.torch loader is ported in tests/porting/test_fbresnet_dataloader.py). Two lines differ
on the CPU: ``create_descriptor_net`` ends with ``cudnn.convert(net, cudnn):cuda()`` and ``updateModules`` calls
``module.target:cuda()`` whatever ``-cpu`` says (the repo's -cpu mode fails there in Torch7 too); the port
does both only when ``params.cpu`` is false, and the GPU test runs them."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, image, nn, optim, paths
from tests.checks import assert_jacobian
from tests.porting.test_cyclegan import InstanceNormalization
from tests.porting.test_neural_style import tiny_vgg


# --- src/utils.lua ------------------------------------------------------------------------------------------

def conv(in_, out_, k, s=None, m=None):
    m = m or 1
    s = s or 1

    to_pad = (k - 1) / 2 * m

    if to_pad == 0:
        return backend.SpatialConvolution(in_, out_, k, k, s, s, 0, 0)
    else:
        net = nn.Sequential()
        net.add(pad(to_pad, to_pad, to_pad, to_pad))
        net.add(backend.SpatialConvolution(in_, out_, k, k, s, s, 0, 0))

        return net


# from fb.resnet.torch
def deepCopy(tbl):
    # creates a copy of a network with new modules and the same tensors
    copy = {}
    for k, v in (vars(tbl).items() if lg.typename(tbl) else pairs_of(tbl)):
        if is_table(v):
            copy[k] = deepCopy(v)
        else:
            copy[k] = v
    if lg.typename(tbl):
        copy = lg.setmetatable(copy, lg.typename(tbl))
    elif isinstance(tbl, list):
        copy = [copy[i] for i in range(len(tbl))]
    return copy


def pairs_of(table):
    """Lua's ``pairs`` of a table held as a list or a dict."""
    return table.items() if isinstance(table, dict) else enumerate(table)


def is_table(v):
    """Lua's ``type(v) == 'table'``: a list, a dict, or an object of a torch class (a module), never a tensor."""
    return isinstance(v, (list, dict)) or (lg.typename(v) is not None and not lg.isTensor(v)
                                          and not lg.isStorage(v))


# adds first dummy dimension
def add_dummy(self):
    sz = self.size()
    new_sz = lg.Tensor(len(sz) + 1)
    new_sz[0] = 1
    new_sz.narrow(0, 1, len(sz)).copy(lg.Tensor(list(sz)))

    if self.isContiguous():
        return self.view(new_sz.long().storage())
    else:
        return self.reshape(new_sz.long().storage())


@pytest.fixture(autouse=True)
def tensor_add_dummy(monkeypatch):
    """utils.lua adds ``add_dummy`` to torch.FloatTensor (and train.lua to torch.CudaTensor): the same on
    legonn's classes, for this file's tests only."""
    monkeypatch.setattr(lg.FloatTensor, 'add_dummy', add_dummy, raising=False)
    monkeypatch.setattr(lg.CudaTensor, 'add_dummy', lg.FloatTensor.add_dummy, raising=False)
    monkeypatch.setattr(lg.DoubleTensor, 'add_dummy', add_dummy, raising=False)


# Simpulates Identity operation with 0 gradOutput
class DummyGradOutput(nn.Module):

    def __init__(self):
        super().__init__()
        self.gradInput = None

    def updateOutput(self, input):
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.gradInput if self.gradInput is not None else input.new().resizeAs(input).fill(0)
        if not input.isSameSizeAs(self.gradInput):
            self.gradInput = self.gradInput.resizeAs(input).fill(0)
        return self.gradInput


# Fills last `num_noise_channels` channels of an existing `input` tensor with noise.
class NoiseFill(nn.Module):

    def __init__(self, num_noise_channels):
        super().__init__()

        # last `num_noise_channels` maps will be filled with noise
        self.num_noise_channels = num_noise_channels
        self.mult = 1.0

    def updateOutput(self, input):
        self.output = self.output if self.output is not None else input.new()
        self.output.resizeAs(input)

        # copy non-noise part
        if self.num_noise_channels != input.size(1):
            ch_to_copy = input.size(1) - self.num_noise_channels
            self.output.narrow(1, 0, ch_to_copy).copy(input.narrow(1, 0, ch_to_copy))

        # fill noise
        if self.num_noise_channels > 0:
            num_channels = input.size(1)
            first_noise_channel = num_channels - self.num_noise_channels

            self.output.narrow(1, first_noise_channel, self.num_noise_channels).uniform().mul(self.mult)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput
        return self.gradInput


# Generates a new tensor with noise of spatial size as `input`
# Forgets about `input` returning 0 gradInput.
class GenNoise(nn.Module):

    def __init__(self, num_planes):
        # the Lua never calls parent.__init: legonn's Module fields come from the class then
        self.num_planes = num_planes
        self.mult = 1.0

    def updateOutput(self, input):
        self.sz = input.size()

        self.sz_ = list(input.size())
        self.sz_[1] = self.num_planes

        self.output = self.output if self.output is not None else input.new()
        self.output.resize(lg.LongStorage(self.sz_))

        # It is concated with normed data, so gen from N(0,1)
        self.output.normal(0, 1).mul(self.mult)

        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.gradInput if self.gradInput is not None else gradOutput.new()
        self.gradInput.resizeAs(input).zero()

        return self.gradInput


# Preprocess an image before passing it to a Caffe model.
# We need to rescale from [0, 1] to [0, 255], convert from RGB to BGR,
# and subtract the mean pixel.
def preprocess(img):
    mean_pixel = lg.FloatTensor([103.939, 116.779, 123.68])
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).mul(255.0)
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img.add(-1, mean_pixel)
    return img


def preprocess_many(images):
    out = images.clone()
    for i in range(images.size(0)):
        out[i] = preprocess(images[i].clone())
    return out


# Undo the above preprocessing.
def deprocess(img):
    mean_pixel = lg.DoubleTensor([103.939, 116.779, 123.68])
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img = img + mean_pixel
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).div(255.0)
    return img


# ----Almost copy paste of jcjohnson's code -----------
class TVLoss(nn.Module):

    def __init__(self, strength):
        super().__init__()
        self.strength = strength
        self.x_diff = lg.Tensor()
        self.y_diff = lg.Tensor()

    def updateOutput(self, input):
        self.output = input
        return self.output

    # TV loss backward pass inspired by kaishengtai/neuralart
    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()

        N, C, H, W = input.size(0), input.size(1), input.size(2), input.size(3)
        self.x_diff.resize(N, C, H - 1, W - 1)
        self.y_diff.resize(N, C, H - 1, W - 1)
        self.x_diff.copy(input[:, :, 0:-1, 0:-1])
        self.x_diff.add(-1, input[:, :, 0:-1, 1:])
        self.y_diff.copy(input[:, :, 0:-1, 0:-1])
        self.y_diff.add(-1, input[:, :, 1:, 0:-1])
        self.gradInput[:, :, 0:-1, 0:-1].add(self.x_diff).add(self.y_diff)
        self.gradInput[:, :, 0:-1, 1:].add(-1, self.x_diff)
        self.gradInput[:, :, 1:, 0:-1].add(-1, self.y_diff)

        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)

        return self.gradInput


# torch.class('nn.X', 'nn.Module') names each class: lg.register under that name (docs/porting.md), which
# setmetatable in deepCopy and the .t7 checkpoint need
for _cls in (DummyGradOutput, NoiseFill, GenNoise, TVLoss):
    lg.register(_cls, 'nn.' + _cls.__name__)


# --- src/SpatialCircularPadding.lua -------------------------------------------------------------------------

class SpatialCircularPadding(nn.Module):

    def __init__(self, pad_l, pad_r=None, pad_t=None, pad_b=None):
        super().__init__()
        self.pad_l = pad_l
        self.pad_r = pad_r if pad_r is not None else self.pad_l
        self.pad_t = pad_t if pad_t is not None else self.pad_l
        self.pad_b = pad_b if pad_b is not None else self.pad_l

        if self.pad_l < 0 or self.pad_r < 0 or self.pad_t < 0 or self.pad_b < 0:
            raise ValueError('padding should be > 0')

    def updateOutput(self, input):
        if input.dim() != 4:
            raise ValueError('input must be 3 or 4-dimensional')

        # sizes
        h = input.size(2) + self.pad_t + self.pad_b
        w = input.size(3) + self.pad_l + self.pad_r

        if w < 1 or h < 1:
            raise ValueError('input is too small')

        self.output.resize(input.size(0), input.size(1), h, w)

        # crop input if necessary
        c_input = input

        # crop outout if necessary
        c_output = self.output
        c_output = c_output.narrow(2, self.pad_t, c_output.size(2) - self.pad_t)
        c_output = c_output.narrow(2, 0, c_output.size(2) - self.pad_b)
        c_output = c_output.narrow(3, self.pad_l, c_output.size(3) - self.pad_l)
        c_output = c_output.narrow(3, 0, c_output.size(3) - self.pad_r)

        # copy input to output
        c_output.copy(c_input)

        # About right, but fills corners with something ..
        self.output.narrow(2, 0, self.pad_t).copy(self.output.narrow(2, input.size(2), self.pad_t))
        self.output.narrow(2, input.size(2) + self.pad_t, self.pad_b).copy(
            self.output.narrow(2, self.pad_t, self.pad_b))

        self.output.narrow(3, 0, self.pad_l).copy(self.output.narrow(3, input.size(3), self.pad_l))
        self.output.narrow(3, input.size(3) + self.pad_l, self.pad_r).copy(
            self.output.narrow(3, self.pad_l, self.pad_r))

        return self.output

    def updateGradInput(self, input, gradOutput):
        if input.dim() != 4:
            raise ValueError('input must be 3 or 4-dimensional')

        # Do it inplace to save memory
        self.gradInput = None
        cg_output = gradOutput

        cg_output = cg_output.narrow(2, self.pad_t, cg_output.size(2) - self.pad_t)
        cg_output = cg_output.narrow(2, 0, cg_output.size(2) - self.pad_b)
        cg_output = cg_output.narrow(3, self.pad_l, cg_output.size(3) - self.pad_l)
        cg_output = cg_output.narrow(3, 0, cg_output.size(3) - self.pad_r)

        # Border gradient
        tb_slice = gradOutput.narrow(3, self.pad_l, input.size(3))
        lr_slice = gradOutput.narrow(2, self.pad_t, input.size(2))

        cg_output.narrow(2, input.size(2) - self.pad_t, self.pad_t).add(tb_slice.narrow(2, 0, self.pad_t))
        cg_output.narrow(2, 0, self.pad_b).add(tb_slice.narrow(2, input.size(2) + self.pad_t, self.pad_b))

        cg_output.narrow(3, input.size(3) - self.pad_l, self.pad_l).add(lr_slice.narrow(3, 0, self.pad_l))
        cg_output.narrow(3, 0, self.pad_r).add(lr_slice.narrow(3, input.size(3) + self.pad_l, self.pad_r))

        self.gradInput = cg_output

        return self.gradInput

    def __repr__(self):
        return lg.type(self) + '(l=%d,r=%d,t=%d,b=%d)' % (self.pad_l, self.pad_r, self.pad_t, self.pad_b)


lg.register(SpatialCircularPadding, 'nn.SpatialCircularPadding')


# --- src/content_loss.lua -----------------------------------------------------------------------------------

class ContentLoss(nn.Module):

    def __init__(self, strength, normalize=None):
        super().__init__()
        self.strength = strength
        self.target = lg.FloatTensor()
        self.normalize = normalize or False
        self.loss = 0
        self.crit = nn.MSECriterion()
        self.active = True

    def updateOutput(self, input):
        if self.active:
            if input.nElement() == self.target.nElement():
                self.loss = self.crit.forward(input, self.target) * self.strength

        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.active:
            if input.nElement() == self.target.nElement():
                self.gradInput = self.crit.backward(input, self.target)
            if self.normalize:
                self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)
            self.gradInput.mul(self.strength)
            self.gradInput.add(gradOutput)
        else:
            self.gradInput = gradOutput
        return self.gradInput


# --- src/texture_loss.lua -----------------------------------------------------------------------------------

# Returns a network that computes batch of CxC Gram matrix from inputs
def GramMatrix():
    net = nn.Sequential()
    concat = nn.ConcatTable()
    concat.add(nn.Identity())
    concat.add(nn.Identity())
    net.add(concat)
    net.add(nn.MM(False, True))
    return net


class TextureLoss(nn.Module):

    def __init__(self, strength, target, normalize=None):
        super().__init__()
        self.normalize = normalize or False
        self.strength = strength

        tsz = target.size()  # noqa: F841  (unused in the Lua too)
        self.target = target.add_dummy()

        self.loss = 0

        self.gram = GramMatrix()
        self.G = None
        self.crit = nn.MSECriterion()
        self.active = True

    def updateOutput(self, input):
        if self.active:
            # input is 4d
            sz = input.size()

            # now batch_size x C x WH
            input3d = input.view(sz[0], sz[1], sz[2] * sz[3])

            self.G = self.gram.forward(input3d)
            self.G.div(input[0].nElement())
            self.match_to = self.target.expandAs(self.G)

            self.loss = self.crit.forward(self.G, self.match_to)
            self.loss = self.loss * self.strength

        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.active:
            dG = self.crit.backward(self.G, self.match_to)
            dG.div(input[0].nElement())

            sz = input.size()
            input3d = input.view(sz[0], sz[1], sz[2] * sz[3])
            self.gradInput = self.gram.backward(input3d, dG).viewAs(input)
            self.gradInput.mul(self.strength)
            self.gradInput.add(gradOutput)
        else:
            self.gradInput = gradOutput
        return self.gradInput


for _cls in (ContentLoss, TextureLoss):
    lg.register(_cls, 'nn.' + _cls.__name__)


# --- src/descriptor_net.lua ---------------------------------------------------------------------------------

class ArtisticCriterion(nn.Criterion):

    def __init__(self, params, cnn, texture_image):
        super().__init__()

        self.content_modules = []
        self.texture_modules = []
        self.descriptor_net = create_descriptor_net(params, cnn, texture_image)[0]
        self.cpu = params['cpu']
        self.updateModules()
        self.gradInput = None

    def updateOutput(self, input, target):
        # Compute target content features

        if len(self.content_modules) > 0:
            for k, module in enumerate(self.texture_modules):
                module.active = False
            for k, module in enumerate(self.content_modules):
                module.active = False
            self.descriptor_net.forward(target)

        # Now forward with images from generator
        for k, module in enumerate(self.texture_modules):
            module.active = True
        for k, module in enumerate(self.content_modules):
            module.active = True
            module.target.resizeAs(module.output)
            module.target.copy(module.output)
        self.descriptor_net.forward(input)

        loss = 0
        for _, mod in enumerate(self.content_modules):
            loss = loss + mod.loss
        for _, mod in enumerate(self.texture_modules):
            loss = loss + mod.loss

        return loss

    def updateGradInput(self, input, target):
        self.gradInput = self.descriptor_net.updateGradInput(input, target)
        return self.gradInput

    def updateModules(self):
        self.content_modules = []
        self.texture_modules = []
        for key, module in enumerate(self.descriptor_net.modules):
            if getattr(module, 'tag', None) == 'content':
                if not self.cpu:
                    module.target.cuda()
                self.content_modules.append(module)
            elif getattr(module, 'tag', None) == 'texture':
                if not self.cpu:
                    module.target.cuda()
                self.texture_modules.append(module)

    def replace(self, f):
        self.descriptor_net = self.descriptor_net.replace(f)
        self.updateModules()
        return self


def create_descriptor_net(params, cnn, texture_image):

    content_layers = params['content_layers'].split(",")
    texture_layers = params['texture_layers'].split(",")

    # Set up the network, inserting texture and content loss modules
    content_modules, texture_modules = [], []
    next_content_idx, next_texture_idx = 0, 0
    net = nn.Sequential()

    for i in range(len(cnn)):
        if next_content_idx < len(content_layers) or next_texture_idx < len(texture_layers):
            layer = cnn.get(i)
            name = layer.name
            layer_type = lg.type(layer)
            is_pooling = (layer_type == 'cudnn.SpatialMaxPooling' or layer_type == 'nn.SpatialMaxPooling')  # noqa

            if params['vgg_no_pad'] and (layer_type == 'nn.SpatialConvolution'
                                         or layer_type == 'nn.SpatialConvolutionMM'
                                         or layer_type == 'cudnn.SpatialConvolution'):
                print(name, ': padding set to 0')

                layer.padW = 0
                layer.padH = 0
            net.add(layer)

            # Content
            if next_content_idx < len(content_layers) and name == content_layers[next_content_idx]:
                print("Setting up content layer", i, ":", layer.name)

                norm = False
                loss_module = ContentLoss(params['content_weight'], norm)
                net.add(loss_module)
                loss_module.tag = 'content'
                next_content_idx = next_content_idx + 1

            # Texture
            if next_texture_idx < len(texture_layers) and name == texture_layers[next_texture_idx]:
                print("Setting up texture layer  ", i, ":", layer.name)
                gram = GramMatrix().float()

                target_features = net.forward(texture_image.add_dummy()).clone()
                target = gram.forward(nn.View(-1).float().setNumInputDims(2).forward(target_features[0])).clone()

                target.div(target_features[0].nElement())

                norm = params['normalize_gradients']
                loss_module = TextureLoss(params['texture_weight'], target, norm).float()

                net.add(loss_module)
                loss_module.tag = 'texture'
                next_texture_idx = next_texture_idx + 1

    net.add(DummyGradOutput())

    # We don't need the base CNN anymore, so clean it up to save memory.
    cnn = None
    for i in range(len(net.modules)):
        module = net.modules[i]
        if lg.type(module) in ('nn.SpatialConvolutionMM', 'nn.SpatialConvolution', 'cudnn.SpatialConvolution'):
            module.gradWeight = None
            module.gradBias = None
    if not params['cpu']:
        net = cudnn.convert(net, cudnn).cuda()
    return net, content_modules, texture_modules


# --- src/preprocess_criterion.lua ---------------------------------------------------------------------------

class PreprocessCriterion(nn.Criterion):

    def __init__(self, criterion, preprocessingStep):
        super().__init__()
        self.criterion = criterion
        self.preprocessing = preprocessingStep
        self.input = lg.FloatTensor()
        self.target = lg.FloatTensor()

    def updateOutput(self, input, target):
        if self.preprocessing is not None:
            self.target = self.preprocessing.forward(target).clone()
            self.input = self.preprocessing.forward(input)
        else:
            self.target = target
            self.input = input
        self.output = self.criterion.updateOutput(self.input, self.target)
        return self.output

    def updateGradInput(self, input, target):
        gradInput = self.criterion.updateGradInput(self.input, self.target)
        if self.preprocessing is not None:
            self.gradInput = self.preprocessing.backward(input, gradInput)
        else:
            self.gradInput = gradInput
        return self.gradInput

    def type(self, type=None, tensorCache=None):
        if type is None:
            return super().type()
        self.criterion.type(type)
        if self.preprocessing is not None:
            self.preprocessing.type(type)
        return super().type(type)

    def replace(self, f):
        if self.preprocessing is not None:
            self.preprocessing = self.preprocessing.replace(f)
        self.criterion = self.criterion.replace(f)
        return self


# --- models/johnson.lua, models/pyramid.lua, models/skip_unpool.lua -----------------------------------------

def johnson():

    def res_block():
        # Convolutions
        conv_block = nn.Sequential()

        conv_block.add(pad(1, 1, 1, 1))
        conv_block.add(backend.SpatialConvolution(128, 128, 3, 3, 1, 1, 0, 0))
        conv_block.add(normalization(128))
        conv_block.add(backend.ReLU(True))

        conv_block.add(pad(1, 1, 1, 1))
        conv_block.add(backend.SpatialConvolution(128, 128, 3, 3, 1, 1, 0, 0))
        conv_block.add(normalization(128))

        concat = nn.ConcatTable().add(nn.Identity()).add(conv_block)

        # Sum
        res_block = nn.Sequential()
        res_block.add(concat)
        res_block.add(nn.CAddTable())
        return res_block

    model = nn.Sequential()

    if params['mode'] == 'texture':
        model.add(NoiseFill(3))

    model.add(pad(4, 4, 4, 4))
    model.add(backend.SpatialConvolution(3, 32, 9, 9, 1, 1, 0, 0))
    model.add(normalization(32))
    model.add(nn.ReLU(True))

    model.add(pad(1, 1, 1, 1))
    model.add(backend.SpatialConvolution(32, 64, 3, 3, 2, 2, 0, 0))
    model.add(normalization(64))
    model.add(nn.ReLU(True))

    model.add(pad(1, 1, 1, 1))
    model.add(backend.SpatialConvolution(64, 128, 3, 3, 2, 2, 0, 0))
    model.add(normalization(128))
    model.add(nn.ReLU(True))

    model.add(res_block())
    model.add(res_block())
    model.add(res_block())
    model.add(res_block())
    model.add(res_block())

    model.add(nn.SpatialFullConvolution(128, 64, 3, 3, 2, 2, 1, 1, 1, 1))
    model.add(normalization(64))
    model.add(nn.ReLU(True))

    model.add(nn.SpatialFullConvolution(64, 32, 3, 3, 2, 2, 1, 1, 1, 1))
    model.add(normalization(32))
    model.add(nn.ReLU(True))

    model.add(pad(1, 1, 1, 1))
    model.add(backend.SpatialConvolution(32, 3, 3, 3, 1, 1, 0, 0))

    return model.add(TVLoss(params['tv_weight']))


def pyramid():
    # A model from the paper
    global seq

    ratios = [32, 16, 8, 4, 2, 1]

    # nn.ReLU(nil, true): ReLU.lua's constructor reads one argument (ip, nil here), so the second is left out
    def act():
        return nn.ReLU()
    conv_num = 8

    cur = None
    for i in range(len(ratios)):

        seq = nn.Sequential()

        tmp = nn.SpatialAveragePooling(ratios[i], ratios[i], ratios[i], ratios[i], 0, 0)

        seq.add(tmp)
        if params['mode'] == 'texture':
            seq.add(NoiseFill(3))

        seq.add(conv(3, conv_num, 3))
        seq.add(normalization(conv_num))
        seq.add(act())

        seq.add(conv(conv_num, conv_num, 3))
        seq.add(normalization(conv_num))
        seq.add(act())

        seq.add(conv(conv_num, conv_num, 1))
        seq.add(normalization(conv_num))
        seq.add(act())

        if i == 0:
            seq.add(nn.SpatialUpSamplingNearest(2))
            cur = seq
        else:
            cur_temp = cur

            cur = nn.Sequential()

            # Batch norm before merging
            seq.add(normalization(conv_num))
            cur_temp.add(normalization(conv_num * i))

            cur.add(nn.Concat(1).add(cur_temp).add(seq))

            cur.add(conv(conv_num * (i + 1), conv_num * (i + 1), 3))
            cur.add(normalization(conv_num * (i + 1)))
            cur.add(act())

            cur.add(conv(conv_num * (i + 1), conv_num * (i + 1), 3))
            cur.add(normalization(conv_num * (i + 1)))
            cur.add(act())

            cur.add(conv(conv_num * (i + 1), conv_num * (i + 1), 1))
            cur.add(normalization(conv_num * (i + 1)))
            cur.add(act())

            if i == len(ratios) - 1:
                cur.add(conv(conv_num * (i + 1), 3, 1))
            else:
                cur.add(nn.SpatialUpSamplingNearest(2))
    model = cur

    return model.add(TVLoss(params['tv_weight']))


def skip_unpool():
    # Decoder-encoder like model with skip-connections
    global model_tmp, input_depth, deeper_main, k

    def act():
        return nn.LeakyReLU(None, True)

    nums_3x3down = [16, 32, 64, 128]
    nums_1x1 = [4, 4, 4, 4, 4]
    nums_3x3up = [16, 32, 64, 128]

    model = nn.Sequential()
    if params['mode'] == 'texture':
        net.add(NoiseFill(3))  # noqa: F821  (``net`` is undefined in the Lua too: texture mode fails there)

    model_tmp = model

    input_depth = 3
    for i in range(len(nums_3x3down)):

        deeper = nn.Sequential()
        skip = nn.Sequential()

        model_tmp.add(nn.Concat(1).add(skip).add(deeper))

        skip.add(conv(input_depth, nums_1x1[i], 1, 1))
        skip.add(normalization(nums_1x1[i]))
        skip.add(act())

        poolingModule = nn.SpatialMaxPooling(2, 2, 2, 2)
        deeper.add(conv(input_depth, nums_3x3down[i], 3, 1))
        deeper.add(normalization(nums_3x3down[i]))
        deeper.add(act())

        deeper.add(poolingModule)

        deeper.add(conv(nums_3x3down[i], nums_3x3down[i], 3))
        deeper.add(normalization(nums_3x3down[i]))
        deeper.add(act())

        deeper_main = nn.Sequential()

        if i == len(nums_3x3down) - 1:
            k = nums_3x3down[i]
        else:
            deeper.add(deeper_main)

            deeper.add(conv(nums_3x3up[i + 1], nums_3x3up[i], 3))
            deeper.add(normalization(nums_3x3down[i]))

            k = nums_3x3up[i]

        deeper.add(nn.SpatialMaxUnpooling(poolingModule))

        deeper.add(normalization(k))
        skip.add(normalization(nums_1x1[i]))

        model_tmp.add(conv(nums_1x1[i] + k, nums_3x3up[i], 3))
        model_tmp.add(normalization(nums_3x3up[i]))
        model_tmp.add(act())

        model_tmp.add(conv(nums_3x3up[i], nums_3x3up[i], 3))
        model_tmp.add(normalization(nums_3x3up[i]))
        model_tmp.add(act())

        model_tmp.add(conv(nums_3x3up[i], nums_3x3up[i], 1))
        model_tmp.add(normalization(nums_3x3up[i]))
        model_tmp.add(act())

        input_depth = nums_3x3down[i]
        model_tmp = deeper_main
    model.add(conv(nums_3x3up[0], 3, 1, 1))
    model = nn.Sequential().add(nn.ConcatTable().add(nn.Identity()).add(model)).add(nn.CAddTable())

    return model.add(TVLoss(params['tv_weight']))


MODELS = {'johnson': johnson, 'pyramid': pyramid, 'skip_unpool': skip_unpool}


# --- train.lua ----------------------------------------------------------------------------------------------

def multi_criterion_replace(self, f):
    for i in range(len(self.criterions)):
        self.criterions[i] = self.criterions[i].replace(f)
    return self


def make_cmd():
    cmd = lg.CmdLine()

    cmd.option('-content_layers', 'relu4_2', 'Layer to attach content loss.')
    cmd.option('-style_layers', 'relu1_1,relu2_1,relu3_1,relu4_1', 'Layer to attach style loss.')

    cmd.option('-learning_rate', 1e-3)

    cmd.option('-num_iterations', 50000, 'Number of steps to perform.')
    cmd.option('-save_every', 1000, 'Save model every N iterations.')
    cmd.option('-batch_size', 1)

    cmd.option('-image_size', 256, 'Training images size')

    cmd.option('-content_weight', 1)
    cmd.option('-style_weight', 1)
    cmd.option('-tv_weight', 0, 'Total variation weight.')

    cmd.option('-style_image', '', 'Path to style image')
    cmd.option('-style_size', 256, 'Resize style image to this size, no resize if 0.')

    cmd.option('-mode', 'style', 'style|texture')

    cmd.option('-checkpoints_path', 'data/checkpoints/', 'Directory to store intermediate results.')
    cmd.option('-model', 'pyramid', 'Path to generator model description file.')

    cmd.option('-vgg_no_pad', 'false')
    cmd.option('-normalization', 'instance', 'batch|instance')

    cmd.option('-proto_file', 'data/pretrained/VGG_ILSVRC_19_layers_deploy.prototxt', 'Pretrained')
    cmd.option('-model_file', 'data/pretrained/VGG_ILSVRC_19_layers.caffemodel')
    cmd.option('-backend', 'cudnn', 'nn|cudnn')

    # Dataloader
    cmd.option('-dataset', 'style')
    cmd.option('-data', '', 'Path to dataset. Structure like in fb.resnet.torch repo.')
    cmd.option('-manualSeed', 0)
    cmd.option('-nThreads', 4, 'Data loading threads.')

    cmd.option('-cpu', False, 'use this flag to run on CPU')
    cmd.option('-gpu', 0, 'specify which GPU to use')

    cmd.option('-display_port', 8000, 'specify port to show graphs')
    cmd.option('-pyramid_loss', 1, 'number of pyramidal downscales in the loss function')
    cmd.option('-pyramid_decay', 0.9, 'weight decay of pyramidal downscales in the loss function')
    return cmd


class CropLoader:
    """Stand-in for dataloader.lua's ``get()`` over datasets/style.lua: each call a batch of random
    ``image_size`` crops (t.RandomCrop) of 20 x 20 MNIST digits in three channels, ``{input = img, target =
    img}`` as style.lua's get_input_target."""

    def __init__(self, opt):
        digits = np.load(paths.concat(paths.dirname(paths.dirname(paths.dirname(__file__))), 'examples', 'data',
                                      'mnist_5k.npz'))['x'][::97][:, 4:24, 4:24]
        self.images = lg.from_numpy(np.repeat(digits[:, None].astype(np.float32) / 255, 3, axis=1))
        self.opt = opt

    def get(self):
        size = self.opt['image_size']
        batch = lg.FloatTensor(self.opt['batch_size'], 3, size, size)
        for b in range(batch.size(0)):
            img = self.images[int(lg.random(0, self.images.size(0) - 1))]
            x1, y1 = int(lg.random(0, img.size(2) - size)), int(lg.random(0, img.size(1) - size))
            batch[b].copy(image.crop(img, x1, y1, x1 + size, y1 + size))
        return {'input': batch, 'target': batch.clone()}


def setup(params):
    """train.lua lines 90-157 after the options: backend, dtype, the flags, normalization, pad, the loader, the
    VGG stand-in, the texture image."""
    global dtype, backend, normalization, pad

    if params['cpu']:
        dtype = 'torch.FloatTensor'
        params['backend'] = 'nn'
        backend = nn
    else:
        dtype = 'torch.CudaTensor'
        lg.CudaTensor.add_dummy = lg.FloatTensor.add_dummy
        if params['backend'] == 'cudnn':
            cudnn.fastest = True
            cudnn.benchmark = True
            backend = cudnn
        else:
            backend = nn
    assert params['mode'] == 'style', ('Only stylization is implemented in master branch. You can find texture '
                                       'generation in texture_nets_v1 branch.')

    params['normalize_gradients'] = params.get('normalize_gradients') != 'false'
    params['vgg_no_pad'] = params['vgg_no_pad'] != 'false'
    params['circular_padding'] = params.get('circular_padding') != 'false'

    # For compatibility with Justin Johnsons code
    params['texture_weight'] = params['style_weight']
    params['texture_layers'] = params['style_layers']
    params['texture'] = params['style_image']

    if params['normalization'] == 'instance':
        normalization = InstanceNormalization
    elif params['normalization'] == 'batch':
        normalization = nn.SpatialBatchNormalization

    if params['mode'] == 'texture':
        params['content_layers'] = ''
        pad = SpatialCircularPadding
    else:
        pad = nn.SpatialReplicationPadding

    trainLoader = CropLoader(params)

    # load network
    cnn = tiny_vgg()
    cnn = cudnn.convert(cnn, nn).float()

    # load texture
    texture_image = image.load(params['texture'], 3)
    if params['style_size'] > 0:
        texture_image = image.scale(texture_image, params['style_size'], 'bicubic')
    texture_image = texture_image.float()

    texture_image = preprocess(texture_image)
    return trainLoader, cnn, texture_image


def train(parsed):
    """train.lua from ``params = cmd:parse(arg)`` (a global the model files read) to the end: returns the
    generator, the criterion and the loss history."""
    global params
    params = parsed
    trainLoader, cnn, texture_image = setup(params)

    # Define model
    net = MODELS[params['model']]().type(dtype)

    criterion = None
    if params['pyramid_loss'] > 1:
        criterion = nn.MultiCriterion()
        w = 1.0
        s = 1.0
        criterion.add(ArtisticCriterion(params, cnn.clone(), texture_image.clone()), w)
        for i in range(2, params['pyramid_loss'] + 1):
            w = w * params['pyramid_decay']
            s = s * 2
            local_texture_image = image.scale(texture_image, texture_image.size(2) / s, texture_image.size(1) / s,
                                              'bicubic').float()
            criterion.add(PreprocessCriterion(ArtisticCriterion(params, cnn.clone(), local_texture_image.clone()),
                                              nn.SpatialAveragePooling(s, s, s, s)), w)
    else:
        criterion = ArtisticCriterion(params, cnn, texture_image)

    if not params['cpu']:
        criterion = cudnn.convert(criterion, cudnn).cuda()

    iteration = 0

    parameters, gradParameters = net.getParameters()
    loss_history = []

    def feval(x):
        nonlocal iteration
        iteration = iteration + 1

        if x is not parameters:
            parameters.copy(x)
        gradParameters.zero()

        loss = 0

        # Get batch
        images = trainLoader.get()

        images_target = preprocess_many(images['target']).type(dtype)
        images_input = images['input'].type(dtype)

        # Forward
        out = net.forward(images_input)
        loss = loss + criterion.forward(out, images_target)

        # Backward
        grad = criterion.backward(out, images_target)
        net.backward(images_input, grad)

        loss = loss / params['batch_size']

        loss_history.append([iteration, loss])
        return loss, gradParameters

    optim_method = optim.adam
    state = {
        'learningRate': params['learning_rate'],
    }

    for it in range(1, params['num_iterations'] + 1):

        # Optimization step
        optim_method(feval, parameters, state)

        if it % 2000 == 0:
            state['learningRate'] = state['learningRate'] * 0.8

        # Dump net
        if it % params['save_every'] == 0 or it == params['num_iterations']:
            net.clearState()
            net_to_save = deepCopy(net).float().clearState()
            if params['backend'] == 'cudnn':
                net_to_save = cudnn.convert(net_to_save, nn)
            lg.save_lua(paths.concat(params['checkpoints_path'], 'model_' + str(it) + '.t7'), net_to_save)
    return net, criterion, loss_history


# --- test.lua -----------------------------------------------------------------------------------------------

def stylize(params):
    # Load model and set type
    model = lg.load_lua(params['model_t7'])

    if params['cpu']:
        tp = 'torch.FloatTensor'
    else:
        tp = 'torch.CudaTensor'
        model = cudnn.convert(model, cudnn)

    model.type(tp)
    model.evaluate()

    # Load image and scale
    img = image.load(params['input_image'], 3).float()
    if params['image_size'] > 0:
        img = image.scale(img, params['image_size'], params['image_size'])

    # Stylize
    input = img.add_dummy()
    stylized = model.forward(input.type(tp)).double()
    stylized = deprocess(stylized[0])

    # Save
    image.save(params['save_path'], lg.clamp(stylized, 0, 1))
    return stylized


# --- tests --------------------------------------------------------------------------------------------------

@pytest.fixture
def multi_criterion_replace_added(monkeypatch):
    """train.lua's ``function nn.MultiCriterion:replace(f)``, on legonn's class for one test."""
    monkeypatch.setattr(nn.MultiCriterion, 'replace', multi_criterion_replace, raising=False)


def _params(tmp_path, **changes):
    lg.manualSeed(1)
    style = lg.Tensor(3, 24, 24)
    yy, xx = np.mgrid[0:24, 0:24]
    style.copy(lg.from_numpy(np.stack([np.sin(xx / 2.0), np.cos(yy / 3.0), np.sin((xx + yy) / 4.0)])
                             .astype(np.float32) * 0.5 + 0.5))
    image.save(str(tmp_path / 'style.png'), style)
    args = ['-style_image', str(tmp_path / 'style.png'), '-style_size', '16', '-image_size', '16',
            '-content_layers', 'relu2_2', '-style_layers', 'relu1_1,relu2_1', '-checkpoints_path', str(tmp_path),
            '-cpu', '-model', 'johnson', '-num_iterations', '8', '-save_every', '4', '-batch_size', '2',
            '-learning_rate', '0.05', '-style_weight', '50', '-tv_weight', '1e-4']
    for key, value in changes.items():
        if value is True:
            args = [a for a in args if a != '-' + key] + ['-' + key]
        else:
            args += ['-' + key, str(value)]
    return make_cmd().parse(args)


def _numpy_circular(x, l, r, t, b):
    """What SpatialCircularPadding.lua's forward computes: the planes wrapped around as on a torus."""
    H, W = x.shape[2], x.shape[3]
    rows = np.arange(-t, H + b) % H
    cols = np.arange(-l, W + r) % W
    return x[:, :, rows][:, :, :, cols]


def test_spatial_circular_padding_wraps_and_writes_its_gradient_into_grad_output():
    """The forward wraps the planes (corners included); the backward adds the border gradients of the middle
    rows and columns onto the interior of gradOutput itself (``self.gradInput`` is a view of it), leaving the
    corners' gradient out, as the Lua's comment says. Away from the corners that is the exact gradient: a
    finite-difference check with the corners' gradOutput zero."""
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 5, 6)
    m = SpatialCircularPadding(2, 1, 1, 2).double()
    out = m.forward(lg.from_numpy(x))
    np.testing.assert_array_equal(out.numpy(), _numpy_circular(x, 2, 1, 1, 2))
    assert str(m) == 'nn.SpatialCircularPadding(l=2,r=1,t=1,b=2)'

    go = rng.randn(*out.size())
    go[:, :, :1, :2] = go[:, :, :1, -1:] = go[:, :, -2:, :2] = go[:, :, -2:, -1:] = 0   # the corners
    gradOutput = lg.from_numpy(go.copy())
    gi = m.backward(lg.from_numpy(x), gradOutput)
    assert gi.storage() is gradOutput.storage()
    # d sum(go * out) / dx: each output pixel's gradient goes to the input pixel it wraps to
    expected = np.zeros_like(x)
    rows, cols = np.arange(-1, 5 + 2) % 5, np.arange(-2, 6 + 1) % 6
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            expected[:, :, r, c] += go[:, :, i, j]
    np.testing.assert_allclose(gi.numpy(), expected, rtol=1e-12)
    with pytest.raises(ValueError, match='padding should be > 0'):
        SpatialCircularPadding(-1)


def test_user_modules_gradients():
    """TVLoss (identity forward, strength times the TV gradient added), NoiseFill (noise in the last planes,
    gradOutput passed through), GenNoise (the Lua skips parent.__init; zero gradInput) and DummyGradOutput
    (zero gradient whatever comes)."""
    rng = np.random.RandomState(1)
    x = rng.randn(2, 3, 4, 5)
    tv = TVLoss(0.3).double()
    go = rng.randn(*x.shape)
    gi = tv.backward(lg.from_numpy(x), lg.from_numpy(go)).numpy()

    def tv_loss(a):
        dx = a[:, :, :-1, :-1] - a[:, :, :-1, 1:]
        dy = a[:, :, :-1, :-1] - a[:, :, 1:, :-1]
        return 0.3 * 0.5 * ((dx ** 2).sum() + (dy ** 2).sum())
    eps, num = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        a, b = x.copy(), x.copy()
        a[idx] += eps
        b[idx] -= eps
        num[idx] = (tv_loss(a) - tv_loss(b)) / (2 * eps)
    np.testing.assert_allclose(gi, go + num, rtol=1e-6, atol=1e-8)

    fill = NoiseFill(2)
    inp = lg.Tensor(2, 5, 3, 3).fill(-7)
    out = fill.forward(inp)
    assert (out.narrow(1, 0, 3).numpy() == -7).all()
    noise = out.narrow(1, 3, 2).numpy()
    assert (noise >= 0).all() and (noise <= 1).all() and noise.std() > 0.1
    g = lg.Tensor(2, 5, 3, 3).uniform()
    assert fill.backward(inp, g) is g

    gen = GenNoise(4)
    out = gen.forward(lg.Tensor(3, 2, 5, 5))
    assert out.size() == (3, 4, 5, 5) and abs(float(out.mean())) < 0.3 and 0.7 < float(out.std()) < 1.3
    assert gen.backward(lg.Tensor(3, 2, 5, 5), out).size() == (3, 2, 5, 5)
    assert float(gen.gradInput.abs().sum()) == 0

    dummy = nn.Sequential().add(nn.Linear(3, 3)).add(DummyGradOutput())
    for n in (2, 4):   # the zero gradient is resized with the batch
        x = lg.Tensor(n, 3).uniform()
        dummy.forward(x)
        assert float(dummy.backward(x, lg.Tensor(n, 3).fill(5)).abs().sum()) == 0


def test_texture_and_content_losses_match_numpy_and_finite_differences():
    """TextureLoss: strength * MSE(G / (C*H*W), target) with G the batch of C x C Gram matrices, its target
    expanded over the batch; ContentLoss: strength * MSE to its target. The gradients each module adds to
    gradOutput match finite differences of its loss; inactive, each passes gradOutput through."""
    rng = np.random.RandomState(2)
    feats = rng.randn(2, 3, 4, 4)
    target = rng.rand(3, 3)
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        tl = TextureLoss(2.5, lg.from_numpy(target.copy())).double()
        cl = ContentLoss(1.5).double()
    finally:
        lg.setdefaulttensortype('torch.FloatTensor')
    cl.target = lg.from_numpy(rng.randn(2, 3, 4, 4))

    def texture_loss(f):
        flat = f.reshape(2, 3, 16)
        G = np.einsum('nci,ndi->ncd', flat, flat) / 48
        return 2.5 * ((G - target[None]) ** 2).mean()

    tl.forward(lg.from_numpy(feats))
    assert tl.loss == pytest.approx(texture_loss(feats), rel=1e-12)
    go = rng.randn(*feats.shape)
    gi = tl.backward(lg.from_numpy(feats), lg.from_numpy(go)).numpy() - go
    eps, num = 1e-6, np.zeros_like(feats)
    for idx in np.ndindex(*feats.shape):
        a, b = feats.copy(), feats.copy()
        a[idx] += eps
        b[idx] -= eps
        num[idx] = (texture_loss(a) - texture_loss(b)) / (2 * eps)
    np.testing.assert_allclose(gi, num, rtol=1e-5, atol=1e-9)

    cl.forward(lg.from_numpy(feats))
    assert cl.loss == pytest.approx(1.5 * ((feats - cl.target.numpy()) ** 2).mean(), rel=1e-12)
    gi = cl.backward(lg.from_numpy(feats), lg.from_numpy(go)).numpy()
    np.testing.assert_allclose(gi, go + 1.5 * 2 * (feats - cl.target.numpy()) / feats.size, rtol=1e-12)

    tl.active = cl.active = False
    g = lg.from_numpy(go)
    assert tl.backward(lg.from_numpy(feats), g) is g and cl.backward(lg.from_numpy(feats), g) is g


def test_instance_normalization_jacobian_and_generators_shapes():
    """The three generators build as the Lua files write them and map a 1 x 3 x H x W image to the same size
    (pyramid's six scales need H = W = 32); the padding ``conv`` builds for k = 3 is a replication of 1. The
    generator's InstanceNormalization (CycleGAN's port of the same file) passes its Jacobian test."""
    global params, backend, normalization, pad
    params = {'mode': 'style', 'tv_weight': 0}
    backend, normalization, pad = nn, InstanceNormalization, nn.SpatialReplicationPadding
    lg.manualSeed(3)
    c = conv(4, 6, 3)
    assert lg.type(c.get(0)) == 'nn.SpatialReplicationPadding' and c.get(0).pad_l == 1
    assert lg.type(conv(4, 6, 1)) == 'nn.SpatialConvolution'
    for name, size in (('johnson', 16), ('pyramid', 32), ('skip_unpool', 16)):
        model = MODELS[name]()
        x = lg.Tensor(1, 3, size, size).uniform()
        assert model.forward(x).size() == (1, 3, size, size), name
        g = model.backward(x, lg.Tensor(1, 3, size, size).uniform())
        assert g.size() == x.size() and math.isfinite(float(g.sum()))
    assert_jacobian(InstanceNormalization(3), lg.Tensor(2, 3, 3, 4).uniform(), tol=1e-6)


def test_deep_copy_shares_tensors_in_new_modules():
    """fb.resnet.torch's deepCopy (utils.lua): new module objects of the same classes over the same tensors, so
    ``deepCopy(net):float()`` converts the copy and leaves the network alone."""
    net = nn.Sequential().add(nn.Linear(3, 4)).add(nn.ConcatTable().add(nn.Tanh()).add(nn.Identity()))
    net.double()
    copy = deepCopy(net)
    assert type(copy) is nn.Sequential and copy is not net and isinstance(copy.modules, list)
    assert copy.get(0) is not net.get(0) and copy.get(0).weight is net.get(0).weight
    assert type(copy.get(1)) is nn.ConcatTable and copy.get(1).get(0) is not net.get(1).get(0)
    x = lg.DoubleTensor(2, 3).uniform()
    assert copy.forward(x)[0].equal(net.forward(x)[0])
    copy.float()
    assert copy.get(0).weight.type() == 'torch.FloatTensor' and net.get(0).weight.type() == 'torch.DoubleTensor'


def test_train_lua_style_transfer_lowers_the_loss_and_checkpoints(tmp_path, multi_criterion_replace_added):
    """train.lua on the CPU with the johnson generator, a two-scale pyramid loss (MultiCriterion of an
    ArtisticCriterion and a PreprocessCriterion averaging 2 x 2 first), optim.adam: the loss falls; the
    checkpoints of iterations 4 and 8 are .t7 files that test.lua loads, sets to evaluate and runs."""
    params_ = _params(tmp_path, pyramid_loss=2)
    net, criterion, history = train(params_)
    assert lg.type(criterion) == 'nn.MultiCriterion' and len(criterion.criterions) == 2
    inner = criterion.criterions[1].criterion
    assert [m.tag for m in inner.content_modules + inner.texture_modules] == ['content', 'texture', 'texture']
    losses = [loss for _, loss in history]
    assert len(losses) == 8 and all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3]), losses
    assert paths.filep(str(tmp_path / 'model_4.t7')) and paths.filep(str(tmp_path / 'model_8.t7'))
    assert net.get(1).weight.type() == 'torch.FloatTensor'

    img = lg.Tensor(3, 16, 16).uniform()
    image.save(str(tmp_path / 'content.png'), img)
    out = stylize({'model_t7': str(tmp_path / 'model_8.t7'), 'cpu': True, 'image_size': 0,
                   'input_image': str(tmp_path / 'content.png'), 'save_path': str(tmp_path / 'stylized.png')})
    net.evaluate()
    want = deprocess(net.forward(image.load(str(tmp_path / 'content.png'), 3).float().add_dummy()).double()[0])
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    assert image.load(str(tmp_path / 'stylized.png'), 3).size() == (3, 16, 16)


def test_multi_criterion_replace_reaches_the_descriptor_nets(tmp_path, multi_criterion_replace_added):
    """train.lua's MultiCriterion:replace calls each criterion's replace: ArtisticCriterion's swaps modules of
    its descriptor net (and re-collects its loss modules), PreprocessCriterion's its pooling and criterion, as
    cudnn.convert(criterion, cudnn) does on the GPU."""
    params_ = _params(tmp_path)
    trainLoader, cnn, texture_image = setup(params_)
    criterion = nn.MultiCriterion()
    criterion.add(ArtisticCriterion(params_, cnn.clone(), texture_image.clone()), 1.0)
    criterion.add(PreprocessCriterion(ArtisticCriterion(params_, cnn.clone(), texture_image.clone()),
                                      nn.SpatialAveragePooling(2, 2, 2, 2)), 0.9)
    criterion = cudnn.convert(criterion, cudnn)
    first = criterion.criterions[0].descriptor_net
    assert lg.type(first.get(0)) == 'cudnn.SpatialConvolution'
    assert lg.type(criterion.criterions[1].preprocessing) == 'cudnn.SpatialAveragePooling'
    assert len(criterion.criterions[0].texture_modules) == 2


@pytest.mark.gpu
def test_train_lua_on_the_gpu(tmp_path, multi_criterion_replace_added):
    """train.lua's GPU path: dtype CudaTensor, cudnn backend, the descriptor nets converted to cudnn and moved to
    the GPU, the pyramid criterion converted (PreprocessCriterion's type moves its pooling and criterion); the
    loss falls and the checkpoint is saved on the CPU, as nn modules."""
    params_ = _params(tmp_path, num_iterations=6, save_every=6, pyramid_loss=2)
    params_['cpu'] = False
    net, criterion, history = train(params_)
    assert net.get(1).weight.type() == 'torch.CudaTensor'
    pre = criterion.criterions[1]
    assert lg.type(pre.preprocessing) == 'cudnn.SpatialAveragePooling'
    assert pre.criterion.descriptor_net.get(0).weight.type() == 'torch.CudaTensor'
    losses = [loss for _, loss in history]
    assert all(math.isfinite(v) for v in losses) and min(losses[-2:]) < losses[0], losses
    saved = lg.load_lua(str(tmp_path / 'model_6.t7'))
    assert lg.type(saved.get(1)) == 'nn.SpatialConvolution' and saved.get(1).weight.type() == 'torch.FloatTensor'
