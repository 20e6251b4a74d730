"""Domains and the regions sampled from them.

A *domain* is a closed set in R^d whose axes are named by sympy Symbols (``coords``):
:class:`Interval`, :class:`Box`, :class:`Disk`, :class:`Ball`, their CSG combinations
(``a | b``, ``a - b``, ``a & b``) and space-time products (``space * TimeInterval(...)``).

A *region* is what a constraint samples: ``domain.interior``, ``domain.boundary``,
``box.face(x, 0)``, ``csg.boundary_of(part)``, ``spacetime.initial`` or a :class:`Points` set.
``region.sample(n, generator)`` returns a :class:`Batch` of exactly ``n`` points (N, d) on CPU
whose columns follow ``region.coords``, plus per-point data columns (outward unit normals
``n_<coord>`` on boundaries, user values on :class:`Points`).

Every random number comes from the ``torch.Generator`` passed to ``sample``: i.i.d. uniform
numbers (``method="uniform"``) or scrambled Sobol points seeded from it (``method="sobol"``).
The same generator state gives the same points.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp
import torch
from scipy.stats import qmc

from .errors import DomainError

__all__ = [
    "Batch",
    "AbstractRegion",
    "AbstractDomain",
    "Interval",
    "Box",
    "Ball",
    "Disk",
    "Union",
    "Difference",
    "Intersection",
    "TimeInterval",
    "SpaceTime",
    "Points",
    "Interior",
    "Boundary",
    "Face",
    "BoundaryPart",
    "Extruded",
    "TimeSlice",
    "METHODS",
]

METHODS = ("uniform", "sobol")
"""Sampling methods every region accepts."""

CONTAINS_RTOL = 1e-12
"""``contains`` accepts points up to this tolerance times the domain's size outside it."""

_PROBE_RTOL = 1e-6  # CSG boundary test: step of +-eps*normal, relative to the domain's extent
_TIE_RTOL = 1e-9  # CSG boundary: points closer than this to an earlier primitive's boundary are duplicates
_MEASURE_LOG2 = 16  # CSG measure: 2^16 scrambled Sobol points in the bounding box
_MAX_CHUNK = 4_000_000  # largest candidate batch of a rejection sampler
_GIVE_UP = 2_000_000  # candidates without a single hit after which a region counts as empty


# --------------------------------------------------------------------------------------------
# Small helpers: formatting and validation
# --------------------------------------------------------------------------------------------


def _num(value) -> str:
    """Short text of a number: 1.0 -> '1', 0.25 -> '0.25'."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _tuple_text(values) -> str:
    items = [_num(v) for v in values]
    return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def _names(coords) -> str:
    return ", ".join(str(c) for c in coords)


def _tensor(array: np.ndarray) -> torch.Tensor:
    """A float64 tensor copy of a (possibly read-only) array."""
    return torch.tensor(array, dtype=torch.float64)


def _normal_names(coords) -> tuple[str, ...]:
    """Data-column names of the outward unit normal: ``n_<coord>`` per coordinate."""
    return tuple(f"n_{c}" for c in coords)


def _check_coords(coords, owner: str, dim: int | None = None) -> tuple[sp.Symbol, ...]:
    """Validate ``coords``: a Symbol or a sequence of distinct Symbols, ``dim`` of them if given."""
    if isinstance(coords, sp.Symbol):
        coords = (coords,)
    if isinstance(coords, (str, bytes)) or not isinstance(coords, Sequence):
        raise DomainError(
            f"{owner} coords must be a tuple of sympy Symbols; received {coords!r} "
            f"({type(coords).__name__}). Create them with x, y = sp.symbols('x y') and pass "
            "coords=(x, y)."
        )
    coords = tuple(coords)
    for c in coords:
        if not isinstance(c, sp.Symbol):
            raise DomainError(
                f"{owner} coordinate {c!r} is a {type(c).__name__}; expected a sympy Symbol. "
                f"Create it with sp.Symbol({str(c)!r})."
            )
    if not coords:
        raise DomainError(f"{owner} received no coords; expected at least one sympy Symbol.")
    seen = [c for i, c in enumerate(coords) if c in coords[:i]]
    if seen:
        raise DomainError(
            f"{owner} coords ({_names(coords)}) repeat {seen[0]}; expected distinct Symbols, one "
            "per axis. Give every axis its own Symbol."
        )
    if dim is not None and len(coords) != dim:
        raise DomainError(
            f"{owner} is {dim}-dimensional but received {len(coords)} coords ({_names(coords)}); "
            f"expected one Symbol per axis. Pass {dim} coordinates."
        )
    return coords


def _check_vector(values, owner: str, what: str) -> np.ndarray:
    """A 1-D array of finite floats (a scalar counts as length 1)."""
    try:
        array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError) as error:
        raise DomainError(
            f"{owner} {what} must be real numbers; received {values!r} ({error}). Pass a tuple "
            "of numbers such as (0, 0)."
        ) from None
    if array.ndim != 1 or array.size == 0:
        raise DomainError(
            f"{owner} {what} must be a flat sequence of numbers; received shape {array.shape}. "
            "Pass a tuple such as (0, 0)."
        )
    if not np.all(np.isfinite(array)):
        raise DomainError(f"{owner} {what} must be finite; received {values!r}. Use finite numbers.")
    return array


def _check_scalar(value, owner: str, what: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise DomainError(
            f"{owner} {what} must be a real number; received {value!r} ({type(value).__name__})."
        ) from None
    if not math.isfinite(out):
        raise DomainError(f"{owner} {what} must be finite; received {value!r}.")
    return out


def _check_n(n, where) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise DomainError(
            f"{where!r}: n must be a positive integer (the number of points to draw); received "
            f"{n!r}. Pass for example n=1024."
        )
    return int(n)


def _check_method(method, where) -> str:
    if method not in METHODS:
        raise DomainError(
            f"{where!r}: sampling method {method!r} is not known; expected one of "
            f"{', '.join(repr(m) for m in METHODS)}. Pass method='uniform' or method='sobol'."
        )
    return method


def _check_generator(generator, where) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise DomainError(
            f"{where!r}: generator must be a torch.Generator; received {type(generator).__name__}. "
            "Pass torch.Generator().manual_seed(0)."
        )
    if generator.device.type != "cpu":
        raise DomainError(
            f"{where!r}: generator lives on {generator.device}; expected a CPU generator (points "
            "are drawn on CPU, then moved). Pass torch.Generator() without a device."
        )
    return generator


def _check_dtype(dtype, where) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise DomainError(
            f"{where!r}: dtype must be a floating torch dtype; received {dtype!r}. Pass "
            "dtype=torch.float64 or torch.float32."
        )
    return dtype


# --------------------------------------------------------------------------------------------
# Random numbers
# --------------------------------------------------------------------------------------------


class _Source:
    """Numbers in [0, 1)^k driven by one ``torch.Generator``.

    ``stream(k)`` returns ``draw(m) -> (m, k)`` float64 tensor. ``"uniform"``: i.i.d. numbers from
    ``torch.rand``. ``"sobol"``: one scrambled Sobol sequence per stream, its seed drawn from the
    generator; successive ``draw`` calls continue the sequence (top-ups of rejection samplers).
    Each draw's rows come in a random order: the i-th points of two scrambled Sobol sequences
    share their digit structure, so two streams read in lock-step (the space and the time of a
    space-time region) would put all points near one diagonal. Permuted, they pair at random,
    each stream keeping its own even spread.
    """

    def __init__(self, generator: torch.Generator, method: str):
        self.generator = generator
        self.method = method

    def stream(self, k: int) -> Callable[[int], torch.Tensor]:
        if k == 0:
            return lambda m: torch.zeros(m, 0, dtype=torch.float64)
        if self.method == "uniform":
            return lambda m: torch.rand(m, k, generator=self.generator, dtype=torch.float64, device="cpu")
        seed = int(torch.randint(0, 2**62, (1,), generator=self.generator, device="cpu"))
        engine = qmc.Sobol(k, scramble=True, seed=seed)

        def draw(m: int) -> torch.Tensor:
            with warnings.catch_warnings():  # n need not be a power of 2 here
                warnings.filterwarnings("ignore", message=".*balance properties.*")
                rows = torch.from_numpy(engine.random(m))
            return rows[self.permutation(m)]

        return draw

    def permutation(self, m: int) -> torch.Tensor:
        """A random permutation of ``range(m)``."""
        return torch.randperm(m, generator=self.generator, device="cpu")


def _allocate(m: int, weights: np.ndarray) -> list[int]:
    """Split ``m`` into integer counts proportional to ``weights`` (largest remainders)."""
    share = m * weights / weights.sum()
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: m - counts.sum()]] += 1
    return counts.tolist()


def _sphere_columns(d: int) -> int:
    """Uniform numbers :func:`_sphere` needs per direction in d dimensions."""
    return {1: 1, 2: 1, 3: 2}.get(d, d)


def _sphere(u: torch.Tensor, d: int) -> torch.Tensor:
    """Map (m, _sphere_columns(d)) uniforms to (m, d) unit vectors uniform on the sphere S^(d-1).

    d = 1: the sign; d = 2: angle 2 pi u; d = 3: Archimedes (z = 1 - 2 u0, phi = 2 pi u1);
    d >= 4: normalised Gaussians (inverse normal CDF of the uniforms).
    """
    if d == 1:
        return 2 * (u[:, :1] >= 0.5).to(torch.float64) - 1
    if d == 2:
        theta = 2 * math.pi * u[:, 0]
        return torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)
    if d == 3:
        z = 1 - 2 * u[:, 0]
        phi = 2 * math.pi * u[:, 1]
        s = torch.sqrt(torch.clamp(1 - z * z, min=0.0))
        return torch.stack([s * torch.cos(phi), s * torch.sin(phi), z], dim=1)
    g = torch.special.ndtri(u.clamp(1e-15, 1 - 1e-15))
    norm = g.norm(dim=1, keepdim=True)
    g[norm[:, 0] == 0, 0] = 1.0
    return g / g.norm(dim=1, keepdim=True)


# --------------------------------------------------------------------------------------------
# Batches and regions
# --------------------------------------------------------------------------------------------


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
    returns. Subclasses implement ``_draw(n, source) -> ((n, d) float64 tensor, {name: (n,)})``.
    """

    coords: tuple[sp.Symbol, ...] = ()
    data_names: tuple[str, ...] = ()

    def sample(self, n: int, generator: torch.Generator, *, method: str = "uniform", dtype=torch.float64) -> Batch:
        """Draw exactly ``n`` points (N, d) on CPU with ``generator``; deterministic in its state.

        ``method``: ``"uniform"`` (i.i.d.) or ``"sobol"`` (scrambled, seeded from ``generator``).
        """
        n = _check_n(n, self)
        source = _Source(_check_generator(generator, self), _check_method(method, self))
        dtype = _check_dtype(dtype, self)
        points, data = self._draw(n, source)
        return Batch(points.to(dtype), {k: v.to(dtype) for k, v in data.items()})

    def _draw(self, n: int, source: _Source) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        raise NotImplementedError

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounding box (lower, upper) of the parent domain, each of length d."""
        return self.domain.bounds()

    def __repr__(self) -> str:
        return f"{self.domain._label()}.{self._name}"


def _normals_data(coords, normals: torch.Tensor) -> dict[str, torch.Tensor]:
    return {name: normals[:, i] for i, name in enumerate(_normal_names(coords))}


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
        self.data_names = _normal_names(domain.coords)

    def _draw(self, n, source):
        points, normals = self.domain._sample_boundary(n, source)
        return points, _normals_data(self.coords, normals)


class Face(AbstractRegion):
    """One face {p : p[axis] = value} of a :class:`Box`, uniform on it; outward normal +-e_axis."""

    def __init__(self, box: Box, axis: int, side: int):
        self.domain = box
        self.axis, self.side = axis, side
        self.coords = box.coords
        self.data_names = _normal_names(box.coords)
        self.value = float((box.lower, box.upper)[side][axis])
        self._name = f"face({box.coords[axis]}={_num(self.value)})"

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
        return points, _normals_data(self.coords, normals)


class BoundaryPart(AbstractRegion):
    """The part of a CSG domain's boundary that comes from component ``part``.

    Normals point out of the combined domain (into a hole for ``(a - hole).boundary_of(hole)``).
    """

    def __init__(self, csg: _CSG, part: AbstractDomain):
        self.domain = csg
        self.part = part
        self.coords = csg.coords
        self.data_names = _normal_names(csg.coords)
        self._name = f"boundary_of({part!r})"

    def _draw(self, n, source):
        points, normals = self.domain._boundary_from(_leaves(self.part), n, source)
        return points, _normals_data(self.coords, normals)


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


# --------------------------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------------------------


class AbstractDomain:
    """A closed set in R^d with named axes ``coords``.

    Subclasses implement ``_inside(points, tol) -> (N,) bool`` (membership of the set grown by
    ``tol``; a negative ``tol`` shrinks it), ``_bounds()``, ``measure()``,
    ``_sample_interior(n, source) -> (n, d)`` and ``_sample_boundary(n, source) -> ((n, d)
    points, (n, d) outward unit normals)``.
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
        return self._inside(self._as_points(points), self._tolerance())

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
        raise NotImplementedError

    # -- combination -----------------------------------------------------------------------
    def __or__(self, other) -> Union:
        return Union(self, other)

    def __sub__(self, other) -> Difference:
        return Difference(self, other)

    def __and__(self, other) -> Intersection:
        return Intersection(self, other)

    def __mul__(self, other) -> SpaceTime:
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
        raise NotImplementedError

    def _size(self) -> float:
        lower, upper = self._bounds()
        return float(max(np.max(upper - lower), np.max(np.abs(lower)), np.max(np.abs(upper))))

    def _tolerance(self) -> float:
        return CONTAINS_RTOL * self._size()

    def _as_points(self, points) -> np.ndarray:
        if isinstance(points, torch.Tensor):
            array = points.detach().to("cpu", torch.float64).numpy()
        else:
            try:
                array = np.asarray(points, dtype=np.float64)
            except (TypeError, ValueError):
                raise DomainError(
                    f"{self!r}.contains: expected an (N, {self.dim}) array of numbers; received "
                    f"{type(points).__name__}."
                ) from None
        if array.ndim == 1 and (self.dim == 1 or array.shape[0] == self.dim):
            array = array.reshape(-1, self.dim)
        if array.ndim != 2 or array.shape[1] != self.dim:
            raise DomainError(
                f"{self!r}.contains: expected points of shape (N, {self.dim}) with columns "
                f"({_names(self.coords)}); received shape {array.shape}. Stack one column per "
                "coordinate."
            )
        return array

    def _grid_counts(self, n) -> list[int]:
        counts = [n] * self.dim if not isinstance(n, (tuple, list)) else list(n)
        bad = len(counts) != self.dim or any(
            isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 2 for c in counts
        )
        if bad:
            raise DomainError(
                f"{self!r}.grid: n must be an integer >= 2 or a tuple of {self.dim} of them (one per "
                f"axis {_names(self.coords)}); received {n!r}. Pass for example grid(101)."
            )
        return [int(c) for c in counts]


class Box(AbstractDomain):
    """Axis-aligned box prod_i [lower_i, upper_i] in d >= 1 dimensions.

    Boundary: a face is chosen with probability proportional to its area (prod of the other
    extents), then a point uniform on it; normal -e_i on the lower face of axis i, +e_i on the
    upper. In 1-D the two end points alternate (a, b, a, ...).
    """

    def __init__(self, lower, upper, coords):
        owner = type(self).__name__
        lower = _check_vector(lower, owner, "lower")
        upper = _check_vector(upper, owner, "upper")
        if lower.shape != upper.shape:
            raise DomainError(
                f"{owner} lower has {lower.size} entries but upper has {upper.size}; expected one "
                "bound per axis in each. Pass sequences of equal length."
            )
        self.coords = _check_coords(coords, owner, lower.size)
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
        return f"Box({_tuple_text(self.lower)}, {_tuple_text(self.upper)})"

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
        lower, upper = _tensor(self.lower), _tensor(self.upper)
        u = source.stream(self.dim)(n)
        return lower + (upper - lower) * u

    def _sample_boundary(self, n, source):
        d = self.dim
        normals = torch.zeros(n, d, dtype=torch.float64)
        if d == 1:
            upper_end = torch.arange(n) % 2 == 1
            points = torch.where(upper_end[:, None], _tensor(self.upper), _tensor(self.lower))
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
        lower, upper = _tensor(self.lower), _tensor(self.upper)
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
            f"({_names(self.coords)}). Pass one of the box's coordinate Symbols."
        )

    def face(self, coord, value) -> Face:
        """Region of the face where ``coord`` equals ``value`` (its lower or upper bound).

        Returns (N, d) points uniform on the face with the face's outward normal (+-1 along
        ``coord``) as data columns ``n_<coord>``.
        """
        where = f"{self!r}.face({coord}, {value!r})"
        axis = self._axis(coord, where)
        value = _check_scalar(value, where, "value")
        lower, upper = float(self.lower[axis]), float(self.upper[axis])
        tol = self._tolerance()
        for side, bound in enumerate((lower, upper)):
            if abs(value - bound) <= tol:
                return Face(self, axis, side)
        raise DomainError(
            f"{where}: {value} is not a bound of axis '{self.coords[axis]}'; expected "
            f"{_num(lower)} (lower face) or {_num(upper)} (upper face). Pass one of those values."
        )


class Interval(Box):
    """The segment [a, b] of one coordinate; boundary: the end points, normal -1 at a, +1 at b."""

    def __init__(self, a, b, coord):
        super().__init__(
            (_check_scalar(a, "Interval", "a"),), (_check_scalar(b, "Interval", "b"),), coord
        )

    @property
    def a(self) -> float:
        return float(self.lower[0])

    @property
    def b(self) -> float:
        return float(self.upper[0])

    def __repr__(self) -> str:
        return f"Interval({_num(self.a)}, {_num(self.b)})"


class TimeInterval(Interval):
    """The time span [t0, t1] of coordinate ``coord``; ``space * TimeInterval(...)`` is space-time."""

    def __init__(self, t0, t1, coord):
        t0 = _check_scalar(t0, "TimeInterval", "t0")
        t1 = _check_scalar(t1, "TimeInterval", "t1")
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
        return f"TimeInterval({_num(self.t0)}, {_num(self.t1)})"


class Ball(AbstractDomain):
    """Closed ball |p - center| <= radius in d >= 1 dimensions.

    Interior: exact uniform sampling, p = c + r u^(1/d) s with s uniform on the unit sphere.
    Boundary: p = c + r s with outward normal s.
    Measure: pi^(d/2) r^d / Gamma(d/2 + 1); boundary measure d * measure / r.
    """

    _dim: int | None = None

    def __init__(self, center, radius, coords):
        owner = type(self).__name__
        center = _check_vector(center, owner, "center")
        if self._dim is not None and center.size != self._dim:
            raise DomainError(
                f"{owner} is {self._dim}-D: expected a center with {self._dim} components; "
                f"received {center.size} ({tuple(center)}). Use Ball for other dimensions."
            )
        radius = _check_scalar(radius, owner, "radius")
        if radius <= 0:
            raise DomainError(
                f"{owner} radius must be positive; received {radius}. Pass a radius > 0."
            )
        self.coords = _check_coords(coords, owner, center.size)
        self.center, self.radius = center, radius
        self.center.flags.writeable = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_tuple_text(self.center)}, {_num(self.radius)})"

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
        k = _sphere_columns(self.dim)
        u = source.stream(k + 1)(n)
        radii = self.radius * u[:, k:] ** (1.0 / self.dim)
        return _tensor(self.center) + radii * _sphere(u[:, :k], self.dim)

    def _sample_boundary(self, n, source):
        normals = _sphere(source.stream(_sphere_columns(self.dim))(n), self.dim)
        return _tensor(self.center) + self.radius * normals, normals


class Disk(Ball):
    """Closed disk |p - center| <= radius in 2-D; boundary: the circle with outward normals."""

    _dim = 2


# --------------------------------------------------------------------------------------------
# Constructive solid geometry
# --------------------------------------------------------------------------------------------


def _leaves(domain: AbstractDomain) -> list[AbstractDomain]:
    """The distinct primitives of a (possibly nested) CSG domain, left to right."""
    if not isinstance(domain, _CSG):
        return [domain]
    out: list[AbstractDomain] = []
    for leaf in _leaves(domain.a) + _leaves(domain.b):
        if not any(_same(leaf, other) for other in out):
            out.append(leaf)
    return out


def _nodes(domain: AbstractDomain) -> list[AbstractDomain]:
    """Every node of a CSG tree: the combinations and the primitives."""
    if not isinstance(domain, _CSG):
        return [domain]
    return [domain] + _nodes(domain.a) + _nodes(domain.b)


def _same(a: AbstractDomain, b: AbstractDomain) -> bool:
    return a is b or (type(a) is type(b) and a._key() == b._key())


class _CSG(AbstractDomain):
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
                f"{a!r} {self.symbol} {b!r}: the domains have coordinates ({_names(a.coords)}) and "
                f"({_names(b.coords)}); expected the same coordinates in the same order. Build "
                "both from the same Symbols."
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
        for node in _nodes(self):
            if _same(node, part):
                return BoundaryPart(self, node)
        raise DomainError(
            f"{self!r}.boundary_of({part!r}): {part!r} is not a component of this domain; "
            f"expected one of {', '.join(repr(p) for p in _leaves(self))}. Pass the object the "
            "domain was built from."
        )

    def _sample_interior(self, n, source):
        lower, upper = (_tensor(b) for b in self._bounds())
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
        return self._boundary_from(_leaves(self), n, source)

    def _boundary_from(self, parts, n, source):
        """(n, d) points and outward normals on the boundary parts coming from primitives ``parts``."""
        weights = np.array([p._boundary_measure() for p in parts])
        lower, upper = self._bounds()
        eps = _PROBE_RTOL * float(np.max(upper - lower))
        tie, tol = _TIE_RTOL * self._size(), self._tolerance()
        points, normals, have, tried, m = [], [], 0, 0, 2 * n + 64
        while have < n:
            for k, (part, count) in enumerate(zip(parts, _allocate(m, weights))):
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


class Union(_CSG):
    """a | b: points in a or in b."""

    symbol = "|"

    def _combined_bounds(self):
        (la, ua), (lb, ub) = self.a._bounds(), self.b._bounds()
        return np.minimum(la, lb), np.maximum(ua, ub)

    def _inside(self, points, tol):
        return self.a._inside(points, tol) | self.b._inside(points, tol)


class Difference(_CSG):
    """a - b: points in a and not in the open interior of b (the closure of a minus b)."""

    symbol = "-"

    def _combined_bounds(self):
        return self.a._bounds()

    def _inside(self, points, tol):
        return self.a._inside(points, tol) & ~self.b._inside(points, -tol)


class Intersection(_CSG):
    """a & b: points in both."""

    symbol = "&"

    def _combined_bounds(self):
        (la, ua), (lb, ub) = self.a._bounds(), self.b._bounds()
        lower, upper = np.maximum(la, lb), np.minimum(ua, ub)
        for i, c in enumerate(self.coords):
            if lower[i] >= upper[i]:
                raise DomainError(
                    f"{self.a!r} & {self.b!r} is empty: their bounding boxes do not overlap on "
                    f"axis '{c}' ({_num(lower[i])} >= {_num(upper[i])}); expected overlapping "
                    "domains. Move one of them."
                )
        return lower, upper

    def _inside(self, points, tol):
        return self.a._inside(points, tol) & self.b._inside(points, tol)


# --------------------------------------------------------------------------------------------
# Space-time
# --------------------------------------------------------------------------------------------


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
                f"spatial coordinate ({_names(space.coords)}); expected a new Symbol for time. "
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
        if not isinstance(self.space, _CSG):
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


# --------------------------------------------------------------------------------------------
# Given points
# --------------------------------------------------------------------------------------------


class Points(AbstractRegion):
    """A fixed point set (N, d) with optional per-point data columns ``values={"g": (N,)}``.

    A region (``sample``) and usable where a domain's region is expected: it is its own
    ``interior``; it has no ``boundary``. ``sample(n)`` returns a random subset of n points
    without replacement when n < N, and all N points in order when n is None or n >= N.
    Data are kept as float64 tensors: ``points`` (N, d), ``values[name]`` (N,).
    """

    def __init__(self, array, coords, values: Mapping | None = None):
        self.coords = _check_coords(coords, "Points")
        d = len(self.coords)
        try:
            points = np.array(array, dtype=np.float64)
        except (TypeError, ValueError):
            raise DomainError(
                f"Points array must be numeric; received {type(array).__name__}. Pass an (N, {d}) "
                "float array."
            ) from None
        if points.ndim != 2 or points.shape[1] != d or points.shape[0] == 0:
            raise DomainError(
                f"Points array has shape {points.shape}; expected (N, {d}) with N >= 1 and one "
                f"column per coordinate ({_names(self.coords)}). Reshape it, e.g. "
                "array.reshape(-1, 1) for one coordinate."
            )
        bad = ~np.all(np.isfinite(points), axis=1)
        if bad.any():
            raise DomainError(
                f"Points array has {int(bad.sum())} row(s) with NaN or infinite values (first: row "
                f"{int(np.argmax(bad))}); expected finite coordinates. Drop or fix those rows."
            )
        self.points = torch.from_numpy(points)
        self.values = self._check_values(values, points.shape[0])
        self.data_names = tuple(self.values)

    def _check_values(self, values, n: int) -> dict[str, torch.Tensor]:
        if values is None:
            return {}
        if not isinstance(values, Mapping):
            raise DomainError(
                f"Points values must be a dict of data columns such as {{'g': array}}; received "
                f"{type(values).__name__}."
            )
        out = {}
        for name, column in values.items():
            if not isinstance(name, (str, sp.Symbol)):
                raise DomainError(
                    f"Points value name {name!r} is a {type(name).__name__}; expected a str (the "
                    "data symbol's name)."
                )
            name = str(name)
            if name in {str(c) for c in self.coords}:
                raise DomainError(
                    f"Points value column '{name}' has the name of a coordinate; expected a "
                    "distinct name. Rename the column."
                )
            try:
                array = np.array(column, dtype=np.float64)
            except (TypeError, ValueError):
                raise DomainError(
                    f"Points value column '{name}' must be numeric; received "
                    f"{type(column).__name__}."
                ) from None
            if array.ndim == 2 and array.shape[1] == 1:
                array = array[:, 0]
            if array.shape != (n,):
                length = array.shape[0] if array.ndim else 0
                raise DomainError(
                    f"Points value column '{name}' has length {length} (shape {array.shape}) but "
                    f"there are N={n} points; expected shape ({n},) or ({n}, 1). Pass one value "
                    "per point."
                )
            if not np.all(np.isfinite(array)):
                raise DomainError(
                    f"Points value column '{name}' has NaN or infinite entries; expected finite "
                    "values. Drop or fix those points."
                )
            out[name] = torch.from_numpy(array)
        return out

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def __repr__(self) -> str:
        columns = f", values={list(self.data_names)}" if self.data_names else ""
        return f"Points(N={len(self)}, coords=({_names(self.coords)}){columns})"

    @property
    def interior(self) -> Points:
        """The point set itself."""
        return self

    @property
    def boundary(self):
        raise DomainError(
            f"{self!r} has no boundary: it is a set of given points. Sample it directly "
            "(on=points) or use a domain's .boundary."
        )

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-coordinate (min, max) of the points."""
        array = self.points.numpy()
        return array.min(axis=0), array.max(axis=0)

    def sample(self, n: int | None, generator: torch.Generator, *, method: str = "uniform", dtype=torch.float64) -> Batch:
        """n < N: a random subset of n (N, d) points and their values, without replacement;
        n None or n >= N: all of them, in order. ``method`` is accepted for uniformity."""
        if n is not None:
            n = _check_n(n, self)
        _check_method(method, self)
        generator = _check_generator(generator, self)
        dtype = _check_dtype(dtype, self)
        if n is None or n >= len(self):
            index = torch.arange(len(self))
        else:
            index = torch.randperm(len(self), generator=generator, device="cpu")[:n]
        return Batch(self.points[index].to(dtype), {k: v[index].to(dtype) for k, v in self.values.items()})
