"""src/agent/learningUpdate/noLearning.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by
line. Lua drops the arguments baseAgent passes ``learn``; the Python function takes them and ignores them."""


def getLearningUpdate(opt):
    def learn(*_):
        pass
    return learn
