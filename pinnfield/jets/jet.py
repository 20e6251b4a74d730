"""Taylor jets: what a residual asks of a field, and the forward-mode arithmetic that computes it.

A field f maps points x of shape (N, d) to values of shape (N, k). A lowered residual asks for
a :class:`DerivativeRequest`: some partial derivatives d^|a| f / dx^a (multi-indices ``a``),
and some *quadratic forms* of second derivatives

    Q_q f = sum_{(i, j)} C_q[i, j] d^2 f / dx_i dx_j,

for instance the Laplacian (C = identity) or u_tt - c^2 u_xx. Asking for the form instead of
its terms lets the jet engine propagate one tensor where nested autograd needs one backward
pass per term (the "collapsed" or "forward Laplacian" Taylor mode).

Jet propagation. For a pre-activation a(x) with tangents a_i = da/dx_i and collapsed second
order part A_q = sum C_q[i, j] d^2 a / dx_i dx_j, an elementwise z = s(a) gives

    z_i = s'(a) a_i,        Z_q = s''(a) sum_{i, j} C_q[i, j] a_i a_j + s'(a) A_q,

and an affine layer a -> a W^T + b maps the value affinely and every tangent and every A_q
linearly. One pass through the network gives every requested quantity exactly.

Shapes: values (N, W); tangents (m, N, W) for the m propagated axes (N may be 1 while the
tangents do not depend on the point, as before the first nonlinearity); quadratic parts
(q, N, W) likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .sine import CompiledSineKernels, SineJet

__all__ = ["MAX_JET_ORDER", "Quad", "DerivativeRequest", "DerivativeTable", "JetPlan", "plan_jet", "Jet"]

MAX_JET_ORDER = 2
"""Jets propagate derivatives up to this order; higher ones need nested autograd."""

Quad = tuple[tuple[tuple[int, int], float], ...]
"""A quadratic form of second derivatives: terms ((i, j), coefficient) with i <= j."""


@dataclass(frozen=True)
class DerivativeRequest:
    """What a residual needs from one field.

    ``partials``: multi-indices (derivative counts per input column, length d), any order.
    ``quads``: quadratic forms of second derivatives, see :data:`Quad`.
    """

    partials: frozenset[tuple[int, ...]] = frozenset()
    quads: tuple[Quad, ...] = ()

    def merge(self, other: "DerivativeRequest") -> "DerivativeRequest":
        quads = self.quads + tuple(q for q in other.quads if q not in self.quads)
        return DerivativeRequest(self.partials | other.partials, quads)

    @property
    def max_order(self) -> int:
        orders = [sum(a) for a in self.partials] + [2 for _ in self.quads]
        return max(orders, default=0)


@dataclass
class DerivativeTable:
    """Requested derivatives of one field: ``partials[a]`` and ``quads[q]``, each (N, k)."""

    partials: dict[tuple[int, ...], torch.Tensor] = field(default_factory=dict)
    quads: list[torch.Tensor] = field(default_factory=list)


@dataclass(frozen=True)
class JetPlan:
    """Propagated axes (input columns) and quadratic forms over positions in ``axes``;
    ``kernels``: None (sine layers run the sine kernel eagerly) or a
    :class:`~pinnfield.jets.sine.CompiledSineKernels` (they run it compiled)."""

    axes: tuple[int, ...]
    quads: tuple[tuple[tuple[int, int, float], ...], ...]
    kernels: CompiledSineKernels | None = None


def _second_order_quad(a: tuple[int, ...]) -> Quad:
    nonzero = [i for i, c in enumerate(a) for _ in range(c)]
    return (((nonzero[0], nonzero[1]), 1.0),)


def plan_jet(request: DerivativeRequest, d: int,
             kernels: CompiledSineKernels | None = None) -> tuple[JetPlan, list[tuple[int, ...]]]:
    """Plan the jet of a request on d input columns: (plan, the request's second-order partials).

    The second-order partials become one-term quads, appended in that order after the
    request's own forms."""
    second = sorted(a for a in request.partials if sum(a) == 2)
    quads = list(request.quads) + [_second_order_quad(a) for a in second]
    axes = {a.index(1) for a in request.partials if sum(a) == 1}
    for quad in quads:
        for (i, j), _ in quad:
            axes.update((i, j))
    axes = tuple(sorted(axes))
    position = {axis: p for p, axis in enumerate(axes)}
    planned = tuple(
        tuple((position[i], position[j], float(c)) for (i, j), c in quad) for quad in quads
    )
    return JetPlan(axes, planned, kernels), second


class Jet:
    """Value, first-order tangents and collapsed second-order parts of a batch of activations."""

    __slots__ = ("value", "tangents", "quads", "plan")

    def __init__(self, value, tangents, quads, plan: JetPlan):
        self.value = value
        self.tangents = tangents
        self.quads = quads
        self.plan = plan

    @classmethod
    def seed(cls, x: torch.Tensor, plan: JetPlan) -> "Jet":
        """The jet of the input itself: tangents are unit vectors e_i (m, 1, d), no curvature."""
        tangents = None
        if plan.axes:
            eye = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
            tangents = eye[list(plan.axes)].unsqueeze(1)
        return cls(x, tangents, None, plan)

    def _with(self, value, tangents, quads) -> "Jet":
        return Jet(value, tangents, quads, self.plan)

    def linear(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> "Jet":
        """a -> a W^T + b: affine on the value, linear on tangents and quadratic parts."""
        tangents = None if self.tangents is None else self.tangents @ weight.T
        quads = None if self.quads is None else self.quads @ weight.T
        return self._with(F.linear(self.value, weight, bias), tangents, quads)

    def affine_diagonal(self, scale: torch.Tensor, shift: torch.Tensor) -> "Jet":
        """a -> a * scale + shift, columnwise."""
        tangents = None if self.tangents is None else self.tangents * scale
        quads = None if self.quads is None else self.quads * scale
        return self._with(self.value * scale + shift, tangents, quads)

    def scale(self, factor: float | torch.Tensor) -> "Jet":
        """a -> factor a, for a number or a 0-d tensor (a trained scalar)."""
        tangents = None if self.tangents is None else self.tangents * factor
        quads = None if self.quads is None else self.quads * factor
        return self._with(self.value * factor, tangents, quads)

    def __add__(self, other: "Jet") -> "Jet":
        return self._with(
            self.value + other.value,
            _add_optional(self.tangents, other.tangents),
            _add_optional(self.quads, other.quads),
        )

    def __sub__(self, other: "Jet") -> "Jet":
        """a - b: the difference of values, tangents and quadratic parts."""
        return self + other.scale(-1.0)

    def __mul__(self, other: "Jet") -> "Jet":
        """Product rule, with broadcasting over the feature dimension (W = 1 against W = k).

        (ab)_i = a_i b + a b_i and, for a form with terms c_ij,
        sum c_ij (ab)_ij = A_q b + a B_q + sum c_ij (a_i b_j + a_j b_i).
        """
        a, b = self, other
        tangents = _add_optional(
            None if a.tangents is None else a.tangents * b.value,
            None if b.tangents is None else a.value * b.tangents,
        )
        quads = None
        if self.plan.quads:
            quads = _add_optional(
                None if a.quads is None else a.quads * b.value,
                None if b.quads is None else a.value * b.quads,
            )
            if a.tangents is not None and b.tangents is not None:
                quads = _add_optional(quads, _cross_forms(a.tangents, b.tangents, self.plan))
        return self._with(a.value * b.value, tangents, quads)

    def compose(self, value: torch.Tensor, gradient: torch.Tensor | None, hessian: torch.Tensor | None) -> "Jet":
        """Jet of z = f(x) for f: R^d -> R^W, given at this jet's value x (N, d).

        ``value`` f(x) (N, W), ``gradient`` df/dx (N, W, d), ``hessian`` d^2f/dx^2 (N, W, d, d)
        (None where the plan needs no tangents or no forms). Chain rule:
        z_p = sum_k f_k x_{k,p} and Z_q = sum_{k,l} f_kl sum c_ij x_{k,i} x_{l,j} + sum_k f_k X_{k,q}.
        """
        if self.tangents is None:
            return self._with(value, None, None)
        n = value.shape[0]
        t = self.tangents.expand(-1, n, -1)
        tangents = torch.einsum("nwk,pnk->pnw", gradient, t)
        quads = None
        if self.plan.quads:
            pairs = torch.stack([
                sum(c * t[i].unsqueeze(2) * t[j].unsqueeze(1) for i, j, c in quad)
                for quad in self.plan.quads
            ])
            quads = torch.einsum("nwkl,qnkl->qnw", hessian, pairs)
            if self.quads is not None:
                quads = quads + torch.einsum("nwk,qnk->qnw", gradient, self.quads.expand(-1, n, -1))
        return self._with(value, tangents, quads)

    def elementwise(self, s0: torch.Tensor, s1: torch.Tensor, s2: torch.Tensor) -> "Jet":
        """Apply z = s(a) given s(a), s'(a), s''(a) evaluated at this jet's value, each (N, W)."""
        if self.tangents is None:
            return self._with(s0, None, None)
        tangents = s1 * self.tangents
        quads = None
        if self.plan.quads:
            forms = self._quadratic_forms()
            quads = s2 * forms if self.quads is None else torch.addcmul(s1 * self.quads, s2, forms)
        return self._with(s0, tangents, quads)

    def sine(self) -> "Jet":
        """z = sin(a): z_p = cos(a) a_p and Z_q = cos(a) A_q - sin(a) sum_ij c_ij a_i a_j, with sin
        and cos evaluated once (:class:`~pinnfield.jets.sine.SineJet`, which also keeps the backward's
        memory low; compiled when the plan carries kernels)."""
        if self.tangents is None:
            return self._with(torch.sin(self.value), None, None)
        if not self.plan.quads:
            c = torch.cos(self.value)
            return self._with(torch.sin(self.value), c * self.tangents, None)
        quads = self.quads if self.quads is not None else self.value.new_zeros(())
        s, tangents, quads = SineJet.apply(self.value, self.tangents, quads, self.plan.quads, self.plan.kernels)
        return self._with(s, tangents, quads)

    def _quadratic_forms(self) -> torch.Tensor:
        """sum_{i, j} C_q[i, j] a_i a_j for every form q: (q, N, W).

        Diagonal terms are contracted from the squares a_i^2, computed once for all forms.
        """
        t = self.tangents
        squares = None
        forms = []
        for quad in self.plan.quads:
            diagonal = [(i, c) for i, j, c in quad if i == j]
            total = None
            if diagonal:
                if squares is None:
                    squares = t * t
                axes = [i for i, _ in diagonal]
                chosen = squares if axes == list(range(len(t))) else squares[axes]
                if all(c == 1.0 for _, c in diagonal):
                    total = chosen.sum(0)
                else:
                    total = torch.tensordot(t.new_tensor([c for _, c in diagonal]), chosen, dims=1)
            for i, j, c in quad:
                if i != j:
                    term = t[i] * t[j]
                    total = (term if c == 1.0 else c * term) if total is None else torch.add(total, term, alpha=c)
            forms.append(total)
        return forms[0].unsqueeze(0) if len(forms) == 1 else torch.stack(forms)

    @staticmethod
    def cat(jets: list["Jet"]) -> "Jet":
        """Concatenate jets along the feature (last) dimension."""
        plan = jets[0].plan
        value = torch.cat([j.value for j in jets], dim=-1)
        n = value.shape[0]
        tangents = quads = None
        if plan.axes:
            tangents = torch.cat([_expanded(j.tangents, len(plan.axes), n, j.value) for j in jets], -1)
        if plan.quads and any(j.quads is not None for j in jets):
            quads = torch.cat([_expanded(j.quads, len(plan.quads), n, j.value) for j in jets], -1)
        return Jet(value, tangents, quads, plan)


def _add_optional(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _cross_forms(ta: torch.Tensor, tb: torch.Tensor, plan: JetPlan) -> torch.Tensor:
    """sum_{(i, j)} c_ij (a_i b_j + a_j b_i) for every form of the plan: (q, N, W)."""
    forms = [sum(c * (ta[i] * tb[j] + ta[j] * tb[i]) for i, j, c in quad) for quad in plan.quads]
    return torch.stack(torch.broadcast_tensors(*forms))


def _expanded(t, m: int, n: int, like: torch.Tensor) -> torch.Tensor:
    if t is None:
        return like.new_zeros(m, n, like.shape[-1])
    return t.expand(m, n, t.shape[-1])
