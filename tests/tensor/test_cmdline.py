"""torch.CmdLine against CmdLine.lua: option values read as Lua's tonumber reads them, and the help's layout."""
import builtins
import contextlib
import io
import re
import sys

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


@pytest.fixture
def restored_print(monkeypatch):
    """log replaces builtins.print for good, as CmdLine.lua replaces the global print: put it back after."""
    monkeypatch.setattr(builtins, 'print', builtins.print)


def test_log_writes_each_printed_line_with_lua_tostring(tmp_path, capsys, restored_print):
    # CmdLine.lua's print: the values' tostring (and the date first) joined by ' ' with the '\n' as a last word
    cmd = lg.CmdLine()
    cmd.option('-lr', 0.1)
    cmd.option('-quiet', False)
    params = cmd.parse(['-lr', '0.5', '-quiet'])
    cmd.log(str(tmp_path / 'log'), params)
    print('loss', 2.5, None, True)
    print('to stderr', file=sys.stderr)   # not a Lua print: passed through, not logged
    lines = (tmp_path / 'log').read_text().split('\n')
    assert re.fullmatch(r'\[program started on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] ', lines[0])
    assert lines[1:] == ['[command line arguments] ', 'lr 0.5 ', 'quiet true ', '[----------------------] ',
                         'loss 2.5 nil true ', '']
    out = capsys.readouterr()
    assert out.out.endswith('[----------------------]\nloss 2.5 None True\n') and out.err == 'to stderr\n'


def test_silent_and_add_time(capsys, restored_print):
    cmd = lg.CmdLine()
    cmd.silent()
    cmd.addTime('run', 'T')   # os.date('T[run]: ') has no % code: the prefix as it is
    log = io.StringIO()
    cmd.log(log)
    print('a', 1)
    assert capsys.readouterr().out == ''
    assert log.getvalue().split('\n')[1:] == ['T[run]:  [command line arguments] ',
                                              'T[run]:  [----------------------] ', 'T[run]:  a 1 ', '']
    with pytest.raises(TypeError, match='CmdLine.addTime: Argument has to be string, got number'):
        cmd.addTime('x', 3)
