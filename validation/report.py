"""Evaluate a ready problem's solution on its grid, compare with every reference, write files.

A ready problem module (see ``pinnfield.problems``) supplies ``evaluation_axes()`` and
``references(axes)``, and optionally:

* ``outputs(solution)``: ``{name: sympy expression of the fields}``, the quantities to report
  (default: each field by its name), e.g. the travel time ``|x - x0| tau`` of a factored eikonal;
* ``evaluation_mask(axes)``: a bool array of the grid's shape, True where errors count;
* ``TIME``: the time coordinate (the last grid axis), for snapshot figures and a ``.vtu``
  time series.

``references(axes)`` maps a reference name to an array on the grid, or to ``{output: array}``
when there are several outputs. A reference named ``exact`` is reported as the analytic one.

A problem whose result is not a field on a grid (an image, a sound, a surface) supplies
``report(solution, out, name, validation=..., data=...)`` instead, returning the same
``(metrics, paths written)``; ``data`` is the ``--data`` path it was trained on, or None.
"""

from __future__ import annotations

import os

import numpy as np

from pinnfield.io import write_json, write_npz, write_vtu, write_vtu_series
from pinnfield.plot import save_figure

from .compare import compare_on_grid, comparison_figure, snapshot_figure

__all__ = ["outputs", "write_report"]


def outputs(module, solution) -> dict:
    """Output name -> sympy expression of the fields, or None for the field of that name."""
    if hasattr(module, "outputs"):
        return dict(module.outputs(solution))
    return {str(f.func): None for f in solution.slots}


def _references_of(name: str, references: dict, single: bool) -> dict:
    out = {}
    for ref, values in references.items():
        if isinstance(values, dict):
            if name in values:
                out[ref] = values[name]
        elif single:
            out[ref] = values
    return out


def write_report(module, solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Metrics, one figure per output, ``.npz``, ``.vtu`` (a series for time-dependent problems)
    and ``metrics.json`` (``validation.json`` when ``validation``) in ``out``; or the module's
    own ``report`` (see above).

    Returns the metrics and the paths written.
    """
    if hasattr(module, "report"):
        return module.report(solution, out, name, validation=validation, data=data)
    axes = module.evaluation_axes()
    references = module.references(axes)
    mask = module.evaluation_mask(axes) if hasattr(module, "evaluation_mask") else None
    time = getattr(module, "TIME", None)
    labels = tuple(str(c) for c in solution.coords)
    named = outputs(module, solution)
    results = dict(solution.info)
    arrays, written = {}, []
    switch = solution.info.get("adam_steps") if solution.info.get("lbfgs_steps") else None
    for output, expression in named.items():
        comparison = compare_on_grid(solution, output, axes, _references_of(output, references, len(named) == 1),
                                     expression=expression, mask=mask)
        suffix = "" if len(named) == 1 else f"_{output}"
        results.update({f"{k}{suffix}": v for k, v in comparison.metrics().items()})
        arrays[output] = comparison.pinn
        for ref, values in comparison.targets().items():
            arrays[f"{output}_{ref}"] = values
        if time is not None:
            figure = snapshot_figure(comparison, solution.history, labels, switch)
        else:
            figure = comparison_figure(comparison, solution.history, labels, switch)
        path = os.path.join(out, f"{'validation' if validation else name}{suffix}.png")
        save_figure(figure, path)
        written.append(path)
    if mask is not None:
        arrays["evaluation_mask"] = np.asarray(mask, dtype=float)
    results["parameters"] = solution.parameters
    grid = {str(c): a for c, a in zip(solution.coords, axes)}
    write_npz(os.path.join(out, f"{name}.npz"), **grid, **arrays)
    written.append(os.path.join(out, f"{name}.npz"))
    if time is not None and len(axes) > 1:
        series = write_vtu_series(os.path.join(out, f"{name}.pvd"), axes[:-1], axes[-1], arrays)
        written += [series[0], f"{len(series) - 1} frames {os.path.basename(series[1])}..."]
    else:
        write_vtu(os.path.join(out, f"{name}.vtu"), axes, arrays)
        written.append(os.path.join(out, f"{name}.vtu"))
    target = os.path.join(out, "validation.json" if validation else "metrics.json")
    write_json(target, {"problem": name, **results})
    written.append(target)
    return results, written
