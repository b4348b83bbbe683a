"""Errors of jobs, callbacks and workers, as the main thread reports them."""
import traceback


class JobError(RuntimeError):
    """A job or its ending callback raised; the message names the job and holds the worker's traceback.

    ``errors`` lists every failure reported at once (``synchronize`` collects
    them all); the first one's original exception is the ``__cause__`` when
    it could be carried to the main thread.
    """

    def __init__(self, message, errors=()):
        super().__init__(message)
        self.errors = list(errors)


class WorkerDied(JobError):
    """A worker process ended (killed by a signal, os._exit, ...) while it held a job."""


class JobTimeout(JobError):
    """Jobs did not finish within a ``timeout``; ``jobs`` names them (running or still queued).

    Raised by ``synchronize``, ``dojob``, ``terminate`` and a waiting
    ``addjob``; after ``synchronize``/``dojob``/``addjob`` the jobs are still
    pending and the pool is usable, after ``terminate`` the pool is stopped.
    """

    def __init__(self, message, jobs=(), errors=()):
        super().__init__(message, errors)
        self.jobs = list(jobs)


class Failure:
    """What went wrong in one job: where, the exception (when it could travel) and the traceback text."""

    def __init__(self, exc, text):
        self.exc = exc
        self.text = text

    @classmethod
    def current(cls, exc):
        return cls(exc, ''.join(traceback.format_exception(exc)))
