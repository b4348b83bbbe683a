"""Every optimiser on a CUDA flat tensor follows the CPU trajectory (skipped without CuPy and a GPU)."""
import numpy as np
import pytest

import legonn as lg
from legonn import optim

from .problems import quadratic

pytestmark = pytest.mark.gpu

OPFUNC, XSTAR = quadratic()


def gpu_opfunc(x):
    """The quadratic computed on the device: the gradient stays a CuPy array."""
    import cupy as cp
    a = x.array
    f, g = OPFUNC(cp.asnumpy(a))
    return f, cp.asarray(g)


RUNS = {
    'sgd': {'learningRate': 0.05, 'momentum': 0.9, 'nesterov': True, 'dampening': 0},
    'asgd': {'eta0': 0.05}, 'nag': {'learningRate': 0.05}, 'adagrad': {'learningRate': 0.1}, 'adadelta': {},
    'adam': {'learningRate': 0.05}, 'adamax': {'learningRate': 0.05}, 'rmsprop': {'learningRate': 0.01},
    'rprop': {'niter': 2}, 'lbfgs': {'maxIter': 5}, 'lbfgs+lswolfe': {'maxIter': 5, 'lineSearch': optim.lswolfe},
    'cg': {'maxEval': 10},
}


@pytest.mark.parametrize('name', list(RUNS))
def test_matches_cpu(name):
    fn = getattr(optim, name.split('+')[0])
    x0 = np.linspace(1.0, -1.0, 6)
    cpu, gpu = lg.DoubleTensor(x0), lg.DoubleTensor(x0).cudaDouble()
    c_cpu, c_gpu = dict(RUNS[name]), dict(RUNS[name])
    for _ in range(5):
        fn(OPFUNC, cpu, c_cpu)
        out = fn(gpu_opfunc, gpu, c_gpu)
        assert out[0] is gpu and gpu.is_cuda
    np.testing.assert_allclose(gpu.cpu().array, cpu.array, rtol=1e-9, atol=1e-12)


def test_rprop_element_with_nan_gradient_stays_put_on_the_device():
    """rprop's step is TH's sign of the gradient times the step size, and TH's sign of NaN is 0 (see
    test_first_order's host twin): on the device too the element whose gradient is NaN keeps its value."""
    import cupy as cp

    def opfunc(x):
        a = cp.asnumpy(x.array)
        g = 2 * a
        g[1] = np.nan
        return float(a[0] ** 2 + a[2] ** 2), cp.asarray(g)
    x, config = lg.DoubleTensor(np.array([1.0, -2.0, 3.0])).cudaDouble(), {'stepsize': 0.1}
    for _ in range(3):
        optim.rprop(opfunc, x, config)
    np.testing.assert_allclose(x.cpu().array, [1 - 0.364, -2.0, 3 - 0.364], rtol=1e-12)


def test_cupy_array_updated_in_place():
    import cupy as cp
    x = cp.asarray(np.linspace(1.0, -1.0, 6))
    ptr = x.data.ptr
    out, _ = optim.adam(gpu_opfunc, x, {'learningRate': 0.1})
    assert out.array.data.ptr == ptr and not np.allclose(cp.asnumpy(x), np.linspace(1.0, -1.0, 6))


@pytest.mark.parametrize('name', ['cmaes', 'de'])
def test_stochastic_on_gpu(name):
    lg.manualSeed(3)
    x = lg.DoubleTensor(6).cudaDouble()
    cfg = {'sigma': 1.0, 'maxEval': 2500} if name == 'cmaes' else \
        {'scaleFactor': 0.8, 'crossoverRate': 0.9, 'maxFEs': 6000, 'popsize': 30, 'minRegion': -3, 'maxRegion': 3}
    getattr(optim, name)(lambda p: OPFUNC(p.cpu().array), x, cfg)
    np.testing.assert_allclose(x.cpu().array, XSTAR, atol=1e-3)


def test_gradient_on_wrong_device():
    x = lg.DoubleTensor(6).cudaDouble()
    with pytest.raises(TypeError, match='gradient is on the CPU .* x is on the GPU'):
        optim.sgd(lambda p: (0.0, np.zeros(6)), x, {})


def test_checkgrad_and_confusion_on_gpu():
    import cupy as cp
    diff, _, _ = optim.checkgrad(gpu_opfunc, cp.ones(6), 1e-6)
    assert diff < 1e-7
    cm = optim.ConfusionMatrix(3)
    cm.batchAdd(cp.eye(3), cp.arange(3))
    assert cm.mat.array.trace() == 3
    # the device's scores tie in float32 as the Lua's FloatTensor buffers: the first of them is the prediction
    cm.batchAdd(cp.asarray([[0.05, 0.1, 0.1 + 1e-12]]), cp.asarray([1]))
    cm.add(lg.DoubleTensor([0.3]).cudaDouble().expand(3), 0)
    np.testing.assert_array_equal(cm.mat.array, [[2, 0, 0], [0, 2, 0], [0, 0, 1]])


def test_device_loss_of_several_elements_handed_back():
    """TrainerDeepMask.lua's fevaltrunk returns the trunk's CUDA output as sgd's "loss": handed back as it
    came (sgd.lua's ``return x,{fx}``), and refused with x unchanged when it holds a NaN."""
    x = lg.DoubleTensor([1.0, 2.0]).cudaDouble()
    loss = lg.DoubleTensor([[0.5, 1.5], [2.5, 3.5]]).cudaDouble()
    g = lg.DoubleTensor([1.0, 1.0]).cudaDouble()
    _, fs = optim.sgd(lambda _: (loss, g), x, {'learningRate': 0.5})
    assert fs[0] is loss and x.float().tolist() == [0.5, 1.5]
    loss[0][0] = float('nan')
    with pytest.raises(FloatingPointError):
        optim.sgd(lambda _: (loss, g), x, {'learningRate': 0.5})
    assert x.float().tolist() == [0.5, 1.5]


@pytest.mark.parametrize('name, config, after', [
    ('rprop', {'niter': 3}, 1), ('lbfgs', {'maxIter': 6, 'nCorrection': 2, 'tolFun': -1, 'tolX': -1}, 4)])
def test_failed_call_leaves_the_device_state_it_found(name, config, after):
    """test_bad_input's failed call on device tensors: the state's CuPy buffers are put back in place."""
    fn = getattr(optim, name)
    x = lg.DoubleTensor(np.linspace(1.0, -1.0, 6)).cudaDouble()
    state = dict(config)
    for _ in range(2):
        fn(gpu_opfunc, x, state)
    clean_x, clean_state = x.clone(), {k: v.clone() if isinstance(v, lg.Tensor) else
                                       [t.clone() for t in v] if isinstance(v, list) else v for k, v in state.items()}
    calls = []

    def failing(p):
        calls.append(1)
        f, g = gpu_opfunc(p)
        return (float('nan') if len(calls) > after else f), g
    with pytest.raises(FloatingPointError):
        fn(failing, x, state)
    fn(gpu_opfunc, x, state)
    fn(gpu_opfunc, clean_x, clean_state)
    np.testing.assert_array_equal(x.cpu().array, clean_x.cpu().array)
