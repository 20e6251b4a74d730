"""Layers of the built-in fields, each with ``forward`` (values) and ``forward_jet`` (jets):
shapes (N, in_features) -> (N, out_features).

Every dense layer is a :class:`Dense`: its weight W (out, in) is either one trained matrix or,
factorised (random weight factorisation, Wang et al. 2023), W = diag(exp(s)) V with V (out, in)
and s (out,) both trained.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..jets import Jet

__all__ = ["Dense", "Linear", "SineLayer", "ResidualSineBlock"]


class Dense(nn.Linear):
    """Affine map x W^T + b whose weight is stored plainly or factorised.

    Plain: ``weight`` is W. Factorised (``factorized=True``): ``weight`` holds V and
    ``log_scale`` s, and W = diag(exp(s)) V; :meth:`matrix` returns W either way. Unfactorised
    layers have no ``log_scale`` parameter, so their state and arithmetic are nn.Linear's.
    """

    def __init__(self, in_features: int, out_features: int, factorized: bool = False):
        super().__init__(in_features, out_features)
        self.register_parameter("log_scale", nn.Parameter(torch.zeros(out_features)) if factorized else None)

    @property
    def factorized(self) -> bool:
        return self.log_scale is not None

    def matrix(self) -> torch.Tensor:
        """The weight W (out, in): ``weight`` itself, or diag(exp(s)) V when factorised."""
        if self.log_scale is None:
            return self.weight
        return torch.exp(self.log_scale).unsqueeze(1) * self.weight

    def factorize_(self, mean: float, std: float, generator) -> None:
        """Factorise the current weight W0: draw s ~ N(mean, std^2) (on the CPU by ``generator``,
        one value per output unit) and set V = W0 / exp(s), so that W = W0 up to rounding."""
        s = torch.empty(self.log_scale.shape, dtype=self.log_scale.dtype, device="cpu")
        s.normal_(mean, std, generator=generator)
        with torch.no_grad():
            self.log_scale.copy_(s)
            self.weight.div_(torch.exp(self.log_scale).unsqueeze(1))

    def forward(self, x):
        return F.linear(x, self.matrix(), self.bias)


class Linear(Dense):
    """Affine layer a W^T + b (no activation): the output layer of every field."""

    def forward_jet(self, jet: Jet) -> Jet:
        return jet.linear(self.matrix(), self.bias)


class SineLayer(Dense):
    """z = sin(omega (x W^T + b)).

    The bias sits inside the product with omega, as in the SIREN reference: omega scales the
    whole pre-activation, so the bias is in units of the normalised input (its initial range
    is PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
    """

    def __init__(self, in_features: int, out_features: int, omega: float, factorized: bool = False):
        super().__init__(in_features, out_features, factorized)
        self.omega = float(omega)

    def _scaled(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(omega W, omega b): omega folded into the affine map, one product per weight, not per point."""
        return self.omega * self.matrix(), None if self.bias is None else self.omega * self.bias

    def forward(self, x):
        return torch.sin(F.linear(x, *self._scaled()))

    def forward_jet(self, jet: Jet) -> Jet:
        return jet.linear(*self._scaled()).sine()


class ResidualSineBlock(nn.Module):
    """z = (x + sin(omega (x W^T + b))) / 2: a sine layer with an identity skip, width kept."""

    def __init__(self, width: int, omega: float, factorized: bool = False):
        super().__init__()
        self.sine = SineLayer(width, width, omega, factorized)

    @property
    def weight(self):
        return self.sine.weight

    @property
    def bias(self):
        return self.sine.bias

    def forward(self, x):
        return 0.5 * (x + self.sine(x))

    def forward_jet(self, jet: Jet) -> Jet:
        return (jet + self.sine.forward_jet(jet)).scale(0.5)
