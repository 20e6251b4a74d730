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

Either way the training history goes to ``NAME_history.csv`` and ``NAME_history.json`` (see
:func:`pinnfield.io.write_history`). For a field on a grid, the ``.npz`` and ``.vtu`` also
hold ``residual_<term>``: each sympy residual that the problem's ``problem()`` constrains on a
domain interior, evaluated on the grid (see :func:`residual_maps`).
"""

from __future__ import annotations

import os
import re

import numpy as np

from pinnfield.domains import Extruded, Interior
from pinnfield.io import grid_points, write_history, write_json, write_npz, write_vtu, write_vtu_series
from pinnfield.plot import save_figure

from .compare import compare_on_grid, comparison_figure, snapshot_figure

__all__ = ["outputs", "residual_maps", "write_report"]


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


def _on_interior(region) -> bool:
    if isinstance(region, Extruded):
        region = region.space_region
    return isinstance(region, Interior)


def _array_name(term: str) -> str:
    return "residual_" + (re.sub(r"\W+", "_", term).strip("_") or "term")


def residual_maps(module, solution, axes) -> dict[str, np.ndarray]:
    """The interior residuals of ``module.problem()`` on the grid ``axes``.

    Each constraint whose residual is a sympy expression and whose region is a domain's
    ``.interior`` (a space-time one included) is evaluated at the grid's nodes inside that
    domain, NaN elsewhere; constraints with a callable residual, on boundaries, initial slices or
    given points are skipped, as is a residual already mapped under an earlier term (the same
    PDE constrained again near a source). Returns ``{"residual_<term>": array of the grid's
    shape}``, the term named as in ``solution.history`` with every run of characters other than
    letters, digits and ``_`` replaced by ``_``. Cost: one chunked ``solution.evaluate`` per
    mapped residual on at most prod(len(a) for a in axes) points.
    """
    if not hasattr(module, "problem"):
        return {}
    constraints = module.problem().constraints
    names = [c.name for c in constraints]
    names = [n if names.count(n) == 1 else f"{n}{i}" for i, n in enumerate(names)]
    shape = tuple(len(a) for a in axes)
    points = grid_points(axes)
    maps, seen = {}, set()
    for constraint, term in zip(constraints, names):
        if not constraint.is_symbolic or not _on_interior(constraint.on) or constraint.residual in seen:
            continue
        seen.add(constraint.residual)
        domain = constraint.on.domain
        order = [solution.coords.index(c) for c in domain.coords]
        inside = np.asarray(domain.contains(points[:, order]), dtype=bool)
        values = np.full(points.shape[0], np.nan)
        if inside.any():
            values[inside] = solution.evaluate(constraint.residual, points[inside])
        maps[_array_name(term)] = values.reshape(shape)
    return maps


def write_report(module, solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Metrics, one figure per output, ``.npz``, ``.vtu`` (a series for time-dependent problems)
    with the fields and the interior residuals, and ``metrics.json`` (``validation.json`` when
    ``validation``) in ``out``; or the module's own ``report`` (see above). Then the history
    files ``NAME_history.csv`` and ``NAME_history.json`` (and TensorBoard scalars in
    ``out/tensorboard`` when ``tensorboard`` is installed).

    Returns the metrics and the paths written.
    """
    if hasattr(module, "report"):
        results, written = module.report(solution, out, name, validation=validation, data=data)
        return results, list(written) + write_history(out, name, solution.history)
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
    arrays.update(residual_maps(module, solution, axes))
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
    written += write_history(out, name, solution.history)
    return results, written
