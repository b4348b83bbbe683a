"""phillipi/pix2pix ported line by line: models.lua's ``defineG_unet`` (lines 47-98: an nngraph U-net built
with ``-`` chains, skip connections ``{d1_, e7} - nn.JoinTable(2)``, Dropout) and ``defineD_n_layers`` /
``defineD_pixelGAN`` (lines 149-214), with train.lua's ``weights_init`` (lines 90-99), createRealFake and the
fDx/fGx closures (lines 204-300: torch.cat of A and B along the planes, the narrow of D's gradInput, the L1
term weighted by lambda). models.lua uses no ``nn.gModule`` annotations. The U-net keeps its eight
down-samplings, so the image is train.lua's 256x256; the widths are tiny."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim


def defineG_unet(input_nc, output_nc, ngf):
    netG = None
    # input is (nc) x 256 x 256
    e1 = - nn.SpatialConvolution(input_nc, ngf, 4, 4, 2, 2, 1, 1)
    # input is (ngf) x 128 x 128
    e2 = (e1 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf, ngf * 2, 4, 4, 2, 2, 1, 1)
          - nn.SpatialBatchNormalization(ngf * 2))
    # input is (ngf * 2) x 64 x 64
    e3 = (e2 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 2, ngf * 4, 4, 4, 2, 2, 1, 1)
          - nn.SpatialBatchNormalization(ngf * 4))
    # input is (ngf * 4) x 32 x 32
    e4 = (e3 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 4, ngf * 8, 4, 4, 2, 2, 1, 1)
          - nn.SpatialBatchNormalization(ngf * 8))
    # input is (ngf * 8) x 16 x 16
    e5 = (e4 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 8, ngf * 8, 4, 4, 2, 2, 1, 1)
          - nn.SpatialBatchNormalization(ngf * 8))
    # input is (ngf * 8) x 8 x 8
    e6 = (e5 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 8, ngf * 8, 4, 4, 2, 2, 1, 1)
          - nn.SpatialBatchNormalization(ngf * 8))
    # input is (ngf * 8) x 4 x 4
    e7 = (e6 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 8, ngf * 8, 4, 4, 2, 2, 1, 1)
          - nn.SpatialBatchNormalization(ngf * 8))
    # input is (ngf * 8) x 2 x 2
    e8 = e7 - nn.LeakyReLU(0.2, True) - nn.SpatialConvolution(ngf * 8, ngf * 8, 4, 4, 2, 2, 1, 1)
    # input is (ngf * 8) x 1 x 1

    d1_ = (e8 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 8, ngf * 8, 4, 4, 2, 2, 1, 1)
           - nn.SpatialBatchNormalization(ngf * 8) - nn.Dropout(0.5))
    # input is (ngf * 8) x 2 x 2
    d1 = [d1_, e7] - nn.JoinTable(1)
    d2_ = (d1 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 8 * 2, ngf * 8, 4, 4, 2, 2, 1, 1)
           - nn.SpatialBatchNormalization(ngf * 8) - nn.Dropout(0.5))
    # input is (ngf * 8) x 4 x 4
    d2 = [d2_, e6] - nn.JoinTable(1)
    d3_ = (d2 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 8 * 2, ngf * 8, 4, 4, 2, 2, 1, 1)
           - nn.SpatialBatchNormalization(ngf * 8) - nn.Dropout(0.5))
    # input is (ngf * 8) x 8 x 8
    d3 = [d3_, e5] - nn.JoinTable(1)
    d4_ = (d3 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 8 * 2, ngf * 8, 4, 4, 2, 2, 1, 1)
           - nn.SpatialBatchNormalization(ngf * 8))
    # input is (ngf * 8) x 16 x 16
    d4 = [d4_, e4] - nn.JoinTable(1)
    d5_ = (d4 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 8 * 2, ngf * 4, 4, 4, 2, 2, 1, 1)
           - nn.SpatialBatchNormalization(ngf * 4))
    # input is (ngf * 4) x 32 x 32
    d5 = [d5_, e3] - nn.JoinTable(1)
    d6_ = (d5 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 4 * 2, ngf * 2, 4, 4, 2, 2, 1, 1)
           - nn.SpatialBatchNormalization(ngf * 2))
    # input is (ngf * 2) x 64 x 64
    d6 = [d6_, e2] - nn.JoinTable(1)
    d7_ = (d6 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 2 * 2, ngf, 4, 4, 2, 2, 1, 1)
           - nn.SpatialBatchNormalization(ngf))
    # input is (ngf) x128 x 128
    d7 = [d7_, e1] - nn.JoinTable(1)
    d8 = d7 - nn.ReLU(True) - nn.SpatialFullConvolution(ngf * 2, output_nc, 4, 4, 2, 2, 1, 1)
    # input is (nc) x 256 x 256

    o1 = d8 - nn.Tanh()

    netG = nn.gModule([e1], [o1])

    return netG


def defineD_basic(input_nc, output_nc, ndf):
    n_layers = 3
    return defineD_n_layers(input_nc, output_nc, ndf, n_layers)


# rf=1
def defineD_pixelGAN(input_nc, output_nc, ndf):
    netD = nn.Sequential()

    # input is (nc) x 256 x 256
    netD.add(nn.SpatialConvolution(input_nc + output_nc, ndf, 1, 1, 1, 1, 0, 0))
    netD.add(nn.LeakyReLU(0.2, True))
    # state size: (ndf) x 256 x 256
    netD.add(nn.SpatialConvolution(ndf, ndf * 2, 1, 1, 1, 1, 0, 0))
    netD.add(nn.SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*2) x 256 x 256
    netD.add(nn.SpatialConvolution(ndf * 2, 1, 1, 1, 1, 1, 0, 0))
    # state size: 1 x 256 x 256
    netD.add(nn.Sigmoid())
    # state size: 1 x 256 x 256

    return netD


def defineD_n_layers(input_nc, output_nc, ndf, n_layers):
    if n_layers == 0:
        return defineD_pixelGAN(input_nc, output_nc, ndf)
    else:
        netD = nn.Sequential()

        # input is (nc) x 256 x 256
        netD.add(nn.SpatialConvolution(input_nc + output_nc, ndf, 4, 4, 2, 2, 1, 1))
        netD.add(nn.LeakyReLU(0.2, True))

        nf_mult = 1
        nf_mult_prev = 1
        for n in range(1, n_layers):         # for n = 1, n_layers-1: n is a count here, not an index
            nf_mult_prev = nf_mult
            nf_mult = min(2 ** n, 8)
            netD.add(nn.SpatialConvolution(ndf * nf_mult_prev, ndf * nf_mult, 4, 4, 2, 2, 1, 1))
            netD.add(nn.SpatialBatchNormalization(ndf * nf_mult)).add(nn.LeakyReLU(0.2, True))

        # state size: (ndf*M) x N x N
        nf_mult_prev = nf_mult
        nf_mult = min(2 ** n_layers, 8)
        netD.add(nn.SpatialConvolution(ndf * nf_mult_prev, ndf * nf_mult, 4, 4, 1, 1, 1, 1))
        netD.add(nn.SpatialBatchNormalization(ndf * nf_mult)).add(nn.LeakyReLU(0.2, True))
        # state size: (ndf*M*2) x (N-1) x (N-1)
        netD.add(nn.SpatialConvolution(ndf * nf_mult, 1, 4, 4, 1, 1, 1, 1))
        # state size: 1 x (N-2) x (N-2)

        netD.add(nn.Sigmoid())
        # state size: 1 x (N-2) x (N-2)

        return netD


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


def _opt(**changes):
    opt = {'batchSize': 1, 'fineSize': 256, 'ngf': 2, 'ndf': 2, 'input_nc': 3, 'output_nc': 2, 'lr': 0.0002,
           'beta1': 0.5, 'which_direction': 'AtoB', 'condition_GAN': 1, 'use_GAN': 1, 'use_L1': 1,
           'which_model_netD': 'basic', 'n_layers_D': 0, 'lambda': 100}
    opt.update(changes)
    return opt


def train(opt, niter):
    """train.lua's set-up and loop for ``niter`` iterations over one fixed pair of images (data:getBatch's
    stand-in); returns the nets and the per-iteration errD, errG and errL1."""
    input_nc = opt['input_nc']
    output_nc = opt['output_nc']
    idx_A = None
    idx_B = None
    if opt['which_direction'] == 'AtoB':
        idx_A = [1, input_nc]
        idx_B = [input_nc + 1, input_nc + output_nc]
    elif opt['which_direction'] == 'BtoA':
        idx_A = [input_nc + 1, input_nc + output_nc]
        idx_B = [1, input_nc]
    else:
        raise ValueError(f"bad direction {opt['which_direction']}")
    opt['manualSeed'] = lg.random(1, 10001)          # torch.random(1, 10000)
    lg.manualSeed(opt['manualSeed'])
    lg.setdefaulttensortype('torch.FloatTensor')

    def defineG(input_nc, output_nc, ngf):
        netG = defineG_unet(input_nc, output_nc, ngf)
        netG.apply(weights_init)
        return netG

    def defineD(input_nc, output_nc, ndf):
        if opt['condition_GAN'] == 1:
            input_nc_tmp = input_nc
        else:
            input_nc_tmp = 0      # only penalizes structure in output channels
        if opt['which_model_netD'] == 'basic':
            netD = defineD_basic(input_nc_tmp, output_nc, ndf)
        elif opt['which_model_netD'] == 'n_layers':
            netD = defineD_n_layers(input_nc_tmp, output_nc, ndf, opt['n_layers_D'])
        netD.apply(weights_init)
        return netD

    netG = defineG(input_nc, output_nc, opt['ngf'])
    netD = defineD(input_nc, output_nc, opt['ndf'])
    criterion = nn.BCECriterion()
    criterionAE = nn.AbsCriterion()
    optimStateG = {'learningRate': opt['lr'], 'beta1': opt['beta1']}
    optimStateD = {'learningRate': opt['lr'], 'beta1': opt['beta1']}
    real_A = lg.Tensor(opt['batchSize'], input_nc, opt['fineSize'], opt['fineSize'])
    real_B = lg.Tensor(opt['batchSize'], output_nc, opt['fineSize'], opt['fineSize'])
    parametersD, gradParametersD = netD.getParameters()
    parametersG, gradParametersG = netG.getParameters()

    # data:getBatch(): A and B side by side along the planes, B a smooth function of A
    rng = np.random.RandomState(3)
    a = np.tanh(rng.randn(opt['batchSize'], input_nc, opt['fineSize'], opt['fineSize'])).astype(np.float32)
    real_data = lg.from_numpy(np.concatenate([a, -a[:, :output_nc] * 0.5], 1))
    s = {}

    def createRealFake():
        real_A.copy(real_data[:, idx_A[0] - 1:idx_A[1], :, :])
        real_B.copy(real_data[:, idx_B[0] - 1:idx_B[1], :, :])
        if opt['condition_GAN'] == 1:
            s['real_AB'] = lg.cat(real_A, real_B, 1)
        else:
            s['real_AB'] = real_B    # unconditional GAN, only penalizes structure in B
        s['fake_B'] = netG.forward(real_A)
        if opt['condition_GAN'] == 1:
            s['fake_AB'] = lg.cat(real_A, s['fake_B'], 1)
        else:
            s['fake_AB'] = s['fake_B']

    def fDx(x):
        netD.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)
        netG.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)
        gradParametersD.zero()
        # Real
        output = netD.forward(s['real_AB'])
        label = lg.FloatTensor(output.size()).fill(real_label)
        errD_real = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward(s['real_AB'], df_do)
        # Fake
        output = netD.forward(s['fake_AB'])
        label.fill(fake_label)
        errD_fake = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward(s['fake_AB'], df_do)
        s['errD'] = (errD_real + errD_fake) / 2
        return s['errD'], gradParametersD

    def fGx(x):
        netD.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)
        netG.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)
        gradParametersG.zero()
        # GAN loss
        df_dg = lg.zeros(s['fake_B'].size())
        if opt['use_GAN'] == 1:
            output = netD.output    # netD:forward{input_A,input_B} was already executed in fDx
            label = lg.FloatTensor(output.size()).fill(real_label)    # fake labels are real for generator cost
            s['errG'] = criterion.forward(output, label)
            df_do = criterion.backward(output, label)
            df_dg = netD.updateGradInput(s['fake_AB'], df_do).narrow(1, s['fake_AB'].size(1) - output_nc, output_nc)
        else:
            s['errG'] = 0
        # unary loss
        df_do_AE = lg.zeros(s['fake_B'].size())
        if opt['use_L1'] == 1:
            s['errL1'] = criterionAE.forward(s['fake_B'], real_B)
            df_do_AE = criterionAE.backward(s['fake_B'], real_B)
        else:
            s['errL1'] = 0
        netG.backward(real_A, df_dg + df_do_AE.mul(opt['lambda']))
        return s['errG'], gradParametersG

    real_label = 1
    fake_label = 0
    history = {'errD': [], 'errG': [], 'errL1': []}
    for epoch in range(niter):
        createRealFake()
        if opt['use_GAN'] == 1:
            optim.adam(fDx, parametersD, optimStateD)
        optim.adam(fGx, parametersG, optimStateG)
        for k in history:
            history[k].append(s[k])
    return netG, netD, history, s


def test_unet_forward_backward_on_a_256_image():
    """defineG_unet maps input_nc planes of 256x256 to output_nc planes in [-1, 1] through eight halvings to 1x1
    and back; every skip JoinTable(2) (JoinTable(1) here) doubles its planes; backward reaches the input and
    every parameter. In training each SpatialBatchNormalization normalises the batch of one with its own
    statistics (THNN counts nElement / nInput values per plane), so every running mean moves; the innermost
    ones see 2x2 planes, and models.lua leaves the 1x1 e8 without one (a single value per plane)."""
    lg.manualSeed(0)
    netG = defineG_unet(3, 2, 2)
    netG.apply(weights_init)
    params, grads = netG.getParameters()
    x = lg.Tensor(1, 3, 256, 256).uniform(-1, 1)
    y = netG.forward(x)
    assert tuple(y.size()) == (1, 2, 256, 256) and float(y.abs().max()) <= 1
    joins = netG.findModules('nn.JoinTable')[0]
    assert sorted(tuple(j.output.size()) for j in joins) == sorted(
        [(1, 32, 2, 2), (1, 32, 4, 4), (1, 32, 8, 8), (1, 32, 16, 16), (1, 16, 32, 32), (1, 8, 64, 64),
         (1, 4, 128, 128)])
    assert len(netG.findModules('nn.Dropout')[0]) == 3
    bns = netG.findModules('nn.SpatialBatchNormalization')[0]
    assert len(bns) == 13 and all(float(bn.running_mean.abs().sum()) > 0 for bn in bns)
    assert len([bn for bn in bns if bn.output.size(2) == 2]) == 2
    grads.zero()
    gx = netG.backward(x, lg.Tensor(1, 2, 256, 256).normal(0, 1))
    assert tuple(gx.size()) == (1, 3, 256, 256) and float(gx.abs().sum()) > 0
    for m in netG.findModules('nn.SpatialConvolution')[0] + netG.findModules('nn.SpatialFullConvolution')[0]:
        assert float(m.gradWeight.abs().sum()) > 0


def test_unet_skip_carries_the_in_place_leaky_relu():
    """``e1 - nn.LeakyReLU(0.2, true)`` rewrites e1's output in place, and ``{d7_, e1} - nn.JoinTable(2)`` runs
    later, so in Torch7 the outermost skip carries LeakyReLU(conv(x)), not conv(x): nngraph hands each child
    the parent's own tensor. The port keeps that. The join's input is recorded by overriding its
    updateOutput on the one object (its output is then rewritten in place by ``d7 - nn.ReLU(true)``); the
    first conv's output is recomputed apart."""
    lg.manualSeed(0)
    netG = defineG_unet(3, 2, 2)
    netG.apply(weights_init)
    x = lg.Tensor(1, 3, 256, 256).uniform(-1, 1)
    netG.forward(x)
    outer = [j for j in netG.findModules('nn.JoinTable')[0] if j.output.size(2) == 128][0]
    seen = []

    def recording(input):
        seen.append(input[1].clone())
        return nn.JoinTable.updateOutput(outer, input)
    outer.updateOutput = recording
    netG.forward(x)
    first = [m for m in netG.findModules('nn.SpatialConvolution')[0] if m.nInputPlane == 3][0]
    raw = nn.SpatialConvolution(3, 2, 4, 4, 2, 2, 1, 1)
    raw.weight.copy(first.weight)
    raw.bias.copy(first.bias)
    conv = raw.forward(x).numpy()
    assert len(seen) == 1 and (conv < 0).any()
    np.testing.assert_allclose(seen[0].numpy(), np.where(conv > 0, conv, 0.2 * conv), rtol=1e-5, atol=1e-7)
    assert float(outer.output.min()) == 0     # the ReLU after the join rewrote its output


def test_patch_discriminators():
    """defineD_basic (n_layers 3: 256 -> 128 -> 64 -> 32 -> 31 -> 30, a 30x30 patch map; the 70x70 receptive
    field of models.lua's table) and defineD_pixelGAN (n_layers 0: one probability per pixel)."""
    d = defineD_basic(3, 2, 2)
    p = d.forward(lg.Tensor(1, 5, 256, 256).uniform(-1, 1))
    assert tuple(p.size()) == (1, 1, 30, 30) and 0 < float(p.min()) and float(p.max()) < 1
    convs = d.findModules('nn.SpatialConvolution')[0]
    assert [(c.nInputPlane, c.nOutputPlane, c.dW) for c in convs] == [(5, 2, 2), (2, 4, 2), (4, 8, 2), (8, 16, 1),
                                                                     (16, 1, 1)]
    pix = defineD_n_layers(0, 2, 2, 0)
    assert tuple(pix.forward(lg.Tensor(1, 2, 16, 16).uniform(-1, 1)).size()) == (1, 1, 16, 16)


def test_pix2pix_training_steps():
    """train.lua's loop: D on cat(A, B) and cat(A, G(A)), G's gradient as D's gradInput narrowed to B's planes
    plus lambda times L1's. With lr 0.01 (train.lua reads it from the environment; its 0.0002 moves these
    tiny nets too slowly to see) the losses stay finite, G's L1 error falls at every iteration and D's loss
    falls from about log 2."""
    netG, netD, history, s = train(_opt(lr=0.01), 8)
    for k in ('errD', 'errG', 'errL1'):
        assert np.isfinite(history[k]).all()
    assert tuple(s['fake_AB'].size()) == (1, 5, 256, 256)
    errL1 = np.array(history['errL1'])
    assert (np.diff(errL1) < 0).all() and errL1[-1] < 0.97 * errL1[0]
    assert abs(history['errD'][0] - np.log(2)) < 0.05 and history['errD'][-1] < history['errD'][0]


@pytest.mark.gpu
def test_unet_on_the_gpu_matches_the_cpu():
    """train.lua's ``netG:cuda()``: in evaluation (no dropout, BatchNormalization's running averages) the CUDA
    U-net gives the CPU's output; a training forward/backward reaches every convolution's gradWeight."""
    lg.manualSeed(0)
    netG = defineG_unet(3, 2, 2)
    netG.apply(weights_init)
    x = lg.Tensor(1, 3, 256, 256).uniform(-1, 1)
    netG.evaluate()
    cpu = netG.forward(x).clone()
    netG.cuda()
    xc = x.cuda()
    gpu = netG.forward(xc)
    assert gpu.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(gpu.float().numpy(), cpu.numpy(), rtol=1e-3, atol=1e-5)
    netG.training()
    netG.zeroGradParameters()
    netG.forward(xc)
    gx = netG.backward(xc, lg.Tensor(1, 2, 256, 256).normal(0, 1).cuda())
    assert tuple(gx.size()) == (1, 3, 256, 256)
    for m in netG.findModules('nn.SpatialConvolution')[0] + netG.findModules('nn.SpatialFullConvolution')[0]:
        assert float(m.gradWeight.abs().sum()) > 0
