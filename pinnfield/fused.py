"""Fused sine-jet kernels: the elementwise work of a sine layer's jet compiled by torch.compile.

A sine layer's jet (see :class:`pinnfield.jets._SineJet`) maps the pre-activation a (N, W),
its tangents T (m, N or 1, W) and curvature parts Q (q, N or 1, W) to

    s = sin a,    c T,    c Q_q - s F_q(T)    (c = cos a, F_q the plan's quadratic forms),

and its backward needs a dozen more products of the same arrays. Run eagerly, every product is
one pass over memory; compiled, the forward and the backward are one loop each. The result is
the same to rounding. Opt in with ``fit(..., compile=True)``: compiling costs seconds at the
first step (and again for each new plan), which a long run repays.

If torch.compile fails (no C++ compiler on a CPU machine, no Triton on a GPU one), a warning
names the error once and the same kernels run eagerly.
"""

from __future__ import annotations

import functools
import warnings

import torch

__all__ = ["sine_forward", "sine_backward", "FusedSineJet"]


def _form(t: torch.Tensor, quad) -> torch.Tensor:
    """sum_{(i, j, c)} c t_i t_j: (N or 1, W). Out of place, for the compiler to fuse; the eager
    sine jet accumulates the same sum in place (:func:`pinnfield.jets._form`)."""
    total = None
    for i, j, coef in quad:
        term = t[i] * t[j] * coef
        total = term if total is None else total + term
    return total


def sine_forward_kernel(value, tangents, quads, plan_quads):
    """(a, T, Q) -> (s, c, c T, c Q - s F(T)); Q a 0-d zero when there is no curvature yet."""
    s, c = torch.sin(value), torch.cos(value)
    out = [-s * _form(tangents, quad) if quads.dim() == 0 else c * quads[q] - s * _form(tangents, quad)
           for q, quad in enumerate(plan_quads)]
    return s, c, c * tangents, torch.stack(out)


def sine_backward_kernel(s, c, t, quads, g, G, H, plan_quads):
    """Gradients of a, T and Q (None when Q is a 0-d zero) from those of the outputs g, G, H:

        dL/da   = g c - s (sum_p G_p T_p + sum_q H_q Q_q) - c sum_q H_q F_q,
        dL/dT_p = G_p c - s sum_q H_q dF_q/dT_p,
        dL/dQ_q = H_q c,

    summed over the point axis where T or Q was broadcast (N = 1)."""
    inner = (G * t).sum(0)
    if quads.dim() > 0:
        inner = inner + (H * quads).sum(0)
    grad_value = g * c - s * inner
    grad_tangents = [G[p] * c for p in range(t.shape[0])]
    for q, quad in enumerate(plan_quads):
        grad_value = grad_value - c * H[q] * _form(t, quad)
        scaled = H[q] * s
        for i, j, coef in quad:
            if i == j:
                grad_tangents[i] = grad_tangents[i] - (2 * coef) * scaled * t[i]
            else:
                grad_tangents[i] = grad_tangents[i] - coef * scaled * t[j]
                grad_tangents[j] = grad_tangents[j] - coef * scaled * t[i]
    grad_tangents = torch.stack(grad_tangents)
    if t.shape[1] == 1 and grad_tangents.shape[1] != 1:
        grad_tangents = grad_tangents.sum(1, keepdim=True)
    grad_quads = None
    if quads.dim() > 0:
        grad_quads = H * c
        if quads.shape[1] == 1 and grad_quads.shape[1] != 1:
            grad_quads = grad_quads.sum(1, keepdim=True)
    return grad_value, grad_tangents, grad_quads


_failure: list[str] = []
"""The first compilation error of this process, if any; from then on the kernels run eagerly."""


@functools.cache
def _compiled(kernel):
    return torch.compile(kernel, dynamic=True)


def _run(kernel, *args):
    """The compiled kernel, or the eager one once compiling has failed."""
    if not _failure:
        try:
            return _compiled(kernel)(*args)
        except Exception as error:  # noqa: BLE001 - any compiler failure falls back to eager
            lines = str(error).strip().splitlines()
            _failure.append(f"{type(error).__name__}: {lines[0] if lines else 'no message'}")
            warnings.warn(
                f"torch.compile of the sine-jet kernels failed ({_failure[0]}); training continues with "
                "the same kernels run eagerly. fit(..., compile=False) avoids the attempt.",
                RuntimeWarning, stacklevel=3,
            )
    return kernel(*args)


def sine_forward(value, tangents, quads, plan_quads):
    return _run(sine_forward_kernel, value, tangents, quads, plan_quads)


def sine_backward(s, c, t, quads, g, G, H, plan_quads):
    return _run(sine_backward_kernel, s, c, t, quads, g, G, H, plan_quads)


class FusedSineJet(torch.autograd.Function):
    """:class:`pinnfield.jets._SineJet` with the compiled kernels: same inputs, outputs and
    saved tensors (s, c, T, Q)."""

    @staticmethod
    def forward(ctx, value, tangents, quads, plan_quads):
        s, c, out_tangents, out_quads = sine_forward(value, tangents, quads, plan_quads)
        ctx.plan_quads = plan_quads
        ctx.save_for_backward(s, c, tangents, quads)
        return s, out_tangents, out_quads

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g, G, H):
        s, c, t, quads = ctx.saved_tensors
        g = torch.zeros_like(s) if g is None else g
        G = s.new_zeros((t.shape[0],) + s.shape) if G is None else G
        H = s.new_zeros((len(ctx.plan_quads),) + s.shape) if H is None else H
        grad_value, grad_tangents, grad_quads = sine_backward(s, c, t, quads, g, G, H, ctx.plan_quads)
        if not ctx.needs_input_grad[2]:
            grad_quads = None
        return grad_value, grad_tangents, grad_quads, None
