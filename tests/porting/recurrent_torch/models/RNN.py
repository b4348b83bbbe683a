"""recurrent.torch's models/RNN.lua: a tanh RNN step {input, state} -> {state, state}."""
import legonn as lg
from legonn import nn

from .. import rnnModules


def RNN(inputSize, outputSize):
    linear = nn.Linear(inputSize + outputSize, outputSize)
    rnn = nn.Sequential()
    rnn.add(nn.JoinTable(0, 1))
    rnn.add(linear)
    rnn.add(nn.Tanh())
    rnn.add(nn.ConcatTable().add(nn.Identity()).add(nn.Identity()))
    return {
        'rnnModule': rnn,
        'initState': lg.zeros(1, outputSize),
        'name': 'nn.RNN(' + lg.tostring(inputSize) + ' -> ' + lg.tostring(outputSize) + ', '
                + lg.tostring(outputSize) + ')'
    }


rnnModules['RNN'] = RNN
