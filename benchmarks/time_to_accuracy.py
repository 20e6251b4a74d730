"""Wall time until Poisson 2-D reaches a relative L2 error, pinnfield against DeepXDE.

The problem is ``pinnfield run poisson``: -lap(u) = 2 pi^2 sin(pi x) sin(pi y) on the unit
square, u = 0 on the boundary, exact u = sin(pi x) sin(pi y); the error is measured against u on
the 101 x 101 evaluation grid. Each side trains with its own recipe:
  pinnfield   the problem's DEFAULTS (Siren 3 x 64, 2048 + 512 points, Adam 1e-3 cosine for
              1000 steps, then 1000 L-BFGS iterations on one batch)
  DeepXDE     its documented recipe for a 2-D Dirichlet problem with a sine solution
              (examples/pinn_forward/Helmholtz_Dirichlet_2d.py): FNN 3 x 150 "sin", Glorot uniform,
              boundary loss weight 100, Adam 1e-3, then L-BFGS as its other forward examples do;
              the same 2048 interior and 512 boundary points.
A callback measures the error every ``--every`` steps with the clock stopped, so evaluation is
not counted; the time is that of the first evaluation at or below the target. pinnfield's
L-BFGS phase calls back only when it ends, so its time there is an upper bound.

    pip install deepxde
    python benchmarks/time_to_accuracy.py [--target 1e-3] [--every 25] [--budget 600]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time

os.environ.setdefault("DDE_BACKEND", "pytorch")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from pinnfield.problems import poisson  # noqa: E402


def _grid() -> tuple[np.ndarray, np.ndarray]:
    gx, gy = np.meshgrid(*poisson.evaluation_axes(), indexing="ij")
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    return points, np.sin(np.pi * points[:, 0]) * np.sin(np.pi * points[:, 1])


class Clock:
    """Training time with evaluation excluded, and the first time the error met the target."""

    def __init__(self, target: float, budget: float):
        self.target, self.budget = target, budget
        self.start = time.perf_counter()
        self.paused = 0.0
        self.reached = None
        self.trace: list[tuple[float, int, float]] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.start - self.paused

    def check(self, step: int, evaluate) -> bool:
        """Record the error at this step; True once the target is met or the budget is spent."""
        now = self.elapsed()
        began = time.perf_counter()
        error = evaluate()
        self.paused += time.perf_counter() - began
        self.trace.append((now, step, error))
        if error <= self.target and self.reached is None:
            self.reached = now
        return self.reached is not None or now > self.budget


def rel_l2(prediction: np.ndarray, exact: np.ndarray) -> float:
    return float(np.linalg.norm(prediction.ravel() - exact) / np.linalg.norm(exact))


def run_pinnfield(target: float, every: int, budget: float) -> Clock:
    import pinnfield as pf

    points, exact = _grid()
    clock = Clock(target, budget)

    def monitor(step, solution):
        return step % every == 0 and clock.check(step, lambda: rel_l2(solution.evaluate("u", points), exact))

    solution = pf.fit(poisson.problem(), **poisson.DEFAULTS, progress=False, callback=monitor)
    if clock.reached is None:
        clock.check(solution.info["steps"], lambda: rel_l2(solution.evaluate("u", points), exact))
    return clock


def run_deepxde(target: float, every: int, budget: float, adam_steps: int) -> Clock:
    import deepxde as dde

    dde.config.set_random_seed(0)
    points, exact = _grid()

    def pde(x, u):
        lap = dde.grad.hessian(u, x, i=0, j=0) + dde.grad.hessian(u, x, i=1, j=1)
        return -lap - 2 * np.pi ** 2 * torch.sin(np.pi * x[:, 0:1]) * torch.sin(np.pi * x[:, 1:2])

    geometry = dde.geometry.Rectangle([0, 0], [1, 1])
    boundary = dde.icbc.DirichletBC(geometry, lambda x: 0, lambda _, on_boundary: on_boundary)
    data = dde.data.PDE(geometry, pde, boundary, num_domain=2048, num_boundary=512)
    net = dde.nn.FNN([2] + [150] * 3 + [1], "sin", "Glorot uniform")
    model = dde.Model(data, net)
    clock = Clock(target, budget)

    class Monitor(dde.callbacks.Callback):
        def on_batch_end(self):
            step = model.train_state.step
            if step % every == 0 and clock.check(step, lambda: rel_l2(model.predict(points), exact)):
                model.stop_training = True

    quiet = contextlib.redirect_stdout(io.StringIO())
    with quiet:
        model.compile("adam", lr=1e-3, loss_weights=[1, 100])
        model.train(iterations=adam_steps, display_every=10 ** 9, callbacks=[Monitor()], verbose=0)
        if clock.reached is None and clock.elapsed() < budget:
            model.compile("L-BFGS", loss_weights=[1, 100])
            model.train(display_every=10 ** 9, callbacks=[Monitor()], verbose=0)
    if clock.reached is None:
        clock.check(model.train_state.step, lambda: rel_l2(model.predict(points), exact))
    return clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", type=float, default=1e-3)
    parser.add_argument("--every", type=int, default=25, help="steps between error checks")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds after which a side gives up")
    parser.add_argument("--deepxde-adam-steps", type=int, default=5000)
    args = parser.parse_args()
    print(f"Poisson 2-D to rel L2 <= {args.target:g}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    results = {"pinnfield": run_pinnfield(args.target, args.every, args.budget)}
    try:
        results["deepxde"] = run_deepxde(args.target, args.every, args.budget, args.deepxde_adam_steps)
    except ImportError:
        print("deepxde is not installed (pip install deepxde): pinnfield only")
    for name, clock in results.items():
        when = f"{clock.reached:.1f} s" if clock.reached is not None else f"not reached in {clock.elapsed():.0f} s"
        best = min(e for _, _, e in clock.trace)
        print(f"{name:<10} {when:>24}   best rel L2 {best:.2e} after {clock.trace[-1][1]} steps")
    if len(results) == 2:
        ours, theirs = results["pinnfield"].reached, results["deepxde"]
        if ours is not None:
            bound = theirs.reached if theirs.reached is not None else theirs.elapsed()
            relation = "=" if theirs.reached is not None else ">="
            print(f"DeepXDE time / pinnfield time {relation} {bound / ours:.1f}x")


if __name__ == "__main__":
    main()
