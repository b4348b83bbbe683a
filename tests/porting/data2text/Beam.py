"""onmt/translate/Beam.lua of harvardnlp/data2text (OpenNMT's, between v0.4 and v0.5): the hypotheses of a beam
search at one step, their tokens, states, scores and back pointers, batchSize * beamSize of each (flat), with the
finished hypotheses of each sentence kept in the class-wide ``Beam._completed`` (by original batch id). Batch ids,
beam ids and back pointers are 0-based; ``step`` counts the steps from 1, as in the Lua."""
import math

import legonn as lg
from tests.porting.test_opennmt_modules import recursiveApply


def flatToRc(v, beamSize):
    """Reshape ``batchSize * beamSize`` tensors (or a table of them) to ``(batchSize, beamSize)`` ones."""
    def f(h):
        batchSize = math.floor(h.size(0) / beamSize)
        sizes = [h.size(j) for j in range(1, h.dim())]
        return h.view(batchSize, beamSize, *sizes)
    return recursiveApply(v, f)


def rcToFlat(v):
    """Reshape ``(batchSize, beamSize)`` tensors (or a table of them) to flat ``batchSize * beamSize`` ones."""
    def f(h):
        sizes = [h.size(0) * h.size(1)] + [h.size(j) for j in range(2, h.dim())]
        return h.view(*sizes)
    return recursiveApply(v, f)


def selectBatch(v, remaining):
    """The ``(batchSize, ...)`` tensors (or a table of them) at the batch indexes ``remaining``."""
    def f(h):
        nonlocal remaining
        if not lg.isTensor(remaining):
            remaining = lg.LongTensor(remaining)
        return h.index(0, remaining)
    return recursiveApply(v, f)


def selectBatchBeam(v, beamSize, batch, beam):
    """The entry of batch ``batch`` and beam ``beam`` of ``batchSize * beamSize`` tensors (or a table)."""
    def f(h):
        batchSize = math.floor(h.size(0) / beamSize)
        sizes = [h.size(j) for j in range(1, h.dim())]
        hOut = h.view(batchSize, beamSize, *sizes)
        return hOut[batch, beam]
    return recursiveApply(v, f)


def selectBeam(v, indexes, beamSize=None):
    """``batchSize * beamSize`` tensors (or a table) gathered at the beams ``indexes`` (batchSize x k):
    ``batchSize * k`` ones."""
    def f(h):
        nonlocal beamSize
        batchSize = indexes.size(0)
        k = indexes.size(1)
        beamSize = beamSize or k
        sizes = [h.size(j) for j in range(1, h.dim())]
        ones = [1] * len(sizes)
        return (h.contiguous().view(batchSize, beamSize, *sizes)
                .gather(1, indexes.view(batchSize, k, *ones).expand(batchSize, k, *sizes))
                .view(batchSize * k, *sizes))
    return recursiveApply(v, f)


def replicateBeam(v, beamSize):
    """``(batchSize, ...)`` tensors (or a table) repeated ``beamSize`` times: ``batchSize * beamSize`` ones."""
    def f(h):
        batchSize = h.size(0)
        sizes = [h.size(j) for j in range(1, h.dim())]
        return (h.contiguous().view(batchSize, 1, *sizes).expand(batchSize, beamSize, *sizes).contiguous()
                .view(batchSize * beamSize, *sizes))
    return recursiveApply(v, f)


class Beam:
    _completed = None   # Beam._completed: the finished hypotheses of every sentence, by original batch id

    def __init__(self, token, state, batchSize=None):
        self._remaining = batchSize or token.size(0)
        if isinstance(token, list):
            self._tokens = token
        else:
            self._tokens = [token]
        self._state = state
        self._scores = lg.zeros(self._remaining)
        self._backPointer = None
        self._prevBeam = None
        self._orig2Remaining = {}
        self._remaining2Orig = {}
        self._step = 1

    def getTokens(self):
        return self._tokens

    def getState(self):
        return self._state

    def getScores(self):
        return self._scores

    def getBackPointer(self):
        return self._backPointer

    def getRemaining(self):
        return self._remaining

    def remaining2Orig(self, remainingId=None):
        if remainingId is not None:
            return self._remaining2Orig.get(remainingId)
        return self._remaining2Orig

    def orig2Remaining(self, origId=None):
        if origId is not None:
            return self._orig2Remaining.get(origId)
        return self._orig2Remaining

    def setState(self, state):
        self._state = state

    def setScores(self, scores):
        self._scores = scores.view(-1)

    def setBackPointer(self, backPointer):
        self._backPointer = backPointer.view(-1)

    def _replicate(self, beamSize):
        assert len(self._tokens) == 1, 'only the first beam may need replicating!'
        token = self._tokens[0]
        batchSize = token.size(0)
        self._tokens[0] = replicateBeam(token, beamSize)
        self._state = replicateBeam(self._state, beamSize)
        self._scores = replicateBeam(self._scores, beamSize)
        maskScores = self._scores.new().resize(batchSize, beamSize)
        maskScores.fill(-math.inf)
        maskScores.select(1, 0).fill(0)
        self._scores.add(maskScores.view(-1))

    def _expandScores(self, scores, beamSize):
        remaining = math.floor(scores.size(0) / beamSize)
        vocabSize = scores.size(1)
        self._scores = self._scores.typeAs(scores)
        expandedScores = (scores.typeAs(self._scores).view(remaining, beamSize, -1)
                          + self._scores.view(remaining, beamSize, 1).expand(remaining, beamSize, vocabSize)
                          ).view(remaining, -1)
        return expandedScores

    def _nextBeam(self, token, scores, backPointer, beamSize):
        remaining = math.floor(token.size(0) / beamSize)
        newBeam = Beam(self._nextTokens(token, backPointer, beamSize), self._nextState(backPointer, beamSize),
                       remaining)
        newBeam.setScores(scores)
        newBeam.setBackPointer(backPointer)
        newBeam._prevBeam = self
        newBeam._step = self._step + 1
        return newBeam

    def _nextState(self, backPointer, beamSize):
        return selectBeam(self._state, backPointer, beamSize)

    def _nextTokens(self, token, backPointer, beamSize):
        nextTokens = selectBeam(self._tokens, backPointer, beamSize)
        nextTokens.append(token)
        return nextTokens

    def _removeFinishedBatches(self, remainingIds, beamSize):
        self._remaining = len(remainingIds)
        if len(remainingIds) > 0:
            self._state = rcToFlat(selectBatch(flatToRc(self._state, beamSize), remainingIds))
            self._tokens = rcToFlat(selectBatch(flatToRc(self._tokens, beamSize), remainingIds))
            self._scores = rcToFlat(selectBatch(flatToRc(self._scores, beamSize), remainingIds))
            self._backPointer = rcToFlat(selectBatch(flatToRc(self._backPointer, beamSize), remainingIds))

    def _indexState(self, beamSize, batchId, beamId, keptIndexes=None):
        keptIndexes = keptIndexes or {}
        keptState = {}
        for _, val in keptIndexes.items():
            keptState[val] = self._state[val]
        return selectBatchBeam(keptState, beamSize, batchId, beamId)

    def _indexToken(self, beamSize, batchId, beamId):
        token = self._tokens[len(self._tokens) - 1]
        return selectBatchBeam(token, beamSize, batchId, beamId)

    def _indexBackPointer(self, beamSize, batchId, beamId):
        if self._backPointer is not None:
            return selectBatchBeam(self._backPointer, beamSize, batchId, beamId)

    def _cleanUp(self, keptIndexes=None):
        keptIndexes = keptIndexes or {}
        keptState = {}
        for _, val in keptIndexes.items():
            keptState[val] = self._state[val]
        self._state = keptState

    def _addCompletedHypotheses(self, batchId, completed):
        origId = self._getOrigId(batchId)
        if getattr(self, '_remainingId', None) is None:
            self._remainingId = -1   # `self._remainingId or 0`, the ids 0-based
        self._remainingId = self._remainingId + 1
        self._orig2Remaining[origId] = self._remainingId
        self._remaining2Orig[self._remainingId] = origId
        completed = completed.view(self._remaining, -1)
        scores = self._scores.view(self._remaining, -1)
        tokens = self._tokens[len(self._tokens) - 1].view(self._remaining, -1)
        backPointers = self._backPointer.view(self._remaining, -1)
        if Beam._completed is None:
            Beam._completed = {}
        Beam._completed.setdefault(origId, [])
        done = Beam._completed[origId]
        for k in range(completed.size(1)):
            if completed[batchId][k] == 1:
                token = tokens[batchId][k]
                backPointer = backPointers[batchId][k]
                score = scores[batchId][k]
                hypothesis = [origId, score, token, backPointer, self._step]
                done.append(hypothesis)
                id = len(done) - 1
                while id > 0:   # keep them sorted by score, the best first
                    if done[id - 1][1] < score:
                        done[id - 1], done[id] = done[id], done[id - 1]
                        id = id - 1
                    else:
                        break

    @staticmethod
    def _removeCompleted(batchId):
        if Beam._completed:
            Beam._completed.pop(batchId, None)

    def _getOrigId(self, remainingId):
        if self._step <= 2:
            origId = remainingId
        else:
            origId = self._prevBeam.remaining2Orig(remainingId)
        return origId

    def _getTopHypotheses(self, remainingId, nBest, completed):
        origId = self._getOrigId(remainingId)
        if Beam._completed:
            prevCompleted = Beam._completed.get(origId, [])
        else:
            prevCompleted = []
        hypotheses = []
        prevId = 0
        currId = 0
        completed = completed.view(self._remaining, -1)
        scores = self._scores.view(self._remaining, -1)
        tokens = self._tokens[len(self._tokens) - 1].view(self._remaining, -1)
        backPointers = self._backPointer.view(self._remaining, -1)
        for _ in range(nBest):
            hypothesis = None
            if prevId < len(prevCompleted) and prevCompleted[prevId][1] > scores[remainingId][currId]:
                hypothesis = prevCompleted[prevId]
                finished = True
                prevId = prevId + 1
            else:
                finished = (completed[remainingId][currId] == 1)
                if finished:
                    score = scores[remainingId][currId]
                    token = tokens[remainingId][currId]
                    backPointer = backPointers[remainingId][currId]
                    hypothesis = [origId, score, token, backPointer, self._step]
                currId = currId + 1
            hypotheses.append({'hypothesis': hypothesis, 'finished': finished})
        return hypotheses
