"""The weighting contract: how the loss terms are weighted, and the fixed weights.

The training loss is sum_i lambda_i L_i over the terms i (one per constraint), L_i the term's
unweighted loss. A weighting scheme is an object of options; :meth:`AbstractWeighting.init`
makes the state of one run, a dict of plain values and tensors that holds the weights under
``"weights"`` and is exactly what a checkpoint stores. The hooks return the next state:

- :meth:`~AbstractWeighting.update` after the losses of every first-order step;
- :meth:`~AbstractWeighting.refresh` at the start of an L-BFGS round, on its batch;
- :meth:`~AbstractWeighting.settle` at the end of an L-BFGS round, on its batch.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Callable

import torch

from ...errors import OptionError

__all__ = ["AbstractWeighting", "Fixed", "WeightingView"]


@dataclasses.dataclass(frozen=True)
class WeightingView:
    """What a scheme may look at when it sets weights.

    ``variables``: the trainable tensors theta. ``probe(m)``: each term's residual on the first
    m points of the current batch (all points: m None), None for a term without one.
    ``average(tensor)``: the mean over the ranks of a distributed run (the identity in one
    process), for statistics computed from this rank's batch.
    """

    variables: list
    probe: Callable
    average: Callable[[torch.Tensor], torch.Tensor]


class AbstractWeighting(abc.ABC):
    """A weighting scheme: options only; :meth:`init` makes the state of one run.

    ``adaptive``: whether the weights change during training (recorded in the history as
    ``weight:<term>``).
    """

    adaptive = True

    @abc.abstractmethod
    def settings(self) -> dict:
        """The options, as plain values (a resumed run must be given the same)."""

    @abc.abstractmethod
    def init(self, names: list[str], weights: list[float], seed: int) -> dict:
        """The state at the start of a run; ``state["weights"]``: one float per term of ``names``,
        from the constraints' ``weights``."""

    def update(self, state: dict, step: int, losses: list[torch.Tensor], view: WeightingView) -> dict:
        """The state after first-order step ``step`` evaluated the (unweighted) term ``losses``."""
        return state

    def refresh(self, state: dict, view: WeightingView) -> dict:
        """The state at the start of an L-BFGS round, on the round's batch."""
        return state

    def settle(self, state: dict, view: WeightingView) -> dict:
        """The state at the end of an L-BFGS round, on the round's batch."""
        return state

    def check_rounds(self, rounds: int) -> None:
        """Warn when a run with ``rounds`` L-BFGS rounds cannot use this scheme."""

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.settings().items() if k != "scheme")
        return f"{type(self).__name__}({options})"


class Fixed(AbstractWeighting):
    """Each constraint's ``weight``, with the terms named in ``overrides`` ({term: weight}) replaced."""

    adaptive = False

    def __init__(self, overrides: dict | None = None):
        self.overrides = dict(overrides or {})
        for name, weight in self.overrides.items():
            if not isinstance(name, str):
                raise OptionError(f"weighting names the term {name!r}; expected term names (str) as keys.")

    def settings(self) -> dict:
        return {"scheme": "Fixed", "overrides": dict(self.overrides)}

    def init(self, names, weights, seed):
        weights = [float(w) for w in weights]
        for name, w in self.overrides.items():
            if name not in names:
                raise OptionError(f"weighting names the term {name!r}; the terms are {names}.")
            weights[names.index(name)] = float(w)
        return {"weights": weights}
