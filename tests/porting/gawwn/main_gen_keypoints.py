"""main_gen_keypoints.lua: the script to train the keypoint-generating model, text + some keypoints -> all keypoints.
G (fully connected) encodes z, the text code and the ``num_elt x 3`` keypoints it is given (each dropped with
probability ``drop_prob``), and outputs keypoints, of which it keeps the given ones (``maskOn``: their visibility
replicated over x, y, visibility) and fills the others; D (fully connected) scores {keypoints, text}.

``main(changes, disp)``: as main_cub_keypoints.py's. Returns netG, netD and a record of each step's errors."""
import math

import legonn as lg
from legonn import nn, optim, paths

from . import util
from .data.data import data as DataLoader


def main(changes, disp=None):
    global opt
    opt = {
        'num_holdout': 0,
        'numCaption': 1,
        'trainfiles': '',
        'drop_prob': 0.9,
        'port': 8000,
        'dbg': 0,
        'num_elt': 15,
        'save_every': 10,
        'print_every': 1,
        'dataset': 'cub_parts',
        'img_dir': '',
        'filenames': '',
        'data_root': '/mnt/brain3/datasets/txt2img/cub_ex_part',
        'checkpoint_dir': '/home/reedscot/checkpoints',
        'batchSize': 64,
        'doc_length': 201,
        'loadSize': 150,
        'txtSize': 1024,         # #  of dim for raw text.
        'fineSize': 128,
        'nt': 128,               # #  of dim for text features.
        'nz': 100,               # #  of dim for Z
        'ngf': 128,              # #  of gen filters in first conv layer
        'ndf': 64,               # #  of discrim filters in first conv layer
        'nThreads': 1,           # #  of data loading threads to use
        'niter': 1000,             # #  of iter at starting learning rate
        'lr': 0.0002,            # initial learning rate for adam
        'lr_decay': 0.5,            # initial learning rate for adam
        'decay_every': 100,
        'beta1': 0.5,            # momentum term of adam
        'ntrain': math.inf,     # #  of examples per epoch. math.huge for full dataset
        'display': 1,            # display samples while training. 0 = false
        'display_id': 10,        # display window id.
        'gpu': 2,                # gpu = 0 is CPU mode. gpu=X is GPU mode on GPU X
        'name': 'vg',
        'noise': 'normal',       # uniform / normal
        'init_g': '',
        'init_d': '',
        'use_cudnn': 1,
    }

    # one-line argument parser. parses enviroment variables to override the defaults
    opt.update(changes)
    print(opt)
    if opt['display'] == 0:
        opt['display'] = False
    if opt['display']:
        assert disp is not None, "require 'display'"
        disp.configure({'hostname': '0.0.0.0', 'port': opt['port']})

    if opt['gpu'] > 0:
        cutorch = paths.require('cutorch')
        try:
            cudnn = paths.require('cudnn')      # ok3, cudnn = pcall(require, 'cudnn')
        except ImportError:
            pass
        cutorch.setDevice(opt['gpu'] - 1)       # cutorch's devices are 1-based, legonn's 0-based

    opt['manualSeed'] = lg.random(1, 10001)  # fix seed (torch.random(1, 10000): the upper end is exclusive here)
    print("Random Seed: " + '%d' % opt['manualSeed'])
    lg.manualSeed(opt['manualSeed'])
    lg.setnumthreads(1)
    lg.setdefaulttensortype('torch.FloatTensor')

    # create data loader
    data = DataLoader.new(opt['nThreads'], opt['dataset'], opt)
    print("Dataset: " + opt['dataset'], " Size: ", data.size(), sep='\t')
    # --------------------------------------------------------------------------

    def weights_init(m):
        name = lg.type(m)
        if 'Convolution' in name:
            m.weight.normal(0.0, 0.02)
            m.bias.fill(0)
        elif 'BatchNormalization' in name:
            if m.weight is not None:
                m.weight.normal(1.0, 0.02)
            if m.bias is not None:
                m.bias.fill(0)

    nz = opt['nz']
    ndf = opt['ndf']
    ngf = opt['ngf']
    real_label = 1
    fake_label = 0

    if opt['init_g'] == '':
        maskOn = (nn.Sequential()
                  .add(nn.SelectTable(2))  # get loc
                  .add(nn.Narrow(2, 2, 1))  # get presence/absence
                  .add(nn.Replicate(3, 2)))
        maskOff = (nn.Sequential()
                   .add(maskOn)
                   .add(nn.MulConstant(-1))
                   .add(nn.AddConstant(1)))
        convG = (nn.Sequential()
                 .add(nn.ParallelTable()
                      .add(nn.Sequential()  # noise encoder
                           .add(nn.Linear(opt['nz'], ngf * 4))
                           .add(nn.ReLU(True)))
                      .add(nn.Sequential()  # text encoder
                           .add(nn.Linear(opt['txtSize'], ngf * 4))
                           .add(nn.ReLU(True)))
                      .add(nn.Sequential()  # loc encoder
                           .add(nn.View(-1, opt['num_elt'] * 3))
                           .add(nn.Linear(opt['num_elt'] * 3, ngf * 4))
                           .add(nn.BatchNormalization(ngf * 4)).add(nn.ReLU(True))
                           .add(nn.Linear(ngf * 4, ngf * 2))
                           .add(nn.BatchNormalization(ngf * 2)).add(nn.ReLU(True))))
                 .add(nn.JoinTable(1))
                 .add(nn.Linear(ngf * 10, ngf * 8))
                 .add(nn.BatchNormalization(ngf * 8)).add(nn.ReLU(True))
                 .add(nn.Linear(ngf * 8, ngf * 4))
                 .add(nn.BatchNormalization(ngf * 4)).add(nn.ReLU(True))
                 .add(nn.Linear(ngf * 4, ngf * 2))
                 .add(nn.BatchNormalization(ngf * 2)).add(nn.ReLU(True))
                 .add(nn.Linear(ngf * 2, opt['num_elt'] * 3))
                 .add(nn.View(-1, opt['num_elt'], 3))
                 .add(nn.Sigmoid()))
        netG = (nn.Sequential()
                .add(nn.ConcatTable()
                     .add(nn.Sequential()    # generated keypoints
                          .add(nn.ConcatTable()
                               .add(convG)
                               .add(maskOff))
                          .add(nn.CMulTable()))
                     .add(nn.Sequential()    # conditioning keypoints
                          .add(nn.ConcatTable()
                               .add(nn.SelectTable(2))
                               .add(maskOn))
                          .add(nn.CMulTable())))
                .add(nn.CAddTable()))
        netG.apply(weights_init)
    else:
        netG = lg.load(opt['init_g'])

    if opt['init_d'] == '':
        netD = (nn.Sequential()
                .add(nn.ParallelTable()
                     .add(nn.Sequential()  # loc encoder
                          .add(nn.View(-1, opt['num_elt'] * 3))
                          .add(nn.Linear(opt['num_elt'] * 3, ngf * 4))
                          .add(nn.BatchNormalization(ndf * 4)).add(nn.LeakyReLU(0.2, True))
                          .add(nn.Linear(ndf * 4, ndf * 2))
                          .add(nn.BatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True)))
                     .add(nn.Sequential()  # text encoder
                          .add(nn.Linear(opt['txtSize'], ndf * 4))
                          .add(nn.BatchNormalization(ndf * 4)).add(nn.LeakyReLU(0.2, True))
                          .add(nn.Linear(ndf * 4, ndf * 2))
                          .add(nn.BatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))))
                .add(nn.JoinTable(1))
                .add(nn.Linear(ndf * 4, ndf * 2))
                .add(nn.BatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
                .add(nn.Linear(ndf * 2, 1))
                .add(nn.Sigmoid()))
        netD.apply(weights_init)
    else:
        netD = lg.load(opt['init_d'])

    criterion = nn.BCECriterion()
    # -------------------------------------------------------------------------
    optimStateG = {
        'learningRate': opt['lr'],
        'beta1': opt['beta1'],
    }
    optimStateD = {
        'learningRate': opt['lr'],
        'beta1': opt['beta1'],
    }
    # --------------------------------------------------------------------------
    input_img = lg.Tensor(opt['batchSize'], 3, opt['fineSize'], opt['fineSize'])
    input_fake = lg.Tensor(opt['batchSize'], 3, opt['fineSize'], opt['fineSize'])
    input_txt = lg.Tensor(opt['batchSize'], opt['txtSize'])
    input_dbg = lg.Tensor(opt['batchSize'], 3, opt['fineSize'], opt['fineSize'])
    input_loc = lg.Tensor(opt['batchSize'], opt['num_elt'], 3)
    input_loc_g = lg.Tensor(opt['batchSize'], opt['num_elt'], 3)
    noise = lg.Tensor(opt['batchSize'], nz)
    label = lg.Tensor(opt['batchSize'])
    errD = errG = None
    # --------------------------------------------------------------------------
    epoch_tm = lg.Timer()
    tm = lg.Timer()
    data_tm = lg.Timer()
    # --------------------------------------------------------------------------
    if opt['gpu'] > 0:
        input_img = input_img.cuda()
        input_txt = input_txt.cuda()
        input_fake = input_fake.cuda()
        input_dbg = input_dbg.cuda()
        input_loc = input_loc.cuda()
        input_loc_g = input_loc_g.cuda()
        noise = noise.cuda()
        label = label.cuda()
        netD.cuda()
        netG.cuda()
        criterion.cuda()

    if (opt['gpu'] >= 0) and (opt['use_cudnn'] == 1):
        cudnn = paths.require('cudnn')
        netD = cudnn.convert(netD, cudnn)
        netG = cudnn.convert(netG, cudnn)

    parametersD, gradParametersD = netD.getParameters()
    parametersG, gradParametersG = netG.getParameters()

    if opt['display']:
        assert disp is not None, "require 'display'"

    record = {'errD': [], 'errG': [], 'loc_g': [], 'fake': []}   # what the tests read
    real_img = None

    def sample():
        nonlocal real_img
        data_tm.reset()
        data_tm.resume()
        real_img, real_txt, real_loc, dbg = data.getBatch()
        data_tm.stop()

        # input_img.copy(real_img)
        input_txt.copy(real_txt)
        input_dbg.copy(dbg)
        input_loc.copy(real_loc)
        input_loc_g.copy(input_loc)
        # copy a subset of input_loc into input_loc_g
        for b in range(opt['batchSize']):
            drop = lg.rand(opt['num_elt']).lt(opt['drop_prob'])
            for s in range(opt['num_elt']):
                if input_loc[b, s, 2] < 0.01:
                    input_loc[b, s, :].fill(0.0)
                if drop[s] == 1:
                    input_loc_g[b, s, :].fill(0.0)
        record['loc_g'].append(input_loc_g.clone())

    # create closure to evaluate f(X) and df/dX of discriminator
    fake_score = 0.5

    def fDx(x):
        nonlocal errD, fake_score
        gradParametersD.zero()

        # train with real
        label.fill(real_label)
        output = netD.forward([input_loc, input_txt])
        errD_real = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward([input_loc, input_txt], df_do)

        # train with fake
        if opt['noise'] == 'uniform':  # regenerate random noise
            noise.uniform(-1, 1)
        elif opt['noise'] == 'normal':
            noise.normal(0, 1)

        label.fill(fake_label)
        fake = netG.forward([noise, input_txt, input_loc_g])
        record['fake'].append(fake.clone())
        input_loc.copy(fake)
        output = netD.forward([input_loc, input_txt])
        # update fake score tracker
        cur_score = output.mean()
        fake_score = 0.99 * fake_score + 0.01 * cur_score
        errD_fake = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward([input_loc, input_txt], df_do)

        errD = errD_real + errD_fake
        return errD, gradParametersD

    # create closure to evaluate f(X) and df/dX of generator
    def fGx(x):
        nonlocal errG, fake_score
        gradParametersG.zero()

        label.fill(real_label)  # fake labels are real for generator cost
        output = netD.output

        cur_score = output.mean()
        fake_score = 0.99 * fake_score + 0.01 * cur_score

        errG = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        df_dr = netD.updateGradInput([input_loc, input_txt], df_do)
        netG.backward([noise, input_txt, input_loc_g], df_dr[0])
        return errG, gradParametersG

    # train
    for epoch in range(1, opt['niter'] + 1):
        epoch_tm.reset()

        if epoch % opt['decay_every'] == 0:
            optimStateG['learningRate'] = optimStateG['learningRate'] * opt['lr_decay']
            optimStateD['learningRate'] = optimStateD['learningRate'] * opt['lr_decay']

        for i in range(1, int(min(data.size(), opt['ntrain'])) + 1, opt['batchSize']):
            tm.reset()

            sample()
            optim.adam(fDx, parametersD, optimStateD)
            optim.adam(fGx, parametersG, optimStateG)
            record['errD'].append(errD)
            record['errG'].append(errG)

            if opt['dbg'] == 1:
                disp.image(input_dbg, {'win': opt['display_id'], 'title': opt['name']})
                breakpoint()                    # debug.debug()

            # logging
            if ((i - 1) / opt['batchSize']) % opt['print_every'] == 0:
                print(('[%d][%d/%d] T:%.3f  DT:%.3f lr: %.4g '
                       + ' G:%.3f  D:%.3f fs:%.2f') % (
                      epoch, ((i - 1) / opt['batchSize']),
                      math.floor(min(data.size(), opt['ntrain']) / opt['batchSize']),
                      tm.time()['real'], data_tm.time()['real'],
                      optimStateG['learningRate'],
                      errG if errG is not None else -1, errD if errD is not None else -1,
                      fake_score))
                fake_loc = input_loc.narrow(0, 0, 4).clone()
                fake_loc.narrow(2, 0, 2).mul(real_img.size(2))
                fake_img = real_img.narrow(0, 0, 4).clone().fill(0)  # empty image
                for b in range(fake_loc.size(0)):
                    fake_img[b] = util.draw_keypoints(fake_img[b], fake_loc[b])
                disp.image(fake_img, {'win': opt['display_id'], 'title': opt['name']})

        if epoch % opt['save_every'] == 0:
            paths.mkdir(opt['checkpoint_dir'])
            lg.save(opt['checkpoint_dir'] + '/' + opt['name'] + '_' + '%d' % epoch + '_net_G.t7',
                    netG.clone().clearState())
            lg.save(opt['checkpoint_dir'] + '/' + opt['name'] + '_' + '%d' % epoch + '_net_D.t7',
                    netD.clone().clearState())
            lg.save(opt['checkpoint_dir'] + '/' + opt['name'] + '_' + '%d' % epoch + '_opt.t7', opt)
            print(('End of epoch %d / %d \t Time Taken: %.3f') % (
                  epoch, opt['niter'], epoch_tm.time()['real']))
    return netG, netD, record
