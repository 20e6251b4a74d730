"""PDE residuals as sympy expressions, one module per equation.

Each module exposes ``residual(...)`` (zero where the equation holds) and helpers that derive
sources of manufactured solutions. ``CATALOGUE`` lists them so tests cover every equation.
"""

from . import poisson as poisson

CATALOGUE = {"poisson": poisson}
