"""Poisson image reconstruction from the Laplacian: lap u = s lap I at every pixel.

Sitzmann et al. (2020, sec. 4.1) fit a Siren only to the Laplacian of an image; the image comes
back up to a harmonic function, in practice an affine map of its values, so PSNR and SSIM are
reported after the least-squares alignment a u + b (the paper reports 14.95 dB on cameraman at
256 x 256). The image is cameraman at SIZE x SIZE unless ``data`` names an image file; the
target is the ``pf.Pixels`` column ``I_lap`` (5-point Laplacian in the field's units).
"""

from __future__ import annotations

import sympy as sp

import pinnfield as pf
from pinnfield.equations import fitting

from ._data import solve_at_scale
from .image import SIZE, fields, image_report, network, pixels, x, y

DEFAULTS = dict(steps=2000, lbfgs_steps=0, lr=1e-4, schedule="cosine", seed=0)
"""fit() settings: full-batch Adam on every pixel; on cameraman 14.31 dB aligned PSNR (14.17 dB
halfway), 0.97 s a step on one core of a 2-core CPU."""

PAPER = dict(problem=dict(size=256), fit=dict(steps=10000))
"""The paper's scale (a GPU run): 256 x 256 pixels, 10,000 full-batch steps (``solve(paper=True)``)."""


def problem(data=None, size: int | tuple | None = SIZE, net: pf.AbstractField | None = None,
            batch: int | None = None, scale: float = 0.25) -> pf.Problem:
    """lap u = scale lap I on every pixel, one constraint per channel (``scale`` only sets the size
    of the field to learn, as in ``image_poisson_grad``: the result is aligned afterwards)."""
    image = pixels(data, size)
    us = fields(image)
    constraints = [pf.Constraint(fitting.laplacian_fit(u, (x, y), scale * sp.Symbol(f"{c}_lap")), on=image, n=batch,
                                 name=f"{c}_lap fit") for u, c in zip(us, image.channels)]
    return pf.Problem(fields={us if len(us) > 1 else us[0]: net or network(image)}, constraints=constraints)


def solve(data=None, paper: bool = False, **fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``; ``paper``: at :data:`PAPER` scale."""
    return solve_at_scale(problem, DEFAULTS, PAPER, data, paper, fit_overrides)


def report(solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Aligned reconstruction, error image, PSNR and SSIM (see ``pinnfield.validation.image_report``)."""
    return image_report(solution, out, name, validation=validation, data=data, align=True, title="from the Laplacian")
