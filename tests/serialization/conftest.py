"""``without_cuda``: the test runs as on a machine where legonn cannot use CUDA (``import cupy`` fails), even
under the GPU simulator or on a GPU, for what a load does there by default."""
import sys

import pytest

from legonn.tensor import backend


@pytest.fixture
def without_cuda(monkeypatch):
    monkeypatch.setattr(backend, '_cupy', None)
    monkeypatch.setitem(sys.modules, 'cupy', None)   # import cupy now fails
    assert not backend.gpu_available()
