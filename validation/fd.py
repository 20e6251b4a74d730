"""Finite-difference reference solutions of the Dirichlet Poisson problem on boxes.

Problem: on the box ``B = [a_1, b_1] x ... x [a_d, b_d]`` (``d`` = 2 or 3) find ``u`` with

    -lap(u) = f   in B,        u = g   on the boundary of B.

Grid: ``n_k`` equally spaced nodes per axis, boundary nodes included, so the spacing is
``h_k = (b_k - a_k) / (n_k - 1)`` and the unknowns are the ``m_k = n_k - 2`` interior nodes
per axis. At an interior node ``x_i`` the Laplacian is replaced by the second-order
5-point (2-D) or 7-point (3-D) stencil

    -lap_h(u)(x_i) = sum_k (-u(x_i - h_k e_k) + 2 u(x_i) - u(x_i + h_k e_k)) / h_k**2,

whose truncation error is ``-lap_h(u) + lap(u) = -sum_k h_k**2 / 12 d^4u/dx_k^4 + O(h**4)``.
The discrete operator is the Kronecker sum ``A = sum_k I_{m_1} (x) ... (x) T_k (x) ... (x) I_{m_d}``
of the 1-D matrices ``T_k = tridiag(-1, 2, -1) / h_k**2`` (size ``m_k x m_k``), with unknowns in C
('ij') order. Stencil neighbours that are boundary nodes are known (``g``) and move to the
right-hand side, ``b = f + sum_k (g at the lower/upper neighbour along k) / h_k**2``.

``A u = b`` is solved directly, to rounding, in one of two equivalent ways:

* sparse LU: ``A`` assembled in CSC format with ``scipy.sparse.kron``/``identity`` and solved
  with ``scipy.sparse.linalg.spsolve`` (minimum-degree ordering on ``A + A^T``). Used in 2-D
  and for 3-D systems of at most ``SPARSE_DIRECT_MAX_3D`` unknowns (``n <= 27`` per axis);
  in 3-D the LU fill grows like ``N**(4/3)`` and the work like ``N**2``, so ``n = 41`` would
  take seconds to a minute.
* fast diagonalisation, for larger 3-D systems: ``T_k = Q_k diag(lam_k) Q_k`` with ``Q_k`` the
  orthonormal, symmetric DST-I matrix and ``lam_k[j] = 4 / h_k**2 sin(pi (j+1) / (2 (m_k+1)))**2``,
  so ``u = Q (Q b / sum_k lam_k)`` with ``Q = Q_1 (x) ... (x) Q_d`` applied by
  ``scipy.fft.dstn(type=1, norm='ortho')``: ``O(N log N)``, a few hundredths of a second
  for ``n = 41``.

``A`` is symmetric positive definite and satisfies a discrete maximum principle, so for a
smooth ``u`` the nodal error is ``max |u_h - u| = O(h**2)``: halving ``h`` divides it by about
four. ``convergence_order`` measures that exponent as the least-squares slope of
``log(error)`` against ``log(h)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, ClassVar, Sequence

import numpy as np
import scipy.sparse as sparse
from scipy.fft import dstn
from scipy.interpolate import RegularGridInterpolator, make_interp_spline
from scipy.sparse.linalg import spsolve

from pinnfield.errors import DataError, DomainError, check_box, check_int

try:
    from scipy.interpolate import NdBSpline
except ImportError:
    NdBSpline = None

__all__ = [
    "FDSolution", "solve_poisson_box", "convergence_order", "check_grid_box", "check_counts",
    "boundary_mask", "evaluate_on_grid",
]

ORDER = 2
SPARSE_DIRECT_MAX_3D = 16_000
_CUBIC_MIN_NODES = 4
_CALLER = "solve_poisson_box"


@dataclass(frozen=True, eq=False)
class FDSolution:
    """A finite-difference solution on a uniform tensor grid.

    ``axes``: ``d`` increasing 1-D arrays, the node coordinates per axis (``len(axes[k]) = n_k``).
    ``values``: array of shape ``(n_1, ..., n_d)``, ``values[i, j, ...]`` is the solution at
    ``(axes[0][i], axes[1][j], ...)`` (``indexing='ij'``), boundary nodes included.
    ``order``: declared order of accuracy of the scheme in the grid spacing (2).

    The arrays are stored as read-only copies (axes float, values of the class's ``dtype``:
    float here, complex in ``ComplexFDSolution``), so the cached interpolator stays valid.
    """

    axes: tuple[np.ndarray, ...]
    values: np.ndarray
    order: int = ORDER
    dtype: ClassVar[type] = float

    def __post_init__(self):
        axes = tuple(_read_only(a, float) for a in self.axes)
        values = _read_only(self.values, self.dtype)
        shape = tuple(len(a) for a in axes)
        if any(a.ndim != 1 for a in axes) or values.shape != shape:
            raise DataError(
                f"{type(self).__name__}: values must have shape (len(axes[0]), ..., len(axes[-1])) = {shape} "
                f"with 1-D axes, got values of shape {values.shape}; build values with "
                "indexing='ij' on the axes."
            )
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "values", values)

    @property
    def ndim(self) -> int:
        """Number of space dimensions ``d``."""
        return len(self.axes)

    @property
    def spacing(self) -> tuple[float, ...]:
        """Grid spacing ``h_k`` per axis."""
        return tuple(float(a[1] - a[0]) for a in self.axes)

    def points(self) -> np.ndarray:
        """All grid nodes as an ``(M, d)`` array, ``M = n_1 * ... * n_d``, in the C order of
        ``values.reshape(-1)``."""
        grids = np.meshgrid(*self.axes, indexing="ij")
        return np.stack([g.reshape(-1) for g in grids], axis=-1)

    @property
    def interpolation_method(self) -> str:
        """``'cubic'`` when every axis has at least 4 nodes (what a cubic spline needs), else
        ``'linear'``.

        'cubic' is the tensor-product not-a-knot cubic spline through the node values, the
        interpolant of ``RegularGridInterpolator(method='cubic')``: exact at the nodes, error
        ``O(h**4)`` between them. 'linear' is ``RegularGridInterpolator(method='linear')``,
        multilinear, error ``O(h**2)``, the order of the scheme itself."""
        return "cubic" if min(len(a) for a in self.axes) >= _CUBIC_MIN_NODES else "linear"

    @cached_property
    def _interpolator(self) -> Callable[[np.ndarray], np.ndarray]:
        if self.interpolation_method == "linear":
            return RegularGridInterpolator(self.axes, self.values, method="linear")
        if NdBSpline is None:
            return RegularGridInterpolator(self.axes, self.values, method="cubic")
        return _tensor_cubic_spline(self.axes, self.values)

    def interpolate(self, points) -> np.ndarray:
        """Values at arbitrary points inside the box.

        ``points``: array-like of shape ``(M, d)``; returns an array of shape ``(M,)``.
        The interpolant is ``interpolation_method`` ('cubic' when every axis has >= 4 nodes,
        else 'linear'), built once on first use. Points further than a rounding tolerance
        outside the box raise ``DomainError``.

        The cubic spline is the one ``scipy.interpolate.RegularGridInterpolator(method='cubic')``
        defines, but its coefficients are computed exactly, one axis at a time, with
        ``make_interp_spline`` and evaluated with ``NdBSpline``: scipy >= 1.13 instead solves
        for them with an iterative solver at ``atol=1e-6``, which misses the node values by
        about 1e-5, and tightening that tolerance costs over 10 s on a 41**3 grid (this
        construction: about 0.1 s). On scipy without ``NdBSpline`` (< 1.12) the cubic
        ``RegularGridInterpolator``, exact there, is used.
        """
        return self._interpolator(self._checked_points(points))

    def _checked_points(self, points) -> np.ndarray:
        pts = np.asarray(points, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != self.ndim:
            raise DomainError(
                f"FDSolution.interpolate: points must have shape (M, {self.ndim}), "
                f"got shape {pts.shape}; pass one row per point with {self.ndim} coordinates."
            )
        if not np.all(np.isfinite(pts)):
            raise DomainError(
                "FDSolution.interpolate: points must be finite, got NaN or infinite "
                "coordinates; remove or fix those rows."
            )
        lower = np.array([a[0] for a in self.axes])
        upper = np.array([a[-1] for a in self.axes])
        tol = 1e-10 * (upper - lower)
        outside = np.any((pts < lower - tol) | (pts > upper + tol), axis=1)
        if np.any(outside):
            first = pts[np.argmax(outside)]
            raise DomainError(
                f"FDSolution.interpolate: points must lie in the box [{lower.tolist()}, "
                f"{upper.tolist()}], got {int(outside.sum())} outside (first: {first.tolist()}); "
                "drop them or solve on a larger box."
            )
        return np.clip(pts, lower, upper)


def solve_poisson_box(
    lower: Sequence[float],
    upper: Sequence[float],
    n: int | Sequence[int],
    source: Callable[..., np.ndarray],
    boundary: Callable[..., np.ndarray],
) -> FDSolution:
    """Solve ``-lap(u) = f`` on the box ``[lower, upper]`` (2-D or 3-D) with ``u = g`` on the
    boundary.

    Second-order 5-point (2-D) or 7-point (3-D) stencil on a uniform grid with ``n`` points per
    axis (an int, or a tuple with one count per axis; boundary nodes included, each >= 3),
    assembled with ``scipy.sparse`` (Kronecker sum of 1-D second-difference matrices over the
    interior nodes) and solved with ``scipy.sparse.linalg.spsolve``; 3-D systems with more than
    ``SPARSE_DIRECT_MAX_3D`` unknowns are solved by fast diagonalisation (DST-I) of the same
    matrix instead. The nodal error is ``O(h**2)`` for a smooth solution; see the module
    docstring for the maths.

    ``source(x_1, ..., x_d)`` is called once with the ``d`` 'ij'-meshgrid coordinate arrays of
    the interior nodes (shape ``(n_1 - 2, ..., n_d - 2)``); ``boundary(x_1, ..., x_d)`` is
    called once with ``d`` flat arrays of the boundary-node coordinates (shape ``(B,)``). Each
    returns an array of its arguments' shape or a scalar (broadcast); the values must be finite.

    Returns ``FDSolution(axes, values, order=2)``: ``axes`` the node coordinates per axis,
    ``values`` of shape ``(n_1, ..., n_d)`` (``indexing='ij'``), equal to ``g`` on the boundary.
    """
    lo, hi = check_grid_box(lower, upper, _CALLER, dims=(2, 3))
    counts = check_counts(n, len(lo), _CALLER)
    axes = tuple(np.linspace(a, b, m) for a, b, m in zip(lo, hi, counts))
    h = np.array([a[1] - a[0] for a in axes])

    values = np.zeros(counts)
    on_boundary = boundary_mask(counts)
    grids = np.meshgrid(*axes, indexing="ij")
    values[on_boundary] = evaluate_on_grid(boundary, "boundary", [x[on_boundary] for x in grids], _CALLER)

    interior = (slice(1, -1),) * len(counts)
    f = evaluate_on_grid(source, "source", np.meshgrid(*(a[1:-1] for a in axes), indexing="ij"), _CALLER)
    rhs = f + _boundary_load(values, h)
    values[interior] = _solve_interior(rhs, h)
    return FDSolution(axes=axes, values=values, order=ORDER)


def convergence_order(hs, errors) -> float:
    """Observed order ``p`` in ``error ~ C h**p``: the slope of the least-squares line through
    ``(log h, log error)``, i.e. ``np.polyfit(np.log(hs), np.log(errors), 1)[0]``.

    ``hs`` and ``errors``: 1-D sequences of the same length >= 2, all positive and finite.
    """
    h = np.asarray(hs, dtype=float)
    e = np.asarray(errors, dtype=float)
    if h.ndim != 1 or h.shape != e.shape or h.size < 2:
        raise DataError(
            "convergence_order: hs and errors must be 1-D sequences of the same length >= 2, "
            f"got shapes {h.shape} and {e.shape}; pass one error per grid spacing."
        )
    for name, arr in (("hs", h), ("errors", e)):
        if not np.all(np.isfinite(arr) & (arr > 0)):
            raise DataError(
                f"convergence_order: {name} must be positive and finite (logarithms are taken), "
                f"got {arr.tolist()}; drop zero, negative or non-finite entries."
            )
    if np.unique(h).size < 2:
        raise DataError(
            f"convergence_order: hs must contain at least two distinct spacings, got "
            f"{h.tolist()}; solve on grids of different resolution."
        )
    return float(np.polyfit(np.log(h), np.log(e), 1)[0])


def _tensor_cubic_spline(axes: tuple[np.ndarray, ...], values: np.ndarray) -> NdBSpline:
    """Tensor-product not-a-knot cubic spline through ``values`` (shape ``(n_1, ..., n_d)``) on
    the grid ``axes``. The collocation matrix is a Kronecker product of 1-D ones, so the
    coefficients follow from 1-D banded interpolation solves along each axis in turn."""
    coefficients, knots = values, []
    for k, axis in enumerate(axes):
        spline = make_interp_spline(axis, coefficients, k=3, axis=k)
        coefficients = np.moveaxis(spline.c, 0, k)
        knots.append(spline.t)
    return NdBSpline(tuple(knots), coefficients, 3)


def _read_only(array, dtype) -> np.ndarray:
    out = np.array(array, dtype=dtype)
    out.setflags(write=False)
    return out


def check_grid_box(lower, upper, caller: str, dims: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The box ``[lower, upper]`` as two float arrays of shape ``(d,)`` with ``d`` in ``dims``
    and ``lower < upper`` on every axis (``pinnfield.errors.check_box``); errors name ``caller``."""
    lo, hi = check_box(lower, upper, f"{caller}: the box [lower, upper]")
    if lo.size not in dims:
        allowed = " or ".join(str(d) for d in dims)
        raise DomainError(
            f"{caller}: box dimension must be {allowed}, got dimension {lo.size} "
            f"(lower={lo.tolist()}); give {allowed} bounds in lower and upper."
        )
    return lo, hi


def check_counts(n, d: int, caller: str) -> tuple[int, ...]:
    """``n`` (an int, or one int per axis) as ``d`` node counts, each >= 3; errors name ``caller``."""
    raw = (n,) * d if np.ndim(n) == 0 else tuple(n)
    if len(raw) != d:
        raise DomainError(
            f"{caller}: n must be an int or {d} ints (one per axis), got {n!r}; "
            f"pass a single int or a tuple of length {d}."
        )
    return tuple(check_int(m, f"{caller}: n", minimum=3, error=DomainError) for m in raw)


def boundary_mask(counts: tuple[int, ...]) -> np.ndarray:
    """Boolean array of shape ``counts``, True on the boundary nodes."""
    mask = np.ones(counts, dtype=bool)
    mask[(slice(1, -1),) * len(counts)] = False
    return mask


def evaluate_on_grid(fn, name: str, coords: list[np.ndarray], caller: str, *, dtype: type = float,
                     example: str = "lambda x, y: 0 * x") -> np.ndarray:
    """``fn(*coords)`` as an array of ``dtype`` (float or complex) and of the coordinates' shape
    (a scalar is broadcast), checked to be finite; errors name ``caller``, ``name`` and, for a
    non-callable ``fn``, suggest ``example``."""
    if not callable(fn):
        raise DataError(
            f"{caller}: {name} must be a callable of the coordinate arrays, got "
            f"{type(fn).__name__}; pass e.g. {example}."
        )
    shape = coords[0].shape
    kind = "real numbers" if dtype is float else "real or complex numbers"
    try:
        out = np.asarray(fn(*coords), dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{caller}: {name} must return {kind} for {len(coords)} array argument(s), but calling "
            f"it failed ({exc}); make it accept arrays and return {kind}."
        ) from exc
    if out.ndim == 0:
        out = np.full(shape, out[()], dtype=dtype)
    if out.shape != shape:
        raise DataError(
            f"{caller}: {name} must return an array of shape {shape} (the shape of its "
            f"arguments) or a scalar, got shape {out.shape}; make it numpy-vectorised."
        )
    if not np.all(np.isfinite(out)):
        bad = int(np.size(out) - np.count_nonzero(np.isfinite(out)))
        raise DataError(
            f"{caller}: {name} must return finite values, got {bad} NaN or infinite value(s) "
            f"out of {out.size}; fix {name} on the box (check divisions and logs)."
        )
    return out


def _boundary_load(values: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Sum over axes ``k`` of the lower and upper neighbour values along ``k`` over ``h_k**2``,
    on the interior nodes. ``values`` holds ``g`` on the boundary and zeros inside, so only
    neighbours on the boundary contribute."""
    d = values.ndim
    load = np.zeros(tuple(m - 2 for m in values.shape))
    for k in range(d):
        below = tuple(slice(0, -2) if j == k else slice(1, -1) for j in range(d))
        above = tuple(slice(2, None) if j == k else slice(1, -1) for j in range(d))
        load += (values[below] + values[above]) / h[k] ** 2
    return load


def _second_difference(m: int, h: float) -> sparse.csr_matrix:
    """The ``m x m`` matrix ``tridiag(-1, 2, -1) / h**2`` of ``-d^2/dx^2`` on interior nodes."""
    return sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m), format="csr") / h**2


def _laplacian_matrix(counts: tuple[int, ...], h: np.ndarray) -> sparse.csc_matrix:
    """Kronecker sum ``sum_k I (x) ... (x) T_k (x) ... (x) I`` over the interior sizes
    ``m_k = n_k - 2``, acting on unknowns in C order; shape ``(prod m_k, prod m_k)``."""
    sizes = [m - 2 for m in counts]
    total = sparse.csr_matrix((int(np.prod(sizes)),) * 2)
    for k, m in enumerate(sizes):
        term = sparse.identity(1, format="csr")
        for j, mj in enumerate(sizes):
            factor = _second_difference(m, h[k]) if j == k else sparse.identity(mj, format="csr")
            term = sparse.kron(term, factor, format="csr")
        total = total + term
    return total.tocsc()


def _solve_interior(rhs: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Solve ``A u = rhs`` for the interior values; ``rhs`` and result have shape
    ``(m_1, ..., m_d)``. Sparse LU in 2-D and for small 3-D systems, DST-I beyond."""
    if rhs.ndim == 3 and rhs.size > SPARSE_DIRECT_MAX_3D:
        return _solve_spectral(rhs, h)
    return _solve_sparse(rhs, h)


def _solve_sparse(rhs: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Sparse LU solve of ``A u = rhs`` with the assembled Kronecker-sum matrix."""
    counts = tuple(m + 2 for m in rhs.shape)
    u = spsolve(_laplacian_matrix(counts, h), rhs.reshape(-1), permc_spec="MMD_AT_PLUS_A")
    return np.asarray(u).reshape(rhs.shape)


def _solve_spectral(rhs: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Fast-diagonalisation solve of ``A u = rhs``: ``u = Q (Q rhs / Lambda)`` with ``Q`` the
    orthonormal DST-I on every axis and ``Lambda[j_1, ..., j_d] = sum_k lam_k[j_k]``."""
    eigenvalues = np.zeros(rhs.shape)
    for k, m in enumerate(rhs.shape):
        lam = 4.0 / h[k] ** 2 * np.sin(np.pi * np.arange(1, m + 1) / (2 * (m + 1))) ** 2
        eigenvalues = eigenvalues + lam.reshape([m if j == k else 1 for j in range(rhs.ndim)])
    return dstn(dstn(rhs, type=1, norm="ortho") / eigenvalues, type=1, norm="ortho")
