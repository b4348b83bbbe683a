"""jcjohnson/fast-neural-style ported line by line: fast_neural_style/models.lua (``build_conv_block``,
``build_res_block``, ``build_model`` reading an architecture string such as train.lua's default
``c9s1-32,d64,d128,R128,R128,R128,R128,R128,u64,u32,c9s1-3``), the repo's own modules written as user
modules (InstanceNormalization.lua: a SpatialBatchNormalization over N*C planes held in a field;
ShaveImage.lua; TotalVariation.lua: identity forward, a TV gradient added in backward), and train.lua's
training closure (lines 139-217: the lazy ``SpatialReflectionPadding`` inserted at the front for
'reflect-start' padding, the pixel loss, optim.adam) and checkpoint (lines 299-314: clearState, float,
torch.save, getParameters again). Architectures and images are small; the perceptual loss (a VGG-16 .t7)
is left out, the pixel loss (``-pixel_loss_weight``) trains instead."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from tests.checks import assert_jacobian, numeric_gradient


class InstanceNormalization(nn.Module):
    """InstanceNormalization.lua: each (image, plane) normalised over its H x W pixels, then scaled by
    weight[c] and shifted by bias[c]; input N x C x H x W."""

    def __init__(self, nOutput, eps=None):
        super().__init__()
        self.eps = eps or 1e-5
        self.nOutput = nOutput
        self.prev_N = -1
        self.weight = lg.Tensor(nOutput).uniform()
        self.bias = lg.Tensor(nOutput).zero()
        self.gradWeight = lg.Tensor(nOutput)
        self.gradBias = lg.Tensor(nOutput)

    def updateOutput(self, input):
        N, C = input.size(0), input.size(1)
        H, W = input.size(2), input.size(3)
        assert C == self.nOutput
        if N != self.prev_N or (getattr(self, 'bn', None) is not None and self.type() != self.bn.type()):
            self.bn = nn.SpatialBatchNormalization(N * C, self.eps)
            self.bn.type(self.type())
            self.prev_N = N
        # Set params for BN
        self.bn.weight.repeatTensor(self.weight, N)
        self.bn.bias.repeatTensor(self.bias, N)
        input_view = input.view(1, N * C, H, W)
        self.bn.training()
        self.output = self.bn.forward(input_view).viewAs(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        N, C = input.size(0), input.size(1)
        H, W = input.size(2), input.size(3)
        assert self.bn
        input_view = input.view(1, N * C, H, W)
        gradOutput_view = gradOutput.view(1, N * C, H, W)
        self.bn.gradWeight.zero()
        self.bn.gradBias.zero()
        self.bn.training()
        self.gradInput = self.bn.backward(input_view, gradOutput_view).viewAs(input)
        self.gradWeight.add(self.bn.gradWeight.view(N, C).sum(0))
        self.gradBias.add(self.bn.gradBias.view(N, C).sum(0))
        return self.gradInput

    def clearState(self):
        self.output = self.output.new()
        self.gradInput = self.gradInput.new()
        self.bn.clearState()


class ShaveImage(nn.Module):
    """ShaveImage.lua: crops ``size`` pixels off every border; N x C x H x W -> N x C x (H-2s) x (W-2s)."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def updateOutput(self, input):
        N, C = input.size(0), input.size(1)
        H, W = input.size(2), input.size(3)
        s = self.size
        self.output.resize(N, C, H - 2 * s, W - 2 * s)
        self.output.copy(input[:, :, s:H - s, s:W - s])
        return self.output

    def updateGradInput(self, input, gradOutput):
        N, C = input.size(0), input.size(1)
        H, W = input.size(2), input.size(3)
        s = self.size
        self.gradInput.resizeAs(input).zero()
        self.gradInput[:, :, s:H - s, s:W - s].copy(gradOutput)
        return self.gradInput


class TotalVariation(nn.Module):
    """TotalVariation.lua (TVLoss): the identity forward; backward adds strength times the gradient of
    1/2 sum((x[i,j] - x[i,j+1])^2 + (x[i,j] - x[i+1,j])^2) over i < H-1, j < W-1 (3 planes)."""

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
        N, C = input.size(0), input.size(1)
        H, W = input.size(2), input.size(3)
        self.x_diff.resize(N, 3, H - 1, W - 1)
        self.y_diff.resize(N, 3, H - 1, W - 1)
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


for _cls in (InstanceNormalization, ShaveImage, TotalVariation):
    lg.register(_cls)


def tonumber(s):
    """Lua's tonumber of the digits models.lua cuts out of the architecture string."""
    return int(s)


# build_model's `elseif padding_type == 'none'` reads a global nobody sets (nil in Lua): that branch never runs
padding_type = None


def build_conv_block(dim, padding_type, use_instance_norm):
    conv_block = nn.Sequential()
    p = 0
    if padding_type == 'reflect':
        conv_block.add(nn.SpatialReflectionPadding(1, 1, 1, 1))
    elif padding_type == 'replicate':
        conv_block.add(nn.SpatialReplicationPadding(1, 1, 1, 1))
    elif padding_type == 'zero':
        p = 1
    conv_block.add(nn.SpatialConvolution(dim, dim, 3, 3, 1, 1, p, p))
    if use_instance_norm == 1:
        conv_block.add(InstanceNormalization(dim))
    else:
        conv_block.add(nn.SpatialBatchNormalization(dim))
    conv_block.add(nn.ReLU(True))
    if padding_type == 'reflect':
        conv_block.add(nn.SpatialReflectionPadding(1, 1, 1, 1))
    elif padding_type == 'replicate':
        conv_block.add(nn.SpatialReplicationPadding(1, 1, 1, 1))
    conv_block.add(nn.SpatialConvolution(dim, dim, 3, 3, 1, 1, p, p))
    if use_instance_norm == 1:
        conv_block.add(InstanceNormalization(dim))
    else:
        conv_block.add(nn.SpatialBatchNormalization(dim))
    return conv_block


def build_res_block(dim, padding_type, use_instance_norm):
    conv_block = build_conv_block(dim, padding_type, use_instance_norm)
    res_block = nn.Sequential()
    concat = nn.ConcatTable()
    concat.add(conv_block)
    if padding_type == 'none' or padding_type == 'reflect-start':
        concat.add(ShaveImage(2))
    else:
        concat.add(nn.Identity())
    res_block.add(concat).add(nn.CAddTable())
    return res_block


def build_model(opt):
    arch = opt['arch'].split(',')
    prev_dim = 3
    model = nn.Sequential()

    for i, v in enumerate(arch):
        first_char = v[0:1]
        needs_relu = True
        needs_bn = True
        if first_char == 'c':
            # Convolution
            f = tonumber(v[1:2])     # filter size
            p = (f - 1) / 2          # padding
            s = tonumber(v[3:4])     # stride
            next_dim = tonumber(v[5:])
            if opt['padding_type'] == 'reflect':
                model.add(nn.SpatialReflectionPadding(p, p, p, p))
                p = 0
            elif opt['padding_type'] == 'replicate':
                model.add(nn.SpatialReplicationPadding(p, p, p, p))
                p = 0
            elif padding_type == 'none':
                p = 0
            layer = nn.SpatialConvolution(prev_dim, next_dim, f, f, s, s, p, p)
        elif first_char == 'f':
            # Full convolution
            f = tonumber(v[1:2])     # filter size
            p = (f - 1) / 2          # padding
            s = tonumber(v[3:4])     # stride
            a = s - 1                # adjustment
            next_dim = tonumber(v[5:])
            layer = nn.SpatialFullConvolution(prev_dim, next_dim, f, f, s, s, p, p, a, a)
        elif first_char == 'd':
            # Downsampling (strided convolution)
            next_dim = tonumber(v[1:])
            layer = nn.SpatialConvolution(prev_dim, next_dim, 3, 3, 2, 2, 1, 1)
        elif first_char == 'U':
            # Nearest-neighbor upsampling
            next_dim = prev_dim
            scale = tonumber(v[1:])
            layer = nn.SpatialUpSamplingNearest(scale)
        elif first_char == 'u':
            # Learned upsampling (strided full-convolution)
            next_dim = tonumber(v[1:])
            layer = nn.SpatialFullConvolution(prev_dim, next_dim, 3, 3, 2, 2, 1, 1, 1, 1)
        elif first_char == 'C':
            # Non-residual conv block
            next_dim = tonumber(v[1:])
            layer = build_conv_block(next_dim, opt['padding_type'], opt['use_instance_norm'])
            needs_bn = False
            needs_relu = True
        elif first_char == 'R':
            # Residual (non-bottleneck) block
            next_dim = tonumber(v[1:])
            layer = build_res_block(next_dim, opt['padding_type'], opt['use_instance_norm'])
            needs_bn = False
            needs_relu = False
        model.add(layer)
        if i == len(arch) - 1:
            needs_relu = False
            needs_bn = False
        if needs_bn:
            if opt['use_instance_norm'] == 1:
                model.add(InstanceNormalization(next_dim))
            else:
                model.add(nn.SpatialBatchNormalization(next_dim))
        if needs_relu:
            model.add(nn.ReLU(True))

        prev_dim = next_dim

    model.add(nn.Tanh())
    model.add(nn.MulConstant(opt['tanh_constant']))
    model.add(TotalVariation(opt['tv_strength']))

    return model


SMALL_ARCH = 'c9s1-4,d8,d8,R8,u8,u4,c9s1-3'


def _opt(**changes):
    """train.lua's defaults with a small architecture and the pixel loss on."""
    opt = {'arch': SMALL_ARCH, 'use_instance_norm': 1, 'padding_type': 'reflect-start', 'tanh_constant': 150,
           'tv_strength': 1e-6, 'pixel_loss_type': 'L2', 'pixel_loss_weight': 1.0, 'learning_rate': 1e-3}
    opt.update(changes)
    return opt


def test_instance_normalization_user_module():
    """Each (image, plane) comes out with mean bias[c] and standard deviation weight[c] (biased variance,
    eps 1e-5); the Jacobian in double (input, weight and bias) agrees with finite differences; a second batch
    size rebuilds the inner SpatialBatchNormalization (prev_N)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = InstanceNormalization(3)
    m.bias.uniform(-1, 1)
    x = lg.Tensor(2, 3, 4, 5).normal(2, 3)
    y = m.forward(x).numpy()
    X = x.numpy()
    ref = (X - X.mean((2, 3), keepdims=True)) / np.sqrt(X.var((2, 3), keepdims=True) + 1e-5)
    ref = ref * m.weight.numpy()[None, :, None, None] + m.bias.numpy()[None, :, None, None]
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-10)
    assert m.bn.running_mean.nElement() == 6
    assert_jacobian(m, x)
    m.forward(lg.Tensor(1, 3, 4, 5).normal(0, 1))
    assert m.prev_N == 1 and m.bn.running_mean.nElement() == 3


def test_shave_image_and_total_variation():
    """ShaveImage crops 2 pixels each side and puts the gradient back in the middle. TotalVariation passes
    its input on and adds strength times the TV gradient to gradOutput (checked against the numerical
    gradient of 1/2 sum of squared neighbour differences, in double)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    x = lg.Tensor(2, 3, 7, 6).normal(0, 1)
    shave = ShaveImage(2)
    np.testing.assert_array_equal(shave.forward(x).numpy(), x.numpy()[:, :, 2:5, 2:4])
    g = shave.backward(x, lg.Tensor(2, 3, 3, 2).fill(1)).numpy()
    assert g.sum() == 2 * 3 * 3 * 2 and g[:, :, 2:5, 2:4].min() == 1
    tv = TotalVariation(0.5)
    assert tv.forward(x) is x
    gout = lg.Tensor(2, 3, 7, 6).normal(0, 1)
    grad = tv.backward(x, gout).numpy() - gout.numpy()
    X = x.numpy().copy()

    def energy():
        dx = X[:, :, :-1, :-1] - X[:, :, :-1, 1:]
        dy = X[:, :, :-1, :-1] - X[:, :, 1:, :-1]
        return 0.5 * ((dx ** 2).sum() + (dy ** 2).sum())
    np.testing.assert_allclose(grad, 0.5 * numeric_gradient(energy, X), rtol=1e-6, atol=1e-8)


def test_default_architecture_string_parses():
    """train.lua's default arch: three 'c'/'d' convolutions, five residual blocks (ConcatTable of the conv
    block and ShaveImage(2) under 'reflect-start'), two learned up-samplings, InstanceNormalization after
    every layer but the last (two in each residual block), Tanh, MulConstant(150), TotalVariation; the padding numbers
    (f - 1) / 2 are Lua floats (4.0), taken as the integers."""
    model = build_model(_opt(arch='c9s1-32,d64,d128,R128,R128,R128,R128,R128,u64,u32,c9s1-3'))
    names = [lg.typename(m) for m in model.modules]
    assert names[:3] == ['nn.SpatialConvolution', 'nn.InstanceNormalization', 'nn.ReLU']
    assert names.count('nn.Sequential') == 5 and names.count('nn.SpatialFullConvolution') == 2
    assert names[-4:] == ['nn.SpatialConvolution', 'nn.Tanh', 'nn.MulConstant', 'nn.TotalVariation']
    first = model.get(0)
    assert (first.kW, first.padW, first.padH, first.nOutputPlane) == (9, 4, 4, 32)
    res = model.get(9)
    assert lg.typename(res.get(0).get(1)) == 'nn.ShaveImage'
    assert len(model.findModules('nn.InstanceNormalization')[0]) == 3 + 5 * 2 + 2     # c, d, d; R; u, u


def test_reflect_start_padding_inserted_and_training_steps():
    """train.lua's f(x) with 'reflect-start': the first forward of 32x32 images comes out 16x16 (the residual
    block shaves 4 pixels at a quarter of the size), so a SpatialReflectionPadding of (32 - 16) / 2 = 8.0
    per side is inserted at the front (``model:insert(pad_mod, 1)``) and the output matches the input's size;
    a few adam steps on the pixel loss lower it."""
    opt = _opt()
    lg.manualSeed(0)
    model = build_model(opt)
    model.training()
    params, grad_params = model.getParameters()
    rng = np.random.RandomState(0)
    x = lg.from_numpy(rng.uniform(-100, 100, size=(2, 3, 32, 32)).astype(np.float32))
    y = x.clone().mul(0.5)
    pixel_crit = nn.MSECriterion()
    losses = []

    def f(p):
        assert p is params
        grad_params.zero()
        out = model.forward(x)
        grad_out = None
        if opt['padding_type'] == 'reflect-start' and x.size(2) != out.size(2):
            ph = (x.size(2) - out.size(2)) / 2
            pw = (x.size(3) - out.size(3)) / 2
            pad_mod = nn.SpatialReflectionPadding(pw, pw, ph, ph)
            model.insert(pad_mod, 0)
            out = model.forward(x)
        pixel_loss = pixel_crit.forward(out, y)
        pixel_loss = pixel_loss * opt['pixel_loss_weight']
        grad_out_pix = pixel_crit.backward(out, y)
        grad_out_pix.mul(opt['pixel_loss_weight'])
        grad_out = grad_out_pix
        loss = pixel_loss
        model.backward(x, grad_out)
        losses.append(loss)
        return loss, grad_params

    optim_state = {'learningRate': 0.01}
    for t in range(8):
        _, loss = optim.adam(f, params, optim_state)
    pad = model.get(0)
    assert lg.typename(pad) == 'nn.SpatialReflectionPadding' and (pad.pad_l, pad.pad_t) == (8, 8)
    assert tuple(model.output.size()) == (2, 3, 32, 32)
    assert np.isfinite(losses).all() and losses[-1] < 0.8 * losses[0]


def test_other_architecture_letters_and_paddings():
    """The 'f' (full convolution with adjustment s - 1), 'U' (nearest up-sampling) and 'C' (conv block)
    letters; 'reflect', 'replicate' and 'zero' padding keep the size, and use_instance_norm 0 takes
    SpatialBatchNormalization."""
    for pad in ('reflect', 'replicate', 'zero'):
        model = build_model(_opt(arch='c3s1-4,d6,C6,R6,U2,f3s2-4,c3s1-3', padding_type=pad, use_instance_norm=0))
        x = lg.Tensor(2, 3, 8, 8).uniform(-1, 1)
        y = model.forward(x)
        assert tuple(y.size()) == (2, 3, 16, 16)        # d halves, U2 and f3s2 double each
        assert len(model.findModules('nn.InstanceNormalization')[0]) == 0
        gx = model.backward(x, lg.Tensor(2, 3, 16, 16).normal(0, 1))
        assert tuple(gx.size()) == (2, 3, 8, 8) and float(gx.abs().sum()) > 0


def test_checkpoint_round_trip(tmp_path):
    """train.lua's checkpoint: model:clearState() (InstanceNormalization's own clearState reaches its inner
    BN), model:float(), torch.save of {model = ..., opt = ...}; fast_neural_style.lua's torch.load,
    model:evaluate() then gives the same image; getParameters again after the save."""
    opt = _opt()
    model = build_model(opt)
    x = lg.Tensor(1, 3, 32, 32).uniform(-1, 1)
    out = model.forward(x).clone()
    model.clearState()
    model.float()
    checkpoint = {'opt': opt, 'model': model}
    filename = str(tmp_path / 'checkpoint.t7')
    lg.save(filename, checkpoint)
    params, grad_params = model.getParameters()
    loaded = lg.load(filename)['model']
    loaded.evaluate()
    assert lg.typename(loaded.get(1)) == 'nn.InstanceNormalization'
    np.testing.assert_allclose(loaded.forward(x).numpy(), out.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.gpu
def test_model_on_the_gpu():
    """``build_model(opt):type(dtype)`` with dtype torch.CudaTensor: the user modules (InstanceNormalization
    rebuilding its BN when its type changed) run on CUDA tensors and match the CPU."""
    opt = _opt()
    model = build_model(opt)
    x = lg.Tensor(1, 3, 32, 32).uniform(-1, 1)
    cpu = model.forward(x).clone()
    model.type('torch.CudaTensor')
    gpu = model.forward(x.cuda())
    assert gpu.type() == 'torch.CudaTensor' and model.get(1).bn.weight.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(gpu.float().numpy(), cpu.numpy(), rtol=1e-3, atol=1e-3)
    gx = model.backward(x.cuda(), lg.Tensor(1, 3, 16, 16).normal(0, 1).cuda())
    assert tuple(gx.size()) == (1, 3, 32, 32)
