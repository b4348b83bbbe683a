"""onmt/translate/BeamSearcher.lua of harvardnlp/data2text (OpenNMT's, between v0.4 and v0.5): beam search over
the hypotheses an Advancer extends. ``search`` returns ``finished``, ``finished[b][n]`` the n-th best hypothesis
(0-based) of sentence b: its ``tokens`` (without the initial token unless ``keepInitial``), ``states``, ``score``."""
import math

from .Beam import Beam


class BeamSearcher:
    def __init__(self, advancer):
        self.advancer = advancer

    def search(self, beamSize=None, nBest=None, preFilterFactor=None, keepInitial=None):
        self.nBest = nBest or 1
        self.beamSize = beamSize or 1
        assert self.nBest <= self.beamSize
        self.preFilterFactor = preFilterFactor or 1
        self.keepInitial = keepInitial or False
        beams = []
        finished = {}
        # Initialize the beam.
        beams.append(self.advancer.initBeam())
        remaining = beams[0].getRemaining()
        if beams[0].getTokens()[0].size(0) != remaining * beamSize:
            beams[0]._replicate(self.beamSize)
        t = 1   # the step, counted from 1: beams[t - 1] is the beam of step t
        while remaining > 0:
            # Update beam states based on new tokens.
            self.advancer.update(beams[t - 1])
            # Expand beams by all possible tokens and return the scores.
            scores = self.advancer.expand(beams[t - 1])
            # Find k best next beams (maintained by BeamSearcher).
            self._findKBest(beams, scores)
            completed = self.advancer.isComplete(beams[t])
            # Remove completed sentences from the beam.
            finishedBatches, finishedHypotheses = self._completeHypotheses(beams, completed)
            for b in range(len(finishedBatches)):
                finished[finishedBatches[b]] = finishedHypotheses[b]
            t = t + 1
            remaining = beams[t - 1].getRemaining()
        return finished

    def _findKBest(self, beams, scores):
        t = len(beams)
        vocabSize = scores.size(1)
        expandedScores = beams[t - 1]._expandScores(scores, self.beamSize)
        # Find top beamSize * preFilterFactor hypotheses.
        considered = self.beamSize * self.preFilterFactor
        consideredScores, consideredIds = expandedScores.topk(considered, 1, True, True)
        # (consideredIds:add(-1), the back pointers' and tokens' +1: the ids are 0-based here)
        consideredBackPointer = consideredIds.clone().div(vocabSize)
        consideredToken = consideredIds.fmod(vocabSize).view(-1)
        newBeam = beams[t - 1]._nextBeam(consideredToken, consideredScores, consideredBackPointer, self.beamSize)
        # Prune hypotheses if necessary.
        pruned = self.advancer.filter(newBeam)
        if pruned is not None and pruned.any():
            consideredScores.view(-1).maskedFill(pruned, -math.inf)
        # Find top beamSize hypotheses.
        if (pruned is None or not pruned.any()) and self.preFilterFactor == 1:
            beams.append(newBeam)
        else:
            kBestScores, kBestIds = consideredScores.topk(self.beamSize, 1, True, True)
            backPointer = consideredBackPointer.gather(1, kBestIds)
            token = consideredToken.viewAs(consideredIds).gather(1, kBestIds).view(-1)
            newBeam = beams[t - 1]._nextBeam(token, kBestScores, backPointer, self.beamSize)
            beams.append(newBeam)
        # Cleanup unused memory.
        beams[t - 1]._cleanUp(getattr(self.advancer, 'keptStateIndexes', None))

    def _retrieveHypothesis(self, beams, batchId, score, tok, bp, t):
        states = {}
        tokens = {}
        tokens[t - 1] = tok
        t = t - 1
        while t > 0:
            if t == 1:
                remainingId = batchId
            else:
                remainingId = beams[t - 1].orig2Remaining(batchId)
            assert remainingId is not None
            states[t] = beams[t - 1]._indexState(self.beamSize, remainingId, bp,
                                                 getattr(self.advancer, 'keptStateIndexes', None))
            tokens[t - 1] = beams[t - 1]._indexToken(self.beamSize, remainingId, bp)
            bp = beams[t - 1]._indexBackPointer(self.beamSize, remainingId, bp)
            t = t - 1
        if not self.keepInitial:
            del tokens[0]
        # Transpose states
        statesTemp = {}
        for r in sorted(states):
            for j in states[r]:
                statesTemp.setdefault(j, {})[r] = states[r][j]
        states = statesTemp
        # the Lua's tokens table runs from 1 (0 with keepInitial): a list, 0-based
        return {'tokens': [tokens[k] for k in sorted(tokens)], 'states': states, 'score': score}

    def _completeHypotheses(self, beams, completed):
        t = len(beams)
        batchSize = beams[t - 1].getRemaining()
        completed = completed.view(batchSize, -1)
        finishedBatches = []
        finishedHypotheses = []
        remainingIds = []
        for b in range(batchSize):
            batchFinished = True
            hypotheses = beams[t - 1]._getTopHypotheses(b, self.nBest, completed)
            # Checks whether the top nBest hypotheses are all finished.
            for k in range(self.nBest):
                hypothesis = hypotheses[k]
                if not hypothesis['finished']:
                    batchFinished = False
                    break
            if not batchFinished:
                # For incomplete sentences, we need to store the completed hypotheses.
                remainingIds.append(b)
                beams[t - 1]._addCompletedHypotheses(b, completed)
            else:
                # For complete sentences, we retrieve the nBest hypotheses.
                origId = beams[t - 1]._getOrigId(b)
                finishedBatches.append(origId)
                hypothesis = []
                for k in range(self.nBest):
                    hypothesis.append(self._retrieveHypothesis(beams, *hypotheses[k]['hypothesis']))
                finishedHypotheses.append(hypothesis)
                Beam._removeCompleted(origId)
        # Remove finished sentences from the beam.
        beams[t - 1].getScores().maskedFill(completed.view(-1), -math.inf)
        if len(remainingIds) < batchSize:
            beams[t - 1]._removeFinishedBatches(remainingIds, self.beamSize)
        return finishedBatches, finishedHypotheses
