"""opts.lua: the command line (torch.CmdLine) of charades-algorithms, fb.resnet.torch's opts.lua with the Charades
options (the CSV files, the cache folder holding each experiment's log, checkpoints and generated lists,
``-epochSize``/``-testSize`` fractions, per-block learning rates, ``-accumGrad``).

Edits beyond the package's: ``cmd:addTime(name, '%F %T')`` reads the undefined global ``name``, nil: ``None``;
``print(arg)`` prints the table's ``tostring`` (``table: 0x...``). The ``dataset`` branches are the Lua's, in its order."""
import legonn as lg
from legonn import paths


def parse(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Torch-7 Charades Two-Stream Training Script')
    cmd.text('Check out the README file for an overview, and the exp/ folder for training examples')
    cmd.text('See https://github.com/facebook/fb.resnet.torch/blob/master/TRAINING.md for examples')
    cmd.text()
    cmd.text('Options:')
    # General options
    cmd.option('-data',       '/mnt/raid00/gunnars/Charades_v1_jpg/', 'Path to dataset')
    cmd.option('-trainfile',  './Charades_v1_train.csv', 'Path to training annotations')
    cmd.option('-testfile',   './Charades_v1_test.csv', 'Path to testing annotations')
    cmd.option('-cacheDir',   '/mnt/raid00/gunnars/cache/', 'Path to model caches')
    cmd.option('-name',       'test',     'Experiment name')
    cmd.option('-dataset',    'charades', 'Options: imagenet | cifar10 | charades')
    cmd.option('-setup',      'softmax',  'Options: softmax | sigmoid')
    cmd.option('-manualSeed', 0,          'Manually set RNG seed')
    cmd.option('-nGPU',       1,          'Number of GPUs to use by default')
    cmd.option('-backend',    'cudnn',    'Options: cudnn | cunn')
    cmd.option('-cudnn',      'default',  'Options: fastest | default | deterministic')
    cmd.option('-gen',        'gen',      'Path to save generated files')
    # Data options
    cmd.option('-nThreads',    1, 'number of data loading threads')
    # Training options
    cmd.option('-nEpochs',     1,       'Number of total epochs to run')
    cmd.option('-epochNumber', 1,       'Manual epoch number (useful on restarts)')
    cmd.option('-epochSize',   1,       'Epoch size (Int | [0,1])')
    cmd.option('-testSize',    1,       'Size of test set (Int | [0,1])')
    cmd.option('-batchSize',   64,      'mini-batch size (1 = pure stochastic)')
    cmd.option('-testOnly',    'false', 'Run on validation set only')
    cmd.option('-dumpLocalize','false',  'Output localization')
    cmd.option('-tenCrop',     'false', 'Ten-crop testing')
    cmd.option('-accumGrad',   4,       'Accumulate gradient accross N batches (Increase effective batch size)')
    cmd.option('-solver',      'sgd',   'Solver to use. Options: sgd | adam')
    # Checkpointing options
    cmd.option('-save',   'checkpoints', 'Directory in which to save checkpoints')
    cmd.option('-resume', 'none',        'Resume from the latest checkpoint in this directory')
    # Optimization options
    cmd.option('-LR',            0.001, 'initial learning rate')
    cmd.option('-LR_decay_freq', 6,     'epoch at which LR drops to 1/10')
    cmd.option('-momentum',      0.9,   'momentum')
    cmd.option('-weightDecay',   5e-4,  'weight decay')
    cmd.option('-conv1LR',       1.0,   'convolution layer LR modifier')
    cmd.option('-conv2LR',       1.0,   'convolution layer LR modifier')
    cmd.option('-conv3LR',       1.0,   'convolution layer LR modifier')
    cmd.option('-conv4LR',       1.0,   'convolution layer LR modifier')
    cmd.option('-conv5LR',       1.0,   'convolution layer LR modifier')
    cmd.option('-fc8LR',         1.0,   'fc8 layer LR modifier')
    # Model options
    cmd.option('-netType',      'vgg16','Options: resnet | preresnet | vgg16')
    cmd.option('-pretrainpath', './',     'Path to pretrained models')
    cmd.option('-depth',        34,     'ResNet depth: 18 | 34 | 50 | 101 | ...', 'number')
    cmd.option('-fc7_dropout',  0.5,    'Dropout rate after fc7 [0,1]')
    cmd.option('-marginal',     'mean', 'Type of inference (mean | max)')
    cmd.option('-shortcutType', '',     'Options: A | B | C')
    cmd.option('-retrain',      'none', 'Path to model to retrain with')
    cmd.option('-optimState',   'none', 'Path to an optimState to reload from')
    # Model options
    cmd.option('-shareGradInput',  'false', 'Share gradInput tensors to reduce memory usage')
    cmd.option('-optnet',          'true',  'Use optnet to reduce memory usage')
    cmd.option('-resetClassifier', 'false', 'Reset the fully connected layer for fine-tuning')
    cmd.option('-nClasses',         157,    'Number of classes in the dataset')
    cmd.text()

    print(lg.tostring(arg))
    opt = cmd.parse(arg if arg is not None else [])
    opt['cacheDir'] = opt['cacheDir'] + opt['name'] + '/'  # brand new cacheDir

    if not paths.dirp(opt['cacheDir']) and not paths.mkdir(opt['cacheDir']):
        cmd.error('error: unable to create cache directory: ' + opt['cacheDir'] + '\n')
    cmd.log(opt['cacheDir'] + '/log.txt', opt)  # start logging
    cmd.addTime(None, '%F %T')

    opt['save'] = opt['cacheDir'] + opt['save']
    if not (opt['gen'][0:1] == '/'):
        # If path is not absolute, then put it under opt.cacheDir
        opt['gen'] = opt['cacheDir'] + opt['gen']

    opt['testOnly'] = opt['testOnly'] != 'false'
    opt['tenCrop'] = opt['tenCrop'] != 'false'
    opt['shareGradInput'] = opt['shareGradInput'] != 'false'
    opt['optnet'] = opt['optnet'] != 'false'
    opt['resetClassifier'] = opt['resetClassifier'] != 'false'
    opt['dumpLocalize'] = opt['dumpLocalize'] != 'false'

    if not paths.dirp(opt['save']) and not paths.mkdir(opt['save']):
        cmd.error('error: unable to create checkpoint directory: ' + opt['save'] + '\n')
    if not paths.dirp(opt['gen']) and not paths.mkdir(opt['gen']):
        cmd.error('error: unable to create checkpoint directory: ' + opt['gen'] + '\n')

    if opt['dataset'] == 'imagenet':
        # Handle the most common case of missing -data flag
        trainDir = paths.concat(opt['data'], 'train')
        if not paths.dirp(opt['data']):
            cmd.error('error: missing ImageNet data directory')
        elif not paths.dirp(trainDir):
            cmd.error('error: ImageNet missing `train` directory: ' + trainDir)
        # Default shortcutType=B and nEpochs=90
        opt['shortcutType'] = 'B' if opt['shortcutType'] == '' else opt['shortcutType']
        opt['nEpochs'] = 90 if opt['nEpochs'] == 0 else opt['nEpochs']
    elif opt['dataset'] == 'cifar10':
        # Default shortcutType=A and nEpochs=164
        opt['shortcutType'] = 'A' if opt['shortcutType'] == '' else opt['shortcutType']
        opt['nEpochs'] = 164 if opt['nEpochs'] == 0 else opt['nEpochs']
    elif opt['dataset'] == 'charades':
        if not paths.dirp(opt['data']):
            cmd.error('error: missing Charades data directory')
        opt['nEpochs'] = 1 if opt['nEpochs'] == 0 else opt['nEpochs']
    elif opt['dataset'] == 'charadesflow':
        if not paths.dirp(opt['data']):
            cmd.error('error: missing Charadesflow data directory')
        opt['nEpochs'] = 1 if opt['nEpochs'] == 0 else opt['nEpochs']
    elif opt['dataset'] == 'charadessync':
        if not paths.dirp(opt['data']):
            cmd.error('error: missing Charades data directory')
        opt['nEpochs'] = 1 if opt['nEpochs'] == 0 else opt['nEpochs']
    elif opt['dataset'] == 'charadessyncflow':
        if not paths.dirp(opt['data']):
            cmd.error('error: missing Charadesflow data directory')
        opt['nEpochs'] = 1 if opt['nEpochs'] == 0 else opt['nEpochs']
    else:
        cmd.error('unknown dataset: ' + opt['dataset'])

    if opt['resetClassifier']:
        if opt['nClasses'] == 0:
            cmd.error('-nClasses required when resetClassifier is set')

    if opt['shareGradInput'] and opt['optnet']:
        cmd.error('error: cannot use both -shareGradInput and -optnet')

    return opt
