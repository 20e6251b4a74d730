"""fit's keywords mapped to objects, in one place.

``steps``, ``lr``, ``optimizer="adam"``, ``schedule``, ``resample_every``, ``lbfgs_steps`` and
``lbfgs_resample_every`` are shorthand for the phases ``[pf.Adam(steps, lr, schedule,
resample_every), pf.LBFGS(lbfgs_steps, lbfgs_resample_every)]`` (``lbfgs_steps``: steps // 2
unless given); ``weighting`` and ``sampling``
names and dicts stand for the scheme objects. :func:`resolve` checks every option and returns a
:class:`FitOptions`.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from collections.abc import Mapping, Sequence

import torch

from ..errors import OptionError, check_choice, check_int
from ..jets import ENGINES
from . import distributed as parallel
from .optimizers import FIRST_ORDER, LBFGS, SECOND_ORDER, AbstractOptimizer
from .sampling import NAMES as SAMPLERS
from .sampling import AbstractSampler
from .stopping import Stopping
from .weighting import NAMES as WEIGHTINGS
from .weighting import AbstractWeighting, Fixed

__all__ = ["FitOptions", "resolve", "resolve_device", "resolve_dtype", "phases_from", "weighting_from",
           "sampler_from", "KEYWORD_DEFAULTS", "keyword_settings", "second_order_steps"]

KEYWORD_DEFAULTS = MappingProxyType({"steps": 2000, "lr": 1e-3, "schedule": "cosine", "resample_every": 1,
                                     "lbfgs_steps": None, "lbfgs_resample_every": None})
"""The values of the phase shorthand keywords that are not given; ``lbfgs_steps`` None is
``steps // 2`` for a problem that differentiates its fields (:func:`second_order_steps`). Chosen on the untuned suite (``benchmarks/untuned.py``):
Adam alone stalls at 1e-2 to 1e-1 on problems nobody tuned, and an L-BFGS phase half as long
takes most of them below 1e-3."""


def second_order_steps(steps: int, problem) -> int:
    """The default length of the L-BFGS phase after ``steps`` first-order steps: steps // 2 when
    the problem takes derivatives of a field (a PDE), 0 when it only fits values (an image or a
    signal fitted on random batches, which L-BFGS on one batch would overfit)."""
    differentiates = any(request.max_order > 0 for lowered in problem.lowered
                         for request in getattr(lowered, "requests", {}).values())
    return steps // 2 if differentiates else 0


@dataclasses.dataclass(frozen=True)
class FitOptions:
    """Every fit option, checked: the phases, schemes and run settings."""

    phases: tuple
    weighting: AbstractWeighting
    sampler: AbstractSampler
    seed: int
    device: torch.device
    dtype: torch.dtype
    derivatives: str
    compile: bool
    context: parallel.Context
    checkpoint: str | None
    checkpoint_every: int
    resume: str | None
    callback: object
    progress: bool
    stopping: Stopping

    def settings(self) -> dict:
        """What a resumed run must be given again (phases' ``steps`` may grow)."""
        return {"phases": [p.settings() for p in self.phases], "weighting": self.weighting.settings(),
                "sampling": self.sampler.settings(), "seed": self.seed, "dtype": str(self.dtype).replace("torch.", ""),
                "derivatives": self.derivatives}


def resolve_device(device) -> torch.device:
    """``"auto"`` -> CUDA when present, else CPU; anything else must exist on this machine."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise OptionError(f"Device {device!r} is not a torch device name; expected 'auto', 'cpu', 'cuda' or "
                          "'cuda:N'.") from None
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (resolved.index is not None and resolved.index >= count):
            raise OptionError(f"Device {device!r} is not available: this machine has {count} CUDA device(s). "
                              "Use device='cpu', or device='auto' to pick CUDA only when present.")
    elif resolved.type == "mps" and not torch.backends.mps.is_available():
        raise OptionError(f"Device {device!r} is not available on this machine. Use device='cpu' or 'auto'.")
    elif resolved.type not in ("cpu", "cuda", "mps"):
        raise OptionError(f"Device {device!r} is not supported; expected 'auto', 'cpu', 'cuda' or 'mps'.")
    return resolved


def resolve_dtype(dtype) -> torch.dtype:
    """torch.float32 or torch.float64 (or their names)."""
    named = {"float32": torch.float32, "float64": torch.float64}
    dtype = named.get(dtype, dtype) if isinstance(dtype, str) else dtype
    if dtype not in (torch.float32, torch.float64):
        raise OptionError(f"dtype must be torch.float32 or torch.float64; received {dtype!r}.")
    return dtype


def phases_from(optimizer, shorthand: dict, problem) -> tuple[AbstractOptimizer, ...]:
    """The phases of ``optimizer`` (a name, a phase or a list of phases) and the shorthand keywords
    (None where not given) for ``problem``."""
    given = {k: v for k, v in shorthand.items() if v is not None}
    if isinstance(optimizer, AbstractOptimizer) or (isinstance(optimizer, Sequence) and not isinstance(optimizer, str)):
        phases = (optimizer,) if isinstance(optimizer, AbstractOptimizer) else tuple(optimizer)
        if given:
            raise OptionError(f"fit was given optimizer={optimizer!r} and {', '.join(sorted(given))}; give the steps and "
                              "learning rates in the phases (pf.Adam(steps=2000, lr=1e-3)), not both.")
        if not phases or not all(isinstance(p, AbstractOptimizer) for p in phases):
            raise OptionError(f"fit optimizer must be 'adam', 'adamw', 'sgd', a phase such as pf.Adam(steps=2000) "
                              f"or a list of phases (pf.AbstractOptimizer instances); received {optimizer!r}.")
        return phases
    first = check_choice(optimizer, FIRST_ORDER, "optimizer")
    keywords = {**KEYWORD_DEFAULTS, **given}
    check_int(keywords["steps"], "fit steps", minimum=0)
    if keywords["lbfgs_steps"] is None:
        keywords["lbfgs_steps"] = second_order_steps(keywords["steps"], problem)
    check_int(keywords["lbfgs_steps"], "fit lbfgs_steps", minimum=0)
    check_int(keywords["resample_every"], "fit resample_every", minimum=1)
    if keywords["lbfgs_resample_every"] is not None:
        check_int(keywords["lbfgs_resample_every"], "fit lbfgs_resample_every", minimum=1)
    return (first(keywords["steps"], keywords["lr"], keywords["schedule"], keywords["resample_every"]),
            LBFGS(keywords["lbfgs_steps"], keywords["lbfgs_resample_every"]))


def keyword_settings(settings: dict) -> dict:
    """The shorthand keywords (steps, lbfgs_steps, ...) of a run's :meth:`FitOptions.settings`
    whose phases came from them; empty for phases given as objects."""
    phases = settings.get("phases", [])
    if len(phases) != 2 or phases[0].get("optimizer") not in FIRST_ORDER or phases[1].get("optimizer") != "lbfgs":
        return {}
    first, second = phases
    return {"steps": first["steps"], "lr": first["lr"], "schedule": first["schedule"],
            "resample_every": first["resample_every"], "lbfgs_steps": second["steps"],
            "lbfgs_resample_every": second["resample_every"], "optimizer": first["optimizer"]}


def weighting_from(weighting) -> AbstractWeighting:
    """None or a dict: fixed weights; a name of :data:`~pinnfield.train.weighting.NAMES`; or a scheme."""
    if weighting is None or isinstance(weighting, Mapping):
        return Fixed(weighting)
    if isinstance(weighting, AbstractWeighting):
        return weighting
    if isinstance(weighting, str) and weighting in WEIGHTINGS:
        return WEIGHTINGS[weighting]()
    raise OptionError(
        f"weighting={weighting!r} is not known; expected None, a dict {{term: weight}} of fixed weights, one of "
        f"{sorted(WEIGHTINGS)}, pf.weighting.LRA(alpha=0.9, every=10), pf.weighting.ReLoBRaLo(alpha=0.999, "
        "temperature=0.1, rho=0.999), pf.weighting.NTK(every=100, alpha=0.9, points=32), pf.weighting.HeldOut() "
        "or an instance of a pf.AbstractWeighting subclass."
    )


def sampler_from(sampling) -> AbstractSampler:
    """A name of :data:`~pinnfield.train.sampling.NAMES`, or a sampler."""
    if isinstance(sampling, AbstractSampler):
        return sampling
    if isinstance(sampling, str) and sampling in SAMPLERS:
        return SAMPLERS[sampling]()
    raise OptionError(
        f"sampling={sampling!r} is not known; expected one of {sorted(SAMPLERS)}, pf.sampling.RARD(k=1, c=1), "
        "pf.sampling.R3() or an instance of a pf.AbstractSampler subclass."
    )


def resolve(options: dict) -> FitOptions:
    """Check fit's keyword arguments ``options`` and map them to a :class:`FitOptions`."""
    shorthand = {k: options[k] for k in KEYWORD_DEFAULTS}
    phases = phases_from(options["optimizer"], shorthand, options["problem"])
    check_choice(options["derivatives"], ENGINES, "derivatives")
    for flag in ("compile", "progress"):
        if not isinstance(options[flag], bool):
            raise OptionError(f"fit {flag} must be True or False; received {options[flag]!r}.")
    if options["callback"] is not None and not callable(options["callback"]):
        raise OptionError(f"fit callback must be a function callback(steps_done, solution); "
                          f"received {options['callback']!r}.")
    weighting, sampler = weighting_from(options["weighting"]), sampler_from(options["sampling"])
    rounds = sum(p.rounds() for p in phases if isinstance(p, SECOND_ORDER))
    weighting.check_rounds(rounds)
    context, device = parallel.start(options["distributed"], resolve_device(options["device"]))
    return FitOptions(
        phases=phases, weighting=weighting, sampler=sampler, seed=check_int(options["seed"], "fit seed", minimum=None),
        device=device, dtype=resolve_dtype(options["dtype"]), derivatives=options["derivatives"],
        compile=options["compile"], context=context, checkpoint=options["checkpoint"] or options["resume"],
        checkpoint_every=check_int(options["checkpoint_every"], "fit checkpoint_every", minimum=1),
        resume=options["resume"], callback=options["callback"], progress=options["progress"],
        stopping=Stopping(options["time_limit"], options["tol"]),
    )
