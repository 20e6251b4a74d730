"""Relative loss balancing with random lookback (Bischof & Kraus 2021)."""

from __future__ import annotations

import numpy as np
import torch

from ...errors import check_number
from .base import AbstractWeighting

__all__ = ["ReLoBRaLo", "relobralo_step"]


def relobralo_step(lambdas: torch.Tensor, losses: torch.Tensor, previous: torch.Tensor, initial: torch.Tensor,
                   alpha: float, temperature: float, rho: float) -> torch.Tensor:
    """One ReLoBRaLo update of the (m,) weights; ``rho`` the Bernoulli draw (0 or 1). Float64."""
    m = losses.numel()
    tiny = torch.finfo(losses.dtype).tiny

    def balance(reference):
        return m * torch.softmax(losses / (temperature * reference + tiny), dim=0)

    return alpha * (rho * lambdas + (1 - rho) * balance(initial)) + (1 - alpha) * balance(previous)


class ReLoBRaLo(AbstractWeighting):
    """Relative loss balancing with random lookback.

    With m terms, L(t) the (m,) unweighted term losses at step t and
    bal(t, t') = m softmax(L(t) / (T L(t'))), each step:

        lambda(t) = alpha [rho lambda(t-1) + (1 - rho) bal(t, 0)] + (1 - alpha) bal(t, t-1),

    rho a Bernoulli draw with mean ``rho`` (seeded from the run's seed), T the ``temperature``,
    lambda(0) = 1. A term whose loss falls more slowly than the others' gains weight; the
    lambdas always sum to m. The weights used are w_i lambda_i (w_i the constraint's weight).
    """

    def __init__(self, alpha: float = 0.999, temperature: float = 0.1, rho: float = 0.999):
        self.alpha = check_number(alpha, "ReLoBRaLo alpha", low=0, high=1)
        self.rho = check_number(rho, "ReLoBRaLo rho", low=0, high=1)
        self.temperature = check_number(temperature, "ReLoBRaLo temperature", low=0, low_open=True)

    def settings(self) -> dict:
        return {"scheme": "ReLoBRaLo", "alpha": self.alpha, "temperature": self.temperature, "rho": self.rho}

    def init(self, names, weights, seed):
        start = np.random.SeedSequence([int(seed), 0x5EED]).generate_state(1, dtype=np.uint64)[0]
        generator = torch.Generator().manual_seed(int(start % (2**63)))
        return {"weights": list(weights), "base": list(weights), "lambdas": torch.ones(len(weights), dtype=torch.float64),
                "initial": None, "previous": None, "generator": generator.get_state()}

    def update(self, state, step, losses, view):
        values = view.average(torch.stack([t.detach().reshape(()) for t in losses])).double().cpu()
        state = dict(state)
        if state["initial"] is None:
            state["initial"] = state["previous"] = values
        else:
            generator = torch.Generator()
            generator.set_state(state["generator"])
            rho = float(torch.rand((), generator=generator, dtype=torch.float64, device="cpu") < self.rho)
            state["generator"] = generator.get_state()
            state["lambdas"] = relobralo_step(state["lambdas"], values, state["previous"], state["initial"],
                                              self.alpha, self.temperature, rho)
            state["previous"] = values
        state["weights"] = (torch.tensor(state["base"], dtype=torch.float64) * state["lambdas"]).tolist()
        return state
