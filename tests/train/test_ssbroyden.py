"""pf.SSBroyden: the self-scaled Broyden iterations on plain vectors (quadratics, Rosenbrock), the
strong Wolfe line search, and the training phase (options, limited-memory switch, a resume inside
a round, line-search failure, a NaN loss, and a PDE in float64)."""

import math
import warnings

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import poisson
from pinnfield.train.optimizers import ssbroyden as phase_module
from pinnfield.train.optimizers.line_search import cubic_minimum, strong_wolfe
from pinnfield.train.optimizers.self_scaled import DenseInverse, Iterate, LimitedMemory, iterate, minimize

F64 = torch.float64
FLOAT64 = dict(dtype=F64, progress=False, seed=0)


def small_poisson():
    """The Poisson problem of test_contracts: a Siren of 337 weights, 64 + 32 points."""
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    exact = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    return pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[pf.Constraint(poisson.residual(u, poisson.source(exact, (x, y)), (x, y)), on=square.interior,
                                   n=64),
                     pf.Constraint(u - exact, on=square.boundary, n=32, weight=10.0)],
        exact={u: exact},
    )


def weights_of(solution):
    return torch.cat([p.detach().reshape(-1) for m in solution.modules for p in m.parameters()])


def quadratic(n):
    """A (n, n) symmetric positive definite, b (n,) and the minimiser A^-1 b of 1/2 x'Ax - b'x."""
    generator = torch.Generator().manual_seed(n)
    q = torch.randn(n, n, generator=generator, dtype=F64)
    a = q @ q.T + n * torch.eye(n, dtype=F64)
    b = torch.randn(n, generator=generator, dtype=F64)
    return a, b, torch.linalg.solve(a, b)


def quadratic_closure(a, b, minimiser):
    """f = 1/2 x'Ax - b'x + 1/2 b'A^-1 b = 1/2 e'Ae (e = x - x*), evaluated in the second form: the
    constant makes f* = 0, so that values near the minimum are resolved in float64."""
    def closure(x):
        e = x - minimiser
        return float(0.5 * e @ a @ e), a @ x - b
    return closure


def iterations_to(closure, minimiser, tolerance, limit, **options):
    for k in range(1, limit + 1):
        it, _ = minimize(closure, torch.zeros_like(minimiser), k, **options)
        if float((it.x - minimiser).abs().max()) <= tolerance:
            return k
    return None


@pytest.mark.parametrize("n", range(5, 11))
def test_a_near_exact_line_search_terminates_on_a_quadratic_in_n_iterations(n):
    # Broyden-class updates with exact line searches give conjugate directions: n steps
    a, b, minimiser = quadratic(n)
    assert iterations_to(quadratic_closure(a, b, minimiser), minimiser, 1e-10, n, c2=1e-8) == n


@pytest.mark.parametrize("n", range(5, 11))
def test_the_default_wolfe_search_reaches_a_quadratics_minimiser_within_2n_plus_2_iterations(n):
    # c2 = 0.9 is an inexact search, with no n-step termination; measured: 8, 14, 12, 17, 14, 16
    a, b, minimiser = quadratic(n)
    assert iterations_to(quadratic_closure(a, b, minimiser), minimiser, 1e-10, 2 * n + 2) is not None


def rosenbrock(x):
    x = x.detach().requires_grad_()
    value = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
    (gradient,) = torch.autograd.grad(value, x)
    return float(value.detach()), gradient


@pytest.mark.parametrize("n,dense_limit,limit", [(2, 10, 50), (2, 1, 50), (10, 10, 100), (10, 1, 100)])
def test_rosenbrock_from_the_standard_start_reaches_the_minimum(n, dense_limit, limit):
    # measured iterations: 38 and 39 (2-D), 89 and 79 (10-D extended), dense and limited memory
    start = torch.tensor([-1.2, 1.0] * (n // 2), dtype=F64)
    it, _ = minimize(rosenbrock, start, limit, dense_limit=dense_limit)
    assert float((it.x - 1).abs().max()) <= 1e-8


def test_the_dense_update_satisfies_the_secant_equation_and_stays_positive_definite():
    generator = torch.Generator().manual_seed(0)
    inverse = DenseInverse(torch.zeros(6, dtype=F64))
    for _ in range(5):
        g = torch.randn(6, generator=generator, dtype=F64)
        a = 0.7
        s = a * inverse.direction(g)
        y = -g * 0.3 + 0.1 * torch.randn(6, generator=generator, dtype=F64)
        if float(s @ y) <= 0:
            y = -y
        inverse.update(s, y, g, a)
        torch.testing.assert_close(inverse.matrix @ y, s, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(inverse.matrix, inverse.matrix.T, rtol=0, atol=1e-14)
        assert float(torch.linalg.eigvalsh(inverse.matrix).min()) > 0


def test_a_pair_without_positive_curvature_is_skipped():
    for inverse in (DenseInverse(torch.zeros(3, dtype=F64)), LimitedMemory(torch.zeros(3, dtype=F64), 5)):
        g = torch.ones(3, dtype=F64)
        inverse.update(torch.tensor([1.0, 0, 0], dtype=F64), torch.tensor([-1.0, 0, 0], dtype=F64), g, 1.0)
        assert inverse.updates == 0
        torch.testing.assert_close(inverse.direction(g), -g, rtol=0, atol=0)


def test_cubic_interpolation_finds_the_minimum_of_a_cubic():
    def cubic(t):
        return t ** 3 - 3 * t, 3 * t ** 2 - 3  # minimum at t = 1

    (f1, d1), (f2, d2) = cubic(0.2), cubic(2.5)
    assert cubic_minimum(0.2, f1, d1, 2.5, f2, d2, 0.2, 2.5) == pytest.approx(1.0, abs=1e-12)
    assert cubic_minimum(0.2, f1, d1, 2.5, f2, d2, 1.5, 2.5) == 1.5


@pytest.mark.parametrize("first", [1e-3, 1.0, 40.0])
def test_the_line_search_returns_a_strong_wolfe_step(first):
    def phi(a):  # f(x + a d) for f = exp(x) + x^2 / 2 ... along d = -1 from x = 2
        x = 2 - a
        return math.exp(x) + 4 * x * x, -(math.exp(x) + 8 * x), None

    value0, slope0, _ = phi(0.0)
    step = strong_wolfe(phi, value0, slope0, first)
    assert step is not None
    assert step.value <= value0 + 1e-4 * step.a * slope0 and abs(step.slope) <= 0.9 * abs(slope0)


def test_a_failing_line_search_leaves_the_iterate_and_reports_failure():
    def wrong(x):  # the gradient of |x|^2 with the wrong sign: -g is an ascent direction
        return float(x @ x), -2 * x

    it = Iterate(torch.ones(4, dtype=F64), 4.0, -2 * torch.ones(4, dtype=F64), DenseInverse(torch.zeros(4, dtype=F64)))
    assert iterate(it, wrong) == "failed"
    assert it.iterations == 0 and it.f == 4.0
    torch.testing.assert_close(it.x, torch.ones(4, dtype=F64), rtol=0, atol=0)


# the phase


@pytest.mark.parametrize("make,message", [
    (lambda: pf.SSBroyden(steps=-1), r"SSBroyden steps must be an integer >= 0; received -1"),
    (lambda: pf.SSBroyden(steps=3, history_size=0), r"SSBroyden history_size must be an integer >= 1"),
    (lambda: pf.SSBroyden(steps=3, dense_limit=0), r"SSBroyden dense_limit must be an integer >= 1"),
    (lambda: pf.SSBroyden(steps=3, resample_every=0), r"SSBroyden resample_every must be an integer >= 1"),
])
def test_bad_options_are_option_errors(make, message):
    with pytest.raises(pf.OptionError, match=message):
        make()


def test_more_parameters_than_dense_limit_switch_to_limited_memory_with_one_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        solution = pf.fit(small_poisson(), optimizer=[pf.SSBroyden(steps=4, dense_limit=100, history_size=3)],
                          **FLOAT64)
    messages = [str(w.message) for w in caught if "dense_limit" in str(w.message)]
    assert len(messages) == 1 and "SSBroyden: P = 337 trainable values, more than dense_limit = 100" in messages[0]
    assert solution.history["loss"][-1] < solution.history["loss"][0]
    assert solution.info["lbfgs_steps"] == 4 and solution.info["adam_steps"] == 0


@pytest.mark.parametrize("options", [dict(), dict(resample_every=3), dict(dense_limit=10, history_size=2)])
def test_a_run_stopped_inside_a_round_resumes_to_the_uninterrupted_parameters(options, tmp_path):
    path = str(tmp_path / "checkpoint.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = pf.fit(small_poisson(), optimizer=[pf.SSBroyden(steps=6, **options)], **FLOAT64)
        stopped = pf.fit(small_poisson(), optimizer=[pf.SSBroyden(steps=6, **options)], checkpoint=path,
                         callback=lambda done, solution: done == 4, **FLOAT64)
        resumed = pf.fit(small_poisson(), optimizer=[pf.SSBroyden(steps=6, **options)], resume=path, **FLOAT64)
    assert stopped.info["steps"] == 4 and resumed.info["steps"] == 6
    torch.testing.assert_close(weights_of(resumed), weights_of(whole), rtol=0, atol=0)
    assert resumed.history["loss"] == whole.history["loss"]


def test_a_line_search_failure_ends_the_phase_with_one_warning_and_training_moves_on(monkeypatch):
    monkeypatch.setattr(phase_module, "iterate", lambda it, closure: "failed")
    after_phase = []
    with pytest.warns(UserWarning, match=r"no step satisfying the strong Wolfe conditions at iteration 1 of 5"):
        solution = pf.fit(small_poisson(), optimizer=[pf.SSBroyden(steps=5), pf.Adam(steps=2)],
                          callback=lambda done, s: after_phase.append((done, weights_of(s))), **FLOAT64)
    assert [p["done"] for p in solution.info["phases"]] == [5, 2] and solution.info["steps"] == 7
    assert len(solution.history["loss"]) == 1 + 2 and [done for done, _ in after_phase] == [5, 6, 7]
    untrained = pf.fit(small_poisson(), optimizer=[pf.SSBroyden(steps=0)], **FLOAT64)
    torch.testing.assert_close(after_phase[0][1], weights_of(untrained), rtol=0, atol=0)


def test_a_nan_loss_stops_with_the_term_named_and_keeps_the_last_finite_state():
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    c = pf.Parameter("c", init=0.01)
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    problem = pf.Problem(
        fields={u: pf.Siren(2, 1, width=8, depth=1)},
        constraints=[pf.Constraint(u, on=square.interior, n=32),
                     pf.Constraint(sp.sqrt(c), on=square.boundary, n=8, name="root")],
    )
    with pytest.raises(pf.TrainingError, match=r"'root' became NaN or infinite at step \d+") as caught:
        pf.fit(problem, optimizer=[pf.SSBroyden(steps=20)], **FLOAT64)
    kept = caught.value.solution
    assert np.isfinite(kept.history["loss"]).all() and kept.parameters["c"] > 0


@pytest.mark.slow
def test_ssbroyden_after_adam_solves_poisson_far_better_than_adam_alone():
    # measured (float64, seed 0): Adam 200 -> 1.46e-1; then SSBroyden 200 -> 7.4e-4 (L-BFGS 200: 3.1e-3)
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    exact = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
    square = pf.Box((0, 0), (1, 1), coords=(x, y))

    def problem():
        return pf.Problem(
            fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3, omega_hidden=3)},
            constraints=[pf.Constraint(poisson.residual(u, poisson.source(exact, (x, y)), (x, y)), on=square.interior,
                                       n=256),
                         pf.Constraint(u - exact, on=square.boundary, n=64, weight=10.0)],
            exact={u: exact},
        )

    grid = square.grid(51)
    adam = pf.fit(problem(), optimizer=[pf.Adam(steps=200)], **FLOAT64)
    both = pf.fit(problem(), optimizer=[pf.Adam(steps=200), pf.SSBroyden(steps=200)], **FLOAT64)
    assert both.modules[0].parameters().__next__().dtype == torch.float64
    assert pf.metrics.rel_l2(both, u, grid) < 0.02 * pf.metrics.rel_l2(adam, u, grid)
