"""Weights from the traces of the neural tangent kernel (Wang, Yu & Perdikaris 2022)."""

from __future__ import annotations

import math

import torch

from ...errors import check_int, check_number
from .base import AbstractWeighting

__all__ = ["NTK", "ntk_traces"]


def ntk_traces(residuals: list, variables: list[torch.Tensor]) -> list[float | None]:
    """Per term, the mean over the entries of its residual (any shape) of |d r_p / d theta|^2,
    theta the ``variables``; None for a term given as None or with no dependence on theta."""
    traces = []
    for residual in residuals:
        if residual is None or not residual.requires_grad or residual.numel() == 0:
            traces.append(None)
            continue
        entries = residual.reshape(-1)
        total = torch.zeros((), dtype=torch.float64, device=residual.device)
        for p in range(entries.numel()):
            grads = torch.autograd.grad(entries[p], variables, retain_graph=True, allow_unused=True)
            for g in grads:
                if g is not None:
                    total += torch.sum(g.detach().double() ** 2)
        trace = float(total) / entries.numel()
        traces.append(trace if trace > 0 and math.isfinite(trace) else None)
    return traces


class NTK(AbstractWeighting):
    """Weights from the traces of the neural tangent kernel.

    The kernel's diagonal block of term i on its points x_1 .. x_n is K_i = J_i J_i^T, J_i the
    (n, P) Jacobian of the term's residual r_i with respect to all P trainable variables theta.
    Its trace per point, estimated on the first ``points`` entries of the term's current batch
    with one exact gradient per entry,

        t_i = (1/m) sum_{p <= m} |d r_i(x_p) / d theta|^2,

    sets lambda_hat_i = (sum_j t_j) / t_i, so that every term's weighted kernel lambda_i K_i has
    the same trace. Every ``every`` first-order steps and at the start of every L-BFGS round:

        lambda_i <- alpha lambda_i + (1 - alpha) lambda_hat_i    (lambda_i = lambda_hat_i the first time).

    The lambdas replace the constraints' weights, which hold until the first update. A term
    without a residual (a loss function of its own) or whose residual does not depend on theta
    keeps its weight and is left out of the sum. Cost per update: one extra forward on m points
    and m backward passes per term.
    """

    def __init__(self, every: int = 100, alpha: float = 0.9, points: int = 32):
        self.every = check_int(every, "NTK every (steps between updates)", minimum=1)
        self.points = check_int(points, "NTK points (residual entries per term whose gradients estimate the "
                                "kernel trace)", minimum=1)
        self.alpha = check_number(alpha, "NTK alpha", low=0, high=1)

    def settings(self) -> dict:
        return {"scheme": "NTK", "every": self.every, "alpha": self.alpha, "points": self.points}

    def init(self, names, weights, seed):
        return {"weights": list(weights), "updated": False}

    def update(self, state, step, losses, view):
        return self.refresh(state, view) if step % self.every == 0 else state

    def refresh(self, state, view):
        traces = ntk_traces(view.probe(self.points), view.variables)
        traces = [None if t is None else float(view.average(torch.tensor(t, dtype=torch.float64))) for t in traces]
        total = sum(t for t in traces if t is not None)
        alpha = self.alpha if state["updated"] else 0.0
        weights = list(state["weights"])
        for i, trace in enumerate(traces):
            if trace is not None:
                weights[i] = alpha * weights[i] + (1 - alpha) * total / trace
        return {"weights": weights, "updated": state["updated"] or any(t is not None for t in traces)}
