"""captionGeneration.torch's SpatialAttentivePooling.lua: soft attention over the positions of feature maps
(SpatialAttentivePooling) and a recurrent spatial soft attention step (RSSA) wrapped in recurrent.torch's
RecurrentContainer. ``require 'cudnn'`` is legonn's cudnn namespace (its SpatialConvolution runs on the CPU too)."""
import legonn as lg
from legonn import cudnn, nn

from ..recurrent_torch import RecurrentContainer


def SpatialAttentivePooling(iM):
    attention = nn.Sequential()
    attention.add(cudnn.SpatialConvolution(iM, 1, 1, 1))
    attention.add(nn.View(-1).setNumInputDims(3))
    attention.add(nn.SoftMax())
    attention.add(nn.Replicate(iM, 0, 1))
    tbl = nn.ConcatTable().add(attention).add(nn.View(iM, -1).setNumInputDims(3))
    m = nn.Sequential().add(tbl).add(nn.CMulTable()).add(nn.Sum(1, 2))
    return m


def RSSA(inputSize, outputSize, iW, iH):  # Recurrent Spatial Soft attention
    # there will be 2 input: {input, state}
    input = nn.Identity()()
    state = nn.Identity()()
    expandedVec = nn.Replicate(iW, 2, 2)(nn.Replicate(iH, 1, 1)(state))
    x = nn.JoinTable(0, 3)([input, expandedVec])
    xConved = cudnn.SpatialConvolution(inputSize + outputSize, outputSize, 1, 1)(x)
    pooled = SpatialAttentivePooling(outputSize)(xConved)

    rnnModule = nn.gModule([input, state], [pooled, nn.Identity()(pooled)])

    return RecurrentContainer({
        'rnnModule': rnnModule,
        'initState': lg.zeros(1, outputSize),
        'name': 'nn.RSSA(' + lg.tostring(inputSize) + 'x' + lg.tostring(iW) + 'x' + lg.tostring(iH) + ' -> '
                + lg.tostring(outputSize) + ', ' + lg.tostring(outputSize) + ')'
    })
