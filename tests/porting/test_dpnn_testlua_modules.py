"""Element-Research/dpnn's test/test.lua, lines 1-1049 (its header, then ``dpnntest.Module_sharedClone`` ...
``dpnntest.SpatialGlimpse_backwardcompat``), ported literally: one test per ``dpnntest.X``, each naming its lines.
The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is ``.``, indices and dimensions are 0-based (class
labels too), ``math.random`` is Python's ``random``, moses' ``_.isFinite`` is ``math.isfinite`` and a Lua
``mytester:assert`` is ``assert``. The other ``mytester`` calls stay Tester calls, set to raise: the header's
``precision`` and ``mytester`` (lines 1-6) are tests/porting/nn_testlua.py's, the same values.

The Lua guards parts with ``pcall(require 'rnn')``, ``'nngraph'``, ``'nnx'``, ``'image'``, ``'randomkit'`` and
``'cephes'``: legonn provides all of these, so every such part runs. A part guarded by ``require 'cunn'`` is its
own ``test_X_cuda``, marked ``gpu``. ``dpnn.test()`` runs in Torch7's default type, DoubleTensor: the
``double_default`` fixture sets it."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor.special import digamma
from tests.porting.nn_testlua import mytester, precision

pytestmark = pytest.mark.usefixtures('double_default', 'lua_math_random')   # Torch7's default type, as the Lua runs


def test_Module_sharedClone():
    """test.lua lines 8-254."""

    def testrnn(mlp, name):
        mlp.zeroGradParameters()
        mlp = mlp.clone()
        clone = mlp.clone().sharedClone(True, True)

        for i in range(2):
            input = lg.randn(2, 3)
            gradOutput = lg.randn(2, 4)

            output = mlp.forward(input)
            gradInput = mlp.backward(input, gradOutput)
            output4 = clone.forward(input)
            gradInput4 = clone.backward(input, gradOutput)

            mytester.assertTensorEq(output, output4, 0.00001, name + " updateOutput")
            mytester.assertTensorEq(gradInput, gradInput4, 0.00001, name + " updateGradInput")

            mlp.updateParameters(0.1)
            clone.updateParameters(0.1)

            params, gradParams = mlp.parameters()
            params2, gradParams2 = clone.parameters()

            assert len(params) == len(params2), name + " num params err"
            assert len(gradParams) == len(gradParams2), name + " num gradParams err"

            for i, param in enumerate(params):
                mytester.assertTensorEq(param, params2[i], 0.00001, name + " params2 err " + str(i))
                mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.00001, name + " gradParams2 err " + str(i))

    def test(mlp, name):
        mlp.zeroGradParameters()
        clone = mlp.clone()
        clone.share(mlp, "weight", "bias", "gradWeight", "gradBias")   # this actually won't work for nn.Recurrent

        mlp2 = mlp.clone()   # not shared with mlp
        clone2 = mlp2.sharedClone(True, True)
        mlp2.__test = 1
        clone2.__test = 2
        assert mlp2.__test != clone2.__test

        params, gradParams = mlp.parameters()
        params4, gradParams4 = clone.parameters()
        params2, gradParams2 = clone2.parameters()
        params3, gradParams3 = mlp2.parameters()

        assert len(params) == len(params2), name + " num params err"
        assert len(params3) == len(params2), name + " num params err"
        assert len(gradParams) == len(gradParams2), name + " num gradParams err"
        assert len(gradParams) == len(gradParams3), name + " num gradParams err"

        input = lg.randn(2, 3)
        gradOutput = lg.randn(2, 4)

        output = mlp.forward(input)
        gradInput = mlp.backward(input, gradOutput)

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params4[i], 0.00001, name + " params4  err " + str(i))
            mytester.assertTensorEq(gradParams[i], gradParams4[i], 0.00001, name + " gradParams4 err " + str(i))

        output4 = clone.forward(input)
        gradInput4 = clone.backward(input, gradOutput)

        mytester.assertTensorEq(output, output4, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput, gradInput4, 0.00001, name + " updateGradInput")

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params4[i], 0.00001, name + " params4  err " + str(i))
            mytester.assertTensorEq(gradParams[i], gradParams4[i], 0.00001, name + " gradParams4 err " + str(i))

        output2 = clone2.forward(input)
        gradInput2 = clone2.backward(input, gradOutput)

        mytester.assertTensorEq(output, output2, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput, gradInput2, 0.00001, name + " updateGradInput")

        for i, param in enumerate(params):
            mytester.assertTensorEq(params2[i], params3[i], 0.00001, name + " params 2 3  err " + str(i))
            mytester.assertTensorEq(gradParams2[i], gradParams3[i], 0.00001, name + " gradParams 2 3 err " + str(i))

        output3 = mlp2.forward(input)
        gradInput3 = mlp2.backward(input, gradOutput)

        mytester.assertTensorEq(output3, output2, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput3, gradInput2, 0.00001, name + " updateGradInput")

        for i, param in enumerate(params):
            mytester.assertTensorEq(params2[i], params3[i], 0.00001, name + " params 2 3  err " + str(i))
            mytester.assertTensorEq(gradParams2[i], gradParams3[i], 0.00001, name + " gradParams 2 3 err " + str(i))

        mlp.updateParameters(0.1)
        mlp2.updateParameters(0.1)

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params3[i], 0.00001,
                                    name + " params3 (mlp vs mlp:clone()) err " + str(i))  # fail
            mytester.assertTensorEq(gradParams[i], gradParams3[i], 0.00001, name + " gradParams3 err " + str(i))  # fail

    test(nn.Linear(3, 4), 'linear')

    mlp = nn.Sequential()
    mlp.add(nn.Linear(3, 7))
    mlp.add(nn.Tanh())
    mlp.add(nn.Euclidean(7, 4))
    mlp.add(nn.LogSoftMax())
    test(mlp, 'sequential')

    def test2(rnn, name):
        rnn.zeroGradParameters()
        clone = rnn.sharedClone()

        input = lg.randn(2, 3)
        gradOutput = lg.randn(2, 4)

        output = rnn.forward(input)
        gradInput = rnn.backward(input, gradOutput)
        output2 = clone.forward(input)
        gradInput2 = clone.backward(input, gradOutput)

        mytester.assertTensorEq(output, output2, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput, gradInput2, 0.00001, name + " updateGradInput")

        rnn.updateParameters(0.1)
        clone.updateParameters(0.1)

        params, gradParams = rnn.parameters()
        params2, gradParams2 = clone.parameters()

        assert len(params) == len(params2), name + " num params err"
        assert len(gradParams) == len(gradParams2), name + " num gradParams err"

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params2[i], 0.00001,
                                    name + " params (rnn vs rnn:sharedClone()) err " + str(i))
            mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.00001,
                                    name + " gradParams (rnn vs rnn:sharedClone()) err " + str(i))

        output = rnn.forward(input)
        gradInput = rnn.backward(input, gradOutput)
        output2 = clone.forward(input)
        gradInput2 = clone.backward(input, gradOutput)

        mytester.assertTensorEq(output, output2, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput, gradInput2, 0.00001, name + " updateGradInput")

        rnn.updateParameters(0.1)
        clone.updateParameters(0.1)

        params, gradParams = rnn.parameters()
        params2, gradParams2 = clone.parameters()

        assert len(params) == len(params2), name + " num params err"
        assert len(gradParams) == len(gradParams2), name + " num gradParams err"

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params2[i], 0.00001,
                                    name + " params (rnn vs rnn:sharedClone()) err " + str(i))
            mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.00001,
                                    name + " gradParams (rnn vs rnn:sharedClone()) err " + str(i))

    # if pcall(function() require 'rnn' end): legonn's nn holds rnn's modules
    rnn = nn.Recurrent(4, nn.Linear(3, 4), nn.Linear(4, 4), nn.Sigmoid(), 999)
    testrnn(rnn, 'rnn1')
    seq = nn.Sequential()
    seq.add(nn.Repeater(nn.Recurrent(2, nn.Linear(3, 2), nn.Linear(2, 2), nn.Sigmoid(), 999), 3))
    seq.add(nn.Sequencer(nn.Linear(2, 4)))
    seq.add(nn.SelectTable(-1))
    test2(seq, 'rnn2')
    test2(seq, 'rnn3')

    # if pcall(function() require 'nngraph' end): importing legonn's nn loads nngraph
    lin1 = nn.Linear(10, 10)
    p1, gp1 = lin1.getParameters()

    lin2_ = lin1.clone()

    x = nn.Identity()()
    y = lin2_(x)

    lin2 = nn.gModule([x], [y])

    lin3 = lin2.sharedClone()

    input = lg.randn(4, 10)
    gradOutput = lg.randn(4, 10)

    lin1.zeroGradParameters()
    lin2.zeroGradParameters()

    params1, gradParams1 = lin1.parameters()
    params2, gradParams2 = lin2.parameters()
    params3, gradParams3 = lin3.parameters()

    output1 = lin1.forward(input)
    gradInput1 = lin1.backward(input, gradOutput)
    lin1.updateParameters(0.1)

    output2 = lin2.forward(input)
    gradInput2 = lin2.backward(input, gradOutput)
    lin2.updateParameters(0.1)

    mytester.assertTensorEq(output1, output2, 0.000001)
    mytester.assertTensorEq(gradInput1, gradInput2, 0.000001)

    for i in range(len(params2)):
        mytester.assertTensorEq(params2[i], params3[i], 0.000001, "sharedClone nngraph param err " + str(i))
        mytester.assertTensorEq(gradParams2[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))
        mytester.assertTensorEq(params1[i], params3[i], 0.000001, "sharedClone nngraph param err " + str(i))
        mytester.assertTensorEq(gradParams1[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))

    # ok now lets forward/backward/update lin1 and lin3 to test sharedClone

    output1 = lin1.forward(input)
    gradInput1 = lin1.backward(input, gradOutput)

    output3 = lin3.forward(input)
    gradInput3 = lin3.backward(input, gradOutput)

    for i in range(len(params2)):
        mytester.assertTensorEq(params2[i], params3[i], 0.000001, "sharedClone nngraph param err " + str(i))
        mytester.assertTensorEq(gradParams2[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))
        mytester.assertTensorEq(params1[i], params3[i], 0.000001, "sharedClone nngraph param err " + str(i))
        mytester.assertTensorEq(gradParams1[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))

    mytester.assertTensorEq(output1, output3, 0.000001)
    mytester.assertTensorEq(gradInput1, gradInput3, 0.000001)

    for i in range(len(params2)):
        mytester.assertTensorEq(gradParams1[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))


def test_Module_gradParamClip():
    """test.lua lines 256-279."""
    mlp = nn.Sequential()
    mlp.add(nn.Linear(10, 10))
    mlp.add(nn.Euclidean(15, 12))
    mlp.add(nn.SpatialConvolution(5, 5, 5, 5))
    mlp.add(nn.LookupTable(100, 100))
    param, gradParam = mlp.getParameters()
    gradParam.uniform(-1, 1)
    norm = gradParam.norm()
    mlp2 = mlp.clone()
    cutoff = norm / 2
    norm2 = mlp2.gradParamClip(cutoff)
    assert math.fabs(norm2 - norm) < 0.000001, "Module:gradParamClip norm err " + str(norm2) + " ~= " + str(norm)
    shrink_factor = cutoff / norm
    gradParam.mul(shrink_factor)
    param2, gradParam2 = mlp2.getParameters()
    mytester.assertTensorEq(gradParam, gradParam2, 0.000001, "Module:gradParamClip clip err")

    norm = gradParam.norm()
    cutoff = norm * 2
    norm2 = mlp2.gradParamClip(cutoff)
    assert math.fabs(norm2 - norm) < 0.000001, "Module:gradParamClip norm 2 err " + str(norm2) + " ~= " + str(norm)
    mytester.assertTensorEq(gradParam, gradParam2, 0.000001, "Module:gradParamClip clip 2 err")


def test_Module_getParameters():
    """test.lua lines 281-297."""
    # test that getParameters will preserve parameters sharing for hidden modules
    lin = nn.Linear(3, 4)
    lin2 = lin.sharedClone()
    lin.sharedClone = lin2
    params, gradParams = lin.getParameters()
    params.add(-1)
    gradParams.fill(-1)

    params1, gradParams1 = lin.parameters()
    params2, gradParams2 = lin2.parameters()

    for i in range(len(params1)):
        mytester.assertTensorEq(params1[i], params2[i], 0.000001, "getParameters param err " + str(i))
        mytester.assertTensorEq(gradParams1[i], gradParams2[i], 0.000001, "getParameters gradParam err " + str(i))


def test_Serial():
    """test.lua lines 299-361."""
    def test(mlp, name):
        input = lg.randn(4, 3)
        gradOutput = lg.randn(4, 7)
        mlp2 = mlp.clone().Serial()

        output = mlp.forward(input).clone()
        gradInput = mlp.backward(input, gradOutput).clone()

        output2 = mlp2.forward(input)
        gradInput2 = mlp2.backward(input, gradOutput)

        mytester.assertTensorEq(output, output2, 0.000001, name + " serial forward error")
        mytester.assertTensorEq(gradInput, gradInput2, 0.00001, name + " serial backward error")

        mlp2.mediumSerial()
        mlp2.tensortype = 'torch.FloatTensor'
        mlp3 = mlp2.clone()

        assert mlp3.modules[0].output.nElement() == 0, name + " serial medium empty err"
        assert lg.type(mlp3.modules[0].output) == 'torch.FloatTensor', name + " serial medium type err"

        mlp.zeroGradParameters()
        output = mlp.forward(input)
        gradInput = mlp.backward(input, gradOutput)

        mlp3.zeroGradParameters()
        output2 = mlp3.forward(input.float())
        gradInput2 = mlp3.backward(input.float(), gradOutput.float())

        mytester.assertTensorEq(output.float(), output2, 0.000001, name + " serial forward error")
        mytester.assertTensorEq(gradInput.float(), gradInput2, 0.00001, name + " serial backward error")

        params, gradParams = mlp.parameters()
        params2, gradParams2 = mlp3.parameters()
        assert len(params) == len(params2)
        for i, param in enumerate(params):
            mytester.assertTensorEq(param.float(), params2[i], 0.00001, name + " params err " + str(i))
            mytester.assertTensorEq(gradParams[i].float(), gradParams2[i], 0.00001, name + " gradParams err " + str(i))

    mlp = nn.Sequential().extend(
        nn.Linear(3, 4),
        nn.Tanh(),
        nn.Linear(4, 5),
        nn.Sequential().extend(
            nn.Linear(5, 6),
            nn.Tanh(),
            nn.Linear(6, 7)
        )
    )

    test(mlp, 'mlp')

    # if pcall(function() require 'rnn' end): legonn's nn holds rnn's modules
    seq = nn.Sequential()
    seq.add(nn.Repeater(nn.Recurrent(2, nn.Linear(3, 2), nn.Linear(2, 2), nn.Sigmoid(), 999), 3))
    seq.add(nn.Sequencer(nn.Linear(2, 7)))
    seq.add(nn.SelectTable(-1))
    test(seq, 'rnn2')


def test_ReverseTable():
    """test.lua lines 363-382."""
    # input : { a, b, c, d }
    # output : { c, b, a, d }
    r = nn.ReverseTable()
    input = [lg.randn(3, 4), lg.randn(3, 4), lg.randn(3, 4), lg.randn(3, 4)]
    output = r.forward(input)

    assert len(output) == 4, "ReverseTable #output"
    k = 0
    for i in range(len(input) - 1, -1, -1):
        mytester.assertTensorEq(input[i], output[k], 0.00001, "ReverseTable output err " + str(k))
        k = k + 1

    gradInput = r.backward(input, output)
    assert len(gradInput) == 4, "ReverseTable #gradInput"
    for i in range(len(input)):
        mytester.assertTensorEq(gradInput[i], input[i], 0.00001, "ReverseTable gradInput err " + str(i))


def test_Inception():
    """test.lua lines 384-408."""
    size = [8, 3, 32, 32]
    outputSize = [8, 16 + 24 + 8 + 12, 32, 32]
    input = lg.rand(*size)
    gradOutput = lg.randn(*outputSize)
    # dpnn's Inception.lua prints its warning that the default max pool's column comes out smaller (DepthConcat
    # pads it); legonn warns with a UserWarning
    with pytest.warns(UserWarning, match='inconsistent output sizes in pooling'):
        incep = nn.Inception({'inputSize': 3, 'outputSize': [16, 24], 'reduceSize': [14, 16, 8, 12]})
    for i, param in enumerate(incep.parameters()[0]):
        assert math.isfinite(param.sum()), 'inception init error'
    output = incep.forward(input)
    mytester.assertTableEq(list(output.size()), outputSize, 0.00001)
    assert math.isfinite(output.sum())
    incep.zeroGradParameters()
    gradInput = incep.backward(input, gradOutput)
    mytester.assertTableEq(list(gradInput.size()), size, 0.00001)
    assert math.isfinite(gradInput.sum())
    incep.updateParameters(0.1)
    for i, param in enumerate(incep.parameters()[0]):
        assert math.isfinite(param.sum()), 'inception update error'
    incep.maxParamNorm(1)
    for i, param in enumerate(incep.parameters()[0]):
        assert math.isfinite(param.sum()), 'inception maxNorm error'


def test_SpatialUniformCrop():
    """test.lua lines 410-436."""
    # if not pcall(function() require "nnx" end) then return end: legonn's nn holds nnx's modules
    input = lg.Tensor(8, 3, 10, 10).copy(lg.range(1, 8).view(8, 1, 1, 1).expand(8, 3, 10, 10))
    gradOutput = lg.Tensor(8, 3, 4, 4).copy(lg.range(1, 8).view(8, 1, 1, 1).expand(8, 3, 4, 4))
    sc = nn.SpatialUniformCrop(4)
    for i in range(100):
        output = sc.forward(input)
        gradInput = sc.backward(input, gradOutput)
    for i in range(1, 9):
        # the Lua's sample i (1-based) holds the value i
        assert math.fabs(output[i - 1].mean() - i) < 0.0001, "SpatialUniformCrop output err " + str(i)
        assert math.fabs(gradInput[i - 1].mean() - ((i * 4 * 4) / (10 * 10))) < 0.0001, \
            "SpatialUniformCrop gradInput err" + str(i)

    input = lg.zeros(1, 1, 120, 120)
    temp = input[0].narrow(1, 29, 60).narrow(2, 29, 60)
    temp.fill(1)
    scale = {}
    scale['min'] = 0.8
    scale['max'] = 1.2

    layer = nn.SpatialUniformCrop(100, 100, scale)
    o = layer.forward(input)
    gradInput = layer.backward(input, o)
    assert gradInput.max() is not None, "SpatialUniformCrop scaling error."


def test_ReinforceNormal():
    """test.lua lines 438-476."""
    input = lg.randn(500, 1000)   # means
    gradOutput = lg.Tensor()   # will be ignored
    reward = lg.randn(500)
    # test scalar stdev
    stdev = 1
    rn = nn.ReinforceNormal(stdev)
    output = rn.forward(input)
    assert input.isSameSizeAs(output), "ReinforceNormal forward size err"
    outstd = math.sqrt((input - output).pow(2).mean())
    err = math.fabs(outstd - stdev)
    assert err < 0.1, "ReinforceNormal forward std err"
    rn.reinforce(reward)
    gradInput = rn.updateGradInput(input, gradOutput)
    gradInput2 = output.clone()
    gradInput2.add(-1, input).div(stdev ** 2)
    reward2 = reward.view(500, 1).expandAs(input)
    gradInput2.cmul(reward2).mul(-1)
    mytester.assertTensorEq(gradInput2, gradInput, 0.00001, "ReinforceNormal backward err")
    # test input {mean, stdev}
    mean, stdev = lg.randn(4, 10), lg.rand(4, 10)
    input = [mean, stdev]
    rn = nn.ReinforceNormal()
    output = rn.updateOutput(input)
    reward = lg.randn(4)
    rn.reinforce(reward)
    gradInput = rn.backward(input, gradOutput)
    assert mean.isSameSizeAs(output), "ReinforceNormal forward table input - output size err"
    assert gradInput[0].isSameSizeAs(mean), "ReinforceNormal backward table input - mean size err"
    assert gradInput[1].isSameSizeAs(stdev), "ReinforceNormal backward table input - stdev size err"
    gradStdev = output.clone().add(-1, mean).pow(2)
    stdev2 = lg.cmul(stdev, stdev)
    gradStdev.add(-1, stdev2)
    stdev2.cmul(stdev).add(0.00000001)
    gradStdev.cdiv(stdev2)
    reward2 = reward.view(4, 1).expandAs(gradStdev)
    gradStdev.cmul(reward2).mul(-1)
    mytester.assertTensorEq(gradInput[1], gradStdev, 0.000001, "ReinforceNormal backward table input - gradStdev err")


def cephes_digamma(x):
    """cephes' ``cephes.digamma(x)`` of a tensor: legonn's own digamma (legonn.tensor.special), the one
    ReinforceGamma uses in place of the cephes rock, checked apart in tests/modules/test_reinforce.py."""
    return lg.Tensor(digamma(x.numpy(), np))


def test_ReinforceGamma():
    """test.lua lines 478-518."""
    # if not pcall(function() require 'randomkit'; require 'cephes' end) then return end: legonn's ReinforceGamma
    # samples with NumPy's gamma and has its own digamma (docs/porting.md's dpnn row)
    input = lg.rand(500, 1000).fill(250)   # shapes
    gradOutput = lg.Tensor()   # will be ignored
    reward = lg.randn(500)
    # test scalar scale
    scale = 2
    rn = nn.ReinforceGamma(scale)
    output = rn.forward(input)
    assert input.isSameSizeAs(output), "ReinforceGamma forward size err"
    outmean = lg.mean(output)
    # expected value of distribution is shape*scale
    err = math.fabs(outmean - lg.mean(lg.mul(input, scale)))
    assert err < 0.1, "ReinforceGamma forward mean err"
    rn.reinforce(reward)
    gradInput = rn.updateGradInput(input, gradOutput)
    gradInput2 = lg.log(output.clone())
    gradInput2.add(-1, cephes_digamma(input))
    gradInput2.add(-1 * lg.log(scale))
    reward2 = reward.view(500, 1).expandAs(input)
    gradInput2.cmul(reward2).mul(-1)
    mytester.assertTensorEq(gradInput2, gradInput, 0.00001, "ReinforceGamma backward err")
    # test input {mean, stdev}
    shape, scale = lg.rand(4, 10), lg.rand(4, 10)
    input = [shape, scale]
    rn = nn.ReinforceGamma()
    output = rn.updateOutput(input)
    reward = lg.randn(4)
    rn.reinforce(reward)
    gradInput = rn.backward(input, gradOutput)
    assert shape.isSameSizeAs(output), "ReinforceGamma forward table input - output size err"
    assert gradInput[0].isSameSizeAs(shape), "ReinforceGamma backward table input - mean size err"
    assert gradInput[1].isSameSizeAs(scale), "ReinforceGamma backward table input - stdev size err"
    gradScale = lg.cdiv(output.clone(), lg.pow(scale, 2))
    gradScale.add(-1, lg.cdiv(shape, scale))
    reward2 = reward.view(4, 1).expandAs(gradScale)
    gradScale.cmul(reward2).mul(-1)
    mytester.assertTensorEq(gradInput[1], gradScale, 0.000001, "ReinforceGamma backward table input - gradStdev err")


def test_ReinforceBernoulli():
    """test.lua lines 520-545."""
    input = lg.Tensor(1000, 10)
    p = lg.rand(1, 10)   # probability of sampling a 1
    input.copy(p.expandAs(input))
    gradOutput = lg.Tensor()   # will be ignored
    reward = lg.randn(1000)
    rb = nn.ReinforceBernoulli()
    output = rb.forward(input)
    assert input.isSameSizeAs(output), "ReinforceBernoulli forward size err"
    assert output.min() == 0, "ReinforceBernoulli forward min val err"
    assert output.max() == 1, "ReinforceBernoulli forward max val err"
    binary = True

    def check(x):
        nonlocal binary
        if not (x == 1 or x == 0):
            binary = False
    output.apply(check)
    assert binary, "ReinforceBernoulli forward binary val err"
    p2 = output.mean(0)
    err = (p - p2).abs().mean()
    assert err < 0.05, "ReinforceBernoulli forward p err"
    rb.reinforce(reward)
    gradInput = rb.updateGradInput(input, gradOutput)
    gradInput2 = output.clone()
    div = output.clone().fill(1).add(-1, input).cmul(input)
    gradInput2.add(-1, input).cdiv(div)
    reward2 = reward.view(1000, 1).expandAs(input)
    gradInput2.cmul(reward2).mul(-1)
    mytester.assertTensorEq(gradInput2, gradInput, 0.00001, "ReinforceBernoulli backward err")


def test_ReinforceCategorical():
    """test.lua lines 547-573."""
    input = lg.Tensor(1000, 10)
    p = lg.rand(1, 10)
    p.div(p.sum())
    input.copy(p.expandAs(input))
    gradOutput = lg.Tensor()   # will be ignored
    reward = lg.randn(1000)
    rc = nn.ReinforceCategorical()
    output = rc.forward(input)
    assert input.isSameSizeAs(output), "ReinforceCategorical forward size err"
    assert output.min() == 0, "ReinforceCategorical forward min val err"
    assert output.max() == 1, "ReinforceCategorical forward max val err"
    assert output.sum() == 1000, "ReinforceCategorical forward sum err"
    binary = True

    def check(x):
        nonlocal binary
        if not (x == 1 or x == 0):
            binary = False
    output.apply(check)
    assert binary, "ReinforceCategorical forward binary val err"
    p2 = output.mean(0)
    err = (p - p2).abs().mean()
    assert err < 0.05, "ReinforceCategorical forward p err"
    rc.reinforce(reward)
    gradInput = rc.updateGradInput(input, gradOutput)
    gradInput2 = output.clone()
    gradInput2.cdiv(input + 0.00000001)
    reward2 = reward.view(1000, 1).expandAs(input)
    gradInput2.cmul(reward2).mul(-1)
    mytester.assertTensorEq(gradInput2, gradInput, 0.00001, "ReinforceCategorical backward err")


def _VRClassReward_cpu():
    """test.lua lines 575-588 (the CPU part of ``dpnntest.VRClassReward``): what the cunn part reuses."""
    input = [lg.randn(13, 10).float(), lg.randn(13, 1).float()]
    # the Lua's labels 1 .. 10 are 0 .. 9 (docs/porting.md's VRClassReward row); random(a, b) stops before b
    target = lg.IntTensor(13).random(0, 10)
    rf = nn.Reinforce().float()
    vrc = nn.VRClassReward(rf).float()
    err = vrc.forward(input, target)
    gradInput = vrc.backward(input, target)
    val, idx = input[0].max(1)
    reward = lg.eq(idx.select(1, 0).int(), target).float()
    err2 = -reward.mean()
    assert err == err2, "VRClassReward forward err"
    gradInput2 = nn.MSECriterion().float().backward(input[1], reward)
    mytester.assertTensorEq(gradInput[1], gradInput2, 0.000001, "VRClassReward backward baseline err")
    assert math.fabs(gradInput[0].sum()) < 0.000001, "VRClassReward backward class err"
    return input, target, rf, vrc, err, gradInput


def test_VRClassReward():
    """test.lua lines 575-604, without the ``require 'cunn'`` part (lines 590-603: test_VRClassReward_cuda)."""
    _VRClassReward_cpu()


@pytest.mark.gpu
def test_VRClassReward_cuda():
    """test.lua lines 575-604: the CPU part, then the ``if pcall(function() require 'cunn' end)`` part (lines
    590-603) on its tensors and modules."""
    input, target, rf, vrc, err, gradInput = _VRClassReward_cpu()
    gradInput = [gradInput[0], gradInput[1]]
    input[0], input[1] = input[0].cuda(), input[1].cuda()
    target = target.cuda()
    rf.cuda()
    vrc.cuda()

    err2 = vrc.forward(input, target)
    gradInput2 = vrc.backward(input, target)

    assert math.fabs(err - err2) < 0.000001, "VRClassReward forward cuda err"
    mytester.assertTensorEq(gradInput[1], gradInput2[1].float(), 0.000001, "VRClassReward backward baseline cuda err")
    mytester.assertTensorEq(gradInput[0], gradInput2[0].float(), 0.000001, "VRClassReward backward class cuda err")


def test_BinaryClassReward():
    """test.lua lines 606-635."""
    input = [lg.Tensor(10), lg.randn(10, 1)]
    input[0].uniform(0, 1)
    # Lua's random(0, 1) draws 0 or 1; legonn's random(a, b) stops before b (docs/porting.md's ranks row)
    target = lg.LongTensor(10).random(0, 2)
    rf = nn.Reinforce()
    bcr = nn.BinaryClassReward(rf)
    err = bcr.forward(input, target)
    gradInput = bcr.backward(input, target)
    idx = input[0].new().gt(input[0], 0.5)
    reward = lg.eq(idx.long(), target).double()
    err2 = -reward.mean()
    assert err == err2, "BinaryClassReward forward err"
    gradInput2 = nn.MSECriterion().backward(input[1], reward)
    mytester.assertTensorEq(gradInput[1], gradInput2, 0.000001, "BinaryClassReward backward baseline err")
    mytester.assertTensorEq(gradInput[0], lg.zeros(input[0].size()), 0.000001, "BinaryClassReward backward class err")

    # test agains VRClassReward
    input2 = [lg.Tensor(10, 2).zero(), input[1]]
    # the Lua adds 1 to make the classes 1, 2: legonn's VRClassReward takes 0-based classes, the binary targets as
    # they are (docs/porting.md's VRClassReward row)
    target2 = lg.add(target, 0)
    for i in range(10):
        input2[0][i][1 if input[0][i] > 0.5 else 0] = 1
    rf2 = nn.Reinforce()
    vrc = nn.VRClassReward(rf2)
    err2 = vrc.forward(input2, target2)
    assert math.fabs(err - err2) < 0.0000001
    gradInput2 = vrc.backward(input2, target2)
    mytester.assertTensorEq(gradInput[1], gradInput2[1], 0.0000001)
    mytester.assertTensorEq(rf2.reward, rf.reward, 0.0000001)


def test_Clip():
    """test.lua lines 637-653."""
    # DEPRECATED : use nn.Clamp instead
    input = lg.randn(200, 300)
    gradOutput = lg.randn(200, 300)
    minval, maxval = -0.05, 0.1
    clip = nn.Clip(minval, maxval)
    output = clip.forward(input)
    output2 = input.clone()
    mask = input.new()
    mask.gt(input, maxval)
    output2[mask.type("torch.ByteTensor")] = maxval
    mask.lt(input, minval)
    output2[mask.type("torch.ByteTensor")] = minval
    mytester.assertTensorEq(output, output2, 0.00001, "Clip forward err")
    gradInput = clip.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput, gradOutput, 0.00001, "Clip backward err")


def _SpatialGlimpse_cpu():
    """test.lua lines 655-811 (``dpnntest.SpatialGlimpse`` up to its ``require "cunn"``): what the cunn part
    reuses (``input``, ``batchSize``, ``inputSize``, ``glimpseSize``)."""
    # if not pcall(function() require "image" end) / require "nnx": legonn provides both
    batchSize = 1
    inputSize = [2, 8, 8]
    glimpseSize = 4
    input = lg.Tensor(batchSize, *inputSize)
    input.range(1, input.nElement())
    input.resize(batchSize, *inputSize)
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(0)   # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize, glimpseSize)
    output2 = input.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpse center 4 output depth=1 err")
    outputSize = [batchSize, inputSize[0] * 3, glimpseSize, glimpseSize]
    mytester.assertTableEq(list(output.size()), outputSize, 0.000001, "SpatialGlimpse output size err")

    input2 = lg.Tensor(*inputSize)
    input2.range(1, input2.nElement())
    input2.resize(*inputSize)
    sg = nn.SpatialGlimpse(glimpseSize)
    location2 = lg.Tensor(2).fill(0)   # center patch
    output2 = sg.forward([input2, location2])
    mytester.assertTensorEq(output2, output[0], 0.00001, "SpatialGlimpse online output depth=1 err")

    glimpseSize = 5
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(0)   # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize, glimpseSize)
    output2 = input.narrow(2, 1, glimpseSize).narrow(3, 1, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpse center 5 output depth=1 err")

    glimpseSize = 4
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(-1)   # top left corner patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize, glimpseSize)
    padSize = math.floor((glimpseSize - 1) / 2)
    pad = lg.Tensor(batchSize, inputSize[0], inputSize[1] + padSize * 2, inputSize[2] + padSize * 2).zero()
    pad.narrow(2, padSize, inputSize[1]).narrow(3, padSize, inputSize[2]).copy(input)
    output2 = pad.narrow(2, 0, glimpseSize).narrow(3, 0, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpse top-left 4 output depth=1 err")

    glimpseSize = 5
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(-1)   # top left corner patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize, glimpseSize)
    pad = lg.Tensor(batchSize, inputSize[0], inputSize[1] + glimpseSize, inputSize[2] + glimpseSize).zero()
    pad.narrow(2, (glimpseSize - 1) / 2, inputSize[1]).narrow(3, (glimpseSize - 1) / 2, inputSize[2]).copy(input)
    output2 = pad.narrow(2, 0, glimpseSize).narrow(3, 0, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpse top-left 5 output depth=1 err")

    glimpseSize = 4
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(1)   # bottom-right corner patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize, glimpseSize)
    pad = lg.Tensor(batchSize, inputSize[0], inputSize[1] + glimpseSize, inputSize[2] + glimpseSize).zero()
    pad.narrow(2, math.floor((glimpseSize - 1) / 2), inputSize[1]).narrow(
        3, math.floor((glimpseSize - 1) / 2), inputSize[2]).copy(input)
    output2 = pad.narrow(2, inputSize[1] - 2, glimpseSize).narrow(3, inputSize[2] - 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpse bottom-right 4 output depth=1 err")

    glimpseSize = 5
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(1)   # bottom-right corner patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize, glimpseSize)
    pad = lg.Tensor(batchSize, inputSize[0], inputSize[1] + glimpseSize, inputSize[2] + glimpseSize).zero()
    # the Lua's offset here is (glimpseSize-1)/2, one less than its other cases' (glimpseSize-1)/2 + 1
    pad.narrow(2, (glimpseSize - 1) / 2 - 1, inputSize[1]) \
       .narrow(3, (glimpseSize - 1) / 2 - 1, inputSize[2]).copy(input)
    output2 = pad.narrow(2, inputSize[1] - 2, glimpseSize).narrow(3, inputSize[2] - 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpse bottom-right 5 output depth=1 err")

    glimpseSize = 4
    sg = nn.SpatialGlimpse(glimpseSize, 1)
    location = lg.Tensor(batchSize, 2).fill(0)   # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 1, inputSize[0], glimpseSize, glimpseSize)
    output2 = input.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpse center 4 output depth=1 err")
    gradInput = sg.backward([input, location], output)
    gradInput2 = input.clone().zero()
    gradInput2.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize).copy(output_.select(1, 0))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpse backward 4 depth 1 error")

    # test with spatial resampling
    sg = nn.SpatialGlimpse(glimpseSize, 2)
    sg.module = nn.SpatialReSampling(owidth=glimpseSize, oheight=glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(0)   # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize, glimpseSize)
    output2 = input.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpse center 4 output depth=1 err")
    gradOutput = output.clone()
    gradOutput.view(batchSize, 2, 2, glimpseSize, glimpseSize).select(1, 0).fill(0)   # ignore first scale of glimpse
    gradInput = sg.backward([input, location], gradOutput)
    srs = nn.SpatialReSampling(oheight=glimpseSize * 2, owidth=glimpseSize * 2)
    gradInput2 = srs.updateGradInput(gradInput[0], output_.select(1, 1))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpse backward 4 depth 2 error")

    sg = nn.SpatialGlimpse(glimpseSize, 2)
    sg.module = nn.SpatialReSampling(owidth=glimpseSize, oheight=glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(0)   # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize, glimpseSize)
    output2 = input.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpse center 4 output depth=1 err")
    gradOutput = output.clone()
    gradInput = sg.backward([input, location], gradOutput)
    gradInput2 = input.clone().zero()
    gradInput2.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize).copy(output_.select(1, 0))
    gradInput2.add(srs.updateGradInput(gradInput[0], output_.select(1, 1)))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpse backward 4 depth 2 full error")

    sg = nn.SpatialGlimpse(glimpseSize, 2)
    sg.module = nn.SpatialReSampling(owidth=glimpseSize, oheight=glimpseSize)
    output2 = sg.forward([input[0], location[0]])
    gradInput2 = sg.backward([input[0], location[0]], gradOutput[0])
    mytester.assertTensorEq(gradInput[0][0], gradInput2[0], 0.000001, "SpatialGlimpse backward online img err")
    mytester.assertTensorEq(gradInput[1][0], gradInput2[1], 0.000001, "SpatialGlimpse backward online loc err")

    # test with spatial avg pool
    sg = nn.SpatialGlimpse(glimpseSize, 2)
    location = lg.Tensor(batchSize, 2).fill(0)   # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize, glimpseSize)
    output2 = input.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpse avgpool center 4 output depth=1 err")
    gradOutput = output.clone()
    gradOutput.view(batchSize, 2, 2, glimpseSize, glimpseSize).select(1, 0).fill(0)   # ignore first scale of glimpse
    gradInput = sg.backward([input, location], gradOutput)
    srs = nn.SpatialAveragePooling(2, 2, 2, 2)
    gradInput2 = srs.updateGradInput(gradInput[0], output_.select(1, 1))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpse avgpool backward 4 depth 2 error")

    sg = nn.SpatialGlimpse(glimpseSize, 2)
    location = lg.Tensor(batchSize, 2).fill(0)   # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize, glimpseSize)
    output2 = input.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpse avgpool center 4 output depth=1 err")
    gradOutput = output.clone()
    gradInput = sg.backward([input, location], gradOutput)
    gradInput2 = input.clone().zero()
    gradInput2.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize).copy(output_.select(1, 0))
    gradInput2.add(srs.updateGradInput(gradInput[0], output_.select(1, 1)))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001,
                            "SpatialGlimpse avgpool backward 4 depth 2 full error")

    sg = nn.SpatialGlimpse(glimpseSize, 2)
    output2 = sg.forward([input[0], location[0]])
    gradInput2 = sg.backward([input[0], location[0]], gradOutput[0])
    mytester.assertTensorEq(gradInput[0][0], gradInput2[0], 0.000001, "SpatialGlimpse avgpool backward online img err")
    mytester.assertTensorEq(gradInput[1][0], gradInput2[1], 0.000001, "SpatialGlimpse avgpool backward online loc err")
    return input, batchSize, inputSize, glimpseSize


def test_SpatialGlimpse():
    """test.lua lines 655-875, without the ``require "cunn"`` part (lines 813-847: test_SpatialGlimpse_cuda)."""
    _SpatialGlimpse_cpu()


@pytest.mark.gpu
def test_SpatialGlimpse_cuda():
    """test.lua lines 655-875: the CPU part, then the part after ``if not pcall(function() require "cunn" end)
    then return end`` (lines 813-847) on its input. The ``if false then`` benchmark (lines 849-874) never runs."""
    input, batchSize, inputSize, glimpseSize = _SpatialGlimpse_cpu()
    # test avg pool with cuda
    input = input.cuda()

    sg = nn.SpatialGlimpse(glimpseSize, 2).cuda()
    location = lg.CudaTensor(batchSize, 2).fill(0)   # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize, glimpseSize)
    output2 = input.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpse avgpool center 4 output depth=1 err")
    gradOutput = output.clone()
    gradOutput.view(batchSize, 2, 2, glimpseSize, glimpseSize).select(1, 0).fill(0)   # ignore first scale of glimpse
    gradInput = sg.backward([input, location], gradOutput)
    srs = nn.SpatialAveragePooling(2, 2, 2, 2).cuda()
    gradInput2 = srs.updateGradInput(gradInput[0], output_.select(1, 1))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpse avgpool backward 4 depth 2 error")

    sg = nn.SpatialGlimpse(glimpseSize, 2).cuda()
    location = lg.CudaTensor(batchSize, 2).fill(0)   # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize, glimpseSize)
    output2 = input.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize)
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpse avgpool center 4 output depth=1 err")
    gradOutput = output.clone()
    gradInput = sg.backward([input, location], gradOutput)
    gradInput2 = input.clone().zero()
    gradInput2.narrow(2, 2, glimpseSize).narrow(3, 2, glimpseSize).copy(output_.select(1, 0))
    gradInput2.add(srs.updateGradInput(gradInput[0], output_.select(1, 1)))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001,
                            "SpatialGlimpse avgpool backward 4 depth 2 full error")

    sg = nn.SpatialGlimpse(glimpseSize, 2).cuda()
    output2 = sg.forward([input[0], location[0]])
    gradInput2 = sg.backward([input[0], location[0]], gradOutput[0])
    mytester.assertTensorEq(gradInput[0][0], gradInput2[0], 0.000001, "SpatialGlimpse avgpool backward online img err")
    mytester.assertTensorEq(gradInput[1][0], gradInput2[1], 0.000001, "SpatialGlimpse avgpool backward online loc err")


class SG(nn.Module):
    """test.lua lines 881-1029: the old SpatialGlimpse that ``dpnntest.SpatialGlimpse_backwardcompat`` defines
    with ``torch.class("nn.SG", "nn.Module")``, "this verson of the module works", ported as written."""

    def __init__(self, size, depth=None, scale=None):
        self.size = size   # height == width
        self.depth = depth or 3
        self.scale = scale or 2

        assert lg.type(self.size) == 'number'
        assert lg.type(self.depth) == 'number'
        assert lg.type(self.scale) == 'number'
        super().__init__()
        self.gradInput = [lg.Tensor(), lg.Tensor()]
        if self.scale == 2:
            self.module = nn.SpatialAveragePooling(2, 2, 2, 2)
        else:
            self.module = nn.SpatialReSampling(oheight=size, owidth=size)
        self.modules = [self.module]

    # a bandwidth limited sensor which focuses on a location.
    # locations index the x,y coord of the center of the output glimpse
    def updateOutput(self, inputTable):
        assert lg.type(inputTable) == 'table'
        assert len(inputTable) >= 2
        input, location = inputTable[0], inputTable[1]
        input, location = self.toBatch(input, 3), self.toBatch(location, 1)
        assert input.dim() == 4 and location.dim() == 2

        self.output.resize(input.size(0), self.depth, input.size(1), self.size, self.size)

        if getattr(self, '_crop', None) is None:   # self._crop = self._crop or self.output.new()
            self._crop = self.output.new()
        if getattr(self, '_pad', None) is None:
            self._pad = input.new()

        for sampleIdx in range(self.output.size(0)):
            outputSample = self.output[sampleIdx]
            inputSample = input[sampleIdx]
            xy = location[sampleIdx]
            # (-1,-1) top left corner, (1,1) bottom right corner of image
            x, y = xy.select(0, 0), xy.select(0, 1)
            # (0,0), (1,1)
            x, y = (x + 1) / 2, (y + 1) / 2

            # for each depth of glimpse : pad, crop, downscale
            glimpseSize = math.floor(self.size)
            for depth in range(1, self.depth + 1):
                dst = outputSample[depth - 1]
                if depth > 1:
                    glimpseSize = math.floor(glimpseSize * self.scale)

                # add zero padding (glimpse could be partially out of bounds)
                padSize = math.floor((glimpseSize - 1) / 2)
                self._pad.resize(input.size(1), input.size(2) + padSize * 2, input.size(3) + padSize * 2).zero()
                center = self._pad.narrow(1, padSize, input.size(2)).narrow(2, padSize, input.size(3))
                center.copy(inputSample)

                # crop it
                h, w = self._pad.size(1) - glimpseSize, self._pad.size(2) - glimpseSize
                # the Lua's ``local x, y`` here are new locals of the loop body, shadowing the sample's x, y: in
                # Python they need other names, or the next depth would start from these pixels
                x_, y_ = math.floor(min(h, max(0, x * h))), math.floor(min(w, max(0, y * w)))

                if depth == 1:
                    dst.copy(self._pad.narrow(1, x_, glimpseSize).narrow(2, y_, glimpseSize))
                else:
                    self._crop.resize(input.size(1), glimpseSize, glimpseSize)
                    self._crop.copy(self._pad.narrow(1, x_, glimpseSize).narrow(2, y_, glimpseSize))

                    if lg.type(self.module) == 'nn.SpatialAveragePooling':
                        poolSize = glimpseSize / self.size
                        assert poolSize % 2 == 0
                        self.modules[0].kW = poolSize
                        self.modules[0].kH = poolSize
                        self.modules[0].dW = poolSize
                        self.modules[0].dH = poolSize
                    dst.copy(self.modules[0].updateOutput(self._crop))

        self.output.resize(input.size(0), self.depth * input.size(1), self.size, self.size)
        self.output = self.fromBatch(self.output, 0)
        return self.output

    def updateGradInput(self, inputTable, gradOutput):
        input, location = inputTable[0], inputTable[1]
        gradInput, gradLocation = self.gradInput[0], self.gradInput[1]
        input, location = self.toBatch(input, 3), self.toBatch(location, 1)
        gradOutput = self.toBatch(gradOutput, 3)

        gradInput.resizeAs(input).zero()
        gradLocation.resizeAs(location).zero()   # no backprop through location

        gradOutput = gradOutput.view(input.size(0), self.depth, input.size(1), self.size, self.size)

        for sampleIdx in range(gradOutput.size(0)):
            gradOutputSample = gradOutput[sampleIdx]
            gradInputSample = gradInput[sampleIdx]
            xy = location[sampleIdx]   # height, width
            # (-1,-1) top left corner, (1,1) bottom right corner of image
            x, y = xy.select(0, 0), xy.select(0, 1)
            # (0,0), (1,1)
            x, y = (x + 1) / 2, (y + 1) / 2

            # for each depth of glimpse : pad, crop, downscale
            glimpseSize = self.size
            for depth in range(1, self.depth + 1):
                src = gradOutputSample[depth - 1]
                if depth > 1:
                    glimpseSize = glimpseSize * self.scale

                # add zero padding (glimpse could be partially out of bounds)
                padSize = math.floor((glimpseSize - 1) / 2)
                self._pad.resize(input.size(1), input.size(2) + padSize * 2, input.size(3) + padSize * 2).zero()

                h, w = self._pad.size(1) - glimpseSize, self._pad.size(2) - glimpseSize
                # new locals in the Lua, as in updateOutput; left unfloored there: Torch7's narrow truncates the
                # offset x+1 to an integer
                x_, y_ = min(h, max(0, x * h)), min(w, max(0, y * w))
                pad = self._pad.narrow(1, int(x_), glimpseSize).narrow(2, int(y_), glimpseSize)

                # upscale glimpse for different depths
                if depth == 1:
                    pad.copy(src)
                else:
                    self._crop.resize(input.size(1), glimpseSize, glimpseSize)

                    if lg.type(self.module) == 'nn.SpatialAveragePooling':
                        poolSize = glimpseSize / self.size
                        assert poolSize % 2 == 0
                        self.modules[0].kW = poolSize
                        self.modules[0].kH = poolSize
                        self.modules[0].dW = poolSize
                        self.modules[0].dH = poolSize

                    pad.copy(self.modules[0].updateGradInput(self._crop, src))

                # copy into gradInput tensor (excluding padding)
                gradInputSample.add(self._pad.narrow(1, padSize, input.size(2)).narrow(2, padSize, input.size(3)))

        self.gradInput[0] = self.fromBatch(gradInput, 0)
        self.gradInput[1] = self.fromBatch(gradLocation, 0)

        return self.gradInput


def test_SpatialGlimpse_backwardcompat():
    """test.lua lines 877-1047, the class ``nn.SG`` it defines (lines 881-1029) above."""
    # if not pcall(function() require "nnx" end) then return end: legonn's nn holds nnx's modules
    # this is ugly, but I know this verson of the module works.
    # So we try to match the newer versions to it
    batchSize = 1
    inputSize = [2, 8, 8]
    glimpseSize = 4
    input = lg.randn(batchSize, *inputSize)
    input.resize(batchSize, *inputSize)

    sg = nn.SpatialGlimpse(glimpseSize, 2)
    sg2 = SG(glimpseSize, 2)

    for i in range(10):
        location = lg.Tensor(batchSize, 2).uniform(-0.9, 0.9)
        output = sg.forward([input, location])
        output2 = sg2.forward([input, location])
        mytester.assertTensorEq(output, output2, 0.0000001, "SpatialGlimpse err")
