"""Training phases: ``fit(optimizer=[pf.Adam(steps=2000, lr=1e-3), pf.LBFGS(steps=1000)])``
(or ``pf.SSBroyden(steps=1000)``, a self-scaled quasi-Newton phase, in place of L-BFGS).

Each phase is an :class:`AbstractOptimizer`; a subclass of your own, passed as an instance, is
run like the built-in ones (see ``examples/custom_optimizer.py``).
"""

from types import MappingProxyType

from .base import AbstractOptimizer as AbstractOptimizer
from .first_order import SGD as SGD
from .first_order import AbstractFirstOrder as AbstractFirstOrder
from .first_order import Adam as Adam
from .first_order import AdamW as AdamW
from .lbfgs import LBFGS as LBFGS
from .natural_gradient import NaturalGradient as NaturalGradient
from .ssbroyden import SSBroyden as SSBroyden

FIRST_ORDER = MappingProxyType({"adam": Adam, "adamw": AdamW, "sgd": SGD})
"""The first-order phases by name (``fit(optimizer="adam")``)."""

SECOND_ORDER = (LBFGS, SSBroyden)
"""The quasi-Newton phases (line searches on one batch per round; counted as ``lbfgs_steps``)."""
