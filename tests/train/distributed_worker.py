"""Runs under torchrun for tests/test_distributed.py: ``torchrun --nproc-per-node 2 distributed_worker.py OUT CASE...``.

Each case trains :func:`problem` on every rank and saves, per rank, what the test compares with a
single-process run to ``OUT/CASE_rank<r>.pt``; the case ``fail`` makes rank 1 raise at step 2.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import sympy as sp
import torch

import pinnfield as pf

x = sp.Symbol("x")
u = sp.Function("u")(x)
c = pf.Parameter("c", init=0.5)


def problem() -> pf.Problem:
    """u'' = -pi^2 c sin(pi x) at 65 fixed points and u = sin(pi x) at 21 fixed points, in float64:
    point sets taken whole, so that the ranks' shards together are the single-process batch
    (65 and 21 points split unevenly over 2 ranks)."""
    rng = np.random.default_rng(0)
    inner = rng.uniform(-1, 1, (65, 1))
    data = np.linspace(-1, 1, 21)[:, None]
    return pf.Problem(
        fields={u: pf.Siren(in_dim=1, out_dim=1, width=16, depth=2, omega0=3.0)},
        constraints=[
            pf.Constraint(sp.diff(u, x, 2) + sp.pi**2 * c * sp.sin(sp.pi * x), on=pf.Points(inner, coords=(x,)),
                          name="pde"),
            pf.Constraint(u - sp.Symbol("g"), on=pf.Points(data, coords=(x,), values={"g": np.sin(np.pi * data[:, 0])}),
                          name="data", weight=3.0),
        ],
    )


CASES = {
    "sgd": dict(steps=1, optimizer="sgd", lr=0.1),
    "adam_relobralo_lbfgs": dict(steps=5, lr=1e-2, weighting=pf.weighting.ReLoBRaLo(), lbfgs_steps=4),
    "lra": dict(steps=4, lr=1e-2, weighting=pf.weighting.LRA(every=2)),
    "ntk": dict(steps=4, lr=1e-2, weighting=pf.weighting.NTK(every=2, points=8)),
}
"""fit() settings of each case (float64, CPU, seed 0)."""


def train(case: str, **extra) -> pf.Solution:
    return pf.fit(problem(), dtype=torch.float64, device="cpu", progress=False, **{**CASES[case], **extra})


def state(solution: pf.Solution) -> dict:
    return {"modules": [{k: v.clone() for k, v in m.state_dict().items()} for m in solution.modules],
            "parameters": dict(solution.parameters), "history": solution.history, "info": solution.info}


def run_case(out: str, case: str, rank: int) -> None:
    if case == "fail":
        def fail_on_rank_1(step, solution):
            if rank == 1 and step == 2:
                raise RuntimeError("rank 1 fails on purpose")
        pf.fit(problem(), steps=10_000, dtype=torch.float64, device="cpu", progress=False, callback=fail_on_rank_1)
        return
    if case == "resume":
        path = os.path.join(out, "checkpoint.pt")
        train("adam_relobralo_lbfgs", checkpoint=path, callback=lambda step, s: step == 3)
        result = train("adam_relobralo_lbfgs", resume=path)
    elif case == "evaluate":
        result = train("sgd")
        points = np.linspace(-1, 1, 1001)[:, None]
        with pf.distributed.sharing(result) as split:
            shared = split.evaluate(sp.diff(u, x), points) if pf.distributed.is_main() else None
        if not pf.distributed.is_main():
            pf.distributed.serve_evaluations(result)
        torch.save({"shared": shared, "here": result.evaluate(sp.diff(u, x), points)},
                   os.path.join(out, f"{case}_rank{rank}.pt"))
        return
    else:
        result = train(case)
    torch.save(state(result), os.path.join(out, f"{case}_rank{rank}.pt"))


if __name__ == "__main__":
    for name in sys.argv[2:]:
        run_case(sys.argv[1], name, int(os.environ["RANK"]))
