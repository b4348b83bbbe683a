"""imagenet-multiGPU.torch's opts.lua ported line by line.

Edits beyond Lua syntax and 0-based indices: the module is the table ``M`` the Lua returns; ``-GPU``'s default is 0,
legonn's first device (cutorch's 1); ``opt.x = ...`` is ``opt['x'] = ...``; ``'' .. os.date():gsub(' ','')``
(``os.date()``'s default format is C's ``%c``; the concatenation keeps gsub's first result) is
``time.strftime('%c').replace(' ', '')``.
"""
import time

import legonn as lg
from legonn import paths


def parse(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Torch-7 Imagenet Training script')
    cmd.text()
    cmd.text('Options:')
    # ----------- General options --------------------

    cmd.option('-cache', './imagenet/checkpoint/', 'subdirectory in which to save/log experiments')
    cmd.option('-data', './imagenet/imagenet_raw_images/256', 'Home of ImageNet dataset')
    cmd.option('-manualSeed', 2, 'Manually set RNG seed')
    cmd.option('-GPU', 0, 'Default preferred GPU')
    cmd.option('-nGPU', 1, 'Number of GPUs to use by default')
    cmd.option('-backend', 'cudnn', 'Options: cudnn | nn')
    cmd.option('-cudnnAutotune', 0, 'Enable the cudnn auto tune feature Options: 1 | 0')
    # ------------ Data options ------------------------
    cmd.option('-nDonkeys', 2, 'number of donkeys to initialize (data loading threads)')
    cmd.option('-imageSize', 256, 'Smallest side of the resized image')
    cmd.option('-cropSize', 224, 'Height and Width of image crop to be used as input layer')
    cmd.option('-nClasses', 1000, 'number of classes in the dataset')
    # ------------ Training options --------------------
    cmd.option('-nEpochs', 55, 'Number of total epochs to run')
    cmd.option('-epochSize', 10000, 'Number of batches per epoch')
    cmd.option('-epochNumber', 1, 'Manual epoch number (useful on restarts)')
    cmd.option('-batchSize', 128, 'mini-batch size (1 = pure stochastic)')
    # --------- Optimization options ----------------------
    cmd.option('-LR', 0.0, 'learning rate; if set, overrides default LR/WD recipe')
    cmd.option('-momentum', 0.9, 'momentum')
    cmd.option('-weightDecay', 5e-4, 'weight decay')
    # --------- Model options ----------------------------------
    cmd.option('-netType', 'alexnetowtbn', 'Options: alexnet | overfeat | alexnetowtbn | vgg | googlenet')
    cmd.option('-retrain', 'none', 'provide path to model to retrain with')
    cmd.option('-optimState', 'none', 'provide path to an optimState to reload from')
    cmd.option('-wInit', 'none', 'Options kaiming | xavier ')
    cmd.text()

    opt = cmd.parse(arg or [])
    # add commandline specified options
    opt['save'] = paths.concat(opt['cache'],
                               cmd.string(opt['netType'], opt,
                                          {'netType': True, 'retrain': True, 'optimState': True, 'cache': True,
                                           'data': True}))
    # add date/time
    opt['save'] = paths.concat(opt['save'], '' + time.strftime('%c').replace(' ', ''))
    return opt

