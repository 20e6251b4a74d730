"""Poisson's equation -lap(u) = f on the unit square, solved with a Siren and validated.

Writes poisson_example.png (PINN, exact, error, loss) next to this script's working directory.
"""

import sympy as sp

import pinnfield as pf
from pinnfield.equations import poisson

# Parameters
steps, lbfgs_steps = 1000, 1000

# Symbols
x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)
u_exact = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
f = poisson.source(u_exact, (x, y))

# Domain
square = pf.Box((0, 0), (1, 1), coords=(x, y))

# Problem
problem = pf.Problem(
    fields={u: pf.Siren(in_dim=2, out_dim=1, width=64, depth=3, omega0=3, omega_hidden=3)},
    constraints=[
        pf.Constraint(poisson.residual(u, f, (x, y)), on=square.interior, n=2048),
        pf.Constraint(u - u_exact, on=square.boundary, n=512, weight=10.0),
    ],
    exact={u: u_exact},
)

# Solve
solution = pf.fit(problem, steps=steps, lbfgs_steps=lbfgs_steps, lr=1e-3, seed=0)
grid = square.grid(101)
error = pf.metrics.rel_l2(solution, u, grid)
print(f"relative L2 error against the exact solution: {error:.2e}")

# Plot
import numpy as np  # noqa: E402

from pinnfield.plot import save_figure  # noqa: E402
from pinnfield.validation.compare import compare_on_grid, comparison_figure  # noqa: E402

axes = (np.linspace(0, 1, 101), np.linspace(0, 1, 101))
save_figure(comparison_figure(compare_on_grid(solution, "u", axes), solution.history), "poisson_example.png")
