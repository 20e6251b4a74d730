"""The training loop: phases run in order over one :class:`Run`.

A :class:`Run` is what a phase sees (:mod:`pinnfield.train.optimizers.base`): the trainable
variables, the current batch, the weighted loss (recorded in the history, with the weighting
scheme's hooks), progress, and commits at consistent points. :func:`train` runs the phases
from the state's current one; checkpoints, the user's callback and interrupts are handled at
unit boundaries, the same way in every phase.
"""

from __future__ import annotations

import contextlib
import math
import time

import torch
from tqdm.auto import tqdm

from ..errors import TrainingError
from . import distributed as parallel
from .checkpoints import sigint_deferred
from .weighting.base import WeightingView

__all__ = ["Run", "NonFinite", "train", "first_points", "cut_points"]


class NonFinite(Exception):
    """A term's loss became NaN or infinite at history step ``step``."""

    def __init__(self, step: int, term: str):
        super().__init__(step, term)
        self.step, self.term = step, term


def first_points(batch: tuple, m: int | None) -> tuple:
    """(points, data) of a batch cut to its first m points (all: m None)."""
    return cut_points(batch, slice(None, m))


def cut_points(batch: tuple, rows: slice) -> tuple:
    """(points, data) of a batch cut to the points ``rows``."""
    points, data = batch
    n = len(points)
    return points[rows], {k: v[rows] if v.ndim and len(v) == n else v for k, v in data.items()}


class Run:
    """One training run in progress: the plan, the state, the phases and the run's services.

    ``plan``: :class:`~pinnfield.train.plan.Plan`; ``state``: :class:`~pinnfield.train.state.TrainState`;
    ``phases``: the optimiser phases; ``weighting``: the weighting scheme; ``context``: this
    process's place in a distributed run; ``progress``: show a progress bar.
    """

    def __init__(self, plan, state, phases, weighting, context, device, progress: bool):
        self.plan, self.state, self.phases, self.weighting = plan, state, phases, weighting
        self.context = context
        self.variables = state.variables
        self.snapshot = [v.detach().clone() for v in self.variables]
        self.objective = parallel.data_parallel(state.modules, list(state.parameters.raw.values()), self._losses,
                                                context, device)
        self.boundary = state.boundary()
        self.total = sum(p.steps for p in phases)
        self.bar = tqdm(total=self.total, initial=self.boundary.total, disable=not (progress and context.main),
                        desc="fit", dynamic_ncols=True)
        self.started, self.earlier_seconds = time.perf_counter(), 0.0
        self.stopped: dict | None = None

    def seconds(self) -> float:
        """Wall time of the training so far, the resumed runs' included."""
        return self.earlier_seconds + time.perf_counter() - self.started

    def stop(self, stopped: dict) -> None:
        """Training ends early for the reason ``stopped`` (:mod:`pinnfield.train.stopping`)."""
        self.stopped = stopped
        if stopped["reason"] == "tol":
            message = f"held-out loss {stopped['held_out_loss']:.3e} <= tol {stopped['tol']:.1e}"
        else:
            message = f"time limit of {stopped.get('time_limit', 0):g} s reached"
        if not self.bar.disable:
            self.bar.write(f"fit stopped after {self.boundary.total} of {self.total} steps: {message}.")

    # what a phase uses

    @property
    def offset(self) -> int:
        """Iterations done in the phases before the current one."""
        return sum(self.state.done[:self.state.phase])

    @property
    def rows(self) -> int:
        """History rows recorded so far."""
        return len(self.state.history["step"])

    def average(self, tensor: torch.Tensor) -> torch.Tensor:
        """The mean of ``tensor`` over the ranks (itself in one process)."""
        return self.context.mean(tensor)

    def resample(self) -> None:
        """Draw a new batch for every constraint."""
        self.state.batches = self.state.streams.sample()

    def loss(self, step: int, adapt: bool = False) -> torch.Tensor:
        """The weighted loss sum_i lambda_i L_i on the current batch, recorded as history step
        ``step``; ``adapt``: first let the weighting scheme update the weights (a first-order step)."""
        if self.state.batches is None:
            self.resample()
        losses = self.objective(self.state.batches)
        if adapt:
            self.state.weighting = self.weighting.update(self.state.weighting, step, losses, self.view())
        self.record(step, losses)
        return sum(w * t for w, t in zip(self.state.weighting["weights"], losses))

    def residual_vector(self, step: int | None = None, rows: slice | None = None, plan=None) -> torch.Tensor:
        """The weighted residuals sqrt(lambda_i / N_i) r_i of every term on the current batch,
        stacked, so that their squared norm is the loss (every term least squares: "mse", not
        causal); recorded as history step ``step`` unless it is None. ``rows``: only the points
        ``rows`` of every term's batch (still scaled by the whole batch's N_i); ``plan``: evaluated
        by this :class:`~pinnfield.train.plan.Plan` of the same problem (another derivative engine)."""
        if self.state.batches is None:
            self.resample()
        state = self.state
        batches = state.batches if rows is None else [cut_points(batch, rows) for batch in state.batches]
        residuals = (plan or self.plan).residuals(state.modules, state.parameters.values(), batches)
        if step is not None:
            for i, residual in enumerate(residuals):
                state.streams.observe(i, residual)
            self.record(step, [torch.mean(r * r) for r in residuals])
        weights = state.weighting["weights"]
        return torch.cat([math.sqrt(w / len(points)) * r.reshape(-1)
                          for w, r, (points, _) in zip(weights, residuals, state.batches)])

    def progress(self, iterations: int) -> None:
        """Advance the progress bar by ``iterations`` inside a unit."""
        self.bar.update(iterations)

    def commit(self, done: int) -> None:
        """The current unit ended with ``done`` iterations of the current phase done."""
        self.state.done[self.state.phase] = done
        self.boundary = self.state.boundary()
        self.bar.update(max(self.boundary.total - self.bar.n, 0))

    @contextlib.contextmanager
    def committing(self, done: int):
        """Around a parameter update: Ctrl-C is held back until the block and the commit are done."""
        with sigint_deferred():
            yield
            self.commit(done)

    def hold_variables(self) -> None:
        """Keep the variables' values, so that an interrupt before the next commit rolls back here."""
        self.boundary.variables = [v.detach().clone() for v in self.variables]

    def start_round(self) -> None:
        """At the start of an L-BFGS round: weights refreshed and causal weights fixed on its batch."""
        self.state.weighting = self.weighting.refresh(self.state.weighting, self.view())
        self.plan.freeze_causal(self.state.modules, self.state.parameters.values(), self.state.batches)

    def end_round(self) -> None:
        """At the end of an L-BFGS round, on its batch."""
        self.state.weighting = self.weighting.settle(self.state.weighting, self.view())

    # evaluation and history

    def _losses(self, batches) -> list[torch.Tensor]:
        state = self.state
        losses = self.plan.losses(state.modules, state.parameters.values(), batches, state.streams.observe)
        if self.context.world > 1:
            losses = [scale * loss for scale, loss in zip(state.streams.scales, losses)]
        return losses

    def view(self) -> WeightingView:
        """What the weighting scheme sees now."""
        batches, state = self.state.batches, self.state

        def probe(m):
            cut = [first_points(batch, m) for batch in batches]
            return self.plan.residuals(state.modules, state.parameters.values(), cut)

        return WeightingView(self.variables, probe, self.context.mean)

    def record(self, step: int, losses: list[torch.Tensor]) -> None:
        """Append this evaluation's losses and, as ``"param:<name>"``, each learned parameter's
        value; keep the variables as the last state with a finite loss."""
        history, names, weights = self.state.history, self.plan.names, self.state.weighting["weights"]
        learned = self.state.parameters.values()
        row = self.context.mean(torch.stack([t.detach().reshape(()) for t in losses]))
        if learned:
            row = torch.cat([row, torch.stack([v.detach().reshape(()) for v in learned.values()]).to(row)])
        row = row.double().cpu().tolist()
        floats = row[:len(losses)]
        bad = [n for n, v in zip(names, floats) if not math.isfinite(v)]
        if bad:
            raise NonFinite(step, bad[0])
        history["step"].append(step)
        history["loss"].append(sum(w * v for w, v in zip(weights, floats)))
        for n, v in zip(names, floats):
            history[n].append(v)
        for name, value in zip(learned, row[len(losses):]):
            history.setdefault(f"param:{name}", []).append(value)
        if self.weighting.adaptive:
            for n, w in zip(names, weights):
                history[f"weight:{n}"].append(w)
        if self.rows % 25 == 1:
            self.bar.set_postfix({n: f"{v:.2e}" for n, v in zip(names, floats)}, refresh=False)
        with torch.no_grad():
            torch._foreach_copy_(self.snapshot, [v.detach() for v in self.variables])

    def roll_back(self, variables: list | None, rows: int) -> None:
        """Set the variables to ``variables`` (if given) and cut the history to ``rows`` rows."""
        with torch.no_grad():
            for v, kept in zip(self.variables, variables or ()):
                v.copy_(kept)
        for values in self.state.history.values():
            del values[rows:]

    def failure(self, error: NonFinite, solution_at) -> TrainingError:
        """The error for a non-finite loss, with the last finite state restored and kept."""
        self.bar.close()
        self.roll_back(self.snapshot, self.rows)
        failure = TrainingError(
            f"The loss term '{error.term}' became NaN or infinite at step {error.step}; training "
            "stopped and the last state with a finite loss was kept (error.solution). Lower lr, "
            "check the residual for divisions or logarithms that can blow up, or train in float64."
        )
        failure.solution = solution_at(error.step)
        return failure


def train(run: Run, at_boundary) -> None:
    """Run the phases from the state's current one; after every unit ``at_boundary(before)``
    (checkpoints, the callback; ``before``: the total iterations before the unit) may return
    True to stop."""
    state = run.state
    for index in range(state.phase, len(run.phases)):
        phase = run.phases[index]
        if state.done[index] >= phase.steps:
            continue
        if index != state.phase:
            state.phase, state.optimizer = index, None
        if state.optimizer is None:
            state.optimizer = phase.init(run.variables)
        while state.done[index] < phase.steps:
            before = run.boundary.total
            phase.advance(run, state.optimizer, state.done[index])
            if at_boundary(before):
                return
