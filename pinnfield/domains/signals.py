"""A uniformly sampled 1-D signal (audio) as a sampling region.

``Samples1D(values, rate, t)`` places N samples taken ``rate`` times per second on the nodes
``linspace(lo, hi, N)`` of one coordinate: (N, 1) points with one data column, ``"a"`` by
default, holding values / scale (scale = max |values| when normalising, so the column spans
[-1, 1]). Sample k was taken at ``times[k] = k / rate`` seconds; the coordinate s maps to
time t = (s - lo) (N - 1) / (rate (hi - lo)), so d/dt = (hi - lo) rate / (N - 1) d/ds.

``Samples1D.from_wav(path, t, seconds=1.0)`` reads a WAV file (PCM integers scaled to [-1, 1])
and crops it.
"""

from __future__ import annotations

import math
import os

import numpy as np
from scipy.io import wavfile

from ..errors import DataError
from .checks import check_coords, check_extent, check_name, check_positive, coord_names, number_text
from .points import Points

__all__ = ["Samples1D"]


def _pcm_to_float(data: np.ndarray, path: str) -> np.ndarray:
    """WAV samples as float64: signed integers / 2^(bits - 1), uint8 (x - 128) / 128, floats kept."""
    if data.dtype.kind == "f":
        return data.astype(np.float64)
    if data.dtype.kind == "i":
        return data / float(2 ** (8 * data.dtype.itemsize - 1))
    if data.dtype == np.uint8:
        return (data.astype(np.float64) - 128.0) / 128.0
    raise DataError(
        f"WAV file '{path}' holds {data.dtype} samples; expected 8-bit unsigned, 16/24/32-bit "
        "signed PCM or float samples. Convert the file, e.g. to 16-bit PCM."
    )


def _pick_channel(signal: np.ndarray, channel, path: str) -> np.ndarray:
    """One (N,) channel of an (N,) or (N, C) signal: index K, "mean", or the only one for None."""
    frames = signal.reshape(len(signal), -1)
    count = frames.shape[1]
    if channel is None:
        if count > 1:
            raise DataError(
                f"WAV file '{path}' has {count} channels; expected one channel to be chosen. Pass "
                f"channel=K (0-based, 0 to {count - 1}) or channel='mean' to average them."
            )
        return frames[:, 0]
    if isinstance(channel, str) and channel == "mean":
        return frames.mean(axis=1)
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
        raise DataError(
            f"WAV channel {channel!r} is not a channel; expected an integer index or 'mean'. Pass "
            "channel=0 or channel='mean'."
        )
    if not 0 <= channel < count:
        raise DataError(
            f"WAV channel {channel} is out of range: '{path}' has {count} channel(s); expected an "
            f"index from 0 to {count - 1} (0-based) or 'mean'."
        )
    return frames[:, int(channel)]


class Samples1D(Points):
    """N uniform samples of a signal as (N, 1) points on ``linspace(lo, hi, N)`` of ``coord``.

    ``values``: (N,) real samples, N >= 2; ``rate``: samples per second. Data column ``name``
    ("a") holds ``values / scale``, with ``scale = max |values|`` when ``normalize`` and 1
    otherwise, so ``signal == column * scale``. Attributes: ``signal`` (N,) float64 as given;
    ``rate``; ``times`` (N,) seconds from the first sample (k / rate); ``seconds`` the duration
    N / rate; ``scale``; ``axes`` (linspace(lo, hi, N),); ``spacing`` (h,), h = (hi - lo) / (N - 1).
    """

    def __init__(self, values, rate, coord, *, extent=(-1.0, 1.0), name: str = "a", normalize: bool = True):
        coords = check_coords(coord, "Samples1D", dim=1)
        lo, hi = check_extent(extent, "Samples1D")
        self.name = check_name(name, "Samples1D")
        self.rate = check_positive(rate, "Samples1D", "rate (samples per second)", "rate=16000")
        try:
            signal = np.array(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(
                f"Samples1D values must be real numbers; received {type(values).__name__}. Pass "
                "an (N,) float array."
            ) from None
        if signal.ndim != 1 or len(signal) < 2:
            raise DataError(
                f"Samples1D values have shape {signal.shape}; expected (N,) with N >= 2 samples. "
                "Pass one channel as a flat array, e.g. values[:, 0] or values.reshape(-1)."
            )
        bad = ~np.isfinite(signal)
        if bad.any():
            raise DataError(
                f"Samples1D values have {int(bad.sum())} NaN or infinite sample(s) (first: sample "
                f"{int(np.argmax(bad))}); expected finite values. Fill them, e.g. np.nan_to_num."
            )
        peak = float(np.max(np.abs(signal)))
        if normalize and peak == 0:
            raise DataError(
                "Samples1D values are zero everywhere; expected a signal with a nonzero peak to "
                "normalise by. Pass normalize=False to keep them as they are."
            )
        self.signal = signal
        self.scale = peak if normalize else 1.0
        self.times = np.arange(len(signal)) / self.rate
        self.seconds = len(signal) / self.rate
        self.extent = (lo, hi)
        self.axes = (np.linspace(lo, hi, len(signal)),)
        self.spacing = ((hi - lo) / (len(signal) - 1),)
        super().__init__(self.axes[0][:, None], coords, {self.name: signal / self.scale})

    @classmethod
    def from_wav(cls, path, coord, *, seconds=None, start=0.0, channel=None, **kw) -> Samples1D:
        """Samples1D of the WAV file ``path`` cropped to [start, start + seconds) seconds.

        int16/int32 PCM are divided by 2^15/2^31, uint8 becomes (x - 128) / 128, floats are
        kept. A file with several channels needs ``channel=K`` (0-based) or ``channel="mean"``.
        ``seconds`` None keeps everything after ``start``. ``kw`` go to the constructor.
        """
        text = os.fspath(path)
        if not os.path.isfile(text):
            what = "is a directory" if os.path.isdir(text) else "does not exist"
            raise DataError(f"WAV file '{text}' {what}; expected a path to a .wav file. Check the path.")
        try:
            rate, data = wavfile.read(text)
        except Exception as error:  # the reader raises ValueError, struct.error, EOFError...
            raise DataError(
                f"WAV file '{text}' could not be read as a WAV file ({type(error).__name__}: "
                f"{error}); expected RIFF/WAVE audio (PCM or float). Convert it, e.g. with "
                "ffmpeg -i input output.wav."
            ) from None
        if rate <= 0:
            raise DataError(
                f"WAV file '{text}' declares a sample rate of {rate} Hz; expected a positive rate. "
                "Check the file."
            )
        signal = _pick_channel(_pcm_to_float(data, text), channel, text)
        total = len(signal)
        duration = total / rate
        lasts = f"'{text}' lasts {number_text(duration)} s ({total} samples at {rate} Hz)"
        try:
            start_s = math.nan if isinstance(start, bool) else float(start)
        except (TypeError, ValueError):
            start_s = math.nan
        if not (math.isfinite(start_s) and 0 <= start_s < duration):
            raise DataError(
                f"WAV start={start!r} is out of range: {lasts}; expected 0 <= start < "
                f"{number_text(duration)} seconds."
            )
        first = int(round(start_s * rate))
        last = total
        if seconds is not None:
            length = check_positive(seconds, "WAV", "seconds (the length to keep)", "seconds=1.0")
            if start_s + length > duration + 0.5 / rate:
                raise DataError(
                    f"WAV crop [{number_text(start_s)}, {number_text(start_s + length)}) s is out of range: "
                    f"{lasts}; expected start + seconds <= {number_text(duration)}. Shorten seconds or "
                    "pass seconds=None to keep the rest."
                )
            last = min(total, first + int(round(length * rate)))
        if last - first < 2:
            raise DataError(
                f"WAV crop from {number_text(start_s)} s keeps {max(last - first, 0)} sample(s) of {lasts}; "
                "expected at least 2. Pass a longer seconds= or an earlier start=."
            )
        return cls(signal[first:last], rate, coord, **kw)

    def __repr__(self) -> str:
        return (
            f"Samples1D(N={len(self)}, rate={number_text(self.rate)}, seconds={number_text(self.seconds)}, "
            f"coords=({coord_names(self.coords)}))"
        )
