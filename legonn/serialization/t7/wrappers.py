"""torch/nn's containers that wrap one module, and the table modules that go with them (Bottle, MapTable,
Decorator, DontCast, NaN, WeightNorm; ZipTable, ZipTableOneToMany, MixtureTable) in ``.t7`` files, both
directions, in the formats of criterions.py's tables (which modules.py and nn_objects.py merge in too).

The wrapped module is Lua's ``modules[1]`` (MapTable's ``module`` too); legonn's constructors take it, and
modules.py adds the saved ``modules`` beyond it (MapTable's clones) as saved.
"""
from ...tensor import tensor_class
from ...tensor.storage import LongStorage
from ...tensor.tensor import Tensor
from ...tensor.types import short_name
from .refusals import refuse


def _wrapped(f):
    return f.module('modules', 0)


def _dont_cast_arguments(f):
    castout, module_type = f.get('castout'), f.get('moduleType')
    if not isinstance(module_type, (str, type(None))):
        raise f.fail(f"field 'moduleType' must be a tensor type name, got {module_type!r}")
    return (_wrapped(f), f.flag('castin'), None if castout is None else f.flag('castout'), module_type)


def _weight_norm(f):
    """WeightNorm:write leaves out the wrapped module's weight and gradWeight, which WeightNorm:read makes again
    in weightSize (then computes from v and g): so here, before the module is built."""
    inner, v = f.get('modules'), f.tensor('v', True)
    inner = inner[0] if isinstance(inner, list) and inner and isinstance(inner[0], dict) else None
    if inner is not None and inner.get('weight') is None:
        sizes = f.sizes('weightSize')
        inner['weight'], inner['gradWeight'] = v.new(*sizes).zero(), v.new(*sizes).zero()
    return (_wrapped(f), f.index('outputDim', 1))


def _weight_norm_finish(module, f):
    """The wrapped module's weight computed from the saved v and g (modules._TENSOR_FIELDS copies them), as
    WeightNorm:read does."""
    module.updateWeight()


ARGUMENTS = {
    'Decorator': lambda f: (_wrapped(f),),
    'Bottle': lambda f: (_wrapped(f), f.int('nInputDim', 2), f.optional_int('nOutputDim')),
    'MapTable': lambda f: (f.module('module'), f.flag('shared', True)),
    'DontCast': _dont_cast_arguments,
    'NaN': lambda f: (_wrapped(f), f.int('id')),
    'WeightNorm': _weight_norm,
    'ZipTable': lambda f: (), 'ZipTableOneToMany': lambda f: (),
    'MixtureTable': lambda f: (None if f.get('dim') is None else f.index('dim'),),   # nil: chosen per input
}
FINISH = {'WeightNorm': _weight_norm_finish}

FIELDS = {
    'Decorator': (1, ('modules',), {}),
    'Bottle': (1, ('modules', 'nInputDim', 'nOutputDim'), {}),
    'MapTable': (1, ('modules', 'module', 'shared'), {}),
    'DontCast': (1, ('modules', 'castin', 'castout', 'moduleType'), {}),
    'NaN': (1, ('modules', 'id'), {}),
    'WeightNorm': (1, ('modules', 'outputDim', 'v', 'g', 'gradV', 'gradG'), {'_norm': 'tensor'}),
    'ZipTable': (1, (), {}),
    'ZipTableOneToMany': (1, (), {'gradInputEl': 'tensor'}),
    'MixtureTable': (1, ('dim',), {'size': 'sizes', 'size2': 'sizes'}),
}


def _bottle(module, obj, where):
    """Bottle.lua's constructor: dimDelta, and the inShape/outShape tensors (one entry per dimension) its
    updateOutput copies sizes into."""
    obj['dimDelta'] = module.nInputDim - module.nOutputDim
    tensor = tensor_class(obj['_type'])
    obj['inShape'], obj['outShape'] = tensor(module.nInputDim).zero(), tensor(module.nOutputDim).zero()


def _map_table(module, obj, where):
    obj['sharedparams'] = list(module.shared_names)


def _dont_cast_type(module, obj, where):
    obj['moduleType'] = 'torch.' + short_name(module.moduleType)


def _mixture_table(module, obj, where):
    if module.dim is not None and module.dim < 0:
        refuse(where, f"has the dimension {module.dim} counted from the end, which MixtureTable.lua cannot hold")
    obj['batchSize'], obj['backwardSetup'] = 0, False


def _weight_norm_fields(module, obj, where):
    """WeightNorm.lua's fields (its write leaves out weight and gradWeight, the module's too): the module's
    bias and gradBias (the same tensors), the weight's sizes, the 2-D view the norms are taken in and the
    weight's sizes with outputDim first."""
    inner = obj['modules'][0]
    if not isinstance(inner.get('weight'), Tensor):
        refuse(where, "wraps a module whose weight is not written")
    sizes = tuple(module.modules[0].weight.size())
    del inner['weight']
    inner.pop('gradWeight', None)
    for key in ('bias', 'gradBias'):
        if isinstance(inner.get(key), Tensor):
            obj[key] = inner[key]
    out = list(sizes)
    out.insert(0, out.pop(module.outputDim))
    obj['weightSize'], obj['viewOut'] = LongStorage(list(sizes)), LongStorage(out)
    obj['viewIn'], obj['otherDims'] = LongStorage(list(module.v.size())), module.v.size(1)
    # updateWeight copies g into _scale, which must hold as many values (its constructor's Tensor(viewIn[1]))
    obj['_scale'] = tensor_class(obj['_type'])(module.v.size(0)).zero()


SPECIAL = {'Bottle': _bottle, 'MapTable': _map_table, 'DontCast': _dont_cast_type, 'MixtureTable': _mixture_table,
           'WeightNorm': _weight_norm_fields}
