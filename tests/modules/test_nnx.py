"""nnx's modules (clementfarabet/lua---nnx): SpatialReSampling, SpatialReSamplingEx, MultiSoftMax, SoftMaxTree,
TreeNLLCriterion."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor.conversion import on_gpu
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


# Linear maps (each gradInput the transpose of its forward, as nnx's C updateGradInput computes it): Jacobians,
# float()/double() and the GPU for every class built from nnx but SoftMaxTree (its own tests below)
CASES = [
    pytest.param(lambda: nn.SpatialReSampling({'oheight': 5, 'owidth': 3}), (2, 3, 4), id='resampling-3d'),
    pytest.param(lambda: nn.SpatialReSampling({'rheight': 0.5, 'rwidth': 2}), (2, 2, 6, 3), id='resampling-4d'),
    pytest.param(lambda: nn.SpatialReSamplingEx({'oheight': 2, 'owidth': 3, 'mode': 'average'}), (2, 4, 7),
                 id='ex-average-down'),
    pytest.param(lambda: nn.SpatialReSamplingEx(owidth=5, oheight=7), (2, 3, 4), id='ex-simple-up'),
    pytest.param(lambda: nn.SpatialReSamplingEx(owidth=2, oheight=2, yDim=0, xDim=1), (5, 4, 3), id='ex-simple-down'),
    pytest.param(lambda: nn.SpatialReSamplingEx(rwidth=1.5, rheight=2, mode='bilinear', yDim=2, xDim=3),
                 (2, 2, 3, 4, 2), id='ex-bilinear-5d'),
    pytest.param(lambda: nn.MultiSoftMax(), (3, 4), id='multisoftmax-2d'),
    pytest.param(lambda: nn.MultiSoftMax(), (2, 3, 4), id='multisoftmax-3d'),
]


@pytest.mark.parametrize('make,shape', CASES)
def test_jacobian_and_types(make, shape):
    assert_jacobian(make(), lg.randn(*shape))
    assert_type_roundtrip(make(), lg.randn(*shape))


@pytest.mark.gpu
@pytest.mark.parametrize('make,shape', CASES)
def test_gpu_matches_cpu(make, shape):
    assert_gpu_matches_cpu(make(), lg.randn(*shape))


# --- SpatialReSampling ---------------------------------------------------------------------------------------
def _resampling_loops(x, oh, ow):
    """nnx generic/SpatialReSampling.c, loop for loop: float positions and surfaces, the sum in the input's type.
    ``x`` (planes, H, W); returns (output, gradInput for gradOutput = ones * pixel number)."""
    f = np.float32
    planes, ih, iw = x.shape
    out = np.zeros((planes, oh, ow), x.dtype)
    gi = np.zeros_like(x)
    wratio, hratio = f(iw - 1) / f(ow - 1), f(ih - 1) / f(oh - 1)
    for k in range(planes):
        for y in range(oh):
            for xx in range(ow):
                ix, iy = f(wratio * f(xx)), f(hratio * f(y))
                ix_nw, iy_nw = f(math.floor(ix)), f(math.floor(iy))
                ix_ne, iy_ne, ix_sw, iy_sw, ix_se, iy_se = ix_nw + 1, iy_nw, ix_nw, iy_nw + 1, ix_nw + 1, iy_nw + 1
                se, sw = f((ix - ix_nw) * (iy - iy_nw)), f((ix_ne - ix) * (iy - iy_ne))
                ne, nw = f((ix - ix_sw) * (iy_sw - iy)), f((ix_se - ix) * (iy_se - iy))
                taps = [(int(iy_nw), int(ix_nw), nw), (int(iy_ne), min(int(ix_ne), iw - 1), ne),
                        (min(int(iy_sw), ih - 1), int(ix_sw), sw),
                        (min(int(iy_se), ih - 1), min(int(ix_se), iw - 1), se)]
                total = x.dtype.type(0)
                for r, c, wgt in taps:
                    total = total + x[k, r, c] * x.dtype.type(wgt)
                out[k, y, xx] = total
                g = float(y * ow + xx)   # the C's ``double ograd``
                for r, c, wgt in taps:
                    gi[k, r, c] = float(gi[k, r, c]) + float(wgt) * g
    return out, gi


@pytest.mark.parametrize('shape,size', [((2, 4, 5), (7, 3)), ((1, 3, 3), (3, 3)), ((3, 1, 6), (4, 5)),
                                        ((2, 9, 8), (4, 3))], ids=['up-down', 'same', 'one-row', 'down'])
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_resampling_matches_the_c_loops(shape, size, dtype):
    """nnx generic/SpatialReSampling.c: updateOutput's four-neighbour sum and updateGradInput's accumulation,
    float weights, float64 and float32 tensors (the output bit for bit: same operations in the same order; the
    float32 gradient to rounding, as the C adds each product in double)."""
    x = np.random.RandomState(0).randn(*shape).astype(dtype)
    ref_out, ref_gi = _resampling_loops(x, *size)
    m = nn.SpatialReSampling({'oheight': size[0], 'owidth': size[1]})
    m.type('legonn.DoubleTensor' if dtype == np.float64 else 'legonn.FloatTensor')
    out = m.forward(lg.from_numpy(x))
    go = np.arange(size[0] * size[1], dtype=dtype).reshape(1, *size).repeat(shape[0], 0)
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(go))
    np.testing.assert_array_equal(out.numpy(), ref_out)
    np.testing.assert_allclose(gi.numpy(), ref_gi, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_resampling_taps_made_once_per_sizes():
    """nnx generic/SpatialReSampling.c works out each output pixel's four neighbours and surfaces from the sizes
    alone, in forward and again in backward; legonn makes them once per (input size, output size, type), shared
    by forward and backward from then on and read-only, with the numbers of the C loops."""
    from legonn.tensor.interpolation_kernels import _resampling_taps
    x = np.random.RandomState(1).randn(2, 7, 5)
    m = nn.SpatialReSampling({'oheight': 11, 'owidth': 13}).double()
    go = np.arange(11 * 13, dtype=np.float64).reshape(1, 11, 13).repeat(2, 0)
    m.forward(lg.from_numpy(x))
    made = _resampling_taps.cache_info().misses
    for _ in range(2):
        out = m.forward(lg.from_numpy(x))
        gi = m.backward(lg.from_numpy(x), lg.from_numpy(go))
    assert _resampling_taps.cache_info().misses == made
    index, weights, flat_index = _resampling_taps(np, 7, 5, 11, 13, np.dtype(np.float64))
    assert not any(a.flags.writeable for a in index + weights + [flat_index])
    ref_out, ref_gi = _resampling_loops(x, 11, 13)
    np.testing.assert_array_equal(out.numpy(), ref_out)
    np.testing.assert_allclose(gi.numpy(), ref_gi, rtol=1e-14)


def test_resampling_ratios_and_batch():
    """nnx SpatialReSampling.lua: owidth = rwidth * iwidth (read by the C as an integer); a batch is each
    example resampled; positional arguments in xlua's order rwidth, rheight, owidth, oheight."""
    x = lg.randn(2, 3, 4, 6).double()
    m = nn.SpatialReSampling({'rwidth': 1.5, 'rheight': 2}).double()
    out = m.forward(x)
    assert out.size() == (2, 3, 8, 9)
    one = nn.SpatialReSampling(None, None, 9, 8).double()
    np.testing.assert_array_equal(out[1].numpy(), one.forward(x[1]).numpy())


def test_resampling_backward_reads_the_output_size_from_grad_output():
    """nnx generic/SpatialReSampling.c's updateGradInput takes the output size from gradOutput (neither from
    owidth/oheight nor from a forward): dpnn's test.lua spreads a 4x4 glimpse gradient over an 8x8 input with a
    resampler built for 8x8 that never ran forward. Against the C loops for that size; a gradOutput of other
    planes or a side of 1 is refused, naming the module."""
    x = np.random.RandomState(2).randn(2, 8, 8)
    go = np.arange(4 * 4, dtype=np.float64).reshape(1, 4, 4).repeat(2, 0)
    m = nn.SpatialReSampling({'oheight': 8, 'owidth': 8}).double()
    gi = m.updateGradInput(lg.from_numpy(x), lg.from_numpy(go))
    np.testing.assert_allclose(gi.numpy(), _resampling_loops(x, 4, 4)[1], rtol=1e-14)
    with pytest.raises(ValueError, match=r'SpatialReSampling.*gradOutput of size \(2,\)'):
        m.updateGradInput(lg.from_numpy(x), lg.DoubleTensor(3, 4, 4).zero())
    with pytest.raises(ValueError, match='SpatialReSampling.*at least 2'):
        m.updateGradInput(lg.from_numpy(x), lg.DoubleTensor(2, 1, 4).zero())


def test_resampling_identity_size_copies():
    """nnx generic/SpatialReSampling.c: with the input's own size every position is a pixel (ratio 1)."""
    x = lg.randn(2, 5, 4)
    np.testing.assert_array_equal(nn.SpatialReSampling(owidth=4, oheight=5).forward(x).numpy(), x.numpy())


def test_resampling_gradient_sized_by_grad_output():
    """nnx generic/SpatialReSampling.c's updateGradInput reads the output size from gradOutput, needing no forward:
    dpnn's test.lua (SpatialGlimpseRect) calls it on an 8x8 module with a 4x4 gradOutput and gets the gradient
    of a 4x4 resampling. A gradOutput that does not fit the input is refused, naming the module."""
    x, go = lg.randn(1, 2, 8, 8).double(), lg.randn(1, 2, 4, 4).double()
    fresh = nn.SpatialReSampling({'oheight': 8, 'owidth': 8}).double()
    sized = nn.SpatialReSampling({'oheight': 4, 'owidth': 4}).double()
    sized.forward(x)
    np.testing.assert_array_equal(fresh.updateGradInput(x, go).numpy(), sized.updateGradInput(x, go).numpy())
    assert fresh.output.nElement() == 0
    with pytest.raises(ValueError, match=r'SpatialReSampling\(8x8\).*gradOutput of size \(1, 2\) x oheight'):
        fresh.updateGradInput(x, lg.randn(1, 3, 4, 4).double())
    with pytest.raises(ValueError, match=r'SpatialReSampling\(8x8\).*at least 2'):
        fresh.updateGradInput(x, lg.randn(1, 2, 1, 4).double())
    with pytest.raises(ValueError, match=r'SpatialReSampling\(8x8\).*gradOutput'):
        fresh.updateGradInput(x, lg.randn(2, 4, 4).double())
    with pytest.raises(TypeError, match=r'SpatialReSampling\(8x8\).*DoubleTensor gradOutput'):
        fresh.updateGradInput(x, lg.randn(1, 2, 4, 4).float())


def test_resampling_errors_name_the_module():
    """Bad sizes fail at construction or forward, naming SpatialReSampling; nnx's C would divide by zero at an
    output side of 1."""
    with pytest.raises(ValueError, match='SpatialReSampling.*owidth'):
        nn.SpatialReSampling(owidth=1, oheight=4)
    with pytest.raises(ValueError, match='SpatialReSampling.*rheight'):
        nn.SpatialReSampling(owidth=3)
    with pytest.raises(ValueError, match='SpatialReSampling'):
        nn.SpatialReSampling({'owidth': 3, 'oheigth': 4})
    with pytest.raises(ValueError, match='SpatialReSampling.*2x2'):
        nn.SpatialReSampling(rwidth=0.1, rheight=1).forward(lg.randn(1, 4, 4))
    with pytest.raises(ValueError, match='SpatialReSampling'):
        nn.SpatialReSampling(owidth=3, oheight=3).forward(lg.randn(4, 4))
    with pytest.raises(TypeError, match='SpatialReSampling'):
        nn.SpatialReSampling(owidth=3, oheight=3).forward(lg.LongTensor(1, 4, 4).zero())


# --- SpatialReSamplingEx -------------------------------------------------------------------------------------
def _resampling_ex_loops(x, oh, ow, mode, go):
    """nnx generic/SpatialReSamplingEx.c's simple and average loops on ``x`` (K1, H, W, K2): (output, gradInput
    for ``go``); the bilinear mode is SpatialReSampling's arithmetic (checked above)."""
    k1n, ih, iw, k2n = x.shape
    out, gi = np.zeros((k1n, oh, ow, k2n), x.dtype), np.zeros_like(x)
    for k1 in range(k1n):
        for k2 in range(k2n):
            if oh >= ih:
                dh, dw = (oh + ih - 1) // ih, (ow + iw - 1) // iw
                for y in range(oh):
                    for xx in range(ow):
                        out[k1, y, xx, k2] = x[k1, y // dh, xx // dw, k2]
                        gi[k1, y // dh, xx // dw, k2] += go[k1, y, xx, k2]
            else:
                dh, dw = ih // oh, iw // ow
                for y in range(oh):
                    for xx in range(ow):
                        if mode == 'simple':
                            out[k1, y, xx, k2] = x[k1, y * dh, xx * dw, k2]
                            gi[k1, y * dh, xx * dw, k2] = go[k1, y, xx, k2]
                            continue
                        avg = x.dtype.type(0)
                        for i in range(y * dh, (y + 1) * dh):
                            for j in range(xx * dw, (xx + 1) * dw):
                                avg += x[k1, i, j, k2]
                                gi[k1, i, j, k2] += go[k1, y, xx, k2]
                        out[k1, y, xx, k2] = avg
    if oh < ih and mode == 'average':
        dh, dw = ih // oh, iw // ow
        out *= x.dtype.type(np.float32(1) / np.float32(dh * dw))
        gi *= x.dtype.type(1) / (dh * dw)
    return out, gi


@pytest.mark.parametrize('mode', ['simple', 'average'])
@pytest.mark.parametrize('size', [(3, 2), (2, 3), (7, 11), (5, 6)], ids=['down', 'down-uneven', 'up', 'same'])
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_resampling_ex_matches_the_c_loops(mode, size, dtype):
    """nnx generic/SpatialReSamplingEx.c, simple and average modes, growing (nearest, dH = ceil(oH / H)) and
    shrinking (every dH-th pixel, or the dH x dW block mean scaled by 1.0f / (dH * dW)); a 5-D input with yDim 2
    (Lua's 3) seen as K1 x H x W x K2, as the Lua file reshapes it; float32 bit for bit."""
    rng = np.random.RandomState(1)
    x = rng.randn(2, 3, 5, 6, 2).astype(dtype)
    go = rng.randn(2, 3, size[0], size[1], 2).astype(dtype)
    m = nn.SpatialReSamplingEx({'oheight': size[0], 'owidth': size[1], 'mode': mode, 'yDim': 2, 'xDim': 3})
    m.type('legonn.DoubleTensor' if dtype == np.float64 else 'legonn.FloatTensor')
    out = m.forward(lg.from_numpy(x)).numpy()
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(go)).numpy()
    ref_out, ref_gi = _resampling_ex_loops(x.reshape(6, 5, 6, 2), *size, mode, go.reshape(6, *size, 2))
    np.testing.assert_array_equal(out, ref_out.reshape(out.shape))
    np.testing.assert_array_equal(gi, ref_gi.reshape(gi.shape))


def test_resampling_ex_bilinear_is_spatial_resampling():
    """nnx generic/SpatialReSamplingEx.c's bilinear mode repeats SpatialReSampling.c's arithmetic on each
    K1 x K2 plane: here on axes 2, 3 of a 4-D input, as SpatialReSampling does on a batch."""
    x = lg.randn(2, 3, 5, 4)
    m = nn.SpatialReSamplingEx(owidth=7, oheight=6, mode='bilinear', yDim=2, xDim=3)
    ref = nn.SpatialReSampling(owidth=7, oheight=6)
    np.testing.assert_array_equal(m.forward(x).numpy(), ref.forward(x).numpy())
    go = lg.randn(2, 3, 6, 7)
    np.testing.assert_array_equal(m.backward(x, go).numpy(), ref.backward(x, go).numpy())


def test_resampling_ex_ratios_round():
    """nnx SpatialReSamplingEx.lua: oheight = round(rheight * iheight) = floor(a + 0.5), from each input."""
    m = nn.SpatialReSamplingEx(rwidth=0.5, rheight=0.5)
    assert m.forward(lg.randn(2, 5, 7)).size() == (2, 3, 4)
    assert m.forward(lg.randn(2, 9, 8)).size() == (2, 5, 4)


def test_resampling_ex_errors_name_the_module():
    """nnx SpatialReSamplingEx.lua's checks (mode, yDim = xDim - 1, no upsampling one side while downsampling
    the other) and the sizes the C needs, each naming SpatialReSamplingEx."""
    with pytest.raises(ValueError, match='SpatialReSamplingEx: mode must be'):
        nn.SpatialReSamplingEx(owidth=3, oheight=3, mode='nearest')
    with pytest.raises(ValueError, match='SpatialReSamplingEx: yDim must be equal to xDim - 1'):
        nn.SpatialReSamplingEx(owidth=3, oheight=3, yDim=1, xDim=3)
    with pytest.raises(ValueError, match='SpatialReSamplingEx: give oheight'):
        nn.SpatialReSamplingEx(owidth=3)
    with pytest.raises(ValueError, match=r'SpatialReSamplingEx\(3x3.*both sides grown or both shrunk'):
        nn.SpatialReSamplingEx(owidth=3, oheight=3).forward(lg.randn(1, 2, 5))
    with pytest.raises(ValueError, match=r'SpatialReSamplingEx.*at least 2x2'):
        nn.SpatialReSamplingEx(owidth=1, oheight=1, mode='bilinear').forward(lg.randn(1, 4, 4))
    with pytest.raises(ValueError, match=r'SpatialReSamplingEx.*axis xDim=2'):
        nn.SpatialReSamplingEx(owidth=2, oheight=2).forward(lg.randn(4, 4))
    with pytest.raises(TypeError, match='SpatialReSamplingEx'):
        nn.SpatialReSamplingEx(owidth=2, oheight=2).forward(lg.LongTensor(1, 4, 4).zero())


# --- MultiSoftMax --------------------------------------------------------------------------------------------
@pytest.mark.parametrize('shape', [(3, 5), (2, 4, 6)], ids=['2d', '3d'])
def test_multi_softmax_normalises_the_last_dimension(shape):
    """nnx MultiSoftMax.lua: THNN's SoftMax on a 2-D input, and on a 3-D input viewed as (batch * outputs,
    classes): exp(x - max) / sum along the last dimension (float64 NumPy reference); the gradient is
    y * (g - sum(g * y)) along it."""
    x = np.random.RandomState(2).randn(*shape) * 3
    g = np.random.RandomState(3).randn(*shape)
    m = nn.MultiSoftMax().double()
    out = m.forward(lg.from_numpy(x)).numpy()
    e = np.exp(x - x.max(-1, keepdims=True))
    ref = e / e.sum(-1, keepdims=True)
    np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-16)
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy()
    np.testing.assert_allclose(gi, ref * (g - (g * ref).sum(-1, keepdims=True)), rtol=1e-12, atol=1e-15)


def test_multi_softmax_is_softmax_on_each_output():
    """nnx MultiSoftMax.lua: output[:, j] of a 3-D input is nn.SoftMax of the 2-D input[:, j]."""
    x = lg.randn(4, 3, 5)
    out = nn.MultiSoftMax().forward(x)
    for j in range(3):
        np.testing.assert_array_equal(out.select(1, j).numpy(),
                                      nn.SoftMax().forward(x.select(1, j).contiguous()).numpy())


def test_multi_softmax_errors_name_the_module():
    """nnx MultiSoftMax.lua: "Only supports 2D or 3D inputs"; legonn names the module."""
    with pytest.raises(ValueError, match='MultiSoftMax.*2-D or 3-D'):
        nn.MultiSoftMax().forward(lg.randn(4))
    with pytest.raises(ValueError, match='MultiSoftMax.*2-D or 3-D'):
        nn.MultiSoftMax().forward(lg.randn(2, 2, 2, 2))


# --- SoftMaxTree and TreeNLLCriterion ------------------------------------------------------------------------
# nnx test/test-all.lua's tree, ids less one
NNX_TREE = {28: [29, 0, 1], 0: [2, 3, 4], 1: [5, 6, 7], 2: [8, 9, 10], 3: [11, 12, 13], 4: [14, 15, 16],
            5: [17, 18, 19], 6: [20, 21, 22], 7: [23, 24, 25, 26, 27]}


def _tree(inputSize=100):
    return nn.SoftMaxTree(inputSize, {p: lg.IntTensor(c) for p, c in NNX_TREE.items()}, 28)


def test_softmax_tree_nnx_port():
    """nnx test/test-all.lua SoftMaxTree: example 3's output and gradInput equal a ConcatTable of Linear +
    LogSoftMax + Narrow for parents {29, 2, 8} (here 28, 1, 7) summed by CAddTable; updates[root] counts the
    5 examples; after updateParameters(0.1) parent 8's (here 7's) rows and gradients equal the Linear's."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    x, target, grad = lg.randn(5, 100), lg.IntTensor([19, 22, 26, 9, 7]), lg.randn(5)
    smt = _tree()
    smt.zeroGradParameters()
    concat, linears = nn.ConcatTable(), {}
    for index, parent in zip((2, 2, 3), (28, 1, 7)):
        (weight, bias), (gradWeight, gradBias) = smt.getNodeParameters(parent)
        assert abs(gradWeight.sum()) < 1e-6 and abs(gradBias.sum()) < 1e-6
        linear = linears[parent] = nn.Linear(100, len(NNX_TREE[parent]))
        linear.weight.set(weight.clone())
        linear.bias.set(bias.clone())
        concat.add(nn.Sequential().add(linear).add(nn.LogSoftMax()).add(nn.Narrow(0, index, 1)))
    mlp = nn.Sequential().add(concat).add(nn.CAddTable())
    mlp.zeroGradParameters()
    out = smt.forward([x, target])
    act = mlp.forward(x[2])
    gi = smt.backward([x, target], grad)[0]
    mlp_grad = mlp.backward(x[2], grad.narrow(0, 2, 1))
    assert abs(out[2] - act[0]) < 1e-5
    np.testing.assert_allclose(gi[2].numpy(), mlp_grad.numpy(), atol=1e-5)
    assert smt.updates[28] == 5
    smt.updateParameters(0.1)
    mlp.updateParameters(0.1)
    (weight, bias), (gradWeight, gradBias) = smt.getNodeParameters(7)
    for mine, theirs in ((weight, linears[7].weight), (gradWeight, linears[7].gradWeight), (bias, linears[7].bias),
                         (gradBias, linears[7].gradBias)):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), atol=1e-6)


def _exp_minus_approx(x):
    """TH's THExpMinusApprox (lib/TH/THLogAdd.c), one number."""
    if x >= 13.0:
        return 0.0
    y = 1.0 + x * (0.125 + x * (0.0078125 + x * (0.00032552083 + x * 1.0172526e-5)))
    y *= y
    y *= y
    y *= y
    return 1 / y


def _tree_loops(tree, w, b, x, target, grad, scale, exp_minus=_exp_minus_approx):
    """nnx generic/SoftMaxTree.c's three functions, loop for loop, in float64: (output, gradInput, gradWeight,
    gradBias, updates) with the C's first-row / parent / index tables read off ``tree``."""
    pc, cp = tree.parentChildren.numpy(), tree.childParent.numpy()
    out, gi = np.zeros(len(x)), np.zeros_like(x)
    gw, gb, updates = np.zeros_like(w), np.zeros_like(b), {}
    for i in range(len(x)):
        child, total = int(target[i]), 0.0
        while True:
            parent, index = cp[child]
            first, n = pc[parent]
            lin = w[first:first + n] @ x[i] + b[first:first + n]
            top = lin.max()
            logsum = top + np.log(sum(exp_minus(top - v) for v in lin))
            logsoft = lin - logsum
            total += logsoft[index]
            g = -np.exp(logsoft) * grad[i]
            g[index] += grad[i]
            gi[i] += w[first:first + n].T @ g
            gw[first:first + n] += scale * np.outer(g, x[i])
            gb[first:first + n] += scale * g
            updates[int(parent)] = updates.get(int(parent), 0) + scale
            if parent == tree.rootId:
                break
            child = parent
        out[i] = total
    return out, gi, gw, gb, updates


def test_softmax_tree_matches_the_c_loops():
    """nnx generic/SoftMaxTree.c: output (the log-softmax summed with THExpMinusApprox: large logits here, so
    the approximation shows), gradInput, gradWeight and gradBias with a scale, and ``updates``; float64."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    smt = _tree(6)
    smt.reset(2.0)
    rng = np.random.RandomState(4)
    x, grad = rng.randn(7, 6), rng.randn(7)
    target = np.array([19, 22, 26, 9, 7, 29, 2])
    smt.zeroGradParameters()
    args = [lg.from_numpy(x), lg.IntTensor(target.tolist())]
    out = smt.forward(args).numpy()
    gi = smt.updateGradInput(args, lg.from_numpy(grad))[0].numpy()
    smt.accGradParameters(args, lg.from_numpy(grad), 0.5)
    ref = _tree_loops(smt, smt.weight.numpy(), smt.bias.numpy(), x, target, grad, 0.5)
    np.testing.assert_allclose(out, ref[0], rtol=1e-13)
    np.testing.assert_allclose(gi, ref[1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(smt.gradWeight.numpy(), ref[2], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(smt.gradBias.numpy(), ref[3], rtol=1e-12, atol=1e-14)
    assert smt.updates == ref[4]
    exact = _tree_loops(smt, smt.weight.numpy(), smt.bias.numpy(), x, target, grad, 0.5, lambda v: np.exp(-v))
    assert np.abs(out - exact[0]).max() > 1e-6   # Torch7's approximate exponential, not exp


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_softmax_tree_rows_off_the_paths_are_never_read(bad, tensor):
    """nnx generic/SoftMaxTree.c's loops read only the rows of the parents on each target's path: an inf or NaN
    in parent 7's rows (on no path here) changes no gradient, and an inf input row spoils only the rows on its
    own path. legonn's padding slots (a family shorter than the largest, steps past the root) read clipped rows
    of other parents, and multiplied them by a 0/1 mask: 0 * inf put NaN in every gradient."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    smt = _tree(6)
    rng = np.random.RandomState(7)
    x, grad = rng.randn(4, 6), rng.randn(4)
    x[3, 2] = bad   # target 7's path: parents 1 and 28
    target = np.array([19, 22, 9, 7])
    (weight, bias), _ = smt.getNodeParameters(7)
    weight.fill(bad)
    bias.fill(bad)
    w, b = smt.weight.numpy().copy(), smt.bias.numpy().copy()
    first, count = smt.parentChildren[7].numpy().tolist()
    cpu = smt.clone()   # the C loops read its index tables
    smt = smt.type(tensor)
    smt.zeroGradParameters()
    ids = lg.IntTensor(target.tolist())
    args = [lg.from_numpy(x).type(tensor), on_gpu(ids) if 'Cuda' in tensor else ids]
    with np.errstate(invalid='ignore', over='ignore'):   # the inf input row's own path: inf - inf, as in nnx
        out = smt.forward(args).double().numpy()
        gi = smt.updateGradInput(args, lg.from_numpy(grad).type(tensor))[0].double().numpy()
        smt.accGradParameters(args, lg.from_numpy(grad).type(tensor), 0.5)
        ref = _tree_loops(cpu, w, b, x, target, grad, 0.5)
    assert np.isfinite(ref[2][first:first + count]).all() and np.isfinite(ref[1][:3]).all()
    for got, expected in zip((out, gi, smt.gradWeight.double().numpy(), smt.gradBias.double().numpy()), ref):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14, equal_nan=True)


def test_softmax_tree_gradients_match_finite_differences():
    """d output / d input, weight and bias agree with central differences of the forward (small logits,
    where THExpMinusApprox is within 2e-6 of exp)."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    smt = _tree(4)
    rng = np.random.RandomState(5)
    x, grad = rng.randn(3, 4) * 0.5, rng.randn(3)
    target = lg.IntTensor([26, 3, 17])
    smt.zeroGradParameters()
    smt.forward([lg.from_numpy(x), target])
    gi = smt.backward([lg.from_numpy(x), target], lg.from_numpy(grad))[0].numpy().copy()

    def numeric(array):
        d = np.zeros(array.shape)
        for k in np.ndindex(array.shape):
            old = array[k]
            array[k] = old + 1e-6
            up = smt.forward([lg.from_numpy(x), target]).numpy() @ grad
            array[k] = old - 1e-6
            down = smt.forward([lg.from_numpy(x), target]).numpy() @ grad
            array[k] = old
            d[k] = (up - down) / 2e-6
        return d

    np.testing.assert_allclose(gi, numeric(x), atol=1e-5)
    np.testing.assert_allclose(smt.gradWeight.numpy(), numeric(smt.weight.numpy()), atol=1e-5)
    np.testing.assert_allclose(smt.gradBias.numpy(), numeric(smt.bias.numpy()), atol=1e-5)


def test_softmax_tree_backward_reads_the_paths_forward_walked(monkeypatch):
    """nnx generic/SoftMaxTree.c's backward reads what its forward left in the module (the log-softmax in
    _multiBuffer); legonn's forward keeps the target paths too, so a forward/backward pair walks them once and
    the backward still equals the C loops."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    smt = _tree(6)
    walks = []
    walk = nn.SoftMaxTree._paths
    monkeypatch.setattr(nn.SoftMaxTree, '_paths', lambda self, *a: walks.append(1) or walk(self, *a))
    rng = np.random.RandomState(6)
    x, grad, target = rng.randn(4, 6), rng.randn(4), np.array([19, 29, 2, 26])
    args = [lg.from_numpy(x), lg.IntTensor(target.tolist())]
    smt.zeroGradParameters()
    smt.forward(args)
    gi = smt.backward(args, lg.from_numpy(grad))[0].numpy()
    assert len(walks) == 1
    ref = _tree_loops(smt, smt.weight.numpy(), smt.bias.numpy(), x, target, grad, 1)
    np.testing.assert_allclose(gi, ref[1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(smt.gradWeight.numpy(), ref[2], rtol=1e-12, atol=1e-14)
    assert smt.updates == ref[4]


def test_softmax_tree_types_and_probabilities():
    """float()/double(); the leaves' probabilities sum to one (up to THExpMinusApprox's error)."""
    x, target = lg.randn(3, 5), lg.IntTensor([26, 3, 17])
    assert_type_roundtrip(_tree(5), [x, target])
    smt = _tree(5).double()
    leaves = sorted(set(c for kids in NNX_TREE.values() for c in kids) - set(NNX_TREE))
    row = lg.randn(1, 5).double().expand(len(leaves), 5).contiguous()
    assert abs(np.exp(smt.forward([row, lg.IntTensor(leaves)]).numpy()).sum() - 1) < 1e-5


@pytest.mark.gpu
def test_softmax_tree_gpu_matches_cpu():
    assert_gpu_matches_cpu(_tree(5), [lg.randn(3, 5), lg.IntTensor([26, 3, 17])])


def test_softmax_tree_errors_name_the_module():
    """Hierarchies that are not trees reaching the root fail at construction; targets without a parent, float
    targets and inputs of the wrong width at forward, naming SoftMaxTree."""
    with pytest.raises(ValueError, match='SoftMaxTree: a node is the child of two parents'):
        nn.SoftMaxTree(3, {0: [1, 2], 1: [2]})
    with pytest.raises(ValueError, match='SoftMaxTree: node 5 has no parent and is not the root 0'):
        nn.SoftMaxTree(3, {0: [1, 2], 5: [6]})
    with pytest.raises(ValueError, match='SoftMaxTree: the root 9 has no children'):
        nn.SoftMaxTree(3, {0: [1, 2]}, 9)
    with pytest.raises(ValueError, match=r'SoftMaxTree: hierarchy\[0\] must be'):
        nn.SoftMaxTree(3, {0: []})
    smt = nn.SoftMaxTree(3, {0: [1, 2], 1: [3, 4]})
    with pytest.raises(IndexError, match='SoftMaxTree.*a node without a parent'):
        smt.forward([lg.randn(2, 3), lg.IntTensor([3, 0])])
    with pytest.raises(IndexError, match=r'SoftMaxTree.*got ids in \[3, 9\]'):
        smt.forward([lg.randn(2, 3), lg.IntTensor([3, 9])])
    with pytest.raises(TypeError, match='SoftMaxTree.*integer target'):
        smt.forward([lg.randn(2, 3), lg.Tensor([3, 4])])
    with pytest.raises(ValueError, match='SoftMaxTree.*3 columns'):
        smt.forward([lg.randn(2, 4), lg.IntTensor([3, 4])])
    weight = smt.weight.clone()
    with pytest.raises(ValueError, match='SoftMaxTree'):
        smt.accGradParameters([lg.randn(2, 3), lg.IntTensor([3, 4])], lg.randn(3))
    np.testing.assert_array_equal(smt.weight.numpy(), weight.numpy())


def test_tree_nll_criterion_nnx_port():
    """nnx test/test-all.lua TreeNLLCriterion: on a 5 x 10 input, -mean of column 0 and its gradient equal
    ClassNLLCriterion's with every target 0 (Lua's 1); the target is not read."""
    x = lg.randn(5, 10)
    c = nn.TreeNLLCriterion()
    err = c.forward(x.select(1, 0).contiguous(), lg.LongTensor(5).zero())
    gi = c.backward(x.select(1, 0).contiguous(), lg.LongTensor(5).zero())
    c2 = nn.ClassNLLCriterion()
    err2 = c2.forward(x, lg.LongTensor(5).zero())
    gi2 = c2.backward(x, lg.LongTensor(5).zero())
    assert abs(err - err2) < 1e-5
    np.testing.assert_allclose(gi.numpy(), gi2.select(1, 0).numpy(), atol=1e-6)
    assert c.forward(x.select(1, 0).contiguous()) == err
    with pytest.raises(ValueError, match='TreeNLLCriterion'):
        c.forward(x)
