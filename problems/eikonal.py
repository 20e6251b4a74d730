"""Eikonal |grad u| = 1 on [-1, 1]^2 with u = 0 at the origin: the distance to a point.

The exact solution is u = sqrt(x^2 + y^2). The field is trained directly (no factoring), so it
must learn the cone's kink at the source. ``pinnfield run eikonal`` trains with :data:`DEFAULTS`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import pinnfield as pf
from pinnfield.equations import eikonal

x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)
SOURCE = (0.0, 0.0)
EXACT = eikonal.distance((x, y), SOURCE)

DEFAULTS = dict(steps=2000, lr=1e-3, lbfgs_steps=500, schedule="cosine", seed=0)
"""fit() settings measured to reach rel L2 <= 1e-2 on the 2-core CPU."""

GRID = 201
"""Evaluation grid: GRID x GRID nodes on the square, boundary included."""


def problem(width: int = 64, depth: int = 3, omega0: float = 3.0, omega_hidden: float = 3.0,
            n_interior: int = 4096, viscosity: float = 0.0, source_weight: float = 100.0) -> pf.Problem:
    """The eikonal problem with a Siren of the given size; ``viscosity`` adds eps lap(u)."""
    # Domain
    square = pf.Box((-1, -1), (1, 1), coords=(x, y))
    source = pf.Points(np.array([SOURCE]), coords=(x, y))
    # Problem
    return pf.Problem(
        fields={u: pf.Siren(in_dim=2, out_dim=1, width=width, depth=depth,
                            omega0=omega0, omega_hidden=omega_hidden)},
        constraints=[
            pf.Constraint(eikonal.residual(u, (x, y), 1, viscosity), on=square.interior, n=n_interior),
            pf.Constraint(u, on=source, weight=source_weight, name="source"),
        ],
        exact={u: EXACT},
    )


def solve(**fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``."""
    return pf.fit(problem(), **{**DEFAULTS, **fit_overrides})


def references(axes) -> dict[str, np.ndarray]:
    """First-order fast-sweeping solution on the grid ``axes``."""
    from pinnfield.validation.eikonal_fs import solve_eikonal_box

    fd = solve_eikonal_box((-1, -1), (1, 1), tuple(len(a) for a in axes), 1.0, [SOURCE])
    return {"fd": fd.values}


def evaluation_axes() -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates of the GRID x GRID evaluation grid."""
    return (np.linspace(-1.0, 1.0, GRID), np.linspace(-1.0, 1.0, GRID))
