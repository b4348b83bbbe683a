"""torch-ipc's ``ipc.BackgroundTaskPool(poolSize, [opt])``: functions run by ``poolSize`` workers of
``ipc.map`` fed through an ``ipc.workqueue``; the caller asks for their results later.

    pool = ipc.BackgroundTaskPool(2)
    id = pool.addTask(lambda a, b: a + b, 1, 2)     # task ids are 0-based (torch-ipc's count from 1)
    pool.hasTask()                                  # True while a result has not come back
    pool.getResult(id)                              # 3 (no id: the latest task's result)

A task returning a tuple gives its items as ``getResult``'s results (Lua's multiple results); one that raised
raises again from ``getResult``. ``opt['closeOnLastTask']`` ends the workers once the last task's result is
taken, as torch-ipc's option does.

``ipc.BackgroundTask(func, *args)`` (torch-ipc's lua/BackgroundTask.lua) is one task on a pool of one that
closes after it: ``task.isDone()`` polls, ``task.getResult()`` waits and returns (or raises) what it did."""
from legonn.ipc.map import map as ipc_map
from legonn.ipc.workqueue import workqueue
from legonn.tensor.naming import TorchNamed


def _serve(q, mapid):
    """A worker: run each task read until a None comes."""
    while (task := q.read()) is not None:
        try:
            q.write({'id': task['id'], 'success': task['func'](*task['args'])})
        except Exception as exc:    # noqa: BLE001  (handed back to getResult, as torch-ipc's pcall)
            q.write({'id': task['id'], 'failure': exc})


class BackgroundTaskPool(TorchNamed):
    """See the module's docstring. Create it in the thread that will add the tasks (it owns the queue)."""

    def __init__(self, poolSize, opt=None):
        opt = opt or {}
        self._closeOnLastTask = bool(opt.get('closeOnLastTask'))
        self._poolSize = poolSize
        self._numTasks = 0
        self._numResults = 0
        self._done = {}                    # task id -> ('success', value) or ('failure', exception)
        self._q = workqueue()
        self._workers = ipc_map(poolSize, _serve, self._q)

    def _collect(self, id=None, block=False):
        """Take the results that have come back, waiting (with ``block``) until task ``id``'s, or all, are in."""
        while self._numResults < self._numTasks and id not in self._done:
            result = self._q.read(not block)
            if result is None:
                break
            self._done[result['id']] = ('failure', result['failure']) if 'failure' in result \
                else ('success', result['success'])
            self._numResults += 1

    def isDone(self, id=None, shouldBlock=False):
        """Whether task ``id`` (without one: every task) has finished; ``shouldBlock`` waits for it."""
        self._collect(id, shouldBlock is True)
        return self._numResults == self._numTasks or id in self._done

    def addTask(self, func, *args):
        """Queue ``func(*args)``; returns the task's id (0, 1, ...)."""
        if not callable(func):
            raise TypeError(f"legonn.ipc.BackgroundTaskPool.addTask: expected a function, got {type(func).__name__}")
        self._collect()    # keep the queue moving
        id = self._numTasks
        self._numTasks += 1
        self._q.write({'id': id, 'func': func, 'args': args})
        return id

    def hasTask(self):
        """Whether a task's result has not come back yet."""
        return self._numResults < self._numTasks

    def getResult(self, id=None):
        """Task ``id``'s result (without one: the latest result's task), waiting for it; raises what it raised.
        A result is handed out once (then None)."""
        self._collect(id, True)
        if self._closeOnLastTask and self._numResults == self._numTasks and self._workers is not None:
            for _ in range(self._poolSize):
                self._q.write(None)
            self._workers.join()
            self._workers = None
        id = self._numResults - 1 if id is None else id
        if id not in self._done:
            return None
        kind, value = self._done.pop(id)
        if kind == 'failure':
            raise value
        return value


class BackgroundTask(TorchNamed):
    """``func(*args)`` run on a worker of its own (see the module's docstring)."""

    def __init__(self, func, *args):
        self._pool = BackgroundTaskPool(1, {'closeOnLastTask': True})
        self._pool.addTask(func, *args)

    def isDone(self, id=None, shouldBlock=False):
        """Whether the task has finished (``shouldBlock``: wait for it); the pool's ``isDone``, as the Lua's."""
        return self._pool.isDone(id, shouldBlock)

    def getResult(self):
        """The task's result (its tuple's items for several), waiting for it; raises what it raised."""
        return self._pool.getResult(0)
