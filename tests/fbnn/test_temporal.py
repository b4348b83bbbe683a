"""fbnn's KMaxPooling (fbnn/KMaxPooling.lua, src/KMaxPooling.cpp), fbcunn's TemporalKMaxPooling
(fbcunn/TemporalKMaxPooling.lua, src/TemporalKMaxPooling.cu), GroupKMaxPooling (fbnn/GroupKMaxPooling.lua,
src/GroupKMaxPooling.cpp), UnfoldedTemporalConvolution (fbnn/UnfoldedTemporalConvolution.lua) and
TemporalConvolutionTBC
(fbnn/TemporalConvolutionTBC.lua, src/TemporalConvolutionTBC.cpp): finite-difference Jacobians in float64,
float() / double(), the GPU twin, the C++ loops transcribed in float64, TemporalConvolutionTBC.lua's own test
(against nn.TemporalConvolution with padding), bad input naming the module."""
import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn
from tests.checks import assert_rejected, standard_tests


def _distinct(size, seed):
    """Values without ties (k-max's choice is then unique and the Jacobian smooth)."""
    rng = np.random.default_rng(seed)
    return lg.from_numpy(rng.permutation(int(np.prod(size))).reshape(size) * 0.37 - 3.0)


CASES = {
    'kmax': (lambda: fbnn.KMaxPooling(3), lambda: _distinct((6, 4), 0)),
    'kmax_short': (lambda: fbnn.KMaxPooling(5), lambda: _distinct((3, 2), 1)),
    'kmax_dynamic': (lambda: fbnn.KMaxPooling(2, 0.5), lambda: _distinct((8, 3), 2)),
    'temporal_kmax': (lambda: fbnn.TemporalKMaxPooling(3), lambda: _distinct((6, 4), 11)),
    'temporal_kmax_batch': (lambda: fbnn.TemporalKMaxPooling(2), lambda: _distinct((3, 5, 2), 12)),
    'temporal_kmax_dynamic': (lambda: fbnn.TemporalKMaxPooling(1, 0.5), lambda: _distinct((2, 5, 3), 13)),
    'group': (lambda: fbnn.GroupKMaxPooling(3), lambda: _distinct((6, 4), 5)),
    'group_batch': (lambda: fbnn.GroupKMaxPooling(2, 0.4), lambda: _distinct((2, 7, 3), 6)),
    'utc': (lambda: fbnn.UnfoldedTemporalConvolution(3, 2, 3), lambda: _distinct((2, 5, 3), 8)),
    'utc_pad_single': (lambda: fbnn.UnfoldedTemporalConvolution(2, 3, 2, 1, 2), lambda: _distinct((3, 2), 9)),
    'utc_nobias': (lambda: fbnn.UnfoldedTemporalConvolution(2, 2, 2).noBias(), lambda: _distinct((4, 2), 10)),
    'tbc': (lambda: fbnn.TemporalConvolutionTBC(3, 4, 3), lambda: _distinct((6, 2, 3), 3)),
    'tbc_pad': (lambda: fbnn.TemporalConvolutionTBC(2, 3, 3, 2), lambda: _distinct((4, 2, 2), 4)),
}


def _build(name):
    make, data = CASES[name]
    return make(), data()


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), _build)


def _kmax_loops(x, k, length):
    """src/KMaxPooling.cpp: per column, a min-heap of the k largest among the first ``length`` rows (a later
    row replaces the smallest only when strictly larger), written out in row order; rows past min(length, k)
    stay 0, as their switches."""
    out, sw = np.zeros((k, x.shape[1])), np.zeros((k, x.shape[1]), dtype=np.int64)
    for col in range(x.shape[1]):
        kept = []
        for row in range(length):
            if len(kept) < k:
                kept.append((row, x[row, col]))
            else:
                smallest = min(range(k), key=lambda i: (kept[i][1], -kept[i][0]))
                if x[row, col] > kept[smallest][1]:
                    kept[smallest] = (row, x[row, col])
        for i, (row, value) in enumerate(sorted(kept)):
            out[i, col], sw[i, col] = value, row
    return out, sw


@pytest.mark.parametrize('k,k_dynamic,rows', [(3, -1, 7), (5, -1, 3), (2, 0.5, 9), (4, -1, 4)])
def test_kmax_matches_cpp_loops(k, k_dynamic, rows):
    """src/KMaxPooling.cpp updateOutput/updateGradInput: the kept values in row order, ties to the earlier row
    (the input has repeated values), switches 0-based, gradInput copied back to the switched rows."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 4, (rows, 3)).astype(np.float64)
    m = fbnn.KMaxPooling(k, k_dynamic).double()
    out = m.forward(lg.from_numpy(x)).numpy()
    kk = max(k, int(k_dynamic * rows)) if k_dynamic > 0 else k
    ref, sw = _kmax_loops(x, kk, rows)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(m.switches.numpy(), sw)
    g = rng.standard_normal(out.shape)
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy()
    ref_gi = np.zeros_like(x)
    for r in range(min(rows, kk)):
        for c in range(3):
            ref_gi[sw[r, c], c] = g[r, c]
    np.testing.assert_array_equal(gi, ref_gi)


@pytest.mark.parametrize('k,k_dynamic,size', [(3, None, (7, 3)), (2, 0.5, (2, 6, 4)), (4, None, (4, 2)),
                                              (1, 0.3, (9, 2))])
def test_temporal_kmax_matches_kernel_loops(k, k_dynamic, size):
    """src/TemporalKMaxPooling.cu: per (sample, feature) column the k largest frames in frame order (k raised to
    ceil(k_dynamic * L), TemporalKMaxPoolingHost.cpp), ``indices`` the 0-based frames in the input's type;
    gradInput adds each gradOutput value at its frame. The input has repeated values: the earlier frame wins."""
    rng = np.random.default_rng(7)
    x = rng.integers(0, 4, size).astype(np.float64)
    m = fbnn.TemporalKMaxPooling(k, k_dynamic).double()
    out = m.forward(lg.from_numpy(x)).numpy()
    kk = max(k, int(np.ceil(k_dynamic * size[-2]))) if k_dynamic is not None else k
    x3 = x.reshape((-1,) + size[-2:])
    ref, idx = np.zeros((x3.shape[0], kk, size[-1])), np.zeros((x3.shape[0], kk, size[-1]))
    for b in range(x3.shape[0]):
        ref[b], idx[b] = _kmax_loops(x3[b], kk, size[-2])
    assert m.indices.type() == 'legonn.DoubleTensor'
    np.testing.assert_array_equal(out, ref.reshape(out.shape))
    np.testing.assert_array_equal(m.indices.numpy(), idx.reshape(out.shape))
    g = rng.standard_normal(out.shape)
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy().reshape(x3.shape)
    ref_gi = np.zeros_like(x3)
    for b in range(x3.shape[0]):
        for r in range(kk):
            for c in range(size[-1]):
                ref_gi[b, int(idx[b, r, c]), c] += g.reshape(ref.shape)[b, r, c]
    np.testing.assert_array_equal(gi, ref_gi)


@pytest.mark.parametrize('k,k_dynamic,size', [(3, -1, (7, 3)), (2, 0.5, (2, 6, 4)), (5, -1, (3, 2))])
def test_group_kmax_matches_cpp_loops(k, k_dynamic, size):
    """src/GroupKMaxPooling.cpp: per sample the rows of the k largest L2 norms (torch.norm over the last
    dimension), ties to the earlier row, copied in row order; gradInput assigns each gradOutput row to its
    switched row in order, so with fewer rows than k the padding rows (switch 0) overwrite row 0."""
    rng = np.random.default_rng(7)
    x = rng.integers(-2, 3, size).astype(np.float64)
    m = fbnn.GroupKMaxPooling(k, k_dynamic).double()
    out = m.forward(lg.from_numpy(x)).numpy()
    g = rng.standard_normal(out.shape)
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy()
    xs, outs, gs, gis = (a.reshape((-1,) + a.shape[-2:]) for a in (x, out, g, gi))
    sws = m.switches.numpy().reshape(xs.shape[0], -1)
    kk = max(k, int(k_dynamic * size[-2])) if k_dynamic > 0 else k
    for b in range(xs.shape[0]):
        norms = np.array([[sum(v * v for v in row) ** 0.5] for row in xs[b]])
        ref_rows = _kmax_loops(norms, kk, xs.shape[1])[1][:, 0]
        n = min(kk, xs.shape[1])
        np.testing.assert_array_equal(sws[b], ref_rows)
        ref = np.zeros((kk, xs.shape[2]))
        ref_gi = np.zeros_like(xs[b])
        for r in range(kk):
            if r < n:
                ref[r] = xs[b, ref_rows[r]]
            ref_gi[ref_rows[r]] = gs[b, r]
        np.testing.assert_array_equal(outs[b], ref)
        np.testing.assert_array_equal(gis[b], ref_gi)


def _tbc_loops(x, w, b, pad):
    """src/TemporalConvolutionTBC.cpp's output: out[t, n] = bias + sum_k x[t + k - pad, n] @ w[k] (zero outside)."""
    T, N, _ = x.shape
    kw, _, nout = w.shape
    olen = T - kw + 1 + 2 * pad
    out = np.zeros((olen, N, nout))
    for t in range(olen):
        for n in range(N):
            out[t, n] = b
            for k in range(kw):
                s = t + k - pad
                if 0 <= s < T:
                    for i in range(x.shape[2]):
                        out[t, n] += x[s, n, i] * w[k, i]
    return out


def _padded_reference(seed, size, nout, kw, pad):
    """The Lua tests' reference: nn.TemporalConvolution(nin, nout, kw, 1) (float64) on a random (bsz, length,
    nin) input zero-padded by pad frames each side (their nn.Padding pair). Returns the input, the convolution
    (forward and backward done, gradients from zero), its output, the gradOutput and the gradInput of the
    unpadded frames."""
    rng = np.random.default_rng(seed)
    bsz, length, nin = size
    x = rng.standard_normal(size)
    conv = nn.TemporalConvolution(nin, nout, kw, 1).double()
    padded = np.concatenate([np.zeros((bsz, pad, nin)), x, np.zeros((bsz, pad, nin))], axis=1)
    out = conv.forward(lg.from_numpy(padded)).numpy()
    gout = rng.standard_normal(out.shape)
    conv.zeroGradParameters()
    gin = conv.backward(lg.from_numpy(padded), lg.from_numpy(gout)).numpy()[:, pad:pad + length]
    return x, conv, out, gout, gin


@pytest.mark.parametrize('pad', (0, 1, 3))
def test_tbc_matches_cpp_loops_and_lua_test(pad):
    """TemporalConvolutionTBC.lua's test(): nn.TemporalConvolution (weight (nOut, kw*nIn) permuted to (kw, nIn,
    nOut)) on the zero-padded sequence gives the same output, gradInput, gradWeight and gradBias on the time-
    major transposed data; and the C++ loops give the output."""
    nin, nout, kw = 4, 5, 3
    x, conv, out, gout, gin = _padded_reference(6, (3, 7, nin), nout, kw, pad)

    tbc = fbnn.TemporalConvolutionTBC(nin, nout, kw, pad).double()
    tbc.weight.copy(lg.from_numpy(conv.weight.numpy().reshape(nout, kw, nin).transpose(1, 2, 0).copy()))
    tbc.bias.copy(conv.bias)
    xt = np.ascontiguousarray(x.transpose(1, 0, 2))
    tout = tbc.forward(lg.from_numpy(xt)).numpy()
    tbc.zeroGradParameters()
    tgin = tbc.backward(lg.from_numpy(xt), lg.from_numpy(np.ascontiguousarray(gout.transpose(1, 0, 2)))).numpy()
    np.testing.assert_allclose(tout, out.transpose(1, 0, 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tout, _tbc_loops(xt, tbc.weight.numpy(), tbc.bias.numpy(), pad), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(tgin, gin.transpose(1, 0, 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tbc.gradWeight.numpy(),
                               conv.gradWeight.numpy().reshape(nout, kw, nin).transpose(1, 2, 0), rtol=1e-10)
    np.testing.assert_allclose(tbc.gradBias.numpy(), conv.gradBias.numpy(), rtol=1e-10)


def test_tbc_scale_applies_to_the_weight_only():
    """src/TemporalConvolutionTBC.cpp accGradParameters: gradWeight += scale * ..., gradBias += sum gradOutput
    (the C adds the bias gradient unscaled)."""
    m = fbnn.TemporalConvolutionTBC(2, 2, 1).double()
    x, g = lg.from_numpy(np.ones((3, 1, 2))), lg.from_numpy(np.ones((3, 1, 2)))
    m.zeroGradParameters()
    m.accGradParameters(x, g, 0.5)
    np.testing.assert_array_equal(m.gradBias.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(m.gradWeight.numpy(), np.full((1, 2, 2), 1.5))


def test_bad_input_names_the_module():
    """The Lua's asserts (3-D input with nIn channels; 2-D k-max input) as errors naming the class."""
    assert_rejected(fbnn.TemporalConvolutionTBC(3, 2, 2), ValueError, 'TemporalConvolutionTBC.*3 input channels',
                    'forward', lg.zeros(4, 2, 2))
    assert_rejected(fbnn.TemporalConvolutionTBC(3, 2, 4), ValueError, 'TemporalConvolutionTBC.*time steps',
                    'forward', lg.zeros(2, 2, 3))
    assert_rejected(fbnn.KMaxPooling(2), ValueError, 'KMaxPooling', 'forward', lg.zeros(2, 2, 2))
    assert_rejected(fbnn.GroupKMaxPooling(2), ValueError, 'GroupKMaxPooling', 'forward', lg.zeros(2))
    with pytest.raises(ValueError, match='nn.KMaxPooling'):
        fbnn.KMaxPooling(0)
    assert_rejected(fbnn.TemporalKMaxPooling(4), ValueError, 'TemporalKMaxPooling.*at least k = 4 frames.*got 3',
                    'forward', lg.zeros(3, 2))
    assert_rejected(fbnn.TemporalKMaxPooling(2), ValueError, 'TemporalKMaxPooling', 'forward', lg.zeros(5))
    with pytest.raises(ValueError, match='TemporalKMaxPooling: expected k_dynamic between 0 and 1'):
        fbnn.TemporalKMaxPooling(2, 1.5)
    with pytest.raises(NotImplementedError, match='noBias'):
        fbnn.TemporalConvolutionTBC(2, 2, 2).noBias()


@pytest.mark.parametrize('pad', (0, 1, 2))
def test_unfolded_matches_lua_test(pad):
    """UnfoldedTemporalConvolution.lua's test(): against nn.TemporalConvolution on the sequence zero-padded by
    pad frames each side (nn.Padding there), same weight and bias: output, gradInput, gradWeight, gradBias."""
    nin, nout, kw = 5, 3, 3
    x, conv, out, gout, gin = _padded_reference(11, (4, 6, nin), nout, kw, pad)
    utc = fbnn.UnfoldedTemporalConvolution(nin, nout, kw, 1, pad).double()
    utc.weight.copy(conv.weight)
    utc.bias.copy(conv.bias)
    np.testing.assert_allclose(utc.forward(lg.from_numpy(x)).numpy(), out, rtol=1e-12, atol=1e-12)
    utc.zeroGradParameters()
    np.testing.assert_allclose(utc.backward(lg.from_numpy(x), lg.from_numpy(gout)).numpy(), gin, atol=1e-12)
    np.testing.assert_allclose(utc.gradWeight.numpy(), conv.gradWeight.numpy(), atol=1e-12)
    np.testing.assert_allclose(utc.gradBias.numpy(), conv.gradBias.numpy(), atol=1e-12)


def test_unfolded_bad_input_names_the_module():
    """The Lua's assert dW == 1 at construction; frames of the wrong width or too short a sequence name it."""
    with pytest.raises(ValueError, match='nn.UnfoldedTemporalConvolution.*dW = 1'):
        fbnn.UnfoldedTemporalConvolution(2, 2, 2, 2)
    assert_rejected(fbnn.UnfoldedTemporalConvolution(3, 2, 2), ValueError, 'UnfoldedTemporalConvolution.*3 features',
                    'forward', lg.zeros(4, 2))
    assert_rejected(fbnn.UnfoldedTemporalConvolution(3, 2, 4), ValueError, 'UnfoldedTemporalConvolution.*frames',
                    'forward', lg.zeros(2, 3))


@pytest.mark.gpu
def test_temporal_kmax_built_on_the_cpu_takes_a_cuda_input():
    """fbcunn's module holds CudaTensors from its constructor on: one built under the CPU default type pools a
    CUDA input (NAMAS's beam search: ``find_k_max(pool, out:cuda())``), giving the CPU's values and indices on
    the GPU."""
    x = _distinct((7, 3), 14).float()
    cpu = fbnn.TemporalKMaxPooling(3)
    want, want_idx = cpu.forward(x).numpy(), cpu.indices.numpy()
    m = fbnn.TemporalKMaxPooling(3)
    out = m.forward(x.cuda())
    assert out.type() == 'legonn.CudaTensor' and m.indices.type() == 'legonn.CudaTensor'
    np.testing.assert_array_equal(out.float().numpy(), want)
    np.testing.assert_array_equal(m.indices.float().numpy(), want_idx)
    gi = m.backward(x.cuda(), lg.ones(3, 3).cuda())
    np.testing.assert_array_equal(gi.float().numpy(), cpu.backward(x, lg.ones(3, 3)).numpy())
