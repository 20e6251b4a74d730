"""Differentiable volume rendering by emission-absorption quadrature (Mildenhall et al. 2020, eq. 3).

Along a ray o + t d the colour is C = int T(t) sigma(t) c(t) dt + T_far c_bg, with transmittance
T(t) = exp(-int_near^t sigma). The quadrature holds sigma and c constant, equal to their
values at sample t_i, on an interval of length delta_i that sample i represents (see
:func:`deltas`); it is then exact: w_i = T_i (1 - exp(-sigma_i delta_i)) with
T_i = exp(-sum_{j<i} sigma_j delta_j), C = sum_i w_i c_i + T_S c_bg, and
sum_i w_i + T_S = 1. Splitting an interval in two with the same values changes neither colour
nor opacity, nor the depth computed with ``starts`` (see :func:`composite`).

Distances are in units of |d| (ray distances for unit directions): depth is the expected ray
distance, not a z-depth. Every tensor is created on the device and in the dtype of the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

import torch

from pinnfield.errors import DataError

from .sampling import hierarchical, merge, stratified, uniform

__all__ = ["Rendered", "RayRender", "composite", "deltas", "render_rays", "INFINITE_DELTA"]

INFINITE_DELTA = 1e10
"""Length of the last interval with ``last="infinite"`` (the original NeRF code's 1e10)."""

BACKGROUNDS = ("white", "black", "random")


@dataclass(frozen=True)
class Rendered:
    """Rendered rays (R rays, S samples, C colour channels).

    rgb (R, C): composited colour, background included. opacity (R,): sum of weights (alpha).
    weights (R, S). transmittance (R,): final transmittance T_S = 1 - opacity.
    depth (R,): sum w_i t_i, the expected ray distance counting rays that pass as 0 (divide by
    opacity for the distance given termination). disparity (R,): 1 / max(eps, depth / opacity),
    0 where opacity is 0. t (R, S): sample distances. background (R, C) or None: the background
    colour that was composited.
    """

    rgb: torch.Tensor
    opacity: torch.Tensor
    weights: torch.Tensor
    transmittance: torch.Tensor
    depth: torch.Tensor
    disparity: torch.Tensor
    t: torch.Tensor
    background: torch.Tensor | None


@dataclass(frozen=True)
class RayRender:
    """Coarse and (when n_fine > 0) fine renders of the same rays; ``final`` is the finest."""

    coarse: Rendered
    fine: Rendered | None

    @property
    def final(self) -> Rendered:
        return self.coarse if self.fine is None else self.fine


def deltas(t: torch.Tensor, edges_or_far, *, last: str = "bin") -> torch.Tensor:
    """Interval lengths delta (R, S) that samples t (R, S) represent.

    ``edges_or_far`` is either the bin edges (R, S + 1) of :func:`stratified` samples, giving the
    bin widths delta_i = e_{i+1} - e_i, or ``far`` (a number or (R,) tensor) for a sorted sample
    set (for example :func:`merge`'s), giving delta_i = t_{i+1} - t_i and delta_{S-1} = far - t_{S-1}.
    ``last="infinite"`` replaces the last length by 1e10 as the original NeRF code does (the last
    sample's density then fills the rest of the ray, and the background shows through only
    where it is 0).
    """
    if last not in ("bin", "infinite"):
        raise ValueError(f"deltas last must be 'bin' or 'infinite'; received {last!r}.")
    if t.ndim != 2 or t.shape[1] == 0:
        raise DataError(f"deltas t must have shape (R, S) with S >= 1; received shape {tuple(t.shape)}.")
    count, size = t.shape
    if isinstance(edges_or_far, torch.Tensor) and edges_or_far.shape == (count, size + 1):
        delta = torch.diff(edges_or_far.to(t.dtype), dim=-1)
    else:
        far = torch.as_tensor(edges_or_far, device=t.device, dtype=t.dtype)
        if far.ndim != 0 and far.shape not in ((count,), (count, 1)):
            raise DataError(
                f"deltas edges_or_far must be edges of shape (R, S + 1) = ({count}, {size + 1}) or far, a "
                f"number or a tensor of shape (R,) = ({count},); received shape {tuple(far.shape)}."
            )
        delta = torch.cat((torch.diff(t, dim=-1), far.reshape(-1, 1).expand(count, 1) - t[:, -1:]), dim=-1)
    if last == "infinite":
        delta = torch.cat((delta[:, :-1], torch.full_like(delta[:, -1:], INFINITE_DELTA)), dim=-1)
    return delta


def composite(sigma: torch.Tensor, rgb: torch.Tensor, deltas: torch.Tensor, t: torch.Tensor, *, starts=None,
              background=None, generator: torch.Generator | None = None, eps: float = 1e-10) -> Rendered:
    """Alpha-composite samples along rays into a :class:`Rendered`.

    sigma (R, S) >= 0 densities, rgb (R, S, C) colours, deltas (R, S) interval lengths, t (R, S)
    sample distances. With tau_i = sigma_i delta_i: w_i = T_i (1 - exp(-tau_i)),
    T_i = exp(-sum_{j<i} tau_j) by an exclusive cumulative sum of optical depth in log space.
    nerf-pytorch's cumprod of (1 - alpha + 1e-10) instead floors every factor at 1e-10 (opaque
    samples leak light, sum w + T != 1, and the error compounds along the ray) and its gradient
    divides by those factors; the log-space sum is exact and smooth.

    depth = sum w_i t_i. With ``starts`` (R, S), the start of each sample's interval (edges[:, :-1]
    for stratified bins, t for a merged set), depth is instead the exact expected ray distance of
    the piecewise-constant model, sum w_i (s_i + delta_i m(tau_i)) with
    m(x) = 1/x - 1/(e^x - 1) (1/2 at x = 0): invariant under splitting intervals.

    ``background``: None or "black" (nothing added), "white", "random" (one uniform colour per ray,
    from ``generator``) or a tensor (C,) or (R, C); it is added as T_S c_bg.
    """
    count, size = _check_composite(sigma, rgb, deltas, t)
    tau = sigma * deltas.to(sigma.dtype)
    depth_so_far = torch.cumsum(tau, dim=-1)
    before = torch.cat((torch.zeros_like(depth_so_far[:, :1]), depth_so_far[:, :-1]), dim=-1)
    weights = torch.exp(-before) * -torch.expm1(-tau)
    transmittance = torch.exp(-depth_so_far[:, -1])
    opacity = weights.sum(dim=-1)
    colour = torch.einsum("rs,rsc->rc", weights, rgb)
    bg = _background(background, count, rgb.shape[2], colour, generator)
    if bg is not None:
        colour = colour + transmittance[:, None] * bg
    if starts is None:
        depth = (weights * t.to(weights.dtype)).sum(dim=-1)
    else:
        starts = _check_like(starts, (count, size), "starts").to(weights.dtype)
        depth = (weights * (starts + deltas.to(weights.dtype) * _mean_fraction(tau))).sum(dim=-1)
    return Rendered(colour, opacity, weights, transmittance, depth, _disparity(depth, opacity, eps), t, bg)


def render_rays(field_fn: Callable, origins: torch.Tensor, directions: torch.Tensor, near, far, *, n_coarse: int,
                n_fine: int = 0, fine_fn: Callable | None = None, jitter: bool = True, background=None,
                chunk: int = 4096, generator: torch.Generator | None = None, last: str = "bin") -> RayRender:
    """Render rays (origins (R, 3), directions (R, 3)) through a field; returns a :class:`RayRender`.

    ``field_fn(points (M, 3), dirs (M, 3)) -> (sigma (M,), rgb (M, C))`` is evaluated at
    n_coarse stratified samples per ray in [near, far] (numbers or (R,) tensors), each standing for
    its bin. With n_fine > 0, n_fine more samples are drawn from the coarse weights
    (:func:`hierarchical`) and ``fine_fn`` (default ``field_fn``) is evaluated at the sorted union
    of all n_coarse + n_fine samples, sample i standing for [t_i, t_{i+1}] and the last for
    [t_i, far] (``last="infinite"``: to infinity). jitter=False puts coarse samples at bin midpoints
    and fine samples at evenly spaced quantiles. Rays are processed ``chunk`` at a time, so the
    field sees at most chunk * (n_coarse + n_fine) points at once; every random number (coarse
    jitter, fine variates, a "random" background with C = 3) is drawn for all rays first, in that
    order, so the result does not depend on ``chunk``.
    """
    count = _check_rays(origins, directions)
    _check_render_options(field_fn, fine_fn, n_coarse, n_fine, chunk)
    like = origins if origins.is_floating_point() else directions
    u_coarse = uniform((count, n_coarse), like, generator) if jitter else None
    u_fine = uniform((count, n_fine), like, generator) if jitter and n_fine else None
    if isinstance(background, str) and background == "random":
        background = uniform((count, 3), like, generator)
    parts = []
    for start in range(0, max(count, 1), chunk):
        rows = slice(start, min(start + chunk, count))
        parts.append(_render_chunk(
            field_fn, fine_fn or field_fn, origins[rows], directions[rows], _rows(near, rows, count),
            _rows(far, rows, count), n_coarse, n_fine, _rows(u_coarse, rows, count), _rows(u_fine, rows, count),
            _background_rows(background, rows), jitter, last,
        ))
    coarse = _concatenate([part[0] for part in parts])
    fine = _concatenate([part[1] for part in parts]) if n_fine else None
    return RayRender(coarse, fine)


def _render_chunk(field_fn, fine_fn, origins, directions, near, far, n_coarse, n_fine, u_coarse, u_fine, background, jitter, last):
    edges, t = stratified(near, far, origins, n_coarse, jitter=False, u=u_coarse)
    coarse = _shade(field_fn, origins, directions, t, deltas(t, edges, last=last), background)
    if not n_fine:
        return coarse, None
    t_fine = hierarchical(edges, coarse.weights, n_fine, deterministic=not jitter, u=_fine_variates(u_fine, n_fine))
    t_all = merge(t, t_fine)
    return coarse, _shade(fine_fn, origins, directions, t_all, deltas(t_all, edges[:, -1], last=last), background)


def _fine_variates(xi, n_fine: int):
    if xi is None:
        return None
    return (torch.arange(n_fine, device=xi.device, dtype=xi.dtype) + xi) / n_fine


def _shade(field_fn, origins, directions, t, delta, background) -> Rendered:
    count, size = t.shape
    points = origins[:, None, :] + t[..., None] * directions[:, None, :]
    dirs = directions[:, None, :].expand(count, size, 3)
    sigma, rgb = field_fn(points.reshape(-1, 3), dirs.reshape(-1, 3))
    sigma, rgb = _check_field_output(sigma, rgb, count * size)
    return composite(sigma.reshape(count, size), rgb.reshape(count, size, -1), delta, t, background=background)


def _mean_fraction(tau: torch.Tensor) -> torch.Tensor:
    """m(x) = 1/x - 1/(e^x - 1), the mean of an Exp(x) variable truncated to [0, 1]; series below 0.1."""
    small = tau < 0.1
    x = torch.where(small, torch.ones_like(tau), tau)
    direct = 1 / x - 1 / torch.expm1(x)
    y = torch.where(small, tau, torch.zeros_like(tau))
    series = 0.5 - y / 12 + y**3 / 720 - y**5 / 30240
    return torch.where(small, series, direct)


def _disparity(depth: torch.Tensor, opacity: torch.Tensor, eps: float) -> torch.Tensor:
    hit = opacity > 0
    distance = depth / torch.where(hit, opacity, torch.ones_like(opacity))
    return torch.where(hit, 1 / distance.clamp_min(eps), torch.zeros_like(distance))


def _background(background, count: int, channels: int, like: torch.Tensor, generator):
    if background is None:
        return None
    if isinstance(background, str):
        if background not in BACKGROUNDS:
            raise ValueError(f"background must be None, one of {BACKGROUNDS} or a tensor (C,) or (R, C); received {background!r}.")
        if background == "random":
            return uniform((count, channels), like, generator)
        return torch.full((count, channels), 1.0 if background == "white" else 0.0, device=like.device, dtype=like.dtype)
    bg = torch.as_tensor(background, device=like.device, dtype=like.dtype)
    if bg.shape not in ((), (channels,), (count, channels)):
        raise DataError(
            f"background tensor must have shape (C,) = ({channels},) or (R, C) = ({count}, {channels}); "
            f"received shape {tuple(bg.shape)}."
        )
    return bg.expand(count, channels)


def _check_composite(sigma, rgb, delta, t) -> tuple[int, int]:
    if sigma.ndim != 2:
        raise DataError(f"composite sigma must have shape (R, S); received shape {tuple(sigma.shape)}.")
    count, size = sigma.shape
    if rgb.ndim != 3 or rgb.shape[:2] != (count, size):
        raise DataError(f"composite rgb must have shape (R, S, C) = ({count}, {size}, C); received shape {tuple(rgb.shape)}.")
    _check_like(delta, (count, size), "deltas")
    _check_like(t, (count, size), "t")
    return count, size


def _check_like(value, shape, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or value.shape != shape:
        received = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise DataError(f"composite {name} must be a tensor of shape (R, S) = {shape}, like sigma; received {received}.")
    return value


def _check_rays(origins, directions) -> int:
    if origins.ndim != 2 or origins.shape[1] != 3:
        raise DataError(f"render_rays origins must have shape (R, 3); received shape {tuple(origins.shape)}.")
    if directions.shape != origins.shape:
        raise DataError(
            f"render_rays directions must have the shape of origins, (R, 3) = {tuple(origins.shape)}; "
            f"received shape {tuple(directions.shape)}."
        )
    return origins.shape[0]


def _check_render_options(field_fn, fine_fn, n_coarse, n_fine, chunk) -> None:
    if not callable(field_fn) or (fine_fn is not None and not callable(fine_fn)):
        raise DataError("render_rays field_fn (and fine_fn, if given) must be callables (points (M, 3), dirs (M, 3)) -> (sigma (M,), rgb (M, C)).")
    for name, value, least in (("n_coarse", n_coarse, 1), ("n_fine", n_fine, 0), ("chunk", chunk, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise DataError(f"render_rays {name} must be an integer >= {least}; received {value!r}.")


def _check_field_output(sigma, rgb, points: int):
    if sigma.shape == (points, 1):
        sigma = sigma[:, 0]
    if sigma.shape != (points,) or rgb.ndim != 2 or rgb.shape[0] != points:
        raise DataError(
            f"render_rays field_fn must return sigma (M,) and rgb (M, C) for M = {points} points; received "
            f"shapes {tuple(sigma.shape)} and {tuple(rgb.shape)}."
        )
    return sigma, rgb


def _rows(value, rows: slice, count: int):
    if isinstance(value, torch.Tensor) and value.ndim >= 1 and value.shape[0] == count:
        return value[rows]
    return value


def _background_rows(background, rows: slice):
    if isinstance(background, torch.Tensor) and background.ndim == 2:
        return background[rows]
    return background


def _concatenate(parts: list[Rendered]) -> Rendered:
    if len(parts) == 1:
        return parts[0]
    values = {}
    for field in fields(Rendered):
        items = [getattr(part, field.name) for part in parts]
        values[field.name] = None if items[0] is None else torch.cat(items, dim=0)
    return Rendered(**values)
