"""Domains and the regions sampled from them.

A *domain* is a closed set in R^d whose axes are named by sympy Symbols (``coords``):
:class:`Interval`, :class:`Box`, :class:`Disk`, :class:`Ball`, their CSG combinations
(``a | b``, ``a - b``, ``a & b``) and space-time products (``space * TimeInterval(...)``);
a triangle :class:`Mesh` is a domain of its own kind (surface and sampling box).

A *region* is what a constraint samples: ``domain.interior``, ``domain.boundary``,
``box.face(x, 0)``, ``csg.boundary_of(part)``, ``spacetime.initial`` or a :class:`Points` set
(:class:`Pixels` and :class:`Samples1D` are point sets of data). ``region.sample(n, generator)``
returns a :class:`Batch` of exactly ``n`` points (N, d) on CPU whose columns follow
``region.coords``, plus per-point data columns (outward unit normals ``n_<coord>`` on
boundaries, user values on :class:`Points`).

Every random number comes from the ``torch.Generator`` passed to ``sample``: i.i.d. uniform
numbers (``method="uniform"``) or scrambled Sobol points seeded from it (``method="sobol"``).
The same generator state gives the same points.

Modules: :mod:`.base` (the contracts), :mod:`.checks` (input checks), :mod:`.sources` (random
numbers), :mod:`.shapes`, :mod:`.csg`, :mod:`.spacetime`, :mod:`.points`, :mod:`.pixels`,
:mod:`.signals`, :mod:`.mesh`.
"""

from .base import CONTAINS_RTOL as CONTAINS_RTOL
from .base import AbstractDomain as AbstractDomain
from .base import AbstractRegion as AbstractRegion
from .base import Batch as Batch
from .base import Boundary as Boundary
from .base import Interior as Interior
from .checks import METHODS as METHODS
from .csg import BoundaryPart as BoundaryPart
from .csg import Difference as Difference
from .csg import Intersection as Intersection
from .csg import Union as Union
from .mesh import Mesh as Mesh
from .mesh import MeshSpace as MeshSpace
from .mesh import MeshSurface as MeshSurface
from .pixels import Pixels as Pixels
from .points import Points as Points
from .shapes import Ball as Ball
from .shapes import Box as Box
from .shapes import Disk as Disk
from .shapes import Face as Face
from .shapes import Interval as Interval
from .signals import Samples1D as Samples1D
from .spacetime import Extruded as Extruded
from .spacetime import SpaceTime as SpaceTime
from .spacetime import TimeInterval as TimeInterval
from .spacetime import TimeSlice as TimeSlice
