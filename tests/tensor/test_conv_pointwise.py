"""The 1x1 convolutions of tensor/conv_pointwise.py (a GEMM an image on the subsampled input): the same results as
the whole-batch columns, on odd shapes and strides, both float types, one and two threads."""
import numpy as np
import pytest

from legonn.tensor import conv_kernels as ck, conv_pointwise, parallel
from tests.tensor.test_conv_blocked import threads  # noqa: F401  (a fixture)
from tests.tensor.test_conv_chunks import assert_same, operands, run_kernels, whole_batch

# (batch, planes in, planes out, height, width, stride)
CASES = [
    (3, 16, 32, 9, 11, (2, 2)),    # a ResNet projection shortcut, odd sizes: the last row and column unread
    (2, 5, 7, 8, 6, (1, 1)),       # stride 1: the input itself is the source
    (1, 6, 4, 10, 9, (3, 2)),      # one image, unequal strides
    (5, 3, 6, 4, 5, (2, 3)),
]


@pytest.mark.parametrize('dtype, rtol', [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize('case', CASES)
def test_pointwise_gives_the_whole_batch_results(threads, case, dtype, rtol):  # noqa: F811
    stride = case[5]
    x, w, b, go = operands(case[:5], (1, 1), (0, 0), (1, 1), stride, dtype)
    expected = whole_batch(x, w, b, go, (1, 1), (0, 0), (1, 1), stride)
    plan = ck.ConvPlan(np, x.shape, w.shape[0], (1, 1), stride, (0, 0), (1, 1), 1, True, dtype)
    assert plan.kernels is plan.pointwise is not None
    for given in (x, np.asfortranarray(x)):   # contiguous, or copied into the source even with stride 1
        assert_same(run_kernels(plan.pointwise, given, w, b, go), expected, rtol)


@pytest.mark.parametrize('args, expected', [
    ((np.float32, (32, 16, 32, 32), 32, (1, 1), (2, 2), (0, 0), (1, 1), (16, 16), 1), True),
    ((np.float64, (2, 64, 7, 7), 256, (1, 1), (1, 1), (0, 0), (1, 1), (7, 7), 1), True),    # a bottleneck's 1x1
    ((np.float32, (2, 8, 7, 7), 8, (1, 1), (1, 1), (1, 1), (1, 1), (9, 9), 1), False),      # padded
    ((np.float32, (2, 8, 7, 7), 8, (1, 1), (1, 1), (0, 0), (1, 1), (7, 7), 2), False),      # groups
    ((np.float16, (2, 8, 7, 7), 8, (1, 1), (1, 1), (0, 0), (1, 1), (7, 7), 1), False),      # half
    ((np.float32, (2, 8, 7, 7), 8, (1, 3), (1, 1), (0, 0), (1, 1), (7, 5), 1), False),      # 1x3
])
def test_pointwise_pays_for_unpadded_1x1_float_convolutions(args, expected):
    assert conv_pointwise.pointwise_pays(np, *args) is expected


def test_pointwise_refuses_operands_that_do_not_fit():
    conv = conv_pointwise.PointwiseConv((2, 4, 6, 5), 3, (2, 2), (3, 3))
    source = np.zeros(conv.source_shape, np.float32)
    weight, bias = np.zeros((3, 4, 1, 1), np.float32), np.zeros(3, np.float32)
    scratch = np.zeros(conv.scratch_shape, np.float32)
    with pytest.raises(ValueError, match=r'conv_pointwise\.forward: source must have shape \(2, 4, 3, 3\)'):
        conv.forward(np.zeros((2, 4, 6, 5), np.float32), weight, bias, np.zeros((2, 3, 3, 3), np.float32), scratch)
    with pytest.raises(ValueError, match=r'conv_pointwise\.grad_input: gradInput must have shape'):
        conv.grad_input(np.zeros((2, 3, 3, 3), np.float32), weight, np.zeros((2, 4, 6, 6), np.float32), scratch,
                        np.zeros(conv.planes_shape, np.float32))
    with pytest.raises(TypeError, match=r'conv_pointwise\.forward: weight must be float32'):
        conv.forward(source, weight.astype(np.float64), bias, np.zeros((2, 3, 3, 3), np.float32), scratch)


def test_pointwise_runs_a_batch_too_small_to_split_in_one_part():
    """Two threads but one part (the batch is below ``parallel.MIN_PART``): the strided input gradient still has
    room for every image."""
    before = parallel.getnumthreads()
    parallel.setnumthreads(2)
    try:
        x, w, b, go = operands((4, 8, 5, 6, 6), (1, 1), (0, 0), (1, 1), (2, 2), np.float64)
        conv = ck.ConvPlan(np, x.shape, 5, (1, 1), (2, 2), (0, 0), (1, 1), 1, True, np.float64).pointwise
        assert len(parallel.leading_ranges(go, max(1, 8 // 4))) == 1
        assert_same(run_kernels(conv, x, w, b, go), whole_batch(x, w, b, go, (1, 1), (0, 0), (1, 1), (2, 2)), 1e-12)
    finally:
        parallel.setnumthreads(before)
