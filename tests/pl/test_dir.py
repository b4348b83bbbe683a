"""legonn.pl.dir against Penlight's dir.lua and tests/test-dir.lua."""
import os

from legonn.pl import dir as pldir


def _tree(root):
    for sub in ('a/b', 'c/d'):
        os.makedirs(os.path.join(root, sub))
    for name in ('x.lua', 'y.txt', 'a/z.lua', 'a/b/w.lua'):
        with open(os.path.join(root, name), 'w') as f:
            f.write(name)


def test_fnmatch_and_filter():
    """dir.lua's filemask: '*' any run, '?' one character, the rest literal (tests/test-dir.lua cases)."""
    assert pldir.fnmatch('foo.c', '*.c') and not pldir.fnmatch('foo.c', '*.h')
    assert pldir.fnmatch('a.b', 'a?b') and not pldir.fnmatch('axb.c', 'a.b*')
    assert pldir.filter(['test.c', 'test.h', 'test.rus', 'result.c', 'result.rus'], 'test.*') == \
        ['test.c', 'test.h', 'test.rus']


def test_listing_walk_and_allfiles(tmp_path):
    """dir.lua's getfiles (a shell mask), getdirectories, walk (depth first, last listed first; bottom_up
    reverses it) and getallfiles."""
    root = str(tmp_path)
    _tree(root)
    assert sorted(pldir.getfiles(root, '*.lua')) == [os.path.join(root, 'x.lua')]
    assert sorted(pldir.getdirectories(root)) == [os.path.join(root, 'a'), os.path.join(root, 'c')]
    walked = list(pldir.walk(root))
    assert walked[0][0] == root and sorted(walked[0][2]) == ['x.lua', 'y.txt']
    assert {w[0] for w in walked} == {root, root + '/a', root + '/a/b', root + '/c', root + '/c/d'}
    for i, (current, dirs, _) in enumerate(walked):   # a directory's children come after it
        assert all(any(w[0] == current + '/' + d for w in walked[i + 1:]) for d in dirs)
    order = [w[0] for w in walked]   # depth first: a directory's subtree comes whole, before its siblings'
    assert order.index(root + '/a/b') == order.index(root + '/a') + 1
    assert order.index(root + '/c/d') == order.index(root + '/c') + 1
    assert list(pldir.walk(root, True)) == walked[::-1]
    assert sorted(pldir.getallfiles(root, '*.lua')) == sorted(os.path.join(root, p) for p in
                                                             ('x.lua', 'a/z.lua', 'a/b/w.lua'))


def test_makepath_rmtree_copy_move(tmp_path):
    """dir.lua's makepath (parents made), rmtree (True; a link refused), copyfile (flag False refuses to
    overwrite), movefile."""
    root = str(tmp_path)
    deep = os.path.join(root, 'p', 'q', 'r')
    assert pldir.makepath(deep) is True and os.path.isdir(deep) and pldir.makepath(deep) is True
    src = os.path.join(root, 'src.txt')
    with open(src, 'w') as f:
        f.write('data')
    assert pldir.copyfile(src, os.path.join(deep, 'c.txt')) is True
    refused = pldir.copyfile(src, os.path.join(deep, 'c.txt'), False)
    assert not refused and refused[1] == 'cannot overwrite destination'
    assert pldir.movefile(src, deep) is True and os.path.exists(os.path.join(deep, 'src.txt'))
    os.symlink(deep, os.path.join(root, 'link'))
    assert tuple(pldir.rmtree(os.path.join(root, 'link'))) == (False, 'will not follow symlink')
    assert pldir.rmtree(os.path.join(root, 'p')) is True and not os.path.exists(os.path.join(root, 'p'))
