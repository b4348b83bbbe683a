"""torch/nn's doc/criterion.md, every example and loss formula ported by docs/porting.md's rules (class labels
0-based, MultiLabelMargin targets ending in -1, a constructor argument Torch7 never reads dropped). Losses are
checked against the doc's formula in float64 NumPy; the training examples run a few dozen of the doc's steps."""
import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn

pytestmark = pytest.mark.usefixtures('double_default')


def _grad_update(mlp, x, y, criterion, learningRate):
    """The doc's gradUpdate."""
    pred = mlp.forward(x)
    err = criterion.forward(pred, y)
    gradCriterion = criterion.backward(pred, y)
    mlp.zeroGradParameters()
    mlp.backward(x, gradCriterion)
    mlp.updateParameters(learningRate)
    return err


def test_criterion_forward_backward_state():
    """Criterion: ``forward(input, target)`` returns the loss and keeps it in ``output``; ``backward`` returns
    the gradient and keeps it in ``gradInput``."""
    c = nn.MSECriterion()
    x, t = lg.randn(3), lg.randn(3)
    loss = c.forward(x, t)
    assert c.output == loss
    g = c.backward(x, t)
    assert c.gradInput is g and np.allclose(g.numpy(), 2 / 3 * (x.numpy() - t.numpy()))


def test_abscriterion():
    """AbsCriterion: ``1/n sum |x_i - y_i|``; with ``sizeAverage = false`` the sum."""
    x, y = lg.randn(4), lg.randn(4)
    criterion = nn.AbsCriterion()
    assert np.isclose(criterion.forward(x, y), np.abs(x.numpy() - y.numpy()).mean())
    criterion = nn.AbsCriterion()
    criterion.sizeAverage = False
    assert np.isclose(criterion.forward(x, y), np.abs(x.numpy() - y.numpy()).sum())


def test_classnllcriterion_formulas_and_grad_update():
    """ClassNLLCriterion: ``-x[class]``, ``-weights[class] * x[class]``, 0 for ignoreIndex (labels 0-based); the
    doc's gradUpdate trains a LogSoftMax classifier."""
    x = lg.randn(3, 4)
    t = lg.LongTensor([0, 3, 2])
    a = x.numpy()
    assert np.isclose(nn.ClassNLLCriterion().forward(x, t), -np.mean(a[[0, 1, 2], [0, 3, 2]]))
    w = lg.Tensor([1, 2, 3, 4])
    want = -np.sum([w[c] * a[i, c] for i, c in enumerate([0, 3, 2])]) / (1 + 4 + 3)
    assert np.isclose(nn.ClassNLLCriterion(w).forward(x, t), want)
    crit = nn.ClassNLLCriterion(None, True, 3)
    assert np.isclose(crit.forward(x, t), -np.mean(a[[0, 2], [0, 2]]))

    def gradUpdate(mlp, x, y, learningRate):
        criterion = nn.ClassNLLCriterion()
        pred = mlp.forward(x)
        err = criterion.forward(pred, y)
        mlp.zeroGradParameters()
        t = criterion.backward(pred, y)
        mlp.backward(x, t)
        mlp.updateParameters(learningRate)
        return err

    mlp = nn.Sequential().add(nn.Linear(4, 3)).add(nn.LogSoftMax())
    x = lg.randn(4)
    errs = [gradUpdate(mlp, x, 1, 0.1) for _ in range(20)]
    assert errs[-1] < errs[0] and mlp.forward(x).numpy().argmax() == 1


def test_crossentropycriterion():
    """CrossEntropyCriterion: ``-x[class] + log(sum_j exp(x[j]))``, weighted by ``weights[class]``;
    ``crit.nll.sizeAverage = false`` sums over the batch."""
    x = lg.randn(3, 4)
    t = lg.LongTensor([1, 0, 3])
    a = x.numpy()
    per = -a[[0, 1, 2], [1, 0, 3]] + np.log(np.exp(a).sum(1))
    assert np.isclose(nn.CrossEntropyCriterion().forward(x, t), per.mean())
    weights = lg.Tensor([1, 2, 3, 4])
    crit = nn.CrossEntropyCriterion(weights)
    crit.nll.sizeAverage = False
    assert np.isclose(crit.forward(x, t), np.sum(weights.numpy()[[1, 0, 3]] * per))


def test_classsimplexcriterion_example():
    """ClassSimplexCriterion: the doc's net (Linear-ReLU, fbnn's NormalizedLinearNoBias, Normalize(2)) against
    ``nn.ClassSimplexCriterion(30)``: the loss is the MSE to the class's simplex vertex, which has unit norm, and a
    few of gradUpdate's steps lower it."""
    nInput, nClasses, nHidden = 10, 30, 100
    mlp = nn.Sequential()
    mlp.add(nn.Linear(nInput, nHidden)).add(nn.ReLU())
    mlp.add(fbnn.NormalizedLinearNoBias(nHidden, nClasses))
    mlp.add(nn.Normalize(2))
    criterion = nn.ClassSimplexCriterion(nClasses)
    vertices = criterion.simplex.numpy()
    assert vertices.shape[0] == nClasses and np.allclose(np.linalg.norm(vertices, axis=1), 1)

    def gradUpdate(mlp, x, y, learningRate):
        pred = mlp.forward(x)
        err = criterion.forward(pred, y)
        mlp.zeroGradParameters()
        t = criterion.backward(pred, y)
        mlp.backward(x, t)
        mlp.updateParameters(learningRate)
        return err

    x = lg.randn(4, nInput)
    y = lg.LongTensor([0, 5, 17, 29])
    pred = mlp.forward(x).numpy()
    target = np.zeros_like(pred)
    target[:, :vertices.shape[1]] = vertices[[0, 5, 17, 29]]
    assert np.isclose(criterion.forward(mlp.output, y), np.mean((pred - target) ** 2))
    errs = [gradUpdate(mlp, x, y, 0.5) for _ in range(10)]
    assert errs[-1] < errs[0]


def test_distkldivcriterion():
    """DistKLDivCriterion: ``1/n sum target_i (log(target_i) - x_i)``."""
    x = lg.log(lg.rand(5) + 0.1)
    t = lg.rand(5) + 0.1
    want = np.mean(t.numpy() * (np.log(t.numpy()) - x.numpy()))
    assert np.isclose(nn.DistKLDivCriterion().forward(x, t), want)


def test_bcecriterion():
    """BCECriterion: ``-1/n sum (t log o + (1 - t) log(1 - o))``, each term times ``weights[i]`` when given."""
    o, t = lg.rand(4) * 0.8 + 0.1, lg.Tensor([1, 0, 1, 0])
    terms = t.numpy() * np.log(o.numpy()) + (1 - t.numpy()) * np.log(1 - o.numpy())
    assert np.isclose(nn.BCECriterion().forward(o, t), -terms.mean())
    w = lg.Tensor([1, 2, 3, 4])
    assert np.isclose(nn.BCECriterion(w).forward(o, t), -(w.numpy() * terms).mean())


def _two_point_classifier(criterion, steps):
    """The MarginCriterion/SoftMarginCriterion example: Linear(5, 1) trained on x1 -> 1 and x2 -> -1."""
    mlp = nn.Sequential()
    mlp.add(nn.Linear(5, 1))
    x1, x1_target = lg.rand(5), lg.Tensor([1])
    x2, x2_target = lg.rand(5), lg.Tensor([-1])
    for _ in range(steps):
        _grad_update(mlp, x1, x1_target, criterion, 0.01)
        _grad_update(mlp, x2, x2_target, criterion, 0.01)
    return mlp, (x1, x1_target), (x2, x2_target)


def test_margincriterion_example():
    """MarginCriterion: ``sum_i max(0, margin - y_i x_i) / n``; the doc's 1000 steps of lr 0.01 end with
    outputs past +-1 and losses 0 (here 1000 steps too: two 5-input Linear updates each, fast)."""
    x, y = lg.randn(4), lg.Tensor([1, -1, 1, -1])
    want = np.maximum(0, 1 - y.numpy() * x.numpy()).mean()
    assert np.isclose(nn.MarginCriterion(1).forward(x, y), want)
    criterion = nn.MarginCriterion(1)
    mlp, (x1, t1), (x2, t2) = _two_point_classifier(criterion, 1000)
    assert mlp.forward(x1)[0] >= 0.99 and mlp.forward(x2)[0] <= -0.99
    assert criterion.forward(mlp.forward(x1), t1) < 0.01 and criterion.forward(mlp.forward(x2), t2) < 0.01


def test_softmargincriterion_example():
    """SoftMarginCriterion: ``sum_i log(1 + exp(-y_i x_i)) / n``. The doc's ``nn.SoftMarginCriterion(1)`` passes
    an argument SoftMarginCriterion.lua never reads; legonn refuses it (docs/porting.md), so the port drops it.
    Training moves x1's output up and x2's down, each loss below log 2."""
    x, y = lg.randn(4), lg.Tensor([1, -1, 1, -1])
    want = np.log1p(np.exp(-y.numpy() * x.numpy())).mean()
    assert np.isclose(nn.SoftMarginCriterion().forward(x, y), want)
    with pytest.raises(TypeError, match='SoftMarginCriterion'):
        nn.SoftMarginCriterion(1)
    criterion = nn.SoftMarginCriterion()
    mlp, (x1, t1), (x2, t2) = _two_point_classifier(criterion, 300)
    assert mlp.forward(x1)[0] > 0 > mlp.forward(x2)[0]
    assert criterion.forward(mlp.forward(x1), t1) < np.log(2) and criterion.forward(mlp.forward(x2), t2) < np.log(2)


def test_multimargincriterion():
    """MultiMarginCriterion: ``sum_{i != y} max(0, margin - x[y] + x[i])^p / n`` (with ``w[y]`` inside when
    weighted); the Euclidean-MulConstant(-1) front end turns distances into similarities."""
    x = lg.randn(5)
    y = 2
    a = x.numpy()
    for p in (1, 2):
        terms = np.maximum(0, 1 - a[y] + np.delete(a, y)) ** p
        assert np.isclose(nn.MultiMarginCriterion(p).forward(x, y), terms.sum() / 5)
    w = lg.Tensor([1, 1, 3, 1, 1])
    terms = np.maximum(0, 3 * (0.5 - a[y] + np.delete(a, y)))
    assert np.isclose(nn.MultiMarginCriterion(1, w, 0.5).forward(x, y), terms.sum() / 5)
    n, m = 4, 5
    mlp = nn.Sequential()
    mlp.add(nn.Euclidean(n, m))
    mlp.add(nn.MulConstant(-1))
    v = lg.randn(n)
    assert (mlp.forward(v).numpy() <= 0).all()


def test_multilabelmargincriterion_example():
    """MultiLabelMarginCriterion: targets ``{{1, 3, 0, 0}, {4, 0, 0, 0}}`` ("zero-values are ignored") are
    ``[[0, 2, -1, -1], [3, -1, -1, -1]]`` here; the loss is ``sum_ij max(0, 1 - (x[y_j] - x[i])) / x:size(1)``
    over targets j and non-targets i, averaged over the batch."""
    criterion = nn.MultiLabelMarginCriterion()
    input = lg.randn(2, 4)
    target = lg.Tensor([[0, 2, -1, -1], [3, -1, -1, -1]])
    a = input.numpy()
    want = 0
    for row, labels in zip(a, ([0, 2], [3])):
        others = [i for i in range(4) if i not in labels]
        want += sum(max(0, 1 - (row[j] - row[i])) for j in labels for i in others) / 4
    assert np.isclose(criterion.forward(input, target), want / 2)


def test_multilabelsoftmargincriterion():
    """MultiLabelSoftMarginCriterion: ``-sum_i (y_i log sigmoid(x_i) + (1 - y_i) log(1 - sigmoid(x_i))) / n``."""
    x, y = lg.randn(5), lg.Tensor([1, 0, 0, 1, 1])
    s = 1 / (1 + np.exp(-x.numpy()))
    want = -np.mean(y.numpy() * np.log(s) + (1 - y.numpy()) * np.log(1 - s))
    assert np.isclose(nn.MultiLabelSoftMarginCriterion().forward(x, y), want)


def test_msecriterion():
    """MSECriterion: ``1/n sum |x_i - y_i|^2``; the sum with ``sizeAverage = false``."""
    x, y = lg.randn(4), lg.randn(4)
    assert np.isclose(nn.MSECriterion().forward(x, y), np.mean((x.numpy() - y.numpy()) ** 2))
    criterion = nn.MSECriterion()
    criterion.sizeAverage = False
    assert np.isclose(criterion.forward(x, y), np.sum((x.numpy() - y.numpy()) ** 2))


def test_spatialautocropmsecriterion():
    """SpatialAutoCropMSECriterion: the MSE between the input and the target's centre cropped to the input's size;
    ``sizeAverage = false`` sums."""
    x, t = lg.randn(1, 3, 3), lg.randn(1, 5, 5)
    want = (x.numpy() - t.numpy()[:, 1:4, 1:4]) ** 2
    assert np.isclose(nn.SpatialAutoCropMSECriterion().forward(x, t), want.mean())
    criterion = nn.SpatialAutoCropMSECriterion()
    criterion.sizeAverage = False
    assert np.isclose(criterion.forward(x, t), want.sum())


def test_multicriterion_example():
    """MultiCriterion: ``nll`` weighted 0.5 plus CrossEntropy on the same ``rand(2, 10)`` and targets
    ``IntTensor{1, 8}`` (here 0, 7)."""
    input = lg.rand(2, 10)
    target = lg.IntTensor([0, 7])
    nll = nn.ClassNLLCriterion()
    nll2 = nn.CrossEntropyCriterion()
    mc = nn.MultiCriterion().add(nll, 0.5).add(nll2)
    output = mc.forward(input, target)
    a = input.numpy()
    want_nll = -np.mean(a[[0, 1], [0, 7]])
    want_ce = np.mean(-a[[0, 1], [0, 7]] + np.log(np.exp(a).sum(1)))
    assert np.isclose(output, 0.5 * want_nll + want_ce)


def test_parallelcriterion_example():
    """ParallelCriterion: ``{rand(2, 10), randn(2, 10)}`` against ``{IntTensor{1, 8}, randn(2, 10)}``: 0.5 NLL of
    the first pair plus the MSE of the second."""
    input = [lg.rand(2, 10), lg.randn(2, 10)]
    target = [lg.IntTensor([0, 7]), lg.randn(2, 10)]
    nll = nn.ClassNLLCriterion()
    mse = nn.MSECriterion()
    pc = nn.ParallelCriterion().add(nll, 0.5).add(mse)
    output = pc.forward(input, target)
    want = 0.5 * -np.mean(input[0].numpy()[[0, 1], [0, 7]]) + np.mean((input[1].numpy() - target[1].numpy()) ** 2)
    assert np.isclose(output, want)
    rep = nn.ParallelCriterion(True).add(nn.MSECriterion()).add(nn.AbsCriterion())
    x, t = [lg.randn(3), lg.randn(3)], lg.randn(3)
    want = np.mean((x[0].numpy() - t.numpy()) ** 2) + np.mean(np.abs(x[1].numpy() - t.numpy()))
    assert np.isclose(rep.forward(x, t), want)


def test_smoothl1criterion():
    """SmoothL1Criterion: ``0.5 d^2`` where ``|d| < 1``, ``|d| - 0.5`` elsewhere, averaged (summed without
    sizeAverage)."""
    x, y = lg.randn(6) * 2, lg.randn(6)
    d = np.abs(x.numpy() - y.numpy())
    terms = np.where(d < 1, 0.5 * d ** 2, d - 0.5)
    assert np.isclose(nn.SmoothL1Criterion().forward(x, y), terms.mean())
    criterion = nn.SmoothL1Criterion()
    criterion.sizeAverage = False
    assert np.isclose(criterion.forward(x, y), terms.sum())


def test_hingeembeddingcriterion_example():
    """HingeEmbeddingCriterion: ``x_i`` for ``y_i = 1``, ``max(0, margin - x_i)`` for -1, averaged; the doc's
    siamese pair (weights shared by ``set``) pushed together shrinks the PairwiseDistance, pulled apart grows it."""
    x, y = lg.rand(4) * 2, lg.Tensor([1, -1, 1, -1])
    a = x.numpy()
    want = np.where(y.numpy() == 1, a, np.maximum(0, 1 - a)).mean()
    assert np.isclose(nn.HingeEmbeddingCriterion(1).forward(x, y), want)
    p1_mlp = nn.Sequential()
    p1_mlp.add(nn.Linear(5, 2))
    p2_mlp = nn.Sequential()
    p2_mlp.add(nn.Linear(5, 2))
    p2_mlp.get(0).weight.set(p1_mlp.get(0).weight)
    p2_mlp.get(0).bias.set(p1_mlp.get(0).bias)
    prl = nn.ParallelTable()
    prl.add(p1_mlp)
    prl.add(p2_mlp)
    mlp = nn.Sequential()
    mlp.add(prl)
    mlp.add(nn.PairwiseDistance(1))
    crit = nn.HingeEmbeddingCriterion(1)
    x, y = lg.rand(5), lg.rand(5)
    ds = []
    for _ in range(10):
        _grad_update(mlp, [x, y], 1, crit, 0.01)
        ds.append(mlp.forward([x, y])[0])
    assert all(b <= a for a, b in zip(ds, ds[1:]))
    for _ in range(10):
        _grad_update(mlp, [x, y], -1, crit, 0.01)
        ds.append(mlp.forward([x, y])[0])
    assert ds[-1] > ds[9]


def test_l1hingeembeddingcriterion():
    """L1HingeEmbeddingCriterion: ``||x1 - x2||_1`` for y = 1, ``max(0, margin - ||x1 - x2||_1)`` for -1."""
    x1, x2 = lg.randn(4), lg.randn(4)
    d = np.abs(x1.numpy() - x2.numpy()).sum()
    assert np.isclose(nn.L1HingeEmbeddingCriterion(2).forward([x1, x2], 1), d)
    assert np.isclose(nn.L1HingeEmbeddingCriterion(d + 1).forward([x1, x2], -1), 1)


def test_cosineembeddingcriterion():
    """CosineEmbeddingCriterion: ``1 - cos`` for y = 1, ``max(0, cos - margin)`` for -1, averaged over the
    batch."""
    x1, x2 = lg.randn(3, 4), lg.randn(3, 4)
    y = lg.Tensor([1, -1, -1])
    a, b = x1.numpy(), x2.numpy()
    cos = (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
    want = np.where(y.numpy() == 1, 1 - cos, np.maximum(0, cos - 0.1)).mean()
    assert np.isclose(nn.CosineEmbeddingCriterion(0.1).forward([x1, x2], y), want, atol=1e-6)


def test_distanceratiocriterion_example():
    """DistanceRatioCriterion: the doc's triplet net (a shared Linear(512, 96)-ReLU, PairwiseDistance of anchor
    to positive and to negative) in FloatTensors as the doc sets them (batch 4 here); ``loss = -log(exp(-Ds) /
    (exp(-Ds) + exp(-Dd)))`` averaged; forward and backward with no target."""
    lg.setdefaulttensortype('torch.FloatTensor')
    sample = [lg.rand(4, 512), lg.rand(4, 512), lg.rand(4, 512)]
    embeddingModel = nn.Sequential()
    embeddingModel.add(nn.Linear(512, 96)).add(nn.ReLU())
    tripleModel = nn.ParallelTable()
    tripleModel.add(embeddingModel)
    tripleModel.add(embeddingModel.clone('weight', 'bias', 'gradWeight', 'gradBias'))
    tripleModel.add(embeddingModel.clone('weight', 'bias', 'gradWeight', 'gradBias'))
    posDistModel = nn.Sequential()
    posDistModel.add(nn.NarrowTable(0, 2)).add(nn.PairwiseDistance())
    negDistModel = nn.Sequential()
    negDistModel.add(nn.NarrowTable(1, 2)).add(nn.PairwiseDistance())
    distanceModel = nn.ConcatTable().add(posDistModel).add(negDistModel)
    model = nn.Sequential().add(tripleModel).add(distanceModel)
    criterion = nn.DistanceRatioCriterion(True)
    output = model.forward(sample)
    loss = criterion.forward(output)
    dLoss = criterion.backward(output)
    model.backward(sample, dLoss)
    e = [m.output.numpy().astype(np.float64) for m in tripleModel.modules]
    ds, dd = np.linalg.norm(e[0] - e[1], axis=1), np.linalg.norm(e[1] - e[2], axis=1)
    assert np.allclose(output[0].numpy(), ds, atol=1e-4) and np.allclose(output[1].numpy(), dd, atol=1e-4)
    assert np.isclose(loss, np.mean(-np.log(np.exp(-ds) / (np.exp(-ds) + np.exp(-dd)))), atol=1e-5)
    assert embeddingModel.get(0).gradWeight.abs().sum() > 0


def test_marginrankingcriterion_example():
    """MarginRankingCriterion: ``max(0, -y (x[1] - x[2]) + margin)``; the doc's ranking of two DotProduct scores
    (shared Linear(5, 2)) with margin 0.1: y = 1 steps raise {x, y}'s score over {x, z}'s, y = -1 steps the
    reverse (30 of the doc's 100 steps each)."""
    a, b = lg.Tensor([0.3]), lg.Tensor([0.5])
    assert np.isclose(nn.MarginRankingCriterion(0.1).forward([a, b], 1), max(0, -(0.3 - 0.5) + 0.1))
    p1_mlp = nn.Linear(5, 2)
    p2_mlp = p1_mlp.clone('weight', 'bias')
    prl = nn.ParallelTable()
    prl.add(p1_mlp)
    prl.add(p2_mlp)
    mlp1 = nn.Sequential()
    mlp1.add(prl)
    mlp1.add(nn.DotProduct())
    mlp2 = mlp1.clone('weight', 'bias')
    mlpa = nn.Sequential()
    prla = nn.ParallelTable()
    prla.add(mlp1)
    prla.add(mlp2)
    mlpa.add(prla)
    crit = nn.MarginRankingCriterion(0.1)
    x, y, z = lg.randn(5), lg.randn(5), lg.randn(5)
    for target in (1, -1):
        for _ in range(30):
            _grad_update(mlpa, [[x, y], [x, z]], target, crit, 0.01)
        o1 = mlp1.forward([x, y])[0]
        o2 = mlp2.forward([x, z])[0]
        o = crit.forward(mlpa.forward([[x, y], [x, z]]), target)
        assert np.isclose(o, max(0, -target * (o1 - o2) + 0.1))
        assert target * (o1 - o2) > 0 or o < 0.1


def test_modulecriterion():
    """ModuleCriterion: the input goes through ``inputModule`` and the target through ``targetModule`` before the
    criterion: a LogSoftMax before ClassNLL is CrossEntropy. ``castTarget`` (default true) lets ``type()`` convert
    the targetModule too (ModuleCriterion.lua:39); false leaves it as it is."""
    x, t = lg.randn(2, 3), lg.IntTensor([0, 2])
    m = nn.ModuleCriterion(nn.ClassNLLCriterion(), nn.LogSoftMax())
    assert np.isclose(m.forward(x, t), nn.CrossEntropyCriterion().forward(x, t))
    m = nn.ModuleCriterion(nn.MSECriterion(), None, nn.MulConstant(2))
    v, y = lg.randn(3), lg.Tensor([1, 2, 3])
    assert np.isclose(m.forward(v, y), np.mean((v.numpy() - 2 * np.array([1, 2, 3])) ** 2))
    m.float()
    assert m.targetModule.output.type() == 'torch.FloatTensor'
    kept = nn.ModuleCriterion(nn.MSECriterion(), None, nn.MulConstant(2), False)
    kept.float()
    assert kept.targetModule.output.type() == 'torch.DoubleTensor'
