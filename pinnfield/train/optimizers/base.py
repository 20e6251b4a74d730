"""The optimiser contract: one training phase.

``fit(optimizer=[pf.Adam(steps=2000), pf.LBFGS(steps=1000)])`` runs the phases in order. A
phase is an object of options with ``steps`` iterations; :meth:`AbstractOptimizer.init` makes its
state for one run, and :meth:`AbstractOptimizer.advance` runs one unit of it (a step, or a round
of several iterations) through the :class:`~pinnfield.train.loop.Run` it is given:

- ``run.variables``: the trainable tensors; ``run.resample()``: draw a new batch;
- ``run.loss(step)``: the weighted loss on the current batch (recorded in the history,
  differentiable); ``run.commit(done)``: the unit ended with ``done`` iterations of the phase
  done (use ``with run.committing(done):`` around a parameter update, so that Ctrl-C never
  lands half way through it).

The loop around it redraws nothing by itself, reports progress, writes checkpoints at unit
boundaries and calls the user's callback.
"""

from __future__ import annotations

import abc

from ...errors import check_int

__all__ = ["AbstractOptimizer"]


class AbstractOptimizer(abc.ABC):
    """One training phase of ``steps`` iterations (see the module docstring)."""

    steps: int

    def __init__(self, steps: int):
        self.steps = check_int(steps, f"{type(self).__name__} steps", minimum=0)

    @abc.abstractmethod
    def settings(self) -> dict:
        """The options as plain values, ``steps`` included (a resumed run must be given the same,
        except ``steps``, which may grow)."""

    def check(self, plan, options) -> None:
        """Raise :class:`~pinnfield.OptionError` at the start of fit if the phase cannot train the
        :class:`~pinnfield.train.plan.Plan` ``plan`` with the fit ``options`` (default: it can)."""

    def init(self, variables: list):
        """The phase's state at its start, for the trainable tensors ``variables``."""
        return None

    @abc.abstractmethod
    def advance(self, run, state, done: int) -> None:
        """Run one unit of the phase from ``done`` iterations done, ending with ``run.commit``."""

    def state_dict(self, state) -> dict:
        """The phase state as tensors and plain values, for a checkpoint."""
        return {}

    def load_state_dict(self, state, saved: dict, saved_settings: dict) -> None:
        """Set ``state`` from :meth:`state_dict`'s ``saved``, written by a run with ``saved_settings``."""

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.settings().items() if k != "optimizer")
        return f"{type(self).__name__}({options})"
