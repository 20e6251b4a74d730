"""Finite-difference reference solutions of the 2-D Helmholtz equation on boxes, optionally
with a perfectly matched layer (PML).

Problem: on the box ``B = [a_1, b_1] x [a_2, b_2]`` find the complex ``u`` with

    d/dx (A du/dx) + d/dy (B du/dy) + C k**2 u = C f   in B,        u = g   on the boundary,

    A = e_y / e_x,   B = e_x / e_y,   C = e_x e_y,   e_x = e(x),   e_y = e(y).

Without a PML ``e = 1`` and this is ``lap(u) + k**2 u = f``. With ``PML(width, strength, power)``
the outer ``width`` of every side is a layer in which the coordinates are stretched into the
complex plane, ``dx -> e(x) dx`` with

    e = 1 + 1j * strength * (d / width)**power,   d = max(0, a + width - x, x - (b - width)),

``d`` the depth into the layer (0 in the physical region). Dividing by ``C`` gives
``(1/e_x) d/dx((1/e_x) du/dx) + (1/e_y) d/dy((1/e_y) du/dy) + k**2 u = f``, the Helmholtz equation
in the stretched coordinates; in the physical region it is the original equation. The time
dependence is ``exp(-1j omega t)``: outgoing waves behave like ``exp(1j k r)`` (the 2-D free-space
Green's function of ``lap + k**2`` with ``-delta`` on the right is ``(1j/4) H0^(1)(k r)``) and a
plane wave ``exp(1j k x)`` entering the layer is damped by ``exp(-k strength width / (power + 1))``
on its way to the wall, where the Dirichlet condition reflects what is left. (With the opposite
convention ``exp(+1j omega t)``, used e.g. in the SIREN paper with ``e = 1 - 1j s / k``, the
solutions are the complex conjugates of these.)

Grid: ``n_k`` equally spaced nodes per axis, boundary nodes included, ``h_k = (b_k - a_k) /
(n_k - 1)``; the unknowns are the interior nodes. Conservative second-order stencil at an
interior node ``(i, j)``:

    (A[i+1/2, j] (u[i+1, j] - u[i, j]) - A[i-1/2, j] (u[i, j] - u[i-1, j])) / h_x**2
  + (B[i, j+1/2] (u[i, j+1] - u[i, j]) - B[i, j-1/2] (u[i, j] - u[i, j-1])) / h_y**2
  + C[i, j] k**2 u[i, j] = C[i, j] f[i, j],

with ``A`` evaluated at the x-midpoints ``(x_{i+1/2}, y_j)``, ``B`` at the y-midpoints
``(x_i, y_{j+1/2})`` and ``C`` at the nodes. Without a PML this is the 5-point Laplacian plus
``k**2``. Neighbours on the boundary carry ``g`` and move to the right-hand side. The complex
sparse matrix (CSC, unknowns in C order) is factorised and solved with
``scipy.sparse.linalg.spsolve``. It is complex symmetric, not Hermitian, and for a physical
``k`` it is indefinite: the discrete problem is solvable when ``k**2`` is not a Dirichlet
eigenvalue of the discrete operator, which a PML with ``strength > 0`` guarantees in practice.

Accuracy: the truncation error is ``O(h**2)`` where the coefficients are smooth. ``e`` is
``C^(power-1)`` across the inner edge of the layer, and for ``power >= 2`` (default 2) the nodal
error stays ``O(h**2)``; both are measured in the tests with ``convergence_order``. With
``power = 1`` the derivative of ``e`` jumps there and the observed order drops to about 1. The
resolution needed is set by the wavelength: the phase error of the 5-point stencil grows
like ``k**3 h**2 L / 24`` over a distance ``L``, so keep ``k h`` well below 1 (for ``k h = 0.05``,
the Hankel test, about 1e-3 per unit length).

Shapes: ``source(x, y)`` is called once with the two 'ij'-meshgrid arrays of the interior nodes,
shape ``(n_1 - 2, n_2 - 2)``; ``boundary(x, y)`` once with two flat arrays of the boundary-node
coordinates; each returns real or complex values of its arguments' shape, or a scalar. The
result is a ``ComplexFDSolution`` whose ``values`` (complex, shape ``(n_1, n_2)``, 'ij') hold
``u`` at every node, ``g`` on the boundary; ``.real`` and ``.imag`` are ``FDSolution`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, ClassVar, Sequence

import numpy as np
import scipy.sparse as sparse
from scipy.sparse.linalg import spsolve

from pinnfield.errors import DomainError, check_instance, check_int, check_number
from pinnfield.validation.fd import (
    ORDER, FDSolution, boundary_mask, check_counts, check_grid_box, evaluate_on_grid,
)

__all__ = ["PML", "ComplexFDSolution", "stretch", "solve_helmholtz_box"]

_CALLER = "solve_helmholtz_box"


@dataclass(frozen=True)
class PML:
    """Perfectly matched layer on every side of a 2-D box: the outer ``width`` of each side.

    Complex coordinate stretching ``e(d) = 1 + 1j * strength * (d / width) ** power``, ``d`` the
    depth into the layer (0 in the physical region). Convention: time dependence
    ``exp(-1j omega t)``, so outgoing waves are ``H0^(1)(k r)`` and decay in the layer. (The SIREN
    paper writes ``e = 1 - 1j s / k`` for the opposite time convention; its solutions are the
    complex conjugates.)

    ``width`` > 0 (and narrower than half of every side of the box it is used on),
    ``strength`` >= 0 (dimensionless; a wave of wavenumber ``k`` is damped by
    ``exp(-k strength width / (power + 1))`` on one crossing), ``power`` an int >= 1 (2 or more
    keeps the scheme second order; with 1 the observed order drops to about 1).
    """

    width: float
    strength: float = 5.0
    power: int = 2

    def __post_init__(self):
        check_number(self.width, "PML: width (the layer thickness, e.g. a tenth of the box side)",
                     low=0, low_open=True, error=DomainError)
        check_number(self.strength, "PML: strength (the damping, e.g. 5)", low=0, error=DomainError)
        check_int(self.power, "PML: power (of the profile (d / width)**power, 2 keeps second order)",
                  minimum=1, error=DomainError)


@dataclass(frozen=True, eq=False)
class ComplexFDSolution(FDSolution):
    """A complex finite-difference solution on a uniform tensor grid: an ``FDSolution`` whose
    ``values`` are complex.

    ``axes``: ``d`` increasing 1-D float arrays, the node coordinates per axis.
    ``values``: complex array of shape ``(n_1, ..., n_d)``, ``values[i, j]`` the solution at
    ``(axes[0][i], axes[1][j])`` (``indexing='ij'``), boundary nodes included.
    ``order``: declared order of accuracy of the scheme in the grid spacing (2).

    ``real`` and ``imag`` are ``FDSolution`` objects of the two parts (with their ``interpolate``);
    ``interpolate`` returns the complex combination. Arrays are stored as read-only copies.
    """

    dtype: ClassVar[type] = complex

    @cached_property
    def real(self) -> FDSolution:
        """The real part as an ``FDSolution`` (same axes and order)."""
        return FDSolution(self.axes, self.values.real, self.order)

    @cached_property
    def imag(self) -> FDSolution:
        """The imaginary part as an ``FDSolution`` (same axes and order)."""
        return FDSolution(self.axes, self.values.imag, self.order)

    def interpolate(self, points) -> np.ndarray:
        """Complex values at ``points`` (shape ``(M, d)``, inside the box); returns shape ``(M,)``.
        ``real.interpolate(points) + 1j * imag.interpolate(points)``; see
        ``FDSolution.interpolate`` for the interpolant."""
        return self.real.interpolate(points) + 1j * self.imag.interpolate(points)


def stretch(coordinate_values, lower: float, upper: float, pml: PML | None) -> np.ndarray:
    """The stretch factor ``e(d(x))`` of one axis ``[lower, upper]``, elementwise.

    ``d = max(0, lower + width - x, x - (upper - width))`` is the depth into the layer and
    ``e = 1 + 1j * strength * (d / width)**power``. Returns a complex array of the shape of
    ``coordinate_values``; all ones when ``pml`` is None.
    """
    x = np.asarray(coordinate_values, dtype=float)
    if pml is None:
        return np.ones(x.shape, dtype=complex)
    lo, hi = float(lower), float(upper)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise DomainError(
            f"stretch: the axis must satisfy lower < upper with finite bounds, got "
            f"[{lo}, {hi}]; pass the bounds of the box along this axis."
        )
    _check_pml_fits(pml, np.array([hi - lo]), "stretch")
    depth = np.maximum(0.0, np.maximum(lo + pml.width - x, x - (hi - pml.width)))
    return 1.0 + 1j * pml.strength * (depth / pml.width) ** pml.power


def solve_helmholtz_box(
    lower: Sequence[float],
    upper: Sequence[float],
    n: int | Sequence[int],
    k: float,
    source: Callable[..., np.ndarray],
    boundary: Callable[..., np.ndarray] | None = None,
    pml: PML | None = None,
) -> ComplexFDSolution:
    """Solve ``lap(u) + k**2 u = f`` on the 2-D box ``[lower, upper]`` with ``u = g`` on the
    boundary, in stretched coordinates inside the layer when ``pml`` is given.

    ``n``: nodes per axis, an int or a pair (boundary nodes included, each >= 3). ``k``: the
    wavenumber, positive and finite. ``source(x, y)``: ``f`` on the interior nodes ('ij'-meshgrid
    arrays of shape ``(n_1 - 2, n_2 - 2)``). ``boundary(x, y)``: ``g`` on the boundary nodes (flat
    arrays); default ``g = 0``. Both may return real or complex arrays of their arguments' shape,
    or scalars, and must be finite. ``pml``: a ``PML`` occupying the outer ``pml.width`` of every
    side (narrower than half of every side), or None.

    Conservative second-order stencil (see the module docstring), complex CSC matrix, direct
    solve with ``scipy.sparse.linalg.spsolve``. Nodal error ``O(h**2)`` for a smooth solution.

    Returns ``ComplexFDSolution(axes, values, order=2)``: ``values`` complex of shape
    ``(n_1, n_2)`` (``indexing='ij'``), equal to ``g`` on the boundary; ``.real`` / ``.imag`` give
    the parts as ``FDSolution`` objects. The dtype is complex even when the solution is real.
    """
    lo, hi = check_grid_box(lower, upper, _CALLER, dims=(2,))
    counts = check_counts(n, 2, _CALLER)
    check_number(k, f"{_CALLER}: k (the wavenumber, e.g. 2 pi / wavelength)", low=0, low_open=True,
                 error=DomainError)
    if pml is not None:
        check_instance(pml, PML, f"{_CALLER}: pml", "PML(width=0.1) or None", error=DomainError)
        _check_pml_fits(pml, hi - lo, _CALLER)

    axes = tuple(np.linspace(a, b, m) for a, b, m in zip(lo, hi, counts))
    hx, hy = (float(a[1] - a[0]) for a in axes)
    x, y = axes

    ex, ey = stretch(x, lo[0], hi[0], pml), stretch(y, lo[1], hi[1], pml)
    ex_mid = stretch((x[1:] + x[:-1]) / 2, lo[0], hi[0], pml)
    ey_mid = stretch((y[1:] + y[:-1]) / 2, lo[1], hi[1], pml)
    a_flux = ey[None, 1:-1] / ex_mid[:, None] / hx**2  # (n_1 - 1, n_2 - 2): A[i+1/2, j]
    b_flux = ex[1:-1, None] / ey_mid[None, :] / hy**2  # (n_1 - 2, n_2 - 1): B[i, j+1/2]
    c_node = ex[1:-1, None] * ey[None, 1:-1]  # (n_1 - 2, n_2 - 2)

    west, east = a_flux[:-1], a_flux[1:]
    south, north = b_flux[:, :-1], b_flux[:, 1:]
    diagonal = c_node * k**2 - (west + east + south + north)

    values = np.zeros(counts, dtype=complex)
    on_boundary = boundary_mask(counts)
    grids = np.meshgrid(*axes, indexing="ij")
    if boundary is not None:
        values[on_boundary] = evaluate_on_grid(
            boundary, "boundary", [g[on_boundary] for g in grids], _CALLER, dtype=complex
        )
    f = evaluate_on_grid(source, "source", [g[1:-1, 1:-1] for g in grids], _CALLER, dtype=complex)

    load = (
        west * values[:-2, 1:-1]
        + east * values[2:, 1:-1]
        + south * values[1:-1, :-2]
        + north * values[1:-1, 2:]
    )
    matrix = _interior_matrix(diagonal, west, east, south, north)
    rhs = (c_node * f - load).reshape(-1)
    solution = spsolve(matrix, rhs, permc_spec="MMD_AT_PLUS_A")
    values[1:-1, 1:-1] = np.asarray(solution).reshape(diagonal.shape)
    return ComplexFDSolution(axes=axes, values=values, order=ORDER)


def _interior_matrix(diagonal, west, east, south, north) -> sparse.csc_matrix:
    """The interior-node matrix in C order from the five stencil coefficient arrays (each of
    shape ``(m_1, m_2)``); couplings to boundary nodes are left out (they are in the load)."""
    m1, m2 = diagonal.shape
    index = np.arange(m1 * m2).reshape(m1, m2)
    rows = [index.reshape(-1)]
    cols = [index.reshape(-1)]
    data = [diagonal.reshape(-1)]
    for coefficient, here, there in (
        (west[1:, :], index[1:, :], index[:-1, :]),
        (east[:-1, :], index[:-1, :], index[1:, :]),
        (south[:, 1:], index[:, 1:], index[:, :-1]),
        (north[:, :-1], index[:, :-1], index[:, 1:]),
    ):
        rows.append(here.reshape(-1))
        cols.append(there.reshape(-1))
        data.append(coefficient.reshape(-1))
    return sparse.csc_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
        shape=(m1 * m2, m1 * m2),
    )


def _check_pml_fits(pml: PML, sides: np.ndarray, caller: str) -> None:
    half = float(np.min(sides)) / 2
    if not pml.width < half:
        raise DomainError(
            f"{caller}: PML of width {pml.width} is thicker than the domain: the box sides are "
            f"{np.asarray(sides).tolist()} and the layer must be narrower than half of every "
            f"side (here {half}); use a smaller width or a larger box."
        )
