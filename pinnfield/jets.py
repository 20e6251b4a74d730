"""Derivative engines: forward-mode Taylor jets, and nested autograd as the reference.

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

from .errors import EquationError
from .fused import FusedSineJet

__all__ = [
    "DerivativeRequest",
    "DerivativeTable",
    "Jet",
    "ENGINES",
    "autograd_jet",
    "supports_jets",
    "jet_derivatives",
    "autograd_derivatives",
    "compute_derivatives",
]

ENGINES = ("auto", "jet", "autograd")
MAX_JET_ORDER = 2

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
    ``fused``: sine layers run the compiled kernels of :mod:`pinnfield.fused`."""

    axes: tuple[int, ...]
    quads: tuple[tuple[tuple[int, int, float], ...], ...]
    fused: bool = False


def _second_order_quad(a: tuple[int, ...]) -> Quad:
    nonzero = [i for i, c in enumerate(a) for _ in range(c)]
    return (((nonzero[0], nonzero[1]), 1.0),)


def _plan(request: DerivativeRequest, d: int, fused: bool = False) -> tuple[JetPlan, list[tuple[int, ...]]]:
    """Plan the jet; second-order partials become one-term quads appended after the request's."""
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
    return JetPlan(axes, planned, fused), second


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

    def scale(self, factor: float) -> "Jet":
        tangents = None if self.tangents is None else self.tangents * factor
        quads = None if self.quads is None else self.quads * factor
        return self._with(self.value * factor, tangents, quads)

    def __add__(self, other: "Jet") -> "Jet":
        return self._with(
            self.value + other.value,
            _add_optional(self.tangents, other.tangents),
            _add_optional(self.quads, other.quads),
        )

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
        and cos evaluated once (:class:`_SineJet`, which also keeps the backward's memory low)."""
        if self.tangents is None:
            return self._with(torch.sin(self.value), None, None)
        if not self.plan.quads:
            c = torch.cos(self.value)
            return self._with(torch.sin(self.value), c * self.tangents, None)
        quads = self.quads if self.quads is not None else self.value.new_zeros(())
        function = FusedSineJet if self.plan.fused else _SineJet
        s, tangents, quads = function.apply(self.value, self.tangents, quads, self.plan.quads)
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


def _form(t: torch.Tensor, quad) -> torch.Tensor:
    """sum_{(i, j, c)} c t_i t_j of one form, accumulated in place into one new tensor (no
    autograd): (N, W)."""
    total = None
    for i, j, c in quad:
        if total is None:
            total = torch.mul(t[i], t[j])
            if c != 1.0:
                total.mul_(c)
        else:
            total.addcmul_(t[i], t[j], value=c)
    return total


class _SineJet(torch.autograd.Function):
    """(a, T, Q) -> (s, c T, c Q - s F(T)) with s = sin a, c = cos a, F the plan's quadratic forms.

    Shapes: a (N, W); T (m, N or 1, W); Q (q, N or 1, W) or a 0-d zero (no second-order part yet).
    Autograd would keep a, T, Q, c, F and s for the backward; this keeps s (also kept by the
    next layer's matmul), c, T and Q, recomputes F there, and accumulates in place so that at
    most one (N, W) temporary is alive beside the gradients. With incoming gradients g, G_p,
    H_q:

        dL/da   = g c - s (sum_p G_p T_p + sum_q H_q Q_q) - c sum_q H_q F_q,
        dL/dT_p = G_p c - s sum_q H_q dF_q/dT_p,
        dL/dQ_q = H_q c.
    """

    @staticmethod
    def forward(ctx, value, tangents, quads, plan_quads):
        s, c = torch.sin(value), torch.cos(value)
        out_quads = torch.empty((len(plan_quads),) + s.shape, dtype=s.dtype, device=s.device)
        for q, quad in enumerate(plan_quads):
            form = _form(tangents, quad)
            if quads.dim() == 0:
                torch.mul(form, s, out=out_quads[q]).neg_()
            else:
                torch.mul(quads[q], c, out=out_quads[q]).addcmul_(form, s, value=-1)
            del form
        ctx.plan_quads = plan_quads
        ctx.save_for_backward(s, c, tangents, quads)
        return s, c * tangents, out_quads

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g, G, H):
        s, c, t, quads = ctx.saved_tensors
        plan_quads = ctx.plan_quads
        has_quads = quads.dim() > 0
        grad_value = g * c if g is not None else torch.zeros_like(s)
        inner = None  # sum_p G_p T_p + sum_q H_q Q_q
        if G is not None:
            for p in range(len(t)):
                inner = torch.mul(G[p], t[p]) if inner is None else inner.addcmul_(G[p], t[p])
        if H is not None and has_quads:
            for q in range(len(plan_quads)):
                inner = torch.mul(H[q], quads[q]) if inner is None else inner.addcmul_(H[q], quads[q])
        if inner is not None:
            grad_value.addcmul_(s, inner, value=-1)
        del inner
        grad_tangents = grad_quads = None
        if ctx.needs_input_grad[1] and (G is not None or H is not None):
            grad_tangents = G * c if G is not None else torch.zeros((len(t),) + s.shape, dtype=s.dtype,
                                                                    device=s.device)
        if H is not None:
            for q, quad in enumerate(plan_quads):
                form = _form(t, quad)
                form = form.mul_(H[q]) if form.shape == H[q].shape else form * H[q]
                grad_value.addcmul_(c, form, value=-1)
                del form
                if grad_tangents is not None:
                    scaled = H[q] * s
                    for i, j, coef in quad:
                        if i == j:
                            grad_tangents[i].addcmul_(scaled, t[i], value=-2 * coef)
                        else:
                            grad_tangents[i].addcmul_(scaled, t[j], value=-coef)
                            grad_tangents[j].addcmul_(scaled, t[i], value=-coef)
                    del scaled
            if has_quads and ctx.needs_input_grad[2]:
                grad_quads = _reduced(H * c, quads.shape)
        if grad_tangents is not None:
            grad_tangents = _reduced(grad_tangents, t.shape)
        return grad_value, grad_tangents, grad_quads, None


def _reduced(gradient: torch.Tensor, shape) -> torch.Tensor:
    """Sum a gradient over the point dimension where the input was broadcast there (N = 1)."""
    return gradient.sum(1, keepdim=True) if shape[1] == 1 and gradient.shape[1] != 1 else gradient


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


def _jacobian(y: torch.Tensor, x: torch.Tensor, create_graph: bool) -> torch.Tensor:
    """dy/dx (N, W, d) of a pointwise y (N, W) with respect to points x (N, d)."""
    if not y.requires_grad:
        return y.new_zeros(*y.shape, x.shape[1])
    rows = []
    for w in range(y.shape[1]):
        (g,) = torch.autograd.grad(
            y[:, w].sum(), x, create_graph=create_graph, retain_graph=True, allow_unused=True
        )
        rows.append(torch.zeros_like(x) if g is None else g)
    return torch.stack(rows, dim=1)


def autograd_jet(function, jet: Jet, create_graph: bool = True) -> Jet:
    """Jet of a pointwise function f: (N, d) -> (N, W) from its autograd gradient and Hessian.

    f and its derivatives are taken at ``jet.value`` (N, d), treated as data (no gradient
    flows back into it), then chained with :meth:`Jet.compose`. ``create_graph=False`` returns
    constants (for functions without trainable parameters); ``True`` keeps the graph to f's
    parameters so the result can be trained through.
    """
    plan = jet.plan
    with torch.enable_grad():
        x = jet.value.detach().requires_grad_(True)
        value = function(x)
        gradient = hessian = None
        if plan.axes:
            gradient = _jacobian(value, x, create_graph or bool(plan.quads))
        if plan.quads:
            d = x.shape[1]
            hessian = torch.stack([_jacobian(gradient[:, :, k], x, create_graph) for k in range(d)], dim=2)
    if not create_graph:
        value, gradient, hessian = (None if t is None else t.detach() for t in (value, gradient, hessian))
    return jet.compose(value, gradient, hessian)


def supports_jets(module: torch.nn.Module, request: DerivativeRequest) -> bool:
    """True when ``module`` propagates jets and the request stays within order 2."""
    return hasattr(module, "forward_jet") and request.max_order <= MAX_JET_ORDER


def jet_derivatives(module, x: torch.Tensor, request: DerivativeRequest, fused: bool = False) -> DerivativeTable:
    """All requested derivatives of ``module`` at ``x`` (N, d) in one forward jet pass;
    ``fused``: with the compiled sine-layer kernels (:mod:`pinnfield.fused`)."""
    d = x.shape[1]
    plan, second = _plan(request, d, fused)
    out = module.forward_jet(Jet.seed(x, plan))
    n, k = out.value.shape
    table = DerivativeTable()
    for a in request.partials:
        order = sum(a)
        if order == 0:
            table.partials[a] = out.value
        elif order == 1:
            p = plan.axes.index(a.index(1))
            table.partials[a] = out.tangents[p].expand(n, k)
    quads = out.quads
    for q in range(len(plan.quads)):
        value = out.value.new_zeros(n, k) if quads is None else quads[q].expand(n, k)
        if q < len(request.quads):
            table.quads.append(value)
        else:
            table.partials[second[q - len(request.quads)]] = value
    return table


def autograd_derivatives(module, x: torch.Tensor, request: DerivativeRequest) -> DerivativeTable:
    """All requested derivatives by nested reverse-mode autograd (the reference engine).

    Every partial d^a f is obtained from a lower one by one ``torch.autograd.grad`` per output
    column, with ``create_graph=True`` so the result can be trained through. Gradients are
    cached within this call only.
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        value = module(x)
        n, d = x.shape
        k = value.shape[1]
        partials: dict[tuple[int, ...], torch.Tensor] = {(0,) * d: value}
        gradients: dict[tuple[tuple[int, ...], int], torch.Tensor] = {}

        def gradient(a, column):
            key = (a, column)
            if key not in gradients:
                y = partial(a)[:, column]
                (g,) = torch.autograd.grad(
                    y, x, torch.ones_like(y), create_graph=True, allow_unused=True
                )
                gradients[key] = torch.zeros_like(x) if g is None else g
            return gradients[key]

        def partial(a):
            if a not in partials:
                axis = max(i for i, c in enumerate(a) if c > 0)
                lower = tuple(c - (i == axis) for i, c in enumerate(a))
                partials[a] = torch.stack(
                    [gradient(lower, c)[:, axis] for c in range(k)], dim=1
                )
            return partials[a]

        table = DerivativeTable()
        for a in request.partials:
            table.partials[a] = partial(a)
        for quad in request.quads:
            total = value.new_zeros(n, k)
            for (i, j), c in quad:
                a = tuple(int(m == i) + int(m == j) for m in range(d))
                total = total + c * partial(a)
            table.quads.append(total)
    return table


def reverse_mode_is_cheaper(module, request: DerivativeRequest) -> bool:
    """True for first derivatives only, of fewer output columns than input axes.

    Reverse mode then costs one backward sweep per output column, forward jets one tangent
    stream per input axis; the training backward doubles either. The eikonal residual of a
    scalar field in 3-D is the usual case (1 sweep against 3 streams).
    """
    if request.quads or request.max_order != 1:
        return False
    axes = {a.index(1) for a in request.partials if sum(a) == 1}
    return getattr(module, "out_dim", len(axes)) < len(axes)


def compute_derivatives(module, x, request: DerivativeRequest, engine: str = "auto",
                        fused: bool = False) -> DerivativeTable:
    """Dispatch to the jet engine or nested autograd (see ``fit(derivatives=...)``); ``"auto"``
    takes jets where the module supports them, except where reverse mode is cheaper
    (:func:`reverse_mode_is_cheaper`). ``fused``: jets run the compiled sine-layer kernels."""
    if engine == "autograd" or (engine == "auto" and reverse_mode_is_cheaper(module, request)):
        return autograd_derivatives(module, x, request)
    if supports_jets(module, request):
        return jet_derivatives(module, x, request, fused)
    if engine == "jet":
        reason = (
            f"derivatives of order {request.max_order} (jets cover orders up to {MAX_JET_ORDER})"
            if hasattr(module, "forward_jet")
            else f"a {type(module).__name__}, which does not implement forward_jet"
        )
        raise EquationError(
            f"derivatives='jet' cannot differentiate {reason}. Use derivatives='auto', which "
            "falls back to nested autograd where jets do not apply."
        )
    return autograd_derivatives(module, x, request)
