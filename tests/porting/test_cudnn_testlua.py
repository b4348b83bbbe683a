"""soumith/cudnn.torch's test/test.lua (lines 119-924, ``cudnntest.SpatialConvolution`` ...
``cudnntest.functional_softmax``), ported line by line: one test per ``cudnntest.X``, each comparing a cudnn module
with its nn twin at the Lua's tolerances (the set-up of lines 1-118 is tests/porting/cudnn_testlua.py).

The Lua runs the suite on CudaTensor, CudaHalfTensor and CudaDoubleTensor; legonn's cudnn classes run on the CPU
too, so each test runs on FloatTensor and DoubleTensor, and as a GPU test on the CUDA types (CuPy's simulator
under ``LEGONN_GPU_SIM=1``). The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is ``.``, 0-based
indices (``input[1]`` is ``input[0]``, ``narrow(2, i, 1)`` is ``narrow(1, i - 1, 1)``), ``math.random(a, b)`` is
``random.randint(a, b)`` (seeded by the ``lua_math_random`` fixture: the Lua seeds it with ``os.time()``),
``torch.save('modelTemp.t7', m); torch.load(...)`` is ``lg.deserialize(lg.serialize(m))``.

Shrunk (each names the Lua's range beside it): batches (1-32 in the Lua) to 1-4, planes to 1-8, outputs to 1-8,
kernels to 1-5; the Lua's draws reach GBs of float im2col buffers, minutes on the CPU. Geometry ranges (strides up
to the kernel, ceil mode, padding) are the Lua's.

The runner (lines 926-976) is test_runner_settings: its flags, ``cudnn.find``'s and ``cudnn.configureMath`` are
recorded and change nothing in legonn (one kernel per operation), so its loop running the suite once per
``cudnn.benchmark`` value is not repeated; the device loop and ``cutorch.getDeviceProperties``' print are left out."""
import random

import pytest

import legonn as lg
from legonn import cudnn, nn
from tests.porting.cudnn_testlua import Suite, jac, mytester, params_for, testLayer

pytestmark = pytest.mark.usefixtures('lua_math_random')

TYPES = [
    'torch.FloatTensor', 'torch.DoubleTensor',
    pytest.param('torch.CudaTensor', marks=pytest.mark.gpu),
    pytest.param('torch.CudaDoubleTensor', marks=pytest.mark.gpu),
    pytest.param('torch.CudaHalfTensor', marks=pytest.mark.gpu),
]


@pytest.fixture(params=TYPES)
def testparams(request):
    """The runner's ``testparams = testparams_float`` ... (lines 958-973), one type per run."""
    Suite.testparams = params_for(request.param)
    yield Suite.testparams
    Suite.testparams = None


cast, cuda = Suite.cast, Suite.twin


def _convert_and_retest(sconv, gconv, input, gradOutput, scale, parametric):
    """The four lines that end most tests: cudnn.convert of the nn module gives the same class, tested again."""
    originalTypename = lg.typename(gconv)
    gconv = cast(cudnn.convert(sconv, cudnn))
    mytester.asserteq(lg.typename(gconv), originalTypename, 'conversion type check')
    testLayer(sconv, gconv, input, gradOutput, scale, parametric, True)
    testLayer(sconv, gconv, input, gradOutput, scale, parametric, False)


def test_SpatialConvolution(testparams):
    """Lines 120-151."""
    bs = random.randint(1, 4)           # Lua: 1..32
    from_ = random.randint(1, 8)        # 1..32
    to = random.randint(1, 8)           # 1..64
    ki = random.randint(1, 5)           # 1..15
    kj = random.randint(1, 5)
    si = random.randint(1, ki)
    sj = random.randint(1, kj)
    outi = random.randint(1, 8)         # 1..64
    outj = random.randint(1, 8)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    scale = random.random()

    input = cuda(lg.randn(bs, from_, inj, ini))
    gradOutput = cuda(lg.randn(bs, to, outj, outi))
    sconv = cuda(nn.SpatialConvolution(from_, to, ki, kj, si, sj))
    gconv = cast(cudnn.SpatialConvolution(from_, to, ki, kj, si, sj))
    gconv.weight.copy(sconv.weight)
    gconv.bias.copy(sconv.bias)

    testLayer(sconv, gconv, input, gradOutput, scale, True, True)    # batch
    testLayer(sconv, gconv, input, gradOutput, scale, True, False)   # non-batch
    _convert_and_retest(sconv, gconv, input, gradOutput, scale, True)


def test_SpatialFullConvolution(testparams):
    """Lines 153-184."""
    bs = random.randint(1, 4)           # 1..32
    from_ = random.randint(1, 8)        # 1..32
    to = random.randint(1, 8)           # 1..64
    ki = random.randint(1, 5)           # 1..15
    kj = random.randint(1, 5)
    si = random.randint(1, ki)
    sj = random.randint(1, kj)
    ini = random.randint(1, 8)          # 1..64
    inj = random.randint(1, 8)
    outi = (ini - 1) * si + ki
    outj = (inj - 1) * sj + kj
    scale = random.random()

    input = cuda(lg.randn(bs, from_, inj, ini))
    gradOutput = cuda(lg.randn(bs, to, outj, outi))
    sconv = cuda(nn.SpatialFullConvolution(from_, to, ki, kj, si, sj))
    gconv = cast(cuda(cudnn.SpatialFullConvolution(from_, to, ki, kj, si, sj)))
    gconv.weight.copy(sconv.weight)
    gconv.bias.copy(sconv.bias)

    testLayer(sconv, gconv, input, gradOutput, scale, True, True)
    testLayer(sconv, gconv, input, gradOutput, scale, True, False)
    _convert_and_retest(sconv, gconv, input, gradOutput, scale, True)


def test_TemporalConvolution(testparams):
    """Lines 186-206."""
    bs = random.randint(1, 4)                   # 1..32
    inputFrameSize = random.randint(1, 16)      # 1..64
    outputFrameSize = random.randint(1, 16)     # 1..64
    ki = random.randint(1, 15)
    si = random.randint(1, ki)
    outi = random.randint(1, 15)
    ini = (outi - 1) * si + ki
    scale = random.random()

    input = cuda(lg.randn(bs, ini, inputFrameSize))
    gradOutput = cuda(lg.randn(bs, outi, outputFrameSize))
    sconv = cuda(nn.TemporalConvolution(inputFrameSize, outputFrameSize, ki, si))
    gconv = cast(cuda(cudnn.TemporalConvolution(inputFrameSize, outputFrameSize, ki, si)))
    gconv.weight.copy(sconv.weight.view(gconv.weight.size()))
    gconv.bias.copy(sconv.bias)

    testLayer(sconv, gconv, input, gradOutput, scale, True, True)
    testLayer(sconv, gconv, input, gradOutput, scale, True, False)
    # temporal convolution does not support cudnn.convert, so no tests for that


def test_TemporalConvolution_padding_batch(testparams):
    """Lines 208-257."""
    bs = random.randint(1, 4)                   # 1..32
    inputFrameSize = random.randint(1, 16)      # 1..64
    outputFrameSize = random.randint(1, 16)     # 1..64
    ki = random.randint(2, 15)
    pad_h = ki // 2
    si = random.randint(1, ki)
    outi = random.randint(2, 15)
    ini = (outi - 1) * si + ki
    scale = random.random()

    inputpadded = cuda(lg.randn(bs, ini, inputFrameSize))
    for i in range(1, pad_h + 1):
        inputpadded.narrow(1, i - 1, 1).fill(0)
        inputpadded.narrow(1, ini - i, 1).fill(0)
    input = cuda(lg.Tensor(bs, ini - 2 * pad_h, inputFrameSize))
    input.copy(inputpadded.narrow(1, pad_h, ini - 2 * pad_h))
    gradOutput = cuda(lg.randn(bs, outi, outputFrameSize))
    sconv = cuda(nn.TemporalConvolution(inputFrameSize, outputFrameSize, ki, si))
    groundForward = sconv.forward(inputpadded)
    sconv.zeroGradParameters()
    groundgrad = sconv.backward(inputpadded, gradOutput, scale)
    groundweight = sconv.gradWeight
    groundbias = sconv.gradBias

    gconv = cast(cuda(cudnn.TemporalConvolution(inputFrameSize, outputFrameSize, ki, si, pad_h)))
    gconv.weight.copy(sconv.weight.view(gconv.weight.size()))
    gconv.bias.copy(sconv.bias)
    gconv.forward(cast(input))

    # serialize and deserialize
    gconv = lg.deserialize(lg.serialize(gconv))

    cudaForward = gconv.forward(cast(input))
    gconv.zeroGradParameters()
    rescuda = gconv.backward(cast(input), cast(gradOutput), scale)
    weightcuda = gconv.gradWeight
    biascuda = gconv.gradBias

    ferror = cudaForward.float() - groundForward.float()
    groundgrad = groundgrad.narrow(1, pad_h, ini - 2 * pad_h)
    error = rescuda.float() - groundgrad.float()
    werror = weightcuda.float() - groundweight.float()
    berror = biascuda.float() - groundbias.float()
    mytester.assertlt(ferror.abs().max(), testparams['precision_forward'], 'error on forward  ')
    mytester.assertlt(error.abs().max(), testparams['precision_backward'], 'error on state (backward) ')
    mytester.assertlt(werror.abs().max(), testparams['precision_backward'], 'error on weight (backward) ')
    mytester.assertlt(berror.abs().max(), testparams['precision_backward'], 'error on bias (backward) ')


def test_TemporalConvolution_reduceBatchSize(testparams):
    """Lines 259-281."""
    inputFrameSize = random.randint(1, 16)      # 1..64
    outputFrameSize = random.randint(1, 16)     # 1..64
    ki = random.randint(1, 15)
    si = random.randint(1, ki)
    outi = random.randint(1, 15)
    ini = (outi - 1) * si + ki
    batchSize = 16                              # 128
    smallerBatchSize = batchSize // 2

    input = cast(lg.randn(batchSize, ini, inputFrameSize))
    conv = cast(cuda(cudnn.TemporalConvolution(inputFrameSize, outputFrameSize, ki, si)))
    o1 = conv.updateOutput(input)
    mytester.asserteq(o1.size(0), batchSize, "batch size didn't match")

    input = cast(lg.randn(smallerBatchSize, ini, inputFrameSize))
    o2 = conv.updateOutput(input)
    mytester.asserteq(o2.size(0), smallerBatchSize, "batch size didn't match")
    # do this again to check it doesn't crash
    o2 = conv.updateOutput(input)
    mytester.asserteq(o2.size(0), smallerBatchSize, "batch size didn't match")


def test_VolumetricConvolution(testparams):
    """Lines 283-320."""
    bs = random.randint(1, 2)           # 1..32
    from_ = random.randint(1, 4)        # 1..16
    to = random.randint(1, 4)           # 1..16
    ki = random.randint(3, 5)
    kj = random.randint(3, 5)
    kk = random.randint(3, 5)
    si = random.randint(1, ki - 1)
    sj = random.randint(1, kj - 1)
    sk = random.randint(1, kk - 1)
    outi = random.randint(1, 4)         # 1..17
    outj = random.randint(1, 4)         # 1..17
    outk = random.randint(1, 3)         # 1..5

    ini = outi * si + ki - 1
    inj = outj * sj + kj - 1
    ink = outk * sk + kk - 1

    scale = random.random()

    input = cuda(lg.randn(bs, from_, ink, inj, ini))
    gradOutput = cuda(lg.randn(bs, to, outk, outj, outi))
    sconv = cuda(nn.VolumetricConvolution(from_, to, kk, ki, kj, sk, si, sj))
    gconv = cast(cudnn.VolumetricConvolution(from_, to, kk, ki, kj, sk, si, sj))
    gconv.weight.copy(sconv.weight)
    gconv.bias.copy(sconv.bias)

    testLayer(sconv, gconv, input, gradOutput, scale, True, True)
    testLayer(sconv, gconv, input, gradOutput, scale, True, False)
    _convert_and_retest(sconv, gconv, input, gradOutput, scale, True)


def test_VolumetricFullConvolution(testparams):
    """Lines 322-361."""
    bs = random.randint(1, 2)           # 1..32
    from_ = random.randint(1, 4)        # 1..32
    to = random.randint(1, 4)           # 1..64
    ki = random.randint(1, 4)           # 1..7
    kj = random.randint(1, 4)           # 1..7
    kk = random.randint(1, 3)           # 1..5
    si = random.randint(1, ki)
    sj = random.randint(1, kj)
    sk = random.randint(1, kk)
    ini = random.randint(1, 4)          # 1..32
    inj = random.randint(1, 4)          # 1..32
    ink = random.randint(1, 3)          # 1..10
    outi = (ini - 1) * si + ki
    outj = (inj - 1) * sj + kj
    outk = (ink - 1) * sk + kk
    scale = random.random()

    if testparams['test_type'] == 'torch.CudaDoubleTensor':
        return

    input = cuda(lg.randn(bs, from_, ink, inj, ini))
    gradOutput = cuda(lg.randn(bs, to, outk, outj, outi))
    sconv = cuda(nn.VolumetricFullConvolution(from_, to, kk, ki, kj, sk, si, sj))
    gconv = cast(cuda(cudnn.VolumetricFullConvolution(from_, to, kk, ki, kj, sk, si, sj)))
    gconv.weight.copy(sconv.weight)
    gconv.bias.copy(sconv.bias)

    testLayer(sconv, gconv, input, gradOutput, scale, True, True)
    testLayer(sconv, gconv, input, gradOutput, scale, True, False)
    _convert_and_retest(sconv, gconv, input, gradOutput, scale, True)


def test_VolumetricMaxPooling(testparams):
    """Lines 363-390. ``scale`` is an undefined global in the Lua (nil: backward's default 1): None here."""
    scale = None
    bs = random.randint(1, 4)
    from_ = random.randint(1, 4)
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    kk = random.randint(2, 4)
    si = ki
    sj = kj
    sk = kk
    outi = random.randint(1, 8)         # 1..64
    outj = random.randint(1, 8)
    outk = random.randint(1, 8)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    ink = (outk - 1) * sk + kk

    input = cuda(lg.randn(bs, from_, ink, inj, ini))
    gradOutput = cuda(lg.randn(bs, from_, outk, outj, outi))
    sconv = cuda(nn.VolumetricMaxPooling(kk, ki, kj, sk, si, sj))
    gconv = cast(cudnn.VolumetricMaxPooling(kk, ki, kj, sk, si, sj))

    testLayer(sconv, gconv, input, gradOutput, scale, False, True)
    testLayer(sconv, gconv, input, gradOutput, scale, False, False)
    _convert_and_retest(sconv, gconv, input, gradOutput, scale, False)


def test_SpatialMaxPooling(testparams):
    """Lines 392-416. ``math.random(0, ki/2-1)`` takes a float bound, floored by Lua: ``ki // 2 - 1``."""
    scale = None
    bs = random.randint(1, 4)           # 1..32
    from_ = random.randint(1, 8)        # 1..32
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    si = random.randint(1, 4)
    sj = random.randint(1, 4)
    outi = random.randint(4, 12)        # 16..64
    outj = random.randint(4, 12)
    padi = random.randint(0, ki // 2 - 1)
    padj = random.randint(0, kj // 2 - 1)
    ini = (outi - 1) * si + ki - padi * 2
    inj = (outj - 1) * sj + kj - padj * 2
    ceil_mode = random.randint(0, 1) == 1

    input = cuda(lg.randn(bs, from_, inj, ini))
    gradOutput = cuda(lg.randn(bs, from_, outj, outi))
    sconv = cuda(nn.SpatialMaxPooling(ki, kj, si, sj, padi, padj))
    if ceil_mode:
        sconv.ceil()
    gconv = cast(cudnn.SpatialMaxPooling(ki, kj, si, sj, padi, padj))
    if ceil_mode:
        gconv.ceil()

    testLayer(sconv, gconv, input, gradOutput, scale, False, True)
    testLayer(sconv, gconv, input, gradOutput, scale, False, False)
    _convert_and_retest(sconv, gconv, input, gradOutput, scale, False)


def test_SpatialAveragePooling(testparams):
    """Lines 418-444."""
    scale = None
    bs = random.randint(1, 4)           # 1..32
    from_ = random.randint(1, 8)        # 1..32
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    si = random.randint(2, 4)
    sj = random.randint(2, 4)
    outi = random.randint(1, 8)         # 1..64
    outj = random.randint(1, 8)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj

    input = cuda(lg.randn(bs, from_, inj, ini))
    gradOutput = cuda(lg.randn(bs, from_, outj, outi))
    sconv = cuda(nn.SpatialAveragePooling(ki, kj, si, sj))
    gconv = cast(cudnn.SpatialAveragePooling(ki, kj, si, sj))

    testLayer(sconv, gconv, input, gradOutput, scale, False, True)
    testLayer(sconv, gconv, input, gradOutput, scale, False, False)
    _convert_and_retest(sconv, gconv, input, gradOutput, scale, False)

    mytester.assert_(cudnn.C.CUDNN_POOLING_AVERAGE is not None, 'back-compat broken')


def nonlin(nonlin, inplace):
    """Lines 446-467."""
    scale = None
    bs = random.randint(1, 4)           # 1..32
    from_ = random.randint(1, 8)        # 1..32
    outi = random.randint(1, 8)         # 1..64
    outj = random.randint(1, 8)
    ini = outi
    inj = outj

    input = cuda(lg.randn(bs, from_, inj, ini))
    gradOutput = cuda(lg.randn(bs, from_, outj, outi))
    # nn.Tanh and nn.Sigmoid take no in-place flag (Lua drops the argument, legonn refuses it: docs/porting.md)
    sconv = cuda(nn.ReLU(inplace) if nonlin == 'ReLU' else getattr(nn, nonlin)())
    gconv = cast(getattr(cudnn, nonlin)(inplace))

    description = f'inplace = {inplace}'
    testLayer(sconv, gconv, input, gradOutput, scale, False, True, description)
    testLayer(sconv, gconv, input, gradOutput, scale, False, False, description)
    originalTypename = lg.typename(gconv)
    gconv = cast(cudnn.convert(sconv, cudnn))
    mytester.asserteq(lg.typename(gconv), originalTypename, 'conversion type check')
    testLayer(sconv, gconv, input, gradOutput, scale, False, True, description)
    testLayer(sconv, gconv, input, gradOutput, scale, False, False, description)


@pytest.mark.parametrize('name', ['ReLU', 'Tanh', 'Sigmoid'])
def test_nonlin(testparams, name):
    """Lines 469-480 (``cudnntest.ReLU``, ``.Tanh``, ``.Sigmoid``): in place, then out of place."""
    nonlin(name, True)
    nonlin(name, False)


def test_ClippedReLU_single(testparams):
    """Lines 482-491 (CudaTensor whatever the type, as the Lua)."""
    input = cuda(lg.randn(1, 32))
    ceiling = 0.1
    module = cuda(cudnn.ClippedReLU(ceiling))
    output = module.forward(input)
    expectedOutput = input.clone()
    expectedOutput[expectedOutput.ge(ceiling)] = ceiling
    expectedOutput[expectedOutput.le(0)] = 0
    mytester.assertTensorEq(output, expectedOutput)


def test_SpatialCrossMapLRN_batch(testparams):
    """Lines 493-514."""
    scale = None
    bs = random.randint(4, 10)
    inputSize = random.randint(6, 9)
    size = random.randint(1, 3) * 2 + 1
    nbfeatures = random.randint(3, 8)
    alpha = random.randint(0, 100) / 100
    beta = random.randint(1, 100) / 100
    k = random.randint(1, 3)

    input = cuda(lg.rand(bs, nbfeatures, inputSize, inputSize))
    gradOutput = cuda(lg.rand(input.size()))
    sconv = cuda(nn.SpatialCrossMapLRN(size, alpha, beta, k))
    gconv = cast(cudnn.SpatialCrossMapLRN(size, alpha, beta, k))

    testLayer(sconv, gconv, input, gradOutput, scale, True, True)
    testLayer(sconv, gconv, input, gradOutput, scale, True, False)
    _convert_and_retest(sconv, gconv, input, gradOutput, scale, True)


@pytest.mark.parametrize('name', ['SoftMax', 'LogSoftMax'])
def test_SoftMax_single_and_LogSoftMax(testparams, name):
    """Lines 516-539 (``cudnntest.SoftMax_single``) and 541-564 (``cudnntest.LogSoftMax``): the same lines."""
    scale = None
    bs = random.randint(1, 32)
    sz = random.randint(1, 64)
    input = cuda(lg.randn(bs, sz))
    gradOutput = cuda(lg.randn(bs, sz))

    sconv = cuda(getattr(nn, name)())
    gconv = cast(getattr(cudnn, name)())

    # serialize and deserialize
    gconv = lg.deserialize(lg.serialize(gconv))

    testLayer(sconv, gconv, input, gradOutput, scale, False, True)
    testLayer(sconv, gconv, input, gradOutput, scale, False, False)
    _convert_and_retest(sconv, gconv, input, gradOutput, scale, False)


def test_SpatialLogSoftMax(testparams):
    """Lines 566-596: per pixel against nn.LogSoftMax over the planes. The loop's ``input[{{}, {}, {i}, {j}}]``
    is ``input[:, :, i - 1:i, j - 1:j]`` (0-based); the criterion-like ``forward(input, target)`` of a module
    takes one argument in legonn: the target goes (Lua ignores it; docs/porting.md)."""
    numLabels = random.randint(5, 10)
    h = random.randint(5, 10)
    w = random.randint(5, 10)
    bsz = random.randint(3, 7)
    input = cuda(lg.zeros(bsz, numLabels, h, w).normal())
    target = cuda(lg.zeros(bsz, numLabels, h, w).normal())

    cri = cast(cudnn.SpatialLogSoftMax())
    gcri = cuda(nn.LogSoftMax())

    op = cri.forward(cast(input))
    gi = cri.backward(cast(input), cast(target))

    gop = op.clone().zero()
    ggi = gi.clone().zero()

    for i in range(1, h + 1):
        for j in range(1, w + 1):
            i1 = input[:, :, i - 1:i, j - 1:j].contiguous().squeeze()
            t1 = target[:, :, i - 1:i, j - 1:j].contiguous().squeeze()
            gop1 = gcri.forward(i1)
            ggi1 = gcri.backward(i1, t1)
            gop[:, :, i - 1:i, j - 1:j].copy(gop1)
            ggi[:, :, i - 1:i, j - 1:j].copy(ggi1)
    err = (gi - cast(ggi)).abs().max()
    mytester.assertlt(err, testparams['precision_backward'],
                      'error in difference between central difference and :backward')
    err = (op - cast(gop)).abs().max()
    mytester.assertlt(err, testparams['precision_backward'],
                      'error in difference between central difference and :backward')


def test_VolumetricLogSoftMax(testparams):
    """Lines 598-634, as SpatialLogSoftMax over (t, h, w); sizes 5..10 shrunk to 2..4 (the Lua's ~1000
    positions, each a forward and backward, take seconds)."""
    numLabels = random.randint(5, 10)
    t = random.randint(2, 4)            # 5..10
    h = random.randint(2, 4)            # 5..10
    w = random.randint(2, 4)            # 5..10
    bsz = random.randint(3, 7)
    input = cuda(lg.zeros(bsz, numLabels, t, h, w).normal())
    target = cuda(lg.zeros(bsz, numLabels, t, h, w).normal())

    cri = cast(cudnn.VolumetricLogSoftMax())
    gcri = cuda(nn.LogSoftMax())

    op = cri.forward(cast(input))
    gi = cri.backward(cast(input), cast(target))

    gop = op.clone().zero()
    ggi = gi.clone().zero()

    for i in range(1, t + 1):
        for j in range(1, h + 1):
            for k in range(1, w + 1):
                i1 = input[:, :, i - 1:i, j - 1:j, k - 1:k].contiguous().squeeze()
                t1 = target[:, :, i - 1:i, j - 1:j, k - 1:k].contiguous().squeeze()
                gop1 = gcri.forward(i1)
                ggi1 = gcri.backward(i1, t1)
                gop[:, :, i - 1:i, j - 1:j, k - 1:k].copy(gop1)
                ggi[:, :, i - 1:i, j - 1:j, k - 1:k].copy(ggi1)
    err = (gi - cast(ggi)).abs().max()
    mytester.assertlt(err, testparams['precision_backward'],
                      'error in difference between central difference and :backward')
    err = (op - cast(gop)).abs().max()
    mytester.assertlt(err, testparams['precision_backward'],
                      'error in difference between central difference and :backward')


def testBatchNormalization(moduleName, inputSize):
    """Lines 636-694."""
    testparams = Suite.testparams
    input = cuda(lg.randn(*inputSize))
    gradOutput = cuda(lg.randn(*inputSize))
    cbn = cast(getattr(cudnn, moduleName)(inputSize[1], 1e-3))
    gbn = cuda(getattr(nn, moduleName)(inputSize[1], 1e-3))
    cbn.weight.copy(gbn.weight)
    cbn.bias.copy(gbn.bias)

    def testFWDBWD(cbn, gbn):
        cbn.training()
        gbn.training()
        mytester.asserteq(cbn.running_mean.mean(), 0, 'error on BN running_mean init')
        mytester.asserteq(cbn.running_var.mean(), 1, 'error on BN running_var init')
        rescuda = cbn.forward(cast(input))
        groundtruth = gbn.forward(input)
        resgrad = cbn.backward(cast(input), cast(gradOutput))
        groundgrad = gbn.backward(input, gradOutput)

        error = rescuda.float() - groundtruth.float()
        mytester.assertlt(error.abs().max(), testparams['precision_forward'],
                          'error in batch normalization (forward) ')
        error = resgrad.float() - groundgrad.float()
        mytester.assertlt(error.abs().max(), testparams['precision_backward'],
                          'error in batch normalization (backward) ')
        error = cbn.running_mean.float() - gbn.running_mean.float()
        mytester.assertlt(error.abs().max(), testparams['precision_forward'],
                          'error in batch normalization (running_mean) ')
        error = cbn.running_var.float() - gbn.running_var.float()
        mytester.assertlt(error.abs().max(), testparams['precision_forward'],
                          'error in batch normalization (running_var) ')

    def testFWD(cbn, gbn):
        cbn.evaluate()
        gbn.evaluate()
        rescuda = cbn.forward(cast(input))
        groundtruth = gbn.forward(input)

        error = rescuda.float() - groundtruth.float()
        mytester.assertlt(error.abs().max(), testparams['precision_forward'],
                          'error in batch normalization (forward) ')

    testFWDBWD(cbn, gbn)
    testFWD(cbn, gbn)
    if testparams['test_type'] in ('torch.CudaTensor', 'torch.FloatTensor'):
        cudnn2nn = cast(cudnn.convert(cbn.clone(), nn))
        mytester.asserteq(lg.typename(cudnn2nn), 'nn.' + moduleName, 'cudnn to nn')
        testFWD(cudnn2nn, gbn)
        nn2cudnn = cast(cudnn.convert(gbn.clone(), cudnn))
        mytester.asserteq(lg.typename(nn2cudnn), 'cudnn.' + moduleName, 'cudnn to nn')
        testFWD(nn2cudnn, gbn)


testBatchNormalization.__test__ = False   # the Lua's helper: pytest is not to collect it


@pytest.mark.parametrize('moduleName, size', [
    ('BatchNormalization', lambda: [random.randint(2, 32), random.randint(16, 256)]),                 # 696-702
    ('SpatialBatchNormalization', lambda: [random.randint(1, 32), random.randint(1, 32),              # 704-712
                                           random.randint(5, 10), random.randint(5, 10)]),
    ('VolumetricBatchNormalization', lambda: [random.randint(1, 32), random.randint(1, 32),           # 714-723
                                              random.randint(2, 6), random.randint(2, 6), random.randint(2, 6)]),
])
def test_BatchNormalization_family(testparams, moduleName, size):
    """Lines 696-723 (``cudnntest.BatchNormalization``, ``.SpatialBatchNormalization``,
    ``.VolumetricBatchNormalization``), the Lua's sizes."""
    testBatchNormalization(moduleName, size())


def test_SpatialCrossEntropyCriterion(testparams):
    """Lines 725-758 (CudaTensor only in the Lua; the CPU types run it too). The target's labels are 0-based:
    ``random(1, numLabels)`` is ``random(0, numLabels)`` (legonn's ``random(a, b)`` stops before b)."""
    if testparams['test_type'] not in ('torch.CudaTensor', 'torch.FloatTensor', 'torch.DoubleTensor'):
        return
    # batch
    numLabels = random.randint(5, 10)
    h = random.randint(5, 10)
    w = random.randint(5, 10)
    bsz = random.randint(3, 7)
    input = cuda(lg.zeros(bsz, numLabels, h, w).normal())
    target = cuda(lg.Tensor(bsz, h, w).random(0, numLabels))

    cri = cast(cudnn.SpatialCrossEntropyCriterion())
    gcri = cuda(nn.CrossEntropyCriterion())

    op = cri.forward(cast(input), cast(target))
    gi = cri.backward(cast(input), cast(target))

    ggi = gi.clone().zero()

    for i in range(1, h + 1):
        for j in range(1, w + 1):
            i1 = input[:, :, i - 1:i, j - 1:j].contiguous().squeeze()
            t1 = target[:, i - 1:i, j - 1:j].contiguous().squeeze()
            gop1 = gcri.forward(i1, t1)
            ggi1 = gcri.backward(i1, t1)
            ggi[:, :, i - 1:i, j - 1:j].copy(ggi1)

    # nn.CrossEntropy in contrast to cudnn.SpatialCrossEntropyCriterion cannot
    # average over the last spatial dimensions because it is run in a loop
    ggi.div(h * w)

    err = (gi - ggi).abs().max()
    mytester.assertlt(err, testparams['precision_backward'],
                      'error in difference between central difference and :backward')


def test_VolumetricCrossEntropyCriterion(testparams):
    """Lines 760-798 (CudaTensor only in the Lua; the CPU types too); t, h, w 5..10 shrunk to 2..4."""
    if testparams['test_type'] not in ('torch.CudaTensor', 'torch.FloatTensor', 'torch.DoubleTensor'):
        return
    # batch
    numLabels = random.randint(5, 10)
    t = random.randint(2, 4)            # 5..10
    h = random.randint(2, 4)            # 5..10
    w = random.randint(2, 4)            # 5..10
    bsz = random.randint(3, 7)
    input = cuda(lg.zeros(bsz, numLabels, t, h, w).normal())
    target = cuda(lg.Tensor(bsz, t, h, w).random(0, numLabels))

    cri = cast(cudnn.VolumetricCrossEntropyCriterion())
    gcri = cuda(nn.CrossEntropyCriterion())

    op = cri.forward(cast(input), cast(target))
    gi = cri.backward(cast(input), cast(target))

    ggi = gi.clone().zero()

    for i in range(1, t + 1):
        for j in range(1, h + 1):
            for k in range(1, w + 1):
                i1 = input[:, :, i - 1:i, j - 1:j, k - 1:k].contiguous().squeeze()
                t1 = target[:, i - 1:i, j - 1:j, k - 1:k].contiguous().squeeze()
                gop1 = gcri.forward(i1, t1)
                ggi1 = gcri.backward(i1, t1)
                ggi[:, :, i - 1:i, j - 1:j, k - 1:k].copy(ggi1)

    # nn.CrossEntropy in contrast to cudnn.VolumetricCrossEntropyCriterion cannot
    # average over the last spatial dimensions because it is run in a loop
    ggi.div(t * h * w)

    err = (gi - ggi).abs().max()
    mytester.assertlt(err, testparams['precision_backward'],
                      'error in difference between central difference and :backward')


def test_functional_bias2D(testparams):
    """Lines 801-834."""
    bs = random.randint(1, 4)           # 1..32
    from_ = random.randint(1, 8)        # 1..32
    to = random.randint(1, 8)           # 1..64
    ki = random.randint(1, 5)           # 1..15
    kj = random.randint(1, 5)
    si = random.randint(1, ki)
    sj = random.randint(1, kj)
    outi = random.randint(1, 8)         # 1..64
    outj = random.randint(1, 8)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    scale = lg.uniform()
    input = cast(lg.zeros(bs, from_, inj, ini))
    mod = cast(cudnn.SpatialConvolution(from_, to, ki, kj, si, sj))
    mod.weight.zero()
    groundtruth = mod.forward(input)
    result = groundtruth.clone().zero()
    cudnn.functional.bias2D_updateOutput(cudnn.getHandle(), mod.bias, result)
    error = result.float() - groundtruth.float()
    mytester.assertlt(error.abs().max(), testparams['precision_forward'], 'error on forward ')

    mod.zeroGradParameters()
    gradOutput = cast(groundtruth.clone().double().normal())
    mod.backward(input, gradOutput, scale)
    groundtruth = mod.gradBias
    result = groundtruth.clone().zero()
    cudnn.functional.bias2D_accGradParameters(cudnn.getHandle(), gradOutput, result, scale)
    error = result.float() - groundtruth.float()
    mytester.assertlt(error.abs().max(), testparams['precision_backward'], 'error on accGradParameters ')


def test_functional_convolution2d(testparams):
    """Lines 836-866."""
    a = cast(cudnn.SpatialConvolution(3, 16, 5, 5))
    a.bias.zero()
    input = cast(lg.randn(10, 3, 10, 10))
    a.zeroGradParameters()
    a.forward(input)
    output = cast(a.output.clone().double().normal())
    gradOutput = cast(a.output.clone().double().normal())
    gradInput = cast(a.backward(input, gradOutput).clone().double().normal())
    gradWeight = cast(a.gradWeight.clone().zero())
    cudnn.functional.Convolution2D_updateOutput(cudnn.getHandle(), input, a.weight, output, a.dH, a.dW,
                                                a.padH, a.padW)
    mytester.assertlt((output - a.output).abs().max(), testparams['precision_forward'], 'error on forward ')

    cudnn.functional.Convolution2D_updateGradInput(cudnn.getHandle(), input, a.weight, output, gradOutput,
                                                   gradInput, a.dH, a.dW, a.padH, a.padW)
    mytester.assertlt((gradInput - a.gradInput).abs().max(), testparams['precision_forward'],
                      'error on updateGradInput ')

    cudnn.functional.Convolution2D_accGradParameters(cudnn.getHandle(), input, gradWeight, gradOutput,
                                                     a.dH, a.dW, a.padH, a.padW)
    mytester.assertlt((gradWeight - a.gradWeight).abs().max(), testparams['precision_forward'],
                      'error on accGradParameters ')


def test_functional_maxpooling2d(testparams):
    """Lines 868-887."""
    a = cast(cudnn.SpatialMaxPooling(2, 2, 2, 2))
    input = cast(lg.randn(10, 3, 10, 10))
    a.forward(input)
    output = cast(a.output.clone().double().normal())
    gradOutput = cast(a.output.clone().double().normal())
    gradInput = cast(a.backward(input, gradOutput).clone().double().normal())
    cudnn.functional.MaxPooling2D_updateOutput(cudnn.getHandle(), input, output, a.kH, a.kW, a.dH, a.dW,
                                               a.padH, a.padW)
    mytester.assertlt((output - a.output).abs().max(), testparams['precision_forward'], 'error on forward ')

    cudnn.functional.MaxPooling2D_updateGradInput(cudnn.getHandle(), input, output, gradOutput, gradInput,
                                                  a.kH, a.kW, a.dH, a.dW, a.padH, a.padW)
    mytester.assertlt((gradInput - a.gradInput).abs().max(), testparams['precision_forward'],
                      'error on updateGradInput ')


def test_functional_activation(mode, module):
    """Lines 890-904 (CudaTensor whatever the type, as the Lua)."""
    a = cuda(module)
    input = cuda(lg.randn(10, 12))
    a.forward(input)
    output = a.output.clone().normal()
    gradOutput = a.output.clone().normal()
    gradInput = a.updateGradInput(input, gradOutput).clone().normal()
    getattr(cudnn.functional, mode['forward'])(cudnn.getHandle(), input, output)
    mytester.assertlt((output - a.output).abs().max(), Suite.testparams['precision_forward'], 'error on forward ')
    getattr(cudnn.functional, mode['backward'])(cudnn.getHandle(), input, output, gradOutput, gradInput)
    mytester.assertlt((gradInput - a.gradInput).abs().max(), Suite.testparams['precision_forward'],
                      'error on updateGradInput ')


test_functional_activation.__test__ = False   # the Lua's helper: pytest is not to collect it


@pytest.mark.parametrize('name', ['ReLU', 'Tanh', 'Sigmoid', 'LogSoftMax', 'SoftMax'])
def test_functional_pointwise(testparams, name):
    """Lines 906-939 (``cudnntest.functional_relu`` ... ``functional_softmax``)."""
    test_functional_activation({'forward': f'{name}_updateOutput', 'backward': f'{name}_updateGradInput'},
                               getattr(cudnn, name)())


def test_runner_settings():
    """Lines 941-957, the runner's settings before its loop: the flags, ``cudnn.find``'s, the half type's math
    (``configureMath``, read back by ``configmap`` in line 963's print) and the benchmark/fastest choices of the
    loop; each is recorded and changes no result (tests/conftest.py puts them back). ``tostring(math.random(0, 1))``
    makes ``fastest`` the string '0' or '1' in Lua, both true there as any string: ``str(random.randint(0, 1))``."""
    cudnn.verbose = False
    cudnn.find.verbose = False
    # this is the default, keep it for demo of 16->32 bit float fallback
    cudnn.find.verboseFallback = True
    cudnn.useFindEx = False
    cudnn.configureMath({'torch.CudaHalfTensor': 'CUDNN_DATA_FLOAT'})
    mytester.asserteq(cudnn.configmap('torch.CudaHalfTensor'), 'CUDNN_DATA_FLOAT')
    mytester.asserteq(cudnn.configmap('torch.CudaTensor'), 'CUDNN_DATA_FLOAT')
    for benchmark in (True, False):
        cudnn.benchmark = benchmark
        # use random fastest() test for non-benchmark case
        if not benchmark:
            cudnn.fastest = str(random.randint(0, 1))
    cudnn.configureMath()
    mytester.asserteq(cudnn.configmap('torch.CudaHalfTensor'), 'CUDNN_DATA_HALF')
    with pytest.raises(ValueError, match=r"cudnn.configureMath: expected .* got 'torch.CudaHalfTensor': 'half'"):
        cudnn.configureMath({'torch.CudaHalfTensor': 'half'})
    mytester.asserteq(cudnn.configmap('torch.CudaHalfTensor'), 'CUDNN_DATA_HALF')


def test_module_forward_takes_the_input_alone():
    """docs/porting.md's row for lines 579-580: ``cri:forward(cast(input), cast(target))`` on a module, whose
    target Lua drops; the port calls ``forward(input)``, which gives what the Lua computes, and legonn refuses the
    extra argument rather than ignore it."""
    cri = cudnn.SpatialLogSoftMax()
    input, target = lg.randn(2, 3, 2, 2), lg.randn(2, 3, 2, 2)
    with pytest.raises(TypeError):
        cri.forward(input, target)
    mytester.assertTensorEq(cri.forward(input), nn.SpatialLogSoftMax().forward(input), 1e-6)
