"""Posed multi-view images for NeRF: :func:`load_views` detects the format of a dataset and
reads one split.

Formats, each read by its own module:

* **Blender synthetic** (``transforms_{split}.json``) and **instant-ngp / nerfstudio**
  (``transforms.json``): :mod:`.transforms`;
* **LLFF** (``poses_bounds.npy`` with ``images/``): :mod:`.llff`;
* **tiny-NeRF** (an ``.npz`` with ``images``, ``poses``, ``focal``; ``folder`` is the file, or a
  folder holding exactly one ``.npz``): :mod:`.tiny_nerf`.

The result is a :class:`~.views.Views` (conventions: camera-to-world in OpenGL axes, pixel
centres, depth, the held-out splits: :mod:`.views`); images are composited on the background
and downscaled by :mod:`.images`.
"""

from __future__ import annotations

import glob
import os
import re

import numpy as np

from pinnfield.errors import DataError

from .llff import load_llff
from .tiny_nerf import load_npz
from .transforms import blender_splits, load_blender, load_ngp
from .views import Views

__all__ = ["load_views"]

_BACKGROUNDS = {"white": (1.0, 1.0, 1.0), "black": (0.0, 0.0, 0.0)}
_LOOKED_FOR = ("transforms_{split}.json (Blender synthetic), transforms.json (instant-ngp / nerfstudio), "
               "poses_bounds.npy with images/ (LLFF), one .npz with images, poses, focal (tiny-NeRF)")


def load_views(folder, split: str = "train", *, downscale: int = 1, background="white",
               convention: str = "opengl") -> Views:
    """Read the ``split`` views of the dataset at ``folder`` (a folder, or a tiny-NeRF ``.npz``).

    ``downscale``: integer k >= 1, see the module docstring. ``background``: ``"white"``,
    ``"black"`` or an RGB triple in [0, 1], composited under the alpha of RGBA images.
    ``convention``: ``"opengl"`` or ``"opencv"``, the axes of the file's camera matrices
    (transforms JSON and ``.npz``; LLFF has its own). Raises :class:`DataError` on a missing
    image, images of different sizes, a pose that is not rigid, near >= far, an unknown format
    or split.
    """
    path = os.fspath(folder)
    options = dict(split=split, k=_check_downscale(downscale), background=_check_background(background),
                   convention=_check_convention(convention))
    reader, source = _detect(path, split)
    return reader(source, **options)


def _check_downscale(downscale) -> int:
    if isinstance(downscale, bool) or not isinstance(downscale, (int, np.integer)) or downscale < 1:
        raise DataError(f"downscale={downscale!r} is not a factor; expected an integer k >= 1. Pass e.g. downscale=2.")
    return int(downscale)


def _check_background(background) -> tuple[float, float, float]:
    if isinstance(background, str) and background in _BACKGROUNDS:
        return _BACKGROUNDS[background]
    try:
        rgb = tuple(float(v) for v in background)
    except (TypeError, ValueError):
        rgb = ()
    if isinstance(background, str) or len(rgb) != 3 or not all(0.0 <= v <= 1.0 for v in rgb):
        raise DataError(
            f"background={background!r} is not a colour; expected 'white', 'black' or three numbers "
            "in [0, 1]. Pass background='white'."
        )
    return rgb


def _check_convention(convention) -> str:
    if convention not in ("opengl", "opencv"):
        raise DataError(
            f"convention={convention!r} is not a camera convention; expected 'opengl' (x right, y up, "
            "looking along -z) or 'opencv' (x right, y down, looking along +z)."
        )
    return convention


def _detect(path: str, split: str):
    """The reader of the format at ``path`` and the file it reads."""
    if os.path.isfile(path):
        name = os.path.basename(path)
        if name.endswith(".npz"):
            return load_npz, path
        if name == "transforms.json":
            return load_ngp, path
        if re.fullmatch(r"transforms_.+\.json", name):
            return load_blender, os.path.dirname(path)
        raise DataError(f"'{path}' is not a NeRF dataset; expected a folder with {_LOOKED_FOR}. Pass the folder.")
    if not os.path.isdir(path):
        raise DataError(f"Dataset folder '{path}' does not exist; expected a folder with {_LOOKED_FOR}. Check the path.")
    if blender_splits(path):
        return load_blender, path
    if os.path.isfile(os.path.join(path, "transforms.json")):
        return load_ngp, os.path.join(path, "transforms.json")
    if os.path.isfile(os.path.join(path, "poses_bounds.npy")):
        return load_llff, os.path.join(path, "poses_bounds.npy")
    archives = sorted(glob.glob(os.path.join(path, "*.npz")))
    if len(archives) == 1:
        return load_npz, archives[0]
    if len(archives) > 1:
        raise DataError(
            f"Folder '{path}' holds {len(archives)} .npz files ({', '.join(map(os.path.basename, archives))}); "
            "expected exactly one tiny-NeRF archive. Pass the path of the one to read."
        )
    raise DataError(
        f"Folder '{path}' has no recognised NeRF dataset; looked for {_LOOKED_FOR.format(split=split)}. "
        "Point load_views at the dataset's root folder."
    )
