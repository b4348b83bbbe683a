"""soumith/cudnn.torch's test/test_1x1conv.lua, ported line by line: cudnn.SpatialConvolution with a 1x1 kernel
against nn.SpatialConvolutionMM, forward and backward, at the file's tolerances and sizes.

The Lua runs on CudaTensor; legonn's classes run on the CPU too, so each test runs once in FloatTensor (the
Lua's default; ``:cuda()`` leaves a module or tensor on the CPU there) and once as a GPU test in CudaTensor. The
edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is ``.``, ``math.random(a, b)`` is
``random.randint(a, b)`` (seeded by the ``lua_math_random`` fixture where the Lua seeds it with ``os.time()``);
``cutorch.synchronize()`` (legonn's calls return when done) and the runner's loop over devices are left out."""
import random

import pytest

import legonn as lg
from legonn import cudnn, nn

pytestmark = pytest.mark.usefixtures('lua_math_random')

precision_forward = 1e-4
precision_backward = 1e-2
mytester = lg.Tester()
mytester.setRethrowErrors(True)

DEVICES = ['cpu', pytest.param('cuda', marks=pytest.mark.gpu)]


def _cuda(device):
    """The Lua's ``:cuda()``: to CudaTensor on the GPU runs, nothing on the CPU ones."""
    return (lambda x: x.cuda()) if device == 'cuda' else (lambda x: x)


@pytest.mark.parametrize('device', DEVICES)
def test_SpatialConvolution_forward_batch(device):
    """Lines 13-38."""
    cuda = _cuda(device)
    bs = random.randint(1, 32)
    from_ = random.randint(1, 32)
    to = random.randint(1, 64)
    ki = 1   # math.random(1,1)
    kj = 1   # math.random(1,1)
    si = 1   # not supported by CPU version yet
    sj = si
    outi = random.randint(1, 64)
    outj = random.randint(1, 64)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj

    input = cuda(lg.randn(bs, from_, inj, ini))
    sconv = cuda(nn.SpatialConvolutionMM(from_, to, ki, kj, si, sj))
    groundtruth = sconv.forward(input)
    gconv = cuda(cudnn.SpatialConvolution(from_, to, ki, kj, si, sj))
    gconv.weight.copy(sconv.weight)
    gconv.bias.copy(sconv.bias)
    rescuda = gconv.forward(input)
    error = rescuda.float() - groundtruth.float()
    mytester.assertlt(error.abs().max(), precision_forward, 'error on state (forward) ')


@pytest.mark.parametrize('device', DEVICES)
def test_SpatialConvolution_backward_batch(device):
    """Lines 41-82 (the Lua runs ``gconv:forward(input)`` twice; so does the port)."""
    cuda = _cuda(device)
    bs = random.randint(1, 32)
    from_ = random.randint(1, 32)
    to = random.randint(1, 64)
    ki = 1   # math.random(1,1)
    kj = 1   # math.random(1,1)
    si = 1   # not supported by CPU version yet
    sj = si
    outi = random.randint(1, 64)
    outj = random.randint(1, 64)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj

    input = cuda(lg.randn(bs, from_, inj, ini))
    gradOutput = cuda(lg.randn(bs, to, outj, outi))
    sconv = cuda(nn.SpatialConvolutionMM(from_, to, ki, kj, si, sj))
    sconv.forward(input)
    sconv.zeroGradParameters()
    groundgrad = sconv.backward(input, gradOutput)
    groundweight = sconv.gradWeight
    groundbias = sconv.gradBias

    gconv = cuda(cudnn.SpatialConvolution(from_, to, ki, kj, si, sj))
    gconv.weight.copy(sconv.weight)
    gconv.bias.copy(sconv.bias)
    gconv.forward(input)

    gconv.forward(input)
    gconv.zeroGradParameters()
    rescuda = gconv.backward(input, gradOutput)
    weightcuda = gconv.gradWeight
    biascuda = gconv.gradBias

    error = rescuda.float() - groundgrad.float()
    werror = weightcuda.float() - groundweight.float()
    berror = biascuda.float() - groundbias.float()

    mytester.assertlt(error.abs().max(), precision_backward, 'error on state (backward) ')
    mytester.assertlt(werror.abs().max(), precision_backward, 'error on weight (backward) ')
    mytester.assertlt(berror.abs().max(), precision_backward, 'error on bias (backward) ')
