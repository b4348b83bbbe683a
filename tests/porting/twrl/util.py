"""src/util.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line."""
import legonn as lg

# Lua globals the function assigns (no ``local``); read before any assignment they are nil
totalStateSpace = None
envDetails = None


def utilities():
    util = {}

    def getStateAndActionSpecs(stateSpec, actionSpec):
        global totalStateSpace, envDetails
        # Get environment specifications in case they are needed
        nbStates, nbStatesDiscrete = None, None
        if stateSpec['name'] == 'Discrete':
            nbStates = 1
            nbStatesDiscrete = stateSpec['n']
        else:
            totalStateSpace = 1
            for i in range(len(stateSpec['shape'])):
                totalStateSpace = totalStateSpace * stateSpec['shape'][i]
            nbStates = totalStateSpace
        nbActions, nbActionSpace = 0, None
        actionType = None
        actionSpaceBounds = None
        if actionSpec['name'] == 'Discrete':
            nbActions = actionSpec['n']
            actionType = 'Discrete'
        else:
            nbActionSpace = actionSpec['shape'][0]
            actionType = 'Box'
            actionSpaceBounds = lg.Tensor(nbActionSpace, 3).zero()
            for i in range(nbActionSpace):
                actionSpaceBounds[i][0] = actionSpec['low'][i]
                actionSpaceBounds[i][1] = actionSpec['high'][i]
                actionSpaceBounds[i][2] = actionSpaceBounds[i][1] - actionSpaceBounds[i][0]
            nbActions = nbActionSpace
        envDetails = {
            'stateSpec': stateSpec,
            'nbStates': nbStates,
            'nbStatesDiscrete': nbStatesDiscrete,
            'totalStateSpace': totalStateSpace,
            'actionSpec': actionSpec,
            'actionType': actionType,
            'actionSpaceBounds': actionSpaceBounds,
            'nbActionSpace': nbActionSpace,
            'nbActions': nbActions
        }
        return envDetails
    util['getStateAndActionSpecs'] = getStateAndActionSpecs
    return util
