"""Files of a NeRF run (``pinnfield run nerf`` / ``validate nerf``): metrics, renders, depth, orbit, mesh.

In ``out``, for the held-out split ``val`` (and ``test`` when the data has one):

* ``metrics.json`` (``validation.json`` when validating): ``psnr_val``, ``ssim_val`` (the fine
  head), ``psnr_val_coarse``, ``ssim_val_coarse``, per-image lists ``psnr_val_images``,
  ``ssim_val_images``, ``psnr_val_coarse_images``; with true depth (``depth.npy``)
  ``depth_error_val`` (median |depth - true depth| over covered pixels, in ray distance) and
  ``depth_error_val_images``; the same with ``_test``; ``wall_seconds``, ``steps`` and the run's
  settings; ``mesh_threshold``, ``mesh_box``, ``mesh_vertices``, ``mesh_faces``;
* ``NAME_val_KKK.png``: each held-out view, ground truth beside the render;
* ``NAME_views.png`` (``validation.png``): ground truth, render, error and depth of up to
  :data:`SHOWN` views, and the loss; ``NAME_depth.png``: their depth maps with a colour bar;
* ``NAME_orbit.gif`` (and ``NAME_orbit.mp4`` when ``imageio_ffmpeg`` is importable):
  :data:`ORBIT_FRAMES` renders on a circle about the scene, at most :data:`ORBIT_SIZE` pixels wide;
* ``NAME.ply``, ``NAME.obj``: the level set sigma = :data:`MESH_THRESHOLD` of the rendered density
  on a :data:`MESH_RESOLUTION`^3 grid of the scene box, by marching cubes (no file when the density
  does not cross the threshold in the box; ``mesh`` in the metrics says so);
* ``NAME.npz``: the val renders, depths and ground truth.

Without ``--data`` the analytic scene the run was trained on is written to ``out/scene`` first
(:func:`~pinnfield.problems.nerf.scenes.write_scene`, deterministic) and evaluated there.
"""

from __future__ import annotations

import json
import os

import numpy as np

from pinnfield.errors import DataError
from pinnfield.io import atomic_path, write_json, write_npz, write_png
from pinnfield.plot import loss_panel, new_figure, save_figure
from pinnfield.shape_metrics import extract_mesh, write_mesh

from .._data import data_of, settings_of
from .data import load_views
from .views import Views
from .evaluate import density_grid, depth_errors, fields_of, image_metrics, orbit_poses, render_views
from .loss import RenderSettings
from .scenes import write_scene

__all__ = ["report", "SHOWN", "ORBIT_FRAMES", "ORBIT_SIZE", "MESH_RESOLUTION", "MESH_THRESHOLD"]

SHOWN = 4
"""Held-out views drawn in the figures."""

ORBIT_FRAMES = 24
ORBIT_SIZE = 64
"""Frames and largest width in pixels of the orbit animation."""

MESH_RESOLUTION = 128
MESH_THRESHOLD = 2.5
"""Density level (per unit ray distance) meshed by marching cubes: a layer of thickness 0.1
with this density absorbs 22% of the light."""


def _has_split(folder: str, split: str) -> bool:
    if os.path.isfile(os.path.join(folder, f"transforms_{split}.json")):
        return True
    ngp = os.path.join(folder, "transforms.json")
    if os.path.isfile(ngp):
        with open(ngp) as handle:
            return f"{split}_filenames" in json.load(handle)
    return False


def _split_metrics(split: str, views: Views, renders) -> dict:
    psnr, ssim = image_metrics(renders.rgb, views.images)
    psnr_c, ssim_c = image_metrics(renders.rgb_coarse, views.images)
    results = {f"psnr_{split}": float(np.mean(psnr)), f"ssim_{split}": float(np.mean(ssim)),
               f"psnr_{split}_coarse": float(np.mean(psnr_c)), f"ssim_{split}_coarse": float(np.mean(ssim_c)),
               f"psnr_{split}_images": psnr, f"ssim_{split}_images": ssim,
               f"psnr_{split}_coarse_images": psnr_c, f"ssim_{split}_coarse_images": ssim_c}
    if views.depth is not None:
        overall, per_view = depth_errors(renders.depth, views.depth)
        results[f"depth_error_{split}"], results[f"depth_error_{split}_images"] = overall, per_view
    return results


def _depth_panel(fig, ax, depth, title: str, limits) -> None:
    shown = ax.imshow(np.where(np.isfinite(depth), depth, np.nan), cmap="viridis_r", vmin=limits[0], vmax=limits[1])
    fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04, label="ray distance")
    ax.set_title(title, fontsize=9)


def _depth_limits(renders, views: Views) -> tuple[float, float]:
    values = views.depth[np.isfinite(views.depth)] if views.depth is not None else renders.depth[renders.opacity > 0.5]
    return (float(values.min()), float(values.max())) if values.size else (None, None)


def _shown_depth(renders, k: int) -> np.ndarray:
    return np.where(renders.opacity[k] > 0.5, renders.depth[k], np.nan)


def _views_figure(views: Views, renders, psnr: list, history: dict):
    count = min(SHOWN, len(views))
    fig, axes = new_figure(count + 1, 4, (13, 3.1 * (count + 1)))
    limits = _depth_limits(renders, views)
    for k in range(count):
        row = axes[k]
        row[0].imshow(views.images[k])
        row[0].set_title(f"val {k}: ground truth", fontsize=9)
        row[1].imshow(renders.rgb[k])
        row[1].set_title(f"render: PSNR {psnr[k]:.2f} dB", fontsize=9)
        error = row[2].imshow(np.abs(renders.rgb[k] - views.images[k]).mean(axis=-1), cmap="magma")
        fig.colorbar(error, ax=row[2], fraction=0.046, pad=0.04)
        row[2].set_title("|error| (mean over RGB)", fontsize=9)
        _depth_panel(fig, row[3], _shown_depth(renders, k), "depth (opacity > 0.5)", limits)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    for ax in axes[count][1:]:
        ax.set_visible(False)
    loss_panel(axes[count][0], history)
    axes[count][0].set_xlabel("step")
    return fig


def _depth_figure(views: Views, renders):
    count = min(SHOWN, len(views))
    rows = 2 if views.depth is not None else 1
    fig, axes = new_figure(rows, count, (3.4 * count, 3.0 * rows))
    limits = _depth_limits(renders, views)
    for k in range(count):
        _depth_panel(fig, axes[0][k], _shown_depth(renders, k), f"val {k}: rendered depth", limits)
        if views.depth is not None:
            _depth_panel(fig, axes[1][k], views.depth[k], f"val {k}: true depth", limits)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def _orbit(coarse, fine, views: Views, geometry: dict, settings: RenderSettings, out: str, name: str) -> list[str]:
    scale = min(1.0, ORBIT_SIZE / views.width)
    width, height = max(1, round(views.width * scale)), max(1, round(views.height * scale))
    poses = orbit_poses(views.c2w, ORBIT_FRAMES)
    frames_views = Views(images=np.zeros((len(poses), height, width, 3), np.float32), c2w=poses,
                         fx=views.fx * scale, fy=views.fy * scale, cx=views.cx * scale, cy=views.cy * scale,
                         width=width, height=height, background=views.background)
    frames = render_views(coarse, fine, frames_views, settings=settings, **geometry).rgb
    frames = np.round(frames * 255).astype(np.uint8)
    from PIL import Image

    path = os.path.join(out, f"{name}_orbit.gif")
    images = [Image.fromarray(f) for f in frames]
    with atomic_path(path, ".gif") as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    written = [path]
    try:
        import imageio_ffmpeg
    except ImportError:
        return written
    video = os.path.join(out, f"{name}_orbit.mp4")
    even = frames[:, : height - height % 2, : width - width % 2]
    with atomic_path(video, ".mp4") as tmp:
        writer = imageio_ffmpeg.write_frames(tmp, (even.shape[2], even.shape[1]), fps=12, macro_block_size=1)
        writer.send(None)
        for frame in even:
            writer.send(np.ascontiguousarray(frame))
        writer.close()
    return written + [video]


def _mesh(fine, geometry: dict, out: str, name: str, results: dict) -> list[str]:
    axes, sigma = density_grid(fine, geometry["lower"], geometry["upper"], MESH_RESOLUTION)
    results["mesh_threshold"] = MESH_THRESHOLD
    results["mesh_box"] = [list(geometry["lower"]), list(geometry["upper"])]
    results["mesh_resolution"] = MESH_RESOLUTION
    try:
        vertices, faces = extract_mesh(-sigma, axes, level=-MESH_THRESHOLD)
    except DataError:
        results["mesh"] = (f"none: the density ranges over [{sigma.min():.3g}, {sigma.max():.3g}] in the box, "
                           f"not across {MESH_THRESHOLD}")
        return []
    results["mesh_vertices"], results["mesh_faces"] = int(len(vertices)), int(len(faces))
    written = []
    for suffix in (".ply", ".obj"):
        path = os.path.join(out, f"{name}{suffix}")
        write_mesh(path, vertices, faces)
        written.append(path)
    return written


def report(solution, out: str, name: str, *, validation: bool, data=None) -> tuple[dict, list[str]]:
    """Write the files listed in the module docstring; returns (metrics, paths written)."""
    settings = settings_of(solution)
    data = data_of(solution, data)
    folder = os.fspath(data) if data is not None else write_scene(os.path.join(out, "scene"), **settings["scene"])
    coarse, fine = fields_of(solution)
    render = RenderSettings(settings["n_coarse"], settings["n_fine"], tuple(settings["background"]),
                            settings.get("chunk", 4096))
    geometry = {k: settings[k] for k in ("near", "far", "lower", "upper")}
    results = dict(solution.info)
    written = []
    loading = dict(downscale=settings.get("downscale", 1), background=tuple(settings["background"]))
    splits = ["val"] + (["test"] if _has_split(folder, "test") else [])
    for split in splits:
        views = load_views(folder, split, **loading)
        renders = render_views(coarse, fine, views, settings=render, **geometry)
        results.update(_split_metrics(split, views, renders))
        for k in range(len(views)):
            path = os.path.join(out, f"{name}_{split}_{k:03d}.png")
            write_png(path, np.concatenate([views.images[k], renders.rgb[k]], axis=1))
            written.append(path)
        if split == "val":
            val_views, val_renders = views, renders
    figure = os.path.join(out, f"{'validation' if validation else name + '_views'}.png")
    save_figure(_views_figure(val_views, val_renders, results["psnr_val_images"], solution.history), figure)
    depth_figure = os.path.join(out, f"{name}_depth.png")
    save_figure(_depth_figure(val_views, val_renders), depth_figure)
    written += [figure, depth_figure]
    written += _orbit(coarse, fine, val_views, geometry, render, out, name)
    written += _mesh(fine, geometry, out, name, results)
    npz = os.path.join(out, f"{name}.npz")
    arrays = dict(rgb=val_renders.rgb, rgb_coarse=val_renders.rgb_coarse, depth=val_renders.depth,
                  opacity=val_renders.opacity, target=val_views.images)
    if val_views.depth is not None:
        arrays["true_depth"] = val_views.depth
    write_npz(npz, **arrays)
    json_path = os.path.join(out, "validation.json" if validation else "metrics.json")
    write_json(json_path, {"problem": name, **results})
    return results, written + [npz, json_path]
