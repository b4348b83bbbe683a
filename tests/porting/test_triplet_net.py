"""eladhoffer/TripletNet (tests/porting/triplet_net.py holds the port): the repo's DistanceRatioCriterion checked by
hand and by finite differences, the triplet lists drawn as Data.lua draws them, TripletNet and TripletNetBatch
against the embedding net itself, and Main.lua's Train/Test for two epochs. Stand-in data: the MNIST slice of
examples/data/mnist_5k.npz, 28x28 digits padded to 32x32 and repeated over 3 planes (Models/*.lua take 3x32x32
CIFAR/SVHN images; their layers leave nothing of a 28x28 one), 300 train and 100 test digits drawn at random (the
file is sorted by label, and GenerateList's ``repeat until c[j] ~= c[1]`` never ends on a one-class set, in Lua as
here); widths divided by 16."""
import pathlib
import random

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from tests.porting.eladtools.Optimizer import Optimizer
from tests.porting.triplet_net import (DataContainer, DistanceRatioCriterion, GenerateList, GenerateListTriplets,
                                       Model, NiN_Pooled_Model, SimpleNormalization, Test, Train, TripletNet,
                                       TripletNetBatch)

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'


def fd_check(f, x, analytic, eps=1e-6, atol=1e-7, every=1):
    """Central differences of the scalar f() in every ``every``-th entry of the DoubleTensor x against
    ``analytic``."""
    flat = x.view(-1)
    picked = range(0, flat.size(0), every)
    num = np.zeros(len(picked))
    for j, k in enumerate(picked):
        v = flat[k]
        flat[k] = v + eps
        up = f()
        flat[k] = v - eps
        num[j] = (up - f()) / (2 * eps)
        flat[k] = v
    np.testing.assert_allclose(analytic.contiguous().view(-1).numpy()[::every], num, atol=atol)


def test_distance_ratio_criterion_values_and_gradients(double_default):
    """DistanceRatioCriterion.lua: MSECriterion (mean over all entries) of SoftMax(dists) against [1, 0] rows, so
    the first distance (to the negative) is pushed up. Hand formula, finite differences, and the target column:
    Main.lua's ``optimize(x, 1)`` is column 0 here. nn's own DistanceRatioCriterion (nn/DistanceRatioCriterion.lua,
    -log softmax of negated distances, a table input) is another loss under the same Torch7 name."""
    lg.manualSeed(1)
    d = lg.rand(5, 2) * 3
    crit = DistanceRatioCriterion()
    loss = crit.forward(d, 0)
    D = d.numpy()
    s = np.exp(D) / np.exp(D).sum(1, keepdims=True)
    assert abs(loss - (((1 - s[:, 0]) ** 2 + s[:, 1] ** 2).sum() / 10)) < 1e-12
    g = crit.backward(d, 0).clone()
    fd_check(lambda: DistanceRatioCriterion().forward(d, 0), d, g)
    # the row's softmax derivative: d loss / d d0 = -d loss / d d1 (softmax over two entries)
    np.testing.assert_allclose(g[:, 0].numpy(), -g[:, 1].numpy(), rtol=1e-12)
    # a wider gap to the negative lowers the loss, the aim of the criterion
    assert DistanceRatioCriterion().forward(lg.Tensor([[4.0, 0.5]]), 0) < DistanceRatioCriterion().forward(
        lg.Tensor([[0.5, 4.0]]), 0)
    # the target is made once for an input size: a later target argument is ignored, as in the Lua
    assert crit.forward(d, 1) == loss
    ours = nn.DistanceRatioCriterion().forward([d[:, 1], d[:, 0]])
    assert abs(ours - loss) > 1e-3


def toy_labels():
    return lg.ByteTensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 1, 0])


def test_generate_list_draws_as_the_lua():
    """Data.lua's GenerateList(labels, 3, size): column 0 an anchor, column 2 another sample of its class, column 1
    one of another class; the math.random calls come in the Lua's order (replayed here by hand for row 0)."""
    labels = toy_labels()
    random.seed(5)
    lst = GenerateList(labels, 3, 40)
    L = labels.numpy()
    a, n, p = (lst[:, k].numpy() for k in range(3))
    assert (L[a] == L[p]).all() and (a != p).all() and (L[n] != L[a]).all()
    random.seed(5)
    Ordered = {c: [i for i in range(12) if L[i] == c] for c in range(3)}
    c1 = random.randint(1, 3) - 1
    n1 = random.randint(1, 4) - 1
    n_last = random.randint(1, 4) - 1
    while n_last == n1:
        n_last = random.randint(1, 4) - 1
    c2 = random.randint(1, 3) - 1
    while c2 == c1:
        c2 = random.randint(1, 3) - 1
    n2 = random.randint(1, 4) - 1
    assert lst[0].totable() == [Ordered[c1][n1], Ordered[c2][n2], Ordered[c1][n_last]]
    random.seed(5)
    t = GenerateListTriplets(labels, 40)     # its column 1 is the negative too
    assert (L[t[:, 0].numpy()] == L[t[:, 2].numpy()]).all() and (L[t[:, 1].numpy()] != L[t[:, 0].numpy()]).all()


def test_triplet_net_shares_one_embedding(double_default):
    """TripletNet.lua: three clones sharing weight, bias and their gradients (and 'running_std', a field no nn
    module has any more, which share skips as the Lua's ``if self[name]``); the output is batch x 2, the distances
    of the first embedding to the second and third; gradients by finite differences through the graph."""
    lg.manualSeed(2)
    emb = Model(16)
    net = TripletNet(emb)
    w, gw = net.getParameters()
    assert w.nElement() == sum(p.nElement() for p in emb.parameters()[0])
    net.evaluate()
    x = [lg.randn(2, 3, 32, 32) for _ in range(3)]
    y = net.forward(x)
    assert tuple(y.size()) == (2, 2)
    e = [emb.forward(xi).clone() for xi in x]
    for k in range(2):
        np.testing.assert_allclose(y[:, k].numpy(), np.linalg.norm(e[0].numpy() - e[k + 1].numpy(), axis=1),
                                   rtol=1e-10)
    crit = DistanceRatioCriterion()
    gw.zero()
    net.forward(x)
    crit.forward(net.output, 0)
    gx = net.backward(x, crit.backward(net.output, 0))
    fd_check(lambda: crit.forward(net.forward(x), 0), x[1], gx[1], atol=1e-6, every=97)
    # Main.lua's TripletNet:cuda() goes through TripletNet:type, which shares the clones again afterwards
    fresh = TripletNet(Model(16))
    fresh.float()
    assert fresh.nets[2][0].get(0).weight.storage() is fresh.nets[0][0].get(0).weight.storage()
    assert fresh.nets[2][0].get(0).weight.type() == 'torch.FloatTensor'


def test_triplet_net_collects_two_feature_levels(double_default):
    """collectFeat: the distances after layer 4 (Lua numbering) and after the last, one output each. The Lua's
    postProcess is one module called on every embedding node, which legonn's gModule refuses (docs/porting.md's
    row of one module object on several nodes): the port passes a function making a module per node."""
    lg.manualSeed(3)
    emb = Model(16)

    def flatten(node):
        return nn.View(-1).setNumInputDims(3)(node)
    with pytest.raises(ValueError, match='use the same module object'):
        TripletNet(emb, 3, None, [{'layerNum': 4, 'postProcess': nn.View(-1).setNumInputDims(3)},
                                  {'layerNum': len(emb)}])
    net = TripletNet(emb, 3, None, [{'layerNum': 4, 'postProcess': flatten},
                                    {'layerNum': len(emb)}])
    net.evaluate()
    x = [lg.randn(2, 3, 32, 32) for _ in range(3)]
    y = net.forward(x)
    assert isinstance(y, list) and [tuple(t.size()) for t in y] == [(2, 2), (2, 2)]
    np.testing.assert_allclose(y[1].numpy(), TripletNet(emb).forward(x).numpy(), rtol=1e-10)


def test_triplet_net_batch_matches_the_graph_but_one_gradient(double_default):
    """TripletNetBatch.lua runs one net over the 3 x batch input and one PairwiseDistance for both pairs. Its
    forward equals TripletNet's. In its updateGradInput the first pair's gradient comes from the distance module
    after the second pair's forward: nn/PairwiseDistance.lua:59-66 divides by its kept ``self.output`` (the second
    pair's distances), so Torch7 scales pair one's gradient by d(a,p)/d(a,n); legonn's PairwiseDistance recomputes
    the distance from the input it is given (docs/porting.md's row), so the port gets the true gradient."""
    lg.manualSeed(4)
    emb = NiN_Pooled_Model(16)
    batch = TripletNetBatch(emb)
    batch.evaluate()
    x = lg.randn(3, 2, 3, 32, 32)
    g = lg.randn(2, 2)
    y = batch.forward(x).clone()
    gi = batch.backward(x, g).clone()      # before the graph runs the same modules on other batches
    graph = TripletNet(emb)
    graph.evaluate()
    np.testing.assert_allclose(y.numpy(), graph.forward([x[0], x[1], x[2]]).numpy(), rtol=1e-10)
    gg = graph.backward([x[0], x[1], x[2]], g)
    # the module alone: pair one's gradient after pair two's forward is pair one's own in legonn (a - p over its
    # distance + 1e-6, as the Lua), where PairwiseDistance.lua would divide a - p by pair two's distance (+1e-6)
    lg.manualSeed(5)
    a, p, n, gd = lg.randn(4, 3), lg.randn(4, 3), lg.randn(4, 3), lg.randn(4)
    dist = nn.PairwiseDistance(2)
    d_ap = dist.forward([a, p]).clone()
    d_an = dist.forward([a, n]).clone()
    ga = dist.updateGradInput([a, p], gd)[0].numpy()
    diff = (a - p).numpy()
    np.testing.assert_allclose(ga, diff * (gd / (d_ap + 1e-6)).numpy()[:, None], rtol=1e-10)
    lua = diff * (gd / (d_an + 1e-6)).numpy()[:, None]
    assert np.abs(ga - lua).max() > 1e-3
    assert tuple(gi.size()) == (6, 3, 32, 32)     # the gradient of the squashed view, as the Lua returns it
    for k in range(3):
        np.testing.assert_allclose(gi.view(3, 2, 3, 32, 32)[k].numpy(), gg[k].numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')
def test_main_trains_two_epochs_on_digits():
    """Main.lua: Data.lua's SimpleNormalization (-normalize 1), GenerateList lists (training list regenerated
    each epoch by DataContainer:GenerateList), TripletNet of Model.lua, the repo's criterion, eladtools' Optimizer
    with optim.sgd and Main.lua's optimState; Train and Test give error rates in [0, 1] and the weights move. Fully
    seeded (torch and math.random), so a second run gives the same figures."""
    raw = np.load(DATA)
    pick = np.random.RandomState(0).permutation(len(raw['y']))[:400]     # the file is sorted by label
    images, labels = raw['x'][pick], raw['y'][pick]

    def run():
        lg.manualSeed(0)
        random.seed(0)
        digits = np.zeros((400, 3, 32, 32), dtype=np.uint8)
        digits[:, :, 2:30, 2:30] = images[:, None]
        TrainData = {'data': lg.from_numpy(digits[:300]).byte(), 'label': lg.from_numpy(labels[:300]).byte()}
        TestData = {'data': lg.from_numpy(digits[300:]).byte(), 'label': lg.from_numpy(labels[300:]).byte()}
        SimpleNormalization(TrainData, TestData)
        EmbeddingNet = Model(16)
        net = TripletNet(EmbeddingNet)
        Loss = DistanceRatioCriterion()
        Weights, Gradients = net.getParameters()
        start = Weights.clone()
        SizeTrain = 64
        SizeTest = int(SizeTrain * 0.1 * 5)      # Main.lua's SizeTrain*0.1, a Lua number; larger for the check

        def ReGenerateTrain():
            return GenerateList(TrainData['label'], 3, SizeTrain)
        TrainC = DataContainer(BatchSize=16, List=ReGenerateTrain(), Data=TrainData['data'],
                               ListGenFunc=ReGenerateTrain)
        TestC = DataContainer(BatchSize=16, List=GenerateList(TestData['label'], 3, SizeTest), Data=TestData['data'])
        optimizer = Optimizer(Model=net, Loss=Loss, OptFunction=optim.sgd,
                              OptState={'learningRate': 0.1, 'momentum': 0.9, 'weightDecay': 1e-4,
                                        'learningRateDecay': 1e-6},
                              Parameters=[Weights, Gradients])
        errs = []
        for epoch in range(2):
            errs.append((Train(TrainC, net, optimizer), Test(TestC, net)))
        return errs, (Weights - start).abs().max()

    errs, moved = run()
    assert all(0 <= e <= 1 for pair in errs for e in pair)
    assert moved > 1e-3
    assert run() == (errs, moved)


@pytest.mark.gpu
def test_main_cuda_conversion_keeps_the_clones_shared():
    """Main.lua's ``TripletNet:cuda()`` and ``Loss:cuda()`` with DataContainer's 'torch.CudaTensor' batches: the
    overridden type shares the clones again, one step of the repo's criterion gives the CPU's numbers."""
    lg.manualSeed(6)
    net = TripletNet(Model(16))
    net.evaluate()
    x = [lg.randn(2, 3, 32, 32) for _ in range(3)]
    y = net.forward(x).clone()
    loss = DistanceRatioCriterion().forward(y, 0)
    net.cuda()
    assert net.nets[1][0].get(0).weight.storage() is net.nets[0][0].get(0).weight.storage()
    crit = DistanceRatioCriterion().cuda()
    yc = net.forward([t.cuda() for t in x])
    assert yc.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(yc.float().numpy(), y.numpy(), rtol=1e-4, atol=1e-5)
    assert crit.Target.type() == 'torch.CudaTensor' and abs(crit.forward(yc, 0) - loss) < 1e-5
    batch = TripletNetBatch(net.EmbeddingNet)      # its type (TripletNetBatch.lua:76-83) converts its buffers
    batch.cuda()
    assert batch.distGradInput.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(batch.forward(lg.stack([t.cuda() for t in x])).float().numpy(), y.numpy(),
                               rtol=1e-4, atol=1e-5)
