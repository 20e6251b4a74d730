"""Inverse problem: the wave speed c of u_tt = c^2 u_xx learned from 200 noisy observations.

The field is the standing wave of the ready ``wave1d`` problem on (x, t) in [0, 1]^2,

    u = sin(pi x) cos(2 pi t) + 0.5 sin(4 pi x) cos(8 pi t),   true speed c = 2,

observed at 200 random points (x_i, t_i) with Gaussian noise of standard deviation 1% of the
range of u. The speed is unknown: c = pf.Parameter("c") starts at 1 and is kept in (0.5, 4).
As in Raissi, Perdikaris and Karniadakis (2019) the loss has only two terms, the data misfit
mean_i (u(x_i, t_i) - u_i)^2 and 10 mean_j (u_tt - c^2 u_xx)^2 / (8 pi)^4, the residual on
random collocation points; no initial or boundary condition is given. Both u and c are
trained together (Adam, then L-BFGS).

Writes inverse_wave.png (learned field with the observations, its error, the losses and the
trajectory of c) and inverse_wave.json (c, its relative error, steps, wall time) to ``--out``.

    python examples/inverse_wave.py                       # the defaults
    python examples/inverse_wave.py --steps 200 --lbfgs-steps 0 --out /tmp/quick
"""

import argparse
import os
import time

import numpy as np
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import wave
from pinnfield.io import write_json
from pinnfield.plot import field_panel, loss_panel, panels_figure, parameter_panel, save_figure

# Parameters
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=1000, help="Adam steps (default 1000)")
parser.add_argument("--lbfgs-steps", type=int, default=500, help="L-BFGS iterations after Adam (default 500)")
parser.add_argument("--collocation", type=int, default=2000, help="residual points per step (default 2000)")
parser.add_argument("--observations", type=int, default=200, help="observed points (default 200)")
parser.add_argument("--noise", type=float, default=0.01, help="noise std as a fraction of the range of u (default 0.01)")
parser.add_argument("--width", type=int, default=64, help="Siren width (default 64)")
parser.add_argument("--omega", type=float, default=10.0, help="Siren omega0 and omega_hidden (default 10)")
parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default 3e-3)")
parser.add_argument("--seed", type=int, default=0, help="seed of the observations and of training (default 0)")
parser.add_argument("--out", default=os.path.join("runs", "inverse_wave"), help="output folder (default runs/inverse_wave)")
args = parser.parse_args()
c_true = 2.0

# Symbols
x, t = sp.symbols("x t")
u = sp.Function("u")(x, t)
u_exact = wave.standing_wave((x,), t, c_true, [(1, (1,)), (sp.Rational(1, 2), (4,))], (1,))
c = pf.Parameter("c", init=1.0, bounds=(0.5, 4.0))
exact = sp.lambdify((x, t), u_exact, "numpy")

# Domain
domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
rng = np.random.default_rng(args.seed)
points = rng.uniform(size=(args.observations, 2))
grid = domain.grid(101)
signal_range = float(np.ptp(exact(*grid.T)))
observed = exact(*points.T) + args.noise * signal_range * rng.standard_normal(args.observations)
data = pf.Points(points, coords=(x, t), values={"u_obs": observed})

# Problem: the residual is scaled by the square of the fastest frequency, (8 pi)^2, and weighted
# 10 times the data, so that u cannot chase the noise at the expense of the equation
problem = pf.Problem(
    fields={u: pf.Siren(in_dim=2, out_dim=1, width=args.width, depth=3, omega0=args.omega, omega_hidden=args.omega)},
    constraints=[
        pf.Constraint(u - sp.Symbol("u_obs"), on=data, name="data"),
        pf.Constraint(wave.residual(u, t, (x,), c) / (8 * sp.pi) ** 2, on=domain.interior, n=args.collocation,
                      weight=10.0, name="residual"),
    ],
    exact={u: u_exact},
)

# Solve
started = time.perf_counter()
solution = pf.fit(problem, steps=args.steps, lr=args.lr, lbfgs_steps=args.lbfgs_steps, seed=args.seed)
seconds = time.perf_counter() - started
c_learned = solution.parameters["c"]
results = {
    "c_true": c_true, "c_init": c.init, "c": c_learned, "c_rel_error": abs(c_learned - c_true) / c_true,
    "rel_l2_exact": pf.metrics.rel_l2(solution, u, grid), "noise_std": args.noise * signal_range,
    "observations": args.observations, "collocation": args.collocation, "adam_steps": args.steps,
    "lbfgs_steps": args.lbfgs_steps, "steps": args.steps + args.lbfgs_steps, "wall_seconds": seconds,
    "threads": torch.get_num_threads(),
}
print(f"c = {c_learned:.5f} (true {c_true}), relative error {results['c_rel_error']:.2e}, "
      f"field rel L2 {results['rel_l2_exact']:.2e}, {seconds:.1f} s")

# Plot
axes = (np.linspace(0, 1, 101), np.linspace(0, 1, 101))
learned = solution.evaluate(u, grid)
fig, panels = panels_figure(4)
field_panel(panels[0], axes, learned, "learned u and the observations", cmap="RdBu_r", labels=("x", "t"))
panels[0].scatter(points[:, 0], points[:, 1], s=4, c="black")
field_panel(panels[1], axes, np.abs(learned - exact(*grid.T)), "|u - exact|", cmap="magma", labels=("x", "t"))
loss_panel(panels[2], solution.history, switch_step=args.steps if args.lbfgs_steps else None)
parameter_panel(panels[3], solution.history, {"c": c_true})
os.makedirs(args.out, exist_ok=True)
save_figure(fig, os.path.join(args.out, "inverse_wave.png"))
write_json(os.path.join(args.out, "inverse_wave.json"), results)
