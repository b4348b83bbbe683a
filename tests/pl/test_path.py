"""legonn.pl.path against Penlight's tests/test-path.lua (POSIX cases)."""
import os

from legonn.pl import path


def test_split_and_extension():
    """tests/test-path.lua splitpath/splitext cases; path.lua's basename, dirname, extension."""
    assert path.splitpath('some/dir/myfile.txt') == ('some/dir', 'myfile.txt')
    assert path.splitpath('some/dir/') == ('some/dir', '') and path.splitpath('some_dir') == ('', 'some_dir')
    assert path.splitext('/bonzo/dog_stuff/cat.txt') == ('/bonzo/dog_stuff/cat', '.txt')
    assert path.splitext('cat.txt') == ('cat', '.txt') and path.splitext('cat') == ('cat', '')
    assert path.splitext('.txt') == ('', '.txt') and path.splitext('') == ('', '')
    assert path.splitext('a.b/c') == ('a.b/c', '')
    assert path.basename('/a/b.t7') == 'b.t7' and path.dirname('/a/b.t7') == '/a'
    assert path.extension('x.tar.gz') == '.gz'


def test_join_and_isabs():
    """tests/test-path.lua join cases: an absolute piece restarts, an empty piece adds nothing."""
    assert path.join('somepath', '.') == 'somepath/.'
    assert path.join('/a_dir', 'abs_path/') == '/a_dir/abs_path/'
    assert path.join('a_dir', '/abs_path/') == '/abs_path/'
    assert path.join('a_dir', '/abs_path/', 'not_abs_path2/') == '/abs_path/not_abs_path2/'
    assert path.join('a_dir', '/abs_path/', 'not_abs_path2/', '/abs_path3/', 'not_abs_path4/') == \
        '/abs_path3/not_abs_path4/'
    assert path.join('first', 'second', '') == 'first/second/'
    assert path.join('first', '', 'third') == 'first/third'
    assert path.join('', 'second', 'third') == 'second/third' and path.join('', '') == ''
    assert path.isabs('/hello/path') and not path.isabs('./hello/path') and not path.isabs('../hello')


def test_normpath():
    """tests/test-path.lua normpath cases: leading '..' kept, '//' kept, '///' collapsed, '' is '.'."""
    cases = {'/a/fred/../b': '/a/b', '/a//b': '/a/b', 'a/b/..': 'a', 'a/b/../..': '.', 'a/b/../c/../../d': 'd',
             'a/./': 'a', 'a/b/.././..': '.', '../../a/b': '../../a/b', '../../a/b/../../': '../..',
             './../../a/b/../c': '../../a/c', 'a/..b': 'a/..b', './a': 'a', 'a/': 'a', '/a': '/a', '': '.',
             '//a': '//a', '///a': '/a'}
    for given, expected in cases.items():
        assert path.normpath(given) == expected, given


def test_relpath_and_common_prefix():
    """tests/test-path.lua relpath and common_prefix cases."""
    start = '/a/B/c'
    assert path.relpath('/a/B/c/one.lua', start) == 'one.lua'
    assert path.relpath('/a/B/c/bonZO/two.lua', start) == 'bonZO/two.lua'
    assert path.relpath('/a/B/three.lua', start) == '../three.lua'
    assert path.relpath('/a/four.lua', start) == '../../four.lua'
    assert path.relpath('one.lua', start) == 'one.lua' and path.relpath('../two.lua', start) == '../two.lua'
    cp = path.common_prefix
    assert cp('../anything', '../anything/goes') == '../anything'
    assert cp('../anything/goes', '../anything/goes') == '../anything'
    assert cp('../anything/', '../anything/') == '../anything'
    assert cp('../anything', '../anything') == '..'
    assert cp('/hello/world', '/hello/world/filename.doc') == '/hello/world'
    assert cp('/hello/filename.doc', '/hello/filename.doc') == '/hello'


def test_queries_on_files(tmp_path, monkeypatch):
    """path.lua's isdir/isfile/islink/exists (the path or False)/getsize/abspath/expanduser; mkdir's failure
    message is Penlight's err_func text."""
    d = str(tmp_path)
    f = os.path.join(d, 'f.txt')
    with open(f, 'w') as out:
        out.write('12345')
    os.symlink(f, os.path.join(d, 'ln'))
    assert path.isdir(d) and path.isdir(d + '/') and not path.isdir(f) and path.isfile(f)
    assert path.islink(os.path.join(d, 'ln')) and not path.islink(f)
    assert path.exists(f) == f and path.exists(os.path.join(d, 'none')) is False
    assert path.getsize(f) == 5 and path.getsize(os.path.join(d, 'none')) is None
    monkeypatch.chdir(d)
    assert path.abspath('x/../y/') == os.path.join(os.getcwd(), 'y') and path.abspath('x', '/p') == '/p/x'
    monkeypatch.setenv('HOME', '/home/u')
    assert path.expanduser('~/data') == '/home/u/data' and path.expanduser('a~') == 'a~'
    failed = path.mkdir(d)
    assert not failed and failed[1] == f"mkdir failed for '{d}': File exists (code 17)" and failed[2] == 17
