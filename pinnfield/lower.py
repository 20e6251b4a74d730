"""Lowering: a sympy residual -> a torch function of a table of field derivatives.

``lower(expr, context)`` runs four stages, one function each:

1. ``_checked_expression``: sympify, bind constants, evaluate derivatives (``.doit()``), and
   check every symbol and function against the problem (coordinates, fields, data columns of
   the sampling region, learnable parameters), raising an :class:`EquationError` that says
   how to fix anything it cannot place;
2. ``_derivative_leaves`` and ``_symbol_leaves``: record, per field network, the derivatives
   it needs as a :class:`~pinnfield.jets.DerivativeRequest`, with derivatives addressed by
   multi-index over the field's own arguments (never by position in a list), and make a
   leaf (a reader of the evaluated table, the points, the data or the parameters) for every
   derivative, field value, coordinate, data column and parameter;
3. inside ``_derivative_leaves``: collapse second derivatives into one quadratic form when the
   expression depends on them only through a fixed linear combination (``lap(u)``,
   ``u_tt - 4 lap(u)``): then the jet engine propagates a single tensor for the whole
   combination;
4. ``_compile``: compile the rest into nested closures over torch functions. No global state,
   no printer.

The combination test: with the second derivatives D_k of one field output replaced by symbols,
the expression depends on them only through L = sum_k c_k D_k iff its gradient with respect
to (D_1, ..., D_K) is everywhere parallel to the constant vector c, that is iff every ratio
(d expr / d D_k) / (d expr / d D_1) simplifies to a number c_k.
"""

from __future__ import annotations

import operator
from types import MappingProxyType
from dataclasses import dataclass, field
from functools import reduce
from typing import Callable

import sympy as sp
import torch
from sympy.core.function import AppliedUndef

from .errors import EquationError
from .jets import DerivativeRequest
from .symbolic import Parameter

__all__ = ["FieldSlot", "LoweringContext", "Env", "LoweredExpression", "lower"]


@dataclass(frozen=True)
class FieldSlot:
    """Where an unknown function lives: output ``output`` of field network ``module``."""

    module: int
    output: int


@dataclass(frozen=True)
class LoweringContext:
    """What a residual may refer to.

    ``coords``: the problem's coordinates, the column order of sampled points.
    ``slots``: each unknown field function ``u(x, y)`` -> its network and output column.
    ``module_args``: per network, its argument symbols (its input column order).
    ``data_names``: per-point data columns the sampling region provides.
    ``constants``: symbols bound to sympy numbers.
    ``where``: how to name the place in error messages (a region's repr).
    """

    coords: tuple[sp.Symbol, ...]
    slots: dict
    module_args: tuple[tuple[sp.Symbol, ...], ...]
    data_names: tuple[str, ...] = ()
    constants: dict = field(default_factory=dict)
    where: str = "the residual"


@dataclass
class Env:
    """Inputs of a lowered expression on one batch of N points.

    ``points`` (N, D) in context coordinate order; ``data`` name -> (N,); ``tables`` network
    index -> :class:`DerivativeTable`; ``parameters`` name -> 0-d tensor.
    """

    points: torch.Tensor
    data: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)

    def tensor(self, value) -> torch.Tensor:
        if isinstance(value, torch.Tensor):
            return value
        return torch.as_tensor(value, dtype=self.points.dtype, device=self.points.device)


Compiled = Callable[[Env], "torch.Tensor | float | bool"]


class LoweredExpression:
    """A residual ready to evaluate: ``lowered(env)`` -> (N,) tensor.

    ``requests`` maps network index -> the derivatives to compute before calling;
    ``parameters`` lists the learnable :class:`Parameter` symbols it uses.
    """

    def __init__(self, expression, requests, parameters, function: Compiled):
        self.expression = expression
        self.requests: dict[int, DerivativeRequest] = requests
        self.parameters: tuple[Parameter, ...] = parameters
        self._function = function

    def __call__(self, env: Env) -> torch.Tensor:
        value = env.tensor(self._function(env))
        n = env.points.shape[0]
        if value.dtype == torch.bool:
            value = value.to(env.points.dtype)
        return value.expand(n) if value.ndim == 0 else value

    def __repr__(self) -> str:
        return f"LoweredExpression({self.expression})"


def _names(symbols) -> str:
    return ", ".join(str(s) for s in symbols) or "none"


def _describe_context(context: LoweringContext) -> str:
    fields = _names(context.slots)
    data = _names(context.data_names)
    return f"a coordinate ({_names(context.coords)}), a field ({fields}) or a data column of {context.where} ({data})"


def _check_functions(expr, context: LoweringContext) -> None:
    for f in expr.atoms(AppliedUndef):
        if f in context.slots:
            continue
        same_name = [s for s in context.slots if s.func == f.func]
        if same_name:
            raise EquationError(
                f"Field '{f.func}' is called as {f} in {context.where}, but it is defined as "
                f"{same_name[0]}; expected the same arguments in the same order. "
                f"Write {same_name[0]}."
            )
        raise EquationError(
            f"The residual on {context.where} uses the function {f}, which is not a field of the problem "
            f"({_names(context.slots)}). Add it to Problem(fields=...) or replace it with a "
            "known sympy function."
        )


def _check_derivatives(expr, context: LoweringContext) -> None:
    for d in expr.atoms(sp.Derivative):
        if not isinstance(d.expr, AppliedUndef):
            raise EquationError(
                f"Cannot lower {d} in {context.where}: only derivatives of fields can be "
                "evaluated. Expand it into derivatives of fields (for example with the "
                "product or chain rule) or call .doit() on the known part."
            )


def _check_derivative_variables(expr, context: LoweringContext) -> None:
    """Before .doit(), which would silently turn d u(x, y) / dt into 0."""
    for d in expr.atoms(sp.Derivative):
        if not isinstance(d.expr, AppliedUndef):
            continue
        for variable in d.variables:
            if variable not in d.expr.args:
                raise EquationError(
                    f"{d} differentiates field {d.expr} by '{variable}', which is not one of "
                    f"its arguments ({_names(d.expr.args)}); expected a coordinate. "
                    "Differentiate by one of the field's coordinates."
                )


def _multi_index(d: sp.Derivative) -> tuple[int, ...]:
    counts = dict(d.variable_count)
    return tuple(int(counts.get(a, 0)) for a in d.expr.args)


def _quad_of(a: tuple[int, ...], coefficient: float) -> tuple[tuple[int, int], float]:
    axes = [i for i, c in enumerate(a) for _ in range(c)]
    return (axes[0], axes[1]), coefficient


def _collapse(expr, derivatives: list[sp.Derivative]):
    """Try to write expr as F(sum_k c_k D_k); return (expr with a placeholder, [(D_k, c_k)])."""
    dummies = [sp.Dummy(f"d{k}") for k in range(len(derivatives))]
    e = expr.xreplace(dict(zip(derivatives, dummies)))
    g0 = sp.diff(e, dummies[0])
    if g0 == 0:
        return None
    coefficients = [sp.Integer(1)]
    for dummy in dummies[1:]:
        ratio = sp.simplify(sp.diff(e, dummy) / g0)
        if not ratio.is_number or not ratio.is_real:
            return None
        coefficients.append(ratio)
    placeholder = sp.Dummy("quad")
    replaced = e.xreplace({dummies[0]: placeholder, **{d: sp.Integer(0) for d in dummies[1:]}})
    return replaced, placeholder, [float(c) for c in coefficients]


def lower(expr, context: LoweringContext) -> LoweredExpression:
    """Lower a sympy residual into a :class:`LoweredExpression` (see the module docstring)."""
    expr = _checked_expression(expr, context)
    requests = _Requests()
    expr, leaves = _derivative_leaves(expr, context, requests)
    parameters = _symbol_leaves(expr, context, requests, leaves)
    function = _compile(expr, leaves, context)
    return LoweredExpression(expr, requests.by_module, parameters, function)


def _checked_expression(expr, context: LoweringContext):
    """Stage 1: ``expr`` as a scalar sympy expression with constants bound and derivatives
    evaluated (``.doit()``), every function a field and every derivative one of a field."""
    try:
        expr = sp.sympify(expr)
    except (sp.SympifyError, TypeError) as error:
        raise EquationError(
            f"Residual {expr!r} in {context.where} is not a sympy expression ({error}). "
            "Build it from sympy symbols and functions."
        ) from None
    if not isinstance(expr, sp.Basic) or isinstance(expr, (sp.MatrixBase, tuple)):
        raise EquationError(
            f"Residual in {context.where} must be a scalar sympy expression; received "
            f"{type(expr).__name__}. Give one Constraint per component."
        )
    if context.constants:
        expr = expr.xreplace(context.constants)
    _check_derivative_variables(expr, context)
    expr = expr.doit()
    _check_functions(expr, context)
    _check_derivatives(expr, context)
    return expr


class _Requests:
    """The derivatives each field network must provide, merged in the order they are asked for
    (a quadratic form's position in its network's request is the index its leaf reads)."""

    def __init__(self):
        self.by_module: dict[int, DerivativeRequest] = {}

    def add(self, module: int, partials=(), quads=()) -> DerivativeRequest:
        self.by_module[module] = self.by_module.get(module, DerivativeRequest()).merge(
            DerivativeRequest(frozenset(partials), tuple(quads))
        )
        return self.by_module[module]

    def partial_leaf(self, slot: FieldSlot, a: tuple[int, ...]) -> Compiled:
        """Request the partial derivative of multi-index ``a`` and read it: (N,)."""
        self.add(slot.module, partials=[a])
        return lambda env: env.tables[slot.module].partials[a][:, slot.output]

    def quad_leaf(self, slot: FieldSlot, quad) -> Compiled:
        """Request the quadratic form ``quad`` (((i, j), c), ...) and read it: (N,)."""
        index = self.add(slot.module, quads=[quad]).quads.index(quad)
        return lambda env: env.tables[slot.module].quads[index][:, slot.output]


def _derivative_leaves(expr, context: LoweringContext, requests: _Requests):
    """Stages 2 and 3: a leaf per derivative of a field. First and higher (not second) order
    derivatives are partials; the second derivatives of one field output collapse into one
    quadratic form when ``expr`` depends on them only through a fixed linear combination
    (then ``expr`` gets a placeholder for it), else each is its own one-term form.
    Returns (expr, leaves)."""
    leaves: dict = {}
    second_order: dict = {}
    for d in expr.atoms(sp.Derivative):
        a = _multi_index(d)
        slot = context.slots[d.expr]
        if sum(a) == 2:
            second_order.setdefault(d.expr, []).append(d)
        else:
            leaves[d] = requests.partial_leaf(slot, a)

    for f, derivatives in second_order.items():
        slot = context.slots[f]
        derivatives.sort(key=sp.default_sort_key)
        collapsed = _collapse(expr, derivatives) if len(derivatives) > 1 else None
        if collapsed is not None:
            expr, placeholder, coefficients = collapsed
            quad = tuple(sorted(_quad_of(_multi_index(d), c) for d, c in zip(derivatives, coefficients)))
            leaves[placeholder] = requests.quad_leaf(slot, quad)
        else:
            for d in derivatives:
                leaves[d] = requests.quad_leaf(slot, (_quad_of(_multi_index(d), 1.0),))
    return expr, leaves


def _symbol_leaves(expr, context: LoweringContext, requests: _Requests, leaves: dict) -> tuple[Parameter, ...]:
    """Stage 2, the rest: leaves (added to ``leaves``) for the field values, coordinates,
    learnable parameters and data columns ``expr`` uses outside derivatives; an
    :class:`EquationError` for any other symbol. Returns the parameters, sorted by name."""
    bare = expr.xreplace({d: sp.Dummy() for d in expr.atoms(sp.Derivative)})
    for f in bare.atoms(AppliedUndef):
        leaves[f] = requests.partial_leaf(context.slots[f], (0,) * len(f.args))

    parameters = []
    for s in sorted(bare.free_symbols - set(leaves), key=str):
        if s in context.coords:
            column = context.coords.index(s)
            leaves[s] = lambda env, column=column: env.points[:, column]
        elif isinstance(s, Parameter):
            parameters.append(s)
            leaves[s] = lambda env, name=s.name: env.parameters[name]
        elif str(s) in context.data_names:
            leaves[s] = lambda env, name=str(s): env.data[name]
        elif isinstance(s, sp.Dummy):
            continue
        else:
            raise EquationError(
                f"Residual uses symbol '{s}', which is not {_describe_context(context)}. "
                f"Bind it with a value (Problem(constants={{{s}: ...}})) or declare "
                f"pf.Parameter('{s}')."
            )
    return tuple(parameters)


_UNARY = MappingProxyType({
    sp.sin: torch.sin, sp.cos: torch.cos, sp.tan: torch.tan,
    sp.asin: torch.asin, sp.acos: torch.acos, sp.atan: torch.atan,
    sp.sinh: torch.sinh, sp.cosh: torch.cosh, sp.tanh: torch.tanh,
    sp.asinh: torch.asinh, sp.acosh: torch.acosh, sp.atanh: torch.atanh,
    sp.exp: torch.exp, sp.log: torch.log, sp.Abs: torch.abs, sp.sign: torch.sign,
    sp.erf: torch.erf, sp.erfc: torch.erfc, sp.floor: torch.floor, sp.ceiling: torch.ceil,
    sp.sec: lambda a: 1 / torch.cos(a), sp.csc: lambda a: 1 / torch.sin(a),
    sp.cot: lambda a: 1 / torch.tan(a), sp.sinc: lambda a: torch.sinc(a / torch.pi),
})

_RELATIONS = MappingProxyType({
    sp.StrictLessThan: operator.lt, sp.LessThan: operator.le,
    sp.StrictGreaterThan: operator.gt, sp.GreaterThan: operator.ge,
    sp.Equality: operator.eq, sp.Unequality: operator.ne,
})


def _compile(node, leaves: dict, context: LoweringContext) -> Compiled:
    """Compile a sympy tree into a closure env -> tensor (or Python number)."""
    if node in leaves:
        return leaves[node]
    if node is sp.true or node is sp.false:
        value = bool(node)
        return lambda env: value
    if not node.free_symbols and not node.atoms(AppliedUndef, sp.Derivative):
        number = complex(node.evalf())
        if number.imag != 0:
            raise EquationError(
                f"The constant {node} in {context.where} is complex; pinnfield fields are real. "
                "Split a complex equation into real and imaginary parts with two fields."
            )
        value = number.real
        return lambda env: value

    if isinstance(node, sp.Piecewise):
        pieces = [(_compile(e, leaves, context), _compile(c, leaves, context)) for e, c in node.args]

        def piecewise(env):
            result = env.tensor(float("nan"))
            for value, condition in reversed(pieces):
                mask = torch.as_tensor(condition(env), device=env.points.device)
                result = torch.where(mask, env.tensor(value(env)), result)
            return result

        return piecewise
    children = [_compile(a, leaves, context) for a in node.args]
    if isinstance(node, sp.Add):
        return lambda env: reduce(operator.add, (c(env) for c in children))
    if isinstance(node, sp.Mul):
        return lambda env: reduce(operator.mul, (c(env) for c in children))
    if isinstance(node, sp.Pow):
        base, exponent = children
        if node.exp == sp.Rational(1, 2):
            return lambda env: torch.sqrt(env.tensor(base(env)))
        if node.exp == -1:
            return lambda env: 1 / env.tensor(base(env))
        return lambda env: env.tensor(base(env)) ** exponent(env)
    if type(node) in _UNARY:
        function = _UNARY[type(node)]
        (argument,) = children
        return lambda env: function(env.tensor(argument(env)))
    if isinstance(node, sp.atan2):
        y, x = children
        return lambda env: torch.atan2(env.tensor(y(env)), env.tensor(x(env)))
    if isinstance(node, sp.Heaviside):
        argument = children[0]
        at_zero = float(node.args[1]) if len(node.args) > 1 else 0.5
        return lambda env: torch.heaviside(env.tensor(argument(env)), env.tensor(at_zero))
    if isinstance(node, (sp.Min, sp.Max)):
        pick = torch.minimum if isinstance(node, sp.Min) else torch.maximum
        return lambda env: reduce(pick, (env.tensor(c(env)) for c in children))
    if type(node) in _RELATIONS:
        relation = _RELATIONS[type(node)]
        left, right = children
        return lambda env: relation(env.tensor(left(env)), env.tensor(right(env)))
    if isinstance(node, (sp.And, sp.Or)):
        combine = torch.logical_and if isinstance(node, sp.And) else torch.logical_or
        return lambda env: reduce(combine, (env.tensor(c(env)) for c in children))
    if isinstance(node, sp.Not):
        (argument,) = children
        return lambda env: torch.logical_not(env.tensor(argument(env)))
    raise EquationError(
        f"Cannot lower {type(node).__name__} (in {node}) to torch; supported are + * ** and "
        "sin, cos, tan, their inverses, sinh, cosh, tanh, exp, log, sqrt, Abs, sign, erf, "
        "atan2, Heaviside, Piecewise, Min, Max and comparisons. Rewrite the expression with "
        "those, or evaluate the function outside pinnfield and pass it as a data column."
    )
