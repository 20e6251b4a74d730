"""Shape metrics and surface extraction for 3-D neural fields (signed distance, occupancy).

* :func:`chamfer`: symmetric Chamfer distance between point sets;
* :func:`normal_consistency`: agreement of unit normals at nearest neighbours;
* :func:`iou`: volumetric intersection over union of occupancy grids;
* :func:`extract_mesh`: the level set of a field on a regular grid (marching cubes);
* :func:`write_mesh`: a triangle mesh to PLY or OBJ, written atomically;
* :func:`sample_surface`: area-uniform points and normals on a triangle mesh.

Distances are in the units of the points; divide by the bounding-box diagonal of the reference
shape (``Mesh.diagonal`` for a normalised mesh) to report them as a fraction of its size.
"""

from __future__ import annotations

import os
from types import MappingProxyType

import numpy as np
from scipy.spatial import cKDTree

from .errors import DataError
from .io import atomic_path
from .domains.mesh import surface_samples

__all__ = ["chamfer", "normal_consistency", "iou", "extract_mesh", "write_mesh", "sample_surface"]

MESH_SUFFIXES = MappingProxyType({".ply": "ply", ".obj": "obj"})
"""Suffixes :func:`write_mesh` writes, and the meshio format of each."""


def _points(array, name: str, where: str) -> np.ndarray:
    """A non-empty (N, 3) array of finite float64 values."""
    try:
        out = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"{where}: {name} must be an (N, 3) array of numbers; received {type(array).__name__}."
        ) from None
    if out.ndim != 2 or out.shape[1] != 3 or out.shape[0] == 0:
        raise DataError(
            f"{where}: {name} has shape {out.shape}; expected (N, 3) with N >= 1, one row per "
            "point. Reshape it or check that it is not empty."
        )
    if not np.all(np.isfinite(out)):
        raise DataError(
            f"{where}: {name} has {int((~np.isfinite(out)).any(axis=1).sum())} row(s) with NaN or "
            "infinite values; expected finite coordinates. Drop those rows."
        )
    return out


def _unit(normals, count: int, name: str, where: str) -> np.ndarray:
    """Normals (N, 3) scaled to unit length; zero rows are an error."""
    out = _points(normals, name, where)
    if len(out) != count:
        raise DataError(
            f"{where}: {name} has {len(out)} rows but its points have {count}; expected one "
            "normal per point."
        )
    length = np.linalg.norm(out, axis=1)
    if np.any(length == 0):
        raise DataError(
            f"{where}: {name} has {int(np.sum(length == 0))} zero vector(s) (first: row "
            f"{int(np.argmax(length == 0))}); expected non-zero normals. Drop those points."
        )
    return out / length[:, None]


def chamfer(a, b) -> float:
    """Symmetric Chamfer distance between point sets a (N, 3) and b (M, 3).

    CD = (mean_i min_j |a_i - b_j| + mean_j min_i |b_j - a_i|) / 2, nearest neighbours by a
    ``scipy.spatial.cKDTree``; Euclidean (not squared) distances, in the units of the points.
    Divide by the reference's bounding-box diagonal for a fraction of its size.
    """
    a = _points(a, "a", "chamfer")
    b = _points(b, "b", "chamfer")
    forward = cKDTree(b).query(a)[0]
    backward = cKDTree(a).query(b)[0]
    return float(0.5 * (forward.mean() + backward.mean()))


def normal_consistency(a, normals_a, b, normals_b) -> float:
    """Mean over both directions of |<n_a, n_b(nearest)>| for points a (N, 3), b (M, 3).

    For each point of a, the normal of its nearest neighbour in b is compared with its own (and
    the other way round); normals (N, 3), (M, 3) are normalised first. 1 means the surfaces are
    parallel everywhere; orientation is ignored (absolute value).
    """
    a = _points(a, "a", "normal_consistency")
    b = _points(b, "b", "normal_consistency")
    na = _unit(normals_a, len(a), "normals_a", "normal_consistency")
    nb = _unit(normals_b, len(b), "normals_b", "normal_consistency")
    forward = np.abs((na * nb[cKDTree(b).query(a)[1]]).sum(axis=1))
    backward = np.abs((nb * na[cKDTree(a).query(b)[1]]).sum(axis=1))
    return float(0.5 * (forward.mean() + backward.mean()))


def _occupancy(array, name: str) -> np.ndarray:
    out = np.asarray(array)
    if out.dtype != bool:
        if out.size and not np.isin(out, (0, 1)).all():
            raise DataError(
                f"iou: {name} has dtype {out.dtype} with values other than 0 and 1; expected a "
                "boolean occupancy array. Threshold it first, e.g. sdf < 0 or occupancy > 0.5."
            )
        out = out.astype(bool)
    return out


def iou(occupancy_a, occupancy_b) -> float:
    """Intersection over union |A & B| / |A | B| of two boolean occupancy arrays of one shape
    (e.g. ``mesh.contains`` and ``field < 0`` on the same grid)."""
    a = _occupancy(occupancy_a, "occupancy_a")
    b = _occupancy(occupancy_b, "occupancy_b")
    if a.shape != b.shape:
        raise DataError(
            f"iou: occupancy_a has shape {a.shape} but occupancy_b has {b.shape}; expected "
            "arrays of one shape, evaluated on the same points."
        )
    union = int(np.count_nonzero(a | b))
    if union == 0:
        raise DataError(
            f"iou: both occupancy arrays ({a.size} points) are empty, so the union is empty and "
            "the IoU is undefined; expected at least one occupied point. Check the sign "
            "convention (inside = True) and that the grid covers the shape."
        )
    return float(np.count_nonzero(a & b) / union)


def _axes(axes, shape) -> list[np.ndarray]:
    if not isinstance(axes, (list, tuple)) or len(axes) != 3:
        raise DataError(
            f"extract_mesh: axes must be three 1-D node arrays (x, y, z); received "
            f"{type(axes).__name__}{'' if not hasattr(axes, '__len__') else f' of length {len(axes)}'}."
        )
    out = []
    for i, axis in enumerate(axes):
        nodes = np.asarray(axis, dtype=np.float64)
        if nodes.ndim != 1 or len(nodes) != shape[i]:
            raise DataError(
                f"extract_mesh: axes[{i}] has shape {nodes.shape} but values has {shape[i]} nodes "
                f"along axis {i}; expected one node per grid line ('ij' indexing, values shape "
                f"{shape})."
            )
        step = np.diff(nodes)
        if not np.all(step > 0) or not np.allclose(step, step[0], rtol=1e-6, atol=0):
            raise DataError(
                f"extract_mesh: axes[{i}] is not a uniform increasing grid (steps from "
                f"{step.min():.6g} to {step.max():.6g}); expected evenly spaced nodes such as "
                "np.linspace(-1, 1, n)."
            )
        out.append(nodes)
    return out


def extract_mesh(values, axes, level: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The surface {f = level} of a field sampled on a regular grid, by marching cubes.

    ``values`` (n0, n1, n2): f at the nodes of the grid ``axes`` (three increasing, evenly spaced
    1-D arrays of lengths n0, n1, n2; 'ij' indexing, values[i, j, k] = f(x_i, y_j, z_k)).
    Uses ``skimage.measure.marching_cubes`` (Lewiner) with the grid spacing; vertices are mapped to
    coordinates as origin + index * spacing. Faces are wound so that their right-hand normals
    point towards increasing f: outward for a signed distance that is negative inside. Returns
    vertices (V, 3) float64 and faces (F, 3) int64.
    """
    field = np.asarray(values, dtype=np.float64)
    if field.ndim != 3 or min(field.shape) < 2:
        raise DataError(
            f"extract_mesh: values has shape {field.shape}; expected a 3-D grid (n0, n1, n2) with "
            "at least 2 nodes per axis. Reshape the field evaluations to the grid."
        )
    if not np.all(np.isfinite(field)):
        raise DataError(
            f"extract_mesh: values has {int(np.sum(~np.isfinite(field)))} NaN or infinite "
            "entries; expected a finite field. Check the network's output."
        )
    nodes = _axes(axes, field.shape)
    level = float(level)
    low, high = float(field.min()), float(field.max())
    if not low < level < high:
        name = "zero" if level == 0 else f"{level:g}"
        raise DataError(
            f"extract_mesh: the field has no {name} level set in the box: min {low:.6g}, max "
            f"{high:.6g}; expected values on both sides of {level:g}. Check the sign convention "
            "(negative inside), train longer or enlarge the box."
        )
    try:
        from skimage.measure import marching_cubes
    except ImportError:
        raise DataError(
            "extract_mesh needs scikit-image, which is not installed. Install it with pip install "
            "scikit-image."
        ) from None
    spacing = tuple(float(n[1] - n[0]) for n in nodes)
    vertices, faces, _, _ = marching_cubes(field, level, spacing=spacing, gradient_direction="descent")
    origin = np.array([n[0] for n in nodes])
    return vertices.astype(np.float64) + origin, faces.astype(np.int64)


def write_mesh(path, vertices, faces) -> None:
    """Write a triangle mesh, vertices (V, 3) and faces (F, 3), as PLY or OBJ (by the suffix of
    ``path``) with meshio, atomically: a temporary file renamed over ``path``."""
    import meshio

    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in MESH_SUFFIXES:
        raise DataError(
            f"write_mesh: {path!r} has suffix {suffix or '(none)'!r}; supported suffixes are "
            f"{', '.join(MESH_SUFFIXES)}. Name the file mesh.ply or mesh.obj."
        )
    vertices = _points(vertices, "vertices", "write_mesh")
    triangles = _faces(faces, len(vertices))
    mesh = meshio.Mesh(vertices, [("triangle", triangles.astype(np.int32))])  # PLY stores 32-bit indices
    with atomic_path(path, suffix) as tmp:
        meshio.write(tmp, mesh, file_format=MESH_SUFFIXES[suffix])


def _faces(faces, n_vertices: int) -> np.ndarray:
    try:
        raw = np.asarray(faces)
        out = raw.astype(np.int64)
    except (TypeError, ValueError):
        raise DataError(
            f"faces must be an (F, 3) integer array; received {type(faces).__name__}."
        ) from None
    if out.ndim != 2 or out.shape[1] != 3 or out.shape[0] == 0 or not np.array_equal(out, raw):
        raise DataError(
            f"faces has shape {raw.shape} and dtype {raw.dtype}; expected a non-empty (F, 3) "
            "integer array of vertex indices."
        )
    if out.min() < 0 or out.max() >= n_vertices:
        raise DataError(
            f"faces refer to vertex {int(out.max() if out.max() >= n_vertices else out.min())} but "
            f"there are {n_vertices} vertices; expected indices in 0..{n_vertices - 1}."
        )
    return out


def sample_surface(vertices, faces, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points uniform by area on a triangle mesh and the unit normals of their faces.

    Triangles are picked with probability proportional to their area, points placed uniformly in
    them (see :func:`pinnfield.domains.mesh.surface_samples`); the uniforms come from
    ``numpy.random.default_rng(seed)``. Returns points (n, 3) and normals (n, 3).
    """
    vertices = _points(vertices, "vertices", "sample_surface")
    triangles = _faces(faces, len(vertices))
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise DataError(f"sample_surface: n must be a positive integer; received {n!r}.")
    a, b, c = (vertices[triangles[:, i]] for i in range(3))
    areas = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    if not areas.sum() > 0:
        raise DataError(
            f"sample_surface: all {len(triangles)} faces have zero area; expected a surface with "
            "non-degenerate triangles."
        )
    u = np.random.default_rng(seed).random((int(n), 3))
    return surface_samples(vertices, triangles, u)
