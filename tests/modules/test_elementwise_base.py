"""One in-place mechanism and one activation family: every pointwise module (activations, arithmetic,
dropout) derives from modules/base/elementwise.Elementwise, which makes the output the input tensor and
the gradInput the gradOutput tensor in place, and multiplies gradOutput by a 0/1 mask for the modules
that write one."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules.base.elementwise import Elementwise
from tests.checks import assert_gpu_matches_cpu

IN_PLACE = {
    'ReLU': lambda: nn.ReLU(True), 'Threshold': lambda: nn.Threshold(0.1, -0.5, True),
    'HardTanh': lambda: nn.HardTanh(-0.5, 0.5, True), 'ReLU6': lambda: nn.ReLU6(True),
    'ELU': lambda: nn.ELU(1.3, True), 'LeakyReLU': lambda: nn.LeakyReLU(0.2, True),
    'RReLU': lambda: nn.RReLU(0.1, 0.3, True).evaluate(), 'AddConstant': lambda: nn.AddConstant(2, True),
    'MulConstant': lambda: nn.MulConstant(3, True), 'Dropout': lambda: nn.Dropout(0.5, False, True),
}


def _pair(seed=3, shape=(4, 5)):
    rng = np.random.default_rng(seed)
    return lg.from_numpy(rng.uniform(-8, 8, shape)), lg.from_numpy(rng.uniform(-1, 1, shape))


@pytest.mark.parametrize('name', sorted(IN_PLACE))
def test_in_place_output_views_the_input_and_grad_input_the_grad_output(name):
    m = IN_PLACE[name]().double()
    assert isinstance(m, Elementwise)
    x, go = _pair()
    lg.manualSeed(7)
    ref = IN_PLACE[name]().double()
    ref.inplace = False
    x_ref, go_ref = x.clone(), go.clone()
    y_ref = ref.forward(x_ref).clone()
    g_ref = ref.backward(x_ref, go_ref).clone()
    lg.manualSeed(7)
    # THNN sets the module's own tensors to view the input and the gradOutput (THTensor_(set)): the objects
    # stay the module's, so a reference taken before the call sees the result
    output, grad_input = m.output, m.gradInput
    assert m.forward(x) is output and m.output is output and output.isSetTo(x)
    np.testing.assert_allclose(x.numpy(), y_ref.numpy(), rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), y_ref.numpy(), rtol=1e-12)
    assert m.backward(x, go) is grad_input and m.gradInput is grad_input and grad_input.isSetTo(go)
    np.testing.assert_allclose(go.numpy(), g_ref.numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad_input.numpy(), g_ref.numpy(), rtol=1e-12)


@pytest.mark.parametrize('make, derivative', [
    (lambda: nn.ReLU6(), lambda x: ((x > 0) & (x < 6)).astype(float)),
    (lambda: nn.HardTanh(-2, 3), lambda x: ((x > -2) & (x < 3)).astype(float)),
    (lambda: nn.Threshold(1, 5), lambda x: (x > 1).astype(float)),
    (lambda: nn.Tanh(), lambda x: 1 - np.tanh(x) ** 2),
    (lambda: nn.Sigmoid(), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
])
def test_gradient_matches_closed_form(make, derivative):
    m = make().double()
    x, go = _pair(5)
    m.forward(x)
    np.testing.assert_allclose(m.backward(x, go).numpy(), go.numpy() * derivative(x.numpy()), rtol=1e-10)


def test_mask_path_keeps_its_byte_buffer_until_clear_state():
    m = nn.ReLU6().double()
    x, go = _pair()
    m.forward(x)
    m.backward(x, go)
    assert m._passed.type() == 'legonn.ByteTensor' and tuple(m._passed.size()) == (4, 5)
    m.clearState()
    assert m._passed.nElement() == 0


def test_plane_dropout_and_activations_share_the_base():
    for cls in (nn.Tanh, nn.Sigmoid, nn.ReLU, nn.Threshold, nn.HardTanh, nn.ELU, nn.ReLU6, nn.SoftPlus,
                nn.SoftShrink, nn.Abs, nn.Dropout, nn.SpatialDropout, nn.VolumetricDropout):
        assert issubclass(cls, Elementwise), cls
    assert 'Elementwise' not in dir(nn)   # the base is no nn class


def test_spatial_dropout_through_the_base():
    lg.manualSeed(1)
    m = nn.SpatialDropout(0.5).double()
    x, go = _pair(shape=(2, 3, 2, 2))
    y = m.forward(x)
    kept = m.noise.numpy()
    assert kept.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(y.numpy(), x.numpy() * kept)
    np.testing.assert_allclose(m.backward(x, go).numpy(), go.numpy() * kept)
    m.evaluate()
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() * 0.5)


@pytest.mark.gpu
@pytest.mark.parametrize('make', [lambda: nn.ReLU6(), lambda: nn.Tanh(), lambda: nn.Sigmoid(),
                                  lambda: nn.SpatialDropout(0)])
def test_gpu_matches_cpu(make):
    assert_gpu_matches_cpu(make(), lg.DoubleTensor(2, 3, 4, 4).uniform(-8, 8))


def _output_readers():
    """Every nn class built on Elementwise whose default-built instance takes a float input, except the
    random ones (their masks come from the generator, not from the output)."""
    found = []
    for name in sorted(dir(nn)):
        cls = getattr(nn, name)
        if isinstance(cls, type) and issubclass(cls, Elementwise) and 'Dropout' not in name and name != 'RReLU':
            try:
                cls()
            except TypeError:
                continue
            found.append(name)
    return found


@pytest.mark.parametrize('name', _output_readers())
def test_grad_input_made_the_output_tensor_gives_the_true_gradient(name):
    """seq2seq-attn's s2sa/memory.lua (reuseMem/setReuse) sets ``m.gradInput = m.output`` on its LSTM gates'
    Sigmoid and Tanh to save memory. Torch7 still computes the true gradient: nn/lib/THNN/generic/Sigmoid.c
    (and the other pointwise kernels) read each output element before writing its gradient in the same
    TH_TENSOR_APPLY3 step. legonn's Sigmoid wrote 1 - y into the shared tensor, then multiplied by that
    instead of y."""
    x, go = _pair(11)
    x.abs().add(0.5)   # in the domain of Log and Sqrt too
    ref = getattr(nn, name)().double()
    ref.forward(x)
    expected = ref.backward(x, go).clone()
    m = getattr(nn, name)().double()
    m.gradInput = m.output
    m.forward(x)
    got = m.backward(x, go)
    assert got is m.output
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-300)


def _select(lo, hi):
    """Torch7's gradient of a unit passing for lo < x < hi: gradOutput by selection, 0 elsewhere."""
    return lambda x, y, go: np.where((x > lo) & (x < hi), go, 0.0)


# module factory -> Torch7's gradInput, written as its C kernel selects it (Threshold.c, HardTanh.c, Clamp.lua as
# a HardTanh, SoftShrink.c and HardShrink.c: x > lambda || x < -lambda ? go : 0, Sqrt.c: y == 0 ? 0 : 0.5 * go / y)
SELECTED_GRADIENTS = {
    'ReLU': (lambda: nn.ReLU(), _select(0, np.inf)),
    'ReLU-ip': (lambda: nn.ReLU(True), _select(0, np.inf)),
    'Threshold': (lambda: nn.Threshold(0.3, -1.5), _select(0.3, np.inf)),
    'Threshold-ip': (lambda: nn.Threshold(0.3, 0.1, True), _select(0.3, np.inf)),
    'HardTanh': (lambda: nn.HardTanh(-0.5, 1.5), _select(-0.5, 1.5)),
    'HardTanh-ip': (lambda: nn.HardTanh(-0.5, 1.5, True), _select(-0.5, 1.5)),
    'ReLU6': (lambda: nn.ReLU6(), _select(0, 6)),
    'Clamp': (lambda: nn.Clamp(-0.5, 1.5), _select(-0.5, 1.5)),
    'SoftShrink': (lambda: nn.SoftShrink(0.5), lambda x, y, go: np.where(np.abs(x) > 0.5, go, 0.0)),
    'HardShrink': (lambda: nn.HardShrink(0.5), lambda x, y, go: np.where(np.abs(x) > 0.5, go, 0.0)),
    'Sqrt': (lambda: nn.Sqrt(), lambda x, y, go: np.where(y == 0, 0.0, 0.5 * (go / np.where(y == 0, 1, y)))),
}


@pytest.mark.parametrize('name', sorted(SELECTED_GRADIENTS))
def test_an_infinite_or_nan_grad_output_at_a_blocked_unit_gives_zero(name):
    """Torch7's kernels select the gradient (x > th ? go : 0), so an inf or NaN gradOutput at a unit that passes
    nothing gives 0 there; a product with a 0/1 mask would give NaN (0 * inf)."""
    _assert_blocked_units_give_zero(name, lambda t: t)


@pytest.mark.gpu
@pytest.mark.parametrize('name', sorted(SELECTED_GRADIENTS))
def test_an_infinite_or_nan_grad_output_at_a_blocked_unit_gives_zero_on_the_gpu(name):
    _assert_blocked_units_give_zero(name, lambda t: t.cudaDouble())


def _assert_blocked_units_give_zero(name, device):
    make, gradient = SELECTED_GRADIENTS[name]
    x0 = np.array([[-2.0, 0.0, 0.3, 0.25, 0.7, 9.0], [-0.5, 1.5, 0.5, 4.0, 0.0, 0.1]])
    go0 = np.array([[np.inf, -np.inf, np.nan, np.inf, np.inf, -np.inf], [np.nan, np.inf, -np.inf, 2.0, 3.0, np.nan]])
    m = device(make().double())
    x, go = device(lg.from_numpy(x0.copy())), device(lg.from_numpy(go0.copy()))
    y = m.forward(x).double().numpy().copy()
    gi = m.backward(x, go).double().numpy()
    np.testing.assert_array_equal(gi, gradient(x0, y, go0))


READS_OUTPUT = {'Exp': nn.Exp, 'Sqrt': nn.Sqrt, 'Tanh': nn.Tanh, 'Sigmoid': nn.Sigmoid, 'SoftPlus': nn.SoftPlus,
                'LogSigmoid': nn.LogSigmoid, 'ELU': nn.ELU, 'LeakyReLU': nn.LeakyReLU,
                'RReLU': lambda: nn.RReLU().evaluate()}


@pytest.mark.parametrize('name', sorted(READS_OUTPUT))
def test_a_backward_that_reads_the_output_needs_a_forward_of_that_size(name):
    """The gradient of these modules reads the output: with no forward yet (NumPy's broadcast error was all a
    user saw) or after a forward of another size (a 1 x 5 output was broadcast over a 4 x 5 gradient, silently
    wrong) the backward is refused naming the module, as THNN refuses an output whose size is not gradOutput's."""
    x, go = _pair()
    m = READS_OUTPUT[name]().double()
    with pytest.raises(ValueError, match=rf"{name}.*: expected a forward of an input of this size first .*"
                                         r"got an input of size \(4, 5\)"):
        m.backward(x, go)
    m.forward(x[0:1])
    with pytest.raises(ValueError, match=r"the gradient reads the output, of size \(1, 5\)"):
        m.backward(x, go)
    m.forward(x)
    assert m.backward(x, go).size() == x.size()


@pytest.mark.parametrize('make, gradient', [(nn.Square, lambda x, go: 2 * x * go), (nn.Abs, lambda x, go: np.sign(x) * go),
                                            (nn.ReLU, lambda x, go: (x > 0) * go), (nn.Minus, lambda x, go: -go)])
@pytest.mark.parametrize('device', [pytest.param(lambda t: t, id='cpu'),
                                    pytest.param(lambda t: t.cudaDouble(), id='gpu', marks=pytest.mark.gpu)])
def test_a_backward_that_never_reads_the_output_runs_without_a_forward(make, gradient, device):
    """As Torch7's (THNN's Square, Abs and Threshold never read the output): on the GPU too, where the CUDA twins of
    ReLU and Minus were handed the empty output and failed to broadcast it."""
    x, go = _pair()
    m = device(make().double())
    gi = m.backward(device(x), device(go)).double().numpy()
    np.testing.assert_allclose(gi, gradient(x.numpy(), go.numpy()), rtol=1e-15)
