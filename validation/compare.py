"""Compare a trained field with references on one grid: metrics and figures.

The references are arrays on the evaluation grid (an FD solution, say) plus, when the
problem has one, the analytic solution. Metrics follow the names of ``metrics.json``:
``rel_l2_<reference>`` and ``max_abs_<reference>`` for the PINN, and
``<reference>_rel_l2_exact`` for each numerical reference against the analytic one, which
says how much the reference itself can be trusted. A ``mask`` restricts every metric to the
grid nodes where it is True (outside a PML, away from a singular source).
"""

from __future__ import annotations

import numpy as np

from pinnfield import metrics
from pinnfield.io import grid_points
from pinnfield.plot import field_panel, loss_panel, new_figure, panels_figure

__all__ = ["Comparison", "compare_on_grid", "comparison_figure", "snapshot_figure"]


class Comparison:
    """Values of one output on a grid: ``pinn``, ``exact`` (or None), ``references`` by name.

    ``mask``: bool array of the grid's shape, True where errors are measured (None: everywhere).
    """

    def __init__(self, field: str, axes, pinn, exact, references: dict, mask=None):
        self.field, self.axes = field, tuple(np.asarray(a) for a in axes)
        self.pinn, self.exact, self.references = pinn, exact, references
        self.mask = None if mask is None else np.asarray(mask, dtype=bool).reshape(self.shape)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    def targets(self) -> dict[str, np.ndarray]:
        """The analytic solution (as ``exact``) first, then the numerical references."""
        return ({"exact": self.exact} if self.exact is not None else {}) | self.references

    def masked(self, values: np.ndarray) -> np.ndarray:
        """``values`` with NaN outside the mask, for figures."""
        return values if self.mask is None else np.where(self.mask, values, np.nan)

    def _pick(self, values: np.ndarray) -> np.ndarray:
        return values if self.mask is None else values[self.mask]

    def metrics(self) -> dict[str, float]:
        out = {}
        for name, reference in self.targets().items():
            out[f"rel_l2_{name}"] = metrics.rel_l2(self._pick(self.pinn), self._pick(reference))
            out[f"max_abs_{name}"] = metrics.max_abs(self._pick(self.pinn), self._pick(reference))
        if self.exact is not None:
            for name, reference in self.references.items():
                out[f"{name}_rel_l2_exact"] = metrics.rel_l2(self._pick(reference), self._pick(self.exact))
                out[f"{name}_max_abs_exact"] = metrics.max_abs(self._pick(reference), self._pick(self.exact))
        return out


def compare_on_grid(solution, field: str, axes, references: dict | None = None, *,
                    expression=None, mask=None) -> Comparison:
    """Evaluate an output of ``solution`` on the grid ``axes`` and collect its references.

    ``field``: the output's name; its values are those of ``expression`` (a sympy expression of
    the fields) when given, else of the field of that name, whose exact solution (if the
    problem has one) joins the references as ``exact``.
    """
    points = grid_points(axes)
    shape = tuple(len(a) for a in axes)
    pinn = solution.evaluate(field if expression is None else expression, points).reshape(shape)
    exact = None
    if expression is None:
        f = solution.function_named(field)
        exact = solution.exact_values(f, points).reshape(shape) if f in solution.exact else None
    refs = {name: np.asarray(v, dtype=float).reshape(shape) for name, v in (references or {}).items()}
    if exact is None and "exact" in refs:
        exact = refs.pop("exact")
    return Comparison(field, axes, pinn, exact, refs, mask)


def _solution_panels(c: Comparison):
    """(title, values, kind) for PINN, first reference, |PINN - best reference|, |reference - exact|."""
    reference_name, reference = next(iter(c.references.items()), ("exact", c.exact))
    best_name, best = ("exact", c.exact) if c.exact is not None else (reference_name, reference)
    panels = [(f"PINN {c.field}", c.pinn, "field"),
              (f"{reference_name.upper() if reference_name != 'exact' else 'exact'} {c.field}", reference, "field")]
    if best is not None:
        panels.append((f"|PINN - {best_name}|", np.abs(c.pinn - best), "error"))
    if c.exact is not None and reference is not c.exact:
        panels.append((f"|{reference_name.upper()} - exact|", np.abs(reference - c.exact), "error"))
    return panels


def _scales(c: Comparison, panels):
    fields = [c.masked(v) for _, v, kind in panels if kind == "field"]
    errors = [c.masked(v) for _, v, kind in panels if kind == "error"]
    low = min(float(np.nanmin(v)) for v in fields)
    high = max(float(np.nanmax(v)) for v in fields)
    error_high = max([float(np.nanmax(v)) for v in errors] or [1.0])
    return (low, high), (0.0, error_high)


def _summary(c: Comparison) -> str:
    scores = c.metrics()
    return ", ".join(f"{k} = {v:.2e}" for k, v in scores.items() if k.startswith("rel_l2"))


def comparison_figure(comparison: Comparison, history: dict | None = None, labels=("x", "y"),
                      switch_step: int | None = None):
    """PINN | reference | |PINN - exact| | |reference - exact| | loss curves, for a 2-D grid.

    The solution panels share one colour scale, and so do the error panels; nodes outside the
    mask are blank. ``switch_step`` marks where L-BFGS took over from Adam on the loss curve.
    """
    c = comparison
    panels = _solution_panels(c)
    (low, high), (_, error_high) = _scales(c, panels)
    fig, axes = panels_figure(len(panels) + (1 if history else 0))
    for ax, (title, values, kind) in zip(axes, panels):
        vmin, vmax, cmap = (low, high, "viridis") if kind == "field" else (0.0, error_high, "magma")
        if kind == "error":
            title = f"{title}, max {np.nanmax(c.masked(values)):.1e}"
        field_panel(ax, c.axes, c.masked(values) if kind == "error" else values, title,
                    cmap=cmap, vmin=vmin, vmax=vmax, labels=labels)
    if history:
        loss_panel(axes[len(panels)], history, switch_step)
    fig.suptitle(f"{c.field}: {_summary(c)}", fontsize=11)
    return fig


def snapshot_figure(comparison: Comparison, history: dict | None = None, labels=("x", "t"),
                    switch_step: int | None = None, count: int = 4):
    """Time-dependent output (time the last grid axis) at ``count`` times from start to end.

    1-D in space: a top row of x-t images (PINN, reference, error, loss) and a bottom row of
    profiles u(x) at each time, PINN solid and reference dashed. 2-D in space: one row per
    time with PINN, reference and |PINN - reference| maps on shared colour scales, and the
    loss curves beside the first row.
    """
    c = comparison
    times = c.axes[-1]
    picks = np.linspace(0, len(times) - 1, count).round().astype(int)
    panels = _solution_panels(c)[:3]
    (low, high), (_, error_high) = _scales(c, panels)
    columns = max(count, len(panels) + 1) if c.pinn.ndim == 2 else len(panels) + 1
    rows = 2 if c.pinn.ndim == 2 else count
    fig, grid = new_figure(rows, columns, (3.6 * columns, 3.3 * rows))
    for ax in grid.ravel():
        ax.set_visible(False)

    def show(ax, axes, values, title, kind, axis_labels):
        ax.set_visible(True)
        vmin, vmax, cmap = (low, high, "viridis") if kind == "field" else (0.0, error_high, "magma")
        field_panel(ax, axes, c.masked(values) if kind == "error" else values, title,
                    cmap=cmap, vmin=vmin, vmax=vmax, labels=axis_labels)
        ax.set_aspect("auto")

    if c.pinn.ndim == 2:
        for ax, (title, values, kind) in zip(grid[0], panels):
            show(ax, c.axes, values, title, kind, labels)
        reference = panels[1][1]
        for ax, k in zip(grid[1], picks):
            ax.set_visible(True)
            ax.plot(c.axes[0], c.pinn[:, k], lw=1.5, label="PINN")
            ax.plot(c.axes[0], reference[:, k], "k--", lw=1, label=panels[1][0].split()[0])
            ax.set_title(f"{labels[-1]} = {times[k]:.3g}", fontsize=10)
            ax.set_xlabel(labels[0])
            ax.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
            ax.grid(alpha=0.3)
        grid[1][0].legend(fontsize=8)
    else:
        for row, k in zip(grid, picks):
            for ax, (title, values, kind) in zip(row, panels):
                show(ax, c.axes[:-1], values[..., k], f"{title}, {labels[-1]} = {times[k]:.3g}", kind, labels[:-1])
    if history:
        ax = grid[0][len(panels)]
        ax.set_visible(True)
        loss_panel(ax, history, switch_step)
    fig.suptitle(f"{c.field}: {_summary(c)}", fontsize=11)
    return fig
