"""exp/flownet.lua: Action recognition experiment using flow (``dofile 'exp/flownet.lua'`` is ``run()``):
the options it adds after ``arg`` (CmdLine keeps the last of a repeated option, so its own paths win: a
user edits ``morearg``), then main.lua. The experiment's name is the file's, as the Lua's
``debug.getinfo(1,'S').source`` gives it."""
import os

name = os.path.splitext(os.path.basename(__file__))[0]   # remove ext and folders
morearg = [
    '-name', name,
    '-netType', 'vgg16flow',
    '-dataset', 'charadesflow',
    '-LR', '0.005',
    '-LR_decay_freq', '15',
    '-epochSize', '0.2',
    '-nThreads', '4',
    '-testSize', '0.1',
    '-nEpochs', '40',
    '-conv1LR', '1',
    '-conv2LR', '1',
    '-conv3LR', '1',
    '-conv4LR', '1',
    '-conv5LR', '1',
    '-batchSize', '64',
    '-accumGrad', '4',
    '-trainfile', '../Charades_v1_train.csv',
    '-testfile', '../Charades_v1_test.csv',
    '-optnet', 'true',
    '-cacheDir', '/mnt/raid00/gunnars/cache/',
    '-data', '/mnt/raid00/gunnars/Charades_v1_flow/',
]


def run(arg=None):
    from .. import main
    arg = arg or []
    for v in morearg:
        arg.append(v)
    return main.main(arg)
