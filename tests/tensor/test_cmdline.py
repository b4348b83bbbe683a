"""torch.CmdLine against CmdLine.lua: option values read as Lua's tonumber reads them, and the help's layout."""
import contextlib
import io

import pytest

import legonn as lg


def _parsed(word):
    cmd = lg.CmdLine()
    cmd.option('-n', 1, 'a number')
    return cmd.parse(['-n', word])['n']


@pytest.mark.parametrize('word, value', [('0x10', 16), ('-0x1A', -26), ('0x1p4', 16), ('0x.8', 0.5),
                                         (' 7\t', 7), ('-3', -3), ('2.5e1', 25.0), ('.5', 0.5)])
def test_option_number_reads_luas_tonumber_forms(word, value):
    # tonumber is C's strtod (hexadecimal included) with white space around it allowed
    parsed = _parsed(word)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize('word', ['1_000', '\u0661\u0662', '\uff15', '\u00a05', '0x', '0x1g'])
def test_option_number_refuses_what_lua_refuses(word):
    # Python's int/float take underscores, non-ASCII digits and white space; Lua's tonumber gives nil
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        _parsed(word)
    assert exit_.value.code == 1
    assert err.getvalue() == 'invalid type for option -n (should be number)'


def test_help_writes_the_space_of_an_empty_help():
    # CmdLine.lua: `if option.help then io.write(' ' .. option.help) end`, and '' is true in Lua
    cmd = lg.CmdLine()
    cmd.option('-x', 1, '')
    cmd.option('-long', 'a', 'help')
    cmd.option('-q', False)
    cmd.argument('-data', '')
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cmd.help()
    # keys padded to 6 (the argument's '<data>'), then ' ' .. help, then the default
    assert out.getvalue() == ('Usage: [options] <data>\n'
                              '  -x    ' + ' ' + ' [1]\n'
                              '  -long ' + ' help' + ' [a]\n'
                              '  -q    ' + ' [false]\n'
                              '  <data>' + ' ' + '\n')
