"""Mesh topology and repair: the edge census (boundary and non-manifold edges), consistent
winding of closed surfaces, outward normals and the removal of degenerate faces.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ...errors import DataError
from .geometry import face_geometry

__all__ = ["directed_edges", "edge_census", "orient", "drop_degenerate", "check_topology", "outward_flips"]

_DEGENERATE_RTOL = 1e-12  # a face whose area is below this times the squared extent has no area


def directed_edges(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Directed edges (3F, 2) in face order (a->b, b->c, c->a) and their owning face (3F,)."""
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    owner = np.tile(np.arange(len(faces)), 3)
    return directed, owner


def edge_census(faces: np.ndarray, n_vertices: int):
    """Undirected edge keys of every directed edge, inverse map and use counts."""
    directed, owner = directed_edges(faces)
    lo, hi = directed.min(axis=1), directed.max(axis=1)
    keys = lo * np.int64(n_vertices) + hi
    unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return directed, owner, inverse, counts


def orient(faces: np.ndarray, n_vertices: int) -> tuple[np.ndarray, int]:
    """Re-wind faces so that every manifold edge is used once in each direction, per component.

    Breadth-first over faces sharing an edge: a face whose shared edge runs the same way as its
    parent's is flipped relative to the parent. Returns the faces and the number of edges whose
    two faces still disagree (non-orientable parts).
    """
    directed, owner, inverse, counts = edge_census(faces, n_vertices)
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
    directed, owner, inverse, counts = edge_census(faces, n_vertices)
    order = np.argsort(inverse, kind="stable")
    first = order[(np.cumsum(counts) - counts)[counts == 2]]
    second = order[(np.cumsum(counts) - counts)[counts == 2] + 1]
    return faces, int(np.sum(directed[first, 0] == directed[second, 0]))


def drop_degenerate(vertices: np.ndarray, faces: np.ndarray, where: str) -> np.ndarray:
    """The faces (F', 3) whose area exceeds ``_DEGENERATE_RTOL`` times the squared extent of the
    used vertices; warns with the count dropped, raises :class:`DataError` when none is left."""
    areas, _ = face_geometry(vertices, faces)
    extent = float(np.max(np.ptp(vertices[faces].reshape(-1, 3), axis=0)))
    keep = areas > _DEGENERATE_RTOL * extent**2
    dropped = int((~keep).sum())
    if dropped == len(faces):
        raise DataError(
            f"{where} is empty: all {len(faces)} faces have zero area; expected "
            "triangles with three distinct, non-collinear vertices."
        )
    if dropped:
        warnings.warn(
            f"{where}: dropped {dropped} degenerate (zero-area) face(s) of "
            f"{len(faces)}; the remaining {len(faces) - dropped} are used.",
            UserWarning,
            stacklevel=3,
        )
    return faces[keep]


def check_topology(faces: np.ndarray, n_vertices: int, where: str) -> tuple[np.ndarray, int, int, bool]:
    """(faces, boundary edges, non-manifold edges, watertight) of a triangle surface.

    A closed surface (every edge shared by exactly two faces) is re-wound consistently
    (:func:`orient`); an open or non-orientable one is kept as it is, with a warning.
    """
    _, _, _, counts = edge_census(faces, n_vertices)
    boundary_edges = int(np.sum(counts == 1))
    nonmanifold_edges = int(np.sum(counts > 2))
    watertight = boundary_edges == 0 and nonmanifold_edges == 0
    if watertight:
        faces, disagree = orient(faces, n_vertices)
        if disagree:
            watertight = False
            warnings.warn(
                f"{where}: {disagree} edge(s) cannot be oriented consistently (a "
                "non-orientable surface); inside/outside is undefined, so contains, "
                "signed_distance and labelled are unavailable. Surface sampling still works.",
                UserWarning,
                stacklevel=3,
            )
    else:
        extra = (f" and {nonmanifold_edges} edge(s) shared by more than two faces"
                 if nonmanifold_edges else "")
        warnings.warn(
            f"{where} is not watertight: it has {boundary_edges} boundary edge(s) "
            f"(used by one face only){extra}. Inside/outside and signed distance are "
            "unreliable for an open surface: contains, signed_distance and labelled will raise. "
            "Surface sampling still works; repair the mesh (e.g. fill holes) for the rest.",
            UserWarning,
            stacklevel=3,
        )
    return np.ascontiguousarray(faces), boundary_edges, nonmanifold_edges, watertight


def outward_flips(vertices, faces, areas, normals, diagonal: float, parity) -> np.ndarray | None:
    """The faces of a closed surface with each connected component whose normals point inward
    flipped, or None when every component already points outward.

    Each component votes with its (up to) five largest faces: the point 1e-6 ``diagonal`` along
    the face normal from the centroid is inside (odd ``parity.crossings``) for an inward normal.
    """
    faces = faces.copy()
    _, owner, inverse, counts = edge_census(faces, len(vertices))
    order = np.argsort(inverse, kind="stable")
    start = (np.cumsum(counts) - counts)[counts == 2]
    f1, f2 = owner[order[start]], owner[order[start + 1]]
    n = len(faces)
    graph = sparse.coo_matrix((np.ones(len(f1)), (f1, f2)), shape=(n, n))
    n_parts, label = csgraph.connected_components(graph, directed=False)
    centroids = vertices[faces].mean(axis=1)
    step = 1e-6 * diagonal
    probes, parts = [], []
    for part in range(n_parts):
        members = np.flatnonzero(label == part)
        chosen = members[np.argsort(-areas[members], kind="stable")[:5]]
        probes.append(centroids[chosen] + step * normals[chosen])
        parts.append(np.full(len(chosen), part))
    inward = parity.crossings(np.concatenate(probes)) % 2 == 1
    votes = np.bincount(np.concatenate(parts), weights=inward, minlength=n_parts)
    sizes = np.bincount(np.concatenate(parts), minlength=n_parts)
    flip_part = votes * 2 > sizes
    if not flip_part.any():
        return None
    flip = flip_part[label]
    faces[flip] = faces[flip][:, [0, 2, 1]]
    return np.ascontiguousarray(faces)
