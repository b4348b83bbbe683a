"""src/agent/model/noModel.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line."""


def getModel(opt):
    return False
