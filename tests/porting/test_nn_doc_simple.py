"""torch/nn's doc/simple.md, every example ported by docs/porting.md's rules. Printed values that depend on random
initialisation are checked against a float64 NumPy formula of what the doc describes; deterministic prints (sizes,
tables of whole numbers) are asserted as printed. The doc's training loops of 10000 steps run a few dozen here,
checked against the same updates written in NumPy (or their closed form)."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import gnuplot, nn

pytestmark = pytest.mark.usefixtures('double_default')


def test_linear_usage():
    """Linear: ``nn.Linear(10, 5)`` in a Sequential; weight 5x10, bias 5, their gradients alike; forwarding a
    10-vector gives ``W x + b``."""
    module = nn.Linear(10, 5)
    mlp = nn.Sequential()
    mlp.add(module)
    assert module.weight.size() == (5, 10) and module.bias.size() == (5,)
    assert module.gradWeight.size() == (5, 10) and module.gradBias.size() == (5,)
    x = lg.Tensor(10).uniform()
    y = module.forward(x)
    assert np.allclose(y.numpy(), module.weight.numpy() @ x.numpy() + module.bias.numpy())
    assert mlp.forward(x) is y


def test_linearweightnorm_usage():
    """LinearWeightNorm: ``W = g * v / ||v||`` row by row, then ``W x + b``."""
    module = nn.LinearWeightNorm(10, 5)
    x = lg.randn(10)
    y = module.forward(x)
    v, g = module.weight.numpy(), module.g.numpy().reshape(-1, 1)
    w = g * v / np.linalg.norm(v, axis=1, keepdims=True)
    assert np.allclose(y.numpy(), w @ x.numpy() + module.bias.numpy())


def test_sparselinear_example():
    """SparseLinear: ``nn.SparseLinear(10000, 2)`` of the doc's ``{index, value}`` rows (indices 1, 2, 10, 31,
    here 0, 1, 9, 30) is ``sum_k value_k * W[:, index_k] + b``."""
    module = nn.SparseLinear(10000, 2)
    x = lg.Tensor([[0, 0.1], [1, 0.3], [9, 0.3], [30, 0.2]])
    assert x.size() == (4, 2)
    y = module.forward(x)
    w = module.weight.numpy()
    want = sum(v * w[:, int(i)] for i, v in x.numpy()) + module.bias.numpy()
    assert np.allclose(y.numpy(), want)


def test_indexlinear_both_input_forms_agree():
    """IndexLinear: ``nn.IndexLinear(10000, 2, nil, 0, nil, nil, true)`` (max-norm on); the doc's table of
    per-sample keys and values and its flattened form with sizes ``{2, 3}`` are the same input (keys 0-based)."""
    module = nn.IndexLinear(10000, 2, None, 0, None, None, True)
    x = [[lg.LongTensor([0, 199]), lg.LongTensor([99, 199, 999])],
         [lg.Tensor([1, 0.1]), lg.Tensor([10, 0.5, -0.5])]]
    a = module.forward(x).clone()
    flat = [lg.LongTensor([0, 199, 99, 199, 999]), lg.Tensor([1, 0.1, 10, .5, -0.5]), lg.LongTensor([2, 3])]
    b = module.forward(flat)
    assert a.size() == (2, 2) and np.allclose(a.numpy(), b.numpy())


def test_bilinear_usage():
    """Bilinear: ``nn.Bilinear(10, 5, 3)`` on 128 pairs gives ``y_k = x1 W_k x2 + b_k``, 128x3."""
    module = nn.Bilinear(10, 5, 3)
    input = [lg.randn(128, 10), lg.randn(128, 5)]
    y = module.forward(input)
    want = np.einsum('bi,kij,bj->bk', input[0].numpy(), module.weight.numpy(), input[1].numpy())
    assert y.size() == (128, 3) and np.allclose(y.numpy(), want + module.bias.numpy())


def test_partiallinear_usage_and_partition():
    """PartialLinear: ``nn.PartialLinear(5, 3)`` on 128 examples is a Linear(5, 3). The doc's
    ``setPartition(torch.Tensor({2,4}))`` "out of a total of 5 indices" is stale: PartialLinear.lua looks the
    partition up in a ``LookupTable(outputsize, inputsize)``, so it picks among the 3 outputs and 4 is out of
    range (the Lua fails in LookupTable); legonn refuses it. A partition {2, 3} (here 1, 2) computes those
    outputs' columns alone."""
    module = nn.PartialLinear(5, 3)
    input = lg.randn(128, 5)
    w = module.network.get(0).get(1).weight.numpy()
    y = module.forward(input)
    assert y.size() == (128, 3)
    assert np.allclose(y.numpy(), input.numpy() @ w.T + module.bias.numpy())
    with pytest.raises(IndexError, match='PartialLinear'):
        module.setPartition(lg.Tensor([1, 3]))
    module.setPartition(lg.Tensor([1, 2]))
    y = module.forward(input)
    assert y.size() == (128, 2)
    assert np.allclose(y.numpy(), input.numpy() @ w[[1, 2]].T + module.bias.numpy()[:, [1, 2]])


def test_dropout_examples():
    """Dropout: with the default p = 0.5 training keeps each element scaled by 2 or zeroes it; backward of ones
    is the same mask times 2; ``evaluate()`` gives the input; ``nn.Dropout(nil, nil, nil, true)`` (stochastic
    inference) still drops in evaluation; ``training()`` drops again."""
    module = nn.Dropout()
    x = lg.Tensor([[1, 2, 3, 4], [5, 6, 7, 8]])
    xs = x.numpy()
    for _ in range(2):
        out = module.forward(x).numpy()
        assert np.all((out == 0) | (out == 2 * xs))
    out = module.forward(x).numpy().copy()
    grad = module.backward(x, x.clone().fill(1)).numpy()
    assert np.array_equal(grad, np.where(out == 0, 0, 2))
    module.evaluate()
    assert module.forward(x).tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]
    module_stochastic_evaluation = nn.Dropout(None, None, None, True)
    module_stochastic_evaluation.evaluate()
    seen = [module_stochastic_evaluation.forward(x).numpy().copy() for _ in range(8)]
    assert all(np.all((s == 0) | (s == 2 * xs)) for s in seen) and any((s == 0).any() for s in seen)
    module.training()
    out = module.forward(x).numpy()
    assert np.all((out == 0) | (out == 2 * xs))


@pytest.mark.parametrize('make, lo, hi, f, df', [
    (nn.Abs, -5, 5, np.abs, np.sign),                                    # Abs
    (nn.Exp, -2, 2, np.exp, np.exp),                                     # Exp
    (nn.Square, -5, 5, np.square, lambda x: 2 * x),                      # Square
    (nn.Sqrt, 0, 5, np.sqrt, None),                                      # Sqrt
    (lambda: nn.Power(1.25), 0, 2, lambda x: x ** 1.25, lambda x: 1.25 * x ** 0.25),   # Power
], ids=['Abs', 'Exp', 'Square', 'Sqrt', 'Power'])
def test_pointwise_plots(make, lo, hi, f, df, tmp_path):
    """Abs, Exp, Square, Sqrt, Power: ``ii = torch.linspace(lo, hi)`` (100 points), ``oo = m:forward(ii)``,
    ``gi = m:backward(ii, torch.ones(100))``, plotted with gnuplot (into an SVG file here: no screen)."""
    ii = lg.linspace(lo, hi)
    m = make()
    oo = m.forward(ii)
    go = lg.ones(100)
    gi = m.backward(ii, go)
    x = ii.numpy()
    assert ii.size() == (100,) and np.allclose(oo.numpy(), f(x))
    if df is not None:
        assert np.allclose(gi.numpy(), df(x))
    else:   # Sqrt.lua's gradient is 0.5 / sqrt(x), inf at 0 (THNN divides by the output)
        assert np.allclose(gi.numpy()[1:], 0.5 / np.sqrt(x[1:]))
    gnuplot.svgfigure(str(tmp_path / 'plot.svg'))
    gnuplot.plot(['f(x)', ii, oo, '+-'], ['df/dx', ii, gi, '+-'])
    gnuplot.grid(True)
    gnuplot.plotflush()
    gnuplot.close()
    assert (tmp_path / 'plot.svg').stat().st_size > 0


def _grad_update(mlp, x, y, criterion, learningRate):
    """The doc's gradUpdate."""
    pred = mlp.forward(x)
    err = criterion.forward(pred, y)
    gradCriterion = criterion.backward(pred, y)
    mlp.zeroGradParameters()
    mlp.backward(x, gradCriterion)
    mlp.updateParameters(learningRate)
    return err


def test_add_example_learns_the_offsets():
    """Add: ``nn.Add(5)`` trained towards ``x + {1..5}`` with MSE and lr 0.01. MSE's gradient on the bias is
    ``2/5 (b - c)`` whatever x is, so b_n = c + (b_0 - c) 0.996^n: 40 steps checked against that; after the
    doc's 10000 steps (0.996^10000 < 1e-17) it prints 1 .. 5."""
    y = lg.Tensor(5)
    mlp = nn.Sequential()
    mlp.add(nn.Add(5))
    c = np.arange(1, 6, dtype=np.float64)
    b0 = mlp.get(0).bias.numpy().copy()
    for _ in range(40):
        x = lg.rand(5)
        y.copy(x)
        for i in range(5):
            y[i] = y[i] + i + 1
        _grad_update(mlp, x, y, nn.MSECriterion(), 0.01)
    assert np.allclose(mlp.get(0).bias.numpy(), c + (b0 - c) * 0.996 ** 40)


def test_cadd_example_learns_the_row_offsets():
    """CAdd: ``nn.CAdd(5, 1)`` (a 5x1 bias broadcast over 4 columns) towards ``x + bf`` (row i holds i): the
    bias's MSE gradient sums 4 columns of ``2/20 (b - c)``, so b_n = c + (b_0 - c) 0.996^n."""
    mlp = nn.Sequential()
    mlp.add(nn.CAdd(5, 1))
    y = lg.Tensor(5, 4)
    bf = lg.Tensor(5, 4)
    for i in range(5):
        bf[i] = i + 1
    c = np.arange(1, 6, dtype=np.float64).reshape(5, 1)
    b0 = mlp.get(0).bias.numpy().copy()
    assert b0.shape == (5, 1)
    for _ in range(40):
        x = lg.rand(5, 4)
        y.copy(x)
        y.add(bf)
        _grad_update(mlp, x, y, nn.MSECriterion(), 0.01)
    assert np.allclose(mlp.get(0).bias.numpy(), c + (b0 - c) * 0.996 ** 40)


def test_mul_example_learns_pi():
    """Mul: ``nn.Mul()`` towards ``pi * x``; each step ``w -= 0.01 * 2/5 (w - pi) sum(x^2)``, replayed in NumPy
    on the same draws (the doc's 10000 steps reach 3.1416)."""
    y = lg.Tensor(5)
    mlp = nn.Sequential()
    mlp.add(nn.Mul())
    w = float(mlp.get(0).weight[0])
    for _ in range(40):
        x = lg.rand(5)
        y.copy(x)
        y.mul(math.pi)
        _grad_update(mlp, x, y, nn.MSECriterion(), 0.01)
        w -= 0.01 * 2 / 5 * (w - math.pi) * float(np.sum(x.numpy() ** 2))
    assert mlp.get(0).weight.size() == (1,) and np.isclose(mlp.get(0).weight[0], w)


def test_cmul_example_learns_the_row_scales():
    """CMul: ``nn.CMul(5, 1)`` towards ``x .* sc`` (row i scaled by i); each row's weight moves by
    ``0.01 * 2/20 * sum_j (w_i - c_i) x_ij^2``, replayed in NumPy."""
    mlp = nn.Sequential()
    mlp.add(nn.CMul(5, 1))
    y = lg.Tensor(5, 4)
    sc = lg.Tensor(5, 4)
    for i in range(5):
        sc[i] = i + 1
    c = np.arange(1, 6, dtype=np.float64).reshape(5, 1)
    w = mlp.get(0).weight.numpy().copy()
    for _ in range(40):
        x = lg.rand(5, 4)
        y.copy(x)
        y.cmul(sc)
        _grad_update(mlp, x, y, nn.MSECriterion(), 0.01)
        w -= 0.01 * 2 / 20 * np.sum((w - c) * x.numpy() ** 2, axis=1, keepdims=True)
    assert mlp.get(0).weight.size() == (5, 1) and np.allclose(mlp.get(0).weight.numpy(), w)


@pytest.mark.parametrize('make, ref', [
    (lambda: nn.Max(0), lambda x: x.max(0)),
    (lambda: nn.Min(0), lambda x: x.min(0)),
    (lambda: nn.Mean(0), lambda x: x.mean(0)),
    (lambda: nn.Sum(0), lambda x: x.sum(0)),
    (lambda: nn.Sum(0, 1, True), lambda x: x.mean(1)),      # nInputDim 1 on a batch, sizeAverage
    (lambda: nn.Sum(0, None, False, False), lambda x: x.sum(0, keepdims=True)),   # squeeze false
], ids=['Max', 'Min', 'Mean', 'Sum', 'Sum-batch-average', 'Sum-no-squeeze'])
def test_reductions(make, ref):
    """Max, Min, Mean, Sum: the reduction over ``dimension`` (here 0-based), ``nInputDim`` making a 2-D input a
    batch of vectors, ``sizeAverage`` a mean, ``squeeze`` false keeping the dimension."""
    x = lg.randn(3, 4)
    assert np.allclose(make().forward(x).numpy(), ref(x.numpy()))


def test_euclidean_weightedeuclidean_cosine():
    """Euclidean, WeightedEuclidean, Cosine (inputSize 4, outputSize 3): ``y_j = ||w_j - x||``,
    ``y_j = ||c_j * (x - w_j)||``, ``y_j = w_j.x / (||w_j|| ||x||)``, with w_j the j-th column (Euclidean's
    weight is inputSize x outputSize) or row (Cosine's)."""
    x = lg.randn(4)
    e = nn.Euclidean(4, 3)
    w = e.weight.numpy()
    assert np.allclose(e.forward(x).numpy(), np.linalg.norm(w - x.numpy()[:, None], axis=0))
    we = nn.WeightedEuclidean(4, 3)
    w, d = we.weight.numpy(), we.diagCov.numpy()
    assert np.allclose(we.forward(x).numpy(), np.linalg.norm(d * (x.numpy()[:, None] - w), axis=0))
    co = nn.Cosine(4, 3)
    w = co.weight.numpy()
    want = w @ x.numpy() / (np.linalg.norm(w, axis=1) * np.linalg.norm(x.numpy()))
    assert np.allclose(co.forward(x).numpy(), want)


def test_kmeans_example():
    """Kmeans: the doc's attempts loop (2 attempts of 5 iterations here) with Kmeans++ initialisation;
    ``backward(samples)`` without gradOutput and ``updateParameters(1)`` move the centroids to the cluster
    means, so the loss never grows; the best attempt is kept by ``clone()``."""
    k, dim = 2, 2
    samples = lg.cat([lg.randn(10, dim) + 5, lg.randn(10, dim) - 5], 0)
    bestKm, bestLoss = None, math.inf
    for _ in range(2):
        km = nn.Kmeans(k, dim)
        km.initKmeansPlus(samples)
        losses = []
        for _ in range(5):
            km.zeroGradParameters()
            km.forward(samples)
            km.backward(samples)
            km.updateParameters(1)
            losses.append(km.loss)
        assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:]))
        if km.loss < bestLoss:
            bestLoss = km.loss
            bestKm = km.clone()
    assert bestKm.loss == bestLoss
    centres = sorted(bestKm.weight.numpy().tolist())
    assert np.allclose(centres, sorted([samples.numpy()[10:].mean(0).tolist(), samples.numpy()[:10].mean(0).tolist()]))
    km = nn.Kmeans(k, dim)
    km.initRandom(samples)
    assert all(any(np.array_equal(c, s) for s in samples.numpy()) for c in km.weight.numpy())


def test_identity_examples():
    """Identity: ``mlp:forward(torch.ones(5, 2))`` prints the ones; the network that carries the label beside the
    prediction to a CriterionTable trains (30 of the doc's 100 steps here)."""
    assert nn.Identity().forward(lg.ones(5, 2)).tolist() == [[1, 1]] * 5
    pred_mlp = nn.Sequential()
    pred_mlp.add(nn.Linear(5, 4))
    pred_mlp.add(nn.Linear(4, 3))
    xy_mlp = nn.ParallelTable()
    xy_mlp.add(pred_mlp)
    xy_mlp.add(nn.Identity())
    mlp = nn.Sequential()
    mlp.add(xy_mlp)
    cr = nn.MSECriterion()
    cr_wrap = nn.CriterionTable(cr)
    mlp.add(cr_wrap)
    errs = []
    for _ in range(30):
        x = lg.ones(5)
        y = lg.Tensor(3)
        y.copy(x.narrow(0, 0, 3))
        err = mlp.forward([x, y])
        errs.append(err)
        mlp.zeroGradParameters()
        mlp.backward([x, y])
        mlp.updateParameters(0.05)
    assert errs[-1] < errs[0] / 10


def test_copy_usage():
    """Copy: ``nn.Copy(inputType, outputType)`` casts a FloatTensor to a DoubleTensor and the gradient back."""
    m = nn.Copy('torch.FloatTensor', 'torch.DoubleTensor')
    x = lg.FloatTensor([1.5, 2])
    y = m.forward(x)
    assert y.type() == 'torch.DoubleTensor' and y.tolist() == [1.5, 2]
    assert m.backward(x, lg.DoubleTensor([1, 2])).type() == 'torch.FloatTensor'


def test_narrow_example():
    """Narrow: of a 4x5 tensor, ``Narrow(1, 2, 3)`` and ``Narrow(1, 2, -1)`` are rows 2..4, ``Narrow(1, 2, 2)``
    and ``Narrow(1, 2, -2)`` rows 2..3, ``Narrow(2, 2, 3)`` and ``Narrow(2, 2, -2)`` columns 2..4 (a negative
    length counts to the end: -1 the last, -2 the one before). Offsets and dimensions 0-based."""
    x = lg.rand(4, 5)
    a = x.numpy()
    assert np.array_equal(nn.Narrow(0, 1, 3).forward(x).numpy(), a[1:4])
    assert np.array_equal(nn.Narrow(0, 1, -1).forward(x).numpy(), a[1:4])
    assert np.array_equal(nn.Narrow(0, 1, 2).forward(x).numpy(), a[1:3])
    assert np.array_equal(nn.Narrow(0, 1, -2).forward(x).numpy(), a[1:3])
    assert np.array_equal(nn.Narrow(1, 1, 3).forward(x).numpy(), a[:, 1:4])
    assert np.array_equal(nn.Narrow(1, 1, -2).forward(x).numpy(), a[:, 1:4])


def test_replicate_example_is_a_view():
    """Replicate: ``nn.Replicate(3)`` of ``linspace(1, 5, 5)`` is 3 rows of 1..5, a view: after ``x:fill(13)``
    the output prints 13s."""
    x = lg.linspace(1, 5, 5)
    assert x.tolist() == [1, 2, 3, 4, 5]
    m = nn.Replicate(3)
    o = m.forward(x)
    assert o.tolist() == [[1, 2, 3, 4, 5]] * 3
    x.fill(13)
    assert o.tolist() == [[13] * 5] * 3


def _one_to_sixteen():
    x = lg.Tensor(4, 4)
    for i in range(4):
        for j in range(4):
            x[i][j] = i * 4 + j + 1
    return x


def test_reshape_example():
    """Reshape: the 4x4 of 1..16 as 2x8, 8x2 and 16; a 1x4 zero tensor through ``Reshape(4)`` stays 1x4 (a batch
    of one), through ``Reshape(4, false)`` becomes 4."""
    x = _one_to_sixteen()
    assert x.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
    assert nn.Reshape(2, 8).forward(x).tolist() == [list(range(1, 9)), list(range(9, 17))]
    assert nn.Reshape(8, 2).forward(x).tolist() == [[i, i + 1] for i in range(1, 17, 2)]
    assert nn.Reshape(16).forward(x).tolist() == list(range(1, 17))
    y = lg.Tensor(1, 4).fill(0)
    assert nn.Reshape(4).forward(y).size() == (1, 4)
    assert nn.Reshape(4, False).forward(y).size() == (4,)


def test_view_example():
    """View: the 4x4 of 1..16 as ``View(2, 8)``, ``View(torch.LongStorage{8,2})`` (View.lua's resetSize takes one
    LongStorage) and ``View(16)``; ``nn.View(-1):setNumInputDims(2)`` gives 6 for a 2x3 and 5x6 for a 5x2x3."""
    x = _one_to_sixteen()
    assert nn.View(2, 8).forward(x).tolist() == [list(range(1, 9)), list(range(9, 17))]
    assert nn.View(lg.LongStorage([8, 2])).forward(x).tolist() == [[i, i + 1] for i in range(1, 17, 2)]
    assert nn.View(16).forward(x).tolist() == list(range(1, 17))
    assert nn.Reshape(lg.LongStorage([2, 8])).forward(x).size() == (2, 8)
    input = lg.Tensor(2, 3)
    minibatch = lg.Tensor(5, 2, 3)
    m = nn.View(-1).setNumInputDims(2)
    assert m.forward(input).size() == (6,)
    assert m.forward(minibatch).size() == (5, 6)


def test_contiguous_usage():
    """Contiguous: a transposed (non-contiguous) input comes out contiguous with the same values."""
    x = lg.randn(3, 4).t()
    y = nn.Contiguous().forward(x)
    assert y.isContiguous() and np.array_equal(y.numpy(), x.numpy())


def test_select_examples():
    """Select: ``nn.Select(1, 3)`` of a 10x5 tensor is its third row (here ``Select(0, 2)``); the Concat of ten
    Select-Linear-Reshape branches gives 2x10 and trains towards ones (30 of the doc's 10000 steps)."""
    mlp = nn.Sequential()
    mlp.add(nn.Select(0, 2))
    x = lg.randn(10, 5)
    assert np.array_equal(mlp.forward(x).numpy(), x.numpy()[2])
    mlp = nn.Sequential()
    c = nn.Concat(1)
    for i in range(10):
        t = nn.Sequential()
        t.add(nn.Select(0, i))
        t.add(nn.Linear(3, 2))
        t.add(nn.Reshape(2, 1))
        c.add(t)
    mlp.add(c)
    pred = mlp.forward(lg.randn(10, 3))
    assert pred.size() == (2, 10)
    # the doc's loop (30 of its 10000 steps), replayed in NumPy: MSE over the 2x10 output gives branch i's Linear
    # the gradient 2/20 (pred[:, i] - 1) on its bias and its outer product with x[i] on its weight
    lins = [c.get(i).get(1) for i in range(10)]
    W = [m.weight.numpy().copy() for m in lins]
    b = [m.bias.numpy().copy() for m in lins]
    for _ in range(30):
        x = lg.randn(10, 3)
        y = lg.ones(2, 10)
        err = _grad_update(mlp, x, y, nn.MSECriterion(), 0.01)
        xs = x.numpy()
        outs = [W[i] @ xs[i] + b[i] for i in range(10)]
        assert np.isclose(err, np.mean((np.stack(outs, 1) - 1) ** 2))
        for i in range(10):
            g = 2 / 20 * (outs[i] - 1)
            W[i] -= 0.01 * np.outer(g, xs[i])
            b[i] -= 0.01 * g
    assert all(np.allclose(m.weight.numpy(), w) and np.allclose(m.bias.numpy(), v) for m, w, v in zip(lins, W, b))


def test_maskedselect_example():
    """MaskedSelect: ``{{10, 20}, {30, 40}}`` under the mask ``{{1, 0}, {0, 1}}`` gives 10, 40; the gradient of
    that output puts them back: ``{{10, 0}, {0, 40}}``."""
    ms = nn.MaskedSelect()
    mask = lg.ByteTensor([[1, 0], [0, 1]])
    input = lg.DoubleTensor([[10, 20], [30, 40]])
    out = ms.forward([input, mask])
    assert out.type() == 'torch.DoubleTensor' and out.tolist() == [10, 40]
    gradIn = ms.backward([input, mask], out)
    assert gradIn[0].tolist() == [[10, 0], [0, 40]]


def test_index_squeeze_are_the_tensor_methods():
    """Index and Squeeze: ``nn.Index(dim):forward{t, i}`` is ``t:index(dim, i)``; ``nn.Squeeze():forward(t)`` is
    ``t:squeeze()``."""
    t, i = lg.randn(3, 4), lg.LongTensor([2, 0])
    assert np.array_equal(nn.Index(1).forward([t, i]).numpy(), t.index(1, i).numpy())
    t = lg.randn(2, 1, 3, 1)
    assert nn.Squeeze().forward(t).size() == t.squeeze().size() == (2, 3)


def test_unsqueeze_examples():
    """Unsqueeze: of 2x4x3, ``Unsqueeze(1)`` 1x2x4x3, ``Unsqueeze(4)`` 2x4x3x1, ``Unsqueeze(2)`` 2x1x4x3, and of
    3x5x7 3x1x5x7; with numInputDims 3 on a batch of 5, ``Unsqueeze(4, 3)`` 5x2x4x3x1 and
    ``Unsqueeze(2):setNumInputDims(3)`` 5x2x1x4x3."""
    input = lg.Tensor(2, 4, 3)
    assert nn.Unsqueeze(0).forward(input).size() == (1, 2, 4, 3)
    assert nn.Unsqueeze(3).forward(input).size() == (2, 4, 3, 1)
    m = nn.Unsqueeze(1)
    assert m.forward(input).size() == (2, 1, 4, 3)
    assert m.forward(lg.Tensor(3, 5, 7)).size() == (3, 1, 5, 7)
    b = 5
    input = lg.Tensor(b, 2, 4, 3)
    numInputDims = 3
    assert nn.Unsqueeze(3, numInputDims).forward(input).size() == (b, 2, 4, 3, 1)
    assert nn.Unsqueeze(1).setNumInputDims(numInputDims).forward(input).size() == (b, 2, 1, 4, 3)


def test_transpose_examples():
    """Transpose: ``nn.Transpose({1,3})`` of a bx2x4x3 input is 4x2xbx3 (the doc's trailing "x 1" is a typo:
    Transpose.lua only swaps the two dimensions); with ``setNumInputDims(3)`` the dimensions count within a
    sample, giving bx3x4x2. The two-pair form is two ``transpose`` calls."""
    b = 5
    input = lg.Tensor(b, 2, 4, 3)
    assert nn.Transpose([0, 2]).forward(input).size() == (4, 2, b, 3)
    assert nn.Transpose([0, 2]).setNumInputDims(3).forward(input).size() == (b, 3, 4, 2)
    t = lg.randn(2, 3, 4, 5)
    want = t.transpose(0, 1).transpose(2, 3)
    assert np.array_equal(nn.Transpose([0, 1], [2, 3]).forward(t).numpy(), want.numpy())


def test_log_usage():
    """Log: ``y = log(x)``."""
    x = lg.rand(5) + 0.1
    assert np.allclose(nn.Log().forward(x).numpy(), np.log(x.numpy()))


def test_clamp_example():
    """Clamp: ``nn.Clamp(-0.1, 0.5)`` of a 2x5 draw (the doc's "size 3x5" under a printed 2x5 is a typo)."""
    A = lg.randn(2, 5)
    B = nn.Clamp(-0.1, 0.5).forward(A)
    assert B.size() == (2, 5) and np.array_equal(B.numpy(), np.clip(A.numpy(), -0.1, 0.5))


def test_normalize_examples():
    """Normalize: ``nn.Normalize(2)`` of 3x5 rows gives rows of L2 norm 1 (``torch.norm(B, 2, 2)``, here
    dimension 1); ``nn.Normalize(math.huge)`` divides each row by its largest absolute value."""
    A = lg.randn(3, 5)
    B = nn.Normalize(2).forward(A)
    assert B.size() == (3, 5) and np.allclose(lg.norm(B, 2, 1).numpy(), 1)
    A = lg.randn(3, 5)
    B = nn.Normalize(math.inf).forward(A)
    maxA = lg.abs(A).max(1)[0]
    assert np.allclose(B.numpy(), A.numpy() / maxA.numpy())


def test_mm_examples():
    """MM: ``nn.MM()`` of bxmxn and bxnxp is bxmxp; ``nn.MM(true, false)`` transposes A first (bxnxm)."""
    b, m, n, p = 2, 3, 4, 5
    A, B = lg.randn(b, m, n), lg.randn(b, n, p)
    C = nn.MM().forward([A, B])
    assert C.size() == (b, m, p) and np.allclose(C.numpy(), A.numpy() @ B.numpy())
    A = lg.randn(b, n, m)
    C = nn.MM(True, False).forward([A, B])
    assert C.size() == (b, m, p) and np.allclose(C.numpy(), A.numpy().transpose(0, 2, 1) @ B.numpy())


def test_batchnormalization_examples():
    """BatchNormalization: with and without learnable parameters, a bxm batch gives bxm, each column
    ``(x - mean) / sqrt(var + eps) * gamma + beta`` (the biased variance in training, eps 1e-5)."""
    b, m = 6, 4
    model = nn.BatchNormalization(m)
    A = lg.randn(b, m)
    C = model.forward(A)
    a = A.numpy()
    norm = (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5)
    assert C.size() == (b, m) and np.allclose(C.numpy(), norm * model.weight.numpy() + model.bias.numpy())
    model = nn.BatchNormalization(m, None, None, False)
    assert model.weight is None
    C = model.forward(A)
    assert C.size() == (b, m) and np.allclose(C.numpy(), norm)


def test_pixelshuffle_example():
    """PixelShuffle: the doc's super-resolution net (5x5 conv to 64, 3x3 to 32, 3x3 to 9 planes, PixelShuffle(3))
    takes 1x192x256 to 1x576x768; here 1x8x12 to 1x24x36 (the same layers, a smaller image: fast). PixelShuffle
    puts plane ``c*r*r + i*r + j`` at pixel ``(h*r + i, w*r + j)``."""
    upscaleFactor = 3
    inputChannels = 1
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(inputChannels, 64, 5, 5, 1, 1, 2, 2))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(64, 32, 3, 3, 1, 1, 1, 1))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(32, inputChannels * upscaleFactor * upscaleFactor, 3, 3, 1, 1, 1, 1))
    model.add(nn.PixelShuffle(upscaleFactor))
    input = lg.Tensor(1, 8, 12).uniform()
    out = model.forward(input)
    assert out.size() == (1, 24, 36)
    planes = model.get(4).output.numpy()
    want = planes.reshape(1, 3, 3, 8, 12).transpose(0, 3, 1, 4, 2).reshape(1, 24, 36)
    assert np.array_equal(out.numpy(), want)


def test_padding_examples():
    """Padding with value -1: Example 1 pads a 3-vector right by 2; Example 2 pads a 2x3 batch (nInputDim 1) left
    by 2; Example 3 (index 2, here 1) puts the two pads after the first element, as the doc's rows show."""
    assert nn.Padding(0, 2, 1, -1).forward(lg.Tensor([1, 2, 3])).tolist() == [1, 2, 3, -1, -1]
    x = lg.Tensor([[1, 2, 3], [4, 5, 6]])
    assert nn.Padding(0, -2, 1, -1).forward(x).tolist() == [[-1, -1, 1, 2, 3], [-1, -1, 4, 5, 6]]
    assert nn.Padding(0, -2, 1, -1, 1).forward(x).tolist() == [[1, -1, -1, 2, 3], [4, -1, -1, 5, 6]]


def test_l1penalty_example():
    """L1Penalty: the sparse autoencoder's code passes through unchanged, ``loss`` is ``l1weight * ||code||_1``
    and the code's gradient gains ``l1weight * sign(code)``."""
    l1weight = 0.1
    encoder = nn.Sequential()
    encoder.add(nn.Linear(3, 128))
    encoder.add(nn.Threshold())
    decoder = nn.Linear(128, 3)
    autoencoder = nn.Sequential()
    autoencoder.add(encoder)
    autoencoder.add(nn.L1Penalty(l1weight))
    autoencoder.add(decoder)
    criterion = nn.MSECriterion()
    x = lg.randn(3)
    out = autoencoder.forward(x)
    code = encoder.output.numpy()
    penalty = autoencoder.get(1)
    assert np.isclose(penalty.loss, l1weight * np.abs(code).sum())
    autoencoder.backward(x, criterion.backward(out, x))
    want = decoder.gradInput.numpy() + l1weight * np.sign(code)
    assert np.allclose(penalty.gradInput.numpy(), want)


def test_gradientreversal_usage():
    """GradientReversal: the input passes, the gradient is ``-lambda`` times gradOutput; ``setLambda``."""
    m = nn.GradientReversal()
    x, g = lg.randn(4), lg.randn(4)
    assert np.array_equal(m.forward(x).numpy(), x.numpy())
    assert np.allclose(m.backward(x, g).numpy(), -g.numpy())
    m.setLambda(0.5)
    assert np.allclose(m.backward(x, g).numpy(), -0.5 * g.numpy())


def test_temporaldynamickmaxpooling_usage():
    """TemporalDynamicKMaxPooling: ``k = max(minK, ceil(factor * nInputFrame))`` highest values per feature, kept
    in their order along the sequence."""
    x = lg.randn(6, 3)
    y = nn.TemporalDynamicKMaxPooling(2, 0.5).forward(x)
    k = max(2, math.ceil(0.5 * 6))
    a = x.numpy()
    idx = np.sort(np.argsort(-a, axis=0, kind='stable')[:k], axis=0)
    assert y.size() == (k, 3) and np.array_equal(y.numpy(), np.take_along_axis(a, idx, 0))


def test_constant_usage():
    """Constant: ``nn.ConcatTable():add(nn.Constant(v)):add(nn.Identity())`` appends v to the input; with
    nInputDim the value is replicated over the batch; the gradient is zeros like the input."""
    v = lg.Tensor([1, 2])
    x = lg.randn(3)
    out = nn.ConcatTable().add(nn.Constant(v)).add(nn.Identity()).forward(x)
    assert out[0].tolist() == [1, 2] and out[1] is x
    c = nn.Constant(v, 1)
    assert c.forward(lg.randn(3, 4)).tolist() == [[1, 2]] * 3
    assert c.backward(lg.randn(3, 4), lg.randn(3, 2)).tolist() == [[0] * 4] * 3


def test_whitenoise_usage():
    """WhiteNoise: training adds N(mean, stdev) noise (defaults 0, 0.1); the gradient passes as is; evaluation
    adds the mean."""
    m = nn.WhiteNoise()
    x = lg.zeros(20000)
    noise = m.forward(x).numpy()
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.1) < 0.01
    g = lg.randn(20000)
    assert np.array_equal(m.backward(x, g).numpy(), g.numpy())
    m = nn.WhiteNoise(0.5, 0.1)
    m.evaluate()
    assert np.allclose(m.forward(lg.zeros(3)).numpy(), 0.5)


def test_onehot_examples():
    """OneHot: ``nn.OneHot(5)`` of index 3 (here 2) is ``0 0 1 0 0``; of ``{3, 2, 1}`` (a DoubleTensor works)
    three rows; of a 2x3 of indices a 2x3x5."""
    module = nn.OneHot(5)
    out = module.forward(lg.LongTensor([2]))
    assert out.type() == 'torch.DoubleTensor' and out.tolist() == [[0, 0, 1, 0, 0]]
    assert module.forward(lg.Tensor([2, 1, 0])).tolist() == [[0, 0, 1, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]
    out = module.forward(lg.Tensor([[2, 1, 0], [0, 1, 2]]))
    assert out.size() == (2, 3, 5)
    assert out[1].tolist() == [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0]]


def test_printsize_usage(capsys):
    """PrintSize: prints the input's size in forward and the gradOutput's in backward after its name, as
    PrintSize.lua's ``print(self.prefix..":input\n", input:size())`` writes them (a tab, then the LongStorage);
    the default name is "PrintSize"."""
    m = nn.PrintSize('here')
    x = lg.randn(2, 3)
    assert m.forward(x) is x
    m.backward(x, lg.randn(2, 3))
    nn.PrintSize().forward(lg.randn(4))
    printed = capsys.readouterr().out
    assert printed == ('here:input\n\t 2\n 3\n[legonn.LongStorage of size 2]\n'
                       'here:gradOutput\n\t 2\n 3\n[legonn.LongStorage of size 2]\n'
                       'PrintSize:input\n\t 4\n[legonn.LongStorage of size 1]\n')


def test_zerograd_example():
    """ZeroGrad: forward gives ``{1, 2}``, backward of ``{3, 4}`` gives zeros."""
    module = nn.ZeroGrad()
    input = lg.Tensor([1, 2])
    gradOutput = lg.Tensor([3, 4])
    assert module.forward(input).tolist() == [1, 2]
    assert module.backward(input, gradOutput).tolist() == [0, 0]


def test_collapse_is_a_view_minus_one():
    """Collapse: ``nn.Collapse(nInputDim)`` is ``nn.View(-1):setNumInputDims(nInputDim)``."""
    x = lg.randn(2, 3, 4, 5)
    a = nn.Collapse(3).forward(x)
    b = nn.View(-1).setNumInputDims(3).forward(x)
    assert a.size() == b.size() == (2, 60) and np.array_equal(a.numpy(), b.numpy())


def test_convert_examples():
    """Convert: ``Convert('bchw', 'bf')`` and ``Convert('chw', 'f')`` flatten a 3x2x3x1 batch to 3x6;
    ``Convert('chw', 'hwc')`` of a 1x2x3x2 whose planes are 1s and 2s gives 1x3x2x2 of ``1 2`` rows; a bare
    ``nn.Convert()`` casts a FloatTensor to the module's type (Double)."""
    x = lg.randn(3, 2, 3, 1)
    for module in (nn.Convert('bchw', 'bf'), nn.Convert('chw', 'f')):
        out = module.forward(x)
        assert out.size() == (3, 6) and np.array_equal(out.numpy(), x.numpy().reshape(3, 6))
    module = nn.Convert('chw', 'hwc')
    input = lg.randn(1, 2, 3, 2)
    input.select(1, 0).fill(1)
    input.select(1, 1).fill(2)
    out = module.forward(input)
    assert out.size() == (1, 3, 2, 2) and out.tolist() == [[[[1, 2], [1, 2]]] * 3]
    module = nn.Convert()
    assert module.output.type() == 'torch.DoubleTensor' and module.output.nElement() == 0
    out = module.forward(lg.FloatTensor([1, 2, 3]))
    assert out.type() == 'torch.DoubleTensor' and out.tolist() == [1, 2, 3]


@pytest.mark.parametrize('make, shape, spatial', [
    (nn.SpatialDropout, (3, 4, 5), 2), (nn.SpatialDropout, (2, 3, 4, 5), 2),
    (nn.VolumetricDropout, (3, 2, 4, 5), 3), (nn.VolumetricDropout, (2, 3, 2, 4, 5), 3),
], ids=['Spatial-3D', 'Spatial-4D', 'Volumetric-4D', 'Volumetric-5D'])
def test_spatial_and_volumetric_dropout(make, shape, spatial):
    """SpatialDropout and VolumetricDropout: one Bernoulli trial per feature map (the 2 or 3 right-most dimensions
    share it), on 3-D/4-D and 4-D/5-D inputs. Unlike Dropout (v2) they keep a map unscaled in training and multiply
    by ``1 - p`` in evaluation (SpatialDropout.lua's updateOutput)."""
    m = make(0.25)
    x = lg.ones(*shape)
    out = m.forward(x).numpy()
    maps = out.reshape(out.shape[:-spatial] + (-1,))
    assert np.all((maps == 0) | (maps == 1))
    assert np.all(maps.min(-1) == maps.max(-1))
    m.evaluate()
    assert np.allclose(m.forward(x).numpy(), 0.75)


def test_replicate_dim_and_ndim():
    """Replicate's description: ``nFeature`` copies along ``dim`` (default the first) by a zero stride, no copy;
    ``ndim`` (non-batch dimensions) makes a batch replicate the same dimension of each sample."""
    x = lg.randn(2, 3)
    out = nn.Replicate(4, 1).forward(x)
    assert out.size() == (2, 4, 3) and out.stride(1) == 0 and out.storage() is x.storage()
    assert nn.Replicate(4, 0, 1).forward(lg.randn(5, 3)).size() == (5, 4, 3)
    assert nn.Replicate(4, 0, 1).forward(lg.randn(3)).size() == (4, 3)


def test_reshape_batch_mode_true_keeps_a_batch_of_one():
    """Reshape's description: ``batchMode`` true keeps the first dimension as the batch (a batch of one);
    the default treats an input with more elements than the sizes as a batch."""
    assert nn.Reshape(3, True).forward(lg.randn(1, 3)).size() == (1, 3)
    assert nn.Reshape(3).forward(lg.randn(2, 3)).size() == (2, 3)
    assert nn.Reshape(6).forward(lg.randn(2, 3)).size() == (6,)


def test_squeeze_dim_and_num_input_dims():
    """Squeeze([dim, numInputDims]): only that dimension, counted within a sample when the input is a batch."""
    assert nn.Squeeze(1, 2).forward(lg.randn(4, 3, 1)).size() == (4, 3)
    assert nn.Squeeze(1, 2).forward(lg.randn(3, 1)).size() == (3,)
    assert nn.Squeeze(0).forward(lg.randn(1, 3, 1)).size() == (3, 1)
