"""torch/paths' doc/dirfunctions.md ("Directory Functions"), its three ``for`` loops over ``"."`` ported by
docs/porting.md's paths row and run in a directory made here, asserting what the doc says each lists. The
rest of torch/paths' documentation (doc/filenames.md, dirpaths.md, misc.md: statements without code, each
asserted against paths.c and init.lua) is tests/test_paths.py; the include string is a Python regex there."""
import pytest

from legonn import paths


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A current directory holding two files, a folder, and a file inside the folder."""
    (tmp_path / 'train.t7').write_text('')
    (tmp_path / 'notes.txt').write_text('')
    (tmp_path / 'images').mkdir()
    (tmp_path / 'images' / 'a.jpg').write_text('')
    monkeypatch.chdir(tmp_path)


def test_paths_files_doc_loop(folder, capsys):
    """paths.files: ``for f in paths.files(".") do print(f) end`` lists files and directories, "." and ".."
    included on Linux, not the sub-folders' contents; the include function decides per name."""
    for f in paths.files("."):
        print(f)
    assert sorted(capsys.readouterr().out.split()) == ['.', '..', 'images', 'notes.txt', 'train.t7']
    assert sorted(paths.files('.', lambda file: file.endswith('.t7'))) == ['train.t7']
    assert sorted(paths.files('.', r'\.t')) == ['notes.txt', 'train.t7']       # file:find(f) of '%.t'


def test_paths_iterdirs_doc_loop(folder, capsys):
    """paths.iterdirs: ``for dir in paths.iterdirs(".") do print(dir) end``: directories only, without "."
    and ".." and without those of sub-folders."""
    for dir in paths.iterdirs("."):
        print(dir)
    assert capsys.readouterr().out.split() == ['images']


def test_paths_iterfiles_doc_loop(folder, capsys):
    """paths.iterfiles: ``for file in paths.iterfiles(".") do print(file) end``: files only, not those of
    sub-folders."""
    for file in paths.iterfiles("."):
        print(file)
    assert sorted(capsys.readouterr().out.split()) == ['notes.txt', 'train.t7']


def test_paths_mkdir_rmdir_rmall_return_true(folder):
    """paths.mkdir, paths.rmdir (an empty directory), paths.rmall(s, "yes"): each "Returns true on
    success"."""
    assert paths.mkdir('made') is True and paths.dirp('made')
    assert paths.rmdir('made') is True and not paths.dirp('made')
    assert paths.rmall('images', 'yes') is True and not paths.dirp('images')
    assert paths.dir('images') is None                 # "nil if the specified directory does not exist"
