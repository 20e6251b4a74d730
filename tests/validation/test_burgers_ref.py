"""Burgers references: Cole-Hopf quadrature (initial data, symmetry, node convergence, the
published steepest slope) and the method of lines (second order, agreement at the standard
viscosity), bad input."""

import time

import numpy as np
import pytest

from pinnfield.errors import DataError, DomainError
from pinnfield.validation.burgers_ref import (
    SINE_NODES,
    burgers_sine,
    cole_hopf,
    solve_burgers_mol,
)
from pinnfield.validation.fd import convergence_order

NU = 0.01 / np.pi
X = np.linspace(-1.0, 1.0, 256)
T = np.linspace(0.0, 1.0, 101)


def u0(x):
    return -np.sin(np.pi * x)


def antiderivative(y):
    return (np.cos(np.pi * y) - 1.0) / np.pi


def test_small_time_matches_initial_data():
    u = cole_hopf(X, 1e-4, NU, antiderivative)
    # |u - u0| ~ t |u0 u0'| <= pi t / 2 = 1.6e-4
    assert np.max(np.abs(u - u0(X))) < 2e-4
    np.testing.assert_array_equal(burgers_sine(X, 0.0), u0(X))


def test_cole_hopf_at_zero_time_needs_the_initial_data():
    with pytest.raises(DomainError, match="t must be > 0.*pass initial=u0"):
        cole_hopf(X, 0.0, NU, antiderivative)
    u = cole_hopf(X, np.array([[0.0], [0.5]]), NU, antiderivative, initial=u0)
    assert u.shape == (2, 256)
    np.testing.assert_array_equal(u[0], u0(X))
    np.testing.assert_allclose(u[1], burgers_sine(X, 0.5), rtol=0, atol=1e-13)


def test_solution_vanishes_at_the_ends_and_the_centre():
    u = burgers_sine(np.array([[-1.0], [0.0], [1.0]]), T)
    assert u.shape == (3, 101)
    assert np.max(np.abs(u)) < 1e-12


def test_broadcasts_and_keeps_the_shock_profile():
    u = burgers_sine(X[:, None], T[None, :])
    assert u.shape == (256, 101)
    assert np.all(np.isfinite(u))
    assert np.max(np.abs(u)) <= 1.0 + 1e-12
    np.testing.assert_allclose(u, -u[::-1], rtol=0, atol=1e-12)
    assert u[127, -1] > 0.3 and u[128, -1] < -0.3  # steep front between x = -+1/255


def test_default_nodes_agree_with_doubled_nodes():
    xg, tg = np.meshgrid(
        np.concatenate([X, np.linspace(-0.02, 0.02, 41)]), T[1:], indexing="ij"
    )
    start = time.perf_counter()
    u = burgers_sine(xg, tg)
    seconds = time.perf_counter() - start
    doubled = burgers_sine(xg, tg, nodes=2 * SINE_NODES)
    difference = np.max(np.abs(u - doubled))
    print(f"default vs doubled nodes: {difference:.2e}; {xg.size} points in {seconds:.2f} s")
    assert difference <= 1e-12  # measured 1e-14
    # the generic default (400 nodes) agrees with the sine default near the shock at t = 1
    near = np.linspace(-0.05, 0.05, 21)
    np.testing.assert_allclose(
        cole_hopf(near, 1.0, NU, antiderivative), burgers_sine(near, 1.0), rtol=0, atol=1e-12
    )


def test_grid_of_256_by_101_takes_about_a_second():
    start = time.perf_counter()
    u = burgers_sine(X[:, None], T[None, :])
    seconds = time.perf_counter() - start
    print(f"256 x 101 Cole-Hopf grid: {seconds:.2f} s")
    assert u.shape == (256, 101)
    assert seconds < 3.0


def test_steepest_slope_matches_basdevant():
    t_star = 1.6037 / np.pi
    step = 1e-6
    slope = (burgers_sine(step, t_star) - burgers_sine(-step, t_star)) / (2 * step)
    print(f"|u_x(0, 1.6037/pi)| = {abs(slope):.6f} (published 152.00516)")
    assert abs(abs(slope) / 152.00516 - 1) < 0.005
    assert abs(abs(slope) / 152.00516 - 1) < 1e-5  # measured 2e-9
    times = np.linspace(0.49, 0.53, 41)
    slopes = np.abs(burgers_sine(step, times) - burgers_sine(-step, times)) / (2 * step)
    assert abs(times[np.argmax(slopes)] - t_star) <= 1e-3
    assert np.max(slopes) < 152.00516 * (1 + 1e-5)


def test_mol_is_second_order_for_the_smooth_case():
    nu = 0.1 / np.pi
    hs, errors = [], []
    for n in (41, 81, 161, 321):
        x, values = solve_burgers_mol(n, [0.5], nu, u0)
        assert x.shape == (n,) and values.shape == (n, 1)
        hs.append(x[1] - x[0])
        errors.append(float(np.max(np.abs(values[:, 0] - burgers_sine(x, 0.5, nu)))))
    slope = convergence_order(hs, errors)
    print(f"MOL slope at nu = 0.1/pi: {slope:.3f}, errors {errors}")
    assert abs(slope - 2) <= 0.2, (slope, errors)  # measured 1.98


def test_mol_agrees_with_cole_hopf_at_the_standard_viscosity():
    errors = {}
    for n in (1025, 2049):
        start = time.perf_counter()
        x, values = solve_burgers_mol(n, T, NU, u0)
        seconds = time.perf_counter() - start
        assert values.shape == (n, 101)
        np.testing.assert_array_equal(values[:, 0], np.where(np.abs(x) < 1, u0(x), 0.0))
        assert np.all(values[[0, -1]] == 0)
        every = (n - 1) // 256
        exact = burgers_sine(x[::every, None], T[None, :])
        errors[n] = np.linalg.norm(values[::every] - exact) / np.linalg.norm(exact)
        print(f"MOL n = {n}: relative L2 {errors[n]:.2e} in {seconds:.2f} s")
    assert errors[2049] < 1.2e-4  # measured 7.9e-5
    assert 3.5 < errors[1025] / errors[2049] < 4.5  # second order through the shock


def test_mol_reports_only_requested_times():
    x, values = solve_burgers_mol(65, [0.25, 0.5], 0.1 / np.pi, u0)
    assert values.shape == (65, 2)
    np.testing.assert_allclose(values[:, 1], burgers_sine(x, 0.5, 0.1 / np.pi), atol=6e-3)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: burgers_sine(X, 0.5, nu=0.0), "nu must be positive and finite"),
        (lambda: cole_hopf(X, -0.1, NU, antiderivative), r"t must be >= 0.*-0.1"),
        (lambda: burgers_sine(X, -1e-3), "t must be >= 0"),
        (lambda: solve_burgers_mol(65, T, -1.0, u0), "nu must be positive"),
        (lambda: solve_burgers_mol(4, T, NU, u0), r"n \(nodes, boundary included\) must be an integer >= 5; received 4"),
        (lambda: solve_burgers_mol(65, [0.0, 0.5, 0.5], NU, u0), "strictly increasing"),
        (lambda: solve_burgers_mol(65, [0.5, 0.2], NU, u0), r"times\[0\] = 0.5 >= times\[1\]"),
        (lambda: solve_burgers_mol(65, [-0.1, 0.5], NU, u0), "times must be >= 0"),
        (lambda: solve_burgers_mol(65, [], NU, u0), "non-empty 1-D"),
        (lambda: solve_burgers_mol(65, T, NU, u0, lower=1.0, upper=-1.0), "lower must be < upper"),
    ],
)
def test_bad_input_raises_domain_error(call, match):
    with pytest.raises(DomainError, match=match):
        call()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: solve_burgers_mol(65, T, NU, np.cos), "initial must vanish at both ends"),
        (lambda: cole_hopf(X, 0.5, NU, lambda y: np.log(y)), "must return finite values"),
        (lambda: cole_hopf(X, 0.5, NU, "cos"), "initial_antiderivative must be a callable"),
        (lambda: cole_hopf(X, 0.5, NU, antiderivative, nodes=1), r"nodes \(Gauss-Hermite nodes, e.g. 400\) must be an integer >= 2; received 1"),
        (lambda: burgers_sine(np.zeros(3), np.ones(4)), "x and t must broadcast together"),
    ],
)
def test_bad_data_raises_data_error(call, match):
    with np.errstate(all="ignore"), pytest.raises(DataError, match=match):
        call()
