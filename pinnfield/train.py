"""fit(): train a problem's fields (Adam with a schedule, optional L-BFGS polish).

The loss is sum_c w_c mean_i r_c(x_i)^2 over constraints c, with the points x_i drawn from each
constraint's region. Everything random derives from ``seed``: field initialisation and one
sampling stream per constraint, so a run is reproducible on a given device.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Callable

import numpy as np
import sympy as sp
import torch
from tqdm.auto import tqdm

from .errors import DataError, TrainingError
from .fields import AbstractField
from .jets import ENGINES
from .lower import Env, LoweredExpression
from .problem import Problem, Solution

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
            self.raw[name] = torch.tensor(start, device=device, dtype=dtype, requires_grad=True)

    def values(self) -> dict[str, torch.Tensor]:
        out = {}
        for name, theta in self.raw.items():
            bounds = self.symbols[name].bounds
            out[name] = theta if bounds is None else bounds[0] + (bounds[1] - bounds[0]) * torch.sigmoid(theta)
        return out


class _Sampler:
    """One generator per constraint, seeded from the run's seed; batches moved to the device."""

    def __init__(self, constraints, seed: int, method: str, device, dtype):
        seeds = np.random.SeedSequence(seed).spawn(len(constraints))
        self.generators = [
            torch.Generator().manual_seed(int(s.generate_state(1, dtype=np.uint64)[0] % (2**63)))
            for s in seeds
        ]
        self.constraints = constraints
        self.method, self.device, self.dtype = method, device, dtype

    def sample(self) -> list:
        batches = []
        for c, g in zip(self.constraints, self.generators):
            batch = c.on.sample(c.n, g, method=self.method)
            points = batch.points.to(self.device, self.dtype)
            data = {k: v.to(self.device, self.dtype) for k, v in batch.data.items()}
            batches.append((points, data))
        return batches


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
    weighting: dict | None = None,
    resample_every: int = 1,
    sampling: str = "uniform",
    seed: int = 0,
    device="auto",
    dtype=torch.float32,
    derivatives: str = "auto",
    checkpoint: str | None = None,
    checkpoint_every: int = 1000,
    progress: bool = True,
) -> Solution:
    """Train the problem's fields and return a :class:`Solution`.

    ``steps`` first-order steps (``optimizer`` adam, adamw or sgd, learning rate ``lr`` times
    ``schedule(step, steps)``), then ``lbfgs_steps`` iterations of L-BFGS (strong Wolfe line
    search) on one fixed batch, or, with ``lbfgs_resample_every=k``, in rounds of k iterations,
    each on a fresh batch with a fresh curvature memory (so L-BFGS cannot overfit one set of
    points where the batch is sparse, as in space-time). Points are redrawn every ``resample_every`` steps
    (``sampling`` "uniform" or "sobol"). ``weighting`` overrides constraint weights by term
    name. ``derivatives``: "jet", "autograd" or "auto" (jets where the field supports them).
    ``checkpoint``: a path the solution is saved to every ``checkpoint_every`` steps and at
    the end. The problem's own networks are not modified: training works on copies
    re-initialised from ``seed``.

    A loss that becomes NaN or infinite stops training with a :class:`TrainingError` naming
    the term and the step; ``error.solution`` holds the last state whose loss was finite.
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
    if sampling not in ("uniform", "sobol"):
        raise DataError(f"sampling={sampling!r} is not known; expected 'uniform' or 'sobol'.")
    factor = _choose(schedule, SCHEDULES, "schedule")
    optimizer_class = _choose(optimizer, _OPTIMIZERS, "optimizer")
    device, dtype = resolve_device(device), _resolve_dtype(dtype)

    names = [c.name for c in problem.constraints]
    names = [n if names.count(n) == 1 else f"{n}{i}" for i, n in enumerate(names)]
    weights = [c.weight for c in problem.constraints]
    for name, w in (weighting or {}).items():
        if name not in names:
            raise DataError(f"weighting names the term {name!r}; the terms are {names}.")
        weights[names.index(name)] = float(w)

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
    sampler = _Sampler(problem.constraints, seed, sampling, device, dtype)
    history: dict[str, list] = {"step": [], "loss": [], **{n: [] for n in names}}
    fields_by_name = {str(f.func): trained.modules[s.module] for f, s in trained.slots.items()}

    causal = [_CausalLoss(c, problem.coords) if c.causal else None for c in problem.constraints]

    def term_losses(batches) -> list[torch.Tensor]:
        values = parameters.values()
        losses = []
        for constraint, lowered, (points, data), weighting in zip(problem.constraints, problem.lowered, batches, causal):
            if not isinstance(lowered, LoweredExpression):
                losses.append(lowered(fields_by_name, (points, data)))
                continue
            tables = trained.tables(lowered, points, derivatives)
            pointwise = _POINTWISE[constraint.loss](lowered(Env(points, data, tables, values)))
            losses.append(torch.mean(pointwise) if weighting is None else weighting(pointwise, points))
        return losses

    def record(step: int, losses: list[torch.Tensor]) -> list[float]:
        floats = torch.stack([t.detach() for t in losses]).double().cpu().tolist()
        total = sum(w * v for w, v in zip(weights, floats))
        bad = [n for n, v in zip(names, floats) if not math.isfinite(v)]
        if bad:
            raise _NonFinite(step, bad[0])
        history["step"].append(step)
        history["loss"].append(total)
        for n, v in zip(names, floats):
            history[n].append(v)
        return floats

    started = time.perf_counter()
    snapshot = [v.detach().clone() for v in variables]
    bar = tqdm(total=steps + lbfgs_steps, disable=not progress, desc="fit", dynamic_ncols=True)

    def snapshot_solution(steps_done: int) -> Solution:
        trained.parameters = {n: float(v.detach()) for n, v in parameters.values().items()}
        trained.history = history
        trained.info = {
            "steps": steps_done, "adam_steps": steps, "lbfgs_steps": lbfgs_steps,
            "lbfgs_evaluations": max(len(history["step"]) - steps, 0),
            "wall_seconds": time.perf_counter() - started, "device": str(device),
            "dtype": str(dtype).replace("torch.", ""), "seed": int(seed), "derivatives": derivatives,
            "versions": _versions(),
        }
        if checkpoint:
            trained.save(checkpoint)
        return trained

    def finish(steps_done: int) -> Solution:
        bar.close()
        return snapshot_solution(steps_done)

    def fail(error: "_NonFinite") -> TrainingError:
        with torch.no_grad():
            for v, good in zip(variables, snapshot):
                v.copy_(good)
        solution = finish(error.step)
        failure = TrainingError(
            f"The loss term '{error.term}' became NaN or infinite at step {error.step}; training "
            "stopped and the last state with a finite loss was kept (error.solution). Lower lr, "
            "check the residual for divisions or logarithms that can blow up, or train in float64."
        )
        failure.solution = solution
        return failure

    optimiser = optimizer_class(variables, lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: factor(s, steps))
    batches = None
    try:
        for step in range(steps):
            if step % resample_every == 0:
                batches = sampler.sample()
            optimiser.zero_grad(set_to_none=True)
            losses = term_losses(batches)
            floats = record(step, losses)
            with torch.no_grad():
                torch._foreach_copy_(snapshot, [v.detach() for v in variables])
            sum(w * t for w, t in zip(weights, losses)).backward()
            optimiser.step()
            scheduler.step()
            bar.update(1)
            if step % 25 == 0 or step == steps - 1:
                bar.set_postfix({n: f"{v:.2e}" for n, v in zip(names, floats)}, refresh=False)
            if checkpoint and step and step % checkpoint_every == 0:
                snapshot_solution(step)
        done = 0
        while done < lbfgs_steps:
            iterations = min(lbfgs_steps - done, lbfgs_resample_every or lbfgs_steps)
            _lbfgs(variables, sampler.sample(), term_losses, record, weights, len(history["step"]),
                   iterations, bar, snapshot)
            done += iterations
    except _NonFinite as error:
        raise fail(error) from None
    return finish(steps + lbfgs_steps)


_POINTWISE = {"mse": lambda r: r * r, "mae": torch.abs, "mean": lambda r: r}
"""Per-point loss of a residual, by ``Constraint.loss``."""


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

    def __call__(self, pointwise: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        slab = ((self.along(points).detach() - self.start) / self.span * self.chunks).long().clamp(0, self.chunks - 1)
        sums = torch.zeros(self.chunks, dtype=pointwise.dtype, device=pointwise.device).index_add(0, slab, pointwise)
        counts = torch.bincount(slab, minlength=self.chunks).to(pointwise.dtype)
        slab_losses = sums / counts.clamp(min=1)
        earlier = torch.cumsum(slab_losses.detach(), 0) - slab_losses.detach()
        weights = torch.exp(-self.epsilon * earlier) * (counts > 0)
        return torch.sum(weights * slab_losses) / torch.clamp(torch.sum(counts > 0), min=1)


class _NonFinite(Exception):
    def __init__(self, step: int, term: str):
        super().__init__(step, term)
        self.step, self.term = step, term


def _lbfgs(variables, batches, term_losses, record, weights, start, iterations, bar, snapshot):
    """L-BFGS with a strong Wolfe line search on a fixed batch; one history row per evaluation."""
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
        return total

    optimiser.step(closure)
