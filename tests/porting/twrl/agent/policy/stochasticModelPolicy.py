"""src/agent/policy/stochasticModelPolicy.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by
line. ``opt.actionShift = 1`` shifted Torch7's 1-based multinomial draws to Gym's 0-based actions; legonn's draws
are 0-based, so the shift is 0 (docs/porting.md's Indices table: multinomial results)."""
import numbers

import legonn as lg


def getStochasticModelPolicy(opt):
    # function to sample actions based on the model
    actionSampler = opt['actionSampler']

    def getPolicy(opt=None):
        opt = opt or {}
        client = opt.get('client')
        instanceID = None        # the Lua reads an unset global
        envDetails = opt.get('envDetails')
        nStates = envDetails['nbStates']
        model = opt['model']['net']

        if envDetails['actionType'] == 'Discrete':
            opt['actionShift'] = 0
        elif envDetails['actionType'] == 'Box':
            actionBoundFactor = lg.Tensor(envDetails['nbActionSpace']).zero()
            for i in range(envDetails['nbActionSpace']):
                actionBoundFactor[i] = envDetails['actionSpaceBounds'][i][2] / 2.0
            opt['actionBoundFactor'] = actionBoundFactor

        def selectAction(state):
            # autocast state to a table, to handle cast to tensor
            state = [state] if isinstance(state, numbers.Number) else state
            obsv = lg.DoubleTensor(state).reshape(1, envDetails['nbStates'])
            out = model.forward(obsv)
            return actionSampler(out, opt)
        return selectAction

    return getPolicy
