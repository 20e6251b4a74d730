"""Figures: fields on 2-D grids, error maps, loss curves. Written atomically as PNG.

Figures are plain :class:`matplotlib.figure.Figure` objects drawn on their own canvas
(:func:`new_figure`): nothing here selects a backend or registers figures with pyplot, so
drawing works without a display and leaves pyplot's state and open-figure list untouched.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .io import atomic_path

__all__ = ["field_panel", "loss_panel", "parameter_panel", "save_figure", "panels_figure", "new_figure"]

PARAMETER_PREFIX = "param:"
"""History keys ``"param:<name>"`` hold a learned parameter's value per step, not a loss."""

WEIGHT_PREFIX = "weight:"
"""History keys ``"weight:<term>"`` hold a term's adaptive loss weight per step, not a loss."""


def field_panel(ax, axes, values, title: str, cmap: str = "viridis", vmin=None, vmax=None, labels=("x", "y")):
    """Draw values (len(axes[0]), len(axes[1])) on a 2-D grid with a colour bar."""
    values = np.asarray(values).reshape(len(axes[0]), len(axes[1]))
    image = ax.imshow(
        values.T, origin="lower", cmap=cmap, vmin=vmin, vmax=vmax, aspect="equal",
        extent=(axes[0][0], axes[0][-1], axes[1][0], axes[1][-1]),
    )
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, format="%.1e" if cmap == "magma" else None)
    return image


def loss_panel(ax, history: dict, switch_step: int | None = None) -> None:
    """Loss terms (each its mean per-point loss, unweighted) and the weighted total against step.

    Adaptive weights (history keys ``"weight:<term>"``) are drawn dashed, in their term's
    colour, on a second log axis on the right. ``switch_step``: draw a dashed line where the
    optimiser changed (Adam -> L-BFGS).
    """
    steps = np.asarray(history.get("step", []))
    colours = {}
    for name, values in history.items():
        if name == "step" or name.startswith((PARAMETER_PREFIX, WEIGHT_PREFIX)) or not values:
            continue
        style = dict(color="black", lw=1.5) if name == "loss" else dict(lw=1)
        label = "total (weighted)" if name == "loss" else name
        (line,) = ax.semilogy(steps, np.asarray(values), label=label, **style)
        colours[name] = line.get_color()
    weights = {k[len(WEIGHT_PREFIX):]: v for k, v in history.items() if k.startswith(WEIGHT_PREFIX) and v}
    if weights:
        right = ax.twinx()
        for term, values in weights.items():
            right.semilogy(steps[:len(values)], np.asarray(values), ls="--", lw=0.9, color=colours.get(term))
        right.set_ylabel("weight (dashed)")
    if switch_step:
        ax.axvline(switch_step, color="grey", ls="--", lw=0.8)
        ax.text(switch_step, 1, " L-BFGS", transform=ax.get_xaxis_transform(), va="top", fontsize=8, color="grey")
    ax.set_xlabel("step")
    ax.set_ylabel("loss per term (unweighted)")
    ax.set_title("training loss", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")


def parameter_panel(ax, history: dict, true_values: dict | None = None) -> None:
    """Each learned parameter's value against step (history keys ``"param:<name>"``).

    ``true_values``: ``{name: value}`` drawn as dashed horizontal lines in the same colour.
    """
    steps = np.asarray(history.get("step", []))
    true_values = dict(true_values or {})
    for key, values in history.items():
        if not key.startswith(PARAMETER_PREFIX) or not values:
            continue
        name = key[len(PARAMETER_PREFIX):]
        (line,) = ax.plot(steps[:len(values)], np.asarray(values), lw=1.2, label=f"{name} = {values[-1]:.4g}")
        if name in true_values:
            truth = float(true_values[name])
            ax.axhline(truth, color=line.get_color(), ls="--", lw=0.9, label=f"{name} true = {truth:.4g}")
    ax.set_xlabel("step")
    ax.set_ylabel("value")
    ax.set_title("learned parameters", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")


def new_figure(rows: int, columns: int, figsize: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    """A constrained-layout figure of ``figsize`` inches with a (rows, columns) array of axes.

    The figure is not known to pyplot (no backend, no global figure list): save it with
    :func:`save_figure` or ``fig.savefig``; it is freed when no longer referenced.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(rows, columns, squeeze=False)


def panels_figure(count: int, size: float = 3.6) -> tuple[Figure, np.ndarray]:
    """A figure with one row of ``count`` square-ish panels of ``size`` inches; axes shape (count,)."""
    fig, axes = new_figure(1, count, (size * count, size * 0.95))
    return fig, axes[0]


def save_figure(fig: Figure, path: str, dpi: int = 120) -> None:
    """Write ``fig`` to ``path`` as PNG, atomically (a reader never sees a partial file)."""
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
