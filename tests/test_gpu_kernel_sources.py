"""legonn/tensor/cuda_kernels.py's RawKernels (im2col, col2im, max pooling, LogSoftMax), checked without a GPU before
their first device run: the CUDA source compiled by nvcc for the device's architecture (Hopper, sm_90) with warnings as
errors, in both element types; every launch's arguments matched one by one against the kernel's C parameter list (CuPy
passes arguments by their NumPy type, so an int64 where the kernel reads an int would silently shift every later
argument); and the kernels themselves run on the host, compiled by g++ with a one-thread grid, against the
generic NumPy path."""
import ctypes
import re
import shutil
import subprocess
import threading

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor import cuda_kernels
from tests.cuda_sources import nvrtc_compile, nvrtc_library, standalone_cuda

KERNELS = ('im2col', 'col2im', 'max_pool_forward', 'max_pool_backward', 'log_softmax_forward', 'log_softmax_backward',
           'index_bounds', 'class_nll_forward', 'class_nll_backward', 'join_rows', 'split_rows', 'batch_norm_forward',
           'batch_norm_backward', 'avg_pool_forward', 'avg_pool_backward')


@pytest.mark.skipif(shutil.which('nvcc') is None, reason='nvcc is not installed')
@pytest.mark.parametrize('ctype', ['float', 'double'])
def test_kernel_source_compiles_for_hopper(tmp_path, ctype):
    source = tmp_path / f'cuda_kernels_{ctype}.cu'
    source.write_text(cuda_kernels._SOURCE % {'T': ctype})
    obj = tmp_path / 'k.o'
    done = subprocess.run(['nvcc', '-c', '-arch=sm_90', '-Werror', 'all-warnings', str(source), '-o', str(obj)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    if shutil.which('nm'):
        symbols = subprocess.run(['nm', str(obj)], capture_output=True, text=True).stdout.split()
        assert all(name in symbols for name in KERNELS)


def parameters(kernel):
    """The C types of ``kernel``'s parameters, with T standing for the element type."""
    match = re.search(r'__global__ void %s\(([^)]*)\)' % kernel, cuda_kernels._SOURCE)
    return [' '.join(p.split()[:-1]) for p in match.group(1).split(',')]


def matches(ctype, arg, dtype):
    """Whether the Python argument ``arg`` is what CuPy must pass for a parameter of C type ``ctype``."""
    pointer = ctype.endswith('*')
    base = ctype.replace('const', '').replace('*', '').strip()
    want = {'T': np.dtype(dtype), 'int': np.dtype(np.int32), 'long long': np.dtype(np.int64),
            'double': np.dtype(np.float64)}[base]
    if pointer:
        return isinstance(arg, np.ndarray) and arg.dtype == want
    return isinstance(arg, np.generic) and arg.dtype == want


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_every_launch_passes_what_the_kernel_declares(monkeypatch, dtype):
    launches = {}
    monkeypatch.setattr(cuda_kernels, 'cupy', lambda: np)   # the host-side preparation runs on NumPy arrays
    # index_bounds' result array is made once per thread: a NumPy one here, not one an earlier CuPy test made
    monkeypatch.setattr(cuda_kernels, '_bounds', threading.local())
    monkeypatch.setattr(cuda_kernels, '_launch', lambda name, dt, total, args, max_blocks=None, threads=None:
                        launches.update({name: (dt, args)}))
    k, s, p, d = (3, 2), (2, 1), (1, 0), (1, 2)
    n, c, h, w = 2, 3, 7, 6
    oh, ow = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1, (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    x = np.zeros((n, c, h, w), dtype)
    cols = np.zeros((c, *k, n, oh, ow), dtype)
    cuda_kernels.im2col(x, k, s, p, d, (oh, ow), cols)
    cuda_kernels.col2im(cols, (h, w), k, s, p, d, (oh, ow), np.zeros_like(x))
    pooled, argmax = np.zeros((n, c, oh, ow), dtype), np.zeros((n, c, oh, ow), np.int32)
    cuda_kernels.max_pool_forward(x, k, s, p, d, pooled, argmax)
    cuda_kernels.max_pool_backward(pooled, argmax, k, s, p, d, np.zeros_like(x))
    for include_pad in (True, False):
        cuda_kernels.avg_pool_forward(x, k, s, p, include_pad, pooled)
        assert launches['avg_pool_forward'][1][-1] == np.int32(include_pad)
        cuda_kernels.avg_pool_backward(pooled, k, s, p, include_pad, np.zeros_like(x))
        assert launches['avg_pool_backward'][1][-1] == np.int32(include_pad)
    rows = np.zeros((4, 7), dtype)
    cuda_kernels.log_softmax_forward(rows, np.zeros_like(rows))
    cuda_kernels.log_softmax_backward(rows, rows, np.zeros_like(rows))
    monkeypatch.setattr(cuda_kernels, 'index_bounds_applies', lambda indices: True)
    cuda_kernels.index_bounds(np.arange(6))
    monkeypatch.setattr(cuda_kernels, 'is_cupy_array', lambda a: isinstance(a, np.ndarray))
    labels = np.zeros((4, 3), np.int64)[:, 1]   # a column: read through a stride
    for weights in (None, np.ones(7, dtype)):
        cuda_kernels.class_nll_forward(rows, labels, weights, -100, True, np.zeros(5))
        cuda_kernels.class_nll_backward(labels, weights, -100, True, np.zeros_like(rows))
        for name, at in (('class_nll_forward', 4), ('class_nll_backward', 3)):
            assert launches[name][1][at] == np.int32(weights is not None)   # weighted, or not
    joined = np.zeros((3, 9), dtype)
    pieces = [np.zeros((3, 4), dtype), np.zeros((3, 10), dtype)[:, :5]]
    cuda_kernels.join_rows(pieces, joined, 1)
    cuda_kernels.split_rows(joined, pieces, 1)
    planes, features = np.zeros((2, 3, 5), dtype), [np.zeros(3, dtype) for _ in range(6)]
    for affine in (True, False):
        weight, bias = features[:2] if affine else (None, None)
        cuda_kernels.batch_norm_forward(planes, weight, bias, True, 1e-5, 0.1, *features[2:], np.zeros_like(planes))
        assert launches['batch_norm_forward'][1][3] == np.int32(affine)
        cuda_kernels.batch_norm_backward(planes, planes, *features[2:4], True, 1e-5, weight, True,
                                         np.zeros_like(planes) if affine else None, 0.5,
                                         *(features[4:] if affine else (None, None)))
        assert launches['batch_norm_backward'][1][12:15:2] == (np.int32(affine),) * 2   # gradInput, gradients
    assert sorted(launches) == sorted(KERNELS)
    for name, (dt, args) in launches.items():
        declared = parameters(name)
        assert len(args) == len(declared), f"{name}: {len(args)} arguments for {len(declared)} parameters"
        for i, (ctype, arg) in enumerate(zip(declared, args)):
            assert matches(ctype, arg, dt), f"{name} argument {i}: {type(arg).__name__} " \
                f"{getattr(arg, 'dtype', '')} for a parameter of type {ctype}"


# A grid of one thread: each kernel's grid-stride loop then visits every element in order on the CPU.
_ONE_THREAD_GRID = '''
#include <cmath>
#define __device__
#define __shared__ static
#define __syncthreads()
struct legonn_dim3 { long long x; };
static const legonn_dim3 blockIdx = {0}, blockDim = {1}, threadIdx = {0}, gridDim = {1};
#define __global__
'''


class HostModule:
    """Stands in for ``cupy.RawModule``: the CUDA source compiled by g++ with a one-thread grid, each kernel
    called through ctypes with the arguments a launch passes."""

    def __init__(self, code, directory):
        source = directory / f'kernels{len(list(directory.iterdir()))}.cpp'
        source.write_text(_ONE_THREAD_GRID + code)
        library = source.with_suffix('.so')
        done = subprocess.run(['g++', '-O1', '-shared', '-fPIC', str(source), '-o', str(library)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        self.lib = ctypes.CDLL(str(library))

    def get_function(self, name):
        c = ctypes
        scalar = {np.dtype(np.int32): c.c_int, np.dtype(np.int64): c.c_longlong, np.dtype(np.float32): c.c_float,
                  np.dtype(np.float64): c.c_double}

        def launch(grid, block, args):
            getattr(self.lib, name)(*(c.c_void_p(a.ctypes.data) if isinstance(a, np.ndarray) else scalar[a.dtype](a)
                                      for a in args))
        return launch


@pytest.fixture
def host_kernels(monkeypatch, tmp_path):
    """cuda_kernels' RawKernels compiled by g++ (HostModule) and launched by its wrappers on NumPy arrays."""
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed')

    class HostCupy:
        ascontiguousarray, empty = staticmethod(np.ascontiguousarray), staticmethod(np.empty)
        RawModule = staticmethod(lambda code: HostModule(code, tmp_path))

    monkeypatch.setattr(cuda_kernels, 'cupy', lambda: HostCupy)
    monkeypatch.setattr(cuda_kernels, '_bounds', threading.local())   # as above: index_bounds' own, on the host
    cuda_kernels._module.cache_clear()
    yield
    cuda_kernels._module.cache_clear()


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_kernels_run_on_the_host_equal_the_generic_path(monkeypatch, host_kernels, dtype):
    """The kernels' index arithmetic, run without a GPU: compiled by g++ with a one-thread grid and launched by
    cuda_kernels' own wrappers on NumPy arrays, they give what the generic NumPy path gives (ties and padding
    included: a plane of equal values, a NaN)."""
    from legonn.tensor import conv_kernels, pool_kernels

    rng = np.random.default_rng(6)
    k, s, p, d = (3, 2), (2, 1), (1, 0), (1, 2)
    n, c, h, w = 2, 3, 7, 6
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    x[0, 1] = 0.5        # ties: the first offset wins
    x[1, 2, 3, 2] = np.nan
    counts = tuple(conv_kernels.conv_output_size(*a) for a in zip((h, w), k, s, p, d))
    want = conv_kernels.im2col(x, k, s, p, d)
    got = cuda_kernels.im2col(x, k, s, p, d, counts, np.empty_like(want))
    np.testing.assert_array_equal(got, want)
    cols = rng.standard_normal(want.shape).astype(dtype)
    want = conv_kernels.col2im(cols, (h, w), s, p, d)
    got = cuda_kernels.col2im(cols, (h, w), k, s, p, d, counts, np.empty_like(want))
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-13)
    pooled, argmax = pool_kernels.max_pool_forward(x, k, s, p, d, counts)
    got, got_argmax = cuda_kernels.max_pool_forward(x, k, s, p, d, np.empty_like(pooled),
                                                    np.empty(pooled.shape, np.int32))
    np.testing.assert_array_equal(got, pooled)
    np.testing.assert_array_equal(got_argmax, argmax)
    grad = rng.standard_normal(pooled.shape).astype(dtype)
    want = pool_kernels.max_pool_backward(grad, argmax, x.shape, k, s, p, d)
    got = cuda_kernels.max_pool_backward(grad, got_argmax, k, s, p, d, np.empty_like(want))
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-13)
    batch = lg.from_numpy(rng.standard_normal((5, 7)).astype(dtype))
    batch.array[1, 3], batch.array[2, 4] = np.nan, 30.0    # a NaN row, and a large logit
    generic = nn.LogSoftMax().type(batch.type())
    want = generic.forward(batch).numpy()
    got = cuda_kernels.log_softmax_forward(batch.array, np.empty_like(want))
    # near 0 (the large logit's own log-probability) the two orders of summation differ by an ulp of 30
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got, want, rtol=tol, atol=30 * tol, equal_nan=True)
    grad = rng.standard_normal(want.shape).astype(dtype)
    want = generic.backward(batch, lg.from_numpy(grad)).numpy()
    got = cuda_kernels.log_softmax_backward(grad, got, np.empty_like(want))
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, equal_nan=True)
    monkeypatch.setattr(cuda_kernels, 'index_bounds_applies', lambda indices: True)   # NumPy arrays here
    labels = rng.integers(-3, 40, (7, 5))
    # four or more a thread: the block's reduction decides (its own generator: the cases below keep theirs)
    long = np.random.default_rng(1).integers(-3, 40, 1000)
    long[[0, 999, 600]] = 7, -50, 90
    for view in (labels.reshape(-1), labels[:, 2], labels[:1, 4], long):   # contiguous, a column, one label
        assert cuda_kernels.index_bounds(view).tolist() == [view.min(), view.max()]
    monkeypatch.setattr(cuda_kernels, 'is_cupy_array', lambda a: isinstance(a, np.ndarray))
    logp = rng.standard_normal((9, 6)).astype(dtype)
    labels = rng.integers(0, 6, (9, 2))
    labels[[2, 7], 1] = -100
    # JoinTable's kernels: pieces of several widths, one of them strided rows, joined along a middle dimension
    whole = rng.standard_normal((2, 3, 9, 2)).astype(dtype)
    pieces = [rng.standard_normal((2, 3, n, 2)).astype(dtype) for n in (1, 4)] + [whole[:, :, 2:6]]
    joined = cuda_kernels.join_rows(pieces, np.empty((2, 3, 9, 2), dtype), 2)
    np.testing.assert_array_equal(joined, np.concatenate(pieces, 2))
    parts = [np.empty_like(p) for p in pieces[:2]] + [np.zeros((2, 3, 9, 2), dtype)[:, :, 3:7]]
    cuda_kernels.split_rows(joined, parts, 2)
    for part, piece in zip(parts, pieces):
        np.testing.assert_array_equal(part, piece)
    cases = ((labels[:, 1], -100, True), (labels[:, 1], -100, False), (labels[:, 0], int(labels[0, 0]), True))
    for weights in (None, rng.random(6).astype(dtype)):
        for column, ignore, average in cases:   # labels read through a stride; ignored outside or in the classes
            criterion = nn.ClassNLLCriterion(weights, average).type(batch.type())
            criterion.ignoreIndex = ignore
            if weights is not None:
                weights = criterion.weights.numpy()   # as the criterion holds them (made at the default type)
            kept = column[column != ignore]
            total = kept.size if weights is None else weights[kept].astype(np.float64).sum()
            got = cuda_kernels.class_nll_forward(logp, column, weights, ignore, average, np.empty(5))
            assert got[0] == pytest.approx(criterion.forward(logp, column), rel=tol)
            np.testing.assert_allclose(got[1:], [total, kept.size, kept.min(), kept.max()], rtol=tol)
            grad = cuda_kernels.class_nll_backward(column, weights, ignore, average, np.empty_like(logp))
            np.testing.assert_allclose(grad, criterion.backward(logp, column).numpy(), rtol=tol)
    # batch normalisation: THNN's arithmetic, as the CPU's kernels compute it (sums in double, in another order)
    planes = (rng.standard_normal((4, 3, 5)) * 2 + 1).astype(dtype)
    grads = rng.standard_normal((4, 3, 5)).astype(dtype)
    for train in (True, False):
        module = nn.SpatialBatchNormalization(3).type(batch.type())
        module.running_var.array[...] = [0.5, 1, 2]
        module.weight.array[...] = [0.5, -1, 2]
        if not train:
            module.evaluate()
        state = [a.copy() for a in (module.weight.array, module.bias.array, module.running_mean.array,
                                    module.running_var.array)] + [np.empty(3, dtype), np.empty(3, dtype)]
        want = module.forward(lg.from_numpy(planes[:, :, :, None])).numpy()[:, :, :, 0]
        got = cuda_kernels.batch_norm_forward(planes, *state[:2], train, 1e-5, 0.1, *state[2:],
                                              np.empty_like(planes))
        close = dict(rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)
        np.testing.assert_allclose(got, want, **close)
        for kept, name in zip(state[2:], ('running_mean', 'running_var', 'save_mean', 'save_std')):
            np.testing.assert_allclose(kept, getattr(module, name).numpy(), **close)
        gradient = np.zeros(3, dtype), np.zeros(3, dtype)
        got = cuda_kernels.batch_norm_backward(planes, grads, state[4], state[5] if train else state[3],
                                               not train, 1e-5, state[0], train, np.empty_like(planes), 0.5,
                                               *gradient)
        want = module.backward(lg.from_numpy(planes[:, :, :, None]), lg.from_numpy(grads[:, :, :, None]), 0.5)
        np.testing.assert_allclose(got, want.numpy()[:, :, :, 0], **close)
        np.testing.assert_allclose(gradient[0], module.gradWeight.numpy(), rtol=1e-5 if dtype == np.float32 else
                                   1e-12)
        np.testing.assert_allclose(gradient[1], module.gradBias.numpy(), rtol=1e-5 if dtype == np.float32 else
                                   1e-12)



@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_the_average_pooling_kernels_run_on_the_host_equal_the_generic_path(host_kernels, dtype):
    """avg_pool_forward/backward against the generic path (the window sums over ``avg_pool_divisor``, the
    gradient over the divisors summed back), bit for bit: padded windows with and without the padding in the
    divisor, ceil mode's last windows running past the input, overlapping and disjoint windows, a global pool."""
    from legonn.tensor import pool_kernels as pk
    rng = np.random.default_rng(7)
    cases = (((3, 2), (2, 1), (1, 0), (7, 6), True), ((3, 3), (2, 2), (1, 1), (8, 9), True),
             ((2, 2), (2, 2), (0, 0), (6, 4), False), ((8, 8), (1, 1), (0, 0), (8, 8), False),
             ((5, 3), (3, 2), (2, 1), (11, 5), True))
    for k, s, p, spatial, ceil in cases:
        counts = tuple(pk.pool_output_size(n, kk, ss, pp, ceil=ceil, trim=True)
                       for n, kk, ss, pp in zip(spatial, k, s, p))
        x = rng.standard_normal((2, 3) + spatial).astype(dtype)
        grad = rng.standard_normal((2, 3) + counts).astype(dtype)
        for include_pad in (True, False):
            divisor = pk.avg_pool_divisor(spatial, k, s, p, counts, include_pad, np, dtype)
            want = pk.sum_pool_forward(x, k, s, p, counts) / divisor
            got = cuda_kernels.avg_pool_forward(x, k, s, p, include_pad, np.empty_like(want))
            np.testing.assert_array_equal(got, want, err_msg=f"forward {k} {s} {p} {spatial} {include_pad}")
            want = pk.sum_pool_backward(grad / divisor, x.shape, k, s, p)
            got = cuda_kernels.avg_pool_backward(grad, k, s, p, include_pad, np.empty_like(x))
            np.testing.assert_array_equal(got, want, err_msg=f"backward {k} {s} {p} {spatial} {include_pad}")


@pytest.mark.skipif(shutil.which('nvcc') is None, reason='nvcc is not installed')
def test_every_declared_elementwise_kernel_compiles_with_nvcc(tmp_path):
    """Every ElementwiseKernel legonn declares (modules' CUDA twins, the recurrent steps, the optimiser update,
    CMulTable's pair), written out as the CUDA kernel CuPy makes of it, in both element types."""
    kernels = ''.join(standalone_cuda(name, *parts) for name, parts in sorted(cuda_kernels.ELEMENTWISE.items()))
    assert {'axpby', 'cmul_pair_backward', 'lstm_forward', 'Sigmoid_forward', 'Threshold_backward'} <= \
        set(cuda_kernels.ELEMENTWISE)
    src = ''.join(f'namespace {ns} {{\ntypedef {ctype} T;\n{kernels}}}\n'
                  for ns, ctype in (('f32', 'float'), ('f64', 'double')))
    path = tmp_path / 'elementwise.cu'
    path.write_text(src)
    # no -Werror: a body need not read every parameter (Sigmoid's backward reads no x), as in CuPy's own code
    done = subprocess.run(['nvcc', '-c', '-arch=sm_90', str(path), '-o', str(tmp_path / 'elementwise.o')],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert src.count('__global__') == 2 * len(cuda_kernels.ELEMENTWISE)


@pytest.mark.parametrize('ctype', ['float', 'double'])
def test_nvrtc_compiles_every_kernel_as_cupy_will(ctype):
    """NVRTC, the compiler CuPy calls on the device, without any header: the RawModule source as it is, and
    every declared ElementwiseKernel written out as CUDA."""
    library = nvrtc_library()
    if library is None:
        pytest.skip('NVRTC is not installed (pip install nvidia-cuda-nvrtc, part of the test extra on x86-64 Linux)')
    result, log = nvrtc_compile(library, cuda_kernels._SOURCE % {'T': ctype})
    assert result == 0, log[-3000:]
    kernels = ''.join(standalone_cuda(name, *parts) for name, parts in sorted(cuda_kernels.ELEMENTWISE.items()))
    result, log = nvrtc_compile(library, f'typedef {ctype} T;\n{kernels}')
    assert result == 0, log[-3000:]


def test_the_class_nll_kernels_refuse_bad_operands_before_any_launch(monkeypatch):
    monkeypatch.setattr(cuda_kernels, '_launch', lambda *args: pytest.fail('launched'))
    monkeypatch.setattr(cuda_kernels, 'is_cupy_array', lambda a: isinstance(a, np.ndarray))
    x, labels = np.zeros((3, 5), np.float32), np.zeros(3, np.int64)
    forward, backward = cuda_kernels.class_nll_forward, cuda_kernels.class_nll_backward
    with pytest.raises(ValueError, match='class_nll_forward: result must be 5 contiguous float64'):
        forward(x, labels, None, -100, True, np.zeros(5, np.float32))
    with pytest.raises(ValueError, match=r'class_nll_forward: expected a \(rows, classes\) float'):
        forward(x[0], labels, None, -100, True, np.zeros(5))
    with pytest.raises(ValueError, match=r'class_nll_forward: expected 3 int64 labels .* got labels int64 \(2,\)'):
        forward(x, labels[:2], None, -100, True, np.zeros(5))
    with pytest.raises(ValueError, match=r'class_nll_backward: expected 3 int64 labels .* got labels int32'):
        backward(labels.astype(np.int32), None, -100, True, x)
    with pytest.raises(ValueError, match=r'class_nll_backward: .* weights \(dtype\(\'float64\'\), \(5,\)\)'):
        backward(labels, np.ones(5), -100, True, x)   # weights of another type than the batch
    with pytest.raises(ValueError, match='class_nll_backward: .* ignore None'):
        backward(labels, None, None, True, x)
    with pytest.raises(ValueError, match='class_nll_backward: grad must be a C-contiguous'):
        backward(labels, None, -100, True, np.zeros((5, 3), np.float32).T)


def test_the_batch_norm_kernels_refuse_bad_operands_before_any_launch(monkeypatch):
    monkeypatch.setattr(cuda_kernels, '_launch', lambda *args, **kwargs: pytest.fail('launched'))
    monkeypatch.setattr(cuda_kernels, 'is_cupy_array', lambda a: isinstance(a, np.ndarray))
    monkeypatch.setattr(cuda_kernels, 'cupy', lambda: np)
    x, per = np.zeros((2, 3, 4), np.float32), [np.zeros(3, np.float32) for _ in range(4)]
    forward, backward = cuda_kernels.batch_norm_forward, cuda_kernels.batch_norm_backward
    with pytest.raises(ValueError, match=r'batch_norm_forward: expected \(B, C, S\) float CuPy data'):
        forward(x[0], None, None, True, 1e-5, 0.1, *per, x)
    with pytest.raises(ValueError, match=r'batch_norm_forward: out must be a C-contiguous float32 CuPy array of '
                                         r'shape \(2, 3, 4\), got ndarray float32 \(2, 4, 3\)'):
        forward(x, None, None, True, 1e-5, 0.1, *per, np.zeros((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match='batch_norm_forward: running_var must be .* got ndarray float64'):
        forward(x, None, None, True, 1e-5, 0.1, per[0], np.zeros(3), *per[2:], x.copy())
    with pytest.raises(ValueError, match='batch_norm_backward: gradInput must be a C-contiguous'):
        backward(x, x, per[0], per[1], False, 1e-5, None, True, np.zeros((2, 4, 3), np.float32).transpose(0, 2, 1),
                 1, None, None)
    with pytest.raises(ValueError, match=r'batch_norm_backward: weight must be .* shape \(3,\), got ndarray float32 '
                                         r'\(4,\)'):
        backward(x, x, per[0], per[1], False, 1e-5, np.zeros(4, np.float32), True, None, 1, None, None)


def test_the_join_kernels_refuse_bad_operands_before_any_launch(monkeypatch):
    monkeypatch.setattr(cuda_kernels, '_launch', lambda *args, **kwargs: pytest.fail('launched'))
    monkeypatch.setattr(cuda_kernels, 'is_cupy_array', lambda a: isinstance(a, np.ndarray))
    joined, a, b = np.zeros((3, 9), np.float32), np.zeros((3, 4), np.float32), np.zeros((3, 5), np.float32)
    with pytest.raises(ValueError, match='join_rows: pieces of .* do not make 3 rows of 9'):
        cuda_kernels.join_rows([a, a], joined, 1)
    with pytest.raises(ValueError, match='split_rows: expected a C-contiguous float CuPy array and 2 to 4 pieces'):
        cuda_kernels.split_rows(joined, [a, b.T.copy().T[:, ::-1]], 1)   # a piece read backwards is no rows
    with pytest.raises(ValueError, match='join_rows: expected a C-contiguous'):
        cuda_kernels.join_rows([a, b.astype(np.float64)], joined, 1)
    with pytest.raises(ValueError, match='join_rows: expected a C-contiguous'):
        cuda_kernels.join_rows([a] * 5, np.zeros((3, 20), np.float32), 1)


def test_the_row_kernels_refuse_bad_operands_before_any_launch(monkeypatch):
    monkeypatch.setattr(cuda_kernels, '_launch', lambda *args: pytest.fail('launched'))
    x = np.zeros((3, 5), np.float32)
    with pytest.raises(ValueError, match=r'log_softmax_forward: out must be a float32 array of shape \(3, 5\)'):
        cuda_kernels.log_softmax_forward(x, np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match='log_softmax_forward: out must be a float32'):
        cuda_kernels.log_softmax_forward(x, np.zeros((3, 5), np.float64))
    with pytest.raises(ValueError, match='log_softmax_backward: out must be C-contiguous'):
        cuda_kernels.log_softmax_backward(x, x, np.zeros((5, 3), np.float32).T)
    with pytest.raises(ValueError, match='index_bounds: expected an int64 CuPy array'):
        cuda_kernels.index_bounds(np.arange(4))   # a NumPy array: the kernel is for the device
