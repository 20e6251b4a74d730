"""The data-fitting problems (images, sound, surfaces): short fits improve, reports carry the
metrics and files, bad data gets clear errors; slow tests train to measured bounds."""

import importlib
import json

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.cli import main
from pinnfield.problems import REGISTRY
from pinnfield.validation.image_report import affine_alignment

FITTING = ("image", "image_poisson_grad", "image_poisson_lap", "audio", "sdf", "occupancy")


def ready(name):
    return importlib.import_module(f"pinnfield.problems.{name}")


def test_every_fitting_problem_is_registered_with_a_report():
    for name in FITTING:
        module = ready(name)
        assert name in REGISTRY
        assert callable(module.report) and "data" in module.solve.__code__.co_varnames
        assert set(module.DEFAULTS) <= {"steps", "lr", "lbfgs_steps", "schedule", "seed", "sampling", "derivatives"}


def small(name):
    """Each problem at a size a test can afford."""
    module = ready(name)
    if name.startswith("image"):
        return module.problem(size=32, net=pf.Siren(in_dim=2, out_dim=1, width=64, depth=2, omega0=30, omega_hidden=30))
    if name == "audio":
        return module.problem(width=64, depth=2, batch=2048)
    if name == "sdf":
        return module.problem(width=32, depth=2, n_surface=512, n_space=512)
    return module.problem(width=64, depth=2, batch=2048, pool=8192)


@pytest.mark.parametrize("name", FITTING)
def test_short_fit_lowers_the_loss_and_stays_finite(name):
    steps = 100 if name == "occupancy" else 40  # the cross-entropy starts at log 2 and falls slowly
    solution = pf.fit(small(name), steps=steps, lr=1e-3, progress=False, seed=1, lbfgs_steps=0)
    loss = np.asarray(solution.history["loss"])
    assert np.all(np.isfinite(loss))
    assert loss[-5:].mean() < 0.8 * loss[:5].mean()


def test_affine_alignment_recovers_scale_and_offset():
    rng = np.random.default_rng(0)
    image = rng.uniform(size=(8, 9))
    a, b = affine_alignment((image - 0.3) / 2.5, image)
    assert a == pytest.approx(2.5) and b == pytest.approx(0.3)


def test_image_run_writes_the_fit_and_its_metrics(tmp_path, capsys):
    out = tmp_path / "image"
    assert main(["run", "image", "--steps", "3", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["pixels"] == [128, 128] and np.isfinite(metrics["psnr"]) and -1 <= metrics["ssim"] <= 1
    for name in ("image.png", "image_fit.png", "image.npz", "solution.pt"):
        assert (out / name).exists()
    assert "psnr" in capsys.readouterr().out
    assert main(["validate", "image", "--out", str(out)]) == 0
    validation = json.loads((out / "validation.json").read_text())
    assert validation["psnr"] == pytest.approx(metrics["psnr"])


def test_validate_refuses_other_data_than_the_solution_was_trained_on(tmp_path, capsys):
    picture = tmp_path / "picture.png"
    import matplotlib.pyplot as plt

    plt.imsave(picture, np.random.default_rng(0).uniform(size=(20, 20)), cmap="gray")
    out = tmp_path / "run"
    assert main(["run", "image", "--steps", "1", "--out", str(out), "--quiet"]) == 0
    assert main(["validate", "image", "--out", str(out), "--data", str(picture)]) == 2
    assert "trained on the built-in default" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content,message",
    [(None, "does not exist"), (b"not an image", "expected a PNG, JPEG, TIFF, BMP or GIF file")],
)
def test_bad_image_data_is_a_one_line_error(tmp_path, capsys, content, message):
    path = tmp_path / "broken.png"
    if content is not None:
        path.write_bytes(content)
    assert main(["run", "image", "--data", str(path), "--steps", "1", "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err


def test_audio_run_writes_a_wav_of_the_fit(tmp_path):
    from scipy.io import wavfile

    rate = 8000
    clip = np.sin(2 * np.pi * 440 * np.arange(rate // 4) / rate).astype(np.float32)
    path = tmp_path / "tone.wav"
    wavfile.write(path, rate, clip)
    out = tmp_path / "audio"
    assert main(["run", "audio", "--data", str(path), "--steps", "2", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["samples"] == len(clip) and metrics["sample_rate"] == rate and np.isfinite(metrics["snr"])
    fitted_rate, fitted = wavfile.read(out / "audio_fit.wav")
    assert fitted_rate == rate and fitted.shape == clip.shape


def test_stereo_audio_asks_for_a_channel(tmp_path, capsys):
    from scipy.io import wavfile

    path = tmp_path / "stereo.wav"
    wavfile.write(path, 8000, np.zeros((800, 2), dtype=np.float32) + 0.1)
    assert main(["run", "audio", "--data", str(path), "--steps", "1", "--out", str(tmp_path / "o")]) == 2
    assert "channel" in capsys.readouterr().err


def test_occupancy_cross_entropy_matches_torch():
    from pinnfield.equations import fitting

    logit, label = sp.symbols("o label")
    expression = sp.lambdify((logit, label), fitting.occupancy_bce(logit, label), "numpy")
    logits = np.array([-40.0, -2.0, 0.0, 1.5, 40.0])
    for value in (0.0, 1.0):
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            torch.tensor(logits), torch.full((5,), value, dtype=torch.float64), reduction="none").numpy()
        np.testing.assert_allclose(expression(logits, value), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.slow
def test_image_fit_at_64_pixels_reaches_its_measured_psnr():
    """Cameraman at 64 x 64, the default network, 300 Adam steps: 37.6 dB measured."""
    module = ready("image")
    solution = pf.fit(module.problem(size=64), **{**module.DEFAULTS, "steps": 300, "progress": False})
    image = module.pixels(size=64)
    values = (solution.evaluate("u", image.points.numpy()).reshape(image.shape) + 1) / 2
    assert pf.metrics.psnr(values, image.image, data_range=1.0) >= 36.0


@pytest.mark.slow
def test_sdf_of_a_sphere_reaches_its_measured_accuracy(tmp_path):
    """An icosphere of radius 0.5, a 2 x 64 Siren with omega0 = 5, 400 steps. Measured: Chamfer
    0.0048 of the diagonal, IoU 0.997, normal consistency 0.999; near the surface f is within
    0.027 (mean) of the exact signed distance r - 0.5."""
    import trimesh

    from pinnfield.validation.shape_report import write_shape_report

    module = ready("sdf")
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.5)
    mesh = pf.Mesh(sphere.vertices, sphere.faces, (module.x, module.y, module.z), half_extent=0.5)
    solution = pf.fit(module.problem(mesh, width=64, depth=2, omega0=5.0, n_surface=1024, n_space=1024),
                      **{**module.DEFAULTS, "steps": 400, "lr": 1e-3, "progress": False})
    metrics, _ = write_shape_report(solution, mesh, "f", str(tmp_path), "sphere", validation=False, resolution=64,
                                    samples=20_000)
    assert metrics["chamfer"] <= 0.01 and metrics["iou"] >= 0.99 and metrics["normal_consistency"] >= 0.99
    directions = np.random.default_rng(0).normal(size=(4000, 3))
    radii = np.random.default_rng(1).uniform(0.4, 0.6, size=(4000, 1))
    points = radii * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    assert np.mean(np.abs(solution.evaluate("f", points) - (radii[:, 0] - 0.5))) <= 0.04


def test_paper_scale_is_only_for_the_fitting_problems(capsys):
    assert main(["run", "poisson", "--paper", "--steps", "1"]) == 2
    assert "has no --paper scale" in capsys.readouterr().err
    for name in FITTING:
        module = ready(name)
        assert set(module.PAPER) == {"problem", "fit"}
        assert set(module.PAPER["problem"]) <= set(module.problem.__code__.co_varnames)


def test_sdf_sign_term_is_the_wrong_sign_part_of_the_field():
    from pinnfield.equations import fitting

    f, inside = sp.symbols("f inside")
    penalty = sp.lambdify((f, inside), fitting.sdf_sign(f, inside), "numpy")
    values = np.array([-0.3, 0.0, 0.2])
    np.testing.assert_allclose(penalty(values, 1.0), [0.0, 0.0, 0.2])
    np.testing.assert_allclose(penalty(values, 0.0), [0.3, 0.0, 0.0])
