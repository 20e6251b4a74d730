"""Exact closest points: the :class:`TriangleTree`, a bounding-volume hierarchy of cylinders over a
mesh's triangles, and the lower bounds it prunes with.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from .geometry import closest_on_triangles, ragged_indices

__all__ = ["TriangleTree", "bounding_cylinders", "cylinder_bound2", "disk_bound2"]

_LEAF = 8  # triangles per leaf of the hierarchy, at most
_STEP = 2  # depths descended per step of a query (4 children per node)
_QUERY_CHUNK = 1024  # points per query step: small arrays stay in the processor cache
_MARGIN = 1e-9  # relative slack on squared bounds, far above floating-point rounding
_COARSE_CELLS = 40  # coarse start: one triangle per voxel of side (bounding-box diagonal) / this
_COARSE_NEIGHBOURS = 4  # nearest coarse triangles whose best gives the first upper bound


class TriangleTree:
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
        self.bounds = {level: bounding_cylinders(corners, cross, self.ranges[level]) for level in self.levels}
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
            keep = cylinder_bound2(cylinders, np.take(points, pt, axis=0)) <= np.take(bound, pt)
            pt, node = pt[keep], node[keep]
        leaves = np.take(self.ranges[self.depth], node, axis=0)
        rows, flat = ragged_indices(leaves[:, 1] - leaves[:, 0], leaves[:, 0])
        pt = np.take(pt, rows)
        disks = np.take(self.disk, flat, axis=0)
        keep = disk_bound2(disks, np.take(points, pt, axis=0)) <= np.take(bound, pt)
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
        v, w, d2 = closest_on_triangles(p[:, 0], p[:, 1], p[:, 2], np.take(self.tri, position, axis=0).T)
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


def bounding_cylinders(corners: np.ndarray, cross: np.ndarray, ranges: np.ndarray) -> np.ndarray:
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


def cylinder_bound2(bounds: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Squared lower bound (see :class:`TriangleTree`) from points (m, 3) to cylinders (m, 9)."""
    cx, cy, cz, nx, ny, nz, t, r, rs = bounds.T
    dx, dy, dz = points[:, 0] - cx, points[:, 1] - cy, points[:, 2] - cz
    a = np.abs(dx * nx + dy * ny + dz * nz)
    squared = dx * dx + dy * dy + dz * dz
    lateral = np.maximum(np.sqrt(np.maximum(squared - a * a, 0)) - r, 0)
    along = np.maximum(a - t, 0)
    ball = np.maximum(np.sqrt(squared) - rs, 0)
    return np.maximum(along * along + lateral * lateral, ball * ball)


def disk_bound2(disk: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Squared distance from points (m, 3) to the disks (m, 7) = center, unit normal, radius that
    hold the triangles: a lower bound of the squared point-triangle distance."""
    cx, cy, cz, nx, ny, nz, r = disk.T
    dx, dy, dz = points[:, 0] - cx, points[:, 1] - cy, points[:, 2] - cz
    a = dx * nx + dy * ny + dz * nz
    lateral = np.maximum(np.sqrt(np.maximum(dx * dx + dy * dy + dz * dz - a * a, 0)) - r, 0)
    return a * a + lateral * lateral

