"""Problem, fit and Solution: training behaviour, evaluation, save/load, and bad input."""

import os

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import poisson

x, y, t = sp.symbols("x y t")
u = sp.Function("u")(x, y)
U_EXACT = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)


def small_poisson(n=128, **field):
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    f = poisson.source(U_EXACT, (x, y))
    return pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0, **field)},
        constraints=[
            pf.Constraint(poisson.residual(u, f, (x, y)), on=square.interior, n=n),
            pf.Constraint(u - U_EXACT, on=square.boundary, n=n // 2, weight=10.0),
        ],
        exact={u: U_EXACT},
    )


def test_fit_lowers_the_loss_and_records_every_term():
    solution = pf.fit(small_poisson(), steps=150, lr=3e-3, progress=False, lbfgs_steps=0)
    history = solution.history
    assert set(history) == {"step", "loss", "interior", "boundary"}
    assert len(history["loss"]) == 150
    assert np.mean(history["loss"][-10:]) < 0.05 * np.mean(history["loss"][:10])
    assert solution.info["steps"] == 150 and solution.info["device"] == "cpu"


def test_fit_is_deterministic_for_a_seed_and_does_not_touch_the_problem():
    problem = small_poisson()
    before = [p.detach().clone() for p in problem.modules[0].parameters()]
    a = pf.fit(problem, steps=20, progress=False, seed=3, lbfgs_steps=0)
    b = pf.fit(problem, steps=20, progress=False, seed=3, lbfgs_steps=0)
    c = pf.fit(problem, steps=20, progress=False, seed=4, lbfgs_steps=0)
    assert a.history["loss"] == b.history["loss"]
    assert a.history["loss"] != c.history["loss"]
    assert all(torch.equal(p, q) for p, q in zip(before, problem.modules[0].parameters()))


def test_lbfgs_polish_reduces_the_loss_further():
    problem = small_poisson()
    adam = pf.fit(problem, steps=100, lr=3e-3, progress=False, lbfgs_steps=0)
    both = pf.fit(problem, steps=100, lr=3e-3, lbfgs_steps=100, progress=False)
    assert both.history["loss"][-1] < 0.5 * adam.history["loss"][-1]
    assert both.info["steps"] == 200


def test_lbfgs_in_rounds_redraws_the_batch_each_round():
    problem = small_poisson(n=32)
    fixed = pf.fit(problem, steps=0, lbfgs_steps=30, progress=False, dtype=torch.float64)
    rounds = pf.fit(problem, steps=0, lbfgs_steps=30, lbfgs_resample_every=10, progress=False, dtype=torch.float64)
    # the first evaluation of each round is on new points, so the loss jumps there
    assert fixed.history["loss"][:11] == rounds.history["loss"][:11]
    assert rounds.history["loss"] != fixed.history["loss"]
    assert rounds.info["lbfgs_evaluations"] >= 3
    with pytest.raises(pf.OptionError, match="lbfgs_resample_every must be an integer >= 1"):
        pf.fit(problem, steps=0, lbfgs_steps=3, lbfgs_resample_every=0, progress=False)


def test_callback_sees_every_step_and_can_stop_training_early():
    problem = small_poisson()
    seen = []

    def watch(done, solution):
        seen.append((done, len(solution.history["loss"]), float(solution.evaluate("u", np.zeros((1, 2)))[0])))
        return done == 7

    stopped = pf.fit(problem, steps=20, lbfgs_steps=5, schedule="constant", progress=False, callback=watch)
    assert [s[0] for s in seen] == list(range(1, 8))
    assert [s[1] for s in seen] == list(range(1, 8))
    assert stopped.info["steps"] == 7 and len(stopped.history["loss"]) == 7
    full = pf.fit(problem, steps=7, schedule="constant", progress=False, lbfgs_steps=0)
    assert seen[-1][2] == pytest.approx(float(full.evaluate("u", np.zeros((1, 2)))[0]), abs=0)
    rounds = []
    pf.fit(problem, steps=3, lbfgs_steps=10, lbfgs_resample_every=5, progress=False,
           callback=lambda done, solution: rounds.append(done))
    assert rounds == [1, 2, 3, 8, 13]


def test_jet_and_autograd_training_give_the_same_trajectory_in_float64():
    problem = small_poisson(n=64)
    jet = pf.fit(problem, steps=10, progress=False, dtype=torch.float64, derivatives="jet", lbfgs_steps=0)
    ref = pf.fit(problem, steps=10, progress=False, dtype=torch.float64, derivatives="autograd", lbfgs_steps=0)
    assert np.allclose(jet.history["loss"], ref.history["loss"], rtol=1e-9)


def test_evaluate_expressions_chunks_and_engines_agree():
    solution = pf.fit(small_poisson(), steps=30, progress=False, dtype=torch.float64, lbfgs_steps=0)
    points = pf.Box((0, 0), (1, 1), coords=(x, y)).grid(17)
    values = solution.evaluate("u", points)
    assert values.shape == (289,) and values.dtype == np.float64
    assert np.allclose(values, solution.evaluate(u, points, chunk=10), rtol=1e-12, atol=1e-14)
    lap_jet = solution.evaluate(pf.lap(u, (x, y)), points)
    lap_ref = solution.evaluate(pf.lap(u, (x, y)), points, derivatives="autograd")
    with pytest.raises(AttributeError, match="is not changed after it is made"):
        solution.derivatives = "autograd"
    assert np.allclose(lap_jet, lap_ref, rtol=1e-10, atol=1e-10)
    residual = solution.evaluate(poisson.residual(u, poisson.source(U_EXACT, (x, y)), (x, y)), points)
    assert np.allclose(residual, -lap_ref - 2 * np.pi**2 * np.sin(np.pi * points[:, 0]) * np.sin(np.pi * points[:, 1]))


def test_save_and_load_round_trip(tmp_path):
    solution = pf.fit(small_poisson(), steps=10, progress=False, lbfgs_steps=0)
    path = tmp_path / "out" / "solution.pt"
    solution.save(str(path))
    assert os.listdir(path.parent) == ["solution.pt"]
    loaded = pf.Solution.load(str(path))
    points = np.random.default_rng(0).uniform(size=(50, 2))
    assert np.array_equal(loaded.evaluate(u, points), solution.evaluate(u, points))
    assert loaded.history == solution.history
    assert loaded.exact == solution.exact
    assert pf.metrics.rel_l2(loaded, u, points) == pf.metrics.rel_l2(solution, u, points)


def test_data_columns_from_points_and_learned_parameters():
    rng = np.random.default_rng(0)
    xy = rng.uniform(size=(200, 2))
    observed = 2.5 * np.sin(np.pi * xy[:, 0])
    c = pf.Parameter("c", init=1.0)
    problem = pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[
            pf.Constraint(u - sp.Symbol("g"), on=pf.Points(xy, coords=(x, y), values={"g": observed})),
            pf.Constraint(u - c * sp.sin(sp.pi * x), on=pf.Box((0, 0), (1, 1), coords=(x, y)).interior, n=256),
        ],
    )
    solution = pf.fit(problem, steps=400, lr=2e-2, progress=False, lbfgs_steps=0)
    assert abs(solution.parameters["c"] - 2.5) < 0.02


def test_neumann_condition_uses_boundary_normals():
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    problem = pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[
            pf.Constraint(u - x - 2 * y, on=square.interior, n=256),
            pf.Constraint(pf.normal_derivative(u, (x, y)), on=square.boundary, n=64),
        ],
    )
    assert problem.lowered[1].requests[0].partials == frozenset({(1, 0), (0, 1)})
    solution = pf.fit(problem, steps=5, progress=False, lbfgs_steps=0)
    assert np.isfinite(solution.history["loss"]).all()


def test_nan_loss_stops_with_the_term_and_step_and_keeps_the_last_finite_state():
    c = pf.Parameter("c", init=0.01)
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    problem = pf.Problem(
        fields={u: pf.Siren(2, 1, width=8, depth=1)},
        constraints=[
            pf.Constraint(u, on=square.interior, n=32),
            pf.Constraint(sp.sqrt(c), on=square.boundary, n=8, name="root"),
        ],
    )
    with pytest.raises(pf.TrainingError, match="'root' became NaN or infinite at step 1") as caught:
        pf.fit(problem, steps=50, lr=0.1, optimizer="sgd", schedule="constant", progress=False)
    assert caught.value.solution.parameters["c"] == pytest.approx(0.01)
    assert len(caught.value.solution.history["root"]) == 1


def test_fields_run_on_the_device_of_the_run_and_multi_output_networks_work():
    v = sp.Function("v")(x, y)
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    problem = pf.Problem(
        fields={(u, v): pf.MLP(2, 2, width=16, depth=2)},
        constraints=[
            pf.Constraint(u.diff(x) - v, on=square.interior, n=64),
            pf.Constraint(v - sp.cos(x), on=square.interior, n=64),
            pf.Constraint(u - sp.sin(y), on=square.face(x, 0), n=16),
        ],
    )
    solution = pf.fit(problem, steps=300, lr=1e-2, progress=False, device="auto", lbfgs_steps=0)
    assert solution.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    points = square.grid(9)
    assert np.abs(solution.evaluate("v", points) - np.cos(points[:, 0])).max() < 0.1


# Bad input: each a PinnfieldError whose message names the problem and the fix.


def test_problem_without_constraints():
    with pytest.raises(pf.EquationError, match="Problem has no constraints"):
        pf.Problem(fields={u: pf.Siren(2, 1)}, constraints=[])


def test_constraints_on_other_coordinates_than_the_field():
    w = sp.Function("w")(x, t)
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    with pytest.raises(pf.EquationError, match="depends on t, which the constraints' regions do not sample"):
        pf.Problem(fields={w: pf.Siren(2, 1)}, constraints=[pf.Constraint(w, on=square.interior)])


def test_constraints_on_different_coordinate_sets():
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    strip = pf.Box((0, 0), (1, 1), coords=(x, t))
    with pytest.raises(pf.DomainError, match="expected every constraint on the same coordinates"):
        pf.Problem(fields={u: pf.Siren(2, 1)},
                   constraints=[pf.Constraint(u, on=square.interior), pf.Constraint(u, on=strip.interior)])


def test_network_size_must_match_the_field():
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    with pytest.raises(pf.EquationError, match="in_dim=3 inputs; expected in_dim=2"):
        pf.Problem(fields={u: pf.Siren(3, 1)}, constraints=[pf.Constraint(u, on=square.interior)])


@pytest.mark.parametrize("n", [0, -5, 2.5])
def test_constraint_point_count_must_be_positive(n):
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    with pytest.raises(pf.DomainError, match="n must be a positive integer"):
        pf.Constraint(u, on=square.interior, n=n)


def test_constraint_on_a_domain_instead_of_a_region():
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    with pytest.raises(pf.DomainError, match="Box.interior"):
        pf.Constraint(u, on=square)


@pytest.mark.parametrize("device,message", [("cuda:7", "is not available"), ("gpu", "not a torch device name")])
def test_a_device_that_does_not_exist(device, message):
    with pytest.raises(pf.OptionError, match=message):
        pf.fit(small_poisson(), steps=1, device=device, progress=False, lbfgs_steps=0)


def test_unknown_symbol_names_the_region_and_the_fix():
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    with pytest.raises(pf.EquationError, match=r"symbol 'k'.*pf.Parameter\('k'\)"):
        pf.Problem(fields={u: pf.Siren(2, 1)}, constraints=[pf.Constraint(u.diff(x, 2) + sp.Symbol("k") ** 2 * u, on=square.interior)])


def test_checkpoints_are_written_during_and_after_training(tmp_path):
    path = tmp_path / "checkpoint.pt"
    solution = pf.fit(small_poisson(), steps=25, checkpoint=str(path), checkpoint_every=10, progress=False, lbfgs_steps=0)
    loaded = pf.Solution.load(str(path))
    assert loaded.info["steps"] == 25
    assert loaded.history["loss"] == solution.history["loss"]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.pt"]


def test_loading_something_that_is_not_a_solution(tmp_path):
    with pytest.raises(pf.CheckpointError, match="No saved solution"):
        pf.Solution.load(str(tmp_path / "missing.pt"))
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    with pytest.raises(pf.CheckpointError, match="is not a pinnfield solution file"):
        pf.Solution.load(str(bad))


def test_space_time_problem_with_initial_condition_and_sobol_sampling():
    w = sp.Function("w")(x, t)
    slab = pf.Interval(0, 1, x) * pf.TimeInterval(0, 0.5, t)
    exact = sp.exp(-sp.pi**2 * t / 10) * sp.sin(sp.pi * x)
    problem = pf.Problem(
        fields={w: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[
            pf.Constraint(pf.dt(w, t) - w.diff(x, 2) / 10, on=slab.interior, n=256),
            pf.Constraint(w - exact, on=slab.boundary, n=64),
            pf.Constraint(w - exact, on=slab.initial, n=64, weight=10.0),
        ],
        exact={w: exact},
    )
    assert problem.coords == (x, t)
    solution = pf.fit(problem, steps=300, lr=5e-3, sampling="sobol", progress=False, lbfgs_steps=0)
    assert solution.history["loss"][-1] < 0.005 * solution.history["loss"][0]
    assert pf.metrics.rel_l2(solution, w, slab.grid(21)) < 0.04


def test_causal_weighting_discounts_later_slabs_until_earlier_ones_are_solved():
    import sympy as sp

    from pinnfield.train.weighting.causal import CausalLoss

    x, t = sp.symbols("x t")
    domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 2, t)
    constraint = pf.Constraint(x, on=domain.interior, causal=pf.Causal(t, chunks=4, epsilon=10.0))
    loss = CausalLoss(constraint, (x, t))
    points = torch.tensor([[0.5, 0.1], [0.5, 0.6], [0.5, 1.1], [0.5, 1.9]], dtype=torch.float64)
    squared = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    weights = torch.exp(-10.0 * torch.tensor([0.0, 0.1, 0.3, 0.6], dtype=torch.float64))
    assert float(loss(squared, points)) == pytest.approx(float((weights * squared).mean()), rel=1e-12)
    solved = torch.tensor([0.0, 0.0, 0.0, 0.4], dtype=torch.float64)
    assert float(loss(solved, points)) == pytest.approx(0.1, rel=1e-12)
    radial = pf.Constraint(x, on=domain.interior, causal=pf.Causal(sp.sqrt(x**2 + t**2), chunks=4))
    assert CausalLoss(radial, (x, t)).span > 0


def test_frozen_causal_weights_stay_those_of_the_batch_they_were_taken_on():
    import sympy as sp

    from pinnfield.train.weighting.causal import CausalLoss

    x, t = sp.symbols("x t")
    domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 2, t)
    loss = CausalLoss(pf.Constraint(x, on=domain.interior, causal=pf.Causal(t, chunks=4, epsilon=10.0)), (x, t))
    points = torch.tensor([[0.5, 0.1], [0.5, 0.6], [0.5, 1.1], [0.5, 1.9]], dtype=torch.float64)
    loss.freeze(torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64), points)
    weights = torch.exp(-10.0 * torch.tensor([0.0, 0.1, 0.3, 0.6], dtype=torch.float64))
    later = torch.tensor([1.0, 0.0, 0.0, 0.5], dtype=torch.float64, requires_grad=True)
    value = loss(later, points)
    assert float(value.detach()) == pytest.approx(float((weights * later.detach()).mean()), rel=1e-12)
    value.backward()
    torch.testing.assert_close(later.grad, weights / 4, rtol=1e-12, atol=0)


def test_causal_weighting_trains_through_lbfgs_rounds():
    """Each L-BFGS round holds the slab weights of its batch, so the line search cannot lower the
    loss by switching later slabs off (with weights recomputed at every evaluation this run
    stopped after 77 evaluations at rel L2 3.5e-2)."""
    import sympy as sp

    x, t = sp.symbols("x t")
    w = sp.Function("w")(x, t)
    slab = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
    exact = sp.exp(-t) * sp.sin(sp.pi * x)
    problem = pf.Problem(
        fields={w: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[
            pf.Constraint(w.diff(t) + w, on=slab.interior, n=256, causal=pf.Causal(t, chunks=8, epsilon=100.0)),
            pf.Constraint(w - exact, on=slab.initial, n=64, weight=10.0, name="initial"),
            pf.Constraint(w, on=slab.boundary, n=64, name="sides"),
        ],
        exact={w: exact},
    )
    solution = pf.fit(problem, steps=0, lbfgs_steps=300, lbfgs_resample_every=100, dtype=torch.float64,
                      progress=False)
    assert solution.info["lbfgs_evaluations"] > 250
    assert pf.metrics.rel_l2(solution, w, slab.grid(21)) < 5e-3


def test_causal_needs_coordinates_of_the_region():
    import sympy as sp

    x, t, s = sp.symbols("x t s")
    domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
    with pytest.raises(pf.EquationError, match="which uses s, not coordinates"):
        pf.Constraint(x, on=domain.interior, causal=pf.Causal(s))
    with pytest.raises(pf.EquationError, match="chunks must be an integer >= 2"):
        pf.Causal(t, chunks=1)
    with pytest.raises(pf.EquationError, match="epsilon must be a positive number"):
        pf.Causal(t, epsilon=0)


@pytest.mark.parametrize("loss,reduce", [("mse", lambda r: np.mean(r**2)), ("mae", lambda r: np.mean(np.abs(r))),
                                         ("mean", np.mean)])
def test_constraint_loss_kinds_reduce_the_residual_as_documented(loss, reduce):
    xy = np.random.default_rng(0).uniform(size=(64, 2))
    points = pf.Points(xy, coords=(x, y))
    problem = pf.Problem(fields={u: pf.Siren(2, 1, width=8, depth=1)},
                         constraints=[pf.Constraint(u - 0.3 + x, on=points, loss=loss)])
    solution = pf.fit(problem, steps=1, lr=1e-9, progress=False, dtype=torch.float64, lbfgs_steps=0)
    residual = solution.evaluate(u - 0.3 + x, xy)
    assert solution.history["loss"][0] == pytest.approx(reduce(residual), rel=1e-6)


def test_unknown_constraint_loss_kind():
    with pytest.raises(pf.EquationError, match="loss='l2' is not known; expected one of mse, mae, mean"):
        pf.Constraint(u, on=pf.Box((0, 0), (1, 1), coords=(x, y)).interior, loss="l2")


def test_constraints_on_one_region_share_their_batch():
    from pinnfield.train.sampling.streams import PointStreams

    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    interior = square.interior
    constraints = [pf.Constraint(u, on=interior, n=32), pf.Constraint(u.diff(x), on=interior, n=32),
                   pf.Constraint(u, on=interior, n=16), pf.Constraint(u, on=square.interior, n=32)]
    sampler = PointStreams(constraints, ["a", "b", "c", "d"], 0, pf.sampling.Uniform(), "cpu", torch.float64, None)
    assert sampler.groups == [[0, 1], [2], [3]]
    batches = sampler.sample()
    assert batches[0][0] is batches[1][0]
    assert not torch.equal(batches[0][0][:16], batches[2][0]) and not torch.equal(batches[0][0], batches[3][0])


def test_shared_derivative_tables_give_the_losses_of_separate_evaluation():
    """Two terms on one region (derivatives computed once, for the union of their requests) train
    exactly like the same terms on two equal regions (computed separately), in float64."""
    grid = pf.Box((0, 0), (1, 1), coords=(x, y)).grid(9)
    g = sp.sin(x) * sp.cos(2 * y)
    terms = [pf.lap(u, (x, y)) - pf.lap(g, (x, y)), u.diff(x, 2) + u.diff(x) - g]

    def trajectory(regions):
        problem = pf.Problem(fields={u: pf.Siren(2, 1, width=16, depth=2)},
                             constraints=[pf.Constraint(r, on=on, name=f"t{i}") for i, (r, on) in enumerate(zip(terms, regions))])
        history = pf.fit(problem, steps=5, lr=1e-3, dtype=torch.float64, progress=False).history
        return np.array([history["t0"], history["t1"]])

    one = pf.Points(grid, (x, y))
    shared, separate = trajectory([one, one]), trajectory([pf.Points(grid, (x, y)), pf.Points(grid, (x, y))])
    np.testing.assert_allclose(shared, separate, rtol=1e-12, atol=0)
    assert shared[0, -1] < shared[0, 0]


# Checkpoints and resumption: an interrupted run continues to the parameters of an uninterrupted one.


def weights_of(solution) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for m in solution.modules for p in m.parameters()])


def press_ctrl_c():
    raise KeyboardInterrupt


def interrupt_adam_update(monkeypatch, call, raise_it=press_ctrl_c):
    """Run ``raise_it()`` at the start of the call-th Adam update."""
    original, calls = torch.optim.Adam.step, []

    def step(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise_it()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step)


RESUMABLE = [{}, {"resample_every": 3, "schedule": "cosine"}, {"lbfgs_steps": 10, "lbfgs_resample_every": 5},
             {"weighting": pf.weighting.LRA(every=3), "sampling": pf.sampling.R3()},
             {"weighting": pf.weighting.ReLoBRaLo(rho=0.5), "sampling": pf.sampling.RARD(candidates=2),
              "resample_every": 3, "lbfgs_steps": 6, "lbfgs_resample_every": 3},
             {"weighting": pf.weighting.NTK(every=7, points=4), "lbfgs_steps": 6, "lbfgs_resample_every": 3}]


@pytest.mark.parametrize("settings", RESUMABLE,
                         ids=["adam", "resample_every=3", "lbfgs", "lra+r3", "relobralo+rard", "ntk+lbfgs"])
def test_a_run_interrupted_halfway_and_resumed_ends_like_an_uninterrupted_one(tmp_path, monkeypatch, settings):
    problem = small_poisson(n=64)
    settings = dict(steps=80, lr=3e-3, seed=1, dtype=torch.float64, progress=False, **settings)
    whole = pf.fit(problem, **settings)
    path = str(tmp_path / "checkpoint.pt")
    interrupt_adam_update(monkeypatch, 41)
    with pytest.raises(KeyboardInterrupt, match=r"after 40 of \d+ steps.*resume='.*checkpoint.pt'"):
        pf.fit(problem, checkpoint=path, checkpoint_every=30, **settings)
    assert pf.Solution.load(path).info["steps"] == 40
    resumed = pf.fit(problem, resume=path, **settings)
    torch.testing.assert_close(weights_of(resumed), weights_of(whole), rtol=1e-6, atol=0)
    np.testing.assert_allclose(resumed.history["loss"], whole.history["loss"], rtol=1e-6, atol=0)
    assert pf.Solution.load(path).info["steps"] == resumed.info["steps"] == whole.info["steps"]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.pt"]


@pytest.mark.parametrize("weighting", [None, pf.weighting.HeldOut()], ids=["fixed", "heldout"])
def test_an_interrupt_inside_an_lbfgs_round_resumes_from_the_start_of_that_round(tmp_path, monkeypatch, weighting):
    problem = small_poisson(n=64)
    settings = dict(steps=10, lbfgs_steps=20, lbfgs_resample_every=5, dtype=torch.float64, progress=False,
                    weighting=weighting)
    whole = pf.fit(problem, **settings)
    original, evaluations = torch.optim.LBFGS.step, []

    def step(self, closure):
        def counted():
            evaluations.append(1)
            if len(evaluations) == 14:
                raise KeyboardInterrupt
            return closure()
        return original(self, counted)

    monkeypatch.setattr(torch.optim.LBFGS, "step", step)
    path = str(tmp_path / "checkpoint.pt")
    with pytest.raises(KeyboardInterrupt, match="of 30 steps"):
        pf.fit(problem, checkpoint=path, **settings)
    saved = pf.Solution.load(path).info["steps"]
    assert saved > 10 and (saved - 10) % 5 == 0
    resumed = pf.fit(problem, resume=path, **settings)
    torch.testing.assert_close(weights_of(resumed), weights_of(whole), rtol=1e-6, atol=0)
    assert resumed.history == whole.history


def test_ctrl_c_during_an_update_is_delivered_once_the_update_is_done(tmp_path, monkeypatch):
    import signal

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's KeyboardInterrupt here")
    problem = small_poisson(n=32)
    settings = dict(steps=10, lbfgs_steps=0, dtype=torch.float64, progress=False)
    whole = pf.fit(problem, **settings)
    interrupt_adam_update(monkeypatch, 6, lambda: signal.raise_signal(signal.SIGINT))
    path = str(tmp_path / "checkpoint.pt")
    with pytest.raises(KeyboardInterrupt, match="after 6 of 10 steps"):
        pf.fit(problem, checkpoint=path, **settings)
    torch.testing.assert_close(weights_of(pf.fit(problem, resume=path, **settings)), weights_of(whole), rtol=0, atol=0)


def test_an_interrupt_without_a_checkpoint_is_passed_on_unchanged(tmp_path, monkeypatch):
    interrupt_adam_update(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt) as caught:
        pf.fit(small_poisson(n=32), steps=5, progress=False, lbfgs_steps=0)
    assert str(caught.value) == ""


def test_a_finished_run_can_be_resumed_to_train_longer(tmp_path):
    path = str(tmp_path / "checkpoint.pt")
    settings = dict(lbfgs_steps=0, schedule="constant", dtype=torch.float64, progress=False)
    pf.fit(small_poisson(n=32), steps=6, checkpoint=path, **settings)
    longer = pf.fit(small_poisson(n=32), steps=10, resume=path, **settings)
    assert longer.info["steps"] == 10 and len(longer.history["loss"]) == 10
    whole = pf.fit(small_poisson(n=32), steps=10, **settings)
    torch.testing.assert_close(weights_of(longer), weights_of(whole), rtol=1e-6, atol=0)


def test_a_run_that_learns_a_parameter_resumes_with_its_value_and_trajectory(tmp_path):
    """The history of a learned parameter (``param:<name>``) is restored with the rest."""
    k = pf.Parameter("k", init=0.5, bounds=(0.0, 3.0))
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    problem = pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2)},
        constraints=[pf.Constraint(pf.lap(u, (x, y)) + k * u, on=square.interior, n=32),
                     pf.Constraint(u - U_EXACT, on=square.boundary, n=16)])
    path = str(tmp_path / "checkpoint.pt")
    settings = dict(lr=1e-2, lbfgs_steps=0, schedule="constant", dtype=torch.float64, progress=False)
    pf.fit(problem, steps=5, checkpoint=path, **settings)
    resumed = pf.fit(problem, steps=10, resume=path, **settings)
    whole = pf.fit(problem, steps=10, **settings)
    assert resumed.parameters["k"] == pytest.approx(whole.parameters["k"], rel=1e-12)
    assert resumed.parameters["k"] != pytest.approx(0.5, rel=1e-3)
    np.testing.assert_allclose(resumed.history["param:k"], whole.history["param:k"], rtol=1e-12, atol=0)
    assert len(resumed.history["param:k"]) == 10


def test_resuming_with_other_settings_another_problem_or_no_checkpoint_is_refused(tmp_path):
    path = str(tmp_path / "checkpoint.pt")
    pf.fit(small_poisson(n=32), steps=4, checkpoint=path, progress=False, lbfgs_steps=0)
    resume = dict(steps=4, resume=path, progress=False)
    with pytest.raises(pf.CheckpointError, match=r"given lr=0.01, but the checkpoint was trained with lr=0.001"):
        pf.fit(small_poisson(n=32), lr=1e-2, **resume)
    with pytest.raises(pf.CheckpointError, match=r"given dtype='float64', but .* dtype='float32'"):
        pf.fit(small_poisson(n=32), dtype=torch.float64, **resume)
    with pytest.raises(pf.CheckpointError, match=r"given steps=2, but the checkpoint has done 4 steps"):
        pf.fit(small_poisson(n=32), **{**resume, "steps": 2})
    interior = small_poisson(n=32).constraints[0]
    rim = pf.Constraint(u, on=pf.Box((0, 0), (1, 1), coords=(x, y)).boundary, n=16, name="rim")
    with pytest.raises(pf.CheckpointError, match=r"problem whose terms are \['interior', 'boundary'\]; this problem's terms"):
        pf.fit(pf.Problem(fields={u: pf.Siren(2, 1, width=16, depth=2)}, constraints=[interior, rim]), **resume)
    heavier = small_poisson(n=32)
    heavier.constraints[1].weight = 20.0
    with pytest.raises(pf.CheckpointError, match=r"problem whose weights are \[1.0, 10.0\]; this problem's weights are \[1.0, 20.0\]"):
        pf.fit(heavier, **resume)
    with pytest.raises(pf.CheckpointError, match=r"problem whose networks are .*this problem's networks"):
        pf.fit(pf.Problem(fields={u: pf.Siren(2, 1, width=8, depth=2)}, constraints=small_poisson(n=32).constraints),
               **resume)
    with pytest.raises(pf.CheckpointError, match=r"No checkpoint at '.*missing.pt'"):
        pf.fit(small_poisson(n=32), **{**resume, "resume": str(tmp_path / "missing.pt")})
    solution_only = str(tmp_path / "solution.pt")
    pf.Solution.load(path).save(solution_only)
    with pytest.raises(pf.CheckpointError, match="holds no training state"):
        pf.fit(small_poisson(n=32), **{**resume, "resume": solution_only})
