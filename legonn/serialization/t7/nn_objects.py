"""legonn modules as the objects Torch7's ``nn`` keeps: for ``save_lua``, each module becomes a ``TorchObject`` of
its Lua class (``nn.Linear``, ...) holding the fields that class's Lua constructor gives it, with index fields
made 1-based (indices.INDEX_FIELDS, the table the reader uses too). The buffers are written empty, as after
Torch7's ``clearState()``; parameters, gradients and running statistics are the module's own tensors, so
tensors that share a storage (``clone('weight', 'bias')``, ``share``) are written as one storage.

A gModule becomes nngraph's ``nn.gModule`` (nngraph_objects). A class left out of ``FIELDS``, or a module whose
state Torch7's class cannot hold (a legonn-only option), is a TypeError naming where the module is and its class:
nothing is approximated.
"""
from ...modules.base.typed import FORWARD_RECORDS, Typed
from ...tensor import tensor_class
from ...tensor.functions import arange
from ...tensor.storage import LongStorage
from ...tensor.tensor import TENSOR_CLASSES, Tensor
from ...tensor.types import short_name
from ..classes import module_classes, torch_name
from . import criterions, wrappers
from .indices import INDEX_FIELDS, one_based
from .nngraph_objects import fill_gmodule
from .reader import TorchObject
from .refusals import refuse as _refuse

_CONVOLUTION = ('nInputPlane', 'nOutputPlane', 'kW', 'kH', 'dW', 'dH', 'padW', 'padH')
_PARAMETERS = ('weight', 'bias', 'gradWeight', 'gradBias')
_POOLING = ('kW', 'kH', 'dW', 'dH', 'padW', 'padH', 'ceil_mode')
_NORMALIZATION = ('eps', 'momentum', 'affine', 'running_mean', 'running_var') + _PARAMETERS

# legonn class name -> (Torch7 class version, fields copied from the module's attributes of the same names,
# buffers Torch7's constructor makes: field -> a kind of _MAKERS: 'tensor' (the module's type), 'zero' or 'one' (one
# of the module's type holding 0 or 1), 'pair' or 'zero_pair' (a table of two, empty or holding one 0), 'long',
# 'int', 'float' or 'byte' (a LongTensor, ...), 'sizes' (a LongStorage; 'sizes4', 'sizes5': of that many zeros) or
# 'table' (an empty table))
FIELDS = {
    'Sequential': (1, ('modules',), {}), 'ConcatTable': (1, ('modules',), {}),
    'ParallelTable': (1, ('modules',), {}),
    'Concat': (1, ('dimension', 'modules'), {'outputSize': 'sizes'}),
    'Parallel': (1, ('inputDimension', 'outputDimension', 'modules'), {}),
    'Linear': (1, _PARAMETERS, {}),
    'SpatialConvolution': (1, _CONVOLUTION + _PARAMETERS, {}),
    'SpatialConvolutionMM': (1, _CONVOLUTION + _PARAMETERS, {'finput': 'tensor', 'fgradInput': 'tensor'}),
    'SpatialFullConvolution': (1, _CONVOLUTION + ('adjW', 'adjH') + _PARAMETERS, {}),
    'SpatialDilatedConvolution': (1, _CONVOLUTION + ('dilationW', 'dilationH') + _PARAMETERS, {}),
    'SpatialMaxPooling': (1, _POOLING, {'indices': 'long'}),
    'SpatialAveragePooling': (1, _POOLING + ('count_include_pad', 'divide'), {}),
    # BatchNormalization.lua and SpatialBatchNormalization.lua each set __version = 2 (running_var, not the
    # running_std of version 1, which BatchNormalization:read converts); torch.version reads it with a rawget
    # from the object's own class table
    'BatchNormalization': (2, _NORMALIZATION, {}),
    'SpatialBatchNormalization': (2, _NORMALIZATION, {}),
    'ReLU': (1, ('threshold', 'val', 'inplace'), {}), 'Threshold': (1, ('threshold', 'val', 'inplace'), {}),
    'LeakyReLU': (1, ('negval', 'inplace'), {}), 'ELU': (1, ('alpha', 'inplace'), {}),
    'HardTanh': (1, ('min_val', 'max_val', 'inplace'), {}), 'SoftPlus': (1, ('beta', 'threshold'), {}),
    'MulConstant': (1, ('constant_scalar', 'inplace'), {}), 'AddConstant': (1, ('constant_scalar', 'inplace'), {}),
    'Power': (1, ('pow',), {}),
    'Dropout': (1, ('p', 'v2', 'inplace', 'stochastic_inference'), {'noise': 'tensor'}),
    'View': (1, ('size', 'numElements', 'numInputDims'), {}),
    'Reshape': (1, ('size', 'batchsize', 'nelement', 'batchMode'), {'_input': 'tensor', '_gradOutput': 'tensor'}),
    'JoinTable': (1, ('dimension', 'nInputDims'), {'size': 'sizes'}),
    'SplitTable': (1, ('dimension', 'nInputDims'), {}),
    'SelectTable': (1, ('index',), {}), 'NarrowTable': (1, ('offset', 'length'), {}),
    'Narrow': (1, ('dimension', 'index', 'length'), {}),
    'CAddTable': (1, ('inplace',), {}),
    'LookupTable': (1, ('weight', 'gradWeight', 'paddingValue', 'maxNorm', 'normType', 'shouldScaleGradByFreq'),
                    {'_count': 'int', '_input': 'long'}),
}
_VOLUMETRIC = ('nInputPlane', 'nOutputPlane', 'kT', 'kW', 'kH', 'dT', 'dW', 'dH', 'padT', 'padW', 'padH')
_VOLUMETRIC_POOLING = ('kT', 'kW', 'kH', 'dT', 'dW', 'dH')
_PADDING = ('pad_l', 'pad_r', 'pad_t', 'pad_b')
FIELDS.update({
    # containers and parameterised layers the reader read before the writer wrote them
    'DepthConcat': (1, ('dimension', 'modules'), {'outputSize': 'sizes'}),
    'TemporalConvolution': (1, ('inputFrameSize', 'outputFrameSize', 'kW', 'dW') + _PARAMETERS, {}),
    # Add.lua's batch mode resizes and fills its _ones buffer, which its constructor makes as {1}
    'Add': (1, ('scalar', 'bias', 'gradBias'), {'_ones': 'one'}),
    'CMul': (1, ('size', 'weight', 'gradWeight'), {}),
    'Mul': (1, ('weight', 'gradWeight'), {}),
    'PReLU': (1, ('nOutputPlane', 'weight', 'gradWeight'), {}),
    'Max': (1, ('dimension', 'nInputDims'), {}), 'Min': (1, ('dimension', 'nInputDims'), {}),
    'Sum': (1, ('dimension', 'nInputDims', 'sizeAverage', 'squeeze'), {}),
    'Mean': (1, ('dimension', 'nInputDims', 'sizeAverage', 'squeeze'), {}),
    'Normalize': (1, ('p', 'eps'), {}),
    'Padding': (1, ('value', 'index', 'dim', 'pad', 'nInputDim'), {'outputSize': 'sizes'}),
    'Replicate': (1, ('nfeatures', 'dim', 'ndim'), {}),
    'Select': (1, ('dimension', 'index'), {}),
    'Squeeze': (1, ('dim', 'numInputDims'), {}), 'Unsqueeze': (1, ('pos', 'numInputDims'), {}),
    'Transpose': (1, ('permutations', 'numInputDims'), {}),
    'SpatialCrossMapLRN': (1, ('size', 'alpha', 'beta', 'k'), {}),
    'SpatialZeroPadding': (1, _PADDING, {}), 'SpatialReflectionPadding': (1, _PADDING, {}),
    'SpatialReplicationPadding': (1, _PADDING, {}),
    'SpatialUpSamplingNearest': (1, ('scale_factor',), {'inputSize': 'sizes4', 'outputSize': 'sizes4'}),
    'FlattenTable': (1, (), {'input_map': 'table'}),
    # dropout and noise
    'SpatialDropout': (1, ('p', 'stochastic_inference'), {'noise': 'tensor'}),
    'VolumetricDropout': (1, ('p', 'stochastic_inference'), {'noise': 'tensor'}),
    'RReLU': (1, ('lower', 'upper', 'inplace'), {'noise': 'tensor'}),
    'WhiteNoise': (1, ('mean', 'std'), {'noise': 'tensor'}),
    # element-wise
    'Sqrt': (1, ('eps',), {}), 'HardShrink': (1, ('lambda',), {}), 'SoftShrink': (1, ('lambda',), {}),
    'Clamp': (1, ('min_val', 'max_val'), {}), 'ReLU6': (1, ('inplace',), {}),
    'GatedLinearUnit': (1, ('dim',), {}),
    'GradientReversal': (2, ('lambda',), {}),   # GradientReversal.lua's __version = 2 (lambda came then)
    'Constant': (1, ('value', 'nInputDim'), {}),
    'OneHot': (1, ('outputSize',), {}),
    'Collapse': (1, ('nInputDim',), {}),
    'PrintSize': (1, ('prefix',), {}),
    # tables and products
    # MM.lua, MV.lua, Index.lua, Bilinear.lua, CosineDistance.lua and DotProduct.lua make gradInput a table of two
    # tensors, which MV's and Index's updateGradInput resize without making them
    'MM': (1, ('transA', 'transB'), {'gradInput': 'pair'}), 'MV': (1, ('trans',), {'gradInput': 'pair'}),
    'Index': (1, ('dimension',), {'gradInput': 'pair'}),
    'MaskedSelect': (1, (), {'_maskIndices': 'long', '_maskIndexBuffer': 'long', '_maskIndexBufferCPU': 'float',
                             '_gradBuffer': 'tensor', '_gradMask': 'byte'}),
    'CMaxTable': (1, (), {'maxIdx': 'tensor', 'mask': 'tensor', 'maxVals': 'tensor', 'gradMaxVals': 'tensor'}),
    'CMinTable': (1, (), {'minIdx': 'tensor', 'mask': 'tensor', 'minVals': 'tensor', 'gradMaxVals': 'tensor'}),
    'PairwiseDistance': (1, ('norm',), {'diff': 'tensor'}),
    'CosineDistance': (1, (), {'gradInput': 'pair'}), 'DotProduct': (1, (), {'gradInput': 'pair'}),
    # nngraph's: JustElement.lua's updateGradInput sets gradInput[1], JustTable.lua's updateOutput output[1]: their
    # constructors make those tables
    'JustElement': (1, (), {'gradInput': 'table'}), 'JustTable': (1, (), {'output': 'table'}),
    # distances and parameterised layers
    'CAdd': (1, ('size', 'bias', 'gradBias'), {}),
    'Euclidean': (1, ('weight', 'gradWeight'), {}),
    'WeightedEuclidean': (1, ('weight', 'gradWeight', 'diagCov', 'gradDiagCov'), {}),
    'Cosine': (1, ('weight', 'gradWeight'), {}),
    'Bilinear': (1, _PARAMETERS, {'gradInput': 'pair'}),
    'LinearWeightNorm': (1, ('eps', 'outputSize', 'inputSize', 'v', 'gradV', 'weight', 'g', 'gradG', 'bias',
                             'gradBias'), {'norm': 'tensor', 'scale': 'tensor'}),
    'Kmeans': (1, ('k', 'dim', 'scale', 'weight', 'gradWeight', 'loss', 'clusterSampleCount'), {}),
    'SparseLinear': (1, ('doGradInput',) + _PARAMETERS, {'gradInput': 'table'}),
    # temporal
    'TemporalMaxPooling': (1, ('kW', 'dW'), {}),
    'TemporalSubSampling': (1, ('inputFrameSize', 'kW', 'dW') + _PARAMETERS, {}),
    'TemporalDynamicKMaxPooling': (1, ('minK', 'factor'), {}),
    'TemporalRowConvolution': (1, ('inputFrameSize', 'kW', 'dW', 'featFirst') + _PARAMETERS, {}),
    # spatial
    'SpatialDilatedMaxPooling': (1, _POOLING + ('dilationW', 'dilationH'), {'indices': 'long'}),
    'SpatialMaxUnpooling': (1, ('pooling',), {}),
    'SpatialUpSamplingBilinear': (1, ('owidth', 'oheight', 'scale_factor'), {'inputSize': 'sizes4',
                                                                             'outputSize': 'sizes4'}),
    'SpatialSubSampling': (1, ('nInputPlane', 'kW', 'kH', 'dW', 'dH') + _PARAMETERS, {}),
    'SpatialConvolutionLocal': (1, ('nInputPlane', 'nOutputPlane', 'kW', 'kH', 'iW', 'iH', 'dW', 'dH', 'padW',
                                    'padH', 'oW', 'oH') + _PARAMETERS, {}),
    'SpatialConvolutionMap': (1, ('kW', 'kH', 'dW', 'dH', 'connTable', 'nInputPlane', 'nOutputPlane') + _PARAMETERS,
                              {}),
    'SpatialFullConvolutionMap': (1, ('kW', 'kH', 'dW', 'dH', 'connTable', 'nInputPlane', 'nOutputPlane')
                                  + _PARAMETERS, {}),
    'SpatialDepthWiseConvolution': (1, _CONVOLUTION + _PARAMETERS, {}),
    'SpatialFractionalMaxPooling': (1, ('poolSizeW', 'poolSizeH', 'newRandomPool', 'outW', 'outH', 'ratioW',
                                        'ratioH', 'randomSamples'), {}),
    'SpatialAdaptiveMaxPooling': (1, ('W', 'H'), {}), 'SpatialAdaptiveAveragePooling': (1, ('W', 'H'), {}),
    'PixelShuffle': (1, ('upscaleFactor', 'upscaleFactorSquared'), {}),
    'UpSampling': (1, ('mode', 'odepth', 'owidth', 'oheight', 'scale_factor'), {'inputSize': 'sizes5',
                                                                               'outputSize': 'sizes5'}),
    # volumetric
    'VolumetricConvolution': (1, _VOLUMETRIC + _PARAMETERS, {}),
    'VolumetricDilatedConvolution': (1, _VOLUMETRIC + ('dilationT', 'dilationW', 'dilationH') + _PARAMETERS, {}),
    'VolumetricFullConvolution': (1, _VOLUMETRIC + ('adjT', 'adjW', 'adjH') + _PARAMETERS,
                                  {'ones': 'tensor', 'finput': 'tensor', 'fgradInput': 'tensor'}),
    # VolumetricMaxPooling.lua's __version = 2 (ceil_mode came then); luaT gives every class its own __version 1,
    # which torch.version reads with a rawget, so VolumetricDilatedMaxPooling is written as version 1
    'VolumetricMaxPooling': (2, _VOLUMETRIC_POOLING + ('padT', 'padW', 'padH', 'ceil_mode'), {'indices': 'long'}),
    'VolumetricDilatedMaxPooling': (1, _VOLUMETRIC_POOLING + ('padT', 'padW', 'padH', 'ceil_mode', 'dilationT',
                                                              'dilationW', 'dilationH'), {'indices': 'long'}),
    'VolumetricAveragePooling': (1, _VOLUMETRIC_POOLING, {}),
    'VolumetricFractionalMaxPooling': (1, ('poolSizeT', 'poolSizeW', 'poolSizeH', 'newRandomPool', 'outT', 'outW',
                                           'outH', 'ratioT', 'ratioW', 'ratioH', 'randomSamples'), {}),
    'VolumetricMaxUnpooling': (1, ('pooling',), {}),
    'VolumetricBatchNormalization': (2, _NORMALIZATION, {}),
    'VolumetricReplicationPadding': (1, ('pleft', 'pright', 'ptop', 'pbottom', 'pfront', 'pback'), {}),
    'FeatureLPPooling': (1, ('width', 'stride', 'power', 'batch_mode'), {}),
    # Sequentials in Lua (_CHILDREN)
    'TanhShrink': (1, (), {}), 'CReLU': (1, ('nInputDims', 'inplace'), {}), 'Maxout': (1, (), {}),
    'LayerNormalization': (1, (), {}), 'SpatialLPPooling': (1, ('kW', 'kH', 'dW', 'dH'), {}),
    'SpatialSubtractiveNormalization': (1, ('nInputPlane', 'kernel'), {}),
    'SpatialDivisiveNormalization': (1, ('nInputPlane', 'kernel', 'threshold', 'thresval'), {}),
    'SpatialContrastiveNormalization': (1, ('nInputPlane',), {}),
    'PartialLinear': (1, ('inputsize', 'outputsize'), {}),
    'IndexLinear': (1, ('normalize', 'weight', 'bias', 'gradBias', 'doGradInput'),
                    {'gradWeight': 'tensor', 'gradWeightBuffer': 'tensor', 'valuesBuffer': 'tensor',
                     'normalizedValues': 'tensor', 'sizesCache': 'table', 'cumSumSizesCache': 'table'}),
    # Convert.lua builds its converter module on the first forward (modules stays empty until then)
    'Convert': (1, ('inputShape', 'outputShape', 'inputBatchDim', 'outputBatchDim', 'nInputDim', 'nOutputDim',
                    'transposition'), {'modules': 'table'}),
    # the rnn package's simple modules (its LookupTableMaskZero is a LookupTable of nIndex + 1 rows)
    'LinearNoBias': (1, ('weight', 'gradWeight'), {}),
    'LookupTableMaskZero': (1, ('weight', 'gradWeight', 'paddingValue', 'maxNorm', 'normType',
                                'shouldScaleGradByFreq'), {'_count': 'int', '_input': 'long'}),
    'SAdd': (1, ('addend', 'negate'), {}), 'CopyGrad': (1, (), {}),
    'ExpandAs': (1, (), {'sum1': 'tensor', 'sum2': 'tensor'}),
    # Copy.lua keeps its types as those of its output and gradInput (_copy)
    'Copy': (1, ('dontCast',), {}),
})
for _name in ('Identity', 'Tanh', 'Sigmoid', 'SoftMax', 'LogSoftMax', 'SoftMin', 'LogSigmoid', 'Abs', 'Square',
              'Exp', 'Log', 'CMulTable', 'CSubTable', 'CDivTable', 'Contiguous', 'SpatialSoftMax', 'SpatialLogSoftMax',
              'SoftSign', 'ZeroGrad', 'CAddTensorTable'):
    FIELDS[_name] = (1, (), {})
# the classes nngraph defines (node:split(1) makes a JustElement); the others are nn's
_PACKAGES = {'JustElement': 'nngraph', 'JustTable': 'nngraph'}
# the criterions' and the wrapping containers' entries live in their family files (criterions.py, wrappers.py)
for _family in (criterions, wrappers):
    FIELDS.update(_family.FIELDS)


def _maxout(m, new):
    """Maxout.lua is a Sequential of Linear, View and Max; the Linear holds the module's own parameters."""
    linear = new('Linear', m.weight.size(1), m.weight.size(0))
    linear.weight, linear.bias, linear.gradWeight, linear.gradBias = m.weight, m.bias, m.gradWeight, m.gradBias
    view = new('View', m.maxoutNumber, m.outputSize)
    view.setNumInputDims(1)
    return {'modules': [linear, view, new('Max', 0, 2)]}


def _layer_normalization(m, new):
    """LayerNormalization.lua is a Sequential; with affine, its CMul and Add hold the module's gain and bias."""
    mean = new('Sequential').add(new('Mean', 0, 1)).add(new('Replicate', m.nOutput, 0, 1))
    modules = [new('ConcatTable').add(new('Identity')).add(mean), new('CSubTable'), new('Normalize', 2, m.eps),
               new('MulConstant', m.nOutput ** 0.5)]
    if m.affine:
        gain, bias = new('CMul', m.nOutput), new('Add', m.nOutput, False)
        gain.weight, gain.gradWeight, bias.bias, bias.gradBias = m.weight, m.gradWeight, m.bias, m.gradBias
        modules += [gain, bias]
    return {'modules': modules}


def _lp_pooling(m, new):
    """SpatialLPPooling.lua is a Sequential: x^p, average pooling, times the window size, then the 1/p power."""
    power = [new('Square'), new('Sqrt')] if m.pnorm == 2 else [new('Power', m.pnorm), new('Power', 1 / m.pnorm)]
    return {'modules': [power[0], new('SpatialAveragePooling', m.kW, m.kH, m.dW, m.dH),
                        new('MulConstant', m.kW * m.kH), power[1]]}


def _estimator(m, new, std):
    """The meanestimator (std: stdestimator) SpatialSubtractiveNormalization.lua and SpatialDivisiveNormalization.lua
    build: zero padding, a convolution summing the planes with the kernel (a 1-D kernel: SpatialConvolutionMap
    along the width, then SpatialConvolution along the height), the sum replicated over the planes."""
    n, k = m.nInputPlane, m.kernel
    kh = k.size(0)
    kw = k.size(1) if k.dim() == 2 else kh
    seq = new('Sequential')
    if std:
        seq.add(new('Square'))
    seq.add(new('SpatialZeroPadding', kw // 2, kw // 2, kh // 2, kh // 2))
    if k.dim() == 2:
        conv = new('SpatialConvolution', n, 1, kw, kh)
        conv.weight.copy(k.view(1, 1, kh, kw).expand(1, n, kh, kw))
        seq.add(conv)
    else:
        one_to_one = TENSOR_CLASSES['LongTensor']([[i, i] for i in range(n)])   # nn.tables.oneToOne(n), 0-based
        rows, conv = new('SpatialConvolutionMap', one_to_one, kh, 1), new('SpatialConvolution', n, 1, 1, kh)
        rows.weight.copy(k.view(1, 1, kh).expand(n, 1, kh))
        rows.bias.zero()
        conv.weight.copy(k.view(1, 1, kh, 1).expand(1, n, kh, 1))
        seq.add(rows).add(conv)
    conv.bias.zero()
    seq.add(new('Replicate', n, 0, 3))
    if std:
        seq.add(new('Sqrt'))
    return seq


def _partial_linear(m, new):
    """PartialLinear.lua keeps its weight in a LookupTable of its network (the module's ``network``), its bias as a
    row (the module's too), and its partition as 1-based column numbers (``allcolumns`` itself when all are used),
    in the default tensor type."""
    columns = arange(1, m.outputsize + 1, tensortype=m.weight.type())
    partition = m.partition.type(m.weight.type()).add(1)
    full = partition.nElement() == m.outputsize and bool((partition.array == columns.array).all())
    fields = {'network': m.network, 'allcolumns': columns, 'partition': columns if full else partition}
    if m.bias is not None:
        fields.update(bias=m.bias, gradBias=m.gradBias)
    return fields


def _divisive(m, new):
    return {'meanestimator': _estimator(m, new, False), 'stdestimator': _estimator(m, new, True),
            'normalizer': new('CDivTable'), 'divider': new('CDivTable'),
            'thresholder': new('Threshold', m.threshold, m.thresval), 'coef': m.kernel.new(1, 1, 1).zero()}


# classes whose Lua constructor makes modules that legonn's computes in one module: field -> those modules, built
# (by ``new(class name, *arguments)``, in the module's type) as the Lua constructor builds them
_CHILDREN = {
    'TanhShrink': lambda m, new: {'tanh': new('Tanh')},
    'CReLU': lambda m, new: {'modules': [new('ConcatTable').add(new('Identity')).add(new('MulConstant', -1)),
                                         new('JoinTable', 1), new('ReLU', m.inplace)]},
    'Maxout': _maxout, 'LayerNormalization': _layer_normalization, 'SpatialLPPooling': _lp_pooling,
    'SpatialSubtractiveNormalization': lambda m, new: {
        'meanestimator': _estimator(m, new, False), 'subtractor': new('CSubTable'), 'divider': new('CDivTable'),
        'coef': m.kernel.new(1, 1, 1).zero()},
    'SpatialDivisiveNormalization': _divisive, 'PartialLinear': _partial_linear,
    # IndexLinear.lua's offset is added to its 1-based keys: keysOffset - 1; its running state starts empty
    'IndexLinear': lambda m, new: {
        'inputSize': m.weight.size(0), 'outputSize': m.weight.size(1) - m.normalize, 'weightDecay': m.weightDecay,
        'offset': m.keysOffset - 1, 'running': {'cumSumSizes': [], 'keys': [], 'gradWeight': [], 'counter': 1}},
    # Lua's kernel is one tensor that both inner modules normalise in place: the divisive one's, last
    'SpatialContrastiveNormalization': lambda m, new: {
        'kernel': m.divisive.kernel, 'threshold': m.divisive.threshold, 'thresval': m.divisive.thresval,
        'normalizer': new('Sequential').add(m.subtractive).add(m.divisive)},
    **criterions.CHILDREN,
}
# Lua field -> legonn attribute, where the Lua name is a Python keyword
_PYTHON_NAMES = {'lambda': 'lambda_'}


# buffer kind (FIELDS) -> its maker, given the tensor class of the module's type
_MAKERS = {
    'tensor': lambda empty: empty(), 'zero': lambda empty: empty(1).zero(), 'one': lambda empty: empty(1).fill(1),
    'pair': lambda empty: [empty(), empty()], 'zero_pair': lambda empty: [empty(1).zero(), empty(1).zero()],
    'long': lambda empty: TENSOR_CLASSES['LongTensor'](), 'int': lambda empty: TENSOR_CLASSES['IntTensor'](),
    'float': lambda empty: TENSOR_CLASSES['FloatTensor'](), 'byte': lambda empty: TENSOR_CLASSES['ByteTensor'](),
    'sizes': lambda empty: LongStorage(), 'sizes4': lambda empty: LongStorage([0] * 4),
    'sizes5': lambda empty: LongStorage([0] * 5), 'table': lambda empty: [],
}


def is_module(v):
    """Whether ``v`` is a legonn Module or Criterion (what ``NnObjects.of`` turns into a Torch object)."""
    return isinstance(v, Typed)


class NnObjects:
    """Makes (once per module, so a module held twice is one Lua object) the TorchObject of each module."""

    def __init__(self):
        self.classes = module_classes()
        self.made = {}     # id(module) -> TorchObject
        self._alive = []   # the modules of ``made``, kept so their ids stay theirs

    def of(self, module, where):
        found = self.made.get(id(module))
        if found is not None:
            return found
        name = type(module).__name__
        if name == 'gModule' and self.classes.get(name) is type(module):
            return self._graph(module, where)
        spec = FIELDS.get(name)
        if spec is None or self.classes.get(name) is not type(module):
            registered = torch_name(type(module))
            if registered is not None:
                return self._registered(module, registered, where)
            raise TypeError(f"legonn.save_lua: {where} is a {type(module).__module__}.{type(module).__qualname__}, "
                            "which save_lua cannot write as a Torch7 nn object (docs/t7.md lists the classes it "
                            "can; a class of your own is written once registered under its Torch7 name, "
                            "legonn.register(cls, 'nn.MyLayer'); lg.save keeps every module)")
        version, names, buffers = spec
        obj, short, where = self._object(module, f"{_PACKAGES.get(name, 'nn')}.{name}", version, where)
        state = module.__dict__
        empty = TENSOR_CLASSES[short]
        criterion = name in criterions.CRITERIONS
        obj['output'] = 0 if criterion else ([] if isinstance(state.get('output'), list) else empty())
        obj['gradInput'] = [] if isinstance(state.get('gradInput'), list) else empty()
        if not criterion:   # Torch7's criterions keep neither (their gradInput has the type)
            obj['_type'] = 'torch.' + short
            if 'train' in state:
                obj['train'] = bool(state['train'])
        for key in names:
            obj[key] = self._value(getattr(module, _PYTHON_NAMES.get(key, key), None), f"{where}.{key}")
        children = _CHILDREN.get(name)
        if children is not None:
            def new(cls, *args):
                return self.classes[cls](*args).type(module.type())
            for key, child in children(module, new).items():
                obj[key] = self._value(child, f"{where}.{key}")
        for key, kind in buffers.items():
            obj[key] = _MAKERS[kind](empty)
        for key in INDEX_FIELDS.get(name, ()):
            if type(obj.get(key)) is int:   # Transpose's pairs are made by its own helper
                obj[key] = one_based(obj[key])
        special = _SPECIAL.get(name)
        if special is not None:
            special(module, obj, where)
        return obj

    def _registered(self, module, lua_class, where):
        """A module of a class registered under a Torch7 name: every field as it is (an index field too), nested
        modules as their objects, ``output`` and ``gradInput`` empty (as after clearState), ``_type`` Torch7's,
        legonn's bookkeeping of the last forward left out."""
        obj, short, where = self._object(module, lua_class, 1, where)
        for key, value in module.__dict__.items():
            if key not in FORWARD_RECORDS:
                obj[key] = self._value(value, f"{where}.{key}")
        for key in ('output', 'gradInput'):
            if isinstance(obj.get(key), Tensor):
                obj[key] = TENSOR_CLASSES[short]()
        obj['_type'] = 'torch.' + short
        return obj

    def _object(self, module, lua_class, version, where):
        """The new, registered TorchObject of ``module``; its tensor type's short name; ``where`` with its class."""
        obj = TorchObject(lua_class, version)
        self.made[id(module)] = obj
        self._alive.append(module)
        return obj, short_name(module.__dict__.get('_type') or module.type()), f"{where} ({type(module).__name__})"

    def _graph(self, module, where):
        """An nngraph gModule: Module's and Container's fields, then the graph (nngraph_objects)."""
        obj, short, where = self._object(module, 'nn.gModule', 1, where)
        obj['_type'] = 'torch.' + short
        if 'train' in module.__dict__:
            obj['train'] = bool(module.train)
        fill_gmodule(module, obj, self.of, where)
        return obj

    def _value(self, v, where):
        """A field's value as Torch7 holds it: modules as their objects, sizes as LongStorages."""
        if is_module(v):
            return self.of(v, where)
        if isinstance(v, list):
            return [self._value(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, tuple):   # sizes kept as a tuple are LongStorages in Torch7
            return LongStorage(list(v))
        return v


def _convolution_mm(module, obj, where):
    """SpatialConvolutionMM keeps its weight (and gradWeight) as nOutputPlane x (nInputPlane * kH * kW)."""
    for key in ('weight', 'gradWeight'):
        t = obj[key]
        if isinstance(t, Tensor) and t.dim() == 4:
            if not t.isContiguous():   # a view would need a copy, which would no longer share its storage
                _refuse(where, f"has a non-contiguous {key}, which nn's 2-D weight cannot view")
            obj[key] = t.view(t.size(0), t.size(1) * t.size(2) * t.size(3))


def _narrow(module, obj, where):
    """legonn's negative offset counts from the end; Narrow.lua's negative index means something else."""
    if obj['index'] < 0:
        _refuse(where, f"has the offset {obj['index']} counted from the end, which Narrow.lua reads otherwise")


def _lookup_table(module, obj, where):
    if obj['paddingValue'] is None:   # Torch7's 0 is no padding
        obj['paddingValue'] = 0


def _mask_zero(module, obj, where):
    """rnn's LookupTableMaskZero masks index 0 itself; the LookupTable it extends is built without padding or a
    maximum norm."""
    for key in ('paddingValue', 'maxNorm'):
        if obj.get(key) is not None:
            _refuse(where, f"has {key} {obj[key]}, which LookupTableMaskZero.lua's constructor never sets")
    obj['paddingValue'] = 0


def _dropout(module, obj, where):
    if getattr(module, 'lazy', False) or getattr(module, 'mono', False):
        _refuse(where, "uses the rnn package's lazy or mono options (torch/nn's Dropout has neither)")


def _transpose(module, obj, where):
    """Transpose.lua keeps its permutations as tables of two 1-based dimensions, and counts none from the end."""
    if any(d < 0 for pair in module.permutations for d in pair):
        _refuse(where, f"has the permutations {module.permutations}, counted from the end, which Transpose.lua "
                       "cannot hold")
    obj['permutations'] = [[one_based(a), one_based(b)] for a, b in module.permutations]


def _not_from_the_end(*keys):
    """A refusal of the index fields that count from the end in legonn, where the Lua class does not."""
    def check(module, obj, where):
        for key in keys:
            if obj.get(key) is not None and obj[key] < 0:
                _refuse(where, f"has {key} {obj[key]} counted from the end, which its Lua class cannot hold")
    return check


def _dilated_pooling(module, obj, where):
    """VolumetricMaxPooling:read, which its dilated subclass inherits, clears ceil_mode below version 2."""
    if module.ceil_mode:
        _refuse(where, "has ceil_mode True, which VolumetricMaxPooling:read clears when Torch7 loads this class")


def _gated_linear_unit(module, obj, where):
    """GatedLinearUnit.lua takes a nil dim as the last dimension, and hands any other to THNN as it is."""
    if obj['dim'] == -1:
        obj['dim'] = None
    elif obj['dim'] < 0:
        _refuse(where, f"has the dimension {module.dim} counted from the end, which GatedLinearUnit.lua cannot hold")


def _connection_table(module, obj, where):
    """nn.tables make connection tables of 1-based plane numbers, in the default tensor type."""
    obj['connTable'] = module.connTable.type(module.weight.type()).add(1)


def _depthwise(module, obj, where):
    """SpatialDepthWiseConvolution.lua calls the depth multiplier nOutputPlane, and keeps its weight 2-D."""
    obj['nOutputPlane'] = module.depthwiseMultiplier
    _convolution_mm(module, obj, where)


def _constants(**fields):
    """Fields the Lua constructor sets to a value legonn's module has no setting for."""
    def set_fields(module, obj, where):
        obj.update(fields)
    return set_fields


def _copy(module, obj, where):
    """Copy.lua's types are those of the output and gradInput it makes; with equal types and no forceCopy it
    replaces its updateOutput and updateGradInput by Lua closures, which only Torch7 can write."""
    if module.passThrough:
        _refuse(where, "passes its input through (equal types, no forceCopy), for which Copy.lua keeps Lua functions")
    obj['output'] = tensor_class(module.output.type())()
    obj['gradInput'] = tensor_class(module.gradInput.type())()


def _neutral(*names):
    """A refusal of the settings legonn's class has and the Lua one does not, unless at their neutral values."""
    def check(module, obj, where):
        for name, neutral in names:
            if getattr(module, name, neutral) != neutral:
                _refuse(where, f"has {name} {getattr(module, name)}, which its Torch7 class does not have")
    return check


_SPECIAL = {'SpatialConvolutionMM': _convolution_mm, 'Narrow': _narrow,
            'LookupTable': _lookup_table, 'LookupTableMaskZero': _mask_zero,
            'Dropout': _dropout,
            'Copy': _copy, 'Transpose': _transpose, 'GatedLinearUnit': _gated_linear_unit,
            'VolumetricDilatedMaxPooling': _dilated_pooling,
            'Squeeze': _not_from_the_end('dim'),
            'Unsqueeze': _not_from_the_end('pos'), 'Index': _not_from_the_end('dimension'),
            'Padding': _not_from_the_end('dim', 'index'), 'SpatialConvolutionMap': _connection_table,
            'SpatialFullConvolutionMap': _connection_table, 'SpatialDepthWiseConvolution': _depthwise,
            'VolumetricAveragePooling': _neutral(('padT', 0), ('padW', 0), ('padH', 0), ('dilationT', 1),
                                                  ('dilationW', 1), ('dilationH', 1)),
            # Clamp is a HardTanh in Lua, whose updateOutput hands THNN its inplace flag
            'Clamp': _constants(inplace=False), 'Euclidean': _constants(fastBackward=True),
            # SparseLinear.lua's constructor: weightDecay 0, sparseUpdate NO_LAST_INPUT (0)
            'SparseLinear': _constants(weightDecay=0, sparseUpdate=0),
            'VolumetricMaxPooling': _neutral(('dilationT', 1), ('dilationW', 1), ('dilationH', 1)),
            **criterions.SPECIAL, **wrappers.SPECIAL}
