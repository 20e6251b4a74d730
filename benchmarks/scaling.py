"""Data-parallel throughput: training points per second on 1, 2, ... processes (torchrun).

The problem is Poisson 2-D (-lap u = f on the unit square, u = 0 on its boundary) on a Siren of
3 hidden layers of 256 sine units, trained by Adam with ``--points`` interior points and an
eighth as many boundary points a step: the global batch stays the same whatever the number
of processes, which share it (``fit(distributed=...)``, see ``pinnfield.distributed``). For
each process count N the script starts ``torchrun --standalone --nproc-per-node N`` on itself;
rank 0 times the steps after ``--warmup`` (a callback stamps every step), and the table gives
milliseconds per step, points per second, the speed-up over one process and the efficiency
(speed-up / N). On the CPU each process gets cpu_count / N threads (OMP_NUM_THREADS), so every
row uses the whole machine; on CUDA each process gets a GPU of its own.

    python benchmarks/scaling.py [--ranks 1 2] [--points 8192] [--steps 40] [--warmup 5] [--device cpu]

On a multi-GPU node:

    python benchmarks/scaling.py --ranks 1 2 4 8 --device cuda --points 65536

Across machines, start the worker with torchrun's rendezvous on every machine, for example
``torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29400
benchmarks/scaling.py --worker OUT.json --device cuda``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import poisson

WIDTH, DEPTH = 256, 3


def problem(points: int) -> pf.Problem:
    x, y = sp.symbols("x y")
    u = sp.Function("u")(x, y)
    exact = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    return pf.Problem(
        fields={u: pf.Siren(in_dim=2, out_dim=1, width=WIDTH, depth=DEPTH)},
        constraints=[pf.Constraint(poisson.residual(u, poisson.source(exact, (x, y)), (x, y)), on=square.interior,
                                   n=points),
                     pf.Constraint(u, on=square.boundary, n=max(points // 8, 1))],
    )


def worker(out: str, points: int, steps: int, warmup: int, device: str) -> None:
    """One rank of the run: train, and on rank 0 write the step times to ``out``."""
    stamps = []

    def stamp(step, solution):
        if step == warmup or step == steps:
            if solution.device.type == "cuda":
                torch.cuda.synchronize(solution.device)
            stamps.append(time.perf_counter())

    solution = pf.fit(problem(points), steps=steps, lr=1e-3, schedule="constant", device=device, progress=False,
                      callback=stamp)
    if pf.distributed.is_main():
        seconds = (stamps[1] - stamps[0]) / (steps - warmup)
        record = {"ranks": solution.info["world_size"], "device": solution.info["device"],
                  "threads": torch.get_num_threads(), "ms_per_step": 1e3 * seconds,
                  "points_per_second": (points + max(points // 8, 1)) / seconds}
        with open(out, "w") as file:
            json.dump(record, file)


def measure(ranks: int, args) -> dict:
    """Run the worker on ``ranks`` processes; its record."""
    environment = dict(os.environ)
    if args.device == "cpu" and "OMP_NUM_THREADS" not in os.environ:
        environment["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // ranks))
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "record.json")
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={ranks}",
                   os.path.abspath(__file__), "--worker", out, "--points", str(args.points), "--steps",
                   str(args.steps), "--warmup", str(args.warmup), "--device", args.device]
        subprocess.run(command, check=True, env=environment)
        with open(out) as file:
            return json.load(file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2], help="process counts to run")
    parser.add_argument("--points", type=int, default=8192, help="interior points per step, all ranks together")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5, help="first steps left out of the timing")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", help="also write the table to this JSON file")
    parser.add_argument("--worker", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps <= args.warmup:
        parser.error("--steps must exceed --warmup")
    if args.worker:
        worker(args.worker, args.points, args.steps, args.warmup, args.device)
        return
    rows = [measure(n, args) for n in args.ranks]
    base = next((r["points_per_second"] for r in rows if r["ranks"] == 1), rows[0]["points_per_second"])
    print(f"\nPoisson 2-D, Siren {DEPTH}x{WIDTH}, {args.points} + {args.points // 8} points a step, "
          f"{args.steps - args.warmup} timed Adam steps, {args.device}")
    print(f"{'ranks':>5} {'threads/rank':>12} {'ms/step':>9} {'points/s':>10} {'speed-up':>9} {'efficiency':>10}")
    for row in rows:
        speedup = row["points_per_second"] / base
        row.update(speedup=speedup, efficiency=speedup / row["ranks"])
        print(f"{row['ranks']:>5} {row['threads']:>12} {row['ms_per_step']:>9.1f} {row['points_per_second']:>10.0f} "
              f"{speedup:>8.2f}x {row['efficiency']:>9.0%}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(rows, file, indent=2)


if __name__ == "__main__":
    main()
