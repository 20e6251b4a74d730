"""Eikonal |grad T| = 1 on [-1, 1]^2 with T = 0 at the origin: the distance to a point.

The exact solution is T = sqrt(x^2 + y^2). By default the travel time is factored,
T = |x - x0| tau(x), and the network learns tau (tau(x0) = 1, tau >= 0), which carries no
singularity; ``problem(factored=False)`` trains T itself, with a term that keeps it
non-negative and an optional viscosity eps lap(T). Both forms require that T does not
decrease towards the walls (first arrivals leave the square, none enter it).
``pinnfield run eikonal`` trains with :data:`DEFAULTS`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import pinnfield as pf
from pinnfield.equations import eikonal

x, y = sp.symbols("x y")
SOURCE = (0.0, 0.0)
DISTANCE = eikonal.distance((x, y), SOURCE)
tau = sp.Function("tau")(x, y)
T = sp.Function("T")(x, y)

DEFAULTS = dict(steps=1000, lr=1e-3, lbfgs_steps=200, schedule="cosine", seed=0)
"""fit() settings measured to reach rel L2 <= 1e-2 on the 2-core CPU."""

GRID = 201
"""Evaluation grid: GRID x GRID nodes on the square, boundary included."""

REFERENCE_REFINEMENT = 4
"""The fast-sweeping grid is this many times finer than the evaluation grid."""


def problem(width: int = 64, depth: int = 3, omega0: float = 3.0, omega_hidden: float = 3.0,
            n_interior: int = 4096, factored: bool = True, viscosity: float = 0.0,
            n_boundary: int = 1024, source_weight: float = 10.0, sign_weight: float = 10.0) -> pf.Problem:
    """The eikonal problem with a Siren; ``factored=False`` learns T directly (``viscosity`` > 0
    adds eps lap(T)), with the constraints min(T, 0) = 0 inside and min(dT/dn, 0) = 0 on the walls."""
    # Domain
    square = pf.Box((-1, -1), (1, 1), coords=(x, y))
    source = pf.Points(np.array([SOURCE]), coords=(x, y))
    siren = pf.Siren(in_dim=2, out_dim=1, width=width, depth=depth, omega0=omega0, omega_hidden=omega_hidden)
    # Problem
    if factored:
        return pf.Problem(
            fields={tau: siren},
            constraints=[
                pf.Constraint(eikonal.factored_residual(tau, (x, y), SOURCE), on=square.interior, n=n_interior),
                pf.Constraint(tau - 1, on=source, weight=source_weight, name="source"),
                pf.Constraint(eikonal.nonnegative(tau), on=square.interior, n=n_interior, weight=sign_weight,
                              name="non-negative"),
                pf.Constraint(eikonal.outflow(DISTANCE * tau, (x, y)), on=square.boundary, n=n_boundary,
                              weight=sign_weight, name="outflow"),
            ],
        )
    return pf.Problem(
        fields={T: siren},
        constraints=[
            pf.Constraint(eikonal.residual(T, (x, y), 1, viscosity), on=square.interior, n=n_interior),
            pf.Constraint(T, on=source, weight=source_weight, name="source"),
            pf.Constraint(eikonal.nonnegative(T), on=square.interior, n=n_interior, weight=sign_weight,
                          name="non-negative"),
            pf.Constraint(eikonal.outflow(T, (x, y)), on=square.boundary, n=n_boundary, weight=sign_weight,
                          name="outflow"),
        ],
        exact={T: DISTANCE},
    )


def outputs(solution) -> dict:
    """The travel time T as an expression of the trained field, whichever form was trained."""
    trained = {str(f.func) for f in solution.slots}
    return {"T": DISTANCE * tau if "tau" in trained else T}


def solve(**fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``."""
    return pf.fit(problem(), **{**DEFAULTS, **fit_overrides})


def references(axes) -> dict[str, np.ndarray]:
    """The exact distance, and fast sweeping (first order) on a grid REFERENCE_REFINEMENT times
    finer, sampled at the nodes of ``axes``."""
    from pinnfield.validation.eikonal_fs import solve_eikonal_box

    X, Y = np.meshgrid(*axes, indexing="ij")
    n = tuple(REFERENCE_REFINEMENT * (len(a) - 1) + 1 for a in axes)
    fd = solve_eikonal_box((-1, -1), (1, 1), n, 1.0, [SOURCE])
    return {"exact": np.hypot(X - SOURCE[0], Y - SOURCE[1]),
            "fd": fd.values[::REFERENCE_REFINEMENT, ::REFERENCE_REFINEMENT]}


def evaluation_axes() -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates of the GRID x GRID evaluation grid."""
    return (np.linspace(-1.0, 1.0, GRID), np.linspace(-1.0, 1.0, GRID))
