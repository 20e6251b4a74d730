"""Damped Gauss-Newton steps for a least-squares loss L(theta) = |R(theta)|^2, on plain tensors.

R(theta) in R^N is a residual vector, J = dR/dtheta (N x P) its Jacobian. The step direction is

    d = -(J'J + lambda I)^{-1} J'R,

in the cheaper of two equal forms: the kernel form d = -J'(JJ' + lambda I)^{-1} R when N < P,
the normal equations otherwise, each by a Cholesky solve (least squares if the factorisation
fails). lambda = damping * trace(G) / n, G the n x n Gram matrix used, so ``damping`` is relative
to the curvature's scale. The step size eta is the best of eta = 0.5^k, k = 0..K on a grid (as
in energy natural gradient descent, Mueller and Zeinhofer 2023), theta <- theta + eta d.

For a PINN with the least-squares loss sum_c w_c mean_i r_c(x_i)^2, R stacks sqrt(w_c / N_c)
r_c(x_i), and this is energy natural gradient descent. :func:`gauss_newton_step` needs only a
function returning R at the current values of the variables, so it runs without a PDE.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import torch

__all__ = ["jacobian", "direction", "line_search", "gauss_newton_step", "Step"]


def jacobian(residual: torch.Tensor, variables: list[torch.Tensor]) -> torch.Tensor:
    """(N, P) dR/dtheta of ``residual`` (N,), computed with a graph to ``variables`` (P entries in
    all, flattened in order): N vector-Jacobian products with the unit vectors, in one batched
    backward pass."""
    flat = residual.reshape(-1)
    n = flat.numel()
    eye = torch.eye(n, dtype=flat.dtype, device=flat.device)
    grads = torch.autograd.grad(flat, variables, grad_outputs=eye, retain_graph=True, is_grads_batched=True,
                                allow_unused=True)
    return torch.cat([torch.zeros(n, v.numel(), dtype=flat.dtype, device=flat.device) if g is None
                      else g.reshape(n, -1) for g, v in zip(grads, variables)], 1)


def _damped_solve(gram: torch.Tensor, rhs: torch.Tensor, damping: float) -> torch.Tensor:
    """(G + lambda I)^{-1} rhs, lambda = damping * trace(G) / n, by Cholesky; by least squares
    if G + lambda I is not numerically positive definite."""
    n = gram.shape[0]
    scale = torch.clamp(torch.trace(gram) / n, min=torch.finfo(gram.dtype).tiny)
    damped = gram + damping * scale * torch.eye(n, dtype=gram.dtype, device=gram.device)
    factor, info = torch.linalg.cholesky_ex(damped)
    if int(info) == 0:
        return torch.cholesky_solve(rhs.reshape(n, 1), factor).reshape(n)
    return torch.linalg.lstsq(damped.cpu(), rhs.reshape(n, 1).cpu()).solution.reshape(n).to(rhs)


def direction(jac: torch.Tensor, residual: torch.Tensor, damping: float) -> torch.Tensor:
    """(P,) d = -(J'J + lambda I)^{-1} J'R for J (N, P) and R (N,) (see the module docstring)."""
    n, p = jac.shape
    if n < p:
        return -(jac.T @ _damped_solve(jac @ jac.T, residual, damping))
    return -_damped_solve(jac.T @ jac, jac.T @ residual, damping)


def line_search(loss_at: Callable[[float], float], sizes: int) -> tuple[float, float]:
    """The step size eta in {0.5^k : k = 0..sizes-1} with the least finite ``loss_at(eta)`` and
    that loss (eta 0.0 and loss inf where none is finite)."""
    best, best_loss = 0.0, float("inf")
    for k in range(sizes):
        eta = 0.5 ** k
        loss = loss_at(eta)
        if loss < best_loss:
            best, best_loss = eta, loss
    return best, best_loss


@dataclasses.dataclass(frozen=True)
class Step:
    """One Gauss-Newton iteration: ``loss`` |R|^2 before it, ``new_loss`` after (the loss before
    when rejected), ``eta`` the step size (0.0 when no size decreased the loss), ``damping`` the
    relative damping of the accepted (or last tried) direction."""

    loss: float
    new_loss: float
    eta: float
    damping: float

    @property
    def accepted(self) -> bool:
        return self.eta > 0.0


def _shift(variables: list[torch.Tensor], start: list[torch.Tensor], step: torch.Tensor) -> None:
    """variables <- start + step, step (P,) flattened in the variables' order."""
    with torch.no_grad():
        offset = 0
        for v, s in zip(variables, start):
            v.copy_(s + step[offset:offset + v.numel()].reshape(v.shape))
            offset += v.numel()


def gauss_newton_step(residual: torch.Tensor, jac: torch.Tensor, variables: list[torch.Tensor],
                      evaluate: Callable[[], torch.Tensor], damping: float, *, sizes: int = 12, retries: int = 3,
                      growth: float = 100.0) -> Step:
    """One damped Gauss-Newton iteration from R ``residual`` (N,) and J ``jac`` (N, P) at the
    current ``variables``; ``evaluate()`` returns R at the variables' current values. The line
    search tries ``sizes`` step sizes; when none decreases |R|^2, the damping grows by ``growth``
    and the search is retried up to ``retries`` times. The variables end at the accepted point,
    or unchanged when no step was accepted."""
    r = residual.detach().reshape(-1)
    loss = float(r @ r)
    start = [v.detach().clone() for v in variables]

    def loss_at(update: torch.Tensor) -> Callable[[float], float]:
        def at(eta: float) -> float:
            _shift(variables, start, eta * update)
            with torch.no_grad():
                values = evaluate().reshape(-1)
                value = float(values @ values)
            return value if value == value else float("inf")
        return at

    for attempt in range(retries + 1):
        trial = damping * growth ** attempt
        update = direction(jac, r, trial)
        eta, new_loss = line_search(loss_at(update), sizes)
        if new_loss < loss:
            _shift(variables, start, eta * update)
            return Step(loss, new_loss, eta, trial)
    with torch.no_grad():
        for v, s in zip(variables, start):
            v.copy_(s)
    return Step(loss, loss, 0.0, trial)
