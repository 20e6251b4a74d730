"""Finite-difference Poisson reference solver: second-order convergence on manufactured
solutions with non-zero boundary values, exactness on cubics, interpolation, bad input."""

import inspect

import numpy as np
import pytest
import sympy as sp
from scipy.interpolate import RegularGridInterpolator
from scipy.sparse.linalg import spsolve

from pinnfield.errors import DataError, DomainError
from pinnfield.validation import fd
from pinnfield.validation.fd import (
    FDSolution, boundary_mask, check_counts, check_grid_box, convergence_order, evaluate_on_grid,
    solve_poisson_box,
)

X, Y, Z = sp.symbols("x y z", real=True)


def manufactured(u, symbols):
    """Numpy callables ``(u, f)`` with ``f = -lap(u)``, derived with sympy."""
    f = -sum(sp.diff(u, s, 2) for s in symbols)
    return sp.lambdify(symbols, u, "numpy"), sp.lambdify(symbols, f, "numpy")


def nodal_error(solution, exact):
    """Max-norm error of the FD solution on its nodes, boundary included."""
    grids = np.meshgrid(*solution.axes, indexing="ij")
    return float(np.max(np.abs(solution.values - exact(*grids))))


def fitted_order(lower, upper, ns, exact, source):
    hs, errors = [], []
    for n in ns:
        solution = solve_poisson_box(lower, upper, n, source, exact)
        hs.append(solution.spacing[0])
        errors.append(nodal_error(solution, exact))
    return convergence_order(hs, errors), errors


U2 = sp.exp(X) * sp.sin(2 * Y) + X**2 * Y
U3 = sp.sin(2 * X) * sp.exp(Y) * sp.cos(Z) + X * Y * Z**2
BOX2 = ((0.0, -0.5), (1.5, 1.0))
BOX3 = ((-0.5, 0.0, 0.25), (0.5, 1.25, 1.5))


def test_2d_manufactured_solution_converges_at_second_order():
    exact, source = manufactured(U2, (X, Y))
    slope, errors = fitted_order(*BOX2, (9, 17, 33, 65), exact, source)
    assert abs(slope - 2) <= 0.15, (slope, errors)
    assert errors[-1] < 1e-3


def test_3d_manufactured_solution_converges_at_second_order():
    exact, source = manufactured(U3, (X, Y, Z))
    slope, errors = fitted_order(*BOX3, (11, 17, 25, 33), exact, source)
    assert abs(slope - 2) <= 0.15, (slope, errors)
    assert errors[-1] < 1e-3


def test_large_3d_grid_uses_fast_solver_and_stays_accurate():
    exact, source = manufactured(U3, (X, Y, Z))
    coarse = solve_poisson_box(*BOX3, 21, source, exact)
    fine = solve_poisson_box(*BOX3, 41, source, exact)
    assert 39**3 > fd.SPARSE_DIRECT_MAX_3D
    ratio = nodal_error(coarse, exact) / nodal_error(fine, exact)
    assert 3.5 < ratio < 4.5


@pytest.mark.parametrize("n", [(9, 11, 13), (3, 5, 4)])
def test_sparse_and_spectral_solvers_agree(monkeypatch, n):
    exact, source = manufactured(U3, (X, Y, Z))
    sparse_lu = solve_poisson_box(*BOX3, n, source, exact)
    monkeypatch.setattr(fd, "SPARSE_DIRECT_MAX_3D", 0)
    spectral = solve_poisson_box(*BOX3, n, source, exact)
    np.testing.assert_allclose(spectral.values, sparse_lu.values, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "box, n, u",
    [
        (BOX2, (3, 4), X**3 + X * Y**2 - 2 * Y**3 + X * Y - 1),
        (BOX2, (7, 5), X**3 + X * Y**2 - 2 * Y**3 + X * Y - 1),
        (BOX3, (3, 5, 4), X**3 * Z - Y**2 * Z**3 + X * Y * Z + 2),
    ],
)
def test_stencil_is_exact_for_cubics(box, n, u):
    symbols = (X, Y, Z)[: len(box[0])]
    exact, source = manufactured(u, symbols)
    solution = solve_poisson_box(*box, n, source, exact)
    assert solution.values.shape == n
    assert solution.order == 2
    assert nodal_error(solution, exact) < 1e-12


def test_scalar_source_and_boundary_are_broadcast():
    solution = solve_poisson_box((0, 0), (2, 1), 9, lambda x, y: 0.0, lambda x, y: 3.0)
    np.testing.assert_allclose(solution.values, 3.0, rtol=0, atol=1e-13)


def test_boundary_values_are_copied_and_axes_match_box():
    exact, source = manufactured(U2, (X, Y))
    solution = solve_poisson_box(*BOX2, (9, 13), source, exact)
    lower, upper = BOX2
    for axis, lo, hi, count in zip(solution.axes, lower, upper, (9, 13)):
        assert (axis[0], axis[-1], len(axis)) == (lo, hi, count)
    grids = np.meshgrid(*solution.axes, indexing="ij")
    edge = np.ones(solution.values.shape, dtype=bool)
    edge[1:-1, 1:-1] = False
    np.testing.assert_array_equal(solution.values[edge], exact(*grids)[edge])


def test_points_follow_c_order_of_values():
    solution = solve_poisson_box((0, 0, 0), (1, 2, 3), (3, 4, 5), lambda *x: 1.0, lambda *x: 0.0)
    points = solution.points()
    assert points.shape == (3 * 4 * 5, 3)
    i, j, k = 2, 1, 3
    flat = np.ravel_multi_index((i, j, k), (3, 4, 5))
    np.testing.assert_array_equal(
        points[flat], [solution.axes[0][i], solution.axes[1][j], solution.axes[2][k]]
    )


def test_interpolate_reproduces_nodes_and_is_accurate_between_them():
    exact, source = manufactured(U2, (X, Y))
    solution = solve_poisson_box(*BOX2, 33, source, exact)
    assert solution.interpolation_method == "cubic"
    np.testing.assert_allclose(
        solution.interpolate(solution.points()), solution.values.reshape(-1), rtol=0, atol=1e-12
    )
    h = np.array(solution.spacing)
    midpoints = solution.points().reshape(33, 33, 2)[:-1, :-1].reshape(-1, 2) + h / 2
    between = np.max(np.abs(solution.interpolate(midpoints) - exact(*midpoints.T)))
    assert between <= 1.5 * nodal_error(solution, exact)


def test_cubic_interpolant_is_scipys_cubic_grid_spline():
    exact, source = manufactured(U2, (X, Y))
    solution = solve_poisson_box(*BOX2, (9, 12), source, exact)
    takes_solver = "solver" in inspect.signature(RegularGridInterpolator).parameters
    exact_solve = {"solver": spsolve} if takes_solver else {}
    reference = RegularGridInterpolator(
        solution.axes, solution.values, method="cubic", **exact_solve
    )
    points = np.random.default_rng(0).uniform(BOX2[0], BOX2[1], size=(200, 2))
    np.testing.assert_allclose(solution.interpolate(points), reference(points), rtol=0, atol=1e-12)


def test_interpolate_falls_back_to_linear_on_three_node_axes():
    solution = solve_poisson_box((0, 0), (1, 1), (3, 9), lambda x, y: 0.0, lambda x, y: x + 2 * y)
    assert solution.interpolation_method == "linear"
    points = np.array([[0.25, 0.3], [0.9, 0.05]])
    np.testing.assert_allclose(solution.interpolate(points), points @ [1.0, 2.0], atol=1e-12)


def test_interpolate_rejects_points_outside_the_box():
    solution = solve_poisson_box((0, 0), (1, 1), 5, lambda x, y: 1.0, lambda x, y: 0.0)
    with pytest.raises(DomainError, match="points must lie in the box"):
        solution.interpolate([[0.5, 1.5]])
    with pytest.raises(DomainError, match=r"points must have shape \(M, 2\)"):
        solution.interpolate([0.5, 0.5])


def test_convergence_order_is_the_fitted_log_log_slope():
    hs = np.array([0.1, 0.05, 0.025])
    assert convergence_order(hs, 3.0 * hs**2) == pytest.approx(2.0)
    with pytest.raises(DataError, match="errors must be positive"):
        convergence_order(hs, [1e-3, 0.0, 1e-5])


@pytest.mark.parametrize(
    "lower, upper, n, match",
    [
        ((0, 1), (1, 1), 5, r"needs lower < upper.*received lower \(0.0, 1.0\) and upper \(1.0, 1.0\)"),
        ((0, 2), (1, 1), 5, r"solve_poisson_box: the box \[lower, upper\] needs lower < upper"),
        ((0,), (1,), 5, "box dimension must be 2 or 3, got dimension 1"),
        ((0, 0, 0, 0), (1, 1, 1, 1), 5, "box dimension must be 2 or 3, got dimension 4"),
        ((0, 0), (1, 1, 1), 5, "lower and upper must be finite and of one length"),
        ((0, 0), (1, 1), 2, "n must be an integer >= 3; received 2"),
        ((0, 0), (1, 1), (5, 2), "n must be an integer >= 3"),
        ((0, 0), (1, 1), (5, 5, 5), "n must be an int or 2 ints"),
    ],
)
def test_bad_box_or_grid_raises_domain_error(lower, upper, n, match):
    with pytest.raises(DomainError, match=match):
        solve_poisson_box(lower, upper, n, lambda *x: 0.0, lambda *x: 0.0)


@pytest.mark.parametrize(
    "source, boundary, match",
    [
        (lambda x, y: np.full_like(x, np.nan), lambda x, y: 0.0, "source must return finite"),
        (lambda x, y: 0.0, lambda x, y: np.log(x - 1.0), "boundary must return finite"),
        (lambda x, y: np.ones(3), lambda x, y: 0.0, r"source must return an array of shape"),
        ("1.0", lambda x, y: 0.0, "source must be a callable"),
    ],
)
def test_bad_source_or_boundary_raises_data_error(source, boundary, match):
    with np.errstate(all="ignore"), pytest.raises(DataError, match=match):
        solve_poisson_box((0, 0), (1, 1), 5, source, boundary)


def test_grid_helpers_are_shared_checks():
    lo, hi = check_grid_box(0.0, 2.0, "solver", dims=(1, 2))
    assert lo.tolist() == [0.0] and hi.tolist() == [2.0]
    with pytest.raises(DomainError, match="solver: box dimension must be 2 or 3, got dimension 1"):
        check_grid_box((0,), (1,), "solver", dims=(2, 3))
    assert check_counts(5, 2, "solver") == (5, 5)
    with pytest.raises(DomainError, match="solver: n must be an integer >= 3; received True"):
        check_counts((5, True), 2, "solver")
    mask = boundary_mask((4, 3))
    assert mask.sum() == 4 * 3 - 2 * 1 and not mask[1:-1, 1:-1].any()
    x = np.linspace(0, 1, 3)
    assert evaluate_on_grid(lambda x: 2.0, "source", [x], "solver").tolist() == [2.0, 2.0, 2.0]
    assert evaluate_on_grid(lambda x: 1j, "source", [x], "solver", dtype=complex).dtype == complex


def test_complex_solution_shares_the_grid_solution():
    from pinnfield.validation.helmholtz_fd import ComplexFDSolution

    axes = (np.linspace(0, 1, 5), np.linspace(0, 2, 6))
    values = np.add.outer(axes[0], 1j * axes[1])
    solution = ComplexFDSolution(axes, values)
    assert isinstance(solution, FDSolution) and solution.values.dtype == complex
    assert not solution.values.flags.writeable and solution.spacing == (0.25, 0.4)
    np.testing.assert_allclose(solution.interpolate([[0.3, 0.7]]), [0.3 + 0.7j])
    with pytest.raises(DataError, match="ComplexFDSolution: values must have shape"):
        ComplexFDSolution(axes, values[:, :3])
