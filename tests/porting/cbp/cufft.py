"""The two functions of spectral-lib's ``cufft`` that CompactBilinearPooling.lua calls (``require 'spectralnet'``,
a CUDA-only C binding legonn does not have), written with NumPy's FFT (CuPy's for a CUDA tensor). Layout as the
binding's: a complex vector is its last dimension's (real, imaginary) pairs, interleaved.

``fft1d(input, output)``: input (..., 2n) interleaved, output (..., n, 2): the unnormalised forward DFT of length n.
``ifft1d(input, output)``: input (..., n, 2), output (..., 2n) interleaved: the inverse DFT divided by n (test.lua's
testConv expects the circular convolution's values, so the binding's inverse is normalised).
"""


def _complex(t, n):
    a = t.array.reshape(t.array.shape[:-1] + (n, 2)) if t.dim() == 4 else t.array
    return a[..., 0] + 1j * a[..., 1]


def fft1d(input, output):
    n = input.size(input.dim() - 1) // 2
    f = input.xp.fft.fft(_complex(input, n), axis=-1)
    output.array[..., 0] = f.real
    output.array[..., 1] = f.imag
    return output


def ifft1d(input, output):
    n = input.size(input.dim() - 2)
    f = input.xp.fft.ifft(_complex(input, n), axis=-1)
    pairs = output.array.reshape(output.array.shape[:-1] + (n, 2))
    pairs[..., 0] = f.real
    pairs[..., 1] = f.imag
    return output
