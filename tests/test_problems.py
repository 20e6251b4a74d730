"""Every ready PDE problem: it builds, a short run lowers its loss and stays finite; the bad input
of the new equations gets clear errors; the cheaper problems train to measured bounds (slow)."""

import importlib

import numpy as np
import pytest
import sympy as sp

import pinnfield as pf
from pinnfield.equations import eikonal, helmholtz, wave
from pinnfield.io import grid_points
from pinnfield.problems import REGISTRY
from pinnfield.validation.report import outputs

x, y, t = sp.symbols("x y t")


def ready(name):
    return importlib.import_module(f"pinnfield.problems.{name}")


PDES = sorted(name for name in REGISTRY if not hasattr(ready(name), "report"))
"""The ready PDE problems (the data-fitting ones are in test_fitting_problems.py)."""


@pytest.mark.parametrize("name", PDES)
def test_short_run_lowers_the_loss_and_stays_finite(name):
    module = ready(name)
    solution = pf.fit(module.problem(width=16, n_interior=256), steps=40, lr=3e-3, progress=False, seed=1)
    loss = np.asarray(solution.history["loss"])
    assert np.all(np.isfinite(loss))
    assert loss[-5:].mean() < 0.8 * loss[:5].mean()


@pytest.mark.parametrize("name", PDES)
def test_protocol(name):
    module = ready(name)
    assert set(module.DEFAULTS) <= {"steps", "lr", "lbfgs_steps", "schedule", "seed", "sampling", "derivatives", "weighting"}
    axes = module.evaluation_axes()
    assert all(np.ndim(a) == 1 and len(a) >= 2 for a in axes)
    assert name in REGISTRY and REGISTRY[name]


def test_speed_must_be_positive_in_the_domain():
    u = sp.Function("u")(x, t)
    line = pf.Interval(0, 1, x)
    with pytest.raises(pf.DomainError, match=r"must be positive everywhere in the domain, but it is -0.5 at \(x = 0"):
        wave.residual(u, t, (x,), c=x - 0.5, domain=line)
    v = sp.Function("v")(x, y)
    square = pf.Box((-1, -1), (1, 1), coords=(x, y))
    with pytest.raises(pf.DomainError, match="must be positive everywhere"):
        eikonal.residual(v, (x, y), c=sp.tanh(5 * y), domain=square)
    with pytest.raises(pf.DomainError, match="must be positive everywhere"):
        eikonal.factored_residual(v, (x, y), (0, 0), c=y, domain=square)
    with pytest.raises(pf.EquationError, match="depends on time"):
        wave.residual(u, t, (x,), c=1 + t)


def test_pml_thicker_than_the_domain():
    with pytest.raises(pf.DomainError, match="PML of width 1.2 is thicker than the domain along x"):
        helmholtz.pml_profile(x, -1, 1, 1.2)
    with pytest.raises(pf.DomainError, match="expected a positive number"):
        helmholtz.pml_profile(x, -1, 1, 0)


def test_empty_time_interval():
    with pytest.raises(pf.DomainError, match="expected t0 < t1"):
        pf.TimeInterval(1, 0.5, t)


def test_initial_condition_on_a_field_the_problem_lacks():
    u, v = sp.Function("u")(x, t), sp.Function("v")(x, t)
    domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
    value, velocity = wave.initial_conditions(v, t, sp.sin(sp.pi * x))
    with pytest.raises(pf.EquationError, match=r"initial \(constraint 'initial value'\) uses the function v\(x, t\)"):
        pf.Problem(fields={u: pf.Siren(2, 1, 8, 1)},
                   constraints=[pf.Constraint(wave.residual(u, t, (x,), 2), on=domain.interior),
                                pf.Constraint(value, on=domain.initial, name="initial value")])


def test_complex_residual_needs_one_profile_per_coordinate():
    u_re, u_im = sp.Function("u_re")(x, y), sp.Function("u_im")(x, y)
    with pytest.raises(pf.EquationError, match="1 PML profiles for 2 coordinates"):
        helmholtz.complex_residual(u_re, u_im, (x, y), 3, pml=[0])


@pytest.mark.slow
@pytest.mark.parametrize("name,bound", [("eikonal", 1e-2), ("eikonal_layered", 3e-2)])
def test_default_training_reaches_the_target(name, bound):
    """The issue's targets (rel L2 against the best reference); measured on the 2-core CPU:
    eikonal 4.5e-4 against the exact distance, eikonal_layered 3.2e-3 against fast sweeping."""
    module = ready(name)
    solution = module.solve(progress=False)
    axes = module.evaluation_axes()
    references = module.references(axes)
    reference = references.get("exact", references["fd"])
    (expression,) = outputs(module, solution).values()
    values = solution.evaluate(expression, grid_points(axes)).reshape(reference.shape)
    assert pf.metrics.rel_l2(values, reference) <= bound
