"""torch/nn's test.lua, lines 3045-4466 (``nntest.SpatialConvolution`` ... ``nntest.SpatialLPPooling``: the
spatial convolutions (MM, Local, Full, Dilated, Map, FullMap), the batch compares, SubSampling and the spatial
poolings), ported literally: one test per ``nntest.X``, each naming its lines. The edits are docs/porting.md's:
``torch.`` is ``lg.``, ``:`` is ``.``, indices and dimensions are 0-based (connection tables too:
``nn.tables.*`` build 0-based rows), ``mytester:assert`` is ``mytester.assert_``; the other ``mytester`` calls
stay Tester calls, set to raise. Lua's ``from`` is a Python keyword: ``from_``.

test.lua runs in Torch7's default type, DoubleTensor (the ``double_default`` fixture), with the set-up and the
``batchcompare`` helper of tests/porting/nn_testlua.py. Lua's ``math.random`` is Python's ``random``, as the
porting guide's row says."""
import math
import random

import pytest

import legonn as lg
from legonn import nn
from tests.porting.nn_testlua import batchcompare, jac, mytester, precision

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as nn.test() runs


def test_SpatialConvolution():
    """test.lua lines 3045-3186."""
    from_ = random.randint(1, 5)
    to = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    si = random.randint(1, 4)
    sj = random.randint(1, 4)
    outi = random.randint(5, 7)
    outj = random.randint(5, 7)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    module = nn.SpatialConvolution(from_, to, ki, kj, si, sj)
    input = lg.Tensor(from_, inj, ini).zero()

    def jacTests(module):
        # the Lua's jacTests assigns the upvalues input, outi, outj, ini, inj: the batch input stays for the
        # next call (docs/porting.md's closure row)
        nonlocal input, outi, outj, ini, inj
        # stochastic

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error on state ')

        err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
        mytester.assertlt(err, precision, 'error on weight ')

        if module.bias is not None:
            err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
            mytester.assertlt(err, precision, 'error on bias ')

        err = jac.testJacobianUpdateParameters(module, input, module.weight)
        mytester.assertlt(err, precision, 'error on weight [direct update] ')

        if module.bias is not None:
            err = jac.testJacobianUpdateParameters(module, input, module.bias)
            mytester.assertlt(err, precision, 'error on bias [direct update] ')

        nn.hessian.enable()

        err = jac.testDiagHessianInput(module, input)
        mytester.assertlt(err, precision, 'error on diagHessianInput')

        err = jac.testDiagHessianWeight(module, input)
        mytester.assertlt(err, precision, 'error on diagHessianWeight')

        if module.bias is not None:
            err = jac.testDiagHessianBias(module, input)
            mytester.assertlt(err, precision, 'error on diag HessianBias')

        for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
            mytester.assertlt(err, precision, 'error on weight [%s]' % t)

        if module.bias is not None:
            for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
                mytester.assertlt(err, precision, 'error on bias [%s]' % t)

        # batch

        # verbose = true
        batch = random.randint(2, 5)
        outi = random.randint(4, 8)
        outj = random.randint(4, 8)
        ini = (outi - 1) * si + ki
        inj = (outj - 1) * sj + kj
        module = nn.SpatialConvolution(from_, to, ki, kj, si, sj)
        input = lg.Tensor(batch, from_, inj, ini).zero()

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'batch error on state ')

        err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
        mytester.assertlt(err, precision, 'batch error on weight ')

        if module.bias is not None:
            err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
            mytester.assertlt(err, precision, 'batch error on bias ')

        err = jac.testJacobianUpdateParameters(module, input, module.weight)
        mytester.assertlt(err, precision, 'batch error on weight [direct update] ')

        if module.bias is not None:
            err = jac.testJacobianUpdateParameters(module, input, module.bias)
            mytester.assertlt(err, precision, 'batch error on bias [direct update] ')

        err = jac.testDiagHessianInput(module, input)
        mytester.assertlt(err, precision, 'error on diagHessianInput')

        err = jac.testDiagHessianWeight(module, input)
        mytester.assertlt(err, precision, 'error on diagHessianWeight')

        if module.bias is not None:
            err = jac.testDiagHessianBias(module, input)
            mytester.assertlt(err, precision, 'error on diag HessianBias')

        for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
            mytester.assertlt(err, precision, 'error on weight [%s]' % t)

        if module.bias is not None:
            for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
                mytester.assertlt(err, precision, 'batch error on bias [%s]' % t)

        ferr, berr = jac.testIO(module, input)
        mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
        mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)

    jacTests(module)
    module.noBias()
    jacTests(module)
    module.bias = lg.Tensor(module.nOutputPlane).zero()
    module.gradBias = lg.Tensor(module.nOutputPlane).zero()
    module.reset()
    jacTests(module)

    output = module.forward(input).clone()
    gradOutput = output.clone().normal()
    # the Lua calls module:forward(input, gradOutput): Module.forward takes the input only and Lua drops the
    # extra argument (docs/porting.md's torch.class row, on extra arguments), so this is the forward again
    gradInput = module.forward(input).clone()
    bigWeight = module.weight.new(module.weight.nElement() * 4).fill(math.nan)   # fill with nans
    newWeight = bigWeight.narrow(0, module.weight.nElement() * 3 - 1, module.weight.nElement())
    newWeight = newWeight.viewAs(module.weight).copy(module.weight)
    module.weight = newWeight
    newOutput = module.forward(input)
    newGradInput = module.forward(input)
    mytester.asserteq((newOutput - output).abs().max(), 0,
                      lg.typename(module) + ' forward failure case in a getParameters setting ')
    mytester.asserteq((newGradInput - gradInput).abs().max(), 0,
                      lg.typename(module) + ' backward failure case in a getParameters setting ')


def test_SpatialConvolutionMM():
    """test.lua lines 3188-3277."""
    from_ = random.randint(2, 5)
    to = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    di = random.randint(1, 4)
    dj = random.randint(1, 4)
    padW = random.randint(0, 2)
    padH = random.randint(0, 2)
    outi = random.randint(5, 9)
    outj = random.randint(5, 9)
    ini = (outi - 1) * di + ki - padW * 2
    inj = (outj - 1) * dj + kj - padH * 2
    module = nn.SpatialConvolutionMM(from_, to, ki, kj, di, dj, padW, padH)
    input = lg.Tensor(from_, inj, ini).zero()

    # stochastic

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'error on bias [direct update] ')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'error on bias [%s]' % t)

    # batch

    # verbose = true
    batch = random.randint(2, 5)

    module = nn.SpatialConvolutionMM(from_, to, ki, kj, di, dj, padW, padH)
    input = lg.Tensor(batch, from_, inj, ini).zero()

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'batch error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'batch error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'batch error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'batch error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'batch error on bias [direct update] ')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'batch error on bias [%s]' % t)

    ferr, berr = jac.testIO(module, input)
    mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)

    # non-contiguous
    input = lg.randn(batch, from_, ini, inj).transpose(2, 3)   # non-contiguous
    inputc = input.contiguous()   # contiguous
    output = module.forward(input).clone()
    outputc = module.forward(inputc).clone()
    mytester.asserteq(0, (output - outputc).abs().max(), lg.typename(module) + ' - contiguous err ')
    gradInput = module.backward(input, output).clone()
    gradInputc = module.backward(inputc, outputc).clone()
    mytester.asserteq(0, (gradInput - gradInputc).abs().max(), lg.typename(module) + ' - contiguous err ')


def test_SpatialConvolutionLocal():
    """test.lua lines 3279-3389."""
    from_ = random.randint(1, 4)
    to = random.randint(1, 4)
    ki = random.randint(1, 3)
    kj = random.randint(1, 3)
    si = random.randint(1, 3)
    sj = random.randint(1, 3)
    outi = random.randint(5, 6)
    outj = random.randint(5, 6)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    module = nn.SpatialConvolutionLocal(from_, to, ini, inj, ki, kj, si, sj)
    input = lg.Tensor(from_, inj, ini).zero()

    # stochastic

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'error on bias [direct update] ')

    nn.hessian.enable()

    err = jac.testDiagHessianInput(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianInput')

    err = jac.testDiagHessianWeight(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianWeight')

    err = jac.testDiagHessianBias(module, input)
    mytester.assertlt(err, precision, 'error on diag HessianBias')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'error on bias [%s]' % t)

    # batch

    # verbose = true
    batch = random.randint(2, 5)
    outi = random.randint(4, 6)
    outj = random.randint(4, 6)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    module = nn.SpatialConvolutionLocal(from_, to, ini, inj, ki, kj, si, sj)
    input = lg.Tensor(batch, from_, inj, ini).zero()

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'batch error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'batch error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'batch error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'batch error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'batch error on bias [direct update] ')

    err = jac.testDiagHessianInput(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianInput')

    err = jac.testDiagHessianWeight(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianWeight')

    err = jac.testDiagHessianBias(module, input)
    mytester.assertlt(err, precision, 'error on diag HessianBias')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'batch error on bias [%s]' % t)

    ferr, berr = jac.testIO(module, input)
    mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)

    # check against nn.SpatialConvolution
    conv = nn.SpatialConvolution(from_, to, ki, kj, si, sj)
    lg.repeatTensor(module.bias, conv.bias.view(to, 1, 1), 1, outj, outi)
    lg.repeatTensor(module.weight, conv.weight.view(1, 1, from_, to, ki, kj), outi, outj, 1, 1, 1, 1)
    input = lg.rand(batch, from_, inj, ini)
    output = module.forward(input)
    outputConv = conv.forward(input)
    err = lg.dist(output, outputConv)
    mytester.assertlt(err, precision, 'error checking against nn.SpatialConvolution')


def test_SpatialFullConvolution():
    """test.lua lines 3391-3510."""
    from_ = random.randint(2, 5)
    to = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    di = random.randint(1, 4)
    dj = random.randint(1, 4)
    padW = random.randint(0, 2)
    padH = random.randint(0, 2)
    outi = random.randint(5, 9)
    outj = random.randint(5, 9)
    adjW = (outi + padW * 2 - ki) % di
    adjH = (outj + padH * 2 - kj) % dj
    ini = math.floor((outi + padW * 2 - ki) / di + 1)
    inj = math.floor((outj + padH * 2 - kj) / dj + 1)
    module = nn.SpatialFullConvolution(from_, to, ki, kj, di, dj, padW, padH, adjW, adjH)
    input = lg.Tensor(from_, inj, ini).zero()

    def jacTests(module):
        # the Lua's jacTests assigns the upvalue input: the batch input stays for the next call
        # (docs/porting.md's closure row)
        nonlocal input
        # stochastic

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error on state ')

        err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
        mytester.assertlt(err, precision, 'error on weight ')

        if module.bias is not None:
            err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
            mytester.assertlt(err, precision, 'error on bias ')

        err = jac.testJacobianUpdateParameters(module, input, module.weight)
        mytester.assertlt(err, precision, 'error on weight [direct update] ')

        if module.bias is not None:
            err = jac.testJacobianUpdateParameters(module, input, module.bias)
            mytester.assertlt(err, precision, 'error on bias [direct update] ')

        for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
            mytester.assertlt(err, precision, 'error on weight [%s]' % t)

        if module.bias is not None:
            for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
                mytester.assertlt(err, precision, 'error on bias [%s]' % t)

        # batch

        # verbose = true
        batch = random.randint(2, 5)

        module = nn.SpatialFullConvolution(from_, to, ki, kj, di, dj, padW, padH, adjW, adjH)
        input = lg.Tensor(batch, from_, inj, ini).zero()

        # Check that the required output size matches the actual output size
        output = module.forward(input)
        mytester.asserteq(output.size(2), outj, 'output height error')
        mytester.asserteq(output.size(3), outi, 'output width error')

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'batch error on state ')

        err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
        mytester.assertlt(err, precision, 'batch error on weight ')

        if module.bias is not None:
            err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
            mytester.assertlt(err, precision, 'batch error on bias ')

        err = jac.testJacobianUpdateParameters(module, input, module.weight)
        mytester.assertlt(err, precision, 'batch error on weight [direct update] ')

        if module.bias is not None:
            err = jac.testJacobianUpdateParameters(module, input, module.bias)
            mytester.assertlt(err, precision, 'batch error on bias [direct update] ')

        for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
            mytester.assertlt(err, precision, 'error on weight [%s]' % t)

        if module.bias is not None:
            for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
                mytester.assertlt(err, precision, 'batch error on bias [%s]' % t)

        ferr, berr = jac.testIO(module, input)
        mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
        mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)

    jacTests(module)
    module.noBias()
    jacTests(module)
    module.bias = lg.Tensor(module.nOutputPlane).zero()
    module.gradBias = lg.Tensor(module.nOutputPlane).zero()
    module.reset()
    jacTests(module)

    # non-contiguous
    batch = random.randint(2, 5)
    input = lg.randn(batch, from_, ini, inj).transpose(2, 3)   # non-contiguous
    inputc = input.contiguous()   # contiguous
    output = module.forward(input)
    outputc = module.forward(inputc)
    mytester.asserteq(0, (output - outputc).abs().max(), lg.typename(module) + ' - contiguous err ')
    gradInput = module.backward(input, output)
    gradInputc = module.backward(inputc, outputc)
    mytester.asserteq(0, (gradInput - gradInputc).abs().max(), lg.typename(module) + ' - contiguous err ')


def test_SpatialFullConvolutionDualInput():
    """test.lua lines 3512-3552."""
    from_ = random.randint(2, 5)
    to = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    di = random.randint(1, 4)
    dj = random.randint(1, 4)
    padW = random.randint(0, 2)
    padH = random.randint(0, 2)
    outi = random.randint(5, 9)
    outj = random.randint(5, 9)
    ini = math.floor((outi + padW * 2 - ki) / di + 1)
    inj = math.floor((outj + padH * 2 - kj) / dj + 1)
    adjW = (outi + 2 * padW - ki) % di
    adjH = (outj + 2 * padH - kj) % dj
    targetTensor = lg.Tensor(outj, outi).zero()
    input = lg.Tensor(from_, inj, ini).zero()

    module = nn.SpatialFullConvolution(from_, to, ki, kj, di, dj, padW, padH)
    moduleRef = nn.SpatialFullConvolution(from_, to, ki, kj, di, dj, padW, padH, adjW, adjH)
    moduleRef.weight.copy(module.weight)
    moduleRef.bias.copy(module.bias)

    # Check that the required output size matches the actual output size
    # when using the dual input mode
    output = module.forward([input, targetTensor])
    mytester.asserteq(output.size(1), outj, 'output height error')
    mytester.asserteq(output.size(2), outi, 'output width error')

    # Check that backward and forward match the reference module
    outputRef = moduleRef.forward(input)
    mytester.asserteq(0, (output - outputRef).abs().max(), lg.typename(module) + ' - output err ')
    gradOutput = outputRef.clone().uniform()
    gradInputRef = moduleRef.backward(input, gradOutput)
    gradInput = module.backward([input, targetTensor], gradOutput)
    mytester.asserteq(0, (gradInput[0] - gradInputRef).abs().max(), lg.typename(module) + ' - gradInput[1] err ')

    # Check that gradInput[2] is the singleton tensor {0}
    mytester.asserteq(gradInput[1].storage().size(), 1, lg.typename(module) + ' - gradInput[2] size err ')
    mytester.asserteq(gradInput[1].storage()[0], 0, lg.typename(module) + ' - gradInput[2] value err ')


def test_SpatialDilatedConvolution():
    """test.lua lines 3554-3651."""
    from_ = random.randint(1, 5)
    to = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    di = random.randint(1, 4)
    dj = random.randint(1, 4)
    padW = random.randint(0, 2)
    padH = random.randint(0, 2)
    outi = random.randint(5, 9)
    outj = random.randint(5, 9)
    dilationW = random.randint(1, 10)
    dilationH = random.randint(1, 10)
    ini = (outi - 1) * di - 2 * padW + dilationW * (ki - 1) + 1
    inj = (outj - 1) * dj - 2 * padH + dilationH * (kj - 1) + 1

    module = nn.SpatialDilatedConvolution(from_, to, ki, kj, di, dj, padW, padH, dilationW, dilationH)
    input = lg.Tensor(from_, inj, ini).zero()

    # stochastic

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'error on bias [direct update] ')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'error on bias [%s]' % t)

    # batch

    # verbose = true
    batch = random.randint(2, 5)

    module = nn.SpatialDilatedConvolution(from_, to, ki, kj, di, dj, padW, padH, dilationW, dilationH)
    input = lg.Tensor(batch, from_, inj, ini).zero()

    # Check that the required output size matches the actual output size
    output = module.forward(input)
    mytester.asserteq(output.size(2), outj, 'output height error')
    mytester.asserteq(output.size(3), outi, 'output width error')

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'batch error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'batch error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'batch error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'batch error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'batch error on bias [direct update] ')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'batch error on bias [%s]' % t)

    ferr, berr = jac.testIO(module, input)
    mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)

    # non-contiguous
    input = lg.randn(batch, from_, ini, inj).transpose(2, 3)   # non-contiguous
    inputc = input.contiguous()   # contiguous
    output = module.forward(input)
    outputc = module.forward(inputc)
    mytester.asserteq(0, (output - outputc).abs().max(), lg.typename(module) + ' - contiguous err ')
    gradInput = module.backward(input, output)
    gradInputc = module.backward(inputc, outputc)
    mytester.asserteq(0, (gradInput - gradInputc).abs().max(), lg.typename(module) + ' - contiguous err ')


def test_SpatialConvolutionMap():
    """test.lua lines 3653-3749."""
    from_ = random.randint(1, 5)
    fanin = random.randint(1, from_)
    to = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    si = random.randint(1, 3)
    sj = random.randint(1, 3)
    outi = random.randint(5, 9)
    outj = random.randint(5, 9)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj

    module = nn.SpatialConvolutionMap(nn.tables.random(from_, to, fanin), ki, kj, si, sj)
    input = lg.Tensor(from_, inj, ini).zero()

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'error on bias ')

    nn.hessian.enable()

    err = jac.testDiagHessianInput(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianInput')

    err = jac.testDiagHessianWeight(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianWeight')

    err = jac.testDiagHessianBias(module, input)
    mytester.assertlt(err, precision, 'error on diag HessianBias')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'error on bias [%s]' % t)

    ferr, berr = jac.testIO(module, input)
    mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)

    # batch

    # verbose = true
    batch = random.randint(2, 6)
    module = nn.SpatialConvolutionMap(nn.tables.random(from_, to, fanin), ki, kj, si, sj)
    input = lg.Tensor(batch, from_, inj, ini).zero()

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'batch error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'batch error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'batch error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'batch error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'batch error on bias [direct update] ')

    err = jac.testDiagHessianInput(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianInput')

    err = jac.testDiagHessianWeight(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianWeight')

    err = jac.testDiagHessianBias(module, input)
    mytester.assertlt(err, precision, 'error on diag HessianBias')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'batch error on bias [%s]' % t)

    ferr, berr = jac.testIO(module, input)
    mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)


def test_SpatialFullConvolutionMap():
    """test.lua lines 3751-3805."""
    from_ = random.randint(2, 4)
    to = random.randint(2, 5)
    fanin = random.randint(1, from_)
    tt = nn.tables.random(from_, to, fanin)
    ki = random.randint(2, 5)
    kj = random.randint(2, 5)
    si = random.randint(1, 3)
    sj = random.randint(1, 3)
    ini = random.randint(5, 7)
    inj = random.randint(5, 7)
    module = nn.SpatialFullConvolutionMap(tt, ki, kj, si, sj)
    input = lg.Tensor(from_, inj, ini).zero()

    # stochastic
    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'error on bias [direct update] ')

    nn.hessian.enable()

    err = jac.testDiagHessianInput(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianInput')

    err = jac.testDiagHessianWeight(module, input)
    mytester.assertlt(err, precision, 'error on diagHessianWeight')

    err = jac.testDiagHessianBias(module, input)
    mytester.assertlt(err, precision, 'error on diag HessianBias')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'error on bias [%s]' % t)

    ferr, berr = jac.testIO(module, input)
    mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)


def test_SpatialFullConvolutionCompare():
    """test.lua lines 3807-3845: the rows of ``tt`` are 0-based plane numbers (docs/porting.md's connection
    tables row), so they index ``module2.weight`` as they stand."""
    from_ = random.randint(2, 4)
    to = random.randint(2, 5)
    tt = nn.tables.full(from_, to)
    ki = random.randint(2, 5)
    kj = random.randint(2, 5)
    si = random.randint(1, 3)
    sj = random.randint(1, 3)
    ini = random.randint(7, 8)
    inj = random.randint(7, 8)
    module1 = nn.SpatialFullConvolutionMap(tt, ki, kj, si, sj)
    module2 = nn.SpatialFullConvolution(from_, to, ki, kj, si, sj)
    input = lg.rand(from_, inj, ini)
    for k in range(tt.size(0)):
        module1.weight[k].copy(module2.weight[tt[k][0]][tt[k][1]])
        module1.bias.copy(module2.bias)

    o1 = module1.updateOutput(input)
    o2 = module2.updateOutput(input)
    mytester.assertlt(o1.dist(o2), precision, 'error on output')

    go1 = lg.rand(o1.size())
    go2 = go1.clone()

    gi1 = module1.updateGradInput(input, go1)
    gi2 = module2.updateGradInput(input, go2)
    mytester.assertlt(gi1.dist(gi2), precision, 'error on gradInput')

    module1.zeroGradParameters()
    module2.zeroGradParameters()

    module1.accGradParameters(input, go1)
    module2.accGradParameters(input, go2)
    for k in range(tt.size(0)):
        mytester.assertlt(module1.gradWeight[k].dist(module2.gradWeight[tt[k][0]][tt[k][1]]), precision,
                          'error on gradWeight ' + str(k + 1))
    mytester.assertlt(module1.gradBias.dist(module2.gradBias), precision, 'error on gradBias ')


def test_SpatialConvolutionBatchCompare():
    """test.lua lines 3875-3892 (``batchcompare``, lines 3847-3873, is tests/porting/nn_testlua.py's)."""
    from_ = random.randint(1, 5)
    to = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    si = random.randint(1, 4)
    sj = random.randint(1, 4)
    outi = random.randint(5, 9)
    outj = random.randint(5, 9)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj

    module = nn.SpatialConvolution(from_, to, ki, kj, si, sj)
    module.zeroGradParameters()
    input = lg.randn(from_, inj, ini)

    batchcompare(module, input, ['weight', 'bias', 'gradWeight', 'gradBias'])


def test_SpatialFullConvolutionBatchCompare():
    """test.lua lines 3894-3909."""
    from_ = random.randint(1, 5)
    to = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    si = random.randint(1, 4)
    sj = random.randint(1, 4)
    ini = random.randint(5, 9)
    inj = random.randint(5, 9)

    module = nn.SpatialFullConvolution(from_, to, ki, kj, si, sj)
    module.zeroGradParameters()
    input = lg.randn(from_, inj, ini)

    batchcompare(module, input, ['weight', 'bias', 'gradWeight', 'gradBias'])


def test_SpatialSubSamplingBatchCompare():
    """test.lua lines 3913-3928."""
    from_ = random.randint(1, 6)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    si = random.randint(1, 4)
    sj = random.randint(1, 4)
    outi = random.randint(6, 10)
    outj = random.randint(6, 10)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    module = nn.SpatialSubSampling(from_, ki, kj, si, sj)
    module.zeroGradParameters()
    input = lg.randn(from_, inj, ini)   # torch.Tensor(from, inj, ini):zero()

    batchcompare(module, input, ['weight', 'bias', 'gradWeight', 'gradBias'])


def test_SpatialSubSampling():
    """test.lua lines 3930-4004."""
    from_ = random.randint(1, 6)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    si = random.randint(1, 4)
    sj = random.randint(1, 4)
    outi = random.randint(6, 10)
    outj = random.randint(6, 10)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    module = nn.SpatialSubSampling(from_, ki, kj, si, sj)
    input = lg.Tensor(from_, inj, ini).zero()

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'error on bias [direct update] ')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'error on bias [%s]' % t)

    batch = random.randint(2, 5)
    outi = random.randint(4, 8)
    outj = random.randint(4, 8)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    module = nn.SpatialSubSampling(from_, ki, kj, si, sj)
    input = lg.Tensor(batch, from_, inj, ini).zero()

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'batch error on state ')

    err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight)
    mytester.assertlt(err, precision, 'batch error on weight ')

    err = jac.testJacobianParameters(module, input, module.bias, module.gradBias)
    mytester.assertlt(err, precision, 'batch error on bias ')

    err = jac.testJacobianUpdateParameters(module, input, module.weight)
    mytester.assertlt(err, precision, 'batch error on weight [direct update] ')

    err = jac.testJacobianUpdateParameters(module, input, module.bias)
    mytester.assertlt(err, precision, 'batch error on bias [direct update] ')

    for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
        mytester.assertlt(err, precision, 'batch error on weight [%s]' % t)

    for t, err in jac.testAllUpdate(module, input, 'bias', 'gradBias').items():
        mytester.assertlt(err, precision, 'batch error on bias [%s]' % t)

    ferr, berr = jac.testIO(module, input)
    mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)


def test_SpatialMaxPooling():
    """test.lua lines 4006-4045."""
    for ceil_mode in (True, False):
        from_ = random.randint(1, 5)
        ki = random.randint(1, 4)
        kj = random.randint(1, 4)
        si = random.randint(1, 3)
        sj = random.randint(1, 3)
        outi = random.randint(4, 5)
        outj = random.randint(4, 5)
        padW = min(random.randint(0, 1), math.floor(ki / 2))
        padH = min(random.randint(0, 1), math.floor(kj / 2))
        ini = (outi - 1) * si + ki - 2 * padW
        inj = (outj - 1) * sj + kj - 2 * padH

        ceil_string = 'ceil' if ceil_mode else 'floor'
        module = nn.SpatialMaxPooling(ki, kj, si, sj, padW, padH)
        if ceil_mode:
            module.ceil()
        else:
            module.floor()
        input = lg.rand(from_, inj, ini)

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error ' + ceil_string + ' mode on state ')

        ferr, berr = jac.testIO(module, input)
        mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
        mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)

        # batch
        nbatch = random.randint(2, 5)
        input = lg.rand(nbatch, from_, inj, ini)
        module = nn.SpatialMaxPooling(ki, kj, si, sj, padW, padH)
        if ceil_mode:
            module.ceil()
        else:
            module.floor()

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error ' + ceil_string + ' mode on state (Batch)')

        ferr, berr = jac.testIO(module, input)
        mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err (Batch) ', precision)
        mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err (Batch) ', precision)


def test_SpatialMaxUnpooling():
    """test.lua lines 4047-4093."""
    for ceil_mode in (True, False):
        from_ = random.randint(1, 5)
        ki = random.randint(2, 4)
        kj = random.randint(2, 4)
        si, sj = ki, kj
        outi = random.randint(4, 5)
        outj = random.randint(4, 5)
        padW = min(random.randint(0, 1), math.floor(ki / 2))
        padH = min(random.randint(0, 1), math.floor(kj / 2))
        ini = (outi - 1) * si + ki - 2 * padW
        inj = (outj - 1) * sj + kj - 2 * padH

        ceil_string = 'ceil' if ceil_mode else 'floor'
        poolingModule = nn.SpatialMaxPooling(ki, kj, si, sj, padW, padH)
        if ceil_mode:
            poolingModule.ceil()
        else:
            poolingModule.floor()
        module = nn.SpatialMaxUnpooling(poolingModule)

        original = lg.rand(from_, inj, ini)
        input = poolingModule.forward(original)
        output = module.forward(input)

        mytester.assert_(output.isSameSizeAs(original), 'SpatialMaxUnpooling output size err')

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error ' + ceil_string + ' mode on state ')

        ferr, berr = jac.testIO(module, input)
        mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
        mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)

        # batch
        nbatch = random.randint(2, 5)
        original = lg.rand(nbatch, from_, inj, ini)
        input = poolingModule.forward(original)
        output = module.forward(input)

        mytester.assert_(output.isSameSizeAs(original), 'SpatialMaxUnpooling batch output size err')

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error ' + ceil_string + ' mode on state (Batch)')

        ferr, berr = jac.testIO(module, input)
        mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err (Batch) ', precision)
        mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err (Batch) ', precision)


def test_SpatialDilatedMaxPooling():
    """test.lua lines 4095-4136."""
    for ceil_mode in (True, False):
        from_ = random.randint(1, 5)
        ki = random.randint(1, 4)
        kj = random.randint(1, 4)
        si = random.randint(1, 3)
        sj = random.randint(1, 3)
        outi = random.randint(4, 5)
        outj = random.randint(4, 5)
        padW = min(random.randint(0, 1), math.floor(ki / 2))
        padH = min(random.randint(0, 1), math.floor(kj / 2))
        dilationW = random.randint(1, 5)
        dilationH = random.randint(1, 5)
        ini = (outi - 1) * si + (dilationW * (ki - 1) + 1) - 2 * padW
        inj = (outj - 1) * sj + (dilationH * (kj - 1) + 1) - 2 * padH

        ceil_string = 'ceil' if ceil_mode else 'floor'
        module = nn.SpatialDilatedMaxPooling(ki, kj, si, sj, padW, padH, dilationW, dilationH)
        if ceil_mode:
            module.ceil()
        else:
            module.floor()
        input = lg.rand(from_, inj, ini)

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error ' + ceil_string + ' mode on state ')

        ferr, berr = jac.testIO(module, input)
        mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err ')
        mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err ')

        # batch
        nbatch = random.randint(2, 5)
        input = lg.rand(nbatch, from_, inj, ini)
        module = nn.SpatialDilatedMaxPooling(ki, kj, si, sj, padW, padH, dilationW, dilationH)
        if ceil_mode:
            module.ceil()
        else:
            module.floor()

        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error ' + ceil_string + ' mode on state (Batch)')

        ferr, berr = jac.testIO(module, input)
        mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err (Batch) ')
        mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err (Batch) ')


def test_SpatialFractionalMaxPooling():
    """test.lua lines 4138-4166."""
    batch = random.randint(1, 3)
    plane = random.randint(1, 3)
    outW = random.randint(1, 7)
    outH = random.randint(1, 7)
    poolSizeW = random.randint(2, 4)
    poolSizeH = random.randint(2, 4)

    minInW = outW + poolSizeW
    minInH = outH + poolSizeH

    inW = random.randint(minInW, minInW + 6)
    inH = random.randint(minInH, minInH + 6)

    # fix the pooling regions so they aren't regenerated with every
    # forward(), so testJacobian can work properly
    module = nn.SpatialFractionalMaxPooling(poolSizeW, poolSizeH, outW, outH).fixPoolingRegions()
    input = None
    if batch == 1:
        input = lg.Tensor(plane, inH, inW).zero()
    else:
        input = lg.Tensor(batch, plane, inH, inW).zero()

    err = nn.Jacobian.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state')


def test_SpatialFractionalMaxPooling_Ratio():
    """test.lua lines 4168-4211."""
    # Fix a reduction ratio, and test with two different input sizes
    reductionRatioW = lg.uniform(0.4, 0.74)
    reductionRatioH = lg.uniform(0.4, 0.74)

    for tries in range(2):
        batch = random.randint(1, 3)
        plane = random.randint(1, 3)
        poolSizeW = random.randint(2, 3)
        poolSizeH = random.randint(2, 3)

        minInW = random.randint(5, 8) + poolSizeW
        minInH = random.randint(5, 8) + poolSizeH

        inW = random.randint(minInW, minInW + 6)
        inH = random.randint(minInH, minInH + 6)

        # fix the pooling regions so they aren't regenerated with every
        # forward(), so testJacobian can work properly
        module = nn.SpatialFractionalMaxPooling(poolSizeW, poolSizeH,
                                                reductionRatioW, reductionRatioH).fixPoolingRegions()
        input = None
        if batch == 1:
            input = lg.Tensor(plane, inH, inW).zero()
        else:
            input = lg.Tensor(batch, plane, inH, inW).zero()

        # Make sure that the output size is based on our ratio
        output = module.updateOutput(input)
        if batch == 1:
            mytester.asserteq(output.size(2), math.floor(reductionRatioW * inW))
            mytester.asserteq(output.size(1), math.floor(reductionRatioH * inH))
        else:
            mytester.asserteq(output.size(3), math.floor(reductionRatioW * inW))
            mytester.asserteq(output.size(2), math.floor(reductionRatioH * inH))

        err = nn.Jacobian.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error on state')


def test_SpatialAveragePooling():
    """test.lua lines 4213-4331."""
    for count_include_pad in (True, False):
        for ceil_mode in (True, False):
            from_ = random.randint(1, 5)
            ki = random.randint(1, 4)
            kj = random.randint(1, 4)
            si = random.randint(1, 3)
            sj = random.randint(1, 3)
            outi = random.randint(4, 5)
            outj = random.randint(4, 5)
            padW = min(random.randint(0, 1), math.floor(ki / 2))
            padH = min(random.randint(0, 1), math.floor(kj / 2))
            ini = (outi - 1) * si + ki - 2 * padW
            inj = (outj - 1) * sj + kj - 2 * padH

            mode_string = 'ceil' if ceil_mode else 'floor'

            module = nn.SpatialAveragePooling(ki, kj, si, sj, padW, padH)
            if ceil_mode:
                module.ceil()
            else:
                module.floor()
            if count_include_pad:
                module.setCountIncludePad()
                mode_string = mode_string + ' - count include padding'
            else:
                module.setCountExcludePad()
                mode_string = mode_string + ' - count exclude padding'
            input = lg.Tensor(from_, inj, ini).uniform()

            err = jac.testJacobian(module, input)
            mytester.assertlt(err, precision, 'error' + mode_string + ' on state ')

            ferr, berr = jac.testIO(module, input)
            mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
            mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)

            # batch
            batch = random.randint(2, 5)
            outi = random.randint(4, 5)
            outj = random.randint(4, 5)
            padW = min(random.randint(0, 1), math.floor(ki / 2))
            padH = min(random.randint(0, 1), math.floor(kj / 2))
            ini = (outi - 1) * si + ki - 2 * padW
            inj = (outj - 1) * sj + kj - 2 * padH

            module = nn.SpatialAveragePooling(ki, kj, si, sj, padW, padH)
            if ceil_mode:
                module.ceil()
            else:
                module.floor()
            if count_include_pad:
                module.setCountIncludePad()
            else:
                module.setCountExcludePad()
            input = lg.Tensor(batch, from_, inj, ini).uniform()

            err = jac.testJacobian(module, input)
            mytester.assertlt(err, precision, 'batch error' + mode_string + ' on state ')

            ferr, berr = jac.testIO(module, input)
            mytester.eq(0, ferr, lg.typename(module) + ' - i/o forward err ', precision)
            mytester.eq(0, berr, lg.typename(module) + ' - i/o backward err ', precision)

            ferr, berr = jac.testIO(module, input)
            mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err (Batch) ', precision)
            mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err (Batch) ', precision)

    # test against SpatialSubSampling
    from_ = random.randint(1, 6)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    si = random.randint(1, 4)
    sj = random.randint(1, 4)
    outi = random.randint(6, 10)
    outj = random.randint(6, 10)
    padW = 0
    padH = 0
    ini = (outi - 1) * si + ki - 2 * padW
    inj = (outj - 1) * sj + kj - 2 * padH

    module = nn.SpatialAveragePooling(ki, kj, si, sj, padW, padH)
    sap = nn.SpatialSubSampling(from_, ki, kj, si, sj)
    sap.weight.fill(1.0 / (ki * kj))
    sap.bias.fill(0.0)

    input = lg.Tensor(from_, inj, ini).uniform()

    output = module.forward(input)
    gradInput = module.backward(input, output)
    output2 = sap.forward(input)
    gradInput2 = sap.updateGradInput(input, output)

    mytester.assertTensorEq(output, output2, 0.000001, lg.typename(module) + ' forward err ')
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001, lg.typename(module) + ' backward err ')

    # test against SpatialSubSampling, batch mode
    batch = random.randint(2, 5)
    outi = random.randint(4, 8)
    outj = random.randint(4, 8)
    padW = 0
    padH = 0
    ini = (outi - 1) * si + ki - 2 * padW
    inj = (outj - 1) * sj + kj - 2 * padH

    module = nn.SpatialAveragePooling(ki, kj, si, sj, padW, padH)
    input = lg.Tensor(batch, from_, inj, ini).uniform()

    sap = nn.SpatialSubSampling(from_, ki, kj, si, sj)
    sap.weight.fill(1.0 / (ki * kj))
    sap.bias.fill(0.0)

    output = module.forward(input)
    gradInput = module.backward(input, output)
    output2 = sap.forward(input)
    gradInput2 = sap.updateGradInput(input, output)

    mytester.assertTensorEq(output, output2, 0.000001, lg.typename(module) + ' forward err (Batch) ')
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001, lg.typename(module) + ' backward err (Batch) ')


def test_SpatialAdaptiveMaxPooling():
    """test.lua lines 4333-4387."""
    from_ = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    ini = random.randint(1, 16)
    inj = random.randint(1, 16)

    module = nn.SpatialAdaptiveMaxPooling(ki, kj)
    input = lg.rand(from_, ini, inj)

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    ferr, berr = jac.testIO(module, input)
    mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)

    # batch
    nbatch = random.randint(1, 3)
    input = lg.rand(nbatch, from_, ini, inj)
    module = nn.SpatialAdaptiveMaxPooling(ki, kj)

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state (Batch) ')

    ferr, berr = jac.testIO(module, input)
    mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err (Batch) ', precision)
    mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err (Batch) ', precision)

    # non-contiguous

    input = lg.rand(from_, ini, inj).transpose(1, 2)
    module = nn.SpatialAdaptiveMaxPooling(ki, kj)
    inputc = input.contiguous()   # contiguous
    output = module.forward(input).clone()
    outputc = module.forward(inputc).clone()
    mytester.asserteq(0, (output - outputc).abs().max(), lg.typename(module) + ' - non-contiguous err ')
    gradInput = module.backward(input, output).clone()
    gradInputc = module.backward(inputc, outputc).clone()
    mytester.asserteq(0, (gradInput - gradInputc).abs().max(), lg.typename(module) + ' - non-contiguous err ')

    # non-contiguous batch
    nbatch = random.randint(1, 3)
    input = lg.rand(nbatch, from_, ini, inj).transpose(0, 2).transpose(1, 3)
    inputc = input.contiguous()   # contiguous
    module = nn.SpatialAdaptiveMaxPooling(ki, kj)

    output = module.forward(input).clone()
    outputc = module.forward(inputc).clone()
    mytester.asserteq(0, (output - outputc).abs().max(), lg.typename(module) + ' - batch non-contiguous err ')
    gradInput = module.backward(input, output).clone()
    gradInputc = module.backward(inputc, outputc).clone()
    mytester.asserteq(0, (gradInput - gradInputc).abs().max(), lg.typename(module) + ' - batch non-contiguous err ')


def test_SpatialAdaptiveAveragePooling():
    """test.lua lines 4389-4443."""
    from_ = random.randint(1, 5)
    ki = random.randint(1, 5)
    kj = random.randint(1, 5)
    ini = random.randint(1, 16)
    inj = random.randint(1, 16)

    module = nn.SpatialAdaptiveAveragePooling(ki, kj)
    input = lg.rand(from_, ini, inj)

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    ferr, berr = jac.testIO(module, input)
    mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)

    # batch
    nbatch = random.randint(1, 3)
    input = lg.rand(nbatch, from_, ini, inj)
    module = nn.SpatialAdaptiveAveragePooling(ki, kj)

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state (Batch) ')

    ferr, berr = jac.testIO(module, input)
    mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err (Batch) ', precision)
    mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err (Batch) ', precision)

    # non-contiguous

    input = lg.rand(from_, ini, inj).transpose(1, 2)
    module = nn.SpatialAdaptiveAveragePooling(ki, kj)
    inputc = input.contiguous()   # contiguous
    output = module.forward(input).clone()
    outputc = module.forward(inputc).clone()
    mytester.asserteq(0, (output - outputc).abs().max(), lg.typename(module) + ' - non-contiguous err ')
    gradInput = module.backward(input, output).clone()
    gradInputc = module.backward(inputc, outputc).clone()
    mytester.asserteq(0, (gradInput - gradInputc).abs().max(), lg.typename(module) + ' - non-contiguous err ')

    # non-contiguous batch
    nbatch = random.randint(1, 3)
    input = lg.rand(nbatch, from_, ini, inj).transpose(0, 2).transpose(1, 3)
    inputc = input.contiguous()   # contiguous
    module = nn.SpatialAdaptiveAveragePooling(ki, kj)

    output = module.forward(input).clone()
    outputc = module.forward(inputc).clone()
    mytester.asserteq(0, (output - outputc).abs().max(), lg.typename(module) + ' - batch non-contiguous err ')
    gradInput = module.backward(input, output).clone()
    gradInputc = module.backward(inputc, outputc).clone()
    mytester.asserteq(0, (gradInput - gradInputc).abs().max(), lg.typename(module) + ' - batch non-contiguous err ')


def test_SpatialLPPooling():
    """test.lua lines 4445-4465."""
    fanin = random.randint(1, 4)
    osizex = random.randint(1, 4)
    osizey = random.randint(1, 4)
    p = 2
    mx = random.randint(2, 6)
    my = random.randint(2, 6)
    dx = random.randint(2, mx)
    dy = random.randint(2, my)
    sizex = osizex * mx
    sizey = osizey * my
    module = nn.SpatialLPPooling(fanin, p, mx, my, dx, dy)
    input = lg.rand(fanin, sizey, sizex)

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    ferr, berr = jac.testIO(module, input)
    mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)
