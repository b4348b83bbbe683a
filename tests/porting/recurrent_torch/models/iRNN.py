"""recurrent.torch's models/iRNN.lua: a ReLU RNN step whose recurrent weights start as the identity."""
import legonn as lg
from legonn import nn

from .. import rnnModules


def iRNN(inputSize, outputSize):
    linear = nn.Linear(inputSize + outputSize, outputSize)
    linear.weight.narrow(1, inputSize, outputSize).copy(lg.eye(outputSize))
    linear.bias.zero()
    rnn = nn.Sequential()
    rnn.add(nn.JoinTable(1))
    rnn.add(linear)
    rnn.add(nn.ReLU())
    rnn.add(nn.ConcatTable().add(nn.Identity()).add(nn.Identity()))
    return {
        'rnnModule': rnn,
        'initState': lg.zeros(1, outputSize),
        'name': 'nn.iRNN(' + lg.tostring(inputSize) + ' -> ' + lg.tostring(outputSize) + ', '
                + lg.tostring(outputSize) + ')'
    }


rnnModules['iRNN'] = iRNN
