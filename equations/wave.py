"""Wave equation u_tt = c^2 lap(u), c a constant or a positive function of space.

``residual(u, t, space, c)`` is u_tt - c^2 lap(u); ``initial_conditions`` gives the residuals
u - u0 and u_t - v0 for the initial slice; ``standing_wave`` builds the exact solution of a
box with fixed walls as a sum of modes. Pass ``domain=`` to check that c > 0 on it.

>>> import sympy as sp
>>> x, t = sp.symbols("x t")
>>> standing_wave((x,), t, c=2, modes=[(1, (1,))], lengths=(1,))
sin(pi*x)*cos(2*pi*t)
"""

from __future__ import annotations

import sympy as sp

from pinnfield.errors import EquationError
from pinnfield.symbolic import lap

from .checks import require_positive
from .examples import Example

__all__ = ["residual", "initial_conditions", "standing_wave", "exact_examples"]


def residual(u, t, space, c=1, domain=None) -> sp.Expr:
    """u_tt - c^2 lap(u); ``c`` a number or a sympy expression of ``space``.

    With ``domain`` (the spatial domain, or the space-time domain) a speed that is not positive
    somewhere on it raises DomainError.
    """
    c = sp.sympify(c)
    if t in c.free_symbols:
        raise EquationError(f"The speed c = {c} depends on time {t}; expected a function of space {tuple(space)} only.")
    if domain is not None:
        require_positive(c, domain)
    return sp.diff(u, t, 2) - c**2 * lap(u, space)


def initial_conditions(u, t, value, velocity=0) -> tuple[sp.Expr, sp.Expr]:
    """Residuals (u - value, u_t - velocity), for use on the initial slice ``domain.initial``."""
    return u - value, sp.diff(u, t) - velocity


def standing_wave(space, t, c, modes, lengths, lower=None) -> sp.Expr:
    """Sum of modes a prod_j sin(n_j pi (x_j - l_j) / L_j) cos(omega t) with u = 0 on the walls.

    ``modes``: pairs (amplitude a, integers (n_1, ..., n_d)); ``lengths``: side lengths L_j;
    ``lower``: the walls l_j (default 0); omega = c pi sqrt(sum_j (n_j / L_j)^2), so each mode
    solves u_tt = c^2 lap(u) with zero initial velocity.
    """
    space = tuple(space)
    lower = lower or (0,) * len(space)
    total = sp.S(0)
    for amplitude, numbers in modes:
        shape = sp.Mul(*[sp.sin(n * sp.pi * (x - l) / L) for x, n, l, L in zip(space, numbers, lower, lengths)])
        omega = c * sp.pi * sp.sqrt(sum(sp.Rational(n) ** 2 / sp.nsimplify(L) ** 2 for n, L in zip(numbers, lengths)))
        total += amplitude * shape * sp.cos(omega * t)
    return total


def exact_examples() -> list[Example]:
    """Standing waves in 1-D and 2-D; d'Alembert travelling waves under a variable-free speed."""
    x, y, t = sp.symbols("x y t")
    u1 = sp.Function("u")(x, t)
    u2 = sp.Function("u")(x, y, t)
    exact1 = standing_wave((x,), t, 2, [(1, (1,)), (sp.Rational(1, 2), (4,))], (1,))
    exact2 = standing_wave((x, y), t, 1, [(1, (1, 2))], (2, 2), lower=(-1, -1))
    travelling = sp.exp(-(x - 3 * t) ** 2) + sp.sin(x + 3 * t)
    return [
        Example("1-D standing wave", (residual(u1, t, (x,), 2), *initial_conditions(u1, t, exact1.subs(t, 0))),
                {u1: exact1}, (x, t), box=((0, 0), (1, 0))),
        Example("1-D standing wave in time", (residual(u1, t, (x,), 2),), {u1: exact1}, (x, t)),
        Example("2-D standing wave", (residual(u2, t, (x, y), 1),), {u2: exact2}, (x, y, t)),
        Example("d'Alembert", (residual(u1, t, (x,), 3),), {u1: travelling}, (x, t)),
    ]
