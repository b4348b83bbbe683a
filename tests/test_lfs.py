"""legonn.lfs against LuaFileSystem's src/lfs.c and tests/test.lua (POSIX)."""
import errno
import os
import stat

import pytest

import legonn as lg
from legonn import lfs, paths


def test_attributes_fields_and_errors(tmp_path):
    """lfs.c's _file_info_: the members table (mode names, permissions as 'rwxr-x---', whole-second times),
    one member by name, a table filled, an unknown name refused, and nil, message, errno for a missing file."""
    name = str(tmp_path / 'f')
    with open(name, 'w') as f:
        f.write('abc')
    os.chmod(name, 0o640)
    info = os.stat(name)
    attrs = lfs.attributes(name)
    assert attrs['mode'] == 'file' and attrs['size'] == 3 and attrs['permissions'] == 'rw-r-----'
    assert attrs['modification'] == int(info.st_mtime) and attrs['ino'] == info.st_ino
    assert set(attrs) == {'mode', 'dev', 'ino', 'nlink', 'uid', 'gid', 'rdev', 'access', 'modification', 'change',
                          'size', 'permissions', 'blocks', 'blksize'}
    assert lfs.attributes(str(tmp_path), 'mode') == 'directory' and lfs.attributes(name, 'size') == 3
    filled = {'mine': 1}
    assert lfs.attributes(name, filled) is filled and filled['size'] == 3 and filled['mine'] == 1
    with pytest.raises(ValueError, match="invalid attribute name 'colour'"):
        lfs.attributes(name, 'colour')
    missing = lfs.attributes(str(tmp_path / 'none'))
    assert not missing
    assert tuple(missing) == (None, f"cannot obtain information from file '{tmp_path / 'none'}': "
                              "No such file or directory", 2)
    fifo = str(tmp_path / 'p')
    os.mkfifo(fifo)
    assert lfs.attributes(fifo, 'mode') == 'named pipe'


def test_symlinks(tmp_path):
    """lfs.c's link (hard and symbolic) and symlinkattributes (lstat, with 'target')."""
    target = str(tmp_path / 't')
    open(target, 'w').close()
    soft, hard = str(tmp_path / 's'), str(tmp_path / 'h')
    assert lfs.link(target, soft, True) is True and lfs.link(target, hard) is True
    assert lfs.symlinkattributes(soft, 'mode') == 'link' and lfs.attributes(soft, 'mode') == 'file'
    assert lfs.symlinkattributes(soft, 'target') == target and lfs.symlinkattributes(soft)['target'] == target
    assert 'target' not in lfs.symlinkattributes(target) and lfs.attributes(target, 'nlink') == 2
    # link_info reads the one attribute 'target' by readlink alone: not a link (EINVAL) or missing (ENOENT)
    # is pusherror's nil, 'could not obtain link target: ...', errno
    for path, code in ((target, errno.EINVAL), (str(tmp_path / 'missing'), errno.ENOENT)):
        assert tuple(lfs.symlinkattributes(path, 'target')) == \
            (None, f'could not obtain link target: {os.strerror(code)}', code)


def test_mkdir_mode_is_0775(tmp_path):
    """lfs.c's lfs_mkdir: mkdir(path, rwxrwxr-x), so with no umask the directory is 0775, not 0777."""
    old = os.umask(0)
    try:
        assert lfs.mkdir(str(tmp_path / 'd')) is True
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'd').st_mode) == 0o775


def test_directories_and_touch(tmp_path, monkeypatch):
    """lfs tests/test.lua: mkdir, dir ('.' and '..' first), chdir/currentdir, touch times, rmdir; failures
    as nil, strerror, errno (chdir: its own message)."""
    d = str(tmp_path / 'sub')
    assert lfs.mkdir(d) is True
    failed = lfs.mkdir(d)
    assert not failed and tuple(failed) == (None, 'File exists', 17)
    open(os.path.join(d, 'a'), 'w').close()
    assert list(lfs.dir(d)) == ['.', '..', 'a']
    with pytest.raises(OSError, match='cannot open'):
        list(lfs.dir(str(tmp_path / 'none')))
    monkeypatch.chdir(str(tmp_path))
    assert lfs.chdir(d) is True and lfs.currentdir() == os.path.realpath(d)
    bad = lfs.chdir(str(tmp_path / 'none'))
    assert not bad and bad[1] == f"Unable to change working directory to '{tmp_path / 'none'}'\n" \
                                 "No such file or directory\n"
    assert lfs.touch('a', 1000, 2000) is True
    assert lfs.attributes('a', 'access') == 1000 and lfs.attributes('a', 'modification') == 2000
    assert lfs.touch('a', 3000) is True and lfs.attributes('a', 'modification') == 3000
    assert not lfs.touch('missing')
    assert not lfs.rmdir(d)   # not empty
    os.remove(os.path.join(d, 'a'))
    assert lfs.rmdir(d) is True and not os.path.exists(d)
    with pytest.raises(TypeError, match='lfs.mkdir: expected a path string, got int'):
        lfs.mkdir(3)


def test_lock_and_unlock(tmp_path):
    """lfs.c's file_lock/file_unlock: fcntl F_SETLK without waiting; a bad mode refused; a read lock on a
    write-only file fails with the system's message."""
    with open(str(tmp_path / 'w'), 'w') as f:
        assert tuple(lfs.lock(f, 'r')) == (None, 'Bad file descriptor')
    with open(str(tmp_path / 'l'), 'w+') as f:   # a read lock needs a readable descriptor, as in C
        assert lfs.lock(f, 'w') is True and lfs.unlock(f) is True
        assert lfs.lock(f, 'r', 0, 10) is True and lfs.unlock(f, 0, 10) is True
        with pytest.raises(ValueError, match="expected mode 'r' or 'w'"):
            lfs.lock(f, 'x')


def test_require_finds_lfs_and_penlight():
    """paths.require maps Torch7 names to legonn modules: 'lfs' and every 'pl.<module>'; lg.pl/lg.lfs load lazily."""
    assert paths.require('lfs') is lfs and lg.lfs is lfs
    assert paths.require('pl.stringx') is lg.pl.stringx and paths.require('pl.lapp') is lg.pl.lapp
    assert stat.S_ISDIR(os.stat(os.path.dirname(lg.pl.__file__)).st_mode)
