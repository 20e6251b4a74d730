"""Viscous Burgers: u_t + u u_x = (0.01/pi) u_xx on x in [-1, 1], t in [0, 1] (Raissi et al. 2019).

u(x, 0) = -sin(pi x) and u(+-1, t) = 0: a shock forms at x = 0 near t = 0.3 and steepens
until its slope reaches about -152 at t = 0.51. References: the Cole-Hopf solution by
quadrature (``exact``) and a fine-grid method-of-lines solve (``fd``, second order in space).
``pinnfield run burgers`` trains with :data:`DEFAULTS`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import pinnfield as pf
from pinnfield.equations import burgers

x, t = sp.symbols("x t")
u = sp.Function("u")(x, t)
NU = 0.01 / np.pi
TIME = t

DEFAULTS = dict(steps=0, lbfgs_steps=5000, seed=0, sampling="uniform")
"""fit() settings measured to reach rel L2 <= 5e-3 on the 2-core CPU: L-BFGS alone on one fixed
set of points, as Raissi et al. (an Adam phase first, or weighted boundary terms, led to a
wrong shock in our measurements)."""

GRID = (256, 101)
"""Evaluation grid in (x, t), the resolution of Raissi et al.'s data set."""

MOL_NODES = 2049
"""Nodes of the method-of-lines reference (boundary included)."""


def problem(width: int = 20, depth: int = 8, activation: str = "tanh",
            n_interior: int = 10_000, n_boundary: int = 100, n_initial: int = 100,
            boundary_weight: float = 1.0, initial_weight: float = 1.0,
            causal_epsilon: float | None = None) -> pf.Problem:
    """The Burgers problem on an MLP of the given size (``activation``: one of pf.MLP's);
    ``causal_epsilon`` (None: off) weights the residual causally in time (pf.Causal)."""
    # Domain
    domain = pf.Interval(-1, 1, x) * pf.TimeInterval(0, 1, t)
    # Problem
    return pf.Problem(
        fields={u: pf.MLP(in_dim=2, out_dim=1, width=width, depth=depth, activation=activation)},
        constraints=[
            pf.Constraint(burgers.residual(u, x, t, NU), on=domain.interior, n=n_interior,
                          causal=pf.Causal(t, chunks=32, epsilon=causal_epsilon) if causal_epsilon else None),
            pf.Constraint(u, on=domain.boundary, n=n_boundary, weight=boundary_weight),
            pf.Constraint(u + sp.sin(sp.pi * x), on=domain.initial, n=n_initial, weight=initial_weight,
                          name="initial value"),
        ],
    )


def solve(**fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``."""
    return pf.fit(problem(), **{**DEFAULTS, **fit_overrides})


def references(axes) -> dict[str, np.ndarray]:
    """Cole-Hopf (``exact``) and method of lines (``fd``) on the (x, t) grid ``axes``."""
    from scipy.interpolate import make_interp_spline

    from pinnfield.validation.burgers_ref import burgers_sine, solve_burgers_mol

    X, T = np.meshgrid(*axes, indexing="ij")
    nodes, values = solve_burgers_mol(MOL_NODES, axes[1], NU, lambda s: -np.sin(np.pi * s))
    fd = make_interp_spline(nodes, values, k=3, axis=0)(axes[0])
    return {"exact": burgers_sine(X, T, NU), "fd": fd}


def evaluation_axes() -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates of the (x, t) evaluation grid."""
    return (np.linspace(-1.0, 1.0, GRID[0]), np.linspace(0.0, 1.0, GRID[1]))
