"""Choosing a derivative engine: forward jets where the field propagates them, nested autograd
otherwise or where reverse mode is cheaper.

Shapes: points x (N, d); every table entry (N, k).
"""

from __future__ import annotations

import torch

from ..errors import EquationError
from .autograd import autograd_derivatives
from .jet import MAX_JET_ORDER, DerivativeRequest, DerivativeTable, Jet, plan_jet
from .sine import CompiledSineKernels

__all__ = ["ENGINES", "supports_jets", "reverse_mode_is_cheaper", "jet_derivatives", "compute_derivatives"]

ENGINES = ("auto", "jet", "autograd")
"""Values of ``fit(derivatives=...)``."""


def supports_jets(module: torch.nn.Module, request: DerivativeRequest) -> bool:
    """True when ``module`` propagates jets and the request stays within order 2."""
    return hasattr(module, "forward_jet") and request.max_order <= MAX_JET_ORDER


def jet_derivatives(module, x: torch.Tensor, request: DerivativeRequest,
                    kernels: CompiledSineKernels | None = None) -> DerivativeTable:
    """All requested derivatives of ``module`` at ``x`` (N, d) in one forward jet pass, each
    (N, k); ``kernels``: the sine layers' kernels compiled (None: run eagerly)."""
    d = x.shape[1]
    plan, second = plan_jet(request, d, kernels)
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


def resolve_engine(module, request: DerivativeRequest, engine: str = "auto") -> str:
    """``"jet"`` or ``"autograd"``: the engine that computes ``request`` of ``module`` under
    ``fit(derivatives=engine)``. ``"auto"`` takes jets where the module supports them, except
    where reverse mode is cheaper (:func:`reverse_mode_is_cheaper`); ``"jet"`` on a module or an
    order jets cannot do is an EquationError."""
    if engine == "autograd" or (engine == "auto" and reverse_mode_is_cheaper(module, request)):
        return "autograd"
    if supports_jets(module, request):
        return "jet"
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
    return "autograd"


def compute_derivatives(module, x, request, engine="auto", kernels=None) -> DerivativeTable:
    """The derivatives ``request`` (a :class:`DerivativeRequest`) asks of ``module`` at points
    ``x`` (N, d), by the jet engine or nested autograd (see ``fit(derivatives=...)`` and
    :func:`resolve_engine`). ``kernels``: None, or a
    :class:`~pinnfield.jets.sine.CompiledSineKernels` for jets with compiled sine kernels."""
    if resolve_engine(module, request, engine) == "jet":
        return jet_derivatives(module, x, request, kernels)
    return autograd_derivatives(module, x, request)
