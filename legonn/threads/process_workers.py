"""The process backend: N worker processes, each with a job pipe and a result pipe.

Jobs must be importable (module-level functions) or otherwise picklable;
they, their arguments and their results cross with ``shared.dumps``, so
tensors in shared memory travel by name, not by value. The main process
waits on the result pipes and on the process sentinels together, so a worker
that dies is noticed at once. Each worker reads its pipe in a helper thread
(the main process never blocks long sending) and answers jobs in order, so
the first unanswered job of a dead worker is the one it died in.

A worker never outlives the main process, even in the middle of a job: it
exits when its job pipe ends without a stop message (only the main process
writes there, though a sibling forked later may hold a copy), when a watch
thread sees its parent or the main process gone (within ``_WATCH_S``), and
on Linux when the kernel signals that its parent died (``PR_SET_PDEATHSIG``;
a forkserver parent outlives the main process until its children are gone,
since they hold its liveness pipe).
"""
import ctypes
import fcntl
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import sys
import threading
import time

from . import current, shared
from ..tensor.openblas import set_blas_threads
from ..tensor.random import own_generator
from ..tensor.types import fresh_default
from .failure import Failure

_STOP = b''
_F_SETPIPE_SZ = getattr(fcntl, 'F_SETPIPE_SZ', 1031)   # Linux
_PR_SET_PDEATHSIG = 1                                   # <linux/prctl.h>
_WATCH_S = 0.5                                          # how often an orphan check runs
_ORPHANED = 70                                          # the exit status of a worker whose main process died


def _widen(conn, nbytes=1 << 20):
    """Grow a pipe's buffer (Linux; best effort) so that a worker can hand over a few
    mini-batches without waiting for the main process to read each one."""
    try:
        fcntl.fcntl(conn.fileno(), _F_SETPIPE_SZ, nbytes)
    except OSError:
        pass


def _encode_failure(exc):
    """The traceback text, and the pickled exception apart from it (None when it cannot be pickled): an exception
    that pickles but cannot be unpickled (an ``__init__`` that wants other arguments than its ``args``) must not
    take its job's message with it."""
    failure = Failure.current(exc)
    try:
        pickled = shared.dumps(exc)
    except Exception:
        pickled = None
    return shared.dumps((failure.text, pickled))


def _decode_failure(payload):
    text, pickled = payload
    try:
        exc = None if pickled is None else shared.loads(pickled)
    except Exception:     # noqa: BLE001 - the text says what happened
        exc = None
    return Failure(exc, text)


def _orphaned():
    """The main process is gone: nobody will read this worker's results, so end it now, even mid-job."""
    shared.release_all()
    os._exit(_ORPHANED)


def _read(conn, inbox):
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            _orphaned()    # the pool always says stop before closing its end: it died without a word
        inbox.put(data)
        if data == _STOP:
            return


def _process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:    # exists, owned by someone else
        return True
    return True


def _watch_parent(parent, main_pid):
    while True:
        time.sleep(_WATCH_S)
        # a dead parent re-parents this process at once, even before it is reaped
        if os.getppid() != parent or not _process_exists(main_pid):
            _orphaned()


def _die_with_parent(main_pid, use_prctl):
    """Make this worker end when the main process does, so that a long job is not left running as an orphan.

    ``use_prctl`` is False when the parent is a thread of the main process that may end before it (the
    kernel signal follows the creating thread); the watch thread then acts alone.
    """
    parent = os.getppid()
    if use_prctl and sys.platform.startswith('linux'):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(ctypes.c_int(_PR_SET_PDEATHSIG), ctypes.c_ulong(signal.SIGKILL), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0))
        except (OSError, AttributeError):
            pass    # no prctl here: the watch thread remains
    threading.Thread(target=_watch_parent, args=(parent, main_pid), daemon=True,
                     name='legonn-threads-watch').start()


def worker_main(tid, jobs, results, blas_threads, main_pid, use_prctl):
    """Body of worker process ``tid``: run jobs from ``jobs`` until told to stop, answering on ``results``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the main process's to handle
    _die_with_parent(main_pid, use_prctl)
    current._process[0] = tid
    vars(current.local).clear()    # a forked worker starts with its own namespace, not a copy of the main's
    own_generator()                # and its own random stream, as each Torch7 thread's torch._gen
    fresh_default()                # and the starting default tensor type, as each new Lua state
    shared.keep_until_release()
    if blas_threads is not None:
        set_blas_threads(blas_threads)
    inbox = queue.SimpleQueue()
    threading.Thread(target=_read, args=(jobs, inbox), daemon=True).start()
    try:
        while True:
            data = inbox.get()
            if data == _STOP:
                return
            jobid = data[:8]
            try:
                job, args = shared.loads(memoryview(data)[8:])
                answer = b'\1' + shared.dumps(job(*args))
            except BaseException as exc:    # noqa: B036  (every failure goes back to the main process)
                answer = b'\0' + _encode_failure(exc)
            results.send_bytes(jobid + answer)
    finally:
        shared.release_all()


def default_start_method():
    # forkserver: workers fork from a clean server process (no copy of the main process's threads),
    # faster than spawn after the first
    return 'forkserver' if 'forkserver' in multiprocessing.get_all_start_methods() else 'spawn'


class ProcessWorkers:
    def __init__(self, n, start_method=None, blas_threads=1):
        ctx = multiprocessing.get_context(start_method or default_start_method())
        if ctx.get_start_method() == 'forkserver':
            # workers fork with legonn's modules already imported instead of importing them each
            ctx.set_forkserver_preload(['legonn.threads.process_workers', 'legonn.nn', 'legonn.optim'])
        # the kernel's parent-death signal follows the thread that forked: safe from the forkserver's only
        # thread or from the main thread, not from a thread that may end before the process
        use_prctl = ctx.get_start_method() == 'forkserver' or threading.current_thread() is threading.main_thread()
        self.processes, self.jobs, self.results = [], [], []
        for tid in range(n):
            job_r, job_w = ctx.Pipe(duplex=False)
            res_r, res_w = ctx.Pipe(duplex=False)
            _widen(job_w)
            _widen(res_w)
            p = ctx.Process(target=worker_main, args=(tid, job_r, res_w, blas_threads, os.getpid(), use_prctl),
                            daemon=True,
                            name=f'legonn-threads-{tid}')
            p.start()
            job_r.close()
            res_w.close()
            self.processes.append(p)
            self.jobs.append(job_w)
            self.results.append(res_r)
        self.dead = [False] * n

    def alive(self, tid):
        return not self.dead[tid]

    @staticmethod
    def pack(job, args):
        return shared.dumps((job, args))

    def send(self, tid, jobid, packed):
        try:
            self.jobs[tid].send_bytes(jobid.to_bytes(8, 'little') + packed)
        except (BrokenPipeError, OSError):
            pass    # the worker is gone; recv reports it with this job

    def _answer(self, tid, data):
        jobid, ok = int.from_bytes(data[:8], 'little'), data[8] == 1
        try:
            value = shared.loads(memoryview(data)[9:])
            if not ok:
                value = _decode_failure(value)
        except BaseException as exc:    # noqa: B036
            ok, value = False, Failure.current(exc)
        return 'done', jobid, tid, ok, value

    def recv(self, timeout):
        """The next answer or death notice, or None when none came within ``timeout`` seconds."""
        live = [t for t in range(len(self.processes)) if not self.dead[t]]
        if not live:
            raise RuntimeError("Threads: every worker process has died")
        waitables = {self.results[t]: t for t in live}
        waitables.update({self.processes[t].sentinel: t for t in live})
        ready = multiprocessing.connection.wait(list(waitables), timeout=timeout)
        for obj in ready:    # answers first: a worker may have answered and then died
            tid = waitables[obj]
            if obj is self.results[tid]:
                try:
                    return self._answer(tid, obj.recv_bytes())
                except (EOFError, OSError):
                    pass
        for obj in ready:
            tid = waitables[obj]
            if obj is self.processes[tid].sentinel:
                conn = self.results[tid]
                try:
                    if conn.poll(0):    # answers still in the pipe come before the death notice
                        return self._answer(tid, conn.recv_bytes())
                except (EOFError, OSError):
                    pass
                self.processes[tid].join(1)
                self.dead[tid] = True
                return 'dead', tid, self._describe_exit(tid)
        return None

    def _describe_exit(self, tid):
        code = self.processes[tid].exitcode
        if code is not None and code < 0:
            try:
                return f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with status {code}"

    def stop(self, timeout=5.0, stuck=()):
        """Ask every worker to finish; after ``timeout`` seconds in all, terminate (then kill) the rest.

        Workers in ``stuck`` hold jobs no one will wait for: they are killed at once.
        """
        for tid in stuck:
            self.processes[tid].kill()
        for conn in self.jobs:
            try:
                conn.send_bytes(_STOP)
            except (BrokenPipeError, OSError):
                pass
        for p in self.processes:
            p.join(timeout / len(self.processes))
        for p in self.processes:
            if p.is_alive():
                p.terminate()
                p.join(1)
            if p.is_alive():
                p.kill()
                p.join(1)
        for conn in self.jobs + self.results:
            conn.close()
