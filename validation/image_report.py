"""Reports of image fits: the fitted image beside the target, the error image, PSNR and SSIM.

An image fit (``problems/image.py``) or a Poisson reconstruction from the image's gradient or
Laplacian (``problems/image_poisson_*.py``) is evaluated at every pixel of its ``pf.Pixels``.
A reconstruction from derivatives determines the image only up to an offset (gradient) or an
affine map of the values (Laplacian, on a finite image): ``align=True`` reports the metrics
after the least-squares fit a u + b of the reconstruction u to the image, as the SIREN paper
does. PSNR and SSIM are those of the image a user sees: the fit clipped to [0, 1], the range of
the image's values (as in the SIREN reference code).
"""

from __future__ import annotations

import os

import numpy as np

from pinnfield.io import write_json, write_npz, write_png
from pinnfield.metrics import psnr, ssim
from pinnfield.plot import loss_panel, panels_figure, save_figure

__all__ = ["affine_alignment", "fitted_image", "write_image_report"]


def affine_alignment(prediction: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(a, b) minimising ||a prediction + b - target||_2 over all entries (per image, not per channel)."""
    p, t = np.ravel(prediction), np.ravel(target)
    design = np.stack([p, np.ones_like(p)], axis=1)
    (a, b), *_ = np.linalg.lstsq(design, t, rcond=None)
    return float(a), float(b)


def fitted_image(solution, pixels, outputs, value_of) -> np.ndarray:
    """Evaluate each output (a field name or expression) at every pixel and map it to image values.

    ``value_of``: u -> image value (e.g. (u + 1) / 2 for a field fitted to 2 I - 1).
    Returns (H, W) for one output, (H, W, C) for several.
    """
    channels = [value_of(solution.evaluate(o, pixels.points.numpy())).reshape(pixels.shape) for o in outputs]
    return channels[0] if len(channels) == 1 else np.stack(channels, axis=-1)


def write_image_report(solution, pixels, outputs, out: str, name: str, *, validation: bool,
                       value_of=lambda u: u, align: bool = False, title: str = "fit") -> tuple[dict, list[str]]:
    """Write ``NAME_fit.png`` (the image itself), a figure (target, fit, error, loss), ``NAME.npz`` and
    ``metrics.json`` (``validation.json`` when ``validation``) with ``psnr`` and ``ssim`` (data range 1).

    Returns (metrics, paths written).
    """
    target = pixels.image
    image = fitted_image(solution, pixels, outputs, value_of)
    results = dict(solution.info)
    if align:
        a, b = affine_alignment(image, target)
        results["alignment"] = {"scale": a, "offset": b}
        image = a * image + b
    image = np.clip(image, 0.0, 1.0)
    results["psnr"] = psnr(image, target, data_range=1.0)
    results["ssim"] = ssim(image, target, data_range=1.0)
    results["pixels"] = list(pixels.shape)
    error = np.abs(image - target)
    written = []
    fit_path = os.path.join(out, f"{name}_fit.png")
    write_png(fit_path, image)
    written.append(fit_path)

    fig, axes = panels_figure(4)
    grey = dict(cmap="gray", vmin=0, vmax=1) if target.ndim == 2 else {}
    axes[0].imshow(target, **grey)
    axes[0].set_title("target", fontsize=10)
    axes[1].imshow(image, **grey)
    aligned = " (aligned)" if align else ""
    axes[1].set_title(f"{title}{aligned}: PSNR {results['psnr']:.1f} dB, SSIM {results['ssim']:.3f}", fontsize=10)
    shown = axes[2].imshow(error if error.ndim == 2 else error.mean(axis=-1), cmap="magma")
    fig.colorbar(shown, ax=axes[2], fraction=0.046, pad=0.04, format="%.1e")
    axes[2].set_title("|error|", fontsize=10)
    for ax in axes[:3]:
        ax.set_xticks([])
        ax.set_yticks([])
    loss_panel(axes[3], solution.history)
    figure_path = os.path.join(out, f"{'validation' if validation else name}.png")
    save_figure(fig, figure_path)
    written.append(figure_path)

    npz_path = os.path.join(out, f"{name}.npz")
    write_npz(npz_path, image=image, target=target, error=error)
    written.append(npz_path)
    json_path = os.path.join(out, "validation.json" if validation else "metrics.json")
    write_json(json_path, {"problem": name, **results})
    written.append(json_path)
    return results, written
