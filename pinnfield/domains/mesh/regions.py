"""The regions of a :class:`~pinnfield.domains.mesh.Mesh`: its surface and its sampling box."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ..base import AbstractRegion
from ..checks import normal_names
from .geometry import surface_samples

if TYPE_CHECKING:
    from .mesh import Mesh

__all__ = ["MeshSurface", "MeshSpace"]


class MeshSurface(AbstractRegion):
    """The mesh surface: points uniform by area (triangle by area, then uniform barycentric by the
    square-root trick), data columns ``n_<coord>``: the unit normal of the face sampled."""

    _name = "surface"

    def __init__(self, mesh: Mesh):
        self.domain = mesh
        self.coords = mesh.coords
        self.data_names = normal_names(mesh.coords)

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