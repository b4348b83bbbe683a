"""src/agent/policy/actionSamplers.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line.
``actionShift`` comes from stochasticModelPolicy: 0 in the port, as legonn's multinomial draws are 0-based already
(Torch7's are 1-based, shifted by 1 to Gym's 0-based actions)."""
import legonn as lg


def categorical(actionDistribution, opt=None):
    opt = opt or {}
    actionShift = opt.get('actionShift')
    return (lg.multinomial(actionDistribution, 1) - actionShift)[0][0]


def normal(actionDistribution, opt=None):
    opt = opt or {}
    std = opt.get('std')
    actionBoundFactor = opt.get('actionBoundFactor')
    actions = lg.cmul(lg.normal(actionDistribution, std), actionBoundFactor)
    actions = actions.size().size() == 2 and actions[0] or actions
    return actions.totable()
