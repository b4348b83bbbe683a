"""legonn.audio (soumith/lua---audio's stft and spectrogram: init.lua lines 124-201, generic/audio.c lines 47-131):
against a DFT written out as sums of cosines and sines, each window's formula, the reversed frequency order, the
input's type, the shapes deepspeech.torch reads (161 frequencies of 20 ms windows at 16 kHz), errors, CUDA."""
import numpy as np
import pytest

import legonn as lg
from legonn import audio, paths


def dft_reference(samples, size, kind, stride):
    """audio.c's loop: windows while they fit, the window's factors, then bins 0 .. size/2 of the DFT as explicit
    sums (no FFT), stored highest bin first; float64 (windows x bins x 2)."""
    i = np.arange(size)
    m = size - 1
    window = {'rect': np.ones(size), 'hamming': .53836 - .46164 * np.cos(2 * np.pi * i / m),
              'hann': .5 - .5 * np.cos(2 * np.pi * i / m),
              'bartlett': 2. / m * (m / 2. - np.abs(i - m / 2.))}[kind]
    out = []
    for start in range(0, len(samples) - size + 1, stride):
        frame = samples[start:start + size] * window
        bins = []
        for k in range(size // 2, -1, -1):
            angle = 2 * np.pi * k * i / size
            bins.append([np.sum(frame * np.cos(angle)), -np.sum(frame * np.sin(angle))])
        out.append(bins)
    return np.array(out)


@pytest.mark.parametrize('kind', ['rect', 'hamming', 'hann', 'bartlett'])
@pytest.mark.parametrize('size, stride', [(16, 5), (15, 4)])
def test_stft_matches_written_out_dft(kind, size, stride):
    samples = np.random.default_rng(1).standard_normal(70)
    out = audio.stft(lg.DoubleTensor(samples), size, kind, stride)
    assert out.type() == 'legonn.DoubleTensor' and out.size() == ((70 - size) // stride + 1, size // 2 + 1, 2)
    np.testing.assert_allclose(out.numpy(), dft_reference(samples, size, kind, stride), rtol=1e-10, atol=1e-10)


def test_highest_frequency_comes_first():
    """A sine at bin 3 of 16 lights up position 16/2 - 3 = 5 of the 9: audio.c writes bin N/2 - k at k."""
    n = np.arange(64)
    out = audio.stft(lg.DoubleTensor(np.sin(2 * np.pi * 3 * n / 16)), 16, 'rect', 16)
    magnitude = np.hypot(out.numpy()[..., 0], out.numpy()[..., 1])
    assert (magnitude.argmax(axis=1) == 5).all()


def test_spectrogram_is_ten_natural_logs_of_the_power_transposed():
    """init.lua's spectrogram: 10 * log(re^2 + im^2 + 0.01), natural log, in the input's type (float32 here, as
    deepspeech.torch's FloatTensor waves), returned as the transposed (frequencies x windows) view; 20 ms windows
    every 10 ms of 16 kHz audio make deepspeech.torch's 161 frequencies; an n x 1 wave (audio.load's layout)
    reads the same."""
    wave = np.random.default_rng(2).standard_normal(16000 // 10).astype(np.float32) * 1000
    spect = audio.spectrogram(lg.FloatTensor(wave), 0.02 * 16000, 'hamming', 0.01 * 16000)
    ref = dft_reference(wave.astype(np.float64), 320, 'hamming', 160)
    expected = 10 * np.log(ref[..., 0] ** 2 + ref[..., 1] ** 2 + 0.01)
    assert spect.type() == 'legonn.FloatTensor' and spect.size() == (161, 9) and not spect.isContiguous()
    np.testing.assert_allclose(spect.numpy(), expected.T, rtol=2e-5, atol=1e-3)
    column = audio.spectrogram(lg.FloatTensor(wave).view(-1, 1), 320, 'hamming', 160)
    np.testing.assert_array_equal(column.numpy(), spect.numpy())
    assert paths.require('audio') is audio and lg.audio is audio


@pytest.mark.parametrize('call, error, match', [
    (lambda: audio.stft(lg.randn(40, 2), 8, 'hann', 4), ValueError, r'audio\.stft: expected one channel'),
    (lambda: audio.stft(lg.randn(40), 8, 'blackman', 4), ValueError, r'audio\.stft: window type must be'),
    (lambda: audio.spectrogram(lg.randn(40), 41, 'hann', 4), ValueError, r'audio\.spectrogram: window size must be'),
    (lambda: audio.stft(lg.randn(40), 8, 'hann', 0), ValueError, r'audio\.stft: stride must be'),
    (lambda: audio.stft(lg.randn(40), 8.5, 'hann', 2), ValueError, r'audio\.stft: window size must be'),
    (lambda: audio.stft(lg.IntTensor(40).zero(), 8, 'hann', 4), TypeError, r'audio\.stft: expected a floating'),
])
def test_bad_arguments_name_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.gpu
def test_cuda_waves_give_cuda_spectrograms_equal_to_the_cpu():
    wave = lg.FloatTensor(np.random.default_rng(3).standard_normal(800).astype(np.float32))
    gpu = audio.spectrogram(wave.cuda(), 320, 'hann', 160)
    assert gpu.is_cuda and gpu.type() == 'legonn.CudaTensor'
    np.testing.assert_allclose(gpu.float().numpy(), audio.spectrogram(wave, 320, 'hann', 160).numpy(), rtol=1e-5,
                               atol=1e-4)
