"""legonn modules as the objects Torch7's ``nn`` keeps: for ``save_lua``, each module becomes a ``TorchObject`` of
its Lua class (``nn.Linear``, ...) holding the fields that class's Lua constructor gives it, with index fields
made 1-based (indices.INDEX_FIELDS, the table the reader uses too). The buffers are written empty, as after
Torch7's ``clearState()``; parameters, gradients and running statistics are the module's own tensors, so
tensors that share a storage (``clone('weight', 'bias')``, ``share``) are written as one storage.

A gModule becomes nngraph's ``nn.gModule`` (nngraph_objects). A class left out of ``FIELDS``, or a module whose
state Torch7's class cannot hold (a legonn-only option), is a TypeError naming where the module is and its class:
nothing is approximated.
"""
from ...modules.base.typed import Typed
from ...tensor.storage import LongStorage
from ...tensor.tensor import TENSOR_CLASSES, Tensor
from ...tensor.types import short_name
from ..classes import module_classes
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
# buffers Torch7's constructor makes: field -> 'tensor' (the module's type), 'zero' or 'one' (one of the module's
# type holding 0 or 1), 'long' or 'int' (a LongTensor, an IntTensor) or 'sizes' (a LongStorage))
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
    'Reshape': (1, ('size', 'nelement', 'batchMode'), {'_input': 'tensor', '_gradOutput': 'tensor'}),
    'JoinTable': (1, ('dimension', 'nInputDims'), {'size': 'sizes'}),
    'SplitTable': (1, ('dimension', 'nInputDims'), {}),
    'SelectTable': (1, ('index',), {}), 'NarrowTable': (1, ('offset', 'length'), {}),
    'Narrow': (1, ('dimension', 'index', 'length'), {}),
    'CAddTable': (1, ('inplace',), {}),
    'LookupTable': (1, ('weight', 'gradWeight', 'paddingValue', 'maxNorm', 'normType', 'shouldScaleGradByFreq'),
                    {'_count': 'int', '_input': 'long'}),
}
for _name in ('Identity', 'Tanh', 'Sigmoid', 'SoftMax', 'LogSoftMax', 'SoftMin', 'LogSigmoid', 'Abs', 'Square',
              'Exp', 'Log', 'CMulTable', 'CSubTable', 'CDivTable', 'JustElement', 'JustTable'):
    FIELDS[_name] = (1, (), {})
# the classes nngraph defines (node:split(1) makes a JustElement); the others are nn's
_PACKAGES = {'JustElement': 'nngraph', 'JustTable': 'nngraph'}
# the criterions' and the wrapping containers' entries live in their family files (criterions.py, wrappers.py)
for _family in (criterions, wrappers):
    FIELDS.update(_family.FIELDS)


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
            raise TypeError(f"legonn.save_lua: {where} is a {type(module).__module__}.{type(module).__qualname__}, "
                            "which save_lua cannot write as a Torch7 nn object (docs/t7.md lists the classes it "
                            "can; lg.save keeps every module)")
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
            obj[key] = self._value(getattr(module, key, None), f"{where}.{key}")
        makers = {'tensor': empty, 'zero': lambda: empty(1).zero(), 'one': lambda: empty(1).fill(1),
                  'long': TENSOR_CLASSES['LongTensor'], 'int': TENSOR_CLASSES['IntTensor'], 'sizes': LongStorage}
        for key, kind in buffers.items():
            obj[key] = makers[kind]()
        for key in INDEX_FIELDS.get(name, ()):
            if obj.get(key) is not None:
                obj[key] = one_based(obj[key])
        special = _SPECIAL.get(name)
        if special is not None:
            special(module, obj, where)
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
        if isinstance(v, tuple):   # sizes (View's, Reshape's) are LongStorages in Torch7
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


def _reshape(module, obj, where):
    """Reshape.lua's constructor fills ``batchsize`` with 1 then the sizes, and a batch-mode updateOutput only
    sets its first entry before viewing the input with it."""
    obj['batchsize'] = LongStorage([1] + list(obj['size']))


def _lookup_table(module, obj, where):
    if obj['paddingValue'] is None:   # Torch7's 0 is no padding
        obj['paddingValue'] = 0


def _dropout(module, obj, where):
    if getattr(module, 'lazy', False) or getattr(module, 'mono', False):
        _refuse(where, "uses the rnn package's lazy or mono options (torch/nn's Dropout has neither)")


def _just_element(module, obj, where):
    """JustElement.lua's updateGradInput sets gradInput[1]: its constructor makes gradInput a table."""
    obj['gradInput'] = []


def _just_table(module, obj, where):
    """JustTable.lua's updateOutput sets output[1]: its constructor makes output a table."""
    obj['output'] = []


_SPECIAL = {'JustElement': _just_element, 'JustTable': _just_table, 'SpatialConvolutionMM': _convolution_mm,
            'Narrow': _narrow, 'Reshape': _reshape, 'LookupTable': _lookup_table, 'Dropout': _dropout,
            **criterions.SPECIAL, **wrappers.SPECIAL}
