"""torch/nn's hessian.lua: the diagonal-Hessian methods (updateDiagHessianInput, accDiagHessianParameters,
initDiagHessianParameters) and Jacobian.lua's testDiagHessianInput/Weight/Bias."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

PRECISION = 1e-5   # nn's test.lua precision


def _diag_hessian_errors(module, input, bias=True):
    errors = [nn.Jacobian.testDiagHessianInput(module, input), nn.Jacobian.testDiagHessianWeight(module, input)]
    if bias:
        errors.append(nn.Jacobian.testDiagHessianBias(module, input))
    return errors


@pytest.mark.parametrize('shape', [(6,), (3, 6)])
def test_linear_diag_hessian(shape):
    """nn's test.lua testLinear (single and batch input): nn.hessian.enable(), then
    jac.testDiagHessianInput/Weight/Bias(module, input) < precision."""
    nn.hessian.enable()
    assert max(_diag_hessian_errors(nn.Linear(6, 4).double(), lg.DoubleTensor(*shape).zero())) < PRECISION


def test_linear_without_bias_diag_hessian():
    """hessian.lua's Linear rule on a Linear(noBias): the input and weight estimates (Torch7 would fail on the
    missing gradBias; here the absent bias is skipped)."""
    errors = _diag_hessian_errors(nn.Linear(5, 3, bias=False).double(), lg.DoubleTensor(2, 5), bias=False)
    assert max(errors) < PRECISION


@pytest.mark.parametrize('batch', [None, 2])
def test_spatial_convolution_diag_hessian(batch):
    """nn's test.lua testSpatialConvolution / testSpatialConvolutionBatchCompare's hessian part: the three
    testDiagHessian errors < precision."""
    shape = (3, 7, 8) if batch is None else (batch, 3, 7, 8)
    m = nn.SpatialConvolution(3, 4, 3, 2, 2, 1).double()
    assert max(_diag_hessian_errors(m, lg.DoubleTensor(*shape))) < PRECISION


def test_subclasses_of_spatial_convolution_diag_hessian():
    """SpatialDilatedConvolution.lua and cudnn.torch's SpatialConvolution.lua derive from nn.SpatialConvolution,
    so they have hessian.lua's SpatialConvolution rule once nn.hessian.enable() ran: the same three checks."""
    from legonn import cudnn
    for m, shape in [(nn.SpatialDilatedConvolution(2, 3, 3, 3, 1, 1, 1, 1, 2, 2), (2, 2, 7, 7)),
                     (cudnn.SpatialConvolution(2, 3, 3, 2, 1, 2), (2, 6, 5))]:
        assert max(_diag_hessian_errors(m.double(), lg.DoubleTensor(*shape))) < PRECISION, m


@pytest.mark.parametrize('batch', [None, 2])
def test_spatial_convolution_local_diag_hessian(batch):
    """nn's test.lua testSpatialConvolutionLocal (single and batch) hessian checks."""
    shape = (2, 6, 7) if batch is None else (batch, 2, 6, 7)
    m = nn.SpatialConvolutionLocal(2, 3, 7, 6, 3, 2, 1, 2).double()
    assert max(_diag_hessian_errors(m, lg.DoubleTensor(*shape))) < PRECISION


@pytest.mark.parametrize('batch', [None, 2])
def test_spatial_convolution_map_diag_hessian(batch):
    """nn's test.lua testSpatialConvolutionMap (single and batch): tables.random connection table."""
    shape = (3, 7, 6) if batch is None else (batch, 3, 7, 6)
    m = nn.SpatialConvolutionMap(nn.tables.random(3, 4, 2), 3, 2, 1, 2).double()
    assert max(_diag_hessian_errors(m, lg.DoubleTensor(*shape))) < PRECISION


def test_spatial_full_convolution_map_diag_hessian():
    """nn's test.lua testSpatialFullConvolutionMap: a full (transposed) convolution along a table."""
    m = nn.SpatialFullConvolutionMap(nn.tables.oneToOne(3), 3, 2, 2, 1).double()
    assert max(_diag_hessian_errors(m, lg.DoubleTensor(3, 4, 5))) < PRECISION


@pytest.mark.parametrize('name', ['SpatialConvolutionMap', 'SpatialFullConvolutionMap'])
@pytest.mark.parametrize('batch', [None, 2])
def test_map_convolution_diag_hessian_with_planes_past_the_table(name, batch):
    """nn's test.lua testSpatialConvolutionMap draws ``tables.random(from, to, fanin)``, which may leave the
    input's last planes unconnected (THNN takes them: gradInput is resized as the input). hessian.lua hands
    diagHessianInput in as gradInput, so the estimate has the input's size too, 0 on the unread planes."""
    table = lg.LongTensor([[0, 0], [1, 1], [0, 1]])
    m = getattr(nn, name)(table, 3, 2).double()
    shape = (3, 7, 6) if batch is None else (batch, 3, 7, 6)
    x = lg.DoubleTensor(*shape)
    assert max(_diag_hessian_errors(m, x)) < PRECISION
    dhi = m.updateDiagHessianInput(x, m.forward(x).clone().fill(1))
    assert dhi.size() == x.size()
    assert dhi.narrow(x.dim() - 3, 2, 1).abs().max() == 0 and dhi.narrow(x.dim() - 3, 0, 2).abs().max() > 0


def test_spatial_full_convolution_diag_hessian():
    """hessian.lua's SpatialFullConvolution rule (not in test.lua): the same three checks."""
    m = nn.SpatialFullConvolution(2, 3, 3, 2, 2, 1).double()
    assert max(_diag_hessian_errors(m, lg.DoubleTensor(2, 4, 5))) < PRECISION


def _reference(x, t, w1, b1, w2, b2, size_average=True):
    """hessian.lua's recurrences for Linear -> Tanh -> Linear -> MSECriterion, in float64 NumPy: h = d^2E/dy^2
    back through each layer (Linear: h_in = h W^2, Tanh: h_in = tanh'(a)^2 h) and the parameter estimates
    (Linear: H_W += h^T x^2, H_b += sum h)."""
    a = x @ w1.T + b1
    z = np.tanh(a)
    y = z @ w2.T + b2
    h_y = np.full_like(y, 2 / y.size if size_average else 2)
    h_z = h_y @ (w2 * w2)
    h_a = (1 - z * z) ** 2 * h_z
    h_x = h_a @ (w1 * w1)
    return dict(input=h_x, w2=h_y.T @ (z * z), b2=h_y.sum(0), w1=h_a.T @ (x * x), b1=h_a.sum(0))


@pytest.mark.parametrize('size_average', [True, False])
def test_sequential_mse_matches_numpy_reference(size_average):
    """hessian.lua's Sequential, Linear, Tanh and MSECriterion rules chained as a training step would use them
    (forward, criterion's updateDiagHessianInput, the model's updateDiagHessianInput then
    accDiagHessianParameters), against a float64 NumPy transcription of the same recurrences."""
    rng = np.random.default_rng(0)
    model = nn.Sequential().add(nn.Linear(4, 5)).add(nn.Tanh()).add(nn.Linear(5, 3)).double()
    crit = nn.MSECriterion(size_average).double()
    x, t = lg.DoubleTensor(rng.standard_normal((6, 4))), lg.DoubleTensor(rng.standard_normal((6, 3)))
    model.initDiagHessianParameters()
    for m in (model.modules[0], model.modules[2]):
        m.diagHessianWeight.zero()
        m.diagHessianBias.zero()
    y = model.forward(x)
    crit.forward(y, t)
    h = crit.updateDiagHessianInput(y, t)
    weights = [model.modules[i].weight.clone() for i in (0, 2)]
    hx = model.updateDiagHessianInput(x, h)
    model.accDiagHessianParameters(x, h)
    l1, l2 = model.modules[0], model.modules[2]
    ref = _reference(x.numpy(), t.numpy(), l1.weight.numpy(), l1.bias.numpy(), l2.weight.numpy(),
                     l2.bias.numpy(), size_average)
    np.testing.assert_allclose(hx.numpy(), ref['input'], rtol=1e-12)
    assert model.diagHessianInput is hx
    for got, key in [(l1.diagHessianWeight, 'w1'), (l1.diagHessianBias, 'b1'), (l2.diagHessianWeight, 'w2'),
                     (l2.diagHessianBias, 'b2')]:
        np.testing.assert_allclose(got.numpy(), ref[key], rtol=1e-12)
    # the weights are back, the outputs of the forward kept
    for w, i in zip(weights, (0, 2)):
        assert model.modules[i].weight.equal(w)
    assert model.output.equal(y)


def test_pointwise_rules():
    """hessian.lua's Tanh, Square, Sqrt (f'(x)^2 h), TanhShrink (h + tanh'(x)^2 h, as written there) and
    Reshape (h viewed with the input's sizes) rules."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 2, (3, 4))
    h = rng.uniform(0, 1, (3, 4))
    cases = [(nn.Tanh(), (1 - np.tanh(x) ** 2) ** 2 * h), (nn.Square(), (2 * x) ** 2 * h),
             (nn.Sqrt(), (0.5 / np.sqrt(x)) ** 2 * h), (nn.TanhShrink(), h + (1 - np.tanh(x) ** 2) ** 2 * h)]
    for m, expected in cases:
        m.double().forward(lg.DoubleTensor(x))
        got = m.updateDiagHessianInput(lg.DoubleTensor(x), lg.DoubleTensor(h))
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, err_msg=repr(m))
    r = nn.Reshape(12).double()
    r.forward(lg.DoubleTensor(x.reshape(1, 12)).view(12))
    got = r.updateDiagHessianInput(lg.DoubleTensor(x).view(12), lg.DoubleTensor(h.reshape(12)))
    assert got.size() == (12,) and got.tolist() == h.reshape(12).tolist()


def test_criterion_rules():
    """hessian.lua's MSECriterion (2, or 2/n with sizeAverage), WeightedMSECriterion (MSECriterion's rule) and
    L1Cost (1 where the input is not 0) rules; a criterion without a rule raises, naming itself."""
    x = lg.DoubleTensor([[1.5, 0], [-2, 3]])
    t = lg.DoubleTensor(2, 2).zero()
    assert nn.MSECriterion().double().updateDiagHessianInput(x, t).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert nn.MSECriterion(False).double().updateDiagHessianInput(x, t).tolist() == [[2, 2], [2, 2]]
    w = nn.WeightedMSECriterion(lg.DoubleTensor(2, 2).fill(3)).double()
    assert w.updateDiagHessianInput(x, t).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert nn.L1Cost().double().updateDiagHessianInput(x).tolist() == [[1, 0], [1, 1]]
    with pytest.raises(NotImplementedError, match='ClassNLLCriterion'):
        nn.ClassNLLCriterion().updateDiagHessianInput(x, t)


def test_module_defaults():
    """hessian.lua's Module defaults: updateDiagHessianInput raises naming the module, accDiagHessianParameters
    and initDiagHessianParameters do nothing; nn.hessian.enable() may be called any number of times."""
    nn.hessian.enable()
    nn.hessian.enable()
    m = nn.ReLU()
    m.initDiagHessianParameters()
    m.accDiagHessianParameters(lg.DoubleTensor(2), lg.DoubleTensor(2))
    with pytest.raises(NotImplementedError, match='ReLU'):
        m.updateDiagHessianInput(lg.DoubleTensor(2), lg.DoubleTensor(2))


def test_failed_call_keeps_weights():
    """A diagHessianOutput of the wrong size makes Linear's backward raise inside hessian.lua's weight swap:
    the weight, gradWeight, gradInput and output are put back."""
    m = nn.Linear(3, 2).double()
    x = lg.DoubleTensor(4, 3).uniform()
    m.forward(x)
    weight, gradWeight, gradInput, output = m.weight, m.gradWeight, m.gradInput, m.output
    saved = weight.clone()
    with pytest.raises(ValueError, match='Linear'):
        m.updateDiagHessianInput(x, lg.DoubleTensor(4, 5))
    m.initDiagHessianParameters()
    with pytest.raises(ValueError, match='Linear'):
        m.accDiagHessianParameters(x, lg.DoubleTensor(4, 5))
    assert m.weight is weight and m.weight.equal(saved) and m.gradWeight is gradWeight
    assert m.gradInput is gradInput and m.output is output


def test_jacobian_diag_hessian_helpers():
    """Jacobian.lua's backwardDiagHessian / linearModuleDiagHessian: for a Linear with a diagHessianOutput of
    ones, d^2F/dW_ji^2 = sum_batch x_i^2 and d^2F/dx_i^2 = sum_j W_ji^2. Two stacked Linears show a nonzero
    testDiagHessianInput error: hessian.lua's estimate drops the cross terms (sum_j W1_ji^2 sum_k W2_kj^2 against
    the exact sum_k (sum_j W2_kj W1_ji)^2), so the check does tell the two computations apart."""
    m = nn.Linear(3, 2).double()
    x = lg.DoubleTensor(4, 3).uniform(-1, 1)
    m.initDiagHessianParameters()
    hw = nn.Jacobian.backwardDiagHessian(m, x, 'diagHessianWeight')
    np.testing.assert_allclose(hw.numpy(), np.ones((2, 1)) * (x.numpy() ** 2).sum(0), rtol=1e-12)
    hx = nn.Jacobian.linearModuleDiagHessian(m, x, 'gradInput')
    np.testing.assert_allclose(hx.numpy(), np.tile((m.weight.numpy() ** 2).sum(0), 4), rtol=1e-12)
    s = nn.Sequential().add(nn.Linear(3, 3)).add(nn.Linear(3, 2)).double()
    s.gradWeight, s.gradBias = s.modules[0].gradWeight, s.modules[0].gradBias
    assert nn.Jacobian.testDiagHessianInput(s, lg.DoubleTensor(2, 3)) > 1e-3


@pytest.mark.gpu
def test_gpu_matches_cpu():
    """The Sequential + MSECriterion diag-Hessian pass on the GPU gives the CPU's numbers (float64)."""
    rng = np.random.default_rng(2)
    xa, ta = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    model = nn.Sequential().add(nn.Linear(4, 5)).add(nn.Tanh()).add(nn.Linear(5, 3)).double()
    gpu = model.clone().cudaDouble()
    results = []
    for m, crit, cast in ((model, nn.MSECriterion().double(), lambda a: lg.DoubleTensor(a)),
                          (gpu, nn.MSECriterion().cuda(), lambda a: lg.DoubleTensor(a).cudaDouble())):
        x, t = cast(xa), cast(ta)
        m.initDiagHessianParameters()
        y = m.forward(x)
        h = crit.updateDiagHessianInput(y, t)
        hx = m.updateDiagHessianInput(x, h)
        m.accDiagHessianParameters(x, h)
        assert hx.type() == x.type()
        results.append([hx] + [p for i in (0, 2) for p in (m.modules[i].diagHessianWeight,
                                                           m.modules[i].diagHessianBias)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a.numpy(), b.double().numpy(), rtol=1e-12)
