"""Retain, resample, release (Daw et al. 2023)."""

from __future__ import annotations

import torch

from ...domains import Batch
from .base import AbstractResidualSampler, take

__all__ = ["R3", "r3_retained"]


def r3_retained(errors: torch.Tensor) -> torch.Tensor:
    """R3's retained set: the (N,) bool mask of points whose error exceeds the population mean."""
    errors = errors.abs()
    return errors > errors.mean()


class R3(AbstractResidualSampler):
    """Retain, resample, release ("Mitigating propagation failures in PINNs using evolutionary
    sampling").

    The n points are a population. At each redraw, with e_j = |r(x_j)| the errors of the
    current population from the last training step (no extra evaluation), the points with
    e_j > mean(e) are retained (:func:`r3_retained`) and the others are replaced by fresh
    uniform points, so the budget stays n; high-residual points accumulate until they are
    solved. Without errors yet (the first draw) the population is uniform.
    """

    def settings(self):
        return {"scheme": "R3", "terms": list(self.terms) if self.terms else None}

    def draw(self, population, region, n, generator, evaluate, observed):
        if population is None:
            return region.sample(n, generator)
        if observed is None:
            return population
        kept = take(population, r3_retained(observed))
        fresh = region.sample(n - len(kept), generator)
        return Batch(torch.cat([kept.points, fresh.points]),
                     {k: torch.cat([v, fresh.data[k]]) for k, v in kept.data.items()})
