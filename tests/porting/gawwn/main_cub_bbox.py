"""main_cub_bbox.lua: the generic training script for CUB GAWWN with a bounding box, box + text -> image. G's
local pathway draws the z + text code into the box (a 4x4 map upsampled to 16 x 16, then placed by stn's
AffineGridGeneratorBHWD and BilinearSamplerBHWD through the box's inverse crop, which ``netI`` = CropInvert
computes) and its global one sees the text code sampled into the box; D crops its image features and the
replicated text code to the box the same way. D trains on real images with their text, real images with shuffled
texts (``cls_weight``) and fakes; G through D's last output.

``main(changes, disp)``: as main_cub_keypoints.py's. The Lua requires cudnn (so CUDA) at its top and moves
``input_loc`` to the GPU for any ``gpu >= 0``: it runs on a GPU only, as here (``gpu=1``, cutorch's first device).
Returns netG, netD, netI and a record of each step's errors."""
import math

import legonn as lg
from legonn import nn, optim, paths

from . import util
from .CropInvert import CropInvert
from .data.data import data as DataLoader


def main(changes, disp=None):
    global opt
    paths.require('cudnn')
    opt = {
        'num_holdout': 0,
        'numCaption': 1,
        'port': 8000,
        'iou_thresh': 0.8,
        'dbg': 0,
        'num_elt': 2,
        'save_every': 10,
        'print_every': 1,
        'dataset': 'cub_stn',
        'img_dir': '',
        'cls_weight': 0.5,
        'filenames': '',
        'data_root': '/mnt/brain3/datasets/txt2img/cub_ex_loc',
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
        'nThreads': 4,           # #  of data loading threads to use
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
    nz = opt['nz']
    ndf = opt['ndf']
    ngf = opt['ngf']
    real_label = 1
    fake_label = 0

    SpatialBatchNormalization = nn.SpatialBatchNormalization
    SpatialConvolution = nn.SpatialConvolution
    SpatialFullConvolution = nn.SpatialFullConvolution

    if opt['init_g'] == '':
        prep_noise = (nn.Sequential()
                      .add(nn.View(-1, opt['nz']))
                      .add(nn.Linear(opt['nz'], ngf * 4)))
        prep_txt_g = (nn.Sequential()
                      .add(nn.View(-1, opt['txtSize']))
                      .add(nn.Linear(opt['txtSize'], ngf * 4)))
        txtGlobalG = (nn.Sequential()
                      .add(nn.ParallelTable()
                           .add(nn.Sequential()        # { noise, txt }
                                .add(nn.SelectTable(1))   # txt
                                .add(prep_txt_g)
                                .add(nn.Replicate(16, 2))
                                .add(nn.Replicate(16, 3))
                                .add(nn.Transpose([1, 2], [2, 3])))  # chw to hwc
                           # 512 x 16 x 16
                           .add(nn.Sequential()        # loc
                                .add(nn.View(-1, 2, 3))
                                .add(nn.AffineGridGeneratorBHWD(16, 16))))
                      .add(nn.BilinearSamplerBHWD())
                      .add(nn.Transpose([2, 3], [1, 2]))  # hwc to chw
                      .add(nn.Contiguous())
                      .add(nn.View(-1, opt['num_elt'], ngf * 4, 16, 16))
                      .add(nn.Mean(1))   # average over elements
                      # (512) x 16 x 16
                      .add(SpatialConvolution(ngf * 4, ngf * 4, 4, 4, 2, 2, 1, 1))
                      .add(SpatialBatchNormalization(ngf * 4)).add(nn.ReLU(True))
                      # (ngf*2) x 8 x 8
                      .add(SpatialConvolution(ngf * 4, ngf * 4, 4, 4, 2, 2, 1, 1))
                      .add(SpatialBatchNormalization(ngf * 4)).add(nn.ReLU(True))
                      # (ngf*4) x 4 x 4
                      .add(SpatialConvolution(ngf * 4, ngf * 4, 4, 4))
                      .add(SpatialBatchNormalization(ngf * 4)).add(nn.ReLU(True)))
        # (ngf*4) x 1 x 1
        combiner_local = (nn.Sequential()
                          .add(nn.ParallelTable()
                               .add(prep_noise)   # (ngf*4)
                               .add(prep_txt_g))  # (ngf*4)
                          .add(nn.JoinTable(1))
                          .add(nn.ReLU(True)))
        combiner_global = (nn.Sequential()
                           .add(nn.ConcatTable()
                                .add(nn.Sequential()
                                     .add(nn.SelectTable(0))          # get { noise, txt }
                                     .add(nn.SelectTable(0))          # get noise
                                     .add(nn.Select(1, 0))             # pick first noise element
                                     .add(nn.Linear(opt['nz'], ngf * 4))   # (ngf*4)
                                     .add(nn.ReLU(True)))
                                .add(txtGlobalG))                  # (ngf*4) x 1 x 1
                           .add(nn.JoinTable(1))
                           .add(nn.ReLU(True)))
        # global path
        globalG = (nn.Sequential()
                   .add(combiner_global)
                   .add(nn.View(-1, ngf * 8, 1, 1))
                   .add(SpatialFullConvolution(ngf * 8, ngf * 8, 4, 4))
                   .add(SpatialBatchNormalization(ngf * 8))
                   .add(nn.ReLU(True))
                   # state size: (ngf*8) x 4 x 4
                   .add(SpatialFullConvolution(ngf * 8, ngf * 4, 4, 4, 2, 2, 1, 1))
                   .add(SpatialBatchNormalization(ngf * 4))
                   .add(nn.ReLU(True))
                   # state size: (ngf*4) x 8 x 8
                   .add(SpatialFullConvolution(ngf * 4, ngf * 2, 4, 4, 2, 2, 1, 1))
                   .add(SpatialBatchNormalization(ngf * 2))
                   # state size: (ngf*2) x 16 x 16
                   .add(nn.ReLU(True)))
        # regions path
        convG = (nn.Sequential()
                 .add(combiner_local)
                 .add(nn.View(-1, ngf * 8, 1, 1))
                 .add(SpatialFullConvolution(ngf * 8, ngf * 8, 4, 4))
                 .add(SpatialBatchNormalization(ngf * 8))
                 .add(nn.ConcatTable()
                      .add(nn.Sequential()
                           # state size: (ngf*8) x 4 x 4
                           .add(SpatialConvolution(ngf * 8, ngf * 2, 1, 1, 1, 1, 0, 0))
                           .add(SpatialBatchNormalization(ngf * 2)).add(nn.ReLU(True))
                           .add(SpatialConvolution(ngf * 2, ngf * 2, 3, 3, 1, 1, 1, 1))
                           .add(SpatialBatchNormalization(ngf * 2)).add(nn.ReLU(True))
                           .add(SpatialConvolution(ngf * 2, ngf * 8, 3, 3, 1, 1, 1, 1))
                           .add(SpatialBatchNormalization(ngf * 8)))
                      .add(nn.Identity()))
                 .add(nn.CAddTable())
                 .add(nn.ReLU(True))
                 # state size: (ngf*8) x 4 x 4
                 .add(SpatialFullConvolution(ngf * 8, ngf * 4, 4, 4, 2, 2, 1, 1))
                 .add(SpatialBatchNormalization(ngf * 4))
                 # state size: (ngf*4) x 8 x 8
                 .add(nn.ConcatTable()
                      .add(nn.Sequential()
                           .add(SpatialConvolution(ngf * 4, ngf, 1, 1, 1, 1, 0, 0))
                           .add(SpatialBatchNormalization(ngf)).add(nn.ReLU(True))
                           .add(SpatialConvolution(ngf, ngf, 3, 3, 1, 1, 1, 1))
                           .add(SpatialBatchNormalization(ngf)).add(nn.ReLU(True))
                           .add(SpatialConvolution(ngf, ngf * 4, 3, 3, 1, 1, 1, 1))
                           .add(SpatialBatchNormalization(ngf * 4)))
                      .add(nn.Identity()))
                 .add(nn.CAddTable())
                 .add(nn.ReLU(True))
                 # state size: (ngf*4) x 8 x 8
                 .add(SpatialFullConvolution(ngf * 4, ngf * 2, 4, 4, 2, 2, 1, 1))
                 .add(SpatialBatchNormalization(ngf * 2))
                 # here we are at 16 x 16.
                 .add(nn.Transpose([1, 2], [2, 3])))  # chw to hwc
        regionsG = (nn.Sequential()
                    .add(nn.ParallelTable()
                         .add(convG)
                         .add(nn.Sequential()
                              .add(nn.View(-1, 2, 3))
                              .add(nn.AffineGridGeneratorBHWD(16, 16))))
                    .add(nn.BilinearSamplerBHWD())
                    .add(nn.Transpose([2, 3], [1, 2]))  # hwc to chw
                    # unfold elements
                    .add(nn.View(-1, opt['num_elt'], ngf * 2, 16, 16))
                    # average over elements
                    .add(nn.Mean(1))
                    .add(nn.ReLU(True)))
        # combines global and local region information.
        # inputs are assumed to be  { { noise, txt }, loc }
        netG = (nn.Sequential()
                .add(nn.ConcatTable()
                     .add(globalG)
                     .add(regionsG))
                .add(nn.JoinTable(1))
                # mix them together
                .add(SpatialFullConvolution(ngf * 4, ngf * 2, 3, 3, 1, 1, 1, 1))
                .add(SpatialBatchNormalization(ngf * 2)).add(nn.ReLU(True))
                # state size: (ngf*4) x 16 x 16
                .add(SpatialFullConvolution(ngf * 2, ngf, 4, 4, 2, 2, 1, 1))
                .add(SpatialBatchNormalization(ngf)).add(nn.ReLU(True))
                # state size: (ngf) x 32 x 32
                .add(SpatialFullConvolution(ngf, 32, 4, 4, 2, 2, 1, 1))
                .add(SpatialBatchNormalization(32)).add(nn.ReLU(True))
                # state size: (16) x 64 x 64
                .add(SpatialFullConvolution(32, nc, 4, 4, 2, 2, 1, 1))
                .add(nn.Tanh()))
        # state size: (nc) x 128 x 128
        netG.apply(weights_init)
    else:
        netG = lg.load(opt['init_g'])

    if opt['init_d'] == '':
        # netD expects {img, loc, txt}
        imgGlobalD = (nn.Sequential()
                      .add(nn.SelectTable(0))
                      # state size: (nc) x 128 x 128
                      .add(SpatialConvolution(nc, ndf, 4, 4, 2, 2, 1, 1))
                      .add(nn.LeakyReLU(0.2, True))
                      # state size: (nc) x 64 x 64
                      .add(SpatialConvolution(ndf, ndf, 4, 4, 2, 2, 1, 1))
                      .add(nn.LeakyReLU(0.2, True))
                      # state size: (ndf) x 32 x 32
                      .add(SpatialConvolution(ndf, ndf * 2, 4, 4, 2, 2, 1, 1))
                      .add(SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
                      # state size: (ndf*2) x 16 x 16
                      .add(SpatialConvolution(ndf * 2, ndf * 2, 3, 3, 1, 1, 1, 1))
                      .add(SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True)))
        # state size: (ndf*2) x 16 x 16
        prep_txt_d = (nn.Sequential()
                      .add(nn.SelectTable(2))
                      .add(nn.View(-1, opt['txtSize']))
                      .add(nn.Linear(opt['txtSize'], opt['nt']))
                      .add(nn.LeakyReLU(0.2, True)))
        prep_loc_d = (nn.Sequential()
                      .add(nn.SelectTable(1))
                      .add(nn.View(-1, 2, 3))
                      .add(nn.AffineGridGeneratorBHWD(16, 16)))
        # region pathway
        imgTextRegionD = (nn.Sequential()
                          .add(nn.ConcatTable()
                               .add(nn.Sequential()
                                    # (ndf*2) x 16 x 16
                                    .add(imgGlobalD)
                                    # opt.num_elt x (ndf*2) x 16 x 16
                                    .add(nn.Replicate(opt['num_elt'], 1))
                                    # (ndf*2) x 16 x 16
                                    .add(nn.View(-1, ndf * 2, 16, 16)))
                               .add(nn.Sequential()       # text path
                                    .add(prep_txt_d)  # opt.nt
                                    # (opt.nt) x 1
                                    .add(nn.Replicate(opt['num_elt'], 1))
                                    # opt.num_elt x (opt.nt) x 1
                                    .add(nn.View(-1, opt['nt']))
                                    # (opt.nt) x 1
                                    .add(nn.Replicate(16, 2))
                                    # (opt.nt) x 16
                                    .add(nn.Replicate(16, 3))))
                          # (opt.nt) x 16 x 16
                          .add(nn.JoinTable(1))
                          .add(SpatialConvolution(ndf * 2 + opt['nt'], ndf * 2, 3, 3, 1, 1, 1, 1))
                          .add(SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
                          .add(nn.Transpose([1, 2], [2, 3])))
        regionD = (nn.Sequential()
                   .add(nn.ConcatTable()  # keypoint multiplication
                        .add(imgTextRegionD)
                        .add(prep_loc_d))
                   .add(nn.BilinearSamplerBHWD())
                   .add(nn.Transpose([2, 3], [1, 2]))
                   # (ndf*2) x 16 x 16
                   .add(nn.Contiguous())
                   # state size: (ndf*2) x 16 x 16
                   .add(SpatialConvolution(ndf * 2, ndf * 2, 1, 1))
                   .add(SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
                   # state size: (ndf*2) x 16 x 16
                   .add(SpatialConvolution(ndf * 2, ndf, 1, 1))
                   # state size: (ndf) x 16 x 16
                   .add(nn.Mean(3))
                   .add(nn.Mean(2))
                   .add(nn.LeakyReLU(0.2, True)))
        # global pathway
        # state size: (ndf*2) x 16 x 16
        convGlobalD = (nn.Sequential()
                       .add(imgGlobalD)
                       # (ndf*2) x 16 x 16
                       .add(SpatialConvolution(ndf * 2, ndf * 4, 4, 4, 2, 2, 1, 1))
                       .add(SpatialBatchNormalization(ndf * 4)).add(nn.LeakyReLU(0.2, True))
                       # (ndf*4) x 8 x 8
                       .add(SpatialConvolution(ndf * 4, ndf * 8, 4, 4, 2, 2, 1, 1))
                       .add(SpatialBatchNormalization(ndf * 8)).add(nn.LeakyReLU(0.2, True)))  # now 4x4
        # (ndf*8) x 4 x 4
        txtGlobalD = (nn.Sequential()
                      .add(nn.ConcatTable()
                           .add(nn.Sequential()
                                .add(prep_txt_d)          # opt.nt
                                .add(nn.Replicate(16, 2))
                                .add(nn.Replicate(16, 3))
                                .add(nn.Transpose([1, 2], [2, 3])))  # chw to hwc
                           # 512 x 16 x 16
                           .add(nn.Sequential()        # loc
                                .add(nn.SelectTable(1))
                                .add(nn.View(-1, 2, 3))
                                .add(nn.AffineGridGeneratorBHWD(16, 16))))
                      .add(nn.BilinearSamplerBHWD())
                      .add(nn.Transpose([2, 3], [1, 2]))  # hwc to chw
                      .add(nn.Contiguous())
                      .add(nn.View(-1, opt['num_elt'], opt['nt'], 16, 16))
                      .add(nn.Mean(1))   # average over elements
                      # (opt.nt) x 16 x 16
                      .add(SpatialConvolution(opt['nt'], ndf * 4, 4, 4, 2, 2, 1, 1))
                      .add(SpatialBatchNormalization(ndf * 4)).add(nn.ReLU(True))
                      # (ndf) x 8 x 8
                      .add(SpatialConvolution(ndf * 4, ndf, 4, 4, 2, 2, 1, 1))
                      .add(SpatialBatchNormalization(ndf)).add(nn.ReLU(True)))
        # (ndf*) x 4 x 4
        globalD = (nn.Sequential()
                   .add(nn.ConcatTable()
                        .add(convGlobalD)
                        .add(txtGlobalD))
                   .add(nn.JoinTable(1))
                   .add(nn.Contiguous())
                   # state size: (ndf*9) x 4 x 4
                   .add(SpatialConvolution(ndf * 9, ndf * 4, 1, 1))
                   .add(SpatialBatchNormalization(ndf * 4))
                   .add(nn.LeakyReLU(0.2, True))
                   # state size: (ndf*4) x 4 x 4
                   .add(SpatialConvolution(ndf * 4, ndf, 4, 4))
                   .add(SpatialBatchNormalization(ndf)).add(nn.LeakyReLU(0.2, True))
                   # state size: (ndf) x 1 x 1
                   .add(nn.View(-1, ndf)))
        netD = (nn.Sequential()
                .add(nn.ConcatTable()
                     .add(regionD)
                     .add(globalD))
                .add(nn.JoinTable(1))
                .add(nn.Linear(ndf * 2, ndf))
                .add(nn.BatchNormalization(ndf)).add(nn.LeakyReLU(0.2, True))
                .add(nn.Linear(ndf, 1))
                .add(nn.Sigmoid()))
        netD.apply(weights_init)
    else:
        netD = lg.load(opt['init_d'])

    netI = nn.Sequential()
    netI.add(nn.View(-1, 2, 3))
    netI.add(CropInvert())
    netI.add(nn.View(-1, opt['num_elt'], 2, 3))

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
    input_dbg = lg.Tensor(opt['batchSize'] * opt['num_elt'], 3, opt['fineSize'], opt['fineSize'])
    input_txt = lg.Tensor(opt['batchSize'], opt['num_elt'], opt['txtSize'])
    input_txt_shuf = lg.Tensor(opt['batchSize'], opt['num_elt'], opt['txtSize'])
    input_txt_flat = lg.Tensor(opt['batchSize'] * opt['num_elt'], opt['txtSize'])
    input_loc = lg.Tensor(opt['batchSize'], opt['num_elt'], 2, 3)
    input_loc_g = lg.Tensor(opt['batchSize'], opt['num_elt'], 2, 3)
    input_loc_shuf = lg.Tensor(opt['batchSize'], opt['num_elt'], 2, 3)
    noise = lg.Tensor(opt['batchSize'], opt['num_elt'], nz)
    label = lg.Tensor(opt['batchSize'])
    errD = errG = errW = None
    # --------------------------------------------------------------------------
    epoch_tm = lg.Timer()
    tm = lg.Timer()
    data_tm = lg.Timer()
    # --------------------------------------------------------------------------
    if opt['gpu'] > 0:
        input_img = input_img.cuda()
        input_fake = input_fake.cuda()
        input_dbg = input_dbg.cuda()
        input_txt = input_txt.cuda()
        input_txt_shuf = input_txt_shuf.cuda()
        input_txt_flat = input_txt_flat.cuda()
        input_loc = input_loc.cuda()
        input_loc_g = input_loc_g.cuda()
        input_loc_shuf = input_loc_shuf.cuda()
        noise = noise.cuda()
        label = label.cuda()
        netD.cuda()
        netG.cuda()
        netI.cuda()
        criterion.cuda()

    if opt['use_cudnn'] == 1:
        cudnn = paths.require('cudnn')
        netD = cudnn.convert(netD, cudnn)
        netG = cudnn.convert(netG, cudnn)
        netI = cudnn.convert(netI, cudnn)

    parametersD, gradParametersD = netD.getParameters()
    parametersG, gradParametersG = netG.getParameters()

    if opt['display']:
        assert disp is not None, "require 'display'"

    record = {'errD': [], 'errG': [], 'errW': [], 'loc': [], 'loc_g': []}   # what the tests read
    real_img = None

    def sample():
        nonlocal real_img
        data_tm.reset()
        data_tm.resume()
        real_img, real_txt, real_loc, dbg = data.getBatch()
        data_tm.stop()
        dbg = lg.reshape(dbg, opt['batchSize'] * opt['num_elt'],
                         dbg.size(2), dbg.size(3), dbg.size(4))
        input_dbg.copy(dbg)
        input_img.copy(real_img.select(1, 0))
        input_txt.copy(real_txt)
        input_loc.copy(real_loc)
        if opt['gpu'] >= 0:
            input_loc.cuda()
        input_loc_g.copy(netI.forward(input_loc))
        record['loc'].append(input_loc.float())
        record['loc_g'].append(input_loc_g.float())
        shuf_ix = lg.randperm(input_loc.size(0))
        for n in range(input_loc.size(0)):
            input_txt_shuf[n].copy(input_txt[shuf_ix[n]])

    # create closure to evaluate f(X) and df/dX of discriminator
    fake_score = 0.5

    def fDx(x):
        nonlocal errD, errW, fake_score
        gradParametersD.zero()

        # train with real
        label.fill(real_label)
        output = netD.forward([input_img, input_loc, input_txt])
        errD_real = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward([input_img, input_loc, input_txt], df_do)

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

        fake = netG.forward([[noise, input_txt], input_loc_g])
        input_img.copy(fake)
        output = netD.forward([input_img, input_loc, input_txt])
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
        errW = errD_wrong

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
        netG.backward([[noise, input_txt], input_loc_g], df_dr[0])

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
            record['errW'].append(errW)

            if opt['dbg'] == 1:
                disp.image(input_dbg, {'win': opt['display_id'], 'title': opt['name']})
                breakpoint()                    # debug.debug()

            # logging
            if ((i - 1) / opt['batchSize']) % opt['print_every'] == 0:
                print(('[%d][%d/%d] T:%.3f  DT:%.3f lr: %.4g '
                       + ' G:%.3f  D:%.3f W:%.3f, fs:%.2f') % (
                      epoch, ((i - 1) / opt['batchSize']),
                      math.floor(min(data.size(), opt['ntrain']) / opt['batchSize']),
                      tm.time()['real'], data_tm.time()['real'],
                      optimStateG['learningRate'],
                      errG if errG is not None else -1, errD if errD is not None else -1,
                      errW if errW is not None else -1,
                      fake_score))
                fake = netG.output
                bbox = util.affine_to_bbox(fake.size(), input_loc.select(1, 0).narrow(0, 0, 4))
                fake.mul(2).add(-1)
                for b in range(bbox.size(1)):
                    fake[b] = util.draw_box(fake[b], bbox[:, b])
                disp.image(fake.narrow(0, 0, 4), {'win': opt['display_id'], 'title': opt['name']})
                disp.image(real_img.select(1, 0).narrow(0, 0, 4),
                           {'win': opt['display_id'] * 3, 'title': opt['name']})

        if epoch % opt['save_every'] == 0:
            paths.mkdir(opt['checkpoint_dir'])
            lg.save(opt['checkpoint_dir'] + '/' + opt['name'] + '_' + '%d' % epoch + '_net_G.t7',
                    netG.clone().clearState())
            lg.save(opt['checkpoint_dir'] + '/' + opt['name'] + '_' + '%d' % epoch + '_net_D.t7',
                    netD.clone().clearState())
            lg.save(opt['checkpoint_dir'] + '/' + opt['name'] + '_' + '%d' % epoch + '_opt.t7', opt)
            print(('End of epoch %d / %d \t Time Taken: %.3f') % (
                  epoch, opt['niter'], epoch_tm.time()['real']))
    return netG, netD, netI, record
