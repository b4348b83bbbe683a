"""torch-ipc's ``ipc.mutex()``: a lock threads take in turn, and barriers (src/mutex.c).

    m = ipc.mutex()
    m.lock(); ...; m.unlock()       # recursive, as mutex.c's PTHREAD_MUTEX_RECURSIVE: its owner may relock
    m.barrier(4)                    # wait until 4 threads have called barrier(4), then all go on

The threads of one process share it (ipc.map's workers, a threads.Threads pool of threads); it cannot go to
another process, as torch-ipc's (for processes: ipc.flock, threads.Mutex). ``unlock`` by a thread that does
not hold it raises a RuntimeError (pthread's EPERM). ``barrier`` waits as long as it takes, as torch-ipc's."""
import threading

from legonn.ipc.values import ProcessLocal
from legonn.tensor.naming import TorchNamed


class Mutex(ProcessLocal, TorchNamed):
    """See the module's docstring."""
    __slots__ = ('_lock', '_cond', '_waiting', '_round')

    def __init__(self):
        self._lock = threading.RLock()
        self._cond = threading.Condition(threading.Lock())
        self._waiting = 0
        self._round = 0     # counts the barriers released, so a waiter wakes only when its own one is

    def lock(self):
        """Take the lock, waiting for the thread that holds it."""
        self._lock.acquire()

    def unlock(self):
        """Release the lock (once per ``lock``)."""
        try:
            self._lock.release()
        except RuntimeError:
            raise RuntimeError("legonn.ipc.mutex.unlock: this thread does not hold the mutex") from None

    def barrier(self, count):
        """Wait until ``count`` threads (this one included) have reached this barrier."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"legonn.ipc.mutex.barrier: expected a number of threads >= 1, got {count!r}")
        with self._cond:
            self._waiting += 1
            if self._waiting >= count:
                self._waiting = 0
                self._round += 1
                self._cond.notify_all()
                return
            mine = self._round
            while self._round == mine:
                self._cond.wait()


mutex = Mutex
