"""legonn.xlua against torch/xlua (init.lua, OptionParser.lua, Profiler.lua; torch/sys's colors.lua)."""
import math
import os
import sys
import types

import numpy as np
import pytest

import legonn as lg
from legonn import nn, xlua
from legonn.xlua import profiler as profiler_module
from legonn.xlua import progress_bar as progress_module

RED, NONE = '\x1b[1;31m', '\x1b[0m'


def lua_format_time(seconds):
    """init.lua's xlua.formatTime, step by step."""
    days = math.floor(seconds / 3600 / 24)
    seconds = seconds - days * 3600 * 24
    hours = math.floor(seconds / 3600)
    seconds = seconds - hours * 3600
    minutes = math.floor(seconds / 60)
    seconds = seconds - minutes * 60
    secondsf = math.floor(seconds)
    seconds = seconds - secondsf
    millis = math.floor(seconds * 1000)
    f, i = '', 1
    for value, unit in ((days, 'D'), (hours, 'h'), (minutes, 'm'), (secondsf, 's'), (millis, 'ms')):
        if value > 0 and i <= 2:
            f, i = f + f"{value}{unit}", i + 1
    return f or '0ms'


class LuaProgress:
    """init.lua's xlua.progress (1-based ``current``), write by write, on a given clock."""

    def __init__(self, term, clock):
        self.term, self.clock = term, clock
        self.bar_done, self.previous = True, -1

    def __call__(self, current, goal):
        bar_length = self.term - 34
        percent = math.floor(current * bar_length / goal)
        out = ''
        if self.bar_done and (self.previous == -1 or percent < self.previous):
            self.bar_done, self.previous = False, -1
            self.start = self.clock()
            self.times, self.indices = [0.0], [current]
        else:
            out += '\r'
        if not self.bar_done:
            self.previous = percent
            out += ' ['
            for i in range(1, bar_length + 1):
                out += '=' if i < percent else '>' if i == percent else '.'
            out += '] '
            for _ in range(self.term - bar_length - 4):
                out += ' '
            for _ in range(self.term - bar_length - 4):
                out += '\b'
            elapsed = self.clock() - self.start
            step = 0 if current == self.indices[0] else (elapsed - self.times[0]) / (current - self.indices[0])
            remaining = max(0, (goal - current) * step)
            self.indices.append(current)
            self.times.append(elapsed)
            if len(self.indices) > 100:
                self.indices, self.times = self.indices[1:], self.times[1:]
            if percent < bar_length:
                tm = ' ETA: ' + lua_format_time(remaining)
            else:
                tm = ' Tot: ' + lua_format_time(elapsed)
            tm = tm + ' | Step: ' + lua_format_time(step)
            out += tm
            for _ in range(1, math.floor(5 + len(tm) + bar_length / 2) + 1):
                out += '\b'
            out += f" {current}/{goal} "
            if percent == bar_length:
                self.bar_done = True
                out += '\n'
            out += '\r'
        return out


def ticking_clock(step=0.37):
    """A clock that advances ``step`` seconds each time it is read."""
    state = {'now': 100.0}

    def clock():
        state['now'] += step
        return state['now']
    return clock


@pytest.fixture
def bar(monkeypatch):
    """A fresh progress bar on an 80-column terminal and a ticking clock; the Lua reference on its own
    identical clock."""
    monkeypatch.setenv('COLUMNS', '80')
    monkeypatch.setattr(progress_module, '_BAR', progress_module._Bar())
    monkeypatch.setattr(progress_module, '_clock', ticking_clock())
    return LuaProgress(80, ticking_clock())


@pytest.mark.parametrize('seconds', [0, 0.0004, 0.5, 1.5, 12.34, 61, 3599.999, 3725.5, 86400, 90061.2, 1e6])
def test_format_time(seconds):
    """init.lua's xlua.formatTime: the two largest non-zero units."""
    assert xlua.formatTime(seconds) == lua_format_time(seconds)


def test_format_time_hand_values():
    """init.lua's xlua.formatTime, by hand."""
    assert [xlua.formatTime(s) for s in (0, 1.5, 61, 3725.5, 90061)] == ['0ms', '1s500ms', '1m1s', '1h2m', '1D1h']


def test_progress_over_items_draws_xluas_bar(bar, capsys):
    """init.lua's xlua.progress: ``for i in range(n): progress(i, n)`` writes what Lua's ``for i = 1, n do
    progress(i, n)`` writes; a completed bar answers a repeated last call with a carriage return only, and
    the next epoch starts a new bar."""
    n = 7
    for i in range(n):
        xlua.progress(i, n)
    xlua.progress(n, n)
    for i in range(n):
        xlua.progress(i, n)
    expected = ''.join(bar(i, n) for i in range(1, n + 1)) + bar(n, n) + ''.join(bar(i, n) for i in range(1, n + 1))
    assert capsys.readouterr().out == expected
    assert expected.count(f' {n}/{n} \n\r') == 2 and expected.count('Tot: ') == 2


def test_progress_over_batches_ends_at_full(bar, capsys):
    """``for t in range(0, n, bs): progress(t, n)`` shows Lua's counts ``t + 1`` and completes at its last
    batch (Lua's ``for t = 1, n, bs`` never reached n: legonn draws its call of ``progress(n, n)``)."""
    for t in range(0, 11, 3):
        xlua.progress(t, 11)
    out = capsys.readouterr().out
    assert out == ''.join(bar(t, 11) for t in (1, 4, 7, 11))
    assert out.endswith(' 11/11 \n\r') and ' [' + '=' * 45 + '>] ' in out


def test_progress_width_follows_the_terminal(bar, capsys, monkeypatch):
    """init.lua: termLength = min(tput cols, 120), bar of termLength - 34."""
    monkeypatch.setenv('COLUMNS', '300')
    xlua.progress(0, 1)
    out = capsys.readouterr().out
    assert out.startswith(' [' + '=' * 85 + '>] ')


@pytest.mark.parametrize('current, goal, error', [(-1, 10, ValueError), (1, 0, ValueError), ('1', 3, TypeError),
                                                  (1, float('nan'), TypeError), (True, 3, TypeError)])
def test_progress_bad_input(bar, current, goal, error):
    """Lua draws nonsense for these; legonn names the function and the values."""
    with pytest.raises(error, match=r'xlua\.progress: '):
        xlua.progress(current, goal)


def test_print_tables(capsys):
    """init.lua's xlua.print: ``{[k] = v,\\n [k] = v}``, userdata (tensors, arrays) as <userdata>, values
    over 40 characters cut (then sys.COLORS.none and ' ... '), newlines escaped; more values after four
    spaces, tab-separated as Lua's print."""
    xlua.print({'a': 14, 'b': 'test', 'c': lg.zeros(2), 'd': 'x' * 41, 'e': True, 'f': 'two\nlines'})
    xlua.print([1, 2.5, np.zeros(3)], 'more', None, 3)
    xlua.print(None)
    xlua.print({})
    assert capsys.readouterr().out == (
        "{[a] = 14,\n [b] = test,\n [c] = <userdata>,\n [d] = " + 'x' * 40 + NONE + " ... ,\n [e] = true,\n"
        " [f] = two\\nlines}\n"
        "{[0] = 1,\n [1] = 2.5,\n [2] = <userdata>}    more\tnil\t3\n"
        "nil\n{}\n")


def test_print_objects(capsys):
    """init.lua's xlua.print: a value that is not a plain table is written by tostring (a module by its
    __tostring__)."""
    xlua.print(nn.Tanh())
    xlua.print(False)
    assert capsys.readouterr().out == 'nn.Tanh\nfalse\n'


def test_table2string():
    """init.lua's xlua.table2string: array values, then key=value (identifier keys bare, others in []),
    strings double-quoted unless their only quotes are double quotes."""
    assert xlua.table2string([1, 'a', True]) == '{1,"a",true}'
    assert xlua.table2string({'lr': 0.1, 'my key': 'x"y', 3: "it's"}) == '{lr=0.1,["my key"]=\'x"y\',[3]="it\'s"}'
    assert xlua.table2string({'a': [1, {'b': 2}]}) == '{a={1,{b=2}}}'
    assert xlua.table2string({'a': 1, 'b': 'x'}, True) == '{\n   a : 1\n   b : "x"\n}'
    assert xlua.table2string({'q': 'say "hi" \'x\''}) == '{q="say \\"hi\\" \'x\'"}'
    with pytest.raises(TypeError, match=r'xlua\.table2string: expected a table'):
        xlua.table2string(3)


DEFS = ({'arg': 'size', 'type': 'number', 'help': 'the size', 'req': True},
        {'arg': 'name', 'type': 'string', 'help': 'its name', 'default': 'net'},
        {'arg': 'other', 'type': 'number', 'help': 'defaults to size', 'defaulta': 'size'})

USAGE = ('+' * 69 + '\n\x1b[1;35mLayer\x1b[0m\n\nA layer\n\n\x1b[0;34m> \x1b[0musage:\n\x1b[0;36mLayer{\n'
         + '    size = number'.ljust(40) + '-- the size\n'
         + '    [name = string]'.ljust(40) + '-- its name  [default = net]\n'
         + '    [other = number]'.ljust(40) + '-- defaults to size  [default == size]\n'
         + '}\n\x1b[0m\n\x1b[0;36mLayer{name=string, size=number}\nLayer(number, ...)\x1b[0m\n' + '+' * 69)


def test_unpack_ordered_and_named():
    """init.lua's xlua.unpack: ordered values matched to the definitions, or one table of named ones;
    default, then defaulta; dargs keyed by name and position (0-based here) with its usage."""
    dargs, size, name, other = xlua.unpack((5,), 'Layer', 'A layer', *DEFS)
    assert (size, name, other) == (5, 'net', 5)
    assert dargs == {'size': 5, 0: 5, 'name': 'net', 1: 'net', 'other': 5, 2: 5, 'usage': USAGE}
    assert xlua.unpack(({'size': 3, 'other': 1, 'unknown': 9},), 'Layer', 'A layer', *DEFS)[1:] == (3, 'net', 1)
    assert xlua.unpack({'size': 3, 'name': 'x'}, 'Layer', 'A layer', *DEFS)[1:] == (3, 'x', 3)
    assert xlua.unpack((1, 'a', 2, 'extra'), 'Layer', 'A layer', *DEFS)[1:] == (1, 'a', 2)


def test_unpack_errors_show_the_usage():
    """init.lua's xlua.unpack: no arguments, or a required one missing, print the usage and error."""
    with pytest.raises(TypeError) as caught:
        xlua.unpack(({'name': 'x'},), 'Layer', 'A layer', *DEFS)
    assert str(caught.value) == 'Layer: missing argument: size\n' + USAGE
    with pytest.raises(TypeError, match='Layer: no arguments given'):
        xlua.unpack((), 'Layer', 'A layer', *DEFS)
    with pytest.raises(TypeError, match=r"xlua\.unpack: Layer's argument definitions must be dicts"):
        xlua.unpack((1,), 'Layer', 'A layer', {'type': 'number'})
    with pytest.raises(TypeError, match=r"xlua\.unpack: Layer's args must be a list or tuple"):
        xlua.unpack(5, 'Layer', 'A layer', *DEFS)


def test_unpack_class_sets_fields():
    """init.lua's xlua.unpack_class: every named value (and usage) set on the object."""
    obj = types.SimpleNamespace()
    xlua.unpack_class(obj, ({'size': 4},), 'Layer', 'A layer', *DEFS)
    assert (obj.size, obj.name, obj.other, obj.usage) == (4, 'net', 4, USAGE)
    table = {}
    xlua.unpack_class(table, (4, 'n'), 'Layer', 'A layer', *DEFS)
    assert table == {'size': 4, 'name': 'n', 'other': 4, 'usage': USAGE}


def test_usage_ordered_form():
    """init.lua's xlua.usage without named definitions: one ``f(...)`` block per group split by ''."""
    text = xlua.usage('f', None, None, {'type': 'number', 'help': 'a', 'req': True}, '',
                      {'type': 'string', 'help': 'b'})
    assert text == ('+' * 69 + '\n\x1b[1;35mf\x1b[0m\n\n\x1b[0;34m> \x1b[0musage:\n\x1b[0;36m'
                    'f(\n' + '    number'.ljust(40) + '-- a\n)\nf(\n' + '    [string]'.ljust(40) + '-- b\n)\n'
                    '\x1b[0m' + '+' * 69)


def test_envparams(monkeypatch):
    """init.lua's xlua.envparams: numbers converted, true/false words for booleans, else strings."""
    monkeypatch.setenv('learningRate', '1e-3')
    monkeypatch.setenv('nesterov', 'false')
    monkeypatch.setenv('name', 'run1')
    monkeypatch.setenv('flag', 'maybe')
    default = {'learningRate': 1e-2, 'nesterov': True, 'name': 'x', 'flag': False, 'epochs': 3}
    assert xlua.envparams(default) == {'learningRate': 1e-3, 'nesterov': False, 'name': 'run1', 'flag': 'maybe',
                                       'epochs': 3}
    monkeypatch.setenv('epochs', 'many')
    with pytest.raises(ValueError, match=r"xlua\.envparams: \$epochs must be a number"):
        xlua.envparams(default)


def test_error():
    """init.lua's xlua.error: '<domain> message' in bold red, then the usage line."""
    with pytest.raises(RuntimeError) as caught:
        xlua.error('bad size', 'Layer', 'Layer(size)')
    assert str(caught.value) == f"{RED}<Layer> bad size{NONE}\nLayer(size)"


def test_trycatch():
    """init.lua's xlua.trycatch: the catch function gets the error."""
    seen = []
    xlua.trycatch(lambda: 1 / 0, seen.append)
    xlua.trycatch(lambda: None, seen.append)
    assert len(seen) == 1 and isinstance(seen[0], ZeroDivisionError)


def test_require_and_installed(capsys):
    """init.lua's xlua.require: the package, or a printed warning and false; xlua.installed: found or not."""
    assert xlua.require('nn') is nn
    assert xlua.require('no_such_package') is False
    out = capsys.readouterr().out
    assert out.endswith("warning: <no_such_package> could not be loaded (is it installed?)\n")
    assert "paths.require: module 'no_such_package' not found" in out
    found, where = xlua.installed('optim')
    assert found and where.endswith(os.path.join('optim', '__init__.py'))
    assert xlua.installed('no_such_package') == (False, os.pathsep.join(sys.path))


def test_log_copies_stdout(tmp_path, monkeypatch, capsys):
    """init.lua's xlua.log: the directory made, then everything written also goes to the file."""
    monkeypatch.setattr(sys, 'stdout', sys.stdout)   # restored after the test
    target = tmp_path / 'logs' / 'run.log'
    xlua.log(str(target))
    print('hello')
    xlua.print({'a': 1})
    assert target.read_text() == 'hello\n{[a] = 1}\n'
    assert capsys.readouterr().out == 'hello\n{[a] = 1}\n'
    with pytest.raises(TypeError, match=r'xlua\.log: expected a file name'):
        xlua.log(3)


def test_clear_and_who(capsys):
    """init.lua's xlua.clear (one global set to nil) and xlua.who (libraries, then the other globals)."""
    space = {'xlua': xlua, 'os': os, 'x': 5, 'name': 'test', '_hidden': 1}
    exec("xlua.who()\nxlua.clear('x')\nxlua.clear('nothing')", space)
    assert 'x' not in space and space['name'] == 'test'
    assert capsys.readouterr().out == ("\nGlobal Libs:\n{[0] = xlua,\n [1] = os}\n\nGlobal Vars:\n"
                                       "{[x] = 5,\n [name] = test}\n\n")


def parser():
    op = xlua.OptionParser('%prog [options] file')
    op.option('-s', '--save', action='store', dest='save', help='where', default='out')
    op.option(['-v'], action='store_true', dest='verbose', help='talk')
    op.option('--lr', dest='lr', help='rate', req=True)
    return op


def test_option_parser_parse(monkeypatch):
    """OptionParser.lua: defaults first, --name=value split, store takes the next word, store_true gives
    true, other words are arguments; __main__ is true."""
    monkeypatch.setattr(sys, 'argv', ['train.py'])
    op = parser()
    options, args = op.parse(arg=['-s', 'dir', '--lr=0.1', 'file1', '-v'])
    assert options == {'save': 'dir', '__main__': True, 'lr': '0.1', 'verbose': True} and args == ['file1']
    assert op.tostring() == ("<train> configuration:\n + save = dir\n + __main__ = true\n + lr = 0.1\n"
                             " + verbose = true\n")
    assert op.tostring(True) == '-s=dir,-v=true,--lr=0.1' and op.tostring(True, ['--lr']) == '--lr=0.1'
    preset, _ = parser().parse({'save': 'kept'}, ['--lr', 'a/b c'])
    assert preset['save'] == 'kept'
    op.options['save'] = 'a/b c'
    assert op.tostring(True) == '-s=a|b_c,-v=true,--lr=0.1'


HELP = ('Usage: {prog} train.py [options] file\n\nOptions:\n'
        '  -h, --help            show this help message and exit\n'
        '  -s SAVE, --save=SAVE  where [default = out]\n'
        '  -v                    talk\n'
        '  --lr=LR               rate [REQUIRED]\n')


@pytest.mark.parametrize('words, message', [(['--lr'], 'option requires an argument --lr'),
                                            (['--lr', '1', '-x'], 'invalid option -x'),
                                            (['--learning-rate=1'], 'invalid option --learning-rate=1'),
                                            ([], 'option --lr requires an argument ')])
def test_option_parser_fails_with_the_help(words, message, monkeypatch, capsys):
    """OptionParser.lua's fail: the message on stderr, the help on stdout, exit status 1 (a flag with '-'
    in its name is not split at '=': Lua's %w)."""
    monkeypatch.setattr(sys, 'argv', ['train.py'])
    with pytest.raises(SystemExit) as caught:
        parser().parse(arg=words)
    out, err = capsys.readouterr()
    assert caught.value.code == 1 and err == message + '\n'
    assert out == HELP.format(prog=os.path.basename(sys.executable))


def test_option_parser_help_exits(monkeypatch, capsys):
    """OptionParser.lua: -h writes the help and exits with success."""
    monkeypatch.setattr(sys, 'argv', ['train.py'])
    with pytest.raises(SystemExit) as caught:
        parser().parse(arg=['-h', '--lr', '1'])
    assert caught.value.code == 0
    assert capsys.readouterr().out == HELP.format(prog=os.path.basename(sys.executable))


def test_option_parser_bad_declarations():
    """An option without dest would fail in Lua only when parsed (a nil table index); legonn says so at once."""
    with pytest.raises(ValueError, match=r"xlua\.OptionParser\.option: option -x needs dest="):
        xlua.OptionParser('u').option('-x', help='no dest')
    with pytest.raises(TypeError, match=r"xlua\.OptionParser\.option: expected one or more flag strings"):
        xlua.OptionParser('u').option(dest='x')
    with pytest.raises(ValueError, match=r"xlua\.OptionParser\.tostring: nothing parsed yet"):
        xlua.OptionParser('u').tostring()


@pytest.fixture
def clocks(monkeypatch):
    real, cpu = {'now': 10.0}, {'now': 1.0}
    monkeypatch.setattr(profiler_module, '_real_clock', lambda: real['now'])
    monkeypatch.setattr(profiler_module, '_cpu_clock', lambda: cpu['now'])
    return real, cpu


def test_profiler(clocks, capsys):
    """Profiler.lua: start, lap (real and cpu deltas), format, formatAll with fps, print/printAll."""
    real, cpu = clocks
    p = xlua.Profiler()
    p.start('forward')
    p.start('frame', 'fps')
    p.start('never')
    real['now'], cpu['now'] = 10.5, 1.25
    assert p.lap('forward') == (0.5, 0.25)
    assert p.lap('frame', 2) == (0.25, 0.125)
    assert p.format('forward') == '$ real | cpu: 0.500000 | 0.250000 <forward>'
    assert p.formatAll() == ('$ profiler report:\n$ real 0.500000 | cpu 0.250000 <forward>\n'
                             '$ real 0.250000 | cpu 0.125000 <frame> = 4.000000 fps\n'
                             '$ real -1.000000 | cpu -1.000000 <never>')
    p.print('forward')
    p.printAll()
    assert capsys.readouterr().out == p.format('forward') + '\n' + p.formatAll() + '\n'
    p.start('forward')
    assert p.list[0] is p.events['forward'] and len(p.list) == 3


def test_profiler_off_verbose_and_errors(clocks, capsys):
    """Profiler.lua: 'off' prints nothing, verbose writes <name> at start and the line at each lap; an
    unknown event is an error."""
    off = xlua.Profiler('off')
    off.start('a')
    off.lap('a')
    off.printAll()
    talk = xlua.Profiler(None, True)
    talk.start('b')
    talk.lap('b')
    assert capsys.readouterr().out == '<b>\r$ real | cpu: 0.000000 | 0.000000 <b>\n'
    with pytest.raises(ValueError, match=r'xlua\.Profiler\.setColor: There is no such profiler - c'):
        talk.setColor('c', 'red')
    talk.setColor('b', 'red')
    assert talk.events['b']['color'] == 'red'


@pytest.mark.gpu
def test_gpu_tensors_and_packages(capsys):
    """init.lua's xlua.print writes userdata (a CUDA tensor, a CuPy array) as <userdata>; xlua.require of
    cunn and cutorch loads them where CuPy finds a GPU."""
    x = lg.zeros(3).cuda()
    xlua.print({'x': x, 'a': x.storage().data})
    assert capsys.readouterr().out == '{[x] = <userdata>,\n [a] = <userdata>}\n'
    assert xlua.require('cunn') is nn and xlua.require('cutorch') is lg.cutorch
