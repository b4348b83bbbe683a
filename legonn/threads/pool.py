"""Threads: Torch7's pool of workers, with jobs as callables and ending callbacks in the main thread.

``Threads(n, init0, init1, ...)`` starts ``n`` workers once and runs each init
function in every worker with its thread id (0-based, like every index in
legonn). ``addjob(job, endcallback, *args)`` queues ``job(*args)`` for the
worker holding the fewest jobs once the results already in are counted (each
worker has its own queue: a job waits behind its worker's earlier ones, where
Torch7's one shared queue lets any free thread take it); what the job returns
is handed to ``endcallback`` in the main thread (a returned tuple is spread
over its arguments, as Lua's multiple returns are; ``None`` gives no
argument). Ending callbacks run inside ``addjob`` when
the queue is full, in ``dojob`` (one job) and in ``synchronize`` (all jobs).
An ``addjob`` called from an ending callback never runs callbacks itself
(when the queue is full it only collects results, whose callbacks the
outer loop runs next), so chains of jobs that submit jobs run in constant
stack. A job or callback that raises is reported as a ``JobError`` carrying
the worker's traceback at the next ``dojob`` or ``synchronize`` (never from
``addjob``, so no job is left unsubmitted); the other jobs' results are kept
and the pool stays usable.

Waiting is unbounded by default, as in Torch7. A ``timeout`` (seconds; on
``synchronize``, ``dojob``, ``terminate``, or for every wait as the
constructor's keyword) bounds it: ``JobTimeout`` then names the unfinished
jobs; ``terminate`` also stops the workers, killing worker processes still
busy (threads cannot be killed: a stuck one is abandoned, and ends when its
job returns).

``backend='thread'`` (default) runs jobs in threads of this process: results
are the objects themselves, never copies, but the GIL serialises Python code
(except on free-threaded CPython, see ``free_threaded()``).
``backend='process'`` runs them in worker processes that really run in
parallel: jobs must be importable or picklable, and tensors placed in shared
memory (``share_memory``) cross without being copied.
"""
import collections
import functools
import inspect
import itertools
import math
import time
import weakref

from .failure import Failure, JobError, JobTimeout, WorkerDied
from .process_workers import ProcessWorkers
from .thread_workers import ThreadWorkers


def _init_args(f, tid):
    """The arguments ``f`` is called with as an init function: the thread id, or none for a function that takes
    no argument (Lua drops the id that torch/threads passes to ``function() require 'nn' end``)."""
    try:
        inspect.signature(f).bind(tid)
    except TypeError:
        return ()
    except ValueError:      # a builtin without a signature: pass the id, as before
        pass
    return (tid,)


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Threads: {what} must be a positive integer, got {value!r}")
    return value


def _job_name(jobid, job):
    while isinstance(job, functools.partial):    # name the function a process-backend job usually wraps
        job = job.func
    return f"job {jobid} ({getattr(job, '__qualname__', None) or type(job).__name__})"


class _PoolTimeout:
    def __repr__(self):
        return "the pool's timeout"


POOL_TIMEOUT = _PoolTimeout()   # a call's timeout when none is given: the one the pool was made with
_SLICE_S = 0.25                 # the longest single wait, so that Ctrl-C is seen while waiting


def _deadline(timeout):
    return None if timeout is None else time.monotonic() + timeout


class _Job:
    __slots__ = ('name', 'packed', 'endcallback', 'specific')

    def __init__(self, name, packed, endcallback, specific):
        self.name, self.packed, self.endcallback, self.specific = name, packed, endcallback, specific


class Threads:
    """A pool of ``nthread`` workers; see the module docstring.

    Keywords: ``backend`` ('thread' or 'process'); ``queuesize``: jobs a
    worker may hold, running or waiting, before ``addjob`` runs ending
    callbacks to make room (2); process backend only: ``start_method``
    ('forkserver' where available, else 'spawn'; 'fork' is accepted) and
    ``blas_threads`` (OpenBLAS threads per worker, 1; None leaves it alone);
    ``timeout``: the seconds any call waits for jobs unless it is given its
    own (None: forever, Torch7's behaviour), the constructor's wait for the
    init functions included.
    """

    _serialization = 'threads.serialize'

    def __init__(self, nthread, *inits, backend='thread', queuesize=2, start_method=None, blas_threads=1,
                 timeout=None):
        self.N = _positive_int(nthread, 'the number of threads')
        self._queuesize = _positive_int(queuesize, 'queuesize')
        self._timeout = self._check_timeout(timeout, '__init__')
        for f in inits:
            if not callable(f):
                raise TypeError(f"Threads: init functions must be callable, got {f!r}")
        if backend == 'thread':
            self._workers = ThreadWorkers(self.N)
        elif backend == 'process':
            self._workers = ProcessWorkers(self.N, start_method, blas_threads)
        else:
            raise ValueError(f"Threads: backend must be 'thread' or 'process', got {backend!r}")
        self.backend = backend
        self._pending = {}                    # jobid -> _Job, until its ending callback has run
        self._done = collections.deque()      # (jobid, tid, ok, value) received, ending callback not run yet
        self._in_callback = 0                 # depth of ending callbacks running now
        self._held = [collections.deque() for _ in range(self.N)]   # jobids sent to each worker, in order
        self._errors = []                     # (died?, message, exception) not yet raised
        self._ids = itertools.count()
        self._specific = False
        self._running = True
        # stops the workers on terminate(), garbage collection and interpreter exit, without a reference to self
        self._finalizer = weakref.finalize(self, self._workers.stop)
        # what the last init function returned in each worker, one list per worker in the order they
        # finished: threads.lua's ``initres``, the second value of ``local pool, res = Threads(n, f, g)``
        self.initres = []
        try:
            self._specific = True
            for k, f in enumerate(inits):
                keep = (lambda *values: self.initres.append(list(values))) if k == len(inits) - 1 else None
                for tid in range(self.N):
                    self.addjob(tid, f, keep, *_init_args(f, tid))
            self._synchronize('__init__', self.timeout)
        except BaseException:
            self._stop()
            raise
        self._specific = False

    @classmethod
    def new(cls, nthread, *inits, **keywords):
        """``(pool, initres)``: threads.lua's ``Threads.new``, which Lua's ``Threads(n, f, g)`` calls and
        whose two values ``local pool, res = Threads(n, f, g)`` takes (a Python constructor returns one)."""
        pool = cls(nthread, *inits, **keywords)
        return pool, pool.initres

    @staticmethod
    def serialization(name=None):
        """Torch7's ``Threads.serialization(name)``: with a name ('threads.serialize' or
        'threads.sharedserialize'), choose it; without, return the one chosen. legonn's transports
        already are what the names ask for where it matters: thread workers get the objects themselves
        (no copy, as sharedserialize), process workers get copies except for tensors in shared memory
        (``share_memory``), which travel as sharedserialize's do."""
        if name is None:
            return Threads._serialization
        if name not in ('threads.serialize', 'threads.sharedserialize'):
            raise ValueError("Threads.serialization: 'threads.serialize' or 'threads.sharedserialize' "
                             f"expected, got {name!r}")
        Threads._serialization = name

    # --- state -----------------------------------------------------------------------
    @property
    def timeout(self):
        """Seconds a call waits for jobs when it is given no ``timeout`` of its own (None: forever)."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds):
        self._timeout = self._check_timeout(seconds, 'timeout')

    def isrunning(self):
        return self._running

    def hasjob(self):
        """True while some job's ending callback has not run yet."""
        self._check_running('hasjob')
        return bool(self._pending)

    def haserror(self):
        self._check_running('haserror')
        return bool(self._errors)

    def specific(self, flag=None):
        """Without argument: whether jobs go to a named thread. With one: finish all jobs, then switch."""
        self._check_running('specific')
        if flag is None:
            return self._specific
        if not isinstance(flag, bool):
            raise TypeError(f"Threads.specific: expected True or False, got {flag!r}")
        self.synchronize()
        self._specific = flag
        return flag

    def acceptsjob(self, tid=None):
        """True when ``addjob`` (to thread ``tid`` in specific mode) would not have to wait."""
        self._check_running('acceptsjob')
        self._collect()
        if self._specific:
            return len(self._held[self._check_tid(tid, 'acceptsjob')]) < self._queuesize
        return self._least_busy()[1] < self._queuesize

    # --- jobs ------------------------------------------------------------------------
    def addjob(self, *args):
        """``addjob(job, endcallback=None, *args)``, or ``addjob(threadid, job, endcallback=None, *args)`` in
        specific mode."""
        self._check_running('addjob')
        tid = None
        if self._specific:
            if not args:
                raise TypeError("Threads.addjob: in specific mode expected (threadid, job, endcallback, ...), "
                                "got nothing")
            tid, args = self._check_tid(args[0], 'addjob'), args[1:]
        if not args or not callable(args[0]):
            raise TypeError(f"Threads.addjob: expected a callable job, got {args[0] if args else 'nothing'!r}")
        job, endcallback, job_args = args[0], (args[1] if len(args) > 1 else None), tuple(args[2:])
        if endcallback is not None and not callable(endcallback):
            raise TypeError(f"Threads.addjob: the ending callback must be callable or None, got {endcallback!r}")
        jobid = next(self._ids)
        name = _job_name(jobid, job)
        try:
            packed = self._workers.pack(job, job_args)
        except Exception as exc:
            raise TypeError(f"Threads.addjob: {name} cannot be sent to a worker process ({exc}); jobs for "
                            "backend='process' must be module-level functions (or picklable callables) with "
                            "picklable arguments") from exc
        deadline = _deadline(self.timeout)
        self._collect()   # a worker that has finished its jobs is free, though its callbacks have not run yet
        while True:
            target = tid if tid is not None else self._least_busy()[0]
            if not self._workers.alive(target):
                raise WorkerDied(f"Threads.addjob: {name} was sent to thread {target}, whose worker has died")
            if len(self._held[target]) < self._queuesize:
                break
            # full: run ending callbacks until there is room; inside a callback only collect results, since
            # running callbacks here would nest them one level deeper per job of a chain
            if not (self._receive(deadline) if self._in_callback else self._dojob(deadline)):
                raise self._timed_out('addjob', self.timeout, f"{name} was not submitted")
        self._pending[jobid] = _Job(name, packed, endcallback, tid is not None)
        self._held[target].append(jobid)
        self._workers.send(target, jobid, packed)
        return jobid

    def dojob(self, timeout=POOL_TIMEOUT):
        """Wait for one job to finish and run its ending callback; False when no job was pending.

        Raises ``JobTimeout`` when no job finished within ``timeout`` seconds (None: wait forever).
        """
        self._check_running('dojob')
        timeout = self._check_timeout(timeout, 'dojob')
        had = bool(self._pending)
        if had and not self._dojob(_deadline(timeout)):
            raise self._timed_out('dojob', timeout)
        if self._errors:
            self._raise_errors()
        return had

    def synchronize(self, timeout=POOL_TIMEOUT):
        """Wait for every job and run every ending callback; then raise the errors seen, if any.

        Raises ``JobTimeout`` naming the unfinished jobs when they are not all done within
        ``timeout`` seconds (None: wait forever); they stay pending and the pool usable.
        """
        if not self._running:
            return
        self._synchronize('synchronize', self._check_timeout(timeout, 'synchronize'))

    def terminate(self, timeout=POOL_TIMEOUT):
        """Finish every job, then stop the workers (also done, without finishing, on collection and at exit).

        After ``timeout`` seconds (None: wait forever) the workers are stopped anyway: worker processes
        still running a job are killed, worker threads are abandoned; ``JobTimeout`` names those jobs.
        """
        if not self._running:
            return
        timeout = self._check_timeout(timeout, 'terminate')
        try:
            self._synchronize('terminate', timeout, final=True)
        finally:
            self._stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.terminate()

    def __repr__(self):
        state = 'running' if self._running else 'terminated'
        return f"threads.Threads({self.N}, backend={self.backend!r}) [{state}, {len(self._pending)} jobs pending]"

    # --- internals -------------------------------------------------------------------
    def _check_timeout(self, timeout, what):
        if timeout is POOL_TIMEOUT:
            return self.timeout
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or math.isnan(timeout) or timeout < 0):
            raise ValueError(f"Threads.{what}: timeout must be None or a number of seconds >= 0, got {timeout!r}")
        return timeout

    def _check_running(self, what):
        if not self._running:
            raise RuntimeError(f"Threads.{what}: the pool has been terminated; create a new Threads")

    def _check_tid(self, tid, what):
        if isinstance(tid, bool) or not isinstance(tid, int) or not 0 <= tid < self.N:
            raise ValueError(f"Threads.{what}: expected a thread id in 0..{self.N - 1} (0-based) in specific mode, "
                             f"got {tid!r}")
        return tid

    def _least_busy(self):
        live = [t for t in range(self.N) if self._workers.alive(t)]
        if not live:
            raise WorkerDied("Threads: every worker has died")
        tid = min(live, key=lambda t: len(self._held[t]))
        return tid, len(self._held[tid])

    def _synchronize(self, what, timeout, final=False):
        deadline = _deadline(timeout)
        while self._pending:
            if not self._dojob(deadline):
                raise self._timed_out(what, timeout, final=final)
        if self._errors:
            self._raise_errors()

    def _receive(self, deadline):
        """Take the next message from the workers; False when ``deadline`` (monotonic s, None: never) came first."""
        while True:
            wait = _SLICE_S if deadline is None else min(_SLICE_S, max(0.0, deadline - time.monotonic()))
            message = self._workers.recv(wait)
            if message is not None:
                break
            if deadline is not None and time.monotonic() >= deadline:
                return False
        if message[0] == 'dead':
            self._bury(message[1], message[2])
        else:
            _, jobid, tid, ok, value = message
            self._held[tid].remove(jobid)
            self._done.append((jobid, tid, ok, value))
        return True

    def _collect(self):
        """Take every message the workers have already sent, without waiting (their callbacks run later)."""
        while any(self._workers.alive(t) for t in range(self.N)) and self._receive(time.monotonic()):
            pass

    def _dojob(self, deadline):
        """Run the ending callback of one finished job, waiting for one if none is in hand; False on timeout."""
        if not self._done and not self._receive(deadline):
            return False
        if self._done:     # else a worker died: _bury has recorded it
            self._finish(*self._done.popleft())
        return True

    def _finish(self, jobid, tid, ok, value):
        job = self._pending.pop(jobid)
        if not ok:
            self._errors.append((False, f"[thread {tid} job] {job.name} raised:\n{value.text}", value.exc))
            return
        if job.endcallback is None:
            return
        args = () if value is None else value if isinstance(value, tuple) else (value,)
        self._in_callback += 1
        try:
            job.endcallback(*args)
        except Exception as exc:
            text = Failure.current(exc).text
            self._errors.append((False, f"[thread {tid} endcallback] the ending callback of {job.name} raised:\n"
                                        f"{text}", exc))
        finally:
            self._in_callback -= 1

    def _timed_out(self, what, timeout, note='', final=False):
        """The JobTimeout naming every unfinished job; ``final``: the pool stops, so recorded errors go in too."""
        stuck = [(jobid, f"{self._pending[jobid].name} {'running' if k == 0 else 'queued'} on thread {tid}")
                 for tid in range(self.N) for k, jobid in enumerate(self._held[tid])]
        lines = [line for _, line in stuck]
        message = (f"Threads.{what}: {len(stuck)} jobs did not finish within {timeout:g} s"
                   + (f" ({note})" if note else '') + ':\n' + '\n'.join(lines))
        if final and self._errors:
            errors, self._errors = self._errors, []
            message += '\nand before that:\n' + '\n'.join(m for _, m, _ in errors)
            lines += [m for _, m, _ in errors]
        return JobTimeout(message, [self._pending[jobid].name for jobid, _ in stuck], lines)

    def _stop(self):
        """Stop the workers now; those still holding jobs are killed (processes) or abandoned (threads)."""
        self._running = False
        if self._finalizer.detach() is not None:
            self._workers.stop(stuck=[tid for tid in range(self.N) if self._held[tid]])

    def _bury(self, tid, how):
        """Worker ``tid`` died: its current job failed; jobs queued behind it go to other workers."""
        held, self._held[tid] = list(self._held[tid]), collections.deque()
        for k, jobid in enumerate(held):
            job = self._pending[jobid]
            live = [t for t in range(self.N) if self._workers.alive(t)]
            if k == 0 or job.specific or not live:
                del self._pending[jobid]
                when = 'while running it' if k == 0 else 'before running it'
                self._errors.append((True, f"[thread {tid}] {job.name}: the worker process {how} {when}", None))
            else:
                target = min(live, key=lambda t: len(self._held[t]))
                self._held[target].append(jobid)
                self._workers.send(target, jobid, job.packed)

    def _raise_errors(self):
        errors, self._errors = self._errors, []
        cls = WorkerDied if any(died for died, _, _ in errors) else JobError
        message = (f"{len(errors)} jobs failed:\n" if len(errors) > 1 else '') + '\n'.join(m for _, m, _ in errors)
        cause = next((exc for _, _, exc in errors if exc is not None), None)
        raise cls(message, [m for _, m, _ in errors]) from cause
