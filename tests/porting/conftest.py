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
def double_default():
    """Torch7's default tensor type, DoubleTensor, for a port whose Lua runs in it (tests/conftest.py puts
    FloatTensor back after each test). A port turns it on for all its tests with
    ``pytestmark = pytest.mark.usefixtures('double_default')``."""
    lg.setdefaulttensortype('torch.DoubleTensor')


@pytest.fixture
def cunn_setup():
    """What torch/cunn's test.lua does before each test (lines 6663-6681: setUp, initSeed): GPU 1 is selected,
    device 0 in legonn (docs/porting.md's cutorch row), and Lua's ``math.random`` (Python's ``random``) is seeded
    as torch's generators are (tests/conftest.py's 1234), so the sizes the Lua draws are the same on every run.
    The cunn ports turn it on with ``pytestmark``."""
    from legonn import cutorch
    cutorch.setDevice(0)
    random.seed(1234)
