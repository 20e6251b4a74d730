"""How much of the machine's matmul throughput a pinnfield training step achieves.

1. Peak: the best GFLOP/s of float32 matmuls of the shapes a width-256 step multiplies
   ((N, 256) x (256, 256) for N = 8192 and 65536; 2048-square for reference), on all threads.
2. Step: one jet training step of a 3 x 256 Siren on N points (``fit`` with a callback
   timing consecutive steps, ``step_time.runner``), for -lap(u) - f in (x, y) and the wave
   operator in (t, x, y). Its matmul FLOPs (forward and backward, counted at dispatch by
   ``step_time.step_gflop``) divided by its median time give the achieved
   GFLOP/s; elementwise work (sin, cos, products) is not counted, so the fraction is a floor.

    python benchmarks/roofline.py [--points 8192] [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from step_time import runner, step_gflop


def matmul_gflops(rows: int, inner: int, cols: int, repeats: int) -> float:
    a, b = torch.randn(rows, inner), torch.randn(inner, cols)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * rows * inner * cols / min(times) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32")
    shapes = [(args.points, 256, 256), (65536, 256, 256), (2048, 2048, 2048)]
    peaks = {shape: matmul_gflops(*shape, repeats=args.repeats) for shape in shapes}
    for (m, k, n), gflops in peaks.items():
        print(f"matmul ({m} x {k}) @ ({k} x {n}): {gflops:7.1f} GFLOP/s")
    peak = max(peaks.values())
    for name in ("poisson", "wave"):
        run = runner("auto", name, args.points, "cpu")
        seconds = statistics.median(run(args.repeats))
        gflop = step_gflop(run)
        achieved = gflop / seconds
        print(f"{name:<8} step: {gflop:6.1f} GFLOP of matmuls in {1e3 * seconds:6.1f} ms = {achieved:6.1f} GFLOP/s, "
              f"{100 * achieved / peak:4.1f}% of the peak")


if __name__ == "__main__":
    main()
