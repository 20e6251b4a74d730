"""Reports of shape fits (SDF, occupancy): a mesh by marching cubes, slice figures and metrics.

The fitted field is sampled on a RESOLUTION^3 grid of the box [-1, 1]^3 and its level set
``level`` is extracted with marching cubes (``pinnfield.shape_metrics.extract_mesh``) and
written as PLY and OBJ. Against the true surface of the ``pf.Mesh`` (all in its normalised
coordinates):

* ``chamfer``: symmetric Chamfer distance, the mean of the two directed mean nearest-neighbour
  distances between SAMPLES points on each surface, as a fraction of the true surface's
  bounding-box diagonal;
* ``normal_consistency``: mean |cos| between the normals of nearest neighbours, both ways (1 is
  perfect);
* ``iou``: volumetric intersection over union of the inside sets on the grid;
* ``eikonal_deviation`` (SDF only): mean | |grad f| - 1 | over SAMPLES uniform points of the box.
"""

from __future__ import annotations

import os

import numpy as np
import sympy as sp

from pinnfield.io import grid_points, write_json, write_npz
from pinnfield.plot import loss_panel, panels_figure, save_figure
from pinnfield.shape_metrics import chamfer, extract_mesh, iou, normal_consistency, sample_surface, write_mesh

__all__ = ["RESOLUTION", "SAMPLES", "write_shape_report"]

RESOLUTION = 128
"""Grid nodes per axis for marching cubes and IoU."""

SAMPLES = 100_000
"""Surface points per mesh for Chamfer and normal consistency; box points for the Eikonal deviation."""


def _slices_figure(axes, values, mesh, level, history):
    """Three mid-plane slices of the field with its level set (black) and the true surface (red, dashed)."""
    fig, panels = panels_figure(4)
    mid = len(axes[0]) // 2
    names = ("x", "y", "z")
    span = float(np.nanmax(np.abs(values - level))) or 1.0
    for axis in range(3):
        ax = panels[axis]
        field = np.take(values, mid, axis=axis)
        a, b = [k for k in range(3) if k != axis]
        plane = np.zeros(field.shape + (3,))
        plane[..., axis] = axes[axis][mid]
        plane[..., a], plane[..., b] = np.meshgrid(axes[a], axes[b], indexing="ij")
        truth = mesh.signed_distance(plane.reshape(-1, 3)).reshape(field.shape)
        extent = (axes[a][0], axes[a][-1], axes[b][0], axes[b][-1])
        shown = ax.imshow(field.T, origin="lower", extent=extent, cmap="RdBu", vmin=level - span, vmax=level + span)
        ax.contour(axes[a], axes[b], field.T, levels=[level], colors="black", linewidths=1.2)
        ax.contour(axes[a], axes[b], truth.T, levels=[0.0], colors="red", linewidths=0.8, linestyles="--")
        ax.set_title(f"{names[axis]} = {axes[axis][mid]:.2f}: fit (black), true surface (red dashed)", fontsize=9)
        ax.set_xlabel(names[a])
        ax.set_ylabel(names[b])
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    loss_panel(panels[3], history)
    return fig


def write_shape_report(solution, mesh, field, out: str, name: str, *, validation: bool, level: float = 0.0,
                       inside_below: bool = True, sdf: bool = True, resolution: int = RESOLUTION,
                       samples: int = SAMPLES) -> tuple[dict, list[str]]:
    """Mesh the level set of ``field`` (a sympy expression or field name), compare with ``mesh``.

    ``inside_below``: the inside is where the field is below ``level`` (an SDF); False for an
    occupancy logit (inside above 0). ``sdf``: also report the Eikonal deviation. Writes
    ``NAME.ply``, ``NAME.obj``, a slice figure, ``NAME.npz`` and ``metrics.json``
    (``validation.json`` when ``validation``). Returns (metrics, paths written).
    """
    axes = tuple(np.linspace(-1.0, 1.0, resolution) for _ in range(3))
    points = grid_points(axes)
    values = solution.evaluate(field, points).reshape((resolution,) * 3)
    sign = 1.0 if inside_below else -1.0
    oriented, threshold = sign * values, sign * level  # inside where oriented < threshold
    vertices, faces = extract_mesh(oriented, axes, level=threshold)
    results = dict(solution.info)

    true_inside = mesh.contains(points).reshape(values.shape)
    results["iou"] = iou(oriented < threshold, true_inside)
    fitted, fitted_normals = sample_surface(vertices, faces, samples, seed=0)
    true, true_normals = sample_surface(mesh.vertices, mesh.faces, samples, seed=1)
    results["chamfer"] = chamfer(fitted, true) / mesh.diagonal
    results["normal_consistency"] = normal_consistency(fitted, fitted_normals, true, true_normals)
    if sdf:
        coords = tuple(solution.coords)
        f = sp.Function(field)(*coords) if isinstance(field, str) else field
        gradient_norm = sp.sqrt(sum(sp.diff(f, c) ** 2 for c in coords))
        box = np.random.default_rng(0).uniform(-1, 1, size=(samples, 3))
        results["eikonal_deviation"] = float(np.mean(np.abs(solution.evaluate(gradient_norm, box) - 1)))
    results["mesh_vertices"], results["mesh_faces"] = int(len(vertices)), int(len(faces))
    results["resolution"] = resolution
    results["chamfer_units"] = "fraction of the true surface's bounding-box diagonal"

    written = []
    for suffix in (".ply", ".obj"):
        path = os.path.join(out, f"{name}{suffix}")
        write_mesh(path, vertices, faces)
        written.append(path)
    figure = _slices_figure(axes, oriented, mesh, threshold, solution.history)
    figure_path = os.path.join(out, f"{'validation' if validation else name}.png")
    save_figure(figure, figure_path)
    written.append(figure_path)
    npz_path = os.path.join(out, f"{name}.npz")
    write_npz(npz_path, x=axes[0], y=axes[1], z=axes[2], field=values, true_inside=true_inside)
    written.append(npz_path)
    json_path = os.path.join(out, "validation.json" if validation else "metrics.json")
    write_json(json_path, {"problem": name, **results})
    written.append(json_path)
    return results, written
