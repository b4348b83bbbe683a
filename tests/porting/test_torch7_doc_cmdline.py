"""torch7/doc/cmdline.md's example script, ported by docs/porting.md's CmdLine row (``cmd.parse(argv)``, a dict
of options, ``cmd.log`` replacing Python's print as CmdLine.lua replaces Lua's). The doc lists the parameters in
Lua's hash order; legonn keeps the options' order."""
import builtins
import re

import pytest

import legonn as lg
from legonn import paths


@pytest.fixture
def restored_print(monkeypatch):
    """log replaces builtins.print for good, as CmdLine.lua replaces the global print: put it back after."""
    monkeypatch.setattr(builtins, 'print', builtins.print)


def myscript(argv):
    """cmdline.md's sample file, ``th myscript.lua`` with ``argv`` as its arguments."""
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text()
    cmd.text('Training a simple network')
    cmd.text()
    cmd.text('Options')
    cmd.option('-seed', 123, 'initial random seed')
    cmd.option('-booloption', False, 'boolean option')
    cmd.option('-stroption', 'mystring', 'string option')
    cmd.text()
    params = cmd.parse(argv)
    params['rundir'] = cmd.string('experiment', params, {'dir': True})
    paths.mkdir(params['rundir'])
    cmd.log(params['rundir'] + '/log', params)
    return params


def test_sample_script_with_the_defaults(tmp_path, monkeypatch, capsys, restored_print):
    """``th myscript.lua``: the run directory is ``experiment``; the screen shows each parameter as Lua's print
    does (``booloption\\tfalse``), the log file as CmdLine.lua's print writes it (tostring joined by spaces)."""
    monkeypatch.chdir(tmp_path)
    params = myscript([])
    assert params == {'seed': 123, 'booloption': False, 'stroption': 'mystring', 'rundir': 'experiment'}
    screen = capsys.readouterr().out.split('\n')
    assert re.fullmatch(r'\[program started on .*\]', screen[0]) and screen[1] == '[command line arguments]'
    assert sorted(screen[2:6]) == ['booloption\tfalse', 'rundir\texperiment', 'seed\t123', 'stroption\tmystring']
    assert screen[6:] == ['[----------------------]', '']
    log = (tmp_path / 'experiment' / 'log').read_text().split('\n')
    assert sorted(log[2:6]) == ['booloption false ', 'rundir experiment ', 'seed 123 ', 'stroption mystring ']


def test_sample_script_with_options_names_the_run_directory(tmp_path, monkeypatch, capsys, restored_print):
    """``th myscript.lua -seed 456 -stroption mycustomstring``: the run directory is
    ``experiment,seed=456,stroption=mycustomstring`` (CmdLine:string prints each option it names first)."""
    monkeypatch.chdir(tmp_path)
    params = myscript(['-seed', '456', '-stroption', 'mycustomstring'])
    rundir = 'experiment,seed=456,stroption=mycustomstring'
    assert params['rundir'] == rundir and params['seed'] == 456
    screen = capsys.readouterr().out.split('\n')
    assert screen[:2] == ['seed\t456\t123', 'stroption\tmycustomstring\tmystring']
    assert sorted(screen[4:8]) == ['booloption\tfalse', 'rundir\t' + rundir, 'seed\t456',
                                   'stroption\tmycustomstring']
    assert (tmp_path / rundir / 'log').read_text().split('\n')[4] == 'stroption mycustomstring '


def test_add_time_prefixes_the_log_file_only(tmp_path, capsys, restored_print):
    """"addTime([name] [,format])": ``cmd:addTime('your project name','%F %T')`` then ``print('Your log
    message')`` logs ``2012-02-07 08:21:56[your project name]: Your log message``; the screen has no prefix."""
    cmd = lg.CmdLine()
    cmd.addTime('your project name', '%F %T')
    cmd.log(str(tmp_path / 'log'))
    print('Your log message')
    assert capsys.readouterr().out.endswith('[----------------------]\nYour log message\n')
    last = (tmp_path / 'log').read_text().split('\n')[-2]
    assert re.fullmatch(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\[your project name\]:  Your log message ', last)
