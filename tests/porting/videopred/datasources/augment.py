"""datasources/augment.lua: AugmentDatasource, random flips, rotation, scale-up and crop of each video of a
batch.

Edits beyond Lua syntax and 0-based indices: ``torch.random(1, h-hTarget+1)`` (1-based, both ends included) is
``lg.random(0, h - hTarget + 1)``, a 0-based offset; ``cropped[-1]``/``cropped[-2]`` are the last frames in both.
The file's local buffers (``flip_out1``, ``flip_out2``, ``scaleup_out``, ``rotate_out``, ``input2_out``) belong to
the Lua state that required the file, one per donkey thread; Python has one module for every thread, so they are
kept per thread in ``threads.local`` (``_buf(name)``, docs/porting.md's file-level locals row).
"""
import math

import legonn as lg
from legonn import image, threads
from tests.porting.videopred.datasources.classdatasource import ClassDatasource


def round(x):
    return math.floor(x + 0.5)


class AugmentDatasource(ClassDatasource):

    def __init__(self, datasource, params):
        super().__init__()
        self.datasource = datasource
        self.nChannels, self.nClasses = datasource.nChannels, datasource.nClasses
        if params.get('crop'):
            assert len(params['crop']) == 2
            self.h, self.w = params['crop'][0], params['crop'][1]
        else:
            self.h, self.w = datasource.h, datasource.w

        if self.datasource.tensortype == 'torch.CudaTensor':
            print("Warning: AugmentDatasource used with a cuda datasource. Might break")

        self.params = {
            'flip': params.get('flip') or 0,  # 1 for vflip, 2 for hflip, 3 for both
            'crop': params.get('crop') or [self.h, self.w],
            'scaleup': params.get('scaleup') or 1,
            'rotate': params.get('rotate') or 0,
            'cropMinimumMotion': params.get('cropMinimumMotion') or None,
            'cropMinimumMotionNTries': params.get('cropMinimumMotionNTries') or 25,
        }

    def nextBatch(self, batchSize, set):
        input2_out = _buf('input2_out')
        input, target = self.datasource.nextBatch(batchSize, set)
        if input.dim() == 4:
            input2_out.resize(batchSize, input.size(1),
                              self.params['crop'][0], self.params['crop'][1])
        else:
            input2_out.resize(batchSize, input.size(1), input.size(2),
                              self.params['crop'][0], self.params['crop'][1])
        for i in range(batchSize):
            x = input[i]
            x = flip(x, self.params['flip'])
            x = rotate(x, self.params['rotate'])
            x = scaleup(x, self.params['scaleup'])
            x = crop(x, self.params['crop'][0], self.params['crop'][1],
                     self.params['cropMinimumMotion'], self.params['cropMinimumMotionNTries'])
            input2_out[i].copy(x)
        return self.typeResults(input2_out, target)

    # This has NO data augmentation (you can't iterate over augmented data, it's infinite)
    def orderedIterator(self, batchSize, set):
        it = self.datasource.orderedIterator(batchSize, set)

        def iterator():
            r = it()
            input, label = r if r is not None else (None, None)
            if input is not None:
                return self.typeResults(input, label)
            else:
                return None
        return iterator


def flatten3d(x):
    # if x is a video, flatten it
    if x.dim() == 4:
        return x.view(x.size(0) * x.size(1), x.size(2), x.size(3))
    else:
        assert x.dim() == 3
        return x


def dimxy(x):
    assert (x.dim() == 3) or (x.dim() == 4)
    if x.dim() == 4:
        return 2, 3
    else:
        return 1, 2


def _buf(name):
    """This thread's ``local name = torch.Tensor()`` of the file (made on first use)."""
    if not hasattr(threads.local, name):
        setattr(threads.local, name, lg.Tensor())
    return getattr(threads.local, name)


def flip(patch, mode):
    flip_out1, flip_out2 = _buf('flip_out1'), _buf('flip_out2')
    out = patch
    if (mode == 1) or (mode == 3):
        if lg.bernoulli(0.5) == 1:
            flip_out1.typeAs(out).resizeAs(out)
            image.vflip(flatten3d(flip_out1), flatten3d(out))
            out = flip_out1
    if (mode == 2) or (mode == 3):
        if lg.bernoulli(0.5) == 1:
            flip_out2.typeAs(out).resizeAs(out)
            image.hflip(flatten3d(flip_out2), flatten3d(out))
            out = flip_out2
    return out


def crop(patch, hTarget, wTarget, minMotion, minMotionNTries):
    dimy, dimx = dimxy(patch)
    h, w = patch.size(dimy), patch.size(dimx)
    assert (h >= hTarget) and (w >= wTarget)
    if (h == hTarget) and (w == wTarget):
        return patch
    else:
        if minMotion:
            assert patch.dim() == 4
            x, y = None, None
            for i in range(minMotionNTries):
                y = lg.random(0, h - hTarget + 1)
                x = lg.random(0, w - wTarget + 1)
                cropped = patch.narrow(dimy, y, hTarget).narrow(dimx, x, wTarget)
                if (cropped[-1] - cropped[-2]).norm() > math.sqrt(minMotion * cropped[-1].nElement()):
                    break
            return patch.narrow(dimy, y, hTarget).narrow(dimx, x, wTarget)
        else:
            y = lg.random(0, h - hTarget + 1)
            x = lg.random(0, w - wTarget + 1)
            return patch.narrow(dimy, y, hTarget).narrow(dimx, x, wTarget)


def scaleup(patch, maxscale, mode=None):
    scaleup_out = _buf('scaleup_out')
    mode = mode or 'bilinear'
    dimy, dimx = dimxy(patch)
    assert maxscale >= 1
    h, w = patch.size(dimy), patch.size(dimx)
    maxH, maxW = round(h * maxscale), round(w * maxscale)
    if (maxH == h) and (maxW == w):
        return patch
    else:
        scaleH = lg.random(h, maxH + 1)
        scaleW = lg.random(w, maxW + 1)
        if patch.dim() == 3:
            scaleup_out.typeAs(patch).resize(patch.size(0), scaleH, scaleW)
        else:
            scaleup_out.typeAs(patch).resize(patch.size(0), patch.size(1), scaleH, scaleW)
        return image.scale(flatten3d(scaleup_out), flatten3d(patch), mode)


def rotate(patch, thetamax, mode=None):
    rotate_out = _buf('rotate_out')
    mode = mode or 'bilinear'
    assert thetamax >= 0
    if thetamax == 0:
        return patch
    else:
        theta = lg.uniform(-thetamax, thetamax)
        rotate_out.typeAs(patch).resizeAs(patch)
        return image.rotate(flatten3d(rotate_out), flatten3d(patch), theta, mode)

