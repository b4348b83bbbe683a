"""``require 'audio'``: soumith/lua---audio.

- ``stft``, ``spectrogram`` (spectral.py): the short-time Fourier transform and the log-power spectrogram, on
  NumPy and CuPy;
- ``load``, ``save`` (wav.py): PCM WAV files as ``nsamples x nchannels`` tensors on libsox's 32-bit integer
  scale, read and written without libsox.

Not provided: MP3 and libsox's other codecs, ``compress``/``decompress`` and ``samplevoice`` (libsox decoding),
``cqt`` (unfinished in the Lua).
"""
from .spectral import spectrogram, stft
from .wav import load, save

__all__ = ['stft', 'spectrogram', 'load', 'save']
