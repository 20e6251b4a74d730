"""Multilayer perceptrons with smooth activations and an optional input encoding,
(N, in_dim) -> (N, out_dim).

Each activation s is given with its first two derivatives, so an :class:`ActivationLayer`
propagates jets exactly: z = s(a) gives z_i = s'(a) a_i and Z_q = s''(a) F_q + s'(a) A_q.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import EquationError, check_choice
from ..jets import Jet
from .base import AbstractField, positive_int, uniform_
from .encodings import AbstractEncoding, encoding_from_config
from .factorization import factorization_option, factorize_dense_layers
from .layers import Dense, Linear

__all__ = ["ACTIVATIONS", "ActivationLayer", "MLP"]


def _tanh(a):
    t = torch.tanh(a)
    d = 1 - t * t
    return t, d, -2 * t * d


def _softplus(a):
    s = torch.sigmoid(a)
    return torch.nn.functional.softplus(a), s, s * (1 - s)


def _gelu(a):
    pdf = torch.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + torch.erf(a / math.sqrt(2)))
    return a * cdf, cdf + a * pdf, pdf * (2 - a * a)


def _relu(a):
    step = (a > 0).to(a.dtype)
    return a * step, step, torch.zeros_like(a)


def _sigmoid(a):
    s = torch.sigmoid(a)
    d = s * (1 - s)
    return s, d, d * (1 - 2 * s)


def _sin(a):
    s, c = torch.sin(a), torch.cos(a)
    return s, c, -s


ACTIVATIONS = MappingProxyType({
    "tanh": _tanh,
    "softplus": _softplus,
    "gelu": _gelu,
    "relu": _relu,
    "sigmoid": _sigmoid,
    "sin": _sin,
})
"""Activation name -> function returning (s(a), s'(a), s''(a))."""

_VALUES = MappingProxyType({
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "gelu": F.gelu,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "sin": torch.sin,
})
"""Activation name -> s alone, for plain forward passes (no derivatives computed)."""


class ActivationLayer(Dense):
    """z = s(x W^T + b) for an activation s in :data:`ACTIVATIONS` (W factorised if ``factorized``)."""

    def __init__(self, in_features: int, out_features: int, activation: str, factorized: bool = False):
        super().__init__(in_features, out_features, factorized)
        self.activation = activation
        self._derivatives = ACTIVATIONS[activation]
        self._value = _VALUES[activation]

    def forward(self, x):
        return self._value(super().forward(x))

    def forward_jet(self, jet: Jet) -> Jet:
        a = jet.linear(self.matrix(), self.bias)
        return a.elementwise(*self._derivatives(a.value))


class MLP(AbstractField):
    """Multilayer perceptron with an optional input encoding in front.

    ``depth`` hidden layers of ``width`` units with activation ``tanh``, ``softplus``,
    ``gelu``, ``relu``, ``sigmoid`` or ``sin``, then a linear output layer; Glorot-uniform
    weights and zero biases. ``encoding`` (``PositionalEncoding`` or ``FourierFeatures``) is
    applied to the normalised inputs. Note that ReLU has zero second derivatives, so it cannot
    represent PDE solutions through a Laplacian. ``factorize``: None (plain weights) or True /
    (mu, sigma) for random weight factorisation of every dense layer (see
    :mod:`pinnfield.fields.factorization`). Shapes: (N, in_dim) -> (N, out_dim).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int = 1,
        width: int = 64,
        depth: int = 3,
        activation: str = "tanh",
        encoding: AbstractEncoding | None = None,
        factorize=None,
    ):
        super().__init__(in_dim, out_dim)
        positive_int(width, "width", "MLP")
        positive_int(depth, "depth", "MLP")
        check_choice(activation, ACTIVATIONS, "MLP activation", error=EquationError)
        if isinstance(encoding, dict):
            encoding = encoding_from_config(encoding)
        if encoding is not None and not isinstance(encoding, AbstractEncoding):
            raise EquationError(
                f"MLP encoding must be an AbstractEncoding such as PositionalEncoding or FourierFeatures; received "
                f"{type(encoding).__name__}."
            )
        factorization = factorization_option(factorize, "MLP factorize")
        self._config = dict(
            in_dim=in_dim, out_dim=out_dim, width=width, depth=depth, activation=activation,
            encoding=None if encoding is None else encoding.config(), factorize=factorization,
        )
        rwf = factorization is not None
        layers: list[nn.Module] = []
        features = in_dim
        if encoding is not None:
            encoding.bind(in_dim)
            layers.append(encoding)
            features = encoding.out_dim
        for _ in range(depth):
            layers.append(ActivationLayer(features, width, activation, rwf))
            features = width
        layers.append(Linear(features, out_dim, rwf))
        self.body = nn.Sequential(*layers)
        self.reset_parameters(torch.Generator().manual_seed(0))

    def _init_body(self, generator) -> None:
        for layer in self.body:
            if isinstance(layer, nn.Linear):
                fan_out, fan_in = layer.weight.shape
                uniform_(layer.weight, math.sqrt(6.0 / (fan_in + fan_out)), generator)
                layer.bias.zero_()
        factorize_dense_layers(self.body, self._config["factorize"], generator)

    def config(self) -> dict:
        return dict(self._config)
