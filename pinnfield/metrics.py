"""Error metrics between a solution and a reference, on arrays or on a Solution's fields.

``rel_l2(solution, u, points)`` compares field ``u`` with the problem's exact solution at
``points``; ``rel_l2(prediction, reference)`` compares two arrays. Same for ``max_abs`` and
``psnr``. For images and signals (arrays only): ``ssim`` (mean structural similarity of (H, W)
or (H, W, C) images) and ``snr`` (signal-to-noise ratio in dB).
"""

from __future__ import annotations

import numpy as np

from .errors import DataError

__all__ = ["rel_l2", "max_abs", "psnr", "ssim", "snr"]


def _pair(a, b, points):
    if hasattr(a, "evaluate"):
        if points is None:
            raise DataError("Pass the evaluation points: rel_l2(solution, u, points) with points (N, d).")
        return a.evaluate(b, points), a.exact_values(b, points)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise DataError(f"Cannot compare arrays of shapes {a.shape} and {b.shape}; expected equal shapes.")
    return a, b


def rel_l2(a, b, points=None) -> float:
    """||prediction - reference||_2 / ||reference||_2 over all points (a discrete relative L2)."""
    prediction, reference = _pair(a, b, points)
    norm = np.linalg.norm(reference)
    if norm == 0:
        raise DataError("The reference is zero everywhere; the relative L2 error is undefined. Use max_abs.")
    return float(np.linalg.norm(prediction - reference) / norm)


def max_abs(a, b, points=None) -> float:
    """max_i |prediction_i - reference_i|."""
    prediction, reference = _pair(a, b, points)
    return float(np.max(np.abs(prediction - reference)))


def psnr(a, b, points=None, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio 10 log10(R^2 / MSE) in dB, R the reference's range by default."""
    prediction, reference = _pair(a, b, points)
    r = float(np.ptp(reference)) if data_range is None else float(data_range)
    mse = float(np.mean((prediction - reference) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(r * r / mse)


def ssim(prediction, reference, data_range: float | None = None) -> float:
    """Mean structural similarity of two (H, W) grey or (H, W, C) colour images, in [-1, 1].

    ``skimage.metrics.structural_similarity`` with its default 7 x 7 window (channels on the
    last axis); ``data_range`` defaults to the reference's range max - min.
    """
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        raise DataError(
            "ssim needs scikit-image, which is not installed; expected it importable. Install it "
            "with pip install scikit-image."
        ) from None
    prediction, reference = np.asarray(prediction, dtype=float), np.asarray(reference, dtype=float)
    if prediction.shape != reference.shape:
        raise DataError(
            f"ssim cannot compare images of shapes {prediction.shape} and {reference.shape}; "
            "expected equal shapes. Reshape the prediction to the reference's shape."
        )
    if reference.ndim not in (2, 3) or min(reference.shape[:2]) < 7:
        raise DataError(
            f"ssim images have shape {reference.shape}; expected (H, W) or (H, W, C) with H, W >= 7 "
            "(the 7 x 7 window). Reshape flat values with .reshape(H, W)."
        )
    r = float(np.ptp(reference)) if data_range is None else float(data_range)
    if not (np.isfinite(r) and r > 0):
        raise DataError(
            f"ssim data range is {r!r} (the reference is constant or data_range is not positive); "
            "expected a positive range. Pass data_range=1.0 for images in [0, 1]."
        )
    channel_axis = -1 if reference.ndim == 3 else None
    return float(structural_similarity(prediction, reference, data_range=r, channel_axis=channel_axis))


def snr(prediction, reference) -> float:
    """Signal-to-noise ratio 10 log10(sum reference^2 / sum (prediction - reference)^2) in dB."""
    prediction, reference = np.asarray(prediction, dtype=float), np.asarray(reference, dtype=float)
    if prediction.shape != reference.shape:
        raise DataError(
            f"snr cannot compare arrays of shapes {prediction.shape} and {reference.shape}; "
            "expected equal shapes."
        )
    signal = float(np.sum(reference**2))
    if signal == 0:
        raise DataError("snr: the reference is zero everywhere; the signal-to-noise ratio is undefined. Use max_abs.")
    noise = float(np.sum((prediction - reference) ** 2))
    return float("inf") if noise == 0 else float(10 * np.log10(signal / noise))
