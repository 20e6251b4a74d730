"""Evaluating a trained NeRF: whole-view renders, image and depth metrics, orbit cameras, density grid.

* :func:`render_views`: every pixel of every view through the trained fields (no jitter), in
  chunks of rays, as numpy arrays: rgb and rgb_coarse (N, H, W, 3), depth and opacity (N, H, W).
* :func:`image_metrics`: PSNR 10 log10(1 / MSE) (data range 1) and SSIM
  (:func:`pinnfield.metrics.ssim`) per image.
* :func:`depth_errors`: median |depth - true depth| over the covered pixels (true depth finite)
  of each view and of all views together.
* :func:`orbit_poses`: cameras on a circle about the views' mean up axis through the origin, at
  their mean distance and elevation, looking at the origin.
* :func:`density_grid`: the rendered density sigma(x) (zero in cells the occupancy grid skips) on
  a regular grid of the scene box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from pinnfield.metrics import ssim

from .views import Views
from .loss import COARSE, FINE, RenderSettings, render_batch
from .region import Rays
from .scenes import look_at

__all__ = ["Renders", "fields_of", "render_views", "image_metrics", "depth_errors", "orbit_poses", "density_grid"]


@dataclass
class Renders:
    """rgb, rgb_coarse (N, H, W, 3) in [0, 1]; depth (N, H, W) ray distance (far where nothing is
    hit); opacity (N, H, W)."""

    rgb: np.ndarray
    rgb_coarse: np.ndarray
    depth: np.ndarray
    opacity: np.ndarray


def fields_of(solution):
    """(coarse, fine) fields of a NeRF solution (the fine field twice when there is no coarse one)."""
    names = {str(f.func): f for f in solution.slots}
    fine = solution.modules[solution.slots[names[FINE]].module]
    coarse = solution.modules[solution.slots[names[COARSE]].module] if COARSE in names else fine
    return coarse, fine


@torch.no_grad()
def render_views(coarse, fine, views: Views, *, near: float, far: float, lower, upper,
                 settings: RenderSettings) -> Renders:
    """Render every pixel of ``views`` (see the module docstring) on the fields' device and dtype."""
    parameter = next(fine.parameters())
    region = Rays(views, near=near, far=far, lower=lower, upper=upper)
    parts = []
    for start in range(0, len(region), settings.chunk):
        batch = region.rays(torch.arange(start, min(start + settings.chunk, len(region))), parameter.dtype)
        points = batch.points.to(parameter.device)
        data = {k: v.to(parameter.device) for k, v in batch.data.items()}
        out = render_batch(coarse, fine, points[:, :3], points[:, 3:], data["near"], data["far"], settings,
                           jitter=False)
        parts.append([t.double().cpu().numpy() for t in (out.rgb, out.rgb_coarse, out.depth, out.opacity)])
    shape = (len(views), views.height, views.width)
    rgb, rgb_coarse, depth, opacity = (np.concatenate(column) for column in zip(*parts))
    return Renders(np.clip(rgb.reshape(shape + (3,)), 0, 1), np.clip(rgb_coarse.reshape(shape + (3,)), 0, 1),
                   depth.reshape(shape), opacity.reshape(shape))


def image_metrics(images: np.ndarray, targets: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-image PSNR (dB, data range 1) and SSIM of images against targets (N, H, W, 3)."""
    psnrs, ssims = [], []
    for image, target in zip(images, targets):
        mse = float(np.mean((image - target) ** 2))
        psnrs.append(float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse)))
        ssims.append(ssim(image, target, data_range=1.0))
    return psnrs, ssims


def depth_errors(depth: np.ndarray, truth: np.ndarray) -> tuple[float, list[float]]:
    """(median over all covered pixels, per-view medians) of |depth - truth| (N, H, W); a view
    with no covered pixel has NaN."""
    covered = np.isfinite(truth)
    error = np.abs(depth - np.where(covered, truth, 0.0))
    per_view = [float(np.median(e[c])) if c.any() else float("nan") for e, c in zip(error, covered)]
    overall = float(np.median(error[covered])) if covered.any() else float("nan")
    return overall, per_view


def orbit_poses(c2w: np.ndarray, frames: int) -> np.ndarray:
    """(frames, 4, 4) OpenGL c2w on a circle about the origin (see the module docstring) from the
    cameras ``c2w`` (N, 4, 4)."""
    positions = c2w[:, :3, 3]
    up = c2w[:, :3, 1].mean(axis=0)
    up = up / np.linalg.norm(up) if np.linalg.norm(up) > 1e-9 else np.array([0.0, 0.0, 1.0])
    radius = float(np.linalg.norm(positions, axis=1).mean())
    height = float(np.clip((positions @ up / np.linalg.norm(positions, axis=1)).mean(), -0.95, 0.95))
    seed = np.eye(3)[int(np.argmin(np.abs(up)))]
    e1 = np.cross(up, seed)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(up, e1)
    angles = np.linspace(0.0, 2 * np.pi, frames, endpoint=False)
    ring = np.sqrt(1 - height ** 2)
    return np.stack([look_at(radius * (ring * (np.cos(a) * e1 + np.sin(a) * e2) + height * up), up=up)
                     for a in angles])


@torch.no_grad()
def density_grid(fine, lower, upper, resolution: int, chunk: int = 65536) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Node axes (3 arrays of ``resolution``) of the box [lower, upper] and the rendered density
    (resolution,) * 3 at the nodes: sigma, zero where the occupancy grid marks the cell empty."""
    parameter = next(fine.parameters())
    axes = tuple(np.linspace(lo, hi, resolution) for lo, hi in zip(lower, upper))
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    points = torch.as_tensor(mesh, dtype=parameter.dtype, device=parameter.device)
    values = []
    occupied = fine.grid.occupied() if fine.grid is not None else None
    for start in range(0, points.shape[0], chunk):
        x = points[start:start + chunk]
        sigma = fine.density(x)
        if occupied is not None:
            r = fine.grid.resolution
            cells = ((fine.to_unit(x) + 1) * (0.5 * r)).long().clamp(0, r - 1)
            sigma = sigma * occupied[cells[:, 0], cells[:, 1], cells[:, 2]]
        values.append(sigma.double().cpu().numpy())
    return axes, np.concatenate(values).reshape((resolution,) * 3)
