"""Fit an image with a Siren: u(x, y) = 2 I - 1 at every pixel (Sitzmann et al. 2020, sec. 4.1).

The image is scikit-image's bundled cameraman at SIZE x SIZE unless ``data`` names an image
file (grey or colour; colour is fitted by a Siren with three outputs). Pixel centres sit on
[-1, 1]^2, rows along x and columns along y; values are mapped from [0, 1] to [-1, 1] for the
fit. ``pinnfield run image [--data PATH]`` trains with :data:`DEFAULTS` and reports PSNR and
SSIM against the image; ``examples/spectral_bias.py`` compares this fit with ReLU, positional
encoding, Fourier features and tanh networks at equal steps.
"""

from __future__ import annotations

import sympy as sp

import pinnfield as pf
from pinnfield.equations import fitting

from ._data import data_of, settings_of, solve_at_scale

x, y = sp.symbols("x y")
SIZE = 128
"""Side of the fitted image in pixels (the image is resized to SIZE x SIZE)."""

DEFAULTS = dict(steps=2000, lbfgs_steps=0, lr=1e-4, schedule="cosine", seed=0)
"""fit() settings: full-batch Adam on every pixel; on cameraman 50.5 dB PSNR (40 dB after 558
steps), 0.17 s a step on a 2-core CPU."""

PAPER = dict(problem=dict(size=256), fit=dict(steps=10000))
"""The paper's scale (a GPU run): 256 x 256 pixels, 10,000 full-batch steps (``solve(paper=True)``)."""


def pixels(data=None, size: int | tuple | None = SIZE) -> pf.Pixels:
    """The image as a sampling region: cameraman by default, else the image file ``data``."""
    if data is None:
        return pf.Pixels.cameraman((x, y), size=size)
    return pf.Pixels(data, (x, y), size=size)


def fields(image: pf.Pixels) -> tuple:
    """One field per channel: (u,) for grey, (u_r, u_g, u_b) for colour."""
    if len(image.channels) == 1:
        return (sp.Function("u")(x, y),)
    return tuple(sp.Function(f"u_{c.rsplit('_', 1)[-1]}")(x, y) for c in image.channels)


def network(image: pf.Pixels, width: int = 256, depth: int = 3, omega0: float = 30.0) -> pf.Siren:
    """The Siren of the paper's image fit (3 hidden layers of 256, omega 30)."""
    return pf.Siren(in_dim=2, out_dim=len(image.channels), width=width, depth=depth, omega0=omega0, omega_hidden=30.0)


def problem(data=None, size: int | tuple | None = SIZE, net: pf.AbstractField | None = None,
            batch: int | None = None) -> pf.Problem:
    """u = 2 I - 1 on every pixel (``batch`` pixels per step; None: all). ``net``: any field with
    one output per channel (default :func:`network`), for comparisons of architectures."""
    image = pixels(data, size)
    us = fields(image)
    return pf.Problem(
        fields={us if len(us) > 1 else us[0]: net or network(image)},
        constraints=[pf.Constraint(fitting.value_fit(u, 2 * sp.Symbol(c) - 1), on=image, n=batch, name=f"{c} fit")
                     for u, c in zip(us, image.channels)],
    )


def solve(data=None, paper: bool = False, **fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``; ``paper``: at :data:`PAPER` scale."""
    return solve_at_scale(problem, DEFAULTS, PAPER, data, paper, fit_overrides)


def report(solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Fitted image, error image, PSNR and SSIM (see ``pinnfield.validation.image_report``)."""
    return image_report(solution, out, name, validation=validation, data=data, value_of=lambda u: (u + 1) / 2)


def image_report(solution, out: str, name: str, *, validation: bool, data=None, **options) -> tuple[dict, list[str]]:
    """The report of any fit on this module's pixels (the image the solution was trained on);
    ``options`` go to ``write_image_report`` (``value_of``, ``align``, ``title``)."""
    from pinnfield.validation.image_report import write_image_report

    image = pixels(data_of(solution, data), size=settings_of(solution).get("size", SIZE))
    names = [str(u.func) for u in fields(image)]
    return write_image_report(solution, image, names, out, name, validation=validation, **options)
