"""src/agent/policy/random.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line."""


def getPolicy(opt):
    randomActionSampler = opt['randomActionSampler']

    def selectAction(state):
        return randomActionSampler()
    return selectAction
