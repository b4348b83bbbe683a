"""onmt/train/EpochState.lua of harvardnlp/data2text: an epoch's training status (summed loss, target tokens) and
its log line; the json log (onmt/utils/Log.lua, Cuda.freeMemory) is not ported."""
import math

import legonn as lg


class EpochState:
    def __init__(self, epoch, numIterations, learningRate, lastValidPpl, status=None):
        self.epoch = epoch
        self.numIterations = numIterations
        self.learningRate = learningRate
        self.lastValidPpl = lastValidPpl
        if status is not None:
            self.status = status
        else:
            self.status = {'trainNonzeros': 0, 'trainLoss': 0, 'recLoss': 0}
        self.timer = lg.Timer()
        self.numWordsSource = 0
        self.numWordsTarget = 0
        self.minFreeMemory = 100000000000

    def update(self, batch, loss, recloss=None):
        """Update training status. Takes ``batch`` and last loss."""
        self.numWordsSource = self.numWordsSource + batch.size * batch.sourceLength
        self.numWordsTarget = self.numWordsTarget + batch.size * batch.targetLength
        self.status['trainLoss'] = self.status['trainLoss'] + loss
        if recloss:
            self.status['recLoss'] = self.status['recLoss'] + recloss
        self.status['trainNonzeros'] = self.status['trainNonzeros'] + batch.targetNonZeros

    def log(self, batchIndex, json=None):
        """Log to status stdout."""
        assert not json, 'the json log (onmt/utils/Log.lua) is not ported'
        timeTaken = self.getTime()
        stats = ''
        stats = stats + 'Epoch %d ; ' % self.epoch
        stats = stats + 'Iter %d/%d ; ' % (batchIndex, self.numIterations)
        stats = stats + 'LR %.4f ; ' % self.learningRate
        stats = stats + 'Target tokens/s %d ; ' % (self.numWordsTarget / timeTaken)
        stats = stats + 'PPL %.2f ; ' % self.getTrainPpl()
        if self.status['recLoss'] != 0:
            stats = stats + 'RLoss %.3f' % (self.status['recLoss'] / self.status['trainNonzeros'])
        print(stats)

    def getTrainPpl(self):
        return math.exp(self.status['trainLoss'] / self.status['trainNonzeros'])

    def getTime(self):
        return self.timer.time()['real']

    def getStatus(self):
        return self.status

    def getMinFreememory(self):
        return self.minFreeMemory
