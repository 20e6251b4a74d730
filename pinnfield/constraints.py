"""A constraint: a residual that training drives to zero on points of a sampling region."""

from __future__ import annotations

import math

import sympy as sp

from .domains import Points
from .errors import DomainError, EquationError

__all__ = ["Constraint", "Causal", "DEFAULT_POINTS", "LOSSES"]

DEFAULT_POINTS = 1024
"""Points drawn per step when a constraint on a continuous region gives no ``n``."""

LOSSES = ("mse", "mae", "mean")
"""How a constraint turns its residual r into a loss: mean(r^2), mean(|r|), or mean(r) for a
residual that is already a per-point loss (a cross-entropy, 1 - cos of two directions)."""


def _region_name(region) -> str:
    text = repr(region)
    return text.rsplit(").", 1)[-1] if ")." in text else text


class Causal:
    """Causal weighting of a constraint's loss (Wang, Sankaran and Perdikaris 2022).

    ``along`` is the time coordinate, or any sympy expression of the coordinates along which
    information travels (the distance from a point source, for a travel-time problem). Its
    range over the region is cut into ``chunks`` equal slabs; with L_i the mean per-point loss
    (squared residual, by default) of the points in slab i, the loss is mean_i w_i L_i with
    w_i = exp(-epsilon sum_{k<i} L_k), the weights held constant in the gradient. Later slabs
    count only once the residual in the earlier ones is small; once every slab is solved all
    w_i are 1 and the loss is the plain mean again. ``epsilon`` sets how small "small" is:
    about 1/epsilon summed over the earlier slabs. First-order steps recompute the w_i at
    every step; an L-BFGS round holds those of its batch at its start (see
    ``fit(lbfgs_resample_every=)``), so that its line search minimises one fixed objective.
    """

    def __init__(self, along, chunks: int = 32, epsilon: float = 1.0):
        along = sp.sympify(along)
        if not along.free_symbols:
            raise EquationError(f"Causal along must be a coordinate or an expression of coordinates; received {along!r}.")
        if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 2:
            raise EquationError(f"Causal chunks must be an integer >= 2; received {chunks!r}.")
        if not (isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and epsilon > 0):
            raise EquationError(f"Causal epsilon must be a positive number; received {epsilon!r}.")
        self.along, self.chunks, self.epsilon = along, chunks, float(epsilon)

    def __repr__(self) -> str:
        return f"Causal({self.along}, chunks={self.chunks}, epsilon={self.epsilon})"


class Constraint:
    """``residual`` = 0 on ``on``, as the loss term ``weight * mean(residual^2)``.

    ``residual``: a sympy expression of coordinates, fields, their derivatives, parameters and
    the data columns of ``on``; or a callable ``residual(fields, batch) -> scalar loss`` for
    losses that are not pointwise. ``on``: a sampling region (``box.interior``,
    ``box.boundary``, ``box.face(x, 0)``, ``pf.Points(...)``). ``n``: points per step (for
    ``pf.Points``, None takes all of them every step). ``name``: the term's name in the
    history and the progress bar (default: the region's, such as ``interior``). ``causal``: a
    :class:`Causal` weighting in time of this term (for a residual on a space-time interior).
    ``loss``: ``"mse"`` (default), ``"mae"`` (``weight * mean|residual|``, robust to outliers,
    the SIREN SDF loss) or ``"mean"`` (``weight * mean(residual)`` for a residual that is a
    non-negative per-point loss already, such as a binary cross-entropy).
    """

    def __init__(self, residual, on, n: int | None = None, weight: float = 1.0, name: str | None = None,
                 causal: Causal | None = None, loss: str = "mse"):
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
        if causal is not None:
            if not isinstance(causal, Causal):
                raise EquationError(f"Constraint causal must be a pf.Causal(t, ...); received {causal!r}.")
            unknown = causal.along.free_symbols - set(on.coords)
            if unknown:
                raise EquationError(
                    f"Constraint causal weights along {causal.along}, which uses "
                    f"{', '.join(sorted(map(str, unknown)))}, not coordinates of {on!r} "
                    f"({', '.join(map(str, on.coords))}); pass the region's time coordinate or an "
                    "expression of its coordinates."
                )
        self.causal = causal
        if loss not in LOSSES:
            raise EquationError(
                f"Constraint loss={loss!r} is not known; expected one of {', '.join(LOSSES)}: "
                "'mse' for mean(r^2), 'mae' for mean(|r|), 'mean' for a residual that is a loss already."
            )
        if loss != "mse" and not self.is_symbolic:
            raise EquationError(
                f"Constraint loss={loss!r} applies to a sympy residual; a callable residual returns "
                "its loss itself. Drop loss=."
            )
        self.loss = loss

    @property
    def is_symbolic(self) -> bool:
        return isinstance(self.residual, sp.Basic)

    def __repr__(self) -> str:
        loss = "" if self.loss == "mse" else f", loss={self.loss!r}"
        return f"Constraint({self.residual}, on={self.on!r}, n={self.n}, weight={self.weight}{loss})"
