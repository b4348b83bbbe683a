"""lg.save / lg.load round trips: every module and criterion class, tensors of every type with their
views, shared parameters, graphs, plain values, transient buffers, atomic replacement."""
import os

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from legonn.tensor import TENSOR_CLASSES
from tests.robustness import catalog


def roundtrip(tmp_path, obj, **kw):
    path = tmp_path / 'obj.lg'
    lg.save(path, obj, **kw)
    return lg.load(path)


def params_of(obj):
    return [p.clone() for p in obj.parameters()[0]] if hasattr(obj, 'parameters') else []


@pytest.mark.parametrize('name', catalog.cases())
def test_every_class_gives_identical_results_after_loading(tmp_path, name):
    obj, x, target = catalog.build(name)
    catalog.run(obj, x, target)          # fills buffers and running statistics before saving
    twin = roundtrip(tmp_path, obj)
    for m in (obj, twin):
        catalog.refresh(name, m)
    assert type(twin) is type(obj) and repr(twin) == repr(obj)
    for a, b in zip(params_of(obj), params_of(twin)):
        assert a.type() == b.type() and np.array_equal(a.numpy(), b.numpy())
    lg.manualSeed(7)
    expected = catalog.run(obj, x, target)
    lg.manualSeed(7)
    got = catalog.run(twin, x, target)
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        assert e.dtype == g.dtype and e.shape == g.shape
        np.testing.assert_array_equal(e, g)


def test_catalog_covers_the_registry():
    missing = [n for n in catalog.concrete_names() if n not in catalog.MODULES and n not in catalog.CRITERIONS]
    assert not missing, f"add these classes to tests/robustness/catalog.py: {missing}"


@pytest.mark.parametrize('short', sorted(n for n in TENSOR_CLASSES if not n.startswith('Cuda')))
def test_tensors_of_every_type(tmp_path, short):
    t = TENSOR_CLASSES[short](3, 4)
    t.copy(np.arange(12).reshape(3, 4) % 7)
    back = roundtrip(tmp_path, t)
    assert back.type() == t.type() and back.size() == (3, 4) and np.array_equal(back.numpy(), t.numpy())


def test_views_keep_sharing_their_storage(tmp_path):
    base = lg.DoubleTensor(4, 5).uniform()
    views = [base, base.t(), base.narrow(1, 1, 3), base.select(0, 2), base[1:3, ::2], base.view(20).unfold(0, 4, 3)]
    back = roundtrip(tmp_path, views)
    assert len({id(v.storage()) for v in back}) == 1
    for v, b in zip(views, back):
        assert b.size() == v.size() and b.stride() == v.stride() and b.storageOffset() == v.storageOffset()
        assert np.array_equal(b.numpy(), v.numpy())
    back[0].fill(3)  # writes reach every view, as before saving
    assert back[2].min() == 3 and back[4].max() == 3


def test_plain_values_nested(tmp_path):
    value = {'n': [1, -2, 2 ** 70, 2.5, -0.0, float('inf'), None, True, 'text é'], 't': (1, ('a', [])),
             3: {'x': {1, 2}, (1, 2): frozenset({'k'})}, 'np': [np.float32(1.5), np.int64(7), np.arange(3)]}
    back = roundtrip(tmp_path, value)
    assert back['n'][:6] == value['n'][:6] and back['n'][6:] == [None, True, 'text é']
    assert str(back['n'][4]) == '-0.0' and back['t'] == (1, ('a', []))
    assert back[3] == value[3] and type(back['np'][0]) is np.float32 and back['np'][1] == 7
    assert np.array_equal(back['np'][2], np.arange(3))
    nan = roundtrip(tmp_path, [float('nan')])
    assert np.isnan(nan[0])


def test_cycles_and_shared_lists(tmp_path):
    a = [1]
    a.append(a)
    shared = [2]
    back = roundtrip(tmp_path, {'a': a, 'b': [shared, shared]})
    assert back['a'][1] is back['a'] and back['b'][0] is back['b'][1]


def test_shared_and_cloned_parameters_stay_shared(tmp_path):
    lin = nn.Linear(3, 3)
    twin = lin.clone('weight', 'bias', 'gradWeight', 'gradBias')
    model = nn.Sequential().add(lin).add(nn.Tanh()).add(twin).add(nn.Linear(3, 2))
    flat, gflat = model.getParameters()
    back = roundtrip(tmp_path, {'model': model, 'flat': flat})
    m = back['model']
    assert m.get(0).weight.storage() is m.get(2).weight.storage() is m.get(3).weight.storage()
    assert back['flat'].storage() is m.get(0).weight.storage()
    assert np.array_equal(back['flat'].numpy(), flat.numpy())
    p2, _ = m.getParameters()   # still flat: getParameters returns views of the same storage
    assert p2.storage() is back['flat'].storage() and p2.nElement() == flat.nElement()


def test_train_flags_and_running_statistics(tmp_path):
    model = nn.Sequential().add(nn.BatchNormalization(3)).add(nn.Dropout(0.5))
    model.forward(lg.rand(8, 3))
    model.evaluate()
    model.get(1).train = True
    back = roundtrip(tmp_path, model)
    assert back.train is False and back.get(0).train is False and back.get(1).train is True
    bn, bn2 = model.get(0), back.get(0)
    assert np.array_equal(bn2.running_mean.numpy(), bn.running_mean.numpy()) and bn.running_mean.abs().sum() > 0
    assert np.array_equal(bn2.running_var.numpy(), bn.running_var.numpy())


def test_graph_modules(tmp_path):
    obj, x, _ = catalog.build('gModule')
    obj.forward(x)
    back = roundtrip(tmp_path, obj)
    assert [n.id for n in back.forwardnodes] == [n.id for n in obj.forwardnodes]
    assert back.forwardnodes[-1].inputs[0] in back.forwardnodes
    assert back.modules == [n.module for n in back.forwardnodes if n.module is not None]
    assert all(n.output is None for n in back.forwardnodes)   # activations are transient
    np.testing.assert_array_equal(back.forward(x).numpy(), obj.forward(x).numpy())


def test_transient_buffers_are_left_out_and_the_model_is_untouched(tmp_path):
    model = nn.Sequential().add(nn.SpatialConvolution(1, 2, 3, 3)).add(nn.ReLU())
    x = lg.rand(2, 1, 5, 5)
    out = model.forward(x).clone()
    before = {k: v for k, v in vars(model.get(0)).items()}
    back = roundtrip(tmp_path, model)
    assert back.output.nElement() == 0 and back.get(0).output.nElement() == 0
    assert back.get(0).gradWeight.size() == model.get(0).gradWeight.size()   # gradients are not transient
    assert np.array_equal(model.output.numpy(), out.numpy())                 # the live model kept its buffers
    assert all(vars(model.get(0))[k] is v for k, v in before.items())
    kept = roundtrip(tmp_path, model, buffers=True)
    assert np.array_equal(kept.output.numpy(), out.numpy())


def test_each_module_is_cleared_once_however_deep(tmp_path, monkeypatch):
    # a container's clearState clears its subtree: calling it on every module cleared a leaf once per ancestor
    calls = {}
    own = nn.Linear.clearState

    def counting(self, *names):
        calls[id(self)] = calls.get(id(self), 0) + 1
        return own(self, *names)

    monkeypatch.setattr(nn.Linear, 'clearState', counting)
    leaves = [nn.Linear(2, 2) for _ in range(3)]
    model = nn.Sequential().add(leaves[0])
    inner = model
    for leaf in leaves[1:]:
        deeper = nn.Sequential().add(leaf)
        inner.add(nn.Sequential().add(deeper))
        inner = deeper
    model.forward(lg.rand(4, 2))
    back = roundtrip(tmp_path, model)
    assert [calls.get(id(leaf)) for leaf in leaves] == [1, 1, 1]
    assert 'clearState' not in vars(leaves[2])              # the pass leaves no attribute behind
    assert back.output.nElement() == 0 and model.output.nElement() == 8


class LazyNorm(nn.Module):
    """fast-neural-style's (and MSG-Net's) InstanceNormalization in miniature: ``bn`` is made by the first
    forward, and ``clearState`` calls ``self.bn:clearState()``, which raises before that forward."""

    def __init__(self):
        super().__init__()
        self.weight = lg.Tensor(3).fill(2)

    def updateOutput(self, input):
        self.bn = nn.Identity()
        self.output = self.bn.forward(input) * self.weight[0]
        return self.output

    def clearState(self):
        self.output = self.output.new()
        self.bn.clearState()
        return self


lg.register(LazyNorm, 'tests.LazyNorm')


def test_a_module_whose_clear_state_fails_is_saved_as_it_is(tmp_path):
    # torch.save writes a module's fields and never calls clearState (torch7's File.lua writeObject): a model
    # saved before its first forward, whose user module's clearState cannot run yet, saves in Torch7; legonn's
    # leaving out of buffers must not make it fail, so such a module keeps its fields, as torch.save writes them
    model = nn.Sequential().add(nn.Linear(3, 3)).add(LazyNorm())
    back = roundtrip(tmp_path, model)
    assert np.array_equal(back.get(1).weight.numpy(), model.get(1).weight.numpy())
    assert 'bn' not in vars(back.get(1)) and 'bn' not in vars(model.get(1))
    assert back.get(0).output.nElement() == 0                  # the others are still cleared
    model.forward(lg.rand(2, 3))
    back = roundtrip(tmp_path, model)                            # after a forward its clearState runs
    assert back.get(1).output.nElement() == 0 and model.get(1).output.nElement() == 6


def test_empty_storages_write_no_member(tmp_path):
    import json
    import zipfile
    model = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).add(nn.Linear(4, 2))
    model.forward(lg.rand(5, 3))
    path = tmp_path / 'm.lg'
    lg.save(path, model)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read('manifest.json'))
        members = [n for n in zf.namelist() if n != 'manifest.json']
    storages = [e for e in manifest['objects'] if e['kind'] == 'storage']
    assert manifest['version'] == 2
    assert sorted(e['array'] for e in storages if e['size']) == sorted(members)   # weights, biases and their gradients
    assert len(members) == 8 and all('array' not in e for e in storages if not e['size'])
    back = lg.load(path)
    assert back.output.nElement() == 0 and back.get(1).output.type() == 'legonn.FloatTensor'
    x = lg.rand(2, 3)
    assert np.array_equal(back.forward(x).numpy(), model.forward(x).numpy())


def test_optim_state_and_confusion_matrix(tmp_path):
    x = lg.DoubleTensor(5).uniform()
    state = {'learningRate': 0.1, 'momentum': 0.9}
    _, _ = optim.sgd(lambda p: (float((p * p).sum()), p * 2), x, state)
    conf = optim.ConfusionMatrix(['a', 'b', 'c'])
    conf.batchAdd(lg.LongTensor([0, 1, 2, 2]), lg.LongTensor([0, 1, 1, 2]))
    conf.updateValids()
    back = roundtrip(tmp_path, {'state': state, 'conf': conf})
    assert set(back['state']) == set(state)
    for k, v in state.items():
        if isinstance(v, lg.Tensor):
            assert np.array_equal(back['state'][k].numpy(), v.numpy())
        else:
            assert back['state'][k] == v
    c = back['conf']
    assert type(c) is optim.ConfusionMatrix and c.classes == ['a', 'b', 'c'] and c.totalValid == conf.totalValid
    assert np.array_equal(c.mat.numpy(), conf.mat.numpy())


def test_user_classes_need_registering(tmp_path):
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.factor = 2.0

        def updateOutput(self, input):
            self.output = input * self.factor
            return self.output

    with pytest.raises(TypeError, match='legonn.register'):
        lg.save(tmp_path / 'x.lg', Scale())
    assert not os.listdir(tmp_path)             # nothing written, not even a temporary file
    lg.register(Scale, name='tests.Scale')
    back = roundtrip(tmp_path, nn.Sequential().add(Scale()))
    assert type(back.get(0)) is Scale and back.get(0).factor == 2.0
    with pytest.raises(ValueError, match='already stands for'):
        lg.register(nn.Tanh, name='tests.Scale')


def test_unsaveable_values_name_where_they_are(tmp_path):
    with pytest.raises(TypeError, match=r"\['f'\]"):
        lg.save(tmp_path / 'x.lg', {'f': lambda: 0})


def test_unsaveable_module_in_a_graph_is_named_by_its_shortest_path(tmp_path):
    """Objects are visited breadth first: a user's unregistered module deep in a gModule (EntNet's
    nn.Normalization after a chain of nodes) is named as the gModule's ``modules[i]``, not by a walk along the
    graph's edges and node inputs."""
    class Unit(nn.Module):
        def updateOutput(self, input):
            return self.output.resizeAs(input).copy(input)

    x = nn.Identity()()
    h = x
    for _ in range(12):
        h = nn.Tanh()(h)
    net = nn.gModule([x], [Unit()(h)])          # modules: the Identity, 12 Tanh, the Unit
    with pytest.raises(TypeError, match=r"^legonn\.save: the saved object\['model'\]\.modules\[13\] is a "
                                        r"tests\.serialization\.test_roundtrip\.\S*Unit, a class legonn cannot save"):
        lg.save(tmp_path / 'x.lg', {'model': net})


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / 'ckpt.lg'
    lg.save(path, {'epoch': 1})
    import legonn.serialization.archive as archive

    def crash(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(archive.np.lib.format, 'write_array', crash)
    with pytest.raises(OSError, match='disk full'):
        lg.save(path, {'epoch': 2, 'w': lg.rand(3)})
    assert lg.load(path) == {'epoch': 1}       # the previous checkpoint survives
    assert os.listdir(tmp_path) == ['ckpt.lg']  # and no temporary file is left behind


def test_cuda_types_load_on_the_cpu(tmp_path, without_cuda):
    # what a GPU-saved model records (types 'CudaTensor', cuda storages), produced without a GPU; where legonn
    # cannot use CUDA, load's default brings it to the CPU (with CUDA usable it comes back on the GPU, as saved)
    model = nn.Linear(3, 2)
    path = tmp_path / 'gpu.lg'
    lg.save(path, model)
    import json
    import zipfile
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read('manifest.json'))
        arrays = {n: zf.read(n) for n in zf.namelist() if n != 'manifest.json'}
    for e in manifest['objects']:
        if e['kind'] == 'tensor':
            e['type'] = 'CudaTensor'
        if e['kind'] == 'storage':
            e['cuda'] = True
        if e['kind'] == 'object':
            e['state']['_type'] = 'legonn.CudaTensor'
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('manifest.json', json.dumps(manifest))
        for n, data in arrays.items():
            zf.writestr(n, data)
    back = lg.load(path)
    assert back.type() == 'legonn.FloatTensor' and back.weight.type() == 'legonn.FloatTensor'
    x = lg.rand(4, 3)
    np.testing.assert_array_equal(back.forward(x).numpy(), model.forward(x).numpy())


@pytest.mark.gpu
def test_gpu_model_round_trip(tmp_path):
    model = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).add(nn.Linear(4, 2))
    flat, _ = model.getParameters()
    model.cuda()
    x = lg.rand(5, 3)
    expected = model.forward(x.cuda()).cpu().numpy()
    path = tmp_path / 'gpu.lg'
    lg.save(path, model)
    on_cpu = lg.load(path, device='cpu')
    assert on_cpu.type() == 'legonn.FloatTensor' and on_cpu.get(0).weight.type() == 'legonn.FloatTensor'
    np.testing.assert_allclose(on_cpu.forward(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    # with CUDA usable the default is torch.load's: the model comes back where it was saved
    assert lg.load(path).get(2).weight.type() == 'legonn.CudaTensor'
    on_gpu = lg.load(path, device='cuda')
    assert on_gpu.get(0).weight.type() == 'legonn.CudaTensor'
    assert on_gpu.get(0).weight.storage() is on_gpu.get(2).weight.storage()
    np.testing.assert_allclose(on_gpu.forward(x.cuda()).cpu().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_sizes_stay_sizes(tmp_path):
    """torch7 File.lua writes x:size() as the LongStorage it is: a saved x.size() loads as sizes a constructor
    reads as such (lg.Tensor(sizes) of those sizes), not as a plain tuple of values; copies keep it too."""
    import copy
    sizes = lg.zeros(2, 3, 4).size()
    for loaded in (roundtrip(tmp_path, {'sizes': sizes})['sizes'], copy.deepcopy(sizes)):
        assert loaded == (2, 3, 4) and lg.Tensor(loaded).size() == (2, 3, 4)
    assert lg.Tensor(roundtrip(tmp_path, (2, 3))).tolist() == [2, 3]     # a plain tuple stays a tuple


def test_tables_read_from_a_torch7_file_save_again(tmp_path):
    """torch.load then torch.save of the same object round trips in Torch7 (char-rnn's
    convert_gpu_cpu_checkpoint.lua does it with a checkpoint): the LuaTables lg.load makes of a .t7's
    non-list tables (char-rnn's vocab, val_losses keyed by iteration, the checkpoint itself) save in legonn's
    format and load back as LuaTables, shared, cyclic and usable as keys as Lua tables are."""
    from legonn.serialization.t7.reader import LuaTable
    vocab = {'a': 1, '\n': 2}
    table = {'vocab': vocab, 'again': vocab, 'val_losses': {25: 2.5, 50: 1.5}, 'w': lg.DoubleTensor([1, 2])}
    table['self'] = table
    lg.save_lua(str(tmp_path / 'checkpoint.t7'), table)
    torch7 = lg.load(str(tmp_path / 'checkpoint.t7'))
    assert type(torch7) is LuaTable and type(torch7['vocab']) is LuaTable
    torch7[torch7['vocab']] = 'a table as a key'
    back = roundtrip(tmp_path, torch7)
    assert type(back) is LuaTable and type(back['vocab']) is LuaTable and type(back['val_losses']) is LuaTable
    assert back['self'] is back and back['again'] is back['vocab'] and back[back['vocab']] == 'a table as a key'
    assert back['vocab'] == vocab and back['val_losses'] == {25: 2.5, 50: 1.5}
    np.testing.assert_array_equal(back['w'].numpy(), [1, 2])


def test_penlight_lists_and_ordered_maps_save_as_plain_tables(tmp_path):
    """torch.save writes a Penlight List or OrderedMap as the plain table it is (its metatable is Penlight's,
    not a torch class, and is dropped), so lie-access-memory's cloneManyTimesFast can write a net whose fields
    hold them: they load as a plain list and a plain dict of the entries in order, shared where they were, in
    legonn's format, through lg.serialize, and in Torch7's."""
    from legonn.pl.List import List
    from legonn.pl.OrderedMap import OrderedMap
    inner = List([3, lg.DoubleTensor([4, 5])])
    ordered = OrderedMap()
    ordered.set('z', inner)
    ordered.set('a', List([1, 2]))
    model = nn.Linear(2, 2)
    model.input_map, model.output_map = ordered, inner
    for back in (roundtrip(tmp_path, model), lg.deserialize(lg.serialize(model))):
        assert type(back.input_map) is dict and list(back.input_map) == ['z', 'a']
        assert type(back.output_map) is list and back.input_map['z'] is back.output_map
        assert back.input_map['a'] == [1, 2] and back.output_map[1].tolist() == [4, 5]
    lg.save_lua(str(tmp_path / 'maps.t7'), {'map': ordered, 'list': inner})
    torch7 = lg.load(str(tmp_path / 'maps.t7'))
    assert torch7['list'][0] == 3 and torch7['map']['z'] is torch7['list']
