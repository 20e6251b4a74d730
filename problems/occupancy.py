"""Occupancy of a solid, learned from inside/outside labels (Mescheder et al. 2019, Occupancy Networks).

A Siren o(x, y, z) is a logit: the probability that a point is inside is s(o), s the logistic
function, trained with the binary cross-entropy (``equations.fitting.occupancy_bce``) on a fixed
pool of labelled points, half near the surface (offsets of standard deviation 0.01) and half
uniform in the box [-1, 1]^3. The solid is bounded by a mesh file (``data``, normalised into
[-0.9, 0.9]^3) or, without data, the torus of ``problems.sdf``. The surface is the level set
o = 0; ``pinnfield run occupancy`` writes it as PLY and OBJ and reports Chamfer distance,
normal consistency and IoU (``pinnfield.validation.shape_report``).
"""

from __future__ import annotations

import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import fitting

from ._data import data_of, solve_at_scale
from .sdf import shape, x, y, z

o = sp.Function("o")(x, y, z)
POOL = 200_000
"""Labelled points drawn once; every step takes a random batch of them."""

DEFAULTS = dict(steps=3000, lbfgs_steps=0, lr=1e-4, schedule="cosine", seed=0, derivatives="autograd")
"""fit() settings. Only first derivatives in three coordinates: one backward pass (autograd) was
faster here than three forward tangents (jets), 0.19 s against 0.29 s a step for the SDF loss."""

PAPER = dict(problem=dict(batch=250_000, pool=2_000_000), fit=dict(steps=10000))
"""The scale of a GPU run: 250,000 labelled points per step from a pool of 2,000,000, 10,000 steps
(``solve(paper=True)``)."""


def problem(data=None, width: int = 256, depth: int = 3, omega0: float = 30.0, batch: int = 8192,
            pool: int = POOL, seed: int = 0) -> pf.Problem:
    """Binary cross-entropy of the logit field o against the labels, ``batch`` points per step."""
    mesh = shape(data)
    labelled = mesh.labelled(pool, torch.Generator().manual_seed(seed))
    return pf.Problem(
        fields={o: pf.Siren(in_dim=3, out_dim=1, width=width, depth=depth, omega0=omega0, omega_hidden=30.0)},
        constraints=[pf.Constraint(fitting.occupancy_bce(o, sp.Symbol("inside")), on=labelled, n=batch,
                                   loss="mean", name="cross-entropy")],
    )


def solve(data=None, paper: bool = False, **fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``; ``paper``: at :data:`PAPER` scale."""
    return solve_at_scale(problem, DEFAULTS, PAPER, data, paper, fit_overrides)


def report(solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Level set o = 0 as PLY/OBJ, slices, Chamfer, normal consistency and IoU."""
    from pinnfield.validation.shape_report import write_shape_report

    return write_shape_report(solution, shape(data_of(solution, data)), "o", out, name, validation=validation,
                              inside_below=False, sdf=False)
