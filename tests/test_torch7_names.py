"""Every name torch7's tensor library, torch/nn's base classes, optim, nngraph and threads give their users
exists in legonn: the functions TensorMath.lua wraps (for ``torch.*`` and as methods), the methods Tensor.lua
and generic/Tensor.c, generic/Storage.c define, init.lua's ``torch.*`` helpers, cutorch's converters, the
methods of nn's Module.lua, Container.lua and Criterion.lua, optim's algorithms and its ConfusionMatrix and
Logger methods, nngraph's node and gModule methods, and threads' pool methods. A name left out is listed with
the reason, so a new gap fails here."""
import pytest

import legonn as lg
from legonn import graph, nn, optim, threads

# TensorMath.lua's wrap(...): both torch.name and tensor:name (the loops' names included)
TENSOR_MATH = '''abs add addbmm addcdiv addcmul addmm addmv addr all any atan2 baddbmm bernoulli bhistc bitand bitor
    bitxor bmm cat cauchy cbitand cbitor cbitxor cdiv ceil cfmod cinv clamp clshift cmax cmin cmod cmul conv2 conv3
    cos cosh cpow cremainder cross crshift csub cumprod cumsum diag dist div dot eq equal exp exponential eye fill
    floor fmod frac gather ge geometric ger gt histc kthvalue le lerp linspace log log1p logNormal logspace lshift lt
    match max mean median min mm mod mode mul multinomial mv ne neg nonzero norm normal numel ones pow prod rand
    randn randperm range remainder renorm reshape round rshift rsqrt scatter sigmoid sign sin sinh sort sqrt squeeze
    std sum tan tanh topk trace tril triu trunc uniform var xcorr2 xcorr3 zero zeros'''.split()
# TensorMath.lua's interface:wrap(...): torch.name only (LAPACK)
TORCH_ONLY = 'eig gels geqrf gesv inverse orgqr ormqr potrf potri potrs pstrf qr svd symeig trtrs'.split()
# Tensor.lua's functions and generic/Tensor.c's methods
TENSOR_METHODS = '''byte char chunk double expand expandAs float half int long permute real repeatTensor short split
    totable type typeAs view viewAs apply clone contiguous copy dim elementSize index indexAdd indexCopy indexFill
    isContiguous isSameSizeAs isSetTo isSize map map2 maskedCopy maskedFill maskedSelect nDimension nElement
    narrow resize resizeAs select set size storage storageOffset stride sub t transpose unfold'''.split()
# cutorch's Tensor.lua: converters every tensor type gets
CUTORCH_CONVERTERS = 'cuda cudaByte cudaChar cudaShort cudaInt cudaLong cudaHalf cudaDouble'.split()
STORAGE_METHODS = 'copy elementSize fill resize size string totable'.split()
INIT_LUA = '''factory isStorage isTensor isTypeOf multinomialAlias multinomialAliasSetup setdefaulttensortype totable
    type'''.split()
MODULE_METHODS = '''accGradParameters accUpdateGradParameters apply backward backwardUpdate clearState clone cuda
    double evaluate findModules float forward getParameters listModules parameters reset share training type
    updateGradInput updateOutput updateParameters zeroGradParameters'''.split()
CONTAINER_METHODS = 'add applyToModules get size rethrowErrors'.split()
CRITERION_METHODS = '''backward clone cuda cudaDouble cudaHalf double float forward type updateGradInput
    updateOutput'''.split()
OPTIM = '''sgd cg asgd nag fista lbfgs adagrad rprop adam adamax rmsprop adadelta cmaes de lswolfe polyinterp
    checkgrad ConfusionMatrix Logger'''.split()
CONFUSION_MATRIX_METHODS = 'add batchAdd farFrr updateValids zero'.split()
LOGGER_METHODS = 'add display plot setNames setlogscale style'.split()
NODE_METHODS = 'add split annotate graphNodeName graphNodeAttributes label'.split()
GMODULE_METHODS = '''replace map type updateOutput clearState runForwardFunction updateGradInput
    accGradParameters'''.split()
NNGRAPH = 'setDebug annotateNodes'.split()
POOL_METHODS = 'isrunning specific dojob acceptsjob addjob haserror hasjob synchronize terminate'.split()
THREADS_CLASS = ['serialization']   # threads.lua's Threads.serialization(name), called on the class
LEFT_OUT = {
    'multinomialAliasSetup_': "TensorMath.lua's C entry behind init.lua's torch.multinomialAliasSetup (present)",
    'multinomialAlias_': "TensorMath.lua's C entry behind init.lua's torch.multinomialAlias (present)",
    'free': 'reference counting (generic/Tensor.c, Storage.c): Python frees what nothing refers to',
    'retain': 'reference counting, as free',
    'read': 'File.lua serialisation hooks: legonn.save/load and load_lua/save_lua do it',
    'write': 'File.lua serialisation hooks, as read',
    'class': 'torch.class: a Python class (docs/porting.md, "The rules")',
    'include': "torch.include loads a package's Lua files",
    'packageLuaPath': "a Lua package's install path",
    'updatethreadlocals': "the threads package's per-thread Lua globals; legonn.threads passes state explicitly",
    'defaultAccUpdateGradParameters': "Module.lua's helper behind accUpdateGradParameters (present)",
    'sharedAccUpdateGradParameters': "Module.lua's helper behind accUpdateGradParameters (present)",
    'ConfusionMatrix._add': "ConfusionMatrix.lua's helper behind add (present)",
    'ConfusionMatrix.render': "ConfusionMatrix.lua's drawing of the matrix with its legend through qtwidget "
                              "(no window system)",
    'nngraph.display': "nngraph.display opens a Qt window; graph.dot(g.fg, title, path) writes the SVG",
}


@pytest.mark.parametrize('name', TENSOR_MATH + TORCH_ONLY + INIT_LUA)
def test_torch_level_name_exists(name):
    assert callable(getattr(lg, name, None)), f"torch.{name} has no legonn.{name}"


@pytest.mark.parametrize('name', TENSOR_MATH + TENSOR_METHODS + CUTORCH_CONVERTERS)
def test_tensor_method_exists(name):
    assert callable(getattr(lg.DoubleTensor(2), name, None)), f"tensor:{name}() has no legonn method"


@pytest.mark.parametrize('name', STORAGE_METHODS)
def test_storage_method_exists(name):
    assert callable(getattr(lg.DoubleStorage(2), name, None)), f"storage:{name}() has no legonn method"


@pytest.mark.parametrize('obj, name', [(nn.Linear(2, 2), n) for n in MODULE_METHODS] +
                         [(nn.Sequential(), n) for n in MODULE_METHODS + CONTAINER_METHODS] +
                         [(nn.MSECriterion(), n) for n in CRITERION_METHODS])
def test_nn_base_class_method_exists(obj, name):
    assert callable(getattr(obj, name, None)), f"{lg.typename(obj)}:{name}() has no legonn method"


def test_module_flatten_is_a_function_of_the_class():
    """Module.lua's ``nn.Module.flatten(params)`` is called on the class, not on an instance."""
    assert callable(nn.Module.flatten) and nn.Module.flatten([]).nElement() == 0


@pytest.fixture(scope='module')
def owners(tmp_path_factory):
    """One object of each kind whose methods are checked (a pool of one thread, ended afterwards)."""
    x = nn.Identity()()
    pool = threads.Threads(1)
    yield {'optim': optim, 'graph': graph, 'ConfusionMatrix': optim.ConfusionMatrix(3),
           'Logger': optim.Logger(str(tmp_path_factory.mktemp('log') / 'x.log')), 'node': x,
           'gModule': nn.gModule([x], [nn.Tanh()(x)]), 'Threads': pool, 'Threads class': threads.Threads}
    pool.terminate()


@pytest.mark.parametrize('owner, name', [('optim', n) for n in OPTIM] + [('graph', n) for n in NNGRAPH] +
                         [('ConfusionMatrix', n) for n in CONFUSION_MATRIX_METHODS] +
                         [('Logger', n) for n in LOGGER_METHODS] + [('node', n) for n in NODE_METHODS] +
                         [('gModule', n) for n in GMODULE_METHODS] + [('Threads', n) for n in POOL_METHODS] +
                         [('Threads class', n) for n in THREADS_CLASS])
def test_package_name_exists(owners, owner, name):
    assert callable(getattr(owners[owner], name, None)), f"{owner}'s {name} has no legonn counterpart"


def test_left_out_names_are_not_listed_as_present():
    listed = set(TENSOR_MATH + TORCH_ONLY + TENSOR_METHODS + CUTORCH_CONVERTERS + STORAGE_METHODS + INIT_LUA +
                 MODULE_METHODS + CONTAINER_METHODS + CRITERION_METHODS + OPTIM + CONFUSION_MATRIX_METHODS +
                 LOGGER_METHODS + NODE_METHODS + GMODULE_METHODS + NNGRAPH + POOL_METHODS + THREADS_CLASS)
    assert not listed & set(LEFT_OUT)


def test_packages_read_as_lua_tables_by_name():
    """Lua reads a field by name as ``optim[opt.optimiser]`` (Kaixhin/Autoencoders' main.lua, Kaixhin/Atari),
    ``nn[opt.activation]``: legonn's optim and nn packages are subscriptable to the same objects."""
    assert optim['adam'] is optim.adam
    assert optim['sgd'] is optim.sgd
    assert nn['Linear'] is nn.Linear
    assert nn['BCECriterion'] is nn.BCECriterion


def test_package_read_by_an_unknown_name_says_which():
    with pytest.raises(KeyError, match=r"legonn.optim\['adamw'\]: legonn.optim has no field 'adamw'"):
        optim['adamw']
    with pytest.raises(KeyError, match=r"legonn.nn\['Nope'\]"):
        nn['Nope']
    with pytest.raises(TypeError, match=r"a field name \(str\) is expected, got int"):
        nn[1]
