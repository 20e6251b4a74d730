"""Constructive solid geometry: ``a | b`` (:class:`Union`), ``a - b`` (:class:`Difference`),
``a & b`` (:class:`Intersection`) of spatial domains with the same coords, and the
:class:`BoundaryPart` region of one component's share of the boundary.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.stats import qmc

from ..errors import DomainError
from .base import AbstractDomain, AbstractRegion, float64_tensor, normal_columns
from .checks import coord_names, normal_names, number_text
from .sources import allocate

__all__ = ["CSG", "Union", "Difference", "Intersection", "BoundaryPart", "csg_leaves", "csg_nodes", "same_set"]

_PROBE_RTOL = 1e-6  # boundary test: step of +-eps*normal, relative to the domain's extent
_TIE_RTOL = 1e-9  # boundary: points closer than this to an earlier primitive's boundary are duplicates
_MEASURE_LOG2 = 16  # measure: 2^16 scrambled Sobol points in the bounding box
_MAX_CHUNK = 4_000_000  # largest candidate batch of a rejection sampler
_GIVE_UP = 2_000_000  # candidates without a single hit after which a region counts as empty


def csg_leaves(domain: AbstractDomain) -> list[AbstractDomain]:
    """The distinct primitives of a (possibly nested) CSG domain, left to right."""
    if not isinstance(domain, CSG):
        return [domain]
    out: list[AbstractDomain] = []
    for leaf in csg_leaves(domain.a) + csg_leaves(domain.b):
        if not any(same_set(leaf, other) for other in out):
            out.append(leaf)
    return out


def csg_nodes(domain: AbstractDomain) -> list[AbstractDomain]:
    """Every node of a CSG tree: the combinations and the primitives."""
    if not isinstance(domain, CSG):
        return [domain]
    return [domain] + csg_nodes(domain.a) + csg_nodes(domain.b)


def same_set(a: AbstractDomain, b: AbstractDomain) -> bool:
    """Whether ``a`` and ``b`` are the same set (the same object, or equal type and key)."""
    return a is b or (type(a) is type(b) and a._key() == b._key())


class CSG(AbstractDomain):
    """A combination of two domains ``a`` and ``b`` with the same coords.

    Interior: rejection sampling in the bounding box with ``contains``. Boundary: each
    primitive's boundary is sampled in proportion to its boundary measure; a candidate p with
    primitive normal n lies on the combined boundary iff exactly one of p + eps n and p - eps n
    is in the combination, and the combined outward normal is then n or -n accordingly (so a
    hole's rim gets normals flipped into the hole). Points on the boundary of an earlier
    primitive are dropped as duplicates. Rounds are topped up until n points are kept.
    """

    symbol = "?"

    def __init__(self, a, b):
        from .spacetime import SpaceTime  # space-time domains build on this module

        for operand in (a, b):
            if not isinstance(operand, AbstractDomain) or isinstance(operand, SpaceTime):
                hint = (
                    " Combine the spatial domains first, then multiply by the TimeInterval."
                    if isinstance(operand, SpaceTime) else ""
                )
                raise DomainError(
                    f"{a!r} {self.symbol} {b!r}: {operand!r} ({type(operand).__name__}) cannot be "
                    f"combined; expected spatial domains such as Box, Disk or Ball.{hint}"
                )
        if a.coords != b.coords:
            raise DomainError(
                f"{a!r} {self.symbol} {b!r}: the domains have coordinates ({coord_names(a.coords)}) "
                f"and ({coord_names(b.coords)}); expected the same coordinates in the same order. "
                "Build both from the same Symbols."
            )
        self.a, self.b = a, b
        self.coords = a.coords
        self._lower, self._upper = self._combined_bounds()
        self._measure: float | None = None

    def __repr__(self) -> str:
        return f"{self.a._label()} {self.symbol} {self.b._label()}"

    def _label(self) -> str:
        return f"({self!r})"

    def _key(self):
        return (self.symbol, self.a._key(), self.b._key())

    def _bounds(self):
        return self._lower, self._upper

    def _combined_bounds(self):
        raise NotImplementedError

    def measure(self) -> float:
        """Monte-Carlo estimate: the fraction of 2^16 scrambled Sobol points (seed 0) of the
        bounding box inside the domain, times the box's volume."""
        if self._measure is None:
            lower, upper = self._bounds()
            u = qmc.Sobol(self.dim, scramble=True, seed=0).random_base2(_MEASURE_LOG2)
            inside = self._inside(lower + (upper - lower) * u, self._tolerance())
            self._measure = float(inside.mean() * np.prod(upper - lower))
        return self._measure

    def boundary_of(self, part: AbstractDomain) -> BoundaryPart:
        """Region of the part of the boundary that comes from component ``part``.

        Returns (N, d) points with the outward normal of the combined domain as ``n_<coord>``.
        """
        for node in csg_nodes(self):
            if same_set(node, part):
                return BoundaryPart(self, node)
        raise DomainError(
            f"{self!r}.boundary_of({part!r}): {part!r} is not a component of this domain; "
            f"expected one of {', '.join(repr(p) for p in csg_leaves(self))}. Pass the object the "
            "domain was built from."
        )

    def _sample_interior(self, n, source):
        lower, upper = (float64_tensor(b) for b in self._bounds())
        draw, tol = source.stream(self.dim), self._tolerance()
        chunks, have, tried, m = [], 0, 0, 2 * n + 64
        while have < n:
            candidates = lower + (upper - lower) * draw(m)
            kept = candidates[torch.from_numpy(self._inside(candidates.numpy(), tol))]
            chunks.append(kept)
            have, tried = have + len(kept), tried + m
            m = self._next_chunk(n - have, have, tried, "interior")
        return torch.cat(chunks)[:n]

    def _sample_boundary(self, n, source):
        return self._boundary_from(csg_leaves(self), n, source)

    def _boundary_from(self, parts, n, source):
        """(n, d) points and outward normals on the boundary parts coming from primitives ``parts``."""
        weights = np.array([p._boundary_measure() for p in parts])
        lower, upper = self._bounds()
        eps = _PROBE_RTOL * float(np.max(upper - lower))
        tie, tol = _TIE_RTOL * self._size(), self._tolerance()
        points, normals, have, tried, m = [], [], 0, 0, 2 * n + 64
        while have < n:
            for k, (part, count) in enumerate(zip(parts, allocate(m, weights))):
                if count == 0:
                    continue
                p, nrm = part._sample_boundary(count, source)
                array, step = p.numpy(), eps * nrm.numpy()
                plus, minus = self._inside(array + step, tol), self._inside(array - step, tol)
                keep = plus != minus
                for earlier in parts[:k]:
                    keep &= ~earlier._on_boundary(array, tie)
                keep_t = torch.from_numpy(keep)
                sign = torch.from_numpy(np.where(minus, 1.0, -1.0))[:, None]
                points.append(p[keep_t])
                normals.append((sign * nrm)[keep_t])
                have += int(keep.sum())
            tried += m
            m = self._next_chunk(n - have, have, tried, "boundary")
        order = source.permutation(have)[:n]
        return torch.cat(points)[order], torch.cat(normals)[order]

    def _next_chunk(self, missing: int, have: int, tried: int, what: str) -> int:
        """Candidates for the next rejection round, from the acceptance rate so far."""
        if have == 0 and tried >= _GIVE_UP:
            raise DomainError(
                f"{self!r}: none of {tried} candidate points fell on its {what}; expected a "
                "domain with a non-empty interior. Check that the combined shapes overlap as "
                "intended."
            )
        rate = max(have / tried, 1e-4)
        return int(min(math.ceil(1.2 * missing / rate) + 64, _MAX_CHUNK))


class Union(CSG):
    """a | b: points in a or in b."""

    symbol = "|"

    def _combined_bounds(self):
        (la, ua), (lb, ub) = self.a._bounds(), self.b._bounds()
        return np.minimum(la, lb), np.maximum(ua, ub)

    def _inside(self, points, tol):
        return self.a._inside(points, tol) | self.b._inside(points, tol)


class Difference(CSG):
    """a - b: points in a and not in the open interior of b (the closure of a minus b)."""

    symbol = "-"

    def _combined_bounds(self):
        return self.a._bounds()

    def _inside(self, points, tol):
        return self.a._inside(points, tol) & ~self.b._inside(points, -tol)


class Intersection(CSG):
    """a & b: points in both."""

    symbol = "&"

    def _combined_bounds(self):
        (la, ua), (lb, ub) = self.a._bounds(), self.b._bounds()
        lower, upper = np.maximum(la, lb), np.minimum(ua, ub)
        for i, c in enumerate(self.coords):
            if lower[i] >= upper[i]:
                raise DomainError(
                    f"{self.a!r} & {self.b!r} is empty: their bounding boxes do not overlap on "
                    f"axis '{c}' ({number_text(lower[i])} >= {number_text(upper[i])}); expected "
                    "overlapping domains. Move one of them."
                )
        return lower, upper

    def _inside(self, points, tol):
        return self.a._inside(points, tol) & self.b._inside(points, tol)


class BoundaryPart(AbstractRegion):
    """The part of a CSG domain's boundary that comes from component ``part``.

    Normals point out of the combined domain (into a hole for ``(a - hole).boundary_of(hole)``).
    """

    def __init__(self, csg: CSG, part: AbstractDomain):
        self.domain = csg
        self.part = part
        self.coords = csg.coords
        self.data_names = normal_names(csg.coords)
        self._name = f"boundary_of({part!r})"

    def _draw(self, n, source):
        points, normals = self.domain._boundary_from(csg_leaves(self.part), n, source)
        return points, normal_columns(self.coords, normals)
