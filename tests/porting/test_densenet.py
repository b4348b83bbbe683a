"""liuzhuang13/DenseNet ported line by line: models/DenseConnectLayer.lua's ``DenseConnectLayerStandard``
(lines 6-34: a Concat(2) of Identity and the BN-ReLU-conv bottleneck, ``ShareGradInput`` keys) and
models/densenet.lua's ``createModel`` (lines 6-176: dense blocks, transition layers, ConvInit dropping the
biases under cudnn >= 4, BNInit, ``model:get(1).gradInput = nil``), with models/init.lua's ``shareGradInput``
(lines 121-182: gradInput buffers shared through ``torch.FloatTensor(storage, 1, 0)``, and for optMemory 3
and 4 the concatenated inputs and the first BatchNormalization's output). The memory-efficient
``nn.DenseConnectLayerCustom`` (DenseConnectLayer.lua lines 39-152, optMemory >= 3) is a user Container
taking and giving tables, with its own ``__tostring__``."""
import math
import re

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn
from tests.checks import assert_jacobian


def ShareGradInput(module, key):
    assert key
    module.__shareGradInputKey = key
    return module


def DenseConnectLayerStandard(nChannels, opt):
    net = nn.Sequential()

    net.add(ShareGradInput(cudnn.SpatialBatchNormalization(nChannels), 'first'))
    net.add(cudnn.ReLU(True))
    if opt['bottleneck']:
        net.add(cudnn.SpatialConvolution(nChannels, 4 * opt['growthRate'], 1, 1, 1, 1, 0, 0))
        nChannels = 4 * opt['growthRate']
        if opt['dropRate'] > 0:
            net.add(nn.Dropout(opt['dropRate']))
        net.add(cudnn.SpatialBatchNormalization(nChannels))
        net.add(cudnn.ReLU(True))
    net.add(cudnn.SpatialConvolution(nChannels, opt['growthRate'], 3, 3, 1, 1, 1, 1))
    if opt['dropRate'] > 0:
        net.add(nn.Dropout(opt['dropRate']))

    return (nn.Sequential()
            .add(nn.Concat(1)
                 .add(nn.Identity())
                 .add(net)))


class DenseConnectLayerCustom(nn.Container):
    """Customized densely connected layer (memory efficient): a table of the previous layers' outputs in, the
    same table plus growthRate new planes out; the inputs are concatenated into ``input_c`` only for net1."""

    def __init__(self, nChannels, opt):
        super().__init__()
        self.train = True
        self.opt = opt

        self.net1 = nn.Sequential()
        self.net1.add(ShareGradInput(cudnn.SpatialBatchNormalization(nChannels), 'first'))
        self.net1.add(cudnn.ReLU(True))

        self.net2 = nn.Sequential()
        if opt['bottleneck']:
            self.net2.add(cudnn.SpatialConvolution(nChannels, 4 * opt['growthRate'], 1, 1, 1, 1, 0, 0))
            nChannels = 4 * opt['growthRate']
            self.net2.add(cudnn.SpatialBatchNormalization(nChannels))
            self.net2.add(cudnn.ReLU(True))
        self.net2.add(cudnn.SpatialConvolution(nChannels, opt['growthRate'], 3, 3, 1, 1, 1, 1))

        # contiguous outputs of previous layers
        self.input_c = lg.Tensor().type(opt['tensorType'])
        # save a copy of BatchNorm statistics before forwarding it for the second time when optMemory=4
        self.saved_bn_running_mean = lg.Tensor().type(opt['tensorType'])
        self.saved_bn_running_var = lg.Tensor().type(opt['tensorType'])

        self.gradInput = []
        self.output = []

        self.modules = [self.net1, self.net2]

    def updateOutput(self, input):
        # self.output[i] = input[i] fills the Lua table in order: the list is built the same way
        if lg.type(input) != 'table':
            self.output = [input, self.net2.forward(self.net1.forward(input))]
        else:
            self.output = [input[i] for i in range(len(input))]
            lg.cat(self.input_c, input, 1)
            self.net1.forward(self.input_c)
            self.output.append(self.net2.forward(self.net1.output))

        if self.opt['optMemory'] == 4:
            running_mean, running_var = self.net1.get(0).running_mean, self.net1.get(0).running_var
            self.saved_bn_running_mean.resizeAs(running_mean).copy(running_mean)
            self.saved_bn_running_var.resizeAs(running_var).copy(running_var)

        return self.output

    def updateGradInput(self, input, gradOutput):
        if lg.type(input) != 'table':
            self.gradInput = gradOutput[0]
            if self.opt['optMemory'] == 4:
                self.net1.forward(input)
            self.net2.updateGradInput(self.net1.output, gradOutput[1])
            self.gradInput.add(self.net1.updateGradInput(input, self.net2.gradInput))
        else:
            lg.cat(self.input_c, input, 1)
            if self.opt['optMemory'] == 4:
                self.net1.forward(self.input_c)
            self.net2.updateGradInput(self.net1.output, gradOutput[len(gradOutput) - 1])
            self.net1.updateGradInput(self.input_c, self.net2.gradInput)
            nC = 0
            self.gradInput = []
            for i in range(len(input)):
                self.gradInput.append(gradOutput[i])
                self.gradInput[i].add(self.net1.gradInput.narrow(1, nC, input[i].size(1)))
                nC = nC + input[i].size(1)

        if self.opt['optMemory'] == 4:
            self.net1.get(0).running_mean.copy(self.saved_bn_running_mean)
            self.net1.get(0).running_var.copy(self.saved_bn_running_var)

        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale or 1
        self.net2.accGradParameters(self.net1.output, gradOutput[len(gradOutput) - 1], scale)
        if lg.type(input) != 'table':
            self.net1.accGradParameters(input, self.net2.gradInput, scale)
        else:
            self.net1.accGradParameters(self.input_c, self.net2.gradInput, scale)

    def __tostring__(self):
        tab = '  '
        line = '\n'
        next = '  |`-> '
        lastNext = '   `-> '
        ext = '  |    '
        extlast = '       '
        last = '   ... -> '
        s = 'DenseConnectLayerCustom'
        s = s + ' {' + line + tab + '{input}'
        for i in range(len(self.modules)):
            if i == len(self.modules) - 1:
                s = s + line + tab + lastNext + '(' + str(i + 1) + '): ' + \
                    str(self.modules[i]).replace(line, line + tab + extlast)
            else:
                s = s + line + tab + next + '(' + str(i + 1) + '): ' + \
                    str(self.modules[i]).replace(line, line + tab + ext)
        s = s + line + tab + last + '{output}'
        s = s + line + '}'
        return s


lg.register(DenseConnectLayerCustom)


def createModel(opt):
    # growth rate
    growthRate = opt['growthRate']
    # dropout rate, set it to 0 to disable dropout, non-zero number to enable dropout and set drop rate
    dropRate = opt['dropRate']
    # channels before entering the first Dense-Block
    nChannels = 2 * growthRate
    # compression rate at transition layers
    reduction = opt['reduction']
    # whether to use bottleneck structures
    bottleneck = opt['bottleneck']
    # N: # dense connected layers in each denseblock
    N = (opt['depth'] - 4) / 3
    if bottleneck:
        N = N / 2

    def addLayer(model, nChannels, opt):
        if opt['optMemory'] >= 3:
            model.add(DenseConnectLayerCustom(nChannels, opt))
        else:
            model.add(DenseConnectLayerStandard(nChannels, opt))

    def addTransition(model, nChannels, nOutChannels, opt, last=None, pool_size=None):
        if opt['optMemory'] >= 3:
            model.add(nn.JoinTable(1))
        model.add(cudnn.SpatialBatchNormalization(nChannels))
        model.add(cudnn.ReLU(True))
        if last:
            model.add(cudnn.SpatialAveragePooling(pool_size, pool_size))
            model.add(nn.Reshape(nChannels))
        else:
            model.add(cudnn.SpatialConvolution(nChannels, nOutChannels, 1, 1, 1, 1, 0, 0))
            if opt['dropRate'] > 0:
                model.add(nn.Dropout(opt['dropRate']))
            model.add(cudnn.SpatialAveragePooling(2, 2))

    def addDenseBlock(model, nChannels, opt, N):
        for i in range(int(N)):            # for i = 1, N: Lua's loop runs over the whole-number float N
            addLayer(model, nChannels, opt)
            nChannels = nChannels + opt['growthRate']
        return nChannels

    # Build DenseNet
    model = nn.Sequential()

    if opt['dataset'] == 'cifar10' or opt['dataset'] == 'cifar100':
        # Initial convolution layer
        model.add(cudnn.SpatialConvolution(3, nChannels, 3, 3, 1, 1, 1, 1))
        # Dense-Block 1 and transition
        nChannels = addDenseBlock(model, nChannels, opt, N)
        addTransition(model, nChannels, math.floor(nChannels * reduction), opt)
        nChannels = math.floor(nChannels * reduction)
        # Dense-Block 2 and transition
        nChannels = addDenseBlock(model, nChannels, opt, N)
        addTransition(model, nChannels, math.floor(nChannels * reduction), opt)
        nChannels = math.floor(nChannels * reduction)
        # Dense-Block 3 and transition
        nChannels = addDenseBlock(model, nChannels, opt, N)
        addTransition(model, nChannels, nChannels, opt, True, 8)
    elif opt['dataset'] == 'imagenet':
        # number of layers in each block
        if opt['depth'] == 121:
            stages = [6, 12, 24, 16]
        elif opt['depth'] == 169:
            stages = [6, 12, 32, 32]
        elif opt['depth'] == 201:
            stages = [6, 12, 48, 32]
        elif opt['depth'] == 161:
            stages = [6, 12, 36, 24]
        else:
            stages = [opt['d1'], opt['d2'], opt['d3'], opt['d4']]
        # Initial transforms follow ResNet(224x224)
        model.add(cudnn.SpatialConvolution(3, nChannels, 7, 7, 2, 2, 3, 3))
        model.add(cudnn.SpatialBatchNormalization(nChannels))
        model.add(cudnn.ReLU(True))
        model.add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
        # Dense-Block 1 and transition (56x56)
        nChannels = addDenseBlock(model, nChannels, opt, stages[0])
        addTransition(model, nChannels, math.floor(nChannels * reduction), opt)
        nChannels = math.floor(nChannels * reduction)
        # Dense-Block 2 and transition (28x28)
        nChannels = addDenseBlock(model, nChannels, opt, stages[1])
        addTransition(model, nChannels, math.floor(nChannels * reduction), opt)
        nChannels = math.floor(nChannels * reduction)
        # Dense-Block 3 and transition (14x14)
        nChannels = addDenseBlock(model, nChannels, opt, stages[2])
        addTransition(model, nChannels, math.floor(nChannels * reduction), opt)
        nChannels = math.floor(nChannels * reduction)
        # Dense-Block 4 and transition (7x7)
        nChannels = addDenseBlock(model, nChannels, opt, stages[3])
        addTransition(model, nChannels, nChannels, opt, True, 7)

    if opt['dataset'] == 'cifar10':
        model.add(nn.Linear(nChannels, 10))
    elif opt['dataset'] == 'cifar100':
        model.add(nn.Linear(nChannels, 100))
    elif opt['dataset'] == 'imagenet':
        model.add(nn.Linear(nChannels, 1000))

    # Initialization following ResNet
    def ConvInit(name):
        for k, v in enumerate(model.findModules(name)[0]):
            n = v.kW * v.kH * v.nOutputPlane
            v.weight.normal(0, math.sqrt(2 / n))
            if cudnn.version >= 4000:
                v.bias = None
                v.gradBias = None
            else:
                v.bias.zero()

    def BNInit(name):
        for k, v in enumerate(model.findModules(name)[0]):
            v.weight.fill(1)
            v.bias.zero()

    ConvInit('cudnn.SpatialConvolution')
    BNInit('cudnn.SpatialBatchNormalization')
    for k, v in enumerate(model.findModules('nn.Linear')[0]):
        v.bias.zero()

    model.type(opt['tensorType'])

    if opt['cudnn'] == 'deterministic':
        def deterministic(m):
            if hasattr(m, 'setMode'):        # if m.setMode then: a missing field is nil in Lua
                m.setMode(1, 1, 1)
        model.apply(deterministic)

    model.get(0).gradInput = None
    return model


def torch_class(opt, kind='Tensor'):
    """``torch[opt.tensorType:match('torch.(%a+)')]``, or with ``:gsub('Tensor','Storage')`` for kind 'Storage':
    the tensor or storage class named by the type string."""
    return getattr(lg, re.match(r'torch\.(\w+)', opt['tensorType']).group(1).replace('Tensor', kind))


def shareGradInput(model, opt):
    """models/init.lua's M.shareGradInput: modules of one type (and ShareGradInput key) write their gradInput
    into one storage; Concat and ConcatTable alternate between two."""
    def sharingKey(m):
        key = lg.type(m)
        if getattr(m, '__shareGradInputKey', None) is not None:
            key = key + ':' + m.__shareGradInputKey
        return key

    cache = {}

    def share(m):
        moduleType = lg.type(m)
        if lg.isTensor(m.gradInput) and moduleType != 'nn.ConcatTable' and moduleType != 'nn.Concat':
            key = sharingKey(m)
            if cache.get(key) is None:
                cache[key] = torch_class(opt, 'Storage')(1)
            m.gradInput = torch_class(opt)(cache[key], 0, 0)
    model.apply(share)
    for i, m in enumerate(model.findModules('nn.ConcatTable')[0], 1):
        if cache.get(i % 2) is None:
            cache[i % 2] = torch_class(opt, 'Storage')(1)
        m.gradInput = torch_class(opt)(cache[i % 2], 0, 0)
    for i, m in enumerate(model.findModules('nn.Concat')[0], 1):
        if cache.get(i % 2) is None:
            cache[i % 2] = torch_class(opt, 'Storage')(1)
        m.gradInput = torch_class(opt)(cache[i % 2], 0, 0)
    return cache


def sharePrevOutput(model, opt):
    """models/init.lua's M.sharePrevOutput: every DenseConnectLayerCustom concatenates into one storage."""
    buffer = None

    def share(m):
        nonlocal buffer
        moduleType = lg.type(m)
        if moduleType == 'nn.DenseConnectLayerCustom':
            if buffer is None:
                buffer = torch_class(opt, 'Storage')(1)
            m.input_c = torch_class(opt)(buffer, 0, 0)
    model.apply(share)
    return buffer


def shareBNOutput(model, opt):
    """models/init.lua's M.shareBNOutput: the first BatchNormalization of every DenseConnectLayerCustom writes
    its output into one storage (optMemory 4 forwards it again in backward)."""
    buffer = None

    def share(m):
        nonlocal buffer
        moduleType = lg.type(m)
        if moduleType == 'nn.DenseConnectLayerCustom':
            if buffer is None:
                buffer = torch_class(opt, 'Storage')(1)
            m.net1.get(0).output = torch_class(opt)(buffer, 0, 0)
    model.apply(share)
    return buffer


def _opt(**changes):
    """opts.lua's defaults (depth 40 here, bottleneck 'true', reduction 0.5) on the CPU."""
    opt = {'dataset': 'cifar10', 'depth': 40, 'growthRate': 12, 'bottleneck': True, 'reduction': 0.5,
           'dropRate': 0, 'optMemory': 2, 'tensorType': 'torch.FloatTensor', 'cudnn': 'fastest'}
    opt.update(changes)
    return opt


def expected_parameters(opt):
    """The parameter count densenet.lua's structure implies: convolutions without bias (cudnn >= 4),
    BatchNormalization's weight and bias, the Linear classifier with its bias."""
    k, r = opt['growthRate'], opt['reduction']
    n = (opt['depth'] - 4) // 3 // (2 if opt['bottleneck'] else 1)

    def layer(c):
        if opt['bottleneck']:
            return 2 * c + c * 4 * k + 2 * 4 * k + 4 * k * k * 9
        return 2 * c + c * k * 9

    c, total = 2 * k, 3 * 2 * k * 9
    for block in range(3):
        for i in range(n):
            total += layer(c)
            c += k
        if block < 2:
            total += 2 * c + c * math.floor(c * r)
            c = math.floor(c * r)
    return total + 2 * c + 10 * c + 10


def test_densenet_parameter_counts():
    """getParameters counts what the structure implies, for DenseNet-BC (the defaults) and DenseNet (no
    bottleneck, no compression). At k = 12 they are near the README's table: DenseNet (L=40, k=12) 1.0M
    (1,059,298 here), DenseNet-BC (L=100, k=12) 0.8M (769,162)."""
    for changes in ({'growthRate': 2}, {'growthRate': 3, 'bottleneck': False, 'reduction': 1},
                    {'growthRate': 2, 'depth': 22, 'reduction': 0.7}):
        opt = _opt(**changes)
        assert createModel(opt).getParameters()[0].nElement() == expected_parameters(opt)
    densenet40 = _opt(bottleneck=False, reduction=1)
    count = createModel(densenet40).getParameters()[0].nElement()
    assert count == expected_parameters(densenet40) and abs(count - 1.0e6) < 0.1e6
    bc100 = _opt(depth=100)
    count = createModel(bc100).getParameters()[0].nElement()
    assert count == expected_parameters(bc100) and abs(count - 0.8e6) < 0.1e6


def test_densenet121_imagenet_branch():
    """The ImageNet branch at depth 121, k = 32 (stages 6, 12, 24, 16) builds DenseNet-121 with 7,978,856
    parameters, the count of every other DenseNet-121 (torchvision's among them); at k = 2 with stages
    1, 1, 1, 1 (opt.d1 .. d4) a 224x224 image goes through the 7x7 stem, the four blocks and the 7x7 pool."""
    assert createModel(_opt(dataset='imagenet', depth=121, growthRate=32)).getParameters()[0].nElement() == 7978856
    model = createModel(_opt(dataset='imagenet', depth=0, d1=1, d2=1, d3=1, d4=1, growthRate=2))
    y = model.forward(lg.Tensor(1, 3, 224, 224).normal(0, 1))
    assert tuple(y.size()) == (1, 1000)    # Reshape.lua keeps a leading 1 as the batch (View would drop it)


def test_densenet40_tiny_forward_backward():
    """Depth 40 at growth rate 2 on two 32x32 images: 10 scores each; the Concat layers grow the planes by
    the growth rate, the transitions halve planes and size; ConvInit left no convolution bias;
    ``model:get(1).gradInput = nil`` makes backward skip the input gradient (None) while every
    parameter gets its gradient."""
    opt = _opt(growthRate=2)
    model = createModel(opt)
    params, grads = model.getParameters()
    assert all(m.bias is None for m in model.findModules('cudnn.SpatialConvolution')[0])
    x = lg.Tensor(2, 3, 32, 32).normal(0, 1)
    y = model.forward(x)
    assert tuple(y.size()) == (2, 10)
    concats = model.findModules('nn.Concat')[0]
    assert len(concats) == 18
    assert [tuple(c.output.size())[1:] for c in concats[:2]] == [(6, 32, 32), (8, 32, 32)]
    # planes: 4 + 6 * 2 = 16, halved to 8; 8 + 12 = 20, halved to 10; 10 + 12 = 22 at 8x8
    assert tuple(concats[-1].output.size())[1:] == (22, 8, 8)
    grads.zero()
    assert model.backward(x, lg.Tensor(2, 10).normal(0, 1)) is None
    for m in model.findModules('cudnn.SpatialConvolution')[0]:
        assert float(m.gradWeight.abs().sum()) > 0


def test_dense_layer_jacobian():
    """One DenseConnectLayerStandard (bottleneck, in double): its Jacobian, input and parameters, agrees
    with finite differences, and its output is the input followed by growthRate new planes."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    layer = DenseConnectLayerStandard(3, {'bottleneck': True, 'growthRate': 2, 'dropRate': 0})
    x = lg.Tensor(2, 3, 4, 4).normal(0, 1)
    y = layer.forward(x)
    assert tuple(y.size()) == (2, 5, 4, 4)
    np.testing.assert_array_equal(y[:, :3].numpy(), x.numpy())
    assert_jacobian(layer, x)


def test_share_grad_input_keeps_the_gradients():
    """models/init.lua's shareGradInput: modules of one key reuse one storage for their gradInput, so after
    a backward the 'first' BatchNormalizations of every dense layer hold their gradInput in that storage, as
    do the Concats on their two alternating storages; the parameter gradients are those of the unshared
    model."""
    opt = _opt(growthRate=2, depth=16)
    lg.manualSeed(5)
    model = createModel(opt)
    plain = model.clone()
    cache = shareGradInput(model, opt)
    x = lg.Tensor(2, 3, 32, 32).normal(0, 1)
    g = lg.Tensor(2, 10).normal(0, 1)
    for m in (model, plain):
        m.zeroGradParameters()
        m.forward(x)
        m.backward(x, g)
    np.testing.assert_allclose(model.getParameters()[1].numpy(), plain.getParameters()[1].numpy(),
                               rtol=1e-5, atol=1e-6)
    firsts = [m for m in model.findModules('cudnn.SpatialBatchNormalization')[0]
              if getattr(m, '__shareGradInputKey', None) == 'first']
    assert len(firsts) == 6
    shared = cache['cudnn.SpatialBatchNormalization:first']
    assert all(m.gradInput.storage() is shared for m in firsts)
    assert shared.size() >= max(m.gradInput.nElement() for m in firsts)
    concats = model.findModules('nn.Concat')[0]
    assert [c.gradInput.storage() is cache[i % 2] for i, c in enumerate(concats, 1)] == [True] * len(concats)


@pytest.mark.gpu
def test_densenet_on_cuda_tensors_with_shared_grad_inputs():
    """opts.lua's tensorType 'torch.CudaTensor': createModel's ``model:type(opt.tensorType)`` and
    shareGradInput's ``torch.CudaStorage(1)`` / ``torch.CudaTensor(storage, 1, 0)`` buffers on the GPU; the
    parameter gradients are those of the model on the CPU."""
    opt = _opt(growthRate=2, depth=16, tensorType='torch.CudaTensor')
    model = createModel(opt)
    cpu = model.clone().type('torch.FloatTensor')
    cache = shareGradInput(model, opt)
    assert cache['cudnn.SpatialBatchNormalization:first'].type() == 'torch.CudaStorage'
    x = lg.Tensor(2, 3, 32, 32).normal(0, 1)
    g = lg.Tensor(2, 10).normal(0, 1)
    for m, xs, gs in ((model, x.cuda(), g.cuda()), (cpu, x, g)):
        m.zeroGradParameters()
        m.forward(xs)
        m.backward(xs, gs)
    np.testing.assert_allclose(model.getParameters()[1].float().numpy(), cpu.getParameters()[1].numpy(),
                               rtol=1e-3, atol=1e-4)


def test_memory_efficient_layers_match_the_standard_ones():
    """optMemory 3 (DenseConnectLayerCustom, JoinTable(2) before each transition, sharePrevOutput) and 4 (also
    shareBNOutput: net1 forwarded again in backward, its running statistics put back) give the standard
    model's output, input-free parameter gradients and running averages, with the same weights; the shared
    storages hold every layer's concatenated input and first BN output."""
    def build(optMemory):
        lg.manualSeed(11)
        opt = _opt(growthRate=2, depth=16, optMemory=optMemory)
        model = createModel(opt)
        buffers = shareGradInput(model, opt)
        if optMemory == 3:
            buffers = sharePrevOutput(model, opt)
        if optMemory == 4:
            buffers = (sharePrevOutput(model, opt), shareBNOutput(model, opt))
        return model, buffers

    x = lg.Tensor(2, 3, 32, 32).normal(0, 1)
    g = lg.Tensor(2, 10).normal(0, 1)
    runs = {}
    for optMemory in (2, 3, 4):
        model, buffers = build(optMemory)
        assert model.getParameters()[0].nElement() == expected_parameters(_opt(growthRate=2, depth=16))
        model.zeroGradParameters()
        y = model.forward(x).clone()
        model.backward(x, g)
        bns = model.findModules('cudnn.SpatialBatchNormalization')[0]
        runs[optMemory] = (model, buffers, y, model.getParameters()[1].clone(),
                           np.concatenate([bn.running_mean.numpy() for bn in bns]))
    base = runs[2]
    for optMemory in (3, 4):
        model, buffers, y, grads, means = runs[optMemory]
        np.testing.assert_allclose(y.numpy(), base[2].numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(grads.numpy(), base[3].numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(means, base[4], rtol=1e-5, atol=1e-7)
        layers = model.findModules('nn.DenseConnectLayerCustom')[0]
        assert len(layers) == 6 and len(model.findModules('nn.JoinTable')[0]) == 3
        prev = buffers if optMemory == 3 else buffers[0]
        assert all(m.input_c.storage() is prev for m in layers[1:])    # the first layer takes a tensor
        if optMemory == 4:
            assert all(m.net1.get(0).output.storage() is buffers[1] for m in layers)
    text = str(runs[3][0].findModules('nn.DenseConnectLayerCustom')[0][0])
    assert text.startswith('DenseConnectLayerCustom {\n  {input}\n    |`-> (1): nn.Sequential')
    assert text.endswith('   ... -> {output}\n}')
