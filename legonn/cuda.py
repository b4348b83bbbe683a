"""CUDA graphs for legonn: record one whole training step once, then replay it as a single launch.

``step = lg.cuda.capture(fn, inputs, targets)`` runs ``fn(inputs, targets)`` ``warmup`` times as usual (real
steps: they compile kernels, create optimiser state and size every buffer), then records one more call with
CuPy's stream capture instead of running it. ``step(x, y)`` copies ``x`` and ``y`` into the captured
``inputs`` and ``targets`` (same shapes and element types) and replays the recorded kernels on the current
stream; it returns what ``fn`` returned during the capture, whose device memory each replay rewrites.

Torch7's buffer reuse is what makes this work: a module's output, gradInput and column buffers keep their
addresses from step to step, which is what a CUDA graph needs. What the graph cannot hold raises
``CaptureError`` naming the line that did it:

- a host synchronisation inside ``fn`` (``float(loss)``, ``.item()``, ``bool(array)``, a copy to NumPy): the
  value does not exist yet while recording, so keep losses on the GPU and read them after the step;
- with ``forbid_allocations=True``, any device allocation inside ``fn``; by default allocations are allowed and
  served from a memory pool kept for this step alone, so nothing else ever gets memory the graph writes to
  (``step.allocations`` lists them: each one is a buffer an eager step would allocate anew);
- at replay, data of another shape or element type (a ``ValueError``/``TypeError`` before anything runs), or a
  captured buffer that was resized or re-typed since (its memory is no longer the recorded one).

The graph replays exactly what was recorded: Python-side values computed in ``fn`` (a decaying learning rate,
``evalCounter``, random numbers drawn on the host side) stay those of the captured call. Checks that read
values on the host (the range of labels and indices: LookupTable, ClassNLLCriterion, ...) cannot run inside a
graph, so they are skipped while recording: check the data you copy into the captured buffers yourself. For
the same reason ClassNLLCriterion (and CrossEntropy, MSE, BCE) and the optimisers' closure keep the loss on the
device while recording (a 0-d array the replays rewrite), so a plain Torch7 ``feval`` + ``optim.sgd`` step can
be captured.
"""
import os
import traceback

import numpy as np

from .tensor import Tensor, backend

__all__ = ['capture', 'CapturedStep', 'CaptureError']

_CAPTURE_ERRORS = range(900, 909)   # cudaErrorStreamCaptureUnsupported ... cudaErrorStreamCaptureWrongThread
_HERE = os.path.abspath(__file__)


class CaptureError(RuntimeError):
    """A step that a CUDA graph cannot hold (host synchronisation, a forbidden allocation, moved buffers)."""


def _needs_gpu():
    """The cupy module, or the error that says what is missing, naming lg.cuda.capture."""
    try:
        return backend.cupy()
    except (ImportError, RuntimeError) as err:
        raise type(err)(f"lg.cuda.capture needs CuPy and a CUDA device: {err}") from err


def _device_array(obj, what):
    """The CuPy array behind a CUDA tensor or CuPy array; TypeError for anything else."""
    arr = obj.array if isinstance(obj, Tensor) else obj
    if not backend.is_cupy_array(arr):
        kind = obj.type() if isinstance(obj, Tensor) else type(obj).__name__
        raise TypeError(f"lg.cuda.capture: {what} must be a CUDA tensor or a CuPy array (the memory the graph "
                        f"reads), got {kind}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"lg.cuda.capture: {what} must be contiguous (new data is copied into it whole), got "
                         f"strides {arr.strides} for shape {arr.shape}")
    return arr


def _where(frames):
    """'file:line in function' of the innermost frame outside CuPy and this file: the line that broke the capture."""
    for frame in reversed(frames):
        name = os.path.abspath(frame.filename)
        if name != _HERE and f'{os.sep}cupy' not in name and not name.endswith('.pyx'):
            return f"{os.path.relpath(name) if name.startswith(os.getcwd()) else name}:{frame.lineno} in {frame.name}"
    return 'an unknown line'


def _breaks_capture(err, cp):
    """Whether ``err`` is CUDA refusing a call while the stream records (a sync, a blocking copy, ...)."""
    if isinstance(err, cp.cuda.runtime.CUDARuntimeError) and getattr(err, 'status', None) in _CAPTURE_ERRORS:
        return True
    return 'captur' in str(err).lower()


class CapturedStep:
    """A recorded step: call it with new data for the captured buffers (or with none, to replay on what they
    hold). See ``lg.cuda.capture``."""

    def __init__(self, graph, buffers, arrays, result, pool, allocations):
        self.graph, self.buffers, self.result = graph, buffers, result
        self._arrays = arrays   # the recorded arrays: their device addresses are the ones the graph uses
        self._pool = pool   # keeps the memory the graph uses out of every other allocation's reach
        self.allocations = allocations

    def _check_buffers(self):
        for i, (buf, recorded) in enumerate(zip(self.buffers, self._arrays)):
            if isinstance(buf, Tensor) and (not buf.is_cuda or buf.array.data.ptr != recorded.data.ptr):
                raise CaptureError(f"lg.cuda.capture: captured buffer {i} was resized or re-typed since the capture "
                                   f"(now a {buf.type()} of size {tuple(buf.size())}); the graph still uses its old "
                                   "memory: capture the step again")

    def _copy_in(self, data, cp):
        if len(data) != len(self._arrays):
            raise TypeError(f"lg.cuda.capture: the step was captured with {len(self._arrays)} buffers, got "
                            f"{len(data)} arrays (pass one per buffer, or none to replay on what they hold)")
        sources = []
        for i, (src, dst) in enumerate(zip(data, self._arrays)):
            arr = src.array if isinstance(src, Tensor) else src
            if not (isinstance(arr, np.ndarray) or backend.is_cupy_array(arr)):
                raise TypeError(f"lg.cuda.capture: input {i} must be a tensor, a NumPy or a CuPy array, got "
                                f"{type(src).__name__}")
            if tuple(arr.shape) != tuple(dst.shape):
                raise ValueError(f"lg.cuda.capture: input {i} has shape {tuple(arr.shape)} but the captured buffer "
                                 f"has {tuple(dst.shape)}; a graph replays fixed shapes: capture another step for "
                                 "this shape")
            if arr.dtype != dst.dtype:
                raise TypeError(f"lg.cuda.capture: input {i} is {arr.dtype} but the captured buffer is {dst.dtype}")
            sources.append(arr)
        # only once every input is known good: a failed call copies nothing
        for arr, dst in zip(sources, self._arrays):
            if arr is dst:
                continue
            if isinstance(arr, np.ndarray):
                dst.set(np.ascontiguousarray(arr))
            else:
                cp.copyto(dst, arr)

    def __call__(self, *data):
        cp = _needs_gpu()
        self._check_buffers()
        if data:
            self._copy_in(data, cp)
        self.graph.launch()
        return self.result

    def __repr__(self):
        shapes = ', '.join(str(tuple(a.shape)) for a in self._arrays)
        return f"CapturedStep(buffers {shapes}; {len(self.allocations)} allocations recorded)"


def capture(fn, *buffers, warmup=2, forbid_allocations=False):
    """Record ``fn(*buffers)`` as a CUDA graph; returns a ``CapturedStep`` replaying it (see the module doc).

    ``buffers``: the CUDA tensors or CuPy arrays (contiguous) the step reads its data from; ``warmup``: eager
    calls of ``fn`` before the capture (real steps); ``forbid_allocations``: raise ``CaptureError`` at the first
    device allocation inside ``fn`` instead of serving it from the step's own pool.
    """
    if not callable(fn):
        raise TypeError(f"lg.cuda.capture: fn must be callable, got {type(fn).__name__}")
    if isinstance(warmup, bool) or not isinstance(warmup, (int, np.integer)) or warmup < 0:
        raise ValueError(f"lg.cuda.capture: warmup must be an integer >= 0, got {warmup!r}")
    cp = _needs_gpu()
    arrays = [_device_array(b, f"buffer {i}") for i, b in enumerate(buffers)]
    cp.cuda.Device().synchronize()   # the capture stream does not wait for the legacy stream's pending work
    stream = cp.cuda.Stream(non_blocking=True)
    # The warm-up allocates from the step's own pool too: an array it leaves that the recorded call reads and
    # then drops goes back to that pool, never to other code while the graph still uses its memory.
    pool, allocations, recording = cp.cuda.MemoryPool(), [], False

    def allocate(nbytes):
        if recording:
            where = _where(traceback.extract_stack()[:-1])
            if forbid_allocations:
                raise CaptureError(f"lg.cuda.capture: {where} allocated {nbytes} bytes of GPU memory during the "
                                   "capture (forbid_allocations=True): write into a buffer kept from the warm-up "
                                   "instead")
            allocations.append((nbytes, where))
        return pool.malloc(nbytes)

    with stream, cp.cuda.using_allocator(allocate):
        for _ in range(warmup):
            fn(*buffers)
        stream.synchronize()
        recording = True
        stream.begin_capture()
        try:
            with backend.recording_step():
                result = fn(*buffers)
        except BaseException as err:
            try:
                stream.end_capture()   # leave the stream usable; the graph of a broken capture is worthless
            except Exception:  # noqa: BLE001 - the capture is already invalid; the error that matters is err
                pass
            if isinstance(err, CaptureError) or not _breaks_capture(err, cp):
                raise
            raise CaptureError(f"lg.cuda.capture: {_where(traceback.extract_tb(err.__traceback__))} synchronised "
                               f"with the host or made a call CUDA forbids while recording ({err}); a captured step "
                               "may not read GPU values on the host (float(), .item(), bool(), .get(), NumPy "
                               "conversion) nor wait for the device: keep such values on the GPU and read them "
                               "after the step") from err
        try:
            graph = stream.end_capture()
        except Exception as err:  # noqa: BLE001 - CUDA invalidated the capture without failing a call of fn
            raise CaptureError(f"lg.cuda.capture: CUDA invalidated the capture of {getattr(fn, '__name__', fn)!r} "
                               f"({err}): a call inside it synchronised or used another stream") from err
    return CapturedStep(graph, buffers, arrays, result, pool, allocations)
