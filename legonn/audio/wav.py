"""lua---audio's ``load`` and ``save`` (init.lua's wrappers around generic/sox.c's ``read_audio``/``write_audio``)
for PCM WAV files, read and written with Python's ``wave`` module instead of libsox.

- ``load(filename)`` returns ``tensor, sample_rate``: an ``nsamples x nchannels`` tensor of the default type
  holding each sample on libsox's 32-bit integer scale (an 8-bit sample ``(u - 128) * 2^24``, 16-bit ``s * 2^16``,
  24-bit ``s * 2^8``, 32-bit ``s``: sox's ``SOX_*_TO_SAMPLE`` conversions), as sox.c copies its int32 buffer, and the
  rate as a number. SoundNet divides by ``2^23`` to get [-256, 256] (cvondrick/soundnet's donkey_audio.lua).
- ``save(filename, src, sample_rate)`` writes an ``nsamples x nchannels`` tensor on that scale as 32-bit PCM (sox.c
  opens the file with a precision of 32 bits and casts each value to int32, dropping its fraction).

Other formats (MP3, FLAC, float WAV: libsox's codecs) are refused with the formats read here.
"""
import os
import wave

import numpy as np

from ..paths.filenames import filep
from ..tensor import Tensor

__all__ = ['load', 'save']

_INT32 = 2 ** 31


def _pcm(name, raw, width, channels):
    """The frames' bytes as an ``nsamples x nchannels`` float64 array on libsox's int32 scale."""
    if width == 1:                                  # WAV's 8-bit samples are unsigned
        samples = (np.frombuffer(raw, np.uint8).astype(np.int64) - 128) << 24
    elif width == 2:
        samples = np.frombuffer(raw, '<i2').astype(np.int64) << 16
    elif width == 3:                                # little-endian 24-bit: widen each to 4 bytes, sign from the top
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int64)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        samples = (value - ((value & 0x800000) << 1)) << 8
    elif width == 4:
        samples = np.frombuffer(raw, '<i4').astype(np.int64)
    else:
        raise ValueError(f"audio.load: {name!r} has {8 * width}-bit samples; 8, 16, 24 or 32-bit PCM expected")
    return samples.reshape(-1, channels).astype(np.float64)


def load(filename=None):
    """``tensor, sample_rate`` of the PCM WAV file ``filename`` (module docstring)."""
    if filename is None:
        raise TypeError("audio.load: missing file name (usage: audio.load(filename))")
    name = os.fspath(filename)
    if not filep(name):
        raise FileNotFoundError(f"audio.load: Specified filename: {name} not found")
    try:
        with wave.open(name, 'rb') as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            raw = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"audio.load: cannot read {name!r} as a PCM WAV file ({e}); this audio.load reads "
                         "8, 16, 24 and 32-bit PCM WAV only (libsox's other formats: convert them first)") from None
    if not raw:
        raise ValueError(f"audio.load: {name!r} holds no samples (sox.c: empty file or read failed)")
    return Tensor(_pcm(name, raw, width, channels)), rate


def save(filename, src, sample_rate):
    """Write ``src`` (``nsamples x nchannels``, libsox's int32 scale) to the WAV file ``filename`` as 32-bit PCM."""
    if filename is None or src is None:
        raise TypeError('audio.save: filename or src tensor missing')
    name = os.fspath(filename)
    extension = os.path.splitext(name)[1][1:]
    if not extension:
        raise ValueError(f"audio.save: did not find extension (like .wav) in filename {name!r}")
    if extension.lower() != 'wav':
        raise ValueError(f"audio.save: cannot write {extension!r} files ({name!r}); this audio.save writes WAV only")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float)) or sample_rate != int(sample_rate) \
            or sample_rate < 1:
        raise ValueError(f"audio.save: provide a sample rate (a positive whole number) such as 22050, got "
                         f"{sample_rate!r}")
    if not isinstance(src, Tensor) or src.dim() != 2:
        raise ValueError("audio.save: expected an nsamples x nchannels tensor, got "
                         + (f"sizes {tuple(src.size())}" if isinstance(src, Tensor) else type(src).__name__))
    if not src.isContiguous():
        raise ValueError("audio.save: Input should be contiguous tensors (sox.c's write_audio_file)")
    values = np.trunc(src.double().numpy())     # double(): a CPU copy of a CUDA tensor too
    if values.size and (values.min() < -_INT32 or values.max() >= _INT32):
        raise ValueError(f"audio.save: samples must lie in [-2^31, 2^31) (libsox's int32 scale), got "
                         f"[{values.min():g}, {values.max():g}]")
    with wave.open(name, 'wb') as f:
        f.setnchannels(src.size(1))
        f.setsampwidth(4)
        f.setframerate(int(sample_rate))
        f.writeframes(values.astype('<i4').tobytes())
