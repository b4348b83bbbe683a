"""CUDA sources checked before any device runs them: ElementwiseKernels written out as plain CUDA, and NVRTC (the
compiler CuPy calls at run time, from the nvidia-cuda-nvrtc wheel of the test extra) to compile them."""
import ctypes
import glob
import importlib.util
import os


def standalone_cuda(name, in_params, out_params, body):
    """An ElementwiseKernel's parts as a plain CUDA kernel: raw parameters as pointers, int32 ones by value, the
    others as references to element i (a scalar argument reads the same in the body), one thread per element,
    raw int64 arrays (IndexLinear's rows) as ``long long`` pointers,
    as CuPy generates it (the body ended by a semicolon, as CuPy ends it)."""
    params, refs = [], []
    for decl in (in_params + ',' + out_params).split(','):
        words = decl.split()
        if words[0] == 'raw':   # CuPy's raw arrays are writable, inputs included (the LSTM writes its gates)
            params.append(f"{'long long' if words[1] == 'int64' else 'T'}* {words[2]}")
        elif words[0] == 'int32':
            params.append(f"int {words[1]}")
        else:
            params.append(f"T* {words[1]}_array")
            refs.append(f"T& {words[1]} = {words[1]}_array[i];")
    return (f"__global__ void {name}({', '.join(params)}, long long size) {{\n"
            f"  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;"
            f" i += (long long)blockDim.x * gridDim.x) {{\n    {' '.join(refs)}\n{body};\n  }}\n}}\n")


def nvrtc_library():
    """libnvrtc from the nvidia-cuda-nvrtc wheel, or None where it is not installed."""
    spec = importlib.util.find_spec('nvidia')
    for root in (spec.submodule_search_locations if spec else ()):
        for path in sorted(glob.glob(os.path.join(root, '*', 'lib', 'libnvrtc.so.*'))):
            if 'builtins' not in path:
                return ctypes.CDLL(path)
    return None


def nvrtc_compile(library, source, arch='compute_90'):
    """(result code, log) of NVRTC compiling ``source`` for ``arch`` with no headers, as CuPy's RawModule does."""
    program = ctypes.c_void_p()
    assert library.nvrtcCreateProgram(ctypes.byref(program), source.encode(), b'legonn.cu', 0, None, None) == 0
    try:
        options = (ctypes.c_char_p * 1)(f'--gpu-architecture={arch}'.encode())
        result = library.nvrtcCompileProgram(program, 1, options)
        size = ctypes.c_size_t()
        library.nvrtcGetProgramLogSize(program, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        library.nvrtcGetProgramLog(program, log)
        return result, log.value.decode(errors='replace')
    finally:
        library.nvrtcDestroyProgram(ctypes.byref(program))
