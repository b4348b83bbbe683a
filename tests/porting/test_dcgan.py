"""soumith/dcgan.torch's main.lua ported line by line: the generator (SpatialFullConvolution,
SpatialBatchNormalization, ReLU, Tanh) and discriminator (LeakyReLU, Sigmoid, View:setNumInputDims) of
lines 63-108, ``weights_init`` (lines 42-51) applied through ``:apply``, the two ``getParameters`` pairs
(lines 143-144), the fDx/fGx closures (lines 156-208) stepped by ``optim.adam`` with optimStateD/G
(lines 112-119, 217-220), BCECriterion with its label filling, the per-epoch checkpoints (lines 241-249). The image
sizes are main.lua's (the layers fix 64x64); the widths (nz, ngf, ndf) and the batch are small, and ``data:getBatch()``
(data/data.lua's threaded loader) is a stand-in returning a fixed toy set."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn, optim, paths


def main(opt, niter):
    """main.lua from line 31 on, with the epoch loop run ``niter`` times over one batch; returns what the
    test inspects: the nets, the per-step losses and D's outputs on the last real and fake batches."""
    opt['manualSeed'] = lg.random(1, 10001)         # torch.random(1, 10000): the upper end is exclusive here
    lg.manualSeed(opt['manualSeed'])
    lg.setnumthreads(1)
    lg.setdefaulttensortype('torch.FloatTensor')

    data = DataLoader(opt)

    def weights_init(m):
        name = lg.type(m)
        if 'Convolution' in name:
            m.weight.normal(0.0, 0.02)
            m.noBias()
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

    netG = nn.Sequential()
    # input is Z, going into a convolution
    netG.add(SpatialFullConvolution(nz, ngf * 8, 4, 4))
    netG.add(SpatialBatchNormalization(ngf * 8)).add(nn.ReLU(True))
    # state size: (ngf*8) x 4 x 4
    netG.add(SpatialFullConvolution(ngf * 8, ngf * 4, 4, 4, 2, 2, 1, 1))
    netG.add(SpatialBatchNormalization(ngf * 4)).add(nn.ReLU(True))
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

    netD = nn.Sequential()

    # input is (nc) x 64 x 64
    netD.add(SpatialConvolution(nc, ndf, 4, 4, 2, 2, 1, 1))
    netD.add(nn.LeakyReLU(0.2, True))
    # state size: (ndf) x 32 x 32
    netD.add(SpatialConvolution(ndf, ndf * 2, 4, 4, 2, 2, 1, 1))
    netD.add(SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*2) x 16 x 16
    netD.add(SpatialConvolution(ndf * 2, ndf * 4, 4, 4, 2, 2, 1, 1))
    netD.add(SpatialBatchNormalization(ndf * 4)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*4) x 8 x 8
    netD.add(SpatialConvolution(ndf * 4, ndf * 8, 4, 4, 2, 2, 1, 1))
    netD.add(SpatialBatchNormalization(ndf * 8)).add(nn.LeakyReLU(0.2, True))
    # state size: (ndf*8) x 4 x 4
    netD.add(SpatialConvolution(ndf * 8, 1, 4, 4))
    netD.add(nn.Sigmoid())
    # state size: 1 x 1 x 1
    netD.add(nn.View(1).setNumInputDims(3))
    # state size: 1

    netD.apply(weights_init)

    criterion = nn.BCECriterion()
    optimStateG = {
        'learningRate': opt['lr'],
        'beta1': opt['beta1'],
    }
    optimStateD = {
        'learningRate': opt['lr'],
        'beta1': opt['beta1'],
    }
    input = lg.Tensor(opt['batchSize'], 3, opt['fineSize'], opt['fineSize'])
    noise = lg.Tensor(opt['batchSize'], nz, 1, 1)
    label = lg.Tensor(opt['batchSize'])
    if opt['gpu'] > 0:
        # require 'cunn' is nothing; cutorch's GPU 1 is device 0
        from legonn import cutorch
        cutorch.setDevice(opt['gpu'] - 1)
        input = input.cuda(); noise = noise.cuda(); label = label.cuda()
        cudnn.benchmark = True
        cudnn.convert(netG, cudnn)
        cudnn.convert(netD, cudnn)
        netD.cuda(); netG.cuda(); criterion.cuda()

    parametersD, gradParametersD = netD.getParameters()
    parametersG, gradParametersG = netG.getParameters()

    record = {'errD': [], 'errG': [], 'G0': parametersG.clone()}

    # create closure to evaluate f(X) and df/dX of discriminator
    def fDx(x):
        gradParametersD.zero()

        # train with real
        real = data.getBatch()
        input.copy(real)
        label.fill(real_label)

        output = netD.forward(input)
        record['D_real'] = output.clone()
        errD_real = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward(input, df_do)

        # train with fake
        if opt['noise'] == 'uniform':      # regenerate random noise
            noise.uniform(-1, 1)
        elif opt['noise'] == 'normal':
            noise.normal(0, 1)
        fake = netG.forward(noise)
        input.copy(fake)
        label.fill(fake_label)

        output = netD.forward(input)
        record['D_fake'] = output.clone()
        errD_fake = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward(input, df_do)

        errD = errD_real + errD_fake
        record['errD'].append(errD)
        return errD, gradParametersD

    # create closure to evaluate f(X) and df/dX of generator
    def fGx(x):
        gradParametersG.zero()

        label.fill(real_label)    # fake labels are real for generator cost

        output = netD.output      # netD:forward(input) was already executed in fDx, so save computation
        errG = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        df_dg = netD.updateGradInput(input, df_do)

        netG.backward(noise, df_dg)
        record['errG'].append(errG)
        return errG, gradParametersG

    for epoch in range(1, niter + 1):        # epoch counts (it names the checkpoints), as in the Lua
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        optim.adam(fDx, parametersD, optimStateD)
        # (2) Update G network: maximize log(D(G(z)))
        optim.adam(fGx, parametersG, optimStateG)
        if 'epoch_save_modulo' in opt:      # main.lua always saves; tests without the option skip it
            paths.mkdir('checkpoints')
            parametersD, gradParametersD = None, None    # nil them to avoid spiking memory
            parametersG, gradParametersG = None, None
            if epoch % opt['epoch_save_modulo'] == 0:
                lg.save('checkpoints/' + opt['name'] + '_' + str(epoch) + '_net_G.t7', netG.clearState())
                lg.save('checkpoints/' + opt['name'] + '_' + str(epoch) + '_net_D.t7', netD.clearState())
            parametersD, gradParametersD = netD.getParameters()    # reflatten the params and get them
            parametersG, gradParametersG = netG.getParameters()
    return netG, netD, record


class DataLoader:
    """data/data.lua's loader stand-in: ``getBatch()`` returns the same toy batch of real images each time,
    vertical stripes in [-1, 1] whose phase varies per image (the generator, from N(0, 0.02) weights, starts
    far from them)."""

    def __init__(self, opt):
        rng = np.random.RandomState(7)
        b, s = opt['batchSize'], opt['fineSize']
        cols = np.arange(s) / 4.0 + rng.uniform(0, 2 * math.pi, size=(b, 1, 1, 1))
        self.batch = lg.from_numpy(np.broadcast_to(np.sin(cols), (b, 3, s, s)).astype(np.float32).copy())

    def getBatch(self):
        return self.batch


@pytest.fixture(autouse=True)
def _threads():
    """main.lua sets torch.setnumthreads(1); the other tests get the count they had back."""
    n = lg.getnumthreads()
    yield
    lg.setnumthreads(n)


def _opt(**changes):
    opt = {'batchSize': 8, 'fineSize': 64, 'nz': 8, 'ngf': 2, 'ndf': 2, 'lr': 0.0002, 'beta1': 0.5,
           'gpu': 0, 'noise': 'normal'}
    opt.update(changes)
    return opt


def test_dcgan_structure_and_weights_init():
    """The generator maps nz x 1 x 1 noise to 3 x 64 x 64 in [-1, 1]; the discriminator maps that to one
    probability per image (View(1):setNumInputDims(3) of 4x1x1x1 gives 4x1: the batch, then the view's size;
    BCECriterion takes the labels of size 4 against it, as it counts elements). ``weights_init`` drops every
    convolution's bias (``m:noBias()``), so getParameters counts weights and BN's affine pairs only."""
    opt = _opt()
    netG, netD, _ = main(opt, 0)
    nz, ngf, ndf, nc = opt['nz'], opt['ngf'], opt['ndf'], 3
    g_convs = [(nz, ngf * 8), (ngf * 8, ngf * 4), (ngf * 4, ngf * 2), (ngf * 2, ngf), (ngf, nc)]
    d_convs = [(nc, ndf), (ndf, ndf * 2), (ndf * 2, ndf * 4), (ndf * 4, ndf * 8), (ndf * 8, 1)]
    g_bn, d_bn = [ngf * 8, ngf * 4, ngf * 2, ngf], [ndf * 2, ndf * 4, ndf * 8]
    assert netG.getParameters()[0].nElement() == sum(i * o * 16 for i, o in g_convs) + 2 * sum(g_bn)
    assert netD.getParameters()[0].nElement() == sum(i * o * 16 for i, o in d_convs) + 2 * sum(d_bn)
    for m in netG.findModules('nn.SpatialFullConvolution')[0] + netD.findModules('nn.SpatialConvolution')[0]:
        assert m.bias is None and m.gradBias is None
        assert abs(float(m.weight.std()) - 0.02) < 0.01
    for m in netD.findModules('nn.SpatialBatchNormalization')[0]:
        assert abs(float(m.weight.mean()) - 1) < 0.05 and float(m.bias.abs().max()) == 0
    z = lg.Tensor(4, nz, 1, 1).normal(0, 1)
    img = netG.forward(z)
    assert tuple(img.size()) == (4, 3, 64, 64) and float(img.abs().max()) <= 1
    p = netD.forward(img)
    assert tuple(p.size()) == (4, 1) and 0 < float(p.min()) and float(p.max()) < 1


def test_dcgan_discriminator_learns_to_separate_real_from_fake():
    """Eighty alternating adam steps (main.lua's defaults: lr 0.0002, beta1 0.5): every loss stays
    finite, D's loss falls from about 2 log 2 and, on the last step, D scores every real image above every
    fake one. The generator's gradient path (fGx reuses netD.output and netD:updateGradInput) moved G's
    parameters (getParameters called again gives views of the same flat storage)."""
    opt = _opt()
    netG, netD, record = main(opt, 80)
    errD, errG = np.array(record['errD']), np.array(record['errG'])
    assert np.isfinite(errD).all() and np.isfinite(errG).all()
    assert abs(errD[0] - 2 * math.log(2)) < 0.1
    assert errD[-5:].mean() < 0.6 * errD[:5].mean()
    real, fake = record['D_real'].numpy(), record['D_fake'].numpy()
    assert real.min() > fake.max()
    assert real.mean() > 0.75 and fake.mean() < 0.4
    assert float((netG.getParameters()[0] - record['G0']).abs().max()) > 1e-3


def test_dcgan_checkpoints(tmp_path, monkeypatch):
    """Lines 241-249: ``torch.save(..., netG:clearState())`` every epoch_save_modulo epochs (clearState returns
    the module), the flat parameters dropped and taken again with getParameters, which gives views of the same
    storage, so the closures keep training the saved nets; a loaded generator draws the same images."""
    monkeypatch.chdir(tmp_path)
    netG, netD, record = main(_opt(epoch_save_modulo=2, name='experiment1'), 4)
    assert sorted(p.name for p in (tmp_path / 'checkpoints').iterdir()) == [
        'experiment1_2_net_D.t7', 'experiment1_2_net_G.t7', 'experiment1_4_net_D.t7', 'experiment1_4_net_G.t7']
    assert len(record['errD']) == 4 and record['errD'][3] != record['errD'][2]
    loaded = lg.load('checkpoints/experiment1_4_net_G.t7')
    z = lg.Tensor(2, 8, 1, 1).normal(0, 1)
    netG.evaluate()
    loaded.evaluate()
    np.testing.assert_allclose(loaded.forward(z).numpy(), netG.forward(z).numpy(), rtol=1e-6, atol=1e-7)
    assert float((netG.getParameters()[0] - record['G0']).abs().max()) > 0


@pytest.mark.gpu
def test_dcgan_gpu_branch():
    """main.lua's ``opt.gpu > 0`` branch: cutorch.setDevice, cudnn.convert of both nets, netD:cuda(),
    criterion:cuda(); a few steps stay finite and D's loss falls as on the CPU."""
    _, netD, record = main(_opt(gpu=1), 12)
    assert lg.typename(netD.get(0)) == 'cudnn.SpatialConvolution'
    errD = np.array(record['errD'])
    assert np.isfinite(errD).all() and np.isfinite(record['errG']).all()
    assert errD[-3:].mean() < errD[:3].mean()
