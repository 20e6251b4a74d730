"""Eikonal equation |grad u| = 1 / c(x): first-arrival travel time from a source at speed c.

``residual(u, space, c, viscosity)`` is |grad u| - 1/c - viscosity lap(u). With viscosity
eps > 0 its solutions converge, as eps -> 0, to the viscosity solution (the first-arrival
time: kinks only where fronts from different directions meet, like the ridge between two
sources), so a small eps steers training away from the many other almost-everywhere
solutions of |grad u| = 1/c.

Point sources: u = |x - x0| tau(x) ("factored eikonal") with a smooth factor tau, since the
cone |x - x0| carries the singularity at the source. ``factored_residual(tau, ...)`` is
|grad u| - 1/c written through tau without dividing by |x - x0|,

    |grad u|^2 = tau^2 + 2 tau (x - x0) . grad tau + |x - x0|^2 |grad tau|^2,

and the source condition is tau(x0) = 1 / c(x0).

>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> u = sp.Function("u")(x, y)
>>> residual(u, (x, y))
sqrt(Derivative(u(x, y), x)**2 + Derivative(u(x, y), y)**2) - 1
"""

from __future__ import annotations

import sympy as sp

from pinnfield.symbolic import lap, normal_derivative

from .checks import require_positive
from .examples import Example

__all__ = ["residual", "factored_residual", "nonnegative", "outflow", "distance", "exact_examples"]


def residual(u, space, c=1, viscosity=0, domain=None) -> sp.Expr:
    """|grad u| - 1/c - viscosity lap(u); with ``domain``, c must be positive on it."""
    c = sp.sympify(c)
    if domain is not None:
        require_positive(c, domain)
    gradient_norm = sp.sqrt(sum(sp.diff(u, x) ** 2 for x in space))
    return gradient_norm - 1 / c - viscosity * lap(u, space)


def nonnegative(u) -> sp.Expr:
    """min(u, 0): zero where the travel time is >= 0.

    |grad u| = 1/c with u = 0 at a point source is also solved by -u and by plane waves through
    the source; travel times are non-negative, and this residual on the domain rules those out.
    """
    return sp.Min(u, 0)


def outflow(u, space) -> sp.Expr:
    """min(n . grad u, 0) on a boundary: zero where the travel time does not decrease outwards.

    First arrivals from sources inside a domain reach its walls travelling outwards (or along
    them), never inwards; a field that dips towards a wall, as if a second source sat there,
    violates this, and this residual on ``domain.boundary`` rules it out.
    """
    return sp.Min(normal_derivative(u, space), 0)


def factored_residual(tau, space, source, c=1, domain=None) -> sp.Expr:
    """|grad u| - 1/c for u = |x - source| tau, written without the singular factor (see above)."""
    c = sp.sympify(c)
    if domain is not None:
        require_positive(c, domain)
    offset = [x - x0 for x, x0 in zip(space, source)]
    grad_tau = [sp.diff(tau, x) for x in space]
    squared = (tau**2 + 2 * tau * sum(o * g for o, g in zip(offset, grad_tau))
               + sum(o**2 for o in offset) * sum(g**2 for g in grad_tau))
    return sp.sqrt(squared) - 1 / c


def distance(space, source) -> sp.Expr:
    """|x - source|: the travel time at unit speed, and the factor of the factored form."""
    return sp.sqrt(sum((x - x0) ** 2 for x, x0 in zip(space, source)))


def exact_examples() -> list[Example]:
    """Distance from a point; a speed linear in y with its closed-form travel time; a factored form."""
    x, y = sp.symbols("x y")
    u, tau = sp.Function("u")(x, y), sp.Function("tau")(x, y)
    x0 = (sp.Rational(1, 10), sp.Rational(-1, 5))
    c0, g = 2, 1
    speed = c0 + g * y
    squared = (x - x0[0]) ** 2 + (y - x0[1]) ** 2
    linear_time = sp.acosh(1 + g**2 * squared / (2 * speed.subs(y, x0[1]) * speed)) / g
    away = ((0.3, -1), (1, 1))
    return [
        Example("distance", (residual(u, (x, y)),), {u: distance((x, y), x0)}, (x, y), box=away),
        Example("linear speed", (residual(u, (x, y), speed),), {u: linear_time}, (x, y), box=away),
        Example("factored linear speed", (factored_residual(tau, (x, y), x0, speed),),
                {tau: linear_time / distance((x, y), x0)}, (x, y), box=away),
    ]
