"""Problem (what to solve) and Solution (trained fields you can evaluate, save and load)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp
import torch
from sympy.core.function import AppliedUndef

from .constraints import Constraint
from .errors import DataError, DomainError, EquationError
from .fields import AbstractField
from .io import atomic_path
from .jets import compute_derivatives
from .lower import Env, FieldSlot, LoweredExpression, LoweringContext, lower
from .storage import (SOLUTION_FORMAT, expression_from_data, expression_to_data, fields_from_data, fields_to_data,
                      pairs_from_data, read_file)

__all__ = ["Problem", "Solution"]


def _field_functions(key) -> tuple:
    functions = tuple(key) if isinstance(key, (tuple, list)) else (key,)
    for f in functions:
        if not isinstance(f, AppliedUndef):
            raise EquationError(
                f"Field key {f!r} is not an unknown function applied to coordinates; expected "
                "for example u = sp.Function('u')(x, y), or a tuple (u, v) for one network with "
                "several outputs."
            )
        for a in f.args:
            if not isinstance(a, sp.Symbol):
                raise EquationError(
                    f"Field {f} takes {a!r} as an argument; expected coordinate symbols only, "
                    f"such as {f.func}(x, y)."
                )
    if len({f.args for f in functions}) > 1:
        raise EquationError(
            f"The outputs {functions} of one network have different arguments; expected the "
            "same coordinates for every output of a network."
        )
    return functions


class _FieldSet:
    """Networks, the unknown functions they represent, and the problem's coordinates."""

    def __init__(self, modules, functions, coords, constants, exact):
        self.modules: list[torch.nn.Module] = list(modules)
        self.functions: list[tuple] = list(functions)
        self.coords: tuple[sp.Symbol, ...] = tuple(coords)
        self.constants: dict = {
            sp.Symbol(k) if isinstance(k, str) else k: sp.sympify(v) for k, v in constants.items()
        }
        self.exact: dict = dict(exact)
        self.slots = {
            f: FieldSlot(m, k) for m, fs in enumerate(self.functions) for k, f in enumerate(fs)
        }
        self.module_args = tuple(fs[0].args for fs in self.functions)
        self.module_columns = [[self.coords.index(a) for a in args] for args in self.module_args]

    def context(self, where: str, data_names=()) -> LoweringContext:
        return LoweringContext(
            coords=self.coords, slots=self.slots, module_args=self.module_args,
            data_names=tuple(data_names), constants=self.constants, where=where,
        )

    def lower(self, expr, where: str = "the expression", data_names=()) -> LoweredExpression:
        if isinstance(expr, str):
            expr = self.function_named(expr)
        return lower(expr, self.context(where, data_names))

    def function_named(self, name: str):
        for f in self.slots:
            if str(f.func) == name:
                return f
        raise EquationError(
            f"There is no field named {name!r}; the fields are "
            f"{', '.join(str(f.func) for f in self.slots)}."
        )

    def tables(self, lowered: LoweredExpression, points: torch.Tensor, engine: str) -> dict:
        """Derivative tables of every network the expression uses, at points (N, D)."""
        return self.tables_for(lowered.requests, points, engine)

    def tables_for(self, requests: dict, points: torch.Tensor, engine: str, kernels=None) -> dict:
        """``{network index: DerivativeRequest}`` -> ``{network index: DerivativeTable}`` at points
        (N, D); ``kernels``: a CompiledSineKernels for jets with compiled sine kernels, or None."""
        return {
            m: compute_derivatives(self.modules[m], points[:, self.module_columns[m]], request, engine, kernels)
            for m, request in requests.items()
        }


class Problem(_FieldSet):
    """Fields to learn and the constraints they must satisfy.

    ``fields``: ``{u: network}`` where ``u = sp.Function("u")(x, y)``; a tuple key
    ``(u, v)`` maps the outputs of one network to several unknowns. ``constraints``: a list of
    :class:`Constraint`. ``exact``: optional analytic solutions ``{u: expression}`` used for
    validation. ``constants``: symbols bound to numbers (``{k: 4 * sp.pi}``).

    ``problem.coords`` are the coordinates in the column order of every point array.
    """

    def __init__(self, fields: Mapping, constraints, exact: Mapping | None = None, constants: Mapping | None = None):
        if not isinstance(fields, Mapping) or not fields:
            raise EquationError(
                "Problem needs fields={u: network, ...} with at least one field; received "
                f"{fields!r}."
            )
        constraints = list(constraints or [])
        if not constraints:
            raise EquationError(
                "Problem has no constraints; expected at least one pf.Constraint (a PDE "
                "residual on domain.interior, a boundary condition, data). Pass constraints=[...]."
            )
        for c in constraints:
            if not isinstance(c, Constraint):
                raise EquationError(
                    f"Problem constraints must be pf.Constraint objects; received {c!r}. Wrap "
                    "the residual: pf.Constraint(residual, on=domain.interior, n=1024)."
                )
        modules, functions = [], []
        for key, module in fields.items():
            fs = _field_functions(key)
            if not isinstance(module, torch.nn.Module):
                raise EquationError(
                    f"Field {key} maps to {type(module).__name__}; expected a torch module such "
                    "as pf.Siren(in_dim=2, out_dim=1)."
                )
            if isinstance(module, AbstractField):
                if module.in_dim != len(fs[0].args):
                    raise EquationError(
                        f"Field {fs[0]} has {len(fs[0].args)} arguments but its network takes "
                        f"in_dim={module.in_dim} inputs; expected in_dim={len(fs[0].args)}."
                    )
                if module.out_dim != len(fs):
                    raise EquationError(
                        f"Network for {key} has out_dim={module.out_dim} but represents "
                        f"{len(fs)} field(s); expected out_dim={len(fs)}."
                    )
            check_arguments = getattr(module, "check_arguments", None)
            if check_arguments is not None:
                check_arguments(fs[0].args)
            modules.append(module)
            functions.append(fs)

        coords = tuple(constraints[0].on.coords)
        for c in constraints[1:]:
            if set(c.on.coords) != set(coords) or len(c.on.coords) != len(coords):
                raise DomainError(
                    f"Constraint '{c.name}' samples coordinates ({', '.join(map(str, c.on.coords))}) "
                    f"but the first constraint samples ({', '.join(map(str, coords))}); expected "
                    "every constraint on the same coordinates. Build all regions from one domain."
                )
        for fs in functions:
            missing = [a for a in fs[0].args if a not in coords]
            if missing:
                raise EquationError(
                    f"Field {fs[0]} depends on {', '.join(map(str, missing))}, which the "
                    f"constraints' regions do not sample (their coordinates are "
                    f"{', '.join(map(str, coords))}); expected field arguments among those. "
                    "Use the domain's coordinate symbols as the field's arguments."
                )
        exact = dict(exact or {})
        constants = dict(constants or {})
        super().__init__(modules, functions, coords, constants, exact)
        for f in exact:
            if f not in self.slots:
                raise EquationError(
                    f"exact names {f}, which is not a field of the problem "
                    f"({', '.join(map(str, self.slots))})."
                )
        self.constraints = constraints
        self.lowered: list = []
        for c in constraints:
            if c.is_symbolic:
                self.lowered.append(self.lower(c.residual, f"{c.on!r} (constraint {c.name!r})", c.on.data_names))
            else:
                self.lowered.append(c.residual)
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


class Solution(_FieldSet):
    """Trained fields: evaluate any expression of them, inspect the history, save and load.

    ``coords``: the coordinate symbols, the column order of ``points`` everywhere.
    ``history``: ``{"step": [...], "loss": [...], "<term>": [...], "param:<name>": [...]}``, one
    entry per loss evaluation; ``"param:<name>"`` is a learned parameter's value at which that
    evaluation was made (before the step's update); ``"weight:<term>"`` (adaptive weighting
    only) the term's weight in that evaluation's total.
    ``parameters``: learned :class:`pinnfield.Parameter` values by name.
    ``info``: run metadata (steps, wall_seconds, device, dtype, seed, engine).
    """

    def __init__(self, modules, functions, coords, constants=None, exact=None,
                 parameters=None, history=None, info=None, derivatives: str = "auto"):
        super().__init__(modules, functions, coords, constants or {}, exact or {})
        self.parameters: dict[str, float] = dict(parameters or {})
        self.history: dict[str, list] = history or {}
        self.info: dict = dict(info or {})
        self.derivatives = derivatives
        self.evaluator = None
        """Set by :func:`pinnfield.distributed.sharing`: ``evaluate`` then splits its points over the ranks."""

    @property
    def device(self) -> torch.device:
        return next(self.modules[0].parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.modules[0].parameters()).dtype

    def evaluate(self, expr, points, chunk: int = 65536) -> np.ndarray:
        """Evaluate a field (``"u"``) or any sympy expression of fields at points.

        ``points``: (N, d) array whose columns follow ``self.coords``. Returns (N,) float64.
        Evaluated in chunks of ``chunk`` points so memory stays bounded for any N; inside
        :func:`pinnfield.distributed.sharing`, split over the ranks of the process group.
        """
        lowered = self.lower(expr, "Solution.evaluate")
        points = self._check_points(points)
        if self.evaluator is not None:
            return self.evaluator(expr, points, chunk)
        return self._evaluate_lowered(lowered, points, chunk)

    def evaluate_here(self, expr, points: np.ndarray, chunk: int = 65536) -> np.ndarray:
        """:meth:`evaluate` in this process alone, on checked points (N, d) -> (N,) float64."""
        return self._evaluate_lowered(self.lower(expr, "Solution.evaluate"), points, chunk)

    def _evaluate_lowered(self, lowered, points: np.ndarray, chunk: int) -> np.ndarray:
        out = np.empty(points.shape[0])
        params = {
            name: torch.tensor(v, dtype=self.dtype, device=self.device)
            for name, v in self.parameters.items()
        }
        for start in range(0, points.shape[0], chunk):
            x = torch.as_tensor(points[start:start + chunk], dtype=self.dtype, device=self.device)
            with torch.no_grad():
                tables = self.tables(lowered, x, self.derivatives)
                value = lowered(Env(x, {}, tables, params))
            out[start:start + len(x)] = value.detach().double().cpu().numpy()
        return out

    def exact_values(self, field, points) -> np.ndarray:
        """The analytic solution given as ``exact`` for ``field``, at points (N, d) -> (N,)."""
        f = self.function_named(field) if isinstance(field, str) else field
        if f not in self.exact:
            raise DataError(
                f"No exact solution is known for {f}; pass exact={{{f}: expression}} to the "
                "Problem or compare against a reference array."
            )
        points = self._check_points(points)
        expression = sp.sympify(self.exact[f]).xreplace(self.constants)
        function = sp.lambdify(self.coords, expression, modules="numpy")
        values = np.asarray(function(*points.T), dtype=float)
        return np.broadcast_to(values, (points.shape[0],)).copy()

    def _check_points(self, points) -> np.ndarray:
        if isinstance(points, torch.Tensor):
            points = points.detach().cpu().numpy()
        points = np.asarray(points, dtype=float)
        if points.ndim == 1 and len(self.coords) == 1:
            points = points[:, None]
        if points.ndim != 2 or points.shape[1] != len(self.coords):
            raise DataError(
                f"points must have shape (N, {len(self.coords)}) with columns "
                f"({', '.join(map(str, self.coords))}); received shape {points.shape}."
            )
        return points

    def save(self, path: str) -> None:
        """Write weights, field definitions, parameters and history to ``path`` atomically."""
        state = self.saved_state()
        with atomic_path(path, ".pt") as tmp:
            torch.save(state, tmp)

    def saved_state(self) -> dict:
        """The dict :meth:`save` writes (format ``pinnfield.solution/2``): tensors on CPU, and
        expressions and field configs as plain data (see :mod:`pinnfield.storage`)."""
        return {
            "format": SOLUTION_FORMAT,
            "coords": [expression_to_data(c, "A coordinate") for c in self.coords],
            "fields": fields_to_data(self.modules, self.functions),
            "constants": [(expression_to_data(k, "A constant's symbol"), expression_to_data(v, f"The constant {k}"))
                          for k, v in self.constants.items()],
            "exact": [(expression_to_data(k, "An exact solution's field"),
                       expression_to_data(sp.sympify(v), f"The exact solution for {k}"))
                      for k, v in self.exact.items()],
            "parameters": dict(self.parameters),
            "history": self.history,
            "info": self.info,
            "derivatives": self.derivatives,
        }

    @classmethod
    def load(cls, path: str, device: str = "cpu", fields: Mapping | None = None) -> "Solution":
        """Read a solution written by :meth:`save` (or a checkpoint written by ``fit(checkpoint=)``).

        The file is read as tensors and plain data only and nothing in it is run: expressions are
        rebuilt from a fixed set of sympy node types, networks from pinnfield's own field classes
        (Siren, MLP, NeRFField) or from ``fields``, ``{saved class name: class}``, for fields of
        your own: ``pf.Solution.load(path, fields={"MyField": MyField})``. CheckpointError if the
        file is missing, damaged, of an older format or holds anything else.
        """
        state = read_file(path, "solution")
        source = repr(path)
        modules, functions = fields_from_data(state["fields"], source, device, fields)
        return cls(
            modules, functions, [expression_from_data(c, source) for c in state["coords"]],
            constants=pairs_from_data(state["constants"], source), exact=pairs_from_data(state["exact"], source),
            parameters=state["parameters"], history=state["history"], info=state["info"],
            derivatives=state["derivatives"],
        )

    def __repr__(self) -> str:
        fields = ", ".join(str(f) for f in self.slots)
        return f"Solution(fields=[{fields}], coords={self.coords}, steps={self.info.get('steps')})"
