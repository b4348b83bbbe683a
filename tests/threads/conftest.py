"""Every test in tests/threads is bounded in time: a hang dumps the stacks and ends the run."""
import faulthandler

import pytest

LIMIT_S = 60


@pytest.fixture(autouse=True)
def _watchdog():
    faulthandler.dump_traceback_later(LIMIT_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
