"""A host simulator of CuPy, for running legonn's GPU code paths on a machine without a GPU.

``LEGONN_GPU_SIM=1 python -m pytest -m gpu`` (or ``make test-gpu-sim``) puts this package first on the path as
``cupy``; legonn then sees one CUDA device and runs its CuPy branches on it. The arrays are NumPy arrays behind
CuPy's rules (``_array``), the functions NumPy's under CuPy's names (``_namespace``), user kernels compiled by
g++ (``_kernels``), and streams capture CUDA graphs that replay (``cuda.stream``). What it catches: NumPy and
CuPy arrays mixed, host reads inside a captured step, functions CuPy lacks, kernel index arithmetic and
launch grids. What only a real device shows: speed, NVRTC compiling the kernels, asynchrony, cuBLAS/cuRAND
numerics. It is a test tool, never installed with legonn.
"""

from . import cuda, fft, lib, linalg, random  # noqa: F401
from ._array import ndarray  # noqa: F401
from ._kernels import ElementwiseKernel, RawKernel, RawModule  # noqa: F401
from ._namespace import *  # noqa: F401,F403
from ._namespace import (array, asarray, asanyarray, ascontiguousarray, asnumpy, copyto, from_dlpack,  # noqa: F401
                         fromDlpack, get_array_module, get_default_memory_pool, is_available, ufunc)

__version__ = '14.0.0+hostsim'
IS_HOST_SIMULATOR = True
newaxis = None
