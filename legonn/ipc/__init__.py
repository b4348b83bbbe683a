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
have no limit, and ``BackgroundTaskPool`` runs functions on a pool of workers over one. Not here (yet):
ipc.channel, ipc.mutex, ipc.sharedtable, ipc.spawn, ipc.marshal, BackgroundTask, SlurmTree. See
docs/distributed.md.
"""
DEFAULT_TIMEOUT = 300.0

from legonn.ipc.cliser import client, server  # noqa: E402  (they read DEFAULT_TIMEOUT when called)
from legonn.ipc.map import Map, MapError, map  # noqa: E402
from legonn.ipc.workqueue import WorkQueue, workqueue  # noqa: E402
from legonn.ipc.background import BackgroundTaskPool  # noqa: E402
from legonn.ipc.tree import (DiscoveredTree, LocalhostTree, NullTree, StaticTree, Tree,  # noqa: E402
                             walkTable)

__all__ = ['BackgroundTaskPool', 'DEFAULT_TIMEOUT', 'DiscoveredTree', 'LocalhostTree', 'Map', 'MapError', 'NullTree',
           'StaticTree', 'Tree', 'WorkQueue', 'client', 'map', 'server', 'walkTable', 'workqueue']
