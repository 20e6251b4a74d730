"""fit(): train a problem's fields, orchestrated from the parts of :mod:`pinnfield.train`.

The loss is sum_c lambda_c mean_i l(r_c(x_i)) over constraints c, with the points x_i drawn
from each constraint's region and l the constraint's per-point loss (r^2 by default). fit
resolves the options (:mod:`~pinnfield.train.options`), builds the :class:`~.plan.Plan` once,
starts the :class:`~.state.TrainState` (or restores it from a checkpoint), and runs the
optimiser phases in order (:mod:`~pinnfield.train.loop`). Everything random derives from
``seed``: field initialisation and one sampling stream per constraint, so a run is
reproducible on a given device.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np
import torch

from ..errors import OptionError
from ..jets import CompiledSineKernels
from ..problem import Problem
from ..solution import Solution
from .loop import NonFinite, Run, train
from .optimizers import AbstractFirstOrder
from .options import resolve
from .plan import Plan
from .resume import Checkpointer
from .sampling.streams import PointStreams
from .state import LearnedParameters, TrainState

__all__ = ["fit"]


def fit(problem: Problem, *, steps: int | None = None, lr: float | None = None, optimizer="adam",
        lbfgs_steps: int | None = None, lbfgs_resample_every: int | None = None, schedule=None, weighting=None,
        resample_every: int | None = None, sampling="uniform", seed: int = 0, device="auto", dtype=torch.float32,
        derivatives: str = "auto", compile: bool = False, distributed: bool | None = None,
        time_limit: float | None = None, tol: float | None = None,
        checkpoint: str | None = None, checkpoint_every: int = 1000, resume: str | None = None,
        callback: Callable[[int, Solution], bool | None] | None = None, progress: bool = True) -> Solution:
    """Train the problem's fields and return a :class:`~pinnfield.Solution`.

    ``optimizer``: the phases run in order: a phase (``pf.Adam(steps=2000, lr=1e-3)``,
    ``pf.LBFGS(steps=1000)``, or any :class:`~pinnfield.AbstractOptimizer`), a list of phases, or
    the name of a first-order phase (``"adam"``, ``"adamw"``, ``"sgd"``), which ``steps`` (2000),
    ``lr`` (1e-3), ``schedule`` ("cosine"), ``resample_every`` (1), ``lbfgs_steps`` (steps // 2) and
    ``lbfgs_resample_every`` (None) complete (see :mod:`pinnfield.train.options`).
    ``weighting``: None, a dict {term: weight}, a name or a :class:`~pinnfield.AbstractWeighting`
    (:mod:`pinnfield.train.weighting`); ``sampling``: a name or a :class:`~pinnfield.AbstractSampler`
    (:mod:`pinnfield.train.sampling`). ``derivatives``: "jet", "autograd" or "auto"; ``compile``:
    sine-layer jets as torch.compile'd kernels. ``distributed``: data-parallel over torchrun's
    ranks (None: when launched so; :mod:`pinnfield.train.distributed`). ``checkpoint``: a path the
    whole training state is written to every ``checkpoint_every`` iterations, at the end and on
    Ctrl-C; ``resume``: such a path to continue from, to the same parameters as an uninterrupted
    run (:mod:`pinnfield.train.resume`). ``callback(steps_done, solution)`` after every step or
    L-BFGS round; returning True stops training. The problem's own networks are not modified.

    Raises :class:`~pinnfield.OptionError` for a bad option, :class:`~pinnfield.CheckpointError`
    for a checkpoint that does not fit, and :class:`~pinnfield.TrainingError` when a loss becomes
    NaN or infinite (``error.solution``: the last finite state).
    """
    if not isinstance(problem, Problem):
        raise OptionError(f"fit expects a pf.Problem; received {type(problem).__name__}.")
    options = resolve(dict(locals()))
    plan = Plan(problem, options.derivatives, CompiledSineKernels() if options.compile else None)
    for phase in options.phases:
        phase.check(plan, options)
    state = start_state(plan, options)
    keeper = Checkpointer(options.checkpoint, options.checkpoint_every, options.settings(), plan, state,
                          options.context)
    if options.resume:
        state.batches = keeper.restore(state, options.phases, options.resume)
    run = Run(plan, state, options.phases, options.weighting, options.context, options.device, options.progress)
    run.earlier_seconds = keeper.earlier_seconds
    solution_at = functools.partial(solution_of, run, options, versions())

    def at_boundary(before: int) -> bool:
        after = run.boundary.total
        if keeper.due(before, after, run.total):
            keeper.save(run, run.boundary, solution_at(after))
        if options.callback is not None and options.context.any(bool(options.callback(after, solution_at(after)))):
            return True
        stopped = options.stopping.reason(run, before, after)
        if options.context.any(stopped is not None):
            run.stop(stopped or {"reason": "time_limit"})
            return True
        return False

    try:
        train(run, at_boundary)
    except NonFinite as error:
        raise run.failure(error, solution_at) from None
    except KeyboardInterrupt:
        run.bar.close()
        if not keeper.path:
            raise
        raise interrupted(run, keeper, solution_at) from None
    run.bar.close()
    solution = solution_at(run.boundary.total)
    if keeper.path:
        keeper.save(run, run.boundary, solution)
    return solution


def start_state(plan: Plan, options) -> TrainState:
    """The state at the start of a run: fresh networks and parameters, streams, empty history."""
    modules = plan.fresh_modules(options.seed, options.device, options.dtype)
    parameters = LearnedParameters(plan.problem.parameters, options.device, options.dtype)
    weighting = options.weighting.init(list(plan.names), [float(c.weight) for c in plan.constraints], options.seed)
    errors = functools.partial(_point_errors, plan, modules, parameters)
    streams = PointStreams(plan.constraints, plan.names, options.seed, options.sampler, options.device,
                           options.dtype, errors, options.context)
    history: dict[str, list] = {"step": [], "loss": [], **{n: [] for n in plan.names}}
    if options.weighting.adaptive:
        history.update({f"weight:{n}": [] for n in plan.names})
    return TrainState(modules, parameters, 0, [0] * len(options.phases), None, weighting, streams, history)


def _point_errors(plan: Plan, modules, parameters, members, points, data) -> torch.Tensor:
    return plan.point_errors(modules, parameters.values(), members, points, data)


def interrupted(run: Run, keeper: Checkpointer, solution_at) -> KeyboardInterrupt:
    """Ctrl-C: roll back to the last boundary, write it, and say how to resume."""
    at, context = run.boundary, run.context
    if context.world > 1:
        last = f"the checkpoint of step {keeper.saved[-1]} is in {keeper.path!r}" if keeper.saved else \
            "no checkpoint was written"
        return KeyboardInterrupt(
            f"Training interrupted after {at.total} of {run.total} steps on rank {context.rank}; {last} (ranks "
            "write checkpoints together, every checkpoint_every steps).")
    run.roll_back(at.variables, at.rows)
    keeper.save(run, at, solution_at(at.total))
    return KeyboardInterrupt(
        f"Training interrupted after {at.total} of {run.total} steps; the training state is in {keeper.path!r}. "
        f"Continue with fit(problem, ..., resume={keeper.path!r}) and the same settings.")


def versions() -> dict[str, str]:
    """The versions of pinnfield, torch and numpy, for the run's info."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        own = version("pinnfield")
    except PackageNotFoundError:
        own = "unknown"
    return {"pinnfield": own, "torch": str(torch.__version__), "numpy": str(np.__version__)}


def solution_of(run: Run, options, versions: dict, steps_done: int) -> Solution:
    """The solution as it stands after ``steps_done`` iterations (a new object each call)."""
    problem, state = run.plan.problem, run.state
    first_order = sum(p.steps for p in options.phases if isinstance(p, AbstractFirstOrder))
    info = {
        "steps": steps_done, "adam_steps": first_order, "lbfgs_steps": sum(p.steps for p in options.phases) - first_order,
        "lbfgs_evaluations": max(run.rows - first_order, 0),
        "phases": [{**p.settings(), "done": d} for p, d in zip(options.phases, state.done)],
        "wall_seconds": run.seconds(), "device": str(options.device), "dtype": str(options.dtype).replace("torch.", ""),
        "seed": options.seed, "derivatives": options.derivatives, "compile": options.compile,
        "world_size": options.context.world, "versions": versions,
        "stopped": options.stopping.summary(run.stopped),
    }
    parameters = {n: float(v.detach()) for n, v in state.parameters.values().items()}
    return Solution(state.modules, problem.functions, problem.coords, problem.constants, problem.exact,
                    parameters=parameters, history=state.history, info=info, derivatives=options.derivatives)
