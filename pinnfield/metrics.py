"""Error metrics between a solution and a reference, on arrays or on a Solution's fields.

``rel_l2(solution, u, points)`` compares field ``u`` with the problem's exact solution at
``points``; ``rel_l2(prediction, reference)`` compares two arrays. Same for ``max_abs``.
"""

from __future__ import annotations

import numpy as np

from .errors import DataError

__all__ = ["rel_l2", "max_abs", "psnr"]


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
