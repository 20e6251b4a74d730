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

Queries take points (M, 3) in the mesh's coordinates and return numpy arrays: ``contains`` (ray
parity, :mod:`.parity`), ``closest`` / ``distance`` / ``signed_distance`` (exact closest points
through a bounding-volume hierarchy, :mod:`.bvh`; the sign of the signed distance is that of
``contains``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import sympy as sp
import torch

from ...errors import DataError, DomainError, check_int
from ..checks import (
    check_coords, check_faces, check_generator, check_half_extent, check_in_range, check_n, check_vertices, point_array,
)
from ..points import Points
from ..sources import Source
from .bvh import TriangleTree
from .files import read_mesh
from .geometry import face_geometry
from .parity import ParityGrid
from .regions import MeshSpace, MeshSurface
from .repair import check_topology, drop_degenerate, outward_flips

__all__ = ["Mesh"]


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
        self.coords: tuple[sp.Symbol, ...] = check_coords(coords, "Mesh", 3)
        vertices = check_vertices(vertices, self._where())
        faces = check_faces(faces, len(vertices), self._where())
        half_extent = check_half_extent(half_extent, normalize, self._where())
        lower, upper = vertices[faces].reshape(-1, 3).min(axis=0), vertices[faces].reshape(-1, 3).max(axis=0)
        extent = float(np.max(upper - lower))
        if normalize:
            self.center = 0.5 * (lower + upper)
            self.scale = extent / (2 * half_extent) if extent > 0 else 1.0
        else:
            self.center, self.scale = np.zeros(3), 1.0
        self.vertices = (vertices - self.center) / self.scale
        faces = drop_degenerate(self.vertices, faces, self._where())
        self.faces, self.boundary_edges, self.nonmanifold_edges, self.watertight = check_topology(
            faces, len(self.vertices), self._where()
        )
        self.areas, self.normals = face_geometry(self.vertices, self.faces)
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
        self._parity: ParityGrid | None = None  # built on first use
        self._tree: TriangleTree | None = None
        if self.watertight:
            self._point_outward()

    @classmethod
    def from_file(cls, path, coords, **kw) -> Mesh:
        """Read a triangle mesh (OBJ, PLY, STL or OFF) with ``trimesh.load(path, force="mesh",
        process=True)``: duplicate vertices are merged (STL triangle soups become closed meshes),
        polygons are triangulated, several objects are concatenated. ``kw`` go to :class:`Mesh`."""
        vertices, faces = read_mesh(path)
        kw.setdefault("source", Path(path).name)
        return cls(vertices, faces, coords, **kw)

    # -- text ----------------------------------------------------------------------------
    def _label(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        name = f"{self.source!r}, " if self.source else ""
        return f"Mesh({name}V={len(self.vertices)}, F={len(self.faces)})"

    def _where(self) -> str:
        return f"Mesh({self.source!r})" if self.source else "Mesh"

    def _point_outward(self) -> None:
        """Flip each connected component whose normals point inward (probed by ray parity)."""
        faces = outward_flips(self.vertices, self.faces, self.areas, self.normals, self.diagonal, self._index_parity())
        if faces is not None:
            self.faces = faces
            self.faces.flags.writeable = False
            self.areas, self.normals = face_geometry(self.vertices, self.faces)
            self.areas.flags.writeable = False
            self.normals.flags.writeable = False

    # -- normalisation -----------------------------------------------------------------------
    def _points(self, points, where: str) -> np.ndarray:
        array = point_array(points, self.coords, f"{self!r}.{where}", rows="M")
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

    def grid(self, n) -> np.ndarray:
        """(n^3, 3) evaluation points: a tensor grid over the sampling box, boundary included
        ('ij' order: the first coordinate varies slowest). ``n``: points per axis, an int >= 2."""
        n = check_int(n, f"{self!r}.grid n (points per axis)", minimum=2, error=DomainError)
        axes = [np.linspace(lo, hi, n) for lo, hi in zip(self.box_lower, self.box_upper)]
        return np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=1)

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
        n_points = check_n(n_points, where)
        generator = check_generator(generator, where)
        fraction = check_in_range(near_surface, where, "near_surface", 0.0, 1.0)
        sigma = check_in_range(sigma, where, "sigma", 0.0, math.inf)
        self._require_closed("labelled")
        n_near = int(round(fraction * n_points))
        source = Source(generator, "uniform")
        near = torch.zeros(0, 3, dtype=torch.float64)
        if n_near:
            near, _ = self.surface._draw(n_near, source)
            near = near + sigma * torch.randn(n_near, 3, generator=generator, dtype=torch.float64, device="cpu")
        far, _ = self.space._draw(n_points - n_near, source) if n_points > n_near else (near[:0], {})
        points = torch.cat([near, far]).numpy()
        inside, distance = self._signed(points)
        return Points(points, self.coords, {"inside": inside.astype(np.float64), "sdf": distance})

    # -- queries -----------------------------------------------------------------------------
    def _index_parity(self) -> ParityGrid:
        if self._parity is None:
            self._parity = ParityGrid(self.vertices, self.faces)
        return self._parity

    def _index_tree(self) -> TriangleTree:
        if self._tree is None:
            self._tree = TriangleTree(self.vertices, self.faces)
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
