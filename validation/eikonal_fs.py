"""Fast-sweeping reference solutions of the eikonal equation on 2-D boxes.

Problem: on the box ``B = [a_x, b_x] x [a_y, b_y]`` find the first-arrival travel time ``T``
with

    |grad T(x)| = 1 / c(x)   in B,        T(x_s) = 0   at the sources x_s,

for a positive speed ``c``; ``T(x)`` is the least time ``int 1/c ds`` over paths from the
nearest source to ``x``. With ``c = 1`` it is the distance ``min_s |x - x_s|``.

Grid: ``n_x x n_y`` equally spaced nodes, boundary nodes included, spacings
``h_x = (b_x - a_x) / (n_x - 1)`` and ``h_y = (b_y - a_y) / (n_y - 1)``; ``f = 1 / c`` is the
slowness at a node.

Sources: a source may lie anywhere in the box, on a node or not. The nodes of the grid
cell(s) containing it, those with ``|x_i - x_s| <= h_x`` and ``|y_j - y_s| <= h_y`` (4 nodes,
or 9 when the source is a node), get the straight-ray time with the trapezoidal average
slowness, ``|x - x_s| (f(x_s) + f(x)) / 2`` (the minimum over sources); exact for a constant
speed, error ``O(h**3)`` for a smooth one. These nodes are fixed; every other node starts at
``+inf``.

Update (first-order Godunov upwind, Zhao 2005): at a node, with

    a = min(T[i-1, j], T[i+1, j]),   b = min(T[i, j-1], T[i, j+1])

(neighbours outside the box count as ``+inf``), the candidate ``t`` is the largest root of
``((t - a)^+ / h_x)^2 + ((t - b)^+ / h_y)^2 = f^2``:

    t = min(a + f h_x, b + f h_y)                        if b - a >= f h_x or a - b >= f h_y,
    t = (a h_y^2 + b h_x^2 + h_x h_y sqrt(f^2 (h_x^2 + h_y^2) - (a - b)^2)) / (h_x^2 + h_y^2)
                                                         otherwise,

which for ``h_x = h_y = h`` is ``(a + b + sqrt(2 f^2 h^2 - (a - b)^2)) / 2``; then
``T[i, j] = min(T[i, j], t)``.

Sweeps: Gauss-Seidel in the four alternating orderings ``(i up, j up)``, ``(i down, j up)``,
``(i down, j down)``, ``(i up, j down)``. In the ordering ``(i up, j up)`` a node on the
anti-diagonal ``i + j = k`` reads new values only from the diagonal ``k - 1`` and old values
only from ``k + 1``, and no two nodes of one diagonal are neighbours; so updating a whole
diagonal at once, diagonals in increasing ``k``, gives exactly the values of the node-by-node
sweep. The orderings ``(i down, j down)`` take the same diagonals in decreasing ``k``; the
other two take the diagonals ``i - j = k`` in decreasing or increasing ``k``. A round is the
four sweeps; sweeping stops when a round changes no node by more than ``tol * max T``, or after
``max_sweeps`` single sweeps (with a ``RuntimeWarning``). With a constant speed and one source
one round solves the discrete problem and the second confirms it; the linear and layered
speeds of the tests also stop after two rounds; media where rays turn back need more.

Accuracy: the scheme is first order, ``max |T_h - T| = O(h)`` for a smooth ``T``; at a point
source ``T`` has a cone singularity and the max error behaves like ``h log(1 / h)``, so the
slope fitted by ``convergence_order`` lies a little below 1: measured over ``n = 51 ... 401`` on
``[-1, 1]^2`` with an off-node source, 0.79 for ``c = 1`` and 0.84 for ``c = 2 + y``; fitting
``error / log(1 / h)`` instead gives 1.03 and 1.08.

Cost: ``O(n_x n_y)`` per sweep, ``n_x + n_y - 1`` vectorised diagonal updates of at most
``min(n_x, n_y)`` nodes each; an ``801 x 801`` grid with a variable speed takes about 0.4 s
(two rounds).

Shapes: the result is ``FDSolution(axes=(x, y), values, order=1)`` with ``values`` of shape
``(n_x, n_y)`` ('ij' indexing: ``values[i, j]`` is ``T`` at ``(x[i], y[j])``).
"""

from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np

from pinnfield.errors import DataError, DomainError, check_int, check_number
from pinnfield.validation.fd import FDSolution, check_counts, check_grid_box

__all__ = ["solve_eikonal_box"]

ORDER = 1
_NAME = "solve_eikonal_box"


def solve_eikonal_box(
    lower: Sequence[float],
    upper: Sequence[float],
    n: int | Sequence[int],
    speed: float | Callable[[np.ndarray, np.ndarray], np.ndarray] = 1.0,
    sources: Sequence[Sequence[float]] = ((0.0, 0.0),),
    tol: float = 1e-10,
    max_sweeps: int = 200,
) -> FDSolution:
    """First-arrival travel time ``T`` with ``|grad T| = 1 / c`` on the box ``[lower, upper]``
    (2-D) and ``T = 0`` at the source points, by fast sweeping with the first-order Godunov
    upwind update; see the module docstring for the maths.

    ``n``: nodes per axis, an int or a pair (boundary nodes included, each >= 3).
    ``speed``: a positive number, or a callable ``c(x, y)`` of numpy arrays, called once with
    the 'ij'-meshgrid arrays of the nodes (shape ``(n_x, n_y)``) and once with 1-D arrays of
    the source coordinates (shape ``(k,)``); it returns an array of its arguments' shape or a
    scalar, positive and finite everywhere.
    ``sources``: the source points, a sequence of ``k >= 1`` pairs ``(x_s, y_s)`` in the box
    (anywhere, not necessarily on nodes); a single pair is accepted too.
    ``tol``: stop when a round of four sweeps changes no node by more than ``tol * max T``.
    ``max_sweeps``: most single sweeps (four make a round); reaching it without meeting
    ``tol`` gives a ``RuntimeWarning``.

    Returns ``FDSolution(axes=(x, y), values, order=1)``, ``values`` of shape ``(n_x, n_y)``
    ('ij' indexing), finite everywhere.
    """
    lo, hi = check_grid_box(lower, upper, _NAME, dims=(2,))
    counts = check_counts(n, 2, _NAME)
    points = _checked_sources(sources, lo, hi)
    tol, max_sweeps = _checked_settings(tol, max_sweeps)
    axes = tuple(np.linspace(a, b, m) for a, b, m in zip(lo, hi, counts))
    h = np.array([a[1] - a[0] for a in axes])

    grids = np.meshgrid(*axes, indexing="ij")
    slowness = 1.0 / _speed_values(speed, grids, "on the grid")
    source_slowness = 1.0 / _speed_values(speed, [points[:, 0], points[:, 1]], "at the sources")

    fixed_values = _source_values(axes, h, points, slowness, source_slowness)
    values = _fast_sweep(fixed_values, slowness, h, tol, max_sweeps)
    return FDSolution(axes=axes, values=values, order=ORDER)


def _source_values(axes, h, points, slowness, source_slowness) -> np.ndarray:
    """Initial times: straight-ray times with trapezoidal slowness on the nodes within one
    cell of a source (the minimum over sources), ``+inf`` elsewhere; shape ``(n_x, n_y)``."""
    x, y = axes
    values = np.full(slowness.shape, np.inf)
    for (xs, ys), fs in zip(points, source_slowness):
        ix = np.flatnonzero(np.abs(x - xs) <= h[0] * (1 + 1e-12))
        iy = np.flatnonzero(np.abs(y - ys) <= h[1] * (1 + 1e-12))
        block = np.ix_(ix, iy)
        distance = np.hypot(*np.meshgrid(x[ix] - xs, y[iy] - ys, indexing="ij"))
        values[block] = np.minimum(values[block], distance * 0.5 * (fs + slowness[block]))
    return values


def _diagonals(anti: bool, free: np.ndarray, slowness: np.ndarray, h) -> list[tuple]:
    """The free nodes of each diagonal of one family (``i + j = k`` if ``anti``, else
    ``i - j = k``), ``k`` increasing, as tuples: flat indices of the nodes in the ``+inf``-padded
    ``(n_x + 2) x (n_y + 2)`` array; the flat indices of their neighbours ``i-1, i+1, j-1, j+1``
    and of the node itself (shape ``(5, m)``); ``f h_x``, ``f h_y`` and
    ``f^2 (h_x^2 + h_y^2)``. Diagonals without free nodes are left out."""
    nx, ny = free.shape
    stride = ny + 2
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    key = (i + j) if anti else (i - j)
    order = np.argsort(key, axis=None, kind="stable")
    splits = np.flatnonzero(np.diff(key.reshape(-1)[order])) + 1
    centre = ((i + 1) * stride + (j + 1)).reshape(-1)
    offsets = np.array([-stride, stride, -1, 1, 0])[:, None]
    f = slowness.reshape(-1)
    is_free = free.reshape(-1)
    items = []
    for part in np.split(order, splits):
        part = part[is_free[part]]
        if part.size:
            c = centre[part]
            fp = f[part]
            items.append(
                (c, c[None, :] + offsets, fp * h[0], fp * h[1], fp**2 * (h[0] ** 2 + h[1] ** 2))
            )
    return items


def _fast_sweep(initial: np.ndarray, slowness: np.ndarray, h, tol: float, max_sweeps: int):
    """Gauss-Seidel fast sweeping from ``initial`` (fixed finite nodes, ``+inf`` elsewhere);
    returns the ``(n_x, n_y)`` array of travel times."""
    nx, ny = initial.shape
    padded = np.full((nx + 2, ny + 2), np.inf)
    padded[1:-1, 1:-1] = initial
    free = ~np.isfinite(initial)
    plus = _diagonals(True, free, slowness, h)
    minus = _diagonals(False, free, slowness, h)
    hx2, hy2 = h[0] ** 2, h[1] ** 2
    hxhy, hsum = h[0] * h[1], hx2 + hy2
    # (i up, j up), (i down, j up), (i down, j down), (i up, j down)
    orderings = (plus, minus[::-1], plus[::-1], minus)
    flat = padded.reshape(-1)

    sweeps = 0
    with np.errstate(invalid="ignore"):
        while sweeps < max_sweeps:
            before = flat.copy()
            for diagonals in orderings[: max_sweeps - sweeps]:
                for centre, neighbours, fhx, fhy, f2sum in diagonals:
                    near = flat[neighbours]
                    a = np.minimum(near[0], near[1])
                    b = np.minimum(near[2], near[3])
                    d = a - b
                    t = np.minimum(a + fhx, b + fhy)
                    two = (-d < fhx) & (d < fhy)
                    if two.any():
                        root = np.sqrt(np.maximum(f2sum - d * d, 0.0))
                        q = (a * hy2 + b * hx2 + hxhy * root) / hsum
                        t = np.where(two, q, t)
                    flat[centre] = np.minimum(near[4], t)
                sweeps += 1
            change = _round_change(before, flat)
            top = np.max(flat[np.isfinite(flat)])
            if change <= tol * top:
                break
        else:
            warnings.warn(
                f"{_NAME}: fast sweeping did not converge in max_sweeps={max_sweeps} sweeps: "
                f"the last round changed a node by {change:.3g} > tol * max T = "
                f"{tol * top:.3g}; raise max_sweeps or tol.",
                RuntimeWarning,
                stacklevel=3,
            )
    return padded[1:-1, 1:-1].copy()


def _round_change(before: np.ndarray, after: np.ndarray) -> float:
    """Largest decrease of a node over a round; ``inf`` when a node became finite."""
    moved = before != after
    if not np.any(moved):
        return 0.0
    return float(np.max(before[moved] - after[moved]))


def _speed_values(speed, coords: list[np.ndarray], where: str) -> np.ndarray:
    """Speed at the points ``coords`` (arrays of one shape), checked positive and finite."""
    shape = coords[0].shape
    if callable(speed):
        try:
            out = np.asarray(speed(*coords), dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"{_NAME}: speed must be a number or a callable c(x, y) of numpy arrays "
                f"returning real numbers, but calling it failed ({exc}); make it accept "
                "arrays and return floats."
            ) from exc
        if out.ndim == 0:
            out = np.full(shape, float(out))
        if out.shape != shape:
            raise DataError(
                f"{_NAME}: speed must return an array of shape {shape} (the shape of its "
                f"coordinate arguments) or a scalar, got shape {out.shape}; make it "
                "numpy-vectorised."
            )
    else:
        try:
            value = float(speed)
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"{_NAME}: speed must be a positive number or a callable c(x, y), got "
                f"{type(speed).__name__} {speed!r}; pass e.g. 1.0 or lambda x, y: 1 + 0 * x."
            ) from exc
        out = np.full(shape, value)
    bad = ~np.isfinite(out)
    if np.any(bad):
        k = int(np.argmax(bad.reshape(-1)))
        x, y = (float(c.reshape(-1)[k]) for c in coords)
        raise DomainError(
            f"{_NAME}: speed c(x, y) must be finite everywhere in the domain, but it is "
            f"{out.reshape(-1)[k]} {where} at (x, y) = ({x:.6g}, {y:.6g}) "
            f"({int(bad.sum())} non-finite value(s)); fix the speed there."
        )
    if np.any(out <= 0):
        k = int(np.argmin(out.reshape(-1)))
        x, y = (float(c.reshape(-1)[k]) for c in coords)
        raise DomainError(
            f"{_NAME}: speed c(x, y) must be positive everywhere in the domain, but its "
            f"minimum {where} is {out.reshape(-1)[k]:.6g} at (x, y) = ({x:.6g}, {y:.6g}); "
            "use a speed bounded away from zero on the box."
        )
    return out


def _checked_sources(sources, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    try:
        points = np.asarray(sources, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            f"{_NAME}: sources must be a sequence of (x, y) pairs, got {sources!r}; pass e.g. "
            "((0.0, 0.0),)."
        ) from exc
    if points.ndim == 1 and points.shape == (2,):
        points = points[None, :]
    if points.size == 0:
        raise DomainError(
            f"{_NAME}: sources must hold at least one point, got none ({sources!r}); pass "
            "e.g. ((0.0, 0.0),)."
        )
    if points.ndim != 2 or points.shape[1] != 2:
        raise DomainError(
            f"{_NAME}: sources must be a sequence of (x, y) pairs (shape (k, 2)), got shape "
            f"{points.shape}; pass e.g. ((0.0, 0.0), (0.5, 0.5))."
        )
    tol = 1e-12 * (hi - lo)
    outside = ~np.all(np.isfinite(points), axis=1) | np.any(
        (points < lo - tol) | (points > hi + tol), axis=1
    )
    if np.any(outside):
        first = points[np.argmax(outside)]
        raise DomainError(
            f"{_NAME}: sources must lie in the box [{lo.tolist()}, {hi.tolist()}], got "
            f"{int(outside.sum())} outside (first: {first.tolist()}); move them into the box "
            "or enlarge it."
        )
    return np.clip(points, lo, hi)


def _checked_settings(tol, max_sweeps) -> tuple[float, int]:
    tol = check_number(tol, f"{_NAME}: tol", low=0, error=DataError)
    max_sweeps = check_int(max_sweeps, f"{_NAME}: max_sweeps", minimum=1, error=DataError)
    return tol, max_sweeps
