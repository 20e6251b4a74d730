"""Operators on sympy expressions, the equation catalogue, and the docstring examples."""

import doctest

import pytest
import sympy as sp

import pinnfield as pf
import pinnfield.symbolic
from pinnfield.equations import CATALOGUE, poisson

x, y, z, t = sp.symbols("x y z t")
u = sp.Function("u")(x, y)


def test_operators_on_known_functions():
    f = sp.exp(x) * sp.sin(2 * y)
    assert pf.grad(f, (x, y)) == sp.ImmutableMatrix([sp.exp(x) * sp.sin(2 * y), 2 * sp.exp(x) * sp.cos(2 * y)])
    assert sp.simplify(pf.lap(f, (x, y)) + 3 * f) == 0
    assert sp.simplify(pf.div(pf.grad(f, (x, y)), (x, y)) - pf.lap(f, (x, y))) == 0
    assert pf.dt(sp.sin(3 * t) * x, t, 2) == -9 * sp.sin(3 * t) * x


def test_operators_on_unknown_fields_stay_unevaluated():
    assert pf.lap(u, (x, y)) == sp.Derivative(u, (x, 2)) + sp.Derivative(u, (y, 2))
    n_x, n_y = sp.symbols("n_x n_y")
    assert pf.normal_derivative(u, (x, y)) == n_x * u.diff(x) + n_y * u.diff(y)


def test_div_needs_one_component_per_coordinate():
    with pytest.raises(pf.EquationError, match="2 components for 3 coordinates"):
        pf.div([x, y], (x, y, z))


def test_parameter_bounds_are_checked():
    with pytest.raises(pf.EquationError, match="expected low < high"):
        pf.Parameter("c", init=1.0, bounds=(2.0, 1.0))
    with pytest.raises(pf.EquationError, match="outside its bounds"):
        pf.Parameter("c", init=5.0, bounds=(0.0, 1.0))


def _catalogue_examples():
    for name, module in CATALOGUE.items():
        for example in module.exact_examples():
            yield pytest.param(example, id=f"{name}: {example.name}")


def test_every_catalogue_equation_has_examples():
    assert all(module.exact_examples() for module in CATALOGUE.values())


@pytest.mark.parametrize("example", list(_catalogue_examples()))
def test_exact_solutions_have_zero_residual(example):
    assert example.max_residual() <= 1e-8


def test_a_wrong_solution_is_caught():
    example = poisson.exact_examples()[0]
    (field, exact), = example.exact.items()
    wrong = type(example)(example.name, example.residuals, {field: exact + x**4}, example.coords)
    assert wrong.max_residual() > 1e-2


@pytest.mark.parametrize("module", [pinnfield.symbolic, *CATALOGUE.values()])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0
