"""Poisson image reconstruction from the gradient: grad u = grad(2 I - 1) at every pixel.

Sitzmann et al. (2020, sec. 4.1) fit a Siren only to the Sobel gradient of an image; the image
comes back up to an offset, so PSNR and SSIM are reported after the least-squares affine
alignment a u + b of the reconstruction to the image (the paper reports 32.91 dB on cameraman
at 256 x 256). The image is cameraman at SIZE x SIZE unless ``data`` names an image file; the
gradient targets are the ``pf.Pixels`` columns ``I_x``, ``I_y`` in the field's coordinate units.
"""

from __future__ import annotations

import sympy as sp

import pinnfield as pf
from pinnfield.equations import fitting

from ._data import data_of, remember_data, settings_of
from .image import SIZE, fields, network, pixels, x, y

DEFAULTS = dict(steps=2000, lr=1e-4, schedule="cosine", seed=0)
"""fit() settings: full-batch Adam on every pixel (see tests/test_problems.py for the measured PSNR)."""

PAPER = dict(problem=dict(size=256), fit=dict(steps=10000))
"""The paper's scale (a GPU run): 256 x 256 pixels, 10,000 full-batch steps (``solve(paper=True)``)."""


def problem(data=None, size: int | tuple | None = SIZE, net: pf.AbstractField | None = None,
            batch: int | None = None) -> pf.Problem:
    """grad u = 2 grad I on every pixel, one constraint per channel and coordinate."""
    image = pixels(data, size)
    us = fields(image)
    constraints = []
    for u, c in zip(us, image.channels):
        targets = [2 * sp.Symbol(f"{c}_{s}") for s in (x, y)]
        for residual, s in zip(fitting.gradient_fit(u, (x, y), targets), (x, y)):
            constraints.append(pf.Constraint(residual, on=image, n=batch, name=f"{c}_{s} fit"))
    return pf.Problem(fields={us if len(us) > 1 else us[0]: net or network(image)}, constraints=constraints)


def solve(data=None, paper: bool = False, **fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``; ``paper``: at :data:`PAPER` scale."""
    scale = PAPER if paper else dict(problem={}, fit={})
    settings = {**DEFAULTS, **scale["fit"], **fit_overrides}
    return remember_data(pf.fit(problem(data, **scale["problem"]), **settings), data, scale["problem"])


def report(solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Aligned reconstruction, error image, PSNR and SSIM (see ``pinnfield.validation.image_report``)."""
    from pinnfield.validation.image_report import write_image_report

    image = pixels(data_of(solution, data), size=settings_of(solution).get("size", SIZE))
    names = [str(u.func) for u in fields(image)]
    return write_image_report(solution, image, names, out, name, validation=validation, align=True,
                              title="from the gradient")
