"""legonn.threads: Torch7's ``threads`` package.

``Threads`` is a pool of workers (threads, or processes with
``backend='process'``) fed with jobs whose results come back to ending
callbacks in the main thread; ``Mutex``/``Condition`` synchronise workers;
``share_memory`` puts tensors (or a model's parameters) in shared memory so
that process workers use them without copies; ``local`` is each worker's
own namespace (Lua's per-thread globals); ``safe(f)`` runs ``f`` under a mutex;
``Thread(code)`` is the low-level thread running one piece of code; ``Queue(N)`` is the bounded
thread-safe job queue. Thread ids are 0-based.
See docs/threads.md.
"""
from ..tensor.openblas import blas_threads, set_blas_threads
from .current import free_threaded, local, threadid
from .failure import JobError, JobTimeout, WorkerDied
from .pool import Threads
from .queue import Queue
from .shared import is_shared, share_memory
from .sync import Condition, Mutex, safe
from .thread import Thread

__all__ = ['Threads', 'Queue', 'Thread', 'Mutex', 'Condition', 'safe', 'JobError', 'JobTimeout', 'WorkerDied', 'threadid',
           'local', 'free_threaded', 'share_memory', 'is_shared', 'set_blas_threads', 'blas_threads']
