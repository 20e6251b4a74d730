"""Weights of the loss terms: fixed, or adapted during training (``fit(..., weighting=...)``).

The training loss is sum_i lambda_i L_i over the terms i (one per constraint), L_i the term's
unweighted loss (its mean per-point loss, or its causally weighted mean with :class:`pf.Causal`).
``weighting`` chooses the lambda_i:

- ``None``: each constraint's ``weight`` w_i, fixed;
- a dict ``{term: weight}``: fixed, overriding w_i of the named terms;
- :class:`LRA`: learning-rate annealing by gradient statistics (Wang, Teng & Perdikaris 2021);
- :class:`ReLoBRaLo`: relative loss balancing with random lookback (Bischof & Kraus 2021);
- :class:`NTK`: neural tangent kernel trace ratios (Wang, Yu & Perdikaris 2022);
- :class:`HeldOut`: each term's loss on a fresh batch over its loss on the batch it was just
  trained on, between L-BFGS rounds.

The adaptive schemes start from the weights w_i and change them during the first-order
(Adam) steps; an L-BFGS round keeps its objective fixed, so LRA and ReLoBRaLo keep their
last weights through L-BFGS, and NTK and HeldOut set new ones at the start of every round (see
``fit(..., lbfgs_resample_every=k)``). With an
adaptive scheme, ``solution.history["weight:<term>"]`` holds the lambda_i of every loss
evaluation, and a checkpoint holds the scheme's state, so a resumed run continues exactly.
Causal weighting acts inside a term's L_i, so it combines with either scheme.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .errors import DataError

__all__ = ["AbstractWeighting", "LRA", "ReLoBRaLo", "NTK", "HeldOut", "start", "relobralo_step", "lra_estimate",
           "ntk_traces", "held_out_weights"]


def _fraction(value, name: str, where: str, *, closed_low: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (0 <= value <= 1 if closed_low else 0 < value <= 1)
    if not ok:
        interval = "[0, 1]" if closed_low else "(0, 1]"
        raise DataError(f"{where} {name} must be a number in {interval}; received {value!r}.")
    return float(value)


def _count(value, name: str, where: str, meaning: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DataError(f"{where} {name} must be an integer >= 1 ({meaning}); received {value!r}.")
    return value


class AbstractWeighting:
    """An adaptive weighting scheme: options only; :meth:`start` makes its state for one run."""

    def settings(self) -> dict:
        """The options, as plain values (a resumed run must be given the same)."""
        raise NotImplementedError

    def start(self, names: list[str], weights: list[float], seed: int) -> "_Balance":
        raise NotImplementedError

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.settings().items() if k != "scheme")
        return f"{type(self).__name__}({options})"


class LRA(AbstractWeighting):
    """Learning-rate annealing (Wang, Teng & Perdikaris 2021, Algorithm 1).

    Every ``every`` steps, with theta all trainable variables, r the ``reference`` term
    (default: the first constraint, conventionally the PDE residual) and w_r its weight, each
    other term's weight moves towards the ratio of gradient statistics:

        lambda_hat_i = max_theta |grad_theta (w_r L_r)| / mean_theta |grad_theta L_i|,
        lambda_i <- (1 - alpha) lambda_i + alpha lambda_hat_i.

    lambda_i starts at the constraint's weight; lambda_r stays w_r. One extra backward pass
    per term on the update steps. A term whose gradient is zero keeps its weight.
    """

    def __init__(self, alpha: float = 0.9, every: int = 10, reference: str | None = None):
        self.alpha = _fraction(alpha, "alpha", "LRA")
        _count(every, "every", "LRA", "steps between updates")
        if reference is not None and not isinstance(reference, str):
            raise DataError(f"LRA reference must be a term name or None; received {reference!r}.")
        self.every, self.reference = every, reference

    def settings(self) -> dict:
        return {"scheme": "LRA", "alpha": self.alpha, "every": self.every, "reference": self.reference}

    def start(self, names, weights, seed):
        reference = self.reference if self.reference is not None else names[0]
        if reference not in names:
            raise DataError(f"LRA reference={reference!r} is not a term; the terms are {names}.")
        return _LRABalance(self, names.index(reference), reference, weights)


class ReLoBRaLo(AbstractWeighting):
    """Relative loss balancing with random lookback (Bischof & Kraus 2021).

    With m terms, L(t) the (m,) unweighted term losses at step t and
    bal(t, t') = m softmax(L(t) / (T L(t'))), each step:

        lambda(t) = alpha [rho lambda(t-1) + (1 - rho) bal(t, 0)] + (1 - alpha) bal(t, t-1),

    rho a Bernoulli draw with mean ``rho`` (seeded from the run's seed), T the ``temperature``,
    lambda(0) = 1. A term whose loss falls more slowly than the others' gains weight; the
    lambdas always sum to m. The weights used are w_i lambda_i (w_i the constraint's weight).
    """

    def __init__(self, alpha: float = 0.999, temperature: float = 0.1, rho: float = 0.999):
        self.alpha = _fraction(alpha, "alpha", "ReLoBRaLo", closed_low=True)
        self.rho = _fraction(rho, "rho", "ReLoBRaLo", closed_low=True)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
            math.isfinite(temperature) and temperature > 0
        ):
            raise DataError(f"ReLoBRaLo temperature must be a positive number; received {temperature!r}.")
        self.temperature = float(temperature)

    def settings(self) -> dict:
        return {"scheme": "ReLoBRaLo", "alpha": self.alpha, "temperature": self.temperature, "rho": self.rho}

    def start(self, names, weights, seed):
        return _ReLoBRaLoBalance(self, weights, seed)


class NTK(AbstractWeighting):
    """Weights from the traces of the neural tangent kernel (Wang, Yu & Perdikaris 2022).

    The kernel's diagonal block of term i on its points x_1 .. x_n is K_i = J_i J_i^T, J_i the
    (n, P) Jacobian of the term's residual r_i with respect to all P trainable variables theta.
    Its trace per point, estimated on the first ``points`` entries of the term's current batch
    (a uniform draw for uniform sampling) with one exact gradient per entry,

        t_i = (1/m) sum_{p <= m} |d r_i(x_p) / d theta|^2,

    sets lambda_hat_i = (sum_j t_j) / t_i, so that every term's weighted kernel lambda_i K_i has
    the same trace and no term's error decays much more slowly than the others' under gradient
    flow. Every ``every`` first-order steps and at the start of every L-BFGS round:

        lambda_i <- alpha lambda_i + (1 - alpha) lambda_hat_i    (lambda_i = lambda_hat_i the first time).

    The lambdas replace the constraints' weights, which hold until the first update: kernel
    balancing makes hand-set weights and residual scalings irrelevant. A term without a residual
    (a loss function of its own) or whose residual does not depend on theta keeps its weight
    and is left out of the sum. Cost per update: one extra forward on m points and m backward
    passes per term.
    """

    def __init__(self, every: int = 100, alpha: float = 0.9, points: int = 32):
        self.every = _count(every, "every", "NTK", "steps between updates")
        self.points = _count(points, "points", "NTK", "residual entries per term whose gradients estimate the "
                             "kernel trace")
        self.alpha = _fraction(alpha, "alpha", "NTK", closed_low=True)

    def settings(self) -> dict:
        return {"scheme": "NTK", "every": self.every, "alpha": self.alpha, "points": self.points}

    def start(self, names, weights, seed):
        return _NTKBalance(self, weights)


class HeldOut(AbstractWeighting):
    """Weights from each term's generalisation gap between L-BFGS rounds.

    An L-BFGS round fits its batch almost exactly, so a term's loss on the batch can fall far
    below its loss over the domain, more for a term whose points are sparse (a space-time
    residual) than for a dense one (a boundary line). The next round's batch is fresh: the
    fields have not been trained on it. With s_i the mean square residual of term i on round
    k's batch at the end of round k, f_i that on round k+1's batch at its start, and
    g_i = f_i / s_i, round k+1 uses

        lambda_i = w_i g_i / (g_1 ... g_m)^(1/m)

    over the m terms with a residual (:func:`held_out_weights`), so that its batch objective
    sum lambda_i L_i weighs each term as its loss over the domain would, as far as round k's
    gap predicts round k+1's. The first round, first-order steps, and terms without a residual
    (a loss function of their own) use w_i. Cost: one residual evaluation (no backward) of each
    batch at the end of its round. Use it with rounds: ``fit(..., lbfgs_resample_every=k)``.
    """

    def settings(self) -> dict:
        return {"scheme": "HeldOut"}

    def start(self, names, weights, seed):
        return _HeldOutBalance(self, weights)


def held_out_weights(base: list[float], trained: list[float | None], fresh: list[float | None]) -> list[float]:
    """HeldOut's weights: w_i g_i / geometric mean of the g_j, g_i = fresh_i / trained_i over
    the terms with both mean squares positive and finite; the others keep w_i."""
    gaps = [f / t if t is not None and f is not None and 0 < t < math.inf and 0 < f < math.inf else None
            for t, f in zip(trained, fresh)]
    known = [g for g in gaps if g is not None]
    if not known:
        return list(base)
    mean = math.exp(sum(math.log(g) for g in known) / len(known))
    return [w if g is None else w * g / mean for w, g in zip(base, gaps)]


def ntk_traces(residuals: list, variables: list[torch.Tensor]) -> list[float | None]:
    """Per term, the mean over the entries of its residual (any shape) of |d r_p / d theta|^2,
    theta the ``variables``; None for a term given as None or with no dependence on theta."""
    traces = []
    for residual in residuals:
        if residual is None or not residual.requires_grad or residual.numel() == 0:
            traces.append(None)
            continue
        entries = residual.reshape(-1)
        total = torch.zeros((), dtype=torch.float64, device=residual.device)
        for p in range(entries.numel()):
            grads = torch.autograd.grad(entries[p], variables, retain_graph=True, allow_unused=True)
            for g in grads:
                if g is not None:
                    total += torch.sum(g.detach().double() ** 2)
        trace = float(total) / entries.numel()
        traces.append(trace if trace > 0 and math.isfinite(trace) else None)
    return traces


def lra_estimate(reference_grads, term_grads) -> float | None:
    """max |g_r| / mean |g_i| over every entry of the gradient lists (None entries are zeros);
    None when either is zero or not finite."""
    top = max((float(g.abs().max()) for g in reference_grads if g is not None and g.numel()), default=0.0)
    count = sum(g.numel() for g in term_grads if g is not None)
    mean = sum(float(g.abs().sum()) for g in term_grads if g is not None) / max(count, 1)
    if not (top > 0 and mean > 0 and math.isfinite(top) and math.isfinite(mean)):
        return None
    return top / mean


def relobralo_step(lambdas: torch.Tensor, losses: torch.Tensor, previous: torch.Tensor, initial: torch.Tensor,
                   alpha: float, temperature: float, rho: float) -> torch.Tensor:
    """One ReLoBRaLo update of the (m,) weights; ``rho`` the Bernoulli draw (0 or 1). Float64."""
    m = losses.numel()
    tiny = torch.finfo(losses.dtype).tiny

    def balance(reference):
        return m * torch.softmax(losses / (temperature * reference + tiny), dim=0)

    return alpha * (rho * lambdas + (1 - rho) * balance(initial)) + (1 - alpha) * balance(previous)


def _same(tensor: torch.Tensor) -> torch.Tensor:
    return tensor


class _Balance:
    """The weights of one run: ``weights`` (a list updated in place), :meth:`update` each
    first-order step, :meth:`state` / :meth:`restore` for checkpoints.

    ``average(tensor)``: the mean over the ranks of a distributed run (see
    :mod:`pinnfield.distributed`), applied to the statistics a scheme computes from its rank's
    batch (gradients, losses, kernel traces) so that every rank sets the same weights.
    """

    adaptive = False
    average = staticmethod(_same)

    def __init__(self, weights: list[float], setting):
        self.weights = list(weights)
        self.setting = setting

    def update(self, step: int, losses: list[torch.Tensor], variables: list[torch.Tensor], probe) -> None:
        """After the losses of first-order step ``step``; ``probe(m)`` gives each term's residual
        on the first m points of the current batch (None for a term without one)."""

    def refresh(self, variables: list[torch.Tensor], probe) -> None:
        """At the start of an L-BFGS round, on the round's batch."""

    def settle(self, probe) -> None:
        """At the end of an L-BFGS round, on the round's batch."""

    def state(self) -> dict | None:
        return None

    def restore(self, state: dict | None) -> None:
        pass


class _LRABalance(_Balance):
    adaptive = True

    def __init__(self, scheme: LRA, reference: int, name: str, weights):
        super().__init__(weights, {**scheme.settings(), "reference": name, "initial": list(weights)})
        self.scheme, self.reference = scheme, reference

    def update(self, step, losses, variables, probe):
        if step % self.scheme.every:
            return
        r = self.reference
        if not losses[r].requires_grad:
            return
        grads = self._gradients(self.weights[r] * losses[r], variables)
        alpha = self.scheme.alpha
        for i, loss in enumerate(losses):
            if i == r or not loss.requires_grad:
                continue
            estimate = lra_estimate(grads, self._gradients(loss, variables))
            if estimate is not None:
                self.weights[i] = (1 - alpha) * self.weights[i] + alpha * estimate

    def _gradients(self, loss, variables) -> list:
        grads = torch.autograd.grad(loss, variables, retain_graph=True, allow_unused=True)
        return [None if g is None else self.average(g) for g in grads]

    def state(self):
        return {"weights": list(self.weights)}

    def restore(self, state):
        self.weights[:] = state["weights"]


class _ReLoBRaLoBalance(_Balance):
    adaptive = True

    def __init__(self, scheme: ReLoBRaLo, weights, seed: int):
        super().__init__(weights, {**scheme.settings(), "initial": list(weights)})
        self.scheme, self.base = scheme, torch.tensor(weights, dtype=torch.float64)
        state = np.random.SeedSequence([int(seed), 0x5EED]).generate_state(1, dtype=np.uint64)[0]
        self.generator = torch.Generator().manual_seed(int(state % (2**63)))
        self.lambdas = torch.ones(len(weights), dtype=torch.float64)
        self.initial = self.previous = None

    def update(self, step, losses, variables, probe):
        values = self.average(torch.stack([t.detach().reshape(()) for t in losses])).double().cpu()
        if self.initial is None:
            self.initial = self.previous = values
        else:
            s = self.scheme
            rho = float(torch.rand((), generator=self.generator, dtype=torch.float64, device="cpu") < s.rho)
            self.lambdas = relobralo_step(self.lambdas, values, self.previous, self.initial, s.alpha,
                                          s.temperature, rho)
            self.previous = values
        self.weights[:] = (self.base * self.lambdas).tolist()

    def state(self):
        return {"lambdas": self.lambdas.clone(), "initial": self.initial, "previous": self.previous,
                "generator": self.generator.get_state(), "weights": list(self.weights)}

    def restore(self, state):
        self.lambdas = state["lambdas"].double()
        self.initial, self.previous = state["initial"], state["previous"]
        self.generator.set_state(state["generator"])
        self.weights[:] = state["weights"]


class _NTKBalance(_Balance):
    adaptive = True

    def __init__(self, scheme: NTK, weights):
        super().__init__(weights, {**scheme.settings(), "initial": list(weights)})
        self.scheme, self.updated = scheme, False

    def update(self, step, losses, variables, probe):
        if step % self.scheme.every == 0:
            self.refresh(variables, probe)

    def refresh(self, variables, probe):
        traces = ntk_traces(probe(self.scheme.points), variables)
        traces = [None if t is None else float(self.average(torch.tensor(t, dtype=torch.float64))) for t in traces]
        total = sum(t for t in traces if t is not None)
        alpha = self.scheme.alpha if self.updated else 0.0
        for i, trace in enumerate(traces):
            if trace is not None:
                self.weights[i] = alpha * self.weights[i] + (1 - alpha) * total / trace
        self.updated = self.updated or any(t is not None for t in traces)

    def state(self):
        return {"weights": list(self.weights), "updated": self.updated}

    def restore(self, state):
        self.weights[:] = state["weights"]
        self.updated = state["updated"]


class _HeldOutBalance(_Balance):
    adaptive = True

    def __init__(self, scheme: HeldOut, weights):
        super().__init__(weights, {**scheme.settings(), "initial": list(weights)})
        self.base = list(weights)
        self.trained = None

    def _mean_squares(self, probe) -> list[float | None]:
        squares = [None if r is None else self.average((r.detach().abs().double() ** 2).mean()) for r in probe(None)]
        return [None if q is None else float(q) for q in squares]

    def settle(self, probe):
        self.trained = self._mean_squares(probe)

    def refresh(self, variables, probe):
        if self.trained is not None:
            self.weights[:] = held_out_weights(self.base, self.trained, self._mean_squares(probe))

    def state(self):
        return {"weights": list(self.weights), "trained": self.trained}

    def restore(self, state):
        self.weights[:] = state["weights"]
        self.trained = state["trained"]


def start(weighting, names: list[str], weights: list[float], seed: int) -> _Balance:
    """The weights of one run from fit's ``weighting`` (None, a dict, or a scheme) and the
    constraints' ``weights`` (one per term in ``names``)."""
    if isinstance(weighting, AbstractWeighting):
        return weighting.start(list(names), [float(w) for w in weights], seed)
    if weighting is not None and not isinstance(weighting, dict):
        raise DataError(
            f"weighting={weighting!r} is not known; expected None, a dict {{term: weight}} of fixed "
            "weights, pf.weighting.LRA(alpha=0.9, every=10), pf.weighting.ReLoBRaLo(alpha=0.999, "
            "temperature=0.1, rho=0.999), pf.weighting.NTK(every=100, alpha=0.9, points=32) or "
            "pf.weighting.HeldOut()."
        )
    weights = [float(w) for w in weights]
    for name, w in (weighting or {}).items():
        if name not in names:
            raise DataError(f"weighting names the term {name!r}; the terms are {names}.")
        weights[names.index(name)] = float(w)
    return _Balance(weights, list(weights))
