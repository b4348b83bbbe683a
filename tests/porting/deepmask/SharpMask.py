"""SharpMask.lua: a trained DeepMask's trunk and heads (bottom-up) with top-down refinement modules, each a
ParallelTable of a horizontal net (on a trunk stage's output) and a vertical net (on the coarser mask features),
summed, ReLU'd and upsampled.

Lua keeps ``netvs`` and ``refs`` in tables with a key 0 and then 1..n (``netvs[0] = n0``, then ``table.insert``):
Python lists hold the same keys 0..n, so ``#refs`` (which does not count key 0) is ``len(refs) - 1``. ``neths``
has keys 1..n and becomes a list from 0; ``skpos`` holds the trunk's module positions, 0-based."""
import legonn as lg
from legonn import cudnn, nn

from .SpatialSymmetricPadding import SpatialSymmetricPadding
from . import modelUtils as utils


class SharpMask(nn.Container):

    # --------------------------------------------------------------------------
    # function: init
    def __init__(self, config):
        nn.Container.__init__(self)
        self.km, self.ks = config['km'], config['ks']
        assert self.km >= 16 and self.km % 16 == 0 and self.ks >= 16 and self.ks % 16 == 0

        self.skpos = [7, 5, 4, 2]  # positions to forward horizontal nets
        self.inps = {}

        # create bottom-up flow (from deepmask)
        m = lg.load(config['dm'] + '/model.t7')
        deepmask = m['model']
        self.trunk = deepmask.trunk
        self.scoreBranch = deepmask.scoreBranch
        self.maskBranchDM = deepmask.maskBranch
        self.fSz = deepmask.fSz

        # create refinement modules
        self.createTopDownRefinement(config)

        # number of parameters
        nh, nv = 0, 0
        for k, v in enumerate(self.neths):
            for kk, vv in enumerate(v.parameters()[0]): nh = nh + vv.nElement()
        for k, v in enumerate(self.netvs):
            for kk, vv in enumerate(v.parameters()[0]): nv = nv + vv.nElement()
        print('| number of paramaters net h: %d' % nh)
        print('| number of paramaters net v: %d' % nv)
        print('| number of paramaters total: %d' % (nh + nv))
        self.cuda()

    # --------------------------------------------------------------------------
    # function: create vertical nets
    def createVertical(self, config):
        netvs = []

        n0 = nn.Sequential()
        n0.add(nn.Linear(512, self.fSz * self.fSz * self.km))
        n0.add(nn.View(config['batch'], self.km, self.fSz, self.fSz))
        netvs.append(n0.cuda())

        for i in range(1, len(self.skpos) + 1):
            netv = nn.Sequential()
            nInps = self.km / 2 ** (i - 1)

            netv.add(SpatialSymmetricPadding(1, 1, 1, 1))
            netv.add(cudnn.SpatialConvolution(nInps, nInps, 3, 3, 1, 1))
            netv.add(cudnn.ReLU())

            netv.add(SpatialSymmetricPadding(1, 1, 1, 1))
            netv.add(cudnn.SpatialConvolution(nInps, nInps / 2, 3, 3, 1, 1))

            netvs.append(netv.cuda())

        self.netvs = netvs
        return netvs

    # --------------------------------------------------------------------------
    # function: create horizontal nets
    def createHorizontal(self, config):
        neths = []
        for i in range(1, len(self.skpos) + 1):
            h = nn.Sequential()
            nInps = self.ks / 2 ** (i - 1)

            if i == 1: nhu1, nhu2, crop = 1024, 64, 0
            elif i == 2: nhu1, nhu2, crop = 512, 64, -2
            elif i == 3: nhu1, nhu2, crop = 256, 64, -4
            elif i == 4: nhu1, nhu2, crop = 64, 32, -8
            if crop != 0: h.add(nn.SpatialZeroPadding(crop, crop, crop, crop))

            h.add(SpatialSymmetricPadding(1, 1, 1, 1))
            h.add(cudnn.SpatialConvolution(nhu1, nhu2, 3, 3, 1, 1))
            h.add(cudnn.ReLU())

            h.add(SpatialSymmetricPadding(1, 1, 1, 1))
            h.add(cudnn.SpatialConvolution(nhu2, nInps, 3, 3, 1, 1))
            h.add(cudnn.ReLU())

            h.add(SpatialSymmetricPadding(1, 1, 1, 1))
            h.add(cudnn.SpatialConvolution(nInps, nInps / 2, 3, 3, 1, 1))

            neths.append(h.cuda())

        self.neths = neths
        return neths

    # --------------------------------------------------------------------------
    # function: create refinement modules
    def refinement(self, neth, netv):
        ref = nn.Sequential()
        par = nn.ParallelTable().add(neth).add(netv)
        ref.add(par)
        ref.add(nn.CAddTable(2))
        ref.add(cudnn.ReLU())
        ref.add(nn.SpatialUpSamplingNearest(2))

        return ref.cuda()

    def createTopDownRefinement(self, config):
        # create horizontal nets
        self.createHorizontal(config)

        # create vertical nets
        self.createVertical(config)

        refs = []
        refs.append(self.netvs[0])
        for i in range(1, len(self.skpos) + 1):
            refs.append(self.refinement(self.neths[i - 1], self.netvs[i]))

        finalref = refs[len(refs) - 1]
        finalref.add(SpatialSymmetricPadding(1, 1, 1, 1))
        finalref.add(cudnn.SpatialConvolution((self.km) / 2 ** (len(refs) - 1), 1, 3, 3, 1, 1))
        finalref.add(nn.View(config['batch'], config['gSz'] * config['gSz']))

        self.refs = refs
        return refs

    # --------------------------------------------------------------------------
    # function: forward
    def forward(self, input):
        # forward bottom-up
        currentOutput = self.trunk.forward(input)

        # forward refinement modules
        currentOutput = self.refs[0].forward(currentOutput)
        for k in range(1, len(self.refs) - 1 + 1):
            F = self.trunk.modules[self.skpos[k - 1]].output
            self.inps[k] = [F, currentOutput]
            currentOutput = self.refs[k].forward(self.inps[k])
        self.output = currentOutput
        return self.output

    # --------------------------------------------------------------------------
    # function: backward
    def backward(self, input, gradOutput):
        currentGrad = gradOutput
        for i in range(len(self.refs) - 1, 0, -1):
            currentGrad = self.refs[i].backward(self.inps[i], currentGrad)
            currentGrad = currentGrad[1]
        currentGrad = self.refs[0].backward(self.trunk.output, currentGrad)

        self.gradInput = currentGrad
        return currentGrad

    # --------------------------------------------------------------------------
    # function: zeroGradParameters
    def zeroGradParameters(self):
        for k, v in enumerate(self.refs): self.refs[k].zeroGradParameters()

    # --------------------------------------------------------------------------
    # function: updateParameters
    def updateParameters(self, lr):
        for k, n in enumerate(self.refs): self.refs[k].updateParameters(lr)

    # --------------------------------------------------------------------------
    # function: training
    def training(self):
        self.trunk.training(); self.scoreBranch.training(); self.maskBranchDM.training()
        for k, n in enumerate(self.refs): self.refs[k].training()

    # --------------------------------------------------------------------------
    # function: evaluate
    def evaluate(self):
        self.trunk.evaluate(); self.scoreBranch.evaluate(); self.maskBranchDM.evaluate()
        for k, n in enumerate(self.refs): self.refs[k].evaluate()

    # --------------------------------------------------------------------------
    # function: to cuda
    def cuda(self):
        self.trunk.cuda(); self.scoreBranch.cuda(); self.maskBranchDM.cuda()
        for k, n in enumerate(self.refs): self.refs[k].cuda()

    # --------------------------------------------------------------------------
    # function: to float
    def float(self):
        self.trunk.float(); self.scoreBranch.float(); self.maskBranchDM.float()
        for k, n in enumerate(self.refs): self.refs[k].float()

    # --------------------------------------------------------------------------
    # function: set number of proposals for inference
    def setnpinference(self, np):
        vsz = self.refs[0].modules[1].size
        self.refs[0].modules[1].resetSize(np, vsz[1], vsz[2], vsz[3])

    # --------------------------------------------------------------------------
    # function: inference (used for full scene inference)
    def inference(self, np):
        self.evaluate()

        # remove last view
        self.refs[len(self.refs) - 1].remove()

        # remove ZeroPaddings
        self.trunk.modules[7] = nn.Identity().cuda()
        for k in range(1, len(self.refs) - 1 + 1):
            m = self.refs[k].modules[0].modules[0].modules[0]
            if 'SpatialZeroPadding' in lg.typename(m):
                self.refs[k].modules[0].modules[0].modules[0] = nn.Identity().cuda()

        # remove horizontal links, as they are applied convolutionally
        for k in range(1, len(self.refs) - 1 + 1):
            self.refs[k].modules[0].modules[0] = nn.Identity().cuda()

        # modify number of batch to np (number of proposals)
        self.setnpinference(np)

        # transform trunk and score branch to conv
        utils.linear2convTrunk(self.trunk, self.fSz)
        utils.linear2convHead(self.scoreBranch)
        self.maskBranchDM = self.maskBranchDM.modules[0]

        self.cuda()

    # --------------------------------------------------------------------------
    # function: clone
    def clone(self, *args):
        clone = lg.deserialize(lg.serialize(self))

        if len(args) > 0:
            clone.trunk.share(self.trunk, *args)
            clone.maskBranchDM.share(self.maskBranchDM, *args)
            clone.scoreBranch.share(self.scoreBranch, *args)
            for k, n in enumerate(self.netvs): clone.netvs[k].share(self.netvs[k], *args)
            for k, n in enumerate(self.neths): clone.neths[k].share(self.neths[k], *args)
            for k, n in enumerate(self.refs): clone.refs[k].share(self.refs[k], *args)

        return clone


lg.register(SharpMask, 'nn.SharpMask')
