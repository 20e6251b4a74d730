"""Energy natural gradient descent (Mueller and Zeinhofer 2023): Gauss-Newton in function space.

For the least-squares loss L(theta) = sum_c w_c mean_i r_c(x_i; theta)^2 = |R(theta)|^2, R the
stacked weighted residuals sqrt(w_c / N_c) r_c(x_i) (N entries), every iteration takes the
damped Gauss-Newton step d = -(J'J + lambda I)^{-1} J'R, J = dR/dtheta (N x P), with a grid
line search on its size (:mod:`~pinnfield.train.optimizers.gauss_newton`).
"""

from __future__ import annotations

import warnings

import torch

from ...errors import OptionError, check_int, check_number
from ...lower import LoweredExpression
from ..plan import Plan
from .base import AbstractOptimizer
from .gauss_newton import gauss_newton_step, jacobian

__all__ = ["NaturalGradient"]


class NaturalGradient(AbstractOptimizer):
    """``steps`` iterations of energy natural gradient descent (damped Gauss-Newton).

    On one batch, or with ``resample_every=k`` on a fresh batch every k iterations (adaptive
    weights are refreshed, as for an L-BFGS round, at every new batch and held fixed on it).
    ``damping``: lambda relative to the mean diagonal of the Gram matrix (J J' or J'J). It is
    adapted Levenberg-Marquardt style: when no step size of the line search (``sizes`` sizes
    0.5^k, k = 0..sizes-1) decreases the loss, the damping is multiplied by 100 and the search
    retried, up to ``retries`` times, after which the phase stops early, keeping the last
    state, with a warning; an accepted full step (eta = 1) divides it by 10, down to ``damping``.
    ``chunk``: points of every term whose rows of J one batched backward pass computes (memory
    ~ chunk^2 x one point's backward). J is taken through the autograd derivative engine, whose
    backward vmap can batch (the residuals themselves through fit's ``derivatives``).
    Every term must have the least-squares loss ("mse", not causal, not a loss function), and
    the run must be in one process.
    """

    def __init__(self, steps: int = 100, resample_every: int | None = None, damping: float = 1e-10,
                 sizes: int = 12, retries: int = 3, chunk: int = 128):
        super().__init__(steps)
        if resample_every is not None:
            resample_every = check_int(resample_every, "NaturalGradient resample_every", minimum=1)
        self.resample_every = resample_every
        self.damping = check_number(damping, "NaturalGradient damping", low=0, low_open=True)
        self.sizes = check_int(sizes, "NaturalGradient sizes", minimum=1)
        self.retries = check_int(retries, "NaturalGradient retries", minimum=0)
        self.chunk = check_int(chunk, "NaturalGradient chunk", minimum=1)

    def settings(self) -> dict:
        return {"optimizer": "natural_gradient", "steps": self.steps, "resample_every": self.resample_every,
                "damping": self.damping, "sizes": self.sizes, "retries": self.retries}

    def check(self, plan, options) -> None:
        for name, constraint, lowered in zip(plan.names, plan.constraints, plan.lowered):
            what = None
            if not isinstance(lowered, LoweredExpression):
                what = "is given as a loss function"
            elif constraint.loss != "mse":
                what = f"has loss={constraint.loss!r}"
            elif constraint.causal:
                what = "is causally weighted"
            if what:
                raise OptionError(
                    f"pf.NaturalGradient needs a least-squares loss for every term, but the term '{name}' {what}. "
                    "Give it loss='mse' without causal weighting (as a residual expression), or use pf.LBFGS.")
        if options.context.world > 1:
            raise OptionError("pf.NaturalGradient runs in one process; use pf.LBFGS or Adam in a distributed run.")

    def init(self, variables):
        return {"damping": self.damping}

    def advance(self, run, state, done):
        every = self.resample_every or self.steps
        if done % every == 0:
            run.resample()
            run.start_round()
        run.hold_variables()
        residual = run.residual_vector(run.offset + done).detach()
        if "plan" not in state:
            state["plan"] = Plan(run.plan.problem, "autograd", None)
        jac = jacobian_by_points(run, state["plan"], self.chunk)
        step = gauss_newton_step(residual, jac, run.variables, run.residual_vector, state["damping"],
                                 sizes=self.sizes, retries=self.retries)
        last = not step.accepted or (done + 1) % every == 0 or done + 1 == self.steps
        if last:
            run.end_round()
        with run.committing(self.steps if not step.accepted else done + 1):
            if step.accepted:
                state["damping"] = max(step.damping / 10, self.damping) if step.eta == 1.0 else step.damping
        if not step.accepted:
            warnings.warn(
                f"pf.NaturalGradient stopped at its step {done + 1} of {self.steps}: no step size decreased the loss "
                f"{step.loss:.3e}, even with the damping raised to {step.damping:.1e}; the last state is kept.",
                RuntimeWarning, stacklevel=2)

    def state_dict(self, state):
        return {"damping": state["damping"]}

    def load_state_dict(self, state, saved, saved_settings):
        state["damping"] = float(saved["damping"])


def jacobian_by_points(run, plan, chunk: int) -> torch.Tensor:
    """(N, P) Jacobian of ``run.residual_vector()`` in its order, from the residuals of ``chunk``
    points of every term at a time evaluated by ``plan`` (a point's residual depends on that
    point alone, so each piece costs its own points only), each piece's rows in one batched
    backward pass."""
    variables = run.variables
    sizes = [len(points) for points, _ in run.state.batches]
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    first = variables[0]
    jac = torch.empty(sum(sizes), sum(v.numel() for v in variables), dtype=first.dtype, device=first.device)
    for start in range(0, max(sizes), chunk):
        index = torch.cat([torch.arange(o + start, o + min(start + chunk, n), device=first.device)
                           for o, n in zip(offsets, sizes) if start < n])
        jac[index] = jacobian(run.residual_vector(rows=slice(start, start + chunk), plan=plan), variables)
    return jac
