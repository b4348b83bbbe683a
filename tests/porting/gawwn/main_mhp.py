"""main_mhp.lua: the training script for MHP (MPII human pose) GAWWN, keypoints + text -> image. It is
main_cub_keypoints.lua (this package's main_cub_keypoints.py) for people: 16 joints + the head's centre as keypoints
(scripts/train_mhp.sh's num_elt 17, the mhp_keypoint_and_image donkey), ELU or ReLU activations
(``activationG``/``activationD``), a residual block in G's region pathway, dropout in D's global pathway, the
fineSize 64 variant, and D updated only while its running score on fakes (``fake_score``) is above
``fake_score_thresh`` (fDx still runs otherwise, so that G reads D's output on the fakes). It loads a text network
(``init_t``) it never uses, and shows the real images with their keypoints drawn and the keypoint maps.

``main(changes, disp)``: as main_cub_keypoints.py's. The Lua requires cudnn (so CUDA) at its top: it runs on a GPU
only, as here (``gpu=1``, cutorch's first device). Returns netG, netD and a record of each step's errors, D's mean
outputs and whether D stepped."""
import math

import legonn as lg
from legonn import nn, optim, paths

from . import util
from .data.data import data as DataLoader


def main(changes, disp=None):
    global opt
    paths.require('cudnn')
    opt = {
        'num_holdout': 1,
        'dropout': 0.8,
        'numCaption': 3,
        'activationG': '',
        'activationD': '',
        'txtSize': 1024,
        'fake_score_thresh': 0.1,
        'doc_length': 201,
        'trainfiles': '',
        'cls_weight': 0.5,
        'port': 8000,
        'dbg': 0,
        'num_elt': 16,
        'keypoint_dim': 16,
        'save_every': 10,
        'print_every': 1,
        'dataset': 'mhp',
        'img_dir': '',
        'filenames': '',
        'data_root': '/mnt/brain3/datasets/txt2img/mhp/t7files',
        'checkpoint_dir': '/home/reedscot/checkpoints',
        'batchSize': 64,
        'loadSize': 150,
        'nclass': 20,         # #  of dim for raw text.
        'fineSize': 128,
        'nt': 128,               # #  of dim for text features.
        'nz': 100,               # #  of dim for Z
        'ngf': 128,              # #  of gen filters in first conv layer
        'ndf': 64,               # #  of discrim filters in first conv layer
        'nThreads': 4,           # #  of data loading threads to use
        'niter': 1000,           # #  of iter at starting learning rate
        'lr': 0.0002,            # initial learning rate for adam
        'lr_decay': 0.5,         # initial learning rate for adam
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
        'init_t': '',
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

    assert opt['keypoint_dim'] == 16 or opt['keypoint_dim'] == 8

    if opt['gpu'] > 0:
        cutorch = paths.require('cutorch')
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

    nc = 3
    nz = opt['nz']  # noqa: F841 (the Lua's local, read only through opt.nz)
    ndf = opt['ndf']
    ngf = opt['ngf']
    real_label = 1
    fake_label = 0

    SpatialBatchNormalization = nn.SpatialBatchNormalization
    SpatialConvolution = nn.SpatialConvolution
    SpatialFullConvolution = nn.SpatialFullConvolution

    def activationG():
        if opt['activationG'] == 'elu':
            return nn.ELU()
        else:
            return nn.ReLU(True)

    def activationD():
        if opt['activationD'] == 'elu':
            return nn.ELU()
        else:
            return nn.LeakyReLU(0.2, True)

    if opt['init_g'] == '':
        # noise + txt encoder
        prep_noise = (nn.Sequential()
                      .add(nn.View(-1, opt['nz']))
                      .add(nn.Linear(opt['nz'], ngf * 4)))
        prep_txt = (nn.Sequential()
                    .add(nn.View(-1, opt['txtSize']))
                    .add(nn.Linear(opt['txtSize'], ngf * 4)))
        noise_txt = (nn.Sequential()
                     .add(nn.ParallelTable()
                          .add(prep_noise)       # ngf * 4
                          .add(prep_txt))        # ngf * 4
                     .add(nn.JoinTable(1))
                     .add(activationG()))
        noise_txt_region = (nn.Sequential()
                            .add(nn.ParallelTable()
                                 .add(nn.Sequential()
                                      .add(noise_txt)      # ngf * 8
                                      .add(nn.Linear(ngf * 8, ngf * 4))
                                      .add(nn.Replicate(opt['keypoint_dim'], 2))
                                      .add(nn.Replicate(opt['keypoint_dim'], 3)))
                                 .add(nn.Sequential()  # keypoints
                                      .add(nn.Sum(1))
                                      .add(nn.Clamp(0, 1))
                                      .add(nn.Replicate(ngf * 4, 1))))
                            .add(nn.CMulTable())  # ngf * 4
                            .add(SpatialFullConvolution(ngf * 4, ngf * 4, 3, 3, 1, 1, 1, 1))
                            .add(SpatialBatchNormalization(ngf * 4)).add(activationG())
                            .add(nn.ConcatTable()
                                 .add(nn.Sequential()
                                      .add(SpatialConvolution(ngf * 4, ngf, 1, 1, 1, 1, 0, 0))
                                      .add(SpatialBatchNormalization(ngf)).add(activationG())
                                      .add(SpatialConvolution(ngf, ngf, 3, 3, 1, 1, 1, 1))
                                      .add(SpatialBatchNormalization(ngf)).add(activationG())
                                      .add(SpatialConvolution(ngf, ngf * 4, 3, 3, 1, 1, 1, 1))
                                      .add(SpatialBatchNormalization(ngf * 4)))
                                 .add(nn.Identity()))
                            .add(nn.CAddTable()).add(activationG()))
        prep_loc_global = (nn.Sequential()
                           # (opt.num_elt) x 16 x 16
                           .add(SpatialConvolution(opt['num_elt'], ngf, 4, 4, 2, 2, 1, 1))
                           .add(SpatialBatchNormalization(ngf)).add(activationG())
                           # (ngf) x 8 x 8
                           .add(SpatialConvolution(ngf, ngf * 2, 4, 4, 2, 2, 1, 1))
                           .add(SpatialBatchNormalization(ngf * 2)).add(activationG())
                           # (ngf) x 4 x 4
                           .add(SpatialConvolution(ngf * 2, ngf * 4, 4, 4))
                           .add(SpatialBatchNormalization(ngf * 4)).add(activationG())
                           .add(nn.View(-1, ngf * 4)))
        noise_txt_global = (nn.Sequential()
                            .add(nn.ParallelTable()
                                 .add(nn.Sequential()
                                      .add(noise_txt)      # ngf * 8
                                      .add(nn.Linear(ngf * 8, ngf * 4))
                                      .add(nn.BatchNormalization(ngf * 4)).add(activationG()))
                                 .add(prep_loc_global))  # ngf * 4
                            .add(nn.JoinTable(1))
                            .add(nn.View(-1, ngf * 8, 1, 1))
                            # 1 x 1
                            .add(SpatialFullConvolution(ngf * 8, ngf * 4, 4, 4))
                            .add(SpatialBatchNormalization(ngf * 4)).add(activationG())
                            # 4 x 4
                            .add(SpatialFullConvolution(ngf * 4, ngf * 2, 4, 4, 2, 2, 1, 1))
                            .add(SpatialBatchNormalization(ngf * 2)).add(activationG())
                            # 8 x 8
                            .add(SpatialFullConvolution(ngf * 2, ngf, 4, 4, 2, 2, 1, 1))
                            .add(SpatialBatchNormalization(ngf)).add(activationG()))
        # 16 x 16
        # merge with keypoints
        netG = (nn.Sequential()
                .add(nn.ConcatTable()
                     .add(noise_txt_global)   # ngf
                     .add(noise_txt_region)   # ngf * 4
                     .add(nn.SelectTable(1)))  # keypoints
                .add(nn.JoinTable(1))
                .add(nn.Contiguous())
                # state size: (ngf*4 + opt.num_elt) x 16 x 16
                .add(SpatialFullConvolution(ngf * 5 + opt['num_elt'], ngf * 4, 3, 3, 1, 1, 1, 1))
                .add(SpatialBatchNormalization(ngf * 4)).add(activationG())
                .add(SpatialFullConvolution(ngf * 4, ngf * 4, 3, 3, 1, 1, 1, 1))
                .add(SpatialBatchNormalization(ngf * 4)))
        # state size: (ngf*4) x 16 x 16
        conc = nn.ConcatTable()
        conv = nn.Sequential()
        conv.add(SpatialConvolution(ngf * 4, ngf, 1, 1, 1, 1, 0, 0))
        conv.add(SpatialBatchNormalization(ngf)).add(activationG())
        conv.add(SpatialConvolution(ngf, ngf, 3, 3, 1, 1, 1, 1))
        conv.add(SpatialBatchNormalization(ngf)).add(activationG())
        conv.add(SpatialConvolution(ngf, ngf * 4, 3, 3, 1, 1, 1, 1))
        conv.add(SpatialBatchNormalization(ngf * 4))
        conc.add(nn.Identity())
        conc.add(conv)
        netG.add(conc)
        if opt['fineSize'] == 128:
            (netG.add(nn.CAddTable()).add(activationG())
             # state size: (ngf*4) x 16 x 16
             .add(SpatialFullConvolution(ngf * 4, ngf * 2, 4, 4, 2, 2, 1, 1))
             .add(SpatialBatchNormalization(ngf * 2)).add(activationG())
             # state size: (ngf * 2) x 32 x 32
             .add(SpatialFullConvolution(ngf * 2, ngf, 4, 4, 2, 2, 1, 1))
             .add(SpatialBatchNormalization(ngf)).add(activationG())
             # state size: (ngf) x 64 x 64
             .add(SpatialFullConvolution(ngf, nc, 4, 4, 2, 2, 1, 1))
             .add(nn.Tanh()))
            # state size: (nc) x 128 x 128
        elif opt['fineSize'] == 64:
            (netG.add(nn.CAddTable()).add(activationG())
             # state size: (ngf*4) x 16 x 16
             .add(SpatialFullConvolution(ngf * 4, ngf * 2, 4, 4, 2, 2, 1, 1))
             .add(SpatialBatchNormalization(ngf * 2)).add(activationG())
             # state size: (ngf * 2) x 32 x 32
             .add(SpatialFullConvolution(ngf * 2, nc, 4, 4, 2, 2, 1, 1))
             .add(nn.Tanh()))
            # state size: (nc) x 64 x 64
        else:
            assert False
        netG.apply(weights_init)
    else:
        netG = lg.load(opt['init_g'])

    if opt['init_d'] == '':
        # netD expects {img, loc, txt}
        if opt['fineSize'] == 128:
            imgGlobalD = (nn.Sequential()
                          .add(nn.SelectTable(0))
                          # state size: (nc) x 128 x 128
                          .add(SpatialConvolution(nc, ndf, 4, 4, 2, 2, 1, 1))
                          .add(activationD())
                          # state size: (nc) x 64 x 64
                          .add(SpatialConvolution(ndf, ndf, 4, 4, 2, 2, 1, 1))
                          .add(activationD()))
        elif opt['fineSize'] == 64:
            imgGlobalD = (nn.Sequential()
                          .add(nn.SelectTable(0))
                          # state size: (nc) x 64 x 64
                          .add(SpatialConvolution(nc, ndf, 4, 4, 2, 2, 1, 1))
                          .add(activationD()))
        else:
            assert False
        (imgGlobalD
                      # state size: (ndf) x 32 x 32
                      .add(SpatialConvolution(ndf, ndf * 2, 4, 4, 2, 2, 1, 1))
                      .add(SpatialBatchNormalization(ndf * 2)).add(activationD())
                      # state size: (ndf*2) x 16 x 16
                      .add(SpatialConvolution(ndf * 2, ndf * 2, 3, 3, 1, 1, 1, 1))
                      .add(SpatialBatchNormalization(ndf * 2)).add(activationD()))
        # state size: (ndf*2) x 16 x 16
        prep_txt_d = (nn.Sequential()
                      .add(nn.SelectTable(2))
                      .add(nn.Linear(opt['txtSize'], opt['nt']))
                      .add(activationD()))
        # region pathway
        imgTextGlobalD = (nn.Sequential()
                          .add(nn.ConcatTable()
                               .add(imgGlobalD)   # ndf * 2
                               .add(nn.Sequential()       # text path
                                    .add(prep_txt_d)  # opt.nt
                                    .add(nn.Replicate(opt['keypoint_dim'], 2))
                                    .add(nn.Replicate(opt['keypoint_dim'], 3))))
                          .add(nn.JoinTable(1))
                          .add(SpatialConvolution(ndf * 2 + opt['nt'], ndf * 2, 3, 3, 1, 1, 1, 1))
                          .add(SpatialBatchNormalization(ndf * 2)).add(activationD()))
        keyMulD = (nn.Sequential()
                   .add(nn.ConcatTable()  # keypoint multiplication
                        .add(imgTextGlobalD)
                        .add(nn.Sequential()  # keypoints
                             .add(nn.SelectTable(1))
                             .add(nn.Sum(1))
                             .add(nn.Clamp(0, 1))
                             .add(nn.Replicate(ndf * 2, 1))))
                   .add(nn.CMulTable()))
        regionD = (nn.Sequential()
                   .add(nn.ConcatTable()
                        .add(keyMulD)               # (ndf*2) features with keypoint attention
                        .add(nn.SelectTable(1)))    # (opt.num_elt) keypoints
                   .add(nn.JoinTable(1))         # keypoint concatenation
                   .add(nn.Contiguous())
                   # state size: (ndf*2) x 16 x 16
                   .add(SpatialConvolution(ndf * 2 + opt['num_elt'], ndf * 2, 1, 1))
                   .add(SpatialBatchNormalization(ndf * 2)).add(activationD())
                   # state size: (ndf*2) x 16 x 16
                   .add(SpatialConvolution(ndf * 2, ndf, 1, 1))
                   # state size: (ndf) x 16 x 16
                   .add(nn.Mean(3))
                   .add(nn.Mean(2))
                   .add(activationD()))
        # global pathway
        # state size: (ndf*2) x 16 x 16
        convGlobalD = (nn.Sequential()
                       .add(imgGlobalD)
                       # (ndf*2) x 16 x 16
                       .add(SpatialConvolution(ndf * 2, ndf * 4, 4, 4, 2, 2, 1, 1))
                       .add(SpatialBatchNormalization(ndf * 4)).add(activationD())
                       # (ndf*4) x 8 x 8
                       .add(SpatialConvolution(ndf * 4, ndf * 8, 4, 4, 2, 2, 1, 1))
                       .add(SpatialBatchNormalization(ndf * 8)).add(activationD()))  # now 4x4
        # (ndf*8) x 4 x 4
        txtGlobalD = (nn.Sequential()
                      .add(prep_txt_d)
                      .add(nn.Replicate(4, 2))
                      .add(nn.Replicate(4, 3)))
        globalD = (nn.Sequential()
                   .add(nn.ConcatTable()
                        .add(convGlobalD)
                        .add(txtGlobalD))
                   .add(nn.JoinTable(1))
                   .add(nn.Contiguous())
                   # state size: (ndf*8 + opt.nt) x 4 x 4
                   .add(SpatialConvolution(ndf * 8 + opt['nt'], ndf * 4, 1, 1))
                   .add(SpatialBatchNormalization(ndf * 4))
                   .add(activationD())
                   # state size: (ndf*4) x 4 x 4
                   .add(SpatialConvolution(ndf * 4, ndf, 4, 4, 1, 1))
                   .add(SpatialBatchNormalization(ndf)).add(activationD())
                   # state size: (ndf) x 1 x 1
                   .add(nn.View(-1, ndf))
                   .add(nn.Dropout(opt['dropout'])))
        netD = (nn.Sequential()
                .add(nn.ConcatTable()
                     .add(regionD)
                     .add(globalD))
                .add(nn.JoinTable(1))
                .add(nn.Linear(ndf * 2, ndf))
                .add(nn.BatchNormalization(ndf)).add(activationD())
                .add(nn.Linear(ndf, 1))
                .add(nn.Sigmoid()))
        netD.apply(weights_init)
    else:
        netD = lg.load(opt['init_d'])

    netT = lg.load(opt['init_t'])

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
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
    dict = {}
    for i in range(len(alphabet)):
        dict[alphabet[i]] = i
    ivocab = {}
    for k, v in dict.items():
        ivocab[v] = k
    alphabet_size = len(alphabet)  # noqa: F841 (a global nothing reads)
    # --------------------------------------------------------------------------
    input_img = lg.zeros(opt['batchSize'], 3, opt['fineSize'], opt['fineSize'])
    input_fake = lg.zeros(opt['batchSize'], 3, opt['fineSize'], opt['fineSize'])
    input_loc = lg.zeros(opt['batchSize'], opt['num_elt'], opt['keypoint_dim'], opt['keypoint_dim'])
    input_txt = lg.Tensor(opt['batchSize'], opt['txtSize'])
    input_txt_shuf = lg.Tensor(opt['batchSize'], opt['txtSize'])
    noise = lg.zeros(opt['batchSize'], opt['nz'])
    label = lg.zeros(opt['batchSize'])
    errD = errG = None
    # --------------------------------------------------------------------------
    epoch_tm = lg.Timer()
    tm = lg.Timer()
    data_tm = lg.Timer()
    # --------------------------------------------------------------------------
    if opt['gpu'] > 0:
        input_img = input_img.cuda()
        input_txt = input_txt.cuda()
        input_txt_shuf = input_txt_shuf.cuda()
        input_fake = input_fake.cuda()
        input_loc = input_loc.cuda()
        noise = noise.cuda()
        label = label.cuda()
        netD.cuda()
        netG.cuda()
        netT.cuda()
        criterion.cuda()

    if (opt['gpu'] >= 0) and (opt['use_cudnn'] == 1):
        cudnn = paths.require('cudnn')
        netD = cudnn.convert(netD, cudnn)
        netG = cudnn.convert(netG, cudnn)
        netT = cudnn.convert(netT, cudnn)  # noqa: F841 (never used)

    parametersD, gradParametersD = netD.getParameters()
    parametersG, gradParametersG = netG.getParameters()

    if opt['display']:
        assert disp is not None, "require 'display'"

    record = {'errD': [], 'errG': [], 'D_real': [], 'D_fake': [], 'stepD': []}   # what the tests read
    real_img = loc_raw = None

    def sample():
        nonlocal real_img, loc_raw
        data_tm.reset()
        data_tm.resume()
        real_img, real_txt, real_loc, dbg, loc_raw = data.getBatch()
        data_tm.stop()

        input_img.copy(real_img)
        input_txt.copy(real_txt)
        input_loc.copy(real_loc)

        shuf_ix = lg.randperm(opt['batchSize'])
        for n in range(input_txt.size(0)):
            input_txt_shuf[n].copy(input_txt[shuf_ix[n]])

    # create closure to evaluate f(X) and df/dX of discriminator
    fake_score = 0.5

    def fDx(x):
        nonlocal errD, fake_score
        gradParametersD.zero()

        # train with real
        label.fill(real_label)
        output = netD.forward([input_img, input_loc, input_txt])
        record['D_real'].append(float(output.mean()))
        errD_real = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward([input_img, input_loc, input_txt], df_do)

        # train with wrong
        errD_wrong = 0
        if opt['cls_weight'] > 0:
            # train with wrong
            label.fill(fake_label)
            output = netD.forward([input_img, input_loc, input_txt_shuf])
            errD_wrong = opt['cls_weight'] * criterion.forward(output, label)
            df_do = criterion.backward(output, label)
            df_do.mul(opt['cls_weight'])
            netD.backward([input_img, input_loc, input_txt_shuf], df_do)

        # train with fake
        if opt['noise'] == 'uniform':  # regenerate random noise
            noise.uniform(-1, 1)
        elif opt['noise'] == 'normal':
            noise.normal(0, 1)

        label.fill(fake_label)
        fake = netG.forward([[noise, input_txt], input_loc])
        input_img.copy(fake)
        output = netD.forward([input_img, input_loc, input_txt])
        record['D_fake'].append(float(output.mean()))
        # update fake score tracker
        cur_score = output.mean()
        fake_score = 0.99 * fake_score + 0.01 * cur_score
        errD_fake = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        fake_weight = 1 - opt['cls_weight']
        errD_fake = errD_fake * fake_weight
        df_do.mul(fake_weight)
        netD.backward([input_img, input_loc, input_txt], df_do)

        errD = errD_real + errD_fake + errD_wrong
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
        df_dr = netD.updateGradInput([input_img, input_loc, input_txt], df_do)
        netG.backward([[noise, input_txt], input_loc], df_dr[0])

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
            record['stepD'].append(fake_score > opt['fake_score_thresh'])
            if fake_score > opt['fake_score_thresh']:
                optim.adam(fDx, parametersD, optimStateD)
            else:
                # just do fDx, no update.
                fDx(parametersD)
            optim.adam(fGx, parametersG, optimStateG)
            record['errD'].append(errD)
            record['errG'].append(errG)

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
                fake = netG.output
                disp.image(fake.narrow(0, 0, min(4, opt['batchSize'])),
                           {'win': opt['display_id'], 'title': opt['name']})
                vis_real = real_img.narrow(0, 0, min(4, opt['batchSize']))
                for b in range(vis_real.size(0)):
                    vis_real[b] = util.draw_keypoints(vis_real[b], loc_raw[b])
                disp.image(vis_real, {'win': opt['display_id'] * 3, 'title': opt['name']})
                tmp, _ = input_loc.clone().max(1)
                tmp = lg.repeatTensor(tmp, 1, 3, 1, 1)
                disp.image(tmp.narrow(0, 0, min(4, opt['batchSize'])),
                           {'win': opt['display_id'] * 7, 'title': opt['name']})
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
