"""Eikonal |grad T| = 1 / c(y) in a layered medium: c = 1.5 + 0.5 tanh(10 y), source at (0, 0.5).

The speed rises from 1 (below y = 0) to 2 (above) across a smooth interface, so fronts bend
and head waves run along the fast layer. The travel time is factored, T = |x - x0| tau(x),
and the network learns the smooth factor tau with tau(x0) = 1 / c(x0) and tau >= 0 (which
rules out -T) and T not decreasing towards the walls (no arrival enters the square); the
reported output is T. The residual is weighted causally in the distance from the source
(pf.Causal), so the solution grows outwards from it. The reference is a first-order
fast-sweeping (Godunov upwind) solution on a grid four times finer.
``pinnfield run eikonal_layered`` trains with :data:`DEFAULTS`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import pinnfield as pf
from pinnfield.equations import eikonal

x, y = sp.symbols("x y")
tau = sp.Function("tau")(x, y)
SOURCE = (0.0, 0.5)
SPEED = sp.Rational(3, 2) + sp.tanh(10 * y) / 2

DEFAULTS = dict(steps=2000, lr=1e-3, lbfgs_steps=500, schedule="cosine", seed=0)
"""fit() settings measured to reach rel L2 <= 3e-2 on the 2-core CPU."""

GRID = 201
"""Evaluation grid: GRID x GRID nodes on the square, boundary included."""

REFERENCE_REFINEMENT = 4
"""The fast-sweeping grid is this many times finer than the evaluation grid."""


def problem(width: int = 64, depth: int = 3, omega0: float = 3.0, omega_hidden: float = 3.0,
            n_interior: int = 4096, source_weight: float = 10.0,
            sign_weight: float = 10.0, n_boundary: int = 1024, outflow: bool = True,
            causal_epsilon: float | None = 100.0) -> pf.Problem:
    """The layered eikonal problem with a Siren for tau; ``causal_epsilon`` (None: off) weights
    the residual causally in the distance from the source (pf.Causal)."""
    # Domain
    square = pf.Box((-1, -1), (1, 1), coords=(x, y))
    source = pf.Points(np.array([SOURCE]), coords=(x, y))
    distance = eikonal.distance((x, y), SOURCE)
    causal = pf.Causal(distance, chunks=32, epsilon=causal_epsilon) if causal_epsilon else None
    # Problem
    return pf.Problem(
        fields={tau: pf.Siren(in_dim=2, out_dim=1, width=width, depth=depth,
                              omega0=omega0, omega_hidden=omega_hidden)},
        constraints=[
            pf.Constraint(eikonal.factored_residual(tau, (x, y), SOURCE, SPEED, domain=square),
                          on=square.interior, n=n_interior, causal=causal),
            pf.Constraint(tau - 1 / SPEED, on=source, weight=source_weight, name="source"),
            pf.Constraint(eikonal.nonnegative(tau), on=square.interior, n=n_interior, weight=sign_weight,
                          name="non-negative"),
        ] + ([pf.Constraint(eikonal.outflow(distance * tau, (x, y)), on=square.boundary, n=n_boundary,
                            weight=sign_weight, name="outflow")] if outflow else []),
    )


def outputs(solution) -> dict:
    """The travel time T = |x - x0| tau."""
    return {"T": eikonal.distance((x, y), SOURCE) * tau}


def solve(**fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``."""
    return pf.fit(problem(), **{**DEFAULTS, **fit_overrides})


def references(axes) -> dict[str, np.ndarray]:
    """Fast sweeping on a grid REFERENCE_REFINEMENT times finer, sampled at the nodes of ``axes``."""
    from pinnfield.validation.eikonal_fs import solve_eikonal_box

    n = tuple(REFERENCE_REFINEMENT * (len(a) - 1) + 1 for a in axes)
    speed = sp.lambdify((x, y), SPEED, "numpy")
    fd = solve_eikonal_box((-1, -1), (1, 1), n, speed, [SOURCE])
    return {"fd": fd.values[::REFERENCE_REFINEMENT, ::REFERENCE_REFINEMENT]}


def evaluation_axes() -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates of the GRID x GRID evaluation grid."""
    return (np.linspace(-1.0, 1.0, GRID), np.linspace(-1.0, 1.0, GRID))
