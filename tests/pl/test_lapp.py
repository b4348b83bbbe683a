"""legonn.pl.lapp against Penlight's tests/test-lapp.lua (extra values under 0-based keys)."""
import pytest

from legonn.pl import lapp


@pytest.fixture(autouse=True)
def throwing(monkeypatch):
    """tests/test-lapp.lua sets show_usage_error = 'throw' so errors raise."""
    monkeypatch.setattr(lapp, 'show_usage_error', 'throw')
    monkeypatch.setattr(lapp, 'slack', False)
    monkeypatch.setattr(lapp, 'callback', None)


def check(spec, args, expected):
    got = lapp(spec, args)
    for k, v in got.items():
        if hasattr(v, 'readable'):   # an opened file, as the Lua test replaces userdata
            got[k] = '<file>'
    assert got == expected


SIMPLE = """Various flags and option types
    -p          A simple optional flag, defaults to false
    -q,--quiet  A simple flag with long name
    -o  (string)  A required option with argument
    <input> (default stdin)  Optional input file parameter...
"""

EXTENDED = """    --foo (string default 1)
    -s,--speed (slow|medium|fast default medium)
    -n (1..10 default 1)
    -p print
    -v verbose
"""


def test_array_parameters_and_simple_flags():
    """tests/test-lapp.lua 'parmtest' and 'simple': '...' collects values, boolean flags toggle, '=' and ':'
    give a value, a default stdin is a file with its name."""
    parmtest = "Testing 'array' parameter handling\n    -o,--output... (string)\n    -v...\n"
    check(parmtest, ['-o', 'one'], {'output': ['one'], 'v': [False]})
    check(parmtest, ['-o', 'one', '-v'], {'output': ['one'], 'v': [True]})
    check(parmtest, ['-o', 'one', '-vv'], {'output': ['one'], 'v': [True, True]})
    check(parmtest, ['-o', 'one', '-o', 'two'], {'output': ['one', 'two'], 'v': [False]})
    expected = {'quiet': False, 'p': False, 'o': 'in', 'input': '<file>', 'input_name': 'stdin'}
    for args in (['-o', 'in'], ['-o=in'], ['-o:in']):
        check(SIMPLE, args, expected)


def test_callback_and_files(tmp_path, monkeypatch):
    """tests/test-lapp.lua: lapp.callback sees each parameter and its argument; a file argument is opened."""
    name = str(tmp_path / 'in.txt')
    open(name, 'w').close()
    calls = []
    monkeypatch.setattr(lapp, 'callback', lambda parm, arg, res: calls.append((parm, arg)))
    check(SIMPLE, ['-o', 'help', '-q', name],
          {'quiet': True, 'p': False, 'o': 'help', 'input': '<file>', 'input_name': name})
    assert calls == [('o', 'help'), ('quiet', '-q'), ('input', name)]
    check("    --open (default stdin)\n", ['--open', name], {'open': '<file>', 'open_name': name})
    check("    -f (file-out default stdout)\n", [], {'f': '<file>', 'f_name': 'stdout'})


def test_positional_and_extra_arguments():
    """tests/test-lapp.lua extras1, extras2, numbered_pos_args, '--' ending the flags."""
    check("    <files...> (string) A bunch of files\n", ['one', 'two'], {'files': ['one', 'two']})
    check("    <files...> (optional string) Files\n", [], {'files': []})   # Lua's {nil}: an empty table
    check("    <file> (string) A file\n", ['one', 'two'], {'file': 'one', 0: 'two'})
    check("    <arg1>     (string)\n    <arg2>     (string)\n    <3arg3>    (string)\n", ['1', '2', '3'],
          {'arg1': '1', 'arg2': '2', '_arg3': '3'})
    false_flag = "    -g group results\n    -f (default true) force result\n"
    check(false_flag, [], {'f': True, 'g': False})
    check(false_flag, ['-g', '-f'], {'f': False, 'g': True})
    check(false_flag, ['-g', '--'], {'f': True, 'g': True})
    check(false_flag, ['-g', '--', '-a', 'frodo'], {'f': True, 'g': True, 0: '-a', 1: 'frodo'})


def test_types_ranges_enums_and_errors():
    """tests/test-lapp.lua 'extended': string default, enumeration, range, combined short flags, and the
    three error messages; enumerations with brackets; dashes become underscores; optional ones."""
    check(EXTENDED, [], {'foo': '1', 'speed': 'medium', 'n': 1, 'p': False, 'v': False})
    check(EXTENDED, ['-pv'], {'foo': '1', 'speed': 'medium', 'n': 1, 'p': True, 'v': True})
    check(EXTENDED, ['--foo', '2', '-s', 'fast'], {'foo': '2', 'speed': 'fast', 'n': 1, 'p': False, 'v': False})
    check(EXTENDED, ['--foo=2', '-s=fast', '-n2'], {'foo': '2', 'speed': 'fast', 'n': 2, 'p': False, 'v': False})
    for args, message in ((['--speed', 'massive'], "value 'massive' not in slow|medium|fast"),
                          (['-n', 'x'], 'unable to convert to number: x'), (['-n', '12'], 'n out of range'),
                          (['-z'], 'unrecognized parameter: z')):
        with pytest.raises(lapp.LappError, match=message):
            lapp(EXTENDED, args)
    with pytest.raises(lapp.LappError, match='missing required parameter: o'):
        lapp(SIMPLE, [])
    advanced = "  -s  (test1|test2()|%a)\n  -c  (1-2|2-3|cool[])\n"
    check(advanced, ['-s', 'test2()', '-c', '1-2'], {'s': 'test2()', 'c': '1-2'})
    check(advanced, ['-s', '%a', '-c', '2-3'], {'s': '%a', 'c': '2-3'})
    check("  --first-dash  dash\n  --second-dash dash also\n", ['--first-dash'],
          {'first_dash': True, 'second_dash': False})
    check("  -p (optional string)\n", ['-p', 'test'], {'p': 'test'})
    check("  -p (optional string)\n", [], {'p': None})
    check("    -n (default 10)\n    -I,--include (string)\n", ['-Ifrodo', '-n5'], {'include': 'frodo', 'n': 5})
    check("    -r (number default 0.5)\n", ['-r', '1e-3'], {'r': 0.001})


def test_add_type_slack_and_usage_exit(monkeypatch, capsys):
    """tests/test-lapp.lua add_type (converter and constraint) and slack mode; -h prints the usage and exits."""
    lapp.add_type('intlist', lambda x: [float(v) for v in x.split(',')],
                  lambda x: [lapp.assert_(v == int(v), 'not an integer!') for v in x])
    check("  -l (intlist) List of items\n", ['-l', '1,2,3'], {'l': [1, 2, 3]})
    with pytest.raises(lapp.LappError, match='not an integer!'):
        lapp("  -l (intlist) List of items\n", ['-l', '1.5,2,3'])
    monkeypatch.setattr(lapp, 'slack', True)
    spec = """Does some calculations
   -vs,--video-set              (string)             Use the German road sign dataset
   -w,--width              (default 256)        Width of the video
   -h,--height             (default 144)        Height of the video
   -t,--time               (default 10)         Seconds of video to process
   -sk,--seek               (default 0)          Seek number of seconds
   -dbg                   Debug!
"""
    assert lapp(spec, ['-vs', 200, '-sk', 1]) == {'video_set': 200, 'time': 10, 'height': 144, 'seek': 1,
                                                  'dbg': False, 'width': 256}
    monkeypatch.setattr(lapp, 'slack', False)
    with pytest.raises(lapp.LappError, match='short parameters should be one character'):
        lapp("  -ab (string)\n", [])
    monkeypatch.setattr(lapp, 'show_usage_error', True)
    with pytest.raises(SystemExit) as exited:
        lapp(SIMPLE, ['--help'])
    assert exited.value.code == 1 and capsys.readouterr().err == SIMPLE
    with pytest.raises(SystemExit):
        lapp(SIMPLE, [])
    assert 'missing required parameter: o\n\n' + SIMPLE in capsys.readouterr().err


def test_numbers_are_luas_tonumber():
    """lapp converts with Lua's tonumber: hexadecimal is a number; Python's underscores and non-ASCII white
    space or digits are not."""
    spec = '-n (number default 1)\n'
    assert lapp(spec, ['-n', '0x10'])['n'] == 16
    for word in ('1_000', '\u00a05', '\uff15'):
        with pytest.raises(lapp.LappError, match='unable to convert to number'):
            lapp(spec, ['-n', word])


def test_a_flag_word_runs_to_lua_white_space():
    """sip's $S is Lua's %S+: a no-break space inside '-nfoo\u00a0bar' is part of the word, so all of
    'foo\u00a0bar' is -n's value (Python's \\S stopped at it and lost ' bar')."""
    spec = '-n (string default x)\n--name (string default y)\n'
    assert lapp(spec, ['-nfoo\u00a0bar'])['n'] == 'foo\u00a0bar'
    assert lapp(spec, ['--name=a\u00a0b'])['name'] == 'a\u00a0b'
