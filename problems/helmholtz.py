"""Helmholtz on the unit square: -lap(u) - k0^2 u = k0^2 sin(k0 x) sin(k0 y), u = 0 on the boundary.

k0 = 4 pi, so the exact solution u = sin(k0 x) sin(k0 y) has two periods along each side. The
references are the exact solution and the 5-point finite-difference solution on the
evaluation grid. ``pinnfield run helmholtz`` trains with :data:`DEFAULTS`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import pinnfield as pf
from pinnfield.equations import helmholtz

x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)
K0 = 4 * sp.pi
EXACT = sp.sin(K0 * x) * sp.sin(K0 * y)

DEFAULTS = dict(steps=2000, lr=1e-3, lbfgs_steps=1000, schedule="cosine", seed=0)
"""fit() settings measured to reach rel L2 <= 5e-3 on the 2-core CPU."""

GRID = 201
"""Evaluation grid: GRID x GRID nodes on the unit square, boundary included."""


def problem(width: int = 64, depth: int = 3, omega0: float = 10.0, omega_hidden: float = 10.0,
            n_interior: int = 4096, n_boundary: int = 1024) -> pf.Problem:
    """The Helmholtz problem with a Siren of the given size."""
    # Domain
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    # Problem: lap(u) + k0^2 u = f with f = -k0^2 sin(k0 x) sin(k0 y)
    f = helmholtz.source(EXACT, (x, y), K0)
    return pf.Problem(
        fields={u: pf.Siren(in_dim=2, out_dim=1, width=width, depth=depth,
                            omega0=omega0, omega_hidden=omega_hidden)},
        constraints=[
            pf.Constraint(helmholtz.residual(u, f, (x, y), K0) / K0**2, on=square.interior, n=n_interior),
            pf.Constraint(u, on=square.boundary, n=n_boundary, weight=10.0),
        ],
        exact={u: EXACT},
    )


def solve(**fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``."""
    return pf.fit(problem(), **{**DEFAULTS, **fit_overrides})


def references(axes) -> dict[str, np.ndarray]:
    """The 5-point FD solution of -lap(u) - k0^2 u = f on the grid ``axes`` (indexing 'ij')."""
    from pinnfield.validation.helmholtz_fd import solve_helmholtz_box

    f = sp.lambdify((x, y), helmholtz.source(EXACT, (x, y), K0), "numpy")
    fd = solve_helmholtz_box((0, 0), (1, 1), tuple(len(a) for a in axes), float(K0), f)
    return {"fd": np.real(fd.values)}


def evaluation_axes() -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates of the GRID x GRID evaluation grid."""
    return (np.linspace(0.0, 1.0, GRID), np.linspace(0.0, 1.0, GRID))
