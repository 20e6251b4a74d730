"""The primitive domains: :class:`Box` (and :class:`Interval`), :class:`Ball` (and :class:`Disk`),
and a box's :class:`Face` region.

Each samples (N, d) points whose columns follow ``coords``; boundary samples carry the outward
unit normal as data columns ``n_<coord>``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import DomainError
from .base import AbstractDomain, AbstractRegion, float64_tensor, normal_columns
from .checks import (
    check_coords, check_scalar, check_vector, coord_names, normal_names, number_text, tuple_text,
)
from .sources import sphere_columns, sphere_directions

__all__ = ["Box", "Interval", "Ball", "Disk", "Face"]


class Box(AbstractDomain):
    """Axis-aligned box prod_i [lower_i, upper_i] in d >= 1 dimensions.

    Boundary: a face is chosen with probability proportional to its area (prod of the other
    extents), then a point uniform on it; normal -e_i on the lower face of axis i, +e_i on the
    upper. In 1-D the two end points alternate (a, b, a, ...).
    """

    def __init__(self, lower, upper, coords):
        owner = type(self).__name__
        lower = check_vector(lower, owner, "lower")
        upper = check_vector(upper, owner, "upper")
        if lower.shape != upper.shape:
            raise DomainError(
                f"{owner} lower has {lower.size} entries but upper has {upper.size}; expected one "
                "bound per axis in each. Pass sequences of equal length."
            )
        self.coords = check_coords(coords, owner, lower.size)
        for i, c in enumerate(self.coords):
            if lower[i] >= upper[i]:
                raise DomainError(
                    f"{owner} lower bound {lower[i]} >= upper bound {upper[i]} on axis '{c}'; "
                    "expected lower < upper on every axis. Swap the bounds."
                )
        self.lower, self.upper = lower, upper
        self.lower.flags.writeable = False
        self.upper.flags.writeable = False

    def __repr__(self) -> str:
        return f"Box({tuple_text(self.lower)}, {tuple_text(self.upper)})"

    def _key(self):
        return ("box", tuple(self.lower), tuple(self.upper), self.coords)

    def _bounds(self):
        return self.lower, self.upper

    def measure(self) -> float:
        """prod_i (upper_i - lower_i)."""
        return float(np.prod(self.upper - self.lower))

    def _face_areas(self) -> np.ndarray:
        """(d,) area of each of the two faces normal to axis i (1 for the end points in 1-D)."""
        extent = self.upper - self.lower
        return np.array([np.prod(np.delete(extent, i)) for i in range(self.dim)])

    def _boundary_measure(self) -> float:
        return float(2 * self._face_areas().sum())

    def _inside(self, points, tol):
        return np.all((points >= self.lower - tol) & (points <= self.upper + tol), axis=1)

    def _on_boundary(self, points, tol):
        near = (np.abs(points - self.lower) <= tol) | (np.abs(points - self.upper) <= tol)
        return self._inside(points, tol) & np.any(near, axis=1)

    def _sample_interior(self, n, source):
        lower, upper = float64_tensor(self.lower), float64_tensor(self.upper)
        u = source.stream(self.dim)(n)
        return lower + (upper - lower) * u

    def _sample_boundary(self, n, source):
        d = self.dim
        normals = torch.zeros(n, d, dtype=torch.float64)
        if d == 1:
            upper_end = torch.arange(n) % 2 == 1
            points = torch.where(upper_end[:, None], float64_tensor(self.upper), float64_tensor(self.lower))
            normals[:, 0] = 2 * upper_end.to(torch.float64) - 1
            return points, normals
        # Column 0 picks the face (2 d faces, weights = areas), columns 1.. place the point on it.
        u = source.stream(d)(n)
        weights = np.repeat(self._face_areas(), 2)
        cumulative = torch.from_numpy(np.cumsum(weights) / weights.sum())
        face = torch.searchsorted(cumulative, u[:, 0].contiguous(), right=True).clamp(max=2 * d - 1)
        axis, upper_side = face // 2, (face % 2).to(torch.float64)
        others = torch.arange(d - 1)[None, :]
        others = others + (others >= axis[:, None]).long()  # the d - 1 columns other than axis
        unit = torch.zeros(n, d, dtype=torch.float64).scatter_(1, others, u[:, 1:])
        lower, upper = float64_tensor(self.lower), float64_tensor(self.upper)
        points = lower + (upper - lower) * unit
        rows = torch.arange(n)
        points[rows, axis] = torch.where(upper_side == 1, upper[axis], lower[axis])
        normals[rows, axis] = 2 * upper_side - 1
        return points, normals

    def _axis(self, coord, where: str) -> int:
        for i, c in enumerate(self.coords):
            if c == coord or (isinstance(coord, str) and str(c) == coord):
                return i
        raise DomainError(
            f"{where}: {coord!r} is not a coordinate of {self!r}; expected one of "
            f"({coord_names(self.coords)}). Pass one of the box's coordinate Symbols."
        )

    def face(self, coord, value) -> Face:
        """Region of the face where ``coord`` equals ``value`` (its lower or upper bound).

        Returns (N, d) points uniform on the face with the face's outward normal (+-1 along
        ``coord``) as data columns ``n_<coord>``.
        """
        where = f"{self!r}.face({coord}, {value!r})"
        axis = self._axis(coord, where)
        value = check_scalar(value, where, "value")
        lower, upper = float(self.lower[axis]), float(self.upper[axis])
        tol = self._tolerance()
        for side, bound in enumerate((lower, upper)):
            if abs(value - bound) <= tol:
                return Face(self, axis, side)
        raise DomainError(
            f"{where}: {value} is not a bound of axis '{self.coords[axis]}'; expected "
            f"{number_text(lower)} (lower face) or {number_text(upper)} (upper face). Pass one of "
            "those values."
        )


class Interval(Box):
    """The segment [a, b] of one coordinate; boundary: the end points, normal -1 at a, +1 at b."""

    def __init__(self, a, b, coord):
        super().__init__(
            (check_scalar(a, "Interval", "a"),), (check_scalar(b, "Interval", "b"),), coord
        )

    @property
    def a(self) -> float:
        return float(self.lower[0])

    @property
    def b(self) -> float:
        return float(self.upper[0])

    def __repr__(self) -> str:
        return f"Interval({number_text(self.a)}, {number_text(self.b)})"


class Face(AbstractRegion):
    """One face {p : p[axis] = value} of a :class:`Box`, uniform on it; outward normal +-e_axis."""

    def __init__(self, box: Box, axis: int, side: int):
        self.domain = box
        self.axis, self.side = axis, side
        self.coords = box.coords
        self.data_names = normal_names(box.coords)
        self.value = float((box.lower, box.upper)[side][axis])
        self._name = f"face({box.coords[axis]}={number_text(self.value)})"

    def _draw(self, n, source):
        box, d = self.domain, len(self.coords)
        others = [j for j in range(d) if j != self.axis]
        u = source.stream(d - 1)(n)
        points = torch.empty(n, d, dtype=torch.float64)
        lower, upper = torch.from_numpy(box.lower[others]), torch.from_numpy(box.upper[others])
        points[:, others] = lower + (upper - lower) * u
        points[:, self.axis] = self.value
        normals = torch.zeros(n, d, dtype=torch.float64)
        normals[:, self.axis] = 1.0 if self.side else -1.0
        return points, normal_columns(self.coords, normals)


class Ball(AbstractDomain):
    """Closed ball |p - center| <= radius in d >= 1 dimensions.

    Interior: exact uniform sampling, p = c + r u^(1/d) s with s uniform on the unit sphere.
    Boundary: p = c + r s with outward normal s.
    Measure: pi^(d/2) r^d / Gamma(d/2 + 1); boundary measure d * measure / r.
    """

    _dim: int | None = None

    def __init__(self, center, radius, coords):
        owner = type(self).__name__
        center = check_vector(center, owner, "center")
        if self._dim is not None and center.size != self._dim:
            raise DomainError(
                f"{owner} is {self._dim}-D: expected a center with {self._dim} components; "
                f"received {center.size} ({tuple(center)}). Use Ball for other dimensions."
            )
        radius = check_scalar(radius, owner, "radius")
        if radius <= 0:
            raise DomainError(
                f"{owner} radius must be positive; received {radius}. Pass a radius > 0."
            )
        self.coords = check_coords(coords, owner, center.size)
        self.center, self.radius = center, radius
        self.center.flags.writeable = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({tuple_text(self.center)}, {number_text(self.radius)})"

    def _key(self):
        return ("ball", tuple(self.center), self.radius, self.coords)

    def _bounds(self):
        return self.center - self.radius, self.center + self.radius

    def measure(self) -> float:
        d = self.dim
        return float(math.pi ** (d / 2) * self.radius**d / math.gamma(d / 2 + 1))

    def _boundary_measure(self) -> float:
        return self.dim * self.measure() / self.radius

    def _inside(self, points, tol):
        return np.linalg.norm(points - self.center, axis=1) <= self.radius + tol

    def _on_boundary(self, points, tol):
        return np.abs(np.linalg.norm(points - self.center, axis=1) - self.radius) <= tol

    def _sample_interior(self, n, source):
        k = sphere_columns(self.dim)
        u = source.stream(k + 1)(n)
        radii = self.radius * u[:, k:] ** (1.0 / self.dim)
        return float64_tensor(self.center) + radii * sphere_directions(u[:, :k], self.dim)

    def _sample_boundary(self, n, source):
        normals = sphere_directions(source.stream(sphere_columns(self.dim))(n), self.dim)
        return float64_tensor(self.center) + self.radius * normals, normals


class Disk(Ball):
    """Closed disk |p - center| <= radius in 2-D; boundary: the circle with outward normals."""

    _dim = 2
