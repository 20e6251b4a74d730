"""Exact solutions that every equation module offers for checking itself.

Each module of the catalogue has ``exact_examples()``, a list of :class:`Example`: residuals
written with unknown fields, and closed-form fields that make them vanish. The tests
substitute the fields into the residuals and check that the result is zero in float64, so a
new equation is covered by adding it to ``CATALOGUE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

__all__ = ["Example"]


@dataclass(frozen=True)
class Example:
    """``residuals`` vanish when each field of ``exact`` (field -> sympy expression) is substituted.

    ``coords`` orders the coordinates; ``box`` is ``(lower, upper)`` per coordinate, the region
    where the identity is checked.
    """

    name: str
    residuals: tuple
    exact: dict
    coords: tuple
    box: tuple = field(default=None)

    def max_residual(self, n: int = 200, seed: int = 0) -> float:
        """max |residual| over ``n`` uniform points of ``box`` (default [-1, 1] per coordinate)."""
        lower, upper = self.box or ((-1.0,) * len(self.coords), (1.0,) * len(self.coords))
        points = np.random.default_rng(seed).uniform(lower, upper, size=(n, len(self.coords)))
        worst = 0.0
        for residual in self.residuals:
            substituted = sp.sympify(residual).subs(self.exact).doit()
            # A Dirac delta multiplies a factor that vanishes where it is supported (a C^1 profile).
            substituted = substituted.replace(sp.DiracDelta, lambda *args: 0)
            values = sp.lambdify(self.coords, substituted, modules=["numpy", "scipy"])(*points.T)
            worst = max(worst, float(np.max(np.abs(np.broadcast_to(values, (n,))))))
        return worst
