"""The sampling contract: where the training points of each term go.

A sampler is an object of options. ``method`` ("uniform" or "sobol") is how a region draws
fresh points. An adaptive sampler also moves the points of the terms it adapts
(:meth:`AbstractSampler.adapted`): the state of one batch group is its current population, a
:class:`~pinnfield.domains.Batch` or None before the first draw, and :meth:`AbstractSampler.draw`
makes the next one. Populations are stored in checkpoints, so a resumed run continues exactly.
"""

from __future__ import annotations

import abc

import torch

from ...domains import Batch, Extruded, Interior, Points
from ...errors import OptionError

__all__ = ["AbstractSampler", "Uniform", "Sobol", "take"]


def take(batch: Batch, index) -> Batch:
    """The rows ``index`` of a batch's points and data columns."""
    return Batch(batch.points[index], {k: v[index] for k, v in batch.data.items()})


def _on_interior(region) -> bool:
    return isinstance(region.space_region if isinstance(region, Extruded) else region, Interior)


class AbstractSampler(abc.ABC):
    """A sampling scheme: options only. Non-adaptive by default (:meth:`adapted` is empty)."""

    method = "uniform"
    terms: tuple[str, ...] | None = None

    @abc.abstractmethod
    def settings(self):
        """The options, as plain values (a resumed run must be given the same)."""

    def adapted(self, constraints, names: list[str]) -> set[int]:
        """Indices of the constraints whose points :meth:`draw` moves; none by default."""
        return set()

    def draw(self, population: Batch | None, region, n: int, generator: torch.Generator, evaluate,
             observed: torch.Tensor | None) -> Batch:
        """The next population of an adapted group of n points on ``region``, from the current one
        (None at first). ``evaluate(batch) -> (N,)``: the errors at new points with the current
        fields; ``observed``: (n,) errors of the current population from the last training
        evaluation, or None."""
        raise NotImplementedError(f"{type(self).__name__} adapts no term")

    def __repr__(self) -> str:
        settings = self.settings()
        if not isinstance(settings, dict):
            return f"{type(self).__name__}()"
        options = ", ".join(f"{k}={v!r}" for k, v in settings.items() if k != "scheme")
        return f"{type(self).__name__}({options})"


class Uniform(AbstractSampler):
    """Independent uniform points, redrawn every ``resample_every`` steps."""

    def settings(self):
        return "uniform"


class Sobol(AbstractSampler):
    """Scrambled Sobol points (low discrepancy), redrawn every ``resample_every`` steps."""

    method = "sobol"

    def settings(self):
        return "sobol"


class AbstractResidualSampler(AbstractSampler):
    """A scheme that moves the points of sympy residual terms on regions that draw new points:
    by default those on a domain's interior (the PDE residuals), or those named in ``terms``."""

    def __init__(self, terms=None):
        if terms is not None:
            terms = (terms,) if isinstance(terms, str) else tuple(terms)
            if not terms or not all(isinstance(t, str) for t in terms):
                raise OptionError(f"{type(self).__name__} terms must be None (every term that can be adapted) or a "
                                  f"list of term names; received {terms!r}.")
        self.terms = terms

    def adapted(self, constraints, names):
        eligible = [i for i, c in enumerate(constraints) if c.is_symbolic and not isinstance(c.on, Points)]
        if self.terms is None:
            inside = {i for i in eligible if _on_interior(constraints[i].on)}
            if not inside:
                raise OptionError(
                    f"sampling={self!r} found no term to adapt: by default it moves the points of sympy "
                    "residuals on a domain's interior, and no term here is one. Name the terms to adapt "
                    f"with terms=[...] (the terms are {names}), or use sampling='uniform'."
                )
            return inside
        chosen = set()
        for term in self.terms:
            if term not in names:
                raise OptionError(f"sampling={self!r} names the term {term!r}; the terms are {names}.")
            if names.index(term) not in eligible:
                raise OptionError(
                    f"sampling={self!r} cannot adapt the term {term!r}: its points are given "
                    "(pf.Points) or its loss is a callable. Drop it from terms=."
                )
            chosen.add(names.index(term))
        return chosen
