"""Golden training trajectories: small, float64, fixed-seed runs of every ready problem and of
every optimiser, weighting and sampling scheme, whose loss histories are stored in
``tests/train/golden/trajectories.json`` (written by ``python tests/train/golden/record.py``) and compared by
``tests/train/test_golden.py``. A change of the training engine that keeps the arithmetic keeps
these histories to 1e-10 relative."""

import importlib

import numpy as np
import sympy as sp
import torch

import pinnfield as pf

ADAM_LBFGS = dict(steps=30, lbfgs_steps=10, dtype=torch.float64, seed=0, progress=False)
"""The common run: 30 first-order steps, then 10 L-BFGS iterations, in float64."""


def ready(name):
    return importlib.import_module(f"pinnfield.problems.{name}")


def _pde(name, **params):
    return lambda: ready(name).problem(**params)


def _inverse():
    x, t = sp.symbols("x t")
    u = sp.Function("u")(x, t)
    c = pf.Parameter("c", init=1.0, bounds=(0.5, 4.0))
    domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
    rng = np.random.default_rng(0)
    points = rng.uniform(size=(64, 2))
    values = np.sin(np.pi * points[:, 0]) * np.cos(2 * np.pi * points[:, 1])
    data = pf.Points(points, coords=(x, t), values={"u_obs": values})
    return pf.Problem(
        fields={u: pf.Siren(2, 1, 16, 2, omega0=3, omega_hidden=3)},
        constraints=[pf.Constraint(u - sp.Symbol("u_obs"), on=data, name="data"),
                     pf.Constraint((u.diff(t, 2) - c**2 * u.diff(x, 2)) / 100, on=domain.interior, n=128,
                                   name="pde")],
    )


def _hard():
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    exact = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
    plate = pf.Box((0, 0), (1, 1), coords=(x, y)) - pf.Disk((0.5, 0.5), 0.2, coords=(x, y))
    net = pf.hard(pf.Siren(2, 1, 16, 2, omega0=3, omega_hidden=3), value=exact, on=plate.boundary)
    return pf.Problem(fields={u: net},
                      constraints=[pf.Constraint(pf.lap(u, (x, y)) + pf.lap(exact, (x, y)), on=plate.interior, n=128)])


SMALL_PDE = dict(width=16, n_interior=128)

CASES = {
    # every ready PDE problem, small
    "poisson": (_pde("poisson", **SMALL_PDE), {}),
    "helmholtz": (_pde("helmholtz", **SMALL_PDE), {}),
    "helmholtz_source": (_pde("helmholtz_source", width=16, n_interior=128, n_source=64, n_boundary=64), {}),
    "wave1d": (_pde("wave1d", **SMALL_PDE), {}),
    "wave2d": (_pde("wave2d", width=16, n_interior=128, n_boundary=64, n_initial=64), {}),
    "eikonal": (_pde("eikonal", **SMALL_PDE), {}),
    "eikonal_layered": (_pde("eikonal_layered", **SMALL_PDE), {}),
    "burgers": (_pde("burgers", width=8, depth=3, n_interior=128, n_boundary=32, n_initial=32), {}),
    # the data-fitting problems, small
    "image": (lambda: ready("image").problem(size=16, net=pf.Siren(2, 1, 16, 2, omega0=30, omega_hidden=30), batch=64), {}),
    "image_poisson_grad": (lambda: ready("image_poisson_grad").problem(size=16, net=pf.Siren(2, 1, 16, 2, omega0=30, omega_hidden=30), batch=64), {}),
    "image_poisson_lap": (lambda: ready("image_poisson_lap").problem(size=16, net=pf.Siren(2, 1, 16, 2, omega0=30, omega_hidden=30), batch=64), {}),
    "audio": (lambda: ready("audio").problem(seconds=0.01, width=16, depth=2, batch=64), {}),
    "sdf": (lambda: ready("sdf").problem(width=16, depth=2, n_surface=64, n_space=64, n_sign=32), {}),
    "occupancy": (lambda: ready("occupancy").problem(width=16, depth=2, batch=64, pool=2000), {}),
    "nerf": (lambda: ready("nerf").problem(rays=16, n_coarse=4, n_fine=4, grid=0,
                                           field=dict(width=16, depth=2, colour_width=8, L_position=2, L_direction=1),
                                           scene=dict(size=8, n_train=2, n_val=1)),
             dict(steps=5, lbfgs_steps=0, derivatives="autograd")),
    # optimisers, schedules and resampling
    "poisson_adamw_exponential": (_pde("poisson", **SMALL_PDE), dict(optimizer="adamw", schedule="exponential")),
    "poisson_sgd_constant": (_pde("poisson", **SMALL_PDE), dict(optimizer="sgd", schedule="constant", lr=1e-5)),
    "poisson_resample5_lbfgs_rounds": (_pde("poisson", **SMALL_PDE), dict(resample_every=5, lbfgs_resample_every=4)),
    "poisson_autograd": (_pde("poisson", **SMALL_PDE), dict(derivatives="autograd")),
    "poisson_weights": (_pde("poisson", **SMALL_PDE), dict(weighting={"boundary": 3.0})),
    # weighting schemes
    "poisson_lra": (_pde("poisson", **SMALL_PDE), dict(weighting=lambda: pf.weighting.LRA(every=5))),
    "poisson_relobralo": (_pde("poisson", **SMALL_PDE), dict(weighting=lambda: pf.weighting.ReLoBRaLo())),
    "poisson_ntk": (_pde("poisson", **SMALL_PDE), dict(weighting=lambda: pf.weighting.NTK(every=10))),
    "wave1d_heldout": (_pde("wave1d", **SMALL_PDE), dict(weighting=lambda: pf.weighting.HeldOut(),
                                                          lbfgs_resample_every=4)),
    "wave1d_causal": (_pde("wave1d", causal_epsilon=10.0, **SMALL_PDE), dict(lbfgs_resample_every=5)),
    # sampling schemes
    "poisson_sobol": (_pde("poisson", **SMALL_PDE), dict(sampling="sobol")),
    "burgers_rard": (_pde("burgers", width=8, depth=3, n_interior=128, n_boundary=32, n_initial=32),
                     dict(sampling=lambda: pf.sampling.RARD(), resample_every=10, lbfgs_resample_every=5)),
    "burgers_r3": (_pde("burgers", width=8, depth=3, n_interior=128, n_boundary=32, n_initial=32),
                   dict(sampling=lambda: pf.sampling.R3(), lbfgs_resample_every=5)),
    # learned parameters and hard constraints
    "inverse_wave": (_inverse, {}),
    "hard_plate": (_hard, {}),
}
"""name -> (problem builder, fit settings over :data:`ADAM_LBFGS`; a callable value is built anew per run)."""


def run(name: str) -> dict:
    """Train case ``name`` and return its history (lists of floats)."""
    build, settings = CASES[name]
    settings = {k: (v() if callable(v) and k in ("weighting", "sampling") else v) for k, v in settings.items()}
    solution = pf.fit(build(), **{**ADAM_LBFGS, **settings})
    return {k: [float(v) for v in values] for k, values in solution.history.items()}
