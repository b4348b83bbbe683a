"""twitter-archive/torch-distlearn on legonn (tests/porting/distlearn/): its test/ files as they are (10 rounds of
2, 4 or 8 nodes each, threads of this process joined by localhost sockets), its MNIST examples as mnist.sh runs
them (separate processes finding each other through ``ipc.LocalhostTree``), on 2 nodes, one epoch over 120 of the
shipped digits (the Lua: 100 epochs of 60,000), and the AllReduceSGD(tree) maths on hand-computed values.
examples/cifar10.lua runs the same way for one step of two synthetic PNG images per node (its four 5x5
convolutions of up to 512 channels are slow on a CPU)."""
import os
import random
import subprocess
import sys

import numpy as np
import pytest

import legonn as lg
from legonn import ipc, optim
from legonn.distributed import AllReduceEA, AllReduceSGD
from legonn.distributed.tree_allreduce import TreeAllReduceEA, TreeAllReduceSGD
from tests.porting.distlearn import AllReduceEA_testlua, AllReduceSGD_testlua, cifar10, mnist, mnist_ea

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def _short_ipc_timeout(monkeypatch):
    """A broken exchange fails within 20 s instead of torch-ipc's 5 minutes."""
    monkeypatch.setattr(ipc, 'DEFAULT_TIMEOUT', 20.0)


def test_test_allreducesgd_lua(double_default):
    """test/test_AllReduceSGD.lua: every node ends each epoch with the same parameters, bit for bit, however
    unevenly the nodes' step counts were drawn."""
    random.seed(3)
    lg.manualSeed(3)
    AllReduceSGD_testlua.testAllReduceSGD()


def test_test_allreduceea_lua(double_default):
    """test/test_AllReduceEA.lua: the nodes' parameters end within 1e-6 of each other."""
    random.seed(4)
    lg.manualSeed(4)
    AllReduceEA_testlua.testAllReduceEA()


def _nodes(numNodes, fn):
    """Run ``fn(tree)`` on nodes 0..numNodes-1 (threads, the root here); returns their results in node order."""
    server, port = ipc.server('127.0.0.1')

    def worker(mapid):
        tree = ipc.Tree(mapid + 1, numNodes, 2, None, ipc.client('127.0.0.1', port), '127.0.0.1')
        try:
            return fn(tree)
        finally:
            tree.close()
    workers = ipc.map(numNodes - 1, worker)
    try:
        root = fn(ipc.Tree(0, numNodes, 2, server, None, '127.0.0.1', port))
        return [root, *workers.join()]
    finally:
        server.close()


def test_sgd_averages_over_the_nodes_that_stepped_and_syncs_to_the_longest_runner():
    """Node k takes k + 1 steps of gradient (k + 1): a step averages the gradients of the nodes still stepping
    (those out of steps join with zeros and are not counted); synchronizeParameters then gives every node the
    parameters of the node that took the most steps."""
    def train(tree):
        sgd = AllReduceSGD(tree)
        assert isinstance(sgd, TreeAllReduceSGD)
        params = {'w': lg.DoubleTensor(3).fill(tree.nodeIndex * 100)}
        sgd.synchronizeParameters(params)      # the root's (zeros) everywhere
        seen = []
        for step in range(tree.nodeIndex + 1):
            grads = [lg.DoubleTensor(3).fill(tree.nodeIndex + 1)]
            sgd.sumAndNormalizeGradients(grads)
            seen.append(grads[0][0])
            params['w'].add(-1, grads[0])
        sgd.synchronizeParameters(params)
        return [seen, params['w'].clone()]   # a list: a returned tuple is several results (Lua's)
    results = _nodes(3, train)
    # step 1: all three (1 + 2 + 3) / 3; step 2: nodes 1 and 2, (2 + 3) / 2; step 3: node 2 alone
    expected = [2.0, 2.5, 3.0]
    for k, (seen, w) in enumerate(results):
        assert seen == expected[:k + 1]
        assert w.tolist() == [-sum(expected)] * 3


def test_ea_moves_nodes_and_center_towards_each_other():
    """tau 1, alpha 0.5, two nodes starting from 0 whose parameters then jump to +2 and -2: the pulls are
    +1 and -1, each node lands at +1 and -1, the center moves by their sum, 0."""
    def train(tree):
        ea = AllReduceEA(tree, 1, 0.5)
        assert isinstance(ea, TreeAllReduceEA)
        params = [lg.DoubleTensor(2).zero()]
        ea.synchronizeParameters(params)
        params[0].fill(2 if tree.nodeIndex == 0 else -2)
        ea.averageParameters(params)
        return [params[0].tolist(), ea.center[0].tolist()]
    assert _nodes(2, train) == [[[1.0, 1.0], [0.0, 0.0]], [[-1.0, -1.0], [0.0, 0.0]]]


def test_the_examples_confusion_matrix_allreduce():
    """mnist.lua and cifar10.lua every 100 or 1000 steps: ``tree.allReduce(confusionMatrix.mat, add)`` leaves
    every node with the sum of the nodes' counts (the tests' short runs never reach that step)."""
    def count(tree):
        confusionMatrix = optim.ConfusionMatrix(['0', '1', '2'])
        for k in range(tree.nodeIndex + 1):
            confusionMatrix.add(k % 3, 2)
        tree.allReduce(confusionMatrix.mat, lambda a, b: a.add(b))
        return confusionMatrix.mat.tolist()
    assert _nodes(3, count) == [[[0, 0, 0], [0, 0, 0], [3, 2, 1]]] * 3


@pytest.mark.gpu
def test_sgd_over_a_tree_of_cuda_gradients():
    """distlearn's cifar10.lua casts its parameters to 'cuda': the tree sends CUDA tensors through the host and
    receives them back into the nodes' CUDA tensors."""
    def train(tree):
        sgd = AllReduceSGD(tree)
        params = [lg.randn(4).cuda()]
        sgd.synchronizeParameters(params)
        grads = [lg.Tensor(4).fill(tree.nodeIndex + 1).cuda()]
        sgd.sumAndNormalizeGradients(grads)
        mean = grads[0].float().tolist()
        params[0].add(-1, grads[0])
        sgd.synchronizeParameters(params)    # its final allreduce zeroes the last gradients, as distlearn's
        return [grads[0].type(), mean, params[0].float().tolist()]
    (t0, g0, p0), (t1, g1, p1) = _nodes(2, train)
    assert t0 == t1 == 'torch.CudaTensor'
    assert g0 == g1 == [1.5] * 4
    assert p0 == p1


def test_the_mpi_constructors_are_unchanged():
    """Without a tree the classes are legonn.distributed's MPI ones (which need init() first)."""
    with pytest.raises(RuntimeError, match='call legonn.distributed.init'):
        AllReduceSGD()
    with pytest.raises(RuntimeError, match='call legonn.distributed.init'):
        AllReduceEA(3, 0.4)
    with pytest.raises(ValueError, match='tau must be a positive'):
        AllReduceEA(ipc.NullTree(), 0, 0.4)


RUN_NODE = """
import sys
import legonn as lg
from tests.porting.distlearn import dataset, {module}
dataset.DIGITS = {digits}
params, confusion = {module}.main(sys.argv[2:], epochs={epochs})
lg.save(sys.argv[1], [params, confusion.mat])
"""


class _LikeTheSh:
    """examples/<module>.sh: ``th <module>.lua --numNodes n --nodeIndex i &`` for each node, then ``wait``.
    Started at once (the examples' processes run side by side, each example in its own temporary folder, where
    LocalhostTree's file goes); ``wait()`` returns each node's parameters, confusion matrix and standard
    output."""

    def __init__(self, module, tmp_path, numNodes, digits, epochs, *options):
        env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=ROOT)
        code = RUN_NODE.format(module=module, digits=digits, epochs=epochs)
        self.files = [str(tmp_path / f'node{i}.t7') for i in range(numNodes)]
        self.procs = [subprocess.Popen([sys.executable, '-c', code, self.files[i], '--numNodes', str(numNodes),
                                        '--nodeIndex', str(i), *options], cwd=ROOT, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                      for i in range(numNodes)]

    def wait(self):
        outputs = []
        try:
            for p in self.procs:
                out, err = p.communicate(timeout=150)
                assert p.returncode == 0, err
                outputs.append(out)
        finally:
            self.kill()
        saved = [lg.load(f) for f in self.files]
        return [params for params, _ in saved], [mat for _, mat in saved], outputs

    def kill(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.communicate()


@pytest.fixture(scope='module')
def examples(tmp_path_factory):
    """mnist.lua and mnist-ea.lua on 2 nodes, one epoch over 120 digits; cifar10.lua on 2 nodes, ``--batchSize 4``,
    one step: all six processes started together."""
    runs = {'mnist': _LikeTheSh('mnist', tmp_path_factory.mktemp('mnist'), 2, 120, 1),
            'mnist_ea': _LikeTheSh('mnist_ea', tmp_path_factory.mktemp('mnist_ea'), 2, 120, 1),
            'cifar10': _LikeTheSh('cifar10', tmp_path_factory.mktemp('cifar10'), 2, 4, 1, '--batchSize', '4')}
    yield runs
    for run in runs.values():
        run.kill()


def _held_out_loss(module, params):
    """The mean logMultinomialLoss of ``params``' network on 100 digits no node trained on."""
    from legonn.autograd import loss as lossFuns
    from legonn.autograd import util
    from tests.porting.distlearn import dataset
    digits = dataset.DIGITS
    dataset.DIGITS = 5000
    try:
        data = dataset.Dataset('mnist', {'partition': 0, 'partitions': 1})
    finally:
        dataset.DIGITS = digits
    getBatch, _ = data.sampledBatcher({'batchSize': 4800, 'inputDims': [1024],
                                       'processor': lambda res, o, input: input.copy(res.view(1, 1024))})
    lg.manualSeed(0)
    batch = getBatch()
    x, y = batch['input'][4700:], util.oneHot(batch['target'][4700:], 10)
    model = lg.nn.Sequential().add(lg.nn.Reshape(1, 32, 32)).add(lg.nn.SpatialConvolutionMM(1, 16, 5, 5)).add(
        lg.nn.Tanh()).add(lg.nn.SpatialMaxPooling(2, 2, 2, 2)).add(lg.nn.SpatialConvolutionMM(16, 16, 5, 5)).add(
        lg.nn.Tanh()).add(lg.nn.SpatialMaxPooling(2, 2, 2, 2)).add(lg.nn.Reshape(16 * 5 * 5)).add(
        lg.nn.Linear(16 * 5 * 5, 10)).add(lg.nn.LogSoftMax())
    for layer, name in ((1, 'conv1'), (4, 'conv2'), (8, 'linear')):
        model.get(layer).weight.copy(params[name][0])
        model.get(layer).bias.copy(params[name][1])
    losses = [lossFuns.logMultinomialLoss(model.forward(x[i].view(1, 1024)).clone(), y[i:i + 1])
              for i in range(100)]
    return float(np.mean([float(loss) for loss in losses]))


def test_mnist_lua_on_two_processes(examples):
    """examples/mnist.lua: both nodes end the epoch with the same parameters (synchronizeParameters), which
    predict held-out digits better than the seeded start; only node 0 prints (``print = function() end``)."""
    start = mnist.main(['--numNodes', '1'], epochs=0)[0]    # the seeded start, synchronized
    params, _, outputs = examples['mnist'].wait()
    for name in ('conv1', 'conv2', 'linear'):
        for i in range(2):
            assert lg.equal(params[0][name][i], params[1][name][i])
            assert not lg.equal(params[0][name][i], start[name][i])
    assert outputs[0].splitlines() == ['Training Epoch #1'] and outputs[1] == ''
    # 60 steps of one digit per node at lr 0.01 (seeded throughout): 0.974 of the start's loss
    assert _held_out_loss('mnist', params[0]) < 0.99 * _held_out_loss('mnist', start)


def test_mnist_ea_lua_on_two_processes(examples):
    """examples/mnist-ea.lua: each node trains its own copy, pulled towards the center every 10 steps: both
    predict held-out digits better than the start, and they stay closer to each other than to it."""
    start = mnist_ea.main(['--numNodes', '1'], epochs=0)[0]
    params, _, outputs = examples['mnist_ea'].wait()
    before = _held_out_loss('mnist_ea', start)
    for node in params:
        assert _held_out_loss('mnist_ea', node) < 0.99 * before   # 0.985 and 0.983
    spread = sum(float(lg.dist(params[0][n][i], params[1][n][i])) for n in params[0] for i in range(2))
    moved = sum(float(lg.dist(params[0][n][i], start[n][i])) for n in params[0] for i in range(2))
    assert spread < moved
    assert outputs[0].splitlines() == outputs[1].splitlines() == ['Training Epoch #1']


def test_cifar10_lua_on_two_processes(examples):
    """examples/cifar10.lua, ``--batchSize 4`` over 2 nodes (2 images each per step), one step: both nodes end
    with the same parameters, moved from the seeded start, each counted its 2 images, only node 0 prints."""
    start = cifar10.main(['--numNodes', '1'], epochs=0)[0]
    params, confusions, outputs = examples['cifar10'].wait()
    assert len(params[0]) == 9
    for layer in range(9):
        for i in range(2):
            assert lg.equal(params[0][layer][i], params[1][layer][i])
            assert not lg.equal(params[0][layer][i], start[layer][i])
    assert [int(m.sum()) for m in confusions] == [2, 2]
    assert outputs[0].startswith('Batch size: per node = 2, total = 4\nTraining Epoch #1\n') and outputs[1] == ''
