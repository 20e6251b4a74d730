"""The Laplacian of a Siren by three collapsed/nested methods, side by side: time and peak memory.

Network: pinnfield ``Siren(d, 1, width=256, depth=3)`` (three hidden sine layers of 256 units,
scalar output). Quantity: lap u(x) = sum_i d^2 u / dx_i^2 at N points x (N, d), result (N, 1),
with the parameters requiring gradients (the graph a training step would back-propagate is kept).

Methods:
  pinnfield   pinnfield.jets.compute_derivatives(..., engine="jet") with a request for the
              Laplacian as one quadratic form: one forward pass carrying the value, d tangents
              and one collapsed second-order stream (the "forward Laplacian").
  jet         ``jet.laplacian`` of the PyPI package jet-for-pytorch (Dangel et al., "Collapsing
              Taylor mode automatic differentiation", NeurIPS 2025), collapsed Taylor mode, set up
              as in the paper's own benchmark: the per-point function is traced
              (``capture_graph``), simplified (``common_subexpression_elimination``) and batched
              with ``torch.func.vmap``. It runs the same parameters (``field.body``).
  autograd    compute_derivatives(..., engine="autograd"): nested reverse mode, one gradient
              and then one backward pass per axis.

Before timing, each method's Laplacian is compared with autograd's in float64 (256 points):
the table's header prints the largest relative difference. Times are medians over
``--repeats`` calls after two warm-up calls, the methods alternating within each repetition.
Peak memory is measured per method and case in a fresh subprocess: after set-up and a warm-up
call on 8 points, the kernel's resident-set high-water mark is reset (``/proc/self/clear_refs``),
the Laplacian is computed once at N points and held, and the column gives the high-water mark
(VmHWM) minus the resident set just before the call, in MiB (Linux only; "nan" elsewhere).

    pip install jet-for-pytorch     # the comparison (Python >= 3.12); without it the other columns run
    python benchmarks/collapsed_taylor.py [--dims 2 3 5 10] [--points 1024 4096] [--repeats 9]
                                          [--dtype float32 float64] [--json results.json]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import torch

import pinnfield as pf
from pinnfield.io import write_json
from pinnfield.jets import DerivativeRequest, compute_derivatives

WIDTH, DEPTH = 256, 3
METHODS = ("pinnfield", "jet", "autograd")
INSTALL = "pip install jet-for-pytorch"


def jet_package():
    """The jet-for-pytorch module, or None with the reason printed."""
    try:
        import jet
    except ImportError:
        print(f"jet-for-pytorch is not installed ({INSTALL}); its column is skipped.")
        return None
    except SyntaxError:  # the package uses Python 3.12 syntax
        print(f"jet-for-pytorch needs Python >= 3.12 (this is {sys.version.split()[0]}): under 3.12, {INSTALL}. "
              "Its column is skipped.")
        return None
    return jet


def laplacian_request(d: int) -> DerivativeRequest:
    """The Laplacian in d coordinates as one quadratic form (C = identity)."""
    return DerivativeRequest(quads=(tuple(((i, i), 1.0) for i in range(d)),))


def make_field(d: int, dtype: torch.dtype) -> pf.Siren:
    return pf.Siren(d, 1, width=WIDTH, depth=DEPTH).to(dtype)


def laplacian_functions(field: pf.Siren, d: int, methods, jet) -> dict:
    """For each method, a function of points x (N, d) -> lap u (N, 1)."""
    request = laplacian_request(d)
    functions = {}
    if "pinnfield" in methods:
        functions["pinnfield"] = lambda x: compute_derivatives(field, x, request, "jet").quads[0]
    if "autograd" in methods:
        functions["autograd"] = lambda x: compute_derivatives(field, x, request, "autograd").quads[0]
    if "jet" in methods:
        def point(x):  # one point (d,) -> (1,): the field's own layers on its scaled input
            return field.body(x * field.input_scale + field.input_shift)

        mock = torch.zeros(d, dtype=field.input_scale.dtype)
        graph, _ = jet.capture_graph(jet.laplacian(point, (mock,)), (mock,))
        jet.common_subexpression_elimination(graph.graph)
        graph.recompile()
        functions["jet"] = torch.func.vmap(graph)
    return functions


def points(n: int, d: int, dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed), dtype=dtype) * 2 - 1


def agreement(d: int, methods, jet) -> dict[str, float]:
    """Largest relative difference of each method's Laplacian from autograd's, float64, 256 points."""
    functions = laplacian_functions(make_field(d, torch.float64), d, methods, jet)
    x = points(256, d, torch.float64, seed=1)
    results = {m: f(x).detach() for m, f in functions.items()}
    reference = results["autograd"]
    scale = reference.abs().max()
    return {m: float((r - reference).abs().max() / scale) for m, r in results.items()}


def median_ms(functions: dict, x: torch.Tensor, repeats: int) -> dict[str, float]:
    """Median milliseconds per call after two warm-up calls; methods alternate per repetition."""
    for f in functions.values():
        for _ in range(2):
            f(x)
    times = {m: [] for m in functions}
    for _ in range(repeats):
        for m, f in functions.items():
            start = time.perf_counter()
            f(x)
            times[m].append(time.perf_counter() - start)
    return {m: 1e3 * statistics.median(t) for m, t in times.items()}


def _proc_status_kib(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def measure_memory(method: str, d: int, n: int, dtype: str) -> None:
    """Print the resident-set peak growth (MiB) of one Laplacian at n points (subprocess side)."""
    dtype = getattr(torch, dtype)
    jet = jet_package() if method == "jet" else None
    function = laplacian_functions(make_field(d, dtype), d, (method,), jet)[method]
    function(points(8, d, dtype))
    x = points(n, d, dtype)
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = _proc_status_kib("VmRSS")
    result = function(x)
    peak = _proc_status_kib("VmHWM")
    print((peak - before) / 1024, result.shape[0])


def peak_memory_mib(method: str, d: int, n: int, dtype: str) -> float:
    """Peak memory growth of one call in a fresh subprocess (nan where /proc is not Linux's)."""
    command = [sys.executable, __file__, "--_memory", method, str(d), str(n), dtype]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        return float("nan")
    return float(result.stdout.split()[-2])


def print_header(methods) -> None:
    ms = " ".join(f"{m + ' ms':>13}" for m in methods)
    mib = " ".join(f"{m + ' MiB':>14}" for m in methods)
    ratios = f" {'pf/jet time':>11} {'pf/jet mem':>10}" if "jet" in methods else ""
    print(f"{'dtype':<8} {'N':>5} {'d':>3} {ms} {mib}{ratios}")


def run(dims, sizes, repeats, dtypes, memory: bool) -> list[dict]:
    jet = jet_package()
    methods = METHODS if jet is not None else tuple(m for m in METHODS if m != "jet")
    print(f"Laplacian of a Siren {DEPTH} x {WIDTH}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"median of {repeats}")
    for d in dims:
        differences = agreement(d, methods, jet)
        print(f"d={d}: max relative difference from autograd, float64: "
              + ", ".join(f"{m} {v:.1e}" for m, v in differences.items()))
    print_header(methods)
    rows = []
    for dtype in dtypes:
        for n in sizes:
            for d in dims:
                functions = laplacian_functions(make_field(d, getattr(torch, dtype)), d, methods, jet)
                ms = median_ms(functions, points(n, d, getattr(torch, dtype)), repeats)
                mib = {m: peak_memory_mib(m, d, n, dtype) if memory else float("nan") for m in methods}
                row = dict(dtype=dtype, points=n, d=d, ms=ms, mib=mib)
                line = " ".join(f"{ms[m]:13.1f}" for m in methods) + " " + " ".join(f"{mib[m]:14.1f}" for m in methods)
                if jet is not None:
                    row.update(time_ratio=ms["pinnfield"] / ms["jet"], memory_ratio=mib["pinnfield"] / mib["jet"])
                    line += f" {row['time_ratio']:10.2f}x {row['memory_ratio']:9.2f}x"
                print(f"{dtype:<8} {n:>5} {d:>3} {line}", flush=True)
                rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 3, 5, 10])
    parser.add_argument("--points", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--dtype", nargs="+", choices=("float32", "float64"), default=["float32", "float64"])
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--json", help="also write the results to this JSON file (atomically)")
    parser.add_argument("--_memory", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._memory:
        method, d, n, dtype = args._memory
        measure_memory(method, int(d), int(n), dtype)
        return
    rows = run(args.dims, args.points, args.repeats, args.dtype, not args.no_memory)
    if args.json:
        write_json(args.json, {"width": WIDTH, "depth": DEPTH, "repeats": args.repeats, "torch": torch.__version__,
                               "threads": torch.get_num_threads(), "rows": rows})


if __name__ == "__main__":
    main()
