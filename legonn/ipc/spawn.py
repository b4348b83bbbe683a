"""torch-ipc's ``ipc.spawn{file=..., args=..., env=...}``: a child process with pipes to its stdin and from its
stdout (src/spawn.c; its stderr is this process's).

    p = ipc.spawn({'file': 'tee'})           # 'file' is found on PATH unless it holds a '/'
    p.stdin('a\\n'); p.stdin()                # write; no argument closes the pipe
    p.stdout('*l')                            # 'a' (one line, no newline; the default); '*a' all; a number
                                              # that many bytes at most; None at the end of the output
    p.wait()                                  # the exit status (closes stdin, reads what is left first)
    p.wait('TERM')                            # or send SIGTERM / 'KILL' first, dropping the output

``args`` items may be strings or numbers (Lua's tostring); ``env`` a list of 'NAME=VALUE' strings replaces
the environment (empty or None: inherit it). ``pid()``, ``running()`` and ``stdoutFileId()`` (the read end's
descriptor) as torch-ipc's. ``wait`` returns WEXITSTATUS, as spawn.c: 0 for a child a signal ended (so
``wait('KILL')`` gives 0). After ``wait`` the handle is closed: its methods raise. A handle collected
before ``wait`` prints a warning, sends SIGTERM and waits, as spawn.c's ``__gc``. Output is decoded as UTF-8
(bytes that are not stay as surrogate escapes); ``wait`` waits as long as it takes, as torch-ipc's."""
import os
import signal
import subprocess
import sys

from legonn.tensor.naming import TorchNamed

_SIGNALS = {'KILL': signal.SIGKILL, 'TERM': signal.SIGTERM}


def _decode(data):
    return data.decode('utf-8', 'surrogateescape')


def _argv(opt):
    """[file, *args] and the environment (None: inherit) from spawn's table, checked as spawn.c checks it."""
    if not isinstance(opt, dict):
        raise TypeError(f"legonn.ipc.spawn: expected a single table (dict) argument, got {type(opt).__name__}")
    file, args, env = opt.get('file'), opt.get('args'), opt.get('env')
    if not isinstance(file, str):
        raise TypeError(f"legonn.ipc.spawn: file: expected a string, got {type(file).__name__}")
    if args is not None and not isinstance(args, (list, tuple)):
        raise TypeError(f"legonn.ipc.spawn: args: expected a table (list), or nil, got {type(args).__name__}")
    argv = [file]
    for i, arg in enumerate(args or ()):
        if isinstance(arg, bool) or not isinstance(arg, (str, int, float)):
            raise TypeError(f"legonn.ipc.spawn: args[{i}]: expected a string or a number, got {type(arg).__name__}")
        argv.append(arg if isinstance(arg, str) else repr(arg))
    if env is not None and not isinstance(env, (list, tuple)):
        raise TypeError(f"legonn.ipc.spawn: env: expected a table (list) of 'NAME=VALUE', got {type(env).__name__}")
    environ = None
    if env:
        environ = {}
        for i, entry in enumerate(env):
            if not isinstance(entry, str) or '=' not in entry:
                raise ValueError(f"legonn.ipc.spawn: env[{i}]: expected 'NAME=VALUE', got {entry!r}")
            name, value = entry.split('=', 1)
            environ[name] = value
    return argv, environ


class Spawn(TorchNamed):
    """See the module's docstring."""
    __slots__ = ('_proc',)

    def __init__(self, opt):
        argv, environ = _argv(opt)
        try:
            self._proc = subprocess.Popen(argv, executable=None, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          env=environ, bufsize=0, close_fds=True)
        except OSError as exc:
            self._proc = None
            raise OSError(exc.errno, f"legonn.ipc.spawn: cannot run {argv[0]!r}: {exc.strerror}") from None

    def _open(self, verb):
        if self._proc is None:
            raise RuntimeError(f"legonn.ipc.spawn.{verb}: spawn was already closed (waited for)")
        return self._proc

    def stdin(self, data=None):
        """Write ``data`` (str or bytes) to the child's stdin; without it close the pipe."""
        proc = self._open('stdin')
        if data is None:
            if proc.stdin is None:
                raise RuntimeError("legonn.ipc.spawn.stdin: stdin is already closed")
            proc.stdin.close()
            proc.stdin = None
            return
        if proc.stdin is None:
            raise RuntimeError("legonn.ipc.spawn.stdin: cannot write, stdin is closed")
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            data = repr(data)     # lua_tolstring of a number
        if isinstance(data, str):
            data = data.encode('utf-8', 'surrogateescape')
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"legonn.ipc.spawn.stdin: expected a string, got {type(data).__name__}")
        view = memoryview(data)
        while view:
            view = view[os.write(proc.stdin.fileno(), view):]

    def stdout(self, arg='*l'):
        """Read from the child's stdout: ``'*l'`` (or None) one line without its newline, ``'*a'`` everything
        to the end, a number that many bytes at most; None when the output has ended."""
        fd = self._open('stdout').stdout.fileno()
        if isinstance(arg, (int, float)) and not isinstance(arg, bool):
            data = os.read(fd, int(arg))
            return _decode(data) if data else None
        if arg is None:
            arg = '*l'
        if not isinstance(arg, str):
            raise TypeError(f"legonn.ipc.spawn.stdout: expected '*l', '*a' or a number, got {type(arg).__name__}")
        chunks = []
        if arg.startswith('*l'):
            while (byte := os.read(fd, 1)) and byte != b'\n':    # byte by byte: nothing read past the line
                chunks.append(byte)
            if not chunks and not byte:
                return None
        else:
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
            if not chunks:
                return None
        return _decode(b''.join(chunks))

    def stdoutFileId(self):
        """The descriptor of the read end of the child's stdout."""
        return self._open('stdoutFileId').stdout.fileno()

    def pid(self):
        """The child's process id."""
        return self._open('pid').pid

    def running(self):
        """Whether the child has not ended yet (it is not reaped: ``wait`` still gives its status)."""
        proc = self._open('running')
        if proc.returncode is not None:
            return False
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None

    def wait(self, sig=None):
        """Send ``sig`` ('TERM' or 'KILL') if given, close stdin, read the rest of stdout (with a signal: drop
        it), wait for the child to end; its exit status (WEXITSTATUS: 0 when a signal ended it). Closes."""
        proc = self._open('wait')
        if sig is not None:
            if sig not in _SIGNALS:
                raise ValueError(f"legonn.ipc.spawn.wait: unknown signal {sig!r} (expected 'TERM' or 'KILL')")
            proc.send_signal(_SIGNALS[sig])
        if proc.stdin is not None:
            proc.stdin.close()
        if sig is None:
            while os.read(proc.stdout.fileno(), 65536):   # the child must not block on a full pipe
                pass
        proc.stdout.close()
        proc.wait()
        self._proc = None
        return max(proc.returncode, 0)

    def __del__(self):
        if getattr(self, '_proc', None) is not None:
            print("legonn.ipc.spawn being garbage collected before wait was called, sending SIGTERM to child "
                  f"process {self._proc.pid}", file=sys.stderr)
            self.wait('TERM')

    def __reduce__(self):
        raise TypeError("legonn.ipc.spawn: a child process's handle cannot be sent to another process")


def spawn(opt):
    """Start the child ``opt`` describes (see the module's docstring); its ``Spawn``."""
    return Spawn(opt)
