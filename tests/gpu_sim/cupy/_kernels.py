"""CuPy's user kernels on the host: the CUDA C++ source compiled by g++ and called through ctypes.

``RawModule``/``RawKernel``: the source compiled with ``__global__`` defined away and ``blockIdx``,
``threadIdx``, ``blockDim`` and ``gridDim`` as host variables; a launch runs the kernel once for every thread of
its grid in turn, so a kernel that misses elements for the grid it is given misses them here too. Arguments are
passed as CuPy passes them (a pointer to each one's bytes, read with the type the kernel declares): an array by
its address, a NumPy scalar as its own type, a Python int as int64 and a float as double.

``ElementwiseKernel``: the operation inside a loop over ``i``; a ``raw`` parameter is a pointer to the array's
first element (so its flat C-order index is its address offset), any other is the element ``i`` of its
broadcast array. Arrays that are not C-contiguous are copied in and, for outputs and raw parameters (which a
body may write), out again.
A kernel that calls ``__syncthreads`` (itself or through a ``__device__`` helper) runs each block's threads as
fibers (ucontext) on the launching thread instead, round by round: each round resumes every unfinished thread until
its next ``__syncthreads``, so no thread passes a barrier before all have reached it; ``__shared__`` arrays are
shared by them (blocks run in turn). Fibers, not host threads: a block of 256 threads meeting at a reduction's
barriers a few dozen times costs switches of a few hundred nanoseconds, where host threads cost thread starts and
futex wake-ups (batch normalisation's kernels, a block per feature, took 19 ms a block so). Atomics are not
simulated (legonn's kernels use none).
"""
import ctypes
import hashlib
import os
import re
import subprocess
import tempfile

import numpy as np

from ._array import SCALARS, device_call, ndarray

_CTYPES = {np.dtype(np.float16): '_Float16', np.dtype(np.float32): 'float', np.dtype(np.float64): 'double',
           np.dtype(np.int8): 'signed char', np.dtype(np.int16): 'short', np.dtype(np.int32): 'int',
           np.dtype(np.int64): 'long long', np.dtype(np.uint8): 'unsigned char', np.dtype(np.uint16): 'unsigned short',
           np.dtype(np.uint32): 'unsigned int', np.dtype(np.uint64): 'unsigned long long', np.dtype(bool): 'bool'}

_PRELUDE = r'''
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <ucontext.h>
#include <vector>
using std::exp; using std::expm1; using std::log; using std::log1p; using std::tanh; using std::sqrt;
using std::fabs; using std::pow; using std::floor; using std::ceil; using std::isnan; using std::isinf;
struct legonn_sim_dim3 { unsigned int x, y, z; };
static legonn_sim_dim3 blockIdx, blockDim, gridDim;
static thread_local legonn_sim_dim3 threadIdx;
// a synchronising kernel's threads: each a fiber, resumed by the launch's scheduler until it next synchronises
struct legonn_sim_fiber { ucontext_t context; legonn_sim_dim3 index; bool done; };
static ucontext_t legonn_sim_scheduler;
static legonn_sim_fiber* legonn_sim_running = nullptr;
static void** legonn_sim_args = nullptr;   // the launch's arguments, which a fiber's entry reads
// the indices above and __shared__ arrays are the library's, so its launches run one at a time: Python threads
// (legonn.threads workers, each with its CUDA model) launch side by side, as ctypes releases the GIL
static std::mutex legonn_sim_launch_mutex;
static inline void __syncthreads() { swapcontext(&legonn_sim_running->context, &legonn_sim_scheduler); }
#define __shared__ static
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
''' + ''.join(f'typedef {c} {d};\n' for d, c in _CTYPES.items() if str(d) != 'bool')


def _compile(source):
    """A ctypes library of ``source``, built once per source text (cached on disk across runs)."""
    directory = os.path.join(tempfile.gettempdir(), f'legonn-gpu-sim-{os.getuid()}')
    os.makedirs(directory, exist_ok=True)
    key = hashlib.sha1(source.encode()).hexdigest()[:20]
    library = os.path.join(directory, f'{key}.so')
    if not os.path.exists(library):
        path = os.path.join(directory, f'{key}.{os.getpid()}.cpp')
        with open(path, 'w') as f:
            f.write(source)
        done = subprocess.run(['g++', '-std=c++20', '-O1', '-shared', '-fPIC', '-pthread', path, '-o',
                               library + f'.{os.getpid()}'],
                              capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise RuntimeError(f'the host simulator could not compile a CUDA kernel:\n{done.stderr[-3000:]}')
        os.replace(library + f'.{os.getpid()}', library)
    return ctypes.CDLL(library)


def _pointers(values):
    """A launch's ``void** args``: the address of each argument's bytes (``values`` must outlive the call)."""
    return (ctypes.c_void_p * max(len(values), 1))(*(ctypes.addressof(v) for v in values))


def _argument(value):
    """The bytes a launch passes for ``value`` (kept alive by the caller) and the host array it points into."""
    if isinstance(value, ndarray):
        return ctypes.c_void_p(value._a.__array_interface__['data'][0])
    if isinstance(value, np.generic):
        return (ctypes.c_char * value.nbytes).from_buffer_copy(value.tobytes())
    if isinstance(value, bool):
        return ctypes.c_bool(value)
    if isinstance(value, int):
        return ctypes.c_longlong(value)
    if isinstance(value, float):
        return ctypes.c_double(value)
    raise TypeError(f'Unsupported type {type(value)}')


class RawKernel:
    """One ``__global__`` function of a compiled module: ``kernel(grid, block, args)``."""

    def __init__(self, code, name, options=(), _library=None):
        self.name, self._library = name, _library or _compile(_PRELUDE + code + _launcher(code, name))

    def __call__(self, grid, block, args, *, shared_mem=0, stream=None):
        grid, block = _dim3(grid), _dim3(block)
        launch = getattr(self._library, f'legonn_sim_launch_{self.name}')
        args = tuple(args)

        def run():   # marshalled at every run: a replayed graph passes the same arrays again
            values = [_argument(a) for a in args]
            launch(*(ctypes.c_uint(v) for v in grid + block), _pointers(values))
        device_call(run, what=f'kernel {self.name}')


def _dim3(value):
    """A launch's grid or block as three ints (CuPy takes an int or a tuple of one to three)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return tuple(int(v) for v in values) + (1,) * (3 - len(values))


def _parameters(code, name):
    match = re.search(r'__global__\s+void\s+%s\s*\(([^)]*)\)' % re.escape(name), code)
    if match is None:
        raise AttributeError(f'CUDA_ERROR_NOT_FOUND: named symbol not found: {name}')
    params = [p.strip() for p in match.group(1).split(',') if p.strip()]
    return [re.sub(r'\s*\b\w+\s*$', '', p) for p in params]


def _body(code, name):
    """The text of kernel ``name``'s body (its braces matched)."""
    start = code.index('{', re.search(r'__global__\s+void\s+%s\s*\(' % re.escape(name), code).end())
    depth = 0
    for end in range(start, len(code)):
        depth += {'{': 1, '}': -1}.get(code[end], 0)
        if depth == 0:
            return code[start:end + 1]
    raise ValueError(f'the body of kernel {name} is not closed')


def _synchronises(code, name):
    """Whether kernel ``name`` calls ``__syncthreads``, itself or through the ``__device__`` functions it calls
    (a block reduction written once as a helper, as batch normalisation's kernels share theirs)."""
    helpers = {}
    for match in re.finditer(r'__device__\s+(?:inline\s+)?[\w\s\*<>]*?\b(\w+)\s*\(', code):
        start = code.find('{', match.end())
        depth, end = 0, start
        for end in range(start, len(code)):
            depth += {'{': 1, '}': -1}.get(code[end], 0)
            if depth == 0:
                break
        helpers[match.group(1)] = code[start:end + 1]
    syncing, grown = {'__syncthreads'}, True
    while grown:   # a helper that calls a synchronising helper synchronises
        grown = False
        for helper, body in helpers.items():
            if helper not in syncing and any(re.search(r'\b%s\s*\(' % s, body) for s in syncing):
                syncing.add(helper)
                grown = True
    kernel = _body(code, name)
    return any(re.search(r'\b%s\s*\(' % s, kernel) for s in syncing)


def _launcher(code, name):
    reads = ', '.join(f'*({t}*)args[{k}]' for k, t in enumerate(_parameters(code, name)))
    entry = prologue = ''
    if _synchronises(code, name):
        # every thread of a block as a fiber, resumed round by round (see the module docstring); blocks in turn
        entry = f'''
static void legonn_sim_entry_{name}() {{
  void** args = legonn_sim_args;
  {name}({reads});
  legonn_sim_running->done = true;
}}'''
        # the fibers and their stacks (64 KiB each, not zeroed) once per launch, for every block
        prologue = '''
  const unsigned count = bx * by * bz;
  const size_t stack = 1 << 16;
  std::vector<legonn_sim_fiber> fibers(count);
  std::unique_ptr<char[]> stacks(new char[(size_t)count * stack]);
  legonn_sim_args = args;'''
        run_block = f'''
      unsigned t = 0;
      for (unsigned tz = 0; tz < bz; ++tz) for (unsigned ty = 0; ty < by; ++ty) for (unsigned tx = 0; tx < bx; ++tx, ++t) {{
        legonn_sim_fiber& f = fibers[t];
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = &stacks[(size_t)t * stack];
        f.context.uc_stack.ss_size = stack;
        f.context.uc_link = &legonn_sim_scheduler;
        makecontext(&f.context, legonn_sim_entry_{name}, 0);
        f.index = {{tx, ty, tz}};
        f.done = false;
      }}
      for (bool left = true; left;) {{
        left = false;
        for (legonn_sim_fiber& f : fibers) {{
          if (f.done) continue;
          threadIdx = f.index;
          legonn_sim_running = &f;
          swapcontext(&legonn_sim_scheduler, &f.context);
          left = true;
        }}
      }}'''
    else:
        run_block = f'''
      for (unsigned tz = 0; tz < bz; ++tz) for (unsigned ty = 0; ty < by; ++ty) for (unsigned tx = 0; tx < bx; ++tx) {{
        threadIdx = {{tx, ty, tz}};
        {name}({reads});
      }}'''
    return entry + f'''
extern "C" void legonn_sim_launch_{name}(unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                          void** args) {{
  std::lock_guard<std::mutex> legonn_sim_lock(legonn_sim_launch_mutex);
  gridDim = {{gx, gy, gz}}; blockDim = {{bx, by, bz}};{prologue}
  for (unsigned z = 0; z < gz; ++z) for (unsigned y = 0; y < gy; ++y) for (unsigned x = 0; x < gx; ++x) {{
    blockIdx = {{x, y, z}};{run_block}
  }}
}}
'''


class RawModule:
    """A CUDA source compiled once; ``get_function(name)`` gives its kernels."""

    def __init__(self, code=None, path=None, options=(), backend='nvrtc', translate_cucomplex=False,
                 name_expressions=None, jitify=False):
        self.code = code
        names = re.findall(r'__global__\s+void\s+(\w+)\s*\(', code)
        self._library = _compile(_PRELUDE + code + ''.join(_launcher(code, n) for n in names))

    def get_function(self, name):
        return RawKernel(self.code, name, _library=self._library)


def _parse(params):
    """'raw T x, float32 alpha' -> [(raw, type, name), ...]."""
    out = []
    for p in params.split(','):
        words = p.split()
        if not words:
            continue
        raw = words[0] == 'raw'
        words = words[1:] if raw else words
        if len(words) != 2:
            raise ValueError(f'Invalid parameter: {p.strip()!r}')
        out.append((raw, words[0], words[1]))
    return out


_TYPE_NAMES = {str(d): d for d in _CTYPES}   # the NumPy names a parameter may be declared with; others are placeholders


def _dtype_of(type_name):
    return _TYPE_NAMES.get(type_name)


class ElementwiseKernel:
    """``kernel(*inputs, *outputs, size=None)``: ``operation`` run for every index ``i``."""

    def __init__(self, in_params, out_params, operation, name='kernel', reduce_dims=True, preamble='',
                 no_return=False, return_tuple=False, loop_prep='', after_loop='', options=()):
        self.ins, self.outs = _parse(in_params), _parse(out_params)
        self.operation, self.name, self.preamble = operation, name, preamble
        self._libraries = {}

    def _types(self, args):
        bound = {}
        for (raw, type_name, name), value in zip(self.ins + self.outs, args):
            if _dtype_of(type_name) is None and isinstance(value, ndarray):
                if bound.setdefault(type_name, value.dtype) != value.dtype:
                    raise TypeError(f'{self.name}: type {type_name} is {bound[type_name]} and {value.dtype}')
        return bound

    def _library(self, bound, arrays):
        """The compiled loop for these type bindings and these parameters given as arrays."""
        key = (tuple(sorted((k, str(v)) for k, v in bound.items())), arrays)
        if key not in self._libraries:
            typedefs = ''.join(f'typedef {_CTYPES[v]} {k};\n' for k, v in bound.items())
            outer, inner = [], []
            for k, ((raw, type_name, name), array) in enumerate(zip(self.ins + self.outs, arrays)):
                if raw:
                    outer.append(f'{type_name}* {name} = *({type_name}**)_sim_args[{k}];')
                elif array:
                    outer.append(f'{type_name}* _sim_{name} = *({type_name}**)_sim_args[{k}];')
                    inner.append(f'{type_name}& {name} = _sim_{name}[i];' if k >= len(self.ins) else
                                 f'const {type_name} {name} = _sim_{name}[i];')
                else:
                    outer.append(f'const {type_name} {name} = *({type_name}*)_sim_args[{k}];')
            source = (_PRELUDE + typedefs + self.preamble +
                      f'\nextern "C" void legonn_sim_{self.name}(void** _sim_args, long long _sim_n) {{\n  ' +
                      '\n  '.join(outer) + '\n  for (long long i = 0; i < _sim_n; ++i) {\n    ' + ' '.join(inner) +
                      '\n' + self.operation + ';\n  }\n}\n')
            self._libraries[key] = _compile(source)
        return self._libraries[key]

    def __call__(self, *args, size=None, block_size=None, stream=None):
        params = self.ins + self.outs
        if len(args) != len(params):
            if len(args) == len(self.ins):
                raise NotImplementedError('the host simulator needs every output of an ElementwiseKernel passed in')
            raise TypeError(f'Wrong number of arguments for {self.name!r}')
        bound = self._types(args)
        arrays = tuple(isinstance(a, ndarray) for a in args)
        elementwise = [a._a for (raw, _, _), a in zip(params, args) if isinstance(a, ndarray) and not raw]
        shape = np.broadcast_shapes(*(a.shape for a in elementwise)) if elementwise else None
        if size is None:
            if shape is None:
                raise ValueError('Loop size is undecided')
            size = int(np.prod(shape))
        function = getattr(self._library(bound, arrays), f'legonn_sim_{self.name}')

        def run():   # marshalled at every run: a replayed graph reads the arrays' current values
            held, cells, copy_back = [], [], []
            for k, ((raw, type_name, name), value) in enumerate(zip(params, args)):
                want = bound.get(type_name) or _dtype_of(type_name)
                if isinstance(value, ndarray):
                    a = value._a
                    if raw and a.dtype != want:
                        raise TypeError(f'{self.name}: {name} is {a.dtype}, the kernel takes {type_name}')
                    if not raw and k < len(self.ins):
                        a = np.broadcast_to(a, shape)
                    contiguous = np.ascontiguousarray(a, dtype=want)
                    if (raw or k >= len(self.ins)) and contiguous is not a:   # CuPy writes raw inputs in place too
                        copy_back.append((a, contiguous))
                    held.append(contiguous)
                    cells.append(ctypes.c_void_p(contiguous.__array_interface__['data'][0]))  # an array's data address
                elif isinstance(value, SCALARS):
                    scalar = np.array(value, dtype=want)
                    held.append(scalar)
                    cells.append((ctypes.c_char * scalar.nbytes).from_buffer(scalar))   # a scalar's own bytes
                else:
                    raise TypeError(f'Unsupported type {type(value)}')
            function(_pointers(cells), ctypes.c_longlong(size))
            for a, contiguous in copy_back:
                a[...] = contiguous
        device_call(run, what=f'kernel {self.name}')
        outs = args[len(self.ins):]
        return outs[0] if len(outs) == 1 else outs
