"""Inverse problem: the wavenumber k of lap(u) + k^2 u = f learned from 200 noisy observations.

The equation is that of the ready ``helmholtz`` problem on the unit square, with the known
source f = -k0^2 sin(k0 x) sin(k0 y) and true wavenumber k0 = 4 pi, whose solution is

    u = sin(k0 x) sin(k0 y).

u is observed at 200 random points (x_i, y_i) with Gaussian noise of standard deviation 1% of
the range of u. The wavenumber is unknown: k = pf.Parameter("k") starts at 8 and is kept in
(2, 20). The loss has two terms, the data misfit mean_i (u(x_i, y_i) - u_i)^2 and
10 mean_j (lap(u) + k^2 u - f)^2 / A^2, the residual on random collocation points scaled by
A = k0^2, the amplitude of the given source; no boundary condition is given. Both u and k are trained together (Adam, then
L-BFGS).

Writes inverse_helmholtz.png (learned field with the observations, its error, the losses and
the trajectory of k) and inverse_helmholtz.json (k, its relative error, steps, wall time) to
``--out``.

    python examples/inverse_helmholtz.py                       # the defaults
    python examples/inverse_helmholtz.py --steps 200 --lbfgs-steps 0 --out /tmp/quick
"""

import argparse
import os
import time

import numpy as np
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import helmholtz
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
parser.add_argument("--out", default=os.path.join("runs", "inverse_helmholtz"),
                    help="output folder (default runs/inverse_helmholtz)")
args = parser.parse_args()
k_true = float(4 * np.pi)

# Symbols
x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)
k0 = 4 * sp.pi
u_exact = sp.sin(k0 * x) * sp.sin(k0 * y)
f = helmholtz.source(u_exact, (x, y), k0)
k = pf.Parameter("k", init=8.0, bounds=(2.0, 20.0))
exact = sp.lambdify((x, y), u_exact, "numpy")

# Domain
square = pf.Box((0, 0), (1, 1), coords=(x, y))
rng = np.random.default_rng(args.seed)
points = rng.uniform(size=(args.observations, 2))
grid = square.grid(101)
signal_range = float(np.ptp(exact(*grid.T)))
observed = exact(*points.T) + args.noise * signal_range * rng.standard_normal(args.observations)
data = pf.Points(points, coords=(x, y), values={"u_obs": observed})

# Problem: the residual is scaled by the amplitude of the source, k0^2, and weighted 10 times
# the data, so that u cannot chase the noise at the expense of the equation
problem = pf.Problem(
    fields={u: pf.Siren(in_dim=2, out_dim=1, width=args.width, depth=3, omega0=args.omega, omega_hidden=args.omega)},
    constraints=[
        pf.Constraint(u - sp.Symbol("u_obs"), on=data, name="data"),
        pf.Constraint(helmholtz.residual(u, f, (x, y), k) / k0**2, on=square.interior, n=args.collocation,
                      weight=10.0, name="residual"),
    ],
    exact={u: u_exact},
)

# Solve
started = time.perf_counter()
solution = pf.fit(problem, steps=args.steps, lr=args.lr, lbfgs_steps=args.lbfgs_steps, seed=args.seed)
seconds = time.perf_counter() - started
k_learned = solution.parameters["k"]
results = {
    "k_true": k_true, "k_init": k.init, "k": k_learned, "k_rel_error": abs(k_learned - k_true) / k_true,
    "rel_l2_exact": pf.metrics.rel_l2(solution, u, grid), "noise_std": args.noise * signal_range,
    "observations": args.observations, "collocation": args.collocation, "adam_steps": args.steps,
    "lbfgs_steps": args.lbfgs_steps, "steps": args.steps + args.lbfgs_steps, "wall_seconds": seconds,
    "threads": torch.get_num_threads(),
}
print(f"k = {k_learned:.5f} (true {k_true:.5f}), relative error {results['k_rel_error']:.2e}, "
      f"field rel L2 {results['rel_l2_exact']:.2e}, {seconds:.1f} s")

# Plot
axes = (np.linspace(0, 1, 101), np.linspace(0, 1, 101))
learned = solution.evaluate(u, grid)
fig, panels = panels_figure(4)
field_panel(panels[0], axes, learned, "learned u and the observations", cmap="RdBu_r")
panels[0].scatter(points[:, 0], points[:, 1], s=4, c="black")
field_panel(panels[1], axes, np.abs(learned - exact(*grid.T)), "|u - exact|", cmap="magma")
loss_panel(panels[2], solution.history, switch_step=args.steps if args.lbfgs_steps else None)
parameter_panel(panels[3], solution.history, {"k": k_true})
os.makedirs(args.out, exist_ok=True)
save_figure(fig, os.path.join(args.out, "inverse_helmholtz.png"))
write_json(os.path.join(args.out, "inverse_helmholtz.json"), results)
