"""Adaptive loss weights (pf.weighting) and residual-based sampling (pf.sampling)."""

import math

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import poisson
from pinnfield.train.sampling.streams import PointStreams
from pinnfield.train.weighting import held_out_weights, relobralo_step

x, y, t = sp.symbols("x y t")
u = sp.Function("u")(x, y)
U_EXACT = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)


def small_poisson(n=64, boundary_weight=10.0):
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    f = poisson.source(U_EXACT, (x, y))
    return pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[
            pf.Constraint(poisson.residual(u, f, (x, y)), on=square.interior, n=n),
            pf.Constraint(u - U_EXACT, on=square.boundary, n=n // 2, weight=boundary_weight),
        ],
        exact={u: U_EXACT},
    )


def badly_scaled_1d():
    """u'' = -pi^2 sin(pi x) on [0, 1] with u = sin(pi x) + 1 + x; the residual scaled by 100
    and the boundary weight 1, so the residual's gradient swamps the boundary's."""
    v = sp.Function("v")(x)
    exact = sp.sin(sp.pi * x) + 1 + x
    line = pf.Interval(0, 1, x)
    return pf.Problem(
        fields={v: pf.Siren(1, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[
            pf.Constraint(100 * (v.diff(x, 2) - exact.diff(x, 2)), on=line.interior, n=64),
            pf.Constraint(v - exact, on=line.boundary, n=8),
        ],
        exact={v: exact},
    )


# Weighting


def test_lra_raises_the_weight_of_a_badly_scaled_boundary_term_and_lowers_its_error():
    settings = dict(steps=300, lbfgs_steps=0, lr=3e-3, seed=0, dtype=torch.float64, progress=False)
    fixed = pf.fit(badly_scaled_1d(), **settings)
    lra = pf.fit(badly_scaled_1d(), weighting=pf.weighting.LRA(alpha=0.9, every=10), **settings)
    weights = lra.history["weight:boundary"]
    assert min(weights) > 1.0 and lra.history["weight:interior"] == [1.0] * 300
    assert len(set(weights[:10])) == 1 and weights[10] != weights[9]  # updated every 10 steps
    assert np.mean(lra.history["boundary"][-20:]) < 1e-3 * np.mean(fixed.history["boundary"][-20:])
    grid = np.linspace(0, 1, 101)[:, None]
    assert pf.metrics.rel_l2(lra, "v", grid) < 0.5 * pf.metrics.rel_l2(fixed, "v", grid)


def test_relobralo_raises_the_weight_of_the_term_that_falls_slowest():
    lambdas = torch.ones(2, dtype=torch.float64)
    initial = previous = torch.tensor([1.0, 1.0], dtype=torch.float64)
    for step in range(1, 30):
        losses = torch.tensor([1.0, 0.8**step], dtype=torch.float64)
        lambdas = relobralo_step(lambdas, losses, previous, initial, alpha=0.9, temperature=0.1, rho=1.0)
        previous = losses
        assert float(lambdas.sum()) == pytest.approx(2.0, rel=1e-12)
    assert lambdas[0] > 1.5 > 0.5 > lambdas[1]


def test_relobralo_weights_are_recorded_keep_their_sum_and_are_reproducible():
    problem = small_poisson()
    scheme = pf.weighting.ReLoBRaLo(alpha=0.9, temperature=0.1, rho=0.5)
    a = pf.fit(problem, steps=40, weighting=scheme, progress=False, dtype=torch.float64, lbfgs_steps=0)
    b = pf.fit(problem, steps=40, weighting=scheme, progress=False, dtype=torch.float64, lbfgs_steps=0)
    assert a.history == b.history
    ratios = np.array(a.history["weight:interior"]) / 1.0 + np.array(a.history["weight:boundary"]) / 10.0
    np.testing.assert_allclose(ratios, 2.0, rtol=1e-12)
    assert a.history["weight:boundary"][0] == 10.0 and len(set(a.history["weight:boundary"])) > 10


def test_adaptive_weights_enter_the_total_and_stay_fixed_during_lbfgs():
    solution = pf.fit(small_poisson(), steps=6, lbfgs_steps=4, weighting=pf.weighting.LRA(every=1),
                      progress=False, dtype=torch.float64)
    h = solution.history
    assert list(h)[:6] == ["step", "loss", "interior", "boundary", "weight:interior", "weight:boundary"]
    assert all(len(h[k]) == len(h["step"]) for k in h)
    total = np.array(h["weight:interior"]) * h["interior"] + np.array(h["weight:boundary"]) * h["boundary"]
    np.testing.assert_allclose(h["loss"], total, rtol=1e-12)
    assert len(set(h["weight:boundary"][5:])) == 1 and len(set(h["weight:boundary"][:6])) == 6
    fixed = pf.fit(small_poisson(), steps=3, weighting={"boundary": 2.0}, progress=False, lbfgs_steps=0)
    assert not [k for k in fixed.history if k.startswith("weight:")]


def fixed_points_1d():
    """v'' = f on 5 given points and v = g at x = 0 and 1: every batch is the same points in
    the same order, so the kernel traces can be recomputed outside fit."""
    v = sp.Function("v")(x)
    exact = sp.sin(sp.pi * x) + x
    inside = pf.Points(np.linspace(0.1, 0.9, 5)[:, None], coords=(x,))
    ends = pf.Points(np.array([[0.0], [1.0]]), coords=(x,))
    return v, exact, pf.Problem(
        fields={v: pf.Siren(1, 1, width=8, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[pf.Constraint(v.diff(x, 2) - exact.diff(x, 2), on=inside, name="pde"),
                     pf.Constraint(v - exact, on=ends, weight=7.0, name="ends")],
    )


def test_ntk_weights_are_the_kernel_trace_ratios_of_nested_autograd_jacobians():
    v, exact, problem = fixed_points_1d()
    start = pf.fit(problem, steps=0, seed=3, dtype=torch.float64, progress=False).modules[0]
    solution = pf.fit(problem, steps=1, seed=3, dtype=torch.float64, progress=False,
                      weighting=pf.weighting.NTK(points=32))
    theta = list(start.parameters())
    f = sp.lambdify(x, exact.diff(x, 2))
    g = sp.lambdify(x, exact)

    def squared_gradient_norm(residual):
        grads = torch.autograd.grad(residual, theta, allow_unused=True)  # v'' does not see the last bias
        return sum(float((d**2).sum()) for d in grads if d is not None)

    def second_derivative(x0):
        point = torch.tensor([[x0]], dtype=torch.float64, requires_grad=True)
        (first,) = torch.autograd.grad(start(point).sum(), point, create_graph=True)
        return torch.autograd.grad(first.sum(), point, create_graph=True)[0].sum()

    pde = np.mean([squared_gradient_norm(second_derivative(x0) - f(x0)) for x0 in np.linspace(0.1, 0.9, 5)])
    ends = np.mean([squared_gradient_norm(start(torch.tensor([[x0]], dtype=torch.float64)).sum() - g(x0))
                    for x0 in (0.0, 1.0)])
    assert solution.history["weight:pde"][0] == pytest.approx((pde + ends) / pde, rel=1e-10)
    assert solution.history["weight:ends"][0] == pytest.approx((pde + ends) / ends, rel=1e-10)


def test_ntk_balances_a_badly_scaled_boundary_term_and_lowers_its_error():
    settings = dict(steps=300, lr=3e-3, seed=0, dtype=torch.float64, progress=False)
    fixed = pf.fit(badly_scaled_1d(), **settings)
    ntk = pf.fit(badly_scaled_1d(), weighting=pf.weighting.NTK(every=50, points=8), **settings)
    boundary, interior = ntk.history["weight:boundary"], ntk.history["weight:interior"]
    assert min(boundary) > 100 * max(interior)  # the residual's kernel is 1e4 times the boundary's
    assert len(set(boundary[:50])) == 1 and boundary[50] != boundary[49]  # updated every 50 steps
    grid = np.linspace(0, 1, 101)[:, None]
    assert pf.metrics.rel_l2(ntk, "v", grid) < 0.5 * pf.metrics.rel_l2(fixed, "v", grid)


def test_held_out_weights_scale_each_term_by_its_gap_over_the_geometric_mean():
    weights = held_out_weights([1.0, 10.0, 2.0, 3.0], [1e-6, 1e-8, None, 0.0], [1e-3, 2e-8, 5.0, 1.0])
    mean = math.sqrt(1000 * 2)  # gaps 1000 and 2; no residual, and an exact fit, keep w_i
    assert weights == pytest.approx([1000 / mean, 10 * 2 / mean, 2.0, 3.0], rel=1e-12)
    assert held_out_weights([1.0, 4.0], [None, None], [1.0, 1.0]) == [1.0, 4.0]


def test_held_out_weights_raise_the_term_that_fits_its_batch_but_not_fresh_points():
    """16 interior points per round, which a Siren of width 16 fits, and a boundary it fits
    as well on fresh points: from the second round on, the interior weighs more against the
    boundary than the constraints' 1 : 10. Weights hold within a round, and the history's loss
    is the weighted sum of its terms."""
    solution = pf.fit(small_poisson(n=16), steps=0, lbfgs_steps=30, lbfgs_resample_every=10, progress=False,
                      dtype=torch.float64, weighting=pf.weighting.HeldOut())
    interior = np.array(solution.history["weight:interior"])
    boundary = np.array(solution.history["weight:boundary"])
    assert (interior[0], boundary[0]) == (1.0, 10.0)
    changes = [i for i in range(1, len(interior)) if (interior[i], boundary[i]) != (interior[i - 1], boundary[i - 1])]
    assert len(changes) == 2
    assert interior[changes[0]] / boundary[changes[0]] > 1.0 / 10.0
    total = interior * solution.history["interior"] + boundary * solution.history["boundary"]
    np.testing.assert_allclose(solution.history["loss"], total, rtol=1e-12)


def test_held_out_weights_stay_put_when_every_round_trains_on_the_same_points():
    """The same points in every round: the fresh batch is the trained one, every gap is 1."""
    rng = np.random.default_rng(0)
    inside = pf.Points(rng.random((32, 2)), coords=(x, y))
    edge = pf.Box((0, 0), (1, 1), coords=(x, y)).boundary
    f = poisson.source(U_EXACT, (x, y))
    problem = pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[pf.Constraint(poisson.residual(u, f, (x, y)), on=inside, name="interior"),
                     pf.Constraint(u - U_EXACT, on=pf.Points(edge.sample(32, torch.Generator().manual_seed(0)).points
                                                             .numpy(), coords=(x, y)), weight=10.0, name="boundary")],
    )
    solution = pf.fit(problem, steps=0, lbfgs_steps=12, lbfgs_resample_every=4, progress=False,
                      dtype=torch.float64, weighting=pf.weighting.HeldOut())
    assert set(solution.history["weight:interior"]) == {1.0}
    assert set(solution.history["weight:boundary"]) == {10.0}


@pytest.mark.parametrize("settings, rounds", [(dict(steps=2, lbfgs_steps=0), 0), (dict(steps=0, lbfgs_steps=3), 1),
                                             (dict(steps=0, lbfgs_steps=3, lbfgs_resample_every=3), 1)])
def test_held_out_weights_without_lbfgs_rounds_warn_that_they_do_nothing(settings, rounds):
    with pytest.warns(UserWarning, match=rf"between L-BFGS rounds, and this run has {rounds}, so it keeps"):
        pf.fit(small_poisson(n=16), progress=False, weighting=pf.weighting.HeldOut(), **settings)


def test_ntk_weights_change_at_each_lbfgs_round_and_hold_within_it():
    solution = pf.fit(small_poisson(), steps=0, lbfgs_steps=8, lbfgs_resample_every=4, progress=False,
                      dtype=torch.float64, weighting=pf.weighting.NTK(alpha=0.5))
    weights = solution.history["weight:boundary"]
    changes = [i for i in range(1, len(weights)) if weights[i] != weights[i - 1]]
    assert len(changes) == 1 and len(set(weights)) == 2
    total = np.array(solution.history["weight:interior"]) * solution.history["interior"] + np.array(weights) * \
        solution.history["boundary"]
    np.testing.assert_allclose(solution.history["loss"], total, rtol=1e-12)


def test_the_loss_figure_draws_weights_dashed_on_a_second_axis():
    from pinnfield.plot import loss_panel, panels_figure

    solution = pf.fit(small_poisson(), steps=5, weighting=pf.weighting.LRA(every=2), progress=False, lbfgs_steps=0)
    fig, axes = panels_figure(1)
    loss_panel(axes[0], solution.history)
    labels = [line.get_label() for line in axes[0].get_lines()]
    assert labels == ["total (weighted)", "interior", "boundary"]
    twins = [a for a in fig.axes if a is not axes[0]]
    assert len(twins) == 1 and [line.get_linestyle() for line in twins[0].get_lines()] == ["--", "--"]


def test_causal_weighting_combines_with_adaptive_weights_and_sampling():
    w = sp.Function("w")(x, t)
    slab = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
    exact = sp.exp(-t) * sp.sin(sp.pi * x)
    problem = pf.Problem(
        fields={w: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[
            pf.Constraint(w.diff(t) + w - 0 * x, on=slab.interior, n=128, causal=pf.Causal(t, chunks=4, epsilon=10.0)),
            pf.Constraint(w - exact, on=slab.initial, n=32, weight=10.0, name="initial"),
        ],
    )
    solution = pf.fit(problem, steps=30, lr=3e-3, weighting=pf.weighting.LRA(every=5),
                      sampling=pf.sampling.R3(terms=["interior"]), progress=False)
    assert np.isfinite(solution.history["loss"]).all()
    assert solution.history["loss"][-1] < solution.history["loss"][0]


# Sampling


def bump(points):
    """A synthetic residual magnitude that is large only near x = 0.8."""
    return 100 * torch.exp(-(((points[:, 0] - 0.8) / 0.05) ** 2))


def test_rard_puts_points_where_the_residual_is_large():
    line = pf.Interval(0, 1, x)
    constraints = [pf.Constraint(x, on=line.interior, n=2000)]
    errors = lambda members, points, data: bump(points)  # noqa: E731
    near = lambda points: float(((points[:, 0] > 0.7) & (points[:, 0] < 0.9)).double().mean())  # noqa: E731

    def draw(scheme, seed=0):
        sampler = PointStreams(constraints, ["interior"], seed, scheme, "cpu", torch.float64, errors)
        return sampler.sample()[0][0]

    uniform = draw(pf.sampling.RARD(k=0.0))
    adaptive = draw(pf.sampling.RARD(k=1.0, c=1.0, candidates=8))
    assert adaptive.shape == (2000, 1) and uniform.shape == (2000, 1)
    assert near(uniform) == pytest.approx(0.2, abs=0.03)
    assert near(adaptive) > 0.5
    assert near(draw(pf.sampling.RARD(k=1.0, c=0.0, candidates=8))) > 0.9
    assert torch.equal(adaptive, draw(pf.sampling.RARD(k=1.0, c=1.0, candidates=8)))
    assert len(torch.unique(adaptive)) == 2000


def test_r3_keeps_high_residual_points_and_the_budget():
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    constraints = [pf.Constraint(u, on=square.interior, n=500), pf.Constraint(u, on=square.boundary, n=50)]
    scheme = pf.sampling.R3(terms=["interior", "boundary"])
    sampler = PointStreams(constraints, ["interior", "boundary"], 0, scheme, "cpu", torch.float64, None)
    first = sampler.sample()
    for i, (points, _) in enumerate(first):
        sampler.observe(i, bump(points))
    second = sampler.sample()
    for (old, old_data), (new, new_data) in zip(first, second):
        errors = bump(old)
        kept = old[errors > errors.mean()]
        assert new.shape == old.shape and 0 < len(kept) < len(old)
        assert torch.equal(new[:len(kept)], kept)
        assert not (new[len(kept):, None] == old[None]).all(-1).any()
        assert set(new_data) == set(old_data) and all(len(v) == len(new) for v in new_data.values())
    assert (bump(second[0][0]) > 1).double().mean() > (bump(first[0][0]) > 1).double().mean()
    third = sampler.sample()  # no residuals observed on the second population: it is kept
    assert torch.equal(third[0][0], second[0][0])


def test_by_default_only_interior_terms_are_adapted():
    slab = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
    w = sp.Function("w")(x, t)
    constraints = [pf.Constraint(w.diff(t), on=slab.interior, n=8), pf.Constraint(w, on=slab.boundary, n=8),
                   pf.Constraint(w, on=slab.initial, n=8), pf.Constraint(w, on=pf.Points(np.zeros((2, 2)), (x, t)))]
    names = ["interior", "boundary", "initial", "data"]
    assert pf.sampling.R3().adapted(constraints, names) == {0}
    assert pf.sampling.RARD(terms=["boundary", "initial"]).adapted(constraints, names) == {1, 2}


def test_adaptive_sampling_trains_and_is_reproducible():
    problem = small_poisson()
    for scheme in (pf.sampling.RARD(candidates=2), pf.sampling.R3(terms="interior")):
        a = pf.fit(problem, steps=20, sampling=scheme, progress=False, dtype=torch.float64, lbfgs_steps=0)
        b = pf.fit(problem, steps=20, sampling=scheme, progress=False, dtype=torch.float64, lbfgs_steps=0)
        assert a.history == b.history and set(a.history) == {"step", "loss", "interior", "boundary"}
        assert np.isfinite(a.history["loss"]).all()


# Bad options


@pytest.mark.parametrize("make,message", [
    (lambda: pf.weighting.LRA(alpha=0), r"LRA alpha must be a finite number > 0 and <= 1; received 0"),
    (lambda: pf.weighting.LRA(every=0), r"LRA every \(steps between updates\) must be an integer >= 1"),
    (lambda: pf.weighting.ReLoBRaLo(temperature=-1), "ReLoBRaLo temperature must be a finite number > 0"),
    (lambda: pf.weighting.ReLoBRaLo(rho=1.5), "ReLoBRaLo rho must be a finite number >= 0 and <= 1"),
    (lambda: pf.weighting.NTK(every=0), r"NTK every \(steps between updates\) must be an integer >= 1"),
    (lambda: pf.weighting.NTK(points=0), r"NTK points \(residual entries .*\) must be an integer >= 1"),
    (lambda: pf.weighting.NTK(alpha=2), "NTK alpha must be a finite number >= 0 and <= 1"),
    (lambda: pf.sampling.RARD(k=-1), "RARD k must be a finite number >= 0"),
    (lambda: pf.sampling.RARD(candidates=0.5), r"RARD candidates \(candidate points per training point\) must be an integer >= 1"),
    (lambda: pf.sampling.R3(terms=[]), "R3 terms must be None"),
])
def test_bad_scheme_options(make, message):
    with pytest.raises(pf.OptionError, match=message):
        make()


@pytest.mark.parametrize("options,message", [
    (dict(weighting="lrb"), r"weighting='lrb' is not known; .*\['heldout', 'lra', 'ntk', 'relobralo'\]"),
    (dict(weighting=pf.weighting.LRA(reference="pde")), r"LRA reference='pde' is not a term; the terms are \['interior', 'boundary'\]"),
    (dict(weighting={"rim": 2.0}), "weighting names the term 'rim'"),
    (dict(sampling="rad"), r"sampling='rad' is not known; expected one of \['r3', 'rard', 'sobol', 'uniform'\]"),
    (dict(sampling=pf.sampling.R3(terms=["rim"])), r"names the term 'rim'; the terms are"),
])
def test_bad_fit_options(options, message):
    with pytest.raises(pf.OptionError, match=message):
        pf.fit(small_poisson(), steps=1, progress=False, **options)


def test_sampling_cannot_adapt_given_points():
    xy = np.random.default_rng(0).uniform(size=(32, 2))
    problem = pf.Problem(fields={u: pf.Siren(2, 1, width=8, depth=1)},
                         constraints=[pf.Constraint(u - x, on=pf.Points(xy, coords=(x, y)), name="data")])
    with pytest.raises(pf.OptionError, match="found no term to adapt"):
        pf.fit(problem, steps=1, sampling=pf.sampling.R3(), progress=False, lbfgs_steps=0)
    with pytest.raises(pf.OptionError, match="cannot adapt the term 'data'"):
        pf.fit(problem, steps=1, sampling=pf.sampling.RARD(terms=["data"]), progress=False, lbfgs_steps=0)


def test_resuming_with_another_scheme_is_refused(tmp_path):
    path = str(tmp_path / "checkpoint.pt")
    pf.fit(small_poisson(), steps=4, checkpoint=path, weighting=pf.weighting.LRA(every=2), progress=False, lbfgs_steps=0)
    with pytest.raises(pf.CheckpointError, match=r"given weighting=.*'every': 3.*trained with weighting=.*'every': 2"):
        pf.fit(small_poisson(), steps=8, resume=path, weighting=pf.weighting.LRA(every=3), progress=False, lbfgs_steps=0)
