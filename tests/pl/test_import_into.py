"""``local pl = require('pl.import_into')()`` (kaishengtai/neuralart's main.lua, then ``pl.utils.printf``):
Penlight's import_into.lua returns a function whose result is a table loading each pl module on first
access."""
import pytest

import legonn as lg
from legonn import pl as legonn_pl


def test_import_into_gives_the_pl_modules(capsys):
    pl = lg.pl.import_into()
    pl.utils.printf('iter %5d\tloss %8.2e\n', 10, 1234.5)
    assert capsys.readouterr().out == 'iter    10\tloss 1.23e+03\n'
    assert pl.stringx is legonn_pl.stringx and pl.tablex.deepcompare([1, 2], [1, 2])
    with pytest.raises(AttributeError, match="no attribute 'template'"):
        pl.template
