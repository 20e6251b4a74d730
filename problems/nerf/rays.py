"""Camera rays of pinhole cameras in the OpenGL convention (Mildenhall et al. 2020).

Camera frame: x right, y up, the camera looks along -z. A camera-to-world matrix ``c2w``
(4, 4) or (3, 4) maps a camera-frame point p to the world point R p + o, with R = c2w[:3, :3]
and o = c2w[:3, 3] the camera centre. Pixel (i, j) (column i, row j, row 0 at the top of the
image) has flat index p = j * width + i and its centre at (u, v) = (i + 0.5, j + 0.5); its
camera-frame direction is ((u - cx) / fx, -(v - cy) / fy, -1).

Directions are normalised to unit length, so the parameter t of the point o + t d is its
Euclidean distance from the camera centre: near, far, sample distances and rendered depth are
ray distances, not z-depths along the optical axis (z-depth = t times the cosine of the angle
between the ray and -c2w[:3, 2]).

Every tensor is created on the device and in the dtype of the camera matrices.
"""

from __future__ import annotations

import math

import torch

from pinnfield.errors import DataError

__all__ = ["focal_from_fov", "pixel_rays", "rays_for"]


def focal_from_fov(width, camera_angle_x) -> float:
    """Focal length in pixels, f = width / (2 tan(camera_angle_x / 2)).

    ``camera_angle_x`` is the horizontal field of view in radians (the ``transforms_*.json``
    key of the Blender scenes), ``width`` the image width in pixels.

    >>> round(focal_from_fov(800, 0.6911112070083618), 3)
    1111.111
    """
    if not width > 0:
        raise DataError(f"focal_from_fov width must be positive; received {width!r}. Pass the image width in pixels.")
    if not 0 < camera_angle_x < math.pi:
        raise DataError(
            f"focal_from_fov camera_angle_x must lie in (0, pi) radians; received {camera_angle_x!r}. "
            "Pass the horizontal field of view in radians (convert degrees with math.radians)."
        )
    return 0.5 * width / math.tan(0.5 * camera_angle_x)


def pixel_rays(c2w: torch.Tensor, width: int, height: int, fx, fy=None, cx=None, cy=None, *, pixels=None):
    """Rays (origins (R, 3), unit directions (R, 3)) through pixel centres of one camera.

    ``c2w`` is (4, 4) or (3, 4); ``fx``, ``fy`` focal lengths and ``cx``, ``cy`` principal point
    in pixels (defaults fy = fx, cx = width / 2, cy = height / 2). ``pixels`` (R,) flat indices
    j * width + i select a batch of pixels; by default every pixel in row-major order
    (R = width * height).
    """
    c2w = torch.as_tensor(c2w)
    if c2w.shape not in ((4, 4), (3, 4)):
        raise DataError(
            f"pixel_rays c2w must have shape (4, 4) or (3, 4); received shape {tuple(c2w.shape)}. "
            "Pass one camera-to-world matrix (use rays_for for several cameras)."
        )
    width, height = _check_size(width, height, "pixel_rays")
    if pixels is None:
        pixels = torch.arange(width * height, device=c2w.device)
    pixels = torch.as_tensor(pixels, device=c2w.device)
    camera = torch.zeros_like(pixels)
    return rays_for(c2w[None], camera, pixels, width, height, fx, fy, cx, cy)


def rays_for(c2ws: torch.Tensor, camera_index, pixel_index, width: int, height: int, fx, fy=None, cx=None, cy=None):
    """Rays (origins (R, 3), unit directions (R, 3)) for pixels of several cameras.

    ``c2ws`` is (N, 4, 4) or (N, 3, 4); ray r goes through the centre of pixel
    ``pixel_index[r]`` (flat, j * width + i) of camera ``camera_index[r]``. The intrinsics
    ``fx``, ``fy``, ``cx``, ``cy`` are numbers shared by all cameras or (N,) tensors, one per camera
    (defaults fy = fx, cx = width / 2, cy = height / 2).
    """
    c2ws = _check_matrices(c2ws)
    width, height = _check_size(width, height, "rays_for")
    camera_index = _check_index(camera_index, "camera_index", c2ws.shape[0], "the number of cameras N", c2ws.device)
    pixel_index = _check_index(pixel_index, "pixel_index", width * height, "width * height", c2ws.device)
    if camera_index.shape != pixel_index.shape:
        raise DataError(
            f"rays_for camera_index and pixel_index must have the same shape (R,); received "
            f"{tuple(camera_index.shape)} and {tuple(pixel_index.shape)}. Pass one camera index per pixel index."
        )
    fy = fx if fy is None else fy
    cx = 0.5 * width if cx is None else cx
    cy = 0.5 * height if cy is None else cy
    fx, fy, cx, cy = (_per_ray(value, name, camera_index, c2ws) for value, name in ((fx, "fx"), (fy, "fy"), (cx, "cx"), (cy, "cy")))
    u = (pixel_index % width).to(c2ws.dtype) + 0.5
    v = torch.div(pixel_index, width, rounding_mode="floor").to(c2ws.dtype) + 0.5
    camera_dirs = torch.stack(((u - cx) / fx, -(v - cy) / fy, -torch.ones_like(u)), dim=-1)
    matrices = c2ws[camera_index]
    directions = torch.einsum("rij,rj->ri", matrices[:, :3, :3], camera_dirs)
    directions = directions / torch.linalg.vector_norm(directions, dim=-1, keepdim=True)
    origins = matrices[:, :3, 3]
    return origins, directions


def _check_size(width, height, owner: str) -> tuple[int, int]:
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise DataError(f"{owner} {name} must be a positive integer number of pixels; received {value!r}.")
    return width, height


def _check_matrices(c2ws) -> torch.Tensor:
    c2ws = torch.as_tensor(c2ws)
    if c2ws.ndim != 3 or c2ws.shape[1:] not in ((4, 4), (3, 4)):
        raise DataError(
            f"rays_for c2ws must have shape (N, 4, 4) or (N, 3, 4); received shape {tuple(c2ws.shape)}. "
            "Stack one camera-to-world matrix per camera."
        )
    if not c2ws.is_floating_point():
        raise DataError(f"rays_for c2ws must be a floating-point tensor; received dtype {c2ws.dtype}.")
    return c2ws


def _check_index(index, name: str, size: int, size_name: str, device) -> torch.Tensor:
    index = torch.as_tensor(index, device=device)
    if index.ndim != 1 or index.dtype.is_floating_point or index.dtype == torch.bool:
        raise DataError(
            f"{name} must be a 1-D integer tensor of shape (R,); received shape {tuple(index.shape)} "
            f"and dtype {index.dtype}. Pass flat integer indices, e.g. torch.randint(..., dtype=torch.long)."
        )
    if index.numel() and (int(index.min()) < 0 or int(index.max()) >= size):
        raise DataError(
            f"{name} must lie in [0, {size}) ({size_name}); received values in "
            f"[{int(index.min())}, {int(index.max())}]."
        )
    return index.long()


def _per_ray(value, name: str, camera_index: torch.Tensor, c2ws: torch.Tensor) -> torch.Tensor:
    value = torch.as_tensor(value, dtype=c2ws.dtype, device=c2ws.device)
    if value.ndim == 0:
        return value
    if value.shape == (c2ws.shape[0],):
        return value[camera_index]
    raise DataError(
        f"rays_for {name} must be a number or a tensor of shape (N,) = ({c2ws.shape[0]},), one per "
        f"camera; received shape {tuple(value.shape)}."
    )
