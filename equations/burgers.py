"""Viscous Burgers equation u_t + u u_x - nu u_xx = 0 (nonlinear advection with diffusion).

>>> import sympy as sp
>>> x, t = sp.symbols("x t")
>>> u = sp.Function("u")(x, t)
>>> residual(u, x, t, sp.Symbol("nu"))
-nu*Derivative(u(x, t), (x, 2)) + u(x, t)*Derivative(u(x, t), x) + Derivative(u(x, t), t)
"""

from __future__ import annotations

import sympy as sp

from pinnfield.errors import EquationError

from .examples import Example

__all__ = ["residual", "travelling_front", "exact_examples"]


def residual(u, x, t, nu) -> sp.Expr:
    """u_t + u u_x - nu u_xx; ``nu`` > 0 is the viscosity (a number or a symbol)."""
    nu = sp.sympify(nu)
    if nu.is_number and not nu > 0:
        raise EquationError(f"Burgers viscosity nu = {nu}; expected a positive number.")
    return sp.diff(u, t) + u * sp.diff(u, x) - nu * sp.diff(u, x, 2)


def travelling_front(x, t, nu, left=1, right=0) -> sp.Expr:
    """Exact viscous shock joining u = left (x -> -inf) to u = right (x -> +inf) at speed (left + right)/2.

    u = s - a tanh(a (x - s t) / (2 nu)), s = (left + right) / 2, a = (left - right) / 2.
    """
    s, a = sp.Rational(left + right, 2), sp.Rational(left - right, 2)
    return s - a * sp.tanh(a * (x - s * t) / (2 * nu))


def exact_examples() -> list[Example]:
    """A viscous shock, and the Cole-Hopf solution of a heat-equation mode."""
    x, t = sp.symbols("x t")
    u = sp.Function("u")(x, t)
    nu = sp.Rational(1, 20)
    phi = 2 + sp.exp(-nu * sp.pi**2 * t) * sp.cos(sp.pi * x)
    return [
        Example("viscous shock", (residual(u, x, t, nu),), {u: travelling_front(x, t, nu, 1, -1)}, (x, t)),
        Example("Cole-Hopf", (residual(u, x, t, nu),), {u: -2 * nu * sp.diff(phi, x) / phi}, (x, t)),
    ]
