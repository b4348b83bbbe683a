"""lg.cuda.capture: a training step recorded as a CUDA graph and replayed with new data.

Without a GPU: the clear error naming what is missing, the argument checks, and the whole control flow
(warm-up, one recorded call, copies in, replays, errors that name the line, a stream left usable) against a
stand-in for CuPy that records instead of running while the stream captures. With a GPU: LeNet's step captured
and replayed gives the eager step's losses, and every capture violation raises its error."""
import contextlib
import importlib.util
import os
import types

import numpy as np
import pytest

import legonn as lg
from legonn import cuda as lg_cuda
from legonn import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------------------------------------- without a GPU

@pytest.mark.skipif(lg.gpu_available(), reason='a GPU is present')
def test_without_cupy_or_a_device_capture_names_the_requirement():
    with pytest.raises((ImportError, RuntimeError), match=r'lg\.cuda\.capture needs CuPy and a CUDA device'):
        lg.cuda.capture(lambda x: None, lg.zeros(2))


def test_arguments_are_checked_first():
    with pytest.raises(TypeError, match='fn must be callable, got int'):
        lg.cuda.capture(3)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match='warmup must be an integer >= 0'):
            lg.cuda.capture(lambda: None, warmup=bad)


class FakeArray:
    """A NumPy array posing as a CuPy one (what legonn's backend test looks at: the module and the interface)."""
    __module__ = 'cupy.fake'
    __cuda_array_interface__ = {}

    def __init__(self, values):
        self.values = np.ascontiguousarray(values)
        self.shape, self.dtype, self.flags, self.strides = (self.values.shape, self.values.dtype, self.values.flags,
                                                            self.values.strides)
        self.data = types.SimpleNamespace(ptr=self.values.__array_interface__['data'][0])

    def set(self, host):
        self.values[...] = host


# CuPy's side of a sync and an allocation, compiled under a CuPy-like path as real CuPy frames are, so that the
# error names the test's line that called it
CUPY_SIDE = {}
exec(compile("""
def sync(fake):
    if fake.capturing:
        raise fake.cuda.runtime.CUDARuntimeError(900)


def alloc(fake, nbytes):
    return fake.allocator(nbytes) if fake.allocator else ('default', nbytes)
""", '/fake/cupy/_stand_in.py', 'exec'), CUPY_SIDE)


class FakeCupy:
    """Records work while a stream captures and runs it otherwise; a graph replays what was recorded."""

    def __init__(self):
        self.capturing, self.recorded, self.allocator, self.log = False, None, None, []
        fake = self

        class CUDARuntimeError(RuntimeError):
            def __init__(self, status):
                super().__init__(f'cudaError {status}: operation not permitted when stream is capturing')
                self.status = status

        class Graph:
            def __init__(self, ops):
                self.ops = ops

            def launch(self):
                fake.log.append('launch')
                for op in self.ops:
                    op()

        class Stream:
            def __init__(self, non_blocking=False):
                assert non_blocking, 'capture on a stream that does not wait for the legacy one'

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def synchronize(self):
                fake.sync()

            def begin_capture(self):
                fake.capturing, fake.recorded = True, []

            def end_capture(self):
                fake.capturing = False
                return Graph(fake.recorded)

        @contextlib.contextmanager
        def using_allocator(fn):
            fake.allocator = fn
            yield
            fake.allocator = None

        self.cuda = types.SimpleNamespace(
            Stream=Stream, using_allocator=using_allocator,
            Device=lambda: types.SimpleNamespace(synchronize=fake.sync),
            MemoryPool=lambda: types.SimpleNamespace(malloc=lambda n: ('pooled', n)),
            runtime=types.SimpleNamespace(CUDARuntimeError=CUDARuntimeError))

    def sync(self):
        CUPY_SIDE['sync'](self)

    def run(self, op):
        """A kernel: recorded while capturing, else run now."""
        (self.recorded.append if self.capturing else lambda f: f())(op)

    def alloc(self, nbytes):
        return CUPY_SIDE['alloc'](self, nbytes)

    @staticmethod
    def copyto(dst, src):
        dst.values[...] = src.values


@pytest.fixture
def fake(monkeypatch):
    cp = FakeCupy()
    monkeypatch.setattr(lg_cuda.backend, 'cupy', lambda: cp)
    return cp


def doubling_step(cp, calls):
    """fn(x, out): out = 2 x + (number of eager calls so far), as kernels."""
    def fn(x, out):
        calls.append(cp.capturing)
        k = len(calls)
        cp.run(lambda: out.values.__setitem__(Ellipsis, 2 * x.values + k))
        return out
    return fn


def test_capture_warms_up_records_once_and_replays_with_new_data(fake):
    x, out, calls = FakeArray(np.zeros(3, np.float32)), FakeArray(np.zeros(3, np.float32)), []
    step = lg.cuda.capture(doubling_step(fake, calls), x, out, warmup=2)
    assert calls == [False, False, True]          # two eager calls, then one recorded
    assert out.values.tolist() == [2, 2, 2]       # the recorded call did not run
    result = step(np.array([1, 2, 3], np.float32), FakeArray(np.ones(3, np.float32)))
    assert result is out and out.values.tolist() == [5, 7, 9]   # 2 x + 3, with x copied in
    assert step().values.tolist() == [5, 7, 9] and fake.log == ['launch', 'launch']
    assert calls == [False, False, True]          # replays run no Python
    assert 'buffers (3,), (3,)' in repr(step)


def test_replay_checks_every_input_before_copying_any(fake):
    x, out = FakeArray(np.zeros(3, np.float32)), FakeArray(np.zeros(3, np.float32))
    step = lg.cuda.capture(doubling_step(fake, []), x, out, warmup=0)
    good = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=r'input 1 has shape \(4,\) but the captured buffer has \(3,\)'):
        step(good, np.ones(4, np.float32))
    with pytest.raises(TypeError, match='input 1 is float64 but the captured buffer is float32'):
        step(good, np.ones(3))
    with pytest.raises(TypeError, match='captured with 2 buffers, got 1 arrays'):
        step(good)
    with pytest.raises(TypeError, match='input 0 must be a tensor, a NumPy or a CuPy array, got list'):
        step([1, 2, 3], good)
    assert x.values.tolist() == [0, 0, 0] and fake.log == []   # nothing copied, nothing launched


def test_buffers_must_be_contiguous_device_memory(fake):
    with pytest.raises(TypeError, match='buffer 0 must be a CUDA tensor or a CuPy array .* got legonn.FloatTensor'):
        lg.cuda.capture(lambda x: None, lg.zeros(3))
    strided = FakeArray(np.zeros(3))
    strided.flags, strided.strides = np.zeros((3, 2))[:, 0].flags, (16,)
    with pytest.raises(ValueError, match='buffer 0 must be contiguous'):
        lg.cuda.capture(lambda x: None, strided)


def test_a_host_sync_inside_the_step_names_its_line_and_leaves_the_stream_usable(fake):
    def reads_the_loss(x):
        fake.run(lambda: None)
        CUPY_SIDE['sync'](fake)   # what float(loss) does on a GPU array

    with pytest.raises(lg.cuda.CaptureError, match=r'test_gpu_capture\.py:\d+ in reads_the_loss synchronised with '
                                                   r'the host'):
        lg.cuda.capture(reads_the_loss, FakeArray(np.zeros(2)), warmup=1)
    assert not fake.capturing
    lg.cuda.capture(lambda x: fake.run(lambda: None), FakeArray(np.zeros(2)))   # a good step captures afterwards


def test_the_steps_own_errors_pass_through_unchanged(fake):
    def bad(x):
        if fake.capturing:
            raise ValueError('Linear: expected 4 input features, got 7')

    with pytest.raises(ValueError, match='expected 4 input features'):
        lg.cuda.capture(bad, FakeArray(np.zeros(2)))
    assert not fake.capturing


def test_allocations_are_pooled_and_listed_or_forbidden(fake):
    def allocating(x):
        return CUPY_SIDE['alloc'](fake, 64)

    step = lg.cuda.capture(allocating, FakeArray(np.zeros(2)), warmup=1)
    assert step.result == ('pooled', 64)
    assert len(step.allocations) == 1 and step.allocations[0][0] == 64
    assert 'in allocating' in step.allocations[0][1]
    with pytest.raises(lg.cuda.CaptureError, match=r'in allocating allocated 64 bytes of GPU memory during the '
                                                   r'capture \(forbid_allocations=True\)'):
        lg.cuda.capture(allocating, FakeArray(np.zeros(2)), forbid_allocations=True)
    assert not fake.capturing


# ----------------------------------------------------------------------------------------------- the step

spec = importlib.util.spec_from_file_location('gpu_capture', os.path.join(ROOT, 'bench', 'gpu_capture.py'))
gpu_capture = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_capture)
BATCH = 16


def small_lenet():
    lg.manualSeed(11)
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(1, 6, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.SpatialConvolution(6, 12, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.View(12 * 4 * 4)).add(nn.Linear(192, 32)).add(nn.ReLU()).add(nn.Linear(32, 10))
    return model.add(nn.LogSoftMax())


def batches(n):
    rng = np.random.default_rng(3)
    return [(lg.from_numpy(rng.random((BATCH, 1, 28, 28), dtype=np.float32)), lg.from_numpy(rng.integers(0, 10, BATCH)))
            for _ in range(n)]


def test_the_device_side_step_is_classnll_and_torch7_sgd():
    """bench/gpu_capture.py's step (loss and update kept on the device, what a graph can hold) computes what
    ClassNLLCriterion and optim.sgd (momentum 0.9, dampening 0) compute, here on the CPU."""
    data = batches(3)
    model, reference = small_lenet(), small_lenet()
    step = gpu_capture.classifier_step(model, BATCH, 10)
    params = reference.getParameters()[0]
    torch7_step = gpu_capture.torch7_step(reference)
    for x, y in data:
        want = torch7_step(x, y)
        assert float(step(x, y)) == pytest.approx(want, rel=1e-6)
    np.testing.assert_allclose(model.getParameters()[0].numpy(), params.numpy(), rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------------------------- on a GPU

@pytest.mark.gpu
def test_captured_lenet_step_gives_the_eager_losses():
    data = [(x.cuda(), y.cudaLong()) for x, y in batches(5)]
    eager_model, captured_model = small_lenet().cuda(), small_lenet().cuda()
    eager = gpu_capture.classifier_step(eager_model, BATCH, 10)
    # as the capture: two warm-up steps on its example batch, then the other batches
    eager_losses = [float(eager(x, y)) for x, y in [data[0], data[0]] + data[1:]]
    cx, cy = data[0][0].clone(), data[0][1].clone()
    step = lg.cuda.capture(gpu_capture.classifier_step(captured_model, BATCH, 10), cx, cy, warmup=2)
    before = captured_model.getParameters()[0].float().cpu().numpy()
    captured_losses = [float(step(x, y)) for x, y in data[1:]]
    np.testing.assert_allclose(captured_losses, eager_losses[2:], rtol=1e-6)
    # the replays trained (the batches are random, so their losses need not fall)
    assert not np.allclose(captured_model.getParameters()[0].float().cpu().numpy(), before)
    np.testing.assert_allclose(captured_model.getParameters()[0].float().cpu().numpy(),
                               eager_model.getParameters()[0].float().cpu().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_the_torch7_step_itself_can_be_captured():
    """ClassNLLCriterion and optim.sgd keep the loss on the device while a step records (each replay rewrites
    it), and the label check is skipped: the plain Torch7 step is captured and gives the eager step's losses."""
    data = [(x.cuda(), y.cudaLong()) for x, y in batches(4)]
    eager_model, captured_model = small_lenet().cuda(), small_lenet().cuda()
    eager = gpu_capture.torch7_step(eager_model)
    eager_losses = [eager(x, y) for x, y in [data[0], data[0]] + data[1:]]
    assert all(isinstance(v, float) for v in eager_losses)   # eager, the loss is a Python number as in Torch7
    cx, cy = data[0][0].clone(), data[0][1].clone()
    step = lg.cuda.capture(gpu_capture.torch7_step(captured_model), cx, cy, warmup=2)
    captured_losses = [float(step(x, y)) for x, y in data[1:]]
    np.testing.assert_allclose(captured_losses, eager_losses[2:], rtol=1e-5)
    np.testing.assert_allclose(captured_model.getParameters()[0].cpu().numpy(),
                               eager_model.getParameters()[0].cpu().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
@pytest.mark.parametrize('workload', ['W2', 'W2T', 'W3'])
def test_the_capture_benchmark_runs_and_checks_its_losses(capsys, workload):
    """W3 reads its embedding's indices (LookupTable), whose range check is skipped while recording."""
    assert gpu_capture.main(['--workloads', workload, '--steps', '1', '--repeats', '1']) == 0
    out = capsys.readouterr().out
    assert 'losses captured == eager: yes' in out, out


def test_while_recording_index_ranges_are_not_read():
    from legonn.tensor import backend
    from legonn.tensor.scatter_kernels import out_of_range
    bad = np.array([3, -1, 7])
    assert out_of_range(bad, 5) == (-1, 7) and out_of_range(np.array([0, 4]), 5) is None
    with backend.recording_step():
        assert backend.recording() and out_of_range(bad, 5) is None
    assert not backend.recording()


@pytest.mark.gpu
def test_on_the_gpu_a_host_sync_raises_and_the_device_stays_usable():
    cp = lg.tensor.backend.cupy()
    x = lg.zeros(4).cuda()

    def reads_on_host(x):
        return float(x.array.sum())

    with pytest.raises(lg.cuda.CaptureError, match=r'test_gpu_capture\.py:\d+ in reads_on_host synchronised'):
        lg.cuda.capture(reads_on_host, x, warmup=1)
    assert float(cp.arange(4).sum()) == 6
    out = cp.zeros(4, np.float32)
    step = lg.cuda.capture(lambda x: cp.add(x.array, 1, out=out), x)
    step(np.arange(4, dtype=np.float32))
    assert out.get().tolist() == [1, 2, 3, 4]


@pytest.mark.gpu
def test_on_the_gpu_allocations_are_pooled_or_forbidden_and_shapes_fixed():
    cp = lg.tensor.backend.cupy()
    x = lg.ones(8).cuda()

    def allocates(x):
        return cp.exp(x.array)   # a new array every eager call

    step = lg.cuda.capture(allocates, x)
    assert step.allocations and 'in allocates' in step.allocations[0][1]
    result = step(np.zeros(8, np.float32))
    np.testing.assert_allclose(result.get(), np.ones(8))
    with pytest.raises(lg.cuda.CaptureError, match='in allocates allocated .* bytes'):
        lg.cuda.capture(allocates, x, forbid_allocations=True)
    with pytest.raises(ValueError, match=r'input 0 has shape \(9,\)'):
        step(np.zeros(9, np.float32))
    x.resize(16)
    with pytest.raises(lg.cuda.CaptureError, match='buffer 0 was resized or re-typed since the capture'):
        step()
    with pytest.raises(TypeError, match='buffer 0 must be a CUDA tensor'):
        lg.cuda.capture(allocates, lg.ones(8))
