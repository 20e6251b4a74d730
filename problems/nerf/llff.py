"""Reading LLFF datasets: ``poses_bounds.npy`` (N, 17) and the images in ``images/``.

Images are taken in sorted order, one per pose. Poses are converted to OpenGL as nerf-pytorch
does, without its recentring or rescaling; near and far are the smallest and largest bounds
over all frames; cx = W / 2, cy = H / 2. The focal length is scaled when the images are
smaller than the (h, w) stored in the poses (``images_4`` copied to ``images/``).
"""

from __future__ import annotations

import os

import numpy as np

from pinnfield.errors import DataError

from .images import IMAGE_EXTENSIONS, read_images
from .views import Views, check_selection, checked_poses, holdout_indices, make_views

__all__ = ["load_llff"]

def load_llff(source: str, *, split, k, background, convention) -> Views:
    """The ``split`` views of the LLFF dataset whose ``poses_bounds.npy`` is ``source``."""
    if convention != "opengl":
        raise DataError(
            f"convention='{convention}' does not apply to {source}: LLFF poses have a fixed "
            "(down, right, back) column order. Leave convention='opengl'."
        )
    table = np.load(source)
    if table.ndim != 2 or table.shape[1] != 17 or not np.isfinite(table).all():
        raise DataError(
            f"{source} has shape {table.shape}; expected finite (N, 17): a 3 x 5 [R | t | (h, w, f)] pose "
            "and the near and far bounds per image. Regenerate it with LLFF's imgs2poses.py."
        )
    folder = os.path.dirname(source)
    files = _llff_images(folder, len(table), source)
    indices = holdout_indices(len(table), split, source)
    check_selection(indices, split, source)
    poses = table[:, :15].reshape(-1, 3, 5)
    gl = np.concatenate([poses[:, :, 1:2], -poses[:, :, 0:1], poses[:, :, 2:4]], axis=2)
    names = [f"image {i} ('{os.path.basename(files[i])}')" for i in indices]
    c2w = checked_poses(gl[indices], names, source, "opengl")
    paths = [files[i] for i in indices]
    images, (height, width) = read_images(paths, background, k)
    focal = _llff_focal(poses[0, :, 4], (height, width), paths[0], source)
    bounds = table[:, 15:17]
    return make_views(images, c2w, (focal, focal, width / 2, height / 2), (width, height), k,
                  near=float(bounds.min()), far=float(bounds.max()), files=paths, background=background,
                  source=source)


def _llff_images(folder: str, count: int, source: str) -> list[str]:
    directory = os.path.join(folder, "images")
    names = sorted(n for n in os.listdir(directory) if n.lower().endswith(IMAGE_EXTENSIONS)) \
        if os.path.isdir(directory) else []
    if len(names) != count:
        raise DataError(
            f"{source} has {count} poses but '{directory}' holds {len(names)} images; expected one image per "
            "pose, in sorted order. Copy the images the poses were computed from into that folder."
        )
    return [os.path.join(directory, n) for n in names]


def _llff_focal(hwf: np.ndarray, size: tuple[int, int], path: str, source: str) -> float:
    """The focal length in pixels of images of ``size`` (H, W), from the poses' (h, w, f)."""
    h, w, f = (float(v) for v in hwf)
    scale = size[1] / w
    if abs(size[0] - h * scale) > 1.0:
        raise DataError(
            f"'{path}' is {size[1]} x {size[0]} but {source} was computed for {w:g} x {h:g} images; expected "
            "the same aspect ratio. Use the images the poses belong to."
        )
    return f * scale
