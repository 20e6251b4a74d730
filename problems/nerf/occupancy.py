"""Occupancy grid for empty-space skipping (after nerfacc's ``OccupancyGrid``, Li et al. 2023).

The field's box, in its unit coordinates p in [-1, 1]^3, is cut into r^3 equal cells. Cell c
keeps ``values[c]``, a running maximum of the optical thickness sigma(p) h of one cell (h: the
cell's world side) at jittered points p of the cell: at an update every cell is probed at one
uniform point and values <- max(decay values, sigma h). -1 marks a cell never probed. A cell
is occupied when it was never probed or 1 - exp(-values) > ``threshold`` (it would absorb more
than that fraction of light), and the occupied set is dilated by one cell, so that a surface
between two probes is not cut.

Skipping: :meth:`OccupancyGrid.bounds` marches each ray at 2 r points between its near and far,
and shrinks [near, far] to the span from the first to the last occupied point, padded by one
step; rays that meet no occupied cell are misses, rendered as pure background without evaluating
the field. Samples then concentrate where the scene is.

Measured on the 100 x 100 bunny at equal wall time (one core, about 105 s, 64 x 3 fields,
1024 rays, Nc = Nf = 32): with a 32^3 grid 0.10 s a step, 1,000 steps, 26.0 dB val PSNR; without
it 0.27 s a step, 400 steps, 22.8 dB.

Training updates the grid itself: the photometric loss calls :meth:`OccupancyGrid.tick` once a
step; the grid counts steps in a buffer and updates at step ``warmup`` and every ``every`` steps
after, with jitter seeded by the step count, so a checkpoint holds the grid and a resumed run
repeats an uninterrupted one.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["OccupancyGrid", "GRID_CHUNK"]

GRID_CHUNK = 65536
"""Cells probed per field evaluation in an update."""


class OccupancyGrid(nn.Module):
    """An r^3 occupancy grid over [-1, 1]^3 (buffers ``values`` (r, r, r) and ``steps`` ()).

    ``threshold``: absorbed fraction above which a cell counts as occupied. ``decay``: factor on
    the running maximum per update. ``every``, ``warmup``: update schedule in training steps
    (before ``warmup`` every cell counts as occupied).
    """

    def __init__(self, resolution: int, *, threshold: float = 0.01, decay: float = 0.95, every: int = 16,
                 warmup: int = 64):
        super().__init__()
        self.resolution = int(resolution)
        self.level = -math.log1p(-threshold)
        self.decay, self.every, self.warmup = float(decay), int(every), int(warmup)
        self.register_buffer("values", torch.full((resolution,) * 3, -1.0))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def reset(self) -> None:
        """Forget every probe: all cells occupied, step count 0."""
        self.values.fill_(-1.0)
        self.steps.zero_()

    def occupied(self) -> torch.Tensor:
        """Bool (r, r, r): cells that may hold matter, dilated by one cell."""
        occupied = (self.values < 0) | (self.values > self.level)
        dilated = F.max_pool3d(occupied[None, None].to(self.values.dtype), 3, stride=1, padding=1)
        return dilated[0, 0] > 0

    def fraction(self) -> float:
        """Fraction of the cells that are occupied."""
        return float(self.occupied().float().mean())

    def tick(self, density_at_unit, cell: float) -> bool:
        """Count one training step; update (see :meth:`update`) when one is due. True if it updated."""
        self.steps += 1
        step = int(self.steps)
        if step < self.warmup or (step - self.warmup) % self.every:
            return False
        generator = torch.Generator(device=self.values.device).manual_seed(step)
        self.update(density_at_unit, cell, generator)
        return True

    @torch.no_grad()
    def update(self, density_at_unit, cell: float, generator: torch.Generator | None = None) -> None:
        """Probe every cell once: ``density_at_unit(p (M, 3)) -> sigma (M,)`` at a uniform point p of
        each cell; ``cell`` the world side h of a cell."""
        r = self.resolution
        index = torch.arange(r ** 3, device=self.values.device)
        cells = torch.stack((index // (r * r), (index // r) % r, index % r), dim=-1).to(self.values.dtype)
        jitter = torch.rand(cells.shape, generator=generator, device=self.values.device, dtype=self.values.dtype)
        points = (cells + jitter) * (2.0 / r) - 1.0
        probed = torch.cat([density_at_unit(points[s:s + GRID_CHUNK]).to(self.values.dtype)
                            for s in range(0, points.shape[0], GRID_CHUNK)]) * cell
        probed = probed.reshape(r, r, r)
        self.values.copy_(torch.where(self.values < 0, probed, torch.maximum(self.values * self.decay, probed)))

    @torch.no_grad()
    def bounds(self, p_origins: torch.Tensor, p_directions: torch.Tensor, near: torch.Tensor, far: torch.Tensor):
        """Tightened (near (R,), far (R,), hit (R,) bool) of rays p_o + t p_d in unit coordinates.

        ``p_origins``, ``p_directions`` (R, 3): the rays mapped into the box's unit coordinates (t is
        still the world ray distance); ``near``, ``far`` (R,). Where ``hit`` is False, near = far.
        """
        samples = 2 * self.resolution
        count = near.shape[0]
        step = (far - near) / samples
        t = near[:, None] + step[:, None] * (torch.arange(samples, device=near.device, dtype=near.dtype) + 0.5)
        p = p_origins[:, None, :] + t[..., None] * p_directions[:, None, :]
        inside = (p.abs() <= 1).all(dim=-1)
        cells = ((p + 1) * (0.5 * self.resolution)).long().clamp(0, self.resolution - 1)
        flat = (cells[..., 0] * self.resolution + cells[..., 1]) * self.resolution + cells[..., 2]
        occupied = self.occupied().reshape(-1)[flat] & inside & (far > near)[:, None]
        hit = occupied.any(dim=-1)
        k = torch.arange(samples, device=near.device)
        first = torch.where(occupied, k, samples).min(dim=-1).values
        last = torch.where(occupied, k, -1).max(dim=-1).values
        new_near = torch.maximum(near, near + (first - 1).to(near.dtype) * step)
        new_far = torch.minimum(far, near + (last + 2).to(near.dtype) * step)
        new_near = torch.where(hit, new_near, far)
        new_far = torch.where(hit, new_far, far)
        return new_near, new_far, hit[:count]
