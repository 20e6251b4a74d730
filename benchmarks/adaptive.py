"""Adaptive loss weights and residual-based sampling against the fixed-weight, uniform baseline.

    python benchmarks/adaptive.py [--steps 1500] [--lbfgs-steps 0] [--lbfgs-rounds 10] [--points N]
                                  [--problems wave1d burgers] [--seeds 0 1 2]
                                  [--schemes baseline lra relobralo ntk rard r3 causal rard+causal] [--json PATH]

Every run trains the problem's default network (``problem()`` of ``pinnfield.problems.NAME``)
with fit's defaults (Adam, lr 1e-3, cosine schedule, points redrawn every step) for the
same number of Adam steps, then ``--lbfgs-steps`` L-BFGS iterations in ``--lbfgs-rounds``
rounds, each on a new draw of points (``lbfgs_resample_every``: uniform for the baseline,
the scheme's for a sampling scheme); on the CPU with one thread, one run after another.
``--points`` sets the PDE residual's point budget n (default: the problem's).
``--seeds`` runs every scheme once per seed (network initialisation and points).
Weighting schemes adapt during the Adam steps; through L-BFGS, LRA and ReLoBRaLo keep their
last weights and NTK and HeldOut set new ones every round.
Schemes (``+`` combines them, e.g. ``rard+relobralo``):

- ``baseline``: the constraints' fixed weights, uniform points;
- ``lra``: ``pf.weighting.LRA()`` (alpha 0.9, every 10 steps);
- ``relobralo``: ``pf.weighting.ReLoBRaLo()`` (alpha 0.999, T 0.1, rho 0.999);
- ``ntk``: ``pf.weighting.NTK()`` (every 100 steps and every L-BFGS round, alpha 0.9, 32 points);
- ``heldout``: ``pf.weighting.HeldOut()`` (at the start of every L-BFGS round; the Adam steps
  keep the constraints' weights);
- ``rard``: ``pf.sampling.RARD()`` (k 1, c 1, 4 n candidates) on the PDE residual's points,
  redrawn every :data:`RARD_EVERY` steps;
- ``r3``: ``pf.sampling.R3()`` on the PDE residual's points;
- ``causal``: the problem's ``causal_epsilon`` option (:data:`CAUSAL_EPSILON`);
- ``interior10``: not adaptive: the fixed weight of the PDE residual (the term ``interior``)
  raised from 1 to 10, to compare the adaptive schemes with a hand-set balance.

Printed: a markdown table of the final relative L2 error on the problem's evaluation grid
against its exact solution (wave1d) or Cole-Hopf reference (burgers), per seed and its
geometric mean over the seeds, the ratio of the baseline's geometric mean to the scheme's
(above 1: better than the baseline) and the mean wall time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time

import numpy as np
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.io import grid_points

CAUSAL_EPSILON = {"wave1d": 100.0, "burgers": 10.0}
"""pf.Causal epsilon per problem: about 3 over the summed slab losses early in training
(residual losses of about 1e-3 for wave1d, 1e-2 for burgers, over 32 slabs)."""

RARD_EVERY = 10
"""RAR-D redraws every this many steps: with its residual evaluation on 4 n candidates at every
step a wave1d run of 1500 steps took 518 s, the baseline 184 s (both on a shared machine)."""

PARTS = {
    "baseline": lambda: {},
    "lra": lambda: {"weighting": pf.weighting.LRA()},
    "relobralo": lambda: {"weighting": pf.weighting.ReLoBRaLo()},
    "ntk": lambda: {"weighting": pf.weighting.NTK()},
    "heldout": lambda: {"weighting": pf.weighting.HeldOut()},
    "rard": lambda: {"sampling": pf.sampling.RARD(), "resample_every": RARD_EVERY},
    "r3": lambda: {"sampling": pf.sampling.R3()},
    "causal": lambda: {},
    "interior10": lambda: {"weighting": {"interior": 10.0}},
}


def scheme_settings(scheme: str, problem: str) -> tuple[dict, dict]:
    """(problem() options, fit() options) of a scheme such as ``lra+r3+causal``."""
    problem_options, fit_options = {}, {}
    for part in scheme.split("+"):
        if part not in PARTS:
            raise SystemExit(f"unknown scheme part {part!r}; expected {' '.join(PARTS)} joined by '+'")
        if part == "causal":
            problem_options["causal_epsilon"] = CAUSAL_EPSILON[problem]
        overlap = set(fit_options) & set(PARTS[part]())
        if overlap:
            raise SystemExit(f"{scheme!r} sets {', '.join(sorted(overlap))} twice")
        fit_options.update(PARTS[part]())
    return problem_options, fit_options


def reference(module, axes) -> np.ndarray:
    """The exact solution on the grid, or the problem's ``exact`` reference array."""
    problem = module.problem()
    if problem.exact:
        points = grid_points(axes)
        exact = sp.lambdify(problem.coords, next(iter(problem.exact.values())), "numpy")
        return np.broadcast_to(np.asarray(exact(*points.T), dtype=float), (len(points),))
    return np.asarray(module.references(axes)["exact"]).reshape(-1)


def run(name: str, scheme: str, steps: int, target: np.ndarray, axes, seed: int = 0, lbfgs_steps: int = 0,
        lbfgs_rounds: int = 10, points: int | None = None) -> dict:
    module = importlib.import_module(f"pinnfield.problems.{name}")
    problem_options, fit_options = scheme_settings(scheme, name)
    if points is not None:
        problem_options["n_interior"] = points
    if lbfgs_steps:
        fit_options["lbfgs_resample_every"] = max(1, lbfgs_steps // lbfgs_rounds)
    started = time.perf_counter()
    solution = pf.fit(module.problem(**problem_options), steps=steps, lbfgs_steps=lbfgs_steps, seed=seed,
                      device="cpu", progress=False, **fit_options)
    wall = time.perf_counter() - started
    field = str(next(iter(solution.slots)).func)
    values = solution.evaluate(field, grid_points(axes))
    return {"problem": name, "scheme": scheme, "steps": steps, "lbfgs_steps": lbfgs_steps, "points": points,
            "seed": seed, "rel_l2": pf.metrics.rel_l2(values, target), "wall_seconds": wall}


def _geometric_mean(values) -> float:
    return float(np.exp(np.mean(np.log(values))))


def table(results: list[dict]) -> str:
    """Markdown: per problem and scheme, the rel L2 of each seed, their geometric mean and the
    baseline's geometric mean over it."""
    seeds = sorted({r["seed"] for r in results})
    rows: dict = {}
    for r in results:
        rows.setdefault((r["problem"], r["scheme"]), []).append(r)
    header = ["problem", "scheme"] + [f"rel L2 seed {s}" for s in seeds] + ["geometric mean", "baseline / scheme", "wall"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (problem, scheme), runs in rows.items():
        by_seed = {r["seed"]: r["rel_l2"] for r in runs}
        mean = _geometric_mean(list(by_seed.values()))
        base = rows.get((problem, "baseline"))
        ratio = f"{_geometric_mean([r['rel_l2'] for r in base]) / mean:.2f}x" if base else ""
        cells = [f"{by_seed[s]:.2e}" if s in by_seed else "" for s in seeds]
        wall = np.mean([r["wall_seconds"] for r in runs])
        lines.append(f"| `{problem}` | {scheme} | " + " | ".join(cells) + f" | {mean:.2e} | {ratio} | {wall:.0f} s |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500, help="Adam steps of every run (default 1500)")
    parser.add_argument("--lbfgs-steps", type=int, default=0, help="L-BFGS iterations after the Adam steps (default 0)")
    parser.add_argument("--lbfgs-rounds", type=int, default=10,
                        help="rounds the L-BFGS iterations are split into, each on a new draw of points (default 10)")
    parser.add_argument("--points", type=int, help="points of the PDE residual per draw (default: the problem's)")
    parser.add_argument("--problems", nargs="+", default=["wave1d", "burgers"], choices=sorted(CAUSAL_EPSILON))
    parser.add_argument("--schemes", nargs="+",
                        default=["baseline", "lra", "relobralo", "ntk", "rard", "r3", "causal", "rard+relobralo",
                                 "rard+causal"],
                        help="schemes, parts joined by '+' (default: every single scheme and two combinations)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds; every scheme runs once per seed (default 0)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    for scheme in args.schemes:
        scheme_settings(scheme, args.problems[0])
    torch.set_num_threads(1)
    results = []
    for name in args.problems:
        module = importlib.import_module(f"pinnfield.problems.{name}")
        axes = module.evaluation_axes()
        target = reference(module, axes)
        for seed in args.seeds:
            for scheme in args.schemes:
                result = run(name, scheme, args.steps, target, axes, seed, args.lbfgs_steps, args.lbfgs_rounds,
                             args.points)
                results.append(result)
                print(f"{name:<8} {scheme:<20} seed {seed}  rel L2 {result['rel_l2']:.3e}  "
                      f"{result['wall_seconds']:.0f} s", flush=True)
            if args.json:
                os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
                with open(args.json, "w") as handle:
                    json.dump(results, handle, indent=1)
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
