"""Where the training points go: ``fit(..., sampling=...)``.

``sampling`` is ``"uniform"`` (i.i.d. points), ``"sobol"`` (scrambled Sobol points), or a
residual-based scheme that moves the points of a term to where its residual is large while
keeping its budget ``n`` points per step:

- :class:`RARD`: residual-based adaptive distribution (Wu et al. 2023);
- :class:`R3`: retain, resample, release (Daw et al. 2023).

A scheme adapts terms whose residual is a sympy expression on a region that draws new points
(not ``pf.Points``, ``pf.Pixels`` or ``pf.Samples1D``, not a callable loss): by default those on
a domain's interior (the PDE residuals, as in both papers), or those named in ``terms=``
(boundary and initial terms included). The others are drawn uniformly. Points are redrawn every
``fit(resample_every=k)`` steps. Terms that share a batch (same region object, same n) are
adapted together, with the error of a point e(x) = sum of |r_i(x)| over their residuals.
Fresh points are uniform, and every draw comes from the term's seeded generator: a run is
reproducible, and a checkpoint holds each adapted population, so a resumed run continues
exactly.
"""

from __future__ import annotations

import math

import torch

from .domains import Batch, Extruded, Interior, Points
from .errors import DataError

__all__ = ["AbstractSampling", "RARD", "R3", "METHODS", "resolve", "rard_probabilities", "r3_retained"]

METHODS = ("uniform", "sobol")
"""The non-adaptive methods, by name."""


def _positive(value, name: str, where: str, *, zero: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not (ok and (value >= 0 if zero else value > 0)):
        raise DataError(f"{where} {name} must be a {'non-negative' if zero else 'positive'} number; received {value!r}.")
    return float(value)


def _terms(terms, where: str):
    if terms is None:
        return None
    if isinstance(terms, str):
        terms = (terms,)
    terms = tuple(terms)
    if not terms or not all(isinstance(t, str) for t in terms):
        raise DataError(f"{where} terms must be None (every term that can be adapted) or a list of term names; "
                        f"received {terms!r}.")
    return terms


def _on_interior(region) -> bool:
    return isinstance(region.space_region if isinstance(region, Extruded) else region, Interior)


def rard_probabilities(errors: torch.Tensor, k: float = 1.0, c: float = 1.0) -> torch.Tensor:
    """RAR-D density on candidates: p_j proportional to e_j^k / mean(e^k) + c, for (N,) errors
    e_j = |r(x_j)|. Returns (N,) float64 probabilities summing to 1 (uniform if e^k is all 0)."""
    power = errors.double().abs() ** k
    mean = power.mean()
    density = (power / mean if mean > 0 else torch.zeros_like(power)) + c
    if not bool(density.sum() > 0):
        density = torch.ones_like(power)
    return density / density.sum()


def r3_retained(errors: torch.Tensor) -> torch.Tensor:
    """R3's retained set: the (N,) bool mask of points whose error exceeds the population mean."""
    errors = errors.abs()
    return errors > errors.mean()


class AbstractSampling:
    """An adaptive sampling scheme: its options; :meth:`population` makes the state of one
    batch group for one run."""

    terms: tuple[str, ...] | None = None

    def settings(self) -> dict:
        """The options, as plain values (a resumed run must be given the same)."""
        raise NotImplementedError

    def population(self) -> "_Population":
        raise NotImplementedError

    def adapted(self, constraints, names: list[str]) -> set[int]:
        """Indices of the constraints this scheme adapts; DataError for a term it cannot adapt."""
        eligible = [i for i, c in enumerate(constraints) if c.is_symbolic and not isinstance(c.on, Points)]
        if self.terms is None:
            inside = [i for i in eligible if _on_interior(constraints[i].on)]
            if not inside:
                raise DataError(
                    f"sampling={self!r} found no term to adapt: by default it moves the points of sympy "
                    "residuals on a domain's interior, and no term here is one. Name the terms to adapt "
                    f"with terms=[...] (the terms are {names}), or use sampling='uniform'."
                )
            return set(inside)
        chosen = set()
        for term in self.terms:
            if term not in names:
                raise DataError(f"sampling={self!r} names the term {term!r}; the terms are {names}.")
            i = names.index(term)
            if i not in eligible:
                raise DataError(
                    f"sampling={self!r} cannot adapt the term {term!r}: its points are given "
                    "(pf.Points) or its loss is a callable. Drop it from terms=."
                )
            chosen.add(i)
        return chosen

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.settings().items() if k != "scheme")
        return f"{type(self).__name__}({options})"


class RARD(AbstractSampling):
    """Residual-based adaptive distribution (Wu et al. 2023, "A comprehensive study of
    non-adaptive and residual-based adaptive sampling for PINNs").

    At each redraw: ``candidates`` * n uniform candidates x_j, their errors e_j = |r(x_j)|
    with the current fields, then n of them without replacement with probability
    p_j proportional to e_j^k / mean(e^k) + c (:func:`rard_probabilities`). k = 0 or a large c
    give uniform sampling; c = 0 samples only where the residual is large. Cost per redraw: one
    residual evaluation (no backward) on the candidates.
    """

    def __init__(self, k: float = 1.0, c: float = 1.0, candidates: int = 4, terms=None):
        self.k = _positive(k, "k", "RARD", zero=True)
        self.c = _positive(c, "c", "RARD", zero=True)
        if isinstance(candidates, bool) or not isinstance(candidates, int) or candidates < 1:
            raise DataError(f"RARD candidates must be an integer >= 1 (candidate points per training point); "
                            f"received {candidates!r}.")
        self.candidates = candidates
        self.terms = _terms(terms, "RARD")

    def settings(self) -> dict:
        return {"scheme": "RARD", "k": self.k, "c": self.c, "candidates": self.candidates,
                "terms": list(self.terms) if self.terms else None}

    def population(self):
        return _RARDPopulation(self)


class R3(AbstractSampling):
    """Retain, resample, release (Daw et al. 2023, "Mitigating propagation failures in PINNs
    using evolutionary sampling").

    The n points are a population. At each redraw, with e_j = |r(x_j)| the errors of the
    current population from the last training step (no extra evaluation), the points with
    e_j > mean(e) are retained (:func:`r3_retained`) and the others are replaced by fresh
    uniform points, so the budget stays n; high-residual points accumulate until they are
    solved. Without errors yet (the first draw) the population is uniform.
    """

    def __init__(self, terms=None):
        self.terms = _terms(terms, "R3")

    def settings(self) -> dict:
        return {"scheme": "R3", "terms": list(self.terms) if self.terms else None}

    def population(self):
        return _R3Population()


def _take(batch: Batch, index) -> Batch:
    return Batch(batch.points[index], {k: v[index] for k, v in batch.data.items()})


class _Population:
    """The current points of one adapted batch group (CPU float64), redrawn by :meth:`draw`."""

    def __init__(self):
        self.batch: Batch | None = None

    def draw(self, region, n: int, generator: torch.Generator, evaluate, observed) -> Batch:
        """The next population. ``evaluate(batch) -> (N,)`` errors at new points;
        ``observed``: (n,) errors of the current population, or None."""
        raise NotImplementedError

    def state(self):
        return None if self.batch is None else (self.batch.points, dict(self.batch.data))

    def restore(self, state) -> None:
        self.batch = None if state is None else Batch(state[0], dict(state[1]))


class _RARDPopulation(_Population):
    def __init__(self, scheme: RARD):
        super().__init__()
        self.scheme = scheme

    def draw(self, region, n, generator, evaluate, observed):
        pool = region.sample(self.scheme.candidates * n, generator)
        probabilities = rard_probabilities(evaluate(pool), self.scheme.k, self.scheme.c)
        self.batch = _take(pool, torch.multinomial(probabilities, n, replacement=False, generator=generator))
        return self.batch


class _R3Population(_Population):
    def draw(self, region, n, generator, evaluate, observed):
        if self.batch is None:
            self.batch = region.sample(n, generator)
        elif observed is not None:
            kept = _take(self.batch, r3_retained(observed))
            fresh = region.sample(n - len(kept), generator)
            self.batch = Batch(torch.cat([kept.points, fresh.points]),
                               {k: torch.cat([v, fresh.data[k]]) for k, v in kept.data.items()})
        return self.batch


def resolve(sampling) -> tuple[str, AbstractSampling | None]:
    """fit's ``sampling`` -> (the method of non-adapted draws, the adaptive scheme or None)."""
    if isinstance(sampling, AbstractSampling):
        return "uniform", sampling
    if isinstance(sampling, str) and sampling in METHODS:
        return sampling, None
    raise DataError(
        f"sampling={sampling!r} is not known; expected 'uniform', 'sobol', pf.sampling.RARD(k=1, c=1) "
        "or pf.sampling.R3()."
    )
