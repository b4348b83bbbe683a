"""legonn.trepl against torch/trepl's colors.lua and colorize.lua (the modules scripts require outside the REPL)."""
import pytest

import legonn as lg
from legonn import paths
from legonn.trepl import colorize, colors

ESC = '\x1b['


def test_colors_follow_colors_lua():
    """colors.lua: the seven attributes (reset 0, bright 1, dim 2, underline 4, blink 5, reverse 7, hidden 8),
    then black .. white as 0;30 .. 0;37, their capitalised bold twins 1;30 .. 1;37, and the backgrounds
    _black .. _white as 40 .. 47."""
    hues = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white']
    expected = {'none': '0', 'bright': '1', 'dim': '2', 'underline': '4', 'blink': '5', 'reverse': '7', 'hidden': '8'}
    for i, hue in enumerate(hues):
        expected[hue] = f'0;3{i}'
        expected[hue.capitalize()] = f'1;3{i}'
        expected['_' + hue] = f'4{i}'
    assert colors.CODES == {name: ESC + code + 'm' for name, code in expected.items()}
    assert colors.red == '\x1b[0;31m' and colors.none == '\x1b[0m'
    with pytest.raises(AttributeError, match="trepl.colors has no colour 'orange'"):
        colors.orange


def test_colorize_wraps_text_in_a_colour_and_the_reset():
    """colorize.lua: f[name](txt) = colors[name] .. txt .. colors.none; train.lua's c.blue '==>' .. ' text' and
    c.cyan'%.2f' (a format string coloured before it is filled); Lua's `..` also takes numbers."""
    assert colorize.blue('==>') + ' configuring model' == '\x1b[0;34m==>\x1b[0m configuring model'
    assert (colorize.cyan('%.2f') + ' %%') % 91.256 == '\x1b[0;36m91.26\x1b[0m %'
    assert colorize._red(3) == '\x1b[41m3\x1b[0m' and colorize.Green(0.5) == '\x1b[1;32m0.5\x1b[0m'
    assert colorize.none('x') == '\x1b[0mx\x1b[0m'
    assert set(dir(colorize)) >= set(colors.CODES)
    with pytest.raises(TypeError, match='trepl.colorize.blue: expected a string or a number, got NoneType'):
        colorize.blue(None)
    with pytest.raises(AttributeError, match="trepl.colorize has no colour 'Orange'"):
        colorize.Orange


def test_require_finds_the_modules():
    """local c = require 'trepl.colorize' ports as paths.require('trepl.colorize'), or lg.trepl.colorize."""
    assert paths.require('trepl.colorize') is colorize is lg.trepl.colorize
    assert paths.require('trepl.colors') is colors
