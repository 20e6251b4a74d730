"""fit(): train a problem's fields (Adam with a schedule, optional L-BFGS polish).

The loss is sum_c w_c mean_i r_c(x_i)^2 over constraints c, with the points x_i drawn from each
constraint's region. Everything random derives from ``seed``: field initialisation and one
sampling stream per constraint, so a run is reproducible on a given device.

Constraints on the same region object with the same ``n`` share their batch: the points are
drawn once (from the first such constraint's stream) and each network's derivatives on them are
computed once, for the union of what those constraints need.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import time
import warnings
from typing import Callable

import numpy as np
import sympy as sp
import torch
from tqdm.auto import tqdm

from . import distributed as parallel
from .checkpoints import (check_problem, check_settings, problem_signature, read_training_state, sigint_deferred,
                          write_checkpoint)
from .domains import Batch, Points
from .errors import DataError, TrainingError
from .fields import AbstractField
from .jets import ENGINES, CompiledSineKernels, DerivativeRequest, DerivativeTable
from .lower import Env, LoweredExpression
from .problem import Problem, Solution
from .sampling import resolve as resolve_sampling
from .weighting import HeldOut
from .weighting import start as start_weighting

__all__ = ["fit", "resolve_device", "SCHEDULES"]


def resolve_device(device) -> torch.device:
    """``"auto"`` -> CUDA when present, else CPU; anything else must exist on this machine."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise DataError(
            f"Device {device!r} is not a torch device name; expected 'auto', 'cpu', 'cuda' or "
            "'cuda:N'."
        ) from None
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (resolved.index is not None and resolved.index >= count):
            raise DataError(
                f"Device {device!r} is not available: this machine has {count} CUDA device(s). "
                "Use device='cpu', or device='auto' to pick CUDA only when present."
            )
    elif resolved.type == "mps" and not torch.backends.mps.is_available():
        raise DataError(f"Device {device!r} is not available on this machine. Use device='cpu' or 'auto'.")
    elif resolved.type not in ("cpu", "cuda", "mps"):
        raise DataError(f"Device {device!r} is not supported; expected 'auto', 'cpu', 'cuda' or 'mps'.")
    return resolved


def _resolve_dtype(dtype) -> torch.dtype:
    named = {"float32": torch.float32, "float64": torch.float64}
    dtype = named.get(dtype, dtype)
    if dtype not in (torch.float32, torch.float64):
        raise DataError(f"dtype must be torch.float32 or torch.float64; received {dtype!r}.")
    return dtype


def _constant(step: int, steps: int) -> float:
    return 1.0


def _cosine(step: int, steps: int) -> float:
    """Cosine decay from 1 to 1e-2 over the Adam steps."""
    return 1e-2 + 0.5 * (1 - 1e-2) * (1 + math.cos(math.pi * step / max(steps, 1)))


def _exponential(step: int, steps: int) -> float:
    """Exponential decay from 1 to 1e-2 over the Adam steps."""
    return 1e-2 ** (step / max(steps, 1))


SCHEDULES: dict[str, Callable[[int, int], float]] = {
    "constant": _constant,
    "cosine": _cosine,
    "exponential": _exponential,
}
"""Learning-rate factor(step, steps) by name; ``schedule`` may also be such a callable."""

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def _choose(value, options: dict, what: str):
    if callable(value) and not isinstance(value, str):
        return value
    if value not in options:
        raise DataError(f"{what} {value!r} is not known; expected one of {sorted(options)}.")
    return options[value]


class _Parameters:
    """Learnable scalar parameters: raw tensors theta and their constrained values."""

    def __init__(self, symbols: dict, device, dtype):
        self.symbols = symbols
        self.raw = {}
        for name, p in symbols.items():
            start = p.init
            if p.bounds is not None:
                low, high = p.bounds
                fraction = (start - low) / (high - low)
                start = math.log(fraction / (1 - fraction))
            self.raw[name] = torch.nn.Parameter(torch.tensor(start, device=device, dtype=dtype))

    def values(self) -> dict[str, torch.Tensor]:
        out = {}
        for name, theta in self.raw.items():
            bounds = self.symbols[name].bounds
            out[name] = theta if bounds is None else bounds[0] + (bounds[1] - bounds[0]) * torch.sigmoid(theta)
        return out


class _Sampler:
    """One generator per constraint, seeded from the run's seed; batches moved to the device.

    ``groups`` lists the constraint indices that share a batch (same region object, same n);
    a group draws from its first member's generator. :meth:`state` and :meth:`restore` save and
    rebuild the streams and the current batch exactly.

    ``scheme``: an adaptive :mod:`pinnfield.sampling` scheme (``names``: the term names). A
    group holding a term it adapts draws through the scheme's population, with
    ``errors(members, points, data) -> (N,)`` the summed |residual| of those terms at new points
    (RAR-D) and :meth:`observe` the residuals of the last training evaluation (R3).

    On rank r of a distributed run (``context``), a group draws its share of the points from a
    stream of rank r, and a point set taken whole is split into shards (see
    :mod:`pinnfield.distributed`); ``scales[i]`` = W n_ri / n_i is the factor that makes the
    ranks' mean of constraint i's loss the loss on the whole batch (1 in one process).
    """

    def __init__(self, constraints, seed: int, method: str, device, dtype, scheme=None, names=None, errors=None,
                 context: parallel.Context = parallel.SINGLE):
        self.constraints, self.context, self.seed = constraints, context, seed
        self.reseed(0)
        self.method, self.device, self.dtype = method, device, dtype
        keys: dict = {}
        for i, c in enumerate(constraints):
            keys.setdefault((id(c.on), c.n), []).append(i)
        self.groups: list[list[int]] = list(keys.values())
        self.whole, self.local, self.scales = [], [], [1.0] * len(constraints)
        for group in self.groups:
            c = constraints[group[0]]
            self.whole.append(isinstance(c.on, Points) and (c.n is None or c.n >= len(c.on)))
            total = len(c.on) if self.whole[-1] else c.n
            self.local.append(parallel.share(total, context))
            if self.local[-1] == 0:
                raise DataError(
                    f"The term '{names[group[0]] if names else c.name}' draws {total} point(s) per step, fewer "
                    f"than the {context.world} ranks; raise its n to at least {context.world}, or use fewer ranks."
                )
            for i in group:
                self.scales[i] = context.world * self.local[-1] / total
        self.before = [g.get_state() for g in self.generators]
        self.drawn = False
        adapted = scheme.adapted(constraints, list(names)) if scheme is not None else set()
        self.members = {g: [i for i in group if i in adapted] for g, group in enumerate(self.groups)}
        self.members = {g: members for g, members in self.members.items() if members}
        self.populations = {g: scheme.population() for g in self.members}
        self.watched = {i for members in self.members.values() for i in members}
        self.errors = errors
        self.observed: dict[int, torch.Tensor] = {}
        self.after: dict[int, torch.Tensor] = {}

    def reseed(self, start: int) -> None:
        """New sampling streams from the run's seed: the single-process ones, or on several ranks
        this rank's streams for a run (re)started after ``start`` steps."""
        if self.context.world == 1:
            seeds = np.random.SeedSequence(self.seed).spawn(len(self.constraints))
        else:
            seeds = [self.context.stream(self.seed, i, start) for i in range(len(self.constraints))]
        self.generators = [
            torch.Generator().manual_seed(int(s.generate_state(1, dtype=np.uint64)[0] % (2**63)))
            for s in seeds
        ]

    def _uniform(self, g: int) -> Batch:
        """Group g's points, drawn without adaptation: this rank's share or shard."""
        c, generator = self.constraints[self.groups[g][0]], self.generators[self.groups[g][0]]
        if not self.whole[g]:
            return c.on.sample(self.local[g], generator, method=self.method)
        batch = c.on.sample(c.n, generator, method=self.method)
        part = parallel.shard(len(batch), self.context)
        return Batch(batch.points[part], {k: v[part] for k, v in batch.data.items()})

    def observe(self, i: int, residual: torch.Tensor) -> None:
        """Keep |residual| (N,) of constraint i on the current batch, if its group is adapted."""
        if i in self.watched:
            self.observed[i] = residual.detach().abs()

    def _draw(self, g: int):
        group = self.groups[g]
        c, generator = self.constraints[group[0]], self.generators[group[0]]
        if g not in self.populations:
            return self._uniform(g)
        members = self.members[g]

        def evaluate(batch) -> torch.Tensor:
            points = batch.points.to(self.device, self.dtype)
            data = {k: v.to(self.device, self.dtype) for k, v in batch.data.items()}
            return self.errors(members, points, data).double().cpu()

        seen = [self.observed.pop(i) for i in members if i in self.observed]
        observed = sum(seen).double().cpu() if len(seen) == len(members) else None
        batch = self.populations[g].draw(c.on, self.local[g], generator, evaluate, observed)
        self.after[g] = generator.get_state()
        return batch

    def _install(self, batches: list, group: list[int], batch) -> None:
        points = batch.points.to(self.device, self.dtype)
        data = {k: v.to(self.device, self.dtype) for k, v in batch.data.items()}
        for i in group:
            batches[i] = (points, data)

    def sample(self) -> list:
        self.before = [g.get_state() for g in self.generators]
        self.drawn = True
        batches: list = [None] * len(self.constraints)
        for g, group in enumerate(self.groups):
            self._install(batches, group, self._draw(g))
        return batches

    def state(self) -> dict:
        """The generators' states before the current batch was drawn, and whether one was; with
        an adaptive scheme also each adapted group's population, its generator's state after
        the draw and the errors observed on it (``"adaptive"``)."""
        state = {"generators": self.before, "drawn": self.drawn}
        if self.populations:
            state["adaptive"] = {
                g: {"generator": self.after.get(g), "population": population.state(),
                    "observed": {i: self.observed[i] for i in self.members[g] if i in self.observed}}
                for g, population in self.populations.items()
            }
        return state

    def restore(self, state: dict) -> list | None:
        """Set the generators from :meth:`state`; rebuild and return the current batch, if any."""
        if len(state["generators"]) != len(self.generators):
            raise DataError(
                f"The checkpoint has {len(state['generators'])} sampling streams; this problem has "
                f"{len(self.generators)}. Resume with the problem it was trained on."
            )
        for generator, saved in zip(self.generators, state["generators"]):
            generator.set_state(saved)
        if not state["drawn"]:
            return None
        self.before, self.drawn = list(state["generators"]), True
        batches: list = [None] * len(self.constraints)
        for g, group in enumerate(self.groups):
            if g not in self.populations:
                self._install(batches, group, self._uniform(g))
                continue
            saved = state["adaptive"][g]
            self.populations[g].restore(saved["population"])
            self.generators[group[0]].set_state(saved["generator"])
            self.after[g] = saved["generator"]
            self.observed.update({i: v.to(self.device) for i, v in saved["observed"].items()})
            self._install(batches, group, self.populations[g].batch)
        return batches


def _union_request(lowered: list, members: list[int]) -> dict[int, DerivativeRequest]:
    """Network index -> the union of the derivatives that the constraints ``members`` need."""
    union: dict[int, DerivativeRequest] = {}
    for i in members:
        for m, request in lowered[i].requests.items():
            union[m] = union.get(m, DerivativeRequest()).merge(request)
    return union


def _member_tables(solution, lowered: list, members: list[int], union: dict, points, engine: str,
                   kernels=None) -> dict[int, dict]:
    """Derivatives at points (N, d) computed once for ``union``; constraint index -> its view
    (network index -> DerivativeTable, quadratic forms in the order of its own request)."""
    merged = solution.tables_for(union, points, engine, kernels)
    return {
        i: {m: DerivativeTable(merged[m].partials, [merged[m].quads[union[m].quads.index(q)] for q in request.quads])
            for m, request in lowered[i].requests.items()}
        for i in members
    }


class _SharedTables:
    """Derivative tables computed once per batch group for the union of its members' requests."""

    def __init__(self, lowered: list, groups: list[list[int]]):
        self.groups = []
        for group in groups:
            members = [i for i in group if isinstance(lowered[i], LoweredExpression)]
            self.groups.append((members, _union_request(lowered, members)))
        self.lowered = lowered

    def __call__(self, solution, batches, engine: str, kernels=None) -> dict[int, dict]:
        """Constraint index -> its tables (network index -> DerivativeTable)."""
        out = {}
        for members, union in self.groups:
            if members:
                out.update(_member_tables(solution, self.lowered, members, union, batches[members[0]][0], engine,
                                          kernels))
        return out


@functools.lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        own = version("pinnfield")
    except PackageNotFoundError:
        own = "unknown"
    return {"pinnfield": own, "torch": str(torch.__version__), "numpy": str(np.__version__)}


def _check_steps(value, name: str, allow_zero: bool) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise DataError(f"fit {name} must be an integer >= {low}; received {value!r}.")
    return value


def fit(
    problem: Problem,
    *,
    steps: int = 3000,
    lr: float = 1e-3,
    optimizer: str = "adam",
    lbfgs_steps: int = 0,
    lbfgs_resample_every: int | None = None,
    schedule="cosine",
    weighting=None,
    resample_every: int = 1,
    sampling="uniform",
    seed: int = 0,
    device="auto",
    dtype=torch.float32,
    derivatives: str = "auto",
    compile: bool = False,
    distributed: bool | None = None,
    checkpoint: str | None = None,
    checkpoint_every: int = 1000,
    resume: str | None = None,
    callback: Callable[[int, Solution], bool | None] | None = None,
    progress: bool = True,
) -> Solution:
    """Train the problem's fields and return a :class:`Solution`.

    ``steps`` first-order steps (``optimizer`` adam, adamw or sgd, learning rate ``lr`` times
    ``schedule(step, steps)``), then ``lbfgs_steps`` iterations of L-BFGS (strong Wolfe line
    search) on one fixed batch, or, with ``lbfgs_resample_every=k``, in rounds of k iterations,
    each on a fresh batch with a fresh curvature memory (so L-BFGS cannot overfit one set of
    points where the batch is sparse, as in space-time). Points are redrawn every ``resample_every`` steps
    (``sampling`` "uniform", "sobol", or a residual-based scheme of :mod:`pinnfield.sampling`:
    ``pf.sampling.RARD(k=1, c=1)``, ``pf.sampling.R3()``). ``weighting``: a dict overriding
    constraint weights by term name, or an adaptive scheme of :mod:`pinnfield.weighting`
    (``pf.weighting.LRA(alpha=0.9, every=10)``, ``pf.weighting.ReLoBRaLo()``,
    ``pf.weighting.NTK(every=100)``, ``pf.weighting.HeldOut()`` between L-BFGS rounds), whose weights are
    recorded in ``history["weight:<term>"]``. ``derivatives``: "jet", "autograd" or "auto" (jets where the field supports them, reverse
    mode where it is cheaper: see :func:`pinnfield.jets.compute_derivatives`). ``compile``: sine
    layers' jets run as kernels compiled by torch.compile (:class:`pinnfield.jets.CompiledSineKernels`; the same
    result to rounding, faster per step after a compilation of seconds at the first step).
    The problem's own networks are not modified: training works on copies re-initialised from
    ``seed``.

    ``distributed``: data-parallel training over the ranks of a torch.distributed process group
    (DistributedDataParallel; see :mod:`pinnfield.distributed`): each rank draws its share of
    every batch, gradients and statistics are averaged over the ranks, only rank 0 writes
    checkpoints and shows progress, and every rank returns the same solution. None (default):
    on when the process was started by torchrun with more than one rank.

    ``checkpoint``: a path the whole training state (weights, parameters, optimiser and schedule
    state, sampling streams, history, settings; see :mod:`pinnfield.checkpoints`) is written to,
    atomically, every ``checkpoint_every`` steps, at the end, and on Ctrl-C, after which the
    KeyboardInterrupt is re-raised with the path. ``pf.Solution.load`` reads it as a solution.
    ``resume``: such a path to continue from (checkpoints then go on being written there unless
    ``checkpoint`` names another path). With the same problem and settings, a resumed run ends
    with the same parameters as an uninterrupted one (bitwise on the same device). ``steps``
    and ``lbfgs_steps`` may be raised to train longer (the schedule then follows the new
    total), ``device`` may change (without the bitwise guarantee); another setting, or a
    problem whose fields, network shapes or terms differ, is a :class:`DataError`. L-BFGS
    progress is saved at round boundaries (see ``lbfgs_resample_every``): an interrupt inside a
    round resumes from the round's start.

    ``callback(steps_done, solution)`` is called after every first-order step and every L-BFGS
    round with the solution as it stands (its fields are the ones being trained: evaluate, do not
    modify); returning True stops training there, as an early-stopping rule would.

    A loss that becomes NaN or infinite stops training with a :class:`TrainingError` naming
    the term and the step; ``error.solution`` holds the last state whose loss was finite, and
    the checkpoint file keeps the last one written before.
    """
    if not isinstance(problem, Problem):
        raise DataError(f"fit expects a pf.Problem; received {type(problem).__name__}.")
    steps = _check_steps(steps, "steps", allow_zero=True)
    lbfgs_steps = _check_steps(lbfgs_steps, "lbfgs_steps", allow_zero=True)
    resample_every = _check_steps(resample_every, "resample_every", allow_zero=False)
    if lbfgs_resample_every is not None:
        lbfgs_resample_every = _check_steps(lbfgs_resample_every, "lbfgs_resample_every", allow_zero=False)
    if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
        raise DataError(f"fit lr must be a positive number; received {lr!r}.")
    if derivatives not in ENGINES:
        raise DataError(f"derivatives={derivatives!r} is not known; expected one of {ENGINES}.")
    if not isinstance(compile, bool):
        raise DataError(f"fit compile must be True or False; received {compile!r}.")
    method, scheme = resolve_sampling(sampling)
    rounds = math.ceil(lbfgs_steps / lbfgs_resample_every) if lbfgs_resample_every else min(lbfgs_steps, 1)
    if isinstance(weighting, HeldOut) and rounds < 2:
        warnings.warn(
            f"weighting=HeldOut() sets the weights between L-BFGS rounds, and this run has {rounds}, so it "
            "keeps the constraints' weights. Pass lbfgs_steps=N with lbfgs_resample_every=k < N "
            "(pinnfield run: --lbfgs-steps N --lbfgs-resample-every k).", stacklevel=2)
    checkpoint_every = _check_steps(checkpoint_every, "checkpoint_every", allow_zero=False)
    checkpoint = checkpoint or resume
    factor = _choose(schedule, SCHEDULES, "schedule")
    optimizer_class = _choose(optimizer, _OPTIMIZERS, "optimizer")
    dtype = _resolve_dtype(dtype)
    context, device = parallel.start(distributed, resolve_device(device))

    names = [c.name for c in problem.constraints]
    names = [n if names.count(n) == 1 else f"{n}{i}" for i, n in enumerate(names)]
    balance = start_weighting(weighting, names, [c.weight for c in problem.constraints], seed)
    balance.average = context.mean
    weights = balance.weights
    settings = {
        "steps": steps, "lbfgs_steps": lbfgs_steps, "lr": float(lr), "optimizer": _setting_name(optimizer),
        "schedule": _setting_name(schedule), "lbfgs_resample_every": lbfgs_resample_every,
        "weighting": balance.setting, "resample_every": resample_every,
        "sampling": method if scheme is None else scheme.settings(),
        "seed": int(seed), "dtype": str(dtype).replace("torch.", ""), "derivatives": derivatives,
    }

    init = torch.Generator().manual_seed(int(seed))
    modules = [copy.deepcopy(m) for m in problem.modules]  # the user's networks stay untouched
    for m, module in enumerate(modules):
        if isinstance(module, AbstractField):
            module.reset_parameters(init)
            module.set_input_box(*problem.input_box(m))
        module.to(device=device, dtype=dtype)
    trained = Solution(modules, problem.functions, problem.coords, problem.constants, problem.exact,
                       derivatives=derivatives)
    parameters = _Parameters(problem.parameters, device, dtype)
    variables = [p for m in modules for p in m.parameters()] + list(parameters.raw.values())
    sampler = _Sampler(problem.constraints, seed, method, device, dtype, scheme, names,
                       _point_errors(trained, problem.lowered, parameters, derivatives), context)
    shared_tables = _SharedTables(list(problem.lowered), sampler.groups)
    kernels = CompiledSineKernels() if compile else None
    history: dict[str, list] = {"step": [], "loss": [], **{n: [] for n in names}}
    if balance.adaptive:
        history.update({f"weight:{n}": [] for n in names})
    fields_by_name = {str(f.func): trained.modules[s.module] for f, s in trained.slots.items()}

    causal = [_CausalLoss(c, problem.coords) if c.causal else None for c in problem.constraints]

    def term_residuals(batches) -> list[torch.Tensor | None]:
        """Each term's residual on its batch; None for a term given as a loss function."""
        values = parameters.values()
        all_tables = shared_tables(trained, batches, derivatives, kernels)
        return [lowered(Env(points, data, all_tables[i], values)) if isinstance(lowered, LoweredExpression) else None
                for i, (lowered, (points, data)) in enumerate(zip(problem.lowered, batches))]

    def term_losses(batches) -> list[torch.Tensor]:
        losses = []
        for i, (constraint, lowered, (points, data), weighting, residual) in enumerate(
            zip(problem.constraints, problem.lowered, batches, causal, term_residuals(batches))
        ):
            if residual is None:
                losses.append(lowered(fields_by_name, (points, data)))
                continue
            sampler.observe(i, residual)
            pointwise = _POINTWISE[constraint.loss](residual)
            losses.append(torch.mean(pointwise) if weighting is None else weighting(pointwise, points))
        if context.world > 1:
            losses = [scale * loss for scale, loss in zip(sampler.scales, losses)]
        return losses

    objective = parallel.data_parallel(modules, list(parameters.raw.values()), term_losses, context, device)

    def freeze_causal(batches) -> None:
        """Fix the causal slab weights of the terms that have them on ``batches`` (an L-BFGS round's)."""
        if any(causal):
            for weighting, constraint, residual, (points, _) in zip(causal, problem.constraints,
                                                                    term_residuals(batches), batches):
                if weighting is not None and residual is not None:
                    weighting.freeze(_POINTWISE[constraint.loss](residual.detach()), points)

    def probe(batches):
        """``probe(m)``: the terms' residuals on the first m points of ``batches`` (all: m None)."""
        return lambda m: term_residuals([_first_points(batch, m) for batch in batches])

    def record(step: int, losses: list[torch.Tensor]) -> list[float]:
        """Append this evaluation's losses and, as ``"param:<name>"``, each learned parameter's value."""
        learned = parameters.values()
        row = context.mean(torch.stack([t.detach().reshape(()) for t in losses]))
        if learned:
            row = torch.cat([row, torch.stack([v.detach().reshape(()) for v in learned.values()]).to(row)])
        row = row.double().cpu().tolist()
        floats = row[:len(losses)]
        total = sum(w * v for w, v in zip(weights, floats))
        bad = [n for n, v in zip(names, floats) if not math.isfinite(v)]
        if bad:
            raise _NonFinite(step, bad[0])
        history["step"].append(step)
        history["loss"].append(total)
        for n, v in zip(names, floats):
            history[n].append(v)
        for name, value in zip(learned, row[len(losses):]):
            history.setdefault(f"param:{name}", []).append(value)
        if balance.adaptive:
            for n, w in zip(names, weights):
                history[f"weight:{n}"].append(w)
        return floats

    started = time.perf_counter()
    earlier_seconds = 0.0
    snapshot = [v.detach().clone() for v in variables]
    optimiser = optimizer_class(variables, lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: factor(s, steps))
    signature = problem_signature(problem, modules, names)

    def solution_at(steps_done: int) -> Solution:
        trained.parameters = {n: float(v.detach()) for n, v in parameters.values().items()}
        trained.history = history
        trained.info = {
            "steps": steps_done, "adam_steps": steps, "lbfgs_steps": lbfgs_steps,
            "lbfgs_evaluations": max(len(history["step"]) - steps, 0),
            "wall_seconds": earlier_seconds + time.perf_counter() - started, "device": str(device),
            "dtype": str(dtype).replace("torch.", ""), "seed": int(seed), "derivatives": derivatives,
            "compile": compile, "world_size": context.world,
            "versions": _versions(),
        }
        return trained

    def training_state(at: _Boundary, samplers: list[dict]) -> dict:
        return {
            "settings": settings, "problem": signature, "adam_steps": at.adam, "lbfgs_steps": at.lbfgs,
            "world_size": context.world,
            "modules": [{k: v.detach().cpu() for k, v in m.state_dict().items()} for m in modules],
            "parameters": {n: v.detach().cpu() for n, v in parameters.raw.items()},
            "optimizer": optimiser.state_dict(), "scheduler": scheduler.state_dict(),
            "sampler": samplers[0] if context.world == 1 else {"ranks": samplers}, "weighting": at.weighting,
            "history": history,
            "wall_seconds": earlier_seconds + time.perf_counter() - started,
        }

    def save(at: _Boundary) -> None:
        """Rank 0 writes the checkpoint, with every rank's sampling state (all ranks call this)."""
        samplers = context.gather(_on_cpu(at.sampler))
        if context.main:
            write_checkpoint(checkpoint, solution_at(at.adam + at.lbfgs), training_state(at, samplers))
        context.barrier()
        saved.append(at.adam + at.lbfgs)

    def save_if_due(before: int, at: _Boundary) -> None:
        after = at.adam + at.lbfgs
        if checkpoint and after // checkpoint_every > before // checkpoint_every and after < steps + lbfgs_steps:
            save(at)

    def restore(state: dict) -> tuple[_Boundary, list | None]:
        check_problem(state["problem"], signature, resume)
        check_settings(state["settings"], settings, resume, state["adam_steps"], state["lbfgs_steps"])
        for module, saved in zip(modules, state["modules"]):
            module.load_state_dict(saved)
        with torch.no_grad():
            for name, raw in parameters.raw.items():
                raw.copy_(state["parameters"][name])
        optimiser.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if state["settings"]["steps"] != steps:
            for group in optimiser.param_groups:
                group["lr"] = group["initial_lr"] * factor(scheduler.last_epoch, steps)
        for key, values in state["history"].items():
            history.setdefault(key, [])[:] = values
        batches = restore_sampler(state)
        balance.restore(state.get("weighting"))
        return _Boundary(state["adam_steps"], state["lbfgs_steps"], sampler.state(), len(history["step"]),
                         weighting=balance.state()), batches

    def restore_sampler(state: dict) -> list | None:
        """The sampling streams (this rank's) and current batch of the checkpoint ``state``; on
        another number of ranks, new streams and a new batch."""
        world = state.get("world_size", 1)
        saved_state = state["sampler"]
        if world == context.world:
            return sampler.restore(saved_state if world == 1 else saved_state["ranks"][context.rank])
        if context.main:
            warnings.warn(
                f"Resuming {resume!r}, written by {world} rank(s), on {context.world}: training continues "
                "from its state with new sampling streams, so the run is not a step-for-step "
                "continuation of the original.", stacklevel=3)
        sampler.reseed(state["adam_steps"] + state["lbfgs_steps"])
        first = saved_state if world == 1 else saved_state["ranks"][0]
        return sampler.sample() if first["drawn"] else None

    def stop_requested(at: _Boundary) -> bool:
        if callback is None:
            return False
        done = at.adam + at.lbfgs
        return context.any(bool(callback(done, solution_at(done))))

    def finish(at: _Boundary) -> Solution:
        bar.close()
        solution = solution_at(at.adam + at.lbfgs)
        if checkpoint:
            save(at)
        return solution

    def fail(error: "_NonFinite") -> TrainingError:
        bar.close()
        with torch.no_grad():
            for v, good in zip(variables, snapshot):
                v.copy_(good)
        failure = TrainingError(
            f"The loss term '{error.term}' became NaN or infinite at step {error.step}; training "
            "stopped and the last state with a finite loss was kept (error.solution). Lower lr, "
            "check the residual for divisions or logarithms that can blow up, or train in float64."
        )
        failure.solution = solution_at(error.step)
        return failure

    def interrupted(at: _Boundary) -> KeyboardInterrupt:
        bar.close()
        if context.world > 1:
            last = f"the checkpoint of step {saved[-1]} is in {checkpoint!r}" if saved else "no checkpoint was written"
            return KeyboardInterrupt(
                f"Training interrupted after {at.adam + at.lbfgs} of {steps + lbfgs_steps} steps on rank "
                f"{context.rank}; {last} (ranks write checkpoints together, every checkpoint_every steps)."
            )
        with torch.no_grad():
            for v, kept in zip(variables, at.variables or ()):
                v.copy_(kept)
        for values in history.values():
            del values[at.rows:]
        save(at)
        return KeyboardInterrupt(
            f"Training interrupted after {at.adam + at.lbfgs} of {steps + lbfgs_steps} steps; the "
            f"training state is in {checkpoint!r}. Continue with fit(problem, ..., resume={checkpoint!r}) "
            "and the same settings."
        )

    boundary, batches = _Boundary(0, 0, sampler.state(), 0, weighting=balance.state()), None
    saved: list[int] = []
    if resume:
        state = read_training_state(resume)
        boundary, batches = restore(state)
        earlier_seconds = float(state["wall_seconds"])
    bar = tqdm(total=steps + lbfgs_steps, initial=boundary.adam + boundary.lbfgs,
               disable=not (progress and context.main),
               desc="fit", dynamic_ncols=True)
    try:
        for step in range(boundary.adam, steps):
            if step % resample_every == 0:
                batches = sampler.sample()
            optimiser.zero_grad(set_to_none=True)
            losses = objective(batches)
            balance.update(step, losses, variables, probe(batches))
            floats = record(step, losses)
            with torch.no_grad():
                torch._foreach_copy_(snapshot, [v.detach() for v in variables])
            sum(w * t for w, t in zip(weights, losses)).backward()
            with sigint_deferred():
                optimiser.step()
                scheduler.step()
                boundary = _Boundary(step + 1, 0, sampler.state(), len(history["step"]), weighting=balance.state())
            bar.update(1)
            if step % 25 == 0 or step == steps - 1:
                bar.set_postfix({n: f"{v:.2e}" for n, v in zip(names, floats)}, refresh=False)
            save_if_due(step, boundary)
            if stop_requested(boundary):
                return finish(boundary)
        while boundary.lbfgs < lbfgs_steps:
            iterations = min(lbfgs_steps - boundary.lbfgs, lbfgs_resample_every or lbfgs_steps)
            boundary.variables = [v.detach().clone() for v in variables]
            batches = sampler.sample()
            balance.refresh(variables, probe(batches))
            freeze_causal(batches)
            _lbfgs(variables, batches, objective, record, weights, len(history["step"]), iterations, bar,
                   snapshot, context.mean)
            balance.settle(probe(batches))
            before = boundary.adam + boundary.lbfgs
            boundary = _Boundary(steps, boundary.lbfgs + iterations, sampler.state(), len(history["step"]),
                                 weighting=balance.state())
            save_if_due(before, boundary)
            if stop_requested(boundary):
                break
    except _NonFinite as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        if not checkpoint:
            bar.close()
            raise
        raise interrupted(boundary) from None
    return finish(boundary)


def _on_cpu(value):
    """``value`` with every tensor in its nested dicts, lists and tuples moved to the CPU."""
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {k: _on_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_on_cpu(v) for v in value)
    return value


def _first_points(batch: tuple, m: int) -> tuple:
    """(points, data) of a batch cut to its first m points."""
    points, data = batch
    n = len(points)
    return points[:m], {k: v[:m] if v.ndim and len(v) == n else v for k, v in data.items()}


def _setting_name(value) -> str:
    """A setting given by name, or a callable's qualified name: how a resumed run compares them."""
    if isinstance(value, str):
        return value
    return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__name__)}"


@dataclasses.dataclass
class _Boundary:
    """A point where the training state is consistent, the one a checkpoint records.

    After ``adam`` first-order steps and ``lbfgs`` L-BFGS iterations (whole rounds), with the
    sampler's :meth:`_Sampler.state`, ``rows`` history rows and the loss weights' state
    (``weighting``, see :mod:`pinnfield.weighting`) then. ``variables``: the parameter
    values there, kept while an L-BFGS round runs so that an interrupt rolls back to its start
    (first-order steps need none: an interrupt is held back while parameters are updated).
    """

    adam: int
    lbfgs: int
    sampler: dict
    rows: int
    variables: list | None = None
    weighting: dict | None = None


_POINTWISE = {"mse": lambda r: r * r, "mae": torch.abs, "mean": lambda r: r}
"""Per-point loss of a residual, by ``Constraint.loss``."""

ERROR_CHUNK = 32768
"""Points per evaluation when residual magnitudes are computed for adaptive sampling."""


def _point_errors(solution, lowered: list, parameters: _Parameters, engine: str):
    """``errors(members, points, data) -> (N,)``: sum over the constraint indices ``members`` of
    |residual| at points (N, d) with data columns, with the current fields (no gradient)."""

    def errors(members, points, data) -> torch.Tensor:
        total = torch.zeros(points.shape[0], dtype=points.dtype, device=points.device)
        values = {n: v.detach() for n, v in parameters.values().items()}
        union = _union_request(lowered, members)
        for start in range(0, points.shape[0], ERROR_CHUNK):
            part = slice(start, start + ERROR_CHUNK)
            env_data = {k: v[part] for k, v in data.items()}
            with torch.no_grad():
                tables = _member_tables(solution, lowered, members, union, points[part], engine)
                for i in members:
                    total[part] += lowered[i](Env(points[part], env_data, tables[i], values)).detach().abs()
        return total

    return errors


class _CausalLoss:
    """mean_i w_i L_i over slabs of ``along``, w_i = exp(-epsilon sum_{k<i} L_k) (see :class:`pf.Causal`)."""

    RANGE_SAMPLES = 16384
    """Points of the region on which the range of a non-coordinate ``along`` is measured."""

    def __init__(self, constraint, coords):
        settings = constraint.causal
        coords = tuple(coords)
        region_coords = tuple(constraint.on.coords)
        if settings.along in coords:
            column = coords.index(settings.along)
            self.along = lambda points: points[:, column]
            lower, upper = constraint.on.bounds()
            axis = region_coords.index(settings.along)
            low, high = float(lower[axis]), float(upper[axis])
        else:
            expression = sp.lambdify(coords, settings.along, "torch")
            self.along = lambda points: expression(*points.T)
            sample = constraint.on.sample(self.RANGE_SAMPLES, torch.Generator().manual_seed(0)).points
            values = torch.as_tensor(sp.lambdify(region_coords, settings.along, "torch")(*sample.T))
            low, high = float(values.min()), float(values.max())
        self.start, self.span = low, max(high - low, 1e-12)
        self.chunks, self.epsilon = settings.chunks, settings.epsilon
        self.frozen: torch.Tensor | None = None

    def _slab_losses(self, pointwise: torch.Tensor, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(chunks,) mean per-point loss of each slab and (chunks,) whether it holds points."""
        slab = ((self.along(points).detach() - self.start) / self.span * self.chunks).long().clamp(0, self.chunks - 1)
        sums = torch.zeros(self.chunks, dtype=pointwise.dtype, device=pointwise.device).index_add(0, slab, pointwise)
        counts = torch.bincount(slab, minlength=self.chunks).to(pointwise.dtype)
        return sums / counts.clamp(min=1), counts > 0

    def _weights(self, slab_losses: torch.Tensor, filled: torch.Tensor) -> torch.Tensor:
        earlier = torch.cumsum(slab_losses.detach(), 0) - slab_losses.detach()
        return torch.exp(-self.epsilon * earlier) * filled

    def __call__(self, pointwise: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        slab_losses, filled = self._slab_losses(pointwise, points)
        weights = self._weights(slab_losses, filled) if self.frozen is None else self.frozen
        return torch.sum(weights * slab_losses) / torch.clamp(torch.sum(filled), min=1)

    def freeze(self, pointwise: torch.Tensor, points: torch.Tensor) -> None:
        """Hold the slab weights of this batch fixed until the next freeze: for an L-BFGS round,
        whose line search would otherwise lower the loss by letting the early slabs' losses grow
        and so switching the later slabs off."""
        self.frozen = self._weights(*self._slab_losses(pointwise.detach(), points))


class _NonFinite(Exception):
    def __init__(self, step: int, term: str):
        super().__init__(step, term)
        self.step, self.term = step, term


def _lbfgs(variables, batches, term_losses, record, weights, start, iterations, bar, snapshot, average):
    """L-BFGS with a strong Wolfe line search on a fixed batch; one history row per evaluation.
    ``average``: the mean over the ranks, so that every rank's line search sees the whole loss."""
    optimiser = torch.optim.LBFGS(
        variables, lr=1.0, max_iter=iterations, max_eval=int(iterations * 1.25) + 1,
        history_size=50, tolerance_grad=1e-12, tolerance_change=1e-15,
        line_search_fn="strong_wolfe",
    )
    evaluations = [0]

    def closure():
        optimiser.zero_grad(set_to_none=True)
        losses = term_losses(batches)
        record(start + evaluations[0], losses)
        evaluations[0] += 1
        with torch.no_grad():
            torch._foreach_copy_(snapshot, [v.detach() for v in variables])
        total = sum(w * t for w, t in zip(weights, losses))
        total.backward()
        if evaluations[0] <= iterations:
            bar.update(1)
        return average(total.detach())

    optimiser.step(closure)
