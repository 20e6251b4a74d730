"""Signed distance function of a surface, learned from its oriented points (Sitzmann et al. 2020, sec. 4.3).

A Siren f(x, y, z) is trained with the SIREN SDF loss (``equations.fitting.sdf_terms``): |f| and
1 - cos(grad f, n) on points sampled on the surface with their normals, | |grad f| - 1 | and
exp(-100 |f|) on points of the box [-1, 1]^3. For a closed mesh a sign term
(``equations.fitting.sdf_sign``) on points labelled inside/outside by the mesh keeps f negative
inside: without it, bubbles of the wrong sign can survive deep inside the shape, where the
surface terms do not reach (on the bunny, a closed pocket in the body cost IoU 0.979). The surface is a mesh file (``data``: OBJ, PLY,
STL or OFF, normalised into [-0.9, 0.9]^3, the map recorded) or, without data, a torus of
radii 0.6 and 0.25. ``pinnfield run sdf [--data mesh.obj]`` writes the zero level set as PLY and
OBJ and reports Chamfer distance, normal consistency, IoU and the Eikonal deviation
(``pinnfield.validation.shape_report``).
"""

from __future__ import annotations

import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import fitting

from ._data import data_of, solve_at_scale

x, y, z = sp.symbols("x y z")
f = sp.Function("f")(x, y, z)
NORMAL = sp.symbols("n_x n_y n_z")
"""Data columns of ``mesh.surface``: the unit outward normal."""

DEFAULTS = dict(steps=3000, lbfgs_steps=0, lr=1e-4, schedule="cosine", seed=0, derivatives="autograd")
"""fit() settings. Only first derivatives in three coordinates: one backward pass (autograd) was
faster here than three forward tangents (jets), 0.19 s against 0.29 s a step for the SDF loss."""

PAPER = dict(problem=dict(n_surface=125_000, n_space=125_000), fit=dict(steps=10000))
"""The paper's scale (a GPU run): 250,000 points per step, half on the surface, 10,000 steps
(``solve(paper=True)``)."""


def shape(data=None) -> pf.Mesh:
    """The mesh file ``data`` (or a ``pf.Mesh``) or the default torus, normalised into [-0.9, 0.9]^3."""
    if isinstance(data, pf.Mesh):
        return data
    if data is None:
        import trimesh

        torus = trimesh.creation.torus(major_radius=0.6, minor_radius=0.25, major_sections=96, minor_sections=48)
        return pf.Mesh(torus.vertices, torus.faces, (x, y, z))
    return pf.Mesh.from_file(data, (x, y, z))


SIGN_POOL = 200_000
"""Points labelled inside/outside once per problem (uniform in the box, fixed seed 0); the sign
term draws its batches from them."""


def problem(data=None, width: int = 256, depth: int = 3, omega0: float = 30.0, n_surface: int = 4096,
            n_space: int = 4096, weights: dict | None = None, alpha: float = 100.0, n_sign: int = 2048,
            sign_weight: float = 1e3) -> pf.Problem:
    """The SIREN SDF loss on a Siren of ``depth`` hidden layers of ``width``; ``weights`` override
    :data:`equations.fitting.SDF_WEIGHTS` by term name.

    For a closed mesh, ``sign_weight`` times :func:`equations.fitting.sdf_sign` on ``n_sign``
    points a step, labelled inside/outside by the mesh, rules out spurious bubbles of the wrong
    sign inside the shape (the SIREN loss alone only sees the surface). ``n_sign=0``, or an open
    mesh, trains the plain SIREN loss.
    """
    mesh = shape(data)
    weights = {**fitting.SDF_WEIGHTS, **(weights or {})}
    terms = fitting.sdf_terms(f, (x, y, z), NORMAL, alpha=alpha)
    surface, space = mesh.surface, mesh.space  # one object each: terms on a region share its batch
    region = {"surface": (surface, n_surface), "normal": (surface, n_surface),
              "eikonal": (space, n_space), "off_surface": (space, n_space)}
    constraints = [pf.Constraint(residual, on=region[term][0], n=region[term][1], weight=weights[term],
                                 loss=loss, name=term) for term, (residual, loss) in terms.items()]
    if n_sign and mesh.watertight:
        labelled = mesh.labelled(SIGN_POOL, torch.Generator().manual_seed(0), near_surface=0.0)
        constraints.append(pf.Constraint(fitting.sdf_sign(f, sp.Symbol("inside")), on=labelled, n=n_sign,
                                         weight=sign_weight, loss="mean", name="sign"))
    return pf.Problem(
        fields={f: pf.Siren(in_dim=3, out_dim=1, width=width, depth=depth, omega0=omega0, omega_hidden=30.0)},
        constraints=constraints,
    )


def solve(data=None, paper: bool = False, **fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``; ``paper``: at :data:`PAPER` scale."""
    return solve_at_scale(problem, DEFAULTS, PAPER, data, paper, fit_overrides)


def report(solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Zero level set as PLY/OBJ, slices, Chamfer, normal consistency, IoU, Eikonal deviation."""
    from pinnfield.validation.shape_report import write_shape_report

    return write_shape_report(solution, shape(data_of(solution, data)), "f", out, name, validation=validation)
