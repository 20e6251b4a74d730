"""Posed views: the images and cameras of one split, their conventions and the checks on them.

* ``c2w`` is camera-to-world in the OpenGL convention: camera x right, y up, looking along -z;
  :func:`opencv_to_opengl` converts OpenCV matrices (x right, y down, looking along +z).
* Pixel (row i, column j) covers [j, j + 1) x [i, i + 1) in image coordinates (origin at the
  top-left corner, v down); its ray passes through the pixel centre (j + 0.5, i + 0.5), with
  camera direction ((j + 0.5 - cx) / fx, -(i + 0.5 - cy) / fy, -1).
* ``depth`` is the distance along the unit ray direction to the first surface, ``inf`` where
  the ray misses.
* Splits without lists in the file: frame k is held out for ``"val"`` and ``"test"`` when
  k % :data:`HOLDOUT` == 0, ``"train"`` is the other frames (LLFF practice, ``llffhold=8``),
  ``"all"`` is every frame (:func:`holdout_indices`).
* Every pose is checked to be a rigid transform (:func:`checked_poses`) and near < far
  (:func:`make_views`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pinnfield.errors import DataError

__all__ = ["Views", "opencv_to_opengl", "opengl_to_opencv", "HOLDOUT", "checked_poses", "make_views",
           "holdout_indices", "check_selection"]

HOLDOUT = 8
"""Every HOLDOUT-th frame (index % HOLDOUT == 0) is a val/test view in formats without splits."""


@dataclass
class Views:
    """Posed images of one split.

    ``images``: float32 (N, H, W, 3) in [0, 1], composited on ``background``. ``c2w``: float64
    (N, 4, 4) camera-to-world, OpenGL axes (x right, y up, looking along -z). Intrinsics in
    pixels: ``fx``, ``fy``, ``cx``, ``cy`` (pixel (i, j) has its centre at (j + 0.5, i + 0.5)),
    ``width`` W and ``height`` H. ``near``, ``far``: ray-distance bounds of the scene when the
    data gives them. ``depth``: float32 (N, H, W) ray distance to the first surface, ``inf`` on
    misses, or None. ``files``: the image of each view. ``background``: the RGB composited under
    transparent pixels.
    """

    images: np.ndarray
    c2w: np.ndarray
    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    near: float | None = None
    far: float | None = None
    depth: np.ndarray | None = None
    files: list[str] = field(default_factory=list)
    background: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def intrinsics(self) -> np.ndarray:
        """(3, 3) pinhole matrix [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] (image v axis down)."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])


def opencv_to_opengl(c2w) -> np.ndarray:
    """OpenCV camera-to-world (x right, y down, looking along +z) to OpenGL (x right, y up,
    looking along -z): ``c2w @ diag(1, -1, -1, 1)``, the camera y and z axes flipped.
    ``c2w``: (..., 4, 4) or (..., 3, 4); returns a float64 copy of the same shape."""
    return _flip_yz(c2w)


def opengl_to_opencv(c2w) -> np.ndarray:
    """OpenGL camera-to-world to OpenCV: the inverse of :func:`opencv_to_opengl` (the same flip)."""
    return _flip_yz(c2w)


def _flip_yz(c2w) -> np.ndarray:
    matrix = np.array(c2w, dtype=np.float64)
    if matrix.ndim < 2 or matrix.shape[-2:] not in ((4, 4), (3, 4)):
        raise DataError(
            f"Camera matrix has shape {matrix.shape}; expected (..., 4, 4) or (..., 3, 4). Pass "
            "camera-to-world matrices."
        )
    matrix[..., :3, 1:3] *= -1.0
    return matrix


_TOLERANCE = 1e-3


def checked_poses(matrices, names: list[str], source: str, convention: str) -> np.ndarray:
    """(N, 4, 4) float64 OpenGL c2w; each matrix checked to be rigid."""
    c2w = np.stack([_rigid(m, name, source) for m, name in zip(matrices, names)])
    return opencv_to_opengl(c2w) if convention == "opencv" else c2w


def _rigid(matrix, name: str, source: str) -> np.ndarray:
    """A (4, 4) float64 rigid transform from a (4, 4) or (3, 4) nested list or array."""
    try:
        m = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        m = np.zeros(0)
    if m.shape == (3, 4):
        m = np.vstack([m, [0.0, 0.0, 0.0, 1.0]])
    if m.shape != (4, 4) or not np.isfinite(m).all():
        raise DataError(
            f"The pose of {name} in {source} is not a finite 4 x 4 (or 3 x 4) matrix (shape {m.shape}); "
            "expected a camera-to-world transform. Fix the matrix."
        )
    if np.abs(m[3] - [0.0, 0.0, 0.0, 1.0]).max() > _TOLERANCE:
        raise DataError(
            f"The pose of {name} in {source} is not a rigid transform: its last row is {m[3].tolist()}, "
            "expected [0, 0, 0, 1]. Fix the matrix (a projective or transposed matrix?)."
        )
    rotation = m[:3, :3]
    error = np.abs(rotation.T @ rotation - np.eye(3)).max()
    if error > _TOLERANCE or np.linalg.det(rotation) < 0:
        raise DataError(
            f"The pose of {name} in {source} is not a rigid transform: its rotation is not orthonormal "
            f"with determinant +1 (max |R^T R - I| = {error:.3g}, det {np.linalg.det(rotation):.3g}; "
            f"tolerance {_TOLERANCE}). Remove the scale or shear from the matrix."
        )
    return m


def _check_bounds(near, far, source: str) -> None:
    if near is not None and far is not None and not near < far:
        raise DataError(
            f"{source} gives near {near:g} >= far {far:g}; expected 0 <= near < far (ray distances). "
            "Fix or swap the bounds."
        )
    if near is not None and near < 0:
        raise DataError(f"{source} gives near {near:g} < 0; expected a ray distance >= 0. Fix the bound.")


def make_views(images, c2w, intrinsics, size, k: int, *, source: str, near=None, far=None, depth=None, files=(),
           background=(1.0, 1.0, 1.0)) -> Views:
    """Views with intrinsics of the original (W, H) = ``size`` divided by ``k``."""
    _check_bounds(near, far, source)
    fx, fy, cx, cy = (float(v) / k for v in intrinsics)
    return Views(images=images, c2w=c2w, fx=fx, fy=fy, cx=cx, cy=cy, width=size[0] // k, height=size[1] // k,
                 near=near, far=far, depth=depth, files=list(files), background=tuple(background))


def holdout_indices(count: int, split: str, source: str, available=("train", "val", "test", "all")) -> list[int]:
    """Frame indices of ``split``: every HOLDOUT-th for val/test, the rest for train."""
    if split == "all":
        return list(range(count))
    if split == "train":
        return [i for i in range(count) if i % HOLDOUT != 0]
    if split in ("val", "test"):
        return [i for i in range(count) if i % HOLDOUT == 0]
    raise DataError(
        f"Split '{split}' does not exist for {source}; available splits: {', '.join(available)} "
        f"(val and test: every {HOLDOUT}th frame). Pass split= one of them."
    )


def check_selection(indices: list[int], split: str, source: str) -> None:
    """Raise DataError when ``split`` of ``source`` selected no frame."""
    if not indices:
        raise DataError(
            f"Split '{split}' of {source} has no frames; expected at least one. Add frames or pick split='all'."
        )
