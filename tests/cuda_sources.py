"""CuPy ElementwiseKernel sources as plain CUDA, for nvcc to compile before any device runs them."""


def standalone_cuda(name, in_params, out_params, body):
    """An ElementwiseKernel's parts as a plain CUDA kernel: raw parameters as pointers, int32 ones by value, the
    others as references to element i (a scalar argument reads the same in the body), one thread per element,
    as CuPy generates it (the body ended by a semicolon, as CuPy ends it)."""
    params, refs = [], []
    for decl in (in_params + ',' + out_params).split(','):
        words = decl.split()
        if words[0] == 'raw':   # CuPy's raw arrays are writable, inputs included (the LSTM writes its gates)
            params.append(f"T* {words[2]}")
        elif words[0] == 'int32':
            params.append(f"int {words[1]}")
        else:
            params.append(f"T* {words[1]}_array")
            refs.append(f"T& {words[1]} = {words[1]}_array[i];")
    return (f"__global__ void {name}({', '.join(params)}, long long size) {{\n"
            f"  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;"
            f" i += (long long)blockDim.x * gridDim.x) {{\n    {' '.join(refs)}\n{body};\n  }}\n}}\n")
