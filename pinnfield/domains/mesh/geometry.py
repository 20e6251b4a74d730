"""Triangle geometry: face areas and normals, area-uniform surface samples, the closest point of
a triangle (Ericson), and the ragged index expansion the spatial indices share.

Triangles are rows of ``faces`` (F, 3), integer indices into ``vertices`` (V, 3); points are (M, 3).
"""

from __future__ import annotations

import numpy as np

__all__ = ["face_geometry", "surface_samples", "closest_on_triangles", "ragged_indices"]


def face_geometry(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F,) areas and (F, 3) unit normals (right-hand rule on a, b, c) of triangles faces (F, 3)."""
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    cross = np.cross(b - a, c - a)
    double = np.linalg.norm(cross, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        normals = cross / double[:, None]
    return 0.5 * double, np.nan_to_num(normals)


def surface_samples(vertices: np.ndarray, faces: np.ndarray, u: np.ndarray, areas=None, normals=None):
    """Area-uniform points on triangles from uniforms u (n, 3) in [0, 1)^3.

    u[:, 0] picks triangle f with probability area_f / sum(area) (inverse CDF); u[:, 1:] place the
    point uniformly in it with the square-root trick: r = sqrt(u1), barycentric
    (1 - r, r (1 - u2), r u2). ``areas`` (F,) and unit ``normals`` (F, 3) are computed from the
    winding (right-hand rule) unless given. Returns points (n, 3) and their faces' normals (n, 3).
    """
    if areas is None or normals is None:
        areas, normals = face_geometry(vertices, faces)
    cumulative = np.cumsum(areas)
    cumulative /= cumulative[-1]
    face = np.searchsorted(cumulative, u[:, 0], side="right").clip(max=len(faces) - 1)
    r = np.sqrt(u[:, 1])
    wa, wb, wc = 1 - r, r * (1 - u[:, 2]), r * u[:, 2]
    tri = faces[face]
    a, b, c = vertices[tri[:, 0]], vertices[tri[:, 1]], vertices[tri[:, 2]]
    return wa[:, None] * a + wb[:, None] * b + wc[:, None] * c, normals[face]


def closest_on_triangles(px, py, pz, tri):
    """Closest points of points p (columns (m,)) on triangles ``tri`` (12, m) = a, ab, ac, dots.

    Ericson, Real-Time Collision Detection, 5.1.5: the Voronoi region of p (vertex a, b, c, edge
    ab, ac, bc or the face) decides the barycentric coordinates (v, w) of the closest point
    a + v ab + w ac; dots = (ab.ab, ab.ac, ac.ac). Returns (v, w, squared distance), each (m,).
    """
    ax, ay, az, bx, by, bz, cx, cy, cz, l1, l12, l2 = tri
    apx, apy, apz = px - ax, py - ay, pz - az
    d1 = bx * apx + by * apy + bz * apz
    d2 = cx * apx + cy * apy + cz * apz
    d3, d4 = d1 - l1, d2 - l12
    d5, d6 = d1 - l12, d2 - l2
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    regions = [
        (d1 <= 0) & (d2 <= 0),  # vertex a
        (d3 >= 0) & (d4 <= d3),  # vertex b
        (d6 >= 0) & (d5 <= d6),  # vertex c
        (vc <= 0) & (d1 >= 0) & (d3 <= 0),  # edge ab
        (vb <= 0) & (d2 >= 0) & (d6 <= 0),  # edge ac
        (va <= 0) & (d4 >= d3) & (d5 >= d6),  # edge bc
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        t_ab = d1 / (d1 - d3)
        t_ac = d2 / (d2 - d6)
        t_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        denom = va + vb + vc
        v_face, w_face = vb / denom, vc / denom
    v = np.select(regions, [0.0, 1.0, 0.0, t_ab, 0.0, 1 - t_bc], v_face)
    w = np.select(regions, [0.0, 0.0, 1.0, 0.0, t_ac, t_bc], w_face)
    ex = apx - v * bx - w * cx
    ey = apy - v * by - w * cy
    ez = apz - v * bz - w * cz
    return v, w, ex * ex + ey * ey + ez * ez


def ragged_indices(counts: np.ndarray, starts: np.ndarray):
    """For rows with ``counts`` entries at ``starts``: (row of each entry, flat index of each entry)."""
    total = int(counts.sum())
    rows = np.repeat(np.arange(len(counts)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, np.repeat(starts, counts) + offsets

