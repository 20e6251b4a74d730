"""Image loading: RGBA files read as floats, composited on a background and downscaled.

``downscale=k`` averages k x k pixel blocks of the images composited on the background (exact
area averaging, :func:`area_mean`), takes the *minimum* (nearest hit) of each block of depth
(:func:`block_min`), and drops the last H % k rows and W % k columns. Images are (H, W, C)
float32 in [0, 1]; a split is (N, H // k, W // k, 3).
"""

from __future__ import annotations

import numpy as np

from pinnfield.errors import DataError

__all__ = ["IMAGE_EXTENSIONS", "read_images", "composite", "reduced", "area_mean", "block_min"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".exr")


def read_images(paths: list[str], background, k: int) -> tuple[np.ndarray, tuple[int, int]]:
    """(N, H // k, W // k, 3) float32 composited and downscaled, and the original (H, W)."""
    first = None
    out = None
    for index, path in enumerate(paths):
        rgba = _read_rgba(path)
        if first is None:
            first = (path, rgba.shape[:2])
            out = np.empty((len(paths),) + reduced(rgba.shape[:2], k, path) + (3,), dtype=np.float32)
        elif rgba.shape[:2] != first[1]:
            (h0, w0), (h1, w1) = first[1], rgba.shape[:2]
            raise DataError(
                f"Images of one split differ in size: '{first[0]}' is {w0} x {h0} but '{path}' is {w1} x {h1} "
                "(width x height); expected one size. Resize the images to one size."
            )
        out[index] = area_mean(composite(rgba, background), k)
    return out, first[1]


def _read_rgba(path: str) -> np.ndarray:
    """(H, W, 4) float32 in [0, 1]; alpha 1 for images without one."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            if image.mode in ("I;16", "I;16L", "I;16B", "I"):
                grey = np.asarray(image, dtype=np.float32) / 65535.0
                return np.stack([grey, grey, grey, np.ones_like(grey)], axis=-1)
            return np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
    except OSError as error:
        raise DataError(f"Image '{path}' could not be read ({error}); expected a PNG or JPEG. Re-export it.") from None


def composite(rgba: np.ndarray, background) -> np.ndarray:
    """(H, W, 3) = rgb alpha + background (1 - alpha)."""
    alpha = rgba[..., 3:4]
    return rgba[..., :3] * alpha + np.asarray(background, dtype=np.float32) * (1.0 - alpha)


def reduced(shape, k: int, what: str) -> tuple[int, int]:
    """(H // k, W // k) of an image of ``shape`` (H, W, ...); DataError when no pixel is left."""
    height, width = shape[0] // k, shape[1] // k
    if height < 1 or width < 1:
        raise DataError(
            f"downscale={k} leaves no pixel of '{what}' ({shape[1]} x {shape[0]}); expected k at most the "
            "image's smaller side. Pass a smaller downscale."
        )
    return height, width


def area_mean(image: np.ndarray, k: int) -> np.ndarray:
    """(H // k, W // k, ...) means of k x k blocks; trailing rows and columns dropped."""
    if k == 1:
        return image
    h, w = image.shape[0] // k, image.shape[1] // k
    blocks = image[: h * k, : w * k].reshape((h, k, w, k) + image.shape[2:])
    return blocks.mean(axis=(1, 3))


def block_min(depth: np.ndarray, k: int) -> np.ndarray:
    """(N, H // k, W // k) minimum of each k x k block of (N, H, W) depth (inf only if all miss)."""
    if k == 1:
        return depth
    n, h, w = depth.shape[0], depth.shape[1] // k, depth.shape[2] // k
    return depth[:, : h * k, : w * k].reshape(n, h, k, w, k).min(axis=(2, 4))
