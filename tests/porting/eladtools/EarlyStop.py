"""eladhoffer/eladtools' EarlyStop.lua (MIT licence), which seq2seq.torch's main.lua and thoughtVectors.lua
construct: counts epochs whose error is not a new lowest and says when to stop."""


class EarlyStop:
    typename = 'EarlyStop'

    def __init__(self, allowedBadIters=None, maxIterations=None):
        self.allowedBadIters = allowedBadIters or 5
        self.maxIterations = maxIterations or -1
        self.iteration = 0
        self.bestIteration = 0
        self.badStreak = 0
        self.stopped = False
        self.lowestError = None   # nil until the first update

    def update(self, currentError):
        self.iteration = self.iteration + 1

        if self.iteration == 1 or currentError < self.lowestError:
            self.badStreak = 0
            self.lowestError = currentError
            self.bestIteration = self.iteration
        else:
            self.badStreak = self.badStreak + 1

        self.lastError = currentError

        if self.badStreak >= self.allowedBadIters:
            self.stopped = True  # stop
        else:
            self.stopped = False  # continue

        if self.iteration == self.maxIterations:
            self.stopped = True

        return self.stopped

    def reset(self):
        self.badStreak = 0
        self.iteration = 0
        self.stopped = False

    def stop(self):
        return self.stopped

    def lowest(self):
        return self.lowestError, self.bestIteration
