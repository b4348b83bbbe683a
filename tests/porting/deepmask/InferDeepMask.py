"""InferDeepMask.lua: full-scene inference with a DeepMask turned convolutional (DeepMask:inference): the image at
several scales, padded and normalised, through the trunk and both heads; the top ``np`` scores over all scales
and positions, and their masks pasted into the image's frame.

Edits beyond syntax and indices, each marked ``# port:`` where made:

* ``Infer{np = ..., scales = ..., ...}`` (argcheck, ``noordered``) is ``Infer(np=..., scales=..., ...)``; the
  parameter ``np`` keeps its name (NumPy is not imported here).
* topScores' columns 2-4 (scale number, x, y) are 0-based positions. getTopScores computes its x, y from the
  1-based rank ids torch.sort gives, as ``x = floor(temp/w)``, ``y = temp%w + 1`` (then at least 1): that
  arithmetic is off by one against the id's row and column, and the port keeps Torch7's numbers by writing it
  on the 1-based id ``temp + 1`` and subtracting 1 from the result. The rows past ``min(np, rowN)``, which
  ``fill(1)`` leaves, hold score 1 and 0-based positions 0.
* ``self.scales[scale]``, ``masks[scale]``: a number read from a tensor keys a Lua table as its integer; a Python
  list wants an ``int``.
"""
import math

import legonn as lg
from legonn import cutorch, image, nn, sys


# ------------------------------------------------------------------------------
# function: unfold the mask output into a matrix of masks
def unfoldMasksMatrix(masks):
    umasks = []
    oSz = math.sqrt(masks[0].size(0))
    for _, mask in enumerate(masks):
        umask = mask.reshape(oSz, oSz, mask.size(1), mask.size(2))
        umask = umask.transpose(0, 2).transpose(1, 2).transpose(1, 3).transpose(2, 3)
        umasks.append(umask)
    return umasks


class Infer:
    typename = 'Infer'

    # --------------------------------------------------------------------------
    # function: init
    def __init__(self, np=500, scales=None, meanstd=None, model=None, iSz=160, dm=True, timer=False):
        # model
        self.trunk = model.trunk
        self.mHead = model.maskBranch
        self.sHead = model.scoreBranch

        # number of proposals
        self.np = np

        # mean/std
        self.mean, self.std = meanstd['mean'], meanstd['std']

        # input size and border width
        self.iSz, self.bw = iSz, iSz / 2

        # timer
        self.timer = None
        if timer: self.timer = lg.Tensor(6).zero()

        # create  scale pyramid
        self.scales = scales
        self.pyramid = nn.ConcatTable()
        for i in range(0, len(scales)):
            self.pyramid.add(nn.SpatialReSamplingEx({'rwidth': scales[i],
                                                     'rheight': scales[i], 'mode': 'bilinear'}))

        # allocate topScores and topMasks
        self.topScores = lg.Tensor()
        self.topMasks = lg.ByteTensor()

    # --------------------------------------------------------------------------
    # function: forward
    def forward(self, input):
        if input.type() == 'torch.CudaTensor': input = input.float()

        # forward pyramid
        if self.timer is not None: sys.tic()
        inpPyramid = self.pyramid.forward(input)
        if self.timer is not None: self.timer.narrow(0, 0, 1).add(sys.toc())

        # forward all scales through network
        outPyramidMask, outPyramidScore = [], []
        for i, _ in enumerate(inpPyramid):
            inp = inpPyramid[i].cuda()
            h, w = inp.size(1), inp.size(2)

            # padding/normalize
            if self.timer is not None: sys.tic()
            inpPad.resize(1, 3, h + 2 * self.bw, w + 2 * self.bw).fill(.5)
            inpPad.narrow(0, 0, 1).narrow(2, self.bw, h).narrow(3, self.bw, w).copy(inp)
            for i_ in range(0, 3): inpPad[0][i_].add(-self.mean[i_]).div(self.std[i_])
            cutorch.synchronize()
            if self.timer is not None: self.timer.narrow(0, 1, 1).add(sys.toc())

            # forward trunk
            if self.timer is not None: sys.tic()
            outTrunk = self.trunk.forward(inpPad).squeeze()
            cutorch.synchronize()
            if self.timer is not None: self.timer.narrow(0, 2, 1).add(sys.toc())

            # forward score branch
            if self.timer is not None: sys.tic()
            outScore = self.sHead.forward(outTrunk)
            cutorch.synchronize()
            if self.timer is not None: self.timer.narrow(0, 3, 1).add(sys.toc())
            outPyramidScore.append(outScore.clone().squeeze())

            # forward mask branch
            if self.timer is not None: sys.tic()
            outMask = self.mHead.forward(outTrunk)
            cutorch.synchronize()
            if self.timer is not None: self.timer.narrow(0, 4, 1).add(sys.toc())
            outPyramidMask.append(outMask.float().squeeze())

        self.mask = unfoldMasksMatrix(outPyramidMask)
        self.score = outPyramidScore

        if self.timer is not None: self.timer.narrow(0, 5, 1).add(1)

    # --------------------------------------------------------------------------
    # function: get top scores
    # return a tensor k x 4, where k is the number of top scores.
    # each line contains: the score value, the scaleNb and position(of M(:))
    def getTopScores(self):
        topScores = self.topScores

        # sort scores/ids for each scale
        nScales = len(self.scales)
        rowN = self.score[nScales - 1].size(0) * self.score[nScales - 1].size(1)
        sortedScores.resize(rowN, nScales).zero()
        sortedIds.resize(rowN, nScales).zero()
        for s in range(0, nScales):
            self.score[s].mul(-1).exp().add(1).pow(-1)  # scores2prob

            sc = self.score[s]
            h, w = sc.size(0), sc.size(1)

            sc = sc.view(h * w)
            sS, sIds = lg.sort(sc, True)
            sz = sS.size(0)
            sortedScores.narrow(1, s, 1).narrow(0, 0, sz).copy(sS)
            sortedIds.narrow(1, s, 1).narrow(0, 0, sz).copy(sIds)

        # get top scores
        np = self.np
        pos.resize(nScales).fill(0)
        # port: the default rows hold score 1 and 0-based positions 0 (Lua's fill(1))
        topScores.resize(np, 4).fill(1).narrow(1, 1, 3).fill(0)
        np = min(np, rowN)

        for i in range(0, np):
            scale, score = 0, 0
            for k in range(0, nScales):
                if sortedScores[pos[k]][k] > score:
                    score = sortedScores[pos[k]][k]
                    scale = k
            temp = sortedIds[pos[scale]][scale]
            # port: Torch7's arithmetic on the 1-based id, then 0-based positions
            x = math.floor((temp + 1) / self.score[scale].size(1)) - 1
            y = (temp + 1) % self.score[scale].size(1) + 1 - 1
            x, y = max(0, x), max(0, y)

            pos[scale] = pos[scale] + 1
            topScores.narrow(0, i, 1).copy(lg.Tensor([score, scale, x, y]))

        return topScores

    # --------------------------------------------------------------------------
    # function: get top masks.
    def getTopMasks(self, thr, h, w):
        topMasks = self.topMasks

        thr = math.log(thr / (1 - thr))  # 1/(1+e^-s) > th => s > log(1-th)

        masks, topScores, np = self.mask, self.topScores, self.np
        topMasks.resize(np, h, w).zero()
        imgMask.resize(h, w)
        imgMaskPtr = imgMask.data()

        for i in range(0, np):
            imgMask.zero()
            scale, x, y = topScores[i][1], topScores[i][2], topScores[i][3]
            s = self.scales[int(scale)]  # port: an int to index a list
            sz = math.floor(self.iSz / s)
            mask = masks[int(scale)]
            x, y = min(x, mask.size(0) - 1), min(y, mask.size(1) - 1)
            mask = mask[x][y].float()
            mask = image.scale(mask, sz, sz, 'bilinear')
            mask_ptr = mask.data()

            t = 16 / s
            delta = self.iSz / 2 / s
            for im in range(0, sz - 1 + 1):
                ii = math.floor((x) * t - delta + im)
                for jm in range(0, sz - 1 + 1):
                    jj = math.floor((y) * t - delta + jm)
                    if mask_ptr[sz * im + jm] > thr and \
                            ii >= 0 and ii <= h - 1 and jj >= 0 and jj <= w - 1:
                        imgMaskPtr[jj + w * ii] = 1
            topMasks.narrow(0, i, 1).copy(imgMask)

        return topMasks

    # --------------------------------------------------------------------------
    # function: get top proposals
    def getTopProps(self, thr, h, w):
        self.getTopScores()
        self.getTopMasks(thr, h, w)
        return self.topMasks, self.topScores

    # --------------------------------------------------------------------------
    # function: display timer
    def printTiming(self):
        t = self.timer
        t.div(t[t.size(0) - 1])

        print('| time pyramid:', t[0])
        print('| time pre-process:', t[1])
        print('| time trunk:', t[2])
        print('| time score branch:', t[3])
        print('| time mask branch:', t[4])
        print('| time total:', t.narrow(0, 0, t.size(0) - 1).sum())


inpPad = lg.CudaTensor()
sortedScores = lg.Tensor()
sortedIds = lg.Tensor()
pos = lg.Tensor()
imgMask = lg.ByteTensor()
