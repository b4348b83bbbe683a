"""torch-distlearn's test/test_AllReduceEA.lua, line by line (``require 'regress'``'s ``test {...}`` table is
the function; ``rounds`` is its ``for z = 1,10``, which tests/porting/test_distlearn.py may shorten).

Edits beyond Lua syntax and 0-based indices: the final ``for i = 1,numNodes-1`` loops over ``range(int(numNodes - 1))``
(``math.pow`` gives a float: docs/porting.md's row on a ``for`` bound that is a float; legonn's ``ipc.map`` and
``ipc.Tree`` take it as Lua does); ``theTest``'s ``port`` defaults to None, since the workers call it with five
arguments of six (docs/porting.md's row on fewer arguments). Node 1 (the root) is node 0, so the root's
``theTest(numEpochs, 1, ...)`` passes 0 and the workers' ``mapid + 1`` (mapid from 0) counts from 1.
"""
import math
import random

import legonn as torch
from legonn import ipc
from legonn.distributed import AllReduceEA


def testAllReduceEA(rounds=10):
    def theTest(numEpochs, nodeIndex, numNodes, server, client, port=None):
        tree = ipc.Tree(nodeIndex, numNodes, 2, server, client, '127.0.0.1', port)
        allReduceEA = AllReduceEA(tree, 3, 0.4)
        params = [torch.randn(7)]
        allReduceEA.synchronizeParameters(params)
        slowit = 1
        for epoch in range(1, 5 + 1):
            steps = random.randint(45, 53)
            for step in range(1, steps + 1):
                params[0].add(torch.randn(7).div(slowit))  # wander, no idea
                allReduceEA.averageParameters(params)
                slowit = slowit * 2
            allReduceEA.synchronizeCenter(params)
        return params
    for z in range(1, rounds + 1):
        numNodes = math.pow(2, random.randint(1, 3))
        numEpochs = random.randint(13, 27)
        server, port = ipc.server('127.0.0.1')

        def worker(numEpochs, numNodes, port, theTest, mapid):
            from legonn import ipc
            client = ipc.client('127.0.0.1', port)
            ret = theTest(numEpochs, mapid + 1, numNodes, None, client)
            client.close()
            return ret
        workers = ipc.map(numNodes - 1, worker, numEpochs, numNodes, port, theTest)
        r1 = theTest(numEpochs, 0, numNodes, server, None, port)
        ret = [*workers.join()]
        server.close()
        for i in range(int(numNodes - 1)):  # a float bound: the `for` bound row of docs/porting.md
            delta = torch.abs(r1[0] - ret[i][0]).max()
            assert delta < 1e-6, 'all nodes should be really close together ' + str(delta)
