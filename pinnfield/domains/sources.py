"""The random numbers every region draws from, and maps of them to directions and counts.

All randomness comes from one ``torch.Generator``: :class:`Source` turns it into streams of
numbers in [0, 1)^k, i.i.d. uniform (``"uniform"``) or scrambled Sobol (``"sobol"``). The same
generator state gives the same numbers.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np
import torch
from scipy.stats import qmc

__all__ = ["Source", "allocate", "sphere_columns", "sphere_directions"]


class Source:
    """Numbers in [0, 1)^k driven by one ``torch.Generator``.

    ``stream(k)`` returns ``draw(m) -> (m, k)`` float64 tensor. ``"uniform"``: i.i.d. numbers from
    ``torch.rand``. ``"sobol"``: one scrambled Sobol sequence per stream, its seed drawn from the
    generator; successive ``draw`` calls continue the sequence (top-ups of rejection samplers).
    Each draw's rows come in a random order: the i-th points of two scrambled Sobol sequences
    share their digit structure, so two streams read in lock-step (the space and the time of a
    space-time region) would put all points near one diagonal. Permuted, they pair at random,
    each stream keeping its own even spread.
    """

    def __init__(self, generator: torch.Generator, method: str):
        self.generator = generator
        self.method = method

    def stream(self, k: int) -> Callable[[int], torch.Tensor]:
        """A function ``draw(m)`` returning the next (m, k) float64 numbers of a new stream."""
        if k == 0:
            return lambda m: torch.zeros(m, 0, dtype=torch.float64)
        if self.method == "uniform":
            return lambda m: torch.rand(m, k, generator=self.generator, dtype=torch.float64, device="cpu")
        seed = int(torch.randint(0, 2**62, (1,), generator=self.generator, device="cpu"))
        engine = qmc.Sobol(k, scramble=True, seed=seed)

        def draw(m: int) -> torch.Tensor:
            with warnings.catch_warnings():  # n need not be a power of 2 here
                warnings.filterwarnings("ignore", message=".*balance properties.*")
                rows = torch.from_numpy(engine.random(m))
            return rows[self.permutation(m)]

        return draw

    def permutation(self, m: int) -> torch.Tensor:
        """A random permutation of ``range(m)``."""
        return torch.randperm(m, generator=self.generator, device="cpu")


def allocate(m: int, weights: np.ndarray) -> list[int]:
    """Split ``m`` into integer counts proportional to ``weights`` (largest remainders)."""
    share = m * weights / weights.sum()
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: m - counts.sum()]] += 1
    return counts.tolist()


def sphere_columns(d: int) -> int:
    """Uniform numbers :func:`sphere_directions` needs per direction in d dimensions."""
    return {1: 1, 2: 1, 3: 2}.get(d, d)


def sphere_directions(u: torch.Tensor, d: int) -> torch.Tensor:
    """Map (m, sphere_columns(d)) uniforms to (m, d) unit vectors uniform on the sphere S^(d-1).

    d = 1: the sign; d = 2: angle 2 pi u; d = 3: Archimedes (z = 1 - 2 u0, phi = 2 pi u1);
    d >= 4: normalised Gaussians (inverse normal CDF of the uniforms).
    """
    if d == 1:
        return 2 * (u[:, :1] >= 0.5).to(torch.float64) - 1
    if d == 2:
        theta = 2 * math.pi * u[:, 0]
        return torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)
    if d == 3:
        z = 1 - 2 * u[:, 0]
        phi = 2 * math.pi * u[:, 1]
        s = torch.sqrt(torch.clamp(1 - z * z, min=0.0))
        return torch.stack([s * torch.cos(phi), s * torch.sin(phi), z], dim=1)
    g = torch.special.ndtri(u.clamp(1e-15, 1 - 1e-15))
    norm = g.norm(dim=1, keepdim=True)
    g[norm[:, 0] == 0, 0] = 1.0
    return g / g.norm(dim=1, keepdim=True)
