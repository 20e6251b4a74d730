"""An image as a sampling region: one point per pixel, with the image and its derivatives as data.

``Pixels(image, (x, y))`` places an (H, W) image on the grid ``axes[0] x axes[1]`` with
``axes[k] = linspace(lo, hi, n_k)`` ("ij" indexing: the first coordinate indexes rows, the
second columns). Pixel [i, j] is the point (axes[0][i], axes[1][j]) and sits at row i W + j of
the (H W, 2) points, so ``values.reshape(H, W)`` recovers the image.

Data columns, with coordinates (x, y) and ``name="I"``, in the units of the coordinates (a field
u fitted to column ``I`` has u_x close to column ``I_x``):

* ``I``: the grey value, in [0, 1] for integer images;
* ``I_x``, ``I_y``: Sobel estimates of dI/dx and dI/dy, ``sobel(I, axis=k) / (8 h_k)`` (a
  centred difference along axis k smoothed by [1, 2, 1] / 4 across it), exact where I is
  quadratic along axis k and linear across it;
* ``I_lap``: the 5-point Laplacian sum_k (I[+1] - 2 I + I[-1]) / h_k^2, exact for quadratics
  (``scipy.ndimage.laplace(I) / h^2`` when h_0 = h_1 = h).

A colour image has the same four columns per channel: ``I_r``, ``I_r_x``, ``I_r_y``, ``I_r_lap``,
then ``I_g...`` and ``I_b...``. Stencils reach outside the image by reflection (half-sample
symmetric: I[-1] = I[0]), so on the first and last row and column the slope across the edge is
about half the true one and ``I_lap`` is biased; all columns stay finite.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from scipy import ndimage

from ..errors import DataError
from ..io import grid_points
from .checks import check_coords, check_extent, check_image_size, check_name, coord_names
from .points import Points

__all__ = ["Pixels"]

_CHANNELS = ("r", "g", "b")
_FORMATS = "PNG, JPEG, TIFF, BMP or GIF"


def _skimage(what: str):
    """Import scikit-image, the optional dependency behind reading files and resizing."""
    try:
        import skimage  # noqa: F401
    except ImportError:
        raise DataError(
            f"{what} needs scikit-image, which is not installed; expected it importable. Install "
            "it with pip install scikit-image, or pass the image as a NumPy array."
        ) from None
    import skimage.data
    import skimage.io
    import skimage.transform

    return skimage


def _read(path) -> np.ndarray:
    text = os.fspath(path)
    if not os.path.exists(text):
        raise DataError(
            f"Pixels image file '{text}' does not exist; expected a path to an image file. Check "
            "the path and the working directory."
        )
    if not os.path.isfile(text):
        raise DataError(f"Pixels image path '{text}' is a directory; expected an image file. Name the file.")
    skimage = _skimage(f"Reading the image file '{text}'")
    try:
        with warnings.catch_warnings():  # plugins probed for an unknown file warn when loaded
            warnings.simplefilter("ignore", DeprecationWarning)
            return np.asarray(skimage.io.imread(text))
    except Exception as error:  # the image plugins raise many kinds
        raise DataError(
            f"Pixels image file '{text}' could not be read as an image ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else 'no details'}); expected a {_FORMATS} "
            "file. Convert it to PNG, or load it yourself and pass the array."
        ) from None


def _as_float(image) -> np.ndarray:
    """(H, W) or (H, W, 3) float64: integers scaled to [0, 1], alpha dropped, C == 1 squeezed."""
    array = _read(image) if isinstance(image, (str, os.PathLike)) else np.asarray(image)
    shape = array.shape
    if array.ndim == 3 and shape[2] == 1:
        array = array[:, :, 0]
    elif array.ndim == 3 and shape[2] == 4:
        array = array[:, :, :3]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
        raise DataError(
            f"Pixels image has shape {shape}; expected (H, W) grey or (H, W, 3|4) colour (an alpha "
            "channel is dropped). Pass one frame, e.g. image[..., :3] or image.mean(axis=-1)."
        )
    if array.dtype == np.uint8:
        out = array / 255.0
    elif array.dtype == np.uint16:
        out = array / 65535.0
    elif array.dtype == np.bool_ or np.issubdtype(array.dtype, np.floating):
        out = array.astype(np.float64)
    else:
        raise DataError(
            f"Pixels image has dtype {array.dtype}; expected uint8 (scaled by 1/255), uint16 "
            "(1/65535), bool or float. Convert it, e.g. image.astype(float) / image.max()."
        )
    bad = ~np.isfinite(out)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"Pixels image has {int(bad.sum())} NaN or infinite value(s) (first at index {first}); "
            "expected finite values. Fill them, e.g. np.nan_to_num(image)."
        )
    return out


def _resize(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Resize each channel with Pillow's bilinear filter, which widens with the reduction factor
    (antialiased). This is how the SIREN reference prepares its images (torchvision ``Resize``),
    so PSNRs compare with the paper's: a Gaussian prefilter (scikit-image's ``anti_aliasing``)
    blurs more, and lowers the best PSNR reachable from Sobel gradients (31.7 against 32.4 dB
    for cameraman at 128 x 128)."""
    if size is None or size == image.shape[:2]:
        return image
    if min(image.shape[:2]) == 0:
        raise DataError(f"Pixels image has shape {image.shape}; expected a non-empty image to resize.")
    from PIL import Image

    planes = image.reshape(image.shape[:2] + (-1,))
    resized = [
        np.asarray(Image.fromarray(planes[..., c].astype(np.float32), mode="F").resize(size[::-1], Image.BILINEAR))
        for c in range(planes.shape[2])
    ]
    return np.stack(resized, axis=-1).reshape(size + image.shape[2:]).astype(np.float64)


def _sobel(image: np.ndarray, axis: int, h: float) -> np.ndarray:
    """Sobel estimate of d image / d axis on a grid of spacing h: ``sobel(image, axis) / (8 h)``."""
    return ndimage.sobel(image, axis=axis, mode="reflect") / (8.0 * h)


def _laplacian(image: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
    """5-point Laplacian sum_k (I[+1] - 2 I + I[-1]) / h_k^2 along each axis k of ``spacing``."""
    out = np.zeros_like(image)
    for axis, h in enumerate(spacing):
        out += ndimage.correlate1d(image, [1.0, -2.0, 1.0], axis=axis, mode="reflect") / (h * h)
    return out


class Pixels(Points):
    """An image as a region: (H W, 2) points, one per pixel, with value and derivative columns.

    ``image``: a path (read with ``skimage.io.imread``) or an array (H, W) grey or (H, W, C)
    with C in {1, 3, 4}; uint8 is divided by 255, uint16 by 65535, bool and float become
    float64, an alpha channel is dropped. ``size``: None, s (resize to s x s) or (H, W), with
    anti-aliasing. ``extent``: (lo, hi) of both coordinates. ``name``: prefix of the columns.

    Attributes: ``image`` float64 (H, W) or (H, W, 3); ``shape`` (H, W); ``axes`` the two node
    arrays; ``spacing`` (h0, h1) with h_k = (hi - lo) / (n_k - 1); ``channels`` the value columns,
    ``("I",)`` or ``("I_r", "I_g", "I_b")``. ``sample(n, generator)`` draws n distinct pixels
    with their data, or all of them in row-major order for n None.
    """

    def __init__(self, image, coords, *, size=None, extent=(-1.0, 1.0), name: str = "I"):
        coords = check_coords(coords, "Pixels", dim=2)
        lo, hi = check_extent(extent, "Pixels")
        self.name = check_name(name, "Pixels")
        pixels = _resize(_as_float(image), check_image_size(size))
        if min(pixels.shape[:2]) < 3:
            raise DataError(
                f"Pixels image has shape {pixels.shape}; expected at least 3 x 3 pixels (the "
                "derivative stencils need a neighbour on each side). Pass a larger image or size=..."
            )
        self.image = pixels
        self.shape = pixels.shape[:2]
        self.extent = (lo, hi)
        self.axes = tuple(np.linspace(lo, hi, n) for n in self.shape)
        self.spacing = tuple((hi - lo) / (n - 1) for n in self.shape)
        planes = [pixels] if pixels.ndim == 2 else [pixels[:, :, c] for c in range(3)]
        self.channels = (name,) if pixels.ndim == 2 else tuple(f"{name}_{c}" for c in _CHANNELS)
        values = {}
        for channel, plane in zip(self.channels, planes):
            values[channel] = plane.reshape(-1)
            for axis, c in enumerate(coords):
                values[f"{channel}_{c}"] = _sobel(plane, axis, self.spacing[axis]).reshape(-1)
            values[f"{channel}_lap"] = _laplacian(plane, self.spacing).reshape(-1)
        super().__init__(grid_points(self.axes), coords, values)

    @classmethod
    def cameraman(cls, coords, size=128, **kw) -> Pixels:
        """The 512 x 512 grey "camera" image bundled with scikit-image, resized to ``size``."""
        return cls(_skimage("Pixels.cameraman").data.camera(), coords, size=size, **kw)

    def __repr__(self) -> str:
        kind = "grey" if self.image.ndim == 2 else "RGB"
        return f"Pixels({self.shape[0]}x{self.shape[1]} {kind}, coords=({coord_names(self.coords)}))"
