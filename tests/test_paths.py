"""legonn.paths against torch/paths (paths.c's Unix branch, init.lua, doc/*.md), on a tmp_path tree."""
import errno
import os
import pathlib
import platform
import runpy
import subprocess
import sys
import sysconfig
import tempfile

import pytest

import legonn
from legonn import paths
from legonn.paths import misc

NAMES = ['', '/', '//', 'a', 'a/', '/a', '//a', 'a/b', 'a//b', '/a/b/', 'a/b//', 'x/model.t7', '.hidden',
         'dir.v1/file', 'a\\b/c', '/usr/local/lib/']


def c_basename(fname, suffix=None):
    """paths.c lua_basename (Unix), char by char."""
    p = 0
    for s in range(len(fname)):
        if fname[s] == '/' and s + 1 < len(fname) and fname[s + 1] != '/':
            p = s + 1
    sb = ''
    while p < len(fname) and fname[p] != '/':
        sb += fname[p]
        p += 1
    if suffix:
        if suffix[0] == '.':
            suffix = suffix[1:]
        sl = len(suffix)
        if suffix and len(sb) > sl and sb[len(sb) - sl - 1] == '.' and sb[len(sb) - sl:] == suffix:
            sb = sb[:len(sb) - sl - 1]
    return sb.replace('\\', '/')   # sbpush's sbslash


def c_dirname(fname):
    """paths.c lua_dirname (Unix), char by char."""
    p = None
    for s in range(len(fname)):
        if fname[s] == '/' and s + 1 < len(fname) and fname[s + 1] != '/':
            p = s
    if p is None:
        return fname if fname[:1] == '/' else '.'
    sb, s = '', 0
    while True:   # do { sbadd1(*s++) } while (s < p)
        sb += fname[s]
        s += 1
        if not s < p:
            break
    return sb.replace('\\', '/')


def c_concat_fname(frm, fname):
    """paths.c concat_fname (Unix), char by char."""
    sb = '/' if fname[:1] == '/' else frm
    i = 0
    while True:
        while i < len(fname) and fname[i] == '/':
            i += 1
        if i >= len(fname):
            sb += '/'
            while len(sb) > 1 and sb[-1] == '/':
                sb = sb[:-1]
            return sb.replace('\\', '/')
        if fname[i] == '.':
            nxt = fname[i + 1:i + 2]
            if nxt in ('/', ''):
                i += 1
                continue
            if nxt == '.' and fname[i + 2:i + 3] in ('/', ''):
                i += 2
                while sb and sb[-1] == '/':
                    sb = sb[:-1]
                while sb and sb[-1] != '/':
                    sb = sb[:-1]
                continue
        if not sb or sb[-1] != '/':
            sb += '/'
        while i < len(fname) and fname[i] != '/':
            sb += fname[i]
            i += 1


@pytest.mark.parametrize('name', NAMES)
def test_basename_and_dirname_follow_paths_c(name):
    """paths.c lua_basename/lua_dirname: the last non-trivial slash decides, trailing slashes count for
    nothing, backslashes come back as slashes."""
    assert paths.basename(name) == c_basename(name)
    assert paths.dirname(name) == c_dirname(name)


def test_basename_dirname_hand_values():
    """doc/filenames.md (shell basename/dirname) and paths.c's corner cases, by hand."""
    assert paths.basename('/a/b/') == 'b' and paths.basename('/') == ''
    assert paths.basename('x/model.t7', 't7') == 'model' == paths.basename('x/model.t7', '.t7')
    assert paths.basename('x/.t7', 't7') == ''            # longer than the suffix: stripped to nothing
    assert paths.basename('t7', 't7') == 't7'             # not longer: kept
    assert paths.basename('x/model.t7', 'lua') == 'model.t7' and paths.basename('a.t7', '') == 'a.t7'
    assert paths.dirname('a/b') == 'a' and paths.dirname('/a') == '/' and paths.dirname('abc') == '.'
    assert paths.dirname('a//b') == 'a/' and paths.dirname('//') == '//' and paths.dirname('/a/b/') == '/a'


@pytest.mark.parametrize('suffix', ['t7', '.t7', 'v1/file', '', None, 'hidden'])
def test_basename_suffix_follows_paths_c(suffix):
    """paths.c lua_basename's suffix: an optional leading '.', stripped only after a '.' and from a longer
    name."""
    for name in NAMES:
        assert paths.basename(name, suffix) == c_basename(name, suffix), (name, suffix)


def test_extname():
    """paths.c lua_extname: what follows the last '.' anywhere in the name, nil when there is none."""
    assert paths.extname('x/model.t7') == 't7' and paths.extname('a.tar.gz') == 'gz'
    assert paths.extname('.bashrc') == 'bashrc' and paths.extname('a.d/b') == 'd/b'
    assert paths.extname('abc') is None and paths.extname('a.') == ''


CONCATS = [(), ('out', 'model.t7'), ('/a/b', '../c'), ('/x/y', '..', '..', '..'), ('a/./b//', 'c/'), ('/',),
           ('..',), ('/a//b/', './', '../../d'), ('.',), ('a', '/abs', 'rel')]


@pytest.mark.parametrize('args', CONCATS)
def test_concat_follows_paths_c(args, tmp_path, monkeypatch):
    """paths.c lua_concatfname: from the current directory, each argument resolved against the last."""
    monkeypatch.chdir(tmp_path)
    expected = os.getcwd()
    for name in args:
        expected = c_concat_fname(expected, name)
    assert paths.concat(*args) == expected
    assert paths.cwd() == os.getcwd() == paths.concat()


def test_concat_hand_values(tmp_path, monkeypatch):
    """doc/filenames.md: concat('out', 'model.t7') is under the current directory; numbers are accepted as
    luaL_checkstring takes them; os.PathLike too."""
    monkeypatch.chdir(tmp_path)
    assert paths.concat('out', 'model.t7') == str(tmp_path / 'out' / 'model.t7')
    assert paths.concat('/a/b', '../c') == '/a/c' and paths.concat('/x', '..', '..') == '/'
    assert paths.concat('/a', 3, 2.5) == '/a/3/2.5' and paths.concat(pathlib.Path('/a'), 'b') == '/a/b'


def test_filep_and_dirp(tmp_path):
    """paths.c filep/dirp: stat (through symlinks) succeeds and is / is not a directory."""
    (tmp_path / 'f.txt').write_text('x')
    (tmp_path / 'd').mkdir()
    (tmp_path / 'to_f').symlink_to(tmp_path / 'f.txt')
    (tmp_path / 'to_d').symlink_to(tmp_path / 'd')
    (tmp_path / 'broken').symlink_to(tmp_path / 'missing')
    expect = {'f.txt': (True, False), 'd': (False, True), 'to_f': (True, False), 'to_d': (False, True),
              'broken': (False, False), 'missing': (False, False)}
    for name, (isfile, isdir) in expect.items():
        assert paths.filep(str(tmp_path / name)) is isfile, name
        assert paths.dirp(str(tmp_path / name)) is isdir, name
    assert paths.filep(tmp_path / 'f.txt') is True


def _tree(tmp_path):
    for name in ('a.jpg', 'b.png', 'c.jpg.txt'):
        (tmp_path / name).write_text(name)
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'inner.jpg').write_text('')
    return str(tmp_path)


def test_dir_and_files(tmp_path):
    """paths.c lua_dir (readdir: '.' and '..' included, nil for no directory) and init.lua's paths.files:
    a string include is found in the name (a Python regex here), a function include decides."""
    root = _tree(tmp_path)
    assert sorted(paths.dir(root)) == ['.', '..', 'a.jpg', 'b.png', 'c.jpg.txt', 'sub']
    assert paths.dir(root + '/missing') is None and paths.dir(root + '/a.jpg') is None
    assert sorted(paths.files(root)) == sorted(paths.dir(root))
    assert sorted(paths.files(root, 'jpg')) == ['a.jpg', 'c.jpg.txt']
    assert sorted(paths.files(root, r'\.jpg$')) == ['a.jpg']
    assert sorted(paths.files(root, lambda f: f.startswith('b'))) == ['b.png']
    assert list(paths.files(root + '/missing')) == []


def test_files_reads_the_directory_when_called(tmp_path):
    """init.lua's paths.files calls paths.dir before returning its iterator."""
    root = _tree(tmp_path)
    found = paths.files(root)
    (tmp_path / 'late.txt').write_text('')
    assert 'late.txt' not in list(found)


def test_iterdirs_and_iterfiles(tmp_path):
    """init.lua's iterdirs/iterfiles: dirp/filep of concat(dir, name), '.' and '..' left out."""
    root = _tree(tmp_path)
    (tmp_path / 'link_sub').symlink_to(tmp_path / 'sub')
    assert sorted(paths.iterdirs(root)) == ['link_sub', 'sub']
    assert sorted(paths.iterfiles(root)) == ['a.jpg', 'b.png', 'c.jpg.txt']
    assert list(paths.iterdirs(root + '/missing')) == []


def test_files_include_bad_input(tmp_path):
    """init.lua's paths.files errors on an include that is neither a function nor a string; a Lua
    %-escape left in a string is refused (a Python regex would silently match nothing)."""
    with pytest.raises(TypeError, match=r'paths\.files: Expecting optional arg 2 to be function or string'):
        paths.files(str(tmp_path), 3)
    with pytest.raises(ValueError, match=r"paths\.files: include '%\.jpg\$' looks like a Lua pattern"):
        paths.files(str(tmp_path), '%.jpg$')


def test_mkdir_and_rmdir(tmp_path):
    """paths.c lua_mkdir (missing parents made first), lua_rmdir, pushresult: true, or nil, "name: reason",
    errno."""
    deep = str(tmp_path / 'a' / 'b' / 'c')
    assert paths.mkdir(deep) is True and paths.dirp(deep)
    again = paths.mkdir(deep)
    assert not again and again == (None, f"{deep}: File exists", errno.EEXIST)
    ok, message, code = again
    assert ok is None and code == errno.EEXIST
    busy = paths.rmdir(str(tmp_path / 'a'))
    assert not busy and busy[0] is None and busy[2] == errno.ENOTEMPTY
    assert busy[1] == f"{tmp_path / 'a'}: {os.strerror(errno.ENOTEMPTY)}"
    assert paths.rmdir(deep) is True and not paths.dirp(deep)


def test_rmall(tmp_path):
    """init.lua's paths.rmall: 'yes' required, a file removed, a tree removed bottom-up, anything else
    nil + 'not a file or directory' + the path; a symlink is removed, not followed (legonn's rule)."""
    (tmp_path / 'tree').mkdir()
    root = _tree(tmp_path / 'tree')
    outside = tmp_path / 'kept'
    outside.mkdir()
    (outside / 'keep.txt').write_text('')
    (pathlib.Path(root) / 'link').symlink_to(outside)
    refused = paths.rmall(root)
    assert not refused and refused == (None, "missing second argument ('yes')")
    assert paths.rmall(root + '/a.jpg', 'yes') is True and not paths.filep(root + '/a.jpg')
    assert paths.rmall(root, 'yes') is True and not os.path.lexists(root)
    assert (outside / 'keep.txt').exists()
    missing = paths.rmall(str(tmp_path / 'nothing'), 'yes')
    assert not missing and missing == (None, 'not a file or directory', str(tmp_path / 'nothing'))


def test_tmpname_is_removed_at_exit():
    """paths.c lua_tmpname/gc_tmpname: a name in the temporary directory, its file removed when the
    interpreter exits."""
    name = paths.tmpname()
    assert os.path.dirname(name) == tempfile.gettempdir() and os.path.basename(name).startswith('luatmp')
    assert paths.filep(name) and paths.tmpname() != name
    code = "from legonn import paths; n = paths.tmpname(); open(n, 'w').write('x'); print(n)"
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120,
                          cwd=os.path.dirname(os.path.dirname(legonn.__file__)), check=True)
    made = done.stdout.strip()
    assert made.startswith(tempfile.gettempdir()) and not os.path.exists(made)


def _thisfile_one_up():
    return paths.thisfile(None, 2)


def test_thisfile():
    """init.lua's paths.thisfile: the calling file's full name, arg taken relative to its directory, nil
    from an interactive chunk (where arg comes back as it is); depth picks a frame further up."""
    assert paths.thisfile() == os.path.abspath(__file__)
    assert paths.thisfile('data/x.t7') == os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data/x.t7')
    assert _thisfile_one_up() == os.path.abspath(__file__)
    space = {'paths': paths}
    exec("found = paths.thisfile(); named = paths.thisfile('x.lua')", space)
    assert space['found'] is None and space['named'] == 'x.lua'
    with pytest.raises(ValueError, match=r'paths\.thisfile: depth'):
        paths.thisfile(None, 10 ** 6)


def test_dofile_is_relative_to_the_calling_file(tmp_path, monkeypatch):
    """init.lua's paths.dofile: the name is taken relative to the directory of the file that calls it."""
    (tmp_path / 'lib.py').write_text('value = 42\n')
    (tmp_path / 'main.py').write_text("from legonn import paths\nloaded = paths.dofile('lib.py')\n")
    monkeypatch.chdir(os.path.dirname(__file__))
    assert runpy.run_path(str(tmp_path / 'main.py'))['loaded']['value'] == 42


def test_findprogram(tmp_path, monkeypatch):
    """init.lua's paths.findprogram: each name through every $PATH directory in turn (empty entries
    skipped), the first file found by filep, nil when none."""
    first, second = tmp_path / 'one', tmp_path / 'two'
    first.mkdir()
    second.mkdir()
    (second / 'prog').write_text('')
    (first / 'other').write_text('')
    (tmp_path / 'here').write_text('')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('PATH', f"{first}::{second}")
    assert paths.findprogram('prog') == str(second / 'prog') and paths.findprogram('here') is None
    assert paths.findprogram('missing', 'prog', 'other') == str(second / 'prog')
    assert paths.findprogram('missing') is None and paths.findprogram() is None


def test_uname_and_system_tests(monkeypatch):
    """paths.c lua_uname (sysname, nodename, machine) and init.lua's is_win/is_mac: the match or nil."""
    info = platform.uname()
    assert paths.uname() == (info.system, info.node, info.machine)
    monkeypatch.setattr(misc, 'uname', lambda: ('Darwin', 'host', 'arm64'))
    assert paths.is_mac() == 'Darwin' and paths.is_win() is None
    monkeypatch.setattr(misc, 'uname', lambda: ('Windows', 'host', 'AMD64'))
    assert paths.is_win() == 'Windows' and paths.is_mac() is None


@pytest.mark.skipif(platform.system() == 'Windows', reason='paths.getregistryvalue works only on Windows')
def test_getregistryvalue_errors_elsewhere():
    """paths.c lua_getregistryvalue: luaL_error on other systems."""
    with pytest.raises(RuntimeError, match='This function exists only on windows'):
        paths.getregistryvalue('HKEY_CURRENT_USER', 'x', 'y')


def test_directories(monkeypatch):
    """init.lua's paths.home ($HOME, '.' unset), doc/dirpaths.md's install_* (Python's directories) and
    paths.c's execdir (the interpreter's)."""
    assert paths.home == (os.environ.get('HOME') or '.')
    monkeypatch.delenv('HOME')
    assert misc._home() == '.'
    assert paths.install_lua_path == sysconfig.get_paths()['purelib'] and paths.install_prefix == sys.prefix
    assert paths.install_hlp is None and paths.install_cmake is None
    assert paths.execdir() == os.path.dirname(sys.executable)


def test_require():
    """paths.c path_require: load a package and return it; Torch7's names give legonn's modules."""
    import json
    assert paths.require('nn') is legonn.nn and paths.require('libpaths') is paths
    assert paths.require('torch') is legonn and paths.require('json') is json
    for name in ('image', 'dataload', 'hdf5', 'tds', 'inn', 'loadcaffe', 'torchnet', 'nninit', 'csvigo', 'cjson',
                 'optnet', 'paths', 'xlua', 'gnuplot', 'mnist'):
        assert paths.require(name) is getattr(legonn, name), name
    assert paths.require('sys') is legonn.sys and paths.require('sys').clock is not None   # torch/sys, not Python's
    with pytest.raises(ImportError, match=r"paths\.require: module 'no_such_package' not found"):
        paths.require('no_such_package')


def test_require_of_a_gpu_package_needs_a_device():
    """Torch7's cutorch/cunn/cudnn fail to load without CUDA; so do legonn's through require."""
    try:
        legonn.tensor.backend.cupy()
    except (ImportError, RuntimeError):
        with pytest.raises(ImportError, match=r"paths\.require: 'cunn' needs CuPy and a CUDA device"):
            paths.require('cunn')
    else:
        assert paths.require('cunn') is legonn.nn and paths.require('cudnn') is legonn.cudnn


@pytest.mark.parametrize('call', [lambda: paths.filep(None), lambda: paths.basename(['a']),
                                  lambda: paths.concat('a', None), lambda: paths.mkdir(b'x'),
                                  lambda: paths.dirname(True)])
def test_bad_input_names_the_function(call):
    """luaL_checkstring refuses what is neither a string nor a number; legonn names the function."""
    with pytest.raises(TypeError, match=r"paths\.\w+: expected a path \(a string or os\.PathLike\), got"):
        call()
