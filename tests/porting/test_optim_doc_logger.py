"""torch/optim's doc/logger.md, ported by docs/porting.md: the walk-through's Logger on ``accuracy.log``
(``math.random`` is Python's ``random``, seeded), its file as ``cat`` shows it, then ``style`` and ``plot``
(legonn writes the plot to a file: no gnuplot window, so ``display(false)`` only keeps it so), and the
log-scale switch."""
import random
import re

import pytest

from legonn import optim


@pytest.fixture
def logger_walkthrough(tmp_path):
    random.seed(1)
    path = tmp_path / 'accuracy.log'
    logger = optim.Logger(str(path))
    logger.setNames(['Training acc.', 'Test acc.'])
    rows = []
    for i in range(10):
        trainAcc = random.randint(0, 100)
        testAcc = random.randint(0, 100)
        logger.add([trainAcc, testAcc])
        rows.append((trainAcc, testAcc))
    yield logger, path, rows
    logger.close()


def test_optim_logger_logging_data(logger_walkthrough):
    """Logging data: the header of names, then one row per ``add``, each number as ``%.4e`` (the doc's
    `` 7.0000e+01      5.9000e+01``), tab-separated."""
    logger, path, rows = logger_walkthrough
    lines = path.read_text().splitlines()
    assert len(lines) == 11
    assert lines[0].split('\t')[:2] == ['Training acc.', 'Test acc.']
    for line, (a, b) in zip(lines[1:], rows):
        assert re.fullmatch(r' \d\.\d{4}e\+\d\d\t \d\.\d{4}e\+\d\d\t', line)
        assert [float(v) for v in line.split()] == [a, b]


def test_optim_logger_visualising_logs(logger_walkthrough):
    """Visualising logs: ``logger:style{'+-', '+-'}`` then ``logger:plot()`` writes the plot next to the log;
    ``display(false)`` keeps plots saved, not shown, and ``display(true)`` restores it; ``setlogscale``
    switches the y axis."""
    logger, path, rows = logger_walkthrough
    logger.style(['+-', '+-'])
    logger.display(False)
    svg = logger.plot()
    text = open(svg).read()
    assert svg.startswith(str(path)) and text.count('<polyline') == 2
    assert 'Training acc.' in text and 'Test acc.' in text
    logger.display(True)
    logger.setlogscale(True)
    logged = open(logger.plot()).read()
    assert logged != text                              # the log axis moves the curves
    logger.setlogscale(False)
    assert open(logger.plot()).read() == text
