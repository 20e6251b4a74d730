"""A wave in a medium whose speed varies in space: u_tt = c(x)^2 u_xx, c = 1 + 0.5 x.

A user-defined variant of the ready ``wave1d`` problem: another speed, another initial shape,
checked against the leapfrog finite-difference reference. Writes wave_variable_speed.png.
"""

import numpy as np
import sympy as sp

import pinnfield as pf
from pinnfield.equations import wave

# Parameters: L-BFGS alone on one fixed set of points, as for the ready wave problems
lbfgs_steps = 2000

# Symbols
x, t = sp.symbols("x t")
u = sp.Function("u")(x, t)
speed = 1 + x / 2
pulse = sp.exp(-((x - 0.4) ** 2) / (2 * 0.08**2))

# Domain
line = pf.Interval(0, 1, x)
domain = line * pf.TimeInterval(0, 1, t)

# Problem
value, velocity = wave.initial_conditions(u, t, pulse, 0)
problem = pf.Problem(
    fields={u: pf.Siren(in_dim=2, out_dim=1, width=64, depth=3, omega0=30, omega_hidden=30)},
    constraints=[
        pf.Constraint(wave.residual(u, t, (x,), speed, domain=line) / 100, on=domain.interior, n=6000),
        pf.Constraint(u, on=domain.boundary, n=256, weight=10.0),
        pf.Constraint(value, on=domain.initial, n=512, name="initial value"),
        pf.Constraint(velocity / 10, on=domain.initial, n=512, name="initial velocity"),
    ],
)

# Solve
solution = pf.fit(problem, steps=0, lbfgs_steps=lbfgs_steps, seed=0)

# Validate against the leapfrog reference, computed 4x finer in x and sampled on the grid
from pinnfield.plot import save_figure  # noqa: E402
from pinnfield.validation.compare import compare_on_grid, snapshot_figure  # noqa: E402
from pinnfield.validation.wave_fd import solve_wave_box  # noqa: E402

axes = (np.linspace(0, 1, 101), np.linspace(0, 1, 101))
fd = solve_wave_box(0.0, 1.0, 401, 1.0, sp.lambdify(x, pulse), speed=sp.lambdify(x, speed), frames=101)
comparison = compare_on_grid(solution, "u", axes, {"fd": fd.values[::4]})
print(f"relative L2 error against the FD reference: {comparison.metrics()['rel_l2_fd']:.2e}")

# Plot
save_figure(snapshot_figure(comparison, solution.history, ("x", "t")), "wave_variable_speed.png")
