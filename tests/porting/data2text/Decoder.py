"""onmt/modules/Decoder.lua of harvardnlp/data2text: OpenNMT's attention decoder (tests/porting/
test_opennmt_modules.py's Decoder, whose maskPadding, forward, computeLoss and computeScore are the same) with
data2text's changes: its own GlobalAttention (``tanhQuery``, ``returnAttnScores``), ``remember``/``lastStates``
to carry the states across the pieces of a long target (truncated BPTT, ``batch.targetOffset``), a context
length given to backward, and generators whose gradient is a table."""
from legonn import nn
from tests.porting.test_opennmt_modules import Decoder as OnmtDecoder
from tests.porting.test_opennmt_modules import (Sequencer, copyTensorTable, initTensorTable, reuseTensor,
                                                reuseTensorTable)

from .GlobalAttention import GlobalAttention


class Decoder(OnmtDecoder):
    def __init__(self, inputNetwork, rnn, generator, inputFeed, returnAttnScores=None, tanhQuery=None):
        self.rnn = rnn
        self.inputNet = inputNetwork
        self.args = {}
        self.args['rnnSize'] = self.rnn.outputSize
        self.args['numEffectiveLayers'] = self.rnn.numEffectiveLayers
        self.args['inputIndex'] = {}
        self.args['outputIndex'] = {}
        # Input feeding means the decoder takes an extra vector each time representing the attention at the
        # previous step.
        self.args['inputFeed'] = inputFeed
        self.args['returnAttnScores'] = returnAttnScores
        self.args['tanhQuery'] = tanhQuery
        Sequencer.__init__(self, self._buildModel())
        # The generator use the output of the decoder sequencer to generate the likelihoods over the target
        # vocabulary.
        self.generator = generator
        self.add(self.generator)
        self.resetPreallocation()

    def _buildModel(self):
        inputs = []
        states = []
        # Inputs are previous layers first.
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
        # Compute the input network.
        input = self.inputNet(x)
        # If set, concatenate previous decoder output.
        if self.args['inputFeed']:
            input = nn.JoinTable(1)([input, inputFeed])
        states.append(input)
        # Forward states and input into the RNN.
        outputs = self.rnn(states)
        # The output of a subgraph is a node: split it to access the last RNN output.
        outputs = list(outputs.split(self.args['numEffectiveLayers']))
        # Compute the attention here using h^L as query.
        attnLayer = GlobalAttention(self.args['rnnSize'], self.args['returnAttnScores'], self.args['tanhQuery'])
        attnLayer.name = 'decoderAttn'
        attnScores = None
        if self.args['returnAttnScores']:
            attnOutput, attnScores = attnLayer([outputs[len(outputs) - 1], context]).split(2)
        else:
            attnOutput = attnLayer([outputs[len(outputs) - 1], context])
        if self.rnn.dropout > 0:
            attnOutput = nn.Dropout(self.rnn.dropout)(attnOutput)
        outputs.append(attnOutput)
        if self.args['returnAttnScores']:
            outputs.append(attnScores)
        return nn.gModule(inputs, outputs)

    def remember(self):
        self._remember = True

    def forget(self):
        self._remember = False

    def resetLastStates(self):
        self.lastStates = None

    def forwardOne(self, input, prevStates, context, prevOut=None, t=None):
        inputs = []
        # Create RNN input (see sequencer.lua `buildNetwork('dec')`).
        inputs.extend(prevStates)
        inputs.append(input)
        inputs.append(context)
        if isinstance(input, list):
            inputSize = input[0].size(0)
        else:
            inputSize = input.size(0)
        if self.args['inputFeed']:
            if prevOut is None:
                inputs.append(reuseTensor(self.inputFeedProto, [inputSize, self.args['rnnSize']]))
            elif self.args['returnAttnScores']:   # prevOut is a table
                inputs.append(prevOut[0])
            else:
                inputs.append(prevOut)
        # Remember inputs for the backward pass.
        if self.train:
            self.inputs[t] = inputs
        outputs = self.net(t).forward(inputs)   # [states; attnOutput; (attnScores)]
        attnScoresLoc = 1 if self.args['returnAttnScores'] else 0
        out = outputs[len(outputs) - 1 - attnScoresLoc]
        states = []
        for i in range(len(outputs) - 1 - attnScoresLoc):
            states.append(outputs[i])
        if self.args['returnAttnScores']:
            out = [out, outputs[len(outputs) - 1]]
        return out, states

    def forwardAndApply(self, batch, encoderStates, context, func):
        if getattr(self, 'statesProto', None) is None:
            self.statesProto = initTensorTable(self.args['numEffectiveLayers'], self.stateProto,
                                               [batch.size, self.args['rnnSize']])
        prevOut = None
        if getattr(self, '_remember', None) and getattr(self, 'lastStates', None):
            prevOut = self.lastStates[len(self.lastStates) - 1]
            states = []   # could probably really just pop
            for i in range(len(self.lastStates) - 1):
                states.append(self.lastStates[i])
        else:
            states = copyTensorTable(self.statesProto, encoderStates)
        for t in range(batch.targetLength):
            prevOut, states = self.forwardOne(batch.getTargetInput(t), states, context, prevOut, t)
            func(prevOut, t)
        if getattr(self, '_remember', None):
            self.lastStates = self.net(batch.targetLength - 1).output

    def backward(self, batch, outputs, criterion, ctxLen=None):
        decLayers = self.args['numEffectiveLayers'] + 1
        if self.args['returnAttnScores']:
            decLayers = decLayers + 1
        attnScoresLoc = 1 if self.args['returnAttnScores'] else 0
        if self.args['returnAttnScores']:   # last layer has different length than all the others
            layerSizes = []
            for i in range(decLayers - 1):
                layerSizes.append([batch.size, self.args['rnnSize']])
            layerSizes.append([batch.size, batch.totalSourceLength])
        else:
            layerSizes = [batch.size, self.args['rnnSize']]   # will be used for every layer
        if getattr(self, 'gradOutputsProto', None) is None:
            self.gradOutputsProto = initTensorTable(decLayers, self.gradOutputProto, layerSizes)
        ctxLen = ctxLen or batch.sourceLength   # for back compat
        gradStatesInput = reuseTensorTable(self.gradOutputsProto, layerSizes)
        gradContextInput = reuseTensor(self.gradContextProto, [batch.size, ctxLen, self.args['rnnSize']])
        loss = 0
        for t in range(batch.targetLength - 1, -1, -1):
            # Compute decoder output gradients.
            # Note: This would typically be in the forward pass.
            pred = self.generator.forward(outputs[t])
            output = batch.getTargetOutput(t)
            loss = loss + criterion.forward(pred, output)
            # Compute the criterion gradient.
            genGradOut = criterion.backward(pred, output)
            for j in range(len(genGradOut)):
                genGradOut[j].div(batch.totalSize)
            # Compute the final layer gradient.
            decGradOut = self.generator.backward(outputs[t], genGradOut)
            outputLayers = 1
            if isinstance(decGradOut, list):
                outputLayers = len(decGradOut)
            else:
                decGradOut = [decGradOut]
            for j in range(outputLayers):
                gradStatesInput[decLayers - outputLayers + j].add(decGradOut[j])
            # Compute the standard backward.
            gradInput = self.net(t).backward(self.inputs[t], gradStatesInput)
            # Accumulate encoder output gradients.
            gradContextInput.add(gradInput[self.args['inputIndex']['context']])
            for j in range(outputLayers):
                gradStatesInput[decLayers - outputLayers + j].zero()
            # Accumulate previous output gradients with input feeding gradients.
            if self.args['inputFeed'] and t > 0:
                gradStatesInput[decLayers - 1 - attnScoresLoc].add(gradInput[self.args['inputIndex']['inputFeed']])
            # Prepare next decoder output gradients.
            for i in range(len(self.statesProto)):
                gradStatesInput[i].copy(gradInput[i])
        if batch.targetOffset > 0:   # hack so that we only backprop thru final encoder state at beginning
            for i in range(len(self.statesProto)):
                gradStatesInput[i].zero()
        return gradStatesInput, gradContextInput, loss
