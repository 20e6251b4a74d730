"""Random training rays of posed views as a pinnfield sampling region.

:class:`Rays` holds the training images and cameras of a :class:`~pinnfield.problems.nerf.views.Views`.
``sample(n, generator)`` draws n pixels uniformly over all views (with replacement) and returns a
:class:`pinnfield.domains.Batch`:

* ``points`` (n, 6): the ray origin o (x, y, z) and unit direction d (d_x, d_y, d_z), through the
  pixel's centre (:func:`~pinnfield.problems.nerf.rays.rays_for`);
* data ``r``, ``g``, ``b`` (n,): the pixel's colour (composited on the views' background);
  ``near``, ``far`` (n,): the ray's [near, far] cut to the scene box by :func:`clip_to_box`
  (near = far for a ray that misses the box); ``seed`` (n,): one integer in [0, 2^24) for the
  whole batch, the seed of its sample jitter (exact in float32), so that a run is reproducible
  from fit's seed and resumable.

``bounds()`` is the box of the field's inputs: the scene box for (x, y, z) and [-1, 1] for the
direction, which :func:`pinnfield.fit` maps onto [-1, 1]^6 for the field.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from pinnfield.domains import AbstractRegion, Batch
from pinnfield.domains.checks import check_generator, check_method, check_n

from .views import Views
from .rays import rays_for

__all__ = ["Rays", "COORDS", "DATA", "clip_to_box", "SEED_RANGE"]

COORDS = sp.symbols("x y z d_x d_y d_z")
"""Coordinates of a ray batch: origin, then unit direction."""

DATA = ("r", "g", "b", "near", "far", "seed")
SEED_RANGE = 2 ** 24


def clip_to_box(origins: torch.Tensor, directions: torch.Tensor, near, far, lower, upper):
    """[near, far] of rays o + t d (origins, directions (R, 3)) cut to the box [lower, upper] (3,).

    Slab method: t in [max_k min(a_k, b_k), min_k max(a_k, b_k)] with a_k = (lower_k - o_k) / d_k,
    b_k = (upper_k - o_k) / d_k. Returns (near (R,), far (R,)); near = far where the ray misses.
    """
    lower = torch.as_tensor(lower, dtype=origins.dtype, device=origins.device)
    upper = torch.as_tensor(upper, dtype=origins.dtype, device=origins.device)
    tiny = torch.finfo(directions.dtype).tiny
    safe = torch.where(directions.abs() < tiny, torch.full_like(directions, tiny), directions)
    a, b = (lower - origins) / safe, (upper - origins) / safe
    enter = torch.minimum(a, b).amax(dim=-1)
    leave = torch.maximum(a, b).amin(dim=-1)
    near = torch.maximum(torch.as_tensor(near, dtype=origins.dtype, device=origins.device).expand_as(enter), enter)
    far = torch.minimum(torch.as_tensor(far, dtype=origins.dtype, device=origins.device).expand_as(leave), leave)
    return torch.minimum(near, far), far


class Rays(AbstractRegion):
    """The rays through every pixel of ``views``, [near, far] cut to the box [lower, upper] (3,)."""

    coords = COORDS
    data_names = DATA

    def __init__(self, views: Views, *, near: float, far: float, lower, upper):
        self.views = views
        self.near, self.far = float(near), float(far)
        self.lower = np.asarray(lower, dtype=np.float64)
        self.upper = np.asarray(upper, dtype=np.float64)
        self.colours = torch.from_numpy(np.ascontiguousarray(views.images, dtype=np.float32)).reshape(-1, 3)
        self.c2w = torch.from_numpy(np.asarray(views.c2w, dtype=np.float64))
        self.pixels = views.width * views.height

    def __len__(self) -> int:
        return int(self.colours.shape[0])

    def __repr__(self) -> str:
        v = self.views
        return f"Rays({len(v)} views of {v.width} x {v.height}, near={self.near:g}, far={self.far:g})"

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Box of the field's inputs: the scene box for the point, [-1, 1] for the direction."""
        return np.concatenate([self.lower, -np.ones(3)]), np.concatenate([self.upper, np.ones(3)])

    def rays(self, index: torch.Tensor, dtype=torch.float64) -> Batch:
        """The rays of flat pixel indices ``index`` (n,) (view k, row i, column j at k H W + i W + j)."""
        camera = torch.div(index, self.pixels, rounding_mode="floor")
        pixel = index % self.pixels
        v = self.views
        origins, directions = rays_for(self.c2w, camera, pixel, v.width, v.height, v.fx, v.fy, v.cx, v.cy)
        near, far = clip_to_box(origins, directions, self.near, self.far, self.lower, self.upper)
        colour = self.colours[index].to(torch.float64)
        data = {"r": colour[:, 0], "g": colour[:, 1], "b": colour[:, 2], "near": near, "far": far}
        return Batch(torch.cat((origins, directions), dim=-1).to(dtype), {k: c.to(dtype) for k, c in data.items()})

    def sample(self, n: int, generator: torch.Generator, *, method: str = "uniform", dtype=torch.float64) -> Batch:
        """n rays of uniformly drawn pixels (with replacement) and a batch seed; ``method`` is accepted
        for uniformity (pixels are always drawn i.i.d.)."""
        n = check_n(n, self)
        check_method(method, self)
        generator = check_generator(generator, self)
        index = torch.randint(0, len(self), (n,), generator=generator, device="cpu")
        seed = torch.randint(0, SEED_RANGE, (1,), generator=generator, device="cpu").to(dtype).expand(n)
        batch = self.rays(index, dtype)
        return Batch(batch.points, {**batch.data, "seed": seed})
