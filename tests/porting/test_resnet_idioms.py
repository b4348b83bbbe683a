"""fb.resnet.torch's model-building idioms, as docs/porting.md ports them."""
import math

import numpy as np

import legonn as lg
from legonn import nn


def test_init_loop_over_find_modules_first_value():
    """models/resnet.lua's ConvInit loops ``pairs(model:findModules(name))``: Lua keeps findModules'
    first value (the modules; Module.lua returns modules, containers), which legonn's tuple gives as
    ``[0]``. With the bias dropped (the cudnn >= 4 branch) the model still trains."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    try:
        model = (nn.Sequential().add(nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1))
                 .add(nn.SpatialBatchNormalization(4)).add(nn.ReLU(True))
                 .add(nn.SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1)))
        found = model.findModules('nn.SpatialConvolution')
        assert isinstance(found, tuple) and all(c is model for c in found[1])
        lg.manualSeed(0)
        for k, v in enumerate(model.findModules('nn.SpatialConvolution')[0]):
            n = v.kW * v.kH * v.nOutputPlane
            v.weight.normal(0, math.sqrt(2 / n))
            v.bias = None
            v.gradBias = None
        params, grads = model.getParameters()
        assert params.nElement() == 3 * 4 * 9 + 4 * 4 * 9 + 2 * 4    # two conv weights, BN weight and bias
        std = float(np.std(model.get(3).weight.numpy()))
        assert abs(std - math.sqrt(2 / 36)) < 0.05
        x = lg.randn(2, 3, 5, 5)
        model.get(0).gradInput = None          # models/resnet.lua: the first layer's gradInput is not needed
        grads.zero()
        model.forward(x)
        assert model.backward(x, lg.randn(2, 4, 5, 5)) is None
        assert grads.abs().sum() > 0
    finally:
        lg.setdefaulttensortype('legonn.FloatTensor')
