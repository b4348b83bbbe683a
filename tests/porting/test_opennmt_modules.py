"""OpenNMT/OpenNMT (the Lua toolkit) ported line by line, its onmt/modules: at tag v0.5.0 (commit 8e0cb852,
March 2017) Network.lua, Sequencer.lua, LSTM.lua, Encoder.lua, BiEncoder.lua, Decoder.lua, Generator.lua,
WordEmbedding.lua, MaskedSoftmax.lua, ParallelClassNLLCriterion.lua, with onmt/Constants.lua and the
preallocation helpers of onmt/utils/Tensor.lua; GlobalAttention.lua and JoinReplicateTable.lua are the newest
(HEAD 3ab15e92), whose ``-global_attention`` option adds the ``dot`` and ``concat`` scores to v0.5.0's
``general``. The tests here check the modules alone; tests/porting/test_opennmt.py ports the data, training and
beam search and runs the whole model.

Mechanical edits: word ids are 0-based (onmt.Constants' PAD, UNK, BOS, EOS = 1, 2, 3, 4 become 0, 1, 2, 3),
timesteps and batch positions 0-based, dimension arguments 0-based, ``torch.class('onmt.X', ...)`` a class with
``lua_package = 'onmt'``, a field tested for nil before it is ever set read with ``getattr(self, name, None)``.
Left out: word features, the GRU, pretrained embeddings, Cuda/Parallel/Memory (``collectgarbage()`` calls
dropped). Doubles throughout (``torch.setdefaulttensortype('torch.DoubleTensor')``)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_jacobian

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs


class Constants:
    """onmt/Constants.lua, the ids 0-based."""
    PAD, UNK, BOS, EOS = 0, 1, 2, 3
    PAD_WORD, UNK_WORD, BOS_WORD, EOS_WORD = '<blank>', '<unk>', '<s>', '</s>'


# ---- onmt/utils/Tensor.lua (lines 1-162) ----

def recursiveApply(out, func, *args):
    if isinstance(out, (list, dict)):
        items = out.items() if isinstance(out, dict) else enumerate(out)
        res = {k: recursiveApply(v, func, *args) for k, v in items}
        return res if isinstance(out, dict) else [res[k] for k in range(len(out))]
    if lg.isTensor(out):
        return func(out, *args)
    return out


def recursiveClone(out):
    return recursiveApply(out, lambda h: h.clone())


def recursiveAdd(a, b):
    if lg.isTensor(a):
        a.add(b)
    else:
        for i in range(len(a)):
            recursiveAdd(a[i], b[i])
    return a


def reuseTensor(t, sizes):
    assert t is not None, 'tensor must not be nil for it to be reused'
    if isinstance(sizes, list):
        sizes = lg.LongStorage(sizes)
    return t.resize(sizes).zero()


def reuseTensorTable(tab, sizes):
    return [reuseTensor(tab[i], sizes) for i in range(len(tab))]


def initTensorTable(size, proto, sizes):
    base = reuseTensor(proto, sizes)
    return [base.clone() for _ in range(size)]


def copyTensorTable(proto, src):
    tab = reuseTensorTable(proto, src[0].size())
    for i in range(len(tab)):
        tab[i].copy(src[i])
    return tab


# ---- onmt/modules/Network.lua ----

class Network(nn.Container):
    """Wrapper around a single network."""
    lua_package = 'onmt'

    def __init__(self, net=None):
        super().__init__()
        self.net = net
        self.add(net)

    def updateOutput(self, input):
        self.output = self.net.updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.net.updateGradInput(input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.net.accGradParameters(input, gradOutput, scale)


# ---- onmt/modules/LSTM.lua (lines 1-132) ----

class LSTM(Network):
    """A stack of ``layers`` LSTM cells, one step: (c^1, h^1, ..., c^L, h^L, x) -> (c^1, h^1, ..., c^L, h^L)."""

    def __init__(self, layers, inputSize, hiddenSize, dropout=None, residual=None):
        dropout = dropout if dropout is not None else 0
        self.dropout = dropout
        self.numEffectiveLayers = 2 * layers
        self.outputSize = hiddenSize
        super().__init__(self._buildModel(layers, inputSize, hiddenSize, dropout, residual))

    def _buildModel(self, layers, inputSize, hiddenSize, dropout, residual):
        inputs = []
        outputs = []
        for _ in range(layers):
            inputs.append(nn.Identity()())   # c0: batchSize x hiddenSize
            inputs.append(nn.Identity()())   # h0: batchSize x hiddenSize
        inputs.append(nn.Identity()())       # x: batchSize x inputSize
        x = inputs[len(inputs) - 1]
        prevInput = nextC = nextH = None
        for L in range(1, layers + 1):       # L is the layer number, kept 1-based: inputs[L*2 - 1] below
            if L == 1:
                # First layer input is x.
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
            nextC, nextH = self._buildLayer(inputDim, hiddenSize)([prevC, prevH, input]).split(2)
            prevInput = input
            outputs.append(nextC)
            outputs.append(nextH)
        return nn.gModule(inputs, outputs)

    def _buildLayer(self, inputSize, hiddenSize):
        inputs = [nn.Identity()(), nn.Identity()(), nn.Identity()()]
        prevC, prevH, x = inputs[0], inputs[1], inputs[2]
        # Evaluate the input sums at once for efficiency.
        i2h = nn.Linear(inputSize, 4 * hiddenSize)(x)
        h2h = nn.Linear(hiddenSize, 4 * hiddenSize)(prevH)
        allInputSums = nn.CAddTable()([i2h, h2h])
        reshaped = nn.Reshape(4, hiddenSize)(allInputSums)
        n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
        # Decode the gates.
        inGate = nn.Sigmoid()(n1)
        forgetGate = nn.Sigmoid()(n2)
        outGate = nn.Sigmoid()(n3)
        # Decode the write inputs.
        inTransform = nn.Tanh()(n4)
        # Perform the LSTM update.
        nextC = nn.CAddTable()([nn.CMulTable()([forgetGate, prevC]), nn.CMulTable()([inGate, inTransform])])
        # Gated cells form the output.
        nextH = nn.CMulTable()([outGate, nn.Tanh()(nextC)])
        return nn.gModule(inputs, [nextC, nextH])


# ---- onmt/modules/JoinReplicateTable.lua (HEAD) ----

class JoinReplicateTable(nn.Module):
    """Join the tensors of a table along ``dimensionJoin`` after replicating, along ``dimensionReplicate``, those
    whose size there is 1 (a zero stride set on the input itself, undone after the join)."""
    lua_package = 'onmt'

    def __init__(self, dimensionReplicate, dimensionJoin, nInputDims=None):
        super().__init__()
        self.size = lg.LongStorage()
        self.dimensionReplicate = dimensionReplicate
        self.dimensionJoin = dimensionJoin
        self.gradInput = []
        self.nInputDims = nInputDims

    def _getPositiveDimensions(self, input):
        dimensionReplicate = self.dimensionReplicate
        dimensionJoin = self.dimensionJoin
        if dimensionReplicate < 0:
            dimensionReplicate = input[0].dim() + dimensionReplicate
        elif self.nInputDims is not None and input[0].dim() == (self.nInputDims + 1):
            dimensionReplicate = dimensionReplicate + 1
        if dimensionJoin < 0:
            dimensionJoin = input[0].dim() + dimensionJoin
        elif self.nInputDims is not None and input[0].dim() == (self.nInputDims + 1):
            dimensionJoin = dimensionJoin + 1
        return dimensionReplicate, dimensionJoin

    def _replicate(self, input, dim, dryRun=False):
        # first replicate along dimensionReplicate, we assert all dimensions are the same but some can be one
        maxSize = 0
        hasOne = []
        for i in range(len(input)):
            size = input[i].size(dim)
            assert maxSize == 0 or size == maxSize or size == 1 or maxSize == 1, \
                "incorrect tensor size for replicate dimension"
            if size > maxSize:
                maxSize = size
            if size == 1:
                hasOne.append(i)
        # remember strides to restore after joining operation
        memStrides = {}
        if maxSize > 1 and len(hasOne) > 0:
            for i in range(len(hasOne)):
                idx = hasOne[i]
                sz = list(input[idx].size())   # a LongStorage in Lua, which the code edits in place
                sz[dim] = maxSize
                st = list(input[idx].stride())
                memStrides[idx] = st[dim]
                if not dryRun:
                    st[dim] = 0
                    input[idx].set(input[idx].storage(), input[idx].storageOffset(), lg.LongStorage(sz),
                                   lg.LongStorage(st))
        return memStrides

    def _dereplicate(self, input, dim, memStrides):
        # ipairs in the Lua, which stops at the first input that was not replicated; here the replicated input
        # is the first one (GlobalAttention's query), where both loops visit the same entries
        for idx, stval in memStrides.items():
            sz = list(input[idx].size())
            sz[dim] = 1
            st = list(input[idx].stride())
            st[dim] = stval
            input[idx].set(input[idx].storage(), input[idx].storageOffset(), lg.LongStorage(sz),
                           lg.LongStorage(st))

    def updateOutput(self, input):
        dimensionReplicate, dimensionJoin = self._getPositiveDimensions(input)
        memStrides = self._replicate(input, dimensionReplicate)
        for i in range(len(input)):
            currentOutput = input[i]
            if i == 0:
                self.size.resize(currentOutput.dim()).copy(currentOutput.size())
            else:
                self.size[dimensionJoin] = self.size[dimensionJoin] + currentOutput.size(dimensionJoin)
        self.output.resize(self.size)
        offset = 0
        for i in range(len(input)):
            currentOutput = input[i]
            self.output.narrow(dimensionJoin, offset, currentOutput.size(dimensionJoin)).copy(currentOutput)
            offset = offset + currentOutput.size(dimensionJoin)
        self._dereplicate(input, dimensionReplicate, memStrides)
        return self.output

    def updateGradInput(self, input, gradOutput):
        dimensionReplicate, dimensionJoin = self._getPositiveDimensions(input)
        memStrides = self._replicate(input, dimensionReplicate, True)
        for i in range(len(input)):
            if i >= len(self.gradInput):
                self.gradInput.append(input[i].new())
            self.gradInput[i].resizeAs(input[i])
        # clear out invalid gradInputs
        del self.gradInput[len(input):]
        offset = 0
        for i in range(len(input)):
            currentOutput = input[i]
            currentGradInput = gradOutput.narrow(dimensionJoin, offset, currentOutput.size(dimensionJoin))
            if i in memStrides:
                # sum along the replicated dimension
                lg.sum(self.gradInput[i], currentGradInput, dimensionReplicate)
            else:
                self.gradInput[i].copy(currentGradInput)
            offset = offset + currentOutput.size(dimensionJoin)
        return self.gradInput

    def type(self, type=None, tensorCache=None):
        self.gradInput = []
        return super().type(type, tensorCache)


# ---- onmt/modules/GlobalAttention.lua (HEAD) ----

class GlobalAttention(Network):
    """(h_t: batch x dim, H: batch x sourceL x dim) -> tanh(W_c [softmax(score(h_t, H)) H; h_t]): batch x dim."""

    def __init__(self, opt, dim):
        self.args = {'global_attention': opt.get('global_attention', 'general')}   # getModuleOpts' default
        super().__init__(self._buildModel(dim, self.args['global_attention']))

    def _buildModel(self, dim, global_attention):
        inputs = [nn.Identity()(), nn.Identity()()]
        ht = inputs[0]
        context = inputs[1]   # batchL x sourceTimesteps x dim
        # Get attention.
        if global_attention != 'concat':
            if global_attention == 'general':
                ht = nn.Linear(dim, dim, False)(ht)   # batchL x dim
            score_ht_hs = nn.MM()([context, nn.Replicate(1, 2)(ht)])   # batchL x sourceL x 1
        else:
            ht2 = nn.Replicate(1, 1)(ht)   # batchL x 1 x dim
            ht_hs = JoinReplicateTable(1, 2)([ht2, context])
            Wa_ht_hs = nn.Bottle(nn.Linear(dim * 2, dim, False), 2)(ht_hs)
            tanh_Wa_ht_hs = nn.Tanh()(Wa_ht_hs)
            score_ht_hs = nn.Bottle(nn.Linear(dim, 1), 2)(tanh_Wa_ht_hs)
        attn = nn.Squeeze(2)(score_ht_hs)   # batchL x sourceL
        softmaxAttn = nn.SoftMax()
        softmaxAttn.name = 'softmaxAttn'
        attn = softmaxAttn(attn)
        attn = nn.Replicate(1, 1)(attn)   # batchL x 1 x sourceL
        # Apply attention to context.
        contextCombined = nn.MM()([attn, context])   # batchL x 1 x dim
        contextCombined = nn.Squeeze(1)(contextCombined)   # batchL x dim
        contextCombined = nn.JoinTable(1)([contextCombined, inputs[0]])   # batchL x dim*2
        contextOutput = nn.Tanh()(nn.Linear(dim * 2, dim, False)(contextCombined))
        return nn.gModule(inputs, [contextOutput])


# ---- onmt/modules/MaskedSoftmax.lua ----

class MaskedSoftmax(Network):
    """A softmax over each row of ``numSents x sourceLength`` that gives the left padding no weight."""

    def __init__(self, sourceSizes, sourceLength):
        super().__init__(self._buildModel(sourceSizes, sourceLength))

    def _buildModel(self, sourceSizes, sourceLength):
        numSents = sourceSizes.size(0)
        input = nn.Identity()()
        softmax = nn.SoftMax()(input)   # numSents x State.sourceLength
        # Now we are masking the part of the output we don't need
        tab = nn.SplitTable(0)(softmax)   # numSents x { State.sourceLength }
        par = nn.ParallelTable()
        for b in range(numSents):
            padLength = sourceLength - int(sourceSizes[b])
            seq = nn.Sequential()
            seq.add(nn.Narrow(0, padLength, int(sourceSizes[b])))
            seq.add(nn.Padding(0, -padLength, 1, 0))
            par.add(seq)
        outTab = par(tab)   # numSents x { State.sourceLength }
        output = nn.JoinTable(0)(outTab)   # numSents x State.sourceLength
        output = nn.View(numSents, sourceLength)(output)
        # Make sure the vector sums to 1 (softmax output)
        output = nn.Normalize(1)(output)
        return nn.gModule([input], [output])


# ---- onmt/modules/WordEmbedding.lua, Generator.lua, ParallelClassNLLCriterion.lua ----

class WordEmbedding(Network):
    def __init__(self, vocabSize, vecSize, preTrained=None, fix=None):
        self.vocabSize = vocabSize
        # nn.LookupTable(vocabSize, vecSize, onmt.Constants.PAD): legonn refuses paddingValue 0 (Torch7's "no
        # padding"), so the 0-based PAD row is set with setPadding (docs/porting.md)
        super().__init__(nn.LookupTable(vocabSize, vecSize).setPadding(Constants.PAD))
        self.preTrained = preTrained
        self.fix = fix
        if self.fix:
            self.net.gradWeight = None

    def postParametersInitialization(self):
        self.net.weight[Constants.PAD].zero()

    def accGradParameters(self, input, gradOutput, scale=1):
        if self.net.gradWeight is not None:
            self.net.accGradParameters(input, gradOutput, scale)
            self.net.gradWeight[Constants.PAD].zero()

    def parameters(self):
        if self.net.gradWeight is not None:
            return super().parameters()


class Generator(Network):
    """softmax(W h + b) as log-probabilities, in a table of one (the features generator has more)."""

    def __init__(self, rnnSize, outputSize):
        super().__init__(self._buildGenerator(rnnSize, outputSize))

    def _buildGenerator(self, rnnSize, outputSize):
        return nn.Sequential().add(nn.Linear(rnnSize, outputSize)).add(nn.LogSoftMax())   # `nn:LogSoftMax()`

    def updateOutput(self, input):
        self.output = [self.net.updateOutput(input)]
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.net.updateGradInput(input, gradOutput[0])
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.net.accGradParameters(input, gradOutput[0], scale)


class ParallelClassNLLCriterion(nn.ParallelCriterion):
    lua_package = 'onmt'

    def __init__(self, outputSizes):
        super().__init__(False)
        for i in range(len(outputSizes)):
            self._addCriterion(outputSizes[i])

    def _addCriterion(self, size):
        # Ignores padding value.
        w = lg.ones(size)
        w[Constants.PAD] = 0
        nll = nn.ClassNLLCriterion(w)
        # Let the training code manage loss normalization.
        nll.sizeAverage = False
        self.add(nll)


# ---- onmt/modules/Sequencer.lua (lines 1-98) ----

class Sequencer(nn.Container):
    """The recurrent step ``network`` and its clones over time, which share its parameters."""
    lua_package = 'onmt'

    def __init__(self, network=None):
        super().__init__()
        self.network = network
        self.add(self.network)
        self.networkClones = []

    def _sharedClone(self):
        clone = self.network.clone('weight', 'gradWeight', 'bias', 'gradBias')
        # Share intermediate tensors if defined.
        if len(self.networkClones) > 0:
            sharedTensors = {}

            def collect(m):
                if getattr(m, 'gradInputSharedIdx', None) is not None:
                    sharedTensors[m.gradInputSharedIdx] = m.gradInput
                if getattr(m, 'outputSharedIdx', None) is not None:
                    sharedTensors[m.outputSharedIdx] = m.output
            self.networkClones[0].apply(collect)

            def share(m):
                if getattr(m, 'gradInputSharedIdx', None) is not None:
                    m.gradInput = sharedTensors[m.gradInputSharedIdx]
                if getattr(m, 'outputSharedIdx', None) is not None:
                    m.output = sharedTensors[m.outputSharedIdx]
            clone.apply(share)
        return clone

    def net(self, t=None):
        """The clone of timestep ``t`` (0-based) in training; the first clone (or the network) in evaluation."""
        if self.train and t is not None:   # `if self.train and t`: a nil test, and t = 0 is a timestep
            # In train mode, the network has to be cloned to remember intermediate
            # outputs for each timestep and to allow backpropagation through time.
            while len(self.networkClones) < t + 1:
                self.networkClones.append(self._sharedClone())
            return self.networkClones[t]
        elif len(self.networkClones) > 0:
            return self.networkClones[0]
        else:
            return self.network

    def training(self):
        super().training()
        if len(self.networkClones) > 0:
            # Only first clone was used for evaluation.
            self.networkClones[0].training()

    def evaluate(self):
        super().evaluate()
        if len(self.networkClones) > 0:
            # We only use the first clone for evaluation.
            self.networkClones[0].evaluate()


# ---- onmt/modules/Encoder.lua (lines 1-243) ----

class Encoder(Sequencer):
    def __init__(self, inputNetwork, rnn):
        self.rnn = rnn
        self.inputNet = inputNetwork
        self.args = {}
        self.args['rnnSize'] = self.rnn.outputSize
        self.args['numEffectiveLayers'] = self.rnn.numEffectiveLayers
        super().__init__(self._buildModel())
        self.resetPreallocation()

    @staticmethod
    def load(pretrained):
        """Return a new Encoder using the serialized data ``pretrained``."""
        self = lg.factory('onmt.Encoder')()
        self.args = pretrained['args']
        Sequencer.__init__(self, pretrained['modules'][0])   # parent.__init(self, pretrained.modules[1])
        self.resetPreallocation()
        return self

    def serialize(self):
        """Return data to serialize."""
        return {'name': 'Encoder', 'modules': self.modules, 'args': self.args}

    def resetPreallocation(self):
        # Prototype for preallocated hidden and cell states.
        self.stateProto = lg.Tensor()
        # Prototype for preallocated output gradients.
        self.gradOutputProto = lg.Tensor()
        # Prototype for preallocated context vector.
        self.contextProto = lg.Tensor()

    def maskPadding(self):
        self.maskPad = True

    def _buildModel(self):
        inputs = []
        states = []
        # Inputs are previous layers first.
        for _ in range(self.args['numEffectiveLayers']):
            h0 = nn.Identity()()   # batchSize x rnnSize
            inputs.append(h0)
            states.append(h0)
        # Input word.
        x = nn.Identity()()   # batchSize
        inputs.append(x)
        # Compute input network.
        input = self.inputNet(x)
        states.append(input)
        # Forward states and input into the RNN.
        outputs = self.rnn(states)
        return nn.gModule(inputs, [outputs])

    def forward(self, batch):
        """Returns the final states (numEffectiveLayers tensors batch x rnnSize) and the context
        batch x sourceLength x rnnSize."""
        finalStates = None
        outputSize = self.args['rnnSize']
        if getattr(self, 'statesProto', None) is None:
            self.statesProto = initTensorTable(self.args['numEffectiveLayers'], self.stateProto,
                                               [batch.size, outputSize])
        # Make initial states h_0.
        states = reuseTensorTable(self.statesProto, [batch.size, outputSize])
        # Preallocated output matrix.
        context = reuseTensor(self.contextProto, [batch.size, batch.sourceLength, outputSize])
        maskPad = getattr(self, 'maskPad', False)
        if maskPad and not batch.sourceInputPadLeft:
            finalStates = recursiveClone(states)
        if self.train:
            self.inputs = {}
        # Act like nn.Sequential and call each clone in a feed-forward fashion.
        for t in range(batch.sourceLength):
            # Construct "inputs". Prev states come first then source.
            inputs = []
            inputs.extend(states)
            inputs.append(batch.getSourceInput(t))
            if self.train:
                # Remember inputs for the backward pass.
                self.inputs[t] = inputs
            states = self.net(t).forward(inputs)
            # Make sure it always returns table.
            if not isinstance(states, list):
                states = [states]
            # Special case padding.
            if maskPad:
                for b in range(batch.size):
                    if batch.sourceInputPadLeft and t + 1 <= batch.sourceLength - int(batch.sourceSize[b]):
                        for j in range(len(states)):
                            states[j][b].zero()
                    elif not batch.sourceInputPadLeft and t + 1 == int(batch.sourceSize[b]):
                        for j in range(len(states)):
                            finalStates[j][b].copy(states[j][b])
            # Copy output (h^L_t = states[#states]) to context.
            context[:, t].copy(states[len(states) - 1])
        if finalStates is None:
            finalStates = states
        return finalStates, context

    def backward(self, batch, gradStatesOutput, gradContextOutput):
        outputSize = self.args['rnnSize']
        if getattr(self, 'gradOutputsProto', None) is None:
            self.gradOutputsProto = initTensorTable(self.args['numEffectiveLayers'], self.gradOutputProto,
                                                    [batch.size, outputSize])
        if gradStatesOutput is not None:
            gradStatesInput = copyTensorTable(self.gradOutputsProto, gradStatesOutput)
        else:
            # if gradStatesOutput is not defined - start with empty tensor
            gradStatesInput = reuseTensorTable(self.gradOutputsProto, [batch.size, outputSize])
        gradInputs = {}
        for t in range(batch.sourceLength - 1, -1, -1):
            # Add context gradients to last hidden states gradients.
            gradStatesInput[len(gradStatesInput) - 1].add(gradContextOutput[:, t])
            gradInput = self.net(t).backward(self.inputs[t], gradStatesInput)
            # Prepare next encoder output gradients.
            for i in range(len(gradStatesInput)):
                gradStatesInput[i].copy(gradInput[i])
            # Gather gradients of all user inputs.
            gradInputs[t] = [gradInput[i] for i in range(len(gradStatesInput), len(gradInput))]
            if len(gradInputs[t]) == 1:
                gradInputs[t] = gradInputs[t][0]
        return gradInputs


# ---- onmt/modules/BiEncoder.lua (lines 1-205) ----

def reverseInput(batch):
    batch.sourceInput, batch.sourceInputRev = batch.sourceInputRev, batch.sourceInput
    batch.sourceInputFeatures, batch.sourceInputRevFeatures = batch.sourceInputRevFeatures, batch.sourceInputFeatures
    batch.sourceInputPadLeft, batch.sourceInputRevPadLeft = batch.sourceInputRevPadLeft, batch.sourceInputPadLeft


class BiEncoder(nn.Container):
    """A forward Encoder over the source and a backward one over its reversal, merged by 'concat' or 'sum'."""
    lua_package = 'onmt'

    def __init__(self, input, rnn, merge):
        super().__init__()
        self.fwd = Encoder(input, rnn)
        self.bwd = Encoder(input.clone('weight', 'bias', 'gradWeight', 'gradBias'), rnn.clone())
        self.args = {}
        self.args['merge'] = merge
        self.args['rnnSize'] = rnn.outputSize
        self.args['numEffectiveLayers'] = rnn.numEffectiveLayers
        if self.args['merge'] == 'concat':
            self.args['hiddenSize'] = self.args['rnnSize'] * 2
        else:
            self.args['hiddenSize'] = self.args['rnnSize']
        self.add(self.fwd)
        self.add(self.bwd)
        self.resetPreallocation()

    @staticmethod
    def load(pretrained):
        self = lg.factory('onmt.BiEncoder')()
        nn.Container.__init__(self)
        self.fwd = Encoder.load(pretrained['modules'][0])
        self.bwd = Encoder.load(pretrained['modules'][1])
        self.args = pretrained['args']
        self.add(self.fwd)
        self.add(self.bwd)
        self.resetPreallocation()
        return self

    def serialize(self):
        modulesData = [self.modules[i].serialize() for i in range(len(self.modules))]
        return {'name': 'BiEncoder', 'modules': modulesData, 'args': self.args}

    def resetPreallocation(self):
        self.contextProto = lg.Tensor()
        self.stateProto = lg.Tensor()
        self.gradContextBwdProto = lg.Tensor()

    def maskPadding(self):
        self.fwd.maskPadding()
        self.bwd.maskPadding()

    def forward(self, batch):
        if getattr(self, 'statesProto', None) is None:
            self.statesProto = initTensorTable(self.args['numEffectiveLayers'], self.stateProto,
                                               [batch.size, self.args['hiddenSize']])
        states = reuseTensorTable(self.statesProto, [batch.size, self.args['hiddenSize']])
        context = reuseTensor(self.contextProto, [batch.size, batch.sourceLength, self.args['hiddenSize']])
        fwdStates, fwdContext = self.fwd.forward(batch)
        reverseInput(batch)
        bwdStates, bwdContext = self.bwd.forward(batch)
        reverseInput(batch)
        n = self.args['rnnSize']
        if self.args['merge'] == 'concat':
            for i in range(len(fwdStates)):
                states[i].narrow(1, 0, n).copy(fwdStates[i])
                states[i].narrow(1, n, n).copy(bwdStates[i])
            for t in range(batch.sourceLength):
                context[:, t].narrow(1, 0, n).copy(fwdContext[:, t])
                context[:, t].narrow(1, n, n).copy(bwdContext[:, batch.sourceLength - t - 1])
        elif self.args['merge'] == 'sum':
            for i in range(len(states)):
                states[i].copy(fwdStates[i])
                states[i].add(bwdStates[i])
            for t in range(batch.sourceLength):
                context[:, t].copy(fwdContext[:, t])
                context[:, t].add(bwdContext[:, batch.sourceLength - t - 1])
        return states, context

    def backward(self, batch, gradStatesOutput, gradContextOutput):
        if gradStatesOutput is None:
            gradStatesOutput = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                               [batch.size, self.args['hiddenSize']])
        gradStatesOutputFwd = []
        gradStatesOutputBwd = []
        if self.args['merge'] == 'concat':
            gradContextOutputSplit = gradContextOutput.chunk(2, 2)
            gradContextOutputFwd = gradContextOutputSplit[0]
            gradContextOutputBwd = gradContextOutputSplit[1]
            for i in range(len(gradStatesOutput)):
                statesSplit = gradStatesOutput[i].chunk(2, 1)
                gradStatesOutputFwd.append(statesSplit[0])
                gradStatesOutputBwd.append(statesSplit[1])
        elif self.args['merge'] == 'sum':
            gradContextOutputFwd = gradContextOutput
            gradContextOutputBwd = gradContextOutput
            gradStatesOutputFwd = gradStatesOutput
            gradStatesOutputBwd = gradStatesOutput
        gradInputFwd = self.fwd.backward(batch, gradStatesOutputFwd, gradContextOutputFwd)
        gradContextBwd = reuseTensor(self.gradContextBwdProto, [batch.size, batch.sourceLength, self.args['rnnSize']])
        for t in range(batch.sourceLength):
            gradContextBwd[:, t].copy(gradContextOutputBwd[:, batch.sourceLength - t - 1])
        # the backward encoder read the reversed source: its stored inputs are those, so no reverseInput here
        gradInputBwd = self.bwd.backward(batch, gradStatesOutputBwd, gradContextBwd)
        for t in range(batch.sourceLength):
            recursiveAdd(gradInputFwd[t], gradInputBwd[batch.sourceLength - t - 1])
        return gradInputFwd


# ---- onmt/modules/Decoder.lua (lines 1-451) ----

class Decoder(Sequencer):
    def __init__(self, inputNetwork, rnn, generator, inputFeed, global_attention='general'):
        self.rnn = rnn
        self.inputNet = inputNetwork
        self.args = {}
        self.args['rnnSize'] = self.rnn.outputSize
        self.args['numEffectiveLayers'] = self.rnn.numEffectiveLayers
        self.args['inputIndex'] = {}
        # Input feeding means the decoder takes an extra vector each time representing the attention at the
        # previous step.
        self.args['inputFeed'] = inputFeed
        self.args['global_attention'] = global_attention   # HEAD's option (v0.5.0: 'general' only)
        super().__init__(self._buildModel())
        # The generator use the output of the decoder sequencer to generate the likelihoods over the target
        # vocabulary.
        self.generator = generator
        self.add(self.generator)
        self.resetPreallocation()

    @staticmethod
    def load(pretrained):
        """Return a new Decoder using the serialized data ``pretrained``."""
        self = lg.factory('onmt.Decoder')()
        self.args = pretrained['args']
        Sequencer.__init__(self, pretrained['modules'][0])
        self.generator = pretrained['modules'][1]
        self.add(self.generator)
        self.resetPreallocation()
        return self

    def serialize(self):
        """Return data to serialize."""
        return {'modules': self.modules, 'args': self.args}

    def resetPreallocation(self):
        if self.args['inputFeed']:
            self.inputFeedProto = lg.Tensor()
        # Prototype for preallocated hidden and cell states.
        self.stateProto = lg.Tensor()
        # Prototype for preallocated output gradients.
        self.gradOutputProto = lg.Tensor()
        # Prototype for preallocated context gradient.
        self.gradContextProto = lg.Tensor()

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
        attnLayer = GlobalAttention({'global_attention': self.args['global_attention']}, self.args['rnnSize'])
        attnLayer.name = 'decoderAttn'
        attnOutput = attnLayer([outputs[len(outputs) - 1], context])
        if self.rnn.dropout > 0:
            attnOutput = nn.Dropout(self.rnn.dropout)(attnOutput)
        outputs.append(attnOutput)
        return nn.gModule(inputs, outputs)

    def maskPadding(self, sourceSizes=None, sourceLength=None):
        """Give the padding of the sources no attention: swap the attention's softmax for a MaskedSoftmax."""
        if getattr(self, 'decoderAttn', None) is None:
            def find(layer):
                if getattr(layer, 'name', None) == 'decoderAttn':
                    self.decoderAttn = layer
            self.network.apply(find)

        def swap(module):
            if getattr(module, 'name', None) == 'softmaxAttn':
                if sourceSizes is not None:
                    mod = MaskedSoftmax(sourceSizes, sourceLength)
                else:
                    mod = nn.SoftMax()
                mod.name = 'softmaxAttn'
                mod.type(module._type)
                self.softmaxAttn = mod
                return mod
            return module
        self.decoderAttn.replace(swap)

    def forwardOne(self, input, prevStates, context, prevOut=None, t=None):
        inputs = []
        # Create RNN input (see sequencer.lua `buildNetwork('dec')`).
        inputs.extend(prevStates)
        inputs.append(input)
        inputs.append(context)
        inputSize = input[0].size(0) if isinstance(input, list) else input.size(0)
        if self.args['inputFeed']:
            if prevOut is None:
                inputs.append(reuseTensor(self.inputFeedProto, [inputSize, self.args['rnnSize']]))
            else:
                inputs.append(prevOut)
        # Remember inputs for the backward pass.
        if self.train:
            self.inputs[t] = inputs
        outputs = self.net(t).forward(inputs)
        # Make sure decoder always returns table.
        if not isinstance(outputs, list):
            outputs = [outputs]
        out = outputs[len(outputs) - 1]
        states = [outputs[i] for i in range(len(outputs) - 1)]
        return out, states

    def forwardAndApply(self, batch, encoderStates, context, func):
        if getattr(self, 'statesProto', None) is None:
            self.statesProto = initTensorTable(len(encoderStates), self.stateProto,
                                               [batch.size, self.args['rnnSize']])
        states = copyTensorTable(self.statesProto, encoderStates)
        prevOut = None
        for t in range(batch.targetLength):
            prevOut, states = self.forwardOne(batch.getTargetInput(t), states, context, prevOut, t)
            func(prevOut, t)

    def forward(self, batch, encoderStates=None, context=None):
        """The top hidden state (after attention) of each timestep: a list of batch x rnnSize."""
        if encoderStates is None:
            encoderStates = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                            [batch.size, self.args['rnnSize']])
        if self.train:
            self.inputs = {}
        outputs = []
        self.forwardAndApply(batch, encoderStates, context, lambda out, t: outputs.append(out))
        return outputs

    def backward(self, batch, outputs, criterion):
        """Criterion forward/backward over every step (gradients divided by batch.totalSize), then BPTT; returns
        the gradients of the initial states and of the context, and the summed loss."""
        if getattr(self, 'gradOutputsProto', None) is None:
            self.gradOutputsProto = initTensorTable(self.args['numEffectiveLayers'] + 1, self.gradOutputProto,
                                                    [batch.size, self.args['rnnSize']])
        gradStatesInput = reuseTensorTable(self.gradOutputsProto, [batch.size, self.args['rnnSize']])
        gradContextInput = reuseTensor(self.gradContextProto,
                                       [batch.size, batch.sourceLength, self.args['rnnSize']])
        loss = 0
        last = len(gradStatesInput) - 1
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
            gradStatesInput[last].add(decGradOut)
            # Compute the standard backward.
            gradInput = self.net(t).backward(self.inputs[t], gradStatesInput)
            # Accumulate encoder output gradients.
            gradContextInput.add(gradInput[self.args['inputIndex']['context']])
            gradStatesInput[last].zero()
            # Accumulate previous output gradients with input feeding gradients.
            if self.args['inputFeed'] and t > 0:
                gradStatesInput[last].add(gradInput[self.args['inputIndex']['inputFeed']])
            # Prepare next decoder output gradients.
            for i in range(len(self.statesProto)):
                gradStatesInput[i].copy(gradInput[i])
        return gradStatesInput, gradContextInput, loss

    def computeLoss(self, batch, encoderStates, context, criterion):
        if encoderStates is None:
            encoderStates = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                            [batch.size, self.args['rnnSize']])
        loss = 0

        def add(out, t):
            nonlocal loss
            pred = self.generator.forward(out)
            output = batch.getTargetOutput(t)
            loss = loss + criterion.forward(pred, output)
        self.forwardAndApply(batch, encoderStates, context, add)
        return loss

    def computeScore(self, batch, encoderStates, context):
        if encoderStates is None:
            encoderStates = initTensorTable(self.args['numEffectiveLayers'], lg.Tensor(),
                                            [batch.size, self.args['rnnSize']])
        score = {}

        def add(out, t):
            pred = self.generator.forward(out)
            for b in range(batch.size):
                if t + 1 <= int(batch.targetSize[b]):
                    score[b] = score.get(b, 0) + float(pred[0][b][int(batch.targetOutput[t][b])])
        self.forwardAndApply(batch, encoderStates, context, add)
        return score


# torch.class makes every class known by its name: lg.load and lg.factory find them once registered
for _cls in (Network, LSTM, JoinReplicateTable, GlobalAttention, MaskedSoftmax, WordEmbedding, Generator,
             ParallelClassNLLCriterion, Sequencer, Encoder, BiEncoder, Decoder):
    lg.register(_cls)


# ---- tests ----

def lstm_params(layers, inputSize, rnn):
    """LSTM.lua's _buildLayer: i2h and h2h, both with a bias, per layer; layers after the first read rnn."""
    first = inputSize * 4 * rnn + 4 * rnn + rnn * 4 * rnn + 4 * rnn
    other = rnn * 4 * rnn + 4 * rnn + rnn * 4 * rnn + 4 * rnn
    return first + (layers - 1) * other


def test_lstm_has_the_parameters_and_shapes_the_lua_implies():
    lg.manualSeed(0)
    rnn = LSTM(2, 5, 6)
    assert rnn.numEffectiveLayers == 4
    assert rnn.getParameters()[0].nElement() == lstm_params(2, 5, 6) == 5 * 24 + 24 + 6 * 24 + 24 + 2 * (6 * 24 + 24)
    states = [lg.Tensor(3, 6).uniform(-1, 1) for _ in range(4)]
    out = rnn.forward(states + [lg.Tensor(3, 5).uniform(-1, 1)])
    assert [o.size() for o in out] == [(3, 6)] * 4
    # the first layer is a plain LSTM cell: c' = f*c + i*tanh(g), h' = o*tanh(c')
    x = lg.Tensor(3, 5).uniform(-1, 1)
    out = rnn.forward(states + [x])
    linears = rnn.findModules('nn.Linear')[0]
    i2h, h2h = linears[0], linears[1]
    z = x.numpy() @ i2h.weight.numpy().T + i2h.bias.numpy() + states[1].numpy() @ h2h.weight.numpy().T \
        + h2h.bias.numpy()
    z = z.reshape(3, 4, 6)
    sig = lambda v: 1 / (1 + np.exp(-v))
    c = sig(z[:, 1]) * states[0].numpy() + sig(z[:, 0]) * np.tanh(z[:, 3])
    np.testing.assert_allclose(out[0].numpy(), c, rtol=1e-12)
    np.testing.assert_allclose(out[1].numpy(), sig(z[:, 2]) * np.tanh(c), rtol=1e-12)


@pytest.mark.parametrize('kind, extra', [('dot', 0), ('general', 6 * 6), ('concat', 12 * 6 + 6 + 1)])
def test_global_attention_scores_against_numpy(kind, extra):
    lg.manualSeed(2)
    dim, batch, sourceL = 6, 2, 4
    attn = GlobalAttention({'global_attention': kind}, dim)
    # W_c of the output (2*dim -> dim, no bias) and the score's own parameters
    assert attn.getParameters()[0].nElement() == 2 * dim * dim + extra
    ht = lg.Tensor(batch, dim).uniform(-1, 1)
    context = lg.Tensor(batch, sourceL, dim).uniform(-1, 1)
    out = attn.forward([ht, context])
    h, H = ht.numpy(), context.numpy()
    lin = attn.findModules('nn.Linear')[0]
    if kind == 'dot':
        score = np.einsum('bsd,bd->bs', H, h)
    elif kind == 'general':
        score = np.einsum('bsd,bd->bs', H, h @ lin[0].weight.numpy().T)
    else:
        Wa, v = lin[0], lin[1]
        joined = np.concatenate([np.repeat(h[:, None], sourceL, 1), H], 2)
        score = (np.tanh(joined @ Wa.weight.numpy().T) @ v.weight.numpy().T + v.bias.numpy())[..., 0]
    a = np.exp(score - score.max(1, keepdims=True))
    a /= a.sum(1, keepdims=True)
    Wc = lin[len(lin) - 1].weight.numpy()
    expected = np.tanh(np.concatenate([np.einsum('bs,bsd->bd', a, H), h], 1) @ Wc.T)
    assert out.size() == (batch, dim)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    # the gModule's backward against finite differences of a fixed projection of the output
    w = np.random.RandomState(0).uniform(-1, 1, (batch, dim))
    gH = attn.backward([ht, context], lg.from_numpy(w.copy()))[1].numpy().copy()
    eps, flat = 1e-6, H.reshape(-1)
    for k in (0, 5, 17, flat.size - 1):
        keep = flat[k]
        flat[k] = keep + eps
        fp = (attn.forward([ht, lg.from_numpy(flat.reshape(H.shape).copy())]).numpy() * w).sum()
        flat[k] = keep - eps
        fm = (attn.forward([ht, lg.from_numpy(flat.reshape(H.shape).copy())]).numpy() * w).sum()
        flat[k] = keep
        assert gH.reshape(-1)[k] == pytest.approx((fp - fm) / (2 * eps), rel=1e-6, abs=1e-9)


def test_join_replicate_table_repeats_the_query_and_sums_its_gradient():
    lg.manualSeed(3)
    m = JoinReplicateTable(1, 2)
    q = lg.Tensor(2, 1, 3).uniform(-1, 1)
    H = lg.Tensor(2, 4, 5).uniform(-1, 1)
    out = m.forward([q, H])
    assert out.size() == (2, 4, 8)
    np.testing.assert_array_equal(out.numpy()[:, :, :3], np.repeat(q.numpy(), 4, 1))
    np.testing.assert_array_equal(out.numpy()[:, :, 3:], H.numpy())
    # the zero stride set on the input is undone after the join
    assert q.size() == (2, 1, 3) and q.stride() == (3, 3, 1)
    g = lg.Tensor(2, 4, 8).uniform(-1, 1)
    gq, gH = m.backward([q, H], g)
    assert gq.size() == (2, 1, 3)
    np.testing.assert_allclose(gq.numpy(), g.numpy()[:, :, :3].sum(1, keepdims=True), rtol=1e-14)
    np.testing.assert_array_equal(gH.numpy(), g.numpy()[:, :, 3:])
    # its hand-written backward against central differences, query and context (nn.Jacobian)
    assert_jacobian(m, [q, H])


def test_masked_softmax_gives_the_left_padding_no_weight():
    sizes = lg.IntTensor([4, 2, 6])
    m = MaskedSoftmax(sizes, 6)
    x = lg.Tensor(3, 6).uniform(-2, 2)
    out = m.forward(x).numpy()
    for b, n in enumerate([4, 2, 6]):
        assert (out[b, :6 - n] == 0).all()
        soft = np.exp(x.numpy()[b]) / np.exp(x.numpy()[b]).sum()
        tail = soft[6 - n:]
        # nn.Normalize(1) divides by the 1-norm plus its eps, 1e-10 (Normalize.lua)
        np.testing.assert_allclose(out[b, 6 - n:], tail / (tail.sum() + 1e-10), rtol=1e-13)
    grad = m.backward(x, lg.Tensor(3, 6).uniform(-1, 1)).numpy()
    # the padded inputs reach the output only through Normalize's eps: d out_i / d x_j = -s_i s_j eps / (S+eps)^2
    assert np.abs(grad[1, :4]).max() < 1e-9 and np.abs(grad[1, 4:]).max() > 1e-3


def test_criterion_ignores_padding_and_sums():
    crit = ParallelClassNLLCriterion([5])
    pred = [nn.LogSoftMax().forward(lg.Tensor(4, 5).uniform(-1, 1))]
    target = [lg.LongTensor([3, Constants.PAD, 1, 4])]
    loss = crit.forward(pred, target)
    p = pred[0].numpy()
    assert loss == pytest.approx(-(p[0, 3] + p[2, 1] + p[3, 4]), rel=1e-14)
    g = crit.backward(pred, target)[0].numpy()
    assert (g[1] == 0).all() and g[0, 3] == -1
