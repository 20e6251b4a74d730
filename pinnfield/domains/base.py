"""The contracts: :class:`Batch` (sampled points), :class:`AbstractRegion` (what a constraint
samples) and :class:`AbstractDomain` (a closed set in R^d with named axes).

A region's ``sample(n, generator)`` returns a :class:`Batch` of exactly ``n`` points (N, d) on
CPU whose columns follow ``region.coords``, plus per-point data columns (outward unit normals
``n_<coord>`` on boundaries, user values on :class:`~pinnfield.domains.Points`). A user subclass
of either class works wherever a built-in one does: it implements the hooks its docstring lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch

from ..errors import DomainError
from .checks import check_dtype, check_generator, check_method, check_n, coord_names, normal_names, point_array
from .sources import Source

__all__ = [
    "CONTAINS_RTOL", "Batch", "AbstractRegion", "AbstractDomain", "Interior", "Boundary",
    "normal_columns", "float64_tensor",
]

CONTAINS_RTOL = 1e-12
"""``contains`` accepts points up to this tolerance times the domain's size outside it."""


def float64_tensor(array: np.ndarray) -> torch.Tensor:
    """A float64 tensor copy of a (possibly read-only) array."""
    return torch.tensor(array, dtype=torch.float64)


def normal_columns(coords, normals: torch.Tensor) -> dict[str, torch.Tensor]:
    """Data columns ``n_<coord>`` (N,) of (N, d) unit normals."""
    return {name: normals[:, i] for i, name in enumerate(normal_names(coords))}


@dataclass(frozen=True, eq=False)
class Batch:
    """Points sampled from a region: `points` (N, d) float tensor whose columns follow `coords`; `data` maps a data-column name to an (N,) tensor."""

    points: torch.Tensor
    data: dict[str, torch.Tensor]

    def __len__(self) -> int:
        return int(self.points.shape[0])


class AbstractRegion:
    """A set that constraints sample points from.

    ``coords``: column order of sampled points. ``data_names``: the data columns ``sample``
    returns. ``domain``: the parent domain (for ``bounds`` and ``repr``). Subclasses implement
    ``_draw(n, source) -> ((n, d) float64 tensor, {name: (n,)})`` with the numbers of
    ``source`` (a :class:`~pinnfield.domains.sources.Source`), or override ``sample`` itself.
    """

    coords: tuple[sp.Symbol, ...] = ()
    data_names: tuple[str, ...] = ()

    def sample(self, n: int, generator: torch.Generator, *, method: str = "uniform", dtype=torch.float64) -> Batch:
        """Draw exactly ``n`` points (N, d) on CPU with ``generator``; deterministic in its state.

        ``method``: ``"uniform"`` (i.i.d.) or ``"sobol"`` (scrambled, seeded from ``generator``).
        """
        n = check_n(n, self)
        source = Source(check_generator(generator, self), check_method(method, self))
        dtype = check_dtype(dtype, self)
        points, data = self._draw(n, source)
        return Batch(points.to(dtype), {k: v.to(dtype) for k, v in data.items()})

    def _draw(self, n: int, source: Source) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        raise NotImplementedError(f"{type(self).__name__} must implement _draw(n, source) or sample(n, generator).")

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounding box (lower, upper) of the parent domain, each of length d."""
        return self.domain.bounds()

    def __repr__(self) -> str:
        domain = getattr(self, "domain", None)
        if domain is None:
            return f"{type(self).__name__}()"
        return f"{domain._label()}.{getattr(self, '_name', type(self).__name__)}"


class Interior(AbstractRegion):
    """The domain's interior (closed set); no data columns."""

    _name = "interior"

    def __init__(self, domain: AbstractDomain):
        self.domain = domain
        self.coords = domain.coords

    def _draw(self, n, source):
        return self.domain._sample_interior(n, source), {}


class Boundary(AbstractRegion):
    """The domain's whole boundary; data columns ``n_<coord>``: the outward unit normal."""

    _name = "boundary"

    def __init__(self, domain: AbstractDomain):
        self.domain = domain
        self.coords = domain.coords
        self.data_names = normal_names(domain.coords)

    def _draw(self, n, source):
        points, normals = self.domain._sample_boundary(n, source)
        return points, normal_columns(self.coords, normals)


class AbstractDomain:
    """A closed set in R^d with named axes ``coords``.

    Subclasses set ``coords`` and implement ``_inside(points, tol) -> (N,) bool`` (membership of
    the set grown by ``tol``; a negative ``tol`` shrinks it), ``_bounds() -> (lower, upper)``,
    ``measure()``, ``_sample_interior(n, source) -> (n, d)`` and ``_sample_boundary(n, source) ->
    ((n, d) points, (n, d) outward unit normals)``. To be a part of a CSG combination they also
    implement ``_on_boundary(points, tol) -> (N,) bool`` and ``_boundary_measure() -> float``;
    ``_key()`` (value identity) defaults to the object's identity.
    """

    coords: tuple[sp.Symbol, ...] = ()

    # -- regions -------------------------------------------------------------------------
    @property
    def interior(self) -> AbstractRegion:
        """Region of the interior: returns (N, d) points, no data columns."""
        return Interior(self)

    @property
    def boundary(self) -> AbstractRegion:
        """Region of the whole boundary: (N, d) points and normal columns ``n_<coord>``."""
        return Boundary(self)

    # -- geometry -------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return len(self.coords)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounding box (lower, upper), two float arrays of length d."""
        lower, upper = self._bounds()
        return lower.copy(), upper.copy()

    def contains(self, points) -> np.ndarray:
        """(N,) bool: which of the (N, d) ``points`` lie in the closed domain.

        Tolerance: ``CONTAINS_RTOL`` times the domain's size (the larger of its extent and its
        largest coordinate magnitude), so points sampled on the boundary count as inside.
        """
        return self._inside(point_array(points, self.coords, f"{self!r}.contains"), self._tolerance())

    def grid(self, n) -> np.ndarray:
        """(M, d) evaluation points: a tensor grid over the bounding box, boundary included.

        ``n``: points per axis (an int >= 2, or a tuple of one per axis). Order: 'ij' meshgrid
        (the first coordinate varies slowest, the last fastest); points outside the domain are
        dropped, so a Box keeps all prod(n) of them.
        """
        lower, upper = self.bounds()
        counts = self._grid_counts(n)
        axes = [np.linspace(lower[i], upper[i], counts[i]) for i in range(self.dim)]
        mesh = np.meshgrid(*axes, indexing="ij")
        points = np.stack([m.ravel() for m in mesh], axis=1)
        return points[self.contains(points)]

    def measure(self) -> float:
        """Length, area or volume of the domain."""
        raise NotImplementedError(f"{type(self).__name__} must implement measure().")

    # -- combination (the combined classes import this module) ----------------------------
    def __or__(self, other):
        from .csg import Union

        return Union(self, other)

    def __sub__(self, other):
        from .csg import Difference

        return Difference(self, other)

    def __and__(self, other):
        from .csg import Intersection

        return Intersection(self, other)

    def __mul__(self, other):
        from .spacetime import SpaceTime, TimeInterval

        if not isinstance(other, TimeInterval):
            raise DomainError(
                f"{self!r} * {other!r}: expected a TimeInterval on the right, such as "
                f"{self!r} * TimeInterval(0, 1, t); received {type(other).__name__}."
            )
        return SpaceTime(self, other)

    # -- internals -------------------------------------------------------------------------
    def _label(self) -> str:
        """repr, parenthesised where needed to be followed by ``.interior`` and the like."""
        return repr(self)

    def _key(self) -> tuple:
        """Value identity: two domains with equal keys are the same set."""
        return ("object", id(self))

    def _size(self) -> float:
        lower, upper = self._bounds()
        return float(max(np.max(upper - lower), np.max(np.abs(lower)), np.max(np.abs(upper))))

    def _tolerance(self) -> float:
        return CONTAINS_RTOL * self._size()

    def _grid_counts(self, n) -> list[int]:
        counts = [n] * self.dim if not isinstance(n, (tuple, list)) else list(n)
        bad = len(counts) != self.dim or any(
            isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 2 for c in counts
        )
        if bad:
            raise DomainError(
                f"{self!r}.grid: n must be an integer >= 2 or a tuple of {self.dim} of them (one per "
                f"axis {coord_names(self.coords)}); received {n!r}. Pass for example grid(101)."
            )
        return [int(c) for c in counts]
