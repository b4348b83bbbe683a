"""junyanz/CycleGAN ported line by line (commit 40b4498): models/architectures.lua (``weights_init`` and
``set_normalization``, lines 5-28; ``defineG``/``defineD``, 30-54; ``defineG_unet128``, 98-141;
``build_conv_block``/``build_res_block``/``defineG_resnet_6blocks``/``_9blocks``, 197-269;
``defineD_imageGAN``/``defineD_basic``/``defineD_pixelGAN``/``defineD_n_layers``, 271-384),
util/InstanceNormalization.lua (DmitryUlyanov/texture_nets' InstanceNormalization.lua, the same code: a
SpatialBatchNormalization over N*C planes of a reshaped view, with momentum, running averages and
do-nothing ``evaluate``/``training``), util/image_pool.lua, util/util.lua's ``BiasZero`` (line 10),
models/base_model.lua and models/cycle_gan_model.lua (the four nets, the GAN criterion, the cycle and
identity L1 losses, the fDx/fGx closures stepped by ``optim.adam`` on four flat parameter vectors,
RefreshParameters, the linear learning-rate decay), and train.lua's loop (lines 122-178), fed by
data/unaligned_data_loader.lua, data/data_util.lua, data/data.lua's zero-thread path, data/donkey_folder.lua's
``loadSingleImage`` and data/dataset.lua's ``getByClass``/``tableToOutput``/``sample`` over folders of PNG
and JPEG images the test writes with ``legonn.image``.

Left out: the display, plotting, checkpoint and option-printing code (visualizer, plot_util, Save,
options.lua's file writing), the content loss (a VGG), the bigan/content_gan/pix2pix models
(tests/porting/test_pix2pix.py ports pix2pix's own U-net and closures), defineG_encoder_decoder and
defineG_unet256 (pix2pix's U-net with ``normalization`` for SpatialBatchNormalization). dataset.lua finds
its images with ``find``/``wc``/``cut`` into an ffi CharTensor: here a sorted listing of the same extensions
into a list of paths. data.lua's threads are not ported: with ``nThreads`` 0 it runs the donkey inline, but
in the main Lua state, where ``opt`` is train.lua's table without the ``phase .. name`` and ``nc`` that
data_util.lua writes into its copy (so CycleGAN reads DATA_ROOT/train there); the port hands the donkey
that copy, as a donkey thread gets it. Sizes are tiny (16x16 images, ngf/ndf 4)."""
import math
import os
import random

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn, optim
from tests.checks import assert_jacobian


class InstanceNormalization(nn.Module):
    """util/InstanceNormalization.lua: each (image, plane) of an N x C x H x W input normalised over its
    H x W pixels (biased variance, ``eps``), scaled by weight[c] and shifted by bias[c] when ``affine``,
    computed by a SpatialBatchNormalization(N*C) on the 1 x N*C x H x W view; its running averages (with
    ``momentum``, default 0: they never move) are copied back, averaged over the images, at the next forward."""

    def __init__(self, nOutput, eps=None, momentum=None, affine=None):
        super().__init__()
        self.running_mean = lg.zeros(nOutput)
        self.running_var = lg.ones(nOutput)

        self.eps = eps if eps is not None else 1e-5
        self.momentum = momentum if momentum is not None else 0.0
        if affine is not None:
            assert type(affine) == bool, 'affine has to be true/false'
            self.affine = affine
        else:
            self.affine = True

        self.nOutput = nOutput
        self.prev_batch_size = -1

        if self.affine:
            self.weight = lg.Tensor(nOutput).uniform()
            self.bias = lg.Tensor(nOutput).zero()
            self.gradWeight = lg.Tensor(nOutput)
            self.gradBias = lg.Tensor(nOutput)

    def updateOutput(self, input):
        if self.output is None:
            self.output = input.new()
        assert input.size(1) == self.nOutput

        batch_size = input.size(0)

        if batch_size != self.prev_batch_size or (getattr(self, 'bn', None) is not None
                                                  and self.type() != self.bn.type()):
            self.bn = nn.SpatialBatchNormalization(input.size(0) * input.size(1), self.eps, self.momentum,
                                                   self.affine)
            self.bn.type(self.type())
            self.bn.running_mean.copy(self.running_mean.repeatTensor(batch_size))
            self.bn.running_var.copy(self.running_var.repeatTensor(batch_size))

            self.prev_batch_size = input.size(0)

        # Get statistics
        self.running_mean.copy(self.bn.running_mean.view(input.size(0), self.nOutput).mean(0))
        self.running_var.copy(self.bn.running_var.view(input.size(0), self.nOutput).mean(0))

        # Set params for BN
        if self.affine:
            self.bn.weight.copy(self.weight.repeatTensor(batch_size))
            self.bn.bias.copy(self.bias.repeatTensor(batch_size))

        input_1obj = input.contiguous().view(1, input.size(0) * input.size(1), input.size(2), input.size(3))
        self.output = self.bn.forward(input_1obj).viewAs(input)

        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:
            self.gradInput = gradOutput.new()

        assert self.bn

        input_1obj = input.contiguous().view(1, input.size(0) * input.size(1), input.size(2), input.size(3))
        gradOutput_1obj = gradOutput.contiguous().view(1, input.size(0) * input.size(1), input.size(2),
                                                       input.size(3))

        if self.affine:
            self.bn.gradWeight.zero()
            self.bn.gradBias.zero()

        self.gradInput = self.bn.backward(input_1obj, gradOutput_1obj).viewAs(input)

        if self.affine:
            self.gradWeight.add(self.bn.gradWeight.view(input.size(0), self.nOutput).sum(0))
            self.gradBias.add(self.bn.gradBias.view(input.size(0), self.nOutput).sum(0))
        return self.gradInput

    def clearState(self):
        self.output = self.output.new()
        self.gradInput = self.gradInput.new()

        if getattr(self, 'bn', None) is not None:
            self.bn.clearState()

    def evaluate(self):
        pass

    def training(self):
        pass


lg.register(InstanceNormalization, 'nn.InstanceNormalization')    # its Torch7 name: .t7 files hold it so


# ---------------------------------------------------------------------------------------- architectures.lua
def weights_init(m):
    name = lg.type(m)
    if 'Convolution' in name:
        m.weight.normal(0.0, 0.02)
        m.bias.fill(0)
    elif 'Normalization' in name:
        if m.weight is not None:
            m.weight.normal(1.0, 0.02)
        if m.bias is not None:
            m.bias.fill(0)


normalization = None


def set_normalization(norm):
    global normalization
    if norm == 'instance':
        normalization = InstanceNormalization       # require 'util.InstanceNormalization'
    elif norm == 'batch':
        normalization = nn.SpatialBatchNormalization


def defineG(input_nc, output_nc, ngf, which_model_netG, nz=None, arch=None):
    netG = None
    if which_model_netG == "unet128":
        netG = defineG_unet128(input_nc, output_nc, ngf)
    elif which_model_netG == "resnet_6blocks":
        netG = defineG_resnet_6blocks(input_nc, output_nc, ngf)
    elif which_model_netG == "resnet_9blocks":
        netG = defineG_resnet_9blocks(input_nc, output_nc, ngf)
    else:
        raise ValueError("unsupported netG model")
    netG.apply(weights_init)

    return netG


def defineD(input_nc, ndf, which_model_netD, n_layers_D, use_sigmoid):
    netD = None
    if which_model_netD == "basic":
        netD = defineD_basic(input_nc, ndf, use_sigmoid)
    elif which_model_netD == "imageGAN":
        netD = defineD_imageGAN(input_nc, ndf, use_sigmoid)
    elif which_model_netD == "n_layers":
        netD = defineD_n_layers(input_nc, ndf, n_layers_D, use_sigmoid)
    else:
        raise ValueError("unsupported netD model")
    netD.apply(weights_init)

    return netD


def defineG_unet128(input_nc, output_nc, ngf):
    netG = None
    # input is (nc) x 128 x 128
    e1 = - nn.SpatialConvolution(input_nc, ngf, 4, 4, 2, 2, 1, 1)
    # input is (ngf) x 64 x 64
    e2 = e1 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf, ngf * 2, 4, 4, 2, 2, 1, 1) - normalization(ngf * 2)
    # input is (ngf * 2) x 32 x 32
    e3 = (e2 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 2, ngf * 4, 4, 4, 2, 2, 1, 1)
          - normalization(ngf * 4))
    # input is (ngf * 4) x 16 x 16
    e4 = (e3 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 4, ngf * 8, 4, 4, 2, 2, 1, 1)
          - normalization(ngf * 8))
    # input is (ngf * 8) x 8 x 8
    e5 = (e4 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 8, ngf * 8, 4, 4, 2, 2, 1, 1)
          - normalization(ngf * 8))
    # input is (ngf * 8) x 4 x 4
    e6 = (e5 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 8, ngf * 8, 4, 4, 2, 2, 1, 1)
          - normalization(ngf * 8))
    # input is (ngf * 8) x 2 x 2
    e7 = (e6 - nn.LeakyReLU(0.2, True)
          - nn.SpatialConvolution(ngf * 8, ngf * 8, 4, 4, 2, 2, 1, 1))  # normalization(ngf * 8)
    # input is (ngf * 8) x 1 x 1

    d1_ = (e7 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 8, ngf * 8, 4, 4, 2, 2, 1, 1) - normalization(ngf * 8)
           - nn.Dropout(0.5))
    # input is (ngf * 8) x 2 x 2
    d1 = [d1_, e6] - nn.JoinTable(1)
    d2_ = (d1 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 8 * 2, ngf * 8, 4, 4, 2, 2, 1, 1)
           - normalization(ngf * 8) - nn.Dropout(0.5))
    # input is (ngf * 8) x 4 x 4
    d2 = [d2_, e5] - nn.JoinTable(1)
    d3_ = (d2 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 8 * 2, ngf * 8, 4, 4, 2, 2, 1, 1)
           - normalization(ngf * 8) - nn.Dropout(0.5))
    # input is (ngf * 8) x 8 x 8
    d3 = [d3_, e4] - nn.JoinTable(1)
    d4_ = (d3 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 8 * 2, ngf * 4, 4, 4, 2, 2, 1, 1)
           - normalization(ngf * 4))
    # input is (ngf * 8) x 16 x 16
    d4 = [d4_, e3] - nn.JoinTable(1)
    d5_ = (d4 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 4 * 2, ngf * 2, 4, 4, 2, 2, 1, 1)
           - normalization(ngf * 2))
    # input is (ngf * 4) x 32 x 32
    d5 = [d5_, e2] - nn.JoinTable(1)
    d6_ = d5 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 2 * 2, ngf, 4, 4, 2, 2, 1, 1) - normalization(ngf)
    # input is (ngf * 2) x 64 x 64
    d6 = [d6_, e1] - nn.JoinTable(1)

    d7 = d6 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 2, output_nc, 4, 4, 2, 2, 1, 1)
    # input is (nc) x 128 x 128

    o1 = d7 - nn.Tanh()
    netG = nn.gModule([e1], [o1])
    return netG


# Justin Johnson's model from https://github.com/jcjohnson/fast-neural-style/
def build_conv_block(dim, padding_type):
    conv_block = nn.Sequential()
    p = 0
    if padding_type == 'reflect':
        conv_block.add(nn.SpatialReflectionPadding(1, 1, 1, 1))
    elif padding_type == 'replicate':
        conv_block.add(nn.SpatialReplicationPadding(1, 1, 1, 1))
    elif padding_type == 'zero':
        p = 1
    conv_block.add(nn.SpatialConvolution(dim, dim, 3, 3, 1, 1, p, p))
    conv_block.add(normalization(dim))
    conv_block.add(nn.ReLU(True))
    if padding_type == 'reflect':
        conv_block.add(nn.SpatialReflectionPadding(1, 1, 1, 1))
    elif padding_type == 'replicate':
        conv_block.add(nn.SpatialReplicationPadding(1, 1, 1, 1))
    conv_block.add(nn.SpatialConvolution(dim, dim, 3, 3, 1, 1, p, p))
    conv_block.add(normalization(dim))
    return conv_block


def build_res_block(dim, padding_type):
    conv_block = build_conv_block(dim, padding_type)
    res_block = nn.Sequential()
    concat = nn.ConcatTable()
    concat.add(conv_block)
    concat.add(nn.Identity())

    res_block.add(concat).add(nn.CAddTable())
    return res_block


def defineG_resnet_6blocks(input_nc, output_nc, ngf):
    global padding_type
    padding_type = 'reflect'
    ks = 3
    netG = None
    f = 7
    p = (f - 1) / 2
    data = -nn.Identity()
    e1 = (data - nn.SpatialReflectionPadding(p, p, p, p) - nn.SpatialConvolution(input_nc, ngf, f, f, 1, 1)
          - normalization(ngf) - nn.ReLU(True))
    e2 = e1 - nn.SpatialConvolution(ngf, ngf * 2, ks, ks, 2, 2, 1, 1) - normalization(ngf * 2) - nn.ReLU(True)
    e3 = e2 - nn.SpatialConvolution(ngf * 2, ngf * 4, ks, ks, 2, 2, 1, 1) - normalization(ngf * 4) - nn.ReLU(True)
    d1 = (e3 - build_res_block(ngf * 4, padding_type) - build_res_block(ngf * 4, padding_type)
          - build_res_block(ngf * 4, padding_type) - build_res_block(ngf * 4, padding_type)
          - build_res_block(ngf * 4, padding_type) - build_res_block(ngf * 4, padding_type))
    d2 = (d1 - nn.SpatialFullConvolution(ngf * 4, ngf * 2, ks, ks, 2, 2, 1, 1, 1, 1) - normalization(ngf * 2)
          - nn.ReLU(True))
    d3 = d2 - nn.SpatialFullConvolution(ngf * 2, ngf, ks, ks, 2, 2, 1, 1, 1, 1) - normalization(ngf) - nn.ReLU(True)
    d4 = d3 - nn.SpatialReflectionPadding(p, p, p, p) - nn.SpatialConvolution(ngf, output_nc, f, f, 1, 1) - nn.Tanh()
    netG = nn.gModule([data], [d4])
    return netG


def defineG_resnet_9blocks(input_nc, output_nc, ngf):
    global padding_type
    padding_type = 'reflect'
    ks = 3
    netG = None
    f = 7
    p = (f - 1) / 2
    data = -nn.Identity()
    e1 = (data - nn.SpatialReflectionPadding(p, p, p, p) - nn.SpatialConvolution(input_nc, ngf, f, f, 1, 1)
          - normalization(ngf) - nn.ReLU(True))
    e2 = e1 - nn.SpatialConvolution(ngf, ngf * 2, ks, ks, 2, 2, 1, 1) - normalization(ngf * 2) - nn.ReLU(True)
    e3 = e2 - nn.SpatialConvolution(ngf * 2, ngf * 4, ks, ks, 2, 2, 1, 1) - normalization(ngf * 4) - nn.ReLU(True)
    d1 = (e3 - build_res_block(ngf * 4, padding_type) - build_res_block(ngf * 4, padding_type)
          - build_res_block(ngf * 4, padding_type) - build_res_block(ngf * 4, padding_type)
          - build_res_block(ngf * 4, padding_type) - build_res_block(ngf * 4, padding_type)
          - build_res_block(ngf * 4, padding_type) - build_res_block(ngf * 4, padding_type)
          - build_res_block(ngf * 4, padding_type))
    d2 = (d1 - nn.SpatialFullConvolution(ngf * 4, ngf * 2, ks, ks, 2, 2, 1, 1, 1, 1) - normalization(ngf * 2)
          - nn.ReLU(True))
    d3 = d2 - nn.SpatialFullConvolution(ngf * 2, ngf, ks, ks, 2, 2, 1, 1, 1, 1) - normalization(ngf) - nn.ReLU(True)
    d4 = d3 - nn.SpatialReflectionPadding(p, p, p, p) - nn.SpatialConvolution(ngf, output_nc, f, f, 1, 1) - nn.Tanh()
    netG = nn.gModule([data], [d4])
    return netG


def defineD_imageGAN(input_nc, ndf, use_sigmoid):
    netD = nn.Sequential()

    # input is (nc) x 256 x 256
    netD.add(nn.SpatialConvolution(input_nc, ndf, 4, 4, 2, 2, 1, 1))
    netD.add(nn.LeakyReLU(0.2, True))
    # state size: (ndf) x 128 x 128
    netD.add(nn.SpatialConvolution(ndf, ndf * 2, 4, 4, 2, 2, 1, 1))
    netD.add(nn.SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*2) x 64 x 64
    netD.add(nn.SpatialConvolution(ndf * 2, ndf * 4, 4, 4, 2, 2, 1, 1))
    netD.add(nn.SpatialBatchNormalization(ndf * 4)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*4) x 32 x 32
    netD.add(nn.SpatialConvolution(ndf * 4, ndf * 8, 4, 4, 2, 2, 1, 1))
    netD.add(nn.SpatialBatchNormalization(ndf * 8)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*8) x 16 x 16
    netD.add(nn.SpatialConvolution(ndf * 8, ndf * 8, 4, 4, 2, 2, 1, 1))
    netD.add(nn.SpatialBatchNormalization(ndf * 8)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*8) x 8 x 8
    netD.add(nn.SpatialConvolution(ndf * 8, ndf * 8, 4, 4, 2, 2, 1, 1))
    netD.add(nn.SpatialBatchNormalization(ndf * 8)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*8) x 4 x 4
    netD.add(nn.SpatialConvolution(ndf * 8, 1, 4, 4, 2, 2, 1, 1))
    # state size: 1 x 1 x 1
    if use_sigmoid:
        netD.add(nn.Sigmoid())

    return netD


def defineD_basic(input_nc, ndf, use_sigmoid):
    global n_layers
    n_layers = 3
    return defineD_n_layers(input_nc, ndf, n_layers, use_sigmoid)


# rf=1
def defineD_pixelGAN(input_nc, ndf, use_sigmoid):
    netD = nn.Sequential()

    # input is (nc) x 256 x 256
    netD.add(nn.SpatialConvolution(input_nc, ndf, 1, 1, 1, 1, 0, 0))
    netD.add(nn.LeakyReLU(0.2, True))
    # state size: (ndf) x 256 x 256
    netD.add(nn.SpatialConvolution(ndf, ndf * 2, 1, 1, 1, 1, 0, 0))
    netD.add(normalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*2) x 256 x 256
    netD.add(nn.SpatialConvolution(ndf * 2, 1, 1, 1, 1, 1, 0, 0))
    # state size: 1 x 256 x 256
    if use_sigmoid:
        netD.add(nn.Sigmoid())

    return netD


# if n=0, then use pixelGAN (rf=1)
# else rf is 16 if n=1, 34 if n=2, 70 if n=3, 142 if n=4, 286 if n=5, 574 if n=6
def defineD_n_layers(input_nc, ndf, n_layers, use_sigmoid, kw=None, dropout_ratio=None):
    global padw
    if dropout_ratio is None:
        dropout_ratio = 0.0

    if kw is None:
        kw = 4
    padw = math.ceil((kw - 1) / 2)

    if n_layers == 0:
        return defineD_pixelGAN(input_nc, ndf, use_sigmoid)
    else:
        netD = nn.Sequential()

        # input is (nc) x 256 x 256
        netD.add(nn.SpatialConvolution(input_nc, ndf, kw, kw, 2, 2, padw, padw))
        netD.add(nn.LeakyReLU(0.2, True))

        nf_mult = 1
        nf_mult_prev = 1
        for n in range(1, n_layers):         # for n = 1, n_layers-1: n is a count here, not an index
            nf_mult_prev = nf_mult
            nf_mult = min(2 ** n, 8)
            netD.add(nn.SpatialConvolution(ndf * nf_mult_prev, ndf * nf_mult, kw, kw, 2, 2, padw, padw))
            netD.add(normalization(ndf * nf_mult)).add(nn.Dropout(dropout_ratio))
            netD.add(nn.LeakyReLU(0.2, True))

        # state size: (ndf*M) x N x N
        nf_mult_prev = nf_mult
        nf_mult = min(2 ** n_layers, 8)
        netD.add(nn.SpatialConvolution(ndf * nf_mult_prev, ndf * nf_mult, kw, kw, 1, 1, padw, padw))
        netD.add(normalization(ndf * nf_mult)).add(nn.LeakyReLU(0.2, True))
        # state size: (ndf*M*2) x (N-1) x (N-1)
        netD.add(nn.SpatialConvolution(ndf * nf_mult, 1, kw, kw, 1, 1, padw, padw))
        # state size: 1 x (N-2) x (N-2)
        if use_sigmoid:
            netD.add(nn.Sigmoid())
        # state size: 1 x (N-2) x (N-2)
        return netD


# ------------------------------------------------------------------------------- util.lua, image_pool.lua
def load_helper(filename, opt):
    """util.lua's load_helper (lines 183-220)."""
    if not os.path.isfile(filename):
        return None
    net = lg.load(filename)     # InstanceNormalization is registered above: require 'util.InstanceNormalization'
    if opt['gpu'] > 0:
        net.cuda()
        # calling cuda on cudnn saved nngraphs doesn't change all variables to cuda, so do it below
        if getattr(net, 'forwardnodes', None) is not None:
            for i in range(len(net.forwardnodes)):
                if net.forwardnodes[i].data.module is not None:
                    net.forwardnodes[i].data.module.cuda()
    else:
        net.float()

    def fresh(m):
        if m.weight is not None:
            m.gradWeight = m.weight.clone().zero()
            m.gradBias = m.bias.clone().zero()
    net.apply(fresh)
    return net


class util:
    """util/util.lua's functions the model calls."""

    @staticmethod
    def BiasZero(net):
        net.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)

    @staticmethod
    def load_model(name, opt):
        return load_helper(os.path.join(opt['checkpoints_dir'], opt['name'], 'latest_net_' + name + '.t7'), opt)

    @staticmethod
    def load_test_model(name, opt):
        return load_helper(os.path.join(opt['checkpoints_dir'], opt['name'],
                                        opt['which_epoch'] + '_net_' + name + '.t7'), opt)

    @staticmethod
    def save_model(net, net_name, weight):
        if weight > 0.0:
            lg.save(os.path.join(opt['checkpoints_dir'], opt['name'], net_name), net.clearState())


class ImagePool:
    """util/image_pool.lua. Lua's ``math.random`` is its own generator, apart from torch's: Python's
    ``random`` stands for it (``math.random(n)`` draws 1 .. n as ``random.randint(1, n)``)."""

    def __init__(self, pool_size):
        self.pool_size = pool_size
        if pool_size > 0:
            self.num_imgs = 0
            self.images = []

    def model_name(self):
        return 'ImagePool'

    def Query(self, image):
        if self.pool_size == 0:
            return image
        if self.num_imgs < self.pool_size:
            self.num_imgs = self.num_imgs + 1
            self.images.append(image)           # self.images[self.num_imgs] = image
            return image
        else:
            p = random.random()
            if p > 0.5:
                random_id = random.randint(1, self.pool_size)      # math.random(self.pool_size)
                tmp = self.images[random_id - 1].clone()
                self.images[random_id - 1] = image.clone()
                return tmp
            else:
                return image


# ------------------------------------------------------------------------ base_model.lua, cycle_gan_model.lua
opt = None          # train.lua's global: InitializeStates reads it


class BaseModel:
    def __init__(self, conf=None):
        conf = conf or {}

    def model_name(self):
        return 'DoesNothingModel'


class CycleGANModel(BaseModel):
    def __init__(self, conf=None):
        BaseModel.__init__(self, conf)
        conf = conf or {}

    def model_name(self):
        return 'CycleGANModel'

    def InitializeStates(self, use_wgan=None):
        optimState = {'learningRate': opt['lr'], 'beta1': opt['beta1']}
        return optimState

    # Defines models and networks
    def Initialize(self, opt):
        if opt['test'] == 0:
            self.fakeAPool = ImagePool(opt['pool_size'])
            self.fakeBPool = ImagePool(opt['pool_size'])
        # define tensors
        if opt['test'] == 0:      # allocate tensors for training
            self.real_A = lg.Tensor(opt['batchSize'], opt['input_nc'], opt['fineSize'], opt['fineSize'])
            self.real_B = lg.Tensor(opt['batchSize'], opt['output_nc'], opt['fineSize'], opt['fineSize'])
            self.fake_A = lg.Tensor(opt['batchSize'], opt['input_nc'], opt['fineSize'], opt['fineSize'])
            self.fake_B = lg.Tensor(opt['batchSize'], opt['output_nc'], opt['fineSize'], opt['fineSize'])
            self.rec_A = lg.Tensor(opt['batchSize'], opt['input_nc'], opt['fineSize'], opt['fineSize'])
            self.rec_B = lg.Tensor(opt['batchSize'], opt['output_nc'], opt['fineSize'], opt['fineSize'])
        # load/define models
        use_lsgan = opt.get('use_lsgan') is not None and opt['use_lsgan'] == 1
        if not use_lsgan:
            self.criterionGAN = nn.BCECriterion()
        else:
            self.criterionGAN = nn.MSECriterion()
        self.criterionRec = nn.AbsCriterion()

        netG_A, netD_A, netG_B, netD_B = None, None, None, None
        if opt['continue_train'] == 1:
            if opt['test'] == 1:    # test mode
                netG_A = util.load_test_model('G_A', opt)
                netG_B = util.load_test_model('G_B', opt)
            else:
                netG_A = util.load_model('G_A', opt)
                netG_B = util.load_model('G_B', opt)
                netD_A = util.load_model('D_A', opt)
                netD_B = util.load_model('D_B', opt)
        else:
            use_sigmoid = not use_lsgan
            netG_A = defineG(opt['input_nc'], opt['output_nc'], opt['ngf'], opt['which_model_netG'], opt.get('arch'))
            netD_A = defineD(opt['output_nc'], opt['ndf'], opt['which_model_netD'], opt['n_layers_D'], use_sigmoid)
            netG_B = defineG(opt['output_nc'], opt['input_nc'], opt['ngf'], opt['which_model_netG'], opt.get('arch'))
            netD_B = defineD(opt['input_nc'], opt['ndf'], opt['which_model_netD'], opt['n_layers_D'], use_sigmoid)

        self.netD_A = netD_A
        self.netG_A = netG_A
        self.netG_B = netG_B
        self.netD_B = netD_B

        # define real/fake labels
        if opt['test'] == 0:
            D_A_size = self.netD_A.forward(self.real_B).size()     # hack: assume D_size_A = D_size_B
            self.fake_label_A = lg.Tensor(D_A_size).fill(0.0)
            self.real_label_A = lg.Tensor(D_A_size).fill(1.0)      # no soft smoothing
            D_B_size = self.netD_B.forward(self.real_A).size()
            self.fake_label_B = lg.Tensor(D_B_size).fill(0.0)
            self.real_label_B = lg.Tensor(D_B_size).fill(1.0)
            self.optimStateD_A = self.InitializeStates()
            self.optimStateG_A = self.InitializeStates()
            self.optimStateD_B = self.InitializeStates()
            self.optimStateG_B = self.InitializeStates()
            self.RefreshParameters()

    # Runs the forward pass of the network and saves the result to member variables of the class
    def Forward(self, input, opt):
        if opt['which_direction'] == 'BtoA':
            temp = input['real_A'].clone()
            input['real_A'] = input['real_B'].clone()
            input['real_B'] = temp

        if opt['test'] == 0:
            self.real_A.copy(input['real_A'])
            self.real_B.copy(input['real_B'])

        if opt['test'] == 1:      # forward for test
            self.real_A = input['real_A'].clone()
            self.real_B = input['real_B'].clone()
            self.fake_B = self.netG_A.forward(self.real_A).clone()
            self.fake_A = self.netG_B.forward(self.real_B).clone()
            self.rec_A = self.netG_B.forward(self.fake_B).clone()
            self.rec_B = self.netG_A.forward(self.fake_A).clone()

    # create closure to evaluate f(X) and df/dX of discriminator
    def fDx_basic(self, x, gradParams, netD, netG, real, fake, real_label, fake_label, opt):
        util.BiasZero(netD)
        util.BiasZero(netG)
        gradParams.zero()
        # Real  log(D_A(B))
        output = netD.forward(real)
        errD_real = self.criterionGAN.forward(output, real_label)
        df_do = self.criterionGAN.backward(output, real_label)
        netD.backward(real, df_do)
        # Fake  + log(1 - D_A(G_A(A)))
        output = netD.forward(fake)
        errD_fake = self.criterionGAN.forward(output, fake_label)
        df_do2 = self.criterionGAN.backward(output, fake_label)
        netD.backward(fake, df_do2)
        # Compute loss
        errD = (errD_real + errD_fake) / 2.0
        return errD, gradParams

    def fDAx(self, x, opt):
        # use image pool that stores the old fake images
        fake_B = self.fakeBPool.Query(self.fake_B)
        self.errD_A, gradParams = self.fDx_basic(x, self.gradparametersD_A, self.netD_A, self.netG_A,
                                                 self.real_B, fake_B, self.real_label_A, self.fake_label_A, opt)
        return self.errD_A, gradParams

    def fDBx(self, x, opt):
        fake_A = self.fakeAPool.Query(self.fake_A)
        self.errD_B, gradParams = self.fDx_basic(x, self.gradparametersD_B, self.netD_B, self.netG_B,
                                                 self.real_A, fake_A, self.real_label_B, self.fake_label_B, opt)
        return self.errD_B, gradParams

    def fGx_basic(self, x, gradParams, netG, netD, netE, real, real2, real_label, lambda1, lambda2, opt):
        util.BiasZero(netD)
        util.BiasZero(netG)
        util.BiasZero(netE)     # inverse mapping
        gradParams.zero()

        # G should be identity if real2 is fed.
        errI = None
        identity = None
        if opt['lambda_identity'] > 0:
            identity = netG.forward(real2).clone()
            errI = self.criterionRec.forward(identity, real2) * lambda2 * opt['lambda_identity']
            didentity_loss_do = self.criterionRec.backward(identity, real2).mul(lambda2).mul(opt['lambda_identity'])
            netG.backward(real2, didentity_loss_do)

        # GAN loss: D_A(G_A(A))
        fake = netG.forward(real).clone()
        output = netD.forward(fake)
        errG = self.criterionGAN.forward(output, real_label)
        df_do1 = self.criterionGAN.backward(output, real_label)
        df_d_GAN = netD.updateGradInput(fake, df_do1)

        # forward cycle loss
        rec = netE.forward(fake).clone()
        errRec = self.criterionRec.forward(rec, real) * lambda1
        df_do2 = self.criterionRec.backward(rec, real).mul(lambda1)
        df_do_rec = netE.updateGradInput(fake, df_do2)

        netG.backward(real, df_d_GAN + df_do_rec)

        # backward cycle loss
        fake2 = netE.forward(real2)
        rec2 = netG.forward(fake2)
        errAdapt = self.criterionRec.forward(rec2, real2) * lambda2
        df_do_coadapt = self.criterionRec.backward(rec2, real2).mul(lambda2)
        netG.backward(fake2, df_do_coadapt)

        return gradParams, errG, errRec, errI, fake, rec, identity

    def fGAx(self, x, opt):
        (self.gradparametersG_A, self.errG_A, self.errRec_A, self.errI_A, self.fake_B, self.rec_A,
         self.identity_B) = self.fGx_basic(x, self.gradparametersG_A, self.netG_A, self.netD_A, self.netG_B,
                                           self.real_A, self.real_B, self.real_label_A, opt['lambda_A'],
                                           opt['lambda_B'], opt)
        return self.errG_A, self.gradparametersG_A

    def fGBx(self, x, opt):
        (self.gradparametersG_B, self.errG_B, self.errRec_B, self.errI_B, self.fake_A, self.rec_B,
         self.identity_A) = self.fGx_basic(x, self.gradparametersG_B, self.netG_B, self.netD_B, self.netG_A,
                                           self.real_B, self.real_A, self.real_label_B, opt['lambda_B'],
                                           opt['lambda_A'], opt)
        return self.errG_B, self.gradparametersG_B

    def OptimizeParameters(self, opt):
        fDA = lambda x: self.fDAx(x, opt)
        fGA = lambda x: self.fGAx(x, opt)
        fDB = lambda x: self.fDBx(x, opt)
        fGB = lambda x: self.fGBx(x, opt)

        optim.adam(fGA, self.parametersG_A, self.optimStateG_A)
        optim.adam(fDA, self.parametersD_A, self.optimStateD_A)
        optim.adam(fGB, self.parametersG_B, self.optimStateG_B)
        optim.adam(fDB, self.parametersD_B, self.optimStateD_B)

    def RefreshParameters(self):
        self.parametersD_A, self.gradparametersD_A = None, None     # nil them to avoid spiking memory
        self.parametersG_A, self.gradparametersG_A = None, None
        self.parametersG_B, self.gradparametersG_B = None, None
        self.parametersD_B, self.gradparametersD_B = None, None
        # define parameters of optimization
        self.parametersG_A, self.gradparametersG_A = self.netG_A.getParameters()
        self.parametersD_A, self.gradparametersD_A = self.netD_A.getParameters()
        self.parametersG_B, self.gradparametersG_B = self.netG_B.getParameters()
        self.parametersD_B, self.gradparametersD_B = self.netD_B.getParameters()

    def Save(self, prefix, opt):
        util.save_model(self.netG_A, str(prefix) + '_net_G_A.t7', 1)
        util.save_model(self.netD_A, str(prefix) + '_net_D_A.t7', 1)
        util.save_model(self.netG_B, str(prefix) + '_net_G_B.t7', 1)
        util.save_model(self.netD_B, str(prefix) + '_net_D_B.t7', 1)

    def GetCurrentErrors(self):
        errors = {'errG_A': self.errG_A, 'errD_A': self.errD_A, 'errRec_A': self.errRec_A, 'errI_A': self.errI_A,
                  'errG_B': self.errG_B, 'errD_B': self.errD_B, 'errRec_B': self.errRec_B, 'errI_B': self.errI_B}
        return errors

    def UpdateLearningRate(self, opt):
        lrd = opt['lr'] / opt['niter_decay']
        old_lr = self.optimStateD_A['learningRate']
        lr = old_lr - lrd
        self.optimStateD_A['learningRate'] = lr
        self.optimStateD_B['learningRate'] = lr
        self.optimStateG_A['learningRate'] = lr
        self.optimStateG_B['learningRate'] = lr


# --------------------------------------------------------------------------------------------------- data/
EXTENSIONS = ['jpg', 'png', 'JPG', 'PNG', 'JPEG', 'ppm', 'PPM', 'bmp', 'BMP']


class dataLoader:
    """data/dataset.lua for one folder (CycleGAN's ``dirs[1] = path`` hack: the folder is the one class);
    ``find -iname`` of the extension list becomes a sorted listing, the CharTensor of paths a list."""

    def __init__(self, args):
        for k, v in args.items():
            setattr(self, k, v)
        if getattr(self, 'loadSize', None) is None:
            self.loadSize = self.sampleSize
        self.image_count = 1
        self.classes = [os.path.basename(p) for p in self.paths]
        found = sorted(f for f in os.listdir(self.paths[0])
                       if f.rsplit('.', 1)[-1].lower() in {e.lower() for e in EXTENSIONS})
        assert len(found) > 0, "Could not find any image file in the given input paths"
        self.imagePath = [os.path.join(self.paths[0], f) for f in found]
        self.numSamples = len(self.imagePath)
        self.imageClass = lg.LongTensor(self.numSamples).fill(0)     # class indices 0 .. #classes-1
        self.classList = [lg.linspace(0, self.numSamples - 1, self.numSamples).long()]
        self.classListSample = self.classList

    def size(self):
        return self.numSamples

    def getByClass(self, class_):
        index = 0
        if self.serial_batches == 1:
            index = math.fmod(self.image_count - 1, self.classListSample[class_].nElement()) + 1
            self.image_count = self.image_count + 1
        else:
            index = math.ceil(lg.uniform() * self.classListSample[class_].nElement())

        imgpath = self.imagePath[int(self.classListSample[class_][int(index) - 1])]
        return self.sampleHookTrain(imgpath), imgpath

    def tableToOutput(self, dataTable, scalarTable):
        quantity = len(scalarTable)
        data = lg.Tensor(quantity, self.sampleSize[0], self.sampleSize[1], self.sampleSize[2])
        scalarLabels = lg.LongTensor(quantity).fill(-1111)
        for i in range(len(dataTable)):
            data[i].copy(dataTable[i])
            scalarLabels[i] = scalarTable[i]
        return data, scalarLabels

    def sample(self, quantity):
        assert quantity
        dataTable = []
        scalarTable = []
        samplePaths = []
        for i in range(quantity):
            class_ = lg.random(0, len(self.classes))         # torch.random(1, #self.classes): 0-based
            out, imgpath = self.getByClass(class_)
            dataTable.append(out)
            scalarTable.append(class_)
            samplePaths.append(imgpath)
        data, scalarLabels = self.tableToOutput(dataTable, scalarTable)
        return data, scalarLabels, samplePaths


def donkey_folder(opt):
    """data/donkey_folder.lua (single images: align_data 0, resize_or_crop 'resize_and_crop'); returns the
    trainLoader it builds."""
    opt['data'] = os.path.join(opt['DATA_ROOT'], opt['phase'])
    input_nc = opt['nc']     # input channels
    loadSize = [input_nc, opt['loadSize']]
    sampleSize = [input_nc, opt['fineSize']]

    def loadSingleImage(path):
        im = image.load(path, input_nc, 'float')
        if opt['resize_or_crop'] == 'resize_and_crop':
            im = image.scale(im, loadSize[1], loadSize[1])
        if input_nc == 3:
            perm = lg.LongTensor([2, 1, 0])
            im = im.index(0, perm)   # :mul(256.0): brg, rgb
            im = im.mul(2).add(-1)
        assert im.max() <= 1, "A: badly scaled inputs"
        assert im.min() >= -1, "A: badly scaled inputs"

        oW = sampleSize[1]
        oH = sampleSize[1]
        iH = im.size(1)
        iW = im.size(2)
        if opt['resize_or_crop'] == 'resize_and_crop':
            h1, w1 = 0, 0
            if iH != oH:
                h1 = math.ceil(lg.uniform(1e-2, iH - oH))
            if iW != oW:
                w1 = math.ceil(lg.uniform(1e-2, iW - oW))
            if iH != oH or iW != oW:
                im = image.crop(im, w1, h1, w1 + oW, h1 + oH)

        if opt['flip'] == 1 and lg.uniform() > 0.5:
            im = image.hflip(im)

        return im

    def trainHook_singleimage(self, path):
        im = loadSingleImage(path)
        return im

    sample_nc = input_nc
    trainLoader = dataLoader({'paths': [opt['data']], 'loadSize': [input_nc, loadSize[1], loadSize[1]],
                              'sampleSize': [sample_nc, sampleSize[1], sampleSize[1]], 'split': 100,
                              'serial_batches': opt['serial_batches'], 'verbose': True})
    trainLoader.sampleHookTrain = lambda path: trainHook_singleimage(trainLoader, path)
    return trainLoader


class data:
    """data/data.lua's ``n == 0`` branch: the jobs run inline (``addjob(f1, f2)`` is ``f2(f1())``)."""

    def __init__(self, n, opt_):
        assert n == 0, "data.lua's donkey threads are not ported"
        self.opt = opt_
        self.trainLoader = donkey_folder(opt_)
        self._size = self.trainLoader.size()

    def getBatch(self):
        res = self.trainLoader.sample(self.opt['batchSize'])
        img_data = res[0]
        img_paths = res[2]
        return img_data, img_paths

    def size(self):
        return self._size


class data_util:
    @staticmethod
    def load_dataset(name, opt, nc):
        tensortype = lg.getdefaulttensortype()
        lg.setdefaulttensortype('torch.FloatTensor')

        new_opt = dict(opt)                          # options.clone(opt)
        new_opt['manualSeed'] = lg.random(1, 10001)  # fix seed: torch.random(1, 10000)
        new_opt['nc'] = nc
        lg.manualSeed(new_opt['manualSeed'])
        new_opt['phase'] = new_opt['phase'] + name
        d = data(new_opt['nThreads'], new_opt)

        lg.setdefaulttensortype(tensortype)
        return d


class UnalignedDataLoader:
    def name(self):
        return 'UnalignedDataLoader'

    def Initialize(self, opt):
        opt['align_data'] = 0
        self.dataA = data_util.load_dataset('A', opt, opt['input_nc'])
        self.dataB = data_util.load_dataset('B', opt, opt['output_nc'])

    def LoadBatchForAllDatasets(self):
        batchA, pathA = self.dataA.getBatch()
        batchB, pathB = self.dataB.getBatch()
        return batchA, batchB, pathA, pathB

    def GetNextBatch(self):
        dataA, dataB, pathA, pathB = self.LoadBatchForAllDatasets()
        return dataA, dataB, pathA, pathB

    def size(self, dataset=None):
        if dataset == 'A':
            return self.dataA.size()
        if dataset == 'B':
            return self.dataB.size()
        return max(self.dataA.size(), self.dataB.size())


def _opt(**changes):
    """options.lua's opt_train with tiny sizes (the ``opt.test = 0`` of parse_options set)."""
    opt = {'DATA_ROOT': '', 'batchSize': 1, 'loadSize': 18, 'fineSize': 16, 'ngf': 4, 'ndf': 4, 'input_nc': 3,
           'output_nc': 3, 'niter': 100, 'niter_decay': 100, 'lr': 0.0002, 'beta1': 0.5, 'ntrain': math.inf,
           'flip': 1, 'which_direction': 'AtoB', 'phase': 'train', 'nThreads': 0, 'serial_batches': 0,
           'which_model_netD': 'basic', 'which_model_netG': 'resnet_6blocks', 'norm': 'instance',
           'n_layers_D': 3, 'lambda_A': 10.0, 'lambda_B': 10.0, 'model': 'cycle_gan', 'use_lsgan': 1,
           'align_data': 0, 'pool_size': 50, 'resize_or_crop': 'resize_and_crop', 'lambda_identity': 0.5,
           'continue_train': 0, 'gpu': 0, 'checkpoints_dir': '', 'name': '', 'test': 0}
    opt.update(changes)
    return opt


def train(opt_, record=None):
    """train.lua's set-up and main loop (lines 20-178, the display/logging/saving lines left out); ``record``
    is called after every OptimizeParameters with (epoch, model)."""
    global opt
    opt = opt_
    lg.setdefaulttensortype('torch.FloatTensor')
    data_loader = UnalignedDataLoader()
    data_loader.Initialize(opt)
    set_normalization(opt['norm'])
    model = CycleGANModel()
    model.Initialize(opt)
    counter = 0
    for epoch in range(1, opt['niter'] + opt['niter_decay'] + 1):      # epoch is compared with niter below
        for counter_in_epoch in range(1, min(data_loader.size(), opt['ntrain']) + 1, opt['batchSize']):
            real_dataA, real_dataB, _, _ = data_loader.GetNextBatch()
            model.Forward({'real_A': real_dataA, 'real_B': real_dataB}, opt)
            opt['counter'] = counter
            model.OptimizeParameters(opt)
            if record is not None:
                record(epoch, model)
            counter = counter + 1
        # update learning rate
        if epoch > opt['niter']:
            model.UpdateLearningRate(opt)
        # refresh parameters
        model.RefreshParameters()
    return model, data_loader


# ------------------------------------------------------------------------------------------------------ tests
def _instance_norm_numpy(X, weight, bias, eps=1e-5):
    ref = (X - X.mean((2, 3), keepdims=True)) / np.sqrt(X.var((2, 3), keepdims=True) + eps)
    return ref * weight[None, :, None, None] + bias[None, :, None, None]


def test_instance_normalization_against_numpy_and_finite_differences():
    """In float64 the output is NumPy's instance normalisation (each image's plane over its own H x W,
    biased variance) times weight[c] plus bias[c]; the Jacobians of input, weight and bias agree with
    central differences (the module accumulates gradWeight in updateGradInput through its inner
    SpatialBatchNormalization's backward, and leaves accGradParameters to nn.Module's empty one)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(1)
    m = InstanceNormalization(3)
    m.bias.uniform(-1, 1)
    x = lg.Tensor(2, 3, 4, 5).normal(2, 3)
    y = m.forward(x)
    assert y.type() == 'torch.DoubleTensor' and tuple(y.size()) == (2, 3, 4, 5)
    np.testing.assert_allclose(y.numpy(), _instance_norm_numpy(x.numpy(), m.weight.numpy(), m.bias.numpy()),
                               rtol=1e-10, atol=1e-10)
    assert m.bn.running_mean.nElement() == 6
    assert_jacobian(m, x)
    # affine false: no parameters, output plain normalisation
    plain = InstanceNormalization(3, None, None, False)
    assert plain.weight is None and len(plain.parameters()[0]) == 0
    np.testing.assert_allclose(plain.forward(x).numpy(), _instance_norm_numpy(x.numpy(), np.ones(3), np.zeros(3)),
                               rtol=1e-10, atol=1e-10)
    assert_jacobian(plain, x, params=False)
    with pytest.raises(AssertionError, match='affine has to be true/false'):
        InstanceNormalization(3, None, None, 1)


def test_instance_normalization_running_averages_and_modes():
    """momentum defaults to 0 (``momentum or 0.0``): the inner SpatialBatchNormalization(N*C, eps, 0)
    keeps running_mean 0 and running_var 1. With momentum 0.5 its N*C running means move; the module's own
    running_mean is their average over the images, copied at the *next* forward (the Lua copies before
    calling bn:forward), and a new batch size rebuilds bn seeded with the module's averages repeated.
    evaluate() and training() do nothing, so a net in evaluation still normalises by each image's own
    statistics; gModule:evaluate() leaves the inner bn training too."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(2)
    x = lg.Tensor(2, 3, 4, 4).normal(1, 2)
    m = InstanceNormalization(3)
    assert m.momentum == 0.0
    m.forward(x)
    np.testing.assert_array_equal(m.bn.running_mean.numpy(), np.zeros(6))
    np.testing.assert_array_equal(m.bn.running_var.numpy(), np.ones(6))

    m = InstanceNormalization(3, 1e-5, 0.5)
    m.forward(x)
    X = x.numpy().reshape(6, 16)
    bn_mean = 0.5 * X.mean(1)
    np.testing.assert_allclose(m.bn.running_mean.numpy(), bn_mean, rtol=1e-12)
    np.testing.assert_array_equal(m.running_mean.numpy(), np.zeros(3))        # not yet copied back
    np.testing.assert_allclose(m.bn.running_var.numpy(), 0.5 + 0.5 * X.var(1, ddof=1), rtol=1e-12)
    m.forward(x)
    np.testing.assert_allclose(m.running_mean.numpy(), bn_mean.reshape(2, 3).mean(0), rtol=1e-12)
    seen = m.running_mean.numpy().copy()
    m.forward(lg.Tensor(1, 3, 4, 4).normal(0, 1))                            # batch size 1: a new bn
    assert m.prev_batch_size == 1 and m.bn.running_mean.nElement() == 3
    np.testing.assert_allclose(m.running_mean.numpy(), seen, rtol=1e-12)    # seeded from the averages

    net = nn.Sequential().add(nn.SpatialConvolution(3, 3, 1, 1)).add(InstanceNormalization(3))
    net.evaluate()
    y = net.forward(x).numpy()
    inorm = net.get(1)
    assert inorm.bn.train
    np.testing.assert_allclose(y, _instance_norm_numpy(net.get(0).output.numpy(), inorm.weight.numpy(),
                                                       inorm.bias.numpy()), rtol=1e-9, atol=1e-10)


def _counts(net):
    return net.getParameters()[0].nElement()


def test_resnet_generators_parameter_counts_and_shapes():
    """defineG_resnet_6blocks/_9blocks with InstanceNormalization: parameter counts from the Lua sizes
    (7x7 convolutions after a 3-pixel reflection pad, two stride-2 3x3 down, n residual blocks of two 3x3
    convolutions each with its own normalisation, two SpatialFullConvolution(ks 3, stride 2, pad 1, adj 1)
    up, a 7x7 to output_nc); the output has the input's size; each residual block adds its input
    (ConcatTable{conv_block, Identity} - CAddTable)."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(3)
    set_normalization('instance')
    ngf, i_nc, o_nc = 4, 3, 2
    conv = lambda nin, nout, k: nin * nout * k * k + nout          # noqa: E731
    norm = lambda n: 2 * n                                          # noqa: E731
    head = conv(i_nc, ngf, 7) + norm(ngf) + conv(ngf, 2 * ngf, 3) + norm(2 * ngf) + conv(2 * ngf, 4 * ngf, 3) \
        + norm(4 * ngf)
    block = 2 * (conv(4 * ngf, 4 * ngf, 3) + norm(4 * ngf))
    tail = conv(4 * ngf, 2 * ngf, 3) + norm(2 * ngf) + conv(2 * ngf, ngf, 3) + norm(ngf) + conv(ngf, o_nc, 7)
    for builder, nblocks in ((defineG_resnet_6blocks, 6), (defineG_resnet_9blocks, 9)):
        netG = builder(i_nc, o_nc, ngf)
        netG.apply(weights_init)
        assert _counts(netG) == head + nblocks * block + tail
        x = lg.Tensor(1, i_nc, 16, 16).uniform(-1, 1)
        y = netG.forward(x)
        assert tuple(y.size()) == (1, o_nc, 16, 16) and float(y.abs().max()) <= 1
        assert len(netG.findModules('nn.InstanceNormalization')[0]) == 5 + 2 * nblocks
        assert len(netG.findModules('nn.SpatialReflectionPadding')[0]) == 2 + 2 * nblocks
    gx = netG.backward(x, lg.Tensor(1, o_nc, 16, 16).normal(0, 1))
    assert tuple(gx.size()) == (1, i_nc, 16, 16) and float(gx.abs().sum()) > 0
    res = build_res_block(4, 'reflect')
    res.apply(weights_init)
    h = lg.Tensor(2, 4, 5, 5).normal(0, 1)
    out = res.forward(h).numpy()
    np.testing.assert_allclose(out, h.numpy() + res.get(0).get(0).output.numpy(), rtol=1e-6, atol=1e-6)
    # the 7x7 pad of 3 is (f - 1) / 2, a float in Lua and in Python alike
    assert netG.findModules('nn.SpatialReflectionPadding')[0][0].pad_l == 3


def test_unet128_with_batch_normalization():
    """defineG_unet128 (seven halvings 128 -> 1, skips joined along the planes) with ``norm = 'batch'``:
    output_nc planes of 128x128 in [-1, 1]; the parameter count from the Lua sizes."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(4)
    set_normalization('batch')
    ngf = 2
    netG = defineG(3, 1, ngf, 'unet128')
    y = netG.forward(lg.Tensor(1, 3, 128, 128).uniform(-1, 1))
    assert tuple(y.size()) == (1, 1, 128, 128) and float(y.abs().max()) <= 1
    c = lambda nin, nout: nin * nout * 16 + nout                    # noqa: E731
    enc = c(3, ngf) + c(ngf, 2 * ngf) + c(2 * ngf, 4 * ngf) + c(4 * ngf, 8 * ngf) + 3 * c(8 * ngf, 8 * ngf)
    dec = c(8 * ngf, 8 * ngf) + 2 * c(16 * ngf, 8 * ngf) + c(16 * ngf, 4 * ngf) + c(8 * ngf, 2 * ngf) \
        + c(4 * ngf, ngf) + c(2 * ngf, 1)
    bn = 2 * (2 * ngf + 4 * ngf + 8 * ngf + 8 * ngf + 8 * ngf) + 2 * (3 * 8 * ngf + 4 * ngf + 2 * ngf + ngf)
    assert _counts(netG) == enc + dec + bn
    assert sorted(j.output.size(1) for j in netG.findModules('nn.JoinTable')[0]) == [4, 8, 16, 32, 32, 32]


def test_patch_discriminators():
    """defineD_basic pads by ``math.ceil((kw-1)/2)`` = 2 (pix2pix pads by 1): a 16x16 image gives
    16 -> 9 -> 5 -> 3 -> 4 -> 5, a 5x5 patch map (256 -> 35x35); a Dropout(0.0) follows every strided
    normalisation and changes nothing in training. Parameter counts from the Lua sizes; use_sigmoid adds
    the Sigmoid. n_layers 0 is the pixelGAN (one value per pixel); defineD_imageGAN ends at 2x2 for a 256
    image (its comment says 1x1)."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(5)
    set_normalization('instance')
    ndf = 4
    netD = defineD(3, ndf, 'basic', 3, False)
    x = lg.Tensor(1, 3, 16, 16).uniform(-1, 1)
    assert tuple(netD.forward(x).size()) == (1, 1, 5, 5)
    assert tuple(netD.forward(lg.Tensor(1, 3, 32, 32)).size()) == (1, 1, 7, 7)
    c = lambda nin, nout: nin * nout * 16 + nout                    # noqa: E731
    assert _counts(netD) == c(3, ndf) + c(ndf, 2 * ndf) + 2 * 2 * ndf + c(2 * ndf, 4 * ndf) + 2 * 4 * ndf \
        + c(4 * ndf, 8 * ndf) + 2 * 8 * ndf + c(8 * ndf, 1)
    drops = netD.findModules('nn.Dropout')[0]
    assert len(drops) == 2 and all(d.p == 0 for d in drops)
    h = lg.Tensor(1, 8, 3, 3).normal(0, 1)
    np.testing.assert_array_equal(drops[0].forward(h).numpy(), h.numpy())
    with_sigmoid = defineD(3, ndf, 'basic', 3, True)
    assert lg.type(with_sigmoid.get(len(with_sigmoid.modules) - 1)) == 'nn.Sigmoid'
    assert len(with_sigmoid.modules) == len(netD.modules) + 1
    pix = defineD(2, ndf, 'n_layers', 0, True)
    p = pix.forward(lg.Tensor(1, 2, 16, 16).uniform(-1, 1))
    assert tuple(p.size()) == (1, 1, 16, 16) and 0 < float(p.min()) and float(p.max()) < 1
    img = defineD(3, 2, 'imageGAN', None, False)
    assert tuple(img.forward(lg.Tensor(1, 3, 256, 256).uniform(-1, 1)).size()) == (1, 1, 2, 2)


def test_image_pool_return_semantics():
    """image_pool.lua: pool_size 0 hands every image back. Otherwise the first pool_size queries store the
    image itself (no clone) and return it; later each query draws p = math.random(): above 0.5 it returns a
    clone of a stored image picked by math.random(pool_size) and stores a clone of the new one in its place,
    else it returns the query untouched. Under a seeded generator the sequence is fixed; about half the
    late queries return old images."""
    lg.setdefaulttensortype('torch.FloatTensor')
    assert ImagePool(0).Query(lg.Tensor(1).fill(7)).sum() == 7
    none = ImagePool(0)
    q = lg.Tensor(1)
    assert none.Query(q) is q

    random.seed(11)
    pool = ImagePool(3)
    imgs = [lg.Tensor(1, 1, 2, 2).fill(k) for k in range(200)]
    returned = [pool.Query(im) for im in imgs[:3]]
    assert all(returned[k] is imgs[k] for k in range(3))
    assert all(pool.images[k] is imgs[k] for k in range(3)) and pool.num_imgs == 3
    returned += [pool.Query(im) for im in imgs[3:]]
    draws = random.Random(11)
    stored = [0, 1, 2]
    olds = 0
    for k in range(3, 200):
        r = returned[k]
        if draws.random() > 0.5:
            slot = draws.randint(1, 3) - 1
            assert r is not imgs[k] and float(r.max()) == stored[slot] == float(r.min())
            assert r is not imgs[stored[slot]]          # a clone of the stored image, even of a first one
            stored[slot] = k
            olds += 1
        else:
            assert r is imgs[k]
    assert [float(im.max()) for im in pool.images] == stored
    assert all(im is not imgs[k] for im, k in zip(pool.images, stored) if k >= 3)
    assert 70 < olds < 130


def _write_images(root, phase, count, size, nc, ext):
    folder = os.path.join(root, phase)
    os.makedirs(folder)
    rng = np.random.RandomState(count * 7 + nc)
    for k in range(count):
        im = rng.uniform(0, 1, (nc, size, size)).astype(np.float32)
        image.save(os.path.join(folder, f'{k:03d}.{ext}'), lg.from_numpy(im))
    return folder


def test_single_image_loader(tmp_path):
    """donkey_folder.lua's loadSingleImage: image.load(path, 3, 'float'), scaled to loadSize, RGB -> BGR
    (index with {3, 2, 1}, {2, 1, 0} here), [0, 1] -> [-1, 1], a fineSize crop whose corner is
    math.ceil(torch.uniform(1e-2, iW - oW)): never 0 (the Lua's 1 .. iW - oW), then a horizontal flip half
    the time. With nc 1 the image stays in [0, 1] (the rescale sits under ``if input_nc == 3``).
    dataset.lua's sample(2) stacks two images with their (0-based) class, serial_batches walks the images
    in order."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(6)
    _write_images(str(tmp_path), 'trainA', 3, 20, 3, 'png')
    _write_images(str(tmp_path), 'trainB', 2, 20, 3, 'jpg')
    opt = _opt(DATA_ROOT=str(tmp_path), phase='trainA', nc=3, loadSize=18, fineSize=16)
    loader = donkey_folder(opt)
    assert loader.size() == 3 and loader.imagePath[0].endswith('000.png')
    src = image.scale(image.load(loader.imagePath[0], 3, 'float'), 18, 18).numpy()[::-1] * 2 - 1
    corners, flips = set(), 0
    for _ in range(40):
        out = loader.sampleHookTrain(loader.imagePath[0]).numpy()
        assert out.shape == (3, 16, 16) and out.min() >= -1 and out.max() <= 1
        found = [(x, y, f) for x in range(3) for y in range(3) for f in (False, True)
                 if np.allclose(out, (lambda w: w[:, :, ::-1] if f else w)(src[:, y:y + 16, x:x + 16]),
                                atol=1e-6)]
        assert len(found) >= 1
        corners.add(found[0][:2])
        flips += found[0][2]
    assert corners == {(1, 1), (1, 2), (2, 1), (2, 2)}       # 0 is never drawn
    assert 10 < flips < 30
    batch, labels, paths = loader.sample(2)
    assert tuple(batch.size()) == (2, 3, 16, 16) and labels.tolist() == [0, 0] and len(paths) == 2
    serial = donkey_folder(_opt(DATA_ROOT=str(tmp_path), phase='trainA', nc=3, serial_batches=1))
    assert [os.path.basename(serial.getByClass(0)[1]) for _ in range(4)] == ['000.png', '001.png', '002.png',
                                                                             '000.png']
    jpg = donkey_folder(_opt(DATA_ROOT=str(tmp_path), phase='trainB', nc=3))
    assert tuple(jpg.sample(1)[0].size()) == (1, 3, 16, 16)
    _write_images(str(tmp_path), 'grayA', 1, 20, 1, 'png')
    gray = donkey_folder(_opt(DATA_ROOT=str(tmp_path), phase='grayA', nc=1))
    g = gray.sample(3)[0]
    assert tuple(g.size()) == (3, 1, 16, 16) and float(g.min()) >= 0


def _train_opt(tmp_path, **changes):
    _write_images(str(tmp_path), 'trainA', 2, 18, 3, 'png')
    _write_images(str(tmp_path), 'trainB', 1, 18, 3, 'png')
    return _opt(DATA_ROOT=str(tmp_path), **changes)


def test_cycle_gan_training(tmp_path):
    """train.lua's loop over folders of two A and one B images (data_loader:size() is the larger, 2), niter 2
    and niter_decay 2: four epochs of two OptimizeParameters each (G_A, D_A, G_B, D_B by optim.adam on
    their own flat vectors). The label tensors take D's 5x5 patch map; every loss is finite; D's lsgan (MSE) loss starts
    near 0.5 (D outputs near 0, targets 1 and 0); the identity loss is recorded. (The cycle loss falling is checked on a
    fixed batch below: here the crops and flips are random.) Epochs past niter take lr down by lr / niter_decay in all
    four optim states, to 0 at the end; RefreshParameters re-flattens each net, and adam goes on with the new
    vectors."""
    lg.manualSeed(7)
    random.seed(7)
    opt = _train_opt(tmp_path, niter=2, niter_decay=2, lr=0.002, pool_size=2)
    errs, lrs = [], []

    def record(epoch, model):
        errs.append(model.GetCurrentErrors())
        lrs.append(model.optimStateG_B['learningRate'])
    model, data_loader = train(opt, record)
    assert data_loader.size() == 2 and len(errs) == 8
    assert tuple(model.real_label_A.size()) == (1, 1, 5, 5) and float(model.fake_label_B.sum()) == 0
    for k in ('errG_A', 'errD_A', 'errRec_A', 'errI_A', 'errG_B', 'errD_B', 'errRec_B', 'errI_B'):
        assert all(np.isfinite(e[k]) for e in errs), k
    assert abs(errs[0]['errD_A'] - 0.5) < 0.1
    assert lrs == [0.002] * 6 + [0.001] * 2
    for state in (model.optimStateD_A, model.optimStateD_B, model.optimStateG_A, model.optimStateG_B):
        assert state['learningRate'] == pytest.approx(0, abs=1e-15) and state['t'] == 8
    w = model.netG_A.findModules('nn.SpatialConvolution')[0][1].weight
    assert w.storage() is model.parametersG_A.storage()
    before = model.parametersG_A.clone()
    model.optimStateG_A['learningRate'] = 0.002
    model.Forward({'real_A': data_loader.dataA.getBatch()[0], 'real_B': data_loader.dataB.getBatch()[0]}, opt)
    model.OptimizeParameters(opt)
    assert float((model.parametersG_A - before).abs().max()) > 0


def test_cycle_gan_closures_by_hand(tmp_path):
    """One fGx_basic against the losses computed apart: errRec_A = lambda_A * mean|G_B(G_A(A)) - A|,
    errI_A = lambda_B * lambda_identity * mean|G_A(B) - B| (the identity of G_A is fed B), errG_A the MSE of
    D_A(G_A(A)) against 1; with lambda_identity 0 errI is nil (None) and G may map 3 planes to 1. BCE
    (use_lsgan 0) puts a Sigmoid on D."""
    lg.manualSeed(8)
    random.seed(8)
    global opt
    opt = _train_opt(tmp_path)
    lg.setdefaulttensortype('torch.FloatTensor')
    set_normalization('instance')
    model = CycleGANModel()
    model.Initialize(opt)
    a = lg.Tensor(1, 3, 16, 16).uniform(-1, 1)
    b = lg.Tensor(1, 3, 16, 16).uniform(-1, 1)
    model.Forward({'real_A': a, 'real_B': b}, opt)
    model.fGAx(model.parametersG_A, opt)
    fake = model.netG_A.forward(a).clone()
    rec = model.netG_B.forward(fake).numpy()
    assert model.errRec_A == pytest.approx(10 * np.abs(rec - a.numpy()).mean(), rel=1e-4)
    ident = model.netG_A.forward(b).numpy()
    assert model.errI_A == pytest.approx(10 * 0.5 * np.abs(ident - b.numpy()).mean(), rel=1e-4)
    d = model.netD_A.forward(fake).numpy()
    assert model.errG_A == pytest.approx(((d - 1) ** 2).mean(), rel=1e-4)
    assert float(model.gradparametersG_A.abs().sum()) > 0

    opt = _opt(DATA_ROOT=str(tmp_path), output_nc=1, lambda_identity=0, use_lsgan=0)
    model = CycleGANModel()
    model.Initialize(opt)
    assert lg.type(model.criterionGAN) == 'nn.BCECriterion'
    assert lg.type(model.netD_A.get(len(model.netD_A.modules) - 1)) == 'nn.Sigmoid'
    assert model.parametersD_A.nElement() < model.parametersD_B.nElement()     # 1 plane in, 3 planes in
    model.Forward({'real_A': a, 'real_B': b.narrow(1, 0, 1)}, opt)
    model.fGAx(model.parametersG_A, opt)
    assert model.errI_A is None and tuple(model.fake_B.size()) == (1, 1, 16, 16)


def test_cycle_loss_falls_on_a_fixed_batch():
    """OptimizeParameters eight times on one fixed pair of smooth 16x16 images (resnet_6blocks, instance
    normalisation, lsgan, identity 0.5, pool of 2, lr 0.002): the summed cycle losses errRec_A + errRec_B
    fall at every step, to under 0.7 of the first."""
    global opt
    lg.manualSeed(9)
    random.seed(9)
    opt = _opt(lr=0.002, pool_size=2)
    lg.setdefaulttensortype('torch.FloatTensor')
    set_normalization('instance')
    model = CycleGANModel()
    model.Initialize(opt)
    yy, xx = np.mgrid[0:16, 0:16] / 15.0
    a = lg.from_numpy(np.stack([np.sin(3 * xx), np.cos(2 * yy), xx * yy * 2 - 1])[None].astype(np.float32))
    b = lg.from_numpy(np.stack([xx - yy, np.sin(2 * (xx + yy)), 1 - 2 * xx])[None].astype(np.float32))
    rec = []
    for _ in range(8):
        model.Forward({'real_A': a, 'real_B': b}, opt)
        model.OptimizeParameters(opt)
        e = model.GetCurrentErrors()
        assert all(np.isfinite(v) for v in e.values())
        rec.append(e['errRec_A'] + e['errRec_B'])
    assert (np.diff(rec) < 0).all() and rec[-1] < 0.7 * rec[0]


def test_save_then_test_and_continue_train(tmp_path):
    """CycleGANModel:Save writes the four nets with torch.save(path, net:clearState()) (util.save_model);
    test.lua's Initialize (continue_train 1, test 1) loads G_A and G_B back through load_helper (the
    user InstanceNormalization rebuilt by name, float(), fresh zeroed gradients), from legonn's files and
    from Torch7 files such as the repo's pretrained models (written here by save_lua), and Forward gives fake_B,
    fake_A, rec_A = G_B(fake_B), rec_B = G_A(fake_A) equal to the trained nets'; continue_train with test 0
    loads all four and trains on."""
    global opt
    lg.manualSeed(10)
    random.seed(10)
    os.makedirs(os.path.join(str(tmp_path), 'expt'))
    opt = _opt(lr=0.002, pool_size=2, checkpoints_dir=str(tmp_path), name='expt')
    lg.setdefaulttensortype('torch.FloatTensor')
    set_normalization('instance')
    model = CycleGANModel()
    model.Initialize(opt)
    a = lg.Tensor(1, 3, 16, 16).uniform(-1, 1)
    b = lg.Tensor(1, 3, 16, 16).uniform(-1, 1)
    model.Forward({'real_A': a, 'real_B': b}, opt)
    model.OptimizeParameters(opt)
    model.Save('latest', opt)
    assert sorted(os.listdir(os.path.join(str(tmp_path), 'expt'))) == [
        'latest_net_D_A.t7', 'latest_net_D_B.t7', 'latest_net_G_A.t7', 'latest_net_G_B.t7']
    fake_B = model.netG_A.forward(a).clone()
    rec_A = model.netG_B.forward(fake_B).clone()

    # the pretrained models of the repo are files Torch7's torch.save wrote: save_lua writes such files
    for name in ('G_A', 'G_B'):
        lg.save_lua(os.path.join(str(tmp_path), 'expt', f'torch7_net_{name}.t7'), getattr(model, 'net' + name))
    for which_epoch in ('latest', 'torch7'):
        opt = _opt(checkpoints_dir=str(tmp_path), name='expt', which_epoch=which_epoch, continue_train=1, test=1)
        tester = CycleGANModel()
        tester.Initialize(opt)
        assert tester.netD_A is None and len(tester.netG_A.findModules('nn.InstanceNormalization')[0]) == 17
        assert float(tester.netG_A.findModules('nn.SpatialConvolution')[0][0].gradWeight.abs().sum()) == 0
        tester.Forward({'real_A': a, 'real_B': b}, opt)
        np.testing.assert_allclose(tester.fake_B.numpy(), fake_B.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(tester.rec_A.numpy(), rec_A.numpy(), rtol=1e-6, atol=1e-6)
        assert tuple(tester.rec_B.size()) == (1, 3, 16, 16)

    opt = _opt(lr=0.002, pool_size=2, checkpoints_dir=str(tmp_path), name='expt', continue_train=1)
    again = CycleGANModel()
    again.Initialize(opt)
    start = again.parametersD_B.clone()
    np.testing.assert_array_equal(start.numpy(), model.parametersD_B.numpy())
    again.Forward({'real_A': a, 'real_B': b}, opt)
    again.OptimizeParameters(opt)
    assert np.isfinite(again.errD_B) and float((again.parametersD_B - start).abs().max()) > 0


@pytest.mark.gpu
def test_resnet_generator_with_instance_normalization_on_the_gpu():
    """train.lua's GPU mode: netG:cuda() converts the user InstanceNormalization and the
    SpatialBatchNormalization it holds in a field (Torch7's Module:type converts every field, modules
    too), so the CUDA generator gives the CPU's output and a backward reaches every convolution."""
    lg.manualSeed(12)
    set_normalization('instance')
    netG = defineG(3, 3, 4, 'resnet_6blocks')
    x = lg.Tensor(1, 3, 16, 16).uniform(-1, 1)
    cpu = netG.forward(x).clone()
    netG.cuda()
    inorm = netG.findModules('nn.InstanceNormalization')[0][0]
    assert inorm.type() == 'torch.CudaTensor' and inorm.bn.type() == 'torch.CudaTensor'
    bn = inorm.bn
    gpu = netG.forward(x.cuda())
    assert inorm.bn is bn                                  # no rebuild: the types agree
    np.testing.assert_allclose(gpu.float().numpy(), cpu.numpy(), rtol=1e-4, atol=1e-5)
    netG.zeroGradParameters()
    gx = netG.backward(x.cuda(), lg.Tensor(1, 3, 16, 16).normal(0, 1).cuda())
    assert gx.type() == 'torch.CudaTensor' and tuple(gx.size()) == (1, 3, 16, 16)
    for m in netG.findModules('nn.SpatialConvolution')[0]:
        assert float(m.gradWeight.abs().sum()) > 0
