"""Nested reverse-mode autograd: the reference derivative engine, and jets of functions that
have no ``forward_jet``.

Shapes: points x (N, d); a field's values (N, k); derivative tables as in
:class:`~pinnfield.jets.jet.DerivativeTable`.
"""

from __future__ import annotations

import torch

from .jet import DerivativeRequest, DerivativeTable, Jet

__all__ = ["autograd_jet", "autograd_derivatives"]


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
