"""Space-time: ``space * TimeInterval(t0, t1, t)`` is a :class:`SpaceTime` domain whose points
(N, d + 1) have time as the last column; its regions are spatial regions extruded in time
(:class:`Extruded`) and the initial and final slices (:class:`TimeSlice`).
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import DomainError
from .base import AbstractDomain, AbstractRegion
from .checks import check_scalar, coord_names, number_text
from .csg import CSG
from .shapes import Box, Interval

__all__ = ["TimeInterval", "SpaceTime", "Extruded", "TimeSlice"]


class TimeInterval(Interval):
    """The time span [t0, t1] of coordinate ``coord``; ``space * TimeInterval(...)`` is space-time."""

    def __init__(self, t0, t1, coord):
        t0 = check_scalar(t0, "TimeInterval", "t0")
        t1 = check_scalar(t1, "TimeInterval", "t1")
        if t1 <= t0:
            raise DomainError(
                f"TimeInterval t0 = {t0} >= t1 = {t1} on axis '{coord}'; expected t0 < t1 (the "
                "start before the end). Swap the bounds."
            )
        super().__init__(t0, t1, coord)

    @property
    def t0(self) -> float:
        return self.a

    @property
    def t1(self) -> float:
        return self.b

    def __repr__(self) -> str:
        return f"TimeInterval({number_text(self.t0)}, {number_text(self.t1)})"


class SpaceTime(AbstractDomain):
    """space x [t0, t1]: coords = space.coords + (t,), time the last column.

    Regions: ``interior`` (space interior x uniform t), ``boundary`` (space boundary x t, with
    the spatial normal columns), ``initial`` / ``final`` (space interior at t0 / t1),
    ``face(x, 0)`` and ``boundary_of(part)`` (the space's regions extruded in time).
    """

    def __init__(self, space: AbstractDomain, time: TimeInterval):
        if not isinstance(space, AbstractDomain) or isinstance(space, SpaceTime):
            raise DomainError(
                f"SpaceTime space must be a spatial domain (Box, Disk, CSG...); received "
                f"{space!r}. Write space * TimeInterval(t0, t1, t)."
            )
        if not isinstance(time, TimeInterval):
            raise DomainError(
                f"SpaceTime time must be a TimeInterval; received {time!r}. Pass "
                "TimeInterval(t0, t1, t)."
            )
        if time.coords[0] in space.coords:
            raise DomainError(
                f"{space!r} * {time!r}: the time coordinate {time.coords[0]} is already a "
                f"spatial coordinate ({coord_names(space.coords)}); expected a new Symbol for time. "
                "Use a separate Symbol such as t."
            )
        self.space, self.time = space, time
        self.coords = space.coords + time.coords

    def __repr__(self) -> str:
        return f"{self.space._label()} * {self.time!r}"

    def _label(self) -> str:
        return f"({self!r})"

    def _key(self):
        return ("spacetime", self.space._key(), self.time._key())

    def _bounds(self):
        (ls, us), (lt, ut) = self.space._bounds(), self.time._bounds()
        return np.concatenate([ls, lt]), np.concatenate([us, ut])

    def measure(self) -> float:
        """measure(space) * (t1 - t0)."""
        return self.space.measure() * (self.time.t1 - self.time.t0)

    def _inside(self, points, tol):
        return self.space._inside(points[:, :-1], tol) & self.time._inside(points[:, -1:], tol)

    @property
    def interior(self) -> AbstractRegion:
        """(space interior) x [t0, t1]: (N, d + 1) points, no data columns."""
        return Extruded(self.space.interior, self, "interior")

    @property
    def boundary(self) -> AbstractRegion:
        """Lateral boundary (space boundary) x [t0, t1], with the spatial normals ``n_<x>``."""
        return Extruded(self.space.boundary, self, "boundary")

    @property
    def initial(self) -> AbstractRegion:
        """The space interior at t = t0: (N, d + 1) points, no data columns."""
        return TimeSlice(self, self.time.t0, "initial")

    @property
    def final(self) -> AbstractRegion:
        """The space interior at t = t1: (N, d + 1) points, no data columns."""
        return TimeSlice(self, self.time.t1, "final")

    def face(self, coord, value) -> AbstractRegion:
        """A face of the spatial box times [t0, t1] (see :meth:`Box.face`)."""
        where = f"{self!r}.face({coord}, {value!r})"
        if coord in self.time.coords or (isinstance(coord, str) and coord == str(self.time.coords[0])):
            raise DomainError(
                f"{where}: {coord} is the time coordinate; expected a spatial one. Use .initial "
                "or .final for the time slices."
            )
        if not isinstance(self.space, Box):
            raise DomainError(f"{where}: {self.space!r} has no faces; expected a Box as space.")
        region = self.space.face(coord, value)
        return Extruded(region, self, region._name)

    def boundary_of(self, part) -> AbstractRegion:
        """The part of the lateral boundary from spatial component ``part`` (see CSG)."""
        if not isinstance(self.space, CSG):
            raise DomainError(
                f"{self!r}.boundary_of({part!r}): the space {self.space!r} is not a CSG "
                "combination; expected a domain built with |, - or &. Use .boundary."
            )
        region = self.space.boundary_of(part)
        return Extruded(region, self, region._name)

    def __or__(self, other):
        return self._no_csg("|", other)

    def __sub__(self, other):
        return self._no_csg("-", other)

    def __and__(self, other):
        return self._no_csg("&", other)

    def _no_csg(self, symbol, other):
        raise DomainError(
            f"{self!r} {symbol} {other!r}: space-time domains cannot be combined; expected "
            "spatial domains. Combine the spatial domains first, then multiply by the "
            "TimeInterval."
        )

    def __mul__(self, other):
        raise DomainError(
            f"{self!r} * {other!r}: the domain already has a time axis; expected a spatial "
            "domain on the left of * TimeInterval."
        )


class Extruded(AbstractRegion):
    """A spatial region times the time interval: (space point, t) with t uniform in [t0, t1].

    Data columns are the spatial region's (normals of the lateral boundary have no t part).
    """

    def __init__(self, space_region: AbstractRegion, spacetime: SpaceTime, name: str):
        self.domain = spacetime
        self.space_region = space_region
        self.coords = spacetime.coords
        self.data_names = space_region.data_names
        self._name = name

    def _draw(self, n, source):
        points, data = self.space_region._draw(n, source)
        t0, t1 = self.domain.time.t0, self.domain.time.t1
        t = t0 + (t1 - t0) * source.stream(1)(n)
        return torch.cat([points, t], dim=1), data


class TimeSlice(AbstractRegion):
    """The spatial interior at one time ``t`` (initial or final slice); no data columns."""

    def __init__(self, spacetime: SpaceTime, t: float, name: str):
        self.domain = spacetime
        self.t = float(t)
        self.coords = spacetime.coords
        self._name = name

    def _draw(self, n, source):
        points = self.domain.space._sample_interior(n, source)
        t = torch.full((n, 1), self.t, dtype=torch.float64)
        return torch.cat([points, t], dim=1), {}
