"""Fitting a field to a signal: its values, its gradient or its Laplacian; SDF and occupancy losses.

These are the neural-field experiments of Sitzmann et al. (2020) written as residuals, so they
train through the same constraints as a PDE:

* ``value_fit``: u - I (an image, an audio clip);
* ``gradient_fit``: u_x - I_x, u_y - I_y, one residual per coordinate (Poisson image
  reconstruction from the gradient: u is then determined up to a constant);
* ``laplacian_fit``: lap(u) - I_lap (u determined up to a harmonic function, in practice up to
  an affine map of the values);
* ``sdf_terms``: the SIREN signed-distance loss for a field f fitted to an oriented point cloud,

      3e3 mean_surface |f| + 1e2 mean_surface (1 - cos(grad f, n))
      + 5e1 mean_space | |grad f| - 1 | + 1e2 mean_space exp(-alpha |f|),

  (``SDF_WEIGHTS``, ``alpha`` = 100): zero level set through the points, gradient along their
  normals, unit gradient everywhere (the Eikonal equation), no spurious zero level set away
  from the points;
* ``sdf_sign``: max((2 inside - 1) f, 0), the amount by which f has the wrong sign at points
  labelled inside (1) or outside (0); zero for any SDF that is negative inside. With labels from
  a closed mesh it removes spurious zero level sets (bubbles) that the SIREN loss alone allows;
* ``occupancy_bce``: the binary cross-entropy of a logit field o against inside/outside labels
  (Occupancy Networks), written in the overflow-free form max(o, 0) - o label + log(1 + e^-|o|).

>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> u = sp.Function("u")(x, y)
>>> gradient_fit(u, (x, y), sp.symbols("I_x I_y"))
[-I_x + Derivative(u(x, y), x), -I_y + Derivative(u(x, y), y)]
"""

from __future__ import annotations

import sympy as sp

from pinnfield.errors import EquationError
from pinnfield.symbolic import lap

from .examples import Example

__all__ = ["value_fit", "gradient_fit", "laplacian_fit", "sdf_terms", "SDF_WEIGHTS", "sdf_sign", "occupancy_bce",
           "exact_examples"]

SDF_WEIGHTS = {"surface": 3e3, "normal": 1e2, "eikonal": 5e1, "off_surface": 1e2}
"""Weights of the SIREN SDF loss terms (Sitzmann et al. 2020), by the names of :func:`sdf_terms`."""

_COSINE_EPS = 1e-12  # keeps 1 - cos defined where grad f vanishes


def value_fit(u, target) -> sp.Expr:
    """u - target."""
    return u - sp.sympify(target)


def gradient_fit(u, space, targets) -> list[sp.Expr]:
    """[du/dx_k - targets_k for each coordinate x_k]: one residual per component."""
    targets = list(targets)
    if len(targets) != len(space):
        raise EquationError(f"gradient_fit needs one target per coordinate ({len(space)}); received {len(targets)}.")
    return [sp.diff(u, x) - sp.sympify(t) for x, t in zip(space, targets)]


def laplacian_fit(u, space, target) -> sp.Expr:
    """lap(u) - target."""
    return lap(u, space) - sp.sympify(target)


def sdf_terms(f, space, normal, alpha: float = 100.0) -> dict[str, tuple[sp.Expr, str]]:
    """The SIREN SDF loss as ``{name: (residual, loss)}``, ``loss`` a ``pf.Constraint`` loss kind.

    ``normal``: the symbols of the surface points' unit normal data columns (one per coordinate).
    ``surface`` (|f|, "mae") and ``normal`` (1 - cos(grad f, n), "mean") go on surface points;
    ``eikonal`` (| |grad f| - 1 |, "mae") and ``off_surface`` (exp(-alpha |f|), "mean") on
    points of the whole box. Weights: :data:`SDF_WEIGHTS`.
    """
    normal = list(normal)
    if len(normal) != len(space):
        raise EquationError(f"sdf_terms needs one normal component per coordinate ({len(space)}); received {len(normal)}.")
    gradient = [sp.diff(f, x) for x in space]
    squared = sum(g**2 for g in gradient)
    cosine = sum(g * n for g, n in zip(gradient, normal)) / sp.sqrt(squared + _COSINE_EPS)
    return {
        "surface": (f, "mae"),
        "normal": (1 - cosine, "mean"),
        "eikonal": (sp.sqrt(squared) - 1, "mae"),
        "off_surface": (sp.exp(-alpha * sp.Abs(f)), "mean"),
    }


def sdf_sign(f, inside) -> sp.Expr:
    """max((2 inside - 1) f, 0): how far f is on the wrong side of zero at a point labelled
    ``inside`` (1: inside, f should be <= 0; 0: outside, f should be >= 0). Use with loss "mean"."""
    return sp.Max((2 * sp.sympify(inside) - 1) * f, 0)


def occupancy_bce(logit, label) -> sp.Expr:
    """-[label log s(o) + (1 - label) log(1 - s(o))] with s the logistic function, o = ``logit``."""
    return sp.Max(logit, 0) - logit * label + sp.log(1 + sp.exp(-sp.Abs(logit)))


def exact_examples() -> list[Example]:
    """A field equal to its target, with the gradient and Laplacian of that target; the distance to
    a circle, which satisfies the Eikonal and normal terms of the SDF loss away from the centre."""
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    target = sp.sin(3 * x) * sp.exp(y) + x * y**2
    radius = sp.Rational(1, 2)
    r = sp.sqrt(x**2 + y**2)
    terms = sdf_terms(u, (x, y), (x / r, y / r))
    away = ((0.3, 0.3), (1, 1))
    inside = sp.Heaviside(radius - r)
    return [
        Example("value", (value_fit(u, target),), {u: target}, (x, y)),
        Example("gradient", tuple(gradient_fit(u, (x, y), (target.diff(x), target.diff(y)))), {u: target + 7}, (x, y)),
        Example("laplacian", (laplacian_fit(u, (x, y), lap(target, (x, y))),), {u: target + 2 * x - y}, (x, y)),
        Example("circle distance", (terms["normal"][0], terms["eikonal"][0]), {u: r - radius}, (x, y), box=away),
        Example("circle sign", (sdf_sign(u, inside),), {u: r - radius}, (x, y)),
    ]
