"""NeRF data layer: the four dataset formats, their errors, conventions and the analytic scenes."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pinnfield.errors import DataError
from pinnfield.problems.nerf import scenes
from pinnfield.problems.nerf.data import load_views
from pinnfield.problems.nerf.views import opencv_to_opengl, opengl_to_opencv

BUNNY = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "nerf_bunny"
W, H = 8, 6


def _poses(n: int, seed: int = 0) -> np.ndarray:
    return scenes.camera_poses(n, radius=4.0, seed=seed)


def _rgba(k: int, size=(W, H)) -> np.ndarray:
    """(H, W, 4) uint8: colour depending on the view k, alpha rising along the columns."""
    width, height = size
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., :3] = np.array([40 + 10 * k, 100, 200], np.uint8)
    rgba[..., 3] = np.linspace(0, 255, width).round().astype(np.uint8)[None, :]
    return rgba


def _blender(folder: Path, n_train: int = 3, n_val: int = 2, **meta) -> Path:
    for split, n in (("train", n_train), ("val", n_val)):
        (folder / split).mkdir(parents=True)
        frames = []
        for k, c2w in enumerate(_poses(n, seed=len(split))):
            Image.fromarray(_rgba(k), "RGBA").save(folder / split / f"r_{k}.png")
            frames.append({"file_path": f"./{split}/r_{k}", "transform_matrix": c2w.tolist()})
        np.save(folder / split / "depth.npy", np.arange(n * H * W, dtype=np.float32).reshape(n, H, W))
        (folder / f"transforms_{split}.json").write_text(json.dumps({"camera_angle_x": 0.8, "frames": frames, **meta}))
    return folder


def _edit_frames(folder: Path, edit) -> None:
    path = folder / "transforms_train.json"
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta))


def test_blender_fixture_composites_alpha_and_reads_the_camera(tmp_path):
    folder = _blender(tmp_path)
    white = load_views(folder)
    black = load_views(folder, background="black")
    rgba = _rgba(1).astype(np.float64) / 255
    expected = rgba[..., :3] * rgba[..., 3:] + (1 - rgba[..., 3:])
    assert white.images.shape == (3, H, W, 3) and white.images.dtype == np.float32
    np.testing.assert_allclose(white.images[1], expected, atol=1e-6)
    np.testing.assert_allclose(black.images[1], rgba[..., :3] * rgba[..., 3:], atol=1e-6)
    assert white.fx == pytest.approx(0.5 * W / math.tan(0.4)) and white.fy == white.fx
    assert (white.cx, white.cy, white.width, white.height) == (W / 2, H / 2, W, H)
    np.testing.assert_allclose(white.c2w, _poses(3, seed=5))
    assert white.c2w.dtype == np.float64 and white.depth.shape == (3, H, W)
    assert white.near is None and white.files[2].endswith(os.path.join("train", "r_2.png"))
    assert len(load_views(folder, "val")) == 2


def test_downscale_halves_intrinsics_and_averages_pixels(tmp_path):
    folder = _blender(tmp_path)
    full, half = load_views(folder), load_views(folder, downscale=2)
    assert (half.fx, half.fy, half.cx, half.cy) == pytest.approx((full.fx / 2, full.fy / 2, full.cx / 2, full.cy / 2))
    assert (half.width, half.height) == (W // 2, H // 2) and half.images.shape == (3, H // 2, W // 2, 3)
    np.testing.assert_allclose(half.images[0, 1, 2], full.images[0, 2:4, 4:6].mean(axis=(0, 1)), atol=1e-6)
    assert half.depth[0, 1, 2] == full.depth[0, 2:4, 4:6].min()
    with pytest.raises(DataError, match="downscale=0 is not a factor"):
        load_views(folder, downscale=0)


@pytest.mark.skipif(not BUNNY.is_dir(), reason="shared nerf_bunny data absent")
def test_real_bunny_focal_from_camera_angle_and_depth_misses():
    views = load_views(BUNNY)
    assert len(views) == 100 and (views.width, views.height) == (100, 100)
    assert views.fx == pytest.approx(138.889, abs=1e-3) and views.cx == 50.0
    np.testing.assert_allclose(np.linalg.norm(views.c2w[:, :3, 3], axis=1), 4.0, rtol=1e-6)
    missed = np.isinf(views.depth)
    assert 0.5 < missed.mean() < 0.95
    assert np.all(views.images[missed] == 1.0)
    assert np.all(np.isfinite(views.depth[~missed]) & (views.depth[~missed] > 2) & (views.depth[~missed] < 6))
    assert len(load_views(BUNNY, "val")) == 10


def _ngp(folder: Path, n: int = 10, **top) -> Path:
    (folder / "images").mkdir(parents=True)
    frames = []
    for k, c2w in enumerate(_poses(n)):
        Image.fromarray(_rgba(k)[..., :3], "RGB").save(folder / "images" / f"f_{k:02d}.png")
        frames.append({"file_path": f"images/f_{k:02d}.png", "transform_matrix": c2w.tolist()})
    meta = {"fl_x": 7.0, "fl_y": 6.5, "cx": 4.2, "cy": 2.9, "w": W, "h": H, "frames": frames[::-1], **top}
    (folder / "transforms.json").write_text(json.dumps(meta))
    return folder


def test_ngp_intrinsics_every_eighth_holdout_and_opencv(tmp_path):
    folder = _ngp(tmp_path)
    train, val = load_views(folder), load_views(folder, "val")
    assert (train.fx, train.fy, train.cx, train.cy) == (7.0, 6.5, 4.2, 2.9)
    assert [os.path.basename(f) for f in val.files] == ["f_00.png", "f_08.png"]
    assert len(train) == 8 and "f_00.png" not in {os.path.basename(f) for f in train.files}
    np.testing.assert_allclose(val.c2w, _poses(10)[[0, 8]])
    assert len(load_views(folder, "all")) == 10
    cv = load_views(folder, "val", convention="opencv")
    np.testing.assert_allclose(cv.c2w, opencv_to_opengl(_poses(10)[[0, 8]]))


def test_ngp_split_lists_and_per_frame_intrinsics(tmp_path):
    folder = _ngp(tmp_path, train_filenames=["images/f_01.png", "images/f_03.png"], val_filenames=["images/f_05.png"])
    meta = json.loads((folder / "transforms.json").read_text())
    for frame in meta["frames"]:
        frame["fl_x"] = 5.0
    (folder / "transforms.json").write_text(json.dumps(meta))
    views = load_views(folder)
    assert [os.path.basename(f) for f in views.files] == ["f_01.png", "f_03.png"] and views.fx == 5.0
    with pytest.raises(DataError, match=r"Split 'test' does not exist.*available splits: train, val, all"):
        load_views(folder, "test")


def _llff(folder: Path, n: int = 9, size=(12, 8), hw=(8, 12), focal=10.0) -> tuple[Path, np.ndarray]:
    (folder / "images").mkdir(parents=True)
    c2w = _poses(n)
    llff = np.concatenate([-c2w[:, :3, 1:2], c2w[:, :3, 0:1], c2w[:, :3, 2:4]], axis=2)
    hwf = np.broadcast_to(np.array([hw[0], hw[1], focal])[None, :, None], (n, 3, 1))
    bounds = np.stack([np.linspace(2.0, 2.5, n), np.linspace(5.0, 6.0, n)], axis=1)
    np.save(folder / "poses_bounds.npy", np.concatenate([np.concatenate([llff, hwf], 2).reshape(n, 15), bounds], 1))
    for k in range(n):
        Image.fromarray(_rgba(k, size)[..., :3], "RGB").save(folder / "images" / f"IMG_{k:03d}.JPG")
    return folder, c2w


def test_llff_reorders_columns_to_opengl_and_reads_bounds(tmp_path):
    folder, c2w = _llff(tmp_path)
    train, test = load_views(folder), load_views(folder, "test")
    np.testing.assert_allclose(train.c2w, c2w[[1, 2, 3, 4, 5, 6, 7]], atol=1e-12)
    np.testing.assert_allclose(test.c2w, c2w[[0, 8]], atol=1e-12)
    assert (train.fx, train.cx, train.cy, train.near, train.far) == (10.0, 6.0, 4.0, 2.0, 6.0)
    small, _ = _llff(tmp_path / "small", size=(6, 4))
    assert load_views(small).fx == pytest.approx(5.0)
    with pytest.raises(DataError, match="LLFF poses have a fixed"):
        load_views(folder, convention="opencv")


def test_tiny_nerf_npz_from_file_or_folder(tmp_path):
    images = np.random.default_rng(0).random((10, H, W, 3)).astype(np.float32)
    np.savez(tmp_path / "tiny_nerf_data.npz", images=images, poses=_poses(10).astype(np.float32), focal=np.array(9.5))
    views = load_views(tmp_path / "tiny_nerf_data.npz")
    np.testing.assert_array_equal(views.images, images[[1, 2, 3, 4, 5, 6, 7, 9]])
    assert (views.fx, views.fy, views.cx, views.cy) == (9.5, 9.5, W / 2, H / 2)
    np.testing.assert_allclose(load_views(tmp_path, "val").c2w, _poses(10)[[0, 8]], atol=1e-6)


def test_opencv_opengl_flip_round_trip():
    c2w = _poses(4)
    cv = opengl_to_opencv(c2w)
    np.testing.assert_allclose(opencv_to_opengl(cv), c2w)
    np.testing.assert_allclose(cv[:, :3, 2], -c2w[:, :3, 2])
    np.testing.assert_allclose(cv[:, :3, 1], -c2w[:, :3, 1])
    np.testing.assert_allclose(cv @ np.diag([1.0, -1.0, -1.0, 1.0]), c2w)


def test_missing_image_names_frame_and_path(tmp_path):
    folder = _blender(tmp_path)
    os.remove(folder / "train" / "r_1.png")
    with pytest.raises(DataError, match=r"frame 1 \('\./train/r_1'\) points to a missing image; no file at .*r_1\.png"):
        load_views(folder)


def test_images_of_different_sizes_name_both_files(tmp_path):
    folder = _blender(tmp_path)
    Image.fromarray(_rgba(2, (9, H)), "RGBA").save(folder / "train" / "r_2.png")
    with pytest.raises(DataError, match=r"r_0\.png' is 8 x 6 but '.*r_2\.png' is 9 x 6"):
        load_views(folder)


@pytest.mark.parametrize("bad, message", [
    (np.diag([1.0, 1.0, 1.1, 1.0]), "rotation is not orthonormal"),
    (np.diag([1.0, 1.0, -1.0, 1.0]), "rotation is not orthonormal"),
    (np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0.5, 1.0]]), r"last row is \[0\.0, 0\.0, 0\.5, 1\.0\]"),
])
def test_non_rigid_pose_names_the_frame(tmp_path, bad, message):
    folder = _blender(tmp_path)
    _edit_frames(folder, lambda meta: meta["frames"][2].update(transform_matrix=bad.tolist()))
    with pytest.raises(DataError, match=r"frame 2 \('\./train/r_2'\).*not a rigid transform.*" + message):
        load_views(folder)


def test_unrecognised_folder_lists_formats(tmp_path):
    (tmp_path / "notes.txt").write_text("no data")
    with pytest.raises(DataError, match=r"no recognised NeRF dataset; looked for transforms_train\.json.*"
                                        r"transforms\.json.*poses_bounds\.npy.*\.npz"):
        load_views(tmp_path)


def test_missing_split_lists_available(tmp_path):
    folder = _blender(tmp_path)
    with pytest.raises(DataError, match=r"Split 'test' does not exist.*available splits: train, val"):
        load_views(folder, "test")


def test_near_not_below_far(tmp_path):
    folder = _blender(tmp_path, near=6.0, far=2.0)
    with pytest.raises(DataError, match=r"transforms_train\.json gives near 6 >= far 2"):
        load_views(folder)


def test_ball_scene_centre_pixel_matches_closed_form_and_misses_are_transparent(tmp_path):
    folder = scenes.write_scene(tmp_path / "ball", "ball", size=32, n_train=2, n_val=1)
    views = load_views(folder)
    assert (views.near, views.far) == (2.0, 6.0)
    origin, c2w = views.c2w[0, :3, 3], views.c2w[0]
    direction = c2w[:3, :3] @ np.array([0.5 / views.fx, -0.5 / views.fy, -1.0])
    direction /= np.linalg.norm(direction)
    along = origin @ direction
    chord = 2 * math.sqrt(1.0 - (origin @ origin - along ** 2))
    transmittance = math.exp(-5.0 * chord)
    expected = np.array([0.9, 0.35, 0.2]) * (1 - transmittance) + transmittance
    np.testing.assert_allclose(views.images[0, 16, 16], expected, atol=1 / 255)
    assert views.depth[0, 16, 16] == pytest.approx(-along - chord / 2, rel=1e-6)
    alpha = np.asarray(Image.open(views.files[0]))[..., 3]
    missed = np.isinf(views.depth[0])
    assert missed[0, 0] and missed.any() and np.all(alpha[missed] == 0)
    assert np.all(views.images[0][missed] == 1.0)


@pytest.mark.parametrize("scene", scenes.SCENES)
def test_renders_match_quadrature_of_scene_fields(scene, tmp_path):
    c2w = _poses(1, seed=3)[0]
    rgb, alpha, depth = scenes.render(scene, c2w, width=16, height=16, fx=22.0)
    origins, directions = scenes.pixel_rays(c2w, 16, 16, 22.0, 22.0, 8.0, 8.0)
    rays = np.array([0, 100, 119, 136, 170, 200])
    t = np.linspace(2.0, 6.0, 40001)
    points = (origins[rays, None] + t[None, :, None] * directions[rays, None]).reshape(-1, 3)
    sigma_of, rgb_of = scenes.scene_fields(scene)
    sigma = sigma_of(points).reshape(len(rays), -1)
    colour = rgb_of(points).reshape(len(rays), -1, 3)
    step = t[1] - t[0]
    tau = np.concatenate([np.zeros((len(rays), 1)), np.cumsum(0.5 * (sigma[:, 1:] + sigma[:, :-1]) * step, 1)], 1)
    weights = sigma * np.exp(-tau) * step
    expected = (weights[..., None] * colour).sum(1) + np.exp(-tau[:, -1:])
    np.testing.assert_allclose(rgb.reshape(-1, 3)[rays], expected, atol=3e-3)
    np.testing.assert_allclose(alpha.reshape(-1)[rays], 1 - np.exp(-tau[:, -1]), atol=3e-3)
    level = 0.0 if scene != "blob" else math.log(2.0)
    hit = tau[:, -1] > level
    first = t[np.argmax(tau > level, axis=1)]
    np.testing.assert_allclose(depth.reshape(-1)[rays][hit], first[hit], atol=2e-3)
    assert np.all(np.isinf(depth.reshape(-1)[rays][~hit]))
    if scene != "blob":
        assert np.all(alpha.reshape(-1)[rays][~hit] == 0)
    folder = scenes.write_scene(tmp_path / scene, scene, size=16, n_train=1, n_val=0, camera_angle_x=2 * math.atan(8 / 22))
    assert not (tmp_path / scene / "transforms_val.json").exists()
    views = load_views(folder)
    exact = scenes.render(scene, views.c2w[0], width=16, height=16, fx=views.fx)[0]
    assert views.fx == pytest.approx(22.0)
    np.testing.assert_allclose(views.images[0], exact, atol=1 / 255)


def test_scene_fields_accept_torch():
    torch = pytest.importorskip("torch")
    sigma, rgb = scenes.scene_fields("coloured_ball")
    points = torch.tensor([[0.0, 0.0, 0.0], [0.5, -0.3, 0.2], [2.0, 0.0, 0.0]], dtype=torch.float64)
    assert sigma(points).tolist() == [6.0, 6.0, 0.0]
    np.testing.assert_allclose(rgb(points).numpy(), rgb(points.numpy()))
    with pytest.raises(DataError, match="Scene 'cube' is unknown"):
        scenes.scene_fields("cube")
