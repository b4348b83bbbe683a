"""``require 'cutorch'``: the cutorch functions scripts call, over CuPy (imported on first use).

Devices are numbered from 0, as every index in legonn (``setDevice(0)`` is Torch7's ``setDevice(1)``).
Each function that needs the GPU raises a clear ImportError/RuntimeError naming itself when CuPy or a
device is missing. legonn computes on CuPy's current stream of the current device, so the stream functions
know one stream, 0 (cutorch's default stream). The GPU random generator is legonn's (one per thread, as the
CPU one; legonn.manualSeed seeds both, ``manualSeed`` here the GPU one only); with one generator for all
devices, ``manualSeedAll``/``seedAll`` are ``manualSeed``/``seed``.

``require 'cunn'`` needs nothing: legonn's nn modules run on CUDA tensors once ``m.cuda()`` moved them.
"""
import time

from .tensor import TENSOR_CLASSES, backend
from .tensor import random as _random

__all__ = ['synchronize', 'synchronizeAll', 'setDevice', 'getDevice', 'getDeviceCount', 'getMemoryUsage',
           'getDeviceProperties', 'manualSeed', 'manualSeedAll', 'seed', 'seedAll', 'initialSeed',
           'getRNGState', 'setRNGState', 'streamSynchronize', 'getStream', 'getNumStreams', 'withDevice',
           'createCudaHostTensor',
           'createCudaHostFloatTensor', 'createCudaHostDoubleTensor', 'createCudaHostIntTensor',
           'createCudaHostLongTensor', 'createCudaHostByteTensor', 'createCudaHostHalfTensor',
           'isCachingAllocatorEnabled', 'setHeapTracking', 'hasHalf']

# CUDA half tensors exist (legonn.CudaHalfTensor), as cutorch.hasHalf says on GPUs that have them
hasHalf = True


def _cupy(name):
    """The cupy module, or the error that says what is missing, naming cutorch.<name>."""
    try:
        return backend.cupy()
    except (ImportError, RuntimeError) as err:
        raise type(err)(f"cutorch.{name} needs CuPy and a CUDA device: {err}") from err


def _device(name, device):
    """``device`` (0-based, None for the current one) checked against the device count."""
    cp = _cupy(name)
    if device is None:
        return cp.cuda.runtime.getDevice()
    count = cp.cuda.runtime.getDeviceCount()
    if isinstance(device, bool) or not isinstance(device, int) or not 0 <= device < count:
        raise ValueError(f"cutorch.{name}: device must be an integer in [0, {count}) (0-based), got {device!r}")
    return device


def getDeviceCount():
    """The number of visible GPUs."""
    return _cupy('getDeviceCount').cuda.runtime.getDeviceCount()


def getDevice():
    """The current device, 0-based (Torch7's is 1-based)."""
    return _cupy('getDevice').cuda.runtime.getDevice()


def setDevice(device):
    """Make ``device`` (0-based) the current one: new CUDA tensors are allocated and computed there."""
    _cupy('setDevice').cuda.Device(_device('setDevice', device)).use()


def withDevice(device, closure):
    """Call ``closure()`` with ``device`` (0-based) current, restore the previous device, return what it returned."""
    previous = _device('withDevice', None)
    setDevice(_device('withDevice', device))
    try:
        return closure()
    finally:
        setDevice(previous)


def synchronize():
    """Wait until the current device has finished all the work queued on it."""
    _cupy('synchronize').cuda.Device().synchronize()


def synchronizeAll():
    """``synchronize`` on every device."""
    cp = _cupy('synchronizeAll')
    for device in range(cp.cuda.runtime.getDeviceCount()):
        cp.cuda.Device(device).synchronize()


def getStream():
    """The current stream's number: 0, the default stream (legonn runs on CuPy's current stream)."""
    _cupy('getStream')
    return 0


def getNumStreams():
    """The number of user streams reserved: 0 (``reserveStreams`` is not provided)."""
    _cupy('getNumStreams')
    return 0


def streamSynchronize(stream=0):
    """Wait until ``stream`` (0, the only one: see ``getStream``) has finished its queued work."""
    cp = _cupy('streamSynchronize')
    if stream != 0:
        raise ValueError(f"cutorch.streamSynchronize: legonn has one stream per device, 0, got stream {stream!r}")
    cp.cuda.get_current_stream().synchronize()


def getMemoryUsage(device=None):
    """``(free, total)`` memory of ``device`` (0-based; default the current one) in bytes. Memory CuPy's pool
    holds for reuse counts as used, as the caching allocator's does in cutorch."""
    cp = _cupy('getMemoryUsage')
    with cp.cuda.Device(_device('getMemoryUsage', device)):
        free, total = cp.cuda.runtime.memGetInfo()
    return free, total


def getDeviceProperties(device=None):
    """The CUDA device properties of ``device`` (0-based; default the current one) as a dict with cudaDeviceProp's
    field names (``name``, ``totalGlobalMem``, ``major``, ``minor``, ``multiProcessorCount``, ...) and
    cutorch's ``freeGlobalMem``; ``name`` is a str."""
    cp = _cupy('getDeviceProperties')
    device = _device('getDeviceProperties', device)
    props = dict(cp.cuda.runtime.getDeviceProperties(device))
    if isinstance(props.get('name'), bytes):
        props['name'] = props['name'].decode(errors='replace')
    props['freeGlobalMem'] = getMemoryUsage(device)[0]
    return props


def manualSeed(seed, device=None):
    """Seed the GPU random generator (legonn has one for all devices; ``device`` is checked and accepted)."""
    _device('manualSeed', device)
    _random.manualSeedCuda(seed)


def manualSeedAll(seed):
    """Seed the GPU random generator of every device (one, in legonn)."""
    _cupy('manualSeedAll')
    manualSeed(seed)


def seed(device=None):
    """Seed the GPU generator from the clock; returns the seed."""
    _device('seed', device)
    value = time.time_ns() % 2 ** 32   # a 32-bit seed, as any generator takes
    _random.manualSeedCuda(value)
    return value


def getRNGState():
    """The GPU generator's state (a dict; cutorch's is a ByteTensor), its initial seed included: ``setRNGState``
    restores both. Taking it re-seeds the stream from itself (CuPy's generator shows no state to copy)."""
    _cupy('getRNGState')
    return _random.getRNGStateCuda()


def setRNGState(state):
    """Restore the GPU generator, and its initial seed, to ``state`` from ``getRNGState``; returns it."""
    _cupy('setRNGState')
    return _random.setRNGStateCuda(state)


def seedAll():
    """``seed`` for every device (one generator, in legonn); returns the seed."""
    _cupy('seedAll')
    return seed()


def initialSeed(device=None):
    """The GPU generator's seed: the last ``manualSeed``'s (or legonn.manualSeed's, which seeds both)."""
    _device('initialSeed', device)
    return _random.initialSeedCuda()


def _host_tensor_factory(kind):
    def create(*sizes):
        return TENSOR_CLASSES[kind + 'Tensor'](*sizes)
    create.__name__ = create.__qualname__ = f'createCudaHost{kind}Tensor'
    create.__doc__ = (f"A {kind}Tensor of the given sizes (numbers or one LongStorage / size), as cutorch's; its "
                      "memory is ordinary host memory, not page-locked: copies to the GPU give the same values, "
                      "only without DMA's speed.")
    return create


# cutorch's createCudaHost<Type>Tensor for its host types; createCudaHostTensor is the Float one
createCudaHostFloatTensor = createCudaHostTensor = _host_tensor_factory('Float')
createCudaHostDoubleTensor = _host_tensor_factory('Double')
createCudaHostIntTensor = _host_tensor_factory('Int')
createCudaHostLongTensor = _host_tensor_factory('Long')
createCudaHostByteTensor = _host_tensor_factory('Byte')
createCudaHostHalfTensor = _host_tensor_factory('Half')


def isCachingAllocatorEnabled():
    """True: CuPy's memory pool keeps freed blocks for reuse, as cutorch's caching allocator."""
    _cupy('isCachingAllocatorEnabled')
    return True


def setHeapTracking(enabled):
    """``cutorch.setHeapTracking(true)`` (eladhoffer/seq2seq.torch's opt.lua calls it; cutorch's init.lua:147 turns
    it on at load): init.c's cutorch_setHeapTracking lets a failed GPU allocation run Lua's garbage collector and
    try again. legonn's allocations already do so, whatever the flag: CuPy's memory pool, on a failed allocation,
    frees its cached blocks, collects Python's garbage and retries, and CPython frees a tensor when its last
    reference goes. ``enabled`` must be a boolean, as luaT_checkboolean wants; returns nothing."""
    if not isinstance(enabled, bool):
        raise TypeError(f"cutorch.setHeapTracking: expected a boolean, got {type(enabled).__name__}")
    _cupy('setHeapTracking')
