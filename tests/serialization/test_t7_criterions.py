"""Criterions and wrapping containers in .t7 files (legonn/serialization/t7/criterions.py and wrappers.py): each
class saved as Torch7's constructor leaves it (its Lua file's field names and defaults, 1-based indices, Torch7's
DoubleTensor) loads as the legonn module the same constructor arguments give; save_lua writes the fields the Lua
code reads without a nil check; nested criterions keep their children and weights, a shared child written once;
what Torch7's classes cannot hold is refused."""
import io

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.serialization import FormatError
from legonn.serialization.t7 import criterions, wrappers
from legonn.serialization.t7.reader import TorchObject
from tests.criterions.criterion_checks import summing

from .test_t7_module_writer import assert_same_passes, round_trip

Double, Long = lg.DoubleTensor, lg.LongTensor


def _values(shape, seed=0, positive=False):
    return Double(np.random.RandomState(seed).uniform(0.1 if positive else -1, 1, shape))


def _pairs(*shapes):
    """Tensors of the shapes given (of the first shape twice when only one is given), seeded apart."""
    shapes = shapes * 2 if len(shapes) == 1 else shapes
    return [_values(shape, k + 1) for k, shape in enumerate(shapes)]


def _signs(shape):
    return Double(np.where(np.random.RandomState(3).uniform(-1, 1, shape) < 0, -1.0, 1.0))


def lua_criterion(name, **fields):
    """An nn criterion as its Lua constructor leaves it: Criterion.__init's gradInput and output, then the
    class's own fields."""
    return _bare(name, **{'gradInput': Double(), 'output': 0, **fields})


def lua_module(name, **fields):
    """An nn module as its Lua constructor leaves it: Module.__init's fields, then the class's own."""
    return _bare(name, **{'gradInput': Double(), 'output': Double(), '_type': 'torch.DoubleTensor', 'train': True,
                          **fields})


def _bare(name, **fields):
    """An nn object holding only the fields given."""
    obj = TorchObject('nn.' + name, 1)
    obj.update(fields)
    return obj


_W = np.array([1.0, 2.0, 0.5])
_LINEAR_W, _LINEAR_B = np.arange(6.0).reshape(2, 3) / 5 - 0.5, np.array([0.25, -0.5])


def _nll_buffers():
    return {'output_tensor': Double([0.0]), 'total_weight_tensor': Double([1.0]), 'target': Long([0])}


def _lua_linear():
    return lua_module('Linear', weight=Double(_LINEAR_W), bias=Double(_LINEAR_B), gradWeight=Double(2, 3).zero(),
               gradBias=Double(2).zero())


def _linear():
    m = nn.Linear(3, 2).double()
    m.weight.copy(Double(_LINEAR_W))
    m.bias.copy(Double(_LINEAR_B))
    return m


def _lua_mse():
    return lua_criterion('MSECriterion', sizeAverage=True)


def _lua_weight_norm():
    """WeightNorm.lua's object as its write saves it: no weight or gradWeight (the module's neither); g is 2-D
    after resetInit's g:norm(v, 2, 2)."""
    inner = lua_module('Linear', bias=Double(_LINEAR_B), gradBias=Double(2).zero())
    v = Double(_LINEAR_W)
    g = Double([[0.5], [2.0]])
    return lua_module('WeightNorm', modules=[inner], outputDim=1, v=v, g=g, gradV=Double(2, 3).zero(),
               gradG=Double(2).zero(), bias=inner['bias'], gradBias=inner['gradBias'], otherDims=3,
               weightSize=lg.LongStorage([2, 3]), viewIn=lg.LongStorage([2, 3]), viewOut=lg.LongStorage([2, 3]),
               _norm=Double(2), _scale=Double(2))


def _weight_norm():
    m = nn.WeightNorm(_linear())
    m.g.copy(Double([0.5, 2.0]))
    return m


def _simplex():
    return nn.ClassSimplexCriterion(4).double().simplex.clone()


def _nll(**fields):
    return lua_criterion('ClassNLLCriterion', **{'sizeAverage': True, 'ignoreIndex': -100, **_nll_buffers(),
                                                 **fields})


def _criterion_table():
    mse = _lua_mse()
    return lua_module('CriterionTable', criterion=mse, gradInput=[mse['gradInput']])


def _lua_map_table():
    linear = _lua_linear()
    return lua_module('MapTable', modules=[linear], module=linear, shared=True, output=[], gradInput=[],
                      sharedparams=['weight', 'bias', 'gradWeight', 'gradBias'])


def _lua_mixture_table(**fields):
    return lua_module('MixtureTable', size=lg.LongStorage(), size2=lg.LongStorage(), batchSize=0,
                      backwardSetup=False, gradInput=[], **fields)


def _size_averaged(name):
    return lambda: lua_criterion(name, sizeAverage=True)


_TABLE = [Double(), Double()]   # the gradInput of L1HingeEmbedding.lua's and CosineEmbedding.lua's constructors
_MATRIX, _SECOND, _PAIR = (lambda: _values((4, 3))), (lambda: _values((4, 3), 1)), (lambda: _pairs((4, 3)))

# (id, the object as Torch7 saves it, the legonn criterion the same arguments give, input, target)
LUA_CRITERIONS = [
    ('ClassNLLCriterion', lambda: _nll(weights=Double(_W), sizeAverage=False),
     lambda: nn.ClassNLLCriterion(Double(_W), False), _MATRIX, lambda: Long([0, 2, 1, 1])),
    ('CrossEntropyCriterion',
     lambda: lua_criterion('CrossEntropyCriterion', lsm=lua_module('LogSoftMax'), nll=_nll(weights=Double(_W)),
                           sizeAverage=True, oldSizeAverage=True),
     lambda: nn.CrossEntropyCriterion(Double(_W)), _MATRIX, lambda: Long([0, 2, 1, 1])),
    ('MSECriterion', _lua_mse, nn.MSECriterion, _MATRIX, _SECOND),
    ('BCECriterion', lambda: lua_criterion('BCECriterion', sizeAverage=True, weights=Double(_W)),
     lambda: nn.BCECriterion(Double(_W)), lambda: _values((4, 3), positive=True), lambda: Double(np.eye(4, 3))),
    ('AbsCriterion', lambda: lua_criterion('AbsCriterion', sizeAverage=False), lambda: nn.AbsCriterion(False),
     _MATRIX, _SECOND),
    ('SmoothL1Criterion', _size_averaged('SmoothL1Criterion'), nn.SmoothL1Criterion, _MATRIX, _SECOND),
    ('MarginCriterion', lambda: lua_criterion('MarginCriterion', sizeAverage=True, margin=0.5),
     lambda: nn.MarginCriterion(0.5), _MATRIX, lambda: _signs((4, 3))),
    ('SoftMarginCriterion', _size_averaged('SoftMarginCriterion'), nn.SoftMarginCriterion, _MATRIX,
     lambda: _signs((4, 3))),
    ('SoftMarginCriterion-sum', lambda: lua_criterion('SoftMarginCriterion', sizeAverage=False),
     lambda: summing(nn.SoftMarginCriterion()), _MATRIX, lambda: _signs((4, 3))),
    ('SpatialClassNLLCriterion',
     lambda: lua_criterion('SpatialClassNLLCriterion', sizeAverage=True, weights=Double(_W), **_nll_buffers()),
     lambda: nn.SpatialClassNLLCriterion(Double(_W)), lambda: _values((2, 3, 2, 2)),
     lambda: Long([[[0, 1], [2, 1]], [[1, 1], [0, 2]]])),
    ('ClassSimplexCriterion',
     lambda: lua_criterion('ClassSimplexCriterion', sizeAverage=True, nClasses=4, simplex=_simplex(),
                           _target=Double(4)),
     lambda: nn.ClassSimplexCriterion(4).double(), lambda: _values((3, 4)), lambda: Long([0, 3, 1])),
    ('DistKLDivCriterion', _size_averaged('DistKLDivCriterion'), nn.DistKLDivCriterion, _MATRIX,
     lambda: _values((4, 3), 1, True)),
    ('DistKLDivCriterion-sum', lambda: lua_criterion('DistKLDivCriterion', sizeAverage=False),
     lambda: summing(nn.DistKLDivCriterion()), _MATRIX, lambda: _values((4, 3), 1, True)),
    ('MultiCriterion',
     lambda: lua_criterion('MultiCriterion', criterions=[_lua_mse(), _size_averaged('AbsCriterion')()],
                           weights=lg.DoubleStorage([0.5, 1.0])),
     lambda: nn.MultiCriterion().add(nn.MSECriterion(), 0.5).add(nn.AbsCriterion()), _MATRIX, _SECOND),
    # ParallelCriterion.lua keeps repeatTarget as given: nil by default
    ('ParallelCriterion',
     lambda: lua_criterion('ParallelCriterion', criterions=[_lua_mse(), _nll()], weights=[0.5, 1], gradInput=[]),
     lambda: nn.ParallelCriterion().add(nn.MSECriterion(), 0.5).add(nn.ClassNLLCriterion()), _PAIR,
     lambda: [_values((4, 3), 2), Long([0, 1, 2, 0])]),
    ('L1HingeEmbeddingCriterion', lambda: lua_criterion('L1HingeEmbeddingCriterion', margin=2, gradInput=_TABLE),
     lambda: nn.L1HingeEmbeddingCriterion(2), lambda: _pairs((3,)), lambda: -1),
    ('HingeEmbeddingCriterion', lambda: lua_criterion('HingeEmbeddingCriterion', margin=0.5, sizeAverage=True),
     lambda: nn.HingeEmbeddingCriterion(0.5), lambda: _values((4,), positive=True), lambda: _signs((4,))),
    ('CosineEmbeddingCriterion',
     lambda: lua_criterion('CosineEmbeddingCriterion', margin=0.2, sizeAverage=True, gradInput=_TABLE),
     lambda: nn.CosineEmbeddingCriterion(0.2), _PAIR, lambda: _signs((4,))),
    ('MarginRankingCriterion',
     lambda: lua_criterion('MarginRankingCriterion', margin=0.3, sizeAverage=True, gradInput=[Double(1), Double(1)]),
     lambda: nn.MarginRankingCriterion(0.3), lambda: _pairs((4,)), lambda: _signs((4,))),
    ('MultiMarginCriterion',
     lambda: lua_criterion('MultiMarginCriterion', p=2, margin=0.7, sizeAverage=True, weights=Double(_W)),
     lambda: nn.MultiMarginCriterion(2, Double(_W), 0.7), _MATRIX, lambda: Long([0, 2, 1, 1])),
    ('MultiLabelMarginCriterion',
     lambda: lua_criterion('MultiLabelMarginCriterion', sizeAverage=True, isTarget=Double()),
     nn.MultiLabelMarginCriterion, lambda: _values((2, 4)), lambda: Long([[2, 0, -1, -1], [1, -1, -1, -1]])),
    ('MultiLabelSoftMarginCriterion',
     lambda: lua_criterion('MultiLabelSoftMarginCriterion', sizeAverage=True, weights=Double(_W),
                           sigmoid=lua_module('Sigmoid')),
     lambda: nn.MultiLabelSoftMarginCriterion(Double(_W)), _MATRIX, lambda: Double(np.eye(4, 3))),
    ('L1Cost', lambda: lua_criterion('L1Cost'), nn.L1Cost, _MATRIX, lambda: None),
    ('WeightedMSECriterion', lambda: lua_criterion('WeightedMSECriterion', sizeAverage=True, weight=_values((3,), 5)),
     lambda: nn.WeightedMSECriterion(_values((3,), 5)), _MATRIX, _SECOND),
    ('DistanceRatioCriterion', _size_averaged('DistanceRatioCriterion'), nn.DistanceRatioCriterion,
     lambda: _pairs((4,)), lambda: None),
    # ModuleCriterion.lua's constructor does not call Criterion's: no output, no gradInput
    ('ModuleCriterion',
     lambda: _bare('ModuleCriterion', criterion=_lua_mse(), inputModule=lua_module('Tanh'),
                   targetModule=lua_module('Sigmoid'), castTarget=True),
     lambda: nn.ModuleCriterion(nn.MSECriterion(), nn.Tanh(), nn.Sigmoid()), _MATRIX, _SECOND),
    ('SpatialAutoCropMSECriterion', _size_averaged('SpatialAutoCropMSECriterion'), nn.SpatialAutoCropMSECriterion,
     lambda: _values((2, 2, 3, 3)), lambda: _values((2, 2, 5, 5), 1)),
]

# (id, the object as Torch7 saves it, the legonn module the same arguments give, input)
LUA_MODULES = [
    ('CriterionTable', _criterion_table, lambda: nn.CriterionTable(nn.MSECriterion()), _PAIR),
    ('L1Penalty', lambda: lua_module('L1Penalty', l1weight=0.3, sizeAverage=False, provideOutput=True),
     lambda: nn.L1Penalty(0.3), _MATRIX),
    ('Decorator', lambda: lua_module('Decorator', modules=[_lua_linear()]), lambda: nn.Decorator(_linear()),
     lambda: _values((5, 3))),
    ('Bottle', lambda: lua_module('Bottle', modules=[_lua_linear()], nInputDim=2, nOutputDim=2, dimDelta=0,
                                  inShape=Double(2), outShape=Double(2)),
     lambda: nn.Bottle(_linear()), lambda: _values((2, 4, 3))),
    ('MapTable', _lua_map_table, lambda: nn.MapTable(_linear()), _PAIR),
    ('DontCast', lambda: lua_module('DontCast', modules=[_lua_linear()], castin=True, castout=True,
                                    moduleType='torch.DoubleTensor'),
     lambda: nn.DontCast(_linear(), True).double(), lambda: _values((5, 3))),
    ('NaN', lambda: lua_module('NaN', modules=[_lua_linear()], id=3), lambda: nn.NaN(_linear(), 3),
     lambda: _values((5, 3))),
    ('WeightNorm', _lua_weight_norm, _weight_norm, lambda: _values((5, 3))),
    ('ZipTable', lambda: lua_module('ZipTable', output=[], gradInput=[]), nn.ZipTable,
     lambda: [_pairs((2,), (3,)), _pairs((4,), (1,))]),
    ('ZipTableOneToMany', lambda: lua_module('ZipTableOneToMany', output=[], gradInput=[], gradInputEl=Double()),
     nn.ZipTableOneToMany, lambda: [_values((3,)), _pairs((3,))]),
    # MixtureTable.lua's dim: nil (chosen per input) or the 1-based dimension of the experts' tensor
    ('MixtureTable', _lua_mixture_table, nn.MixtureTable, lambda: [_MATRIX(), _pairs((4, 2), (4, 2), (4, 2))]),
    ('MixtureTable-dim', lambda: _lua_mixture_table(dim=2), lambda: nn.MixtureTable(1),
     lambda: [_MATRIX(), _values((4, 3, 2), 1)]),
]


def _flat(value):
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [np.asarray(value if isinstance(value, (int, float)) else value.numpy())]


def _assert_close(a, b):
    fa, fb = _flat(a), _flat(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('name, saved, make, data, target', LUA_CRITERIONS, ids=[c[0] for c in LUA_CRITERIONS])
def test_criterions_saved_by_torch7_load_as_their_arguments_build_them(name, saved, make, data, target):
    loaded, expected = round_trip(saved()), make()
    assert type(loaded) is type(expected)
    assert getattr(loaded, 'sizeAverage', None) == getattr(expected, 'sizeAverage', None)
    x, y = data(), target()
    assert loaded.forward(x, y) == pytest.approx(expected.forward(x, y), rel=1e-12)
    _assert_close(loaded.backward(x, y), expected.backward(x, y))


@pytest.mark.parametrize('name, saved, make, data', LUA_MODULES, ids=[c[0] for c in LUA_MODULES])
def test_modules_saved_by_torch7_load_as_their_arguments_build_them(name, saved, make, data):
    loaded, expected = round_trip(saved()), make()
    assert type(loaded) is type(expected)
    _assert_close(loaded.parameters()[0] or [], expected.parameters()[0] or [])
    assert_same_passes(loaded, expected, data(), _assert_close)


@pytest.mark.parametrize('name', criterions._AVERAGING)
def test_a_sizeaverage_the_lua_set_after_construction_is_kept(name):
    """These classes' Lua constructors read no sizeAverage (nor do legonn's): a file's false, set by the program
    afterwards, still sums once loaded."""
    saved = next(c[1] for c in LUA_CRITERIONS if c[0] == name)()
    saved['sizeAverage'] = False
    assert round_trip(saved).sizeAverage is False
    saved['sizeAverage'] = True
    assert round_trip(saved).sizeAverage is True


def test_every_class_of_the_family_tables_is_covered_by_torch7_objects():
    tested = {c[0].split('-')[0] for c in LUA_CRITERIONS + LUA_MODULES}
    assert tested == set(criterions.FIELDS) | set(wrappers.FIELDS)
    assert set(criterions.ARGUMENTS) | set(wrappers.ARGUMENTS) == tested


def test_class_nll_ignore_index_is_a_one_based_label_in_the_file():
    """THNN's ClassNLLCriterion takes TH_INDEX_BASE from ignoreIndex as from each target (ClassNLLCriterion.c:
    ``ignore_index -= TH_INDEX_BASE``), so Lua's ignoreIndex is a 1-based label: Lua's 1 skips legonn's label 0,
    Lua's 0 (the padding idiom) legonn's -1; the default -100 skips nothing either way and stays -100."""
    loaded = round_trip(_nll(ignoreIndex=1))
    assert loaded.ignoreIndex == 0
    x = _values((3, 3))
    expected = -(x.numpy()[1, 2] + x.numpy()[2, 1]) / 2
    assert loaded.forward(x, Long([0, 2, 1])) == pytest.approx(expected, rel=1e-12)
    assert round_trip(_nll(ignoreIndex=0)).ignoreIndex == -1
    assert round_trip(_nll(ignoreIndex=-100)).ignoreIndex == -100
    entropy = round_trip(nn.CrossEntropyCriterion(Double(_W)))
    assert entropy.nll.ignoreIndex == -100
    assert round_trip(nn.ClassNLLCriterion(ignoreIndex=-1), convert=False)['ignoreIndex'] == 0
    assert round_trip(nn.ClassNLLCriterion(ignoreIndex=2), convert=False)['ignoreIndex'] == 3
    assert round_trip(nn.ClassNLLCriterion(), convert=False)['ignoreIndex'] == -100
    back = round_trip(nn.ClassNLLCriterion(ignoreIndex=-1))
    assert back.ignoreIndex == -1


def test_index_fields_are_one_based_in_the_file():
    raw = round_trip([nn.MixtureTable(1), nn.MixtureTable(), nn.WeightNorm(nn.SpatialConvolution(2, 3, 3, 3), 1)],
                     convert=False)
    assert raw[0]['dim'] == 2 and 'dim' not in raw[1] and raw[2]['outputDim'] == 2
    back = round_trip(nn.WeightNorm(nn.SpatialConvolution(2, 3, 3, 3), 1))
    assert back.outputDim == 1 and tuple(back.v.size()) == (2, 27)


def test_fields_that_the_lua_code_reads_unconditionally_are_written():
    nll, spatial, soft, ranking, cosine = round_trip([
        nn.ClassNLLCriterion(), nn.SpatialClassNLLCriterion(), nn.MultiLabelSoftMarginCriterion(),
        nn.MarginRankingCriterion(), nn.CosineEmbeddingCriterion()], convert=False)
    # THNN checks that output_tensor and total_weight_tensor hold one value (ClassNLLCriterion.lua's zeros(1))
    for obj in (nll, spatial):
        assert obj['output_tensor'].numpy().tolist() == [0] and obj['total_weight_tensor'].numpy().tolist() == [1]
    assert soft['sigmoid'].typename == 'nn.Sigmoid'
    # MarginRankingCriterion.lua sets gradInput[1][1] for one pair; CosineEmbeddingCriterion resizes its two
    assert [t.nElement() for t in ranking['gradInput']] == [1, 1] and len(cosine['gradInput']) == 2
    bottle, mixture, zip_many, table, multi = round_trip([
        nn.Bottle(nn.Linear(3, 2), 2, 2), nn.MixtureTable(), nn.ZipTableOneToMany(),
        nn.CriterionTable(nn.MSECriterion()), nn.MultiCriterion().add(nn.MSECriterion(), 0.5)], convert=False)
    assert bottle['inShape'].nElement() == 2 and bottle['outShape'].nElement() == 2 and bottle['dimDelta'] == 0
    assert mixture['size'].type() == 'legonn.LongStorage' and mixture['backwardSetup'] is False
    assert isinstance(zip_many['gradInputEl'], lg.Tensor)
    assert table['gradInput'][0] is table['criterion']['gradInput']   # one tensor, as CriterionTable.lua's
    assert multi['weights'].type() == 'legonn.DoubleStorage' and multi['weights'].data.tolist() == [0.5]
    assert 'train' not in multi and multi['output'] == 0 and table['train'] is True


def test_weight_norm_is_written_as_its_write_method_writes_it():
    """WeightNorm:write leaves out weight and gradWeight (its own and its module's); read() computes them."""
    m = nn.WeightNorm(nn.Linear(3, 2))
    raw = round_trip(m, convert=False)
    inner = raw['modules'][0]
    assert 'weight' not in raw and 'weight' not in inner and 'gradWeight' not in inner
    assert raw['bias'] is inner['bias'] and raw['weightSize'].data.tolist() == [2, 3]
    assert raw['_scale'].nElement() == 2 and raw['viewIn'].data.tolist() == [2, 3]
    back = round_trip(m)
    np.testing.assert_array_equal(back.modules[0].weight.numpy(), m.modules[0].weight.numpy())
    assert m.modules[0].weight is not None   # writing leaves the module whole


def test_nested_criterions_keep_children_and_weights_and_share_them():
    mse = nn.MSECriterion()
    multi = nn.MultiCriterion().add(mse, 0.25).add(nn.AbsCriterion(), 2).add(mse, 3)
    out = io.BytesIO()
    lg.save_lua(out, [multi, nn.ModuleCriterion(mse, nn.Tanh())])
    assert out.getvalue().count(b'nn.MSECriterion') == 1
    out.seek(0)
    back, module_criterion = lg.load_lua(out)
    assert back.weights == [0.25, 2, 3] and back.criterions[0] is back.criterions[2]
    assert module_criterion.criterion is back.criterions[0] and isinstance(module_criterion.inputModule, nn.Tanh)
    assert module_criterion.targetModule is None
    table = round_trip(nn.CriterionTable(nn.ModuleCriterion(nn.MSECriterion(), nn.Tanh())), convert=False)
    assert not table['gradInput'] and 'gradInput' not in table['criterion']


def test_map_table_clones_share_the_weights_they_shared():
    m = nn.MapTable(nn.Linear(3, 2))
    m.forward([_values((2, 3)).float(), _values((2, 3), 1).float()])
    back = round_trip(m)
    assert len(back.modules) == 2 and back.module is back.modules[0]
    assert back.modules[1].weight.storage() is back.modules[0].weight.storage()
    unshared = round_trip(nn.MapTable(nn.Linear(3, 2), False).resize(2))
    assert unshared.shared is False and unshared.modules[1].weight.storage() is not unshared.modules[0].weight.storage()


def test_malformed_nested_fields_are_refused_naming_the_field():
    bad_weights = lua_criterion('MultiCriterion', criterions=[_lua_mse()], weights=lg.DoubleStorage([1.0, 2.0]))
    with pytest.raises(FormatError, match=r"MultiCriterion: expected a number weight for each of its 1 criterions"):
        round_trip(bad_weights)
    with pytest.raises(FormatError, match=r"Bottle: field 'modules\[1\]' must hold an nn object, got str"):
        round_trip(lua_module('Bottle', modules=['Linear'], nInputDim=2))


@pytest.mark.gpu
def test_cuda_criterions_and_wrappers_are_written_as_cuda_objects_and_load_on_the_gpu():
    crit = nn.ParallelCriterion().add(nn.ClassNLLCriterion(lg.FloatTensor(_W)), 0.5).add(nn.MSECriterion()).cuda()
    wrapped = nn.WeightNorm(nn.Linear(3, 2)).cuda()
    out = io.BytesIO()
    lg.save_lua(out, [crit, wrapped])
    out.seek(0)
    raw = lg.load_lua(out, convert=False)   # with CUDA usable, each tensor on the device its class names
    assert not raw[0]['gradInput'] and raw[0]['criterions'][0]['gradInput'].type() == 'legonn.CudaTensor'
    assert raw[1]['_type'] == 'torch.CudaTensor'
    out.seek(0)
    back, back_wrapped = lg.load_lua(out, device='cuda')
    assert back.criterions[0].weights.type() == 'legonn.CudaTensor' and back_wrapped.v.type() == 'legonn.CudaTensor'
    x = [_values((4, 3)).float().cuda(), _values((4, 3), 1).float().cuda()]
    y = [lg.LongTensor([0, 2, 1, 1]).cudaLong(), _values((4, 3), 2).float().cuda()]
    assert back.forward(x, y) == pytest.approx(crit.forward(x, y), rel=1e-6)
    z = _values((5, 3)).float().cuda()
    np.testing.assert_allclose(back_wrapped.forward(z).cpu().numpy(), wrapped.forward(z).cpu().numpy(), rtol=1e-6)
