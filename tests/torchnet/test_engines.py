"""torchnet's engines (engine/init.lua, engine/sgdengine.lua, engine/optimengine.lua): the hooks in the order the
Lua calls them, the state's fields, the updates against a NumPy transcription, and example/mnist.lua ported."""
import pathlib

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from legonn import torchnet as tnt

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'   # the shipped MNIST slice

# sgdengine.lua's train loop, event by event, for 2 samples and 2 epochs
PER_SAMPLE = ['onSample', 'onForward', 'onForwardCriterion', 'onBackwardCriterion', 'onBackward', 'onUpdate']
TRAIN_ORDER = ['onStart'] + (['onStartEpoch'] + PER_SAMPLE * 2 + ['onEndEpoch']) * 2 + ['onEnd']
TEST_ORDER = ['onStart'] + ['onSample', 'onForward', 'onForwardCriterion'] * 2 + ['onEnd']


def regression_data(n=2, seed=0):
    rng = np.random.RandomState(seed)
    return [{'input': lg.from_numpy(rng.randn(3)), 'target': lg.from_numpy(rng.randn(2))} for _ in range(n)]


def linear(seed=0):
    rng = np.random.RandomState(seed + 10)
    net = nn.Linear(3, 2).double()
    net.weight.copy(rng.randn(2, 3))
    net.bias.copy(rng.randn(2))
    return net


def recorder(engine, log):
    for name in engine.HOOKS:
        engine.hooks[name] = (lambda name: lambda state: log.append((name, state.t, state.get('epoch'),
                                                                     state.training)))(name)


def test_sgd_engine_hook_order_and_state():
    """sgdengine.lua train/test: the hooks in the Lua's order; state.t counts samples (incremented before
    onUpdate in train, before onForward in test), state.epoch epochs done, state.training."""
    engine, log = tnt.SGDEngine(), []
    recorder(engine, log)
    iterator = tnt.TableDataset(data=regression_data()).iterator()
    state = engine.train(network=linear(), criterion=nn.MSECriterion(), iterator=iterator, lr=0.1, maxepoch=2)
    assert [entry[0] for entry in log] == TRAIN_ORDER
    assert log[0] == ('onStart', 0, 0, True)
    assert ('onUpdate', 1, 0, True) in log and ('onBackward', 1, 0, True) in log
    assert log[-2] == ('onEndEpoch', 4, 2, True) and log[-1] == ('onEnd', 4, 2, True)
    assert sorted(state) == ['criterion', 'epoch', 'iterator', 'lr', 'lrcriterion', 'maxepoch', 'network', 'sample',
                             't', 'training']
    assert state.lrcriterion == 0.1 and state['maxepoch'] == 2
    log.clear()
    state = engine.test(network=state.network, iterator=iterator, criterion=nn.MSECriterion())
    assert [entry[0] for entry in log] == TEST_ORDER
    assert log[2] == ('onForward', 1, None, False) and state.training is False
    log.clear()
    engine.test({'network': state.network, 'iterator': iterator})      # no criterion: no onForwardCriterion
    assert [entry[0] for entry in log] == ['onStart', 'onSample', 'onForward', 'onSample', 'onForward', 'onEnd']


def numpy_sgd(samples, w, b, lr, epochs):
    """sgdengine.lua's step for Linear + MSECriterion (sizeAverage), in float64: w -= lr * dL/dw."""
    for _ in range(epochs):
        for s in samples:
            x, t = s['input'].numpy(), s['target'].numpy()
            grad_out = 2 * (w @ x + b - t) / t.size
            w, b = w - lr * np.outer(grad_out, x), b - lr * grad_out
    return w, b


def test_sgd_engine_updates_like_the_transcription():
    """sgdengine.lua: zeroGradParameters, backward, updateParameters(lr) per sample; a hook that sets state.lr
    changes the rate from then on (0: no update)."""
    samples, net = regression_data(3), linear()
    w, b = numpy_sgd(samples, net.weight.numpy().copy(), net.bias.numpy().copy(), 0.05, 2)
    tnt.SGDEngine().train(network=net, criterion=nn.MSECriterion(), iterator=tnt.TableDataset(data=samples).iterator(),
                          lr=0.05, maxepoch=2)
    np.testing.assert_allclose(net.weight.numpy(), w, rtol=1e-12)
    np.testing.assert_allclose(net.bias.numpy(), b, rtol=1e-12)
    engine = tnt.SGDEngine()
    engine.hooks.onStartEpoch = lambda state: state.update(lr=0)
    before = net.weight.numpy().copy()
    engine.train(network=net, criterion=nn.MSECriterion(), iterator=tnt.TableDataset(data=samples).iterator(), lr=1)
    np.testing.assert_array_equal(net.weight.numpy(), before)


def test_optim_engine_by_name_and_function():
    """optimengine.lua: getParameters, then optimMethod(feval, params, config, optimState) after each backward;
    plain sgd with learningRate lr is the SGDEngine update; a name finds legonn.optim's function; the state
    keeps optim's state (momentum buffers)."""
    samples = regression_data(3)
    w, b = numpy_sgd(samples, linear().weight.numpy().copy(), linear().bias.numpy().copy(), 0.05, 2)
    for method in ('sgd', optim.sgd):
        net = linear()
        engine = tnt.OptimEngine()
        state = engine.train({'network': net, 'criterion': nn.MSECriterion(), 'maxepoch': 2,
                              'iterator': tnt.TableDataset(data=samples).iterator(), 'optimMethod': method,
                              'config': {'learningRate': 0.05}})
        np.testing.assert_allclose(net.weight.numpy(), w, rtol=1e-12)
        np.testing.assert_allclose(net.bias.numpy(), b, rtol=1e-12)
        assert state.optimMethod is optim.sgd and state.t == 6 and state.params.nElement() == 8
    optim_state = {}
    tnt.OptimEngine().train(network=linear(), criterion=nn.MSECriterion(), optimMethod='sgd', maxepoch=1,
                            iterator=tnt.TableDataset(data=samples).iterator(), optimState=optim_state,
                            config={'learningRate': 0.05, 'momentum': 0.9})
    assert 'dfdx' in optim_state
    with pytest.raises(ValueError, match="tnt.OptimEngine.train: unknown optimMethod 'sgdd'"):
        tnt.OptimEngine().train(network=linear(), criterion=nn.MSECriterion(), optimMethod='sgdd',
                                iterator=tnt.TableDataset(data=samples).iterator())


class CriterionWithParameters(nn.MSECriterion):
    """A criterion with zeroGradParameters/updateParameters, which sgdengine.lua calls when present."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def zeroGradParameters(self):
        self.calls.append('zero')

    def updateParameters(self, lr):
        self.calls.append(lr)


def test_criterion_parameters_and_lrcriterion():
    """sgdengine.lua: criterion:zeroGradParameters() before its backward and criterion:updateParameters
    (lrcriterion) when lrcriterion > 0 (default lr); lrcriterion 0 skips it."""
    data = tnt.TableDataset(data=regression_data(1))
    crit = CriterionWithParameters()
    tnt.SGDEngine().train(network=linear(), criterion=crit, iterator=data.iterator(), lr=0.1, maxepoch=1)
    assert crit.calls == ['zero', 0.1]
    crit.calls.clear()
    tnt.SGDEngine().train(network=linear(), criterion=crit, iterator=data.iterator(), lr=0.1, lrcriterion=0,
                          maxepoch=1)
    assert crit.calls == ['zero']


def test_hooks_table():
    """engine/init.lua: an unknown hook name raises, on setting and on reading; a hook written without the
    state argument is called without it (Lua drops extra arguments)."""
    engine, calls = tnt.SGDEngine(), []
    engine.hooks.onStart = lambda: calls.append('start')
    engine.hooks['onEnd'] = lambda state: calls.append(state.t)
    engine.train(network=linear(), criterion=nn.MSECriterion(), lr=0.1, maxepoch=1,
                 iterator=tnt.TableDataset(data=regression_data(2)).iterator())
    assert calls == ['start', 2]
    with pytest.raises(ValueError, match='unknown hook <onForwardCriterium>'):
        engine.hooks.onForwardCriterium = print
    with pytest.raises(ValueError, match='unknown hook <onBatch>'):
        engine.hooks.onBatch


def test_bad_arguments_name_the_engine():
    """argcheck's types for train/test: network an nn.Module, criterion an nn.Criterion, iterator a
    tnt.DatasetIterator, lr >= 0."""
    iterator = tnt.TableDataset(data=regression_data(1)).iterator()
    with pytest.raises(TypeError, match='tnt.SGDEngine.train: expected network to be an nn.Module, got str'):
        tnt.SGDEngine().train(network='net', criterion=nn.MSECriterion(), iterator=iterator, lr=0.1)
    with pytest.raises(TypeError, match='tnt.SGDEngine.train: expected iterator to be a tnt.DatasetIterator'):
        tnt.SGDEngine().train(network=linear(), criterion=nn.MSECriterion(), iterator=[1], lr=0.1)
    with pytest.raises(TypeError, match='tnt.SGDEngine.train: expected criterion to be an nn.Criterion'):
        tnt.SGDEngine().train(network=linear(), criterion=nn.Linear(2, 2), iterator=iterator, lr=0.1)
    with pytest.raises(TypeError, match=r"tnt.OptimEngine.train: expected each sample to be a dict with 'input' and "
                                        r"'target', got dict with keys \['x'\]"):
        tnt.OptimEngine().train(network=linear(), criterion=nn.MSECriterion(), optimMethod=optim.sgd,
                                iterator=tnt.TableDataset(data=[{'x': 1}]).iterator())
    with pytest.raises(TypeError, match="tnt.SGDEngine.test: expected each sample to be a dict with 'input' and "
                                        "'target', got list"):
        tnt.SGDEngine().test(network=linear(), iterator=tnt.TableDataset(data=[[1, 2]]).iterator())
    with pytest.raises(ValueError, match='tnt.SGDEngine.train: lr should be positive or zero, got -1'):
        tnt.SGDEngine().train(network=linear(), criterion=nn.MSECriterion(), iterator=iterator, lr=-1)


@pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')
def test_mnist_example():
    """example/mnist.lua line by line: a ParallelDatasetIterator (1 thread) over a BatchDataset (128) of a
    ListDataset of indices loading {input, target}, a Linear(784, 10) logistic regression with
    CrossEntropyCriterion, SGDEngine lr 0.2 for 5 epochs, the loss and class error kept by onStartEpoch and
    onForwardCriterion hooks (the meters, which are tntb's, replaced by sums), then engine:test. On the
    bundled 5,000 digits (4,000 to train, 1,000 to test) the test error is under 15% (0.118 measured)."""
    raw = np.load(DATA)
    order = np.random.RandomState(0).permutation(len(raw['y']))
    x = raw['x'][order].reshape(-1, 784).astype(np.float64) / 256
    y = raw['y'][order].astype(np.int64)
    splits = {'train': (x[:4000], y[:4000]), 'test': (x[4000:], y[4000:])}

    def getIterator(mode):
        def closure():
            data, label = splits[mode]
            return tnt.BatchDataset(
                batchsize=128,
                dataset=tnt.ListDataset(list=lg.range(0, data.shape[0] - 1).long(),
                                        load=lambda idx: {'input': lg.from_numpy(data[idx]),
                                                          'target': lg.LongTensor([label[idx]])}))
        return tnt.ParallelDatasetIterator(nthread=1, init=lambda: None, closure=closure)

    lg.manualSeed(1)
    net = nn.Sequential().add(nn.Linear(784, 10)).double()
    criterion = nn.CrossEntropyCriterion()
    engine = tnt.SGDEngine()
    meter = {}

    def onStartEpoch(state):
        meter.update(loss=0.0, batches=0, wrong=0, seen=0)

    def onForwardCriterion(state):
        meter['loss'] += state.criterion.output
        meter['batches'] += 1
        predicted = state.network.output.numpy().argmax(1)
        meter['wrong'] += int((predicted != state.sample['target'].numpy()[:, 0]).sum())
        meter['seen'] += len(predicted)
    engine.hooks.onStartEpoch = onStartEpoch
    engine.hooks.onForwardCriterion = onForwardCriterion
    engine.train(network=net, iterator=getIterator('train'), criterion=criterion, lr=0.2, maxepoch=5)
    train_loss = meter['loss'] / meter['batches']
    onStartEpoch(None)
    engine.test(network=net, iterator=getIterator('test'), criterion=criterion)
    assert meter['seen'] == 1000 and meter['batches'] == 8
    assert train_loss < 0.5
    assert meter['wrong'] / meter['seen'] < 0.15


@pytest.mark.gpu
def test_gpu_training_as_mnist_lua_usegpu():
    """example/mnist.lua's -usegpu branch: net:cuda(), criterion:cuda(), and an onSample hook copying each batch
    into CUDA buffers (resize + copy); the parameters end where the CPU run's do. Batches of CUDA samples merge
    on the GPU (mergetensor)."""
    rng = np.random.RandomState(0)
    samples = [{'input': lg.from_numpy(rng.randn(4).astype(np.float32)), 'target': lg.LongTensor([i % 3])}
               for i in range(12)]
    results = []
    for cuda in (False, True):
        lg.manualSeed(2)
        net = nn.Sequential().add(nn.Linear(4, 3))
        criterion = nn.CrossEntropyCriterion()
        engine = tnt.SGDEngine()
        if cuda:
            net, criterion = net.cuda(), criterion.cuda()
            igpu, tgpu = lg.CudaTensor(), lg.CudaLongTensor()

            def onSample(state):
                igpu.resize(*state.sample['input'].size()).copy(state.sample['input'])
                tgpu.resize(*state.sample['target'].size()).copy(state.sample['target'])
                state.sample['input'], state.sample['target'] = igpu, tgpu
            engine.hooks.onSample = onSample
        engine.train(network=net, criterion=criterion, lr=0.2, maxepoch=3,
                     iterator=tnt.TableDataset(data=samples).batch(5).iterator())
        results.append(net.get(0).weight.float().numpy().copy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6)
    merged = tnt.utils.table.mergetensor([lg.CudaTensor(2).fill(1), lg.CudaTensor(2).fill(2)])
    assert merged.type() == 'legonn.CudaTensor' and merged.float().tolist() == [[1, 1], [2, 2]]
