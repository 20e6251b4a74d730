"""Reference solutions of the viscous Burgers equation: exact (Cole-Hopf) and method of lines.

Problem: ``u_t + u u_x = nu u_xx`` for ``t > 0`` with ``u(x, 0) = u0(x)`` and viscosity
``nu > 0``. The standard PINN test case is ``u0 = -sin(pi x)`` on ``[-1, 1]``, ``u(+-1, t) = 0``,
``nu = 0.01 / pi``, ``t in [0, 1]``: a shock of width ``O(nu)`` forms at ``x = 0`` by
``t = 1 / pi``; its steepest slope ``|u_x(0, t)| = 152.00516`` is reached at ``t = 1.6037 / pi``
(Basdevant et al. 1986).

Exact solution (``cole_hopf``). ``u = -2 nu (log phi)_x`` turns Burgers into the heat equation
``phi_t = nu phi_xx``; on the whole line, with ``U0`` an antiderivative of ``u0``,

    u(x, t) = int ((x - y) / t) exp(-G(y) / (2 nu)) dy  /  int exp(-G(y) / (2 nu)) dy,
    G(y) = G(y; x, t) = U0(y) + (x - y)^2 / (2 t).

The substitution ``y = x - a s``, ``a = sqrt(4 nu t)``, turns ``exp(-(x - y)^2 / (4 nu t))``
into the Gauss-Hermite weight ``exp(-s^2)``:

    u(x, t) = sqrt(4 nu / t) sum_k w_k s_k E_k / sum_k w_k E_k,
    E_k = exp(-U0(x - a s_k) / (2 nu)),

with the ``N``-point Gauss-Hermite nodes ``s_k`` and weights ``w_k``. For ``nu = 0.01 / pi``
the exponent ``-U0 / (2 nu)`` alone spans 100 (``U0`` spans ``2 / pi``), so the terms are summed
as ``exp(log w_k - U0 / (2 nu) - m)`` with ``m`` the largest exponent at that ``(x, t)``
(log-sum-exp shift): nothing overflows, the ratio is unchanged, and weights that underflow
(``|s_k| >~ 27``) drop out. The nodes come from ``scipy.special.roots_hermite``
(Golub-Welsch below 150 nodes, an asymptotic method above), accurate at any ``N``;
``numpy.polynomial.hermite.hermgauss`` returns NaN weights from about 380 nodes on.

Quadrature accuracy (measured, ``u0 = -sin(pi x)``, ``nu = 0.01 / pi``, 256 ``x`` in
``[-1, 1]`` by 100 ``t`` in ``(0, 1]``, max difference from 300 nodes): 50 nodes 7e-8,
60 nodes 7e-10, 70 nodes 3e-12, 80 nodes and more 1e-14 (rounding). The hardest point is
the shock at ``t = 1``: the integrand has two peaks at ``s ~ +-6.5`` of width ``~ 0.4``, which
need nodes out to ``|s| ~ 8`` spaced well below the width. ``burgers_sine`` defaults to
``SINE_NODES = 128`` (a margin over 80); ``cole_hopf`` defaults to 400 nodes for unknown,
possibly sharper, data. A sharper case (smaller ``nu``, larger ``|U0|`` or later ``t``) needs
more nodes; compare with doubled ``nodes`` to check. As ``t -> 0`` the sum ``sum w s E`` is a
difference of nearly equal halves, about ``|u| sqrt(t / (4 nu))`` relative to its terms, so
about ``log10(sqrt(4 nu / t))`` digits are lost there (none at the problem's ``t >= 0.01``).

Method of lines (``solve_burgers_mol``), an independent check. ``n`` uniform nodes on
``[lower, upper]`` (``h = (upper - lower) / (n - 1)``), ``u = 0`` at both ends (Dirichlet), the
``n - 2`` interior values as unknowns and the second-order skew-symmetric (energy-conserving)
central discretisation ``u u_x = (1/3) ((u^2)_x + u u_x)``:

    du_i/dt = -(u_{i+1}^2 - u_{i-1}^2 + u_i (u_{i+1} - u_{i-1})) / (6 h)
              + nu (u_{i+1} - 2 u_i + u_{i-1}) / h^2,

truncation error ``O(h^2)``. The stiff system is integrated by ``scipy.integrate.solve_ivp``
with the implicit BDF method (orders 1 to 5) and the exact tridiagonal Jacobian (sparse), at
``rtol = 1e-10``, ``atol = 1e-12`` by default, so the time error is far below the spatial one
(measured for ``nu = 0.01 / pi``, ``n = 1025``, ``t in [0, 1]``: max 3e-9 against Radau at
``rtol = 1e-12``, while the spatial error is 3e-3). Radau is as accurate, but with the same
Jacobian it took 11 s against BDF's 0.2 s for ``n = 2049`` (scipy 1.17). The cell Peclet
number ``max |u| h / nu`` is below 2, so the centred scheme has no wiggles, once
``n > 1 + (upper - lower) max |u0| / (2 nu)``, about 315 for the standard problem.

Measured (``u0 = -sin(pi x)``): at ``nu = 0.1 / pi``, ``t = 0.5`` the max nodal error against
``cole_hopf`` falls with slope 1.98 over ``n = 41 ... 321``; at ``nu = 0.01 / pi`` the relative
L2 error over 257 ``x`` by 101 ``t`` in ``[0, 1]`` is 3.2e-4 (``n = 1025``) and 7.9e-5
(``n = 2049``).

Shapes: ``cole_hopf`` and ``burgers_sine`` broadcast ``x`` and ``t`` (any shapes) and return
the broadcast shape; ``solve_burgers_mol`` returns the nodes, shape ``(n,)``, and the values,
shape ``(n, len(times))`` (time last).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sparse
from scipy.integrate import solve_ivp
from scipy.special import roots_hermite

from pinnfield.errors import DataError, DomainError, check_int, check_number

__all__ = ["cole_hopf", "burgers_sine", "solve_burgers_mol"]

SINE_NODES = 128
MOL_ORDER = 2
_CHUNK = 1 << 20


def cole_hopf(
    x,
    t,
    nu: float,
    initial_antiderivative: Callable[[np.ndarray], np.ndarray],
    nodes: int = 400,
    initial: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Exact solution ``u(x, t)`` of ``u_t + u u_x = nu u_xx`` on the whole line, by the
    Cole-Hopf formula and ``nodes``-point Gauss-Hermite quadrature (see the module docstring).

    ``x``, ``t``: array-likes that broadcast together; all ``t >= 0``. ``nu > 0``.
    ``initial_antiderivative``: ``U0`` with ``U0' = u0``, a numpy-vectorised callable of one
    array (called with 2-D arrays of quadrature points), finite on the real line; any
    additive constant cancels.
    ``initial``: ``u0`` itself, used only where ``t == 0`` (the formula needs ``t > 0``);
    without it ``t == 0`` raises ``DomainError``.

    Returns a float array of the broadcast shape of ``x`` and ``t``.
    """
    nu = _checked_nu(nu, "cole_hopf")
    nodes = _checked_nodes(nodes)
    xb, tb = _checked_xt(x, t, "cole_hopf")
    if not callable(initial_antiderivative):
        raise DataError(
            "cole_hopf: initial_antiderivative must be a callable U0(y) of numpy arrays, got "
            f"{type(initial_antiderivative).__name__}; pass e.g. "
            "lambda y: (np.cos(np.pi * y) - 1) / np.pi."
        )
    at_zero = tb == 0
    if np.any(at_zero) and initial is None:
        raise DomainError(
            f"cole_hopf: t must be > 0 (the Cole-Hopf integral is singular at t = 0), got "
            f"{int(at_zero.sum())} value(s) t == 0; pass initial=u0 to return u0(x) there, or "
            "use t > 0."
        )
    out = np.empty(xb.shape)
    positive = ~at_zero
    out[positive] = _cole_hopf_positive(
        xb[positive], tb[positive], nu, initial_antiderivative, nodes
    )
    if np.any(at_zero):
        out[at_zero] = _call(initial, xb[at_zero], "initial", "cole_hopf")
    return out


def burgers_sine(x, t, nu: float = 0.01 / np.pi, nodes: int = SINE_NODES) -> np.ndarray:
    """Exact solution of the standard Burgers problem ``u0 = -sin(pi x)``
    (``U0(y) = (cos(pi y) - 1) / pi``), ``u(+-1, t) = 0``, at ``(x, t)`` (broadcast, ``t >= 0``).

    ``u(x, 0) = -sin(pi x)`` exactly; for ``t > 0`` it is ``cole_hopf`` with ``nodes``
    Gauss-Hermite nodes; the default ``SINE_NODES = 128`` is converged to rounding (about
    1e-14) on ``[-1, 1] x (0, 1]`` for ``nu = 0.01 / pi`` (see the module docstring). The
    whole-line solution is odd about ``x = 0`` and ``x = +-1``, so it vanishes there and solves
    the problem on ``[-1, 1]``. Returns a float array of the broadcast shape.
    """
    return cole_hopf(
        x,
        t,
        nu,
        lambda y: (np.cos(np.pi * y) - 1.0) / np.pi,
        nodes=nodes,
        initial=lambda y: -np.sin(np.pi * y),
    )


def solve_burgers_mol(
    n: int,
    times: Sequence[float],
    nu: float,
    initial: Callable[[np.ndarray], np.ndarray],
    lower: float = -1.0,
    upper: float = 1.0,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> tuple[np.ndarray, np.ndarray]:
    """Method-of-lines solution of ``u_t + u u_x = nu u_xx`` on ``[lower, upper]`` with
    ``u = 0`` at both ends and ``u(x, 0) = initial(x)``, second order in space (see the module
    docstring).

    ``n``: nodes, boundary included, ``n >= 5``. ``times``: 1-D, strictly increasing, ``>= 0``
    (integration starts at ``t = 0``). ``initial``: numpy-vectorised callable of the nodes,
    finite, and zero at both ends up to ``1e-10 * max |u0|``. ``rtol``, ``atol``: tolerances of
    ``solve_ivp`` (BDF).

    Returns ``(x, values)``: the nodes, shape ``(n,)``, and ``values`` of shape
    ``(n, len(times))``, ``values[:, k]`` the solution at ``times[k]`` (zero on the ends).
    """
    nu = _checked_nu(nu, "solve_burgers_mol")
    n = check_int(n, "solve_burgers_mol: n (nodes, boundary included)", minimum=5, error=DomainError)
    lo, hi = float(lower), float(upper)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise DomainError(
            f"solve_burgers_mol: lower must be < upper and both finite, got lower={lower!r}, "
            f"upper={upper!r}; pass an interval such as lower=-1.0, upper=1.0."
        )
    t_eval = _checked_times(times)
    for name, value in (("rtol", rtol), ("atol", atol)):
        check_number(value, f"solve_burgers_mol: {name} (e.g. rtol=1e-10, atol=1e-12)", low=0, low_open=True,
                     error=DataError)

    x = np.linspace(lo, hi, int(n))
    u0 = _call(initial, x, "initial", "solve_burgers_mol")
    scale = max(float(np.max(np.abs(u0))), np.finfo(float).tiny)
    if max(abs(u0[0]), abs(u0[-1])) > 1e-10 * scale:
        raise DataError(
            f"solve_burgers_mol: initial must vanish at both ends (Dirichlet u = 0), got "
            f"u0({lo}) = {u0[0]:.3g} and u0({hi}) = {u0[-1]:.3g}; use initial data with "
            "u0(lower) = u0(upper) = 0."
        )

    h = x[1] - x[0]
    rhs, jacobian = _mol_system(int(n) - 2, h, nu)
    values = np.zeros((int(n), t_eval.size))
    start = 1 if t_eval[0] == 0 else 0
    values[1:-1, 0] = u0[1:-1] if start else 0.0
    if t_eval.size > start:
        result = solve_ivp(
            rhs,
            (0.0, float(t_eval[-1])),
            u0[1:-1],
            method="BDF",
            t_eval=t_eval[start:],
            jac=jacobian,
            rtol=rtol,
            atol=atol,
        )
        if not result.success:
            raise DataError(
                f"solve_burgers_mol: the time integration failed ({result.message}); loosen "
                "rtol/atol or refine the grid."
            )
        values[1:-1, start:] = result.y
    return x, values


def _mol_system(m: int, h: float, nu: float):
    """Right-hand side ``f(t, v)`` and sparse Jacobian ``df/dv`` of the semi-discrete system
    for the ``m`` interior values ``v`` (zero boundary values)."""
    c, d = 1.0 / (6.0 * h), nu / h**2

    def padded(v):
        w = np.empty(m + 2)
        w[0] = w[-1] = 0.0
        w[1:-1] = v
        return w

    def rhs(_t, v):
        w = padded(v)
        left, right = w[:-2], w[2:]
        return -c * (right**2 - left**2 + v * (right - left)) + d * (left - 2.0 * v + right)

    def jacobian(_t, v):
        w = padded(v)
        left, right = w[:-2], w[2:]
        main = -c * (right - left) - 2.0 * d
        upper = (-c * (2.0 * right + v) + d)[:-1]
        lower = (c * (2.0 * left + v) + d)[1:]
        return sparse.diags([lower, main, upper], [-1, 0, 1], format="csc")

    return rhs, jacobian


@lru_cache(maxsize=8)
def _hermite_rule(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and log-weights (``-inf`` where a weight underflows)."""
    s, w = roots_hermite(nodes)
    with np.errstate(divide="ignore"):
        log_w = np.log(w)
    s.setflags(write=False)
    log_w.setflags(write=False)
    return s, log_w


def _cole_hopf_positive(x, t, nu, antiderivative, nodes) -> np.ndarray:
    """Cole-Hopf quadrature at 1-D arrays ``x``, ``t`` (all ``t > 0``), in chunks of about
    ``_CHUNK`` quadrature terms."""
    s, log_w = _hermite_rule(nodes)
    out = np.empty(x.size)
    rows = max(1, _CHUNK // nodes)
    for k in range(0, x.size, rows):
        xc, tc = x[k : k + rows, None], t[k : k + rows, None]
        y = xc - np.sqrt(4.0 * nu * tc) * s
        exponent = log_w - _call(antiderivative, y, "initial_antiderivative", "cole_hopf") / (
            2.0 * nu
        )
        exponent -= np.max(exponent, axis=1, keepdims=True)
        weights = np.exp(exponent)
        out[k : k + rows] = np.sqrt(4.0 * nu / tc[:, 0]) * (weights @ s) / weights.sum(axis=1)
    return out


def _call(fn, arg: np.ndarray, name: str, owner: str) -> np.ndarray:
    """``fn(arg)`` as a finite float array of ``arg``'s shape."""
    if not callable(fn):
        raise DataError(
            f"{owner}: {name} must be a callable of a numpy array, got {type(fn).__name__}; "
            "pass e.g. lambda x: -np.sin(np.pi * x)."
        )
    try:
        out = np.asarray(fn(arg), dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{owner}: {name} must return real numbers for an array argument, but calling it "
            f"failed ({exc}); make it numpy-vectorised."
        ) from exc
    if out.ndim == 0:
        out = np.full(arg.shape, float(out))
    if out.shape != arg.shape:
        raise DataError(
            f"{owner}: {name} must return an array of its argument's shape {arg.shape} or a "
            f"scalar, got shape {out.shape}; make it numpy-vectorised."
        )
    if not np.all(np.isfinite(out)):
        bad = int(out.size - np.count_nonzero(np.isfinite(out)))
        raise DataError(
            f"{owner}: {name} must return finite values, got {bad} NaN or infinite value(s) "
            f"out of {out.size}; fix {name} on the real line."
        )
    return out


def _checked_nu(nu, owner: str) -> float:
    try:
        value = float(nu)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            f"{owner}: nu must be a positive number (the viscosity), got {nu!r}; use e.g. "
            "nu=0.01 / np.pi."
        ) from exc
    if not (np.isfinite(value) and value > 0):
        raise DomainError(
            f"{owner}: nu must be positive and finite (the viscosity), got nu={value!r}; use "
            "e.g. nu=0.01 / np.pi (inviscid Burgers has no smooth reference here)."
        )
    return value


def _checked_nodes(nodes) -> int:
    return check_int(nodes, "cole_hopf: nodes (Gauss-Hermite nodes, e.g. 400)", minimum=2, error=DataError)


def _checked_xt(x, t, owner: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        xb, tb = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(t, dtype=float))
    except ValueError as exc:
        raise DataError(
            f"{owner}: x and t must broadcast together, got shapes {np.shape(x)} and "
            f"{np.shape(t)}; pass arrays of one shape or use meshgrid."
        ) from exc
    if not (np.all(np.isfinite(xb)) and np.all(np.isfinite(tb))):
        raise DataError(
            f"{owner}: x and t must be finite, got NaN or infinite values; remove them."
        )
    if np.any(tb < 0):
        raise DomainError(
            f"{owner}: t must be >= 0 (the problem starts at t = 0), got minimum t = "
            f"{float(tb.min())!r}; evaluate at t >= 0."
        )
    return xb, tb


def _checked_times(times) -> np.ndarray:
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise DomainError(
            f"solve_burgers_mol: times must be a non-empty 1-D sequence, got shape {t.shape}; "
            "pass e.g. np.linspace(0, 1, 101)."
        )
    if not np.all(np.isfinite(t)):
        raise DomainError(
            f"solve_burgers_mol: times must be finite, got {t.tolist()[:8]}; remove NaN or "
            "infinite entries."
        )
    if t[0] < 0:
        raise DomainError(
            f"solve_burgers_mol: times must be >= 0 (integration starts at t = 0), got "
            f"times[0] = {float(t[0])!r}; drop negative times."
        )
    if np.any(np.diff(t) <= 0):
        k = int(np.argmax(np.diff(t) <= 0))
        raise DomainError(
            f"solve_burgers_mol: times must be strictly increasing, got times[{k}] = "
            f"{float(t[k])!r} >= times[{k + 1}] = {float(t[k + 1])!r}; sort them and drop "
            "duplicates."
        )
    return t
