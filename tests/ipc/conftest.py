"""Every wait of legonn.ipc in these tests gives up after 20 s (torch-ipc's 5 minutes otherwise), so a broken
exchange fails the test instead of hanging the run."""
import pytest

from legonn import ipc


@pytest.fixture(autouse=True)
def short_ipc_timeout(monkeypatch):
    monkeypatch.setattr(ipc, 'DEFAULT_TIMEOUT', 20.0)
