"""PDE and fitting residuals as sympy expressions, one module per equation.

Each module exposes ``residual(...)`` (zero where the equation holds), helpers for sources and
exact solutions, and ``exact_examples()``: closed-form solutions the tests substitute into the
residuals. ``CATALOGUE`` lists the modules so the tests cover every equation.
"""

from . import burgers as burgers
from . import eikonal as eikonal
from . import fitting as fitting
from . import helmholtz as helmholtz
from . import poisson as poisson
from . import wave as wave

CATALOGUE = {"poisson": poisson, "helmholtz": helmholtz, "wave": wave, "eikonal": eikonal, "burgers": burgers,
             "fitting": fitting}
