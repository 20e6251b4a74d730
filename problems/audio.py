"""Fit an audio clip with a Siren: u(t) = a(t) at every sample (Sitzmann et al. 2020, sec. 4.2).

``data`` is a WAV file (the first SECONDS are fitted, or all of a shorter clip; a multi-channel
file needs ``channel=``);
without it a synthetic clip (:func:`default_clip`, a decaying chord and a chirp at 44.1 kHz)
is fitted, so the problem runs with no data. Time is mapped to [-1, 1] and the samples are
scaled by their largest magnitude; the paper's first-layer frequency omega0 = 3000 lets the
Siren resolve kilohertz content on that scale. ``pinnfield run audio --data clip.wav`` writes
the fit as ``audio_fit.wav`` and reports MSE and SNR.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import pinnfield as pf
from pinnfield.equations import fitting

from ._data import data_of, settings_of, solve_at_scale

t = sp.Symbol("t")
u = sp.Function("u")(t)
SECONDS = 2.0
"""Length of the fitted excerpt, from the start of the file."""

RATE = 44100
"""Sample rate of the synthetic default clip (Hz)."""

DEFAULTS = dict(steps=3000, lbfgs_steps=0, lr=1e-4, schedule="cosine", seed=0)
"""fit() settings: Adam on random batches of samples; on 2 s of Bach, SNR 36.2 dB in 254 s on a
2-core CPU."""

PAPER = dict(problem=dict(seconds=None, batch=None), fit=dict(steps=10000))
"""The paper's scale (a GPU run): the whole clip, 10,000 full-batch steps (``solve(paper=True)``)."""


def default_clip(seconds: float = 1.0, rate: int = RATE) -> np.ndarray:
    """A synthetic clip: an A-major chord (220, 277.2, 329.6 Hz) decaying over ``seconds``, plus a
    quiet chirp from 500 Hz to 2 kHz; (seconds * rate,) floats in [-1, 1]."""
    time = np.arange(int(seconds * rate)) / rate
    chord = sum(np.sin(2 * np.pi * f * time) for f in (220.0, 277.18, 329.63)) * np.exp(-1.5 * time)
    chirp = 0.3 * np.sin(2 * np.pi * (500 * time + 750 * time**2 / seconds))
    clip = chord + chirp
    return clip / np.max(np.abs(clip))


def samples(data=None, seconds: float | None = SECONDS, channel=None) -> pf.Samples1D:
    """The clip as a sampling region: the first ``seconds`` of the WAV file ``data`` (all of it when
    it is shorter, or when ``seconds`` is None), or :func:`default_clip`."""
    if data is None:
        return pf.Samples1D(default_clip(), RATE, t)
    whole = pf.Samples1D.from_wav(data, t, channel=channel)
    if seconds is None or whole.seconds <= seconds:
        return whole
    return pf.Samples1D(whole.signal[: int(round(seconds * whole.rate))], whole.rate, t)


def problem(data=None, seconds: float = SECONDS, channel=None, width: int = 256, depth: int = 3,
            omega0: float = 3000.0, batch: int | None = 8192) -> pf.Problem:
    """u = a on ``batch`` random samples per step (None: all of them). On 2 s of Bach, 800 steps of
    8192 samples reached 20.5 dB SNR in 145 s, 150 full-batch steps 14.3 dB in 410 s (one thread)."""
    clip = samples(data, seconds, channel)
    return pf.Problem(
        fields={u: pf.Siren(in_dim=1, out_dim=1, width=width, depth=depth, omega0=omega0, omega_hidden=30.0)},
        constraints=[pf.Constraint(fitting.value_fit(u, sp.Symbol(clip.name)), on=clip, n=batch, name="fit")],
    )


def solve(data=None, paper: bool = False, **fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``; ``paper``: at :data:`PAPER` scale."""
    return solve_at_scale(problem, DEFAULTS, PAPER, data, paper, fit_overrides)


def report(solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Waveforms, residual, MSE and SNR, and the fit as a WAV (see ``pinnfield.validation.audio_report``)."""
    from pinnfield.validation.audio_report import write_audio_report

    clip = samples(data_of(solution, data), seconds=settings_of(solution).get("seconds", SECONDS))
    return write_audio_report(solution, clip, "u", out, name, validation=validation)
