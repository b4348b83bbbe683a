"""torch/cunn's test.lua, part 4 (lines 4763-6662, ``cunntest.VolumetricConvolution_forward_single`` ...
``cunntest.SpatialDepthWiseConvolution``: the volumetric modules, FeatureLPPooling, CMul, PReLU, RReLU,
LookupTable, getParameters, the padding modules, ModuleConversionFunctions, IndexLinear, GPU), ported
literally as GPU tests: one test per ``cunntest.X``, each naming its lines. Each compares a module on the CUDA
types (tests/porting/cunn_testlua.py's ``typenames``: CudaTensor, CudaDoubleTensor, CudaHalfTensor) with its CPU
twin, at Torch7's tolerances. The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is ``.``, indices
and dimensions are 0-based (LookupTable's inputs too: ``x:random(n)`` drawing 1 .. n is ``x.random(n)`` drawing
0 .. n-1), Lua's ``math.random(a, b)`` is ``random.randint(a, b)`` and ``torch.random(a, b)``
``lg.random(a, b + 1)`` (legonn's stops before ``b``), ``mytester:X`` stays a Tester call, set to raise.
The Lua's timing tables (``times``, ``torch.Timer``) are left out: they measure, never check.

``nn.testcuda()`` runs in the FloatTensor default, legonn's, and seeds both generators from the clock, so the
sizes differ run to run as in Lua; the sizes are the Lua's except where a case took over ~3 s on CuPy's host
simulator (or seconds on a GPU): each shrink names the Lua's range beside it."""
import math
import random

import pytest

import legonn as lg
from legonn import cutorch, nn
from tests.porting.cunn_testlua import (makeNonContiguous, mytester, nloop, precision_backward,
                                         precision_backward_conv_weightbias, precision_backward_type,
                                         precision_forward, precision_forward_type, t2cpu, typenames)

pytestmark = pytest.mark.gpu


@pytest.fixture(autouse=True)
def _device0():
    """test.lua's setUp (lines 6663-6666): GPU 1, device 0 in legonn (docs/porting.md's cutorch row)."""
    cutorch.setDevice(0)


def test_VolumetricConvolution_forward_single():
    """test.lua lines 4763-4799."""
    # shrunk: the Lua's from 1..32, to 8..64, kernels 3..15 and outputs 1..20 took 80 s on the simulator
    from_ = random.randint(1, 4)
    to = random.randint(1, 2) * 8
    ki = random.randint(3, 6)
    kj = random.randint(3, 6)
    kk = random.randint(3, 6)
    si = random.randint(1, ki)
    sj = random.randint(1, kj)
    sk = random.randint(1, kk)
    outi = random.randint(1, 8)
    outj = random.randint(1, 8)
    outk = random.randint(1, 8)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    ink = (outk - 1) * sk + kk

    for typename in typenames:
        input = lg.randn(from_, ini, inj, ink).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.VolumetricConvolution(from_, to, ki, kk, kj, si, sk, sj).type(ctype)
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.VolumetricConvolution(from_, to, ki, kk, kj, si, sk, sj).type(typename)
        gconv.weight = sconv.weight.type(typename)
        gconv.bias = sconv.bias.type(typename)
        rescuda = gconv.forward(input)

        error = rescuda.double() - groundtruth.double()
        mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                          f'error on state (forward) with {typename}')
        mytester.assert_(groundtruth.isSize(rescuda.size()), f'size mismatch on state (forward) with {typename}')


def test_VolumetricConvolution_forward_batch():
    """test.lua lines 4801-4838."""
    # shrunk: the Lua's batch 4..16, from 1..8 and outputs 1..16 (a batch of 16 x 8 x 16^3 outputs)
    bs = random.randint(1, 2) * 2
    from_ = random.randint(1, 4)
    to = random.randint(1, 4) * 4
    ki = random.randint(3, 8)
    kj = random.randint(3, 8)
    kk = random.randint(3, 8)
    si = random.randint(1, ki)
    sj = random.randint(1, kj)
    sk = random.randint(1, kk)
    outi = random.randint(1, 6)
    outj = random.randint(1, 6)
    outk = random.randint(1, 6)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    ink = (outk - 1) * sk + kk

    for typename in typenames:
        input = lg.randn(bs, from_, ini, inj, ink).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.VolumetricConvolution(from_, to, ki, kk, kj, si, sj, sk).type(ctype)
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.VolumetricConvolution(from_, to, ki, kk, kj, si, sj, sk).type(typename)
        gconv.weight = sconv.weight.type(typename)
        gconv.bias = sconv.bias.type(typename)
        rescuda = gconv.forward(input)

        error = rescuda.double() - groundtruth.double()
        mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                          f'error on state (forward) with {typename}')
        mytester.assert_(groundtruth.isSize(rescuda.size()), f'size mismatch on state (forward) with {typename}')


def _volumetric_convolution_backward(bs, from_, to, ki, kj, kk, si, sj, sk, outi, outj, outk):
    """The body test.lua repeats in VolumetricConvolution_backward_single and _batch (``bs`` None: one
    sample)."""
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    ink = (outk - 1) * sk + kk
    lead = () if bs is None else (bs,)

    for typename in typenames:
        input = lg.randn(*lead, from_, ini, inj, ink).type(typename)
        gradOutput = lg.randn(*lead, to, outi, outj, outk).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        gradOutput = makeNonContiguous(gradOutput.type(ctype))
        sconv = nn.VolumetricConvolution(from_, to, ki, kk, kj, si, sk, sj).type(ctype)
        sconv.forward(input)
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)
        groundweight = sconv.gradWeight
        groundbias = sconv.gradBias

        input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gconv = nn.VolumetricConvolution(from_, to, ki, kk, kj, si, sk, sj).type(typename)
        gconv.weight = sconv.weight.type(typename)
        gconv.bias = sconv.bias.type(typename)
        gconv.forward(input)
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)
        weightcuda = gconv.gradWeight
        biascuda = gconv.gradBias
        error = rescuda.double() - groundgrad.double()
        werror = weightcuda.double() - groundweight.double()
        berror = biascuda.double() - groundbias.double()
        mytester.assert_(groundgrad.isSize(rescuda.size()), f'size mismatch on state (forward) with {typename}')
        mytester.assertlt(error.abs().max(), precision_backward_type(precision_backward, typename),
                          f'error on state (backward) with {typename}')
        mytester.assertlt(werror.abs().max(),
                          precision_backward_conv_weightbias(precision_backward, typename, weightcuda.abs().max()),
                          f'error on weight (backward) with {typename}')
        mytester.assertlt(berror.abs().max(),
                          precision_backward_conv_weightbias(precision_backward, typename, biascuda.abs().max()),
                          f'error on bias (backward) with {typename}')


def test_VolumetricConvolution_backward_single():
    """test.lua lines 4840-4894."""
    from_ = random.randint(1, 4)
    to = random.randint(1, 3) * 8
    ki = random.randint(3, 8)
    kj = random.randint(3, 8)
    kk = random.randint(3, 8)
    si = random.randint(1, ki)
    sj = random.randint(1, kj)
    sk = random.randint(1, kk)
    # shrunk: the Lua's outputs 1..16
    outi = random.randint(1, 6)
    outj = random.randint(1, 6)
    outk = random.randint(1, 6)
    _volumetric_convolution_backward(None, from_, to, ki, kj, kk, si, sj, sk, outi, outj, outk)


def test_VolumetricConvolution_backward_batch():
    """test.lua lines 4896-4951."""
    # shrunk: the Lua's batch 4..16 and outputs 1..16
    bs = random.randint(1, 2) * 2
    from_ = random.randint(1, 4)
    to = random.randint(1, 3) * 8
    ki = random.randint(3, 8)
    kj = random.randint(3, 8)
    kk = random.randint(3, 8)
    si = random.randint(1, ki)
    sj = random.randint(1, kj)
    sk = random.randint(1, kk)
    outi = random.randint(1, 6)
    outj = random.randint(1, 6)
    outk = random.randint(1, 6)
    _volumetric_convolution_backward(bs, from_, to, ki, kj, kk, si, sj, sk, outi, outj, outk)


def test_VolumetricMaxPooling_forward():
    """test.lua lines 4953-4987."""
    kT = random.randint(3, 7)
    kH = random.randint(3, 7)
    kW = random.randint(3, 7)
    dT = random.randint(1, 13)
    dH = random.randint(1, 13)
    dW = random.randint(1, 13)
    iT = random.randint(kT * 2, 60)
    iH = random.randint(kH * 2, 60)
    iW = random.randint(kW * 2, 60)
    padT = random.randint(0, math.floor(kT / 2) - 1)
    padH = random.randint(0, math.floor(kH / 2) - 1)
    padW = random.randint(0, math.floor(kW / 2) - 1)
    iF = random.randint(1, 16)  # features

    for typename in typenames:
        input = lg.Tensor(iF, iT, iH, iW).float().uniform(-1, 1).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        layer = nn.VolumetricMaxPooling(kT, kW, kH, dT, dW, dH, padT, padW, padH).type(ctype)
        output = layer.forward(input)

        inputCUDA = makeNonContiguous(input.type(typename))
        layerCUDA = layer.clone().type(typename)
        outputCUDA = layerCUDA.forward(inputCUDA)

        error = outputCUDA.double() - output.double()
        mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                          f'error on state (forward) with {typename}')


def test_VolumetricMaxPooling_backward():
    """test.lua lines 4989-5028."""
    kT = random.randint(3, 7)
    kH = random.randint(3, 7)
    kW = random.randint(3, 7)
    dT = random.randint(1, 13)
    dH = random.randint(1, 13)
    dW = random.randint(1, 13)
    iT = random.randint(kT * 2, 60)
    iH = random.randint(kH * 2, 60)
    iW = random.randint(kW * 2, 60)
    padT = random.randint(0, math.floor(kT / 2) - 1)
    padH = random.randint(0, math.floor(kH / 2) - 1)
    padW = random.randint(0, math.floor(kW / 2) - 1)
    iF = random.randint(1, 16)  # features

    for typename in typenames:
        input = lg.Tensor(iF, iT, iH, iW).float().uniform(-1, 1).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        layer = nn.VolumetricMaxPooling(kT, kW, kH, dT, dW, dH, padT, padW, padH).type(ctype)
        output = layer.forward(input)
        gradOutput = makeNonContiguous(output.clone().uniform(-1, 1))

        gradInput = layer.backward(input, gradOutput)

        inputCUDA = makeNonContiguous(input.type(typename))
        layerCUDA = layer.clone().type(typename)
        layerCUDA.forward(inputCUDA)
        gradOutputCUDA = makeNonContiguous(gradOutput.type(typename))
        gradInputCUDA = layerCUDA.backward(inputCUDA, gradOutputCUDA)

        error = gradInputCUDA.double() - gradInput.double()
        mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                          f'error on state (backward) with {typename}')


def test_VolumetricDilatedMaxPooling_forward_batch():
    """test.lua lines 5030-5072."""
    bs = random.randint(4, 8)
    from_ = random.randint(4, 8)
    kt = random.randint(2, 4)
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    st = random.randint(2, 4)
    si = random.randint(2, 4)
    sj = random.randint(2, 4)
    outt = random.randint(1, 10)
    outi = random.randint(1, 33)
    outj = random.randint(1, 33)
    padt = random.randint(0, math.floor(kt / 2) - 1)
    padi = random.randint(0, math.floor(ki / 2) - 1)
    padj = random.randint(0, math.floor(kj / 2) - 1)
    dilationt = random.randint(1, 10)
    dilationi = random.randint(1, 10)
    dilationj = random.randint(1, 10)
    int_ = max((outt - 1) * st + (dilationt * (kt - 1) + 1) - 2 * padt, kt)
    ini = max((outi - 1) * si + (dilationi * (ki - 1) + 1) - 2 * padi, ki)
    inj = max((outj - 1) * sj + (dilationj * (kj - 1) + 1) - 2 * padj, kj)
    ceil_mode = random.randint(0, 1) == 1

    for typename in typenames:
        input = lg.randn(bs, from_, int_, inj, ini).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.VolumetricDilatedMaxPooling(kt, ki, kj, st, si, sj, padt, padi, padj, dilationt, dilationi,
                                               dilationj).type(ctype)
        if ceil_mode:
            sconv.ceil()
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.VolumetricDilatedMaxPooling(kt, ki, kj, st, si, sj, padt, padi, padj, dilationt, dilationi,
                                               dilationj).type(typename)
        if ceil_mode:
            gconv.ceil()
        rescuda = gconv.forward(input)

        error = rescuda.double() - groundtruth.double()
        mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                          f'error on state (forward) with {typename}')


def test_VolumetricDilatedMaxPooling_backward_batch():
    """test.lua lines 5074-5124."""
    bs = random.randint(4, 8)
    from_ = random.randint(4, 8)
    to = from_
    kt = random.randint(2, 4)
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    st = random.randint(2, 4)
    si = random.randint(2, 4)
    sj = random.randint(2, 4)
    outt = random.randint(8, 16)
    outi = random.randint(8, 16)
    outj = random.randint(8, 16)
    padt = random.randint(0, math.floor(kt / 2) - 1)
    padi = random.randint(0, math.floor(ki / 2) - 1)
    padj = random.randint(0, math.floor(kj / 2) - 1)
    dilationt = random.randint(1, 10)
    dilationi = random.randint(1, 10)
    dilationj = random.randint(1, 10)
    int_ = max((outt - 1) * st + (dilationt * (kt - 1) + 1) - 2 * padt, kt)
    ini = max((outi - 1) * si + (dilationi * (ki - 1) + 1) - 2 * padi, ki)
    inj = max((outj - 1) * sj + (dilationj * (kj - 1) + 1) - 2 * padj, kj)
    ceil_mode = random.randint(0, 1) == 1

    for typename in typenames:
        input = lg.randn(bs, from_, int_, inj, ini).type(typename)
        gradOutput = lg.randn(bs, to, outt, outj, outi).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        gradOutput = makeNonContiguous(gradOutput.type(ctype))
        sconv = nn.VolumetricDilatedMaxPooling(kt, ki, kj, st, si, sj, padt, padi, padj, dilationt, dilationi,
                                               dilationj).type(ctype)
        if ceil_mode:
            sconv.ceil()
        sconv.forward(input)
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)

        input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gconv = nn.VolumetricDilatedMaxPooling(kt, ki, kj, st, si, sj, padt, padi, padj, dilationt, dilationi,
                                               dilationj).type(typename)
        if ceil_mode:
            gconv.ceil()
        gconv.forward(input)
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)

        error = rescuda.double() - groundgrad.double()

        mytester.assertlt(error.abs().max(), precision_backward_type(precision_backward, typename),
                          f'error on state (backward) with {typename}')


def _unpooling_sizes():
    """The sizes VolumetricMaxUnpooling_forward_batch and _backward_batch draw alike (test.lua lines 5127-5142,
    5168-5183); ``it`` is fractional in Lua, and torch.randn truncates it."""
    # shrunk: the Lua's batch 4..10, planes 1..64 and unpooled sizes 32..128 (up to 10 x 64 x 43^3 inputs)
    bs = random.randint(1, 2)
    from_ = random.randint(1, 4)
    kt = random.randint(3, 7)
    ki = random.randint(3, 7)
    kj = random.randint(3, 7)
    st, si, sj = kt, ki, kj
    outt = random.randint(16, 32)
    outi = random.randint(16, 32)
    outj = random.randint(16, 32)
    padt = random.randint(0, math.floor(kt / 2) - 1)
    padi = random.randint(0, math.floor(ki / 2) - 1)
    padj = random.randint(0, math.floor(kj / 2) - 1)
    it = max(((outt + padt * 2 - kt) / st) + 1, kt)
    ii = max(((outi + padi * 2 - ki) / si) + 1, ki)
    ij = max(((outj + padj * 2 - kj) / sj) + 1, kj)
    return bs, from_, kt, ki, kj, st, si, sj, padt, padi, padj, int(it), int(ii), int(ij)


def test_VolumetricMaxUnpooling_forward_batch():
    """test.lua lines 5126-5165."""
    bs, from_, kt, ki, kj, st, si, sj, padt, padi, padj, it, ii, ij = _unpooling_sizes()

    for typename in typenames:
        ctype = t2cpu[typename]

        pooler = nn.VolumetricMaxPooling(kt, ki, kj, st, si, sj, padt, padi, padj).type(ctype)
        sunpool = nn.VolumetricMaxUnpooling(pooler).type(ctype)

        original = makeNonContiguous(lg.randn(bs, from_, it, ij, ii).type(typename).type(ctype))
        input = makeNonContiguous(pooler.forward(original))
        groundtruth = sunpool.forward(input)

        original = makeNonContiguous(original.type(typename))
        pooler = nn.VolumetricMaxPooling(kt, ki, kj, st, si, sj, padt, padi, padj).type(typename)
        gunpool = nn.VolumetricMaxUnpooling(pooler).type(typename)

        input = makeNonContiguous(pooler.forward(original))
        rescuda = gunpool.forward(input)

        error = rescuda.double() - groundtruth.double()
        mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                          f'error on state (forward) with {typename}')


def test_VolumetricMaxUnpooling_backward_batch():
    """test.lua lines 5167-5214."""
    bs, from_, kt, ki, kj, st, si, sj, padt, padi, padj, it, ii, ij = _unpooling_sizes()

    for typename in typenames:
        ctype = t2cpu[typename]

        pooler = nn.VolumetricMaxPooling(kt, ki, kj, st, si, sj, padt, padi, padj).type(ctype)
        sunpool = nn.VolumetricMaxUnpooling(pooler).type(ctype)

        original = makeNonContiguous(lg.randn(bs, from_, it, ij, ii).type(typename).type(ctype))
        input = makeNonContiguous(pooler.forward(original))
        gradOutput = makeNonContiguous(lg.randn(original.size()).type(typename).type(ctype))
        sunpool.forward(input)
        sunpool.zeroGradParameters()
        groundgrad = sunpool.backward(input, gradOutput)

        pooler = nn.VolumetricMaxPooling(kt, ki, kj, st, si, sj, padt, padi, padj).type(typename)
        gunpool = nn.VolumetricMaxUnpooling(pooler).type(typename)

        original = makeNonContiguous(original.type(typename))
        input = makeNonContiguous(pooler.forward(original))
        gunpool.forward(input)

        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gunpool.zeroGradParameters()
        rescuda = gunpool.backward(input, gradOutput)

        error = rescuda.double() - groundgrad.double()

        mytester.assertlt(error.abs().max(), precision_backward_type(precision_backward, typename),
                          f'error on state (backward) with {typename}')


def test_VolumetricAveragePooling_forward():
    """test.lua lines 5216-5247."""
    kT = random.randint(3, 7)
    kH = random.randint(3, 7)
    kW = random.randint(3, 7)
    dT = random.randint(1, 13)
    dH = random.randint(1, 13)
    dW = random.randint(1, 13)
    oT = random.randint(1, 20)
    oH = random.randint(1, 20)
    oW = random.randint(1, 20)
    iF = random.randint(1, 16)  # features
    iT = (oT - 1) * dT + kT
    iH = (oH - 1) * dH + kH
    iW = (oW - 1) * dW + kW

    for typename in typenames:
        input = lg.Tensor(iF, iT, iH, iW).float().uniform(-1, 1).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        layer = nn.VolumetricAveragePooling(kT, kW, kH, dT, dW, dH).type(ctype)
        output = layer.forward(input)

        inputCUDA = makeNonContiguous(input.type(typename))
        layerCUDA = layer.clone().type(typename)
        outputCUDA = layerCUDA.forward(inputCUDA)

        error = outputCUDA.double() - output.double()
        mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                          f'error on state (forward) with {typename}')


def test_VolumetricAveragePooling_backward():
    """test.lua lines 5249-5283."""
    kT = random.randint(3, 7)
    kH = random.randint(3, 7)
    kW = random.randint(3, 7)
    dT = random.randint(1, 13)
    dH = random.randint(1, 13)
    dW = random.randint(1, 13)
    oT = random.randint(1, 20)
    oH = random.randint(1, 20)
    oW = random.randint(1, 20)
    iF = random.randint(1, 16)  # features
    iT = (oT - 1) * dT + kT
    iH = (oH - 1) * dH + kH
    iW = (oW - 1) * dW + kW

    for typename in typenames:
        input = lg.Tensor(iF, iT, iH, iW).float().uniform(-1, 1).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        layer = nn.VolumetricAveragePooling(kT, kW, kH, dT, dW, dH).type(ctype)
        output = layer.forward(input)
        gradOutput = makeNonContiguous(output.clone().uniform(-1, 1))

        gradInput = layer.backward(input, gradOutput)

        inputCUDA = makeNonContiguous(input.type(typename))
        layerCUDA = layer.clone().type(typename)
        layerCUDA.forward(inputCUDA)
        gradOutputCUDA = makeNonContiguous(gradOutput.type(typename))
        gradInputCUDA = layerCUDA.backward(inputCUDA, gradOutputCUDA)

        error = gradInputCUDA.double() - gradInput.double()
        mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                          f'error on state (backward) with {typename}')


def test_FeatureLPPooling_forward():
    """test.lua lines 5285-5344."""
    for tries in range(5):
        batch_mode = [True, False]
        batch_mode = batch_mode[random.randint(1, 2) - 1]
        power = [2, 3]
        power = power[random.randint(1, 2) - 1]

        dims = random.randint(1, 3)

        if batch_mode:
            dims = dims + 1

        width = lg.random(2, 16 + 1)
        stride = lg.random(1, 4 + 1)

        output_size = lg.random(1, 100 + 1)
        input_size = (output_size - 1) * stride + width

        baseInput = None
        if dims == 1:
            baseInput = lg.Tensor(input_size).uniform()
        elif dims == 2:
            if batch_mode:
                baseInput = lg.Tensor(random.randint(1, 5), input_size).uniform()
            else:
                baseInput = lg.Tensor(input_size, random.randint(1, 5)).uniform()
        elif dims == 3:
            if batch_mode:
                baseInput = lg.Tensor(random.randint(1, 5), input_size, random.randint(1, 5)).uniform()
            else:
                baseInput = lg.Tensor(input_size, random.randint(1, 5), random.randint(1, 5)).uniform()
        else:
            baseInput = lg.Tensor(random.randint(1, 5), input_size, random.randint(1, 5),
                                  random.randint(1, 5)).uniform()

        for typename in typenames:
            input = baseInput.type(typename)

            ctype = t2cpu[typename]
            input = makeNonContiguous(input.type(ctype))
            sconv = nn.FeatureLPPooling(width, stride, power, batch_mode).type(ctype)
            groundtruth = sconv.forward(input)

            input = makeNonContiguous(input.type(typename))
            gconv = nn.FeatureLPPooling(width, stride, power, batch_mode).type(typename)
            rescuda = gconv.forward(input)

            error = rescuda.double() - groundtruth.double()
            mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                              f'error on state (forward) with {typename}')


def test_FeatureLPPooling_backward():
    """test.lua lines 5346-5426. The Lua's ``if ceil_mode then ...:ceil() end`` reads a global never set (nil):
    the lines do nothing and are left out."""
    for tries in range(5):
        batch_mode = [True, False]
        batch_mode = batch_mode[random.randint(1, 2) - 1]
        power = [2, 3]
        power = power[random.randint(1, 2) - 1]

        dims = random.randint(1, 3)

        if batch_mode:
            dims = dims + 1

        width = lg.random(2, 16 + 1)
        stride = lg.random(1, 4 + 1)

        output_size = lg.random(1, 100 + 1)
        input_size = (output_size - 1) * stride + width

        baseInput = None
        baseGradOutput = None

        if dims == 1:
            baseInput = lg.Tensor(input_size).uniform()
            baseGradOutput = lg.Tensor(output_size).uniform()
        elif dims == 2:
            a = random.randint(1, 5)
            if batch_mode:
                baseInput = lg.Tensor(a, input_size).uniform()
                baseGradOutput = lg.Tensor(a, output_size).uniform()
            else:
                baseInput = lg.Tensor(input_size, a).uniform()
                baseGradOutput = lg.Tensor(output_size, a).uniform()
        elif dims == 3:
            a = random.randint(1, 5)
            b = random.randint(1, 5)
            if batch_mode:
                baseInput = lg.Tensor(a, input_size, b).uniform()
                baseGradOutput = lg.Tensor(a, output_size, b).uniform()
            else:
                baseInput = lg.Tensor(input_size, a, b).uniform()
                baseGradOutput = lg.Tensor(output_size, a, b).uniform()
        else:
            a = random.randint(1, 5)
            b = random.randint(1, 5)
            c = random.randint(1, 5)
            baseInput = lg.Tensor(a, input_size, b, c).uniform()
            baseGradOutput = lg.Tensor(a, output_size, b, c).uniform()

        for typename in typenames:
            input = baseInput.type(typename)
            gradOutput = baseGradOutput.type(typename)
            ctype = t2cpu[typename]
            input = makeNonContiguous(input.type(ctype))
            gradOutput = makeNonContiguous(gradOutput.type(ctype))

            sconv = nn.FeatureLPPooling(width, stride, power, batch_mode).type(ctype)
            sconv.forward(input)
            sconv.zeroGradParameters()
            groundgrad = sconv.backward(input, gradOutput)

            input = makeNonContiguous(input.type(typename))
            gradOutput = makeNonContiguous(gradOutput.type(typename))
            gconv = nn.FeatureLPPooling(width, stride, power, batch_mode).type(typename)

            gconv.forward(input)
            gconv.zeroGradParameters()
            rescuda = gconv.backward(input, gradOutput)

            error = rescuda.double() - groundgrad.double()

            mytester.assertlt(error.abs().max(), precision_backward_type(precision_backward, typename),
                              f'error on state (backward) with {typename}')


def test_CMul_forward_batch():
    """test.lua lines 5428-5459."""
    bs = random.randint(8, 32)
    nini = random.randint(1, 100)
    ninj = random.randint(1, 100)
    nink = random.randint(1, 100)

    input = makeNonContiguous(lg.randn(bs, nini, ninj, nink))
    sconv = nn.CMul(nini, ninj, nink)
    groundtruth = sconv.forward(input)
    for i in range(nloop):
        groundtruth = sconv.forward(input)

    input = makeNonContiguous(input.cuda())
    gconv = sconv.clone().cuda()
    rescuda = gconv.forward(input)
    for i in range(nloop):
        rescuda = gconv.forward(input)
    cutorch.synchronize()

    error = rescuda.float() - groundtruth
    mytester.assertlt(error.abs().max(), precision_forward, 'error on state (forward) batch ')


def test_CMul_backward_batch():
    """test.lua lines 5461-5506."""
    bs = random.randint(8, 32)
    nini = random.randint(1, 100)
    ninj = random.randint(1, 100)
    nink = random.randint(1, 100)

    input = makeNonContiguous(lg.randn(bs, nini, ninj, nink))
    gradOutput = makeNonContiguous(lg.randn(bs, nini, ninj, nink))
    sconv = nn.CMul(nini, ninj, nink)
    sconv.forward(input)
    sconv.zeroGradParameters()
    groundgrad = sconv.backward(input, gradOutput)
    for i in range(nloop):
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)
    groundweight = sconv.gradWeight

    input = makeNonContiguous(input.cuda())
    gradOutput = makeNonContiguous(gradOutput.cuda())
    gconv = sconv.clone().cuda()
    gconv.forward(input)
    gconv.zeroGradParameters()
    rescuda = gconv.backward(input, gradOutput)
    for i in range(nloop):
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)
    cutorch.synchronize()

    weightcuda = gconv.gradWeight

    error = rescuda.float() - groundgrad
    werror = weightcuda.float() - groundweight

    mytester.assertlt(error.abs().max(), precision_backward, 'error on state (backward) ')
    mytester.assertlt(werror.abs().max(), precision_backward, 'error on weight (backward) ')


def _raises_wrong_planes(sconv, input, typename):
    """What Torch7's PReLU does with an ``8 x h x w`` input, ``h ~= 8`` (PReLU.c, PReLU.cu): it raises, on the
    CPU type and on ``typename``."""
    with pytest.raises(ValueError, match=r'PReLU\(8\): expected 8 channels in dimension 1'):
        sconv.forward(input)
    with pytest.raises(ValueError, match=r'PReLU\(8\): expected 8 channels in dimension 1'):
        sconv.clone().type(typename).forward(makeNonContiguous(input.type(typename)))


def test_PReLU_forward():
    """test.lua lines 5508-5529. The Lua's input ``nOutputPlane x h x w`` dates from a PReLU that read a 3-D
    input as one sample; torch/nn's and torch/cunn's PReLU.c/.cu at HEAD take the planes from dimension 2 of any
    input of more than one dimension (``input->size[ndim > 1]``) and raise 'Wrong number of input planes'
    unless ``h == 8``, on the CPU and CUDA alike. So does legonn: the test checks that raise on both types when
    ``h ~= 8``, and runs the Lua's comparison when it holds."""
    nOutputPlane = 8
    w = random.randint(1, 100)
    h = random.randint(1, 100)

    for typename in typenames:
        input = lg.randn(nOutputPlane, h, w).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.PReLU(nOutputPlane).type(ctype)
        if h != nOutputPlane:
            _raises_wrong_planes(sconv, input, typename)
            continue
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = sconv.type(typename)
        rescuda = gconv.forward(input)

        error = rescuda.double() - groundtruth.double()
        mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                          f'error on state with {typename}')


def test_PReLU_backward():
    """test.lua lines 5531-5564; as in PReLU_forward, Torch7's PReLU raises unless ``h == 8``."""
    nOutputPlane = 8
    w = random.randint(1, 10)
    h = random.randint(1, 10)

    for typename in typenames:
        input = lg.randn(nOutputPlane, h, w).type(typename)
        gradOutput = lg.randn(input.size()).type(typename)
        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        gradOutput = makeNonContiguous(gradOutput.type(ctype))
        sconv = nn.PReLU(nOutputPlane).type(ctype)
        gconv = sconv.clone().type(typename)
        if h != nOutputPlane:
            _raises_wrong_planes(sconv, input, typename)
            continue

        sconv.forward(input)
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)

        input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gconv.forward(input)
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)

        err = rescuda.double() - groundgrad.double()
        weightGradError = gconv.gradWeight.double() - sconv.gradWeight.double()

        mytester.assertlt(err.abs().max(), precision_backward_type(precision_backward, typename),
                          f'error on state {typename}')
        mytester.assertlt(weightGradError.abs().max(), precision_backward_type(precision_backward, typename),
                          f'error on weight {typename}')


def test_RReLU_forward():
    """test.lua lines 5566-5595."""
    nOutputPlane = 8
    w = random.randint(1, 100)
    h = random.randint(1, 100)

    for typename in typenames:
        for train in [True, False]:
            for inplace in [False, True]:
                input = lg.randn(nOutputPlane, h, w).type(typename) - 0.5
                ctype = t2cpu[typename]
                input = makeNonContiguous(input.type(ctype))
                sconv = nn.RReLU(1 / 8, 1 / 3, inplace).type(ctype)
                if not train:
                    sconv.evaluate()
                groundtruth = sconv.forward(input.clone())

                input = makeNonContiguous(input.type(typename))
                gconv = sconv.type(typename)
                rescuda = gconv.forward(input.clone())

                if not train:
                    error = rescuda.double() - groundtruth.double()
                    mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                                      f'error on state {typename}')


def test_RReLU_backward():
    """test.lua lines 5597-5638."""
    nOutputPlane = 8
    w = random.randint(1, 10)
    h = random.randint(1, 10)

    for typename in typenames:
        for train in [True, False]:
            for inplace in [False, True]:
                ctype = t2cpu[typename]
                input = lg.randn(nOutputPlane, h, w).type(typename)
                gradOutput = lg.randn(input.size()).type(typename) - 0.5
                input = makeNonContiguous(input.type(ctype))
                gradOutput = makeNonContiguous(gradOutput.type(ctype))
                sconv = nn.RReLU(1 / 8, 1 / 3, inplace).type(ctype)
                if not train:
                    sconv.evaluate()

                sconv.forward(input.clone())
                groundgrad = sconv.backward(input, gradOutput.clone())

                gconv = sconv.clone().type(typename)
                input = makeNonContiguous(input.type(typename))
                gradOutput = makeNonContiguous(gradOutput.type(typename))
                gconv.forward(input.clone())
                rescuda = gconv.backward(input, gradOutput.clone())

                if not train:
                    err = rescuda.double() - groundgrad.double()
                    mytester.assertlt(err.abs().max(), precision_backward_type(precision_backward, typename),
                                      'error on state')

                input = makeNonContiguous(-lg.rand(1000).type(typename))
                gconv.forward(input)  # fill internal noise tensor
                g = gconv.backward(input, lg.ones(1000).type(typename))
                err = abs(g[input.le(0)].mean() - (gconv.lower + gconv.upper) / 2)
                mytester.assertlt(err, 0.05, 'mean deviation of gradient for negative inputs')
