"""Where the training points go: ``fit(..., sampling=...)``.

``sampling`` is ``"uniform"`` (:class:`Uniform`, i.i.d. points), ``"sobol"`` (:class:`Sobol`,
scrambled Sobol points), a residual-based scheme that moves the points of a term to where its
residual is large while keeping its budget ``n`` points per step, or an instance of your own
subclass of :class:`AbstractSampler`:

- :class:`RARD`: residual-based adaptive distribution (Wu et al. 2023);
- :class:`R3`: retain, resample, release (Daw et al. 2023).

A residual-based scheme adapts terms whose residual is a sympy expression on a region that draws
new points (not ``pf.Points``, ``pf.Pixels`` or ``pf.Samples1D``, not a callable loss): by
default those on a domain's interior (the PDE residuals, as in both papers), or those named in
``terms=`` (boundary and initial terms included). The others are drawn uniformly. Terms that
share a batch (same region object, same n) are adapted together, with the error of a point
e(x) = sum of |r_i(x)| over their residuals. Fresh points are uniform, and every draw comes
from the term's seeded generator: a run is reproducible, and a checkpoint holds each adapted
population, so a resumed run continues exactly.
"""

from types import MappingProxyType

from .base import AbstractSampler as AbstractSampler
from .base import Sobol as Sobol
from .base import Uniform as Uniform
from .r3 import R3 as R3
from .r3 import r3_retained as r3_retained
from .rard import RARD as RARD
from .rard import rard_probabilities as rard_probabilities

NAMES = MappingProxyType({"uniform": Uniform, "sobol": Sobol, "rard": RARD, "r3": R3})
"""The samplers by name (``sampling="sobol"``, ``pinnfield run --sampling rard``), built with their defaults."""
