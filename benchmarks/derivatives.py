"""Time one training step per derivative engine, side by side in one process.

Cases (a 3 x 256 Siren, 8192 points, Adam):
  laplacian   -lap(u) - f in (x, y)
  wave        u_tt - lap(u) in (t, x, y)
Engines: pinnfield's jet engine, nested reverse-mode autograd (what DeepXDE and the SIREN code
do), and torch.func (vmap of jacfwd(jacrev), PhysicsNeMo's FuncArch approach). Each step is
residual -> mean square -> backward -> Adam update. Engines alternate within every
repetition; the table gives medians and the ratio to the jet engine, and the largest relative
difference of each engine's residual from the jet engine's (float64 check on a subset).

    python benchmarks/derivatives.py [--points 8192] [--width 256] [--repeats 11] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import sympy as sp
import torch
from torch.func import functional_call, jacfwd, jacrev, vmap

import pinnfield as pf
from pinnfield.jets import compute_derivatives
from pinnfield.lower import Env, FieldSlot, LoweringContext, lower


def _case(name: str):
    if name == "laplacian":
        x, y = sp.symbols("x y")
        u = sp.Function("u")(x, y)
        return (x, y), u, -pf.lap(u, (x, y)) - sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
    t, x, y = sp.symbols("t x y")
    u = sp.Function("u")(t, x, y)
    return (t, x, y), u, u.diff(t, 2) - pf.lap(u, (x, y))


def _func_residual(name: str, field, params, points):
    """The same residual through torch.func: per-point Hessians by vmap(jacfwd(jacrev))."""

    def scalar(p, point):
        return functional_call(field, p, (point[None],))[0, 0]

    hessian = vmap(jacfwd(jacrev(scalar, argnums=1), argnums=1), in_dims=(None, 0))(params, points)
    if name == "laplacian":
        f = torch.sin(torch.pi * points[:, 0]) * torch.sin(torch.pi * points[:, 1])
        return -(hessian[:, 0, 0] + hessian[:, 1, 1]) - f
    return hessian[:, 0, 0] - hessian[:, 1, 1] - hessian[:, 2, 2]


def _make_step(name, engine, field, points, lowered):
    optimiser = torch.optim.Adam(field.parameters(), lr=1e-4)
    params = dict(field.named_parameters())

    def residual():
        if engine == "torch.func":
            return _func_residual(name, field, params, points)
        tables = {0: compute_derivatives(field, points, lowered.requests[0], engine)}
        return lowered(Env(points, {}, tables, {}))

    def step():
        optimiser.zero_grad(set_to_none=True)
        r = residual()
        torch.mean(r * r).backward()
        optimiser.step()

    return step, residual


def _synchronise(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run(points: int, width: int, repeats: int, device: str) -> None:
    device = torch.device(device)
    engines = ("jet", "autograd", "torch.func")
    print(f"one training step, Siren 3 x {width}, {points} points, {device}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"{'case':<10} {'engine':<11} {'ms/step':>9} {'ratio vs jet':>13} {'max rel diff':>13}")
    for name in ("laplacian", "wave"):
        coords, u, expr = _case(name)
        context = LoweringContext(coords=coords, slots={u: FieldSlot(0, 0)}, module_args=(coords,))
        lowered = lower(expr, context)
        generator = torch.Generator().manual_seed(0)
        x = torch.rand(points, len(coords), generator=generator).to(device) * 2 - 1

        differences = _check(name, coords, lowered, width, device)
        steps = {}
        for engine in engines:
            field = pf.Siren(len(coords), 1, width=width, depth=3).to(device)
            steps[engine] = _make_step(name, engine, field, x, lowered)[0]
            steps[engine]()  # warm-up
        times = {e: [] for e in engines}
        for _ in range(repeats):
            for engine in engines:
                _synchronise(device)
                start = time.perf_counter()
                steps[engine]()
                _synchronise(device)
                times[engine].append(time.perf_counter() - start)
        jet = statistics.median(times["jet"])
        for engine in engines:
            median = statistics.median(times[engine])
            print(f"{name:<10} {engine:<11} {1e3 * median:9.1f} {median / jet:12.2f}x {differences[engine]:13.1e}")


def _check(name, coords, lowered, width, device) -> dict[str, float]:
    """Largest relative difference of each engine's residual from the jet's, in float64."""
    field = pf.Siren(len(coords), 1, width=width, depth=3).to(device=device, dtype=torch.float64)
    x = torch.rand(256, len(coords), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x = (x * 2 - 1).to(device)
    results = {e: _make_step(name, e, field, x, lowered)[1]().detach() for e in ("jet", "autograd", "torch.func")}
    scale = results["jet"].abs().max()
    return {e: float((r - results["jet"]).abs().max() / scale) for e, r in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=8192)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    run(args.points, args.width, args.repeats, args.device)


if __name__ == "__main__":
    main()
