"""Poisson on the unit square: -lap(u) = 2 pi^2 sin(pi x) sin(pi y), u = 0 on the boundary.

The exact solution is u = sin(pi x) sin(pi y); the reference is the 5-point finite-difference
solution on the evaluation grid. ``pinnfield run poisson`` trains with :data:`DEFAULTS`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import pinnfield as pf
from pinnfield.equations import poisson

x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)

DEFAULTS = dict(steps=1000, lr=1e-3, lbfgs_steps=1000, schedule="cosine", seed=0)
"""fit() settings that reach rel L2 <= 1e-3 on the 2-core CPU (see tests/test_problems.py)."""

GRID = 101
"""Evaluation grid: GRID x GRID nodes on the unit square, boundary included."""


def problem(width: int = 64, depth: int = 3, omega0: float = 3.0, omega_hidden: float = 3.0,
            n_interior: int = 2048, n_boundary: int = 512) -> pf.Problem:
    """The Poisson problem with a Siren of the given size."""
    # Domain
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    # Problem
    u_exact = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
    f = poisson.source(u_exact, (x, y))
    return pf.Problem(
        fields={u: pf.Siren(in_dim=2, out_dim=1, width=width, depth=depth,
                            omega0=omega0, omega_hidden=omega_hidden)},
        constraints=[
            pf.Constraint(poisson.residual(u, f, (x, y)), on=square.interior, n=n_interior),
            pf.Constraint(u - u_exact, on=square.boundary, n=n_boundary, weight=10.0),
        ],
        exact={u: u_exact},
    )


def solve(**fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``."""
    return pf.fit(problem(), **{**DEFAULTS, **fit_overrides})


def references(axes) -> dict[str, np.ndarray]:
    """Reference values of u on the grid with the given 1-D node arrays (indexing 'ij')."""
    from pinnfield.validation.fd import solve_poisson_box

    source = sp.lambdify((x, y), poisson.source(sp.sin(sp.pi * x) * sp.sin(sp.pi * y), (x, y)), "numpy")
    fd = solve_poisson_box((0, 0), (1, 1), tuple(len(a) for a in axes), source, lambda X, Y: 0 * X)
    return {"fd": fd.values}


def evaluation_axes() -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates of the GRID x GRID evaluation grid."""
    return (np.linspace(0.0, 1.0, GRID), np.linspace(0.0, 1.0, GRID))
