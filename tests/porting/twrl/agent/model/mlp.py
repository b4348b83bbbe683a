"""src/agent/model/mlp.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line: the policy
network Linear - Tanh - Linear - SoftMax (or Tanh)."""
from legonn import nn


def getModel(opt=None):
    opt = opt or {}
    nInputs = opt.get('nInputs')
    nOutputs = opt.get('nOutputs')
    nHiddenLayerSize = opt.get('nHiddenLayerSize')
    outputType = opt.get('outputType') or 'categorical'
    finalLayer = outputType == 'categorical' and nn.SoftMax() or nn.Tanh()

    net = nn.Sequential() \
        .add(nn.Linear(nInputs, nHiddenLayerSize)) \
        .add(nn.Tanh()) \
        .add(nn.Linear(nHiddenLayerSize, nOutputs)) \
        .add(finalLayer)

    return {
        'net': net
    }
