"""Fixtures the porting tests share."""
import random

import pytest

import legonn as lg
from legonn import threads


@pytest.fixture(autouse=True)
def _numthreads():
    """The demos call ``torch.setnumthreads(opt.threads)`` as their Lua does (train-face-detector asks for 8):
    the process-wide count is put back after each test."""
    before = lg.getnumthreads()
    yield
    if lg.getnumthreads() != before:
        lg.setnumthreads(before)


@pytest.fixture
def sharedserialize():
    """``Threads.serialization('threads.sharedserialize')``, which fb.resnet.torch's dataloader.lua and
    imagenet-multiGPU.torch's data.lua run when they load; the process-wide choice is put back afterwards."""
    before = threads.Threads.serialization()
    threads.Threads.serialization('threads.sharedserialize')
    yield
    threads.Threads.serialization(before)


@pytest.fixture
def reproducible_workers(monkeypatch):
    """Torch7 seeds each worker thread's generator from the OS's entropy (THRandom.c's THGenerator_new), so what a
    donkey or loader thread draws (crops, flips, a batch's order) differs from run to run, and with it a training's
    figures; a port whose Lua leaves its workers unseeded turns this on to seed each thread worker's generator
    with 7 after its ``own_generator`` has run, so that its figures are the same on every run."""
    from legonn.threads import thread_workers

    def seeded_generator():
        seed = own_generator()
        lg.manualSeed(7)
        return seed

    own_generator = thread_workers.own_generator
    monkeypatch.setattr(thread_workers, 'own_generator', seeded_generator)


@pytest.fixture
def double_default(monkeypatch):
    """Torch7's default tensor type, DoubleTensor, for a port whose Lua runs in it (tests/conftest.py puts
    FloatTensor back after each test). A port turns it on for all its tests with
    ``pytestmark = pytest.mark.usefixtures('double_default')``. Every Lua state starts at it (torch7's init.lua
    line 153), a threads worker's or an ipc.map thread's as the main one's, so the threads this test starts do too
    (legonn's default is per thread, each starting at ``_Default.name``; a forkserver's worker processes do not)."""
    from legonn.tensor import types
    monkeypatch.setattr(types._Default, 'name', 'DoubleTensor')
    lg.setdefaulttensortype('torch.DoubleTensor')


@pytest.fixture
def lua_math_random():
    """Lua's ``math.random`` (Python's ``random``, docs/porting.md's row) seeded as tests/conftest.py seeds torch's
    generator (1234), as the suites' initSeed seeds both: the sizes a ported test draws are the same on every run."""
    random.seed(1234)


@pytest.fixture
def cunn_setup(lua_math_random):
    """What torch/cunn's test.lua does before each test (lines 6663-6681: setUp, initSeed): GPU 1 is selected,
    device 0 in legonn (docs/porting.md's cutorch row), and ``math.random`` is seeded. The cunn ports turn it on
    with ``pytestmark``."""
    from legonn import cutorch
    cutorch.setDevice(0)


@pytest.fixture
def cutorch_setup(lua_math_random):
    """What torch/cutorch's test/test.lua does before each test (lines 4905-4927: setUp, initSeed): device 0 and
    ``checkHalf`` (tests/porting/cutorch_testlua.py's ``setUp``), and ``math.random`` seeded."""
    from tests.porting.cutorch_testlua import setUp
    setUp()


@pytest.fixture(params=['optimized', 'direct'])
def autograd_mode(request):
    """torch-autograd's test.lua runs every test twice (lines 1961-1979): ``Optimized_`` after
    ``autograd.optimize(true)``, then ``Direct_`` without the functions its skip list names; both after
    ``autograd.protected(true)`` (line 9). The defaults are put back afterwards."""
    from legonn import autograd
    from tests.porting.autograd_testlua import DIRECT_SKIPS
    name = request.node.originalname[len('test_'):]
    if request.param == 'direct' and name in DIRECT_SKIPS:
        pytest.skip(f"test.lua's Direct_ run leaves {name} out (line 1978)")
    before = autograd.optimizing(), autograd._defaults['protected']
    autograd.optimize(request.param == 'optimized')
    autograd.protected(True)
    yield request.param
    autograd.optimize(before[0])
    autograd.protected(before[1])
