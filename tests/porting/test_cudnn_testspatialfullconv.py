"""soumith/cudnn.torch's test/test_spatialFullConv.lua, ported line by line: cudnn.SpatialFullConvolution against
nn.SpatialFullConvolution (output, gradInput of an MSECriterion's gradient, gradBias, gradWeight) for eight
geometries with padding and output adjustment, at the file's tolerances.

The Lua runs on CudaTensor; legonn's classes run on the CPU too, so the port runs once in FloatTensor (the
default, as the Lua sets it; ``:cuda()`` leaves a module or tensor on the CPU there) and once as a GPU test in
CudaTensor. The edits are docs/porting.md's (``torch.`` is ``lg.``, ``:`` is ``.``); the progress ``print`` of
each geometry and the runner's loop over devices (``cutorch.setDevice(i)`` for each) are left out."""
import pytest

import legonn as lg
from legonn import cudnn, nn

precision_forward = 1e-4
precision_backward = 1e-2
mytester = lg.Tester()
mytester.setRethrowErrors(True)


def testSpatialFullConv(cuda, imageWidth, imageHeight, nPlanesIn, nPlanesOut, kW, kH, dW, dH, padW, padH, adjW,
                        adjH):
    """Lines 13-72; ``cuda`` is ``:cuda()``."""
    layerInput = cuda(lg.randn(1, nPlanesIn, imageHeight, imageWidth))

    modelGT = nn.SpatialFullConvolution(nPlanesIn, nPlanesOut, kW, kH, dW, dH, padW, padH, adjW, adjH)
    modelCUDNN = cudnn.SpatialFullConvolution(nPlanesIn, nPlanesOut, kW, kH, dW, dH, padW, padH, adjW, adjH)
    modelCUDNN.weight.copy(modelGT.weight)
    modelCUDNN.bias.copy(modelGT.bias)

    cuda(modelGT)
    cuda(modelCUDNN)

    outputGT = modelGT.forward(layerInput)
    outputCUDNN = modelCUDNN.forward(layerInput)

    errorOutput = outputCUDNN.float() - outputGT.float()
    mytester.assertlt(errorOutput.abs().max(), precision_forward, 'error on state (forward) ')

    # Now check the backwards diffs
    crit = nn.MSECriterion()
    cuda(crit)
    target = outputGT.clone()
    target.zero()
    cuda(target)

    crit.forward(outputGT, target)   # the Lua keeps the loss in an unused local f
    df_do = crit.backward(outputGT, target)

    gradCUDNN = modelCUDNN.updateGradInput(layerInput, df_do)
    gradGT = modelGT.updateGradInput(layerInput, df_do)
    errorGradInput = gradCUDNN.float() - gradGT.float()
    mytester.assertlt(errorGradInput.abs().max(), precision_backward, 'error on grad input (backward) ')

    modelCUDNN.zeroGradParameters()
    modelCUDNN.accGradParameters(layerInput, df_do, 1.0)
    modelGT.zeroGradParameters()
    modelGT.accGradParameters(layerInput, cuda(df_do), 1.0)

    errorGradBias = (modelCUDNN.gradBias - modelGT.gradBias)
    mytester.assertlt(errorGradBias.abs().max(), precision_backward, 'error on grad bias (backward) ')

    errorGradWeight = (modelCUDNN.gradWeight - modelGT.gradWeight)
    mytester.assertlt(errorGradWeight.abs().max(), precision_backward, 'error on grad weight (backward) ')


testSpatialFullConv.__test__ = False   # the Lua's helper: pytest is not to collect it


@pytest.mark.parametrize('device', ['cpu', pytest.param('cuda', marks=pytest.mark.gpu)])
def test_SpatialConvolution_params(device):
    """Lines 74-84: with a wide variety of different parameter values."""
    def cuda(x):
        return x.cuda() if device == 'cuda' else x

    lg.setdefaulttensortype('torch.FloatTensor')
    testSpatialFullConv(cuda, 5, 5, 1, 1, 3, 3, 2, 2, 0, 0, 0, 0)
    testSpatialFullConv(cuda, 5, 5, 1, 1, 3, 3, 2, 2, 1, 1, 0, 0)
    testSpatialFullConv(cuda, 5, 7, 1, 1, 3, 1, 2, 2, 1, 1, 0, 0)
    testSpatialFullConv(cuda, 7, 5, 1, 1, 3, 1, 1, 1, 1, 1, 0, 0)
    testSpatialFullConv(cuda, 8, 5, 3, 1, 3, 3, 2, 2, 1, 1, 0, 0)
    testSpatialFullConv(cuda, 5, 5, 1, 3, 3, 3, 2, 2, 1, 1, 0, 0)
    testSpatialFullConv(cuda, 5, 5, 5, 3, 3, 3, 2, 2, 1, 1, 1, 1)
    testSpatialFullConv(cuda, 9, 9, 3, 3, 3, 5, 2, 3, 0, 1, 1, 0)
