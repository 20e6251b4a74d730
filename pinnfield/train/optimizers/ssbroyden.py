"""Self-scaled Broyden quasi-Newton (SSBroyden) with a strong Wolfe line search, on one batch or
in rounds on fresh batches.

The iterations are those of :mod:`~pinnfield.train.optimizers.self_scaled` on the flat vector of
the trainable variables (P,), in their dtype and on their device: a dense inverse Hessian
estimate H (P, P) while P <= ``dense_limit``, above it the limited-memory form (the last
``history_size`` pairs). Every iteration is a unit of the loop: it ends with a commit, so
checkpoints, callbacks and interrupts work per iteration, and the state (x, f, g, H or the
pairs, the round's start) is saved so that a resumed run continues bit for bit.
"""

from __future__ import annotations

import dataclasses
import warnings

import torch

from ...errors import check_int
from .base import AbstractOptimizer
from .self_scaled import DenseInverse, Iterate, LimitedMemory, iterate

__all__ = ["SSBroyden"]


def flat(variables: list[torch.Tensor]) -> torch.Tensor:
    """The variables' values as one vector (P,)."""
    return torch.cat([v.detach().reshape(-1) for v in variables])


def assign(variables: list[torch.Tensor], x: torch.Tensor) -> None:
    """Copy the vector x (P,) into the variables (their values, not their storage)."""
    with torch.no_grad():
        for v, part in zip(variables, x.split([v.numel() for v in variables])):
            v.copy_(part.view_as(v))


@dataclasses.dataclass
class PhaseState:
    """``template``: an empty tensor of the variables' dtype and device; ``inverse``: H or the
    pairs; ``current``: the round's iterate (None before a round's start); ``origin``: the
    variables at the round's start; ``resumed``: loaded from a checkpoint inside a round."""

    template: torch.Tensor
    inverse: DenseInverse | LimitedMemory
    current: Iterate | None = None
    origin: torch.Tensor | None = None
    resumed: bool = False


class SSBroyden(AbstractOptimizer):
    """``steps`` iterations of self-scaled Broyden (Urban, Stefanou & Pons 2025; see
    :mod:`~pinnfield.train.optimizers.self_scaled` for the update) with a strong Wolfe line search.

    On one batch, or with ``resample_every=k`` in rounds of k iterations, each on a fresh batch
    with a fresh H (adaptive weights refreshed and causal weights held fixed through a round, as
    in :class:`~pinnfield.LBFGS`). H is dense (P^2 numbers: 0.8 GB in float64 at P = 10^4) for
    P <= ``dense_limit``; above it the limited-memory form with ``history_size`` pairs, with a
    warning. A line search that finds no strong Wolfe step is retried once from H = I; when that
    fails too, the phase ends early at the last accepted point, with a warning.
    """

    def __init__(self, steps: int = 1000, resample_every: int | None = None, history_size: int = 50,
                 dense_limit: int = 10_000):
        super().__init__(steps)
        if resample_every is not None:
            resample_every = check_int(resample_every, "SSBroyden resample_every", minimum=1)
        self.resample_every = resample_every
        self.history_size = check_int(history_size, "SSBroyden history_size", minimum=1)
        self.dense_limit = check_int(dense_limit, "SSBroyden dense_limit", minimum=1)

    def settings(self) -> dict:
        return {"optimizer": "ssbroyden", "steps": self.steps, "resample_every": self.resample_every,
                "history_size": self.history_size, "dense_limit": self.dense_limit}

    def rounds(self) -> int:
        """The number of rounds (batches) of the phase."""
        return -(-self.steps // self.resample_every) if self.resample_every else min(self.steps, 1)

    def init(self, variables):
        like = flat(variables)
        if like.numel() <= self.dense_limit:
            return PhaseState(like.new_empty(0), DenseInverse(like))
        warnings.warn(
            f"SSBroyden: P = {like.numel()} trainable values, more than dense_limit = "
            f"{self.dense_limit}; a dense inverse Hessian would hold P^2 numbers, so the limited-memory "
            f"form (history_size = {self.history_size}) is used. Raise dense_limit for the dense update.",
            stacklevel=2)
        return PhaseState(like.new_empty(0), LimitedMemory(like, self.history_size))

    def advance(self, run, state, done):
        length = self.resample_every or self.steps
        run.hold_variables()
        evaluate = _Evaluation(run)
        if state.current is None:
            run.resample()
            run.start_round()
            state.inverse.reset()
            state.origin = flat(run.variables)
            f, g = evaluate(state.origin)
            state.current = Iterate(state.origin.clone(), f, g, state.inverse)
        elif state.resumed:
            _refreeze(run, state.origin, state.current.x)
        state.resumed = False
        outcome = iterate(state.current, evaluate)
        if outcome == "failed":
            warnings.warn(
                f"SSBroyden: no step satisfying the strong Wolfe conditions at iteration {done + 1} of "
                f"{self.steps} (history step {run.rows}), also after resetting the inverse Hessian; the "
                "phase ends here with the last accepted parameters.", stacklevel=2)
        round_end = min((done // length + 1) * length, self.steps)
        end = {"moved": done + 1, "converged": round_end, "failed": self.steps}[outcome]
        run.progress(1)
        with run.committing(end):
            assign(run.variables, state.current.x)
            if end >= round_end:
                run.end_round()
                state.current = None

    def state_dict(self, state):
        current = state.current
        saved = {"inverse": state.inverse.state_dict(), "current": None,
                 "origin": None if state.origin is None else state.origin.cpu()}
        if current is not None:
            saved["current"] = {"x": current.x.cpu(), "f": current.f, "g": current.g.cpu(),
                                "iterations": current.iterations}
        return saved

    def load_state_dict(self, state, saved, saved_settings):
        like = state.template
        state.inverse.load_state_dict(saved["inverse"], like)
        state.origin = None if saved["origin"] is None else saved["origin"].to(like)
        if saved["current"] is not None:
            current = saved["current"]
            state.current = Iterate(current["x"].to(like), float(current["f"]), current["g"].to(like),
                                    state.inverse, int(current["iterations"]))
            state.resumed = True


class _Evaluation:
    """closure(x) -> (f, g): the loss at x on the current batch (a history row) and its gradient."""

    def __init__(self, run):
        self.run = run

    def __call__(self, x: torch.Tensor) -> tuple[float, torch.Tensor]:
        run, variables = self.run, self.run.variables
        assign(variables, x)
        for v in variables:
            v.grad = None
        total = run.loss(run.rows, adapt=False)
        total.backward()
        g = torch.cat([(v.grad if v.grad is not None else torch.zeros_like(v)).reshape(-1) for v in variables])
        for v in variables:
            v.grad = None
        return float(run.average(total.detach())), g


def _refreeze(run, origin: torch.Tensor, x: torch.Tensor) -> None:
    """After a resume inside a round: fix the causal weights again as they were fixed at the
    round's start (at ``origin``), then return to x."""
    assign(run.variables, origin)
    state = run.state
    run.plan.freeze_causal(state.modules, state.parameters.values(), state.batches)
    assign(run.variables, x)
