"""src/agent/learningUpdate/util.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line."""
import legonn as lg

smallEps = 1e-8


# learning update utilities
def discount(traj, gamma):
    # Given a trajectory, computes a discounted return such that
    # y[i] = x[i] + gamma * x[i+1] + gamma^2 x[i+2] + ..
    trajReturn = lg.Tensor(len(traj))
    trajNotTerminal = lg.Tensor(len(traj)).zero()
    trajReturn[len(traj) - 1] = traj[len(traj) - 1]['reward']
    trajNotTerminal[len(traj) - 1] = 1 - traj[len(traj) - 1]['terminal']
    for j in range(len(traj) - 2, -1, -1):
        trajReturn[j] = traj[j]['reward'] + gamma * trajReturn[j + 1]
        trajNotTerminal[j] = 1 - traj[j]['terminal']
    return len(traj), trajReturn, trajNotTerminal


def getBaseline(trajs, trajLengths, trajReturns, baselineType):
    maxLength = trajLengths.max()
    paddedReturns = lg.DoubleTensor(len(trajs), maxLength).zero()
    if baselineType == 'padTimeDepAvReturn':
        for i in range(len(trajs)):
            if trajLengths[i] < maxLength:
                paddedReturns[i] = lg.cat(trajReturns[i], lg.DoubleTensor(maxLength - trajLengths[i]).zero())
            else:
                paddedReturns[i] = trajReturns[i]
    return paddedReturns.mean(0).t().squeeze()


def normalize(advantages):
    return (advantages - advantages.mean()) / (advantages.std() + smallEps)
