"""Linear: y = x W^T + b, batch and single inputs, with and without bias."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip, launch_counting


@pytest.mark.parametrize('shape', [(5, 4), (4,)])
@pytest.mark.parametrize('bias', [True, False])
def test_jacobian(shape, bias):
    assert_jacobian(nn.Linear(4, 3, bias=bias), lg.DoubleTensor(*shape))


def test_accupdate_jacobian():
    m = nn.Linear(4, 3).double()
    assert nn.Jacobian.testJacobianUpdateParameters(m, lg.DoubleTensor(5, 4), m.weight) < 1e-5


def test_matches_numpy_reference():
    m = nn.Linear(6, 2).double()
    x = np.random.default_rng(0).standard_normal((3, 6))
    w, b = m.weight.numpy(), m.bias.numpy()
    np.testing.assert_allclose(m.forward(x).numpy(), x @ w.T + b, rtol=1e-12)
    go = np.random.default_rng(1).standard_normal((3, 2))
    m.zeroGradParameters()
    gi = m.backward(x, go, 0.5)
    np.testing.assert_allclose(gi.numpy(), go @ w, rtol=1e-12)
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * go.T @ x, rtol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), 0.5 * go.sum(0), rtol=1e-12)


def test_gradients_accumulate_across_calls():
    m = nn.Linear(3, 2).double()
    x, go = np.ones((2, 3)), np.ones((2, 2))
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, go)
    once = m.gradWeight.clone()
    m.backward(x, go)
    np.testing.assert_allclose(m.gradWeight.numpy(), 2 * once.numpy())


def test_bias_gradient_follows_batch_size_changes():
    # gradBias is the column sum of gradOutput whatever the batch size and type
    m = nn.Linear(3, 2).double()
    for batch in (2, 5, 1, 5):
        go = np.random.default_rng(batch).standard_normal((batch, 2))
        x = np.ones((batch, 3))
        m.zeroGradParameters()
        m.forward(x)
        m.backward(x, go)
        np.testing.assert_allclose(m.gradBias.numpy(), go.sum(0), rtol=1e-12)
    m.float()
    go = np.full((4, 2), 2, np.float32)
    m.zeroGradParameters()
    m.forward(np.ones((4, 3), np.float32))
    m.backward(np.ones((4, 3), np.float32), go)
    np.testing.assert_allclose(m.gradBias.numpy(), [8, 8])


def test_first_layer_idiom_skips_grad_input():
    model = nn.Sequential().add(nn.Linear(4, 3)).add(nn.Tanh())
    model.modules[0].gradInput = None              # Torch7's idiom: no gradient w.r.t. the data
    x, go = np.ones((2, 4), np.float32), np.ones((2, 3), np.float32)
    model.forward(x)
    model.zeroGradParameters()
    assert model.backward(x, go) is None
    assert float(model.modules[0].gradWeight.abs().sum()) > 0
    with pytest.raises(ValueError, match=r'Linear\(4 -> 3\): expected gradOutput of size'):
        model.modules[0].backward(x, np.ones((2, 5), np.float32))


@pytest.mark.parametrize('method', ['updateGradInput', 'accGradParameters'])
def test_backward_checks_the_gradOutput_type_and_size(method):
    """updateGradInput and accGradParameters each refuse a gradOutput of another type or size than the output's,
    naming the module, before any gradient is written (accGradParameters after clearState, where no forward's
    record is left for the contract's own check to compare with: Linear's check is then the one that words it)."""
    m = nn.Linear(4, 3)
    x = lg.FloatTensor(2, 4).fill(1)
    m.forward(x)
    if method == 'accGradParameters':
        m.clearState()
    m.zeroGradParameters()
    with pytest.raises(TypeError, match=r"Linear\(4 -> 3\): expected a legonn.FloatTensor gradOutput \(the module's "
                                        r"type\), got legonn.DoubleTensor"):
        getattr(m, method)(x, lg.DoubleTensor(2, 3).fill(1))
    with pytest.raises(ValueError, match=r'Linear\(4 -> 3\): expected gradOutput of size \(2, 3\), got \(3, 2\)'):
        getattr(m, method)(x, lg.FloatTensor(3, 2).fill(1))
    assert not m.gradWeight.numpy().any()
    getattr(m, method)(x, lg.FloatTensor(2, 3).fill(1))


def test_reset_range_and_repr():
    m = nn.Linear(100, 7)
    assert np.abs(m.weight.numpy()).max() <= 0.1 + 1e-7
    assert repr(m) == 'nn.Linear(100 -> 7)'
    assert repr(nn.Linear(3, 2).noBias()) == 'nn.Linear(3 -> 2) without bias'
    assert len(nn.Linear(3, 2, bias=False).parameters()[0]) == 1


def test_type_roundtrip():
    assert_type_roundtrip(nn.Linear(4, 3), lg.rand(5, 4))


@pytest.mark.parametrize('bad', [0, -3, 2.5, True])
def test_bad_constructor_arguments(bad):
    with pytest.raises(ValueError, match='Linear'):
        nn.Linear(bad, 3)


def test_wrong_width_and_rank_name_the_module():
    m = nn.Sequential().add(nn.Linear(4, 3))
    before = m.modules[0].weight.clone()
    with pytest.raises(ValueError, match=r'Sequential\[0\] Linear\(4 -> 3\): expected 4 input features, got 7'):
        m.forward(np.zeros((2, 7), np.float32))
    with pytest.raises(ValueError, match=r'Linear\(4 -> 3\): expected a 1-D or 2-D input, got 3-D'):
        m.forward(np.zeros((2, 2, 4), np.float32))
    with pytest.raises(TypeError, match=r'Linear\(4 -> 3\): expected a legonn.FloatTensor input'):
        m.forward(np.zeros((2, 4)))
    assert m.modules[0].weight.equal(before)


def test_failed_backward_leaves_gradients():
    m = nn.Linear(4, 3)
    m.zeroGradParameters()
    x = np.ones((2, 4), np.float32)
    m.forward(x)
    with pytest.raises(ValueError, match='Linear'):
        m.backward(np.ones((2, 5), np.float32), np.ones((2, 3), np.float32))
    assert m.gradWeight.sum() == 0 and m.gradBias.sum() == 0


@pytest.mark.gpu
@pytest.mark.parametrize('shape', [(5, 4), (4,)])
def test_gpu(shape):
    assert_gpu_matches_cpu(nn.Linear(4, 3), lg.rand(*shape))


def test_jacobian_matrices_are_tensors():
    """nn/Jacobian.lua's forward and backward return torch.Tensor matrices (rows: input elements, columns:
    outputs), which a ported gradient check then reads with tensor methods (jac:size(1), (a - b):abs():max());
    for a Linear, backprop's Jacobian is the transposed weight."""
    m = nn.Linear(3, 2).double()
    x = lg.DoubleTensor(4, 3).uniform(-1, 1)
    est, exact = nn.Jacobian.forward(m, x), nn.Jacobian.backward(m, x)
    assert est.type() == exact.type() == 'legonn.DoubleTensor' and est.size() == (12, 8)
    assert (est - exact).abs().max() < 1e-8
    assert exact.narrow(0, 0, 3).narrow(1, 0, 2).tolist() == m.weight.t().tolist()
    dw = nn.Jacobian.backward(m, x, m.weight, m.gradWeight)
    assert dw.size() == (6, 8) and (nn.Jacobian.forward(m, x, m.weight) - dw).abs().max() < 1e-8
    sparse = nn.SparseJacobian.backward(nn.SparseLinear(5, 2, True).double(), lg.DoubleTensor([[0, 1.5], [3, -2]]))
    assert sparse.type() == 'legonn.DoubleTensor' and sparse.size() == (2, 2)


def test_jacobian_io_round_trip():
    """nn/Jacobian.lua's testIO: the module's output and gradInput before a write/read round trip and the
    reloaded copy's, on the same input and gradOutput, agree (two maxima, 0 for a faithful format)."""
    m = nn.Linear(3, 2).double()
    x = lg.DoubleTensor(4, 3).uniform(-1, 1)
    ferr, berr = nn.Jacobian.testIO(m, x)
    assert ferr == 0 and berr == 0
    assert nn.Jacobian.testIO(nn.Tanh().double(), lg.DoubleTensor(5).uniform()) == (0, 0)


def test_jacobian_all_update_paths():
    """nn/Jacobian.lua's testAllUpdate: accGradParameters + updateParameters, accUpdateGradParameters, and
    both again on two modules sharing the weight (which moves twice) give the same weight; a module whose
    accUpdateGradParameters steps the wrong way shows up in that entry only. The module itself is unchanged."""
    m = nn.Linear(3, 2).double()
    x = lg.DoubleTensor(4, 3).uniform(-1, 1)
    before = m.weight.clone()
    errors = nn.Jacobian.testAllUpdate(m, x, 'weight', 'gradWeight')
    assert sorted(errors) == ['accGradParameters', 'accGradParameters [shared]', 'accUpdateGradParameters',
                              'accUpdateGradParameters [shared]']
    assert max(errors.values()) < 1e-10
    assert m.weight.equal(before)

    class Backwards(nn.Linear):
        def accUpdateGradParameters(self, input, gradOutput, lr):
            return super().accUpdateGradParameters(input, gradOutput, -lr)

    errors = nn.Jacobian.testAllUpdate(Backwards(3, 2).double(), x, 'weight', 'gradWeight')
    assert errors['accGradParameters'] < 1e-10 and errors['accUpdateGradParameters'] > 1e-3


def test_jacobian_io_of_a_table_module():
    """nn/Jacobian.lua's testIO, on a module with a table input and output (CAddTable, SplitTable)."""
    x = [lg.DoubleTensor(3).uniform(), lg.DoubleTensor(3).uniform()]
    assert nn.Jacobian.testIO(nn.CAddTable().double(), x) == (0, 0)
    assert nn.Jacobian.testIO(nn.SplitTable(0).double(), lg.DoubleTensor(2, 3).uniform()) == (0, 0)


def test_linear_no_bias_matches_numpy_and_its_jacobian():
    """rnn's LinearNoBias.lua: y = x W^T, gradWeight += scale gradOutput^T x, no bias; reset as Linear's."""
    m = nn.LinearNoBias(4, 3).double()
    assert m.bias is None and len(m.parameters()[0]) == 1 and repr(m) == 'nn.LinearNoBias(4 -> 3)'
    assert np.abs(m.weight.numpy()).max() <= 0.5   # 1/sqrt(inputSize)
    x, go = np.random.default_rng(0).standard_normal((5, 4)), np.random.default_rng(1).standard_normal((5, 3))
    w = m.weight.numpy().copy()
    np.testing.assert_allclose(m.forward(x).numpy(), x @ w.T, rtol=1e-12)
    m.zeroGradParameters()
    np.testing.assert_allclose(m.backward(x, go, 0.5).numpy(), go @ w, rtol=1e-12)
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * go.T @ x, rtol=1e-12)
    np.testing.assert_allclose(m.forward(x[0]).numpy(), w @ x[0], rtol=1e-12)
    for shape in ((5, 4), (4,)):
        assert_jacobian(nn.LinearNoBias(4, 3), lg.DoubleTensor(*shape))
    assert_type_roundtrip(nn.LinearNoBias(4, 3), lg.randn(2, 4))
    with pytest.raises(ValueError, match='LinearNoBias'):
        nn.LinearNoBias(0, 3)
    with pytest.raises(ValueError, match='LinearNoBias'):
        nn.LinearNoBias(4, 3).forward(lg.randn(2, 5))


def test_forward_transposes_the_weight_once_while_it_keeps_its_array():
    """The forward's weight^T is a view made once per weight array: updates in place (an optimiser's step on the
    flat parameters) show through it, and a weight replaced or retyped is transposed anew."""
    m = nn.Linear(4, 3)
    params, _ = m.getParameters()
    x = lg.randn(5, 4)   # 5 rows > 3 outputs: the x W^T product
    m.forward(x)
    params.mul(2)        # in place
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() @ m.weight.numpy().T + m.bias.numpy(), rtol=1e-6)
    m.weight = lg.randn(3, 4)
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() @ m.weight.numpy().T + m.bias.numpy(), rtol=1e-6)
    m.double()
    np.testing.assert_allclose(m.forward(x.double()).numpy(), x.double().numpy() @ m.weight.numpy().T +
                               m.bias.numpy(), rtol=1e-12)


@pytest.mark.gpu
def test_on_the_gpu_a_forward_makes_no_view_of_the_weight():
    counting = launch_counting()
    m = nn.Linear(4, 3).cuda()
    x = lg.randn(5, 4).cuda()
    m.forward(x)
    with counting() as counts:
        out = m.forward(x)
    assert dict(counts) == {'matmul': 1, 'add': 1}, counts
    np.testing.assert_allclose(out.float().numpy(), x.float().numpy() @ m.weight.float().numpy().T +
                               m.bias.float().numpy(), rtol=1e-5)


@pytest.mark.gpu
def test_linear_no_bias_on_the_gpu():
    """rnn's LinearNoBias.lua on the GPU (the simulator here)."""
    assert_gpu_matches_cpu(nn.LinearNoBias(4, 3), lg.randn(5, 4))


def test_old_seed_flag_is_nil_and_its_row_draws_match_reset():
    """torch/nn's ``nn.oldSeed`` exists and is nil (None) until a program sets it, so Linear.lua's
    ``if nn.oldSeed then`` ports literally; its branch (each weight row drawn with ``apply`` and
    ``torch.uniform``, then each bias element) gives the very numbers of ``nn.Linear``'s reset, as in
    Torch7, where both read one generator in the same order."""
    assert nn.oldSeed is None
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(9)
    ref = nn.Linear(5, 3)
    m = nn.Linear(5, 3)
    lg.manualSeed(9)
    stdv = 1. / math.sqrt(m.weight.size(1))
    for i in range(m.weight.size(0)):
        m.weight.select(0, i).apply(lambda *_: lg.uniform(-stdv, stdv))
    for i in range(m.bias.nElement()):
        m.bias[i] = lg.uniform(-stdv, stdv)
    np.testing.assert_array_equal(m.weight.numpy(), ref.weight.numpy())
    np.testing.assert_array_equal(m.bias.numpy(), ref.bias.numpy())
