"""The blocked direct kernels of tensor/conv_blocked.py (eight output planes by three taps a pass) and the padded
copy every source kernel reads (``conv_cpu.pad_planes``): the same results as the whole-batch columns, on odd
shapes, padding, dilation, both float types, one and two threads."""
import numpy as np
import pytest

from legonn.tensor import conv_blocked, conv_kernels as ck, parallel
from legonn.tensor.conv_direct import SourceConv
from tests.tensor.test_conv_chunks import assert_same, operands, run_kernels, whole_batch

# (batch, planes in, planes out, height, width, kernel, pad, dilation): stride 1, planes 8 or 16, 3 taps wide
CASES = [
    (2, 16, 16, 9, 11, (3, 3), (1, 1), (1, 1)),    # a CIFAR ResNet's first stage
    (3, 8, 16, 7, 6, (3, 3), (1, 1), (1, 1)),      # odd batch split over threads
    (1, 16, 8, 10, 9, (2, 3), (1, 1), (1, 1)),     # a kernel two rows high: the adjoint pads rows by 0
    (2, 8, 8, 12, 13, (3, 3), (2, 2), (2, 1)),     # dilated rows, pad = dilation (k - 1)
    (2, 16, 8, 11, 12, (5, 3), (1, 0), (1, 1)),    # 5 rows: the adjoint pads rows by 3, columns by 2
]


@pytest.fixture(params=[1, 2], ids=['1-thread', '2-threads'])
def threads(request, monkeypatch):
    """One or two threads, with parts small enough that these shapes split over both."""
    before = parallel.getnumthreads()
    monkeypatch.setattr(parallel, 'MIN_PART', 16)
    parallel.setnumthreads(request.param)
    yield request.param
    parallel.setnumthreads(before)


@pytest.mark.parametrize('dtype, rtol', [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize('case', CASES)
def test_blocked_kernels_give_the_whole_batch_results(threads, case, dtype, rtol):
    kernel, pad, dilation = case[5:]
    x, w, b, go = operands(case[:5], kernel, pad, dilation, (1, 1), dtype)
    conv = conv_blocked.BlockedConv(x.shape, w.shape[0], kernel, pad, dilation, go.shape[2:])
    assert_same(run_kernels(conv, x, w, b, go), whole_batch(x, w, b, go, kernel, pad, dilation, (1, 1)), rtol)


# (batch, planes in, planes out, height, width, kernel, pad, dilation): the direct kernels' few input planes,
# output planes a multiple of eight, three taps wide: blocked forward and weight gradient, the gather's gradInput
DIRECT_CASES = [
    (3, 3, 16, 9, 10, (3, 3), (1, 1), (1, 1)),     # CIFAR's first layer
    (2, 1, 8, 7, 11, (4, 3), (0, 2), (1, 2)),      # dilated columns, unpadded rows
]


@pytest.mark.parametrize('dtype, rtol', [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize('case', DIRECT_CASES)
def test_direct_kernels_take_eight_planes_a_pass_where_they_can(threads, case, dtype, rtol):
    kernel, pad, dilation = case[5:]
    x, w, b, go = operands(case[:5], kernel, pad, dilation, (1, 1), dtype)
    plan = ck.ConvPlan(np, x.shape, w.shape[0], kernel, (1, 1), pad, dilation, 1, True, dtype)
    assert plan.kernels is plan.direct and plan.direct.blocked
    assert_same(run_kernels(plan.direct, x, w, b, go), whole_batch(x, w, b, go, kernel, pad, dilation, (1, 1)), rtol)


@pytest.mark.parametrize('args, expected', [
    ((np.float32, (32, 16, 32, 32), 16, (3, 3), (1, 1), (1, 1), (1, 1), (32, 32), 1), True),    # ResNet's stage 1
    ((np.float64, (4, 8, 20, 18), 16, (5, 3), (1, 1), (2, 1), (1, 1), (20, 18), 1), True),      # 5 rows of 3 taps
    ((np.float32, (32, 32, 16, 16), 32, (3, 3), (1, 1), (1, 1), (1, 1), (16, 16), 1), False),   # 32 planes: GEMM
    ((np.float32, (32, 16, 32, 32), 16, (3, 5), (1, 1), (1, 2), (1, 1), (32, 32), 1), False),   # 5 taps wide
    ((np.float32, (32, 16, 32, 32), 12, (3, 3), (1, 1), (1, 1), (1, 1), (32, 32), 1), False),   # 12 planes
    ((np.float32, (32, 16, 8, 8), 16, (3, 3), (1, 1), (1, 1), (1, 1), (8, 8), 1), False),       # rows of 8
    ((np.float32, (32, 16, 32, 32), 16, (3, 3), (2, 2), (1, 1), (1, 1), (16, 16), 1), False),   # stride 2
    ((np.float32, (32, 16, 32, 32), 16, (3, 3), (1, 1), (1, 1), (1, 1), (32, 32), 2), False),   # groups
    ((np.float16, (32, 16, 32, 32), 16, (3, 3), (1, 1), (1, 1), (1, 1), (32, 32), 1), False),   # half
    ((np.float32, (32, 16, 32, 32), 16, (3, 3), (1, 1), (3, 3), (1, 1), (36, 36), 1), False),   # pad > k - 1
])
def test_blocked_kernels_pay_for_few_planes_three_taps_wide(args, expected):
    assert conv_blocked.blocked_pays(np, *args) is expected


def test_plans_take_the_blocked_kernels_before_the_chunks():
    plan = ck.ConvPlan(np, (32, 16, 32, 32), 16, (3, 3), (1, 1), (1, 1), (1, 1), 1, True, np.float32)
    assert plan.kernels is plan.blocked and plan.chunked is None and plan.direct is None
    assert ck.ConvPlan(np, (32, 16, 32, 32), 16, (3, 3), (1, 1), (1, 1), (1, 1), 1, False, np.float32).kernels \
        is None   # a module keeping the whole-batch columns


def test_blocked_kernels_refuse_operands_that_do_not_fit():
    conv = conv_blocked.BlockedConv((2, 8, 6, 5), 8, (3, 3), (1, 1), (1, 1), (6, 5))
    source = np.zeros(conv.source_shape, np.float32)
    weight, bias = np.zeros((8, 8, 3, 3), np.float32), np.zeros(8, np.float32)
    scratch = np.zeros(conv.scratch_shape, np.float32)
    with pytest.raises(ValueError, match=r'conv_blocked\.forward: out must have shape \(2, 8, 6, 5\)'):
        conv.forward(source, weight, bias, np.zeros((2, 8, 6, 6), np.float32), scratch)
    with pytest.raises(ValueError, match=r'conv_blocked\.grad_params: scratch must have shape'):
        conv.grad_params(np.zeros((2, 8, 6, 5), np.float32), source, weight, bias, 1, scratch[:, 1:],
                         np.zeros(conv.partials_shape, np.float32))
    with pytest.raises(TypeError, match=r'conv_blocked\.source: source must be float32'):
        conv.source(np.zeros((2, 8, 6, 5), np.float32), np.zeros(conv.source_shape, np.float64))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('pad', [(0, 0), (1, 2), (3, 0)])
def test_padded_copy_is_the_input_in_a_zero_border(threads, dtype, pad):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 5, 7)).astype(dtype)
    conv = SourceConv(x.shape, 2, (3, 3), pad, (1, 1), (5, 7))
    got = conv.source(x, np.full(conv.source_shape, np.nan, dtype))
    np.testing.assert_array_equal(got, np.pad(x, ((0, 0), (0, 0), (pad[0],) * 2, (pad[1],) * 2)))
    strided = np.asfortranarray(x)   # not C-contiguous: NumPy's slice copies
    np.testing.assert_array_equal(conv.source(strided, np.full(conv.source_shape, np.nan, dtype)), got)
