"""Intra-op parallelism: setnumthreads/getnumthreads, the splitting rule, and kernels that give the
same numbers split into parts as whole (MIN_PART is lowered so small test arrays split)."""
import threading

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor import blas_kernels, conv_kernels as ck, openblas, parallel, pool_kernels as pk


@pytest.fixture
def split_small(monkeypatch):
    """Three threads and parts of at least 8 elements, restored afterwards."""
    before = parallel.getnumthreads()
    monkeypatch.setattr(parallel, 'MIN_PART', 8)
    parallel.setnumthreads(3)
    yield
    parallel.setnumthreads(before)


def test_setnumthreads_round_trip_and_rejects_bad_counts():
    before = lg.getnumthreads()
    try:
        lg.setnumthreads(1)
        assert lg.getnumthreads() == 1
        lg.setnumthreads(2)
        assert lg.getnumthreads() == 2
    finally:
        lg.setnumthreads(before)
    for bad in (0, -1, 1.5, True, '2'):
        with pytest.raises(ValueError, match='setnumthreads'):
            lg.setnumthreads(bad)


def test_setnumthreads_reaches_openblas():
    if not blas_kernels._GEMM:
        pytest.skip("NumPy is not linked to the bundled scipy-openblas")
    previous = openblas.set_blas_threads(1)
    try:
        assert previous is not None and openblas.blas_threads() == 1
    finally:
        openblas.set_blas_threads(parallel.getnumthreads())


def test_setnumthreads_in_a_worker_thread_is_that_threads_own(split_small):
    """fb.resnet.torch's DataLoader calls ``torch.setnumthreads(1)`` in each data thread; OpenMP keeps the count
    per thread, so the main thread's kernels (and BLAS) keep theirs. A worker's count splits its own kernels."""
    blas_before = openblas.blas_threads()
    seen = {}

    def worker():
        lg.setnumthreads(1)
        seen['count'] = lg.getnumthreads()
        seen['parts'] = len(parallel.leading_parts(np.zeros((64, 64))))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == {'count': 1, 'parts': 1}
    assert lg.getnumthreads() == 3 and len(parallel.leading_parts(np.zeros((64, 64)))) == 3
    assert openblas.blas_threads() == blas_before
    from legonn import threads
    with threads.Threads(2, lambda: lg.setnumthreads(1)) as pool:     # the DataLoader's ``main(idx)``
        counts = []
        for _ in range(4):
            pool.addjob(lg.getnumthreads, counts.append)
        pool.synchronize()
    assert counts == [1, 1, 1, 1] and lg.getnumthreads() == 3


def test_leading_parts_cover_the_axis_once(split_small):
    x = np.zeros((7, 5))
    parts = parallel.leading_parts(x)
    assert len(parts) == 3
    covered = np.zeros(7, int)
    for (rows,) in parts:
        covered[rows] += 1
    assert covered.tolist() == [1] * 7


def test_leading_parts_falls_back_to_second_axis_then_whole(split_small):
    assert [p[1] for p in parallel.leading_parts(np.zeros((1, 6, 4)))] == [slice(0, 2), slice(2, 4), slice(4, 6)]
    assert parallel.leading_parts(np.zeros((1, 1, 64))) == [()]
    assert parallel.leading_parts(np.zeros(4)) == [()]           # below MIN_PART per part
    assert parallel.leading_parts(np.zeros((1, 6, 4)), axes=1) == [()]   # only the first axis may split


def test_one_thread_never_splits(split_small):
    parallel.setnumthreads(1)
    assert parallel.leading_parts(np.zeros((64, 64))) == [()]


def test_run_parts_uses_workers_and_reraises(split_small):
    seen = set()
    together = threading.Barrier(3)

    def record(part):
        seen.add(threading.current_thread().name)
        together.wait(timeout=10)    # breaks (and fails the test) unless the three parts run at once

    parallel.run_parts(record, parallel.leading_parts(np.zeros((6, 8))))
    assert len(seen) == 3

    def fail(part):
        if part[0].start > 0:
            raise RuntimeError(f"part {part[0]}")

    with pytest.raises(RuntimeError, match='part'):
        parallel.run_parts(fail, parallel.leading_parts(np.zeros((6, 8))))


def test_caller_takes_the_parts_of_busy_workers(split_small):
    """With every worker held up (other processes on the cores), the caller runs all the parts itself."""
    release = threading.Event()
    blockers = [parallel._executor().submit(release.wait, 10) for _ in range(parallel.getnumthreads() - 1)]
    ran_in = []
    try:
        parallel.run_parts(lambda part: ran_in.append(threading.current_thread().name),
                           parallel.leading_parts(np.zeros((6, 8))))
    finally:
        release.set()
    assert ran_in == [threading.current_thread().name] * 3
    assert all(b.result() for b in blockers)


def test_parts_inside_a_worker_run_in_turn(split_small):
    """A part asking for parts again must not wait on the pool it occupies."""
    grid = np.zeros((6, 8))

    def outer(part):
        parallel.map_parts(lambda block: block.__iadd__(1), grid[part])

    parallel.run_parts(outer, parallel.leading_parts(grid))
    assert (grid == 1).all()


def test_cupy_arrays_are_never_split(split_small):
    class FakeDevice(np.ndarray):
        pass

    assert parallel.leading_parts(np.zeros((8, 8)).view(FakeDevice)) == [()]


def _whole_and_split(fn):
    before = parallel.getnumthreads()
    parallel.setnumthreads(1)
    try:
        whole = fn()
    finally:
        parallel.setnumthreads(before)
    return whole, fn()


@pytest.mark.parametrize('ksize,stride,pad', [((2, 2), (2, 2), (0, 0)), ((3, 2), (1, 2), (1, 0))])
def test_pool_kernels_split_equal_whole(split_small, ksize, stride, pad):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 7, 8))
    x[0, 0, :2, :2] = 0.5          # ties: the first offset must win in every part
    counts = tuple(pk.pool_output_size(s, k, st, p) for s, k, st, p in zip(x.shape[2:], ksize, stride, pad))
    ones = (1, 1)
    go = rng.standard_normal(x.shape[:2] + counts)

    def run():
        out, arg = pk.max_pool_forward(x, ksize, stride, pad, ones, counts)
        gi = pk.max_pool_backward(go, arg, x.shape, ksize, stride, pad, ones)
        total = pk.sum_pool_forward(x, ksize, stride, pad, counts)
        gsum = pk.sum_pool_backward(go, x.shape, ksize, stride, pad)
        return out, arg, gi, total, gsum

    for a, b in zip(*_whole_and_split(run)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('nin,nout,pad', [(6, 2, 0), (1, 4, 1)])
def test_convolution_split_equals_whole(split_small, nin, nout, pad):
    lg.manualSeed(3)
    conv = nn.SpatialConvolution(nin, nout, 3, 3, 1, 1, pad, pad).double()
    x = lg.randn(4, nin, 6, 7).double()

    def run():
        conv.zeroGradParameters()
        y = conv.forward(x).clone()
        gi = conv.backward(x, y).clone()
        return y.numpy(), gi.numpy(), conv.gradWeight.numpy().copy(), conv.gradBias.numpy().copy()

    for a, b in zip(*_whole_and_split(run)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_relu_split_equals_whole(split_small):
    x = lg.randn(6, 5, 4).double()
    g = lg.randn(6, 5, 4).double()
    relu = nn.ReLU()

    def run():
        return relu.forward(x).numpy().copy(), relu.backward(x, g).numpy().copy()

    (y1, g1), (y2, g2) = _whole_and_split(run)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_array_equal(y2, np.maximum(x.numpy(), 0))
    np.testing.assert_array_equal(g2, g.numpy() * (x.numpy() > 0))


def test_batch_last_and_im2col_split(split_small):
    x = np.arange(4 * 3 * 5 * 5, dtype=np.float64).reshape(4, 3, 5, 5)
    np.testing.assert_array_equal(ck.batch_last(x), np.moveaxis(x, 0, -1))
    whole, split = _whole_and_split(lambda: ck.im2col(x, (2, 2), (1, 1), (0, 0), (1, 1)).copy())
    np.testing.assert_array_equal(whole, split)


def _timeout_seen(code, **env):
    import os
    import subprocess
    import sys
    environ = {k: v for k, v in os.environ.items() if k != 'OPENBLAS_THREAD_TIMEOUT'}
    environ.update(env)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return subprocess.run([sys.executable, '-c',
                           code + "; import os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"],
                          env=environ, cwd=root, capture_output=True, text=True, check=True).stdout.strip()


def test_import_tells_openblas_workers_to_sleep_unless_told_otherwise():
    assert _timeout_seen('import legonn') == '20'
    assert _timeout_seen('import legonn', OPENBLAS_THREAD_TIMEOUT='16') == '16'
    # NumPy already loaded OpenBLAS: setting it now would only mislead
    assert _timeout_seen('import numpy, legonn') == 'None'


def _split_in_child(queue):
    together = threading.Barrier(3)
    names = set()

    def part(p):
        names.add(threading.current_thread().name)
        together.wait(timeout=10)   # only returns if three threads, two of them workers, run parts at once

    parallel.run_parts(part, parallel.leading_parts(np.zeros((6, 8))))
    queue.put(len(names))


def test_forked_child_starts_its_own_workers(split_small):
    """A fork copies no threads: the child must not wait on the parent's pool workers."""
    import multiprocessing
    parallel.map_parts(lambda block: block.__iadd__(1), np.zeros((6, 8)))   # the parent's pool exists
    ctx = multiprocessing.get_context('fork')
    queue = ctx.Queue()
    child = ctx.Process(target=_split_in_child, args=(queue,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == 3


def test_leading_ranges_weigh_elements_by_their_work():
    """An array below two ``MIN_PART`` splits when each element costs more than a pass (a product's terms)."""
    before = parallel.getnumthreads()
    parallel.setnumthreads(2)
    try:
        small = np.zeros((8, parallel.MIN_PART // 8))
        assert parallel.leading_ranges(small) == [(0, 8)]
        assert parallel.leading_ranges(small, work=2) == [(0, 4), (4, 8)]
    finally:
        parallel.setnumthreads(before)


def test_leading_ranges_are_the_first_axis_parts(split_small):
    assert parallel.leading_ranges(np.zeros((7, 5))) == [(0, 2), (2, 4), (4, 7)]
    assert parallel.leading_ranges(np.zeros((1, 64))) == [(0, 1)]   # the second axis is never split here
    parallel.setnumthreads(1)
    assert parallel.leading_ranges(np.zeros((7, 5))) == [(0, 7)]


def test_convolution_kernels_of_conv_cpu_give_the_whole_result_in_parts(split_small):
    """The Numba column gather (channels split) and the direct kernels (batch split, the weight gradient
    summed per part) in three parts against one."""
    rng = np.random.default_rng(3)
    x, go = rng.standard_normal((5, 2, 7, 6)), rng.standard_normal((5, 3, 7, 5))
    go_small = rng.standard_normal((5, 3, 3, 3))   # the gradOutput of a stride-2 convolution of (5, 2, 6, 7)
    results = []
    for threads in (3, 1):
        parallel.setnumthreads(threads)
        ck.conv_plan.cache_clear()
        m = nn.SpatialConvolution(2, 3, 2, 3, 1, 1, 0, 1).double()
        m.weight.copy(lg.from_numpy(np.linspace(-1, 1, 36).reshape(3, 2, 3, 2)))
        m.bias.zero()
        assert m._plan(x).direct is not None
        y = m.forward(lg.from_numpy(x)).numpy().copy()
        m.zeroGradParameters()
        gi = m.backward(lg.from_numpy(x), lg.from_numpy(go)).numpy().copy()
        gathered = ck.conv_grad_input(go_small, np.ones((3, 2, 2, 3)), (5, 2, 6, 7), (2, 2), (1, 0), (1, 1))
        results.append((y, gi, m.gradWeight.numpy().copy(), gathered))
    ck.conv_plan.cache_clear()
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
    assert (results[0][3] == results[1][3]).all()


def test_parts_give_the_callers_type_whatever_the_pools_threads_default_is(split_small):
    """The default tensor type is each thread's own (legonn/tensor/types.py's ``_Default``), and the pool's threads
    keep the starting FloatTensor: they make no tensors, only fill the caller's arrays. A caller whose default is
    Double, the main thread or a legonn.threads worker that set it, gets DoubleTensors computed in parts."""
    from legonn import threads

    def forward_under_double():
        lg.setdefaulttensortype('torch.DoubleTensor')
        x = lg.Tensor(np.linspace(-1, 1, 4 * 3 * 6 * 8).reshape(4, 3, 6, 8))
        y = nn.Sequential().add(nn.SpatialMaxPooling(2, 2, 2, 2)).add(nn.ReLU()).forward(x)
        pools = str(parallel._executor().submit(lg.getdefaulttensortype).result())
        return y.type(), y.numpy().copy(), x.numpy(), pools

    with threads.Threads(1) as pool:
        got = []
        pool.addjob(forward_under_double, lambda *r: got.append(r))
        pool.synchronize()
    for kind, y, x, pools in (got[0], forward_under_double()):
        expected = np.maximum(x.reshape(4, 3, 3, 2, 4, 2).max(axis=(3, 5)), 0)
        assert kind == 'legonn.DoubleTensor' and y.dtype == np.float64
        np.testing.assert_array_equal(y, expected)
        assert pools == 'legonn.FloatTensor'
