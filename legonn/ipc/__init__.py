"""torch-ipc's parts that torch-distlearn stands on: ``map`` (a function in n threads), ``server``/``client``
(values and tensors over TCP sockets) and the trees of nodes with ``allReduce`` and ``scatter`` over them.

    from legonn import ipc
    server, port = ipc.server('127.0.0.1')
    workers = ipc.map(3, lambda port, mapid: ipc.Tree(mapid + 1, 4, 2, None, ipc.client('127.0.0.1', port),
                                                      '127.0.0.1').allReduce(mapid + 1, lambda a, b: a + b)[0],
                      port)
    tree = ipc.Tree(0, 4, 2, server, None, '127.0.0.1', port)
    tree.allReduce(0, lambda a, b: a + b)     # (6, 4) on every node

Node indices and ``mapid`` are 0-based. Every wait gives up after ``DEFAULT_TIMEOUT`` seconds (torch-ipc's
5 minutes) with a TimeoutError. ``workqueue`` is a named queue of questions from its owner thread to the
workers and of answers back (what twitter's torch-dataset Reader stands on), whose waits, as torch-ipc's,
have no limit, and ``BackgroundTaskPool`` (``BackgroundTask`` for one) runs functions on a pool of workers
over one. The rest of torch-ipc's API: ``channel`` (a queue any thread reads and writes, which closes and
drains), ``mutex`` (a lock and barriers), ``sharedtable`` (a table threads share by copies), ``marshal`` (a
value stored once, read as copies), ``flock`` (a file lock between processes), ``spawn`` (a child process with
pipes), ``map_extended``, and ``getpid``, ``getppid``, ``gettid``, ``fork``, ``waitpid``, ``isOSX``,
``isDevel``; ``SlurmTree`` (the tree of a Slurm job's tasks). See docs/distributed.md and docs/porting.md.
"""
DEFAULT_TIMEOUT = 300.0

from legonn.ipc.cliser import client, server  # noqa: E402  (they read DEFAULT_TIMEOUT when called)
from legonn.ipc.map import Map, MapError, map, map_extended  # noqa: E402
from legonn.ipc.workqueue import WorkQueue, workqueue  # noqa: E402
from legonn.ipc.background import BackgroundTask, BackgroundTaskPool  # noqa: E402
from legonn.ipc.channel import Channel, channel  # noqa: E402
from legonn.ipc.flock import Flock, flock  # noqa: E402
from legonn.ipc.marshal import Marshal, marshal  # noqa: E402
from legonn.ipc.mutex import Mutex, mutex  # noqa: E402
from legonn.ipc.process import fork, getpid, getppid, gettid, isDevel, isOSX, waitpid  # noqa: E402
from legonn.ipc.sharedtable import SharedTable, sharedtable, sharedtable_size  # noqa: E402
from legonn.ipc.spawn import Spawn, spawn  # noqa: E402
from legonn.ipc.tree import (DiscoveredTree, LocalhostTree, NullTree, SlurmTree, StaticTree, Tree,  # noqa: E402
                             walkTable)

__all__ = ['BackgroundTask', 'BackgroundTaskPool', 'Channel', 'DEFAULT_TIMEOUT', 'DiscoveredTree', 'Flock',
           'LocalhostTree', 'Map', 'MapError', 'Marshal', 'Mutex', 'NullTree', 'SharedTable', 'SlurmTree', 'Spawn',
           'StaticTree', 'Tree', 'WorkQueue', 'channel', 'client', 'flock', 'fork', 'getpid', 'getppid', 'gettid',
           'isDevel', 'isOSX', 'map', 'map_extended', 'marshal', 'mutex', 'server', 'sharedtable', 'sharedtable_size',
           'spawn', 'waitpid', 'walkTable', 'workqueue']
