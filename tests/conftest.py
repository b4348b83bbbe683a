"""Shared pytest set-up: the `gpu` marker (skipped without CuPy and a GPU) and a fixed seed per test."""
import pytest

import legonn as lg


def pytest_configure(config):
    config.addinivalue_line('markers', 'gpu: needs CuPy and a CUDA device; skipped otherwise')


def pytest_collection_modifyitems(config, items):
    if lg.gpu_available():
        return
    skip = pytest.mark.skip(reason='needs CuPy and a CUDA GPU')
    for item in items:
        if 'gpu' in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seeded():
    lg.manualSeed(1234)
    yield
    lg.setdefaulttensortype('legonn.FloatTensor')
