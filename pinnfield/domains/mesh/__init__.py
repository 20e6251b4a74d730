"""Triangle meshes as domains: :class:`Mesh` (surface samples with normals, inside/outside,
closest points and signed distance) and its regions.

Modules by job: :mod:`.geometry` (triangle geometry, surface samples, closest point on a
triangle), :mod:`.parity` (ray-parity grid for inside/outside), :mod:`.bvh` (triangle tree for
closest points), :mod:`.repair` (edge census, orientation, degenerate faces), :mod:`.files`
(reading OBJ/PLY/STL/OFF), :mod:`.mesh` (the Mesh), :mod:`.regions` (surface and space).
"""

from .files import SUFFIXES as SUFFIXES
from .geometry import surface_samples as surface_samples
from .mesh import Mesh as Mesh
from .regions import MeshSpace as MeshSpace
from .regions import MeshSurface as MeshSurface
