"""POSIX shared-memory objects (``shm_open``'s; /dev/shm/<name> on Linux) mapped into this process: the one place
that opens, sizes, maps and unlinks them, for Torch7's sharedMem storages (storage.py) and for the segments
legonn.threads sends tensors through (threads/shared.py)."""
import contextlib
import mmap
import os

try:
    import _posixshmem
except ImportError:   # Windows: no shm_open (Torch7 has none there either)
    _posixshmem = None

AVAILABLE = _posixshmem is not None

RULES = ('create', 'attach', 'open_or_create')


def map_shared_memory(shm_name, nbytes=0, *, rule, caller, unit=1):
    """The shared-memory object ``shm_name`` mapped read-write and shared, as an ``mmap.mmap`` of ``nbytes`` bytes.

    ``rule`` says how the object is found:

    - ``'create'``: a new object of ``nbytes`` bytes; FileExistsError when the name exists (legonn.threads names a
      fresh segment for each storage it shares);
    - ``'attach'``: an existing object, FileNotFoundError when there is none; ValueError when it holds fewer than
      ``nbytes`` bytes;
    - ``'open_or_create'``: created when missing, extended to ``nbytes`` bytes when shorter (THMapAllocator's
      TH_ALLOCATOR_MAPPED_SHAREDMEM, with O_CREAT and no O_EXCL).

    With ``nbytes`` 0 the whole object is mapped, down to a multiple of ``unit`` bytes (a storage's element size);
    ValueError when that leaves nothing, as ``mmap`` cannot map 0 bytes. The descriptor is closed whether or not the
    mapping succeeds; on a failure an object this call may have created (rules ``'create'`` and
    ``'open_or_create'``) is unlinked, since no mapping will own it. Errors name ``caller``."""
    if not AVAILABLE:
        raise OSError(f"{caller}: shm_open is unavailable on this platform")
    if rule not in RULES:
        raise ValueError(f"{caller}: rule must be one of {RULES}, got {rule!r}")
    flags = os.O_RDWR | {'create': os.O_CREAT | os.O_EXCL, 'attach': 0, 'open_or_create': os.O_CREAT}[rule]
    fd = _posixshmem.shm_open(shm_name, flags, mode=0o600)
    try:
        length = os.fstat(fd).st_size
        if rule != 'attach' and nbytes > length:
            os.ftruncate(fd, nbytes)
        elif nbytes > length:
            raise ValueError(f"{caller}: the shared-memory object {shm_name!r} holds {length} bytes, "
                             f"{nbytes} asked for")
        nbytes = nbytes or length // unit * unit
        if nbytes == 0:
            raise ValueError(f"{caller}: cannot map an empty shared-memory object without a size")
        return mmap.mmap(fd, nbytes)
    except BaseException:
        if rule != 'attach':
            unlink_shared_memory(shm_name)
        raise
    finally:
        os.close(fd)


def unlink_shared_memory(shm_name):
    """Remove the name ``shm_name`` (mappings already made stay valid until they are closed); True when it was
    there, False when it was already gone."""
    with contextlib.suppress(FileNotFoundError):
        _posixshmem.shm_unlink(shm_name)
        return True
    return False
