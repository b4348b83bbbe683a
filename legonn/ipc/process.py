"""torch-ipc's process and thread functions (src/ipc.c): ``getpid``, ``getppid``, ``gettid``, ``fork``,
``waitpid``, ``isOSX``, ``isDevel``.

``gettid`` is the calling thread's identifier (ipc.c's ``pthread_self()``; Python's ``threading.get_ident``),
distinct between live threads. ``fork`` is ``os.fork``: the child has only the calling thread (Python warns
when other threads run), and should leave with ``os._exit`` (Lua's ``os.exit``), never by raising
``SystemExit`` back into its parent's code. ``waitpid(pid)`` waits for the child to end and returns its exit
status, None when a signal ended it (ipc.c returns nothing then)."""
import os
import sys
import threading


def getpid():
    """This process's id."""
    return os.getpid()


def getppid():
    """The parent process's id."""
    return os.getppid()


def gettid():
    """The calling thread's id."""
    return threading.get_ident()


def fork():
    """``os.fork()``: 0 in the child, the child's pid in the parent."""
    return os.fork()


def waitpid(pid):
    """Wait for child ``pid`` to end: its exit status, or None when a signal killed it."""
    while True:
        _, status = os.waitpid(pid, os.WUNTRACED | os.WCONTINUED)
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)
        if os.WIFSIGNALED(status):
            return None


def isOSX():
    """True on macOS."""
    return sys.platform == 'darwin'


def isDevel():
    """True on macOS or when the environment's ``CKOIA_DEVEL_MODE`` starts with 1 (ipc.c's test)."""
    return sys.platform == 'darwin' or os.environ.get('CKOIA_DEVEL_MODE', '').startswith('1')
