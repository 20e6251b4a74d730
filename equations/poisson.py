"""Poisson's equation -lap(u) = f.

``residual(u, f, space)`` is -lap(u) - f: zero where u solves the equation. ``source`` derives
the f of a manufactured solution, so a problem with a known answer takes two lines:

>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> source(sp.sin(sp.pi * x) * sp.sin(sp.pi * y), (x, y))
2*pi**2*sin(pi*x)*sin(pi*y)
"""

from __future__ import annotations

import sympy as sp

from pinnfield.symbolic import lap

from .examples import Example

__all__ = ["residual", "source", "exact_examples"]


def residual(u, f, space) -> sp.Expr:
    """-lap(u) - f over the spatial coordinates ``space``."""
    return -lap(u, space) - f


def source(u_exact, space) -> sp.Expr:
    """The f = -lap(u_exact) for which ``u_exact`` solves -lap(u) = f."""
    return sp.simplify(-lap(u_exact, space))


def exact_examples() -> list[Example]:
    """Manufactured solutions in 2-D and 3-D."""
    x, y, z = sp.symbols("x y z")
    u, w = sp.Function("u")(x, y), sp.Function("w")(x, y, z)
    u_exact = sp.exp(x) * sp.sin(2 * y) + x**3 * y
    w_exact = sp.sin(x) * sp.cosh(y) * z**2
    return [
        Example("2-D", (residual(u, source(u_exact, (x, y)), (x, y)),), {u: u_exact}, (x, y)),
        Example("3-D", (residual(w, source(w_exact, (x, y, z)), (x, y, z)),), {w: w_exact}, (x, y, z)),
    ]
