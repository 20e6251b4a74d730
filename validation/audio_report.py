"""Reports of audio fits: waveform overlay, residual, MSE and SNR, and the fit as a WAV file."""

from __future__ import annotations

import os

import numpy as np

from pinnfield.io import atomic_path, write_json, write_npz
from pinnfield.metrics import snr
from pinnfield.plot import loss_panel, panels_figure, save_figure

__all__ = ["write_audio_report"]


def _write_wav(path: str, rate: int, signal: np.ndarray) -> None:
    from scipy.io import wavfile

    with atomic_path(path, ".wav") as tmp:
        wavfile.write(tmp, int(rate), np.asarray(signal, dtype=np.float32))


def write_audio_report(solution, samples, output: str, out: str, name: str, *, validation: bool) -> tuple[dict, list[str]]:
    """Evaluate field ``output`` at every sample of ``samples`` (a ``pf.Samples1D``) and write
    ``NAME_fit.wav``, a figure (overlay, residual, loss), ``NAME.npz`` and ``metrics.json``
    (``validation.json`` when ``validation``) with ``mse`` (of the normalised signal) and ``snr`` (dB).

    Returns (metrics, paths written).
    """
    target = samples.values[samples.name].numpy()
    fit = solution.evaluate(output, samples.points.numpy())
    results = dict(solution.info)
    results["mse"] = float(np.mean((fit - target) ** 2))
    results["snr"] = snr(fit, target)
    results["samples"] = int(len(target))
    results["sample_rate"] = int(samples.rate)
    written = []
    wav_path = os.path.join(out, f"{name}_fit.wav")
    _write_wav(wav_path, samples.rate, fit * samples.scale)
    written.append(wav_path)

    t = samples.times
    fig, axes = panels_figure(3, size=4.2)
    axes[0].plot(t, target, lw=0.6, color="black", label="signal")
    axes[0].plot(t, fit, lw=0.6, color="tab:orange", alpha=0.8, label="fit")
    axes[0].set_title(f"waveform (normalised): SNR {results['snr']:.1f} dB", fontsize=10)
    axes[0].set_xlabel("time (s)")
    axes[0].legend(fontsize=8, loc="upper right")
    axes[1].plot(t, fit - target, lw=0.5, color="tab:red")
    axes[1].set_title(f"residual: MSE {results['mse']:.2e}", fontsize=10)
    axes[1].set_xlabel("time (s)")
    loss_panel(axes[2], solution.history)
    figure_path = os.path.join(out, f"{'validation' if validation else name}.png")
    save_figure(fig, figure_path)
    written.append(figure_path)

    npz_path = os.path.join(out, f"{name}.npz")
    write_npz(npz_path, t=t, fit=fit, signal=target, scale=np.array(samples.scale))
    written.append(npz_path)
    json_path = os.path.join(out, "validation.json" if validation else "metrics.json")
    write_json(json_path, {"problem": name, **results})
    written.append(json_path)
    return results, written
