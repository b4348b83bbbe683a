"""evalPerPatch.lua: the mask IoU of a trained DeepMask or SharpMask over validation patches, ``main(arg)``
standing for the script; with ``-save`` each batch's inputs, mask outlines and output heat maps are saved as an
image. It returns the IouMeter (the script prints its figures and returns nothing)."""
import os

import legonn as lg
from legonn import cutorch, image, nn, paths, sys, xlua


def main(arg):
    from . import DeepMask, SharpMask

    # --------------------------------------------------------------------------
    # parse arguments
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('per patch evaluation of DeepMask/SharpMask')
    cmd.text()
    cmd.argument('-model', 'model to load')
    cmd.text('Options:')
    cmd.option('-seed', 1, 'Manually set RNG seed')
    cmd.option('-gpu', 1, 'gpu device')
    cmd.option('-testmaxload', 200, 'max number of testing batches')
    cmd.option('-save', False, 'save output')

    config = cmd.parse(arg)

    # --------------------------------------------------------------------------
    # various initializations
    lg.setdefaulttensortype('torch.FloatTensor')
    cutorch.setDevice(config['gpu'] - 1)
    lg.manualSeed(config['seed'])
    import random; random.seed(config['seed'])

    inputs = lg.CudaTensor()

    # --------------------------------------------------------------------------
    # loading model and config
    print('| loading model file...' + config['model'])
    m = lg.load(config['model'] + '/model.t7')
    c = m['config']
    for k, v in c.items():
        if config.get(k) is None: config[k] = v
    epoch = 0
    if paths.filep(config['model'] + '/log'):
        for line in open(config['model'] + '/log'):
            if 'train' in line: epoch = epoch + 1
        print('| number of examples seen until now: %d (%d epochs)' % (
            epoch * config['maxload'] * config['batch'], epoch))
    config['hfreq'] = 0  # only evaluate masks

    model = m['model']
    if lg.type(model) == 'nn.DeepMask':
        model = nn.Sequential().add(model.trunk).add(model.maskBranch)
    model.evaluate()

    # --------------------------------------------------------------------------
    # directory to save results
    savedir = None
    if config['save']:
        savedir = '%s/epoch=%d/res-patch/' % (config['model'], epoch)
        os.system('mkdir -p %s' % savedir)

    # --------------------------------------------------------------------------
    # initialize data provider and mask meter
    from .DataLoader import DataLoader
    _, valLoader = DataLoader.create(config)

    from .trainMeters import IouMeter
    maskmeter = IouMeter(0.5, config['testmaxload'] * config['batch'])

    # --------------------------------------------------------------------------
    # function display output
    def saveRes(input, target, output, savedir, n):
        batch, h, w = target.size(0), config['gSz'], config['gSz']

        input, target, output = input.float(), target.float(), output.float()
        input = input.narrow(2, 15, config['iSz']).narrow(3, 15, config['iSz'])
        output.mul(-1).exp().add(1).pow(-1)  # transform outs in probability
        output = output.view(batch, h, w)

        imgRGB = lg.Tensor(batch, 3, h, w).zero()
        outJet = lg.Tensor(batch, 3, h, w).zero()

        for b in range(0, batch):
            imgRGB.narrow(0, b, 1).copy(image.scale(input[b], w, h))
            oj = lg.floor(output[b] * 100).add(1).double()
            oj = image.scale(oj, w, h); oj = image.y2jet(oj)
            outJet.narrow(0, b, 1).copy(oj)
            mask = image.scale(target[b], w, h).ge(0).double()
            me = image.erode(mask, lg.DoubleTensor(3, 3).fill(1))
            md = image.dilate(mask, lg.DoubleTensor(3, 3).fill(1))
            maskf = md - me
            maskf = maskf.eq(1)
            imgRGB.narrow(0, b, 1).add(-imgRGB.min()).mul(1 / imgRGB.max())
            imgRGB[b][0][maskf] = 1; imgRGB[b][1][maskf] = 0; imgRGB[b][2][maskf] = 0

        # concatenate
        res = lg.Tensor(3, h * batch, w * 2).zero()
        for b in range(0, batch):
            res.narrow(1, b * h, h).narrow(2, 0, w).copy(imgRGB[b])
            res.narrow(1, b * h, h).narrow(2, w, w).copy(outJet[b])

        image.save('%s/%d.jpg' % (savedir, n), res)

    # --------------------------------------------------------------------------
    # start evaluation
    print('| start per batch evaluation')
    maskmeter.reset()
    sys.tic()
    for n, sample in valLoader.run():
        xlua.progress(n - 1, config['testmaxload'])

        # copy input and target to the GPU
        inputs.resize(sample['inputs'].size()).copy(sample['inputs'])

        # infer mask in batch
        output = model.forward(inputs).float()
        cutorch.synchronize()
        output = output.view(sample['labels'].size())

        # compute IoU
        maskmeter.add(output, sample['labels'])

        # save?
        if config['save']:
            saveRes(sample['inputs'], sample['labels'], output, savedir, n)

    cutorch.synchronize()
    print('| finish')

    # --------------------------------------------------------------------------
    # log
    print('----------------------------------------------')
    log = '| model: %s\n' % config['model']
    log = log + '| # epochs: %s\n' % epoch
    log = log + (
        '| # samples: %d\n' +
        '| samples/s %7d ' +
        '| mean %06.2f median %06.2f ' +
        'iou@.5 %06.2f  iou@.7 %06.2f ') % (
        maskmeter.n, config['batch'] * config['testmaxload'] / sys.toc(),
        maskmeter.value('mean'), maskmeter.value('median'),
        maskmeter.value('0.5'), maskmeter.value('0.7')
    )
    print(log)
    return maskmeter
