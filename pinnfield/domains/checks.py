"""Input checks and message text shared by the domains, regions and data sets.

Every check returns the value in its canonical type or raises :class:`~pinnfield.errors.DomainError`
(geometry) / :class:`~pinnfield.errors.DataError` (data) with a message that names the offending
thing, what was expected, what was received and the fix. Generic checks (counts, numbers,
choices) live in :mod:`pinnfield.errors`; these carry the domain-specific wording.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import sympy as sp
import torch

from ..errors import DataError, DomainError

__all__ = [
    "point_array",
    "METHODS", "number_text", "tuple_text", "coord_names", "normal_names", "check_coords",
    "check_vector", "check_scalar", "check_n", "check_method", "check_generator", "check_dtype",
    "check_extent", "check_name", "check_image_size", "check_positive", "check_in_range",
    "check_vertices", "check_faces", "check_half_extent",
]

METHODS = ("uniform", "sobol")
"""Sampling methods every region accepts."""


# -- message text ----------------------------------------------------------------------------


def number_text(value) -> str:
    """Short text of a number: 1.0 -> '1', 0.25 -> '0.25'."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def tuple_text(values) -> str:
    """Text of a tuple of numbers: (1,) or (0, 0.5)."""
    items = [number_text(v) for v in values]
    return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def coord_names(coords) -> str:
    """'x, y' for coords (x, y)."""
    return ", ".join(str(c) for c in coords)


def point_array(points, coords, where: str, rows: str = "N") -> np.ndarray:
    """``points`` (a tensor or array-like, (rows, d) or one point (d,)) as a float64 array of
    shape (rows, d), d = len(coords); DomainError naming ``where`` (such as "Box(...).contains")
    for anything that is not numbers or has the wrong shape."""
    dim = len(coords)
    if isinstance(points, torch.Tensor):
        array = points.detach().to("cpu", torch.float64).numpy()
    else:
        try:
            array = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise DomainError(f"{where}: expected an ({rows}, {dim}) array of numbers; received "
                              f"{type(points).__name__}.") from None
    if array.ndim == 1 and (dim == 1 or array.shape[0] == dim):
        array = array.reshape(-1, dim)
    if array.ndim != 2 or array.shape[1] != dim:
        raise DomainError(f"{where}: expected points of shape ({rows}, {dim}) with columns ({coord_names(coords)}); "
                          f"received shape {array.shape}. Stack one column per coordinate.")
    return array


def normal_names(coords) -> tuple[str, ...]:
    """Data-column names of the outward unit normal: ``n_<coord>`` per coordinate."""
    return tuple(f"n_{c}" for c in coords)


# -- geometry --------------------------------------------------------------------------------


def check_coords(coords, owner: str, dim: int | None = None) -> tuple[sp.Symbol, ...]:
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
            f"{owner} coords ({coord_names(coords)}) repeat {seen[0]}; expected distinct Symbols, one "
            "per axis. Give every axis its own Symbol."
        )
    if dim is not None and len(coords) != dim:
        raise DomainError(
            f"{owner} is {dim}-dimensional but received {len(coords)} coords ({coord_names(coords)}); "
            f"expected one Symbol per axis. Pass {dim} coordinates."
        )
    return coords


def check_vector(values, owner: str, what: str) -> np.ndarray:
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


def check_scalar(value, owner: str, what: str) -> float:
    """``value`` as a finite float (anything ``float()`` reads)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise DomainError(
            f"{owner} {what} must be a real number; received {value!r} ({type(value).__name__})."
        ) from None
    if not math.isfinite(out):
        raise DomainError(f"{owner} {what} must be finite; received {value!r}.")
    return out


def check_in_range(value, where: str, what: str, low: float, high: float) -> float:
    """``value`` as a float in the closed range [low, high] (``high`` may be inf)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = float("nan")
    if not (low <= out <= high) or math.isnan(out):
        upper = "inf" if math.isinf(high) else number_text(high)
        raise DomainError(
            f"{where}: {what} must be a number in [{number_text(low)}, {upper}]; received {value!r}."
        )
    return out


# -- sampling --------------------------------------------------------------------------------


def check_n(n, where) -> int:
    """The number of points to draw: a positive integer."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise DomainError(
            f"{where!r}: n must be a positive integer (the number of points to draw); received "
            f"{n!r}. Pass for example n=1024."
        )
    return int(n)


def check_method(method, where) -> str:
    """A sampling method of :data:`METHODS`."""
    if method not in METHODS:
        raise DomainError(
            f"{where!r}: sampling method {method!r} is not known; expected one of "
            f"{', '.join(repr(m) for m in METHODS)}. Pass method='uniform' or method='sobol'."
        )
    return method


def check_generator(generator, where) -> torch.Generator:
    """A CPU ``torch.Generator`` (points are drawn on CPU, then moved)."""
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


def check_dtype(dtype, where) -> torch.dtype:
    """A floating torch dtype."""
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise DomainError(
            f"{where!r}: dtype must be a floating torch dtype; received {dtype!r}. Pass "
            "dtype=torch.float64 or torch.float32."
        )
    return dtype


# -- data sets -------------------------------------------------------------------------------


def check_extent(extent, owner: str) -> tuple[float, float]:
    """``extent`` as (lo, hi), two finite numbers with lo < hi."""
    try:
        lo, hi = (float(v) for v in extent)
    except (TypeError, ValueError):
        raise DomainError(
            f"{owner} extent must be two numbers (lo, hi); received {extent!r}. Pass for example "
            "extent=(-1, 1)."
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise DomainError(
            f"{owner} extent ({number_text(lo)}, {number_text(hi)}) is not an interval; expected "
            "finite lo < hi. Pass for example extent=(-1, 1)."
        )
    return lo, hi


def check_name(name, owner: str) -> str:
    """A data-column prefix: a non-empty identifier such as 'I'."""
    if not isinstance(name, str) or not name.isidentifier():
        raise DataError(
            f"{owner} name {name!r} cannot prefix data columns; expected an identifier such as "
            "'I' (the columns are used as sympy symbol names). Pass name='I'."
        )
    return name


def check_image_size(size) -> tuple[int, int] | None:
    """None, or an image size (H, W) from an integer s >= 3 (s x s) or a pair of them."""
    if size is None:
        return None
    pair = (size, size) if isinstance(size, (int, np.integer)) and not isinstance(size, bool) else size
    try:
        ok = len(pair) == 2 and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 3 for s in pair
        )
    except TypeError:
        ok = False
    if not ok:
        raise DataError(
            f"Pixels size {size!r} is not an image size; expected None, an integer s >= 3 (s x s "
            "pixels) or a pair (H, W) of integers >= 3. Pass for example size=128."
        )
    return int(pair[0]), int(pair[1])


def check_positive(value, owner: str, what: str, example: str) -> float:
    """A finite number > 0 (not a bool)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = math.nan
    if isinstance(value, bool) or not (math.isfinite(out) and out > 0):
        raise DataError(f"{owner} {what} must be a positive number; received {value!r}. Pass for example {example}.")
    return out


# -- triangle meshes -------------------------------------------------------------------------


def check_vertices(vertices, where: str) -> np.ndarray:
    """Mesh vertices as a (V, 3) float64 array of finite numbers, V >= 1."""
    try:
        array = np.array(vertices, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"{where} vertices must be numbers; received {type(vertices).__name__}. "
            "Pass a (V, 3) float array."
        ) from None
    if array.ndim != 2 or array.shape[1] != 3:
        raise DataError(
            f"{where} vertices have shape {array.shape}; expected (V, 3), one row per "
            "vertex. Reshape the array."
        )
    if len(array) == 0:
        raise DataError(f"{where} is empty: no vertices; expected a triangle mesh.")
    if not np.all(np.isfinite(array)):
        raise DataError(
            f"{where} has {int((~np.isfinite(array)).any(axis=1).sum())} vertices with "
            "NaN or infinite coordinates; expected finite numbers. Clean the mesh."
        )
    return array


def check_faces(faces, n_vertices: int, where: str) -> np.ndarray:
    """Mesh faces as an (F, 3) int64 array of 0-based indices into ``n_vertices`` vertices."""
    try:
        raw = np.asarray(faces)
        array = raw.astype(np.int64)
    except (TypeError, ValueError):
        raise DataError(
            f"{where} faces must be integer vertex indices; received "
            f"{type(faces).__name__}. Pass an (F, 3) integer array."
        ) from None
    if raw.size and not np.array_equal(array, raw):
        raise DataError(
            f"{where} faces hold non-integer values; expected integer vertex indices. "
            "Pass an (F, 3) integer array."
        )
    if array.size == 0:
        raise DataError(
            f"{where} has {n_vertices} points but no faces; a surface with normals "
            "needs triangles. Pass faces (F, 3) or use the points as a Points set."
        )
    if array.ndim != 2 or array.shape[1] != 3:
        raise DataError(
            f"{where} faces have shape {array.shape}; expected (F, 3) triangles. "
            "Triangulate polygons first (trimesh or meshio do it when reading)."
        )
    bad = (array < 0) | (array >= n_vertices)
    if bad.any():
        raise DataError(
            f"{where} faces refer to vertex {int(array[bad][0])}, but there are "
            f"{n_vertices} vertices (indices 0..{n_vertices - 1}); expected valid 0-based "
            "indices. Check the face array."
        )
    return array


def check_half_extent(half_extent, normalize: bool, where: str) -> float:
    """The half side of a normalised mesh's longest axis: a number in (0, 1] when ``normalize``."""
    try:
        value = float(half_extent)
    except (TypeError, ValueError):
        value = float("nan")
    if normalize and not (0 < value <= 1):
        raise DomainError(
            f"{where} half_extent must lie in (0, 1] so that the mesh fits the "
            f"sampling box [-1, 1]^3; received {half_extent!r}. Pass for example 0.9."
        )
    return value
