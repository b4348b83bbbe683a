"""soumith/lua---audio's short-time Fourier transform and spectrogram (init.lua's ``stft`` and
``spectrogram``, generic/audio.c's ``stft_generic``), which speech models read their features from
(SeanNaren/deepspeech.torch's MakeLMDB.lua and Predict.lua: ``audio.spectrogram(wave, 320, 'hamming', 160)``).

- ``stft(input, window_size, window_type, stride)``: ``input`` one channel of samples (``n`` or ``n x 1``);
  windows start every ``stride`` samples while they fit, each multiplied by the window (``'rect'``, ``'hamming'``
  .53836 - .46164 cos(2 pi i / (N - 1)), ``'hann'``, ``'bartlett'``) and transformed by a real DFT (FFTW's
  unnormalised r2c, the e^{-2 pi i k n / N} sign) in double precision; out ``windows x (N/2 + 1) x 2`` (real and
  imaginary parts) of the input's type, **the frequencies highest first** (audio.c writes bin ``N/2 - k`` at
  position ``k``).
- ``spectrogram(input, window_size, window_type, stride)``: ``10 * ln(re^2 + im^2 + 0.01)`` of the stft (the
  natural log, as init.lua's ``log() * 10``), computed in the input's type, as ``(N/2 + 1) x windows``: a
  transposed view, as the Lua returns it.

Both run on NumPy and CuPy.
"""
from ..tensor import Tensor, as_tensor

__all__ = ['stft', 'spectrogram']

_WINDOWS = ('rect', 'hamming', 'hann', 'bartlett')


def _window(xp, kind, size):
    """generic/audio.c's apply_window factors, in float64."""
    i, m = xp.arange(size, dtype='float64'), size - 1
    if kind == 'rect':
        return xp.ones(size)
    if kind == 'hamming':
        return .53836 - .46164 * xp.cos(2 * xp.pi * i / m)
    if kind == 'hann':
        return .5 - .5 * xp.cos(2 * xp.pi * i / m)
    return 2. / m * (m / 2. - xp.abs(i - m / 2.))


def _checked(where, input, window_size, window_type, stride):
    """The samples as a 1-D array of a floating tensor, after audio.c's checks (and the ones it lacks)."""
    if not isinstance(input, Tensor):
        input = as_tensor(input)
    if input.dtype.kind != 'f':
        raise TypeError(f"{where}: expected a floating tensor of samples, got a {input.type()}")
    if input.dim() not in (1, 2) or (input.dim() == 2 and input.size(1) != 1):
        raise ValueError(f"{where}: expected one channel of samples (n or n x 1), got sizes {tuple(input.size())} "
                         "(multi-channel stft not supported)")
    if window_type not in _WINDOWS:
        raise ValueError(f"{where}: window type must be one of {', '.join(_WINDOWS)}, got {window_type!r}")
    for name, value in (('window size', window_size), ('stride', stride)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
            raise ValueError(f"{where}: {name} must be a positive whole number, got {value!r}")
    if int(window_size) < 2 or int(window_size) > input.size(0):
        # audio.c's window count would be 1 with nothing written into it (or a window of one sample, m = 0)
        raise ValueError(f"{where}: window size must be in [2, {input.size(0)}] (the number of samples), got "
                         f"{window_size!r}")
    return input, int(window_size), int(stride)


def stft(input, window_size, window_type, stride):
    """``windows x (window_size/2 + 1) x 2`` real and imaginary parts, highest frequency first (module docstring)."""
    input, size, stride = _checked('audio.stft', input, window_size, window_type, stride)
    xp = input.xp
    samples = xp.ascontiguousarray(input.array.reshape(-1)).astype('float64')
    count = (samples.size - size) // stride + 1
    starts = xp.arange(count)[:, None] * stride
    frames = samples[starts + xp.arange(size)] * _window(xp, window_type, size)
    spectrum = xp.fft.rfft(frames, axis=1)[:, ::-1]
    out = xp.stack([spectrum.real, spectrum.imag], axis=2).astype(input.dtype)
    return type(input)._from_array(xp.ascontiguousarray(out))


def spectrogram(input, window_size, window_type, stride):
    """``(window_size/2 + 1) x windows`` of ``10 ln(|stft|^2 + 0.01)``, highest frequency first (module docstring)."""
    input, size, stride = _checked('audio.spectrogram', input, window_size, window_type, stride)
    out = stft(input, size, window_type, stride)
    re, im = out.select(2, 0), out.select(2, 1)
    re.pow(2)
    im.pow(2)
    power = re + im
    power.add(0.01)   # init.lua's offset: a silent window's zero power would give -inf
    return (power.log() * 10).transpose(0, 1)
