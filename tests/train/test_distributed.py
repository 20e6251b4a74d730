"""Data-parallel training: torchrun on 2 CPU processes (gloo) against one process, in float64."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield import cli, distributed
from pinnfield.train.sampling.streams import PointStreams

sys.path.insert(0, os.path.dirname(__file__))
import distributed_worker as worker  # noqa: E402

WORKER = os.path.join(os.path.dirname(__file__), "distributed_worker.py")
EXACT_CASES = ["sgd", "adam_relobralo_lbfgs", "lra"]


def torchrun(out, *cases, timeout=300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", WORKER,
               str(out), *cases]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """The worker's cases, run once by torchrun on 2 processes; ``load(case, rank)`` reads a result."""
    out = tmp_path_factory.mktemp("ranks")
    done = torchrun(out, *EXACT_CASES, "ntk", "resume", "evaluate")
    assert done.returncode == 0, done.stderr[-4000:]
    return lambda case, rank: torch.load(out / f"{case}_rank{rank}.pt", weights_only=False)


def flat(state: dict) -> torch.Tensor:
    return torch.cat([v.flatten() for module in state["modules"] for v in module.values()])


def assert_same_training(result: dict, reference: dict, rtol: float) -> None:
    torch.testing.assert_close(flat(result), flat(reference), rtol=rtol, atol=0)
    assert result["parameters"]["c"] == pytest.approx(reference["parameters"]["c"], rel=rtol)
    for key, values in reference["history"].items():
        np.testing.assert_allclose(result["history"][key], values, rtol=rtol, atol=0, err_msg=key)


@pytest.mark.parametrize("case", EXACT_CASES)
def test_a_step_on_two_processes_equals_one_process_step_on_the_same_points(two_ranks, case):
    """The two ranks' shards of the fixed point sets (65 and 21 points: uneven shares) together are
    the one-process batch, so gradients, loss weights, L-BFGS line searches and the recorded
    history equal the single-process run's; SGD makes a wrong gradient average show in full."""
    single = worker.state(worker.train(case))
    assert single["parameters"]["c"] != worker.c.init
    for rank in (0, 1):
        result = two_ranks(case, rank)
        assert result["info"]["world_size"] == 2
        assert_same_training(result, single, rtol=1e-6)


def test_ntk_weights_and_parameters_are_identical_on_every_rank(two_ranks):
    """NTK probes each rank's own first points, so it differs from one process, but every rank
    sets the same weights from the averaged traces and trains the same parameters."""
    first, second = two_ranks("ntk", 0), two_ranks("ntk", 1)
    assert torch.equal(flat(first), flat(second))
    assert first["history"]["weight:data"] == second["history"]["weight:data"]
    assert first["history"]["weight:data"][-1] != first["history"]["weight:data"][0]


def test_a_distributed_run_resumed_on_as_many_ranks_ends_like_an_uninterrupted_one(two_ranks):
    whole = worker.state(worker.train("adam_relobralo_lbfgs"))
    for rank in (0, 1):
        resumed = two_ranks("resume", rank)
        assert resumed["info"]["steps"] == 9
        assert_same_training(resumed, whole, rtol=1e-6)


def test_evaluation_split_over_the_ranks_equals_evaluation_in_one_process(two_ranks):
    main, other = two_ranks("evaluate", 0), two_ranks("evaluate", 1)
    assert other["shared"] is None
    np.testing.assert_allclose(main["shared"], main["here"], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(main["here"], other["here"])


def test_a_failing_rank_stops_the_others_with_its_error():
    """Rank 1 raises at step 2 of 10,000; torchrun stops rank 0, which would otherwise wait in its
    next all-reduce until the collective timeout (the subprocess timeout catches a hang)."""
    done = torchrun("unused", "fail", timeout=120)
    assert done.returncode != 0
    assert "rank 1 fails on purpose" in done.stderr


# Points shares and sampling streams, checked on rank contexts without a process group.


@pytest.mark.parametrize("n,world", [(10, 2), (11, 2), (7, 3), (3, 3)])
def test_shares_and_shards_split_n_points_into_contiguous_parts(n, world):
    contexts = [distributed.Context(world, r) for r in range(world)]
    shares = [distributed.share(n, c) for c in contexts]
    assert sum(shares) == n and max(shares) - min(shares) <= 1
    rows = np.concatenate([np.arange(n)[distributed.shard(n, c)] for c in contexts])
    np.testing.assert_array_equal(rows, np.arange(n))


def test_each_rank_draws_its_share_from_its_own_stream_and_its_shard_of_a_whole_point_set():
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    box = pf.Box((0, 0), (1, 1), coords=(x, y))
    fixed = pf.Points(np.random.default_rng(0).uniform(size=(9, 2)), coords=(x, y))
    constraints = [pf.Constraint(pf.lap(u, (x, y)), on=box.interior, n=101),
                   pf.Constraint(u, on=fixed, n=None)]
    ranks = [PointStreams(constraints, ["a", "b"], 0, pf.sampling.Uniform(), "cpu", torch.float64, None,
                          distributed.Context(2, r))
             for r in (0, 1)]
    batches = [s.sample() for s in ranks]
    assert [len(b[0][0]) for b in batches] == [51, 50]
    assert not np.isin(batches[0][0][0].numpy(), batches[1][0][0].numpy()).any()
    np.testing.assert_array_equal(torch.cat([b[1][0] for b in batches]).numpy(), fixed.points.numpy())
    assert ranks[0].scales == [2 * 51 / 101, 2 * 5 / 9] and ranks[1].scales == [2 * 50 / 101, 2 * 4 / 9]
    single = PointStreams(constraints, ["a", "b"], 0, pf.sampling.Uniform(), "cpu", torch.float64, None).sample()
    assert len(single[0][0]) == 101 and not torch.equal(single[0][0][:51], batches[0][0][0])


def test_a_term_with_fewer_points_than_ranks_is_a_clear_error():
    x = sp.Symbol("x")
    u = sp.Function("u")(x)
    constraints = [pf.Constraint(u, on=pf.Interval(0, 1, x).boundary, n=2, name="ends")]
    with pytest.raises(pf.DataError, match=r"'ends' draws 2 point\(s\) per step, fewer than the 3 ranks"):
        PointStreams(constraints, ["ends"], 0, pf.sampling.Uniform(), "cpu", torch.float64, None,
                     distributed.Context(3, 2))


# Bad input.


def test_distributed_without_a_process_group_names_torchrun(monkeypatch):
    for name in distributed.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(pf.DataError, match=r"RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT are not set.*torchrun"):
        worker.train("sgd", distributed=True)


def test_a_rank_outside_the_world_size_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29999")
    with pytest.raises(pf.DataError, match=r"RANK=2 and WORLD_SIZE=2"):
        worker.train("sgd", distributed=True)


def test_distributed_must_be_a_bool_or_none():
    with pytest.raises(pf.OptionError, match="distributed must be True, False or None"):
        worker.train("sgd", distributed="yes")


def test_nproc_must_be_positive_and_at_most_the_gpus(monkeypatch, capsys):
    assert cli.main(["run", "poisson", "--nproc", "0"]) == 2
    assert "--nproc must be >= 1" in capsys.readouterr().err
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert cli.main(["run", "poisson", "--nproc", "4"]) == 2
    assert "this machine's 2 GPU(s)" in capsys.readouterr().err


def test_the_processes_are_started_with_the_command_less_its_nproc():
    assert cli._without_nproc(["run", "poisson", "--nproc", "2", "--steps", "5", "--nproc=3"]) == \
        ["run", "poisson", "--steps", "5"]


@pytest.mark.slow
def test_run_with_nproc_writes_one_report_and_resumes_on_one_process(tmp_path):
    """``pinnfield run poisson --nproc 2``: rank 0 writes the report and checkpoints; the run
    resumes on one process, with a warning that the sampling streams are new."""
    out = tmp_path / "run"
    command = [sys.executable, "-m", "pinnfield.cli", "run", "poisson", "--steps", "30", "--lbfgs-steps", "0",
               "--checkpoint-every", "10", "--quiet", "--out", str(out)]
    done = subprocess.run(command + ["--nproc", "2"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["steps"] == 30
    assert metrics["rel_l2_exact"] < 1.0
    assert {"poisson.vtu", "poisson.png", "checkpoint.pt", "solution.pt"} <= set(os.listdir(out))
    resumed = subprocess.run(command[:-2] + ["--resume", str(out), "--steps", "40"], capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    assert "written by 2 rank(s), on 1" in resumed.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 1 and metrics["steps"] == 40
    assert len(pf.Solution.load(str(out / "solution.pt")).history["loss"]) == 40


@pytest.mark.slow
def test_poisson_on_two_processes_reaches_the_single_process_target(tmp_path):
    """``pinnfield run poisson --nproc 2`` with the problem's defaults: rel L2 <= 1e-3 against the
    exact solution and the FD reference, the target of the one-process run (tests/test_cli.py)."""
    out = tmp_path / "poisson"
    done = subprocess.run([sys.executable, "-m", "pinnfield.cli", "run", "poisson", "--nproc", "2", "--quiet",
                           "--checkpoint-every", "0", "--out", str(out)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["steps"] == 2000
    assert metrics["rel_l2_exact"] <= 1e-3 and metrics["rel_l2_fd"] <= 1e-3
