"""get_model.lua: getConvNet, getPyrModel (the multi-scale generator), getRecModel (the generator unrolled over
nRec frames with shared weights), getPyrAdv and getRecAdv (the multi-scale discriminator), getPyrPreprocessor
(the Gaussian-free average-pooling pyramid), getPyrCriterion and nn.GDLCriterion (the gradient difference loss).

Edits beyond Lua syntax and 0-based indices:

* The Lua requires cunn and cudnn and calls ``:cuda()`` (and ``torch.CudaTensor()``) unconditionally: those are
  ``_cuda(x)`` and ``_CudaTensor()``, which convert only when ``CUDA`` is true (the GPU test sets it), so the CPU
  tests run the same code. ``cudnn.SpatialConvolution``/``cudnn.SpatialMaxPooling`` are legonn.cudnn's.
* A structure entry such as ``{'conv', 3, 32}`` has no 4th value (nil in Lua): ``_at(entry, 3)`` reads a missing
  entry as None, as Lua's table read does.
* ``getConvNet`` returns two or four values; ``getConvNet(...)(x)`` in getPyrAdv calls the first (Lua drops the
  rest): ``getConvNet(...)[0](x)``, as docs/porting.md's several-results row says.
* ``nn.gModule({input}, {x, feature})`` where ``feature`` is nil (the discriminators have no 'feature' layer) is a
  one-output graph in Lua, since a table ends at its last non-nil value: ``lua_table(x, feature)`` (docs/
  porting.md's trailing-nil row; struct_attn's port has the helper).
* ``getPred``'s ``pred[i-1]`` of the first scale is nil "on purpose": ``pred[i - 1] if i > 0 else None``; ``pred``
  and ``features`` are filled in order, so they are lists.
* ``out_modules[scale]`` is keyed by the scale (8, 4, 2, 1): a dict. getRecAdv's ``in_modules[i]`` and
  ``in_modules[#in_modules]`` index a list of modules.
* ``GDL:__init`` calls ``gdlparent:__init(self)`` (the parent class as ``self``, a slip that Lua lets pass): the
  meaning, ``super().__init__()``; ``assert(alpha == 1)`` tests the argument, not ``self.alpha``, so
  ``nn.GDLCriterion()`` fails in Lua as here.
"""
import math

import legonn as lg
from legonn import cudnn, nn
from tests.porting.struct_attn.train_qa import lua_table

CUDA = False
model = None
advmodel = None
out_modules = None


def _cuda(x):
    return x.cuda() if CUDA else x


def _CudaTensor():
    return lg.CudaTensor() if CUDA else lg.Tensor()


def _at(t, i):
    return t[i] if i < len(t) else None


def getConvNet(struct, nChannels, h, w, nOutputChannels, nOutputElements):
    isInFCMode, nElements = False, None
    input = nn.Identity()()
    x = nn.Identity()(input)
    feature = None
    for i in range(len(struct)):
        if struct[i][0] == 'conv':
            nOutputs = _at(struct[i], 2) or nOutputChannels
            assert not isInFCMode  # no convolutions after FC
            assert nOutputs is not None  # no nil if nOutputChannels is nil
            assert (_at(struct[i], 2) is not None) or (i == len(struct) - 1)  # no nil except in last layer
            x = _cuda(cudnn.SpatialConvolution(nChannels, nOutputs,
                                               struct[i][1], struct[i][1],
                                               _at(struct[i], 3), _at(struct[i], 3)))(x)
            if _at(struct[i], 3) is not None:
                nChannels, h, w = nOutputs, math.floor((h - struct[i][1]) / struct[i][3]) + 1, \
                    math.floor((w - struct[i][1]) / struct[i][3]) + 1
            else:
                nChannels, h, w = nOutputs, h - struct[i][1] + 1, w - struct[i][1] + 1
        elif struct[i][0] == 'convp':
            nOutputs = _at(struct[i], 2) or nOutputChannels
            assert struct[i][1] % 2 == 1  # no even kernel sizes when padding!
            assert not isInFCMode  # no convolutions after FC
            assert nOutputs is not None  # no nil if nOutputChannels is nil
            assert (_at(struct[i], 2) is not None) or (i == len(struct) - 1)  # no nil except in last layer
            x = _cuda(cudnn.SpatialConvolution(nChannels, nOutputs,
                                               struct[i][1], struct[i][1],
                                               1, 1, (struct[i][1] - 1) / 2,
                                               (struct[i][1] - 1) / 2))(x)
            nChannels = nOutputs
        elif struct[i][0] == 'maxpool':
            assert not isInFCMode  # no pooling after FC
            x = cudnn.SpatialMaxPooling(struct[i][1], struct[i][1],
                                        struct[i][2], struct[i][2])(x)
            h = math.floor((h - struct[i][1]) / struct[i][2] + 1)
            w = math.floor((w - struct[i][1]) / struct[i][2] + 1)
        elif struct[i][0] == 'fc':
            nOutputs = _at(struct[i], 1) or nOutputElements
            assert nOutputs is not None  # no nil if nOutputElements is nil
            assert (_at(struct[i], 1) is not None) or (i == len(struct) - 1)  # no nil except in last layer
            if not isInFCMode:
                nElements = h * w * nChannels
                x = nn.View(nElements).setNumInputDims(3)(x)
                isInFCMode = True
            x = _cuda(nn.Linear(nElements, nOutputs))(x)
            nElements = nOutputs
        elif struct[i][0] == 'feature':
            assert feature is None  # only one feature layer (for now)
            feature = x
        elif struct[i][0] == 'spatialbatchnorm':
            x = nn.SpatialBatchNormalization(nChannels)(x)
        else:
            raise RuntimeError('Unknown network element ' + struct[i][0])
        if i != len(struct) - 1:
            x = nn.ReLU()(x)
    net = nn.gModule([input], lua_table(x, feature))
    if isInFCMode:
        return net, nElements
    else:
        return net, nChannels, h, w


def getPyrModel(opt, dataset, in_modules=None):
    global model
    # assume input/target is between -1 and 1
    out_modules = {}

    def getPred(imagesScaled, inputGuess, scale, scaleRatio, in_module):
        # input: images(scale res), guess(scale/2 res)
        ws, hs = opt['w'] / scale, opt['h'] / scale
        guessScaled, x = None, None
        nInputChannels = opt['nInputFrames'] * dataset.nChannels
        if inputGuess is not None:
            guessScaled = nn.SpatialUpSamplingNearest(scaleRatio)(inputGuess)
            nInputChannels = nInputChannels + opt['nTargetFrames'] * dataset.nChannels
            x = nn.JoinTable(1)([imagesScaled, guessScaled])
        else:
            x = imagesScaled
        mod = in_module
        if not mod:
            mod = getConvNet(opt['modelStruct'][scale], nInputChannels,
                             hs, ws, opt['nTargetFrames'] * dataset.nChannels, None)[0]
        mod = _cuda(mod)
        x = mod(x)
        out_modules[scale] = mod
        x, features = x.split(2)
        if inputGuess is not None:
            x = nn.CAddTable()([x, guessScaled])
        x = nn.Tanh()(x)
        return x, features

    inputImages = nn.Identity()()
    pred, features = [], []
    for i in range(len(opt['scaleList'])):
        scale = opt['scaleList'][i]
        mod = None
        if in_modules:
            mod = in_modules[scale]
        p, f = getPred(nn.SelectTable(i)(inputImages),
                       pred[i - 1] if i > 0 else None,  # nil if i == 0, on purpose
                       scale,
                       (i == 0) or (opt['scaleList'][i - 1] / scale),
                       mod)
        pred.append(p)
        features.append(f)
    pred = nn.Identity()(pred)
    features = nn.Identity()(features)
    model = nn.gModule([inputImages], [pred, features])
    model = _cuda(model)
    return model, out_modules


def getRecModel(opt, model, datasource):
    assert opt['h'] == opt['w']
    input = nn.Identity()()
    output = []
    lastinput = input
    for i in range(opt['nRec']):
        netoutput = model.clone('weight', 'bias', 'gradWeight', 'gradBias')(lastinput)
        netoutput = nn.SelectTable(0)(netoutput)
        output.append(netoutput)
        if i != opt['nRec'] - 1:
            newinput = []
            for j in range(len(opt['scaleList'])):
                npix = opt['h'] / opt['scaleList'][j]
                x1 = nn.SelectTable(j)(lastinput)
                x1 = nn.View(opt['batchsize'], opt['nInputFrames'], datasource.nChannels, npix, npix)(x1)
                x1 = nn.Narrow(1, 1, opt['nInputFrames'] - 1)(x1)
                x2 = nn.SelectTable(j)(netoutput)
                x2 = nn.View(opt['batchsize'], 1, datasource.nChannels, npix, npix)(x2)
                y = nn.JoinTable(1)([x1, x2])
                newinput.append(
                    nn.View(opt['batchsize'], opt['nInputFrames'] * datasource.nChannels, npix, npix)(y))
            lastinput = newinput
    if len(output) == 1:
        dummy = nn.ConcatTable()
        dummy.add(nn.Identity())
        output = dummy(output)
        return _cuda(nn.gModule([input], [output]))
    else:
        return _cuda(nn.gModule([input], output))


def getPyrAdv(opt, dataset):
    global advmodel
    inputImages = nn.Identity()()
    inputPred = nn.Identity()()
    adv = []
    for i in range(len(opt['scaleList'])):
        assert opt['advStruct'][opt['scaleList'][i]] is not None  # model and adv must have same scales
        x = nn.JoinTable(1)([nn.SelectTable(i)(inputImages),
                             nn.SelectTable(i)(inputPred)])
        x = getConvNet(opt['advStruct'][opt['scaleList'][i]],
                       (opt['nInputFrames'] + opt['nTargetFrames']) * dataset.nChannels,
                       opt['w'] / opt['scaleList'][i], opt['h'] / opt['scaleList'][i], None, 1)[0](x)
        adv.append(nn.Sigmoid()(x))

    advmodel = nn.gModule([inputImages, inputPred], adv)
    advmodel = _cuda(advmodel)
    return advmodel


def getRecAdv(opt, advmodel, datasource, in_modules=None):
    global out_modules
    assert (advmodel is None) != (in_modules is None)
    input1 = nn.Identity()()
    input2 = nn.Identity()()
    output = []
    input1b = input1
    out_modules = []
    for i in range(opt['nRec']):
        input2b = nn.SelectTable(i)(input2)
        mod = None
        if advmodel is not None:
            if opt.get('advshare') is True:
                mod = advmodel.clone('weight', 'bias', 'gradWeight', 'gradBias')
            else:
                mod = advmodel.clone()
                print("====================================================================")
                print("=================       CLONING ADVMODEL       =====================")
                print("====================================================================")
        else:
            if i < len(in_modules) and in_modules[i] is not None:
                mod = in_modules[i]
            else:
                if opt.get('advshare') is True:
                    mod = in_modules[-1].clone('weight', 'bias', 'gradWeight', 'gradBias')
                    print("====================================================================")
                    print("=================     SHARING LAST ADVMODEL    =====================")
                    print("====================================================================")
                else:
                    mod = in_modules[-1].clone()
                    print("====================================================================")
                    print("=================     CLONING LAST ADVMODEL    =====================")
                    print("====================================================================")
        for node in mod.backwardnodes:
            # TODO: somehow :cuda() fails otherwise
            node.data.gradOutputBuffer = None
        out_modules.append(mod)
        output.append(mod([input1b, input2b]))
        if i != opt['nRec'] - 1:
            newinput1b = []
            for j in range(len(opt['scaleList'])):
                npix = opt['h'] / opt['scaleList'][j]
                x1 = nn.SelectTable(j)(input1b)
                x1 = nn.View(opt['batchsize'], opt['nInputFrames'], datasource.nChannels, npix, npix)(x1)
                x1 = nn.Narrow(1, 1, opt['nInputFrames'] - 1)(x1)
                x2 = nn.SelectTable(j)(input2b)
                x2 = nn.View(opt['batchsize'], 1, datasource.nChannels, npix, npix)(x2)
                y = nn.JoinTable(1)([x1, x2])
                newinput1b.append(
                    nn.View(opt['batchsize'], opt['nInputFrames'] * datasource.nChannels, npix, npix)(y))
            input1b = nn.Identity()(newinput1b)
    if len(output) == 1:
        dummy = nn.ConcatTable()
        dummy.add(nn.Identity())
        output = dummy(output)
        return _cuda(nn.gModule([input1, input2], [output])), out_modules
    else:
        return _cuda(nn.gModule([input1, input2], output)), out_modules


def getPyrPreprocessor(opt, dataset):
    global scale
    net = nn.ConcatTable()
    for i in range(len(opt['scaleList'])):
        net2 = nn.Sequential()
        net.add(net2)
        net2.add(nn.FunctionWrapper(
            lambda self: None,
            lambda self, input: input.view(input.size(0),
                                           -1, input.size(input.dim() - 2),
                                           input.size(input.dim() - 1)),
            lambda self, input, gradOutput: gradOutput.viewAs(input)))
        scale = opt['scaleList'][i]
        net2.add(nn.SpatialAveragePooling(scale, scale, scale, scale))
    _cuda(net)
    return net


# replicated the criterion into a sort of parallel criterion
# TODO: is this used?
def getPyrCriterion(opt, simpleCriterion):
    class Output:
        pass
    output = Output()
    output.criterion = nn.ParallelCriterion()
    for i in range(len(opt['scaleList'])):
        output.criterion.add(simpleCriterion.clone())
    _cuda(output.criterion)
    output.dsnet = nn.ConcatTable()
    for i in range(len(opt['scaleList'])):
        scale = opt['scaleList'][i]
        output.dsnet.add(nn.SpatialAveragePooling(scale, scale, scale, scale))
    _cuda(output.dsnet)

    def forward(input, target):
        return output.criterion.forward(input, output.dsnet.forward(target))
    output.forward = forward

    def updateGradInput(input, target):
        return output.criterion.backward(input, output.dsnet.output)
    output.updateGradInput = updateGradInput
    output.backward = output.updateGradInput
    return output


class GDLCriterion(nn.Criterion):

    def __init__(self, alpha=None):
        super().__init__()
        self.alpha = alpha or 1
        assert alpha == 1  # for now
        Y = nn.Identity()()
        Yhat = nn.Identity()()
        Yi1 = nn.SpatialZeroPadding(0, 0, 0, -1)(Y)
        Yj1 = nn.SpatialZeroPadding(0, 0, -1, 0)(Y)
        Yi2 = nn.SpatialZeroPadding(0, -1, 0, 0)(Y)
        Yj2 = nn.SpatialZeroPadding(-1, 0, 0, 0)(Y)
        Yhati1 = nn.SpatialZeroPadding(0, 0, 0, -1)(Yhat)
        Yhatj1 = nn.SpatialZeroPadding(0, 0, -1, 0)(Yhat)
        Yhati2 = nn.SpatialZeroPadding(0, -1, 0, 0)(Yhat)
        Yhatj2 = nn.SpatialZeroPadding(-1, 0, 0, 0)(Yhat)
        term1 = nn.Abs()(nn.CSubTable()([Yi2, Yi1]))
        term2 = nn.Abs()(nn.CSubTable()([Yhati2, Yhati1]))
        term3 = nn.Abs()(nn.CSubTable()([Yj2, Yj1]))
        term4 = nn.Abs()(nn.CSubTable()([Yhatj2, Yhatj1]))
        term12 = nn.CSubTable()([term1, term2])
        term34 = nn.CSubTable()([term3, term4])
        self.net = nn.gModule([Yhat, Y], [term12, term34])
        _cuda(self.net)
        self.crit = nn.ParallelCriterion()
        self.crit.add(nn.AbsCriterion())
        self.crit.add(nn.AbsCriterion())
        _cuda(self.crit)
        self.target1 = _CudaTensor()
        self.target2 = _CudaTensor()

    def updateOutput(self, input, target):
        self.netoutput = self.net.updateOutput([input, target])
        self.target1.resizeAs(self.netoutput[0]).zero()
        self.target2.resizeAs(self.netoutput[1]).zero()
        self.target = [self.target1, self.target2]
        self.loss = self.crit.updateOutput(self.netoutput, self.target)
        return self.loss

    def updateGradInput(self, input, target):
        gradInput = \
            self.crit.updateGradInput(self.netoutput, self.target)
        self.gradInput = \
            self.net.updateGradInput([input, target], gradInput)[0]
        return self.gradInput
