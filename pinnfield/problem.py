"""Problem: what to solve (fields, constraints, exact solutions, constants, learned parameters)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import torch

from .constraints import Constraint
from .domains import Points
from .errors import DomainError, EquationError
from .fields.base import AbstractField
from .fieldset import FieldSet, field_functions

__all__ = ["Problem"]


def _networks(fields) -> tuple[list, list]:
    """The networks of ``fields`` ({u: network} or {(u, v): network}) and their unknowns, checked."""
    if not isinstance(fields, Mapping) or not fields:
        raise EquationError(f"Problem needs fields={{u: network, ...}} with at least one field; received {fields!r}.")
    modules, functions = [], []
    for key, module in fields.items():
        fs = field_functions(key)
        if not isinstance(module, torch.nn.Module):
            raise EquationError(f"Field {key} maps to {type(module).__name__}; expected a torch module such as "
                                "pf.Siren(in_dim=2, out_dim=1).")
        if isinstance(module, AbstractField):
            if module.in_dim != len(fs[0].args):
                raise EquationError(f"Field {fs[0]} has {len(fs[0].args)} arguments but its network takes "
                                    f"in_dim={module.in_dim} inputs; expected in_dim={len(fs[0].args)}.")
            if module.out_dim != len(fs):
                raise EquationError(f"Network for {key} has out_dim={module.out_dim} but represents {len(fs)} "
                                    f"field(s); expected out_dim={len(fs)}.")
        check_arguments = getattr(module, "check_arguments", None)
        if check_arguments is not None:
            check_arguments(fs[0].args)
        modules.append(module)
        functions.append(fs)
    return modules, functions


def _constraints(constraints) -> list:
    constraints = list(constraints or [])
    if not constraints:
        raise EquationError("Problem has no constraints; expected at least one pf.Constraint (a PDE residual on "
                            "domain.interior, a boundary condition, data). Pass constraints=[...].")
    for c in constraints:
        if not isinstance(c, Constraint):
            raise EquationError(f"Problem constraints must be pf.Constraint objects; received {c!r}. Wrap the "
                                "residual: pf.Constraint(residual, on=domain.interior, n=1024).")
    for c in constraints:
        if isinstance(c.on, Points) and len(c.on) <= ISOLATED_POINTS and not c.on.data_names:
            warnings.warn(
                f"The term '{c.name}' imposes its condition at {len(c.on)} isolated point(s), which weigh as much "
                "as the thousands of residual points but constrain the field only there: it is met loosely, and a "
                "point source (an Eikonal travel time, a pinned value) may have no solution this way. Impose it "
                "exactly instead: fields={u: pf.hard(pf.Siren(in_dim, 1), value=..., on=points)} makes "
                "u = value + |x - p| N(x), the factored form of a point-source problem.", stacklevel=3)
    return constraints


ISOLATED_POINTS = 16
"""A condition on a ``pf.Points`` set of at most this many points, without data, is warned about."""


def _coordinates(constraints: list, functions: list) -> tuple:
    """The first constraint's coordinates, which every constraint and field must share."""
    coords = tuple(constraints[0].on.coords)
    for c in constraints[1:]:
        if set(c.on.coords) != set(coords) or len(c.on.coords) != len(coords):
            raise DomainError(
                f"Constraint '{c.name}' samples coordinates ({', '.join(map(str, c.on.coords))}) but the first "
                f"constraint samples ({', '.join(map(str, coords))}); expected every constraint on the same "
                "coordinates. Build all regions from one domain.")
    for fs in functions:
        missing = [a for a in fs[0].args if a not in coords]
        if missing:
            raise EquationError(
                f"Field {fs[0]} depends on {', '.join(map(str, missing))}, which the constraints' regions do not "
                f"sample (their coordinates are {', '.join(map(str, coords))}); expected field arguments among "
                "those. Use the domain's coordinate symbols as the field's arguments.")
    return coords


class Problem(FieldSet):
    """Fields to learn and the constraints they must satisfy.

    ``fields``: ``{u: network}`` where ``u = sp.Function("u")(x, y)``; a tuple key
    ``(u, v)`` maps the outputs of one network to several unknowns. ``constraints``: a list of
    :class:`Constraint`. ``exact``: optional analytic solutions ``{u: expression}`` used for
    validation. ``constants``: symbols bound to numbers (``{k: 4 * sp.pi}``).

    ``problem.coords`` are the coordinates in the column order of every point array;
    ``problem.lowered`` each constraint's lowered residual (or its loss function);
    ``problem.parameters`` the learnable :class:`~pinnfield.Parameter` s by name.
    """

    def __init__(self, fields: Mapping, constraints, exact: Mapping | None = None, constants: Mapping | None = None):
        modules, functions = _networks(fields)
        constraints = _constraints(constraints)
        super().__init__(modules, functions, _coordinates(constraints, functions), dict(constants or {}),
                         dict(exact or {}))
        for f in self.exact:
            if f not in self.slots:
                raise EquationError(f"exact names {f}, which is not a field of the problem "
                                    f"({', '.join(map(str, self.slots))}).")
        self.constraints = constraints
        self.lowered: list = [
            self.lower(c.residual, f"{c.on!r} (constraint {c.name!r})", c.on.data_names) if c.is_symbolic
            else c.residual for c in constraints
        ]
        self.parameters = {}
        for lowered in self.lowered:
            for p in getattr(lowered, "parameters", ()):
                self.parameters.setdefault(p.name, p)
        self.lower_bounds, self.upper_bounds = self._bounds()

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lows, highs = [], []
        for c in self.constraints:
            lo, hi = (np.asarray(b, dtype=float) for b in c.on.bounds())
            order = [list(c.on.coords).index(s) for s in self.coords]
            lows.append(lo[order])
            highs.append(hi[order])
        return np.min(lows, axis=0), np.max(highs, axis=0)

    def input_box(self, module: int) -> tuple[np.ndarray, np.ndarray]:
        """Bounding box of network ``module``'s inputs (its argument order)."""
        columns = self.module_columns[module]
        return self.lower_bounds[columns], self.upper_bounds[columns]

    def __repr__(self) -> str:
        fields = ", ".join(str(f) for f in self.slots)
        return f"Problem(fields=[{fields}], coords={self.coords}, constraints={len(self.constraints)})"
