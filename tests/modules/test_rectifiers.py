"""ELU, LeakyReLU, PReLU, RReLU, ReLU6, CReLU: gradients, NumPy references, types, in-place forms, errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, reference_test, sized_build, standard_tests


def relu(x):
    return np.maximum(x, 0)


# (factory, input size, NumPy reference, Jacobian input range)
CASES = {
    'ELU': (lambda: nn.ELU(0.7), (3, 4), lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1)), 2),
    'LeakyReLU': (lambda: nn.LeakyReLU(0.1), (3, 4), lambda x: np.where(x > 0, x, 0.1 * x), 2),
    'LeakyReLU-negative': (lambda: nn.LeakyReLU(-0.3), (3, 4), lambda x: np.where(x > 0, x, -0.3 * x), 2),
    'ReLU6': (lambda: nn.ReLU6(), (3, 5), lambda x: np.clip(x, 0, 6), 8),
    'RReLU-eval': (lambda: nn.RReLU(0.1, 0.3).evaluate(), (4, 3), lambda x: np.where(x >= 0, x, 0.2 * x), 2),
    'PReLU-shared': (lambda: nn.PReLU(), (2, 3, 2), lambda x: np.where(x > 0, x, 0.25 * x), 2),
    'PReLU-batch': (lambda: nn.PReLU(3), (2, 3), lambda x: np.where(x > 0, x, 0.25 * x), 2),
    'PReLU-spatial': (lambda: nn.PReLU(2), (2, 2, 2, 3), lambda x: np.where(x > 0, x, 0.25 * x), 2),
    'PReLU-image': (lambda: nn.PReLU(2), (2, 2, 3), lambda x: np.where(x > 0, x, 0.25 * x), 2),
    'CReLU-batch': (lambda: nn.CReLU(1), (2, 3),
                    lambda x: np.concatenate([relu(x), relu(-x)], axis=1), 2),
    'CReLU-single': (lambda: nn.CReLU(3), (2, 2, 2),
                     lambda x: np.concatenate([relu(x), relu(-x)], axis=0), 2),
}
IDS = sorted(CASES)


def _input(size):
    return lg.DoubleTensor(np.random.default_rng(0).uniform(-3, 3, size))


_build = sized_build(CASES, _input)
test_jacobian, test_type_roundtrip, test_gpu = standard_tests(
    IDS, _build, bounds=lambda name: (-CASES[name][3], CASES[name][3]))
test_matches_numpy = reference_test(IDS, _build, lambda name, m, x: CASES[name][2](x.numpy()))


@pytest.mark.parametrize('make', [lambda ip: nn.ELU(1.3, ip), lambda ip: nn.LeakyReLU(0.2, ip),
                                  lambda ip: nn.ReLU6(ip), lambda ip: nn.RReLU(0.1, 0.3, ip).evaluate()])
def test_inplace_matches_out_of_place(make):
    x = _input((3, 4)).mul(3)
    go = _input((3, 4))
    ref = make(False).double()
    out, gi = ref.forward(x).clone(), ref.backward(x, go).clone()
    m = make(True).double()
    x2, go2 = x.clone(), go.clone()
    y = m.forward(x2)
    assert y.storage() is x2.storage()            # the output is the input's memory
    np.testing.assert_allclose(x2.numpy(), out.numpy())
    g = m.backward(x2, go2)
    assert g.storage() is go2.storage()
    np.testing.assert_allclose(g.numpy(), gi.numpy())


def test_leaky_relu_reads_its_arguments_as_the_lua():
    # LeakyReLU.lua: a boolean first argument is the default slope (not negval 1, the identity), the in-place
    # flag staying the second argument; a negative slope is kept and turns in-place off
    m = nn.LeakyReLU(True)
    assert (m.negval, m.inplace) == (1 / 100, False)
    assert nn.LeakyReLU(True, True).inplace is True
    m = nn.LeakyReLU(-0.5, True).double()
    assert (m.negval, m.inplace) == (-0.5, False)
    x = lg.DoubleTensor([-2.0, 3.0])
    np.testing.assert_array_equal(m.forward(x).numpy(), [1.0, 3.0])
    assert not np.shares_memory(m.output.numpy(), x.numpy())
    np.testing.assert_array_equal(m.backward(x, lg.DoubleTensor([1.0, 1.0])).numpy(), [-0.5, 1.0])


@pytest.mark.parametrize('args', [(True,), ('1',), (None, 1)])
def test_elu_refuses_what_elu_lua_asserts(args):
    # ELU.lua asserts type(alpha) == 'number' and a boolean in-place flag (None is Lua's nil: the default)
    with pytest.raises(ValueError, match=r"ELU: (alpha must be a number, got (True|'1')|the in-place flag must be "
                                         r"a boolean, got 1)"):
        nn.ELU(*args)


def test_leaky_relu_slope_set_negative_after_construction():
    # the gradient follows the input's sign, as THNN's: a slope set to -0.5 sends -2 to 1 and its gradient is
    # -0.5, not 1 (the output's sign); in place, where only the output is left, such a slope is refused
    m = nn.LeakyReLU(0.5).double()
    m.negval = -0.5
    x = lg.DoubleTensor([-2.0, 3.0])
    m.forward(x)
    np.testing.assert_array_equal(m.backward(x, lg.DoubleTensor([1.0, 1.0])).numpy(), [-0.5, 1.0])
    m = nn.LeakyReLU(0.5, True).double()
    m.negval = -0.5
    assert_rejected(m, ValueError, r"LeakyReLU: in-place processing needs negval >= 0, got -0.5", 'forward',
                    x.clone())


def test_rrelu_training_draws_slopes_in_range_and_backprops_them():
    m = nn.RReLU(0.1, 0.3).double()
    x = _input((50, 4))
    y = m.forward(x).numpy()
    xa = x.numpy()
    neg = xa < 0
    slopes = y[neg] / xa[neg]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.01
    np.testing.assert_array_equal(y[~neg], xa[~neg])
    go = _input((50, 4))
    gi = m.backward(x, go).numpy()
    np.testing.assert_allclose(gi[neg], go.numpy()[neg] * slopes)
    # THNN's RReLU.c: x <= 0 draws a slope, so an exact zero passes a drawn fraction of its gradient
    zeros = lg.zeros(200).double()
    m.forward(zeros)
    gi = m.backward(zeros, lg.ones(200).double()).numpy()
    assert gi.min() >= 0.1 and gi.max() <= 0.3 and (gi == m.noise.numpy()).all()


@pytest.mark.parametrize('ip', [False, True])
def test_rrelu_training_with_bounds_within_1e_6_draws_forward_and_takes_the_mean_backward(ip):
    """RReLU.c draws a slope from U[l, u] for every x <= 0 whenever it trains, and fills noise (1 where x > 0);
    only its backward tests upper - lower > 1e-6, taking (l + u) / 2 below that."""
    l, u = 0.3, 0.3 + 8e-7
    m = nn.RReLU(l, u, ip).double()
    x0 = np.concatenate([-np.linspace(0.5, 3, 2000), [0.0, 1.5, 2.5]])
    x, go = x0.copy(), np.linspace(-1, 1, x0.size)
    y = m.forward(lg.from_numpy(x)).numpy().copy()
    noise = m.noise.numpy()
    assert noise.shape == x0.shape
    np.testing.assert_array_equal(noise[-2:], [1, 1])
    assert noise[:-2].min() >= l and noise[:-2].max() <= u and np.unique(noise[:-2]).size > 100
    np.testing.assert_array_equal(y, x0 * noise)
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(go.copy())).numpy()
    np.testing.assert_array_equal(gi, go * np.where(x0 <= 0, (l + u) / 2, 1))


def test_prelu_gradient_accumulates_with_scale():
    m = nn.PReLU(3).double()
    x, go = _input((4, 3)), _input((4, 3))
    m.zeroGradParameters()
    m.backward(x, go, 0.5)
    xa, ga = x.numpy(), go.numpy()
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * np.where(xa > 0, 0, xa * ga).sum(0))


def test_prelu_wrong_channels_names_module_and_keeps_gradients():
    m = nn.PReLU(3)
    m.gradWeight.fill(7)
    assert_rejected(m, ValueError, r"PReLU\(3\): expected 3 channels in dimension 1, got input of size \(2, 4\)",
                    'backward', lg.FloatTensor(2, 4), lg.FloatTensor(2, 4))


def test_integer_input_and_bad_grad_output_are_rejected():
    with pytest.raises(TypeError, match='ELU.*floating-point tensor input, got legonn.LongTensor'):
        nn.ELU().forward(lg.LongTensor([1, 2]))
    m = nn.LeakyReLU()
    x = lg.FloatTensor(2, 3)
    m.forward(x)
    with pytest.raises(ValueError, match=r'LeakyReLU.*gradOutput of size \(2, 3\), got \(3, 2\)'):
        m.backward(x, lg.FloatTensor(3, 2))


def test_crelu_rejects_wrong_rank_and_bad_constructor():
    with pytest.raises(ValueError, match='CReLU.*2-D or 3-D input'):
        nn.CReLU(2).forward(lg.FloatTensor(4))
    with pytest.raises(ValueError):
        nn.RReLU(0.5, 0.1)
    with pytest.raises(ValueError):
        nn.ELU(1, 'yes')


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_crelu_drops_inf_and_nan_gradient_of_zeroed_units(tensor):
    # CReLU.lua's ReLU selects (THNN: x > 0 ? go : 0) and MulConstant(-1) negates the second half: an inf or
    # NaN gradOutput at a unit the ReLU zeroed gives exactly 0 (a product with the 0/1 mask made NaN)
    x = np.array([[1.5, -2.0, 0.0], [-0.5, 3.0, 0.0]])
    go = np.array([[0.5, np.inf, np.nan, np.inf, 2.0, -np.inf], [np.nan, 1.0, 4.0, 3.0, -np.inf, np.nan]])
    m = nn.CReLU(1).type(tensor)
    m.forward(lg.DoubleTensor(x).type(tensor))
    gi = m.backward(lg.DoubleTensor(x).type(tensor), lg.DoubleTensor(go).type(tensor))
    np.testing.assert_array_equal(gi.double().numpy(), [[0.5, -2.0, 0.0], [-3.0, 1.0, 0.0]])
