"""src/agent/model/qFunction.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line: a linear
Q function over tile-coded (state, action) features, with eligibility traces.

Weight indices from 0: the Lua's baseline feature 1 is 0 and a tiling's feature ``features[tiling] + (tiling-1) *
memorySize + 1`` is ``features[tiling] + tiling * memorySize`` (tilings from 0), the same weights one place down (as
in the Lua, tiling 0's feature 0 shares the baseline's weight). ``ints = {action}`` assigns a Lua global, read by
the next line: a local here.
"""
import importlib

import legonn as lg

from ... import PKG


def getModel(opt=None):
    opt = opt or {}
    envDetails = opt.get('envDetails')
    numTilings = opt.get('numTilings')
    numTiles = opt.get('numTiles')
    initialWeightVal = opt.get('initialWeightVal')
    traceType = opt.get('traceType')
    nbActions = envDetails['nbActions']
    memorySize = numTiles * numTiles
    tc = importlib.import_module(PKG + '.agent.model.tilecoding').tilecoding(
        {'numTilings': numTilings, 'memorySize': memorySize})
    weights = lg.FloatTensor((numTilings * memorySize) + 1).zero().fill(initialWeightVal)
    eligibility = lg.FloatTensor((numTilings * memorySize) + 1).zero().fill(0)

    def getFeatures(state, action):
        floats = []
        ints = None
        for i in range(envDetails['nbStates']):
            if envDetails['stateSpec']['high'][i] > 1000:
                # no scaling
                floats.append((numTilings * state[i]) / 1)
            else:
                # scale to the max and min of the state space
                floats.append((numTilings * state[i]) /
                              (envDetails['stateSpec']['high'][i] - envDetails['stateSpec']['low'][i]))
        if envDetails['actionType'] == 'Discrete':
            ints = [action]
        else:
            floats.append(action)
        features = tc['tiles'](memorySize, numTilings, floats, ints)
        featIdx = []
        for tiling in range(numTilings):
            featIdx.append(features[tiling] + (tiling * memorySize))
        # add a baseline feature
        featIdx.insert(0, 0)
        return featIdx

    # define accesory methods for the Q function
    def estimateQ(state, action, w):
        # estimate Q(s,a) as sum of corresponding weights
        featIdx = getFeatures(state, action)
        weightSum = 0
        for idx in range(len(featIdx)):
            weightSum = weightSum + w[featIdx[idx]]
        return weightSum

    def estimateAllQ(state, w):
        # estimate Q(s,a) for all actions
        qVals = lg.Tensor(nbActions).zero()
        # actions are base 0 for environment simplicity
        for action in range(0, nbActions):
            qVals[action] = estimateQ(state, action, w)
        return qVals

    def accumulateEligibility(state, action, elig):
        nonlocal eligibility
        featIdx = getFeatures(state, action)
        # accumulate eligibility for all features present in s,a
        for idx in range(len(featIdx)):
            if traceType == 'replacing':
                elig[featIdx[idx]] = 1
            elif traceType == 'accumulating':
                elig[featIdx[idx]] = elig[featIdx[idx]] + 1
            eligibility = elig

    return {
        'weights': weights,
        'eligibility': eligibility,
        'accumulateEligibility': accumulateEligibility,
        'estimateQ': estimateQ,
        'estimateAllQ': estimateAllQ,
        'getFeatures': getFeatures
    }
