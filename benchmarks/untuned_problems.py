"""The problems of the untuned suite (``benchmarks/untuned.py``), each written as a new user would.

Each builder ``problem(field)`` returns a :class:`Case`: the problem, how its error is measured and
the accuracy it should reach with fit's defaults. ``field(in_dim, out_dim)`` makes every network
(``pf.Siren`` with default arguments, unless the suite is asked to compare another); constraints
keep default points and weights. Nothing here is tuned to a problem: no frequencies, no weights,
no point counts.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

import numpy as np
import sympy as sp

import pinnfield as pf

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


@dataclasses.dataclass
class Case:
    """A problem, its error ``error(solution) -> float`` and the error it should reach."""

    problem: pf.Problem
    error: Callable
    target: float
    metric: str = "rel L2"


def _exact_error(domain, field, grid: int = 101) -> Callable:
    points = domain.grid(grid)
    return lambda solution: pf.metrics.rel_l2(solution, field, points)


def _poisson(field, domain, coords, u_exact) -> tuple[pf.Problem, sp.Function]:
    u = sp.Function("u")(*coords)
    f = -sum(sp.diff(u_exact, c, 2) for c in coords)
    return pf.Problem(
        fields={u: field(len(coords), 1)},
        constraints=[pf.Constraint(-pf.lap(u, coords) - f, on=domain.interior),
                     pf.Constraint(u - u_exact, on=domain.boundary)],
        exact={u: u_exact},
    ), u


def poisson_disk(field) -> Case:
    """-lap u = f on the unit disk, u = sin(pi x) sin(pi y)."""
    x, y = sp.symbols("x y")
    disk = pf.Disk((0, 0), 1, coords=(x, y))
    problem, u = _poisson(field, disk, (x, y), sp.sin(sp.pi * x) * sp.sin(sp.pi * y))
    return Case(problem, _exact_error(disk, u), 1e-3)


def poisson_ball(field) -> Case:
    """-lap u = f on the unit ball in 3-D, u = sin(pi x) sin(pi y) sin(pi z)."""
    x, y, z = sp.symbols("x y z")
    ball = pf.Ball((0, 0, 0), 1, coords=(x, y, z))
    problem, u = _poisson(field, ball, (x, y, z), sp.sin(sp.pi * x) * sp.sin(sp.pi * y) * sp.sin(sp.pi * z))
    return Case(problem, _exact_error(ball, u, 41), 1e-3)


def poisson_annulus(field) -> Case:
    """-lap u = f on the annulus 0.4 < r < 1, u = exp(x) cos(2 y)."""
    x, y = sp.symbols("x y")
    ring = pf.Disk((0, 0), 1, coords=(x, y)) - pf.Disk((0, 0), 0.4, coords=(x, y))
    problem, u = _poisson(field, ring, (x, y), sp.exp(x) * sp.cos(2 * y))
    return Case(problem, _exact_error(ring, u), 1e-3)


def poisson_physical_units(field) -> Case:
    """-lap u = f on a 100 m x 50 m plate, u = sin(pi x / 100) sin(2 pi y / 50) (SI units)."""
    x, y = sp.symbols("x y")
    plate = pf.Box((0, 0), (100, 50), coords=(x, y))
    problem, u = _poisson(field, plate, (x, y), sp.sin(sp.pi * x / 100) * sp.sin(2 * sp.pi * y / 50))
    return Case(problem, _exact_error(plate, u), 1e-3)


def poisson_mixed(field) -> Case:
    """-lap u = f on the unit square, u given on x = 0, 1 and du/dn given on y = 0, 1;
    u = sin(pi x) cosh(y) + x y^2."""
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    u_exact = sp.sin(sp.pi * x) * sp.cosh(y) + x * y**2
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    f = -pf.lap(u_exact, (x, y))
    uy = sp.diff(u_exact, y)
    problem = pf.Problem(
        fields={u: field(2, 1)},
        constraints=[pf.Constraint(-pf.lap(u, (x, y)) - f, on=square.interior),
                     pf.Constraint(u - u_exact, on=square.face(x, 0)),
                     pf.Constraint(u - u_exact, on=square.face(x, 1)),
                     pf.Constraint(-u.diff(y) + uy.subs(y, 0), on=square.face(y, 0)),
                     pf.Constraint(u.diff(y) - uy.subs(y, 1), on=square.face(y, 1))],
        exact={u: u_exact},
    )
    return Case(problem, _exact_error(square, u), 1e-3)


def laplace_holes(field) -> Case:
    """PINNacle's Poisson2d-C: lap u = 0 on [-0.5, 0.5]^2 less four disks of radius 0.1 at
    (+-0.3, +-0.3), u = 1 on the square, 0 on the disks; error against the COMSOL table."""
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    square = pf.Box((-0.5, -0.5), (0.5, 0.5), coords=(x, y))
    plate = square
    for cx in (-0.3, 0.3):
        for cy in (-0.3, 0.3):
            plate = plate - pf.Disk((cx, cy), 0.1, coords=(x, y))
    holes = [part for part in pf.domains.csg.csg_leaves(plate) if isinstance(part, pf.Disk)]
    problem = pf.Problem(
        fields={u: field(2, 1)},
        constraints=[pf.Constraint(pf.lap(u, (x, y)), on=plate.interior),
                     pf.Constraint(u - 1, on=plate.boundary_of(square))]
                    + [pf.Constraint(u, on=plate.boundary_of(hole)) for hole in holes],
    )
    table = np.loadtxt(os.path.join(SHARED, "pinnacle", "poisson1_cg_data.dat"), comments="%")

    def error(solution):
        return pf.metrics.rel_l2(solution.evaluate(u, table[:, :2]).ravel(), table[:, 2])

    return Case(problem, error, 2e-2, "vs COMSOL")


def helmholtz_disk(field) -> Case:
    """lap u + k^2 u = 0 on the unit disk, k = 2 pi, plane-wave boundary data:
    u = sin(k (0.6 x + 0.8 y))."""
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    k = 2 * sp.pi
    u_exact = sp.sin(k * (sp.Rational(3, 5) * x + sp.Rational(4, 5) * y))
    disk = pf.Disk((0, 0), 1, coords=(x, y))
    problem = pf.Problem(
        fields={u: field(2, 1)},
        constraints=[pf.Constraint(pf.lap(u, (x, y)) + k**2 * u, on=disk.interior),
                     pf.Constraint(u - u_exact, on=disk.boundary)],
        exact={u: u_exact},
    )
    return Case(problem, _exact_error(disk, u), 1e-2)


def eikonal_sources(field) -> Case:
    """|grad u| = 1 on [-1, 1]^2 with u = 0 at two point sources (+-0.5, 0): the distance to the
    nearer source. Written as the warning on a condition at isolated points tells the user: the
    sources imposed exactly with pf.hard, which is the factored form u = |x - p| N(x)."""
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    square = pf.Box((-1, -1), (1, 1), coords=(x, y))
    sources = pf.Points([[-0.5, 0.0], [0.5, 0.0]], coords=(x, y))
    problem = pf.Problem(
        fields={u: pf.hard(field(2, 1), value=0, on=sources)},
        constraints=[pf.Constraint(u.diff(x)**2 + u.diff(y)**2 - 1, on=square.interior)],
    )
    points = square.grid(101)
    exact = np.minimum(np.hypot(points[:, 0] + 0.5, points[:, 1]), np.hypot(points[:, 0] - 0.5, points[:, 1]))

    def error(solution):
        return pf.metrics.rel_l2(solution.evaluate(u, points).ravel(), exact)

    return Case(problem, error, 3e-2)


def heat_1d(field) -> Case:
    """u_t = u_xx / pi^2 on x in [0, 1], t in [0, 1], u(x, 0) = sin(pi x), u = 0 at x = 0, 1:
    u = exp(-t) sin(pi x)."""
    x, t = sp.symbols("x t")
    u = sp.Function("u")(x, t)
    u_exact = sp.exp(-t) * sp.sin(sp.pi * x)
    domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
    problem = pf.Problem(
        fields={u: field(2, 1)},
        constraints=[pf.Constraint(u.diff(t) - u.diff(x, 2) / sp.pi**2, on=domain.interior),
                     pf.Constraint(u - sp.sin(sp.pi * x), on=domain.initial),
                     pf.Constraint(u, on=domain.boundary)],
        exact={u: u_exact},
    )
    return Case(problem, _exact_error(domain, u), 1e-3)


def wave_1d(field) -> Case:
    """u_tt = u_xx on x in [0, 1], t in [0, 2], u(x, 0) = sin(pi x), u_t(x, 0) = 0, u = 0 at
    x = 0, 1: u = sin(pi x) cos(pi t)."""
    x, t = sp.symbols("x t")
    u = sp.Function("u")(x, t)
    u_exact = sp.sin(sp.pi * x) * sp.cos(sp.pi * t)
    domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 2, t)
    problem = pf.Problem(
        fields={u: field(2, 1)},
        constraints=[pf.Constraint(u.diff(t, 2) - u.diff(x, 2), on=domain.interior),
                     pf.Constraint(u - sp.sin(sp.pi * x), on=domain.initial, name="initial"),
                     pf.Constraint(u.diff(t), on=domain.initial, name="velocity"),
                     pf.Constraint(u, on=domain.boundary)],
        exact={u: u_exact},
    )
    return Case(problem, _exact_error(domain, u), 1e-3)


def advection_diffusion(field) -> Case:
    """-0.05 lap u + (1, 0.5) . grad u = f on the unit square, u = sin(pi x) sin(pi y) x."""
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    u_exact = x * sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
    square = pf.Box((0, 0), (1, 1), coords=(x, y))

    def operator(v):
        return -sp.Rational(1, 20) * pf.lap(v, (x, y)) + v.diff(x) + sp.Rational(1, 2) * v.diff(y)

    problem = pf.Problem(
        fields={u: field(2, 1)},
        constraints=[pf.Constraint(operator(u) - operator(u_exact), on=square.interior),
                     pf.Constraint(u, on=square.boundary)],
        exact={u: u_exact},
    )
    return Case(problem, _exact_error(square, u), 1e-3)


def coupled_system(field) -> Case:
    """A coupled system on the unit square: -lap u + v = f, -lap v + u = g, with u and v given
    on the boundary; u = sin(pi x) sin(pi y), v = x^2 + y^2. Error over both fields."""
    x, y = sp.symbols("x y")
    u, v = sp.Function("u")(x, y), sp.Function("v")(x, y)
    u_exact, v_exact = sp.sin(sp.pi * x) * sp.sin(sp.pi * y), x**2 + y**2
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    f = -pf.lap(u_exact, (x, y)) + v_exact
    g = -pf.lap(v_exact, (x, y)) + u_exact
    problem = pf.Problem(
        fields={u: field(2, 1), v: field(2, 1)},
        constraints=[pf.Constraint(-pf.lap(u, (x, y)) + v - f, on=square.interior, name="u_equation"),
                     pf.Constraint(-pf.lap(v, (x, y)) + u - g, on=square.interior, name="v_equation"),
                     pf.Constraint(u - u_exact, on=square.boundary, name="u_boundary"),
                     pf.Constraint(v - v_exact, on=square.boundary, name="v_boundary")],
        exact={u: u_exact, v: v_exact},
    )
    points = square.grid(101)

    def error(solution):
        pairs = [(solution.evaluate(w, points), solution.exact_values(w, points)) for w in (u, v)]
        return float(np.sqrt(sum(np.sum((a - b) ** 2) for a, b in pairs) / sum(np.sum(b**2) for _, b in pairs)))

    return Case(problem, error, 1e-3)


def inverse_wave_speed(field) -> Case:
    """The speed c of u_tt = c^2 u_xx learned from 200 observations with 1% noise, no boundary
    or initial data; u = sin(pi x) cos(2 pi t), true c = 2. Error |c - 2| / 2."""
    x, t = sp.symbols("x t")
    u = sp.Function("u")(x, t)
    c = pf.Parameter("c", init=1.0)
    rng = np.random.default_rng(0)
    points = rng.uniform(size=(200, 2))
    values = np.sin(np.pi * points[:, 0]) * np.cos(2 * np.pi * points[:, 1])
    values = values + 0.01 * np.ptp(values) * rng.standard_normal(len(values))
    data = pf.Points(points, coords=(x, t), values={"u_obs": values})
    domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
    problem = pf.Problem(
        fields={u: field(2, 1)},
        constraints=[pf.Constraint(u - sp.Symbol("u_obs"), on=data, name="data"),
                     pf.Constraint(u.diff(t, 2) - c**2 * u.diff(x, 2), on=domain.interior)],
    )
    return Case(problem, lambda solution: abs(solution.parameters["c"] - 2.0) / 2.0, 1e-2, "|c-2|/2")


PROBLEMS: dict[str, Callable[[], Case]] = {
    f.__name__: f for f in (
        poisson_disk, poisson_ball, poisson_annulus, poisson_physical_units, poisson_mixed, laplace_holes,
        helmholtz_disk, eikonal_sources, heat_1d, wave_1d, advection_diffusion, coupled_system,
        inverse_wave_speed,
    )
}
"""Every problem of the suite by name."""
