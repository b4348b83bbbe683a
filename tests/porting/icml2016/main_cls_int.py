"""main_cls_int.lua: the generic training script for GAN, GAN-CLS, GAN-INT and GAN-CLS-INT. A text-conditioned
DCGAN (the text features enter G through Linear + LeakyReLU joined to z, and D through Linear + BatchNormalization +
LeakyReLU replicated over D's last 4x4 map, each net with a residual block) trained by optim.adam: D on real images
with their text, on wrong images with that text (``cls_weight``) and on fakes; G on the batch's texts plus their
pairwise means (``interp_weight``).

``main(changes, disp)``: the Lua reads its options' overrides from the environment (``tonumber(os.getenv(k)) or
os.getenv(k) or opt[k]``); here ``changes`` gives them. ``disp`` is the ``display`` package the Lua requires when
``opt.display`` is on (the training loop calls ``disp.image`` at every logged step, whatever ``opt.display`` says,
so the Lua needs it in any case). Returns netG, netD and a record of each step's errors, D's mean outputs on real
and fake images, and the averaged text codes."""
import math

import legonn as lg
from legonn import nn, optim, paths

from .data.data import data as DataLoader


def main(changes, disp=None):
    global opt
    opt = {
        'numCaption': 4,
        'replicate': 1,  # if 1, then replicate averaged text features numCaption times.
        'save_every': 100,
        'print_every': 1,
        'dataset': 'cub_fast',       # imagenet / lsun / folder
        'no_aug': 0,
        'img_dir': '',
        'keep_img_frac': 1.0,
        'interp_weight': 0,
        'interp_type': 1,
        'cls_weight': 0,
        'filenames': '',
        'data_root': '/home/reedscot/data/cub_files6',
        'classnames': '/home/reedscot/data/cub/allclasses.txt',
        'trainids': '/home/reedscot/data/cub/allids.txt',
        'checkpoint_dir': '/home/reedscot/checkpoints',
        'numshot': 0,
        'batchSize': 64,
        'doc_length': 201,
        'loadSize': 76,
        'txtSize': 1024,         # #  of dim for raw text.
        'fineSize': 64,
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
        'name': 'experiment_long',
        'noise': 'normal',       # uniform / normal
        'init_g': '',
        'init_d': '',
        'use_cudnn': 0,
    }

    # one-line argument parser. parses enviroment variables to override the defaults
    opt.update(changes)
    print(opt)
    if opt['display'] == 0:
        opt['display'] = False

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
        fcG = nn.Sequential()
        fcG.add(nn.Linear(opt['txtSize'], opt['nt']))
        fcG.add(nn.LeakyReLU(0.2, True))
        netG = nn.Sequential()
        # concat Z and txt
        ptg = nn.ParallelTable()
        ptg.add(nn.Identity())
        ptg.add(fcG)
        netG.add(ptg)
        netG.add(nn.JoinTable(1))
        # input is Z, going into a convolution
        netG.add(SpatialFullConvolution(nz + opt['nt'], ngf * 8, 4, 4))
        netG.add(SpatialBatchNormalization(ngf * 8))

        # state size: (ngf*8) x 4 x 4
        conc = nn.ConcatTable()
        conv = nn.Sequential()
        conv.add(SpatialConvolution(ngf * 8, ngf * 2, 1, 1, 1, 1, 0, 0))
        conv.add(SpatialBatchNormalization(ngf * 2)).add(nn.ReLU(True))
        conv.add(SpatialConvolution(ngf * 2, ngf * 2, 3, 3, 1, 1, 1, 1))
        conv.add(SpatialBatchNormalization(ngf * 2))

        conv.add(nn.ReLU(True))
        conv.add(SpatialConvolution(ngf * 2, ngf * 8, 3, 3, 1, 1, 1, 1))
        conv.add(SpatialBatchNormalization(ngf * 8))
        conc.add(nn.Identity())
        conc.add(conv)
        netG.add(conc)
        netG.add(nn.CAddTable())
        netG.add(nn.ReLU(True))

        # state size: (ngf*8) x 4 x 4
        netG.add(SpatialFullConvolution(ngf * 8, ngf * 4, 4, 4, 2, 2, 1, 1))
        netG.add(SpatialBatchNormalization(ngf * 4))

        # state size: (ngf*4) x 8 x 8
        conc = nn.ConcatTable()
        conv = nn.Sequential()
        conv.add(SpatialConvolution(ngf * 4, ngf, 1, 1, 1, 1, 0, 0))
        conv.add(SpatialBatchNormalization(ngf)).add(nn.ReLU(True))
        conv.add(SpatialConvolution(ngf, ngf, 3, 3, 1, 1, 1, 1))
        conv.add(SpatialBatchNormalization(ngf))

        conv.add(nn.ReLU(True))
        conv.add(SpatialConvolution(ngf, ngf * 4, 3, 3, 1, 1, 1, 1))
        conv.add(SpatialBatchNormalization(ngf * 4))
        conc.add(nn.Identity())
        conc.add(conv)
        netG.add(conc)
        netG.add(nn.CAddTable())
        netG.add(nn.ReLU(True))

        # state size: (ngf*4) x 8 x 8
        netG.add(SpatialFullConvolution(ngf * 4, ngf * 2, 4, 4, 2, 2, 1, 1))
        netG.add(SpatialBatchNormalization(ngf * 2)).add(nn.ReLU(True))

        # state size: (ngf*2) x 16 x 16
        netG.add(SpatialFullConvolution(ngf * 2, ngf, 4, 4, 2, 2, 1, 1))
        netG.add(SpatialBatchNormalization(ngf)).add(nn.ReLU(True))

        # state size: (ngf) x 32 x 32
        netG.add(SpatialFullConvolution(ngf, nc, 4, 4, 2, 2, 1, 1))
        netG.add(nn.Tanh())

        # state size: (nc) x 64 x 64
        netG.apply(weights_init)
    else:
        netG = lg.load(opt['init_g'])

    if opt['init_d'] == '':
        convD = nn.Sequential()
        # input is (nc) x 64 x 64
        convD.add(SpatialConvolution(nc, ndf, 4, 4, 2, 2, 1, 1))
        convD.add(nn.LeakyReLU(0.2, True))
        # state size: (ndf) x 32 x 32
        convD.add(SpatialConvolution(ndf, ndf * 2, 4, 4, 2, 2, 1, 1))
        convD.add(SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
        # state size: (ndf*2) x 16 x 16
        convD.add(SpatialConvolution(ndf * 2, ndf * 4, 4, 4, 2, 2, 1, 1))
        convD.add(SpatialBatchNormalization(ndf * 4))

        # state size: (ndf*4) x 8 x 8
        convD.add(SpatialConvolution(ndf * 4, ndf * 8, 4, 4, 2, 2, 1, 1))
        convD.add(SpatialBatchNormalization(ndf * 8))

        # state size: (ndf*8) x 4 x 4
        conc = nn.ConcatTable()
        conv = nn.Sequential()
        conv.add(SpatialConvolution(ndf * 8, ndf * 2, 1, 1, 1, 1, 0, 0))
        conv.add(SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
        conv.add(SpatialConvolution(ndf * 2, ndf * 2, 3, 3, 1, 1, 1, 1))
        conv.add(SpatialBatchNormalization(ndf * 2))
        conv.add(nn.LeakyReLU(0.2, True))
        conv.add(SpatialConvolution(ndf * 2, ndf * 8, 3, 3, 1, 1, 1, 1))
        conv.add(SpatialBatchNormalization(ndf * 8))
        conc.add(nn.Identity())
        conc.add(conv)
        convD.add(conc)
        convD.add(nn.CAddTable())
        convD.add(nn.LeakyReLU(0.2, True))

        fcD = nn.Sequential()
        fcD.add(nn.Linear(opt['txtSize'], opt['nt']))
        fcD.add(nn.BatchNormalization(opt['nt']))
        fcD.add(nn.LeakyReLU(0.2, True))
        fcD.add(nn.Replicate(4, 2))
        fcD.add(nn.Replicate(4, 3))
        netD = nn.Sequential()
        pt = nn.ParallelTable()
        pt.add(convD)
        pt.add(fcD)
        netD.add(pt)
        netD.add(nn.JoinTable(1))
        # state size: (ndf*8 + 128) x 4 x 4
        netD.add(SpatialConvolution(ndf * 8 + opt['nt'], ndf * 8, 1, 1))
        netD.add(SpatialBatchNormalization(ndf * 8)).add(nn.LeakyReLU(0.2, True))
        netD.add(SpatialConvolution(ndf * 8, 1, 4, 4))
        netD.add(nn.Sigmoid())
        # state size: 1 x 1 x 1
        netD.add(nn.View(1).setNumInputDims(3))
        # state size: 1
        netD.apply(weights_init)
    else:
        netD = lg.load(opt['init_d'])

    assert math.floor(opt['batchSize'] / opt['numCaption']) * opt['numCaption'] == opt['batchSize']
    netR = nn.Sequential()
    if opt['replicate'] == 1:
        netR.add(nn.Reshape(opt['batchSize'] / opt['numCaption'], opt['numCaption'], opt['txtSize']))
        netR.add(nn.Transpose([0, 1]))
        netR.add(nn.Mean(0))
        netR.add(nn.Replicate(opt['numCaption']))
        netR.add(nn.Transpose([0, 1]))
        netR.add(nn.Reshape(opt['batchSize'], opt['txtSize']))
    else:
        netR.add(nn.Reshape(opt['batchSize'], opt['numCaption'], opt['txtSize']))
        netR.add(nn.Transpose([0, 1]))
        netR.add(nn.Mean(0))

    criterion = nn.BCECriterion()
    weights = lg.zeros(opt['batchSize'] * 3 / 2)
    weights.narrow(0, 0, opt['batchSize']).fill(1)
    weights.narrow(0, opt['batchSize'], opt['batchSize'] / 2).fill(opt['interp_weight'])
    criterion_interp = nn.BCECriterion(weights)
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
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
    alphabet_size = len(alphabet)  # noqa: F841 (a global the script never reads)
    input_img = lg.Tensor(opt['batchSize'], 3, opt['fineSize'], opt['fineSize'])
    input_img_interp = lg.Tensor(opt['batchSize'] * 3 / 2, 3, opt['fineSize'], opt['fineSize'])
    if opt['replicate'] == 1:
        input_txt_raw = lg.Tensor(opt['batchSize'], opt['txtSize'])
    else:
        input_txt_raw = lg.Tensor(opt['batchSize'] * opt['numCaption'], opt['txtSize'])
    input_txt = lg.Tensor(opt['batchSize'], opt['txtSize'])
    input_txt_interp = lg.zeros(opt['batchSize'] * 3 / 2, opt['txtSize'])
    noise = lg.Tensor(opt['batchSize'], nz, 1, 1)
    noise_interp = lg.Tensor(opt['batchSize'] * 3 / 2, nz, 1, 1)
    label = lg.Tensor(opt['batchSize'])
    label_interp = lg.Tensor(opt['batchSize'] * 3 / 2)
    errD = errG = errW = None
    epoch_tm = lg.Timer()
    tm = lg.Timer()
    data_tm = lg.Timer()
    # --------------------------------------------------------------------------
    if opt['gpu'] > 0:
        input_img = input_img.cuda()
        input_img_interp = input_img_interp.cuda()
        input_txt = input_txt.cuda()
        input_txt_raw = input_txt_raw.cuda()
        input_txt_interp = input_txt_interp.cuda()
        noise = noise.cuda()
        noise_interp = noise_interp.cuda()
        label = label.cuda()
        label_interp = label_interp.cuda()
        netD.cuda()
        netG.cuda()
        netR.cuda()
        criterion.cuda()
        criterion_interp.cuda()

    if opt['use_cudnn'] == 1:
        cudnn = paths.require('cudnn')
        netD = cudnn.convert(netD, cudnn)
        netG = cudnn.convert(netG, cudnn)
        netR = cudnn.convert(netR, cudnn)

    parametersD, gradParametersD = netD.getParameters()
    parametersG, gradParametersG = netG.getParameters()

    if opt['display']:
        assert disp is not None, "require 'display'"

    record = {'errD': [], 'errG': [], 'errW': [], 'D_real': [], 'D_fake': [], 'txt': []}   # what the tests read
    real_img = None

    # create closure to evaluate f(X) and df/dX of discriminator
    def fDx(x):
        nonlocal real_img, errD, errW
        netD.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)
        netG.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)

        gradParametersD.zero()

        # train with real
        data_tm.reset()
        data_tm.resume()
        real_img, real_txt, wrong_img, _ = data.getBatch()
        data_tm.stop()

        input_img.copy(real_img)
        input_txt_raw.copy(real_txt)
        # average adjacent text features in batch dimension.
        emb_txt = netR.forward(input_txt_raw)
        input_txt.copy(emb_txt)
        record['txt'].append(input_txt.clone())

        if opt['interp_type'] == 1:
            # compute (a + b)/2
            input_txt_interp.narrow(0, 0, opt['batchSize']).copy(input_txt)
            input_txt_interp.narrow(0, opt['batchSize'], opt['batchSize'] / 2).copy(input_txt.narrow(0, 0, opt['batchSize'] / 2))
            input_txt_interp.narrow(0, opt['batchSize'], opt['batchSize'] / 2).add(input_txt.narrow(0, opt['batchSize'] / 2, opt['batchSize'] / 2))
            input_txt_interp.narrow(0, opt['batchSize'], opt['batchSize'] / 2).mul(0.5)
        elif opt['interp_type'] == 2:
            # compute (a + b)/2
            input_txt_interp.narrow(0, 0, opt['batchSize']).copy(input_txt)
            input_txt_interp.narrow(0, opt['batchSize'], opt['batchSize'] / 2).copy(input_txt.narrow(0, 0, opt['batchSize'] / 2))
            input_txt_interp.narrow(0, opt['batchSize'], opt['batchSize'] / 2).add(input_txt.narrow(0, opt['batchSize'] / 2, opt['batchSize'] / 2))
            input_txt_interp.narrow(0, opt['batchSize'], opt['batchSize'] / 2).mul(0.5)

            # add extrapolation vector.
            alpha = lg.rand(opt['batchSize'] / 2, 1).mul(2).add(-1)  # alpha ~ uniform(-1,1)
            if opt['gpu'] >= 0:
                alpha = alpha.float().cuda()
            alpha = lg.expand(alpha, opt['batchSize'] / 2, input_txt_interp.size(1))
            vec = (input_txt.narrow(0, opt['batchSize'] / 2, opt['batchSize'] / 2) -
                   input_txt.narrow(0, 0, opt['batchSize'] / 2)).cmul(alpha)
            input_txt_interp.narrow(0, opt['batchSize'], opt['batchSize'] / 2).add(vec)
        label.fill(real_label)

        output = netD.forward([input_img, input_txt])
        record['D_real'].append(float(output.mean()))
        errD_real = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward([input_img, input_txt], df_do)

        errD_wrong = 0
        if opt['cls_weight'] > 0:
            # train with wrong
            input_img.copy(wrong_img)
            label.fill(fake_label)

            output = netD.forward([input_img, input_txt])
            errD_wrong = opt['cls_weight'] * criterion.forward(output, label)
            df_do = criterion.backward(output, label)
            df_do.mul(opt['cls_weight'])
            netD.backward([input_img, input_txt], df_do)

        # train with fake
        if opt['noise'] == 'uniform':  # regenerate random noise
            noise.uniform(-1, 1)
        elif opt['noise'] == 'normal':
            noise.normal(0, 1)
        fake = netG.forward([noise, input_txt])
        input_img.copy(fake)
        label.fill(fake_label)

        output = netD.forward([input_img, input_txt])
        record['D_fake'].append(float(output.mean()))
        errD_fake = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        fake_weight = 1 - opt['cls_weight']
        errD_fake = errD_fake * fake_weight
        df_do.mul(fake_weight)
        netD.backward([input_img, input_txt], df_do)

        errD = errD_real + errD_fake + errD_wrong
        errW = errD_wrong

        return errD, gradParametersD

    # create closure to evaluate f(X) and df/dX of generator
    def fGx(x):
        nonlocal errG
        netD.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)
        netG.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)

        gradParametersG.zero()

        if opt['noise'] == 'uniform':  # regenerate random noise
            noise_interp.uniform(-1, 1)
        elif opt['noise'] == 'normal':
            noise_interp.normal(0, 1)
        fake = netG.forward([noise_interp, input_txt_interp])
        input_img_interp.copy(fake)
        label_interp.fill(real_label)  # fake labels are real for generator cost

        output = netD.forward([input_img_interp, input_txt_interp])
        errG = criterion_interp.forward(output, label_interp)
        df_do = criterion_interp.backward(output, label_interp)
        df_dg = netD.updateGradInput([input_img_interp, input_txt_interp], df_do)

        netG.backward([noise_interp, input_txt_interp], df_dg[0])
        return errG, gradParametersG

    # train
    for epoch in range(1, opt['niter'] + 1):
        epoch_tm.reset()

        if epoch % opt['decay_every'] == 0:
            optimStateG['learningRate'] = optimStateG['learningRate'] * opt['lr_decay']
            optimStateD['learningRate'] = optimStateD['learningRate'] * opt['lr_decay']

        for i in range(1, int(min(data.size(), opt['ntrain'])) + 1, opt['batchSize']):
            tm.reset()
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            optim.adam(fDx, parametersD, optimStateD)

            # (2) Update G network: maximize log(D(G(z)))
            optim.adam(fGx, parametersG, optimStateG)
            record['errD'].append(errD)
            record['errG'].append(errG)
            record['errW'].append(errW)

            # logging
            if ((i - 1) / opt['batchSize']) % opt['print_every'] == 0:
                print(('[%d][%d/%d] T:%.3f  DT:%.3f lr: %.4g '
                       + '  Err_G: %.4f  Err_D: %.4f Err_W: %.4f') % (
                      epoch, ((i - 1) / opt['batchSize']),
                      math.floor(min(data.size(), opt['ntrain']) / opt['batchSize']),
                      tm.time()['real'], data_tm.time()['real'],
                      optimStateG['learningRate'],
                      errG if errG is not None else -1, errD if errD is not None else -1,
                      errW if errW is not None else -1))
                fake = netG.output
                disp.image(fake.narrow(0, 0, opt['batchSize']), {'win': opt['display_id'], 'title': opt['name']})
                disp.image(real_img, {'win': opt['display_id'] * 3, 'title': opt['name']})
        if epoch % opt['save_every'] == 0:
            paths.mkdir(opt['checkpoint_dir'])
            lg.save(opt['checkpoint_dir'] + '/' + opt['name'] + '_' + '%d' % epoch + '_net_G.t7', netG)
            lg.save(opt['checkpoint_dir'] + '/' + opt['name'] + '_' + '%d' % epoch + '_net_D.t7', netD)
            lg.save(opt['checkpoint_dir'] + '/' + opt['name'] + '_' + '%d' % epoch + '_opt.t7', opt)
            print(('End of epoch %d / %d \t Time Taken: %.3f') % (
                  epoch, opt['niter'], epoch_tm.time()['real']))
    return netG, netD, record
