"""Figures: fields on 2-D grids, error maps, loss curves. Written atomically as PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .io import atomic_path  # noqa: E402

__all__ = ["field_panel", "loss_panel", "save_figure", "panels_figure"]


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

    ``switch_step``: draw a dashed line where the optimiser changed (Adam -> L-BFGS).
    """
    steps = np.asarray(history.get("step", []))
    for name, values in history.items():
        if name == "step" or not values:
            continue
        style = dict(color="black", lw=1.5) if name == "loss" else dict(lw=1)
        label = "total (weighted)" if name == "loss" else name
        ax.semilogy(steps, np.asarray(values), label=label, **style)
    if switch_step:
        ax.axvline(switch_step, color="grey", ls="--", lw=0.8)
        ax.text(switch_step, 1, " L-BFGS", transform=ax.get_xaxis_transform(), va="top", fontsize=8, color="grey")
    ax.set_xlabel("step")
    ax.set_ylabel("loss per term (unweighted)")
    ax.set_title("training loss", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")


def panels_figure(count: int, size: float = 3.6):
    fig, axes = plt.subplots(1, count, figsize=(size * count, size * 0.95), constrained_layout=True)
    return fig, np.atleast_1d(axes)


def save_figure(fig, path: str, dpi: int = 120) -> None:
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    plt.close(fig)
