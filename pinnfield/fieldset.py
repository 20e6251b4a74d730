"""The fields of a problem or a solution: networks, the unknowns they represent, coordinates.

:class:`FieldSet` is what :class:`~pinnfield.Problem` and :class:`~pinnfield.Solution` share:
naming the unknowns, binding constants and lowering expressions of them.
:func:`derivative_tables` computes what a lowered expression needs of each network.
"""

from __future__ import annotations

import sympy as sp
import torch
from sympy.core.function import AppliedUndef

from .errors import EquationError
from .jets import compute_derivatives
from .lower import FieldSlot, LoweredExpression, LoweringContext, lower

__all__ = ["FieldSet", "field_functions", "derivative_tables"]


def field_functions(key) -> tuple:
    """The unknown functions a ``fields`` key names: ``u`` or a tuple ``(u, v)`` of one network's outputs."""
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


class FieldSet:
    """Networks, the unknown functions they represent, and the problem's coordinates.

    ``modules``: the networks; ``functions``: per network, the unknowns of its output columns;
    ``coords``: the coordinates, the column order of every (N, d) point array; ``constants``:
    symbols bound to numbers; ``exact``: analytic solutions by unknown. Lowering an expression
    against them gives a :class:`~pinnfield.lower.LoweredExpression`.
    """

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
        """What an expression lowered at ``where`` (a region, for messages) may refer to."""
        return LoweringContext(
            coords=self.coords, slots=self.slots, module_args=self.module_args,
            data_names=tuple(data_names), constants=self.constants, where=where,
        )

    def lower(self, expr, where: str = "the expression", data_names=()) -> LoweredExpression:
        """``expr`` (a sympy expression, or a field's name such as ``"u"``) lowered to torch."""
        if isinstance(expr, str):
            expr = self.function_named(expr)
        return lower(expr, self.context(where, data_names))

    def function_named(self, name: str):
        """The unknown function called ``name``."""
        for f in self.slots:
            if str(f.func) == name:
                return f
        raise EquationError(
            f"There is no field named {name!r}; the fields are "
            f"{', '.join(str(f.func) for f in self.slots)}."
        )


def derivative_tables(modules, columns, requests: dict, points: torch.Tensor, engine: str, kernels=None) -> dict:
    """``{network index: DerivativeRequest}`` -> ``{network index: DerivativeTable}`` at points
    (N, D): network m sees the columns ``columns[m]``; ``engine`` as ``fit(derivatives=)``;
    ``kernels``: compiled sine kernels or None."""
    return {m: compute_derivatives(modules[m], points[:, columns[m]], request, engine, kernels)
            for m, request in requests.items()}
