"""src/perf.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line.

``trajs`` is keyed by the 1-based iteration number the experiment counts (a Lua table filled at ``trajs[nIter]``):
a dict, whose ``len`` is Lua's ``#trajs`` as the keys run 1..n. ``nIter`` is that count, not an index, so the window
``{{nIter-windowSize+1, nIter}}`` of episodeRewards is the slice ``nIter - windowSize:nIter``.
"""
import legonn as lg


def perf(opt=None):
    opt = opt or {}
    nIterations = opt.get('nIterations')
    iteration = 1
    trajs = {}
    windowSize = opt.get('windowSize') or 10

    episodeTrajectory = []
    episodeRewards = []
    episodeLengths = []

    def reset():
        nonlocal episodeTrajectory
        episodeTrajectory = []
        return episodeTrajectory

    def addReward(nIter, reward, terminal):
        nonlocal episodeTrajectory
        trajs[nIter] = trajs.get(nIter) or []
        episodeTrajectory.append(reward)
        if terminal:
            # add the episode trajectory to the table of all episode trajectories
            trajs[nIter].append(episodeTrajectory)

            # save episode length
            epLength = len(episodeTrajectory)
            episodeLengths.append(epLength)

            # save episode total reward
            epReward = 0
            for j in range(epLength):
                epReward = epReward + episodeTrajectory[j]
            episodeRewards.append(epReward)

            # reset episode trajectory table
            episodeTrajectory = reset()
        return episodeTrajectory, trajs

    def getSummary(nIter):
        meanEpReward = lg.Tensor(episodeRewards).mean()
        stdEpReward = lg.Tensor(episodeRewards).std()
        maxEpReward = lg.Tensor(episodeRewards).max()
        meanEpRewardWindow = None
        stdEpRewardWindow = None         # a Lua global, nil until a window is complete
        if nIter % windowSize == 0:
            meanEpRewardWindow = (lg.Tensor(episodeRewards)[nIter - windowSize:nIter]).mean()
            stdEpRewardWindow = (lg.Tensor(episodeRewards)[nIter - windowSize:nIter]).std()
        summary = {
            'iteration': len(trajs),
            'numEps': None,              # ``numEps`` is an unset global in the Lua: nil
            'windowSize': windowSize,
            'meanEpReward': meanEpReward,
            'stdEpReward': stdEpReward,
            'maxEpReward': maxEpReward,
            'meanEpRewardWindow': meanEpRewardWindow,
            'stdEpRewardWindow': stdEpRewardWindow
        }
        # a Lua table constructor stores no nil field: pairs never visits numEps (nor the window's fields off a
        # window's end) and summary.numEps reads nil (docs/porting.md's keyed-table row)
        summary = {key: value for key, value in summary.items() if value is not None}
        if nIter % windowSize == 0:
            for key, value in summary.items():
                print(key, lg.tostring(value), sep='\t')   # Lua's print: tabs, tostring
            print('*****************')
        return summary

    return {
        'reset': reset,
        'addReward': addReward,
        'getSummary': getSummary
    }
