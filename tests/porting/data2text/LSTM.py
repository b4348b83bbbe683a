"""onmt/modules/LSTM.lua of harvardnlp/data2text: OpenNMT's stacked LSTM step (tests/porting/test_opennmt_modules.py)
with data2text's changes: h2h has no bias, i2h's forget-gate bias is set to 2 after initialisation, and
``doubleOutput`` doubles the hidden size of the last layer."""
from legonn import nn
from tests.porting.test_opennmt_modules import LSTM as OnmtLSTM
from tests.porting.test_opennmt_modules import Network


class LSTM(OnmtLSTM):
    def __init__(self, layers, inputSize, hiddenSize, dropout=None, residual=None, doubleOutput=None):
        dropout = dropout if dropout is not None else 0
        self.dropout = dropout
        self.numEffectiveLayers = 2 * layers
        self.outputSize = hiddenSize
        Network.__init__(self, self._buildModel(layers, inputSize, hiddenSize, dropout, residual, doubleOutput))

    def _buildModel(self, layers, inputSize, hiddenSize, dropout, residual, doubleOutput=None):
        inputs = []
        outputs = []
        for _ in range(layers):
            inputs.append(nn.Identity()())   # c0: batchSize x hiddenSize
            inputs.append(nn.Identity()())   # h0: batchSize x hiddenSize
        inputs.append(nn.Identity()())       # x: batchSize x inputSize
        x = inputs[len(inputs) - 1]
        prevInput = nextC = nextH = None
        for L in range(1, layers + 1):       # the layer number, kept 1-based as in the Lua
            if L == 1:
                input = x
                inputDim = inputSize
            else:
                inputDim = hiddenSize
                input = nextH
                if residual and (L > 2 or inputSize == hiddenSize):
                    input = nn.CAddTable()([input, prevInput])
                if dropout > 0:
                    input = nn.Dropout(dropout)(input)
            prevC = inputs[L * 2 - 2]
            prevH = inputs[L * 2 - 1]
            hidMult = 1
            if L == layers and doubleOutput:
                hidMult = 2
            nextC, nextH = self._buildLayer(inputDim, hidMult * hiddenSize)([prevC, prevH, input]).split(2)
            prevInput = input
            outputs.append(nextC)
            outputs.append(nextH)
        return nn.gModule(inputs, outputs)

    def _buildLayer(self, inputSize, hiddenSize):
        inputs = [nn.Identity()(), nn.Identity()(), nn.Identity()()]
        prevC, prevH, x = inputs[0], inputs[1], inputs[2]
        i2hlin = nn.Linear(inputSize, 4 * hiddenSize)
        i2hlin.name = "i2h"

        def postParametersInitialization():
            print("setting forget gate bias to 2")
            i2hlin.bias.sub(hiddenSize, 2 * hiddenSize - 1).fill(2)
        i2hlin.postParametersInitialization = postParametersInitialization
        i2h = i2hlin(x)
        h2h = nn.Linear(hiddenSize, 4 * hiddenSize, False)(prevH)
        allInputSums = nn.CAddTable()([i2h, h2h])
        reshaped = nn.Reshape(4, hiddenSize)(allInputSums)   # batchsize x 4 x hiddenSize
        n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)   # length-4 table with batchSize x hiddenSize entries
        inGate = nn.Sigmoid()(n1)
        forgetGate = nn.Sigmoid()(n2)
        outGate = nn.Sigmoid()(n3)
        inTransform = nn.Tanh()(n4)
        nextC = nn.CAddTable()([nn.CMulTable()([forgetGate, prevC]), nn.CMulTable()([inGate, inTransform])])
        nextH = nn.CMulTable()([outGate, nn.Tanh()(nextC)])
        return nn.gModule(inputs, [nextC, nextH])
