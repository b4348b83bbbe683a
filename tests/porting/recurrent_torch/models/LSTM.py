"""recurrent.torch's models/LSTM.lua (adapted from karpathy/char-rnn): an LSTM step {input, state} ->
{h, state}, the state being c and h side by side (batch x 2 outputSize)."""
import legonn as lg
from legonn import nn

from .. import rnnModules


# adapted from: https://github.com/karpathy/char-rnn
def LSTM(inputSize, outputSize, initWeights=None, forgetBias=None):
    forgetBias = forgetBias if forgetBias is not None else 1   # `forgetBias or 1`: a 0 given stays 0 (Lua's 0 is true)
    initWeights = initWeights if initWeights is not None else 0.08  # Lua's `or`: a 0 given stays 0
    # there will be 2 input: {input, state}
    # where state is concatenated
    input = nn.Identity()()
    state = nn.Identity()()

    # c,h from previos timesteps
    prev_c, prev_h = nn.SplitTable(0, 2)(nn.Reshape(2, outputSize)(state)).split(2)

    # evaluate the input sums at once for efficiency
    input_prev_h = nn.JoinTable(0, 1)([input, prev_h])
    all_input_sums = nn.Linear(inputSize + outputSize, 4 * outputSize)(input_prev_h)

    reshaped = nn.Reshape(4, outputSize)(all_input_sums)
    n1, n2, n3, n4 = nn.SplitTable(0, 2)(reshaped).split(4)
    # decode the gates
    in_gate = nn.Sigmoid()(n1)
    forget_gate = nn.Sigmoid()(n2)
    out_gate = nn.Sigmoid()(n3)
    # decode the write input
    in_transform = nn.Tanh()(n4)
    # perform the LSTM update
    next_c = nn.CAddTable()([
        nn.CMulTable()([forget_gate, prev_c]),
        nn.CMulTable()([in_gate, in_transform])
    ])
    # gated cells form the output
    next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])

    nextState = nn.JoinTable(1)([next_c, next_h])
    model = nn.gModule([input, state], [next_h, nextState])

    def init(m):  # initialize recurrent weights
        if m.weight is not None:
            m.weight.uniform(-initWeights, initWeights)
        if m.bias is not None:
            m.bias.uniform(-initWeights, initWeights)
    model.apply(init)
    if forgetBias is not None:
        all_input_sums.data.module.bias.narrow(0, outputSize, outputSize).fill(forgetBias)

    return {
        'rnnModule': model,
        'initState': lg.zeros(1, 2 * outputSize),
        'name': 'nn.LSTM(' + lg.tostring(inputSize) + ' -> ' + lg.tostring(outputSize) + ', '
                + lg.tostring(2 * outputSize) + ')'
    }


rnnModules['LSTM'] = LSTM
