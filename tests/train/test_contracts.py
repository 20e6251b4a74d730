"""The extension contracts of training: every registered optimiser phase, weighting scheme and
sampler trains, checkpoints and resumes through the same loop; user subclasses work without any
edit inside pinnfield; bad options are OptionErrors that list the valid choices."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import poisson
from pinnfield.train.optimizers import FIRST_ORDER
from pinnfield.train.sampling import NAMES as SAMPLERS
from pinnfield.train.weighting import NAMES as WEIGHTINGS

x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)
U_EXACT = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
FLOAT64 = dict(dtype=torch.float64, progress=False, seed=0)


def small_poisson(n=64):
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    return pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[pf.Constraint(poisson.residual(u, poisson.source(U_EXACT, (x, y)), (x, y)), on=square.interior, n=n),
                     pf.Constraint(u - U_EXACT, on=square.boundary, n=n // 2, weight=10.0)],
        exact={u: U_EXACT},
    )


def weights_of(solution):
    return torch.cat([p.detach().reshape(-1) for m in solution.modules for p in m.parameters()])


PHASES = {**{name: (lambda c=cls: c(steps=6, lr=1e-3, schedule="constant", resample_every=6)) for name, cls in FIRST_ORDER.items()},
          "lbfgs": lambda: pf.LBFGS(steps=6, resample_every=2),
          "ssbroyden": lambda: pf.SSBroyden(steps=6, resample_every=2),
          "natural_gradient": lambda: pf.NaturalGradient(steps=6, resample_every=3)}


@pytest.mark.parametrize("name", sorted(PHASES))
def test_every_phase_trains_and_resumes_to_the_uninterrupted_parameters(name, tmp_path):
    path = str(tmp_path / "checkpoint.pt")
    whole = pf.fit(small_poisson(), optimizer=[PHASES[name]()], **FLOAT64)
    assert whole.info["steps"] == 6 and np.all(np.isfinite(whole.history["loss"]))
    assert whole.history["loss"][-1] < whole.history["loss"][0]
    first = PHASES[name]()
    first.steps = 4 if name not in ("lbfgs", "ssbroyden") else 2
    pf.fit(small_poisson(), optimizer=[first], checkpoint=path, **FLOAT64)
    resumed = pf.fit(small_poisson(), optimizer=[PHASES[name]()], resume=path, **FLOAT64)
    torch.testing.assert_close(weights_of(resumed), weights_of(whole), rtol=0, atol=0)
    assert resumed.history["loss"] == whole.history["loss"]


@pytest.mark.parametrize("name", sorted(WEIGHTINGS))
def test_every_weighting_by_name_equals_its_default_instance(name):
    settings = dict(steps=6, lbfgs_steps=4, lbfgs_resample_every=2, **FLOAT64)
    by_name = pf.fit(small_poisson(), weighting=name, **settings)
    by_instance = pf.fit(small_poisson(), weighting=WEIGHTINGS[name](), **settings)
    assert by_name.history == by_instance.history
    assert {f"weight:{n}" for n in ("interior", "boundary")} <= set(by_name.history)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_every_sampler_by_name_equals_its_default_instance(name):
    settings = dict(steps=6, lbfgs_steps=4, lbfgs_resample_every=2, **FLOAT64)
    by_name = pf.fit(small_poisson(), sampling=name, **settings)
    by_instance = pf.fit(small_poisson(), sampling=SAMPLERS[name](), **settings)
    assert by_name.history == by_instance.history and np.all(np.isfinite(by_name.history["loss"]))


def test_phases_given_as_objects_equal_the_keyword_shorthand():
    keywords = pf.fit(small_poisson(), steps=5, lr=2e-3, schedule="exponential", lbfgs_steps=4, **FLOAT64)
    phases = pf.fit(small_poisson(), optimizer=[pf.Adam(steps=5, lr=2e-3, schedule="exponential"), pf.LBFGS(steps=4)],
                    **FLOAT64)
    assert keywords.history == phases.history
    assert phases.info["phases"][0]["optimizer"] == "adam" and phases.info["phases"][1]["done"] == 4


class HalfBoundary(pf.AbstractWeighting):
    """The boundary's weight halved at every step: a scheme defined outside pinnfield."""

    def settings(self):
        return {"scheme": "HalfBoundary"}

    def init(self, names, weights, seed):
        return {"weights": list(weights)}

    def update(self, state, step, losses, view):
        return {"weights": [state["weights"][0], state["weights"][1] / 2]}


def test_a_user_weighting_scheme_sets_the_weights_and_is_recorded():
    solution = pf.fit(small_poisson(), steps=4, weighting=HalfBoundary(), **FLOAT64, lbfgs_steps=0)
    assert solution.history["weight:boundary"] == [5.0, 2.5, 1.25, 0.625]
    expected = [a + 5.0 / 2**k * b for k, (a, b) in
                enumerate(zip(solution.history["interior"], solution.history["boundary"]))]
    np.testing.assert_allclose(solution.history["loss"], expected, rtol=1e-14)


class EveryOther(pf.AbstractSampler):
    """Sobol points for every term: a sampler defined outside pinnfield."""

    method = "sobol"

    def settings(self):
        return "every-other"


def test_a_user_sampler_draws_the_points():
    ours = pf.fit(small_poisson(), steps=3, sampling=EveryOther(), **FLOAT64, lbfgs_steps=0)
    sobol = pf.fit(small_poisson(), steps=3, sampling="sobol", **FLOAT64, lbfgs_steps=0)
    assert ours.history == sobol.history


class Descent(pf.AbstractOptimizer):
    """Plain gradient descent with a fixed step: a phase defined outside pinnfield."""

    def __init__(self, steps, lr):
        super().__init__(steps)
        self.lr = lr

    def settings(self):
        return {"optimizer": "descent", "steps": self.steps, "lr": self.lr}

    def advance(self, run, state, done):
        if done == 0:
            run.resample()
        gradients = torch.autograd.grad(run.loss(done), run.variables)
        with run.committing(done + 1), torch.no_grad():
            for v, g in zip(run.variables, gradients):
                v -= self.lr * g


def test_a_user_phase_equals_sgd_on_one_batch():
    ours = pf.fit(small_poisson(), optimizer=[Descent(steps=5, lr=1e-4)], **FLOAT64)
    sgd = pf.fit(small_poisson(), optimizer=[pf.SGD(steps=5, lr=1e-4, schedule="constant", resample_every=5)],
                 **FLOAT64)
    torch.testing.assert_close(weights_of(ours), weights_of(sgd), rtol=1e-12, atol=1e-15)
    assert ours.info["steps"] == 5


@pytest.mark.parametrize("options,message", [
    (dict(optimizer="adma"), r"optimizer 'adma' is not known; expected one of \['adam', 'adamw', 'sgd'\]"),
    (dict(optimizer=[pf.Adam(steps=2), "lbfgs"]), r"a list of phases \(pf.AbstractOptimizer instances\)"),
    (dict(optimizer=pf.Adam(steps=2), steps=3), r"give the steps and learning rates in the phases"),
    (dict(optimizer=object()), r"optimizer <object object .*> is not known"),
    (dict(steps=-1), r"fit steps must be an integer >= 0; received -1"),
    (dict(lr=0.0), r"Adam lr must be a finite number > 0; received 0.0"),
    (dict(schedule="linear"), r"schedule 'linear' is not known; expected one of \['constant', 'cosine', 'exponential'\]"),
    (dict(weighting=3), r"weighting=3 is not known; expected None, a dict .*pf.AbstractWeighting subclass"),
    (dict(sampling=object()), r"sampling=<object .*> is not known; expected one of \['r3', 'rard', 'sobol', 'uniform'\]"),
    (dict(derivatives="forward"), r"derivatives 'forward' is not known; expected one of \['auto', 'autograd', 'jet'\]"),
    (dict(progress="yes"), r"fit progress must be True or False"),
    (dict(callback=3), r"fit callback must be a function"),
])
def test_bad_options_are_option_errors_naming_the_choices(options, message):
    with pytest.raises(pf.OptionError, match=message):
        pf.fit(small_poisson(), **{"progress": False, **options})


@pytest.mark.parametrize("make,message", [
    (lambda: pf.Adam(steps=-2), r"Adam steps must be an integer >= 0; received -2"),
    (lambda: pf.LBFGS(steps=2.5), r"LBFGS steps must be an integer >= 0; received 2.5"),
    (lambda: pf.SGD(steps=2, lr=-1), r"SGD lr must be a finite number > 0; received -1"),
    (lambda: pf.LBFGS(steps=2, resample_every=0), r"lbfgs_resample_every must be an integer >= 1"),
])
def test_bad_phase_options(make, message):
    with pytest.raises(pf.OptionError, match=message):
        make()
