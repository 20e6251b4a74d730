"""The sine layer's jet: one kernel, run eagerly or compiled by torch.compile.

A sine layer maps the pre-activation a (N, W), its tangents T (m, N or 1, W) and collapsed
second-order parts Q (q, N or 1, W) to

    s = sin a,    c T,    c Q_q - s F_q(T)    (c = cos a, F_q(T) = sum_{(i, j)} C_q[i, j] T_i T_j),

with Q a 0-d zero before the first nonlinearity (no second-order part yet). With incoming
gradients g, G_p, H_q of the outputs, the backward is

    dL/da   = g c - s (sum_p G_p T_p + sum_q H_q Q_q) - c sum_q H_q F_q,
    dL/dT_p = G_p c - s sum_q H_q dF_q/dT_p,
    dL/dQ_q = H_q c,

summed over the point axis where T or Q was broadcast (N = 1).

:func:`sine_forward` and :func:`sine_backward` are that maths, written once. :class:`SineJet`
runs them as an autograd Function: eagerly (``kernels=None``), where they accumulate in place
so that at most one (N, W) temporary is alive beside the gradients and only s, c, T and Q are
kept for the backward; or through a :class:`CompiledSineKernels` object, which compiles the same
two functions with torch.compile (each becomes one loop over memory) and falls back to running
them eagerly, with one warning, when compiling fails.
"""

from __future__ import annotations

import warnings

import torch

__all__ = ["quadratic_form", "sine_forward", "sine_backward", "SineJet", "CompiledSineKernels"]


def quadratic_form(t: torch.Tensor, quad) -> torch.Tensor:
    """sum_{(i, j, c) in quad} c t_i t_j of tangents t (m, N or 1, W), accumulated in place into
    one new tensor: (N or 1, W)."""
    total = None
    for i, j, c in quad:
        if total is None:
            total = torch.mul(t[i], t[j])
            if c != 1.0:
                total.mul_(c)
        else:
            total.addcmul_(t[i], t[j], value=c)
    return total


def sine_forward(value, tangents, quads, plan_quads):
    """(a, T, Q) -> (s, c, c T, c Q - s F(T)): (N, W), (N, W), (m, N or 1, W) broadcast to N,
    (q, N, W). ``plan_quads``: the forms, terms (i, j, c) over tangent positions."""
    s, c = torch.sin(value), torch.cos(value)
    out_quads = torch.empty((len(plan_quads),) + s.shape, dtype=s.dtype, device=s.device)
    for q, quad in enumerate(plan_quads):
        form = quadratic_form(tangents, quad)
        if quads.dim() == 0:
            torch.mul(form, s, out=out_quads[q]).neg_()
        else:
            torch.mul(quads[q], c, out=out_quads[q]).addcmul_(form, s, value=-1)
        del form
    return s, c, c * tangents, out_quads


def _reduced(gradient: torch.Tensor, shape) -> torch.Tensor:
    """Sum a gradient over the point dimension where the input was broadcast there (N = 1)."""
    return gradient.sum(1, keepdim=True) if shape[1] == 1 and gradient.shape[1] != 1 else gradient


def _value_gradient(s, c, t, quads, g, G, H, plan_quads):
    """g c - s (sum_p G_p T_p + sum_q H_q Q_q), without the forms' term: (N, W)."""
    grad_value = g * c if g is not None else torch.zeros_like(s)
    inner = None
    if G is not None:
        for p in range(len(t)):
            inner = torch.mul(G[p], t[p]) if inner is None else inner.addcmul_(G[p], t[p])
    if H is not None and quads.dim() > 0:
        for q in range(len(plan_quads)):
            inner = torch.mul(H[q], quads[q]) if inner is None else inner.addcmul_(H[q], quads[q])
    if inner is not None:
        grad_value.addcmul_(s, inner, value=-1)
    return grad_value


def sine_backward(s, c, t, quads, g, G, H, plan_quads, need_tangents: bool, need_quads: bool):
    """Gradients (dL/da, dL/dT, dL/dQ) from s, c, T, Q and the outputs' gradients g, G, H (any of
    them None when zero); dL/dT only if ``need_tangents``, dL/dQ only if ``need_quads`` and Q is
    not the 0-d zero (else None)."""
    grad_value = _value_gradient(s, c, t, quads, g, G, H, plan_quads)
    grad_tangents = grad_quads = None
    if need_tangents and (G is not None or H is not None):
        grad_tangents = G * c if G is not None else torch.zeros((len(t),) + s.shape, dtype=s.dtype,
                                                                device=s.device)
    if H is not None:
        for q, quad in enumerate(plan_quads):
            form = quadratic_form(t, quad)
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
        if quads.dim() > 0 and need_quads:
            grad_quads = _reduced(H * c, quads.shape)
    if grad_tangents is not None:
        grad_tangents = _reduced(grad_tangents, t.shape)
    return grad_value, grad_tangents, grad_quads


class SineJet(torch.autograd.Function):
    """(a, T, Q) -> (s, c T, c Q - s F(T)) with the hand-written backward of the module docstring.

    ``SineJet.apply(value, tangents, quads, plan_quads, kernels)``: ``kernels`` None runs
    :func:`sine_forward` / :func:`sine_backward` eagerly, a :class:`CompiledSineKernels` runs
    them compiled. Saves s (also kept by the next layer's matmul), c, T and Q.
    """

    @staticmethod
    def forward(ctx, value, tangents, quads, plan_quads, kernels=None):
        forward = sine_forward if kernels is None else kernels.forward
        s, c, out_tangents, out_quads = forward(value, tangents, quads, plan_quads)
        ctx.plan_quads, ctx.kernels = plan_quads, kernels
        ctx.save_for_backward(s, c, tangents, quads)
        return s, out_tangents, out_quads

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g, G, H):
        s, c, t, quads = ctx.saved_tensors
        backward = sine_backward if ctx.kernels is None else ctx.kernels.backward
        grads = backward(s, c, t, quads, g, G, H, ctx.plan_quads, ctx.needs_input_grad[1], ctx.needs_input_grad[2])
        return (*grads, None, None)


def _compile(kernel):
    return torch.compile(kernel, dynamic=True)


class CompiledSineKernels:
    """:func:`sine_forward` and :func:`sine_backward` compiled by ``compiler`` (default
    ``torch.compile(kernel, dynamic=True)``), compiled on first use, for one training run.

    Compiling costs seconds at the first step (and again for each new plan), which a long run
    repays. If compiling or running a compiled kernel raises (no C++ compiler on a CPU machine,
    no Triton on a GPU one), this object warns once, naming the error, records it in
    ``failure`` and from then on runs the same kernels eagerly: the result is the same to rounding.
    """

    def __init__(self, compiler=None):
        self.compiler = _compile if compiler is None else compiler
        self.compiled: dict = {}
        self.failure: str | None = None

    def forward(self, value, tangents, quads, plan_quads):
        return self._run(sine_forward, value, tangents, quads, plan_quads)

    def backward(self, s, c, t, quads, g, G, H, plan_quads, need_tangents: bool, need_quads: bool):
        return self._run(sine_backward, s, c, t, quads, g, G, H, plan_quads, need_tangents, need_quads)

    def _run(self, kernel, *args):
        """The compiled ``kernel`` on ``args``, or the eager one once compiling has failed."""
        if self.failure is None:
            try:
                if kernel not in self.compiled:
                    self.compiled[kernel] = self.compiler(kernel)
                return self.compiled[kernel](*args)
            except Exception as error:  # noqa: BLE001 - any compiler failure falls back to eager
                lines = str(error).strip().splitlines()
                self.failure = f"{type(error).__name__}: {lines[0] if lines else 'no message'}"
                warnings.warn(
                    f"torch.compile of the sine-jet kernels failed ({self.failure}); training continues with "
                    "the same kernels run eagerly. fit(..., compile=False) avoids the attempt.",
                    RuntimeWarning, stacklevel=4,
                )
        return kernel(*args)
