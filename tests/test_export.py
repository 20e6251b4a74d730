"""Files a user opens after a run: history CSV/JSON, TensorBoard scalars, residual maps in .npz/.vtu."""

import csv
import glob
import json
import math
import os
import sys
import types

import meshio
import numpy as np
import pytest
import sympy as sp

import pinnfield as pf
from pinnfield import io
from pinnfield.cli import main
from pinnfield.validation.report import write_report


def synthetic_history(n=7):
    steps = list(range(n))
    return {
        "step": steps,
        "loss": [1.0 / (k + 1) + 1e-13 * k for k in steps],
        "interior": [math.pi ** -k for k in steps],
        "Re boundary": np.linspace(0.1, 0.2, n).tolist(),
        "param:c": [1.5 + 0.1 * k for k in steps],
        "parameters": {"k": [2.0 * k for k in steps], "bad": [1.0]},
        "short": [1.0, 2.0],
        "words": ["a"] * n,
        "flags": [True] * n,
        "scalar": 3.0,
    }


def read_csv(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    return {name: [float(row[i]) for row in body] for i, name in enumerate(header)}, header


def test_history_round_trips_through_csv_and_json(tmp_path):
    history = synthetic_history()
    written = io.write_history(str(tmp_path), "demo", history, tensorboard=False)
    assert written == [str(tmp_path / "demo_history.csv"), str(tmp_path / "demo_history.json")]
    expected = ["step", "loss", "interior", "Re boundary", "param:c", "parameters:k"]
    columns, header = read_csv(written[0])
    assert header == expected
    loaded = json.loads((tmp_path / "demo_history.json").read_text())
    assert list(loaded) == expected
    nested = {"parameters:k": history["parameters"]["k"]}
    for name in expected:
        want = nested.get(name, history.get(name))
        for got in (columns[name], loaded[name]):
            assert len(got) == 7
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert loaded["step"] == list(range(7)) and all(isinstance(s, int) for s in loaded["step"])


def test_history_without_steps_counts_rows_and_writes_non_finite_values(tmp_path):
    io.write_history(str(tmp_path), "demo", {"loss": [1.0, float("nan"), float("inf")], "x": [1]},
                     tensorboard=False)
    columns, header = read_csv(tmp_path / "demo_history.csv")
    assert header == ["step", "loss"] and columns["step"] == [0, 1, 2]
    assert math.isnan(columns["loss"][1]) and columns["loss"][2] == math.inf
    assert json.loads((tmp_path / "demo_history.json").read_text())["loss"] == [1.0, None, None]
    io.write_history(str(tmp_path), "empty", {}, tensorboard=False)
    assert (tmp_path / "empty_history.csv").read_text().strip() == "step"


@pytest.mark.parametrize("failing", ["csv", "json"])
def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch, failing):
    io.write_history(str(tmp_path), "demo", synthetic_history(3), tensorboard=False)
    target = tmp_path / f"demo_history.{failing}"
    before = target.read_text()

    def broken(*args, **kwargs):
        assert glob.glob(str(tmp_path / ".tmp-*")), "the temporary file exists while writing"
        raise OSError("disk full")

    monkeypatch.setattr(io.csv if failing == "csv" else io.json, "writer" if failing == "csv" else "dump", broken)
    with pytest.raises(OSError, match="disk full"):
        io.write_history(str(tmp_path), "demo", synthetic_history(5), tensorboard=False)
    assert target.read_text() == before
    assert not glob.glob(str(tmp_path / ".tmp-*"))


def test_tensorboard_absent_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    assert io.write_tensorboard(str(tmp_path / "tensorboard"), synthetic_history()) is None
    written = io.write_history(str(tmp_path), "demo", synthetic_history())
    assert len(written) == 2 and not (tmp_path / "tensorboard").exists()


def test_tensorboard_present_writes_every_column_as_scalars(tmp_path, monkeypatch):
    writers = []

    class SummaryWriter:
        def __init__(self, log_dir):
            self.log_dir, self.scalars, self.closed = log_dir, [], False
            writers.append(self)

        def add_scalar(self, tag, value, global_step):
            self.scalars.append((tag, value, global_step))

        def flush(self):
            pass

        def close(self):
            self.closed = True

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", types.SimpleNamespace(SummaryWriter=SummaryWriter))
    old = tmp_path / "tensorboard" / "events.out.tfevents.1.old"
    old.parent.mkdir()
    old.write_text("earlier run")
    history = synthetic_history(4)
    written = io.write_history(str(tmp_path), "demo", history)
    assert written[-1] == str(tmp_path / "tensorboard") and not old.exists()
    (writer,) = writers
    assert writer.log_dir == str(tmp_path / "tensorboard") and writer.closed
    tags = sorted({tag for tag, _, _ in writer.scalars})
    assert tags == ["loss/Re boundary", "loss/interior", "loss/total", "param/c", "parameters/k"]
    assert [(v, s) for tag, v, s in writer.scalars if tag == "param/c"] == list(zip(history["param:c"], range(4)))


def test_pinnfield_run_writes_history_and_residual_maps(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "poisson", "--steps", "5", "--lbfgs-steps", "0", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    for name in ("poisson_history.csv", "poisson_history.json"):
        assert str(out / name) in printed
    columns, header = read_csv(out / "poisson_history.csv")
    assert header == ["step", "loss", "interior", "boundary"] and columns["step"] == [0, 1, 2, 3, 4]
    arrays = np.load(out / "poisson.npz")
    assert arrays["residual_interior"].shape == arrays["u"].shape == (101, 101)
    assert np.all(np.isfinite(arrays["residual_interior"]))
    assert "residual_boundary" not in arrays
    mesh = meshio.read(out / "poisson.vtu")
    assert {"u", "u_exact", "u_fd", "residual_interior"} <= set(mesh.point_data)
    np.testing.assert_allclose(mesh.point_data["residual_interior"], arrays["residual_interior"].reshape(-1))


x, t = sp.symbols("x t")
u = sp.Function("u")(x, t)
HEAT = sp.sin(sp.pi * x) * sp.exp(-sp.pi ** 2 * t)


def heat_module():
    """A space-time problem module: a heat residual on the interior, a second residual on a
    sub-domain x <= 1/2, and boundary and initial terms that are not mapped."""
    domain = pf.Interval(0, 1, x) * pf.TimeInterval(0, 1, t)
    left = pf.Interval(0, 0.5, x) * pf.TimeInterval(0, 1, t)
    residual = u.diff(t) - u.diff(x, 2)

    def problem():
        return pf.Problem(
            fields={u: pf.Siren(in_dim=2, out_dim=1, width=8, depth=1, omega0=3.0, omega_hidden=3.0)},
            constraints=[
                pf.Constraint(residual, on=domain.interior, n=64),
                pf.Constraint(u - 1, on=left.interior, n=16, name="patch"),
                pf.Constraint(residual, on=left.interior, n=16, name="again"),
                pf.Constraint(u, on=domain.boundary, n=16),
                pf.Constraint(u - HEAT, on=domain.initial, n=16, name="initial value"),
            ],
            exact={u: HEAT},
        )

    return types.SimpleNamespace(
        problem=problem, TIME=t, references=lambda axes: {},
        evaluation_axes=lambda: (np.linspace(0, 1, 5), np.linspace(0, 1, 3)),
    )


def test_time_series_frames_hold_the_interior_residuals(tmp_path):
    module = heat_module()
    solution = pf.fit(module.problem(), steps=2, seed=0, progress=False)
    _, written = write_report(module, solution, str(tmp_path), "heat", validation=False)
    assert str(tmp_path / "heat_history.csv") in written
    arrays = np.load(tmp_path / "heat.npz")
    assert sorted(k for k in arrays if k.startswith("residual_")) == ["residual_interior", "residual_patch"]
    assert arrays["residual_interior"].shape == arrays["u"].shape == (5, 3)
    assert np.all(np.isfinite(arrays["residual_interior"]))
    patch = arrays["residual_patch"]
    assert np.all(np.isfinite(patch[:3])) and np.all(np.isnan(patch[3:]))
    frames = sorted(glob.glob(str(tmp_path / "heat_*.vtu")))
    assert len(frames) == 3 and os.path.exists(tmp_path / "heat.pvd")
    last = meshio.read(frames[-1])
    assert {"u", "u_exact", "residual_interior", "residual_patch"} <= set(last.point_data)
    np.testing.assert_allclose(last.point_data["residual_interior"], arrays["residual_interior"][:, -1])
