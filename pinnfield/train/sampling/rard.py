"""Residual-based adaptive distribution (Wu et al. 2023)."""

from __future__ import annotations

import torch

from ...errors import check_int, check_number
from .base import AbstractResidualSampler, take

__all__ = ["RARD", "rard_probabilities"]


def rard_probabilities(errors: torch.Tensor, k: float = 1.0, c: float = 1.0) -> torch.Tensor:
    """RAR-D density on candidates: p_j proportional to e_j^k / mean(e^k) + c, for (N,) errors
    e_j = |r(x_j)|. Returns (N,) float64 probabilities summing to 1 (uniform if e^k is all 0)."""
    power = errors.double().abs() ** k
    mean = power.mean()
    density = (power / mean if mean > 0 else torch.zeros_like(power)) + c
    if not bool(density.sum() > 0):
        density = torch.ones_like(power)
    return density / density.sum()


class RARD(AbstractResidualSampler):
    """Residual-based adaptive distribution ("A comprehensive study of non-adaptive and
    residual-based adaptive sampling for PINNs").

    At each redraw: ``candidates`` * n uniform candidates x_j, their errors e_j = |r(x_j)|
    with the current fields, then n of them without replacement with probability
    p_j proportional to e_j^k / mean(e^k) + c (:func:`rard_probabilities`). k = 0 or a large c
    give uniform sampling; c = 0 samples only where the residual is large. Cost per redraw: one
    residual evaluation (no backward) on the candidates.
    """

    def __init__(self, k: float = 1.0, c: float = 1.0, candidates: int = 4, terms=None):
        self.k = check_number(k, "RARD k", low=0)
        self.c = check_number(c, "RARD c", low=0)
        self.candidates = check_int(candidates, "RARD candidates (candidate points per training point)", minimum=1)
        super().__init__(terms)

    def settings(self):
        return {"scheme": "RARD", "k": self.k, "c": self.c, "candidates": self.candidates,
                "terms": list(self.terms) if self.terms else None}

    def draw(self, population, region, n, generator, evaluate, observed):
        pool = region.sample(self.candidates * n, generator)
        probabilities = rard_probabilities(evaluate(pool), self.k, self.c)
        return take(pool, torch.multinomial(probabilities, n, replacement=False, generator=generator))
