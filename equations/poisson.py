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

__all__ = ["residual", "source"]


def residual(u, f, space) -> sp.Expr:
    """-lap(u) - f over the spatial coordinates ``space``."""
    return -lap(u, space) - f


def source(u_exact, space) -> sp.Expr:
    """The f = -lap(u_exact) for which ``u_exact`` solves -lap(u) = f."""
    return sp.simplify(-lap(u_exact, space))
