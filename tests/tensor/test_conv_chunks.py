"""The chunked im2col + GEMM of tensor/conv_chunks.py: the same results as the whole-batch columns (the path
it replaces on the CPU), on odd shapes, padding, dilation, both float types, one and two threads."""
import threading

import numpy as np
import pytest

from legonn.tensor import conv_chunks, conv_kernels as ck, openblas, parallel

# (batch, planes in, planes out, height, width, kernel, pad, dilation, stride): with stride 1, outputs about the
# input's size (the adjoint correlation); strided, the chunks' column gradients added back
CASES = [
    (2, 5, 4, 7, 9, (3, 2), (1, 1), (1, 1), (1, 1)),
    (3, 5, 6, 9, 8, (3, 3), (2, 1), (1, 1), (1, 1)),       # pad = dilation (k - 1): the adjoint needs no padding
    (1, 5, 3, 6, 5, (2, 3), (1, 1), (2, 1), (1, 1)),       # one image, dilated rows
    (5, 6, 7, 11, 10, (3, 3), (1, 1), (1, 1), (1, 1)),
    (2, 7, 3, 5, 13, (1, 1), (0, 0), (1, 1), (1, 1)),      # 1x1 kernel: no padding either way
    (3, 9, 5, 20, 22, (3, 3), (0, 0), (1, 1), (1, 1)),     # unpadded: 360 of 440 pixels, within the rule
    (3, 12, 8, 9, 10, (2, 3), (1, 1), (1, 1), (1, 1)),     # 8 planes out, 3 taps wide: the direct weight gradient
    (3, 5, 7, 11, 10, (3, 3), (1, 1), (1, 1), (2, 2)),     # ResNet's strided 3x3, odd height
    (2, 6, 4, 9, 13, (1, 1), (0, 0), (1, 1), (2, 2)),      # its 1x1 projection: gradients only at even pixels
    (3, 4, 5, 12, 11, (3, 2), (2, 1), (2, 1), (3, 2)),     # unequal strides, dilated rows, pad beyond the reach
    (1, 5, 3, 7, 7, (3, 3), (0, 0), (1, 1), (2, 3)),       # one image; windows miss the last column
]


@pytest.fixture
def short_rows(monkeypatch):
    """Plans take the chunks for rows of any length (these shapes are narrower than ``MIN_ROW``), 1x1 kernels
    included (which they leave to ``conv_pointwise`` otherwise)."""
    monkeypatch.setattr(conv_chunks, 'MIN_ROW', 1)
    monkeypatch.setattr(ck, 'pointwise_pays', lambda *args: False)


@pytest.fixture(params=[1, 2], ids=['1-thread', '2-threads'])
def threads(request, monkeypatch, short_rows):
    """One or two threads, with parts small enough that these shapes split over both."""
    before = parallel.getnumthreads()
    monkeypatch.setattr(parallel, 'MIN_PART', 16)
    parallel.setnumthreads(request.param)
    yield request.param
    parallel.setnumthreads(before)


def whole_batch(x, w, b, go, kernel, pad, dilation, stride):
    """Output, gradInput, gradWeight and gradBias of the whole-batch columns (a plan given no dtype)."""
    dt = x.dtype
    plan = ck.ConvPlan(np, x.shape, w.shape[0], kernel, stride, pad, dilation, 1, True)
    assert plan.kernels is None
    cols = np.empty(plan.columns_shape, dt)
    out = np.empty((x.shape[0], w.shape[0]) + plan.out_size, dt)
    plan.forward(x, w, b, cols, np.empty(plan.gemm_shape, dt), out)
    grad_t, gi = np.empty(plan.gemm_shape, dt), np.empty(x.shape, dt)
    plan.grad_input(go, w, gi, grad_t, np.empty(plan.columns_shape, dt), np.empty(plan.sums_shape, dt))
    gw, gb = np.zeros_like(w), np.zeros_like(b)
    plan.accumulate_gradients(plan.grad_output_t(go, grad_t), cols, gw, gb, 0.5)
    return out, gi, gw, gb


def run_kernels(conv, x, w, b, go):
    """Output, gradInput, gradWeight and gradBias of a plan's source kernels ``conv`` (``conv_direct.SourceConv``),
    every buffer they fill NaN first."""
    dt = x.dtype
    source = conv.source(x, np.full(conv.source_shape, np.nan, dt)) if conv.copies_source(x) else x
    scratch = np.full(conv.scratch_shape, np.nan, dt)   # every element read must have been written
    out = conv.forward(source, w, b, np.full((x.shape[0], w.shape[0]) + conv.out_size, np.nan, dt), scratch)
    gi = conv.grad_input(go, w, np.full(x.shape, np.nan, dt), scratch, np.full(conv.planes_shape, np.nan, dt))
    gw, gb = np.zeros_like(w), np.zeros_like(b)
    conv.grad_params(go, source, gw, gb, 0.5, scratch, np.full(conv.partials_shape, np.nan, dt))
    return out, gi, gw, gb


def chunked(x, w, b, go, kernel, pad, dilation, stride):
    """The same four from the plan's ``ChunkedConv``."""
    plan = ck.ConvPlan(np, x.shape, w.shape[0], kernel, stride, pad, dilation, 1, True, x.dtype)
    conv = plan.chunked
    assert conv is not None and plan.kernels is conv and plan.direct is None
    return run_kernels(conv, x, w, b, go)


@pytest.mark.parametrize('dtype, rtol', [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize('case', CASES)
def test_chunks_give_the_whole_batch_results(threads, case, dtype, rtol, monkeypatch):
    n, c, o, h, w_, kernel, pad, dilation, stride = case
    x, w, b, go = operands(case[:5], kernel, pad, dilation, stride, dtype)
    expected = whole_batch(x, w, b, go, kernel, pad, dilation, stride)
    for rows in (1, 3, None):   # one row per chunk, chunks across images, the default
        if rows is not None:
            monkeypatch.setattr(conv_chunks, 'CHUNK_BYTES', rows * np.dtype(dtype).itemsize
                                * (c * kernel[0] * kernel[1] + o) * max(go.shape[3], w_))
        assert_same(chunked(x, w, b, go, kernel, pad, dilation, stride), expected, rtol)


def operands(sizes, kernel, pad, dilation, stride, dtype):
    """Random input, weight, bias and gradOutput of a convolution of ``sizes`` (batch, planes in, planes out,
    height, width), seeded by them."""
    n, c, o, h, w = sizes
    rng = np.random.default_rng(sum(sizes))
    out_size = tuple(ck.conv_output_size(*axis) for axis in zip((h, w), kernel, stride, pad, dilation))
    return (rng.standard_normal((n, c, h, w)).astype(dtype), rng.standard_normal((o, c) + tuple(kernel)).astype(dtype),
            rng.standard_normal(o).astype(dtype), rng.standard_normal((n, o) + out_size).astype(dtype))


def assert_same(got, expected, rtol):
    """Output, gradInput, gradWeight and gradBias equal within ``rtol`` (of each one's largest, near zero)."""
    for name, e, g in zip(('output', 'gradInput', 'gradWeight', 'gradBias'), expected, got):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * np.abs(e).max(), err_msg=name)


def test_stride_one_chunks_of_few_planes_leave_the_weight_gradient_to_the_direct_kernels(short_rows):
    def conv(planes_in, planes_out, kernel):
        return ck.ConvPlan(np, (4, planes_in, 16, 16), planes_out, kernel, (1, 1), (1, 1), (1, 1), 1, True,
                           np.float32).chunked
    assert conv(32, 32, (3, 3)).weight_grads.blocked
    assert conv(12, 8, (2, 3)).scratch_length % 8 == 0
    for planes_in, planes_out, kernel in ((64, 64, (3, 3)), (32, 12, (3, 3)), (8, 16, (3, 2))):
        assert conv(planes_in, planes_out, kernel).weight_grads is None


def test_chunk_rows_follow_the_budget(monkeypatch, short_rows):
    monkeypatch.setattr(conv_chunks, 'CHUNK_BYTES', 4 * (5 * 6 + 4) * 10 * 3)
    conv = ck.ConvPlan(np, (2, 5, 7, 9), 4, (3, 2), (1, 1), (1, 1), (1, 1), 1, True, np.float32).chunked
    assert conv.chunk_rows == 3 and conv.out_size == (7, 10)
    assert conv.scratch_length >= (5 * 6 + 4) * 10 * 3
    assert conv.adjoint.pad == (1, 0) and conv.adjoint.out_size == (7, 9)


@pytest.mark.parametrize('args, expected', [
    ((np.float32, (32, 64, 32, 32), 64, (3, 3), (1, 1), (1, 1), (1, 1), (32, 32), 1), True),    # VGG's 3x3
    ((np.float32, (32, 64, 16, 16), 128, (3, 3), (1, 1), (1, 1), (1, 1), (16, 16), 1), True),   # twice the planes
    ((np.float64, (2, 8, 20, 20), 4, (3, 3), (1, 1), (0, 0), (1, 1), (18, 18), 1), True),       # 324 of 400 pixels
    ((np.float32, (32, 3, 32, 32), 64, (3, 3), (1, 1), (1, 1), (1, 1), (32, 32), 1), False),    # 3 planes into 64
    ((np.float32, (32, 128, 8, 8), 128, (3, 3), (1, 1), (1, 1), (1, 1), (8, 8), 1), False),     # rows of 8
    ((np.float64, (2, 8, 20, 20), 4, (5, 5), (1, 1), (0, 0), (1, 1), (16, 16), 1), False),      # 256 of 400 pixels
    ((np.float32, (32, 16, 32, 32), 32, (3, 3), (2, 2), (1, 1), (1, 1), (16, 16), 1), True),    # ResNet's stride 2
    ((np.float64, (32, 16, 32, 32), 32, (1, 1), (2, 2), (0, 0), (1, 1), (16, 16), 1), True),    # its 1x1 shortcut
    ((np.float32, (32, 32, 16, 16), 64, (3, 3), (2, 2), (1, 1), (1, 1), (8, 8), 1), False),     # strided rows of 8
    ((np.float32, (2, 8, 33, 33), 4, (3, 3), (2, 2), (1, 1), (1, 1), (17, 17), 2), False),      # groups
    ((np.float32, (2, 8, 16, 16), 4, (3, 3), (1, 1), (3, 3), (1, 1), (20, 20), 1), False),      # pad > k - 1
    ((np.float32, (2, 8, 16, 16), 4, (3, 3), (1, 1), (1, 1), (1, 1), (16, 16), 2), False),      # groups
    ((np.float16, (2, 8, 16, 16), 4, (3, 3), (1, 1), (1, 1), (1, 1), (16, 16), 1), False),      # half
    ((None, (2, 8, 16, 16), 4, (3, 3), (1, 1), (1, 1), (1, 1), (16, 16), 1), False),            # no dtype given
])
def test_chunks_pay_for_same_size_or_strided_float_convolutions(args, expected):
    assert conv_chunks.chunks_pay(np, *args) is expected


def test_chunks_refuse_operands_that_do_not_fit(short_rows):
    conv = ck.ConvPlan(np, (2, 5, 6, 5), 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, True, np.float32).chunked
    source = np.zeros(conv.source_shape, np.float32)
    weight, bias = np.zeros((4, 5, 3, 3), np.float32), np.zeros(4, np.float32)
    scratch = np.zeros(conv.scratch_shape, np.float32)
    with pytest.raises(ValueError, match=r'conv_chunks\.forward: out must have shape \(2, 4, 6, 5\)'):
        conv.forward(source, weight, bias, np.zeros((2, 4, 6, 6), np.float32), scratch)
    with pytest.raises(TypeError, match=r'conv_chunks\.forward: source must be float32'):
        conv.forward(source.astype(np.float64), weight, bias, np.zeros((2, 4, 6, 5), np.float32), scratch)
    with pytest.raises(ValueError, match=r'conv_chunks\.grad_params: scratch must have shape'):
        conv.grad_params(np.zeros((2, 4, 6, 5), np.float32), source, weight, bias, 1, scratch[:, 1:],
                         np.zeros(conv.partials_shape, np.float32))


@pytest.mark.skipif(openblas.blas_threads() is None, reason="NumPy's BLAS is not OpenBLAS")
def test_serial_blas_puts_the_thread_count_back_after_nested_and_concurrent_users():
    before = openblas.blas_threads()
    inside, go_on = threading.Event(), threading.Event()

    def other():
        with openblas.serial_blas():
            inside.set()
            go_on.wait(5)

    worker = threading.Thread(target=other)
    with openblas.serial_blas():
        worker.start()
        assert inside.wait(5)
        with openblas.serial_blas():
            assert openblas.blas_threads() == 1
        assert openblas.blas_threads() == 1
    assert openblas.blas_threads() == 1   # the other thread is still inside
    go_on.set()
    worker.join()
    assert openblas.blas_threads() == before
    with openblas.serial_blas(False):
        assert openblas.blas_threads() == before
