"""Replacing a file only once its new content is complete, and cleaning up after writers that were killed.

``replacing(path)`` yields a binary file in the target's folder, named
``.<name>.<16 hex digits>.tmp`` (the name cut to fit in 255 bytes); when the block ends it is flushed, fsynced and
moved over the target with ``os.replace`` (then the folder is fsynced), so the
target is always either the old file or the new one. The writer holds an
exclusive ``flock`` on its temporary file while it writes: a lock dies with its
process, even under SIGKILL, so the next save to the same path can tell a
temporary file left by a dead writer (unlocked: removed) from one a live
writer is still filling (locked: left alone).

The temporary file is created with mode 0666 filtered by the process umask,
as ``open()`` creates files; a symlink target is resolved first, so the file
the link points to is replaced and the link stays a link.
"""
import contextlib
import fcntl
import os
import re
import secrets

_TEMP_SUFFIX = re.compile(r'\.[0-9a-f]{16}\.tmp')


# a file name's limit in bytes (NAME_MAX on Linux and macOS) and what the temporary name adds to the target's
_NAME_MAX = 255
_TEMP_EXTRA = len('..0123456789abcdef.tmp')


def _temp_prefix(base):
    """``.<name>``, the name cut so that the temporary file's name fits in NAME_MAX bytes: Torch7's torch.save opens
    the target itself (torch7 File.lua / DiskFile.c fopen), so any name the file system takes saves there, such as
    mc-cnn's main.lua ``net/net_<dataset>_<arch>_<every argument>.t7`` of 230 bytes and more."""
    return '.' + os.fsdecode(os.fsencode(base)[:_NAME_MAX - _TEMP_EXTRA])


def _temp_name(base):
    return f'{_temp_prefix(base)}.{secrets.token_hex(8)}.tmp'


def _is_temp_of(entry, base):
    prefix = _temp_prefix(base)
    return entry.startswith(prefix) and _TEMP_SUFFIX.fullmatch(entry, len(prefix)) is not None


def remove_stale_temporaries(path):
    """Delete the temporary files of saves to ``path`` whose writer is gone (their lock is free)."""
    folder, base = os.path.split(path)
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        if not _is_temp_of(entry, base):
            continue
        candidate = os.path.join(folder, entry)
        try:
            fd = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue   # gone meanwhile (its writer finished) or not ours to open
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # locked by us now: no writer holds it; remove it if the name still is this very file
            if os.path.samestat(os.fstat(fd), os.stat(candidate, follow_symlinks=False)):
                os.unlink(candidate)
        except OSError:
            pass       # a live writer holds the lock, or the file was renamed meanwhile
        finally:
            os.close(fd)


def _create_locked_temp(folder, base):
    """(fd, path) of a new, locked temporary file that is still the file its name points to."""
    while True:
        tmp = os.path.join(folder, _temp_name(base))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            # a concurrent cleaner may have removed it between open and flock: then start again
            if os.path.samestat(os.fstat(fd), os.stat(tmp, follow_symlinks=False)):
                return fd, tmp
        except FileNotFoundError:
            pass
        os.close(fd)


def _fsync_folder(folder):
    """Make the rename durable; some filesystems cannot fsync a folder, and the rename is done anyway."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def replacing(path):
    """A binary file whose content replaces ``path`` (a symlink's target) when the block succeeds."""
    target = os.path.realpath(path)
    folder, base = os.path.split(target)
    remove_stale_temporaries(target)
    fd, tmp = _create_locked_temp(folder, base)
    try:
        with os.fdopen(fd, 'wb', closefd=False) as f:
            yield f
            f.flush()
            os.fsync(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        os.close(fd)   # releases the lock, only after the rename
    _fsync_folder(folder)
