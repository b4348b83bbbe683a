"""The calls that once wrote or read past a buffer (issue 14): each runs in its own Python process, so a
segmentation fault or a glibc abort fails the test instead of killing the run, and must end in a clean
ValueError/TypeError saying what was expected."""
import subprocess
import sys
import textwrap

import pytest

PRELUDE = '''
import numpy as np
import legonn as lg
from legonn import nn
from legonn.tensor import blas_kernels as bk

def expect_clean(fn, *words):
    try:
        fn()
    except (ValueError, TypeError) as err:
        missing = [w for w in words if w not in str(err)]
        assert not missing, f"{type(err).__name__} without {missing}: {err}"
        print('CLEAN', type(err).__name__, err)
    else:
        raise AssertionError('no error raised')
'''

CASES = {
    # a checkpoint's Linear(64, 64) whose gradWeight became 1x1: gemm wrote 64x64 floats into it
    'linear-1x1-gradWeight-backward': '''
        m = nn.Linear(64, 64)
        m.gradWeight = lg.FloatTensor(1, 1)
        x = lg.FloatTensor(256, 64).uniform()
        expect_clean(lambda: m.backward(x, m.forward(x).clone()), 'Linear(64 -> 64)', 'expected gradient 0')
    ''',
    # gradOutput of the wrong width straight to accGradParameters: gemm read past it
    'linear-wide-gradOutput-accGradParameters': '''
        m = nn.Linear(64, 64)
        x = lg.FloatTensor(256, 64).uniform()
        m.forward(x)
        expect_clean(lambda: m.accGradParameters(x, lg.FloatTensor(256, 1).uniform()), 'Linear(64 -> 64)',
                     'expected gradOutput')
    ''',
    'linear-narrow-input-accGradParameters-before-forward': '''
        m = nn.Linear(64, 64)
        expect_clean(lambda: m.accGradParameters(lg.FloatTensor(256, 64).uniform(), lg.FloatTensor(1, 64)),
                     'Linear(64 -> 64)', 'expected gradOutput of size (256, 64)')
    ''',
    'spatial-convolution-gradWeight': '''
        m = nn.SpatialConvolution(16, 32, 5, 5)
        m.gradWeight = lg.FloatTensor(1, 1, 1, 1)
        x = lg.FloatTensor(8, 16, 12, 12).uniform()
        expect_clean(lambda: m.backward(x, m.forward(x).clone()), 'SpatialConvolution', 'expected gradient 0')
    ''',
    'spatial-full-convolution-gradWeight': '''
        m = nn.SpatialFullConvolution(16, 8, 3, 3)
        m.gradWeight = lg.FloatTensor(2, 2)
        x = lg.FloatTensor(4, 16, 6, 6).uniform()
        expect_clean(lambda: m.backward(x, m.forward(x).clone()), 'SpatialFullConvolution', 'expected gradient 0')
    ''',
    'volumetric-convolution-gradWeight': '''
        m = nn.VolumetricConvolution(4, 8, 3, 3, 3)
        m.gradWeight = lg.FloatTensor(3)
        x = lg.FloatTensor(2, 4, 6, 6, 6).uniform()
        expect_clean(lambda: m.backward(x, m.forward(x).clone()), 'VolumetricConvolution', 'expected gradient 0')
    ''',
    'blas-addmm-out-too-small': '''
        a, b = np.ones((64, 64), np.float32), np.ones((64, 64), np.float32)
        expect_clean(lambda: bk.addmm_into(np.zeros((1, 1), np.float32), a, b), 'addmm_into', 'out (1, 1)')
    ''',
    'blas-addmm-inner-sizes-disagree': '''
        out = np.zeros((64, 64), np.float32)
        expect_clean(lambda: bk.addmm_into(out, np.ones((64, 1), np.float32), np.ones((64, 64), np.float32)),
                     'addmm_into', 'b (64, 64)')
    ''',
    'blas-addmm-view-outside-its-buffer': '''
        small = np.zeros(16, np.float32)
        wild = np.lib.stride_tricks.as_strided(small, (64, 64), (256, 4))   # 16 KiB over 64 bytes
        expect_clean(lambda: bk.addmm_into(wild, np.ones((64, 8), np.float32), np.ones((8, 64), np.float32)),
                     'addmm_into', 'out reaches outside its buffer')
    ''',
    'blas-gemm-view-outside-its-buffer': '''
        small = np.zeros(16, np.float32)
        wild = np.lib.stride_tricks.as_strided(small, (256, 256), (1024, 4))   # 256 KiB over 64 bytes
        assert wild.size >= bk.SMALL_PRODUCT   # large enough for the native gemm
        expect_clean(lambda: bk.addmm_into(np.zeros((256, 256), np.float32), np.ones((256, 8), np.float32),
                                           wild[:8]), 'gemm', 'b reaches outside its buffer')
    ''',
    'blas-transpose-wrong-out': '''
        expect_clean(lambda: bk.transpose_into(np.zeros((2, 2), np.float32), np.ones((64, 32), np.float32)),
                     'transpose_into', 'out of shape (32, 64)')
    ''',
    'blas-transpose-view-outside-its-buffer': '''
        small = np.zeros(8, np.float32)
        wild = np.lib.stride_tricks.as_strided(small, (128, 256), (1024, 4))
        assert wild.size >= bk.SMALL_TRANSPOSE   # large enough for omatcopy
        expect_clean(lambda: bk.transpose_into(wild, np.ones((256, 128), np.float32)), 'omatcopy',
                     'outside its buffer')
    ''',
    'blas-small-transpose-view-outside-its-buffer': '''
        small = np.zeros(8, np.float32)
        wild = np.lib.stride_tricks.as_strided(small, (32, 64), (256, 4))
        assert wild.size < bk.SMALL_TRANSPOSE   # NumPy's copy
        expect_clean(lambda: bk.transpose_into(wild, np.ones((64, 32), np.float32)), 'transpose_into',
                     'out reaches outside its buffer')
    ''',
    'blas-axpby-lengths-disagree': '''
        expect_clean(lambda: bk.axpby_into(np.zeros(4, np.float32), 1.0, np.ones(1 << 16, np.float32)),
                     'axpby_into', 'one shape')
    ''',
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_crafted_call_ends_in_a_clean_error(case):
    code = PRELUDE + textwrap.dedent(CASES[case])
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (f"{case}: the process ended with status {proc.returncode} "
                                  f"(negative: killed by that signal)\n{proc.stdout}\n{proc.stderr[-2000:]}")
    assert proc.stdout.startswith('CLEAN '), proc.stdout


def _gpu_kernel_calls():
    """(label, call) of RawKernel launches with operands that disagree with their geometry; the gateway
    refuses them before CuPy is touched, so NumPy stand-ins show it on a machine without a GPU."""
    import numpy as np

    from legonn.tensor import cuda_kernels as gpu
    f32 = np.float32
    x = np.zeros((2, 3, 8, 8), f32)
    geometry = ((3, 3), (1, 1), (0, 0), (1, 1))
    return [
        ('im2col out too small', lambda: gpu.im2col(x, *geometry, (6, 6), np.zeros((3, 3, 3, 2, 6, 5), f32)),
         r"im2col: out must have shape \(3, 3, 3, 2, 6, 6\)"),
        ('im2col zero stride', lambda: gpu.im2col(x, (3, 3), (0, 1), (0, 0), (1, 1), (6, 6),
                                                  np.zeros((3, 3, 3, 2, 6, 6), f32)), r"im2col: stride must be"),
        ('col2im cols of other counts', lambda: gpu.col2im(np.zeros((3, 3, 3, 2, 7, 6), f32), (8, 8), *geometry,
                                                           (6, 6), np.zeros((2, 3, 8, 8), f32)),
         r"col2im: cols must have shape \(3, 3, 3, 2, 6, 6\)"),
        ('col2im strided out', lambda: gpu.col2im(np.zeros((3, 3, 3, 2, 6, 6), f32), (8, 8), *geometry, (6, 6),
                                                  np.zeros((2, 3, 8, 16), f32)[..., ::2]), r"must be C-contiguous"),
        ('max pool int64 argmax', lambda: gpu.max_pool_forward(x, *geometry, np.zeros((2, 3, 6, 6), f32),
                                                               np.zeros((2, 3, 6, 6), np.int64)),
         r"max_pool_forward: argmax must be int32"),
        ('max pool backward argmax of other planes', lambda: gpu.max_pool_backward(
            np.zeros((2, 3, 6, 6), f32), np.zeros((1, 3, 6, 6), np.int32), *geometry, np.zeros((2, 3, 8, 8), f32)),
         r"max_pool_backward: argmax must have shape \(2, 3, 6, 6\)"),
    ]


@pytest.mark.parametrize('index', range(6))
def test_gpu_kernel_gateway_refuses_operands_unlike_their_geometry(index):
    label, call, match = _gpu_kernel_calls()[index]
    with pytest.raises((ValueError, TypeError), match=match):
        call()
    assert len(_gpu_kernel_calls()) == 6, label
