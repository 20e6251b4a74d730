"""Finite-difference wave-equation reference solver: second-order convergence in 1-D and 2-D
(zero and non-zero initial velocity), exactness at the magic time step, self-convergence with a
variable speed, the space-time result type, bad input."""


import numpy as np
import pytest

from pinnfield.errors import DataError, DomainError
from pinnfield.validation.fd import FDSolution, convergence_order
from pinnfield.validation.wave_fd import WaveFDSolution, solve_wave_box

PI = np.pi


def max_error(solution, exact):
    """Max-norm error over every node of every frame."""
    grids = np.meshgrid(*solution.axes, indexing="ij")
    return float(np.max(np.abs(solution.values - exact(*grids))))


def fitted_order(ns, exact, **kwargs):
    hs, errors = [], []
    for n in ns:
        solution = solve_wave_box(n=n, **kwargs)
        hs.append(solution.spacing[0])
        errors.append(max_error(solution, exact))
    return convergence_order(hs, errors), errors


def standing_1d(x, t):
    return np.sin(PI * x) * np.cos(2 * PI * t) + 0.5 * np.sin(4 * PI * x) * np.cos(8 * PI * t)


def test_1d_standing_waves_converge_at_second_order():
    # c = 2, cfl = 0.5: dt = h / 4 on every grid (frame spacing 0.1 = 16, 32, 64, 128 steps).
    slope, errors = fitted_order(
        (41, 81, 161, 321), standing_1d, lower=0.0, upper=1.0, t1=1.0,
        initial=lambda x: standing_1d(x, 0.0), speed=2.0, frames=11, cfl=0.5,
    )
    assert abs(slope - 2) <= 0.15, (slope, errors)
    assert errors[-1] < 1e-3


def test_1d_with_output_frames_not_aligned_to_the_grid_still_converges():
    slope, errors = fitted_order(
        (41, 81, 161, 321), standing_1d, lower=[0.0], upper=[1.0], t1=1.0,
        initial=lambda x: standing_1d(x, 0.0), speed=2.0, frames=101,
    )
    assert abs(slope - 2) <= 0.15, (slope, errors)


def standing_2d(x, y, t):
    return np.sin(PI * x) * np.sin(2 * PI * y) * np.cos(np.sqrt(5) * PI * t)


def test_2d_standing_wave_converges_at_second_order():
    slope, errors = fitted_order(
        (11, 21, 41, 81), standing_2d, lower=(0, 0), upper=(1, 1), t1=1.0,
        initial=lambda x, y: standing_2d(x, y, 0.0), frames=11,
    )
    assert abs(slope - 2) <= 0.15, (slope, errors)
    assert errors[-1] < 2e-3


def moving_2d(x, y, t):
    w = np.sqrt(2) * PI
    return np.sin(PI * x) * np.sin(PI * y) * (np.sin(w * t) + 0.5 * np.cos(w * t))


def test_2d_nonzero_initial_velocity_first_step_is_second_order():
    # A first step missing either the dt * v0 or the dt**2 / 2 term would give order <= 1.
    w = np.sqrt(2) * PI
    slope, errors = fitted_order(
        (11, 21, 41, 81), moving_2d, lower=(0, 0), upper=(1, 1), t1=1.0,
        initial=lambda x, y: moving_2d(x, y, 0.0),
        velocity=lambda x, y: w * np.sin(PI * x) * np.sin(PI * y), frames=11,
    )
    assert abs(slope - 2) <= 0.15, (slope, errors)


T0 = 0.25


def dalembert(x, t):
    """A 1-D solution with c = 1, time-dependent wall values and the linear initial velocity
    ``u_t(x, T0) = 1 + x``."""
    s = t - T0
    return np.cos(3 * (x - s)) + np.cos(3 * (x + s)) + s * (1 + x)


def test_1d_magic_time_step_is_exact_and_hits_every_frame():
    # With c dt = h (cfl = 1) leapfrog reproduces every d'Alembert solution at the nodes, and
    # the Taylor first step is exact for a linear initial velocity: the only error is rounding,
    # so every frame must be a time level of the scheme at exactly its time.
    solution = solve_wave_box(
        -0.5, 1.5, 41, 2.75, lambda x: dalembert(x, T0), velocity=lambda x: 1 + x,
        boundary=dalembert, frames=6, cfl=1.0, t0=T0,
    )
    np.testing.assert_allclose(solution.times, np.linspace(T0, 2.75, 6), rtol=0, atol=1e-15)
    assert max_error(solution, dalembert) < 1e-11


@pytest.mark.parametrize("d", [1, 2])
def test_variable_speed_self_convergence(d):
    # c = 1 + x / 2, max c = 1.5, cfl = 0.6: dt = 0.4 h on every grid. The Gaussian pulse is
    # below 1e-6 on the walls, so the data are compatible with u = 0 there to that level and
    # the solution stays smooth through the reflections.
    lower, upper = (0.0,) * d, (1.0,) * d
    ns = (81, 161, 321, 641) if d == 1 else (41, 81, 161)

    def pulse(*xs):
        return np.exp(-60 * sum((x - 0.5) ** 2 for x in xs))

    solutions = [
        solve_wave_box(lower, upper, n, 1.0, pulse, speed=lambda *xs: 1 + 0.5 * xs[0],
                       frames=11, cfl=0.6)
        for n in ns
    ]
    every_other = (slice(None, None, 2),) * d
    differences = [
        float(np.max(np.abs(fine.values[every_other] - coarse.values)))
        for coarse, fine in zip(solutions, solutions[1:])
    ]
    ratios = np.array(differences[:-1]) / differences[1:]
    assert np.all((3.5 < ratios) & (ratios < 4.5)), (differences, ratios)


def test_result_axes_time_last_points_interpolate_and_frames():
    solution = solve_wave_box((0, 0), (1, 2), (9, 11), 0.5,
                              lambda x, y: np.sin(PI * x) * np.sin(PI * y / 2), frames=5)
    assert isinstance(solution, WaveFDSolution) and solution.order == 2
    assert solution.values.shape == (9, 11, 5) and solution.space_dim == 2
    assert [len(a) for a in solution.axes] == [9, 11, 5]
    np.testing.assert_allclose(solution.times, [0, 0.125, 0.25, 0.375, 0.5], atol=1e-15)
    points = solution.points()
    assert points.shape == (9 * 11 * 5, 3)
    flat = np.ravel_multi_index((3, 4, 2), (9, 11, 5))
    np.testing.assert_array_equal(points[flat], [0.375, 0.8, 0.25])
    np.testing.assert_allclose(solution.interpolate(points), solution.values.reshape(-1),
                               atol=1e-12)
    snapshot = solution.frame(2)
    assert isinstance(snapshot, FDSolution) and snapshot.values.shape == (9, 11)
    np.testing.assert_array_equal(snapshot.values, solution.values[..., 2])


def test_boundary_gets_wall_coordinates_and_time_and_walls_take_it_from_t0():
    calls = []

    def boundary(x, y, t):
        calls.append((x.shape, t.shape, float(t[0])))
        return 1.0 + 0 * x

    solution = solve_wave_box((0, 0), (1, 1), 5, 1.0, lambda x, y: 0 * x, boundary=boundary,
                              frames=3, cfl=0.5)
    assert all(shape == (16,) and t_shape == (16,) for shape, t_shape, _ in calls)
    assert calls[0][2] == 0.0 and calls[-1][2] == pytest.approx(1.0)
    assert len(calls) == 8 + 1
    edge = np.ones((5, 5), dtype=bool)
    edge[1:-1, 1:-1] = False
    assert np.all(solution.values[edge] == 1.0)


def test_201_by_201_grid_with_101_frames():
    solution = solve_wave_box((0, 0), (1, 1), 201, 1.0,
                              lambda x, y: np.sin(PI * x) * np.sin(2 * PI * y))
    assert solution.values.shape == (201, 201, 101)
    assert max_error(solution, standing_2d) < 2e-4


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"t1": 0.5, "t0": 1.0},
         r"time interval \[1.0, 0.5\] is empty: t1 must be greater than t0"),
        ({"t1": 1.0, "t0": 1.0}, r"time interval \[1.0, 1.0\] is empty"),
        ({"speed": lambda x: 1 - 2 * x},
         r"speed must be positive and finite on every grid node, got minimum -1.0 at x=1"),
        ({"speed": 0.0}, "speed must be positive and finite.*got minimum 0.0"),
        ({"speed": lambda x: np.where(x > 0.5, np.nan, 1.0)}, "speed must return finite"),
        ({"cfl": 0.0}, r"cfl must lie in \(0, 1/sqrt\(d\)\] = \(0, 1\] in 1-D"),
        ({"cfl": 1.2}, r"cfl must lie in .*got cfl=1.2"),
        ({"n": 2}, "n must be an integer >= 3"),
        ({"frames": 1}, r"frames \(output times, t0 and t1 included\) must be an integer >= 2; received 1"),
        ({"lower": 1.0}, r"needs lower < upper.*received lower \(1.0,\) and upper \(1.0,\)"),
        ({"lower": (0, 0, 0), "upper": (1, 1, 1)}, "box dimension must be 1 or 2, got dimension 3"),
    ],
)
def test_bad_input_raises_domain_error(kwargs, match):
    arguments = {"lower": 0.0, "upper": 1.0, "n": 11, "t1": 1.0,
                 "initial": lambda *x: 0 * x[0]} | kwargs
    error = DataError if "must return" in match else DomainError
    with pytest.raises(error, match=match):
        solve_wave_box(**arguments)


def test_bad_cfl_and_speed_in_2d_name_the_limit_and_the_place():
    with pytest.raises(DomainError, match=r"\(0, 0.707107\] in 2-D .*got cfl=0.8"):
        solve_wave_box((0, 0), (1, 1), 5, 1.0, lambda x, y: 0 * x, cfl=0.8)
    with pytest.raises(DomainError, match=r"got minimum -0.5 at x=0, y=1"):
        solve_wave_box((0, 0), (1, 1), 5, 1.0, lambda x, y: 0 * x,
                       speed=lambda x, y: 1 + x - 1.5 * y)
