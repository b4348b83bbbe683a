"""Turning Torch7 ``nn.*`` objects (as read: ``TorchObject``s of raw fields) into legonn modules.

Each Torch7 class maps to the legonn class of the same name, built through its
constructor from the saved fields (so every check of the constructor runs),
then given the saved parameters. Index-valued fields are converted from
Torch7's 1-based convention to legonn's 0-based one (dimensions, SelectTable
indices, LookupTable's paddingValue, ...); negative ones count from the end in
both. Classes without a clear counterpart are refused with a ``FormatError``
naming them; ``load_lua(..., convert=False)`` still gives their raw fields.
"""
from ...tensor.storage import Storage, allocation_budget
from ...tensor.tensor import Tensor
from ...tensor.types import getdefaulttensortype, short_name
from ..archive import FormatError
from ..classes import module_classes, torch_class
from ..decode import device_type_name
from . import criterions, wrappers
from .graph import graph_module
from .indices import INDEX_FIELDS
from .reader import TorchObject

_BUSY = object()
# parameters and running statistics copied into the built module when both sides have them
_TENSOR_FIELDS = ('weight', 'bias', 'gradWeight', 'gradBias', 'running_mean', 'running_var',
                  'diagCov', 'gradDiagCov',          # WeightedEuclidean's
                  'v', 'gradV', 'g', 'gradG',        # LinearWeightNorm's and WeightNorm's direction and gain
                  'clusterSampleCount')              # Kmeans's


class _Fields:
    """Typed access to one saved object's fields, with errors that name the object and the field."""

    def __init__(self, obj, where, converter=None):
        self.obj, self.where, self.converter = obj, where, converter

    def fail(self, what):
        return FormatError(f"{self.where}: {what}")

    def get(self, key, default=None):
        return self.obj.get(key, default)

    def _typed(self, key, default, types, what):
        v = self.obj.get(key, default)
        if type(v) not in types:
            raise self.fail(f"field {key!r} must be {what}, got {v!r}")
        return v

    def int(self, key, default=None):
        return self._typed(key, default, (int,), 'a whole number')

    def number(self, key, default=None):
        return self._typed(key, default, (int, float), 'a number')

    def string(self, key, default=None):
        return self._typed(key, default, (str,), 'a string')

    def flag(self, key, default=False):
        return self._typed(key, default, (bool,), 'a boolean')

    def index(self, key, default=None):
        """A 1-based Torch7 index or dimension as legonn's 0-based one (negative ones are kept)."""
        self._listed(key)
        return self._zero_based(self.int(key, default), key)

    def _listed(self, key):
        """The writer makes 1-based exactly the fields INDEX_FIELDS lists: reading any other as an index would
        make the two directions disagree."""
        if key not in INDEX_FIELDS.get(_nn_name(self.obj), ()):
            raise LookupError(f"{self.where}: field {key!r} is read as an index but indices.INDEX_FIELDS does not "
                              "list it")

    def _zero_based(self, v, key):
        if type(v) is not int or v == 0:
            raise self.fail(f"field {key!r} holds {v!r}, which is no Torch7 (1-based) index")
        return v - 1 if v > 0 else v

    def optional_int(self, key):
        return None if self.obj.get(key) is None else self.int(key)

    def tensor(self, key, required=False):
        v = self.obj.get(key)
        if (v is not None or required) and not isinstance(v, Tensor):
            raise self.fail(f"field {key!r} must be a tensor, got {type(v).__name__}")
        return v

    def pairs(self, key):
        """A list of pairs of 1-based dimensions (Transpose's permutations) made 0-based."""
        self._listed(key)
        v = self.obj.get(key)
        if not isinstance(v, list) or not all(isinstance(p, list) and len(p) == 2 for p in v):
            raise self.fail(f"field {key!r} must be a list of pairs of dimensions, got {v!r}")
        return [(self._zero_based(a, key), self._zero_based(b, key)) for a, b in v]

    def module(self, key, position=None, required=True):
        """The legonn module (or criterion) built from the nn object a field holds (entry ``position``, 0-based,
        of a list field); None for an absent one that is not ``required``."""
        v = self.obj.get(key)
        what = key if position is None else f"{key}[{position + 1}]"
        if position is not None:
            v = v[position] if isinstance(v, list) and 0 <= position < len(v) else None
        if v is None and not required:
            return None
        if not self.converter.is_module(v):
            kind = v.typename if isinstance(v, TorchObject) else type(v).__name__
            raise self.fail(f"field {what!r} must hold an nn object, got {kind}")
        return self.converter.module(v)

    def child(self, *indices):
        """The fields of a module in ``modules`` (``child(0, 1)``: modules[0].modules[1], 0-based)."""
        return self._descend(self, indices)

    def child_of(self, key, *indices):
        """The fields of the module in field ``key`` (PartialLinear's network), or of one in its modules."""
        held = self.get(key)
        if not isinstance(held, TorchObject):
            raise self.fail(f"field {key!r} must hold the module its Lua constructor makes, got {held!r}")
        return self._descend(_Fields(held, f"{self.where}.{key}", self.converter), indices)

    def _descend(self, fields, indices):
        for i in indices:
            children = fields.get('modules')
            if not isinstance(children, list) or i >= len(children) or not isinstance(children[i], TorchObject):
                raise self.fail(f"expected the modules its Lua constructor makes, found no module {i} in "
                                f"{fields.where}'s modules")
            fields = _Fields(children[i], f"{fields.where}.modules[{i}]", self.converter)
        return fields

    def sizes(self, key):
        """A LongStorage/LongTensor/list of sizes as a tuple of ints."""
        v = self.obj.get(key)
        if isinstance(v, Tensor):
            v = v.array.tolist()
        elif isinstance(v, Storage):
            v = v.data.tolist()
        if not isinstance(v, list) or not all(type(n) is int for n in v):
            raise self.fail(f"field {key!r} must hold sizes, got {v!r}")
        return tuple(v)


class Keywords(dict):
    """Keyword arguments, when an ARGUMENTS entry ends its tuple with them."""


def _pooling(f):
    return (f.int('kW'), f.int('kH'), f.int('dW', 1), f.int('dH', 1), f.int('padW', 0), f.int('padH', 0))


def _convolution(f):
    pad = f.int('padding', 0)   # files from before padW/padH had one 'padding'
    return (f.int('nInputPlane'), f.int('nOutputPlane'), f.int('kW'), f.int('kH'), f.int('dW', 1), f.int('dH', 1),
            f.int('padW', pad), f.int('padH', pad))


def _batch_normalization(f):
    mean = f.tensor('running_mean')
    if mean is None:
        raise f.fail("has no running_mean")
    affine = f.tensor('weight') is not None
    return (mean.nElement(), f.number('eps', 1e-5), f.number('momentum', 0.1), affine)


def _narrow(f):
    """Narrow.lua (at its last revision) reads a negative index as "from the first element, all but ``length``
    of them" (index = 1, length = size - length), where legonn's negative offset counts from the end: such a
    module is built as offset 0 with the negative length that keeps as many elements."""
    dimension, index, length = f.index('dimension'), f.int('index'), f.int('length', 1)
    if index > 0:
        return dimension, index - 1, length
    if index == 0 or length == 0:
        raise f.fail(f"Narrow's index {index} and length {length} select nothing")
    if length > 0:   # size - length elements from the start: legonn's length -(length + 1) from offset 0
        return dimension, 0, -length - 1
    # a negative length first becomes size - index + length + 2, then size minus that: index - length - 2
    if index - length - 2 <= 0:
        raise f.fail(f"Narrow's index {index} and length {length} select nothing")
    return dimension, 0, index - length - 2


def _padding(f):
    return (f.int('pad_l'), f.int('pad_r'), f.int('pad_t'), f.int('pad_b'))


def _no_args(f):
    return ()


def _weight_sizes(f):
    return tuple(f.tensor('weight', True).size())


def _connection_map(f):
    """nn.tables's 1-based plane numbers as legonn's 0-based LongTensor."""
    table = f.tensor('connTable', True)
    if table.dim() != 2 or table.size(1) != 2 or (table.nElement() and table.min() < 1):
        raise f.fail(f"field 'connTable' must hold rows of two 1-based plane numbers, got sizes {tuple(table.size())}")
    return (table.long().add(-1), f.int('kW'), f.int('kH'), f.int('dW', 1), f.int('dH', 1))


def _volumetric(f):
    return (f.int('nInputPlane'), f.int('nOutputPlane'), f.int('kT'), f.int('kW'), f.int('kH'), f.int('dT', 1),
            f.int('dW', 1), f.int('dH', 1), f.int('padT', 0), f.int('padW', 0), f.int('padH', 0))


def _volumetric_pooling(f):
    return (f.int('kT'), f.int('kW'), f.int('kH'), f.int('dT'), f.int('dW'), f.int('dH'))


def _fractional(f, axes):
    """Pool sizes, then the output sizes if the file has them, else the ratios."""
    sizes = tuple(f.int('poolSize' + a) for a in axes)
    if f.get('out' + axes[0]) is not None:
        return sizes + tuple(f.int('out' + a) for a in axes)
    return sizes + tuple(f.number('ratio' + a) for a in axes)


def _upsampling_size(f, axes):
    """The scale factor, or (Lua's params table) the output sizes."""
    if f.get('scale_factor') is not None:
        return f.int('scale_factor')
    return {'o' + a: f.int('o' + a) for a in axes if a != 'depth' or f.get('odepth') is not None}


def _maxout(f):
    """Maxout.lua's Sequential of Linear(inputSize, outputSize * maxoutNumber), View(maxoutNumber, outputSize), Max;
    one made with a preprocess module has it before the Max, which legonn's Maxout has no place for."""
    if len(f.get('modules') or ()) > 3:
        raise f.fail("holds a preprocess module before its Max (Maxout.lua's fourth argument), which legonn's Maxout "
                     "has no place for; pass load_lua(path, converters={'nn.Maxout': function(fields) -> module}), "
                     "e.g. building the Sequential the fields hold")
    maxoutNumber, outputSize = f.child(1).sizes('size')
    return (f.child(0).tensor('weight', True).size(1), outputSize, maxoutNumber)


def _layer_normalization(f):
    """LayerNormalization.lua's Sequential: its Replicate has nOutput, its Normalize eps; CMul and Add follow when
    affine."""
    return (f.child(0, 1, 1).int('nfeatures'), 0, f.child(2).number('eps'), len(f.get('modules')) > 4)


def _lp_pooling(f):
    """SpatialLPPooling.lua keeps no plane count (read as 1, which legonn only records); its first module is Square
    (p = 2) or Power(p)."""
    first = f.child(0)
    pnorm = 2 if first.obj.typename == 'nn.Square' else first.number('pow')
    return (1, pnorm, f.int('kW'), f.int('kH'), f.int('dW'), f.int('dH'))


def _copy(f):
    """Copy.lua keeps its types as those of its output and gradInput; without the closures of an equal-types Copy
    (which the reader refuses as Lua functions) it copies, as legonn's forceCopy does."""
    intype, outtype = (short_name(f.tensor(key, True).type()) for key in ('gradInput', 'output'))
    return ('torch.' + intype, 'torch.' + outtype, True, f.flag('dontCast'))


# classes whose Lua object holds modules that legonn's computes in one module: the tensors of those modules that
# are the legonn module's parameters (the modules themselves are not added)
_COMPOSITES = {
    'TanhShrink': lambda f: {}, 'CReLU': lambda f: {}, 'SpatialLPPooling': lambda f: {}, 'Convert': lambda f: {},
    'PartialLinear': lambda f: {'weight': f.child_of('network', 0, 1).tensor('weight', True),
                                'gradWeight': f.child_of('network', 0, 1).tensor('gradWeight')},
    'Maxout': lambda f: {k: f.child(0).tensor(k) for k in ('weight', 'bias', 'gradWeight', 'gradBias')},
    'LayerNormalization': lambda f: {} if len(f.get('modules')) <= 4 else {
        'weight': f.child(4).tensor('weight', True), 'gradWeight': f.child(4).tensor('gradWeight'),
        'bias': f.child(5).tensor('bias', True), 'gradBias': f.child(5).tensor('gradBias')},
}


# Torch7 class -> constructor arguments (legonn's order) from the saved fields
ARGUMENTS = {
    # containers (children are added afterwards)
    'Sequential': _no_args, 'ConcatTable': _no_args, 'ParallelTable': _no_args,
    'Concat': lambda f: (f.index('dimension'),),
    'DepthConcat': lambda f: (f.index('dimension'),),
    # a Parallel built without dimensions (only to hold modules for getParameters) saves neither field
    'Parallel': lambda f: tuple(None if f.get(key) is None else f.index(key)
                                for key in ('inputDimension', 'outputDimension')),
    'DataParallelTable': lambda f: (f.index('dimension'), f.flag('flattenParams'), f.flag('usenccl')),
    # parameterised layers
    'Linear': lambda f: (f.tensor('weight', True).size(1), f.tensor('weight', True).size(0),
                         f.tensor('bias') is not None),
    'LinearNoBias': lambda f: (f.tensor('weight', True).size(1), f.tensor('weight', True).size(0)),
    'SpatialConvolution': _convolution, 'SpatialConvolutionMM': _convolution,
    'SpatialFullConvolution': lambda f: _convolution(f) + (f.int('adjW', 0), f.int('adjH', 0)),
    'SpatialDilatedConvolution': lambda f: _convolution(f) + (f.int('dilationW', 1), f.int('dilationH', 1)),
    'TemporalConvolution': lambda f: (f.int('inputFrameSize'), f.int('outputFrameSize'), f.int('kW'), f.int('dW', 1)),
    'BatchNormalization': _batch_normalization, 'SpatialBatchNormalization': _batch_normalization,
    # the padding row is set after construction (setPadding), since a literal 0 there is refused as Torch7's
    # 'no padding'
    'LookupTable': lambda f: (f.tensor('weight', True).size(0), f.tensor('weight', True).size(1), None,
                              f.get('maxNorm'), f.get('normType')),
    'Add': lambda f: (f.tensor('bias', True).nElement(), f.flag('scalar')),
    'Mul': _no_args,
    'CMul': lambda f: tuple(f.tensor('weight', True).size()),
    'PReLU': lambda f: (f.int('nOutputPlane', 0),),
    # pooling and shape
    'SpatialMaxPooling': _pooling, 'SpatialAveragePooling': _pooling,
    'View': lambda f: f.sizes('size'),
    'Reshape': lambda f: f.sizes('size') + (Keywords(batchMode=f.get('batchMode')),),
    'Transpose': lambda f: tuple(f.pairs('permutations')),
    'Squeeze': lambda f: (None if f.get('dim') is None else f.index('dim'), f.optional_int('numInputDims')),
    'Unsqueeze': lambda f: (f.index('pos'), f.optional_int('numInputDims')),
    'Padding': lambda f: (f.index('dim'), f.int('pad'), f.optional_int('nInputDim'), f.number('value', 0),
                          f.index('index', 1)),
    'JoinTable': lambda f: (f.index('dimension'), f.optional_int('nInputDims')),
    'SplitTable': lambda f: (f.index('dimension'), f.optional_int('nInputDims')),
    'SelectTable': lambda f: (f.index('index'),),
    'NarrowTable': lambda f: (f.index('offset'), f.int('length', 1)),
    'Narrow': _narrow,
    'Select': lambda f: (f.index('dimension'), f.index('index')),
    'Replicate': lambda f: (f.int('nfeatures'), f.index('dim', 1), f.optional_int('ndim')),
    'Sum': lambda f: (f.index('dimension', 1), f.optional_int('nInputDims'), f.flag('sizeAverage'),
                      f.flag('squeeze', True)),
    'Mean': lambda f: (f.index('dimension', 1), f.optional_int('nInputDims')),
    'Max': lambda f: (f.index('dimension', 1), f.optional_int('nInputDims')),
    'Min': lambda f: (f.index('dimension', 1), f.optional_int('nInputDims')),
    'SpatialZeroPadding': _padding, 'SpatialReflectionPadding': _padding, 'SpatialReplicationPadding': _padding,
    'SpatialUpSamplingNearest': lambda f: (f.int('scale_factor'),),
    # element-wise
    'ReLU': lambda f: (f.flag('inplace'),),
    'Threshold': lambda f: (f.number('threshold'), f.number('val'), f.flag('inplace')),
    'LeakyReLU': lambda f: (f.number('negval', 0.01), f.flag('inplace')),
    'ELU': lambda f: (f.number('alpha', 1.0), f.flag('inplace')),
    'HardTanh': lambda f: (f.number('min_val', -1), f.number('max_val', 1), f.flag('inplace')),
    'SoftPlus': lambda f: (f.number('beta', 1),),
    'MulConstant': lambda f: (f.number('constant_scalar'), f.flag('inplace')),
    'AddConstant': lambda f: (f.number('constant_scalar'), f.flag('inplace')),
    'Power': lambda f: (f.number('pow'),),
    # torch/nn's stochastic_inference, and the rnn package's lazy and mono (its Dropout.lua)
    'Dropout': lambda f: (f.number('p', 0.5), not f.flag('v2', True), f.flag('inplace'),
                          f.flag('stochastic_inference'), Keywords(lazy=f.flag('lazy'), mono=f.flag('mono'))),
    'Normalize': lambda f: (f.number('p'), f.number('eps', 1e-10)),
    'SpatialCrossMapLRN': lambda f: (f.int('size'), f.number('alpha', 1e-4), f.number('beta', 0.75), f.number('k', 1)),
    'CAddTable': lambda f: (f.flag('inplace'),),
    # the rnn package's: LookupTableMaskZero's weight has the padding row first (its 0, legonn's -1)
    'LookupTableMaskZero': lambda f: (f.tensor('weight', True).size(0) - 1, f.tensor('weight', True).size(1)),
    'SAdd': lambda f: (f.number('addend'), f.flag('negate')),
    'SpatialDropout': lambda f: (f.number('p', 0.5), f.flag('stochastic_inference')),
    'VolumetricDropout': lambda f: (f.number('p', 0.5), f.flag('stochastic_inference')),
    'RReLU': lambda f: (f.number('lower', 1 / 8), f.number('upper', 1 / 3), f.flag('inplace')),
    'WhiteNoise': lambda f: (f.number('mean', 0), f.number('std', 0.1)),
    'Sqrt': lambda f: (f.number('eps', 0),),
    'HardShrink': lambda f: (f.number('lambda', 0.5),), 'SoftShrink': lambda f: (f.number('lambda', 0.5),),
    'Clamp': lambda f: (f.number('min_val'), f.number('max_val')),
    'ReLU6': lambda f: (f.flag('inplace'),),
    # GatedLinearUnit.lua's nil dim is the last one
    'GatedLinearUnit': lambda f: (-1 if f.get('dim') is None else f.index('dim'),),
    # GradientReversal:read sets lambda to 1 in files below its version 2
    'GradientReversal': lambda f: (f.number('lambda', 1) if f.obj.version >= 2 else 1,),
    'Constant': lambda f: (f.tensor('value', True).clone(), f.optional_int('nInputDim')),
    'OneHot': lambda f: (f.int('outputSize'),),
    'Collapse': lambda f: (f.int('nInputDim'),),
    'PrintSize': lambda f: (f.string('prefix', 'PrintSize'),),
    'MM': lambda f: (f.flag('transA'), f.flag('transB')), 'MV': lambda f: (f.flag('trans'),),
    'Index': lambda f: (f.index('dimension'),),
    'PairwiseDistance': lambda f: (f.number('norm', 2),),
    'CAdd': lambda f: tuple(f.tensor('bias', True).size()),
    'Euclidean': _weight_sizes, 'WeightedEuclidean': _weight_sizes,
    'Cosine': lambda f: tuple(reversed(_weight_sizes(f))),
    'Bilinear': lambda f: _weight_sizes(f)[1:] + _weight_sizes(f)[:1] + (f.tensor('bias') is not None,),
    'LinearWeightNorm': lambda f: (f.int('inputSize'), f.int('outputSize'), f.tensor('bias') is not None,
                                   f.number('eps', 1e-16)),
    'Kmeans': lambda f: (f.int('k'), f.int('dim'), f.get('scale')),
    'SparseLinear': lambda f: _weight_sizes(f)[::-1] + (f.flag('doGradInput'),),
    'TemporalMaxPooling': lambda f: (f.int('kW'), f.int('dW')),
    'TemporalSubSampling': lambda f: (f.int('inputFrameSize'), f.int('kW'), f.int('dW', 1)),
    'TemporalDynamicKMaxPooling': lambda f: (f.int('minK'), f.number('factor', 0)),
    'TemporalRowConvolution': lambda f: (f.int('inputFrameSize'), f.int('kW'), f.int('dW', 1), f.flag('featFirst')),
    'SpatialDilatedMaxPooling': lambda f: _pooling(f) + (f.int('dilationW', 1), f.int('dilationH', 1)),
    'SpatialMaxUnpooling': lambda f: (f.module('pooling'),),
    'SpatialUpSamplingBilinear': lambda f: (_upsampling_size(f, ('height', 'width')),),
    'UpSampling': lambda f: (_upsampling_size(f, ('depth', 'height', 'width')), f.string('mode', 'nearest')),
    'SpatialSubSampling': lambda f: (f.int('nInputPlane'), f.int('kW'), f.int('kH'), f.int('dW', 1), f.int('dH', 1)),
    'SpatialConvolutionLocal': lambda f: (f.int('nInputPlane'), f.int('nOutputPlane'), f.int('iW'), f.int('iH'),
                                          f.int('kW'), f.int('kH'), f.int('dW', 1), f.int('dH', 1), f.int('padW', 0),
                                          f.int('padH', 0)),
    'SpatialConvolutionMap': _connection_map, 'SpatialFullConvolutionMap': _connection_map,
    # SpatialDepthWiseConvolution.lua's nOutputPlane is the depth multiplier
    'SpatialDepthWiseConvolution': _convolution,
    'SpatialFractionalMaxPooling': lambda f: _fractional(f, 'WH'),
    'SpatialAdaptiveMaxPooling': lambda f: (f.int('W'), f.int('H')),
    'SpatialAdaptiveAveragePooling': lambda f: (f.int('W'), f.int('H')),
    'PixelShuffle': lambda f: (f.int('upscaleFactor'),),
    'VolumetricConvolution': _volumetric,
    'VolumetricDilatedConvolution': lambda f: _volumetric(f) + (f.int('dilationT', 1), f.int('dilationW', 1),
                                                               f.int('dilationH', 1)),
    'VolumetricFullConvolution': lambda f: _volumetric(f) + (f.int('adjT', 0), f.int('adjW', 0), f.int('adjH', 0)),
    'VolumetricMaxPooling': lambda f: _volumetric_pooling(f) + (f.int('padT', 0), f.int('padW', 0), f.int('padH', 0)),
    'VolumetricDilatedMaxPooling': lambda f: _volumetric_pooling(f) + (
        f.int('padT', 0), f.int('padW', 0), f.int('padH', 0), f.int('dilationT', 1), f.int('dilationW', 1),
        f.int('dilationH', 1)),
    'VolumetricAveragePooling': _volumetric_pooling,
    'VolumetricFractionalMaxPooling': lambda f: _fractional(f, 'TWH'),
    'VolumetricMaxUnpooling': lambda f: (f.module('pooling'),),
    'VolumetricBatchNormalization': _batch_normalization,
    'VolumetricReplicationPadding': lambda f: tuple(f.int(k) for k in ('pleft', 'pright', 'ptop', 'pbottom',
                                                                       'pfront', 'pback')),
    # the saved kernel is normalised already, which the constructor's normalisation leaves as it is
    'SpatialSubtractiveNormalization': lambda f: (f.int('nInputPlane', 1), f.tensor('kernel', True)),
    'SpatialDivisiveNormalization': lambda f: (f.int('nInputPlane', 1), f.tensor('kernel', True),
                                               f.number('threshold', 1e-4), f.number('thresval', 1e-4)),
    'SpatialContrastiveNormalization': lambda f: (f.int('nInputPlane', 1), f.tensor('kernel', True),
                                                  f.number('threshold', 1e-4), f.number('thresval', 1e-4)),
    'PartialLinear': lambda f: (f.int('inputsize'), f.int('outputsize'), f.tensor('bias') is not None),
    'IndexLinear': lambda f: (f.tensor('weight', True).size(0), f.int('outputSize'), f.flag('doGradInput'),
                              f.int('offset', -1) + 1, None, None, f.int('normalize', 0) > 0),
    'Convert': lambda f: (f.string('inputShape', 'b*'), f.string('outputShape', f.get('inputShape', 'b*'))),
    'TanhShrink': _no_args, 'CReLU': lambda f: (f.int('nInputDims'), f.flag('inplace')),
    'Maxout': _maxout, 'LayerNormalization': _layer_normalization, 'SpatialLPPooling': _lp_pooling,
    'Copy': _copy,
    'FeatureLPPooling': lambda f: (f.int('width'), f.int('stride'), f.number('power'), f.flag('batch_mode')),
}
for _name in ('Identity', 'Tanh', 'Sigmoid', 'SoftMax', 'LogSoftMax', 'SoftMin', 'LogSigmoid', 'Abs', 'Square',
              'Exp', 'Log', 'Contiguous', 'FlattenTable', 'CMulTable', 'CSubTable', 'CDivTable', 'SpatialSoftMax',
              'JustElement', 'JustTable', 'CopyGrad', 'ExpandAs', 'SpatialLogSoftMax', 'SoftSign', 'ZeroGrad',
              'MaskedSelect', 'CMaxTable', 'CMinTable', 'CAddTensorTable', 'CosineDistance', 'DotProduct'):
    ARGUMENTS[_name] = _no_args
# the rnn package's step-by-step cells: built from their sizes, then given the parameters (and batch statistics) of
# the step module the file holds (_Cells); the cell makes its own step module and clones
CELLS = {
    'LSTM': lambda f: (f.int('inputSize'), f.int('outputSize'), f.int('rho', 9999), f.flag('cell2gate', True),
                       f.number('p', 0), f.flag('mono')),
    'FastLSTM': lambda f: (f.int('inputSize'), f.int('outputSize'), f.int('rho', 9999), f.get('eps'),
                           f.get('momentum'), f.flag('affine', True), f.number('p', 0), f.flag('mono')),
    'GRU': lambda f: (f.int('inputSize'), f.int('outputSize'), f.int('rho', 9999), f.number('p', 0), f.flag('mono')),
    'MuFuRu': lambda f: (f.int('inputSize'), f.int('outputSize'), f.get('ops'), f.int('rho', 9999)),
    'NormStabilizer': lambda f: (f.number('beta', 1),),
}
ARGUMENTS.update(CELLS)


def _recurrent(f):
    return (f.int('inputSize'), f.int('hiddenSize'), f.int('numLayers'), f.flag('batchFirst'), f.number('dropout', 0))


def _unidirectional(f):
    return _recurrent(f) + (f.flag('rememberStates'),)


_CUDNN_RECURRENT = ('cudnn.RNN', 'cudnn.RNNReLU', 'cudnn.RNNTanh', 'cudnn.LSTM', 'cudnn.GRU', 'cudnn.BLSTM', 'cudnn.BGRU')


def _cudnn_layout(module, fields):
    """The fields cudnn.torch's scripts set after the constructor and before ``reset()`` (RNN.lua reads them into
    its descriptors): ``mode``, ``inputMode``, ``bidirectional``, ``numDirections`` (test/test_rnn.lua's
    bidirectional RNNs; deepspeech.torch's BatchBRNN, a bidirectional ReLU cudnn.RNN with CUDNN_SKIP_INPUT), so
    the flat weight is sized as the saved one before it is read."""
    for key in ('mode', 'inputMode', 'bidirectional'):
        if key in fields.obj:
            setattr(module, key, fields.string(key))
    if 'numDirections' in fields.obj:
        directions = fields.int('numDirections')
        if directions not in (1, 2) or (directions == 2) != (module.bidirectional == 'CUDNN_BIDIRECTIONAL'):
            raise fields.fail(f"numDirections {directions} with bidirectional {module.bidirectional!r}: cuDNN has "
                              "1 direction (CUDNN_UNIDIRECTIONAL) or 2 (CUDNN_BIDIRECTIONAL)")
        module.numDirections = directions
    module.reset()


# cudnn.torch's classes (legonn.cudnn), kept under their Lua names: the same fields as their nn parents, plus
# groups, a padded TemporalConvolution (whose kW is the frame size there) and the recurrent modules' flat weight
ARGUMENTS.update({
    'cudnn.SpatialConvolution': lambda f: _convolution(f) + (f.int('groups', 1),),
    'cudnn.SpatialFullConvolution': ARGUMENTS['SpatialFullConvolution'],
    'cudnn.TemporalConvolution': lambda f: (f.int('inputFrameSize'), f.int('outputFrameSize'), f.int('kH'),
                                            f.int('dH', 1), f.int('padH', 0)),
    'cudnn.SpatialMaxPooling': _pooling, 'cudnn.SpatialAveragePooling': _pooling,
    # cudnn._Pooling3D's fields: nn's VolumetricMaxPooling's, which its average pooling shares (with padding)
    'cudnn.VolumetricMaxPooling': ARGUMENTS['VolumetricMaxPooling'],
    'cudnn.VolumetricAveragePooling': ARGUMENTS['VolumetricMaxPooling'],
    'cudnn.ReLU': ARGUMENTS['ReLU'], 'cudnn.Tanh': ARGUMENTS['ReLU'], 'cudnn.Sigmoid': ARGUMENTS['ReLU'],
    'cudnn.ClippedReLU': lambda f: (f.number('ceiling'), f.flag('inplace')),
    'cudnn.BatchNormalization': _batch_normalization, 'cudnn.SpatialBatchNormalization': _batch_normalization,
    'cudnn.SpatialCrossMapLRN': ARGUMENTS['SpatialCrossMapLRN'],
    'cudnn.SoftMax': _no_args, 'cudnn.LogSoftMax': _no_args, 'cudnn.SpatialSoftMax': _no_args,
    'cudnn.SpatialLogSoftMax': _no_args,
    'cudnn.RNN': _unidirectional, 'cudnn.RNNReLU': _unidirectional, 'cudnn.RNNTanh': _unidirectional,
    'cudnn.LSTM': _unidirectional, 'cudnn.GRU': _unidirectional,
    'cudnn.BLSTM': _recurrent, 'cudnn.BGRU': _recurrent,
})
# the criterions' and the wrapping containers' entries live in their family files (criterions.py, wrappers.py)
for _family in (criterions, wrappers):
    ARGUMENTS.update(_family.ARGUMENTS)


def _partition(module, fields):
    """PartialLinear.lua's partition holds 1-based column numbers."""
    columns = fields.tensor('partition', True)
    if columns.dim() != 1 or columns.nElement() == 0 or columns.min() < 1:
        raise fields.fail(f"field 'partition' must hold 1-based column numbers, got sizes {tuple(columns.size())}")
    ModuleConverter._call(fields, 'module', module.setPartition, columns.long().add(-1))


def _squeeze_after(module, fields):
    """Mean.lua's constructor takes no squeeze (Sum's sets it true): a file keeps the value set afterwards."""
    module.squeeze = fields.flag('squeeze', True)


def _threshold_after(module, fields):
    """SoftPlus.lua's constructor fixes threshold at 20: a file keeps the value set afterwards."""
    module.threshold = float(fields.number('threshold', 20))


# what is done after construction, from the fields (a composite criterion's children and weights, ...)
FINISH = {**criterions.FINISH, **wrappers.FINISH, 'PartialLinear': _partition, 'Mean': _squeeze_after,
          'SoftPlus': _threshold_after}
# boolean flags Torch7 sets by method calls after construction (ceil(), setCountIncludePad(), scaleGradByFreq(), ...)
_FLAGS = ('ceil_mode', 'count_include_pad', 'divide', 'shouldScaleGradByFreq', 'newRandomPool')


class ModuleConverter:
    """Replaces, throughout a loaded value, each ``nn.*`` (or ``cudnn.*``) TorchObject by the legonn module it
    describes."""

    def __init__(self, name, cuda=False, converters=None):
        self.name, self.cuda = name, cuda
        self.converters = dict(converters or {})
        self.classes = module_classes()   # Torch7 class name -> legonn class
        self.done = {}       # id(TorchObject) -> module
        self.visited = set()

    def convert(self, value):
        if self.is_module(value):
            return self.module(value)
        if id(value) in self.visited or not isinstance(value, (list, dict)):
            return value
        self.visited.add(id(value))
        if isinstance(value, list):
            value[:] = [self.convert(v) for v in value]
        else:
            for k, v in list(value.items()):
                value[k] = self.convert(v)
        return value

    def is_module(self, value):
        return isinstance(value, TorchObject) and (_nn_name(value) is not None or value.typename in self.converters
                                                   or torch_class(value.typename) is not None)

    def module(self, obj):
        found = self.done.get(id(obj))
        if found is _BUSY:
            raise FormatError(f"{self.name}: {obj.typename} contains itself")
        if found is not None:
            return found
        self.done[id(obj)] = _BUSY
        name = _nn_name(obj)
        where = f"{self.name}: {obj.typename}"
        if obj.typename in self.converters:
            module = self._user(obj, where)
        elif (registered := torch_class(obj.typename)) is not None:
            module = self._registered(registered, obj, where)
        elif name == 'gModule':
            module = graph_module(obj, self, where)
        else:
            module = self._build(name, obj, _Fields(obj, where, self))
        if obj.typename not in self.converters:
            _keep_plain_fields(module, obj)
        self.done[id(obj)] = module
        return module

    def _user(self, obj, where):
        """A module from the caller's converter for this class: given the raw fields, nested ones converted."""
        for k, v in list(obj.items()):
            obj[k] = self.convert(v)
        module = self.converters[obj.typename](obj)
        if not hasattr(module, 'updateOutput'):
            raise TypeError(f"legonn.load_lua: the converter for {obj.typename} returned a "
                            f"{type(module).__name__}, not a module")
        return module

    def _registered(self, cls, obj, where):
        """An object of the class registered under this Torch7 name, made as torch.load makes it: no constructor
        runs (a module gets only legonn's base state, as ``cls.__new__`` gives it), then every saved field,
        nested ones converted, is set on it as it is (an index field stays as the file has it); ``_type`` names
        the type its tensors have here."""
        for k, v in list(obj.items()):
            if not isinstance(k, str):
                raise FormatError(f"{where}: has the field {k!r:.60}, which is no name for an attribute")
            obj[k] = self.convert(v)
        made = cls.__new__(cls)
        made.__dict__.update(obj)
        typename = _tensor_type(obj, self.cuda)
        if typename is not None and isinstance(obj.get('_type'), str):
            made._type = typename
        return made

    @staticmethod
    def _call(fields, made, method, *args, **keywords):
        """``method(*args, **keywords)``, a refusal becoming the FormatError that names the file's object."""
        try:
            return method(*args, **keywords)
        except FormatError:
            raise
        except (TypeError, ValueError, AttributeError) as err:
            raise fields.fail(f"its saved fields do not make a legonn {made}: {err}") from None

    def _build(self, name, obj, fields):
        arguments, cls = ARGUMENTS.get(name), self.classes.get(name)
        if arguments is None or cls is None:
            raise fields.fail("legonn has no counterpart it can build from a Torch7 file for this class; pass "
                              "load_lua(path, converters={class name: function(fields) -> module}), or "
                              "load_lua(path, convert=False) for the raw fields")
        saved_elements = 0
        for key in _TENSOR_FIELDS + ('running_std', 'randomSamples'):
            # the constructor sizes the module's parameters from these tensors' sizes, and they are copied into
            # it (converted, made contiguous): a view that repeats its storage's elements (stride 0, overlapping
            # rows) would make a file of a few hundred bytes build gigabytes, which Torch7 never held (it reads
            # the view, no copy)
            saved = fields.tensor(key)
            if saved is not None and saved.nElement() > saved.storage().size():
                raise fields.fail(f"{key} has sizes {tuple(saved.size())} and strides {tuple(saved.stride())}: "
                                  f"{saved.nElement()} values viewing a storage of {saved.storage().size()}, not a "
                                  f"tensor of its own")
            saved_elements += 0 if saved is None else saved.nElement()
        args, keywords = arguments(fields), {}
        if args and isinstance(args[-1], Keywords):
            args, keywords = args[:-1], args[-1]
        # the constructor allocates what the fields' numbers (nInputPlane, kW, ...) ask before its parameters are
        # compared with the saved ones: a budget of four times the saved tensors' elements (weight, gradient,
        # bias and its gradient, for a file that dropped the gradients) plus 16M for parameter-free modules'
        # buffers refuses a crafted size (a kilobyte asking for 335 GiB) before memory is touched
        with allocation_budget(4 * saved_elements + (1 << 24), f"a {name} built from its fields"):
            module = self._call(fields, name, cls, *args, **keywords)
            if name in _CUDNN_RECURRENT:
                self._call(fields, name, _cudnn_layout, module, fields)
        if name in _COMPOSITES:
            obj.update({k: v for k, v in _COMPOSITES[name](fields).items() if v is not None})
        typename = _tensor_type(obj, self.cuda)
        if typename is not None and hasattr(module, 'type') and name != 'Copy':   # Copy's types are its own
            module.type(typename)
        if obj.get('bias') is None and isinstance(getattr(module, 'bias', None), Tensor) and 'weight' in obj:
            if not hasattr(module, 'noBias'):
                raise fields.fail(f"has no bias, and a legonn {name} cannot do without one")
            module.noBias()   # Torch7's noBias() leaves bias nil
        if name in CELLS:
            _cell_state(module, fields)
            return module
        self._parameters(module, obj, fields, typename)
        if name in ('VolumetricMaxPooling', 'VolumetricDilatedMaxPooling') and obj.version < 2:
            obj['ceil_mode'] = False   # as VolumetricMaxPooling:read (the dilated class's too) does
        if name in ('SpatialFractionalMaxPooling', 'VolumetricFractionalMaxPooling'):
            # the pooling regions' samples, which the next forward keeps when the regions are fixed
            samples = fields.tensor('randomSamples')
            module.randomSamples = None if samples is None else samples.type(typename or samples.type())
        for flag in _FLAGS:
            if flag in obj and hasattr(module, flag):
                setattr(module, flag, fields.flag(flag))
        if 'train' in obj and hasattr(module, 'train'):
            module.train = fields.flag('train')
        if name == 'IndexLinear':
            module.weightDecay = fields.number('weightDecay', 0)   # read by its updates (IndexLinear.c)
        if name == 'View' and obj.get('numInputDims') is not None:
            module.setNumInputDims(fields.int('numInputDims'))
        if name == 'LookupTable' and fields.int('paddingValue', 0) != 0:   # Torch7's 0: no padding
            self._call(fields, 'module', module.setPadding, fields.index('paddingValue'))
        # a composite's inner modules are legonn's one module; a container whose constructor took the first
        # child (a Decorator's module, MapTable's) keeps the rest, the ones the saved module made from it
        # (MapTable's clones), as saved
        children = () if name in _COMPOSITES else (obj.get('modules') or ())
        if children and getattr(module, 'modules', None):
            module.modules.extend(fields.module('modules', k) for k in range(len(module.modules), len(children)))
            children = ()
        if name == 'DataParallelTable':
            # cunn's __write keeps the first replica only: the module, on the (1-based) GPU ids listed
            gpus = obj.get('gpuAssignments')
            if not isinstance(children, list) or len(children) != 1 or not self.is_module(children[0]) \
                    or not isinstance(gpus, list) or not all(type(g) is int and g >= 1 for g in gpus):
                raise fields.fail("expected one nn module in modules and a list of Torch7 (1-based) GPU ids in "
                                  f"gpuAssignments, got {gpus!r}")
            self._call(fields, name, module.add, self.module(children[0]), [g - 1 for g in gpus])
            children = ()
        for child in children:
            if not self.is_module(child):
                kind = child.typename if isinstance(child, TorchObject) else type(child).__name__
                raise fields.fail(f"holds a {kind} among its modules, which is no nn class; pass load_lua(path, "
                                  f"converters={{'{kind}': function(fields) -> module}}) for your own classes")
            module.add(self.module(child))
        finish = FINISH.get(name)
        if finish is not None:
            self._call(fields, name, finish, module, fields)
        return module

    def _parameters(self, module, obj, fields, typename):
        if _nn_name(obj) in ('BatchNormalization', 'SpatialBatchNormalization', 'cudnn.BatchNormalization',
                             'cudnn.SpatialBatchNormalization') and 'running_std' in obj \
                and 'running_var' not in obj:
            # files from before nn kept running_var stored 1/sqrt(var + eps)
            std = fields.tensor('running_std')
            obj['running_var'] = std.clone().pow(-2).add(-fields.number('eps', 1e-5))
        for key in _TENSOR_FIELDS:
            saved, own = fields.tensor(key), getattr(module, key, None)
            if not isinstance(own, Tensor) or saved is None or (key.startswith('grad') and saved.nElement() == 0):
                continue   # gradients are often emptied before saving, to make files smaller
            if saved.nElement() != own.nElement():
                raise fields.fail(f"{key} holds {saved.nElement()} values (sizes {tuple(saved.size())}), a legonn "
                                  f"{type(module).__name__} built from its fields has {own.nElement()} "
                                  f"(sizes {tuple(own.size())})")
            if typename is not None and saved.type() != typename:
                saved = saved.type(typename)
            if tuple(saved.size()) != tuple(own.size()):   # e.g. SpatialConvolutionMM's 2-D weight
                saved = saved.contiguous().view(*own.size())
            setattr(module, key, saved)


def _keep_plain_fields(module, obj):
    """The tables a Lua program put on a container of its own, kept as attributes: torch.load gives back the
    module's whole table, and torch/tutorials' classify.lua reads ``net.transform`` (the preprocessing's mean
    and std) from the loaded network. Only non-empty tables of plain values (numbers, strings, booleans,
    nested tables) under names the built container lacks: the nn classes keep their own state in numbers,
    flags and tables too (IndexLinear's ``running``), under Lua names legonn may spell otherwise, and their
    private fields start with '_'."""
    if not isinstance(getattr(module, 'modules', None), list):
        return
    for key, value in obj.items():
        if isinstance(key, str) and key.isidentifier() and not key.startswith('_') \
                and isinstance(value, (list, dict)) and value and _is_plain(value, set()) \
                and not hasattr(module, key):
            setattr(module, key, value)


def _is_plain(value, seen):
    """Whether ``value`` holds nothing but numbers, strings and booleans, in lists and tables (no tensor,
    storage, module or other Torch object); a table met twice (a cycle) is not plain."""
    if isinstance(value, (bool, int, float, str)):
        return True
    if not isinstance(value, (list, dict)) or isinstance(value, TorchObject) or id(value) in seen:
        return False
    seen.add(id(value))
    return all(_is_plain(v, seen) for v in (value.values() if isinstance(value, dict) else value))


def _saved_parameters(obj):
    """The tensors Module:parameters() gives for a saved module, in its order: a container's children's in
    turn, else its weight and bias; and its BatchNormalizations' running statistics."""
    children = obj.get('modules')
    if 'modules' not in obj:
        return ([obj[k] for k in ('weight', 'bias') if isinstance(obj.get(k), Tensor)],
                [obj[k] for k in ('running_mean', 'running_var') if isinstance(obj.get(k), Tensor)])
    params, stats = [], []
    for child in children if isinstance(children, list) else ():
        if isinstance(child, TorchObject):
            p, s = _saved_parameters(child)
            params += p
            stats += s
    return params, stats


def _copy_saved(fields, mine, saved, what):
    if len(mine) != len(saved):
        raise fields.fail(f"its {what} holds {len(saved)} tensors, the legonn cell built from its fields {len(mine)}")
    for k, (own, t) in enumerate(zip(mine, saved)):
        if t.nElement() != own.nElement():
            raise fields.fail(f"tensor {k} of its {what} has sizes {tuple(t.size())}, the legonn cell's "
                              f"{tuple(own.size())}")
        own.copy(t.contiguous().view(*own.size()))


def _cell_state(cell, fields):
    """Give a cell built from a file's fields the parameters and batch statistics of the step module it saved
    (``recurrentModule``), in Module:parameters() order: the Lua's nn step modules are built as legonn's are; a
    step module saved inside MaskZero or TrimZero (the cell's maskZero(n), trimZero(n)) is decorated again.
    A FastLSTM saved with ``usenngraph`` has a gModule there, whose module order is the graph's: its maps are
    read from the ``i2g`` and ``o2g`` fields instead (with ``FastLSTM.bn`` the batch normalisations cannot be
    told apart that way, and such a file is refused)."""
    saved = fields.get('recurrentModule')
    if not isinstance(saved, TorchObject):
        raise fields.fail("has no saved step module (recurrentModule)")
    step = saved
    decorate = {'nn.MaskZero': 'maskZero', 'nn.TrimZero': 'trimZero'}.get(saved.typename)
    if decorate is not None:   # cell:maskZero(n) / cell:trimZero(n) wrapped the step module
        getattr(cell, decorate)(_Fields(saved, fields.where).int('nInputDim'))
        inner = saved.get('modules')
        step = inner[0] if isinstance(inner, list) and inner and isinstance(inner[0], TorchObject) else None
        if step is None:
            raise fields.fail(f"has a {saved.typename} step module without the module it decorates")
    if step.typename == 'nn.gModule':
        graph_modules = step.get('modules') if isinstance(step.get('modules'), list) else []
        if type(cell).__name__ != 'FastLSTM':
            raise fields.fail("has an nngraph gModule as its step module, which only FastLSTM (usenngraph) saves")
        if any(isinstance(m, TorchObject) and m.typename == 'nn.BatchNormalization' for m in graph_modules):
            raise fields.fail("is a FastLSTM with batch normalisation (FastLSTM.bn) saved as an nngraph gModule, "
                              "whose three BatchNormalizations legonn cannot tell apart")
        pairs = [(cell.i2g, fields.get('i2g')), (cell.o2g, fields.get('o2g'))]
    else:
        pairs = [(cell.recurrentModule, saved)]
    for mine, theirs in pairs:
        if not isinstance(theirs, TorchObject):
            raise fields.fail("lacks the i2g or o2g module of its step module")
        params, stats = _saved_parameters(theirs)
        _copy_saved(fields, mine.parameters()[0], params, 'step module\'s parameters')
        norms = mine.findModules('nn.BatchNormalization')[0]
        _copy_saved(fields, [t for m in norms for t in (m.running_mean, m.running_var)], stats,
                    'batch normalisation statistics')
    if fields.get('train') is False:
        cell.evaluate()


# nngraph's own modules, which legonn keeps in nn: node:split(1) saves an nngraph.JustElement
_NNGRAPH_MODULES = {'nngraph.JustElement': 'JustElement', 'nngraph.JustTable': 'JustTable'}


def _nn_name(obj):
    """'Linear' for an nn.Linear object, 'gModule' for nn.gModule, 'JustElement' for nngraph.JustElement,
    'cudnn.ReLU' for a cudnn.ReLU; None for anything else."""
    typename = obj.typename if isinstance(obj, TorchObject) else None
    if typename in _NNGRAPH_MODULES:
        return _NNGRAPH_MODULES[typename]
    if typename in ARGUMENTS and typename.startswith('cudnn.'):
        return typename   # legonn.cudnn's classes go by their Lua name
    return typename[3:] if typename and typename.startswith('nn.') else None


def _tensor_type(obj, cuda):
    """The legonn tensor type an object's tensors should have: its parameters', else its ``_type`` (a criterion's
    gradInput's), on the device loaded to; a module saved without either (older nn files have no ``_type``)
    keeps legonn's default type, on the GPU its CUDA twin."""
    for key in ('weight', 'weights', 'bias', 'running_mean'):
        if isinstance(obj.get(key), Tensor):
            return obj[key].type()
    saved = obj.get('_type')
    grad = obj.get('gradInput')
    grad = grad[0] if isinstance(grad, list) and grad else grad
    if not isinstance(saved, str) and _nn_name(obj) in criterions.CRITERIONS and isinstance(grad, Tensor):
        saved = grad.type()   # Torch7's criterions keep no _type: Criterion:type converts their gradInput
    if not isinstance(saved, str):
        return 'legonn.' + device_type_name(short_name(getdefaulttensortype()), True) if cuda else None
    try:
        short = short_name(saved)
    except (TypeError, KeyError, ValueError):
        return None
    return 'legonn.' + device_type_name(short, cuda)
