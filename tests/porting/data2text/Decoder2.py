"""onmt/modules/Decoder2.lua of harvardnlp/data2text, the -copy_generate decoder: data2text's Decoder
(Decoder.py) whose generator (CopyGenerator2) also reads the attention context, the last LSTM state and the
source words, with ``doubleOutput`` (a last LSTM layer twice as wide, its first half the attention's query) in
place of the attention scores, and no masking of padding (maskPadding is a no-op)."""
import legonn as lg
from legonn import nn
from tests.porting.test_opennmt_modules import (Sequencer, copyTensorTable, initTensorTable, reuseTensor,
                                                reuseTensorTable)

from .Decoder import Decoder
from .GlobalAttention import GlobalAttention


def copyTensorTableHalf(proto, src):
    """onmt/utils/Tensor.lua's: each src state into its proto, twice side by side where the proto is twice as
    wide."""
    tab = []
    assert len(proto) == len(src)
    for i in range(len(proto)):
        proto[i].resize(src[i].size(0), proto[i].size(1)).zero()   # unnecessary
        if src[i].size(1) < proto[i].size(1):
            assert proto[i].size(1) == src[i].size(1) * 2
            proto[i].narrow(1, 0, src[i].size(1)).copy(src[i])
            proto[i].narrow(1, src[i].size(1), src[i].size(1)).copy(src[i])
        elif src[i].size(1) == proto[i].size(1):
            proto[i].copy(src[i])
        else:
            assert False
        tab.append(proto[i])
    return tab


def getProtoSizes(batchSize, rnnSize, numEffectiveLayers, doubleOutput, forGradOut=None):
    if doubleOutput:
        sizes = []
        for i in range(numEffectiveLayers // 2 - 1):
            sizes.append([batchSize, rnnSize])
            sizes.append([batchSize, rnnSize])
        sizes.append([batchSize, 2 * rnnSize])
        sizes.append([batchSize, 2 * rnnSize])
        if forGradOut:
            sizes.append([batchSize, rnnSize])
    else:
        sizes = [batchSize, rnnSize]
    return sizes


class Decoder2(Decoder):
    def __init__(self, inputNetwork, rnn, generator, inputFeed, doubleOutput=None):
        self.rnn = rnn
        self.inputNet = inputNetwork
        self.args = {}
        self.args['rnnSize'] = self.rnn.outputSize
        self.args['numEffectiveLayers'] = self.rnn.numEffectiveLayers
        self.args['inputIndex'] = {}
        self.args['outputIndex'] = {}
        self.args['inputFeed'] = inputFeed
        self.args['doubleOutput'] = doubleOutput
        self.args['returnAttnScores'] = None   # (Decoder2.lua's forwardOne has no attention scores)
        Sequencer.__init__(self, self._buildModel())
        self.generator = generator
        self.add(self.generator)
        self.resetPreallocation()

    def _buildModel(self):
        inputs = []
        states = []
        for _ in range(self.args['numEffectiveLayers']):
            h0 = nn.Identity()()   # batchSize x rnnSize
            inputs.append(h0)
            states.append(h0)
        x = nn.Identity()()   # batchSize
        inputs.append(x)
        self.args['inputIndex']['x'] = len(inputs) - 1
        context = nn.Identity()()   # batchSize x sourceLength x rnnSize
        inputs.append(context)
        self.args['inputIndex']['context'] = len(inputs) - 1
        inputFeed = None
        if self.args['inputFeed']:
            inputFeed = nn.Identity()()   # batchSize x rnnSize
            inputs.append(inputFeed)
            self.args['inputIndex']['inputFeed'] = len(inputs) - 1
        input = self.inputNet(x)
        if self.args['inputFeed']:
            input = nn.JoinTable(1)([input, inputFeed])
        states.append(input)
        outputs = self.rnn(states)
        outputs = list(outputs.split(self.args['numEffectiveLayers']))
        attnLayer = GlobalAttention(self.args['rnnSize'])
        attnLayer.name = 'decoderAttn'
        if self.args['doubleOutput']:
            preAttnLayer = nn.Narrow(1, 0, self.args['rnnSize'])(outputs[len(outputs) - 1])
        else:
            preAttnLayer = outputs[len(outputs) - 1]
        attnOutput = attnLayer([preAttnLayer, context])
        if self.rnn.dropout > 0:
            attnOutput = nn.Dropout(self.rnn.dropout)(attnOutput)
        outputs.append(attnOutput)
        return nn.gModule(inputs, outputs)

    def maskPadding(self, sourceSizes=None, sourceLength=None, beamSize=None):
        pass   # making this a no-op

    def forwardAndApply(self, batch, encoderStates, context, func):
        laySizes = getProtoSizes(batch.size, self.args['rnnSize'], self.args['numEffectiveLayers'],
                                 self.args['doubleOutput'])
        if getattr(self, 'statesProto', None) is None:
            self.statesProto = initTensorTable(self.args['numEffectiveLayers'], self.stateProto, laySizes)
        prevOut = None
        # N.B. this probably breaks if BPTT window < 2
        if getattr(self, '_remember', None) and getattr(self, 'lastStates', None):
            prevOut = self.lastStates[len(self.lastStates) - 1]
            states = []
            for i in range(len(self.lastStates) - 1):
                states.append(self.lastStates[i])
        else:
            if self.args['doubleOutput']:
                states = copyTensorTableHalf(self.statesProto, encoderStates)
            else:
                states = copyTensorTable(self.statesProto, encoderStates)
        for t in range(batch.targetLength):
            prevOut, states = self.forwardOne(batch.getTargetInput(t), states, context, prevOut, t)
            func(prevOut, t, states[len(states) - 1])
        if getattr(self, '_remember', None):   # save a pointer to the last output
            self.lastStates = self.net(batch.targetLength - 1).output

    def forward(self, batch, encoderStates=None, context=None):
        """The top hidden state (after attention) of each timestep: a list of batch x rnnSize."""
        if encoderStates is None:
            encoderStates = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                            [batch.size, self.args['rnnSize']])
        if self.train:
            self.inputs = {}
        outputs = []

        def keep(out, t, finalState):   # `function (out)`, handed three arguments by forwardAndApply
            outputs.append(out)
        self.forwardAndApply(batch, encoderStates, context, keep)
        return outputs

    def backward(self, batch, outputs, criterion, ctxLen=None):
        laySizes = getProtoSizes(batch.size, self.args['rnnSize'], self.args['numEffectiveLayers'],
                                 self.args['doubleOutput'], True)
        if getattr(self, 'gradOutputsProto', None) is None:
            self.gradOutputsProto = initTensorTable(self.args['numEffectiveLayers'] + 1, self.gradOutputProto,
                                                    laySizes)
        ctxLen = ctxLen or batch.sourceLength   # for back compat
        gradStatesInput = reuseTensorTable(self.gradOutputsProto, laySizes)
        gradContextInput = reuseTensor(self.gradContextProto, [batch.size, ctxLen, self.args['rnnSize']])
        context = self.inputs[0][self.args['inputIndex']['context']]
        loss = 0
        last = len(gradStatesInput) - 1
        for t in range(batch.targetLength - 1, -1, -1):
            genInp = [outputs[t], context, self.net(t).output[self.args['numEffectiveLayers'] - 1],
                      batch.getSourceWords()]
            pred = self.generator.forward(genInp)
            output = batch.getTargetOutput(t)
            loss = loss + criterion.forward(pred, output)
            genGradOut = criterion.backward(pred, output)
            for j in range(len(genGradOut)):
                genGradOut[j].div(batch.totalSize)
            decGradOut = self.generator.backward(genInp, genGradOut)
            gradStatesInput[last].add(decGradOut[0])
            gradContextInput.add(decGradOut[1])
            gradStatesInput[self.args['numEffectiveLayers'] - 1].add(decGradOut[2])
            gradInput = self.net(t).backward(self.inputs[t], gradStatesInput)
            gradContextInput.add(gradInput[self.args['inputIndex']['context']])
            gradStatesInput[last].zero()
            if self.args['inputFeed'] and t > 0:
                gradStatesInput[last].add(gradInput[self.args['inputIndex']['inputFeed']])
            for i in range(len(self.statesProto)):
                gradStatesInput[i].copy(gradInput[i])
        finalLayer, rnnSize = self.args['numEffectiveLayers'] - 1, self.args['rnnSize']
        if self.args['doubleOutput']:
            gradStatesInput[finalLayer].narrow(1, 0, rnnSize).add(
                gradStatesInput[finalLayer].narrow(1, rnnSize, rnnSize))
            gradStatesInput[finalLayer] = gradStatesInput[finalLayer].narrow(1, 0, rnnSize)
            gradStatesInput[finalLayer - 1].narrow(1, 0, rnnSize).add(
                gradStatesInput[finalLayer - 1].narrow(1, rnnSize, rnnSize))
            gradStatesInput[finalLayer - 1] = gradStatesInput[finalLayer - 1].narrow(1, 0, rnnSize)
        if batch.targetOffset > 0:   # only used encoder's last state on first piece
            for i in range(len(self.statesProto)):
                gradStatesInput[i].zero()
        return gradStatesInput, gradContextInput, loss

    def computeLoss(self, batch, encoderStates, context, criterion):
        if encoderStates is None:
            encoderStates = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                            [batch.size, self.args['rnnSize']])
        loss = 0

        def add(out, t, finalState):
            nonlocal loss
            genInp = [out, context, finalState, batch.getSourceWords()]
            pred = self.generator.forward(genInp)
            output = batch.getTargetOutput(t)
            loss = loss + criterion.forward(pred, output)
        self.forwardAndApply(batch, encoderStates, context, add)
        return loss
