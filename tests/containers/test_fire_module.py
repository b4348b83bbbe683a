"""FireModule (dpnn's FireModule.lua): the squeeze/expand tree, numbers against its parts, Jacobian, types, GPU
and the port of dpnn's test/test.lua FireModule."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


@pytest.mark.parametrize('activation', ['ReLU', 'Tanh', 'Sigmoid'])
def test_fire_module_port(activation):
    """dpnn test/test.lua FireModule: forward and backward of a batch for each activation, output planes
    e1x1 + e3x3 of the input's size."""
    m = nn.FireModule(3, 4, 4, 4, activation)
    x = lg.rand(1, 3, 8, 8)
    out = m.forward(x)
    assert out.size() == (1, 8, 8, 8) and m.backward(x, out).size() == (1, 3, 8, 8)
    assert type(m.modules[0].modules[1]).__name__ == activation


def test_fire_module_matches_its_parts():
    """squeeze (1x1) -> act -> [expand 1x1 ; expand 3x3 pad 1] along planes -> act."""
    m = nn.FireModule(3, 2, 4, 5).double()
    x = lg.DoubleTensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)))
    s = np.maximum(m.squeeze.forward(x).numpy(), 0)
    a, b = m.expand.modules
    sx = lg.DoubleTensor(s)
    want = np.maximum(np.concatenate([a.forward(sx).numpy(), b.forward(sx).numpy()], axis=1), 0)
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-12)
    assert m.module is m.modules[0] and m.squeeze is m.module.modules[0]
    assert len(m.parameters()[0]) == 6
    assert repr(m) == ('nn.FireModule inputPlanes: 3 -> Squeeze Planes: 2 -> Expand: 4(1x1) + 5(3x3), '
                       'activation: ReLU')


def test_fire_module_jacobian_types_and_errors():
    assert_jacobian(nn.FireModule(2, 2, 2, 2, 'Tanh'), lg.randn(1, 2, 4, 4))
    assert_type_roundtrip(nn.FireModule(2, 2, 2, 2), lg.randn(1, 2, 4, 4))
    with pytest.warns(UserWarning, match='s1x1 is recommended'):
        nn.FireModule(2, 5, 1, 1)
    with pytest.raises(ValueError, match="FireModule: activation must name an nn module, got 'Relu'"):
        nn.FireModule(2, 2, 2, 2, 'Relu')
    with pytest.raises(ValueError, match=r'FireModule.*Sequential\[0\]'):
        nn.FireModule(2, 2, 2, 2).forward(lg.randn(1, 3, 4, 4))


@pytest.mark.gpu
def test_fire_module_on_the_gpu():
    assert_gpu_matches_cpu(nn.FireModule(2, 2, 2, 2), lg.randn(1, 2, 4, 4))
