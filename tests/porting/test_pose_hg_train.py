"""anewell/pose-hg-train ported line by line: src/models/layers/Residual.lua (convBlock, skipLayer, Residual),
src/models/hg.lua (hourglass, lin, createModel: the stacked hourglass in nngraph with SpatialUpSamplingNearest
and one heatmap output per stack for intermediate supervision), src/util/pose.lua's criterion (lines 2-8: a
ParallelCriterion of MSECriterions, one per stack), loadData's label table (68-75) and accuracy (109-115),
src/ref.lua's optimState (44-54) and src/train.lua's training step (lines 9-74 for tag 'train': forward,
criterion, zeroGradParameters, backward, optim.rmsprop on getParameters() with evalFn returning
criterion.output), and the self-contained helpers of src/util/img.lua (applyFn 1-12, getTransform 18-52,
transform 54-65, transformPreds 67-75, crop 85-139, localMaxes 153-198, drawGaussian 204-224, shuffleLR 304-321, flip
323-330) and src/util/eval.lua (getPreds 30-39, calcDists 15-28, distAccuracy 41-49, heatmapAccuracy 51-77), pose.lua's
postprocess (78-107) and train.lua's validation branch and snapshot (55-70, 89-100).

Sizes are small: nFeats 8, nModules 1, one or two stacks, 4 joints, 64 x 64 inputs (hg.lua's hourglass(4)
halves its input four times after the stem's two halvings, so 64 is the smallest input it takes: 32 x 32
fails at the innermost max pooling, which test_input_too_small_for_four_levels checks). Pixel coordinates
stay 1-based values as in the Lua (transform adds 1, drawGaussian and getPreds use them); only the tensor
index calls (sub, narrow, []) shift to 0-based. Dataset stand-ins (nJoints, flipRef, accIdxs) are those of
src/util/dataset/mpii.lua cut to 4 joints."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, image, nn, optim

nnlib = nn   # opts.lua line 83 (line 88 makes it cudnn when a GPU is used)
opt = {'nFeats': 8, 'nStack': 2, 'nModules': 1, 'outputRes': 16, 'inputRes': 64, 'hmGauss': 1, 'crit': 'MSE',
       'LR': 1e-3, 'LRdecay': 0.0, 'momentum': 0.0, 'weightDecay': 0.0, 'alpha': 0.99, 'epsilon': 1e-8,
       'optMethod': 'rmsprop', 'GPU': -1}


class Dataset:
    """mpii.lua's fields that the step and the helpers read, for 4 joints (flipRef pairs 1-2 and 3-4);
    getPartInfo(idx) gives joints, centre and scale of sample idx (here made up from idx)."""
    nJoints = 4
    accIdxs = [1, 2, 3, 4]
    flipRef = [[1, 2], [3, 4]]

    def getPartInfo(self, idx):
        pts = lg.Tensor([[40 + idx, 50], [60, 70 + idx], [80, 90], [100, 110]])
        c = lg.Tensor([90.0 + idx, 80.0])
        s = 0.5 + 0.1 * idx
        return pts, c, s


dataset = Dataset()
ref = {'nOutChannels': dataset.nJoints}


# ---------------------------------------------------------------- src/models/layers/Residual.lua

def conv(*args):
    return nnlib.SpatialConvolution(*args)


def batchnorm(*args):
    return nn.SpatialBatchNormalization(*args)


def relu(*args):
    return nnlib.ReLU(*args)


# Main convolutional block
def convBlock(numIn, numOut):
    return nn.Sequential() \
        .add(batchnorm(numIn)) \
        .add(relu(True)) \
        .add(conv(numIn, numOut / 2, 1, 1)) \
        .add(batchnorm(numOut / 2)) \
        .add(relu(True)) \
        .add(conv(numOut / 2, numOut / 2, 3, 3, 1, 1, 1, 1)) \
        .add(batchnorm(numOut / 2)) \
        .add(relu(True)) \
        .add(conv(numOut / 2, numOut, 1, 1))


# Skip layer
def skipLayer(numIn, numOut):
    if numIn == numOut:
        return nn.Identity()
    else:
        return nn.Sequential() \
            .add(conv(numIn, numOut, 1, 1))


# Residual block
def Residual(numIn, numOut):
    return nn.Sequential() \
        .add(nn.ConcatTable()
             .add(convBlock(numIn, numOut))
             .add(skipLayer(numIn, numOut))) \
        .add(nn.CAddTable(True))


# ---------------------------------------------------------------- src/models/hg.lua

def hourglass(n, f, inp):
    # Upper branch
    up1 = inp
    for i in range(opt['nModules']):
        up1 = Residual(f, f)(up1)

    # Lower branch
    low1 = nnlib.SpatialMaxPooling(2, 2, 2, 2)(inp)
    for i in range(opt['nModules']):
        low1 = Residual(f, f)(low1)

    if n > 1:
        low2 = hourglass(n - 1, f, low1)
    else:
        low2 = low1
        for i in range(opt['nModules']):
            low2 = Residual(f, f)(low2)

    low3 = low2
    for i in range(opt['nModules']):
        low3 = Residual(f, f)(low3)
    up2 = nn.SpatialUpSamplingNearest(2)(low3)

    # Bring two branches together
    return nn.CAddTable()([up1, up2])


def lin(numIn, numOut, inp):
    # Apply 1x1 convolution, stride 1, no padding
    l = nnlib.SpatialConvolution(numIn, numOut, 1, 1, 1, 1, 0, 0)(inp)
    return nnlib.ReLU(True)(nn.SpatialBatchNormalization(numOut)(l))


def createModel():
    inp = nn.Identity()()

    # Initial processing of the image
    cnv1_ = nnlib.SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3)(inp)           # 128
    cnv1 = nnlib.ReLU(True)(nn.SpatialBatchNormalization(64)(cnv1_))
    r1 = Residual(64, 128)(cnv1)
    pool = nnlib.SpatialMaxPooling(2, 2, 2, 2)(r1)                          # 64
    r4 = Residual(128, 128)(pool)
    r5 = Residual(128, opt['nFeats'])(r4)

    out = []
    inter = r5

    for i in range(opt['nStack']):
        hg = hourglass(4, opt['nFeats'], inter)

        # Residual layers at output resolution
        ll = hg
        for j in range(opt['nModules']):
            ll = Residual(opt['nFeats'], opt['nFeats'])(ll)
        # Linear layer to produce first set of predictions
        ll = lin(opt['nFeats'], opt['nFeats'], ll)

        # Predicted heatmaps
        tmpOut = nnlib.SpatialConvolution(opt['nFeats'], ref['nOutChannels'], 1, 1, 1, 1, 0, 0)(ll)
        out.append(tmpOut)

        # Add predictions back
        if i < opt['nStack'] - 1:
            ll_ = nnlib.SpatialConvolution(opt['nFeats'], opt['nFeats'], 1, 1, 1, 1, 0, 0)(ll)
            tmpOut_ = nnlib.SpatialConvolution(ref['nOutChannels'], opt['nFeats'], 1, 1, 1, 1, 0, 0)(tmpOut)
            inter = nn.CAddTable()([inter, ll_, tmpOut_])

    # Final model
    model = nn.gModule([inp], out)

    return model


# ---------------------------------------------------------------- src/util/img.lua

def applyFn(fn, t, t2=None):
    # Apply an operation whether passed a table or tensor
    t_ = []
    if isinstance(t, list):
        if t2 is not None:
            t_ = [applyFn(fn, t[i], t2[i]) for i in range(len(t))]
        else:
            t_ = [applyFn(fn, t[i]) for i in range(len(t))]
    else:
        t_ = fn(t, t2)
    return t_


def getTransform(center, scale, rot, res):
    h = 200 * scale
    t = lg.eye(3)

    # Scaling
    t[0][0] = res / h
    t[1][1] = res / h

    # Translation
    t[0][2] = res * (-center[0] / h + .5)
    t[1][2] = res * (-center[1] / h + .5)

    # Rotation
    if rot != 0:
        rot = -rot
        r = lg.eye(3)
        ang = rot * math.pi / 180
        s = math.sin(ang)
        c = math.cos(ang)
        r[0][0] = c
        r[0][1] = -s
        r[1][0] = s
        r[1][1] = c
        # Need to make sure rotation is around center
        t_ = lg.eye(3)
        t_[0][2] = -res / 2
        t_[1][2] = -res / 2
        t_inv = lg.eye(3)
        t_inv[0][2] = res / 2
        t_inv[1][2] = res / 2
        t = t_inv @ r @ t_ @ t

    return t


def transform(pt, center, scale, rot, res, invert=None):
    pt_ = lg.ones(3)
    pt_[0], pt_[1] = pt[0] - 1, pt[1] - 1

    t = getTransform(center, scale, rot, res)
    if invert:
        t = lg.inverse(t)
    new_point = (t @ pt_).sub(0, 1)

    return new_point.int().add(1)


def transformPreds(coords, center, scale, res):
    origDims = coords.size()
    coords = coords.view(-1, 2)
    newCoords = coords.clone()
    for i in range(coords.size(0)):
        newCoords[i] = transform(coords[i], center, scale, 0, res, 1)
    return newCoords.view(origDims)


def crop(img, center, scale, rot, res):
    ndim = img.nDimension()
    if ndim == 2:
        img = img.view(1, img.size(0), img.size(1))
    ht, wd = img.size(1), img.size(2)
    tmpImg, newImg = img, lg.zeros(img.size(0), res, res)

    # Modify crop approach depending on whether we zoom in/out
    # This is for efficiency in extreme scaling cases
    scaleFactor = (200 * scale) / res
    if scaleFactor < 2:
        scaleFactor = 1
    else:
        newSize = math.floor(max(ht, wd) / scaleFactor)
        if newSize < 2:
            # Zoomed out so much that the image is now a single pixel or less
            if ndim == 2:
                newImg = newImg.view(newImg.size(1), newImg.size(2))
            return newImg
        else:
            tmpImg = image.scale(img, newSize)
            ht, wd = tmpImg.size(1), tmpImg.size(2)

    # Calculate upper left and bottom right coordinates defining crop region
    c, s = center.float() / scaleFactor, scale / scaleFactor
    ul = transform([1, 1], c, s, 0, res, True)
    br = transform([res + 1, res + 1], c, s, 0, res, True)
    if scaleFactor >= 2:
        br.add(-(br - ul - res))

    # If the image is to be rotated, pad the cropped area
    pad = math.ceil(lg.norm((ul - br).float()) / 2 - (br[0] - ul[0]) / 2)
    if rot != 0:
        ul.add(-pad)
        br.add(pad)

    # Define the range of pixels to take from the old image (sub's 1-based bounds, as in the Lua)
    old_ = [1, -1, max(1, ul[1]), min(br[1], ht + 1) - 1,
            max(1, ul[0]), min(br[0], wd + 1) - 1]
    # And where to put them in the new image
    new_ = [1, -1, max(1, -ul[1] + 2), min(br[1], ht + 1) - ul[1],
            max(1, -ul[0] + 2), min(br[0], wd + 1) - ul[0]]

    def zero_based(bounds):
        return [b - 1 if b > 0 else b for b in bounds]

    # Initialize new image and copy pixels over
    newImg = lg.zeros(img.size(0), br[1] - ul[1], br[0] - ul[0])
    try:
        newImg.sub(*zero_based(new_)).copy(tmpImg.sub(*zero_based(old_)))
    except (ValueError, IndexError):
        print("Error occurred during crop!")

    if rot != 0:
        # Rotate the image and remove padded area
        newImg = image.rotate(newImg, rot * math.pi / 180, 'bilinear')
        newImg = newImg.sub(0, -1, pad, newImg.size(1) - pad - 1, pad, newImg.size(2) - pad - 1).clone()

    if scaleFactor < 2:
        newImg = image.scale(newImg, res, res)
    if ndim == 2:
        newImg = newImg.view(newImg.size(1), newImg.size(2))
    return newImg


def localMaxes(hm, n, c=None, s=None, hmIdx=None, nmsWindowSize=None):
    """img.lua 153-198 without its cudnn branch (the Lua takes it when the global cudnn is loaded)."""
    # Set up max network for NMS
    nmsWindowSize = nmsWindowSize or 3
    nmsPad = (nmsWindowSize - 1) / 2
    maxlayer = nn.Sequential()
    maxlayer.add(nn.SpatialMaxPooling(nmsWindowSize, nmsWindowSize, 1, 1, nmsPad, nmsPad))
    maxlayer.float()
    maxlayer.evaluate()

    hmSize = lg.totable(hm.size())
    hm = lg.Tensor(1, *hmSize).copy(hm).float()
    if hmIdx:
        hm = hm.sub(0, -1, hmIdx - 1, hmIdx - 1)
    hmDim = hm.size()
    # First do nms
    max_out = maxlayer.forward(hm)

    nms = lg.cmul(hm, lg.eq(hm, max_out.float()).float())[0]
    # Loop through each heatmap retrieving top n locations, and their scores
    predCoords = lg.Tensor(hmDim[1], n, 2)
    predScores = lg.Tensor(hmDim[1], n)
    for i in range(hmDim[1]):
        nms_flat = nms[i].view(nms[i].nElement())
        vals, idxs = lg.sort(nms_flat, 0, True)
        for j in range(n):
            # sort's indices are 0-based: Lua's (idxs[j] - 1) is idxs[j]
            pt = [idxs[j] % hmSize[2] + 1, math.floor(idxs[j] / hmSize[2]) + 1]
            if c is not None:
                predCoords[i][j] = transform(pt, c, s, 0, hmSize[-1], True)
            else:
                predCoords[i][j] = lg.Tensor(pt)
            predScores[i][j] = vals[j]
    return predCoords, predScores


def drawGaussian(img, pt, sigma):
    # Draw a 2D gaussian
    # Check that any part of the gaussian is in-bounds
    tmpSize = math.ceil(3 * sigma)
    ul = [math.floor(pt[0] - tmpSize), math.floor(pt[1] - tmpSize)]
    br = [math.floor(pt[0] + tmpSize), math.floor(pt[1] + tmpSize)]
    # If not, return the image as is
    if ul[0] > img.size(1) or ul[1] > img.size(0) or br[0] < 1 or br[1] < 1:
        return img
    # Generate gaussian
    size = 2 * tmpSize + 1
    g = image.gaussian(size)
    # Usable gaussian range
    g_x = [max(1, -ul[0]), min(br[0], img.size(1)) - max(1, ul[0]) + max(1, -ul[0])]
    g_y = [max(1, -ul[1]), min(br[1], img.size(0)) - max(1, ul[1]) + max(1, -ul[1])]
    # Image range
    img_x = [max(1, ul[0]), min(br[0], img.size(1))]
    img_y = [max(1, ul[1]), min(br[1], img.size(0))]
    assert g_x[0] > 0 and g_y[0] > 0
    img.sub(img_y[0] - 1, img_y[1] - 1, img_x[0] - 1, img_x[1] - 1).cmax(
        g.sub(g_y[0] - 1, g_y[1] - 1, g_x[0] - 1, g_x[1] - 1))
    return img


def shuffleLR(x):
    matchedParts = dataset.flipRef
    if x.nDimension() == 4 or x.nDimension() == 2:
        dim = 1
    else:
        assert x.nDimension() == 3 or x.nDimension() == 1
        dim = 0

    for i in range(len(matchedParts)):
        idx1, idx2 = matchedParts[i]
        tmp = x.narrow(dim, idx1 - 1, 1).clone()
        x.narrow(dim, idx1 - 1, 1).copy(x.narrow(dim, idx2 - 1, 1))
        x.narrow(dim, idx2 - 1, 1).copy(tmp)
    return x


def flip(x):
    y = lg.FloatTensor(x.size())
    for i in range(x.size(0)):
        image.hflip(y[i], x[i].float())
    return y.typeAs(x)


# ---------------------------------------------------------------- src/util/eval.lua

def calcDists(preds, label, normalize):
    dists = lg.Tensor(preds.size(1), preds.size(0))
    for i in range(preds.size(0)):
        for j in range(preds.size(1)):
            if label[i][j][0] > 1 and label[i][j][1] > 1:
                dists[j][i] = lg.dist(label[i][j], preds[i][j]) / normalize[i]
            else:
                dists[j][i] = -1
    return dists


def getPreds(hm):
    assert len(hm.size()) == 4, 'Input must be 4-D tensor'
    max, idx = lg.max(hm.view(hm.size(0), hm.size(1), hm.size(2) * hm.size(3)), 2)
    # max's indices are 0-based: Lua's (x - 1) becomes x, and the 1-based pixel coordinates come out the same
    preds = lg.repeatTensor(idx, 1, 1, 2).float()
    preds[:, :, 0].apply(lambda x: x % hm.size(3) + 1)
    preds[:, :, 1].div(hm.size(2)).floor().add(1)
    predMask = max.gt(0).repeatTensor(1, 1, 2).float()
    preds.add(-1).cmul(predMask).add(1)
    return preds


def distAccuracy(dists, thr=None):
    # Return percentage below threshold while ignoring values with a -1
    if thr is None:
        thr = .5
    if lg.ne(dists, -1).sum() > 0:
        return dists.le(thr).eq(dists.ne(-1)).sum() / dists.ne(-1).sum()
    else:
        return -1


def heatmapAccuracy(output, label, thr, idxs):
    # Calculate accuracy according to PCK, but uses ground truth heatmap rather than x,y locations
    # First value to be returned is average accuracy across 'idxs', followed by individual accuracies
    preds = getPreds(output)
    gt = getPreds(label)
    dists = calcDists(preds, gt, lg.ones(preds.size(0)) * opt['outputRes'] / 10)
    acc = [None]
    avgAcc = 0.0
    badIdxCount = 0

    if not idxs:
        for i in range(dists.size(0)):
            acc.append(distAccuracy(dists[i]))
            if acc[i + 1] >= 0:
                avgAcc = avgAcc + acc[i + 1]
            else:
                badIdxCount = badIdxCount + 1
        acc[0] = avgAcc / (dists.size(0) - badIdxCount)
    else:
        for i in range(len(idxs)):
            acc.append(distAccuracy(dists[idxs[i] - 1]))
            if acc[i + 1] >= 0:
                avgAcc = avgAcc + acc[i + 1]
            else:
                badIdxCount = badIdxCount + 1
        acc[0] = avgAcc / (len(idxs) - badIdxCount)
    return acc


# ---------------------------------------------------------------- src/util/pose.lua

def make_criterion():
    criterion = nn.ParallelCriterion()
    for i in range(opt['nStack']):
        criterion.add(getattr(nn, opt['crit'] + 'Criterion')())
    return criterion


def postprocess(set, idx, output):
    if isinstance(output, list):
        tmpOutput = output[-1]
    else:
        tmpOutput = output
    p = getPreds(tmpOutput)
    scores = lg.zeros(p.size(0), p.size(1), 1)

    # Very simple post-processing step to improve performance at tight PCK thresholds
    for i in range(p.size(0)):
        for j in range(p.size(1)):
            hm = tmpOutput[i][j]
            pX, pY = int(p[i][j][0]), int(p[i][j][1])           # 1-based pixel coordinates, as in the Lua
            scores[i][j] = hm[pY - 1][pX - 1]
            if pX > 1 and pX < opt['outputRes'] and pY > 1 and pY < opt['outputRes']:
                diff = lg.Tensor([hm[pY - 1][pX] - hm[pY - 1][pX - 2], hm[pY][pX - 1] - hm[pY - 2][pX - 1]])
                p[i][j].add(diff.sign().mul(.25))
    p.add(0.5)

    # Transform predictions back to original coordinate space
    p_tf = lg.zeros(p.size())
    for i in range(p.size(0)):
        _, c, s = dataset.getPartInfo(idx[i])
        p_tf[i].copy(transformPreds(p[i], c, s, opt['outputRes']))

    return p_tf.cat(p, 2).cat(scores, 2)


def accuracy(output, label):
    if isinstance(output, list):
        return heatmapAccuracy(output[-1], label[-1], None, dataset.accIdxs)[0]
    else:
        return heatmapAccuracy(output, label, None, dataset.accIdxs)[0]


def toy_batch(batch=2):
    """loadData for ``batch`` synthetic samples: random images, joints at fixed 1-based heatmap positions
    drawn with drawGaussian (pose.lua's generateSample with the crop done), the label table for nStack > 1."""
    rng = np.random.RandomState(7)
    input = lg.from_numpy(rng.rand(batch, 3, opt['inputRes'], opt['inputRes']).astype(np.float32))
    label = lg.zeros(batch, dataset.nJoints, opt['outputRes'], opt['outputRes'])
    for b in range(batch):
        for i in range(dataset.nJoints):
            drawGaussian(label[b][i], [3 + 3 * i + b, 12 - 2 * i], opt['hmGauss'])
    if opt['nStack'] > 1:
        # Set up label for intermediate supervision
        newLabel = [label for i in range(opt['nStack'])]
        return input, newLabel
    else:
        return input, label


# ---------------------------------------------------------------- counts computed from the Lua structure

def residual_params(i, o):
    """Residual(i, o): BN(i), conv i->o/2 (1x1), BN(o/2), conv o/2->o/2 (3x3), BN(o/2), conv o/2->o (1x1),
    and the 1x1 skip convolution when i ~= o."""
    h = o // 2
    n = 2 * i + (i * h + h) + 2 * h + (9 * h * h + h) + 2 * h + (h * o + o)
    return n + (i * o + o if i != o else 0)


def model_params(f, stacks, modules, joints):
    stem = (3 * 64 * 49 + 64) + 2 * 64 + residual_params(64, 128) + residual_params(128, 128) \
        + residual_params(128, f)
    # hourglass(n) = 3 nModules Residuals + (hourglass(n - 1) or nModules Residuals): 13 nModules for n = 4
    per_stack = 13 * modules * residual_params(f, f) + modules * residual_params(f, f) \
        + (f * f + f) + 2 * f + (f * joints + joints)
    between = (f * f + f) + (joints * f + f)
    return stem + stacks * per_stack + (stacks - 1) * between


@pytest.fixture
def one_stack(monkeypatch):
    monkeypatch.setitem(opt, 'nStack', 1)


def test_residual_block_shapes_counts_and_jacobian():
    """Residual(3, 2) sums a bottleneck conv block and a 1x1 skip convolution (Residual(6, 6): an Identity);
    parameter counts as counted by hand; the Jacobian (input and parameters) in double, evaluate mode."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    r = Residual(3, 2)
    assert r.get(0).get(0).get(2).nOutputPlane == 1              # numOut/2 = 1.0 taken as the integer
    assert r.getParameters()[0].nElement() == residual_params(3, 2)
    assert lg.typename(Residual(6, 6).get(0).get(1)) == 'nn.Identity'
    assert Residual(6, 6).getParameters()[0].nElement() == residual_params(6, 6)
    x = lg.Tensor(2, 3, 3, 3).normal(0, 1)
    assert tuple(r.forward(x).size()) == (2, 2, 3, 3)
    r.evaluate()
    for bn in r.findModules('nn.SpatialBatchNormalization')[0]:
        bn.running_var.uniform(0.5, 2)
    from tests.checks import assert_jacobian
    assert_jacobian(r, x)


def test_hourglass_model_structure_and_outputs():
    """createModel with nStack 2, nFeats 8, nModules 1 and 4 joints: a gModule of one input and two outputs
    (one heatmap per stack, 16 x 16 for a 64 x 64 input), the parameter count of the Lua structure, four
    SpatialUpSamplingNearest(2) per hourglass."""
    lg.manualSeed(0)
    model = createModel()
    assert model.getParameters()[0].nElement() == model_params(8, 2, 1, 4)
    assert len(model.findModules('nn.SpatialUpSamplingNearest')[0]) == 4 * 2
    x = lg.Tensor(2, 3, 64, 64).uniform(0, 1)
    out = model.forward(x)
    assert isinstance(out, list) and len(out) == 2
    assert all(tuple(o.size()) == (2, 4, 16, 16) for o in out)
    assert out[0] is not out[1] and float((out[0] - out[1]).abs().max()) > 0


def test_input_too_small_for_four_levels(one_stack):
    """A 32 x 32 input reaches hourglass(1)'s max pooling at 1 x 1; legonn refuses it with an error naming
    the pooling layer, as THNN refuses an output size of 0."""
    model = createModel()
    with pytest.raises(ValueError, match='SpatialMaxPooling'):
        model.forward(lg.Tensor(2, 3, 32, 32).uniform(0, 1))


def test_draw_gaussian_transform_and_preds():
    """drawGaussian puts image.gaussian(7) (sigma 0.25 of its width, peak 1) around a 1-based point and clips
    it at the border (shifted at the left and top borders, as the Lua computes); transform maps a 1-based point of the
    original image into the heatmap (center, scale 200 px, no rotation); getPreds finds each heatmap's peak back as
    1-based (x, y); heatmapAccuracy is 1 on its own labels and 0 for peaks moved more than outputRes / 10 * 0.5 away."""
    hm = lg.zeros(16, 16)
    drawGaussian(hm, [5, 9], 1)
    yy, xx = np.mgrid[1:17, 1:17]
    ref_g = np.exp(-(((xx - 5) / 1.75) ** 2 + ((yy - 9) / 1.75) ** 2) / 2)
    ref_g[np.abs(xx - 5) > 3] = 0
    ref_g[np.abs(yy - 9) > 3] = 0
    np.testing.assert_allclose(hm.numpy(), ref_g, rtol=1e-5, atol=1e-7)
    assert hm[8][4] == 1.0                                     # the point (5, 9) is row 9, column 5 in Lua
    corner = lg.zeros(16, 16)
    drawGaussian(corner, [16, 16], 1)
    assert corner[15][15] == 1.0 and float(corner.sum()) == pytest.approx(ref_g[5:12, 1:8][:4, :4].sum(), 1e-5)
    far = lg.zeros(16, 16)
    assert drawGaussian(far, [30, 30], 1) is far and float(far.sum()) == 0
    # the Lua's left/top clipping starts the gaussian at column max(1, -ul) where 2 - ul is its pixel 1:
    # a point at x = 3 (ul = 0) is drawn one pixel to the right, as pose-hg-train computes it
    edge = lg.zeros(16, 16)
    drawGaussian(edge, [3, 9], 1)
    assert edge[8][3] == 1.0 and edge[8][2] < 1.0

    center = lg.Tensor([100.0, 60.0])
    k = 64 / 200                                              # res / (200 * scale)
    scale_shift = np.array([[k, 0, 64 * (-100 / 200 + .5)], [0, k, 64 * (-60 / 200 + .5)], [0, 0, 1]])
    c90 = np.array([[1, 0, 32], [0, 1, 32], [0, 0, 1]]) @ np.array([[0, 1, 0], [-1, 0, 0], [0, 0, 1]]) \
        @ np.array([[1, 0, -32], [0, 1, -32], [0, 0, 1]])       # rot = -90 degrees about the crop's middle

    def expected(m, p):
        return [int(v) + 1 for v in (m @ [p[0] - 1, p[1] - 1, 1])[:2]]   # C's truncation of int()
    for p in ([100, 60], [150, 60], [37, 91]):
        pt = transform(p, center, 1.0, 0, 64)
        assert pt.type() == 'torch.IntTensor' and pt.totable() == expected(scale_shift, p)
        back = transform(pt.totable(), center, 1.0, 0, 64, True).totable()
        assert back == expected(np.linalg.inv(scale_shift), pt.totable())
        assert transform(p, center, 1.0, 90, 64).totable() == expected(c90 @ scale_shift, p)
    assert transform([150, 60], center, 1.0, 0, 64).totable() == [48, 32]

    label = lg.zeros(2, 4, 16, 16)
    pts = [[[4, 4], [10, 5], [16, 16], [7, 12]], [[5, 9], [8, 8], [12, 5], [4, 14]]]
    for b in range(2):
        for j in range(4):
            drawGaussian(label[b][j], pts[b][j], 1)
    preds = getPreds(label)
    assert preds.totable() == pts
    assert heatmapAccuracy(label, label, None, dataset.accIdxs)[0] == 1.0
    moved = lg.zeros(2, 4, 16, 16)
    for b in range(2):
        for j in range(4):
            drawGaussian(moved[b][j], [pts[b][j][0] + 3 if pts[b][j][0] < 13 else pts[b][j][0] - 3,
                                       pts[b][j][1]], 1)
    acc = heatmapAccuracy(moved, label, None, dataset.accIdxs)
    # joints whose ground truth sits on the first row or column (<= 1) are left out (-1) as in calcDists
    assert acc[0] == 0.0 and acc[1:] == [0.0, 0.0, 0.0, 0.0]


def test_local_maxes_non_maximum_suppression():
    """localMaxes keeps the pixels equal to their 3x3 neighbourhood's max (SpatialMaxPooling(3, 3, 1, 1, 1.0,
    1.0): the Lua's (3 - 1) / 2), sorts them in descending order and returns the top n as 1-based (x, y)
    with their scores; hmIdx keeps one heatmap; with a centre and scale the points go back to the image."""
    hm = lg.zeros(2, 16, 16)
    drawGaussian(hm[0], [5, 6], 1)
    drawGaussian(hm[0], [12, 11], 1)
    hm[0].mul(0.5)
    hm[0][10][11] = 0.9                                        # (12, 11) scores 0.9, (5, 6) 0.5
    drawGaussian(hm[1], [8, 4], 1)
    coords, scores = localMaxes(hm, 2)
    assert coords[0].totable() == [[12, 11], [5, 6]]
    np.testing.assert_allclose(scores[0].numpy(), [0.9, 0.5], rtol=1e-6)
    assert coords[1][0].totable() == [8, 4] and float(scores[1][0]) == 1.0 and float(scores[1][1]) < 1.0
    one, one_scores = localMaxes(hm, 1, None, None, 2)
    assert tuple(one.size()) == (1, 1, 2) and one[0][0].totable() == [8, 4]
    center = lg.Tensor([100.0, 60.0])
    back, _ = localMaxes(hm, 1, center, 1.0)
    assert back[1][0].totable() == transform([8, 4], center, 1.0, 0, 16, True).float().totable()


def test_crop_flip_and_shuffle():
    """crop at the image's centre with 200 * scale equal to its height is image.scale of the whole image;
    a zoomed-out crop (scaleFactor >= 2) pads with zeros; a rotated crop keeps res x res. flip mirrors each
    image; shuffleLR swaps the joint planes of flipRef's pairs (dimension 2 of a batch)."""
    rng = np.random.RandomState(3)
    img = lg.from_numpy(rng.rand(3, 40, 40).astype(np.float32))
    center = lg.Tensor([20.0, 20.0])
    out = crop(img, center, 40 / 200, 0, 20)
    np.testing.assert_allclose(out.numpy(), image.scale(img, 20, 20).numpy(), rtol=1e-6)
    small = crop(img, center, 2.0, 0, 20)                      # 400 px around a 40 px image
    assert tuple(small.size()) == (3, 20, 20)
    assert float(small[:, 0:4, :].abs().sum()) == 0 and float(small[:, 8:12, 8:12].abs().sum()) > 0
    rotated = crop(img, center, 40 / 200, 30, 20)
    assert tuple(rotated.size()) == (3, 20, 20)

    x = lg.from_numpy(rng.rand(2, 4, 5, 6).astype(np.float32))
    np.testing.assert_array_equal(flip(x).numpy(), x.numpy()[:, :, :, ::-1])
    swapped = shuffleLR(x.clone())
    np.testing.assert_array_equal(swapped.numpy(), x.numpy()[:, [1, 0, 3, 2]])


def run_training(iters, model=None, input=None, label=None):
    """train.lua's step('train') over ``iters`` batches (the same toy batch each time); returns the losses."""
    lg.manualSeed(0)
    model = model or createModel()
    criterion = make_criterion()
    if opt['GPU'] != -1:
        # model.lua 27-31
        model.cuda()
        criterion.cuda()
    if input is None:
        input, label = toy_batch()
    if opt['GPU'] != -1:
        # train.lua 38-42: Lua's function (x) drops applyFn's second argument; Python's lambda names it
        input = applyFn(lambda x, _=None: x.cuda(), input)
        label = applyFn(lambda x, _=None: x.cuda(), label)
    # ref.lua 44-54
    optfn = getattr(optim, opt['optMethod'])
    optimState = {
        'learningRate': opt['LR'],
        'learningRateDecay': opt['LRdecay'],
        'momentum': opt['momentum'],
        'weightDecay': opt['weightDecay'],
        'alpha': opt['alpha'],
        'epsilon': opt['epsilon'],
    }

    avgLoss, avgAcc = 0.0, 0.0
    param, gradparam = model.getParameters()

    def evalFn(x):
        return criterion.output, gradparam

    model.training()
    nIters = iters
    losses = []
    for i in range(nIters):
        # Do a forward pass and calculate loss
        output = model.forward(input)
        err = criterion.forward(output, label)
        avgLoss = avgLoss + err / nIters
        losses.append(err)

        # Training: Do backpropagation and optimization
        model.zeroGradParameters()
        model.backward(input, criterion.backward(output, label))
        optfn(evalFn, param, optimState)

        # Calculate accuracy
        avgAcc = avgAcc + accuracy(output, label) / nIters
    return losses, avgLoss, avgAcc, optimState, model


def test_parallel_criterion_sums_stack_losses():
    """pose.lua's criterion: the sum of one MSECriterion per stack output against the same label table;
    its gradient is each output's own MSE gradient."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    criterion = make_criterion()
    outs = [lg.Tensor(2, 4, 16, 16).normal(0, 1) for _ in range(2)]
    _, label = toy_batch()
    L = label[0].numpy()
    err = criterion.forward(outs, label)
    assert err == pytest.approx(sum(((o.numpy() - L) ** 2).mean() for o in outs), rel=1e-12)
    grads = criterion.backward(outs, label)
    for o, g in zip(outs, grads):
        np.testing.assert_allclose(g.numpy(), 2 * (o.numpy() - L) / L.size, rtol=1e-12)


def test_training_step_rmsprop_lowers_loss():
    """Five train.lua steps with rmsprop (ref.lua's optimState, LR 1e-3) on one toy batch: the summed
    intermediate-supervision loss falls below 70% of its first value, rmsprop's running mean lives in the
    optimState, and the accuracy is a number in [0, 1]."""
    losses, avgLoss, avgAcc, optimState, _ = run_training(5)
    assert np.isfinite(losses).all() and losses[-1] < 0.7 * losses[0]
    assert avgLoss == pytest.approx(sum(losses) / 5)
    assert optimState['m'].nElement() == model_params(8, 2, 1, 4)
    assert 0.0 <= avgAcc <= 1.0


def test_one_stack_criterion_refuses_a_tensor(one_stack):
    """With -nStack 1 the gModule's one output is a tensor and loadData's label is a tensor, but pose.lua
    still builds a ParallelCriterion of one MSECriterion. Torch7's ParallelCriterion indexes the tensors as
    tables (criterion 1 sees input[1] and target[1], the batch's first sample only); legonn refuses a tensor
    with an error naming the criterion (docs/porting.md)."""
    model = createModel()
    criterion = make_criterion()
    input, label = toy_batch()
    output = model.forward(input)
    assert lg.isTensor(output) and lg.isTensor(label)
    with pytest.raises(TypeError, match='ParallelCriterion: expected a list of at least 1 inputs'):
        criterion.forward(output, label)
    # the port's mend: the one output and its label as tables of one
    assert criterion.forward([output], [label]) == pytest.approx(nn.MSECriterion().forward(output, label))


def test_validation_step_postprocess_and_snapshot(tmp_path):
    """train.lua's step('valid') for one batch after two training steps: evaluate mode, the output averaged
    with the flipped input's (flip, shuffleLR), postprocess's predictions (getPreds, the quarter-pixel nudge,
    transformPreds back to the image) written into ``saved``; then the snapshot (lines 89-100): clearState,
    torch.save of options, optimState and model, hdf5 of ``saved``; all read back equal, and the loaded model
    gives the same validation output."""
    opt_save = str(tmp_path)
    _, _, _, optimState, model = run_training(1)
    criterion = make_criterion()
    input, label = toy_batch()
    indices = lg.Tensor([0, 1])
    validBatch, validIters = 2, 1
    saved = {'idxs': lg.Tensor(validIters * validBatch),
             'preds': lg.Tensor(validIters * validBatch, dataset.nJoints, 5)}

    model.evaluate()
    i = 0
    output = model.forward(input)
    err = criterion.forward(output, label)
    # Validation: Get flipped output
    output = applyFn(lambda x, _=None: x.clone(), output)
    flippedOut = model.forward(flip(input))
    flippedOut = applyFn(lambda x, _=None: flip(shuffleLR(x)), flippedOut)
    output = applyFn(lambda x, y: x.add(y).div(2), output, flippedOut)

    # Save sample
    bs = validBatch
    tmpIdx = i * bs
    saved['idxs'].sub(tmpIdx, tmpIdx + bs - 1).copy(indices)
    saved['preds'].sub(tmpIdx, tmpIdx + bs - 1).copy(postprocess('valid', indices, output))

    plain = model.forward(input)[-1].clone().numpy()        # output buffers are reused: clone to keep
    mirrored = model.forward(flip(input))[-1].clone().numpy()[:, [1, 0, 3, 2], :, ::-1]
    np.testing.assert_allclose(output[-1].numpy(), (plain + mirrored) / 2, rtol=1e-5, atol=1e-6)
    preds = saved['preds'].numpy()
    heat = getPreds(output[-1]).numpy()
    assert np.all(np.abs(preds[:, :, 2:4] - heat - 0.5) <= 0.25 + 1e-6)   # nudged a quarter pixel at most
    for n in range(2):
        _, c, s = dataset.getPartInfo(n)
        k = opt['outputRes'] / (200 * s)
        shift = np.array([opt['outputRes'] * (-float(c[0]) / (200 * s) + .5),
                          opt['outputRes'] * (-float(c[1]) / (200 * s) + .5)])
        back = np.trunc((preds[n, :, 2:4] - 1 - shift) / k) + 1          # transform(..., invert) per point
        np.testing.assert_allclose(preds[n, :, 0:2], back, atol=1e-3)
        for j in range(4):
            x, y = int(heat[n, j, 0]), int(heat[n, j, 1])
            assert preds[n, j, 4] == pytest.approx(float(output[-1][n][j][y - 1][x - 1]))

    # Take a snapshot
    from legonn import hdf5, paths
    epoch = 1
    model.clearState()
    lg.save(paths.concat(opt_save, 'options.t7'), opt)
    lg.save(paths.concat(opt_save, 'optimState.t7'), optimState)
    lg.save(paths.concat(opt_save, 'model_' + str(epoch) + '.t7'), model)
    predFilename = 'preds.h5'
    predFile = hdf5.open(paths.concat(opt_save, predFilename), 'w')
    for k, v in saved.items():
        predFile.write(k, v)
    predFile.close()

    assert lg.load(paths.concat(opt_save, 'options.t7')) == opt
    state = lg.load(paths.concat(opt_save, 'optimState.t7'))
    np.testing.assert_array_equal(state['m'].numpy(), optimState['m'].numpy())
    f = hdf5.open(paths.concat(opt_save, predFilename), 'r')
    np.testing.assert_array_equal(f.read('preds').all().numpy(), preds)
    np.testing.assert_array_equal(f.read('idxs').all().numpy(), [0, 1])
    f.close()
    loaded = lg.load(paths.concat(opt_save, 'model_1.t7'))
    np.testing.assert_allclose(loaded.forward(input)[-1].numpy(), plain, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_training_step_on_the_gpu(monkeypatch):
    """opts.lua with a GPU: nnlib = cudnn (its SpatialConvolution, ReLU and SpatialMaxPooling), model:cuda(),
    criterion:cuda(), the input and label table moved with applyFn; the loss falls as on the CPU."""
    monkeypatch.setitem(opt, 'GPU', 0)
    monkeypatch.setitem(globals(), 'nnlib', cudnn)
    lg.manualSeed(0)
    model = createModel()
    assert len(model.findModules('cudnn.SpatialConvolution')[0]) > 0
    losses, _, _, _, model = run_training(3, model)
    assert model.output[0].type() == 'torch.CudaTensor'
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
