"""Finite-difference Helmholtz reference solver: second-order convergence on manufactured
complex solutions with and without a PML, the outgoing Green's function of a Gaussian source,
the complex result type, bad input."""

import numpy as np
import pytest
import scipy.special
import sympy as sp

from pinnfield.errors import DataError, DomainError
from pinnfield.validation.fd import FDSolution, convergence_order
from pinnfield.validation.helmholtz_fd import PML, ComplexFDSolution, solve_helmholtz_box, stretch

X, Y = sp.symbols("x y", real=True)
U = sp.exp(sp.I * (2 * X + Y)) * (1 + X * Y)
K = 5.0


def sympy_stretch(v, lower, upper, pml):
    """``e(d(v))`` of ``helmholtz_fd.stretch`` written in sympy, ``d`` with ``sp.Max``."""
    depth = sp.Max(0, lower + pml.width - v, v - (upper - pml.width))
    return 1 + sp.I * pml.strength * (depth / pml.width) ** pml.power


def manufactured(u, k, lower, upper, pml=None):
    """Numpy callables ``(u, f)`` with ``f = (d/dx(A u_x) + d/dy(B u_y) + C k**2 u) / C``,
    ``A = e_y/e_x``, ``B = e_x/e_y``, ``C = e_x e_y`` (``e = 1`` without a PML), by sympy."""
    if pml is None:
        ex = ey = sp.Integer(1)
    else:
        ex = sympy_stretch(X, lower[0], upper[0], pml)
        ey = sympy_stretch(Y, lower[1], upper[1], pml)
    a, b, c = ey / ex, ex / ey, ex * ey
    f = (sp.diff(a * sp.diff(u, X), X) + sp.diff(b * sp.diff(u, Y), Y) + c * k**2 * u) / c
    return sp.lambdify((X, Y), u, "numpy"), sp.lambdify((X, Y), f, "numpy")


def nodal_error(solution, exact):
    grids = np.meshgrid(*solution.axes, indexing="ij")
    return float(np.max(np.abs(solution.values - exact(*grids))))


def fitted_order(lower, upper, ns, k, pml):
    exact, source = manufactured(U, k, lower, upper, pml)
    hs, errors = [], []
    for n in ns:
        solution = solve_helmholtz_box(lower, upper, n, k, source, exact, pml=pml)
        hs.append(solution.spacing[0])
        errors.append(nodal_error(solution, exact))
    return convergence_order(hs, errors), errors


def test_manufactured_solution_without_pml_converges_at_second_order():
    slope, errors = fitted_order((0.0, -0.5), (1.3, 0.5), (21, 41, 81, 161), K, None)
    assert abs(slope - 2) <= 0.15, (slope, errors)
    assert errors[-1] < 5e-5


def test_manufactured_solution_with_pml_converges_at_second_order():
    # The inner edges of the layer (x = 0.2, 1.0 and y = -0.2, 0.2) are grid lines on every
    # grid, so the error ratio is the same from one refinement to the next.
    lower, upper, pml = (0.0, -0.4), (1.2, 0.4), PML(width=0.2, strength=5.0, power=2)
    _, plain = manufactured(U, K, lower, upper)
    _, stretched = manufactured(U, K, lower, upper, pml)
    assert abs(stretched(1.15, 0.0) - plain(1.15, 0.0)) > 1.0
    assert stretched(0.6, 0.1) == pytest.approx(plain(0.6, 0.1), abs=1e-12)

    slope, errors = fitted_order(lower, upper, (25, 49, 97, 193), K, pml)
    assert abs(slope - 2) <= 0.2, (slope, errors)
    assert errors[-1] < 1e-3


def test_stretch_is_one_inside_and_grows_with_depth_in_the_layer():
    pml = PML(width=0.25, strength=4.0, power=2)
    x = np.array([-1.0, -0.875, -0.75, 0.0, 0.75, 0.875, 1.0])
    e = stretch(x, -1.0, 1.0, pml)
    assert e.dtype == complex
    np.testing.assert_allclose(e, 1 + 4j * np.array([1, 0.25, 0, 0, 0, 0.25, 1]), atol=1e-14)
    np.testing.assert_array_equal(stretch(x, -1.0, 1.0, None), np.ones(7))


def gaussian_source(sigma):
    """``f = -g`` with ``g`` the normalised Gaussian of width ``sigma`` at the origin."""
    return lambda x, y: -np.exp(-(x**2 + y**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)


def hankel_error(n, pml, k=10.0, sigma=0.05):
    """Relative L2 error against ``(1j/4) H0^(1)(k r) exp(-k**2 sigma**2 / 2)`` on the nodes with
    ``r >= 0.2`` and ``max(|x|, |y|) <= 0.75`` (outside the source, inside the layer)."""
    solution = solve_helmholtz_box((-1, -1), (1, 1), n, k, gaussian_source(sigma), pml=pml)
    x, y = np.meshgrid(*solution.axes, indexing="ij")
    r = np.hypot(x, y)
    region = (r >= 0.2) & (np.maximum(np.abs(x), np.abs(y)) <= 0.75)
    exact = 0.25j * scipy.special.hankel1(0, k * r[region]) * np.exp(-(k**2) * sigma**2 / 2)
    return float(np.linalg.norm(solution.values[region] - exact) / np.linalg.norm(exact))


def test_gaussian_source_radiates_the_hankel_function_and_the_pml_absorbs_it():
    # Measured: 5.6e-4 at n=401 and 2.0e-3 at n=201 with the layer, 0.81 at n=201 (and at
    # n=401) with Dirichlet walls instead. The error with the layer falls by 3.6 when h halves,
    # so at n=401 it is still mostly the O(h**2) phase error of the stencil (k h = 0.05), not
    # reflection from the layer; the bound leaves a margin of about 2.7.
    pml = PML(width=0.25)
    fine, coarse = hankel_error(401, pml), hankel_error(201, pml)
    assert fine < 1.5e-3, fine
    assert coarse / fine > 3.0, (coarse, fine)
    walls = hankel_error(201, None)
    assert walls >= 10 * coarse and walls > 0.1, (walls, coarse)


def test_result_is_complex_with_fd_solution_parts():
    exact, source = manufactured(U, K, (0.0, -0.5), (1.3, 0.5))
    solution = solve_helmholtz_box((0.0, -0.5), (1.3, 0.5), (17, 13), K, source, exact)
    assert isinstance(solution, ComplexFDSolution)
    assert solution.values.dtype == complex and solution.values.shape == (17, 13)
    assert solution.order == 2 and not solution.values.flags.writeable
    assert isinstance(solution.real, FDSolution) and isinstance(solution.imag, FDSolution)
    np.testing.assert_array_equal(solution.real.values, solution.values.real)
    np.testing.assert_array_equal(solution.imag.values, solution.values.imag)

    grids = np.meshgrid(*solution.axes, indexing="ij")
    edge = np.ones((17, 13), dtype=bool)
    edge[1:-1, 1:-1] = False
    np.testing.assert_array_equal(solution.values[edge], exact(*grids)[edge])
    points = solution.points()
    assert points.shape == (17 * 13, 2)
    np.testing.assert_allclose(
        solution.interpolate(points), solution.values.reshape(-1), rtol=0, atol=1e-12
    )
    midpoints = np.array([[0.61, 0.07], [1.2, -0.33]])
    interpolated = solution.interpolate(midpoints)
    assert np.iscomplexobj(interpolated)
    np.testing.assert_allclose(interpolated, exact(*midpoints.T), atol=5e-3)


def test_real_data_without_pml_gives_real_values_with_default_zero_boundary():
    solution = solve_helmholtz_box((0, 0), (1, 2), 9, 3.0, lambda x, y: 1.0)
    assert solution.values.dtype == complex
    assert np.max(np.abs(solution.values.imag)) < 1e-14
    assert np.all(solution.values[0] == 0) and np.all(solution.values[:, -1] == 0)


@pytest.mark.parametrize(
    "lower, upper, n, k, pml, match",
    [
        ((0, 0), (1, 1), 9, 5.0, PML(0.6), r"PML of width 0.6 is thicker than the domain.*"
         r"narrower than half of every side \(here 0.5\)"),
        ((0, 0), (2, 1), 9, 5.0, PML(0.5), r"PML of width 0.5 is thicker.*\(here 0.5\)"),
        ((0, 0), (1, 1), 9, 0.0, None, r"k \(the wavenumber.*must be a finite number > 0; received 0.0"),
        ((0, 0), (1, 1), 9, -2.0, None, "must be a finite number > 0"),
        ((0, 0), (1, 1), 9, np.inf, None, "must be a finite number > 0"),
        ((0, 0), (1, 1), 9, np.nan, None, "must be a finite number > 0"),
        ((0, 0), (1, 1), 9, 1 + 2j, None, r"k \(the wavenumber.*received \(1\+2j\)"),
        ((0, 0), (1, 1), 2, 5.0, None, "n must be an integer >= 3"),
        ((0, 0), (1, 1), (9, 2), 5.0, None, "n must be an integer >= 3"),
        ((0, 0), (1, 1), (9, 9, 9), 5.0, None, "n must be an int or 2 ints"),
        ((0, 1), (1, 1), 9, 5.0, None, r"needs lower < upper.*received lower \(0.0, 1.0\)"),
        ((0, 0, 0), (1, 1, 1), 9, 5.0, None, "box dimension must be 2, got dimension 3"),
    ],
)
def test_bad_box_grid_wavenumber_or_layer_raises_domain_error(lower, upper, n, k, pml, match):
    with pytest.raises(DomainError, match=match):
        solve_helmholtz_box(lower, upper, n, k, lambda x, y: 0.0, pml=pml)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"width": 0.0}, r"PML: width \(the layer thickness.*\) must be a finite number > 0; received 0.0"),
        ({"width": -0.1}, "must be a finite number > 0; received -0.1"),
        ({"width": 0.1, "strength": -1.0}, r"PML: strength \(the damping.*\) must be a finite number >= 0; received -1.0"),
        ({"width": 0.1, "power": 0}, r"PML: power \(.*\) must be an integer >= 1; received 0"),
        ({"width": 0.1, "power": 1.5}, "must be an integer >= 1; received 1.5"),
    ],
)
def test_bad_pml_raises_domain_error(kwargs, match):
    with pytest.raises(DomainError, match=match):
        PML(**kwargs)


def test_stretch_rejects_a_layer_wider_than_half_the_axis():
    with pytest.raises(DomainError, match=r"PML of width 0.3 is thicker.*\(here 0.25\)"):
        stretch([0.1], 0.0, 0.5, PML(0.3))


@pytest.mark.parametrize(
    "source, boundary, match",
    [
        (lambda x, y: np.full_like(x, np.nan), None, "source must return finite"),
        (lambda x, y: 0.0, lambda x, y: np.log(x - 1.0), "boundary must return finite"),
        (lambda x, y: np.ones(3), None, r"source must return an array of shape \(3, 3\)"),
        ("1.0", None, "source must be a callable"),
    ],
)
def test_bad_source_or_boundary_raises_data_error(source, boundary, match):
    with np.errstate(all="ignore"), pytest.raises(DataError, match=match):
        solve_helmholtz_box((0, 0), (1, 1), 5, 2.0, source, boundary)
