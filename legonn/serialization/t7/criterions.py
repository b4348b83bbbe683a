"""torch/nn's criterions in ``.t7`` files, both directions (the tables modules.py and nn_objects.py merge in).

``ARGUMENTS``: per Torch7 class, legonn's constructor arguments from the saved fields (a ``modules._Fields``),
with each Lua constructor's defaults for fields a file may lack; ``FINISH``: what is done after construction
(a MultiCriterion's or ParallelCriterion's criterions, added with their weights; ClassNLLCriterion's
ignoreIndex). ``FIELDS``: per legonn class, the Torch7 class version, the fields its Lua constructor sets and
the buffers it makes (nn_objects.FIELDS's format); ``CHILDREN``: the modules its Lua constructor makes
(nn_objects._CHILDREN's); ``SPECIAL``: the fields that need more than a copy. ``CRITERIONS``: the classes that
are Lua criterions (``output`` 0, no ``train``); CriterionTable and L1Penalty are nn modules in Lua, kept here as
in nn's docs.
"""
from ...tensor.storage import DoubleStorage, Storage
from .refusals import refuse

_NO_IGNORED = -100   # ClassNLLCriterion's default ignoreIndex in Lua and legonn: no class is skipped


def _size_average(f):
    return (f.flag('sizeAverage', True),)


def _weights_and_size_average(f):
    return (f.tensor('weights'), f.flag('sizeAverage', True))


def _margin(default):
    return lambda f: (f.number('margin', default),)


def _inner_nll(f):
    """The fields of a CrossEntropyCriterion's ClassNLLCriterion, which keeps its weights, sizeAverage and
    ignoreIndex."""
    nll = f.get('nll')
    return type(f)(nll if isinstance(nll, dict) else {}, f.where + '.nll', f.converter)


def _cross_entropy(f):
    return _weights_and_size_average(_inner_nll(f))


def _ignore_index(criterion, f):
    """ClassNLLCriterion.lua's ignoreIndex (absent from files older than it: -100, its default) is a 1-based label:
    THNN takes TH_INDEX_BASE from it as from each target before comparing them, so Lua's 0 skips the padding
    target 0 (legonn's -1) and Lua's 1 the first class (legonn's 0). The default, which skips no class in either,
    stays -100. Set after construction, as the constructor refuses a 0 meant as Torch7's padding label."""
    lua = f.int('ignoreIndex', -100)
    criterion.ignoreIndex = lua if lua == _NO_IGNORED else lua - 1


def _cross_entropy_ignore_index(criterion, f):
    _ignore_index(criterion.nll, _inner_nll(f))


def _size_average_after(criterion, f):
    """The sizeAverage of a criterion whose Lua constructor takes none and sets it true (_AVERAGING): a file
    keeps the value the program set on it afterwards."""
    criterion.sizeAverage = f.flag('sizeAverage', True)


def _entries(f, key):
    """A Lua list field as a list (an empty Lua table reads as an empty dict)."""
    v = f.get(key)
    if isinstance(v, Storage):   # MultiCriterion's weights are a DoubleStorage
        v = v.data.tolist()
    if isinstance(v, dict) and not v:
        v = []
    if not isinstance(v, list):
        raise f.fail(f"field {key!r} must be a list, got {type(v).__name__}")
    return v


def _add_criterions(criterion, f):
    """MultiCriterion.lua and ParallelCriterion.lua keep their criterions and, at the same positions, weights."""
    weights = _entries(f, 'weights')
    count = len(_entries(f, 'criterions'))
    if len(weights) != count or not all(type(w) in (int, float) for w in weights):
        raise f.fail(f"expected a number weight for each of its {count} criterions, got {weights!r}")
    for k, weight in enumerate(weights):
        criterion.add(f.module('criterions', k), weight)


ARGUMENTS = {
    'ClassNLLCriterion': _weights_and_size_average,
    'CrossEntropyCriterion': _cross_entropy,
    'SpatialClassNLLCriterion': _weights_and_size_average,
    'BCECriterion': _weights_and_size_average,
    'MultiLabelSoftMarginCriterion': _weights_and_size_average,
    'MSECriterion': _size_average, 'AbsCriterion': _size_average, 'SmoothL1Criterion': _size_average,
    'SoftMarginCriterion': lambda f: (), 'DistKLDivCriterion': lambda f: (),
    'MultiLabelMarginCriterion': lambda f: (), 'DistanceRatioCriterion': _size_average,
    'SpatialAutoCropMSECriterion': _size_average,
    'MarginCriterion': _margin(1), 'HingeEmbeddingCriterion': _margin(1), 'CosineEmbeddingCriterion': _margin(0),
    'MarginRankingCriterion': _margin(1),
    'L1HingeEmbeddingCriterion': lambda f: (f.number('margin', 1),),
    'MultiMarginCriterion': lambda f: (f.int('p', 1), f.tensor('weights'), f.number('margin', 1)),
    'WeightedMSECriterion': lambda f: (f.tensor('weight', True),),
    'ClassSimplexCriterion': lambda f: (f.int('nClasses'),),
    'L1Cost': lambda f: (),
    'MultiCriterion': lambda f: (),
    'ParallelCriterion': lambda f: (f.flag('repeatTarget'),),   # nil unless given
    'ModuleCriterion': lambda f: (f.module('criterion'), f.module('inputModule', required=False),
                                  f.module('targetModule', required=False), f.flag('castTarget', True)),
    'CriterionTable': lambda f: (f.module('criterion'),),
    # L1Penalty.lua: sizeAverage = sizeAverage or false
    'L1Penalty': lambda f: (f.number('l1weight'), f.flag('sizeAverage'), f.flag('provideOutput', True)),
}
# the classes whose Lua constructor reads no sizeAverage (it sets it true): legonn's take none either
_AVERAGING = ('SoftMarginCriterion', 'DistKLDivCriterion', 'MultiLabelMarginCriterion', 'MarginCriterion',
              'HingeEmbeddingCriterion', 'CosineEmbeddingCriterion', 'MarginRankingCriterion', 'MultiMarginCriterion',
              'WeightedMSECriterion', 'ClassSimplexCriterion')
FINISH = {'MultiCriterion': _add_criterions, 'ParallelCriterion': _add_criterions,
          'ClassNLLCriterion': _ignore_index, 'CrossEntropyCriterion': _cross_entropy_ignore_index,
          **{name: _size_average_after for name in _AVERAGING}}

_SIZE_AVERAGE = ('sizeAverage',)
_WEIGHTED = ('weights', 'sizeAverage')
_MARGIN = ('margin', 'sizeAverage')
# THNN reads the one value of output_tensor and total_weight_tensor (ClassNLLCriterion.lua's torch.zeros(1) and
# torch.ones(1)): written with that one element, not empty
_NLL_BUFFERS = {'output_tensor': 'zero', 'total_weight_tensor': 'one', 'target': 'long'}
FIELDS = {
    # ignoreIndex: ClassNLLCriterion.lua passes it to THNN on every call
    'ClassNLLCriterion': (1, _WEIGHTED + ('ignoreIndex',), _NLL_BUFFERS),
    'SpatialClassNLLCriterion': (1, _WEIGHTED, _NLL_BUFFERS),
    'CrossEntropyCriterion': (1, ('lsm', 'nll', 'sizeAverage'), {}),
    'BCECriterion': (1, _WEIGHTED, {}),
    'MultiLabelSoftMarginCriterion': (1, _WEIGHTED, {}),
    'MSECriterion': (1, _SIZE_AVERAGE, {}), 'AbsCriterion': (1, _SIZE_AVERAGE, {}),
    'SmoothL1Criterion': (1, _SIZE_AVERAGE, {}), 'SoftMarginCriterion': (1, _SIZE_AVERAGE, {}),
    'DistKLDivCriterion': (1, _SIZE_AVERAGE, {}), 'DistanceRatioCriterion': (1, _SIZE_AVERAGE, {}),
    'SpatialAutoCropMSECriterion': (1, _SIZE_AVERAGE, {}),
    'MultiLabelMarginCriterion': (1, _SIZE_AVERAGE, {'isTarget': 'tensor'}),
    'MarginCriterion': (1, _MARGIN, {}), 'HingeEmbeddingCriterion': (1, _MARGIN, {}),
    # the Lua constructors' gradInput, a table of two tensors; MarginRankingCriterion.lua sets gradInput[1][1] for
    # one pair: its constructor's tensors hold one element
    'CosineEmbeddingCriterion': (1, _MARGIN, {'gradInput': 'pair'}),
    'MarginRankingCriterion': (1, _MARGIN, {'gradInput': 'zero_pair'}),
    'L1HingeEmbeddingCriterion': (1, ('margin',), {'gradInput': 'pair'}),
    'MultiMarginCriterion': (1, ('p', 'margin') + _WEIGHTED, {}),
    'WeightedMSECriterion': (1, ('weight', 'sizeAverage'), {}),
    'ClassSimplexCriterion': (1, ('nClasses', 'simplex', 'sizeAverage'), {'_target': 'tensor'}),
    'L1Cost': (1, (), {}),
    'MultiCriterion': (1, ('criterions', 'weights'), {}),
    'ParallelCriterion': (1, ('criterions', 'weights', 'repeatTarget'), {}),
    'ModuleCriterion': (1, ('criterion', 'inputModule', 'targetModule', 'castTarget'), {}),
    'CriterionTable': (1, ('criterion',), {}),
    'L1Penalty': (1, ('l1weight', 'sizeAverage', 'provideOutput'), {}),
}
CRITERIONS = frozenset(FIELDS) - {'CriterionTable', 'L1Penalty'}


def _class_nll_fields(module, obj, where):
    """ignoreIndex as ClassNLLCriterion.lua keeps it: a 1-based label (see _ignore_index)."""
    if obj['ignoreIndex'] != _NO_IGNORED:
        obj['ignoreIndex'] += 1


def _cross_entropy_fields(module, obj, where):
    """CrossEntropyCriterion.lua hands sizeAverage to its ClassNLLCriterion when it differs from the last one
    it handed, oldSizeAverage (its constructor's sizeAverage)."""
    obj['oldSizeAverage'] = obj['sizeAverage']


def _number_weights(module, obj, where):
    bad = [w for w in obj['weights'] if isinstance(w, bool) or not isinstance(w, (int, float))]
    if bad:
        refuse(where, f"has the weight {bad[0]!r}, where its Lua class keeps a number")


def _multi_criterion(module, obj, where):
    """MultiCriterion.lua keeps its weights in a DoubleStorage."""
    _number_weights(module, obj, where)
    obj['weights'] = DoubleStorage([float(w) for w in obj['weights']])


def _module_criterion(module, obj, where):
    """ModuleCriterion.lua's constructor does not call Criterion's: no output or gradInput until a call."""
    del obj['output'], obj['gradInput']


def _criterion_table(module, obj, where):
    """CriterionTable.lua's gradInput is a table holding its criterion's gradInput (the same tensor; none for a
    ModuleCriterion before its first call)."""
    grad = obj['criterion'].get('gradInput')
    obj['gradInput'] = [] if grad is None else [grad]


# the modules the Lua constructors make (nn_objects._CHILDREN's format): MultiLabelSoftMarginCriterion.lua's
# nn.Sigmoid, which its updateOutput runs
CHILDREN = {'MultiLabelSoftMarginCriterion': lambda m, new: {'sigmoid': new('Sigmoid')}}

SPECIAL = {
    'ClassNLLCriterion': _class_nll_fields, 'CrossEntropyCriterion': _cross_entropy_fields,
    'MultiCriterion': _multi_criterion, 'ParallelCriterion': _number_weights,
    'ModuleCriterion': _module_criterion, 'CriterionTable': _criterion_table,
}
