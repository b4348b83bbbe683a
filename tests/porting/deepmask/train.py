"""train.lua: trains DeepMask (or SharpMask, given ``-dm``), ``main(arg)`` standing for the script run with its
command line. It returns the trainer (the Lua script returns nothing) so that a caller can look at the run."""
import os

import legonn as lg
from legonn import cutorch, nn, paths


def main(arg):
    # --------------------------------------------------------------------------
    # parse arguments
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('train DeepMask or SharpMask')
    cmd.text()
    cmd.text('Options:')
    cmd.option('-rundir', 'exps/', 'experiments directory')
    cmd.option('-datadir', 'data/', 'data directory')
    cmd.option('-seed', 1, 'manually set RNG seed')
    cmd.option('-gpu', 1, 'gpu device')
    cmd.option('-nthreads', 2, 'number of threads for DataSampler')
    cmd.option('-reload', '', 'reload a network from given directory')
    cmd.text()
    cmd.text('Training Options:')
    cmd.option('-batch', 32, 'training batch size')
    cmd.option('-lr', 0, 'learning rate (0 uses default lr schedule)')
    cmd.option('-momentum', 0.9, 'momentum')
    cmd.option('-wd', 5e-4, 'weight decay')
    cmd.option('-maxload', 4000, 'max number of training batches per epoch')
    cmd.option('-testmaxload', 500, 'max number of testing batches')
    cmd.option('-maxepoch', 300, 'max number of training epochs')
    cmd.option('-iSz', 160, 'input size')
    cmd.option('-oSz', 56, 'output size')
    cmd.option('-gSz', 112, 'ground truth size')
    cmd.option('-shift', 16, 'shift jitter allowed')
    cmd.option('-scale', .25, 'scale jitter allowed')
    cmd.option('-hfreq', 0.5, 'mask/score head sampling frequency')
    cmd.option('-scratch', False, 'train DeepMask with randomly initialize weights')
    cmd.text()
    cmd.text('SharpMask Options:')
    cmd.option('-dm', '', 'path to trained deepmask (if dm, then train SharpMask)')
    cmd.option('-km', 32, 'km')
    cmd.option('-ks', 32, 'ks')

    config = cmd.parse(arg)

    # --------------------------------------------------------------------------
    # various initializations
    lg.setdefaulttensortype('torch.FloatTensor')
    cutorch.setDevice(config['gpu'] - 1)
    lg.manualSeed(config['seed'])
    import random; random.seed(config['seed'])

    trainSm = None  # flag to train SharpMask (true) or DeepMask (false)
    if len(config['dm']) > 0:
        trainSm = True
        config['hfreq'] = 0  # train only mask head
        config['gSz'] = config['iSz']  # in sharpmask, ground-truth has same dim as input

    from .DeepMask import DeepMask
    if trainSm: from .SharpMask import SharpMask

    # --------------------------------------------------------------------------
    # reload?
    epoch, model = None, None
    if len(config['reload']) > 0:
        epoch = 0
        if paths.filep(config['reload'] + '/log'):
            for line in open(config['reload'] + '/log'):
                if 'train' in line: epoch = epoch + 1
        print('| reloading experiment %s' % config['reload'])
        m = lg.load('%s/model.t7' % config['reload'])
        model, config = m['model'], m['config']

    # --------------------------------------------------------------------------
    # directory to save log and model
    pathsv = trainSm and 'sharpmask/exp' or 'deepmask/exp'
    config['rundir'] = cmd.string(
        paths.concat(config['reload'] == '' and config['rundir'] or config['reload'], pathsv),
        config, {'rundir': True, 'gpu': True, 'reload': True, 'datadir': True, 'dm': True}  # ignore
    )

    print('| running in directory %s' % config['rundir'])
    os.system('mkdir -p %s' % config['rundir'])

    # --------------------------------------------------------------------------
    # network and criterion
    model = model if model is not None else (SharpMask(config) if trainSm else DeepMask(config))
    criterion = nn.SoftMarginCriterion().cuda()

    # --------------------------------------------------------------------------
    # initialize data loader
    from .DataLoader import DataLoader
    trainLoader, valLoader = DataLoader.create(config)

    # --------------------------------------------------------------------------
    # initialize Trainer (handles training/testing loop)
    if trainSm:
        from .TrainerSharpMask import Trainer
    else:
        from .TrainerDeepMask import Trainer
    trainer = Trainer(model, criterion, config)

    # --------------------------------------------------------------------------
    # do it
    epoch = epoch or 1
    print('| start training')
    for i in range(1, config['maxepoch'] + 1):
        trainer.train(epoch, trainLoader)
        if i % 2 == 0: trainer.test(epoch, valLoader)
        epoch = epoch + 1

    return trainer
