"""Analytic radiance fields with exactly rendered views, written as Blender-format datasets.

Scenes (all inside the ball of radius 1.2 about the origin, colour view-independent):

* ``"ball"``: a homogeneous ball, radius 1, density 5, colour (0.9, 0.35, 0.2). A ray with
  chord length L through it has alpha = 1 - exp(-sigma L) and colour c alpha + bg (1 - alpha)
  (exact ray-sphere intersection).
* ``"box"``: a homogeneous axis-aligned box, half sides (0.7, 0.5, 0.4), density 8, colour
  (0.2, 0.5, 0.9); the chord from ray-slab intersection, then as the ball.
* ``"blob"``: a Gaussian density 10 exp(-|x - m|^2 / (2 0.3^2)) about m = (0.1, -0.1, 0.2),
  colour (0.3, 0.8, 0.4); the optical depth over [near, far] is exact through ``erf``.
* ``"coloured_ball"``: the ball's geometry with density 6 and colour
  (0.5 + 0.4 sin(2.5 x), 0.5 + 0.4 sin(2.5 y + 1), 0.5 + 0.4 sin(2.5 z + 2)), integrated along
  the chord by 64-point Gauss-Legendre quadrature (smooth integrand: error near round-off).

Cameras (:func:`camera_poses`) sit on the sphere of radius ``radius`` at elevations within
+-53 degrees, looking at the origin with world +z up, OpenGL c2w (x right, y up, looking along
-z). Rays follow :mod:`pinnfield.problems.nerf.views`: pixel (i, j) through its centre (j + 0.5, i + 0.5),
unit directions, so ``t`` is the ray distance. near = radius - 2 and far = radius + 2 (2 and 6
at the default radius 4) bound every scene and are written to the JSON as ``near``/``far``.

``depth.npy`` holds float32 (N, H, W) ray distances: the entry point into the solid for
``ball``, ``box`` and ``coloured_ball``; for ``blob``, which has no surface, the median
termination distance (where the transmittance reaches 1/2); ``inf`` where the ray misses (for
``blob``: where its opacity stays below 1/2).
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch
from scipy.special import erf, erfinv

from pinnfield.errors import DataError
from pinnfield.io import atomic_path, write_json

from . import rays
from .rays import focal_from_fov

__all__ = ["SCENES", "scene_fields", "render", "camera_poses", "look_at", "pixel_rays", "write_scene"]

SCENES = ("ball", "box", "blob", "coloured_ball")

_BALL = dict(radius=1.0, sigma=5.0, colour=(0.9, 0.35, 0.2))
_BOX = dict(half=(0.7, 0.5, 0.4), sigma=8.0, colour=(0.2, 0.5, 0.9))
_BLOB = dict(centre=(0.1, -0.1, 0.2), width=0.3, peak=10.0, colour=(0.3, 0.8, 0.4))
_COLOURED = dict(radius=1.0, sigma=6.0, frequency=2.5, phase=(0.0, 1.0, 2.0))
_NODES = 64
_MAX_ELEVATION_SIN = 0.8


def _check_scene(scene) -> str:
    if scene not in SCENES:
        raise DataError(f"Scene {scene!r} is unknown; expected one of {', '.join(SCENES)}. Pass scene='ball'.")
    return scene


def scene_fields(scene: str):
    """``(sigma, rgb)`` of ``scene``: sigma(points) -> (N,) density, rgb(points) -> (N, 3) in [0, 1].

    ``points``: (N, 3) world coordinates, a numpy array or a torch tensor; the result has the
    same type, dtype and device.
    """
    _check_scene(scene)
    if scene == "ball":
        return _ball_sigma(_BALL["radius"], _BALL["sigma"]), _constant(_BALL["colour"])
    if scene == "box":
        return _box_sigma(), _constant(_BOX["colour"])
    if scene == "blob":
        return _blob_sigma, _constant(_BLOB["colour"])
    return _ball_sigma(_COLOURED["radius"], _COLOURED["sigma"]), _coloured_rgb


def _xp(points):
    if type(points).__module__.startswith("torch"):
        import torch

        return torch
    return np


def _like(points, values):
    """``values`` as an array or tensor of the dtype and device of ``points``."""
    if _xp(points) is np:
        dtype = points.dtype if np.issubdtype(points.dtype, np.floating) else np.float64
        return np.asarray(values, dtype=dtype)
    import torch

    return torch.as_tensor(values, dtype=points.dtype, device=points.device)


def _ball_sigma(radius: float, sigma: float):
    def density(points):
        inside = (points * points).sum(-1) <= radius * radius
        return inside * _like(points, sigma)

    return density


def _box_sigma():
    def density(points):
        half = _like(points, _BOX["half"])
        inside = (abs(points) <= half).all(-1)
        return inside * _like(points, _BOX["sigma"])

    return density


def _blob_sigma(points):
    offset = points - _like(points, _BLOB["centre"])
    return _BLOB["peak"] * _xp(points).exp(-(offset * offset).sum(-1) / (2.0 * _BLOB["width"] ** 2))


def _constant(colour):
    def rgb(points):
        return _xp(points).zeros_like(points) + _like(points, colour)

    return rgb


def _coloured_rgb(points):
    phase = _like(points, _COLOURED["phase"])
    return 0.5 + 0.4 * _xp(points).sin(_COLOURED["frequency"] * points + phase)


def look_at(position, target=(0.0, 0.0, 0.0), up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """(4, 4) OpenGL c2w of a camera at ``position`` looking at ``target``, ``up`` upwards on screen."""
    position = np.asarray(position, dtype=np.float64)
    back = position - np.asarray(target, dtype=np.float64)
    back /= np.linalg.norm(back)
    right = np.cross(np.asarray(up, dtype=np.float64), back)
    right /= np.linalg.norm(right)
    c2w = np.eye(4)
    c2w[:3, 0], c2w[:3, 1], c2w[:3, 2], c2w[:3, 3] = right, np.cross(back, right), back, position
    return c2w


def camera_poses(n: int, *, radius: float = 4.0, seed=0) -> np.ndarray:
    """(n, 4, 4) OpenGL c2w of cameras uniform by area on the band |z| <= 0.8 radius of the
    sphere of ``radius``, looking at the origin, world +z up; ``seed``: anything
    ``numpy.random.default_rng`` takes."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-_MAX_ELEVATION_SIN, _MAX_ELEVATION_SIN, n)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    ring = np.sqrt(1.0 - z * z)
    positions = radius * np.stack([ring * np.cos(phi), ring * np.sin(phi), z], axis=1)
    return np.stack([look_at(p) for p in positions]) if n else np.zeros((0, 4, 4))


def pixel_rays(c2w, width: int, height: int, fx: float, fy: float, cx: float, cy: float):
    """Origins and unit directions, each (H W, 3) float64 numpy in row-major pixel order, of the
    rays through the pixel centres of an OpenGL camera ``c2w`` (4, 4): :func:`.rays.pixel_rays`."""
    origins, directions = rays.pixel_rays(torch.as_tensor(np.asarray(c2w, dtype=np.float64)),
                                          width, height, fx, fy, cx, cy)
    return origins.numpy(), directions.numpy()


def render(scene: str, c2w, *, width: int, height: int, fx: float, fy: float | None = None,
           cx: float | None = None, cy: float | None = None, near: float = 2.0, far: float = 6.0,
           background=(1.0, 1.0, 1.0)):
    """Exact render of ``scene`` from the OpenGL camera ``c2w`` (4, 4) over ray distances [near, far].

    fy defaults to fx, (cx, cy) to the image centre. Returns float64 ``rgb`` (H, W, 3) composited
    on ``background``, ``alpha`` (H, W) and ``depth`` (H, W) (see the module docstring).
    """
    _check_scene(scene)
    fy = fx if fy is None else fy
    cx = width / 2 if cx is None else cx
    cy = height / 2 if cy is None else cy
    origins, directions = pixel_rays(c2w, width, height, fx, fy, cx, cy)
    colour, alpha, depth = _RENDERERS[scene](origins, directions, near, far)
    rgb = colour + np.asarray(background, dtype=np.float64) * (1.0 - alpha)[:, None]
    return rgb.reshape(height, width, 3), alpha.reshape(height, width), depth.reshape(height, width)


def _sphere_chord(origins, directions, radius: float, near: float, far: float):
    """Entry and exit distances (M,) of unit rays through the centred ball, clipped to [near, far];
    entry = exit where the ray misses."""
    b = (origins * directions).sum(1)
    c = (origins * origins).sum(1) - radius * radius
    root = np.sqrt(np.maximum(b * b - c, 0.0))
    entry = np.clip(-b - root, near, far)
    exit_ = np.clip(-b + root, near, far)
    return entry, np.maximum(exit_, entry)


def _slab_chord(origins, directions, half, near: float, far: float):
    """Entry and exit distances (M,) of rays through the box |x_k| <= half_k, clipped to [near, far]."""
    half = np.asarray(half, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = (-half - origins) / directions
        high = (half - origins) / directions
    entry = np.fmax(np.nanmax(np.fmin(low, high), axis=1), near)
    exit_ = np.fmin(np.nanmin(np.fmax(low, high), axis=1), far)
    return entry, np.maximum(exit_, entry)


def _homogeneous(entry, exit_, sigma: float, colour):
    """Premultiplied colour (M, 3), alpha (M,) and entry depth (M,) of a constant medium."""
    alpha = 1.0 - np.exp(-sigma * (exit_ - entry))
    depth = np.where(exit_ > entry, entry, np.inf)
    return alpha[:, None] * np.asarray(colour), alpha, depth


def _render_ball(origins, directions, near, far):
    entry, exit_ = _sphere_chord(origins, directions, _BALL["radius"], near, far)
    return _homogeneous(entry, exit_, _BALL["sigma"], _BALL["colour"])


def _render_box(origins, directions, near, far):
    entry, exit_ = _slab_chord(origins, directions, _BOX["half"], near, far)
    return _homogeneous(entry, exit_, _BOX["sigma"], _BOX["colour"])


def _render_blob(origins, directions, near, far):
    """Optical depth tau = A [erf((t - t*) / (s sqrt 2))] from near to far, t* the closest approach."""
    s = _BLOB["width"]
    offset = np.asarray(_BLOB["centre"]) - origins
    closest = (offset * directions).sum(1)
    miss2 = np.maximum((offset * offset).sum(1) - closest ** 2, 0.0)
    scale = _BLOB["peak"] * np.exp(-miss2 / (2 * s * s)) * s * math.sqrt(math.pi / 2)
    start = erf((near - closest) / (s * math.sqrt(2)))
    tau = scale * (erf((far - closest) / (s * math.sqrt(2))) - start)
    alpha = 1.0 - np.exp(-tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.clip(start + math.log(2.0) / scale, -1.0, 1.0)
        median = closest + s * math.sqrt(2) * erfinv(level)
    depth = np.where(tau >= math.log(2.0), median, np.inf)
    return alpha[:, None] * np.asarray(_BLOB["colour"]), alpha, depth


def _render_coloured_ball(origins, directions, near, far):
    """C = int_entry^exit c(x(t)) sigma exp(-sigma (t - entry)) dt by Gauss-Legendre on the chord."""
    sigma = _COLOURED["sigma"]
    entry, exit_ = _sphere_chord(origins, directions, _COLOURED["radius"], near, far)
    nodes, weights = np.polynomial.legendre.leggauss(_NODES)
    half = 0.5 * (exit_ - entry)
    t = entry[:, None] + half[:, None] * (nodes + 1.0)
    points = origins[:, None, :] + t[..., None] * directions[:, None, :]
    weight = half[:, None] * weights * sigma * np.exp(-sigma * (t - entry[:, None]))
    colour = (weight[..., None] * _coloured_rgb(points)).sum(1)
    alpha = 1.0 - np.exp(-sigma * (exit_ - entry))
    depth = np.where(exit_ > entry, entry, np.inf)
    return colour, alpha, depth


_RENDERERS = {"ball": _render_ball, "box": _render_box, "blob": _render_blob,
              "coloured_ball": _render_coloured_ball}


def write_scene(folder, scene: str = "ball", *, size: int = 32, n_train: int = 24, n_val: int = 4,
                n_test: int = 0, radius: float = 4.0, camera_angle_x: float = 0.6911, seed=0) -> str:
    """Write ``scene`` as a Blender-format dataset in ``folder``; returns the folder.

    For each split with views: ``transforms_{split}.json`` (``camera_angle_x``, ``near``,
    ``far``, ``scene``, frames ``./{split}/r_{k}`` with OpenGL c2w), ``{split}/r_{k}.png``
    (size x size RGBA, 8 bits: alpha the opacity, RGB chosen so that compositing on white
    reproduces the white-background render to 1/255) and ``{split}/depth.npy``. Cameras are
    drawn by :func:`camera_poses` from independent streams of ``seed`` per split.
    """
    _check_scene(scene)
    if not radius > 2.0:
        raise DataError(f"radius={radius!r} puts cameras inside the scene's bounds; expected radius > 2 (near = radius - 2).")
    folder = os.fspath(folder)
    near, far = radius - 2.0, radius + 2.0
    focal = focal_from_fov(size, camera_angle_x)
    streams = np.random.SeedSequence(seed).spawn(3)
    for (split, n), stream in zip((("train", n_train), ("val", n_val), ("test", n_test)), streams):
        if n > 0:
            _write_split(folder, split, scene, camera_poses(n, radius=radius, seed=stream),
                         size, focal, near, far, camera_angle_x)
    return folder


def _write_split(folder, split, scene, poses, size, focal, near, far, camera_angle_x) -> None:
    frames, depths = [], []
    for k, c2w in enumerate(poses):
        rgb, alpha, depth = render(scene, c2w, width=size, height=size, fx=focal, near=near, far=far)
        _write_png(os.path.join(folder, split, f"r_{k}.png"), rgb, alpha)
        depths.append(depth.astype(np.float32))
        frames.append({"file_path": f"./{split}/r_{k}", "transform_matrix": c2w.tolist()})
    with atomic_path(os.path.join(folder, split, "depth.npy"), ".npy") as tmp:
        np.save(tmp, np.stack(depths))
    write_json(os.path.join(folder, f"transforms_{split}.json"),
               {"camera_angle_x": camera_angle_x, "near": near, "far": far, "scene": scene, "frames": frames})


def _write_png(path: str, rgb_white: np.ndarray, alpha: np.ndarray) -> None:
    """RGBA uint8 whose composite on white is ``rgb_white`` (H, W, 3) to within 1/255."""
    from PIL import Image

    a = np.round(alpha * 255.0) / 255.0
    with np.errstate(divide="ignore", invalid="ignore"):
        straight = np.where(a[..., None] > 0, (rgb_white - (1.0 - a[..., None])) / a[..., None], 0.0)
    rgba = np.concatenate([np.clip(straight, 0.0, 1.0), a[..., None]], axis=-1)
    with atomic_path(path, ".png") as tmp:
        Image.fromarray(np.round(rgba * 255.0).astype(np.uint8), mode="RGBA").save(tmp)
