"""src/agent/learningUpdate/reinforce.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line:
REINFORCE with a time-dependent average-return baseline, normalised advantages and an entropy bonus, one optim step
per batch of trajectories.

``trajReturns[i], ... = util.discount(...)`` fills Lua tables from empty, so the lists are appended in order
(docs/porting.md's ``t[#t + 1]`` row). ``optim[optimType]`` is ``getattr(optim, optimType)``.
"""
import legonn as lg
from legonn import optim

from ... import moses as mo
from . import util


def getLearningUpdate(opt=None):
    opt = opt or {}
    envDetails = opt.get('envDetails')
    gamma = opt.get('gamma')
    baselineType = opt.get('baselineType')
    stepsizeStart = opt.get('stepsizeStart')
    policyStd = opt.get('policyStd')
    nIterations = opt.get('nIterations')
    gradClip = opt.get('gradClip')
    smallEps = util.smallEps
    model = opt.get('model')
    net = model['net']
    params, gradParams = net.getParameters()
    paramsSq = lg.Tensor(gradParams.size()).zero()
    verboseUpdate = opt.get('verboseUpdate')
    optimType = opt.get('optimType')
    optimizer = getattr(optim, optimType)

    optimConfig = {
        'learningRate': stepsizeStart,
        'alpha': opt.get('optimAlpha'),
        'weightDecay': opt.get('weightDecay'),
        'epsilon': smallEps
    }

    def learn(trajs, nIter):
        allTransitions = mo.flatten(trajs, True)
        numSteps = len(allTransitions)
        numEps = len(trajs)
        allObservations = lg.DoubleTensor(numSteps, envDetails['nbStates']).zero()
        allActions = lg.DoubleTensor(numSteps, 1).zero()
        for i in range(numSteps):
            allObservations[i] = allTransitions[i]['state']
            allActions[i] = allTransitions[i]['action']

        # For each set of trajectories calculate compute the discounted sum of rewards
        trajReturns = []
        trajNotTerminals = []
        trajLengths = lg.Tensor(numEps).zero()
        for i in range(numEps):
            length, trajReturn, trajNotTerminal = util.discount(trajs[i], gamma)
            trajLengths[i] = length
            trajReturns.append(trajReturn)
            trajNotTerminals.append(trajNotTerminal)

        # Compute the baseline
        baseline = util.getBaseline(trajs, trajLengths, trajReturns, baselineType)

        # Calculate variance-reduced reward (advantage) function
        advs = []
        for i in range(numEps):
            advs.append(trajReturns[i] - baseline[0:trajReturns[i].size()[0]])
        allAdvantages = lg.DoubleTensor(advs[0])
        for i in range(numEps - 1):
            allAdvantages = lg.cat(allAdvantages, advs[i + 1])

        # normalize the advantages to balance negative and positive normalized rewards
        advantagesNormalized = util.normalize(allAdvantages)

        def feval(x):
            # reset the gradient parameters
            gradParams.zero()

            # FORWARD PASS
            output = net.forward(allObservations)

            # add small constant to avoid nans
            output.add(optimConfig['epsilon'])

            # Define targets for optimization
            # -- REINFORCE update for discrete (Reinforce Categorical) and continuous actions (Reinforce Normal)
            targets = lg.DoubleTensor(numSteps, envDetails['nbActions']).zero()
            if envDetails['actionType'] == 'Discrete':
                # ----------------------------------------
                # derivative of log categorical w.r.t. p
                # d ln(f(x,p))     1/p[i]    if i = x
                # ------------ =
                #     d p          0         otherwise
                # ----------------------------------------
                for i in range(numSteps):
                    targets[i][allActions[i][0]] = advantagesNormalized[i] * 1 / (output[i][allActions[i][0]])
                # Add gradEntropy to targets to improve exploration and prevent convergence
                # to potentially suboptimal deterministic policy, gradient of entropy of
                # policy (for gradient descent): -(-logp(s) - 1)
                gradEntropy = lg.log(output) + 1
                targets.add(opt['beta'], gradEntropy)
            elif envDetails['actionType'] == 'Box':
                # ----------------------------------------
                # Derivative of log normal w.r.t. mean:
                # d ln(f(x,u,s))   (x - u)
                # -------------- = -------
                #      d u           s^2
                # ----------------------------------------
                for i in range(numSteps):
                    targets[i] = ((output[i] - allActions[i]) / (policyStd ** 2)) * advantagesNormalized[i]

            # BACKWARD PASS
            net.backward(allObservations, targets)

            # Clip gradients
            if gradClip > 0:
                gradParams.clamp(-gradClip, gradClip)

            # gradient descent
            gradParams.div(-1)

            obj = -2 * lg.mean(lg.sum(targets, 1)) / numSteps
            return obj, gradParams

        optimConfig['learningRate'] = stepsizeStart * ((nIterations - nIter)) / nIterations
        # the Lua's ``local params, newObj`` is a new local; in Python the name would make learn's ``params`` local
        params_, newObj = optimizer(feval, params, optimConfig)

        if (verboseUpdate == 'true') or (verboseUpdate is True):
            # Print some learning update details
            # Lua's ``..`` writes numbers with %.14g
            print('Learning update at episode: ' + '%.14g' % nIter)
            print('Learning rate: ' + '%.14g' % optimConfig['learningRate'])
            print('Number of episodes in learning batch: ' + '%.14g' % numEps)
            print('Number of steps in learning batch: ' + '%.14g' % numSteps)
    return learn
