"""Compare a trained field with references on one grid: metrics and one figure.

The references are arrays on the evaluation grid (an FD solution, say) plus, when the
problem has one, the analytic solution. Metrics follow the names of ``metrics.json``:
``rel_l2_<reference>`` and ``max_abs_<reference>`` for the PINN, and
``<reference>_rel_l2_exact`` for each numerical reference against the analytic one, which
says how much the reference itself can be trusted.
"""

from __future__ import annotations

import numpy as np

from pinnfield import metrics
from pinnfield.io import grid_points
from pinnfield.plot import field_panel, loss_panel, panels_figure

__all__ = ["Comparison", "compare_on_grid", "comparison_figure"]


class Comparison:
    """Values of one field on a grid: ``pinn``, ``exact`` (or None), ``references`` by name."""

    def __init__(self, field: str, axes, pinn, exact, references: dict):
        self.field, self.axes = field, tuple(np.asarray(a) for a in axes)
        self.pinn, self.exact, self.references = pinn, exact, references

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    def metrics(self) -> dict[str, float]:
        out = {}
        targets = ({"exact": self.exact} if self.exact is not None else {}) | self.references
        for name, reference in targets.items():
            out[f"rel_l2_{name}"] = metrics.rel_l2(self.pinn, reference)
            out[f"max_abs_{name}"] = metrics.max_abs(self.pinn, reference)
        if self.exact is not None:
            for name, reference in self.references.items():
                out[f"{name}_rel_l2_exact"] = metrics.rel_l2(reference, self.exact)
                out[f"{name}_max_abs_exact"] = metrics.max_abs(reference, self.exact)
        return out


def compare_on_grid(solution, field: str, axes, references: dict | None = None) -> Comparison:
    """Evaluate ``field`` of ``solution`` (and its exact solution, if known) on the grid ``axes``."""
    points = grid_points(axes)
    shape = tuple(len(a) for a in axes)
    pinn = solution.evaluate(field, points).reshape(shape)
    f = solution.function_named(field)
    exact = solution.exact_values(f, points).reshape(shape) if f in solution.exact else None
    refs = {name: np.asarray(v, dtype=float).reshape(shape) for name, v in (references or {}).items()}
    return Comparison(field, axes, pinn, exact, refs)


def comparison_figure(comparison: Comparison, history: dict | None = None, labels=("x", "y"),
                      switch_step: int | None = None):
    """PINN | reference | |PINN - exact| | |reference - exact| | loss curves, for a 2-D field.

    The two solution panels share one colour scale, and so do the two error panels.
    ``switch_step`` marks where L-BFGS took over from Adam on the loss curve.
    """
    c = comparison
    reference_name, reference = next(iter(c.references.items()), ("exact", c.exact))
    panels = [(f"PINN {c.field}", c.pinn, "viridis"), (f"{reference_name.upper()} reference", reference, "viridis")]
    if c.exact is not None:
        error = np.abs(c.pinn - c.exact)
        panels.append((f"|PINN - exact|, max {error.max():.1e}", error, "magma"))
        if reference is not c.exact:
            error = np.abs(reference - c.exact)
            panels.append((f"|{reference_name.upper()} - exact|, max {error.max():.1e}", error, "magma"))
    fig, axes = panels_figure(len(panels) + (1 if history else 0))
    low = min(float(np.min(v)) for _, v, cmap in panels if cmap == "viridis")
    high = max(float(np.max(v)) for _, v, cmap in panels if cmap == "viridis")
    error_high = max([float(np.max(v)) for _, v, cmap in panels if cmap == "magma"] or [1.0])
    for ax, (title, values, cmap) in zip(axes, panels):
        vmin, vmax = (low, high) if cmap == "viridis" else (0.0, error_high)
        field_panel(ax, c.axes, values, title, cmap=cmap, vmin=vmin, vmax=vmax, labels=labels)
    if history:
        loss_panel(axes[len(panels)], history, switch_step)
    scores = c.metrics()
    summary = ", ".join(f"{k} = {v:.2e}" for k, v in scores.items() if k.startswith("rel_l2"))
    fig.suptitle(f"{c.field}: {summary}", fontsize=11)
    return fig
