"""Energy natural gradient descent (damped Gauss-Newton): the core solver on plain least-squares
problems with known minimisers, and pf.NaturalGradient as a training phase."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import poisson
from pinnfield.train.optimizers.gauss_newton import direction, gauss_newton_step, jacobian

x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)
U_EXACT = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
SQUARE = pf.Box((0, 0), (1, 1), coords=(x, y))


def iterate(residual_of, theta, iterations, damping=1e-14):
    """``iterations`` Gauss-Newton steps on R = residual_of(theta), theta a leaf tensor."""
    steps = []
    for _ in range(iterations):
        residual = residual_of(theta)
        steps.append(gauss_newton_step(residual, jacobian(residual, [theta]), [theta],
                                       lambda: residual_of(theta), damping))
    return steps


def test_the_jacobian_is_autograds():
    theta = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)

    def residual_of(t):
        return torch.stack([t[0] * t[1], torch.sin(t[2]), t[0] ** 3 - t[2], torch.exp(t[1])])

    expected = torch.autograd.functional.jacobian(residual_of, theta.detach())
    torch.testing.assert_close(jacobian(residual_of(theta), [theta]), expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("n,p", [(40, 7), (5, 12)])
def test_both_forms_of_the_direction_solve_the_damped_normal_equations(n, p):
    generator = torch.Generator().manual_seed(1)
    jac = torch.randn(n, p, generator=generator, dtype=torch.float64)
    residual = torch.randn(n, generator=generator, dtype=torch.float64)
    damping = 1e-3
    gram = jac @ jac.T if n < p else jac.T @ jac
    lam = damping * torch.trace(gram) / gram.shape[0]
    expected = -torch.linalg.solve(jac.T @ jac + lam * torch.eye(p, dtype=torch.float64), jac.T @ residual)
    torch.testing.assert_close(direction(jac, residual, damping), expected, rtol=1e-10, atol=1e-12)


def test_a_linear_least_squares_problem_is_solved_in_one_iteration():
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(30, 6, generator=generator, dtype=torch.float64)
    b = torch.randn(30, generator=generator, dtype=torch.float64)
    theta = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    (step,) = iterate(lambda t: a @ t - b, theta, 1)
    exact = torch.linalg.lstsq(a, b.reshape(-1, 1)).solution.reshape(-1)
    assert step.eta == 1.0
    torch.testing.assert_close(theta.detach(), exact, rtol=0, atol=1e-10)


def test_rosenbrock_as_least_squares_converges_to_its_minimum():
    theta = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    steps = iterate(lambda t: torch.stack([10 * (t[1] - t[0] ** 2), 1 - t[0]]), theta, 40)
    assert all(s.new_loss < s.loss or s.loss == 0 for s in steps if s.accepted)
    torch.testing.assert_close(theta.detach(), torch.ones(2, dtype=torch.float64), rtol=0, atol=1e-8)


def small_poisson(boundary_loss="mse"):
    return pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[pf.Constraint(poisson.residual(u, poisson.source(U_EXACT, (x, y)), (x, y)), on=SQUARE.interior,
                                   n=256),
                     pf.Constraint(u - U_EXACT, on=SQUARE.boundary, n=64, weight=10.0, loss=boundary_loss)],
        exact={u: U_EXACT},
    )


FLOAT64 = dict(dtype=torch.float64, progress=False, seed=0)


@pytest.mark.slow
def test_natural_gradient_after_adam_is_far_more_accurate_than_adam_alone():
    adam = pf.fit(small_poisson(), optimizer=[pf.Adam(steps=200, lr=1e-2)], **FLOAT64)
    both = pf.fit(small_poisson(), optimizer=[pf.Adam(steps=200, lr=1e-2), pf.NaturalGradient(steps=40)], **FLOAT64)
    grid = SQUARE.grid(51)
    # measured: Adam alone 8.2e-2, then 40 natural gradient steps 5.8e-3
    assert pf.metrics.rel_l2(both, u, grid) < pf.metrics.rel_l2(adam, u, grid) / 10
    assert both.info["phases"][1]["done"] == 40 and len(both.history["loss"]) == 240
    np.testing.assert_allclose(both.history["loss"][-1], min(both.history["loss"]))


def test_the_recorded_loss_is_the_squared_residual_vector_and_decreases():
    solution = pf.fit(small_poisson(), optimizer=[pf.NaturalGradient(steps=3)], **FLOAT64)
    loss = solution.history["loss"]
    assert len(loss) == 3 and loss[2] < loss[1] < loss[0]
    np.testing.assert_allclose(loss, np.add(solution.history["interior"], 10 * np.array(solution.history["boundary"])),
                               rtol=1e-14)


def test_a_least_absolute_constraint_is_refused_naming_the_term():
    with pytest.raises(pf.OptionError, match=r"the term 'boundary' has loss='mae'.*loss='mse'.*pf.LBFGS"):
        pf.fit(small_poisson("mae"), optimizer=[pf.NaturalGradient(steps=2)], **FLOAT64)


@pytest.mark.parametrize("options,message", [
    (dict(steps=-1), r"NaturalGradient steps must be an integer >= 0; received -1"),
    (dict(damping=0.0), r"NaturalGradient damping must be a finite number > 0; received 0.0"),
    (dict(damping=-1e-3), r"NaturalGradient damping must be a finite number > 0"),
    (dict(resample_every=0), r"NaturalGradient resample_every must be an integer >= 1"),
    (dict(sizes=0), r"NaturalGradient sizes must be an integer >= 1"),
    (dict(retries=-1), r"NaturalGradient retries must be an integer >= 0"),
    (dict(chunk=0), r"NaturalGradient chunk must be an integer >= 1"),
])
def test_bad_options_are_option_errors(options, message):
    with pytest.raises(pf.OptionError, match=message):
        pf.NaturalGradient(**options)
