"""Training-step time and memory of pinnfield against DeepXDE, side by side in one process.

Cases (one residual term on N points a step, the same points every step):
  poisson     -lap(u) - f                  in (x, y)      second derivatives
  wave        u_tt - lap(u)                in (t, x, y)   second derivatives
  helmholtz   lap(u) + k^2 u - f           in (x, y)      second derivatives and the value
  sdf         |grad u| - 1                 in (x, y, z)   first derivatives only (eikonal)
Both sides train the same network, 3 hidden layers of 256 sine units and a linear output
(pinnfield ``Siren(width=256, depth=3)``, DeepXDE ``FNN([d, 256, 256, 256, 1], "sin")``), with
Adam at a constant learning rate of 1e-3, through their own training loops: ``pf.fit`` with
each derivative engine (``auto``, the default; ``jet``; nested ``autograd``; ``compiled``, the
default engine with ``compile=True``: sine-jet kernels compiled by torch.compile), and DeepXDE's
``Model.train`` (PyTorch backend, its reverse-mode ``dde.grad``). A step's time is the interval
between consecutive steps seen by a callback (``fit(callback=)``, a DeepXDE ``Callback``), so
set-up is not counted. The engines alternate within every repetition; the table gives medians
and each one's ratio to pinnfield's default. GFLOP counts the matmuls of one step (forward and
backward, counted at dispatch): the work each method needs, whatever its speed.
Peak memory is the growth of the resident set (CPU; peak allocated on CUDA) over the first
steps after set-up, measured per engine in a fresh subprocess so that engines share no peak.

Each case also prints the largest relative difference, in float64, of the jet engine's
residual from nested autograd's on the same network (the optimisation is exact).

    pip install deepxde            # the comparison; without it only pinnfield's engines run
    python benchmarks/step_time.py [--points 8192] [--repeats 5] [--steps 6] [--cases poisson wave]
                                   [--memory-points 65536] [--device cpu]

On a GPU machine the same command with ``--device cuda`` times CUDA steps (``DDE_BACKEND``
is set to pytorch here; DeepXDE then follows torch's default device, set by this script).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("DDE_BACKEND", "pytorch")

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
import torch  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

import pinnfield as pf  # noqa: E402

WIDTH, DEPTH, LR = 256, 3, 1e-3
K = 4 * np.pi
ENGINES = ("auto", "jet", "autograd", "compiled", "deepxde")


def pinnfield_case(name: str, points: int) -> pf.Problem:
    """The case as a pf.Problem: one residual on ``points`` points of the case's box."""
    if name == "wave":
        t, x, y = coords = sp.symbols("t x y")
        u = sp.Function("u")(*coords)
        residual = u.diff(t, 2) - pf.lap(u, (x, y))
        box = pf.Box((0, -1, -1), (1, 1, 1), coords=coords)
    elif name == "sdf":
        coords = sp.symbols("x y z")
        u = sp.Function("u")(*coords)
        residual = sp.sqrt(sum(u.diff(c) ** 2 for c in coords)) - 1
        box = pf.Box((-1, -1, -1), (1, 1, 1), coords=coords)
    else:
        x, y = coords = sp.symbols("x y")
        u = sp.Function("u")(*coords)
        f = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
        residual = -pf.lap(u, coords) - f if name == "poisson" else pf.lap(u, coords) + K ** 2 * u - f
        box = pf.Box((-1, -1), (1, 1), coords=coords)
    net = pf.Siren(len(coords), 1, width=WIDTH, depth=DEPTH)
    return pf.Problem(fields={u: net}, constraints=[pf.Constraint(residual, on=box.interior, n=points)])


def deepxde_model(name: str, points: int):
    """The same case in DeepXDE: geometry, pde(x, y) with ``dde.grad``, FNN of sine units, Adam."""
    import deepxde as dde

    dde.config.set_random_seed(0)
    grad = dde.grad
    if name == "wave":
        geometry = dde.geometry.GeometryXTime(dde.geometry.Rectangle([-1, -1], [1, 1]), dde.geometry.TimeDomain(0, 1))

        def pde(x, u):  # columns (x, y, t)
            return grad.hessian(u, x, i=2, j=2) - grad.hessian(u, x, i=0, j=0) - grad.hessian(u, x, i=1, j=1)
    elif name == "sdf":
        geometry = dde.geometry.Cuboid([-1, -1, -1], [1, 1, 1])

        def pde(x, u):
            return torch.linalg.vector_norm(grad.jacobian(u, x, i=0), dim=1, keepdim=True) - 1
    else:
        geometry = dde.geometry.Rectangle([-1, -1], [1, 1])

        def source(x):
            return torch.sin(np.pi * x[:, 0:1]) * torch.sin(np.pi * x[:, 1:2])

        def pde(x, u):
            lap = grad.hessian(u, x, i=0, j=0) + grad.hessian(u, x, i=1, j=1)
            return -lap - source(x) if name == "poisson" else lap + K ** 2 * u - source(x)
    if name == "wave":
        data = dde.data.TimePDE(geometry, pde, [], num_domain=points, num_boundary=0, num_initial=0,
                                train_distribution="pseudo")
    else:
        data = dde.data.PDE(geometry, pde, [], num_domain=points, num_boundary=0, train_distribution="pseudo")
    dims = 3 if name in ("wave", "sdf") else 2
    net = dde.nn.FNN([dims] + [WIDTH] * DEPTH + [1], "sin", "Glorot uniform")
    model = dde.Model(data, net)
    with contextlib.redirect_stdout(io.StringIO()):
        model.compile("adam", lr=LR)
    return model


class _Stamps:
    """Times of consecutive steps; ``intervals`` drops the first (warm-up) step."""

    def __init__(self):
        self.times = []

    def __call__(self, *_):
        self.times.append(time.perf_counter())

    def intervals(self) -> list[float]:
        return list(np.diff(self.times)[1:])


def _synchronise():
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def runner(engine: str, name: str, points: int, device: str):
    """A function that trains ``steps`` more steps and returns the per-step intervals (s)."""
    if engine == "deepxde":
        import deepxde as dde

        model = deepxde_model(name, points)

        class Stamp(dde.callbacks.Callback):
            def __init__(self, stamps):
                super().__init__()
                self.stamps = stamps

            def on_batch_begin(self):
                _synchronise()
                self.stamps()

        def run(steps: int) -> list[float]:
            stamps = _Stamps()
            model.train(iterations=steps + 2, display_every=10 ** 9, callbacks=[Stamp(stamps)], verbose=0)
            return stamps.intervals()

        return run
    with torch.device("cpu"):  # pinnfield places its tensors itself; the default device is DeepXDE's
        problem = pinnfield_case(name, points)

    def run(steps: int) -> list[float]:
        stamps = _Stamps()

        def stamp(*_):
            _synchronise()
            stamps()

        with torch.device("cpu"):
            pf.fit(problem, steps=steps + 2, lr=LR, schedule="constant", resample_every=10 ** 9, seed=0,
                   device=device, derivatives="auto" if engine == "compiled" else engine,
                   compile=engine == "compiled", progress=False, callback=stamp)
        return stamps.intervals()

    return run


class _MatmulFlops(TorchDispatchMode):
    """Counts 2 m k n for every matrix product (mm, addmm, bmm, baddbmm) dispatched inside it,
    forward and backward. torch's FlopCounterMode fails under nested ``autograd.grad``, and the
    profiler's FLOP records took this process to 19 GB at 8192 points."""

    def __init__(self):
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        operator = func.overloadpacket
        if operator in (torch.ops.aten.mm, torch.ops.aten.bmm):
            self.flops += 2 * args[0].numel() * args[1].shape[-1]
        elif operator in (torch.ops.aten.addmm, torch.ops.aten.baddbmm):
            self.flops += 2 * args[1].numel() * args[2].shape[-1]
        return out


def step_gflop(run) -> float:
    """Matmul GFLOP of one step (forward and backward), the difference of two runs one step
    apart (so set-up and final evaluations cancel)."""
    counts = []
    for steps in (1, 2):
        with _MatmulFlops() as counter:
            run(steps)
        counts.append(counter.flops)
    return (counts[1] - counts[0]) / 1e9


def exactness(name: str) -> float:
    """max |jet - autograd| / max |autograd| of the case's residual, float64, 512 points."""
    with torch.device("cpu"):
        problem = pinnfield_case(name, 512)
        solution = pf.fit(problem, steps=0, dtype=torch.float64, device="cpu", progress=False)
        points = problem.constraints[0].on.sample(512, torch.Generator(device="cpu").manual_seed(1)).points.cpu()
        residual = problem.constraints[0].residual
        values = {engine: solution.evaluate(residual, points.numpy(), derivatives=engine)
                  for engine in ("jet", "autograd")}
    return float(np.abs(values["jet"] - values["autograd"]).max() / np.abs(values["autograd"]).max())


def peak_memory_mb(engine: str, name: str, points: int, device: str) -> float:
    """Peak memory growth of a few steps, in a fresh subprocess."""
    command = [sys.executable, __file__, "--_memory", engine, name, str(points), device]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _measure_memory(engine: str, name: str, points: int, device: str) -> None:
    """Subprocess side: print the peak growth in MiB over the first steps, from the resident set
    (or CUDA allocation) after set-up; no warm-up, so no freed memory is cached before."""
    torch.set_default_device(device)
    if engine == "compiled":  # compile first (its kernels take any point count), so its memory is not counted
        runner(engine, name, 64, device)(1)
    run = runner(engine, name, points, device)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        run(1)
        print((torch.cuda.max_memory_allocated() - base) / 2 ** 20)
        return
    base = _rss_mb("VmRSS")
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    run(1)
    print(_rss_mb("VmHWM") - base)


def allocator() -> str:
    """The C allocator serving this process's CPU tensors: a preloaded tcmalloc or jemalloc, else the C
    library's malloc (glibc's returns freed blocks of more than 32 MiB, and the free top of its heap,
    to the system, so a step page-faults them back in)."""
    try:
        with open("/proc/self/maps") as maps:
            mapped = maps.read()
    except OSError:
        return "the system allocator"
    for name in ("tcmalloc", "jemalloc", "mimalloc"):
        if f"lib{name}" in mapped:
            return f"{name} (preloaded)"
    return "the C library's malloc"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=6, help="timed steps per engine per repetition")
    parser.add_argument("--cases", nargs="+", default=["poisson", "wave", "helmholtz", "sdf"])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES,
                        help="engines to time (auto, the reference of the ratios, is always timed)")
    parser.add_argument("--memory-points", type=int, default=65536, help="points for the memory column (0: skip)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", help="also write the table to this JSON file")
    parser.add_argument("--_memory", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._memory:
        engine, name, points, device = args._memory
        _measure_memory(engine, name, int(points), device)
        return
    torch.set_default_device(args.device)
    engines = tuple(e for e in ENGINES if e == "auto" or e in args.engines)
    if "deepxde" in engines and importlib.util.find_spec("deepxde") is None:
        engines = tuple(e for e in engines if e != "deepxde")
        print("deepxde is not installed (pip install deepxde): timing pinnfield's engines only")
    print(f"one training step, 3 x {WIDTH} sine units, {args.points} points, {args.device}, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads, {allocator()}; median of {args.repeats} x "
          f"{args.steps} steps")
    print(f"{'case':<10} {'engine':<9} {'ms/step':>8} {'ratio':>7} {'GFLOP':>7} {'GFLOP/s':>8} {'peak MiB':>9} {'ratio':>7}")
    table = []
    for name in args.cases:
        runs = {e: runner(e, name, args.points, args.device) for e in engines}
        for run in runs.values():
            run(1)  # warm-up (and compilation)
        intervals = {e: [] for e in engines}
        for _ in range(args.repeats):
            for engine in engines:
                intervals[engine] += runs[engine](args.steps)
        memory = {e: peak_memory_mb(e, name, args.memory_points, args.device) if args.memory_points else float("nan")
                  for e in engines}
        seconds = {e: statistics.median(intervals[e]) for e in engines}
        # FLOPs last: compiled code that has run under the counting mode is slower afterwards, so
        # the counts follow the timings, and the next case compiles anew.
        gflop = {e: step_gflop(run) for e, run in runs.items()}
        torch._dynamo.reset()
        for engine in engines:
            row = dict(case=name, engine=engine, ms_per_step=1e3 * seconds[engine],
                       time_ratio=seconds[engine] / seconds["auto"], gflop=gflop[engine],
                       gflops=gflop[engine] / seconds[engine], peak_mib=memory[engine],
                       memory_ratio=memory[engine] / memory["auto"])
            table.append(row)
            print(f"{name:<10} {engine:<9} {row['ms_per_step']:8.1f} {row['time_ratio']:6.2f}x {row['gflop']:7.1f} "
                  f"{row['gflops']:8.1f} {memory[engine]:9.0f} {row['memory_ratio']:6.2f}x", flush=True)
        print(f"{name:<10} jet vs nested autograd, float64: max relative difference {exactness(name):.1e}", flush=True)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"points": args.points, "memory_points": args.memory_points, "device": args.device,
                       "threads": torch.get_num_threads(), "rows": table}, out, indent=1)


if __name__ == "__main__":
    main()
