"""src/agent/learningUpdate/tdLambda.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by
line: TD(lambda) with Q-learning or SARSA targets over the tile-coded linear Q function (model/qFunction.lua)."""


def getLearningUpdate(opt=None):
    opt = opt or {}
    model = opt.get('model')
    envDetails = opt.get('envDetails')
    tdLearnUpdate = opt.get('tdLearnUpdate')
    gamma = opt.get('gamma')
    alpha = opt.get('stepsizeStart')
    relativeAlpha = opt.get('relativeAlpha')
    numTilings = opt.get('numTilings')
    if relativeAlpha != 0:
        alpha = relativeAlpha / numTilings

    def learn(transition, nIter):
        state = transition['state']
        action = transition['action']
        reward = transition['reward']
        nextState = transition['nextState']
        nextAction = transition['nextAction']
        terminal = transition['terminal']
        delta = 0
        if terminal is True:
            delta = reward - model['estimateQ'](state, action, model['weights'])
            model['weights'] = model['weights'] + (alpha * delta * model['eligibility'])
            model['eligibility'].zero()
        else:
            model['accumulateEligibility'](state, action, model['eligibility'])
            if tdLearnUpdate == 'qLearning':
                qVals = model['estimateAllQ'](nextState, model['weights'])
                maxQ, maxIdx = qVals.max(0)
                delta = reward + (gamma * maxQ[0]) - model['estimateQ'](state, action, model['weights'])
            elif tdLearnUpdate == 'SARSA':
                qVal = model['estimateQ'](nextState, nextAction, model['weights'])
                delta = reward + (gamma * qVal) - model['estimateQ'](state, action, model['weights'])
            model['weights'] = model['weights'] + (alpha * delta * model['eligibility'])
    return learn
