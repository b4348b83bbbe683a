"""nagadomi/waifu2x ported line by line: lib/srcnn.lua's initialisers and the class methods it replaces
(lines 9-64: ``msra_filler``, ``identity_filler``, ``nn.SpatialConvolutionMM:reset``, ``:clearState``), its
layer helpers (lines 138-205), ``GlobalAveragePooling``, ``SEBlock``, ``ResBlockSE`` and ``ResGroupSE``
(lines 207-330) and the model builders ``vgg_7``, ``upconv_7`` and ``upresnet_s`` (lines 333-388 and
438-455); the w2nn modules those use, written as user modules: lib/InplaceClip01.lua, lib/ScaleTable.lua and
lib/LeakyReLU.lua; the training criterion lib/ClippedWeightedHuberCriterion.lua with train.lua's
``create_criterion`` (lines 343-358) and the metric lib/ClippedMSECriterion.lua; lib/minibatch_adam.lua (one
epoch of ``optim.adam`` steps); and lib/reconstruct.lua's tiling ``reconstruct_nn`` (lines 5-66) with
``padding_params`` and ``image_rgb`` and lib/iproc.lua's ``padding`` (image.warp, clamped) and ``crop``.

Models are the Lua's widths on small patches; ``backend`` is "cunn" (nn.SpatialConvolutionMM) unless a test
says; ``:cuda()`` is left out, and ``torch.CudaTensor`` in reconstruct_nn is the model's tensor type.
"""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, image, nn, optim, xlua
from tests.checks import assert_jacobian, central_difference


# --- lib/srcnn.lua lines 9-64: initialisers, installed over the classes' own reset -----------------------

def msra_filler(mod):
    fin = mod.kW * mod.kH * mod.nInputPlane
    fout = mod.kW * mod.kH * mod.nOutputPlane
    stdv = math.sqrt(4 / ((1.0 + 0.1 * 0.1) * (fin + fout)))
    mod.weight.normal(0, stdv)
    mod.bias.zero()


def identity_filler(mod):
    assert mod.nInputPlane <= mod.nOutputPlane
    mod.weight.normal(0, 0.01)
    mod.bias.zero()
    num_groups = mod.nInputPlane   # fixed
    filler_value = num_groups / mod.nOutputPlane
    in_group_size = math.floor(mod.nInputPlane / num_groups)
    out_group_size = math.floor(mod.nOutputPlane / num_groups)
    x = math.floor(mod.kW / 2)
    y = math.floor(mod.kH / 2)
    for i in range(num_groups):
        for j in range(i * out_group_size, (i + 1) * out_group_size):
            for k in range(i * in_group_size, (i + 1) * in_group_size):
                mod.weight[j][k][y][x] = filler_value


def msra_reset(self, stdv=None):
    msra_filler(self)


def identity_reset(self, stdv=None):
    identity_filler(self)


def mm_clearState(self):
    if self.gradWeight is not None:
        self.gradWeight.resize(self.nOutputPlane, self.nInputPlane * self.kH * self.kW).zero()
    if self.gradBias is not None:
        self.gradBias.resize(self.nOutputPlane).zero()
    return nn.utils.clear(self, 'finput', 'fgradInput', '_input', '_gradOutput', 'output', 'gradInput')


@pytest.fixture
def srcnn(monkeypatch):
    """``require 'srcnn'``: the Lua file replaces these methods for the whole program (``function
    nn.SpatialConvolutionMM:reset(stdv) ... end``); monkeypatch puts them back after each test."""
    monkeypatch.setattr(nn.SpatialConvolutionMM, 'reset', msra_reset)
    monkeypatch.setattr(nn.SpatialFullConvolution, 'reset', msra_reset)
    monkeypatch.setattr(nn.SpatialDilatedConvolution, 'reset', identity_reset)
    if cudnn and cudnn.SpatialConvolution:
        monkeypatch.setattr(cudnn.SpatialConvolution, 'reset', msra_reset)
        monkeypatch.setattr(cudnn.SpatialFullConvolution, 'reset', msra_reset)
        if getattr(cudnn, 'SpatialDilatedConvolution', None):
            monkeypatch.setattr(cudnn.SpatialDilatedConvolution, 'reset', identity_reset)
    monkeypatch.setattr(nn.SpatialConvolutionMM, 'clearState', mm_clearState)


# --- the w2nn modules (user modules, as the Lua's torch.class('w2nn.X', 'nn.Module')) ------------------

class InplaceClip01(nn.Module):
    """lib/InplaceClip01.lua."""
    lua_package = 'w2nn'   # torch.class('w2nn.InplaceClip01', ...)

    def __init__(self):
        super().__init__()

    def updateOutput(self, input):
        self.output.set(input.clamp(0, 1))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.set(gradOutput)
        return self.gradInput


class ScaleTable(nn.Module):
    """lib/ScaleTable.lua: ``{x (B, C, H, W), s (B, C, 1, 1)}`` -> ``x * s`` (s broadcast over H, W)."""
    lua_package = 'w2nn'   # torch.class('w2nn.ScaleTable', ...)

    def __init__(self):
        super().__init__()
        self.gradInput = []
        self.grad_tmp = lg.Tensor()
        self.scale = lg.Tensor()

    def updateOutput(self, input):
        assert len(input) == 2
        assert input[0].size(1) == input[1].size(1)

        self.scale.resizeAs(input[0]).expandAs(input[1], input[0])
        self.output.resizeAs(self.scale).copy(self.scale)
        self.output.cmul(input[0])
        return self.output

    def updateGradInput(self, input, gradOutput):
        if len(self.gradInput) < 1:
            self.gradInput.append(input[0].new())
        self.gradInput[0].resizeAs(input[0]).copy(gradOutput)
        self.gradInput[0].cmul(self.scale)

        self.grad_tmp.resizeAs(input[0]).copy(gradOutput)
        self.grad_tmp.cmul(input[0])
        if len(self.gradInput) < 2:
            self.gradInput.append(input[1].new())
        self.gradInput[1].resizeAs(input[1]).sum(self.grad_tmp.reshape(self.grad_tmp.size(0), self.grad_tmp.size(1),
                                                                      self.grad_tmp.size(2) * self.grad_tmp.size(3)),
                                                 2).resizeAs(input[1])

        del self.gradInput[len(input):]

        return self.gradInput

    def clearState(self):
        nn.utils.clear(self, ['grad_tmp', 'scale'])
        return super().clearState()   # the Lua's parent:clearState() passes the class, not self


class LeakyReLU(nn.Module):
    """lib/LeakyReLU.lua (w2nn.LeakyReLU): max(x, 0) + negative_scale * min(x, 0), from |x|."""
    lua_package = 'w2nn'   # torch.class('w2nn.LeakyReLU', ...)

    def __init__(self, negative_scale=None):
        super().__init__()
        self.negative_scale = negative_scale or 0.333
        self.negative = lg.Tensor()

    def updateOutput(self, input):
        self.output.resizeAs(input).copy(input).abs().add(input).div(2)
        self.negative.resizeAs(input).copy(input).abs().add(-1.0, input).mul(-0.5 * self.negative_scale)
        self.output.add(self.negative)

        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(gradOutput)
        # filter positive
        self.negative.sign().add(1)
        lg.cmul(self.gradInput, gradOutput, self.negative)
        # filter negative
        self.negative.add(-1).mul(-1 * self.negative_scale).cmul(gradOutput)
        self.gradInput.add(self.negative)

        return self.gradInput

    def clearState(self):
        nn.utils.clear(self, 'negative')
        return super().clearState()


class ClippedWeightedHuberCriterion(nn.Criterion):
    """lib/ClippedWeightedHuberCriterion.lua."""
    lua_package = 'w2nn'   # torch.class('w2nn.ClippedWeightedHuberCriterion', ...)

    def __init__(self, w, gamma, clip):
        super().__init__()
        self.clip = clip
        self.gamma = gamma or 1.0
        self.weight = w.clone()
        self.diff = lg.Tensor()
        self.diff_abs = lg.Tensor()
        self.square_loss_buff = lg.Tensor()
        self.linear_loss_buff = lg.Tensor()

    def updateOutput(self, input, target):
        self.diff.resizeAs(input).copy(input)
        self.diff.clamp(self.clip[0], self.clip[1])
        for i in range(input.size(0)):
            self.diff[i].add(-1, target[i]).cmul(self.weight)
        self.diff_abs.resizeAs(self.diff).copy(self.diff).abs()

        square_targets = self.diff[lg.lt(self.diff_abs, self.gamma)]
        linear_targets = self.diff[lg.ge(self.diff_abs, self.gamma)]
        square_loss = self.square_loss_buff.resizeAs(square_targets).copy(square_targets).pow(2.0).mul(0.5).sum()
        linear_loss = self.linear_loss_buff.resizeAs(linear_targets).copy(linear_targets).abs().add(
            -0.5 * self.gamma).mul(self.gamma).sum()

        self.output = (square_loss + linear_loss) / input.nElement()
        return self.output

    def updateGradInput(self, input, target):
        norm = 1.0 / input.nElement()
        self.gradInput.resizeAs(self.diff).copy(self.diff).mul(norm)
        outlier = lg.ge(self.diff_abs, self.gamma)
        self.gradInput[outlier] = lg.sign(self.diff[outlier]) * self.gamma * norm
        return self.gradInput


class ClippedMSECriterion(nn.Criterion):
    """lib/ClippedMSECriterion.lua."""
    lua_package = 'w2nn'   # torch.class('w2nn.ClippedMSECriterion', ...)
    has_instance_loss = True

    def __init__(self, min=None, max=None):
        super().__init__()
        self.min = min or 0
        self.max = max or 1
        self.diff = lg.Tensor()
        self.diff_pow2 = lg.Tensor()
        self.instance_loss = []

    def updateOutput(self, input, target):
        self.diff.resizeAs(input).copy(input)
        self.diff.clamp(self.min, self.max)
        self.diff.add(-1, target)
        self.diff_pow2.resizeAs(self.diff).copy(self.diff).pow(2)
        self.instance_loss = []
        self.output = 0
        for i in range(input.size(0)):
            instance_loss = self.diff_pow2[i].sum() / self.diff_pow2[i].nElement()
            self.instance_loss.append(instance_loss)
            self.output = self.output + instance_loss
        return self.output / input.size(0)

    def updateGradInput(self, input, target):
        norm = 1.0 / input.nElement()
        self.gradInput.resizeAs(self.diff).copy(self.diff).mul(norm)
        return self.gradInput


# --- lib/srcnn.lua: layer helpers and model builders ----------------------------------------------------

def SpatialConvolution(backend, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH):
    if backend == "cunn":
        return nn.SpatialConvolutionMM(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
    elif backend == "cudnn":
        return cudnn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
    else:
        raise ValueError("unsupported backend:" + backend)


def SpatialFullConvolution(backend, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, adjW=None, adjH=None):
    if backend == "cunn":
        return nn.SpatialFullConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, adjW, adjH)
    elif backend == "cudnn":
        return cudnn.SpatialFullConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
    else:
        raise ValueError("unsupported backend:" + backend)


def GlobalAveragePooling(n_output):
    gap = nn.Sequential()
    gap.add(nn.Mean(-1, -1)).add(nn.Mean(-1, -1))
    gap.add(nn.View(-1, n_output, 1, 1))
    return gap


def SEBlock(backend, n_output, r):
    """Squeeze and Excitation Block."""
    con = nn.ConcatTable()   # the Lua's nn.ConcatTable(2): see docs/porting.md
    attention = nn.Sequential()
    n_mid = math.floor(n_output / r)
    attention.add(GlobalAveragePooling(n_output))
    attention.add(SpatialConvolution(backend, n_output, n_mid, 1, 1, 1, 1, 0, 0))
    attention.add(nn.ReLU(True))
    attention.add(SpatialConvolution(backend, n_mid, n_output, 1, 1, 1, 1, 0, 0))
    attention.add(nn.Sigmoid())   # the Lua's nn.Sigmoid(true): Sigmoid takes no argument; "don't use cudnn sigmoid"
    con.add(nn.Identity())
    con.add(attention)
    return con


def ResBlockSE(backend, i, o):
    seq = nn.Sequential()
    con = nn.ConcatTable()
    conv = nn.Sequential()
    conv.add(SpatialConvolution(backend, i, o, 3, 3, 1, 1, 0, 0))
    conv.add(nn.LeakyReLU(0.1, True))
    conv.add(SpatialConvolution(backend, o, o, 3, 3, 1, 1, 0, 0))
    conv.add(nn.LeakyReLU(0.1, True))
    conv.add(SEBlock(backend, o, 8))
    conv.add(ScaleTable())
    con.add(conv)
    if i == o:
        con.add(nn.SpatialZeroPadding(-2, -2, -2, -2))   # identity + de-padding
    else:
        seq = nn.Sequential()
        seq.add(SpatialConvolution(backend, i, o, 1, 1, 1, 1, 0, 0))
        seq.add(nn.SpatialZeroPadding(-2, -2, -2, -2))
        con.add(seq)
    seq.add(con)
    seq.add(nn.CAddTable())
    return seq


def ResGroupSE(backend, n, n_output):
    seq = nn.Sequential()
    res = nn.Sequential()
    con = nn.ConcatTable()   # nn.ConcatTable(2) in the Lua
    depad = -2 * n
    for i in range(n):
        res.add(ResBlockSE(backend, n_output, n_output))
    con.add(res)
    con.add(nn.SpatialZeroPadding(depad, depad, depad, depad))
    seq.add(con)
    seq.add(nn.CAddTable())
    return seq


def vgg_7(backend, ch):
    """VGG style net (7 layers)."""
    model = nn.Sequential()
    model.add(SpatialConvolution(backend, ch, 32, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 32, 32, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 32, 64, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 64, 64, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 64, 128, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 128, 128, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 128, ch, 3, 3, 1, 1, 0, 0))
    model.add(InplaceClip01())
    model.add(nn.View(-1).setNumInputDims(3))

    model.w2nn_arch_name = "vgg_7"
    model.w2nn_offset = 7
    model.w2nn_scale_factor = 1
    model.w2nn_channels = ch

    return model


def upconv_7(backend, ch):
    """Upconvolution."""
    model = nn.Sequential()
    model.add(SpatialConvolution(backend, ch, 16, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 16, 32, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 32, 64, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 64, 128, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 128, 128, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialConvolution(backend, 128, 256, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialFullConvolution(backend, 256, ch, 4, 4, 2, 2, 3, 3).noBias())
    model.add(InplaceClip01())
    model.add(nn.View(-1).setNumInputDims(3))

    model.w2nn_arch_name = "upconv_7"
    model.w2nn_offset = 14
    model.w2nn_scale_factor = 2
    model.w2nn_resize = True
    model.w2nn_channels = ch

    return model


def upresnet_s(backend, ch):
    """ResNet with SEBlock for fast conversion."""
    model = nn.Sequential()
    model.add(SpatialConvolution(backend, ch, 64, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(ResGroupSE(backend, 3, 64))
    model.add(SpatialConvolution(backend, 64, 64, 3, 3, 1, 1, 0, 0))
    model.add(nn.LeakyReLU(0.1, True))
    model.add(SpatialFullConvolution(backend, 64, ch, 4, 4, 2, 2, 3, 3).noBias())
    model.add(InplaceClip01())
    model.w2nn_arch_name = "upresnet_s"
    model.w2nn_offset = 18
    model.w2nn_scale_factor = 2
    model.w2nn_resize = True
    model.w2nn_channels = ch

    return model


def offset_size(model):
    """srcnn.offset_size for models that declare it (reconstruct.offset_size)."""
    return model.w2nn_offset


def scale_factor(model):
    return model.w2nn_scale_factor


# --- train.lua's create_criterion (huber) and lib/minibatch_adam.lua ------------------------------------

def create_criterion(model, crop_size):
    """train.lua lines 343-358 (settings.loss == "huber")."""
    if model.w2nn_channels == 3:
        offset = offset_size(model)
        output_w = crop_size - offset * 2
        weight = lg.Tensor(3, output_w * output_w)
        weight[0].fill(0.29891 * 3)   # R
        weight[1].fill(0.58661 * 3)   # G
        weight[2].fill(0.11448 * 3)   # B
        return ClippedWeightedHuberCriterion(weight, 0.1, [0.0, 1.0])
    else:
        offset = offset_size(model)
        output_w = crop_size - offset * 2
        weight = lg.Tensor(1, output_w * output_w)
        weight[0].fill(1.0)
        return ClippedWeightedHuberCriterion(weight, 0.1, [0.0, 1.0])


def minibatch_adam(model, criterion, eval_metric, train_x, train_y, config):
    """lib/minibatch_adam.lua (``:cuda()`` copies left out)."""
    parameters, gradParameters = model.getParameters()
    config = config or {}
    if config.get('xEvalCount') is None:
        config['xEvalCount'] = 0
        config['learningRate'] = config['xLearningRate']
    sum_psnr = 0
    sum_loss = 0
    sum_eval = 0
    count_loss = 0
    batch_size = config.get('xBatchSize') or 32
    shuffle = lg.randperm(train_x.size(0))
    c = 1
    inputs_tmp = lg.Tensor(batch_size, train_x.size(1), train_x.size(2), train_x.size(3)).zero()
    targets_tmp = lg.Tensor(batch_size, train_y.size(1)).zero()
    inputs = inputs_tmp.clone()
    targets = targets_tmp.clone()
    instance_loss = lg.Tensor(train_x.size(0)).zero()

    for t in range(0, train_x.size(0), batch_size):
        if t + batch_size > train_x.size(0):
            break
        for i in range(batch_size):
            inputs_tmp[i].copy(train_x[shuffle[t + i]])
            targets_tmp[i].copy(train_y[shuffle[t + i]])
        inputs.copy(inputs_tmp)
        targets.copy(targets_tmp)

        def feval(x):
            nonlocal sum_psnr, sum_eval, sum_loss, count_loss
            if x is not parameters:
                parameters.copy(x)
            gradParameters.zero()
            output = model.forward(inputs)
            f = criterion.forward(output, targets)
            se = eval_metric.forward(output, targets)
            if config.get('xInstanceLoss'):
                assert eval_metric.instance_loss, "eval metric does not support instalce_loss"
                for i in range(len(eval_metric.instance_loss)):
                    instance_loss[shuffle[t + i]] = eval_metric.instance_loss[i]
            sum_psnr = sum_psnr + (10 * math.log10(1 / (se + 1.0e-6)))
            sum_eval = sum_eval + se
            sum_loss = sum_loss + f
            count_loss = count_loss + 1
            model.backward(inputs, criterion.backward(output, targets))
            return f, gradParameters

        optim.adam(feval, parameters, config)
        config['xEvalCount'] = config['xEvalCount'] + batch_size
        config['learningRate'] = config['xLearningRate'] / (1 + config['xEvalCount'] * config['xLearningRateDecay'])
        c = c + 1
        if c % 50 == 0:
            xlua.progress(t, train_x.size(0))
    xlua.progress(train_x.size(0), train_x.size(0))
    return {'loss': sum_loss / count_loss, 'MSE': sum_eval / count_loss, 'PSNR': sum_psnr / count_loss}, \
        instance_loss


# --- lib/iproc.lua and lib/reconstruct.lua --------------------------------------------------------------

def iproc_crop(src, w1, h1, w2, h2):
    """iproc.crop (lines 13-21)."""
    if src.dim() == 3:
        dest = src[:, h1:h2, w1:w2].clone()
    else:   # dim == 2
        dest = src[h1:h2, w1:w2].clone()
    return dest


def iproc_padding(img, w1, w2, h1, h2):
    """iproc.padding (lines 82-98) for float images (byte2float's conversion left out): the edge pixels
    repeated, through image.warp's clamped lookup."""
    dst_height = img.size(1) + h1 + h2
    dst_width = img.size(2) + w1 + w2
    flow = lg.Tensor(2, dst_height, dst_width)
    flow[0] = lg.ger(lg.linspace(0, dst_height - 1, dst_height), lg.ones(dst_width))
    flow[1] = lg.ger(lg.ones(dst_height), lg.linspace(0, dst_width - 1, dst_width))
    flow[0].add(-h1)
    flow[1].add(-w1)
    dest = image.warp(img, flow, "simple", False, "clamp")
    return dest


def reconstruct_nn(model, x, inner_scale, offset, block_size, batch_size=None):
    """lib/reconstruct.lua lines 5-66."""
    batch_size = batch_size or 1
    if x.dim() == 2:
        x = x.reshape(1, x.size(0), x.size(1))
    ch = x.size(0)
    new_x = lg.Tensor(x.size(0), x.size(1) * inner_scale, x.size(2) * inner_scale).zero()
    input_block_size = block_size
    output_block_size = block_size * inner_scale
    output_size = output_block_size - offset * 2
    output_size_in_input = input_block_size - math.ceil(offset / inner_scale) * 2
    input_indexes = []
    output_indexes = []
    for i in range(0, x.size(1), output_size_in_input):
        for j in range(0, x.size(2), output_size_in_input):
            if i + input_block_size <= x.size(1) and j + input_block_size <= x.size(2):
                index = (slice(None), slice(i, i + input_block_size), slice(j, j + input_block_size))
                ii = i * inner_scale
                jj = j * inner_scale
                output_index = (slice(None), slice(ii, ii + output_size), slice(jj, jj + output_size))
                input_indexes.append(index)
                output_indexes.append(output_index)
    input = lg.Tensor(len(input_indexes), ch, input_block_size, input_block_size)
    input_cuda = lg.Tensor().type(model.type()).resize(input.size())    # torch.CudaTensor in the Lua
    output_cuda = lg.Tensor().type(model.type()).resize(new_x.size())
    for i in range(len(input_indexes)):
        input[i].copy(x[input_indexes[i]])
    input_cuda.copy(input)
    batch_n = math.floor(len(input_indexes) / batch_size)
    batch_rem = len(input_indexes) % batch_size
    for i in range(0, batch_n * batch_size, batch_size):
        output = model.forward(input_cuda.narrow(0, i, batch_size))
        for j in range(batch_size):
            output_cuda[output_indexes[i + j]].copy(output[j])
    if batch_rem > 0:
        i = batch_n * batch_size
        output = model.forward(input_cuda.narrow(0, i, batch_rem))
        for j in range(batch_rem):
            output_cuda[output_indexes[i + j]].copy(output[j])
    new_x.copy(output_cuda)
    return new_x


def padding_params(x, model, block_size):
    """lib/reconstruct.lua lines 86-109."""
    p = {}
    offset = offset_size(model)
    p['x_w'] = x.size(2)
    p['x_h'] = x.size(1)
    p['inner_scale'] = scale_factor(model)
    input_offset = math.ceil(offset / p['inner_scale'])
    input_block_size = block_size
    process_size = input_block_size - input_offset * 2
    h_blocks = math.floor(p['x_h'] / process_size) + (0 if p['x_h'] % process_size == 0 else 1)
    w_blocks = math.floor(p['x_w'] / process_size) + (0 if p['x_w'] % process_size == 0 else 1)
    h = (h_blocks * process_size) + input_offset * 2
    w = (w_blocks * process_size) + input_offset * 2
    p['pad_h1'] = input_offset
    p['pad_w1'] = input_offset
    p['pad_h2'] = (h - input_offset) - p['x_h']
    p['pad_w2'] = (w - input_offset) - p['x_w']
    return p


def image_rgb(model, x, offset, block_size, batch_size):
    """reconstruct.image_rgb (lines 176-189; find_valid_block_size is the identity for these models)."""
    p = padding_params(x, model, block_size)
    x = iproc_padding(x, p['pad_w1'], p['pad_w2'], p['pad_h1'], p['pad_h2'])
    y = reconstruct_nn(model, x, p['inner_scale'], offset, block_size, batch_size)
    output = iproc_crop(y, 0, 0, p['x_w'], p['x_h']).clamp(0, 1)
    return output


def scale_rgb(model, scale, x, offset, block_size, batch_size):
    """reconstruct.scale_rgb (lines 190-205) for models that upscale themselves (the others first go through
    iproc.scale's GraphicsMagick Box filter, not ported)."""
    assert scale_factor(model) > 1
    p = padding_params(x, model, block_size)
    x = iproc_padding(x, p['pad_w1'], p['pad_w2'], p['pad_h1'], p['pad_h2'])
    y = reconstruct_nn(model, x, p['inner_scale'], offset, block_size, batch_size)
    output = iproc_crop(y, 0, 0, p['x_w'] * p['inner_scale'], p['x_h'] * p['inner_scale']).clamp(0, 1)
    return output


# --- tests ------------------------------------------------------------------------------------------------

def _conv_params(model):
    return sum(m.weight.nElement() + (m.bias.nElement() if m.bias is not None else 0)
               for m in model.findModules('nn.SpatialConvolutionMM')[0]
               + model.findModules('nn.SpatialFullConvolution')[0])


def test_vgg_7_and_upconv_7_shapes_parameters_and_msra_init(srcnn):
    lg.manualSeed(0)
    vgg = vgg_7("cunn", 3)
    # 3x3 convolutions ch-32-32-64-64-128-128-ch, each with a bias
    widths = [3, 32, 32, 64, 64, 128, 128, 3]
    assert vgg.getParameters()[0].nElement() == sum(a * b * 9 + b for a, b in zip(widths, widths[1:]))
    x = lg.rand(2, 3, 20, 20)
    y = vgg.forward(x)
    assert tuple(y.size()) == (2, 3 * 6 * 6)                 # 20 - 2 * w2nn_offset
    assert float(y.min()) >= 0 and float(y.max()) <= 1       # InplaceClip01
    conv = vgg.get(6)                                        # 64 -> 64: fan 576 + 576
    assert float(conv.bias.abs().sum()) == 0
    std = float(conv.weight.std())
    assert abs(std - math.sqrt(4 / (1.01 * (576 + 576)))) < 0.05 * std
    up = upconv_7("cunn", 1)
    widths = [1, 16, 32, 64, 128, 128, 256]
    assert up.getParameters()[0].nElement() == sum(a * b * 9 + b for a, b in zip(widths, widths[1:])) + 256 * 16
    assert up.get(12).bias is None
    y = up.forward(lg.rand(2, 1, 20, 20))
    assert tuple(y.size()) == (2, (2 * 20 - 2 * 14) ** 2)   # twice the size, less twice w2nn_offset


def test_identity_filler_centres_a_dilated_kernel(srcnn):
    lg.manualSeed(0)
    m = nn.SpatialDilatedConvolution(4, 8, 3, 3, 1, 1, 2, 2, 2, 2)
    w = np.asarray(m.weight)
    for j in range(8):
        assert w[j, j // 2, 1, 1] == pytest.approx(0.5)      # num_groups / nOutputPlane
    mask = np.ones_like(w, dtype=bool)
    mask[np.arange(8), np.arange(8) // 2, 1, 1] = False
    assert np.abs(w[mask]).max() < 0.06 and float(m.bias.abs().sum()) == 0


def test_the_replaced_clearState_keeps_the_module_trainable(srcnn):
    """srcnn.lua's SpatialConvolutionMM:clearState resizes gradWeight to THNN's 2-D (out, in*kH*kW) view:
    training afterwards still gives the gradient of the 4-D weight."""
    lg.manualSeed(0)
    m = nn.SpatialConvolutionMM(2, 3, 3, 3)
    x = lg.rand(2, 2, 5, 5)
    g = lg.rand(2, 3, 3, 3)
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, g)
    before = m.gradWeight.clone().view(-1)
    m.clearState()
    assert tuple(m.gradWeight.size()) == (3, 18) and float(m.gradWeight.abs().sum()) == 0
    m.forward(x)
    m.backward(x, g)
    np.testing.assert_allclose(np.asarray(m.gradWeight).reshape(-1), np.asarray(before), rtol=1e-5)


def test_user_modules_gradients_match_finite_differences():
    lg.manualSeed(0)
    scale = ScaleTable()
    assert_jacobian(scale, [lg.randn(2, 3, 4, 4), lg.randn(2, 3, 1, 1)], params=False)
    # w2nn.LeakyReLU's backward consumes the mask its forward left (self.negative), so each backward needs
    # its forward: nn.Jacobian, which runs one forward then a backward per output, fails on it in Torch7 too
    leaky = LeakyReLU(0.1).double()
    x = lg.randn(3, 5).double()
    x[x.abs().lt(0.05)] = 0.5                                # away from the kink
    for k in range(4):
        g = lg.randn(3, 5).double()
        leaky.forward(x)
        exact = leaky.backward(x, g).clone()
        fd = lg.zeros(3, 5).double()
        for i in range(3):
            for j in range(5):
                x[i, j] += 1e-6
                up = float((leaky.forward(x) * g).sum())
                x[i, j] -= 2e-6
                down = float((leaky.forward(x) * g).sum())
                x[i, j] += 1e-6
                fd[i, j] = (up - down) / 2e-6
        np.testing.assert_allclose(np.asarray(exact), np.asarray(fd), atol=1e-7)
    np.testing.assert_allclose(np.asarray(LeakyReLU(0.1).forward(lg.Tensor([-2.0, 3.0]))), [-0.2, 3.0], rtol=1e-6)
    # ScaleTable equals the broadcast product
    x, s = lg.randn(2, 3, 4, 4), lg.randn(2, 3, 1, 1)
    np.testing.assert_allclose(np.asarray(ScaleTable().forward([x, s])), np.asarray(x) * np.asarray(s), rtol=1e-6)
    # InplaceClip01 clamps its input in place and hands the gradient through unchanged
    clip = InplaceClip01()
    v = lg.Tensor([-1.0, 0.5, 2.0])
    out = clip.forward(v)
    assert out.storage() is v.storage() and v.tolist() == [0.0, 0.5, 1.0]
    g = lg.Tensor([1.0, 2.0, 3.0])
    assert clip.backward(v, g).tolist() == [1.0, 2.0, 3.0]


def test_huber_criterion_against_numpy_and_finite_differences():
    lg.manualSeed(0)
    lg.setdefaulttensortype('torch.DoubleTensor')
    model = vgg_7("cunn", 3)
    crit = create_criterion(model, 10)                   # output 4 x 4 per channel
    x = lg.rand(2, 48) * 1.4 - 0.2                       # some values past the clip
    t = lg.rand(2, 48)
    loss = crit.forward(x, t)
    w = np.repeat([0.29891 * 3, 0.58661 * 3, 0.11448 * 3], 16)
    d = (np.clip(np.asarray(x), 0, 1) - np.asarray(t)) * w
    expected = np.where(np.abs(d) < 0.1, 0.5 * d ** 2, 0.1 * (np.abs(d) - 0.05)).sum() / d.size
    assert loss == pytest.approx(expected, rel=1e-10)
    # the Lua's gradient: the weighted difference (linear part: its sign times gamma), over the count; it
    # leaves out the clamp's zero slope and the second factor of the weight
    grad = np.asarray(crit.backward(x, t))
    np.testing.assert_allclose(grad, np.where(np.abs(d) < 0.1, d, 0.1 * np.sign(d)) / d.size, rtol=1e-10)
    # with the Y model's unit weights and inputs inside [0, 1] that is the loss's gradient
    crit = create_criterion(vgg_7("cunn", 1), 10)
    x = lg.rand(2, 16) * 0.8 + 0.1
    t = lg.rand(2, 16) * 0.8 + 0.1
    crit.forward(x, t)
    grad = np.asarray(crit.backward(x, t)).copy()
    for k in range(0, 32, 3):
        i, j = divmod(k, 16)
        assert central_difference(lambda: crit.forward(x, t), x, (i, j)) == pytest.approx(grad[i, j], abs=1e-8)
    # no outlier at all: the masked selection is empty and the linear part is 0
    x = t.clone().add(0.01)
    assert crit.forward(x, t) == pytest.approx(0.5 * 0.01 ** 2, rel=1e-6)
    assert np.allclose(np.asarray(crit.backward(x, t)), 0.01 / 32)


# waifu2x keeps its own keys (xLearningRate, ...) in adam's config table; optim warns that xLearningRate,
# close to learningRate, is ignored, and ignores it as Torch7 does (docs/porting.md)
@pytest.mark.filterwarnings("ignore:optim.adam. unknown config key 'xLearningRate")
def test_minibatch_adam_lowers_the_huber_loss(srcnn):
    """One epoch of lib/minibatch_adam.lua is several adam steps; three epochs on 16 patch pairs (the
    target a blurred copy of the input's centre) lower the loss and raise the PSNR of ClippedMSECriterion."""
    lg.manualSeed(0)
    model = vgg_7("cunn", 1)
    crop_size = 16
    offset = offset_size(model)
    criterion = create_criterion(model, crop_size)
    eval_metric = ClippedMSECriterion()
    rng = np.random.default_rng(0)
    xs = rng.uniform(0, 1, size=(16, 1, crop_size, crop_size)).astype(np.float32)
    centre = xs[:, 0, offset - 1:crop_size - offset + 1, offset - 1:crop_size - offset + 1]
    ys = 0.25 * (centre[:, 1:-1, 1:-1] + centre[:, 2:, 1:-1] + centre[:, 1:-1, 2:] + 0.5)   # output_w x output_w
    ys = ys.reshape(16, -1)
    train_x, train_y = lg.from_numpy(xs), lg.from_numpy(ys.astype(np.float32))
    adam_config = {'xLearningRate': 0.001, 'xBatchSize': 4, 'xLearningRateDecay': 3e-7, 'xInstanceLoss': True}
    scores = []
    for epoch in range(3):
        score, instance_loss = minibatch_adam(model, criterion, eval_metric, train_x, train_y, adam_config)
        scores.append(score)
    assert adam_config['xEvalCount'] == 3 * 16
    assert adam_config['learningRate'] == pytest.approx(0.001 / (1 + 48 * 3e-7))
    assert scores[-1]['loss'] < 0.5 * scores[0]['loss'], scores
    assert scores[-1]['PSNR'] > scores[0]['PSNR']
    # every patch's metric was recorded, in the shuffled order's place
    assert int((instance_loss > 0).sum()) == 16


@pytest.mark.parametrize('builder', [vgg_7, upconv_7])
def test_reconstruct_tiles_agree_with_one_forward_of_the_padded_image(srcnn, builder):
    """The model is fully convolutional, so the tiles reconstruct_nn stitches together (12 blocks of 20 x 20,
    five to a batch, the last batch short) are exactly the forward of the whole padded image, cut to the
    image."""
    lg.manualSeed(0)
    model = builder("cunn", 3)
    model.evaluate()
    x = lg.rand(3, 15, 19)
    s = scale_factor(model)
    if s == 1:
        out = image_rgb(model, x, offset_size(model), 20, 5)
    else:
        out = scale_rgb(model, 2, x, offset_size(model), 20, 5)
    assert tuple(out.size()) == (3, 15 * s, 19 * s)
    p = padding_params(x, model, 20)
    padded = iproc_padding(x, p['pad_w1'], p['pad_w2'], p['pad_h1'], p['pad_h2'])
    np.testing.assert_allclose(np.asarray(padded),
                               np.pad(np.asarray(x), ((0, 0), (p['pad_h1'], p['pad_h2']), (p['pad_w1'], p['pad_w2'])),
                                      mode='edge'), rtol=1e-6)
    h, w = padded.size(1), padded.size(2)
    oh, ow = h * s - 2 * offset_size(model), w * s - 2 * offset_size(model)
    whole = model.forward(padded.view(1, 3, h, w)).view(3, oh, ow)
    expected = np.clip(np.asarray(whole)[:, :15 * s, :19 * s], 0, 1)
    np.testing.assert_allclose(np.asarray(out), expected, atol=1e-5)


def test_upresnet_s_with_its_squeeze_and_excitation_blocks(srcnn):
    lg.manualSeed(0)
    model = upresnet_s("cunn", 3)
    x = lg.rand(1, 3, 24, 24)
    y = model.forward(x)
    assert tuple(y.size()) == (1, 3, 2 * 24 - 2 * 18, 2 * 24 - 2 * 18)
    scales = model.findModules('w2nn.ScaleTable')[0]
    assert len(scales) == 3 and lg.typename(scales[0]) == 'w2nn.ScaleTable'
    # each attention vector lies in (0, 1) and scales its block's planes
    for m in scales:
        s = np.asarray(m.scale)
        assert s.min() > 0 and s.max() < 1
    err = ClippedMSECriterion().forward(y.view(1, -1), lg.rand(1, 3 * 12 * 12))
    assert 0 < err < 1
    g = model.backward(x, lg.randn(1, 3, 12, 12))
    assert tuple(g.size()) == (1, 3, 24, 24) and np.isfinite(np.asarray(g)).all()


@pytest.mark.gpu
def test_reconstruct_on_a_cuda_model_matches_the_cpu(srcnn):
    """reconstruct_nn's ``torch.CudaTensor`` buffers: with ``w2nn.load_model``'s ``model:cuda()`` the tiles
    run on the GPU and the image matches the CPU's."""
    lg.manualSeed(0)
    model = vgg_7("cunn", 3)
    model.evaluate()
    x = lg.rand(3, 15, 19)
    cpu = image_rgb(model, x, offset_size(model), 20, 5)
    model.cuda()
    gpu = image_rgb(model, x, offset_size(model), 20, 5)
    np.testing.assert_allclose(np.asarray(gpu), np.asarray(cpu), atol=1e-5)
