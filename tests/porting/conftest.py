"""Fixtures the porting tests share."""
import pytest

from legonn import threads


@pytest.fixture
def sharedserialize():
    """``Threads.serialization('threads.sharedserialize')``, which fb.resnet.torch's dataloader.lua and
    imagenet-multiGPU.torch's data.lua run when they load; the process-wide choice is put back afterwards."""
    before = threads.Threads.serialization()
    threads.Threads.serialization('threads.sharedserialize')
    yield
    threads.Threads.serialization(before)
