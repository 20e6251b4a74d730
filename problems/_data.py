"""Which data file a data-driven problem was trained on, kept in the solution's run info."""

from __future__ import annotations

import os

import pinnfield as pf
from pinnfield.errors import DataError

__all__ = ["remember_data", "data_of", "settings_of", "solve_at_scale"]


def remember_data(solution, data, settings: dict | None = None):
    """A copy of ``solution`` recording the data path (None: the problem's built-in default) in ``info["data"]``
    and the problem() settings that shape the data (image size, clip length) in
    ``solution.info["problem_settings"]``, so a report rebuilds the same data."""
    return solution.with_info(data=None if data is None else os.path.abspath(os.fspath(data)),
                              problem_settings=dict(settings or {}))


def settings_of(solution) -> dict:
    """The problem() settings recorded by :func:`remember_data` (empty if none)."""
    return dict(solution.info.get("problem_settings") or {})


def data_of(solution, data):
    """The data a report should compare with: ``data`` if given, else what the solution was trained on.

    A ``data`` path other than the one the solution was trained on is refused: the comparison
    would be meaningless.
    """
    trained = solution.info.get("data")
    if data is None:
        return trained
    given = os.path.abspath(os.fspath(data))
    if "data" in solution.info and trained != given:
        raise DataError(
            f"The solution was trained on {trained or 'the built-in default'}, not on {given}. "
            "Validate without --data, or retrain on the new data (--retrain)."
        )
    return given


def solve_at_scale(problem, defaults: dict, paper_scale: dict, data, paper: bool, fit_overrides: dict):
    """fit() a data-driven problem: ``problem(data, **settings)`` with ``defaults`` updated by
    ``fit_overrides``; with ``paper``, at ``paper_scale`` (``{"problem": {...}, "fit": {...}}``).
    The data path and the problem settings are recorded with :func:`remember_data`."""
    scale = paper_scale if paper else {"problem": {}, "fit": {}}
    settings = {**defaults, **scale["fit"], **fit_overrides}
    return remember_data(pf.fit(problem(data, **scale["problem"]), **settings), data, scale["problem"])
