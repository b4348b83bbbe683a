"""torch-ipc's trees of nodes (processes or threads) joined by client/server sockets, with MPI-style
``allReduce`` and ``scatter`` on values, tensors and (nested) tables of them: ``Tree``, and the ways of
finding the root: ``StaticTree`` (its address is known), ``LocalhostTree`` (published in a file named after
the parent process), ``SlurmTree`` (the tasks of a Slurm job, published in a shared file), ``NullTree`` (one
node). Node indices are 0-based: node 0 is the root.
"""
import math
import os
import socket
import tempfile
import time

from legonn import ipc
from legonn.ipc.cliser import client as connect
from legonn.ipc.cliser import server as listen
from legonn.tensor import Tensor
from legonn.tensor.indexing import whole_number
from legonn.tensor.naming import TorchNamed

DISCOVERY_POLL_S = 0.01


def walkTable(t, f):
    """Call ``f`` on every leaf of ``t`` (a list or dict, nested), keys in sorted order (utils.lua's
    deterministic walk); a leaf is replaced by what ``f`` returns unless that is None."""
    for k in (range(len(t)) if isinstance(t, list) else sorted(t)):
        tk = t[k]
        if isinstance(tk, (list, dict)):
            walkTable(tk, f)
        else:
            tk1 = f(tk)
            if tk1 is not None:
                t[k] = tk1


def rcsvAllPairs(base, numNodes, index, depth, linkFunc):
    """Tree.lua's default shape: ``linkFunc(parent, child, depth)`` for each edge of a ``base``-ary tree over
    nodes ``index`` on, its root's children the farthest first."""
    def link(a, b, d):
        if a < numNodes and b < numNodes:
            linkFunc(a, b, d)
    if depth == 0:
        skip = base ** (depth + 1)
        for j in range(index + 1, index + skip):
            link(index, j, depth)
    else:
        skip = base ** depth
        link(index, index + skip, depth)
        for c in range(base):
            rcsvAllPairs(base, numNodes, index + c * skip, depth - 1, linkFunc)


class Tree(TorchNamed):
    """Node ``nodeIndex`` of ``numNodes``: the root (node 0) passes its ``server``, every other node a
    ``client`` connected to the root; ``host`` (and ``port``) is where a node listens for children of its own.
    The constructor connects the whole tree (every node constructs its Tree at once)."""

    def __init__(self, nodeIndex, numNodes, base, server=None, client=None, host=None, port=None,
                 buildTree=None):
        if (server is None) == (client is None):
            raise ValueError("legonn.ipc.Tree: expected the root's server or another node's client (one of them), "
                             f"got {'both' if server is not None else 'neither'}")
        # Lua's numbers are doubles (distlearn's tests make numNodes with math.pow)
        nodeIndex, numNodes, base = (whole_number(v, f'legonn.ipc.Tree: {name}') for v, name in
                                     ((nodeIndex, 'nodeIndex'), (numNodes, 'numNodes'), (base, 'base')))
        if not (0 <= nodeIndex < numNodes and base >= 2):
            raise ValueError(f"legonn.ipc.Tree: expected 0 <= nodeIndex < numNodes and base >= 2, got nodeIndex "
                             f"{nodeIndex}, numNodes {numNodes}, base {base}")
        self.nodeIndex, self.numNodes, self.base = nodeIndex, numNodes, base
        self.server, self.client, self.host, self.port = server, client, host, port
        self.buildTree = buildTree or rcsvAllPairs
        self.maxDepth = math.ceil(math.log(numNodes) / math.log(base))
        if server is not None:
            self._initialServer()
        else:
            self._initialClient()
        self._tempValue = None
        self._lastValue = None

    walkTable = staticmethod(walkTable)

    def _initialServer(self):
        # every node's address and nodeIndex
        addresses = {self.nodeIndex: {'nodeIndex': self.nodeIndex, 'host': self.host, 'port': self.port}}

        def register(client):
            client.send({'q': 'address?'})
            msg = client.recv()
            assert msg['q'] == 'address'
            clientNodeIndex = msg['nodeIndex'] if msg.get('nodeIndex') is not None else len(addresses)
            addresses[clientNodeIndex] = {'nodeIndex': clientNodeIndex, 'host': msg['host'], 'port': msg['port']}
            client.send({'q': 'clientIndex', 'clientIndex': clientNodeIndex})
        self.server.clients(self.numNodes - 1, register)
        # the tree of connections to establish
        tree = {}

        def link(to, frm, depth):
            tree.setdefault(frm, {})['connect'] = addresses[to]
            parent = tree.setdefault(to, {})
            parent['listen'] = parent.get('listen', 0) + 1
        self.buildTree(self.base, self.numNodes, 0, self.maxDepth - 1, link)
        self.server.broadcast(tree)

        # order the nodes that stay connected to this server; the others close, having a new parent
        def order(client):
            try:
                client.send('order?')
                msg = client.recv()
            except (ConnectionError, OSError):
                client.close()
                return
            client.id(msg['order'])
        self.server.clients(order)
        self.server.clients(self._start)

    @staticmethod
    def _start(client):
        client.send('start?')
        assert client.recv() == 'start'

    def _initialClient(self):
        # a server of our own: we may end up a parent
        self.server, self.port = listen(self.host, int(self.port) if self.port is not None else None)
        msg = self.client.recv()
        assert msg['q'] == 'address?'
        self.client.send({'q': 'address', 'nodeIndex': self.nodeIndex, 'host': self.host, 'port': self.port})
        msg = self.client.recv()
        assert msg['q'] == 'clientIndex'
        self.nodeIndex = msg['clientIndex']
        node = self.client.recv()[self.nodeIndex]
        if node.get('listen', 0) > 0:
            # a parent: connect the children and order them
            def order(client):
                client.send('order?')
                client.id(client.recv()['order'])
            self.server.clients(node['listen'], order)
        else:
            self.server.close()
            self.server = None
        if 'connect' in node:
            if node['connect']['nodeIndex'] != 0:
                # a new parent
                self.client.close()
                self.client = connect(node['connect']['host'], node['connect']['port'])
            assert self.client.recv() == 'order?'
            self.client.send({'order': self.nodeIndex})
        assert self.client.recv() == 'start?'
        if self.server is not None:
            self.server.clients(self._start)
        self.client.send('start')

    def _getTempValue(self, value):
        """Space to receive a tensor like ``value`` in (None for other values)."""
        if isinstance(value, Tensor):
            if self._tempValue is not None:
                self._tempValue = self._tempValue.typeAs(value).resizeAs(value)
            else:
                self._tempValue = value.clone()
            return self._tempValue
        return None

    def _allReduceInner(self, value, reduce, zero):
        if zero is not None:
            # a node out of steps: zero its last value (as ``zero(value, i)`` returns it) and take part
            # Lua's ``value[1] ~= nil``: a list whose first entry is set is the value, else the last one
            value = value if isinstance(value, list) and value and value[0] is not None else self._lastValue
            i = 0

            def zeroed(valuei):
                nonlocal i
                i += 1
                return zero(valuei, i - 1)
            walkTable(value, zeroed)
        else:
            self._lastValue = value
        numDone = 1 if zero is not None else 0
        # reduce up to the root, the shortest branch first
        if self.server is not None:
            def gather(client):
                nonlocal numDone
                walkTable(value, lambda valuei: reduce(valuei, client.recv(self._getTempValue(valuei))))
                numDone = numDone + client.recv()
            self.server.clients(gather)
        if self.client is not None:
            walkTable(value, self.client.send)
            self.client.send(numDone)
            # the root's value back down the tree
            walkTable(value, self.client.recv)
            numDone = self.client.recv()
        if self.server is not None:
            def spread(client):
                walkTable(value, client.send)
                client.send(numDone)
            self.server.clients(spread, 1)   # the longest branch first
        if zero is not None and numDone < self.numNodes:
            # done, but not everyone else is: again
            return self._allReduceInner(value, reduce, zero)
        return value, self.numNodes - numDone

    def allReduce(self, value, reduce, zero=None):
        """Every node's ``value`` (a number, tensor or table of them) combined by ``reduce(a, b)`` (which
        returns the result, or updates ``a`` in place and returns it), the result on every node. Returns
        ``(value, n)``: n the number of nodes that took part. A node out of steps calls
        ``allReduce(None, reduce, zero)`` until every node is: its last value, ``zero(value, i)``'d, is
        reduced in its place."""
        isTable = isinstance(value, (list, dict))
        value = value if isTable else [value]
        finalValue, n = self._allReduceInner(value, reduce, zero)
        if isTable:
            return finalValue, n
        # Lua's ``finalValue[1]``: after ``allReduce(nil, ...)`` the last value came back, which may be a keyed
        # table (distlearn's grads), whose [1] is nil
        return (finalValue[0] if isinstance(finalValue, list) and finalValue else None), n

    def scatter(self, value):
        """The root's ``value`` (a number, tensor or table of them) on every node; tensors are filled in place."""
        isTable = isinstance(value, (list, dict))
        value = value if isTable else [value]
        if self.client is not None:
            walkTable(value, self.client.recv)
        if self.server is not None:
            self.server.clients(lambda client: walkTable(value, client.send), 1)
        return value if isTable else value[0]

    def netStats(self):
        """Print the sockets' traffic."""
        if self.server is not None:
            print(self.server.netStats())
        if self.client is not None:
            print(self.client.netStats())

    def close(self):
        """Close this node's sockets (Lua leaves that to the garbage collector, which legonn's do too)."""
        for end in (self.server, self.client):
            if end is not None:
                end.close()


class NullTree(TorchNamed):
    """The tree of one node: every operation returns its value as it is."""
    nodeIndex, numNodes = 0, 1
    walkTable = staticmethod(walkTable)

    def allReduce(self, value, reduce=None, zero=None):
        return value, 1

    def scatter(self, value):
        return value

    def netStats(self):
        pass

    def close(self):
        pass


def StaticTree(nodeIndex, numNodes, nodeHost, nodePort, rootHost, rootPort):
    """A tree whose root listens at ``rootHost:rootPort``, known to every node."""
    if numNodes == 1:
        return NullTree()
    if nodeIndex == 0:
        return Tree(nodeIndex, numNodes, 2, listen(nodeHost, nodePort)[0], None, nodeHost, nodePort)
    return Tree(nodeIndex, numNodes, 2, None, connect(rootHost, rootPort), nodeHost, nodePort)


def DiscoveredTree(nodeIndex, numNodes, nodeHost, nodePort, publish, query, buildTree=None):
    """A tree whose root ``publish(host, port)``es its address and whose other nodes ``query()`` it;
    ``buildTree`` as Tree's (SlurmTree passes its own, torch-ipc's DiscoveredTree.lua always the default)."""
    if numNodes == 1:
        return NullTree()
    if nodeIndex == 0:
        server, nodePort = listen(nodeHost, nodePort)
        publish(nodeHost, nodePort)
        return Tree(nodeIndex, numNodes, 2, server, None, nodeHost, nodePort, buildTree)
    rootHost, rootPort = query()
    return Tree(nodeIndex, numNodes, 2, None, connect(rootHost, rootPort), nodeHost, nodePort, buildTree)


def _fileRendezvous(fn, who):
    """``(publish, query)`` through the file ``fn``: the root writes ``host:port`` there, the others poll it, at
    most ``legonn.ipc.DEFAULT_TIMEOUT`` s (torch-ipc's poll for ever); ``who`` names the tree in the error."""
    def publish(host, port):
        # whole or absent, never half written, for the nodes polling it
        part = f'{fn}.{os.getpid()}'
        with open(part, 'w') as f:
            f.write(f'{host}:{port}')
        os.replace(part, fn)

    def query():
        deadline = time.monotonic() + ipc.DEFAULT_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with open(fn) as f:
                    p = f.read().split(':')
                if len(p) == 2:
                    return p[0], int(p[1])
            except FileNotFoundError:
                pass
            time.sleep(DISCOVERY_POLL_S)
        raise TimeoutError(f"legonn.ipc.{who}: no root published {fn} within {ipc.DEFAULT_TIMEOUT} s")
    return publish, query


def LocalhostTree(nodeIndex, numNodes, ppid=None):
    """A tree of processes on this machine started by one parent (distlearn's mnist.sh runs
    ``th mnist.lua --nodeIndex i`` four times): the root writes its port to ``<tmp>/<ppid>.localhost``
    (``tempfile.gettempdir()``, /tmp as in torch-ipc), the others wait for that file, at most
    ``legonn.ipc.DEFAULT_TIMEOUT`` s."""
    fn = os.path.join(tempfile.gettempdir(), f'{ppid if ppid is not None else os.getppid()}.localhost')
    publish, query = _fileRendezvous(fn, 'LocalhostTree')
    return DiscoveredTree(nodeIndex, numNodes, '127.0.0.1', None, publish, query)


def _slurmVar(name, number=True):
    """The Slurm environment variable ``name`` (an integer where ``number``), a clear error where srun did not
    set it."""
    value = (os.environ.get(name) or '').strip()
    if value and not number:
        return value
    if value.lstrip('-').isdigit():
        return int(value)
    raise ValueError(f"legonn.ipc.SlurmTree: expected the environment variable {name} (set by srun) to be "
                     f"{'an integer' if number else 'set'}, got {os.environ.get(name)!r}")


def slurmBuildTree(tasksPerHost):
    """SlurmTree.lua's ``buildTree``: Tree.lua's shape over the tasks of each host (a host's ``tasksPerHost``
    tasks are consecutive, as srun's block distribution places them), then over the hosts' first tasks, so that
    one connection per host crosses the network."""
    def buildTree(base, numNodes, index, depth, linkFunc):
        numHosts = math.ceil(numNodes / tasksPerHost)

        def local(to, frm, d):
            for hostIdx in range(numHosts):
                startIdx = hostIdx * tasksPerHost
                # the Lua links the last host's missing tasks too when numNodes is not a multiple of tasksPerHost,
                # and that host's first task then waits for ever for a child that is never started
                if startIdx + frm < numNodes:
                    linkFunc(startIdx + to, startIdx + frm, d)
        rcsvAllPairs(base, tasksPerHost, index, depth, local)
        rcsvAllPairs(base, numHosts, index, depth,
                     lambda to, frm, d: linkFunc(to * tasksPerHost, frm * tasksPerHost, d))
    return buildTree


def SlurmTree(fn=None, tasksPerGpu=1):
    """The tree of the tasks of a Slurm job (``srun python script.py`` on every node of an ``sbatch``): this
    task's node index is ``SLURM_PROCID``, the tree has ``SLURM_NTASKS`` nodes over ``SLURM_JOB_NUM_NODES``
    hosts (``slurmBuildTree``); the root, listening on this host's name, writes its address to
    ``<fn>/slurm.<SLURM_JOBID>.server`` (``fn``, by default ``~/.torch``, must be shared by the hosts), the
    others wait for that file, at most ``legonn.ipc.DEFAULT_TIMEOUT`` s. The tree's ``gpu`` is the device this
    task should use: ``(SLURM_PROCID % tasksPerHost) // tasksPerGpu``, 0-based as ``cutorch.setDevice``'s."""
    slurmProcId = _slurmVar('SLURM_PROCID')
    numNodes = _slurmVar('SLURM_NTASKS')
    slurmNNodes = _slurmVar('SLURM_JOB_NUM_NODES')
    tasksPerHost = math.ceil(numNodes / slurmNNodes)
    nodeIndex = slurmProcId
    fn = fn if fn is not None else os.path.join(os.path.expanduser('~'), '.torch')
    fpath = os.path.join(fn, f"slurm.{_slurmVar('SLURM_JOBID', False)}.server")
    publish, query = _fileRendezvous(fpath, 'SlurmTree')

    def publishDir(host, port):
        os.makedirs(fn, exist_ok=True)
        publish(host, port)
    tree = DiscoveredTree(nodeIndex, numNodes, socket.gethostname(), None, publishDir, query,
                          slurmBuildTree(tasksPerHost))
    tree.gpu = (slurmProcId % tasksPerHost) // tasksPerGpu
    return tree
