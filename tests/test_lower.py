"""Lowering sympy residuals: values against sympy, derivative requests, collapsing, errors."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.lower import Env, FieldSlot, LoweringContext, lower

x, y, t = sp.symbols("x y t")
u = sp.Function("u")(x, y)
v = sp.Function("v")(x, y)


class Analytic(torch.nn.Module):
    """A field with a known closed form, u = sin(x) exp(y / 2) + x^2 y, v = cos(x y) + y."""

    def forward(self, p):
        a, b = p[:, 0], p[:, 1]
        return torch.stack([torch.sin(a) * torch.exp(b / 2) + a * a * b, torch.cos(a * b) + b], dim=1)


U_EXACT = sp.sin(x) * sp.exp(y / 2) + x**2 * y
V_EXACT = sp.cos(x * y) + y


def _context(data_names=("g",), constants=None):
    return LoweringContext(
        coords=(x, y), slots={u: FieldSlot(0, 0), v: FieldSlot(0, 1)}, module_args=((x, y),),
        data_names=data_names, constants=constants or {}, where="Box.interior",
    )


def _evaluate(expr, points, data=None, parameters=None, context=None):
    lowered = lower(expr, context or _context())
    p = torch.as_tensor(points, dtype=torch.float64)
    from pinnfield.jets import autograd_derivatives

    tables = {m: autograd_derivatives(Analytic(), p, r) for m, r in lowered.requests.items()}
    env = Env(p, {k: torch.as_tensor(a) for k, a in (data or {}).items()}, tables, parameters or {})
    return lowered(env).detach().numpy(), lowered


def _sympy_value(expr, points, data=None):
    concrete = expr.subs({u: U_EXACT, v: V_EXACT}).doit()
    symbols = [x, y] + [sp.Symbol(k) for k in (data or {})]
    f = sp.lambdify(symbols, concrete, "numpy")
    return np.broadcast_to(f(*points.T, *(data or {}).values()), (len(points),))


POINTS = np.random.default_rng(0).uniform([0.1, 0.2], [1.5, 1.2], size=(30, 2))

EXPRESSIONS = {
    "poisson": -pf.lap(u, (x, y)) - sp.sin(x),
    "mixed": u.diff(x, y) + 3 * v.diff(y, 2) * u.diff(x),
    "nonlinear": u * u.diff(x) - sp.Rational(1, 100) * u.diff(x, 2),
    "eikonal": sp.sqrt(u.diff(x) ** 2 + u.diff(y) ** 2) - 1,
    "functions": sp.tan(u / 10) + sp.exp(-v) + sp.log(1 + u**2) + sp.Abs(v - 1) + sp.tanh(u)
    + sp.sinh(v / 3) + sp.cosh(u / 4) + sp.atan2(v, u + 5) + sp.pi * sp.E,
    "piecewise": sp.Piecewise((u, x < 0.7), (v, True)) + sp.Heaviside(y - 0.5) + sp.Min(u, v) + sp.Max(u, 1),
    "data": u - sp.Symbol("g") * x,
    "third_order": u.diff(x, 3) + u.diff(x, 2, y, 1),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_lowered_residual_matches_sympy(name):
    expr = EXPRESSIONS[name]
    data = {"g": np.linspace(0, 1, len(POINTS))}
    got, _ = _evaluate(expr, POINTS, data)
    assert np.allclose(got, _sympy_value(expr, POINTS, data), rtol=1e-12, atol=1e-12)


def test_requirements_lists_multi_indices_per_field():
    needs = pf.requirements(pf.lap(u, (x, y)) + v.diff(x))
    assert needs == {u: {(2, 0), (0, 2)}, v: {(1, 0)}}


def test_laplacian_collapses_to_one_quadratic_form():
    _, lowered = _evaluate(-pf.lap(u, (x, y)) + u, POINTS)
    request = lowered.requests[0]
    assert request.quads == ((((0, 0), 1.0), ((1, 1), 1.0)),)
    assert request.partials == frozenset({(0, 0)})


def test_wave_operator_with_constant_speed_collapses():
    w = sp.Function("w")(t, x)
    context = LoweringContext(coords=(t, x), slots={w: FieldSlot(0, 0)}, module_args=((t, x),))
    lowered = lower(w.diff(t, 2) - 4 * w.diff(x, 2), context)
    assert lowered.requests[0].quads == ((((0, 0), 1.0), ((1, 1), -4.0)),)


def test_variable_coefficients_are_not_collapsed():
    _, lowered = _evaluate(u.diff(x, 2) + x * u.diff(y, 2), POINTS)
    assert len(lowered.requests[0].quads) == 2


def test_nonlinear_use_of_second_derivatives_is_not_collapsed():
    expr = u.diff(x, 2) ** 2 + u.diff(y, 2)
    got, lowered = _evaluate(expr, POINTS)
    assert len(lowered.requests[0].quads) == 2
    assert np.allclose(got, _sympy_value(expr, POINTS), rtol=1e-12)


def test_constants_are_bound_and_parameters_are_read_from_env():
    k = sp.Symbol("k")
    c = pf.Parameter("c", init=2.0)
    expr = u.diff(x, 2) + k**2 * u - c
    got, lowered = _evaluate(expr, POINTS, parameters={"c": torch.tensor(0.5, dtype=torch.float64)},
                             context=_context(constants={k: 3.0}))
    assert [p.name for p in lowered.parameters] == ["c"]
    want = _sympy_value(expr.subs({k: 3.0, c: 0.5}), POINTS)
    assert np.allclose(got, want, rtol=1e-12)


def test_gradcheck_through_a_lowered_residual():
    from pinnfield.jets import jet_derivatives

    field = pf.Siren(2, 1, width=6, depth=2).double()
    context = LoweringContext(coords=(x, y), slots={u: FieldSlot(0, 0)}, module_args=((x, y),))
    lowered = lower(-pf.lap(u, (x, y)) + u * u.diff(x) - sp.sin(x), context)
    points = torch.as_tensor(POINTS[:8], dtype=torch.float64)

    class Residual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.field = field

        def forward(self, p):
            tables = {0: jet_derivatives(self.field, p, lowered.requests[0])}
            return lowered(Env(p, {}, tables, {}))

    wrapper = Residual()
    names = [f"field.{n}" for n, _ in field.named_parameters()]

    def residual(*weights):
        return torch.func.functional_call(wrapper, dict(zip(names, weights)), (points,))

    weights = tuple(p.detach().clone().requires_grad_(True) for p in field.parameters())
    assert torch.autograd.gradcheck(residual, weights, eps=1e-6, atol=1e-6, rtol=1e-5)


ERRORS = [
    (u - sp.Symbol("k"), "symbol 'k'.*Bind it with a value"),
    (sp.besselj(0, u), "Cannot lower besselj"),
    (sp.Function("u")(y, x) - 1, "defined as u\\(x, y\\)"),
    (sp.Function("w")(x, y), "not a field of the problem"),
    (sp.Derivative(u, t), "by 't', which is not one of its arguments"),
    (sp.I * u, "complex"),
]


@pytest.mark.parametrize("expr,message", ERRORS)
def test_bad_residuals_raise_equation_errors(expr, message):
    with pytest.raises(pf.EquationError, match=message):
        lower(expr, _context())
