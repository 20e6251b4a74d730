"""Differential operators on sympy expressions, and what an expression asks of its fields.

Everything here returns plain sympy: applied to an unknown field ``u = Function("u")(x, y)``
the operators give unevaluated ``Derivative`` objects that the lowering step turns into jet
keys; applied to a known function they differentiate it symbolically.

>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> u = sp.Function("u")(x, y)
>>> lap(u, (x, y))
Derivative(u(x, y), (x, 2)) + Derivative(u(x, y), (y, 2))
>>> lap(sp.sin(x) * sp.sin(y), (x, y))
-2*sin(x)*sin(y)
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp
from sympy.core.function import AppliedUndef

from .errors import EquationError

__all__ = [
    "grad", "div", "lap", "dt", "normal_derivative", "normal_symbols", "requirements", "Parameter",
]


def _coords(coords) -> tuple[sp.Symbol, ...]:
    if isinstance(coords, sp.Symbol):
        coords = (coords,)
    coords = tuple(coords)
    for c in coords:
        if not isinstance(c, sp.Symbol):
            raise EquationError(
                f"Coordinate {c!r} is not a sympy Symbol; expected a tuple of symbols such as "
                "sp.symbols('x y'). Pass the coordinate symbols themselves."
            )
    return coords


def grad(expr, coords) -> sp.ImmutableMatrix:
    """Gradient (d expr/d c for c in coords) as a column matrix of shape (d, 1)."""
    return sp.ImmutableMatrix([sp.diff(expr, c) for c in _coords(coords)])


def div(vector: Sequence, coords) -> sp.Expr:
    """Divergence sum_i d v_i / d c_i of a vector given as a sequence (or matrix) of d expressions."""
    coords = _coords(coords)
    components = list(vector)
    if len(components) != len(coords):
        raise EquationError(
            f"div got a vector with {len(components)} components for {len(coords)} coordinates "
            f"{coords}; expected one component per coordinate."
        )
    return sp.Add(*[sp.diff(v, c) for v, c in zip(components, coords)])


def lap(expr, coords) -> sp.Expr:
    """Laplacian sum_i d^2 expr / d c_i^2."""
    return sp.Add(*[sp.diff(expr, c, 2) for c in _coords(coords)])


def dt(expr, t: sp.Symbol, order: int = 1) -> sp.Expr:
    """Time derivative d^order expr / dt^order."""
    return sp.diff(expr, _coords(t)[0], order)


def normal_symbols(coords) -> tuple[sp.Symbol, ...]:
    """The data symbols ``n_<c>`` that boundary regions fill with the outward unit normal."""
    return tuple(sp.Symbol(f"n_{c}") for c in _coords(coords))


def normal_derivative(expr, coords) -> sp.Expr:
    """Outward normal derivative sum_i n_i d expr / d c_i.

    The normal components are the data symbols ``n_x, n_y, ...`` which boundary regions supply
    per sampled point, so the result is usable as a Neumann condition on ``domain.boundary``.
    """
    coords = _coords(coords)
    return sp.Add(*[n * sp.diff(expr, c) for n, c in zip(normal_symbols(coords), coords)])


def requirements(expr) -> dict[sp.Function, set[tuple[int, ...]]]:
    """Derivative multi-indices each unknown field needs to evaluate ``expr``.

    Returns ``{u(x, y): {(0, 0), (2, 0), (0, 2)}}`` for ``lap(u) + u``: one tuple of derivative
    counts per field argument, in the field's argument order.
    """
    expr = sp.sympify(expr).doit()
    needs: dict = {}
    derivatives = expr.atoms(sp.Derivative)
    bare = expr.xreplace({d: sp.Dummy() for d in derivatives})
    for atom in bare.atoms(AppliedUndef):
        needs.setdefault(atom, set()).add((0,) * len(atom.args))
    for d in derivatives:
        if isinstance(d.expr, AppliedUndef):
            counts = dict(d.variable_count)
            needs.setdefault(d.expr, set()).add(tuple(counts.get(a, 0) for a in d.expr.args))
    return needs


class Parameter(sp.Symbol):
    """A scalar coefficient learned with the fields (inverse problems).

    Use it in residuals like any symbol: ``c = pf.Parameter("c", init=1.0)``. With
    ``bounds=(low, high)`` it is trained as low + (high - low) * sigmoid(theta), so it stays
    inside the bounds. The learned values are in ``solution.parameters[name]``.
    """

    init: float
    bounds: tuple[float, float] | None

    def __new__(cls, name: str, init: float = 1.0, bounds=None):
        obj = sp.Symbol.__xnew__(cls, name, real=True)
        obj.init = float(init)
        obj.bounds = None
        if bounds is not None:
            low, high = (float(b) for b in bounds)
            if not low < high:
                raise EquationError(
                    f"Parameter {name!r} has bounds ({low}, {high}); expected low < high. "
                    "Swap or widen the bounds."
                )
            if not low < obj.init < high:
                raise EquationError(
                    f"Parameter {name!r} starts at init={obj.init}, outside its bounds "
                    f"({low}, {high}); expected low < init < high."
                )
            obj.bounds = (low, high)
        return obj

    def __getnewargs_ex__(self):
        return (self.name,), {"init": self.init, "bounds": self.bounds}
