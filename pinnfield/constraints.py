"""A constraint: a residual that training drives to zero on points of a sampling region."""

from __future__ import annotations

import math

import sympy as sp

from .domains import Points
from .errors import DomainError, EquationError

__all__ = ["Constraint", "DEFAULT_POINTS"]

DEFAULT_POINTS = 1024
"""Points drawn per step when a constraint on a continuous region gives no ``n``."""


def _region_name(region) -> str:
    text = repr(region)
    return text.rsplit(").", 1)[-1] if ")." in text else text


class Constraint:
    """``residual`` = 0 on ``on``, as the loss term ``weight * mean(residual^2)``.

    ``residual``: a sympy expression of coordinates, fields, their derivatives, parameters and
    the data columns of ``on``; or a callable ``residual(fields, batch) -> scalar loss`` for
    losses that are not pointwise. ``on``: a sampling region (``box.interior``,
    ``box.boundary``, ``box.face(x, 0)``, ``pf.Points(...)``). ``n``: points per step (for
    ``pf.Points``, None takes all of them every step). ``name``: the term's name in the
    history and the progress bar (default: the region's, such as ``interior``).
    """

    def __init__(self, residual, on, n: int | None = None, weight: float = 1.0, name: str | None = None):
        if not (hasattr(on, "sample") and hasattr(on, "coords")):
            kind = type(on).__name__
            hint = (
                f" {kind} is a domain: pass one of its regions, such as {kind}.interior or "
                f"{kind}.boundary." if hasattr(on, "interior") else ""
            )
            raise DomainError(
                f"Constraint on={on!r} is not a sampling region; expected a region such as "
                f"box.interior, box.boundary or pf.Points(...).{hint}"
            )
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n <= 0):
            raise DomainError(
                f"Constraint n must be a positive integer (points per step); received {n!r}. "
                "Pass for example n=1024."
            )
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not (
            math.isfinite(weight) and weight > 0
        ):
            raise EquationError(
                f"Constraint weight must be a positive finite number; received {weight!r}."
            )
        if not callable(residual) or isinstance(residual, sp.Basic):
            residual = sp.sympify(residual)
        self.residual = residual
        self.on = on
        self.n = n if n is not None or isinstance(on, Points) else DEFAULT_POINTS
        self.weight = float(weight)
        self.name = name or _region_name(on)

    @property
    def is_symbolic(self) -> bool:
        return isinstance(self.residual, sp.Basic)

    def __repr__(self) -> str:
        return f"Constraint({self.residual}, on={self.on!r}, n={self.n}, weight={self.weight})"
