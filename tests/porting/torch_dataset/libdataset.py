"""src/dataset.c (torch-dataset's C module ``libdataset``) in Python: ``link``, ``symlink`` and ``dirsize``,
the calls Cache.lua and test_Cache.lua make (``offsets`` is not in dataset.c, see the package's docstring)."""
import os


def link(src, dst):
    """A hard link ``dst`` to ``src``: 0, or the errno (dataset_link)."""
    try:
        os.link(src, dst)
    except OSError as err:
        return err.errno
    return 0


def symlink(src, dst):
    """A symbolic link ``dst`` to ``src``: 0, or the errno (dataset_symlink)."""
    try:
        os.symlink(src, dst)
    except OSError as err:
        return err.errno
    return 0


def dirsize(dir_name):
    """The bytes of the regular files directly in ``dir_name`` (not links nor directories: readdir's DT_REG),
    or -errno when it cannot be opened (dataset_dirsize); a file removed meanwhile counts 0."""
    try:
        entries = list(os.scandir(dir_name))
    except OSError as err:
        return -err.errno
    total = 0
    for d in entries:
        if d.is_file(follow_symlinks=False):
            try:
                total += d.stat(follow_symlinks=False).st_size
            except FileNotFoundError:
                continue
    return total
