"""InferSharpMask.lua: full-scene inference with a SharpMask (SharpMask:inference): the trunk and score head over
the scale pyramid, the horizontal nets applied convolutionally to the trunk's stages, the top ``np`` positions'
patches gathered from all of them and refined top-down in one batch (or, with ``dm``, DeepMask's mask head on the
top positions' features).

Edits beyond syntax and indices are InferDeepMask.py's (``Infer(np=..., ...)`` for argcheck's table, topScores'
0-based positions with Torch7's arithmetic kept, ``int`` to index a list); ``topPatches`` (Lua's table from 1)
is a list from 0, as ``t`` and each scale's skip outputs are."""
import math

import legonn as lg
from legonn import cutorch, image, nn, sys


class Infer:
    typename = 'Infer'

    # --------------------------------------------------------------------------
    # function: init
    def __init__(self, np=500, scales=None, meanstd=None, model=None, iSz=160, dm=False, timer=False):
        # model
        self.trunk = model.trunk
        self.mBranch = model.maskBranchDM
        self.sBranch = model.scoreBranch
        self.refs = model.refs
        self.neths = model.neths
        self.skpos = model.skpos
        self.fSz = model.fSz
        self.dm = dm  # flag to use deepmask instead of sharpmask

        # number of proposals
        self.np = np

        # mean/std
        self.mean, self.std = meanstd['mean'], meanstd['std']

        # input size and border width
        self.iSz, self.bw = iSz, iSz / 2

        # timer
        self.timer = None
        if timer: self.timer = lg.Tensor(8).zero()

        # create  scale pyramid
        self.scales = scales
        self.pyramid = nn.ConcatTable()
        for i in range(0, len(scales)):
            self.pyramid.add(nn.SpatialReSamplingEx({'rwidth': scales[i],
                                                     'rheight': scales[i], 'mode': 'bilinear'}))

        # allocate topScores, topMasks and topPatches
        self.topScores, self.topMasks = lg.Tensor(), lg.ByteTensor()
        if self.dm:
            topPatches = lg.CudaTensor(self.np, 512).zero()
        else:
            topPatches = []
            topPatches.append(lg.CudaTensor(self.np, 512).zero())
            for j in range(1, len(model.refs) - 1 + 1):
                sz = model.fSz * 2 ** (j - 1)
                topPatches.append(lg.CudaTensor(self.np, model.ks / 2 ** (j), sz, sz))
        self.topPatches = topPatches

    # --------------------------------------------------------------------------
    # function: forward
    def forward(self, input, id=None):
        if input.type() == 'torch.CudaTensor': input = input.float()

        # forward pyramid
        if self.timer is not None: sys.tic()
        inpPyramid = self.pyramid.forward(input)
        if self.timer is not None: self.timer.narrow(0, 0, 1).add(sys.toc())

        # forward all scales through network
        outPyramidTrunk, outPyramidScore, outPyramidSkip = [], [], {}
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
            outTrunk = self.trunk.forward(inpPad)
            cutorch.synchronize()
            if self.timer is not None: self.timer.narrow(0, 2, 1).add(sys.toc())
            outPyramidTrunk.append(outTrunk.clone().squeeze())

            # forward score branch
            if self.timer is not None: sys.tic()
            outScore = self.sBranch.forward(outTrunk)
            cutorch.synchronize()
            if self.timer is not None: self.timer.narrow(0, 3, 1).add(sys.toc())
            outPyramidScore.append(outScore.clone().squeeze())

            # forward horizontal nets
            if not self.dm:
                hOuts = []
                for k, neth in enumerate(self.neths):
                    if self.timer is not None: sys.tic()
                    neth.forward(self.trunk.modules[self.skpos[k]].output)
                    cutorch.synchronize()
                    if self.timer is not None: self.timer.narrow(0, 4, 1).add(sys.toc())
                    hOuts.append(neth.output.clone())
                outPyramidSkip[i] = hOuts

        # get top scores
        self.getTopScores(outPyramidScore)

        # get top patches and top masks, depending on mode
        if self.dm:
            if self.timer is not None: sys.tic()
            self.getTopPatchesDM(outPyramidTrunk)
            if self.timer is not None: self.timer.narrow(0, 5, 1).add(sys.toc())

            if self.timer is not None: sys.tic()
            topMasks0 = self.mBranch.forward(self.topPatches)
            osz = math.sqrt(topMasks0.size(1))
            topMasks0 = topMasks0.view(self.np, osz, osz)
            if self.timer is not None: self.timer.narrow(0, 6, 1).add(sys.toc())
        else:
            if self.timer is not None: sys.tic()
            self.getTopPatches(outPyramidTrunk, outPyramidSkip)
            if self.timer is not None: self.timer.narrow(0, 5, 1).add(sys.toc())

            if self.timer is not None: sys.tic()
            topMasks0 = self.forwardRefinement(self.topPatches)
            if self.timer is not None: self.timer.narrow(0, 6, 1).add(sys.toc())
        self.topMasks0 = topMasks0.float().squeeze()

        if self.timer is not None: self.timer.narrow(0, 7, 1).add(1)

    # --------------------------------------------------------------------------
    # function: forward refinement inference
    # input is a table containing the output of bottom-up and the output of all
    # horizontal layers
    def forwardRefinement(self, input):
        currentOutput = self.refs[0].forward(input[0])
        for i in range(1, len(self.refs) - 1 + 1):
            currentOutput = self.refs[i].forward([input[i], currentOutput])
        cutorch.synchronize()
        self.output = currentOutput
        return self.output

    # --------------------------------------------------------------------------
    # function: get top patches
    def getTopPatchesDM(self, outPyramidTrunk):
        topscores = self.topScores
        ts_ptr = topscores.data()
        for i in range(0, topscores.size(0)):
            pos_ = i * 4
            s, x, y = ts_ptr[pos_ + 1], ts_ptr[pos_ + 2], ts_ptr[pos_ + 3]
            patch = outPyramidTrunk[int(s)].narrow(1, x, 1).narrow(2, y, 1)
            self.topPatches.narrow(0, i, 1).copy(patch)

    # --------------------------------------------------------------------------
    # function: get top patches
    def getTopPatches(self, outPyramidTrunk, outPyramidSkip):
        global t
        topscores = self.topScores
        ts_ptr = topscores.data()

        if not t:
            t = []
            for j in range(1, len(self.skpos) + 1): t.append(2 ** (j - 1))

        for i in range(0, len(self.topPatches)): self.topPatches[i].zero()
        for i in range(0, self.np):
            pos_ = i * 4
            s, x, y = ts_ptr[pos_ + 1], ts_ptr[pos_ + 2], ts_ptr[pos_ + 3]

            # get patches from output outPyramidTrunk
            patch = outPyramidTrunk[int(s)].narrow(1, x, 1).narrow(2, y, 1)
            self.topPatches[0].narrow(0, i, 1).copy(patch)

            for j in range(0, len(self.skpos)):
                isz = (self.fSz) * t[j]
                xx, yy = x * t[j], y * t[j]
                o = outPyramidSkip[int(s)][j]
                dx = min(isz, o.size(2) - xx)
                dy = min(isz, o.size(3) - yy)
                patch = o.narrow(2, xx, dx).narrow(3, yy, dy)
                self.topPatches[j + 1].narrow(0, i, 1).narrow(2, 0, dx).narrow(3, 0, dy) \
                    .copy(patch)
        cutorch.synchronize()

    # --------------------------------------------------------------------------
    # function: get top scores
    # return a tensor k x 4, where k is the number of top scores.
    # each line contains: the score value, the scaleNb and position(of M(:))
    def getTopScores(self, outPyramidScore):
        topScores = self.topScores

        self.score = outPyramidScore
        np = self.np
        # sort scores/ids for each scale
        nScales = len(self.score)
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
        thr = math.log(thr / (1 - thr))  # 1/(1+e^-s) > th => s > log(1-th)

        topMasks0, topScores, np = self.topMasks0, self.topScores, self.np
        topMasks.resize(np, h, w).zero()
        imgMask.resize(h, w)
        imgMaskPtr = imgMask.data()

        for i in range(0, np):
            imgMask.zero()
            scale, x, y = topScores[i][1], topScores[i][2], topScores[i][3]
            s = self.scales[int(scale)]  # port: an int to index a list
            sz = math.floor(self.iSz / s)
            mask = topMasks0[i]
            x, y = min(x, mask.size(0) - 1), min(y, mask.size(1) - 1)
            mask = image.scale(mask, sz, sz, 'bilinear')
            maskPtr = mask.data()

            t_, delta = 16 / s, self.iSz / 2 / s
            for im in range(0, sz - 1 + 1):
                ii = math.floor((x) * t_ - delta + im)
                for jm in range(0, sz - 1 + 1):
                    jj = math.floor((y) * t_ - delta + jm)
                    if maskPtr[sz * im + jm] > thr and \
                            ii >= 0 and ii <= h - 1 and jj >= 0 and jj <= w - 1:
                        imgMaskPtr[jj + w * ii] = 1

            topMasks.narrow(0, i, 1).copy(imgMask)

        self.topMasks = topMasks
        return topMasks

    # --------------------------------------------------------------------------
    # function: get top proposals
    def getTopProps(self, thr, h, w):
        self.getTopMasks(thr, h, w)
        return self.topMasks, self.topScores

    # --------------------------------------------------------------------------
    # function: display timer
    def printTiming(self):
        t_ = self.timer
        t_.div(t_[t_.size(0) - 1])

        print('\n| timing:')
        print('| time pyramid:', t_[0])
        print('| time pre-process:', t_[1])
        print('| time trunk:', t_[2])
        print('| time score branch:', t_[3])
        print('| time skip connections:', t_[4])
        print('| time topPatches:', t_[5])
        print('| time refinement:', t_[6])
        print('| time total:', t_.narrow(0, 0, t_.size(0) - 1).sum())


inpPad = lg.CudaTensor()
t = None
sortedScores = lg.Tensor()
sortedIds = lg.Tensor()
pos = lg.Tensor()
topMasks = lg.ByteTensor()
imgMask = lg.ByteTensor()
