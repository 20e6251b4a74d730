"""Problem (what to solve) and Solution (trained fields you can evaluate, save and load)."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import sympy as sp
import torch
from sympy.core.function import AppliedUndef

from .constraints import Constraint
from .errors import DataError, DomainError, EquationError
from .fields import AbstractField, MLP, Siren
from .io import atomic_path
from .jets import compute_derivatives
from .lower import Env, FieldSlot, LoweredExpression, LoweringContext, lower

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


_FIELD_CLASSES = {"Siren": Siren, "MLP": MLP}
"""Field classes :meth:`Solution.load` rebuilds by name; see :func:`_field_class` for the others."""


def _field_class(entry: dict):
    """The class of a saved field: Siren or MLP by name, or an :class:`AbstractField` subclass
    defined in a ``pinnfield`` module (such as ``pinnfield.problems.nerf.model.NeRFField``),
    imported from the module recorded with it."""
    if entry["class"] in _FIELD_CLASSES:
        return _FIELD_CLASSES[entry["class"]]
    module = entry.get("module") or ""
    if module.split(".")[0] == "pinnfield":
        import importlib

        cls = getattr(importlib.import_module(module), entry["class"], None)
        if isinstance(cls, type) and issubclass(cls, AbstractField):
            return cls
    raise DataError(
        f"The saved field class {entry['class']!r} (module {module or 'unknown'!r}) cannot be rebuilt; "
        "expected Siren, MLP or a pinnfield AbstractField subclass. Load its state_dict yourself."
    )


def _saveable(module) -> bool:
    """Siren, MLP, or a pinnfield field that can state its constructor arguments (``config``)."""
    return type(module).__name__ in _FIELD_CLASSES or (
        isinstance(module, AbstractField) and type(module).__module__.split(".")[0] == "pinnfield"
        and type(module).config is not AbstractField.config)


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
        """The dict :meth:`save` writes (format ``pinnfield.solution/1``): tensors on CPU, plain values."""
        fields = []
        for module, functions in zip(self.modules, self.functions):
            if not _saveable(module):
                raise DataError(
                    f"Cannot save a field of type {type(module).__name__}: only Siren, MLP and "
                    "pinnfield's own fields can be rebuilt by Solution.load. Save its state_dict yourself."
                )
            fields.append({
                "class": type(module).__name__,
                "module": type(module).__module__,
                "config": module.config(),
                "functions": [sp.srepr(f) for f in functions],
                "state": {k: v.detach().cpu() for k, v in module.state_dict().items()},
            })
        return {
            "format": "pinnfield.solution/1",
            "coords": [sp.srepr(c) for c in self.coords],
            "fields": fields,
            "constants": [(sp.srepr(k), sp.srepr(v)) for k, v in self.constants.items()],
            "exact": [(sp.srepr(k), sp.srepr(sp.sympify(v))) for k, v in self.exact.items()],
            "parameters": dict(self.parameters),
            "history": self.history,
            "info": self.info,
            "derivatives": self.derivatives,
        }

    @classmethod
    def load(cls, path: str, device: str = "cpu") -> "Solution":
        """Read a solution written by :meth:`save`."""
        if not os.path.exists(path):
            raise DataError(f"No saved solution at {path!r}; expected a file written by Solution.save.")
        try:
            state = torch.load(path, map_location=device, weights_only=True)
        except Exception as error:
            raise DataError(f"{path!r} is not a pinnfield solution file ({error}).") from None
        if not isinstance(state, dict) or state.get("format") != "pinnfield.solution/1":
            raise DataError(f"{path!r} is not a pinnfield solution file (format mismatch).")
        modules, functions = [], []
        for entry in state["fields"]:
            module = _field_class(entry)(**entry["config"])
            module.load_state_dict(entry["state"])
            dtype = next(iter(entry["state"].values())).dtype
            modules.append(module.to(device=device, dtype=dtype))
            functions.append(tuple(sp.sympify(f) for f in entry["functions"]))
        return cls(
            modules, functions, [sp.sympify(c) for c in state["coords"]],
            constants={sp.sympify(k): sp.sympify(v) for k, v in state["constants"]},
            exact={sp.sympify(k): sp.sympify(v) for k, v in state["exact"]},
            parameters=state["parameters"], history=state["history"], info=state["info"],
            derivatives=state["derivatives"],
        )

    def __repr__(self) -> str:
        fields = ", ".join(str(f) for f in self.slots)
        return f"Solution(fields=[{fields}], coords={self.coords}, steps={self.info.get('steps')})"
