"""NeRF training through pf.fit: the field, the occupancy grid, the CLI run and its files, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import pinnfield as pf
from pinnfield.cli import main
from pinnfield.errors import DataError, EquationError
from pinnfield.problems import nerf
from pinnfield.problems.nerf.evaluate import fields_of, render_views
from pinnfield.problems.nerf.loss import RenderSettings
from pinnfield.problems.nerf.model import NeRFField
from pinnfield.problems.nerf.occupancy import OccupancyGrid
from pinnfield.problems.nerf.ready import views
from pinnfield.problems.nerf.region import Rays, clip_to_box
from pinnfield.problems.nerf.scenes import write_scene

TINY = dict(rays=256, n_coarse=16, n_fine=16, grid=16,
            field=dict(width=32, depth=2, colour_width=16, L_position=4, L_direction=2, grid_warmup=8, grid_every=4))


@pytest.fixture(scope="module")
def ball(tmp_path_factory):
    return write_scene(tmp_path_factory.mktemp("ball"), "ball", size=16, n_train=8, n_val=2)


def test_paper_field_has_the_papers_layers():
    field = NeRFField(width=256, depth=8, skip=4, colour_width=128, L_position=10, L_direction=4)
    linears = [m for m in field.trunk.modules() if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == (
        [(256, 63)] + [(256, 256)] * 4 + [(256, 256 + 63)] + [(256, 256)] * 2 + [(257, 256)])
    assert [tuple(m.weight.shape) for m in field.colour.modules() if isinstance(m, torch.nn.Linear)] == [
        (128, 256 + 27), (3, 128)]
    out = field(torch.randn(5, 6, dtype=torch.float32))
    assert out.shape == (5, 4) and torch.all(out[:, 0] >= 0) and torch.all((out[:, 1:] > 0) & (out[:, 1:] < 1))


@pytest.mark.parametrize("kind", ["mlp", "siren"])
def test_field_is_seeded_and_radiance_matches_forward(kind):
    skip = 1 if kind == "mlp" else None
    a = NeRFField(width=16, depth=3, skip=skip, kind=kind, density="softplus")
    b = NeRFField(width=16, depth=3, skip=skip, kind=kind, density="softplus")
    a.reset_parameters(torch.Generator().manual_seed(3))
    b.reset_parameters(torch.Generator().manual_seed(3))
    x = torch.randn(7, 6)
    assert torch.equal(a(x), b(x))
    sigma, rgb = a.radiance(x[:, :3], x[:, 3:])
    assert torch.allclose(torch.cat((sigma[:, None], rgb), -1), a(x)) and torch.all(sigma > 0)


def test_bad_field_settings_are_named():
    with pytest.raises(EquationError, match=r"skip=7 is not a layer of a 8-layer mlp trunk"):
        NeRFField(depth=8, skip=7)
    with pytest.raises(EquationError, match="kind='hash' is not known"):
        NeRFField(kind="hash")
    with pytest.raises(EquationError, match="derivatives='autograd'"):
        NeRFField(width=8, depth=2, skip=None).forward_jet(None)


def test_clip_to_box_and_grid_bounds():
    origins = torch.tensor([[0.0, 0.0, 4.0], [3.0, 0.0, 4.0]], dtype=torch.float64)
    directions = torch.tensor([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0]], dtype=torch.float64)
    near, far = clip_to_box(origins, directions, 2.0, 6.0, [-1.5] * 3, [1.5] * 3)
    assert near.tolist() == [2.5, far[1].item()] and far[0].item() == 5.5 and near[1] == far[1]
    grid = OccupancyGrid(8)
    grid.update(lambda p: 100.0 * (p.abs().amax(-1) < 0.25).to(p.dtype), cell=3 / 8)
    assert 0 < grid.fraction() < 0.5
    scale = 1 / 1.5
    tight_near, tight_far, hit = grid.bounds(origins * scale, directions * scale, near, far)
    assert hit.tolist() == [True, False]
    assert 2.5 < tight_near[0] < 4.0 - 0.375 and 4.0 + 0.375 < tight_far[0] < 5.5


def test_rays_region_samples_pixels_with_their_colours(ball):
    train = views(ball, "train")
    region = Rays(train, near=2.0, far=6.0, lower=[-1.5] * 3, upper=[1.5] * 3)
    batch = region.sample(300, torch.Generator().manual_seed(0))
    assert batch.points.shape == (300, 6) and set(batch.data) == {"r", "g", "b", "near", "far", "seed"}
    assert torch.allclose(batch.points[:, 3:].norm(dim=-1), torch.ones(300, dtype=torch.float64))
    assert torch.all(batch.data["near"] >= 2.0) and torch.all(batch.data["far"] <= 6.0)
    assert len(set(batch.data["seed"].tolist())) == 1
    every = region.rays(torch.arange(len(region)))
    colours = torch.stack([every.data[c] for c in "rgb"], -1).numpy().reshape(train.images.shape)
    assert np.allclose(colours, train.images)


def test_short_fit_lowers_the_loss_and_renders_finite_depth_in_near_far(ball):
    problem = nerf.problem(ball, **TINY)
    solution = pf.fit(problem, steps=40, lr=5e-3, seed=0, progress=False, derivatives="autograd")
    loss = np.asarray(solution.history["loss"])
    assert np.all(np.isfinite(loss)) and loss[-5:].mean() < 0.8 * loss[:5].mean()
    coarse, fine = fields_of(solution)
    assert fine.grid is not None and int(fine.grid.steps) == 40 and bool((fine.grid.values >= 0).all())
    val = views(ball, "val")
    renders = render_views(coarse, fine, val, near=2.0, far=6.0, lower=[-1.5] * 3, upper=[1.5] * 3,
                           settings=RenderSettings(16, 16))
    for array in (renders.rgb, renders.rgb_coarse, renders.depth, renders.opacity):
        assert np.all(np.isfinite(array))
    assert np.all((renders.depth >= 2.0) & (renders.depth <= 6.0))
    assert np.all((renders.rgb >= 0) & (renders.rgb <= 1)) and np.all((renders.opacity >= 0) & (renders.opacity <= 1 + 1e-6))


def test_resumed_run_repeats_an_uninterrupted_one(ball, tmp_path):
    problem = nerf.problem(ball, **TINY)
    settings = dict(steps=24, lr=5e-3, seed=1, progress=False, derivatives="autograd")
    whole = pf.fit(problem, **settings)
    path = str(tmp_path / "checkpoint.pt")
    pf.fit(problem, checkpoint=path, callback=lambda done, _: done == 10, **settings)
    resumed = pf.fit(problem, resume=path, **settings)
    for a, b in zip(whole.modules, resumed.modules):
        for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
            assert torch.equal(x, y), name


def test_cli_run_without_data_writes_the_files_and_validate_reloads_them(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "nerf", "--out", str(out), "--steps", "60", "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("psnr_val", "ssim_val", "psnr_val_coarse", "ssim_val_coarse", "depth_error_val", "wall_seconds"):
        assert math.isfinite(metrics[key]), key
    assert metrics["steps"] == 60 and len(metrics["psnr_val_images"]) == nerf.SCENE["n_val"]
    assert metrics["mesh_threshold"] > 0 and metrics["mesh_vertices"] > 0
    names = ["nerf_views.png", "nerf_depth.png", "nerf_orbit.gif", "nerf_val_000.png", "nerf.ply", "nerf.obj",
             "nerf.npz", "solution.pt", "checkpoint.pt", "scene/transforms_train.json"]
    for name in names:
        assert (out / name).is_file(), name
    from PIL import Image

    with Image.open(out / "nerf_orbit.gif") as gif:
        assert gif.n_frames == 24
    assert main(["validate", "nerf", "--out", str(out), "--quiet"]) == 0
    validation = json.loads((out / "validation.json").read_text())
    assert validation["psnr_val"] == pytest.approx(metrics["psnr_val"], abs=1e-6)
    assert (out / "validation.png").is_file()


def test_data_folder_without_a_dataset_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no views here")
    with pytest.raises(DataError, match=r"has no recognised NeRF dataset; looked for transforms_train\.json"):
        nerf.problem(tmp_path)
    assert main(["run", "nerf", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "has no recognised NeRF dataset" in capsys.readouterr().err


def test_near_not_below_far_is_a_clear_error(ball, tmp_path):
    with pytest.raises(DataError, match=r"near = 6 and far = 2 for .*expected 0 <= near < far"):
        nerf.problem(ball, near=6.0, far=2.0, **TINY)
    folder = write_scene(tmp_path / "swapped", "ball", size=8, n_train=2, n_val=0)
    meta = json.loads((tmp_path / "swapped" / "transforms_train.json").read_text())
    meta["near"], meta["far"] = 6.0, 2.0
    (tmp_path / "swapped" / "transforms_train.json").write_text(json.dumps(meta))
    with pytest.raises(DataError, match="gives near 6 >= far 2"):
        nerf.problem(folder)


@pytest.mark.slow
def test_ball_at_32_pixels_reaches_30_db():
    solution = nerf.solve(progress=False)
    coarse, fine = fields_of(solution)
    settings = solution.info["problem_settings"]
    val = views(None, "val")
    renders = render_views(coarse, fine, val, near=settings["near"], far=settings["far"], lower=settings["lower"],
                           upper=settings["upper"], settings=RenderSettings(settings["n_coarse"], settings["n_fine"]))
    psnr = [10 * np.log10(1 / np.mean((r - t) ** 2)) for r, t in zip(renders.rgb, val.images)]
    assert val.images.shape == (nerf.SCENE["n_val"], 32, 32, 3)
    assert np.mean(psnr) >= 30.0


def test_paper_configuration_and_a_single_field_train(ball):
    paper = nerf.problem(ball, **{**nerf.PAPER["problem"], "rays": 4})
    solution = pf.fit(paper, steps=1, lr=nerf.PAPER["fit"]["lr"], progress=False, derivatives="autograd")
    coarse, fine = fields_of(solution)
    assert coarse is not fine and fine.grid is None and fine.config()["skip"] == 4
    single = nerf.problem(ball, **{**TINY, "n_fine": 0})
    solution = pf.fit(single, steps=3, lr=5e-3, progress=False, derivatives="autograd")
    coarse, fine = fields_of(solution)
    assert coarse is fine and np.all(np.isfinite(solution.history["loss"]))


def test_report_covers_a_test_split(tmp_path):
    folder = write_scene(tmp_path / "scene", "box", size=16, n_train=6, n_val=2, n_test=2)
    solution = nerf.solve(folder, problem_settings=TINY, steps=5, progress=False)
    results, written = nerf.report(solution, str(tmp_path / "out"), "nerf", validation=True)
    for key in ("psnr_test", "ssim_test", "psnr_test_coarse", "depth_error_test"):
        assert math.isfinite(results[key]), key
    assert len(results["psnr_test_images"]) == 2 and (tmp_path / "out" / "validation.json").is_file()
    assert str(tmp_path / "out" / "nerf_test_001.png") in written
