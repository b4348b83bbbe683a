"""legonn.cudnn's functional routines (cudnn.torch's functional.lua), ``cudnn.getHandle``, ``cudnn.C`` and
``cudnn.RNN``'s packing helpers (RNN.lua's packPaddedSequence / padPackedSequence): each against nn or a float64
NumPy reference, cuDNN's scale/alpha arithmetic, 3-D inputs, errors that change nothing, the GPU (simulator)."""
import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn

F = cudnn.functional


def _np(t):
    return np.asarray(lg.as_tensor_tree(t).double().numpy())


@pytest.fixture(autouse=True)
def _double():
    lg.setdefaulttensortype('torch.DoubleTensor')


def test_handle_and_enumeration_values():
    """init.lua's getHandle gives the handle every functional routine takes; ffi.lua's enums have cuDNN 5's
    numbers, CUDNN_POOLING_AVERAGE the old name of AVERAGE_COUNT_INCLUDE_PADDING."""
    assert cudnn.getHandle() is cudnn.getHandle()
    assert (cudnn.C.CUDNN_POOLING_MAX, cudnn.C.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING,
            cudnn.C.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING) == (0, 1, 2)
    assert cudnn.C.CUDNN_POOLING_AVERAGE == cudnn.C.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
    assert (cudnn.C.CUDNN_ACTIVATION_SIGMOID, cudnn.C.CUDNN_ACTIVATION_RELU, cudnn.C.CUDNN_ACTIVATION_TANH) == (0, 1, 2)


def test_bias_adds_per_plane_and_accumulates_with_scale_and_alpha():
    """bias2D_updateOutput adds (cudnnAddTensor 1, 1); bias2D_accGradParameters is
    scale * sum + alpha * gradBias, Lua's ``scale or 1`` keeping a 0 (a number in Lua); a 3-D tensor is one sample."""
    bias, out = lg.randn(3), lg.randn(3, 4, 5)
    expected = _np(out) + _np(bias)[:, None, None]   # a new array: _np shares a double tensor's memory
    F.bias2D_updateOutput(cudnn.getHandle(), bias, out)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-12)
    go, gb = lg.randn(2, 3, 4, 5), lg.randn(3)
    old = _np(gb).copy()
    F.bias2D_accGradParameters(cudnn.getHandle(), go, gb, 0.5, 2)
    np.testing.assert_allclose(_np(gb), 0.5 * _np(go).sum(axis=(0, 2, 3)) + 2 * old, rtol=1e-12)
    F.bias2D_accGradParameters(cudnn.getHandle(), go, gb, 0, 1)
    np.testing.assert_allclose(_np(gb), 0.5 * _np(go).sum(axis=(0, 2, 3)) + 2 * old, rtol=1e-12)


def test_convolution_matches_nn_without_bias_with_scale_alpha_and_3d_input():
    conv = nn.SpatialConvolution(2, 3, 3, 2, 2, 1, 1, 0).noBias()
    x = lg.randn(2, 6, 5)                          # one sample, (C, H, W)
    out = conv.forward(x)
    go = lg.randn(*out.size())
    gi = conv.backward(x, go)
    output, gradInput = lg.zeros(*out.size()), lg.zeros(*x.size())
    F.Convolution2D_updateOutput(cudnn.getHandle(), x, conv.weight, output, 1, 2, 0, 1)
    np.testing.assert_allclose(_np(output), _np(out), rtol=1e-12)
    F.Convolution2D_updateGradInput(cudnn.getHandle(), x, conv.weight, output, go, gradInput, 1, 2, 0, 1)
    np.testing.assert_allclose(_np(gradInput), _np(gi), rtol=1e-12)
    gradWeight = lg.randn(*conv.weight.size())
    old = _np(gradWeight).copy()
    F.Convolution2D_accGradParameters(cudnn.getHandle(), x, gradWeight, go, 1, 2, 0, 1, 0.25, 3)
    np.testing.assert_allclose(_np(gradWeight), 0.25 * _np(conv.gradWeight) + 3 * old, rtol=1e-12)


def test_convolution_into_an_output_of_the_wrong_size_is_refused_and_changes_nothing():
    x, w = lg.randn(1, 2, 5, 5), lg.randn(3, 2, 3, 3)
    output = lg.randn(1, 3, 4, 4)
    before = _np(output).copy()
    with pytest.raises(ValueError, match=r'Convolution2D_updateOutput: output is of wrong size: expected 1x3x3x3, '
                                         r'got 1x3x4x4'):
        F.Convolution2D_updateOutput(cudnn.getHandle(), x, w, output, 1, 1, 0, 0)
    np.testing.assert_array_equal(_np(output), before)


@pytest.mark.parametrize('mode, make', [
    ('CUDNN_POOLING_MAX', lambda: nn.SpatialMaxPooling(3, 2, 2, 2, 1, 1)),
    (0, lambda: nn.SpatialMaxPooling(3, 2, 2, 2, 1, 1)),
    ('CUDNN_POOLING_AVERAGE', lambda: nn.SpatialAveragePooling(3, 2, 2, 2, 1, 1)),
    ('CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING',
     lambda: nn.SpatialAveragePooling(3, 2, 2, 2, 1, 1).setCountExcludePad()),
])
def test_pooling_modes_match_nn(mode, make):
    """Pooling_* with kH=2, kW=3, dH=dW=2, padH=padW=1, ceil mode, against nn's module of that mode."""
    ref = make().ceil()
    x = lg.randn(2, 3, 5, 6)
    out = ref.forward(x)
    go = lg.randn(*out.size())
    gi = ref.backward(x, go)
    output, gradInput = lg.zeros(*out.size()), lg.zeros(*x.size())
    F.Pooling_updateOutput(cudnn.getHandle(), mode, x, output, 2, 3, 2, 2, 1, 1, True)
    np.testing.assert_allclose(_np(output), _np(out), rtol=1e-12)
    F.Pooling_updateGradInput(cudnn.getHandle(), mode, x, output, go, gradInput, 2, 3, 2, 2, 1, 1, True)
    np.testing.assert_allclose(_np(gradInput), _np(gi), rtol=1e-12)


def test_average_pooling_2d_counts_the_padding():
    x = lg.randn(1, 1, 4, 4)
    output = lg.zeros(1, 1, 3, 3)
    F.AveragePooling2D_updateOutput(cudnn.getHandle(), x, output, 2, 2, 2, 2, 1, 1)
    padded = np.pad(_np(x)[0, 0], 1)
    np.testing.assert_allclose(_np(output)[0, 0], padded[:6, :6].reshape(3, 2, 3, 2).mean(axis=(1, 3)), rtol=1e-12)


def test_unknown_pooling_mode_is_refused():
    with pytest.raises(ValueError, match=r"Pooling_updateOutput: mode must be one of .* got 'CUDNN_POOLING_MIN'"):
        F.Pooling_updateOutput(cudnn.getHandle(), 'CUDNN_POOLING_MIN', lg.randn(1, 1, 2, 2), lg.zeros(1, 1, 1, 1),
                               2, 2, 2, 2, 0, 0)


@pytest.mark.parametrize('name, grad', [
    ('Tanh', lambda y, go: (1 - y ** 2) * go),
    ('Sigmoid', lambda y, go: y * (1 - y) * go),
    ('SoftMax', lambda y, go: y * (go - (go * y).sum(axis=1, keepdims=True))),
    ('LogSoftMax', lambda y, go: go - np.exp(y) * go.sum(axis=1, keepdims=True)),
])
def test_pointwise_gradient_is_taken_from_the_given_output(name, grad):
    """cudnnActivationBackward / cudnnSoftmaxBackward read the y they are given: an output other than the
    forward's gives the gradient of that y (nothing is recomputed)."""
    x, go = lg.randn(3, 4), lg.randn(3, 4)
    output = lg.Tensor()
    getattr(F, f'{name}_updateOutput')(cudnn.getHandle(), x, output)
    np.testing.assert_allclose(_np(output), _np(getattr(nn, name)().forward(x)), rtol=1e-12)
    y = lg.rand(3, 4) if 'Log' not in name else lg.rand(3, 4).log()
    gradInput = lg.Tensor()
    getattr(F, f'{name}_updateGradInput')(cudnn.getHandle(), x, y, go, gradInput)
    np.testing.assert_allclose(_np(gradInput), grad(_np(y), _np(go)), rtol=1e-10, atol=1e-12)


@pytest.mark.gpu
def test_functional_on_the_gpu_matches_the_cpu():
    x, w, go = lg.randn(2, 2, 5, 5), lg.randn(3, 2, 3, 3), lg.randn(2, 3, 3, 3)
    cpu = [lg.zeros(2, 3, 3, 3), lg.zeros(2, 2, 5, 5), lg.zeros(3, 2, 3, 3)]
    def gpu_(t):
        return t.type('torch.CudaDoubleTensor')

    gpu = [gpu_(t) for t in cpu]
    for (xx, ww, gg), (out, gi, gw) in (((x, w, go), cpu), ((gpu_(x), gpu_(w), gpu_(go)), gpu)):
        F.Convolution2D_updateOutput(cudnn.getHandle(), xx, ww, out, 1, 1, 0, 0)
        F.Convolution2D_updateGradInput(cudnn.getHandle(), xx, ww, out, gg, gi, 1, 1, 0, 0)
        F.Convolution2D_accGradParameters(cudnn.getHandle(), xx, gw, gg, 1, 1, 0, 0)
    for c, g in zip(cpu, gpu):
        assert g.type().endswith('.CudaDoubleTensor')
        np.testing.assert_allclose(_np(g), _np(c), rtol=1e-10)


def test_packing_drops_steps_past_the_longest_and_round_trips():
    x = lg.randn(5, 3, 2)
    packed, sizes = cudnn.RNN.packPaddedSequence(x, [3, 3, 1])
    assert sizes == [3, 2, 2]
    np.testing.assert_array_equal(_np(packed), np.concatenate([_np(x)[0], _np(x)[1, :2], _np(x)[2, :2]]))
    padded, lengths = cudnn.RNN.padPackedSequence([packed, sizes])
    assert lengths == [3, 3, 1] and list(padded.size()) == [3, 3, 2]
    expected = _np(x)[:3].copy()
    expected[1:, 2] = 0
    np.testing.assert_array_equal(_np(padded), expected)


@pytest.mark.parametrize('lengths, match', [([2, 1], r'incorrect size \(expected: 3 but found: 2\)'),
                                            ([1, 2, 2], r'sorted in decreasing order, got \[1, 2, 2\]'),
                                            ([2, 1, 0], r'whole numbers of at least 1, got \[2, 1, 0\]')])
def test_packing_refuses_bad_lengths(lengths, match):
    with pytest.raises(ValueError, match=r'cudnn\.RNN\.packPaddedSequence: .*' + match):
        cudnn.RNN.packPaddedSequence(lg.randn(2, 3, 1), lengths)


def test_unpacking_refuses_batch_sizes_that_do_not_fit():
    with pytest.raises(ValueError, match=r'padPackedSequence: .* summing to the 3 packed rows, got \[2, 2\]'):
        cudnn.RNN.padPackedSequence([lg.randn(3, 1), [2, 2]])
