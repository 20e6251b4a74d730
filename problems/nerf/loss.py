"""Rendering a batch of rays through the coarse and fine fields, and the photometric loss.

:func:`render_batch` renders rays (R) with :func:`~pinnfield.problems.nerf.render.render_rays`:
n_coarse stratified samples through the coarse field, n_fine more by inverse CDF of the
coarse weights, all n_coarse + n_fine through the fine field. With an occupancy grid on the fine
field, [near, far] is first shrunk to the occupied span of each ray and rays that meet no
occupied cell (or miss the box, near = far) take the background colour without any field
evaluation (:meth:`~pinnfield.problems.nerf.occupancy.OccupancyGrid.bounds`).

:class:`Photometric` is the loss of Mildenhall et al. (2020, eq. 6) as a pinnfield callable
residual: L = mean_r |C_coarse(r) - C(r)|^2 / 3 + mean_r |C_fine(r) - C(r)|^2 / 3 over the batch's
rays (the mean squared error over rays and channels of each head).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .render import render_rays

__all__ = ["RenderSettings", "RenderedBatch", "render_batch", "Photometric", "COARSE", "FINE"]

COARSE, FINE = "sigma_c", "sigma"
"""Names of the coarse and fine fields' density outputs, the keys the loss looks them up by."""


@dataclass(frozen=True)
class RenderSettings:
    """Samples per ray (``n_coarse`` stratified, ``n_fine`` importance), background RGB, rays per chunk."""

    n_coarse: int
    n_fine: int
    background: tuple[float, float, float] = (1.0, 1.0, 1.0)
    chunk: int = 4096


@dataclass(frozen=True)
class RenderedBatch:
    """rgb (R, 3) of the fine head (the coarse one when n_fine = 0), rgb_coarse (R, 3), depth (R,):
    expected ray distance given termination, sum w t / sum w (``far`` where nothing is hit),
    opacity (R,) and hit (R,) bool: the rays the field was evaluated on."""

    rgb: torch.Tensor
    rgb_coarse: torch.Tensor
    depth: torch.Tensor
    opacity: torch.Tensor
    hit: torch.Tensor


def _cell(field) -> float:
    """World side of one occupancy cell: the box's mean side / r."""
    return float((2.0 / field.input_scale[:3]).mean()) / field.grid.resolution


def render_batch(coarse, fine, origins: torch.Tensor, directions: torch.Tensor, near: torch.Tensor,
                 far: torch.Tensor, settings: RenderSettings, *, jitter: bool = True,
                 generator: torch.Generator | None = None) -> RenderedBatch:
    """Render rays (origins, unit directions (R, 3), near, far (R,)) through ``coarse`` and ``fine``
    (:class:`~pinnfield.problems.nerf.model.NeRFField`); see the module docstring."""
    count = origins.shape[0]
    hit = far > near
    if fine.grid is not None:
        scale = fine.input_scale[:3]
        near, far, hit = fine.grid.bounds(fine.to_unit(origins), directions * scale, near, far)
    background = torch.as_tensor(settings.background, dtype=origins.dtype, device=origins.device)
    rgb = background.expand(count, 3)
    rgb_coarse, depth, opacity = rgb, far, torch.zeros_like(far)
    rows = hit.nonzero()[:, 0]
    if rows.numel():
        rendered = render_rays(coarse.radiance, origins[rows], directions[rows], near[rows], far[rows],
                               n_coarse=settings.n_coarse, n_fine=settings.n_fine, fine_fn=fine.radiance,
                               jitter=jitter, background=background, chunk=settings.chunk, generator=generator)
        final = rendered.final
        rgb = rgb.index_put((rows,), final.rgb)
        rgb_coarse = rgb_coarse.index_put((rows,), rendered.coarse.rgb)
        seen = final.opacity > 1e-6
        mean_depth = torch.where(seen, final.depth / final.opacity.clamp_min(1e-6), far[rows])
        depth = depth.index_put((rows,), mean_depth.to(depth.dtype))
        opacity = opacity.index_put((rows,), final.opacity.to(opacity.dtype))
    return RenderedBatch(rgb, rgb_coarse, depth, opacity, hit)


class Photometric:
    """``residual(fields, batch) -> scalar``: MSE(coarse) + MSE(fine) on a batch of
    :class:`~pinnfield.problems.nerf.region.Rays` (see the module docstring).

    ``fields`` maps field names to networks: the coarse field under ``"sigma_c"``, the fine one
    under ``"sigma"`` (alone when n_fine = 0: it then renders the coarse samples). Each call is one training step: it advances the fine field's occupancy grid
    (:meth:`~pinnfield.problems.nerf.occupancy.OccupancyGrid.tick`) before rendering. The sample
    jitter is drawn from a generator seeded by the batch's ``seed`` column.
    """

    def __init__(self, settings: RenderSettings):
        self.settings = settings

    def __call__(self, fields, batch) -> torch.Tensor:
        points, data = batch
        fine = fields[FINE]
        coarse = fields.get(COARSE, fine)
        if fine.grid is not None:
            fine.grid.tick(fine.density_at_unit, _cell(fine))
        generator = torch.Generator(device=points.device).manual_seed(int(data["seed"][0]))
        out = render_batch(coarse, fine, points[:, :3], points[:, 3:], data["near"], data["far"], self.settings,
                           generator=generator)
        target = torch.stack((data["r"], data["g"], data["b"]), dim=-1)
        loss = torch.mean((out.rgb - target) ** 2)
        if self.settings.n_fine:
            loss = loss + torch.mean((out.rgb_coarse - target) ** 2)
        return loss

    def __repr__(self) -> str:
        s = self.settings
        return f"Photometric(n_coarse={s.n_coarse}, n_fine={s.n_fine})"
