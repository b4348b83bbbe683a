"""torch-distlearn's test/test_AllReduceSGD.lua, line by line (``require 'regress'``'s ``test {...}`` table is
the function; ``rounds`` is its ``for _ = 1,10``, which tests/porting/test_distlearn.py may shorten).

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
from legonn.distributed import AllReduceSGD


def testAllReduceSGD(rounds=10):
    def theTest(numEpochs, nodeIndex, numNodes, server, client, port=None):
        tree = ipc.Tree(nodeIndex, numNodes, 2, server, client, '127.0.0.1', port)
        allReduceSGD = AllReduceSGD(tree)
        grads = [torch.Tensor(7).fill(0)]
        params = [torch.randn(7)]
        allReduceSGD.synchronizeParameters(params)
        for epoch in range(1, 5 + 1):
            steps = random.randint(4, 13)
            for step in range(1, steps + 1):
                grads[0].fill(1 / steps)
                allReduceSGD.sumAndNormalizeGradients(grads)
                params[0].add(grads[0])
            allReduceSGD.synchronizeParameters(params)
        return params
    for _ in range(1, rounds + 1):
        numNodes = math.pow(2, random.randint(1, 3))
        numEpochs = random.randint(1, 27)
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
            assert torch.all(torch.eq(r1[0], ret[i][0])), 'all nodes should have identical params'
