"""src/agent/policy/egreedy.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line.
``math.random()`` is ``random.random()`` (docs/porting.md's row); the greedy action ``maxIdx[1] - 1`` (1-based index
to Gym's 0-based action) is ``maxIdx[0]``, legonn's index being 0-based."""
import random


def getPolicy(opt=None):
    opt = opt or {}
    client = opt.get('client')
    instanceID = None          # the Lua reads an unset global
    nStates = opt.get('nStates')
    model = opt.get('model')
    epsilon = opt.get('epsilon')
    gamma = opt.get('gamma')
    lambda_ = opt.get('lambda')
    epsilonMinValue = opt.get('epsilonMinValue')
    epsilonDecayRate = opt.get('epsilonDecayRate')
    randomActionSampler = opt.get('randomActionSampler')

    def selectAction(state):
        nonlocal epsilon
        action = None
        if random.random() < epsilon:
            action = randomActionSampler()
            model['eligibility'].zero()
        else:
            qVals = model['estimateAllQ'](state, model['weights'])
            maxQ, maxIdx = qVals.max(0)
            action = maxIdx[0]
            # actions are 0 based for gym
            model['eligibility'] = model['eligibility'] * gamma * lambda_
        if epsilon > epsilonMinValue:
            epsilon = epsilon * epsilonDecayRate
        return action
    return selectAction
