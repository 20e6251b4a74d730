"""The pinnfield command, run as a user runs it."""

import json
import subprocess
import sys

import numpy as np
import pytest

from pinnfield.cli import main


def pinnfield(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pinnfield.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_list_names_the_ready_problems(capsys):
    assert main(["list"]) == 0
    assert "poisson" in capsys.readouterr().out


def test_short_run_writes_every_file_and_validate_reuses_it(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "poisson", "--steps", "30", "--lbfgs-steps", "5", "--out", str(out), "--quiet"]) == 0
    for name in ("metrics.json", "poisson.png", "poisson.vtu", "poisson.npz", "solution.pt"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("rel_l2_exact", "rel_l2_fd", "max_abs_exact", "fd_rel_l2_exact", "steps", "wall_seconds",
                "device", "seed", "versions"):
        assert key in metrics, key
    assert metrics["steps"] == 35
    assert metrics["fd_rel_l2_exact"] < 1e-4
    assert main(["validate", "poisson", "--out", str(out), "--quiet"]) == 0
    validation = json.loads((out / "validation.json").read_text())
    assert validation["rel_l2_exact"] == pytest.approx(metrics["rel_l2_exact"])
    assert (out / "validation.png").stat().st_size > 0


def test_adaptive_schemes_are_one_flag_each(tmp_path):
    from pinnfield.train.checkpoints import saved_settings

    out = tmp_path / "run"
    assert main(["run", "poisson", "--steps", "20", "--lbfgs-steps", "4", "--lbfgs-resample-every", "2",
                 "--weighting", "lra", "--sampling", "rard", "--out", str(out), "--quiet"]) == 0
    settings = saved_settings(str(out / "checkpoint.pt"))
    assert settings["weighting"]["scheme"] == "LRA"
    assert settings["sampling"]["scheme"] == "RARD"
    assert settings["phases"][1]["resample_every"] == 2
    history = json.loads((out / "poisson_history.json").read_text())
    assert any(key.startswith("weight:") for key in history)


def test_compile_flag_runs_the_compiled_kernels(tmp_path, monkeypatch):
    import torch

    kernels = []
    monkeypatch.setattr(torch, "compile", lambda kernel, **options: kernels.append(kernel.__name__) or kernel)
    out = tmp_path / "run"
    assert main(["run", "poisson", "--steps", "2", "--lbfgs-steps", "0", "--compile", "--out", str(out), "--quiet"]) == 0
    assert {"sine_forward", "sine_backward"} <= set(kernels)
    assert json.loads((out / "metrics.json").read_text())["compile"] is True


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "heat"], "no ready problem named 'heat'"),
        (["run", "poisson", "--device", "cuda:7"], "is not available"),
        (["run", "poisson", "--data", "images/"], "takes no --data"),
        (["run", "poisson", "--steps", "-3"], "--steps must be >= 0"),
        (["run", "poisson", "--resume", "no-such-run"], "--resume 'no-such-run' holds no checkpoint.pt"),
        (["run", "poisson", "--lbfgs-resample-every", "0"], "--lbfgs-resample-every must be >= 1"),
    ],
)
def test_bad_input_is_a_one_line_error_not_a_traceback(args, message):
    result = pinnfield(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_default_poisson_run_reaches_the_accuracy_target(tmp_path):
    """The README's main job: rel L2 <= 1e-3 against the analytic solution on a 101 x 101 grid."""
    result = pinnfield("run", "poisson", "--out", str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["rel_l2_exact"] <= 1e-3
    assert metrics["rel_l2_fd"] <= 1e-3


def test_time_dependent_run_writes_snapshots_and_a_vtu_series(tmp_path):
    out = tmp_path / "wave"
    assert main(["run", "wave1d", "--steps", "5", "--lbfgs-steps", "0", "--out", str(out), "--quiet"]) == 0
    for name in ("metrics.json", "wave1d.png", "wave1d.npz", "wave1d.pvd", "wave1d_0000.vtu", "wave1d_0100.vtu"):
        assert (out / name).stat().st_size > 0, name
    assert "wave1d_0100.vtu" in (out / "wave1d.pvd").read_text()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["fd_rel_l2_exact"] < 1e-3
    assert {"rel_l2_exact", "rel_l2_fd", "max_abs_fd", "wall_seconds", "steps"} <= set(metrics)


def test_complex_problem_reports_each_part_on_its_mask(tmp_path):
    out = tmp_path / "source"
    assert main(["run", "helmholtz_source", "--steps", "2", "--lbfgs-steps", "0", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for part in ("u_re", "u_im"):
        assert (out / f"helmholtz_source_{part}.png").stat().st_size > 0
        assert metrics[f"fd_rel_l2_exact_{part}"] < 0.05
        assert np.isfinite(metrics[f"rel_l2_exact_{part}"])


def test_an_interrupted_run_resumes_from_its_folder_to_the_uninterrupted_result(tmp_path, monkeypatch, capsys):
    import torch

    import pinnfield as pf

    settings = ["--steps", "6", "--lbfgs-steps", "0", "--quiet"]
    assert main(["run", "poisson", *settings, "--out", str(tmp_path / "whole")]) == 0
    original, calls = torch.optim.Adam.step, []

    def step(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    part = tmp_path / "part"
    assert main(["run", "poisson", *settings, "--checkpoint-every", "2", "--out", str(part)]) == 130
    assert f"continue with 'pinnfield run poisson --resume {part}'" in capsys.readouterr().err
    assert pf.Solution.load(str(part / "checkpoint.pt")).info["steps"] == 3
    monkeypatch.undo()
    assert main(["run", "poisson", "--resume", str(part), "--quiet"]) == 0
    metrics = json.loads((part / "metrics.json").read_text())
    assert metrics["steps"] == 6
    resumed, whole = (pf.Solution.load(str(d / "solution.pt")) for d in (part, tmp_path / "whole"))
    for a, b in zip(resumed.modules[0].parameters(), whole.modules[0].parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=0)
