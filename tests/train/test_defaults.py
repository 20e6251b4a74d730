"""fit's defaults for a problem nobody tuned: phases, frequencies by use, normalisation, stopping rules."""

import time
import warnings

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.fields.siren import FITTING_FREQUENCIES, PDE_FREQUENCIES
from pinnfield.train.optimizers import LBFGS, Adam
from pinnfield.train.options import KEYWORD_DEFAULTS, phases_from

x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)


def poisson(field, scale=1.0, n=64):
    """-lap u = f on [0, scale]^2 with u = sin(pi x / scale) sin(pi y / scale); the residual is
    multiplied by scale^2, so the problem on [0, scale]^2 is the unit one in other units."""
    exact = sp.sin(sp.pi * x / scale) * sp.sin(sp.pi * y / scale)
    square = pf.Box((0, 0), (scale, scale), coords=(x, y))
    f = -pf.lap(exact, (x, y))
    return pf.Problem(
        fields={u: field},
        constraints=[pf.Constraint(scale**2 * (-pf.lap(u, (x, y)) - f), on=square.interior, n=n),
                     pf.Constraint(u - exact, on=square.boundary, n=n // 2)],
        exact={u: exact},
    )


def fitting():
    """Values only: u = x y at random points of the unit square, no derivative."""
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    return pf.Problem(fields={u: pf.Siren(2, 1, width=8, depth=2)},
                      constraints=[pf.Constraint(u - x * y, on=square.interior, n=32)])


def shorthand(**given):
    return {k: given.get(k) for k in KEYWORD_DEFAULTS}


def test_the_default_recipe_is_adam_then_lbfgs_half_as_long_for_a_pde():
    adam, lbfgs = phases_from("adam", shorthand(), poisson(pf.Siren(2, 1, width=8, depth=2)))
    assert isinstance(adam, Adam) and adam.steps == 2000 and adam.settings()["schedule"] == "cosine"
    assert isinstance(lbfgs, LBFGS) and lbfgs.steps == 1000
    _, lbfgs = phases_from("adam", shorthand(steps=300), poisson(pf.Siren(2, 1, width=8, depth=2)))
    assert lbfgs.steps == 150
    _, lbfgs = phases_from("adam", shorthand(steps=300, lbfgs_steps=7), poisson(pf.Siren(2, 1, width=8, depth=2)))
    assert lbfgs.steps == 7


def test_a_problem_that_only_fits_values_gets_no_lbfgs_phase_by_default():
    _, lbfgs = phases_from("adam", shorthand(), fitting())
    assert lbfgs.steps == 0


def test_siren_frequencies_are_chosen_by_use():
    alone = pf.Siren(2, 1, width=8, depth=2)
    assert (alone.config()["omega0"], alone.config()["omega_hidden"]) == FITTING_FREQUENCIES
    pde = pf.fit(poisson(alone), steps=1, lbfgs_steps=0, progress=False)
    assert (pde.modules[0].config()["omega0"], pde.modules[0].config()["omega_hidden"]) == PDE_FREQUENCIES
    assert pde.modules[0].body[0].omega == PDE_FREQUENCIES[0] and pde.modules[0].body[1].omega == PDE_FREQUENCIES[1]
    assert alone.body[0].omega == FITTING_FREQUENCIES[0]  # the user's network is left as it was
    fitted = pf.fit(fitting(), steps=1, progress=False)
    assert fitted.modules[0].config()["omega0"] == FITTING_FREQUENCIES[0]
    given = pf.fit(poisson(pf.Siren(2, 1, width=8, depth=2, omega0=7.0)), steps=1, lbfgs_steps=0, progress=False)
    assert given.modules[0].config()["omega0"] == 7.0 and given.modules[0].config()["omega_hidden"] == PDE_FREQUENCIES[1]
    wrapped = pf.hard(pf.Siren(2, 1, width=8, depth=2), value=0, on=pf.Box((0, 0), (1, 1), coords=(x, y)).boundary)
    hard = pf.fit(poisson(wrapped), steps=1, lbfgs_steps=0, progress=False)
    assert hard.modules[0].network.config()["omega0"] == PDE_FREQUENCIES[0]


def test_a_solution_with_chosen_frequencies_reloads_with_them(tmp_path):
    solution = pf.fit(poisson(pf.Siren(2, 1, width=8, depth=2)), steps=3, lbfgs_steps=0, progress=False)
    path = str(tmp_path / "s.pt")
    solution.save(path)
    points = np.random.default_rng(0).uniform(size=(20, 2))
    assert np.array_equal(pf.Solution.load(path).evaluate(u, points), solution.evaluate(u, points))


@pytest.mark.parametrize("make", [lambda: pf.Siren(2, 1, width=8, depth=2),
                                  lambda: pf.MLP(2, 1, width=8, depth=2)], ids=["siren", "mlp"])
def test_a_problem_and_its_scaled_copy_train_to_the_same_field(make):
    """x -> 100 x with the equation scaled to match: normalising inputs to [-1, 1] makes both the same run."""
    unit = pf.fit(poisson(make()), steps=15, lbfgs_steps=0, seed=2, dtype=torch.float64, progress=False)
    scaled = pf.fit(poisson(make(), scale=100.0), steps=15, lbfgs_steps=0, seed=2, dtype=torch.float64,
                    progress=False)
    points = np.random.default_rng(1).uniform(size=(50, 2))
    # the points differ in the last bits (100 U vs U, then normalised), which Adam's division by
    # sqrt(v) amplifies for weights with tiny gradients: equal to 1e-6, where no normalisation
    # would leave them O(1) apart
    np.testing.assert_allclose(scaled.history["loss"], unit.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(scaled.evaluate(u, 100 * points), unit.evaluate(u, points), rtol=1e-6, atol=1e-7)


def test_time_limit_stops_training_at_a_boundary():
    started = time.perf_counter()
    solution = pf.fit(poisson(pf.Siren(2, 1, width=8, depth=2)), steps=10**6, time_limit=1.0, progress=False)
    assert time.perf_counter() - started < 30
    stopped = solution.info["stopped"]
    assert stopped["reason"] == "time_limit" and stopped["seconds"] >= 1.0
    assert 0 < solution.info["steps"] < 10**6


def test_tol_stops_once_the_held_out_loss_is_below_it():
    problem = poisson(pf.Siren(2, 1, width=8, depth=2))
    reached = pf.fit(problem, steps=400, lbfgs_steps=0, tol=1e6, progress=False)
    assert reached.info["stopped"]["reason"] == "tol" and reached.info["steps"] == 100
    assert 0 <= reached.info["stopped"]["held_out_loss"] <= 1e6
    never = pf.fit(problem, steps=200, lbfgs_steps=0, tol=0.0, progress=False)
    assert never.info["steps"] == 200 and never.info["stopped"]["reason"] is None
    assert never.info["stopped"]["held_out_loss"] > 0
    assert pf.fit(problem, steps=2, lbfgs_steps=0, progress=False).info["stopped"] is None


def test_the_held_out_loss_is_measured_on_points_training_never_saw():
    problem = poisson(pf.Siren(2, 1, width=8, depth=2))
    solution = pf.fit(problem, steps=100, lbfgs_steps=0, tol=0.0, progress=False)
    trained = solution.history["loss"][-1]
    assert solution.info["stopped"]["held_out_loss"] != pytest.approx(trained, rel=1e-6)


@pytest.mark.parametrize("options, message", [
    (dict(time_limit=0), "time_limit"), (dict(time_limit=-3), "time_limit"), (dict(time_limit="1h"), "time_limit"),
    (dict(tol=-1e-3), "tol"), (dict(tol=float("nan")), "tol"),
])
def test_bad_stopping_options_are_option_errors(options, message):
    with pytest.raises(pf.OptionError, match=message):
        pf.fit(poisson(pf.Siren(2, 1, width=8, depth=2)), **options, progress=False)


def test_a_condition_at_isolated_points_warns_and_names_pf_hard():
    square = pf.Box((-1, -1), (1, 1), coords=(x, y))
    source = pf.Points([[0.0, 0.0]], coords=(x, y))
    with pytest.warns(UserWarning, match=r"isolated point.*pf\.hard"):
        pf.Problem(fields={u: pf.Siren(2, 1, width=8, depth=2)},
                   constraints=[pf.Constraint(u.diff(x)**2 + u.diff(y)**2 - 1, on=square.interior),
                                pf.Constraint(u, on=source)])
    data = pf.Points([[0.0, 0.0]], coords=(x, y), values={"g": [1.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pf.Problem(fields={u: pf.Siren(2, 1, width=8, depth=2)},
                   constraints=[pf.Constraint(u - sp.Symbol("g"), on=data)])


def test_point_sources_imposed_exactly_give_the_factored_eikonal_form():
    sources = pf.Points([[-0.5, 0.0], [0.5, 0.0]], coords=(x, y))
    field = pf.hard(pf.Siren(2, 1, width=8, depth=2), value=0, on=sources)
    with torch.no_grad():
        at_sources = field(torch.tensor([[-0.5, 0.0], [0.5, 0.0]], dtype=torch.float32))
    assert torch.all(at_sources == 0)
    points = torch.tensor([[0.3, 0.4], [-1.0, 1.0], [0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    phi = field.phi(points)
    expected = torch.tensor([[np.hypot(0.2, 0.4)], [np.hypot(0.5, 1.0)], [0.5]], dtype=torch.float64)
    assert torch.allclose(phi.detach(), expected, rtol=1e-14)
    (gradient,) = torch.autograd.grad(phi.sum(), points)
    assert torch.allclose(gradient.norm(dim=1), torch.ones(3, dtype=torch.float64), rtol=1e-14)
