"""DeepMask.lua: the common trunk (a pre-trained ResNet-50 cut after its third stage, batch normalisations fixed,
then a crop, a 1x1 convolution and a Linear to 512 features), the mask head (Linear to oSz x oSz, bilinearly
resampled to gSz x gSz on the CPU when gSz > oSz) and the score head, as an nn.Container subclass holding its parts
as fields."""
import legonn as lg
from legonn import cudnn, nn

from .SpatialSymmetricPadding import SpatialSymmetricPadding
from . import modelUtils as utils


class DeepMask(nn.Container):

    # --------------------------------------------------------------------------
    # function: constructor
    def __init__(self, config):
        nn.Container.__init__(self)
        # create common trunk
        self.createTrunk(config)

        # create mask head
        self.createMaskBranch(config)

        # create score head
        self.createScoreBranch(config)

        # number of parameters
        npt, nps, npm = 0, 0, 0
        p1, p2, p3 = self.trunk.parameters()[0], \
            self.maskBranch.parameters()[0], self.scoreBranch.parameters()[0]
        for k, v in enumerate(p1): npt = npt + v.nElement()
        for k, v in enumerate(p2): npm = npm + v.nElement()
        for k, v in enumerate(p3): nps = nps + v.nElement()
        print('| number of paramaters trunk: %d' % npt)
        print('| number of paramaters mask branch: %d' % npm)
        print('| number of paramaters score branch: %d' % nps)
        print('| number of paramaters total: %d' % (npt + nps + npm))

    # --------------------------------------------------------------------------
    # function: create common trunk
    def createTrunk(self, config):
        # size of feature maps at end of trunk
        self.fSz = config['iSz'] / 16

        # load trunk
        trunk = lg.load('pretrained/resnet-50.t7')

        # remove BN
        utils.BNtoFixed(trunk, True)

        # remove fully connected layers
        trunk.remove(); trunk.remove(); trunk.remove(); trunk.remove()

        # crop central pad
        trunk.add(nn.SpatialZeroPadding(-1, -1, -1, -1))

        # add common extra layers
        trunk.add(cudnn.SpatialConvolution(1024, 128, 1, 1, 1, 1))
        trunk.add(cudnn.ReLU())
        trunk.add(nn.View(config['batch'], 128 * self.fSz * self.fSz))
        trunk.add(nn.Linear(128 * self.fSz * self.fSz, 512))

        # from scratch? reset the parameters
        if config['scratch']:
            for k, m in enumerate(trunk.modules):
                if m.weight is not None: m.reset()

        # symmetricPadding
        utils.updatePadding(trunk, SpatialSymmetricPadding)

        self.trunk = trunk.cuda()
        return trunk

    # --------------------------------------------------------------------------
    # function: create mask branch
    def createMaskBranch(self, config):
        maskBranch = nn.Sequential()

        # maskBranch
        maskBranch.add(nn.Linear(512, config['oSz'] * config['oSz']))
        self.maskBranch = nn.Sequential().add(maskBranch.cuda())

        # upsampling layer
        if config['gSz'] > config['oSz']:
            upSample = nn.Sequential()
            upSample.add(nn.Copy('torch.CudaTensor', 'torch.FloatTensor'))
            upSample.add(nn.View(config['batch'], config['oSz'], config['oSz']))
            upSample.add(nn.SpatialReSamplingEx({'owidth': config['gSz'], 'oheight': config['gSz'],
                                                 'mode': 'bilinear'}))
            upSample.add(nn.View(config['batch'], config['gSz'] * config['gSz']))
            upSample.add(nn.Copy('torch.FloatTensor', 'torch.CudaTensor'))
            self.maskBranch.add(upSample)

        return self.maskBranch

    # --------------------------------------------------------------------------
    # function: create score branch
    def createScoreBranch(self, config):
        scoreBranch = nn.Sequential()
        scoreBranch.add(nn.Dropout(.5))
        scoreBranch.add(nn.Linear(512, 1024))
        scoreBranch.add(nn.Threshold(0, 1e-6))

        scoreBranch.add(nn.Dropout(.5))
        scoreBranch.add(nn.Linear(1024, 1))

        self.scoreBranch = scoreBranch.cuda()
        return self.scoreBranch

    # --------------------------------------------------------------------------
    # function: training
    def training(self):
        self.trunk.training(); self.maskBranch.training(); self.scoreBranch.training()

    # --------------------------------------------------------------------------
    # function: evaluate
    def evaluate(self):
        self.trunk.evaluate(); self.maskBranch.evaluate(); self.scoreBranch.evaluate()

    # --------------------------------------------------------------------------
    # function: to cuda
    def cuda(self):
        self.trunk.cuda(); self.scoreBranch.cuda(); self.maskBranch.cuda()

    # --------------------------------------------------------------------------
    # function: to float
    def float(self):
        self.trunk.float(); self.scoreBranch.float(); self.maskBranch.float()

    # --------------------------------------------------------------------------
    # function: inference (used for full scene inference)
    def inference(self, *_):
        self.trunk.evaluate()
        self.maskBranch.evaluate()
        self.scoreBranch.evaluate()

        utils.linear2convTrunk(self.trunk, self.fSz)
        utils.linear2convHead(self.scoreBranch)
        utils.linear2convHead(self.maskBranch.modules[0])
        self.maskBranch = self.maskBranch.modules[0]

        self.cuda()

    # --------------------------------------------------------------------------
    # function: clone
    def clone(self, *args):
        clone = lg.deserialize(lg.serialize(self))

        if len(args) > 0:
            clone.trunk.share(self.trunk, *args)
            clone.maskBranch.share(self.maskBranch, *args)
            clone.scoreBranch.share(self.scoreBranch, *args)

        return clone


lg.register(DeepMask, 'nn.DeepMask')
