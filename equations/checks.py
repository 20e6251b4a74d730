"""Checks of coefficients that equations share: a speed must be positive on its domain."""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from pinnfield.errors import DomainError, EquationError

__all__ = ["require_positive"]

_GRID_POINTS = 40_000
"""About this many grid nodes (plus as many boundary samples) are checked."""


def require_positive(expr, domain, name: str = "speed c") -> None:
    """Raise DomainError unless ``expr`` (a number or a sympy expression of the domain's
    coordinates) is finite and positive on a fine grid of ``domain`` and on its boundary."""
    expr = sp.sympify(expr)
    coords = tuple(domain.coords)
    extra = expr.free_symbols - set(coords)
    if extra:
        raise EquationError(
            f"The {name} {expr} uses {sorted(map(str, extra))}, which are not coordinates of the "
            f"domain {coords}; a coefficient may depend on the coordinates only. Bind the other "
            "symbols to numbers first."
        )
    per_axis = max(2, int(round(_GRID_POINTS ** (1 / len(coords)))))
    boundary = domain.boundary.sample(_GRID_POINTS, torch.Generator().manual_seed(0)).points.numpy()
    points = np.concatenate([domain.grid(per_axis), boundary])
    values = np.broadcast_to(np.asarray(sp.lambdify(coords, expr, "numpy")(*points.T), dtype=float),
                             (len(points),))
    bad = ~np.isfinite(values) | (values <= 0)
    if np.any(bad):
        where = points[np.argmin(np.where(np.isfinite(values), values, -np.inf))]
        at = ", ".join(f"{c} = {v:.4g}" for c, v in zip(coords, where))
        raise DomainError(
            f"The {name} = {expr} must be positive everywhere in the domain, but it is "
            f"{np.nanmin(values):.4g} at ({at}). Use a speed that stays above zero there, "
            "or a smaller domain."
        )
