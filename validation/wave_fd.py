"""Finite-difference reference solutions of the wave equation on intervals and rectangles.

Problem: on the box ``B = [a_1, b_1]`` (1-D) or ``[a_1, b_1] x [a_2, b_2]`` (2-D) and the time
interval ``[t0, t1]`` find ``u`` with

    u_tt = c(x)**2 lap(u)   in B,
    u(x, t0) = u0(x),   u_t(x, t0) = v0(x),   u = g(x, t) on the boundary of B,

with a wave speed ``c > 0`` that may vary in space (the non-conservative form ``c**2 lap(u)``).

Grid: ``n_k`` equally spaced nodes per space axis, boundary nodes included,
``h_k = (b_k - a_k) / (n_k - 1)``, and the time step ``dt``. Leapfrog (explicit, central in
time and space) on the interior nodes:

    u^{m+1} = 2 u^m - u^{m-1} + dt**2 c**2 lap_h(u^m),
    lap_h(u)(x) = sum_k (u(x - h_k e_k) - 2 u(x) + u(x + h_k e_k)) / h_k**2,

and the Taylor first step ``u^1 = u^0 + dt v0 + dt**2 / 2 c**2 lap_h(u^0)``; the walls take
``g`` at every time level, ``t0`` included (so a frame-0 wall value is ``g(x, t0)`` even where
``u0`` disagrees with it). Both the scheme and the first step are second order: the nodal
error is ``O(h**2 + dt**2)``, so ``O(h**2)`` at a fixed Courant number.

Time step: the output holds ``frames`` equally spaced times from ``t0`` to ``t1`` inclusive,
frame spacing ``T = (t1 - t0) / (frames - 1)``. The internal step is ``dt = T / m`` with the
smallest integer ``m`` for which ``dt <= cfl * min_k h_k / max c`` (up to a relative 1e-9, so a
ratio that is an integer in exact arithmetic is not rounded up), so every frame is a time
level of the scheme. Leapfrog is stable for ``max c * dt * sqrt(sum_k 1/h_k**2) <= 1``, which
``cfl <= 1/sqrt(d)`` guarantees; ``cfl`` must lie in ``(0, 1/sqrt(d)]``.

Shapes: ``initial(*X)``, ``velocity(*X)`` and a callable ``speed(*X)`` get the ``d`` 'ij'-meshgrid
arrays of all nodes (shape ``(n_1, ..., n_d)``); ``boundary(*X_b, T)`` gets ``d`` flat arrays of
the boundary-node coordinates and an array of the same shape filled with the time, once per
time level. Each returns an array of its arguments' shape or a scalar. The result is a
``WaveFDSolution`` with axes ``(x, t)`` or ``(x, y, t)`` and values of shape
``(n_1, [n_2,] frames)``: space axes first ('ij'), time last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

import numpy as np

from pinnfield.errors import DomainError, check_int
from pinnfield.validation.fd import (
    ORDER, FDSolution, boundary_mask, check_counts, check_grid_box, evaluate_on_grid,
)

__all__ = ["WaveFDSolution", "solve_wave_box"]

_CALLER = "solve_wave_box"


@dataclass(frozen=True, eq=False)
class WaveFDSolution(FDSolution):
    """A space-time finite-difference solution of the wave equation on a uniform grid.

    ``axes``: the space axes then the time axis last, ``(x, t)`` or ``(x, y, t)``; each an
    increasing 1-D array (``axes[-1]`` holds the ``frames`` output times).
    ``values``: array of shape ``(n_x, [n_y,] n_t)``, ``indexing='ij'``, time last;
    ``values[..., j]`` is the solution at time ``axes[-1][j]``, boundary nodes included.
    ``order``: declared order of accuracy in ``h`` and ``dt`` (2).

    ``points()`` gives the ``(M, d + 1)`` space-time nodes in the C order of
    ``values.reshape(-1)``; ``interpolate(points)`` evaluates the tensor interpolant of
    ``FDSolution`` (cubic when every axis has >= 4 nodes, else multilinear) at ``(M, d + 1)``
    space-time points; ``frame(j)`` is the space-only ``FDSolution`` at time ``times[j]``.
    """

    @property
    def space_dim(self) -> int:
        """Number of space dimensions ``d`` (``ndim - 1``)."""
        return len(self.axes) - 1

    @property
    def times(self) -> np.ndarray:
        """The output times, ``axes[-1]``."""
        return self.axes[-1]

    def frame(self, j: int) -> FDSolution:
        """The solution at time ``times[j]`` as an ``FDSolution`` on the space axes."""
        return FDSolution(self.axes[:-1], self.values[..., j], self.order)


def solve_wave_box(
    lower: float | Sequence[float],
    upper: float | Sequence[float],
    n: int | Sequence[int],
    t1: float,
    initial: Callable[..., np.ndarray],
    velocity: Callable[..., np.ndarray] | None = None,
    speed: float | Callable[..., np.ndarray] = 1.0,
    boundary: Callable[..., np.ndarray] | None = None,
    frames: int = 101,
    cfl: float = 0.5,
    t0: float = 0.0,
) -> WaveFDSolution:
    """Solve ``u_tt = c**2 lap(u)`` on the interval or rectangle ``[lower, upper]`` for
    ``t`` in ``[t0, t1]`` by leapfrog.

    ``lower``, ``upper``: floats (1-D) or sequences of length 1 or 2. ``n``: nodes per space
    axis, an int or one per axis (boundary included, each >= 3). ``initial(*X)``: ``u(x, t0)``;
    ``velocity(*X)``: ``u_t(x, t0)`` (default 0); ``speed``: ``c``, a positive float or a callable
    of the space meshgrid arrays, positive and finite on every node; ``boundary(*X_b, T)``: ``u``
    on the walls at time ``T`` (default 0). ``frames`` >= 2 output times, equally spaced from
    ``t0`` to ``t1`` inclusive; ``cfl`` in ``(0, 1/sqrt(d)]`` bounds ``max c * dt / min h``.

    Second-order central differences in space and time, vectorised over the nodes (one numpy
    update per time step); the internal step divides the frame spacing exactly (see the
    module docstring). Nodal error ``O(h**2 + dt**2)`` for a smooth solution.

    Returns ``WaveFDSolution(axes, values, order=2)``: ``axes = (x, [y,] t)`` with ``t`` the
    ``frames`` output times, ``values`` of shape ``(n_1, [n_2,] frames)``, time last.
    """
    lo, hi = check_grid_box(lower, upper, _CALLER, dims=(1, 2))
    counts = check_counts(n, lo.size, _CALLER)
    t0, t1 = _checked_interval(t0, t1)
    frames = check_int(frames, f"{_CALLER}: frames (output times, t0 and t1 included)", minimum=2,
                       error=DomainError)
    cfl = _checked_cfl(cfl, lo.size)

    axes = tuple(np.linspace(a, b, m) for a, b, m in zip(lo, hi, counts))
    grid = _Grid(axes, _checked_speed(speed, np.meshgrid(*axes, indexing="ij")))
    clock = _Clock.of(t0, t1, frames, cfl * float(grid.h.min()) / float(grid.c.max()))
    walls = _Walls(grid, clock, boundary)

    previous = _evaluate(initial, "initial", grid.nodes).copy()
    v0 = np.zeros(counts) if velocity is None else _evaluate(velocity, "velocity", grid.nodes)
    walls.apply(previous, 0)
    values = np.empty(counts + (frames,))
    values[..., 0] = previous
    _leapfrog(grid, clock, walls, previous, v0, values)
    return WaveFDSolution(axes=axes + (clock.times,), values=values, order=ORDER)


@dataclass(frozen=True, eq=False)
class _Grid:
    """The space grid: ``axes``, spacings ``h`` (d,), meshgrid ``nodes`` (d arrays of shape
    ``(n_1, ..., n_d)``), wave speed ``c`` on the nodes and ``c**2`` on the interior nodes."""

    axes: tuple[np.ndarray, ...]
    c: np.ndarray

    @cached_property
    def h(self) -> np.ndarray:
        return np.array([a[1] - a[0] for a in self.axes])

    @cached_property
    def nodes(self) -> list[np.ndarray]:
        return np.meshgrid(*self.axes, indexing="ij")

    @property
    def interior(self) -> tuple[slice, ...]:
        return (slice(1, -1),) * len(self.axes)

    @cached_property
    def c2(self) -> np.ndarray:
        return self.c[self.interior] ** 2

    def laplacian(self, u: np.ndarray) -> np.ndarray:
        """``lap_h(u)`` on the interior nodes, shape ``(n_1 - 2, ..., n_d - 2)``."""
        d, h, interior = len(self.axes), self.h, self.interior
        out = np.zeros(tuple(len(a) - 2 for a in self.axes))
        for k in range(d):
            below = tuple(slice(0, -2) if j == k else slice(1, -1) for j in range(d))
            above = tuple(slice(2, None) if j == k else slice(1, -1) for j in range(d))
            out += (u[below] - 2.0 * u[interior] + u[above]) / h[k] ** 2
        return out


@dataclass(frozen=True)
class _Clock:
    """Time levels: ``substeps`` steps of ``dt`` per frame, ``steps`` in all, output ``times``."""

    t0: float
    t1: float
    substeps: int
    steps: int
    dt: float
    times: np.ndarray

    @classmethod
    def of(cls, t0: float, t1: float, frames: int, dt_max: float) -> "_Clock":
        """The smallest number of equal substeps per frame with ``dt <= dt_max`` (up to 1e-9)."""
        frame_spacing = (t1 - t0) / (frames - 1)
        substeps = max(1, math.ceil(frame_spacing / dt_max * (1 - 1e-9)))
        times = t0 + (t1 - t0) * np.arange(frames) / (frames - 1)
        times[-1] = t1
        return cls(t0, t1, substeps, substeps * (frames - 1), frame_spacing / substeps, times)

    def time(self, step: int) -> float:
        return self.t0 + (self.t1 - self.t0) * step / self.steps


class _Walls:
    """Sets the boundary nodes to ``g(x, t)`` (0 without ``boundary``) at a time level."""

    def __init__(self, grid: _Grid, clock: _Clock, boundary):
        self.mask = boundary_mask(tuple(len(a) for a in grid.axes))
        self.coords = [g[self.mask] for g in grid.nodes]
        self.clock, self.boundary = clock, boundary

    def apply(self, u: np.ndarray, step: int) -> None:
        if self.boundary is None:
            u[self.mask] = 0.0
            return
        time = np.full(self.coords[0].shape, self.clock.time(step))
        u[self.mask] = _evaluate(self.boundary, "boundary", [*self.coords, time])


def _leapfrog(grid: _Grid, clock: _Clock, walls: _Walls, previous, v0, values) -> None:
    """Taylor first step, then leapfrog to ``clock.steps``, writing every frame into ``values``
    (frame 0, ``previous``, is already there)."""
    interior, dt2c2 = grid.interior, clock.dt**2 * grid.c2
    current = previous.copy()
    current[interior] += clock.dt * v0[interior] + 0.5 * dt2c2 * grid.laplacian(previous)
    walls.apply(current, 1)
    if clock.substeps == 1:
        values[..., 1] = current

    for step in range(1, clock.steps):
        update = 2.0 * current[interior] - previous[interior] + dt2c2 * grid.laplacian(current)
        previous[interior] = update
        walls.apply(previous, step + 1)
        previous, current = current, previous
        if (step + 1) % clock.substeps == 0:
            values[..., (step + 1) // clock.substeps] = current


def _checked_interval(t0, t1) -> tuple[float, float]:
    a, b = float(t0), float(t1)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise DomainError(
            f"{_CALLER}: time interval [{a}, {b}] must have finite ends, got t0={t0!r}, "
            f"t1={t1!r}; pass finite times."
        )
    if not b > a:
        raise DomainError(
            f"{_CALLER}: time interval [{a}, {b}] is empty: t1 must be greater than t0, got "
            f"t0={a}, t1={b}; pass a final time t1 > t0."
        )
    return a, b


def _checked_cfl(cfl, d: int) -> float:
    limit = 1.0 / math.sqrt(d)
    value = float(cfl)
    if not (math.isfinite(value) and 0 < value <= limit * (1 + 1e-12)):
        raise DomainError(
            f"{_CALLER}: cfl must lie in (0, 1/sqrt(d)] = (0, {limit:.6g}] in {d}-D (leapfrog "
            f"stability), got cfl={cfl!r}; use e.g. 0.5."
        )
    return value


def _checked_speed(speed, grids: list[np.ndarray]) -> np.ndarray:
    shape = grids[0].shape
    if callable(speed):
        c = _evaluate(speed, "speed", grids)
    else:
        try:
            c = np.full(shape, float(speed))
        except (TypeError, ValueError) as exc:
            raise DomainError(
                f"{_CALLER}: speed must be a positive float or a callable of the coordinate "
                f"arrays, got {speed!r}; pass e.g. 1.0 or lambda x: 1 + 0.5 * x."
            ) from exc
    bad = ~(np.isfinite(c) & (c > 0))
    if np.any(bad):
        masked = np.where(np.isnan(c), -np.inf, c)
        where = np.unravel_index(int(np.argmin(masked)), shape)
        at = ", ".join(f"{'xy'[k]}={g[where]:.6g}" for k, g in enumerate(grids))
        raise DomainError(
            f"{_CALLER}: speed must be positive and finite on every grid node, got minimum "
            f"{c[where]} at {at} ({int(bad.sum())} bad node(s) of {c.size}); make c > 0 on the "
            "whole box, boundary included."
        )
    return c


def _evaluate(fn, name: str, coords: list[np.ndarray]) -> np.ndarray:
    """``fn(*coords)`` as a float array of the coordinates' shape, checked to be finite."""
    return evaluate_on_grid(fn, name, coords, _CALLER, example="lambda x: 0 * x")
