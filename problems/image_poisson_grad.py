"""Poisson image reconstruction from the gradient: grad u = s grad I at every pixel.

Sitzmann et al. (2020, sec. 4.1) fit a Siren only to the Sobel gradient of an image; the image
comes back up to an offset, so PSNR and SSIM are reported after the least-squares affine
alignment a u + b of the reconstruction to the image (the paper reports 32.91 dB on cameraman
at 256 x 256). The image is cameraman at SIZE x SIZE unless ``data`` names an image file; the
gradient targets are the ``pf.Pixels`` columns ``I_x``, ``I_y`` in the field's coordinate units.

The Sobel gradient is the gradient of a smoothed image, so even an exact fit returns a smoothed
image: for cameraman at 128 x 128 the best aligned PSNR any field can reach from these targets
(the spectral least-squares solution of grad u = Sobel I) is 32.4 dB.
"""

from __future__ import annotations

import sympy as sp

import pinnfield as pf
from pinnfield.equations import fitting

from ._data import solve_at_scale
from .image import SIZE, fields, image_report, network, pixels, x, y

DEFAULTS = dict(steps=500, lbfgs_steps=0, lr=1e-4, schedule="cosine", seed=0)
"""fit() settings: full-batch Adam on every pixel; on cameraman 32.36 dB PSNR, SSIM 0.949 after 300
steps (saturated: the best reachable is 32.4 dB), 209 s on one thread of a busy 2-core CPU."""

PAPER = dict(problem=dict(size=256), fit=dict(steps=10000))
"""The paper's scale (a GPU run): 256 x 256 pixels, 10,000 full-batch steps (``solve(paper=True)``)."""


def problem(data=None, size: int | tuple | None = SIZE, net: pf.AbstractField | None = None,
            batch: int | None = None, scale: float = 0.25) -> pf.Problem:
    """grad u = scale grad I on every pixel, one constraint per channel and coordinate.

    The reconstruction is aligned to the image afterwards, so ``scale`` only sets the size of
    the field to learn: 0.25 keeps it near a Siren's initial output; with scale 2 (u about
    2 I - 1) training needed four times the steps for a lower PSNR in our measurements.
    """
    image = pixels(data, size)
    us = fields(image)
    constraints = []
    for u, c in zip(us, image.channels):
        targets = [scale * sp.Symbol(f"{c}_{s}") for s in (x, y)]
        for residual, s in zip(fitting.gradient_fit(u, (x, y), targets), (x, y)):
            constraints.append(pf.Constraint(residual, on=image, n=batch, name=f"{c}_{s} fit"))
    return pf.Problem(fields={us if len(us) > 1 else us[0]: net or network(image)}, constraints=constraints)


def solve(data=None, paper: bool = False, **fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` updated by ``fit_overrides``; ``paper``: at :data:`PAPER` scale."""
    return solve_at_scale(problem, DEFAULTS, PAPER, data, paper, fit_overrides)


def report(solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Aligned reconstruction, error image, PSNR and SSIM (see ``pinnfield.validation.image_report``)."""
    return image_report(solution, out, name, validation=validation, data=data, align=True, title="from the gradient")
