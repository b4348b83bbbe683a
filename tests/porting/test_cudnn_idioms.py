"""Lines of fb.resnet.torch (models/resnet.lua, models/init.lua) and neural-style (neural_style.lua) that use
cudnn and cutorch, ported line by line: the Lua in comments, the Python below each."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn


def create_cifar_resnet(opt):
    """models/resnet.lua's createModel for the CIFAR-10 branch (depth 8: one basic block per stage)."""
    Convolution = cudnn.SpatialConvolution          # local Convolution = cudnn.SpatialConvolution
    Avg = cudnn.SpatialAveragePooling               # local Avg = cudnn.SpatialAveragePooling
    ReLU = cudnn.ReLU                               # local ReLU = cudnn.ReLU
    SBatchNorm = nn.SpatialBatchNormalization       # local SBatchNorm = nn.SpatialBatchNormalization
    state = {'iChannels': 16}

    def shortcut(nInputPlane, nOutputPlane, stride):
        if nInputPlane != nOutputPlane:             # shortcutType 'B': a 1x1 convolution
            return nn.Sequential().add(Convolution(nInputPlane, nOutputPlane, 1, 1, stride, stride)) \
                .add(SBatchNorm(nOutputPlane))
        return nn.Identity()

    def basicblock(n, stride):
        nInputPlane = state['iChannels']
        state['iChannels'] = n
        s = nn.Sequential()
        s.add(Convolution(nInputPlane, n, 3, 3, stride, stride, 1, 1))
        s.add(SBatchNorm(n))
        s.add(ReLU(True))
        s.add(Convolution(n, n, 3, 3, 1, 1, 1, 1))
        s.add(SBatchNorm(n))
        return nn.Sequential().add(nn.ConcatTable().add(s).add(shortcut(nInputPlane, n, stride))) \
            .add(nn.CAddTable(True)).add(ReLU(True))

    model = nn.Sequential()
    model.add(Convolution(3, 16, 3, 3, 1, 1, 1, 1))
    model.add(SBatchNorm(16))
    model.add(ReLU(True))
    model.add(basicblock(16, 1))
    model.add(basicblock(32, 2))
    model.add(basicblock(64, 2))
    model.add(Avg(8, 8, 1, 1))
    model.add(nn.View(64).setNumInputDims(3))
    model.add(nn.Linear(64, 10))

    def ConvInit(name):
        for k, v in enumerate(model.findModules(name)[0]):   # for k,v in pairs(model:findModules(name)) do
            n = v.kW * v.kH * v.nOutputPlane
            v.weight.normal(0, math.sqrt(2 / n))
            if cudnn.version >= 4000:
                v.bias = None
                v.gradBias = None
            else:
                v.bias.zero()

    def BNInit(name):
        for k, v in enumerate(model.findModules(name)[0]):
            v.weight.fill(1)
            v.bias.zero()

    ConvInit('cudnn.SpatialConvolution')
    ConvInit('nn.SpatialConvolution')
    BNInit('fbnn.SpatialBatchNormalization')
    BNInit('cudnn.SpatialBatchNormalization')
    BNInit('nn.SpatialBatchNormalization')
    for k, v in enumerate(model.findModules('nn.Linear')[0]):
        v.bias.zero()
    model.type(opt['tensorType'])
    if opt['cudnn'] == 'deterministic':
        model.apply(lambda m: m.setMode(1, 1, 1) if hasattr(m, 'setMode') else None)
    model.get(0).gradInput = None                  # model:get(1).gradInput = nil
    return model


def test_fb_resnet_model_builds_initialises_and_trains():
    """models/resnet.lua + models/init.lua: the cudnn model's convolutions are found by 'cudnn.SpatialConvolution'
    and lose their bias (cudnn.version >= 4000), the flags are set as init.lua sets them, a few SGD steps with
    nn.CrossEntropyCriterion lower the loss; cudnn.convert(model, nn) then gives the same outputs."""
    opt = {'tensorType': 'torch.DoubleTensor', 'cudnn': 'deterministic'}
    model = create_cifar_resnet(opt)
    convs = model.findModules('cudnn.SpatialConvolution')[0]
    assert len(convs) == 9 and all(c.bias is None for c in convs)
    assert lg.type(model.get(0)) == 'cudnn.SpatialConvolution'
    if opt['cudnn'] == 'fastest':                  # models/init.lua
        cudnn.fastest = True
        cudnn.benchmark = True
    criterion = nn.CrossEntropyCriterion().type(opt['tensorType'])
    params, grads = model.getParameters()
    x = lg.randn(4, 3, 32, 32).double()
    y = lg.LongTensor([0, 3, 5, 9])
    losses = []
    for _ in range(4):
        grads.zero()
        out = model.forward(x)
        losses.append(criterion.forward(out, y))
        model.backward(x, criterion.backward(out, y))
        params.add(-0.05, grads)
    assert losses[-1] < losses[0]
    model.evaluate()
    out = model.forward(x).clone()
    cudnn.convert(model, nn)
    assert not model.findModules('cudnn.SpatialConvolution')[0]
    np.testing.assert_allclose(np.asarray(model.forward(x).numpy()), np.asarray(out.numpy()), rtol=1e-12)


def test_neural_style_backend_lines():
    """neural_style.lua's setup_gpu and build loop: cudnn.benchmark from -cudnn_autotune; the class-level swap
    of accGradParameters; the pooling test on torch.type(layer) == 'cudnn.SpatialMaxPooling' replacing max by
    average pooling with the layer's kW, kH, dW, dH."""
    params = {'backend': 'cudnn', 'cudnn_autotune': True, 'pooling': 'avg'}
    try:
        if params['backend'] == 'cudnn':
            if params['cudnn_autotune']:
                cudnn.benchmark = True
            cudnn.SpatialConvolution.accGradParameters = nn.SpatialConvolutionMM.accGradParameters
        cnn = nn.Sequential().add(cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1)).add(cudnn.ReLU(True)) \
            .add(cudnn.SpatialMaxPooling(2, 2, 2, 2)).add(cudnn.SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1))
        net = nn.Sequential()
        for i in range(len(cnn)):
            layer = cnn.get(i)
            layer_type = lg.type(layer)
            is_pooling = layer_type == 'cudnn.SpatialMaxPooling' or layer_type == 'nn.SpatialMaxPooling'
            if is_pooling and params['pooling'] == 'avg':
                assert layer.padW == 0 and layer.padH == 0
                kW, kH = layer.kW, layer.kH
                dW, dH = layer.dW, layer.dH
                net.add(nn.SpatialAveragePooling(kW, kH, dW, dH))
            else:
                net.add(layer)
        assert [lg.type(m) for m in net.modules] == ['cudnn.SpatialConvolution', 'cudnn.ReLU',
                                                     'nn.SpatialAveragePooling', 'cudnn.SpatialConvolution']
        x = lg.randn(1, 3, 8, 8)
        out = net.forward(x)
        net.backward(x, lg.randn(*out.size()))
        assert out.size() == (1, 4, 4, 4)
    finally:
        del cudnn.SpatialConvolution.accGradParameters   # back to the inherited one
        cudnn.benchmark = False


@pytest.mark.gpu
def test_neural_style_gpu_setup():
    """neural_style.lua's setup_gpu: params.gpu is 0-based on its command line and made 1-based for cutorch;
    legonn's cutorch is 0-based, so the shift is dropped; the model then runs as torch.CudaTensor."""
    from legonn import cutorch
    params = {'gpu': 0}
    dtype = 'torch.FloatTensor'
    if params['gpu'] >= 0:
        cutorch.setDevice(params['gpu'])           # cutorch.setDevice(params.gpu) after params.gpu + 1
        dtype = 'torch.CudaTensor'
    net = nn.Sequential().add(cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1)).add(cudnn.ReLU(True)).type(dtype)
    assert net.forward(lg.randn(1, 3, 5, 5).cuda()).type() == 'torch.CudaTensor'
    assert cutorch.getDevice() == 0
