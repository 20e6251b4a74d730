"""The training plan: everything about a run that is fixed before its first step.

Built once from a :class:`~pinnfield.Problem` and fit's settings: the term names, the lowered
residuals, the groups of constraints that share a batch and the union of the derivatives each
group needs per network, the derivative engine resolved once per group and network, the
per-point loss of each term and its causal weighting. :meth:`Plan.residuals` evaluates every
term's residual on a batch; :meth:`Plan.point_errors` the summed |residual| of some terms at
new points (for adaptive sampling).
"""

from __future__ import annotations

import copy
import dataclasses
from types import MappingProxyType

import torch

from ..fields import AbstractField
from ..jets import DerivativeRequest, DerivativeTable, compute_derivatives, resolve_engine
from ..lower import Env, LoweredExpression
from .weighting.causal import CausalLoss

__all__ = ["Plan", "POINTWISE", "ERROR_CHUNK", "term_names"]

POINTWISE = MappingProxyType({"mse": lambda r: r * r, "mae": torch.abs, "mean": lambda r: r})
"""Per-point loss of a residual, by ``Constraint.loss``."""

ERROR_CHUNK = 32768
"""Points per evaluation when residual magnitudes are computed for adaptive sampling."""


def term_names(constraints) -> list[str]:
    """Each constraint's name; a name used twice gets its index appended."""
    names = [c.name for c in constraints]
    return [n if names.count(n) == 1 else f"{n}{i}" for i, n in enumerate(names)]


def _union(lowered: list, members: list[int]) -> dict[int, DerivativeRequest]:
    union: dict[int, DerivativeRequest] = {}
    for i in members:
        for m, request in lowered[i].requests.items():
            union[m] = union.get(m, DerivativeRequest()).merge(request)
    return union


@dataclasses.dataclass(frozen=True)
class Group:
    """Constraints sharing one batch: the symbolic ``members``, the union of their derivative
    requests per network, and the engine resolved per network."""

    members: tuple[int, ...]
    union: dict
    engines: dict


class Plan:
    """What a run computes, fixed before the first step (see the module docstring).

    ``problem``: the :class:`~pinnfield.Problem`; ``groups``: lists of constraint indices that
    share a batch (same region object, same ``n``); ``derivatives``: fit's engine choice;
    ``kernels``: the compiled sine kernels or None.
    """

    def __init__(self, problem, derivatives: str, kernels=None):
        self.problem, self.derivatives, self.kernels = problem, derivatives, kernels
        self.constraints = list(problem.constraints)
        self.lowered = list(problem.lowered)
        self.names = term_names(self.constraints)
        keys: dict = {}
        for i, c in enumerate(self.constraints):
            keys.setdefault((id(c.on), c.n), []).append(i)
        self.groups: list[list[int]] = list(keys.values())
        self.causal = [CausalLoss(c, problem.coords) if c.causal else None for c in self.constraints]
        self.pointwise = [POINTWISE[c.loss] for c in self.constraints]
        self.columns = problem.module_columns
        self.field_names = {str(f.func): s.module for f, s in problem.slots.items()}
        self.shared = [self._group(group, problem.modules) for group in self.groups]

    def _group(self, group: list[int], modules) -> Group:
        members = tuple(i for i in group if isinstance(self.lowered[i], LoweredExpression))
        union = _union(self.lowered, list(members))
        engines = {m: resolve_engine(modules[m], request, self.derivatives) for m, request in union.items()}
        return Group(members, union, engines)

    def tables(self, modules, group: Group, points: torch.Tensor, kernels=None) -> dict[int, dict]:
        """Derivatives at points (N, d) computed once for the group's union; constraint index ->
        its view (network index -> DerivativeTable, quadratic forms in its own request's order)."""
        merged = {
            m: compute_derivatives(modules[m], points[:, self.columns[m]], request, group.engines[m], kernels)
            for m, request in group.union.items()
        }
        return {
            i: {m: DerivativeTable(merged[m].partials,
                                   [merged[m].quads[group.union[m].quads.index(q)] for q in request.quads])
                for m, request in self.lowered[i].requests.items()}
            for i in group.members
        }

    def residuals(self, modules, parameters: dict, batches: list) -> list[torch.Tensor | None]:
        """Each term's (N_i,) residual on its batch ((points, data) per constraint); None for a
        term given as a loss function."""
        tables = {}
        for group in self.shared:
            if group.members:
                tables.update(self.tables(modules, group, batches[group.members[0]][0], self.kernels))
        return [self.lowered[i](Env(points, data, tables[i], parameters)) if i in tables else None
                for i, (points, data) in enumerate(batches)]

    def losses(self, modules, parameters: dict, batches: list, observe=None) -> list[torch.Tensor]:
        """Each term's unweighted loss L_i on its batch (a 0-d tensor); ``observe(i, residual)``
        sees every symbolic residual (for R3)."""
        losses = []
        for i, residual in enumerate(self.residuals(modules, parameters, batches)):
            points, data = batches[i]
            if residual is None:
                losses.append(self.lowered[i]({n: modules[m] for n, m in self.field_names.items()}, (points, data)))
                continue
            if observe is not None:
                observe(i, residual)
            pointwise = self.pointwise[i](residual)
            losses.append(torch.mean(pointwise) if self.causal[i] is None else self.causal[i](pointwise, points))
        return losses

    def freeze_causal(self, modules, parameters: dict, batches: list) -> None:
        """Fix the causal slab weights of the terms that have them on ``batches`` (an L-BFGS round's)."""
        if any(self.causal):
            for i, residual in enumerate(self.residuals(modules, parameters, batches)):
                if self.causal[i] is not None and residual is not None:
                    self.causal[i].freeze(self.pointwise[i](residual.detach()), batches[i][0])

    def point_errors(self, modules, parameters: dict, members: list[int], points, data) -> torch.Tensor:
        """(N,) sum over the constraint indices ``members`` of |residual| at points (N, d) with
        data columns, with the current fields (no gradient)."""
        total = torch.zeros(points.shape[0], dtype=points.dtype, device=points.device)
        values = {n: v.detach() for n, v in parameters.items()}
        union = _union(self.lowered, members)
        group = Group(tuple(members), union, {m: resolve_engine(modules[m], r, self.derivatives)
                                              for m, r in union.items()})
        for start in range(0, points.shape[0], ERROR_CHUNK):
            part = slice(start, start + ERROR_CHUNK)
            env_data = {k: v[part] for k, v in data.items()}
            with torch.no_grad():
                tables = self.tables(modules, group, points[part])
                for i in members:
                    total[part] += self.lowered[i](Env(points[part], env_data, tables[i], values)).detach().abs()
        return total

    def fresh_modules(self, seed: int, device, dtype) -> list[torch.nn.Module]:
        """Copies of the problem's networks re-initialised from ``seed`` (the user's stay untouched),
        their options left to be chosen by use settled (:meth:`~pinnfield.AbstractField.choose_defaults`),
        their inputs normalised to the problem's box, on ``device`` in ``dtype``."""
        init = torch.Generator().manual_seed(int(seed))
        modules = [copy.deepcopy(m) for m in self.problem.modules]
        differentiated = {m for lowered in self.lowered if isinstance(lowered, LoweredExpression)
                          for m, request in lowered.requests.items() if request.max_order > 0}
        for m, module in enumerate(modules):
            if isinstance(module, AbstractField):
                module.choose_defaults(m in differentiated)
                module.reset_parameters(init)
                module.set_input_box(*self.problem.input_box(m))
            module.to(device=device, dtype=dtype)
        return modules
