"""Decorator, DontCast, NaN, Profile, WeightNorm, Bottle, Convert."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import standard_tests

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


CASES = [
    ('Decorator', lambda: nn.Decorator(nn.Linear(3, 2)), lambda: r(2, 3)),
    ('NaN', lambda: nn.NaN(nn.Linear(3, 2)), lambda: r(2, 3)),
    ('Profile', lambda: nn.Profile(nn.Linear(3, 2), 10 ** 6), lambda: r(2, 3)),
    ('WeightNorm', lambda: nn.WeightNorm(nn.Linear(3, 2)), lambda: r(2, 3)),
    ('WeightNorm-dim1', lambda: nn.WeightNorm(nn.Linear(3, 2), 1), lambda: r(2, 3)),
    ('Bottle', lambda: nn.Bottle(nn.Linear(3, 2)), lambda: r(2, 2, 3)),
    ('Bottle-3d', lambda: nn.Bottle(nn.Sum(1), 2, 1), lambda: r(2, 2, 3, 2)),
    ('Convert-transpose', lambda: nn.Convert('bchw', 'bhwc'), lambda: r(2, 3, 2, 2)),
    ('Convert-bf', lambda: nn.Convert('bchw', 'bf'), lambda: r(2, 3, 2, 2)),
    ('Convert-single', lambda: nn.Convert('chw', 'hwc'), lambda: r(3, 1, 2)),
    ('Convert-b', lambda: nn.Convert('bf', 'b'), lambda: r(3, 1)),
]
IDS = [c[0] for c in CASES]


def _build(case):
    _, make, inp = case
    return make(), inp()


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(CASES, _build, ids=IDS)


def test_decorators_pass_through():
    inner = nn.Linear(3, 2).double()
    x = r(2, 3)
    expected = x @ inner.weight.numpy().T + inner.bias.numpy()
    for wrapped in (nn.Decorator(inner), nn.NaN(inner, 7), nn.Profile(inner, 1000)):
        np.testing.assert_allclose(wrapped.forward(x).numpy(), expected)
        assert wrapped.parameters()[0][0] is inner.weight
    assert repr(nn.NaN(inner, 7)) == 'nn.NaN(7) @ nn.Linear(3 -> 2)'
    assert repr(nn.Decorator(inner)) == 'nn.Decorator @ nn.Linear(3 -> 2)'


def test_nan_new_id_numbers_the_instances():
    """NaN.lua: ``NaN.newId()`` advances one sequence of the process, which a NaN built without an id takes;
    a given id leaves the sequence where it was."""
    first = nn.NaN.newId()
    assert nn.NaN(nn.Identity()).id == first + 1
    assert nn.NaN(nn.Identity(), 'mine').id == 'mine'
    assert nn.NaN.newId() == first + 2
    assert nn.NaN(nn.Identity()).id == first + 3


def _nan_error(m, call, *args):
    with pytest.raises(ValueError) as err:
        getattr(m, call)(*args)
    return str(err.value)


def test_nan_reports_where():
    """NaN.lua's messages, as what came after the module's path and what it expected: the input, then the
    parameters, are blamed for a NaN output before the output itself; a NaN gradInput blames gradOutput first;
    then the parameter gradients."""
    lin = nn.Linear(2, 2).double()
    m = nn.NaN(lin, 3)
    lua = 'NaN found in {} of module :\nnn.NaN(3) @ nn.Linear(2 -> 2)'
    shown, grad_input = ('NaN(3) @ Linear(2 -> 2): expected no NaN in the ' + what + ', got ' + lua
                         for what in ('output', 'gradInput'))
    assert _nan_error(m, 'forward', np.array([np.nan, 1.0])) == shown.format('input')
    # a sum that is NaN counts, as recursiveIsNaN's tensor:sum(): both infinities, none of them a NaN
    lin.weight.array[:] = np.eye(2)
    lin.bias.zero()
    assert _nan_error(m, 'forward', np.array([np.inf, -np.inf])) == shown.format('input')
    lin.bias.array[0] = np.nan
    assert _nan_error(m, 'forward', np.array([1.0, 1.0])) == shown.format('parameters')
    lin.bias.array[0] = 0
    # an infinite weight sums to no NaN: a NaN output it makes (inf * 0) is the output's
    lin.weight.array[:] = [[np.inf, 0], [0, 1]]
    assert _nan_error(m, 'forward', np.array([0.0, 1.0])) == shown.format('output')
    lin.reset()
    m.forward(np.array([1.0, 1.0]))
    assert _nan_error(m, 'updateGradInput', np.ones(2), np.array([np.nan, 0])) == grad_input.format('gradOutput')
    lin.gradBias.array[1] = np.nan
    assert _nan_error(m, 'accGradParameters', np.ones(2), np.ones(2)) == (
        'NaN(3) @ Linear(2 -> 2): expected no NaN in the parameter gradients, got ' + lua.format('gradParameters'))
    # inside a container the path grows as for any module's error
    net = nn.Sequential().add(nn.Identity()).add(nn.NaN(nn.Log(), 4))
    with pytest.raises(ValueError, match=r"^Sequential\[1\] NaN\(4\) @ Log: expected no NaN in the output, got NaN "
                                         r"found in output of module :\nnn\.NaN\(4\) @ nn\.Log$"):
        net.forward(lg.DoubleTensor([-1.0]))


def test_profile_counts_and_prints(capsys):
    m = nn.Profile(nn.Linear(2, 2).double(), 2, 'lin')
    for _ in range(3):
        m.forward(r(1, 2))
    assert m.numFwds == 1 and m.summedFwdTime >= 0
    assert 'lin took' in capsys.readouterr().out


def test_dont_cast_keeps_the_module_type():
    inner = nn.Linear(3, 2)  # float
    m = nn.Sequential().add(nn.DontCast(inner, True))
    m.double()
    assert inner.weight.type() == 'legonn.FloatTensor'
    x = r(2, 3)
    out = m.forward(x)
    assert out.type() == 'legonn.DoubleTensor'
    np.testing.assert_allclose(out.numpy(), x @ inner.weight.numpy().T + inner.bias.numpy(), rtol=1e-5)
    gi = m.backward(x, np.ones((2, 2)))
    assert gi.type() == 'legonn.DoubleTensor'
    np.testing.assert_allclose(inner.gradBias.numpy(), [2, 2])


def test_weight_norm_reparametrises():
    inner = nn.Linear(3, 2).double()
    before = inner.weight.numpy().copy()
    m = nn.WeightNorm(inner)
    x = r(4, 3)
    out = m.forward(x).numpy()
    np.testing.assert_allclose(inner.weight.numpy(), before, rtol=1e-4)
    np.testing.assert_allclose(out, x @ before.T + inner.bias.numpy(), rtol=1e-4)
    m.g.array[...] = [2.0, 3.0]
    m.forward(x)
    v = np.linalg.norm(m.v.numpy(), axis=1)
    scaled = np.array([2.0, 3.0]) * v / np.sqrt(v ** 2 + 1e-4)  # Torch7's 1e-4 inside the root
    np.testing.assert_allclose(np.linalg.norm(inner.weight.numpy(), axis=1), scaled, rtol=1e-12)
    params, grads = m.getParameters()
    assert params.nElement() == 6 + 2 + 2
    m.evaluate()
    m.g.array[...] = [5.0, 5.0]
    m.forward(x)  # frozen in evaluation mode
    np.testing.assert_allclose(np.linalg.norm(inner.weight.numpy(), axis=1), scaled, rtol=1e-12)
    with pytest.raises(ValueError, match='must have a weight'):
        nn.WeightNorm(nn.Tanh())


def test_bottle_reference_and_passthrough():
    inner = nn.Linear(3, 2).double()
    b = nn.Bottle(inner)
    x = r(2, 4, 3)
    np.testing.assert_allclose(b.forward(x).numpy(), x @ inner.weight.numpy().T + inner.bias.numpy())
    assert tuple(b.forward(r(5, 3)).size()) == (5, 2)
    with pytest.raises(ValueError, match=r"Bottle\(2 -> 3\) @ Linear\(3 -> 2\): expected the module to return 3-D"):
        nn.Bottle(inner, 2, 3).forward(x)


def test_convert_layouts():
    x = r(2, 3, 4, 5)
    np.testing.assert_allclose(nn.Convert('bchw', 'bhwc').forward(x).numpy(), x.transpose(0, 2, 3, 1))
    np.testing.assert_allclose(nn.Convert('bchw', 'hwcb').forward(x).numpy(), x.transpose(2, 3, 1, 0))
    np.testing.assert_allclose(nn.Convert('bchw', 'bf').forward(x).numpy(), x.reshape(2, -1))
    np.testing.assert_allclose(nn.Convert('chw', 'bf').forward(x[0]).numpy(), x[0].reshape(-1))
    np.testing.assert_allclose(nn.Convert('b', 'bt').forward(x[0, 0, 0]).numpy(), x[0, 0, 0][:, None])
    np.testing.assert_allclose(nn.Convert().forward(x).numpy(), x)
    with pytest.raises(ValueError, match='unrecognised conversion'):
        nn.Convert('bchw', 'xyz')
    with pytest.raises(ValueError, match=r"Convert\(bf -> b\): expected one feature"):
        nn.Convert('bf', 'b').forward(r(2, 3))


def test_convert_copies_input_into_its_type():
    """torch/nn Convert.lua: 'Automatically converts input to same type as self.output. Simplest use is for
    automatic input type conversions: nn.Convert()' (dp's examples convert label targets with it); gradInput is
    in the module's type, as Convert.lua's ``_gradInput = input.new()`` of the converted input."""
    labels = lg.LongTensor([0, 2, 1])
    conv = nn.Convert().double()
    out = conv.forward(labels)
    assert out.type() == 'legonn.DoubleTensor' and out.tolist() == [0.0, 2.0, 1.0]
    assert conv.backward(labels, lg.DoubleTensor([1, 1, 1])).type() == 'legonn.DoubleTensor'
    x = r(2, 3, 4, 5)
    y = nn.Convert('bchw', 'bf').forward(x)                 # a float64 array into the default FloatTensor module
    assert y.type() == 'legonn.FloatTensor'
    np.testing.assert_allclose(y.numpy(), x.reshape(2, -1), rtol=1e-6)


@pytest.mark.gpu
def test_convert_moves_input_to_its_device():
    """Convert.lua's type conversion is also the device move: a CUDA nn.Convert() takes a CPU LongTensor."""
    conv = nn.Convert().cuda()
    out = conv.forward(lg.LongTensor([3, 1]))
    assert out.type() == 'legonn.CudaTensor' and out.float().tolist() == [3.0, 1.0]


def test_weight_norm_takes_g_resized_by_norm():
    """``g:norm(v, 2, 2)`` (Torch7's WeightNorm.lua:78 resetInit; fairseq's fconv_model.lua makeLinear) resizes g
    to (rows, 1); WeightNorm.lua reads g by its element count (line 100's ``_scale:copy(g)``), so the module
    computes, differentiates and flattens as with a 1-D g."""
    lg.manualSeed(2)
    m = nn.WeightNorm(nn.Linear(3, 2).double())
    m.v.normal(0, 1)
    m.g.norm(m.v, 2, 1)
    assert tuple(m.g.size()) == (2, 1)
    x = r(4, 3)
    v = m.v.numpy()
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    expected = x @ (norms * v / np.sqrt(norms ** 2 + 1e-4)).T + m.modules[0].bias.numpy()
    np.testing.assert_allclose(m.forward(x).numpy(), expected, rtol=1e-12)
    assert nn.Jacobian.testJacobianParameters(m, x, m.g, m.gradG) < 1e-7
    assert nn.Jacobian.testJacobianParameters(m, x, m.v, m.gradV) < 1e-7
    params, grads = m.getParameters()
    assert params.nElement() == grads.nElement() == 6 + 2 + 2
