"""anuragranj/spynet (Optical Flow Estimation using a Spatial Pyramid Network) ported line by line:
flowExtensions.lua (computeNorm, computeAngle, field2rgb, xy2rgb, loadFLO, writeFLO, rotate, scale),
EPECriterion.lua, models/volcon.lua (the per-level convnet), transforms.lua's ColorNormalize (of six channels;
its other transforms are fb.resnet.torch's, ported in tests/porting/test_fbresnet_transforms.py),
spynet.lua (createWarpModel, the down/up/warp modules, loadFlow, computeInitFlowL1..L6, setup, DeAdjustFlow,
normalize, easyComputeFlow, easy_setup), donkey.lua (getTrainValidationSplits, scaleFlow, rotateFlow, makeData for
levels 1 to 5, whose four copied branches for 2..5 are one here, the un-augmented trainHook and testHook),
train.lua (paramsForEpoch, trainBatch's feval and optim step) and util.lua's single-GPU saveDataParallel and
loadDataParallel.

Edits beyond Lua -> Python and 0-based indices, each a row of docs/porting.md or said here:

- spynet's own stnbhwd (extras/stnbhwd/BilinearSamplerBHWD.cu) is a fork: its "grids" are the flow in pixels,
  x first, added to the output pixel's position and clamped to the image, where legonn's nn.BilinearSamplerBHWD
  is qassemoquab's (normalised (y, x) points, zeros outside). ``createWarpModel`` puts ``FlowGridBHWD`` (below)
  between the flow's Transpose and the sampler: same numbers, as image.warp's 'clamp' mode gives them.
- ``:cuda()`` is ``_cuda(x)``, which converts only when the pyramid is built with ``cuda=True`` (the GPU test
  does), so the CPU tests run the same code.
- the module-level locals of spynet.lua (modelL1..L6, down2..6, up2..6, warpmodel2..6) are locals of
  ``spynet(cuda)``, which returns the table ``M`` as the Lua's ``require 'spynet'`` does; ``setup`` assigns them
  with ``nonlocal``. computeInitFlowL2..L6 are five copies of one body in the Lua: ``_computeInitFlow(k)`` builds
  each from it, keeping the copies' one difference (L2 and L3 clone the images before pooling, L4..L6 do not).
- donkey.lua's ``getTrainValidationSplits`` counts the data folder's files with ``sys.fexecute("ls ... | wc
  -l")``: the port takes that count; the ids it returns are 1-based file numbers (``%05i``), so the port adds 1
  to ``nonzero()``'s 0-based positions.

Not ported: the CUDA/C builds themselves (extras/), timing_*.lua, dataset.lua's dataLoader (paths crawling and
its threads; its sampling is tests/porting/test_imagenet_multigpu_donkeys.py's), data.lua's Threads setup,
test.lua (train.lua's loop without the optimiser step), the augmentation branch's TF.ColorJitter/Lighting
and image loading from .ppm files.
"""
import math

import legonn as lg
from legonn import image, nn, optim, xlua

eps = 1e-6


# ---------------------------------------------------------------- flowExtensions.lua

def computeNorm(*args):
    _, flow_x, flow_y = xlua.unpack(
        args,
        'opticalflow.computeNorm',
        'computes norm (size) of flow field from flow_x and flow_y,\n',
        {'arg': 'flow_x', 'type': 'torch.Tensor', 'help': 'flow field (x), (WxH)', 'req': True},
        {'arg': 'flow_y', 'type': 'torch.Tensor', 'help': 'flow field (y), (WxH)', 'req': True})
    flow_norm = lg.Tensor()
    x_squared = lg.Tensor().resizeAs(flow_x).copy(flow_x).cmul(flow_x)
    flow_norm.resizeAs(flow_y).copy(flow_y).cmul(flow_y).add(x_squared).sqrt()
    return flow_norm


def computeAngle(*args):
    _, flow_x, flow_y = xlua.unpack(
        args,
        'opticalflow.computeAngle',
        'computes angle (direction) of flow field from flow_x and flow_y,\n',
        {'arg': 'flow_x', 'type': 'torch.Tensor', 'help': 'flow field (x), (WxH)', 'req': True},
        {'arg': 'flow_y', 'type': 'torch.Tensor', 'help': 'flow field (y), (WxH)', 'req': True})
    flow_angle = lg.Tensor()
    flow_angle.resizeAs(flow_y).copy(flow_y).cdiv(flow_x).abs().atan().mul(180 / math.pi)

    def quadrant(h, x, y):
        if x == 0 and y >= 0:
            return 90
        elif x == 0 and y <= 0:
            return 270
        elif x >= 0 and y >= 0:
            pass  # all good
        elif x >= 0 and y < 0:
            return 360 - h
        elif x < 0 and y >= 0:
            return 180 - h
        elif x < 0 and y < 0:
            return 180 + h
    flow_angle.map2(flow_x, flow_y, quadrant)
    return flow_angle


def field2rgb(*args):
    _, norm, angle, max_, legend = xlua.unpack(
        args,
        'opticalflow.field2rgb',
        'merges Norm and Angle flow fields into a single RGB image,\n'
        'where saturation=intensity, and hue=direction',
        {'arg': 'norm', 'type': 'torch.Tensor', 'help': 'flow field (norm), (WxH)', 'req': True},
        {'arg': 'angle', 'type': 'torch.Tensor', 'help': 'flow field (angle), (WxH)', 'req': True},
        {'arg': 'max', 'type': 'number', 'help': 'if not provided, norm:max() is used'},
        {'arg': 'legend', 'type': 'boolean', 'help': 'prints a legend on the image', 'default': False})
    # max
    saturate = False
    if max_ is not None:
        saturate = True
    max_ = max(max_ if max_ is not None else norm.max(), 1e-2)
    # merge them into an HSL image
    hsl = lg.Tensor(3, norm.size(0), norm.size(1))
    # hue = angle:
    hsl.select(0, 0).copy(angle).div(360)
    # saturation = normalized intensity:
    hsl.select(0, 1).copy(norm).div(max_)
    if saturate:
        hsl.select(0, 1).tanh()
    # light varies inversely from saturation (null flow = white):
    hsl.select(0, 2).copy(hsl.select(0, 1)).mul(-0.5).add(1)
    # convert HSL to RGB
    rgb = image.hsl2rgb(hsl)
    # the legend reads opticalflow/legend.png from the Lua install: no caller of the repo asks for it
    assert not legend, 'the legend image is not part of this port'
    return rgb


def xy2rgb(*args):
    _, x, y, max_ = xlua.unpack(
        args,
        'opticalflow.xy2rgb',
        'merges x and y flow fields into a single RGB image,\n'
        'where saturation=intensity, and hue=direction',
        {'arg': 'x', 'type': 'torch.Tensor', 'help': 'flow field (norm), (WxH)', 'req': True},
        {'arg': 'y', 'type': 'torch.Tensor', 'help': 'flow field (angle), (WxH)', 'req': True},
        {'arg': 'max', 'type': 'number', 'help': 'if not provided, norm:max() is used'})
    norm = computeNorm(x, y)
    angle = computeAngle(x, y)
    return field2rgb(norm, angle, max_)


TAG_FLOAT = 202021.25


def loadFLO(filename):
    ff = lg.DiskFile(filename).binary()
    tag = ff.readFloat()
    if tag != TAG_FLOAT:
        raise ValueError('readflo(): unable to read ' + str(filename) + ' perhaps bigendian error')
    w = ff.readInt()
    h = ff.readInt()
    nbands = 2
    tf = lg.FloatTensor(h, w, nbands)
    ff.readFloat(tf.storage())
    ff.close()
    flow = tf.permute(2, 0, 1)
    return flow


def writeFLO(filename, F):
    F = F.permute(1, 2, 0).clone()
    ff = lg.DiskFile(filename, 'w').binary()
    ff.writeFloat(TAG_FLOAT)
    ff.writeInt(F.size(1))  # width
    ff.writeInt(F.size(0))  # height
    ff.writeFloat(F.storage())
    ff.close()


def rotate(flow, angle):
    flow_rot = image.rotate(flow, angle, 'simple')
    fu = lg.mul(flow_rot[0], math.cos(-angle)) - lg.mul(flow_rot[1], math.sin(-angle))
    fv = lg.mul(flow_rot[0], math.sin(-angle)) + lg.mul(flow_rot[1], math.cos(-angle))
    flow_rot[0].copy(fu)
    flow_rot[1].copy(fv)
    return flow_rot


def scale(flow, sc, opt=None):
    opt = opt if opt is not None else 'simple'
    flow_scaled = image.scale(flow, '*' + '%.14g' % sc, opt) * sc
    return flow_scaled


# ---------------------------------------------------------------- EPECriterion.lua

class EPECriterion(nn.Criterion):
    """Average end-point error of batchSize x 2 x H x W flow fields: the mean over pixels of the Euclidean
    distance between the predicted and the target (u, v)."""

    eps = 1e-12

    def __init__(self):
        super().__init__()
        self.sizeAverage = True

    def updateOutput(self, input, target):
        assert input.nElement() == target.nElement(), "input and target size mismatch"
        if getattr(self, 'buffer', None) is None:
            self.buffer = input.new()
        buffer = self.buffer
        buffer.resizeAs(input)
        npixels = input.nElement() / 2  # 2 channel flow fields
        buffer.add(input, -1, target).pow(2)
        output = lg.sum(buffer, 1).sqrt()  # second channel is flow
        output = output.sum()
        output = output / npixels
        self.output = output
        return self.output

    def updateGradInput(self, input, target):
        assert input.nElement() == target.nElement(), "input and target size mismatch"
        if getattr(self, 'buffer', None) is None:
            self.buffer = input.new()
        buffer = self.buffer
        gradInput = self.gradInput
        buffer.resizeAs(input)
        npixels = input.nElement() / 2
        buffer.add(input, -1, target).pow(2)
        loss = lg.sum(buffer, 1).sqrt().add(self.eps)  # forms the denominator
        loss = lg.cat(loss, loss, 1)  # Repeat tensor to scale the gradients
        gradInput.resizeAs(input)
        gradInput.add(input, -1, target).cdiv(loss)
        gradInput = gradInput / npixels
        return gradInput


# ---------------------------------------------------------------- models/volcon.lua

def createModel(nGPU, cuda=False):
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(8, 32, 7, 7, 1, 1, 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(32, 64, 7, 7, 1, 1, 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(64, 32, 7, 7, 1, 1, 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(32, 16, 7, 7, 1, 1, 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(16, 2, 7, 7, 1, 1, 3, 3))
    if nGPU > 0 and cuda:
        model.cuda()
    return model


# ---------------------------------------------------------------- util.lua (one GPU: no DataParallelTable)

def saveDataParallel(filename, model):
    if lg.typename(model) in ('nn.Sequential', 'nn.gModule'):
        lg.save(filename, model)
    else:
        raise ValueError('This saving function only works with Sequential or DataParallelTable modules.')


def loadDataParallel(filename, nGPU):
    model = lg.load(filename)
    if lg.typename(model) in ('nn.Sequential', 'nn.gModule'):
        return model
    raise ValueError('The loaded model is not a Sequential or DataParallelTable module.')


# ---------------------------------------------------------------- transforms.lua

def ColorNormalize(meanstd):
    def normalize(img):
        img = img.clone()
        for i in range(3):
            img[i].add(-meanstd['mean'][i])
            img[i].div(meanstd['std'][i])
            img[3 + i].add(-meanstd['mean'][i])
            img[3 + i].div(meanstd['std'][i])
        return img
    return normalize


meanstd = {
    'mean': [0.485, 0.456, 0.406],
    'std': [0.229, 0.224, 0.225],
}


# ---------------------------------------------------------------- the warp (spynet.lua, donkey.lua)

class FlowGridBHWD(nn.Module):
    """(B, H, W, 2) flows (u, v) in pixels -> (B, H, W, 2) normalised (y, x) grids for nn.BilinearSamplerBHWD.

    Output pixel (y, x) samples the point (y + v, x + u), each coordinate clamped to the image, as spynet's
    BilinearSamplerBHWD.cu's getTopLeft does (``xcoord = x + xOut``, clamped to 0..width-1), in the
    normalised coordinates qassemoquab's sampler reads: ``2 p / (size - 1) - 1``. The gradient is that of the
    clamped map (zero where a coordinate is clamped); the fork's own kernel sets gradGrids to zero, which
    spynet never reads (its warps run in evaluate mode on data)."""

    def _scale(self, flow):
        height, width = flow.size(1), flow.size(2)
        xp = flow.xp
        ys = xp.arange(height, dtype=flow.array.dtype)[:, None]
        xs = xp.arange(width, dtype=flow.array.dtype)[None, :]
        y = xp.clip(flow.array[..., 1] + ys, 0, height - 1)
        x = xp.clip(flow.array[..., 0] + xs, 0, width - 1)
        return y, x, 2 / max(height - 1, 1), 2 / max(width - 1, 1)

    def updateOutput(self, flow):
        assert flow.dim() == 4 and flow.size(3) == 2, 'flows of size (B, H, W, 2)'
        y, x, sy, sx = self._scale(flow)
        self.output = flow.new(flow.size())
        self.output.array[..., 0] = y * sy - 1
        self.output.array[..., 1] = x * sx - 1
        return self.output

    def updateGradInput(self, flow, gradOutput):
        height, width = flow.size(1), flow.size(2)
        y, x, sy, sx = self._scale(flow)
        ys = flow.xp.arange(height, dtype=flow.array.dtype)[:, None]
        xs = flow.xp.arange(width, dtype=flow.array.dtype)[None, :]
        inside_y = (flow.array[..., 1] + ys > 0) & (flow.array[..., 1] + ys < height - 1)
        inside_x = (flow.array[..., 0] + xs > 0) & (flow.array[..., 0] + xs < width - 1)
        self.gradInput = flow.new(flow.size())
        self.gradInput.array[..., 0] = gradOutput.array[..., 1] * sx * inside_x
        self.gradInput.array[..., 1] = gradOutput.array[..., 0] * sy * inside_y
        return self.gradInput


def createWarpModel():
    imgData = nn.Identity()()
    floData = nn.Identity()()
    imgOut = nn.Transpose([1, 2], [2, 3])(imgData)
    floOut = nn.Transpose([1, 2], [2, 3])(floData)
    warpImOut = nn.Transpose([2, 3], [1, 2])(nn.BilinearSamplerBHWD()([imgOut, FlowGridBHWD()(floOut)]))
    model = nn.gModule([imgData, floData], [warpImOut])
    return model


def loadImage(path):
    return image.load(path, 3, 'float')


# ---------------------------------------------------------------- spynet.lua

def spynet(cuda=False):
    """``require 'spynet'``: the table M of spynet.lua, its file-level locals living in this call."""
    M = {}

    def _cuda(x):
        return x.cuda() if cuda else x

    down = {k: _cuda(nn.SpatialAveragePooling(2, 2, 2, 2)) for k in range(2, 7)}
    up = {k: _cuda(nn.Sequential().add(nn.Transpose([1, 2], [2, 3])).add(nn.ScaleBHWD(2))
                   .add(nn.Transpose([2, 3], [1, 2]))) for k in range(2, 7)}
    warpmodel = {k: _cuda(createWarpModel()) for k in range(2, 7)}
    for k in range(2, 7):
        down[k].evaluate()
        up[k].evaluate()
        warpmodel[k].evaluate()

    models = {}  # modelL1 .. modelL6

    M['loadImage'] = loadImage
    M['loadFlow'] = loadFLO  # spynet.lua's loadFlow is flowExtensions' loadFLO, line for line

    def computeInitFlowL1(imagesL1):
        h = imagesL1.size(2)
        w = imagesL1.size(3)
        batchSize = imagesL1.size(0)
        _flowappend = _cuda(lg.zeros(batchSize, 2, h, w))
        images_in = lg.cat(imagesL1, _flowappend, 1)
        flow_est = models[1].forward(images_in)
        return flow_est
    M['computeInitFlowL1'] = computeInitFlowL1

    def _computeInitFlow(k, coarser):
        def computeInitFlow(images):
            imagesCoarse = down[k].forward(images.clone() if k <= 3 else images)
            _flowappend = up[k].forward(coarser(imagesCoarse)) * 2
            _img2 = images[:, 3:6, :, :]
            images[:, 3:6, :, :].copy(warpmodel[k].forward([_img2, _flowappend]))
            images_in = lg.cat(images, _flowappend, 1)
            flow_est = models[k].forward(images_in)
            return flow_est.add(_flowappend)
        return computeInitFlow

    computeInitFlow = {1: computeInitFlowL1}
    for k in range(2, 7):
        computeInitFlow[k] = _computeInitFlow(k, computeInitFlow[k - 1])
        M['computeInitFlowL%d' % k] = computeInitFlow[k]

    letters = {'sintelFinal': 'F', 'sintelClean': 'C', 'chairsClean': '4', 'chairsFinal': '3', 'kittiFinal': 'K'}

    def model_paths(opt):
        """The six modelL<k>_<letter>.t7 paths; the chairs models have no level 6: spynet.lua loads their
        modelL5 for it (``modelL6path = paths.concat('models', 'modelL5_4.t7')``)."""
        letter = letters[opt]
        last = 5 if opt.startswith('chairs') else 6
        return [lg.paths.concat('models', 'modelL%d_%s.t7' % (min(level, last), letter)) for level in range(1, 7)]

    def load_level(path):
        model = lg.load(path)
        if lg.typename(model) == 'nn.DataParallelTable':
            model = model.get(0)
        model.evaluate()
        return model

    def setup(width, height, opt=None):
        opt = opt if opt is not None else "sintelFinal"
        length = max(width, height)
        if length > 1472:
            raise ValueError("Only image size <= 1472 supported. Next release will have full support.")
        level = next(k for k, bound in enumerate((32, 64, 128, 256, 512, 1472), 1) if length <= bound)
        paths_ = model_paths(opt)
        for k in range(1, level + 1):
            models[k] = load_level(paths_[k - 1])
        return computeInitFlow[level]
    M['setup'] = setup

    def DeAdjustFlow(flow, h, w):
        sc_h = h / flow.size(1)
        sc_w = w / flow.size(2)
        flow = image.scale(flow, w, h, 'simple')
        flow[1] = flow[1] * sc_h
        flow[0] = flow[0] * sc_w
        return flow
    M['DeAdjustFlow'] = DeAdjustFlow

    def normalize(imgs):
        return ColorNormalize(meanstd)(imgs)
    M['normalize'] = normalize

    def easyComputeFlow(im1, im2):
        imgs = lg.cat(im1, im2, 0)
        imgs = ColorNormalize(meanstd)(imgs)
        width = imgs.size(2)
        height = imgs.size(1)
        if width % 32 == 0:
            fineWidth = width
        else:
            fineWidth = width + 32 - math.fmod(width, 32)
        if height % 32 == 0:
            fineHeight = height
        else:
            fineHeight = height + 32 - math.fmod(height, 32)
        imgs = image.scale(imgs, fineWidth, fineHeight)
        length = max(fineWidth, fineHeight)
        level = next((k for k, bound in enumerate((32, 64, 128, 256, 512), 1) if length <= bound), 6)
        imgs = _cuda(imgs.resize(1, 6, fineHeight, fineWidth))
        flow_est = computeInitFlow[level](imgs)
        flow_est = flow_est.squeeze().float()
        flow_est = DeAdjustFlow(flow_est, height, width)
        return flow_est

    def easy_setup(opt=None):
        opt = opt if opt is not None else 'sintelFinal'
        paths_ = model_paths(opt)
        for k in range(1, 7):
            models[k] = load_level(paths_[k - 1])
        return easyComputeFlow
    M['easy_setup'] = easy_setup
    M['models'] = models
    return M


# ---------------------------------------------------------------- donkey.lua

def getTrainValidationSplits(path, numFiles):
    numSamples = numFiles // 3
    ff = lg.DiskFile(path, 'r').binary()
    trainValidationSamples = lg.IntTensor(numSamples)
    ff.readInt(trainValidationSamples.storage())
    ff.close()
    # the ids name files ('%05i'), 1-based as nonzero's were in Torch7
    train_samples = trainValidationSamples.eq(1).nonzero() + 1
    validation_samples = trainValidationSamples.eq(2).nonzero() + 1
    return train_samples, validation_samples


def rotateFlow(flow, angle):
    flow_rot = image.rotate(flow, angle)
    fu = lg.mul(flow_rot[0], math.cos(-angle)) - lg.mul(flow_rot[1], math.sin(-angle))
    fv = lg.mul(flow_rot[0], math.sin(-angle)) + lg.mul(flow_rot[1], math.cos(-angle))
    flow_rot[0].copy(fu)
    flow_rot[1].copy(fv)
    return flow_rot


def scaleFlow(flow, height, width):
    # scale the original flow to a flow of size height x width
    sc = height / flow.size(1)
    assert abs(width / flow.size(2) - sc) < eps, 'Aspect ratio of output flow is not the same as input flow'
    flow_scaled = image.scale(flow, width, height) * sc
    return flow_scaled


def donkey(opt, pyramid):
    """donkey.lua's makeData and hooks for ``opt['level']``, the coarser levels' networks already loaded in
    ``pyramid`` (spynet.lua's table: the donkey's computeInitFlowL1..L4 are the same functions)."""

    def makeData(images, flows):
        images_scaled = image.scale(images, opt['fineWidth'], opt['fineHeight'])
        if opt['level'] == 1:
            initFlow = lg.zeros(2, opt['fineHeight'], opt['fineWidth'])
            flowDiffOutput = scaleFlow(flows, opt['fineHeight'], opt['fineWidth'])
        else:
            coarseImages = image.scale(images, opt['fineWidth'] // 2, opt['fineHeight'] // 2)
            coarser = pyramid['computeInitFlowL%d' % (opt['level'] - 1)]
            initFlow = coarser(coarseImages.resize(1, coarseImages.size(0), coarseImages.size(1),
                                                   coarseImages.size(2)))
            initFlow = scaleFlow(initFlow.squeeze().float(), opt['fineHeight'], opt['fineWidth'])
            flowDiffOutput = scaleFlow(flows, opt['fineHeight'], opt['fineWidth'])
            flowDiffOutput = flowDiffOutput.add(flowDiffOutput, -1, initFlow)
        _img2 = images_scaled[3:6, :, :].clone()
        images_scaled[3:6, :, :].copy(image.warp(_img2, initFlow.index(0, lg.LongTensor([1, 0]))))
        imageFlowInputs = lg.cat(images_scaled, initFlow.float(), 0)
        return imageFlowInputs, flowDiffOutput

    def hook(images, flow):
        """trainHook with opt.augment == 0, and testHook: the images already loaded and concatenated."""
        images = ColorNormalize(meanstd)(images)
        return makeData(images, flow)

    return makeData, hook


# ---------------------------------------------------------------- train.lua

def paramsForEpoch(opt, epoch):
    if opt['LR'] != 0.0:  # if manually specified
        return {}, None
    regimes = [
        # start, end,       LR,   WD,
        [1, 10, 5e-3, 0],
        [11, 80, 1e-4, 0],
        [81, 120, 1e-4, 0],
        [121, 160, 1e-4, 0],
        [161, 1e8, 5e-5, 0],
    ]
    for row in regimes:
        if row[0] <= epoch <= row[1]:
            return {'learningRate': row[2], 'weightDecay': row[3]}, epoch == row[0]


def trainer(opt, model, criterion):
    """train.lua's optimState and trainBatch (the loss returned where the Lua adds it to loss_epoch)."""
    optimState = {
        'learningRate': opt['LR'],
        'learningRateDecay': 0.0,
        'momentum': opt['momentum'],
        'dampening': 0.0,
        'weightDecay': opt['weightDecay'],
    }
    inputs = lg.Tensor()
    labels = lg.Tensor()
    parameters, gradParameters = model.getParameters()

    def trainBatch(inputsCPU, labelsCPU):
        inputs.resize(inputsCPU.size()).copy(inputsCPU)
        labels.resize(labelsCPU.size()).copy(labelsCPU)
        err = None

        def feval(x):
            nonlocal err
            model.zeroGradParameters()
            outputs = model.forward(inputs)
            err = criterion.forward(outputs, labels)
            gradOutputs = criterion.backward(outputs, labels)
            model.backward(inputs, gradOutputs)
            return err, gradParameters

        if opt['optimizer'] == 'adam':
            optim.adam(feval, parameters, optimState)
        elif opt['optimizer'] == 'sgd':
            optim.sgd(feval, parameters, optimState)
        else:
            raise ValueError("Specify Optimizer")
        return err

    return trainBatch, optimState
