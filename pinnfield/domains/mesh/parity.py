"""Inside/outside by ray parity: the :class:`ParityGrid` counts the crossings of the ray from each
point along +z with the triangles, found through a 2-D grid of cells over (x, y).

Ties (a ray through an edge or a vertex) are broken by simulation of simplicity: the point is
moved by (eps, eps^2) in (x, y), and every edge test is exactly antisymmetric in floating point,
so a ray through a shared edge or vertex is counted once.
"""

from __future__ import annotations

import numpy as np

from .geometry import ragged_indices

__all__ = ["ParityGrid", "edge_sign", "budget_slices"]

_PAIR_BUDGET = 65_536  # (point, triangle) pairs of a ray-parity step
_GRID_CELLS = 1024  # largest number of parity cells per axis
_CELL_ENTRIES = 20_000_000  # largest number of (cell, triangle) entries of the parity grid


def edge_sign(ax, ay, bx, by):
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



def budget_slices(weights: np.ndarray, budget: int):
    """Consecutive slices of rows whose summed ``weights`` stay near ``budget``."""
    total = np.cumsum(weights)
    begin, n = 0, len(weights)
    while begin < n:
        base = total[begin - 1] if begin else 0
        end = int(np.searchsorted(total, base + budget, side="right"))
        end = min(max(end, begin + 1), n)
        yield slice(begin, end)
        begin = end



class ParityGrid:
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
        owner, local = ragged_indices(counts, np.zeros(len(counts), dtype=np.int64))
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
        for part in budget_slices(counts, _PAIR_BUDGET):
            rows, flat = ragged_indices(counts[part], self.start[cell[part]])
            if len(rows) == 0:
                continue
            tri = np.take(self.tri, np.take(self.members, flat), axis=0).T
            p = np.take(points[part], rows, axis=0)
            ax, ay, az = tri[0] - p[:, 0], tri[1] - p[:, 1], tri[2] - p[:, 2]
            bx, by, bz = tri[3] - p[:, 0], tri[4] - p[:, 1], tri[5] - p[:, 2]
            cx, cy, cz = tri[6] - p[:, 0], tri[7] - p[:, 1], tri[8] - p[:, 2]
            s_ab, e_ab = edge_sign(ax, ay, bx, by)
            s_bc, e_bc = edge_sign(bx, by, cx, cy)
            s_ca, e_ca = edge_sign(cx, cy, ax, ay)
            hit = (s_ab != 0) & (s_ab == s_bc) & (s_bc == s_ca)
            height = e_bc * az + e_ca * bz + e_ab * cz  # (height of the crossing) * 2 area
            hit &= height * s_ab > 0
            out[part] += np.bincount(rows, weights=hit, minlength=part.stop - part.start).astype(np.int64)
        return out
