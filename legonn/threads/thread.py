"""``threads.Thread(code)``: torch/threads' low-level thread, which runs a piece of code and nothing else.

Torch7 starts a thread with a fresh Lua state and runs the Lua source ``code`` in it; here ``code`` is
Python source, run in a thread of this process with a namespace of its own (its globals, as the fresh
state's), so it shares nothing with the caller but what it imports or re-creates from an id
(``threads.Condition(cid)``, ``threads.Mutex(mid)``). ``free()`` waits for it to end, as Torch7's does.
"""
import threading

from .failure import Failure, JobError


class Thread:
    """Run the Python source ``code`` in a new thread now; ``free()`` joins it and raises ``JobError``
    (with the thread's traceback) if the code raised."""

    def __init__(self, code):
        if not isinstance(code, str):
            raise TypeError(f"threads.Thread: expected the code to run as a string, got {type(code).__name__}")
        self._failure = None
        self._thread = threading.Thread(target=self._run, args=(compile(code, '<threads.Thread>', 'exec'),),
                                        daemon=True, name='legonn-threads-Thread')
        self._thread.start()

    def _run(self, compiled):
        try:
            exec(compiled, {'__name__': '__threads_Thread__'})
        except BaseException as exc:    # noqa: B036  (reported by free(), in the thread that owns it)
            self._failure = Failure.current(exc)

    def free(self):
        """Wait for the thread to finish (Torch7's ``thread:free()``); raise what its code raised."""
        self._thread.join()
        failure, self._failure = self._failure, None
        if failure is not None:
            raise JobError(f"threads.Thread: the thread's code raised:\n{failure.text}",
                           [failure.text]) from failure.exc

    def __repr__(self):
        return f"threads.Thread({'running' if self._thread.is_alive() else 'finished'})"
