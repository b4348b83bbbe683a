"""legonn.audio's load and save (soumith/lua---audio's init.lua lines 42-75 and generic/sox.c's read_audio and
write_audio_file) on PCM WAV: the nsamples x nchannels layout, libsox's 32-bit scale for each sample width, the
rate, the default tensor type, the round trip through save, and the errors."""
import wave

import numpy as np
import pytest

import legonn as lg
from legonn import audio


def write_pcm(path, frames, width, rate=8000):
    """A WAV file of ``frames`` (nsamples x nchannels integers as stored) through Python's wave module."""
    frames = np.asarray(frames)
    if width == 1:
        raw = frames.astype(np.uint8).tobytes()
    elif width == 3:
        v = frames.astype(np.int64) & 0xFFFFFF
        raw = np.stack([v & 0xFF, (v >> 8) & 0xFF, v >> 16], axis=-1).astype(np.uint8).tobytes()
    else:
        raw = frames.astype({2: '<i2', 4: '<i4'}[width]).tobytes()
    with wave.open(str(path), 'wb') as f:
        f.setnchannels(frames.shape[1])
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(raw)
    return str(path)


@pytest.mark.parametrize('width, stored, scaled', [
    (1, [[0, 255], [128, 129]], [[-2 ** 31, 127 * 2 ** 24], [0, 2 ** 24]]),          # unsigned, centred at 128
    (2, [[-32768, 32767], [0, -1]], [[-2 ** 31, 32767 * 2 ** 16], [0, -2 ** 16]]),
    (3, [[-2 ** 23, 2 ** 23 - 1], [5, -5]], [[-2 ** 31, (2 ** 23 - 1) * 256], [1280, -1280]]),
    (4, [[-2 ** 31, 2 ** 31 - 1], [7, -7]], [[-2 ** 31, 2 ** 31 - 1], [7, -7]]),
])
def test_load_gives_samples_by_channels_on_the_int32_scale(tmp_path, width, stored, scaled):
    lg.setdefaulttensortype('torch.DoubleTensor')     # tests/conftest.py puts FloatTensor back
    wave_, rate = audio.load(write_pcm(tmp_path / 'x.wav', stored, width, rate=22050))
    assert rate == 22050
    assert wave_.type() == 'legonn.DoubleTensor' and tuple(wave_.size()) == (2, 2)
    assert wave_.tolist() == scaled


def test_load_follows_the_default_type_and_soundnet_scaling(tmp_path):
    samples = np.array([[1000], [-1000], [32767]])
    wave_, rate = audio.load(write_pcm(tmp_path / 'mono.wav', samples, 2))
    assert wave_.type() == 'legonn.FloatTensor' and tuple(wave_.size()) == (3, 1) and rate == 8000
    # donkey_audio.lua's mul(2^-23): 16-bit audio in [-256, 256)
    np.testing.assert_array_equal(wave_.view(-1).mul(2 ** -23).numpy(), samples[:, 0] / 128.0)


def test_save_then_load_round_trips_and_truncates(tmp_path):
    src = lg.DoubleTensor([[1.9, -1.9], [2 ** 20, -(2 ** 30)], [0, 5]])
    path = str(tmp_path / 'out.wav')
    audio.save(path, src, 16000)
    with wave.open(path) as f:
        assert (f.getsampwidth(), f.getnchannels(), f.getframerate()) == (4, 2, 16000)
    back, rate = audio.load(path)
    assert rate == 16000 and back.tolist() == [[1, -1], [2 ** 20, -(2 ** 30)], [0, 5]]   # int32 cast drops fractions


@pytest.mark.parametrize('call, error, match', [
    (lambda d: audio.load(), TypeError, 'missing file name'),
    (lambda d: audio.load(str(d / 'none.wav')), FileNotFoundError, 'not found'),
    (lambda d: audio.load(str(d / 'song.mp3')), ValueError, 'PCM WAV only'),
    (lambda d: audio.save(str(d / 'x'), lg.zeros(4, 1), 8000), ValueError, 'extension'),
    (lambda d: audio.save(str(d / 'x.mp3'), lg.zeros(4, 1), 8000), ValueError, 'WAV only'),
    (lambda d: audio.save(str(d / 'x.wav'), lg.zeros(4), 8000), ValueError, 'nsamples x nchannels'),
    (lambda d: audio.save(str(d / 'x.wav'), lg.zeros(2, 4).t(), 8000), ValueError, 'contiguous'),
    (lambda d: audio.save(str(d / 'x.wav'), lg.zeros(4, 1), None), ValueError, 'sample rate'),
    (lambda d: audio.save(str(d / 'x.wav'), lg.zeros(4, 1).fill(2 ** 31), 8000), ValueError, r'\[-2\^31'),
])
def test_bad_calls_say_what_was_expected(tmp_path, call, error, match):
    (tmp_path / 'song.mp3').write_bytes(b'ID3\x03\x00\x00\x00not a wave file')
    with pytest.raises(error, match=match):
        call(tmp_path)
    assert not (tmp_path / 'x.wav').exists()


@pytest.mark.gpu
def test_save_takes_a_cuda_tensor(tmp_path):
    src = lg.FloatTensor([[3, -4], [5, 6]]).cuda()
    audio.save(str(tmp_path / 'g.wav'), src, 8000)
    assert audio.load(str(tmp_path / 'g.wav'))[0].tolist() == [[3, -4], [5, 6]]
