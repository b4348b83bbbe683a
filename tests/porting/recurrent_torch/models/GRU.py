"""recurrent.torch's models/GRU.lua (adapted from karpathy/char-rnn's GRU.lua): a GRU step {input, state} ->
{state, state}."""
import legonn as lg
from legonn import nn

from .. import rnnModules


# Creates one timestep of one GRU
# Paper reference: http://arxiv.org/pdf/1412.3555v1.pdf
def GRU(inputSize, outputSize, initWeights=None):
    # there will be 2 input: {input, state}
    initWeights = initWeights if initWeights is not None else 0.08  # Lua's `or`: a 0 given stays 0
    input = nn.Identity()()
    state = nn.Identity()()

    # GRU tick
    # forward the update and reset gates
    input_state = nn.JoinTable(0, 1)([input, state])
    gates = nn.Sigmoid()(nn.Linear(inputSize + outputSize, 2 * outputSize)(input_state))
    update_gate, reset_gate = nn.SplitTable(0, 2)(nn.Reshape(2, outputSize)(gates)).split(2)

    # compute candidate hidden state
    gated_hidden = nn.CMulTable()([reset_gate, state])
    input_gHidden = nn.JoinTable(0, 1)([input, gated_hidden])
    hidden_candidate = nn.Tanh()(nn.Linear(inputSize + outputSize, outputSize)(input_gHidden))
    # compute new interpolated hidden state, based on the update gate
    zh = nn.CMulTable()([update_gate, hidden_candidate])
    zhm1 = nn.CMulTable()([nn.AddConstant(1, False)(nn.MulConstant(-1, False)(update_gate)), state])
    nextState = nn.CAddTable()([zh, zhm1])

    rnnModule = nn.gModule([input, state], [nextState, nn.Identity()(nextState)])

    def init(m):  # initialize recurrent weights
        if m.weight is not None:
            m.weight.uniform(-initWeights, initWeights)
        if m.bias is not None:
            m.bias.uniform(-initWeights, initWeights)
    rnnModule.apply(init)
    return {
        'rnnModule': rnnModule,
        'initState': lg.zeros(1, outputSize),
        'name': 'nn.GRU(' + lg.tostring(inputSize) + ' -> ' + lg.tostring(outputSize) + ', '
                + lg.tostring(outputSize) + ')'
    }


rnnModules['GRU'] = GRU
