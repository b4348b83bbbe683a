"""BatchNormalization, SpatialBatchNormalization, VolumetricBatchNormalization, LayerNormalization."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import (assert_close_trees, assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip,
                          launch_counting)


def _evaluating(m):
    m.running_mean.normal()
    m.running_var.uniform(0.5, 2)
    return m.evaluate()


CASES = [
    pytest.param(lambda: nn.BatchNormalization(3), (4, 3), id='bn-train'),
    pytest.param(lambda: nn.BatchNormalization(3, 1e-3, 0.2, False), (4, 3), id='bn-train-noaffine'),
    pytest.param(lambda: _evaluating(nn.BatchNormalization(3)), (4, 3), id='bn-eval'),
    pytest.param(lambda: _evaluating(nn.BatchNormalization(3)), (3,), id='bn-eval-nobatch'),
    pytest.param(lambda: nn.SpatialBatchNormalization(2), (2, 2, 2, 3), id='spatial-train'),
    pytest.param(lambda: _evaluating(nn.SpatialBatchNormalization(2)), (2, 2, 3), id='spatial-eval-nobatch'),
    pytest.param(lambda: nn.VolumetricBatchNormalization(2), (2, 2, 2, 2, 2), id='volumetric-train'),
    pytest.param(lambda: _evaluating(nn.VolumetricBatchNormalization(2)), (2, 2, 2, 1, 2), id='volumetric-eval'),
    pytest.param(lambda: nn.LayerNormalization(4), (3, 4), id='layernorm'),
    pytest.param(lambda: nn.LayerNormalization(4, 0.5, 1e-5, False), (4,), id='layernorm-noaffine-nobatch'),
]


@pytest.mark.parametrize('make,shape', CASES)
def test_jacobian(make, shape):
    assert_jacobian(make(), lg.randn(*shape))


@pytest.mark.parametrize('make,shape', CASES)
def test_type_roundtrip(make, shape):
    m = make()
    if m.train and hasattr(m, 'running_mean'):
        m.momentum = 0.0   # keep the statistics fixed so float and double runs see the same module
    assert_type_roundtrip(m, lg.randn(*shape))


@pytest.mark.gpu
@pytest.mark.parametrize('make,shape', CASES)
def test_gpu_matches_cpu(make, shape):
    assert_gpu_matches_cpu(make(), lg.randn(*shape))


def reference_bn(x, w, b, eps):
    """Per-plane loops: biased batch variance, as Torch7."""
    y = np.empty_like(x)
    mean, var = [], []
    for c in range(x.shape[1]):
        v = x[:, c]
        m, s2 = v.sum() / v.size, ((v - v.sum() / v.size) ** 2).sum() / v.size
        mean.append(m)
        var.append(((v - m) ** 2).sum() / (v.size - 1))
        y[:, c] = (v - m) / np.sqrt(s2 + eps) * w[c] + b[c]
    return y, np.array(mean), np.array(var)


def assert_spatial_training_matches_reference(*sizes):
    """A training forward of a (sizes) batch: the reference's output, running estimates moved by momentum 0.3."""
    m = nn.SpatialBatchNormalization(3, 1e-5, 0.3).double()
    m.bias.normal()
    x = lg.randn(*sizes).double()
    want, mean, unbiased = reference_bn(x.numpy(), m.weight.numpy(), m.bias.numpy(), 1e-5)
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.3 * mean, rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), 0.3 * unbiased + 0.7, rtol=1e-12)


def test_spatial_training_matches_reference_and_updates_running_stats():
    assert_spatial_training_matches_reference(4, 3, 2, 5)


def test_evaluate_mode_uses_running_stats_and_leaves_them():
    m = nn.BatchNormalization(2).double()
    m.running_mean.copy(lg.DoubleTensor([1.0, -2.0]))
    m.running_var.copy(lg.DoubleTensor([4.0, 0.25]))
    m.evaluate()
    x = lg.randn(3, 2).double()
    want = (x.numpy() - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * m.weight.numpy() + m.bias.numpy()
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-12)
    np.testing.assert_array_equal(m.running_mean.numpy(), [1.0, -2.0])
    np.testing.assert_allclose(m.forward(x[0]).numpy(), want[0], rtol=1e-12)   # non-batch input


def test_spatial_training_on_one_image_uses_its_statistics():
    """THNN's BatchNormalization.c normalises by the nElement / nInput values of each feature in training,
    whatever the batch size: one image of 4x5 planes gives its own planes' statistics (pix2pix's batch of
    one, fast-neural-style's InstanceNormalization), and the running estimates move."""
    assert_spatial_training_matches_reference(1, 3, 4, 5)
    assert_jacobian(nn.SpatialBatchNormalization(2), lg.randn(1, 2, 3, 2))
    v = nn.VolumetricBatchNormalization(2).double()
    y = v.forward(lg.randn(1, 2, 2, 3, 2).double()).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3, 4)), v.bias.numpy(), atol=1e-12)


@pytest.mark.parametrize('make,shape', [(lambda: nn.BatchNormalization(2), (1, 2)),
                                        (lambda: nn.SpatialBatchNormalization(2), (1, 2, 1, 1))])
def test_one_value_per_feature_in_training_takes_the_running_estimates(make, shape):
    """torch/nn's BatchNormalization.lua hands THNN ``train and input:size(1) > 1``: with one value per
    feature (no batch variance; its n - 1 is 0) training forward and backward use the running estimates, as
    evaluation does, and leave them unchanged (test.lua's nntest.BatchNormalization, batchsize 1)."""
    m = make().double()
    m.running_mean.copy(lg.DoubleTensor([0.5, -1.0]))
    m.running_var.copy(lg.DoubleTensor([4.0, 0.25]))
    m.bias.copy(lg.DoubleTensor([0.1, 0.2]))
    x, go = lg.randn(*shape).double(), lg.randn(*shape).double()
    invstd = 1 / np.sqrt(np.array([4.0, 0.25]) + 1e-5)
    w, b = m.weight.numpy(), m.bias.numpy()
    m.zeroGradParameters()
    out = m.forward(x).numpy().reshape(2)
    np.testing.assert_allclose(out, (x.numpy().reshape(2) - [0.5, -1.0]) * invstd * w + b, rtol=1e-12)
    gi = m.backward(x, go).numpy().reshape(2)
    np.testing.assert_allclose(gi, go.numpy().reshape(2) * invstd * w, rtol=1e-12)
    np.testing.assert_allclose(m.gradWeight.numpy(), go.numpy().reshape(2) * (x.numpy().reshape(2) - [0.5, -1.0])
                               * invstd, rtol=1e-12)
    np.testing.assert_array_equal(m.running_mean.numpy(), [0.5, -1.0])
    np.testing.assert_array_equal(m.running_var.numpy(), [4.0, 0.25])
    # BatchNormalization.lua sizes save_mean and save_std on every forward (cunn's test.lua reads save_std:max()
    # after training a batch of one); THNN leaves them unwritten, legonn puts the running estimates used there
    np.testing.assert_array_equal(m.save_mean.numpy(), [0.5, -1.0])
    np.testing.assert_allclose(m.save_std.numpy(), invstd, rtol=1e-12)
    assert m.train
    assert_jacobian(make(), lg.randn(*shape))


def test_eps_zero_on_a_constant_feature_gives_its_bias_not_nan():
    """THNN's BatchNormalization.c: invstd is 0 when the batch variance and eps are both 0."""
    m = nn.BatchNormalization(3, 0, 0.1).double()
    m.bias.array[:] = [0.1, 0.2, 0.3]
    x = lg.randn(4, 3).double()
    x.array[:, 1] = 2.0
    out = m.forward(x).array
    np.testing.assert_array_equal(out[:, 1], 0.2)
    assert np.isfinite(out).all() and np.isfinite(m.save_std.array).all()
    m.zeroGradParameters()
    gi = m.backward(x, lg.randn(4, 3).double()).array
    assert np.isfinite(gi).all() and not gi[:, 1].any() and m.gradWeight.array[1] == 0


def test_defaults_and_repr():
    m = nn.BatchNormalization(5)
    assert (m.eps, m.momentum, m.affine) == (1e-5, 0.1, True)
    assert np.all((m.weight.numpy() >= 0) & (m.weight.numpy() < 1)) and float(m.bias.abs().sum()) == 0
    np.testing.assert_array_equal(m.running_var.numpy(), np.ones(5))
    assert repr(m) == 'nn.BatchNormalization (2D) (5)'
    assert repr(nn.SpatialBatchNormalization(3)) == 'nn.SpatialBatchNormalization (4D) (3)'
    assert nn.BatchNormalization(3, affine=False).parameters() == ([], [])


def test_failed_calls_change_no_statistics_or_gradients():
    m = nn.SpatialBatchNormalization(3)
    m.zeroGradParameters()
    with pytest.raises(ValueError, match=r'SpatialBatchNormalization \(4D\) \(3\): expected 3 features.*got 2'):
        m.forward(lg.randn(2, 2, 2, 2))
    with pytest.raises(ValueError, match='expected a 4-D input, got 3-D'):
        m.forward(lg.randn(3, 2, 2))      # non-batch only in evaluate mode
    with pytest.raises(TypeError, match='FloatTensor'):
        m.forward(lg.randn(2, 3, 2, 2).double())
    m.forward(lg.randn(2, 3, 2, 2))
    mean, var = m.running_mean.clone(), m.running_var.clone()
    with pytest.raises(ValueError, match='gradOutput'):
        m.backward(lg.randn(2, 3, 2, 2), lg.randn(2, 3, 2, 1))
    with pytest.raises(ValueError):
        m.forward(lg.randn(2, 4, 2, 2))
    np.testing.assert_array_equal(m.running_mean.numpy(), mean.numpy())
    np.testing.assert_array_equal(m.running_var.numpy(), var.numpy())
    assert float(m.gradWeight.abs().sum()) == 0


@pytest.mark.parametrize('args', [(0,), (3, -1.0), (3, 1e-5, 0.1, 'yes')])
def test_bad_construction(args):
    with pytest.raises(ValueError, match='BatchNormalization'):
        nn.BatchNormalization(*args)


def test_layer_normalization_matches_reference():
    m = nn.LayerNormalization(5, 0.25).double()
    m.weight.normal()
    x = lg.randn(3, 5).double()
    xa = x.numpy()
    want = np.empty_like(xa)
    for i in range(3):
        c = xa[i] - xa[i].mean()
        want[i] = c * np.sqrt(5) / np.sqrt((c ** 2).sum() + 1e-10) * m.weight.numpy() + 0.25
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-10)
    with pytest.raises(ValueError, match=r'LayerNormalization\(5\): expected 5 features'):
        m.forward(lg.randn(3, 4).double())


@pytest.mark.parametrize('cls', [nn.BatchNormalization, nn.SpatialBatchNormalization])
def test_nOutput_zero_is_refused_with_the_affine_false_spelling(cls):
    """nn's 2015 BatchNormalization.lua took ``nOutput`` 0 for "no affine transform" (lstm-char-cnn's
    ``nn.BatchNormalization(0)``); today's BatchNormalization.lua asserts ``nOutput ~= 0`` and says to pass
    ``affine`` false: legonn refuses it and names that spelling, which builds a module without parameters."""
    with pytest.raises(ValueError, match=r"nOutput 0 \(the 2015 nn's way to drop the affine transform\).*"
                                         r"affine=False, \w*BatchNormalization\(n, None, None, False\)"):
        cls(0)
    m = cls(3, None, None, False)
    assert m.weight is None and m.parameters() in (None, ([], []))


@pytest.mark.gpu
def test_half_sums_in_float_as_thcunn():
    """THCUNN's BatchNormalization.cu sums a CudaHalfTensor's statistics and parameter gradients in float (its
    Acctype): over 64 x 16 x 16 values per plane, gradWeight and gradBias stay within one half spacing of the
    double result on the same half inputs (sums rounded to half at each step drift several spacings)."""
    x = (lg.randn(64, 3, 16, 16) + 3).cudaHalf()
    go = lg.randn(64, 3, 16, 16).cudaHalf()
    ref = nn.SpatialBatchNormalization(3).double()
    ref.forward(x.double())
    ref.zeroGradParameters()
    gi = ref.backward(x.double(), go.double())
    m = nn.SpatialBatchNormalization(3).cudaHalf()
    m.weight.copy(ref.weight)
    m.forward(x)
    m.zeroGradParameters()
    m.backward(x, go)
    for got, want in ((m.gradWeight, ref.gradWeight), (m.gradBias, ref.gradBias)):
        spacing = 2.0 ** (np.floor(np.log2(lg.abs(want).max())) - 10)
        assert (got.double() - want).abs().max() <= spacing
    assert (m.gradInput.double() - gi).abs().max() < 5e-3
    assert (m.running_mean.double() - ref.running_mean).abs().max() < 1e-3


@pytest.mark.parametrize('half', ['legonn.HalfTensor', pytest.param('legonn.CudaHalfTensor', marks=pytest.mark.gpu)])
def test_half_backward_reads_its_saved_statistics_in_float(half):
    """THCUNN's backward reads save_std as its Acctype: a plane whose values nearly agree has 1/std above 256, whose
    square overflows half, and the gradient was inf - inf = NaN there (and in evaluate mode, from the running var)."""
    x = lg.DoubleTensor([[0.0, 1.0], [0.003, -1.0]])
    go = lg.DoubleTensor([[1.0, 0.5], [0.0, 2.0]])
    for train in (True, False):
        ref = nn.BatchNormalization(2).double()
        ref.weight.fill(1)
        ref.running_var.fill(1e-5)
        m = ref.clone().type(half)
        xh = x.type(half)
        for mod, inp, grad in ((ref, xh.double(), go), (m, xh, go.type(half))):
            mod.training() if train else mod.evaluate()
            mod.forward(inp)
            mod.zeroGradParameters()
            mod.backward(inp, grad)
        assert abs(ref.gradInput.numpy()[0, 0]) > 100   # 1/std near 286: the case that overflowed
        assert_close_trees(m.gradInput, ref.gradInput, rtol=1e-2, atol=1e-3)
        assert_close_trees(m.gradWeight, ref.gradWeight, rtol=1e-2, atol=1e-3)


@pytest.mark.gpu
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('affine', [True, False])
def test_on_the_gpu_one_launch_each_way_and_the_cpu_kernels_numbers(train, affine):
    # cuda_kernels' batch_norm RawKernels: THNN's arithmetic (sums in double) as the CPU's kernels compute it, the
    # forward in one launch, backward's three gradients in one more (the array code made about twenty)
    counting = launch_counting()
    rng = np.random.default_rng(11)
    x = lg.from_numpy((rng.standard_normal((4, 3, 5, 6)) * 2 + 1).astype(np.float32))
    go = lg.from_numpy(rng.standard_normal((4, 3, 5, 6)).astype(np.float32))
    cpu = nn.SpatialBatchNormalization(3, 1e-5, 0.1, affine)
    cpu.running_var.fill(1.5)
    if affine:
        cpu.weight.array[...] = [0.5, -1, 2]
    if not train:
        cpu.evaluate()
    gpu = cpu.clone().cuda()
    xg, gog = x.cuda(), go.cuda()
    for _ in range(2):   # the second forward and backward are counted, kernels built by the first
        with counting() as forward_counts:
            gpu.forward(xg)
        with counting() as backward_counts:
            gpu.backward(xg, gog, 0.5)
        cpu.forward(x)
        cpu.backward(x, go, 0.5)
    launches = [{name: n for name, n in counts.items() if not name.startswith(('view:', 'no-op:'))}
                for counts in (forward_counts, backward_counts)]   # views launch nothing
    assert launches == [{'kernel batch_norm_forward': 1}, {'kernel batch_norm_backward': 1}], launches
    names = ['output', 'gradInput', 'running_mean', 'running_var', 'save_mean', 'save_std'] + \
        (['gradWeight', 'gradBias'] if affine else [])
    for name in names:
        np.testing.assert_allclose(getattr(gpu, name).float().numpy(), getattr(cpu, name).numpy(), rtol=1e-5,
                                   atol=1e-5, err_msg=name)
