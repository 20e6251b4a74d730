"""When training ends before its phases do: a wall-time limit and a tolerance on a held-out loss.

``fit(problem, time_limit=600)`` stops at the first unit boundary (a first-order step, a
second-order iteration, an L-BFGS round) after 600 s of training, a resumed run's earlier time
included. ``fit(problem, tol=1e-6)`` stops once the held-out loss

    L_held = sum_c w_c mean_i l(r_c(x_i))

is at most ``tol``, with w_c the constraints' own weights, l their per-point losses (r^2 by
default) and x_i a batch drawn once per constraint, from its region, by a stream of its own that
training never sees (a ``pf.Points`` constraint taken whole is the same points). L_held is
evaluated every ``every`` iterations and after every unit longer than one iteration; the last
value and the reason for stopping are in ``solution.info["stopped"]``.
"""

from __future__ import annotations

import math

from ..errors import check_int, check_number
from .sampling import Uniform
from .sampling.streams import PointStreams

__all__ = ["Stopping", "HELD_OUT_SEED"]

HELD_OUT_SEED = 2**32
"""Offset of the held-out streams' seed from the run's, so they never repeat a training batch."""


class Stopping:
    """The stopping rules of one run (see the module docstring); ``None`` turns a rule off."""

    def __init__(self, time_limit: float | None = None, tol: float | None = None, every: int = 100):
        if time_limit is not None:
            time_limit = check_number(time_limit, "fit time_limit (seconds)", low=0, low_open=True)
        if tol is not None:
            tol = check_number(tol, "fit tol (the held-out loss to stop at)", low=0)
        self.time_limit, self.tol = time_limit, tol
        self.every = check_int(every, "stopping every", minimum=1)
        self.batches = None
        self.held_out: float | None = None

    @property
    def active(self) -> bool:
        return self.time_limit is not None or self.tol is not None

    def reason(self, run, before: int, after: int) -> dict | None:
        """Why training should stop after a unit from ``before`` to ``after`` iterations, or None."""
        if self.time_limit is not None and run.seconds() >= self.time_limit:
            return {"reason": "time_limit", "seconds": run.seconds(), "time_limit": self.time_limit}
        if self.tol is None or (after // self.every == before // self.every and after - before <= 1):
            return None
        self.held_out = self.loss(run)
        if self.held_out <= self.tol:
            return {"reason": "tol", "held_out_loss": self.held_out, "tol": self.tol}
        return None

    def loss(self, run) -> float:
        """L_held for the run's current fields."""
        plan, state = run.plan, run.state
        if self.batches is None:
            streams = PointStreams(plan.constraints, plan.names, state.streams.seed + HELD_OUT_SEED, Uniform(),
                                   state.streams.device, state.streams.dtype, None, run.context)
            self.batches = streams.sample()
        losses = plan.losses(state.modules, state.parameters.values(), self.batches)
        total = sum(float(c.weight) * run.average(loss.detach()) for c, loss in zip(plan.constraints, losses))
        value = float(total)
        return value if math.isfinite(value) else math.inf

    def summary(self, stopped: dict | None) -> dict | None:
        """What ``solution.info["stopped"]`` records: the reason (None: the phases ran out) and the
        last held-out loss."""
        if not self.active:
            return None
        return {**(stopped or {"reason": None}), "held_out_loss": self.held_out}
