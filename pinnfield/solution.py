"""Solution: trained fields you can evaluate, save and load (a plain result of :func:`pinnfield.fit`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp
import torch

from .errors import DataError, check_choice, check_int
from .fieldset import FieldSet, derivative_tables
from .io import atomic_path
from .jets import ENGINES
from .lower import Env
from .storage import (SOLUTION_FORMAT, expression_from_data, expression_to_data, fields_from_data, fields_to_data,
                      pairs_from_data, read_file)

__all__ = ["Solution"]


class Solution(FieldSet):
    """Trained fields: evaluate any expression of them, inspect the history, save and load.

    ``coords``: the coordinate symbols, the column order of ``points`` everywhere.
    ``history``: ``{"step": [...], "loss": [...], "<term>": [...], "param:<name>": [...]}``, one
    entry per loss evaluation; ``"param:<name>"`` is a learned parameter's value at which that
    evaluation was made (before the step's update); ``"weight:<term>"`` (adaptive weighting
    only) the term's weight in that evaluation's total.
    ``parameters``: learned :class:`pinnfield.Parameter` values by name.
    ``info``: run metadata (steps, wall_seconds, device, dtype, seed, engine).

    A solution is a plain result: it is not changed after it is made (:meth:`with_info` returns
    a new one with more run information). The networks are those training left; evaluating
    them computes derivatives with the engine named by ``derivatives`` and keeps nothing.
    """

    def __init__(self, modules, functions, coords, constants=None, exact=None,
                 parameters=None, history=None, info=None, derivatives: str = "auto"):
        super().__init__(modules, functions, coords, constants or {}, exact or {})
        self.parameters: dict[str, float] = dict(parameters or {})
        self.history: dict[str, list] = history or {}
        self.info: dict = dict(info or {})
        self.derivatives = derivatives
        self._frozen = True

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(f"A Solution is a result and is not changed after it is made (setting {name!r}); "
                                 "use solution.with_info(...) for a copy with more run information.")
        super().__setattr__(name, value)

    def with_info(self, **entries) -> "Solution":
        """A new solution with the same fields, history and parameters and ``info`` updated by ``entries``."""
        return Solution(self.modules, self.functions, self.coords, self.constants, self.exact, self.parameters,
                        self.history, {**self.info, **entries}, self.derivatives)

    @property
    def device(self) -> torch.device:
        return next(self.modules[0].parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.modules[0].parameters()).dtype

    def evaluate(self, expr, points, chunk: int = 65536, derivatives: str | None = None) -> np.ndarray:
        """Evaluate a field (``"u"``) or any sympy expression of fields at points.

        ``points``: (N, d) array whose columns follow ``self.coords``. Returns (N,) float64.
        Evaluated in chunks of ``chunk`` points so memory stays bounded for any N (inside
        :func:`pinnfield.distributed.sharing`, use the object it yields to split the points over
        the ranks of the process group). ``derivatives``: the engine ("jet", "autograd", "auto"),
        by default the one the solution was trained with.
        """
        lowered = self.lower(expr, "Solution.evaluate")
        points = self.check_points(points)
        chunk = check_int(chunk, "Solution.evaluate chunk (points per evaluation)", minimum=1)
        engine = self.derivatives if derivatives is None else check_choice(derivatives, ENGINES, "derivatives")
        out = np.empty(points.shape[0])
        params = {name: torch.tensor(v, dtype=self.dtype, device=self.device) for name, v in self.parameters.items()}
        for start in range(0, points.shape[0], chunk):
            x = torch.as_tensor(points[start:start + chunk], dtype=self.dtype, device=self.device)
            with torch.no_grad():
                tables = derivative_tables(self.modules, self.module_columns, lowered.requests, x,
                                           engine)
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
        points = self.check_points(points)
        expression = sp.sympify(self.exact[f]).xreplace(self.constants)
        function = sp.lambdify(self.coords, expression, modules="numpy")
        values = np.asarray(function(*points.T), dtype=float)
        return np.broadcast_to(values, (points.shape[0],)).copy()

    def check_points(self, points) -> np.ndarray:
        """``points`` as an (N, d) float64 array whose columns follow ``self.coords``; DataError otherwise."""
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
        (Siren, MLP, PirateNet, NeRFField) or from ``fields``, ``{saved class name: class}``, for
        fields of your own: ``pf.Solution.load(path, fields={"MyField": MyField})``. CheckpointError if the
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
