"""onmt/translate/Decoder2Advancer.lua (with onmt/translate/Advancer.lua, its base) of harvardnlp/data2text: how
the beam search advances a Decoder2 with a CopyGenerator2 one step: the state is {decoder states, decoder output,
context, attention, features, source sizes, step, source word ids}; a hypothesis ends at EOS or past
``max_sent_length``; empty ones (and ones with more than ``max_num_unks`` UNKs) are pruned."""
import math

import legonn as lg
from tests.porting.test_opennmt_modules import Constants, initTensorTable

from . import Cuda
from .Beam import Beam


class Decoder2Advancer:
    def __init__(self, decoder, batch, context, max_sent_length=None, max_num_unks=None, decStates=None,
                 dicts=None):
        self.decoder = decoder
        self.batch = batch
        self.context = context
        self.max_sent_length = max_sent_length or math.inf
        self.max_num_unks = max_num_unks or math.inf
        self.decStates = decStates if decStates is not None else initTensorTable(
            decoder.args['numEffectiveLayers'], Cuda.convert(lg.Tensor()), [self.batch.size, decoder.args['rnnSize']])
        self.dicts = dicts

    def setKeptStateIndexes(self, indexes):
        self.keptStateIndexes = indexes

    def initBeam(self):
        tokens = Cuda.convert(lg.IntTensor(self.batch.size)).fill(Constants.BOS)
        features = []
        if self.dicts:
            for j in range(len(self.dicts['tgt']['features'])):
                features.append(lg.IntTensor(self.batch.size).fill(Constants.EOS))
        sourceSizes = Cuda.convert(getattr(self.batch, 'sourceSize', None))
        # Define state to be { decoder states, decoder output, context,
        # attentions, features, sourceSizes, step, idxsOfSourceWords }.
        state = [self.decStates, None, self.context, None, features, sourceSizes, 1, self.batch.getSourceWords()]
        return Beam(tokens, state)

    def update(self, beam):
        state = beam.getState()
        decStates, decOut, context, _, features, sourceSizes, t, sourceIdxs = state[0:8]
        tokens = beam.getTokens()
        token = tokens[len(tokens) - 1]
        if len(features) == 0:
            inputs = token
        elif len(features) == 1:
            inputs = [token, features[0]]
        else:
            inputs = [token]
            inputs.append(features)
        # all sources are the same size
        decOut, decStates = self.decoder.forwardOne(inputs, decStates, context, decOut)
        t = t + 1
        softmaxOut = None   # self.decoder.softmaxAttn.output
        nextState = [decStates, decOut, context, softmaxOut, None, sourceSizes, t, sourceIdxs]
        beam.setState(nextState)

    def expand(self, beam):
        state = beam.getState()
        decOut = state[1]
        context = state[2]
        finalState = state[0][len(state[0]) - 1]
        sourceIdxs = state[7]
        genInp = [decOut, context, finalState, sourceIdxs]
        out = self.decoder.generator.forward(genInp)
        features = []
        for j in range(1, len(out)):
            _, best = out[j].max(1)
            features.append(best.view(-1))
        state[4] = features
        scores = out[0]
        return scores

    def isComplete(self, beam):
        tokens = beam.getTokens()
        seqLength = len(tokens) - 1
        complete = tokens[len(tokens) - 1].eq(Constants.EOS)
        if seqLength > self.max_sent_length:
            complete.fill(1)
        return complete

    def filter(self, beam):
        tokens = beam.getTokens()
        numUnks = Cuda.convert(lg.zeros(tokens[0].size(0)))
        for t in range(len(tokens)):
            token = tokens[t]
            numUnks.add(Cuda.convert(token.eq(Constants.UNK).double()))
        # Disallow too many UNKs
        pruned = numUnks.gt(self.max_num_unks)
        # Disallow empty hypotheses
        if len(tokens) == 2:
            pruned.add(tokens[1].eq(Constants.EOS))
        return pruned.ge(1)
