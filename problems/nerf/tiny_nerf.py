"""Reading tiny-NeRF archives: an ``.npz`` with ``images`` (N, H, W, 3|4) as uint8 or floats in
[0, 1], ``poses`` (N, 4, 4) and one ``focal``; cx = W / 2, cy = H / 2.
"""

from __future__ import annotations

import numpy as np

from pinnfield.errors import DataError

from .images import area_mean, composite, reduced
from .views import Views, check_selection, checked_poses, holdout_indices, make_views

__all__ = ["load_npz"]

def load_npz(source: str, *, split, k, background, convention) -> Views:
    """The ``split`` views of the tiny-NeRF archive ``source``."""
    with np.load(source) as archive:
        missing = [key for key in ("images", "poses", "focal") if key not in archive.files]
        if missing:
            raise DataError(
                f"{source} lacks {', '.join(missing)} (it has {', '.join(archive.files)}); expected a tiny-NeRF "
                "archive with images (N, H, W, 3), poses (N, 4, 4) and focal."
            )
        images, poses, focal = archive["images"], archive["poses"], np.asarray(archive["focal"])
    rgba = _npz_images(images, source)
    if poses.shape[:1] != rgba.shape[:1] or focal.size != 1:
        raise DataError(
            f"{source} has {len(rgba)} images, poses of shape {poses.shape} and focal of shape {focal.shape}; "
            "expected poses (N, 4, 4) and one focal length. Fix the archive."
        )
    indices = holdout_indices(len(rgba), split, source)
    check_selection(indices, split, source)
    height, width = rgba.shape[1:3]
    reduced((height, width), k, source)
    out = np.stack([area_mean(composite(rgba[i], background), k) for i in indices]).astype(np.float32)
    c2w = checked_poses(poses[indices], [f"pose {i}" for i in indices], source, convention)
    f = float(focal.reshape(-1)[0])
    return make_views(out, c2w, (f, f, width / 2, height / 2), (width, height), k,
                  files=[f"{source}[{i}]" for i in indices], background=background, source=source)


def _npz_images(images: np.ndarray, source: str) -> np.ndarray:
    """(N, H, W, 4) float32 in [0, 1] from uint8 or float (N, H, W, 3|4)."""
    if images.ndim != 4 or images.shape[-1] not in (3, 4):
        raise DataError(f"{source}: images has shape {images.shape}; expected (N, H, W, 3) or (N, H, W, 4).")
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    else:
        images = images.astype(np.float32)
        if not (np.isfinite(images).all() and images.min() >= -1e-6 and images.max() <= 1.0 + 1e-6):
            raise DataError(
                f"{source}: float images range over [{images.min():g}, {images.max():g}]; expected [0, 1]. "
                "Divide by 255 or clip."
            )
    if images.shape[-1] == 3:
        images = np.concatenate([images, np.ones(images.shape[:-1] + (1,), np.float32)], axis=-1)
    return images
