"""Learning-rate annealing (Wang, Teng & Perdikaris 2021, Algorithm 1)."""

from __future__ import annotations

import math

import torch

from ...errors import OptionError, check_int, check_number
from .base import AbstractWeighting

__all__ = ["LRA", "lra_estimate"]


def lra_estimate(reference_grads, term_grads) -> float | None:
    """max |g_r| / mean |g_i| over every entry of the gradient lists (None entries are zeros);
    None when either is zero or not finite."""
    top = max((float(g.abs().max()) for g in reference_grads if g is not None and g.numel()), default=0.0)
    count = sum(g.numel() for g in term_grads if g is not None)
    mean = sum(float(g.abs().sum()) for g in term_grads if g is not None) / max(count, 1)
    if not (top > 0 and mean > 0 and math.isfinite(top) and math.isfinite(mean)):
        return None
    return top / mean


class LRA(AbstractWeighting):
    """Learning-rate annealing.

    Every ``every`` steps, with theta all trainable variables, r the ``reference`` term
    (default: the first constraint, conventionally the PDE residual) and w_r its weight, each
    other term's weight moves towards the ratio of gradient statistics:

        lambda_hat_i = max_theta |grad_theta (w_r L_r)| / mean_theta |grad_theta L_i|,
        lambda_i <- (1 - alpha) lambda_i + alpha lambda_hat_i.

    lambda_i starts at the constraint's weight; lambda_r stays w_r. One extra backward pass
    per term on the update steps. A term whose gradient is zero keeps its weight.
    """

    def __init__(self, alpha: float = 0.9, every: int = 10, reference: str | None = None):
        self.alpha = check_number(alpha, "LRA alpha", low=0, high=1, low_open=True)
        self.every = check_int(every, "LRA every (steps between updates)", minimum=1)
        if reference is not None and not isinstance(reference, str):
            raise OptionError(f"LRA reference must be a term name or None; received {reference!r}.")
        self.reference = reference

    def settings(self) -> dict:
        return {"scheme": "LRA", "alpha": self.alpha, "every": self.every, "reference": self.reference}

    def init(self, names, weights, seed):
        reference = self.reference if self.reference is not None else names[0]
        if reference not in names:
            raise OptionError(f"LRA reference={reference!r} is not a term; the terms are {names}.")
        return {"weights": list(weights), "reference": names.index(reference)}

    def update(self, state, step, losses, view):
        r = state["reference"]
        if step % self.every or not losses[r].requires_grad:
            return state
        weights = list(state["weights"])
        grads = _gradients(weights[r] * losses[r], view)
        for i, loss in enumerate(losses):
            if i != r and loss.requires_grad:
                estimate = lra_estimate(grads, _gradients(loss, view))
                if estimate is not None:
                    weights[i] = (1 - self.alpha) * weights[i] + self.alpha * estimate
        return {**state, "weights": weights}


def _gradients(loss: torch.Tensor, view) -> list:
    grads = torch.autograd.grad(loss, view.variables, retain_graph=True, allow_unused=True)
    return [None if g is None else view.average(g) for g in grads]
