"""Weights of the loss terms: fixed, or adapted during training (``fit(..., weighting=...)``).

The training loss is sum_i lambda_i L_i over the terms i (one per constraint), L_i the term's
unweighted loss (its mean per-point loss, or its causally weighted mean with :class:`pf.Causal`).
``weighting`` chooses the lambda_i:

- ``None``: each constraint's ``weight`` w_i, fixed (:class:`Fixed`);
- a dict ``{term: weight}``: fixed, overriding w_i of the named terms (``Fixed(dict)``);
- :class:`LRA`: learning-rate annealing by gradient statistics (Wang, Teng & Perdikaris 2021);
- :class:`ReLoBRaLo`: relative loss balancing with random lookback (Bischof & Kraus 2021);
- :class:`NTK`: neural tangent kernel trace ratios (Wang, Yu & Perdikaris 2022);
- :class:`HeldOut`: each term's loss on a fresh batch over its loss on the batch it was just
  trained on, between L-BFGS rounds;
- an instance of your own subclass of :class:`AbstractWeighting`.

The adaptive schemes start from the weights w_i; an L-BFGS round keeps its objective fixed, so
LRA and ReLoBRaLo keep their last weights through L-BFGS, and NTK and HeldOut set new ones at
the start of every round. With an adaptive scheme, ``solution.history["weight:<term>"]`` holds
the lambda_i of every loss evaluation, and a checkpoint holds the scheme's state, so a resumed
run continues exactly. Causal weighting acts inside a term's L_i, so it combines with any scheme.
"""

from types import MappingProxyType

from .base import AbstractWeighting as AbstractWeighting
from .base import Fixed as Fixed
from .base import WeightingView as WeightingView
from .heldout import HeldOut as HeldOut
from .heldout import held_out_weights as held_out_weights
from .lra import LRA as LRA
from .lra import lra_estimate as lra_estimate
from .ntk import NTK as NTK
from .ntk import ntk_traces as ntk_traces
from .relobralo import ReLoBRaLo as ReLoBRaLo
from .relobralo import relobralo_step as relobralo_step

NAMES = MappingProxyType({"lra": LRA, "relobralo": ReLoBRaLo, "ntk": NTK, "heldout": HeldOut})
"""The schemes by name (``weighting="lra"``, ``pinnfield run --weighting lra``), built with their defaults."""
