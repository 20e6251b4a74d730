"""Triangle meshes as sampling domains: surface samples with normals, and inside/distance queries.

``Mesh(vertices, faces, coords)`` holds a triangle surface in R^3 whose axes are named by three
sympy Symbols. By default it is *normalised*: the bounding box is centred at the origin and scaled
uniformly so that its longest side spans [-half_extent, half_extent]; the map is recorded
(original = normalised * scale + center) and every query, sample and attribute is in normalised
units. The sampling box is [-1, 1]^3.

Regions (``sample(n, generator, method="uniform"|"sobol")`` like every other region):

* ``mesh.surface``: points uniform by area on the triangles, data columns ``n_<coord>`` (unit face
  normals, outward for a closed mesh);
* ``mesh.space``: points uniform in the sampling box, no data columns;
* ``mesh.labelled(n, generator)``: a fixed :class:`~pinnfield.domains.Points` pool with columns
  ``inside`` (1.0 / 0.0) and ``sdf`` (signed distance, negative inside).

Queries take points (M, 3) in the mesh's coordinates and return numpy arrays:

* ``contains``: parity of the crossings of the ray from each point along +z (third coordinate)
  with the triangles, found through a 2-D grid of cells over (x, y). Ties (a ray through an edge
  or a vertex) are broken by simulation of simplicity: the point is moved by (eps, eps^2) in
  (x, y), and every edge test is exactly antisymmetric in floating point, so a ray through a
  shared edge or vertex is counted once. Exact up to floating-point rounding of a point lying on
  the surface itself.
* ``closest`` / ``distance`` / ``signed_distance``: the closest point of the mesh, exact up to
  floating-point rounding: a bounding-volume hierarchy of cylinders prunes the triangles that
  cannot beat the best one found so far, and Ericson's closest point on a triangle decides among
  the rest (see :class:`_TriangleTree`). The sign of the signed distance is that of ``contains``.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import sympy as sp
import torch
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from .domains import AbstractRegion, Points, _check_coords, _check_n, _check_generator
from .domains import _normal_names, _num, _Source
from .errors import DataError, DomainError

__all__ = ["Mesh", "MeshSurface", "MeshSpace", "surface_samples", "SUFFIXES"]

SUFFIXES = (".obj", ".ply", ".stl", ".off")
"""File types :meth:`Mesh.from_file` reads."""

_DEGENERATE_RTOL = 1e-12  # a face whose area is below this times the squared extent has no area
_PAIR_BUDGET = 65_536  # (point, triangle) pairs of a ray-parity step
_LEAF = 8  # triangles per leaf of the hierarchy, at most
_STEP = 2  # depths descended per step of a query (4 children per node)
_QUERY_CHUNK = 1024  # points per query step: small arrays stay in the processor cache
_MARGIN = 1e-9  # relative slack on squared bounds, far above floating-point rounding
_COARSE_CELLS = 40  # coarse start: one triangle per voxel of side (bounding-box diagonal) / this
_COARSE_NEIGHBOURS = 4  # nearest coarse triangles whose best gives the first upper bound
_GRID_CELLS = 1024  # largest number of parity cells per axis
_CELL_ENTRIES = 20_000_000  # largest number of (cell, triangle) entries of the parity grid


# --------------------------------------------------------------------------------------------
# Small geometry helpers
# --------------------------------------------------------------------------------------------


def _face_geometry(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        areas, normals = _face_geometry(vertices, faces)
    cumulative = np.cumsum(areas)
    cumulative /= cumulative[-1]
    face = np.searchsorted(cumulative, u[:, 0], side="right").clip(max=len(faces) - 1)
    r = np.sqrt(u[:, 1])
    wa, wb, wc = 1 - r, r * (1 - u[:, 2]), r * u[:, 2]
    tri = faces[face]
    a, b, c = vertices[tri[:, 0]], vertices[tri[:, 1]], vertices[tri[:, 2]]
    return wa[:, None] * a + wb[:, None] * b + wc[:, None] * c, normals[face]


def _closest_on_triangles(px, py, pz, tri):
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


def _edge_sign(ax, ay, bx, by):
    """Sign of cross(a, b) for points relative to the query, with the (eps, eps^2) tie-break.

    cross(a - d, b - d) = cross(a, b) + eps (a_y - b_y) + eps^2 (b_x - a_x) for d = (eps, eps^2);
    every term is exactly antisymmetric in (a, b) in floating point. Returns (sign, cross).
    """
    e = ax * by - ay * bx
    s = np.sign(e)
    tie = s == 0
    if tie.any():
        s[tie] = np.sign(ay[tie] - by[tie])
        tie2 = tie & (s == 0)
        s[tie2] = np.sign(bx[tie2] - ax[tie2])
    return s, e


def _expand(counts: np.ndarray, starts: np.ndarray):
    """For rows with ``counts`` entries at ``starts``: (row of each entry, flat index of each entry)."""
    total = int(counts.sum())
    rows = np.repeat(np.arange(len(counts)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, np.repeat(starts, counts) + offsets


def _chunks(weights: np.ndarray, budget: int):
    """Consecutive slices of rows whose summed ``weights`` stay near ``budget``."""
    total = np.cumsum(weights)
    begin, n = 0, len(weights)
    while begin < n:
        base = total[begin - 1] if begin else 0
        end = int(np.searchsorted(total, base + budget, side="right"))
        end = min(max(end, begin + 1), n)
        yield slice(begin, end)
        begin = end


# --------------------------------------------------------------------------------------------
# Spatial indices
# --------------------------------------------------------------------------------------------


class _ParityIndex:
    """Triangles binned by their (x, y) bounding boxes on a regular grid of cells, for ray parity."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray):
        tri = vertices[faces]  # (F, 3, 3)
        self.tri = np.ascontiguousarray(tri.reshape(-1, 9))
        lo, hi = tri[:, :, :2].min(axis=1), tri[:, :, :2].max(axis=1)
        self.origin = lo.min(axis=0)
        extent = hi.max(axis=0) - self.origin
        size = float(np.median((hi - lo).max(axis=1)))
        self.size = max(size, float(extent.max()) / _GRID_CELLS, 1e-300)
        while True:  # coarser cells while a few large triangles would fill too many of them
            self.shape = np.maximum(np.ceil(extent / self.size).astype(np.int64), 1)
            i0, i1 = self._cell_index(lo), self._cell_index(hi)
            width = i1 - i0 + 1
            counts = width[:, 0] * width[:, 1]
            if counts.sum() <= max(_CELL_ENTRIES, 4 * len(faces)):
                break
            self.size *= 2
        owner, local = _expand(counts, np.zeros(len(counts), dtype=np.int64))
        ix = i0[owner, 0] + local % width[owner, 0]
        iy = i0[owner, 1] + local // width[owner, 0]
        cell = ix * self.shape[1] + iy
        order = np.argsort(cell, kind="stable")
        self.members = owner[order]
        n_cells = int(self.shape[0] * self.shape[1])
        self.count = np.bincount(cell, minlength=n_cells)
        self.start = np.cumsum(self.count) - self.count

    def _cell_index(self, xy: np.ndarray) -> np.ndarray:
        index = np.floor((xy - self.origin) / self.size).astype(np.int64)
        return np.clip(index, 0, self.shape - 1)

    def crossings(self, points: np.ndarray) -> np.ndarray:
        """(M,) number of triangles the ray {p + t e_z, t > 0} crosses, per point (M, 3)."""
        m = len(points)
        out = np.zeros(m, dtype=np.int64)
        rel = (points[:, :2] - self.origin) / self.size
        inside = np.all((rel >= 0) & (rel <= self.shape), axis=1)
        index = np.clip(np.floor(rel).astype(np.int64), 0, self.shape - 1)
        cell = index[:, 0] * self.shape[1] + index[:, 1]
        counts = np.where(inside, self.count[cell], 0)
        for part in _chunks(counts, _PAIR_BUDGET):
            rows, flat = _expand(counts[part], self.start[cell[part]])
            if len(rows) == 0:
                continue
            tri = np.take(self.tri, np.take(self.members, flat), axis=0).T
            p = np.take(points[part], rows, axis=0)
            ax, ay, az = tri[0] - p[:, 0], tri[1] - p[:, 1], tri[2] - p[:, 2]
            bx, by, bz = tri[3] - p[:, 0], tri[4] - p[:, 1], tri[5] - p[:, 2]
            cx, cy, cz = tri[6] - p[:, 0], tri[7] - p[:, 1], tri[8] - p[:, 2]
            s_ab, e_ab = _edge_sign(ax, ay, bx, by)
            s_bc, e_bc = _edge_sign(bx, by, cx, cy)
            s_ca, e_ca = _edge_sign(cx, cy, ax, ay)
            hit = (s_ab != 0) & (s_ab == s_bc) & (s_bc == s_ca)
            height = e_bc * az + e_ca * bz + e_ab * cz  # (height of the crossing) * 2 area
            hit &= height * s_ab > 0
            out[part] += np.bincount(rows, weights=hit, minlength=part.stop - part.start).astype(np.int64)
        return out


class _TriangleTree:
    """Bounding-volume hierarchy over the triangles for exact closest points.

    Triangles are ordered by recursive median splits of their centroids along the longest axis,
    so that node j at depth d holds a contiguous range of them (2^d nodes, none empty as the
    depth keeps 2^d <= F / 2). Every ``_STEP``-th depth stores per node a bounding cylinder:
    center c, unit axis n (the mean face normal), half thickness t and radius R, so that every
    vertex v has |n.(v - c)| <= t and lateral distance <= R, plus the radius rs of the ball
    around c. Its distance to a point p,

        LB = max( sqrt(max(a - t, 0)^2 + max(b - R, 0)^2),  |p - c| - rs ),
        a = |n.(p - c)|,  b = sqrt(|p - c|^2 - a^2),

    is a lower bound of the distance from p to every triangle in the node (the cylinder and the
    ball are convex and hold the vertices). A query starts from the best of the triangles near
    the nearest coarse samples (an upper bound U), walks down the tree keeping the nodes with
    LB <= U, drops the triangles of the surviving leaves whose own bounding disk (centroid,
    normal, radius) is farther than U, and takes the exact minimum over the rest (Ericson's
    closest point on a triangle). Nothing closer than U is ever dropped, so the result is the
    closest triangle up to floating-point rounding.
    """

    def __init__(self, vertices: np.ndarray, faces: np.ndarray):
        a, b, c = (vertices[faces[:, i]] for i in range(3))
        n_faces = len(faces)
        centroid = (a + b + c) / 3
        depth = max(0, math.ceil(math.log2(max(n_faces / _LEAF, 1))))
        self.depth = _STEP * math.ceil(depth / _STEP)
        order = np.arange(n_faces)
        ranges = [(0, n_faces)]
        self.ranges = {0: np.array(ranges)}
        for level in range(1, self.depth + 1):
            split = []
            for start, end in ranges:
                mid = (start + end) // 2
                if end - start > 1:
                    members = order[start:end]
                    points = centroid[members]
                    axis = int(np.argmax(points.max(axis=0) - points.min(axis=0)))
                    order[start:end] = members[np.argpartition(points[:, axis], mid - start)]
                split += [(start, mid), (mid, end)]
            ranges = split
            self.ranges[level] = np.array(ranges)
        self.order = order
        a, b, c, centroid = a[order], b[order], c[order], centroid[order]
        ab, ac = b - a, c - a
        cross = np.cross(ab, ac)
        dots = np.stack([(ab * ab).sum(1), (ab * ac).sum(1), (ac * ac).sum(1)], axis=1)
        self.tri = np.ascontiguousarray(np.concatenate([a, ab, ac, dots], axis=1))
        reach = np.max(np.stack([np.linalg.norm(x - centroid, axis=1) for x in (a, b, c)]), axis=0)
        unit = cross / np.linalg.norm(cross, axis=1, keepdims=True)
        self.disk = np.ascontiguousarray(np.column_stack([centroid, unit, reach]))
        corners = np.stack([a, b, c], axis=1).reshape(-1, 3)
        self.levels = list(range(min(_STEP, self.depth), self.depth + 1, _STEP))
        self.bounds = {level: _cylinders(corners, cross, self.ranges[level]) for level in self.levels}
        lower = corners.min(axis=0)
        side = float(np.linalg.norm(corners.max(axis=0) - lower)) / _COARSE_CELLS
        voxel = np.floor((centroid - lower) / side).astype(np.int64)
        _, self.coarse = np.unique(voxel, axis=0, return_index=True)  # tree positions
        self.coarse_tree = cKDTree(centroid[self.coarse])

    def query(self, points: np.ndarray):
        """Closest face (M,), barycentric (v, w) of the closest point on it and the squared
        distance (M,), for points (M, 3)."""
        m = len(points)
        position, v, w, d2 = np.zeros(m, dtype=np.int64), np.zeros(m), np.zeros(m), np.zeros(m)
        for start in range(0, m, _QUERY_CHUNK):
            part = slice(start, min(start + _QUERY_CHUNK, m))
            position[part], v[part], w[part], d2[part] = self._query(points[part])
        return self.order[position], v, w, d2

    def _query(self, points: np.ndarray):
        m = len(points)
        k = min(_COARSE_NEIGHBOURS, self.coarse_tree.n)
        start = self.coarse[self.coarse_tree.query(points, k=k)[1].reshape(m, k)]
        rows = np.repeat(np.arange(m), k)
        best = self._closest(points, rows, start.reshape(-1), np.full(m, np.inf))
        bound = best[3] * (1 + _MARGIN)  # squared upper bound per point
        pt = np.repeat(np.arange(m), 2 ** self.levels[0])
        node = np.tile(np.arange(2 ** self.levels[0]), m)
        for i, level in enumerate(self.levels):
            if i:
                fan = 2**_STEP
                pt = np.repeat(pt, fan)
                node = (node[:, None] * fan + np.arange(fan)).reshape(-1)
            cylinders = np.take(self.bounds[level], node, axis=0)
            keep = _cylinder_bound2(cylinders, np.take(points, pt, axis=0)) <= np.take(bound, pt)
            pt, node = pt[keep], node[keep]
        leaves = np.take(self.ranges[self.depth], node, axis=0)
        rows, flat = _expand(leaves[:, 1] - leaves[:, 0], leaves[:, 0])
        pt = np.take(pt, rows)
        disks = np.take(self.disk, flat, axis=0)
        keep = _disk_bound2(disks, np.take(points, pt, axis=0)) <= np.take(bound, pt)
        pt, flat = pt[keep], flat[keep]
        better = self._closest(points, pt, flat, best[3])
        changed = better[3] < best[3]
        for old, new in zip(best, better):
            old[changed] = new[changed]
        return best

    def _closest(self, points, pt, position, current):
        """Best of the (point, triangle position) pairs per point, grouped by point; points
        without a pair closer than ``current`` (m,) get position -1 and distance ``current``."""
        m = len(points)
        out_pos, out_v, out_w = np.full(m, -1), np.zeros(m), np.zeros(m)
        out_d2 = current.copy()
        if len(pt) == 0:
            return [out_pos, out_v, out_w, out_d2]
        p = np.take(points, pt, axis=0)
        v, w, d2 = _closest_on_triangles(p[:, 0], p[:, 1], p[:, 2], np.take(self.tri, position, axis=0).T)
        starts = np.flatnonzero(np.r_[True, pt[1:] != pt[:-1]])
        least = np.minimum.reduceat(d2, starts)
        pick = np.flatnonzero(d2 == np.repeat(least, np.diff(np.r_[starts, len(pt)])))
        pick = pick[np.r_[True, pt[pick][1:] != pt[pick][:-1]]]
        target = pt[pick]
        closer = d2[pick] < out_d2[target]
        target, pick = target[closer], pick[closer]
        out_pos[target], out_v[target], out_w[target] = position[pick], v[pick], w[pick]
        out_d2[target] = d2[pick]
        return [out_pos, out_v, out_w, out_d2]


def _cylinders(corners: np.ndarray, cross: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Bounding cylinders (K, 9): center (3), axis (3), t, R, rs, of the non-empty triangle ranges
    (K, 2); ``corners`` (3F, 3) are the triangles' vertices, ``cross`` (F, 3) their area normals."""
    start, end = ranges[:, 0], ranges[:, 1]
    total = np.add.reduceat(cross, start, axis=0)
    length = np.linalg.norm(total, axis=1, keepdims=True)
    axis = np.where(length > 0, total / np.where(length > 0, length, 1), np.array([[0.0, 0.0, 1.0]]))
    low = np.minimum.reduceat(corners, 3 * start, axis=0)
    center = 0.5 * (low + np.maximum.reduceat(corners, 3 * start, axis=0))
    owner = np.repeat(np.arange(len(start)), 3 * (end - start))
    height = ((corners - center[owner]) * axis[owner]).sum(1)
    top, bottom = np.maximum.reduceat(height, 3 * start), np.minimum.reduceat(height, 3 * start)
    center = center + (0.5 * (top + bottom))[:, None] * axis
    relative = corners - center[owner]
    height = (relative * axis[owner]).sum(1)
    squared = (relative * relative).sum(1)
    lateral = np.sqrt(np.maximum(squared - height * height, 0))
    return np.column_stack([
        center, axis, 0.5 * (top - bottom),
        np.maximum.reduceat(lateral, 3 * start), np.sqrt(np.maximum.reduceat(squared, 3 * start)),
    ])


def _cylinder_bound2(bounds: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Squared lower bound (see :class:`_TriangleTree`) from points (m, 3) to cylinders (m, 9)."""
    cx, cy, cz, nx, ny, nz, t, r, rs = bounds.T
    dx, dy, dz = points[:, 0] - cx, points[:, 1] - cy, points[:, 2] - cz
    a = np.abs(dx * nx + dy * ny + dz * nz)
    squared = dx * dx + dy * dy + dz * dz
    lateral = np.maximum(np.sqrt(np.maximum(squared - a * a, 0)) - r, 0)
    along = np.maximum(a - t, 0)
    ball = np.maximum(np.sqrt(squared) - rs, 0)
    return np.maximum(along * along + lateral * lateral, ball * ball)


def _disk_bound2(disk: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Squared distance from points (m, 3) to the disks (m, 7) = center, unit normal, radius that
    hold the triangles: a lower bound of the squared point-triangle distance."""
    cx, cy, cz, nx, ny, nz, r = disk.T
    dx, dy, dz = points[:, 0] - cx, points[:, 1] - cy, points[:, 2] - cz
    a = dx * nx + dy * ny + dz * nz
    lateral = np.maximum(np.sqrt(np.maximum(dx * dx + dy * dy + dz * dz - a * a, 0)) - r, 0)
    return a * a + lateral * lateral


# --------------------------------------------------------------------------------------------
# Topology
# --------------------------------------------------------------------------------------------


def _edges(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Directed edges (3F, 2) in face order (a->b, b->c, c->a) and their owning face (3F,)."""
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    owner = np.tile(np.arange(len(faces)), 3)
    return directed, owner


def _edge_census(faces: np.ndarray, n_vertices: int):
    """Undirected edge keys of every directed edge, inverse map and use counts."""
    directed, owner = _edges(faces)
    lo, hi = directed.min(axis=1), directed.max(axis=1)
    keys = lo * np.int64(n_vertices) + hi
    unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return directed, owner, inverse, counts


def _orient(faces: np.ndarray, n_vertices: int) -> tuple[np.ndarray, int]:
    """Re-wind faces so that every manifold edge is used once in each direction, per component.

    Breadth-first over faces sharing an edge: a face whose shared edge runs the same way as its
    parent's is flipped relative to the parent. Returns the faces and the number of edges whose
    two faces still disagree (non-orientable parts).
    """
    directed, owner, inverse, counts = _edge_census(faces, n_vertices)
    order = np.argsort(inverse, kind="stable")  # directed edges grouped by undirected edge
    group_start = np.cumsum(counts) - counts
    manifold = np.flatnonzero(counts == 2)
    first, second = order[group_start[manifold]], order[group_start[manifold] + 1]
    same = directed[first, 0] == directed[second, 0]
    if not same.any():
        return faces, 0
    f1, f2 = owner[first], owner[second]
    n = len(faces)
    graph = sparse.coo_matrix((np.where(same, 2, 1), (f1, f2)), shape=(n, n)).tocsr()
    graph = graph + graph.T
    flip = np.zeros(n, dtype=bool)
    seen = np.zeros(n, dtype=bool)
    for root in range(n):
        if seen[root]:
            continue
        bfs, parent = csgraph.breadth_first_order(graph, root, directed=False, return_predecessors=True)
        seen[bfs] = True
        relation = np.asarray(graph[bfs[1:], parent[bfs[1:]]]).ravel() == 2
        for face, par, rel in zip(bfs[1:].tolist(), parent[bfs[1:]].tolist(), relation.tolist()):
            flip[face] = flip[par] ^ rel
    faces = faces.copy()
    faces[flip] = faces[flip][:, [0, 2, 1]]
    directed, owner, inverse, counts = _edge_census(faces, n_vertices)
    order = np.argsort(inverse, kind="stable")
    first = order[(np.cumsum(counts) - counts)[counts == 2]]
    second = order[(np.cumsum(counts) - counts)[counts == 2] + 1]
    return faces, int(np.sum(directed[first, 0] == directed[second, 0]))


# --------------------------------------------------------------------------------------------
# The mesh
# --------------------------------------------------------------------------------------------


class Mesh:
    """A triangle surface in R^3 with named axes, normalised into the sampling box [-1, 1]^3.

    ``vertices`` (V, 3) and ``faces`` (F, 3) integer indices into them. ``coords``: three
    distinct sympy Symbols naming the axes (columns of every point array).

    Normalisation (``normalize=True``): center = the bounding box's midpoint (3,), scale = (its
    longest side) / (2 half_extent); the stored vertices are (original - center) / scale, so the
    longest side spans [-half_extent, half_extent] and original = normalised * scale + center
    (:meth:`to_original`, :meth:`to_normalized`). The sampling box is then [-1, 1]^3. With
    ``normalize=False`` the coordinates are kept (center 0, scale 1) and the sampling box is the
    bounding box grown on each side by 10% of its longest side.

    Faces of zero area are dropped (with a warning giving their count). A closed mesh
    (``watertight``: every edge shared by exactly two faces) is re-wound consistently, with its
    normals pointing out of the enclosed solid (into a cavity); an open one still loads, with a
    warning, and supports surface sampling and :meth:`closest` / :meth:`distance`, but not the
    inside/outside queries (:meth:`contains`, :meth:`signed_distance`, :meth:`labelled`), which
    raise :class:`DataError`.

    Attributes (normalised units): ``vertices`` (V, 3) float64, ``faces`` (F, 3) int64,
    ``normals`` (F, 3) unit face normals, ``areas`` (F,), ``center`` (3,), ``scale``,
    ``box_lower`` / ``box_upper`` (3,) the sampling box, ``diagonal`` the length of the bounding
    box's diagonal (divide distances by it for fractions of the size), ``watertight``,
    ``boundary_edges`` and ``nonmanifold_edges`` (counts), ``area``, ``volume``, ``source``.
    """

    def __init__(self, vertices, faces, coords, *, normalize: bool = True, half_extent: float = 0.9, source=None):
        self.source = None if source is None else str(source)
        self.coords: tuple[sp.Symbol, ...] = _check_coords(coords, "Mesh", 3)
        vertices = self._check_vertices(vertices)
        faces = self._check_faces(faces, len(vertices))
        half_extent = self._check_half_extent(half_extent, normalize)
        lower, upper = vertices[faces].reshape(-1, 3).min(axis=0), vertices[faces].reshape(-1, 3).max(axis=0)
        extent = float(np.max(upper - lower))
        if normalize:
            self.center = 0.5 * (lower + upper)
            self.scale = extent / (2 * half_extent) if extent > 0 else 1.0
        else:
            self.center, self.scale = np.zeros(3), 1.0
        self.vertices = (vertices - self.center) / self.scale
        faces = self._drop_degenerate(faces)
        self._topology(faces)
        self.areas, self.normals = _face_geometry(self.vertices, self.faces)
        used = self.vertices[self.faces].reshape(-1, 3)
        lower, upper = used.min(axis=0), used.max(axis=0)
        self.diagonal = float(np.linalg.norm(upper - lower))
        if normalize:
            self.box_lower, self.box_upper = -np.ones(3), np.ones(3)
        else:
            pad = 0.1 * float(np.max(upper - lower))
            self.box_lower, self.box_upper = lower - pad, upper + pad
        for array in (self.vertices, self.faces, self.center, self.box_lower, self.box_upper, self.areas, self.normals):
            array.flags.writeable = False
        self._parity: _ParityIndex | None = None
        self._tree: _TriangleTree | None = None
        if self.watertight:
            self._point_outward()

    @classmethod
    def from_file(cls, path, coords, **kw) -> Mesh:
        """Read a triangle mesh (OBJ, PLY, STL or OFF) with ``trimesh.load(path, force="mesh",
        process=True)``: duplicate vertices are merged (STL triangle soups become closed meshes),
        polygons are triangulated, several objects are concatenated. ``kw`` go to :class:`Mesh`."""
        path = Path(path)
        suffix = path.suffix.lower()
        if not path.exists():
            raise DataError(
                f"Mesh file {str(path)!r} does not exist; expected the path of a mesh file "
                f"({', '.join(SUFFIXES)}). Check the path and the working folder."
            )
        if suffix not in SUFFIXES:
            raise DataError(
                f"Mesh file {str(path)!r} has suffix {suffix or '(none)'!r}; supported suffixes are "
                f"{', '.join(SUFFIXES)}. Convert the file, e.g. with meshio or MeshLab."
            )
        try:
            import trimesh
        except ImportError:
            raise DataError(
                f"Reading {str(path)!r} needs the trimesh package, which is not installed. Install "
                "it with pip install trimesh."
            ) from None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loaded = trimesh.load(str(path), force="mesh", process=True)
        except Exception as error:  # trimesh raises many types for malformed files
            raise DataError(
                f"Mesh file {str(path)!r} cannot be read as {suffix[1:].upper()}: "
                f"{type(error).__name__}: {error}. Expected a valid {', '.join(SUFFIXES)} file; "
                "re-export it or check that the suffix matches the content."
            ) from None
        if len(getattr(loaded, "faces", ())) == 0:
            try:
                points = len(getattr(trimesh.load(str(path), process=False), "vertices", ()))
            except Exception:
                points = 0
            if points:
                raise DataError(
                    f"Mesh file {str(path)!r} has {points} points but no faces; a surface with "
                    "normals needs triangles. Reconstruct a surface from the points first (e.g. "
                    "Poisson reconstruction) or use them as a Points set."
                )
            raise DataError(
                f"Mesh file {str(path)!r} is empty: no vertices and no faces; expected a triangle "
                "mesh. Check the file."
            )
        kw.setdefault("source", path.name)
        return cls(np.asarray(loaded.vertices), np.asarray(loaded.faces), coords, **kw)

    # -- validation ------------------------------------------------------------------------
    def _label(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        name = f"{self.source!r}, " if self.source else ""
        return f"Mesh({name}V={len(self.vertices)}, F={len(self.faces)})"

    def _where(self) -> str:
        return f"Mesh({self.source!r})" if self.source else "Mesh"

    def _check_vertices(self, vertices) -> np.ndarray:
        try:
            array = np.array(vertices, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(
                f"{self._where()} vertices must be numbers; received {type(vertices).__name__}. "
                "Pass a (V, 3) float array."
            ) from None
        if array.ndim != 2 or array.shape[1] != 3:
            raise DataError(
                f"{self._where()} vertices have shape {array.shape}; expected (V, 3), one row per "
                "vertex. Reshape the array."
            )
        if len(array) == 0:
            raise DataError(f"{self._where()} is empty: no vertices; expected a triangle mesh.")
        if not np.all(np.isfinite(array)):
            raise DataError(
                f"{self._where()} has {int((~np.isfinite(array)).any(axis=1).sum())} vertices with "
                "NaN or infinite coordinates; expected finite numbers. Clean the mesh."
            )
        return array

    def _check_faces(self, faces, n_vertices: int) -> np.ndarray:
        try:
            raw = np.asarray(faces)
            array = raw.astype(np.int64)
        except (TypeError, ValueError):
            raise DataError(
                f"{self._where()} faces must be integer vertex indices; received "
                f"{type(faces).__name__}. Pass an (F, 3) integer array."
            ) from None
        if raw.size and not np.array_equal(array, raw):
            raise DataError(
                f"{self._where()} faces hold non-integer values; expected integer vertex indices. "
                "Pass an (F, 3) integer array."
            )
        if array.size == 0:
            raise DataError(
                f"{self._where()} has {n_vertices} points but no faces; a surface with normals "
                "needs triangles. Pass faces (F, 3) or use the points as a Points set."
            )
        if array.ndim != 2 or array.shape[1] != 3:
            raise DataError(
                f"{self._where()} faces have shape {array.shape}; expected (F, 3) triangles. "
                "Triangulate polygons first (trimesh or meshio do it when reading)."
            )
        bad = (array < 0) | (array >= n_vertices)
        if bad.any():
            raise DataError(
                f"{self._where()} faces refer to vertex {int(array[bad][0])}, but there are "
                f"{n_vertices} vertices (indices 0..{n_vertices - 1}); expected valid 0-based "
                "indices. Check the face array."
            )
        return array

    def _check_half_extent(self, half_extent, normalize) -> float:
        try:
            value = float(half_extent)
        except (TypeError, ValueError):
            value = float("nan")
        if normalize and not (0 < value <= 1):
            raise DomainError(
                f"{self._where()} half_extent must lie in (0, 1] so that the mesh fits the "
                f"sampling box [-1, 1]^3; received {half_extent!r}. Pass for example 0.9."
            )
        return value

    def _drop_degenerate(self, faces: np.ndarray) -> np.ndarray:
        areas, _ = _face_geometry(self.vertices, faces)
        extent = float(np.max(np.ptp(self.vertices[faces].reshape(-1, 3), axis=0)))
        keep = areas > _DEGENERATE_RTOL * extent**2
        dropped = int((~keep).sum())
        if dropped == len(faces):
            raise DataError(
                f"{self._where()} is empty: all {len(faces)} faces have zero area; expected "
                "triangles with three distinct, non-collinear vertices."
            )
        if dropped:
            warnings.warn(
                f"{self._where()}: dropped {dropped} degenerate (zero-area) face(s) of "
                f"{len(faces)}; the remaining {len(faces) - dropped} are used.",
                UserWarning,
                stacklevel=3,
            )
        return faces[keep]

    def _topology(self, faces: np.ndarray) -> None:
        _, _, _, counts = _edge_census(faces, len(self.vertices))
        self.boundary_edges = int(np.sum(counts == 1))
        self.nonmanifold_edges = int(np.sum(counts > 2))
        self.watertight = self.boundary_edges == 0 and self.nonmanifold_edges == 0
        if self.watertight:
            faces, disagree = _orient(faces, len(self.vertices))
            if disagree:
                self.watertight = False
                warnings.warn(
                    f"{self._where()}: {disagree} edge(s) cannot be oriented consistently (a "
                    "non-orientable surface); inside/outside is undefined, so contains, "
                    "signed_distance and labelled are unavailable. Surface sampling still works.",
                    UserWarning,
                    stacklevel=3,
                )
        else:
            extra = (f" and {self.nonmanifold_edges} edge(s) shared by more than two faces"
                     if self.nonmanifold_edges else "")
            warnings.warn(
                f"{self._where()} is not watertight: it has {self.boundary_edges} boundary edge(s) "
                f"(used by one face only){extra}. Inside/outside and signed distance are "
                "unreliable for an open surface: contains, signed_distance and labelled will raise. "
                "Surface sampling still works; repair the mesh (e.g. fill holes) for the rest.",
                UserWarning,
                stacklevel=3,
            )
        self.faces = np.ascontiguousarray(faces)

    def _point_outward(self) -> None:
        """Flip each connected component whose normals point inward (probed by ray parity)."""
        faces = self.faces.copy()
        _, owner, inverse, counts = _edge_census(faces, len(self.vertices))
        order = np.argsort(inverse, kind="stable")
        start = (np.cumsum(counts) - counts)[counts == 2]
        f1, f2 = owner[order[start]], owner[order[start + 1]]
        n = len(faces)
        graph = sparse.coo_matrix((np.ones(len(f1)), (f1, f2)), shape=(n, n))
        n_parts, label = csgraph.connected_components(graph, directed=False)
        centroids = self.vertices[faces].mean(axis=1)
        step = 1e-6 * self.diagonal
        probes, parts = [], []
        for part in range(n_parts):
            members = np.flatnonzero(label == part)
            chosen = members[np.argsort(-self.areas[members], kind="stable")[:5]]
            probes.append(centroids[chosen] + step * self.normals[chosen])
            parts.append(np.full(len(chosen), part))
        inward = self._index_parity().crossings(np.concatenate(probes)) % 2 == 1
        votes = np.bincount(np.concatenate(parts), weights=inward, minlength=n_parts)
        sizes = np.bincount(np.concatenate(parts), minlength=n_parts)
        flip_part = votes * 2 > sizes
        if flip_part.any():
            flip = flip_part[label]
            faces[flip] = faces[flip][:, [0, 2, 1]]
            self.faces = np.ascontiguousarray(faces)
            self.faces.flags.writeable = False
            self.areas, self.normals = _face_geometry(self.vertices, self.faces)
            self.areas.flags.writeable = False
            self.normals.flags.writeable = False

    # -- normalisation -----------------------------------------------------------------------
    def _points(self, points, where: str) -> np.ndarray:
        if isinstance(points, torch.Tensor):
            array = points.detach().to("cpu", torch.float64).numpy()
        else:
            try:
                array = np.asarray(points, dtype=np.float64)
            except (TypeError, ValueError):
                raise DomainError(
                    f"{self!r}.{where}: expected an (M, 3) array of numbers; received "
                    f"{type(points).__name__}."
                ) from None
        if array.ndim == 1 and array.shape[0] == 3:
            array = array.reshape(1, 3)
        if array.ndim != 2 or array.shape[1] != 3:
            names = ", ".join(str(c) for c in self.coords)
            raise DomainError(
                f"{self!r}.{where}: expected points of shape (M, 3) with columns ({names}); "
                f"received shape {array.shape}. Stack one column per coordinate."
            )
        if not np.all(np.isfinite(array)):
            raise DomainError(
                f"{self!r}.{where}: {int((~np.isfinite(array)).any(axis=1).sum())} point(s) have NaN "
                "or infinite coordinates; expected finite numbers."
            )
        return array

    def to_original(self, points) -> np.ndarray:
        """Normalised points (M, 3) -> original coordinates: points * scale + center."""
        return self._points(points, "to_original") * self.scale + self.center

    def to_normalized(self, points) -> np.ndarray:
        """Original points (M, 3) -> normalised coordinates: (points - center) / scale."""
        return (self._points(points, "to_normalized") - self.center) / self.scale

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The sampling box (lower, upper), each (3,): [-1, 1]^3 when normalised."""
        return self.box_lower.copy(), self.box_upper.copy()

    @property
    def area(self) -> float:
        """Surface area: sum of the triangle areas (normalised units^2)."""
        return float(self.areas.sum())

    @property
    def volume(self) -> float:
        """Enclosed volume sum_f a_f . (b_f x c_f) / 6 (divergence theorem); meaningful only when
        ``watertight`` (normalised units^3)."""
        a, b, c = (self.vertices[self.faces[:, i]] for i in range(3))
        return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6)

    # -- regions -----------------------------------------------------------------------------
    @property
    def surface(self) -> MeshSurface:
        """Region of the surface: (N, 3) points uniform by area, unit face normals ``n_<coord>``."""
        return MeshSurface(self)

    @property
    def space(self) -> MeshSpace:
        """Region of the sampling box: (N, 3) points uniform in it, no data columns."""
        return MeshSpace(self)

    def labelled(self, n_points: int, generator: torch.Generator, *, near_surface: float = 0.5, sigma: float = 0.01) -> Points:
        """A fixed pool of n_points points with data columns ``inside`` and ``sdf``.

        A fraction ``near_surface`` (rounded) are surface samples moved by N(0, sigma^2) per axis,
        the rest uniform in the sampling box (the Occupancy Networks recipe); all random numbers
        come from ``generator``. ``inside``: 1.0 where :meth:`contains`, else 0.0; ``sdf``:
        :meth:`signed_distance`, whose sign agrees with ``inside`` (<= 0 inside, >= 0 outside). Returns
        :class:`~pinnfield.domains.Points` with (n_points, 3) points.
        """
        where = f"{self!r}.labelled"
        n_points = _check_n(n_points, where)
        generator = _check_generator(generator, where)
        fraction = _unit_float(near_surface, where, "near_surface", 0.0, 1.0)
        sigma = _unit_float(sigma, where, "sigma", 0.0, math.inf)
        self._require_closed("labelled")
        n_near = int(round(fraction * n_points))
        source = _Source(generator, "uniform")
        near = torch.zeros(0, 3, dtype=torch.float64)
        if n_near:
            near, _ = self.surface._draw(n_near, source)
            near = near + sigma * torch.randn(n_near, 3, generator=generator, dtype=torch.float64, device="cpu")
        far, _ = self.space._draw(n_points - n_near, source) if n_points > n_near else (near[:0], {})
        points = torch.cat([near, far]).numpy()
        inside, distance = self._signed(points)
        return Points(points, self.coords, {"inside": inside.astype(np.float64), "sdf": distance})

    # -- queries -----------------------------------------------------------------------------
    def _index_parity(self) -> _ParityIndex:
        if self._parity is None:
            self._parity = _ParityIndex(self.vertices, self.faces)
        return self._parity

    def _index_tree(self) -> _TriangleTree:
        if self._tree is None:
            self._tree = _TriangleTree(self.vertices, self.faces)
        return self._tree

    def _require_closed(self, where: str) -> None:
        if not self.watertight:
            raise DataError(
                f"{self!r}.{where}: inside/outside is undefined for an open surface (the mesh has "
                f"{self.boundary_edges} boundary edge(s) and {self.nonmanifold_edges} non-manifold "
                "edge(s)); expected a watertight mesh. Repair it (e.g. fill holes, "
                "trimesh.repair.fill_holes) or use surface-only losses (mesh.surface)."
            )

    def contains(self, points) -> np.ndarray:
        """(M,) bool: which points (M, 3) lie inside the closed surface (ray parity along +z).

        Points within floating-point rounding of the surface may fall on either side.
        """
        self._require_closed("contains")
        return self._index_parity().crossings(self._points(points, "contains")) % 2 == 1

    def closest(self, points) -> tuple[np.ndarray, np.ndarray]:
        """Closest surface points (M, 3) and the unit normals (M, 3) of their faces, for points
        (M, 3); works on open meshes too."""
        points = self._points(points, "closest")
        face, v, w, _ = self._index_tree().query(points)
        a, b, c = (self.vertices[self.faces[face, i]] for i in range(3))
        return a + v[:, None] * (b - a) + w[:, None] * (c - a), self.normals[face].copy()

    def distance(self, points) -> np.ndarray:
        """(M,) distance of points (M, 3) to the surface; works on open meshes too."""
        return np.sqrt(self._index_tree().query(self._points(points, "distance"))[3])

    def signed_distance(self, points) -> np.ndarray:
        """(M,) signed distance of points (M, 3) to the surface: negative inside, positive outside.

        |value| is the distance to the closest point of the mesh; the sign is that of
        :meth:`contains`. Normalised units: divide by ``diagonal`` for a fraction of the size.
        """
        self._require_closed("signed_distance")
        return self._signed(self._points(points, "signed_distance"))[1]

    def _signed(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._require_closed("signed_distance")
        inside = self._index_parity().crossings(points) % 2 == 1
        distance = np.sqrt(self._index_tree().query(points)[3])
        return inside, np.where(inside, -distance, distance)


def _unit_float(value, where: str, what: str, low: float, high: float) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = float("nan")
    if not (low <= out <= high) or math.isnan(out):
        upper = "inf" if math.isinf(high) else _num(high)
        raise DomainError(
            f"{where}: {what} must be a number in [{_num(low)}, {upper}]; received {value!r}."
        )
    return out


# --------------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------------


class MeshSurface(AbstractRegion):
    """The mesh surface: points uniform by area (triangle by area, then uniform barycentric by the
    square-root trick), data columns ``n_<coord>``: the unit normal of the face sampled."""

    _name = "surface"

    def __init__(self, mesh: Mesh):
        self.domain = mesh
        self.coords = mesh.coords
        self.data_names = _normal_names(mesh.coords)

    def _draw(self, n, source):
        mesh = self.domain
        u = source.stream(3)(n).numpy()
        points, normals = surface_samples(mesh.vertices, mesh.faces, u, mesh.areas, mesh.normals)
        normals = torch.from_numpy(np.ascontiguousarray(normals))
        return torch.from_numpy(points), {name: normals[:, i] for i, name in enumerate(self.data_names)}


class MeshSpace(AbstractRegion):
    """The sampling box of the mesh: points uniform in it, no data columns."""

    _name = "space"

    def __init__(self, mesh: Mesh):
        self.domain = mesh
        self.coords = mesh.coords

    def _draw(self, n, source):
        lower, upper = (torch.from_numpy(np.array(b)) for b in self.domain.bounds())
        return lower + (upper - lower) * source.stream(3)(n), {}
