"""recurrent.torch's Attention.lua: an attention module over an encoder's batch x T x eInputSize states, and the
AttentiveGRU / AttentiveLSTM step modules that feed an RNN its attended context (registered in rnnModules)."""
import legonn as lg
from legonn import nn

from . import rnnModules


def efficient1x1Conv(inputSize, outputDim, T):
    module = nn.Sequential()
    module.add(nn.View(-1, inputSize))
    module.add(nn.Linear(inputSize, outputDim))
    if outputDim == 1:
        module.add(nn.View(-1, T))
    else:
        module.add(nn.View(-1, T, outputDim))
    return module


def attention(T, eInputSize, dInputSize):
    h = nn.Identity()()  # h is 3 dimensional: batch x T x eInputSize
    dt = nn.Identity()()  # dt is 2 dimensional: batch x dInputSize
    W2dt = nn.Linear(dInputSize, eInputSize)(dt)
    W2dtRepeated = nn.Replicate(T, 1, 2)(W2dt)
    W1h = efficient1x1Conv(eInputSize, eInputSize, T)(h)  # nn.TemporalConvolution(eInputSize, eInputSize, 1, 1)(h)
    TanSum = nn.Tanh()(nn.CAddTable()([W1h, W2dtRepeated]))  # size: batch x T x eInputSize
    u = efficient1x1Conv(eInputSize, 1, T)(TanSum)  # size: batch x T
    a = nn.SoftMax()(u)  # size: batch x T
    weightedH = nn.CMulTable()([h, nn.Replicate(eInputSize, 1, 1)(a)])
    dtN = nn.Sum(0, 2)(weightedH)  # output size: batch x eInputSize
    return nn.gModule([h, dt], [dtN, a])


def AttentiveRecurrent(rnnModule, attentionModule):
    input = nn.Identity()()
    state = nn.Identity()()
    attnInput = nn.SelectTable(1)(input)
    rnnState = nn.SelectTable(0)(state)
    attnState = nn.SelectTable(1)(state)
    rnnInput = nn.JoinTable(0, 1)([nn.SelectTable(0)(input), attnState])
    rnnOutput, rnnNewState = rnnModule([rnnInput, rnnState]).split(2)
    attnNewState, attention = attentionModule([attnInput, rnnState])   # unpack(node)
    newState = nn.Identity()([rnnNewState, attnNewState])

    return nn.gModule([input, state], [rnnOutput, newState, attention])


def AttentiveGRU(inputSize, outputSize, attnSize, attnTime):
    config = rnnModules['GRU'](inputSize + attnSize, outputSize)
    aGRUModule = AttentiveRecurrent(config['rnnModule'], attention(attnTime, attnSize, outputSize))
    name = ('nn.AttentiveGRU({' + lg.tostring(inputSize) + ', ' + lg.tostring(attnTime) + ' x '
            + lg.tostring(attnSize) + '} -> ')
    name = name + lg.tostring(outputSize) + ', {' + lg.tostring(outputSize) + ', ' + lg.tostring(attnSize) + '})'
    return {
        'rnnModule': aGRUModule,
        'initState': [config['initState'], lg.zeros(1, attnSize)],
        'name': name
    }


def AttentiveLSTM(inputSize, outputSize, attnSize, attnTime):
    config = rnnModules['LSTM'](inputSize + attnSize, outputSize)
    aLSTM = AttentiveRecurrent(config['rnnModule'], attention(attnTime, attnSize, 2 * outputSize))
    name = ('nn.AttentiveLSTM({' + lg.tostring(inputSize) + ', ' + lg.tostring(attnTime) + ' x '
            + lg.tostring(attnSize) + '} -> ')
    name = name + lg.tostring(outputSize) + ', {' + lg.tostring(2 * outputSize) + ', ' + lg.tostring(attnSize) + '})'
    return {
        'rnnModule': aLSTM,
        'initState': [config['initState'], lg.zeros(1, attnSize)],
        'name': name
    }


rnnModules['AttentiveLSTM'] = AttentiveLSTM
rnnModules['AttentiveGRU'] = AttentiveGRU
