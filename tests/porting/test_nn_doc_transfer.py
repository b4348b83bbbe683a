"""torch/nn's doc/transfer.md, every example ported by docs/porting.md's rules: each transfer function's forward
``oo = m:forward(ii)`` and backward ``gi = m:backward(ii, go)`` checked against the doc's formula in float64
NumPy, and its gnuplot lines run (into an SVG file: no screen here)."""
import numpy as np
import pytest

import legonn as lg
from legonn import gnuplot, nn

pytestmark = pytest.mark.usefixtures('double_default')


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _plot(path, *curves):
    """The doc's ``gnuplot.plot(...)``, ``gnuplot.grid(true)``, drawn into ``path``."""
    gnuplot.svgfigure(str(path))
    gnuplot.plot(*curves)
    gnuplot.grid(True)
    gnuplot.plotflush()
    gnuplot.close()
    assert path.stat().st_size > 0


# (section, module factory, linspace bounds, f, df): the doc's ii = torch.linspace(lo, hi), go = torch.ones(100)
PLOTTED = [
    ('HardTanh', lambda: nn.HardTanh(), (-2, 2), lambda x: np.clip(x, -1, 1), lambda x: (np.abs(x) < 1) * 1.0),
    ('HardShrink', lambda: nn.HardShrink(0.85), (-2, 2), lambda x: np.where(np.abs(x) > 0.85, x, 0),
     lambda x: (np.abs(x) > 0.85) * 1.0),
    ('SoftShrink', lambda: nn.SoftShrink(0.85), (-2, 2),
     lambda x: np.where(x > 0.85, x - 0.85, np.where(x < -0.85, x + 0.85, 0)), lambda x: (np.abs(x) > 0.85) * 1.0),
    ('SoftPlus', lambda: nn.SoftPlus(), (-3, 3), lambda x: np.log1p(np.exp(x)), sigmoid),
    ('SoftSign', lambda: nn.SoftSign(), (-5, 5), lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    ('Sigmoid', lambda: nn.Sigmoid(), (-5, 5), sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x))),
    ('Tanh', lambda: nn.Tanh(), (-3, 3), np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    ('ReLU', lambda: nn.ReLU(), (-3, 3), lambda x: np.maximum(0, x), lambda x: (x > 0) * 1.0),
    ('ReLU6', lambda: nn.ReLU6(), (-3, 9), lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)) * 1.0),
    ('PReLU', lambda: nn.PReLU(), (-3, 3), lambda x: np.maximum(0, x) + 0.25 * np.minimum(0, x),
     lambda x: np.where(x > 0, 1, 0.25)),
]


@pytest.mark.parametrize('section, make, bounds, f, df', PLOTTED, ids=[c[0] for c in PLOTTED])
def test_plotted_transfer_functions(section, make, bounds, f, df, tmp_path):
    """HardTanh, HardShrink(0.85), SoftShrink(0.85), SoftPlus, SoftSign, Sigmoid, Tanh, ReLU, ReLU6, PReLU (whose
    single shared slope starts at 0.25): f and df/dx over the doc's linspace of 100 points."""
    ii = lg.linspace(*bounds)
    m = make()
    oo = m.forward(ii)
    go = lg.ones(100)
    gi = m.backward(ii, go)
    x = ii.numpy()
    assert np.allclose(oo.numpy(), f(x)) and np.allclose(gi.numpy(), df(x))
    _plot(tmp_path / 'f.svg', ['f(x)', ii, oo, '+-'], ['df/dx', ii, gi, '+-'])


@pytest.mark.parametrize('make, ref', [(nn.SoftMax, lambda x: softmax(x)), (nn.SoftMin, lambda x: softmax(-x))],
                         ids=['SoftMax', 'SoftMin'])
def test_softmax_and_softmin(make, ref, tmp_path):
    """SoftMax and SoftMin of ``torch.exp(torch.abs(torch.randn(10)))``: ``exp(x_i - shift) / sum_j exp(x_j -
    shift)`` (SoftMin of -x), in (0, 1) and summing to 1; plotted against their positions."""
    ii = lg.exp(lg.abs(lg.randn(10)))
    m = make()
    oo = m.forward(ii)
    assert np.allclose(oo.numpy(), ref(ii.numpy())) and np.isclose(oo.sum(), 1) and (oo.numpy() > 0).all()
    _plot(tmp_path / 'f.svg', ['Input', ii, '+-'], ['Output', oo, '+-'])


def test_logsigmoid(tmp_path):
    """LogSigmoid of randn(10): ``log(1 / (1 + exp(-x)))``; its gradient for ones is ``1 - sigmoid(x)``."""
    ii = lg.randn(10)
    m = nn.LogSigmoid()
    oo = m.forward(ii)
    go = lg.ones(10)
    gi = m.backward(ii, go)
    x = ii.numpy()
    assert np.allclose(oo.numpy(), np.log(1 / (1 + np.exp(-x)))) and np.allclose(gi.numpy(), 1 - sigmoid(x))
    _plot(tmp_path / 'f.svg', ['Input', ii, '+-'], ['Output', oo, '+-'], ['gradInput', gi, '+-'])


def test_logsoftmax(tmp_path):
    """LogSoftMax of randn(10): ``log(exp(x_i) / a)``, ``a = sum_j exp(x_j)``; the gradient of ones is
    ``1 - 10 softmax(x)``."""
    ii = lg.randn(10)
    m = nn.LogSoftMax()
    oo = m.forward(ii)
    go = lg.ones(10)
    gi = m.backward(ii, go)
    x = ii.numpy()
    assert np.allclose(oo.numpy(), np.log(np.exp(x) / np.exp(x).sum()))
    assert np.allclose(gi.numpy(), 1 - 10 * softmax(x))
    _plot(tmp_path / 'f.svg', ['Input', ii, '+-'], ['Output', oo, '+-'], ['gradInput', gi, '+-'])


def test_relu_inplace():
    """ReLU: ``nn.ReLU(true)`` writes into its input."""
    f = nn.ReLU(True)
    x = lg.Tensor([-1, 2])
    assert f.forward(x).isSetTo(x) and x.tolist() == [0, 2]   # the output views the input
    f = nn.ReLU6(True)
    x = lg.Tensor([-1, 7])
    assert f.forward(x).isSetTo(x) and x.tolist() == [0, 6]


def test_prelu_per_plane_slopes():
    """PReLU: ``nn.PReLU(nOutputPlane)`` has one slope per input map (plane dimension 1 of a batch)."""
    f = nn.PReLU(3)
    assert f.weight.size() == (3,)
    f.weight.copy(lg.Tensor([0.1, 0.2, 0.3]))
    x = lg.randn(2, 3, 4)
    a = np.array([0.1, 0.2, 0.3]).reshape(1, 3, 1)
    assert np.allclose(f.forward(x).numpy(), np.maximum(0, x.numpy()) + a * np.minimum(0, x.numpy()))


def test_rrelu_example(tmp_path):
    """RReLU: in training each negative input is scaled by ``a ~ U(1/8, 1/3)``, the gradient is that factor
    (1 for positive inputs); in evaluation ``a = (l + u) / 2``."""
    ii = lg.linspace(-3, 3)
    m = nn.RReLU()
    oo = m.forward(ii).clone()
    gi = m.backward(ii, lg.ones(100))
    x, a = ii.numpy(), gi.numpy()
    assert np.allclose(oo.numpy(), x * a)
    assert (a[x > 0] == 1).all() and ((a[x < 0] >= 1 / 8) & (a[x < 0] <= 1 / 3)).all()
    _plot(tmp_path / 'f.svg', ['f(x)', ii, oo, '+-'], ['df/dx', ii, gi, '+-'])
    m.evaluate()
    mean = (1 / 8 + 1 / 3) / 2
    assert np.allclose(m.forward(ii).numpy(), np.where(x > 0, x, mean * x))


def test_crelu_example():
    """CReLU: ``nn.CReLU(3)`` of 2x3x20x20 gives 2x6x20x20, of 3x20x20 gives 6x20x20: ``concat(max(0, x),
    max(0, -x))`` along the first non-batch dimension."""
    crelu = nn.CReLU(3)
    input = lg.Tensor(2, 3, 20, 20).uniform(-1, 1)
    output = crelu.forward(input)
    x = input.numpy()
    assert output.size() == (2, 6, 20, 20)
    assert np.array_equal(output.numpy(), np.concatenate([np.maximum(0, x), np.maximum(0, -x)], 1))
    input = lg.Tensor(3, 20, 20).uniform(-1, 1)
    assert crelu.forward(input).size() == (6, 20, 20)


def test_elu_example(tmp_path):
    """ELU: ``max(0, x) + min(0, alpha (exp(x) - 1))`` for alpha 0.1 and 1.0 over 200 points; the gradient below
    zero is ``alpha exp(x)``."""
    xs = lg.linspace(-3, 3, 200)
    go = lg.ones(xs.size(0))

    def f(a):
        return nn.ELU(a).forward(xs)

    def df(a):
        m = nn.ELU(a)
        m.forward(xs)
        return m.backward(xs, go)

    x = xs.numpy()
    for a in (0.1, 1.0):
        assert np.allclose(f(a).numpy(), np.maximum(0, x) + np.minimum(0, a * (np.exp(x) - 1)))
        assert np.allclose(df(a).numpy(), np.where(x > 0, 1, a * np.exp(x)))
    _plot(tmp_path / 'f.svg', ['fw ELU, alpha = 0.1', xs, f(0.1), '-'], ['fw ELU, alpha = 1.0', xs, f(1.0), '-'],
          ['bw ELU, alpha = 0.1', xs, df(0.1), '-'], ['bw ELU, alpha = 1.0', xs, df(1.0), '-'])


def test_leakyrelu():
    """LeakyReLU: ``max(0, x) + negval min(0, x)``; ``nn.LeakyReLU(negval, true)`` works in place."""
    x = lg.randn(10)
    want = np.maximum(0, x.numpy()) + 0.2 * np.minimum(0, x.numpy())
    assert np.allclose(nn.LeakyReLU(0.2).forward(x).numpy(), want)
    f = nn.LeakyReLU(0.2, True)
    assert f.forward(x).isSetTo(x) and np.allclose(x.numpy(), want)


def test_gatedlinearunit():
    """GatedLinearUnit: ``x1 * sigmoid(x2)`` of the two halves of the last dimension, or of ``dim``."""
    x = lg.randn(3, 4)
    a = x.numpy()
    assert np.allclose(nn.GatedLinearUnit().forward(x).numpy(), a[:, :2] * sigmoid(a[:, 2:]))
    x = lg.randn(4, 3)
    a = x.numpy()
    assert np.allclose(nn.GatedLinearUnit(0).forward(x).numpy(), a[:2] * sigmoid(a[2:]))


def test_spatialsoftmax_and_spatiallogsoftmax_examples():
    """SpatialSoftMax and SpatialLogSoftMax of a 4x8x16x16 batch: the (log-)softmax over the 8 features at each
    pixel."""
    ii = lg.randn(4, 8, 16, 16)
    oo = nn.SpatialSoftMax().forward(ii)
    assert oo.size() == (4, 8, 16, 16) and np.allclose(oo.numpy(), softmax(ii.numpy(), 1))
    oo = nn.SpatialLogSoftMax().forward(ii)
    assert np.allclose(oo.numpy(), np.log(softmax(ii.numpy(), 1)))


@pytest.mark.parametrize('make, f', [(nn.AddConstant, lambda x: x + 3), (nn.MulConstant, lambda x: 3 * x)],
                         ids=['AddConstant', 'MulConstant'])
def test_constant_transfers_in_place_restore_the_input(make, f):
    """AddConstant and MulConstant: ``x + k`` and ``k * x``; in place (``(k, true)``) the output views the
    input (``self.output:set(input)``), which the backward pass restores."""
    x = lg.randn(5)
    before = x.numpy().copy()
    assert np.allclose(make(3).forward(x).numpy(), f(before))
    m = make(3, True)
    out = m.forward(x)
    assert out.isSetTo(x) and np.allclose(x.numpy(), f(before))
    m.backward(x, lg.ones(5))
    assert np.allclose(x.numpy(), before)
