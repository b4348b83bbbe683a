"""torch-ipc's ``ipc.flock(path, [noBlock])``: an exclusive lock on a file, between processes and between
threads (src/flock.c: ``flock(2)`` on a descriptor of the thread's own).

    lock = ipc.flock('/tmp/x.lock')            # creates the file if needed, waits for the lock
    ipc.flock('/tmp/x.lock', True)             # None: held elsewhere (or the file is missing or unreadable)
    lock.close()                               # releases it (so does collecting the handle, as __gc)

The lock belongs to the open file, not to the process: a second ``ipc.flock`` of the same path in the same
process waits (or gives None) as one in another process does, and a lock held by a process that died is free.
A blocking call waits as long as it takes, as torch-ipc's. The handle has ``close`` only (test_flock.lua's
``flock:write``/``flock:read`` are not torch-ipc methods)."""
import errno
import fcntl
import os

from legonn.tensor.naming import TorchNamed


class Flock(TorchNamed):
    """See the module's docstring; ``fd`` is the locked descriptor (None once closed)."""
    __slots__ = ('fd',)

    def __init__(self, fd):
        self.fd = fd

    def close(self):
        """Release the lock and close the file (again: no effect)."""
        fd, self.fd = self.fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __del__(self):
        self.close()

    def __reduce__(self):
        raise TypeError("legonn.ipc.flock: a held lock cannot be sent to another process (take one there)")


def flock(path, noBlock=False):
    """The lock of ``path`` (see the module's docstring): a ``Flock``, or None with ``noBlock`` when the lock
    is held elsewhere or the file does not exist."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"legonn.ipc.flock: expected a file name, got {type(path).__name__}")
    flags = os.O_RDWR | os.O_CLOEXEC | (0 if noBlock else os.O_CREAT)
    try:
        fd = os.open(path, flags, 0o600)
    except (FileNotFoundError, PermissionError):   # flock.c returns nothing for ENOENT and EACCES
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if noBlock else 0))
    except OSError as exc:
        os.close(fd)
        if noBlock and exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        raise OSError(exc.errno, f"legonn.ipc.flock({path!r}): {exc.strerror}") from None
    return Flock(fd)
