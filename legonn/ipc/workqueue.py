"""torch-ipc's ``ipc.workqueue([name])``: one queue of *questions* from the thread that created it (its owner)
to the workers of ``ipc.map``, and one of *answers* back (torch-ipc's src/workqueue.c).

    q = ipc.workqueue('jobs')                       # the owner
    def worker(mapid):
        q = ipc.workqueue('jobs')                   # the same queue, opened by name in a worker
        while (x := q.read()) is not None:
            q.write(x * 2)
        q.close()
    workers = ipc.map(2, worker)
    q.write(1, 2); q.write(None, None)              # questions; None (Lua's nil) stops a worker here
    sorted([q.read(), q.read()])                    # [2, 4]

Who calls decides the direction, as workqueue.c compares ``pthread_self()`` with the owner thread: the owner
writes questions and reads answers, any other thread reads questions and writes answers. Values pass by
reference (threads of one interpreter): a tensor is shared as torch-ipc's are, and a dict or list is the same
object, where torch-ipc copies Lua tables. ``read`` and ``drain`` wait as long as it takes, as torch-ipc's
do (not ``ipc.DEFAULT_TIMEOUT``, as the sockets' waits): a pool's workers wait in ``read`` for as long as
their owner does other work."""
import collections
import threading

from legonn.tensor.naming import TorchNamed

_registry = {}                       # name -> its _Queue while a handle is open (workqueue.c's list)
_registry_lock = threading.Lock()


class _Side:
    """One direction of the queue: its items, the count written so far, a condition signalled on writes."""

    def __init__(self, lock):
        self.items = collections.deque()   # read from the left: a long queue of a Reader pops in O(1)
        self.written = 0
        self.cond = threading.Condition(lock)


class _Queue:
    """The state every handle of one queue shares (workqueue.c's workqueue_t)."""

    def __init__(self, name):
        self.name = name
        self.owner = threading.get_ident()
        self.lock = threading.Lock()
        self.questions = _Side(self.lock)
        self.answers = _Side(self.lock)
        self.refcount = 1


class WorkQueue(TorchNamed):
    """One handle of a queue (see the module's docstring). ``creator`` is torch-ipc's second result of
    ``ipc.workqueue``: True for the call that made the queue."""

    def __init__(self, queue, creator):
        self._q = queue
        self.creator = creator

    def _open(self, verb):
        if self._q is None:
            raise RuntimeError(f"legonn.ipc.workqueue.{verb}: the workqueue is closed")
        return self._q

    def _sides(self, verb):
        """(the side this thread reads, the side it writes)."""
        q = self._open(verb)
        if threading.get_ident() == q.owner:
            return q.answers, q.questions
        return q.questions, q.answers

    def write(self, *values):
        """Queue each value (a question from the owner, an answer from a worker); ``None`` is queued too."""
        _, side = self._sides('write')
        with side.cond:
            side.items.extend(values)
            side.written += len(values)
            side.cond.notify_all()

    def read(self, doNotBlock=False):
        """The next value for this thread (an answer for the owner, a question for a worker), waiting for one;
        with ``doNotBlock`` None at once when there is none (as torch-ipc's nil)."""
        side, _ = self._sides('read')
        with side.cond:
            while not side.items:
                if doNotBlock:
                    return None
                side.cond.wait()
            return side.items.popleft()

    def drain(self):
        """Owner only: wait until every question queued now has been answered (the answers stay queued)."""
        q = self._open('drain')
        if threading.get_ident() != q.owner:
            raise RuntimeError(f"legonn.ipc.workqueue({q.name!r}).drain: only available on the owner thread "
                               f"(the one that created the queue)")
        with q.lock:
            mark = q.answers.written + len(q.questions.items)
            while q.answers.written < mark:
                q.answers.cond.wait()

    def close(self):
        """Close this handle; the last handle closed forgets the name (a later open makes a new queue)."""
        q = self._open('close')
        self._q = None
        with _registry_lock:
            q.refcount -= 1
            if q.refcount == 0 and _registry.get(q.name) is q:
                del _registry[q.name]


def workqueue(name=None, size=None, size_increment=None):
    """Open the queue called ``name`` or create it (the calling thread then owns it); ``None`` makes an unnamed
    queue. ``size`` and ``size_increment`` (torch-ipc's ring buffer's bytes) are accepted and unused: the
    queue grows as needed."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"legonn.ipc.workqueue: expected a name (str) or None, got {type(name).__name__}")
    with _registry_lock:
        q = _registry.get(name) if name is not None else None
        if q is not None:
            q.refcount += 1
            return WorkQueue(q, False)
        q = _Queue(name)
        if name is not None:
            _registry[name] = q
        return WorkQueue(q, True)
