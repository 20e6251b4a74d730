"""Self-scaled quasi-Newton iterations on a flat vector x (P,): the algorithm of
:class:`~pinnfield.train.optimizers.ssbroyden.SSBroyden`, usable on plain torch vectors.

An iteration from x_k with gradient g_k takes d_k = -H_k g_k, a step a_k satisfying the strong
Wolfe conditions (:mod:`~.line_search`), s_k = a_k d_k, y_k = g_{k+1} - g_k, and updates the
inverse Hessian estimate H_k. :class:`DenseInverse` holds H (P, P) and applies the self-scaled
Broyden update of Urban, Stefanou & Pons (2025, J. Comput. Phys., "Unveiling the optimization
process of physics informed neural networks: how accurate and competitive can PINNs be?"), with
the parameters of the authors' reference implementation (after Al-Baali & Khalfan's
self-scaling Broyden class):

    b = s'B s / s'y  (B s = -a g_k, B = H^-1),   h = y'H y / s'y,   a_b = b h - 1 >= 0,
    theta = 1 / (1 - b) if h < 1 else 0,  theta~ = 1 + theta a_b,  phi = (1 - theta) / theta~,
    tau = h / theta~                                    (first update after a (re)start),
    tau = 1 / (b max(theta~^(1/(P-1)), theta, 1))       (if 1/2 < 1/b < 1),
    tau = 1 / max(theta~^(1/(P-1)), theta, 1)           (otherwise),
    v = s / s'y - H y / y'H y,
    H+ = (H - H y y'H / y'H y + phi (y'H y) v v') / tau + s s' / s'y.

phi = 1, tau = 1 is BFGS; phi >= 0 and tau > 0 keep H positive definite when s'y > 0. (The
reference implementation may also modify y_k before the update; that option is not used here.)
:class:`LimitedMemory` keeps the last m pairs (s, y) instead and applies the BFGS inverse by the
two-loop recursion with the self-scaled initial matrix H0 = (s'y / y'y) I of the newest pair
(Nocedal & Wright, Algorithm 7.4 and eq. 7.20). A pair with s'y <= eps |s| |y| is skipped.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import torch

from .line_search import strong_wolfe

__all__ = ["DenseInverse", "LimitedMemory", "Iterate", "start", "iterate", "minimize"]


def curvature_ok(s: torch.Tensor, y: torch.Tensor) -> bool:
    """Whether s'y > eps |s| |y| (eps: the machine epsilon of the dtype): the pair is usable."""
    return float(s @ y) > torch.finfo(s.dtype).eps * float(s.norm() * y.norm())


class DenseInverse:
    """The inverse Hessian estimate H (P, P), updated by the self-scaled Broyden formula."""

    def __init__(self, like: torch.Tensor):
        self.matrix = torch.eye(like.numel(), dtype=like.dtype, device=like.device)
        self.updates = 0

    def direction(self, g: torch.Tensor) -> torch.Tensor:
        """d = -H g."""
        return -(self.matrix @ g)

    def reset(self) -> None:
        """H = I (the next update scales it)."""
        self.matrix = torch.eye(len(self.matrix), dtype=self.matrix.dtype, device=self.matrix.device)
        self.updates = 0

    def update(self, s: torch.Tensor, y: torch.Tensor, gradient: torch.Tensor, a: float) -> None:
        """The update for the step s = a d from the point with gradient ``gradient`` (module docstring)."""
        if not curvature_ok(s, y):
            return
        H, size = self.matrix, len(self.matrix)
        sy, Hy = float(s @ y), H @ y
        yHy = float(y @ Hy)
        b, h = -a * float(s @ gradient) / sy, yHy / sy
        ab = max(b * h - 1, 0.0)
        theta = 1 / (1 - b) if h < 1 and b > 1 else 0.0  # h < 1 implies b >= 1/h > 1 (a_b >= 0)
        theta_t = 1 + theta * ab
        phi = (1 - theta) / theta_t
        root = theta_t ** (1 / (size - 1)) if size > 1 else theta_t
        if self.updates == 0:
            tau = h / theta_t
        elif 0.5 < 1 / b < 1:
            tau = 1 / (b * max(root, theta, 1))
        else:
            tau = 1 / max(root, theta, 1)
        v = s / sy - Hy / yHy
        H.addr_(Hy, Hy, alpha=-1 / yHy).addr_(v, v, alpha=phi * yHy).div_(tau).addr_(s, s, alpha=1 / sy)
        self.updates += 1

    def state_dict(self) -> dict:
        """H (on the CPU) and the number of updates since the last reset."""
        return {"matrix": self.matrix.cpu(), "updates": self.updates}

    def load_state_dict(self, saved: dict, like: torch.Tensor) -> None:
        """Set from :meth:`state_dict`, on the dtype and device of ``like``."""
        self.matrix = saved["matrix"].to(like).clone()
        self.updates = int(saved["updates"])


class LimitedMemory:
    """The last ``memory`` pairs (s, y); H g by the two-loop recursion with H0 = (s'y / y'y) I."""

    def __init__(self, like: torch.Tensor, memory: int):
        self.memory, self.pairs = memory, []
        self.updates = 0

    def direction(self, g: torch.Tensor) -> torch.Tensor:
        """d = -H g (two-loop recursion; d = -g with no pair yet)."""
        q, alphas = g.clone(), []
        for s, y in reversed(self.pairs):
            alpha = float(s @ q) / float(s @ y)
            q.add_(y, alpha=-alpha)
            alphas.append(alpha)
        if self.pairs:
            s, y = self.pairs[-1]
            q.mul_(float(s @ y) / float(y @ y))
        for (s, y), alpha in zip(self.pairs, reversed(alphas)):
            beta = float(y @ q) / float(s @ y)
            q.add_(s, alpha=alpha - beta)
        return -q

    def reset(self) -> None:
        """Forget every pair."""
        self.pairs, self.updates = [], 0

    def update(self, s: torch.Tensor, y: torch.Tensor, gradient: torch.Tensor, a: float) -> None:
        """Keep the pair (s, y), dropping the oldest beyond ``memory``."""
        if curvature_ok(s, y):
            self.pairs = (self.pairs + [(s.clone(), y.clone())])[-self.memory:]
            self.updates += 1

    def state_dict(self) -> dict:
        """The pairs (on the CPU) and the number of updates since the last reset."""
        return {"s": [s.cpu() for s, _ in self.pairs], "y": [y.cpu() for _, y in self.pairs],
                "updates": self.updates}

    def load_state_dict(self, saved: dict, like: torch.Tensor) -> None:
        """Set from :meth:`state_dict`, on the dtype and device of ``like``."""
        self.pairs = [(s.to(like).clone(), y.to(like).clone()) for s, y in zip(saved["s"], saved["y"])]
        self.updates = int(saved["updates"])


@dataclasses.dataclass
class Iterate:
    """The point x (P,), its value f and gradient g (P,), the inverse Hessian estimate and the
    number of accepted iterations."""

    x: torch.Tensor
    f: float
    g: torch.Tensor
    inverse: DenseInverse | LimitedMemory
    iterations: int = 0


Closure = Callable[[torch.Tensor], tuple]


def start(closure: Closure, x: torch.Tensor, inverse) -> Iterate:
    """The iterate at x with H = I; ``closure(x) -> (f: float, g (P,))``."""
    f, g = closure(x)
    return Iterate(x.clone(), float(f), g, inverse)


def iterate(it: Iterate, closure: Closure, c1: float = 1e-4, c2: float = 0.9, evaluations: int = 25) -> str:
    """One iteration in place: ``"moved"``; ``"converged"`` (g = 0); or ``"failed"``: no strong
    Wolfe step along -H g, nor along -g after resetting H to I (``it`` is unchanged then)."""
    if not bool(it.g.any()):
        return "converged"
    for attempt in range(2):
        d = it.inverse.direction(it.g)
        slope = float(it.g @ d)
        if slope < 0 and math.isfinite(slope):
            first = 1.0 if it.inverse.updates else min(1.0, 1.0 / float(it.g.abs().sum()))

            def phi(a):
                f, g = closure(it.x + a * d)
                return float(f), float(g @ d), g

            step = strong_wolfe(phi, it.f, slope, first, c1, c2, evaluations)
            if step is not None:
                x = it.x + step.a * d
                it.inverse.update(x - it.x, step.extra - it.g, it.g, step.a)
                it.x, it.f, it.g = x, step.value, step.extra
                it.iterations += 1
                return "moved"
        if it.inverse.updates == 0:
            break
        it.inverse.reset()
    return "failed"


def minimize(closure: Closure, x: torch.Tensor, iterations: int, dense_limit: int = 10_000,
             history_size: int = 50, c1: float = 1e-4, c2: float = 0.9) -> tuple[Iterate, str]:
    """Up to ``iterations`` iterations from x (dense H when x.numel() <= dense_limit; Wolfe
    constants c1, c2); the final iterate and the last outcome ("moved", "converged" or "failed")."""
    inverse = DenseInverse(x) if x.numel() <= dense_limit else LimitedMemory(x, history_size)
    it, outcome = start(closure, x, inverse), "moved"
    while outcome == "moved" and it.iterations < iterations:
        outcome = iterate(it, closure, c1, c2)
    return it, outcome
