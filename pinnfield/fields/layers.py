"""Layers of the built-in fields, each with ``forward`` (values) and ``forward_jet`` (jets):
shapes (N, in_features) -> (N, out_features)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..jets import Jet

__all__ = ["Linear", "SineLayer", "ResidualSineBlock"]


class Linear(nn.Linear):
    """Affine layer a W^T + b (no activation): the output layer of every field."""

    def forward_jet(self, jet: Jet) -> Jet:
        return jet.linear(self.weight, self.bias)


class SineLayer(nn.Linear):
    """z = sin(omega (x W^T + b)).

    The bias sits inside the product with omega, as in the SIREN reference: omega scales the
    whole pre-activation, so the bias is in units of the normalised input (its initial range
    is PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
    """

    def __init__(self, in_features: int, out_features: int, omega: float):
        super().__init__(in_features, out_features)
        self.omega = float(omega)

    def _scaled(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(omega W, omega b): omega folded into the affine map, one product per weight, not per point."""
        return self.omega * self.weight, None if self.bias is None else self.omega * self.bias

    def forward(self, x):
        return torch.sin(F.linear(x, *self._scaled()))

    def forward_jet(self, jet: Jet) -> Jet:
        return jet.linear(*self._scaled()).sine()


class ResidualSineBlock(nn.Module):
    """z = (x + sin(omega (x W^T + b))) / 2: a sine layer with an identity skip, width kept."""

    def __init__(self, width: int, omega: float):
        super().__init__()
        self.sine = SineLayer(width, width, omega)

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
