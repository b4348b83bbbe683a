"""onmt/train/Optim.lua of harvardnlp/data2text: OpenNMT's early optimiser (global gradient-norm clipping, then
sgd/adagrad/adadelta/adam steps) with data2text's ``mom`` method (an exponential moving average of the gradients)
and updateLearningRate2 (decay only in the epochs where the validation perplexity rose)."""
import math

import legonn as lg
from tests.porting.test_opennmt import adamStep


def adagradStep(dfdx, lr, state):
    if state.get('var') is None:
        state['var'] = lg.Tensor().typeAs(dfdx).resizeAs(dfdx).zero()
        state['std'] = lg.Tensor().typeAs(dfdx).resizeAs(dfdx)
    state['var'].addcmul(1, dfdx, dfdx)
    state['std'].sqrt(state['var'])
    dfdx.cdiv(state['std'].add(1e-10)).mul(-lr)


def momStep(dfdx, lr, state):
    if state.get('v') is None:   # `state.v = state.v or ...`, a nil test
        state['v'] = dfdx.clone()
    state['v'].mul(state['mom']).add(1 - state['mom'], dfdx)
    # this is annoying and unnecessary, but to be consistent w/ the stupid
    # api below we have to copy back into dfdx and scale it
    dfdx.copy(state['v']).mul(-lr)


def adadeltaStep(dfdx, lr, state):
    rho = state.get('rho', 0.9)
    eps = state.get('eps', 1e-6)
    if state.get('var') is None:   # `state.var = state.var or ...`, a nil test
        state['var'] = dfdx.new(dfdx.size()).zero()
    if state.get('std') is None:   # `state.std = state.std or ...`, a nil test
        state['std'] = dfdx.new(dfdx.size()).zero()
    if state.get('delta') is None:   # `state.delta = state.delta or ...`, a nil test
        state['delta'] = dfdx.new(dfdx.size()).zero()
    if state.get('accDelta') is None:   # `state.accDelta = state.accDelta or ...`, a nil test
        state['accDelta'] = dfdx.new(dfdx.size()).zero()
    state['var'].mul(rho).addcmul(1 - rho, dfdx, dfdx)
    state['std'].copy(state['var']).add(eps).sqrt()
    state['delta'].copy(state['accDelta']).add(eps).sqrt().cdiv(state['std']).cmul(dfdx)
    dfdx.copy(state['delta']).mul(-lr)
    state['accDelta'].mul(rho).addcmul(1 - rho, state['delta'], state['delta'])


class Optim:
    def __init__(self, args):
        self.valPerf = []
        self.method = args['method']
        self.learningRate = args['learningRate']
        if self.method == 'sgd' or self.method == 'mom':
            self.learningRateDecay = args['learningRateDecay']
            self.startDecay = False
            self.startDecayAt = args['startDecayAt']
        if self.method != 'sgd':
            if args.get('optimStates') is not None:
                self.optimStates = args['optimStates']
            else:
                self.optimStates = []
                for j in range(args['numModels']):
                    self.optimStates.append({})
                    if args.get('mom'):
                        self.optimStates[j]['mom'] = args['mom']

    def zeroGrad(self, gradParams):
        for j in range(len(gradParams)):
            gradParams[j].zero()

    def prepareGrad(self, gradParams, maxGradNorm):
        # Compute gradients norm.
        gradNorm = 0
        for j in range(len(gradParams)):
            gradNorm = gradNorm + gradParams[j].norm() ** 2
        gradNorm = math.sqrt(gradNorm)
        shrinkage = maxGradNorm / gradNorm
        for j in range(len(gradParams)):
            # Shrink gradients if needed.
            if shrinkage < 1:
                gradParams[j].mul(shrinkage)
            # Prepare gradients params according to the optimization method.
            if self.method == 'adagrad':
                adagradStep(gradParams[j], self.learningRate, self.optimStates[j])
            elif self.method == 'adadelta':
                adadeltaStep(gradParams[j], self.learningRate, self.optimStates[j])
            elif self.method == 'adam':
                adamStep(gradParams[j], self.learningRate, self.optimStates[j])
            elif self.method == "mom":
                momStep(gradParams[j], self.learningRate, self.optimStates[j])
            else:
                gradParams[j].mul(-self.learningRate)

    def updateParams(self, params, gradParams):
        for j in range(len(params)):
            params[j].add(gradParams[j])

    def _lastTwo(self):
        # self.valPerf[#self.valPerf] ~= nil and self.valPerf[#self.valPerf-1] ~= nil
        if len(self.valPerf) >= 2:
            return self.valPerf[len(self.valPerf) - 1], self.valPerf[len(self.valPerf) - 2]
        return None, None

    def updateLearningRate(self, score, epoch):
        """Decay learning rate if val perf does not improve or we hit the startDecayAt limit (and from then on)."""
        self.valPerf.append(score)
        if epoch >= self.startDecayAt:
            self.startDecay = True
        currPpl, prevPpl = self._lastTwo()
        if currPpl is not None and currPpl > prevPpl:
            self.startDecay = True
        if self.startDecay:
            self.learningRate = self.learningRate * self.learningRateDecay

    def updateLearningRate2(self, score, epoch):
        """Decay only in the epochs where val perf rose (or once past startDecayAt)."""
        self.valPerf.append(score)
        doDecay = False
        if epoch >= self.startDecayAt:
            doDecay = True
        currPpl, prevPpl = self._lastTwo()
        if currPpl is not None and currPpl > prevPpl:
            doDecay = True
        if doDecay:
            self.learningRate = self.learningRate * self.learningRateDecay

    def getLearningRate(self):
        return self.learningRate

    def getStates(self):
        return getattr(self, 'optimStates', None)
