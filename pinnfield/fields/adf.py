"""Approximate distance functions (ADFs): phi = 0 exactly on a region, phi > 0 inside the domain.

ADFs (Sukumar & Srivastava 2022, "Exact imposition of boundary conditions with distance
functions in physics-informed deep neural networks") are built from primitives, each
first-order normalised (|grad phi| = 1 on its zero set):

- slab a <= x_i <= b: (x_i - a)(b - x_i) / (b - a); a box is the conjunction of its slabs;
- ball |x - c| <= r: (r^2 - |x - c|^2) / (2 r);
- half-space (a face x_i = a, or a time slice t = t0): x_i - a or a - x_i;
- isolated points p_j (``pf.Points``): the exact distance min_j |x - p_j| to the nearest, so
  u = g + phi N is the factored form of a point-source problem (the Eikonal equation's
  u = tau(x) |x - p|, whose tau is smooth where u is not);

combined with Rvachev's R-functions: conjunction (a & b, and the difference a - b = a & not b)
phi1 + phi2 - sqrt(phi1^2 + phi2^2), disjunction (a | b) phi1 + phi2 + sqrt(phi1^2 + phi2^2),
complement -phi. The part ``csg.boundary_of(c)`` of a boundary uses the ADF of component c
(complemented where c is subtracted). Several regions (``on=[st.boundary, st.initial]``) are
joined by conjunction, so phi vanishes on each of them.

sqrt(phi1^2 + phi2^2) is not differentiable where both vanish (box corners): there its value is
0 and its derivatives are taken as 0, so nothing is NaN.

Shapes: points (N, d) whose columns follow the region's coordinates; an ADF returns (N, 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import sympy as sp
import torch
from torch import nn

from ..domains import (
    AbstractDomain,
    Ball,
    Boundary,
    BoundaryPart,
    Box,
    Difference,
    Extruded,
    Face,
    Intersection,
    Points,
    TimeSlice,
    Union,
)
from ..errors import DomainError

__all__ = [
    "SUPPORTED",
    "PointsADF",
    "AbstractADF",
    "Slab",
    "HalfSpace",
    "BallADF",
    "Conjunction",
    "Disjunction",
    "Complement",
    "adf",
    "domain_adf",
]

SUPPORTED = (
    "domain.boundary of an Interval, Box, Disk, Ball or their CSG combinations (|, -, &), "
    "box.face(x, a), csg.boundary_of(part) through - and &, and on a space-time domain "
    ".boundary, .face(x, a), .boundary_of(part), .initial or .final, pf.Points (point sources), or a list "
    "of those"
)
"""The regions ``pf.hard(on=...)`` accepts."""


def _hypot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """sqrt(a^2 + b^2) elementwise, with value and derivatives 0 where a = b = 0."""
    both = (a == 0) & (b == 0)
    r = torch.hypot(torch.where(both, torch.ones_like(a), a), b)
    return torch.where(both, torch.zeros_like(r), r)


class AbstractADF(nn.Module):
    """An approximate distance function phi: points (N, d) -> (N, 1); 0 on a set, > 0 inside.

    Constants are kept as Python floats, so phi is exact in the dtype of the points.
    """


class Slab(AbstractADF):
    """phi = (x_axis - lower)(upper - x_axis) / (upper - lower): 0 on both faces of axis ``axis``."""

    def __init__(self, axis: int, lower: float, upper: float):
        super().__init__()
        self.axis, self.lower, self.upper = int(axis), float(lower), float(upper)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x[:, self.axis:self.axis + 1]
        return (s - self.lower) * (self.upper - s) / (self.upper - self.lower)

    def extra_repr(self) -> str:
        return f"axis={self.axis}, lower={self.lower}, upper={self.upper}"


class HalfSpace(AbstractADF):
    """phi = sign (x_axis - value), sign = +1 or -1: 0 on the plane x_axis = value."""

    def __init__(self, axis: int, value: float, sign: float):
        super().__init__()
        self.axis, self.value, self.sign = int(axis), float(value), float(sign)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sign * (x[:, self.axis:self.axis + 1] - self.value)

    def extra_repr(self) -> str:
        return f"axis={self.axis}, value={self.value}, sign={self.sign:+g}"


class BallADF(AbstractADF):
    """phi = (r^2 - |x - c|^2) / (2 r) on the first len(c) columns: 0 on the sphere |x - c| = r."""

    def __init__(self, center, radius: float):
        super().__init__()
        self.center, self.radius = tuple(float(c) for c in center), float(radius)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offset = x[:, :len(self.center)] - x.new_tensor(self.center)
        squared = torch.sum(offset * offset, dim=1, keepdim=True)
        return (self.radius * self.radius - squared) / (2 * self.radius)

    def extra_repr(self) -> str:
        return f"center={self.center}, radius={self.radius}"


class PointsADF(AbstractADF):
    """phi = min_j |x - p_j|, the distance to the nearest of the points p_j (M, d), on the first d
    columns; its derivatives at a point p_j itself are taken as 0."""

    def __init__(self, points):
        super().__init__()
        self.points = tuple(tuple(float(v) for v in p) for p in points)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sources = x.new_tensor(self.points)
        offset = x[:, None, :sources.shape[1]] - sources[None]
        nearest = torch.sum(offset * offset, dim=2).min(dim=1, keepdim=True).values
        positive = nearest > 0
        return torch.where(positive, torch.sqrt(torch.where(positive, nearest, torch.ones_like(nearest))),
                           torch.zeros_like(nearest))

    def extra_repr(self) -> str:
        return f"points={self.points}"


class Conjunction(AbstractADF):
    """R-conjunction phi_a + phi_b - sqrt(phi_a^2 + phi_b^2): > 0 where both are, 0 where either is 0 and the other >= 0."""

    def __init__(self, a: AbstractADF, b: AbstractADF):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pa, pb = self.a(x), self.b(x)
        return pa + pb - _hypot(pa, pb)


class Disjunction(AbstractADF):
    """R-disjunction phi_a + phi_b + sqrt(phi_a^2 + phi_b^2): > 0 where either is."""

    def __init__(self, a: AbstractADF, b: AbstractADF):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pa, pb = self.a(x), self.b(x)
        return pa + pb + _hypot(pa, pb)


class Complement(AbstractADF):
    """-phi: positive outside the set."""

    def __init__(self, a: AbstractADF):
        super().__init__()
        self.a = a

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -self.a(x)


def _unsupported(given) -> DomainError:
    return DomainError(
        f"pf.hard cannot build a distance function for on={given!r} ({type(given).__name__}); "
        f"supported are {SUPPORTED}. Impose a condition on other regions with "
        "pf.Constraint(residual, on=region) instead."
    )


def domain_adf(domain: AbstractDomain, given=None) -> AbstractADF:
    """ADF of a spatial domain's boundary, positive inside it; its axes are the first columns."""
    if isinstance(domain, Box):
        slabs = [Slab(i, lo, hi) for i, (lo, hi) in enumerate(zip(domain.lower, domain.upper))]
        return reduce(Conjunction, slabs)
    if isinstance(domain, Ball):
        return BallADF(domain.center, domain.radius)
    if isinstance(domain, Union):
        return Disjunction(domain_adf(domain.a, given), domain_adf(domain.b, given))
    if isinstance(domain, Intersection):
        return Conjunction(domain_adf(domain.a, given), domain_adf(domain.b, given))
    if isinstance(domain, Difference):
        return Conjunction(domain_adf(domain.a, given), Complement(domain_adf(domain.b, given)))
    raise _unsupported(domain if given is None else given)


def _part_adf(domain: AbstractDomain, part: AbstractDomain, given) -> AbstractADF | None:
    """ADF of component ``part``'s boundary, positive in the CSG ``domain``; None if absent.

    Valid through intersections and differences (the combination lies inside the part, or
    outside a subtracted one); a union's component boundary crosses the union's interior.
    """
    if domain is part:
        return domain_adf(domain, given)
    if not isinstance(domain, (Union, Intersection, Difference)):
        return None
    for operand, subtracted in ((domain.a, False), (domain.b, isinstance(domain, Difference))):
        found = _part_adf(operand, part, given)
        if found is None:
            continue
        if isinstance(domain, Union):
            raise DomainError(
                f"pf.hard on={given!r}: in the union {domain!r} the boundary of {part!r} runs "
                "through the interior, so no distance function vanishes on this part alone; "
                "expected a part of an intersection or difference. Use the whole .boundary or "
                "a soft pf.Constraint on this part."
            )
        return Complement(found) if subtracted else found
    return None


def _region_adf(region, given) -> AbstractADF:
    if isinstance(region, Boundary):
        return domain_adf(region.domain, given)
    if isinstance(region, BoundaryPart):
        return _part_adf(region.domain, region.part, given)
    if isinstance(region, Face):
        return HalfSpace(region.axis, region.value, 1.0 if region.side == 0 else -1.0)
    if isinstance(region, Extruded) and isinstance(region.space_region, (Boundary, BoundaryPart, Face)):
        return _region_adf(region.space_region, given)
    if isinstance(region, Points):
        return PointsADF(region.points.tolist())
    if isinstance(region, TimeSlice):
        time = region.domain.time
        sign = 1.0 if region.t == time.t0 else -1.0
        return HalfSpace(len(region.coords) - 1, region.t, sign)
    if isinstance(region, AbstractDomain):
        raise DomainError(
            f"pf.hard on={region!r} is a domain, not a region of it; expected a region such as "
            f"{region._label()}.boundary. Pass on={region._label()}.boundary."
        )
    raise _unsupported(given)


def adf(on) -> tuple[AbstractADF, tuple[sp.Symbol, ...]]:
    """ADF of a region (or the conjunction over a list of regions) and its coordinates.

    Returns (phi, coords): phi maps points (N, d) with columns ``coords`` to (N, 1).
    """
    regions = list(on) if isinstance(on, Sequence) and not isinstance(on, str) else [on]
    if not regions:
        raise DomainError(f"pf.hard on={on!r} is empty; expected {SUPPORTED}.")
    parts = [_region_adf(r, r) for r in regions]
    coords = tuple(regions[0].coords)
    for r in regions[1:]:
        if tuple(r.coords) != coords:
            raise DomainError(
                f"pf.hard on= mixes {regions[0]!r} with coordinates ({', '.join(map(str, coords))}) "
                f"and {r!r} with ({', '.join(map(str, r.coords))}); expected regions of one domain."
            )
    return reduce(Conjunction, parts), coords
