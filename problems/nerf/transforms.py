"""Reading ``transforms*.json`` datasets: Blender synthetic and instant-ngp / nerfstudio.

* **Blender synthetic** (:func:`load_blender`): ``transforms_{split}.json`` with
  ``camera_angle_x`` and ``frames`` of ``file_path`` (relative to the folder, ``.png`` appended
  when it has no extension) and ``transform_matrix``; an optional ``{split}/depth.npy``
  (N, H, W); the splits are the ``transforms_*.json`` files present (:func:`blender_splits`);
  cx = W / 2, cy = H / 2.
* **instant-ngp / nerfstudio** (:func:`load_ngp`): ``transforms.json`` with ``fl_x``, ``fl_y``,
  ``cx``, ``cy``, ``w``, ``h`` (or ``camera_angle_x``) at the top level or per frame (equal
  across the split). Frames are ordered by ``file_path``. With ``train_filenames`` /
  ``val_filenames`` / ``test_filenames`` those lists are the splits; otherwise every
  :data:`~.views.HOLDOUT`-th frame is held out. Distortion coefficients are not applied (a
  warning says so): undistort the images first.

Both take ``near`` and ``far`` from the file when it gives them.
"""

from __future__ import annotations

import json
import os
import re
import warnings

import numpy as np

from pinnfield.errors import DataError

from .images import IMAGE_EXTENSIONS, block_min, read_images
from .rays import focal_from_fov
from .views import Views, check_selection, checked_poses, holdout_indices, make_views

__all__ = ["blender_splits", "load_blender", "load_ngp"]

_DISTORTION = ("k1", "k2", "k3", "k4", "p1", "p2")


def blender_splits(folder: str) -> list[str]:
    """The sorted ``split`` names of the ``transforms_{split}.json`` files in ``folder``."""
    names = os.listdir(folder)
    return sorted(m.group(1) for m in (re.fullmatch(r"transforms_(.+)\.json", n) for n in names) if m)


def load_blender(folder: str, *, split, k, background, convention) -> Views:
    """The ``split`` views of the Blender synthetic dataset in ``folder``, downscaled by ``k``."""
    available = blender_splits(folder)
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
    images, (height, width) = read_images(paths, background, k)
    focal = focal_from_fov(width, float(meta["camera_angle_x"]))
    c2w = checked_poses([f.get("transform_matrix") for f in frames], _frame_names(frames), source, convention)
    near, far = _json_bounds(meta, source)
    depth = _blender_depth(folder, split, (len(frames), height, width), k)
    return make_views(images, c2w, (focal, focal, width / 2, height / 2), (width, height), k,
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
    tried = [path] if os.path.splitext(path)[1].lower() in IMAGE_EXTENSIONS else [path, path + ".png"]
    for candidate in tried[1:]:
        if os.path.isfile(candidate):
            return candidate
    raise DataError(
        f"{source}: {name} points to a missing image; no file at "
        f"{' or '.join(repr(p) for p in tried)}. Restore the image or fix the file_path."
    )


def _json_bounds(meta: dict, source: str) -> tuple[float | None, float | None]:
    near, far = meta.get("near"), meta.get("far")
    return (None if near is None else float(near)), (None if far is None else float(far))


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
    return block_min(depth.astype(np.float32), k)


def load_ngp(source: str, *, split, k, background, convention) -> Views:
    """The ``split`` views of the instant-ngp / nerfstudio ``transforms.json`` at ``source``."""
    meta = _read_json(source)
    folder = os.path.dirname(source)
    raw = _frames(meta, source)
    names = _frame_names(raw)
    order = sorted(range(len(raw)), key=lambda i: raw[i]["file_path"])
    frames = [raw[i] for i in order]
    picked = [order[i] for i in _ngp_split(meta, frames, split, source)]
    check_selection(picked, split, source)
    chosen = [raw[i] for i in picked]
    camera = _ngp_camera(meta, chosen, source)
    paths = [_image_path(folder, raw[i], names[i], source) for i in picked]
    images, (height, width) = read_images(paths, background, k)
    if camera.get("w", width) != width or camera.get("h", height) != height:
        raise DataError(
            f"{source} gives image size w={camera.get('w')}, h={camera.get('h')} but '{paths[0]}' is "
            f"{width} x {height}; expected them equal. Fix w and h, or point file_path at full-size images."
        )
    fx = _ngp_focal(camera, "fl_x", "camera_angle_x", width, source)
    fy = _ngp_focal(camera, "fl_y", "camera_angle_y", height, source) if _has_focal(camera, "y") else fx
    intrinsics = (fx, fy, camera.get("cx", width / 2), camera.get("cy", height / 2))
    c2w = checked_poses([f["transform_matrix"] for f in chosen], [names[i] for i in picked], source, convention)
    near, far = _json_bounds(meta, source)
    return make_views(images, c2w, intrinsics, (width, height), k, near=near, far=far, files=paths,
                  background=background, source=source)


def _ngp_split(meta: dict, frames: list[dict], split: str, source: str) -> list[int]:
    lists = {name: meta[f"{name}_filenames"] for name in ("train", "val", "test") if f"{name}_filenames" in meta}
    if not lists:
        return holdout_indices(len(frames), split, source)
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
