"""MSE, ClassNLL, CrossEntropy and BCE criterions: numeric gradients, closed-form references, types,
GPU twins, and bad targets named by the criterion."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

RNG = np.random.default_rng(0)


def log_softmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _probs(shape, seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape)


# name -> (factory, input maker (shape -> array), target maker (shape -> array), NumPy loss reference)
W5 = np.array([0.5, 2.0, 1.0, 0.25, 3.0])


def nll_ref(x, t, w=None, avg=True):
    x2, t1 = x.reshape(-1, x.shape[-1]), t.reshape(-1)
    w = np.ones(x.shape[-1]) if w is None else w
    picked = -x2[np.arange(len(t1)), t1] * w[t1]
    return picked.sum() / (w[t1].sum() if avg else 1)


def bce_ref(x, t, w=None, avg=True):
    eps = 1e-12
    terms = -(t * np.log(x + eps) + (1 - t) * np.log(1 - x + eps)) * (1 if w is None else w)
    return terms.sum() / (x.size if avg else 1)


def labels(shape, seed=1):
    rows = shape[0] if len(shape) == 2 else 1
    return np.random.default_rng(seed).integers(0, shape[-1], rows)


CASES = {
    'MSE': (lambda: nn.MSECriterion(), np.random.default_rng(2).standard_normal,
            lambda s: np.random.default_rng(3).standard_normal(s), lambda x, t: ((x - t) ** 2).mean()),
    'MSE-sum': (lambda: nn.MSECriterion(False), np.random.default_rng(2).standard_normal,
                lambda s: np.random.default_rng(3).standard_normal(s), lambda x, t: ((x - t) ** 2).sum()),
    'ClassNLL': (lambda: nn.ClassNLLCriterion(), lambda s: log_softmax(np.random.default_rng(4).standard_normal(s)),
                 labels, nll_ref),
    'ClassNLL-weights-sum': (lambda: nn.ClassNLLCriterion(lg.Tensor(W5), False),
                             lambda s: log_softmax(np.random.default_rng(4).standard_normal(s)), labels,
                             lambda x, t: nll_ref(x, t, W5, False)),
    'ClassNLL-weights': (lambda: nn.ClassNLLCriterion(W5), lambda s: np.random.default_rng(5).standard_normal(s),
                         labels, lambda x, t: nll_ref(x, t, W5)),
    'CrossEntropy': (lambda: nn.CrossEntropyCriterion(), np.random.default_rng(6).standard_normal, labels,
                     lambda x, t: nll_ref(log_softmax(x), t)),
    'CrossEntropy-weights': (lambda: nn.CrossEntropyCriterion(W5), np.random.default_rng(6).standard_normal,
                             labels, lambda x, t: nll_ref(log_softmax(x), t, W5)),
    'BCE': (lambda: nn.BCECriterion(), _probs, lambda s: (_probs(s, 7) > 0.5) * 1.0, bce_ref),
    'BCE-soft-weights-sum': (lambda: nn.BCECriterion(lg.Tensor(W5), False), _probs, lambda s: _probs(s, 8),
                             lambda x, t: bce_ref(x, t, W5, False)),
}
IDS = sorted(CASES)
SHAPES = [(5,), (4, 5)]


def _data(name, shape):
    _, make_x, make_t, _ = CASES[name]
    return make_x(shape), make_t(shape)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('name', IDS)
def test_gradient_matches_finite_differences(name, shape):
    c = CASES[name][0]().double()
    x, t = _data(name, shape)
    assert nn.Jacobian.testCriterion(c, lg.DoubleTensor(x), t) < 1e-6


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('name', IDS)
def test_loss_matches_numpy_reference(name, shape):
    make, _, _, ref = CASES[name]
    c = make().double()
    x, t = _data(name, shape)
    assert c.forward(x, t) == pytest.approx(ref(x, t), rel=1e-12)
    assert c.output == pytest.approx(ref(x, t), rel=1e-12)
    assert c.backward(x, t).size() == shape


@pytest.mark.parametrize('name', IDS)
def test_type_roundtrip(name):
    c = CASES[name][0]()
    x, t = _data(name, (4, 5))
    t_float = t.astype(np.float32) if t.dtype.kind == 'f' else t
    loss32 = c.float().forward(x.astype(np.float32), t_float)
    g32 = c.backward(x.astype(np.float32), t_float)
    assert g32.type() == 'legonn.FloatTensor'
    c.double()
    assert c.type() == 'legonn.DoubleTensor'
    for held in vars(c).values():
        if isinstance(held, lg.Tensor) and held.dtype.kind == 'f':
            assert held.type() == 'legonn.DoubleTensor'
    assert c.forward(x, t) == pytest.approx(loss32, rel=1e-5)
    g64 = c.backward(x, t)
    assert g64.type() == 'legonn.DoubleTensor'
    np.testing.assert_allclose(g64.numpy(), g32.numpy(), rtol=1e-4, atol=1e-6)
    assert c.float().type() == 'legonn.FloatTensor'


@pytest.mark.gpu
@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('name', IDS)
def test_gpu_matches_cpu(name, shape):
    c = CASES[name][0]().double()
    g = CASES[name][0]().cudaDouble()
    x, t = _data(name, shape)
    tg = lg.as_tensor(t).cudaDouble() if t.dtype.kind == 'f' else lg.LongTensor(t).cudaLong()
    xg = lg.DoubleTensor(x).cudaDouble()
    assert g.forward(xg, tg) == pytest.approx(c.forward(x, t), rel=1e-10)
    gi = g.backward(xg, tg)
    assert gi.is_cuda
    np.testing.assert_allclose(gi.array.get(), c.backward(x, t).numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize('cls', [nn.ClassNLLCriterion, nn.CrossEntropyCriterion])
def test_label_errors_name_the_criterion(cls):
    c, name = cls(), cls.__name__
    x = lg.randn(3, 4)
    with pytest.raises(ValueError, match=f'{name}: expected whole-number class labels.*legonn.DoubleTensor'):
        c.forward(x, np.array([0.0, 1.5, 2.0]))
    with pytest.raises(IndexError, match=rf'{name}: expected labels in \[0, 4\) \(0-based\), got labels in \[0, 4\]'):
        c.forward(x, np.array([0, 4, 1]))
    with pytest.raises(IndexError, match=f'{name}: expected labels in'):
        c.backward(x, [-1, 0, 1])
    with pytest.raises(ValueError, match=rf'{name}: expected 3 labels \(one per input row\), got labels of size'):
        c.forward(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=rf'{name}: expected 3 labels'):
        c.forward(x, np.zeros((3, 4), np.int64))  # one-hot rows are not labels
    with pytest.raises(ValueError, match=f'{name}: expected a 1-D or 2-D input'):
        c.forward(lg.randn(2, 3, 4), np.array([0, 1]))


def test_labels_as_ints_lists_and_arrays():
    c = nn.ClassNLLCriterion().double()
    x = log_softmax(RNG.standard_normal((3, 4)))
    expected = nll_ref(x, np.array([2, 0, 3]))
    for t in ([2, 0, 3], (2, 0, 3), np.array([2, 0, 3], np.int32), lg.LongTensor([2, 0, 3]),
              np.array([[2], [0], [3]])):
        assert c.forward(x, t) == pytest.approx(expected)
    assert c.forward(x[0], 1) == pytest.approx(-x[0, 1])  # a 1-D input takes a single int


def test_classnll_gradient_is_the_scaled_one_hot():
    c = nn.ClassNLLCriterion(W5).double()
    x = RNG.standard_normal((3, 5))
    gi = c.backward(x, [4, 1, 4]).numpy()
    expected = np.zeros((3, 5))
    expected[[0, 1, 2], [4, 1, 4]] = -W5[[4, 1, 4]] / W5[[4, 1, 4]].sum()
    np.testing.assert_allclose(gi, expected)


def test_crossentropy_equals_logsoftmax_then_classnll():
    x, t = RNG.standard_normal((6, 5)), RNG.integers(0, 5, 6)
    ce = nn.CrossEntropyCriterion().double()
    lsm, nll = nn.LogSoftMax().double(), nn.ClassNLLCriterion().double()
    assert ce.forward(x, t) == pytest.approx(nll.forward(lsm.forward(x), t), rel=1e-12)
    np.testing.assert_allclose(ce.backward(x, t).numpy(), lsm.backward(x, nll.backward(lsm.output, t)).numpy())
    ce.sizeAverage = False
    assert ce.forward(x, t) == pytest.approx(6 * nll.forward(lsm.forward(x), t), rel=1e-12)


def test_target_shape_and_type_errors():
    x = lg.rand(3, 4)
    with pytest.raises(ValueError, match=r'MSECriterion: expected a target of 12 elements .*got size \(3, 3\)'):
        nn.MSECriterion().forward(x, lg.rand(3, 3))
    with pytest.raises(TypeError, match=r'MSECriterion: expected a legonn.FloatTensor target'):
        nn.MSECriterion().forward(x, lg.rand(3, 4).double())
    assert nn.MSECriterion().forward(lg.rand(4, 1), lg.rand(4)) >= 0  # same element count is accepted
    with pytest.raises(ValueError, match=r'BCECriterion: expected a target of 12 elements'):
        nn.BCECriterion().forward(x, lg.rand(12, 2))
    with pytest.raises(ValueError, match=r'BCECriterion: expected probabilities in \[0, 1\]'):
        nn.BCECriterion().forward(x * 3 - 1, lg.rand(3, 4))
    with pytest.raises(ValueError, match=r'BCECriterion: expected a 2-D target of 5 columns'):
        nn.BCECriterion(W5).forward(x, lg.rand(3, 4))
    with pytest.raises(ValueError, match=r'ClassNLLCriterion: 5 class weights for an input of 4 classes'):
        nn.ClassNLLCriterion(W5).forward(x, [0, 1, 2])
    with pytest.raises(TypeError, match=r'MSECriterion: expected a tensor input, got a list'):
        nn.MSECriterion().forward([x], x)


@pytest.mark.parametrize('make', [lambda: nn.ClassNLLCriterion(np.ones((2, 2))),
                                  lambda: nn.BCECriterion(np.array([1, 2]))])
def test_bad_weights_fail_at_construction(make):
    with pytest.raises(ValueError, match='weights must be a 1-D floating tensor'):
        make()


def test_gradient_buffer_reused_and_cleared():
    c = nn.CrossEntropyCriterion()
    x, t = lg.randn(4, 5), [0, 1, 2, 3]
    c.forward(x, t)
    g = c.backward(x, t)
    data = g.storage().data
    c.forward(x, t)
    assert c.backward(x, t).storage().data is data
    c.clearState()
    assert c.lsm.output.nElement() == 0
    assert repr(c) == 'nn.CrossEntropyCriterion'


@pytest.mark.gpu
def test_labels_on_the_cpu_are_refused_by_a_cuda_criterion():
    criterion, x, labels = nn.ClassNLLCriterion().cuda(), lg.randn(3, 4).cuda(), lg.LongTensor([0, 1, 2])
    with pytest.raises(TypeError, match=r"ClassNLLCriterion.*expected a legonn\.CudaTensor target \(the module's "
                                        r"type\), got legonn\.LongTensor"):
        criterion.forward(x, labels)
    with pytest.raises(TypeError, match=r"ClassNLLCriterion.*expected labels on the input's device \(GPU\), got "
                                        r"legonn\.LongTensor"):
        criterion.updateOutput(x, labels)   # Torch7 code calls it directly too


def test_calling_a_criterion_runs_forward_and_backward_as_criterion_lua():
    crit = nn.ClassNLLCriterion()
    x = lg.DoubleTensor([[-0.1, -2.4], [-1.9, -0.2]])
    loss, grad = crit(x, [0, 1])
    assert loss == pytest.approx(0.15) and grad is crit.gradInput
    np.testing.assert_allclose(grad.array, [[-0.5, 0], [0, -0.5]])


def test_bce_saturated_probabilities_match_thnn():
    """nn/lib/THNN/generic/BCECriterion.c: each term is ``log(x + EPS) * y + log(1. - x + EPS) * (1. - y)``
    with EPS a C double, and the gradient ``-norm * (y - x) / ((1. - x + EPS) * (x + EPS))``. At x = 1,
    ``(1 - x) + EPS`` is exactly 1e-12 (not ``(1 + 1e-12) - 1``), and a FloatTensor's terms are double
    expressions, so saturated probabilities give finite numbers in both types."""
    eps = 1e-12
    x = np.array([[1.0, 0.0, 0.9999999, 1e-9], [1.0, 0.0, 0.5, 0.25]])
    y = np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0, 0.0]])
    w = np.array([0.5, 2.0, 1.0, 0.25])
    for avg in (True, False):
        for weights in (None, w):
            total = 0.0
            for xi, yi, wi in zip(x.ravel(), y.ravel(), np.tile(w if weights is not None else np.ones(4), 2)):
                total -= (np.log(xi + eps) * yi + np.log(1. - xi + eps) * (1. - yi)) * wi
            norm = 1. / x.size if avg else 1.
            grad = -norm * (y - x) / ((1. - x + eps) * (x + eps)) * (1 if weights is None else weights)
            crit = nn.BCECriterion(None if weights is None else lg.DoubleTensor(weights), avg).double()
            loss = crit.forward(lg.DoubleTensor(x), lg.DoubleTensor(y))
            assert loss == pytest.approx(total / x.size if avg else total, rel=1e-15)
            np.testing.assert_allclose(crit.backward(lg.DoubleTensor(x), lg.DoubleTensor(y)).numpy(), grad,
                                       rtol=1e-15)
            # the float path: finite, and Torch7's numbers to float32 precision
            crit32 = nn.BCECriterion(None if weights is None else lg.FloatTensor(weights), avg).float()
            x32, y32 = lg.FloatTensor(x.astype(np.float32)), lg.FloatTensor(y)
            loss32 = crit32.forward(x32, y32)
            assert isinstance(loss32, float) and np.isfinite(loss32)
            grad32 = crit32.backward(x32, y32)
            assert grad32.type() == 'torch.FloatTensor' and np.isfinite(grad32.numpy()).all()
            x64 = x.astype(np.float32).astype(np.float64)
            expected = -(np.log(x64 + eps) * y + np.log(1. - x64 + eps) * (1. - y))
            expected = (expected * (1 if weights is None else weights)).sum() * norm
            assert loss32 == pytest.approx(expected, rel=1e-6)


def test_classnll_gradient_as_thnn_writes_it():
    """nn/lib/THNN/generic/ClassNLLCriterion.c (updateGradInput): nothing is written when the total weight is
    not positive; a 2-D input's entry is -(weights[t]) divided by the total weight with sizeAverage; a 1-D
    input's is -weights[t] without sizeAverage and -1 with it."""
    w = np.array([0.1, 1.3, 2.9])
    x = np.array([[-1.2, -0.4, -2.0], [-0.3, -1.1, -0.9], [-0.7, -2.2, -0.5]])
    t = np.array([0, 1, 2])
    total = w[t].sum()                                   # 0.1 + 1.3 + 2.9: w * (-1 / total) != -w / total
    crit = nn.ClassNLLCriterion(lg.DoubleTensor(w)).double()
    crit.forward(lg.DoubleTensor(x), lg.LongTensor(t))
    expected = np.zeros((3, 3))
    expected[[0, 1, 2], t] = -w[t] / total
    assert (crit.backward(lg.DoubleTensor(x), lg.LongTensor(t)).numpy() == expected).all()
    # a negative total weight: the loss is divided by it, the gradient left at zero
    signed = nn.ClassNLLCriterion(lg.DoubleTensor([1.0, -1.0, 2.0])).double()
    labels = lg.LongTensor([1, 1])
    assert signed.forward(lg.DoubleTensor(x[:2]), labels) == pytest.approx((x[0, 1] + x[1, 1]) / -2, rel=1e-15)
    assert (signed.backward(lg.DoubleTensor(x[:2]), labels).numpy() == 0).all()
    # 1-D: -1 with sizeAverage (whatever the weight), -weights[t] without
    for avg, value in ((True, -1.0), (False, -0.7)):
        one = nn.ClassNLLCriterion(lg.DoubleTensor([0.3, 0.7, 4.9]), avg).double()
        one.forward(lg.DoubleTensor(x[0]), 1)
        assert one.backward(lg.DoubleTensor(x[0]), 1).numpy().tolist() == [0.0, value, 0.0]


@pytest.mark.parametrize('make', [lambda w: nn.ClassNLLCriterion(w), lambda w: nn.BCECriterion(w),
                                  lambda w: nn.SpatialClassNLLCriterion(w), lambda w: nn.CrossEntropyCriterion(w)])
def test_constructor_weights_tensor_is_kept_as_given(make):
    """nn/ClassNLLCriterion.lua, BCECriterion.lua, SpatialClassNLLCriterion.lua (and CrossEntropyCriterion.lua
    through its ClassNLLCriterion): ``self.weights = weights``, the tensor itself. DoubleTensor weights under
    the default FloatTensor type keep their digits (no round trip through float32), and the criterion holds
    the caller's tensor."""
    w = lg.DoubleTensor([0.1, 1.3, 2.9])
    crit = make(w)
    held = crit.nll.weights if isinstance(crit, nn.CrossEntropyCriterion) else crit.weights
    assert held is w
    crit.double()
    held = crit.nll.weights if isinstance(crit, nn.CrossEntropyCriterion) else crit.weights
    assert held.numpy().tolist() == [0.1, 1.3, 2.9]


def test_bce_takes_inputs_of_any_rank():
    """nn/BCECriterion.lua asserts only input:nElement() == target:nElement() and THNN's BCECriterion.c runs over
    the elements, so a (batch, 1, H, W) mask of probabilities is a valid input (without weights; with them
    the Lua file views the weights as one row of a 2-D target, or pairs them with a 1-D target's elements)."""
    rng = np.random.default_rng(4)
    x = rng.uniform(0.05, 0.95, (2, 1, 3, 3))
    t = (rng.uniform(size=(2, 1, 3, 3)) > 0.5) * 1.0
    crit = nn.BCECriterion().double()
    assert crit.forward(lg.DoubleTensor(x), lg.DoubleTensor(t)) == pytest.approx(bce_ref(x, t), rel=1e-14)
    grad = crit.backward(lg.DoubleTensor(x), lg.DoubleTensor(t))
    assert tuple(grad.size()) == (2, 1, 3, 3)
    np.testing.assert_allclose(grad.numpy(), -(t - x) / ((1 - x + 1e-12) * (x + 1e-12)) / x.size, rtol=1e-14)
    with pytest.raises(ValueError, match=r'BCECriterion: expected a 2-D target of 3 columns'):
        nn.BCECriterion(lg.DoubleTensor([1.0, 2.0, 3.0])).forward(lg.DoubleTensor(x), lg.DoubleTensor(t))


def test_classnll_total_weight_tensor():
    """ClassNLLCriterion.lua keeps THNN's denominator in ``total_weight_tensor`` and returns it as
    updateOutput's second value (facebookresearch/MIXER's ``loss_xe, num_samples = nll:forward(...)``): the
    sum of the targets' class weights, ignored rows left out, whether or not the loss is averaged."""
    x = lg.randn(4, 3).double()
    t = lg.LongTensor([0, 1, 2, 0])
    for average in (True, False):
        crit = nn.ClassNLLCriterion(lg.DoubleTensor([1, 0.5, 2]), average)
        crit.forward(x, t)
        assert crit.total_weight_tensor.type() == 'torch.DoubleTensor'
        assert crit.total_weight_tensor.numpy().tolist() == [4.5]
    crit = nn.ClassNLLCriterion()
    crit.ignoreIndex = 2
    crit.forward(x.float(), t)
    assert crit.total_weight_tensor.type() == 'torch.FloatTensor' and crit.total_weight_tensor[0] == 3


def test_bce_weights_pair_with_a_1d_targets_elements():
    """nn/BCECriterion.lua:29-31 views the weights as one row only when the target is not 1-D; with a 1-D target
    THNN's BCECriterion.c pairs weight i with element i whatever the input's shape: reedscot/icml2016's
    ``nn.BCECriterion(weights)`` of 3B/2 per-sample weights scores its discriminator's (3B/2, 1) output against a
    1-D label vector, the last B/2 samples (interpolated texts) weighted by ``interp_weight``."""
    rng = np.random.default_rng(5)
    x = rng.uniform(0.05, 0.95, (6, 1))
    t = np.ones(6)
    w = np.array([1.0, 1, 1, 1, 0.5, 0.5])
    crit = nn.BCECriterion(lg.DoubleTensor(w)).double()
    loss = crit.forward(lg.DoubleTensor(x), lg.DoubleTensor(t))
    assert loss == pytest.approx(-(w * np.log(x[:, 0] + 1e-12)).sum() / 6, rel=1e-14)
    grad = crit.backward(lg.DoubleTensor(x), lg.DoubleTensor(t))
    assert tuple(grad.size()) == (6, 1)
    np.testing.assert_allclose(grad.numpy()[:, 0], -w * (1 - x[:, 0]) / ((1 - x[:, 0] + 1e-12) * (x[:, 0] + 1e-12))
                               / 6, rtol=1e-14)
    with pytest.raises(ValueError, match=r'BCECriterion: expected an input of 6 elements'):
        crit.forward(lg.DoubleTensor(rng.uniform(0.1, 0.9, (4, 1))), lg.DoubleTensor(np.ones(4)))
