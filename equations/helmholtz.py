"""Helmholtz equation lap(u) + k^2 u = f, real and complex, with a perfectly matched layer.

Real form: ``residual(u, f, space, k)`` is lap(u) + k^2 u - f.

Complex form: u = u_re + i u_im as two real fields. Radiating problems in free space are cut
to a box whose outer layer of width ``w`` stretches each coordinate into the complex plane,
x -> x + i int a(x) dx, with the profile a(x) = strength (d(x) / w)^power and d the depth into
the layer (0 in the physical region). With e_j = 1 + i a_j(x_j), d/dx_j becomes
(1 / e_j) d/dx_j, and multiplying the stretched equation by C = prod_j e_j gives

    sum_j d/dx_j (A_j du/dx_j) + C k^2 u = C f,      A_j = C / e_j^2,

which in 2-D is A = e_y / e_x, B = e_x / e_y, C = e_x e_y (Sitzmann et al. 2020). Outgoing
waves decay like exp(-k int a dx) in the layer. Convention: time dependence exp(-i omega t),
so outgoing waves are exp(+i k r) and the 2-D Green's function of lap + k^2 is
-(i/4) H0^(1)(k r); the SIREN paper writes e = 1 - i s/k for the opposite convention, whose
solutions are the complex conjugates of these. ``strength`` corresponds to s / k there.

>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> source(sp.sin(2 * x) * sp.sin(2 * y), (x, y), 3)
sin(2*x)*sin(2*y)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import sympy as sp

from pinnfield.errors import DomainError, EquationError
from pinnfield.symbolic import lap

from .examples import Example

__all__ = [
    "residual", "source", "complex_residual", "pml_profile", "pml_stretch_integral",
    "gaussian_source", "point_source_solution", "exact_examples",
]


def residual(u, f, space, k) -> sp.Expr:
    """lap(u) + k^2 u - f over the spatial coordinates ``space``."""
    return lap(u, space) + k**2 * u - f


def source(u_exact, space, k) -> sp.Expr:
    """The f = lap(u_exact) + k^2 u_exact for which ``u_exact`` solves the real form."""
    return sp.simplify(lap(u_exact, space) + k**2 * u_exact)


def _check_layer(coord, lower: float, upper: float, width: float, strength: float) -> None:
    if not (math.isfinite(width) and width > 0):
        raise DomainError(f"PML width along {coord} is {width}; expected a positive number.")
    if not (math.isfinite(strength) and strength >= 0):
        raise DomainError(f"PML strength along {coord} is {strength}; expected a number >= 0.")
    half = (upper - lower) / 2
    if width >= half:
        raise DomainError(
            f"PML of width {width} is thicker than the domain along {coord}: the box is "
            f"[{lower}, {upper}], and a layer on each side must be narrower than half the side "
            f"({half}). Use a thinner layer or a larger box."
        )


def pml_profile(coord, lower, upper, width, strength: float = 5.0, power: int = 2) -> sp.Expr:
    """Absorption profile a(coord) = strength (d / width)^power of a layer on both ends of [lower, upper].

    d = max(0, lower + width - coord, coord - (upper - width)) is the depth into the layer.
    """
    lower, upper, width, strength = float(lower), float(upper), float(width), float(strength)
    _check_layer(coord, lower, upper, width, strength)
    depth = sp.Max(0, lower + width - coord, coord - (upper - width))
    return strength * (depth / width) ** power


def pml_stretch_integral(coord, lower, upper, width, strength: float = 5.0, power: int = 2) -> sp.Expr:
    """int a(coord) d coord, zero in the physical region: the stretched coordinate is coord + i times this."""
    lower, upper, width, strength = float(lower), float(upper), float(width), float(strength)
    _check_layer(coord, lower, upper, width, strength)
    scale = strength / (width**power * (power + 1))
    right = sp.Max(0, coord - (upper - width)) ** (power + 1)
    left = sp.Max(0, lower + width - coord) ** (power + 1)
    return scale * (right - left)


def complex_residual(u_re, u_im, space, k, f_re=0, f_im=0, pml: Sequence | None = None) -> tuple:
    """Real and imaginary parts of sum_j d_j(A_j d_j u) + C k^2 u - C f (see the module docstring).

    ``pml``: one absorption profile a_j per coordinate of ``space`` (a sympy expression such as
    :func:`pml_profile`, or 0 where that axis has no layer); ``None`` means no layer, and the
    residual is that of lap(u) + k^2 u = f.
    Returns ``(residual_re, residual_im)``, both zero where u = u_re + i u_im solves the equation.
    """
    space = tuple(space)
    profiles = [sp.S(0)] * len(space) if pml is None else [sp.sympify(a) for a in pml]
    if len(profiles) != len(space):
        raise EquationError(
            f"complex_residual got {len(profiles)} PML profiles for {len(space)} coordinates "
            f"{space}; give one per coordinate (0 for an axis without a layer)."
        )
    a = sp.symbols(f"a0:{len(space)}", real=True)
    e = [1 + sp.I * aj for aj in a]
    c_total = sp.Mul(*e)
    values = dict(zip(a, profiles))

    def parts(expr):
        re, im = sp.expand_complex(expr).as_real_imag()
        return sp.simplify(re).subs(values), sp.simplify(im).subs(values)

    res_re, res_im = sp.S(0), sp.S(0)
    for j, x in enumerate(space):
        a_re, a_im = parts(c_total / e[j] ** 2)
        ux_re, ux_im = sp.diff(u_re, x), sp.diff(u_im, x)
        res_re += sp.diff(a_re * ux_re - a_im * ux_im, x)
        res_im += sp.diff(a_re * ux_im + a_im * ux_re, x)
    c_re, c_im = parts(c_total)
    res_re += c_re * (k**2 * u_re - f_re) - c_im * (k**2 * u_im - f_im)
    res_im += c_re * (k**2 * u_im - f_im) + c_im * (k**2 * u_re - f_re)
    return res_re, res_im


def gaussian_source(space, center, sigma) -> sp.Expr:
    """Normalised Gaussian exp(-|x - center|^2 / (2 sigma^2)) / (2 pi sigma^2)^(d/2): unit mass."""
    space = tuple(space)
    if not sigma > 0:
        raise EquationError(f"Gaussian source width sigma = {sigma}; expected a positive number.")
    r2 = sum((x - c) ** 2 for x, c in zip(space, center))
    return sp.exp(-r2 / (2 * sigma**2)) / (2 * sp.pi * sigma**2) ** sp.Rational(len(space), 2)


def point_source_solution(r, k: float, sigma: float = 0.0) -> np.ndarray:
    """Complex field radiated by a unit source in 2-D free space: the u with lap u + k^2 u = -g.

    For a point source g = delta it is (i/4) H0^(1)(k r). For the normalised Gaussian of width
    ``sigma`` it is that times exp(-k^2 sigma^2 / 2) (the Gaussian's Fourier transform on
    |xi| = k), exact outside the source up to its tail exp(-r^2 / (2 sigma^2)).
    ``r``: array of distances > 0, any shape; returns a complex array of the same shape.
    """
    from scipy.special import hankel1

    r = np.asarray(r, dtype=float)
    return 0.25j * hankel1(0, k * r) * math.exp(-(k * sigma) ** 2 / 2)


def exact_examples() -> list[Example]:
    """Manufactured real solution; a plane wave through a PML, whose stretched form is exact."""
    x, y = sp.symbols("x y")
    u, u_re, u_im = (sp.Function(n)(x, y) for n in ("u", "u_re", "u_im"))
    k = 3
    u_exact = sp.exp(x) * sp.sin(2 * y) + x**2 * y
    examples = [Example("real", (residual(u, source(u_exact, (x, y), k), (x, y), k),), {u: u_exact}, (x, y))]

    kx, ky = k * sp.Rational(3, 5), k * sp.Rational(4, 5)
    layer = dict(lower=-1, upper=1, width=0.3, strength=2.0)
    decay = sp.exp(-(kx * pml_stretch_integral(x, **layer) + ky * pml_stretch_integral(y, **layer)))
    pml = (pml_profile(x, **layer), pml_profile(y, **layer))
    examples.append(Example(
        "plane wave through a PML", complex_residual(u_re, u_im, (x, y), k, pml=pml),
        {u_re: decay * sp.cos(kx * x + ky * y), u_im: decay * sp.sin(kx * x + ky * y)},
        (x, y), box=((-1, -1), (1, 1)),
    ))
    return examples
