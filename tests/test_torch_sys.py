"""torch/sys (init.lua, sys.c, colors.lua, fpath.lua) as legonn.sys: each function against the Lua's behaviour, and
`from legonn import sys` beside Python's own sys."""
import math
import os
import subprocess
import sys
import time

import pytest

import legonn
from legonn import paths
from legonn import sys as tsys


def test_legonn_sys_is_torch_sys_and_python_sys_is_untouched():
    """`require 'sys'` becomes `from legonn import sys`; legonn's own modules still reach Python's sys (no sys.py
    beside them), and a script may hold both."""
    assert tsys.__name__ == 'legonn.torch_sys' and legonn.sys is tsys
    assert not os.path.exists(os.path.join(os.path.dirname(legonn.__file__), 'sys.py'))
    from legonn.paths import misc
    assert misc.sys is sys
    code = ("from legonn import sys\nimport sys as python_sys\n"
            "assert sys.__name__ == 'legonn.torch_sys' and python_sys.modules['sys'] is python_sys\n"
            "import legonn.tensor.cmdline as c\nprint(sys.uname(), c.sys is python_sys)\n")
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[1] == 'True'


def test_clock_sleep_tic_toc(capsys):
    """sys.c l_clock (gettimeofday, seconds), sys.sleep = usleep(s * 1e6), init.lua tic/toc (toc(true) prints)."""
    assert abs(tsys.clock() - time.time()) < 0.5
    tsys.tic()
    tsys.sleep(0.05)
    tsys.usleep(20000)
    elapsed = tsys.toc(True)
    assert 0.07 <= elapsed < 5
    assert float(capsys.readouterr().out) == pytest.approx(elapsed, abs=1e-3)


def test_execute_and_fexecute():
    """init.lua execute: popen(cmd .. ' 2>&1'), all read, leading and trailing space stripped; fexecute the same
    through a temporary file, reading what file:read(readwhat) reads."""
    assert tsys.execute('printf "  one\\ntwo  \\n\\n"') == 'one\ntwo'
    assert tsys.execute("sh -c 'echo oops >&2'") == 'oops'   # stderr too
    assert tsys.fexecute('printf "  one\\ntwo\\n"') == 'one\ntwo'
    assert tsys.fexecute('printf "a b\\nc\\n"', '*l') == 'a b'
    assert tsys.fexecute('printf "abcdef"', 3) == 'abc'
    # gsub('^%s*', ''):gsub('%s*$', ''): Lua's %s is ASCII, so the file separator \x1c and a no-break space stay
    assert tsys.execute('printf "\\034 a\\302\\240\\n"') == '\x1c a\xa0'
    assert tsys.fexecute('printf "\\034 a\\302\\240\\n"') == '\x1c a\xa0'
    with pytest.raises(ValueError, match=r"sys.fexecute: readwhat must be .*got '\*n'"):
        tsys.fexecute('true', '*n')
    with pytest.raises(TypeError, match='sys.execute: the command must be a string, got list'):
        tsys.execute(['ls'])


def test_uname_and_listings(tmp_path):
    """init.lua uname ('linux', 'macos', 'windows', '?'), sys.OS, and ls/ll/la/lla = execute('ls [flags] ' .. d)."""
    assert tsys.uname() in ('linux', 'macos', 'windows', '?') and tsys.OS == tsys.uname()
    (tmp_path / 'b.txt').write_text('x')
    (tmp_path / 'a.txt').write_text('x')
    (tmp_path / '.hidden').write_text('x')
    assert tsys.ls(str(tmp_path)) == 'a.txt\nb.txt'
    assert tsys.ll(str(tmp_path)).startswith('total')
    assert '.hidden' in tsys.la(str(tmp_path)).split() and '.hidden' in tsys.lla(str(tmp_path))
    assert tsys.ls.__name__ == 'ls'


def _lua_split(s, sep):
    """init.lua sys.split with a literal one-character separator, its loop written out: each (.-)sep match adds
    its capture unless it is an empty one at position 1; what is left after the last match is added."""
    out, last_end = [], 0
    while True:
        e = s.find(sep, last_end)
        if e < 0:
            break
        cap = s[last_end:e]
        if last_end != 0 or cap != '':
            out.append(cap)
        last_end = e + 1
    if last_end < len(s):
        out.append(s[last_end:])
    return out


@pytest.mark.parametrize('text', ['a,b,,c', ',a,b,', ',,x', '', 'abc', 'a,', ',', 'x,,'])
def test_split_as_the_lua_loop(text):
    """init.lua sys.split: pieces between separators; Python regexes stand for Lua patterns."""
    assert tsys.split(text, ',') == _lua_split(text, ',')


def test_split_takes_a_regex_and_refuses_lua_escapes():
    """A Lua pattern with %-escapes would silently match nothing as a regex: refused, naming the regex to give."""
    assert tsys.split('a  b\tc', r'\s+') == ['a', 'b', 'c']
    with pytest.raises(ValueError, match=r"sys.split: give a Python regex.*got '%s\+'"):
        tsys.split('a b', '%s+')


def test_isnan_colors_paths_and_prefix():
    """init.lua isNaN (number ~= number), colors.lua's 25 escapes (Lua's decimal \\27 is ESC, '\\x1b'),
    dirname/concat re-exported from paths, prefix."""
    assert tsys.isNaN(float('nan')) and not tsys.isNaN(1.0) and not tsys.isNaN(math.inf)
    assert len(tsys.COLORS) == 25
    assert tsys.COLORS['none'] == '\x1b[0m' and tsys.COLORS['red'] == '\x1b[0;31m'
    assert tsys.COLORS['Cyan'] == '\x1b[1;36m' and tsys.COLORS['_white'] == '\x1b[47m'
    assert tsys.COLORS['black'] == '\x1b[0;30m' and tsys.COLORS['_black'] == '\x1b[40m'
    assert tsys.dirname is paths.dirname and tsys.concat is paths.concat
    assert tsys.prefix == sys.prefix


def test_fpath_names_the_calling_file():
    """fpath.lua: the directory and file name of the file the call is in."""
    assert tsys.fpath() == (os.path.dirname(os.path.abspath(__file__)), 'test_torch_sys.py')
    with pytest.raises(ValueError, match='sys.fpath: called from code without a file'):
        exec('tsys.fpath()', {'tsys': tsys})
