"""OneHot, GradientReversal, L1Penalty, ZeroGrad, Constant, WhiteNoise, PrintSize."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import as_double, assert_jacobian, assert_type_roundtrip, named_case_tests

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


CASES = [
    ('GradientReversal', lambda: nn.GradientReversal(0.5), lambda: r(2, 3), lambda x: x),
    ('L1Penalty', lambda: nn.L1Penalty(0.1), lambda: r(2, 3), lambda x: x),
    ('L1Penalty-avg', lambda: nn.L1Penalty(0.1, True), lambda: r(2, 3), lambda x: x),
    ('ZeroGrad', lambda: nn.ZeroGrad(), lambda: r(2, 3), lambda x: x),
    ('ZeroGrad-table', lambda: nn.ZeroGrad(), lambda: [r(2), [r(3)]], lambda x: x),
    ('Constant', lambda: nn.Constant(np.array([1.0, -2.0])), lambda: r(3), lambda x: np.array([1.0, -2.0])),
    ('Constant-batch', lambda: nn.Constant(np.array([1.0, -2.0]), 1), lambda: r(3, 4),
     lambda x: np.array([[1.0, -2.0]] * 3)),
    ('WhiteNoise-no-std', lambda: nn.WhiteNoise(0.5, 0), lambda: r(2, 3), lambda x: x + 0.5),
    ('PrintSize', lambda: nn.PrintSize('here'), lambda: r(2, 3), lambda x: x),
    ('PrintSize-table', lambda: nn.PrintSize(), lambda: [r(2), r(3)], lambda x: x),
]
IDS = [c[0] for c in CASES]


# test_jacobian is this file's own (below): some modules here deliberately backpropagate something else
_, test_type_roundtrip, test_gpu, test_matches_numpy = named_case_tests(CASES)


# modules whose backward deliberately differs from d output / d input: the expected backprop Jacobian
# as a function of the finite-difference one and the input
ALTERED = {
    'GradientReversal': lambda jac, x: -0.5 * jac,
    'L1Penalty': lambda jac, x: jac + 0.1 * np.sign(x.numpy()).reshape(-1, 1),
    'L1Penalty-avg': lambda jac, x: jac + 0.1 / 6 * np.sign(x.numpy()).reshape(-1, 1),
    'ZeroGrad': lambda jac, x: 0 * jac,
    'ZeroGrad-table': lambda jac, x: 0 * jac,
}


@pytest.mark.parametrize('name,make,inp,ref', CASES, ids=IDS)
def test_jacobian(name, make, inp, ref):
    if name not in ALTERED:
        assert_jacobian(make(), inp())
        return
    m = make().double()
    x = as_double(inp())
    fd = nn.Jacobian.forward(m, x)
    assert np.abs(fd).max() > 0.5  # the forward pass is the identity
    np.testing.assert_allclose(nn.Jacobian.backward(m, x), ALTERED[name](fd, x), atol=1e-6)


def test_gradient_closed_forms():
    x, g = r(2, 3), r(2, 3)
    np.testing.assert_allclose(nn.GradientReversal(0.5).double().backward(x, g).numpy(), -0.5 * g)
    m = nn.L1Penalty(0.1, True).double()
    m.forward(x)
    assert m.loss == pytest.approx(0.1 / 6 * np.abs(x).sum())
    np.testing.assert_allclose(m.backward(x, g).numpy(), g + 0.1 / 6 * np.sign(x))
    np.testing.assert_allclose(nn.L1Penalty(1, False, False).double().backward(x, g).numpy(), np.sign(x))
    zero = nn.ZeroGrad().double()
    assert zero.backward([x, [x]], [g, [g]])[1][0].numpy().sum() == 0


def test_one_hot_output_and_zero_gradient():
    m = nn.OneHot(4)
    idx = lg.LongTensor([[0, 3], [2, 2]])
    out = m.forward(idx)
    assert out.type() == 'legonn.FloatTensor' and tuple(out.size()) == (2, 2, 4)
    np.testing.assert_array_equal(out.numpy(), np.eye(4)[[[0, 3], [2, 2]]])
    # the indices are not differentiable: backprop and finite differences (of half-integers) both give zero
    halves = lg.DoubleTensor([0.5, 2.5])
    m.double()
    np.testing.assert_array_equal(nn.Jacobian.forward(m, halves), nn.Jacobian.backward(m, halves))
    assert not m.backward(idx, out).numpy().any()
    with pytest.raises(IndexError, match=r"OneHot\(4\): expected class indices in \[0, 3\], got indices "
                                         r"from 0 to 4"):
        m.forward(lg.LongTensor([0, 4]))
    assert_type_roundtrip(nn.OneHot(3), lg.LongTensor([0, 2]))


def test_one_hot_grad_input_has_the_module_type_and_a_number_is_one_index():
    """OneHot.lua's gradInput is the module's own tensor (``self.gradInput:resize(input:size()):zero()``), a
    DoubleTensor for LongTensor indices of a double module (test.lua's nntest.OneHot); a number is one index."""
    m = nn.OneHot(4).double()
    idx = lg.LongTensor([[0, 3], [2, 2]])
    m.forward(idx)
    gi = m.backward(idx, lg.randn(2, 2, 4).double())
    assert gi.type() == 'legonn.DoubleTensor' and tuple(gi.size()) == (2, 2) and not gi.numpy().any()
    one = m.forward(2)
    assert tuple(one.size()) == (4,)
    np.testing.assert_array_equal(one.numpy(), [0, 0, 1, 0])


@pytest.mark.gpu
def test_one_hot_gpu():
    m = nn.OneHot(3).cuda()
    np.testing.assert_array_equal(m.forward(lg.LongTensor([2, 0]).cudaLong()).cpu().numpy(), np.eye(3)[[2, 0]])


@pytest.mark.gpu
def test_one_hot_gpu_takes_host_indices_and_numbers():
    """OneHot.lua copies a host input into a CudaTensor for a CUDA module (a number too): the output is on the
    GPU; a CPU module still refuses CUDA indices, naming itself."""
    m = nn.OneHot(3).cuda()
    out = m.forward(lg.LongTensor([2, 0]))
    assert out.type() == 'legonn.CudaTensor'
    np.testing.assert_array_equal(out.cpu().numpy(), np.eye(3)[[2, 0]])
    gi = m.backward(lg.LongTensor([2, 0]), lg.randn(2, 3).cuda())
    assert gi.type() == 'legonn.CudaTensor' and not gi.cpu().numpy().any()
    one = m.forward(1)
    assert one.type() == 'legonn.CudaTensor' and tuple(one.size()) == (3,)
    np.testing.assert_array_equal(one.cpu().numpy(), [0, 1, 0])
    with pytest.raises(TypeError, match=r"OneHot\(3\): expected input on the module's device"):
        nn.OneHot(3).forward(lg.LongTensor([2, 0]).cudaLong())


def test_white_noise_statistics_and_modes():
    m = nn.WhiteNoise(1.0, 0.5).double()
    x = np.zeros((200, 50))
    out = m.forward(x).numpy()
    assert abs(out.mean() - 1.0) < 0.02 and abs(out.std() - 0.5) < 0.02
    np.testing.assert_array_equal(m.backward(x, np.ones_like(x)).numpy(), 1)
    m.evaluate()
    np.testing.assert_array_equal(m.forward(x).numpy(), 1.0)
    with pytest.raises(ValueError, match="WhiteNoise mean: 1.000000, std: 0.500000: expected training mode"):
        m.backward(x, np.ones_like(x))


def test_print_size_prints(capsys):
    m = nn.PrintSize('probe')
    m.forward(np.zeros((2, 3)))
    m.backward(np.zeros((2, 3)), np.zeros((2, 3)))
    m.forward([np.zeros(1)])
    m.backward([np.zeros(1)], [np.zeros(1)])
    text = capsys.readouterr().out
    # PrintSize.lua's print(prefix..":input\n", input:size()): a tab, then the LongStorage as it prints
    assert 'probe:input\n\t 2\n 3\n[legonn.LongStorage of size 2]\n' in text
    assert 'probe:gradOutput\n\ta table of 1 entries' in text
    with pytest.raises(ValueError, match=r"PrintSize: expected gradOutput to be a legonn.DoubleTensor of size "
                                         r"\(2, 3\), got a list"):
        m.backward(np.zeros((2, 3)), [np.zeros(1)])


@pytest.mark.parametrize('make', [lambda: nn.GradientReversal(0.5), lambda: nn.L1Penalty(0.1)], ids=['GradientReversal',
                                                                                                 'L1Penalty'])
def test_gradoutput_of_another_type_is_refused(make):
    # a FloatTensor gradOutput for a DoubleTensor input was taken (GradientReversal answered a FloatTensor gradient, a
    # CUDA one on a CPU input a CUDA gradient); a shape, type or device mismatch names the module (DESIGN.md, 9)
    m = make().double()
    x = lg.DoubleTensor(r(2, 3))
    m.forward(x)
    with pytest.raises(TypeError, match=r'(GradientReversal|L1Penalty)\(.*\): expected a legonn.DoubleTensor '
                                        r"gradOutput \(the output's type\), got legonn.FloatTensor"):
        m.backward(x, lg.FloatTensor(r(2, 3)))
    assert m.backward(x, lg.DoubleTensor(r(2, 3))).type() == 'legonn.DoubleTensor'


def test_l1_penalty_without_output_ignores_gradoutput():
    # provideOutput=false: L1Penalty.lua adds no gradOutput, so it reads none (Lua code passes nil or anything)
    x = r(2, 3)
    np.testing.assert_allclose(nn.L1Penalty(1, False, False).double().backward(x, lg.FloatTensor(1)).numpy(),
                               np.sign(x))


def test_gradient_reversal_and_l1_penalty_weights_must_be_numbers():
    # a string built the module and failed at the backward (GradientReversal) or inside NumPy's forward (L1Penalty)
    for make, match in ((lambda v: nn.GradientReversal(v), 'GradientReversal: lambda'),
                        (lambda v: nn.GradientReversal().setLambda(v), 'GradientReversal: lambda'),
                        (lambda v: nn.L1Penalty(v), 'L1Penalty: l1weight')):
        for bad in ('x', True):
            with pytest.raises(ValueError, match=match + ' must be a number'):
                make(bad)
    assert nn.GradientReversal().setLambda(0.25).lambda_ == 0.25


def _mask_gradient_through_identity(byte_class, float_class):
    """An Identity whose input is a ByteTensor mask takes a float gradient of its size and passes it on (Torch7's
    Identity reads no type); sizes still count."""
    mask = byte_class([[0, 1], [1, 0]])
    m = nn.Identity().type(float_class().type())
    m.forward(mask)
    g = float_class(2, 2).fill(0)
    assert m.backward(mask, g) is g
    with pytest.raises(ValueError, match=r"Identity: expected gradOutput to be a (CUDA )?tensor of size \(2, 2\)"):
        m.backward(mask, float_class(2, 3))


def test_integer_output_takes_a_gradient_of_any_type():
    """HieCoAttenVQA's maskSoftmax.lua gives its mask node the gradient ``mask:cuda():clone():zero()`` (float):
    gradients flowing to an integer tensor are dummies, accepted whatever their type on the same device."""
    _mask_gradient_through_identity(lg.ByteTensor, lg.FloatTensor)


@pytest.mark.gpu
def test_integer_output_takes_a_gradient_of_any_type_gpu():
    """The same with a CudaByteTensor mask and a CudaTensor gradient (the device maskSoftmax.lua ran on); a host
    gradient for a CUDA mask is still refused."""
    _mask_gradient_through_identity(lg.CudaByteTensor, lg.CudaTensor)
    m = nn.Identity().cuda()
    mask = lg.CudaByteTensor([[0, 1]])
    m.forward(mask)
    with pytest.raises((TypeError, ValueError), match='Identity: expected'):
        m.backward(mask, lg.FloatTensor(1, 2))
