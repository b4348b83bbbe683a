"""The full convolutions' Torch7 table input {input, target}: the target's trailing sizes choose the adj."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_close_trees, assert_gpu_matches_cpu

# (module with adj 0, the same module given the adj that the target's sizes imply (constructor order adjW, adjH or
# adjT, adjW, adjH), input sizes, target sizes)
CASES = [
    pytest.param(lambda: nn.SpatialFullConvolution(2, 3, 3, 3, 2, 2, 1, 1),
                 lambda: nn.SpatialFullConvolution(2, 3, 3, 3, 2, 2, 1, 1, 0, 1), (2, 2, 4, 5), (2, 3, 8, 9),
                 id='spatial-batch'),
    pytest.param(lambda: nn.SpatialFullConvolution(2, 1, 2, 3, 3, 2),
                 lambda: nn.SpatialFullConvolution(2, 1, 2, 3, 3, 2, 0, 0, 1, 1), (2, 3, 4), (8, 12),
                 id='spatial-single-2d-target'),
    pytest.param(lambda: nn.VolumetricFullConvolution(2, 3, 3, 3, 3, 2, 2, 2, 1, 1, 1),
                 lambda: nn.VolumetricFullConvolution(2, 3, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 0), (1, 2, 3, 3, 3),
                 (1, 3, 6, 5, 6), id='volumetric'),
]


@pytest.mark.parametrize('make,make_adjusted,input_size,target_size', CASES)
def test_table_input_equals_the_module_with_the_target_adj(make, make_adjusted, input_size, target_size):
    """SpatialFullConvolution.lua: adj = (target + 2 pad - k) % stride per axis; gradInput {grad, zeros}."""
    m, adjusted = make().double(), make_adjusted().double()
    adjusted.weight.copy(m.weight)
    adjusted.bias.copy(m.bias)
    x, target = lg.randn(*input_size).double(), lg.randn(*target_size).double()
    out = m.forward([x, target])
    want = adjusted.forward(x)
    axes = len(m.target_axes)
    assert tuple(out.size())[-axes:] == target_size[-axes:] and out.size() == want.size()
    np.testing.assert_allclose(out.array, want.array, rtol=1e-12)
    go = lg.randn(*tuple(out.size())).double()
    m.zeroGradParameters()
    adjusted.zeroGradParameters()
    gi = m.backward([x, target], go)
    want_gi = adjusted.backward(x, go)
    assert isinstance(gi, list) and len(gi) == 2
    np.testing.assert_allclose(gi[0].array, want_gi.array, rtol=1e-12)
    assert gi[1].size() == target.size() and not gi[1].array.any() and 0 in gi[1].stride()
    assert_close_trees(m.parameters()[1], adjusted.parameters()[1], rtol=1e-12)
    assert (m.adjW, m.adjH) == (0, 0)   # the module's own adj is left alone
    # a tensor input afterwards is the plain module again
    plain = m.backward(x, m.forward(x).clone())
    assert not isinstance(plain, list) and plain.size() == x.size()
    m.clearState()   # and the table form works again after clearState (its zero element is made anew)
    m.forward([x, target])
    assert not m.backward([x, target], go)[1].array.any()


def test_output_takes_the_target_size():
    m = nn.SpatialFullConvolution(2, 3, 3, 3, 2, 2, 1, 1)
    x = lg.randn(1, 2, 4, 5)
    for h, w in ((7, 9), (8, 9), (7, 10), (8, 10)):
        assert tuple(m.forward([x, lg.randn(1, 3, h, w)]).size()) == (1, 3, h, w)
    v = nn.VolumetricFullConvolution(1, 1, 3, 3, 3, 2, 2, 2, 1, 1, 1)
    assert tuple(v.forward([lg.randn(1, 3, 3, 3), lg.randn(6, 5, 6)]).size()) == (1, 6, 5, 6)


@pytest.mark.parametrize('bad,needle', [
    ([lg.randn(2, 4, 5)], 'a table of 1 entries'),
    ([lg.randn(2, 4, 5), lg.randn(8), lg.randn(8)], 'a table of 3 entries'),
    ([lg.randn(2, 4, 5), lg.randn(9)], '1-D tensor of size (9,)'),
])
def test_a_bad_table_is_refused_naming_the_module(bad, needle):
    m = nn.SpatialFullConvolution(2, 3, 3, 3, 2, 2)
    with pytest.raises(ValueError, match='SpatialFullConvolution') as err:
        m.forward(bad)
    assert 'table {input, target}' in str(err.value) and needle in str(err.value)


def test_the_map_version_takes_a_tensor_only_as_torch7():
    m = nn.SpatialFullConvolutionMap(nn.tables.full(2, 3), 3, 3, 2, 2)
    with pytest.raises(TypeError, match='SpatialFullConvolutionMap'):
        m.forward([lg.randn(2, 4, 5), lg.randn(3, 9, 11)])


@pytest.mark.gpu
def test_table_input_on_the_gpu_matches_the_cpu():
    m = nn.SpatialFullConvolution(2, 3, 3, 3, 2, 2, 1, 1)
    assert_gpu_matches_cpu(m, [lg.randn(2, 2, 4, 5), lg.randn(2, 3, 8, 9)])
