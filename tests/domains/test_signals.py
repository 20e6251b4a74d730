"""Samples1D: a sampled signal as a region; normalisation, WAV reading, cropping, channels, errors."""

import numpy as np
import pytest
import sympy as sp
import torch
from scipy.io import wavfile

from pinnfield.errors import DataError, DomainError
from pinnfield.domains import Samples1D

t = sp.Symbol("t")
RATE = 1000


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_points_column_and_scale():
    values = np.array([0.5, -2.0, 1.0, 0.0])
    samples = Samples1D(values, 8, t, extent=(0, 3))
    batch = samples.sample(None, gen())
    assert np.array_equal(batch.points.numpy()[:, 0], [0, 1, 2, 3]) and samples.coords == (t,)
    assert samples.data_names == ("a",) and samples.scale == 2.0
    assert np.array_equal(batch.data["a"].numpy(), [0.25, -1.0, 0.5, 0.0])
    assert np.array_equal(batch.data["a"].numpy() * samples.scale, values)
    assert np.array_equal(samples.signal, values) and samples.rate == 8
    assert np.array_equal(samples.times, [0, 0.125, 0.25, 0.375]) and samples.seconds == 0.5
    assert np.array_equal(samples.axes[0], [0, 1, 2, 3]) and samples.spacing == (1.0,)
    raw = Samples1D(values, 8, (t,), name="p", normalize=False)
    assert raw.scale == 1.0 and np.array_equal(raw.sample(None, gen()).data["p"].numpy(), values)
    subset = samples.sample(2, gen(1))
    index = np.rint(subset.points.numpy()[:, 0]).astype(int)
    assert len(set(index)) == 2 and np.array_equal(subset.data["a"].numpy(), values[index] / 2)
    assert repr(samples) == "Samples1D(N=4, rate=8, seconds=0.5, coords=(t))"


def test_constructor_errors():
    with pytest.raises(DataError, match="zero everywhere.*normalize=False"):
        Samples1D(np.zeros(5), 10, t)
    assert Samples1D(np.zeros(5), 10, t, normalize=False).scale == 1.0
    with pytest.raises(DataError, match=r"shape \(5, 2\); expected \(N,\)"):
        Samples1D(np.zeros((5, 2)), 10, t)
    with pytest.raises(DataError, match=r"shape \(1,\); expected \(N,\) with N >= 2"):
        Samples1D([1.0], 10, t)
    with pytest.raises(DataError, match="NaN or infinite sample.*first: sample 2"):
        Samples1D([1.0, 0.0, np.inf], 10, t)
    for rate in (0, -5, np.nan, "fast", True):
        with pytest.raises(DataError, match="rate .* must be a positive number"):
            Samples1D([1.0, 2.0], rate, t)
    with pytest.raises(DomainError, match="1-dimensional but received 2 coords"):
        Samples1D([1.0, 2.0], 10, sp.symbols("t s"))
    with pytest.raises(DomainError, match="extent"):
        Samples1D([1.0, 2.0], 10, t, extent=(2, 1))


@pytest.fixture
def mono(tmp_path):
    """2 s of int16 PCM at 1000 Hz: sample k = k - 1000 (k = 0..1999)."""
    data = (np.arange(2 * RATE) - RATE).astype(np.int16)
    path = tmp_path / "mono.wav"
    wavfile.write(path, RATE, data)
    return path, data


@pytest.fixture
def stereo(tmp_path):
    """0.5 s of float32 stereo at 1000 Hz: left 0.5, right -0.25 plus a ramp."""
    ramp = np.linspace(0, 0.25, RATE // 2)
    data = np.stack([0.5 + 0 * ramp, -0.25 + ramp], axis=1).astype(np.float32)
    path = tmp_path / "stereo.wav"
    wavfile.write(path, RATE, data)
    return path, data.astype(np.float64)


def test_int16_mono_round_trip(mono):
    path, data = mono
    samples = Samples1D.from_wav(path, t)
    assert len(samples) == 2 * RATE and samples.rate == RATE and samples.seconds == 2.0
    assert np.allclose(samples.signal, data / 32768.0)
    assert samples.scale == pytest.approx(1000 / 32768)
    column = samples.sample(None, gen()).data["a"].numpy()
    assert np.abs(column).max() == 1.0 and np.allclose(column * samples.scale, samples.signal)


def test_crop_by_start_and_seconds(mono):
    path, data = mono
    samples = Samples1D.from_wav(path, t, start=0.5, seconds=0.25, extent=(0, 1), normalize=False)
    assert len(samples) == 250 and samples.seconds == 0.25
    assert np.allclose(samples.signal, data[500:750] / 32768.0)
    assert np.array_equal(samples.points.numpy()[[0, -1], 0], [0, 1])
    rest = Samples1D.from_wav(path, t, start=1.5)
    assert len(rest) == 500 and np.allclose(rest.signal, data[1500:] / 32768.0)
    assert len(Samples1D.from_wav(path, t, start=1.0, seconds=1.0)) == RATE


def test_crop_errors(mono):
    path, _ = mono
    lasts = r"'.*mono\.wav' lasts 2 s \(2000 samples at 1000 Hz\)"
    with pytest.raises(DataError, match=r"start=2.5 is out of range: " + lasts):
        Samples1D.from_wav(path, t, start=2.5)
    with pytest.raises(DataError, match=r"start=-1 is out of range"):
        Samples1D.from_wav(path, t, start=-1)
    with pytest.raises(DataError, match=r"crop \[1.5, 2.5\) s is out of range: .* lasts 2 s"):
        Samples1D.from_wav(path, t, start=1.5, seconds=1.0)
    with pytest.raises(DataError, match=r"keeps 1 sample\(s\)"):
        Samples1D.from_wav(path, t, seconds=0.001)
    with pytest.raises(DataError, match="seconds .* must be a positive number"):
        Samples1D.from_wav(path, t, seconds=0)


def test_stereo_channels(stereo):
    path, data = stereo
    with pytest.raises(DataError, match=r"has 2 channels.*channel=K \(0-based, 0 to 1\) or channel='mean'"):
        Samples1D.from_wav(path, t)
    right = Samples1D.from_wav(path, t, channel=1, normalize=False)
    assert np.allclose(right.signal, data[:, 1])
    mean = Samples1D.from_wav(path, t, channel="mean", normalize=False)
    assert np.allclose(mean.signal, data.mean(axis=1))
    with pytest.raises(DataError, match=r"channel 2 is out of range: .* has 2 channel\(s\)"):
        Samples1D.from_wav(path, t, channel=2)
    with pytest.raises(DataError, match="channel 'left' is not a channel"):
        Samples1D.from_wav(path, t, channel="left")


def test_uint8_and_int32_scaling(tmp_path):
    path = tmp_path / "u8.wav"
    wavfile.write(path, RATE, np.array([0, 128, 255, 192], dtype=np.uint8))
    assert np.allclose(Samples1D.from_wav(path, t, normalize=False).signal, [-1, 0, 127 / 128, 0.5])
    path = tmp_path / "i32.wav"
    wavfile.write(path, RATE, np.array([2**30, -(2**31), 0], dtype=np.int32))
    assert np.allclose(Samples1D.from_wav(path, t, normalize=False).signal, [0.5, -1, 0])


def test_file_errors(tmp_path):
    with pytest.raises(DataError, match=r"missing\.wav' does not exist.*Check the path"):
        Samples1D.from_wav(tmp_path / "missing.wav", t)
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all")
    with pytest.raises(DataError, match=r"notes\.wav' could not be read as a WAV file"):
        Samples1D.from_wav(text, t)
