"""Causal weighting inside a term's loss (Wang, Sankaran and Perdikaris 2022; see :class:`pinnfield.Causal`)."""

from __future__ import annotations

import sympy as sp
import torch

__all__ = ["CausalLoss"]


class CausalLoss:
    """mean_i w_i L_i over slabs of ``along``, w_i = exp(-epsilon sum_{k<i} L_k).

    ``constraint.causal`` holds the settings; ``coords`` are the problem's coordinates, the
    columns of the points. :meth:`__call__` maps (N,) per-point losses at points (N, d) to the
    term's loss; :meth:`freeze` holds the slab weights of one batch fixed (an L-BFGS round).
    """

    RANGE_SAMPLES = 16384
    """Points of the region on which the range of a non-coordinate ``along`` is measured."""

    def __init__(self, constraint, coords):
        settings = constraint.causal
        coords = tuple(coords)
        region_coords = tuple(constraint.on.coords)
        if settings.along in coords:
            column = coords.index(settings.along)
            self.along = lambda points: points[:, column]
            lower, upper = constraint.on.bounds()
            axis = region_coords.index(settings.along)
            low, high = float(lower[axis]), float(upper[axis])
        else:
            expression = sp.lambdify(coords, settings.along, "torch")
            self.along = lambda points: expression(*points.T)
            sample = constraint.on.sample(self.RANGE_SAMPLES, torch.Generator().manual_seed(0)).points
            values = torch.as_tensor(sp.lambdify(region_coords, settings.along, "torch")(*sample.T))
            low, high = float(values.min()), float(values.max())
        self.start, self.span = low, max(high - low, 1e-12)
        self.chunks, self.epsilon = settings.chunks, settings.epsilon
        self.frozen: torch.Tensor | None = None

    def slab_losses(self, pointwise: torch.Tensor, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(chunks,) mean per-point loss of each slab and (chunks,) whether it holds points."""
        slab = ((self.along(points).detach() - self.start) / self.span * self.chunks).long().clamp(0, self.chunks - 1)
        sums = torch.zeros(self.chunks, dtype=pointwise.dtype, device=pointwise.device).index_add(0, slab, pointwise)
        counts = torch.bincount(slab, minlength=self.chunks).to(pointwise.dtype)
        return sums / counts.clamp(min=1), counts > 0

    def weights(self, slab_losses: torch.Tensor, filled: torch.Tensor) -> torch.Tensor:
        """(chunks,) w_i = exp(-epsilon sum_{k<i} L_k), zero for an empty slab (held constant)."""
        earlier = torch.cumsum(slab_losses.detach(), 0) - slab_losses.detach()
        return torch.exp(-self.epsilon * earlier) * filled

    def __call__(self, pointwise: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        slab_losses, filled = self.slab_losses(pointwise, points)
        weights = self.weights(slab_losses, filled) if self.frozen is None else self.frozen
        return torch.sum(weights * slab_losses) / torch.clamp(torch.sum(filled), min=1)

    def freeze(self, pointwise: torch.Tensor, points: torch.Tensor) -> None:
        """Hold the slab weights of this batch fixed until the next freeze: for an L-BFGS round,
        whose line search would otherwise lower the loss by letting the early slabs' losses grow
        and so switching the later slabs off."""
        self.frozen = self.weights(*self.slab_losses(pointwise.detach(), points))
