"""cupy.fft on the host: NumPy's functions of the names CuPy has, on simulated arrays (legonn.audio's stft)."""
import numpy as np

from ._namespace import _function

for _name in ('fft', 'ifft', 'rfft', 'irfft', 'fft2', 'ifft2', 'rfft2', 'irfft2', 'fftn', 'ifftn', 'rfftn', 'irfftn',
              'hfft', 'ihfft', 'fftfreq', 'rfftfreq', 'fftshift', 'ifftshift'):
    globals()[_name] = _function(_name, getattr(np.fft, _name))
