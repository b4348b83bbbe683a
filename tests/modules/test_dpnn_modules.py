"""dpnn's small modules: Clip (Clip.lua), TotalDropout (TotalDropout.lua), SpatialRegionDropout
(SpatialRegionDropout.lua), ReverseTable (ReverseTable.lua): float64 NumPy references, Jacobians, types, GPU,
bad input and ports of dpnn's test/test.lua."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def _x(*sizes, seed=0):
    return lg.DoubleTensor(np.random.default_rng(seed).standard_normal(sizes))


def test_clip_port_and_reference():
    """dpnn test/test.lua Clip: values above maxval set to it, below minval to minval; gradInput = gradOutput."""
    x, g = _x(20, 30), _x(20, 30, seed=1)
    clip = nn.Clip(-0.05, 0.1).double()
    ref = x.numpy().copy()
    ref[ref > 0.1] = 0.1
    ref[ref < -0.05] = -0.05
    np.testing.assert_array_equal(clip.forward(x).numpy(), ref)
    np.testing.assert_array_equal(clip.backward(x, g).numpy(), g.numpy())
    # Clip.lua applies maxval first, then minval: with minval > maxval every value ends at minval
    np.testing.assert_array_equal(nn.Clip(1, -1).double().forward(x).numpy(), np.ones((20, 30)))


def test_clip_jacobian_types_and_errors():
    """Inside the bounds Clip is the identity (its straight-through gradient is then the true one)."""
    assert_jacobian(nn.Clip(-5, 5), _x(3, 4))
    assert_type_roundtrip(nn.Clip(-0.5, 0.5), lg.randn(3, 4))
    assert repr(nn.Clip(-0.5, 2)) == 'nn.Clip(-0.5, 2)'
    with pytest.raises(ValueError, match='Clip: maxval must be a number'):
        nn.Clip(0, 'a')
    with pytest.raises(TypeError, match='Clip'):
        nn.Clip(0, 1).forward(lg.LongTensor(3))


@pytest.mark.gpu
def test_clip_on_the_gpu():
    assert_gpu_matches_cpu(nn.Clip(-0.3, 0.4), lg.randn(3, 5))


def test_total_dropout_port():
    """dpnn test/test.lua TotalDropout: each forward keeps (noise 1) or zeroes (noise 0) the whole input and its
    gradient; over draws both happen."""
    lg.manualSeed(0)
    x, g = _x(4, 3), _x(4, 3, seed=1)
    td = nn.TotalDropout().double()
    kept = 0
    for _ in range(20):
        out, gi = td.forward(x).numpy(), td.backward(x, g).numpy()
        assert td.noise in (0, 1)
        np.testing.assert_array_equal(out, x.numpy() * td.noise)
        np.testing.assert_array_equal(gi, g.numpy() * td.noise)
        kept += td.noise
    assert 1 < kept < 19
    td.evaluate()
    np.testing.assert_array_equal(td.forward(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match='TotalDropout.*training mode'):
        td.backward(x, g)
    with pytest.raises(ValueError, match='TotalDropout: the drop probability'):
        nn.TotalDropout(1)
    assert repr(nn.TotalDropout(0.25)) == 'nn.TotalDropout(0.250000)'


def test_total_dropout_jacobian_types_gpu_sim():
    """p = 0 always keeps the input: the identity's Jacobian; types convert."""
    assert_jacobian(nn.TotalDropout(0), _x(2, 3))
    assert_type_roundtrip(nn.TotalDropout(0).evaluate(), lg.randn(2, 3))


@pytest.mark.gpu
def test_total_dropout_on_the_gpu():
    assert_gpu_matches_cpu(nn.TotalDropout(0), lg.randn(2, 3))


def _region_reference(x, p, region):
    noise = np.ones_like(x)
    h, w = x.shape[-2:]
    bh, bw = int(np.floor(h * p)), int(np.floor(w * p))
    if region == 1 and bh:
        noise[..., :bh, :] = 0
    if region == 2 and bh:
        noise[..., h - bh:, :] = 0
    if region == 3 and bw:
        noise[..., :, :bw] = 0
    if region == 4 and bw:
        noise[..., :, w - bw:] = 0
    return noise / (1 - p)


@pytest.mark.parametrize('sizes', [(2, 10, 7), (3, 2, 10, 7)])
def test_spatial_region_dropout_matches_numpy(sizes):
    """SpatialRegionDropout.lua: a band of floor(p H) rows or floor(p W) columns zeroed at the edge regionType
    names, the rest scaled by 1 / (1 - p); the gradient through the same mask; all four regions drawn."""
    lg.manualSeed(0)
    m = nn.SpatialRegionDropout(0.3).double()
    x, g = _x(*sizes), _x(*sizes, seed=1)
    seen = set()
    for _ in range(30):
        out = m.forward(x).numpy()
        noise = _region_reference(x.numpy(), 0.3, m.regionType)
        np.testing.assert_allclose(out, x.numpy() * noise, rtol=1e-15)
        np.testing.assert_allclose(m.backward(x, g).numpy(), g.numpy() * noise, rtol=1e-15)
        seen.add(m.regionType)
    assert seen == {1, 2, 3, 4}
    m.evaluate()
    np.testing.assert_array_equal(m.forward(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match='training mode'):
        m.backward(x, g)


def test_spatial_region_dropout_port_and_errors():
    """dpnn test/test.lua SpatialRegionDropout: the rescaling keeps the mean of a constant image (p = 0.2 of 100
    rows or columns)."""
    m = nn.SpatialRegionDropout(0.2)
    x = lg.zeros(3, 100, 100).fill(2)
    assert m.forward(x).mean() == pytest.approx(2, abs=1e-5)
    assert m.backward(x, x).mean() == pytest.approx(2, abs=1e-5)
    assert_jacobian(nn.SpatialRegionDropout(0), _x(1, 3, 4))
    assert_type_roundtrip(nn.SpatialRegionDropout(0.5).evaluate(), lg.randn(2, 3, 4))
    with pytest.raises(ValueError, match='SpatialRegionDropout'):
        m.forward(lg.randn(3, 4))
    with pytest.raises(ValueError, match='drop probability'):
        nn.SpatialRegionDropout(-0.1)
    assert repr(nn.SpatialRegionDropout(0.2)) == 'nn.SpatialRegionDropout p: 0.200000'


@pytest.mark.gpu
def test_spatial_region_dropout_on_the_gpu():
    m = nn.SpatialRegionDropout(0.5).double()
    g = m.clone().cudaDouble()
    x = _x(2, 2, 6, 6)
    lg.manualSeed(4)
    out = g.forward(x.cudaDouble())
    assert out.type() == 'legonn.CudaDoubleTensor'
    noise = _region_reference(x.numpy(), 0.5, g.regionType)
    np.testing.assert_allclose(out.double().numpy(), x.numpy() * noise, rtol=1e-15)


def test_reverse_table_port():
    """dpnn test/test.lua ReverseTable: the entries reversed (the same tensors), gradOutput reversed back."""
    xs = [lg.randn(3, 4) for _ in range(4)]
    r = nn.ReverseTable()
    out = r.forward(xs)
    assert len(out) == 4 and all(o is x for o, x in zip(out, xs[::-1]))
    gi = r.backward(xs, out)
    assert len(gi) == 4 and all(g is x for g, x in zip(gi, xs))
    assert r.forward([]) == []
    nested = [xs[0], [xs[1], xs[2]]]
    assert r.forward(nested)[0][0] is xs[1] and r.output[1] is xs[0]
    with pytest.raises(TypeError, match='ReverseTable'):
        r.forward(xs[0])
    with pytest.raises(ValueError, match='ReverseTable.*gradOutput table of 4'):
        r.backward(xs, xs[:3])
    with pytest.raises(ValueError, match=r'ReverseTable: expected gradOutput\[0\] shaped like input\[1\]'):
        r.backward([xs[0], xs[1]], [lg.randn(2), xs[0]])


def test_reverse_table_of_numbers_stays_a_table():
    """dpnn's README (ReverseTable): ``module:forward{1,2,3,4}`` prints ``{4,3,2,1}``: ReverseTable.lua moves the
    table's entries, so a table of Lua numbers stays a table of numbers (legonn turns a list of numbers into a
    tensor for every other module) through forward, updateOutput and backward; arrays still become tensors."""
    r = nn.ReverseTable()
    assert r.forward([1, 2, 3, 4]) == [4, 3, 2, 1]
    assert r.backward([1, 2, 3, 4], [4, 3, 2, 1]) == [1, 2, 3, 4]
    assert r.updateOutput((1, 2.5, [3, 4])) == [[3, 4], 2.5, 1]
    out = r.forward([np.ones(2), 3])
    assert out[0] == 3 and isinstance(out[1], lg.Tensor)
    with pytest.raises(ValueError, match=r'ReverseTable: expected gradOutput\[0\] shaped like input\[1\]'):
        r.backward([lg.ones(2), 1], [lg.ones(2), lg.ones(2)])
    assert nn.Identity().forward([1, 2]).nElement() == 2   # other modules still see a tensor


def test_containers_hand_a_table_of_numbers_on_as_it_came():
    """Sequential.lua, ConcatTable.lua, ParallelTable.lua and MapTable.lua give their children the Lua table
    itself, so dpnn's ``nn.Sequential():add(nn.ReverseTable()):forward{1,2,3,4}`` is ``{4,3,2,1}`` as the bare
    ReverseTable's; each child converts what it takes (a Linear in the same container sees a tensor), and backward
    works on a table of numbers as forward did."""
    assert nn.Sequential().add(nn.ReverseTable()).forward([1, 2, 3, 4]) == [4, 3, 2, 1]
    assert nn.MapTable(nn.ReverseTable()).forward([[1, 2], [3, 4]]) == [[2, 1], [4, 3]]
    both = nn.ConcatTable().add(nn.ReverseTable()).add(nn.Identity())
    out = both.forward([1, 2, 3])
    assert out[0] == [3, 2, 1] and isinstance(out[1], lg.Tensor) and out[1].numpy().tolist() == [1, 2, 3]
    linear = nn.Linear(2, 1)   # the numbers become the default type's tensor, as forward([3, 4]) makes
    mixed = nn.ParallelTable().add(nn.ReverseTable()).add(linear)
    out = mixed.forward([[1, 2], [3, 4]])
    assert out[0] == [2, 1]
    np.testing.assert_allclose(out[1].numpy(), linear.weight.numpy() @ [3, 4] + linear.bias.numpy(), rtol=1e-6)
    seq = nn.Sequential().add(linear)
    seq.forward([3, 4])
    linear.zeroGradParameters()
    np.testing.assert_allclose(seq.backward([3, 4], lg.FloatTensor([2])).numpy(), 2 * linear.weight.numpy()[0])
    np.testing.assert_allclose(linear.gradWeight.numpy(), [[6, 8]])


def test_reverse_table_jacobian_in_a_graph_of_tensors():
    seq = nn.Sequential().add(nn.SplitTable(0)).add(nn.ReverseTable()).add(nn.JoinTable(0))
    assert_jacobian(seq, _x(3, 2))
    assert_type_roundtrip(seq, lg.randn(3, 2))
    np.testing.assert_array_equal(seq.double().forward(_x(3, 2)).numpy(), _x(3, 2).numpy()[::-1].ravel())


@pytest.mark.gpu
def test_reverse_table_on_the_gpu():
    seq = nn.Sequential().add(nn.SplitTable(0)).add(nn.ReverseTable()).add(nn.JoinTable(0))
    assert_gpu_matches_cpu(seq, lg.randn(3, 2))
