"""Element-Research/dpnn's test/test.lua, lines 1049-2453 (``dpnntest.SpatialGlimpseRect`` ... ``dpnntest.NCE_multicuda``,
with the ``dpnnbigtest`` cases ``Reinforce`` and ``NCE_benchmark`` that ``dpnn.bigtest()`` runs), ported
literally: one test per Lua test function, each naming its lines. The edits are docs/porting.md's: ``torch.`` is
``lg.``, ``:`` is ``.``, indices and dimensions are 0-based (``narrow``'s offsets, ``select``, ``ArgMax``'s
dimension and indices, VRClassReward's class labels and NCEModule's targets and ``sampleidx``: dpnn's row), a Lua
``mytester:assert`` is ``assert`` and the other ``mytester`` calls stay Tester calls, set to raise
(tests/porting/nn_testlua.py). ``torch.Tensor(n):random(1, k)``, which draws ``1 .. k``, is
``lg.Tensor(n).random(0, k)`` where it draws labels (``0 .. k-1``).

A ``pcall(function() require 'cunn' end)`` part is its own ``pytest.mark.gpu`` test, ``test_X_cuda``, running the
CPU lines before it again as the Lua does; a ``useCudas = {false, hasCuda}`` loop runs ``hasCuda`` false in
``test_X`` (a machine without cunn) and true in ``test_X_cuda``.

``dpnn.test()`` sets no tensor type: it runs in Torch7's default, DoubleTensor (the ``double_default``
fixture)."""
import math

import pytest

import legonn as lg
from legonn import nn
from tests.porting.nn_testlua import mytester

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as dpnn.test() runs

precision = 1e-5


def _SpatialGlimpseRect_cpu():
    """test.lua lines 1050-1219, the CPU part; returns what the cunn part reuses."""
    batchSize = 1
    inputSize = [2, 8, 8]

    glimpseSize = [4, 2]  # {height, width}
    input = lg.Tensor(batchSize, *inputSize)
    input.range(1, input.nElement())
    input.resize(batchSize, *inputSize)
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(0)  # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize[0], glimpseSize[1])
    y0 = (input.size(2) - glimpseSize[0]) / 2   # the Lua's "+ 1" dropped: 0-based offsets
    x0 = (input.size(3) - glimpseSize[1]) / 2
    output2 = input.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpseRect center 4 output depth=1 err")
    outputSize = [batchSize, inputSize[0] * 3, glimpseSize[0], glimpseSize[1]]
    mytester.assertTableEq(output.size().totable(), outputSize, 0.000001, "SpatialGlimpseRect output size err")

    input2 = lg.Tensor(*inputSize)
    input2.range(1, input2.nElement())
    input2.resize(*inputSize)
    sg = nn.SpatialGlimpse(glimpseSize)
    location2 = lg.Tensor(2).fill(0)  # center patch
    output2 = sg.forward([input2, location2])
    mytester.assertTensorEq(output2, output[0], 0.00001, "SpatialGlimpseRect online output depth=1 err")

    glimpseSize = [5, 3]
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(0)  # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize[0], glimpseSize[1])
    y0 = math.floor((input.size(2) - glimpseSize[0]) / 2)
    x0 = math.floor((input.size(3) - glimpseSize[1]) / 2)
    output2 = input.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpseRect center 5 output depth=1 err")

    glimpseSize = [4, 3]
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(-1)  # top left corner patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize[0], glimpseSize[1])
    padSize = [math.floor((glimpseSize[0] - 1) / 2), math.floor((glimpseSize[1] - 1) / 2)]
    pad = lg.Tensor(batchSize, inputSize[0], inputSize[1] + padSize[0] * 2, inputSize[2] + padSize[1] * 2).zero()
    pad.narrow(2, padSize[0], inputSize[1]).narrow(3, padSize[1], inputSize[2]).copy(input)
    output2 = pad.narrow(2, 0, glimpseSize[0]).narrow(3, 0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpseRect top-left 4 output depth=1 err")

    glimpseSize = [5, 4]
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(-1)  # top left corner patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize[0], glimpseSize[1])
    pad = lg.Tensor(batchSize, inputSize[0], inputSize[1] + glimpseSize[0], inputSize[2] + glimpseSize[1]).zero()
    y0 = math.floor((glimpseSize[0] - 1) / 2)
    x0 = math.floor((glimpseSize[1] - 1) / 2)
    pad.narrow(2, y0, inputSize[1]).narrow(3, x0, inputSize[2]).copy(input)
    output2 = pad.narrow(2, 0, glimpseSize[0]).narrow(3, 0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpseRect top-left 5 output depth=1 err")

    glimpseSize = [3, 4]
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(1)  # bottom-right corner patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize[0], glimpseSize[1])
    pad = lg.Tensor(batchSize, inputSize[0], inputSize[1] + glimpseSize[0], inputSize[2] + glimpseSize[1]).zero()
    y0 = math.floor((glimpseSize[0] - 1) / 2)
    x0 = math.floor((glimpseSize[1] - 1) / 2)
    pad.narrow(2, y0, inputSize[1]).narrow(3, x0, inputSize[2]).copy(input)
    dy = math.floor((glimpseSize[0]) / 2)
    dx = math.floor((glimpseSize[1]) / 2)
    output2 = pad.narrow(2, inputSize[1] - dy, glimpseSize[0]).narrow(3, inputSize[2] - dx, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpseRect bottom-right 4 output depth=1 err")

    glimpseSize = [4, 5]
    sg = nn.SpatialGlimpse(glimpseSize)
    location = lg.Tensor(batchSize, 2).fill(1)  # bottom-right corner patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 3, inputSize[0], glimpseSize[0], glimpseSize[1])
    pad = lg.Tensor(batchSize, inputSize[0], inputSize[1] + glimpseSize[0], inputSize[2] + glimpseSize[1]).zero()
    # here the Lua's y0, x0 are 1-based offsets as they are computed: one less for narrow
    y0 = math.floor((glimpseSize[0]) / 2)
    x0 = math.floor((glimpseSize[1]) / 2)
    pad.narrow(2, y0 - 1, inputSize[1]).narrow(3, x0 - 1, inputSize[2]).copy(input)
    dy = math.floor((glimpseSize[0]) / 2)
    dx = math.floor((glimpseSize[1]) / 2)
    output2 = pad.narrow(2, inputSize[1] - dy, glimpseSize[0]).narrow(3, inputSize[2] - dx, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpseRect bottom-right 5 output depth=1 err")

    # test gradients
    glimpseSize = [4, 4]  # {height, width}
    sg = nn.SpatialGlimpse(glimpseSize, 1)
    location = lg.Tensor(batchSize, 2).fill(0)  # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 1, inputSize[0], glimpseSize[0], glimpseSize[1])
    y0 = math.floor((input.size(2) - glimpseSize[0]) / 2)
    x0 = math.floor((input.size(3) - glimpseSize[1]) / 2)
    output2 = input.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpseRect center 4 output depth=1 err")
    gradInput = sg.backward([input, location], output)
    gradInput2 = input.clone().zero()
    gradInput2.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1]).copy(output_.select(1, 0))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpseRect backward 4 depth 1 error")

    # test with spatial resampling
    sg = nn.SpatialGlimpse(glimpseSize, 2)
    sg.module = nn.SpatialReSampling({'owidth': glimpseSize[1], 'oheight': glimpseSize[0]})
    location = lg.Tensor(batchSize, 2).fill(0)  # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize[0], glimpseSize[1])
    y0 = math.floor((input.size(2) - glimpseSize[0]) / 2)
    x0 = math.floor((input.size(3) - glimpseSize[1]) / 2)
    output2 = input.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpseRect center 4 output depth=1 err")
    gradOutput = output.clone()
    # ignore first scale of glimpse
    gradOutput.view(batchSize, 2, 2, glimpseSize[0], glimpseSize[1]).select(1, 0).fill(0)
    gradInput = sg.backward([input, location], gradOutput)
    srs = nn.SpatialReSampling({'oheight': glimpseSize[1] * 2, 'owidth': glimpseSize[0] * 2})
    gradInput2 = srs.updateGradInput(gradInput[0], output_.select(1, 1))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpseRect backward 4 depth 2 error")

    sg = nn.SpatialGlimpse(glimpseSize, 2)
    sg.module = nn.SpatialReSampling({'owidth': glimpseSize[1], 'oheight': glimpseSize[0]})
    location = lg.Tensor(batchSize, 2).fill(0)  # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize[0], glimpseSize[1])
    output2 = input.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001, "SpatialGlimpseRect center 4 output depth=1 err")
    gradOutput = output.clone()
    gradInput = sg.backward([input, location], gradOutput)
    gradInput2 = input.clone().zero()
    gradInput2.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1]).copy(output_.select(1, 0))
    gradInput2.add(srs.updateGradInput(gradInput[0], output_.select(1, 1)))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpseRect backward 4 depth 2 full error")

    sg = nn.SpatialGlimpse(glimpseSize, 2)
    sg.module = nn.SpatialReSampling({'owidth': glimpseSize[1], 'oheight': glimpseSize[0]})
    output2 = sg.forward([input[0], location[0]])
    gradInput2 = sg.backward([input[0], location[0]], gradOutput[0])
    mytester.assertTensorEq(gradInput[0][0], gradInput2[0], 0.000001, "SpatialGlimpseRect backward online img err")
    mytester.assertTensorEq(gradInput[1][0], gradInput2[1], 0.000001, "SpatialGlimpseRect backward online loc err")

    # test with spatial avg pool
    sg = nn.SpatialGlimpse(glimpseSize, 2)
    location = lg.Tensor(batchSize, 2).fill(0)  # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize[0], glimpseSize[1])
    y0 = math.floor((input.size(2) - glimpseSize[0]) / 2)
    x0 = math.floor((input.size(3) - glimpseSize[1]) / 2)
    output2 = input.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpseRect avgpool center 4 output depth=1 err")
    gradOutput = output.clone()
    # ignore first scale of glimpse
    gradOutput.view(batchSize, 2, 2, glimpseSize[0], glimpseSize[1]).select(1, 0).fill(0)
    gradInput = sg.backward([input, location], gradOutput)
    srs = nn.SpatialAveragePooling(2, 2, 2, 2)
    gradInput2 = srs.updateGradInput(gradInput[0], output_.select(1, 1))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpseRect avgpool backward 4 depth 2 error")

    sg = nn.SpatialGlimpse(glimpseSize, 2)
    location = lg.Tensor(batchSize, 2).fill(0)  # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize[0], glimpseSize[1])
    output2 = input.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpseRect avgpool center 4 output depth=1 err")
    gradOutput = output.clone()
    gradInput = sg.backward([input, location], gradOutput)
    gradInput2 = input.clone().zero()
    gradInput2.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1]).copy(output_.select(1, 0))
    gradInput2.add(srs.updateGradInput(gradInput[0], output_.select(1, 1)))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001,
                            "SpatialGlimpseRect avgpool backward 4 depth 2 full error")

    sg = nn.SpatialGlimpse(glimpseSize, 2)
    output2 = sg.forward([input[0], location[0]])
    gradInput2 = sg.backward([input[0], location[0]], gradOutput[0])
    mytester.assertTensorEq(gradInput[0][0], gradInput2[0], 0.000001,
                            "SpatialGlimpseRect avgpool backward online img err")
    mytester.assertTensorEq(gradInput[1][0], gradInput2[1], 0.000001,
                            "SpatialGlimpseRect avgpool backward online loc err")
    return input, inputSize, glimpseSize, batchSize, y0, x0


def test_SpatialGlimpseRect():
    """test.lua lines 1049-1274 (rectangle-shaped glimpse sampling), the CPU part (to line 1219). The ``image`` and
    ``nnx`` packages it requires are legonn's own (nnx's SpatialReSampling is in ``nn``). The benchmark in an
    ``if false then`` block (lines 1252-1273) never runs and is left out."""
    _SpatialGlimpseRect_cpu()


@pytest.mark.gpu
def test_SpatialGlimpseRect_cuda():
    """test.lua lines 1049-1274, the avg pool with cuda part (lines 1221-1250), after the CPU part it follows."""
    input, inputSize, glimpseSize, batchSize, y0, x0 = _SpatialGlimpseRect_cpu()
    # test avg pool with cuda
    input = input.cuda()

    sg = nn.SpatialGlimpse(glimpseSize, 2).cuda()
    location = lg.CudaTensor(batchSize, 2).fill(0)  # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize[0], glimpseSize[1])
    output2 = input.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpseRect avgpool center 4 output depth=1 err")
    gradOutput = output.clone()
    # ignore first scale of glimpse
    gradOutput.view(batchSize, 2, 2, glimpseSize[0], glimpseSize[1]).select(1, 0).fill(0)
    gradInput = sg.backward([input, location], gradOutput)
    srs = nn.SpatialAveragePooling(2, 2, 2, 2).cuda()
    gradInput2 = srs.updateGradInput(gradInput[0], output_.select(1, 1))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001, "SpatialGlimpseRect avgpool backward 4 depth 2 error")

    sg = nn.SpatialGlimpse(glimpseSize, 2).cuda()
    location = lg.CudaTensor(batchSize, 2).fill(0)  # center patch
    output = sg.forward([input, location])
    output_ = output.view(batchSize, 2, inputSize[0], glimpseSize[0], glimpseSize[1])
    output2 = input.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1])
    mytester.assertTensorEq(output2, output_.select(1, 0), 0.00001,
                            "SpatialGlimpseRect avgpool center 4 output depth=1 err")
    gradOutput = output.clone()
    gradInput = sg.backward([input, location], gradOutput)
    gradInput2 = input.clone().zero()
    gradInput2.narrow(2, y0, glimpseSize[0]).narrow(3, x0, glimpseSize[1]).copy(output_.select(1, 0))
    gradInput2.add(srs.updateGradInput(gradInput[0], output_.select(1, 1)))
    mytester.assertTensorEq(gradInput[0], gradInput2, 0.000001,
                            "SpatialGlimpseRect avgpool backward 4 depth 2 full error")

    sg = nn.SpatialGlimpse(glimpseSize, 2).cuda()
    output2 = sg.forward([input[0], location[0]])
    gradInput2 = sg.backward([input[0], location[0]], gradOutput[0])
    mytester.assertTensorEq(gradInput[0][0], gradInput2[0], 0.000001,
                            "SpatialGlimpseRect avgpool backward online img err")
    mytester.assertTensorEq(gradInput[1][0], gradInput2[1], 0.000001,
                            "SpatialGlimpseRect avgpool backward online loc err")
