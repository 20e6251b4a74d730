"""Given points as a region: :class:`Points`, an (N, d) set with optional data columns."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp
import torch

from ..errors import DomainError
from .base import AbstractRegion, Batch
from .checks import check_coords, check_dtype, check_generator, check_method, check_n, coord_names

__all__ = ["Points"]


class Points(AbstractRegion):
    """A fixed point set (N, d) with optional per-point data columns ``values={"g": (N,)}``.

    A region (``sample``) and usable where a domain's region is expected: it is its own
    ``interior``; it has no ``boundary``. ``sample(n)`` returns a random subset of n points
    without replacement when n < N, and all N points in order when n is None or n >= N.
    Data are kept as float64 tensors: ``points`` (N, d), ``values[name]`` (N,).
    """

    def __init__(self, array, coords, values: Mapping | None = None):
        self.coords = check_coords(coords, "Points")
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
                f"column per coordinate ({coord_names(self.coords)}). Reshape it, e.g. "
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
        return {str(name): self._check_column(name, column, n) for name, column in values.items()}

    def _check_column(self, name, column, n: int) -> torch.Tensor:
        """One data column as an (n,) float64 tensor, from (n,) or (n, 1) finite numbers."""
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
        return torch.from_numpy(array)

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def __repr__(self) -> str:
        columns = f", values={list(self.data_names)}" if self.data_names else ""
        return f"Points(N={len(self)}, coords=({coord_names(self.coords)}){columns})"

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

    def contains(self, points) -> np.ndarray:
        """(M,) bool: which rows of ``points`` (M, d) are points of the set (exactly equal)."""
        if isinstance(points, torch.Tensor):
            points = points.detach().to("cpu", torch.float64).numpy()
        array = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, len(self.coords)))
        known = {row.tobytes() for row in np.ascontiguousarray(self.points.numpy())}
        return np.array([row.tobytes() in known for row in array], dtype=bool)

    def grid(self, n=None) -> np.ndarray:
        """(N, d) evaluation points: the set's own points, in order (a fixed set has no finer
        grid; ``n`` is accepted for uniformity with the domains and ignored)."""
        return self.points.numpy().copy()

    def sample(self, n: int | None, generator: torch.Generator, *, method: str = "uniform", dtype=torch.float64) -> Batch:
        """n < N: a random subset of n (N, d) points and their values, without replacement;
        n None or n >= N: all of them, in order. ``method`` is accepted for uniformity."""
        if n is not None:
            n = check_n(n, self)
        check_method(method, self)
        generator = check_generator(generator, self)
        dtype = check_dtype(dtype, self)
        if n is None or n >= len(self):
            index = torch.arange(len(self))
        else:
            index = torch.randperm(len(self), generator=generator, device="cpu")[:n]
        return Batch(self.points[index].to(dtype), {k: v[index].to(dtype) for k, v in self.values.items()})
