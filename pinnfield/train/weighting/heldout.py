"""Weights from each term's generalisation gap between L-BFGS rounds."""

from __future__ import annotations

import math
import warnings

from .base import AbstractWeighting

__all__ = ["HeldOut", "held_out_weights"]


def held_out_weights(base: list[float], trained: list[float | None], fresh: list[float | None]) -> list[float]:
    """HeldOut's weights: w_i g_i / geometric mean of the g_j, g_i = fresh_i / trained_i over
    the terms with both mean squares positive and finite; the others keep w_i."""
    gaps = [f / t if t is not None and f is not None and 0 < t < math.inf and 0 < f < math.inf else None
            for t, f in zip(trained, fresh)]
    known = [g for g in gaps if g is not None]
    if not known:
        return list(base)
    mean = math.exp(sum(math.log(g) for g in known) / len(known))
    return [w if g is None else w * g / mean for w, g in zip(base, gaps)]


class HeldOut(AbstractWeighting):
    """Weights from each term's generalisation gap between L-BFGS rounds.

    An L-BFGS round fits its batch almost exactly, so a term's loss on the batch can fall far
    below its loss over the domain, more for a term whose points are sparse (a space-time
    residual) than for a dense one (a boundary line). The next round's batch is fresh. With s_i
    the mean square residual of term i on round k's batch at the end of round k, f_i that on
    round k+1's batch at its start, and g_i = f_i / s_i, round k+1 uses

        lambda_i = w_i g_i / (g_1 ... g_m)^(1/m)

    over the m terms with a residual (:func:`held_out_weights`). The first round, first-order
    steps, and terms without a residual use w_i. Cost: one residual evaluation (no backward) of
    each batch at the end of its round. Use it with rounds: ``fit(..., lbfgs_resample_every=k)``.
    """

    def settings(self) -> dict:
        return {"scheme": "HeldOut"}

    def init(self, names, weights, seed):
        return {"weights": list(weights), "base": list(weights), "trained": None}

    def settle(self, state, view):
        return {**state, "trained": _mean_squares(view)}

    def refresh(self, state, view):
        if state["trained"] is None:
            return state
        return {**state, "weights": held_out_weights(state["base"], state["trained"], _mean_squares(view))}

    def check_rounds(self, rounds):
        if rounds < 2:
            warnings.warn(
                f"weighting=HeldOut() sets the weights between L-BFGS rounds, and this run has {rounds}, so it "
                "keeps the constraints' weights. Pass lbfgs_steps=N with lbfgs_resample_every=k < N "
                "(pinnfield run: --lbfgs-steps N --lbfgs-resample-every k).", stacklevel=4)


def _mean_squares(view) -> list[float | None]:
    squares = [None if r is None else view.average((r.detach().abs().double() ** 2).mean()) for r in view.probe(None)]
    return [None if q is None else float(q) for q in squares]
