"""A line search for the strong Wolfe conditions (Nocedal & Wright, Numerical Optimization,
2nd ed., Algorithms 3.5 and 3.6, with cubic interpolation, eq. 3.59).

Along a descent direction d from x, phi(a) = f(x + a d) with phi'(0) = g'd < 0. A step a
satisfies the strong Wolfe conditions when

    phi(a) <= phi(0) + c1 a phi'(0)        (sufficient decrease)
    |phi'(a)| <= c2 |phi'(0)|              (curvature),

with 0 < c1 < c2 < 1; then s'y = a (phi'(a) - phi'(0)) > 0, so a quasi-Newton update keeps its
matrix positive definite.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

__all__ = ["Step", "strong_wolfe", "cubic_minimum"]


class Step(NamedTuple):
    """An accepted step ``a`` with phi(a) = ``value``, phi'(a) = ``slope`` and what the function
    returned besides (``extra``, e.g. the gradient)."""

    a: float
    value: float
    slope: float
    extra: object


def cubic_minimum(a1: float, f1: float, d1: float, a2: float, f2: float, d2: float,
                  low: float, high: float) -> float:
    """The minimiser in [low, high] of the cubic through (a1, f1) and (a2, f2) with slopes d1 and
    d2 (Nocedal & Wright eq. 3.59); the interval's midpoint where the cubic has no minimum."""
    if a1 == a2:
        return (low + high) / 2
    e1 = d1 + d2 - 3 * (f1 - f2) / (a1 - a2)
    discriminant = e1 * e1 - d1 * d2
    if not discriminant >= 0:
        return (low + high) / 2
    e2 = math.copysign(math.sqrt(discriminant), a2 - a1)
    denominator = d2 - d1 + 2 * e2
    if denominator == 0 or not math.isfinite(denominator):
        return (low + high) / 2
    a = a2 - (a2 - a1) * (d2 + e2 - e1) / denominator
    return min(max(a, low), high) if math.isfinite(a) else (low + high) / 2


def strong_wolfe(phi: Callable[[float], tuple], value0: float, slope0: float, a: float,
                 c1: float = 1e-4, c2: float = 0.9, evaluations: int = 25) -> Step | None:
    """A step satisfying the strong Wolfe conditions, starting from the trial step ``a``, or None
    after ``evaluations`` evaluations of ``phi`` (``phi(a) -> (value, slope, extra)``).

    ``value0``, ``slope0``: phi(0) and phi'(0) < 0. A non-finite phi(a) counts as too large a step.
    Algorithm 3.5 brackets an interval holding such a step, extrapolating by cubic interpolation
    in [a + (a - a_prev) / 100, 10 a]; Algorithm 3.6 (:func:`_zoom`) shrinks it.
    """
    previous = Step(0.0, value0, slope0, None)
    for count in range(1, evaluations + 1):
        value, slope, extra = phi(a)
        current = Step(a, value, slope, extra)
        if not math.isfinite(value) or value > value0 + c1 * a * slope0 or (count > 1 and value >= previous.value):
            return _zoom(phi, previous, current, value0, slope0, c1, c2, evaluations - count)
        if abs(slope) <= -c2 * slope0:
            return current
        if slope >= 0:
            return _zoom(phi, current, previous, value0, slope0, c1, c2, evaluations - count)
        following = cubic_minimum(previous.a, previous.value, previous.slope, a, value, slope,
                                  a + (a - previous.a) / 100, 10 * a)
        previous, a = current, following
    return None


def _zoom(phi, low: Step, high: Step, value0: float, slope0: float, c1: float, c2: float,
          evaluations: int) -> Step | None:
    """Algorithm 3.6: ``low`` satisfies sufficient decrease with the lowest value so far, and the
    interval between ``low`` and ``high`` holds a strong Wolfe step."""
    for _ in range(evaluations):
        left, right = sorted((low.a, high.a))
        width = right - left
        if width <= 1e-14 * max(right, 1e-300):
            return None
        if math.isfinite(high.value) and math.isfinite(high.slope):
            a = cubic_minimum(low.a, low.value, low.slope, high.a, high.value, high.slope, left, right)
        else:
            a = (left + right) / 2
        if min(a - left, right - a) < width / 10:
            a = (left + right) / 2
        value, slope, extra = phi(a)
        current = Step(a, value, slope, extra)
        if not math.isfinite(value) or value > value0 + c1 * a * slope0 or value >= low.value:
            high = current
            continue
        if abs(slope) <= -c2 * slope0:
            return current
        if slope * (high.a - low.a) >= 0:
            high = low
        low = current
    return None
