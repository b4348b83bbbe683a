"""recurrent.torch's models/MultiLayerLSTM.lua (adapted from karpathy/char-rnn): n stacked LSTM layers in one
step module {{input, state}} -> {top h, state}, the state holding each layer's c and h side by side.

Its last lines name the module with ``outputSize``, a global nothing sets: Lua's ``..`` of that nil raises
"attempt to concatenate global 'outputSize' (a nil value)", so in Torch7 the function never returns (unless a
script sets a global outputSize). The port keeps the name, which raises a NameError likewise."""
import legonn as lg
from legonn import nn

from .. import rnnModules


# adapted from: https://github.com/karpathy/char-rnn
def MultiLayerLSTM(inputSize, hiddenSize, n=None, dropout=None, initWeights=None, forgetBias=None):
    dropout = dropout or 0
    n = n or 1
    initWeights = initWeights if initWeights is not None else 0.08  # Lua's `or`: a 0 given stays 0

    # there will be 2 input: {input, state}
    # where state is concatenated
    input = nn.Identity()()

    state = nn.SelectTable(1)(input)
    forgetGatesBiases = []
    newState = []

    x = inputSize_L = None
    output = []
    for L in range(1, n + 1):   # L counts layers (1..n), as the Lua's offsets are written with it
        # c,h from previos timesteps
        prev_c = nn.Narrow(1, 2 * (L - 1) * hiddenSize, hiddenSize)(state)
        prev_h = nn.Narrow(1, 2 * (L - 1) * hiddenSize + hiddenSize, hiddenSize)(state)
        # the input to this layer
        if L == 1:
            x = nn.SelectTable(0)(input)
            inputSize_L = inputSize
        else:
            x = newState[2 * (L - 1) - 1]
            if dropout > 0:
                x = nn.Dropout(dropout)(x)  # apply dropout, if any
            inputSize_L = hiddenSize
        # evaluate the input sums at once for efficiency
        i2h = nn.Linear(inputSize_L, 4 * hiddenSize)(x)
        h2h = nn.Linear(hiddenSize, 4 * hiddenSize, False)(prev_h)

        # remember forget gate biases for easy initialization
        forgetGatesBiases.append(i2h.data.module.bias.narrow(0, hiddenSize, hiddenSize))

        all_input_sums = nn.CAddTable()([i2h, h2h])
        reshaped = nn.Reshape(4, hiddenSize)(all_input_sums)

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

        newState.append(next_c)   # newState[2*L-1]
        newState.append(next_h)   # newState[2*L]

    # set up the decoder
    top_h = newState[-1]
    if dropout > 0:
        top_h = nn.Dropout(dropout)(top_h)
    model = nn.gModule([input], [top_h, nn.JoinTable(1)(newState)])

    def init(m):  # initialize recurrent weights
        if m.weight is not None:
            m.weight.uniform(-initWeights, initWeights)
        if m.bias is not None:
            m.bias.uniform(-initWeights, initWeights)
    model.apply(init)
    if forgetBias is not None:
        for fGateBias in forgetGatesBiases:
            fGateBias.fill(forgetBias)

    return {
        'rnnModule': model,
        'initState': lg.zeros(1, 2 * n * hiddenSize),
        'name': 'nn.MultiLayerLSTM(' + lg.tostring(inputSize) + ' -> ' + lg.tostring(outputSize) + ', '  # noqa: F821
                + lg.tostring(2 * n * outputSize) + ')'  # noqa: F821
    }


rnnModules['MultiLayerLSTM'] = MultiLayerLSTM
