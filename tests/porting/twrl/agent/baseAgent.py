"""src/agent/baseAgent.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line.

The Lua's ``function selectAction``, ``resetTrajectories``, ``addTrajectory`` and ``reward`` assign globals (no
``local``): ``global`` declares them so here (docs/porting.md's closure/global row), each still closing over getAgent's
``trajs``, ``traj``, ``timestepsTotal`` (``nonlocal``). As in Lua, a second getAgent rebinds them, and the first
agent's ``reward`` then calls the second's addTrajectory and resetTrajectories.
addTrajectory's ``t.reward = reward`` reads that global ``reward``, the function, as the Lua does (see the package
docstring), and ``t.nextState = torch.DoubleTensor(opt.nextState)`` reads ``opt.nextState`` as the Lua does.
``policy`` reads the Lua global ``instanceID``, never set: None.
"""
import importlib
import numbers

import legonn as lg
from legonn import nn  # noqa: F401

from .. import PKG

instanceID = None


def getAgent(opt=None):
    opt = opt or {}
    envDetails = opt.get('envDetails')
    timestepsPerBatch = opt.get('timestepsPerBatch') or 10
    learningType = opt.get('learningType')
    model = None
    policy = None
    learningUpdate = None
    randomActionSampler = opt.get('randomActionSampler')

    opt['nHiddenLayerSize'] = opt.get('nHiddenLayerSize') or 10
    if opt.get('model'):
        modelName = opt['model']
        model = importlib.import_module(PKG + '.agent.model.' + opt['model']).getModel({
            'nInputs': envDetails['nbStates'],
            'nOutputs': envDetails['nbActions'],
            'nHiddenLayerSize': opt['nHiddenLayerSize'],
            'envDetails': envDetails,
            'numTilings': opt.get('numTilings'),
            'numTiles': opt.get('numTiles'),
            'initialWeightVal': opt.get('initialWeightVal'),
            'traceType': opt.get('traceType')
        })

    policy = getattr(importlib.import_module(PKG + '.agent.policy'), opt['policy'])({
        'client': opt.get('client'),
        'instanceID': instanceID,
        'envDetails': envDetails,
        'model': model,
        'epsilon': opt.get('epsilon'),
        'epsilonMinValue': opt.get('epsilonMinValue'),
        'epsilonDecayRate': opt.get('epsilonDecayRate'),
        'gamma': opt.get('gamma'),
        'lambda': opt.get('lambda'),
        'std': opt.get('policyStd'),
        'randomActionSampler': randomActionSampler
    })

    learn = importlib.import_module(PKG + '.agent.learningUpdate.' + opt['learningUpdate']).getLearningUpdate({
        'model': model,
        'envDetails': envDetails,
        'tdLearnUpdate': opt.get('tdLearnUpdate'),
        'gamma': opt.get('gamma'),
        'baselineType': opt.get('baselineType'),
        'stepsizeStart': opt.get('stepsizeStart'),
        'policyStd': opt.get('policyStd'),
        'beta': opt.get('beta'),
        'gradClip': opt.get('gradClip'),
        'weightDecay': opt.get('weightDecay'),
        'nIterations': opt.get('nIterations'),
        'numTilings': opt.get('numTilings'),
        'relativeAlpha': opt.get('relativeAlpha'),
        'optimAlpha': opt.get('optimAlpha'),
        'optimType': opt.get('optimType'),
        'verboseUpdate': opt.get('verboseUpdate')
    })

    global selectAction, resetTrajectories, addTrajectory, reward

    def selectAction(client, instanceID, state):
        return policy(state)

    timestepsTotal = 0
    trajs = []
    traj = []

    def resetTrajectories():
        nonlocal timestepsTotal, trajs, traj
        timestepsTotal = 0
        trajs = []
        traj = []

    def addTrajectory(opt):
        t = {}
        state = [opt['state']] if isinstance(opt['state'], numbers.Number) else opt['state']
        t['state'] = lg.DoubleTensor(state)
        action = [opt['action']] if isinstance(opt['action'], numbers.Number) else opt['action']
        t['action'] = lg.DoubleTensor(action)
        t['reward'] = reward
        nextState = [opt['nextState']] if isinstance(opt['nextState'], numbers.Number) else opt['nextState']
        t['nextState'] = lg.DoubleTensor(opt['nextState'])
        nextAction = [opt['nextAction']] if isinstance(opt['nextAction'], numbers.Number) else opt['nextAction']
        t['nextAction'] = lg.DoubleTensor(nextAction)
        t['terminal'] = (opt['terminal'] and 1) or 0
        return t

    def reward(opt):
        nonlocal traj, timestepsTotal
        transition = opt
        if learningType == 'noBatch':
            # iterative learning
            learn(transition, opt['nIter'])
        elif learningType == 'batch':
            terminal = opt['terminal']
            # build the transition
            t = addTrajectory(opt)
            # add the current transition to the current trajectory
            traj.append(t)
            # batch learning
            # on episode end, add full episode trajectory to full list
            if terminal:
                trajs.append(traj)
                timestepsTotal = timestepsTotal + len(traj)
                traj = []
            # learn when we have enough trajectories
            if timestepsTotal >= timestepsPerBatch:
                learn(trajs, opt['nIter'])
                resetTrajectories()
    return {
        'selectAction': selectAction,
        'reward': reward
    }
