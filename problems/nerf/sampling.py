"""Sample distances along rays for volume rendering (Mildenhall et al. 2020, sec. 4 and 5.2).

A ray o + t d is cut into bins between ``near`` and ``far``; each sample t_i stands for the bin
(or, for a merged sorted set, the interval [t_i, t_{i+1}]) on which the renderer holds the
field's density and colour constant at their values at t_i (see
:func:`pinnfield.problems.nerf.render.deltas`). Distances are in units of |d|: ray distances
for the unit directions of :mod:`pinnfield.problems.nerf.rays`.

Randomness is explicit: pass a ``torch.Generator`` (its device may differ from the rays';
draws are moved to the rays' device), or pre-drawn uniform variates ``u``. Every tensor is
created on the device and in the dtype of the inputs.
"""

from __future__ import annotations

import torch

from pinnfield.errors import DataError

__all__ = ["stratified", "hierarchical", "merge", "uniform"]


def uniform(shape, like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform variates in [0, 1) of ``shape`` on ``like``'s device and dtype, drawn from ``generator``."""
    if generator is None:
        return torch.rand(shape, device=like.device, dtype=like.dtype)
    return torch.rand(shape, generator=generator, device=generator.device, dtype=like.dtype).to(like.device)


def stratified(near, far, rays, n: int, *, jitter: bool = True, generator: torch.Generator | None = None, u=None):
    """Stratified samples: bin edges (R, n + 1) and distances t (R, n).

    [near, far] is cut into n equal bins with edges e_k = near + (far - near) k / n; sample k is
    t_k = e_k + u_k (e_{k+1} - e_k), uniform in its bin (u_k ~ U[0, 1), jitter=True) or its
    midpoint (u_k = 1/2, jitter=False), and represents that bin. ``near`` and ``far`` are numbers or
    (R,) tensors; ``rays`` is the number of rays R or a tensor with one row per ray (for example the
    origins (R, 3)), whose device and dtype the outputs take. ``u`` (R, n), if given, replaces the
    draws.
    """
    n = _check_count(n, "n", "stratified")
    like = _reference(rays, near, far)
    count = _ray_count(rays)
    near, far = _near_far(near, far, count, like)
    edges = torch.lerp(near, far, torch.linspace(0, 1, n + 1, device=like.device, dtype=like.dtype))
    if u is None:
        u = uniform((count, n), like, generator) if jitter else torch.full((count, n), 0.5, device=like.device, dtype=like.dtype)
    u = _check_variates(u, (count, n), "stratified", like)
    t = torch.lerp(edges[:, :-1], edges[:, 1:], u)
    return edges, t


def hierarchical(edges: torch.Tensor, weights: torch.Tensor, n_fine: int, *, deterministic: bool = False,
                 generator: torch.Generator | None = None, eps: float = 1e-5, u=None) -> torch.Tensor:
    """Importance samples (R, n_fine), sorted, drawn by inverse CDF from the coarse weights.

    The pdf is piecewise constant on the bins [edges_k, edges_{k+1}] with mass proportional to
    weights_k + eps (eps keeps zero-weight rays finite and gives them uniform samples, as in
    nerf-pytorch's ``sample_pdf``; negative weights count as 0). The variates are stratified,
    u_k = (k + xi_k) / n_fine with xi_k ~ U[0, 1) or xi_k = 1/2 (deterministic=True), so the
    samples come out sorted and sample k is the u_k-quantile of the pdf. Uniform weights and
    deterministic=True give evenly spaced samples. No gradient flows into the samples (edges and
    weights are detached). ``u`` (R, n_fine), if given, replaces the variates.
    """
    n_fine = _check_count(n_fine, "n_fine", "hierarchical")
    if edges.ndim != 2 or edges.shape[1] < 2:
        raise DataError(f"hierarchical edges must have shape (R, n + 1) with n >= 1; received shape {tuple(edges.shape)}.")
    count, n = edges.shape[0], edges.shape[1] - 1
    if weights.shape != (count, n):
        raise DataError(
            f"hierarchical weights must have shape (R, n) = ({count}, {n}), one per bin of edges; "
            f"received shape {tuple(weights.shape)}."
        )
    edges, weights = edges.detach(), weights.detach().to(edges.dtype)
    mass = weights.clamp_min(0) + eps
    cdf = torch.cumsum(mass, dim=-1)
    cdf = torch.cat((torch.zeros_like(cdf[:, :1]), cdf / cdf[:, -1:]), dim=-1)
    if u is None:
        xi = torch.full((count, n_fine), 0.5, device=edges.device, dtype=edges.dtype) if deterministic else uniform((count, n_fine), edges, generator)
        steps = torch.arange(n_fine, device=edges.device, dtype=edges.dtype)
        u = (steps + xi) / n_fine
    u = _check_variates(u, (count, n_fine), "hierarchical", edges).contiguous()
    bins = (torch.searchsorted(cdf, u, right=True) - 1).clamp(0, n - 1)
    c0, c1 = cdf.gather(1, bins), cdf.gather(1, bins + 1)
    e0, e1 = edges.gather(1, bins), edges.gather(1, bins + 1)
    width = c1 - c0
    fraction = ((u - c0) / torch.where(width > 0, width, torch.ones_like(width))).clamp(0, 1)
    return torch.lerp(e0, e1, fraction)


def merge(t_coarse: torch.Tensor, t_fine: torch.Tensor) -> torch.Tensor:
    """Sorted union (R, n + m) of distances t_coarse (R, n) and t_fine (R, m).

    Each merged sample t_i then stands for [t_i, t_{i+1}] (the last for [t_i, far]), see
    :func:`pinnfield.problems.nerf.render.deltas`.
    """
    if t_coarse.ndim != 2 or t_fine.ndim != 2 or t_coarse.shape[0] != t_fine.shape[0]:
        raise DataError(
            f"merge expects t_coarse (R, n) and t_fine (R, m) with the same R; received shapes "
            f"{tuple(t_coarse.shape)} and {tuple(t_fine.shape)}."
        )
    return torch.sort(torch.cat((t_coarse, t_fine.to(t_coarse.dtype)), dim=-1), dim=-1).values


def _check_count(value, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DataError(f"{owner} {name} must be a positive integer number of samples; received {value!r}. Pass for example {name}=64.")
    return value


def _reference(*values) -> torch.Tensor:
    for value in values:
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            return value
    return torch.empty(0)


def _ray_count(rays) -> int:
    if isinstance(rays, torch.Tensor):
        if rays.ndim == 0:
            raise DataError("stratified rays must be a number of rays or a tensor with one row per ray; received a 0-d tensor.")
        return rays.shape[0]
    if isinstance(rays, bool) or not isinstance(rays, int) or rays < 0:
        raise DataError(f"stratified rays must be a number of rays or a tensor with one row per ray; received {rays!r}.")
    return rays


def _near_far(near, far, count: int, like: torch.Tensor):
    """near and far as (R, 1) columns, checked near < far on every ray."""
    columns = []
    for name, value in (("near", near), ("far", far)):
        value = torch.as_tensor(value, device=like.device, dtype=like.dtype)
        if value.ndim == 0 or value.shape in ((count,), (count, 1)):
            columns.append(value.reshape(-1, 1).expand(count, 1))
        else:
            raise DataError(
                f"{name} must be a number or a tensor of shape (R,) = ({count},); received shape {tuple(value.shape)}."
            )
    near_c, far_c = columns
    bad = ~(near_c < far_c)
    if bool(bad.any()):
        ray = int(bad.nonzero()[0, 0])
        raise DataError(
            f"near must be smaller than far on every ray; ray {ray} has near = {float(near_c[ray, 0])} and "
            f"far = {float(far_c[ray, 0])}. Pass near < far (swap them if they are reversed), both "
            "distances along the ray from its origin."
        )
    return near_c, far_c


def _check_variates(u, shape, owner: str, like: torch.Tensor) -> torch.Tensor:
    u = torch.as_tensor(u, device=like.device, dtype=like.dtype)
    if u.shape != shape:
        raise DataError(f"{owner} u must have shape {shape}, one variate per sample; received shape {tuple(u.shape)}.")
    return u
