"""Posed multi-view images for NeRF, read from the four common dataset formats.

:func:`load_views` detects the format of ``folder``:

* **Blender synthetic**: ``transforms_{split}.json`` with ``camera_angle_x`` and ``frames`` of
  ``file_path`` (relative to the folder, ``.png`` appended when it has no extension) and
  ``transform_matrix``; an optional ``{split}/depth.npy`` (N, H, W); the splits are the
  ``transforms_*.json`` files present.
* **instant-ngp / nerfstudio**: ``transforms.json`` with ``fl_x``, ``fl_y``, ``cx``, ``cy``,
  ``w``, ``h`` (or ``camera_angle_x``) at the top level or per frame (equal across the split).
  Frames are ordered by ``file_path``. With ``train_filenames`` / ``val_filenames`` /
  ``test_filenames`` those lists are the splits; otherwise see *Splits*. Distortion
  coefficients are not applied (a warning says so): undistort the images first.
* **LLFF**: ``poses_bounds.npy`` (N, 17) and the images in ``images/`` in sorted order; poses
  are converted to OpenGL as nerf-pytorch does, without its recentring or rescaling; near and
  far are the smallest and largest bounds over all frames. The focal length is scaled when the
  images are smaller than the (h, w) stored in the poses (``images_4`` copied to ``images/``).
* **tiny-NeRF**: an ``.npz`` with ``images`` (N, H, W, 3|4), ``poses`` (N, 4, 4) and ``focal``;
  ``folder`` is the file, or a folder holding exactly one ``.npz``.

Conventions:

* ``c2w`` is camera-to-world in the OpenGL convention: camera x right, y up, looking along -z.
  ``convention="opencv"`` says the file's matrices are OpenCV (x right, y down, looking along
  +z); they are converted with :func:`opencv_to_opengl`.
* Pixel (row i, column j) covers [j, j + 1) x [i, i + 1) in image coordinates (origin at the
  top-left corner, v down); its ray passes through the pixel centre (j + 0.5, i + 0.5), with
  camera direction ((j + 0.5 - cx) / fx, -(i + 0.5 - cy) / fy, -1). The Blender, LLFF and
  tiny-NeRF formats have cx = W / 2, cy = H / 2.
* ``depth`` is the distance along the unit ray direction to the first surface, ``inf`` where
  the ray misses (Blender format only).
* Splits: ``"all"`` is every frame; without split lists in the file, frame k (in file order,
  or sorted file names for instant-ngp, sorted images for LLFF) is held out for ``"val"`` and
  ``"test"`` when k % :data:`HOLDOUT` == 0, and ``"train"`` is the other frames (LLFF practice,
  ``llffhold=8``), so training never sees an evaluation view.
* ``downscale=k`` averages k x k pixel blocks of the images composited on the background
  (exact area averaging), takes the *minimum* (nearest hit) of each block of depth, drops the
  last H % k rows and W % k columns, and divides fx, fy, cx, cy by k.
"""

from __future__ import annotations

import glob
import json
import os
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from pinnfield.errors import DataError

from .rays import focal_from_fov

__all__ = ["Views", "load_views", "opencv_to_opengl", "opengl_to_opencv", "HOLDOUT"]

HOLDOUT = 8
"""Every HOLDOUT-th frame (index % HOLDOUT == 0) is a val/test view in formats without splits."""

_BACKGROUNDS = {"white": (1.0, 1.0, 1.0), "black": (0.0, 0.0, 0.0)}
_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".exr")
_DISTORTION = ("k1", "k2", "k3", "k4", "p1", "p2")
_TOLERANCE = 1e-3
_LOOKED_FOR = ("transforms_{split}.json (Blender synthetic), transforms.json (instant-ngp / nerfstudio), "
               "poses_bounds.npy with images/ (LLFF), one .npz with images, poses, focal (tiny-NeRF)")


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
            return _load_npz, path
        if name == "transforms.json":
            return _load_ngp, path
        if re.fullmatch(r"transforms_.+\.json", name):
            return _load_blender, os.path.dirname(path)
        raise DataError(f"'{path}' is not a NeRF dataset; expected a folder with {_LOOKED_FOR}. Pass the folder.")
    if not os.path.isdir(path):
        raise DataError(f"Dataset folder '{path}' does not exist; expected a folder with {_LOOKED_FOR}. Check the path.")
    if _blender_splits(path):
        return _load_blender, path
    if os.path.isfile(os.path.join(path, "transforms.json")):
        return _load_ngp, os.path.join(path, "transforms.json")
    if os.path.isfile(os.path.join(path, "poses_bounds.npy")):
        return _load_llff, os.path.join(path, "poses_bounds.npy")
    archives = sorted(glob.glob(os.path.join(path, "*.npz")))
    if len(archives) == 1:
        return _load_npz, archives[0]
    if len(archives) > 1:
        raise DataError(
            f"Folder '{path}' holds {len(archives)} .npz files ({', '.join(map(os.path.basename, archives))}); "
            "expected exactly one tiny-NeRF archive. Pass the path of the one to read."
        )
    raise DataError(
        f"Folder '{path}' has no recognised NeRF dataset; looked for {_LOOKED_FOR.format(split=split)}. "
        "Point load_views at the dataset's root folder."
    )


def _blender_splits(folder: str) -> list[str]:
    names = os.listdir(folder)
    return sorted(m.group(1) for m in (re.fullmatch(r"transforms_(.+)\.json", n) for n in names) if m)


def _load_blender(folder: str, *, split, k, background, convention) -> Views:
    available = _blender_splits(folder)
    if split not in available:
        raise DataError(
            f"Split '{split}' does not exist in '{folder}': there is no transforms_{split}.json; available "
            f"splits: {', '.join(available)}. Pass split= one of them."
        )
    source = os.path.join(folder, f"transforms_{split}.json")
    meta = _read_json(source)
    frames = _frames(meta, source)
    if not isinstance(meta.get("camera_angle_x"), (int, float)):
        raise DataError(
            f"{source} has no number 'camera_angle_x'; expected the horizontal field of view in radians "
            "(Blender synthetic format). Add it, or use an instant-ngp transforms.json with fl_x."
        )
    paths = [_image_path(folder, frame, name, source) for frame, name in zip(frames, _frame_names(frames))]
    images, (height, width) = _read_images(paths, background, k)
    focal = focal_from_fov(width, float(meta["camera_angle_x"]))
    c2w = _poses([f.get("transform_matrix") for f in frames], _frame_names(frames), source, convention)
    near, far = _json_bounds(meta, source)
    depth = _blender_depth(folder, split, (len(frames), height, width), k)
    return _views(images, c2w, (focal, focal, width / 2, height / 2), (width, height), k,
                  near=near, far=far, depth=depth, files=paths, background=background, source=source)


def _read_json(path: str) -> dict:
    try:
        with open(path) as handle:
            meta = json.load(handle)
    except json.JSONDecodeError as error:
        raise DataError(f"{path} is not valid JSON ({error}); expected a transforms file. Fix or regenerate it.") from None
    if not isinstance(meta, dict):
        raise DataError(f"{path} holds a {type(meta).__name__}; expected a JSON object with 'frames'.")
    return meta


def _frames(meta: dict, source: str) -> list[dict]:
    frames = meta.get("frames")
    if not isinstance(frames, list) or not frames or not all(isinstance(f, dict) for f in frames):
        raise DataError(
            f"{source} has no 'frames' list; expected a non-empty list of objects with 'file_path' and "
            "'transform_matrix'. Add the frames."
        )
    for index, frame in enumerate(frames):
        if not isinstance(frame.get("file_path"), str) or "transform_matrix" not in frame:
            raise DataError(
                f"Frame {index} of {source} lacks 'file_path' or 'transform_matrix' (keys: {sorted(frame)}); "
                "expected both. Add them."
            )
    return frames


def _frame_names(frames: list[dict]) -> list[str]:
    return [f"frame {index} ('{frame['file_path']}')" for index, frame in enumerate(frames)]


def _image_path(folder: str, frame: dict, name: str, source: str) -> str:
    """The image of a frame: ``file_path`` relative to ``folder``, '.png' appended if missing."""
    relative = frame["file_path"]
    path = os.path.normpath(os.path.join(folder, relative))
    if os.path.isfile(path):
        return path
    tried = [path] if os.path.splitext(path)[1].lower() in _IMAGE_EXTENSIONS else [path, path + ".png"]
    for candidate in tried[1:]:
        if os.path.isfile(candidate):
            return candidate
    raise DataError(
        f"{source}: {name} points to a missing image; no file at "
        f"{' or '.join(repr(p) for p in tried)}. Restore the image or fix the file_path."
    )


def _read_images(paths: list[str], background, k: int) -> tuple[np.ndarray, tuple[int, int]]:
    """(N, H // k, W // k, 3) float32 composited and downscaled, and the original (H, W)."""
    first = None
    out = None
    for index, path in enumerate(paths):
        rgba = _read_rgba(path)
        if first is None:
            first = (path, rgba.shape[:2])
            out = np.empty((len(paths),) + _reduced(rgba.shape[:2], k, path) + (3,), dtype=np.float32)
        elif rgba.shape[:2] != first[1]:
            (h0, w0), (h1, w1) = first[1], rgba.shape[:2]
            raise DataError(
                f"Images of one split differ in size: '{first[0]}' is {w0} x {h0} but '{path}' is {w1} x {h1} "
                "(width x height); expected one size. Resize the images to one size."
            )
        out[index] = _area_mean(_composite(rgba, background), k)
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


def _composite(rgba: np.ndarray, background) -> np.ndarray:
    """(H, W, 3) = rgb alpha + background (1 - alpha)."""
    alpha = rgba[..., 3:4]
    return rgba[..., :3] * alpha + np.asarray(background, dtype=np.float32) * (1.0 - alpha)


def _reduced(shape, k: int, what: str) -> tuple[int, int]:
    height, width = shape[0] // k, shape[1] // k
    if height < 1 or width < 1:
        raise DataError(
            f"downscale={k} leaves no pixel of '{what}' ({shape[1]} x {shape[0]}); expected k at most the "
            "image's smaller side. Pass a smaller downscale."
        )
    return height, width


def _area_mean(image: np.ndarray, k: int) -> np.ndarray:
    """(H // k, W // k, ...) means of k x k blocks; trailing rows and columns dropped."""
    if k == 1:
        return image
    h, w = image.shape[0] // k, image.shape[1] // k
    blocks = image[: h * k, : w * k].reshape((h, k, w, k) + image.shape[2:])
    return blocks.mean(axis=(1, 3))


def _block_min(depth: np.ndarray, k: int) -> np.ndarray:
    """(N, H // k, W // k) minimum of each k x k block of (N, H, W) depth (inf only if all miss)."""
    if k == 1:
        return depth
    n, h, w = depth.shape[0], depth.shape[1] // k, depth.shape[2] // k
    return depth[:, : h * k, : w * k].reshape(n, h, k, w, k).min(axis=(2, 4))


def _poses(matrices, names: list[str], source: str, convention: str) -> np.ndarray:
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


def _json_bounds(meta: dict, source: str) -> tuple[float | None, float | None]:
    near, far = meta.get("near"), meta.get("far")
    return (None if near is None else float(near)), (None if far is None else float(far))


def _check_bounds(near, far, source: str) -> None:
    if near is not None and far is not None and not near < far:
        raise DataError(
            f"{source} gives near {near:g} >= far {far:g}; expected 0 <= near < far (ray distances). "
            "Fix or swap the bounds."
        )
    if near is not None and near < 0:
        raise DataError(f"{source} gives near {near:g} < 0; expected a ray distance >= 0. Fix the bound.")


def _blender_depth(folder: str, split: str, shape: tuple[int, int, int], k: int) -> np.ndarray | None:
    path = os.path.join(folder, split, "depth.npy")
    if not os.path.isfile(path):
        return None
    depth = np.load(path)
    if depth.shape != shape:
        raise DataError(
            f"{path} has shape {depth.shape}; expected (N, H, W) = {shape}, one depth map per frame of "
            f"transforms_{split}.json. Regenerate it or remove it."
        )
    return _block_min(depth.astype(np.float32), k)


def _views(images, c2w, intrinsics, size, k: int, *, source: str, near=None, far=None, depth=None, files=(),
           background=(1.0, 1.0, 1.0)) -> Views:
    """Views with intrinsics of the original (W, H) = ``size`` divided by ``k``."""
    _check_bounds(near, far, source)
    fx, fy, cx, cy = (float(v) / k for v in intrinsics)
    return Views(images=images, c2w=c2w, fx=fx, fy=fy, cx=cx, cy=cy, width=size[0] // k, height=size[1] // k,
                 near=near, far=far, depth=depth, files=list(files), background=tuple(background))


def _holdout(count: int, split: str, source: str, available=("train", "val", "test", "all")) -> list[int]:
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


def _check_selection(indices: list[int], split: str, source: str) -> None:
    if not indices:
        raise DataError(
            f"Split '{split}' of {source} has no frames; expected at least one. Add frames or pick split='all'."
        )


def _load_ngp(source: str, *, split, k, background, convention) -> Views:
    meta = _read_json(source)
    folder = os.path.dirname(source)
    raw = _frames(meta, source)
    names = _frame_names(raw)
    order = sorted(range(len(raw)), key=lambda i: raw[i]["file_path"])
    frames = [raw[i] for i in order]
    picked = [order[i] for i in _ngp_split(meta, frames, split, source)]
    _check_selection(picked, split, source)
    chosen = [raw[i] for i in picked]
    camera = _ngp_camera(meta, chosen, source)
    paths = [_image_path(folder, raw[i], names[i], source) for i in picked]
    images, (height, width) = _read_images(paths, background, k)
    if camera.get("w", width) != width or camera.get("h", height) != height:
        raise DataError(
            f"{source} gives image size w={camera.get('w')}, h={camera.get('h')} but '{paths[0]}' is "
            f"{width} x {height}; expected them equal. Fix w and h, or point file_path at full-size images."
        )
    fx = _ngp_focal(camera, "fl_x", "camera_angle_x", width, source)
    fy = _ngp_focal(camera, "fl_y", "camera_angle_y", height, source) if _has_focal(camera, "y") else fx
    intrinsics = (fx, fy, camera.get("cx", width / 2), camera.get("cy", height / 2))
    c2w = _poses([f["transform_matrix"] for f in chosen], [names[i] for i in picked], source, convention)
    near, far = _json_bounds(meta, source)
    return _views(images, c2w, intrinsics, (width, height), k, near=near, far=far, files=paths,
                  background=background, source=source)


def _ngp_split(meta: dict, frames: list[dict], split: str, source: str) -> list[int]:
    lists = {name: meta[f"{name}_filenames"] for name in ("train", "val", "test") if f"{name}_filenames" in meta}
    if not lists:
        return _holdout(len(frames), split, source)
    if split == "all":
        return list(range(len(frames)))
    if split not in lists:
        raise DataError(
            f"Split '{split}' does not exist in {source}: it has no {split}_filenames; available splits: "
            f"{', '.join(list(lists) + ['all'])}. Pass split= one of them."
        )
    position = {os.path.normpath(f["file_path"]): i for i, f in enumerate(frames)}
    indices = []
    for name in lists[split]:
        key = os.path.normpath(name)
        if key not in position:
            raise DataError(
                f"{split}_filenames of {source} lists '{name}', which no frame's file_path names; expected "
                "every listed file among the frames. Fix the list or add the frame."
            )
        indices.append(position[key])
    return sorted(indices)


_CAMERA_KEYS = ("fl_x", "fl_y", "cx", "cy", "w", "h", "camera_angle_x", "camera_angle_y") + _DISTORTION


def _ngp_camera(meta: dict, frames: list[dict], source: str) -> dict:
    """The camera keys shared by ``frames`` (per-frame values override the top level)."""
    cameras = [{key: float(f.get(key, meta.get(key))) for key in _CAMERA_KEYS if f.get(key, meta.get(key)) is not None}
               for f in frames]
    for frame, camera in zip(frames[1:], cameras[1:]):
        if camera != cameras[0]:
            raise DataError(
                f"{source}: frames '{frames[0]['file_path']}' and '{frame['file_path']}' have different "
                f"intrinsics ({cameras[0]} and {camera}); expected one camera per split. Split the "
                "dataset by camera."
            )
    if any(cameras[0].get(key, 0.0) != 0.0 for key in _DISTORTION):
        warnings.warn(
            f"{source} gives lens distortion ({', '.join(k for k in _DISTORTION if cameras[0].get(k))}), which "
            "load_views does not apply; rays will be slightly off. Undistort the images first.",
            stacklevel=4,
        )
    return cameras[0]


def _has_focal(camera: dict, axis: str) -> bool:
    return f"fl_{axis}" in camera or f"camera_angle_{axis}" in camera


def _ngp_focal(camera: dict, key: str, angle: str, size: int, source: str) -> float:
    if key in camera:
        return camera[key]
    if angle in camera:
        return focal_from_fov(size, camera[angle])
    raise DataError(
        f"{source} gives no focal length; expected '{key}' (pixels) or '{angle}' (radians) at the top "
        "level or in every frame. Add one."
    )


def _load_llff(source: str, *, split, k, background, convention) -> Views:
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
    indices = _holdout(len(table), split, source)
    _check_selection(indices, split, source)
    poses = table[:, :15].reshape(-1, 3, 5)
    gl = np.concatenate([poses[:, :, 1:2], -poses[:, :, 0:1], poses[:, :, 2:4]], axis=2)
    names = [f"image {i} ('{os.path.basename(files[i])}')" for i in indices]
    c2w = _poses(gl[indices], names, source, "opengl")
    paths = [files[i] for i in indices]
    images, (height, width) = _read_images(paths, background, k)
    focal = _llff_focal(poses[0, :, 4], (height, width), paths[0], source)
    bounds = table[:, 15:17]
    return _views(images, c2w, (focal, focal, width / 2, height / 2), (width, height), k,
                  near=float(bounds.min()), far=float(bounds.max()), files=paths, background=background,
                  source=source)


def _llff_images(folder: str, count: int, source: str) -> list[str]:
    directory = os.path.join(folder, "images")
    names = sorted(n for n in os.listdir(directory) if n.lower().endswith(_IMAGE_EXTENSIONS)) \
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


def _load_npz(source: str, *, split, k, background, convention) -> Views:
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
    indices = _holdout(len(rgba), split, source)
    _check_selection(indices, split, source)
    height, width = rgba.shape[1:3]
    _reduced((height, width), k, source)
    out = np.stack([_area_mean(_composite(rgba[i], background), k) for i in indices]).astype(np.float32)
    c2w = _poses(poses[indices], [f"pose {i}" for i in indices], source, convention)
    f = float(focal.reshape(-1)[0])
    return _views(out, c2w, (f, f, width / 2, height / 2), (width, height), k,
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
