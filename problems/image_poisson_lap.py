"""Poisson image reconstruction from the Laplacian: lap u = lap(2 I - 1) at every pixel.

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

from ._data import data_of, remember_data, settings_of
from .image import SIZE, fields, network, pixels, x, y

DEFAULTS = dict(steps=2000, lr=1e-4, schedule="cosine", seed=0)
"""fit() settings: full-batch Adam on every pixel (see tests/test_problems.py for the measured PSNR)."""

PAPER = dict(problem=dict(size=256), fit=dict(steps=10000))
"""The paper's scale (a GPU run): 256 x 256 pixels, 10,000 full-batch steps (``solve(paper=True)``)."""


def problem(data=None, size: int | tuple | None = SIZE, net: pf.AbstractField | None = None,
            batch: int | None = None) -> pf.Problem:
    """lap u = 2 lap I on every pixel, one constraint per channel."""
    image = pixels(data, size)
    us = fields(image)
    constraints = [pf.Constraint(fitting.laplacian_fit(u, (x, y), 2 * sp.Symbol(f"{c}_lap")), on=image, n=batch,
                                 name=f"{c}_lap fit") for u, c in zip(us, image.channels)]
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
                              title="from the Laplacian")
