"""legonn.cutorch: cutorch's device, memory, stream and random-seed functions over CuPy (torch/cutorch's
README.md and init.lua), on the GPU (or its simulator) and their errors without one."""
import sys

import numpy as np
import pytest

import legonn as lg
from legonn import cutorch
from legonn.tensor import backend

GPU_FUNCTIONS = [
    ('synchronize', ()), ('synchronizeAll', ()), ('setDevice', (0,)), ('getDevice', ()), ('getDeviceCount', ()),
    ('getMemoryUsage', (0,)), ('getDeviceProperties', (0,)), ('manualSeed', (1,)), ('manualSeedAll', (1,)),
    ('seed', ()), ('seedAll', ()), ('initialSeed', ()), ('streamSynchronize', (0,)), ('getStream', ()),
    ('getNumStreams', ()), ('withDevice', (0, lambda: None)), ('isCachingAllocatorEnabled', ()),
    ('getRNGState', ()), ('setRNGState', ({'streamSeed': 1, 'initialSeed': 1},)), ('setHeapTracking', (True,)),
]


@pytest.mark.parametrize('name, args', GPU_FUNCTIONS, ids=[n for n, _ in GPU_FUNCTIONS])
def test_without_cupy_each_function_names_itself(monkeypatch, name, args):
    """Without CuPy (as on a machine with no GPU) each function raises ImportError naming cutorch.<name>, the
    way legonn's .cuda() explains a missing CuPy."""
    monkeypatch.setattr(backend, '_cupy', None)
    monkeypatch.setitem(sys.modules, 'cupy', None)   # import cupy now fails
    with pytest.raises(ImportError, match=rf'cutorch\.{name} needs CuPy and a CUDA device: .*not installed'):
        getattr(cutorch, name)(*args)


def test_host_tensor_and_flags_need_no_gpu():
    """createCudaHostTensor gives a FloatTensor of the given sizes (numbers or a LongStorage), as cutorch's, and
    createCudaHost<Type>Tensor the other host types of init.lua; hasHalf is true."""
    assert lg.typename(cutorch.createCudaHostTensor(2, 3)) == 'legonn.FloatTensor'
    assert cutorch.createCudaHostTensor(lg.LongStorage([4, 5])).size() == (4, 5)
    assert cutorch.createCudaHostTensor().nElement() == 0
    for kind in ('Float', 'Double', 'Int', 'Long', 'Byte', 'Half'):   # init.lua's hostTypes
        assert getattr(cutorch, f'createCudaHost{kind}Tensor')(3, 1).type() == f'legonn.{kind}Tensor'
    assert cutorch.hasHalf is True


@pytest.mark.gpu
def test_devices_are_zero_based_and_checked():
    """setDevice/getDevice/withDevice count from 0 (DESIGN rule 1); a device past the count is a ValueError
    naming the function; withDevice restores the device and returns what the closure returned, even after an
    error."""
    count = cutorch.getDeviceCount()
    assert count >= 1
    cutorch.setDevice(0)
    assert cutorch.getDevice() == 0
    assert cutorch.withDevice(count - 1, lambda: cutorch.getDevice()) == count - 1
    assert cutorch.getDevice() == 0
    for bad in (count, -1, 0.5, True):
        with pytest.raises(ValueError, match=r'cutorch\.setDevice: device must be an integer in \[0, '):
            cutorch.setDevice(bad)
    with pytest.raises(ValueError, match=r'cutorch\.getMemoryUsage'):
        cutorch.getMemoryUsage(count)

    def fails():
        raise KeyError('inside')
    with pytest.raises(KeyError):
        cutorch.withDevice(count - 1, fails)
    assert cutorch.getDevice() == 0


@pytest.mark.gpu
def test_memory_and_properties():
    """getMemoryUsage(dev) returns (free, total) bytes as the CUDA runtime reports them; getDeviceProperties has
    cudaDeviceProp's fields scripts read, a str name and cutorch's freeGlobalMem."""
    cp = backend.cupy()
    free, total = cutorch.getMemoryUsage(0)
    assert 0 < free <= total and total == cp.cuda.runtime.memGetInfo()[1]
    assert cutorch.getMemoryUsage()[1] == total
    props = cutorch.getDeviceProperties(0)
    assert isinstance(props['name'], str) and props['name']
    assert props['totalGlobalMem'] == total and 0 < props['freeGlobalMem'] <= total
    assert {'major', 'minor', 'multiProcessorCount'} <= set(props)


@pytest.mark.gpu
def test_manual_seed_repeats_gpu_draws_and_leaves_the_cpu_stream():
    """cutorch.manualSeed(s) seeds the GPU generator only: the same seed gives the same CUDA draws, the CPU
    stream goes on undisturbed, initialSeed returns s; lg.manualSeed seeds both (initialSeed follows it);
    seed() returns the clock seed it set."""
    lg.manualSeed(7)
    cpu_expected = lg.FloatTensor(4).uniform().numpy().copy()
    lg.manualSeed(7)
    cutorch.manualSeed(123)
    a = lg.CudaTensor(5).uniform().float().numpy().copy()
    cpu = lg.FloatTensor(4).uniform().numpy().copy()
    cutorch.manualSeedAll(123)
    b = lg.CudaTensor(5).uniform().float().numpy().copy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(cpu, cpu_expected)
    assert cutorch.initialSeed() == 123
    cutorch.manualSeed(124)
    assert not np.array_equal(lg.CudaTensor(5).uniform().float().numpy(), a)
    lg.manualSeed(9)
    assert cutorch.initialSeed() == 9
    s = cutorch.seed()
    assert cutorch.initialSeed() == s and cutorch.seedAll() != 9


@pytest.mark.gpu
def test_rng_state_restores_the_gpu_draws_and_the_initial_seed():
    """cutorch's getRNGState/setRNGState (test.lua's test.restore_rng): the draws after getRNGState come again
    after setRNGState, whatever was seeded between, and initialSeed is the saved one; the CPU stream is not
    touched."""
    cutorch.manualSeed(5)
    cpu_state = lg.getRNGState()
    rng = cutorch.getRNGState()
    a = lg.CudaTensor(6).normal().float().numpy().copy()
    cutorch.manualSeed(5 + 123)
    lg.CudaTensor(3).uniform()
    assert cutorch.setRNGState(rng) is rng
    np.testing.assert_array_equal(lg.CudaTensor(6).normal().float().numpy(), a)
    assert cutorch.initialSeed() == 5 and lg.getRNGState() == cpu_state


@pytest.mark.gpu
def test_synchronisation_and_streams():
    """synchronize/synchronizeAll/streamSynchronize(0) return after the queued work; stream 0 is the only
    stream (getStream, getNumStreams), another is a ValueError; the caching allocator is on (CuPy's pool)."""
    x = lg.CudaTensor(100).fill(2)
    cutorch.synchronize()
    cutorch.synchronizeAll()
    cutorch.streamSynchronize(0)
    assert float(x.sum()) == 200
    assert (cutorch.getStream(), cutorch.getNumStreams()) == (0, 0)
    with pytest.raises(ValueError, match=r'cutorch\.streamSynchronize: .*one stream'):
        cutorch.streamSynchronize(1)
    assert cutorch.isCachingAllocatorEnabled()


@pytest.mark.gpu
def test_set_heap_tracking_takes_a_boolean():
    """eladhoffer/seq2seq.torch's opt.lua: ``cutorch.setHeapTracking(true)`` (init.c's cutorch_setHeapTracking,
    luaT_checkboolean): true or false is taken, and allocation goes on as before; a number is refused."""
    assert cutorch.setHeapTracking(True) is None
    cutorch.setHeapTracking(False)
    assert float(lg.CudaTensor(10).fill(1).sum()) == 10
    with pytest.raises(TypeError, match=r'cutorch\.setHeapTracking: expected a boolean, got int'):
        cutorch.setHeapTracking(1)


@pytest.mark.gpu
def test_imagenet_multigpu_idioms():
    """Lines of soumith/imagenet-multiGPU.torch and fb.resnet.torch, ported (1-based devices shifted):
    cutorch.setDevice(opt.GPU), cutorch.manualSeed(opt.manualSeed), a host tensor copied to the GPU,
    cutorch.synchronize() around a timed step, getMemoryUsage for a log line."""
    opt = {'GPU': 1, 'manualSeed': 2}
    cutorch.setDevice(opt['GPU'] - 1)
    cutorch.manualSeed(opt['manualSeed'])
    inputsCPU = cutorch.createCudaHostTensor(4, 3)
    inputs = lg.CudaTensor()
    inputs.resize(inputsCPU.size()).copy(inputsCPU.fill(1.5))
    cutorch.synchronize()
    free, total = cutorch.getMemoryUsage(cutorch.getDevice())
    assert float(inputs.sum()) == 18 and free <= total
